/*
 * fund_parent.c -- the whole fund: leverage by tier (reference 2.3) and the
 * parent's own position year by year (reference 6.3, DESIGN 9, 10), built
 * from the sub-fund results; eng_fund_model() and the result's lifetime.
 */
#include "fund_int.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"

#define PARENT_YEAR_NUMS 9   /* calls .. tvpi */
#define LEVERAGE_YEAR_NUMS 6 /* subfund_paid_in .. fiscal */
#define LEVERAGE_NUMS 8      /* parent .. undeployed */
_Static_assert(offsetof(eng_fund_parent_year, tvpi) - offsetof(eng_fund_parent_year, calls) ==
                   (PARENT_YEAR_NUMS - 1) * sizeof(eng_fund_num),
               "parent year numbers must be contiguous");
_Static_assert(offsetof(eng_fund_leverage_year, fiscal) -
                       offsetof(eng_fund_leverage_year, subfund_paid_in) ==
                   (LEVERAGE_YEAR_NUMS - 1) * sizeof(eng_fund_num),
               "leverage year numbers must be contiguous");
_Static_assert(offsetof(eng_fund_leverage, undeployed) - offsetof(eng_fund_leverage, parent) ==
                   (LEVERAGE_NUMS - 1) * sizeof(eng_fund_num),
               "leverage numbers must be contiguous");

/* ---- leverage ------------------------------------------------------------ */

static void leverage_committed(eng_fund_leverage *l, const eng_fund *f,
                               const eng_fund_result *r)
{
    eng_fund_num P, F, p, S, Q, O, x, fiscal_p;
    eng_fund_num *all[] = {&P, &F, &p, &S, &Q, &O, &x, &fiscal_p};
    for (size_t i = 0; i < 8; i++) {
        eng_fund__init(all[i]);
    }
    mpq_add(P.q, f->fiscal, f->soe);
    mpq_add(P.q, P.q, f->private_lp);
    mpq_set(F.q, f->fiscal);
    for (size_t j = 0; j < f->n_subfunds; j++) {
        const eng_fund_subfund *s = f->subfunds[j];
        mpq_add(p.q, p.q, s->parent);
        mpq_add(O.q, O.q, s->other_state);
        mpq_add(Q.q, Q.q, s->private_lp);
        mpq_add(S.q, S.q, r->subfunds[j].size.q);
    }
    eng_fund__div(&l->parent, &P, &F);
    eng_fund__div(&l->subfund, &S, &p);
    eng_fund__div(&l->subfund_private, &Q, &p);
    eng_fund__div(&x, &F, &P);
    eng_fund__mul(&fiscal_p, &p, &x); /* the parent's fiscal money in the sub-funds */
    eng_fund__div(&l->fiscal, &S, &fiscal_p);
    eng_fund__add(&x, &p, &O);
    eng_fund__div(&l->state_share, &x, &S);
    eng_fund__set_q(&x, f->private_lp);
    eng_fund__div(&x, &x, &P);
    eng_fund__mul(&x, &x, &p);
    eng_fund__add(&x, &x, &Q);
    eng_fund__div(&l->private_per_fiscal, &x, &fiscal_p);
    eng_fund__div(&l->deployment, &p, &P);
    eng_fund__sub(&l->undeployed, &P, &p);
    for (size_t i = 0; i < 8; i++) {
        eng_fund__clear(all[i]);
    }
}

