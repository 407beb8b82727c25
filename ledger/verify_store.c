/* verify_store.c -- the stored rows `audit verify` checks, streamed by binary COPY. */
#include "verify_store.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "pg_int.h"

/* Fields of the widest stream row (entries). */
#define VS__FIELDS_MAX 16
/* Bytes of one stream query with its program literal. */
#define VS__SQL_MAX 2048
/* Days from 1970-01-01 (eng_date 0) to 2000-01-01 (PostgreSQL's date and time epoch). */
#define VS__PG_EPOCH_DAYS 10957
#define VS__USEC_PER_DAY 86400000000LL

#if VS__FIELDS_MAX < 14
#error "VS__FIELDS_MAX must hold an entries row"
#endif

/* The binary COPY signature (PostgreSQL docs, "Binary Format"). */
static const char vs__signature[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', '\377', '\r', '\n',
                                       '\0'};

/* One stream: a connection, its current CopyData message and the row decoded from it. */
typedef struct {
    led_db *db;
    char *msg;                          /* PQgetCopyData's buffer, or NULL */
    int header_done;                    /* the binary header was read */
    int active;                         /* a COPY is running */
    int at_end;                         /* no current row */
    size_t rows;
    int n_fields;                       /* fields of the current row */
    char *field[VS__FIELDS_MAX];        /* NUL-terminated (binary fields: raw bytes) */
    int len[VS__FIELDS_MAX];            /* -1: NULL */
    led_verify_row row;
    long long recorded_usec;            /* the last recorded_at converted (a cache) */
    char recorded_text[LED_RECORDED_AT_SIZE];
} vs__stream;

struct led_verify_db {
    vs__stream s[LED_VS_COUNT];
};

static const char *const vs__names[LED_VS_COUNT] = {
    "entries", "postings", "claims", "payments by entry", "payments by claim", "defaults",
};

/* Fields each stream's rows have. */
static const int vs__widths[LED_VS_COUNT] = {14, 6, 9, 8, 8, 5};

/* ---- Binary values ------------------------------------------------------------------ */

static long long vs__be(const char *p, int bytes)
{
    unsigned long long v = 0;

    for (int i = 0; i < bytes; i++) {
        v = (v << 8) | (unsigned char)p[i];
    }
    if (bytes < 8 && (v >> (bytes * 8 - 1)) != 0) {
        v |= ~0ULL << (bytes * 8);      /* sign-extend */
    }
    return (long long)v;
}

/* Field `i` as an integer of `bytes` bytes; 0 and *has = 0 when NULL. */
static int vs__int(const vs__stream *st, int i, int bytes, long *out, int *has)
{
    *out = 0;
    if (has != NULL) {
        *has = st->len[i] >= 0;
    }
    if (st->len[i] < 0) {
        return 0;
    }
    if (st->len[i] != bytes) {
        return -1;
    }
    *out = (long)vs__be(st->field[i], bytes);
    return 0;
}

/* Field `i` as text; NULL when SQL NULL. */
static const char *vs__text(const vs__stream *st, int i)
{
    return st->len[i] >= 0 ? st->field[i] : NULL;
}

/*
 * Field `i`, a numeric in binary form (int16 ndigits, weight, sign, dscale, then
 * ndigits base-10000 digits, the first of weight `weight`), as whole fen:
 * LED_VERIFY_BAD_AMOUNT for NULL, NaN, a part of a fen, or a magnitude beyond
 * ENG_FEN_MAX.
 */
