-- 002_guards.sql -- what the database itself enforces on the ledger (DESIGN 7).
--
-- 1. Append-only: UPDATE, DELETE and TRUNCATE of a ledger table are refused
--    (SQLSTATE 23001); corrections are reversing entries.  The application's roles
--    have no UPDATE or DELETE privilege either (003_roles.sql).
-- 2. Balance: at commit, every entry has at least two legs, its debits equal its
--    credits, and they do so for each party (SQLSTATE 23514, constraints
--    `entry_balances` and `entry_balances_per_party`).
-- 3. Chain: entries extend their program's chain: seq = head + 1 and prev_hash =
--    head hash, under the program row's lock, so seq is gap-free and chain order is
--    commit order.  Legs are recorded in the transaction that records their entry.
-- 4. Numbers: batches, events, claims and settlements are numbered per program from
--    the program row's counters.
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
                             'claims', 'settlements', 'settlement_payments'] LOOP
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
CREATE TRIGGER claims_number BEFORE INSERT ON claims
    FOR EACH ROW EXECUTE FUNCTION led_assign_number('last_claim_id', 'claim_id');
CREATE TRIGGER settlements_10_number BEFORE INSERT ON settlements
    FOR EACH ROW EXECUTE FUNCTION led_assign_number('last_settlement_id', 'settlement_id');

-- The head of a program's chain, locked until the end of the transaction: a writer
-- reads it, hashes its entries, and inserts them before committing.
CREATE FUNCTION led_chain_head(p_program text, OUT last_seq bigint, OUT last_hash text)
LANGUAGE sql SECURITY DEFINER SET search_path FROM CURRENT AS $$
    SELECT last_seq, last_hash::text FROM programs WHERE program = p_program FOR UPDATE
$$;

-- An entry extends its program's chain and is recorded at the transaction's time.
CREATE FUNCTION led_entry_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    head programs%ROWTYPE;
BEGIN
    SELECT * INTO head FROM programs WHERE program = NEW.program FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'program % has no policy loaded', NEW.program
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF NEW.seq IS DISTINCT FROM head.last_seq + 1
       OR NEW.prev_hash IS DISTINCT FROM head.last_hash THEN
        RAISE EXCEPTION 'entry % of program % does not extend its chain: the next entry is % after %',
                        NEW.seq, NEW.program, head.last_seq + 1, head.last_hash
            USING ERRCODE = 'check_violation', CONSTRAINT = 'entry_chain',
                  HINT = 'Read the head with led_chain_head() in the writing transaction.';
    END IF;
    IF NEW.recorded_at IS DISTINCT FROM now() THEN
        RAISE EXCEPTION 'entry % of program % must be recorded at the transaction time',
                        NEW.seq, NEW.program
            USING ERRCODE = 'check_violation', CONSTRAINT = 'entry_recorded_now';
    END IF;
    UPDATE programs SET last_seq = NEW.seq, last_hash = NEW.hash WHERE program = NEW.program;
    RETURN NEW;
END
$$;

CREATE TRIGGER entries_chain BEFORE INSERT ON entries
    FOR EACH ROW EXECUTE FUNCTION led_entry_chain();

-- Legs are recorded in the transaction that records their entry (whose recorded_at
-- is that transaction's time), so a committed entry never gains a leg.
CREATE FUNCTION led_posting_fresh() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    recorded timestamptz;
BEGIN
    SELECT recorded_at INTO recorded FROM entries WHERE program = NEW.program AND seq = NEW.seq;
    IF FOUND AND recorded <> now() THEN
        RAISE EXCEPTION 'entry % of program % is already recorded: it takes no new legs',
                        NEW.seq, NEW.program
            USING ERRCODE = 'restrict_violation',
                  HINT = 'Correct the ledger with a reversing entry.';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER postings_fresh BEFORE INSERT ON postings
    FOR EACH ROW EXECUTE FUNCTION led_posting_fresh();

-- At commit: the entry has legs, balances, and balances for each party.
CREATE FUNCTION led_entry_balanced() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    legs    bigint;
    debits  numeric;
    credits numeric;
    bad     record;
BEGIN
    SELECT count(*),
           coalesce(sum(amount) FILTER (WHERE side = 'debit'), 0),
           coalesce(sum(amount) FILTER (WHERE side = 'credit'), 0)
      INTO legs, debits, credits
      FROM postings WHERE program = NEW.program AND seq = NEW.seq;
    IF legs < 2 THEN
        RAISE EXCEPTION 'entry % of program % has % legs: an entry needs at least two',
                        NEW.seq, NEW.program, legs
            USING ERRCODE = 'check_violation', CONSTRAINT = 'entry_balances';
    END IF;
    IF debits <> credits THEN
        RAISE EXCEPTION 'entry % of program % does not balance: debits %, credits %',
                        NEW.seq, NEW.program, debits, credits
            USING ERRCODE = 'check_violation', CONSTRAINT = 'entry_balances';
    END IF;
    SELECT party,
           coalesce(sum(amount) FILTER (WHERE side = 'debit'), 0) AS d,
           coalesce(sum(amount) FILTER (WHERE side = 'credit'), 0) AS c
      INTO bad
      FROM postings WHERE program = NEW.program AND seq = NEW.seq
     GROUP BY party
    HAVING coalesce(sum(amount) FILTER (WHERE side = 'debit'), 0)
           <> coalesce(sum(amount) FILTER (WHERE side = 'credit'), 0)
     ORDER BY party COLLATE "C"
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'entry % of program % does not balance for party %: debits %, credits %',
                        NEW.seq, NEW.program, bad.party, bad.d, bad.c
            USING ERRCODE = 'check_violation', CONSTRAINT = 'entry_balances_per_party';
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER entries_balance AFTER INSERT ON entries
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION led_entry_balanced();

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
