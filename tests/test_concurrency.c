/*
 * test_concurrency.c -- goal: writers of one program that run at the same time leave
 * the ledger exactly as some serial order of them would (DESIGN 6, 7, 8), and a
 * conflict is retried before the command gives up with exit 75.
 *
 * The seeded test: four agencies submit batches to program `conc`
 * (tests/data/concurrency/conc.yaml) while finance imports events (funding that
 * raises capacity, defaults whose pool parts are capped per loan, per year and per
 * program, a recovery, a repayment) and commits a settlement -- six processes at once.
 * The data make capacity, the borrower limit and the caps bind, so the outcome
 * depends on the order the writers got the program's chain head in.  Each writer
 * leaves an entry (a batch's first loan is one nobody can crowd out), so the chain
 * gives that order; the same six commands are then replayed one after the other in
 * that order on a copy of the same starting ledger, and everything recorded (loans,
 * rejections, entries, postings, claims, payments, events) and every report must be
 * the same.  Limits and caps are checked directly too, no claim is paid twice, and
 * `audit verify` passes.  RISKSHARE_CONC_SEEDS sets the number of seeds (default 20);
 * every failure names its seed.
 *
 * The lock tests hold the program's head row (led_chain_head, as the journal locks
 * it) from a test connection while a command runs with lock_timeout=200ms: every try
 * meets 55P03, so it exits 75 with one line and records nothing; released after the
 * second try has started waiting, the command succeeds.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli_harness.h"
#include "pg_harness.h"
#include "uscc.h"

extern char **environ;

#define PROGRAM "conc"
#define POLICY "tests/data/concurrency/conc.yaml"
#define SEEDS_DEFAULT 20
#define AGENCIES 4
#define WRITERS (AGENCIES + 2)          /* the batches, the events import, the settlement */
#define LOCK_TIMEOUT " options='-c lock_timeout=200'"

#define LOAN_HEADER                                                                          \
    "loan_id,borrower_code,borrower_name,tech_status,sector,credit_grade,revenue,bank,"      \
    "guarantor,principal,annual_rate,collateral_ratio,start_date,term_months,first_loan\n"
#define EVENT_HEADER "event_id,kind,date,loan_id,party,amount,interest,cost\n"

/* ---- helpers -------------------------------------------------------------------------- */

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A 64-bit LCG: the same seed gives the same data on every machine. */
static unsigned next_rand(unsigned long long *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)(*s >> 33);
}

/* The valid unified social credit code of borrower number `n`. */
static void borrower_code(char out[19], int n)
{
    char first17[18];
    snprintf(first17, sizeof(first17), "9141010070%07d", n);
    memcpy(out, first17, 17);
    out[17] = eng_uscc_check_char(first17);
    out[18] = '\0';
}

static char *value(const char *db, const char *sql)
{
    PGconn *c = pgh_connect(db);
    char *v = pgh_value(c, NULL, sql);
    PQfinish(c);
    return v;
}

/* The first cell of `sql` on the open connection `c` ("" for NULL); the caller frees it. */
static char *cell(PGconn *c, const char *sql)
{
    PGresult *res = PQexec(c, sql);
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(c));
    cr_assert(PQntuples(res) == 1 && PQnfields(res) >= 1, "no row from: %s", sql);
    char *v = strdup(PQgetvalue(res, 0, 0));
    cr_assert_not_null(v);
    PQclear(res);
    return v;
}

static long cell_long(PGconn *c, const char *sql)
{
    char *v = cell(c, sql);
    long n = strtol(v, NULL, 10);
    free(v);
    return n;
}

static long long_value(const char *db, const char *sql)
{
    char *v = value(db, sql);
    long n = strtol(v, NULL, 10);
    free(v);
    return n;
}

/* Runs the CLI and fails the test (naming `seed`) unless it exits 0. */
static void run_ok(int seed, const char *db, const char *const *args)
{
    clh_result r = clh_run(db, args);
    cr_assert_eq(r.status, 0, "seed %d: %s %s exited %d: %s", seed, args[0], args[1], r.status,
                 r.err);
    clh_free(&r);
}

