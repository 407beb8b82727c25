/*
 * batch_store.h -- what `batch check` and `batch submit` read from and write to
 * the ledger (DESIGN 6, 7): the state admission needs, recorded batches and
 * their reports, loans already recorded.
 */
#ifndef LED_BATCH_STORE_H
#define LED_BATCH_STORE_H

#include <stddef.h>

#include "admission.h"
#include "error.h"
#include "pg.h"

/*
 * Finds the batch recorded in `program` by `agency` from a file whose bytes
 * have the SHA-256 `sha256_hex`.  Sets `*out_batch_id` to its id, or 0.
 */
eng_status led_batch_find(long *out_batch_id, led_db *db, const char *program,
                          const char *agency, const char *sha256_hex, eng_error *err);

/*
 * Reports which of the loan ids `ids[0..n)` are already recorded in `program`:
 * calls `fn(ctx, index, batch_id)` for each, in index order.
 */
eng_status led_batch_recorded_ids(led_db *db, const char *program, const char *const *ids,
                                  size_t n, void (*fn)(void *ctx, size_t index, long batch_id),
                                  void *ctx, eng_error *err);

/* What of the state to load: the borrowers and start years of the file, and which parts. */
typedef struct {
    const char *const *borrowers; /* borrower codes of the file (repeats allowed) */
    size_t n_borrowers;
    const int *years;             /* start years of the file (repeats allowed) */
    size_t n_years;
    int breakers;                 /* some version has a stop_new_loans breaker */
    const char *const *pools;     /* capacity pools of the versions */
    size_t n_pools;
} led_state_query;

/*
 * Fills the tallies and program_outstanding of `st` (initialised, versions set)
 * from the ledger as recorded now: borrowers' outstanding principal, each
 * bank/guarantor/program scope's loss bases and admitted principal (cumulative
 * and per requested year), and each requested pool's cash.
 */
eng_status led_adm_state_load(eng_adm_state *st, led_db *db, const char *program,
                              const led_state_query *q, eng_error *err);

/*
 * Adds to `t` the default rates' sums of DESIGN 10 as recorded now: for the keys
 * "bank:ID", "guarantor:ID" and "program", a = loss bases of the scope's defaults,
 * b = principal admitted; for the same keys + "@YYYY" of each of `years`, a = loss
 * bases of defaults dated in the year, b = principal of loans outstanding at any
 * time in it.
 */
eng_status led_rates_load(eng_tally *t, led_db *db, const char *program, const int *years,
                          size_t n_years, eng_error *err);

/* Inserts the batch row and returns its id (assigned by the database). */
eng_status led_batch_insert(long *out_batch_id, led_db *db, const char *program,
                            const char *agency, const char *file_name, const char *sha256_hex,
                            eng_error *err);

/* One row of a recorded batch's report. */
typedef struct {
    const char *loan_id;
    int admitted;
    const char *reasons;  /* rejected: `;`-joined */
    const char *rule;     /* admitted */
    const char *guarantee_fee, *fee_subsidy; /* admitted: decimal text */
} led_batch_row;

/*
 * Calls `fn` for every loan of batch `batch_id` in file order (admitted ones
 * from `loans`, rejected ones from `batch_rejections`).
 */
eng_status led_batch_report(led_db *db, const char *program, long batch_id,
                            void (*fn)(void *ctx, const led_batch_row *row), void *ctx,
                            eng_error *err);

/* Opens a read-only snapshot (REPEATABLE READ) for `batch check`; led_read_end() closes it. */
eng_status led_read_begin(led_db *db, eng_error *err);
void led_read_end(led_db *db);

#endif
