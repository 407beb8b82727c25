/* settle_xlsx.c -- a settlement statement as an Excel workbook (see settle_xlsx.h). */
#include "settle_xlsx.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

/* Excel's limit on a sheet name. */
#define XLSX__SHEET_NAME_MAX 31

/* The formats of a statement. */
typedef struct {
    lxw_format *title;
    lxw_format *head;
    lxw_format *money;
    lxw_format *date;
    lxw_format *total;
    lxw_format *total_money;
} xlsx__formats;

/* One payee's line of the summary. */
typedef struct {
    const char *payee;
    size_t claims;
    eng_fen open_before, paid, open_after;
} xlsx__payee;

static const char *const claim_heads[] = {
    "索赔编号 Claim ID", "贷款编号 Loan ID", "类型 Kind", "付款方 Payer", "收款方 Payee",
    "索赔日期 Claim date", "结算前未付 Open before", "本次支付 Paid", "结算后未付 Open after",
};
static const double claim_widths[] = {12, 18, 18, 16, 30, 14, 20, 16, 20};

static const char *const summary_heads[] = {
    "收款方 Payee", "索赔笔数 Claims", "结算前未付 Open before", "本次支付 Paid",
    "结算后未付 Open after",
};
static const double summary_widths[] = {30, 14, 20, 16, 20};

/* Money as a cell number: the only place a fen amount becomes a double (Excel's cell type). */
static double xlsx__number(eng_fen fen)
{
    return (double)fen / 100.0;
}

static lxw_error xlsx__money(lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, eng_fen v,
                             lxw_format *f)
{
    return worksheet_write_number(ws, r, c, xlsx__number(v), f);
}

static lxw_error xlsx__date(lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, eng_date d,
                            lxw_format *f)
{
    lxw_datetime dt = {0, 0, 0, 0, 0, 0.0};
    int y, m, day;

    eng_date_to_ymd(d, &y, &m, &day);
    dt.year = y;
    dt.month = m;
    dt.day = day;
    return worksheet_write_datetime(ws, r, c, &dt, f);
}

/* Row 0: program, through date, settlement id or preview; then the header row 2. */
static lxw_error xlsx__top(lxw_worksheet *ws, const cli_settle_statement *st,
                           const char *what, const char *const *heads, const double *widths,
                           size_t n_cols, const xlsx__formats *fm)
{
    char title[512], through[11], id[32];
    lxw_error e;

    eng_date_format(through, st->through);
    if (st->settlement_id > 0) {
        snprintf(id, sizeof(id), "%ld", st->settlement_id);
    } else {
        snprintf(id, sizeof(id), "preview 预览");
    }
    snprintf(title, sizeof(title), "%s · 项目 Program: %s · 结算截至 Through: %s · "
             "结算编号 Settlement: %s · 不足分配 Shortfall: %s", what, st->program, through, id,
             st->shortfall);
    e = worksheet_write_string(ws, 0, 0, title, fm->title);
    for (size_t c = 0; e == LXW_NO_ERROR && c < n_cols; c++) {
        e = worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, widths[c], NULL);
        if (e == LXW_NO_ERROR) {
            e = worksheet_write_string(ws, 2, (lxw_col_t)c, heads[c], fm->head);
        }
    }
    return e;
}

/* One claim row of a pool sheet. */
static lxw_error xlsx__claim_row(lxw_worksheet *ws, lxw_row_t r, const led_settle_claim *c,
                                 eng_fen paid, const xlsx__formats *fm)
{
    lxw_error e = worksheet_write_number(ws, r, 0, (double)c->claim_id, NULL);

    e = e ? e : worksheet_write_string(ws, r, 1, c->loan_id, NULL);
    e = e ? e : worksheet_write_string(ws, r, 2, eng_claim_kind_name(c->kind), NULL);
    e = e ? e : worksheet_write_string(ws, r, 3, c->payer, NULL);
    e = e ? e : worksheet_write_string(ws, r, 4, c->payee, NULL);
    e = e ? e : xlsx__date(ws, r, 5, c->claim_date, fm->date);
    e = e ? e : xlsx__money(ws, r, 6, c->open, fm->money);
    e = e ? e : xlsx__money(ws, r, 7, paid, fm->money);
    e = e ? e : xlsx__money(ws, r, 8, c->open - paid, fm->money);
    return e;
}