static void sql_exec(PGconn *c, const char *sql)
{
    PGresult *res = PQexec(c, sql);
    cr_assert(PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK,
              "%s: %s", sql, PQerrorMessage(c));
    PQclear(res);
}

/* `db` with dbname replaced by `name` (pgh_fresh_db writes dbname last). */
static void with_dbname(char *out, size_t n, const char *db, const char *name)
{
    const char *at = strstr(db, "dbname=");
    cr_assert_not_null(at);
    snprintf(out, n, "%.*sdbname=%s", (int)(at - db), db, name);
}

/* A copy of the database `tmpl` (its conninfo); its conninfo goes to `out`. */
static void clone_db(char *out, size_t n, const char *tmpl, const char *suffix)
{
    const char *tmpl_name = strstr(tmpl, "dbname=") + 7;
    char name[128], sql[300];
    snprintf(name, sizeof(name), "%s_%s", tmpl_name, suffix);
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s TEMPLATE %s", name, tmpl_name);
    PGconn *c = pgh_connect(getenv("RISKSHARE_TEST_DB"));
    sql_exec(c, sql);
    PQfinish(c);
    with_dbname(out, n, tmpl, name);
}

/* ---- processes run at once ------------------------------------------------------------ */

typedef struct {
    pid_t pid;
    char out[512], err[512];
} proc;

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot read %s", path);
    size_t cap = 4096, len = 0, got;
    char *buf = malloc(cap);
    cr_assert_not_null(buf);
    while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len - 1 == 0) {
            cap *= 2;
            buf = realloc(buf, cap);
            cr_assert_not_null(buf);
        }
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

/* Starts the CLI with `args` and RISKSHARE_DB=`db` without waiting; output goes to files. */
static void proc_start(proc *p, const char *db, const char *const *args)
{
    const char *bin = getenv("RISKSHARE_BIN") ? getenv("RISKSHARE_BIN") : "bin/riskshare";
    const char *tmp = getenv("RISKSHARE_TEST_TMP") ? getenv("RISKSHARE_TEST_TMP") : "/tmp";
    char *argv[16], dbvar[1200], *envp[256];
    size_t n = 0, k = 0;

    argv[n++] = (char *)bin;
    for (; args[n - 1] != NULL && n < 15; n++) {
        argv[n] = (char *)args[n - 1];
    }
    argv[n] = NULL;
    for (size_t i = 0; environ[i] != NULL && k < 254; i++) {
        if (strncmp(environ[i], "RISKSHARE_DB=", 13) != 0 && strncmp(environ[i], "PG", 2) != 0) {
            envp[k++] = environ[i];
        }
    }
    snprintf(dbvar, sizeof(dbvar), "RISKSHARE_DB=%s", db);
    envp[k++] = dbvar;
    envp[k] = NULL;
    snprintf(p->out, sizeof(p->out), "%s/rs-conc-out.XXXXXX", tmp);
    snprintf(p->err, sizeof(p->err), "%s/rs-conc-err.XXXXXX", tmp);
    int outfd = mkstemp(p->out), errfd = mkstemp(p->err);
    cr_assert(outfd >= 0 && errfd >= 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, outfd, 1);
    posix_spawn_file_actions_adddup2(&fa, errfd, 2);
    int rc = posix_spawn(&p->pid, bin, &fa, NULL, argv, envp);
    cr_assert_eq(rc, 0, "cannot run %s: %s", bin, strerror(rc));
    posix_spawn_file_actions_destroy(&fa);
    close(outfd);
    close(errfd);
}

static clh_result proc_wait(proc *p)
{
    int status = 0;
    clh_result r;
    cr_assert_eq(waitpid(p->pid, &status, 0), p->pid);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = read_all(p->out);
    r.err = read_all(p->err);
    unlink(p->out);
    unlink(p->err);
    return r;
}

