/*
 * fund_model.c -- one sub-fund at a time: caps, 返投, the Takahashi-Alexander
 * projection, the waterfall, the concession and the holders' flows
 * (reference 2-4, 6; DESIGN 9, 10).  The parent and leverage are summed in
 * fund_parent.c.
 */
#include "fund_int.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define YEAR_NUMS 19 /* eng_fund_num fields of eng_fund_subfund_year, calls .. ceded */
_Static_assert(offsetof(eng_fund_subfund_year, ceded) - offsetof(eng_fund_subfund_year, calls) ==
                   (YEAR_NUMS - 1) * sizeof(eng_fund_num),
               "the year row's numbers must be contiguous");

/* Working arrays of one sub-fund, ages 1..n. */
typedef struct {
    size_t n;
    eng_fund_num *nums;          /* one block of WORK_ARRAYS x n */
    eng_fund_num *calls, *d, *nav, *rd, *dists, *navs;
    eng_fund_num *pro_calls, *pro_receipts, *pro_navs, *flows;
    eng_fund_num liquidation;
    eng_fund__wf_year *wf;
    eng_fund__gov_year *gov;
} sub_work;
#define WORK_ARRAYS 10

/* ---- structure, caps, 返投 ----------------------------------------------- */

static void structure(eng_fund_subfund_result *r, const eng_fund *f, const eng_fund_subfund *s)
{
    eng_fund_num p, x;
    eng_fund__init(&p);
    eng_fund__init(&x);
    eng_fund__set_q(&p, s->parent);
    mpq_add(x.q, s->parent, s->other_state);
    mpq_add(r->size.q, x.q, s->private_lp);
    eng_fund__div(&r->participation, &p, &r->size);
    eng_fund__div(&r->state_share, &x, &r->size);
    r->participation_ok = mpq_cmp(r->participation.q, s->participation_cap) <= 0;
    r->state_share_ok = mpq_cmp(r->state_share.q, f->state_share_max) <= 0;
    r->parent_largest = mpq_cmp(s->parent, s->other_state) > 0 &&
                        mpq_cmp(s->parent, s->private_lp) > 0;
    mpq_mul(r->reinvestment.required.q, s->reinvestment_multiple, s->parent);
    for (size_t i = 0; i < s->n_investments; i++) {
        for (size_t w = 0; w < f->n_weights; w++) {
            if (strcmp(f->weights[w].tag, s->investments[i].tag) == 0) {
                mpq_mul(x.q, f->weights[w].weight, s->investments[i].amount);
                mpq_add(r->reinvestment.counted.q, r->reinvestment.counted.q, x.q);
            }
        }
    }
    eng_fund__div(&r->reinvestment.ratio, &r->reinvestment.counted, &p);
    eng_fund__sub(&r->reinvestment.shortfall, &r->reinvestment.required,
                  &r->reinvestment.counted);
    eng_fund__set_si(&x, 0, 1);
    eng_fund__max(&r->reinvestment.shortfall, &r->reinvestment.shortfall, &x);
    r->reinvestment.ok = eng_fund__sgn(&r->reinvestment.shortfall) == 0;
    eng_fund__div(&r->reinvestment.local_share, &r->reinvestment.required, &r->size);
    eng_fund__clear(&p);
    eng_fund__clear(&x);
    assert(r->size.kind == ENG_FUND_NUM_EXACT && mpq_sgn(r->size.q) > 0);
}

/* ---- the Takahashi-Alexander projection --------------------------------- */

/*
 * Fills C, D, NAV, the distribution rate RD, the waterfall's realised
 * distribution X (D plus, in the last year, the NAV left) and the NAV to
 * liquidate hypothetically (0 in the last year), for ages 1..L.
 */
