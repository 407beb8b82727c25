/*
 * test_programs.c -- the real programs shipped in policies/.
 *
 * Goal: every policy file loads, and its eligibility rules and terms table give, on
 * example loans, exactly the shares, tiers and limits that the sources say.  The expected
 * figures are copied here from the team's research notes (risk-sharing-rules.md, sections
 * 1 and 4: worked examples 1-5), so the tests read nothing outside the repository.
 * Rationals are compared exactly with mpq_cmp against parsed decimal text; a failure
 * names the policy file and the example loan.
 *
 * Run from the repository root (the policy paths are relative to it).
 */
#include <criterion/criterion.h>

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "money.h"
#include "policy.h"
#include "rules.h"

#define ZZ_2018 "policies/zz-kejidai-2018.yaml"
#define ZZ_2023 "policies/zz-kejidai-2023-draft.yaml"
#define ZZ_2025 "policies/zz-kejidai-2025.yaml"
#define HENAN "policies/henan-kejidai-2025.yaml"
#define ANHUI "policies/anhui-4321.yaml"
#define NATIONAL "policies/national-tech-guarantee-2024.yaml"
#define EU "policies/eu-capped-portfolio.yaml"

/* Party shares or amounts one example expects; parties not listed must get 0. */
#define CASE_PARTIES 4

typedef struct {
    const char *party; /* a party id of the policy */
    const char *value; /* exact number text */
} party_value;

/* The loan fields an example sets; NULL / 0 take the defaults of fill_loan(). */
typedef struct {
    const char *id;
    const char *tech_status;      /* default hnte */
    const char *bank;             /* default the first bank party */
    const char *guarantor;        /* NULL: a direct loan */
    const char *principal;        /* default 1000000 */
    const char *revenue;          /* default 0 */
    const char *collateral_ratio; /* default 0 */
    int term_months;              /* default 12 */
    const char *start_date;       /* default the policy's effective_from */
} loan_spec;

/* ---- helpers ----------------------------------------------------------------------- */

static eng_policy *load(const char *file)
{
    eng_policy *p = NULL;
    eng_error err;
    char line[1400];

    eng_error_clear(&err);
    eng_status rc = pol_load_file(&p, file, NULL, NULL, &err);
    eng_error_format(line, sizeof(line), &err);
    cr_assert_eq(rc, ENG_OK, "%s does not load: %s", file, line);
    cr_assert_not_null(p);
    return p;
}

static void q_parse(mpq_t out, const char *text)
{
    eng_error err;
    eng_error_clear(&err);
    cr_assert_eq(eng_num_parse(out, text, strlen(text), &err), ENG_OK,
                 "bad number in the test table: %s (%s)", text, err.message);
}

static eng_date date_parse(const char *text)
{
    eng_date d = 0;
    eng_error err;
    eng_error_clear(&err);
    cr_assert_eq(eng_date_parse(&d, text, strlen(text), &err), ENG_OK,
                 "bad date in the test table: %s", text);
    return d;
}

/* 1 when `got` equals the number `want`; on a mismatch reports both, with `what`. */
static int expect_q(const mpq_t got, const char *want, const char *file, const char *loan_id,
                    const char *what)
{
    mpq_t w;
    mpq_init(w);
    q_parse(w, want);
    int same = mpq_cmp(got, w) == 0;
    if (!same) {
        char *g = eng_q_format(got);
        cr_expect(same, "%s: loan %s: %s is %s, want %s", file, loan_id, what, g, want);
        free(g);
    }
    mpq_clear(w);
    return same;
}

static const char *first_party_of_kind(const eng_policy *p, eng_party_kind kind)
{
    for (size_t i = 0; i < p->n_parties; i++) {
        if (p->parties[i].kind == kind) {
            return p->parties[i].id;
        }
    }
    return NULL;
}

/* Fills `loan` (initialised by the caller) from `s` and the defaults above. */
static void fill_loan(eng_loan *loan, const eng_policy *p, const loan_spec *s)
{
    loan->loan_id = s->id;
    loan->borrower_code = "91410100MA40000000";
    loan->tech_status = s->tech_status != NULL ? s->tech_status : "hnte";
    loan->sector = "manufacturing";
    loan->credit_grade = "B";
    loan->bank = s->bank != NULL ? s->bank : first_party_of_kind(p, ENG_PARTY_BANK);
    loan->guarantor = s->guarantor;
    q_parse(loan->principal, s->principal != NULL ? s->principal : "1000000");
    q_parse(loan->revenue, s->revenue != NULL ? s->revenue : "0");
    q_parse(loan->annual_rate, "4.35%");
    q_parse(loan->collateral_ratio, s->collateral_ratio != NULL ? s->collateral_ratio : "0");
    loan->term_months = s->term_months != 0 ? s->term_months : 12;
    loan->first_loan = 0;
    loan->start_date = s->start_date != NULL ? date_parse(s->start_date) : p->effective_from;
    loan->has_fee_rate = 0;
    cr_assert_not_null(loan->bank, "%s: no bank party", s->id);
}

