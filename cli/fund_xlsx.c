/*
 * fund_xlsx.c -- the fund model's workbook through libxlsxwriter (see fund_xlsx.h).
 *
 * Cells arrive as the same decimal text the csv and json reports print; a plain decimal
 * is stored as an Excel number (a double: Excel has nothing wider), so the analyst can
 * compute with it, and the exact text stays in the csv and json outputs.
 */
#include "fund_xlsx.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

#define CHART_SHEET "J-curve"

/* 1 when `s` is `-?D+(.D+)?` without a leading zero before another digit (ids stay text). */
static int plain_decimal(const char *s)
{
    const char *p = s + (*s == '-');
    size_t digits = 0;
    if (p[0] == '0' && p[1] >= '0' && p[1] <= '9') {
        return 0;
    }
    while (*p >= '0' && *p <= '9') {
        p++;
        digits++;
    }
    if (digits == 0) {
        return 0;
    }
    if (*p == '.') {
        p++;
        digits = 0;
        while (*p >= '0' && *p <= '9') {
            p++;
            digits++;
        }
        if (digits == 0) {
            return 0;
        }
    }
    return *p == '\0';
}

static lxw_error write_cell(lxw_worksheet *ws, lxw_row_t row, lxw_col_t col, const char *text,
                            lxw_format *number)
{
    if (text == NULL || text[0] == '\0') {
        return LXW_NO_ERROR;
    }
    if (plain_decimal(text)) {
        return worksheet_write_number(ws, row, col, strtod(text, NULL), number);
    }
    if (strcmp(text, "true") == 0 || strcmp(text, "false") == 0) {
        return worksheet_write_boolean(ws, row, col, text[0] == 't', NULL);
    }
    return worksheet_write_string(ws, row, col, text, NULL);
}

static lxw_error write_sheet(lxw_workbook *wb, const cli_xlsx_sheet *s, lxw_format *bold,
                             lxw_format *number)
{
    lxw_worksheet *ws = workbook_add_worksheet(wb, s->name);
    lxw_error e = LXW_NO_ERROR;
    if (ws == NULL) {
        return LXW_ERROR_WORKSHEET_INDEX_OUT_OF_RANGE;
    }
    if (s->n_rows >= LXW_ROW_MAX || s->n_cols > LXW_COL_MAX) {
        return LXW_ERROR_WORKSHEET_INDEX_OUT_OF_RANGE;
    }
    for (size_t c = 0; c < s->n_cols && e == LXW_NO_ERROR; c++) {
        e = worksheet_write_string(ws, 0, (lxw_col_t)c, s->cols[c], bold);
    }
    for (size_t r = 0; r < s->n_rows && e == LXW_NO_ERROR; r++) {
        for (size_t c = 0; c < s->n_cols && e == LXW_NO_ERROR; c++) {
            e = write_cell(ws, (lxw_row_t)(r + 1), (lxw_col_t)c, s->cells[r * s->n_cols + c],
                           number);
        }
    }
    if (e == LXW_NO_ERROR && s->n_cols > 0) {
        e = worksheet_set_column(ws, 0, (lxw_col_t)(s->n_cols - 1), 18, NULL);
    }
    worksheet_freeze_panes(ws, 1, 0);
    return e;
}

/* The chart's data: year | calls (negative) | distributions | cumulative net | NAV. */
static lxw_error chart_data(lxw_worksheet *ws, const cli_fund_chart *c, lxw_format *bold,
                            lxw_format *number)
{
    static const char *const cols[] = {"year", "calls (negative)", "distributions",
                                       "cumulative net", "nav"};
    lxw_error e = LXW_NO_ERROR;
    for (lxw_col_t k = 0; k < 5 && e == LXW_NO_ERROR; k++) {
        e = worksheet_write_string(ws, 0, k, cols[k], bold);
    }
    for (size_t i = 0; i < c->n && e == LXW_NO_ERROR; i++) {
        lxw_row_t r = (lxw_row_t)(i + 1);
        e = worksheet_write_number(ws, r, 0, (double)c->first_year + (double)i, NULL);
        if (e == LXW_NO_ERROR) {
            e = worksheet_write_number(ws, r, 1, -c->calls[i], number);
        }
        if (e == LXW_NO_ERROR) {
            e = worksheet_write_number(ws, r, 2, c->distributions[i], number);
        }
        if (e == LXW_NO_ERROR) {
            e = worksheet_write_number(ws, r, 3, c->cumulative_net[i], number);
        }
        if (e == LXW_NO_ERROR) {
            e = worksheet_write_number(ws, r, 4, c->nav[i], number);
        }
    }
    if (e == LXW_NO_ERROR) {
        e = worksheet_set_column(ws, 0, 4, 18, NULL);
    }
    return e;
}