static void project(sub_work *w, const eng_fund_subfund *s, const eng_fund_num *size,
                    int summary)
{
    const eng_fund_projection *p = &s->projection;
    size_t n = w->n;
    eng_fund_num rc, g1, y, pic, prev, x;
    eng_fund__init(&rc), eng_fund__init(&g1), eng_fund__init(&y);
    eng_fund__init(&pic), eng_fund__init(&prev), eng_fund__init(&x);
    eng_fund__set_si(&g1, 1, 1);
    eng_fund__set_q(&x, p->growth);
    eng_fund__add(&g1, &g1, &x);
    eng_fund__set_q(&y, p->yield);
    mpq_t age;
    mpq_init(age);
    for (size_t a = 0; a < n; a++) {
        eng_fund__set_q(&rc, p->calls[a < p->n_calls ? a : p->n_calls - 1]);
        eng_fund__sub(&x, size, &pic);
        eng_fund__mul(&w->calls[a], &rc, &x);
        eng_fund__add(&pic, &pic, &w->calls[a]);
        mpq_set_ui(age, (unsigned long)(a + 1), (unsigned long)n);
        mpq_canonicalize(age);
        eng_fund__pow_q(&w->rd[a], age, p->bow);
        eng_fund__max(&w->rd[a], &w->rd[a], &y);
        eng_fund__mul(&x, &prev, &g1);            /* NAV_{t-1} (1+G) */
        eng_fund__mul(&w->d[a], &w->rd[a], &x);
        eng_fund__add(&w->nav[a], &x, &w->calls[a]);
        eng_fund__sub(&w->nav[a], &w->nav[a], &w->d[a]);
        eng_fund__set(&prev, &w->nav[a]);
        eng_fund__set(&w->dists[a], &w->d[a]);
        if (!summary) { /* a summary needs no net NAV: the last year's is 0 anyway */
            eng_fund__set(&w->navs[a], &w->nav[a]);
        }
    }
    /* The last year liquidates what is left (0 when the calls reach the commitment). */
    eng_fund__add(&w->dists[n - 1], &w->dists[n - 1], &w->nav[n - 1]);
    eng_fund__set(&w->liquidation, &w->nav[n - 1]);
    eng_fund__set_si(&w->navs[n - 1], 0, 1);
    mpq_clear(age);
    eng_fund__clear(&rc), eng_fund__clear(&g1), eng_fund__clear(&y);
    eng_fund__clear(&pic), eng_fund__clear(&prev), eng_fund__clear(&x);
}

/* ---- holders ------------------------------------------------------------ */

/* The government's pro-rata flows through the concession. */
static void government(sub_work *w, const eng_fund_subfund *s, const eng_fund_num *g)
{
    for (size_t a = 0; a < w->n; a++) {
        eng_fund__mul(&w->pro_calls[a], g, &w->calls[a]);
        eng_fund__mul(&w->pro_receipts[a], g, &w->wf[a].lp);
        eng_fund__mul(&w->pro_navs[a], g, &w->wf[a].net_nav);
    }
    eng_fund__concession_run(w->gov, &s->concession, s->first_year, w->n, w->pro_calls,
                             w->pro_receipts, w->pro_navs);
}

