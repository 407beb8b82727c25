/*
 * test_admission.c -- goal: admission follows DESIGN 6 and 10 exactly: the
 * version in force on the start date, every eligibility failure in policy
 * order, hit first and unique, every reason code, the guarantee fee and fee
 * subsidy to the fen, breakers on cumulative and yearly windows, capacity at
 * and just over its limit, expected loss per party, and each loan seeing the
 * loans admitted before it in the batch.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "admission.h"
#include "loader.h"

static eng_policy *v1, *v2;
static const eng_policy *versions[2];
static eng_adm_state st;

static void setup(void)
{
    eng_error err;
    cr_assert_eq(pol_load_file(&v1, "tests/data/admission-v1.yaml", NULL, NULL, &err), ENG_OK,
                 "%s", err.message);
    cr_assert_eq(pol_load_file(&v2, "tests/data/admission.yaml", NULL, NULL, &err), ENG_OK,
                 "%s", err.message);
    versions[0] = v1;
    versions[1] = v2;
    cr_assert_eq(eng_adm_state_init(&st), ENG_OK);
    st.versions = versions;
    st.n_versions = 2;
    cr_assert_eq(eng_tally_add(st.pool_cash, "pool", 4, 1000000000LL, 0), ENG_OK); /* 10,000,000.00 */
}

static void teardown(void)
{
    eng_adm_state_clear(&st);
    eng_policy_free(v1);
    eng_policy_free(v2);
}

TestSuite(admission, .init = setup, .fini = teardown);

/* A loan as text: id borrower tech sector grade bank guarantor principal start term fee_rate */
typedef struct {
    const char *id, *borrower, *tech, *sector, *grade, *bank, *guarantor, *principal, *start;
    int term;
    const char *fee_rate;
    /* expected */
    const char *reasons;  /* "" when admitted */
    const char *rule;
    eng_fen fee, subsidy;
} loan_case;

static void q(mpq_t out, const char *text)
{
    eng_error err;
    cr_assert_eq(eng_num_parse(out, text, strlen(text), &err), ENG_OK, "%s", text);
}

/* Decides one loan case and checks every expected field. */
static void run_case(const loan_case *c, eng_adm_decision *d)
{
    eng_loan loan;
    eng_error err;
    char reasons[512] = "", buf[96];

    eng_loan_init(&loan);
    loan.loan_id = c->id;
    loan.borrower_code = c->borrower;
    loan.tech_status = c->tech;
    loan.sector = c->sector;
    loan.credit_grade = c->grade;
    loan.bank = c->bank;
    loan.guarantor = c->guarantor;
    q(loan.principal, c->principal);
    q(loan.annual_rate, "0.045");
    q(loan.collateral_ratio, "0");
    loan.term_months = c->term;
    cr_assert_eq(eng_date_parse(&loan.start_date, c->start, 10, &err), ENG_OK);
    if (c->fee_rate != NULL) {
        loan.has_fee_rate = 1;
        q(loan.fee_rate, c->fee_rate);
    }
    cr_assert_eq(eng_admit(d, &st, &loan, &err), ENG_OK, "%s: %s", c->id, err.message);
    for (size_t i = 0; i < d->n_reasons; i++) {
        size_t used = strlen(reasons);
        snprintf(reasons + used, sizeof(reasons) - used, "%s%s", i ? ";" : "",
                 eng_reason_text(&d->reasons[i], d->policy, buf, sizeof(buf)));
    }
    cr_expect_str_eq(reasons, c->reasons, "%s reasons", c->id);
    cr_expect_eq(d->admitted, c->reasons[0] == '\0', "%s admitted", c->id);
    if (d->admitted) {
        cr_expect_str_eq(d->policy->terms.rules[d->terms.rule].id, c->rule, "%s rule", c->id);
        cr_expect_eq(d->guarantee_fee, c->fee, "%s fee %lld", c->id, (long long)d->guarantee_fee);
        cr_expect_eq(d->fee_subsidy, c->subsidy, "%s subsidy %lld", c->id,
                     (long long)d->fee_subsidy);
    }
    eng_loan_clear(&loan);
}

static void run_cases(const loan_case *cases, size_t n)
{
    eng_adm_decision d;
    eng_adm_decision_init(&d);
    for (size_t i = 0; i < n; i++) {
        run_case(&cases[i], &d);
    }
    eng_adm_decision_clear(&d);
}

#define B1 "914403001922038216"
#define B2 "91330100716105852F"
#define B3 "91440300708461136T"

