/*
 * csv_core.h -- what every CSV reader shares (loans_csv.h, events_csv.h).
 *
 * The core reads the file in chunks, checks its byte order mark, converts
 * GBK fields to UTF-8, drives libcsv in strict mode (blanks are data), counts
 * physical lines (a quoted field spanning lines counts its line breaks; LF,
 * CRLF and a lone CR each end a line), matches the header against the
 * reader's column names, keeps the strings in an arena (interned or not) and
 * the row ids in a table, and reports every error to a cli_errlist as
 * `file:line:column: message`.  A reader gives its column names, its bounds
 * and three callbacks (cli_csv_spec): the core calls them for each data row
 * whose number of fields is right, and keeps the rows they append.
 */
#ifndef CLI_CSV_CORE_H
#define CLI_CSV_CORE_H

#include <csv.h>
#include <iconv.h>
#include <stddef.h>
#include <stdint.h>

#include "date.h"
#include "errlist.h"
#include "error.h"
#include "money.h"

/* Bytes of one input file (read in chunks, never whole). */
#define CLI_CSV_BYTES_MAX (2048LL * 1024 * 1024)
/* Bytes of one field, as read. */
#define CLI_CSV_FIELD_MAX 65536
/*
 * Bytes of one physical line, its line break not counted.  A valid row is far
 * shorter (a loan row is about 200 bytes; three free-text fields at their
 * 64 KiB bound make 200 KiB), so a longer line is a file that is not CSV
 * rows at all (no line breaks, a binary file) and is refused at its line
 * before it is read further.
 */
#define CLI_CSV_LINE_MAX (1024 * 1024)
/* Columns of a header row. */
#define CLI_CSV_COLUMNS_MAX 64
/* Columns a reader may name. */
#define CLI_CSV_NAMES_MAX 32
/* Bytes of the buffer cli_csv_show writes. */
#define CLI_CSV_SHOW_MAX 40
#define CLI_CSV_SHOW_BUF (4 * (CLI_CSV_SHOW_MAX + 4) + 8)

#if CLI_CSV_FIELD_MAX < 4096 || CLI_CSV_FIELD_MAX > (1 << 24)
#error "CLI_CSV_FIELD_MAX must hold a long name and stay far below the file bound"
#endif
#if CLI_CSV_LINE_MAX < 4 * CLI_CSV_FIELD_MAX || CLI_CSV_LINE_MAX > (1 << 30)
#error "CLI_CSV_LINE_MAX must hold several fields at their bound and stay below the file bound"
#endif
#if CLI_CSV_NAMES_MAX > CLI_CSV_COLUMNS_MAX || CLI_CSV_NAMES_MAX > 32
#error "CLI_CSV_NAMES_MAX must fit a header and the optional mask"
#endif

typedef struct cli_csv_block cli_csv_block;
typedef struct cli_csv cli_csv;

typedef struct {
    const char *const *col_names; /* the reader's columns, by its column number */
    int n_names;                  /* 1..CLI_CSV_NAMES_MAX */
    uint32_t optional;            /* bit c set: column c may be missing from the header */
    int id_col;                   /* the column of the row's id: names a row error */
    int rows_max;                 /* data rows of one file */
    const char *rows_noun;        /* "loans": `more than N loans in one file` */
    size_t row_bytes_min;         /* the shortest valid row: bounds the rows by file size */
    size_t row_size;              /* bytes of one kept row */
    /* A row with the right number of fields starts: reset the reader's row. */
    void (*row_begin)(cli_csv *r, void *ctx);
    /* Field `c` (text t[0..n), UTF-8 when the encoding was right) of the row; 1 when good. */
    int (*field)(cli_csv *r, void *ctx, int c, const char *t, size_t n);
    /* The row has ended; `ok` is 0 when one of its fields was bad. */
    void (*row_end)(cli_csv *r, void *ctx, int ok);
} cli_csv_spec;

/* A field of the current row in the scratch buffer. */
typedef struct {
    uint32_t off;
    uint32_t len;
} cli_csv_span;

/* A row id seen in the file, with the line of its first row. */
typedef struct {
    const char *text;
    uint32_t hash;
    uint32_t line;
} cli_csv_id_slot;

/* An interned string. */
typedef struct {
    const char *text;
    uint32_t hash;
    uint32_t len;
} cli_csv_str_slot;

/* The state of one read: the readers' callbacks may read any field. */
struct cli_csv {
    const cli_csv_spec *spec;
    void *ctx;
    const char *name;            /* the file name in error lines */
    cli_errlist *errs;
    iconv_t cd;                  /* GBK to UTF-8, or (iconv_t)-1 for a UTF-8 file */
    struct csv_parser csv;