/* Copies the work arrays into the result's year rows. */
static void fill_years(eng_fund_subfund_result *r, const sub_work *w, const eng_fund_num *q)
{
    eng_fund_num x;
    eng_fund__init(&x);
    for (size_t a = 0; a < w->n; a++) {
        eng_fund_subfund_year *y = &r->years[a];
        const eng_fund__wf_year *wf = &w->wf[a];
        const eng_fund__gov_year *gv = &w->gov[a];
        y->year = r->first_year + (int)a;
        eng_fund__set(&y->calls, &w->calls[a]);
        eng_fund__set(&y->distributions, &w->d[a]);
        eng_fund__set(&y->nav, &w->nav[a]);
        if (a + 1 == w->n) {
            eng_fund__set(&y->liquidation, &w->liquidation);
        }
        eng_fund__set(&y->roc, &wf->roc);
        eng_fund__set(&y->pref, &wf->pref);
        eng_fund__set(&y->catch_up, &wf->catch_up);
        eng_fund__set(&y->split, &wf->split);
        eng_fund__set(&y->clawback, &wf->clawback);
        eng_fund__set(&y->lp, &wf->lp);
        eng_fund__set(&y->gp, &wf->gp);
        eng_fund__set(&y->net_nav, &wf->net_nav);
        eng_fund__set(&y->government_calls, &gv->gov_calls);
        eng_fund__set(&y->government_distributions, &gv->gov_dists);
        eng_fund__set(&y->government_nav, &gv->gov_nav);
        eng_fund__mul(&x, q, &w->calls[a]);
        eng_fund__add(&y->private_calls, &x, &gv->extra_calls);
        eng_fund__mul(&x, q, &wf->lp);
        eng_fund__add(&y->private_distributions, &x, &gv->extra_dists);
        eng_fund__mul(&x, q, &wf->net_nav);
        eng_fund__add(&y->private_nav, &x, &gv->extra_nav);
        /* What the government gives up: its pro-rata net flow less its actual one. */
        eng_fund__sub(&y->ceded, &w->pro_receipts[a], &w->pro_calls[a]);
        eng_fund__sub(&y->ceded, &y->ceded, &gv->gov_dists);
        eng_fund__add(&y->ceded, &y->ceded, &gv->gov_calls);
    }
    eng_fund__clear(&x);
}

/* ---- metrics ------------------------------------------------------------ */

/* Offsets of the in/out columns of a year row used as flows. */
#define COL(field) offsetof(eng_fund_subfund_year, field)
static const eng_fund_num *col(const eng_fund_subfund_year *y, size_t off)
{
    return (const eng_fund_num *)((const char *)y + off);
}

/* flows[a] = in - out (+ liquidation), sums into *in_sum and *out_sum. */
static void net_flows(eng_fund_num *flows, eng_fund_num *in_sum, eng_fund_num *out_sum,
                      const eng_fund_subfund_result *r, size_t in, size_t in2, size_t out)
{
    eng_fund__set_si(in_sum, 0, 1);
    eng_fund__set_si(out_sum, 0, 1);
    for (size_t a = 0; a < r->n_years; a++) {
        const eng_fund_subfund_year *y = &r->years[a];
        eng_fund__sub(&flows[a], col(y, in), col(y, out));
        eng_fund__add(in_sum, in_sum, col(y, in));
        if (in2 != 0) {
            eng_fund__add(&flows[a], &flows[a], col(y, in2));
            eng_fund__add(in_sum, in_sum, col(y, in2));
        }
        eng_fund__add(out_sum, out_sum, col(y, out));
    }
}

/* Trough and breakeven of the cumulative `flows` (model years from `first`). */
static int breakeven(const eng_fund_num *flows, size_t n, int first)
{
    eng_fund_num cum, low;
    eng_fund__init(&cum);
    eng_fund__init(&low);
    size_t trough = 0;
    for (size_t a = 0; a < n; a++) {
        eng_fund__add(&cum, &cum, &flows[a]);
        if (a == 0 || eng_fund__cmp(&cum, &low) < 0) {
            eng_fund__set(&low, &cum);
            trough = a;
        }
    }
    int year = 0;
    eng_fund__set_si(&cum, 0, 1);
    for (size_t a = 0; a < n && year == 0; a++) {
        eng_fund__add(&cum, &cum, &flows[a]);
        if (a > trough && eng_fund__sgn(&cum) >= 0) {
            year = first + (int)a;
        }
    }
    eng_fund__clear(&cum);
    eng_fund__clear(&low);
    return year;
}

/* Solves into a result's IRR, which always holds an initialised value. */
static eng_status solve(eng_fund_irr *irr, const eng_fund_num *flows, size_t n)
{
    eng_fund_irr_clear(irr);
    return eng_fund__irr(irr, flows, NULL, n);
}

