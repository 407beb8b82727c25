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
--
-- Volume: a batch of a million loans writes about 1.3 million entries, 2.6 million
-- postings and 600,000 claims in one transaction.  So the high-volume tables (loans,
-- entries, postings, claims) carry no foreign keys, whose checks run a query per row:
-- 002_guards.sql checks their references once per statement instead, over the
-- statement's new rows (transition tables).  Low-volume tables keep plain foreign keys.
-- A column whose value those checks find in another table (`program`, the loan and
-- event an entry or claim names, an entry's prev_hash) is plain `text COLLATE "C"`:
-- the reference proves its form, so the per-row domain check would be paid for
-- nothing.

CREATE DOMAIN fen AS numeric
    CONSTRAINT fen_whole CHECK (scale(VALUE) <= 2)
    CONSTRAINT fen_range CHECK (VALUE BETWEEN -1000000000000000 AND 1000000000000000);

-- A ratio as the engine writes it: a decimal (0.0435) or a fraction (1/3).
CREATE DOMAIN ratio AS text
    CONSTRAINT ratio_exact CHECK (VALUE ~ '^-?[0-9]+(\.[0-9]+)?$'
                                  OR VALUE ~ '^-?[0-9]+/0*[1-9][0-9]*$');

-- Forms are checked as a length and a negated character class: PostgreSQL's regex
-- engine takes microseconds per value for a counted repeat such as {64}, which a COPY
-- of millions of rows pays several times per row.  Ids compare bytewise (COLLATE
-- "C"): DESIGN 10 orders loan ids bytewise, and btree keys of the C collation compare
-- with memcmp instead of strcoll.
CREATE DOMAIN sha256_hex AS text COLLATE "C"
    CONSTRAINT sha256_hex_form CHECK (octet_length(VALUE) = 64 AND VALUE !~ '[^0-9a-f]');

CREATE DOMAIN program_id AS text COLLATE "C"
    CONSTRAINT program_id_form CHECK (octet_length(VALUE) BETWEEN 1 AND 64
                                      AND VALUE !~ '[^a-z0-9-]');

-- Ids of parties, agencies, loans, events and rules.
CREATE DOMAIN ident AS text COLLATE "C"
    CONSTRAINT ident_form CHECK (octet_length(VALUE) BETWEEN 1 AND 64
                                 AND VALUE !~ '[^A-Za-z0-9._-]');

-- One row per program: the head of its hash chain and its gap-free counters.  The row
-- is created with the program's first policy and advanced only by the triggers of
-- 002_guards.sql, under its row lock, which orders every write of the program.  A
-- writer of entries and claims reads the head (led_chain_head) and numbers its rows
-- itself; the triggers check the numbers and advance the head once per statement.
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

-- One submitted loan file.  The same bytes from the same agency are recorded once; a
-- repeat prints the report rebuilt from `loans` and `batch_rejections` (004).
CREATE TABLE batches (
    program     program_id NOT NULL REFERENCES programs,
    batch_id    bigint NOT NULL CHECK (batch_id > 0),
    agency      ident NOT NULL,
    file_name   text NOT NULL,
    file_sha256 sha256_hex NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program, batch_id),
    UNIQUE (program, agency, file_sha256)
);

-- An admitted loan, governed for life by `policy_version`, its terms rule and shares.
-- Its state (outstanding, closed, defaulted) follows from its events.  Its batch and
-- policy version must exist: checked per statement (loans_refs in 002_guards.sql).
CREATE TABLE loans (
    program          text COLLATE "C" NOT NULL,   -- its batch's program (loans_refs)
    loan_id          ident NOT NULL,
    agency           ident NOT NULL,
    batch_id         bigint NOT NULL,
    line_no          integer NOT NULL CHECK (line_no > 1),
    policy_version   integer NOT NULL,
    terms_rule       ident NOT NULL,
    -- JSON text, not jsonb: parsing two jsonb values cost 10 us a loan, a third of the
    -- time to record one.  Query with shares::jsonb, trace::jsonb.
    shares           text NOT NULL,                -- {"party": "ratio", ...}, party order
    trace            text NOT NULL DEFAULT '{}',   -- how the rules decided
    borrower_code    text COLLATE "C" NOT NULL
                         CHECK (octet_length(borrower_code) = 18 AND borrower_code !~ '[^0-9A-Z]'),
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
    PRIMARY KEY (program, loan_id)
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
-- program; `hash` is the SHA-256 of the entry's canonical content (with its postings,
-- the claim it opens and `prev_hash`; docs/database.md), computed by the writer
-- (ledger/journal.c) and recomputed by `audit verify`.  `legs` is the number of its
-- postings, checked at commit.  Its references (program, policy version, loan, event,
-- batch, settlement, reversed entry) are checked per statement (entries_chain).
CREATE TABLE entries (
    program        text COLLATE "C" NOT NULL,     -- a program with a head (entries_chain)
    seq            bigint NOT NULL CHECK (seq > 0),
    kind           text COLLATE "C" NOT NULL
                       CHECK (octet_length(kind) BETWEEN 1 AND 32 AND kind !~ '[^a-z_]'),
    policy_version integer,
    rule_ids       text[] NOT NULL DEFAULT '{}',
    loan_id        text COLLATE "C",              -- a recorded loan (entries_chain)
    event_id       text COLLATE "C",              -- a recorded event (entries_chain)
    batch_id       bigint,
    settlement_id  bigint,
    reverses_seq   bigint,                         -- a correction reverses an entry
    business_date  date NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    prev_hash      text COLLATE "C" NOT NULL,     -- the previous hash (entries_chain)
    hash           sha256_hex NOT NULL,
    legs           smallint NOT NULL CHECK (legs >= 2),
    PRIMARY KEY (program, seq)
);

