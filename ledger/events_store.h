/*
 * events_store.h -- what `events import` reads from the ledger (DESIGN 6, 7, 10):
 * events already recorded (idempotency), the loans an import names with their
 * repayments and default, and the running totals caps and breakers need.
 * Writing goes through ledger/copy.h and ledger/journal.h in the caller's
 * transaction.
 */
#ifndef LED_EVENTS_STORE_H
#define LED_EVENTS_STORE_H

#include <stddef.h>

#include "error.h"
#include "lifecycle.h"
#include "pg.h"

/* A recorded event, as text from the ledger (NULL for SQL NULL). */
typedef struct {
    const char *event_id, *kind, *date, *loan_id, *party;
    const char *amount, *interest, *cost;
    const char *outcome;  /* JSON: the report rows recorded with it */
} led_event_row;

/*
 * Calls `fn(ctx, index, row)` for each of `ids[0..n)` already recorded in
 * `program`, in index order.
 */
eng_status led_events_recorded(led_db *db, const char *program, const char *const *ids, size_t n,
                               void (*fn)(void *ctx, size_t index, const led_event_row *row),
                               void *ctx, eng_error *err);

/* A recorded loan with what its events need, as text (NULL for SQL NULL). */
typedef struct {
    size_t index;             /* of the first id that named it */
    const char *loan_id, *agency, *terms_rule, *shares, *bank, *guarantor;
    const char *principal, *annual_rate, *start_date, *borrower_code;
    long version;
    const char *repayments;   /* "YYYY-MM-DD:amount,..." in recording order, or NULL */
    const char *interest_paid;
    const char *default_date; /* NULL: not defaulted */
    const char *loss_base;
    const char *parts;        /* "position:amount,..." of the default, or NULL */
    const char *recovered;    /* cumulative net recovery */
} led_life_loan_row;

/* Calls `fn` for each recorded loan among `ids[0..n)` (repeats allowed). */
eng_status led_life_loans(led_db *db, const char *program, const char *const *ids, size_t n,
                          void (*fn)(void *ctx, const led_life_loan_row *row), void *ctx,
                          eng_error *err);

/*
 * Loads the running totals of `st` (whose `years` are set): cap totals, default
 * rates (cumulative and for the years), the banks' outstanding principal on 31
 * December of each year, and the principal admitted so far.
 */
eng_status led_life_state_load(eng_life_state *st, led_db *db, const char *program,
                               eng_error *err);

/* The program's last event number, from its locked head. */
eng_status led_events_head(long *last_event_no, led_db *db, const char *program, eng_error *err);

#endif
