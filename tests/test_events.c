/*
 * test_events.c -- goal: `events import` does what DESIGN 6, 7, 8 and 10 say,
 * run as a guarantee agency and the finance office run it, against a real
 * server: the worked examples of the reference (risk-sharing-rules.md §4:
 * Henan's per-bank annual cap and the recovery after it, Anhui 4321,
 * the 2024 national plan, Zhengzhou's 2025 direct loan and the 2023 draft's
 * per-loan cap, the EU capped portfolio, the SBA-style interest basis), the
 * interest subsidy and the settlements that pay it, a year cap and a
 * stop_payments breaker with their trace, the postings, every input error
 * with its position and nothing recorded, and idempotent re-imports.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_harness.h"
#include "pg_harness.h"

#define DIR "tests/data/lifecycle/"

static void run_ok(const char *db, const char *const *args)
{
    clh_result r = clh_run(db, args);
    cr_assert_eq(r.status, 0, "%s: %s", args[0], r.err);
    clh_free(&r);
}

/* A fresh database with `policies` loaded and `loans` submitted to `program`. */
static void setup(char *db, size_t n, const char *const *policies, const char *program,
                  const char *loans)
{
    const char *args[16] = {"policy", "load", "--quiet"};
    size_t k = 3;
    pgh_fresh_db(db, n);
    for (size_t i = 0; policies[i] != NULL; i++) {
        args[k++] = policies[i];
    }
    args[k] = NULL;
    run_ok(db, args);
    run_ok(db, (const char *const[]){"batch", "submit", "--quiet", "--program", program,
                                     "--agency", "ag1", loans, NULL});
}

static clh_result import(const char *db, const char *program, const char *file)
{
    return clh_run(db, (const char *const[]){"events", "import", "--quiet", "--format", "csv",
                                             "--program", program, file, NULL});
}

static void expect_value(const char *db, const char *sql, const char *want)
{
    PGconn *c = pgh_connect(db);
    char *v = pgh_value(c, NULL, sql);
    PQfinish(c);
    cr_expect_str_eq(v, want, "%s: found %s", sql, v);
    free(v);
}

#define HEAD "event_id,kind,loan_id,party,amount\n"

typedef struct {
    const char *name;
    const char *policies[4];
    const char *program;
    const char *loans, *events;
    const char *report;
} example;

