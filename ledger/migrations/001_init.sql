-- 001_init.sql -- the riskshare ledger: tables and views (DESIGN 7).
--
-- Scale rule: every ledger table leads its primary key with `program`, and nothing
-- joins across programs on the write path, so the ledger can be sharded by program
-- (Citus) or partitioned by program and year without changing the engine.
--
-- Money is the domain `fen`: numeric with at most two decimals.  The database refuses
-- 1.555 instead of rounding it (numeric(20,2) would round half away from zero); the
-- engine rounds, once, by the policy's mode.  Exact ratios are kept as text.
--
-- Append-only rules, the balance check, the hash chain and the numbering live in
-- 002_guards.sql; roles, privileges and row-level security in 003_roles.sql.

CREATE DOMAIN fen AS numeric
    CONSTRAINT fen_whole CHECK (scale(VALUE) <= 2)
    CONSTRAINT fen_range CHECK (abs(VALUE) <= 1000000000000000);

-- A ratio as the engine writes it: a decimal (0.0435) or a fraction (1/3).
CREATE DOMAIN ratio AS text
    CONSTRAINT ratio_exact CHECK (VALUE ~ '^-?[0-9]+(\.[0-9]+)?$'
                                  OR VALUE ~ '^-?[0-9]+/0*[1-9][0-9]*$');

CREATE DOMAIN sha256_hex AS text
    CONSTRAINT sha256_hex_form CHECK (VALUE ~ '^[0-9a-f]{64}$');

CREATE DOMAIN program_id AS text
    CONSTRAINT program_id_form CHECK (VALUE ~ '^[a-z0-9-]{1,64}$');

-- Ids of parties, agencies, loans, events and rules.
CREATE DOMAIN ident AS text
    CONSTRAINT ident_form CHECK (VALUE ~ '^[A-Za-z0-9._-]{1,64}$');

-- One row per program: the head of its hash chain and its gap-free counters.  The row
-- is created with the program's first policy and advanced only by the triggers of
-- 002_guards.sql, under its row lock, which orders every write of the program.
CREATE TABLE programs (
    program            program_id PRIMARY KEY,
    created_at         timestamptz NOT NULL DEFAULT now(),
    last_seq           bigint NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    last_hash          sha256_hex NOT NULL DEFAULT repeat('0', 64),
    last_event_no      bigint NOT NULL DEFAULT 0 CHECK (last_event_no >= 0),
    last_batch_id      bigint NOT NULL DEFAULT 0 CHECK (last_batch_id >= 0),
    last_claim_id      bigint NOT NULL DEFAULT 0 CHECK (last_claim_id >= 0),
    last_settlement_id bigint NOT NULL DEFAULT 0 CHECK (last_settlement_id >= 0)
);

-- One version of one program, immutable once loaded (DESIGN 4).
CREATE TABLE policies (
    program        program_id NOT NULL REFERENCES programs,
    version        integer NOT NULL CHECK (version BETWEEN 1 AND 1000000),
    sha256         sha256_hex NOT NULL,
    source         bytea NOT NULL,                -- the file's bytes, as loaded
    title          text NOT NULL,
    legal_ref      text NOT NULL,
    effective_from date NOT NULL,
    effective_to   date,                          -- NULL: open-ended
    normalised     text NOT NULL,                 -- the loader's normalised text
    loaded_at      timestamptz NOT NULL DEFAULT now(),
    loaded_by      text NOT NULL DEFAULT session_user,
    PRIMARY KEY (program, version),
    CONSTRAINT policies_sha256_matches CHECK (sha256 = encode(sha256(source), 'hex')),
    CONSTRAINT policies_period CHECK (effective_to IS NULL OR effective_to >= effective_from)
);

-- One submitted loan file.  The same bytes from the same agency are recorded once;
-- `results` keeps the report rows (rejected loans too) to print on a repeat.
CREATE TABLE batches (
    program     program_id NOT NULL REFERENCES programs,
    batch_id    bigint NOT NULL CHECK (batch_id > 0),
    agency      ident NOT NULL,
    file_name   text NOT NULL,
    file_sha256 sha256_hex NOT NULL,
    results     jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(results) = 'array'),
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program, batch_id),
    UNIQUE (program, agency, file_sha256)
);

