/*
 * test_audit.c -- goal: `audit balances`, `audit loan` and `audit exposure` report
 * exactly what the ledger holds (DESIGN 7, 8, 10), against a real server, for a
 * scenario that touches every kind of entry: the program `aud`
 * (tests/data/audit/aud.yaml) is funded with 350,000, admits two guaranteed loans
 * (fee and fee subsidy) and one direct loan (shares 1/3 and 2/3), sees a
 * repayment, a default cut by the pool's per-loan cap (500,000 of a raw 600,000,
 * the cut going to the guarantor as claimant), a recovery split by what each
 * party bore, and a pro-rata settlement through 2024-09-30 that pays 350,000 of
 * 525,000 open.  Also: the auditor role reads every table and view and writes
 * nothing; the views of 008_audit.sql agree with the commands.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_harness.h"
#include "pg_harness.h"

#define DIR "tests/data/audit/"

static void run_ok(const char *db, const char *const *args)
{
    clh_result r = clh_run(db, args);
    cr_assert_eq(r.status, 0, "%s %s: %s", args[0], args[1], r.err);
    clh_free(&r);
}

/* A fresh database holding the whole scenario of the file comment. */
static void scenario(char *db, size_t n)
{
    pgh_fresh_db(db, n);
    run_ok(db, (const char *const[]){"policy", "load", "--quiet", DIR "aud.yaml", NULL});
    run_ok(db, (const char *const[]){"events", "import", "--quiet", "--program", "aud",
                                     DIR "funding.csv", NULL});
    run_ok(db, (const char *const[]){"batch", "submit", "--quiet", "--program", "aud",
                                     "--agency", "aud-g", DIR "loans.csv", NULL});
    run_ok(db, (const char *const[]){"events", "import", "--quiet", "--program", "aud",
                                     DIR "events.csv", NULL});
    run_ok(db, (const char *const[]){"settle", "--quiet", "--program", "aud", "--through",
                                     "2024-09-30", "--commit", NULL});
}

/* Runs `audit ARGS... --format FMT` and expects exit 0 and exactly `want` on stdout. */
static void expect_out(const char *db, const char *const *args, const char *want)
{
    clh_result r = clh_run(db, args);
    cr_assert_eq(r.status, 0, "audit %s: %s", args[1], r.err);
    cr_expect_str_eq(r.out, want, "audit %s", args[1]);
    clh_free(&r);
}

static char *value(const char *db, const char *role, const char *sql)
{
    PGconn *c = pgh_connect(db);
    char *v = pgh_value(c, role, sql);
    PQfinish(c);
    return v;
}

/* The value of a decimal integer text from the database (digits only, no sign). */
static long long digits(const char *s)
{
    long long v = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        v = v * 10 + (*s - '0');
    }
    return v;
}

#define BAL "account,debit,credit,balance\n"

static const char all_balances[] =
    BAL "aud-bank:cash,1620000.00,0.00,1620000.00\n"
        "aud-bank:external,0.00,2000000.00,-2000000.00\n"
        "aud-bank:loss,2000000.00,1600000.00,400000.00\n"
        "aud-bank:recovery,0.00,20000.00,-20000.00\n"
        "aud-g:cash,818333.33,1600000.00,-781666.67\n"
        "aud-g:fee_income,0.00,50000.00,-50000.00\n"
        "aud-g:loss,1600000.00,900000.00,700000.00\n"
        "aud-g:receivable,500000.00,333333.33,166666.67\n"
        "aud-g:recovery,0.00,35000.00,-35000.00\n"
        "aud-pool:capital,0.00,350000.00,-350000.00\n"
        "aud-pool:cash,375000.00,350000.00,25000.00\n"
        "aud-pool:loss,500000.00,0.00,500000.00\n"
        "aud-pool:payable,350000.00,525000.00,-175000.00\n"
        "aud-pool:recovery,0.00,25000.00,-25000.00\n"
        "aud-pool:subsidy_expense,25000.00,0.00,25000.00\n"
        "aud-rg:cash,20000.00,400000.00,-380000.00\n"
        "aud-rg:loss,400000.00,0.00,400000.00\n"
        "aud-rg:recovery,0.00,20000.00,-20000.00\n";

/* Every account, exact; the same without --program (one program) and in the view. */
Test(audit, balances_every_account)
{
    char db[512];
    scenario(db, sizeof(db));
    expect_out(db, (const char *const[]){"audit", "balances", "--program", "aud", "--format",
                                         "csv", NULL},
               all_balances);
    expect_out(db, (const char *const[]){"audit", "balances", "--format", "csv", NULL},
               all_balances);
    /* The view audit_balances gives the same figures. */
    char *v = value(db, "auditor",
                    "SELECT string_agg(account || ',' || debit || ',' || credit || ',' || balance,"
                    " E'\\n' ORDER BY account) || E'\\n' FROM audit_balances WHERE program = 'aud'");
    cr_expect_str_eq(v, all_balances + strlen(BAL));
    free(v);
    /* Every balance sums to zero over the ledger (double entry). */
    v = value(db, NULL, "SELECT sum(balance) FROM audit_balances");
    cr_expect_str_eq(v, "0.00");
    free(v);
}

