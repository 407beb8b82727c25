/*
 * fund_irr.c -- IRR and XIRR: every root in [-0.99, 10], polished in MPFR.
 *
 * A scan of the net present value in double over a grid in ln(1+r) brackets
 * each sign change; double bisection narrows the bracket, and Newton's method
 * in 256-bit MPFR polishes the root far past 1e-12 (MPFR bisection takes over
 * if Newton leaves the bracket).  A root that is a short decimal and solves
 * the exact flows exactly (a projection's growth rate, a capped 3%) is
 * reported as that exact rational.  Rates at or below -1 are never tried.
 */
#include "fund_int.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

#define SCAN_POINTS 720      /* grid points in ln(1+r) over [-0.99, 10] */
#define RATE_LO (-0.99)
#define RATE_HI 10.0
#define NEWTON_STEPS 12
#define BISECT_STEPS 300
#define EXACT_DIGITS_MAX 8   /* decimals tried for an exact root */

static const char reason_zero[] = "every flow is zero, so every rate solves it";
static const char reason_sign[] = "the flows do not change sign";
static const char reason_none[] =
    "no rate between -99% and 1000% makes the net present value zero";
static const char reason_null[] = "a flow is undefined";

/* The nonzero flows of one problem, in three forms. */
typedef struct {
    size_t n;
    double *fd;     /* flows as doubles */
    double *td;     /* times in years */
    mpfr_t *ff;     /* flows at ENG_FUND_PREC bits */
    mpfr_t *tf;     /* times at ENG_FUND_PREC bits */
    long *ti;       /* integer times (periodic only) */
    int periodic;
} flows_t;

static double npv_double(const flows_t *fl, double rate)
{
    double sum = 0.0;
    if (fl->periodic) {
        /* Integer times ascend: one multiplication per year. */
        double v = 1.0 / (1.0 + rate), pw = 1.0;
        long t = 0;
        for (size_t i = 0; i < fl->n; i++) {
            for (; t < fl->ti[i]; t++) {
                pw *= v;
            }
            sum += fl->fd[i] * pw;
        }
        return sum;
    }
    double lg = log1p(rate);
    for (size_t i = 0; i < fl->n; i++) {
        sum += fl->fd[i] * exp(-fl->td[i] * lg);
    }
    return sum;
}

/* Sets `pw` to (1+rate)^-t_i for flow i, given (1+rate)^-t_{i-1} in `pw` at time *t. */
static void discount_next(mpfr_t pw, const flows_t *fl, size_t i, const mpfr_t v,
                          const mpfr_t lg, long *t)
{
    if (fl->periodic) {
        for (; *t < fl->ti[i]; (*t)++) {
            mpfr_mul(pw, pw, v, MPFR_RNDN);
        }
        return;
    }
    mpfr_mul(pw, fl->tf[i], lg, MPFR_RNDN);
    mpfr_neg(pw, pw, MPFR_RNDN);
    mpfr_exp(pw, pw, MPFR_RNDN);
}

/* value = NPV(rate) and slope = dNPV/drate at ENG_FUND_PREC bits. */
static void npv_mpfr(mpfr_t value, mpfr_t slope, const flows_t *fl, const mpfr_t rate)
{
    mpfr_t v, lg, pw, term;
    mpfr_inits2(ENG_FUND_PREC, v, lg, pw, term, (mpfr_ptr)NULL);
    mpfr_add_ui(v, rate, 1, MPFR_RNDN);
    mpfr_ui_div(v, 1, v, MPFR_RNDN);
    if (!fl->periodic) {
        mpfr_log1p(lg, rate, MPFR_RNDN);
    }
    mpfr_set_ui(pw, 1, MPFR_RNDN);
    mpfr_set_zero(value, 1);
    mpfr_set_zero(slope, 1);
    long t = 0;
    for (size_t i = 0; i < fl->n; i++) {
        discount_next(pw, fl, i, v, lg, &t);
        mpfr_mul(term, pw, fl->ff[i], MPFR_RNDN);
        mpfr_add(value, value, term, MPFR_RNDN);
        mpfr_mul(term, term, fl->tf[i], MPFR_RNDN); /* d/dr: -t f (1+r)^-t / (1+r) */
        mpfr_sub(slope, slope, term, MPFR_RNDN);
    }
    mpfr_mul(slope, slope, v, MPFR_RNDN);
    mpfr_clears(v, lg, pw, term, (mpfr_ptr)NULL);
}