/* Adds the series of data column `col` to `chart`, named by its header. */
static void series(lxw_chart *chart, const cli_fund_chart *c, lxw_col_t col, const char *name,
                   lxw_color_t colour, int dashed)
{
    lxw_chart_series *s = chart_add_series(chart, NULL, NULL);
    if (s == NULL) {
        return;
    }
    lxw_row_t last = (lxw_row_t)c->n;
    chart_series_set_categories(s, CHART_SHEET, 1, 0, last, 0);
    chart_series_set_values(s, CHART_SHEET, 1, col, last, col);
    chart_series_set_name(s, name);
    if (chart->type == LXW_CHART_COLUMN) {
        lxw_chart_fill fill = {.color = colour};
        chart_series_set_fill(s, &fill);
    } else {
        lxw_chart_line line = {.color = colour, .width = 2.25f,
                               .dash_type = dashed ? LXW_CHART_LINE_DASH_DASH : 0};
        chart_series_set_line(s, &line);
        chart_series_set_marker_type(s, dashed ? LXW_CHART_MARKER_NONE : LXW_CHART_MARKER_CIRCLE);
    }
}

static void axes(lxw_chart *chart, const char *title, const char *currency)
{
    char unit[64];
    snprintf(unit, sizeof(unit), "Amount (%s)", currency != NULL ? currency : "");
    chart_title_set_name(chart, title);
    chart_axis_set_name(chart->x_axis, "Year (cash flows at 31 December)");
    chart_axis_set_name(chart->y_axis, unit);
    chart_axis_set_label_position(chart->x_axis, LXW_CHART_AXIS_LABEL_POSITION_LOW);
    chart_axis_set_num_format(chart->y_axis, "#,##0");
    chart_legend_set_position(chart, LXW_CHART_LEGEND_BOTTOM);
}

static lxw_error chart_sheet(lxw_workbook *wb, const cli_fund_chart *c, lxw_format *bold,
                             lxw_format *number)
{
    lxw_worksheet *ws = workbook_add_worksheet(wb, CHART_SHEET);
    if (ws == NULL || c->n == 0 || c->n >= LXW_ROW_MAX) {
        return ws == NULL ? LXW_ERROR_WORKSHEET_INDEX_OUT_OF_RANGE : LXW_NO_ERROR;
    }
    lxw_error e = chart_data(ws, c, bold, number);
    lxw_chart *bars = workbook_add_chart(wb, LXW_CHART_COLUMN);
    lxw_chart *lines = workbook_add_chart(wb, LXW_CHART_LINE);
    if (e != LXW_NO_ERROR || bars == NULL || lines == NULL) {
        return e != LXW_NO_ERROR ? e : LXW_ERROR_MEMORY_MALLOC_FAILED;
    }
    char title[300];
    snprintf(title, sizeof(title), "%s: yearly calls and distributions",
             c->title != NULL ? c->title : "J-curve");
    series(bars, c, 1, "Calls (paid in, negative)", 0xD62728, 0);
    series(bars, c, 2, "Distributions", 0x2CA02C, 0);
    chart_set_series_overlap(bars, 100);
    axes(bars, title, c->currency);
    snprintf(title, sizeof(title), "%s: cumulative net cash flow and NAV",
             c->title != NULL ? c->title : "J-curve");
    series(lines, c, 3, "Cumulative net cash flow", 0x1F4E99, 0);
    series(lines, c, 4, "NAV (net, liquidation value)", 0xFF7F0E, 1);
    axes(lines, title, c->currency);
    lxw_chart_options place = {.x_offset = 10, .y_offset = 4, .x_scale = 1.6, .y_scale = 1.3};
    e = worksheet_insert_chart_opt(ws, 1, 6, bars, &place);
    if (e == LXW_NO_ERROR) {
        e = worksheet_insert_chart_opt(ws, 22, 6, lines, &place);
    }
    return e;
}

eng_status cli_fund_xlsx_write(const char *path, const cli_xlsx_sheet *sheets, size_t n_sheets,
                               const cli_fund_chart *chart, eng_error *err)
{
    assert(path != NULL && (sheets != NULL || n_sheets == 0));
    /* Try the path first: libxlsxwriter reports an unwritable file only at the end, on its
       own stderr line; this way the user sees one line of ours with the system's reason. */
    FILE *probe = fopen(path, "wb");
    if (probe == NULL) {
        eng_error_at(err, path, 0, 0, NULL);
        return eng_error_set(err, ENG_ERROR, "cannot write the workbook: %s", strerror(errno));
    }
    fclose(probe);
    lxw_workbook *wb = workbook_new(path);
    if (wb == NULL) {
        eng_error_at(err, path, 0, 0, NULL);
        return eng_error_set(err, ENG_ERROR, "cannot create the workbook");
    }
    lxw_format *bold = workbook_add_format(wb);
    lxw_format *number = workbook_add_format(wb);
    format_set_bold(bold);
    format_set_num_format(number, "#,##0.00########");
    lxw_error e = LXW_NO_ERROR;
    for (size_t i = 0; i < n_sheets && e == LXW_NO_ERROR; i++) {
        e = write_sheet(wb, &sheets[i], bold, number);
    }
    if (e == LXW_NO_ERROR && chart != NULL) {
        e = chart_sheet(wb, chart, bold, number);
    }
    lxw_error closed = workbook_close(wb); /* frees the workbook in every case */
    if (e == LXW_NO_ERROR) {
        e = closed;
    }
    if (e != LXW_NO_ERROR) {
        eng_error_at(err, path, 0, 0, NULL);
        return eng_error_set(err, ENG_ERROR, "cannot write the workbook: %s", lxw_strerror(e));
    }
    return ENG_OK;
}