/* ---- the starting ledger -------------------------------------------------------------- */

/*
 * Makes a database with the program loaded and a history: the pools funded (reserve
 * 500,100.00, so capacity is 5,001,000.00), four loans admitted (3,300,000.00, one of
 * borrower 1 whom the batches use too), one of them defaulted (the per-loan cap cuts the
 * pool's part to 300,000.00) and a settlement through 2024-03-31 that leaves claims open.
 * Writes its conninfo to `db`; returns the chain's last seq.
 */
static long starting_ledger(char *db, size_t n)
{
    char codes[5][19], path[512], text[2048];
    pgh_fresh_db(db, n);
    run_ok(0, db, (const char *const[]){"policy", "load", "--quiet", POLICY, NULL});
    clh_write_file(path, sizeof(path), "fund.csv",
                   EVENT_HEADER "F0a,funding,2024-01-10,,pool,100000,,\n"
                                "F0b,funding,2024-01-10,,reserve,500100,,\n"
                                "F0c,funding,2024-06-01,,pool,200000,,\n");
    run_ok(0, db, (const char *const[]){"events", "import", "--quiet", "--program", PROGRAM, path,
                                        NULL});
    for (int i = 0; i < 5; i++) {
        borrower_code(codes[i], i == 4 ? 1 : 900 + i);
    }
    snprintf(text, sizeof(text),
             LOAN_HEADER "S1,%s,P1,hnte,ai,A,,bk1,ag1,1000000,0.05,0,2024-01-15,12,true\n"
                         "S2,%s,P2,hnte,ai,A,,bk1,,1000000,0.05,0,2024-01-15,12,true\n"
                         "S3,%s,P3,tech_sme,ai,A,,bk2,ag1,800000,0.05,0,2024-01-15,12,true\n"
                         "S4,%s,B1,hnte,ai,A,,bk2,,500000,0.05,0,2024-01-15,12,true\n",
             codes[0], codes[1], codes[2], codes[4]);
    clh_write_file(path, sizeof(path), "setup.csv", text);
    run_ok(0, db, (const char *const[]){"batch", "submit", "--quiet", "--program", PROGRAM,
                                        "--agency", "ag1", path, NULL});
    clh_write_file(path, sizeof(path), "default.csv",
                   EVENT_HEADER "D0,default,2024-02-20,S3,,,,\n");
    run_ok(0, db, (const char *const[]){"events", "import", "--quiet", "--program", PROGRAM, path,
                                        NULL});
    run_ok(0, db, (const char *const[]){"settle", "--quiet", "--program", PROGRAM, "--through",
                                        "2024-03-31", "--commit", NULL});
    char *v = value(db, "SELECT string_agg(amount::text, ' ' ORDER BY claim_id) FROM claims"
                        " WHERE kind = 'compensation'");
    cr_assert_str_eq(v, "300000.00", "the starting ledger's default is not capped per loan");
    free(v);
    return long_value(db, "SELECT last_seq FROM programs WHERE program = 'conc'");
}

/* ---- one seed ------------------------------------------------------------------------- */

typedef struct {
    char batch[AGENCIES][512];          /* the agencies' files */
    char events[512];
    const char *args[WRITERS][12];      /* the six commands */
    char agency[AGENCIES][16];
} writers;

/*
 * Writes agency k's batch: first a loan of 10.00 to a borrower of its own (always
 * admitted: see conc.yaml), then 4..7 loans of 100,000.00..500,000.00 to borrowers
 * 1..8, some direct, one in eight not a tech enterprise.
 */
