/*
 * rules.c -- conditions, eligibility and the terms decision table
 * (DESIGN 4 and 6).  Pure computation over an eng_policy and an eng_loan.
 */
#include "rules.h"

#include <assert.h>
#include <string.h>

void eng_loan_init(eng_loan *loan)
{
    memset(loan, 0, sizeof(*loan));
    mpq_inits(loan->principal, loan->revenue, loan->annual_rate, loan->collateral_ratio,
              loan->fee_rate, NULL);
}

void eng_loan_clear(eng_loan *loan)
{
    mpq_clears(loan->principal, loan->revenue, loan->annual_rate, loan->collateral_ratio,
               loan->fee_rate, NULL);
}

int eng_loan_is_direct(const eng_loan *loan)
{
    return loan->guarantor == NULL || loan->guarantor[0] == '\0';
}

/* The loan's value of one field, in the form its type compares by. */
typedef struct {
    const char *text;
    mpq_t num;
    int boolean;
    eng_date date;
} field_value;

static void field_get(field_value *out, const eng_loan *loan, eng_field f)
{
    out->text = NULL;
    switch (f) {
    case ENG_F_TECH_STATUS: out->text = loan->tech_status; break;
    case ENG_F_SECTOR: out->text = loan->sector; break;
    case ENG_F_CREDIT_GRADE: out->text = loan->credit_grade; break;
    case ENG_F_BANK: out->text = loan->bank; break;
    case ENG_F_GUARANTOR: out->text = loan->guarantor; break;
    case ENG_F_BORROWER_CODE: out->text = loan->borrower_code; break;
    case ENG_F_PRINCIPAL: mpq_set(out->num, loan->principal); break;
    case ENG_F_REVENUE: mpq_set(out->num, loan->revenue); break;
    case ENG_F_ANNUAL_RATE: mpq_set(out->num, loan->annual_rate); break;
    case ENG_F_COLLATERAL_RATIO: mpq_set(out->num, loan->collateral_ratio); break;
    case ENG_F_TERM_MONTHS: mpq_set_si(out->num, loan->term_months, 1); break;
    case ENG_F_FIRST_LOAN: out->boolean = loan->first_loan != 0; break;
    case ENG_F_START_DATE: out->date = loan->start_date; break;
    case ENG_F_DIRECT: out->boolean = eng_loan_is_direct(loan); break;
    case ENG_F__COUNT: assert(0); break;
    }
    if (out->text == NULL) {
        out->text = "";
    }
}

/* Orders the loan's value against one operand: <0, 0, >0. */
static int compare(const field_value *x, const eng_value *v, eng_field_type type)
{
    switch (type) {
    case ENG_FT_TEXT: return strcmp(x->text, v->text);
    case ENG_FT_NUMBER: return mpq_cmp(x->num, v->num);
    case ENG_FT_BOOL: return x->boolean - (v->boolean != 0);
    case ENG_FT_DATE: return (x->date > v->date) - (x->date < v->date);
    }
    return 0;
}

static int test_holds(const eng_test *t, const field_value *x, eng_field_type type)
{
    int found = 0;
    switch (t->op) {
    case ENG_OP_EQ: return compare(x, &t->values[0], type) == 0;
    case ENG_OP_NE: return compare(x, &t->values[0], type) != 0;
    case ENG_OP_LT: return compare(x, &t->values[0], type) < 0;
    case ENG_OP_LE: return compare(x, &t->values[0], type) <= 0;
    case ENG_OP_GT: return compare(x, &t->values[0], type) > 0;
    case ENG_OP_GE: return compare(x, &t->values[0], type) >= 0;
    case ENG_OP_BETWEEN:
        assert(t->n_values == 2);
        return compare(x, &t->values[0], type) >= 0 && compare(x, &t->values[1], type) <= 0;
    case ENG_OP_IN:
    case ENG_OP_NOT_IN:
        for (size_t i = 0; i < t->n_values && !found; i++) {
            found = compare(x, &t->values[i], type) == 0;
        }
        return t->op == ENG_OP_IN ? found : !found;
    case ENG_OP__COUNT: break;
    }
    assert(0);
    return 0;
}

static int cond_holds(const eng_cond *c, const field_value *x, eng_field_type type)
{
    for (size_t t = 0; t < c->n_tests; t++) {
        if (!test_holds(&c->tests[t], x, type)) {
            return 0;
        }
    }
    return 1;
}

int eng_condset_holds(const eng_condset *set, const eng_loan *loan)
{
    field_value x;
    int holds = 1;

    mpq_init(x.num);
    for (size_t i = 0; i < set->n_conds && holds; i++) {
        const eng_cond *c = &set->conds[i];
        field_get(&x, loan, c->field);
        holds = cond_holds(c, &x, eng_field_type_of(c->field));
    }
    mpq_clear(x.num);
    return holds;
}

int eng_cond_holds_num(const eng_cond *cond, const mpq_t value)
{
    field_value x;
    mpq_init(x.num);
    mpq_set(x.num, value);
    x.text = "";
    int holds = cond_holds(cond, &x, ENG_FT_NUMBER);
    mpq_clear(x.num);
    return holds;
}