Test(admission, every_reason_in_order)
{
    static const loan_case cases[] = {
        {"L1", B1, "hnte", "ai", "A", "bk1", NULL, "1000000", "2024-03-01", 12, NULL,
         "", "hnte-direct", 0, 0},
        {"L2", B2, "none", "ai", "A", "bk1", NULL, "1000000", "2024-03-01", 12, NULL,
         "tech", NULL, 0, 0},
        {"L3", B2, "none", "ai", "A", "bk1", NULL, "20000000", "2024-03-01", 48, NULL,
         "tech;max-principal;max-term;borrower-limit", NULL, 0, 0},
        /* 5,000,000 x 1% x 24/12 = 100,000.00; subsidy min(50,000, 30,000) */
        {"L4", B3, "tech_sme", "ai", "A", "bk1", "gu1", "5000000", "2024-03-01", 24, NULL,
         "", "guaranteed", 10000000, 3000000},
        /* 1,234,567.89 x 1.5% x 18/12 = 27,777.777525 -> 27,777.78; subsidy 13,888.89 */
        {"L5", B2, "tech_sme", "ai", "B", "bk2", "gu2", "1234567.89", "2024-03-01", 18, "1.5%",
         "", "guaranteed", 2777778, 1388889},
        {"L6", B2, "tech_sme", "ai", "B", "bk2", "gu2", "100000", "2024-03-01", 12, "2.5%",
         "fee_cap", NULL, 0, 0},
        {"L6b", B2, "tech_sme", "ai", "B", "bk2", "gu2", "100000", "2024-03-01", 12, "2%",
         "", "guaranteed", 200000, 100000},
        {"L7", B2, "little_giant", "ai", "A", "bk1", NULL, "100000", "2024-03-01", 12, NULL,
         "no_terms", NULL, 0, 0},
        {"L8", B2, "tech_sme", "odd", "A", "bk1", NULL, "100000", "2024-03-01", 12, NULL,
         "direct_guarantor_share", NULL, 0, 0},
        {"L9", B2, "hnte", "ai", "A", "bk1", NULL, "100000", "2022-06-01", 12, NULL,
         "no_policy", NULL, 0, 0},
        {"L10", B2, "hnte", "ai", "A", "bk1", NULL, "100000", "2025-01-01", 12, NULL,
         "no_policy", NULL, 0, 0},
        /* B3 owes 5,000,000 from L4: 5M + 7M = 12M holds, then 12M + 0.01 does not */
        {"L11", B3, "hnte", "ai", "A", "bk1", NULL, "7000000", "2024-12-31", 36, NULL,
         "", "hnte-direct", 0, 0},
        {"L12", B3, "hnte", "ai", "A", "bk1", NULL, "0.01", "2024-12-31", 6, NULL,
         "borrower-limit", NULL, 0, 0},
        {"L13", B3, "hnte", "ai", "A", "bk1", NULL, "0.01", "2024-12-31", 5, NULL,
         "max-term;borrower-limit", NULL, 0, 0},
    };
    run_cases(cases, sizeof(cases) / sizeof(cases[0]));
    /* Admitted: 1,000,000 + 5,000,000 + 1,234,567.89 + 100,000 + 7,000,000 */
    cr_assert_eq(st.program_outstanding, 1433456789LL);
    int64_t owed, unused;
    eng_tally_get(st.borrowers, B3, 18, &owed, &unused);
    cr_assert_eq(owed, 1200000000LL);
}

Test(admission, hit_unique_and_version_by_date)
{
    static const loan_case cases[] = {
        {"U1", B1, "hnte", "ai", "A", "bk1", NULL, "700000", "2023-05-01", 12, NULL,
         "ambiguous_terms", NULL, 0, 0},
        {"U2", B1, "hnte", "ai", "A", "bk1", NULL, "100000", "2023-05-01", 12, NULL,
         "", "small", 0, 0},
        {"U3", B1, "hnte", "ai", "A", "bk1", NULL, "2000000", "2023-12-31", 12, NULL,
         "", "medium", 0, 0},
        {"U4", B1, "hnte", "ai", "A", "bk1", NULL, "9000000", "2023-12-31", 12, NULL,
         "no_terms", NULL, 0, 0},
        {"U5", B1, "hnte", "ai", "A", "bk1", NULL, "100000", "2024-01-01", 12, NULL,
         "", "hnte-direct", 0, 0},
    };
    eng_adm_decision d;
    eng_adm_decision_init(&d);
    run_case(&cases[0], &d);
    cr_assert_eq(d.policy->version, 1);
    run_case(&cases[1], &d);
    cr_assert_eq(d.policy->version, 1);
    cr_assert_eq(mpq_cmp_ui(d.terms.share[0], 1, 3), 0);
    cr_assert_eq(mpq_cmp_ui(d.terms.share[2], 2, 3), 0);
    run_case(&cases[2], &d);
    run_case(&cases[3], &d);
    run_case(&cases[4], &d);
    cr_assert_eq(d.policy->version, 2);
    eng_adm_decision_clear(&d);
}

Test(admission, capacity_at_and_over_the_limit)
{
    /* Pool cash 1,000,000.00 x leverage 10 = 10,000,000 (replacing the setup's 10M cash). */
    cr_assert_eq(eng_tally_add(st.pool_cash, "pool", 4, -900000000LL, 0), ENG_OK);
    static const loan_case cases[] = {
        {"C1", B1, "hnte", "ai", "A", "bk1", NULL, "6000000", "2024-03-01", 12, NULL,
         "", "hnte-direct", 0, 0},
        {"C2", B2, "hnte", "ai", "A", "bk1", NULL, "4000000", "2024-03-01", 12, NULL,
         "", "hnte-direct", 0, 0},
        {"C3", B3, "hnte", "ai", "A", "bk1", NULL, "0.01", "2024-03-01", 12, NULL,
         "capacity", NULL, 0, 0},
        /* eligibility comes before capacity */
        {"C4", B3, "none", "ai", "A", "bk1", NULL, "0.01", "2024-03-01", 12, NULL,
         "tech", NULL, 0, 0},
    };
    run_cases(cases, sizeof(cases) / sizeof(cases[0]));
    cr_assert_eq(st.program_outstanding, 1000000000LL);
}

