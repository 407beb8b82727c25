-- 007_settlement_checks.sql -- settlement payments checked once per statement.
--
-- A settlement of 100,000 open claims writes 100,000 settlement_payments rows in one
-- COPY.  Their row trigger (led_payment_open, 002_guards.sql: a row lock on the claim
-- and a sum per row) and three foreign keys (settlements, claims, entries) ran five
-- queries and wrote a claim tuple per row: about a third of such a commit.  As for the
-- other high-volume tables (001_init.sql), one statement-level trigger now checks the
-- statement's new rows with a few set-based queries:
--   - the rows belong to one program and one recorded settlement, and are written under
--     the program row's lock (led_lock_head), which every writer of the program's
--     entries holds too: so payments of a program are written one settlement at a
--     time, and the sums below see every earlier payment;
--   - each claim is recorded, and its open_before equals its amount less what other
--     settlements paid on it (the check of 002, same message and constraint name);
--     `paid <= open_before` stays a column check, so no claim is paid beyond its amount;
--   - a paid row names an entry of its own settlement, recorded in this transaction,
--     with a leg that debits the paying pool's payable by exactly the amount paid; no
--     entry pays two claims.
-- SQLSTATEs as 002: 23503 for a missing reference, 23514 for a failed check.

DROP TRIGGER settlement_payments_open ON settlement_payments;
DROP FUNCTION led_payment_open();
ALTER TABLE settlement_payments
    DROP CONSTRAINT settlement_payments_program_settlement_id_fkey,
    DROP CONSTRAINT settlement_payments_program_claim_id_fkey,
    DROP CONSTRAINT settlement_payments_program_seq_fkey;

CREATE FUNCTION led_payments_check() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT SET jit = off AS $$
DECLARE
    p   text;
    s   bigint;
    agg record;
    bad record;
BEGIN
    SELECT n.program INTO p FROM new_payments n LIMIT 1;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    -- One program and one recorded settlement, under the program's lock.
    PERFORM led_lock_head(p);
    SELECT bool_and(n.program = p) AS same, min(n.settlement_id) AS lo,
           max(n.settlement_id) AS hi, count(n.seq) AS seqs, count(DISTINCT n.seq) AS distinct_seqs
      INTO agg FROM new_payments n;
    PERFORM led_one_program(agg.same, p, 'settlement payments');
    IF agg.lo <> agg.hi THEN
        RAISE EXCEPTION 'a statement records the payments of one settlement: this one mixes settlements % and % of program %', agg.lo, agg.hi, p
            USING ERRCODE = 'check_violation', CONSTRAINT = 'payments_one_settlement';
    END IF;
    s := agg.lo;
    IF NOT EXISTS (SELECT 1 FROM settlements t WHERE t.program = p AND t.settlement_id = s) THEN
        RAISE EXCEPTION 'settlement % of program % is not recorded: it takes no payments', s, p
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'payments_settlement';
    END IF;
    IF agg.seqs <> agg.distinct_seqs THEN
        RAISE EXCEPTION 'settlement % of program % pays two claims with one entry', s, p
            USING ERRCODE = 'check_violation', CONSTRAINT = 'payments_entry';
    END IF;
    -- Each claim is recorded and states what is open before this settlement.
    SELECT n.claim_id, n.open_before, c.claim_id IS NULL AS missing,
           c.amount - coalesce(o.paid, 0) AS open
      INTO bad
      FROM new_payments n
      LEFT JOIN claims c ON c.program = p AND c.claim_id = n.claim_id
      LEFT JOIN LATERAL (SELECT sum(q.paid) AS paid FROM settlement_payments q
                          WHERE q.program = p AND q.claim_id = n.claim_id
                            AND q.settlement_id <> s) o ON true
     WHERE c.claim_id IS NULL OR n.open_before <> c.amount - coalesce(o.paid, 0)
     LIMIT 1;
    IF FOUND AND bad.missing THEN
        RAISE EXCEPTION 'settlement % of program % pays claim %, which is not recorded',
                        s, p, bad.claim_id
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'payments_claim';
    ELSIF FOUND THEN
        RAISE EXCEPTION 'claim % of program % has % open, not %',
                        bad.claim_id, p, bad.open, bad.open_before
            USING ERRCODE = 'check_violation', CONSTRAINT = 'payment_open_before';
    END IF;
    -- Each paid row names the entry of this settlement that pays it, recorded now.
    SELECT n.claim_id, n.seq INTO bad
      FROM new_payments n
      JOIN claims c ON c.program = p AND c.claim_id = n.claim_id
      LEFT JOIN entries e ON e.program = p AND e.seq = n.seq
     WHERE n.seq IS NOT NULL
       AND (e.seq IS NULL OR e.settlement_id IS DISTINCT FROM s OR e.recorded_at <> now()
            OR NOT EXISTS (SELECT 1 FROM postings l
                            WHERE l.program = p AND l.seq = n.seq AND l.party = c.payer
                              AND l.kind = 'payable' AND l.side = 'debit'
                              AND l.amount = n.paid))
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'settlement % of program % pays claim % with entry %, which is not its payment in this settlement', s, p, bad.claim_id, bad.seq
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'payments_entry';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER settlement_payments_check AFTER INSERT ON settlement_payments
    REFERENCING NEW TABLE AS new_payments
    FOR EACH STATEMENT EXECUTE FUNCTION led_payments_check();
