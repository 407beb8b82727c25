-- 004_batches.sql -- what a batch submission records besides its admitted loans.
--
-- A repeated `batch submit` of the same file prints the report recorded the first
-- time: admitted loans come from `loans` (rule, fee, subsidy, line), rejected ones
-- from `batch_rejections`, in file order (line_no).

CREATE TABLE batch_rejections (
    program  program_id NOT NULL,
    batch_id bigint NOT NULL,
    line_no  integer NOT NULL CHECK (line_no > 1),
    loan_id  ident NOT NULL,
    agency   ident NOT NULL,
    reasons  text NOT NULL CHECK (reasons ~ '^[A-Za-z0-9._:;-]+$'),
    PRIMARY KEY (program, batch_id, line_no),
    FOREIGN KEY (program, batch_id) REFERENCES batches
);

CREATE TRIGGER batch_rejections_append_only BEFORE UPDATE OR DELETE ON batch_rejections
    FOR EACH ROW EXECUTE FUNCTION led_refuse_change();
CREATE TRIGGER batch_rejections_no_truncate BEFORE TRUNCATE ON batch_rejections
    FOR EACH STATEMENT EXECUTE FUNCTION led_refuse_change();

GRANT SELECT ON batch_rejections TO finance, auditor;
GRANT SELECT, INSERT ON batch_rejections TO agency;
ALTER TABLE batch_rejections ENABLE ROW LEVEL SECURITY;
CREATE POLICY batch_rejections_agency ON batch_rejections TO agency
    USING (agency = current_setting('riskshare.agency', true))
    WITH CHECK (agency = current_setting('riskshare.agency', true));
CREATE POLICY batch_rejections_office ON batch_rejections FOR SELECT TO finance, auditor
    USING (true);

-- Each loan's life as far as admission needs it: what is still owed, and the day it
-- stopped being outstanding (repaid in full or defaulted), DESIGN 10.
CREATE VIEW loan_state AS
SELECT l.program, l.loan_id, l.agency, l.borrower_code, l.bank, l.guarantor, l.principal,
       l.start_date,
       CASE WHEN d.event_date IS NOT NULL THEN 0
            ELSE l.principal - coalesce(r.repaid, 0) END AS outstanding,
       coalesce(d.event_date,
                CASE WHEN coalesce(r.repaid, 0) >= l.principal THEN r.last_date END) AS end_date
  FROM loans l
  LEFT JOIN (SELECT program, loan_id, sum(amount) AS repaid, max(event_date) AS last_date
               FROM events WHERE kind = 'repayment'
              GROUP BY program, loan_id) r USING (program, loan_id)
  LEFT JOIN (SELECT program, loan_id, min(event_date) AS event_date
               FROM events WHERE kind = 'default'
              GROUP BY program, loan_id) d USING (program, loan_id);

-- The loss base B of each default: the credit to the bank's `external` account that
-- only a default entry makes (DESIGN 7), dated by the default.
CREATE VIEW default_losses AS
SELECT e.program, e.loan_id, e.business_date AS default_date, p.amount AS loss_base
  FROM entries e
  JOIN postings p ON p.program = e.program AND p.seq = e.seq
 WHERE e.kind = 'default' AND p.kind = 'external' AND p.side = 'credit';

GRANT SELECT ON loan_state, default_losses TO finance, auditor;
