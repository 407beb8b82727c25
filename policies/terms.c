/*
 * terms.c -- loading conditions, eligibility rules and the terms table.
 */
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "loader_int.h"

static eng_status oom(ld_ctx *ld)
{
    return eng_error_set(ld->err, ENG_ERROR, "out of memory");
}

/* Reads one operand of `field` from scalar `n` into `v`. */
static eng_status cond_value(ld_ctx *ld, const yt_node *n, eng_field field, eng_value *v)
{
    eng_status rc;
    switch (eng_field_type_of(field)) {
    case ENG_FT_NUMBER: return ld_num(ld, n, v->num);
    case ENG_FT_BOOL: return ld_bool(ld, n, &v->boolean);
    case ENG_FT_DATE: return ld_date(ld, n, &v->date);
    case ENG_FT_TEXT: break;
    }
    if ((rc = ld_text(ld, n, &v->text)) != ENG_OK) {
        return rc;
    }
    if (field == ENG_F_TECH_STATUS && !eng_tech_status_valid(v->text)) {
        return ld_fail(ld, n, ENG_EINVALID,
                       "unknown tech_status \"%.40s\" (expected "
                       "hnte|tech_sme|specialized_sme|little_giant|none)",
                       v->text);
    }
    if (field == ENG_F_BANK || field == ENG_F_GUARANTOR) {
        eng_party_kind want = field == ENG_F_BANK ? ENG_PARTY_BANK : ENG_PARTY_GUARANTOR;
        int idx = eng_policy_party(ld->p, v->text);
        if (idx < 0 || ld->p->parties[idx].kind != want) {
            return ld_fail(ld, n, ENG_EINVALID, "\"%.64s\" is not a %s party of this policy",
                           v->text, eng_party_kind_name(want));
        }
    }
    return ENG_OK;
}

/* Allocates `count` operands with initialised rationals into `t`. */
static eng_status alloc_values(ld_ctx *ld, eng_test *t, size_t count)
{
    t->values = calloc(count ? count : 1, sizeof(*t->values));
    if (t->values == NULL) {
        return oom(ld);
    }
    for (size_t i = 0; i < count; i++) {
        mpq_init(t->values[i].num);
    }
    t->n_values = count;
    return ENG_OK;
}

/* Reads the operands of one test: a scalar, or a list for in/not_in/between. */
static eng_status test_values(ld_ctx *ld, const yt_node *n, eng_field field, eng_test *t)
{
    eng_status rc;
    int list = t->op == ENG_OP_IN || t->op == ENG_OP_NOT_IN || t->op == ENG_OP_BETWEEN;

    if ((rc = ld_want(ld, n, list ? YT_SEQ : YT_SCALAR)) != ENG_OK) {
        return rc;
    }
    size_t count = list ? n->n : 1;
    if (list && count == 0) {
        return ld_fail(ld, n, ENG_EINVALID, "empty list");
    }
    if (count > ENG_COND_VALUES_MAX) {
        return ld_fail(ld, n, ENG_ELIMIT, "more than %d values", ENG_COND_VALUES_MAX);
    }
    if (t->op == ENG_OP_BETWEEN && count != 2) {
        return ld_fail(ld, n, ENG_EINVALID, "between takes a list [lo, hi] of 2 values");
    }
    if ((rc = alloc_values(ld, t, count)) != ENG_OK) {
        return rc;
    }
    for (size_t i = 0; i < count; i++) {
        size_t old = list ? ld_push_index(ld, i) : ld->path_len;
        rc = cond_value(ld, list ? n->vals[i] : n, field, &t->values[i]);
        ld_pop(ld, old);
        if (rc != ENG_OK) {
            return rc;
        }
    }
    return ENG_OK;
}

static int values_ordered(eng_field_type type, const eng_value *lo, const eng_value *hi)
{
    return type == ENG_FT_NUMBER ? mpq_cmp(lo->num, hi->num) <= 0 : lo->date <= hi->date;
}

