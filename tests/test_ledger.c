/*
 * test_ledger.c -- the ledger adapter against a real PostgreSQL (tests/run.sh).
 *
 * Goal: prove what the database itself guarantees, whatever the application does:
 * migrations apply once, in order, and refuse a changed or newer schema; ledger rows
 * are append-only for every role (privileges) and for the owner (triggers); an entry
 * that does not balance, in total or for one party, never commits; a non-fen amount
 * is refused, not rounded; the hash chain has no gaps; a claim is never paid beyond
 * its amount; policy versions are immutable; the auditor only reads; an agency sees
 * only its own loans.  Also the connection string's order of choice, password
 * masking, the local cluster's life cycle, and `riskshare db` usage.  Each test
 * takes a fresh database, so Criterion's parallel workers never meet.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd_db.h"
#include "ledger.h"
#include "migrate.h"
#include "pg_harness.h"

#define PROGRAM "zz-kejidai"
#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"
#define HASH_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HASH_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static const char policy_v3[] = "program: zz-kejidai\nversion: 3\n";

/* A fresh, migrated database: `*out_db` through riskshare, `*out_conn` plain libpq. */
static void fresh(led_db **out_db, PGconn **out_conn)
{
    char conninfo[1024];
    eng_error err;

    pgh_fresh_db(conninfo, sizeof(conninfo));
    eng_error_clear(&err);
    cr_assert_eq(led_connect(out_db, conninfo, &err), ENG_OK, "%s", err.message);
    *out_conn = pgh_connect(conninfo);
}

/* Stores version `version` of PROGRAM with `text` as its bytes. */
static eng_status store(led_db *db, long version, const char *text, int *out_inserted,
                        eng_error *err)
{
    led_policy_row row = {
        .program = PROGRAM, .version = version, .bytes = (const unsigned char *)text,
        .len = strlen(text), .title = "郑科贷 科技型企业贷款风险补偿",
        .legal_ref = "郑政办〔2018〕97号", .effective_from = "2021-01-01",
        .effective_to = "2022-12-31", .normalised = "normalised text\n",
    };

    eng_error_clear(err);
    return led_policy_store(db, &row, out_inserted, err);
}

