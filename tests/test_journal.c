/*
 * test_journal.c -- the journal (ledger/journal.h) and the set-based guards behind it,
 * against a real PostgreSQL (tests/run.sh).
 *
 * Goal: prove that the one writer of entries, postings and claims records exactly
 * what its source describes, numbered gap-free from the locked head, each entry
 * hashed over its pinned canonical content onto its predecessor (recomputed here
 * from the stored rows, as `audit verify` will); that a second transaction and a
 * concurrent writer continue one valid chain; that what does not balance never
 * commits, whether the journal catches it before sending or the database at
 * commit; that the database refuses legs for committed entries, gaps in seq or claim
 * ids and dangling references, now checked per statement; that an aborted journal
 * leaves nothing; that COPY text is escaped; and how fast a large journal is
 * (200,000 entries, 400,000 postings, 100,000 claims: printed, not asserted).
 * Each test takes a fresh database.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ledger.h"
#include "pg_harness.h"

#define PROGRAM "zz-kejidai"
#define BORROWER "91410100MA3X7K8L2Q"
#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

/* ---- Fixtures ---------------------------------------------------------------------- */

/* A fresh, migrated database with policy version 3 of PROGRAM loaded. */
static void fresh(led_db **out_db, PGconn **out_conn, char *conninfo, size_t n)
{
    static const char text[] = "program: zz-kejidai\nversion: 3\n";
    led_policy_row row = {
        .program = PROGRAM, .version = 3, .bytes = (const unsigned char *)text,
        .len = strlen(text), .title = "郑科贷", .legal_ref = "郑政办〔2018〕97号",
        .effective_from = "2021-01-01", .effective_to = NULL, .normalised = "n\n",
    };
    char local[1024];
    int inserted = 0;
    eng_error err;

    if (conninfo == NULL) {
        conninfo = local;
        n = sizeof(local);
    }
    pgh_fresh_db(conninfo, n);
    eng_error_clear(&err);
    cr_assert_eq(led_connect(out_db, conninfo, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(led_policy_store(*out_db, &row, &inserted, &err), ENG_OK, "%s", err.message);
    *out_conn = pgh_connect(conninfo);
}

/* Records a batch and loans L<from>..L<from+n-1> in the open transaction of `db`. */
static eng_status add_loans(led_db *db, long *out_batch, size_t from, size_t n, eng_error *err)
{
    char sha[LED_SHA256_HEX_SIZE], name[32], line[1024], *id = NULL;
    const char *params[2] = {name, sha};
    led_copy_row row;
    eng_status rc;

    snprintf(name, sizeof(name), "loans-%zu.csv", from);
    cr_assert_eq(led_sha256_hex(sha, name, strlen(name), err), ENG_OK);
    rc = led_query_value(&id, db, "INSERT INTO batches (program, agency, file_name,"
                         " file_sha256) VALUES ('" PROGRAM "', 'agency-a', $1, $2)"
                         " RETURNING batch_id", 2, params, err);
    if (rc < 0) {
        return rc;
    }
    *out_batch = strtol(id, NULL, 10);
    free(id);
    rc = led_copy_begin(db, "COPY loans (program, loan_id, agency, batch_id, line_no,"
                        " policy_version, terms_rule, shares, borrower_code, borrower_name,"
                        " tech_status, sector, credit_grade, revenue, bank, guarantor, principal,"
                        " annual_rate, collateral_ratio, start_date, term_months, first_loan,"
                        " fee_rate, guarantee_fee, fee_subsidy) FROM STDIN", err);
    for (size_t i = from; rc == ENG_OK && i < from + n; i++) {
        char loan[16];
        snprintf(loan, sizeof(loan), "L%07zu", i);
        led_copy_row_init(&row, line, sizeof(line));
        led_copy_row_text(&row, PROGRAM);
        led_copy_row_text(&row, loan);
        led_copy_row_text(&row, "agency-a");
        led_copy_row_long(&row, *out_batch);
        led_copy_row_long(&row, (long)(i - from) + 2);
        led_copy_row_long(&row, 3);
        led_copy_row_text(&row, "guaranteed");
        led_copy_row_text(&row, "{\"zz-pool\": \"0.2\", \"zzbank\": \"0.8\"}");
        led_copy_row_text(&row, BORROWER);
        led_copy_row_text(&row, "某科技公司\t(tab)");
        const char *rest[] = {"hnte", "C39", "A", "1000000.00", "zzbank", "zz-guarantee",
                              "1000000.00", "0.0435", "0", "2024-03-01", "12", "t", "0.01",
                              "10000.00", "5000.00"};
        for (size_t k = 0; k < sizeof(rest) / sizeof(*rest); k++) {
            led_copy_row_text(&row, rest[k]);
        }
        rc = led_copy_row_put(db, &row, err);
    }
    if (rc < 0) {
        led_copy_abort(db, "test");
        return rc;
    }
    return led_copy_end(db, err);
}

/* The test source: item i is loan L<first+i>'s guarantee fee, and every `claim_every`-th
 * item also its fee subsidy, which opens a claim.  `loans` 0: funding entries, no loan. */
typedef struct {
    size_t first;
    long batch_id;
    int loans;
    size_t claim_every;             /* 0: no claims */
    long unbalanced_item;           /* this item's first entry does not balance; -1 none */
    int drift;                      /* give more each time asked: not deterministic */
    size_t calls;
    char loan[16];
    char payee[32];
    void (*on_first)(void *ctx);    /* called as a pass begins (item 0); NULL: none */
    void *on_first_ctx;
} jsrc;

static eng_fen fee_of(size_t i)
{
    return 10000 + (eng_fen)(i % 1000);
}

static eng_status source(void *ctx, size_t item, led_entry *out, size_t cap, size_t *n_out,
                         eng_error *err)
{
    jsrc *s = ctx;
    size_t i = s->first + item;
    eng_fen fee = fee_of(i) + (s->drift ? (eng_fen)s->calls : 0);
    size_t n = 0;

    (void)err;
    cr_assert_geq(cap, 2);
    s->calls++;
    if (item == 0 && s->on_first != NULL) {
        s->on_first(s->on_first_ctx);
    }
    snprintf(s->loan, sizeof(s->loan), "L%07zu", i);
    snprintf(s->payee, sizeof(s->payee), "borrower:%s", BORROWER);
    out[n] = (led_entry){
        .kind = s->loans ? "guarantee_fee" : "funding", .policy_version = 3,
        .rule_ids = {"guaranteed", "tech.sme-1"}, .n_rule_ids = s->loans ? 2 : 0,
        .loan_id = s->loans ? s->loan : NULL, .batch_id = s->loans ? s->batch_id : 0,
        .business_date = eng_date_from_ymd(2024, 3, 1), .n_legs = 2,
        .legs = {{"zz-guarantee", "cash", 1, fee}, {"zz-guarantee", "fee_income", 0, fee}},
    };
    if ((long)item == s->unbalanced_item) {
        out[n].legs[1] = (led_leg){"zzbank", "fee_income", 0, fee};
    }
    n++;
    if (s->claim_every > 0 && i % s->claim_every == 0) {
        eng_fen subsidy = fee / 2;
        out[n] = out[0];
        out[n].kind = "fee_subsidy";
        out[n].n_rule_ids = 1;
        out[n].legs[0] = (led_leg){"zz-pool", "subsidy_expense", 1, subsidy};
        out[n].legs[1] = (led_leg){"zz-pool", "payable", 0, subsidy};
        out[n].has_claim = 1;
        out[n].claim = (led_claim_spec){"fee_subsidy", "zz-pool", s->payee,
                                        eng_date_from_ymd(2024, 3, 1), subsidy, NULL};
        n++;
    }
    *n_out = n;
    return ENG_OK;
}

/* One journal: loans L<first>.. (when `loans`), `n` items, commit.  Returns the status. */
static eng_status journal_once(led_db *db, size_t first, size_t n, int loans,
                               size_t claim_every, eng_error *err)
{
    jsrc s = {.first = first, .loans = loans, .claim_every = claim_every,
              .unbalanced_item = -1};
    led_journal *j = NULL;
    eng_status rc;

    rc = led_journal_begin(&j, db, PROGRAM, err);
    if (rc < 0) {
        return rc;
    }
    if (loans) {
        rc = add_loans(db, &s.batch_id, first, n, err);
    }
    if (rc == ENG_OK) {
        rc = led_journal_write(j, n, source, &s, err);
    }
    if (rc < 0) {
        led_journal_abort(j);
        return rc;
    }
    return led_journal_commit(j, err);
}

/* ---- Recomputing the chain from the stored rows (what `audit verify` will do) -------- */

static PGresult *rows(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);

    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(conn));
    return res;
}