static eng_fen vs__numeric(const vs__stream *st, int i)
{
    const char *p = st->field[i];
    long long fen = 0;

    if (st->len[i] < 8) {
        return LED_VERIFY_BAD_AMOUNT;
    }
    long ndigits = (long)vs__be(p, 2), weight = (long)vs__be(p + 2, 2);
    long sign = (long)(vs__be(p + 4, 2) & 0xFFFF);
    if (ndigits < 0 || st->len[i] != 8 + 2 * ndigits || (sign != 0 && sign != 0x4000)) {
        return LED_VERIFY_BAD_AMOUNT;
    }
    for (long k = 0; k < ndigits; k++) {
        long digit = (long)vs__be(p + 8 + 2 * k, 2), e = weight - k;
        if (digit < 0 || digit > 9999) {
            return LED_VERIFY_BAD_AMOUNT;
        }
        if (e < -1 || (e == -1 && digit % 100 != 0)) {
            if (digit != 0) {
                return LED_VERIFY_BAD_AMOUNT;   /* a part of a fen */
            }
            continue;
        }
        long long part = e == -1 ? digit / 100 : digit * 100LL;
        for (long j = 0; j < e; j++) {
            if (part > ENG_FEN_MAX / 10000) {
                return LED_VERIFY_BAD_AMOUNT;
            }
            part *= 10000;
        }
        if (part > ENG_FEN_MAX || fen > ENG_FEN_MAX - part) {
            return LED_VERIFY_BAD_AMOUNT;
        }
        fen += part;
    }
    return sign == 0x4000 ? -fen : fen;
}

/* Field `i`, a date, as an eng_date. */
static int vs__date(const vs__stream *st, int i, eng_date *out)
{
    long days = 0;

    if (st->len[i] != 4 || vs__int(st, i, 4, &days, NULL) < 0) {
        return -1;
    }
    *out = (eng_date)(days + VS__PG_EPOCH_DAYS);
    return 0;
}

/* Writes `v` as `width` decimal digits at `out`. */
static void vs__digits(char *out, long v, int width)
{
    for (int k = width - 1; k >= 0; k--) {
        out[k] = (char)('0' + v % 10);
        v /= 10;
    }
}

/*
 * Field `i`, a timestamptz (microseconds since 2000-01-01 UTC), as the canonical
 * text YYYY-MM-DDTHH:MM:SS.ffffffZ; a time outside years 1..9999 as `out of range`,
 * which no stored hash covers.
 */
static int vs__recorded_at(vs__stream *st, int i, char out[LED_RECORDED_AT_SIZE])
{
    long usec_l = 0;
    long long usec, days, rem;
    int y, m, d;

    if (st->len[i] != 8 || vs__int(st, i, 8, &usec_l, NULL) < 0) {
        return -1;
    }
    usec = usec_l;
    if (st->recorded_text[0] != '\0' && usec == st->recorded_usec) {
        memcpy(out, st->recorded_text, LED_RECORDED_AT_SIZE);
        return 0;
    }
    if (usec < -730000LL * VS__USEC_PER_DAY || usec > 2900000LL * VS__USEC_PER_DAY) {
        snprintf(out, LED_RECORDED_AT_SIZE, "out of range");
        return 0;
    }
    days = usec / VS__USEC_PER_DAY;
    rem = usec % VS__USEC_PER_DAY;
    if (rem < 0) {
        rem += VS__USEC_PER_DAY;
        days--;
    }
    eng_date_to_ymd((eng_date)(days + VS__PG_EPOCH_DAYS), &y, &m, &d);
    memcpy(out, "0000-00-00T00:00:00.000000Z", LED_RECORDED_AT_SIZE);
    vs__digits(out, y, 4);
    vs__digits(out + 5, m, 2);
    vs__digits(out + 8, d, 2);
    vs__digits(out + 11, (long)(rem / 3600000000LL), 2);
    vs__digits(out + 14, (long)(rem / 60000000LL % 60), 2);
    vs__digits(out + 17, (long)(rem / 1000000LL % 60), 2);
    vs__digits(out + 20, (long)(rem % 1000000LL), 6);
    st->recorded_usec = usec;
    memcpy(st->recorded_text, out, LED_RECORDED_AT_SIZE);
    return 0;
}

/*
 * Field `i`, a one-dimensional text[] in binary form, into e->rule_ids (elements
 * NUL-terminated in place).  A NULL array or element sets rule_ids_null.
 */