/* Reads the operator map `{op: value, ...}` of one condition. */
static eng_status op_map(ld_ctx *ld, const yt_node *n, eng_cond *c)
{
    eng_field_type type = eng_field_type_of(c->field);
    eng_status rc = ENG_OK;

    if (n->n == 0) {
        return ld_fail(ld, n, ENG_EINVALID, "empty operator map");
    }
    c->tests = calloc(n->n, sizeof(*c->tests));
    if (c->tests == NULL) {
        return oom(ld);
    }
    for (size_t i = 0; i < n->n && rc == ENG_OK; i++) {
        const char *opname = n->keys[i]->text;
        size_t old = ld_push_key(ld, opname);
        int op = eng_op_from_name(opname);
        c->n_tests = i + 1;
        eng_test *t = &c->tests[i];
        t->op = (eng_op)op;
        if (op < 0) {
            rc = ld_fail(ld, n->keys[i], ENG_EINVALID,
                         "unknown operator \"%.40s\" (expected eq|ne|in|not_in|lt|le|gt|ge|between)",
                         opname);
        } else if (op >= ENG_OP_LT && type != ENG_FT_NUMBER && type != ENG_FT_DATE) {
            rc = ld_fail(ld, n->keys[i], ENG_EINVALID,
                         "operator %s needs a number or date field, and %s is not one", opname,
                         eng_field_name(c->field));
        } else if ((rc = test_values(ld, n->vals[i], c->field, t)) == ENG_OK &&
                   op == ENG_OP_BETWEEN && !values_ordered(type, &t->values[0], &t->values[1])) {
            rc = ld_fail(ld, n->vals[i], ENG_EINVALID,
                         "between: the lower bound is above the upper bound");
        }
        ld_pop(ld, old);
    }
    return rc;
}

/* Reads one condition on `field`: a scalar (eq), a list (in) or an operator map. */
static eng_status cond(ld_ctx *ld, const yt_node *n, eng_field field, eng_cond *c)
{
    c->field = field;
    if (n->kind == YT_MAP) {
        return op_map(ld, n, c);
    }
    c->tests = calloc(1, sizeof(*c->tests));
    if (c->tests == NULL) {
        return oom(ld);
    }
    c->n_tests = 1;
    c->tests[0].op = n->kind == YT_SEQ ? ENG_OP_IN : ENG_OP_EQ;
    return test_values(ld, n, field, &c->tests[0]);
}

/* Reads a `when` or `require` map of field -> condition. */
static eng_status condset(ld_ctx *ld, const yt_node *n, eng_condset *set)
{
    eng_status rc;
    if ((rc = ld_want(ld, n, YT_MAP)) != ENG_OK) {
        return rc;
    }
    set->conds = calloc(n->n ? n->n : 1, sizeof(*set->conds));
    if (set->conds == NULL) {
        return oom(ld);
    }
    for (size_t i = 0; i < n->n; i++) {
        const char *name = n->keys[i]->text;
        size_t old = ld_push_key(ld, name);
        int field = eng_field_from_name(name);
        set->n_conds = i + 1;
        if (field < 0) {
            rc = ld_fail(ld, n->keys[i], ENG_EINVALID, "unknown loan field \"%.40s\"", name);
        } else {
            rc = cond(ld, n->vals[i], (eng_field)field, &set->conds[i]);
        }
        ld_pop(ld, old);
        if (rc != ENG_OK) {
            return rc;
        }
    }
    return ENG_OK;
}

