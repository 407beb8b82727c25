-- 002_guards.sql -- what the database itself enforces on the ledger (DESIGN 7).
--
-- 1. Append-only: UPDATE, DELETE and TRUNCATE of a ledger table are refused
--    (SQLSTATE 23001); corrections are reversing entries.  The application's roles
--    have no UPDATE or DELETE privilege either (003_roles.sql).
-- 2. Balance: at commit, every entry has exactly `legs` legs (at least two), numbered
--    1..legs, its debits equal its credits, and they do so for each party (SQLSTATE
--    23514, constraints `entry_balances`, `entry_legs` and `entry_balances_per_party`).
-- 3. Chain: the entries of a statement extend their program's chain in order: seq =
--    head + 1, head + 2, ..., each prev_hash the hash of the entry before it (the
--    first the head's), under the program row's lock, so seq is gap-free and chain
--    order is commit order.  Legs and claims are recorded in the transaction that
--    records their entry.
-- 4. Numbers: batches, events and settlements are numbered per program from the
--    program row's counters; claims are numbered by their writer from the same row,
--    and checked.
-- 5. References: the high-volume tables (loans, entries, postings, claims) have no
--    foreign keys (001_init.sql); what those would check is checked here.
--
-- Volume: the guards of loans, entries, postings and claims run once per statement
-- (AFTER ... FOR EACH STATEMENT with a transition table), and the balance check once
-- per statement's range of entries at commit, each as a few set-based queries: a COPY
-- of millions of rows runs no query per row.  Each such statement writes one program
-- (DESIGN 7: the write path never crosses programs).  These functions run with
-- jit = off: over millions of new rows the planner's costs pass jit_above_cost, and
-- compiling took longer (up to a second per query) than running.  A scan or probe
-- per row costs about a microsecond; the notes at each function say which it does.
--
-- Triggers do not stop a superuser (session_replication_role = replica disables them):
-- only the hash chain, recomputed outside the database by `audit verify`, shows that.
-- Functions that read or lock rows the caller's role cannot are SECURITY DEFINER with
-- the search_path fixed at creation (the ledger's schema, then pg_temp).

-- Refuses any change to a ledger row.
CREATE FUNCTION led_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation',
              HINT = 'Correct the ledger with a reversing entry.';
END
$$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['policies', 'batches', 'loans', 'events', 'entries', 'postings',
                             'claims', 'settlements', 'settlement_payments',
                             'journal_checks'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I'
                       ' FOR EACH ROW EXECUTE FUNCTION led_refuse_change()',
                       t || '_append_only', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION led_refuse_change()',
                       t || '_no_truncate', t);
    END LOOP;
END
$$;

-- A program row is never deleted; only its counters move, and only forward.
CREATE FUNCTION led_program_forward() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.program <> OLD.program OR NEW.created_at <> OLD.created_at
       OR NEW.last_seq < OLD.last_seq OR NEW.last_event_no < OLD.last_event_no
       OR NEW.last_batch_id < OLD.last_batch_id OR NEW.last_claim_id < OLD.last_claim_id
       OR NEW.last_settlement_id < OLD.last_settlement_id THEN
        RAISE EXCEPTION 'program % can only move its counters forward', OLD.program
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER programs_forward BEFORE UPDATE ON programs
    FOR EACH ROW EXECUTE FUNCTION led_program_forward();
CREATE TRIGGER programs_append_only BEFORE DELETE ON programs
    FOR EACH ROW EXECUTE FUNCTION led_refuse_change();
CREATE TRIGGER programs_no_truncate BEFORE TRUNCATE ON programs
    FOR EACH STATEMENT EXECUTE FUNCTION led_refuse_change();

-- A program's first policy creates its row.
CREATE FUNCTION led_policy_program() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO programs (program) VALUES (NEW.program) ON CONFLICT DO NOTHING;
    RETURN NEW;
END
$$;

CREATE TRIGGER policies_program BEFORE INSERT ON policies
    FOR EACH ROW EXECUTE FUNCTION led_policy_program();

-- Numbers a new row from a counter of its program row: TG_ARGV[0] is the counter
-- column of `programs`, TG_ARGV[1] the row's number column.  A row that brings its
-- own number must bring exactly the next one.
CREATE FUNCTION led_assign_number() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    counter text := TG_ARGV[0];
    target  text := TG_ARGV[1];
    assigned bigint;
    given    bigint;
BEGIN
    EXECUTE format('UPDATE programs SET %1$I = %1$I + 1 WHERE program = $1 RETURNING %1$I',
                   counter)
        INTO assigned USING NEW.program;
    IF assigned IS NULL THEN
        RAISE EXCEPTION 'program % has no policy loaded', NEW.program
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    given := (to_jsonb(NEW) ->> target)::bigint;
    IF given IS NOT NULL AND given <> assigned THEN
        RAISE EXCEPTION '% % of program % is out of order: the next is %',
                        target, given, NEW.program, assigned
            USING ERRCODE = 'check_violation', CONSTRAINT = TG_TABLE_NAME || '_numbering';
    END IF;
    RETURN jsonb_populate_record(NEW, jsonb_build_object(target, assigned));
END
$$;

CREATE TRIGGER batches_number BEFORE INSERT ON batches
    FOR EACH ROW EXECUTE FUNCTION led_assign_number('last_batch_id', 'batch_id');
CREATE TRIGGER events_number BEFORE INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION led_assign_number('last_event_no', 'event_no');
CREATE TRIGGER settlements_10_number BEFORE INSERT ON settlements
    FOR EACH ROW EXECUTE FUNCTION led_assign_number('last_settlement_id', 'settlement_id');

-- The head of a program's chain, locked until the end of the transaction, and the
-- transaction's time as entries record it (UTC, microseconds, the text the canonical
-- hash uses: 2024-05-06T07:08:09.123456Z).  A writer reads it, numbers and hashes
-- its entries and claims from it, and inserts them before committing.  No row: the
-- program has no policy loaded.
CREATE FUNCTION led_chain_head(p_program text, OUT last_seq bigint, OUT last_hash text,
                               OUT last_claim_id bigint, OUT recorded_at text)
LANGUAGE sql SECURITY DEFINER SET search_path FROM CURRENT AS $$
    SELECT last_seq, last_hash::text, last_claim_id,
           to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
      FROM programs WHERE program = p_program FOR UPDATE
$$;

-- Locks and returns the head of program `p`, which must exist.
CREATE FUNCTION led_lock_head(p text) RETURNS programs
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    head programs%ROWTYPE;
BEGIN
    SELECT * INTO head FROM programs WHERE program = p FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'program % has no policy loaded', p
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'ledger_program';
    END IF;
    RETURN head;
END
$$;

-- Entries `lo` and `hi` of program `p` were recorded by this transaction (recorded_at
-- is its time), so every entry between them was too: the chain is gap-free, and a
-- transaction holds the program's lock from its first entry until it ends.  `what`
-- names the rows that refer to them ('legs', 'claims').
CREATE FUNCTION led_entries_fresh(p text, lo bigint, hi bigint, what text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    s        bigint;
    recorded timestamptz;
BEGIN
    FOREACH s IN ARRAY ARRAY[lo, hi] LOOP
        SELECT recorded_at INTO recorded FROM entries WHERE program = p AND seq = s;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'entry % of program % is not recorded: it takes no %', s, p, what
                USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'entry_exists';
        END IF;
        IF recorded <> now() THEN
            RAISE EXCEPTION 'entry % of program % is already recorded: it takes no new %',
                            s, p, what
                USING ERRCODE = 'restrict_violation',
                      HINT = 'Correct the ledger with a reversing entry.';
        END IF;
    END LOOP;
END
$$;

-- A statement's rows all belong to program `p` (`same` is bool_and(program = p)).
CREATE FUNCTION led_one_program(same boolean, p text, what text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT same THEN
        RAISE EXCEPTION 'a statement records the % of one program: this one mixes % with others',
                        what, p
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_one_program',
                  HINT = 'Write each program in statements of its own.';
    END IF;
END
$$;

-- A statement's entries extend their program's chain, in the order they came: each
-- seq is the one before plus 1, each prev_hash the hash before it, the first after
-- the locked head; each is recorded at the transaction's time, and its references
-- exist (policy version, loan, event, batch, settlement, the earlier entry reversed).
-- Then the head advances once, and the range goes to journal_checks for the balance
-- check at commit.  One pass over the new rows, no sort.
CREATE FUNCTION led_entries_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT SET jit = off AS $$
DECLARE
    p    text;
    head programs%ROWTYPE;
    agg  record;
    bad  record;
    ref  record;
BEGIN
    SELECT n.program INTO p FROM new_entries n LIMIT 1;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    head := led_lock_head(p);
    SELECT bool_and(x.program = p) AS same, min(x.seq) FILTER (WHERE NOT x.linked) AS bad_seq,
           max(x.seq) AS top, min(x.hash) FILTER (WHERE x.is_last) AS top_hash
      INTO agg
      FROM (SELECT n.program, n.seq, n.hash,
                   n.seq = coalesce(lag(n.seq) OVER w, head.last_seq) + 1
                   AND n.prev_hash = coalesce(lag(n.hash) OVER w, head.last_hash)
                   AND n.recorded_at = now() AS linked,
                   lead(n.seq) OVER w IS NULL AS is_last
              FROM new_entries n WINDOW w AS ()) x;
    PERFORM led_one_program(agg.same, p, 'entries');
    IF agg.bad_seq IS NOT NULL THEN
        SELECT x.* INTO bad
          FROM (SELECT n.seq, n.prev_hash,
                       coalesce(lag(n.seq) OVER w, head.last_seq) + 1 AS want_seq,
                       coalesce(lag(n.hash) OVER w, head.last_hash) AS want_prev
                  FROM new_entries n WINDOW w AS ()) x
         WHERE x.seq = agg.bad_seq LIMIT 1;
        IF bad.seq <> bad.want_seq OR bad.prev_hash <> bad.want_prev THEN
            RAISE EXCEPTION 'entry % of program % does not extend its chain: the next entry is % after %',
                            bad.seq, p, bad.want_seq, bad.want_prev
                USING ERRCODE = 'check_violation', CONSTRAINT = 'entry_chain',
                      HINT = 'Read the head with led_chain_head() in the writing transaction.';
        END IF;
        RAISE EXCEPTION 'entry % of program % must be recorded at the transaction time',
                        bad.seq, p
            USING ERRCODE = 'check_violation', CONSTRAINT = 'entry_recorded_now';
    END IF;
    -- What foreign keys would check.  Versions, batches and settlements take few
    -- values per statement: each distinct one is looked up once.
    FOR ref IN SELECT DISTINCT n.policy_version, n.batch_id, n.settlement_id
                 FROM new_entries n LOOP
        IF ref.policy_version IS NOT NULL AND NOT EXISTS
           (SELECT 1 FROM policies v WHERE v.program = p AND v.version = ref.policy_version) THEN
            SELECT min(n.seq) INTO bad FROM new_entries n
             WHERE n.policy_version = ref.policy_version;
            RAISE EXCEPTION 'entry % of program % names policy version %, which is not loaded',
                            bad.min, p, ref.policy_version
                USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'entries_policy_version';
        END IF;
        IF ref.batch_id IS NOT NULL AND NOT EXISTS
           (SELECT 1 FROM batches b WHERE b.program = p AND b.batch_id = ref.batch_id) THEN
            SELECT min(n.seq) INTO bad FROM new_entries n WHERE n.batch_id = ref.batch_id;
            RAISE EXCEPTION 'entry % of program % names batch %, which is not recorded',
                            bad.min, p, ref.batch_id
                USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'entries_batch';
        END IF;
        IF ref.settlement_id IS NOT NULL AND NOT EXISTS
           (SELECT 1 FROM settlements s
             WHERE s.program = p AND s.settlement_id = ref.settlement_id) THEN
            SELECT min(n.seq) INTO bad FROM new_entries n
             WHERE n.settlement_id = ref.settlement_id;
            RAISE EXCEPTION 'entry % of program % names settlement %, which is not recorded',
                            bad.min, p, ref.settlement_id
                USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'entries_settlement';
        END IF;
    END LOOP;
    -- Loans and events may differ on every row: one index probe each (an anti-join).
    SELECT n.seq, n.loan_id AS ref INTO bad FROM new_entries n
     WHERE n.loan_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM loans l WHERE l.program = p AND l.loan_id = n.loan_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'entry % of program % names loan %, which is not recorded',
                        bad.seq, p, bad.ref
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'entries_loan';
    END IF;
    SELECT n.seq, n.event_id AS ref INTO bad FROM new_entries n
     WHERE n.event_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM events v WHERE v.program = p AND v.event_id = n.event_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'entry % of program % names event %, which is not recorded',
                        bad.seq, p, bad.ref
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'entries_event';
    END IF;
    SELECT n.seq, n.reverses_seq AS ref INTO bad FROM new_entries n
     WHERE n.reverses_seq IS NOT NULL
       AND (n.reverses_seq >= n.seq
            OR NOT EXISTS (SELECT 1 FROM entries r
                            WHERE r.program = p AND r.seq = n.reverses_seq)) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'entry % of program % reverses entry %, which is not an earlier entry',
                        bad.seq, p, bad.ref
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'entries_reverses';
    END IF;
    UPDATE programs SET last_seq = agg.top, last_hash = agg.top_hash WHERE program = p;
    INSERT INTO journal_checks (program, first_seq, last_seq)
        VALUES (p, head.last_seq + 1, agg.top);
    RETURN NULL;
END
$$;

CREATE TRIGGER entries_chain AFTER INSERT ON entries
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION led_entries_chain();

-- At commit, for one statement's range of entries: each has exactly `legs` legs
-- numbered 1..legs (at least two), its debits equal its credits, and they do so for
-- each party.  One query finds the first entry that fails.  It reads the legs in key
-- order (program, seq, leg) and aggregates them per entry as they stream by, with no
-- sort: an entry whose legs name one party balances per party when it balances; only
-- an entry of several parties has its parties summed apart (a lookup of its legs).  A
-- second query, for the failing entry only, names the party.  The rows are new, so
-- the planner has no statistics and guesses a handful; the settings below keep it
-- from sorting or hashing millions of legs that the index already yields in order.
CREATE FUNCTION led_journal_verify() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT SET jit = off
SET enable_seqscan = off SET enable_bitmapscan = off SET enable_sort = off
SET enable_hashagg = off AS $$
DECLARE
    bad   record;
    party record;
BEGIN
    SELECT e.seq, e.legs, coalesce(s.n, 0) AS n, s.top_leg, s.debits, s.credits
      INTO bad
      FROM entries e
      LEFT JOIN (SELECT p.seq, count(*) AS n, max(p.leg) AS top_leg,
                        coalesce(sum(p.amount) FILTER (WHERE p.side = 'debit'), 0) AS debits,
                        coalesce(sum(p.amount) FILTER (WHERE p.side = 'credit'), 0) AS credits,
                        min(p.party) AS first_party, max(p.party) AS last_party
                   FROM postings p
                  WHERE p.program = NEW.program
                    AND p.seq BETWEEN NEW.first_seq AND NEW.last_seq
                  GROUP BY p.seq) s ON s.seq = e.seq
     WHERE e.program = NEW.program AND e.seq BETWEEN NEW.first_seq AND NEW.last_seq
       AND (s.n IS NULL OR s.n <> e.legs OR s.top_leg <> e.legs OR s.debits <> s.credits
            OR (s.first_party <> s.last_party
                AND EXISTS (SELECT 1 FROM postings q
                             WHERE q.program = NEW.program AND q.seq = e.seq
                             GROUP BY q.party
                            HAVING coalesce(sum(q.amount) FILTER (WHERE q.side = 'debit'), 0)
                                   <> coalesce(sum(q.amount) FILTER (WHERE q.side = 'credit'),
                                               0))))
     ORDER BY e.seq
     LIMIT 1;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF bad.n < 2 THEN
        RAISE EXCEPTION 'entry % of program % has % legs: an entry needs at least two',
                        bad.seq, NEW.program, bad.n
            USING ERRCODE = 'check_violation', CONSTRAINT = 'entry_balances';
    END IF;
    IF bad.n <> bad.legs OR bad.top_leg <> bad.legs THEN
        RAISE EXCEPTION 'entry % of program % has % legs numbered up to %, not legs 1 to %',
                        bad.seq, NEW.program, bad.n, bad.top_leg, bad.legs
            USING ERRCODE = 'check_violation', CONSTRAINT = 'entry_legs';
    END IF;
    IF bad.debits <> bad.credits THEN
        RAISE EXCEPTION 'entry % of program % does not balance: debits %, credits %',
                        bad.seq, NEW.program, bad.debits, bad.credits
            USING ERRCODE = 'check_violation', CONSTRAINT = 'entry_balances';
    END IF;
    SELECT q.party,
           coalesce(sum(q.amount) FILTER (WHERE q.side = 'debit'), 0) AS d,
           coalesce(sum(q.amount) FILTER (WHERE q.side = 'credit'), 0) AS c
      INTO party
      FROM postings q WHERE q.program = NEW.program AND q.seq = bad.seq
     GROUP BY q.party
    HAVING coalesce(sum(q.amount) FILTER (WHERE q.side = 'debit'), 0)
           <> coalesce(sum(q.amount) FILTER (WHERE q.side = 'credit'), 0)
     ORDER BY q.party
     LIMIT 1;
    RAISE EXCEPTION 'entry % of program % does not balance for party %: debits %, credits %',
                    bad.seq, NEW.program, party.party, party.d, party.c
        USING ERRCODE = 'check_violation', CONSTRAINT = 'entry_balances_per_party';
END
$$;

CREATE CONSTRAINT TRIGGER journal_checks_balance AFTER INSERT ON journal_checks
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION led_journal_verify();

-- A statement's legs belong to entries recorded in its transaction (whose recorded_at
-- is the transaction's time), so a committed entry never gains a leg.  Their count
-- and numbers are checked at commit (led_journal_verify).
CREATE FUNCTION led_postings_fresh() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT SET jit = off AS $$
DECLARE
    p   text;
    agg record;
BEGIN
    SELECT n.program INTO p FROM new_postings n LIMIT 1;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    SELECT bool_and(n.program = p) AS same, min(n.seq) AS lo, max(n.seq) AS hi
      INTO agg FROM new_postings n;
    PERFORM led_one_program(agg.same, p, 'legs');
    PERFORM led_entries_fresh(p, agg.lo, agg.hi, 'legs');
    RETURN NULL;
END
$$;

CREATE TRIGGER postings_fresh AFTER INSERT ON postings
    REFERENCING NEW TABLE AS new_postings
    FOR EACH STATEMENT EXECUTE FUNCTION led_postings_fresh();

-- A statement's claims are numbered by their writer from the locked head: claim_id =
-- last_claim_id + 1, + 2, ... in the order they came; each is opened by an entry of
-- the transaction and names a recorded loan (and event).  The counter advances once.
CREATE FUNCTION led_claims_numbering() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT SET jit = off AS $$
DECLARE
    p    text;
    head programs%ROWTYPE;
    agg  record;
    bad  record;
BEGIN
    SELECT n.program INTO p FROM new_claims n LIMIT 1;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    head := led_lock_head(p);
    SELECT bool_and(x.program = p) AS same, min(x.claim_id) FILTER (WHERE NOT x.next) AS bad_id,
           max(x.claim_id) AS top, min(x.seq) AS lo, max(x.seq) AS hi
      INTO agg
      FROM (SELECT n.program, n.claim_id, n.seq,
                   n.claim_id = coalesce(lag(n.claim_id) OVER w, head.last_claim_id) + 1 AS next
              FROM new_claims n WINDOW w AS ()) x;
    PERFORM led_one_program(agg.same, p, 'claims');
    IF agg.bad_id IS NOT NULL THEN
        SELECT x.* INTO bad
          FROM (SELECT n.claim_id,
                       coalesce(lag(n.claim_id) OVER w, head.last_claim_id) + 1 AS want
                  FROM new_claims n WINDOW w AS ()) x
         WHERE x.claim_id = agg.bad_id LIMIT 1;
        RAISE EXCEPTION 'claim % of program % is out of order: the next is %',
                        bad.claim_id, p, bad.want
            USING ERRCODE = 'check_violation', CONSTRAINT = 'claims_numbering',
                  HINT = 'Number claims from last_claim_id of led_chain_head().';
    END IF;
    PERFORM led_entries_fresh(p, agg.lo, agg.hi, 'claims');
    SELECT n.claim_id, n.loan_id AS ref INTO bad FROM new_claims n
     WHERE NOT EXISTS (SELECT 1 FROM loans l WHERE l.program = p AND l.loan_id = n.loan_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'claim % of program % names loan %, which is not recorded',
                        bad.claim_id, p, bad.ref
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'claims_loan';
    END IF;
    SELECT n.claim_id, n.event_id AS ref INTO bad FROM new_claims n
     WHERE n.event_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM events v WHERE v.program = p AND v.event_id = n.event_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'claim % of program % names event %, which is not recorded',
                        bad.claim_id, p, bad.ref
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'claims_event';
    END IF;
    UPDATE programs SET last_claim_id = agg.top WHERE program = p;
    RETURN NULL;
END
$$;

CREATE TRIGGER claims_numbering AFTER INSERT ON claims
    REFERENCING NEW TABLE AS new_claims
    FOR EACH STATEMENT EXECUTE FUNCTION led_claims_numbering();

-- A statement's loans name a recorded batch and a loaded policy version (what their
-- foreign keys checked): each distinct pair is looked up once.
CREATE FUNCTION led_loans_refs() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT SET jit = off AS $$
DECLARE
    ref record;
    bad record;
BEGIN
    FOR ref IN SELECT DISTINCT n.program, n.batch_id, n.policy_version FROM new_loans n LOOP
        IF NOT EXISTS (SELECT 1 FROM batches b
                        WHERE b.program = ref.program AND b.batch_id = ref.batch_id) THEN
            SELECT min(n.loan_id) AS loan_id INTO bad FROM new_loans n
             WHERE n.program = ref.program AND n.batch_id = ref.batch_id;
            RAISE EXCEPTION 'loan % of program % names batch %, which is not recorded',
                            bad.loan_id, ref.program, ref.batch_id
                USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'loans_batch';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM policies v
                        WHERE v.program = ref.program AND v.version = ref.policy_version) THEN
            SELECT min(n.loan_id) AS loan_id INTO bad FROM new_loans n
             WHERE n.program = ref.program AND n.policy_version = ref.policy_version;
            RAISE EXCEPTION 'loan % of program % names policy version %, which is not loaded',
                            bad.loan_id, ref.program, ref.policy_version
                USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'loans_policy_version';
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

CREATE TRIGGER loans_refs AFTER INSERT ON loans
    REFERENCING NEW TABLE AS new_loans
    FOR EACH STATEMENT EXECUTE FUNCTION led_loans_refs();

-- Settlements move forward in time: a run through a date on or before an earlier
-- run's is refused, naming that run.
CREATE FUNCTION led_settlement_order() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    prior record;
BEGIN
    SELECT settlement_id, through_date INTO prior
      FROM settlements WHERE program = NEW.program
     ORDER BY through_date DESC LIMIT 1;
    IF FOUND AND NEW.through_date <= prior.through_date THEN
        RAISE EXCEPTION 'program % is already settled through % (settlement %)',
                        NEW.program, prior.through_date, prior.settlement_id
            USING ERRCODE = 'unique_violation', CONSTRAINT = 'settlement_after_last';
    END IF;
    RETURN NEW;
END
$$;

-- Runs after settlements_10_number, which holds the program row's lock.
CREATE TRIGGER settlements_20_order BEFORE INSERT ON settlements
    FOR EACH ROW EXECUTE FUNCTION led_settlement_order();

-- A payment states the claim's open amount before it, which must be the claim's
-- amount less everything paid on it so far; `paid <= open_before` is a column check.
-- So a claim is never paid more than its amount, and its rows never change.
CREATE FUNCTION led_payment_open() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    claimed     numeric;
    paid_so_far numeric;
BEGIN
    SELECT amount INTO claimed FROM claims
     WHERE program = NEW.program AND claim_id = NEW.claim_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NEW;                         -- the foreign key reports it
    END IF;
    SELECT coalesce(sum(p.paid), 0) INTO paid_so_far FROM settlement_payments p
     WHERE p.program = NEW.program AND p.claim_id = NEW.claim_id;
    IF NEW.open_before <> claimed - paid_so_far THEN
        RAISE EXCEPTION 'claim % of program % has % open, not %',
                        NEW.claim_id, NEW.program, claimed - paid_so_far, NEW.open_before
            USING ERRCODE = 'check_violation', CONSTRAINT = 'payment_open_before';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER settlement_payments_open BEFORE INSERT ON settlement_payments
    FOR EACH ROW EXECUTE FUNCTION led_payment_open();