static const example examples[] = {
    {"henan bank_year cap, borne recovery (Example 1)",
     {"policies/henan-kejidai-2025.yaml"},
     "henan-kejidai",
     DIR "henan-loans.csv",
     DIR "henan-events.csv",
     HEAD "F1,funding,,hn-pool,1000000.00\n"
          "R1,repayment,H1,,500000.00\n"
          "D0,default,H3,hn-pool,300000.00\n"
          "D0,default,H3,zybank,200000.00\n"
          "D1,default,H1,hn-pool,500000.00\n"
          "D1,default,H1,zybank,2000000.00\n"
          "RC1,recovery,H1,hn-pool,40000.00\n"
          "RC1,recovery,H1,zybank,160000.00\n"},
    {"anhui 4321 (Example 2)",
     {"policies/anhui-4321.yaml"},
     "anhui-4321",
     DIR "anhui-loans.csv",
     DIR "anhui-events.csv",
     HEAD "AD1,default,AH1,hefei-guarantee,4000000.00\n"
          "AD1,default,AH1,ah-credit-guarantee,3000000.00\n"
          "AD1,default,AH1,hsbank,2000000.00\n"
          "AD1,default,AH1,ah-local-gov,1000000.00\n"
          "AR1,recovery,AH1,hefei-guarantee,800000.00\n"
          "AR1,recovery,AH1,ah-credit-guarantee,600000.00\n"
          "AR1,recovery,AH1,hsbank,400000.00\n"
          "AR1,recovery,AH1,ah-local-gov,200000.00\n"},
    {"national plan, hnte tier (Example 3)",
     {"policies/national-tech-guarantee-2024.yaml"},
     "national-tech-guarantee",
     DIR "national-loans.csv",
     DIR "national-events.csv",
     HEAD "NR1,repayment,N1,,8000000.00\n"
          "ND1,default,N1,national-fund,4200000.00\n"
          "ND1,default,N1,henan-reguarantee,2400000.00\n"
          "ND1,default,N1,zz-guarantee,3000000.00\n"
          "ND1,default,N1,zzbank,2400000.00\n"},
    {"zhengzhou 2025 direct and 2023 draft per-loan cap (Example 4)",
     {"policies/zz-kejidai-2018.yaml", "policies/zz-kejidai-2023-draft.yaml",
      "policies/zz-kejidai-2025.yaml"},
     "zz-kejidai",
     DIR "zz-loans.csv",
     DIR "zz-events.csv",
     HEAD "ZF1,funding,,zz-pool,20000000.00\n"
          "ZR1,repayment,Z1,,1000000.00\n"
          "ZD1,default,Z1,zz-pool,1000000.00\n"
          "ZD1,default,Z1,zzbank,1000000.00\n"
          "ZD2,default,Z2,zz-pool,5000000.00\n"
          "ZD2,default,Z2,zz-guarantee,7000000.00\n"
          "ZD2,default,Z2,zzbank,3000000.00\n"
          "ZC1,recovery,Z1,zz-pool,150000.00\n"
          "ZC1,recovery,Z1,zzbank,150000.00\n"},
    {"EU capped portfolio, program cap (Example 5)",
     {"policies/eu-capped-portfolio.yaml"},
     "eu-capped-portfolio",
     DIR "eu-loans.csv",
     DIR "eu-events.csv",
     HEAD "XA,default,EA,eif,400000.00\n"
          "XA,default,EA,eu-partner-bank,400000.00\n"
          "XB,default,EB,eif,450000.00\n"
          "XB,default,EB,eu-partner-bank,450000.00\n"
          "XC,default,EC,eif,150000.00\n"
          "XC,default,EC,eu-partner-bank,550000.00\n"
          "XR,recovery,EA,eif,100000.00\n"
          "XR,recovery,EA,eu-partner-bank,100000.00\n"},
    {"SBA-style principal plus interest, largest remainder (Example 6)",
     {DIR "sba.yaml"},
     "sba",
     DIR "sba-loans.csv",
     DIR "sba-events.csv",
     HEAD "SD1,default,S1,sba-pool,230547.95\n"
          "SD1,default,S1,lender,76849.31\n"
          "SD2,default,S2,sba-pool,232397.26\n"
          "SD2,default,S2,lender,77465.75\n"
          "SR1,recovery,S1,sba-pool,75000.00\n"
          "SR1,recovery,S1,lender,25000.00\n"},
    {"year cap and stop_payments breaker",
     {DIR "breaker.yaml"},
     "brk",
     DIR "breaker-loans.csv",
     DIR "breaker-events.csv",
     HEAD "K1,default,L1,brk-pool,60000.00\n"
          "K1,default,L1,b1,40000.00\n"
          "K2,default,M1,brk-pool,40000.00\n"
          "K2,default,M1,b2,60000.00\n"
          "K3,default,L2,brk-pool,0.00\n"
          "K3,default,L2,b1,100000.00\n"
          "K4,recovery,L1,brk-pool,24000.00\n"
          "K4,recovery,L1,b1,16000.00\n"},
};

/* Each example's report, exactly; a second import skips every event and prints the same. */
static void run_example(const example *ex)
{
    char db[512];
    setup(db, sizeof(db), ex->policies, ex->program, ex->loans);
    clh_result r = import(db, ex->program, ex->events);
    cr_assert_eq(r.status, 0, "%s: %s", ex->name, r.err);
    cr_expect_str_eq(r.out, ex->report, "%s", ex->name);
    clh_free(&r);
    r = import(db, ex->program, ex->events);
    cr_assert_eq(r.status, 0, "%s (again): %s", ex->name, r.err);
    cr_expect_str_eq(r.out, ex->report, "%s (again)", ex->name);
    clh_free(&r);
    /* Every default split exactly; every entry balances per party. */
    expect_value(db,
                 "SELECT count(*) FROM defaults d WHERE loss_base <> (SELECT sum(amount) FROM"
                 " default_parts p WHERE p.program = d.program AND p.event_id = d.event_id)",
                 "0");
    expect_value(db,
                 "SELECT count(*) FROM (SELECT seq, party FROM postings GROUP BY seq, party"
                 " HAVING sum(CASE side WHEN 'debit' THEN amount ELSE -amount END) <> 0) x",
                 "0");
}

