/*
 * cmd_events.c -- `riskshare events import` (DESIGN 5, 6, 7, 8, 10).
 *
 * The flow: read and validate the whole file (every error, exit 65, nothing
 * recorded); in one transaction holding the program's chain head, find the
 * event ids already recorded (the same content is skipped, other content is
 * an error), load the loans the file names with their history and the
 * program's running totals, apply every new event in file order (each sees
 * the ones before it), and record them: events, defaults, entries, claims.
 * Any input error anywhere means nothing is recorded.
 */
#include "cmd_events.h"

#include <assert.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "events_store.h"
#include "journal.h"
#include "ledger.h"
#include "programs.h"
#include "report.h"

static const char usage[] =
    "usage: riskshare events import --program P FILE\n"
    "options: --encoding utf-8|gbk  --db CONNINFO  --format table|csv|json  --quiet\n"
    "Applies funding, repayment, default and recovery events in file order and records\n"
    "them in one transaction; an event_id already recorded with the same content is\n"
    "skipped, with other content it is an error (exit 65, nothing recorded).\n";

static int parse_args(cli_events_run *run, int argc, char **argv)
{
    int n = cli_common_parse(&run->common, argc, argv);
    if (n < 0) {
        return -1;
    }
    if (run->common.help) {
        return 0;
    }
    if (n < 1 || strcmp(argv[0], "import") != 0) {
        cli_errorf("events: expected import (see --help)");
        return -1;
    }
    for (int i = 1; i < n; i++) {
        const char *a = argv[i];
        const char **slot = strcmp(a, "--program") == 0    ? &run->program
                            : strcmp(a, "--encoding") == 0 ? &run->encoding
                                                           : NULL;
        if (slot != NULL) {
            if (i + 1 >= n) {
                cli_errorf("events: %s needs a value", a);
                return -1;
            }
            *slot = argv[++i];
        } else if (a[0] == '-' && a[1] != '\0') {
            cli_errorf("events: unknown option \"%s\"", a);
            return -1;
        } else if (run->path != NULL) {
            cli_errorf("events: one FILE only");
            return -1;
        } else {
            run->path = a;
        }
    }
    if (run->program == NULL || run->path == NULL) {
        cli_errorf("events import: --program and FILE are required");
        return -1;
    }
    return 1;
}

int cli_events_first_pool(const eng_policy *p)
{
    for (size_t k = 0; k < p->n_parties; k++) {
        if (p->parties[k].kind == ENG_PARTY_POOL) {
            return (int)k;
        }
    }
    return -1;
}

static uint32_t col(const cli_events_run *run, cli_event_col c)
{
    return (uint32_t)run->file.col[c];
}

/* ---- events already recorded ---------------------------------------------------------- */

typedef struct {
    cli_events_run *run;
} rec_ctx;

static eng_fen fen_or_zero(const char *text, int *has)
{
    eng_error err;
    eng_fen v = 0;
    *has = text != NULL;
    if (text != NULL && eng_money_parse(&v, text, strlen(text), &err) != ENG_OK) {
        v = -1; /* never equal to a valid amount */
    }
    return v;
}

static void on_recorded_event(void *ctx, size_t index, const led_event_row *row)
{
    rec_ctx *c = ctx;
    cli_events_run *run = c->run;
    const cli_event_row *mine = &run->file.rows[index];
    cli_event_row theirs = *mine;
    eng_error err;
    int has = 0;

    theirs.kind = CLI_EVENT_NKINDS;
    for (int k = 0; k < CLI_EVENT_NKINDS; k++) {
        if (strcmp(row->kind, cli_event_kind_name((cli_event_kind)k)) == 0) {
            theirs.kind = (uint8_t)k;
        }
    }
    if (eng_date_parse(&theirs.date, row->date, strlen(row->date), &err) != ENG_OK) {
        theirs.date = -1;
    }
    theirs.loan_id = row->loan_id;
    theirs.party = row->party;
    theirs.amount = fen_or_zero(row->amount, &has);
    theirs.interest = fen_or_zero(row->interest, &has);
    theirs.cost = fen_or_zero(row->cost, &has);
    if (!cli_event_same(mine, &theirs)) {
        run->items[index].status = CLI_EV_BAD;
        run->items[index].why = 1;
        return;
    }
    run->items[index].status = CLI_EV_SKIPPED;
    run->items[index].outcome = strdup(row->outcome ? row->outcome : "{}");
    run->n_skipped++;
}