-- One leg of an entry on the account `<party>:<kind>`; `amount` is positive, the side
-- says debit or credit.  No zero legs.  Legs are numbered 1..entries.legs; each names
-- an entry recorded in the same transaction (postings_fresh, per statement).
CREATE TABLE postings (
    program text COLLATE "C" NOT NULL,            -- its entry's program (postings_fresh)
    seq     bigint NOT NULL,
    leg     smallint NOT NULL CHECK (leg > 0),
    party   ident NOT NULL,
    kind    text NOT NULL CHECK (kind IN ('cash', 'capital', 'fee_income', 'subsidy_expense',
                                          'loss', 'recovery', 'receivable', 'payable',
                                          'external')),
    account text COLLATE "C" GENERATED ALWAYS AS (party || ':' || kind) STORED,
    side    text NOT NULL CHECK (side IN ('debit', 'credit')),
    amount  fen NOT NULL CHECK (amount > 0),
    PRIMARY KEY (program, seq, leg)
);

-- A claim on a pool: compensation for a default, or a fee or interest subsidy.  Rows
-- never change: what is paid is the sum of its settlement payments.  The writer
-- numbers claims from programs.last_claim_id; claims_numbering checks the numbers,
-- that the opening entry is of the same transaction, and that loan and event exist.
CREATE TABLE claims (
    program     text COLLATE "C" NOT NULL,        -- a program with a head (claims_numbering)
    claim_id    bigint NOT NULL CHECK (claim_id > 0),
    kind        text NOT NULL CHECK (kind IN ('compensation', 'fee_subsidy',
                                              'interest_subsidy')),
    loan_id     text COLLATE "C" NOT NULL,        -- a recorded loan (claims_numbering)
    payer       ident NOT NULL,                    -- the pool
    payee       text COLLATE "C" NOT NULL    -- a party id, or borrower:<borrower_code>
                    CHECK ((octet_length(payee) BETWEEN 1 AND 64 AND payee !~ '[^A-Za-z0-9._-]')
                           OR (octet_length(payee) = 27 AND payee ~ '^borrower:[0-9A-Z]+$')),
    claim_date  date NOT NULL,
    amount      fen NOT NULL CHECK (amount > 0),
    seq         bigint NOT NULL,                   -- the entry that opened it
    event_id    text COLLATE "C",                  -- a recorded event (claims_numbering)
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program, claim_id),
    UNIQUE (program, loan_id, kind, payer)
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

-- One row per statement that wrote entries: the range of seq it added.  At commit a
-- deferred trigger on this table checks, with one query per range, that every entry
-- of the range has its legs and balances (002_guards.sql).  Written by the trigger
-- only; kept, like every ledger table, as a record of the writes.
CREATE TABLE journal_checks (
    program     program_id NOT NULL,
    first_seq   bigint NOT NULL CHECK (first_seq > 0),
    last_seq    bigint NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program, first_seq),
    CHECK (last_seq >= first_seq)
);

-- Entries by business date: a block-range (BRIN) index, which costs next to nothing
-- to keep up as millions of entries arrive (a btree costs a microsecond per row);
-- batches arrive roughly in date order, so ranges of blocks skip well enough.
CREATE INDEX entries_by_date ON entries USING brin (business_date);
-- No index by account: two legs per admitted loan would each pay a random-key insert;
-- balances are sums over all of a program's postings, read by scanning them.
CREATE INDEX claims_by_payer ON claims (program, payer, claim_date);
-- No index by agency: row-level security filters by it, and an index would cost every
-- admitted loan an insert for the rare per-agency scan.
-- No index by borrower either: admission reads the borrowers of a batch with one hash join
-- over the program's loans, and a million random-key inserts per batch cost seconds.
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
