/*
 * lifecycle.h -- what happens to an admitted loan after admission (DESIGN 6:
 * Default, Repayment, Recovery; DESIGN 10: State and order, Events).
 *
 * Pure: the ledger adapter loads each loan an events file names (its version,
 * shares, repayments, default) into an eng_life_loan and the program's running
 * totals into an eng_life_state; the engine then applies the events one at a
 * time, in file order, checking each against the loan's state, and keeps the
 * totals current so a later event sees the earlier ones exactly as if they had
 * been recorded.
 *
 * The totals, and how an event moves them:
 *   caps      "y|PARTY@YYYY"       final parts of PARTY in defaults dated in the year
 *             "by|PARTY|BANK@YYYY" the same for the loans of BANK
 *             "p|PARTY"            every final part of PARTY so far
 *             (loaded whole; a default adds its parts)
 *   rates     "bank:ID" "guarantor:ID" "program"
 *                                  a = loss bases of the scope's defaults,
 *                                  b = principal admitted in the scope
 *             the same + "@YYYY"   a = loss bases of defaults dated in the year,
 *                                  b = principal of loans outstanding at any time in
 *                                      the year (start on or before 31 December, not
 *                                      closed or defaulted before 1 January)
 *   bank_out  "bank:ID@YYYY"       a = the bank's outstanding program principal on
 *                                      31 December of the year
 * Year keys are loaded only for the years `years` lists; an event updates a year
 * key only when it is loaded (so a missing key is never half-counted).  A loan's
 * contribution to year keys is taken out before its event and put back after,
 * so loans the file touches are always counted by their current state.
 */
#ifndef ENG_LIFECYCLE_H
#define ENG_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "limits.h"
#include "policy.h"
#include "tally.h"

typedef enum { ENG_LOAN_OPEN = 0, ENG_LOAN_CLOSED, ENG_LOAN_DEFAULTED } eng_loan_status;

/* One repayment of a loan: what the bank_year cap's prior-year balance needs. */
typedef struct {
    eng_date date;
    eng_fen amount;
} eng_repayment;

/* A recorded loan as its events see it.  Initialise with eng_life_loan_init(). */
typedef struct {
    const char *loan_id;
    const char *borrower_code;
    const eng_policy *policy;   /* its version, for life */
    int rule;                   /* its terms rule, an index into policy->terms.rules */
    int bank;                   /* party index of its bank */
    int guarantor;              /* party index of its guarantor; -1: a direct loan */
    mpq_t *share;               /* policy->n_parties shares, party order */
    mpq_t annual_rate;
    eng_fen principal;
    eng_date start_date;
    /* state */
    eng_loan_status status;
    eng_date end_date;          /* closed or defaulted: the day it stopped being outstanding */
    eng_fen repaid;             /* principal repaid */
    eng_fen interest_paid;      /* interest paid, every repayment */
    eng_repayment *repayments;  /* in the order recorded */
    size_t n_repayments, cap_repayments;
    eng_date default_date;      /* when defaulted */
    eng_fen loss_base;          /* B, when defaulted */
    eng_fen *part;              /* a_P per party, when defaulted (else NULL) */
    eng_fen recovered;          /* cumulative net recovery */
} eng_life_loan;

/* Sets up `l` for `policy` (shares zero, open, nothing repaid).  ENG_ERROR: out of memory. */
eng_status eng_life_loan_init(eng_life_loan *l, const eng_policy *policy);
void eng_life_loan_clear(eng_life_loan *l);
/* Adds a recorded repayment to the history (state is the caller's to set). */
eng_status eng_life_loan_add_repayment(eng_life_loan *l, eng_date date, eng_fen amount);
/* Principal outstanding: 0 once closed or defaulted. */
eng_fen eng_life_outstanding(const eng_life_loan *l);

typedef struct {
    eng_tally *caps;
    eng_tally *rates;
    eng_tally *bank_out;
    eng_fen admitted_principal;  /* every admitted loan of the program, all versions */
    int years[16];               /* the years whose keys are loaded */
    size_t n_years;
} eng_life_state;

eng_status eng_life_state_init(eng_life_state *st);
void eng_life_state_clear(eng_life_state *st);
/* Adds `year` to the loaded years (at most 16; ENG_ELIMIT beyond). */
eng_status eng_life_state_add_year(eng_life_state *st, int year);

