/*
 * test_crash.c -- goal: a ledger command killed, or cut off from its server, at any moment
 * leaves all of its work or none of it (DESIGN 7 "Atomic"), the hash chain still verifies,
 * and running the same command again ends exactly where an uninterrupted run ends
 * (issue 7, item 2: crash and fault injection against a real server).
 *
 * The data: tests/data/crash/crash.yaml (fee subsidies at admission, interest subsidies,
 * four-party defaults with a capped pool, recoveries, a pro_rata settlement of a short
 * pool), 1,000 loans from `gen loans` and a year and a half of their events from
 * `gen events`, made in each test's scratch folder (the generator prints the same bytes
 * for the same arguments).
 *
 * 1. SIGKILL (suite `crash`, one test per command): `batch submit`, `events import` and
 *    `settle --commit` are each killed at seeded random moments spread over the command's
 *    life (0 up to the wall time of one uninterrupted run, measured first), on a copy of
 *    one prepared database per trial (CREATE DATABASE ... TEMPLATE).  After each kill,
 *    once the server has ended the killed session: `audit verify` exits 0; the ledger is
 *    exactly the state before the command or exactly the state an uninterrupted run leaves
 *    (row counts, counters and `audit balances --format csv`); then the same command again
 *    prints what the uninterrupted run printed (a repeated batch or import prints the rows
 *    recorded before; a repeated settlement is refused with exit 65 and the settlement's
 *    id), leaves the same balances, and pays no claim twice.
 *    RISKSHARE_CRASH_TRIALS (default 20) trials per command; RISKSHARE_CRASH_SEED (default
 *    20261128) seeds the moments; every failure names the seed and the trial.
 * 2. The server stopped (test `server_stopped_mid_command`): a private local cluster
 *    (RISKSHARE_HOME set to a fresh folder beside tests/run.sh's home, RISKSHARE_DB unset,
 *    so riskshare initialises and starts its own) is stopped while each command runs:
 *    once with an immediate shutdown (SIGQUIT to the postmaster, what `pg_ctl stop -m
 *    immediate` sends) while the command waits, in the middle of its transaction, on a
 *    lock this test holds on `postings` (it has written its batch, loans or events and
 *    entries by then); once with a fast shutdown (SIGINT, what `riskshare db stop` and
 *    `pg_ctl stop -m fast` send) at a seeded moment after the command's transaction has
 *    taken its first lock.  A command cut off exits 69 with one line on stderr and
 *    records nothing; the next riskshare command starts the stopped cluster by itself
 *    (DESIGN 8: "starts on first use"); the rerun equals an uninterrupted run on the
 *    shared test server.  The cluster is stopped at the end even when the test fails
 *    (.fini; tests/run.sh also stops every $tmp/home* cluster it finds).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli_harness.h"
#include "pg_harness.h"

extern char **environ;

#define POLICY "tests/data/crash/crash.yaml"
#define PROGRAM "crash"
#define AGENCY "crash-g"
#define THROUGH "2026-06-30"
#define SEED_DEFAULT 20261128ULL
#define TRIALS_DEFAULT 20u
/* How long the test waits for a session to end, a server to stop or a command to start. */
#define WAIT_MS_MAX 30000
#define CONNINFO_MAX 1024
#define PATH_MAX_ 600

typedef enum { STAGE_BATCH, STAGE_EVENTS, STAGE_SETTLE } stage;

static const char *const stage_names[] = {"batch submit", "events import", "settle --commit"};

/* The generated inputs of one test, in its own scratch folder. */
typedef struct {
    char dir[512];
    char loans[PATH_MAX_], report[PATH_MAX_], events[PATH_MAX_];
    char out[PATH_MAX_], err[PATH_MAX_];     /* a spawned command's stdout and stderr */
} files;

/* ---- settings, time, randomness ------------------------------------------------------ */

