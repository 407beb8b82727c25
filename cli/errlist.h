/*
 * errlist.h -- a bounded list of input errors, so a command can report every
 * bad field of a file at once (STYLE 9) without unbounded memory.
 *
 * The list keeps the first ENG_ERRLIST_MAX errors as formatted lines
 * (`file:line:column: message`) and counts all of them; printing adds one
 * summary line when some were left out.
 */
#ifndef CLI_ERRLIST_H
#define CLI_ERRLIST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

/* Errors kept (and printed) per list; the rest are only counted. */
#define ENG_ERRLIST_MAX 100

#if ENG_ERRLIST_MAX < 1 || ENG_ERRLIST_MAX > 10000
#error "ENG_ERRLIST_MAX must keep at least one error and stay small"
#endif

typedef struct {
    size_t total;                  /* every error added, kept or not */
    size_t n;                      /* kept: min(total, ENG_ERRLIST_MAX) */
    char *lines[ENG_ERRLIST_MAX];  /* `file:line:column: message`, owned by the list */
    char file[256];                /* the file of the first error, for the summary */
    int several_files;             /* errors came from more than one file */
} cli_errlist;

#define CLI_ERRLIST_INIT {0, 0, {NULL}, {0}, 0}

/* Makes `l` an empty list (the same as CLI_ERRLIST_INIT). */
void cli_errlist_init(cli_errlist *l);

/*
 * Adds one error at `file:line:column` (printf-style message, lower-case, no
 * full stop).  `file` may be NULL (no position at all); `line` 0 leaves out
 * line and column, `column` 0 leaves out the column.  Only the first
 * ENG_ERRLIST_MAX errors are formatted and kept; later ones are counted.
 * When memory runs out the line kept says so instead.
 */
void cli_errlist_add(cli_errlist *l, const char *file, uint32_t line, uint32_t column,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* cli_errlist_add with a va_list. */
void cli_errlist_vadd(cli_errlist *l, const char *file, uint32_t line, uint32_t column,
                      const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

/* Adds the error `err` with its position (eng_error_format's line). */
void cli_errlist_add_error(cli_errlist *l, const eng_error *err);

/*
 * 1 when the next error added will be kept, 0 when it will only be counted:
 * a caller can skip composing a message nobody will see.
 */
int cli_errlist_keeps(const cli_errlist *l);

/*
 * Writes every kept line to `out` as `riskshare: <line>`, then, when errors
 * were left out, `riskshare: FILE: N errors (first 100 shown)` (without
 * `FILE: ` when they came from several files).  Writes nothing when empty.
 */
void cli_errlist_print(const cli_errlist *l, FILE *out);

/* Frees the kept lines and empties `l`; `l` can be used again. */
void cli_errlist_free(cli_errlist *l);

#endif