Test(admission, breakers_cumulative_and_yearly)
{
    /* bank bk2: 5% exactly is not over; bk1 just over.  gu1 in 2024: 3% + a fen over. */
    cr_assert_eq(eng_tally_add(st.cumulative, "bank:bk2", 8, 500, 10000), ENG_OK);
    cr_assert_eq(eng_tally_add(st.cumulative, "bank:bk1", 8, 501, 10000), ENG_OK);
    cr_assert_eq(eng_tally_add(st.yearly, "guarantor:gu1@2024", 18, 301, 10000), ENG_OK);
    cr_assert_eq(eng_tally_add(st.yearly, "guarantor:gu1@2023", 18, 900, 1000), ENG_OK);
    /* the program is far over pay-stop's 1%, a stop_payments breaker: no effect here */
    cr_assert_eq(eng_tally_add(st.cumulative, "program", 7, 900, 1000), ENG_OK);
    static const loan_case cases[] = {
        {"K1", B1, "tech_sme", "ai", "A", "bk2", "gu2", "100", "2024-03-01", 12, NULL,
         "", "guaranteed", 100, 50},
        {"K2", B1, "tech_sme", "ai", "A", "bk1", "gu2", "100", "2024-03-01", 12, NULL,
         "breaker:bank-5pct", NULL, 0, 0},
        {"K3", B1, "tech_sme", "ai", "A", "bk1", "gu1", "100", "2024-03-01", 12, NULL,
         "breaker:bank-5pct;breaker:gu-year-3pct", NULL, 0, 0},
        /* direct loans have no guarantor scope */
        {"K4", B1, "hnte", "ai", "A", "bk2", NULL, "100", "2024-03-01", 12, NULL,
         "", "hnte-direct", 0, 0},
        /* a 2024 loan on gu1 and bk2: only the yearly gu1 breaker bites */
        {"K5", B1, "tech_sme", "ai", "A", "bk2", "gu1", "100", "2024-06-01", 12, NULL,
         "breaker:gu-year-3pct", NULL, 0, 0},
    };
    run_cases(cases, sizeof(cases) / sizeof(cases[0]));
    /* K1 added 100.00 to bk2's principal: 500 / 20000 = 2.5%, still admitted */
    int64_t num, den;
    eng_tally_get(st.cumulative, "bank:bk2", 8, &num, &den);
    cr_assert_eq(num, 500);
    cr_assert_eq(den, 10000 + 10000 + 10000);
}

Test(admission, batch_loans_dilute_the_yearly_rate)
{
    /* gu1 in 2024: 301 / 10000 is over 3%; a 2024 loan on gu1 started earlier in the
     * batch adds to the year's denominator, and one started in 2025 would not. */
    cr_assert_eq(eng_tally_add(st.yearly, "guarantor:gu1@2024", 18, 301, 10000), ENG_OK);
    /* The diluting loan, as eng_admit records an admitted one. */
    cr_assert_eq(eng_tally_add(st.batch_started, "guarantor:gu1@2024", 18, 100, 0), ENG_OK);
    st.first_batch_year = 2024;
    static const loan_case cases[] = {
        /* 301 / 10100 = 2.98% */
        {"D1", B1, "tech_sme", "ai", "A", "bk1", "gu1", "100", "2024-09-01", 12, NULL,
         "", "guaranteed", 100, 50},
    };
    run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(admission, expected_loss_per_party)
{
    static const loan_case cases[] = {
        {"E1", B3, "tech_sme", "ai", "A", "bk1", "gu1", "5000000", "2024-03-01", 24, NULL,
         "", "guaranteed", 10000000, 3000000},
    };
    eng_adm_decision d;
    eng_adm_decision_init(&d);
    run_case(&cases[0], &d);
    /* 5,000,000 x 1% x 50% = 25,000 split 40/20/20/20: pool, prov, gu1, (gu2), bk1, (bk2) */
    static const eng_fen want[6] = {1000000, 500000, 500000, 0, 500000, 0};
    cr_assert(d.has_expected_loss);
    for (int i = 0; i < 6; i++) {
        cr_expect_eq(d.expected_loss[i], want[i], "party %d: %lld", i,
                     (long long)d.expected_loss[i]);
    }
    /* a grade the table does not know: no expected loss */
    static const loan_case unknown = {"E2", B3, "tech_sme", "ai", "Z", "bk1", "gu1", "100",
                                      "2024-03-01", 12, NULL, "", "guaranteed", 100, 50};
    run_case(&unknown, &d);
    cr_assert(!d.has_expected_loss);
    eng_adm_decision_clear(&d);
}
