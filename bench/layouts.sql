-- bench/layouts.sql -- two smaller layouts of the ledger, as tables that bench/admission.sh
-- COPYs a submit's recorded rows into, beside the COPY floor (docs/database.md, "Why
-- submit / COPY stays above 6").  Prototypes for measurement only: no migration makes
-- them, and nothing reads them.

-- 1. An entry carries its legs as arrays (parties, kinds, amounts signed: debit > 0,
--    credit < 0) with their checks; there are no posting rows.
CREATE TABLE layout_entry_legs (LIKE entries INCLUDING ALL);
ALTER TABLE layout_entry_legs
    DROP COLUMN legs,
    ADD COLUMN leg_party text[] NOT NULL,
    ADD COLUMN leg_kind text[] NOT NULL,
    ADD COLUMN leg_amount fen[] NOT NULL,
    ADD CONSTRAINT layout_legs CHECK (cardinality(leg_party) >= 2 AND array_ndims(leg_party) = 1
        AND cardinality(leg_kind) = cardinality(leg_party)
        AND cardinality(leg_amount) = cardinality(leg_party)
        AND array_position(leg_amount, NULL) IS NULL AND array_position(leg_amount, 0) IS NULL),
    ADD CONSTRAINT layout_kinds CHECK (leg_kind <@ '{cash,capital,fee_income,subsidy_expense,loss,recovery,receivable,payable,external}'::text[]),
    ADD CONSTRAINT layout_parties CHECK (array_position(leg_party, NULL) IS NULL
        AND array_to_string(leg_party, ',') !~ '[^A-Za-z0-9._,-]');

-- 2. A loan row carries its guarantee-fee entry (seq, prev_hash, hash), with a key on seq
--    and the chain checked in one pass over the statement's loans; no entry or posting
--    rows for the fee.  The rows come from a fresh ledger: the chain starts at zero.
CREATE TABLE layout_loan_fee (LIKE loans INCLUDING ALL);
ALTER TABLE layout_loan_fee
    ADD COLUMN fee_seq bigint NOT NULL CHECK (fee_seq > 0),
    ADD COLUMN fee_prev_hash text COLLATE "C" NOT NULL,
    ADD COLUMN fee_hash sha256_hex NOT NULL;
CREATE UNIQUE INDEX layout_loan_fee_seq ON layout_loan_fee (program, fee_seq);

CREATE FUNCTION layout_loan_fee_chain() RETURNS trigger
LANGUAGE plpgsql SET jit = off AS $$
DECLARE
    bad bigint;
BEGIN
    SELECT min(x.fee_seq) FILTER (WHERE NOT x.linked) INTO bad
      FROM (SELECT n.fee_seq,
                   n.fee_seq = coalesce(lag(n.fee_seq) OVER w, 0) + 1
                   AND n.fee_prev_hash = coalesce(lag(n.fee_hash) OVER w, repeat('0', 64))
                   AS linked
              FROM new_loans n WINDOW w AS ()) x;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'fee entry % does not extend its chain', bad;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER layout_loan_fee_chain AFTER INSERT ON layout_loan_fee
    REFERENCING NEW TABLE AS new_loans
    FOR EACH STATEMENT EXECUTE FUNCTION layout_loan_fee_chain();