static void write_batch(char *path, size_t n, int seed, int k)
{
    unsigned long long s = (unsigned long long)seed * 7919ULL + (unsigned long long)k;
    char text[4096], code[19], name[32];
    size_t used = 0;

    borrower_code(code, 100 + k);
    used += (size_t)snprintf(text + used, sizeof(text) - used,
                             LOAN_HEADER "K%d-0,%s,A%d,hnte,ai,A,,bk1,ag%d,10,0.05,0,2024-05-01,12,"
                                         "true\n",
                             k, code, k, k);
    int loans = 4 + (int)(next_rand(&s) % 4);
    for (int i = 1; i <= loans; i++) {
        int borrower = 1 + (int)(next_rand(&s) % 8);
        int hundreds = 1 + (int)(next_rand(&s) % 5);
        int direct = next_rand(&s) % 3 == 0;
        const char *status = next_rand(&s) % 8 == 0 ? "none"
                             : next_rand(&s) % 2    ? "hnte"
                                                    : "tech_sme";
        char guarantor[16] = "";
        if (!direct) {
            snprintf(guarantor, sizeof(guarantor), "ag%d", k);
        }
        borrower_code(code, borrower);
        used += (size_t)snprintf(text + used, sizeof(text) - used,
                                 "K%d-%d,%s,B%d,%s,ai,A,,bk%d,%s,%d00000,0.05,0,2024-05-%02d,"
                                 "12,true\n",
                                 k, i, code, borrower, status, 1 + (int)(next_rand(&s) % 2),
                                 guarantor, hundreds, 1 + (int)(next_rand(&s) % 28));
        cr_assert_lt(used, sizeof(text));
    }
    snprintf(name, sizeof(name), "ag%d.csv", k);
    clh_write_file(path, n, name, text);
}

static void make_writers(writers *w, int seed)
{
    for (int k = 0; k < AGENCIES; k++) {
        write_batch(w->batch[k], sizeof(w->batch[k]), seed, k + 1);
        snprintf(w->agency[k], sizeof(w->agency[k]), "ag%d", k + 1);
        const char *a[] = {"batch", "submit", "--quiet", "--program", PROGRAM, "--agency",
                           w->agency[k], w->batch[k], NULL};
        memcpy(w->args[k], a, sizeof(a));
    }
    clh_write_file(w->events, sizeof(w->events), "events.csv",
                   EVENT_HEADER "C-F1,funding,2024-07-01,,reserve,100000,,\n"
                                "C-F2,funding,2024-07-01,,pool,50000,,\n"
                                "C-D1,default,2024-07-10,S1,,,,\n"
                                "C-D2,default,2024-07-11,S2,,,,\n"
                                "C-R1,recovery,2024-07-15,S3,,100000,,5000\n"
                                "C-P1,repayment,2024-07-20,S4,,200000,1000,\n");
    const char *e[] = {"events", "import", "--quiet", "--program", PROGRAM, w->events, NULL};
    memcpy(w->args[AGENCIES], e, sizeof(e));
    const char *st[] = {"settle", "--quiet", "--program", PROGRAM, "--through", "2024-12-31",
                        "--commit", NULL};
    memcpy(w->args[AGENCIES + 1], st, sizeof(st));
}

/* Which writer a token of the recorded order names: an agency, events or settle. */
static int writer_of(const writers *w, const char *token)
{
    for (int k = 0; k < AGENCIES; k++) {
        if (strcmp(token, w->agency[k]) == 0) {
            return k;
        }
    }
    return strcmp(token, "events") == 0 ? AGENCIES : strcmp(token, "settle") == 0 ? AGENCIES + 1
                                                                                 : -1;
}

/*
 * The order the writers got the chain head in, from the first entry each recorded
 * after `base_seq`, as writer indexes; checks the batch ids agree with it.
 */
