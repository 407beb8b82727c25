/* export_store.c -- streaming read of a program's journal (see export_store.h). */
#include "export_store.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"

/* Columns of one COPY row: the posting, then its entry (repeated on each leg). */
enum {
    EXP__SEQ, EXP__LEG, EXP__PARTY, EXP__PKIND, EXP__SIDE, EXP__AMOUNT,
    EXP__KIND, EXP__VERSION, EXP__RULES, EXP__LOAN, EXP__EVENT, EXP__BATCH,
    EXP__SETTLEMENT, EXP__REVERSES, EXP__DATE, EXP__HASH, EXP__LEGS,
    EXP__NCOLS
};

/* Bytes of the COPY statement: fixed text plus an escaped program id and a date. */
#define EXP__SQL_MAX 1024
/* Bytes of a posting kind (`subsidy_expense` is the longest) and an entry kind. */
#define EXP__KIND_MAX 32

#if EXP__SQL_MAX < 640 + 2 * ENG_ID_MAX + 32
#error "EXP__SQL_MAX must hold the COPY statement"
#endif

/* The entry being collected, with copies of the texts its COPY rows carried. */
typedef struct {
    led_export_entry out;
    int open;                                       /* an entry is being collected */
    char kind[EXP__KIND_MAX + 1];
    char hash[LED_SHA256_HEX_SIZE + 1];
    char loan_id[ENG_ID_MAX + 1];
    char event_id[ENG_ID_MAX + 1];
    char rules[LED_RULE_IDS_MAX][ENG_ID_MAX + 1];
    char party[LED_LEGS_MAX][ENG_ID_MAX + 1];
    char pkind[LED_LEGS_MAX][EXP__KIND_MAX + 1];
} exp__state;

/*
 * Splits one COPY text row (`len` bytes, ending in a newline) into fields in
 * place, decoding backslash escapes; `f[i]` is NULL for SQL NULL (`\N`).
 * Returns 0, or -1 when the row does not have EXP__NCOLS fields.
 */
static int exp__split(char *row, int len, char *f[EXP__NCOLS])
{
    char *end = row + len, *w = row, *p = row;
    int n = 0;

    if (len <= 0 || end[-1] != '\n') {
        return -1;
    }
    while (n < EXP__NCOLS) {
        char *start = w;
        int null = p[0] == '\\' && p[1] == 'N' && (p[2] == '\t' || p[2] == '\n');
        for (; p < end && *p != '\t' && *p != '\n'; p++) {
            char c = *p;
            if (c == '\\' && p + 1 < end) {
                c = *++p;
                c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c == 'b' ? '\b'
                  : c == 'f' ? '\f' : c == 'v' ? '\v' : c;
            }
            *w++ = c;
        }
        if (p >= end) {
            return -1;
        }
        char sep = *p++;
        f[n++] = null ? NULL : start;
        *w++ = '\0';
        if (sep == '\n') {
            break;
        }
    }
    return n == EXP__NCOLS && p == end ? 0 : -1;
}

/* Copies `text` (NULL: none) into `out` (`size` bytes); -1 when it does not fit. */
static int exp__copy(char *out, size_t size, const char *text)
{
    size_t n = text != NULL ? strlen(text) : 0;
    if (n >= size) {
        return -1;
    }
    memcpy(out, text != NULL ? text : "", n);
    out[n] = '\0';
    return 0;
}

/* Parses a stored amount, whole fen with at most two decimals, by hand (millions of them). */
static int exp__fen(eng_fen *out, const char *text)
{
    eng_fen v = 0;
    int neg = *text == '-', decimals = -1;
    const char *p = text + neg;

    if (*p < '0' || *p > '9') {
        return -1;
    }
    for (; *p != '\0'; p++) {
        if (*p == '.' && decimals < 0) {
            decimals = 0;
            continue;
        }
        if (*p < '0' || *p > '9' || decimals >= 2 || v > ENG_FEN_MAX / 10) {
            return -1;
        }
        v = v * 10 + (*p - '0');
        decimals += decimals >= 0;
    }
    for (decimals = decimals < 0 ? 0 : decimals; decimals < 2; decimals++) {
        v *= 10;
    }
    if (v > ENG_FEN_MAX) {
        return -1;
    }
    *out = neg ? -v : v;
    return 0;
}

/* A long from an optional column: 0 when NULL.  -1 when it does not parse. */
static int exp__long(long *out, const char *text)
{
    *out = 0;
    return text == NULL ? 0 : led__parse_long(out, text);
}