static int party_index(const eng_policy *p, const char *file, const char *id)
{
    int i = eng_policy_party(p, id);
    cr_assert_geq(i, 0, "%s: no party %s", file, id);
    return i;
}

static const char *rule_id(const eng_policy *p, int rule)
{
    return rule >= 0 ? p->terms.rules[rule].id : "(none)";
}

/* ---- every file loads ---------------------------------------------------------------- */

/* The programs DESIGN 4 requires, with the program id and version each file must carry. */
static const struct {
    const char *file;
    const char *program;
    long version;
    const char *currency;
    const char *effective_from;
} shipped[] = {
    {ZZ_2018, "zz-kejidai", 1, "CNY", "2018-11-01"},
    {ZZ_2023, "zz-kejidai", 2, "CNY", "2023-06-01"},
    {ZZ_2025, "zz-kejidai", 3, "CNY", "2025-02-18"},
    {HENAN, "henan-kejidai", 1, "CNY", "2025-06-01"},
    {ANHUI, "anhui-4321", 1, "CNY", "2015-01-01"},
    {NATIONAL, "national-tech-guarantee", 1, "CNY", "2024-07-24"},
    {EU, "eu-capped-portfolio", 1, "EUR", "2014-08-01"},
};

Test(programs, shipped_files_load_with_their_identity)
{
    for (size_t i = 0; i < sizeof(shipped) / sizeof(shipped[0]); i++) {
        eng_policy *p = load(shipped[i].file);
        cr_expect_str_eq(p->program, shipped[i].program, "%s: program", shipped[i].file);
        cr_expect_eq(p->version, shipped[i].version, "%s: version", shipped[i].file);
        cr_expect_str_eq(p->currency, shipped[i].currency, "%s: currency", shipped[i].file);
        cr_expect_eq(p->effective_from, date_parse(shipped[i].effective_from),
                     "%s: effective_from", shipped[i].file);
        cr_expect_gt(strlen(p->legal_ref), 0, "%s: legal_ref is empty", shipped[i].file);
        eng_policy_free(p);
    }
}

/* Whatever else lands in policies/ (not in a subfolder) must load too. */
Test(programs, every_policy_file_loads)
{
    glob_t g;
    cr_assert_eq(glob("policies/*.yaml", 0, NULL, &g), 0,
                 "no policies/*.yaml: run the tests from the repository root");
    cr_expect_geq(g.gl_pathc, sizeof(shipped) / sizeof(shipped[0]));
    for (size_t i = 0; i < g.gl_pathc; i++) {
        eng_policy_free(load(g.gl_pathv[i]));
    }
    globfree(&g);
}

/* ---- zz-kejidai: which version governs a loan (新老划断) ------------------------------ */

static const struct {
    const char *date;
    long version; /* 0: no version in force */
} zz_dates[] = {
    {"2018-10-31", 0}, /* 郑政办〔2018〕97号 issued October 2018: from 2018-11-01 */
    {"2018-11-01", 1},
    {"2023-05-31", 1},
    {"2023-06-01", 2}, /* the 2023 draft, as if adopted after its comment period */
    {"2025-02-17", 2},
    {"2025-02-18", 3}, /* the 2025 plan, valid 2 years from 2025-02-18 */
    {"2026-12-31", 3},
    {"2027-02-17", 3},
    {"2027-02-18", 0},
};

/* The highest version in force on `d` (DESIGN 6), or 0. */
static long zz_governing(eng_policy *const *v, size_t n, eng_date d)
{
    long best = 0;
    for (size_t i = 0; i < n; i++) {
        if (eng_policy_in_force(v[i], d) && v[i]->version > best) {
            best = v[i]->version;
        }
    }
    return best;
}

Test(programs, zz_kejidai_version_in_force_by_date)
{
    eng_policy *v[3] = {load(ZZ_2018), load(ZZ_2023), load(ZZ_2025)};

    for (size_t i = 0; i < 3; i++) {
        cr_expect_str_eq(v[i]->program, "zz-kejidai");
    }
    for (size_t i = 0; i < sizeof(zz_dates) / sizeof(zz_dates[0]); i++) {
        long got = zz_governing(v, 3, date_parse(zz_dates[i].date));
        cr_expect_eq(got, zz_dates[i].version, "zz-kejidai on %s: version %ld, want %ld",
                     zz_dates[i].date, got, zz_dates[i].version);
    }
    /* The windows never overlap: on no day are two versions in force. */
    eng_date from = date_parse("2014-01-01");
    eng_date to = date_parse("2030-12-31");
    for (eng_date d = from; d <= to; d++) {
        int n = 0;
        for (size_t i = 0; i < 3; i++) {
            n += eng_policy_in_force(v[i], d);
        }
        char text[11];
        eng_date_format(text, d);
        cr_expect_leq(n, 1, "zz-kejidai: %d versions in force on %s", n, text);
    }
    for (size_t i = 0; i < 3; i++) {
        eng_policy_free(v[i]);
    }
}

