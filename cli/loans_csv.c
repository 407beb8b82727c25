/*
 * loans_csv.c -- the loans CSV reader (see loans_csv.h).
 *
 * csv_core.c reads the file (chunks, encoding, libcsv, lines, the header,
 * the arena) and hands each row over field by field: check_field checks a
 * field into the row being read and row_end keeps the row.
 *
 * Memory, for a million rows in well under 512 MiB: a row is 120 bytes; every
 * string lives in the core's arena; the columns with few distinct values
 * (sector, grade, bank, guarantor, rates) are interned, so a million loans of
 * one bank store "zzbank" once.
 *
 * Speed (about 200 bytes a row): libcsv's byte loop is the floor, so the rest
 * avoids GMP for the usual ratio texts (fast_ratio accepts them, anything
 * else goes to eng_num_parse, which gives the exact messages).
 */
#include "loans_csv.h"

#include <assert.h>
#include <gmp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "limits.h"
#include "uscc.h"

/* The shortest valid row, in bytes: 15 one-byte fields but an 18-character
 * code, a 10-character date, 4-character tech_status and first_loan, 14
 * commas; the file size over it bounds the rows (see cli_csv_append). */
#define ROW_BYTES_MIN 59
#define SHOW_BUF CLI_CSV_SHOW_BUF
#define TERM_MONTHS_MAX 360

_Static_assert(sizeof(cli_loan_row) <= 120, "a row must stay compact: 1M rows in the budget");
_Static_assert(ENG_ID_MAX == 64, "the id patterns in messages say {1,64}");
_Static_assert(CLI_LOAN_NCOLS <= CLI_CSV_NAMES_MAX, "the core must hold every loan column");

typedef cli_csv reader;

/* What the core's callbacks share: the row being read. */
typedef struct {
    cli_loan_row row;
    mpq_t q;
} loans_ctx;

static const char *const col_names[CLI_LOAN_NCOLS] = {
    "loan_id", "borrower_code", "borrower_name", "tech_status", "sector", "credit_grade",
    "revenue", "bank", "guarantor", "principal", "annual_rate", "collateral_ratio",
    "start_date", "term_months", "first_loan", "fee_rate",
};

static const char *const tech_statuses[] = {
    "hnte", "tech_sme", "specialized_sme", "little_giant", "none",
};

const char *cli_loan_col_name(cli_loan_col c)
{
    assert(c >= 0 && c < CLI_LOAN_NCOLS);
    return col_names[c];
}

/* A field of the current row in the scratch buffer. */
static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/*
 * The string kept for a value: interned for the low-variety columns, copied
 * for the others, and not kept at all ("") once the file has failed.  NULL
 * when out of memory.
 */
static const char *keep(reader *r, cli_loan_col c, const char *s, size_t n)
{
    if (r->failed) {
        return "";
    }
    if (c == CLI_LOAN_BORROWER_CODE || c == CLI_LOAN_BORROWER_NAME) {
        return cli_csv_copy(r, s, n);
    }
    return cli_csv_intern(r, s, n);
}

/* ---- numbers --------------------------------------------------------------------------- */

/*
 * 1 when `t` is `D{1,3}` or `D{1,3}.D{1,27}` with a value in 0..1, or the same
 * followed by `%` with a value in 0..100: text eng_num_parse accepts (at
 * most 30 digits), in range.  0 for anything else, which is checked with GMP.
 */
static int fast_ratio(const char *t, size_t n)
{
    int percent = n > 0 && t[n - 1] == '%';
    size_t m = n - (size_t)percent, i = 0;
    unsigned whole = 0, limit = percent ? 100 : 1;
    while (i < m && i < 4 && is_digit(t[i])) {
        whole = whole * 10 + (unsigned)(t[i] - '0');
        i++;
    }
    if (i == 0 || i > 3 || whole > limit) {
        return 0;
    }
    if (i == m) {
        return 1;
    }
    if (t[i] != '.' || m - i - 1 == 0 || m - i - 1 > 27) {
        return 0;
    }
    for (size_t k = i + 1; k < m; k++) {
        if (!is_digit(t[k]) || (whole == limit && t[k] != '0')) {
            return 0;
        }
    }
    return 1;
}

/* Checks a ratio field (a number in 0..1) and keeps its text in `*out`. */
static int check_ratio(reader *r, cli_loan_col c, const char *t, size_t n, const char **out)
{
    char shown[SHOW_BUF];
    if (!fast_ratio(t, n)) {
        eng_error e;
        mpq_ptr q = ((loans_ctx *)r->ctx)->q;
        if (!cli_csv_printable(t, n)) {
            return cli_csv_field_err(r, c, "invalid number \"%s\": expected a decimal, a "
                                     "percentage or a fraction", cli_csv_show(shown, t, n));
        }
        eng_error_clear(&e);
        if (eng_num_parse(q, t, n, &e) != ENG_OK) {
            return cli_csv_field_err(r, c, "%s", e.message);
        }
        if (mpq_sgn(q) < 0 || mpq_cmp_ui(q, 1, 1) > 0) {
            return cli_csv_field_err(r, c, "%s is not a ratio between 0 and 1",
                                     cli_csv_show(shown, t, n));
        }
    }
    *out = keep(r, c, t, n);
    return *out != NULL;
}