/*
 * --as-of counts entries by business date: the day before the default and the day of
 * it.  With fresh statistics the command joins the entries on or before the date for
 * the early dates (most entries are after them) and anti-joins the entries after it for
 * 2024-09-30 (one entry is after it): both forms are checked here.
 */
Test(audit, balances_as_of_a_date)
{
    char db[512];
    scenario(db, sizeof(db));
    PGconn *c = pgh_connect(db);
    PQclear(PQexec(c, "ANALYZE entries"));
    PQfinish(c);
    expect_out(db, (const char *const[]){"audit", "balances", "--program", "aud", "--as-of",
                                         "2024-09-14", "--party", "aud-pool", "--format",
                                         "csv", NULL},
               BAL "aud-pool:capital,0.00,350000.00,-350000.00\n"
                   "aud-pool:cash,350000.00,0.00,350000.00\n"
                   "aud-pool:payable,0.00,25000.00,-25000.00\n"
                   "aud-pool:subsidy_expense,25000.00,0.00,25000.00\n");
    expect_out(db, (const char *const[]){"audit", "balances", "--program", "aud", "--as-of",
                                         "2024-09-15", "--party", "aud-pool", "--format",
                                         "csv", NULL},
               BAL "aud-pool:capital,0.00,350000.00,-350000.00\n"
                   "aud-pool:cash,350000.00,0.00,350000.00\n"
                   "aud-pool:loss,500000.00,0.00,500000.00\n"
                   "aud-pool:payable,0.00,525000.00,-525000.00\n"
                   "aud-pool:subsidy_expense,25000.00,0.00,25000.00\n");
    /* Through the settlement (dated 2024-09-30), before the recovery (2024-12-01). */
    expect_out(db, (const char *const[]){"audit", "balances", "--program", "aud", "--as-of",
                                         "2024-09-30", "--party", "aud-g", "--format", "csv",
                                         NULL},
               BAL "aud-g:cash,783333.33,1600000.00,-816666.67\n"
                   "aud-g:fee_income,0.00,50000.00,-50000.00\n"
                   "aud-g:loss,1600000.00,900000.00,700000.00\n"
                   "aud-g:receivable,500000.00,333333.33,166666.67\n");
    /* Before anything: the header only. */
    expect_out(db, (const char *const[]){"audit", "balances", "--program", "aud", "--as-of",
                                         "2023-12-31", "--format", "csv", NULL},
               BAL);
}

/* --party keeps one party's accounts; an unknown party has none. */
Test(audit, balances_of_one_party)
{
    char db[512];
    scenario(db, sizeof(db));
    expect_out(db, (const char *const[]){"audit", "balances", "--program", "aud", "--party",
                                         "aud-rg", "--format", "csv", NULL},
               BAL "aud-rg:cash,20000.00,400000.00,-380000.00\n"
                   "aud-rg:loss,400000.00,0.00,400000.00\n"
                   "aud-rg:recovery,0.00,20000.00,-20000.00\n");
    expect_out(db, (const char *const[]){"audit", "balances", "--party", "nobody", "--format",
                                         "csv", NULL},
               BAL);
    expect_out(db, (const char *const[]){"audit", "balances", "--program", "aud", "--party",
                                         "aud-rg", "--format", "json", NULL},
               "[\n"
               "  {\n"
               "    \"account\": \"aud-rg:cash\",\n"
               "    \"debit\": \"20000.00\",\n"
               "    \"credit\": \"400000.00\",\n"
               "    \"balance\": \"-380000.00\"\n"
               "  },\n"
               "  {\n"
               "    \"account\": \"aud-rg:loss\",\n"
               "    \"debit\": \"400000.00\",\n"
               "    \"credit\": \"0.00\",\n"
               "    \"balance\": \"400000.00\"\n"
               "  },\n"
               "  {\n"
               "    \"account\": \"aud-rg:recovery\",\n"
               "    \"debit\": \"0.00\",\n"
               "    \"credit\": \"20000.00\",\n"
               "    \"balance\": \"-20000.00\"\n"
               "  }\n"
               "]\n");
}