static void recorded_order(int order[WRITERS], const writers *w, PGconn *db, long base_seq,
                           int seed)
{
    char sql[1200];
    snprintf(sql, sizeof(sql),
             "SELECT string_agg(tag, ' ' ORDER BY first) FROM ("
             " SELECT b.agency AS tag, min(e.seq) AS first FROM entries e JOIN batches b"
             "  ON b.program = e.program AND b.batch_id = e.batch_id WHERE e.seq > %ld"
             "  GROUP BY b.agency"
             " UNION ALL SELECT 'events', min(seq) FROM entries WHERE seq > %ld"
             "  AND event_id LIKE 'C-%%'"
             " UNION ALL SELECT 'settle', min(seq) FROM entries WHERE seq > %ld"
             "  AND settlement_id IS NOT NULL) x",
             base_seq, base_seq, base_seq);
    char *v = cell(db, sql);
    char *batches = cell(db, "SELECT string_agg(agency, ' ' ORDER BY batch_id) FROM batches"
                              " WHERE batch_id > 1");
    char from_chain[128] = "";
    int n = 0;
    for (char *t = v; t != NULL && *t != '\0';) {
        char *space = strchr(t, ' ');
        if (space != NULL) {
            *space = '\0';
        }
        cr_assert_lt(n, WRITERS, "seed %d: more writers than expected", seed);
        order[n] = writer_of(w, t);
        cr_assert_geq(order[n], 0, "seed %d: unknown writer %s", seed, t);
        if (order[n] < AGENCIES) {
            size_t len = strlen(from_chain);
            snprintf(from_chain + len, sizeof(from_chain) - len, "%s%s", len ? " " : "", t);
        }
        n++;
        t = space != NULL ? space + 1 : NULL;
    }
    cr_assert_eq(n, WRITERS, "seed %d: %d writers left an entry, not %d", seed, n, WRITERS);
    cr_assert_str_eq(from_chain, batches, "seed %d: batch ids and the chain disagree", seed);
    free(v);
    free(batches);
}

/* What the ledger recorded, table by table, without times and hashes. */
static const char *const dumps[] = {
    "SELECT string_agg(format('%s:%s:%s', batch_id, agency, file_sha256), ' ' ORDER BY batch_id)"
    " FROM batches",
    "SELECT string_agg(format('%s:%s:%s:%s:%s:%s:%s', batch_id, line_no, loan_id, terms_rule,"
    " principal, guarantee_fee, fee_subsidy), ' ' ORDER BY batch_id, line_no) FROM loans",
    "SELECT string_agg(format('%s:%s:%s:%s', batch_id, line_no, loan_id, reasons), ' '"
    " ORDER BY batch_id, line_no) FROM batch_rejections",
    "SELECT string_agg(format('%s:%s:%s:%s:%s:%s:%s:%s', seq, kind, loan_id, event_id, batch_id,"
    " settlement_id, business_date, rule_ids), ' ' ORDER BY seq) FROM entries",
    "SELECT string_agg(format('%s.%s:%s:%s:%s', seq, leg, account, side, amount), ' '"
    " ORDER BY seq, leg) FROM postings",
    "SELECT string_agg(format('%s:%s:%s:%s:%s:%s:%s', claim_id, kind, loan_id, payer, payee,"
    " claim_date, amount), ' ' ORDER BY claim_id) FROM claims",
    "SELECT string_agg(format('%s:%s:%s:%s', settlement_id, claim_id, open_before, paid), ' '"
    " ORDER BY settlement_id, claim_id) FROM settlement_payments",
    "SELECT string_agg(format('%s:%s:%s', event_no, event_id, outcome), ' ' ORDER BY event_no)"
    " FROM events",
    "SELECT format('%s:%s:%s:%s:%s', last_seq, last_event_no, last_batch_id, last_claim_id,"
    " last_settlement_id) FROM programs",
};

