/*
 * test_settle.c -- goal: `settle` behaves as DESIGN 6 "Settlement", 7, 8 and 10 say.
 *
 * The engine (suite `settle`): claim order, what fifo and pro_rata pay (a table of
 * cases: all fit, fifo partial, largest-remainder ties, zero available, no claims),
 * a seeded property test over random pools, period parsing, and the version whose
 * settlement block applies.  The command against a real server (suite
 * `settle_ledger`): a preview changes nothing; a commit records the settlement, its
 * entries, postings and payments; a repeat through the same or an earlier date is
 * refused with exit 65 naming the settlement; fifo then pro_rata over settlements
 * that carry the unpaid forward until every claim is paid exactly once; the
 * workbook; usage errors; and a commit killed with SIGKILL, then rerun, paying each
 * claim exactly once.
 *
 * Claims come from `batch submit` of tests/data/settle/loans.csv under the policies
 * tests/data/settle/settle-v1.yaml (fifo, first half of 2024) and settle-v2.yaml
 * (pro_rata, from July 2024): fee subsidies on pool1.  Pool cash and a compensation
 * claim on pool2 are recorded here through the journal (until `events import` is the
 * way in).
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli_harness.h"
#include "journal.h"
#include "limits.h"
#include "loader.h"
#include "money.h"
#include "pg.h"
#include "pg_harness.h"
#include "settle.h"

/* ---- The engine ------------------------------------------------------------------------ */

#define CASE_MAX 8

typedef struct {
    const char *name;
    eng_shortfall shortfall;
    eng_fen available;
    size_t n;
    eng_fen open[CASE_MAX];
    eng_fen want[CASE_MAX];
} alloc_case;

/* Claims of one date in loan order L0, L1, ...: their order is their index. */
static void make_claims(eng_settle_claim *out, const eng_fen *open, size_t n)
{
    static const char *const ids[CASE_MAX] = {"L0", "L1", "L2", "L3", "L4", "L5", "L6", "L7"};
    for (size_t i = 0; i < n; i++) {
        out[i] = (eng_settle_claim){(long)(i + 1), eng_date_from_ymd(2024, 3, 1), ids[i],
                                    ENG_CLAIM_FEE_SUBSIDY, open[i]};
    }
}

Test(settle, allocation_table)
{
    static const alloc_case cases[] = {
        {"all fit, fifo", ENG_SHORTFALL_FIFO, 10000, 2, {3000, 2000}, {3000, 2000}},
        {"all fit, pro_rata", ENG_SHORTFALL_PRO_RATA, 10000, 2, {3000, 2000}, {3000, 2000}},
        {"exactly enough", ENG_SHORTFALL_PRO_RATA, 5000, 2, {3000, 2000}, {3000, 2000}},
        {"fifo partial", ENG_SHORTFALL_FIFO, 6000, 3, {5000, 3000, 2000}, {5000, 1000, 0}},
        {"fifo runs out on a boundary", ENG_SHORTFALL_FIFO, 5000, 3, {5000, 3000, 2000},
         {5000, 0, 0}},
        {"fifo one fen", ENG_SHORTFALL_FIFO, 1, 2, {5000, 3000}, {1, 0}},
        {"pro_rata even", ENG_SHORTFALL_PRO_RATA, 500, 2, {600, 400}, {300, 200}},
        /* DESIGN 3: 0.05 split 40/30/20/10 gives 0.02/0.02/0.01/0.00 */
        {"design example", ENG_SHORTFALL_PRO_RATA, 5, 4, {40, 30, 20, 10}, {2, 2, 1, 0}},
        /* 2000/2000/1000 from 3000.01: 1200.006, 1200.006, 600.003; the tie goes first */
        {"pro_rata tie to the earlier claim", ENG_SHORTFALL_PRO_RATA, 300001, 3,
         {200000, 200000, 100000}, {120001, 120000, 60000}},
        {"pro_rata three-way tie", ENG_SHORTFALL_PRO_RATA, 2, 3, {1, 1, 1}, {1, 1, 0}},
        /* 5000/3000/2000 from 3333.33: remainders .5, .9, .6 fen: the two largest gain */
        {"pro_rata largest remainders", ENG_SHORTFALL_PRO_RATA, 333333, 3,
         {500000, 300000, 200000}, {166666, 100000, 66667}},
        {"zero available, fifo", ENG_SHORTFALL_FIFO, 0, 2, {100, 200}, {0, 0}},
        {"zero available, pro_rata", ENG_SHORTFALL_PRO_RATA, 0, 2, {100, 200}, {0, 0}},
        {"negative cash pays nothing", ENG_SHORTFALL_PRO_RATA, -500, 2, {100, 200}, {0, 0}},
        {"no claims", ENG_SHORTFALL_PRO_RATA, 100000, 0, {0}, {0}},
        {"largest amounts", ENG_SHORTFALL_PRO_RATA, ENG_FEN_MAX - 1, 2,
         {ENG_FEN_MAX / 2, ENG_FEN_MAX / 2}, {ENG_FEN_MAX / 2, ENG_FEN_MAX / 2 - 1}},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        const alloc_case *c = &cases[k];
        eng_settle_claim claims[CASE_MAX];
        eng_fen paid[CASE_MAX] = {0};
        eng_settle_totals t;
        eng_error err;
        eng_fen open = 0, sum = 0;
        make_claims(claims, c->open, c->n);
        cr_assert_eq(eng_settle_allocate(paid, &t, claims, c->n, c->available, c->shortfall,
                                         &err), ENG_OK, "%s: %s", c->name, err.message);
        for (size_t i = 0; i < c->n; i++) {
            cr_expect_eq(paid[i], c->want[i], "%s: claim %zu paid %lld, want %lld", c->name, i,
                         (long long)paid[i], (long long)c->want[i]);
            open += c->open[i];
            sum += c->want[i];
        }
        cr_expect_eq(t.available, c->available < 0 ? 0 : c->available, "%s", c->name);
        cr_expect_eq(t.open_before, open, "%s", c->name);
        cr_expect_eq(t.paid, sum, "%s", c->name);
        cr_expect_eq(t.open_after, open - sum, "%s", c->name);
    }
}

