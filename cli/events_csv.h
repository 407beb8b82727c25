/*
 * events_csv.h -- reading loan events from CSV (DESIGN 5, 10), for
 * `riskshare events import`.
 *
 * The file is read exactly as a loans file is (see loans_csv.h): RFC 4180
 * CSV through libcsv in strict mode, blanks are data, UTF-8 with an optional
 * byte order mark or GBK with `--encoding gbk`, the first non-blank row the
 * header, columns in any order, blank lines skipped.  Every column is
 * required: event_id, kind, date, loan_id, party, amount, interest, cost.
 *
 * Values: event_id [A-Za-z0-9._-]{1,64}, unique in the file; kind one of
 * funding|repayment|default|recovery; date a real YYYY-MM-DD; loan_id
 * [A-Za-z0-9._-]{1,64}; party a party id [a-z0-9-]{1,64}; amount, interest
 * and cost money in whole fen, never negative, an empty field being absent
 * (0).  Per kind, a field that is not listed must be empty:
 *   funding    party, amount > 0
 *   repayment  loan_id, amount > 0 (principal repaid), interest (optional)
 *   default    loan_id, interest (optional: unpaid interest)
 *   recovery   loan_id, amount > 0 (gross), cost (optional, at most amount)
 *
 * Errors as loans_csv.h describes: every error of the file (cli_errlist keeps
 * the first ENG_ERRLIST_MAX), each `file:line:column: message` with the
 * physical line where the row starts and the 1-based field number; a field's
 * message starts with its column name.  A required field left empty or a
 * field the kind forbids is reported at that field's column.  An error about
 * the whole row (wrong number of fields, a repeated event_id) names the
 * event_id column.  A header error stops the read.
 */
#ifndef CLI_EVENTS_CSV_H
#define CLI_EVENTS_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "csv_core.h"
#include "date.h"
#include "errlist.h"
#include "error.h"
#include "money.h"

/* The bounds of any CSV input are csv_core.h's (CLI_CSV_BYTES_MAX...). */
/* Events (data rows) of one file. */
#define CLI_EVENTS_ROWS_MAX 5000000

#if CLI_CSV_COLUMNS_MAX < 8
#error "CLI_CSV_COLUMNS_MAX must allow every event column"
#endif
#if CLI_EVENTS_ROWS_MAX < 1000000 || CLI_EVENTS_ROWS_MAX > 100000000
#error "CLI_EVENTS_ROWS_MAX must allow a million events and bound memory"
#endif

/* The columns of an events file, in the order DESIGN 5 lists them. */
typedef enum {
    CLI_EV_EVENT_ID = 0,
    CLI_EV_KIND,
    CLI_EV_DATE,
    CLI_EV_LOAN_ID,
    CLI_EV_PARTY,
    CLI_EV_AMOUNT,
    CLI_EV_INTEREST,
    CLI_EV_COST,
    CLI_EV_NCOLS
} cli_event_col;

typedef enum {
    CLI_EVENT_FUNDING = 0,
    CLI_EVENT_REPAYMENT,
    CLI_EVENT_DEFAULT,
    CLI_EVENT_RECOVERY,
    CLI_EVENT_NKINDS
} cli_event_kind;

/*
 * One valid row, normalised: amounts are fen (an absent one is 0 with its
 * has_ flag 0), strings NUL-terminated and owned by the file's arena (equal
 * loan and party ids may share one string).
 */
typedef struct {
    const char *event_id;  /* [A-Za-z0-9._-]{1,64}, unique in the file */
    const char *loan_id;   /* NULL for funding, else [A-Za-z0-9._-]{1,64} */
    const char *party;     /* a party id for funding, else NULL */
    eng_fen amount;        /* > 0 for funding, repayment, recovery; 0 for default */
    eng_fen interest;      /* >= 0; 0 when absent (always for funding, recovery) */
    eng_fen cost;          /* 0..amount for recovery; 0 otherwise */
    uint32_t line;         /* physical line where the row starts */
    eng_date date;
    uint8_t kind;          /* a cli_event_kind */
    uint8_t has_interest;  /* 0 when the interest field is empty */
    uint8_t has_cost;      /* 0 when the cost field is empty */
} cli_event_row;

typedef struct {
    cli_event_row *rows;         /* in file order */
    size_t n_rows;
    int col[CLI_EV_NCOLS];       /* 1-based column of each field */
    int n_cols;                  /* columns of the header */
    cli_csv_block *blocks;       /* private: the arena every string lives in */
} cli_event_file;

/* The column's name in the header (`event_id`...). */
const char *cli_event_col_name(cli_event_col c);

/* The kind's name as the file spells it (`funding`...). */
const char *cli_event_kind_name(cli_event_kind k);

/*
 * 1 when `a` and `b` have the same content (DESIGN 10: a repeated event_id
 * must repeat its event): kind, date, loan_id and party equal, and amount,
 * interest and cost equal by value (`1000` equals `1000.00`, an empty
 * interest or cost equals 0).  The event_id and the line are not compared.
 */
int cli_event_same(const cli_event_row *a, const cli_event_row *b);

/*
 * Reads the events file `path` into `out`.  `encoding` is NULL or "utf-8"
 * for UTF-8, or "gbk" (any case).  Errors are added to `errs` under the name
 * `path`.  On ENG_OK `out` holds every row and the caller frees it with
 * cli_events_free(); on any other return `out` is left empty (nothing to
 * free).  Returns ENG_OK when the file has no error; ENG_EPARSE when this
 * call added errors to `errs`; ENG_EUSAGE for an unknown encoding; ENG_ERROR
 * when memory runs out (also added to `errs`).
 */
eng_status cli_events_read(cli_event_file *out, const char *path, const char *encoding,
                           cli_errlist *errs);

/* Frees the rows and strings of `f` and empties it; safe on an empty file. */
void cli_events_free(cli_event_file *f);

#endif
