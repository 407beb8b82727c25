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

/* 1 when `s` is an id as DESIGN writes them: [A-Za-z0-9._-]{1,64}; 0 otherwise. */
int cli_is_id(const char *s);

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

/*
 * How often a writing command (batch submit, events import, settle --commit) tries
 * its transaction when the database reports a conflict (ENG_ERETRY: SQLSTATE 40001
 * serialisation failure, 40P01 deadlock, 55P03 lock not available), and the first
 * pause between two tries.  Each pause doubles, with up to as much again at random.
 */
#define CLI_RETRY_ATTEMPTS 5
#define CLI_RETRY_PAUSE_MS 50

#if CLI_RETRY_ATTEMPTS < 1 || CLI_RETRY_ATTEMPTS > 10
#error "CLI_RETRY_ATTEMPTS: at least one try, and few enough that a conflict ends quickly"
#endif
#if CLI_RETRY_PAUSE_MS < 1 || (CLI_RETRY_PAUSE_MS << (CLI_RETRY_ATTEMPTS - 1)) > 10000
#error "CLI_RETRY_PAUSE_MS: the longest pause stays under 10 s"
#endif

/*
 * One try of a command's transaction, from scratch: connect, open the transaction,
 * read the state, decide, record, commit.  It resets whatever an earlier try left
 * in `ctx` first, prints nothing when it fails with ENG_ERETRY (the caller may try
 * again), and leaves the connection closed and no transaction open in every case.
 */
typedef eng_status (*cli_attempt_fn)(void *ctx, eng_error *err);

/*
 * Calls `attempt(ctx, err)` until it returns anything but ENG_ERETRY, at most
 * CLI_RETRY_ATTEMPTS times, pausing between tries (CLI_RETRY_PAUSE_MS, doubling,
 * jittered).  Returns the last try's status.  When every try met a conflict,
 * returns ENG_ERETRY with `err` rewritten to one line:
 * `<what>: conflict with another writer (<server message>); tried N times, nothing
 * recorded`.  Allocates nothing.
 */
eng_status cli_retry(cli_attempt_fn attempt, void *ctx, const char *what, eng_error *err);

#endif