Test(settle, claim_order)
{
    eng_date d1 = eng_date_from_ymd(2024, 1, 5), d2 = eng_date_from_ymd(2024, 2, 1);
    /* Shuffled; the wanted order is by date, loan_id bytewise, kind, claim id. */
    eng_settle_claim claims[] = {
        {9, d2, "L2", ENG_CLAIM_COMPENSATION, 1},
        {8, d2, "L10", ENG_CLAIM_INTEREST_SUBSIDY, 1},
        {7, d2, "L10", ENG_CLAIM_COMPENSATION, 1},
        {6, d2, "L10", ENG_CLAIM_FEE_SUBSIDY, 1},
        {5, d1, "b", ENG_CLAIM_FEE_SUBSIDY, 1},
        {4, d1, "B", ENG_CLAIM_FEE_SUBSIDY, 1},
        {3, d2, "L2", ENG_CLAIM_COMPENSATION, 1},
        {2, d1, "b", ENG_CLAIM_COMPENSATION, 1},
    };
    static const long want[] = {4, 2, 5, 7, 6, 8, 3, 9};
    eng_settle_sort(claims, 8);
    for (size_t i = 0; i < 8; i++) {
        cr_expect_eq(claims[i].claim_id, want[i], "position %zu: claim %ld, want %ld", i,
                     claims[i].claim_id, want[i]);
    }
    cr_expect_eq(eng_settle_claim_cmp(&claims[0], &claims[0]), 0);
    cr_expect_eq(eng_claim_kind_from_name("interest_subsidy"), ENG_CLAIM_INTEREST_SUBSIDY);
    cr_expect_eq(eng_claim_kind_from_name("default"), -1);
    cr_expect_str_eq(eng_claim_kind_name(ENG_CLAIM_COMPENSATION), "compensation");
    cr_expect_str_eq(eng_shortfall_name(ENG_SHORTFALL_FIFO), "fifo");
    cr_expect_str_eq(eng_period_name(ENG_PERIOD_QUARTER), "quarter");
}

/* A 64-bit linear congruential generator: the same numbers for the same seed everywhere. */
static unsigned long long rnd(unsigned long long *s, unsigned long long bound)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (*s >> 17) % bound;
}

/* Checks the properties of one random pool's allocation; returns 0 or fails the test. */
static void check_random_pool(unsigned long long seed, int iter, eng_shortfall mode,
                              const eng_settle_claim *claims, size_t n, eng_fen available)
{
    eng_fen paid[64];
    eng_settle_totals t;
    eng_error err;
    eng_fen total = 0, sum = 0;
    int partials = 0, after_partial = 0;

    cr_assert_eq(eng_settle_allocate(paid, &t, claims, n, available, mode, &err), ENG_OK,
                 "seed %llu iteration %d: %s", seed, iter, err.message);
    for (size_t i = 0; i < n; i++) {
        total += claims[i].open;
        sum += paid[i];
        cr_assert(paid[i] >= 0 && paid[i] <= claims[i].open,
                  "seed %llu iteration %d: claim %zu paid %lld of %lld open", seed, iter, i,
                  (long long)paid[i], (long long)claims[i].open);
        if (mode == ENG_SHORTFALL_FIFO) {
            cr_assert(!after_partial || paid[i] == 0,
                      "seed %llu iteration %d: fifo paid claim %zu after the money ran out",
                      seed, iter, i);
            partials += paid[i] < claims[i].open;
            after_partial = partials > 0;
        } else if (total > available) {
            /* Within one fen of the exact share: |paid * T - A * open| < T, in GMP. */
            mpz_t lhs, rhs;
            mpz_inits(lhs, rhs, NULL);
            mpz_set_si(lhs, (long)paid[i]);
            mpz_set_si(rhs, (long)available);
            mpz_mul_si(rhs, rhs, (long)claims[i].open);
            mpz_t tot;
            mpz_init_set_si(tot, 0);
            for (size_t k = 0; k < n; k++) {
                mpz_add_ui(tot, tot, (unsigned long)claims[k].open);
            }
            mpz_mul(lhs, lhs, tot);
            mpz_sub(lhs, lhs, rhs);
            mpz_abs(lhs, lhs);
            cr_assert(mpz_cmp(lhs, tot) < 0, "seed %llu iteration %d: pro_rata claim %zu is "
                      "more than a fen from its exact share", seed, iter, i);
            mpz_clears(lhs, rhs, tot, NULL);
        }
    }
    cr_assert_eq(sum, total < available ? total : available,
                 "seed %llu iteration %d: paid %lld, want min(available %lld, open %lld)", seed,
                 iter, (long long)sum, (long long)available, (long long)total);
    cr_assert_eq(t.paid, sum, "seed %llu iteration %d", seed, iter);
}

