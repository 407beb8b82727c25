/* export_store.c -- streaming read of a program's journal (see export_store.h). */
#include "export_store.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"

/* Columns of the entries cursor and of the postings cursor. */
enum {
    EXP__SEQ, EXP__KIND, EXP__VERSION, EXP__RULES, EXP__LOAN, EXP__EVENT, EXP__BATCH,
    EXP__SETTLEMENT, EXP__REVERSES, EXP__DATE, EXP__HASH, EXP__LEGS, EXP__NCOLS
};
enum { EXP__P_SEQ, EXP__P_LEG, EXP__P_PARTY, EXP__P_KIND, EXP__P_SIDE, EXP__P_AMOUNT,
       EXP__P_NCOLS };

/* Rows per FETCH: enough to amortise a round trip, few enough to keep memory small. */
#define EXP__FETCH_ROWS 20000
/* Bytes of a cursor's statement: fixed text plus an escaped program id and a date. */
#define EXP__SQL_MAX 1024
/* Bytes of a posting kind (`subsidy_expense` is the longest). */
#define EXP__KIND_MAX 32

#if EXP__FETCH_ROWS < 1000 || EXP__FETCH_ROWS > 1000000
#error "EXP__FETCH_ROWS must amortise round trips and bound memory"
#endif
#if EXP__SQL_MAX < 512 + 2 * ENG_ID_MAX + 32
#error "EXP__SQL_MAX must hold a cursor's statement"
#endif

/* One server-side cursor read in batches of EXP__FETCH_ROWS rows. */
typedef struct {
    led_db *db;
    const char *fetch;      /* FETCH FORWARD n FROM <cursor> */
    PGresult *res;          /* the current batch, or NULL */
    int row, rows;          /* the current row of the batch, the rows in it */
    int done;               /* no row left */
} exp__cursor;

/* The entry being collected: texts of the current entry row are read in place (the
   entries cursor moves on only after the entry is handed over); legs are copied,
   as the postings cursor may fetch its next batch in the middle of an entry. */
typedef struct {
    led_export_entry out;
    char rules[LED_RULE_IDS_MAX][ENG_ID_MAX + 1];
    char party[LED_LEGS_MAX][ENG_ID_MAX + 1];
    char pkind[LED_LEGS_MAX][EXP__KIND_MAX + 1];
} exp__state;

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

/* ---- cursors -------------------------------------------------------------------------- */

/* Moves `c` to its next row, fetching the next batch when the current one is used up. */
static eng_status exp__next(exp__cursor *c, eng_error *err)
{
    assert(!c->done);
    if (c->res != NULL && ++c->row < c->rows) {
        return ENG_OK;
    }
    PQclear(c->res);
    c->res = NULL;
    eng_status rc = led__query(&c->res, c->db, c->fetch, 0, NULL, err);
    if (rc != ENG_OK) {
        return rc;
    }
    c->row = 0;
    c->rows = PQntuples(c->res);
    c->done = c->rows == 0;
    return ENG_OK;
}

/* The text at column `col` of the cursor's current row; NULL for SQL NULL. */
static const char *exp__get(const exp__cursor *c, int col)
{
    return PQgetisnull(c->res, c->row, col) ? NULL : PQgetvalue(c->res, c->row, col);
}

/* The seq of the cursor's current row; -1 when it does not read back. */
static long exp__seq(const exp__cursor *c)
{
    long seq = -1;
    const char *text = exp__get(c, 0);
    return text != NULL && led__parse_long(&seq, text) == 0 ? seq : -1;
}

/* ---- entries -------------------------------------------------------------------------- */