/* A sheet name from a pool id: at most 31 characters, unique in the workbook. */
static void xlsx__sheet_name(char *out, size_t size, lxw_workbook *wb, const char *pool, size_t p)
{
    snprintf(out, size, "%.*s", XLSX__SHEET_NAME_MAX, pool);
    if (workbook_validate_sheet_name(wb, out) != LXW_NO_ERROR) {
        snprintf(out, size, "Pool %zu", p + 1);
    }
}

/* The sheet of pool `p`: every claim of the statement, then the pool's totals. */
static lxw_error xlsx__pool_sheet(lxw_workbook *wb, const cli_settle_statement *st, size_t p,
                                  const xlsx__formats *fm)
{
    char name[XLSX__SHEET_NAME_MAX + 1], what[160];
    lxw_worksheet *ws;
    lxw_row_t r = 3;
    const eng_settle_totals *t = &st->totals[p];
    lxw_error e;

    xlsx__sheet_name(name, sizeof(name), wb, st->pools[p], p);
    ws = workbook_add_worksheet(wb, name);
    if (ws == NULL) {
        return LXW_ERROR_MEMORY_MALLOC_FAILED;
    }
    snprintf(what, sizeof(what), "资金池 Pool %s", st->pools[p]);
    e = xlsx__top(ws, st, what, claim_heads, claim_widths, 9, fm);
    worksheet_freeze_panes(ws, 3, 0);
    for (size_t i = st->pool_start[p]; e == LXW_NO_ERROR && i < st->pool_start[p + 1]; i++) {
        e = xlsx__claim_row(ws, r++, &st->claims[i], st->paid[i], fm);
    }
    r++;
    e = e ? e : worksheet_write_string(ws, r, 0, "可用资金 Available", fm->total);
    e = e ? e : xlsx__money(ws, r, 6, t->available, fm->total_money);
    r++;
    e = e ? e : worksheet_write_string(ws, r, 0, "合计 Total", fm->total);
    e = e ? e : xlsx__money(ws, r, 6, t->open_before, fm->total_money);
    e = e ? e : xlsx__money(ws, r, 7, t->paid, fm->total_money);
    e = e ? e : xlsx__money(ws, r, 8, t->open_after, fm->total_money);
    return e;
}

static int xlsx__by_payee(const void *a, const void *b)
{
    const led_settle_claim *x = *(const led_settle_claim *const *)a;
    const led_settle_claim *y = *(const led_settle_claim *const *)b;
    int c = strcmp(x->payee, y->payee);

    return c != 0 ? c : (x < y ? -1 : x > y);
}

