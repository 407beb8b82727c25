/*
 * settle_xlsx.h -- a settlement statement as an Excel workbook (`settle --xlsx FILE`,
 * issue 4) through libxlsxwriter.
 *
 * The workbook: a summary sheet "汇总 Summary" (one row per payee: claims, open
 * before, paid, open after, and a total row), then one sheet per pool with every
 * claim of the statement in statement order.  Each sheet opens with a title row
 * (program, through date, settlement id or "preview"); headers are in Chinese and
 * English ("索赔编号 Claim ID"); amounts are numbers with the format 0.00 and dates
 * are Excel dates shown as yyyy-mm-dd.
 */
#ifndef CLI_SETTLE_XLSX_H
#define CLI_SETTLE_XLSX_H

#include <stddef.h>

#include "date.h"
#include "error.h"
#include "money.h"
#include "settle.h"
#include "settle_store.h"

/* One settlement statement; every pointer is the caller's and only read. */
typedef struct {
    const char *program;
    eng_date through;
    long settlement_id;                 /* 0 for a preview */
    const char *shortfall;              /* pro_rata | fifo */
    size_t n_pools;
    const char *const *pools;           /* pool ids, party order */
    const eng_settle_totals *totals;    /* totals[p] of pool p */
    const size_t *pool_start;           /* claims of pool p: [pool_start[p], pool_start[p+1]) */
    const led_settle_claim *claims;     /* statement order: by pool, then claim order */
    const eng_fen *paid;                /* paid[i] of claims[i] */
    size_t n_claims;
} cli_settle_statement;

/*
 * Writes `st` to the workbook `path` (created or replaced).  Allocates only while it
 * runs.  Returns ENG_OK, or ENG_EINVALID (`cannot write PATH: reason`) when the file
 * cannot be written, ENG_ERROR when memory runs out.
 */
eng_status cli_settle_xlsx_write(const char *path, const cli_settle_statement *st,
                                 eng_error *err);

#endif