static const char *opt(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static long num(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0 : strtol(PQgetvalue(r, row, col), NULL, 10);
}

static eng_fen fen(const char *text)
{
    eng_fen v = 0;
    eng_error err;

    cr_assert_eq(eng_money_parse(&v, text, strlen(text), &err), ENG_OK, "%s", text);
    return v;
}

static eng_date date(const char *text)
{
    eng_date d = 0;
    eng_error err;

    cr_assert_eq(eng_date_parse(&d, text, strlen(text), &err), ENG_OK, "%s", text);
    return d;
}

/* Fills the legs of entry `seq` from postings rows `*p`.. and the claim from `*c`. */
static void stored_tail(led_entry *e, led_entry_link *link, const PGresult *post, int *p,
                        const PGresult *cl, int *c)
{
    long seq = link->seq;

    for (; *p < PQntuples(post) && num(post, *p, 0) == seq; (*p)++) {
        cr_assert_lt(e->n_legs, LED_LEGS_MAX);
        cr_assert_eq(num(post, *p, 1), (long)e->n_legs + 1, "legs are numbered 1..n");
        e->legs[e->n_legs++] = (led_leg){PQgetvalue(post, *p, 2), PQgetvalue(post, *p, 3),
                                         strcmp(PQgetvalue(post, *p, 4), "debit") == 0,
                                         fen(PQgetvalue(post, *p, 5))};
    }
    if (*c < PQntuples(cl) && num(cl, *c, 0) == seq) {
        e->has_claim = 1;
        link->claim_id = num(cl, *c, 1);
        e->claim = (led_claim_spec){PQgetvalue(cl, *c, 2), PQgetvalue(cl, *c, 4),
                                    PQgetvalue(cl, *c, 5), date(PQgetvalue(cl, *c, 6)),
                                    fen(PQgetvalue(cl, *c, 7)), opt(cl, *c, 8)};
        link->claim_loan_id = PQgetvalue(cl, *c, 3);
        (*c)++;
    }
}

/* Recomputes every hash of PROGRAM's chain from its rows; returns the number of entries. */
static long verify_chain(PGconn *conn)
{
    PGresult *ent = rows(conn, "SELECT seq, kind, policy_version, array_to_string(rule_ids,"
                         " ' '), loan_id, event_id, batch_id, settlement_id, reverses_seq,"
                         " to_char(business_date, 'YYYY-MM-DD'), to_char(recorded_at AT TIME"
                         " ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), prev_hash, hash,"
                         " legs FROM entries WHERE program = '" PROGRAM "' ORDER BY seq");
    PGresult *post = rows(conn, "SELECT seq, leg, party, kind, side, amount FROM postings"
                          " WHERE program = '" PROGRAM "' ORDER BY seq, leg");
    PGresult *cl = rows(conn, "SELECT seq, claim_id, kind, loan_id, payer, payee,"
                        " to_char(claim_date, 'YYYY-MM-DD'), amount, event_id FROM claims"
                        " WHERE program = '" PROGRAM "' ORDER BY seq");
    char prev[LED_SHA256_HEX_SIZE] = ZERO_HASH, hash[LED_SHA256_HEX_SIZE], ids[300];
    long claim_id = 0;
    int p = 0, c = 0;
    eng_error err;

    for (int r = 0; r < PQntuples(ent); r++) {
        led_entry e = {.kind = PQgetvalue(ent, r, 1), .policy_version = num(ent, r, 2),
                       .loan_id = opt(ent, r, 4), .event_id = opt(ent, r, 5),
                       .batch_id = num(ent, r, 6), .settlement_id = num(ent, r, 7),
                       .reverses_seq = num(ent, r, 8),
                       .business_date = date(PQgetvalue(ent, r, 9))};
        led_entry_link link = {PROGRAM, num(ent, r, 0), PQgetvalue(ent, r, 10), prev, 0, NULL};
        snprintf(ids, sizeof(ids), "%s", PQgetvalue(ent, r, 3));
        for (char *t = ids; *t != '\0' && e.n_rule_ids < LED_RULE_IDS_MAX;) {
            e.rule_ids[e.n_rule_ids++] = t;
            t += strcspn(t, " ");
            if (*t != '\0') {
                *t++ = '\0';
            }
        }
        cr_assert_eq(link.seq, (long)r + 1, "seq is gap-free from 1");
        cr_assert_str_eq(PQgetvalue(ent, r, 11), prev, "entry %ld links to its predecessor",
                         link.seq);
        stored_tail(&e, &link, post, &p, cl, &c);
        cr_assert_eq((long)e.n_legs, num(ent, r, 13));
        if (e.has_claim) {
            cr_assert_eq(link.claim_id, ++claim_id, "claim ids follow the chain, gap-free");
        }
        cr_assert_eq(led_entry_hash(hash, &link, &e, &err), ENG_OK, "%s", err.message);
        cr_assert_str_eq(hash, PQgetvalue(ent, r, 12), "entry %ld's hash recomputes", link.seq);
        memcpy(prev, hash, sizeof(prev));
    }
    cr_assert_eq(p, PQntuples(post), "every leg belongs to an entry");
    cr_assert_eq(c, PQntuples(cl), "every claim belongs to an entry");
    long n = PQntuples(ent);
    char *head = pgh_value(conn, NULL, "SELECT last_seq || ' ' || last_hash || ' ' ||"
                           " last_claim_id FROM programs WHERE program = '" PROGRAM "'");
    char want[128];
    snprintf(want, sizeof(want), "%ld %s %ld", n, prev, claim_id);
    cr_assert_str_eq(head, want, "the program's head is the chain's last link");
    free(head);
    PQclear(ent);
    PQclear(post);
    PQclear(cl);
    return n;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ---- The canonical content and COPY text ----------------------------------------------- */

Test(journal, canonical_content_is_pinned)
{
    static const char want[] =
        "18:riskshare-entry-v1,10:zz-kejidai,1:7,11:fee_subsidy,1:3,1:1,10:guaranteed,"
        "5:L0001,0:,1:2,0:,0:,10:2024-03-01,27:2024-03-05T08:09:10.123456Z,"
        "64:abababababababababababababababababababababababababababababababab,"
        "1:2,7:zz-pool,15:subsidy_expense,5:debit,6:150.00,"
        "7:zz-pool,7:payable,6:credit,6:150.00,"
        "1:1,1:4,11:fee_subsidy,5:L0001,7:zz-pool,27:borrower:" BORROWER ","
        "10:2024-03-01,6:150.00,0:,";
    led_entry e = {
        .kind = "fee_subsidy", .policy_version = 3, .rule_ids = {"guaranteed"}, .n_rule_ids = 1,
        .loan_id = "L0001", .batch_id = 2, .business_date = eng_date_from_ymd(2024, 3, 1),
        .n_legs = 2, .legs = {{"zz-pool", "subsidy_expense", 1, 15000},
                              {"zz-pool", "payable", 0, 15000}},
        .has_claim = 1, .claim = {"fee_subsidy", "zz-pool", "borrower:" BORROWER,
                                  eng_date_from_ymd(2024, 3, 1), 15000, NULL},
    };
    led_entry_link link = {PROGRAM, 7, "2024-03-05T08:09:10.123456Z",
                           "abababababababababababababababababababababababababababababababab", 4,
                           NULL};
    char buf[LED_ENTRY_CANONICAL_MAX], hash[LED_SHA256_HEX_SIZE], direct[LED_SHA256_HEX_SIZE];
    size_t len = 0;
    eng_error err;

    cr_assert_eq(led_entry_canonical(buf, sizeof(buf), &len, &link, &e, &err), ENG_OK);
    cr_assert_eq(len, strlen(want));
    cr_assert_eq(memcmp(buf, want, len), 0, "%.*s", (int)len, buf);
    cr_assert_eq(led_entry_hash(hash, &link, &e, &err), ENG_OK);
    cr_assert_eq(led_sha256_hex(direct, want, strlen(want), &err), ENG_OK);
    cr_assert_str_eq(hash, direct);
    /* Pinned: docs/database.md shows this example and its hash. */
    cr_assert_str_eq(hash, "5841caaa52d748ade1d00c7743b21140c6a854ec07e903037c5074b48d420c63");
    /* Every field counts: one fen, one claim id, one microsecond change the hash. */
    e.legs[1].amount = 15001;
    cr_assert_eq(led_entry_hash(direct, &link, &e, &err), ENG_OK);
    cr_assert_str_neq(direct, hash);
    e.legs[1].amount = 15000;
    link.claim_id = 5;
    cr_assert_eq(led_entry_hash(direct, &link, &e, &err), ENG_OK);
    cr_assert_str_neq(direct, hash);
    link.claim_id = 4;
    link.recorded_at = "2024-03-05T08:09:10.123457Z";
    cr_assert_eq(led_entry_hash(direct, &link, &e, &err), ENG_OK);
    cr_assert_str_neq(direct, hash);
    link.recorded_at = "2024-03-05T08:09:10.123456Z";
    /* The claim's loan counts: the stored claims.loan_id, as audit verify passes it. */
    link.claim_loan_id = "L0001";
    cr_assert_eq(led_entry_hash(direct, &link, &e, &err), ENG_OK);
    cr_assert_str_eq(direct, hash);
    link.claim_loan_id = "L0002";
    cr_assert_eq(led_entry_hash(direct, &link, &e, &err), ENG_OK);
    cr_assert_str_neq(direct, hash);
    /* A buffer too small is refused, not overrun. */
    cr_assert_eq(led_entry_canonical(buf, 100, &len, &link, &e, &err), ENG_ELIMIT);
}

Test(journal, malformed_entries_are_refused_before_sending)
{
    const led_entry good = {
        .kind = "funding", .business_date = eng_date_from_ymd(2024, 1, 2), .n_legs = 2,
        .legs = {{"zz-pool", "cash", 1, 500}, {"zz-pool", "capital", 0, 500}},
    };
    led_entry e;
    eng_error err;

    cr_assert_eq(led_entry_check(&good, PROGRAM, 1, &err), ENG_OK, "%s", err.message);
    e = good;
    e.n_legs = 1;
    cr_assert_eq(led_entry_check(&e, PROGRAM, 1, &err), ENG_EINVALID);
    cr_assert_str_eq(err.message, "entry 1 of program zz-kejidai has 1 legs: an entry has 2 to 8");
    e = good;
    e.legs[1].kind = "equity";
    cr_assert_eq(led_entry_check(&e, PROGRAM, 1, &err), ENG_EINVALID);
    cr_assert_str_eq(err.message, "entry 1 of program zz-kejidai: leg 2 has no valid account "
                     "(party zz-pool, kind equity)");
    e = good;
    e.legs[0].amount = e.legs[1].amount = 0;
    cr_assert_eq(led_entry_check(&e, PROGRAM, 1, &err), ENG_EINVALID);
    e = good;
    e.legs[1].amount = 499;
    cr_assert_eq(led_entry_check(&e, PROGRAM, 1, &err), ENG_EUNBALANCED);
    cr_assert_str_eq(err.message, "entry 1 of program zz-kejidai does not balance for party "
                     "zz-pool: debits 5.00, credits 4.99");
    e = good;
    e.kind = "Funding";
    cr_assert_eq(led_entry_check(&e, PROGRAM, 1, &err), ENG_EINVALID);
    e = good;
    e.rule_ids[0] = "bad id";
    e.n_rule_ids = 1;
    cr_assert_eq(led_entry_check(&e, PROGRAM, 1, &err), ENG_EINVALID);
    e = good;
    e.reverses_seq = 1;
    cr_assert_eq(led_entry_check(&e, PROGRAM, 1, &err), ENG_EINVALID, "reverses itself");
    e = good;
    e.has_claim = 1;
    e.claim = (led_claim_spec){"fee_subsidy", "zz-pool", "borrower:" BORROWER,
                               eng_date_from_ymd(2024, 1, 2), 100, NULL};
    cr_assert_eq(led_entry_check(&e, PROGRAM, 1, &err), ENG_EINVALID, "a claim needs a loan");
    e.loan_id = "L1";
    cr_assert_eq(led_entry_check(&e, PROGRAM, 1, &err), ENG_OK, "%s", err.message);
    e.claim.payee = "borrower:123";
    cr_assert_eq(led_entry_check(&e, PROGRAM, 1, &err), ENG_EINVALID);
}

Test(journal, copy_text_is_escaped)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain", "plain"}, {"", ""}, {"a\tb", "a\\tb"}, {"a\nb\r", "a\\nb\\r"},
        {"back\\slash", "back\\\\slash"}, {"\\N", "\\\\N"}, {NULL, "\\N"},
        {"某科技公司", "某科技公司"},
    };
    char out[64];
    led_copy_row row;
    char line[16];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = led_copy_escape(out, sizeof(out), cases[i].in);
        cr_assert_str_eq(out, cases[i].out, "case %zu", i);
        cr_assert_eq(n, strlen(cases[i].out));
    }
    /* Cut short: the full length is returned, the output stays terminated. */
    cr_assert_eq(led_copy_escape(out, 4, "a\tbcd"), 6);
    cr_assert_str_eq(out, "a\\t");
    /* A row that does not fit its buffer is refused whole. */
    led_copy_row_init(&row, line, sizeof(line));
    led_copy_row_text(&row, "0123456789");
    led_copy_row_long(&row, -42);
    cr_assert_eq(row.overflow, 0);
    cr_assert_eq(row.len, 14);
    cr_assert_eq(memcmp(line, "0123456789\t-42", 14), 0);
    led_copy_row_fen(&row, 1);
    cr_assert_eq(row.overflow, 1);
}