/*
 * 新老划断: the same guaranteed loan started the day before and the day the 2025 plan took
 * over gets 4:4:2 (2023 draft) and 20% pool (2025 plan) respectively, for its whole life.
 */
Test(programs, zz_kejidai_new_old_split)
{
    eng_policy *v[3] = {load(ZZ_2018), load(ZZ_2023), load(ZZ_2025)};
    static const struct {
        const char *start;
        long version;
        const char *pool;
        const char *guarantor;
        const char *bank;
    } cases[] = {
        {"2025-02-17", 2, "40%", "40%", "20%"},
        {"2025-02-18", 3, "20%", "60%", "20%"},
    };

    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        eng_date d = date_parse(cases[c].start);
        long version = zz_governing(v, 3, d);
        cr_assert_eq(version, cases[c].version, "loan started %s: version %ld",
                     cases[c].start, version);
        eng_policy *p = v[version - 1];
        const char *file = version == 2 ? ZZ_2023 : ZZ_2025;
        loan_spec s = {.id = cases[c].start, .guarantor = "zz-guarantee",
                       .start_date = cases[c].start};
        eng_loan loan;
        eng_terms_result r;
        eng_loan_init(&loan);
        fill_loan(&loan, p, &s);
        eng_terms_result_init(&r, p->n_parties);
        cr_expect_eq(eng_terms_decide(&r, p, &loan), ENG_TERMS_OK, "%s: loan %s", file, s.id);
        expect_q(r.share[party_index(p, file, "zz-pool")], cases[c].pool, file, s.id, "zz-pool");
        expect_q(r.share[party_index(p, file, "zz-guarantee")], cases[c].guarantor, file, s.id,
                 "zz-guarantee");
        expect_q(r.share[party_index(p, file, "zzbank")], cases[c].bank, file, s.id, "zzbank");
        eng_terms_result_clear(&r);
        eng_loan_clear(&loan);
    }
    for (size_t i = 0; i < 3; i++) {
        eng_policy_free(v[i]);
    }
}

/* ---- terms tables -------------------------------------------------------------------- */

typedef struct {
    const char *file;
    loan_spec loan;
    eng_terms_status status;
    const char *rule;                      /* expected rule id; NULL when no rule */
    party_value shares[CASE_PARTIES];      /* every other party: 0 */
    const char *fee_rate_cap;              /* NULL: not checked */
    const char *loss;                      /* NULL: no amounts checked */
    party_value amounts[CASE_PARTIES];     /* share x loss, before caps */
} terms_case;