/* The limits and caps hold, and no claim is paid twice or beyond its amount. */
static void expect_invariants(PGconn *db, int seed)
{
    char *v = cell(db,
                    "SELECT (SELECT coalesce(max(s), 0) <= 1000000 FROM (SELECT sum(outstanding) s"
                    "  FROM loan_state GROUP BY borrower_code) x)"
                    " || ':' || ((SELECT sum(outstanding) FROM loan_state) <= 10 * (SELECT"
                    "  sum(CASE side WHEN 'debit' THEN amount ELSE -amount END) FROM postings"
                    "  WHERE account = 'reserve:cash'))"
                    " || ':' || (SELECT max(amount) <= 300000 AND sum(amount) <= 700000 AND"
                    "  sum(amount) <= 0.1 * (SELECT sum(principal) FROM loans) FROM claims"
                    "  WHERE kind = 'compensation' AND payer = 'pool')"
                    " || ':' || (SELECT sum(CASE side WHEN 'debit' THEN amount ELSE -amount END)"
                    "  >= 0 FROM postings WHERE account = 'pool:cash')");
    cr_expect_str_eq(v, "true:true:true:true",
                     "seed %d: borrower limit : capacity : pool caps : pool cash", seed);
    free(v);
    v = cell(db, "SELECT count(*) FILTER (WHERE paid > amount OR open < 0) || ':' ||"
                  " (SELECT count(*) FROM (SELECT claim_id FROM settlement_payments"
                  " GROUP BY settlement_id, claim_id HAVING count(*) > 1) x) || ':' ||"
                  " ((SELECT count(*) FROM entries WHERE kind = 'settlement_payment') -"
                  " (SELECT count(*) FROM settlement_payments WHERE paid > 0))"
                  " FROM claims_open");
    cr_expect_str_eq(v, "0:0:0", "seed %d: a claim paid twice or beyond its amount", seed);
    free(v);
}

/* What the seeds saw, to check the data made the limits bind. */
typedef struct {
    long capacity, borrower_limit, program_cap, orders_with_events_first;
} binding;

static void count_binding(binding *b, PGconn *db, const int order[WRITERS])
{
    b->capacity += cell_long(db, "SELECT count(*) FROM batch_rejections WHERE batch_id > 1"
                                  " AND reasons LIKE '%capacity%'");
    b->borrower_limit += cell_long(db, "SELECT count(*) FROM batch_rejections WHERE batch_id > 1"
                                        " AND reasons LIKE '%borrower-limit%'");
    /* C-D1's pool part below the per-loan cap: the program cap (or the year cap) cut it */
    b->program_cap += cell_long(db, "SELECT count(*) FROM claims WHERE kind = 'compensation'"
                                     " AND loan_id = 'S1' AND amount < 300000");
    b->orders_with_events_first += order[0] == AGENCIES;
}

static void run_seed(int seed, const char *tmpl, long base_seq, binding *b)
{
    char conc[1024], serial[1024], suffix[32];
    writers w;
    proc p[WRITERS];
    clh_result out[WRITERS];
    int order[WRITERS], start[WRITERS];
    unsigned long long s = (unsigned long long)seed;

    make_writers(&w, seed);
    snprintf(suffix, sizeof(suffix), "c%d", seed);
    clone_db(conc, sizeof(conc), tmpl, suffix);
    snprintf(suffix, sizeof(suffix), "s%d", seed);
    clone_db(serial, sizeof(serial), tmpl, suffix);

    /* all six at once, started in a seeded order with seeded gaps of 0..15 ms */
    for (int i = 0; i < WRITERS; i++) {
        start[i] = i;
    }
    for (int i = WRITERS - 1; i > 0; i--) {
        int j = (int)(next_rand(&s) % (unsigned)(i + 1)), t = start[i];
        start[i] = start[j];
        start[j] = t;
    }
    for (int i = 0; i < WRITERS; i++) {
        proc_start(&p[start[i]], conc, w.args[start[i]]);
        sleep_ms(next_rand(&s) % 16);
    }
    for (int i = 0; i < WRITERS; i++) {
        out[i] = proc_wait(&p[i]);
    }
    for (int i = 0; i < WRITERS; i++) {
        cr_assert_eq(out[i].status, 0, "seed %d: %s %s exited %d: %s", seed, w.args[i][0],
                     w.args[i][1], out[i].status, out[i].err);
        cr_expect_str_eq(out[i].err, "", "seed %d: %s %s", seed, w.args[i][0], w.args[i][1]);
    }

    /* the same commands one after the other, in the order the chain recorded */
    PGconn *cc = pgh_connect(conc), *sc = pgh_connect(serial);
    recorded_order(order, &w, cc, base_seq, seed);
    for (int i = 0; i < WRITERS; i++) {
        int k = order[i];
        clh_result r = clh_run(serial, w.args[k]);
        cr_assert_eq(r.status, 0, "seed %d: serial %s %s exited %d: %s", seed, w.args[k][0],
                     w.args[k][1], r.status, r.err);
        cr_expect_str_eq(r.out, out[k].out, "seed %d: %s %s reports differently run serially",
                         seed, w.args[k][0], w.args[k][1]);
        clh_free(&r);
    }
    for (size_t d = 0; d < sizeof(dumps) / sizeof(dumps[0]); d++) {
        char *a = cell(cc, dumps[d]), *z = cell(sc, dumps[d]);
        cr_expect_str_eq(a, z, "seed %d: concurrent and serial ledgers differ: %s", seed, dumps[d]);
        free(a);
        free(z);
    }
    expect_invariants(cc, seed);
    clh_result r = clh_run(conc, (const char *const[]){"audit", "verify", "--program", PROGRAM,
                                                       NULL});
    cr_expect_eq(r.status, 0, "seed %d: audit verify exited %d: %s", seed, r.status, r.err);
    clh_free(&r);
    count_binding(b, cc, order);
    PQfinish(cc);
    PQfinish(sc);
    for (int i = 0; i < WRITERS; i++) {
        clh_free(&out[i]);
    }
}