/* Paid-in leverage at the end of each model year: yearly calls, then running sums. */
static void leverage_paid_in(eng_fund_leverage *l, const eng_fund *f, const eng_fund_result *r)
{
    eng_fund_num x, share, fp;
    eng_fund__init(&x), eng_fund__init(&share), eng_fund__init(&fp);
    for (size_t j = 0; j < r->n_subfunds; j++) {
        const eng_fund_subfund_result *s = &r->subfunds[j];
        eng_fund__set_si(&share, 1, 1);
        eng_fund__sub(&share, &share, &s->state_share); /* q_j / S_j */
        for (size_t a = 0; a < s->n_years; a++) {
            const eng_fund_subfund_year *y = &s->years[a];
            eng_fund_leverage_year *ly = &l->years[y->year - 1];
            eng_fund__add(&ly->subfund_paid_in, &ly->subfund_paid_in, &y->calls);
            eng_fund__mul(&x, &s->participation, &y->calls);
            eng_fund__add(&ly->parent_paid_in, &ly->parent_paid_in, &x);
            eng_fund__mul(&x, &share, &y->calls);
            eng_fund__add(&ly->private_paid_in, &ly->private_paid_in, &x);
        }
    }
    eng_fund__set_q(&x, f->fiscal);
    eng_fund__set_q(&share, f->fiscal);
    mpq_add(share.q, share.q, f->soe);
    mpq_add(share.q, share.q, f->private_lp);
    eng_fund__div(&x, &x, &share); /* F / P */
    for (size_t t = 0; t < l->n_years; t++) {
        eng_fund_leverage_year *ly = &l->years[t];
        ly->year = (int)t + 1;
        if (t > 0) {
            const eng_fund_leverage_year *prev = &l->years[t - 1];
            eng_fund__add(&ly->subfund_paid_in, &ly->subfund_paid_in, &prev->subfund_paid_in);
            eng_fund__add(&ly->parent_paid_in, &ly->parent_paid_in, &prev->parent_paid_in);
            eng_fund__add(&ly->private_paid_in, &ly->private_paid_in, &prev->private_paid_in);
        }
        eng_fund__div(&ly->subfund, &ly->subfund_paid_in, &ly->parent_paid_in);
        eng_fund__div(&ly->subfund_private, &ly->private_paid_in, &ly->parent_paid_in);
        eng_fund__mul(&fp, &ly->parent_paid_in, &x);
        eng_fund__div(&ly->fiscal, &ly->subfund_paid_in, &fp);
    }
    eng_fund__clear(&x), eng_fund__clear(&share), eng_fund__clear(&fp);
}

/* ---- the parent ----------------------------------------------------------- */

static eng_status solve(eng_fund_irr *irr, const eng_fund_num *flows, const long *days,
                        size_t n)
{
    eng_fund_irr_clear(irr);
    return eng_fund__irr(irr, flows, days, n);
}

/* Sums the sub-funds' government flows into the parent's year rows. */
static void parent_sums(eng_fund_parent_result *p, const eng_fund_result *r)
{
    for (size_t j = 0; j < r->n_subfunds; j++) {
        const eng_fund_subfund_result *s = &r->subfunds[j];
        for (size_t a = 0; a < s->n_years; a++) {
            const eng_fund_subfund_year *y = &s->years[a];
            eng_fund_parent_year *py = &p->years[y->year - 1];
            eng_fund__add(&py->calls, &py->calls, &y->government_calls);
            eng_fund__add(&py->distributions, &py->distributions, &y->government_distributions);
            eng_fund__add(&py->nav, &py->nav, &y->government_nav);
        }
    }
}

/* Running totals, multiples and IRR to date of every year; flows[] gets the net flows. */
static eng_status parent_running(eng_fund_parent_result *p, eng_fund_num *flows, int summary)
{
    eng_fund_num cum_d, last;
    eng_fund__init(&cum_d);
    eng_fund__init(&last);
    eng_status rc = ENG_OK;
    for (size_t t = 0; t < p->n_years; t++) {
        eng_fund_parent_year *y = &p->years[t];
        y->year = (int)t + 1;
        eng_fund__sub(&y->net, &y->distributions, &y->calls);
        eng_fund__set(&y->cumulative_net, &y->net);
        eng_fund__set(&y->paid_in, &y->calls);
        if (t > 0) {
            eng_fund__add(&y->cumulative_net, &y->cumulative_net, &p->years[t - 1].cumulative_net);
            eng_fund__add(&y->paid_in, &y->paid_in, &p->years[t - 1].paid_in);
        }
        eng_fund__add(&cum_d, &cum_d, &y->distributions);
        eng_fund__div(&y->dpi, &cum_d, &y->paid_in);
        eng_fund__div(&y->rvpi, &y->nav, &y->paid_in);
        eng_fund__add(&y->tvpi, &y->dpi, &y->rvpi);
        eng_fund__set(&flows[t], &y->net);
        eng_fund__add(&last, &y->net, &y->nav);
        eng_fund__set(&flows[t], &last); /* the NAV as a final flow, for the IRR to date */
        if (!summary && solve(&y->irr_to_date, flows, NULL, t + 1) != ENG_OK) {
            rc = ENG_ERROR;
        }
        eng_fund__set(&flows[t], &y->net);
    }
    eng_fund__set(&p->distributions, &cum_d);
    eng_fund__clear(&cum_d);
    eng_fund__clear(&last);
    return rc;
}

