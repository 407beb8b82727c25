/*
 * admission.h -- deciding whether a loan is admitted and on what terms
 * (DESIGN 6, Admission; DESIGN 10, Admission details).
 *
 * Pure: the ledger adapter loads the program's recorded state into an
 * eng_adm_state; eng_admit() decides one loan at a time, in file order, and
 * adds each admitted loan to the state so later loans of the batch see it.
 */
#ifndef ENG_ADMISSION_H
#define ENG_ADMISSION_H

#include "limits.h"
#include "policy.h"
#include "rules.h"
#include "tally.h"

/* Why a loan was rejected; `index` names the eligibility rule or breaker. */
typedef enum {
    ENG_REASON_NO_POLICY = 0,
    ENG_REASON_ELIGIBILITY,          /* the id of eligibility[index] */
    ENG_REASON_NO_TERMS,
    ENG_REASON_AMBIGUOUS_TERMS,
    ENG_REASON_DIRECT_GUARANTOR_SHARE,
    ENG_REASON_FEE_CAP,
    ENG_REASON_BREAKER,              /* breaker:<id of breakers[index]> */
    ENG_REASON_CAPACITY
} eng_reason_kind;

typedef struct {
    eng_reason_kind kind;
    size_t index;
} eng_reason;

/*
 * The program's state as recorded, plus what the batch has admitted so far.
 * Keys of the tallies:
 *   borrowers   borrower_code                  a = outstanding principal (fen)
 *   cumulative  "bank:ID" "guarantor:ID" "program"
 *                                              a = loss bases of defaults, b = principal admitted
 *   yearly      the same keys + "@YYYY"        a = loss bases of defaults dated in the year,
 *                                              b = principal of loans outstanding at any time
 *                                                  in the year (recorded loans only)
 *   pool_cash   a pool's party id              a = its recorded cash
 * The adapter fills them; eng_admit() adds admitted loans to `borrowers`,
 * `cumulative` and `program_outstanding`, and to `batch_started`
 * ("KEY@YYYY" of the start year: a = principal), which yearly denominators add
 * for every year on or after the start year.
 */
typedef struct {
    const eng_policy *const *versions;  /* every loaded version of the program */
    size_t n_versions;
    eng_tally *borrowers;
    eng_tally *cumulative;
    eng_tally *yearly;
    eng_tally *pool_cash;
    eng_tally *batch_started;
    eng_fen program_outstanding;
    int first_batch_year;               /* earliest start year admitted in this batch, or 0 */
} eng_adm_state;

/* Makes the tallies of `st` (everything else zero); ENG_ERROR when out of memory. */
eng_status eng_adm_state_init(eng_adm_state *st);
void eng_adm_state_clear(eng_adm_state *st);

/* One loan's decision. */
typedef struct {
    int admitted;
    const eng_policy *policy;        /* the governing version; NULL: no_policy */
    size_t n_reasons;
    eng_reason reasons[ENG_RULES_MAX > ENG_BREAKERS_MAX ? ENG_RULES_MAX : ENG_BREAKERS_MAX];
    eng_terms_result terms;          /* rule, shares, priced outputs (admitted loans) */
    eng_fen guarantee_fee;           /* 0 for a direct loan */
    eng_fen fee_subsidy;             /* a claim on the first pool when > 0 */
    int has_expected_loss;
    eng_fen expected_loss[ENG_PARTIES_MAX]; /* per party, when the policy has expected_loss */
} eng_adm_decision;

void eng_adm_decision_init(eng_adm_decision *d);
void eng_adm_decision_clear(eng_adm_decision *d);

/*
 * Returns the highest version of `st` in force on `date`, or NULL.
 */
const eng_policy *eng_adm_version(const eng_adm_state *st, eng_date date);

/*
 * Decides `loan` against `st` into `out` (initialised with
 * eng_adm_decision_init, reused across loans).  The loan's bank and guarantor
 * must be parties of the governing version (the caller checks; unknown ones
 * are input errors).  When the loan is admitted, adds it to `st`.
 * Returns ENG_OK, or ENG_ELIMIT when an amount leaves the bounds of
 * ENG_FEN_MAX, or ENG_ERROR when out of memory.
 */
eng_status eng_admit(eng_adm_decision *out, eng_adm_state *st, const eng_loan *loan,
                     eng_error *err);

/*
 * Expected loss of `loan` under `p` split over the parties by `shares`
 * (p->n_parties values): round(principal x pd(grade) x lgd) by the policy's
 * mode, then the largest-remainder split.  Sets `*has` to 0 when the policy
 * has no expected_loss or no pd for the loan's grade.
 */
eng_status eng_adm_expected_loss(eng_fen *out, int *has, const eng_policy *p,
                                 const eng_loan *loan, const mpq_t *shares, eng_error *err);

/* The text of reason `r` of a decision under `p` (`breaker:ID` into `buf`). */
const char *eng_reason_text(const eng_reason *r, const eng_policy *p, char *buf, size_t size);

#endif