static int vs__rule_ids(vs__stream *st, int i, led_verify_entry *e)
{
    char *p = st->field[i], *end = p + (st->len[i] < 0 ? 0 : st->len[i]);
    char *elem_end[LED_VERIFY_RULE_IDS_MAX];
    long ndim, n = 0;

    e->n_rule_ids = 0;
    e->rule_ids_null = st->len[i] < 0;
    if (st->len[i] < 12) {
        return st->len[i] < 0 ? 0 : -1;
    }
    ndim = (long)vs__be(p, 4);
    p += 12;                            /* ndim, has-null flag, element type */
    if (ndim > 1 || ndim < 0 || end - p < 8 * ndim) {
        return -1;
    }
    if (ndim == 1) {
        n = (long)vs__be(p, 4);
        p += 8;                         /* size, lower bound */
    }
    for (long k = 0; k < n; k++) {
        if (end - p < 4) {
            return -1;
        }
        long len = (long)vs__be(p, 4);
        p += 4;
        if (len < 0) {
            e->rule_ids_null = 1;
        } else if (len > end - p) {
            return -1;
        }
        if (len >= 0 && e->n_rule_ids < LED_VERIFY_RULE_IDS_MAX) {
            e->rule_ids[e->n_rule_ids] = p;
            elem_end[e->n_rule_ids++] = p + len;
        }
        p += len < 0 ? 0 : len;
    }
    /* Each element's end is the next one's length or past the field: both read already. */
    for (size_t k = 0; k < e->n_rule_ids; k++) {
        *elem_end[k] = '\0';
    }
    e->n_rule_ids = (size_t)n;           /* what the caller checks; at most the limit kept */
    return 0;
}

/* ---- Rows of each stream ------------------------------------------------------------ */

static int vs__entry(vs__stream *st)
{
    led_verify_entry *e = &st->row.entry;
    int has = 0, rc = 0;

    memset(e, 0, sizeof(*e));
    rc |= vs__int(st, 0, 8, &e->seq, &has);
    e->kind = vs__text(st, 1);
    rc |= vs__int(st, 2, 4, &e->policy_version, &e->has_policy_version);
    rc |= vs__rule_ids(st, 3, e);
    e->loan_id = vs__text(st, 4);
    e->event_id = vs__text(st, 5);
    rc |= vs__int(st, 6, 8, &e->batch_id, &e->has_batch_id);
    rc |= vs__int(st, 7, 8, &e->settlement_id, &e->has_settlement_id);
    rc |= vs__int(st, 8, 8, &e->reverses_seq, &e->has_reverses_seq);
    rc |= vs__date(st, 9, &e->business_date);
    rc |= vs__recorded_at(st, 10, e->recorded_at);
    e->prev_hash = vs__text(st, 11);
    e->hash = vs__text(st, 12);
    rc |= vs__int(st, 13, 2, &e->legs, NULL);
    return rc < 0 || !has || e->kind == NULL || e->prev_hash == NULL || e->hash == NULL ? -1 : 0;
}

static int vs__posting(vs__stream *st)
{
    led_verify_posting *p = &st->row.posting;
    int has_seq = 0, has_leg = 0, rc = 0;

    memset(p, 0, sizeof(*p));
    rc |= vs__int(st, 0, 8, &p->seq, &has_seq);
    rc |= vs__int(st, 1, 2, &p->leg, &has_leg);
    p->party = vs__text(st, 2);
    p->kind = vs__text(st, 3);
    p->debit = st->len[4] == 1 && st->field[4][0] != 0;
    p->amount = vs__numeric(st, 5);
    return rc < 0 || !has_seq || !has_leg || p->party == NULL || p->kind == NULL ? -1 : 0;
}