static eng_status find_recorded(cli_events_run *run, led_db *db, eng_error *err)
{
    size_t n = run->file.n_rows;
    const char **ids = malloc((n + 1) * sizeof(char *));
    if (ids == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        ids[i] = run->file.rows[i].event_id;
    }
    rec_ctx ctx = {run};
    eng_status rc = led_events_recorded(db, run->program, ids, n, on_recorded_event, &ctx, err);
    free(ids);
    return rc;
}

/* ---- the loans the file names --------------------------------------------------------- */

typedef struct {
    cli_events_run *run;
    eng_tally *index;     /* loan_id -> 1 + index into run->loans */
    eng_status rc;
    eng_error *err;
} loan_ctx;

/* Parses the loan's recorded shares `{"party": "ratio", ...}` into l->share. */
static eng_status parse_shares(eng_life_loan *l, const char *text, eng_error *err)
{
    json_error_t jerr;
    json_t *obj = json_loads(text, 0, &jerr);
    const char *key;
    json_t *v;
    eng_status rc = obj && json_is_object(obj) ? ENG_OK
                                               : eng_error_set(err, ENG_EDB,
                                                               "loan %s: unreadable shares",
                                                               l->loan_id);
    if (rc == ENG_OK) {
        json_object_foreach(obj, key, v)
        {
            int k = eng_policy_party(l->policy, key);
            const char *s = json_string_value(v);
            if (k < 0 || s == NULL ||
                eng_num_parse(l->share[k], s, strlen(s), err) != ENG_OK) {
                rc = eng_error_set(err, ENG_EDB, "loan %s: share of \"%s\" unreadable",
                                   l->loan_id, key);
                break;
            }
        }
    }
    json_decref(obj);
    return rc;
}

/* Fills the history of `l` from "date:amount,..." and "position:amount,...". */
static eng_status parse_history(eng_life_loan *l, const led_life_loan_row *row, eng_error *err)
{
    eng_error e2;
    const char *p = row->repayments;
    while (p != NULL && *p != '\0') {
        eng_date d;
        eng_fen amount = 0;
        const char *colon = strchr(p, ':'), *comma = strchr(p, ',');
        size_t alen = comma ? (size_t)(comma - colon - 1) : strlen(colon + 1);
        if (colon == NULL || eng_date_parse(&d, p, (size_t)(colon - p), &e2) != ENG_OK ||
            eng_money_parse(&amount, colon + 1, alen, &e2) != ENG_OK ||
            eng_life_loan_add_repayment(l, d, amount) != ENG_OK) {
            return eng_error_set(err, ENG_EDB, "loan %s: unreadable repayments", l->loan_id);
        }
        l->repaid += amount;
        if (l->repaid == l->principal) {
            l->status = ENG_LOAN_CLOSED;
            l->end_date = d;
        }
        p = comma ? comma + 1 : NULL;
    }
    if (eng_money_parse(&l->interest_paid, row->interest_paid, strlen(row->interest_paid), &e2) !=
            ENG_OK ||
        eng_money_parse(&l->recovered, row->recovered, strlen(row->recovered), &e2) != ENG_OK) {
        return eng_error_set(err, ENG_EDB, "loan %s: unreadable totals", l->loan_id);
    }
    if (row->default_date == NULL) {
        return ENG_OK;
    }
    size_t np = l->policy->n_parties;
    l->part = calloc(np + 1, sizeof(eng_fen));
    if (l->part == NULL ||
        eng_date_parse(&l->default_date, row->default_date, strlen(row->default_date), &e2) !=
            ENG_OK ||
        eng_money_parse(&l->loss_base, row->loss_base, strlen(row->loss_base), &e2) != ENG_OK) {
        return eng_error_set(err, ENG_EDB, "loan %s: unreadable default", l->loan_id);
    }
    l->status = ENG_LOAN_DEFAULTED;
    l->end_date = l->default_date;
    for (p = row->parts; p != NULL && *p != '\0';) {
        char *end = NULL;
        long pos = strtol(p, &end, 10);
        const char *comma = strchr(p, ',');
        eng_fen amount = 0;
        size_t alen = comma ? (size_t)(comma - end - 1) : strlen(end + 1);
        if (end == NULL || *end != ':' || pos < 0 || (size_t)pos >= np ||
            eng_money_parse(&amount, end + 1, alen, &e2) != ENG_OK) {
            return eng_error_set(err, ENG_EDB, "loan %s: unreadable default parts", l->loan_id);
        }
        l->part[pos] = amount;
        p = comma ? comma + 1 : NULL;
    }
    return ENG_OK;
}