/* Without --program the programs are summed per account. */
Test(audit, balances_sum_programs)
{
    char db[512];
    scenario(db, sizeof(db));
    run_ok(db, (const char *const[]){"policy", "load", "--quiet",
                                     "policies/henan-kejidai-2025.yaml", NULL});
    run_ok(db, (const char *const[]){"batch", "submit", "--quiet", "--program", "henan-kejidai",
                                     "--agency", "ag1", "tests/data/lifecycle/henan-loans.csv",
                                     NULL});
    run_ok(db, (const char *const[]){"events", "import", "--quiet", "--program", "henan-kejidai",
                                     "tests/data/lifecycle/henan-events.csv", NULL});
    expect_out(db, (const char *const[]){"audit", "balances", "--program", "aud", "--format",
                                         "csv", NULL},
               all_balances);
    expect_out(db, (const char *const[]){"audit", "balances", "--party", "hn-pool", "--format",
                                         "csv", NULL},
               BAL "hn-pool:capital,0.00,1000000.00,-1000000.00\n"
                   "hn-pool:cash,1040000.00,0.00,1040000.00\n"
                   "hn-pool:loss,800000.00,0.00,800000.00\n"
                   "hn-pool:payable,0.00,800000.00,-800000.00\n"
                   "hn-pool:recovery,0.00,40000.00,-40000.00\n");
    char *v = value(db, NULL,
                    "SELECT count(DISTINCT account) FROM postings");
    clh_result r = clh_run(db, (const char *const[]){"audit", "balances", "--format", "csv",
                                                     NULL});
    size_t lines = 0;
    for (const char *p = r.out; *p != '\0'; p++) {
        lines += *p == '\n';
    }
    cr_expect_eq((long long)lines, 1 + digits(v));
    clh_free(&r);
    free(v);
}

/* Usage errors exit 2; an unknown program exits 65 and says so. */
Test(audit, balances_errors)
{
    char db[512];
    scenario(db, sizeof(db));
    clh_result r = clh_run(db, (const char *const[]){"audit", "balances", "--as-of",
                                                     "2023-02-29", NULL});
    cr_expect_eq(r.status, 2, "%s", r.err);
    cr_expect(strstr(r.err, "--as-of") != NULL, "%s", r.err);
    clh_free(&r);
    r = clh_run(db, (const char *const[]){"audit", "balances", "--frobnicate", NULL});
    cr_expect_eq(r.status, 2);
    clh_free(&r);
    r = clh_run(db, (const char *const[]){"audit", "balances", "--program", "nope", NULL});
    cr_expect_eq(r.status, 65);
    cr_expect_str_eq(r.err, "riskshare: unknown program \"nope\": no policy loaded\n");
    clh_free(&r);
    r = clh_run("host=/nonexistent dbname=x", (const char *const[]){"audit", "balances", NULL});
    cr_expect_eq(r.status, 69, "%s", r.err);
    clh_free(&r);
}

/* ---- audit loan ------------------------------------------------------------------------ */

