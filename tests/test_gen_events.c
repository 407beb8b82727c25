/*
 * test_gen_events.c -- goal: `riskshare gen events` writes the same bytes for the same
 * options; the counts are exact (round(rate x loans), half up) and pinned for a small
 * seed; every row is a valid event of DESIGN 5 for its loan (dated after the start and in
 * the window, whole fen, repayments never above the outstanding, a default after every
 * repayment of its loan and none after a full repayment, recoveries after the default with
 * at most half the outstanding in gross and costs of at most 20%), sorted by date then
 * event id; `--admitted` keeps the rejected loans out; and the output imports with exit 0
 * into a ledger after the loans were submitted, then settles.  Bad options exit 2, bad
 * files 65.
 *
 * Run from the repository root (the policy paths are relative to it).
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_harness.h"
#include "cmd_gen.h"
#include "errlist.h"
#include "loader.h"
#include "loans_csv.h"
#include "money.h"
#include "pg_harness.h"

#define ZZ_2025 "policies/zz-kejidai-2025.yaml"
#define EV_HEADER "event_id,kind,date,loan_id,party,amount,interest,cost\n"

/* ---- helpers ----------------------------------------------------------------------- */

/* Writes a loans CSV of `count` rows (gen loans, seed `seed`, ZZ_2025) to a scratch file. */
static void loans_file(char *path, size_t size, uint64_t count, uint64_t seed)
{
    eng_policy *p = NULL;
    eng_error err;
    char *text = NULL;
    size_t len = 0;
    cr_assert_eq(pol_load_file(&p, ZZ_2025, NULL, NULL, &err), ENG_OK, "%s", err.message);
    FILE *f = open_memstream(&text, &len);
    cli_gen_opts o = CLI_GEN_OPTS_INIT;
    o.policy = p;
    o.count = count;
    o.seed = seed;
    cr_assert_eq(cli_gen_loans(f, NULL, &o, &err), ENG_OK, "%s", err.message);
    fclose(f);
    clh_write_file(path, size, "loans.csv", text);
    free(text);
    eng_policy_free(p);
}

static void read_loans(cli_loan_file *out, const char *path)
{
    cli_errlist errs = CLI_ERRLIST_INIT;
    cr_assert_eq(cli_loans_read(out, path, NULL, &errs), ENG_OK, "%s",
                 errs.n > 0 ? errs.lines[0] : "");
    cli_errlist_free(&errs);
}

/* The events CSV of `o` as one string, and its statistics. */
typedef struct {
    char *text;
    size_t len;
    cli_gen_events_stats stats;
} output;

static output generate(const cli_gen_events_opts *o)
{
    output out;
    eng_error err;
    FILE *f = open_memstream(&out.text, &out.len);
    cr_assert_not_null(f);
    memset(&out.stats, 0, sizeof(out.stats));
    eng_status rc = cli_gen_events(f, &out.stats, o, &err);
    cr_assert_eq(rc, ENG_OK, "cli_gen_events: %s", err.message);
    fclose(f);
    return out;
}

static eng_date date_of(const char *text)
{
    eng_date d = 0;
    eng_error err;
    cr_assert_eq(eng_date_parse(&d, text, strlen(text), &err), ENG_OK, "%s", text);
    return d;
}

static eng_fen fen_of(const char *text)
{
    eng_fen v = 0;
    eng_error err;
    cr_assert_eq(eng_money_parse(&v, text, strlen(text), &err), ENG_OK, "%s", text);
    return v;
}

/* One event row split into its eight fields (no field of ours needs quotes). */
typedef struct {
    char buf[512];
    char *f[8];
} ev_row;

enum { E_ID, E_KIND, E_DATE, E_LOAN, E_PARTY, E_AMOUNT, E_INTEREST, E_COST };