/* ---- Writing --------------------------------------------------------------------------- */

Test(journal, three_items_chain_from_the_head)
{
    led_db *db;
    PGconn *conn;
    led_journal *j = NULL;
    jsrc s = {.first = 0, .loans = 1, .claim_every = 2, .unbalanced_item = -1};
    eng_error err;

    fresh(&db, &conn, NULL, 0);
    cr_assert_eq(led_journal_begin(&j, db, PROGRAM, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(led_journal_last_seq(j), 0);
    cr_assert_str_eq(led_journal_last_hash(j), ZERO_HASH);
    cr_assert_eq(strlen(led_journal_recorded_at(j)), 27);
    cr_assert_eq(add_loans(db, &s.batch_id, 0, 3, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(led_journal_write(j, 3, source, &s, &err), ENG_OK, "%s", err.message);
    /* Items 0 and 2 open a claim: entries fee 0, subsidy 0, fee 1, fee 2, subsidy 2. */
    cr_assert_eq(s.calls, 9, "three passes over three items");
    cr_assert_eq(led_journal_last_seq(j), 5);
    cr_assert_eq(led_journal_last_claim_id(j), 2);
    char recorded[LED_RECORDED_AT_SIZE], last[LED_SHA256_HEX_SIZE];
    snprintf(recorded, sizeof(recorded), "%s", led_journal_recorded_at(j));
    snprintf(last, sizeof(last), "%s", led_journal_last_hash(j));
    cr_assert_eq(led_journal_commit(j, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(verify_chain(conn), 5);
    char *got = pgh_value(conn, NULL, "SELECT string_agg(seq || ':' || kind || ':' || loan_id"
                          " || ':' || legs, ' ' ORDER BY seq) FROM entries");
    cr_assert_str_eq(got, "1:guarantee_fee:L0000000:2 2:fee_subsidy:L0000000:2"
                     " 3:guarantee_fee:L0000001:2 4:guarantee_fee:L0000002:2"
                     " 5:fee_subsidy:L0000002:2");
    free(got);
    got = pgh_value(conn, NULL, "SELECT string_agg(claim_id || ':' || seq || ':' || payee ||"
                    " ':' || amount, ' ' ORDER BY claim_id) FROM claims");
    cr_assert_str_eq(got, "1:2:borrower:" BORROWER ":50.00 2:5:borrower:" BORROWER ":50.01");
    free(got);
    got = pgh_value(conn, NULL, "SELECT to_char(min(recorded_at) AT TIME ZONE 'UTC',"
                    " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') || ' ' || count(DISTINCT recorded_at)"
                    " || ' ' || last_hash FROM entries, programs GROUP BY last_hash");
    char want[160];
    snprintf(want, sizeof(want), "%s 1 %s", recorded, last);
    cr_assert_str_eq(got, want, "every entry records the transaction's time");
    free(got);
    got = pgh_value(conn, NULL, "SELECT string_agg(first_seq || '-' || last_seq, ' ')"
                    " FROM journal_checks");
    cr_assert_str_eq(got, "1-5", "one COPY, one range checked at commit");
    free(got);
    led_close(db);
    PQfinish(conn);
}

Test(journal, a_second_transaction_continues_the_chain)
{
    led_db *db;
    PGconn *conn;
    eng_error err;

    fresh(&db, &conn, NULL, 0);
    cr_assert_eq(journal_once(db, 0, 4, 1, 1, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(journal_once(db, 4, 3, 1, 3, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(journal_once(db, 0, 2, 0, 0, &err), ENG_OK, "%s", err.message);
    /* Loans 0-3 with a subsidy each; loans 4-6, 6 with a subsidy; two fundings. */
    cr_assert_eq(verify_chain(conn), 8 + 4 + 2);
    char *got = pgh_value(conn, NULL, "SELECT string_agg(first_seq || '-' || last_seq, ' '"
                          " ORDER BY first_seq) || ' / ' || (SELECT last_claim_id FROM programs)"
                          " FROM journal_checks");
    cr_assert_str_eq(got, "1-8 9-12 13-14 / 5");
    free(got);
    led_close(db);
    PQfinish(conn);
}

Test(journal, an_unbalanced_entry_is_refused_before_it_is_sent)
{
    led_db *db;
    PGconn *conn;
    led_journal *j = NULL;
    jsrc s = {.first = 0, .loans = 0, .unbalanced_item = 1};
    eng_error err;

    fresh(&db, &conn, NULL, 0);
    cr_assert_eq(journal_once(db, 0, 1, 0, 0, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(led_journal_begin(&j, db, PROGRAM, &err), ENG_OK, "%s", err.message);
    eng_error_clear(&err);
    cr_assert_eq(led_journal_write(j, 3, source, &s, &err), ENG_EUNBALANCED);
    cr_assert_str_eq(err.message, "entry 3 of program zz-kejidai does not balance for party "
                     "zz-guarantee: debits 100.01, credits 0.00");
    cr_assert_eq(s.calls, 2, "it stops at the entry, in pass 1");
    /* The journal's transaction is over: the write refuses, commit records nothing. */
    cr_assert_eq(led_journal_write(j, 1, source, &s, &err), ENG_ERROR);
    cr_assert_eq(led_journal_commit(j, &err), ENG_ERROR);
    cr_assert_eq(verify_chain(conn), 1);
    led_close(db);
    PQfinish(conn);
}

Test(journal, the_database_refuses_an_unbalanced_entry_at_commit)
{
    led_db *db;
    PGconn *conn;
    led_journal *j = NULL;
    eng_error err;

    fresh(&db, &conn, NULL, 0);
    cr_assert_eq(led_journal_begin(&j, db, PROGRAM, &err), ENG_OK, "%s", err.message);
    /* Raw rows on the journal's connection, past its checks: every COPY succeeds. */
    char line[512];
    snprintf(line, sizeof(line), PROGRAM "\t1\tfunding\t\\N\t{}\t\\N\t\\N\t\\N\t\\N\t\\N\t"
             "2024-01-02\t%s\t" ZERO_HASH "\t%.64s\t2\n", led_journal_recorded_at(j),
             "1111111111111111111111111111111111111111111111111111111111111111");
    cr_assert_eq(led_copy_begin(db, "COPY entries (program, seq, kind, policy_version,"
                                " rule_ids, loan_id, event_id, batch_id, settlement_id,"
                                " reverses_seq, business_date, recorded_at, prev_hash, hash,"
                                " legs) FROM STDIN", &err), ENG_OK, "%s", err.message);
    cr_assert_eq(led_copy_put(db, line, strlen(line), &err), ENG_OK);
    cr_assert_eq(led_copy_end(db, &err), ENG_OK, "%s", err.message);
    static const char legs[] = PROGRAM "\t1\t1\tzz-pool\tcash\tdebit\t100.00\n"
                               PROGRAM "\t1\t2\tzz-pool\tcapital\tcredit\t90.00\n";
    cr_assert_eq(led_copy_begin(db, "COPY postings (program, seq, leg, party, kind, side,"
                                " amount) FROM STDIN", &err), ENG_OK);
    cr_assert_eq(led_copy_put(db, legs, strlen(legs), &err), ENG_OK);
    cr_assert_eq(led_copy_end(db, &err), ENG_OK, "%s", err.message);
    eng_error_clear(&err);
    cr_assert_eq(led_journal_commit(j, &err), ENG_EUNBALANCED);
    cr_assert_str_eq(err.sqlstate, "23514");
    cr_assert_str_eq(err.message, "journal not recorded: entry 1 of program zz-kejidai does "
                     "not balance: debits 100.00, credits 90.00");
    char *head = pgh_value(conn, NULL, "SELECT last_seq || ' ' || (SELECT count(*) FROM"
                           " entries) || ' ' || (SELECT count(*) FROM journal_checks)"
                           " FROM programs");
    cr_assert_str_eq(head, "0 0 0");
    free(head);
    led_close(db);
    PQfinish(conn);
}

Test(journal, legs_must_match_the_count_the_entry_declares)
{
    led_db *db;
    PGconn *conn;
    pgh_outcome o;

    fresh(&db, &conn, NULL, 0);
    o = pgh_try(conn, "finance", "INSERT INTO entries (program, seq, kind, business_date,"
                " prev_hash, hash, legs) VALUES ('" PROGRAM "', 1, 'funding', '2024-01-02', '"
                ZERO_HASH "', repeat('a', 64), 3);"
                " INSERT INTO postings (program, seq, leg, party, kind, side, amount) VALUES"
                " ('" PROGRAM "', 1, 1, 'zz-pool', 'cash', 'debit', 5.00),"
                " ('" PROGRAM "', 1, 2, 'zz-pool', 'capital', 'credit', 5.00)");
    cr_assert_str_eq(o.sqlstate, "23514");
    cr_assert_str_eq(o.message, "entry 1 of program zz-kejidai has 2 legs numbered up to 2, "
                     "not legs 1 to 3");
    o = pgh_try(conn, "finance", "INSERT INTO entries (program, seq, kind, business_date,"
                " prev_hash, hash, legs) VALUES ('" PROGRAM "', 1, 'funding', '2024-01-02', '"
                ZERO_HASH "', repeat('a', 64), 2);"
                " INSERT INTO postings (program, seq, leg, party, kind, side, amount) VALUES"
                " ('" PROGRAM "', 1, 1, 'zz-pool', 'cash', 'debit', 5.00),"
                " ('" PROGRAM "', 1, 7, 'zz-pool', 'capital', 'credit', 5.00)");
    cr_assert_str_eq(o.message, "entry 1 of program zz-kejidai has 2 legs numbered up to 7, "
                     "not legs 1 to 2");
    led_close(db);
    PQfinish(conn);
}

Test(journal, no_legs_for_an_entry_of_an_earlier_transaction)
{
    led_db *db;
    PGconn *conn;
    led_journal *j = NULL;
    eng_error err;

    fresh(&db, &conn, NULL, 0);
    cr_assert_eq(journal_once(db, 0, 2, 0, 0, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(led_journal_begin(&j, db, PROGRAM, &err), ENG_OK, "%s", err.message);
    static const char leg[] = PROGRAM "\t2\t3\tzz-pool\tcash\tdebit\t5.00\n";
    cr_assert_eq(led_copy_begin(db, "COPY postings (program, seq, leg, party, kind, side,"
                                " amount) FROM STDIN", &err), ENG_OK);
    cr_assert_eq(led_copy_put(db, leg, strlen(leg), &err), ENG_OK);
    eng_error_clear(&err);
    cr_assert_eq(led_copy_end(db, &err), ENG_ERROR);
    cr_assert_str_eq(err.sqlstate, "23001");
    cr_assert_str_eq(err.message, "copy failed: entry 2 of program zz-kejidai is already "
                     "recorded: it takes no new legs");
    led_journal_abort(j);
    /* Nor for an entry that does not exist. */
    pgh_outcome o = pgh_try(conn, "agency", "INSERT INTO postings (program, seq, leg, party,"
                            " kind, side, amount) VALUES ('" PROGRAM "', 9, 1, 'zz-pool',"
                            " 'cash', 'debit', 5.00)");
    cr_assert_str_eq(o.sqlstate, "23503");
    cr_assert_str_eq(o.message, "entry 9 of program zz-kejidai is not recorded: it takes no "
                     "legs");
    cr_assert_eq(verify_chain(conn), 2);
    led_close(db);
    PQfinish(conn);
}

Test(journal, a_gap_or_a_broken_link_in_the_chain_is_refused)
{
    led_db *db;
    PGconn *conn;
    pgh_outcome o;
    eng_error err;

    fresh(&db, &conn, NULL, 0);
    cr_assert_eq(journal_once(db, 0, 1, 0, 0, &err), ENG_OK, "%s", err.message);
    char *head = pgh_value(conn, NULL, "SELECT last_hash FROM programs");
    char sql[1024];
    /* seq 3 after 1: a gap. */
    snprintf(sql, sizeof(sql), "INSERT INTO entries (program, seq, kind, business_date,"
             " prev_hash, hash, legs) VALUES ('" PROGRAM "', 3, 'funding', '2024-01-02', '%s',"
             " repeat('a', 64), 2)", head);
    o = pgh_try(conn, "finance", sql);
    cr_assert_str_eq(o.sqlstate, "23514");
    char want[256];
    snprintf(want, sizeof(want), "entry 3 of program zz-kejidai does not extend its chain: "
             "the next entry is 2 after %s", head);
    cr_assert_str_eq(o.message, want);
    /* 2 then 3 in one statement, 3 not linked to 2. */
    snprintf(sql, sizeof(sql), "INSERT INTO entries (program, seq, kind, business_date,"
             " prev_hash, hash, legs) VALUES ('" PROGRAM "', 2, 'funding', '2024-01-02', '%s',"
             " repeat('a', 64), 2), ('" PROGRAM "', 3, 'funding', '2024-01-02', repeat('b', 64),"
             " repeat('c', 64), 2)", head);
    o = pgh_try(conn, "finance", sql);
    cr_assert_str_eq(o.message, "entry 3 of program zz-kejidai does not extend its chain: the "
                     "next entry is 3 after aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                     "aaaaaaaaaaaa");
    /* Recorded at another time than the transaction's. */
    snprintf(sql, sizeof(sql), "INSERT INTO entries (program, seq, kind, business_date,"
             " recorded_at, prev_hash, hash, legs) VALUES ('" PROGRAM "', 2, 'funding',"
             " '2024-01-02', '2024-01-02T00:00:00Z', '%s', repeat('a', 64), 2)", head);
    o = pgh_try(conn, "finance", sql);
    cr_assert_str_eq(o.message, "entry 2 of program zz-kejidai must be recorded at the "
                     "transaction time");
    /* One statement, one program. */
    o = pgh_try(conn, NULL, "INSERT INTO policies (program, version, sha256, source, title,"
                " legal_ref, effective_from, normalised) VALUES ('zz-other', 1,"
                " encode(sha256('x'), 'hex'), 'x', 't', 'l', '2024-01-01', 'n')");
    cr_assert(o.ok, "%s", o.message);
    snprintf(sql, sizeof(sql), "INSERT INTO entries (program, seq, kind, business_date,"
             " prev_hash, hash, legs) VALUES ('" PROGRAM "', 2, 'funding', '2024-01-02', '%s',"
             " repeat('a', 64), 2), ('zz-other', 1, 'funding', '2024-01-02', repeat('0', 64),"
             " repeat('c', 64), 2)", head);
    o = pgh_try(conn, "finance", sql);
    cr_assert_str_eq(o.message, "a statement records the entries of one program: this one "
                     "mixes zz-kejidai with others");
    free(head);
    cr_assert_eq(verify_chain(conn), 1);
    led_close(db);
    PQfinish(conn);
}

Test(journal, claim_ids_are_contiguous)
{
    led_db *db;
    PGconn *conn;
    led_journal *j = NULL;
    eng_error err;

    fresh(&db, &conn, NULL, 0);
    cr_assert_eq(journal_once(db, 0, 5, 1, 2, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(journal_once(db, 5, 4, 1, 1, &err), ENG_OK, "%s", err.message);
    /* Loans 0-4, subsidies of 0, 2 and 4; loans 5-8, a subsidy each. */
    cr_assert_eq(verify_chain(conn), 5 + 3 + 4 + 4);
    char *got = pgh_value(conn, NULL, "SELECT string_agg(claim_id::text, ',' ORDER BY"
                          " claim_id) || ' / ' || (SELECT last_claim_id FROM programs)"
                          " FROM claims");
    cr_assert_str_eq(got, "1,2,3,4,5,6,7 / 7");
    free(got);
    /* A claim numbered past the head is refused, naming the next id. */
    jsrc s = {.first = 9, .loans = 1, .unbalanced_item = -1};
    cr_assert_eq(led_journal_begin(&j, db, PROGRAM, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(add_loans(db, &s.batch_id, 9, 1, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(led_journal_write(j, 1, source, &s, &err), ENG_OK, "%s", err.message);
    static const char claim[] = PROGRAM "\t9\tfee_subsidy\tL0000009\tzz-pool\tzz-guarantee\t"
                                "2024-03-01\t1.00\t17\t\\N\n";
    cr_assert_eq(led_copy_begin(db, "COPY claims (program, claim_id, kind, loan_id, payer,"
                                " payee, claim_date, amount, seq, event_id) FROM STDIN", &err),
                 ENG_OK);
    cr_assert_eq(led_copy_put(db, claim, strlen(claim), &err), ENG_OK);
    cr_assert_eq(led_copy_end(db, &err), ENG_ERROR);
    cr_assert_str_eq(err.sqlstate, "23514");
    cr_assert_str_eq(err.message, "copy failed: claim 9 of program zz-kejidai is out of order: "
                     "the next is 8");
    led_journal_abort(j);
    cr_assert_eq(verify_chain(conn), 16);
    led_close(db);
    PQfinish(conn);
}

/*
 * The entries guard checks the references of a statement's entries in its one pass
 * over them when each takes one value, and value by value when they take several
 * (010_entries_chain_one_pass.sql); events and reversals only when some entry names
 * one.  Every way finds the bad reference and names its first entry.
 */
Test(journal, references_of_several_entries_are_checked)
{
    static const struct {
        const char *first, *second; /* policy_version, settlement_id, event_id, reverses_seq */
        const char *sqlstate, *message;
    } cases[] = {
        {"3, NULL, NULL, NULL", "9, NULL, NULL, NULL", "23503",
         "entry 2 of program zz-kejidai names policy version 9, which is not loaded"},
        {"9, NULL, NULL, NULL", "9, NULL, NULL, NULL", "23503",
         "entry 1 of program zz-kejidai names policy version 9, which is not loaded"},
        {"3, NULL, NULL, NULL", "3, 5, NULL, NULL", "23503",
         "entry 2 of program zz-kejidai names settlement 5, which is not recorded"},
        {"NULL, NULL, NULL, NULL", "NULL, NULL, 'EV404', NULL", "23503",
         "entry 2 of program zz-kejidai names event EV404, which is not recorded"},
        {"NULL, NULL, NULL, NULL", "NULL, NULL, NULL, 2", "23503",
         "entry 2 of program zz-kejidai reverses entry 2, which is not an earlier entry"},
    };
    led_db *db;
    PGconn *conn;
    char sql[1024];

    fresh(&db, &conn, NULL, 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(sql, sizeof(sql),
                 "INSERT INTO entries (program, seq, kind, policy_version, settlement_id,"
                 " event_id, reverses_seq, business_date, prev_hash, hash, legs) VALUES"
                 " ('" PROGRAM "', 1, 'funding', %s, '2024-01-02', '" ZERO_HASH "',"
                 " repeat('a', 64), 2),"
                 " ('" PROGRAM "', 2, 'funding', %s, '2024-01-02', repeat('a', 64),"
                 " repeat('b', 64), 2)",
                 cases[i].first, cases[i].second);
        pgh_outcome o = pgh_try(conn, "finance", sql);
        cr_assert_str_eq(o.sqlstate, cases[i].sqlstate, "case %zu: %s", i, o.message);
        cr_assert_str_eq(o.message, cases[i].message, "case %zu", i);
    }
    cr_assert_eq(verify_chain(conn), 0);
    led_close(db);
    PQfinish(conn);
}

Test(journal, references_are_checked_per_statement)
{
    led_db *db;
    PGconn *conn;
    pgh_outcome o;
    eng_error err;

    fresh(&db, &conn, NULL, 0);
    o = pgh_try(conn, "finance", "INSERT INTO entries (program, seq, kind, loan_id,"
                " business_date, prev_hash, hash, legs) VALUES ('" PROGRAM "', 1, 'funding',"
                " 'L404', '2024-01-02', '" ZERO_HASH "', repeat('a', 64), 2)");
    cr_assert_str_eq(o.sqlstate, "23503");
    cr_assert_str_eq(o.message, "entry 1 of program zz-kejidai names loan L404, which is not "
                     "recorded");
    o = pgh_try(conn, "finance", "INSERT INTO entries (program, seq, kind, policy_version,"
                " business_date, prev_hash, hash, legs) VALUES ('" PROGRAM "', 1, 'funding', 9,"
                " '2024-01-02', '" ZERO_HASH "', repeat('a', 64), 2)");
    cr_assert_str_eq(o.message, "entry 1 of program zz-kejidai names policy version 9, which "
                     "is not loaded");
    o = pgh_try(conn, "finance", "INSERT INTO entries (program, seq, kind, business_date,"
                " prev_hash, hash, legs) VALUES ('zz-none', 1, 'funding', '2024-01-02', '"
                ZERO_HASH "', repeat('a', 64), 2)");
    cr_assert_str_eq(o.message, "program zz-none has no policy loaded");
    o = pgh_try(conn, NULL, "INSERT INTO loans (program, loan_id, agency, batch_id, line_no,"
                " policy_version, terms_rule, shares, borrower_code, borrower_name,"
                " tech_status, sector, credit_grade, bank, principal, annual_rate,"
                " collateral_ratio, start_date, term_months, first_loan, fee_rate,"
                " guarantee_fee, fee_subsidy) VALUES ('" PROGRAM "', 'L1', 'agency-a', 77, 2,"
                " 3, 'direct', '{}', '" BORROWER "', 'x', 'none', 'C39', 'A', 'zzbank', 1.00,"
                " '0.04', '0', '2024-01-01', 12, true, '0', 0, 0)");
    cr_assert_str_eq(o.sqlstate, "23503");
    cr_assert_str_eq(o.message, "loan L1 of program zz-kejidai names batch 77, which is not "
                     "recorded");
    /* A claim on a loan that does not exist, opened by an entry of its transaction. */
    led_journal *j = NULL;
    jsrc s = {.first = 0, .loans = 0, .unbalanced_item = -1};
    cr_assert_eq(led_journal_begin(&j, db, PROGRAM, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(led_journal_write(j, 1, source, &s, &err), ENG_OK, "%s", err.message);
    static const char claim[] = PROGRAM "\t1\tfee_subsidy\tL404\tzz-pool\tzz-guarantee\t"
                                "2024-03-01\t1.00\t1\t\\N\n";
    cr_assert_eq(led_copy_begin(db, "COPY claims (program, claim_id, kind, loan_id, payer,"
                                " payee, claim_date, amount, seq, event_id) FROM STDIN", &err),
                 ENG_OK);
    cr_assert_eq(led_copy_put(db, claim, strlen(claim), &err), ENG_OK);
    cr_assert_eq(led_copy_end(db, &err), ENG_ERROR);
    cr_assert_str_eq(err.message, "copy failed: claim 1 of program zz-kejidai names loan L404, "
                     "which is not recorded");
    led_journal_abort(j);
    led_close(db);
    PQfinish(conn);
}

Test(journal, abort_leaves_nothing)
{
    led_db *db;
    PGconn *conn;
    led_journal *j = NULL;
    jsrc s = {.first = 0, .loans = 1, .claim_every = 1, .unbalanced_item = -1};
    eng_error err;

    fresh(&db, &conn, NULL, 0);
    cr_assert_eq(led_journal_begin(&j, db, PROGRAM, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(add_loans(db, &s.batch_id, 0, 10, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(led_journal_write(j, 10, source, &s, &err), ENG_OK, "%s", err.message);
    led_journal_abort(j);
    char *got = pgh_value(conn, NULL, "SELECT (SELECT count(*) FROM entries) + (SELECT count(*)"
                          " FROM postings) + (SELECT count(*) FROM claims) + (SELECT count(*)"
                          " FROM loans) + (SELECT count(*) FROM batches) + (SELECT count(*)"
                          " FROM journal_checks) || ' ' || last_seq || ' ' || last_hash || ' '"
                          " || last_claim_id || ' ' || last_batch_id FROM programs");
    cr_assert_str_eq(got, "0 0 " ZERO_HASH " 0 0");
    free(got);
    /* The connection is fine for the next journal, which starts from the same head. */
    cr_assert_eq(journal_once(db, 0, 2, 1, 1, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(verify_chain(conn), 4);
    led_close(db);
    PQfinish(conn);
}

Test(journal, a_source_that_changes_between_passes_is_caught)
{
    led_db *db;
    PGconn *conn;
    led_journal *j = NULL;
    jsrc s = {.first = 0, .loans = 0, .drift = 1, .unbalanced_item = -1};
    eng_error err;

    fresh(&db, &conn, NULL, 0);
    cr_assert_eq(led_journal_begin(&j, db, PROGRAM, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(led_journal_write(j, 3, source, &s, &err), ENG_ERROR);
    cr_assert_str_eq(err.message, "the entry source gave other entries in pass 2 (3 entries, "
                     "6 legs, 0 claims) than in pass 1 (3, 6, 0)");
    led_journal_abort(j);
    cr_assert_eq(verify_chain(conn), 0);
    led_close(db);
    PQfinish(conn);
}

Test(journal, lost_connection_and_lock_timeout)
{
    led_db *db;
    PGconn *conn;
    led_journal *j = NULL;
    jsrc s = {.first = 0, .loans = 0, .unbalanced_item = -1};
    char *pid = NULL;
    eng_error err;

    fresh(&db, &conn, NULL, 0);
    /* Another transaction holds the head: a writer that may not wait is told to retry. */
    PQclear(PQexec(conn, "BEGIN"));
    PQclear(PQexec(conn, "SELECT * FROM programs FOR UPDATE"));
    cr_assert_eq(led_exec_params(db, "SET lock_timeout = '50ms'", 0, NULL, &err), ENG_OK);
    cr_assert_eq(led_journal_begin(&j, db, PROGRAM, &err), ENG_ERETRY);
    cr_assert_str_eq(err.sqlstate, "55P03");
    PQclear(PQexec(conn, "ROLLBACK"));
    /* The server ends the journal's session: the database is unavailable. */
    cr_assert_eq(led_journal_begin(&j, db, PROGRAM, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(led_query_value(&pid, db, "SELECT pg_backend_pid()", 0, NULL, &err), ENG_OK);
    const char *params[1] = {pid};
    PGresult *res = PQexecParams(conn, "SELECT pg_terminate_backend($1::int, 5000)", 1, NULL,
                                 params, NULL, NULL, 0);
    cr_assert_str_eq(PQgetvalue(res, 0, 0), "t");
    PQclear(res);
    free(pid);
    cr_assert_eq(led_journal_write(j, 2, source, &s, &err), ENG_EDB);
    led_journal_abort(j);
    led_close(db);
    PQfinish(conn);
}

/* A child writer: `rounds` journals of `n` items on loans L<base>.. of its own. */
static int writer(const char *conninfo, size_t base, int rounds, size_t n)
{
    led_db *db = NULL;
    eng_error err;

    if (led_connect(&db, conninfo, &err) != ENG_OK) {
        fprintf(stderr, "writer %zu: %s\n", base, err.message);
        return 1;
    }
    for (int r = 0; r < rounds; r++) {
        eng_status rc = journal_once(db, base + (size_t)r * n, n, 1, 2, &err);
        if (rc != ENG_OK) {
            fprintf(stderr, "writer %zu round %d: %s\n", base, r, err.message);
            led_close(db);
            return 1;
        }
    }
    led_close(db);
    return 0;
}

Test(journal, concurrent_writers_serialize_on_one_chain)
{
    char conninfo[1024];
    led_db *db;
    PGconn *conn;
    pid_t kids[2];
    int status;

    fresh(&db, &conn, conninfo, sizeof(conninfo));
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        cr_assert_geq(kids[k], 0);
        if (kids[k] == 0) {
            _exit(writer(conninfo, (size_t)k * 100000, 8, 50));
        }
    }
    for (int k = 0; k < 2; k++) {
        cr_assert_eq(waitpid(kids[k], &status, 0), kids[k]);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer %d failed", k);
    }
    /* 2 writers x 8 rounds x 50 items: 50 fee entries and 25 subsidies with claims each. */
    cr_assert_eq(verify_chain(conn), 2 * 8 * 75);
    char *got = pgh_value(conn, NULL, "SELECT count(*) || ' ' || count(DISTINCT recorded_at)"
                          " || ' ' || (SELECT count(*) FROM claims) FROM journal_checks");
    cr_assert_str_eq(got, "16 16 400", "sixteen transactions, one range each");
    free(got);
    led_close(db);
    PQfinish(conn);
}

/* CPU seconds used so far by process `pid` (utime + stime from /proc), -1 when unknown. */
static double cpu_of(long pid)
{
    char path[64], buf[1024];
    unsigned long long utime = 0, stime = 0;
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* Fields 14 and 15, counted after the command name's closing parenthesis. */
    char *p = strrchr(buf, ')');
    for (int field = 2; p != NULL && field < 14; field++) {
        p = strchr(p + 1, ' ');
    }
    if (p == NULL) {
        return -1;
    }
    utime = strtoull(p + 1, &p, 10);
    stime = strtoull(p + 1, NULL, 10);
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* CPU seconds used so far by this process. */
static double cpu_self(void)
{
    return cpu_of((long)getpid());
}

/* Wall and CPU time at a point of the bulk test. */
typedef struct {
    struct timespec wall;
    double server, client;
} stamp;

/* The stamps of the bulk test: one as each pass begins. */
typedef struct {
    long server_pid;
    stamp at[4];
    int n;
} pass_marks;

static void stamp_now(stamp *out, long server_pid)
{
    clock_gettime(CLOCK_MONOTONIC, &out->wall);
    out->server = cpu_of(server_pid);
    out->client = cpu_self();
}

static void mark_pass(void *ctx)
{
    pass_marks *m = ctx;

    if (m->n < 4) {
        stamp_now(&m->at[m->n++], m->server_pid);
    }
}

static void stamp_print(const char *what, const stamp *a, const stamp *b, double rows)
{
    double wall = (double)(b->wall.tv_sec - a->wall.tv_sec)
                  + (double)(b->wall.tv_nsec - a->wall.tv_nsec) / 1e9;

    fprintf(stderr, "journal: %-44s %6.2f s wall (%8.0f rows/s), server CPU %5.2f s,"
            " client CPU %5.2f s\n", what, wall, rows / wall, b->server - a->server,
            b->client - a->client);
}

Test(journal, two_hundred_thousand_entries_in_one_transaction)
{
    led_db *db;
    PGconn *conn;
    led_journal *j = NULL;
    enum { ITEMS = 100000 };
    jsrc s = {.first = 0, .loans = 1, .claim_every = 1, .unbalanced_item = -1};
    stamp t0, t1, t2, t3;
    pass_marks marks = {0};
    char *pid = NULL;
    eng_error err;

    fresh(&db, &conn, NULL, 0);
    cr_assert_eq(led_journal_begin(&j, db, PROGRAM, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(led_query_value(&pid, db, "SELECT pg_backend_pid()", 0, NULL, &err), ENG_OK);
    long server = strtol(pid, NULL, 10);
    free(pid);
    marks.server_pid = server;
    s.on_first = mark_pass;
    s.on_first_ctx = &marks;
    stamp_now(&t0, server);
    cr_assert_eq(add_loans(db, &s.batch_id, 0, ITEMS, &err), ENG_OK, "%s", err.message);
    stamp_now(&t1, server);
    cr_assert_eq(led_journal_write(j, ITEMS, source, &s, &err), ENG_OK, "%s", err.message);
    stamp_now(&t2, server);
    cr_assert_eq(led_journal_commit(j, &err), ENG_OK, "%s", err.message);
    stamp_now(&t3, server);
    char *got = pgh_value(conn, NULL, "SELECT (SELECT count(*) FROM entries) || ' ' ||"
                          " (SELECT count(*) FROM postings) || ' ' || (SELECT count(*) FROM"
                          " claims) || ' ' || (SELECT count(*) FROM loans) || ' ' ||"
                          " last_seq || ' ' || last_claim_id FROM programs");
    cr_assert_str_eq(got, "200000 400000 100000 100000 200000 100000");
    free(got);
    cr_assert_eq(marks.n, 3, "three passes");
    stamp_print("COPY of 100,000 loans (the test's rows)", &t0, &t1, 100000);
    stamp_print("pass 1: 200,000 entries", &marks.at[0], &marks.at[1], 200000);
    stamp_print("pass 2: 400,000 postings", &marks.at[1], &marks.at[2], 400000);
    stamp_print("pass 3: 100,000 claims", &marks.at[2], &t2, 100000);
    stamp_print("write 200k entries, 400k postings, 100k claims", &t1, &t2, 700000);
    stamp_print("commit (balance check of 200k entries)", &t2, &t3, 200000);
    stamp_print("journal: write and commit", &t1, &t3, 700000);
    struct timespec v0;
    clock_gettime(CLOCK_MONOTONIC, &v0);
    cr_assert_eq(verify_chain(conn), 200000);
    fprintf(stderr, "journal: the chain of 200,000 entries recomputed from the rows in %.2f s\n",
            seconds_since(&v0));
    led_close(db);
    PQfinish(conn);
}
