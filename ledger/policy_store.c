/* policy_store.c -- loaded policy versions in the ledger. */
#include "policy_store.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"

/* ON CONFLICT: a concurrent loader of the same version waits, then sees it. */
static const char store__insert_sql[] =
    "INSERT INTO policies (program, version, sha256, source, title, legal_ref,"
    " effective_from, effective_to, normalised)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    " ON CONFLICT (program, version) DO NOTHING RETURNING version";

/* Columns of a listed version; dates by to_char, so DateStyle cannot change them. */
#define STORE__COLUMNS                                                                   \
    "program::text, version::text, sha256::text, title, legal_ref,"                      \
    " to_char(effective_from, 'YYYY-MM-DD'), coalesce(to_char(effective_to, 'YYYY-MM-DD'),"  \
    " ''), to_char(loaded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* Inserts the version unless it exists; `*out` is 1 when it was inserted. */
static eng_status store__insert(int *out, led_db *db, const led_policy_row *row,
                                const char *sha, const char *version, eng_error *err)
{
    const char *values[9] = {row->program, version, sha, (const char *)row->bytes,
                             row->title, row->legal_ref, row->effective_from,
                             row->effective_to, row->normalised};
    int lengths[9] = {0, 0, 0, (int)row->len, 0, 0, 0, 0, 0};
    int formats[9] = {0, 0, 0, 1, 0, 0, 0, 0, 0};   /* the bytes go as binary bytea */
    PGresult *res;
    eng_status rc = ENG_OK;

    res = PQexecParams(db->conn, store__insert_sql, 9, NULL, values, lengths, formats, 0);
    if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
        rc = led__fail(err, db, res, "cannot store the policy");
    } else {
        *out = PQntuples(res) == 1;
    }
    PQclear(res);
    return rc;
}

/* The version exists: the same bytes are a no-op, other bytes a conflict. */
static eng_status store__compare(led_db *db, const led_policy_row *row, const char *sha,
                                 const char *version, eng_error *err)
{
    const char *params[2] = {row->program, version};
    PGresult *res = NULL;
    eng_status rc;

    rc = led__query(&res, db, "SELECT sha256::text FROM policies"
                    " WHERE program = $1 AND version = $2", 2, params, err);
    if (rc < 0) {
        return rc;
    }
    if (PQntuples(res) != 1) {
        rc = eng_error_set(err, ENG_ERROR, "policy %s version %ld is neither new nor stored",
                           row->program, row->version);
    } else if (strcmp(PQgetvalue(res, 0, 0), sha) != 0) {
        rc = eng_error_set(err, ENG_ECONFLICT, "policy %s version %ld is already loaded with "
                           "different content (sha256 %.12s\u2026)", row->program,
                           row->version, PQgetvalue(res, 0, 0));
        if (err != NULL) {
            snprintf(err->detail, sizeof(err->detail), "Loaded: sha256 %s; this file: "
                     "sha256 %s.", PQgetvalue(res, 0, 0), sha);
            snprintf(err->hint, sizeof(err->hint), "A loaded version never changes: give "
                     "the new text a new version number.");
        }
    }
    PQclear(res);
    return rc;
}

eng_status led_policy_store(led_db *db, const led_policy_row *row, int *out_inserted,
                            eng_error *err)
{
    char sha[LED_SHA256_HEX_SIZE];
    char version[24];
    int inserted = 0;
    eng_status rc;

    assert(db != NULL && row != NULL && out_inserted != NULL);
    assert(row->program != NULL && row->title != NULL && row->legal_ref != NULL
           && row->effective_from != NULL && row->normalised != NULL);
    assert(row->bytes != NULL || row->len == 0);
    if (row->version < 1 || row->version > ENG_VERSION_MAX || row->len > ENG_POLICY_BYTES_MAX) {
        return eng_error_set(err, ENG_EINVALID, "policy %s version %ld is out of range",
                             row->program, row->version);
    }
    rc = led_sha256_hex(sha, row->bytes, row->len, err);
    if (rc < 0) {
        return rc;
    }
    snprintf(version, sizeof(version), "%ld", row->version);
    rc = led__exec(db, "BEGIN", err);
    if (rc < 0) {
        return rc;
    }
    rc = led__exec(db, "SET LOCAL ROLE finance", err);
    if (rc == ENG_OK) {
        rc = store__insert(&inserted, db, row, sha, version, err);
    }
    if (rc == ENG_OK && !inserted) {
        rc = store__compare(db, row, sha, version, err);
    }
    if (rc == ENG_OK) {
        rc = led__exec(db, inserted ? "COMMIT" : "ROLLBACK", err);
    }
    if (rc < 0) {
        led__rollback(db);
        return rc;
    }
    *out_inserted = inserted;
    return ENG_OK;
}