static int vs__claim(vs__stream *st)
{
    led_verify_claim *c = &st->row.claim;
    int has_id = 0, has_seq = 0, rc = 0;

    memset(c, 0, sizeof(*c));
    rc |= vs__int(st, 0, 8, &c->claim_id, &has_id);
    rc |= vs__int(st, 1, 8, &c->seq, &has_seq);
    c->kind = vs__text(st, 2);
    c->loan_id = vs__text(st, 3);
    c->payer = vs__text(st, 4);
    c->payee = vs__text(st, 5);
    rc |= vs__date(st, 6, &c->claim_date);
    c->amount = vs__numeric(st, 7);
    c->event_id = vs__text(st, 8);
    return rc < 0 || !has_id || !has_seq || c->kind == NULL || c->loan_id == NULL
                   || c->payer == NULL || c->payee == NULL
               ? -1
               : 0;
}

static int vs__payment(vs__stream *st)
{
    led_verify_payment *p = &st->row.payment;
    int has_s = 0, has_c = 0, rc = 0;

    memset(p, 0, sizeof(*p));
    rc |= vs__int(st, 0, 8, &p->seq, &p->has_seq);
    rc |= vs__int(st, 1, 8, &p->settlement_id, &has_s);
    rc |= vs__int(st, 2, 8, &p->claim_id, &has_c);
    p->open_before = vs__numeric(st, 3);
    p->paid = vs__numeric(st, 4);
    p->payer = vs__text(st, 5);
    p->payee = vs__text(st, 6);
    p->loan_id = vs__text(st, 7);
    return rc < 0 || !has_s || !has_c ? -1 : 0;
}

static int vs__default(vs__stream *st)
{
    led_verify_default *d = &st->row.dflt;
    int rc = 0;

    memset(d, 0, sizeof(*d));
    d->event_id = vs__text(st, 0);
    d->loss_base = vs__numeric(st, 1);
    rc |= vs__int(st, 2, 8, &d->n_parts, NULL);
    d->raw_sum = vs__numeric(st, 3);
    d->part_sum = vs__numeric(st, 4);
    return rc < 0 || d->event_id == NULL ? -1 : 0;
}

static int (*const vs__decoders[LED_VS_COUNT])(vs__stream *) = {
    vs__entry, vs__posting, vs__claim, vs__payment, vs__payment, vs__default,
};

/* ---- Reading a COPY ------------------------------------------------------------------ */

static eng_status vs__shape(eng_error *err, led_verify_stream which, const char *what)
{
    return eng_error_set(err, ENG_ERROR, "the %s of the ledger read back in an unexpected "
                         "shape (%s)", vs__names[which], what);
}

/* The COPY ended: collects its outcome. */
static eng_status vs__finish(vs__stream *st, eng_error *err)
{
    PGresult *res;
    eng_status rc = ENG_OK;

    while ((res = PQgetResult(st->db->conn)) != NULL) {
        if (rc == ENG_OK && PQresultStatus(res) != PGRES_COMMAND_OK) {
            rc = led__fail(err, st->db, res, "reading the ledger failed");
        }
        PQclear(res);
    }
    if (rc == ENG_OK && PQstatus(st->db->conn) != CONNECTION_OK) {
        rc = led__fail(err, st->db, NULL, "reading the ledger failed");
    }
    st->active = 0;
    st->at_end = 1;
    return rc;
}

/* Skips the binary header at the start of `*p` (the first message); -1 when it is not one. */
static int vs__header(char **p, const char *end)
{
    if (end - *p < 19 || memcmp(*p, vs__signature, sizeof(vs__signature)) != 0) {
        return -1;
    }
    long long ext = vs__be(*p + 15, 4);
    if (ext < 0 || ext > end - *p - 19) {
        return -1;
    }
    *p += 19 + ext;
    return 0;
}

