/*
 * blocks.c -- loading the allocation blocks of a policy: caps, residual,
 * loss basis, capacity, breakers, recovery, settlement, expected loss.
 */
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "loader_int.h"

static eng_status oom(ld_ctx *ld)
{
    return eng_error_set(ld->err, ENG_ERROR, "out of memory");
}

/* Runs `call` with `key` pushed on the key path, when `n` has that key. */
#define SUB(n, key, call)                                                                          \
    do {                                                                                           \
        const yt_node *v_ = yt_get((n), (key));                                                    \
        if (v_ != NULL && rc == ENG_OK) {                                                          \
            size_t old_ = ld_push_key(ld, (key));                                                  \
            const yt_node *v = v_;                                                                 \
            rc = (call);                                                                           \
            ld_pop(ld, old_);                                                                      \
        }                                                                                          \
    } while (0)

/* 1 when party `idx` takes shares by its id (not a bank or guarantor). */
static int by_id(const eng_policy *p, int idx)
{
    eng_party_kind k = p->parties[idx].kind;
    return k != ENG_PARTY_BANK && k != ENG_PARTY_GUARANTOR;
}

static eng_status cap_party(ld_ctx *ld, const yt_node *v, eng_cap *c)
{
    eng_status rc = ld_party_ref(ld, v, &c->party);
    if (rc != ENG_OK) {
        return rc;
    }
    if (!by_id(ld->p, c->party)) {
        return ld_fail(ld, v, ENG_EINVALID, "a cap cannot apply to the %s \"%s\"",
                       eng_party_kind_name(ld->p->parties[c->party].kind), v->text);
    }
    const eng_residual *r = &ld->p->residual;
    if (r->kind == ENG_RESIDUAL_PARTY && r->party == c->party) {
        return ld_fail(ld, v, ENG_EINVALID, "the residual party \"%s\" cannot have a cap",
                       v->text);
    }
    return ENG_OK;
}

static eng_status cap(ld_ctx *ld, const yt_node *n, eng_cap *c)
{
    static const char *const keys[] = {
        "party", "per", "amount", "pct_of_prior_year_outstanding", "pct_of_admitted_principal",
        NULL,
    };
    static const char *const required[] = {"party", "per", NULL};
    static const char *const pers[] = {"loan", "year", "bank_year", "program"};
    eng_status rc;
    int per = 0;

    if ((rc = ld_keys(ld, n, keys, required)) != ENG_OK) {
        return rc;
    }
    SUB(n, "party", cap_party(ld, v, c));
    SUB(n, "per", ld_enum(ld, v, "cap period", pers, 4, &per));
    c->per = (eng_cap_per)per;
    SUB(n, "amount", ld_opt_money(ld, v, &c->amount));
    /* Each pct_of_ key belongs to one period; anywhere else it is a fault. */
    static const struct {
        const char *key;
        eng_cap_per per;
        const char *per_name;
    } pcts[] = {
        {"pct_of_prior_year_outstanding", ENG_CAP_BANK_YEAR, "bank_year"},
        {"pct_of_admitted_principal", ENG_CAP_PROGRAM, "program"},
    };
    const char *pct_key = "amount";
    for (size_t k = 0; k < 2 && rc == ENG_OK; k++) {
        if (pcts[k].per == c->per) {
            pct_key = pcts[k].key;
            SUB(n, pcts[k].key, ld_opt_ratio(ld, v, &c->pct));
            continue;
        }
        for (size_t i = 0; i < n->n && rc == ENG_OK; i++) {
            if (strcmp(n->keys[i]->text, pcts[k].key) == 0) {
                size_t old = ld_push_key(ld, pcts[k].key);
                rc = ld_fail(ld, n->keys[i], ENG_EINVALID, "%s applies only to per: %s",
                             pcts[k].key, pcts[k].per_name);
                ld_pop(ld, old);
            }
        }
    }
    if (rc == ENG_OK && !c->amount.set && !c->pct.set) {
        rc = ld_fail(ld, n, ENG_EINVALID, "a cap needs %s%s", strcmp(pct_key, "amount") ? "amount or " : "", pct_key);
    }
    return rc;
}

eng_status ld_caps(ld_ctx *ld, const yt_node *n)
{
    eng_policy *p = ld->p;
    eng_status rc;

    if ((rc = ld_want(ld, n, YT_SEQ)) != ENG_OK) {
        return rc;
    }
    if (n->n > ENG_CAPS_MAX) {
        return ld_fail(ld, n, ENG_ELIMIT, "more than %d caps", ENG_CAPS_MAX);
    }
    p->caps = calloc(n->n ? n->n : 1, sizeof(*p->caps));
    if (p->caps == NULL) {
        return oom(ld);
    }
    for (size_t i = 0; i < n->n; i++) {
        mpq_init(p->caps[i].pct.v);
    }
    p->n_caps = n->n;
    for (size_t i = 0; i < n->n && rc == ENG_OK; i++) {
        size_t old = ld_push_index(ld, i);
        rc = cap(ld, n->vals[i], &p->caps[i]);
        ld_pop(ld, old);
    }
    return rc;
}

