/* pg.c -- connecting to the ledger database, and libpq helpers for ledger/. */
#include "pg_int.h"

#include <assert.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "copy.h"
#include "date.h"
#include "local.h"
#include "migrate.h"

/* libpq variables that choose a server (DESIGN 8); the others only tune a session. */
static const char *const pg__server_vars[] = {
    "PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD",
    "PGPASSFILE", "PGSERVICE", "PGSERVICEFILE",
};

/* The oldest server whose SQL the migrations use (generated columns). */
#define PG__SERVER_VERSION_MIN 120000

static eng_status pg__strdup(char **out, const char *text, eng_error *err)
{
    char *copy = strdup(text);

    if (copy == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    *out = copy;
    return ENG_OK;
}

eng_status led_conninfo_resolve(char **out, const char *db_opt, eng_error *err)
{
    const char *env;
    eng_status rc;

    assert(out != NULL);
    if (db_opt != NULL) {
        return pg__strdup(out, db_opt, err);
    }
    env = getenv("RISKSHARE_DB");
    if (env != NULL && env[0] != '\0') {
        return pg__strdup(out, env, err);
    }
    for (size_t i = 0; i < sizeof(pg__server_vars) / sizeof(pg__server_vars[0]); i++) {
        env = getenv(pg__server_vars[i]);
        if (env != NULL && env[0] != '\0') {
            return pg__strdup(out, "", err);
        }
    }
    rc = led_local_start(NULL, err);
    if (rc < 0) {
        return rc;
    }
    return led_local_url(out, err);
}

/* Returns the index just past the value at `in[i]`: quoted ('...', \ escapes) or bare. */
static size_t pg__skip_value(const char *in, size_t i, int in_uri)
{
    if (in[i] == '\'') {
        for (i++; in[i] != '\0' && in[i] != '\''; i++) {
            if (in[i] == '\\' && in[i + 1] != '\0') {
                i++;
            }
        }
        return in[i] == '\'' ? i + 1 : i;
    }
    while (in[i] != '\0' && in[i] != ' ' && in[i] != '\t' && in[i] != '\n'
           && !(in_uri && in[i] == '&')) {
        i++;
    }
    return i;
}

/* Length of the `user:secret` part of a URI starting at `in` (after "://"), 0 if none. */
static size_t pg__uri_secret(const char *in, size_t *out_colon)
{
    size_t colon = 0;

    for (size_t i = 0; in[i] != '\0' && in[i] != '/' && in[i] != ' '; i++) {
        if (in[i] == ':' && colon == 0) {
            colon = i;
        } else if (in[i] == '@') {
            *out_colon = colon;
            return colon > 0 ? i : 0;
        }
    }
    return 0;
}

void led_mask_password(char *out, size_t size, const char *text)
{
    size_t i = 0, o = 0, colon = 0;
    int in_uri = strstr(text, "://") != NULL;

    assert(out != NULL && size > 0);
    while (text[i] != '\0' && o + 1 < size) {
        if (strncmp(text + i, "://", 3) == 0) {
            size_t end = pg__uri_secret(text + i + 3, &colon);
            if (end > 0) {
                size_t keep = 3 + colon + 1;
                for (size_t k = 0; k < keep && o + 1 < size; k++) {
                    out[o++] = text[i + k];
                }
                for (const char *m = "***"; *m != '\0' && o + 1 < size; m++) {
                    out[o++] = *m;
                }
                i += 3 + end;
                continue;
            }
        }
        if (strncasecmp(text + i, "password", 8) == 0) {
            size_t j = i + 8;
            while (text[j] == ' ' || text[j] == '\t') {
                j++;
            }
            if (text[j] == '=') {
                for (j++; text[j] == ' ' || text[j] == '\t'; j++) {
                }
                while (i < j && o + 1 < size) {
                    out[o++] = text[i++];
                }
                for (const char *m = "***"; *m != '\0' && o + 1 < size; m++) {
                    out[o++] = *m;
                }
                i = pg__skip_value(text, j, in_uri);
                continue;
            }
        }
        out[o++] = text[i++];
    }
    out[o] = '\0';
}

/* Secrets shorter than this are not scrubbed from messages: they would garble the text. */
#define PG__SCRUB_MIN 3

/* Replaces, in place, every occurrence of s[0..n) in `msg` by "***" (never longer). */
static void pg__scrub_span(char *msg, const char *s, size_t n)
{
    size_t r = 0, w = 0;

    if (n < PG__SCRUB_MIN) {
        return;
    }
    while (msg[r] != '\0') {
        if (strncmp(msg + r, s, n) == 0) {
            memcpy(msg + w, "***", 3);
            w += 3;
            r += n;
        } else {
            msg[w++] = msg[r++];
        }
    }
    msg[w] = '\0';
}

/*
 * Scrubs from `msg` every secret `conninfo` holds, as written there: libpq quotes
 * parts of a connection string it cannot parse in its messages ("invalid
 * percent-encoded token: \"s3cret%zz\""), where led_mask_password sees no
 * `password=` to mask.  The secrets: each `password=` value (bare, or quoted and
 * then also without its quotes), and in a URI everything between the first `:` and
 * the last `@` of the part after `://` (even past a `/`, which a password may hold
 * by mistake).
 */
static void pg__scrub_secrets(char *msg, const char *conninfo)
{
    int in_uri = strstr(conninfo, "://") != NULL;

    for (size_t i = 0; conninfo[i] != '\0'; i++) {
        if (strncmp(conninfo + i, "://", 3) == 0) {
            const char *auth = conninfo + i + 3;
            size_t end = strcspn(auth, "?"), colon = strcspn(auth, ":"), at = 0;
            for (size_t k = 0; k < end; k++) {
                at = auth[k] == '@' ? k : at;
            }
            if (at > colon + 1) {
                pg__scrub_span(msg, auth + colon + 1, at - colon - 1);
            }
        } else if (strncasecmp(conninfo + i, "password", 8) == 0) {
            size_t j = i + 8;
            while (conninfo[j] == ' ' || conninfo[j] == '\t') {
                j++;
            }
            if (conninfo[j] != '=') {
                continue;
            }
            for (j++; conninfo[j] == ' ' || conninfo[j] == '\t'; j++) {
            }
            size_t end = pg__skip_value(conninfo, j, in_uri);
            if (conninfo[j] == '\'' && end > j + 1) {
                pg__scrub_span(msg, conninfo + j + 1, end - j - 1 - (conninfo[end - 1] == '\''));
            }
            pg__scrub_span(msg, conninfo + j, end - j);
        }
    }
}

/*
 * Shows the server's warnings on stderr; notices (IF NOT EXISTS and the like) are noise.
 * A warning of class 57P (an immediate shutdown or a crash of another server process) comes
 * just before the server closes the connection: it is kept in `arg` (the led_db) for the
 * error of the call that fails, so that the user reads one line, not two.
 */
static void pg__notice(void *arg, const PGresult *res)
{
    const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    const char *message = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    led_db *db = arg;

    if (severity == NULL || message == NULL || strcmp(severity, "WARNING") != 0) {
        return;
    }
    if (db != NULL && state != NULL && strncmp(state, "57P", 3) == 0) {
        snprintf(db->shutdown_warning, sizeof(db->shutdown_warning), "%s", message);
        return;
    }
    fprintf(stderr, "riskshare: database warning: %s\n", message);
}

/* Fills `err` for a connection that did not open. */
static eng_status pg__unavailable(eng_error *err, PGconn *conn, const char *conninfo)
{
    char first[512];
    char masked[512];
    const char *msg = conn != NULL ? PQerrorMessage(conn) : "out of memory";
    size_t n = strcspn(msg, "\n");

    snprintf(first, sizeof(first), "%.*s", (int)(n < sizeof(first) ? n : sizeof(first) - 1),
             msg);
    pg__scrub_secrets(first, conninfo);
    led_mask_password(masked, sizeof(masked), first);
    eng_error_set(err, ENG_EDB, "database unavailable: %s", masked);
    if (err != NULL) {
        led_mask_password(masked, sizeof(masked), conninfo);
        pg__scrub_secrets(masked, conninfo);
        if (conninfo[0] != '\0') {
            /* 200: sizeof(detail) less the sentence around it. */
            snprintf(err->detail, sizeof(err->detail), "The connection string was: %.200s.",
                     masked);
        } else {
            snprintf(err->detail, sizeof(err->detail),
                     "libpq's defaults and PG* environment variables were used.");
        }
        snprintf(err->hint, sizeof(err->hint),
                 "Start the local database with `riskshare db start`, or choose a server "
                 "with --db or RISKSHARE_DB.");
    }
    return ENG_EDB;
}

/* Checks what every connection must be: new enough, and speaking UTF-8. */
static eng_status pg__check_session(led_db *db, eng_error *err)
{
    int version = PQserverVersion(db->conn);
    const char *encoding = pg_encoding_to_char(PQclientEncoding(db->conn));

    if (version < PG__SERVER_VERSION_MIN) {
        return eng_error_set(err, ENG_EDB,
                             "database server version %d is too old: riskshare needs "
                             "PostgreSQL 12 or later", version);
    }
    if (strcmp(encoding, "UTF8") != 0) {
        return eng_error_set(err, ENG_EDB, "database connection speaks %s, not UTF8",
                             encoding);
    }
    return ENG_OK;
}

eng_status led_connect(led_db **out, const char *conninfo, eng_error *err)
{
    /* expand_dbname: `conninfo` may be a full string; later keys override it. */
    const char *const keys[] = {"dbname", "fallback_application_name", "client_encoding",
                                NULL};
    const char *const values[] = {conninfo, "riskshare", "UTF8", NULL};
    led_db *db;
    eng_status rc;

    assert(out != NULL);
    assert(conninfo != NULL);
    db = calloc(1, sizeof(*db));
    if (db == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    db->conn = PQconnectdbParams(keys, values, 1);
    if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
        rc = pg__unavailable(err, db->conn, conninfo);
        goto cleanup;
    }
    PQsetNoticeReceiver(db->conn, pg__notice, db);
    rc = pg__check_session(db, err);
    if (rc < 0) {
        goto cleanup;
    }
    rc = led_migrate(db, err);
    if (rc < 0) {
        goto cleanup;
    }
    *out = db;
    db = NULL;
cleanup:
    led_close(db);
    return rc;
}

void led_close(led_db *db)
{
    if (db == NULL) {
        return;
    }
    if (db->conn != NULL) {
        PQfinish(db->conn);
    }
    free(db->copy_buf);
    free(db);
}

/* Maps a SQLSTATE (and constraint) to the status a caller acts on. */
static eng_status pg__status_of(const char *state, const char *constraint)
{
    if (state == NULL) {
        return ENG_EDB;
    }
    if (strncmp(state, "08", 2) == 0 || strncmp(state, "53", 2) == 0
        || strncmp(state, "57P", 3) == 0) {
        return ENG_EDB;
    }
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0
        || strcmp(state, "55P03") == 0) {
        return ENG_ERETRY;
    }
    if (strcmp(state, "23514") == 0 && constraint != NULL
        && strncmp(constraint, "entry_balances", 14) == 0) {
        return ENG_EUNBALANCED;
    }
    return ENG_ERROR;
}