/* Splits the tuple at `p` into fields and NUL-terminates them; -1 for a bad tuple. */
static int vs__fields(vs__stream *st, char *p, const char *end, int width)
{
    int n = (int)vs__be(p, 2);

    assert(width > 0 && width <= VS__FIELDS_MAX);
    assert(end >= p);
    p += 2;
    if (n != width) {
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (end - p < 4) {
            return -1;
        }
        long long len = vs__be(p, 4);
        p += 4;
        if (len < -1 || len > end - p) {
            return -1;
        }
        st->field[i] = p;
        st->len[i] = (int)len;
        p += len < 0 ? 0 : len;
    }
    if (p != end) {
        return -1;                      /* one tuple per message */
    }
    /* Each field ends at the next one's length (read already) or at libpq's NUL. */
    for (int i = 0; i < n; i++) {
        if (st->len[i] >= 0) {
            st->field[i][st->len[i]] = '\0';
        }
    }
    st->n_fields = n;
    return 0;
}

/* Reads the next tuple of a running COPY into st->row, or reaches its end. */
static eng_status vs__read(vs__stream *st, led_verify_stream which, eng_error *err)
{
    assert(st->msg == NULL && st->active);
    assert(vs__widths[which] <= VS__FIELDS_MAX);
    for (;;) {
        char *buf = NULL;
        int n = PQgetCopyData(st->db->conn, &buf, 0);
        if (n < 0) {
            return vs__finish(st, err);
        }
        char *p = buf, *end = buf + n;
        st->msg = buf;
        if (!st->header_done && vs__header(&p, end) < 0) {
            return vs__shape(err, which, "no binary COPY header");
        }
        st->header_done = 1;
        if (p == end || (end - p >= 2 && vs__be(p, 2) == -1)) {
            PQfreemem(buf);             /* the header alone, or the trailer */
            st->msg = NULL;
            continue;
        }
        if (end - p < 2 || vs__fields(st, p, end, vs__widths[which]) < 0) {
            return vs__shape(err, which, "a malformed row");
        }
        if (vs__decoders[which](st) < 0) {
            return vs__shape(err, which, "a value of another type");
        }
        st->rows++;
        return ENG_OK;
    }
}

eng_status led_verify_peek(const led_verify_row **out, led_verify_db *v, led_verify_stream s,
                           eng_error *err)
{
    vs__stream *st;
    eng_status rc;

    assert(out != NULL && v != NULL);
    assert(s >= 0 && s < LED_VS_COUNT);
    st = &v->s[s];
    *out = NULL;
    if (st->msg == NULL && !st->at_end) {
        if (!st->active) {
            st->at_end = 1;
            return ENG_OK;
        }
        rc = vs__read(st, s, err);
        if (rc < 0) {
            return rc;
        }
    }
    *out = st->at_end ? NULL : &st->row;
    return ENG_OK;
}

void led_verify_advance(led_verify_db *v, led_verify_stream s)
{
    assert(v != NULL && s >= 0 && s < LED_VS_COUNT);
    if (v->s[s].msg != NULL) {
        PQfreemem(v->s[s].msg);
        v->s[s].msg = NULL;
    }
}

size_t led_verify_rows(const led_verify_db *v, led_verify_stream s)
{
    assert(v != NULL && s >= 0 && s < LED_VS_COUNT);
    return v->s[s].rows;
}

/* ---- Starting the streams ------------------------------------------------------------ */