static void on_loan(void *ctx, const led_life_loan_row *row)
{
    loan_ctx *c = ctx;
    cli_events_run *run = c->run;
    if (c->rc != ENG_OK) {
        return;
    }
    const eng_policy *p = cli_program_version(run->versions, run->n_versions, row->version);
    if (p == NULL) {
        c->rc = eng_error_set(c->err, ENG_EDB, "loan %s: version %ld is not loaded", row->loan_id,
                              row->version);
        return;
    }
    cli_ev_loan *L = &run->loans[run->n_loans];
    eng_life_loan *l = &L->life;
    eng_error e2;
    if (eng_life_loan_init(l, p) != ENG_OK) {
        c->rc = eng_error_set(c->err, ENG_ERROR, "out of memory");
        return;
    }
    run->n_loans++;
    L->loan_id = strdup(row->loan_id);
    L->agency = strdup(row->agency);
    L->borrower_code = strdup(row->borrower_code);
    l->loan_id = L->loan_id;
    l->borrower_code = L->borrower_code;
    for (size_t r = 0; r < p->terms.n_rules; r++) {
        l->rule = strcmp(p->terms.rules[r].id, row->terms_rule) == 0 ? (int)r : l->rule;
    }
    l->bank = eng_policy_party(p, row->bank);
    l->guarantor = row->guarantor ? eng_policy_party(p, row->guarantor) : -1;
    if (L->loan_id == NULL || L->agency == NULL || L->borrower_code == NULL || l->rule < 0 ||
        l->bank < 0 || (row->guarantor && l->guarantor < 0) ||
        eng_money_parse(&l->principal, row->principal, strlen(row->principal), &e2) != ENG_OK ||
        eng_num_parse(l->annual_rate, row->annual_rate, strlen(row->annual_rate), &e2) != ENG_OK ||
        eng_date_parse(&l->start_date, row->start_date, strlen(row->start_date), &e2) != ENG_OK) {
        c->rc = eng_error_set(c->err, ENG_EDB, "loan %s: unreadable loan row", row->loan_id);
        return;
    }
    c->rc = parse_shares(l, row->shares, c->err);
    if (c->rc == ENG_OK) {
        c->rc = parse_history(l, row, c->err);
    }
    if (c->rc == ENG_OK &&
        eng_tally_add(c->index, row->loan_id, strlen(row->loan_id), (int64_t)run->n_loans, 0) !=
            ENG_OK) {
        c->rc = eng_error_set(c->err, ENG_ERROR, "out of memory");
    }
}

/* Loads the loans of the new rows; a row naming an unknown loan is an input error. */
static eng_status load_loans(cli_events_run *run, led_db *db, eng_error *err)
{
    size_t n = run->file.n_rows, k = 0;
    const char **ids = malloc((n + 1) * sizeof(char *));
    loan_ctx ctx = {run, eng_tally_new(), ENG_OK, err};
    run->loans = calloc(n + 1, sizeof(cli_ev_loan));
    if (ids == NULL || ctx.index == NULL || run->loans == NULL) {
        free(ids);
        eng_tally_free(ctx.index);
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        if (run->items[i].status == CLI_EV_NEW && run->file.rows[i].loan_id != NULL) {
            ids[k++] = run->file.rows[i].loan_id;
        }
    }
    eng_status rc = led_life_loans(db, run->program, ids, k, on_loan, &ctx, err);
    rc = rc == ENG_OK ? ctx.rc : rc;
    for (size_t i = 0; rc == ENG_OK && i < n; i++) {
        const cli_event_row *row = &run->file.rows[i];
        int64_t a = 0, b = 0;
        run->items[i].loan = -1;
        if (run->items[i].status != CLI_EV_NEW || row->loan_id == NULL) {
            continue;
        }
        if (!eng_tally_get(ctx.index, row->loan_id, strlen(row->loan_id), &a, &b)) {
            run->items[i].status = CLI_EV_BAD;
            run->items[i].why = 2;
        } else {
            run->items[i].loan = (int32_t)(a - 1);
        }
    }
    free(ids);
    eng_tally_free(ctx.index);
    return rc;
}