/* Splits the line at `*pos` of `text` and advances `*pos`; 0 at the end of the text. */
static int next_row(ev_row *r, const char *text, size_t *pos)
{
    if (text[*pos] == '\0') {
        return 0;
    }
    const char *nl = strchr(text + *pos, '\n');
    cr_assert_not_null(nl, "every line ends with \\n");
    size_t n = (size_t)(nl - (text + *pos));
    cr_assert_lt(n, sizeof(r->buf));
    memcpy(r->buf, text + *pos, n);
    r->buf[n] = '\0';
    *pos += n + 1;
    int k = 0;
    r->f[k++] = r->buf;
    for (char *s = r->buf; *s != '\0'; s++) {
        if (*s == ',') {
            *s = '\0';
            cr_assert_lt(k, 8, "too many fields");
            r->f[k++] = s + 1;
        }
    }
    cr_assert_eq(k, 8, "8 fields");
    return 1;
}

/* What a loan has seen so far, while checking its events in order. */
typedef struct {
    eng_fen outstanding, owed_at_default, gross;
    int defaulted, closed;
    eng_date default_date;
} loan_seen;

static size_t loan_index(const cli_loan_file *f, const char *id)
{
    for (size_t i = 0; i < f->n_rows; i++) {
        if (strcmp(f->rows[i].loan_id, id) == 0) {
            return i;
        }
    }
    cr_assert_fail("unknown loan %s", id);
    return 0;
}

/* Checks one loan event `r` against what its loan has seen. */
static void check_loan_event(const ev_row *r, const cli_loan_row *loan, loan_seen *s,
                             eng_date date)
{
    cr_assert_gt(date, loan->start_date, "%s: dated after its loan starts", r->f[E_ID]);
    cr_assert_str_eq(r->f[E_PARTY], "");
    if (strcmp(r->f[E_KIND], "repayment") == 0) {
        eng_fen a = fen_of(r->f[E_AMOUNT]);
        cr_assert(!s->defaulted && !s->closed, "%s: repays a closed loan", r->f[E_ID]);
        cr_assert(a > 0 && a <= s->outstanding, "%s: amount above the outstanding", r->f[E_ID]);
        cr_assert_geq(fen_of(r->f[E_INTEREST]), 0);
        cr_assert_str_eq(r->f[E_COST], "");
        s->outstanding -= a;
        s->closed = s->outstanding == 0;
    } else if (strcmp(r->f[E_KIND], "default") == 0) {
        cr_assert(!s->defaulted && !s->closed, "%s: defaults a closed loan", r->f[E_ID]);
        cr_assert_str_eq(r->f[E_AMOUNT], "");
        cr_assert_geq(fen_of(r->f[E_INTEREST]), 0);
        s->defaulted = 1;
        s->owed_at_default = s->outstanding;
        s->default_date = date;
    } else {
        cr_assert_str_eq(r->f[E_KIND], "recovery");
        eng_fen g = fen_of(r->f[E_AMOUNT]), c = fen_of(r->f[E_COST]);
        cr_assert(s->defaulted && date > s->default_date, "%s: recovery before a default",
                  r->f[E_ID]);
        cr_assert(g > 0 && c >= 0 && c * 5 <= g, "%s: cost above 20%% of the gross", r->f[E_ID]);
        s->gross += g;
        cr_assert_leq(s->gross * 2, s->owed_at_default, "%s: recovered more than half",
                      r->f[E_ID]);
        cr_assert_str_eq(r->f[E_INTEREST], "");
    }
}

/* Checks every row of `text` for the loans `f`; returns the count of rows per kind in
   `kinds` (funding, repayment, default, recovery). */