static const char *const vs__queries[LED_VS_COUNT] = {
    "COPY (SELECT seq, kind, policy_version, rule_ids, loan_id, event_id, batch_id,"
    " settlement_id, reverses_seq, business_date, recorded_at, prev_hash, hash, legs"
    " FROM entries WHERE program = @P@ ORDER BY seq) TO STDOUT (FORMAT binary)",

    "COPY (SELECT seq, leg, party, kind, side = 'debit', amount FROM postings"
    " WHERE program = @P@ ORDER BY seq, leg) TO STDOUT (FORMAT binary)",

    "COPY (SELECT claim_id, seq, kind, loan_id, payer, payee, claim_date, amount,"
    " event_id FROM claims WHERE program = @P@ ORDER BY claim_id) TO STDOUT (FORMAT binary)",

    "COPY (SELECT p.seq, p.settlement_id, p.claim_id, p.open_before, p.paid,"
    " c.payer, c.payee, c.loan_id FROM settlement_payments p LEFT JOIN claims c"
    " ON c.program = p.program AND c.claim_id = p.claim_id"
    " WHERE p.program = @P@ AND p.seq IS NOT NULL ORDER BY p.seq, p.settlement_id,"
    " p.claim_id) TO STDOUT (FORMAT binary)",

    "COPY (SELECT seq, settlement_id, claim_id, open_before, paid, NULL::text,"
    " NULL::text, NULL::text FROM settlement_payments WHERE program = @P@"
    " ORDER BY claim_id, settlement_id) TO STDOUT (FORMAT binary)",

    /* Each default with its parts' sums, in the order of its event. */
    "COPY (SELECT d.event_id, d.loss_base, coalesce(s.n, 0), coalesce(s.raw, 0),"
    " coalesce(s.amount, 0) FROM defaults d"
    " LEFT JOIN events v ON v.program = d.program AND v.event_id = d.event_id"
    " LEFT JOIN (SELECT event_id, count(*) AS n, sum(raw) AS raw, sum(amount) AS amount"
    "            FROM default_parts WHERE program = @P@ GROUP BY event_id) s"
    " ON s.event_id = d.event_id"
    " WHERE d.program = @P@ ORDER BY v.event_no, d.event_id) TO STDOUT (FORMAT binary)",
};

/* Reads what is left of a stream's COPY. */
static eng_status vs__drain(vs__stream *st, led_verify_stream which, eng_error *err)
{
    eng_status rc = ENG_OK;

    while (rc == ENG_OK && st->active) {
        if (st->msg != NULL) {
            PQfreemem(st->msg);
            st->msg = NULL;
        }
        rc = vs__read(st, which, err);
    }
    if (st->msg != NULL) {
        PQfreemem(st->msg);
        st->msg = NULL;
    }
    return rc;
}

/* Writes `query` into `out` with each @P@ replaced by `literal`; -1 when it does not fit. */
static int vs__sql(char *out, size_t size, const char *query, const char *literal)
{
    size_t n = 0, lit = strlen(literal);

    for (const char *q = query; *q != '\0';) {
        const char *at = strstr(q, "@P@");
        size_t chunk = at != NULL ? (size_t)(at - q) : strlen(q);
        size_t need = chunk + (at != NULL ? lit : 0);
        if (n + need >= size) {
            return -1;
        }
        memcpy(out + n, q, chunk);
        n += chunk;
        if (at == NULL) {
            break;
        }
        memcpy(out + n, literal, lit);
        n += lit;
        q = at + 3;
    }
    out[n] = '\0';
    return 0;
}

/* Starts stream `which` for the program whose quoted literal is `literal`. */
static eng_status vs__begin(vs__stream *st, led_verify_stream which, const char *literal,
                            eng_error *err)
{
    char sql[VS__SQL_MAX];
    PGresult *res;
    eng_status rc = ENG_OK;

    if (vs__sql(sql, sizeof(sql), vs__queries[which], literal) < 0) {
        return eng_error_set(err, ENG_ERROR, "the %s query does not fit", vs__names[which]);
    }
    if (!PQsendQuery(st->db->conn, sql)) {
        return led__fail(err, st->db, NULL, "reading the ledger failed");
    }
    res = PQgetResult(st->db->conn);
    if (res == NULL || PQresultStatus(res) != PGRES_COPY_OUT) {
        rc = led__fail(err, st->db, res, "reading the ledger failed");
        PQclear(res);
        while ((res = PQgetResult(st->db->conn)) != NULL) {
            PQclear(res);
        }
        return rc;
    }
    PQclear(res);
    st->active = 1;
    st->at_end = 0;
    st->header_done = 0;
    st->rows = 0;
    return ENG_OK;
}

