/*
 * copy.h -- bulk loading with COPY ... FROM STDIN in text format.
 *
 * The fast way into PostgreSQL: rows go as tab-separated text, buffered on the
 * client and sent in LED_COPY_CHUNK pieces, with no round trip per row.  One COPY
 * at a time per connection; while it is open the connection runs nothing else.
 * The server checks every row (types, domains, constraints, the statement
 * triggers of ledger/migrations) and reports a bad one when the COPY ends.
 *
 *     led_copy_row row;
 *     char line[512];
 *     rc = led_copy_begin(db, "COPY t (a, b) FROM STDIN", err);
 *     for each row:
 *         led_copy_row_init(&row, line, sizeof(line));
 *         led_copy_row_text(&row, name);
 *         led_copy_row_long(&row, n);
 *         rc = led_copy_row_put(db, &row, err);      (or led_copy_put for raw text)
 *     rc = led_copy_end(db, err);                    (led_copy_abort on the way out)
 */
#ifndef LED_COPY_H
#define LED_COPY_H

#include <stddef.h>

#include "date.h"
#include "error.h"
#include "money.h"
#include "pg.h"

/*
 * Bytes buffered on the client before one PQputCopyData call.  Small enough that
 * the client and the server work at once: a piece much larger than the socket's
 * buffer (about 200 KiB) leaves the client blocked while the server reads it and
 * the server idle while the client fills the next one -- with 1 MiB pieces a
 * million-loan submit took a third longer.
 */
#define LED_COPY_CHUNK (64 * 1024)

#if LED_COPY_CHUNK < 65536 || LED_COPY_CHUNK > 64 * 1024 * 1024
#error "LED_COPY_CHUNK must be large enough to amortise a call and small enough to hold"
#endif

/*
 * Starts `sql`, a `COPY table (columns) FROM STDIN` in text format (the default),
 * in the connection's current transaction.  The LED_COPY_CHUNK buffer is allocated once
 * per connection and freed by led_close().  Returns ENG_OK, or the status of the
 * server's refusal (ENG_EDB when the connection is lost, ENG_ERETRY for a lock
 * timeout or deadlock, ENG_ERROR otherwise), with no COPY left open.
 */
eng_status led_copy_begin(led_db *db, const char *sql, eng_error *err);

/*
 * Appends `len` bytes of COPY text (whole or partial rows, fields already
 * escaped) to the open COPY, sending the buffer when full.  Returns ENG_OK, or
 * ENG_EDB when the connection is lost (the COPY is then closed).  A row the server
 * refuses is reported by led_copy_end(), not here.
 */
eng_status led_copy_put(led_db *db, const char *data, size_t len, eng_error *err);

/*
 * Sends what is buffered and ends the COPY.  Returns ENG_OK when the server took
 * every row, else its refusal as led_exec_params() does (the transaction is then
 * aborted).  The COPY is closed either way.
 */
eng_status led_copy_end(led_db *db, eng_error *err);

/*
 * Ends the open COPY with an error (`reason` goes to the server log), so nothing
 * of it is stored and the transaction is aborted.  Does nothing when no COPY is
 * open.  Allocates nothing.
 */
void led_copy_abort(led_db *db, const char *reason);

/*
 * Writes `text` escaped as one COPY text-format field into `out` (`size` bytes,
 * always NUL-terminated when size > 0): backslash, tab, newline and carriage
 * return become `\\`, `\t`, `\n` and `\r`; NULL becomes `\N` (SQL NULL).  Returns
 * the length of the whole escaped text, like snprintf: a result >= size means it
 * was cut short.
 */
size_t led_copy_escape(char *out, size_t size, const char *text);

/* One row being built in a caller's fixed buffer; a row that does not fit is refused. */
typedef struct {
    char *buf;
    size_t cap;
    size_t len;
    size_t fields;          /* fields so far: the next one is preceded by a tab */
    int overflow;           /* the row did not fit in `cap` bytes */
} led_copy_row;

/* Starts an empty row in `buf` (`cap` bytes, the caller's). */
void led_copy_row_init(led_copy_row *row, char *buf, size_t cap);

/* Appends a field: text escaped (NULL for SQL NULL), a number, fen as 0.00, a date. */
void led_copy_row_text(led_copy_row *row, const char *text);
void led_copy_row_long(led_copy_row *row, long value);
void led_copy_row_fen(led_copy_row *row, eng_fen amount);
void led_copy_row_date(led_copy_row *row, eng_date date);

/*
 * Ends the row with a newline and appends it to the open COPY.  Returns ENG_OK,
 * ENG_ELIMIT when the row did not fit its buffer (nothing is sent), or the status
 * of led_copy_put().
 */
eng_status led_copy_row_put(led_db *db, led_copy_row *row, eng_error *err);

#endif