static const terms_case terms_cases[] = {
    /* 郑科贷 2018: the pool pays 80% of a direct loan's loss, the bank 20%. */
    {ZZ_2018, {.id = "zz18-direct"}, ENG_TERMS_OK, "direct",
     {{"zz-pool", "80%"}, {"zzbank", "20%"}}, NULL, NULL, {{0}}},
    {ZZ_2018, {.id = "zz18-direct-zybank", .bank = "zybank", .collateral_ratio = "30%"},
     ENG_TERMS_OK, "direct", {{"zz-pool", "0.8"}, {"zybank", "0.2"}}, NULL, NULL, {{0}}},

    /* 2023 draft: pure-credit 高企 80%, secured direct 60%, guaranteed 4:4:2 (example 4b). */
    {ZZ_2023, {.id = "zz23-credit-hnte"}, ENG_TERMS_OK, "credit-hnte",
     {{"zz-pool", "80%"}, {"zzbank", "20%"}}, "2%", NULL, {{0}}},
    {ZZ_2023, {.id = "zz23-secured", .collateral_ratio = "0.01%"}, ENG_TERMS_OK,
     "direct-secured", {{"zz-pool", "60%"}, {"zzbank", "40%"}}, "2%", NULL, {{0}}},
    {ZZ_2023, {.id = "zz23-example-4b", .guarantor = "zz-guarantee", .principal = "15000000"},
     ENG_TERMS_OK, "guaranteed",
     {{"zz-pool", "40%"}, {"zz-guarantee", "40%"}, {"zzbank", "20%"}}, "2%",
     "15000000", {{"zz-pool", "6000000"}, {"zz-guarantee", "6000000"}, {"zzbank", "3000000"}}},

    /* 2025 plan: direct 50% (example 4a: loss 2,000,000 -> pool 1,000,000); guaranteed:
       20% to the guarantor; fee ceiling 1% up to 500万, 1.5% above. */
    {ZZ_2025, {.id = "zz25-example-4a", .principal = "3000000"}, ENG_TERMS_OK, "direct",
     {{"zz-pool", "50%"}, {"zzbank", "50%"}}, NULL,
     "2000000", {{"zz-pool", "1000000"}, {"zzbank", "1000000"}}},
    {ZZ_2025, {.id = "zz25-guaranteed-5m", .guarantor = "zz-guarantee", .principal = "5000000"},
     ENG_TERMS_OK, "guaranteed-small",
     {{"zz-pool", "20%"}, {"zz-guarantee", "60%"}, {"zzbank", "20%"}}, "1%", NULL, {{0}}},
    {ZZ_2025,
     {.id = "zz25-guaranteed-5m+1fen", .guarantor = "zz-guarantee", .principal = "5000000.01"},
     ENG_TERMS_OK, "guaranteed-large",
     {{"zz-pool", "20%"}, {"zz-guarantee", "60%"}, {"zzbank", "20%"}}, "1.5%", NULL, {{0}}},

    /* Henan 2025, example 1: secured loan, revenue 8000万 -> 40%; loss 2,500,000 ->
       nominal 1,000,000. */
    {HENAN, {.id = "henan-example-1", .revenue = "80000000", .collateral_ratio = "20%",
             .principal = "3000000"},
     ENG_TERMS_OK, "revenue-50m-100m", {{"hn-pool", "40%"}, {"zybank", "60%"}}, NULL,
     "2500000", {{"hn-pool", "1000000"}, {"zybank", "1500000"}}},
    /* A credit loan is 60% whatever the revenue (credit tier first, documented order). */
    {HENAN, {.id = "henan-credit-7000w", .revenue = "70000000"}, ENG_TERMS_OK, "credit-loan",
     {{"hn-pool", "60%"}, {"zybank", "40%"}}, NULL, NULL, {{0}}},
    {HENAN, {.id = "henan-credit-2yi", .revenue = "200000000", .bank = "zzbank"}, ENG_TERMS_OK,
     "credit-loan", {{"hn-pool", "60%"}, {"zzbank", "40%"}}, NULL, NULL, {{0}}},

    /* Anhui 4321, example 2: loss 10,000,000 -> guarantor 4,000,000, re-guarantor
       3,000,000, bank 2,000,000, local government 1,000,000. */
    {ANHUI, {.id = "anhui-example-2", .guarantor = "hefei-guarantee", .principal = "10000000"},
     ENG_TERMS_OK, "four-three-two-one",
     {{"hefei-guarantee", "40%"}, {"ah-credit-guarantee", "30%"}, {"hsbank", "20%"},
      {"ah-local-gov", "10%"}},
     NULL, "10000000",
     {{"hefei-guarantee", "4000000"}, {"ah-credit-guarantee", "3000000"},
      {"hsbank", "2000000"}, {"ah-local-gov", "1000000"}}},
    {ANHUI, {.id = "anhui-other-parties", .guarantor = "wuhu-guarantee", .bank = "ah-ccb"},
     ENG_TERMS_OK, "four-three-two-one",
     {{"wuhu-guarantee", "40%"}, {"ah-credit-guarantee", "30%"}, {"ah-ccb", "20%"},
      {"ah-local-gov", "10%"}},
     NULL, NULL, {{0}}},

    /* National plan 2024, example 3 (高企 tier, loan 20,000,000, loss 12,000,000): bank
       2,400,000, fund 4,200,000, re-guarantor 2,400,000, guarantor 3,000,000; fee 1% =
       200,000 a year under the 1.5% ceiling of a guarantee above 500万. */
    {NATIONAL, {.id = "national-example-3", .guarantor = "zz-guarantee",
                .principal = "20000000"},
     ENG_TERMS_OK, "tier2-large",
     {{"national-fund", "35%"}, {"henan-reguarantee", "20%"}, {"zz-guarantee", "25%"},
      {"zzbank", "20%"}},
     "1.5%", "12000000",
     {{"national-fund", "4200000"}, {"henan-reguarantee", "2400000"},
      {"zz-guarantee", "3000000"}, {"zzbank", "2400000"}}},
    {NATIONAL, {.id = "national-little-giant", .tech_status = "little_giant",
                .guarantor = "zz-guarantee", .principal = "5000000"},
     ENG_TERMS_OK, "tier1-small",
     {{"national-fund", "40%"}, {"henan-reguarantee", "20%"}, {"zz-guarantee", "20%"},
      {"zzbank", "20%"}},
     "1%", NULL, {{0}}},
    {NATIONAL, {.id = "national-specialized", .tech_status = "specialized_sme",
                .guarantor = "zz-guarantee", .principal = "5000000.01", .bank = "zybank"},
     ENG_TERMS_OK, "tier1-large",
     {{"national-fund", "40%"}, {"henan-reguarantee", "20%"}, {"zz-guarantee", "20%"},
      {"zybank", "20%"}},
     "1.5%", NULL, {{0}}},
    {NATIONAL, {.id = "national-hnte-5m", .guarantor = "zz-guarantee",
                .principal = "5000000"},
     ENG_TERMS_OK, "tier2-small",
     {{"national-fund", "35%"}, {"henan-reguarantee", "20%"}, {"zz-guarantee", "25%"},
      {"zzbank", "20%"}},
     "1%", NULL, {{0}}},
    {NATIONAL, {.id = "national-hnte-5m+1fen", .guarantor = "zz-guarantee",
                .principal = "5000000.01"},
     ENG_TERMS_OK, "tier2-large",
     {{"national-fund", "35%"}, {"henan-reguarantee", "20%"}, {"zz-guarantee", "25%"},
      {"zzbank", "20%"}},
     "1.5%", NULL, {{0}}},
    {NATIONAL, {.id = "national-tech-sme-5m", .tech_status = "tech_sme",
                .guarantor = "zz-guarantee", .principal = "5000000"},
     ENG_TERMS_OK, "tier3-small",
     {{"national-fund", "30%"}, {"henan-reguarantee", "20%"}, {"zz-guarantee", "30%"},
      {"zzbank", "20%"}},
     "1%", NULL, {{0}}},
    {NATIONAL, {.id = "national-tech-sme-5m+1fen", .tech_status = "tech_sme",
                .guarantor = "zz-guarantee", .principal = "5000000.01"},
     ENG_TERMS_OK, "tier3-large",
     {{"national-fund", "30%"}, {"henan-reguarantee", "20%"}, {"zz-guarantee", "30%"},
      {"zzbank", "20%"}},
     "1.5%", NULL, {{0}}},
    {NATIONAL, {.id = "national-little-giant-5m+1fen", .tech_status = "little_giant",
                .guarantor = "zz-guarantee", .principal = "5000000.01"},
     ENG_TERMS_OK, "tier1-large",
     {{"national-fund", "40%"}, {"henan-reguarantee", "20%"}, {"zz-guarantee", "20%"},
      {"zzbank", "20%"}},
     "1.5%", NULL, {{0}}},

    /* EU capped portfolio, example 5: 50% pari passu; loss A 800,000 -> EIF 400,000. */
    {EU, {.id = "eu-example-5a", .principal = "800000", .term_months = 60}, ENG_TERMS_OK,
     "pari-passu", {{"eif", "50%"}, {"eu-partner-bank", "50%"}}, NULL,
     "800000", {{"eif", "400000"}, {"eu-partner-bank", "400000"}}},

    /* No catch-all: no rule holds, the loan gets `no_terms`. */
    {ZZ_2018, {.id = "zz18-guaranteed", .guarantor = "zz-guarantee"}, ENG_TERMS_NO_TERMS,
     NULL, {{0}}, NULL, NULL, {{0}}},
    {ZZ_2023, {.id = "zz23-credit-not-hnte", .tech_status = "tech_sme"}, ENG_TERMS_NO_TERMS,
     NULL, {{0}}, NULL, NULL, {{0}}},
    {NATIONAL, {.id = "national-direct"}, ENG_TERMS_NO_TERMS, NULL, {{0}}, NULL, NULL, {{0}}},
    {NATIONAL, {.id = "national-no-status", .tech_status = "none", .guarantor = "zz-guarantee"},
     ENG_TERMS_NO_TERMS, NULL, {{0}}, NULL, NULL, {{0}}},
    {ANHUI, {.id = "anhui-direct", .bank = "hsbank"}, ENG_TERMS_NO_TERMS, NULL, {{0}}, NULL,
     NULL, {{0}}},
};