static eng_status aggregate(ld_ctx *ld, const yt_node *n, eng_cond *c)
{
    static const char *const keys[] = {"per", "outstanding_principal", NULL};
    static const char *const pers[] = {"borrower"};
    eng_status rc;
    int per = 0;
    size_t old;

    if ((rc = ld_keys(ld, n, keys, keys)) != ENG_OK) {
        return rc;
    }
    old = ld_push_key(ld, "per");
    rc = ld_enum(ld, yt_get(n, "per"), "aggregate", pers, 1, &per);
    ld_pop(ld, old);
    if (rc != ENG_OK) {
        return rc;
    }
    old = ld_push_key(ld, "outstanding_principal");
    rc = cond(ld, yt_get(n, "outstanding_principal"), ENG_F_PRINCIPAL, c);
    ld_pop(ld, old);
    return rc;
}

static eng_status elig_rule(ld_ctx *ld, const yt_node *n, size_t index)
{
    static const char *const keys[] = {"id", "require", "aggregate", NULL};
    static const char *const required[] = {"id", NULL};
    eng_elig_rule *r = &ld->p->eligibility[index];
    eng_status rc;
    size_t old;

    if ((rc = ld_keys(ld, n, keys, required)) != ENG_OK) {
        return rc;
    }
    old = ld_push_key(ld, "id");
    rc = ld_id(ld, yt_get(n, "id"), 1, &r->id);
    for (size_t i = 0; rc == ENG_OK && i < index; i++) {
        if (strcmp(ld->p->eligibility[i].id, r->id) == 0) {
            rc = ld_fail(ld, yt_get(n, "id"), ENG_EINVALID, "duplicate rule id \"%s\"", r->id);
        }
    }
    ld_pop(ld, old);
    if (rc != ENG_OK) {
        return rc;
    }
    const yt_node *req = yt_get(n, "require");
    const yt_node *agg = yt_get(n, "aggregate");
    if ((req == NULL) == (agg == NULL)) {
        return ld_fail(ld, n, ENG_EINVALID, "a rule needs exactly one of require or aggregate");
    }
    r->is_aggregate = agg != NULL;
    old = ld_push_key(ld, agg ? "aggregate" : "require");
    rc = agg ? aggregate(ld, agg, &r->aggregate) : condset(ld, req, &r->require);
    ld_pop(ld, old);
    return rc;
}

eng_status ld_eligibility(ld_ctx *ld, const yt_node *n)
{
    eng_status rc;
    if ((rc = ld_want(ld, n, YT_SEQ)) != ENG_OK) {
        return rc;
    }
    if (n->n > ENG_RULES_MAX) {
        return ld_fail(ld, n, ENG_ELIMIT, "more than %d rules", ENG_RULES_MAX);
    }
    ld->p->eligibility = calloc(n->n ? n->n : 1, sizeof(*ld->p->eligibility));
    if (ld->p->eligibility == NULL) {
        return oom(ld);
    }
    for (size_t i = 0; i < n->n; i++) {
        size_t old = ld_push_index(ld, i);
        ld->p->n_eligibility = i + 1;
        rc = elig_rule(ld, n->vals[i], i);
        ld_pop(ld, old);
        if (rc != ENG_OK) {
            return rc;
        }
    }
    return ENG_OK;
}

/* Reads one share key: `bank`, `guarantor`, or a party of another kind. */
static eng_status share_target(ld_ctx *ld, const yt_node *key, int *out)
{
    if (strcmp(key->text, "bank") == 0) {
        *out = ENG_SHARE_BANK;
        return ENG_OK;
    }
    if (strcmp(key->text, "guarantor") == 0) {
        *out = ENG_SHARE_GUARANTOR;
        return ENG_OK;
    }
    int idx = eng_policy_party(ld->p, key->text);
    if (idx < 0) {
        return ld_fail(ld, key, ENG_EINVALID, "unknown party \"%.64s\"", key->text);
    }
    eng_party_kind kind = ld->p->parties[idx].kind;
    if (kind == ENG_PARTY_BANK || kind == ENG_PARTY_GUARANTOR) {
        return ld_fail(ld, key, ENG_EINVALID,
                       "\"%.64s\" is a %s: use the key \"%s\" for the loan's own %s", key->text,
                       eng_party_kind_name(kind), eng_party_kind_name(kind),
                       eng_party_kind_name(kind));
    }
    *out = idx;
    return ENG_OK;
}