static void check_events(const char *text, const cli_loan_file *f, const cli_gen_events_opts *o,
                         size_t kinds[4])
{
    static const char *const names[] = {"funding", "repayment", "default", "recovery"};
    loan_seen *seen = calloc(f->n_rows, sizeof(*seen));
    ev_row r;
    char last_id[80] = "";
    eng_date last_date = 0;
    size_t pos = strlen(EV_HEADER);

    cr_assert(strncmp(text, EV_HEADER, pos) == 0, "header");
    for (size_t i = 0; i < f->n_rows; i++) {
        seen[i].outstanding = f->rows[i].principal;
    }
    memset(kinds, 0, 4 * sizeof(size_t));
    for (int n = 0; next_row(&r, text, &pos); n++) {
        eng_date date = date_of(r.f[E_DATE]);
        cr_assert(n == 0 || date > last_date ||
                      (date == last_date && strcmp(r.f[E_ID], last_id) > 0),
                  "%s: rows sorted by date then event_id", r.f[E_ID]);
        cr_assert(!o->has_from || date >= o->from);
        cr_assert(!o->has_to || date <= o->to);
        last_date = date;
        snprintf(last_id, sizeof(last_id), "%s", r.f[E_ID]);
        size_t k = 0;
        while (k < 4 && strcmp(r.f[E_KIND], names[k]) != 0) {
            k++;
        }
        cr_assert_lt(k, 4, "kind %s", r.f[E_KIND]);
        kinds[k]++;
        if (k == 0) {
            cr_assert_eq(n, 0, "the funding comes first");
            cr_assert_str_eq(r.f[E_PARTY], o->pool);
            cr_assert_eq(fen_of(r.f[E_AMOUNT]), o->funding);
            continue;
        }
        size_t li = loan_index(f, r.f[E_LOAN]);
        cr_assert(o->take == NULL || o->take[li], "%s: a loan not taken", r.f[E_LOAN]);
        check_loan_event(&r, &f->rows[li], &seen[li], date);
    }
    free(seen);
}

/* ---- determinism, counts, validity ------------------------------------------------- */

Test(gen_events, same_options_same_bytes)
{
    char path[512];
    cli_loan_file f;
    loans_file(path, sizeof(path), 500, 42);
    read_loans(&f, path);
    cli_gen_events_opts o = CLI_GEN_EVENTS_OPTS_INIT;
    o.loans = &f;
    o.seed = 42;
    o.funding = 100000000;
    o.pool = "zz-pool";
    output a = generate(&o), b = generate(&o);
    cr_assert(a.len == b.len && memcmp(a.text, b.text, a.len) == 0, "two runs differ");
    o.seed = 43;
    output c = generate(&o);
    cr_assert(a.len != c.len || memcmp(a.text, c.text, a.len) != 0, "seeds 42 and 43 agree");
    cr_assert_not_null(strstr(c.text, "\nS43-E00000001,funding,"));
    free(a.text), free(b.text), free(c.text);
    cli_loans_free(&f);
}

Test(gen_events, exact_counts_for_a_small_seed)
{
    char path[512];
    cli_loan_file f;
    size_t kinds[4];
    loans_file(path, sizeof(path), 40, 3);
    read_loans(&f, path);
    cli_gen_events_opts o = CLI_GEN_EVENTS_OPTS_INIT;
    o.loans = &f;
    o.seed = 3;
    o.default_rate = "25%";
    o.repay_rate = "1/2";
    o.recovery_rate = "0.5";
    output out = generate(&o);
    check_events(out.text, &f, &o, kinds);
    const cli_gen_events_stats *s = &out.stats;
    cr_assert_eq(s->loans, 40);
    cr_assert_eq(s->eligible, 40, "every loan has room before its maturity");
    cr_assert_eq(s->defaults, 10, "round(25%% x 40)");
    cr_assert_eq(s->repaid_loans, 20, "round(1/2 x 40)");
    cr_assert_eq(s->recovered, 5, "round(0.5 x 10)");
    cr_assert_eq(kinds[0], 0);
    cr_assert_eq(kinds[1], s->repayments);
    cr_assert_eq(kinds[2], 10);
    cr_assert_eq(kinds[3], s->recoveries);
    cr_assert_eq(s->rows, kinds[1] + kinds[2] + kinds[3]);
    /* The pinned figures of seed 3: a change here changes every generated data set. */
    cr_assert(s->repayments == 42 && s->closed == 8 && s->recoveries == 6,
              "repayments %llu closed %llu recoveries %llu", (unsigned long long)s->repayments,
              (unsigned long long)s->closed, (unsigned long long)s->recoveries);
    free(out.text);

    /* Rounding is half up: 0.5 x 3 defaults = 1.5 -> 2 recoveries; 0 and 1 are exact. */
    o.default_rate = "3/40";
    o.recovery_rate = "50%";
    out = generate(&o);
    cr_assert_eq(out.stats.defaults, 3);
    cr_assert_eq(out.stats.recovered, 2);
    free(out.text);
    o.default_rate = "1";
    o.repay_rate = "0";
    o.recovery_rate = "0";
    out = generate(&o);
    cr_assert_eq(out.stats.defaults, 40);
    cr_assert_eq(out.stats.repayments + out.stats.recoveries, 0);
    cr_assert_eq(out.stats.rows, 40);
    free(out.text);
    cli_loans_free(&f);
}