Test(settle, property_random_pools)
{
    const unsigned long long seed = 20261128ULL;
    unsigned long long s = seed;
    static const char *const ids[] = {"A", "B", "C", "D", "E", "F", "G", "H"};

    for (int iter = 0; iter < 2000; iter++) {
        eng_settle_claim claims[64];
        size_t n = (size_t)rnd(&s, 40);
        eng_fen total = 0;
        for (size_t i = 0; i < n; i++) {
            /* Mostly small amounts, some huge, a few of 1 fen: ties and big products. */
            unsigned long long kind = rnd(&s, 10);
            eng_fen open = kind == 0 ? 1 + (eng_fen)rnd(&s, 3)
                         : kind == 1 ? 1 + (eng_fen)rnd(&s, 1000000000000000ULL)
                                     : 1 + (eng_fen)rnd(&s, 10000000);
            claims[i] = (eng_settle_claim){(long)i + 1, (eng_date)(19800 + (int)i / 8),
                                           ids[i % 8], ENG_CLAIM_COMPENSATION, open};
            total += open;
        }
        eng_fen available = rnd(&s, 4) == 0 ? total + (eng_fen)rnd(&s, 1000)
                                             : (eng_fen)rnd(&s, (unsigned long long)total + 2);
        check_random_pool(seed, iter, ENG_SHORTFALL_FIFO, claims, n, available);
        check_random_pool(seed, iter, ENG_SHORTFALL_PRO_RATA, claims, n, available);
    }
}

Test(settle, period_end)
{
    static const struct {
        const char *text;
        int y, m, d;
    } ok[] = {
        {"2024", 2024, 12, 31},   {"2024Q1", 2024, 3, 31},  {"2024Q2", 2024, 6, 30},
        {"2024Q3", 2024, 9, 30},  {"2024Q4", 2024, 12, 31}, {"2024-07", 2024, 7, 31},
        {"2024-02", 2024, 2, 29}, {"2023-02", 2023, 2, 28}, {"2100-02", 2100, 2, 28},
        {"2000-02", 2000, 2, 29}, {"2024-12", 2024, 12, 31}, {"2024-01", 2024, 1, 31},
        {"1900", 1900, 12, 31},   {"2199Q4", 2199, 12, 31}, {"2024-04", 2024, 4, 30},
    };
    static const char *const bad[] = {
        "", "24", "202", "20245", "2024Q0", "2024Q5", "2024Q", "2024q3", "2024-00", "2024-13",
        "2024-7", "2024-07-01", "1899", "2200", "2200Q1", "abcd", " 2024", "2024 ", "2024-1a",
        "+2024", "2024H1",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        eng_date d = 0;
        eng_error err;
        cr_assert_eq(eng_settle_period_end(&d, ok[i].text, strlen(ok[i].text), &err), ENG_OK,
                     "%s: %s", ok[i].text, err.message);
        cr_expect_eq(d, eng_date_from_ymd(ok[i].y, ok[i].m, ok[i].d), "%s", ok[i].text);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        eng_date d = 12345;
        eng_error err;
        cr_expect_eq(eng_settle_period_end(&d, bad[i], strlen(bad[i]), &err), ENG_EPARSE,
                     "\"%s\" accepted", bad[i]);
        cr_expect_eq(d, 12345, "\"%s\" set the date", bad[i]);
    }
}

Test(settle, version_in_force_else_highest)
{
    eng_policy *v[2] = {NULL, NULL};
    eng_error err;
    cr_assert_eq(pol_load_file(&v[0], "tests/data/settle/settle-v2.yaml", NULL, NULL, &err),
                 ENG_OK, "%s", err.message);
    cr_assert_eq(pol_load_file(&v[1], "tests/data/settle/settle-v1.yaml", NULL, NULL, &err),
                 ENG_OK, "%s", err.message);
    const eng_policy *const *vs = (const eng_policy *const *)v;
    cr_expect_eq(eng_settle_version(vs, 2, eng_date_from_ymd(2024, 3, 31)), 1);
    cr_expect_eq(eng_settle_version(vs, 2, eng_date_from_ymd(2024, 6, 30)), 1);
    cr_expect_eq(eng_settle_version(vs, 2, eng_date_from_ymd(2024, 7, 1)), 0);
    cr_expect_eq(eng_settle_version(vs, 2, eng_date_from_ymd(2023, 12, 31)), 0);
    cr_expect_eq(v[1]->settlement.shortfall, ENG_SHORTFALL_FIFO);
    cr_expect_eq(v[0]->settlement.shortfall, ENG_SHORTFALL_PRO_RATA);
    cr_expect_eq(eng_settle_version(vs, 0, 0), -1);
    eng_policy_free(v[0]);
    eng_policy_free(v[1]);
}

/* ---- The command against the ledger ------------------------------------------------------- */

#define POLICY_V1 "tests/data/settle/settle-v1.yaml"
#define POLICY_V2 "tests/data/settle/settle-v2.yaml"
#define LOANS "tests/data/settle/loans.csv"
#define HEADER "claim_id,loan_id,kind,payer,payee,claim_date,open_before,paid,open_after\n"
#define B1 "borrower:914403001922038216"
#define B2 "borrower:91330100716105852F"
#define B3 "borrower:91440300708461136T"

/* The Q1 statement: fifo pays L1 in full and L2 in part from 6000.00; pool2 500.00. */
#define Q1_STATEMENT                                                                               \
    HEADER                                                                                         \
    "1,L1,fee_subsidy,pool1," B1 ",2024-01-10,5000.00,5000.00,0.00\n"                              \
    "3,L2,fee_subsidy,pool1," B2 ",2024-02-01,3000.00,1000.00,2000.00\n"                           \
    "2,L3,fee_subsidy,pool1," B3 ",2024-02-01,2000.00,0.00,2000.00\n"                              \
    "5,L1,compensation,pool2,gu1,2024-03-15,700.00,500.00,200.00\n"

static char *value(const char *db, const char *sql)
{
    PGconn *c = pgh_connect(db);
    char *v = pgh_value(c, NULL, sql);
    PQfinish(c);
    return v;
}

static void expect_value(const char *db, const char *sql, const char *want)
{
    char *v = value(db, sql);
    cr_expect_str_eq(v, want, "%s", sql);
    free(v);
}

/* A journal source of one entry, described by the caller. */
static eng_status one_entry(void *ctx, size_t item, led_entry *out, size_t cap, size_t *n_out,
                            eng_error *err)
{
    (void)item;
    (void)cap;
    (void)err;
    *out = *(const led_entry *)ctx;
    *n_out = 1;
    return ENG_OK;
}