eng_status led_verify_start(led_verify_db *v, const char *program, eng_error *err)
{
    char *literal;
    eng_status rc = ENG_OK;

    assert(v != NULL && program != NULL);
    for (int s = 0; rc == ENG_OK && s < LED_VS_COUNT; s++) {
        rc = vs__drain(&v->s[s], (led_verify_stream)s, err);
    }
    if (rc < 0) {
        return rc;
    }
    literal = PQescapeLiteral(v->s[0].db->conn, program, strlen(program));
    if (literal == NULL) {
        return led__fail(err, v->s[0].db, NULL, "quoting the program id failed");
    }
    for (int s = 0; rc == ENG_OK && s < LED_VS_COUNT; s++) {
        rc = vs__begin(&v->s[s], (led_verify_stream)s, literal, err);
    }
    PQfreemem(literal);
    return rc;
}

/* ---- The session ---------------------------------------------------------------------- */

/* Opens the snapshot transaction on every connection: the first exports it. */
static eng_status vs__snapshot(led_verify_db *v, eng_error *err)
{
    static const char begin[] = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
    char *id = NULL;
    eng_status rc = led__exec(v->s[0].db, begin, err);

    if (rc == ENG_OK) {
        rc = led_query_value(&id, v->s[0].db, "SELECT pg_export_snapshot()", 0, NULL, err);
    }
    if (rc == ENG_OK && id == NULL) {
        rc = eng_error_set(err, ENG_ERROR, "the ledger's snapshot has no id");
    }
    for (int s = 1; rc == ENG_OK && s < LED_VS_COUNT; s++) {
        char sql[128];
        char *lit = PQescapeLiteral(v->s[s].db->conn, id, strlen(id));
        if (lit == NULL) {
            rc = led__fail(err, v->s[s].db, NULL, "quoting the snapshot id failed");
            break;
        }
        snprintf(sql, sizeof(sql), "SET TRANSACTION SNAPSHOT %s", lit);
        PQfreemem(lit);
        rc = led__exec(v->s[s].db, begin, err);
        if (rc == ENG_OK) {
            rc = led__exec(v->s[s].db, sql, err);
        }
    }
    /*
     * No JIT compile for plain scans.  Entries and postings come in key order through
     * their primary keys, never a sort of millions of rows (which a planner without
     * statistics, right after a bulk load, may prefer); the small streams sort in memory.
     */
    for (int s = 0; rc == ENG_OK && s < LED_VS_COUNT; s++) {
        rc = led__exec(v->s[s].db, "SET LOCAL jit = off", err);
        if (rc == ENG_OK) {
            rc = led__exec(v->s[s].db, s == LED_VS_ENTRIES || s == LED_VS_POSTINGS
                                           ? "SET LOCAL enable_sort = off"
                                           : "SET LOCAL work_mem = '64MB'", err);
        }
    }
    free(id);
    return rc;
}

