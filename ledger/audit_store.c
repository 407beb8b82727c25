/* audit_store.c -- the ledger reads of the audit commands (see audit_store.h). */
#include "audit_store.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"

struct led_rows {
    PGresult *res;
};

size_t led_rows_count(const led_rows *rows)
{
    assert(rows != NULL && rows->res != NULL);
    return (size_t)PQntuples(rows->res);
}

size_t led_rows_width(const led_rows *rows)
{
    assert(rows != NULL && rows->res != NULL);
    return (size_t)PQnfields(rows->res);
}

const char *led_rows_name(const led_rows *rows, size_t col)
{
    assert(col < led_rows_width(rows));
    return PQfname(rows->res, (int)col);
}

const char *led_rows_get(const led_rows *rows, size_t row, size_t col)
{
    assert(row < led_rows_count(rows));
    assert(col < led_rows_width(rows));
    if (PQgetisnull(rows->res, (int)row, (int)col)) {
        return NULL;
    }
    return PQgetvalue(rows->res, (int)row, (int)col);
}

void led_rows_free(led_rows *rows)
{
    if (rows != NULL) {
        PQclear(rows->res);
        free(rows);
    }
}

/* Runs `sql` and wraps its result; `*out` is set only on success. */
static eng_status audit__rows(led_rows **out, led_db *db, const char *sql, int n_params,
                              const char *const *params, eng_error *err)
{
    PGresult *res = NULL;
    led_rows *rows;
    eng_status rc;

    assert(out != NULL && sql != NULL);
    rc = led__query(&res, db, sql, n_params, params, err);
    if (rc != ENG_OK) {
        return rc;
    }
    rows = malloc(sizeof(*rows));
    if (rows == NULL) {
        PQclear(res);
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    rows->res = res;
    *out = rows;
    return ENG_OK;
}

eng_status led_audit_program_known(led_db *db, const char *program, eng_error *err)
{
    const char *params[1] = {program};
    led_rows *rows = NULL;
    eng_status rc;

    assert(db != NULL && program != NULL);
    rc = audit__rows(&rows, db, "SELECT 1 FROM programs WHERE program = $1", 1, params, err);
    if (rc == ENG_OK && led_rows_count(rows) == 0) {
        rc = eng_error_set(err, ENG_EINVALID, "unknown program \"%s\": no policy loaded",
                           program);
    }
    led_rows_free(rows);
    return rc;
}

/*
 * Balances.  Amounts are scale-2 numerics, so their sums are exact; round(x, 2) only
 * gives every value the same two decimals (a sum of scale <= 2 values is already
 * whole fen, so it never changes a value).  Without --as-of the query reads postings
 * alone: a (parallel) sequential scan and a hash aggregate by account.  No index
 * serves it: every posting is read once, and an index by account would cost every
 * posting of the write path an insert.
 */
#define AUDIT__SUMS                                                                          \
    "round(coalesce(sum(p.amount) FILTER (WHERE p.side = 'debit'), 0), 2) AS debit,"         \
    " round(coalesce(sum(p.amount) FILTER (WHERE p.side = 'credit'), 0), 2) AS credit,"      \
    " round(coalesce(sum(p.amount) FILTER (WHERE p.side = 'debit'), 0)"                      \
    " - coalesce(sum(p.amount) FILTER (WHERE p.side = 'credit'), 0), 2) AS balance"

#define AUDIT__FILTER                                                                        \
    " WHERE ($1::text IS NULL OR p.program = $1) AND ($2::text IS NULL OR p.party = $2)"

static const char audit__balances_sql[] =
    "SELECT p.account, " AUDIT__SUMS " FROM postings p" AUDIT__FILTER
    " GROUP BY p.account ORDER BY p.account COLLATE \"C\"";

/*
 * With --as-of the business date lives on the entry, so the postings are joined to
 * the entries, in one of two equivalent forms: the postings of entries dated on or
 * before the date (a hash join that hashes those entries), or the postings that have
 * no entry dated after it (an anti-join that hashes the entries after the date).  The
 * one that hashes fewer entries is chosen: over a million-loan ledger the wrong
 * one costs twice the time.  (The two agree whenever every posting has its entry,
 * which the ledger's guards keep.)
 */
static const char audit__balances_before_sql[] =
    "SELECT p.account, " AUDIT__SUMS " FROM postings p"
    " JOIN entries e ON e.program = p.program AND e.seq = p.seq" AUDIT__FILTER
    " AND e.business_date <= $3::date"
    " GROUP BY p.account ORDER BY p.account COLLATE \"C\"";

static const char audit__balances_not_after_sql[] =
    "SELECT p.account, " AUDIT__SUMS " FROM postings p" AUDIT__FILTER
    " AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.program = p.program AND e.seq = p.seq"
    "                  AND e.business_date > $3::date)"
    " GROUP BY p.account ORDER BY p.account COLLATE \"C\"";

/* The planner's estimate of the rows `sql` returns (EXPLAIN, nothing run); 0 if none. */
static eng_status audit__estimate(double *out, led_db *db, const char *sql, int n_params,
                                  const char *const *params, eng_error *err)
{
    static const char key[] = "\"Plan Rows\": ";
    led_rows *rows = NULL;
    eng_status rc = audit__rows(&rows, db, sql, n_params, params, err);
    const char *plan, *at;
    double v = 0;

    if (rc != ENG_OK) {
        return rc;
    }
    plan = led_rows_count(rows) > 0 ? led_rows_get(rows, 0, 0) : NULL;
    at = plan != NULL ? strstr(plan, key) : NULL;
    for (at = at != NULL ? at + sizeof(key) - 1 : NULL; at != NULL && *at >= '0' && *at <= '9';
         at++) {
        v = v * 10 + (*at - '0');  /* a row count estimate, not money */
    }
    *out = v;
    led_rows_free(rows);
    return ENG_OK;
}

/* Sets `*anti` when fewer entries are dated after the date than on or before it. */
static eng_status audit__prefer_anti(int *anti, led_db *db, const char *const *params,
                                     eng_error *err)
{
    const char *p2[2] = {params[0], params[2]};
    double after = 0, before = 0;
    eng_status rc = audit__estimate(&after, db,
                                    "EXPLAIN (FORMAT JSON) SELECT 1 FROM entries e"
                                    " WHERE ($1::text IS NULL OR e.program = $1)"
                                    " AND e.business_date > $2::date",
                                    2, p2, err);
    if (rc == ENG_OK) {
        rc = audit__estimate(&before, db,
                             "EXPLAIN (FORMAT JSON) SELECT 1 FROM entries e"
                             " WHERE ($1::text IS NULL OR e.program = $1)"
                             " AND e.business_date <= $2::date",
                             2, p2, err);
    }
    *anti = after < before;
    return rc;
}

eng_status led_audit_balances(led_rows **out, led_db *db, const led_audit_balance_opts *opts,
                              eng_error *err)
{
    const char *params[3];
    int anti = 0;
    eng_status rc;

    assert(out != NULL && db != NULL && opts != NULL);
    params[0] = opts->program;
    params[1] = opts->party;
    params[2] = opts->as_of;
    if (opts->as_of == NULL) {
        return audit__rows(out, db, audit__balances_sql, 2, params, err);
    }
    /* The join's hash table would spill to disk in batches at the default 4 MB. */
    rc = led__exec(db, "SET work_mem = '64MB'", err);
    if (rc == ENG_OK) {
        rc = audit__prefer_anti(&anti, db, params, err);
    }
    if (rc != ENG_OK) {
        return rc;
    }
    return audit__rows(out, db, anti ? audit__balances_not_after_sql : audit__balances_before_sql,
                       3, params, err);
}

/* ---- one loan's trail ---------------------------------------------------------------- */

#define AUDIT__DATE(x) "to_char(" x ", 'YYYY-MM-DD')"
#define AUDIT__TIME(x) "to_char(" x " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

static const char audit__loan_sql[] =
    "SELECT l.loan_id, l.agency, l.batch_id, b.file_name, b.file_sha256, l.line_no,"
    " " AUDIT__TIME("l.recorded_at") " AS recorded_at,"
    " l.policy_version, p.title, p.legal_ref, p.sha256 AS policy_sha256,"
    " " AUDIT__DATE("p.effective_from") " AS effective_from,"
    " " AUDIT__DATE("p.effective_to") " AS effective_to,"
    " l.terms_rule, l.shares, l.trace, l.borrower_code, l.borrower_name, l.tech_status,"
    " l.sector, l.credit_grade, l.revenue, l.bank, l.guarantor, l.principal, l.annual_rate,"
    " l.collateral_ratio, " AUDIT__DATE("l.start_date") " AS start_date, l.term_months,"
    " l.first_loan, l.fee_rate, l.guarantee_fee, l.fee_subsidy,"
    " round(s.outstanding, 2) AS outstanding, " AUDIT__DATE("s.end_date") " AS end_date,"
    " (SELECT " AUDIT__DATE("min(d.default_date)") " FROM defaults d"
    "   WHERE d.program = $1 AND d.loan_id = $2) AS default_date"
    " FROM loans l"
    " JOIN batches b ON b.program = l.program AND b.batch_id = l.batch_id"
    " JOIN policies p ON p.program = l.program AND p.version = l.policy_version"
    " JOIN loan_state s ON s.program = l.program AND s.loan_id = l.loan_id"
    " WHERE l.program = $1 AND l.loan_id = $2";

static const char audit__events_sql[] =
    "SELECT e.event_id, e.event_no, e.kind, " AUDIT__DATE("e.event_date") " AS date,"
    " e.party, e.amount, e.interest, e.cost,"
    " CASE WHEN e.kind = 'recovery' THEN e.amount - coalesce(e.cost, 0) END AS net,"
    " e.outcome::text AS outcome, " AUDIT__TIME("e.recorded_at") " AS recorded_at"
    " FROM events e WHERE e.program = $1 AND e.loan_id = $2 ORDER BY e.event_no";

static const char audit__default_sql[] =
    "SELECT d.event_id, " AUDIT__DATE("d.default_date") " AS date, d.policy_version,"
    " d.outstanding, d.interest, d.loss_base, d.claimant, d.residual, d.trace"
    " FROM defaults d WHERE d.program = $1 AND d.loan_id = $2";

static const char audit__parts_sql[] =
    "SELECT p.position, p.party, p.share, p.raw, p.amount, p.cut_by"
    " FROM default_parts p JOIN defaults d ON d.program = p.program AND d.event_id = p.event_id"
    " WHERE d.program = $1 AND d.loan_id = $2 ORDER BY p.position";

static const char audit__claims_sql[] =
    "SELECT c.claim_id, c.kind, c.payer, c.payee, " AUDIT__DATE("c.claim_date") " AS claim_date,"
    " c.amount, coalesce(s.paid, 0.00) AS paid, c.amount - coalesce(s.paid, 0) AS open,"
    " c.seq, c.event_id"
    " FROM claims c"
    " LEFT JOIN LATERAL (SELECT sum(q.paid) AS paid FROM settlement_payments q"
    "                     WHERE q.program = c.program AND q.claim_id = c.claim_id) s ON true"
    " WHERE c.program = $1 AND c.loan_id = $2 ORDER BY c.claim_id";

static const char audit__payments_sql[] =
    "SELECT q.settlement_id, " AUDIT__DATE("s.through_date") " AS through_date, s.period,"
    " q.claim_id, c.kind, c.payer, c.payee, q.open_before, q.paid,"
    " q.open_before - q.paid AS open_after, q.seq"
    " FROM claims c"
    " JOIN settlement_payments q ON q.program = c.program AND q.claim_id = c.claim_id"
    " JOIN settlements s ON s.program = q.program AND s.settlement_id = q.settlement_id"
    " WHERE c.program = $1 AND c.loan_id = $2 ORDER BY q.settlement_id, q.claim_id";

/*
 * The legs of the loan's entries.  There is no index on entries by loan (each one
 * would cost every entry of the write path a random-key insert), so this scans the
 * program's entries once; the postings of the few entries found come by primary key.
 */
static const char audit__legs_sql[] =
    "SELECT e.seq, e.kind, " AUDIT__DATE("e.business_date") " AS business_date,"
    " e.policy_version, array_to_string(e.rule_ids, ';') AS rule_ids, e.event_id, e.batch_id,"
    " e.settlement_id, e.reverses_seq, " AUDIT__TIME("e.recorded_at") " AS recorded_at,"
    " e.prev_hash, e.hash, e.legs, p.leg, p.account, p.side, p.amount"
    " FROM entries e JOIN postings p ON p.program = e.program AND p.seq = e.seq"
    " WHERE e.program = $1 AND e.loan_id = $2 ORDER BY e.seq, p.leg";

eng_status led_audit_loan(led_audit_trail *out, led_db *db, const char *program,
                          const char *loan_id, eng_error *err)
{
    const char *params[2] = {program, loan_id};
    led_audit_trail t;
    eng_status rc;

    assert(out != NULL && db != NULL);
    assert(program != NULL && loan_id != NULL);
    memset(&t, 0, sizeof(t));
    memset(out, 0, sizeof(*out));
    rc = audit__rows(&t.loan, db, audit__loan_sql, 2, params, err);
    if (rc != ENG_OK || led_rows_count(t.loan) == 0) {
        *out = t;
        return rc;
    }
    if ((rc = audit__rows(&t.events, db, audit__events_sql, 2, params, err)) != ENG_OK ||
        (rc = audit__rows(&t.dflt, db, audit__default_sql, 2, params, err)) != ENG_OK ||
        (rc = audit__rows(&t.parts, db, audit__parts_sql, 2, params, err)) != ENG_OK ||
        (rc = audit__rows(&t.claims, db, audit__claims_sql, 2, params, err)) != ENG_OK ||
        (rc = audit__rows(&t.payments, db, audit__payments_sql, 2, params, err)) != ENG_OK ||
        (rc = audit__rows(&t.legs, db, audit__legs_sql, 2, params, err)) != ENG_OK) {
        led_audit_trail_free(&t);
        return rc;
    }
    *out = t;
    return ENG_OK;
}

void led_audit_trail_free(led_audit_trail *t)
{
    if (t == NULL) {
        return;
    }
    led_rows_free(t->loan);
    led_rows_free(t->events);
    led_rows_free(t->dflt);
    led_rows_free(t->parts);
    led_rows_free(t->claims);
    led_rows_free(t->payments);
    led_rows_free(t->legs);
    memset(t, 0, sizeof(*t));
}

/* ---- exposure ------------------------------------------------------------------------ */

eng_status led_audit_today(char out[11], led_db *db, eng_error *err)
{
    led_rows *rows = NULL;
    const char *v;
    eng_status rc = audit__rows(&rows, db, "SELECT " AUDIT__DATE("current_date"), 0, NULL, err);

    if (rc != ENG_OK) {
        return rc;
    }
    v = led_rows_get(rows, 0, 0);
    assert(v != NULL);
    if (strlen(v) != 10) {
        rc = eng_error_set(err, ENG_EDB, "unexpected date from the ledger: %.40s", v);
    } else {
        memcpy(out, v, 11);
    }
    led_rows_free(rows);
    return rc;
}

/*
 * Loans grouped by their shares text: there are as many groups as distinct share
 * vectors (a handful per terms rule), so the caller multiplies exactly per group.
 * The repayments and defaults are aggregated once each and hash-joined.
 */
static const char audit__outstanding_sql[] =
    "SELECT l.shares, round(sum(l.principal - coalesce(r.repaid, 0)), 2) AS outstanding,"
    " count(*) AS loans"
    " FROM loans l"
    " LEFT JOIN (SELECT e.loan_id, sum(e.amount) AS repaid FROM events e"
    "             WHERE e.program = $1 AND e.kind = 'repayment' AND e.event_date <= $2::date"
    "             GROUP BY e.loan_id) r ON r.loan_id = l.loan_id"
    " LEFT JOIN defaults d ON d.program = $1 AND d.loan_id = l.loan_id"
    "                     AND d.default_date <= $2::date"
    " WHERE l.program = $1 AND l.start_date <= $2::date AND d.loan_id IS NULL"
    " GROUP BY l.shares"
    " HAVING sum(l.principal - coalesce(r.repaid, 0)) <> 0"
    " ORDER BY l.shares COLLATE \"C\"";

eng_status led_audit_outstanding(led_rows **out, led_db *db, const char *program,
                                 const char *as_of, eng_error *err)
{
    const char *params[2] = {program, as_of};

    assert(program != NULL && as_of != NULL);
    return audit__rows(out, db, audit__outstanding_sql, 2, params, err);
}

static const char audit__cash_sql[] =
    "SELECT p.party, round(coalesce(sum(p.amount) FILTER (WHERE p.side = 'debit'), 0)"
    " - coalesce(sum(p.amount) FILTER (WHERE p.side = 'credit'), 0), 2) AS cash"
    " FROM postings p JOIN entries e ON e.program = p.program AND e.seq = p.seq"
    " WHERE p.program = $1 AND e.program = $1 AND p.kind = 'cash'"
    " AND p.party = ANY ($3::text[]) AND e.business_date <= $2::date"
    " GROUP BY p.party ORDER BY p.party COLLATE \"C\"";

eng_status led_audit_cash(led_rows **out, led_db *db, const char *program, const char *as_of,
                          const char *const *parties, size_t n, eng_error *err)
{
    char *arr;
    eng_status rc;

    assert(program != NULL && as_of != NULL);
    assert(n == 0 || parties != NULL);
    arr = led__array_literal(parties, n);
    if (arr == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    const char *params[3] = {program, as_of, arr};
    rc = audit__rows(out, db, audit__cash_sql, 3, params, err);
    free(arr);
    return rc;
}
