/*
 * fund_waterfall.c -- distribution waterfalls (reference 4.1, DESIGN 10) and
 * the government's concessions (reference 4.3, DESIGN 10), over explicit
 * yearly flows.
 *
 * Every partner of a sub-fund is an LP pro rata to its commitment, so the
 * waterfall splits between "the LPs" and the GP; the concession then moves
 * money between the government's pro-rata share and the private LPs.
 */
#include "fund_int.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>

/* Runs of numbers in one struct are initialised and cleared as arrays. */
#define NUM_RUN(type, first, last, count)                                                   \
    _Static_assert(offsetof(type, last) - offsetof(type, first) ==                          \
                       ((count) - 1) * sizeof(eng_fund_num),                                \
                   #type " numbers must be contiguous")
NUM_RUN(eng_fund__wf_year, roc, net_nav, 8);
NUM_RUN(eng_fund__gov_year, gov_calls, extra_nav, 6);

/* The terms as numbers. */
typedef struct {
    eng_fund_num h, c, k; /* pref, carry, catch-up */
    eng_fund_num k_minus_c;
} terms_t;

NUM_RUN(terms_t, h, k_minus_c, 4);

static void terms_init(terms_t *t, const eng_fund_waterfall *w)
{
    eng_fund__inits(&t->h, 4);
    eng_fund__set_q(&t->h, w->pref);
    eng_fund__set_q(&t->c, w->carry);
    eng_fund__set_q(&t->k, w->catch_up);
    eng_fund__sub(&t->k_minus_c, &t->k, &t->c);
}

static void terms_clear(terms_t *t)
{
    eng_fund__clears(&t->h, 4);
}

void eng_fund__wf_years_init(eng_fund__wf_year *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        eng_fund__inits(&rows[i].roc, 8);
    }
}

void eng_fund__wf_years_clear(eng_fund__wf_year *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        eng_fund__clears(&rows[i].roc, 8);
    }
}

/* One tier result: how `rem` was split. */
typedef struct {
    eng_fund_num roc, pref, catch_up, split, lp, gp;
} split_t;

NUM_RUN(split_t, roc, gp, 6);

/*
 * Splits `rem` (consumed) against capital `*cap` and unpaid pref `*pref`
 * (both reduced by what is paid), then catch-up and carry given the LP profit
 * `*profit` and GP carry `*carry` so far (both increased).  The tiers of
 * reference 4.1 steps 3 to 6.
 */
static void split_tiers(split_t *o, eng_fund_num *rem, eng_fund_num *cap, eng_fund_num *pref,
                        eng_fund_num *profit, eng_fund_num *carry, const terms_t *t)
{
    if (eng_fund__sgn(rem) == 0) { /* nothing to split: every tier is 0 */
        eng_fund__set_si(&o->roc, 0, 1);
        eng_fund__set_si(&o->pref, 0, 1);
        eng_fund__set_si(&o->catch_up, 0, 1);
        eng_fund__set_si(&o->split, 0, 1);
        eng_fund__set_si(&o->lp, 0, 1);
        eng_fund__set_si(&o->gp, 0, 1);
        return;
    }
    eng_fund_num x;
    eng_fund__init(&x);
    eng_fund__min(&o->roc, rem, cap);
    eng_fund__sub(cap, cap, &o->roc);
    eng_fund__sub(rem, rem, &o->roc);
    eng_fund__min(&o->pref, rem, pref);
    eng_fund__sub(pref, pref, &o->pref);
    eng_fund__sub(rem, rem, &o->pref);
    eng_fund__add(profit, profit, &o->pref);
    eng_fund__add(&o->lp, &o->roc, &o->pref);
    eng_fund__set_si(&o->gp, 0, 1);
    eng_fund__set_si(&o->catch_up, 0, 1);
    if (eng_fund__sgn(&t->k) > 0 && eng_fund__sgn(rem) > 0) {
        /* need = (c (P + Gamma) - Gamma) / (k - c) */
        eng_fund__add(&x, profit, carry);
        eng_fund__mul(&x, &x, &t->c);
        eng_fund__sub(&x, &x, carry);
        eng_fund__div(&x, &x, &t->k_minus_c);
        if (eng_fund__sgn(&x) > 0) {
            eng_fund__min(&o->catch_up, rem, &x);
            eng_fund__mul(&o->gp, &o->catch_up, &t->k);
            eng_fund__sub(&x, &o->catch_up, &o->gp);
            eng_fund__add(&o->lp, &o->lp, &x);
            eng_fund__add(profit, profit, &x);
            eng_fund__add(carry, carry, &o->gp);
            eng_fund__sub(rem, rem, &o->catch_up);
        }
    }
    eng_fund__set(&o->split, rem);
    eng_fund__mul(&x, rem, &t->c);
    eng_fund__add(&o->gp, &o->gp, &x);
    eng_fund__add(carry, carry, &x);
    eng_fund__sub(&x, rem, &x);
    eng_fund__add(&o->lp, &o->lp, &x);
    eng_fund__add(profit, profit, &x);
    eng_fund__set_si(rem, 0, 1);
    eng_fund__clear(&x);
    assert(o->lp.kind != ENG_FUND_NUM_NULL && o->gp.kind != ENG_FUND_NUM_NULL);
}