static eng_status metrics(eng_fund_subfund_result *r, eng_fund_num *flows)
{
    eng_fund_num in, out;
    eng_fund__init(&in);
    eng_fund__init(&out);
    eng_status rc = ENG_OK;
    net_flows(flows, &in, &out, r, COL(distributions), COL(liquidation), COL(calls));
    rc |= solve(&r->gross_irr, flows, r->n_years);
    eng_fund__div(&r->gross_tvpi, &in, &out);
    net_flows(flows, &r->lp_distributions, &out, r, COL(lp), 0, COL(calls));
    rc |= solve(&r->lp_irr, flows, r->n_years);
    eng_fund__div(&r->lp_tvpi, &r->lp_distributions, &out);
    r->lp_breakeven_year = breakeven(flows, r->n_years, r->first_year);
    net_flows(flows, &r->gp_carry, &r->clawback, r, COL(gp), 0, COL(clawback));
    net_flows(flows, &r->government_distributions, &r->government_paid_in, r,
              COL(government_distributions), 0, COL(government_calls));
    rc |= solve(&r->government_irr, flows, r->n_years);
    net_flows(flows, &r->private_distributions, &r->private_paid_in, r,
              COL(private_distributions), 0, COL(private_calls));
    rc |= solve(&r->private_irr, flows, r->n_years);
    net_flows(flows, &r->ceded, &in, r, COL(ceded), 0, COL(ceded));
    for (size_t a = 0; a < r->n_years; a++) {
        if (a == 0 || eng_fund__cmp(&r->years[a].nav, &r->peak_nav) > 0) {
            eng_fund__set(&r->peak_nav, &r->years[a].nav);
            r->peak_nav_year = r->years[a].year;
        }
    }
    eng_fund__clear(&in);
    eng_fund__clear(&out);
    return rc == ENG_OK ? ENG_OK : ENG_ERROR;
}
#undef COL

/* ---- one sub-fund ------------------------------------------------------- */

static void work_free(sub_work *w)
{
    if (w->nums != NULL) {
        eng_fund__clears(w->nums, WORK_ARRAYS * w->n);
        eng_fund__clear(&w->liquidation);
    }
    if (w->wf != NULL) {
        eng_fund__wf_years_clear(w->wf, w->n);
    }
    if (w->gov != NULL) {
        eng_fund__gov_years_clear(w->gov, w->n);
    }
    free(w->nums);
    free(w->wf);
    free(w->gov);
}

static eng_status work_init(sub_work *w, size_t n)
{
    memset(w, 0, sizeof(*w));
    w->n = n;
    w->nums = malloc(WORK_ARRAYS * n * sizeof(*w->nums));
    w->wf = malloc(n * sizeof(*w->wf));
    w->gov = malloc(n * sizeof(*w->gov));
    if (w->nums == NULL || w->wf == NULL || w->gov == NULL) {
        free(w->nums);
        free(w->wf);
        free(w->gov);
        memset(w, 0, sizeof(*w));
        return ENG_ERROR;
    }
    eng_fund__inits(w->nums, WORK_ARRAYS * n);
    eng_fund__init(&w->liquidation);
    eng_fund__wf_years_init(w->wf, n);
    eng_fund__gov_years_init(w->gov, n);
    eng_fund_num **arrays[WORK_ARRAYS] = {&w->calls, &w->d, &w->nav, &w->rd, &w->dists,
                                          &w->navs, &w->pro_calls, &w->pro_receipts,
                                          &w->pro_navs, &w->flows};
    for (size_t k = 0; k < WORK_ARRAYS; k++) {
        *arrays[k] = w->nums + k * n;
    }
    return ENG_OK;
}

