/*
 * fund_xlsx.h -- the workbook of `riskshare fund model --xlsx FILE` (DESIGN 9).
 *
 * Writes the model's tables as worksheets (a header row, then one row per record; a cell
 * that is a plain decimal becomes an Excel number, `true`/`false` an Excel boolean, anything
 * else text) and a `J-curve` sheet with the parent's yearly series and native Excel
 * charts of them.  libxlsxwriter 1.1.4 (Debian 12) cannot combine chart types, so the
 * J-curve is two charts on one year axis: columns for calls (negative) and distributions,
 * and lines for the cumulative net cash flow and the NAV.
 */
#ifndef CLI_FUND_XLSX_H
#define CLI_FUND_XLSX_H

#include <stddef.h>

#include "error.h"
#include "fund_svg.h"

/* One worksheet: `n_rows` rows of `n_cols` cells after the header. */
typedef struct {
    const char *name;             /* at most 31 characters, none of []:*?/\ */
    const char *const *cols;      /* the header, n_cols names */
    size_t n_cols;
    const char *const *cells;     /* n_rows x n_cols, row-major; NULL: an empty cell */
    size_t n_rows;
} cli_xlsx_sheet;

/*
 * Writes `sheets` (`n_sheets`, in order) and then the `J-curve` sheet drawn from `chart`
 * (may be NULL: no chart sheet) to a new workbook at `path`, replacing any file there.
 * Everything the writer allocates is freed before it returns.  Returns ENG_OK, or
 * ENG_ERROR with a message in `err` (naming `path`) when the file cannot be written.
 */
eng_status cli_fund_xlsx_write(const char *path, const cli_xlsx_sheet *sheets, size_t n_sheets,
                               const cli_fund_chart *chart, eng_error *err);

#endif