/* Runs `audit loan ID --program aud --format json` and parses its stdout. */
static json_t *loan_json(const char *db, const char *loan)
{
    clh_result r = clh_run(db, (const char *const[]){"audit", "loan", loan, "--program", "aud",
                                                     "--format", "json", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    json_error_t jerr;
    json_t *o = json_loads(r.out, 0, &jerr);
    cr_assert(o != NULL, "not json (%s): %s", jerr.text, r.out);
    clh_free(&r);
    return o;
}

/* The string member `key` of the object member `outer` of `o`. */
static const char *jstr_at(json_t *o, const char *outer, const char *key)
{
    const char *s = json_string_value(json_object_get(json_object_get(o, outer), key));
    cr_assert(s != NULL, "%s.%s missing", outer, key);
    return s;
}

/* Admission: batch, line, policy version, rule, shares, the inputs that decided, fees. */
Test(audit, loan_admission)
{
    char db[512];
    scenario(db, sizeof(db));
    json_t *o = loan_json(db, "A2");
    json_int_t version = 0, line = 0, batch = 0;
    cr_assert_eq(json_unpack(o, "{s:{s:{s:I}, s:I, s:I}}", "admission", "policy", "version",
                             &version, "line_no", &line, "batch_id", &batch),
                 0);
    cr_expect_eq(version, 1);
    cr_expect_eq(line, 3);
    cr_expect_eq(batch, 1);
    cr_expect_str_eq(jstr_at(o, "admission", "terms_rule"), "guaranteed");
    cr_expect_str_eq(jstr_at(o, "admission", "agency"), "aud-g");
    cr_expect_str_eq(jstr_at(o, "admission", "batch_file"), DIR "loans.csv");
    const char *a = NULL, *g = NULL;
    cr_assert_eq(json_unpack(o, "{s:{s:{s:s, s:s}}}", "admission", "shares", "aud-pool", &a,
                             "aud-g", &g),
                 0);
    cr_expect_str_eq(a, "0.3");
    cr_expect_str_eq(g, "0.3");
    int direct = 1;
    cr_assert_eq(json_unpack(o, "{s:{s:{s:{s:b}}}}", "admission", "trace", "inputs", "direct",
                             &direct),
                 0);
    cr_expect_eq(direct, 0);
    const char *fee = NULL, *sub = NULL, *title = NULL;
    cr_assert_eq(json_unpack(o, "{s:{s:s, s:s, s:{s:s}}}", "admission", "guarantee_fee", &fee,
                             "fee_subsidy", &sub, "policy", "title", &title),
                 0);
    cr_expect_str_eq(fee, "40000.00");
    cr_expect_str_eq(sub, "20000.00");
    cr_expect_str_eq(title, "audit test program");
    const char *status = NULL, *end = NULL;
    cr_assert_eq(json_unpack(o, "{s:{s:s, s:s}}", "state", "status", &status, "end_date", &end),
                 0);
    cr_expect_str_eq(status, "defaulted");
    cr_expect_str_eq(end, "2024-09-15");
    json_decref(o);
}

/* The default: loss base, raw and final parts, the cap that cut the pool and its limit. */
Test(audit, loan_default_allocation)
{
    char db[512];
    scenario(db, sizeof(db));
    json_t *o = loan_json(db, "A2");
    json_t *d = json_object_get(o, "default");
    cr_assert(json_is_object(d));
    const char *base = NULL, *claimant = NULL, *residual = NULL;
    cr_assert_eq(json_unpack(d, "{s:s, s:s, s:s}", "loss_base", &base, "claimant", &claimant,
                             "residual", &residual),
                 0);
    cr_expect_str_eq(base, "2000000.00");
    cr_expect_str_eq(claimant, "aud-g");
    cr_expect_str_eq(residual, "aud-g");
    static const char *const want[][4] = {{"aud-pool", "600000.00", "500000.00", "caps[0]"},
                                          {"aud-rg", "400000.00", "400000.00", NULL},
                                          {"aud-g", "600000.00", "700000.00", NULL},
                                          {"aud-bank", "400000.00", "400000.00", NULL}};
    json_t *parts = json_object_get(d, "parts");
    cr_assert_eq(json_array_size(parts), 4);
    for (size_t i = 0; i < 4; i++) {
        json_t *p = json_array_get(parts, i);
        cr_expect_str_eq(json_string_value(json_object_get(p, "party")), want[i][0]);
        cr_expect_str_eq(json_string_value(json_object_get(p, "raw")), want[i][1]);
        cr_expect_str_eq(json_string_value(json_object_get(p, "amount")), want[i][2]);
        const char *cut = json_string_value(json_object_get(p, "cut_by"));
        if (want[i][3] == NULL) {
            cr_expect(json_is_null(json_object_get(p, "cut_by")), "part %zu", i);
            cr_expect_eq(json_array_size(json_object_get(p, "cuts")), 0);
        } else {
            cr_expect_str_eq(cut, want[i][3]);
        }
    }
    json_t *cut = json_array_get(json_object_get(json_array_get(parts, 0), "cuts"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(cut, "limit")), "500000.00");
    cr_expect_str_eq(json_string_value(json_object_get(cut, "cut")), "100000.00");
    cr_expect_str_eq(json_string_value(json_object_get(cut, "per")), "loan");
    /* The recovery and its split by what each party bore. */
    json_t *rec = json_array_get(json_object_get(o, "recoveries"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(rec, "net")), "100000.00");
    json_t *split = json_object_get(rec, "split");
    cr_assert_eq(json_array_size(split), 4);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(split, 2), "amount")),
                     "35000.00");
    json_decref(o);
}

/* Claims with paid and open, and the settlement that paid part of them. */
Test(audit, loan_claims_and_payments)
{
    char db[512];
    scenario(db, sizeof(db));
    json_t *o = loan_json(db, "A2");
    json_t *claims = json_object_get(o, "claims");
    cr_assert_eq(json_array_size(claims), 2);
    static const char *const want[][5] = {
        {"fee_subsidy", "borrower:91440300708461136T", "20000.00", "13333.33", "6666.67"},
        {"compensation", "aud-g", "500000.00", "333333.33", "166666.67"}};
    for (size_t i = 0; i < 2; i++) {
        json_t *c = json_array_get(claims, i);
        cr_expect_str_eq(json_string_value(json_object_get(c, "kind")), want[i][0]);
        cr_expect_str_eq(json_string_value(json_object_get(c, "payee")), want[i][1]);
        cr_expect_str_eq(json_string_value(json_object_get(c, "amount")), want[i][2]);
        cr_expect_str_eq(json_string_value(json_object_get(c, "paid")), want[i][3]);
        cr_expect_str_eq(json_string_value(json_object_get(c, "open")), want[i][4]);
        cr_expect_str_eq(json_string_value(json_object_get(c, "payer")), "aud-pool");
    }
    json_t *pay = json_object_get(o, "settlement_payments");
    cr_assert_eq(json_array_size(pay), 2);
    json_t *p = json_array_get(pay, 1);
    cr_expect_eq(json_integer_value(json_object_get(p, "settlement_id")), 1);
    cr_expect_str_eq(json_string_value(json_object_get(p, "through_date")), "2024-09-30");
    cr_expect_str_eq(json_string_value(json_object_get(p, "paid")), "333333.33");
    cr_expect_str_eq(json_string_value(json_object_get(p, "open_after")), "166666.67");
    json_decref(o);
}