/* One test per example, so Criterion runs them in parallel (parameterized tests would
   hand the worker processes pointers into another address space). */
#define EXAMPLE(name, i)                                                                           \
    Test(events, name) { run_example(&examples[i]); }
EXAMPLE(henan_bank_year_cap, 0)
EXAMPLE(anhui_4321, 1)
EXAMPLE(national_hnte, 2)
EXAMPLE(zhengzhou_direct_and_loan_cap, 3)
EXAMPLE(eu_program_cap, 4)
EXAMPLE(sba_interest_basis, 5)
EXAMPLE(year_cap_and_breaker, 6)

/* The postings of DESIGN 7 for a 4321 default: 代偿, the others' payments, the recovery. */
Test(events, anhui_postings_and_balances)
{
    char db[512];
    setup(db, sizeof(db), (const char *const[]){"policies/anhui-4321.yaml", NULL}, "anhui-4321",
          DIR "anhui-loans.csv");
    clh_result r = import(db, "anhui-4321", DIR "anhui-events.csv");
    cr_assert_eq(r.status, 0, "%s", r.err);
    clh_free(&r);
    expect_value(db, "SELECT string_agg(kind, ',' ORDER BY seq) FROM entries",
                 "default,guarantor_compensation,party_share,party_share,recovery");
    expect_value(db,
                 "SELECT string_agg(account || '=' || balance, ' ' ORDER BY account)"
                 " FROM account_balances WHERE account LIKE '%:loss' OR account LIKE '%:external'",
                 "ah-credit-guarantee:loss=3000000.00 ah-local-gov:loss=1000000.00"
                 " hefei-guarantee:loss=4000000.00 hsbank:external=-10000000.00"
                 " hsbank:loss=2000000.00");
    /* The guarantor paid the bank 8,000,000 (代偿) and got 4,000,000 back at once. */
    expect_value(db, "SELECT balance FROM account_balances WHERE account = 'hefei-guarantee:cash'",
                 "-3200000.00");
    expect_value(db, "SELECT count(*) FROM claims", "0");
}