static void store_split(eng_fund__wf_year *row, const split_t *s)
{
    eng_fund__set(&row->roc, &s->roc);
    eng_fund__set(&row->pref, &s->pref);
    eng_fund__set(&row->catch_up, &s->catch_up);
    eng_fund__set(&row->split, &s->split);
    eng_fund__set(&row->lp, &s->lp);
    eng_fund__set(&row->gp, &s->gp);
}

/* ---- European ----------------------------------------------------------- */

/* K unreturned capital, A unpaid pref, P LP profit, G GP carry (reference 4.1). */
typedef struct {
    eng_fund_num K, A, P, G;
} euro_t;

NUM_RUN(euro_t, K, G, 4);

static void european(eng_fund__wf_year *out, const terms_t *t, const eng_fund__wf_input *in)
{
    euro_t s, hl;
    split_t sp;
    eng_fund_num rem, x;
    eng_fund__inits(&s.K, 4);
    eng_fund__inits(&hl.K, 4);
    eng_fund__inits(&sp.roc, 6);
    eng_fund__init(&rem);
    eng_fund__init(&x);
    for (size_t i = 0; i < in->n; i++) {
        if (i > 0) { /* nothing is outstanding before the first step */
            eng_fund__add(&x, &s.K, &s.A);
            eng_fund__mul(&x, &x, &t->h);
            eng_fund__add(&s.A, &s.A, &x);
        }
        eng_fund__add(&s.K, &s.K, &in->calls[i]);
        eng_fund__set(&rem, &in->dists[i]);
        split_tiers(&sp, &rem, &s.K, &s.A, &s.P, &s.G, t);
        store_split(&out[i], &sp);
        /* Hypothetical liquidation: a copy, no further accrual. */
        for (int k = 0; k < 4; k++) {
            eng_fund__set(&(&hl.K)[k], &(&s.K)[k]);
        }
        eng_fund__set(&rem, &in->navs[i]);
        split_tiers(&sp, &rem, &hl.K, &hl.A, &hl.P, &hl.G, t);
        eng_fund__set(&out[i].net_nav, &sp.lp);
    }
    eng_fund__clears(&s.K, 4);
    eng_fund__clears(&hl.K, 4);
    eng_fund__clears(&sp.roc, 6);
    eng_fund__clear(&rem);
    eng_fund__clear(&x);
}

/* ---- American ----------------------------------------------------------- */

typedef struct {
    size_t n;
    eng_fund_num *lots;   /* unreturned cost of the call of each year */
    eng_fund_num *growth; /* (1+h)^age */
    eng_fund_num carry, called, distributed, step; /* step: 1 + h */
} amer_t;
NUM_RUN(amer_t, carry, step, 4);

/*
 * The deal realising `fraction` of lots[0..upto-1] at year index `year`
 * (`fraction` NULL: everything): its capital and pref, lots reduced unless
 * `keep` (a hypothetical liquidation).
 */
