/*
 * verify.h -- the checks of `audit verify` that need no database (DESIGN 7).
 *
 * `audit verify` streams a program's stored rows (ledger/verify_store.h) and asks
 * these functions whether each piece holds: an entry's legs (numbered 1..n, amounts
 * > 0, balanced in all and for every party), a claim against the entry that opened
 * it, a settlement payment against the entry that pays it, the payments of one claim
 * across settlements, a default's parts and its entry.  Each returns 1 when the
 * piece holds, else 0 with the first fault found in `out`.  No I/O, no allocation.
 */
#ifndef ENG_VERIFY_H
#define ENG_VERIFY_H

#include <stddef.h>

#include "money.h"

/* Sizes of the texts of a fault (each NUL-terminated, truncated when longer). */
#define ENG_VERIFY_SUBJECT_SIZE 160
#define ENG_VERIFY_CHECK_SIZE 160
#define ENG_VERIFY_VALUE_SIZE 200

/*
 * One fault: what (`entry 7`, `claim 3`, `default D1`), the check that failed
 * (`hash mismatch`), and what was expected against what was found.  Printed as
 * `<subject>: <check>: expected <expected>, found <found>`.
 */
typedef struct {
    char subject[ENG_VERIFY_SUBJECT_SIZE];
    char check[ENG_VERIFY_CHECK_SIZE];
    char expected[ENG_VERIFY_VALUE_SIZE];
    char found[ENG_VERIFY_VALUE_SIZE];
} eng_verify_fault;

/*
 * Fills `out` (printf-style for the subject; `check`, `expected` and `found` are
 * copied) and returns 0, so a check can end with `return eng_verify_fail(...)`.
 */
int eng_verify_fail(eng_verify_fault *out, const char *check, const char *expected,
                    const char *found, const char *subject_fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Formats `out` as its one line, without a newline, into `line` (`size` bytes). */
void eng_verify_format(char *line, size_t size, const eng_verify_fault *f);

/* One stored leg of an entry, as `audit verify` reads it. */
typedef struct {
    long leg;               /* its number; legs of an entry are numbered 1..n */
    const char *party;
    const char *kind;       /* account kind */
    int debit;              /* 1 debit, 0 credit */
    eng_fen amount;
} eng_verify_leg;

/*
 * Checks the `n` legs of entry `seq` (in leg order) against the `declared` number
 * of legs its row states: 2..legs_max legs, numbered 1..n, n = declared, each amount
 * in (0, ENG_FEN_MAX], debits equal to credits, and for every party.  `n` counts
 * every stored leg, even beyond what the caller kept (legs[] holds min(n, legs_max)).
 */
int eng_verify_legs(eng_verify_fault *out, long seq, const eng_verify_leg *legs, size_t n,
                    long declared, size_t legs_max);

/*
 * The sum of the credits (debit 0) or debits (1) that `legs[0..n)` post to
 * `party`:`kind` (any party's `kind` when `party` is NULL); legs are checked
 * already, so the sum cannot overflow.
 */
eng_fen eng_verify_posted(const eng_verify_leg *legs, size_t n, const char *party,
                          const char *kind, int debit);

/*
 * Checks that the legs of entry `seq` pay a settlement payment of `paid` on a claim
 * of `payer` to `payee` exactly as DESIGN 7 posts it: payer:payable Dr, payer:cash
 * Cr, and for a party payee (not `borrower:...`) payee:cash Dr, payee:receivable
 * Cr, each of `paid`, and nothing else.  `claim_id` names the claim in the fault.
 */
int eng_verify_payment_legs(eng_verify_fault *out, long seq, long claim_id,
                            const eng_verify_leg *legs, size_t n, const char *payer,
                            const char *payee, eng_fen paid);

/* The payments of one claim so far, in settlement order. */
typedef struct {
    long claim_id;
    eng_fen amount;         /* the claim's amount */
    eng_fen paid;           /* paid by the settlements seen so far */
    long last_settlement;   /* the last settlement seen; 0 before the first */
} eng_verify_claim_paid;

/* Starts the payments of claim `claim_id` of `amount`. */
void eng_verify_claim_paid_init(eng_verify_claim_paid *c, long claim_id, eng_fen amount);

/*
 * Adds one settlement_payments row of the claim (rows come in settlement order):
 * the claim appears at most once in a settlement, `paid` >= 0, the claim is never
 * paid beyond its amount in all, the row states what was open before it (amount
 * less what earlier settlements paid) and `paid` <= that, and a row names a paying
 * entry exactly when it pays something (`has_seq`).
 */
int eng_verify_claim_payment(eng_verify_fault *out, eng_verify_claim_paid *c,
                             long settlement_id, eng_fen open_before, eng_fen paid,
                             int has_seq);

/* What is stored about one default: its record, its parts' sums, its entry. */
typedef struct {
    const char *event_id;
    eng_fen loss_base;
    long n_parts;           /* its default_parts rows */
    eng_fen raw_sum, part_sum;
    long seq;               /* its entry of kind `default` */
    eng_fen external;       /* that entry's credits to `external` accounts */
} eng_verify_default;

/*
 * Checks one default: it has parts, its raw and final parts each sum to its loss
 * base, and its entry credits the loss base to the bank's `external` account.
 */
int eng_verify_default_check(eng_verify_fault *out, const eng_verify_default *d);

#endif