static unsigned long long env_u64(const char *name, unsigned long long dflt)
{
    const char *v = getenv(name);
    char *end = NULL;
    if (v == NULL || *v == '\0') {
        return dflt;
    }
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    cr_assert(errno == 0 && *end == '\0' && v[0] != '-', "%s=%s is not a number", name, v);
    return x;
}

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static void sleep_us(long long us)
{
    struct timespec ts = {(time_t)(us / 1000000LL), (long)(us % 1000000LL) * 1000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* splitmix64 of (seed, salt, trial): a fraction in [0, 1) that depends on nothing else, so
   one trial replays with its seed whatever the trial count. */
static double fraction(unsigned long long seed, unsigned long long salt, unsigned trial)
{
    uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (salt * 1000003ULL + trial + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

/* ---- running riskshare ----------------------------------------------------------------- */

/*
 * Starts $RISKSHARE_BIN with `args` (NULL-terminated), stdout to `out` and stderr to `err`
 * (truncated), RISKSHARE_DB set to `db` or unset, no PG* variables, without waiting.
 */
static pid_t start(const char *db, const char *const *args, const char *out, const char *err)
{
    const char *bin = getenv("RISKSHARE_BIN") ? getenv("RISKSHARE_BIN") : "bin/riskshare";
    char *argv[32];
    char dbvar[CONNINFO_MAX + 16];
    size_t n = 0, k = 0;
    argv[n++] = (char *)bin;
    while (args[n - 1] != NULL && n < 31) {
        argv[n] = (char *)args[n - 1];
        n++;
    }
    argv[n] = NULL;
    while (environ[k] != NULL) {
        k++;
    }
    char **env = calloc(k + 2, sizeof(char *));
    cr_assert_not_null(env);
    size_t m = 0;
    for (size_t i = 0; i < k; i++) {
        if (strncmp(environ[i], "RISKSHARE_DB=", 13) != 0 && strncmp(environ[i], "PG", 2) != 0) {
            env[m++] = environ[i];
        }
    }
    if (db != NULL) {
        snprintf(dbvar, sizeof(dbvar), "RISKSHARE_DB=%s", db);
        env[m++] = dbvar;
    }
    env[m] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid;
    int rc = posix_spawn(&pid, bin, &fa, NULL, argv, env);
    cr_assert_eq(rc, 0, "cannot run %s: %s", bin, strerror(rc));
    posix_spawn_file_actions_destroy(&fa);
    free(env);
    return pid;
}

/* Waits for `pid`: its exit code, or 128 + the signal that ended it. */
static int finish(pid_t pid)
{
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Runs riskshare with stdout to `out` (a file), failing the test unless it exits 0. */
static void run_to_file(const files *f, const char *const *args, const char *out)
{
    int code = finish(start(NULL, args, out, f->err));
    if (code != 0) {
        char *e = clh_slurp(f->err);
        cr_assert_fail("riskshare %s %s exited %d: %s", args[0], args[1], code, e);
    }
}

static void make_files(files *f)
{
    const char *tmp = getenv("RISKSHARE_TEST_TMP");
    snprintf(f->dir, sizeof(f->dir), "%s/crash.XXXXXX", tmp != NULL ? tmp : "/tmp");
    cr_assert_not_null(mkdtemp(f->dir), "cannot make %s", f->dir);
    snprintf(f->loans, sizeof(f->loans), "%s/loans.csv", f->dir);
    snprintf(f->report, sizeof(f->report), "%s/admitted.csv", f->dir);
    snprintf(f->events, sizeof(f->events), "%s/events.csv", f->dir);
    snprintf(f->out, sizeof(f->out), "%s/cmd.out", f->dir);
    snprintf(f->err, sizeof(f->err), "%s/cmd.err", f->dir);
    run_to_file(f, (const char *const[]){"gen", "loans", "--count", "1000", "--seed", "7",
                                         "--policy", POLICY, NULL}, f->loans);
    /* Which loans are admitted on an empty program, offline: what `gen events` needs. */
    run_to_file(f, (const char *const[]){"batch", "check", "--format", "csv", "--program",
                                         PROGRAM, "--agency", AGENCY, "--policy", POLICY,
                                         f->loans, NULL}, f->report);
    /* 30,000,000.00 into the pool: short of the claims, so the settlement is pro rata. */
    run_to_file(f, (const char *const[]){"gen", "events", "--loans", f->loans, "--admitted",
                                         f->report, "--seed", "7", "--funding", "30000000",
                                         "--pool", "crash-pool", "--from", "2025-03-01",
                                         "--to", THROUGH, "--default-rate", "6%",
                                         "--repay-rate", "40%", "--recovery-rate", "50%", NULL},
                f->events);
}

/* The command of stage `st`, its arguments in `argv` (at least 12 slots). */
static const char *const *command(const char **argv, stage st, const files *f)
{
    static const char *const batch[] = {"batch", "submit", "--format", "csv", "--program",
                                        PROGRAM, "--agency", AGENCY, NULL};
    static const char *const events[] = {"events", "import", "--format", "csv", "--program",
                                         PROGRAM, NULL};
    static const char *const settle[] = {"settle", "--format", "csv", "--program", PROGRAM,
                                         "--through", THROUGH, "--commit", NULL};
    const char *const *src = st == STAGE_BATCH ? batch : st == STAGE_EVENTS ? events : settle;
    size_t n = 0;
    for (; src[n] != NULL; n++) {
        argv[n] = src[n];
    }
    if (st != STAGE_SETTLE) {
        argv[n++] = st == STAGE_BATCH ? f->loans : f->events;
    }
    argv[n] = NULL;
    return argv;
}

/* ---- databases --------------------------------------------------------------------------- */

/* Waits until no session but ours is connected to `db`'s database. */
static void wait_idle(const char *db, const char *why)
{
    PGconn *c = pgh_connect(db);
    long long deadline = now_us() + WAIT_MS_MAX * 1000LL;
    for (;;) {
        PGresult *res = PQexec(c, "SELECT count(*) FROM pg_stat_activity WHERE datname ="
                                  " current_database() AND pid <> pg_backend_pid() AND"
                                  " backend_type = 'client backend'");
        cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
        int busy = strcmp(PQgetvalue(res, 0, 0), "0") != 0;
        PQclear(res);
        if (!busy) {
            break;
        }
        cr_assert(now_us() < deadline, "%s: a session of the database did not end", why);
        sleep_us(2000);
    }
    PQfinish(c);
}

/* The database name at the end of a pgh_fresh_db() connection string ("... dbname=X"). */
static const char *dbname_of(const char *db)
{
    const char *p = strstr(db, "dbname=");
    cr_assert_not_null(p, "no dbname in %s", db);
    return p + 7;
}

/* A copy of the database `from` (nobody may be connected to it) into `out`. */
static void clone_db(char *out, const char *from)
{
    static unsigned counter;
    const char *base = getenv("RISKSHARE_TEST_DB");
    char name[64], sql[256];
    snprintf(name, sizeof(name), "crash_%ld_%u", (long)getpid(), counter++);
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s TEMPLATE %s", name, dbname_of(from));
    PGconn *c = pgh_connect(base);
    PGresult *res = PQexec(c, sql);
    cr_assert_eq(PQresultStatus(res), PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(c));
    PQclear(res);
    PQfinish(c);
    snprintf(out, CONNINFO_MAX, "%.*s%s", (int)(dbname_of(from) - from), from, name);
}

static void drop_db(const char *db)
{
    char sql[256];
    snprintf(sql, sizeof(sql), "DROP DATABASE %s WITH (FORCE)", dbname_of(db));
    PGconn *c = pgh_connect(getenv("RISKSHARE_TEST_DB"));
    PGresult *res = PQexec(c, sql);
    cr_assert_eq(PQresultStatus(res), PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(c));
    PQclear(res);
    PQfinish(c);
}

/*
 * What the three commands write, as one line: row counts and the program's counters;
 * every account's debit and credit (what `audit balances` prints, straight from the view);
 * and the settlements' health: claims paid beyond their amount or open below 0, claims
 * paid twice in one settlement, payment entries less paid claims (each 0), settlements.
 */
#define STATE_SQL                                                                                  \
    "SELECT 'batches=' || (SELECT count(*) FROM batches) || ' loans=' || (SELECT count(*)"         \
    " FROM loans) || ' rejections=' || (SELECT count(*) FROM batch_rejections) || ' events='"      \
    " || (SELECT count(*) FROM events) || ' defaults=' || (SELECT count(*) FROM defaults) ||"      \
    " ' parts=' || (SELECT count(*) FROM default_parts) || ' entries=' || (SELECT count(*)"        \
    " FROM entries) || ' postings=' || (SELECT count(*) FROM postings) || ' claims=' ||"           \
    " (SELECT count(*) FROM claims) || ' settlements=' || (SELECT count(*) FROM settlements)"      \
    " || ' payments=' || (SELECT count(*) FROM settlement_payments) || ' paid=' || (SELECT"        \
    " coalesce(sum(paid), 0) FROM settlement_payments) || ' head=' || last_seq || '/' ||"          \
    " last_event_no || '/' || last_batch_id || '/' || last_claim_id || '/' ||"                     \
    " last_settlement_id || ' | balances ' || (SELECT coalesce(string_agg(account || '=' ||"       \
    " debit || '/' || credit, ' ' ORDER BY account), '') FROM account_balances WHERE program ="    \
    " '" PROGRAM "') || ' | paid-once ' || (SELECT count(*) FILTER (WHERE paid > amount OR open"   \
    " < 0) || ':' || (SELECT count(*) FROM (SELECT claim_id FROM settlement_payments GROUP BY"     \
    " settlement_id, claim_id HAVING count(*) > 1) x) || ':' || (SELECT count(*) FROM entries"     \
    " WHERE kind = 'settlement_payment') - (SELECT count(*) FROM settlement_payments WHERE paid"   \
    " > 0) FROM claims_open) FROM programs WHERE program = '" PROGRAM "'"

/* The end of a state with no claim paid twice or beyond its amount. */
#define HEALTHY " | paid-once 0:0:0"

static char *state_of(PGconn *c)
{
    return pgh_value(c, NULL, STATE_SQL);
}

/* `audit balances --program crash --format csv`, failing the test unless it exits 0. */
static char *balances(const char *db)
{
    clh_result r = clh_run(db, (const char *const[]){"audit", "balances", "--program", PROGRAM,
                                                     "--format", "csv", NULL});
    cr_assert_eq(r.status, 0, "audit balances exited %d: %s", r.status, r.err);
    free(r.err);
    return r.out;
}

/* The state of the ledger before the command of `st`, in a fresh database `db`. */
static void stage_db(char *db, stage st, const files *f)
{
    const char *argv[16];
    pgh_fresh_db(db, CONNINFO_MAX);
    clh_result r = clh_run(db, (const char *const[]){"policy", "load", "--quiet", POLICY, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    clh_free(&r);
    for (stage s = STAGE_BATCH; s < st; s++) {
        r = clh_run(db, command(argv, s, f));
        cr_assert_eq(r.status, 0, "%s: %s", stage_names[s], r.err);
        clh_free(&r);
    }
}

/* ---- 1. SIGKILL at seeded moments ------------------------------------------------------- */

/* What an uninterrupted run of a command does, from the state before it. */
typedef struct {
    char *pre, *pre_bal;            /* the ledger before the command: state_of(), balances() */
    char *post, *post_bal;          /* after an uninterrupted run */
    char *out, *err;                /* what that run printed */
    long long run_us;               /* its wall time */
} reference;

static void reference_free(reference *ref)
{
    free(ref->pre);
    free(ref->pre_bal);
    free(ref->post);
    free(ref->post_bal);
    free(ref->out);
    free(ref->err);
}

/* The rows after each command, from the generated data: 1,000 loans, 925 admitted (631
   guaranteed, each with a fee subsidy claim); 834 events with 56 defaults (compensation and
   interest subsidy claims); a settlement of all 740 claims from 36,309,536.12 of cash (the
   funding and the recoveries), short of the 55,629,188.64 open: pro rata. */
static const char *const post_rows[] = {
    "batches=1 loans=925 rejections=75 events=0 defaults=0 parts=0 entries=1262 postings=2524"
    " claims=631 settlements=0 payments=0 paid=0 head=1262/0/1/631/0 | ",
    "batches=1 loans=925 rejections=75 events=834 defaults=56 parts=186 entries=1539"
    " postings=3512 claims=740 settlements=0 payments=0 paid=0 head=1539/834/1/740/0 | ",
    "batches=1 loans=925 rejections=75 events=834 defaults=56 parts=186 entries=2279"
    " postings=5104 claims=740 settlements=1 payments=740 paid=36309536.12"
    " head=2279/834/1/740/1 | ",
};

/* Runs the command of `st` once, uninterrupted, on a copy of `tmpl`. */
static void make_reference(reference *ref, const char *tmpl, stage st, const files *f)
{
    char db[CONNINFO_MAX];
    const char *argv[16];
    PGconn *c = pgh_connect(tmpl);
    ref->pre = state_of(c);
    PQfinish(c);
    ref->pre_bal = balances(tmpl);
    wait_idle(tmpl, "the template");
    clone_db(db, tmpl);
    long long t0 = now_us();
    int code = finish(start(db, command(argv, st, f), f->out, f->err));
    ref->run_us = now_us() - t0;
    ref->out = clh_slurp(f->out);
    ref->err = clh_slurp(f->err);
    cr_assert_eq(code, 0, "the uninterrupted %s exited %d: %s", stage_names[st], code, ref->err);
    c = pgh_connect(db);
    ref->post = state_of(c);
    PQfinish(c);
    ref->post_bal = balances(db);
    size_t n = strlen(ref->post);
    cr_assert(strncmp(ref->post, post_rows[st], strlen(post_rows[st])) == 0
              && n > sizeof(HEALTHY) && strcmp(ref->post + n - (sizeof(HEALTHY) - 1), HEALTHY) == 0,
              "%s: the uninterrupted run left %s", stage_names[st], ref->post);
    cr_assert_str_neq(ref->post, ref->pre);
    wait_idle(db, "the reference");
    drop_db(db);
}

/* Checks what the rerun of a killed command printed, given whether the kill came after
   its commit. */
static void check_rerun(const reference *ref, stage st, const clh_result *r, int committed,
                        const char *tag)
{
    if (st == STAGE_SETTLE && committed) {
        cr_assert_eq(r->status, 65, "%s: the repeated settlement exited %d: %s", tag, r->status,
                     r->err);
        cr_assert_str_eq(r->out, "", "%s", tag);
        cr_assert_str_eq(r->err, "riskshare: program " PROGRAM " is already settled through "
                                 THROUGH " (settlement 1): a new settlement must run through a"
                                 " later date\n", "%s", tag);
        return;
    }
    cr_assert_eq(r->status, 0, "%s: the rerun exited %d: %s", tag, r->status, r->err);
    cr_assert_str_eq(r->out, ref->out, "%s: the rerun's report differs from an uninterrupted"
                     " run's", tag);
    if (!committed) {
        cr_assert_str_eq(r->err, ref->err, "%s", tag);
    } else if (st == STAGE_BATCH) {
        cr_assert(strstr(r->err, ": already recorded as batch 1 of " PROGRAM "; nothing"
                         " changed\n") != NULL, "%s: %s", tag, r->err);
    } else {
        cr_assert(strstr(r->err, " events, 0 recorded, ") != NULL
                  && strstr(r->err, " already recorded (skipped)\n") != NULL, "%s: %s", tag,
                  r->err);
    }
}

/* One trial on a copy of `tmpl`: the command killed `frac` of its run time after its start.
   Returns 1 when the kill came after the commit, plus 2 when the command had exited. */
static int sigkill_trial(const reference *ref, const char *tmpl, stage st, const files *f,
                         unsigned long long seed, unsigned trial, double frac)
{
    char db[CONNINFO_MAX], tag[256];
    const char *argv[16];
    long long delay = (long long)(frac * (double)ref->run_us);
    snprintf(tag, sizeof(tag), "%s: seed %llu trial %u (SIGKILL %lld us into a %lld us run)",
             stage_names[st], seed, trial, delay, ref->run_us);
    clone_db(db, tmpl);
    pid_t pid = start(db, command(argv, st, f), f->out, f->err);
    sleep_us(delay);
    kill(pid, SIGKILL);
    int code = finish(pid);
    /* The server rolls the killed session back (or commits it, when its COMMIT had gone
       out): look only once that session has ended. */
    wait_idle(db, tag);
    clh_result r = clh_run(db, (const char *const[]){"audit", "verify", NULL});
    cr_assert_eq(r.status, 0, "%s: audit verify exited %d: %s", tag, r.status, r.err);
    clh_free(&r);
    PGconn *c = pgh_connect(db);
    char *now = state_of(c);
    int committed = strcmp(now, ref->post) == 0;
    if (!committed) {
        cr_assert_str_eq(now, ref->pre, "%s: neither nothing nor all recorded (exit %d)", tag,
                         code);
        cr_assert_neq(code, 0, "%s: the command exited 0 but nothing is recorded", tag);
    }
    free(now);
    r = clh_run(db, command(argv, st, f));
    check_rerun(ref, st, &r, committed, tag);
    clh_free(&r);
    now = state_of(c);
    PQfinish(c);
    cr_assert_str_eq(now, ref->post, "%s: after the rerun", tag);
    free(now);
    char *bal = balances(db);
    cr_assert_str_eq(bal, ref->post_bal, "%s: audit balances after the rerun", tag);
    free(bal);
    /* The copy stays: dropping a database forces a checkpoint on the shared server; it goes
       with the server when tests/run.sh ends. */
    return committed + 2 * (code == 0);
}

static void sigkill_trials(stage st)
{
    unsigned long long seed = env_u64("RISKSHARE_CRASH_SEED", SEED_DEFAULT);
    unsigned trials = (unsigned)env_u64("RISKSHARE_CRASH_TRIALS", TRIALS_DEFAULT);
    char tmpl[CONNINFO_MAX];
    files f;
    reference ref;
    int outcomes[4] = {0, 0, 0, 0};
    long long t0 = now_us();

    make_files(&f);
    stage_db(tmpl, st, &f);
    make_reference(&ref, tmpl, st, &f);
    wait_idle(tmpl, "the template");
    for (unsigned trial = 0; trial < trials; trial++) {
        outcomes[sigkill_trial(&ref, tmpl, st, &f, seed, trial, fraction(seed, st, trial))]++;
    }
    fprintf(stderr, "crash: %s, seed %llu: %u trials in %lld ms (an uninterrupted run %lld ms):"
            " %d killed before the commit, %d after it, %d had exited\n", stage_names[st], seed,
            trials, (now_us() - t0) / 1000, ref.run_us / 1000, outcomes[0], outcomes[1],
            outcomes[3]);
    cr_expect_eq(outcomes[2], 0);
    reference_free(&ref);
    pgh_rmtree(f.dir);
}

Test(crash, sigkill_batch_submit)
{
    sigkill_trials(STAGE_BATCH);
}

Test(crash, sigkill_events_import)
{
    sigkill_trials(STAGE_EVENTS);
}

Test(crash, sigkill_settle_commit)
{
    sigkill_trials(STAGE_SETTLE);
}

/* ---- 2. The server stopped in the middle of a command ------------------------------------ */

/* The private local cluster's home (empty until the test makes it). */
static char private_home[512];

/* The postmaster's pid from the private cluster's postmaster.pid; 0 when there is none. */
static long postmaster_pid(void)
{
    char path[600], line[32] = "";
    long pid = 0;
    snprintf(path, sizeof(path), "%s/pgdata/postmaster.pid", private_home);
    FILE *fp = fopen(path, "r");
    if (fp == NULL) {
        return 0;
    }
    if (fgets(line, sizeof(line), fp) != NULL) {
        pid = strtol(line, NULL, 10);
    }
    fclose(fp);
    return pid;
}

/*
 * Stops the private cluster with `sig` to its postmaster: SIGQUIT is an immediate shutdown
 * (what `pg_ctl stop -m immediate` sends), SIGINT a fast one (`riskshare db stop`, `pg_ctl
 * stop -m fast`).  Waits until the postmaster has gone; returns 0, or -1 when it stays.
 */
static int stop_server(int sig)
{
    long pid = postmaster_pid();
    long long deadline = now_us() + WAIT_MS_MAX * 1000LL;
    if (pid <= 0) {
        return 0;
    }
    if (kill((pid_t)pid, sig) != 0) {
        return errno == ESRCH ? 0 : -1;
    }
    while (postmaster_pid() == pid && kill((pid_t)pid, 0) == 0) {
        if (now_us() > deadline) {
            return -1;
        }
        sleep_us(5000);
    }
    return 0;
}

/* .fini: whatever happened, the private cluster does not outlive the test. */
static void stop_private_cluster(void)
{
    if (private_home[0] != '\0' && stop_server(SIGQUIT) != 0) {
        fprintf(stderr, "crash: the cluster in %s did not stop\n", private_home);
    }
}

/* `riskshare db status --format csv`: its state column ("running", "stopped", ...). */
static void expect_db_state(const char *want, const char *tag)
{
    clh_result r = clh_run(NULL, (const char *const[]){"db", "status", "--format", "csv", NULL});
    cr_assert_eq(r.status, 0, "%s: db status exited %d: %s", tag, r.status, r.err);
    const char *row = strchr(r.out, '\n');
    cr_assert(row != NULL && strncmp(row + 1, want, strlen(want)) == 0
              && row[1 + strlen(want)] == ',', "%s: db status is not %s: %s", tag, want, r.out);
    clh_free(&r);
}

/*
 * Waits until a riskshare session of the private cluster matches `cond` (SQL on
 * pg_stat_activity), failing the test when the command `pid` ends first.
 */
static void wait_session(const char *url, pid_t pid, const char *cond, const char *tag)
{
    char sql[512];
    long long deadline = now_us() + WAIT_MS_MAX * 1000LL;
    PGconn *c = pgh_connect(url);
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM pg_stat_activity WHERE application_name ="
             " 'riskshare' AND %s", cond);
    for (;;) {
        PGresult *res = PQexec(c, sql);
        cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s: %s", tag, PQerrorMessage(c));
        int found = strcmp(PQgetvalue(res, 0, 0), "0") != 0;
        PQclear(res);
        if (found) {
            break;
        }
        int status;
        cr_assert_eq(waitpid(pid, &status, WNOHANG), 0, "%s: the command ended before %s", tag,
                     cond);
        cr_assert(now_us() < deadline, "%s: no riskshare session with %s", tag, cond);
        sleep_us(1000);
    }
    PQfinish(c);
}

/* A command cut off from its server: exit 69, one line on stderr, no report. */
static void expect_cut_off(int code, const files *f, const char *tag)
{
    char *out = clh_slurp(f->out), *err = clh_slurp(f->err);
    const char *nl = strchr(err, '\n');
    cr_assert_eq(code, 69, "%s: exit %d: %s", tag, code, err);
    cr_assert(strncmp(err, "riskshare: ", 11) == 0 && nl != NULL && nl[1] == '\0',
              "%s: not one line on stderr: %s", tag, err);
    cr_assert_null(strstr(err, "FATAL:"), "%s: libpq's severity prefix leaks: %s", tag, err);
    cr_assert_str_eq(out, "", "%s", tag);
    fprintf(stderr, "crash: %s: exit 69, %s", tag, err);
    free(out);
    free(err);
}

/* The private cluster's state, through a session of its own. */
static char *local_state(const char *url)
{
    PGconn *c = pgh_connect(url);
    char *s = state_of(c);
    PQfinish(c);
    return s;
}

/* After a stop: the next riskshare command starts the cluster itself; the chain verifies. */
static void restart_and_verify(const char *tag)
{
    expect_db_state("stopped", tag);
    clh_result r = clh_run(NULL, (const char *const[]){"audit", "verify", NULL});
    cr_assert_eq(r.status, 0, "%s: audit verify after the stop exited %d: %s", tag, r.status,
                 r.err);
    clh_free(&r);
    expect_db_state("running", tag);
}

/* Stops the cluster twice under the command of `st`, then runs it to the end. */
static void stop_trials(const char *url, const char *ref_db, stage st, const files *f,
                        unsigned long long seed)
{
    char tag[256];
    const char *argv[16];
    reference ref;
    PGconn *lock;

    /* The reference: the same command, uninterrupted, on the shared test server. */
    ref.pre = local_state(url);
    ref.pre_bal = balances(NULL);
    long long t0 = now_us();
    int code = finish(start(ref_db, command(argv, st, f), f->out, f->err));
    ref.run_us = now_us() - t0;
    ref.out = clh_slurp(f->out);
    ref.err = clh_slurp(f->err);
    cr_assert_eq(code, 0, "the uninterrupted %s exited %d: %s", stage_names[st], code, ref.err);
    PGconn *c = pgh_connect(ref_db);
    ref.post = state_of(c);
    PQfinish(c);
    ref.post_bal = balances(ref_db);

    /* 1: an immediate shutdown while the command, in its transaction, waits for postings. */
    snprintf(tag, sizeof(tag), "%s: immediate shutdown while it waits for a lock",
             stage_names[st]);
    lock = pgh_connect(url);
    PGresult *res = PQexec(lock, "BEGIN; LOCK TABLE postings IN SHARE MODE");
    cr_assert_eq(PQresultStatus(res), PGRES_COMMAND_OK, "%s", PQerrorMessage(lock));
    PQclear(res);
    pid_t pid = start(NULL, command(argv, st, f), f->out, f->err);
    wait_session(url, pid, "wait_event_type = 'Lock' AND backend_xid IS NOT NULL", tag);
    cr_assert_eq(stop_server(SIGQUIT), 0, "%s: the server did not stop", tag);
    expect_cut_off(finish(pid), f, tag);
    PQfinish(lock);
    restart_and_verify(tag);
    char *now = local_state(url);
    cr_assert_str_eq(now, ref.pre, "%s: something recorded", tag);
    free(now);

    /* 2: a fast shutdown at a seeded moment after its transaction took its first lock. */
    long long delay = (long long)(fraction(seed, 10 + st, 0) * (double)ref.run_us / 2);
    snprintf(tag, sizeof(tag), "%s: seed %llu: fast shutdown %lld us into its transaction",
             stage_names[st], seed, delay);
    pid = start(NULL, command(argv, st, f), f->out, f->err);
    wait_session(url, pid, "backend_xid IS NOT NULL", tag);
    sleep_us(delay);
    cr_assert_eq(stop_server(SIGINT), 0, "%s: the server did not stop", tag);
    code = finish(pid);
    if (code != 0) {
        expect_cut_off(code, f, tag);
    }
    restart_and_verify(tag);
    now = local_state(url);
    int committed = strcmp(now, ref.post) == 0;
    if (!committed) {
        cr_assert_str_eq(now, ref.pre, "%s: neither nothing nor all recorded (exit %d)", tag,
                         code);
    }
    cr_assert(code == 69 || committed, "%s: exit %d", tag, code);
    free(now);

    /* The rerun ends where the uninterrupted run ended. */
    snprintf(tag, sizeof(tag), "%s: seed %llu: the rerun after the stops", stage_names[st], seed);
    clh_result r = clh_run(NULL, command(argv, st, f));
    check_rerun(&ref, st, &r, committed, tag);
    clh_free(&r);
    now = local_state(url);
    cr_assert_str_eq(now, ref.post, "%s", tag);
    free(now);
    char *bal = balances(NULL);
    cr_assert_str_eq(bal, ref.post_bal, "%s: audit balances", tag);
    free(bal);
    reference_free(&ref);
}

Test(crash, server_stopped_mid_command, .fini = stop_private_cluster)
{
    unsigned long long seed = env_u64("RISKSHARE_CRASH_SEED", SEED_DEFAULT);
    const char *home = getenv("RISKSHARE_HOME");
    char ref_db[CONNINFO_MAX], url[CONNINFO_MAX];
    files f;

    /* Beside tests/run.sh's own home, so its cleanup finds the cluster ($tmp/home*). */
    cr_assert(home != NULL && home[0] == '/' && strrchr(home, '/') != home,
              "RISKSHARE_HOME is not set: run the tests with sh tests/run.sh");
    snprintf(private_home, sizeof(private_home), "%.*s/home-crash-%ld",
             (int)(strrchr(home, '/') - home), home, (long)getpid());
    cr_assert_eq(setenv("RISKSHARE_HOME", private_home, 1), 0);
    make_files(&f);
    stage_db(ref_db, STAGE_BATCH, &f);
    clh_result r = clh_run(NULL, (const char *const[]){"db", "start", NULL});
    cr_assert_eq(r.status, 0, "db start: %s", r.err);
    clh_free(&r);
    r = clh_run(NULL, (const char *const[]){"db", "url", NULL});
    cr_assert_eq(r.status, 0, "db url: %s", r.err);
    snprintf(url, sizeof(url), "%.*s", (int)strcspn(r.out, "\n"), r.out);
    clh_free(&r);
    r = clh_run(NULL, (const char *const[]){"policy", "load", "--quiet", POLICY, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    clh_free(&r);
    for (stage st = STAGE_BATCH; st <= STAGE_SETTLE; st++) {
        stop_trials(url, ref_db, st, &f, seed);
    }
    r = clh_run(NULL, (const char *const[]){"db", "stop", NULL});
    cr_assert_eq(r.status, 0, "db stop: %s", r.err);
    cr_expect_str_eq(r.err, "riskshare: local database stopped\n");
    clh_free(&r);
    expect_db_state("stopped", "the end");
    pgh_rmtree(f.dir);
}