-- An admitted loan, governed for life by `policy_version`, its terms rule and shares.
-- Its state (outstanding, closed, defaulted) follows from its events.
CREATE TABLE loans (
    program          program_id NOT NULL,
    loan_id          ident NOT NULL,
    agency           ident NOT NULL,
    batch_id         bigint NOT NULL,
    line_no          integer NOT NULL CHECK (line_no > 1),
    policy_version   integer NOT NULL,
    terms_rule       ident NOT NULL,
    shares           jsonb NOT NULL CHECK (jsonb_typeof(shares) = 'object'),
    trace            jsonb NOT NULL DEFAULT '{}',  -- how the rules decided
    borrower_code    text NOT NULL CHECK (borrower_code ~ '^[0-9A-Z]{18}$'),
    borrower_name    text NOT NULL,
    tech_status      text NOT NULL CHECK (tech_status IN
                         ('hnte', 'tech_sme', 'specialized_sme', 'little_giant', 'none')),
    sector           text NOT NULL,
    credit_grade     text NOT NULL,
    revenue          fen,
    bank             ident NOT NULL,
    guarantor        ident,                        -- NULL: a direct bank loan
    principal        fen NOT NULL CHECK (principal > 0),
    annual_rate      ratio NOT NULL,
    collateral_ratio ratio NOT NULL,
    start_date       date NOT NULL,
    term_months      integer NOT NULL CHECK (term_months BETWEEN 1 AND 360),
    first_loan       boolean NOT NULL,
    fee_rate         ratio NOT NULL,               -- the rate applied
    guarantee_fee    fen NOT NULL CHECK (guarantee_fee >= 0),
    fee_subsidy      fen NOT NULL CHECK (fee_subsidy >= 0),
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program, loan_id),
    FOREIGN KEY (program, batch_id) REFERENCES batches,
    FOREIGN KEY (program, policy_version) REFERENCES policies (program, version)
);

-- A funding, repayment, default or recovery, applied in `event_no` order.  `outcome`
-- keeps what the engine decided (the report rows) to print on a repeated import.
CREATE TABLE events (
    program     program_id NOT NULL REFERENCES programs,
    event_id    ident NOT NULL,
    event_no    bigint NOT NULL CHECK (event_no > 0),
    kind        text NOT NULL CHECK (kind IN ('funding', 'repayment', 'default', 'recovery')),
    event_date  date NOT NULL,
    loan_id     ident,
    party       ident,
    amount      fen,
    interest    fen,
    cost        fen,
    agency      ident,                             -- who recorded it; NULL for finance
    outcome     jsonb,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program, event_id),
    UNIQUE (program, event_no),
    FOREIGN KEY (program, loan_id) REFERENCES loans
);

-- A committed settlement run through `through_date` (a preview records nothing).
CREATE TABLE settlements (
    program       program_id NOT NULL REFERENCES programs,
    settlement_id bigint NOT NULL CHECK (settlement_id > 0),
    through_date  date NOT NULL,
    period        text,                            -- as given: 2024Q3, 2024-07, 2024
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program, settlement_id),
    UNIQUE (program, through_date)
);

-- One journal entry: a link of the program's hash chain.  `seq` is gap-free per
-- program; `hash` is the SHA-256 of the entry's canonical content (with its postings
-- and `prev_hash`), computed by the writer and recomputed by `audit verify`.
CREATE TABLE entries (
    program        program_id NOT NULL REFERENCES programs,
    seq            bigint NOT NULL CHECK (seq > 0),
    kind           text NOT NULL CHECK (kind ~ '^[a-z_]{1,32}$'),
    policy_version integer,
    rule_ids       text[] NOT NULL DEFAULT '{}',
    loan_id        ident,
    event_id       ident,
    batch_id       bigint,
    settlement_id  bigint,
    reverses_seq   bigint,                         -- a correction reverses an entry
    business_date  date NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    prev_hash      sha256_hex NOT NULL,
    hash           sha256_hex NOT NULL,
    PRIMARY KEY (program, seq),
    FOREIGN KEY (program, policy_version) REFERENCES policies (program, version),
    FOREIGN KEY (program, loan_id) REFERENCES loans,
    FOREIGN KEY (program, event_id) REFERENCES events,
    FOREIGN KEY (program, batch_id) REFERENCES batches,
    FOREIGN KEY (program, settlement_id) REFERENCES settlements,
    FOREIGN KEY (program, reverses_seq) REFERENCES entries (program, seq)
);