static void flows_free(flows_t *fl)
{
    for (size_t i = 0; i < fl->n; i++) {
        mpfr_clear(fl->ff[i]);
        mpfr_clear(fl->tf[i]);
    }
    free(fl->fd);
    free(fl->td);
    free(fl->ff);
    free(fl->tf);
    free(fl->ti);
}

static eng_status flows_load(flows_t *fl, const eng_fund_num *flows, const long *days, size_t n)
{
    fl->n = 0;
    fl->periodic = days == NULL;
    fl->fd = malloc((n + 1) * sizeof(double));
    fl->td = malloc((n + 1) * sizeof(double));
    fl->ff = malloc((n + 1) * sizeof(mpfr_t));
    fl->tf = malloc((n + 1) * sizeof(mpfr_t));
    fl->ti = malloc((n + 1) * sizeof(long));
    if (fl->fd == NULL || fl->td == NULL || fl->ff == NULL || fl->tf == NULL || fl->ti == NULL) {
        return ENG_ERROR;
    }
    for (size_t i = 0; i < n; i++) {
        if (eng_fund__sgn(&flows[i]) == 0) {
            continue;
        }
        size_t k = fl->n++;
        mpfr_init2(fl->ff[k], ENG_FUND_PREC);
        mpfr_init2(fl->tf[k], ENG_FUND_PREC);
        eng_fund__get_fr(fl->ff[k], &flows[i]);
        fl->fd[k] = mpfr_get_d(fl->ff[k], MPFR_RNDN);
        fl->ti[k] = days == NULL ? (long)i : days[i];
        mpfr_set_si(fl->tf[k], fl->ti[k], MPFR_RNDN);
        if (days != NULL) {
            mpfr_div_ui(fl->tf[k], fl->tf[k], 365, MPFR_RNDN);
        }
        fl->td[k] = mpfr_get_d(fl->tf[k], MPFR_RNDN);
    }
    return ENG_OK;
}

/* Polishes the root bracketed by [lo, hi] (doubles, npv signs differ) into `root`. */
static void polish(mpfr_t root, const flows_t *fl, double lo, double hi)
{
    double flo = npv_double(fl, lo);
    for (int i = 0; i < 80 && hi - lo > 1e-15 * (1.0 + fabs(lo)); i++) {
        double mid = 0.5 * (lo + hi), fm = npv_double(fl, mid);
        if ((fm < 0) == (flo < 0) && fm != 0.0) {
            lo = mid;
            flo = fm;
        } else {
            hi = mid;
        }
    }
    mpfr_t v, s, step, a, b;
    mpfr_inits2(ENG_FUND_PREC, v, s, step, a, b, (mpfr_ptr)NULL);
    mpfr_set_d(a, lo - 1e-12 * (1.0 + fabs(lo)), MPFR_RNDN);
    mpfr_set_d(b, hi + 1e-12 * (1.0 + fabs(hi)), MPFR_RNDN);
    mpfr_set_d(root, 0.5 * (lo + hi), MPFR_RNDN);
    int ok = 0;
    for (int i = 0; i < NEWTON_STEPS && !ok; i++) {
        npv_mpfr(v, s, fl, root);
        if (mpfr_zero_p(v)) {
            ok = 1;
            break;
        }
        if (mpfr_zero_p(s)) {
            break;
        }
        mpfr_div(step, v, s, MPFR_RNDN);
        mpfr_sub(root, root, step, MPFR_RNDN);
        if (mpfr_cmp(root, a) < 0 || mpfr_cmp(root, b) > 0) {
            break;
        }
        ok = mpfr_zero_p(step) || mpfr_get_exp(step) < mpfr_get_exp(root) - 240 ||
             mpfr_get_exp(step) < -240;
    }
    if (!ok) {
        /* Newton left the bracket or stalled: bisect at full precision. */
        mpfr_t va;
        mpfr_init2(va, ENG_FUND_PREC);
        npv_mpfr(va, s, fl, a);
        for (int i = 0; i < BISECT_STEPS; i++) {
            mpfr_add(root, a, b, MPFR_RNDN);
            mpfr_div_2ui(root, root, 1, MPFR_RNDN);
            npv_mpfr(v, s, fl, root);
            if (mpfr_sgn(v) == mpfr_sgn(va)) {
                mpfr_set(a, root, MPFR_RNDN);
            } else {
                mpfr_set(b, root, MPFR_RNDN);
            }
        }
        mpfr_clear(va);
    }
    mpfr_clears(v, s, step, a, b, (mpfr_ptr)NULL);
}