/* Every entry naming the loan, in seq order, with the hash and legs the tables hold. */
Test(audit, loan_entries_match_the_journal)
{
    char db[512];
    scenario(db, sizeof(db));
    json_t *o = loan_json(db, "A2");
    json_t *entries = json_object_get(o, "entries");
    char got[4096] = "";
    size_t i, k;
    json_t *e, *leg;
    json_array_foreach(entries, i, e)
    {
        size_t len = strlen(got);
        snprintf(got + len, sizeof(got) - len, "%s%lld:%s:%s:%s:", i ? " " : "",
                 (long long)json_integer_value(json_object_get(e, "seq")),
                 json_string_value(json_object_get(e, "kind")),
                 json_string_value(json_object_get(e, "business_date")),
                 json_string_value(json_object_get(e, "hash")));
        json_array_foreach(json_object_get(e, "legs"), k, leg)
        {
            len = strlen(got);
            snprintf(got + len, sizeof(got) - len, "%s%s/%s/%s", k ? "," : "",
                     json_string_value(json_object_get(leg, "account")),
                     json_string_value(json_object_get(leg, "side")),
                     json_string_value(json_object_get(leg, "amount")));
        }
    }
    char *want = value(db, NULL,
                       "SELECT string_agg(e.seq || ':' || e.kind || ':' || e.business_date || ':'"
                       " || e.hash || ':' || (SELECT string_agg(p.account || '/' || p.side || '/'"
                       " || p.amount, ',' ORDER BY p.leg) FROM postings p WHERE p.program ="
                       " e.program AND p.seq = e.seq), ' ' ORDER BY e.seq)"
                       " FROM entries e WHERE e.program = 'aud' AND e.loan_id = 'A2'");
    cr_expect_str_eq(got, want);
    free(want);
    /* fee, subsidy, default, 代偿, claim, party share, recovery, two payments. */
    cr_expect_eq(json_array_size(entries), 9);
    json_decref(o);
}

