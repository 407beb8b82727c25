/*
 * audit_store.h -- what the `audit balances`, `audit loan` and `audit exposure`
 * commands read from the ledger (DESIGN 7, 8; docs/auditor-guide.md).
 *
 * Every read is one SQL statement with parameters; nothing here writes.  Results
 * come back as led_rows: the text of each value exactly as the database prints it
 * (amounts as numeric text with two decimals, never through a double), NULL for SQL
 * NULL.  Callers that want one consistent view of several reads open a read-only
 * snapshot first (led_read_begin, batch_store.h).
 */
#ifndef LED_AUDIT_STORE_H
#define LED_AUDIT_STORE_H

#include <stddef.h>

#include "error.h"
#include "pg.h"

/* Rows of text read from the ledger; freed with led_rows_free(). */
typedef struct led_rows led_rows;

/* The number of rows and of columns. */
size_t led_rows_count(const led_rows *rows);
size_t led_rows_width(const led_rows *rows);

/* The name of column `col` (< width). */
const char *led_rows_name(const led_rows *rows, size_t col);

/*
 * The value at `row`, `col` as text, or NULL for SQL NULL.  Borrowed: valid until
 * led_rows_free().  Row and column must be in range (asserted).
 */
const char *led_rows_get(const led_rows *rows, size_t row, size_t col);

/* Frees `rows`; NULL is allowed. */
void led_rows_free(led_rows *rows);

/*
 * ENG_OK when `program` has a policy loaded (a row in `programs`); else
 * ENG_EINVALID with the message `unknown program "P": no policy loaded`.
 */
eng_status led_audit_program_known(led_db *db, const char *program, eng_error *err);

/* Filters of `audit balances`; NULL means "no filter". */
typedef struct {
    const char *program;  /* one program; NULL: every program, summed per account */
    const char *as_of;    /* YYYY-MM-DD: entries with business_date <= as_of only */
    const char *party;    /* one party's accounts only */
} led_audit_balance_opts;

#define LED_AUDIT_BALANCE_OPTS_INIT {NULL, NULL, NULL}

/*
 * Every account's debit, credit and balance (debit - credit), columns
 * `account,debit,credit,balance`, rows by account name bytewise, amounts with two
 * decimals.  One aggregate query over postings (joined to entries only for
 * `as_of`, in the form the planner's estimates favour; that path also sets the
 * session's work_mem to 64 MB so the join's hash stays in memory).  On success `*out` holds the rows, which the caller frees with
 * led_rows_free(); on failure `*out` is untouched.  Returns the status of a failed
 * query (ENG_EDB for a lost connection).
 */
eng_status led_audit_balances(led_rows **out, led_db *db, const led_audit_balance_opts *opts,
                              eng_error *err);

/*
 * The whole recorded trail of one loan, each section ordered as documented at
 * led_audit_loan().  Every member is owned by the trail: free with
 * led_audit_trail_free().
 */
typedef struct {
    led_rows *loan;         /* 0 or 1 row: the loan, its batch, its policy version, state */
    led_rows *events;       /* by event_no */
    led_rows *dflt;         /* 0 or 1 row: the default (defaults) */
    led_rows *parts;        /* default_parts by position */
    led_rows *claims;       /* by claim_id, with paid and open */
    led_rows *payments;     /* settlement payments by settlement_id, claim_id */
    led_rows *legs;         /* one row per posting of the loan's entries, by seq, leg */
} led_audit_trail;

/*
 * Reads the trail of `loan_id` in `program` into `*out` (zeroed first).  When the
 * loan is not recorded, `out->loan` has no row and the other sections are NULL.
 * On failure everything read so far is freed and `*out` is zeroed.  Run it inside
 * a snapshot (led_read_begin) so that the sections agree.
 */
eng_status led_audit_loan(led_audit_trail *out, led_db *db, const char *program,
                          const char *loan_id, eng_error *err);

/* Frees every section of `t` and zeroes it. */
void led_audit_trail_free(led_audit_trail *t);

/* The database's current date (YYYY-MM-DD, 10 bytes and a NUL) into `out`. */
eng_status led_audit_today(char out[11], led_db *db, eng_error *err);

/*
 * The principal of `program` outstanding on `as_of`, grouped by the loans' recorded
 * shares: columns `shares` (the loans' JSON text), `outstanding` (sum, two
 * decimals), `loans` (count).  A loan counts when it started on or before `as_of`
 * and had not defaulted on or before it; its outstanding is its principal less the
 * repayments dated on or before `as_of` (DESIGN 10).  Groups whose sum is 0 are
 * left out.  The caller frees `*out`.
 */
eng_status led_audit_outstanding(led_rows **out, led_db *db, const char *program,
                                 const char *as_of, eng_error *err);

/*
 * The cash of each party among `parties[0..n)` in `program` from the postings of
 * entries dated on or before `as_of`: columns `party`, `cash` (debit - credit,
 * two decimals), one row per party that has any cash posting.  The caller frees
 * `*out`.
 */
eng_status led_audit_cash(led_rows **out, led_db *db, const char *program, const char *as_of,
                          const char *const *parties, size_t n, eng_error *err);

#endif