/* Checks every party's share: the listed ones exactly, all others 0. */
static void check_shares(const eng_policy *p, const terms_case *c, const eng_terms_result *r)
{
    for (size_t i = 0; i < p->n_parties; i++) {
        const char *want = "0";
        for (size_t k = 0; k < CASE_PARTIES && c->shares[k].party != NULL; k++) {
            if (strcmp(c->shares[k].party, p->parties[i].id) == 0) {
                want = c->shares[k].value;
            }
        }
        expect_q(r->share[i], want, c->file, c->loan.id, p->parties[i].id);
    }
    for (size_t k = 0; k < CASE_PARTIES && c->shares[k].party != NULL; k++) {
        party_index(p, c->file, c->shares[k].party);
    }
}

/* The reference's amounts: each party's raw part of `loss`, share x loss, before caps. */
static void check_amounts(const eng_policy *p, const terms_case *c, const eng_terms_result *r)
{
    mpq_t loss, part;
    mpq_inits(loss, part, NULL);
    q_parse(loss, c->loss);
    for (size_t k = 0; k < CASE_PARTIES && c->amounts[k].party != NULL; k++) {
        int i = party_index(p, c->file, c->amounts[k].party);
        mpq_mul(part, r->share[i], loss);
        char what[128];
        snprintf(what, sizeof(what), "%s's part of the loss %s", c->amounts[k].party, c->loss);
        expect_q(part, c->amounts[k].value, c->file, c->loan.id, what);
    }
    mpq_clears(loss, part, NULL);
}