static void store_ok(led_db *db)
{
    eng_error err;
    int inserted = -1;

    cr_assert_eq(store(db, 3, policy_v3, &inserted, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(inserted, 1);
}

/* An entry `seq` after `prev` declaring two legs, as one statement list (no commit). */
static void entry_sql(char *out, size_t n, int seq, const char *prev, const char *legs)
{
    snprintf(out, n,
             "INSERT INTO entries (program, seq, kind, policy_version, business_date,"
             " prev_hash, hash, legs) VALUES ('" PROGRAM "', %d, 'funding', 3, '2024-01-02',"
             " '%s', '%s', 2);"
             " INSERT INTO postings (program, seq, leg, party, kind, side, amount) VALUES %s",
             seq, prev, seq == 1 ? HASH_A : HASH_B, legs);
}

static const char funding_legs_1[] =
    "('" PROGRAM "', 1, 1, 'zz-pool', 'cash', 'debit', 1000000.00),"
    " ('" PROGRAM "', 1, 2, 'zz-pool', 'capital', 'credit', 1000000.00)";

Test(ledger, embedded_migrations_run_one_two_three)
{
    cr_assert_geq(led_n_migrations, 3);
    for (size_t i = 0; i < led_n_migrations; i++) {
        cr_assert_eq(led_migrations[i].version, (int)i + 1);
        cr_assert_gt(strlen(led_migrations[i].sql), 0);
    }
    cr_assert_str_eq(led_migrations[0].name, "init");
    cr_assert_str_eq(led_migrations[1].name, "guards");
    cr_assert_str_eq(led_migrations[2].name, "roles");
}

Test(ledger, migrations_apply_once_in_order)
{
    led_db *db = NULL;
    PGconn *conn = NULL;
    char expected[1024] = "", sha[LED_SHA256_HEX_SIZE];
    size_t used = 0;
    eng_error err;

    fresh(&db, &conn);
    for (size_t i = 0; i < led_n_migrations; i++) {
        cr_assert_eq(led_sha256_hex(sha, led_migrations[i].sql, strlen(led_migrations[i].sql),
                                    &err), ENG_OK);
        used += (size_t)snprintf(expected + used, sizeof(expected) - used, "%s%d:%s:%.8s",
                                 i > 0 ? "," : "", led_migrations[i].version,
                                 led_migrations[i].name, sha);
    }
    const char *q = "SELECT string_agg(version || ':' || name || ':' || left(sha256, 8), ','"
                    " ORDER BY version) || '|' || max(applied_at) FROM schema_version";
    char *before = pgh_value(conn, NULL, q);
    cr_assert_eq(strncmp(before, expected, strlen(expected)), 0, "%s", before);
    cr_assert_eq(before[strlen(expected)], '|');
    /* Applying again changes nothing: no new rows, the same applied_at. */
    cr_assert_eq(led_migrate(db, &err), ENG_OK, "%s", err.message);
    led_close(db);
    char *after = pgh_value(conn, NULL, q);
    cr_assert_str_eq(after, before);
    char *count = pgh_value(conn, NULL, "SELECT count(*) FROM schema_version");
    char n[16];
    snprintf(n, sizeof(n), "%zu", led_n_migrations);
    cr_assert_str_eq(count, n);
    free(before);
    free(after);
    free(count);
    PQfinish(conn);
}

Test(ledger, migration_changed_after_apply_is_refused)
{
    char conninfo[1024];
    led_db *db = NULL;
    PGconn *conn;
    eng_error err;

    pgh_fresh_db(conninfo, sizeof(conninfo));
    cr_assert_eq(led_connect(&db, conninfo, &err), ENG_OK, "%s", err.message);
    led_close(db);
    conn = pgh_connect(conninfo);
    pgh_ok(conn, NULL, "UPDATE schema_version SET sha256 = repeat('0', 64) WHERE version = 1");
    db = NULL;
    eng_error_clear(&err);
    cr_assert_eq(led_connect(&db, conninfo, &err), ENG_EDB);
    cr_assert_null(db);
    cr_assert_str_eq(err.message, "migration 001_init applied to this database differs from "
                     "this riskshare's");
    cr_assert_str_eq(err.hint, "A migration never changes once applied: add a new one.");
    PQfinish(conn);
}

Test(ledger, newer_schema_is_refused)
{
    char conninfo[1024], sql[256], expected[256];
    led_db *db = NULL;
    PGconn *conn;
    eng_error err;

    pgh_fresh_db(conninfo, sizeof(conninfo));
    cr_assert_eq(led_connect(&db, conninfo, &err), ENG_OK, "%s", err.message);
    led_close(db);
    conn = pgh_connect(conninfo);
    snprintf(sql, sizeof(sql), "INSERT INTO schema_version (version, name, sha256)"
             " VALUES (%zu, 'future', repeat('f', 64))", led_n_migrations + 1);
    pgh_ok(conn, NULL, sql);
    db = NULL;
    cr_assert_eq(led_connect(&db, conninfo, &err), ENG_EDB);
    snprintf(expected, sizeof(expected), "the database schema is at version %zu, newer than "
             "this riskshare knows (%zu): upgrade riskshare", led_n_migrations + 1,
             led_n_migrations);
    cr_assert_str_eq(err.message, expected);
    PQfinish(conn);
}

Test(ledger, app_roles_cannot_update_or_delete_postings)
{
    led_db *db;
    PGconn *conn;
    char sql[1024];
    pgh_outcome o;

    fresh(&db, &conn);
    store_ok(db);
    entry_sql(sql, sizeof(sql), 1, ZERO_HASH, funding_legs_1);
    pgh_ok(conn, "finance", sql);
    o = pgh_try(conn, "finance", "UPDATE postings SET amount = 1 WHERE leg = 1");
    cr_assert_str_eq(o.sqlstate, "42501");
    cr_assert_str_eq(o.message, "permission denied for table postings");
    o = pgh_try(conn, "finance", "DELETE FROM postings");
    cr_assert_str_eq(o.sqlstate, "42501");
    cr_assert_str_eq(o.message, "permission denied for table postings");
    o = pgh_try(conn, "agency", "UPDATE postings SET amount = 1 WHERE leg = 1");
    cr_assert_str_eq(o.sqlstate, "42501");
    cr_assert_str_eq(o.message, "permission denied for table postings");
    o = pgh_try(conn, "agency", "DELETE FROM postings");
    cr_assert_str_eq(o.sqlstate, "42501");
    cr_assert_str_eq(o.message, "permission denied for table postings");
    char *legs = pgh_value(conn, NULL, "SELECT string_agg(account || ' ' || side || ' ' ||"
                           " amount, ', ' ORDER BY leg) FROM postings");
    cr_assert_str_eq(legs, "zz-pool:cash debit 1000000.00, zz-pool:capital credit 1000000.00");
    free(legs);
    led_close(db);
    PQfinish(conn);
}

Test(ledger, owner_changes_are_refused_by_triggers)
{
    led_db *db;
    PGconn *conn;
    char sql[1024];
    pgh_outcome o;

    fresh(&db, &conn);
    store_ok(db);
    entry_sql(sql, sizeof(sql), 1, ZERO_HASH, funding_legs_1);
    pgh_ok(conn, "finance", sql);
    o = pgh_try(conn, NULL, "UPDATE postings SET amount = 1 WHERE leg = 1");
    cr_assert_str_eq(o.sqlstate, "23001");
    cr_assert_str_eq(o.message, "ledger table postings is append-only: UPDATE refused");
    o = pgh_try(conn, NULL, "DELETE FROM entries");
    cr_assert_str_eq(o.sqlstate, "23001");
    cr_assert_str_eq(o.message, "ledger table entries is append-only: DELETE refused");
    o = pgh_try(conn, NULL, "TRUNCATE postings");
    cr_assert_str_eq(o.sqlstate, "23001");
    cr_assert_str_eq(o.message, "ledger table postings is append-only: TRUNCATE refused");
    o = pgh_try(conn, NULL, "UPDATE policies SET title = 'x'");
    cr_assert_str_eq(o.message, "ledger table policies is append-only: UPDATE refused");
    o = pgh_try(conn, NULL, "UPDATE programs SET last_seq = 0");
    cr_assert_str_eq(o.sqlstate, "23001");
    cr_assert_str_eq(o.message, "program zz-kejidai can only move its counters forward");
    led_close(db);
    PQfinish(conn);
}

Test(ledger, unbalanced_entry_is_refused_at_commit)
{
    led_db *db;
    PGconn *conn;
    char sql[1024];
    PGresult *res;

    fresh(&db, &conn);
    store_ok(db);
    entry_sql(sql, sizeof(sql), 1, ZERO_HASH,
              "('" PROGRAM "', 1, 1, 'zz-pool', 'cash', 'debit', 100.00),"
              " ('" PROGRAM "', 1, 2, 'zz-pool', 'capital', 'credit', 90.00)");
    /* Every statement succeeds; the deferred check refuses the COMMIT. */
    PQclear(PQexec(conn, "BEGIN"));
    res = PQexec(conn, sql);
    cr_assert_eq(PQresultStatus(res), PGRES_COMMAND_OK, "%s", PQerrorMessage(conn));
    PQclear(res);
    res = PQexec(conn, "COMMIT");
    cr_assert_eq(PQresultStatus(res), PGRES_FATAL_ERROR);
    cr_assert_str_eq(PQresultErrorField(res, PG_DIAG_SQLSTATE), "23514");
    cr_assert_str_eq(PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME), "entry_balances");
    cr_assert_str_eq(PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY),
                     "entry 1 of program zz-kejidai does not balance: debits 100.00, "
                     "credits 90.00");
    PQclear(res);
    char *head = pgh_value(conn, NULL, "SELECT last_seq || ' ' || last_hash ||"
                           " (SELECT count(*) FROM entries) FROM programs");
    cr_assert_str_eq(head, "0 " ZERO_HASH "0");
    free(head);
    led_close(db);
    PQfinish(conn);
}

