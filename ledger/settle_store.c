/* settle_store.c -- the ledger side of `settle` (see settle_store.h). */
#include "settle_store.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copy.h"
#include "pg_int.h"

/* Bytes of one COPY row of settlement_payments: a program id and four numbers. */
#define SETTLE__ROW_MAX 512

#if SETTLE__ROW_MAX < ENG_ID_MAX * 2 + 5 * 24 + ENG_FEN_TEXT * 2
#error "SETTLE__ROW_MAX must hold the longest settlement_payments row"
#endif

/* Parses a fen amount from the ledger's text; a failure means the schema changed. */
static eng_status settle__fen(eng_fen *out, const char *text, eng_error *err)
{
    if (eng_money_parse(out, text, strlen(text), err) != ENG_OK) {
        return eng_error_set(err, ENG_EDB, "unexpected amount from the ledger: %.40s", text);
    }
    return ENG_OK;
}

static eng_status settle__date(eng_date *out, const char *text, eng_error *err)
{
    if (eng_date_parse(out, text, strlen(text), err) != ENG_OK) {
        return eng_error_set(err, ENG_EDB, "unexpected date from the ledger: %.40s", text);
    }
    return ENG_OK;
}

/* Copies `value` into a fixed field of `size` bytes; -1 when it does not fit. */
static int settle__copy(char *out, size_t size, const char *value)
{
    size_t n = strlen(value);

    if (n >= size) {
        return -1;
    }
    memcpy(out, value, n + 1);
    return 0;
}

/* Reads the (settlement_id, through_date) row of `sql`, if any, into *out_id, *out_through. */
static eng_status settle__one(long *out_id, eng_date *out_through, led_db *db, const char *sql,
                              int n_params, const char *const *params, eng_error *err)
{
    PGresult *res = NULL;
    long id = 0;
    eng_date through = 0;
    eng_status rc;

    assert(out_id != NULL && out_through != NULL);
    assert(db != NULL && sql != NULL);
    rc = led__query(&res, db, sql, n_params, params, err);
    if (rc < 0) {
        return rc;
    }
    if (PQntuples(res) == 1) {
        if (led__parse_long(&id, PQgetvalue(res, 0, 0)) < 0 || id <= 0) {
            rc = eng_error_set(err, ENG_EDB, "unexpected settlement id from the ledger");
        } else {
            rc = settle__date(&through, PQgetvalue(res, 0, 1), err);
        }
    }
    PQclear(res);
    if (rc < 0) {
        return rc;
    }
    *out_id = id;
    if (id > 0) {
        *out_through = through;
    }
    return ENG_OK;
}

eng_status led_settle_last(long *out_id, eng_date *out_through, led_db *db, const char *program,
                           eng_error *err)
{
    const char *params[1] = {program};

    assert(program != NULL);
    return settle__one(out_id, out_through, db, "SELECT settlement_id, through_date::text"
                       " FROM settlements WHERE program = $1 ORDER BY through_date DESC LIMIT 1",
                       1, params, err);
}

eng_status led_settle_blocking(long *out_id, eng_date *out_through, led_db *db,
                               const char *program, eng_date through, eng_error *err)
{
    char date[11];
    const char *params[2] = {program, date};

    assert(program != NULL);
    eng_date_format(date, through);
    return settle__one(out_id, out_through, db, "SELECT settlement_id, through_date::text"
                       " FROM settlements WHERE program = $1 AND through_date >= $2::date"
                       " ORDER BY through_date = $2::date DESC, through_date DESC LIMIT 1",
                       2, params, err);
}

