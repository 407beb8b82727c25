/*
 * fund_model.h -- what the fund-of-funds model computes (DESIGN 9, 10).
 *
 * eng_fund_model() turns a validated eng_fund into an eng_fund_result:
 * leverage by tier, per sub-fund caps, 返投, the Takahashi-Alexander
 * projection, the waterfall, the government / private / GP flows, and the
 * parent fund's own position year by year with IRR, XIRR, TVPI, DPI, RVPI,
 * trough and breakeven.  Pure computation: no I/O.
 *
 * Every number is an eng_fund_num: an exact rational where the inputs allow it
 * (an integer bow keeps a projection exact), else a 256-bit MPFR float, or
 * null (a ratio with a zero denominator).  Callers print it with
 * eng_fund_num_str() and draw it with eng_fund_num_double(); they never need
 * to know which form it has.  An IRR comes as an eng_fund_irr with its status.
 */
#ifndef ENG_FUND_MODEL_H
#define ENG_FUND_MODEL_H

#include <gmp.h>
#include <mpfr.h>
#include <stddef.h>

#include "error.h"
#include "fund.h"

/* Bits of every inexact number. */
#define ENG_FUND_PREC 256
/* Most IRR roots reported. */
#define ENG_FUND_ROOTS_MAX 8

typedef enum {
    ENG_FUND_NUM_NULL = 0, /* undefined (0/0, nothing paid in yet) */
    ENG_FUND_NUM_EXACT,    /* the value is `q` */
    ENG_FUND_NUM_FLOAT     /* the value is `f`, ENG_FUND_PREC bits */
} eng_fund_num_kind;

typedef struct {
    eng_fund_num_kind kind;
    mpq_t q;  /* meaningful when kind is EXACT */
    mpfr_t f; /* meaningful when kind is FLOAT */
    int has_f;/* private: f is initialised (only once a float was stored) */
} eng_fund_num;

/*
 * Formats `x` as a plain decimal (no exponent, `-0.0123`, `1.38089667193`)
 * rounded to `sig_digits` significant digits (1..70), trailing zeros of the
 * fraction dropped; an exact value that needs fewer digits prints in full
 * (`0.15`, `405`).  A null number prints as `null`.  Returns a string the
 * caller frees with free(), or NULL when memory runs out.
 */
char *eng_fund_num_str(const eng_fund_num *x, int sig_digits);

/* The nearest double, for charts only (NaN for null). */
double eng_fund_num_double(const eng_fund_num *x);

int eng_fund_num_is_null(const eng_fund_num *x);
int eng_fund_num_is_exact(const eng_fund_num *x);

/* ---- IRR ---------------------------------------------------------------- */

typedef enum {
    ENG_FUND_IRR_NONE = 0, /* no root: `reason` says why; value is null */
    ENG_FUND_IRR_OK,       /* exactly one root in [-0.99, 10]: `value` */
    ENG_FUND_IRR_SEVERAL   /* several roots: all in `roots`, `value` the one nearest 0.1 */
} eng_fund_irr_status;

typedef struct {
    eng_fund_irr_status status;
    eng_fund_num value;   /* exact when the root is a short decimal that solves it exactly */
    const char *reason;   /* static text when status is NONE, else NULL */
    size_t n_roots;       /* 0 for NONE, 1 for OK */
    eng_fund_num roots[ENG_FUND_ROOTS_MAX]; /* ascending */
} eng_fund_irr;

/*
 * Solves sum_i flows[i] / (1+r)^i = 0 (periodic, one flow per year) over
 * r in [-0.99, 10]: a scan for sign changes brackets every root, each is
 * polished to far better than 1e-12 in 256-bit MPFR.  `out` must be
 * uninitialised; the caller releases it with eng_fund_irr_clear().  Returns
 * ENG_OK (the status is in `out`) or ENG_ERROR when memory runs out.
 */
eng_status eng_fund_irr_periodic(eng_fund_irr *out, const mpq_t *flows, size_t n);