eng_status led_verify_open(led_verify_db **out, const char *conninfo, eng_error *err)
{
    led_verify_db *v;
    eng_status rc = ENG_OK;

    assert(out != NULL && conninfo != NULL);
    v = calloc(1, sizeof(*v));
    if (v == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    for (int s = 0; rc == ENG_OK && s < LED_VS_COUNT; s++) {
        rc = led_connect(&v->s[s].db, conninfo, err);
    }
    if (rc == ENG_OK) {
        rc = vs__snapshot(v, err);
    }
    if (rc < 0) {
        led_verify_close(v);
        return rc;
    }
    *out = v;
    return ENG_OK;
}

void led_verify_close(led_verify_db *v)
{
    if (v == NULL) {
        return;
    }
    for (int s = 0; s < LED_VS_COUNT; s++) {
        if (v->s[s].msg != NULL) {
            PQfreemem(v->s[s].msg);
        }
        led_close(v->s[s].db);  /* ends a COPY in progress and the transaction with it */
    }
    free(v);
}

/* ---- Heads and settlements ------------------------------------------------------------ */

/*
 * Every program with a head or with entries (found by skipping through the entries'
 * primary key, one probe per program), with its head.
 */
static const char vs__heads_sql[] =
    "WITH RECURSIVE t(p) AS ("
    "  SELECT min(program) FROM entries"
    "  UNION ALL SELECT (SELECT min(e.program) FROM entries e WHERE e.program > t.p)"
    "  FROM t WHERE t.p IS NOT NULL)"
    " SELECT coalesce(h.program::text, t.p), h.program IS NOT NULL, h.last_seq, h.last_hash,"
    " h.last_claim_id"
    " FROM programs h FULL JOIN (SELECT p FROM t WHERE p IS NOT NULL) t ON t.p = h.program"
    " WHERE $1::text IS NULL OR coalesce(h.program::text, t.p) = $1"
    " ORDER BY 1";

/* Copies row `r` of the heads query into `h`; -1 when a value does not fit. */
static int vs__head(led_verify_head *h, const PGresult *res, int r)
{
    memset(h, 0, sizeof(*h));
    h->has_head = strcmp(PQgetvalue(res, r, 1), "t") == 0;
    if ((size_t)PQgetlength(res, r, 0) > ENG_ID_MAX) {
        return -1;
    }
    memcpy(h->program, PQgetvalue(res, r, 0), (size_t)PQgetlength(res, r, 0));
    if (!h->has_head) {
        return 0;
    }
    snprintf(h->last_hash, sizeof(h->last_hash), "%s", PQgetvalue(res, r, 3));
    return led__parse_long(&h->last_seq, PQgetvalue(res, r, 2)) < 0
                   || led__parse_long(&h->last_claim_id, PQgetvalue(res, r, 4)) < 0
               ? -1
               : 0;
}

eng_status led_verify_heads(led_verify_head **out, size_t *n, led_verify_db *v,
                            const char *program, eng_error *err)
{
    const char *params[1] = {program};
    PGresult *res = NULL;
    led_verify_head *heads;
    eng_status rc;

    assert(out != NULL && n != NULL && v != NULL);
    rc = led__query(&res, v->s[0].db, vs__heads_sql, 1, params, err);
    if (rc < 0) {
        return rc;
    }
    int rows = PQntuples(res);
    heads = calloc((size_t)rows + 1, sizeof(*heads));
    if (heads == NULL) {
        PQclear(res);
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    for (int r = 0; rc == ENG_OK && r < rows; r++) {
        if (vs__head(&heads[r], res, r) < 0) {
            rc = eng_error_set(err, ENG_ERROR, "the head of program %s does not read back",
                               PQgetvalue(res, r, 0));
        }
    }
    PQclear(res);
    if (rc < 0) {
        free(heads);
        return rc;
    }
    *out = heads;
    *n = (size_t)rows;
    return ENG_OK;
}

eng_status led_verify_settlements(led_verify_settlement **out, size_t *n, led_verify_db *v,
                                  const char *program, eng_error *err)
{
    const char *params[1] = {program};
    PGresult *res = NULL;
    led_verify_settlement *rows;
    eng_error e2;
    eng_status rc;

    assert(out != NULL && n != NULL && v != NULL && program != NULL);
    rc = led__query(&res, v->s[0].db, "SELECT settlement_id, to_char(through_date, 'YYYY-MM-DD')"
                    " FROM settlements WHERE program = $1 ORDER BY settlement_id", 1, params,
                    err);
    if (rc < 0) {
        return rc;
    }
    int count = PQntuples(res);
    rows = calloc((size_t)count + 1, sizeof(*rows));
    if (rows == NULL) {
        PQclear(res);
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    for (int r = 0; rc == ENG_OK && r < count; r++) {
        const char *date = PQgetvalue(res, r, 1);
        if (led__parse_long(&rows[r].settlement_id, PQgetvalue(res, r, 0)) < 0
            || eng_date_parse(&rows[r].through_date, date, strlen(date), &e2) != ENG_OK) {
            rc = eng_error_set(err, ENG_ERROR, "settlement %s does not read back",
                               PQgetvalue(res, r, 0));
        }
    }
    PQclear(res);
    if (rc < 0) {
        free(rows);
        return rc;
    }
    *out = rows;
    *n = (size_t)count;
    return ENG_OK;
}
