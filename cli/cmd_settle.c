/*
 * cmd_settle.c -- `riskshare settle` (DESIGN 6 "Settlement", 7, 8, 10).
 *
 * The flow: parse the arguments (the through date from --through or --period);
 * load the program's versions and choose the one whose settlement block applies on
 * the through date (else the highest); then in one transaction -- a read-only
 * snapshot for a preview, the journal's transaction holding the program's chain head
 * for --commit, so two settlements of a program run one after the other -- refuse a
 * run through the date of an earlier one or before it, load the open claims dated on
 * or before the through date and each pool's cash through it, let the engine decide
 * every claim pool by pool (engine/settle.h), record the settlement (--commit), write
 * the workbook (--xlsx), commit, and print the statement.
 */
#include "cmd_settle.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "journal.h"
#include "ledger.h"
#include "programs.h"
#include "batch_store.h"
#include "settle.h"
#include "settle_store.h"
#include "settle_xlsx.h"

static const char usage[] =
    "usage: riskshare settle --program P (--through DATE | --period PERIOD) [--commit]\n"
    "                        [--xlsx FILE]\n"
    "options: --db CONNINFO  --format table|csv|json  --quiet\n"
    "Pays each pool's open claims dated on or before DATE (PERIOD: 2024, 2024Q3 or 2024-07,\n"
    "its last day) out of the pool's cash through DATE, by the settlement block (fifo or\n"
    "pro_rata) of the policy version in force on DATE.  Without --commit it is a preview\n"
    "and changes nothing; --commit records it.  A settlement through the date of an earlier\n"
    "one, or before it, is refused.  --xlsx FILE also writes the statement as a workbook.\n";

/* Versions of one program that a settlement reads (each is a policy file in memory). */
#define SETTLE_VERSIONS_MAX 1024

/* One run of the command: its arguments, what it loaded, what it decided. */
typedef struct {
    cli_common common;
    const char *program, *through_text, *period, *xlsx;
    int commit;
    eng_date through;
    eng_policy **versions;
    size_t n_versions;
    const eng_policy *applied;
    led_settle_claim *loaded;           /* as loaded: by payer, then claim order */
    size_t n_loaded;
    const char **pools;                 /* the statement's pools, in order */
    size_t n_pools;
    size_t *pool_start;                 /* n_pools + 1 offsets into claims */
    led_settle_claim *claims;           /* statement order */
    eng_settle_claim *view;             /* the engine's view of claims[i] */
    eng_fen *paid, *cash;
    eng_settle_totals *totals;
    size_t n_claims;
    long settlement_id;                 /* 0: a preview */
    int wrote_xlsx;                     /* a try wrote --xlsx (kept across tries) */
} settle_run;

/* Takes the value of option argv[*i] into `*slot`. */
static int take_value(const char **slot, int *i, int n, char **argv)
{
    if (*i + 1 >= n) {
        cli_errorf("settle: %s needs a value", argv[*i]);
        return -1;
    }
    if (*slot != NULL) {
        cli_errorf("settle: %s given twice", argv[*i]);
        return -1;
    }
    *slot = argv[++*i];
    return 0;
}

/* The through date from --through or --period; -1 after a usage error. */
static int parse_through(settle_run *run)
{
    eng_error err;
    eng_status rc;

    if ((run->through_text == NULL) == (run->period == NULL)) {
        cli_errorf("settle: give one of --through DATE and --period PERIOD");
        return -1;
    }
    if (run->period != NULL) {
        rc = eng_settle_period_end(&run->through, run->period, strlen(run->period), &err);
    } else {
        rc = eng_date_parse(&run->through, run->through_text, strlen(run->through_text), &err);
    }
    if (rc != ENG_OK) {
        cli_errorf("settle: %s %s", run->period != NULL ? "--period:" : "--through:",
                   err.message);
        return -1;
    }
    return 0;
}

