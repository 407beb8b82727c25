-- 009_agency_rls.sql -- an agency's rows name only its own loans and batches.
--
-- Row-level security let the `agency` role insert any row whose `agency` column was its
-- own (003_roles.sql, 004_batches.sql, 005_events.sql): so an agency could record a
-- repayment or a default on another agency's loan, a funding (finance's work), a loan in
-- another agency's batch, or a rejection in it.  Each agency policy now also checks what
-- the row refers to.  riskshare writes as the tables' owner, whom these policies do not
-- bind; they bind a client acting as `agency` (docs/database.md, Roles).  Found by
-- tests/test_security.c (security/agency_cannot_name_another_agencys_loan).

ALTER POLICY events_agency ON events
    WITH CHECK (agency = current_setting('riskshare.agency', true)
                AND kind <> 'funding'
                AND EXISTS (SELECT 1 FROM loans l
                             WHERE l.program = events.program AND l.loan_id = events.loan_id
                               AND l.agency = events.agency));

ALTER POLICY defaults_agency ON defaults
    WITH CHECK (agency = current_setting('riskshare.agency', true)
                AND EXISTS (SELECT 1 FROM loans l
                             WHERE l.program = defaults.program
                               AND l.loan_id = defaults.loan_id
                               AND l.agency = defaults.agency));

ALTER POLICY loans_agency ON loans
    WITH CHECK (agency = current_setting('riskshare.agency', true)
                AND EXISTS (SELECT 1 FROM batches b
                             WHERE b.program = loans.program AND b.batch_id = loans.batch_id
                               AND b.agency = loans.agency));

ALTER POLICY batch_rejections_agency ON batch_rejections
    WITH CHECK (agency = current_setting('riskshare.agency', true)
                AND EXISTS (SELECT 1 FROM batches b
                             WHERE b.program = batch_rejections.program
                               AND b.batch_id = batch_rejections.batch_id
                               AND b.agency = batch_rejections.agency));
