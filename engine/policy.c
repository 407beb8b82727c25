/* policy.c -- names of the policy vocabulary and freeing a policy. */
#include "policy.h"

#include <stdlib.h>
#include <string.h>

static const char *const party_kinds[ENG_PARTY__COUNT] = {
    "pool", "bank", "guarantor", "reguarantor", "fund", "government",
};

static const struct {
    const char *name;
    eng_field_type type;
} fields[ENG_F__COUNT] = {
    {"tech_status", ENG_FT_TEXT},    {"sector", ENG_FT_TEXT},
    {"credit_grade", ENG_FT_TEXT},   {"bank", ENG_FT_TEXT},
    {"guarantor", ENG_FT_TEXT},      {"borrower_code", ENG_FT_TEXT},
    {"principal", ENG_FT_NUMBER},    {"revenue", ENG_FT_NUMBER},
    {"annual_rate", ENG_FT_NUMBER},  {"collateral_ratio", ENG_FT_NUMBER},
    {"term_months", ENG_FT_NUMBER},  {"first_loan", ENG_FT_BOOL},
    {"start_date", ENG_FT_DATE},     {"direct", ENG_FT_BOOL},
};

static const char *const ops[ENG_OP__COUNT] = {
    "eq", "ne", "in", "not_in", "lt", "le", "gt", "ge", "between",
};

static const char *const tech_statuses[] = {
    "hnte", "tech_sme", "specialized_sme", "little_giant", "none",
};

const char *eng_party_kind_name(eng_party_kind kind)
{
    return kind < ENG_PARTY__COUNT ? party_kinds[kind] : "?";
}

const char *eng_field_name(eng_field field)
{
    return field < ENG_F__COUNT ? fields[field].name : "?";
}

eng_field_type eng_field_type_of(eng_field field)
{
    return fields[field].type;
}

const char *eng_op_name(eng_op op)
{
    return op < ENG_OP__COUNT ? ops[op] : "?";
}

int eng_field_from_name(const char *name)
{
    for (int i = 0; i < ENG_F__COUNT; i++) {
        if (strcmp(fields[i].name, name) == 0) {
            return i;
        }
    }
    return -1;
}

int eng_op_from_name(const char *name)
{
    for (int i = 0; i < ENG_OP__COUNT; i++) {
        if (strcmp(ops[i], name) == 0) {
            return i;
        }
    }
    return -1;
}

int eng_party_kind_from_name(const char *name)
{
    for (int i = 0; i < ENG_PARTY__COUNT; i++) {
        if (strcmp(party_kinds[i], name) == 0) {
            return i;
        }
    }
    return -1;
}

int eng_tech_status_valid(const char *s)
{
    for (size_t i = 0; i < sizeof(tech_statuses) / sizeof(tech_statuses[0]); i++) {
        if (strcmp(tech_statuses[i], s) == 0) {
            return 1;
        }
    }
    return 0;
}

int eng_policy_party(const eng_policy *p, const char *id)
{
    for (size_t i = 0; i < p->n_parties; i++) {
        if (strcmp(p->parties[i].id, id) == 0) {
            return (int)i;
        }
    }
    return -1;
}

int eng_policy_in_force(const eng_policy *p, eng_date date)
{
    return date >= p->effective_from && (!p->has_effective_to || date <= p->effective_to);
}

static void free_cond(eng_cond *c)
{
    for (size_t t = 0; t < c->n_tests; t++) {
        eng_test *test = &c->tests[t];
        for (size_t v = 0; v < test->n_values; v++) {
            free(test->values[v].text);
            mpq_clear(test->values[v].num);
        }
        free(test->values);
    }
    free(c->tests);
}

static void free_condset(eng_condset *s)
{
    for (size_t i = 0; i < s->n_conds; i++) {
        free_cond(&s->conds[i]);
    }
    free(s->conds);
}

static void free_terms_out(eng_terms_out *o)
{
    for (size_t i = 0; i < o->n_shares; i++) {
        mpq_clear(o->shares[i].ratio);
    }
    free(o->shares);
    mpq_clear(o->fee_rate.v);
    mpq_clear(o->fee_rate_cap.v);
    mpq_clear(o->fee_subsidy.v);
    mpq_clear(o->interest_subsidy.v);
}

static void free_tail(eng_policy *p)
{
    for (size_t i = 0; i < p->n_caps; i++) {
        mpq_clear(p->caps[i].pct.v);
    }
    free(p->caps);
    mpq_clear(p->capacity.leverage);
    for (size_t i = 0; i < p->n_breakers; i++) {
        free(p->breakers[i].id);
        mpq_clear(p->breakers[i].threshold);
    }
    free(p->breakers);
    mpq_clear(p->recovery.cost_cap.v);
    for (size_t i = 0; i < p->expected_loss.n_grades; i++) {
        free(p->expected_loss.grades[i].grade);
        mpq_clear(p->expected_loss.grades[i].pd);
    }
    free(p->expected_loss.grades);
    mpq_clear(p->expected_loss.lgd);
}

void eng_policy_free(eng_policy *p)
{
    if (p == NULL) {
        return;
    }
    free(p->program);
    free(p->title);
    free(p->legal_ref);
    free(p->currency);
    for (size_t i = 0; i < p->n_parties; i++) {
        free(p->parties[i].id);
        free(p->parties[i].name);
    }
    free(p->parties);
    for (size_t i = 0; i < p->n_eligibility; i++) {
        free(p->eligibility[i].id);
        free_condset(&p->eligibility[i].require);
        free_cond(&p->eligibility[i].aggregate);
    }
    free(p->eligibility);
    free_terms_out(&p->terms.defaults);
    for (size_t i = 0; i < p->terms.n_rules; i++) {
        free(p->terms.rules[i].id);
        free_condset(&p->terms.rules[i].when);
        free_terms_out(&p->terms.rules[i].out);
    }
    free(p->terms.rules);
    free_tail(p);
    free(p);
}

/*
 * Allocates a zeroed policy whose top-level rationals are initialised, so
 * eng_policy_free() can release it at any stage of construction.
 */
eng_policy *eng_policy_new(void)
{
    eng_policy *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        return NULL;
    }
    eng_terms_out_init(&p->terms.defaults);
    mpq_init(p->capacity.leverage);
    mpq_init(p->recovery.cost_cap.v);
    mpq_init(p->expected_loss.lgd);
    p->settlement.period = ENG_PERIOD_QUARTER; /* DESIGN 4's example; documented default */
    p->settlement.shortfall = ENG_SHORTFALL_PRO_RATA;
    return p;
}

void eng_terms_out_init(eng_terms_out *o)
{
    memset(o, 0, sizeof(*o));
    mpq_init(o->fee_rate.v);
    mpq_init(o->fee_rate_cap.v);
    mpq_init(o->fee_subsidy.v);
    mpq_init(o->interest_subsidy.v);
}