/* ---- the other fields ------------------------------------------------------------------ */

static int check_loan_id(reader *r, cli_loan_row *row, const char *t, size_t n)
{
    char shown[SHOW_BUF];
    int ok = n >= 1 && n <= ENG_ID_MAX;
    for (size_t i = 0; ok && i < n; i++) {
        char ch = t[i];
        ok = is_digit(ch) || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '.' ||
             ch == '_' || ch == '-';
    }
    if (!ok) {
        return cli_csv_field_err(r, CLI_LOAN_LOAN_ID,
                                 "invalid id \"%s\": expected [A-Za-z0-9._-]{1,64}",
                                 cli_csv_show(shown, t, n));
    }
    uint32_t first;
    row->loan_id = cli_csv_id_record(r, t, n, r->row_line, &first);
    if (row->loan_id == NULL) {
        return 0;
    }
    if (first != 0) {
        /* An error about the row, named by the field that identifies it (DESIGN 10). */
        r->failed = 1;
        cli_errlist_add(r->errs, r->name, r->row_line, (uint32_t)r->col[CLI_LOAN_LOAN_ID],
                        "duplicate loan_id \"%s\" (first on line %lu)", row->loan_id,
                        (unsigned long)first);
        return 0;
    }
    return 1;
}

/* bank and guarantor: a party id as policies spell them, [a-z0-9-]{1,64}. */
static int check_party(reader *r, cli_loan_col c, const char *t, size_t n, const char **out)
{
    char shown[SHOW_BUF];
    int ok = n >= 1 && n <= ENG_ID_MAX;
    for (size_t i = 0; ok && i < n; i++) {
        ok = is_digit(t[i]) || (t[i] >= 'a' && t[i] <= 'z') || t[i] == '-';
    }
    if (!ok) {
        return cli_csv_field_err(r, c, "invalid party id \"%s\": expected [a-z0-9-]{1,64}",
                                 cli_csv_show(shown, t, n));
    }
    *out = keep(r, c, t, n);
    return *out != NULL;
}

/* borrower_name, sector, credit_grade: any UTF-8 text without NUL bytes. */
static int check_text(reader *r, cli_loan_col c, const char *t, size_t n, const char **out)
{
    char shown[SHOW_BUF];
    if (memchr(t, '\0', n) != NULL) {
        return cli_csv_field_err(r, c, "NUL byte in \"%s\"", cli_csv_show(shown, t, n));
    }
    if (!cli_csv_utf8_valid(t, n)) {
        return cli_csv_field_err(r, c,
                                 "invalid UTF-8 in \"%s\" (for a GBK file use --encoding gbk)",
                                 cli_csv_show(shown, t, n));
    }
    *out = keep(r, c, t, n);
    return *out != NULL;
}

static int check_code(reader *r, cli_loan_row *row, const char *t, size_t n)
{
    char shown[SHOW_BUF], why_buf[96];
    const char *why = eng_uscc_check(t, n, why_buf, sizeof(why_buf));
    if (why != NULL) {
        return cli_csv_field_err(r, CLI_LOAN_BORROWER_CODE, "invalid credit code \"%s\": %s",
                                 cli_csv_show(shown, t, n), why);
    }
    row->borrower_code = keep(r, CLI_LOAN_BORROWER_CODE, t, n);
    return row->borrower_code != NULL;
}

static int check_tech_status(reader *r, cli_loan_row *row, const char *t, size_t n)
{
    char shown[SHOW_BUF];
    for (size_t i = 0; i < sizeof(tech_statuses) / sizeof(tech_statuses[0]); i++) {
        if (strlen(tech_statuses[i]) == n && memcmp(tech_statuses[i], t, n) == 0) {
            row->tech_status = tech_statuses[i];
            return 1;
        }
    }
    return cli_csv_field_err(r, CLI_LOAN_TECH_STATUS,
                             "unknown value \"%s\" (expected hnte|tech_sme|specialized_sme"
                             "|little_giant|none)", cli_csv_show(shown, t, n));
}

static int check_term(reader *r, cli_loan_row *row, const char *t, size_t n)
{
    char shown[SHOW_BUF];
    int32_t v = 0;
    int ok = n >= 1 && n <= 6;
    for (size_t i = 0; ok && i < n; i++) {
        ok = is_digit(t[i]);
        v = v * 10 + (t[i] - '0');
    }
    if (!ok || v < 1 || v > TERM_MONTHS_MAX) {
        return cli_csv_field_err(r, CLI_LOAN_TERM_MONTHS,
                                 "expected an integer from 1 to %d, found \"%s\"",
                                 TERM_MONTHS_MAX, cli_csv_show(shown, t, n));
    }
    row->term_months = v;
    return 1;
}