Test(ledger, entry_balanced_only_in_total_is_refused)
{
    led_db *db;
    PGconn *conn;
    char sql[1024];
    pgh_outcome o;

    fresh(&db, &conn);
    store_ok(db);
    entry_sql(sql, sizeof(sql), 1, ZERO_HASH,
              "('" PROGRAM "', 1, 1, 'zz-pool', 'cash', 'debit', 100.00),"
              " ('" PROGRAM "', 1, 2, 'zzbank', 'capital', 'credit', 100.00)");
    o = pgh_try(conn, "finance", sql);
    cr_assert_str_eq(o.sqlstate, "23514");
    cr_assert_str_eq(o.message, "entry 1 of program zz-kejidai does not balance for party "
                     "zz-pool: debits 100.00, credits 0");
    /* One leg alone balances nothing. */
    entry_sql(sql, sizeof(sql), 1, ZERO_HASH,
              "('" PROGRAM "', 1, 1, 'zz-pool', 'cash', 'debit', 100.00)");
    o = pgh_try(conn, "finance", sql);
    cr_assert_str_eq(o.message, "entry 1 of program zz-kejidai has 1 legs: an entry needs "
                     "at least two");
    led_close(db);
    PQfinish(conn);
}

Test(ledger, non_fen_amount_is_refused_not_rounded)
{
    led_db *db;
    PGconn *conn;
    char sql[1024];
    pgh_outcome o;

    fresh(&db, &conn);
    store_ok(db);
    entry_sql(sql, sizeof(sql), 1, ZERO_HASH,
              "('" PROGRAM "', 1, 1, 'zz-pool', 'cash', 'debit', 1.555),"
              " ('" PROGRAM "', 1, 2, 'zz-pool', 'capital', 'credit', 1.555)");
    o = pgh_try(conn, "finance", sql);
    cr_assert_str_eq(o.sqlstate, "23514");
    cr_assert_str_eq(o.message, "value for domain fen violates check constraint \"fen_whole\"");
    entry_sql(sql, sizeof(sql), 1, ZERO_HASH,
              "('" PROGRAM "', 1, 1, 'zz-pool', 'cash', 'debit', 1.55),"
              " ('" PROGRAM "', 1, 2, 'zz-pool', 'capital', 'credit', 1.55)");
    pgh_ok(conn, "finance", sql);
    char *sum = pgh_value(conn, NULL, "SELECT sum(amount) FROM postings");
    cr_assert_str_eq(sum, "3.10");
    free(sum);
    led_close(db);
    PQfinish(conn);
}