/* ---- applying the events -------------------------------------------------------------- */

static int is_pool(const cli_events_run *run, const char *party)
{
    for (size_t v = 0; v < run->n_versions; v++) {
        int k = eng_policy_party(run->versions[v], party);
        if (k >= 0 && run->versions[v]->parties[k].kind == ENG_PARTY_POOL) {
            return 1;
        }
    }
    return 0;
}

/* The years whose totals the file's defaults need (DESIGN 10). */
static eng_status needed_years(eng_life_state *st, const cli_events_run *run, eng_error *err)
{
    for (size_t i = 0; i < run->file.n_rows; i++) {
        const cli_event_row *row = &run->file.rows[i];
        if (run->items[i].status != CLI_EV_NEW || row->kind != CLI_EVENT_DEFAULT) {
            continue;
        }
        const eng_policy *p = run->loans[run->items[i].loan].life.policy;
        int y, m, d, need_prior = 0, need_year = 0;
        eng_date_to_ymd(row->date, &y, &m, &d);
        for (size_t c = 0; c < p->n_caps; c++) {
            need_prior |= p->caps[c].per == ENG_CAP_BANK_YEAR && p->caps[c].pct.set;
        }
        for (size_t b = 0; b < p->n_breakers; b++) {
            need_year |= p->breakers[b].action == ENG_ACTION_STOP_PAYMENTS &&
                         p->breakers[b].window == ENG_WINDOW_YEAR;
        }
        if ((need_prior && eng_life_state_add_year(st, y - 1) != ENG_OK) ||
            (need_year && eng_life_state_add_year(st, y) != ENG_OK)) {
            return eng_error_set(err, ENG_ELIMIT,
                                 "%s: the defaults span more than 16 years of totals; import "
                                 "them in several files",
                                 run->path);
        }
    }
    return ENG_OK;
}

static eng_status keep_default(cli_ev_item *it, const eng_default_result *r, size_t np)
{
    cli_ev_default *d = calloc(1, sizeof(*d));
    it->dflt = d;
    it->part = malloc((np + 1) * sizeof(eng_fen));
    it->listed = malloc(np + 1);
    if (d == NULL || it->part == NULL || it->listed == NULL ||
        (d->raw = malloc((np + 1) * sizeof(eng_fen))) == NULL ||
        (d->cuts = malloc((r->n_cuts + 1) * sizeof(eng_life_cut))) == NULL ||
        (d->over = malloc((r->n_over + 1) * sizeof(size_t))) == NULL) {
        return ENG_ERROR;
    }
    d->outstanding = r->outstanding;
    d->interest = r->interest;
    d->loss_base = r->loss_base;
    d->claimant = r->claimant;
    d->residual = r->residual;
    memcpy(d->raw, r->raw, np * sizeof(eng_fen));
    memcpy(it->part, r->part, np * sizeof(eng_fen));
    memcpy(it->listed, r->listed, np);
    d->n_cuts = r->n_cuts;
    memcpy(d->cuts, r->cuts, r->n_cuts * sizeof(eng_life_cut));
    d->n_over = r->n_over;
    memcpy(d->over, r->over, r->n_over * sizeof(size_t));
    return ENG_OK;
}

static void fault(cli_errlist *errs, const cli_events_run *run, size_t i, eng_life_fault f)
{
    const cli_event_row *row = &run->file.rows[i];
    cli_event_col c = f == ENG_LIFE_BEFORE_START || f == ENG_LIFE_BEFORE_DEFAULT ? CLI_EV_DATE
                      : f == ENG_LIFE_OVER_OUTSTANDING || f == ENG_LIFE_OVER_LOSS_BASE
                          ? CLI_EV_AMOUNT
                      : f == ENG_LIFE_COST_CAP ? CLI_EV_COST
                                               : CLI_EV_LOAN_ID;
    cli_errlist_add(errs, run->path, row->line, col(run, c), "%s: this %s %s (loan %s)",
                    cli_event_col_name(c), cli_event_kind_name((cli_event_kind)row->kind),
                    eng_life_fault_text(f), row->loan_id);
}