static void run_terms_case(const terms_case *c)
{
    eng_policy *p = load(c->file);
    eng_loan loan;
    eng_terms_result r;

    eng_loan_init(&loan);
    fill_loan(&loan, p, &c->loan);
    eng_terms_result_init(&r, p->n_parties);
    eng_terms_status st = eng_terms_decide(&r, p, &loan);
    cr_expect_eq(st, c->status, "%s: loan %s: terms status %d, want %d (rule %s)", c->file,
                 c->loan.id, st, c->status, rule_id(p, r.rule));
    if (c->rule == NULL) {
        cr_expect_eq(r.rule, -1, "%s: loan %s: rule %s holds, want none", c->file, c->loan.id,
                     rule_id(p, r.rule));
    } else {
        cr_expect_str_eq(rule_id(p, r.rule), c->rule, "%s: loan %s: rule %s, want %s", c->file,
                         c->loan.id, rule_id(p, r.rule), c->rule);
    }
    if (st == ENG_TERMS_OK && c->status == ENG_TERMS_OK) {
        check_shares(p, c, &r);
        if (c->fee_rate_cap != NULL) {
            cr_expect(r.fee_rate_cap.set, "%s: loan %s: no fee_rate_cap", c->file, c->loan.id);
            expect_q(r.fee_rate_cap.v, c->fee_rate_cap, c->file, c->loan.id, "fee_rate_cap");
        }
        if (c->loss != NULL) {
            check_amounts(p, c, &r);
        }
    }
    eng_terms_result_clear(&r);
    eng_loan_clear(&loan);
    eng_policy_free(p);
}

Test(programs, terms_tables_give_the_reference_shares)
{
    for (size_t i = 0; i < sizeof(terms_cases) / sizeof(terms_cases[0]); i++) {
        run_terms_case(&terms_cases[i]);
    }
}

/*
 * Henan 2025 revenue tiers at every boundary, on a secured loan (collateral 20%, so the
 * credit tier does not apply): <= 2000万 60%, (2000万, 5000万] 50%, (5000万, 1亿] 40%,
 * > 1亿 30%; each upper bound inclusive (the file's documented reading).
 */
Test(programs, henan_revenue_tiers_at_each_boundary)
{
    static const struct {
        const char *revenue;
        const char *rule;
        const char *pool;
    } tiers[] = {
        {"0", "revenue-upto-20m", "60%"},
        {"19999999.99", "revenue-upto-20m", "60%"},
        {"20000000", "revenue-upto-20m", "60%"},
        {"20000000.01", "revenue-20m-50m", "50%"},
        {"50000000", "revenue-20m-50m", "50%"},
        {"50000000.01", "revenue-50m-100m", "40%"},
        {"100000000", "revenue-50m-100m", "40%"},
        {"100000000.01", "revenue-over-100m", "30%"},
        {"400000000", "revenue-over-100m", "30%"},
    };

    for (size_t i = 0; i < sizeof(tiers) / sizeof(tiers[0]); i++) {
        mpq_t pool, bank;
        mpq_inits(pool, bank, NULL);
        q_parse(pool, tiers[i].pool);
        mpq_set_ui(bank, 1, 1);
        mpq_sub(bank, bank, pool);
        char *bank_text = eng_q_format(bank);
        char id[64];
        snprintf(id, sizeof(id), "henan-revenue-%s", tiers[i].revenue);
        terms_case c = {HENAN,
                        {.id = id, .revenue = tiers[i].revenue, .collateral_ratio = "20%"},
                        ENG_TERMS_OK,
                        tiers[i].rule,
                        {{"hn-pool", tiers[i].pool}, {"zybank", bank_text}},
                        NULL,
                        NULL,
                        {{0}}};
        run_terms_case(&c);
        free(bank_text);
        mpq_clears(pool, bank, NULL);
    }
}

/* ---- eligibility ---------------------------------------------------------------------- */

#define ELIG_MAX 8

typedef struct {
    const char *file;
    loan_spec loan;
    const char *borrower_outstanding;  /* before this loan */
    const char *failed[ELIG_MAX];      /* failing rule ids in policy order; {NULL}: eligible */
} elig_case;

