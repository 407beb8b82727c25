/*
 * cmd_batch.c -- `riskshare batch check|submit` (DESIGN 5, 6, 7, 8, 10).
 *
 * The flow: read and validate the whole file (every error, exit 65, nothing
 * recorded); load the program's versions; check each loan's bank and
 * guarantor against its governing version; then, in one transaction that
 * holds the program's chain head (so two submissions to one program run one
 * after the other and see each other's loans), load the recorded state,
 * decide every loan in file order, and record the batch.  `check` does the
 * same in a read-only snapshot, or with --policy and no database against an
 * empty ledger.
 */
#include "cmd_batch.h"

#include <assert.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "batch_store.h"
#include "journal.h"
#include "ledger.h"
#include "loader.h"
#include "programs.h"

static const char usage[] =
    "usage: riskshare batch check  --program P --agency A [--policy FILE]... FILE\n"
    "       riskshare batch submit --program P --agency A FILE\n"
    "options: --encoding utf-8|gbk  --db CONNINFO  --format table|csv|json  --quiet\n"
    "check decides every loan without recording; with --policy FILE and no database it\n"
    "assumes an empty ledger.  submit records the batch in one transaction; the same file\n"
    "again changes nothing and prints what was recorded.\n";

static int parse_args(cli_batch_run *run, int argc, char **argv)
{
    int n = cli_common_parse(&run->common, argc, argv);
    if (n < 0) {
        return -1;
    }
    if (run->common.help) {
        return 0;
    }
    if (n < 1 || (strcmp(argv[0], "check") != 0 && strcmp(argv[0], "submit") != 0)) {
        cli_errorf("batch: expected check or submit (see --help)");
        return -1;
    }
    run->submit = argv[0][0] == 's';
    for (int i = 1; i < n; i++) {
        const char *a = argv[i];
        const char **slot = strcmp(a, "--program") == 0    ? &run->program
                            : strcmp(a, "--agency") == 0   ? &run->agency
                            : strcmp(a, "--encoding") == 0 ? &run->encoding
                                                           : NULL;
        if (slot != NULL || strcmp(a, "--policy") == 0) {
            if (i + 1 >= n) {
                cli_errorf("batch: %s needs a value", a);
                return -1;
            }
            if (slot != NULL) {
                *slot = argv[++i];
            } else if (run->submit || run->n_policy_files == CLI_BATCH_POLICIES_MAX) {
                cli_errorf("batch: --policy is for batch check only (at most %d)",
                           CLI_BATCH_POLICIES_MAX);
                return -1;
            } else {
                run->policy_files[run->n_policy_files++] = argv[++i];
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            cli_errorf("batch: unknown option \"%s\"", a);
            return -1;
        } else if (run->path != NULL) {
            cli_errorf("batch: one FILE only");
            return -1;
        } else {
            run->path = a;
        }
    }
    if (run->program == NULL || run->agency == NULL || run->path == NULL) {
        cli_errorf("batch %s: --program, --agency and FILE are required", argv[0]);
        return -1;
    }
    if (!cli_is_id(run->agency)) {
        cli_errorf("batch %s: invalid --agency \"%.64s\": expected [A-Za-z0-9._-]{1,64}",
                   argv[0], run->agency);
        return -1;
    }
    return 1;
}

/* The SHA-256 of the file's bytes, streamed, as 64 hex digits. */
static eng_status hash_file(char out[65], const char *path, eng_error *err)
{
    FILE *f = fopen(path, "rb");
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char buf[1 << 16], md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    eng_status rc = ENG_OK;

    if (f == NULL || ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        rc = eng_error_set(err, ENG_EPARSE, "%s: cannot read", path);
    }
    size_t got;
    while (rc == ENG_OK && (got = fread(buf, 1, sizeof(buf), f)) > 0) {
        EVP_DigestUpdate(ctx, buf, got);
    }
    if (rc == ENG_OK && (ferror(f) || EVP_DigestFinal_ex(ctx, md, &md_len) != 1)) {
        rc = eng_error_set(err, ENG_EPARSE, "%s: cannot read", path);
    }
    for (unsigned int i = 0; rc == ENG_OK && i < md_len; i++) {
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    }
    EVP_MD_CTX_free(ctx);
    if (f != NULL) {
        fclose(f);
    }
    return rc;
}

/* Loads the --policy files; each must be a version of --program. */
static int load_policy_files(cli_batch_run *run)
{
    int bad = 0;
    for (int i = 0; i < run->n_policy_files; i++) {
        eng_error err;
        eng_policy *p = NULL;
        if (pol_load_file(&p, run->policy_files[i], NULL, NULL, &err) != ENG_OK) {
            cli_print_error(&err);
            bad = 1;
        } else if (strcmp(p->program, run->program) != 0) {
            cli_errorf("%s: the policy is program %s, not %s", run->policy_files[i], p->program,
                       run->program);
            eng_policy_free(p);
            bad = 1;
        } else {
            run->versions[run->n_versions++] = p;
        }
    }
    return bad ? CLI_EXIT_DATAERR : CLI_EXIT_OK;
}

/* Loads every stored version of the program from the ledger. */
static eng_status load_stored_policies(cli_batch_run *run, led_db *db, eng_error *err)
{
    return cli_program_policies(run->versions, &run->n_versions, CLI_BATCH_POLICIES_MAX, db,
                                run->program, err);
}

void cli_batch_loan(eng_loan *loan, const cli_loan_row *row)
{
    eng_error err;
    loan->loan_id = row->loan_id;
    loan->borrower_code = row->borrower_code;
    loan->tech_status = row->tech_status;
    loan->sector = row->sector;
    loan->credit_grade = row->credit_grade;
    loan->bank = row->bank;
    loan->guarantor = row->guarantor;
    eng_fen_to_q(loan->principal, row->principal);
    eng_fen_to_q(loan->revenue, row->revenue);
    /* The reader checked these texts are numbers: parsing cannot fail. */
    eng_status a = eng_num_parse(loan->annual_rate, row->annual_rate, strlen(row->annual_rate), &err);
    eng_status c = eng_num_parse(loan->collateral_ratio, row->collateral_ratio,
                                 strlen(row->collateral_ratio), &err);
    assert(a == ENG_OK && c == ENG_OK);
    (void)a;
    (void)c;
    loan->has_fee_rate = row->fee_rate != NULL;
    if (row->fee_rate != NULL) {
        eng_status f = eng_num_parse(loan->fee_rate, row->fee_rate, strlen(row->fee_rate), &err);
        assert(f == ENG_OK);
        (void)f;
    }
    loan->term_months = row->term_months;
    loan->first_loan = row->first_loan;
    loan->start_date = row->start_date;
}

/* The governing version of a row, as an index into run->versions, or -1. */
static int version_of(const cli_batch_run *run, eng_date date)
{
    int best = -1;
    for (size_t i = 0; i < run->n_versions; i++) {
        const eng_policy *p = run->versions[i];
        if (eng_policy_in_force(p, date) && (best < 0 || p->version > run->versions[best]->version)) {
            best = (int)i;
        }
    }
    return best;
}

/* A bank or guarantor unknown to the governing version is an input error (DESIGN 10). */
static void check_parties(const cli_batch_run *run, cli_errlist *errs)
{
    for (size_t i = 0; i < run->file.n_rows; i++) {
        const cli_loan_row *row = &run->file.rows[i];
        int v = version_of(run, row->start_date);
        if (v < 0) {
            continue; /* rejected as no_policy */
        }
        const eng_policy *p = run->versions[v];
        int b = eng_policy_party(p, row->bank);
        if (b < 0 || p->parties[b].kind != ENG_PARTY_BANK) {
            cli_errlist_add(errs, run->path, row->line, (uint32_t)run->file.col[CLI_LOAN_BANK],
                            "bank \"%s\" is not a bank of %s version %ld", row->bank, p->program,
                            p->version);
        }
        int g = row->guarantor ? eng_policy_party(p, row->guarantor) : 0;
        if (row->guarantor && (g < 0 || p->parties[g].kind != ENG_PARTY_GUARANTOR)) {
            cli_errlist_add(errs, run->path, row->line,
                            (uint32_t)run->file.col[CLI_LOAN_GUARANTOR],
                            "guarantor \"%s\" is not a guarantor of %s version %ld",
                            row->guarantor, p->program, p->version);
        }
    }
}

typedef struct {
    const cli_batch_run *run;
    cli_errlist *errs;
    const size_t *rows;  /* the file row of each id looked up */
} dup_ctx;

static void on_recorded(void *ctx, size_t index, long batch_id)
{
    dup_ctx *d = ctx;
    const cli_loan_row *row = &d->run->file.rows[d->rows[index]];
    cli_errlist_add(d->errs, d->run->path, row->line, (uint32_t)d->run->file.col[CLI_LOAN_LOAN_ID],
                    "loan_id \"%s\" is already recorded in %s (batch %ld)", row->loan_id,
                    d->run->program, batch_id);
}

/*
 * Refuses the whole batch when a loan id is already recorded (DESIGN 7): looks up
 * the ids of every row, or with `rejected_only` those of the rows this run rejected
 * (a submit: the loans table's key refuses an admitted one, see batch_attempt()).
 */
static eng_status check_recorded(const cli_batch_run *run, led_db *db, int rejected_only,
                                 cli_errlist *errs, eng_error *err)
{
    const char **ids = malloc((run->file.n_rows + 1) * sizeof(char *));
    size_t *rows = malloc((run->file.n_rows + 1) * sizeof(size_t));
    size_t n = 0;
    eng_status rc = ENG_OK;

    if (ids == NULL || rows == NULL) {
        rc = eng_error_set(err, ENG_ERROR, "out of memory");
    }
    for (size_t i = 0; rc == ENG_OK && i < run->file.n_rows; i++) {
        if (!rejected_only || !run->decisions[i].admitted) {
            rows[n] = i;
            ids[n++] = run->file.rows[i].loan_id;
        }
    }
    dup_ctx ctx = {run, errs, rows};
    if (rc == ENG_OK && n > 0) {
        rc = led_batch_recorded_ids(db, run->program, ids, n, on_recorded, &ctx, err);
    }
    free(ids);
    free(rows);
    return rc;
}

/* Loads the recorded state admission needs for this file. */
static eng_status load_state(eng_adm_state *st, const cli_batch_run *run, led_db *db,
                             eng_error *err)
{
    size_t n = run->file.n_rows;
    const char **codes = malloc((n + 1) * sizeof(char *));
    int *years = malloc((n + 1) * sizeof(int));
    const char *pools[CLI_BATCH_POLICIES_MAX];
    led_state_query q = {.borrowers = codes, .n_borrowers = n, .years = years, .n_years = n};
    eng_status rc = ENG_OK;

    if (codes == NULL || years == NULL) {
        rc = eng_error_set(err, ENG_ERROR, "out of memory");
    }
    for (size_t i = 0; rc == ENG_OK && i < n; i++) {
        int y, m, d;
        codes[i] = run->file.rows[i].borrower_code;
        eng_date_to_ymd(run->file.rows[i].start_date, &y, &m, &d);
        years[i] = y;
    }
    for (size_t v = 0; v < run->n_versions; v++) {
        const eng_policy *p = run->versions[v];
        for (size_t b = 0; b < p->n_breakers; b++) {
            q.breakers |= p->breakers[b].action == ENG_ACTION_STOP_NEW_LOANS;
        }
        if (p->capacity.set) {
            pools[q.n_pools++] = p->parties[p->capacity.pool].id;
        }
    }
    q.pools = pools;
    if (rc == ENG_OK) {
        rc = led_adm_state_load(st, db, run->program, &q, err);
    }
    free(codes);
    free(years);
    return rc;
}

/* Appends a NUL-terminated reason string to run->reasons; returns its offset. */
static uint32_t keep_reasons(cli_batch_run *run, const char *text)
{
    size_t len = strlen(text) + 1;
    if (run->reasons_len + len > run->reasons_cap) {
        size_t cap = run->reasons_cap ? run->reasons_cap * 2 : 1 << 16;
        while (cap < run->reasons_len + len) {
            cap *= 2;
        }
        char *grown = realloc(run->reasons, cap);
        if (grown == NULL) {
            abort(); /* a few bytes per rejected loan: out of memory here is fatal */
        }
        run->reasons = grown;
        run->reasons_cap = cap;
    }
    memcpy(run->reasons + run->reasons_len, text, len);
    uint32_t off = (uint32_t)run->reasons_len;
    run->reasons_len += len;
    return off;
}

static void progress(const cli_batch_run *run, size_t done, size_t total)
{
    static int tty = -1; /* asked once: isatty() is a system call */
    if (tty < 0) {
        tty = isatty(STDERR_FILENO);
    }
    if (!run->common.quiet && tty && (done % 65536 == 0 || done == total)) {
        fprintf(stderr, "\rriskshare: decided %zu of %zu loans", done, total);
        if (done == total) {
            fputc('\n', stderr);
        }
    }
}

/*
 * Decides every loan in file order against `st`; with `db` (submit), sends each
 * admitted loan to the open COPY of the batch's loans as it is decided.
 */
static eng_status decide_all(cli_batch_run *run, eng_adm_state *st, led_db *db, eng_error *err)
{
    eng_adm_decision d;
    eng_loan loan;
    char reasons[4096], buf[96];
    eng_status rc = ENG_OK;

    st->versions = (const eng_policy *const *)run->versions;
    st->n_versions = run->n_versions;
    run->decisions = calloc(run->file.n_rows + 1, sizeof(*run->decisions));
    if (run->decisions == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    eng_adm_decision_init(&d);
    eng_loan_init(&loan);
    for (size_t i = 0; rc == ENG_OK && i < run->file.n_rows; i++) {
        cli_batch_decision *out = &run->decisions[i];
        cli_batch_loan(&loan, &run->file.rows[i]);
        rc = eng_admit(&d, st, &loan, err);
        out->admitted = d.admitted;
        out->version = (int16_t)version_of(run, loan.start_date);
        out->rule = (int16_t)d.terms.rule;
        out->guarantee_fee = d.guarantee_fee;
        out->fee_subsidy = d.fee_subsidy;
        if (!d.admitted) {
            size_t used = 0;
            reasons[0] = '\0';
            for (size_t r = 0; r < d.n_reasons && used < sizeof(reasons); r++) {
                int w = snprintf(reasons + used, sizeof(reasons) - used, "%s%s", r ? ";" : "",
                                 eng_reason_text(&d.reasons[r], d.policy, buf, sizeof(buf)));
                used += w > 0 ? (size_t)w : 0;
            }
            out->reasons = keep_reasons(run, reasons);
        } else {
            run->n_admitted++;
            run->total_fee += d.guarantee_fee;
            run->total_subsidy += d.fee_subsidy;
            if (rc == ENG_OK && db != NULL) {
                rc = cli_batch_record_loan(run, db, i, &loan, &d.terms, err);
            }
        }
        progress(run, i + 1, run->file.n_rows);
    }
    eng_loan_clear(&loan);
    eng_adm_decision_clear(&d);
    return rc;
}

static void summary(const cli_batch_run *run, const char *how)
{
    char fee[ENG_FEN_TEXT], sub[ENG_FEN_TEXT];
    if (run->common.quiet) {
        return;
    }
    eng_fen_format(fee, sizeof(fee), run->total_fee);
    eng_fen_format(sub, sizeof(sub), run->total_subsidy);
    fprintf(stderr,
            "riskshare: %s: %zu loans, %zu admitted, %zu rejected; guarantee fees %s, "
            "fee subsidies %s; %s\n",
            run->path, run->file.n_rows, run->n_admitted, run->file.n_rows - run->n_admitted, fee,
            sub, how);
}

static void print_recorded_row(void *ctx, const led_batch_row *row)
{
    cli_report *r = ctx;
    const char *values[] = {row->loan_id, row->admitted ? "admitted" : "rejected",
                            row->admitted ? "" : row->reasons, row->admitted ? row->rule : "",
                            row->admitted ? row->guarantee_fee : "",
                            row->admitted ? row->fee_subsidy : ""};
    cli_report_add(r, values);
}

/* A repeated submit: prints what was recorded the first time. */
static int print_recorded(const cli_batch_run *run, led_db *db, long batch_id)
{
    static const char *const cols[] = {"loan_id", "status", "reasons", "rule", "guarantee_fee",
                                       "fee_subsidy"};
    eng_error err;
    cli_report *r = cli_report_new(cols, 6);
    eng_status rc = r ? led_batch_report(db, run->program, batch_id, print_recorded_row, r, &err)
                      : eng_error_set(&err, ENG_ERROR, "out of memory");
    if (rc != ENG_OK) {
        cli_report_free(r);
        cli_print_error(&err);
        return cli_exit_for(rc);
    }
    cli_report_write(r, stdout, cli_output_format(&run->common));
    cli_report_free(r);
    if (!run->common.quiet) {
        fprintf(stderr, "riskshare: %s: already recorded as batch %ld of %s; nothing changed\n",
                run->path, batch_id, run->program);
    }
    return CLI_EXIT_OK;
}

/* One try of run_with_ledger(): what it works on and how it ended. */
typedef struct {
    cli_batch_run *run;
    const char *conninfo;
    cli_errlist *errs;
    int code;                        /* >= 0: a repeat, its report printed; -1: decided */
} batch_try;

/* Forgets what an earlier try loaded and decided, so a new try starts from scratch. */
static void reset_try(cli_batch_run *run, cli_errlist *errs)
{
    for (size_t i = 0; i < run->n_versions; i++) {
        eng_policy_free(run->versions[i]);
        run->versions[i] = NULL;
    }
    run->n_versions = 0;
    free(run->decisions);
    run->decisions = NULL;
    run->reasons_len = 0;
    run->n_admitted = 0;
    run->total_fee = run->total_subsidy = 0;
    run->batch_id = 0;
    cli_errlist_free(errs);
    assert(errs->total == 0 && run->n_versions == 0);
}

/*
 * Decides every loan against the state the transaction reads (and records it for
 * submit).  A submit's rejected loans whose ids are recorded go to `errs`
 * (ENG_EINVALID); an admitted one's makes the COPY of loans fail on the table's key.
 */
static eng_status decide_and_record(cli_batch_run *run, led_db *db, led_journal *j,
                                    cli_errlist *errs, eng_error *err)
{
    eng_adm_state st;
    eng_status rc = eng_adm_state_init(&st);
    if (rc != ENG_OK) {
        return eng_error_set(err, rc, "out of memory");
    }
    rc = load_state(&st, run, db, err);
    if (rc == ENG_OK && run->submit) {
        rc = cli_batch_record_begin(run, db, err);
    }
    if (rc == ENG_OK) {
        rc = decide_all(run, &st, run->submit ? db : NULL, err);
    }
    eng_adm_state_clear(&st);
    if (rc == ENG_OK && run->submit) {
        rc = cli_batch_record_loans_end(db, err);
    }
    if (rc == ENG_OK && run->submit && run->n_admitted < run->file.n_rows) {
        rc = check_recorded(run, db, 1, errs, err);
        rc = rc == ENG_OK && errs->total ? ENG_EINVALID : rc;
    }
    if (rc == ENG_OK && run->submit) {
        rc = cli_batch_record_finish(run, db, j, err);
    }
    return rc;
}

/*
 * One try, from scratch (cli_attempt_fn): connects, loads the program's versions,
 * and in one transaction -- a write transaction holding the program's chain head
 * for submit, a read-only snapshot for check -- decides (and records) the batch.
 * Prints nothing unless the file is a repeat (its recorded report, t->code set).
 */
static eng_status batch_attempt(void *ctx, eng_error *err)
{
    batch_try *t = ctx;
    cli_batch_run *run = t->run;
    led_db *db = NULL;
    led_journal *j = NULL;

    reset_try(run, t->errs);
    eng_error_clear(err);
    t->code = -1;
    eng_status rc = led_connect(&db, t->conninfo, err);
    if (rc == ENG_OK) {
        rc = load_stored_policies(run, db, err);
    }
    if (rc == ENG_OK) {
        check_parties(run, t->errs);
        rc = t->errs->total ? ENG_EINVALID : ENG_OK;
    }
    if (rc == ENG_OK) {
        rc = run->submit ? led_journal_begin(&j, db, run->program, err) : led_read_begin(db, err);
    }
    if (rc == ENG_OK && run->submit) {
        rc = led_batch_find(&run->batch_id, db, run->program, run->agency, run->sha256, err);
        if (rc == ENG_OK && run->batch_id > 0) {
            t->code = print_recorded(run, db, run->batch_id);
        }
    }
    if (rc == ENG_OK && t->code < 0 && !run->submit) {
        rc = check_recorded(run, db, 0, t->errs, err);
        rc = rc == ENG_OK && t->errs->total ? ENG_EINVALID : rc;
    }
    if (rc == ENG_OK && t->code < 0) {
        rc = decide_and_record(run, db, j, t->errs, err);
        if (rc == ENG_OK && run->submit) {
            rc = led_journal_commit(j, err);
            j = NULL;
        }
    }
    /*
     * A submit does not look up its million ids before recording: the key of `loans`
     * refuses an admitted loan whose id is recorded (23505), and only then, with the
     * transaction rolled back, are the rows named -- as a check names them.
     */
    if (rc != ENG_OK && run->submit && t->code < 0 && strcmp(err->sqlstate, "23505") == 0) {
        eng_error lookup;
        eng_error_clear(&lookup);
        led_journal_abort(j);
        j = NULL;
        if (check_recorded(run, db, 0, t->errs, &lookup) == ENG_OK && t->errs->total > 0) {
            rc = ENG_EINVALID;
        }
    }
    if (j != NULL) {
        led_journal_abort(j);
    } else if (!run->submit && db != NULL) {
        led_read_end(db);
    }
    led_close(db);
    return rc;
}

/*
 * Decides (and for submit records) the batch against the ledger at `conninfo`,
 * trying again from scratch when the database reports a conflict (cli_retry);
 * prints the report of the try that succeeded.
 */
static int run_with_ledger(cli_batch_run *run, const char *conninfo, cli_errlist *errs)
{
    batch_try t = {run, conninfo, errs, -1};
    eng_error err;

    eng_error_clear(&err);
    eng_status rc = cli_retry(batch_attempt, &t, run->submit ? "batch submit" : "batch check",
                              &err);
    if (rc != ENG_OK) {
        return cli_fail(errs, rc, &err);
    }
    if (t.code >= 0) {
        return t.code;
    }
    int code = cli_batch_write_report(run);
    char how[128];
    snprintf(how, sizeof(how), run->submit ? "recorded as batch %ld" : "nothing recorded",
             run->batch_id);
    summary(run, how);
    return code;
}

/* `batch check --policy FILE...`: no database, an empty ledger. */
static int run_offline(cli_batch_run *run, cli_errlist *errs)
{
    eng_adm_state st;
    eng_error err;
    int code = load_policy_files(run);
    if (code != CLI_EXIT_OK) {
        return code;
    }
    check_parties(run, errs);
    if (errs->total > 0) {
        cli_errlist_print(errs, stderr);
        return CLI_EXIT_DATAERR;
    }
    eng_status rc = eng_adm_state_init(&st);
    if (rc == ENG_OK) {
        rc = decide_all(run, &st, NULL, &err);
        eng_adm_state_clear(&st);
    }
    if (rc != ENG_OK) {
        cli_print_error(&err);
        return cli_exit_for(rc);
    }
    code = cli_batch_write_report(run);
    summary(run, "nothing recorded (no database: an empty ledger assumed)");
    return code;
}

static void run_free(cli_batch_run *run)
{
    for (size_t i = 0; i < run->n_versions; i++) {
        eng_policy_free(run->versions[i]);
    }
    cli_loans_free(&run->file);
    free(run->decisions);
    free(run->reasons);
    free(run->row);
}

int cli_cmd_batch(int argc, char **argv)
{
    cli_batch_run run;
    cli_errlist errs;
    eng_error err;
    int code;

    memset(&run, 0, sizeof(run));
    int parsed = parse_args(&run, argc, argv);
    if (parsed <= 0) {
        fputs(parsed == 0 ? usage : "", parsed == 0 ? stdout : stderr);
        return parsed == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    cli_errlist_init(&errs);
    eng_status rc = cli_loans_read(&run.file, run.path, run.encoding, &errs);
    if (rc == ENG_OK) {
        rc = hash_file(run.sha256, run.path, &err);
        if (rc != ENG_OK) {
            cli_print_error(&err);
        }
    } else if (rc == ENG_EUSAGE) {
        cli_errorf("batch: unknown encoding \"%s\" (expected utf-8|gbk)", run.encoding);
    } else {
        cli_errlist_print(&errs, stderr);
    }
    if (rc != ENG_OK) {
        code = rc == ENG_EUSAGE ? CLI_EXIT_USAGE : CLI_EXIT_DATAERR;
    } else if (run.n_policy_files > 0) {
        code = run_offline(&run, &errs);
    } else {
        char *conninfo = NULL;
        rc = led_conninfo_resolve(&conninfo, run.common.db, &err);
        code = rc == ENG_OK ? run_with_ledger(&run, conninfo, &errs) : cli_fail(&errs, rc, &err);
        free(conninfo);
    }
    cli_errlist_free(&errs);
    run_free(&run);
    return code;
}