-- One leg of an entry on the account `<party>:<kind>`; `amount` is positive, the side
-- says debit or credit.  No zero legs.
CREATE TABLE postings (
    program program_id NOT NULL,
    seq     bigint NOT NULL,
    leg     smallint NOT NULL CHECK (leg > 0),
    party   ident NOT NULL,
    kind    text NOT NULL CHECK (kind IN ('cash', 'capital', 'fee_income', 'subsidy_expense',
                                          'loss', 'recovery', 'receivable', 'payable',
                                          'external')),
    account text GENERATED ALWAYS AS (party || ':' || kind) STORED,
    side    text NOT NULL CHECK (side IN ('debit', 'credit')),
    amount  fen NOT NULL CHECK (amount > 0),
    PRIMARY KEY (program, seq, leg),
    FOREIGN KEY (program, seq) REFERENCES entries
);

-- A claim on a pool: compensation for a default, or a fee or interest subsidy.  Rows
-- never change: what is paid is the sum of its settlement payments.
CREATE TABLE claims (
    program     program_id NOT NULL,
    claim_id    bigint NOT NULL CHECK (claim_id > 0),
    kind        text NOT NULL CHECK (kind IN ('compensation', 'fee_subsidy',
                                              'interest_subsidy')),
    loan_id     ident NOT NULL,
    payer       ident NOT NULL,                    -- the pool
    payee       text NOT NULL CHECK (payee ~ '^([A-Za-z0-9._-]{1,64}|borrower:[0-9A-Z]{18})$'),
    claim_date  date NOT NULL,
    amount      fen NOT NULL CHECK (amount > 0),
    seq         bigint NOT NULL,                   -- the entry that opened it
    event_id    ident,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program, claim_id),
    UNIQUE (program, loan_id, kind, payer),
    FOREIGN KEY (program, loan_id) REFERENCES loans,
    FOREIGN KEY (program, seq) REFERENCES entries,
    FOREIGN KEY (program, event_id) REFERENCES events
);

-- What one settlement did with one claim open before it (paid may be 0).
CREATE TABLE settlement_payments (
    program       program_id NOT NULL,
    settlement_id bigint NOT NULL,
    claim_id      bigint NOT NULL,
    open_before   fen NOT NULL CHECK (open_before > 0),
    paid          fen NOT NULL CHECK (paid >= 0 AND paid <= open_before),
    seq           bigint,                          -- the entry that paid it; NULL for 0
    PRIMARY KEY (program, settlement_id, claim_id),
    FOREIGN KEY (program, settlement_id) REFERENCES settlements,
    FOREIGN KEY (program, claim_id) REFERENCES claims,
    FOREIGN KEY (program, seq) REFERENCES entries,
    CHECK ((paid = 0) = (seq IS NULL))
);

CREATE INDEX entries_by_date ON entries (program, business_date);
CREATE INDEX postings_by_account ON postings (program, account);
CREATE INDEX claims_by_payer ON claims (program, payer, claim_date);
CREATE INDEX loans_by_agency ON loans (program, agency);
CREATE INDEX loans_by_borrower ON loans (program, borrower_code);
CREATE INDEX events_by_loan ON events (program, loan_id);

-- Claims with what has been paid and what is still open.
CREATE VIEW claims_open AS
SELECT c.program, c.claim_id, c.kind, c.loan_id, c.payer, c.payee, c.claim_date, c.amount,
       coalesce(p.paid, 0) AS paid,
       c.amount - coalesce(p.paid, 0) AS open
  FROM claims c
  LEFT JOIN (SELECT program, claim_id, sum(paid) AS paid
               FROM settlement_payments
              GROUP BY program, claim_id) p USING (program, claim_id);

-- Account balances per program (balance = debit - credit).
CREATE VIEW account_balances AS
SELECT program, account,
       coalesce(sum(amount) FILTER (WHERE side = 'debit'), 0) AS debit,
       coalesce(sum(amount) FILTER (WHERE side = 'credit'), 0) AS credit,
       coalesce(sum(amount) FILTER (WHERE side = 'debit'), 0)
         - coalesce(sum(amount) FILTER (WHERE side = 'credit'), 0) AS balance
  FROM postings
 GROUP BY program, account;