/* Whether the periodic exact flows have NPV exactly 0 at `rate` (Horner in 1+rate). */
static int exact_root(const eng_fund_num *flows, size_t n, const mpq_t rate)
{
    mpq_t x, acc;
    mpq_inits(x, acc, NULL);
    mpq_set_ui(x, 1, 1);
    mpq_add(x, x, rate);
    for (size_t i = 0; i < n; i++) {
        mpq_mul(acc, acc, x);
        mpq_add(acc, acc, flows[i].q);
    }
    int zero = mpq_sgn(acc) == 0;
    mpq_clears(x, acc, NULL);
    return zero;
}

/* Sets `out` to the root, exact when a short decimal solves the exact flows. */
static void store_root(eng_fund_num *out, const mpfr_t root, const eng_fund_num *flows,
                       size_t n, int all_exact)
{
    eng_fund__set_fr(out, root);
    if (!all_exact) {
        return;
    }
    mpfr_t scaled, diff;
    mpfr_inits2(ENG_FUND_PREC, scaled, diff, (mpfr_ptr)NULL);
    mpz_t z;
    mpz_init(z);
    for (int k = 0; k <= EXACT_DIGITS_MAX; k++) {
        mpz_ui_pow_ui(z, 10, (unsigned long)k);
        mpfr_mul_z(scaled, root, z, MPFR_RNDN);
        mpfr_rint(diff, scaled, MPFR_RNDN);
        mpfr_sub(scaled, scaled, diff, MPFR_RNDN);
        if (!mpfr_zero_p(scaled) && mpfr_get_exp(scaled) > -150) {
            continue;
        }
        mpz_t num;
        mpz_init(num);
        mpfr_get_z(num, diff, MPFR_RNDN);
        mpq_set_num(out->q, num);
        mpq_set_den(out->q, z);
        mpq_canonicalize(out->q);
        mpz_clear(num);
        if (exact_root(flows, n, out->q)) {
            out->kind = ENG_FUND_NUM_EXACT;
            break;
        }
    }
    mpz_clear(z);
    mpfr_clears(scaled, diff, (mpfr_ptr)NULL);
}

/* Picks the root nearest 0.1 (the lower one on a tie) into out->value. */
static void choose(eng_fund_irr *out)
{
    size_t best = 0;
    double best_d = INFINITY;
    for (size_t i = 0; i < out->n_roots; i++) {
        double d = fabs(eng_fund_num_double(&out->roots[i]) - 0.1);
        if (d < best_d) {
            best_d = d;
            best = i;
        }
    }
    eng_fund__set(&out->value, &out->roots[best]);
    out->status = out->n_roots == 1 ? ENG_FUND_IRR_OK : ENG_FUND_IRR_SEVERAL;
    out->reason = NULL;
}

/* Sign changes along the nonzero flows in time order. */
static int sign_changes(const flows_t *fl)
{
    int changes = 0;
    for (size_t i = 1; i < fl->n; i++) {
        changes += (fl->fd[i] < 0) != (fl->fd[i - 1] < 0);
    }
    return changes;
}

/*
 * One sign change means exactly one root above -1 (Descartes' rule of signs,
 * which holds for real exponents too), so the two ends of the range bracket
 * it or show it lies outside: no scan needed.
 */
static void find_single_root(eng_fund_irr *out, const flows_t *fl, const eng_fund_num *flows,
                             size_t n, int all_exact)
{
    double lo = npv_double(fl, RATE_LO), hi = npv_double(fl, RATE_HI);
    if (lo != 0.0 && hi != 0.0 && (lo < 0) == (hi < 0)) {
        return;
    }
    mpfr_t root;
    mpfr_init2(root, ENG_FUND_PREC);
    polish(root, fl, lo == 0.0 ? RATE_LO : (hi == 0.0 ? RATE_HI : RATE_LO),
           hi == 0.0 ? RATE_HI : (lo == 0.0 ? RATE_LO : RATE_HI));
    store_root(&out->roots[out->n_roots++], root, flows, n, all_exact);
    mpfr_clear(root);
}