/*
 * The same with a flow at each day `days[i]` counted from day 0, discounted
 * by (1+r)^(days/365) (actual/365 fixed).  `days` must ascend.
 */
eng_status eng_fund_irr_dated(eng_fund_irr *out, const mpq_t *flows, const long *days, size_t n);

void eng_fund_irr_clear(eng_fund_irr *irr);

/* ---- results ------------------------------------------------------------ */

/* Leverage on the paid-in basis at the end of one model year. */
typedef struct {
    int year;
    eng_fund_num subfund_paid_in; /* sum of the sub-funds' PIC */
    eng_fund_num parent_paid_in;  /* the parent's pro-rata share of it */
    eng_fund_num private_paid_in; /* the private LPs' pro-rata share of it */
    eng_fund_num subfund;         /* subfund_paid_in / parent_paid_in */
    eng_fund_num subfund_private; /* private_paid_in / parent_paid_in */
    eng_fund_num fiscal;          /* subfund_paid_in / (parent_paid_in x F/P) */
} eng_fund_leverage_year;

/* Leverage by tier on the committed basis (reference 2.3, E1). */
typedef struct {
    eng_fund_num parent;            /* P / F */
    eng_fund_num subfund;           /* S / p */
    eng_fund_num subfund_private;   /* Q / p */
    eng_fund_num fiscal;            /* S / (p F/P) */
    eng_fund_num state_share;       /* (p + O) / S */
    eng_fund_num private_per_fiscal;/* (Q + p Q_P/P) / (p F/P) */
    eng_fund_num deployment;        /* p / P */
    eng_fund_num undeployed;        /* P - p */
    size_t n_years;
    eng_fund_leverage_year *years;  /* model years 1 .. last */
} eng_fund_leverage;

/*
 * One model year of one sub-fund.  Gross flows are the TA projection; the
 * waterfall splits `distributions` plus, in the last year, the liquidation of
 * any NAV left (`liquidation`, 0 when the calls reach the commitment).
 */
typedef struct {
    int year;                  /* model year */
    eng_fund_num calls;        /* C_t */
    eng_fund_num distributions;/* D_t */
    eng_fund_num nav;          /* NAV_t (gross) */
    eng_fund_num liquidation;  /* NAV_t in the last year, else 0 */
    eng_fund_num roc, pref, catch_up, split; /* tiers of D_t + liquidation */
    eng_fund_num clawback;     /* American: paid by the GP to the LPs, last year */
    eng_fund_num lp, gp;       /* LP and GP receipts (GP net of clawback) */
    eng_fund_num net_nav;      /* LPs' hypothetical liquidation value of NAV_t */
    eng_fund_num government_calls, government_distributions, government_nav;
    eng_fund_num private_calls, private_distributions, private_nav;
    eng_fund_num ceded;        /* capped_return: moved from government to private */
} eng_fund_subfund_year;

typedef struct {
    char *id;
    eng_fund_kind kind;
    eng_fund_num size;          /* S_j */
    eng_fund_num participation; /* p_j / S_j */
    eng_fund_num state_share;   /* (p_j + o_j) / S_j */
    int participation_ok;       /* participation <= participation_cap */
    int state_share_ok;         /* state_share <= limits.state_share_max */
    int parent_largest;         /* p_j above both o_j and q_j (a data check) */
    struct {
        eng_fund_num required;  /* m_j p_j */
        eng_fund_num counted;   /* sum of weight x amount */
        eng_fund_num ratio;     /* counted / p_j (null when p_j = 0) */
        eng_fund_num shortfall; /* max(0, required - counted) */
        eng_fund_num local_share; /* m_j p_j / S_j, the fund's share that must go local */
        int ok;                 /* counted >= required */
    } reinvestment;
    eng_fund_irr gross_irr;     /* periodic, D + liquidation - C */
    eng_fund_num gross_tvpi;
    eng_fund_irr lp_irr;
    eng_fund_num lp_tvpi;
    eng_fund_num lp_distributions;
    eng_fund_num gp_carry;      /* net of the clawback */
    eng_fund_num clawback;
    eng_fund_num government_paid_in, government_distributions;
    eng_fund_irr government_irr;
    eng_fund_num private_paid_in, private_distributions; /* incl. what was ceded */
    eng_fund_irr private_irr;
    eng_fund_num ceded;         /* government's net flows without less with the concession */
    eng_fund_num peak_nav;      /* largest gross NAV, earliest year on a tie */
    int peak_nav_year;
    int lp_breakeven_year;      /* first year after the LPs' trough with cum net >= 0, else 0 */
    int first_year, last_year;  /* model years */
    size_t n_years;             /* 0 in a grid cell's summary */
    eng_fund_subfund_year *years;
} eng_fund_subfund_result;

