/*
 * test_cli.c -- goal: `riskshare policy ...` and `riskshare db ...` behave as
 * DESIGN 8 says, run as a user runs them: exit codes 0/2/65/69, one error
 * line naming file:line:column, loading is idempotent, a conflicting version
 * is refused, and nothing is stored unless every file is valid.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "cli_harness.h"
#include "pg_harness.h"

#define POLICY(version, share)                                                                     \
    "program: demo\nversion: " version "\ntitle: Demo\nlegal_ref: test\n"                          \
    "effective_from: 2024-01-01\ncurrency: CNY\nparties:\n"                                        \
    "  - {id: pool, kind: pool, name: Pool}\n  - {id: bk, kind: bank, name: Bank}\n"              \
    "terms:\n  rules:\n    - id: all\n      shares: {pool: \"" share "\", bank: \"50%\"}\n"

static clh_result run(const char *db, const char *const *args)
{
    return clh_run(db, args);
}

Test(cli, check_real_policies)
{
    clh_result r = run(NULL, (const char *const[]){"policy", "check", "policies/zz-kejidai-2018.yaml",
                                                   "policies/anhui-4321.yaml", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "program: anhui-4321\n") != NULL);
    cr_assert(strstr(r.out, "# policies/zz-kejidai-2018.yaml\n") == r.out);
    clh_free(&r);
}

Test(cli, check_bad_file_is_one_line_and_65)
{
    char path[256];
    clh_write_file(path, sizeof(path), "bad.yaml", POLICY("1", "40%"));
    clh_result r = run(NULL, (const char *const[]){"policy", "check", path, NULL});
    char want[512];
    snprintf(want, sizeof(want),
             "riskshare: %s:13:15: terms.rules[0].shares: shares sum to 0.9, not 1\n", path);
    cr_assert_eq(r.status, 65);
    cr_assert_str_eq(r.err, want);
    cr_assert_str_eq(r.out, "");
    clh_free(&r);
}

Test(cli, usage_errors_exit_2)
{
    static const char *const cases[][4] = {
        {"frob", NULL},
        {"policy", NULL},
        {"policy", "frob", NULL},
        {"policy", "check", NULL},
        {"policy", "list", "--format", "xml"},
        {"policy", "show", "demo@x", NULL},
        {"policy", "check", "--bogus", "x.yaml"},
        {"db", "frob", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        clh_result r = run(NULL, cases[i]);
        cr_expect_eq(r.status, 2, "case %zu (%s %s): %d %s", i, cases[i][0],
                     cases[i][1] ? cases[i][1] : "", r.status, r.err);
        cr_expect_neq(r.err[0], '\0', "case %zu: no message", i);
        cr_expect_eq(strchr(r.err, '\n'), strrchr(r.err, '\n'), "case %zu: not one line: %s", i,
                     r.err);
        clh_free(&r);
    }
}

Test(cli, help_everywhere)
{
    static const char *const cases[][4] = {
        {"--help", NULL}, {"policy", "--help", NULL}, {"db", "--help", NULL},
        {"policy", "check", "--help"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        clh_result r = run(NULL, cases[i]);
        cr_expect_eq(r.status, 0, "case %zu: %s", i, r.err);
        cr_expect(strstr(r.out, "usage: riskshare") != NULL, "case %zu: %s", i, r.out);
        clh_free(&r);
    }
}

Test(cli, load_is_idempotent_and_conflicts_refused)
{
    char db[1024], good[256], same[256], other[256];
    pgh_fresh_db(db, sizeof(db));
    clh_write_file(good, sizeof(good), "demo.yaml", POLICY("1", "50%"));
    clh_write_file(same, sizeof(same), "copy.yaml", POLICY("1", "50%"));
    clh_write_file(other, sizeof(other), "other.yaml", POLICY("1", "1/2") "# changed\n");

    clh_result r = run(db, (const char *const[]){"policy", "load", good, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    clh_free(&r);
    r = run(db, (const char *const[]){"policy", "load", same, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "already loaded, unchanged demo@1") != NULL, "%s", r.err);
    clh_free(&r);
    r = run(db, (const char *const[]){"policy", "load", other, NULL});
    cr_assert_eq(r.status, 65, "%s", r.err);
    cr_assert(strstr(r.err, "policy demo version 1 is already loaded with different content") !=
                  NULL, "%s", r.err);
    clh_free(&r);
    r = run(db, (const char *const[]){"policy", "list", "--format", "csv", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strncmp(r.out, "program,version,title,effective_from,effective_to,sha256,loaded_at\n"
                             "demo,1,Demo,2024-01-01,,", 88) == 0, "%s", r.out);
    cr_assert_eq(strchr(strchr(r.out, '\n') + 1, '\n'), r.out + strlen(r.out) - 1, "%s", r.out);
    clh_free(&r);
    r = run(db, (const char *const[]){"policy", "show", "demo", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strncmp(r.out, "# demo@1 sha256 ", 16) == 0, "%s", r.out);
    cr_assert(strstr(r.out, "shares: {pool: \"0.5\", bank: \"0.5\"}") != NULL, "%s", r.out);
    clh_free(&r);
    r = run(db, (const char *const[]){"policy", "show", "demo@2", NULL});
    cr_assert_eq(r.status, 65, "%s", r.err);
    clh_free(&r);
}

Test(cli, load_stores_nothing_when_one_file_is_bad)
{
    char db[1024], good[256], bad[256];
    pgh_fresh_db(db, sizeof(db));
    clh_write_file(good, sizeof(good), "good.yaml", POLICY("1", "50%"));
    clh_write_file(bad, sizeof(bad), "bad.yaml", POLICY("2", "5O%"));
    clh_result r = run(db, (const char *const[]){"policy", "load", good, bad, NULL});
    cr_assert_eq(r.status, 65);
    cr_assert(strstr(r.err, "bad.yaml:13:22: terms.rules[0].shares.pool: invalid number \"5O%\"") !=
                  NULL, "%s", r.err);
    clh_free(&r);
    r = run(db, (const char *const[]){"policy", "list", "--format", "csv", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "program,version,title,effective_from,effective_to,sha256,loaded_at\n");
    clh_free(&r);
}

Test(cli, database_unavailable_is_69)
{
    clh_result r = run(NULL, (const char *const[]){"policy", "list", "--db",
                                                   "host=/nonexistent-riskshare dbname=x "
                                                   "password=hunter2",
                                                   NULL});
    cr_assert_eq(r.status, 69, "%s", r.err);
    cr_assert(strstr(r.err, "hunter2") == NULL, "password printed: %s", r.err);
    clh_free(&r);
}

Test(cli, json_list)
{
    char db[1024], good[256];
    pgh_fresh_db(db, sizeof(db));
    clh_write_file(good, sizeof(good), "demo.yaml", POLICY("1", "50%"));
    clh_result r = run(db, (const char *const[]){"policy", "load", "--quiet", good, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.err, "");
    clh_free(&r);
    r = run(db, (const char *const[]){"policy", "list", "--format", "json", NULL});
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "\"program\": \"demo\"") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "\"effective_to\": \"\"") != NULL, "%s", r.out);
    clh_free(&r);
}