/* Scans for sign changes and polishes each root into out->roots. */
static void find_roots(eng_fund_irr *out, const flows_t *fl, const eng_fund_num *flows,
                       size_t n, int all_exact)
{
    if (sign_changes(fl) == 1) {
        find_single_root(out, fl, flows, n, all_exact);
        return;
    }
    /* Points equally spaced in ln(1+r): 1+r grows by one constant factor per step. */
    double factor = pow((1.0 + RATE_HI) / (1.0 + RATE_LO), 1.0 / SCAN_POINTS);
    double x = 1.0 + RATE_LO;
    double prev_r = RATE_LO, prev_v = npv_double(fl, RATE_LO);
    mpfr_t root;
    mpfr_init2(root, ENG_FUND_PREC);
    for (int k = 1; k <= SCAN_POINTS && out->n_roots < ENG_FUND_ROOTS_MAX; k++) {
        x *= factor;
        double r = k == SCAN_POINTS ? RATE_HI : x - 1.0;
        double v = npv_double(fl, r);
        if (prev_v == 0.0 || (v != 0.0 && (v < 0) != (prev_v < 0))) {
            polish(root, fl, prev_r, prev_v == 0.0 ? prev_r : r);
            store_root(&out->roots[out->n_roots++], root, flows, n, all_exact);
        }
        prev_r = r;
        prev_v = v;
    }
    if (prev_v == 0.0 && out->n_roots < ENG_FUND_ROOTS_MAX) {
        mpfr_set_d(root, RATE_HI, MPFR_RNDN);
        store_root(&out->roots[out->n_roots++], root, flows, n, all_exact);
    }
    mpfr_clear(root);
}

eng_status eng_fund__irr(eng_fund_irr *out, const eng_fund_num *flows, const long *days,
                         size_t n)
{
    assert(out != NULL);
    assert(n == 0 || flows != NULL);
    out->status = ENG_FUND_IRR_NONE;
    out->n_roots = 0;
    eng_fund__init(&out->value);
    eng_fund__set_null(&out->value);
    eng_fund__inits(out->roots, ENG_FUND_ROOTS_MAX);
    int pos = 0, neg = 0, all_exact = days == NULL;
    for (size_t i = 0; i < n; i++) {
        if (flows[i].kind == ENG_FUND_NUM_NULL) {
            out->reason = reason_null;
            return ENG_OK;
        }
        all_exact = all_exact && flows[i].kind == ENG_FUND_NUM_EXACT;
        int s = eng_fund__sgn(&flows[i]);
        pos |= s > 0;
        neg |= s < 0;
    }
    if (!pos || !neg) {
        out->reason = !pos && !neg ? reason_zero : reason_sign;
        return ENG_OK;
    }
    flows_t fl = {0};
    eng_status rc = flows_load(&fl, flows, days, n);
    if (rc == ENG_OK) {
        find_roots(out, &fl, flows, n, all_exact);
        if (out->n_roots == 0) {
            out->reason = reason_none;
        } else {
            choose(out);
        }
    }
    flows_free(&fl);
    return rc;
}

static eng_status irr_from_q(eng_fund_irr *out, const mpq_t *flows, const long *days, size_t n)
{
    eng_fund_num *nums = malloc((n + 1) * sizeof(*nums));
    if (nums == NULL) {
        eng_fund__irr(out, NULL, NULL, 0);
        return ENG_ERROR;
    }
    eng_fund__inits(nums, n);
    for (size_t i = 0; i < n; i++) {
        eng_fund__set_q(&nums[i], flows[i]);
    }
    eng_status rc = eng_fund__irr(out, nums, days, n);
    eng_fund__clears(nums, n);
    free(nums);
    return rc;
}

eng_status eng_fund_irr_periodic(eng_fund_irr *out, const mpq_t *flows, size_t n)
{
    return irr_from_q(out, flows, NULL, n);
}

eng_status eng_fund_irr_dated(eng_fund_irr *out, const mpq_t *flows, const long *days, size_t n)
{
    assert(days != NULL || n == 0);
    for (size_t i = 1; i < n; i++) {
        assert(days[i] >= days[i - 1]);
    }
    return irr_from_q(out, flows, days, n);
}

void eng_fund_irr_clear(eng_fund_irr *irr)
{
    if (irr == NULL) {
        return;
    }
    eng_fund__clear(&irr->value);
    eng_fund__clears(irr->roots, ENG_FUND_ROOTS_MAX);
}