Test(ledger, chain_is_gap_free_and_closed_entries_take_no_legs)
{
    led_db *db;
    PGconn *conn;
    char sql[1024];
    pgh_outcome o;

    fresh(&db, &conn);
    store_ok(db);
    entry_sql(sql, sizeof(sql), 2, ZERO_HASH, funding_legs_1);
    o = pgh_try(conn, "finance", sql);
    cr_assert_str_eq(o.sqlstate, "23514");
    cr_assert_str_eq(o.message, "entry 2 of program zz-kejidai does not extend its chain: the "
                     "next entry is 1 after " ZERO_HASH);
    entry_sql(sql, sizeof(sql), 1, ZERO_HASH, funding_legs_1);
    pgh_ok(conn, "finance", sql);
    char *head = pgh_value(conn, "finance", "SELECT last_seq || ' ' || last_hash"
                           " FROM led_chain_head('" PROGRAM "')");
    cr_assert_str_eq(head, "1 " HASH_A);
    free(head);
    o = pgh_try(conn, "finance", "INSERT INTO postings (program, seq, leg, party, kind, side,"
                " amount) VALUES ('" PROGRAM "', 1, 3, 'zz-pool', 'cash', 'debit', 5.00)");
    cr_assert_str_eq(o.sqlstate, "23001");
    cr_assert_str_eq(o.message, "entry 1 of program zz-kejidai is already recorded: it takes "
                     "no new legs");
    led_close(db);
    PQfinish(conn);
}

