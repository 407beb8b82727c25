/*
 * pg_int.h -- what the ledger modules share about a connection; not for callers
 * outside ledger/.
 */
#ifndef LED_PG_INT_H
#define LED_PG_INT_H

#include <libpq-fe.h>

#include "money.h"
#include "pg.h"

struct led_db {
    PGconn *conn;
    char *copy_buf;     /* LED_COPY_CHUNK bytes once a COPY has begun, freed by led_close */
    size_t copy_len;    /* bytes of copy_buf not yet sent */
    int copy_open;      /* a COPY FROM STDIN is in progress (ledger/copy.h) */
    char shutdown_warning[256]; /* the server's "terminating connection" warning, or "" */
};

/*
 * Fills `err` from the failed result `res` (or from the connection when `res` is
 * NULL): message `what: <server message>`, SQLSTATE, detail and hint.  Returns the
 * status that fits: ENG_EDB for a lost or refused connection, ENG_ERETRY for a
 * serialisation failure, deadlock or lock timeout (the transaction may be retried),
 * ENG_EUNBALANCED for an entry that does not balance, ENG_ERROR otherwise.  Does not free `res`.
 */
eng_status led__fail(eng_error *err, const led_db *db, const PGresult *res, const char *what);

/*
 * Runs `sql`, a constant command with no parameters and no user data.  Frees the
 * result.  Returns ENG_OK or the status of led__fail().
 */
eng_status led__exec(led_db *db, const char *sql, eng_error *err);

/*
 * Runs `sql` with `n_params` text parameters (`params[i]` NULL for SQL NULL) and
 * text results.  On success `*out` is the result, which the caller frees with
 * PQclear(); on failure `*out` is untouched and the result already freed.
 */
eng_status led__query(PGresult **out, led_db *db, const char *sql, int n_params,
                      const char *const *params, eng_error *err);

/* Rolls back the open transaction, if any, ignoring errors. */
void led__rollback(led_db *db);

/*
 * Parses `text`, one or more decimal digits with an optional leading '-', into
 * `*out`.  Returns 0, or -1 (leaving `*out` untouched) for anything else or an
 * overflow.
 */
int led__parse_long(long *out, const char *text);

/*
 * Fast text of numbers for COPY rows and canonical content (no snprintf in the
 * per-row path): each writes its text without a NUL and returns its length.
 * led__long_text: decimal, `-` for negatives (at most 20 bytes).  led__fen_text:
 * fen as currency units with two decimals, the same text as eng_fen_format()
 * (at most ENG_FEN_TEXT - 1 bytes).  led__date_text: YYYY-MM-DD (10 bytes), with the
 * year clamped to 0..9999 as eng_date_format() does.
 */
size_t led__long_text(char out[24], long value);
size_t led__fen_text(char *out, long long fen);
size_t led__date_text(char out[10], int date);

/* A text[] literal `{"a","b"}` of ids made of [A-Za-z0-9._-]; NULL when out of memory. */
char *led__array_literal(const char *const *items, size_t n);

/* Parses an amount the ledger returned (whole fen); ENG_EDB when it is not one. */
eng_status led__fen_of(eng_fen *out, const char *text, eng_error *err);

#endif