static const elig_case elig_cases[] = {
    /* 郑科贷 2018 [S2]: tech firm, revenue <= 4亿, term <= 36, collateral <= 30%, borrower
       balance <= 2000万; a loan breaking all five lists all five, in policy order. */
    {ZZ_2018, {.id = "zz18-breaks-all", .tech_status = "none", .revenue = "400000000.01",
               .term_months = 37, .collateral_ratio = "30.01%", .principal = "2000000"},
     "18000000.01",
     {"tech-enterprise", "max-revenue", "max-term", "max-collateral", "borrower-limit"}},
    {ZZ_2018, {.id = "zz18-at-every-limit", .revenue = "400000000", .term_months = 36,
               .collateral_ratio = "30%", .principal = "2000000"},
     "18000000", {NULL}},
    {ZZ_2018, {.id = "zz18-term-and-balance", .term_months = 48, .principal = "5000000"},
     "16000000", {"max-term", "borrower-limit"}},
    /* 2023 draft: valid 高企 only; the 2000万 limit counts this loan (example 4b: 1500万). */
    {ZZ_2023, {.id = "zz23-example-4b", .guarantor = "zz-guarantee", .principal = "15000000"},
     "5000000", {NULL}},
    {ZZ_2023, {.id = "zz23-tech-sme-long", .tech_status = "tech_sme", .term_months = 37},
     "0", {"valid-hnte", "max-term"}},
    /* Henan 2025: tech firms, collateral <= 30%. */
    {HENAN, {.id = "henan-collateral-30pct", .collateral_ratio = "30%",
             .tech_status = "little_giant"},
     "0", {NULL}},
    {HENAN, {.id = "henan-none-31pct", .collateral_ratio = "30.01%", .tech_status = "none"},
     "0", {"tech-enterprise", "max-collateral"}},
    /* Anhui 4321: guarantee business only; single borrower <= 2000万 (含). */
    {ANHUI, {.id = "anhui-at-limit", .guarantor = "hefei-guarantee", .principal = "1000000"},
     "19000000", {NULL}},
    {ANHUI, {.id = "anhui-direct-over-limit", .principal = "1000000.01"}, "19000000",
     {"guaranteed-only", "borrower-limit"}},
    /* National plan: tech firms, guaranteed, borrower <= 3000万. */
    {NATIONAL, {.id = "national-example-3", .guarantor = "zz-guarantee",
                .principal = "20000000"},
     "10000000", {NULL}},
    {NATIONAL, {.id = "national-breaks-all", .tech_status = "none", .principal = "20000000"},
     "10000000.01", {"tech-enterprise", "guaranteed-only", "borrower-limit"}},
    /* EU: maturity 12..120 months. */
    {EU, {.id = "eu-12-months", .term_months = 12}, "0", {NULL}},
    {EU, {.id = "eu-120-months", .term_months = 120}, "0", {NULL}},
    {EU, {.id = "eu-11-months", .term_months = 11}, "0", {"maturity"}},
    {EU, {.id = "eu-121-months", .term_months = 121}, "0", {"maturity"}},
};

Test(programs, eligibility_failures_in_policy_order)
{
    for (size_t c = 0; c < sizeof(elig_cases) / sizeof(elig_cases[0]); c++) {
        const elig_case *e = &elig_cases[c];
        eng_policy *p = load(e->file);
        eng_loan loan;
        mpq_t outstanding;
        size_t failed[ELIG_MAX];
        size_t want = 0;

        cr_assert_leq(p->n_eligibility, ELIG_MAX);
        while (want < ELIG_MAX && e->failed[want] != NULL) {
            want++;
        }
        eng_loan_init(&loan);
        mpq_init(outstanding);
        fill_loan(&loan, p, &e->loan);
        q_parse(outstanding, e->borrower_outstanding);
        size_t n = eng_eligibility_check(failed, p, &loan, outstanding);
        cr_expect_eq(n, want, "%s: loan %s: %zu rules fail, want %zu", e->file, e->loan.id, n,
                     want);
        for (size_t i = 0; i < n && i < want; i++) {
            cr_expect_str_eq(p->eligibility[failed[i]].id, e->failed[i],
                             "%s: loan %s: failure %zu is %s, want %s", e->file, e->loan.id, i,
                             p->eligibility[failed[i]].id, e->failed[i]);
        }
        mpq_clear(outstanding);
        eng_loan_clear(&loan);
        eng_policy_free(p);
    }
}

/* ---- caps, residual, loss basis, recovery, breakers ------------------------------------ */

/* Returns the index of the first cap of `p` with `per`, asserting there is one. */
static const eng_cap *cap_of(const eng_policy *p, const char *file, eng_cap_per per)
{
    for (size_t i = 0; i < p->n_caps; i++) {
        if (p->caps[i].per == per) {
            return &p->caps[i];
        }
    }
    cr_assert_fail("%s: no cap with per %d", file, per);
    return NULL;
}

static void expect_fen(eng_fen got, const char *want, const char *file, const char *what)
{
    mpq_t g;
    mpq_init(g);
    eng_fen_to_q(g, got);
    expect_q(g, want, file, "-", what);
    mpq_clear(g);
}

/*
 * The cap figures reproduce the worked examples: 2023 draft per loan 5,000,000 (example 4b:
 * pool 6,000,000 cut to 5,000,000); Henan min(2% x 40,000,000, 10,000,000) = 800,000
 * (example 1); EU 10% of a 10,000,000 portfolio = 1,000,000 (example 5).
 */