static eng_status apply_all(cli_events_run *run, eng_life_state *st, cli_errlist *errs,
                            eng_error *err)
{
    eng_default_result *r = malloc(sizeof(*r));
    eng_status rc = r ? ENG_OK : eng_error_set(err, ENG_ERROR, "out of memory");
    for (size_t i = 0; rc == ENG_OK && i < run->file.n_rows; i++) {
        const cli_event_row *row = &run->file.rows[i];
        cli_ev_item *it = &run->items[i];
        eng_life_fault f = ENG_LIFE_OK;
        if (it->why == 1) {
            cli_errlist_add(errs, run->path, row->line, col(run, CLI_EV_EVENT_ID),
                            "event_id \"%s\" is already recorded in %s with other content",
                            row->event_id, run->program);
        } else if (it->why == 2) {
            cli_errlist_add(errs, run->path, row->line, col(run, CLI_EV_LOAN_ID),
                            "loan_id \"%s\" is not an admitted loan of %s", row->loan_id,
                            run->program);
        }
        if (it->status != CLI_EV_NEW) {
            continue;
        }
        if (row->kind == CLI_EVENT_FUNDING) {
            if (!is_pool(run, row->party)) {
                cli_errlist_add(errs, run->path, row->line, col(run, CLI_EV_PARTY),
                                "party \"%s\" is not a pool of %s", row->party, run->program);
                it->status = CLI_EV_BAD;
            }
            continue;
        }
        eng_life_loan *l = &run->loans[it->loan].life;
        size_t np = l->policy->n_parties;
        int closed = 0;
        switch (row->kind) {
        case CLI_EVENT_REPAYMENT:
            rc = eng_life_repay(&it->subsidy, &closed, &f, st, l, row->date, row->amount,
                                row->interest, err);
            it->closed = (uint8_t)closed;
            break;
        case CLI_EVENT_DEFAULT:
            rc = eng_life_default(r, &f, st, l, row->date, row->interest, err);
            if (rc == ENG_OK && f == ENG_LIFE_OK && keep_default(it, r, np) != ENG_OK) {
                rc = eng_error_set(err, ENG_ERROR, "out of memory");
            }
            break;
        default:
            it->part = malloc((np + 1) * sizeof(eng_fen));
            it->listed = malloc(np + 1);
            if (it->part == NULL || it->listed == NULL) {
                rc = eng_error_set(err, ENG_ERROR, "out of memory");
                break;
            }
            rc = eng_life_recover(it->part, &f, l, row->date, row->amount, row->cost, err);
            for (size_t k = 0; k < np; k++) {
                /* the parties the default listed: a share, or the residual took something */
                it->listed[k] = mpq_sgn(l->share[k]) != 0 || (l->part && l->part[k] != 0);
            }
            break;
        }
        if (rc == ENG_OK && f != ENG_LIFE_OK) {
            fault(errs, run, i, f);
            it->status = CLI_EV_BAD;
        }
    }
    for (size_t i = 0; i < run->file.n_rows; i++) {
        run->n_new += run->items[i].status == CLI_EV_NEW;
    }
    free(r);
    return rc;
}

/* ---- the report ----------------------------------------------------------------------- */

void cli_events_rows(const cli_events_run *run, size_t i,
                     void (*fn)(void *ctx, const char *party, eng_fen amount), void *ctx)
{
    const cli_event_row *row = &run->file.rows[i];
    const cli_ev_item *it = &run->items[i];
    if (row->kind == CLI_EVENT_FUNDING) {
        fn(ctx, row->party, row->amount);
        return;
    }
    if (row->kind == CLI_EVENT_REPAYMENT) {
        fn(ctx, "", row->amount);
        return;
    }
    const eng_policy *p = run->loans[it->loan].life.policy;
    for (size_t k = 0; k < p->n_parties; k++) {
        if (it->listed[k]) {
            fn(ctx, p->parties[k].id, it->part[k]);
        }
    }
}

static void outcome_row(void *ctx, const char *party, eng_fen amount)
{
    char text[ENG_FEN_TEXT];
    eng_fen_format(text, sizeof(text), amount);
    json_array_append_new(json_object_get(ctx, "rows"), json_pack("[ss]", party, text));
}

