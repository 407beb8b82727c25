/*
 * pg.h -- the connection to the ledger database.
 *
 * Which server: `--db CONNINFO`, else RISKSHARE_DB, else libpq's own PG* variables
 * when any that selects a server is set, else the local cluster (ledger/local.h),
 * started on first use.  A connection is always UTF-8 and migrated to the newest
 * schema before it is handed out.  libpq stays behind the opaque led_db.
 */
#ifndef LED_PG_H
#define LED_PG_H

#include <stddef.h>

#include "error.h"

typedef struct led_db led_db;

/*
 * Chooses the connection string, in DESIGN 8's order: `db_opt` (the --db value;
 * NULL when not given), else the environment variable RISKSHARE_DB when set and not
 * empty, else "" (libpq's defaults) when any of PGHOST, PGHOSTADDR, PGPORT,
 * PGDATABASE, PGUSER, PGPASSWORD, PGPASSFILE, PGSERVICE or PGSERVICEFILE is set,
 * else the local cluster's, which this call initialises and starts when needed.
 * On success `*out` is a string the caller frees with free().  Returns ENG_EDB
 * (or another code from led_local_start) when the local cluster cannot start.
 */
eng_status led_conninfo_resolve(char **out, const char *db_opt, eng_error *err);

/*
 * Connects with `conninfo` (a libpq key=value string or URI; "" for libpq's
 * defaults), sets client_encoding to UTF8, and applies pending migrations
 * (ledger/migrate.h).  On success `*out` is a connection the caller closes with
 * led_close().  Returns ENG_EDB when the server is unavailable or refuses the
 * connection, or when migrating fails; a password in `conninfo` never appears in
 * `err`.  `*out` is untouched on failure.
 */
eng_status led_connect(led_db **out, const char *conninfo, eng_error *err);

/* Closes the connection and frees `db`; NULL is allowed. */
void led_close(led_db *db);

/*
 * Runs `sql`, one statement, with `n_params` text parameters (`params[i]` NULL for
 * SQL NULL; never interpolate data into `sql`), discarding any rows.  For the
 * callers' own statements inside a transaction they opened (led_journal_begin).
 * Allocates nothing that outlives the call.  Returns ENG_EDB when the connection is
 * lost, ENG_ERETRY for a serialisation failure, deadlock or lock timeout (SQLSTATE
 * 40001, 40P01, 55P03), ENG_ERROR (with the server's message, SQLSTATE, detail and
 * hint in `err`) otherwise.
 */
eng_status led_exec_params(led_db *db, const char *sql, int n_params, const char *const *params,
                           eng_error *err);

/*
 * Like led_exec_params(), and sets `*out` to the first column of the first row as
 * text, which the caller frees with free(), or to NULL when there is no row or the
 * value is SQL NULL.  `*out` is untouched on failure.
 */
eng_status led_query_value(char **out, led_db *db, const char *sql, int n_params,
                           const char *const *params, eng_error *err);

/*
 * Copies `text` (a connection string, a URI, or a message quoting one) into `out`
 * (`size` bytes, always NUL-terminated, truncated when needed) with every password
 * value replaced by `***`: `password=...` in any case, quoted or not, and the
 * `user:secret@` part of a URI.  Allocates nothing.
 */
void led_mask_password(char *out, size_t size, const char *text);

#endif