static void deal_basis(eng_fund_num *capital, eng_fund_num *pref, amer_t *a, size_t year,
                       size_t upto, const eng_fund_num *fraction, int keep)
{
    eng_fund_num part, x;
    eng_fund__init(&part);
    eng_fund__init(&x);
    eng_fund__set_si(capital, 0, 1);
    eng_fund__set_si(pref, 0, 1);
    for (size_t s = 0; s < upto; s++) {
        if (fraction != NULL) {
            eng_fund__mul(&part, &a->lots[s], fraction);
        } else {
            eng_fund__set(&part, &a->lots[s]);
        }
        eng_fund__add(capital, capital, &part);
        eng_fund__sub(&x, &a->growth[year - s], &a->growth[0]);
        eng_fund__mul(&x, &x, &part);
        eng_fund__add(pref, pref, &x);
        if (!keep) {
            eng_fund__sub(&a->lots[s], &a->lots[s], &part);
        }
    }
    eng_fund__clear(&part);
    eng_fund__clear(&x);
}

/* Clawback owed if the fund ended with `carry`, having called `called` and paid `paid`. */
static void clawback(eng_fund_num *out, const eng_fund_num *carry, const eng_fund_num *called,
                     const eng_fund_num *paid, const terms_t *t)
{
    eng_fund_num profit, zero;
    eng_fund__init(&profit);
    eng_fund__init(&zero);
    eng_fund__sub(&profit, paid, called);
    eng_fund__max(&profit, &profit, &zero);
    eng_fund__mul(&profit, &profit, &t->c);
    eng_fund__sub(out, carry, &profit);
    eng_fund__max(out, out, &zero);
    eng_fund__clear(&profit);
    eng_fund__clear(&zero);
}

/* One year of the American waterfall, then its hypothetical liquidation. */
static void american_year(eng_fund__wf_year *row, amer_t *a, size_t i, const terms_t *t,
                          const eng_fund__wf_input *in)
{
    eng_fund_num cap, pref, rem, profit, carry_hl, paid;
    split_t sp;
    eng_fund__inits(&sp.roc, 6);
    eng_fund__init(&cap), eng_fund__init(&pref), eng_fund__init(&rem);
    eng_fund__init(&profit), eng_fund__init(&carry_hl), eng_fund__init(&paid);
    int last = i + 1 == in->n;
    eng_fund__add(&a->called, &a->called, &in->calls[i]);
    eng_fund__add(&a->lots[i], &a->lots[i], &in->calls[i]);
    deal_basis(&cap, &pref, a, i, last ? i + 1 : i, last ? NULL : &in->fractions[i], 0);
    eng_fund__set(&rem, &in->dists[i]);
    split_tiers(&sp, &rem, &cap, &pref, &profit, &a->carry, t);
    store_split(row, &sp);
    eng_fund__add(&a->distributed, &a->distributed, &in->dists[i]);
    if (last) {
        clawback(&row->clawback, &a->carry, &a->called, &a->distributed, t);
        eng_fund__add(&row->lp, &row->lp, &row->clawback);
        eng_fund__sub(&row->gp, &row->gp, &row->clawback);
    }
    /* Hypothetical liquidation of navs[i] as one deal of everything left. */
    deal_basis(&cap, &pref, a, i, i + 1, NULL, 1);
    eng_fund__set(&rem, &in->navs[i]);
    eng_fund__set_si(&profit, 0, 1);
    eng_fund__set(&carry_hl, &a->carry);
    split_tiers(&sp, &rem, &cap, &pref, &profit, &carry_hl, t);
    eng_fund__add(&paid, &a->distributed, &in->navs[i]);
    if (!last) {
        clawback(&rem, &carry_hl, &a->called, &paid, t);
        eng_fund__add(&sp.lp, &sp.lp, &rem);
    }
    eng_fund__set(&row->net_nav, &sp.lp);
    eng_fund__clears(&sp.roc, 6);
    eng_fund__clear(&cap), eng_fund__clear(&pref), eng_fund__clear(&rem);
    eng_fund__clear(&profit), eng_fund__clear(&carry_hl), eng_fund__clear(&paid);
}