/* Copies one text value into a fixed field; -1 when it does not fit. */
static int store__copy(char *out, size_t size, const char *value)
{
    int n = snprintf(out, size, "%s", value);

    return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

/* Fills `info` from row `r` of a result with the STORE__COLUMNS columns first. */
static int store__fill(led_policy_info *info, const PGresult *res, int r)
{
    memset(info, 0, sizeof(*info));
    if (store__copy(info->program, sizeof(info->program), PQgetvalue(res, r, 0)) < 0
        || led__parse_long(&info->version, PQgetvalue(res, r, 1)) < 0
        || store__copy(info->sha256, sizeof(info->sha256), PQgetvalue(res, r, 2)) < 0
        || store__copy(info->effective_from, sizeof(info->effective_from),
                       PQgetvalue(res, r, 5)) < 0
        || store__copy(info->effective_to, sizeof(info->effective_to),
                       PQgetvalue(res, r, 6)) < 0
        || store__copy(info->loaded_at, sizeof(info->loaded_at), PQgetvalue(res, r, 7)) < 0) {
        return -1;
    }
    info->title = strdup(PQgetvalue(res, r, 3));
    info->legal_ref = strdup(PQgetvalue(res, r, 4));
    return info->title != NULL && info->legal_ref != NULL ? 0 : -1;
}

/* Frees what one entry owns, keeping the entry itself. */
static void store__clear(led_policy_info *info)
{
    free(info->title);
    free(info->legal_ref);
    free(info->bytes);
    free(info->normalised);
    memset(info, 0, sizeof(*info));
}

eng_status led_policy_list(led_policy_info **out, size_t *out_n, led_db *db,
                           const char *program, eng_error *err)
{
    const char *params[1] = {program};
    led_policy_info *list = NULL;
    PGresult *res = NULL;
    size_t n = 0;
    eng_status rc;

    assert(out != NULL && out_n != NULL && db != NULL);
    rc = led__query(&res, db, "SELECT " STORE__COLUMNS " FROM policies"
                    " WHERE $1::text IS NULL OR program = $1"
                    " ORDER BY program COLLATE \"C\", version", 1, params, err);
    if (rc < 0) {
        return rc;
    }
    if (PQntuples(res) > 0) {
        list = calloc((size_t)PQntuples(res), sizeof(*list));
        if (list == NULL) {
            rc = eng_error_set(err, ENG_ERROR, "out of memory");
            goto cleanup;
        }
    }
    for (; n < (size_t)PQntuples(res); n++) {
        if (store__fill(&list[n], res, (int)n) < 0) {
            store__clear(&list[n]);
            rc = eng_error_set(err, ENG_ERROR, "cannot read stored policy %zu", n + 1);
            goto cleanup;
        }
    }
    *out = list;
    *out_n = n;
    list = NULL;
cleanup:
    led_policy_list_free(list, n);
    PQclear(res);
    return rc;
}

/* Runs the fetch of led_policy_get with binary results (the bytes arrive as they are). */
static eng_status store__fetch(PGresult **out, led_db *db, const char *program, long version,
                               eng_error *err)
{
    char number[24];
    const char *params[2] = {program, number};
    PGresult *res;
    eng_status rc;

    snprintf(number, sizeof(number), "%ld", version);
    res = PQexecParams(db->conn, "SELECT " STORE__COLUMNS ", source, normalised"
                       " FROM policies WHERE program = $1"
                       " AND ($2::integer = 0 OR version = $2::integer)"
                       " ORDER BY version DESC LIMIT 1", 2, NULL, params, NULL, NULL, 1);
    if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
        rc = led__fail(err, db, res, "cannot read the policy");
        PQclear(res);
        return rc;
    }
    if (PQntuples(res) != 1) {
        PQclear(res);
        if (version == 0) {
            return eng_error_set(err, ENG_EINVALID, "policy %s is not loaded", program);
        }
        return eng_error_set(err, ENG_EINVALID, "policy %s version %ld is not loaded",
                             program, version);
    }
    *out = res;
    return ENG_OK;
}

eng_status led_policy_get(led_policy_info **out, led_db *db, const char *program,
                          long version, eng_error *err)
{
    led_policy_info *info = NULL;
    PGresult *res = NULL;
    size_t len;
    eng_status rc;

    assert(out != NULL && db != NULL && program != NULL);
    assert(version >= 0);
    rc = store__fetch(&res, db, program, version, err);
    if (rc < 0) {
        return rc;
    }
    len = (size_t)PQgetlength(res, 0, 8);
    info = calloc(1, sizeof(*info));
    if (info == NULL || store__fill(info, res, 0) < 0) {
        rc = eng_error_set(err, ENG_ERROR, "out of memory");
        goto cleanup;
    }
    info->bytes = malloc(len > 0 ? len : 1);
    info->normalised = strdup(PQgetvalue(res, 0, 9));
    if (info->bytes == NULL || info->normalised == NULL) {
        rc = eng_error_set(err, ENG_ERROR, "out of memory");
        goto cleanup;
    }
    memcpy(info->bytes, PQgetvalue(res, 0, 8), len);
    info->len = len;
    assert(version == 0 || info->version == version);
    *out = info;
    info = NULL;
cleanup:
    led_policy_info_free(info);
    PQclear(res);
    return rc;
}

void led_policy_info_free(led_policy_info *info)
{
    if (info == NULL) {
        return;
    }
    store__clear(info);
    free(info);
}

void led_policy_list_free(led_policy_info *list, size_t n)
{
    if (list == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        store__clear(&list[i]);
    }
    free(list);
}