size_t eng_eligibility_check(size_t *failed, const eng_policy *p, const eng_loan *loan,
                             const mpq_t borrower_outstanding)
{
    size_t n_failed = 0;
    mpq_t total;

    mpq_init(total);
    mpq_add(total, borrower_outstanding, loan->principal);
    for (size_t i = 0; i < p->n_eligibility; i++) {
        const eng_elig_rule *r = &p->eligibility[i];
        int holds = r->is_aggregate ? eng_cond_holds_num(&r->aggregate, total)
                                    : eng_condset_holds(&r->require, loan);
        if (!holds) {
            failed[n_failed++] = i;
        }
    }
    mpq_clear(total);
    assert(n_failed <= p->n_eligibility);
    return n_failed;
}

void eng_terms_result_init(eng_terms_result *r, size_t n_parties)
{
    assert(n_parties <= ENG_PARTIES_MAX);
    memset(r, 0, sizeof(*r));
    r->n_parties = n_parties;
    r->rule = -1;
    for (size_t i = 0; i < n_parties; i++) {
        mpq_init(r->share[i]);
    }
    mpq_inits(r->fee_rate.v, r->fee_rate_cap.v, r->fee_subsidy.v, r->interest_subsidy.v, NULL);
}

void eng_terms_result_clear(eng_terms_result *r)
{
    for (size_t i = 0; i < r->n_parties; i++) {
        mpq_clear(r->share[i]);
    }
    mpq_clears(r->fee_rate.v, r->fee_rate_cap.v, r->fee_subsidy.v, r->interest_subsidy.v, NULL);
}

static void pick_q(eng_opt_q *out, const eng_opt_q *rule, const eng_opt_q *dflt)
{
    const eng_opt_q *src = rule->set ? rule : dflt;
    out->set = src->set;
    mpq_set(out->v, src->v);
}

static void pick_fen(eng_opt_fen *out, const eng_opt_fen *rule, const eng_opt_fen *dflt)
{
    *out = rule->set ? *rule : *dflt;
}

/* Resolves the shares of `o` onto party indexes; 0 on a direct loan's guarantor share. */
static int resolve_shares(eng_terms_result *out, const eng_policy *p, const eng_terms_out *o,
                          const eng_loan *loan)
{
    int bank = eng_policy_party(p, loan->bank != NULL ? loan->bank : "");
    int guarantor = eng_loan_is_direct(loan) ? -1 : eng_policy_party(p, loan->guarantor);

    for (size_t i = 0; i < out->n_parties; i++) {
        mpq_set_ui(out->share[i], 0, 1);
    }
    for (size_t i = 0; i < o->n_shares; i++) {
        int target = o->shares[i].target;
        if (target == ENG_SHARE_BANK) {
            target = bank;
        } else if (target == ENG_SHARE_GUARANTOR) {
            if (guarantor < 0) {
                return 0;
            }
            target = guarantor;
        }
        assert(target >= 0 && (size_t)target < out->n_parties);
        mpq_add(out->share[target], out->share[target], o->shares[i].ratio);
    }
    return 1;
}

eng_terms_status eng_terms_decide(eng_terms_result *out, const eng_policy *p,
                                  const eng_loan *loan)
{
    const eng_terms *t = &p->terms;
    int chosen = -1;
    size_t hits = 0;

    assert(out->n_parties == p->n_parties);
    for (size_t i = 0; i < t->n_rules; i++) {
        if (!t->rules[i].has_when || eng_condset_holds(&t->rules[i].when, loan)) {
            if (chosen < 0) {
                chosen = (int)i;
            }
            hits++;
            if (t->hit == ENG_HIT_FIRST) {
                break;
            }
        }
    }
    out->rule = chosen;
    if (chosen < 0) {
        return out->status = ENG_TERMS_NO_TERMS;
    }
    if (t->hit == ENG_HIT_UNIQUE && hits > 1) {
        return out->status = ENG_TERMS_AMBIGUOUS;
    }
    const eng_terms_out *o = &t->rules[chosen].out;
    const eng_terms_out *shares = o->n_shares > 0 ? o : &t->defaults;
    if (!resolve_shares(out, p, shares, loan)) {
        return out->status = ENG_TERMS_DIRECT_GUARANTOR_SHARE;
    }
    if (loan->has_fee_rate) {
        out->fee_rate.set = 1;
        mpq_set(out->fee_rate.v, loan->fee_rate);
    } else {
        pick_q(&out->fee_rate, &o->fee_rate, &t->defaults.fee_rate);
    }
    pick_q(&out->fee_rate_cap, &o->fee_rate_cap, &t->defaults.fee_rate_cap);
    pick_q(&out->fee_subsidy, &o->fee_subsidy, &t->defaults.fee_subsidy);
    pick_fen(&out->fee_subsidy_cap, &o->fee_subsidy_cap, &t->defaults.fee_subsidy_cap);
    pick_q(&out->interest_subsidy, &o->interest_subsidy, &t->defaults.interest_subsidy);
    pick_fen(&out->interest_subsidy_cap, &o->interest_subsidy_cap,
             &t->defaults.interest_subsidy_cap);
    return out->status = ENG_TERMS_OK;
}