/* csv: one row per leg of the loan's entries, the hash on each. */
Test(audit, loan_csv_is_the_entries)
{
    char db[512];
    scenario(db, sizeof(db));
    clh_result r = clh_run(db, (const char *const[]){"audit", "loan", "A1", "--program", "aud",
                                                     "--format", "csv", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    char *want = value(db, NULL,
                       "SELECT 'seq,kind,business_date,account,side,amount,hash' || E'\\n' ||"
                       " string_agg(e.seq || ',' || e.kind || ',' || e.business_date || ',' ||"
                       " p.account || ',' || p.side || ',' || p.amount || ',' || e.hash, E'\\n'"
                       " ORDER BY e.seq, p.leg) || E'\\n' FROM entries e JOIN postings p"
                       " ON p.program = e.program AND p.seq = e.seq"
                       " WHERE e.program = 'aud' AND e.loan_id = 'A1'");
    cr_expect_str_eq(r.out, want);
    /* The fee, the subsidy and the settlement's payment of the subsidy. */
    cr_expect(strstr(r.out, ",guarantee_fee,2024-02-01,aud-g:cash,debit,10000.00,") != NULL);
    cr_expect(strstr(r.out, ",settlement_payment,2024-09-30,aud-pool:payable,debit,3333.34,") !=
              NULL, "%s", r.out);
    free(want);
    clh_free(&r);
}

/* The table has its sections, headed. */
Test(audit, loan_table_sections)
{
    char db[512];
    scenario(db, sizeof(db));
    clh_result r = clh_run(db, (const char *const[]){"audit", "loan", "A2", "--program", "aud",
                                                     "--format", "table", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    static const char *const heads[] = {"loan A2 of program aud\n", "\n== admission\n",
                                        "\n== events\n", "\n== default allocation\n",
                                        "\n== recoveries\n", "\n== claims\n",
                                        "\n== settlement payments\n", "\n== journal entries\n"};
    const char *at = r.out;
    for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
        const char *h = strstr(at, heads[i]);
        cr_expect(h != NULL, "missing or out of order: %s", heads[i]);
        at = h != NULL ? h : at;
    }
    cr_expect(strstr(r.out, "caps[0]  500000.00  100000.00") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "decided by      direct=false; fee rate from the policy") != NULL);
    clh_free(&r);
}

/* A loan with only a repayment: no default (null), no recoveries, no claims. */
Test(audit, loan_without_default)
{
    char db[512];
    scenario(db, sizeof(db));
    json_t *o = loan_json(db, "A3");
    cr_expect(json_is_null(json_object_get(o, "default")));
    cr_expect_eq(json_array_size(json_object_get(o, "recoveries")), 0);
    cr_expect_eq(json_array_size(json_object_get(o, "claims")), 0);
    cr_expect_eq(json_array_size(json_object_get(o, "entries")), 0);
    cr_expect_str_eq(jstr_at(o, "state", "status"), "outstanding");
    cr_expect_str_eq(jstr_at(o, "state", "outstanding"), "400000.00");
    cr_expect_str_eq(jstr_at(o, "admission", "terms_rule"), "direct");
    json_t *ev = json_array_get(json_object_get(o, "events"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(ev, "kind")), "repayment");
    cr_expect_str_eq(json_string_value(json_object_get(ev, "amount")), "100000.00");
    json_decref(o);
    clh_result r = clh_run(db, (const char *const[]){"audit", "loan", "A3", "--program", "aud",
                                                     "--format", "table", NULL});
    cr_expect_eq(r.status, 0);
    cr_expect(strstr(r.out, "\n== default allocation\n(no default)\n") != NULL, "%s", r.out);
    clh_free(&r);
}

/* A part cut by a stop_payments breaker names the breaker, with no cap limit. */
Test(audit, loan_breaker_cut)
{
    char db[512];
    pgh_fresh_db(db, sizeof(db));
    run_ok(db, (const char *const[]){"policy", "load", "--quiet",
                                     "tests/data/lifecycle/breaker.yaml", NULL});
    run_ok(db, (const char *const[]){"batch", "submit", "--quiet", "--program", "brk",
                                     "--agency", "b1", "tests/data/lifecycle/breaker-loans.csv",
                                     NULL});
    run_ok(db, (const char *const[]){"events", "import", "--quiet", "--program", "brk",
                                     "tests/data/lifecycle/breaker-events.csv", NULL});
    clh_result r = clh_run(db, (const char *const[]){"audit", "loan", "L2", "--program", "brk",
                                                     "--format", "json", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    json_t *o = json_loads(r.out, 0, NULL);
    cr_assert(o != NULL);
    json_t *d = json_object_get(o, "default");
    json_t *pool = json_array_get(json_object_get(d, "parts"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(pool, "cut_by")), "breaker:bank-stop");
    cr_expect_str_eq(json_string_value(json_object_get(pool, "amount")), "0.00");
    json_t *cut = json_array_get(json_object_get(pool, "cuts"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(cut, "cut")), "60000.00");
    cr_expect(json_object_get(cut, "limit") == NULL);
    cr_expect_str_eq(json_string_value(json_array_get(json_object_get(d, "stop_payments"), 0)),
                     "bank-stop");
    cr_expect_str_eq(json_string_value(json_object_get(d, "residual")), "b1");
    json_decref(o);
    clh_free(&r);
    r = clh_run(db, (const char *const[]){"audit", "loan", "L2", "--program", "brk", "--format",
                                          "table", NULL});
    cr_expect(strstr(r.out, "brk-pool  0.6    60000.00  0.00       breaker:bank-stop  -      "
                            "60000.00") != NULL,
              "%s", r.out);
    clh_free(&r);
}

/* An unknown loan exits 65 and says so; the loan id is needed, and the program. */
Test(audit, loan_errors)
{
    char db[512];
    scenario(db, sizeof(db));
    clh_result r = clh_run(db, (const char *const[]){"audit", "loan", "a2", "--program", "aud",
                                                     NULL});
    cr_expect_eq(r.status, 65);
    cr_expect_str_eq(r.err, "riskshare: loan \"a2\" is not recorded in program aud (no admitted"
                            " loan has this id; loan ids are case-sensitive)\n");
    cr_expect_str_eq(r.out, "");
    clh_free(&r);
    r = clh_run(db, (const char *const[]){"audit", "loan", "A2", NULL});
    cr_expect_eq(r.status, 2);
    clh_free(&r);
    r = clh_run(db, (const char *const[]){"audit", "loan", "--program", "aud", NULL});
    cr_expect_eq(r.status, 2);
    clh_free(&r);
    r = clh_run(db, (const char *const[]){"audit", "loan", "A2", "--program", "zz", NULL});
    cr_expect_eq(r.status, 65);
    clh_free(&r);
}

/* ---- audit exposure -------------------------------------------------------------------- */

#define EXP "party,kind,outstanding_share,cash,leverage,capacity_leverage\n"

/*
 * 2024-08-31: A1 600,000 (x 0.3 0.2 0.3 0.2), A2 2,000,000 (same), A3 500,000 (x 1/3,
 * 2/3): the pool's exact 946,666.666... and bank two's 333,333.333... share the one
 * fen left over by the largest remainder (the pool's is larger).  Leverage
 * 3,100,000 / 350,000 = 8.857142... -> 8.8571.
 */
Test(audit, exposure_exact_shares)
{
    char db[512];
    scenario(db, sizeof(db));
    expect_out(db, (const char *const[]){"audit", "exposure", "--quiet", "--program", "aud",
                                         "--as-of", "2024-08-31", "--format", "csv", NULL},
               EXP "aud-pool,pool,946666.67,350000.00,8.8571,10\n"
                   "aud-rg,reguarantor,520000.00,,,\n"
                   "aud-g,guarantor,780000.00,,,\n"
                   "aud-bank,bank,520000.00,,,\n"
                   "aud-bank2,bank,333333.33,,,\n");
    /* After the default (A2 out) and the settlement that emptied the pool: no leverage. */
    expect_out(db, (const char *const[]){"audit", "exposure", "--quiet", "--program", "aud",
                                         "--as-of", "2024-09-30", "--format", "csv", NULL},
               EXP "aud-pool,pool,346666.67,0.00,,10\n"
                   "aud-rg,reguarantor,120000.00,,,\n"
                   "aud-g,guarantor,180000.00,,,\n"
                   "aud-bank,bank,120000.00,,,\n"
                   "aud-bank2,bank,333333.33,,,\n");
    /* After A3's repayment and the pool's recovery share (25,000): 1,000,000 / 25,000. */
    clh_result r = clh_run(db, (const char *const[]){"audit", "exposure", "--program", "aud",
                                                     "--as-of", "2024-12-31", "--format", "csv",
                                                     NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect_str_eq(r.out, EXP "aud-pool,pool,313333.33,25000.00,40.0000,10\n"
                                "aud-rg,reguarantor,120000.00,,,\n"
                                "aud-g,guarantor,180000.00,,,\n"
                                "aud-bank,bank,120000.00,,,\n"
                                "aud-bank2,bank,266666.67,,,\n");
    cr_expect_str_eq(r.err, "riskshare: exposure of aud as of 2024-12-31: outstanding principal"
                            " 1000000.00 in 2 loans; capacity of version 1 (aud-pool): over\n");
    clh_free(&r);
    /* Before any loan: zeros, and the funding as cash. */
    expect_out(db, (const char *const[]){"audit", "exposure", "--quiet", "--program", "aud",
                                         "--as-of", "2024-01-31", "--format", "csv", NULL},
               EXP "aud-pool,pool,0.00,350000.00,0.0000,10\n"
                   "aud-rg,reguarantor,0.00,,,\n"
                   "aud-g,guarantor,0.00,,,\n"
                   "aud-bank,bank,0.00,,,\n"
                   "aud-bank2,bank,0.00,,,\n");
}

/* The parties' figures always add up to the outstanding principal in loan_state. */
Test(audit, exposure_sums_to_outstanding)
{
    char db[512];
    scenario(db, sizeof(db));
    clh_result r = clh_run(db, (const char *const[]){"audit", "exposure", "--quiet", "--program",
                                                     "aud", "--format", "json", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    json_t *rows = json_loads(r.out, 0, NULL);
    cr_assert(json_is_array(rows), "%s", r.out);
    long long fen = 0;
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        const char *s = json_string_value(json_object_get(row, "outstanding_share"));
        long long v = 0;
        for (; *s != '\0'; s++) {
            v = *s == '.' ? v : v * 10 + (*s - '0');
        }
        fen += v;
    }
    char *want = value(db, NULL, "SELECT (sum(outstanding) * 100)::bigint FROM loan_state");
    cr_expect_eq(fen, digits(want));
    free(want);
    json_decref(rows);
    clh_free(&r);
}

Test(audit, exposure_errors)
{
    char db[512];
    scenario(db, sizeof(db));
    clh_result r = clh_run(db, (const char *const[]){"audit", "exposure", NULL});
    cr_expect_eq(r.status, 2);
    clh_free(&r);
    r = clh_run(db, (const char *const[]){"audit", "exposure", "--program", "aud", "--as-of",
                                          "2024-13-01", NULL});
    cr_expect_eq(r.status, 2);
    clh_free(&r);
    r = clh_run(db, (const char *const[]){"audit", "exposure", "--program", "zz", NULL});
    cr_expect_eq(r.status, 65);
    cr_expect_str_eq(r.err, "riskshare: unknown program \"zz\": no policy loaded\n");
    clh_free(&r);
}

/* ---- the auditor role and the views ------------------------------------------------------ */

static const char *const ledger_tables[] = {
    "programs", "policies", "batches", "batch_rejections", "loans", "events", "defaults",
    "default_parts", "entries", "postings", "claims", "journal_checks", "settlements",
    "settlement_payments", "schema_version"};

static const char *const views[] = {"claims_open",      "account_balances", "loan_state",
                                    "default_losses",   "settlement_statements",
                                    "audit_balances",   "audit_loan_trail", "audit_claims",
                                    "audit_settlements"};

/* The auditor reads every table and view, and every row of them. */
Test(audit, auditor_reads_everything)
{
    char db[512], sql[256];
    scenario(db, sizeof(db));
    PGconn *c = pgh_connect(db);
    for (size_t i = 0; i < sizeof(ledger_tables) / sizeof(ledger_tables[0]); i++) {
        snprintf(sql, sizeof(sql), "SELECT (SELECT count(*) FROM %s) = (SELECT count(*) FROM %s)",
                 ledger_tables[i], ledger_tables[i]);
        pgh_ok(c, "auditor", sql);
    }
    for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", views[i]);
        pgh_ok(c, "auditor", sql);
    }
    /* Row-level security does not hide an agency's loans from the auditor. */
    char *n = pgh_value(c, "auditor", "SELECT count(*) FROM loans");
    cr_expect_str_eq(n, "3");
    free(n);
    /* The agency role may not read the audit views (they would bypass its row policies). */
    pgh_outcome o = pgh_try(c, "agency", "SELECT count(*) FROM audit_loan_trail");
    cr_expect_not(o.ok);
    cr_expect_str_eq(o.sqlstate, "42501");
    PQfinish(c);
}

/* INSERT, UPDATE, DELETE and TRUNCATE are refused on every ledger table. */
Test(audit, auditor_writes_nothing)
{
    char db[512], sql[256];
    scenario(db, sizeof(db));
    PGconn *c = pgh_connect(db);
    for (size_t i = 0; i < sizeof(ledger_tables) / sizeof(ledger_tables[0]); i++) {
        const char *t = ledger_tables[i];
        for (size_t k = 0; k < 4; k++) {
            if (k == 0 && strcmp(t, "postings") == 0) {  /* `account` is generated */
                snprintf(sql, sizeof(sql), "INSERT INTO postings (program, seq, leg, party,"
                         " kind, side, amount) SELECT program, seq, leg + 100, party, kind,"
                         " side, amount FROM postings LIMIT 1");
            } else if (k == 0) {
                snprintf(sql, sizeof(sql), "INSERT INTO %s SELECT * FROM %s LIMIT 1", t, t);
            } else if (k == 1) {
                snprintf(sql, sizeof(sql), "UPDATE %s SET %s", t,
                         strcmp(t, "schema_version") == 0 ? "name = name" : "program = program");
            } else {
                snprintf(sql, sizeof(sql), "%s %s", k == 2 ? "DELETE FROM" : "TRUNCATE", t);
            }
            pgh_outcome o = pgh_try(c, "auditor", sql);
            cr_expect_not(o.ok, "%s succeeded as auditor", sql);
            cr_expect_str_eq(o.sqlstate, "42501", "%s: %s", sql, o.message);
        }
    }
    /* Nothing changed. */
    char *n = pgh_value(c, NULL, "SELECT count(*) FROM postings");
    cr_expect_str_eq(n, "40");
    free(n);
    PQfinish(c);
}

/* The views answer the guide's example questions with the commands' figures. */
Test(audit, views_answer_the_guide_examples)
{
    char db[512];
    scenario(db, sizeof(db));
    /* A party's losses net of recoveries. */
    char *v = value(db, "auditor",
                    "SELECT sum(balance) FILTER (WHERE kind = 'loss')"
                    " + sum(balance) FILTER (WHERE kind = 'recovery')"
                    " FROM audit_balances WHERE program = 'aud' AND party = 'aud-g'");
    cr_expect_str_eq(v, "665000.00");
    free(v);
    /* Open claims per pool. */
    v = value(db, "auditor",
              "SELECT string_agg(payer || '=' || open, ' ') FROM (SELECT payer, sum(open) AS open"
              " FROM audit_claims WHERE program = 'aud' AND NOT settled GROUP BY payer) x");
    cr_expect_str_eq(v, "aud-pool=175000.00");
    free(v);
    /* A loan's entries. */
    v = value(db, "auditor",
              "SELECT string_agg(seq || ':' || kind || ':' || debits, ' ' ORDER BY seq)"
              " FROM audit_loan_trail WHERE program = 'aud' AND loan_id = 'A1'");
    cr_expect_str_eq(v, "2:guarantee_fee:10000.00 3:fee_subsidy:5000.00"
                        " 11:settlement_payment:3333.34");
    free(v);
    v = value(db, "auditor",
              "SELECT legs->1->>'account' FROM audit_loan_trail WHERE program = 'aud'"
              " AND seq = 7");
    cr_expect_str_eq(v, "aud-g:cash");
    free(v);
    /* A settlement's payments with its through date, and the paying entry's hash. */
    v = value(db, "auditor",
              "SELECT string_agg(claim_id || ':' || through_date || ':' || paid || ':' ||"
              " open_after || ':' || (hash = (SELECT hash FROM entries e WHERE e.program ="
              " s.program AND e.seq = s.seq)), ' ' ORDER BY claim_id)"
              " FROM audit_settlements s WHERE program = 'aud'");
    cr_expect_str_eq(v, "1:2024-09-30:3333.34:1666.66:true 2:2024-09-30:13333.33:6666.67:true"
                        " 3:2024-09-30:333333.33:166666.67:true");
    free(v);
}