/* Parses the words after `settle`: 1 to run, 0 for --help (usage printed), -1 usage error. */
static int parse_args(settle_run *run, int argc, char **argv)
{
    int n = 0;
    int code = cli_begin(&run->common, &n, argc, argv, usage);

    if (code >= 0) {
        return code == CLI_EXIT_OK ? 0 : -1;
    }
    for (int i = 0; i < n; i++) {
        const char *a = argv[i];
        const char **slot = strcmp(a, "--program") == 0   ? &run->program
                            : strcmp(a, "--through") == 0 ? &run->through_text
                            : strcmp(a, "--period") == 0  ? &run->period
                            : strcmp(a, "--xlsx") == 0    ? &run->xlsx
                                                          : NULL;
        if (slot != NULL) {
            if (take_value(slot, &i, n, argv) < 0) {
                return -1;
            }
        } else if (strcmp(a, "--commit") == 0) {
            run->commit = 1;
        } else {
            cli_errorf("settle: unexpected argument \"%s\" (see --help)", a);
            return -1;
        }
    }
    if (run->program == NULL) {
        cli_errorf("settle: --program is required");
        return -1;
    }
    return parse_through(run) < 0 ? -1 : 1;
}

/* Loads every stored version of the program and chooses the one that applies. */
static eng_status load_versions(settle_run *run, led_db *db, eng_error *err)
{
    eng_status rc;

    run->versions = calloc(SETTLE_VERSIONS_MAX, sizeof(*run->versions));
    if (run->versions == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    rc = cli_program_policies(run->versions, &run->n_versions, SETTLE_VERSIONS_MAX, db,
                              run->program, err);
    if (rc == ENG_OK) {
        int v = eng_settle_version((const eng_policy *const *)run->versions, run->n_versions,
                                   run->through);
        assert(v >= 0);
        run->applied = run->versions[v];
    }
    return rc;
}

/* A run through the date of an earlier settlement or before it is refused (DESIGN 6). */
static eng_status check_after_last(const settle_run *run, led_db *db, eng_error *err)
{
    long last_id = 0;
    eng_date last_through = 0;
    eng_status rc = led_settle_blocking(&last_id, &last_through, db, run->program, run->through,
                                        err);

    if (rc == ENG_OK && last_id > 0) {
        assert(run->through <= last_through);
        char d[11];
        eng_date_format(d, last_through);
        rc = eng_error_set(err, ENG_ECONFLICT, "program %s is already settled through %s "
                           "(settlement %ld): a new settlement must run through a later date",
                           run->program, d, last_id);
    }
    return rc;
}

/* Adds `pool` to the statement's pools unless it is there already. */
static void add_pool(settle_run *run, const char *pool)
{
    for (size_t i = 0; i < run->n_pools; i++) {
        if (strcmp(run->pools[i], pool) == 0) {
            return;
        }
    }
    run->pools[run->n_pools++] = pool;
}

/* Adds the pools of `p` in party order. */
static void add_pools_of(settle_run *run, const eng_policy *p)
{
    for (size_t i = 0; i < p->n_parties; i++) {
        if (p->parties[i].kind == ENG_PARTY_POOL) {
            add_pool(run, p->parties[i].id);
        }
    }
}

/*
 * The statement's pools: those of the applied version in party order, then those of
 * the other versions (highest first), then any other payer of an open claim.
 */
static eng_status order_pools(settle_run *run, eng_error *err)
{
    size_t cap = run->n_loaded + 1;

    for (size_t v = 0; v < run->n_versions; v++) {
        cap += run->versions[v]->n_parties;
    }
    run->pools = calloc(cap, sizeof(*run->pools));
    if (run->pools == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    add_pools_of(run, run->applied);
    for (long top = ENG_VERSION_MAX; top > 0;) {
        long next = 0;
        for (size_t v = 0; v < run->n_versions; v++) {
            long ver = run->versions[v]->version;
            if (ver == top) {
                add_pools_of(run, run->versions[v]);
            } else if (ver < top && ver > next) {
                next = ver;
            }
        }
        top = next;
    }
    for (size_t i = 0; i < run->n_loaded; i++) {
        if (i == 0 || strcmp(run->loaded[i].payer, run->loaded[i - 1].payer) != 0) {
            add_pool(run, run->loaded[i].payer);
        }
    }
    assert(run->n_pools < cap);
    return ENG_OK;
}

/* The loaded claims of `pool`: [*lo, *hi), contiguous since they are ordered by payer. */
static void pool_range(const settle_run *run, const char *pool, size_t *lo, size_t *hi)
{
    size_t a = 0, b;

    while (a < run->n_loaded && strcmp(run->loaded[a].payer, pool) != 0) {
        a++;
    }
    b = a;
    while (b < run->n_loaded && strcmp(run->loaded[b].payer, pool) == 0) {
        b++;
    }
    *lo = a;
    *hi = b;
}

/* Copies the loaded claims into statement order (pool by pool) and the engine's view. */
static eng_status build_statement(settle_run *run, eng_error *err)
{
    size_t n = run->n_loaded, at = 0;

    run->claims = calloc(n + 1, sizeof(*run->claims));
    run->view = calloc(n + 1, sizeof(*run->view));
    run->paid = calloc(n + 1, sizeof(*run->paid));
    run->pool_start = calloc(run->n_pools + 1, sizeof(*run->pool_start));
    run->cash = calloc(run->n_pools + 1, sizeof(*run->cash));
    run->totals = calloc(run->n_pools + 1, sizeof(*run->totals));
    if (!run->claims || !run->view || !run->paid || !run->pool_start || !run->cash
        || !run->totals) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    for (size_t p = 0; p < run->n_pools; p++) {
        size_t lo, hi;
        pool_range(run, run->pools[p], &lo, &hi);
        run->pool_start[p] = at;
        for (size_t i = lo; i < hi; i++, at++) {
            const led_settle_claim *c = &run->claims[at];
            run->claims[at] = run->loaded[i];
            run->view[at] = (eng_settle_claim){c->claim_id, c->claim_date, c->loan_id, c->kind,
                                               c->open};
            if (i > lo && eng_settle_claim_cmp(&run->view[at - 1], &run->view[at]) >= 0) {
                return eng_error_set(err, ENG_ERROR, "claims %ld and %ld of pool %s do not "
                                     "read back in claim order", run->view[at - 1].claim_id,
                                     c->claim_id, c->payer);
            }
        }
    }
    run->pool_start[run->n_pools] = at;
    run->n_claims = at;
    assert(at == n);
    return ENG_OK;
}

/* Loads the claims and cash through the date and decides every pool's payments. */
static eng_status decide(settle_run *run, led_db *db, eng_error *err)
{
    eng_shortfall shortfall = run->applied->settlement.shortfall;
    eng_status rc = led_settle_open_claims(&run->loaded, &run->n_loaded, db, run->program,
                                           run->through, err);

    if (rc == ENG_OK) {
        rc = order_pools(run, err);
    }
    if (rc == ENG_OK) {
        rc = build_statement(run, err);
    }
    if (rc == ENG_OK) {
        rc = led_settle_cash(run->cash, db, run->program, run->pools, run->n_pools, run->through,
                             err);
    }
    for (size_t p = 0; rc == ENG_OK && p < run->n_pools; p++) {
        size_t lo = run->pool_start[p], len = run->pool_start[p + 1] - lo;
        rc = eng_settle_allocate(run->paid + lo, &run->totals[p], run->view + lo, len,
                                 run->cash[p], shortfall, err);
    }
    return rc;
}

/* Records the decided settlement in the journal's transaction (not committed yet). */
static eng_status record(settle_run *run, led_db *db, led_journal *j, eng_error *err)
{
    led_settle_record_spec spec = {
        .program = run->program,
        .through = run->through,
        .period = run->period,
        .policy_version = run->applied->version,
        .rule_ids = {eng_period_name(run->applied->settlement.period),
                     eng_shortfall_name(run->applied->settlement.shortfall)},
        .n_rule_ids = 2,
        .claims = run->claims,
        .paid = run->paid,
        .n_claims = run->n_claims,
    };

    return led_settle_record(&run->settlement_id, db, j, &spec, err);
}

static eng_status write_xlsx(const settle_run *run, eng_error *err)
{
    cli_settle_statement st = {
        .program = run->program,
        .through = run->through,
        .settlement_id = run->settlement_id,
        .shortfall = eng_shortfall_name(run->applied->settlement.shortfall),
        .n_pools = run->n_pools,
        .pools = run->pools,
        .totals = run->totals,
        .pool_start = run->pool_start,
        .claims = run->claims,
        .paid = run->paid,
        .n_claims = run->n_claims,
    };

    return cli_settle_xlsx_write(run->xlsx, &st, err);
}

/* Prints the statement: one row per claim, by pool then claim order (DESIGN 8, 10). */
static int print_statement(const settle_run *run)
{
    static const char *const cols[] = {"claim_id", "loan_id", "kind", "payer", "payee",
                                       "claim_date", "open_before", "paid", "open_after"};
    cli_report *r = cli_report_new(cols, 9);
    int bad = r == NULL;

    for (size_t i = 0; !bad && i < run->n_claims; i++) {
        const led_settle_claim *c = &run->claims[i];
        char id[24], date[11], before[ENG_FEN_TEXT], paid[ENG_FEN_TEXT], after[ENG_FEN_TEXT];
        snprintf(id, sizeof(id), "%ld", c->claim_id);
        eng_date_format(date, c->claim_date);
        eng_fen_format(before, sizeof(before), c->open);
        eng_fen_format(paid, sizeof(paid), run->paid[i]);
        eng_fen_format(after, sizeof(after), c->open - run->paid[i]);
        const char *values[] = {id, c->loan_id, eng_claim_kind_name(c->kind), c->payer,
                                c->payee, date, before, paid, after};
        bad = cli_report_add(r, values) < 0;
    }
    bad = bad || cli_report_write(r, stdout, cli_output_format(&run->common)) < 0;
    cli_report_free(r);
    if (bad) {
        cli_errorf("settle: cannot write the statement");
        return CLI_EXIT_UNAVAILABLE + 1;
    }
    return CLI_EXIT_OK;
}

/* The summary line on stderr: per pool what was available, paid and left open. */
static void summary(const settle_run *run)
{
    char through[11];

    if (run->common.quiet) {
        return;
    }
    eng_date_format(through, run->through);
    fprintf(stderr, "riskshare: settle %s through %s (version %ld, %s):", run->program, through,
            run->applied->version, eng_shortfall_name(run->applied->settlement.shortfall));
    if (run->n_pools == 0) {
        fputs(" no pool", stderr);
    }
    for (size_t p = 0; p < run->n_pools; p++) {
        const eng_settle_totals *t = &run->totals[p];
        char a[ENG_FEN_TEXT], b[ENG_FEN_TEXT], c[ENG_FEN_TEXT];
        eng_fen_format(a, sizeof(a), t->available);
        eng_fen_format(b, sizeof(b), t->paid);
        eng_fen_format(c, sizeof(c), t->open_after);
        fprintf(stderr, "%s pool %s available %s, paid %s, left open %s", p ? ";" : "",
                run->pools[p], a, b, c);
    }
    if (run->commit) {
        fprintf(stderr, "; %zu claims; recorded as settlement %ld\n", run->n_claims,
                run->settlement_id);
    } else {
        fprintf(stderr, "; %zu claims; preview, nothing recorded\n", run->n_claims);
    }
}

/* Everything inside the one transaction; `*j` is the journal of a commit. */
static eng_status in_transaction(settle_run *run, led_db *db, led_journal *j, eng_error *err)
{
    eng_status rc = check_after_last(run, db, err);

    if (rc == ENG_OK) {
        rc = decide(run, db, err);
    }
    if (rc == ENG_OK && run->commit) {
        rc = record(run, db, j, err);
    }
    if (rc == ENG_OK && run->xlsx != NULL) {
        rc = write_xlsx(run, err);
        run->wrote_xlsx |= rc == ENG_OK;
    }
    return rc;
}

/* Frees what a try loaded and decided, and forgets it, so a new try starts from scratch. */
static void run_reset(settle_run *run)
{
    for (size_t i = 0; i < run->n_versions; i++) {
        eng_policy_free(run->versions[i]);
    }
    free(run->versions);
    free(run->loaded);
    free(run->pools);
    free(run->pool_start);
    free(run->claims);
    free(run->view);
    free(run->paid);
    free(run->cash);
    free(run->totals);
    run->versions = NULL;
    run->n_versions = 0;
    run->applied = NULL;
    run->loaded = NULL;
    run->n_loaded = 0;
    run->pools = NULL;
    run->n_pools = 0;
    run->pool_start = NULL;
    run->claims = NULL;
    run->view = NULL;
    run->paid = run->cash = NULL;
    run->totals = NULL;
    run->n_claims = 0;
    run->settlement_id = 0;
}

/* One try of run_with_ledger(): what it works on. */
typedef struct {
    settle_run *run;
    const char *conninfo;
} settle_try;

/*
 * One try, from scratch (cli_attempt_fn): connects, loads the versions, and in one
 * transaction -- the journal's, holding the program's chain head, for --commit; a
 * read-only snapshot for a preview -- decides, records and commits.  Prints nothing.
 */
static eng_status settle_attempt(void *ctx, eng_error *err)
{
    settle_try *t = ctx;
    settle_run *run = t->run;
    led_db *db = NULL;
    led_journal *j = NULL;

    run_reset(run);
    eng_status rc = led_connect(&db, t->conninfo, err);
    if (rc == ENG_OK) {
        rc = load_versions(run, db, err);
    }
    if (rc == ENG_OK) {
        rc = run->commit ? led_journal_begin(&j, db, run->program, err) : led_read_begin(db, err);
    }
    if (rc == ENG_OK) {
        rc = in_transaction(run, db, j, err);
        if (rc == ENG_OK && run->commit) {
            rc = led_journal_commit(j, err);
            j = NULL;
        }
        if (j != NULL) {
            led_journal_abort(j);
        } else if (!run->commit) {
            led_read_end(db);
        }
    }
    led_close(db);
    assert(rc != ENG_OK || !run->commit || run->settlement_id > 0);
    return rc;
}

/*
 * Settles against the ledger at `conninfo`, trying again from scratch when the
 * database reports a conflict (cli_retry); prints the statement of the try that
 * succeeded.  A workbook written by a try that did not commit is removed.
 */
static int run_with_ledger(settle_run *run, const char *conninfo)
{
    settle_try t = {run, conninfo};
    eng_error err;

    eng_error_clear(&err);
    eng_status rc = cli_retry(settle_attempt, &t, run->commit ? "settle --commit" : "settle",
                              &err);
    if (rc != ENG_OK) {
        if (run->commit && run->wrote_xlsx) {
            unlink(run->xlsx);  /* the statement of a settlement that was not recorded */
        }
        cli_print_error(&err);
        return cli_exit_for(rc);
    }
    summary(run);
    return print_statement(run);
}

static void run_free(settle_run *run)
{
    run_reset(run);
}

int cli_cmd_settle(int argc, char **argv)
{
    settle_run run;
    char *conninfo = NULL;
    eng_error err;
    int code;

    memset(&run, 0, sizeof(run));
    code = parse_args(&run, argc, argv);
    if (code <= 0) {
        return code == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    eng_error_clear(&err);
    eng_status rc = led_conninfo_resolve(&conninfo, run.common.db, &err);
    if (rc != ENG_OK) {
        cli_print_error(&err);
        code = cli_exit_for(rc);
    } else {
        code = run_with_ledger(&run, conninfo);
    }
    free(conninfo);
    run_free(&run);
    return code;
}