/* The payees of the statement, bytewise, with their totals; `*out` freed by the caller. */
static eng_status xlsx__payees(xlsx__payee **out, size_t *out_n, const cli_settle_statement *st,
                               eng_error *err)
{
    const led_settle_claim **by = malloc((st->n_claims + 1) * sizeof(*by));
    xlsx__payee *list = calloc(st->n_claims + 1, sizeof(*list));
    size_t n = 0;

    if (by == NULL || list == NULL) {
        free(by);
        free(list);
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    for (size_t i = 0; i < st->n_claims; i++) {
        by[i] = &st->claims[i];
    }
    qsort(by, st->n_claims, sizeof(*by), xlsx__by_payee);
    for (size_t i = 0; i < st->n_claims; i++) {
        eng_fen paid = st->paid[by[i] - st->claims];
        if (n == 0 || strcmp(list[n - 1].payee, by[i]->payee) != 0) {
            list[n++].payee = by[i]->payee;
        }
        list[n - 1].claims++;
        list[n - 1].open_before += by[i]->open;
        list[n - 1].paid += paid;
        list[n - 1].open_after += by[i]->open - paid;
    }
    free(by);
    *out = list;
    *out_n = n;
    return ENG_OK;
}

/* The summary sheet: one row per payee, then the total. */
static lxw_error xlsx__summary(lxw_workbook *wb, const cli_settle_statement *st,
                               const xlsx__payee *payees, size_t n, const xlsx__formats *fm)
{
    lxw_worksheet *ws = workbook_add_worksheet(wb, "汇总 Summary");
    xlsx__payee all = {"合计 Total", 0, 0, 0, 0};
    lxw_row_t r = 3;
    lxw_error e;

    if (ws == NULL) {
        return LXW_ERROR_MEMORY_MALLOC_FAILED;
    }
    e = xlsx__top(ws, st, "结算单 Settlement statement", summary_heads, summary_widths, 5, fm);
    worksheet_freeze_panes(ws, 3, 0);
    for (size_t i = 0; e == LXW_NO_ERROR && i <= n; i++) {
        const xlsx__payee *p = i < n ? &payees[i] : &all;
        lxw_format *text = i < n ? NULL : fm->total, *money = i < n ? fm->money : fm->total_money;
        r += i == n;    /* a blank row before the total */
        e = worksheet_write_string(ws, r, 0, p->payee, text);
        e = e ? e : worksheet_write_number(ws, r, 1, (double)p->claims, text);
        e = e ? e : xlsx__money(ws, r, 2, p->open_before, money);
        e = e ? e : xlsx__money(ws, r, 3, p->paid, money);
        e = e ? e : xlsx__money(ws, r, 4, p->open_after, money);
        r++;
        if (i < n) {
            all.claims += p->claims;
            all.open_before += p->open_before;
            all.paid += p->paid;
            all.open_after += p->open_after;
        }
    }
    return e;
}

static void xlsx__formats_init(xlsx__formats *fm, lxw_workbook *wb)
{
    fm->title = workbook_add_format(wb);
    fm->head = workbook_add_format(wb);
    fm->money = workbook_add_format(wb);
    fm->date = workbook_add_format(wb);
    fm->total = workbook_add_format(wb);
    fm->total_money = workbook_add_format(wb);
    format_set_bold(fm->title);
    format_set_font_size(fm->title, 12);
    format_set_bold(fm->head);
    format_set_text_wrap(fm->head);
    format_set_bottom(fm->head, LXW_BORDER_THIN);
    format_set_num_format(fm->money, "0.00");
    format_set_num_format(fm->date, "yyyy-mm-dd");
    format_set_bold(fm->total);
    format_set_bold(fm->total_money);
    format_set_num_format(fm->total_money, "0.00");
}

eng_status cli_settle_xlsx_write(const char *path, const cli_settle_statement *st,
                                 eng_error *err)
{
    lxw_workbook_options opt = {.constant_memory = LXW_TRUE, .tmpdir = NULL};
    xlsx__payee *payees = NULL;
    size_t n_payees = 0;
    xlsx__formats fm;
    lxw_workbook *wb;
    lxw_error e, closed;
    FILE *probe;
    eng_status rc;

    assert(path != NULL && st != NULL);
    assert(st->pool_start[st->n_pools] == st->n_claims);
    /* libxlsxwriter reports an unwritable path only when it closes, on its own stderr
       line: try it first, so the user sees one line with the system's reason. */
    probe = fopen(path, "wb");
    if (probe == NULL) {
        return eng_error_set(err, ENG_EINVALID, "cannot write %s: %s", path, strerror(errno));
    }
    fclose(probe);
    rc = xlsx__payees(&payees, &n_payees, st, err);
    if (rc != ENG_OK) {
        return rc;
    }
    wb = workbook_new_opt(path, &opt);
    if (wb == NULL) {
        free(payees);
        return eng_error_set(err, ENG_EINVALID, "cannot write %s: cannot create the workbook",
                             path);
    }
    xlsx__formats_init(&fm, wb);
    e = xlsx__summary(wb, st, payees, n_payees, &fm);
    for (size_t p = 0; e == LXW_NO_ERROR && p < st->n_pools; p++) {
        e = xlsx__pool_sheet(wb, st, p, &fm);
    }
    closed = workbook_close(wb);    /* frees the workbook in every case */
    free(payees);
    e = e != LXW_NO_ERROR ? e : closed;
    if (e != LXW_NO_ERROR) {
        return eng_error_set(err, ENG_EINVALID, "cannot write %s: %s", path, lxw_strerror(e));
    }
    return ENG_OK;
}