eng_status ld_residual(ld_ctx *ld, const yt_node *n)
{
    eng_residual *r = &ld->p->residual;
    eng_status rc = ld_scalar(ld, n);
    if (rc != ENG_OK) {
        return rc;
    }
    if (strcmp(n->text, "claimant") == 0) {
        r->kind = ENG_RESIDUAL_CLAIMANT;
    } else if (strcmp(n->text, "bank") == 0) {
        r->kind = ENG_RESIDUAL_BANK;
    } else if (strcmp(n->text, "guarantor") == 0) {
        r->kind = ENG_RESIDUAL_GUARANTOR;
    } else {
        int idx = eng_policy_party(ld->p, n->text);
        if (idx < 0) {
            return ld_fail(ld, n, ENG_EINVALID,
                           "unknown residual \"%.64s\" (expected claimant|bank|guarantor|a party id)",
                           n->text);
        }
        if (!by_id(ld->p, idx)) {
            return ld_fail(ld, n, ENG_EINVALID, "use \"%s\" for the loan's own %s",
                           eng_party_kind_name(ld->p->parties[idx].kind),
                           eng_party_kind_name(ld->p->parties[idx].kind));
        }
        r->kind = ENG_RESIDUAL_PARTY;
        r->party = idx;
    }
    return ENG_OK;
}

eng_status ld_loss_basis(ld_ctx *ld, const yt_node *n)
{
    static const char *const keys[] = {"kind", "interest_days_cap", NULL};
    static const char *const required[] = {"kind", NULL};
    static const char *const kinds[] = {"principal", "principal_plus_interest"};
    eng_loss_basis *b = &ld->p->loss_basis;
    eng_status rc;
    int kind = 0;
    long days = 0;

    if ((rc = ld_keys(ld, n, keys, required)) != ENG_OK) {
        return rc;
    }
    SUB(n, "kind", ld_enum(ld, v, "loss basis", kinds, 2, &kind));
    b->kind = (eng_loss_kind)kind;
    const yt_node *cap_node = yt_get(n, "interest_days_cap");
    if (rc == ENG_OK && kind == ENG_LOSS_PRINCIPAL && cap_node != NULL) {
        size_t old = ld_push_key(ld, "interest_days_cap");
        rc = ld_fail(ld, cap_node, ENG_EINVALID,
                     "interest_days_cap applies only to principal_plus_interest");
        ld_pop(ld, old);
    } else if (rc == ENG_OK && kind == ENG_LOSS_PRINCIPAL_PLUS_INTEREST && cap_node == NULL) {
        rc = ld_fail(ld, n, ENG_EINVALID, "missing required key \"interest_days_cap\"");
    }
    SUB(n, "interest_days_cap", ld_int(ld, v, 1, ENG_INTEREST_DAYS_MAX, &days));
    b->interest_days_cap = (int)days;
    return rc;
}

eng_status ld_capacity(ld_ctx *ld, const yt_node *n)
{
    static const char *const keys[] = {"pool", "leverage", NULL};
    eng_capacity *c = &ld->p->capacity;
    eng_status rc;

    if ((rc = ld_keys(ld, n, keys, keys)) != ENG_OK) {
        return rc;
    }
    SUB(n, "pool", ld_party_ref(ld, v, &c->pool));
    if (rc == ENG_OK && ld->p->parties[c->pool].kind != ENG_PARTY_POOL) {
        size_t old = ld_push_key(ld, "pool");
        rc = ld_fail(ld, yt_get(n, "pool"), ENG_EINVALID, "\"%s\" is not a pool",
                     ld->p->parties[c->pool].id);
        ld_pop(ld, old);
    }
    SUB(n, "leverage", ld_num(ld, v, c->leverage));
    if (rc == ENG_OK && mpq_sgn(c->leverage) <= 0) {
        size_t old = ld_push_key(ld, "leverage");
        rc = ld_fail(ld, yt_get(n, "leverage"), ENG_EINVALID, "leverage must be above 0");
        ld_pop(ld, old);
    }
    c->set = rc == ENG_OK;
    return rc;
}

static eng_status breaker(ld_ctx *ld, const yt_node *n, size_t index)
{
    static const char *const keys[] = {"id", "metric", "scope", "threshold", "action", "window",
                                       NULL};
    static const char *const required[] = {"id", "metric", "scope", "threshold", "action", NULL};
    static const char *const metrics[] = {"default_rate"};
    static const char *const scopes[] = {"bank", "guarantor", "program"};
    static const char *const actions[] = {"stop_new_loans", "stop_payments"};
    static const char *const windows[] = {"cumulative", "year"};
    eng_breaker *b = &ld->p->breakers[index];
    eng_status rc;
    int metric = 0, scope = 0, action = 0, window = 0;

    if ((rc = ld_keys(ld, n, keys, required)) != ENG_OK) {
        return rc;
    }
    SUB(n, "id", ld_id(ld, v, 1, &b->id));
    for (size_t i = 0; rc == ENG_OK && i < index; i++) {
        if (strcmp(ld->p->breakers[i].id, b->id) == 0) {
            size_t old = ld_push_key(ld, "id");
            rc = ld_fail(ld, yt_get(n, "id"), ENG_EINVALID, "duplicate breaker id \"%s\"", b->id);
            ld_pop(ld, old);
        }
    }
    SUB(n, "metric", ld_enum(ld, v, "metric", metrics, 1, &metric));
    SUB(n, "scope", ld_enum(ld, v, "scope", scopes, 3, &scope));
    SUB(n, "threshold", ld_ratio(ld, v, b->threshold));
    SUB(n, "action", ld_enum(ld, v, "action", actions, 2, &action));
    SUB(n, "window", ld_enum(ld, v, "window", windows, 2, &window));
    b->scope = (eng_scope)scope;
    b->action = (eng_action)action;
    b->window = (eng_window)window;
    return rc;
}

