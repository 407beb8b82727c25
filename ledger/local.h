/*
 * local.h -- riskshare's private PostgreSQL cluster (DESIGN 8: the local database).
 *
 * It lives under ${RISKSHARE_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/riskshare}:
 *
 *   pgdata/             the cluster (initdb -A trust -E UTF8 --locale=C.UTF-8 -U riskshare)
 *   run/                the unix socket, port 5432; no TCP (listen_addresses = '')
 *   log/postgres.log    the server's log
 *   lock                flock()ed while starting or stopping, so concurrent first
 *                       uses initialise once
 *
 * It is created on first use and started with `pg_ctl -w`.  Run as root, the
 * server runs as the `postgres` system user, which owns pgdata/, run/ and log/;
 * the ancestors of the home that user cannot search get o+x (said once on stderr).
 * The programs come from `pg_config --bindir`, else /usr/lib/postgresql/15/bin.
 */
#ifndef LED_LOCAL_H
#define LED_LOCAL_H

#include <stddef.h>

#include "error.h"

/* Bytes of every path of the cluster, NUL included. */
#define LED_LOCAL_PATH_SIZE 128
/* Longest home: its socket path `HOME/run/.s.PGSQL.5432` must fit in 107 bytes. */
#define LED_LOCAL_HOME_MAX (107 - 18)
/* The port, which with the socket directory names the socket file. */
#define LED_LOCAL_PORT 5432

#if LED_LOCAL_HOME_MAX + 18 >= LED_LOCAL_PATH_SIZE
#error "LED_LOCAL_PATH_SIZE must hold the home and its longest file name"
#endif

typedef enum {
    LED_LOCAL_NOT_INITIALISED = 0,
    LED_LOCAL_STOPPED,
    LED_LOCAL_RUNNING
} led_local_state;

typedef struct {
    char home[LED_LOCAL_PATH_SIZE];
    char data_dir[LED_LOCAL_PATH_SIZE];    /* HOME/pgdata */
    char socket_dir[LED_LOCAL_PATH_SIZE];  /* HOME/run */
    char log_file[LED_LOCAL_PATH_SIZE];    /* HOME/log/postgres.log */
} led_local_paths;

typedef struct {
    led_local_state state;
    long pid;                              /* the server's, 0 unless running */
    led_local_paths paths;
} led_local_info;

/*
 * Resolves the home from the environment (a relative path is taken from the
 * current directory) and the paths under it into `*out`.  Allocates nothing.
 * Returns ENG_EINVALID when the home is too long for a unix socket (more than
 * LED_LOCAL_HOME_MAX bytes) or holds a quote, backslash, `$`, backquote or control
 * character; `*out` is then untouched.
 */
eng_status led_local_resolve(led_local_paths *out, eng_error *err);

/*
 * Initialises the cluster when needed, starts it unless it runs already, and
 * creates the database `riskshare` when missing.  When `out` is not NULL it
 * receives the state afterwards.  Allocates nothing that outlives the call.
 * Returns ENG_EDB when the server cannot be set up or started (the message names
 * the failing step, the detail quotes its output), ENG_EINVALID for a bad home.
 */
eng_status led_local_start(led_local_info *out, eng_error *err);

/*
 * Stops the server (pg_ctl stop -m fast) when it runs.  `*out_was_running`, when
 * `out_was_running` is not NULL, receives 1 if it did, else 0.  Returns ENG_EDB
 * when stopping fails.
 */
eng_status led_local_stop(int *out_was_running, eng_error *err);

/*
 * Fills `*out` with the cluster's state, the server's pid and the paths, changing
 * nothing.  Returns ENG_EDB when the state cannot be read.
 */
eng_status led_local_status(led_local_info *out, eng_error *err);

/*
 * Sets `*out` to the libpq connection string of the local database,
 * `host=HOME/run port=5432 dbname=riskshare user=riskshare`, whether or not it
 * runs.  The caller frees it with free().
 */
eng_status led_local_url(char **out, eng_error *err);

/*
 * Writes `value` into `out` (`size` bytes) as a libpq connection-string value:
 * quoted with '...' and with ' and \ escaped when it is empty or holds a space, a
 * quote or a backslash.  Returns -1 when it does not fit, else 0.
 */
int led_conninfo_quote(char *out, size_t size, const char *value);

#endif