static int seed_count(void)
{
    const char *text = getenv("RISKSHARE_CONC_SEEDS");
    long n = text != NULL && text[0] != '\0' ? strtol(text, NULL, 10) : SEEDS_DEFAULT;
    return n > 0 && n <= 10000 ? (int)n : SEEDS_DEFAULT;
}

/*
 * Runs the seeds of block `block` (seed % 2 == block) of 1..RISKSHARE_CONC_SEEDS on
 * copies of one starting ledger; two blocks, so Criterion's two workers share them.
 */
static void run_block(int block)
{
    char tmpl[1024];
    binding b = {0, 0, 0, 0};
    long base_seq = starting_ledger(tmpl, sizeof(tmpl));
    int seeds = seed_count(), ran = 0;
    long t0 = now_ms();

    for (int seed = 1; seed <= seeds; seed++) {
        if (seed % 2 == block) {
            run_seed(seed, tmpl, base_seq, &b);
            ran++;
        }
    }
    cr_log_info("concurrency block %d: %d seeds in %ld ms; rejected for capacity %ld, for the"
                " borrower limit %ld; C-D1's pool part cut below the per-loan cap %ld times;"
                " the events import first %ld times",
                block, ran, now_ms() - t0, b.capacity, b.borrower_limit, b.program_cap,
                b.orders_with_events_first);
    if (ran >= SEEDS_DEFAULT / 2) {
        cr_expect_gt(b.capacity, 0, "block %d: no loan rejected for capacity", block);
        cr_expect_gt(b.borrower_limit, 0, "block %d: no loan hit the borrower limit", block);
        cr_expect_gt(b.program_cap, 0, "block %d: the program cap never bound", block);
    }
}

Test(concurrency, writers_at_once_equal_a_serial_order_odd_seeds)
{
    run_block(1);
}

Test(concurrency, writers_at_once_equal_a_serial_order_even_seeds)
{
    run_block(0);
}

/* ---- conflicts: exit 75 ---------------------------------------------------------------- */

/* Locks the program's chain head from a connection of the test, as the journal does. */
static PGconn *hold_head(const char *db)
{
    PGconn *c = pgh_connect(db);
    sql_exec(c, "BEGIN");
    sql_exec(c, "SELECT last_seq FROM led_chain_head('conc')");
    return c;
}

static char *ledger_state(const char *db)
{
    return value(db, "SELECT format('%s:%s:%s:%s:%s', (SELECT count(*) FROM entries),"
                     " (SELECT count(*) FROM batches), (SELECT count(*) FROM events),"
                     " (SELECT count(*) FROM settlements), (SELECT count(*) FROM loans))");
}

