/* migrate.c -- applies the embedded migrations, each once, in order. */
#include "migrate.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "pg_int.h"
#include "sha256.h"

/* pg_advisory_xact_lock key of migrations: "riskshar" as a big-endian int64. */
#define MIGRATE__LOCK_SQL "SELECT pg_advisory_xact_lock(8244247498213319026)"

static const char migrate__table_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version    integer PRIMARY KEY CHECK (version > 0),"
    " name       text NOT NULL,"
    " sha256     text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),"
    " applied_at timestamptz NOT NULL DEFAULT now(),"
    " applied_by text NOT NULL DEFAULT current_user)";

/*
 * Objects go into the connection's current schema; functions created with
 * `SET search_path FROM CURRENT` then search it and pg_temp last, so a temporary
 * table can never stand in for a ledger table inside a SECURITY DEFINER function.
 */
static const char migrate__path_sql[] =
    "SELECT set_config('search_path', quote_ident(s) || ', pg_temp', true)"
    " FROM current_schema() AS s WHERE s IS NOT NULL";

/* Checks one row of schema_version against the embedded migration of that version. */
static eng_status migrate__check_row(const PGresult *res, int row, eng_error *err)
{
    const struct led_migration *m;
    char sha[LED_SHA256_HEX_SIZE];
    long version = 0;
    eng_status rc;

    if (led__parse_long(&version, PQgetvalue(res, row, 0)) < 0 || version != row + 1) {
        return eng_error_set(err, ENG_EDB, "schema_version lists version %s where %d was "
                             "expected", PQgetvalue(res, row, 0), row + 1);
    }
    if ((size_t)version > led_n_migrations) {
        return eng_error_set(err, ENG_EDB, "the database schema is at version %ld, newer "
                             "than this riskshare knows (%zu): upgrade riskshare",
                             (long)PQntuples(res), led_n_migrations);
    }
    m = &led_migrations[row];
    assert(m->version == row + 1);
    rc = led_sha256_hex(sha, m->sql, strlen(m->sql), err);
    if (rc < 0) {
        return rc;
    }
    if (strcmp(PQgetvalue(res, row, 1), m->name) != 0
        || strcmp(PQgetvalue(res, row, 2), sha) != 0) {
        eng_error_set(err, ENG_EDB, "migration %03d_%s applied to this database differs "
                      "from this riskshare's", m->version, m->name);
        if (err != NULL) {
            snprintf(err->detail, sizeof(err->detail), "Applied: %s (sha256 %.12s); "
                     "built in: %s (sha256 %.12s).", PQgetvalue(res, row, 1),
                     PQgetvalue(res, row, 2), m->name, sha);
            snprintf(err->hint, sizeof(err->hint), "A migration never changes once "
                     "applied: add a new one.");
        }
        return ENG_EDB;
    }
    return ENG_OK;
}

/* Sets `*out` to the number of migrations applied, after checking every one of them. */
static eng_status migrate__applied(size_t *out, led_db *db, eng_error *err)
{
    PGresult *res = NULL;
    eng_status rc;
    int exists;

    rc = led__query(&res, db, "SELECT to_regclass('schema_version') IS NOT NULL", 0, NULL,
                    err);
    if (rc < 0) {
        return rc;
    }
    exists = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    if (!exists) {
        *out = 0;
        return ENG_OK;
    }
    rc = led__query(&res, db, "SELECT version, name, sha256 FROM schema_version"
                    " ORDER BY version", 0, NULL, err);
    if (rc < 0) {
        return rc;
    }
    for (int row = 0; row < PQntuples(res); row++) {
        rc = migrate__check_row(res, row, err);
        if (rc < 0) {
            goto cleanup;
        }
    }
    *out = (size_t)PQntuples(res);
cleanup:
    PQclear(res);
    return rc;
}

/* Takes the lock, fixes the search_path and makes sure schema_version exists. */
static eng_status migrate__prepare(led_db *db, eng_error *err)
{
    PGresult *res = NULL;
    eng_status rc;

    rc = led__exec(db, MIGRATE__LOCK_SQL, err);
    if (rc < 0) {
        return rc;
    }
    rc = led__query(&res, db, migrate__path_sql, 0, NULL, err);
    if (rc < 0) {
        return rc;
    }
    if (PQntuples(res) != 1) {
        PQclear(res);
        return eng_error_set(err, ENG_EDB, "no schema to hold the ledger: the search_path "
                             "names no existing schema");
    }
    PQclear(res);
    return led__exec(db, migrate__table_sql, err);
}

/* Applies one migration and records it. */
static eng_status migrate__apply(led_db *db, const struct led_migration *m, eng_error *err)
{
    char sha[LED_SHA256_HEX_SIZE];
    char version[16];
    char what[128];
    const char *params[3];
    PGresult *res;
    eng_status rc;

    snprintf(what, sizeof(what), "migration %03d_%s failed", m->version, m->name);
    res = PQexec(db->conn, m->sql);
    if (res == NULL || (PQresultStatus(res) != PGRES_COMMAND_OK
                        && PQresultStatus(res) != PGRES_TUPLES_OK)) {
        led__fail(err, db, res, what);
        PQclear(res);
        if (err != NULL) {
            err->code = ENG_EDB;    /* a database that cannot migrate is unusable */
        }
        return ENG_EDB;
    }
    PQclear(res);
    rc = led_sha256_hex(sha, m->sql, strlen(m->sql), err);
    if (rc < 0) {
        return rc;
    }
    snprintf(version, sizeof(version), "%d", m->version);
    params[0] = version;
    params[1] = m->name;
    params[2] = sha;
    rc = led__query(&res, db, "INSERT INTO schema_version (version, name, sha256)"
                    " VALUES ($1, $2, $3)", 3, params, err);
    if (rc < 0) {
        return rc;
    }
    PQclear(res);
    return ENG_OK;
}

eng_status led_migrate(led_db *db, eng_error *err)
{
    size_t done = 0;
    eng_status rc;

    assert(db != NULL && db->conn != NULL);
    assert(led_n_migrations > 0);
    rc = migrate__applied(&done, db, err);
    if (rc < 0 || done == led_n_migrations) {
        return rc;
    }
    rc = led__exec(db, "BEGIN", err);
    if (rc < 0) {
        return rc;
    }
    rc = migrate__prepare(db, err);
    if (rc < 0) {
        goto cleanup;
    }
    /* Another connection may have migrated while this one waited for the lock. */
    rc = migrate__applied(&done, db, err);
    if (rc < 0) {
        goto cleanup;
    }
    for (size_t i = done; i < led_n_migrations; i++) {
        rc = migrate__apply(db, &led_migrations[i], err);
        if (rc < 0) {
            goto cleanup;
        }
    }
    rc = led__exec(db, "COMMIT", err);
cleanup:
    if (rc < 0) {
        led__rollback(db);
    }
    return rc;
}