    uint32_t line;               /* physical line of the bytes being fed */
    uint32_t row_line;           /* line where the current row starts */
    uint32_t field_line;         /* line where the current field starts */
    size_t line_bytes;           /* bytes of the current physical line fed so far */
    int at_row_start;            /* the next piece starts a row */
    int cr_pending;              /* the last chunk ended in CR: a LF next is its CRLF */
    int in_header;               /* the header has not been read yet */
    int header_bad;
    int stop;                    /* a fatal error: ignore everything that follows */
    int failed;                  /* the file has an error: keep nothing more */
    int oom;

    uint64_t nf;                 /* fields of the current row so far */
    int n_cols;
    int col[CLI_CSV_NAMES_MAX];  /* 1-based column of each reader column, 0 if absent */
    int8_t col_at[CLI_CSV_COLUMNS_MAX]; /* reader column of each file column, -1 if unknown */
    cli_csv_span f[CLI_CSV_NAMES_MAX];  /* the current row's fields, by file column */
    uint8_t bad_enc[CLI_CSV_NAMES_MAX];
    char *scratch;
    size_t scratch_len;
    size_t scratch_cap;

    void *rows;                  /* spec->row_size bytes each */
    size_t n_rows;
    size_t rows_cap;
    uint64_t rows_seen;
    cli_csv_block *blocks;
    size_t arena_next;           /* bytes of the next arena block */
    size_t rows_hint;            /* the most rows the file can hold, 0 if unknown */
    cli_csv_id_slot *ids;
    size_t ids_n;
    size_t ids_cap;
    cli_csv_str_slot *strs;
    size_t strs_n;
    size_t strs_cap;
};

/* What a read without error hands to the reader's caller. */
typedef struct {
    void *rows;                  /* NULL when there is none */
    size_t n_rows;
    int col[CLI_CSV_NAMES_MAX];
    int n_cols;
    cli_csv_block *blocks;       /* the arena; cli_csv_blocks_free */
} cli_csv_result;

/*
 * Reads `path` as `spec` says, calling its callbacks with `ctx`.  Returns
 * and reports as cli_loans_read does (loans_csv.h); on ENG_OK `res` holds the
 * rows and the arena, otherwise it is empty.
 */
eng_status cli_csv_read(const cli_csv_spec *spec, void *ctx, const char *path,
                        const char *encoding, cli_errlist *errs, cli_csv_result *res);

/* Frees an arena of a read. */
void cli_csv_blocks_free(cli_csv_block *b);

/* An error of the file at `line`, `column`: the file has failed. */
void cli_csv_err(cli_csv *r, uint32_t line, uint32_t column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* An error about column `c` of the current row: `name: message`.  Returns 0. */
int cli_csv_field_err(cli_csv *r, int c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Keeps the current row (spec->row_size bytes at `row`). */
void cli_csv_append(cli_csv *r, const void *row);

/* Copies s[0..n) and a NUL into the arena; NULL when out of memory. */
const char *cli_csv_copy(cli_csv *r, const char *s, size_t n);

/* The arena copy of s[0..n), shared with every equal value interned before. */
const char *cli_csv_intern(cli_csv *r, const char *s, size_t n);

/*
 * Records the row id s[0..n) of the row at `line`.  Sets `*first` to the
 * line of an earlier row with the same id (0 when the id is new) and returns
 * the id's arena copy; NULL when out of memory.
 */
const char *cli_csv_id_record(cli_csv *r, const char *s, size_t n, uint32_t line,
                              uint32_t *first);

/* 1 when text[0..len) is valid UTF-8 (NUL bytes are checked apart). */
int cli_csv_utf8_valid(const char *text, size_t len);

/* 1 when every byte is printable ASCII. */
int cli_csv_printable(const char *text, size_t len);

/* `text` quoted for a message into `out` (CLI_CSV_SHOW_BUF bytes); returns `out`. */
const char *cli_csv_show(char *out, const char *text, size_t len);

/* Checks a money field `c`; `positive` asks > 0, else >= 0.  Returns 1 when good. */
int cli_csv_money(cli_csv *r, int c, const char *t, size_t n, int positive, eng_fen *out);

/* Checks a date field `c` (YYYY-MM-DD).  Returns 1 when good. */
int cli_csv_date(cli_csv *r, int c, const char *t, size_t n, eng_date *out);

#endif
