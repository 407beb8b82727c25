/*
 * money.h -- exact numbers, rounding to the fen, largest-remainder splits.
 *
 * Numbers are parsed from text straight into GMP rationals (DESIGN 3, 10);
 * nothing here ever touches a double.  A recorded amount is an int64 count of
 * fen (0.01 of the currency), bounded by ENG_FEN_MAX.
 */
#ifndef ENG_MONEY_H
#define ENG_MONEY_H

#include <gmp.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef int64_t eng_fen;

typedef enum {
    ENG_ROUND_HALF_UP = 0, /* half away from zero, 四舍五入 (default) */
    ENG_ROUND_HALF_EVEN,   /* banker's rounding */
    ENG_ROUND_DOWN         /* toward zero */
} eng_rounding;

/*
 * Parses `text` (`len` bytes, not necessarily NUL-terminated) into `out`:
 * `-?D+(.D+)?%?` or `-?D+/D+`.  `out` must be initialised by the caller.
 * Returns ENG_OK, or ENG_EPARSE with a message in `err` that says why
 * (exponents, NaN, infinity, thousands separators, empty, too many digits,
 * zero denominator, malformed).  `out` is unchanged on error.
 */
eng_status eng_num_parse(mpq_t out, const char *text, size_t len, eng_error *err);

/*
 * Parses a money amount: a plain decimal (no `%`, no fraction) that is a whole
 * number of fen by value (`12.340` is fine, `12.345` is not), within
 * ENG_FEN_MAX.  Sets `*out` only on success.
 */
eng_status eng_money_parse(eng_fen *out, const char *text, size_t len, eng_error *err);

/*
 * Rounds the amount `x` (in currency units) to a whole fen by `mode` and
 * stores it in `*out`.  Returns ENG_ELIMIT when the result exceeds ENG_FEN_MAX.
 */
eng_status eng_round_fen(eng_fen *out, const mpq_t x, eng_rounding mode, eng_error *err);

/* Sets `out` to the exact value of `fen` fen, in currency units. */
void eng_fen_to_q(mpq_t out, eng_fen fen);

/*
 * Splits `total` fen (>= 0) into `n` parts proportional to `weights` (each
 * >= 0, not all 0 unless total is 0) by the largest-remainder method: every
 * exact part is rounded down to the fen, then the fen left over go one each to
 * the parts with the largest remainders, ties to the lower index.  Writes the
 * parts to `out[0..n-1]`; they always sum exactly to `total`.
 * Returns ENG_ERROR only when memory runs out.
 */
eng_status eng_split_fen(eng_fen *out, eng_fen total, const mpq_t *weights, size_t n);

/*
 * Formats `fen` as a decimal with two places (`-1234.50`) into `out`
 * (at least ENG_FEN_TEXT bytes).
 */
#define ENG_FEN_TEXT 32
void eng_fen_format(char *out, size_t size, eng_fen fen);

/*
 * Formats an exact number for people and for normalised output: a finite
 * decimal when the denominator has only the factors 2 and 5 (`0.015`, `40`),
 * else the reduced fraction (`1/3`).  Returns a string the caller frees with
 * free().
 */
char *eng_q_format(const mpq_t x);

/* Returns the rounding mode named by `name` (`half_up`...), or -1. */
int eng_rounding_from_name(const char *name);
const char *eng_rounding_name(eng_rounding mode);

#endif