static eng_status shares(ld_ctx *ld, const yt_node *n, eng_terms_out *o)
{
    eng_status rc;
    mpq_t sum;

    if ((rc = ld_want(ld, n, YT_MAP)) != ENG_OK) {
        return rc;
    }
    if (n->n == 0 || n->n > ENG_PARTIES_MAX) {
        return ld_fail(ld, n, ENG_EINVALID, "expected 1 to %d shares", ENG_PARTIES_MAX);
    }
    o->shares = calloc(n->n, sizeof(*o->shares));
    if (o->shares == NULL) {
        return oom(ld);
    }
    for (size_t i = 0; i < n->n; i++) {
        mpq_init(o->shares[i].ratio);
    }
    o->n_shares = n->n;
    mpq_init(sum);
    for (size_t i = 0; i < n->n && rc == ENG_OK; i++) {
        size_t old = ld_push_key(ld, n->keys[i]->text);
        rc = share_target(ld, n->keys[i], &o->shares[i].target);
        if (rc == ENG_OK) {
            rc = ld_ratio(ld, n->vals[i], o->shares[i].ratio);
        }
        mpq_add(sum, sum, o->shares[i].ratio);
        ld_pop(ld, old);
    }
    if (rc == ENG_OK && mpq_cmp_ui(sum, 1, 1) != 0) {
        char *s = eng_q_format(sum);
        rc = ld_fail(ld, n, ENG_EINVALID, "shares sum to %s, not 1", s ? s : "?");
        free(s);
    }
    mpq_clear(sum);
    return rc;
}

/* Reads the outputs of a rule or of `defaults` (the keys other than id/when). */
static eng_status outputs(ld_ctx *ld, const yt_node *n, eng_terms_out *o)
{
    eng_status rc = ENG_OK;
    size_t old;
    const yt_node *v;

#define OUT(key, call)                                                                             \
    if (rc == ENG_OK && (v = yt_get(n, key)) != NULL) {                                            \
        old = ld_push_key(ld, key);                                                                \
        rc = (call);                                                                               \
        ld_pop(ld, old);                                                                           \
    }
    OUT("shares", shares(ld, v, o));
    OUT("fee_rate", ld_opt_ratio(ld, v, &o->fee_rate));
    OUT("fee_rate_cap", ld_opt_ratio(ld, v, &o->fee_rate_cap));
    OUT("fee_subsidy", ld_opt_ratio(ld, v, &o->fee_subsidy));
    OUT("fee_subsidy_cap", ld_opt_money(ld, v, &o->fee_subsidy_cap));
    OUT("interest_subsidy", ld_opt_ratio(ld, v, &o->interest_subsidy));
    OUT("interest_subsidy_cap", ld_opt_money(ld, v, &o->interest_subsidy_cap));
#undef OUT
    if (rc == ENG_OK && (o->fee_subsidy.set || o->interest_subsidy.set)) {
        int pools = 0;
        for (size_t i = 0; i < ld->p->n_parties; i++) {
            pools += ld->p->parties[i].kind == ENG_PARTY_POOL;
        }
        if (pools == 0) {
            rc = ld_fail(ld, n, ENG_EINVALID, "a subsidy needs a party of kind pool to pay it");
        }
    }
    return rc;
}

