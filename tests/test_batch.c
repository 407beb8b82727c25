/*
 * test_batch.c -- goal: `batch check` and `batch submit` behave as DESIGN 6,
 * 7, 8 and 10 say, run as an agency clerk runs them, against a real server:
 * the exact report, what is recorded (loans, entries, claims), idempotent
 * resubmission, a recorded loan_id refusing the whole batch, bad parties as
 * input errors, two submissions at once keeping capacity and the borrower
 * limit exact, a submit killed with SIGKILL leaving nothing, and row-level
 * security between agencies.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli_harness.h"
#include "journal.h"
#include "pg.h"
#include "pg_harness.h"

#define SMALL "tests/data/batches/small.csv"
#define REPORT                                                                                     \
    "loan_id,status,reasons,rule,guarantee_fee,fee_subsidy\n"                                      \
    "A1,admitted,,hnte-direct,0.00,0.00\n"                                                         \
    "A2,rejected,tech,,,\n"                                                                        \
    "A3,admitted,,guaranteed,100000.00,30000.00\n"                                                 \
    "A4,admitted,,guaranteed,27777.78,13888.89\n"                                                  \
    "A5,rejected,fee_cap,,,\n"                                                                     \
    "A6,rejected,no_policy,,,\n"

static clh_result cli(const char *db, const char *const *args)
{
    return clh_run(db, args);
}

/* A fresh database with the test policies loaded. */
static void fresh(char *db, size_t n)
{
    pgh_fresh_db(db, n);
    clh_result r = cli(db, (const char *const[]){"policy", "load", "--quiet", "tests/data/batch.yaml",
                                                 "tests/data/admission.yaml",
                                                 "tests/data/admission-v1.yaml", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    clh_free(&r);
}

static char *value(const char *db, const char *sql)
{
    PGconn *c = pgh_connect(db);
    char *v = pgh_value(c, NULL, sql);
    PQfinish(c);
    return v;
}

static void expect_value(const char *db, const char *sql, const char *want)
{
    char *v = value(db, sql);
    cr_expect_str_eq(v, want, "%s", sql);
    free(v);
}

Test(batch, check_offline_report)
{
    clh_result r = cli(NULL, (const char *const[]){"batch", "check", "--program", "bt", "--agency",
                                                   "gu1", "--policy", "tests/data/batch.yaml",
                                                   SMALL, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, REPORT);
    cr_assert_str_eq(r.err, "riskshare: " SMALL ": 6 loans, 3 admitted, 3 rejected; guarantee fees "
                            "127777.78, fee subsidies 43888.89; nothing recorded (no database: an "
                            "empty ledger assumed)\n");
    clh_free(&r);
}

Test(batch, submit_records_and_resubmit_changes_nothing)
{
    char db[1024];
    fresh(db, sizeof(db));
    const char *const args[] = {"batch", "submit", "--program", "bt", "--agency", "gu1", SMALL, NULL};
    clh_result r = cli(db, args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, REPORT);
    clh_free(&r);
    expect_value(db, "SELECT count(*) FROM loans WHERE program = 'bt'", "3");
    expect_value(db, "SELECT string_agg(loan_id || ':' || terms_rule || ':' || policy_version"
                     " || ':' || fee_rate || ':' || guarantee_fee || ':' || fee_subsidy, ' '"
                     " ORDER BY line_no) FROM loans",
                 "A1:hnte-direct:2:0:0.00:0.00 A3:guaranteed:2:0.01:100000.00:30000.00 "
                 "A4:guaranteed:2:0.015:27777.78:13888.89");
    expect_value(db, "SELECT shares::text FROM loans WHERE loan_id = 'A3'",
                 "{\"pool\": \"0.4\", \"prov\": \"0.2\", \"gu1\": \"0.2\", \"bk1\": \"0.2\"}");
    expect_value(db, "SELECT trace FROM loans WHERE loan_id = 'A3'",
                 "{\"version\": 2, \"rule\": \"guaranteed\", \"inputs\": {\"direct\": false},"
                 " \"fee_rate\": \"policy\"}");
    expect_value(db, "SELECT trace FROM loans WHERE loan_id = 'A1'",
                 "{\"version\": 2, \"rule\": \"hnte-direct\", \"inputs\": {\"tech_status\":"
                 " \"hnte\", \"direct\": true}, \"fee_rate\": \"policy\"}");
    /* the JSON text is valid JSON */
    expect_value(db, "SELECT ((shares::jsonb)->>'pool') || ' ' || ((trace::jsonb)->>'rule')"
                     " FROM loans WHERE loan_id = 'A3'",
                 "0.4 guaranteed");
    expect_value(db, "SELECT string_agg(kind || ':' || loan_id || ':' || business_date, ' '"
                     " ORDER BY seq) FROM entries",
                 "guarantee_fee:A3:2024-03-01 fee_subsidy:A3:2024-03-01 "
                 "guarantee_fee:A4:2024-03-01 fee_subsidy:A4:2024-03-01");
    expect_value(db, "SELECT string_agg(account || ':' || side || ':' || amount, ' '"
                     " ORDER BY seq, leg) FROM postings WHERE seq <= 2",
                 "gu1:cash:debit:100000.00 gu1:fee_income:credit:100000.00 "
                 "pool:subsidy_expense:debit:30000.00 pool:payable:credit:30000.00");
    expect_value(db, "SELECT string_agg(kind || ':' || payer || ':' || payee || ':' || amount"
                     " || ':' || claim_date, ' ' ORDER BY claim_id) FROM claims",
                 "fee_subsidy:pool:borrower:91440300708461136T:30000.00:2024-03-01 "
                 "fee_subsidy:pool:borrower:91330100716105852F:13888.89:2024-03-01");
    expect_value(db, "SELECT string_agg(line_no || ':' || loan_id || ':' || reasons, ' '"
                     " ORDER BY line_no) FROM batch_rejections",
                 "3:A2:tech 6:A5:fee_cap 7:A6:no_policy");

    r = cli(db, args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, REPORT);
    cr_assert(strstr(r.err, "already recorded as batch 1 of bt; nothing changed") != NULL, "%s",
              r.err);
    clh_free(&r);
    expect_value(db, "SELECT count(*) || ' ' || (SELECT count(*) FROM entries) || ' ' ||"
                     " (SELECT count(*) FROM batches) FROM loans",
                 "3 4 1");
}

Test(batch, recorded_loan_id_refuses_the_batch)
{
    char db[1024];
    fresh(db, sizeof(db));
    clh_result r = cli(db, (const char *const[]){"batch", "submit", "--program", "bt", "--agency",
                                                 "gu1", SMALL, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    clh_free(&r);
    r = cli(db, (const char *const[]){"batch", "submit", "--program", "bt", "--agency", "gu1",
                                      "tests/data/batches/other.csv", NULL});
    cr_assert_eq(r.status, 65, "%s", r.err);
    cr_assert_str_eq(r.err, "riskshare: tests/data/batches/other.csv:3:1: loan_id \"A3\" is already"
                            " recorded in bt (batch 1)\n");
    cr_assert_str_eq(r.out, "");
    clh_free(&r);
    expect_value(db, "SELECT count(*) FROM loans WHERE loan_id = 'B1'", "0");
    expect_value(db, "SELECT count(*) FROM batches", "1");
    /* a rejected loan's id is free: A2 can come again */
}

/*
 * A submit finds a recorded id two ways (cmd_batch.c): an admitted loan's by the key
 * of `loans` as it is copied (then every row is looked up), a rejected loan's by
 * looking up the rejected ids.  Either way the batch is refused with the rows named
 * in file order, as `batch check` names them, and nothing is recorded.
 */
Test(batch, recorded_loan_id_is_found_admitted_or_rejected)
{
    static const struct {
        const char *file, *errors;
    } cases[] = {
        {"tests/data/batches/recorded-both.csv",
         "riskshare: tests/data/batches/recorded-both.csv:2:1: loan_id \"A1\" is already"
         " recorded in bt (batch 1)\n"
         "riskshare: tests/data/batches/recorded-both.csv:3:1: loan_id \"A4\" is already"
         " recorded in bt (batch 1)\n"},
        {"tests/data/batches/recorded-rejected.csv",
         "riskshare: tests/data/batches/recorded-rejected.csv:3:1: loan_id \"A4\" is already"
         " recorded in bt (batch 1)\n"},
    };
    char db[1024];
    fresh(db, sizeof(db));
    clh_result r = cli(db, (const char *const[]){"batch", "submit", "--program", "bt", "--agency",
                                                 "gu1", SMALL, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    clh_free(&r);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (int submit = 0; submit <= 1; submit++) {
            r = cli(db, (const char *const[]){"batch", submit ? "submit" : "check", "--program",
                                              "bt", "--agency", "gu1", cases[i].file, NULL});
            cr_assert_eq(r.status, 65, "%s %d: %s", cases[i].file, submit, r.err);
            cr_assert_str_eq(r.err, cases[i].errors, "%s %d", cases[i].file, submit);
            cr_assert_str_eq(r.out, "");
            clh_free(&r);
        }
    }
    expect_value(db, "SELECT count(*) || ' ' || (SELECT count(*) FROM entries) || ' ' ||"
                     " (SELECT count(*) FROM batches) || ' ' ||"
                     " (SELECT count(*) FROM batch_rejections) FROM loans",
                 "3 4 1 3");
}

Test(batch, unknown_parties_are_input_errors)
{
    char db[1024];
    fresh(db, sizeof(db));
    clh_result r = cli(db, (const char *const[]){"batch", "submit", "--program", "bt", "--agency",
                                                 "gu1", "tests/data/batches/badbank.csv", NULL});
    cr_assert_eq(r.status, 65);
    cr_assert_str_eq(r.err,
                     "riskshare: tests/data/batches/badbank.csv:2:8: bank \"bk9\" is not a bank of bt"
                     " version 2\n"
                     "riskshare: tests/data/batches/badbank.csv:3:9: guarantor \"pool\" is not a"
                     " guarantor of bt version 2\n");
    clh_free(&r);
    expect_value(db, "SELECT count(*) FROM batches", "0");
}

Test(batch, usage_errors)
{
    static const char *const cases[][10] = {
        {"batch", NULL},
        {"batch", "frob", NULL},
        {"batch", "submit", SMALL, NULL},
        {"batch", "check", "--program", "bt", SMALL, NULL},
        {"batch", "submit", "--program", "bt", "--agency", "gu1", "--policy", "x.yaml"},
        {"batch", "check", "--program", "bt", "--agency", "gu1", "--encoding", "latin1"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        clh_result r = cli(NULL, cases[i]);
        cr_expect_eq(r.status, 2, "case %zu: %d %s", i, r.status, r.err);
        clh_free(&r);
    }
}

/* One funding entry of `fen` fen into pool `pool` (a journal source). */
typedef struct {
    const char *pool;
    eng_fen amount;
} funding;

static eng_status funding_entry(void *ctx, size_t item, led_entry *out, size_t cap,
                                size_t *n_out, eng_error *err)
{
    const funding *f = ctx;
    (void)item;
    (void)cap;
    (void)err;
    memset(out, 0, sizeof(*out));
    out->kind = "funding";
    out->business_date = eng_date_from_ymd(2024, 1, 2);
    out->n_legs = 2;
    out->legs[0] = (led_leg){f->pool, "cash", 1, f->amount};
    out->legs[1] = (led_leg){f->pool, "capital", 0, f->amount};
    *n_out = 1;
    return ENG_OK;
}

static void fund(const char *db, const char *program, const char *pool, eng_fen amount)
{
    led_db *conn = NULL;
    led_journal *j = NULL;
    eng_error err;
    funding f = {pool, amount};
    cr_assert_eq(led_connect(&conn, db, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(led_journal_begin(&j, conn, program, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(led_journal_write(j, 1, funding_entry, &f, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(led_journal_commit(j, &err), ENG_OK, "%s", err.message);
    led_close(conn);
}

static void write_file(char *path, size_t size, const char *name, const char *rows)
{
    char text[2048];
    snprintf(text, sizeof(text),
             "loan_id,borrower_code,borrower_name,tech_status,sector,credit_grade,revenue,bank,"
             "guarantor,principal,annual_rate,collateral_ratio,start_date,term_months,first_loan\n%s",
             rows);
    clh_write_file(path, size, name, text);
}

/* Starts `riskshare batch submit` for `path` without waiting. */
static pid_t start_submit(const char *db, const char *program, const char *agency, const char *path)
{
    const char *bin = getenv("RISKSHARE_BIN") ? getenv("RISKSHARE_BIN") : "bin/riskshare";
    char *const argv[] = {(char *)bin, "batch", "submit", "--quiet", "--program", (char *)program,
                          "--agency", (char *)agency, (char *)path, NULL};
    char dbvar[1200];
    snprintf(dbvar, sizeof(dbvar), "RISKSHARE_DB=%s", db);
    char *const envp[] = {dbvar, "PATH=/usr/bin:/bin", NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 01, 0);
    pid_t pid;
    cr_assert_eq(posix_spawn(&pid, bin, &fa, NULL, argv, envp), 0);
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}

static int wait_exit(pid_t pid)
{
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

Test(batch, concurrent_pair_keeps_capacity_and_borrower_limit_exact)
{
    for (int round = 0; round < 4; round++) {
        char db[1024], x[256], y[256];
        fresh(db, sizeof(db));
        if (round % 2 == 0) {
            /* capacity: cash 100,000 x 10 = 1,000,000; two loans of 600,000 */
            fund(db, "adm-test", "pool", 10000000);
            write_file(x, sizeof(x), "x.csv",
                       "X1,914403001922038216,甲,hnte,ai,A,,bk1,,600000,0.04,0,2024-05-01,12,true\n");
            write_file(y, sizeof(y), "y.csv",
                       "Y1,91330100716105852F,乙,hnte,ai,A,,bk2,,600000,0.04,0,2024-05-01,12,true\n");
        } else {
            /* borrower limit 12,000,000: the same borrower twice for 7,000,000 */
            fund(db, "adm-test", "pool", 10000000000LL);
            write_file(x, sizeof(x), "x.csv",
                       "X1,914403001922038216,甲,hnte,ai,A,,bk1,,7000000,0.04,0,2024-05-01,12,true\n");
            write_file(y, sizeof(y), "y.csv",
                       "Y1,914403001922038216,甲,hnte,ai,A,,bk2,,7000000,0.04,0,2024-05-01,12,true\n");
        }
        pid_t a = start_submit(db, "adm-test", "gu1", x);
        pid_t b = start_submit(db, "adm-test", "gu2", y);
        cr_assert_eq(wait_exit(a), 0, "round %d", round);
        cr_assert_eq(wait_exit(b), 0, "round %d", round);
        expect_value(db, "SELECT count(*) FROM loans", "1");
        expect_value(db, "SELECT count(*) || ':' || min(reasons) FROM batch_rejections",
                     round % 2 == 0 ? "1:capacity" : "1:borrower-limit");
        expect_value(db, "SELECT count(*) FROM batches", "2");
    }
}

Test(batch, sigkill_leaves_nothing_partial)
{
    const unsigned long long seed = 20261128ULL;
    unsigned long long s = seed;
    char db[1024], path[512];
    snprintf(path, sizeof(path), "%s/big.csv",
             getenv("RISKSHARE_TEST_TMP") ? getenv("RISKSHARE_TEST_TMP") : "/tmp");
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "%s gen loans --count 100000 --seed 5 --policy tests/data/batch.yaml"
                               " > %s",
             getenv("RISKSHARE_BIN") ? getenv("RISKSHARE_BIN") : "bin/riskshare", path);
    cr_assert_eq(system(cmd), 0);
    for (int trial = 0; trial < 3; trial++) {
        fresh(db, sizeof(db));
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        long delay_ms = 200 + (long)((s >> 33) % 1500);
        pid_t pid = start_submit(db, "bt", "gu1", path);
        struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int code = wait_exit(pid);
        char *batches = value(db, "SELECT count(*) FROM batches");
        char *loans = value(db, "SELECT count(*) FROM loans");
        char *entries = value(db, "SELECT count(*) FROM entries");
        if (strcmp(batches, "0") == 0) {
            cr_expect_str_eq(loans, "0", "seed %llu trial %d: loans without their batch", seed,
                             trial);
            cr_expect_str_eq(entries, "0", "seed %llu trial %d", seed, trial);
        } else {
            /* killed after its commit: the batch is there, and all of it */
            char *rows = value(db, "SELECT (SELECT count(*) FROM loans) +"
                                   " (SELECT count(*) FROM batch_rejections)");
            cr_expect_str_eq(rows, "100000", "seed %llu trial %d (exit %d): a partial batch", seed,
                             trial, code);
            free(rows);
        }
        free(batches);
        free(loans);
        free(entries);
        /* the rerun records the whole batch exactly once */
        cr_assert_eq(wait_exit(start_submit(db, "bt", "gu1", path)), 0, "seed %llu trial %d", seed,
                     trial);
        expect_value(db, "SELECT (SELECT count(*) FROM batches) || ':' ||"
                         " ((SELECT count(*) FROM loans) + (SELECT count(*) FROM batch_rejections))",
                     "1:100000");
        expect_value(db, "SELECT (SELECT count(*) FROM entries WHERE kind = 'guarantee_fee')"
                         " = (SELECT count(*) FROM loans WHERE guarantee_fee > 0) AND"
                         " (SELECT count(*) FROM claims) = (SELECT count(*) FROM loans"
                         " WHERE fee_subsidy > 0) AND (SELECT last_seq FROM programs"
                         " WHERE program = 'bt') = (SELECT count(*) FROM entries)",
                     "t");
    }
}

Test(batch, agency_sees_only_its_own_loans)
{
    char db[1024], x[256], y[256];
    fresh(db, sizeof(db));
    write_file(x, sizeof(x), "x.csv",
               "X1,914403001922038216,甲,hnte,ai,A,,bk1,,600000,0.04,0,2024-05-01,12,true\n"
               "X2,914403001922038216,甲,hnte,ai,A,,bk1,,600000,0.04,0,2024-05-01,12,true\n");
    write_file(y, sizeof(y), "y.csv",
               "Y1,91330100716105852F,乙,hnte,ai,A,,bk2,,600000,0.04,0,2024-05-01,12,true\n");
    cr_assert_eq(wait_exit(start_submit(db, "bt", "gu1", x)), 0);
    cr_assert_eq(wait_exit(start_submit(db, "bt", "gu2", y)), 0);
    PGconn *c = pgh_connect(db);
    cr_assert(pgh_try(c, NULL, "SELECT set_config('riskshare.agency', 'gu1', false)").ok);
    char *v = pgh_value(c, "agency", "SELECT string_agg(loan_id, ',' ORDER BY loan_id) FROM loans");
    cr_assert_str_eq(v, "X1,X2");
    free(v);
    v = pgh_value(c, "agency", "SELECT count(*) FROM batches");
    cr_assert_str_eq(v, "1");
    free(v);
    cr_assert(pgh_try(c, NULL, "SELECT set_config('riskshare.agency', 'gu2', false)").ok);
    v = pgh_value(c, "agency", "SELECT string_agg(loan_id, ',' ORDER BY loan_id) FROM loans");
    cr_assert_str_eq(v, "Y1");
    free(v);
    v = pgh_value(c, "finance", "SELECT count(*) FROM loans");
    cr_assert_str_eq(v, "3");
    free(v);
    PQfinish(c);
}

Test(batch, check_with_the_ledger_sees_recorded_loans_and_records_nothing)
{
    char db[1024], x[256], y[256];
    fresh(db, sizeof(db));
    write_file(x, sizeof(x), "x.csv",
               "X1,914403001922038216,甲,hnte,ai,A,,bk1,,7000000,0.04,0,2024-05-01,12,true\n");
    write_file(y, sizeof(y), "y.csv",
               "Y1,914403001922038216,甲,hnte,ai,A,,bk1,,5000000,0.04,0,2024-06-01,12,false\n"
               "Y2,914403001922038216,甲,hnte,ai,A,,bk1,,5000000.01,0.04,0,2024-06-01,12,false\n");
    cr_assert_eq(wait_exit(start_submit(db, "bt", "gu1", x)), 0);
    clh_result r = cli(db, (const char *const[]){"batch", "check", "--program", "bt", "--agency",
                                                 "gu1", y, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "loan_id,status,reasons,rule,guarantee_fee,fee_subsidy\n"
                            "Y1,admitted,,hnte-direct,0.00,0.00\n"
                            "Y2,rejected,borrower-limit,,,\n");
    clh_free(&r);
    expect_value(db, "SELECT (SELECT count(*) FROM batches) || ':' || (SELECT count(*) FROM loans)",
                 "1:1");
}