static eng_status american(eng_fund__wf_year *out, const terms_t *t,
                           const eng_fund__wf_input *in)
{
    amer_t a = {.n = in->n};
    a.lots = malloc((in->n + 1) * sizeof(*a.lots));
    a.growth = malloc((in->n + 1) * sizeof(*a.growth));
    if (a.lots == NULL || a.growth == NULL) {
        free(a.lots);
        free(a.growth);
        return ENG_ERROR;
    }
    eng_fund__inits(a.lots, in->n);
    eng_fund__inits(a.growth, in->n);
    eng_fund__inits(&a.carry, 4);
    eng_fund__set_si(&a.growth[0], 1, 1);
    eng_fund__set_si(&a.step, 1, 1);
    eng_fund__add(&a.step, &a.step, &t->h);
    for (size_t i = 1; i < in->n; i++) {
        eng_fund__mul(&a.growth[i], &a.growth[i - 1], &a.step);
    }
    for (size_t i = 0; i < in->n; i++) {
        american_year(&out[i], &a, i, t, in);
    }
    eng_fund__clears(a.lots, in->n);
    eng_fund__clears(a.growth, in->n);
    eng_fund__clears(&a.carry, 4);
    free(a.lots);
    free(a.growth);
    return ENG_OK;
}

eng_status eng_fund__waterfall_run(eng_fund__wf_year *out, const eng_fund_waterfall *terms,
                                   const eng_fund__wf_input *in)
{
    assert(out != NULL && terms != NULL && in != NULL);
    assert(in->n == 0 || (in->calls != NULL && in->dists != NULL && in->navs != NULL));
    terms_t t;
    terms_init(&t, terms);
    eng_status rc = ENG_OK;
    if (terms->style == ENG_WATERFALL_EUROPEAN) {
        european(out, &t, in);
    } else {
        assert(in->fractions != NULL);
        rc = american(out, &t, in);
    }
    terms_clear(&t);
    return rc;
}

/* ---- concessions -------------------------------------------------------- */

void eng_fund__gov_years_init(eng_fund__gov_year *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        eng_fund__inits(&rows[i].gov_calls, 6);
    }
}

void eng_fund__gov_years_clear(eng_fund__gov_year *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        eng_fund__clears(&rows[i].gov_calls, 6);
    }
}

/*
 * Pays `amount` against interest `*interest` then principal `*principal`
 * (both reduced); sets `keep` to what the government keeps and `ceded` to
 * the share `ceded_share` of the rest.
 */
static void capped_pay(eng_fund_num *keep, eng_fund_num *ceded, const eng_fund_num *amount,
                       eng_fund_num *interest, eng_fund_num *principal,
                       const eng_fund_num *ceded_share)
{
    eng_fund_num a, rem;
    eng_fund__init(&a);
    eng_fund__init(&rem);
    eng_fund__min(&a, amount, interest);
    eng_fund__sub(interest, interest, &a);
    eng_fund__sub(&rem, amount, &a);
    eng_fund__set(keep, &a);
    eng_fund__min(&a, &rem, principal);
    eng_fund__sub(principal, principal, &a);
    eng_fund__sub(&rem, &rem, &a);
    eng_fund__add(keep, keep, &a);
    eng_fund__mul(ceded, &rem, ceded_share);
    eng_fund__sub(&rem, &rem, ceded);
    eng_fund__add(keep, keep, &rem);
    eng_fund__clear(&a);
    eng_fund__clear(&rem);
}

static void capped_return(eng_fund__gov_year *out, const eng_fund_concession *c, size_t n,
                          const eng_fund_num *calls, const eng_fund_num *receipts,
                          const eng_fund_num *navs)
{
    eng_fund_num rate, share, interest, principal, x, hl_i, hl_p;
    eng_fund__inits(&rate, 1);
    eng_fund__init(&share), eng_fund__init(&interest), eng_fund__init(&principal);
    eng_fund__init(&x), eng_fund__init(&hl_i), eng_fund__init(&hl_p);
    eng_fund__set_q(&rate, c->rate);
    eng_fund__set_q(&share, c->ceded);
    for (size_t i = 0; i < n; i++) {
        if (i > 0) { /* simple interest from the government's second year */
            eng_fund__mul(&x, &principal, &rate);
            eng_fund__add(&interest, &interest, &x);
        }
        eng_fund__add(&principal, &principal, &calls[i]);
        eng_fund__set(&out[i].gov_calls, &calls[i]);
        capped_pay(&out[i].gov_dists, &out[i].extra_dists, &receipts[i], &interest, &principal,
                   &share);
        eng_fund__set(&hl_i, &interest);
        eng_fund__set(&hl_p, &principal);
        capped_pay(&out[i].gov_nav, &out[i].extra_nav, &navs[i], &hl_i, &hl_p, &share);
    }
    eng_fund__clear(&rate), eng_fund__clear(&share), eng_fund__clear(&interest);
    eng_fund__clear(&principal), eng_fund__clear(&x), eng_fund__clear(&hl_i);
    eng_fund__clear(&hl_p);
}