Test(gen_events, rows_are_valid_events_of_their_loans)
{
    char path[512];
    cli_loan_file f;
    size_t kinds[4];
    loans_file(path, sizeof(path), 2000, 11);
    read_loans(&f, path);
    cli_gen_events_opts o = CLI_GEN_EVENTS_OPTS_INIT;
    o.loans = &f;
    o.seed = 11;
    o.default_rate = "20%";
    o.repay_rate = "60%";
    o.recovery_rate = "70%";
    o.funding = 123456;
    o.pool = "zz-pool";
    output out = generate(&o);
    check_events(out.text, &f, &o, kinds);
    cr_assert_eq(kinds[0], 1);
    cr_assert_eq(kinds[2], out.stats.defaults);
    cr_assert_gt(out.stats.closed, 0);
    cr_assert_gt(out.stats.recoveries, out.stats.recovered, "some loans recover twice");
    free(out.text);

    /* A narrow window: only loans with room take events, and every date stays inside. */
    o.has_from = o.has_to = 1;
    o.from = date_of("2025-09-01");
    o.to = date_of("2025-12-31");
    out = generate(&o);
    check_events(out.text, &f, &o, kinds);
    cr_assert_lt(out.stats.eligible, out.stats.loans);
    cr_assert_gt(out.stats.eligible, 0);
    cr_assert_not_null(strstr(out.text, "\nS11-E00000001,funding,2025-09-01,,zz-pool,1234.56,,\n"));
    free(out.text);
    cli_loans_free(&f);
}

Test(gen_events, admitted_filter_takes_only_admitted_loans)
{
    char path[512];
    cli_loan_file f;
    size_t kinds[4];
    loans_file(path, sizeof(path), 300, 5);
    read_loans(&f, path);
    uint8_t *take = calloc(f.n_rows, 1);
    for (size_t i = 0; i < f.n_rows; i += 3) {
        take[i] = 1;
    }
    cli_gen_events_opts o = CLI_GEN_EVENTS_OPTS_INIT;
    o.loans = &f;
    o.take = take;
    o.seed = 5;
    o.default_rate = "50%";
    output out = generate(&o);
    cr_assert_eq(out.stats.loans, 100);
    check_events(out.text, &f, &o, kinds);
    cr_assert_eq(kinds[2], 50);
    free(out.text);
    free(take);
    cli_loans_free(&f);
}

/* ---- through the command line, into a ledger ---------------------------------------- */

static clh_result run(const char *db, const char *const *args)
{
    return clh_run(db, args);
}

static void write_out(char *path, size_t size, const char *name, const clh_result *r)
{
    cr_assert_eq(r->status, 0, "%s", r->err);
    clh_write_file(path, size, name, r->out);
}