Test(programs, caps_reproduce_the_worked_examples)
{
    mpq_t x, y;
    mpq_inits(x, y, NULL);

    eng_policy *zz = load(ZZ_2023);
    const eng_cap *c = cap_of(zz, ZZ_2023, ENG_CAP_LOAN);
    cr_expect_eq(c->party, party_index(zz, ZZ_2023, "zz-pool"));
    cr_expect(c->amount.set);
    expect_fen(c->amount.v, "5000000", ZZ_2023, "per-loan cap");
    cr_expect_eq(zz->residual.kind, ENG_RESIDUAL_CLAIMANT, "%s: residual", ZZ_2023);
    eng_policy_free(zz);

    eng_policy *hn = load(HENAN);
    c = cap_of(hn, HENAN, ENG_CAP_BANK_YEAR);
    cr_expect_eq(c->party, party_index(hn, HENAN, "hn-pool"));
    cr_expect(c->amount.set && c->pct.set, "%s: bank_year cap needs both parts", HENAN);
    expect_fen(c->amount.v, "10000000", HENAN, "bank_year amount");
    expect_q(c->pct.v, "2%", HENAN, "-", "pct_of_prior_year_outstanding");
    q_parse(x, "40000000"); /* example 1: the bank's prior-year balance */
    mpq_mul(x, x, c->pct.v);
    eng_fen_to_q(y, c->amount.v);
    if (mpq_cmp(y, x) < 0) {
        mpq_set(x, y);
    }
    expect_q(x, "800000", HENAN, "henan-example-1", "bank-year cap");
    cr_expect_eq(hn->recovery.basis, ENG_RECOVERY_BORNE, "%s: recovery basis", HENAN);
    eng_policy_free(hn);

    eng_policy *eu = load(EU);
    c = cap_of(eu, EU, ENG_CAP_PROGRAM);
    cr_expect_eq(c->party, party_index(eu, EU, "eif"));
    cr_expect(c->pct.set && !c->amount.set);
    q_parse(x, "10000000"); /* example 5: actual portfolio volume */
    mpq_mul(x, x, c->pct.v);
    expect_q(x, "1000000", EU, "eu-example-5", "portfolio cap");
    c = cap_of(eu, EU, ENG_CAP_LOAN);
    expect_fen(c->amount.v, "1500000", EU, "max EIF guarantee per transaction");
    cr_expect_eq(eu->loss_basis.kind, ENG_LOSS_PRINCIPAL_PLUS_INTEREST, "%s: loss basis", EU);
    cr_expect_eq(eu->loss_basis.interest_days_cap, 90, "%s: interest days", EU);
    cr_expect_eq(eu->recovery.basis, ENG_RECOVERY_NOMINAL, "%s: recovery basis", EU);
    eng_policy_free(eu);

    mpq_clears(x, y, NULL);
}

/* The 2024 national plan's 代偿率 ceiling: 5%, per guarantor, yearly, stopping new loans. */
Test(programs, national_plan_compensation_rate_breaker)
{
    eng_policy *p = load(NATIONAL);
    cr_assert_eq(p->n_breakers, 1, "%s: breakers", NATIONAL);
    const eng_breaker *b = &p->breakers[0];
    cr_expect_str_eq(b->id, "fund-compensation-rate-5pct");
    expect_q(b->threshold, "5%", NATIONAL, "-", "breaker threshold");
    cr_expect_eq(b->scope, ENG_SCOPE_GUARANTOR);
    cr_expect_eq(b->action, ENG_ACTION_STOP_NEW_LOANS);
    cr_expect_eq(b->window, ENG_WINDOW_YEAR);
    cr_expect_eq(p->terms.hit, ENG_HIT_UNIQUE);
    eng_policy_free(p);
}

/*
 * Rounding residue by party order (research notes 3.7): Anhui's 40/30/20/10 of 0.05 is
 * 0.02 / 0.02 / 0.01 / 0.00 with the parties in the order the file lists them.
 */
Test(programs, anhui_split_of_five_fen_follows_party_order)
{
    eng_policy *p = load(ANHUI);
    loan_spec s = {.id = "anhui-5-fen", .guarantor = "hefei-guarantee"};
    eng_loan loan;
    eng_terms_result r;
    eng_fen parts[ENG_PARTIES_MAX];

    eng_loan_init(&loan);
    fill_loan(&loan, p, &s);
    eng_terms_result_init(&r, p->n_parties);
    cr_assert_eq(eng_terms_decide(&r, p, &loan), ENG_TERMS_OK);
    cr_assert_eq(eng_split_fen(parts, 5, (const mpq_t *)r.share, p->n_parties), ENG_OK);
    static const struct {
        const char *party;
        eng_fen fen;
    } want[] = {
        {"hefei-guarantee", 2}, {"ah-credit-guarantee", 2}, {"hsbank", 1}, {"ah-local-gov", 0},
        {"wuhu-guarantee", 0},  {"ah-ccb", 0},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        int k = party_index(p, ANHUI, want[i].party);
        cr_expect_eq(parts[k], want[i].fen, "%s: loan %s: %s gets %lld fen, want %lld", ANHUI,
                     s.id, want[i].party, (long long)parts[k], (long long)want[i].fen);
    }
    eng_terms_result_clear(&r);
    eng_loan_clear(&loan);
    eng_policy_free(p);
}