/*
 * The buyout price at year index `b`: paid-in within 3 years of the first
 * call, else each call plus simple interest from its year; less everything
 * received up to and including year b; not below 0.
 */
static void buyout_price(eng_fund_num *price, const eng_fund_concession *c, size_t b,
                         const eng_fund_num *calls, const eng_fund_num *receipts)
{
    size_t first = 0;
    while (first < b && eng_fund__sgn(&calls[first]) == 0) {
        first++;
    }
    eng_fund_num x, rate;
    eng_fund__init(&x);
    eng_fund__init(&rate);
    eng_fund__set_si(price, 0, 1);
    for (size_t s = 0; s <= b; s++) {
        eng_fund__set_si(&x, (long)(b - s), 1);
        eng_fund__set_q(&rate, c->rate);
        eng_fund__mul(&x, &x, &rate);
        if (b - first <= 3) {
            eng_fund__set_si(&x, 0, 1);
        }
        eng_fund__set_si(&rate, 1, 1);
        eng_fund__add(&x, &x, &rate);
        eng_fund__mul(&x, &x, &calls[s]);
        eng_fund__add(price, price, &x);
        eng_fund__sub(price, price, &receipts[s]);
    }
    eng_fund__set_si(&x, 0, 1);
    eng_fund__max(price, price, &x);
    eng_fund__clear(&x);
    eng_fund__clear(&rate);
}

static void buyout(eng_fund__gov_year *out, const eng_fund_concession *c, int first_year,
                   size_t n, const eng_fund_num *calls, const eng_fund_num *receipts,
                   const eng_fund_num *navs)
{
    assert(c->year >= first_year && (size_t)(c->year - first_year) < n);
    size_t b = (size_t)(c->year - first_year);
    for (size_t i = 0; i < n; i++) {
        int gov = i <= b;
        eng_fund__set(gov ? &out[i].gov_calls : &out[i].extra_calls, &calls[i]);
        eng_fund__set(gov ? &out[i].gov_dists : &out[i].extra_dists, &receipts[i]);
        eng_fund__set(i < b ? &out[i].gov_nav : &out[i].extra_nav, &navs[i]);
    }
    eng_fund_num price;
    eng_fund__init(&price);
    buyout_price(&price, c, b, calls, receipts);
    eng_fund__add(&out[b].gov_dists, &out[b].gov_dists, &price);
    eng_fund__set(&out[b].extra_calls, &price);
    eng_fund__clear(&price);
}

void eng_fund__concession_run(eng_fund__gov_year *out, const eng_fund_concession *c,
                              int first_year, size_t n, const eng_fund_num *calls,
                              const eng_fund_num *receipts, const eng_fund_num *navs)
{
    assert(out != NULL && c != NULL);
    assert(n == 0 || (calls != NULL && receipts != NULL && navs != NULL));
    if (c->kind == ENG_CONCESSION_CAPPED_RETURN) {
        capped_return(out, c, n, calls, receipts, navs);
    } else if (c->kind == ENG_CONCESSION_BUYOUT) {
        buyout(out, c, first_year, n, calls, receipts, navs);
    } else {
        for (size_t i = 0; i < n; i++) {
            eng_fund__set(&out[i].gov_calls, &calls[i]);
            eng_fund__set(&out[i].gov_dists, &receipts[i]);
            eng_fund__set(&out[i].gov_nav, &navs[i]);
        }
    }
}
