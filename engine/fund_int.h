/*
 * fund_int.h -- private parts of the fund model: arithmetic on eng_fund_num,
 * the IRR solver over eng_fund_num flows, and the waterfall and concession
 * runs over explicit yearly flows (exported for the unit tests of the
 * single-date checks W1, W2, R1, R2).
 */
#ifndef ENG_FUND_INT_H
#define ENG_FUND_INT_H

#include "fund_model.h"

/* ---- arithmetic: exact while both sides are exact, else MPFR; null is absorbing ---- */

void eng_fund__init(eng_fund_num *x);           /* exact 0 */
void eng_fund__clear(eng_fund_num *x);
void eng_fund__inits(eng_fund_num *x, size_t n);
void eng_fund__clears(eng_fund_num *x, size_t n);
void eng_fund__set(eng_fund_num *r, const eng_fund_num *a);
void eng_fund__set_q(eng_fund_num *r, const mpq_t a);
void eng_fund__set_si(eng_fund_num *r, long num, unsigned long den);
void eng_fund__set_null(eng_fund_num *r);
/* Sets `r` to the float `v`. */
void eng_fund__set_fr(eng_fund_num *r, const mpfr_t v);
void eng_fund__add(eng_fund_num *r, const eng_fund_num *a, const eng_fund_num *b);
void eng_fund__sub(eng_fund_num *r, const eng_fund_num *a, const eng_fund_num *b);
void eng_fund__mul(eng_fund_num *r, const eng_fund_num *a, const eng_fund_num *b);
/* r = a / b; null when b is 0. */
void eng_fund__div(eng_fund_num *r, const eng_fund_num *a, const eng_fund_num *b);
void eng_fund__min(eng_fund_num *r, const eng_fund_num *a, const eng_fund_num *b);
void eng_fund__max(eng_fund_num *r, const eng_fund_num *a, const eng_fund_num *b);
/* r = base^exponent for base >= 0: exact when the exponent is an integer. */
void eng_fund__pow_q(eng_fund_num *r, const mpq_t base, const mpq_t exponent);
/* Neither may be null. */
int eng_fund__cmp(const eng_fund_num *a, const eng_fund_num *b);
int eng_fund__sgn(const eng_fund_num *a);
/* Writes the value into `out` (initialised by the caller); `x` not null. */
void eng_fund__get_fr(mpfr_t out, const eng_fund_num *x);

/* ---- IRR ---------------------------------------------------------------- */

/*
 * Solves the IRR of `flows[0..n-1]` at times i (periodic, `days` NULL) or
 * days[i]/365.  `out` must be uninitialised; eng_fund_irr_clear() releases it.
 */
eng_status eng_fund__irr(eng_fund_irr *out, const eng_fund_num *flows, const long *days,
                         size_t n);

/* ---- waterfall over explicit yearly flows ------------------------------ */

typedef struct {
    size_t n;                       /* years */
    const eng_fund_num *calls;      /* C_t */
    const eng_fund_num *dists;      /* realised distribution X_t (liquidation included) */
    const eng_fund_num *navs;       /* value liquidated hypothetically after year t */
    const eng_fund_num *fractions;  /* American: share of earlier unreturned cost realised */
} eng_fund__wf_input;

typedef struct {
    eng_fund_num roc, pref, catch_up, split; /* tiers of X_t */
    eng_fund_num lp, gp;            /* receipts, clawback included */
    eng_fund_num clawback;          /* American, last year */
    eng_fund_num net_nav;           /* LPs' share of navs[t] in a liquidation now */
} eng_fund__wf_year;

/* Initialises / clears `n` rows. */
void eng_fund__wf_years_init(eng_fund__wf_year *rows, size_t n);
void eng_fund__wf_years_clear(eng_fund__wf_year *rows, size_t n);

/*
 * Runs the waterfall `terms` over `in` into `out[0..n-1]` (initialised rows).
 * European: whole fund, pref compounding on unreturned capital plus unpaid
 * pref from the second year.  American: year t realises fractions[t] of the
 * unreturned cost of every earlier call as one deal (the last year realises
 * everything), pref from each call's year, catch-up and carry per deal, and
 * the GP repays max(0, carry - c x max(0, profit)) in the last year.
 * Returns ENG_ERROR when memory runs out.
 */
eng_status eng_fund__waterfall_run(eng_fund__wf_year *out, const eng_fund_waterfall *terms,
                                   const eng_fund__wf_input *in);

/* ---- concession over explicit yearly flows ----------------------------- */

typedef struct {
    eng_fund_num gov_calls, gov_dists, gov_nav;       /* the government after the concession */
    eng_fund_num extra_calls, extra_dists, extra_nav; /* what the private LPs take over */
} eng_fund__gov_year;

void eng_fund__gov_years_init(eng_fund__gov_year *rows, size_t n);
void eng_fund__gov_years_clear(eng_fund__gov_year *rows, size_t n);

/*
 * Applies `c` to the government's pro-rata flows (`calls`, `receipts`, and the
 * hypothetical liquidation value `navs` of its stake) over `n` years whose
 * first is model year `first_year`.  No concession copies them through.
 */
void eng_fund__concession_run(eng_fund__gov_year *out, const eng_fund_concession *c,
                              int first_year, size_t n, const eng_fund_num *calls,
                              const eng_fund_num *receipts, const eng_fund_num *navs);

/* ---- one sub-fund (fund_model.c) --------------------------------------- */

/* Initialises every number of `r` (exact 0) and IRR (none); no years yet. */
void eng_fund__subfund_init(eng_fund_subfund_result *r);
/* Releases everything `r` holds. */
void eng_fund__subfund_clear(eng_fund_subfund_result *r);
/* Releases the per-year rows only (a grid cell's summary). */
void eng_fund__subfund_drop_years(eng_fund_subfund_result *r);
/*
 * Models sub-fund `s` of the validated fund `f` into `r`; `summary` skips the
 * hypothetical liquidations (every net NAV 0).  ENG_ERROR when out of memory.
 */
eng_status eng_fund__subfund_model(eng_fund_subfund_result *r, const eng_fund *f,
                                   const eng_fund_subfund *s, int summary);

/*
 * eng_fund_model(); with `summary` the parent's IRR to date and every net NAV
 * are left out (a grid cell drops the years anyway; the last year's NAV is 0).
 */
eng_status eng_fund__model(const eng_fund *f, eng_fund_result **out, eng_error *err, int summary);

/* Releases the per-year arrays of a result (parent, leverage, sub-funds). */
void eng_fund__result_drop_years(eng_fund_result *r);

#endif
