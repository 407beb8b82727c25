/*
 * cmd_gen.h -- `riskshare gen loans|events`: deterministic synthetic loan batches and loan
 * events (DESIGN 5, 8).
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
#include "loans_csv.h"
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
 * Events for the loans of a loans file (`gen events`).  Every loan taken gets its events
 * from a stream of its own (seeded from `seed` and its row), and the loans that default,
 * repay and recover are chosen by selection sampling from three more streams, so the counts
 * are exact: round(rate x loans), half up.  A loan can take events when its window, from
 * max(start_date + 1, from) to min(to, maturity), holds at least three days.
 */
typedef struct {
    uint64_t seed;              /* any value; event ids are `S<seed>-E<8 digits>` */
    const cli_loan_file *loans; /* borrowed: the loans, in file order */
    const uint8_t *take;        /* borrowed: take[i] != 0 for the rows that may take events
                                   (the admitted loans), or NULL: every row */
    const char *default_rate;   /* exact number text in [0,1], of the loans that can take
                                   events; NULL: CLI_GEN_DEFAULT_RATE */
    const char *repay_rate;     /* likewise, loans with repayments; NULL: CLI_GEN_REPAY_RATE */
    const char *recovery_rate;  /* of the defaulted loans; NULL: CLI_GEN_RECOVERY_RATE */
    eng_fen funding;            /* > 0: a funding row of this amount comes first; 0: none */
    const char *pool;           /* the pool funded, [a-z0-9-]{1,64}; needed with funding */
    int has_from, has_to;       /* 0: the earliest start date, the latest maturity */
    eng_date from, to;          /* no event is dated before `from` or after `to` */
} cli_gen_events_opts;

#define CLI_GEN_EVENTS_OPTS_INIT {0, NULL, NULL, NULL, NULL, NULL, 0, NULL, 0, 0, 0, 0}
#define CLI_GEN_DEFAULT_RATE "5%"
#define CLI_GEN_REPAY_RATE "30%"
#define CLI_GEN_RECOVERY_RATE "40%"

/* What one `gen events` run wrote. */
typedef struct {
    uint64_t loans;        /* rows taken (all, or the admitted ones) */
    uint64_t eligible;     /* of those, loans with room for events in the window */
    uint64_t repaid_loans; /* loans with at least one repayment */
    uint64_t closed;       /* loans repaid in full */
    uint64_t repayments;
    uint64_t defaults;
    uint64_t recovered;    /* defaulted loans with at least one recovery */
    uint64_t recoveries;
    uint64_t rows;         /* data rows written, the funding row included */
} cli_gen_events_stats;

/*
 * Writes an events CSV for `o` to `out`: the header
 * `event_id,kind,date,loan_id,party,amount,interest,cost`, a funding row dated `from` when
 * `o->funding` > 0, then every loan's events, sorted by date, then loan (file order), then
 * the loan's own order; ids are numbered in that order, so the rows are also sorted by
 * (date, event_id) and `events import` applies them as they happened.  Per loan:
 * repayments (up to three; partial ones take at most 40% of the outstanding; interest is
 * the accrued actual/365 interest since the last payment, half up), a default (after every
 * repayment; its interest is the unpaid accrued interest), and for a defaulted loan up to
 * two recoveries (gross amounts summing to at most half the principal outstanding at the
 * default, each with a cost of at most 20% of its gross).  `stats` may be NULL.
 * Allocates only working memory, freed before returning.  Returns ENG_OK; ENG_EUSAGE for
 * bad options (a rate not in [0,1], funding without a pool, from after to, no date to
 * fund on); ENG_ERROR when memory runs out or `out` fails.  `err` gets the message.
 */
eng_status cli_gen_events(FILE *out, cli_gen_events_stats *stats, const cli_gen_events_opts *o,
                          eng_error *err);

/*
 * Runs `gen loans --count N --seed S --policy FILE [--invalid-rate R] [--start DATE]
 * [--agency A]` or `gen events --loans FILE --seed S [--admitted REPORT] [--default-rate R]
 * [--repay-rate R] [--recovery-rate R] [--funding AMOUNT --pool POOL] [--from DATE]
 * [--to DATE]`; argv holds the words after `gen`.  Writes the CSV to stdout.  Returns the
 * process exit code: 0, 2 for bad arguments, 65 for a bad policy, loans or report file.
 */
int cli_cmd_gen(int argc, char **argv);

#endif