Test(ledger, policy_store_is_idempotent)
{
    led_db *db;
    PGconn *conn;
    led_policy_info *list = NULL, *got = NULL;
    size_t n = 0;
    int inserted = -1;
    char sha[LED_SHA256_HEX_SIZE];
    eng_error err;

    fresh(&db, &conn);
    cr_assert_eq(store(db, 3, policy_v3, &inserted, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(inserted, 1);
    cr_assert_eq(store(db, 3, policy_v3, &inserted, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(inserted, 0);
    cr_assert_eq(led_policy_list(&list, &n, db, NULL, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(n, 1);
    cr_assert_eq(led_sha256_hex(sha, policy_v3, strlen(policy_v3), &err), ENG_OK);
    cr_assert_str_eq(list[0].program, PROGRAM);
    cr_assert_eq(list[0].version, 3);
    cr_assert_str_eq(list[0].sha256, sha);
    cr_assert_str_eq(list[0].title, "郑科贷 科技型企业贷款风险补偿");
    cr_assert_str_eq(list[0].legal_ref, "郑政办〔2018〕97号");
    cr_assert_str_eq(list[0].effective_from, "2021-01-01");
    cr_assert_str_eq(list[0].effective_to, "2022-12-31");
    cr_assert_eq(strlen(list[0].loaded_at), 20);
    cr_assert_null(list[0].bytes);
    cr_assert_eq(led_policy_get(&got, db, PROGRAM, 0, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(got->version, 3);
    cr_assert_eq(got->len, strlen(policy_v3));
    cr_assert_eq(memcmp(got->bytes, policy_v3, got->len), 0);
    cr_assert_str_eq(got->normalised, "normalised text\n");
    led_policy_info_free(got);
    cr_assert_eq(led_policy_get(&got, db, PROGRAM, 4, &err), ENG_EINVALID);
    cr_assert_str_eq(err.message, "policy zz-kejidai version 4 is not loaded");
    char *who = pgh_value(conn, NULL, "SELECT count(*) || ' ' || min(loaded_by) FROM policies");
    cr_assert_str_eq(who, "1 riskshare");
    free(who);
    led_policy_list_free(list, n);
    led_close(db);
    PQfinish(conn);
}

Test(ledger, policy_with_other_bytes_is_a_conflict)
{
    led_db *db;
    PGconn *conn;
    int inserted = -1;
    char sha[LED_SHA256_HEX_SIZE], expected[256];
    eng_error err;

    fresh(&db, &conn);
    store_ok(db);
    cr_assert_eq(store(db, 3, "program: zz-kejidai\nversion: 3\n# edited\n", &inserted, &err),
                 ENG_ECONFLICT);
    cr_assert_eq(inserted, -1);
    cr_assert_eq(led_sha256_hex(sha, policy_v3, strlen(policy_v3), &err), ENG_OK);
    snprintf(expected, sizeof(expected), "policy zz-kejidai version 3 is already loaded with "
             "different content (sha256 %.12s\u2026)", sha);
    cr_assert_eq(store(db, 3, "other", &inserted, &err), ENG_ECONFLICT);
    cr_assert_str_eq(err.message, expected);
    /* A new version of the same program is fine. */
    cr_assert_eq(store(db, 4, "other", &inserted, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(inserted, 1);
    led_close(db);
    PQfinish(conn);
}

Test(ledger, auditor_reads_but_cannot_insert)
{
    led_db *db;
    PGconn *conn;
    char sql[1024];
    pgh_outcome o;

    fresh(&db, &conn);
    store_ok(db);
    entry_sql(sql, sizeof(sql), 1, ZERO_HASH, funding_legs_1);
    o = pgh_try(conn, "auditor", sql);
    cr_assert_str_eq(o.sqlstate, "42501");
    cr_assert_str_eq(o.message, "permission denied for table entries");
    o = pgh_try(conn, "auditor", "INSERT INTO policies (program, version, sha256, source,"
                " title, legal_ref, effective_from, normalised) VALUES ('" PROGRAM "', 9,"
                " encode(sha256('x'), 'hex'), 'x', 't', 'l', '2024-01-01', 'n')");
    cr_assert_str_eq(o.message, "permission denied for table policies");
    pgh_ok(conn, "finance", sql);
    char *seen = pgh_value(conn, "auditor", "SELECT string_agg(account || '=' || balance, ' '"
                           " ORDER BY account) FROM account_balances");
    cr_assert_str_eq(seen, "zz-pool:capital=-1000000.00 zz-pool:cash=1000000.00");
    free(seen);
    led_close(db);
    PQfinish(conn);
}

/*
 * Inserts, as agency `agency`, a batch with the one loan `loan`: two statements, as the
 * loan's row-level security check must see its batch (009_agency_rls.sql).
 */
static pgh_outcome agency_loan(PGconn *conn, const char *agency, const char *row_agency,
                               const char *loan)
{
    char sql[2048];

    snprintf(sql, sizeof(sql),
             "SELECT set_config('riskshare.agency', '%s', true);"
             " INSERT INTO batches (program, agency, file_name, file_sha256)"
             " VALUES ('" PROGRAM "', '%s', '%s.csv', repeat('c', 64));"
             " INSERT INTO loans (program, loan_id, agency, batch_id, line_no, policy_version,"
             " terms_rule, shares, borrower_code, borrower_name, tech_status, sector,"
             " credit_grade, bank, guarantor, principal, annual_rate, collateral_ratio,"
             " start_date, term_months, first_loan, fee_rate, guarantee_fee, fee_subsidy)"
             " SELECT program, '%s', '%s', batch_id, 2, 3, 'guaranteed',"
             " '{\"zz-pool\": \"0.2\", \"bank\": \"0.8\"}', '91410100MA3X7K8L2Q', '某科技公司',"
             " 'hnte', 'C39', 'A', 'zzbank', 'zz-guarantee', 1000000.00, '0.0435', '0',"
             " '2021-03-01', 12, true, '0.01', 10000.00, 5000.00 FROM batches b"
             " WHERE b.file_name = '%s.csv'",
             agency, row_agency, loan, loan, row_agency, loan);
    return pgh_try(conn, "agency", sql);
}

/* The domains refuse a malformed id, hash or amount row by row, naming their check. */
Test(ledger, domain_forms_are_checked_on_every_row)
{
    static const struct {
        const char *legs;       /* postings of entry 1, or NULL: a loan */
        const char *hash;       /* entry 1's hash */
        const char *loan;       /* the loan id, when legs is NULL */
        const char *message;
    } cases[] = {
        {NULL, NULL, "L 1",
         "value for domain ident violates check constraint \"ident_form\""},
        {"('" PROGRAM "', 1, 1, 'zz pool', 'cash', 'debit', 1.00),"
         " ('" PROGRAM "', 1, 2, 'zz-pool', 'capital', 'credit', 1.00)", HASH_A, NULL,
         "value for domain ident violates check constraint \"ident_form\""},
        {"('" PROGRAM "', 1, 1, 'zz-pool', 'cash', 'debit', 1000000000000000.01),"
         " ('" PROGRAM "', 1, 2, 'zz-pool', 'capital', 'credit', 1000000000000000.01)",
         HASH_A, NULL,
         "value for domain fen violates check constraint \"fen_range\""},
        {funding_legs_1, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL,
         "value for domain sha256_hex violates check constraint \"sha256_hex_form\""},
    };
    led_db *db;
    PGconn *conn;

    fresh(&db, &conn);
    store_ok(db);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char sql[2048];
        pgh_outcome o;
        if (cases[i].legs == NULL) {
            o = agency_loan(conn, "zz-guarantee", "zz-guarantee", cases[i].loan);
        } else {
            snprintf(sql, sizeof(sql),
                     "INSERT INTO entries (program, seq, kind, policy_version, business_date,"
                     " prev_hash, hash, legs) VALUES ('" PROGRAM "', 1, 'funding', 3,"
                     " '2024-01-02', '" ZERO_HASH "', '%s', 2);"
                     " INSERT INTO postings (program, seq, leg, party, kind, side, amount)"
                     " VALUES %s", cases[i].hash, cases[i].legs);
            o = pgh_try(conn, "finance", sql);
        }
        cr_assert_str_eq(o.sqlstate, "23514", "case %zu", i);
        cr_assert_str_eq(o.message, cases[i].message, "case %zu", i);
    }
    char *n = pgh_value(conn, NULL, "SELECT (SELECT count(*) FROM loans)"
                                    " + (SELECT count(*) FROM entries)");
    cr_assert_str_eq(n, "0");
    free(n);
    led_close(db);
    PQfinish(conn);
}

Test(ledger, agency_sees_only_its_own_loans)
{
    led_db *db;
    PGconn *conn;
    pgh_outcome o;

    fresh(&db, &conn);
    store_ok(db);
    o = agency_loan(conn, "agency-a", "agency-a", "A1");
    cr_assert(o.ok, "%s", o.message);
    o = agency_loan(conn, "agency-b", "agency-b", "B1");
    cr_assert(o.ok, "%s", o.message);
    o = agency_loan(conn, "agency-a", "agency-b", "B2");
    cr_assert_str_eq(o.sqlstate, "42501");
    cr_assert_str_eq(o.message, "new row violates row-level security policy for table "
                     "\"batches\"");
    const char *q = "SELECT coalesce(string_agg(loan_id || '/' || batch_id, ',' ORDER BY"
                    " loan_id), '-') FROM loans";
    char *a = pgh_value(conn, "agency", "SELECT set_config('riskshare.agency', 'agency-a', true);"
                        "SELECT coalesce(string_agg(loan_id || '/' || batch_id, ',' ORDER BY"
                        " loan_id), '-') FROM loans");
    char *b = pgh_value(conn, "agency", "SELECT set_config('riskshare.agency', 'agency-b', true);"
                        "SELECT coalesce(string_agg(loan_id || '/' || batch_id, ',' ORDER BY"
                        " loan_id), '-') FROM loans");
    char *none = pgh_value(conn, "agency", q);
    char *all = pgh_value(conn, "auditor", q);
    cr_assert_str_eq(a, "A1/1");
    cr_assert_str_eq(b, "B1/2");
    cr_assert_str_eq(none, "-");
    cr_assert_str_eq(all, "A1/1,B1/2");
    free(a);
    free(b);
    free(none);
    free(all);
    led_close(db);
    PQfinish(conn);
}

Test(ledger, claim_is_paid_by_appended_payments_only)
{
    led_db *db;
    PGconn *conn;
    pgh_outcome o;

    fresh(&db, &conn);
    store_ok(db);
    cr_assert(agency_loan(conn, "agency-a", "agency-a", "A1").ok);
    pgh_ok(conn, "finance",
           "INSERT INTO entries (program, seq, kind, policy_version, loan_id, business_date,"
           " prev_hash, hash, legs) VALUES ('" PROGRAM "', 1, 'pool_claim', 3, 'A1',"
           " '2024-05-06', '" ZERO_HASH "', '" HASH_A "', 4);"
           " INSERT INTO postings (program, seq, leg, party, kind, side, amount) VALUES"
           " ('" PROGRAM "', 1, 1, 'zz-pool', 'loss', 'debit', 100.00),"
           " ('" PROGRAM "', 1, 2, 'zz-pool', 'payable', 'credit', 100.00),"
           " ('" PROGRAM "', 1, 3, 'zz-guarantee', 'receivable', 'debit', 100.00),"
           " ('" PROGRAM "', 1, 4, 'zz-guarantee', 'loss', 'credit', 100.00);"
           " INSERT INTO claims (program, claim_id, kind, loan_id, payer, payee, claim_date,"
           " amount, seq) VALUES ('" PROGRAM "', 1, 'compensation', 'A1', 'zz-pool',"
           " 'zz-guarantee', '2024-05-06', 100.00, 1);"
           " INSERT INTO settlements (program, through_date, period)"
           " VALUES ('" PROGRAM "', '2024-09-30', '2024Q3');"
           " INSERT INTO entries (program, seq, kind, policy_version, settlement_id,"
           " business_date, prev_hash, hash, legs) VALUES ('" PROGRAM "', 2, 'settlement', 3,"
           " 1, '2024-09-30', '" HASH_A "', '" HASH_B "', 4);"
           " INSERT INTO postings (program, seq, leg, party, kind, side, amount) VALUES"
           " ('" PROGRAM "', 2, 1, 'zz-pool', 'payable', 'debit', 60.00),"
           " ('" PROGRAM "', 2, 2, 'zz-pool', 'cash', 'credit', 60.00),"
           " ('" PROGRAM "', 2, 3, 'zz-guarantee', 'cash', 'debit', 60.00),"
           " ('" PROGRAM "', 2, 4, 'zz-guarantee', 'receivable', 'credit', 60.00);"
           " INSERT INTO settlement_payments (program, settlement_id, claim_id, open_before,"
           " paid, seq) VALUES ('" PROGRAM "', 1, 1, 100.00, 60.00, 2)");
    char *open = pgh_value(conn, "auditor", "SELECT claim_id || ' ' || amount || ' ' || paid ||"
                           " ' ' || open FROM claims_open");
    cr_assert_str_eq(open, "1 100.00 60.00 40.00");
    free(open);
    o = pgh_try(conn, "finance", "INSERT INTO settlements (program, through_date)"
                " VALUES ('" PROGRAM "', '2024-12-31');"
                " INSERT INTO settlement_payments (program, settlement_id, claim_id,"
                " open_before, paid) VALUES ('" PROGRAM "', 2, 1, 100.00, 0)");
    cr_assert_str_eq(o.message, "claim 1 of program zz-kejidai has 40.00 open, not 100.00");
    o = pgh_try(conn, "finance", "INSERT INTO settlements (program, through_date)"
                " VALUES ('" PROGRAM "', '2024-09-30')");
    cr_assert_str_eq(o.sqlstate, "23505");
    cr_assert_str_eq(o.message, "program zz-kejidai is already settled through 2024-09-30 "
                     "(settlement 1)");
    led_close(db);
    PQfinish(conn);
}

Test(ledger, connect_failure_is_unavailable_without_password)
{
    led_db *db = NULL;
    eng_error err;

    eng_error_clear(&err);
    cr_assert_eq(led_connect(&db, "host=/nonexistent-riskshare port=5432 dbname=x user=x"
                             " password=hunter2", &err), ENG_EDB);
    cr_assert_null(db);
    cr_assert_str_eq(err.message, "database unavailable: connection to server on socket "
                     "\"/nonexistent-riskshare/.s.PGSQL.5432\" failed: No such file or "
                     "directory");
    cr_assert_str_eq(err.detail, "The connection string was: host=/nonexistent-riskshare "
                     "port=5432 dbname=x user=x password=***.");
    cr_assert_null(strstr(err.message, "hunter2"));
    cr_assert_null(strstr(err.detail, "hunter2"));
}

Test(ledger, passwords_are_masked_in_every_form)
{
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {
        {"host=h password=s3cret user=u", "host=h password=*** user=u"},
        {"host=h PASSWORD = 'a b\\' c' user=u", "host=h PASSWORD = *** user=u"},
        {"postgresql://ann:s3cret@db.example/ledger", "postgresql://ann:***@db.example/ledger"},
        {"postgres://ann@h/d?password=s3cret&sslmode=require",
         "postgres://ann@h/d?password=***&sslmode=require"},
        {"host=h user=u", "host=h user=u"},
        {"", ""},
    };
    char out[256];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        led_mask_password(out, sizeof(out), cases[i].in);
        cr_assert_str_eq(out, cases[i].out, "case %zu", i);
    }
    led_mask_password(out, 8, "password=s3cret");
    cr_assert_str_eq(out, "passwor");
}

Test(ledger, conninfo_is_chosen_in_order)
{
    char *got = NULL;
    eng_error err;

    setenv("RISKSHARE_DB", "dbname=from_env", 1);
    setenv("PGHOST", "/somewhere", 1);
    cr_assert_eq(led_conninfo_resolve(&got, "dbname=from_option", &err), ENG_OK);
    cr_assert_str_eq(got, "dbname=from_option");
    free(got);
    cr_assert_eq(led_conninfo_resolve(&got, NULL, &err), ENG_OK);
    cr_assert_str_eq(got, "dbname=from_env");
    free(got);
    unsetenv("RISKSHARE_DB");
    cr_assert_eq(led_conninfo_resolve(&got, NULL, &err), ENG_OK);
    cr_assert_str_eq(got, "");
    free(got);
    unsetenv("PGHOST");
    setenv("PGSERVICE", "ledger", 1);
    cr_assert_eq(led_conninfo_resolve(&got, NULL, &err), ENG_OK);
    cr_assert_str_eq(got, "");
    free(got);
}

Test(ledger, local_home_too_long_for_a_socket)
{
    char home[160];
    led_local_paths paths;
    eng_error err;

    snprintf(home, sizeof(home), "/tmp/%0100d", 0);
    setenv("RISKSHARE_HOME", home, 1);
    eng_error_clear(&err);
    cr_assert_eq(led_local_resolve(&paths, &err), ENG_EINVALID);
    cr_assert_eq(strncmp(err.message, "riskshare home /tmp/000", 23), 0, "%s", err.message);
    cr_assert_neq(strstr(err.message, "is too long for a unix socket: 105 bytes, at most 89"),
                  NULL, "%s", err.message);
    setenv("RISKSHARE_HOME", "/tmp/it's", 1);
    cr_assert_eq(led_local_resolve(&paths, &err), ENG_EINVALID);
    setenv("RISKSHARE_HOME", "/tmp/rs-home/", 1);
    cr_assert_eq(led_local_resolve(&paths, &err), ENG_OK, "%s", err.message);
    cr_assert_str_eq(paths.home, "/tmp/rs-home");
    cr_assert_str_eq(paths.data_dir, "/tmp/rs-home/pgdata");
    cr_assert_str_eq(paths.socket_dir, "/tmp/rs-home/run");
    cr_assert_str_eq(paths.log_file, "/tmp/rs-home/log/postgres.log");
}

/* Starts the cluster in a child process, for the concurrent first use. */
static pid_t start_in_child(void)
{
    pid_t pid = fork();

    cr_assert_geq(pid, 0);
    if (pid == 0) {
        eng_error err;
        _exit(led_local_start(NULL, &err) == ENG_OK ? 0 : 1);
    }
    return pid;
}

Test(ledger, local_cluster_starts_reports_and_stops, .timeout = 180)
{
    const char *base = getenv("RISKSHARE_HOME");
    char home[128];
    char expected_url[192];
    led_local_info info;
    led_db *db = NULL;
    char *url = NULL;
    int was_running = -1, status = -1;
    eng_error err;

    /* Beside tests/run.sh's RISKSHARE_HOME, so its cleanup stops a server left running. */
    cr_assert_not_null(base, "RISKSHARE_HOME is not set: run the tests with tests/run.sh");
    snprintf(home, sizeof(home), "%s.local-XXXXXX", base);
    cr_assert_not_null(mkdtemp(home));
    setenv("RISKSHARE_HOME", home, 1);
    cr_assert_eq(led_local_status(&info, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(info.state, LED_LOCAL_NOT_INITIALISED);
    cr_assert_eq(info.pid, 0);
    /* Two processes at once on a fresh home: one initialises, both succeed. */
    pid_t child = start_in_child();
    cr_assert_eq(led_local_start(&info, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(waitpid(child, &status, 0), child);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    cr_assert_eq(info.state, LED_LOCAL_RUNNING);
    cr_assert_gt(info.pid, 0);
    long pid = info.pid;
    cr_assert_eq(led_local_status(&info, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(info.state, LED_LOCAL_RUNNING);
    cr_assert_eq(info.pid, pid);
    cr_assert_eq(led_local_url(&url, &err), ENG_OK);
    snprintf(expected_url, sizeof(expected_url),
             "host=%s/run port=5432 dbname=riskshare user=riskshare", home);
    cr_assert_str_eq(url, expected_url);
    cr_assert_eq(led_connect(&db, url, &err), ENG_OK, "%s", err.message);
    led_close(db);
    free(url);
    /* With nothing else chosen, the local database is the one. */
    unsetenv("RISKSHARE_DB");
    cr_assert_eq(led_conninfo_resolve(&url, NULL, &err), ENG_OK, "%s", err.message);
    cr_assert_str_eq(url, expected_url);
    free(url);
    /* Started again: already running is fine, and it is the same server. */
    cr_assert_eq(led_local_start(&info, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(info.pid, pid);
    cr_assert_eq(led_local_stop(&was_running, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(was_running, 1);
    cr_assert_eq(led_local_status(&info, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(info.state, LED_LOCAL_STOPPED);
    cr_assert_eq(info.pid, 0);
    cr_assert_eq(led_local_stop(&was_running, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(was_running, 0);
    pgh_rmtree(home);
}

/* The usage text is not what these tests check: keep it out of the log. */
static void quiet(void)
{
    cr_redirect_stdout();
    cr_redirect_stderr();
}

Test(ledger, db_command_usage, .init = quiet)
{
    char *none[] = {NULL};
    char *bogus[] = {"bogus", NULL};
    char *extra[] = {"status", "now", NULL};
    char *with_db[] = {"start", "--db", "host=x", NULL};
    char *help[] = {"--help", NULL};

    cr_assert_eq(cli_cmd_db(0, none), 2);
    cr_assert_eq(cli_cmd_db(1, bogus), 2);
    cr_assert_eq(cli_cmd_db(2, extra), 2);
    cr_assert_eq(cli_cmd_db(3, with_db), 2);
    cr_assert_eq(cli_cmd_db(1, help), 0);
}

Test(ledger, db_url_prints_the_local_conninfo, .init = cr_redirect_stdout)
{
    char *url[] = {"url", NULL};

    setenv("RISKSHARE_HOME", "/tmp/rs url", 1);
    cr_assert_eq(cli_cmd_db(1, url), 0);
    fflush(stdout);
    cr_assert_stdout_eq_str("host='/tmp/rs url/run' port=5432 dbname=riskshare user=riskshare\n");
}