/* `true` or `false`, in any case: Excel rewrites them as TRUE and FALSE. */
static int check_bool(reader *r, cli_loan_row *row, const char *t, size_t n)
{
    char shown[SHOW_BUF];
    if (n == 4 && strncasecmp(t, "true", 4) == 0) {
        row->first_loan = 1;
    } else if (n == 5 && strncasecmp(t, "false", 5) == 0) {
        row->first_loan = 0;
    } else {
        return cli_csv_field_err(r, CLI_LOAN_FIRST_LOAN, "expected true or false, found \"%s\"",
                                 cli_csv_show(shown, t, n));
    }
    return 1;
}

/* Checks field `c` (text t[0..n)) of the current row into `row`; 1 when good. */
static int check_field(reader *r, cli_loan_row *row, cli_loan_col c, const char *t, size_t n)
{
    int optional = c == CLI_LOAN_REVENUE || c == CLI_LOAN_GUARANTOR || c == CLI_LOAN_FEE_RATE;
    if (n == 0) {
        return optional ? 1 : cli_csv_field_err(r, c, "a value is required");
    }
    switch (c) {
    case CLI_LOAN_LOAN_ID: return check_loan_id(r, row, t, n);
    case CLI_LOAN_BORROWER_CODE: return check_code(r, row, t, n);
    case CLI_LOAN_BORROWER_NAME: return check_text(r, c, t, n, &row->borrower_name);
    case CLI_LOAN_TECH_STATUS: return check_tech_status(r, row, t, n);
    case CLI_LOAN_SECTOR: return check_text(r, c, t, n, &row->sector);
    case CLI_LOAN_CREDIT_GRADE: return check_text(r, c, t, n, &row->credit_grade);
    case CLI_LOAN_REVENUE:
        row->has_revenue = 1;
        return cli_csv_money(r, c, t, n, 0, &row->revenue);
    case CLI_LOAN_BANK: return check_party(r, c, t, n, &row->bank);
    case CLI_LOAN_GUARANTOR: return check_party(r, c, t, n, &row->guarantor);
    case CLI_LOAN_PRINCIPAL: return cli_csv_money(r, c, t, n, 1, &row->principal);
    case CLI_LOAN_ANNUAL_RATE: return check_ratio(r, c, t, n, &row->annual_rate);
    case CLI_LOAN_COLLATERAL_RATIO: return check_ratio(r, c, t, n, &row->collateral_ratio);
    case CLI_LOAN_START_DATE: return cli_csv_date(r, c, t, n, &row->start_date);
    case CLI_LOAN_TERM_MONTHS: return check_term(r, row, t, n);
    case CLI_LOAN_FIRST_LOAN: return check_bool(r, row, t, n);
    case CLI_LOAN_FEE_RATE: return check_ratio(r, c, t, n, &row->fee_rate);
    case CLI_LOAN_NCOLS: break;
    }
    assert(0 && "not a loan column");
    return 0;
}


/* ---- the core's callbacks -------------------------------------------------------------- */

static void row_begin(reader *r, void *ctx)
{
    loans_ctx *x = ctx;
    memset(&x->row, 0, sizeof(x->row));
    x->row.line = r->row_line;
}

static int on_loan_field(reader *r, void *ctx, int c, const char *t, size_t n)
{
    loans_ctx *x = ctx;
    return check_field(r, &x->row, (cli_loan_col)c, t, n);
}

static void row_end(reader *r, void *ctx, int ok)
{
    loans_ctx *x = ctx;
    if (ok && !r->failed && !r->oom) {
        cli_csv_append(r, &x->row);
    }
}

static const cli_csv_spec loans_spec = {
    .col_names = col_names,
    .n_names = CLI_LOAN_NCOLS,
    .optional = 1u << CLI_LOAN_FEE_RATE,
    .id_col = CLI_LOAN_LOAN_ID,
    .rows_max = CLI_LOANS_ROWS_MAX,
    .rows_noun = "loans",
    .row_bytes_min = ROW_BYTES_MIN,
    .row_size = sizeof(cli_loan_row),
    .row_begin = row_begin,
    .field = on_loan_field,
    .row_end = row_end,
};

/* ---- the reader ------------------------------------------------------------------------ */

eng_status cli_loans_read(cli_loan_file *out, const char *path, const char *encoding,
                          cli_errlist *errs)
{
    loans_ctx x;
    cli_csv_result res;

    assert(out != NULL && path != NULL && errs != NULL);
    memset(out, 0, sizeof(*out));
    mpq_init(x.q);
    eng_status rc = cli_csv_read(&loans_spec, &x, path, encoding, errs, &res);
    mpq_clear(x.q);
    if (rc == ENG_OK) {
        out->rows = res.rows;
        out->n_rows = res.n_rows;
        memcpy(out->col, res.col, sizeof(out->col));
        out->n_cols = res.n_cols;
        out->blocks = res.blocks;
    }
    return rc;
}

void cli_loans_free(cli_loan_file *f)
{
    cli_csv_blocks_free(f->blocks);
    free(f->rows);
    memset(f, 0, sizeof(*f));
}