Test(gen_events, output_imports_and_settles)
{
    char db[1024], loans[512], report[512], events[512];
    pgh_fresh_db(db, sizeof(db));
    clh_result r = run(db, (const char *const[]){"policy", "load", "--quiet", ZZ_2025, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    clh_free(&r);
    r = run(NULL, (const char *const[]){"gen", "loans", "--count", "400", "--seed", "9",
                                        "--policy", ZZ_2025, NULL});
    write_out(loans, sizeof(loans), "loans.csv", &r);
    clh_free(&r);
    r = run(db, (const char *const[]){"batch", "submit", "--quiet", "--program", "zz-kejidai",
                                      "--agency", "zzbank", loans, NULL});
    write_out(report, sizeof(report), "report.csv", &r);
    cr_assert_not_null(strstr(r.out, ",rejected,"), "some loans are rejected");
    clh_free(&r);
    const char *const gen[] = {"gen", "events", "--loans", loans, "--seed", "9", "--admitted",
                               report, "--default-rate", "10%", "--repay-rate", "40%",
                               "--recovery-rate", "60%", "--funding", "30000000", "--pool",
                               "zz-pool", NULL};
    r = run(NULL, gen);
    write_out(events, sizeof(events), "events.csv", &r);
    clh_result again = run(NULL, gen);
    cr_assert_str_eq(again.out, r.out, "the command prints the same bytes again");
    clh_free(&again);
    clh_free(&r);

    r = run(db, (const char *const[]){"events", "import", "--quiet", "--program", "zz-kejidai",
                                      events, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    clh_free(&r);
    r = run(db, (const char *const[]){"settle", "--quiet", "--program", "zz-kejidai",
                                      "--through", "2030-12-31", "--commit", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    clh_free(&r);
    PGconn *c = pgh_connect(db);
    char *v = pgh_value(c, NULL, "SELECT count(*) FROM defaults WHERE program = 'zz-kejidai'");
    cr_assert_str_eq(v, "38", "round(10%% x the admitted loans), pinned for seed 9");
    free(v);
    v = pgh_value(c, NULL, "SELECT count(*) FROM claims_open WHERE open > 0");
    cr_assert_str_eq(v, "0", "30,000,000 pays every claim");
    free(v);
    PQfinish(c);

    /* Without --admitted, events reach rejected loans and the import refuses the file. */
    r = run(NULL, (const char *const[]){"gen", "events", "--loans", loans, "--seed", "10",
                                        "--default-rate", "1", NULL});
    write_out(events, sizeof(events), "all.csv", &r);
    clh_free(&r);
    r = run(db, (const char *const[]){"events", "import", "--quiet", "--program", "zz-kejidai",
                                      events, NULL});
    cr_assert_eq(r.status, 65, "%s", r.err);
    clh_free(&r);
}

static void quiet(void)
{
    cr_redirect_stdout();
    cr_redirect_stderr();
}

Test(gen_events, command_line_exit_codes, .init = quiet)
{
    char loans[512], report[512], bad[512];
    loans_file(loans, sizeof(loans), 5, 1);
    clh_write_file(report, sizeof(report), "report.csv",
                   "loan_id,status,reasons\nS1-L00000001,admitted,\nS1-L00000002,rejected,x\n");
    clh_write_file(bad, sizeof(bad), "bad.csv", "loan_id,status\nNOPE,admitted\n");
    char eq[600];
    snprintf(eq, sizeof(eq), "--loans=%s", loans);
    const struct {
        int code;
        const char *words[16];
    } cases[] = {
        {0, {"events", "--help"}},
        {2, {"events"}},
        {2, {"events", "--seed", "1"}},
        {2, {"events", "--loans", loans}},
        {2, {"events", "--loans", loans, "--seed", "x"}},
        {2, {"events", "--loans", loans, "--seed", "1", "--default-rate", "2"}},
        {2, {"events", "--loans", loans, "--seed", "1", "--repay-rate", "1e-1"}},
        {2, {"events", "--loans", loans, "--seed", "1", "--funding", "100"}},
        {2, {"events", "--loans", loans, "--seed", "1", "--pool", "p"}},
        {2, {"events", "--loans", loans, "--seed", "1", "--funding", "1.001", "--pool", "p"}},
        {2, {"events", "--loans", loans, "--seed", "1", "--funding", "0", "--pool", "p"}},
        {2, {"events", "--loans", loans, "--seed", "1", "--from", "2025-02-30"}},
        {2, {"events", "--loans", loans, "--seed", "1", "--from", "2026-01-02", "--to",
             "2026-01-01"}},
        {2, {"events", "--loans", loans, "--seed", "1", "--colour"}},
        {65, {"events", "--loans", "tests/data/no-such.csv", "--seed", "1"}},
        {65, {"events", "--loans", loans, "--seed", "1", "--admitted", bad}},
        {65, {"events", "--loans", loans, "--seed", "1", "--admitted", loans}},
        {0, {"events", "--loans", loans, "--seed", "1", "--admitted", report}},
        {65, {"events", "--loans=/dev/null", "--seed=1"}},
        {0, {"events", eq, "--seed=1", "--default-rate=1", "--funding=5", "--pool=p"}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *argv[16];
        int argc = 0;
        for (; cases[i].words[argc] != NULL; argc++) {
            argv[argc] = (char *)cases[i].words[argc];
        }
        argv[argc] = NULL;
        cr_assert_eq(cli_cmd_gen(argc, argv), cases[i].code, "case %zu", i);
    }
}
