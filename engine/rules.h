/*
 * rules.h -- evaluating a policy's conditions and terms table on one loan.
 *
 * Pure: no I/O.  The caller supplies the loan's fields and, for the
 * aggregate borrower rule, the borrower's outstanding principal.
 */
#ifndef ENG_RULES_H
#define ENG_RULES_H

#include <gmp.h>

#include "limits.h"
#include "policy.h"

/* A loan as the rules see it (DESIGN 5).  Strings are borrowed. */
typedef struct {
    const char *loan_id;
    const char *borrower_code;
    const char *tech_status;
    const char *sector;
    const char *credit_grade;
    const char *bank;          /* a bank party id */
    const char *guarantor;     /* a guarantor party id, or NULL/"" for a direct loan */
    mpq_t principal;
    mpq_t revenue;             /* 0 when absent */
    mpq_t annual_rate;
    mpq_t collateral_ratio;
    int term_months;
    int first_loan;
    eng_date start_date;
    int has_fee_rate;
    mpq_t fee_rate;
} eng_loan;

/* Initialises / clears the rationals of `loan` (strings are not touched). */
void eng_loan_init(eng_loan *loan);
void eng_loan_clear(eng_loan *loan);

/* 1 when the loan has no guarantor. */
int eng_loan_is_direct(const eng_loan *loan);

/* 1 when every condition of `set` holds for `loan`. */
int eng_condset_holds(const eng_condset *set, const eng_loan *loan);

/* 1 when every test of `cond` holds for the number `x`. */
int eng_cond_holds_num(const eng_cond *cond, const mpq_t x);

/*
 * Evaluates the eligibility rules of `p` on `loan`.  `borrower_outstanding`
 * is the borrower's outstanding principal in the program before this loan.
 * Writes the indexes of the failing rules, in policy order, to `failed`
 * (room for p->n_eligibility) and returns how many failed.
 */
size_t eng_eligibility_check(size_t *failed, const eng_policy *p, const eng_loan *loan,
                             const mpq_t borrower_outstanding);

typedef enum {
    ENG_TERMS_OK = 0,
    ENG_TERMS_NO_TERMS,              /* reason `no_terms` */
    ENG_TERMS_AMBIGUOUS,             /* reason `ambiguous_terms` (hit: unique) */
    ENG_TERMS_DIRECT_GUARANTOR_SHARE /* reason `direct_guarantor_share` */
} eng_terms_status;

/*
 * The terms a loan gets: its rule, its shares resolved to party indexes
 * (share[i] for party i; the loan's bank and guarantor shares land on their
 * party indexes), and the priced outputs, rule values over `defaults`.
 */
typedef struct {
    eng_terms_status status;
    int rule;                        /* index into p->terms.rules, -1 if none */
    size_t n_parties;
    mpq_t share[ENG_PARTIES_MAX];    /* initialised for i < n_parties */
    eng_opt_q fee_rate;              /* the loan's own fee_rate when it has one */
    eng_opt_q fee_rate_cap;
    eng_opt_q fee_subsidy;
    eng_opt_fen fee_subsidy_cap;
    eng_opt_q interest_subsidy;
    eng_opt_fen interest_subsidy_cap;
} eng_terms_result;

void eng_terms_result_init(eng_terms_result *r, size_t n_parties);
void eng_terms_result_clear(eng_terms_result *r);

/*
 * Decides the terms of `loan` under `p` into `out` (initialised by the caller
 * with p->n_parties).  The loan's bank and guarantor must be parties of `p`
 * (the caller validates them).  Returns out->status.
 */
eng_terms_status eng_terms_decide(eng_terms_result *out, const eng_policy *p,
                                  const eng_loan *loan);

#endif
