/*
 * events_csv.c -- the events CSV reader (see events_csv.h).
 *
 * csv_core.c reads the file exactly as for loans_csv.c and hands each row
 * over field by field.  A row is checked in two steps: its kind first, in
 * row_begin (every other field's rule depends on it), then each field in
 * file order against the rules of that kind; row_end checks what spans
 * fields and keeps the row.
 *
 * Memory: a row is 64 bytes; every string lives in the core's arena; loan
 * and party ids are interned (a loan's repayments share one copy of its id).
 */
#include "events_csv.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"

/* The shortest valid row, in bytes: a default with a one-byte event_id and
 * loan_id, `default`, a 10-character date, 7 commas; the file size over it
 * bounds the rows (see cli_csv_append). */
#define ROW_BYTES_MIN 26
#define SHOW_BUF CLI_CSV_SHOW_BUF

_Static_assert(sizeof(cli_event_row) <= 64, "a row must stay compact");
_Static_assert(ENG_ID_MAX == 64, "the id patterns in messages say {1,64}");
_Static_assert(CLI_EV_NCOLS <= CLI_CSV_NAMES_MAX, "the core must hold every event column");

typedef cli_csv reader;

/* What the core's callbacks share: the row being read and its kind. */
typedef struct {
    cli_event_row row;
    int kind;                    /* a cli_event_kind, or -1 when unknown */
} events_ctx;

static const char *const col_names[CLI_EV_NCOLS] = {
    "event_id", "kind", "date", "loan_id", "party", "amount", "interest", "cost",
};

static const char *const kind_names[CLI_EVENT_NKINDS] = {
    "funding", "repayment", "default", "recovery",
};

/* Per kind, what each column must hold. */
enum { FORBID = 0, OPTIONAL, REQUIRE };
static const uint8_t rule[CLI_EVENT_NKINDS][CLI_EV_NCOLS] = {
    /*                  event_id kind     date     loan_id  party    amount   interest  cost */
    [CLI_EVENT_FUNDING] = {REQUIRE, REQUIRE, REQUIRE, FORBID, REQUIRE, REQUIRE, FORBID, FORBID},
    [CLI_EVENT_REPAYMENT] = {REQUIRE, REQUIRE, REQUIRE, REQUIRE, FORBID, REQUIRE, OPTIONAL,
                             FORBID},
    [CLI_EVENT_DEFAULT] = {REQUIRE, REQUIRE, REQUIRE, REQUIRE, FORBID, FORBID, OPTIONAL, FORBID},
    [CLI_EVENT_RECOVERY] = {REQUIRE, REQUIRE, REQUIRE, REQUIRE, FORBID, REQUIRE, FORBID,
                            OPTIONAL},
};

const char *cli_event_col_name(cli_event_col c)
{
    assert(c >= 0 && c < CLI_EV_NCOLS);
    return col_names[c];
}

const char *cli_event_kind_name(cli_event_kind k)
{
    assert(k >= 0 && k < CLI_EVENT_NKINDS);
    return kind_names[k];
}

