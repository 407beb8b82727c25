/* batch_store.c -- the ledger side of batch admission (see batch_store.h). */
#include "batch_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"

eng_status led_batch_find(long *out_batch_id, led_db *db, const char *program,
                          const char *agency, const char *sha256_hex, eng_error *err)
{
    PGresult *res = NULL;
    const char *params[] = {program, agency, sha256_hex};
    eng_status rc = led__query(&res, db,
                               "SELECT batch_id FROM batches WHERE program = $1 AND agency = $2"
                               " AND file_sha256 = $3",
                               3, params, err);
    if (rc != ENG_OK) {
        return rc;
    }
    long id = 0;
    if (PQntuples(res) == 1) {
        led__parse_long(&id, PQgetvalue(res, 0, 0));
    }
    PQclear(res);
    *out_batch_id = id;
    return ENG_OK;
}

eng_status led_batch_recorded_ids(led_db *db, const char *program, const char *const *ids,
                                  size_t n, void (*fn)(void *ctx, size_t index, long batch_id),
                                  void *ctx, eng_error *err)
{
    char *arr = led__array_literal(ids, n);
    PGresult *res = NULL;
    if (arr == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    const char *params[] = {program, arr};
    eng_status rc = led__query(&res, db,
                               "SELECT u.i - 1, l.batch_id FROM unnest($2::text[]) WITH ORDINALITY"
                               " AS u(id, i) JOIN loans l ON l.program = $1 AND l.loan_id = u.id"
                               " ORDER BY u.i",
                               2, params, err);
    free(arr);
    if (rc != ENG_OK) {
        return rc;
    }
    for (int r = 0; r < PQntuples(res); r++) {
        long index = 0, batch = 0;
        led__parse_long(&index, PQgetvalue(res, r, 0));
        led__parse_long(&batch, PQgetvalue(res, r, 1));
        fn(ctx, (size_t)index, batch);
    }
    PQclear(res);
    return ENG_OK;
}

/* Adds every row (key, a, b) of `res` to `t`; `year_col` >= 0 appends "@YYYY" to the key. */
static eng_status add_rows(eng_tally *t, PGresult *res, int year_col, eng_error *err)
{
    char key[128];
    for (int r = 0; r < PQntuples(res); r++) {
        eng_fen a = 0, b = 0;
        eng_status rc = led__fen_of(&a, PQgetvalue(res, r, 1), err);
        if (rc == ENG_OK) {
            rc = led__fen_of(&b, PQgetvalue(res, r, 2), err);
        }
        if (rc != ENG_OK) {
            return rc;
        }
        int n = year_col >= 0 ? snprintf(key, sizeof(key), "%s@%s", PQgetvalue(res, r, 0),
                                         PQgetvalue(res, r, year_col))
                              : snprintf(key, sizeof(key), "%s", PQgetvalue(res, r, 0));
        if (n < 0 || (size_t)n >= sizeof(key)) {
            return eng_error_set(err, ENG_ERROR, "scope key too long");
        }
        rc = eng_tally_add(t, key, (size_t)n, a, b);
        if (rc != ENG_OK) {
            return eng_error_set(err, rc, "ledger totals exceed the largest amount allowed");
        }
    }
    return ENG_OK;
}

/* Runs `sql` with (program, extra) and adds its (key, a, b[, year]) rows to `t`. */
static eng_status load_tally(eng_tally *t, led_db *db, const char *sql, const char *program,
                             const char *extra, int year_col, eng_error *err)
{
    PGresult *res = NULL;
    const char *params[] = {program, extra};
    eng_status rc = led__query(&res, db, sql, extra ? 2 : 1, params, err);
    if (rc == ENG_OK) {
        rc = add_rows(t, res, year_col, err);
        PQclear(res);
    }
    return rc;
}

/* The scopes of DESIGN 10 as one set of (key, loan) rows: bank:ID, guarantor:ID, program. */
#define SCOPES                                                                                     \
    "(SELECT 'bank:' || bank AS key, loan_id FROM loans WHERE program = $1"                        \
    " UNION ALL SELECT 'guarantor:' || guarantor, loan_id FROM loans"                              \
    "  WHERE program = $1 AND guarantor IS NOT NULL"                                               \
    " UNION ALL SELECT 'program', loan_id FROM loans WHERE program = $1) s"

static const char cumulative_sql[] =
    "SELECT s.key, coalesce(sum(d.loss_base), 0), sum(l.principal) FROM " SCOPES
    " JOIN loans l ON l.program = $1 AND l.loan_id = s.loan_id"
    " LEFT JOIN default_losses d ON d.program = $1 AND d.loan_id = s.loan_id"
    " GROUP BY s.key";

/* Per requested year: loss bases dated in the year, principal outstanding at any time in it. */
static const char yearly_sql[] =
    "SELECT s.key, coalesce(sum(d.loss_base) FILTER (WHERE extract(year FROM d.default_date)"
    " = y.year), 0),"
    " coalesce(sum(st.principal) FILTER (WHERE st.start_date <= make_date(y.year, 12, 31)"
    " AND (st.end_date IS NULL OR st.end_date >= make_date(y.year, 1, 1))), 0), y.year"
    " FROM " SCOPES
    " JOIN loan_state st ON st.program = $1 AND st.loan_id = s.loan_id"
    " LEFT JOIN default_losses d ON d.program = $1 AND d.loan_id = s.loan_id"
    " CROSS JOIN (SELECT DISTINCT unnest($2::int[]) AS year) y"
    " GROUP BY s.key, y.year";

static const char borrowers_sql[] =
    "SELECT st.borrower_code, sum(st.outstanding), 0 FROM loan_state st"
    " JOIN (SELECT DISTINCT unnest($2::text[]) AS code) b ON st.borrower_code = b.code"
    " WHERE st.program = $1 GROUP BY st.borrower_code";

static const char cash_sql[] =
    "SELECT $2::text, coalesce(sum(CASE side WHEN 'debit' THEN amount ELSE -amount END), 0), 0"
    " FROM postings WHERE program = $1 AND account = $2 || ':cash'";

/* Adds the yearly keys of `years` to `t`. */
static eng_status load_years(eng_tally *t, led_db *db, const char *program, const int *years,
                             size_t n_years, eng_error *err)
{
    char *arr = malloc(n_years * 8 + 3);
    size_t pos = 0;
    if (arr == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    arr[pos++] = '{';
    for (size_t i = 0; i < n_years; i++) {
        pos += (size_t)snprintf(arr + pos, 8, "%s%04d", i ? "," : "", years[i] % 10000);
    }
    arr[pos++] = '}';
    arr[pos] = '\0';
    eng_status rc = load_tally(t, db, yearly_sql, program, arr, 3, err);
    free(arr);
    return rc;
}

eng_status led_rates_load(eng_tally *t, led_db *db, const char *program, const int *years,
                          size_t n_years, eng_error *err)
{
    eng_status rc = load_tally(t, db, cumulative_sql, program, NULL, -1, err);
    if (rc == ENG_OK && n_years > 0) {
        rc = load_years(t, db, program, years, n_years, err);
    }
    return rc;
}

eng_status led_adm_state_load(eng_adm_state *st, led_db *db, const char *program,
                              const led_state_query *q, eng_error *err)
{
    PGresult *res = NULL;
    const char *params[] = {program};
    eng_status rc = led__query(&res, db,
                               "SELECT coalesce(sum(outstanding), 0) FROM loan_state"
                               " WHERE program = $1",
                               1, params, err);
    if (rc != ENG_OK) {
        return rc;
    }
    rc = led__fen_of(&st->program_outstanding, PQgetvalue(res, 0, 0), err);
    PQclear(res);
    if (rc == ENG_OK && q->n_borrowers > 0) {
        char *arr = led__array_literal(q->borrowers, q->n_borrowers);
        rc = arr ? load_tally(st->borrowers, db, borrowers_sql, program, arr, -1, err)
                 : eng_error_set(err, ENG_ERROR, "out of memory");
        free(arr);
    }
    if (rc == ENG_OK && q->breakers) {
        rc = load_tally(st->cumulative, db, cumulative_sql, program, NULL, -1, err);
    }
    if (rc == ENG_OK && q->breakers && q->n_years > 0) {
        rc = load_years(st->yearly, db, program, q->years, q->n_years, err);
    }
    for (size_t i = 0; rc == ENG_OK && i < q->n_pools; i++) {
        rc = load_tally(st->pool_cash, db, cash_sql, program, q->pools[i], -1, err);
    }
    return rc;
}

eng_status led_batch_insert(long *out_batch_id, led_db *db, const char *program,
                            const char *agency, const char *file_name, const char *sha256_hex,
                            eng_error *err)
{
    PGresult *res = NULL;
    const char *params[] = {program, agency, file_name, sha256_hex};
    eng_status rc = led__query(&res, db,
                               "INSERT INTO batches (program, agency, file_name, file_sha256)"
                               " VALUES ($1, $2, $3, $4) RETURNING batch_id",
                               4, params, err);
    if (rc != ENG_OK) {
        return rc;
    }
    long id = 0;
    led__parse_long(&id, PQgetvalue(res, 0, 0));
    PQclear(res);
    *out_batch_id = id;
    return ENG_OK;
}

eng_status led_batch_report(led_db *db, const char *program, long batch_id,
                            void (*fn)(void *ctx, const led_batch_row *row), void *ctx,
                            eng_error *err)
{
    char id[24];
    PGresult *res = NULL;
    snprintf(id, sizeof(id), "%ld", batch_id);
    const char *params[] = {program, id};
    eng_status rc = led__query(&res, db,
                               "SELECT loan_id, true, NULL, terms_rule, guarantee_fee::text,"
                               " fee_subsidy::text, line_no FROM loans"
                               " WHERE program = $1 AND batch_id = $2::bigint"
                               " UNION ALL SELECT loan_id, false, reasons, NULL, NULL, NULL, line_no"
                               " FROM batch_rejections WHERE program = $1 AND batch_id = $2::bigint"
                               " ORDER BY 7",
                               2, params, err);
    if (rc != ENG_OK) {
        return rc;
    }
    for (int r = 0; r < PQntuples(res); r++) {
        led_batch_row row = {
            .loan_id = PQgetvalue(res, r, 0),
            .admitted = PQgetvalue(res, r, 1)[0] == 't',
            .reasons = PQgetvalue(res, r, 2),
            .rule = PQgetvalue(res, r, 3),
            .guarantee_fee = PQgetvalue(res, r, 4),
            .fee_subsidy = PQgetvalue(res, r, 5),
        };
        fn(ctx, &row);
    }
    PQclear(res);
    return ENG_OK;
}

eng_status led_read_begin(led_db *db, eng_error *err)
{
    return led__exec(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err);
}

void led_read_end(led_db *db)
{
    led__rollback(db);
}
