/*
 * pg_harness.h -- PostgreSQL helpers for the integration tests.
 *
 * tests/run.sh starts a throwaway server and exports its connection string in
 * RISKSHARE_TEST_DB.  Criterion runs tests in parallel worker processes, so each
 * test that writes takes a fresh database of its own (pgh_fresh_db).  Every helper
 * fails the running test when the database does not answer as expected.
 */
#ifndef PGH_HARNESS_H
#define PGH_HARNESS_H

#include <libpq-fe.h>
#include <stddef.h>

/*
 * Creates a database with a name no other worker uses on the test server and
 * writes its connection string into `conninfo_out` (`n` bytes).  The database is
 * dropped with the server when tests/run.sh ends.
 */
void pgh_fresh_db(char *conninfo_out, size_t n);

/* Connects to `conninfo`; the caller closes it with PQfinish(). */
PGconn *pgh_connect(const char *conninfo);

/* How one statement (or several, separated by `;`) ended. */
typedef struct {
    int ok;                 /* 1 when the statements and the COMMIT succeeded */
    char sqlstate[6];       /* the error's SQLSTATE, "" when ok */
    char message[512];      /* the error's primary message, "" when ok */
} pgh_outcome;

/*
 * Runs `sql` in a transaction of its own as `role` (SET LOCAL ROLE; NULL: the
 * connecting user), then commits, so errors raised at commit (deferred constraint
 * triggers) are reported too.  Rolls back on error.  Allocates nothing.
 */
pgh_outcome pgh_try(PGconn *conn, const char *role, const char *sql);

/* Like pgh_try(), failing the test unless it succeeds. */
void pgh_ok(PGconn *conn, const char *role, const char *sql);

/*
 * Runs `sql` as `role` like pgh_try() and returns the first column of its first
 * row, "NULL" for SQL NULL.  The caller frees the string with free().
 */
char *pgh_value(PGconn *conn, const char *role, const char *sql);

/* Removes the directory tree `path` (a test's temporary home); a missing one is fine. */
void pgh_rmtree(const char *path);

#endif