/* Trough (earliest minimum of cumulative net) and breakeven after it. */
static void parent_trough(eng_fund_parent_result *p)
{
    size_t trough = 0;
    for (size_t t = 1; t < p->n_years; t++) {
        if (eng_fund__cmp(&p->years[t].cumulative_net, &p->years[trough].cumulative_net) < 0) {
            trough = t;
        }
    }
    p->trough_year = (int)trough + 1;
    eng_fund__set(&p->trough_amount, &p->years[trough].cumulative_net);
    p->breakeven_year = 0;
    for (size_t t = trough + 1; t < p->n_years && p->breakeven_year == 0; t++) {
        if (eng_fund__sgn(&p->years[t].cumulative_net) >= 0) {
            p->breakeven_year = (int)t + 1;
        }
    }
}

static eng_status parent_build(eng_fund_parent_result *p, const eng_fund_result *r, int summary)
{
    size_t n = p->n_years;
    eng_fund_num *flows = malloc(n * sizeof(*flows));
    long *days = malloc(n * sizeof(*days));
    if (flows == NULL || days == NULL) {
        free(flows);
        free(days);
        return ENG_ERROR;
    }
    eng_fund__inits(flows, n);
    parent_sums(p, r);
    eng_status rc = parent_running(p, flows, summary);
    const eng_fund_parent_year *last = &p->years[n - 1];
    eng_fund__set(&p->paid_in, &last->paid_in);
    eng_fund__set(&p->nav, &last->nav);
    eng_fund__set(&p->dpi, &last->dpi);
    eng_fund__set(&p->rvpi, &last->rvpi);
    eng_fund__set(&p->tvpi, &last->tvpi);
    eng_fund__add(&flows[n - 1], &flows[n - 1], &last->nav);
    eng_date origin = eng_date_from_ymd(r->start_year, 12, 31);
    for (size_t t = 0; t < n; t++) {
        days[t] = (long)(eng_date_from_ymd(r->start_year + (int)t, 12, 31) - origin);
    }
    if (rc == ENG_OK) {
        rc = solve(&p->irr, flows, NULL, n);
    }
    if (rc == ENG_OK) {
        rc = solve(&p->xirr, flows, days, n);
    }
    parent_trough(p);
    eng_fund__clears(flows, n);
    free(flows);
    free(days);
    return rc;
}

/* ---- the result ------------------------------------------------------------ */

static void parent_clear_years(eng_fund_parent_result *p)
{
    for (size_t t = 0; t < p->n_years; t++) {
        eng_fund__clears(&p->years[t].calls, PARENT_YEAR_NUMS);
        eng_fund_irr_clear(&p->years[t].irr_to_date);
    }
    free(p->years);
    p->years = NULL;
    p->n_years = 0;
}

static void leverage_clear_years(eng_fund_leverage *l)
{
    for (size_t t = 0; t < l->n_years; t++) {
        eng_fund__clears(&l->years[t].subfund_paid_in, LEVERAGE_YEAR_NUMS);
    }
    free(l->years);
    l->years = NULL;
    l->n_years = 0;
}

void eng_fund__result_drop_years(eng_fund_result *r)
{
    parent_clear_years(&r->parent);
    leverage_clear_years(&r->leverage);
    for (size_t j = 0; j < r->n_subfunds; j++) {
        eng_fund__subfund_drop_years(&r->subfunds[j]);
    }
}

