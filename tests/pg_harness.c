/* pg_harness.c -- PostgreSQL helpers for the integration tests. */
#define _XOPEN_SOURCE 700               /* nftw */
#include "pg_harness.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "local.h"

PGconn *pgh_connect(const char *conninfo)
{
    PGconn *conn = PQconnectdb(conninfo);

    if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
        cr_assert_fail("cannot connect to the test server (%s): %s", conninfo,
                       conn != NULL ? PQerrorMessage(conn) : "out of memory");
    }
    return conn;
}

/* Rewrites `base` with dbname=`name` (parsed, so URIs and quoting work). */
static void pgh__with_dbname(char *out, size_t n, const char *base, const char *name)
{
    char *errmsg = NULL;
    PQconninfoOption *opts = PQconninfoParse(base, &errmsg);
    size_t used = 0;
    char quoted[512];

    cr_assert_not_null(opts, "RISKSHARE_TEST_DB does not parse: %s", errmsg);
    out[0] = '\0';
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        if (o->val == NULL || strcmp(o->keyword, "dbname") == 0) {
            continue;
        }
        cr_assert_eq(led_conninfo_quote(quoted, sizeof(quoted), o->val), 0);
        used += (size_t)snprintf(out + used, n - used, "%s=%s ", o->keyword, quoted);
        cr_assert_lt(used, n, "connection string too long");
    }
    used += (size_t)snprintf(out + used, n - used, "dbname=%s", name);
    cr_assert_lt(used, n, "connection string too long");
    PQconninfoFree(opts);
}

void pgh_fresh_db(char *conninfo_out, size_t n)
{
    static unsigned counter;
    const char *base = getenv("RISKSHARE_TEST_DB");
    struct timespec ts;
    char name[64];
    char sql[128];
    PGconn *conn;
    PGresult *res;

    if (base == NULL || base[0] == '\0') {
        cr_assert_fail("RISKSHARE_TEST_DB is not set: run the tests with "
                       "sh tests/run.sh BINARY");
    }
    /* pid + clock + counter: a reused pid of an earlier worker cannot collide. */
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(name, sizeof(name), "rs_%ld_%lld_%09ld_%u", (long)getpid(),
             (long long)ts.tv_sec, ts.tv_nsec, counter++);
    /* The name is digits and underscores only, so it needs no quoting. */
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
    conn = pgh_connect(base);
    res = PQexec(conn, sql);
    cr_assert_eq(PQresultStatus(res), PGRES_COMMAND_OK, "%s: %s", sql,
                 PQerrorMessage(conn));
    PQclear(res);
    PQfinish(conn);
    pgh__with_dbname(conninfo_out, n, base, name);
}

/* Records the error of `res` (or of the connection) in `out`. */
static void pgh__record(pgh_outcome *out, PGconn *conn, const PGresult *res)
{
    const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

    out->ok = 0;
    snprintf(out->sqlstate, sizeof(out->sqlstate), "%s", state != NULL ? state : "");
    snprintf(out->message, sizeof(out->message), "%s",
             msg != NULL ? msg : PQerrorMessage(conn));
}

static int pgh__good(const PGresult *res)
{
    return PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
}

/* BEGIN and SET LOCAL ROLE (through set_config, so the role is a parameter). */
static int pgh__begin(pgh_outcome *out, PGconn *conn, const char *role)
{
    const char *params[1] = {role};
    PGresult *res = PQexec(conn, "BEGIN");
    int good = pgh__good(res);

    PQclear(res);
    cr_assert(good, "BEGIN failed: %s", PQerrorMessage(conn));
    if (role == NULL) {
        return 1;
    }
    res = PQexecParams(conn, "SELECT set_config('role', $1, true)", 1, NULL, params, NULL,
                       NULL, 0);
    good = pgh__good(res);
    if (!good) {
        pgh__record(out, conn, res);
    }
    PQclear(res);
    return good;
}

/* Runs the statements; `*value` (when not NULL) receives the first cell. */
static pgh_outcome pgh__run(PGconn *conn, const char *role, const char *sql, char **value)
{
    pgh_outcome out = {1, "", ""};
    PGresult *res;

    if (!pgh__begin(&out, conn, role)) {
        PQclear(PQexec(conn, "ROLLBACK"));
        return out;
    }
    res = PQexec(conn, sql);
    if (!pgh__good(res)) {
        pgh__record(&out, conn, res);
        PQclear(res);
        PQclear(PQexec(conn, "ROLLBACK"));
        return out;
    }
    if (value != NULL && PQntuples(res) > 0 && PQnfields(res) > 0) {
        *value = strdup(PQgetisnull(res, 0, 0) ? "NULL" : PQgetvalue(res, 0, 0));
    }
    PQclear(res);
    res = PQexec(conn, "COMMIT");
    if (!pgh__good(res)) {
        pgh__record(&out, conn, res);
    }
    PQclear(res);
    return out;
}

pgh_outcome pgh_try(PGconn *conn, const char *role, const char *sql)
{
    return pgh__run(conn, role, sql, NULL);
}

void pgh_ok(PGconn *conn, const char *role, const char *sql)
{
    pgh_outcome o = pgh__run(conn, role, sql, NULL);

    cr_assert(o.ok, "as %s: %s\nfailed: %s %s", role != NULL ? role : "owner", sql,
              o.sqlstate, o.message);
}

char *pgh_value(PGconn *conn, const char *role, const char *sql)
{
    char *value = NULL;
    pgh_outcome o = pgh__run(conn, role, sql, &value);

    cr_assert(o.ok, "as %s: %s\nfailed: %s %s", role != NULL ? role : "owner", sql,
              o.sqlstate, o.message);
    cr_assert_not_null(value, "no row from: %s", sql);
    return value;
}

static int pgh__rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

void pgh_rmtree(const char *path)
{
    if (nftw(path, pgh__rm, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT) {
        cr_assert_fail("cannot remove %s: %s", path, strerror(errno));
    }
}