static int str_same(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int cli_event_same(const cli_event_row *a, const cli_event_row *b)
{
    assert(a != NULL && b != NULL);
    return a->kind == b->kind && a->date == b->date && a->amount == b->amount &&
           a->interest == b->interest && a->cost == b->cost && str_same(a->loan_id, b->loan_id) &&
           str_same(a->party, b->party);
}

/* A field of the current row in the scratch buffer. */
static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* ---- the fields ------------------------------------------------------------------------ */

/* 1 when t[0..n) matches [A-Za-z0-9._-]{1,64}. */
static int is_id(const char *t, size_t n)
{
    int ok = n >= 1 && n <= ENG_ID_MAX;
    for (size_t i = 0; ok && i < n; i++) {
        char ch = t[i];
        ok = is_digit(ch) || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '.' ||
             ch == '_' || ch == '-';
    }
    return ok;
}

static int check_event_id(reader *r, cli_event_row *row, const char *t, size_t n)
{
    char shown[SHOW_BUF];
    if (!is_id(t, n)) {
        return cli_csv_field_err(r, CLI_EV_EVENT_ID,
                                 "invalid id \"%s\": expected [A-Za-z0-9._-]{1,64}",
                                 cli_csv_show(shown, t, n));
    }
    uint32_t first;
    row->event_id = cli_csv_id_record(r, t, n, r->row_line, &first);
    if (row->event_id == NULL) {
        return 0;
    }
    if (first != 0) {
        /* An error about the row, named by the field that identifies it (DESIGN 10). */
        r->failed = 1;
        cli_errlist_add(r->errs, r->name, r->row_line, (uint32_t)r->col[CLI_EV_EVENT_ID],
                        "duplicate event_id \"%s\" (first on line %lu)", row->event_id,
                        (unsigned long)first);
        return 0;
    }
    return 1;
}

/* The kind named by t[0..n), or -1. */
static int kind_lookup(const char *t, size_t n)
{
    for (int k = 0; k < CLI_EVENT_NKINDS; k++) {
        if (strlen(kind_names[k]) == n && memcmp(kind_names[k], t, n) == 0) {
            return k;
        }
    }
    return -1;
}

static int check_loan_id(reader *r, cli_event_row *row, const char *t, size_t n)
{
    char shown[SHOW_BUF];
    if (!is_id(t, n)) {
        return cli_csv_field_err(r, CLI_EV_LOAN_ID,
                                 "invalid id \"%s\": expected [A-Za-z0-9._-]{1,64}",
                                 cli_csv_show(shown, t, n));
    }
    row->loan_id = r->failed ? "" : cli_csv_intern(r, t, n);
    return row->loan_id != NULL;
}

/* A party id as policies spell them, [a-z0-9-]{1,64}. */
static int check_party(reader *r, cli_event_row *row, const char *t, size_t n)
{
    char shown[SHOW_BUF];
    int ok = n >= 1 && n <= ENG_ID_MAX;
    for (size_t i = 0; ok && i < n; i++) {
        ok = is_digit(t[i]) || (t[i] >= 'a' && t[i] <= 'z') || t[i] == '-';
    }
    if (!ok) {
        return cli_csv_field_err(r, CLI_EV_PARTY,
                                 "invalid party id \"%s\": expected [a-z0-9-]{1,64}",
                                 cli_csv_show(shown, t, n));
    }
    row->party = r->failed ? "" : cli_csv_intern(r, t, n);
    return row->party != NULL;
}

/*
 * Checks field `c` (text t[0..n)) of the current row into `row`; `kind` is
 * the row's kind, or -1 when it is unknown (then only the value itself is
 * checked).  Returns 1 when good.
 */
static int check_field(reader *r, cli_event_row *row, int kind, cli_event_col c, const char *t,
                       size_t n)
{
    int want = kind >= 0 ? rule[kind][c] : c <= CLI_EV_DATE ? REQUIRE : OPTIONAL;
    char shown[SHOW_BUF];
    if (n == 0) {
        if (want != REQUIRE) {
            return 1;
        }
        return kind >= 0 && c > CLI_EV_DATE
                   ? cli_csv_field_err(r, c, "a value is required for a %s event", kind_names[kind])
                   : cli_csv_field_err(r, c, "a value is required");
    }
    if (want == FORBID) {
        return cli_csv_field_err(r, c, "must be empty for a %s event, found \"%s\"",
                                 kind_names[kind], cli_csv_show(shown, t, n));
    }
    switch (c) {
    case CLI_EV_EVENT_ID: return check_event_id(r, row, t, n);
    case CLI_EV_KIND: return 1; /* checked first, by row_done */
    case CLI_EV_DATE: return cli_csv_date(r, c, t, n, &row->date);
    case CLI_EV_LOAN_ID: return check_loan_id(r, row, t, n);
    case CLI_EV_PARTY: return check_party(r, row, t, n);
    case CLI_EV_AMOUNT: return cli_csv_money(r, c, t, n, want == REQUIRE, &row->amount);
    case CLI_EV_INTEREST:
        row->has_interest = 1;
        return cli_csv_money(r, c, t, n, 0, &row->interest);
    case CLI_EV_COST:
        row->has_cost = 1;
        return cli_csv_money(r, c, t, n, 0, &row->cost);
    case CLI_EV_NCOLS: break;
    }
    assert(0 && "not an event column");
    return 0;
}


/* ---- the core's callbacks -------------------------------------------------------------- */

/* The kind first: it decides what the other fields must hold.  Its own error
 * is reported in its turn (on_event_field), so errors come in column order. */
static void row_begin(reader *r, void *ctx)
{
    events_ctx *x = ctx;
    int kc = r->col[CLI_EV_KIND] - 1;
    memset(&x->row, 0, sizeof(x->row));
    x->row.line = r->row_line;
    x->kind = -1;
    if (!r->bad_enc[kc]) {
        x->kind = kind_lookup(r->scratch + r->f[kc].off, r->f[kc].len);
    }
    x->row.kind = (uint8_t)(x->kind >= 0 ? x->kind : 0);
}

static int on_event_field(reader *r, void *ctx, int c, const char *t, size_t n)
{
    events_ctx *x = ctx;
    char shown[SHOW_BUF];
    if (c == CLI_EV_KIND && x->kind < 0) {
        return n == 0 ? cli_csv_field_err(r, c, "a value is required")
                      : cli_csv_field_err(r, c, "unknown value \"%s\" (expected "
                                          "funding|repayment|default|recovery)",
                                          cli_csv_show(shown, t, n));
    }
    return check_field(r, &x->row, x->kind, (cli_event_col)c, t, n);
}

static void row_end(reader *r, void *ctx, int ok)
{
    events_ctx *x = ctx;
    const cli_event_row *row = &x->row;
    if (x->kind == CLI_EVENT_RECOVERY && ok && row->cost > row->amount) {
        char amount[ENG_FEN_TEXT], cost[ENG_FEN_TEXT];
        eng_fen_format(amount, sizeof(amount), row->amount);
        eng_fen_format(cost, sizeof(cost), row->cost);
        ok = cli_csv_field_err(r, CLI_EV_COST, "%s is more than the amount recovered, %s", cost,
                               amount);
    }
    if (ok && !r->failed && !r->oom) {
        cli_csv_append(r, row);
    }
}

static const cli_csv_spec events_spec = {
    .col_names = col_names,
    .n_names = CLI_EV_NCOLS,
    .optional = 0,
    .id_col = CLI_EV_EVENT_ID,
    .rows_max = CLI_EVENTS_ROWS_MAX,
    .rows_noun = "events",
    .row_bytes_min = ROW_BYTES_MIN,
    .row_size = sizeof(cli_event_row),
    .row_begin = row_begin,
    .field = on_event_field,
    .row_end = row_end,
};

/* ---- the reader ------------------------------------------------------------------------ */

eng_status cli_events_read(cli_event_file *out, const char *path, const char *encoding,
                           cli_errlist *errs)
{
    events_ctx x;
    cli_csv_result res;

    assert(out != NULL && path != NULL && errs != NULL);
    memset(out, 0, sizeof(*out));
    eng_status rc = cli_csv_read(&events_spec, &x, path, encoding, errs, &res);
    if (rc == ENG_OK) {
        out->rows = res.rows;
        out->n_rows = res.n_rows;
        memcpy(out->col, res.col, sizeof(out->col));
        out->n_cols = res.n_cols;
        out->blocks = res.blocks;
    }
    return rc;
}

void cli_events_free(cli_event_file *f)
{
    cli_csv_blocks_free(f->blocks);
    free(f->rows);
    memset(f, 0, sizeof(*f));
}
