-- 009_row_checks.sql -- the domains' checks become the tables' own CHECK constraints.
--
-- A domain's CHECK runs through the domain's input path for every value COPY stores,
-- which costs far more than the same expression as a table CHECK.  Measured on a
-- 200,000-loan batch copied into scratch tables shaped like ours (2 cores): loans
-- 1.84 s with the domains' checks, 1.29 s with the same checks as table constraints,
-- postings 1.10 s and 0.90 s; entries gain likewise.  A million-loan `batch submit`
-- stores a million loans, 0.9 million entries and 1.9 million postings, so the
-- domains cost it several seconds for nothing.
--
-- So every column of a base table typed with `fen`, `ratio`, `sha256_hex` or `ident`
-- gets each check of its domain as a table constraint named `<column>_<check>` (for
-- example postings' `amount_fen_whole`, loans' `loan_id_ident_form`), with the same
-- expression, and then the domains drop their checks.  The rules a row must satisfy
-- are exactly those of before; only the name in an error changes: `new row for
-- relation "postings" violates check constraint "amount_fen_whole"` instead of `value
-- for domain fen violates check constraint "fen_whole"`.  The domains stay as the
-- columns' types, naming what a column holds.  Every table is checked when its
-- constraints are added, so a database migrated with rows in it is proven to hold.
--
-- `program_id` keeps its check: it types the program column of low-volume tables only.
-- A table added from now on that uses these domains must add its checks itself.

DO $$
DECLARE
    t    record;
    c    record;
    adds text;
BEGIN
    FOR t IN SELECT cl.oid, cl.relname
               FROM pg_class cl
               JOIN pg_namespace ns ON ns.oid = cl.relnamespace
              WHERE ns.nspname = current_schema() AND cl.relkind = 'r'
              ORDER BY cl.relname LOOP
        adds := NULL;
        FOR c IN SELECT a.attname, con.conname, pg_get_constraintdef(con.oid) AS def
                   FROM pg_attribute a
                   JOIN pg_type ty ON ty.oid = a.atttypid
                   JOIN pg_constraint con ON con.contypid = ty.oid AND con.contype = 'c'
                  WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
                    AND ty.typtype = 'd'
                    AND ty.typname IN ('fen', 'ratio', 'sha256_hex', 'ident')
                  ORDER BY a.attnum, con.conname LOOP
            -- def is `CHECK (...VALUE...)`: the column takes VALUE's place.
            adds := concat_ws(', ', adds,
                              format('ADD CONSTRAINT %I %s', c.attname || '_' || c.conname,
                                     regexp_replace(c.def, '\mVALUE\M', quote_ident(c.attname),
                                                    'g')));
        END LOOP;
        IF adds IS NOT NULL THEN
            EXECUTE format('ALTER TABLE %I %s', t.relname, adds);
        END IF;
    END LOOP;
END
$$;

ALTER DOMAIN fen DROP CONSTRAINT fen_whole;
ALTER DOMAIN fen DROP CONSTRAINT fen_range;
ALTER DOMAIN ratio DROP CONSTRAINT ratio_exact;
ALTER DOMAIN sha256_hex DROP CONSTRAINT sha256_hex_form;
ALTER DOMAIN ident DROP CONSTRAINT ident_form;