void eng_fund_result_free(eng_fund_result *r)
{
    if (r == NULL) {
        return;
    }
    eng_fund__result_drop_years(r);
    for (size_t j = 0; j < r->n_subfunds; j++) {
        eng_fund__subfund_clear(&r->subfunds[j]);
    }
    free(r->subfunds);
    eng_fund__clears(&r->leverage.parent, LEVERAGE_NUMS);
    eng_fund__clear(&r->parent.paid_in), eng_fund__clear(&r->parent.distributions);
    eng_fund__clear(&r->parent.nav), eng_fund__clear(&r->parent.tvpi);
    eng_fund__clear(&r->parent.dpi), eng_fund__clear(&r->parent.rvpi);
    eng_fund__clear(&r->parent.trough_amount);
    eng_fund_irr_clear(&r->parent.irr);
    eng_fund_irr_clear(&r->parent.xirr);
    free(r);
}

/* A result with every number initialised and room for the years of `f`. */
static eng_fund_result *result_new(const eng_fund *f)
{
    eng_fund_result *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        return NULL;
    }
    eng_fund__inits(&r->leverage.parent, LEVERAGE_NUMS);
    eng_fund__init(&r->parent.paid_in), eng_fund__init(&r->parent.distributions);
    eng_fund__init(&r->parent.nav), eng_fund__init(&r->parent.tvpi);
    eng_fund__init(&r->parent.dpi), eng_fund__init(&r->parent.rvpi);
    eng_fund__init(&r->parent.trough_amount);
    eng_fund__irr(&r->parent.irr, NULL, NULL, 0);
    eng_fund__irr(&r->parent.xirr, NULL, NULL, 0);
    r->start_year = f->start_year;
    r->subfunds = calloc(f->n_subfunds, sizeof(*r->subfunds));
    if (r->subfunds == NULL) {
        eng_fund_result_free(r);
        return NULL;
    }
    r->n_subfunds = f->n_subfunds;
    for (size_t j = 0; j < f->n_subfunds; j++) {
        eng_fund__subfund_init(&r->subfunds[j]);
        int last = f->subfunds[j]->first_year + f->subfunds[j]->projection.life - 1;
        r->last_year = last > r->last_year ? last : r->last_year;
    }
    return r;
}

/* Allocates and initialises the parent's and the leverage's year rows. */
static eng_status years_new(eng_fund_result *r)
{
    size_t n = (size_t)r->last_year;
    r->parent.years = calloc(n, sizeof(*r->parent.years));
    r->leverage.years = calloc(n, sizeof(*r->leverage.years));
    if (r->parent.years == NULL || r->leverage.years == NULL) {
        return ENG_ERROR;
    }
    r->parent.n_years = n;
    r->leverage.n_years = n;
    for (size_t t = 0; t < n; t++) {
        eng_fund__inits(&r->parent.years[t].calls, PARENT_YEAR_NUMS);
        eng_fund__irr(&r->parent.years[t].irr_to_date, NULL, NULL, 0);
        eng_fund__inits(&r->leverage.years[t].subfund_paid_in, LEVERAGE_YEAR_NUMS);
    }
    return ENG_OK;
}

eng_status eng_fund_model(const eng_fund *f, eng_fund_result **out, eng_error *err)
{
    return eng_fund__model(f, out, err, 0);
}

eng_status eng_fund__model(const eng_fund *f, eng_fund_result **out, eng_error *err, int summary)
{
    assert(f != NULL && out != NULL);
    eng_status rc = eng_fund_validate(f, err);
    if (rc != ENG_OK) {
        return rc;
    }
    eng_fund_result *r = result_new(f);
    if (r == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    for (size_t j = 0; j < f->n_subfunds && rc == ENG_OK; j++) {
        rc = eng_fund__subfund_model(&r->subfunds[j], f, f->subfunds[j], summary);
    }
    if (rc == ENG_OK) {
        rc = years_new(r);
    }
    if (rc == ENG_OK) {
        leverage_committed(&r->leverage, f, r);
        leverage_paid_in(&r->leverage, f, r);
        rc = parent_build(&r->parent, r, summary);
    }
    if (rc != ENG_OK) {
        eng_fund_result_free(r);
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    assert(r->parent.n_years == (size_t)r->last_year);
    *out = r;
    return ENG_OK;
}
