-- 003_roles.sql -- roles, privileges and row-level security (DESIGN 7).
--
-- agency   submits batches, loans and loan events, and reads only its own rows of
--          batches, loans and events (row-level security on the `agency` column
--          against the setting riskshare.agency); it inserts the entries, legs and
--          claims its submissions produce.
-- finance  loads policies, records funding and settlements; reads everything.
-- auditor  reads everything, changes nothing.
-- No role has UPDATE, DELETE or TRUNCATE on a ledger table.  They are NOLOGIN group
-- roles: grant them to login roles (GRANT agency TO zz_guarantee), or SET ROLE.
-- Roles belong to the whole cluster, so they are created only when missing, and a
-- migration of another database creating them at the same moment is tolerated.
-- Tables added by later migrations need their own grants.

DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['agency', 'finance', 'auditor'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;                       -- created meanwhile by another database
            END;
        END IF;
        -- The migrating role (the tables' owner) may act as each role: SET ROLE.
        IF NOT pg_has_role(current_user, r, 'MEMBER') THEN
            EXECUTE format('GRANT %I TO %I', r, current_user);
        END IF;
    END LOOP;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO agency, finance, auditor', current_schema());
END
$$;

GRANT SELECT ON schema_version, programs, policies, batches, loans, events, entries, postings,
                claims, settlements, settlement_payments, journal_checks, claims_open,
                account_balances
    TO finance, auditor;
GRANT INSERT ON policies, events, entries, postings, claims, settlements, settlement_payments
    TO finance;
GRANT SELECT ON schema_version, programs, policies TO agency;
GRANT SELECT, INSERT ON batches, loans, events TO agency;
GRANT INSERT ON entries, postings, claims TO agency;

REVOKE ALL ON FUNCTION led_chain_head(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION led_chain_head(text) TO agency, finance;
-- Helpers of the triggers (which call them as the owner): nobody else needs them.
REVOKE ALL ON FUNCTION led_lock_head(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION led_entries_fresh(text, bigint, bigint, text) FROM PUBLIC;

-- An agency sees and writes only rows carrying its id, the setting riskshare.agency
-- of the session (SET LOCAL riskshare.agency = 'zz-guarantee'); unset, it sees none.
-- The setting is the application's word: riskshare sets it from --agency.
ALTER TABLE batches ENABLE ROW LEVEL SECURITY;
ALTER TABLE loans ENABLE ROW LEVEL SECURITY;
ALTER TABLE events ENABLE ROW LEVEL SECURITY;

CREATE POLICY batches_agency ON batches TO agency
    USING (agency = current_setting('riskshare.agency', true))
    WITH CHECK (agency = current_setting('riskshare.agency', true));
CREATE POLICY batches_office ON batches FOR SELECT TO finance, auditor USING (true);

CREATE POLICY loans_agency ON loans TO agency
    USING (agency = current_setting('riskshare.agency', true))
    WITH CHECK (agency = current_setting('riskshare.agency', true));
CREATE POLICY loans_office ON loans FOR SELECT TO finance, auditor USING (true);

CREATE POLICY events_agency ON events TO agency
    USING (agency = current_setting('riskshare.agency', true))
    WITH CHECK (agency = current_setting('riskshare.agency', true));
CREATE POLICY events_office ON events FOR SELECT TO finance, auditor USING (true);
CREATE POLICY events_finance ON events FOR INSERT TO finance WITH CHECK (true);
