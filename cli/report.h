/*
 * report.h -- tabular reports in table, csv or json (DESIGN 8).
 *
 * A report is a header of column names and rows of strings.  csv follows
 * RFC 4180 and always prints its header; table aligns columns for a
 * terminal (by display width, counting CJK characters as two); json prints
 * an array of objects with every value a string (or null for NULL).
 */
#ifndef CLI_REPORT_H
#define CLI_REPORT_H

#include <stdio.h>

typedef enum { CLI_FMT_TABLE = 0, CLI_FMT_CSV, CLI_FMT_JSON } cli_format;

typedef struct cli_report cli_report;

/* Creates a report with `n_cols` columns named `cols` (copied). NULL if out of memory. */
cli_report *cli_report_new(const char *const *cols, size_t n_cols);

/* Appends a row of `n_cols` values (copied; NULL prints empty / null). 0 or -1. */
int cli_report_add(cli_report *r, const char *const *values);

/* Writes the report to `out` in `fmt`; returns 0, or -1 on a write error. */
int cli_report_write(const cli_report *r, FILE *out, cli_format fmt);

void cli_report_free(cli_report *r);

/* Parses `table|csv|json`; -1 when unknown. */
int cli_format_from_name(const char *name);

/* The default: table when `out` is a terminal, else csv. */
cli_format cli_format_default(FILE *out);

#endif
