-- 005_events.sql -- what `events import` records besides its events and entries
-- (DESIGN 6 Default, 7; docs/database.md "Events").
--
-- 1. Events are numbered by their writer, like claims: event_no = last_event_no + 1,
--    + 2, ... in the order they came, checked once per statement; the counter moves
--    once.  (A row trigger would update the program's row once per event: a
--    100,000-event import would build a chain of 100,000 row versions.)
-- 2. `defaults` keeps each default's loss base and how it was decided (the trace:
--    raw split, each cap or breaker that cut a part, the residual); `default_parts`
--    one row per party of the loan's version: its share, raw part and final part
--    a_P.  Cap running totals (DESIGN 10) are sums of `default_parts.amount`.
--    Each default's raw and final parts sum to its loss base (checked per statement).
-- 3. References are checked once per statement, as for loans and entries (002): an
--    event names a recorded loan, a default its event and loan, a part its default.
--    A row foreign key would lock the referenced row (FOR KEY SHARE, a WAL record)
--    once per row; the rows referred to are append-only and their program's writers
--    hold its head, so a set-based check per statement is as strong.

DROP TRIGGER events_number ON events;
ALTER TABLE events DROP CONSTRAINT events_program_loan_id_fkey;

CREATE FUNCTION led_events_numbering() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT SET jit = off AS $$
DECLARE
    p    text;
    head programs%ROWTYPE;
    agg  record;
    bad  record;
BEGIN
    SELECT n.program INTO p FROM new_events n LIMIT 1;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    head := led_lock_head(p);
    SELECT bool_and(x.program = p) AS same, min(x.event_no) FILTER (WHERE NOT x.next) AS bad_no,
           max(x.event_no) AS top
      INTO agg
      FROM (SELECT n.program, n.event_no,
                   n.event_no = coalesce(lag(n.event_no) OVER w, head.last_event_no) + 1 AS next
              FROM new_events n WINDOW w AS ()) x;
    PERFORM led_one_program(agg.same, p, 'events');
    IF agg.bad_no IS NOT NULL THEN
        RAISE EXCEPTION 'event number % of program % is out of order (the head is %)',
                        agg.bad_no, p, head.last_event_no
            USING ERRCODE = 'check_violation', CONSTRAINT = 'events_numbering',
                  HINT = 'Number events from last_event_no of the locked program row.';
    END IF;
    SELECT n.event_id, n.loan_id INTO bad FROM new_events n
     WHERE n.loan_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM loans l WHERE l.program = p AND l.loan_id = n.loan_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'event % of program % names loan %, which is not recorded',
                        bad.event_id, p, bad.loan_id
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'events_loan';
    END IF;
    UPDATE programs SET last_event_no = agg.top WHERE program = p;
    RETURN NULL;
END
$$;

CREATE TRIGGER events_numbering AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION led_events_numbering();

CREATE TABLE defaults (
    program        program_id NOT NULL,
    event_id       ident NOT NULL,
    loan_id        ident NOT NULL,
    agency         ident NOT NULL,
    bank           ident NOT NULL,
    guarantor      ident,                          -- NULL: a direct loan
    default_date   date NOT NULL,
    policy_version integer NOT NULL,
    outstanding    fen NOT NULL CHECK (outstanding > 0),
    interest       fen NOT NULL CHECK (interest >= 0),
    loss_base      fen NOT NULL,
    claimant       ident NOT NULL,
    residual       ident NOT NULL,
    trace          text NOT NULL,                  -- JSON: raw parts, cuts, breakers
    PRIMARY KEY (program, event_id),
    UNIQUE (program, loan_id),
    CHECK (loss_base = outstanding + interest)
);

CREATE TABLE default_parts (
    program  program_id NOT NULL,
    event_id ident NOT NULL,
    position smallint NOT NULL CHECK (position >= 0),   -- party order of the version
    party    ident NOT NULL,
    share    ratio NOT NULL,
    raw      fen NOT NULL CHECK (raw >= 0),
    amount   fen NOT NULL CHECK (amount >= 0),
    cut_by   text,                                       -- `caps[i]` or `breaker:<id>`, `;`-joined
    PRIMARY KEY (program, event_id, position)
);