/* Starts the entry of the entries cursor's current row. */
static eng_status exp__start(exp__state *s, const exp__cursor *ce, eng_error *err)
{
    led_export_entry *x = &s->out;
    led_entry *e = &x->entry;
    const char *date = exp__get(ce, EXP__DATE);
    eng_error e2;

    assert(ce->res != NULL && !ce->done);
    memset(x, 0, sizeof(*x));
    x->seq = exp__seq(ce);
    e->kind = exp__get(ce, EXP__KIND);
    e->loan_id = exp__get(ce, EXP__LOAN);
    e->event_id = exp__get(ce, EXP__EVENT);
    x->hash = exp__get(ce, EXP__HASH);
    if (x->seq < 0 || e->kind == NULL || x->hash == NULL || date == NULL ||
        strlen(e->kind) > EXP__KIND_MAX || strlen(x->hash) >= LED_SHA256_HEX_SIZE ||
        (e->loan_id != NULL && strlen(e->loan_id) > ENG_ID_MAX) ||
        (e->event_id != NULL && strlen(e->event_id) > ENG_ID_MAX) ||
        exp__rules(s, exp__get(ce, EXP__RULES)) < 0 ||
        exp__long(&e->policy_version, exp__get(ce, EXP__VERSION)) < 0 ||
        exp__long(&e->batch_id, exp__get(ce, EXP__BATCH)) < 0 ||
        exp__long(&e->settlement_id, exp__get(ce, EXP__SETTLEMENT)) < 0 ||
        exp__long(&e->reverses_seq, exp__get(ce, EXP__REVERSES)) < 0 ||
        exp__long(&x->legs_declared, exp__get(ce, EXP__LEGS)) < 0 ||
        eng_date_parse(&e->business_date, date, strlen(date), &e2) != ENG_OK) {
        return eng_error_set(err, ENG_EDB, "entry %ld of the ledger does not read back",
                             x->seq);
    }
    return ENG_OK;
}

/* Adds the posting of the postings cursor's current row to the entry. */
static eng_status exp__leg(exp__state *s, const exp__cursor *cp, eng_error *err)
{
    led_entry *e = &s->out.entry;
    size_t i = e->n_legs;
    const char *side = exp__get(cp, EXP__P_SIDE), *amount = exp__get(cp, EXP__P_AMOUNT);

    assert(cp->res != NULL && !cp->done);
    assert(i <= LED_LEGS_MAX);
    if (i == LED_LEGS_MAX) {
        return eng_error_set(err, ENG_ELIMIT, "entry %ld has more than %d legs", s->out.seq,
                             LED_LEGS_MAX);
    }
    if (side == NULL || amount == NULL ||
        exp__copy(s->party[i], sizeof(s->party[i]), exp__get(cp, EXP__P_PARTY)) < 0 ||
        exp__copy(s->pkind[i], sizeof(s->pkind[i]), exp__get(cp, EXP__P_KIND)) < 0 ||
        exp__fen(&e->legs[i].amount, amount) < 0) {
        return eng_error_set(err, ENG_EDB, "a posting of entry %ld does not read back",
                             s->out.seq);
    }
    e->legs[i].party = s->party[i];
    e->legs[i].kind = s->pkind[i];
    e->legs[i].debit = strcmp(side, "debit") == 0;
    e->n_legs = i + 1;
    return ENG_OK;
}

/*
 * Merges the two cursors: for each entry, the postings of its seq (postings of a seq
 * with no entry in the stream -- an entry dated after `through`, or a deleted one --
 * are passed over), then the entry goes to `fn`.
 */
static eng_status exp__merge(exp__cursor *ce, exp__cursor *cp, exp__state *s,
                             led_export_fn fn, void *ctx, eng_error *err)
{
    eng_status rc = exp__next(ce, err);
    if (rc == ENG_OK) {
        rc = exp__next(cp, err);
    }
    while (rc == ENG_OK && !ce->done) {
        rc = exp__start(s, ce, err);
        long seq = s->out.seq, pseq = -1;
        while (rc == ENG_OK && !cp->done && (pseq = exp__seq(cp)) >= 0 && pseq <= seq) {
            if (pseq == seq) {
                rc = exp__leg(s, cp, err);
            }
            if (rc == ENG_OK) {
                rc = exp__next(cp, err);
            }
        }
        if (rc == ENG_OK && !cp->done && pseq < 0) {
            rc = eng_error_set(err, ENG_EDB, "a posting of the ledger does not read back");
        }
        if (rc == ENG_OK) {
            assert(s->out.entry.n_legs <= LED_LEGS_MAX && s->out.seq == seq);
            rc = fn(ctx, &s->out, err);
        }
        if (rc == ENG_OK) {
            rc = exp__next(ce, err);
        }
    }
    return rc;
}