static void journal_one(const char *db, const led_entry *e)
{
    led_db *conn = NULL;
    led_journal *j = NULL;
    eng_error err;
    cr_assert_eq(led_connect(&conn, db, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(led_journal_begin(&j, conn, "st", &err), ENG_OK, "%s", err.message);
    cr_assert_eq(led_journal_write(j, 1, one_entry, (void *)e, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(led_journal_commit(j, &err), ENG_OK, "%s", err.message);
    led_close(conn);
}

/* Funding of `amount` fen into `pool` dated y-m-d (DESIGN 7: P:cash Dr, P:capital Cr). */
static void fund(const char *db, const char *pool, eng_fen amount, int y, int m, int d)
{
    led_entry e;
    memset(&e, 0, sizeof(e));
    e.kind = "funding";
    e.business_date = eng_date_from_ymd(y, m, d);
    e.n_legs = 2;
    e.legs[0] = (led_leg){pool, "cash", 1, amount};
    e.legs[1] = (led_leg){pool, "capital", 0, amount};
    journal_one(db, &e);
}

/* A compensation claim of `amount` fen on pool2 for loan L1, payable to gu1 (DESIGN 7). */
static void pool2_claim(const char *db, eng_fen amount, int y, int m, int d)
{
    led_entry e;
    memset(&e, 0, sizeof(e));
    e.kind = "pool_claim";
    e.loan_id = "L1";
    e.business_date = eng_date_from_ymd(y, m, d);
    e.n_legs = 4;
    e.legs[0] = (led_leg){"pool2", "loss", 1, amount};
    e.legs[1] = (led_leg){"pool2", "payable", 0, amount};
    e.legs[2] = (led_leg){"gu1", "receivable", 1, amount};
    e.legs[3] = (led_leg){"gu1", "loss", 0, amount};
    e.has_claim = 1;
    e.claim = (led_claim_spec){"compensation", "pool2", "gu1", e.business_date, amount, NULL};
    journal_one(db, &e);
}

/* A fresh database: both versions loaded, the four loans submitted, Q1 money in. */
static void fresh(char *db, size_t n)
{
    pgh_fresh_db(db, n);
    clh_result r = clh_run(db, (const char *const[]){"policy", "load", "--quiet", POLICY_V1,
                                                     POLICY_V2, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    clh_free(&r);
    r = clh_run(db, (const char *const[]){"batch", "submit", "--quiet", "--program", "st",
                                          "--agency", "gu1", LOANS, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    clh_free(&r);
    fund(db, "pool1", 600000, 2024, 1, 2);
    pool2_claim(db, 70000, 2024, 3, 15);
    fund(db, "pool2", 50000, 2024, 3, 20);
    /* dated after the first quarter: not available to a Q1 settlement */
    fund(db, "pool1", 300001, 2024, 4, 1);
}

/* Runs `settle --program st` with `args` (NULL-terminated, at most 10). */
static clh_result settle(const char *db, const char *const *args)
{
    const char *argv[16] = {"settle", "--program", "st"};
    size_t n = 3;
    while (*args != NULL && n < 14) {
        argv[n++] = *args++;
    }
    argv[n] = NULL;
    return clh_run(db, argv);
}

/* What the ledger holds that a settlement could change, as one line. */
static char *ledger_state(const char *db)
{
    return value(db, "SELECT (SELECT count(*) FROM entries) || ':' || (SELECT count(*) FROM"
                     " postings) || ':' || (SELECT count(*) FROM settlements) || ':' ||"
                     " (SELECT count(*) FROM settlement_payments) || ':' || last_seq || ':' ||"
                     " last_settlement_id FROM programs WHERE program = 'st'");
}

/* After any number of settlements: no claim paid beyond its amount or twice in a run. */
static void expect_paid_once(const char *db, unsigned long long seed, int trial)
{
    char *v = value(db, "SELECT count(*) FILTER (WHERE paid > amount OR open < 0) || ':' ||"
                        " (SELECT count(*) FROM (SELECT claim_id FROM settlement_payments"
                        " GROUP BY settlement_id, claim_id HAVING count(*) > 1) x) || ':' ||"
                        " (SELECT count(*) FROM entries WHERE kind = 'settlement_payment') -"
                        " (SELECT count(*) FROM settlement_payments WHERE paid > 0)"
                        " FROM claims_open");
    cr_expect_str_eq(v, "0:0:0", "seed %llu trial %d: a claim paid twice or beyond its amount",
                     seed, trial);
    free(v);
}

Test(settle_ledger, preview_changes_nothing)
{
    char db[1024];
    fresh(db, sizeof(db));
    char *before = ledger_state(db);
    clh_result r = settle(db, (const char *const[]){"--period", "2024Q1", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect_str_eq(r.out, Q1_STATEMENT);
    cr_expect_str_eq(r.err, "riskshare: settle st through 2024-03-31 (version 1, fifo): pool"
                            " pool1 available 6000.00, paid 6000.00, left open 4000.00; pool"
                            " pool2 available 500.00, paid 500.00, left open 200.00; 4 claims;"
                            " preview, nothing recorded\n");
    clh_free(&r);
    char *after = ledger_state(db);
    cr_expect_str_eq(after, before);
    free(before);
    free(after);
    /* the same through --through, and --quiet prints no summary */
    r = settle(db, (const char *const[]){"--through", "2024-03-31", "--quiet", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect_str_eq(r.out, Q1_STATEMENT);
    cr_expect_str_eq(r.err, "");
    clh_free(&r);
}

Test(settle_ledger, commit_records_and_repeat_is_refused)
{
    char db[1024];
    fresh(db, sizeof(db));
    clh_result r = settle(db, (const char *const[]){"--period", "2024Q1", "--commit", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect_str_eq(r.out, Q1_STATEMENT);
    cr_expect(strstr(r.err, "; 4 claims; recorded as settlement 1\n") != NULL, "%s", r.err);
    clh_free(&r);
    expect_value(db, "SELECT settlement_id || ':' || through_date || ':' || period FROM"
                     " settlements", "1:2024-03-31:2024Q1");
    expect_value(db, "SELECT string_agg(loan_id || ':' || business_date || ':' || settlement_id"
                     " || ':' || policy_version || ':' || array_to_string(rule_ids, '/') || ':'"
                     " || legs, ' ' ORDER BY seq) FROM entries WHERE kind = 'settlement_payment'",
                 "L1:2024-03-31:1:1:quarter/fifo:2 L2:2024-03-31:1:1:quarter/fifo:2"
                 " L1:2024-03-31:1:1:quarter/fifo:4");
    expect_value(db, "SELECT string_agg(p.account || ':' || p.side || ':' || p.amount, ' '"
                     " ORDER BY p.seq, p.leg) FROM postings p JOIN entries e USING (program, seq)"
                     " WHERE e.kind = 'settlement_payment'",
                 "pool1:payable:debit:5000.00 pool1:cash:credit:5000.00"
                 " pool1:payable:debit:1000.00 pool1:cash:credit:1000.00"
                 " pool2:payable:debit:500.00 pool2:cash:credit:500.00"
                 " gu1:cash:debit:500.00 gu1:receivable:credit:500.00");
    expect_value(db, "SELECT string_agg(p.claim_id || ':' || p.open_before || ':' || p.paid || ':'"
                     " || coalesce(e.loan_id, '-'), ' ' ORDER BY p.claim_id)"
                     " FROM settlement_payments p LEFT JOIN entries e USING (program, seq)",
                 "1:5000.00:5000.00:L1 2:2000.00:0.00:- 3:3000.00:1000.00:L2 5:700.00:500.00:L1");
    expect_value(db, "SELECT string_agg(claim_id || ':' || open, ' ' ORDER BY claim_id)"
                     " FROM claims_open", "1:0.00 2:2000.00 3:2000.00 4:1000.00 5:200.00");
    expect_value(db, "SELECT count(*) FROM settlement_statements WHERE settlement_id = 1",
                 "4");

    char *before = ledger_state(db);
    static const char *const repeats[][4] = {
        {"--period", "2024Q1", "--commit", NULL},
        {"--through", "2024-02-29", "--commit", NULL},
        {"--through", "2024-03-31", NULL},
        {"--period", "2023", "--commit", NULL},
    };
    for (size_t i = 0; i < sizeof(repeats) / sizeof(repeats[0]); i++) {
        r = settle(db, repeats[i]);
        cr_expect_eq(r.status, 65, "repeat %zu: exit %d", i, r.status);
        cr_expect_str_eq(r.err, "riskshare: program st is already settled through 2024-03-31"
                                " (settlement 1): a new settlement must run through a later"
                                " date\n", "repeat %zu", i);
        cr_expect_str_eq(r.out, "", "repeat %zu", i);
        clh_free(&r);
    }
    char *after = ledger_state(db);
    cr_expect_str_eq(after, before);
    free(before);
    free(after);
}

Test(settle_ledger, fifo_then_pro_rata_carry_forward_pays_each_claim_once)
{
    char db[1024];
    fresh(db, sizeof(db));
    clh_result r = settle(db, (const char *const[]){"--period", "2024Q1", "--commit", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect_str_eq(r.out, Q1_STATEMENT);
    clh_free(&r);
    /* Q3, version 2 (pro_rata): the unpaid of Q1 and L4 share pool1's 3000.01; 2000.00,
       2000.00 and 1000.00 get 1200.006, 1200.006 and 600.003: the fen left goes to the
       earlier of the tied claims.  pool2 has no cash left: 0 of 200.00. */
    r = settle(db, (const char *const[]){"--period", "2024Q3", "--commit", "--format", "csv",
                                         NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.err, "(version 2, pro_rata)") != NULL, "%s", r.err);
    cr_expect_str_eq(r.out, HEADER
                     "3,L2,fee_subsidy,pool1," B2 ",2024-02-01,2000.00,1200.01,799.99\n"
                     "2,L3,fee_subsidy,pool1," B3 ",2024-02-01,2000.00,1200.00,800.00\n"
                     "4,L4,fee_subsidy,pool1," B1 ",2024-08-01,1000.00,600.00,400.00\n"
                     "5,L1,compensation,pool2,gu1,2024-03-15,200.00,0.00,200.00\n");
    clh_free(&r);
    /* Q4: 0.02 over 799.99/800.00/400.00 (remainders .799998, .800004, .400002 fen) */
    fund(db, "pool1", 2, 2024, 10, 1);
    fund(db, "pool2", 1, 2024, 10, 1);
    r = settle(db, (const char *const[]){"--period", "2024Q4", "--commit", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect_str_eq(r.out, HEADER
                     "3,L2,fee_subsidy,pool1," B2 ",2024-02-01,799.99,0.01,799.98\n"
                     "2,L3,fee_subsidy,pool1," B3 ",2024-02-01,800.00,0.01,799.99\n"
                     "4,L4,fee_subsidy,pool1," B1 ",2024-08-01,400.00,0.00,400.00\n"
                     "5,L1,compensation,pool2,gu1,2024-03-15,200.00,0.01,199.99\n");
    clh_free(&r);
    fund(db, "pool1", 1000000, 2025, 1, 2);
    fund(db, "pool2", 100000, 2025, 1, 2);
    r = settle(db, (const char *const[]){"--period", "2025-01", "--commit", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect_str_eq(r.out, HEADER
                     "3,L2,fee_subsidy,pool1," B2 ",2024-02-01,799.98,799.98,0.00\n"
                     "2,L3,fee_subsidy,pool1," B3 ",2024-02-01,799.99,799.99,0.00\n"
                     "4,L4,fee_subsidy,pool1," B1 ",2024-08-01,400.00,400.00,0.00\n"
                     "5,L1,compensation,pool2,gu1,2024-03-15,199.99,199.99,0.00\n");
    clh_free(&r);
    /* nothing open: the header alone, and the settlement is still recorded */
    r = settle(db, (const char *const[]){"--period", "2025", "--commit", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect_str_eq(r.out, HEADER);
    clh_free(&r);
    /* every claim paid in full, exactly once: the payments sum to the amounts */
    expect_value(db, "SELECT count(*) || ':' || bool_and(open = 0) || ':' || bool_and(paid ="
                     " amount) FROM claims_open", "5:true:true");
    expect_paid_once(db, 0, 0);
    expect_value(db, "SELECT string_agg(settlement_id || ':' || through_date, ' ' ORDER BY"
                     " settlement_id) FROM settlements",
                 "1:2024-03-31 2:2024-09-30 3:2024-12-31 4:2025-01-31 5:2025-12-31");
    /* each pool's cash is its funding less what settlements paid */
    expect_value(db, "SELECT string_agg(account || ':' || balance, ' ' ORDER BY account) FROM"
                     " account_balances WHERE program = 'st' AND account LIKE 'pool%:cash'",
                 "pool1:cash:8000.03 pool2:cash:800.01");
    expect_value(db, "SELECT sum(paid) FROM settlement_payments", "11700.00");
    /* a repeat names the settlement through that very date, else the latest */
    r = settle(db, (const char *const[]){"--period", "2024Q3", "--commit", NULL});
    cr_expect_eq(r.status, 65);
    cr_expect_str_eq(r.err, "riskshare: program st is already settled through 2024-09-30"
                            " (settlement 2): a new settlement must run through a later date\n");
    clh_free(&r);
    r = settle(db, (const char *const[]){"--through", "2024-05-01", "--commit", NULL});
    cr_expect_eq(r.status, 65);
    cr_expect_str_eq(r.err, "riskshare: program st is already settled through 2025-12-31"
                            " (settlement 5): a new settlement must run through a later date\n");
    clh_free(&r);
}

/* Funding and a default through `events import`: compensation claims from a real default. */
Test(settle_ledger, end_to_end_with_events_import)
{
    char db[1024];
    pgh_fresh_db(db, sizeof(db));
    clh_result r = clh_run(db, (const char *const[]){"policy", "load", "--quiet", POLICY_V1,
                                                     POLICY_V2, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    clh_free(&r);
    r = clh_run(db, (const char *const[]){"batch", "submit", "--quiet", "--program", "st",
                                          "--agency", "gu1", LOANS, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    clh_free(&r);
    r = clh_run(db, (const char *const[]){"events", "import", "--quiet", "--program", "st",
                                          "tests/data/settle/events.csv", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    clh_free(&r);
    /* Q1, fifo: pool1's 10,000.00 pays the fee subsidies, none of the default's 240,000.00
       (dated after them); pool2's 1,000.00 goes to the guarantor in part. */
    r = settle(db, (const char *const[]){"--period", "2024Q1", "--commit", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect_str_eq(r.out, HEADER
                     "1,L1,fee_subsidy,pool1," B1 ",2024-01-10,5000.00,5000.00,0.00\n"
                     "3,L2,fee_subsidy,pool1," B2 ",2024-02-01,3000.00,3000.00,0.00\n"
                     "2,L3,fee_subsidy,pool1," B3 ",2024-02-01,2000.00,2000.00,0.00\n"
                     "5,L2,compensation,pool1,gu1,2024-03-10,240000.00,0.00,240000.00\n"
                     "6,L2,compensation,pool2,gu1,2024-03-10,120000.00,1000.00,119000.00\n");
    clh_free(&r);
    /* Q2: the April funding pays the carried-forward compensation in part */
    r = settle(db, (const char *const[]){"--period", "2024Q2", "--commit", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect_str_eq(r.out, HEADER
                     "5,L2,compensation,pool1,gu1,2024-03-10,240000.00,200000.00,40000.00\n"
                     "6,L2,compensation,pool2,gu1,2024-03-10,119000.00,0.00,119000.00\n");
    clh_free(&r);
    /* The books agree with the claims: each pool's payable is what it still owes (L4's
       subsidy included), the guarantor's receivable what it is still owed. */
    expect_value(db, "SELECT string_agg(account || ':' || balance, ' ' ORDER BY account) FROM"
                     " account_balances WHERE program = 'st' AND account IN ('pool1:cash',"
                     " 'pool1:payable', 'pool2:cash', 'pool2:payable', 'gu1:receivable')",
                 "gu1:receivable:159000.00 pool1:cash:0.00 pool1:payable:-41000.00"
                 " pool2:cash:0.00 pool2:payable:-119000.00");
    expect_value(db, "SELECT string_agg(payer || ':' || open, ' ' ORDER BY payer) FROM"
                     " (SELECT payer, sum(open) AS open FROM claims_open GROUP BY payer) x",
                 "pool1:41000.00 pool2:119000.00");
    expect_paid_once(db, 0, 0);
}

Test(settle_ledger, payments_guarded_by_the_database)
{
    static const struct {
        const char *sql, *sqlstate, *message;
    } cases[] = {
        {"INSERT INTO settlement_payments VALUES ('st', 2, 2, 1999.99, 0, NULL)", "23514",
         "claim 2 of program st has 2000.00 open, not 1999.99"},
        {"INSERT INTO settlement_payments VALUES ('st', 2, 99, 10.00, 0, NULL)", "23503",
         "settlement 2 of program st pays claim 99, which is not recorded"},
        {"INSERT INTO settlement_payments VALUES ('st', 2, 2, 2000.00, 10.00, 1)", "23503",
         "settlement 2 of program st pays claim 2 with entry 1, which is not its payment in"
         " this settlement"},
        {"INSERT INTO settlement_payments VALUES ('st', 7, 2, 2000.00, 0, NULL)", "23503",
         "settlement 7 of program st is not recorded: it takes no payments"},
        {"INSERT INTO settlement_payments VALUES ('st', 2, 2, 2000.00, 0, NULL),"
         " ('st', 1, 4, 1000.00, 0, NULL)", "23514",
         "a statement records the payments of one settlement: this one mixes settlements 1"
         " and 2 of program st"},
        {"INSERT INTO settlement_payments VALUES ('st', 2, 2, 2000.00, 2000.01, 1)", "23514",
         NULL},
    };
    char db[1024], sql[512];
    fresh(db, sizeof(db));
    clh_result r = settle(db, (const char *const[]){"--period", "2024Q1", "--commit", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    clh_free(&r);
    PGconn *c = pgh_connect(db);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(sql, sizeof(sql), "INSERT INTO settlements (program, through_date)"
                 " VALUES ('st', '2024-12-31'); %s", cases[i].sql);
        pgh_outcome o = pgh_try(c, NULL, sql);
        cr_expect(!o.ok, "case %zu was accepted", i);
        cr_expect_str_eq(o.sqlstate, cases[i].sqlstate, "case %zu: %s", i, o.message);
        if (cases[i].message != NULL) {
            cr_expect_str_eq(o.message, cases[i].message, "case %zu", i);
        }
    }
    /* the same as settle would write it is accepted (and then rolled back here) */
    pgh_outcome ok = pgh_try(c, NULL, "INSERT INTO settlements (program, through_date) VALUES"
                                      " ('st', '2024-12-31'); INSERT INTO settlement_payments"
                                      " VALUES ('st', 2, 2, 2000.00, 0, NULL)");
    cr_expect(ok.ok, "%s", ok.message);
    PQfinish(c);
}

Test(settle_ledger, pro_rata_split_with_ties)
{
    char db[1024];
    pgh_fresh_db(db, sizeof(db));
    clh_result r = clh_run(db, (const char *const[]){"policy", "load", "--quiet", POLICY_V1,
                                                     POLICY_V2, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    clh_free(&r);
    r = clh_run(db, (const char *const[]){"batch", "submit", "--quiet", "--program", "st",
                                          "--agency", "gu1", LOANS, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    clh_free(&r);
    /* version 2 (pro_rata) applies through 2024-09-30: 5000/3000/2000/1000 from 3666.67 */
    fund(db, "pool1", 366667, 2024, 9, 1);
    r = settle(db, (const char *const[]){"--period", "2024Q3", "--commit", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    /* exact: 1666.668..., 1000.0009..., 666.667..., 333.3336...: 1666.66 + 1000.00 +
       666.66 + 333.33 = 3666.65, 2 fen to the largest remainders (L1 .8, L3 .7) */
    cr_expect_str_eq(r.out, HEADER
                     "1,L1,fee_subsidy,pool1," B1 ",2024-01-10,5000.00,1666.67,3333.33\n"
                     "3,L2,fee_subsidy,pool1," B2 ",2024-02-01,3000.00,1000.00,2000.00\n"
                     "2,L3,fee_subsidy,pool1," B3 ",2024-02-01,2000.00,666.67,1333.33\n"
                     "4,L4,fee_subsidy,pool1," B1 ",2024-08-01,1000.00,333.33,666.67\n");
    clh_free(&r);
}

Test(settle_ledger, formats_and_workbook)
{
    char db[1024], path[512];
    fresh(db, sizeof(db));
    snprintf(path, sizeof(path), "%s/statement-%d.xlsx",
             getenv("RISKSHARE_TEST_TMP") ? getenv("RISKSHARE_TEST_TMP") : "/tmp", (int)getpid());
    clh_result r = settle(db, (const char *const[]){"--period", "2024Q1", "--format", "json",
                                                    "--xlsx", path, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect(strncmp(r.out, "[\n  {\n    \"claim_id\": \"1\",\n    \"loan_id\": \"L1\"", 44) == 0,
              "%s", r.out);
    clh_free(&r);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "no workbook at %s", path);
    char magic[2] = {0, 0};
    cr_expect_eq(fread(magic, 1, 2, f), 2);
    fclose(f);
    cr_expect(magic[0] == 'P' && magic[1] == 'K', "not a zip file");
    /* the committed statement names its settlement; the sheets are there */
    r = settle(db, (const char *const[]){"--period", "2024Q1", "--commit", "--quiet", "--xlsx",
                                         path, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    clh_free(&r);
    char cmd[1400];
    snprintf(cmd, sizeof(cmd), "unzip -p '%s' xl/workbook.xml | grep -q 'pool2' && unzip -p '%s'"
             " xl/worksheets/sheet2.xml | grep -q 'Settlement: 1 '", path, path);
    cr_expect_eq(system(cmd), 0, "the workbook lacks its sheets or settlement id");
    unlink(path);
    /* an unwritable path: exit 65, nothing recorded */
    r = settle(db, (const char *const[]){"--period", "2024Q2", "--commit", "--xlsx",
                                         "/nonexistent/dir/x.xlsx", NULL});
    cr_expect_eq(r.status, 65, "%s", r.err);
    cr_expect(strstr(r.err, "cannot write /nonexistent/dir/x.xlsx") != NULL, "%s", r.err);
    clh_free(&r);
    expect_value(db, "SELECT count(*) FROM settlements", "1");
}

Test(settle_ledger, usage_and_input_errors)
{
    static const char *const usage_cases[][8] = {
        {"settle", NULL},
        {"settle", "--program", "st", NULL},
        {"settle", "--program", "st", "--through", "2024-03-31", "--period", "2024Q1", NULL},
        {"settle", "--program", "st", "--period", "2024Q5", NULL},
        {"settle", "--program", "st", "--through", "2023-02-29", NULL},
        {"settle", "--program", "st", "--through", NULL},
        {"settle", "--program", "st", "--through", "2024-03-31", "--frob", NULL},
        {"settle", "--program", "st", "--through", "2024-03-31", "extra", NULL},
    };
    for (size_t i = 0; i < sizeof(usage_cases) / sizeof(usage_cases[0]); i++) {
        clh_result r = clh_run(NULL, usage_cases[i]);
        cr_expect_eq(r.status, 2, "case %zu: exit %d: %s", i, r.status, r.err);
        clh_free(&r);
    }
    clh_result r = clh_run(NULL, (const char *const[]){"settle", "--help", NULL});
    cr_expect_eq(r.status, 0);
    cr_expect(strncmp(r.out, "usage: riskshare settle", 23) == 0, "%s", r.out);
    clh_free(&r);
    char db[1024];
    pgh_fresh_db(db, sizeof(db));
    r = clh_run(db, (const char *const[]){"settle", "--program", "nope", "--period", "2024",
                                          NULL});
    cr_expect_eq(r.status, 65, "%s", r.err);
    cr_expect_str_eq(r.err, "riskshare: program nope has no policy loaded\n");
    clh_free(&r);
}

/* Starts `riskshare settle --commit` without waiting. */
static pid_t start_settle(const char *db, const char *through)
{
    const char *bin = getenv("RISKSHARE_BIN") ? getenv("RISKSHARE_BIN") : "bin/riskshare";
    char *const argv[] = {(char *)bin, "settle", "--quiet", "--program", "st", "--through",
                          (char *)through, "--commit", NULL};
    char dbvar[1200];
    snprintf(dbvar, sizeof(dbvar), "RISKSHARE_DB=%s", db);
    char *const envp[] = {dbvar, "PATH=/usr/bin:/bin", NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 01, 0);
    pid_t pid;
    cr_assert_eq(posix_spawn(&pid, bin, &fa, NULL, argv, envp), 0);
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}

static int wait_exit(pid_t pid)
{
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

Test(settle_ledger, sigkill_during_commit_then_rerun_pays_each_claim_once, .timeout = 600)
{
    const unsigned long long seed = 20261128ULL;
    unsigned long long s = seed;
    char db[1024], path[512], cmd[1024];
    snprintf(path, sizeof(path), "%s/settle-big-%d.csv",
             getenv("RISKSHARE_TEST_TMP") ? getenv("RISKSHARE_TEST_TMP") : "/tmp", (int)getpid());
    snprintf(cmd, sizeof(cmd), "%s gen loans --count 20000 --seed 7 --policy %s > %s",
             getenv("RISKSHARE_BIN") ? getenv("RISKSHARE_BIN") : "bin/riskshare", POLICY_V1,
             path);
    cr_assert_eq(system(cmd), 0);
    for (int trial = 0; trial < 4; trial++) {
        pgh_fresh_db(db, sizeof(db));
        clh_result r = clh_run(db, (const char *const[]){"policy", "load", "--quiet", POLICY_V1,
                                                         POLICY_V2, NULL});
        cr_assert_eq(r.status, 0, "%s", r.err);
        clh_free(&r);
        r = clh_run(db, (const char *const[]){"batch", "submit", "--quiet", "--program", "st",
                                              "--agency", "gu1", path, NULL});
        cr_assert_eq(r.status, 0, "%s", r.err);
        clh_free(&r);
        /* enough for part of the claims: fifo pays many in full, one in part */
        fund(db, "pool1", 5000000000LL, 2024, 1, 1);
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        long delay_ms = 20 + (long)((s >> 33) % 700);
        pid_t pid = start_settle(db, "2024-06-30");
        struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int code = wait_exit(pid);
        char *settled = value(db, "SELECT count(*) FROM settlements");
        cr_log_info("seed %llu trial %d: killed after %ld ms (exit %d), %s", seed, trial,
                    delay_ms, code, strcmp(settled, "0") == 0 ? "nothing recorded"
                                                               : "already committed");
        if (strcmp(settled, "0") == 0) {
            expect_value(db, "SELECT (SELECT count(*) FROM settlement_payments) || ':' ||"
                             " (SELECT count(*) FROM entries WHERE kind = 'settlement_payment')",
                         "0:0");
        } else {
            /* killed after its commit: the settlement is there, all of it */
            expect_value(db, "SELECT (SELECT count(*) FROM settlement_payments) ="
                             " (SELECT count(*) FROM claims WHERE claim_date <= '2024-06-30')",
                         "t");
        }
        expect_paid_once(db, seed, trial);
        /* the rerun records it once: a settlement that was committed refuses the repeat */
        int rerun = wait_exit(start_settle(db, "2024-06-30"));
        cr_expect_eq(rerun, strcmp(settled, "0") == 0 ? 0 : 65,
                     "seed %llu trial %d (delay %ld ms, exit %d): rerun exit %d", seed, trial,
                     delay_ms, code, rerun);
        free(settled);
        expect_value(db, "SELECT count(*) FROM settlements", "1");
        expect_value(db, "SELECT (SELECT count(*) FROM settlement_payments) ="
                         " (SELECT count(*) FROM claims WHERE claim_date <= '2024-06-30')"
                         " AND (SELECT sum(paid) FROM settlement_payments) = least(50000000.00,"
                         " (SELECT sum(amount) FROM claims WHERE claim_date <= '2024-06-30'))",
                     "t");
        expect_paid_once(db, seed, trial);
    }
    unlink(path);
}
