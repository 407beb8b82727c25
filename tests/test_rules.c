/*
 * test_rules.c -- goal: every operator on every kind of field evaluates
 * exactly as DESIGN 4 and 10 say (scalar = eq, list = in, between inclusive,
 * several operators all must hold, numbers compared exactly), and the terms
 * table's hit policies pick the rule they should.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "loader.h"
#include "rules.h"

/* A policy whose one terms rule has `when: {WHEN}`. */
static eng_policy *policy_with(const char *when)
{
    char text[1024];
    eng_policy *p = NULL;
    eng_error err;
    snprintf(text, sizeof(text),
             "program: r\nversion: 1\ntitle: t\nlegal_ref: r\neffective_from: 2024-01-01\n"
             "currency: CNY\nparties:\n  - {id: pool, kind: pool, name: P}\n"
             "  - {id: bk, kind: bank, name: B}\n  - {id: gu, kind: guarantor, name: G}\n"
             "terms:\n  rules:\n    - id: r\n      when: {%s}\n"
             "      shares: {pool: \"1/2\", bank: \"1/2\"}\n",
             when);
    cr_assert_eq(pol_load_buffer(&p, "r.yaml", (const unsigned char *)text, strlen(text), &err),
                 ENG_OK, "%s: %s", when, err.message);
    return p;
}

/* The loan every case is evaluated on. */
static void base_loan(eng_loan *l)
{
    eng_error err;
    eng_loan_init(l);
    l->loan_id = "L";
    l->borrower_code = "914403001922038216";
    l->tech_status = "hnte";
    l->sector = "ai";
    l->credit_grade = "B";
    l->bank = "bk";
    l->guarantor = "gu";
    eng_num_parse(l->principal, "5000000.00", 10, &err);
    eng_num_parse(l->revenue, "0", 1, &err);
    eng_num_parse(l->annual_rate, "0.0435", 6, &err);
    eng_num_parse(l->collateral_ratio, "30%", 3, &err);
    l->term_months = 24;
    l->first_loan = 1;
    l->start_date = eng_date_from_ymd(2024, 6, 30);
}

Test(rules, every_operator_on_every_field_kind)
{
    static const struct { const char *when; int holds; } cases[] = {
        /* text */
        {"sector: ai", 1}, {"sector: bio", 0}, {"sector: [bio, ai]", 1}, {"sector: [bio]", 0},
        {"sector: {eq: ai}", 1}, {"sector: {ne: ai}", 0}, {"sector: {ne: bio}", 1},
        {"sector: {in: [x, ai]}", 1}, {"sector: {not_in: [x, ai]}", 0},
        {"sector: {not_in: [x, y]}", 1}, {"credit_grade: B", 1}, {"credit_grade: b", 0},
        {"tech_status: [hnte, tech_sme]", 1}, {"bank: bk", 1}, {"guarantor: {ne: gu}", 0},
        {"borrower_code: \"914403001922038216\"", 1},
        /* numbers, exact: 5000000.00 = 5000000 = 5e6 */
        {"principal: \"5000000\"", 1}, {"principal: \"5000000.01\"", 0},
        {"principal: {lt: \"5000000\"}", 0}, {"principal: {le: \"5000000\"}", 1},
        {"principal: {gt: \"4999999.99\"}", 1}, {"principal: {ge: \"5000000.01\"}", 0},
        {"principal: {between: [\"5000000\", \"5000000\"]}", 1},
        {"principal: {between: [\"1\", \"4999999.99\"]}", 0},
        {"principal: {gt: \"1\", lt: \"5000000\"}", 0}, {"principal: {gt: \"1\", le: \"5000000\"}", 1},
        {"annual_rate: {le: \"4.35%\"}", 1}, {"annual_rate: {lt: \"87/2000\"}", 0},
        {"collateral_ratio: \"0.3\"", 1}, {"collateral_ratio: {le: \"3/10\"}", 1},
        {"collateral_ratio: {lt: \"30%\"}", 0}, {"revenue: \"0\"", 1}, {"revenue: {gt: \"0\"}", 0},
        {"term_months: 24", 1}, {"term_months: [12, 36]", 0}, {"term_months: {between: [6, 24]}", 1},
        {"term_months: {not_in: [24]}", 0}, {"term_months: {ne: 12}", 1},
        /* booleans */
        {"first_loan: true", 1}, {"first_loan: false", 0}, {"first_loan: {ne: false}", 1},
        {"direct: false", 1}, {"direct: true", 0}, {"direct: [true, false]", 1},
        /* dates */
        {"start_date: 2024-06-30", 1}, {"start_date: {lt: 2024-06-30}", 0},
        {"start_date: {le: 2024-06-30}", 1}, {"start_date: {gt: 2024-06-29}", 1},
        {"start_date: {ge: 2024-07-01}", 0},
        {"start_date: {between: [2024-01-01, 2024-12-31]}", 1},
        {"start_date: {between: [2024-07-01, 2024-12-31]}", 0},
        {"start_date: [2024-01-01, 2024-06-30]", 1},
        /* several fields all hold */
        {"sector: ai, direct: false, principal: {le: \"5000000\"}", 1},
        {"sector: ai, direct: true", 0},
    };
    eng_loan loan;
    base_loan(&loan);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        eng_policy *p = policy_with(cases[i].when);
        int holds = eng_condset_holds(&p->terms.rules[0].when, &loan);
        cr_expect_eq(holds, cases[i].holds, "when {%s}: %d", cases[i].when, holds);
        eng_policy_free(p);
    }
    eng_loan_clear(&loan);
}

