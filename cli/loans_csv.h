/*
 * loans_csv.h -- reading a batch of loans from CSV (DESIGN 5, 10).
 *
 * The file is RFC 4180 CSV, parsed by libcsv in strict mode: a quote inside
 * an unquoted field, text after a closing quote or an unterminated quoted
 * field is a syntax error that stops the read.  Blanks are data, never
 * trimmed (` 100` is not a number).  The text is UTF-8 with an optional byte
 * order mark, or GBK with `--encoding gbk` (fields are converted to UTF-8 one
 * by one, so a bad byte is reported at its line and field).  The first
 * non-blank row is the header; columns come in any order; blank lines are
 * skipped.
 *
 * Values: loan_id [A-Za-z0-9._-]{1,64}, unique in the file; borrower_code
 * with a valid GB 32100-2015 check character; bank and guarantor party ids
 * as policies spell them, [a-z0-9-]{1,64}; money whole fen (principal > 0,
 * revenue >= 0); rates numbers (DESIGN 10) from 0 to 1; start_date a real
 * YYYY-MM-DD; term_months 1..360; first_loan true or false in any case
 * (Excel writes TRUE).  Only revenue, guarantor and fee_rate may be empty,
 * and only the fee_rate column may be missing.
 *
 * Every error of the file is reported (cli_errlist keeps the first
 * ENG_ERRLIST_MAX), each as `file:line:column: message`: the physical line on
 * which the row starts (the header is line 1; a quoted field spanning lines
 * counts its line breaks; LF, CRLF and a lone CR each end a line) and the
 * 1-based field number.  A field's message starts with its column name.  An
 * error about a whole row (wrong number of fields, a repeated loan_id) names
 * the loan_id column; a syntax error names the line of the offending byte;
 * a header error stops the read (rows under a broken header would only give
 * misleading errors).
 */
#ifndef CLI_LOANS_CSV_H
#define CLI_LOANS_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "csv_core.h"
#include "date.h"
#include "errlist.h"
#include "error.h"
#include "money.h"

/* The bounds CLI_CSV_BYTES_MAX, CLI_CSV_LINE_MAX, CLI_CSV_FIELD_MAX and CLI_CSV_COLUMNS_MAX
 * are csv_core.h's. */
/* Loans (data rows) of one file. */
#define CLI_LOANS_ROWS_MAX 5000000

#if CLI_CSV_COLUMNS_MAX < 16
#error "CLI_CSV_COLUMNS_MAX must allow every loan column"
#endif
#if CLI_LOANS_ROWS_MAX < 1000000 || CLI_LOANS_ROWS_MAX > 100000000
#error "CLI_LOANS_ROWS_MAX must allow the 1,000,000-loan benchmark and bound memory"
#endif

/* The columns of a loans file, in the order DESIGN 5 lists them. */
typedef enum {
    CLI_LOAN_LOAN_ID = 0,
    CLI_LOAN_BORROWER_CODE,
    CLI_LOAN_BORROWER_NAME,
    CLI_LOAN_TECH_STATUS,
    CLI_LOAN_SECTOR,
    CLI_LOAN_CREDIT_GRADE,
    CLI_LOAN_REVENUE,
    CLI_LOAN_BANK,
    CLI_LOAN_GUARANTOR,
    CLI_LOAN_PRINCIPAL,
    CLI_LOAN_ANNUAL_RATE,
    CLI_LOAN_COLLATERAL_RATIO,
    CLI_LOAN_START_DATE,
    CLI_LOAN_TERM_MONTHS,
    CLI_LOAN_FIRST_LOAN,
    CLI_LOAN_FEE_RATE,
    CLI_LOAN_NCOLS
} cli_loan_col;

/*
 * One valid row.  Strings are NUL-terminated UTF-8 owned by the file's arena
 * (equal values of the low-variety columns may share one string); rates are
 * the exact text of the file, already checked to be numbers in 0..1, for the
 * engine to parse with eng_num_parse.
 */
typedef struct {
    const char *loan_id;          /* [A-Za-z0-9._-]{1,64}, unique in the file */
    const char *borrower_code;    /* 18 characters, GB 32100-2015 check passed */
    const char *borrower_name;    /* non-empty */
    const char *tech_status;      /* hnte|tech_sme|specialized_sme|little_giant|none (static) */
    const char *sector;           /* non-empty */
    const char *credit_grade;     /* non-empty */
    const char *bank;             /* a party id, [a-z0-9-]{1,64} */
    const char *guarantor;        /* a party id, or NULL for a direct bank loan */
    const char *annual_rate;      /* ratio text */
    const char *collateral_ratio; /* ratio text */
    const char *fee_rate;         /* ratio text, or NULL when absent (empty or no column) */
    eng_fen principal;            /* > 0 */
    eng_fen revenue;              /* >= 0; 0 when absent */
    uint32_t line;                /* physical line where the row starts */
    eng_date start_date;
    int32_t term_months;          /* 1..360 */
    uint8_t has_revenue;          /* 0 when the revenue field is empty */
    uint8_t first_loan;           /* 1 for true */
} cli_loan_row;

typedef struct {
    cli_loan_row *rows;          /* in file order */
    size_t n_rows;
    int col[CLI_LOAN_NCOLS];     /* 1-based column of each field, 0 if absent (fee_rate) */
    int n_cols;                  /* columns of the header */
    cli_csv_block *blocks;       /* private: the arena every string lives in */
} cli_loan_file;

/* The column's name in the header (`loan_id`...). */
const char *cli_loan_col_name(cli_loan_col c);

/*
 * Reads the loans file `path` into `out`.  `encoding` is NULL or "utf-8" for
 * UTF-8, or "gbk" (any case).  Errors are added to `errs` under the name
 * `path`.  On ENG_OK `out` holds every row and the caller frees it with
 * cli_loans_free(); on any other return `out` is left empty (nothing to free).
 * Returns ENG_OK when the file has no error; ENG_EPARSE when this call added
 * errors to `errs` (bad values, bad header, CSV syntax, a bound exceeded, a
 * file that cannot be read); ENG_EUSAGE for an unknown encoding; ENG_ERROR
 * when memory runs out (also added to `errs`).
 */
eng_status cli_loans_read(cli_loan_file *out, const char *path, const char *encoding,
                          cli_errlist *errs);

/* Frees the rows and strings of `f` and empties it; safe on an empty file. */
void cli_loans_free(cli_loan_file *f);

#endif