static eng_status terms_rule(ld_ctx *ld, const yt_node *n, size_t index)
{
    static const char *const keys[] = {
        "id", "when", "shares", "fee_rate", "fee_rate_cap", "fee_subsidy", "fee_subsidy_cap",
        "interest_subsidy", "interest_subsidy_cap", NULL,
    };
    static const char *const required[] = {"id", NULL};
    eng_terms_rule *r = &ld->p->terms.rules[index];
    eng_status rc;
    size_t old;

    if ((rc = ld_keys(ld, n, keys, required)) != ENG_OK) {
        return rc;
    }
    old = ld_push_key(ld, "id");
    rc = ld_id(ld, yt_get(n, "id"), 1, &r->id);
    for (size_t i = 0; rc == ENG_OK && i < index; i++) {
        if (strcmp(ld->p->terms.rules[i].id, r->id) == 0) {
            rc = ld_fail(ld, yt_get(n, "id"), ENG_EINVALID, "duplicate rule id \"%s\"", r->id);
        }
    }
    ld_pop(ld, old);
    if (rc == ENG_OK && yt_get(n, "when") != NULL) {
        r->has_when = 1;
        old = ld_push_key(ld, "when");
        rc = condset(ld, yt_get(n, "when"), &r->when);
        ld_pop(ld, old);
    }
    if (rc == ENG_OK) {
        rc = outputs(ld, n, &r->out);
    }
    if (rc == ENG_OK && r->out.n_shares == 0 && ld->p->terms.defaults.n_shares == 0) {
        rc = ld_fail(ld, n, ENG_EINVALID, "no shares: set them in the rule or in terms.defaults");
    }
    return rc;
}

static eng_status terms_rules(ld_ctx *ld, const yt_node *n)
{
    eng_terms *t = &ld->p->terms;
    eng_status rc;

    if ((rc = ld_want(ld, n, YT_SEQ)) != ENG_OK) {
        return rc;
    }
    if (n->n == 0 || n->n > ENG_RULES_MAX) {
        return ld_fail(ld, n, ENG_EINVALID, "expected 1 to %d rules", ENG_RULES_MAX);
    }
    t->rules = calloc(n->n, sizeof(*t->rules));
    if (t->rules == NULL) {
        return oom(ld);
    }
    for (size_t i = 0; i < n->n; i++) {
        eng_terms_out_init(&t->rules[i].out);
    }
    t->n_rules = n->n;
    for (size_t i = 0; i < n->n; i++) {
        size_t old = ld_push_index(ld, i);
        rc = terms_rule(ld, n->vals[i], i);
        ld_pop(ld, old);
        if (rc != ENG_OK) {
            return rc;
        }
    }
    return ENG_OK;
}

eng_status ld_terms(ld_ctx *ld, const yt_node *n)
{
    static const char *const keys[] = {"hit", "defaults", "rules", NULL};
    static const char *const required[] = {"rules", NULL};
    static const char *const hits[] = {"first", "unique"};
    static const char *const out_keys[] = {
        "shares", "fee_rate", "fee_rate_cap", "fee_subsidy", "fee_subsidy_cap",
        "interest_subsidy", "interest_subsidy_cap", NULL,
    };
    eng_status rc;
    size_t old;
    int hit = ENG_HIT_FIRST;

    if ((rc = ld_keys(ld, n, keys, required)) != ENG_OK) {
        return rc;
    }
    if (yt_get(n, "hit") != NULL) {
        old = ld_push_key(ld, "hit");
        rc = ld_enum(ld, yt_get(n, "hit"), "hit policy", hits, 2, &hit);
        ld_pop(ld, old);
        if (rc != ENG_OK) {
            return rc;
        }
    }
    ld->p->terms.hit = (eng_hit)hit;
    if (yt_get(n, "defaults") != NULL) {
        old = ld_push_key(ld, "defaults");
        rc = ld_keys(ld, yt_get(n, "defaults"), out_keys, NULL);
        if (rc == ENG_OK) {
            rc = outputs(ld, yt_get(n, "defaults"), &ld->p->terms.defaults);
        }
        ld_pop(ld, old);
        if (rc != ENG_OK) {
            return rc;
        }
    }
    old = ld_push_key(ld, "rules");
    rc = terms_rules(ld, yt_get(n, "rules"));
    ld_pop(ld, old);
    return rc;
}