eng_status led__fail(eng_error *err, const led_db *db, const PGresult *res, const char *what)
{
    const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *constraint = res != NULL ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME)
                                         : NULL;
    const char *detail = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
    const char *hint = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;
    eng_status code = pg__status_of(state, constraint);
    char text[512];

    if (primary == NULL) {
        /* libpq's own text of a server's last words keeps their "FATAL:  " prefix. */
        const char *msg = PQerrorMessage(db->conn);
        static const char *const prefixes[] = {"FATAL:  ", "PANIC:  ", "ERROR:  "};
        for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
            size_t len = strlen(prefixes[i]);
            msg += strncmp(msg, prefixes[i], len) == 0 ? len : 0;
        }
        size_t n = strcspn(msg, "\n");
        snprintf(text, sizeof(text), "%.*s", (int)(n < sizeof(text) ? n : sizeof(text) - 1), msg);
        if (db->shutdown_warning[0] != '\0' && text[0] != '\0') {
            size_t used = strlen(text);
            snprintf(text + used, sizeof(text) - used, " (%s)", db->shutdown_warning);
        }
        primary = text[0] != '\0' ? text : "no result from the server";
        code = PQstatus(db->conn) == CONNECTION_OK && res != NULL ? code : ENG_EDB;
    }
    eng_error_set(err, code, "%s: %s", what, primary);
    if (err != NULL) {
        snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", state != NULL ? state : "");
        snprintf(err->detail, sizeof(err->detail), "%s", detail != NULL ? detail : "");
        snprintf(err->hint, sizeof(err->hint), "%s", hint != NULL ? hint : "");
    }
    return code;
}