-- A statement's defaults name recorded default events of their loans.
CREATE FUNCTION led_defaults_refs() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT SET jit = off AS $$
DECLARE
    bad record;
BEGIN
    SELECT n.program, n.event_id INTO bad FROM new_defaults n
      LEFT JOIN events e ON e.program = n.program AND e.event_id = n.event_id
     WHERE e.event_id IS NULL OR e.kind <> 'default' OR e.loan_id IS DISTINCT FROM n.loan_id
        OR e.event_date <> n.default_date
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'default % of program % is not a recorded default event of its loan',
                        bad.event_id, bad.program
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'defaults_event';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER defaults_refs AFTER INSERT ON defaults
    REFERENCING NEW TABLE AS new_defaults
    FOR EACH STATEMENT EXECUTE FUNCTION led_defaults_refs();

-- Every default of a statement is split exactly: its raw parts and its final parts
-- each sum to its loss base.
CREATE FUNCTION led_default_parts_sum() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT SET jit = off AS $$
DECLARE
    bad record;
BEGIN
    SELECT s.event_id, d.loss_base, s.raw, s.amount INTO bad
      FROM (SELECT program, event_id, sum(raw) AS raw, sum(amount) AS amount
              FROM new_parts GROUP BY program, event_id) s
      LEFT JOIN defaults d USING (program, event_id)
     WHERE d.event_id IS NULL OR s.raw <> d.loss_base OR s.amount <> d.loss_base
     LIMIT 1;
    IF FOUND AND bad.loss_base IS NULL THEN
        RAISE EXCEPTION 'default parts name default %, which is not recorded', bad.event_id
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'default_parts_default';
    END IF;
    IF FOUND THEN
        RAISE EXCEPTION 'default % does not split exactly: loss base %, raw parts %, parts %',
                        bad.event_id, bad.loss_base, bad.raw, bad.amount
            USING ERRCODE = 'check_violation', CONSTRAINT = 'default_parts_sum';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER default_parts_sum AFTER INSERT ON default_parts
    REFERENCING NEW TABLE AS new_parts
    FOR EACH STATEMENT EXECUTE FUNCTION led_default_parts_sum();

CREATE TRIGGER defaults_append_only BEFORE UPDATE OR DELETE ON defaults
    FOR EACH ROW EXECUTE FUNCTION led_refuse_change();
CREATE TRIGGER defaults_no_truncate BEFORE TRUNCATE ON defaults
    FOR EACH STATEMENT EXECUTE FUNCTION led_refuse_change();
CREATE TRIGGER default_parts_append_only BEFORE UPDATE OR DELETE ON default_parts
    FOR EACH ROW EXECUTE FUNCTION led_refuse_change();
CREATE TRIGGER default_parts_no_truncate BEFORE TRUNCATE ON default_parts
    FOR EACH STATEMENT EXECUTE FUNCTION led_refuse_change();

GRANT SELECT ON defaults, default_parts TO finance, auditor;
GRANT SELECT, INSERT ON defaults TO agency;
GRANT INSERT ON default_parts TO agency;
ALTER TABLE defaults ENABLE ROW LEVEL SECURITY;
CREATE POLICY defaults_agency ON defaults TO agency
    USING (agency = current_setting('riskshare.agency', true))
    WITH CHECK (agency = current_setting('riskshare.agency', true));
CREATE POLICY defaults_office ON defaults FOR SELECT TO finance, auditor USING (true);

-- The loss base of each default, now read from `defaults` (the same rows the entries
-- carry: the credit to the bank's `external` account), without scanning the journal.
CREATE OR REPLACE VIEW default_losses AS
SELECT program::text COLLATE "C" AS program, loan_id::text COLLATE "C" AS loan_id, default_date,
       loss_base
  FROM defaults;
