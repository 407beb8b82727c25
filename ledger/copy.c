/* copy.c -- bulk loading with COPY ... FROM STDIN in text format. */
#include "copy.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"

/* Reads the results left after a COPY until libpq has none; returns the first failed one. */
static eng_status copy__drain(led_db *db, eng_error *err, const char *what)
{
    eng_status rc = ENG_OK;
    PGresult *res;

    while ((res = PQgetResult(db->conn)) != NULL) {
        ExecStatusType status = PQresultStatus(res);
        if (rc == ENG_OK && status != PGRES_COMMAND_OK) {
            rc = led__fail(err, db, res, what);
        }
        if (status == PGRES_COPY_IN) {
            /* Still copying (cannot be after PQputCopyEnd): end it rather than spin. */
            PQputCopyEnd(db->conn, "abandoned");
        }
        PQclear(res);
    }
    return rc;
}

/* The COPY could not take data: the server ended it (its error) or the connection is gone. */
static eng_status copy__lost(led_db *db, eng_error *err)
{
    eng_status rc;

    db->copy_open = 0;
    db->copy_len = 0;
    if (PQstatus(db->conn) != CONNECTION_OK) {
        return led__fail(err, db, NULL, "copy failed");    /* ENG_EDB */
    }
    rc = copy__drain(db, err, "copy failed");
    if (rc == ENG_OK) {
        rc = led__fail(err, db, NULL, "copy failed");
    }
    return rc;
}

eng_status led_copy_begin(led_db *db, const char *sql, eng_error *err)
{
    PGresult *res;
    eng_status rc;

    assert(db != NULL && db->conn != NULL && sql != NULL);
    assert(!db->copy_open);
    if (db->copy_buf == NULL) {
        db->copy_buf = malloc(LED_COPY_CHUNK);
        if (db->copy_buf == NULL) {
            return eng_error_set(err, ENG_ERROR, "out of memory");
        }
    }
    res = PQexec(db->conn, sql);
    if (res != NULL && (PQresultStatus(res) == PGRES_COMMAND_OK
                        || PQresultStatus(res) == PGRES_TUPLES_OK)) {
        PQclear(res);       /* a caller's mistake: the statement ran, but copies nothing */
        return eng_error_set(err, ENG_ERROR, "copy failed: not a COPY ... FROM STDIN: %.80s",
                             sql);
    }
    if (res == NULL || PQresultStatus(res) != PGRES_COPY_IN) {
        rc = led__fail(err, db, res, "copy failed");
        PQclear(res);
        copy__drain(db, NULL, "copy failed");
        return rc;
    }
    PQclear(res);
    db->copy_len = 0;
    db->copy_open = 1;
    return ENG_OK;
}

/* Sends the buffered bytes. */
static eng_status copy__flush(led_db *db, eng_error *err)
{
    assert(db->copy_open);
    assert(db->copy_len <= LED_COPY_CHUNK);
    if (db->copy_len == 0) {
        return ENG_OK;
    }
    if (PQputCopyData(db->conn, db->copy_buf, (int)db->copy_len) != 1) {
        return copy__lost(db, err);
    }
    db->copy_len = 0;
    return ENG_OK;
}

eng_status led_copy_put(led_db *db, const char *data, size_t len, eng_error *err)
{
    eng_status rc;

    assert(db != NULL && db->copy_open);
    assert(data != NULL || len == 0);
    while (len > 0) {
        size_t room = LED_COPY_CHUNK - db->copy_len;
        size_t take = len < room ? len : room;
        memcpy(db->copy_buf + db->copy_len, data, take);
        db->copy_len += take;
        data += take;
        len -= take;
        if (db->copy_len == LED_COPY_CHUNK) {
            rc = copy__flush(db, err);
            if (rc < 0) {
                return rc;
            }
        }
    }
    return ENG_OK;
}