static size_t count_lines(const char *text)
{
    size_t n = 0;
    for (; *text != '\0'; text++) {
        n += *text == '\n';
    }
    return n;
}

Test(concurrency, held_head_lock_exits_75_after_retries_and_records_nothing)
{
    char db[1024], slow[1200], batch[512];
    starting_ledger(db, sizeof(db));
    snprintf(slow, sizeof(slow), "%s%s", db, LOCK_TIMEOUT);
    writers w;
    make_writers(&w, 1);
    snprintf(batch, sizeof(batch), "%s", w.batch[0]);
    char *before = ledger_state(db);
    PGconn *holder = hold_head(db);

    for (int i = 0; i < 3; i++) {
        const char *const *args = w.args[i == 0 ? 0 : AGENCIES + i - 1];
        long t0 = now_ms();
        clh_result r = clh_run(slow, args);
        long took = now_ms() - t0;
        cr_expect_eq(r.status, 75, "%s %s exited %d: %s", args[0], args[1], r.status, r.err);
        cr_expect_str_eq(r.out, "", "%s %s", args[0], args[1]);
        cr_expect_eq(count_lines(r.err), 1, "%s %s: %s", args[0], args[1], r.err);
        cr_expect(strstr(r.err, "conflict with another writer") != NULL &&
                      strstr(r.err, "tried 5 times, nothing recorded") != NULL &&
                      strstr(r.err, "lock timeout") != NULL,
                  "%s %s: %s", args[0], args[1], r.err);
        /* five tries of 200 ms each, and the pauses between them */
        cr_expect_geq(took, 5 * 200 + 50 + 100 + 200 + 400, "%s %s took %ld ms", args[0], args[1],
                      took);
        clh_free(&r);
    }
    char *after = ledger_state(db);
    cr_expect_str_eq(after, before, "a command that gave up recorded something");
    free(after);
    free(before);
    sql_exec(holder, "ROLLBACK");
    PQfinish(holder);
}

Test(concurrency, lock_released_before_retries_run_out_lets_the_command_succeed)
{
    char db[1024], slow[1200];
    starting_ledger(db, sizeof(db));
    snprintf(slow, sizeof(slow), "%s%s", db, LOCK_TIMEOUT);
    writers w;
    make_writers(&w, 1);
    PGconn *holder = hold_head(db);
    PGconn *watch = pgh_connect(db);
    proc p;
    proc_start(&p, slow, w.args[0]);

    /* Each try connects afresh: two backends seen waiting for the lock = a retry began. */
    int pids[2] = {0, 0};
    long t0 = now_ms();
    while (pids[1] == 0 && now_ms() - t0 < 20000) {
        PGresult *res = PQexec(watch, "SELECT pid FROM pg_stat_activity WHERE datname ="
                                      " current_database() AND wait_event_type = 'Lock'");
        cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s", PQerrorMessage(watch));
        for (int i = 0; i < PQntuples(res); i++) {
            int pid = (int)strtol(PQgetvalue(res, i, 0), NULL, 10);
            if (pids[0] == 0) {
                pids[0] = pid;
            } else if (pid != pids[0]) {
                pids[1] = pid;
            }
        }
        PQclear(res);
        sleep_ms(5);
    }
    cr_expect_neq(pids[1], 0, "no second try waited for the lock within 20 s");
    sql_exec(holder, "ROLLBACK");
    PQfinish(holder);
    PQfinish(watch);
    clh_result r = proc_wait(&p);
    cr_assert_eq(r.status, 0, "exited %d: %s", r.status, r.err);
    cr_expect_str_eq(r.err, "");
    cr_expect(strstr(r.out, "K1-0,admitted,,guaranteed,0.10,0.05\n") != NULL, "%s", r.out);
    clh_free(&r);
    char *v = value(db, "SELECT count(*) FROM batches WHERE agency = 'ag1' AND batch_id > 1");
    cr_expect_str_eq(v, "1");
    free(v);
}