/* ---- the cursors' statements ---------------------------------------------------------- */

static const char exp__entries_sql[] =
    "DECLARE led_export_e NO SCROLL CURSOR FOR"
    " SELECT seq, kind, policy_version, array_to_string(rule_ids, ','), loan_id, event_id,"
    " batch_id, settlement_id, reverses_seq, business_date, hash, legs"
    " FROM entries WHERE program = $1 AND ($2::date IS NULL OR business_date <= $2::date)"
    " ORDER BY seq";
static const char exp__postings_sql[] =
    "DECLARE led_export_p NO SCROLL CURSOR FOR"
    " SELECT seq, leg, party, kind, side, amount FROM postings WHERE program = $1"
    " ORDER BY seq, leg";

/* Opens both cursors in the current transaction. */
static eng_status exp__open(led_db *db, const char *program, const eng_date *through,
                            eng_error *err)
{
    char date[16];
    const char *params[2] = {program, NULL};

    if (through != NULL) {
        eng_date_format(date, *through);
        params[1] = date;
    }
    /* Dates come back as YYYY-MM-DD whatever the server's default style. */
    eng_status rc = led__exec(db, "SET LOCAL datestyle = ISO", err);
    if (rc == ENG_OK) {
        rc = led_exec_params(db, exp__entries_sql, 2, params, err);
    }
    if (rc == ENG_OK) {
        rc = led_exec_params(db, exp__postings_sql, 1, params, err);
    }
    return rc;
}

eng_status led_export_entries(led_db *db, const char *program, const eng_date *through,
                              led_export_fn fn, void *ctx, eng_error *err)
{
    char fetch_e[64], fetch_p[64];
    exp__cursor ce = {db, fetch_e, NULL, 0, 0, 0}, cp = {db, fetch_p, NULL, 0, 0, 0};
    int own = 0;
    eng_status rc = ENG_OK;

    assert(db != NULL && db->conn != NULL && !db->copy_open);
    assert(program != NULL && fn != NULL);
    snprintf(fetch_e, sizeof(fetch_e), "FETCH FORWARD %d FROM led_export_e", EXP__FETCH_ROWS);
    snprintf(fetch_p, sizeof(fetch_p), "FETCH FORWARD %d FROM led_export_p", EXP__FETCH_ROWS);
    if (PQtransactionStatus(db->conn) == PQTRANS_IDLE) {
        /* Cursors live in a transaction: one read-only snapshot of our own. */
        rc = led__exec(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err);
        own = rc == ENG_OK;
    }
    if (rc == ENG_OK) {
        rc = exp__open(db, program, through, err);
    }
    exp__state *s = rc == ENG_OK ? calloc(1, sizeof(*s)) : NULL;
    if (rc == ENG_OK && s == NULL) {
        rc = eng_error_set(err, ENG_ERROR, "out of memory");
    }
    if (rc == ENG_OK) {
        rc = exp__merge(&ce, &cp, s, fn, ctx, err);
    }
    free(s);
    PQclear(ce.res);
    PQclear(cp.res);
    if (own) {
        led__rollback(db);
    } else if (rc == ENG_OK) {
        rc = led__exec(db, "CLOSE led_export_e", err);
        rc = rc == ENG_OK ? led__exec(db, "CLOSE led_export_p", err) : rc;
    }
    return rc;
}
