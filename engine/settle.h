/*
 * settle.h -- compensation settlement: which open claims a pool pays, and how much
 * (DESIGN 6 "Settlement", 10 "Events, claims and settlement").
 *
 * Pure computation, no I/O.  The ledger adapter loads a pool's open claims dated on
 * or before the through date and the pool's cash from entries dated on or before it;
 * this module orders the claims, decides what each is paid, and parses `--period`.
 */
#ifndef ENG_SETTLE_H
#define ENG_SETTLE_H

#include <stddef.h>

#include "date.h"
#include "error.h"
#include "money.h"
#include "policy.h"

/* Claim kinds, in the order that breaks ties between claims of one loan and date. */
typedef enum {
    ENG_CLAIM_COMPENSATION = 0,
    ENG_CLAIM_FEE_SUBSIDY,
    ENG_CLAIM_INTEREST_SUBSIDY
} eng_claim_kind;

/* One open claim on a pool as the allocation sees it; `loan_id` is the caller's. */
typedef struct {
    long claim_id;          /* > 0; the last tie-break of claim order */
    eng_date claim_date;
    const char *loan_id;    /* compared bytewise */
    eng_claim_kind kind;
    eng_fen open;           /* what is still owed, 1..ENG_FEN_MAX */
} eng_settle_claim;

/* Returns the kind named `name` (`compensation`...), or -1. */
int eng_claim_kind_from_name(const char *name);
const char *eng_claim_kind_name(eng_claim_kind kind);
const char *eng_shortfall_name(eng_shortfall shortfall);
const char *eng_period_name(eng_period period);

/*
 * Claim order: claim date, then loan_id bytewise, then kind (compensation <
 * fee_subsidy < interest_subsidy), then claim_id.  Returns <0, 0 or >0 like strcmp;
 * 0 only for the same claim id.
 */
int eng_settle_claim_cmp(const eng_settle_claim *a, const eng_settle_claim *b);

/* Sorts `claims[0..n)` into claim order, in place.  Allocates nothing. */
void eng_settle_sort(eng_settle_claim *claims, size_t n);

/* What one pool's run decided, in totals (fen). */
typedef struct {
    eng_fen available;      /* the cash the run could use (0 when the pool's cash is negative) */
    eng_fen open_before;    /* the sum of the claims' open amounts */
    eng_fen paid;           /* min(available, open_before) */
    eng_fen open_after;     /* open_before - paid */
} eng_settle_totals;

/*
 * Decides what each of the pool's open claims `claims[0..n)` (in claim order) is
 * paid out of `available` fen (>= 0), writing it to `paid_out[0..n)`: every claim
 * in full when they fit; otherwise by `shortfall`: ENG_SHORTFALL_FIFO pays claims in
 * order until the money runs out (the claim where it runs out in part, later ones
 * 0); ENG_SHORTFALL_PRO_RATA splits `available` over the open amounts by the largest
 * remainder, ties to the earlier claim (eng_split_fen).  Each paid amount is at most
 * its claim's open amount and they sum to min(available, total open).  Fills
 * `*totals_out` when it is not NULL.  Allocates only while it runs.  Returns ENG_OK,
 * ENG_ELIMIT when the total open exceeds ENG_FEN_MAX, or ENG_ERROR when memory runs
 * out; `paid_out` is then unspecified.
 */
eng_status eng_settle_allocate(eng_fen *paid_out, eng_settle_totals *totals_out,
                               const eng_settle_claim *claims, size_t n, eng_fen available,
                               eng_shortfall shortfall, eng_error *err);

/*
 * Parses a settlement period (`len` bytes of `text`): `2024` (a year), `2024Q3` (a
 * quarter, Q1..Q4) or `2024-07` (a month), years 1900..2199, and sets `*out` to the
 * period's last day (2024-12-31, 2024-09-30, 2024-07-31).  Sets `*out` only on
 * success; otherwise returns ENG_EPARSE with a message that names the forms.
 * Allocates nothing.
 */
eng_status eng_settle_period_end(eng_date *out, const char *text, size_t len, eng_error *err);

/*
 * Returns the index of the version of `versions[0..n)` whose settlement block
 * applies on `through`: the highest version in force on that day, else the highest
 * version.  -1 only when n is 0.
 */
int eng_settle_version(const eng_policy *const *versions, size_t n, eng_date through);

#endif
