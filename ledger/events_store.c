/* events_store.c -- the ledger side of `events import` (see events_store.h). */
#include "events_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_store.h"
#include "pg_int.h"

static const char *value(const PGresult *res, int r, int c)
{
    return PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c);
}

eng_status led_events_recorded(led_db *db, const char *program, const char *const *ids, size_t n,
                               void (*fn)(void *ctx, size_t index, const led_event_row *row),
                               void *ctx, eng_error *err)
{
    if (n == 0) {
        return ENG_OK;
    }
    char *arr = led__array_literal(ids, n);
    if (arr == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    PGresult *res = NULL;
    const char *params[] = {program, arr};
    eng_status rc = led__query(&res, db,
                               "SELECT u.n, e.event_id, e.kind, e.event_date, e.loan_id, e.party,"
                               " e.amount, e.interest, e.cost, e.outcome"
                               " FROM unnest($2::text[]) WITH ORDINALITY u(id, n)"
                               " JOIN events e ON e.program = $1 AND e.event_id = u.id"
                               " ORDER BY u.n",
                               2, params, err);
    free(arr);
    if (rc != ENG_OK) {
        return rc;
    }
    for (int r = 0; r < PQntuples(res); r++) {
        long index = 0;
        led__parse_long(&index, PQgetvalue(res, r, 0));
        led_event_row row = {value(res, r, 1), value(res, r, 2), value(res, r, 3),
                             value(res, r, 4), value(res, r, 5), value(res, r, 6),
                             value(res, r, 7), value(res, r, 8), value(res, r, 9)};
        fn(ctx, (size_t)(index - 1), &row);
    }
    PQclear(res);
    return ENG_OK;
}

eng_status led_life_loans(led_db *db, const char *program, const char *const *ids, size_t n,
                          void (*fn)(void *ctx, const led_life_loan_row *row), void *ctx,
                          eng_error *err)
{
    if (n == 0) {
        return ENG_OK;
    }
    char *arr = led__array_literal(ids, n);
    if (arr == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    PGresult *res = NULL;
    const char *params[] = {program, arr};
    eng_status rc = led__query(
        &res, db,
        "SELECT i.n, l.loan_id, l.agency, l.policy_version, l.terms_rule, l.shares, l.bank,"
        " l.guarantor, l.principal, l.annual_rate, l.start_date, l.borrower_code,"
        " ev.repayments, coalesce(ev.interest_paid, 0), d.default_date, d.loss_base,"
        " (SELECT string_agg(p.position || ':' || p.amount, ',' ORDER BY p.position)"
        "    FROM default_parts p WHERE p.program = $1 AND p.event_id = d.event_id),"
        " coalesce(ev.recovered, 0)"
        " FROM (SELECT u.id, min(u.n) AS n FROM unnest($2::text[]) WITH ORDINALITY u(id, n)"
        "        GROUP BY u.id) i"
        " JOIN loans l ON l.program = $1 AND l.loan_id = i.id"
        " LEFT JOIN defaults d ON d.program = $1 AND d.loan_id = l.loan_id"
        " LEFT JOIN LATERAL ("
        "   SELECT string_agg(e.event_date || ':' || e.amount, ',' ORDER BY e.event_no)"
        "            FILTER (WHERE e.kind = 'repayment') AS repayments,"
        "          sum(e.interest) FILTER (WHERE e.kind = 'repayment') AS interest_paid,"
        "          sum(e.amount - coalesce(e.cost, 0)) FILTER (WHERE e.kind = 'recovery')"
        "            AS recovered"
        "     FROM events e WHERE e.program = $1 AND e.loan_id = l.loan_id) ev ON true",
        2, params, err);
    free(arr);
    if (rc != ENG_OK) {
        return rc;
    }
    for (int r = 0; r < PQntuples(res); r++) {
        long index = 0, version = 0;
        led__parse_long(&index, PQgetvalue(res, r, 0));
        led__parse_long(&version, PQgetvalue(res, r, 3));
        led_life_loan_row row = {
            .index = (size_t)(index - 1),
            .loan_id = value(res, r, 1),
            .agency = value(res, r, 2),
            .version = version,
            .terms_rule = value(res, r, 4),
            .shares = value(res, r, 5),
            .bank = value(res, r, 6),
            .guarantor = value(res, r, 7),
            .principal = value(res, r, 8),
            .annual_rate = value(res, r, 9),
            .start_date = value(res, r, 10),
            .borrower_code = value(res, r, 11),
            .repayments = value(res, r, 12),
            .interest_paid = value(res, r, 13),
            .default_date = value(res, r, 14),
            .loss_base = value(res, r, 15),
            .parts = value(res, r, 16),
            .recovered = value(res, r, 17),
        };
        fn(ctx, &row);
    }
    PQclear(res);
    return ENG_OK;
}

/* Runs `sql` with (program[, years]) and adds its rows (key, a) to `t`. */
static eng_status add_query(eng_tally *t, led_db *db, const char *sql, const char *program,
                            const char *years, eng_error *err)
{
    PGresult *res = NULL;
    const char *params[] = {program, years};
    eng_status rc = led__query(&res, db, sql, years ? 2 : 1, params, err);
    for (int r = 0; rc == ENG_OK && r < PQntuples(res); r++) {
        eng_fen a = 0;
        const char *key = PQgetvalue(res, r, 0);
        rc = led__fen_of(&a, PQgetvalue(res, r, 1), err);
        if (rc == ENG_OK && eng_tally_add(t, key, strlen(key), a, 0) != ENG_OK) {
            rc = eng_error_set(err, ENG_ELIMIT, "ledger totals exceed the largest amount allowed");
        }
    }
    if (res != NULL) {
        PQclear(res);
    }
    return rc;
}

/* Cap totals: final parts by party, by party and bank per year, by party per year. */
static const char caps_sql[] =
    "WITH s AS (SELECT p.party, d.bank, extract(year FROM d.default_date)::int AS y,"
    "                  sum(p.amount) AS amount"
    "             FROM default_parts p JOIN defaults d USING (program, event_id)"
    "            WHERE p.program = $1 AND p.amount > 0 GROUP BY 1, 2, 3)"
    " SELECT 'p|' || party, sum(amount) FROM s GROUP BY party"
    " UNION ALL SELECT 'y|' || party || '@' || y, sum(amount) FROM s GROUP BY party, y"
    " UNION ALL SELECT 'by|' || party || '|' || bank || '@' || y, amount FROM s";

/* Each bank's outstanding program principal on 31 December of each year of $2. */
static const char bank_out_sql[] =
    "WITH y AS (SELECT DISTINCT unnest($2::int[]) AS year),"
    " rep AS (SELECT e.loan_id, y.year, sum(e.amount) AS repaid FROM events e"
    "          JOIN y ON e.event_date <= make_date(y.year, 12, 31)"
    "         WHERE e.program = $1 AND e.kind = 'repayment' GROUP BY 1, 2)"
    " SELECT 'bank:' || l.bank || '@' || y.year, sum(l.principal - coalesce(rep.repaid, 0))"
    "   FROM loans l JOIN y ON l.start_date <= make_date(y.year, 12, 31)"
    "   LEFT JOIN rep ON rep.loan_id = l.loan_id AND rep.year = y.year"
    "   LEFT JOIN defaults d ON d.program = $1 AND d.loan_id = l.loan_id"
    "  WHERE l.program = $1"
    "    AND (d.default_date IS NULL OR d.default_date > make_date(y.year, 12, 31))"
    "  GROUP BY l.bank, y.year";

eng_status led_life_state_load(eng_life_state *st, led_db *db, const char *program,
                               eng_error *err)
{
    char years[16 * 8 + 3];
    size_t pos = 0;
    years[pos++] = '{';
    for (size_t i = 0; i < st->n_years; i++) {
        pos += (size_t)snprintf(years + pos, 8, "%s%04d", i ? "," : "", st->years[i] % 10000);
    }
    years[pos++] = '}';
    years[pos] = '\0';

    eng_status rc = add_query(st->caps, db, caps_sql, program, NULL, err);
    if (rc == ENG_OK) {
        rc = led_rates_load(st->rates, db, program, st->years, st->n_years, err);
    }
    if (rc == ENG_OK && st->n_years > 0) {
        rc = add_query(st->bank_out, db, bank_out_sql, program, years, err);
    }
    /* A loaded year key exists even at zero: an event may move it. */
    for (size_t i = 0; rc == ENG_OK && i < st->n_years; i++) {
        PGresult *res = NULL;
        const char *params[] = {program};
        rc = led__query(&res, db, "SELECT DISTINCT bank FROM loans WHERE program = $1", 1, params,
                        err);
        for (int r = 0; rc == ENG_OK && r < PQntuples(res); r++) {
            char key[160];
            int n = snprintf(key, sizeof(key), "bank:%s@%d", PQgetvalue(res, r, 0), st->years[i]);
            if (n > 0 && (size_t)n < sizeof(key) &&
                eng_tally_add(st->bank_out, key, (size_t)n, 0, 0) != ENG_OK) {
                rc = eng_error_set(err, ENG_ERROR, "out of memory");
            }
        }
        if (res != NULL) {
            PQclear(res);
        }
    }
    if (rc == ENG_OK) {
        PGresult *res = NULL;
        const char *params[] = {program};
        rc = led__query(&res, db,
                        "SELECT coalesce(sum(principal), 0) FROM loans WHERE program = $1", 1,
                        params, err);
        if (rc == ENG_OK) {
            rc = led__fen_of(&st->admitted_principal, PQgetvalue(res, 0, 0), err);
            PQclear(res);
        }
    }
    return rc;
}

eng_status led_events_head(long *last_event_no, led_db *db, const char *program, eng_error *err)
{
    PGresult *res = NULL;
    const char *params[] = {program};
    eng_status rc = led__query(&res, db,
                               "SELECT last_event_no FROM programs WHERE program = $1", 1,
                               params, err);
    if (rc != ENG_OK) {
        return rc;
    }
    *last_event_no = 0;
    if (PQntuples(res) == 1) {
        led__parse_long(last_event_no, PQgetvalue(res, 0, 0));
    }
    PQclear(res);
    return ENG_OK;
}