/* Claims with something open through $2, by payer then claim order (DESIGN 6). */
static const char open_claims_sql[] =
    "SELECT c.claim_id, c.kind, c.loan_id, c.payer, c.payee, c.claim_date::text,"
    " (c.amount - coalesce(p.paid, 0))::text"
    " FROM claims c"
    " LEFT JOIN (SELECT claim_id, sum(paid) AS paid FROM settlement_payments"
    "             WHERE program = $1 GROUP BY claim_id) p ON p.claim_id = c.claim_id"
    " WHERE c.program = $1 AND c.claim_date <= $2::date AND c.amount > coalesce(p.paid, 0)"
    " ORDER BY c.payer, c.claim_date, c.loan_id,"
    " CASE c.kind WHEN 'compensation' THEN 0 WHEN 'fee_subsidy' THEN 1 ELSE 2 END, c.claim_id";

/* Fills `c` from row `r` of the result of open_claims_sql. */
static eng_status settle__claim_row(led_settle_claim *c, const PGresult *res, int r,
                                    eng_error *err)
{
    int kind = eng_claim_kind_from_name(PQgetvalue(res, r, 1));
    eng_status rc;

    if (led__parse_long(&c->claim_id, PQgetvalue(res, r, 0)) < 0 || c->claim_id <= 0
        || kind < 0 || settle__copy(c->loan_id, sizeof(c->loan_id), PQgetvalue(res, r, 2)) < 0
        || settle__copy(c->payer, sizeof(c->payer), PQgetvalue(res, r, 3)) < 0
        || settle__copy(c->payee, sizeof(c->payee), PQgetvalue(res, r, 4)) < 0) {
        return eng_error_set(err, ENG_EDB, "unexpected claim from the ledger (row %d)", r + 1);
    }
    c->kind = (eng_claim_kind)kind;
    rc = settle__date(&c->claim_date, PQgetvalue(res, r, 5), err);
    if (rc == ENG_OK) {
        rc = settle__fen(&c->open, PQgetvalue(res, r, 6), err);
    }
    if (rc == ENG_OK && c->open <= 0) {
        rc = eng_error_set(err, ENG_EDB, "claim %ld reads back with nothing open", c->claim_id);
    }
    return rc;
}

eng_status led_settle_open_claims(led_settle_claim **out, size_t *out_n, led_db *db,
                                  const char *program, eng_date through, eng_error *err)
{
    char date[11];
    const char *params[2] = {program, date};
    PGresult *res = NULL;
    led_settle_claim *claims = NULL;
    size_t n;
    eng_status rc;

    assert(out != NULL && out_n != NULL);
    assert(db != NULL && program != NULL);
    eng_date_format(date, through);
    /* Sort and aggregate a settlement's claims in memory: with the default 4 MB, 100,000
       claims spilled to disk and took three times as long. */
    rc = led__exec(db, "SET LOCAL work_mem = '256MB'", err);
    if (rc == ENG_OK) {
        rc = led__query(&res, db, open_claims_sql, 2, params, err);
    }
    if (rc < 0) {
        return rc;
    }
    n = (size_t)PQntuples(res);
    if (n > 0) {
        claims = calloc(n, sizeof(*claims));
        rc = claims != NULL ? ENG_OK : eng_error_set(err, ENG_ERROR, "out of memory");
    }
    for (size_t i = 0; rc == ENG_OK && i < n; i++) {
        rc = settle__claim_row(&claims[i], res, (int)i, err);
    }
    PQclear(res);
    if (rc < 0) {
        free(claims);
        return rc;
    }
    *out = claims;
    *out_n = n;
    return ENG_OK;
}

/* A text[] literal {"a","b"} of ids ([A-Za-z0-9._-], nothing to escape); NULL: no memory. */
static char *settle__array(const char *const *items, size_t n)
{
    size_t len = 3, pos = 0;
    char *s;

    for (size_t i = 0; i < n; i++) {
        len += strlen(items[i]) + 3;
    }
    s = malloc(len);
    if (s == NULL) {
        return NULL;
    }
    s[pos++] = '{';
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(items[i]);
        assert(strpbrk(items[i], "\"\\,{} ") == NULL);
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
    assert(pos < len);
    return s;
}