eng_status led_copy_end(led_db *db, eng_error *err)
{
    eng_status rc;

    assert(db != NULL && db->copy_open);
    rc = copy__flush(db, err);
    if (rc < 0) {
        return rc;
    }
    db->copy_open = 0;
    if (PQputCopyEnd(db->conn, NULL) != 1) {
        return copy__lost(db, err);
    }
    rc = copy__drain(db, err, "copy failed");
    if (rc == ENG_OK && PQstatus(db->conn) != CONNECTION_OK) {
        rc = led__fail(err, db, NULL, "copy failed");      /* ENG_EDB */
    }
    return rc;
}

void led_copy_abort(led_db *db, const char *reason)
{
    if (db == NULL || !db->copy_open) {
        return;
    }
    db->copy_open = 0;
    db->copy_len = 0;
    if (PQputCopyEnd(db->conn, reason != NULL ? reason : "aborted") == 1) {
        copy__drain(db, NULL, "copy aborted");
    }
}

size_t led_copy_escape(char *out, size_t size, const char *text)
{
    size_t n = 0;

    assert(out != NULL || size == 0);
    if (text == NULL) {
        if (size > 0) {
            snprintf(out, size, "\\N");
        }
        return 2;
    }
    for (const char *c = text; *c != '\0'; c++) {
        char esc = *c == '\\' ? '\\' : *c == '\t' ? 't' : *c == '\n' ? 'n' : *c == '\r' ? 'r' : 0;
        if (esc != 0) {
            if (n + 1 < size) {
                out[n] = '\\';
            }
            n++;
        }
        if (n + 1 < size) {
            out[n] = esc != 0 ? esc : *c;
        }
        n++;
    }
    if (size > 0) {
        out[n < size ? n : size - 1] = '\0';
    }
    return n;
}

void led_copy_row_init(led_copy_row *row, char *buf, size_t cap)
{
    assert(row != NULL && buf != NULL);
    assert(cap >= 2);
    row->buf = buf;
    row->cap = cap;
    row->len = 0;
    row->fields = 0;
    row->overflow = 0;
}

/* Appends a tab unless the field is the row's first; 0 when there is no room. */
static int copy__sep(led_copy_row *row)
{
    if (row->fields++ == 0) {
        return 1;
    }
    if (row->len + 1 >= row->cap) {
        row->overflow = 1;
        return 0;
    }
    row->buf[row->len++] = '\t';
    return 1;
}

/* Appends `len` bytes that need no escaping (digits, signs, dates). */
static void copy__plain(led_copy_row *row, const char *text, size_t len)
{
    if (!copy__sep(row)) {
        return;
    }
    /* Keep one byte for the newline of led_copy_row_put. */
    if (row->len + len + 1 > row->cap) {
        row->overflow = 1;
        return;
    }
    memcpy(row->buf + row->len, text, len);
    row->len += len;
}

void led_copy_row_text(led_copy_row *row, const char *text)
{
    size_t room, n;

    assert(row != NULL);
    if (!copy__sep(row)) {
        return;
    }
    room = row->cap - row->len;                 /* >= 1: copy__sep kept it */
    n = led_copy_escape(row->buf + row->len, room, text);
    if (n >= room) {                            /* cut short, or no room for the newline */
        row->overflow = 1;
        return;
    }
    row->len += n;
}

void led_copy_row_long(led_copy_row *row, long value)
{
    char text[24];

    copy__plain(row, text, led__long_text(text, value));
}

void led_copy_row_fen(led_copy_row *row, eng_fen amount)
{
    char text[ENG_FEN_TEXT];

    copy__plain(row, text, led__fen_text(text, amount));
}

void led_copy_row_date(led_copy_row *row, eng_date date)
{
    char text[10];

    copy__plain(row, text, led__date_text(text, date));
}

eng_status led_copy_row_put(led_db *db, led_copy_row *row, eng_error *err)
{
    assert(row != NULL && row->len < row->cap);
    if (row->overflow) {
        return eng_error_set(err, ENG_ELIMIT, "a copy row is longer than its %zu-byte buffer",
                             row->cap);
    }
    row->buf[row->len++] = '\n';
    return led_copy_put(db, row->buf, row->len, err);
}