/* Why an event cannot apply to its loan (DESIGN 10: an input error, exit 65). */
typedef enum {
    ENG_LIFE_OK = 0,
    ENG_LIFE_BEFORE_START,      /* dated before the loan starts */
    ENG_LIFE_CLOSED,            /* repaying or defaulting a closed loan */
    ENG_LIFE_DEFAULTED,         /* repaying or defaulting a defaulted loan */
    ENG_LIFE_OVER_OUTSTANDING,  /* a repayment above the outstanding principal */
    ENG_LIFE_NOT_DEFAULTED,     /* a recovery on a loan that has not defaulted */
    ENG_LIFE_BEFORE_DEFAULT,    /* a recovery dated before the default */
    ENG_LIFE_OVER_LOSS_BASE,    /* cumulative net recovery above the loss base */
    ENG_LIFE_COST_CAP           /* costs above cost_cap x gross */
} eng_life_fault;

/* Where a default's parts were cut. */
typedef struct {
    int is_breaker;   /* 0: caps[index]; 1: breakers[index] */
    size_t index;
    int party;        /* whose part was cut */
    eng_fen limit;    /* a cap: what it left the party (its room); a breaker: 0 */
    eng_fen cut;      /* > 0 */
} eng_life_cut;

/* One default's allocation (DESIGN 6). */
typedef struct {
    eng_fen outstanding;               /* principal outstanding at default */
    eng_fen interest;                  /* interest counted in B (principal_plus_interest) */
    eng_fen loss_base;                 /* B = outstanding + interest */
    eng_fen raw[ENG_PARTIES_MAX];      /* B split by the shares */
    eng_fen part[ENG_PARTIES_MAX];     /* a_P, final, summing to B */
    uint8_t listed[ENG_PARTIES_MAX];   /* 1: reported (a share, or the residual took something) */
    int claimant;                      /* the guarantor, or the bank of a direct loan */
    int residual;                      /* who took what was cut */
    size_t n_cuts;
    eng_life_cut cuts[ENG_CAPS_MAX + ENG_PARTIES_MAX];
    size_t n_over;                     /* stop_payments breakers over their threshold */
    size_t over[ENG_BREAKERS_MAX];
} eng_default_result;

/*
 * Defaults `l` on `date` with `unpaid_interest` (used by principal_plus_interest):
 * computes B, the raw split, every cap in policy order against the running
 * totals, the stop_payments breakers (the current default counted) and the
 * residual, into `out`; then marks the loan defaulted and adds the default to
 * `st`.  A fault leaves loan and state unchanged.  Returns ENG_OK (with
 * *fault set; ENG_LIFE_OK when applied), or ENG_ELIMIT/ENG_ERROR.
 */
eng_status eng_life_default(eng_default_result *out, eng_life_fault *fault, eng_life_state *st,
                            eng_life_loan *l, eng_date date, eng_fen unpaid_interest,
                            eng_error *err);

/*
 * Repays `amount` of principal with `interest` on `date`.  When it closes the
 * loan and its terms have interest_subsidy, *subsidy is the claim to open:
 * round(min(interest paid x interest_subsidy, interest_subsidy_cap)); else 0.
 */
eng_status eng_life_repay(eng_fen *subsidy, int *closed, eng_life_fault *fault,
                          eng_life_state *st, eng_life_loan *l, eng_date date, eng_fen amount,
                          eng_fen interest, eng_error *err);

/*
 * A recovery of `amount` gross with `cost` on `date`: net N = amount - cost is
 * split into `share_out[0..n_parties)` by the final parts (`basis: borne`) or the
 * raw shares (`nominal`), largest remainder in party order.
 */
eng_status eng_life_recover(eng_fen *share_out, eng_life_fault *fault, eng_life_loan *l,
                            eng_date date, eng_fen amount, eng_fen cost, eng_error *err);

/* The terms outputs of the loan's rule (else the defaults): interest subsidy ratio and cap. */
void eng_life_interest_terms(const eng_life_loan *l, const mpq_t **ratio, const eng_fen **cap);

/* A short English text of a fault, for the error line. */
const char *eng_life_fault_text(eng_life_fault f);

#endif