/* Splits `text` (`a,b,c`, as array_to_string wrote it) into the entry's rule ids. */
static int exp__rules(exp__state *s, const char *text)
{
    led_entry *e = &s->out.entry;
    e->n_rule_ids = 0;
    while (text != NULL && *text != '\0') {
        size_t n = strcspn(text, ",");
        if (e->n_rule_ids == LED_RULE_IDS_MAX || n > ENG_ID_MAX) {
            return -1;
        }
        memcpy(s->rules[e->n_rule_ids], text, n);
        s->rules[e->n_rule_ids][n] = '\0';
        e->rule_ids[e->n_rule_ids] = s->rules[e->n_rule_ids];
        e->n_rule_ids++;
        text += n + (text[n] == ',');
    }
    return 0;
}

/* Starts entry `seq` from the entry columns of its first row. */
static eng_status exp__start(exp__state *s, long seq, char *const *f, eng_error *err)
{
    led_export_entry *x = &s->out;
    led_entry *e = &x->entry;
    eng_error e2;

    memset(x, 0, sizeof(*x));
    x->seq = seq;
    if (f[EXP__KIND] == NULL || f[EXP__DATE] == NULL || f[EXP__HASH] == NULL ||
        exp__copy(s->kind, sizeof(s->kind), f[EXP__KIND]) < 0 ||
        exp__copy(s->hash, sizeof(s->hash), f[EXP__HASH]) < 0 ||
        exp__copy(s->loan_id, sizeof(s->loan_id), f[EXP__LOAN]) < 0 ||
        exp__copy(s->event_id, sizeof(s->event_id), f[EXP__EVENT]) < 0 ||
        exp__rules(s, f[EXP__RULES]) < 0 || exp__long(&e->policy_version, f[EXP__VERSION]) < 0 ||
        exp__long(&e->batch_id, f[EXP__BATCH]) < 0 ||
        exp__long(&e->settlement_id, f[EXP__SETTLEMENT]) < 0 ||
        exp__long(&e->reverses_seq, f[EXP__REVERSES]) < 0 ||
        exp__long(&x->legs_declared, f[EXP__LEGS]) < 0 ||
        eng_date_parse(&e->business_date, f[EXP__DATE], strlen(f[EXP__DATE]), &e2) != ENG_OK) {
        return eng_error_set(err, ENG_EDB, "entry %ld of the ledger does not read back", seq);
    }
    e->kind = s->kind;
    e->loan_id = f[EXP__LOAN] != NULL ? s->loan_id : NULL;
    e->event_id = f[EXP__EVENT] != NULL ? s->event_id : NULL;
    x->hash = s->hash;
    s->open = 1;
    return ENG_OK;
}

/* Adds the posting of a row to the open entry (a row without one: an entry with no legs). */
static eng_status exp__leg(exp__state *s, char *const *f, eng_error *err)
{
    led_entry *e = &s->out.entry;
    size_t i = e->n_legs;

    if (f[EXP__LEG] == NULL) {
        return ENG_OK;
    }
    if (i == LED_LEGS_MAX) {
        return eng_error_set(err, ENG_ELIMIT, "entry %ld has more than %d legs", s->out.seq,
                             LED_LEGS_MAX);
    }
    if (f[EXP__PARTY] == NULL || f[EXP__PKIND] == NULL || f[EXP__SIDE] == NULL ||
        f[EXP__AMOUNT] == NULL || exp__copy(s->party[i], sizeof(s->party[i]), f[EXP__PARTY]) < 0 ||
        exp__copy(s->pkind[i], sizeof(s->pkind[i]), f[EXP__PKIND]) < 0 ||
        exp__fen(&e->legs[i].amount, f[EXP__AMOUNT]) < 0) {
        return eng_error_set(err, ENG_EDB, "a posting of entry %ld does not read back",
                             s->out.seq);
    }
    e->legs[i].party = s->party[i];
    e->legs[i].kind = s->pkind[i];
    e->legs[i].debit = strcmp(f[EXP__SIDE], "debit") == 0;
    e->n_legs = i + 1;
    return ENG_OK;
}