/* A pool's part is a claim payable to the claimant, settled later. */
Test(events, pool_claims_and_settlement)
{
    char db[512];
    setup(db, sizeof(db), (const char *const[]){"policies/henan-kejidai-2025.yaml", NULL},
          "henan-kejidai", DIR "henan-loans.csv");
    clh_result r = import(db, "henan-kejidai", DIR "henan-events.csv");
    cr_assert_eq(r.status, 0, "%s", r.err);
    clh_free(&r);
    expect_value(db,
                 "SELECT string_agg(loan_id || ':' || kind || ':' || payee || ':' || amount || ':'"
                 " || claim_date, ' ' ORDER BY claim_id) FROM claims",
                 "H3:compensation:zybank:300000.00:2026-02-01"
                 " H1:compensation:zybank:500000.00:2026-03-01");
    expect_value(db,
                 "SELECT trace::json -> 'cuts' -> 0 ->> 'limit' FROM defaults WHERE event_id = 'D1'",
                 "500000.00");
    r = clh_run(db, (const char *const[]){"settle", "--quiet", "--format", "csv", "--program",
                                          "henan-kejidai", "--through", "2026-06-30", "--commit",
                                          NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect_str_eq(r.out,
                     "claim_id,loan_id,kind,payer,payee,claim_date,open_before,paid,open_after\n"
                     "1,H3,compensation,hn-pool,zybank,2026-02-01,300000.00,300000.00,0.00\n"
                     "2,H1,compensation,hn-pool,zybank,2026-03-01,500000.00,500000.00,0.00\n");
    clh_free(&r);
    /* The pool's cash: funding 1,000,000 + its recovery share 40,000 - paid 800,000. */
    expect_value(db, "SELECT balance FROM account_balances WHERE account = 'hn-pool:cash'",
                 "240000.00");
    expect_value(db, "SELECT balance FROM account_balances WHERE account = 'zybank:receivable'",
                 "0.00");
}

/* Closing a loan opens its interest subsidy; fifo pays the fee subsidy, then part of one. */
Test(events, interest_subsidy_claims)
{
    char db[512];
    setup(db, sizeof(db), (const char *const[]){DIR "subsidy.yaml", NULL}, "sub",
          DIR "subsidy-loans.csv");
    clh_result r = import(db, "sub", DIR "subsidy-events.csv");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect_str_eq(r.out, HEAD "UF,funding,,sub-pool,6000.00\n"
                                 "U1a,repayment,U1,,40000.00\n"
                                 "U1b,repayment,U1,,60000.00\n"
                                 "U2a,repayment,U2,,50000.00\n");
    clh_free(&r);
    /* U1: min(18,000 x 30%, 5,000); U2: 3,333.33 x 30% = 999.999 -> 1,000.00. */
    expect_value(db,
                 "SELECT string_agg(loan_id || ':' || payee || ':' || amount || ':' || claim_date"
                 " || ':' || coalesce(event_id, '-'), ' ' ORDER BY claim_id) FROM claims"
                 " WHERE kind = 'interest_subsidy'",
                 "U1:borrower:914100001699995779:5000.00:2024-12-31:U1b"
                 " U2:borrower:91440300708461136T:1000.00:2024-12-31:U2a");
    r = clh_run(db, (const char *const[]){"settle", "--quiet", "--format", "csv", "--program",
                                          "sub", "--through", "2024-12-31", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect_str_eq(
        r.out, "claim_id,loan_id,kind,payer,payee,claim_date,open_before,paid,open_after\n"
               "1,U3,fee_subsidy,sub-pool,borrower:914100001699995779,2024-02-01,5000.00,5000.00,"
               "0.00\n"
               "2,U1,interest_subsidy,sub-pool,borrower:914100001699995779,2024-12-31,5000.00,"
               "1000.00,4000.00\n"
               "3,U2,interest_subsidy,sub-pool,borrower:91440300708461136T,2024-12-31,1000.00,"
               "0.00,1000.00\n");
    clh_free(&r);
}

/* The trace names what cut each part; default_parts keeps raw and final parts. */
Test(events, caps_and_breakers_traced)
{
    char db[512];
    setup(db, sizeof(db), (const char *const[]){DIR "breaker.yaml", NULL}, "brk",
          DIR "breaker-loans.csv");
    clh_result r = import(db, "brk", DIR "breaker-events.csv");
    cr_assert_eq(r.status, 0, "%s", r.err);
    clh_free(&r);
    expect_value(db,
                 "SELECT string_agg(event_id || ':' || party || ':' || raw || ':' || amount || ':'"
                 " || coalesce(cut_by, '-'), ' ' ORDER BY event_id, position) FROM default_parts",
                 "K1:brk-pool:60000.00:60000.00:- K1:b1:40000.00:40000.00:-"
                 " K2:brk-pool:60000.00:40000.00:caps[0] K2:b2:40000.00:60000.00:-"
                 " K3:brk-pool:60000.00:0.00:breaker:bank-stop K3:b1:40000.00:100000.00:-");
    expect_value(db, "SELECT trace::json ->> 'stop_payments' FROM defaults WHERE event_id = 'K3'",
                 "[\"bank-stop\"]");
    expect_value(db, "SELECT residual FROM defaults WHERE event_id = 'K2'", "b2");
}

typedef struct {
    const char *csv;     /* events after the header */
    const char *error;   /* stderr, without the file name */
} bad_case;

/* Run against the Anhui loan AH1 (10,000,000 from 2024-01-10) and brk's L1. */
static const bad_case bad_cases[] = {
    {"B1,default,2025-01-01,NOPE,,,,\n", "2:4: loan_id \"NOPE\" is not an admitted loan of brk"},
    {"B1,default,2023-12-31,L1,,,,\n",
     "2:3: date: this default is dated before the loan starts (loan L1)"},
    {"B1,default,2025-01-01,L1,,,,\nB2,default,2025-02-01,L1,,,,\n",
     "3:4: loan_id: this default names a loan that has defaulted (loan L1)"},
    {"B1,repayment,2025-01-01,L1,,100000,,\nB2,default,2025-02-01,L1,,,,\n",
     "3:4: loan_id: this default names a loan that is closed (repaid in full) (loan L1)"},
    {"B1,repayment,2025-01-01,L1,,100000.01,,\n",
     "2:6: amount: this repayment is above the outstanding principal (loan L1)"},
    {"B1,recovery,2025-01-01,L1,,100,,\n",
     "2:4: loan_id: this recovery names a loan that has not defaulted (loan L1)"},
    {"B1,default,2025-01-01,L1,,,,\nB2,recovery,2024-12-31,L1,,100,,\n",
     "3:3: date: this recovery is dated before the loan's default (loan L1)"},
    {"B1,default,2025-01-01,L1,,,,\nB2,recovery,2025-02-01,L1,,100000,,\n"
     "B3,recovery,2025-03-01,L1,,0.01,,\n",
     "4:6: amount: this recovery brings the cumulative net recovery above the loss base (loan "
     "L1)"},
    {"B1,default,2025-01-01,L1,,,,\nB2,recovery,2025-02-01,L1,,1000,,200.01\n",
     "3:8: cost: this recovery has costs above the policy's cost_cap x gross (loan L1)"},
    {"B1,funding,2025-01-01,,b1,100,,\n", "2:5: party \"b1\" is not a pool of brk"},
    {"K1,default,2025-03-02,L1,,,,\n",
     "2:1: event_id \"K1\" is already recorded in brk with other content"},
};

/* Every input error: its line, column and message, exit 65, nothing recorded. */
static void run_bad(const bad_case *c)
{
    char db[512], path[512], text[1024], want[1024];
    setup(db, sizeof(db), (const char *const[]){DIR "breaker.yaml", NULL}, "brk",
          DIR "breaker-loans.csv");
    clh_write_file(path, sizeof(path), "recorded.csv",
                   "event_id,kind,date,loan_id,party,amount,interest,cost\n"
                   "K1,default,2025-03-01,M2,,,,\n");
    clh_result r = import(db, "brk", path);
    cr_assert_eq(r.status, 0, "%s", r.err);
    clh_free(&r);
    snprintf(text, sizeof(text), "event_id,kind,date,loan_id,party,amount,interest,cost\n%s",
             c->csv);
    clh_write_file(path, sizeof(path), "bad.csv", text);
    r = import(db, "brk", path);
    snprintf(want, sizeof(want), "riskshare: %s:%s\n", path, c->error);
    cr_expect_eq(r.status, 65, "%s", c->csv);
    cr_expect_str_eq(r.err, want, "%s", c->csv);
    cr_expect_str_eq(r.out, "", "%s", c->csv);
    clh_free(&r);
    expect_value(db, "SELECT count(*) || ':' || (SELECT count(*) FROM entries) FROM events",
                 "1:1");
}

#define BAD(name, i)                                                                               \
    Test(events, name) { run_bad(&bad_cases[i]); }
BAD(error_unknown_loan, 0)
BAD(error_before_start, 1)
BAD(error_default_twice, 2)
BAD(error_default_closed, 3)
BAD(error_repayment_above_outstanding, 4)
BAD(error_recovery_without_default, 5)
BAD(error_recovery_before_default, 6)
BAD(error_recovery_above_loss_base, 7)
BAD(error_cost_cap, 8)
BAD(error_funding_not_a_pool, 9)
BAD(error_event_id_other_content, 10)

/* A file mixing recorded and new events records only the new ones. */
Test(events, partial_repeat_records_only_new)
{
    char db[512], path[512];
    setup(db, sizeof(db), (const char *const[]){DIR "breaker.yaml", NULL}, "brk",
          DIR "breaker-loans.csv");
    clh_write_file(path, sizeof(path), "one.csv",
                   "event_id,kind,date,loan_id,party,amount,interest,cost\n"
                   "K1,default,2025-03-01,L1,,,,\n");
    clh_result r = import(db, "brk", path);
    cr_assert_eq(r.status, 0, "%s", r.err);
    clh_free(&r);
    r = clh_run(db, (const char *const[]){"events", "import", "--format", "csv", "--program", "brk",
                                          DIR "breaker-events.csv", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect_str_eq(r.err, "riskshare: " DIR "breaker-events.csv: 4 events, 3 recorded, 1 "
                            "already recorded (skipped)\n");
    clh_free(&r);
    expect_value(db, "SELECT string_agg(event_id || ':' || event_no, ' ' ORDER BY event_no)"
                     " FROM events",
                 "K1:1 K2:2 K3:3 K4:4");
}
