/*
 * export_store.h -- reads a program's journal for `audit export` (DESIGN 7, 8):
 * every entry with its postings, in seq order, streamed.
 *
 * Two server-side cursors in one snapshot, one over the program's entries in seq
 * order and one over its postings in (seq, leg) order, each a plain scan of its
 * primary key, read in batches and merged here by seq.  The client holds one
 * batch of each and one entry at a time, so memory stays flat over millions of
 * postings.  Each cursor is one table in key order, which a cursor plans as the
 * index scan that yields rows at once, whatever the statistics; a join of the two
 * tables was planned, after a bulk load, as a hash join and an external sort of
 * every posting, several times slower.  An entry stored without postings still comes through (with no
 * legs), so the caller sees what is stored, not what ought to be.
 */
#ifndef LED_EXPORT_STORE_H
#define LED_EXPORT_STORE_H

#include <stddef.h>

#include "date.h"
#include "error.h"
#include "journal.h"
#include "limits.h"
#include "money.h"
#include "pg.h"

/* One stored entry with its legs, as the export reads it. */
typedef struct {
    long seq;
    long legs_declared;             /* entries.legs: the legs it says it has */
    const char *hash;               /* 64 lower-case hex digits, as stored */
    led_entry entry;                /* kind, version, rule ids, ids, date, and the legs
                                       found, in leg order (a missing leg is not there:
                                       compare n_legs with legs_declared); has_claim is 0,
                                       claims are not read */
} led_export_entry;

/*
 * Called once per entry, in seq order.  Every pointer in `e` is the reader's and
 * stays valid only during the call.  A status other than ENG_OK stops the reading
 * (the COPY is cancelled) and is returned by led_export_entries().
 */
typedef eng_status (*led_export_fn)(void *ctx, const led_export_entry *e, eng_error *err);

/*
 * Streams the entries of `program` whose business date is on or before `*through`
 * (NULL: every entry) to `fn`, in seq order, each with its postings in leg order.
 * Runs in the caller's transaction if one is open (led_read_begin, for a snapshot
 * consistent with other reads; the cursors are closed on success), else in a
 * read-only transaction of its own.  Allocates nothing that outlives
 * the call; memory does not grow with the number of entries.  Returns ENG_OK;
 * `fn`'s status when it stops the reading; ENG_ELIMIT for an entry with more than
 * LED_LEGS_MAX legs; ENG_EDB for a row that does not read back
 * (an amount, a date, an id beyond ENG_ID_MAX bytes) or a lost connection; or the
 * database's refusal as led_exec_params() reports it.
 */
eng_status led_export_entries(led_db *db, const char *program, const eng_date *through,
                              led_export_fn fn, void *ctx, eng_error *err);

#endif
