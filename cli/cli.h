/*
 * cli.h -- what the command modules share: exit codes (DESIGN 8), the
 * common options, and printing one error line.
 */
#ifndef CLI_CLI_H
#define CLI_CLI_H

#include "errlist.h"
#include "error.h"
#include "pg.h"
#include "report.h"

enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAULT = 1,       /* audit verify found a fault */
    CLI_EXIT_USAGE = 2,
    CLI_EXIT_DATAERR = 65,    /* bad input; nothing recorded */
    CLI_EXIT_UNAVAILABLE = 69,/* database unavailable */
    CLI_EXIT_TEMPFAIL = 75,   /* conflict: retry */
    CLI_EXIT_SOFTWARE = 70    /* internal software error (sysexits EX_SOFTWARE) */
};

/* Options every command accepts. */
typedef struct {
    const char *db;           /* --db CONNINFO, or NULL */
    int has_format;
    cli_format format;        /* --format, else the default for stdout */
    int quiet;                /* --quiet */
    int help;                 /* --help or -h */
} cli_common;

/*
 * Parses argv[0..argc) in place: removes the common options it knows and
 * leaves the rest (command words, command options, operands) in order in
 * argv, returning their count, or -1 after printing a usage error.
 */
int cli_common_parse(cli_common *out, int argc, char **argv);

/*
 * The start every command shares: parses the common options of argv (see
 * cli_common_parse) into `out` and the count of what is left into `*n`.
 * Returns -1 to go on; otherwise the exit code to return at once: 0 after
 * printing `usage` for --help, 2 after a usage error.
 */
int cli_begin(cli_common *out, int *n, int argc, char **argv, const char *usage);

/* Prints `riskshare: <formatted error>` on stderr. */
void cli_print_error(const eng_error *err);

/* Prints `riskshare: <message>` on stderr (printf-style). */
void cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The exit code for a failed eng_status. */
int cli_exit_for(eng_status rc);

/* The format to print reports in. */
cli_format cli_output_format(const cli_common *c);

/*
 * Connects to the database `--db` names (`db_option`, or NULL: RISKSHARE_DB, the PG*
 * variables, else the local database; led_conninfo_resolve).  ENG_OK with `*out`
 * open, else the failure in `err`.
 */
eng_status cli_connect(led_db **out, const char *db_option, eng_error *err);

/*
 * Ends a failed run: prints the input errors of `errs` when there are any (exit
 * 65), else the one error `err` (the exit code of `rc`).  Returns the exit code.
 */
int cli_fail(const cli_errlist *errs, eng_status rc, const eng_error *err);

#endif