/* The cash balance of each pool over entries dated on or before $3. */
static const char cash_sql[] =
    "SELECT p.party, sum(CASE p.side WHEN 'debit' THEN p.amount ELSE -p.amount END)::text"
    " FROM postings p JOIN entries e ON e.program = p.program AND e.seq = p.seq"
    " WHERE p.program = $1 AND p.kind = 'cash' AND p.party = ANY($2::text[])"
    " AND e.business_date <= $3::date GROUP BY p.party";

eng_status led_settle_cash(eng_fen *out, led_db *db, const char *program,
                           const char *const *pools, size_t n, eng_date through,
                           eng_error *err)
{
    char date[11];
    char *arr;
    PGresult *res = NULL;
    eng_status rc;

    assert(out != NULL || n == 0);
    assert(db != NULL && program != NULL);
    for (size_t i = 0; i < n; i++) {
        out[i] = 0;
    }
    if (n == 0) {
        return ENG_OK;
    }
    arr = settle__array(pools, n);
    if (arr == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    eng_date_format(date, through);
    const char *params[3] = {program, arr, date};
    rc = led__query(&res, db, cash_sql, 3, params, err);
    free(arr);
    if (rc < 0) {
        return rc;
    }
    for (int r = 0; rc == ENG_OK && r < PQntuples(res); r++) {
        const char *party = PQgetvalue(res, r, 0);
        eng_fen cash = 0;
        if (eng_money_parse(&cash, PQgetvalue(res, r, 1), strlen(PQgetvalue(res, r, 1)), err)
            != ENG_OK) {
            rc = eng_error_set(err, ENG_ELIMIT, "the cash of pool %s is beyond the largest "
                               "amount allowed", party);
        }
        for (size_t i = 0; rc == ENG_OK && i < n; i++) {
            out[i] = strcmp(pools[i], party) == 0 ? cash : out[i];
        }
    }
    PQclear(res);
    return rc;
}

/* ---- Recording ------------------------------------------------------------------------ */

/* The journal source: item i is claim i, one entry when it is paid, else none. */
typedef struct {
    const led_settle_record_spec *spec;
    long settlement_id;
} settle__source_ctx;

static eng_status settle__entry(void *ctx, size_t item, led_entry *out, size_t cap,
                                size_t *n_out, eng_error *err)
{
    const settle__source_ctx *s = ctx;
    const led_settle_record_spec *spec = s->spec;
    const led_settle_claim *c = &spec->claims[item];
    eng_fen y = spec->paid[item];

    (void)err;
    assert(item < spec->n_claims && cap >= 1);
    assert(y >= 0 && y <= c->open);
    *n_out = 0;
    if (y == 0) {
        return ENG_OK;              /* DESIGN 10: no zero posting leg is recorded */
    }
    memset(out, 0, sizeof(*out));
    out->kind = "settlement_payment";
    out->policy_version = spec->policy_version;
    for (size_t i = 0; i < spec->n_rule_ids; i++) {
        out->rule_ids[i] = spec->rule_ids[i];
    }
    out->n_rule_ids = spec->n_rule_ids;
    out->loan_id = c->loan_id;
    out->settlement_id = s->settlement_id;
    out->business_date = spec->through;
    out->legs[0] = (led_leg){c->payer, "payable", 1, y};
    out->legs[1] = (led_leg){c->payer, "cash", 0, y};
    out->n_legs = 2;
    if (strncmp(c->payee, "borrower:", 9) != 0) {
        /* A party claimant: its receivable turns into cash (DESIGN 7). */
        out->legs[2] = (led_leg){c->payee, "cash", 1, y};
        out->legs[3] = (led_leg){c->payee, "receivable", 0, y};
        out->n_legs = 4;
    }
    *n_out = 1;
    return ENG_OK;
}

/* Inserts the settlements row; a run through the same or an earlier date is a conflict. */
static eng_status settle__insert(long *out_id, led_db *db, const led_settle_record_spec *spec,
                                 eng_error *err)
{
    char date[11];
    const char *params[3] = {spec->program, date, spec->period};
    PGresult *res = NULL;
    long id = 0;
    eng_status rc;

    eng_date_format(date, spec->through);
    rc = led__query(&res, db, "INSERT INTO settlements (program, through_date, period)"
                    " VALUES ($1, $2::date, $3) RETURNING settlement_id", 3, params, err);
    if (rc < 0) {
        if (strcmp(err->sqlstate, "23505") == 0) {
            rc = ENG_ECONFLICT;     /* settlement_after_last, or the unique through date */
            err->code = rc;
        }
        return rc;
    }
    if (PQntuples(res) != 1 || led__parse_long(&id, PQgetvalue(res, 0, 0)) < 0 || id <= 0) {
        rc = eng_error_set(err, ENG_EDB, "the new settlement's id does not read back");
    }
    PQclear(res);
    if (rc == ENG_OK) {
        *out_id = id;
    }
    return rc;
}

/* COPYs a settlement_payments row for every claim; paid claims name their entry. */
static eng_status settle__payments(led_db *db, const led_settle_record_spec *spec, long id,
                                   long first_seq, eng_error *err)
{
    char line[SETTLE__ROW_MAX];
    led_copy_row row;
    long seq = first_seq;
    eng_status rc;

    rc = led_copy_begin(db, "COPY settlement_payments (program, settlement_id, claim_id,"
                        " open_before, paid, seq) FROM STDIN", err);
    for (size_t i = 0; rc == ENG_OK && i < spec->n_claims; i++) {
        led_copy_row_init(&row, line, sizeof(line));
        led_copy_row_text(&row, spec->program);
        led_copy_row_long(&row, id);
        led_copy_row_long(&row, spec->claims[i].claim_id);
        led_copy_row_fen(&row, spec->claims[i].open);
        led_copy_row_fen(&row, spec->paid[i]);
        if (spec->paid[i] > 0) {
            led_copy_row_long(&row, seq++);
        } else {
            led_copy_row_text(&row, NULL);
        }
        rc = led_copy_row_put(db, &row, err);
    }
    if (rc < 0) {
        led_copy_abort(db, "settlement payments not recorded");
        return rc;
    }
    return led_copy_end(db, err);
}

eng_status led_settle_record(long *out_id, led_db *db, led_journal *j,
                             const led_settle_record_spec *spec, eng_error *err)
{
    settle__source_ctx ctx = {spec, 0};
    long first_seq, paid_claims = 0;
    eng_status rc;

    assert(out_id != NULL && db != NULL && j != NULL && spec != NULL);
    assert(spec->n_rule_ids <= 2 && (spec->claims != NULL || spec->n_claims == 0));
    for (size_t i = 0; i < spec->n_claims; i++) {
        assert(spec->paid[i] >= 0 && spec->paid[i] <= spec->claims[i].open);
        paid_claims += spec->paid[i] > 0;
    }
    rc = led_exec_params(db, "SET LOCAL ROLE finance", 0, NULL, err);
    if (rc == ENG_OK) {
        rc = settle__insert(&ctx.settlement_id, db, spec, err);
    }
    first_seq = led_journal_last_seq(j) + 1;
    if (rc == ENG_OK) {
        rc = led_journal_write(j, spec->n_claims, settle__entry, &ctx, err);
    }
    if (rc == ENG_OK && led_journal_last_seq(j) != first_seq - 1 + paid_claims) {
        rc = eng_error_set(err, ENG_ERROR, "the settlement wrote %ld entries for %ld paid "
                           "claims", led_journal_last_seq(j) - first_seq + 1, paid_claims);
    }
    if (rc == ENG_OK && spec->n_claims > 0) {
        rc = settle__payments(db, spec, ctx.settlement_id, first_seq, err);
    }
    if (rc == ENG_OK) {
        *out_id = ctx.settlement_id;
    }
    return rc;
}