eng_status ld_breakers(ld_ctx *ld, const yt_node *n)
{
    eng_policy *p = ld->p;
    eng_status rc;

    if ((rc = ld_want(ld, n, YT_SEQ)) != ENG_OK) {
        return rc;
    }
    if (n->n > ENG_BREAKERS_MAX) {
        return ld_fail(ld, n, ENG_ELIMIT, "more than %d breakers", ENG_BREAKERS_MAX);
    }
    p->breakers = calloc(n->n ? n->n : 1, sizeof(*p->breakers));
    if (p->breakers == NULL) {
        return oom(ld);
    }
    for (size_t i = 0; i < n->n; i++) {
        mpq_init(p->breakers[i].threshold);
    }
    p->n_breakers = n->n;
    for (size_t i = 0; i < n->n && rc == ENG_OK; i++) {
        size_t old = ld_push_index(ld, i);
        rc = breaker(ld, n->vals[i], i);
        ld_pop(ld, old);
    }
    return rc;
}

eng_status ld_recovery(ld_ctx *ld, const yt_node *n)
{
    static const char *const keys[] = {"basis", "cost_cap", NULL};
    static const char *const required[] = {"basis", NULL};
    static const char *const bases[] = {"borne", "nominal"};
    eng_status rc;
    int basis = 0;

    if ((rc = ld_keys(ld, n, keys, required)) != ENG_OK) {
        return rc;
    }
    SUB(n, "basis", ld_enum(ld, v, "recovery basis", bases, 2, &basis));
    SUB(n, "cost_cap", ld_opt_ratio(ld, v, &ld->p->recovery.cost_cap));
    ld->p->recovery.basis = (eng_recovery_basis)basis;
    return rc;
}

eng_status ld_settlement(ld_ctx *ld, const yt_node *n)
{
    static const char *const keys[] = {"period", "shortfall", NULL};
    static const char *const periods[] = {"month", "quarter", "year"};
    static const char *const shortfalls[] = {"pro_rata", "fifo"};
    eng_status rc;
    int period = ENG_PERIOD_QUARTER, shortfall = 0;

    if ((rc = ld_keys(ld, n, keys, keys)) != ENG_OK) {
        return rc;
    }
    SUB(n, "period", ld_enum(ld, v, "period", periods, 3, &period));
    SUB(n, "shortfall", ld_enum(ld, v, "shortfall rule", shortfalls, 2, &shortfall));
    ld->p->settlement.period = (eng_period)period;
    ld->p->settlement.shortfall = (eng_shortfall)shortfall;
    return rc;
}

static eng_status pd_table(ld_ctx *ld, const yt_node *n, eng_expected_loss *el)
{
    eng_status rc;
    if ((rc = ld_want(ld, n, YT_MAP)) != ENG_OK) {
        return rc;
    }
    if (n->n == 0 || n->n > ENG_GRADES_MAX) {
        return ld_fail(ld, n, ENG_EINVALID, "expected 1 to %d grades", ENG_GRADES_MAX);
    }
    el->grades = calloc(n->n, sizeof(*el->grades));
    if (el->grades == NULL) {
        return oom(ld);
    }
    for (size_t i = 0; i < n->n; i++) {
        mpq_init(el->grades[i].pd);
    }
    el->n_grades = n->n;
    for (size_t i = 0; i < n->n && rc == ENG_OK; i++) {
        size_t old = ld_push_key(ld, n->keys[i]->text);
        rc = ld_text(ld, n->keys[i], &el->grades[i].grade);
        if (rc == ENG_OK) {
            rc = ld_ratio(ld, n->vals[i], el->grades[i].pd);
        }
        ld_pop(ld, old);
    }
    return rc;
}

eng_status ld_expected_loss(ld_ctx *ld, const yt_node *n)
{
    static const char *const keys[] = {"pd", "lgd", NULL};
    eng_expected_loss *el = &ld->p->expected_loss;
    eng_status rc;

    if ((rc = ld_keys(ld, n, keys, keys)) != ENG_OK) {
        return rc;
    }
    SUB(n, "pd", pd_table(ld, v, el));
    SUB(n, "lgd", ld_ratio(ld, v, el->lgd));
    el->set = rc == ENG_OK;
    return rc;
}