Test(rules, direct_loan_sees_an_empty_guarantor)
{
    eng_loan loan;
    base_loan(&loan);
    loan.guarantor = NULL;
    eng_policy *p = policy_with("direct: true, guarantor: {not_in: [gu]}");
    cr_assert(eng_condset_holds(&p->terms.rules[0].when, &loan));
    eng_policy_free(p);
    eng_loan_clear(&loan);
}

static const char *decide(const char *rules_yaml, const char *hit)
{
    static char rule_id[64];
    char text[2048];
    eng_policy *p = NULL;
    eng_error err;
    eng_loan loan;
    eng_terms_result r;
    snprintf(text, sizeof(text),
             "program: r\nversion: 1\ntitle: t\nlegal_ref: r\neffective_from: 2024-01-01\n"
             "currency: CNY\nparties:\n  - {id: pool, kind: pool, name: P}\n"
             "  - {id: bk, kind: bank, name: B}\n  - {id: gu, kind: guarantor, name: G}\n"
             "terms:\n  hit: %s\n  defaults: {shares: {pool: \"1/2\", bank: \"1/2\"}}\n"
             "  rules:\n%s",
             hit, rules_yaml);
    cr_assert_eq(pol_load_buffer(&p, "r.yaml", (const unsigned char *)text, strlen(text), &err),
                 ENG_OK, "%s", err.message);
    base_loan(&loan);
    eng_terms_result_init(&r, p->n_parties);
    eng_terms_status st = eng_terms_decide(&r, p, &loan);
    snprintf(rule_id, sizeof(rule_id), "%s",
             st == ENG_TERMS_NO_TERMS      ? "no_terms"
             : st == ENG_TERMS_AMBIGUOUS   ? "ambiguous_terms"
             : st == ENG_TERMS_DIRECT_GUARANTOR_SHARE ? "direct_guarantor_share"
                                           : p->terms.rules[r.rule].id);
    eng_terms_result_clear(&r);
    eng_loan_clear(&loan);
    eng_policy_free(p);
    return rule_id;
}

Test(rules, hit_policies)
{
    static const char two[] = "    - {id: a, when: {sector: ai}}\n    - {id: b, when: {direct: false}}\n";
    static const char one[] = "    - {id: a, when: {sector: bio}}\n    - {id: b, when: {direct: false}}\n";
    static const char none[] = "    - {id: a, when: {sector: bio}}\n    - {id: b, when: {direct: true}}\n";
    static const char always[] = "    - {id: a, when: {sector: bio}}\n    - {id: z}\n";
    cr_assert_str_eq(decide(two, "first"), "a");
    cr_assert_str_eq(decide(two, "unique"), "ambiguous_terms");
    cr_assert_str_eq(decide(one, "first"), "b");
    cr_assert_str_eq(decide(one, "unique"), "b");
    cr_assert_str_eq(decide(none, "first"), "no_terms");
    cr_assert_str_eq(decide(none, "unique"), "no_terms");
    cr_assert_str_eq(decide(always, "first"), "z");
    cr_assert_str_eq(decide(always, "unique"), "z");
}