/* One model year of the parent's own position (its share, after concessions). */
typedef struct {
    int year;
    eng_fund_num calls, distributions, net, cumulative_net;
    eng_fund_num paid_in;       /* cumulative calls */
    eng_fund_num nav;           /* net NAV, hypothetical liquidation without accrual */
    eng_fund_num dpi, rvpi, tvpi;
    eng_fund_irr irr_to_date;   /* periodic, the nav as a final flow */
} eng_fund_parent_year;

typedef struct {
    size_t n_years;             /* 0 in a grid cell's summary */
    eng_fund_parent_year *years;/* model years 1 .. last */
    eng_fund_num paid_in, distributions, nav;
    eng_fund_irr irr;           /* periodic over model years */
    eng_fund_irr xirr;          /* actual/365 from 31 December of start_year */
    eng_fund_num tvpi, dpi, rvpi;
    int trough_year;            /* earliest minimum of cumulative net */
    eng_fund_num trough_amount;
    int breakeven_year;         /* 0 when none */
} eng_fund_parent_result;

typedef struct {
    int start_year;
    int last_year;              /* model year */
    eng_fund_leverage leverage;
    size_t n_subfunds;
    eng_fund_subfund_result *subfunds; /* in file order */
    eng_fund_parent_result parent;
} eng_fund_result;

/*
 * Models `f` (validated with eng_fund_validate() first; an invalid fund
 * returns ENG_EINVALID with the message).  On success sets `*out` to a result
 * the caller frees with eng_fund_result_free().  Returns ENG_ERROR when memory
 * runs out.
 */
eng_status eng_fund_model(const eng_fund *f, eng_fund_result **out, eng_error *err);

/* Frees `r` and everything in it; NULL is allowed. */
void eng_fund_result_free(eng_fund_result *r);

/* ---- sensitivity grid --------------------------------------------------- */

/*
 * Cells in row-major order: cell (i, j) models the fund with axes[0] at
 * row_values[i] and axes[1] at col_values[j] (one column when there is one
 * axis).  Each cell is a summary result: every number of eng_fund_result
 * except the per-year arrays (n_years = 0), so the parent's irr/tvpi and each
 * sub-fund's lp_irr, gp_carry, peak_nav... are there.
 */
typedef struct {
    eng_fund_param row_param, col_param; /* col_param meaningful when n_axes == 2 */
    size_t n_axes;
    size_t n_rows, n_cols;
    mpq_t *row_values, *col_values;
    eng_fund_result **cells;
} eng_fund_grid_result;

/*
 * Runs the model once per cell of `g` over copies of `f`.  On success sets
 * `*out` (freed with eng_fund_grid_result_free()).  Returns ENG_EINVALID when
 * a value does not fit its parameter (life not a whole number, rate with no
 * concession in the fund, a value the validator rejects) naming the cell, and
 * ENG_ERROR when memory runs out.
 */
eng_status eng_fund_grid_run(const eng_fund *f, const eng_fund_grid *g,
                             eng_fund_grid_result **out, eng_error *err);

void eng_fund_grid_result_free(eng_fund_grid_result *r);

#endif