/* Handles one COPY row: closes the open entry when the seq changes, then adds the leg. */
static eng_status exp__row(exp__state *s, char *row, int len, led_export_fn fn, void *ctx,
                           eng_error *err)
{
    char *f[EXP__NCOLS];
    long seq = 0;
    eng_status rc = ENG_OK;

    if (exp__split(row, len, f) < 0 || f[EXP__SEQ] == NULL ||
        led__parse_long(&seq, f[EXP__SEQ]) < 0) {
        return eng_error_set(err, ENG_EDB, "unexpected row from the ledger's journal");
    }
    if (s->open && seq != s->out.seq) {
        s->open = 0;
        rc = fn(ctx, &s->out, err);
    }
    if (rc == ENG_OK && !s->open) {
        rc = exp__start(s, seq, f, err);
    }
    return rc == ENG_OK ? exp__leg(s, f, err) : rc;
}

/* Builds the COPY statement for `program` through `*through` (NULL: all) into `out`. */
static eng_status exp__sql(char *out, size_t size, led_db *db, const char *program,
                           const eng_date *through, eng_error *err)
{
    char date[16] = "";
    char *lit = PQescapeLiteral(db->conn, program, strlen(program));
    int n;

    if (lit == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    if (through != NULL) {
        eng_date_format(date, *through);
    }
    n = snprintf(out, size,
                 "COPY (SELECT e.seq, p.leg, p.party, p.kind, p.side, p.amount, e.kind,"
                 " e.policy_version, array_to_string(e.rule_ids, ','), e.loan_id, e.event_id,"
                 " e.batch_id, e.settlement_id, e.reverses_seq, e.business_date, e.hash, e.legs"
                 " FROM entries e LEFT JOIN postings p ON p.program = e.program AND p.seq = e.seq"
                 " WHERE e.program = %s%s%s%s ORDER BY e.seq, p.leg) TO STDOUT",
                 lit, through != NULL ? " AND e.business_date <= '" : "", date,
                 through != NULL ? "'" : "");
    PQfreemem(lit);
    if (n < 0 || (size_t)n >= size) {
        return eng_error_set(err, ENG_ELIMIT, "program id too long: %.64s", program);
    }
    return ENG_OK;
}

/* Stops a COPY TO STDOUT early: asks the server to cancel it, then drains what is left. */
static void exp__cancel(led_db *db)
{
    PGcancel *cancel = PQgetCancel(db->conn);
    char buf[256], *row = NULL;
    PGresult *res;

    if (cancel != NULL) {
        PQcancel(cancel, buf, (int)sizeof(buf));
        PQfreeCancel(cancel);
    }
    while (PQgetCopyData(db->conn, &row, 0) > 0) {
        PQfreemem(row);
    }
    while ((res = PQgetResult(db->conn)) != NULL) {
        PQclear(res);
    }
}

/* Reads the COPY's rows into `s`, handing each finished entry to `fn`. */
static eng_status exp__read(led_db *db, exp__state *s, led_export_fn fn, void *ctx,
                            eng_error *err)
{
    eng_status rc = ENG_OK;
    char *row = NULL;
    int len;

    while ((len = PQgetCopyData(db->conn, &row, 0)) > 0) {
        rc = exp__row(s, row, len, fn, ctx, err);
        PQfreemem(row);
        row = NULL;
        if (rc != ENG_OK) {
            exp__cancel(db);
            return rc;
        }
    }
    PGresult *res = PQgetResult(db->conn);
    if (len == -2 || res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = led__fail(err, db, res, "reading the journal failed");
    }
    PQclear(res);
    while ((res = PQgetResult(db->conn)) != NULL) {
        PQclear(res);
    }
    if (rc == ENG_OK && s->open) {
        s->open = 0;
        rc = fn(ctx, &s->out, err);
    }
    return rc;
}

eng_status led_export_entries(led_db *db, const char *program, const eng_date *through,
                              led_export_fn fn, void *ctx, eng_error *err)
{
    char sql[EXP__SQL_MAX];
    exp__state *s;
    eng_status rc;

    assert(db != NULL && db->conn != NULL && !db->copy_open);
    assert(program != NULL && fn != NULL);
    rc = exp__sql(sql, sizeof(sql), db, program, through, err);
    if (rc == ENG_OK) {
        /* Dates come back as YYYY-MM-DD whatever the server's default style. */
        rc = led__exec(db, "SET datestyle = ISO", err);
    }
    if (rc != ENG_OK) {
        return rc;
    }
    PGresult *res = PQexec(db->conn, sql);
    if (res == NULL || PQresultStatus(res) != PGRES_COPY_OUT) {
        rc = led__fail(err, db, res, "reading the journal failed");
        PQclear(res);
        return rc;
    }
    PQclear(res);
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        exp__cancel(db);
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    rc = exp__read(db, s, fn, ctx, err);
    assert(!s->open || rc != ENG_OK);
    free(s);
    return rc;
}