char *cli_events_outcome(const cli_events_run *run, size_t i)
{
    json_t *o = json_pack("{s[]}", "rows");
    if (o == NULL) {
        return NULL;
    }
    cli_events_rows(run, i, outcome_row, o);
    const cli_ev_item *it = &run->items[i];
    if (run->file.rows[i].kind == CLI_EVENT_REPAYMENT) {
        char text[ENG_FEN_TEXT];
        eng_fen_format(text, sizeof(text), it->subsidy);
        json_object_set_new(o, "closed", json_boolean(it->closed));
        json_object_set_new(o, "interest_subsidy", json_string(text));
    } else if (it->dflt != NULL) {
        char text[ENG_FEN_TEXT];
        eng_fen_format(text, sizeof(text), it->dflt->loss_base);
        json_object_set_new(o, "loss_base", json_string(text));
    }
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}

typedef struct {
    cli_report *r;
    const cli_event_row *row;
} report_ctx;

static void report_row(void *ctx, const char *party, eng_fen amount)
{
    report_ctx *c = ctx;
    char text[ENG_FEN_TEXT];
    eng_fen_format(text, sizeof(text), amount);
    const char *values[] = {c->row->event_id, cli_event_kind_name((cli_event_kind)c->row->kind),
                            c->row->loan_id ? c->row->loan_id : "", party, text};
    cli_report_add(c->r, values);
}

/* The rows recorded the first time for a skipped event. */
static void report_recorded(cli_report *r, const cli_event_row *row, const char *outcome)
{
    json_error_t jerr;
    json_t *o = json_loads(outcome, 0, &jerr);
    json_t *rows = json_object_get(o, "rows"), *pair;
    size_t k;
    json_array_foreach(rows, k, pair)
    {
        const char *values[] = {row->event_id, cli_event_kind_name((cli_event_kind)row->kind),
                                row->loan_id ? row->loan_id : "",
                                json_string_value(json_array_get(pair, 0)),
                                json_string_value(json_array_get(pair, 1))};
        cli_report_add(r, values);
    }
    json_decref(o);
}

static int write_report(const cli_events_run *run)
{
    static const char *const cols[] = {"event_id", "kind", "loan_id", "party", "amount"};
    cli_report *r = cli_report_new(cols, 5);
    if (r == NULL) {
        cli_errorf("out of memory");
        return CLI_EXIT_SOFTWARE;
    }
    for (size_t i = 0; i < run->file.n_rows; i++) {
        report_ctx c = {r, &run->file.rows[i]};
        if (run->items[i].status == CLI_EV_SKIPPED) {
            report_recorded(r, c.row, run->items[i].outcome);
        } else {
            cli_events_rows(run, i, report_row, &c);
        }
    }
    int rc = cli_report_write(r, stdout, cli_output_format(&run->common));
    cli_report_free(r);
    return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_SOFTWARE;
}

/* ---- the run -------------------------------------------------------------------------- */

/* Frees what the rows' outcomes and the loaded loans and versions hold. */
static void free_loaded(cli_events_run *run)
{
    for (size_t i = 0; run->items && i < run->file.n_rows; i++) {
        cli_ev_item *it = &run->items[i];
        if (it->dflt) {
            free(it->dflt->raw);
            free(it->dflt->cuts);
            free(it->dflt->over);
            free(it->dflt);
        }
        free(it->part);
        free(it->listed);
        free(it->outcome);
    }
    for (size_t i = 0; i < run->n_loans; i++) {
        eng_life_loan_clear(&run->loans[i].life);
        free(run->loans[i].agency);
        free(run->loans[i].borrower_code);
        free(run->loans[i].loan_id);
    }
    free(run->loans);
    run->loans = NULL;
    run->n_loans = 0;
    for (size_t i = 0; i < run->n_versions; i++) {
        eng_policy_free(run->versions[i]);
        run->versions[i] = NULL;
    }
    run->n_versions = 0;
}

/* Forgets what an earlier try loaded and decided, so a new try starts from scratch. */
static void reset_try(cli_events_run *run, cli_errlist *errs)
{
    free_loaded(run);
    if (run->items != NULL) {
        memset(run->items, 0, (run->file.n_rows + 1) * sizeof(cli_ev_item));
    }
    run->n_new = run->n_skipped = 0;
    run->first_event_no = 0;
    cli_errlist_free(errs);
    assert(errs->total == 0 && run->n_loans == 0 && run->n_versions == 0);
}