/* The numbers of a sub-fund result other than IRRs and years, for init and clear. */
static size_t result_nums(eng_fund_subfund_result *r, eng_fund_num **out)
{
    eng_fund_num *list[] = {
        &r->size, &r->participation, &r->state_share, &r->reinvestment.required,
        &r->reinvestment.counted, &r->reinvestment.ratio, &r->reinvestment.shortfall,
        &r->reinvestment.local_share, &r->gross_tvpi, &r->lp_tvpi, &r->lp_distributions,
        &r->gp_carry, &r->clawback, &r->government_paid_in, &r->government_distributions,
        &r->private_paid_in, &r->private_distributions, &r->ceded, &r->peak_nav};
    size_t n = sizeof(list) / sizeof(list[0]);
    memcpy(out, list, sizeof(list));
    return n;
}

void eng_fund__subfund_init(eng_fund_subfund_result *r)
{
    eng_fund_num *nums[32];
    memset(r, 0, sizeof(*r));
    size_t n = result_nums(r, nums);
    for (size_t i = 0; i < n; i++) {
        eng_fund__init(nums[i]);
    }
    eng_fund__irr(&r->gross_irr, NULL, NULL, 0);
    eng_fund__irr(&r->lp_irr, NULL, NULL, 0);
    eng_fund__irr(&r->government_irr, NULL, NULL, 0);
    eng_fund__irr(&r->private_irr, NULL, NULL, 0);
}

void eng_fund__subfund_drop_years(eng_fund_subfund_result *r)
{
    for (size_t a = 0; a < r->n_years; a++) {
        eng_fund__clears(&r->years[a].calls, YEAR_NUMS);
    }
    free(r->years);
    r->years = NULL;
    r->n_years = 0;
}

void eng_fund__subfund_clear(eng_fund_subfund_result *r)
{
    eng_fund_num *nums[32];
    size_t n = result_nums(r, nums);
    for (size_t i = 0; i < n; i++) {
        eng_fund__clear(nums[i]);
    }
    eng_fund_irr_clear(&r->gross_irr);
    eng_fund_irr_clear(&r->lp_irr);
    eng_fund_irr_clear(&r->government_irr);
    eng_fund_irr_clear(&r->private_irr);
    eng_fund__subfund_drop_years(r);
    free(r->id);
    r->id = NULL;
}

/* Models sub-fund `s` of `f` into `r` (initialised with eng_fund__subfund_init());
 * `summary` leaves every net NAV at 0. */
eng_status eng_fund__subfund_model(eng_fund_subfund_result *r, const eng_fund *f,
                                   const eng_fund_subfund *s, int summary)
{
    size_t n = (size_t)s->projection.life;
    assert(n >= 1 && s->projection.n_calls >= 1);
    r->id = strdup(s->id);
    r->kind = s->kind;
    r->first_year = s->first_year;
    r->last_year = s->first_year + s->projection.life - 1;
    r->years = calloc(n, sizeof(*r->years));
    sub_work w;
    if (r->id == NULL || r->years == NULL || work_init(&w, n) != ENG_OK) {
        return ENG_ERROR;
    }
    r->n_years = n;
    for (size_t a = 0; a < n; a++) {
        eng_fund__inits(&r->years[a].calls, YEAR_NUMS);
    }
    structure(r, f, s);
    project(&w, s, &r->size, summary);
    eng_fund__wf_input in = {n, w.calls, w.dists, w.navs, w.rd};
    eng_status rc = eng_fund__waterfall_run(w.wf, &s->waterfall, &in);
    eng_fund_num share;
    eng_fund__init(&share);
    if (rc == ENG_OK) {
        eng_fund__set_q(&share, s->parent);
        eng_fund__div(&share, &share, &r->size);
        government(&w, s, &share);
        eng_fund__set_q(&share, s->private_lp);
        eng_fund__div(&share, &share, &r->size);
        fill_years(r, &w, &share);
        rc = metrics(r, w.flows);
    }
    eng_fund__clear(&share);
    work_free(&w);
    return rc;
}
