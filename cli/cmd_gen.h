/*
 * cmd_gen.h -- `riskshare gen loans`: deterministic synthetic loan batches (DESIGN 5, 8).
 *
 * The generator draws realistic guaranteed tech loans for one policy version and writes
 * them as a loans CSV: the same options give the same bytes on every machine (an integer
 * PRNG, and only exact IEEE-754 operations on the way to integer outputs; no libm, no GSL).
 * Most loans are admissible under the policy, checked with the engine's own eligibility and
 * terms evaluation; a few percent are deliberately not (too big, too long, no tech status,
 * too much collateral), and some fail the per-borrower limit because borrowers come back
 * for more loans.  `invalid_rate` replaces a fraction of the rows with malformed ones.
 * docs/agency-guide.md describes the output for users.
 */
#ifndef CLI_CMD_GEN_H
#define CLI_CMD_GEN_H

#include <stdint.h>
#include <stdio.h>

#include "date.h"
#include "error.h"
#include "policy.h"

/* Most rows one run writes: loan ids keep 8 digits, so bytewise order is file order. */
#define CLI_GEN_COUNT_MAX 99999999u

typedef struct {
    uint64_t count;             /* rows after the header, 0..CLI_GEN_COUNT_MAX */
    uint64_t seed;              /* any value; the loan ids start with `S<seed>-` */
    const eng_policy *policy;   /* borrowed: the version the loans are drawn for */
    const char *invalid_rate;   /* exact number text in [0,1] (`0.1`, `10%`), or NULL: none */
    int has_start;              /* 0: start dates begin at the policy's effective_from */
    eng_date start;             /* first start date, inside the policy's window */
    const char *agency;         /* a bank or guarantor party id that every loan names, or NULL */
} cli_gen_opts;

#define CLI_GEN_OPTS_INIT {0, 0, NULL, NULL, 0, 0, NULL}

/* What one run wrote, for tests and for the warning of cli_cmd_gen(). */
typedef struct {
    uint64_t rows;        /* data rows written (= count) */
    uint64_t malformed;   /* rows made malformed: round(invalid_rate x count), half up */
    uint64_t ineligible;  /* loans (before any malformation) admission would reject at
                             steps 1-3 of DESIGN 6, judged against this file alone */
    uint64_t unplaced;    /* of those, loans drawn to be admissible that the policy refused
                             in every try (a policy that admits almost nothing) */
    uint64_t guaranteed;  /* loans with a guarantor */
    uint64_t borrowers;   /* distinct borrowers in the file */
} cli_gen_stats;

/*
 * Writes a loans CSV for `o` to `out`: the header, then `o->count` rows, `\n` line
 * endings, UTF-8 without a BOM.  Nothing is written unless the options are valid.
 * `stats` may be NULL.  Allocates only working memory, freed before returning.
 * Returns ENG_OK; ENG_EUSAGE for bad options (count too large, rate not a number in
 * [0,1], start outside the policy's window, agency not a bank or guarantor party, a
 * policy without banks); ENG_ELIMIT when a policy that refuses nearly every loan makes the
 * borrower pool outgrow 2^32; ENG_ERROR when memory runs out or `out` fails.  `err` gets
 * the message.
 */
eng_status cli_gen_loans(FILE *out, cli_gen_stats *stats, const cli_gen_opts *o,
                         eng_error *err);

/*
 * Runs `gen loans --count N --seed S --policy FILE [--invalid-rate R] [--start DATE]
 * [--agency A]`; argv holds the words after `gen`.  Writes the CSV to stdout.
 * Returns the process exit code: 0, 2 for bad arguments, 65 for a bad policy file.
 */
int cli_cmd_gen(int argc, char **argv);

#endif