static int pg__result_ok(const PGresult *res)
{
    ExecStatusType status = PQresultStatus(res);

    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

eng_status led__exec(led_db *db, const char *sql, eng_error *err)
{
    PGresult *res;
    eng_status rc = ENG_OK;

    assert(db != NULL && db->conn != NULL);
    assert(sql != NULL);
    res = PQexec(db->conn, sql);
    if (res == NULL || !pg__result_ok(res)) {
        rc = led__fail(err, db, res, "database command failed");
    }
    PQclear(res);
    return rc;
}

eng_status led__query(PGresult **out, led_db *db, const char *sql, int n_params,
                      const char *const *params, eng_error *err)
{
    PGresult *res;
    eng_status rc;

    assert(out != NULL && db != NULL && db->conn != NULL);
    assert(n_params >= 0 && (n_params == 0 || params != NULL));
    res = PQexecParams(db->conn, sql, n_params, NULL, params, NULL, NULL, 0);
    if (res == NULL || !pg__result_ok(res)) {
        rc = led__fail(err, db, res, "database query failed");
        PQclear(res);
        return rc;
    }
    *out = res;
    return ENG_OK;
}

void led__rollback(led_db *db)
{
    if (db == NULL || db->conn == NULL) {
        return;
    }
    if (db->copy_open) {
        led_copy_abort(db, "rolled back");
    }
    if (PQtransactionStatus(db->conn) != PQTRANS_IDLE
        && PQtransactionStatus(db->conn) != PQTRANS_UNKNOWN) {
        PQclear(PQexec(db->conn, "ROLLBACK"));
    }
}

int led__parse_long(long *out, const char *text)
{
    long value = 0;
    int negative = text[0] == '-';
    const char *p = text + negative;

    if (*p == '\0') {
        return -1;
    }
    for (; *p != '\0'; p++) {
        if (*p < '0' || *p > '9') {
            return -1;
        }
        if (value > (LONG_MAX - (*p - '0')) / 10) {
            return -1;
        }
        value = value * 10 + (*p - '0');
    }
    *out = negative ? -value : value;
    return 0;
}

eng_status led_exec_params(led_db *db, const char *sql, int n_params, const char *const *params,
                           eng_error *err)
{
    PGresult *res = NULL;
    eng_status rc;

    assert(db != NULL && sql != NULL);
    assert(!db->copy_open);
    rc = led__query(&res, db, sql, n_params, params, err);
    PQclear(res);
    return rc;
}

eng_status led_query_value(char **out, led_db *db, const char *sql, int n_params,
                           const char *const *params, eng_error *err)
{
    PGresult *res = NULL;
    char *value = NULL;
    eng_status rc;

    assert(out != NULL && db != NULL && sql != NULL);
    assert(!db->copy_open);
    rc = led__query(&res, db, sql, n_params, params, err);
    if (rc < 0) {
        return rc;
    }
    if (PQntuples(res) > 0 && PQnfields(res) > 0 && !PQgetisnull(res, 0, 0)) {
        value = strdup(PQgetvalue(res, 0, 0));
        if (value == NULL) {
            PQclear(res);
            return eng_error_set(err, ENG_ERROR, "out of memory");
        }
    }
    PQclear(res);
    *out = value;
    return ENG_OK;
}

/* Writes the decimal digits of `v` and returns their number. */
static size_t pg__digits(char *out, unsigned long long v)
{
    char tmp[24];
    size_t n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    for (size_t i = 0; i < n; i++) {
        out[i] = tmp[n - 1 - i];
    }
    return n;
}

size_t led__long_text(char out[24], long value)
{
    unsigned long long mag;

    if (value >= 0) {
        return pg__digits(out, (unsigned long long)value);
    }
    mag = (unsigned long long)(-(value + 1)) + 1;   /* no overflow at LONG_MIN */
    out[0] = '-';
    return 1 + pg__digits(out + 1, mag);
}

size_t led__fen_text(char *out, long long fen)
{
    unsigned long long mag = fen < 0 ? (unsigned long long)(-(fen + 1)) + 1
                                     : (unsigned long long)fen;
    size_t n = 0;

    if (fen < 0) {
        out[n++] = '-';
    }
    n += pg__digits(out + n, mag / 100);
    out[n++] = '.';
    out[n++] = (char)('0' + mag % 100 / 10);
    out[n++] = (char)('0' + mag % 10);
    return n;
}

size_t led__date_text(char out[10], int date)
{
    int y, m, d;

    eng_date_to_ymd(date, &y, &m, &d);
    /* As eng_date_format(): parsed dates have years 1900..2199; others are clamped. */
    y = (y < 0 ? 0 : y) % 10000;
    out[0] = (char)('0' + y / 1000);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '-';
    out[8] = (char)('0' + d / 10);
    out[9] = (char)('0' + d % 10);
    return 10;
}

/* Builds a text[] literal `{"a","b"}` of ids made of [A-Za-z0-9._-]; NULL when out of memory. */
char *led__array_literal(const char *const *items, size_t n)
{
    size_t len = 3;
    for (size_t i = 0; i < n; i++) {
        len += strlen(items[i]) + 3;
    }
    char *s = malloc(len);
    if (s == NULL) {
        return NULL;
    }
    size_t pos = 0;
    s[pos++] = '{';
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(items[i]);
        if (i > 0) {
            s[pos++] = ',';
        }
        s[pos++] = '"';
        memcpy(s + pos, items[i], l);
        pos += l;
        s[pos++] = '"';
    }
    s[pos++] = '}';
    s[pos] = '\0';
    return s;
}

eng_status led__fen_of(eng_fen *out, const char *text, eng_error *err)
{
    if (eng_money_parse(out, text, strlen(text), err) != ENG_OK) {
        return eng_error_set(err, ENG_EDB, "unexpected amount from the ledger: %s", text);
    }
    return ENG_OK;
}