/* One try of run_with_ledger(): what it works on. */
typedef struct {
    cli_events_run *run;
    const char *conninfo;
    cli_errlist *errs;
} events_try;

/* Reads the recorded state the file needs and applies every new event to it. */
static eng_status load_and_apply(cli_events_run *run, led_db *db, cli_errlist *errs,
                                 eng_error *err)
{
    eng_life_state st;
    eng_status rc = led_events_head(&run->first_event_no, db, run->program, err);
    run->first_event_no++;
    if (rc == ENG_OK) {
        rc = find_recorded(run, db, err);
    }
    if (rc == ENG_OK) {
        rc = load_loans(run, db, err);
    }
    if (rc != ENG_OK) {
        return rc;
    }
    if ((rc = eng_life_state_init(&st)) != ENG_OK) {
        return eng_error_set(err, rc, "out of memory");
    }
    rc = needed_years(&st, run, err);
    if (rc == ENG_OK) {
        rc = led_life_state_load(&st, db, run->program, err);
    }
    if (rc == ENG_OK) {
        rc = apply_all(run, &st, errs, err);
    }
    eng_life_state_clear(&st);
    return rc;
}

/*
 * One try, from scratch (cli_attempt_fn): connects, loads the program's versions,
 * and in one transaction holding the program's chain head reads the recorded
 * events, loans and totals, applies the file and records it.  Prints nothing.
 */
static eng_status events_attempt(void *ctx, eng_error *err)
{
    events_try *t = ctx;
    cli_events_run *run = t->run;
    led_db *db = NULL;
    led_journal *j = NULL;

    reset_try(run, t->errs);
    eng_status rc = led_connect(&db, t->conninfo, err);
    if (rc == ENG_OK) {
        rc = cli_program_policies(run->versions, &run->n_versions, CLI_EVENTS_POLICIES_MAX, db,
                                  run->program, err);
    }
    if (rc == ENG_OK) {
        rc = led_journal_begin(&j, db, run->program, err);
    }
    if (rc == ENG_OK) {
        rc = load_and_apply(run, db, t->errs, err);
    }
    if (rc == ENG_OK && t->errs->total > 0) {
        rc = ENG_EINVALID;
    }
    if (rc == ENG_OK && run->n_new > 0) {
        rc = cli_events_record(run, db, j, err);
    }
    if (rc == ENG_OK) {
        rc = led_journal_commit(j, err);
        j = NULL;
    }
    led_journal_abort(j);
    led_close(db);
    return rc;
}

/*
 * Imports the file into the ledger at `conninfo`, trying again from scratch when
 * the database reports a conflict (cli_retry); prints the report of the try that
 * succeeded.
 */
static int run_with_ledger(cli_events_run *run, const char *conninfo, cli_errlist *errs)
{
    events_try t = {run, conninfo, errs};
    eng_error err;

    eng_error_clear(&err);
    eng_status rc = cli_retry(events_attempt, &t, "events import", &err);
    if (rc != ENG_OK) {
        return cli_fail(errs, rc, &err);
    }
    int code = write_report(run);
    if (!run->common.quiet) {
        fprintf(stderr, "riskshare: %s: %zu events, %zu recorded, %zu already recorded (skipped)\n",
                run->path, run->file.n_rows, run->n_new, run->n_skipped);
    }
    return code;
}

static void run_free(cli_events_run *run)
{
    free_loaded(run);
    free(run->items);
    cli_events_free(&run->file);
}

int cli_cmd_events(int argc, char **argv)
{
    cli_events_run run;
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
    eng_status rc = cli_events_read(&run.file, run.path, run.encoding, &errs);
    if (rc == ENG_EUSAGE) {
        cli_errorf("events: unknown encoding \"%s\" (expected utf-8|gbk)", run.encoding);
        code = CLI_EXIT_USAGE;
    } else if (rc != ENG_OK) {
        cli_errlist_print(&errs, stderr);
        code = CLI_EXIT_DATAERR;
    } else if ((run.items = calloc(run.file.n_rows + 1, sizeof(cli_ev_item))) == NULL) {
        cli_errorf("out of memory");
        code = CLI_EXIT_SOFTWARE;
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
