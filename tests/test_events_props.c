/*
 * test_events_props.c -- goal: the ledger's invariants hold over many random programs and
 * their loans' lives, run as users run them (policy load, batch submit, events import,
 * settle --commit) against a real server (DESIGN 6, 7, 10; issue 4 item 5):
 *
 *   - every entry balances per party: debits = credits per (seq, party);
 *   - every default's raw parts and final parts each sum to its loss base, and the loss
 *     base is the outstanding principal (plus the capped unpaid interest) the test expects;
 *   - each pool's cash = its funding + its recovery shares - what settlements paid;
 *     it never goes below zero;
 *   - no claim is paid more than its amount, none appears twice in one settlement, and
 *     for every claim paid (settlement payments) + open (claims_open) = amount; a claim's
 *     open_before in a settlement is its amount less what earlier settlements paid;
 *   - a settlement preview lists what the commit then records;
 *   - every recovery is split by what each party bore (borne) or by the raw shares
 *     (nominal), and every settlement pays what the test recomputes (all when the cash
 *     covers the claims, else fifo or pro rata by largest remainder, in claim order);
 *   - where no cap and no stop_payments breaker applies, each default's allocation equals
 *     the test's own largest-remainder split of the loss base by the loan's shares.
 *
 * Each scenario is a fresh program `p<seed>` with a policy drawn from the seed: a pool, a
 * reguarantor or government (sometimes), one or two guarantors, two banks, in a random
 * order; exact random shares; random caps; a random residual, recovery basis, loss basis,
 * rounding and shortfall rule; sometimes a stop_payments breaker and subsidies.  Then 5-30
 * loans, funding, repayments, defaults and recoveries (valid ones), one or two committed
 * settlements (some previewed first), now and then events on the same day as the loan's
 * start or its previous event, and a repeated import (skipped, nothing changes).  Four
 * Test()s split the scenarios so Criterion runs them in parallel, each on one fresh
 * database.  Every failure names its seed: rerun one with
 * RISKSHARE_PROPS_SEED=<seed> RISKSHARE_PROPS_COUNT=1 (it runs in the first block).
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_harness.h"
#include "date.h"
#include "money.h"
#include "pg_harness.h"
#include "prng.h"
#include "uscc.h"

#define BLOCKS 4
#define PER_BLOCK 50              /* 4 x 50 = 200 scenarios */
#define PARTY_MAX 6
#define LOANS_MAX 30
#define EVENTS_MAX (LOANS_MAX * 6 + 2)
#define TEXT_MAX 65536

enum { ROLE_NONE, ROLE_POOL, ROLE_RG, ROLE_GU, ROLE_BANK, ROLE__COUNT };
enum { EV_FUNDING, EV_REPAY, EV_DEFAULT, EV_RECOVERY };

/* ---- the scenario ------------------------------------------------------------------ */

typedef struct {
    char id[8];
    const char *kind;
    int role;                   /* ROLE_POOL, ROLE_RG, or ROLE_NONE for banks and guarantors */
} party;

typedef struct {
    char id[16];
    int bank, gu;               /* party indexes; gu -1 for a direct loan */
    eng_fen principal, outstanding;
    int rate_bp;
    eng_date start;
} sloan;

typedef struct {
    eng_date date;
    int order;                  /* generation order: breaks date ties, keeps a loan's order */
    int kind;
    int loan;                   /* -1 for funding */
    eng_fen amount, interest, cost;
    eng_fen expect_base;        /* defaults: the loss base the test expects */
} sevent;

typedef struct {
    unsigned seed;
    prng r;
    char program[16];
    char dir[512];
    party parties[PARTY_MAX];
    int n_parties, pool, rg, gu[2], n_gu, bank[2];
    int direct_share[ROLE__COUNT], guar_share[ROLE__COUNT];   /* per mille by role */
    int n_caps, stop_payments, ppi, days_cap, rounding, fifo, nominal;
    sloan loans[LOANS_MAX];
    int n_loans;
    sevent ev[EVENTS_MAX];
    int n_ev;
    eng_date t1, t2;            /* settlement dates; t2 0: one settlement */
    eng_fen funding;
    int preview;                /* preview each settlement before committing it */
    int repeat;                 /* import the first events file again at the end */
} scen;

static const char *const roundings[] = {"half_up", "half_even", "down"};

/* `p` per mille as exact percentage text (`40.5%`). */
static void pct(char *out, size_t n, int p)
{
    snprintf(out, n, "%d.%d%%", p / 10, p % 10);
}

/* Splits 1000 per mille at random over the roles in `roles` (the rest stay 0). */
static void split_shares(prng *r, int *shares, const int *roles, int n)
{
    int left = 1000;
    memset(shares, 0, ROLE__COUNT * sizeof(int));
    for (int i = 0; i < n - 1; i++) {
        int s = (int)rnd(r, 0, left);
        shares[roles[i]] = s;
        left -= s;
    }
    shares[roles[n - 1]] += left;
}

/* Draws the parties in a random order. */
static void draw_parties(scen *s)
{
    party all[PARTY_MAX];
    int n = 0;
    all[n++] = (party){"pool", "pool", ROLE_POOL};
    if (chance(&s->r, 60)) {
        all[n++] = (party){"rg", chance(&s->r, 50) ? "reguarantor" : "government", ROLE_RG};
    }
    s->n_gu = chance(&s->r, 50) ? 2 : 1;
    for (int g = 0; g < s->n_gu; g++) {
        all[n] = (party){"gu1", "guarantor", ROLE_NONE};
        all[n++].id[2] = (char)('1' + g);
    }
    all[n++] = (party){"bk1", "bank", ROLE_NONE};
    all[n++] = (party){"bk2", "bank", ROLE_NONE};
    for (int i = n - 1; i > 0; i--) { /* Fisher-Yates */
        int j = (int)rnd(&s->r, 0, i);
        party t = all[i];
        all[i] = all[j];
        all[j] = t;
    }
    s->n_parties = n;
    s->rg = -1;
    int g = 0, b = 0;
    for (int i = 0; i < n; i++) {
        s->parties[i] = all[i];
        if (all[i].role == ROLE_POOL) {
            s->pool = i;
        } else if (all[i].role == ROLE_RG) {
            s->rg = i;
        } else if (strcmp(all[i].kind, "guarantor") == 0) {
            s->gu[g++] = i;
        } else {
            s->bank[b++] = i;
        }
    }
    cr_assert(g == s->n_gu && b == 2, "seed %u: parties", s->seed);
}

/* Writes the caps (and chooses the residual, which no cap may name) to `f`. */
static void write_caps(scen *s, FILE *f, const char **residual)
{
    static const char *const residuals[] = {"claimant", "bank", "guarantor"};
    int rg_residual = s->rg >= 0 && chance(&s->r, 25);
    *residual = rg_residual ? "rg" : residuals[rnd(&s->r, 0, 2)];
    s->n_caps = chance(&s->r, 45) ? 0 : (int)rnd(&s->r, 1, 4);
    if (s->n_caps > 0) {
        fputs("caps:\n", f);
    }
    for (int i = 0; i < s->n_caps; i++) {
        const char *who = s->rg >= 0 && !rg_residual && chance(&s->r, 30) ? "rg" : "pool";
        switch (rnd(&s->r, 0, 3)) {
        case 0:
            fprintf(f, "  - {party: %s, per: loan, amount: \"%d\"}\n", who,
                    (int)rnd(&s->r, 50, 2000) * 1000);
            break;
        case 1:
            fprintf(f, "  - {party: %s, per: year, amount: \"%d\"}\n", who,
                    (int)rnd(&s->r, 200, 6000) * 1000);
            break;
        case 2:
            fprintf(f, "  - {party: %s, per: bank_year, amount: \"%d\", "
                       "pct_of_prior_year_outstanding: \"%d%%\"}\n",
                    who, (int)rnd(&s->r, 100, 5000) * 1000, (int)rnd(&s->r, 1, 30));
            break;
        default:
            if (chance(&s->r, 50)) {
                fprintf(f, "  - {party: %s, per: program, pct_of_admitted_principal: \"%d%%\"}\n",
                        who, (int)rnd(&s->r, 1, 25));
            } else {
                fprintf(f, "  - {party: %s, per: program, amount: \"%d\", "
                           "pct_of_admitted_principal: \"%d%%\"}\n",
                        who, (int)rnd(&s->r, 100, 8000) * 1000, (int)rnd(&s->r, 1, 25));
            }
        }
    }
}

/* Writes one terms rule's shares, by role, with the role's key. */
static void write_shares(const scen *s, FILE *f, const int *shares)
{
    static const char *const keys[ROLE__COUNT] = {NULL, "pool", "rg", "guarantor", "bank"};
    char text[16];
    int first = 1;
    fputs("      shares: {", f);
    for (int role = ROLE_POOL; role < ROLE__COUNT; role++) {
        if (shares[role] == 0 && (role != ROLE_BANK || !first)) {
            continue; /* a party without a share takes nothing: leave its key out */
        }
        if (role == ROLE_RG && s->rg < 0) {
            continue;
        }
        pct(text, sizeof(text), shares[role]);
        fprintf(f, "%s%s: \"%s\"", first ? "" : ", ", keys[role], text);
        first = 0;
    }
    fputs("}\n", f);
}

/* Writes the terms table: one rule for direct loans, one for guaranteed ones. */
static void write_terms(scen *s, FILE *f)
{
    int direct_roles[3] = {ROLE_POOL, ROLE_BANK, ROLE_RG};
    int guar_roles[4] = {ROLE_POOL, ROLE_GU, ROLE_BANK, ROLE_RG};
    int n_extra = s->rg >= 0 ? 1 : 0;
    split_shares(&s->r, s->direct_share, direct_roles, 2 + n_extra);
    split_shares(&s->r, s->guar_share, guar_roles, 3 + n_extra);
    fputs("terms:\n  hit: first\n  defaults: {fee_rate: \"1%\"}\n  rules:\n"
          "    - id: direct\n      when: {direct: true}\n", f);
    write_shares(s, f, s->direct_share);
    fputs("    - id: guaranteed\n      when: {direct: false}\n", f);
    write_shares(s, f, s->guar_share);
    if (chance(&s->r, 40)) {
        fprintf(f, "      fee_subsidy: \"%d%%\"\n", (int)rnd(&s->r, 10, 100));
        if (chance(&s->r, 50)) {
            fprintf(f, "      fee_subsidy_cap: \"%d\"\n", (int)rnd(&s->r, 1000, 30000));
        }
    }
    if (chance(&s->r, 40)) {
        fprintf(f, "      interest_subsidy: \"%d%%\"\n", (int)rnd(&s->r, 10, 50));
        if (chance(&s->r, 50)) {
            fprintf(f, "      interest_subsidy_cap: \"%d\"\n", (int)rnd(&s->r, 1000, 50000));
        }
    }
}

static void write_policy(scen *s, const char *path)
{
    static const char *const scopes[] = {"bank", "guarantor", "program"};
    const char *residual;
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "seed %u: cannot write %s", s->seed, path);
    s->rounding = (int)rnd(&s->r, 0, 2);
    fprintf(f, "program: %s\nversion: 1\ntitle: property scenario %u\nlegal_ref: tests only\n"
               "effective_from: 2024-01-01\ncurrency: CNY\nrounding: %s\nparties:\n",
            s->program, s->seed, roundings[s->rounding]);
    for (int i = 0; i < s->n_parties; i++) {
        fprintf(f, "  - {id: %s, kind: %s, name: Party %s}\n", s->parties[i].id,
                s->parties[i].kind, s->parties[i].id);
    }
    fputs("eligibility:\n  - {id: tech, require: {tech_status: {ne: none}}}\n", f);
    write_terms(s, f);
    write_caps(s, f, &residual);
    fprintf(f, "residual: %s\n", residual);
    s->ppi = chance(&s->r, 40);
    s->days_cap = (int)rnd(&s->r, 30, 365);
    if (s->ppi) {
        fprintf(f, "loss_basis: {kind: principal_plus_interest, interest_days_cap: %d}\n",
                s->days_cap);
    } else {
        fputs("loss_basis: {kind: principal}\n", f);
    }
    s->stop_payments = chance(&s->r, 25);
    if (s->stop_payments) {
        fprintf(f, "breakers:\n  - {id: stop, metric: default_rate, scope: %s, threshold: "
                   "\"%d%%\", action: stop_payments, window: %s}\n",
                scopes[rnd(&s->r, 0, 2)], (int)rnd(&s->r, 5, 40),
                chance(&s->r, 50) ? "year" : "cumulative");
    }
    s->nominal = !chance(&s->r, 50);
    int cost_cap = chance(&s->r, 50);
    fprintf(f, "recovery: {basis: %s%s}\n", s->nominal ? "nominal" : "borne",
            cost_cap ? ", cost_cap: \"10%\"" : "");
    s->fifo = chance(&s->r, 50);
    fprintf(f, "settlement: {period: quarter, shortfall: %s}\n", s->fifo ? "fifo" : "pro_rata");
    cr_assert_eq(fclose(f), 0, "seed %u: cannot write a scenario file", s->seed);
}

/* A valid unified social credit code from the scenario's stream. */
static void credit_code(prng *r, char out[19])
{
    static const char set[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    memcpy(out, "91410100", 8);
    for (int i = 8; i < 17; i++) {
        out[i] = set[rnd(r, 0, 30)];
    }
    out[17] = eng_uscc_check_char(out);
    out[18] = '\0';
}

static void write_loans(scen *s, const char *path)
{
    static const int terms[] = {12, 24, 36};
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "seed %u: cannot open a scenario file", s->seed);
    fputs("loan_id,borrower_code,borrower_name,tech_status,sector,credit_grade,revenue,bank,"
          "guarantor,principal,annual_rate,collateral_ratio,start_date,term_months,first_loan\n",
          f);
    s->n_loans = (int)rnd(&s->r, 5, LOANS_MAX);
    for (int i = 0; i < s->n_loans; i++) {
        sloan *l = &s->loans[i];
        char code[19], date[11], amount[ENG_FEN_TEXT];
        snprintf(l->id, sizeof(l->id), "L%02d", i + 1);
        credit_code(&s->r, code);
        l->bank = s->bank[rnd(&s->r, 0, 1)];
        l->gu = chance(&s->r, 30) ? -1 : s->gu[rnd(&s->r, 0, s->n_gu - 1)];
        l->principal = l->outstanding = rnd(&s->r, 1000, 50000) * 10000 +
                                        (chance(&s->r, 30) ? rnd(&s->r, 1, 9999) : 0);
        l->rate_bp = (int)rnd(&s->r, 300, 800);
        l->start = eng_date_from_ymd(2024, 1, 1) + (eng_date)rnd(&s->r, 0, 180);
        eng_date_format(date, l->start);
        eng_fen_format(amount, sizeof(amount), l->principal);
        fprintf(f, "%s,%s,Borrower %d,hnte,ai,A,,%s,%s,%s,0.%04d,0,%s,%d,%s\n", l->id, code, i,
                s->parties[l->bank].id, l->gu >= 0 ? s->parties[l->gu].id : "", amount,
                l->rate_bp, date, terms[rnd(&s->r, 0, 2)], chance(&s->r, 50) ? "true" : "false");
    }
    cr_assert_eq(fclose(f), 0, "seed %u: cannot write a scenario file", s->seed);
}

/* ---- events ------------------------------------------------------------------------ */

#define LAST_DAY() eng_date_from_ymd(2025, 12, 31)

static void push(scen *s, eng_date date, int kind, int loan, eng_fen amount, eng_fen interest,
                 eng_fen cost)
{
    cr_assert_lt(s->n_ev, EVENTS_MAX, "seed %u: events", s->seed);
    s->ev[s->n_ev] = (sevent){date, s->n_ev, kind, loan, amount, interest, cost, 0};
    s->n_ev++;
}

/* round(n / d) by the scenario's rounding mode, for n, d > 0. */
static eng_fen round_div(const scen *s, int64_t n, int64_t d)
{
    int64_t q = n / d, r = n % d;
    if (s->rounding == 2) {
        return q;
    }
    if (2 * r > d || (2 * r == d && (s->rounding == 0 || q % 2 == 1))) {
        return q + 1;
    }
    return q;
}

/* The loss base the test expects for loan `l` defaulting with unpaid interest `interest`. */
static eng_fen expected_base(const scen *s, const sloan *l, eng_fen interest)
{
    if (!s->ppi) {
        return l->outstanding;
    }
    eng_fen cap = round_div(s, l->outstanding * l->rate_bp * s->days_cap, 10000LL * 365);
    return l->outstanding + (interest < cap ? interest : cap);
}

/* Days to the next event of a loan: 1..max, and now and then 0 (the same day as the loan's
   start or its previous event: allowed, and applied in file order). */
static int64_t step(scen *s, int64_t max)
{
    return chance(&s->r, 10) ? 0 : rnd(&s->r, 1, max);
}

/* Recoveries of loan `i`, defaulted on `d` with `owed` outstanding. */
static void draw_recoveries(scen *s, int i, eng_date d, eng_fen owed)
{
    eng_fen budget = owed / 2;
    int k = (int)rnd(&s->r, 0, 2);
    for (int j = 0; j < k && budget > 0; j++) {
        d += (eng_date)step(s, 150);
        if (d > LAST_DAY()) {
            return;
        }
        eng_fen gross = rnd(&s->r, 1, budget);
        push(s, d, EV_RECOVERY, i, gross, 0, chance(&s->r, 50) ? gross / 10 : 0);
        budget -= gross;
    }
}

/* The life of loan `i`: repayments, perhaps in full; perhaps a default and recoveries. */
static void draw_life(scen *s, int i)
{
    sloan *l = &s->loans[i];
    eng_date d = l->start;
    int k = (int)rnd(&s->r, 0, 2);
    for (int j = 0; j < k; j++) {
        d += (eng_date)step(s, 150);
        if (d > LAST_DAY()) {
            return;
        }
        int full = chance(&s->r, 20);
        eng_fen amount = full ? l->outstanding : l->outstanding * rnd(&s->r, 5, 40) / 100;
        push(s, d, EV_REPAY, i, amount, rnd(&s->r, 0, 50000), 0);
        l->outstanding -= amount;
        if (l->outstanding == 0) {
            return;
        }
    }
    if (!chance(&s->r, 50)) {
        return;
    }
    d += (eng_date)step(s, 200);
    if (d > LAST_DAY()) {
        return;
    }
    eng_fen interest = chance(&s->r, 30) ? 0 : rnd(&s->r, 1, l->outstanding / 10);
    push(s, d, EV_DEFAULT, i, 0, interest, 0);
    s->ev[s->n_ev - 1].expect_base = expected_base(s, l, interest);
    draw_recoveries(s, i, d, l->outstanding);
}

static int cmp_event(const void *pa, const void *pb)
{
    const sevent *a = pa, *b = pb;
    if (a->date != b->date) {
        return a->date < b->date ? -1 : 1;
    }
    return (a->order > b->order) - (a->order < b->order);
}

static void draw_events(scen *s)
{
    s->n_ev = 0;
    eng_fen total = 0;
    for (int i = 0; i < s->n_loans; i++) {
        total += s->loans[i].principal;
    }
    /* none, a little, or plenty: shortfalls and full payments both happen */
    int mode = (int)rnd(&s->r, 0, 3);
    s->funding = mode == 0 ? 0 : mode == 1 ? total / rnd(&s->r, 20, 200) : total;
    if (s->funding > 0) {
        push(s, eng_date_from_ymd(2024, 1, 1), EV_FUNDING, -1, s->funding, 0, 0);
    }
    for (int i = 0; i < s->n_loans; i++) {
        draw_life(s, i);
    }
    s->t1 = eng_date_from_ymd(2024, 6, 30) + (eng_date)rnd(&s->r, 0, 365);
    s->t2 = chance(&s->r, 70) ? LAST_DAY() : 0;
    if (s->t2 != 0 && chance(&s->r, 50)) {
        eng_fen more = total / rnd(&s->r, 5, 50);
        push(s, s->t1 + 1, EV_FUNDING, -1, more, 0, 0);
        s->funding += more;
    }
    qsort(s->ev, (size_t)s->n_ev, sizeof(s->ev[0]), cmp_event);
}

/* Writes the events dated in (after, upto] to `path`; returns how many. */
static int write_events(const scen *s, const char *path, eng_date after, eng_date upto)
{
    static const char *const kinds[] = {"funding", "repayment", "default", "recovery"};
    FILE *f = fopen(path, "w");
    int n = 0;
    cr_assert_not_null(f, "seed %u: cannot open a scenario file", s->seed);
    fputs("event_id,kind,date,loan_id,party,amount,interest,cost\n", f);
    for (int i = 0; i < s->n_ev; i++) {
        const sevent *e = &s->ev[i];
        char date[11], amount[ENG_FEN_TEXT] = "", interest[ENG_FEN_TEXT] = "",
                       cost[ENG_FEN_TEXT] = "";
        if (e->date <= after || e->date > upto) {
            continue;
        }
        eng_date_format(date, e->date);
        if (e->kind != EV_DEFAULT) {
            eng_fen_format(amount, sizeof(amount), e->amount);
        }
        if (e->kind == EV_REPAY || e->kind == EV_DEFAULT) {
            eng_fen_format(interest, sizeof(interest), e->interest);
        }
        if (e->kind == EV_RECOVERY) {
            eng_fen_format(cost, sizeof(cost), e->cost);
        }
        fprintf(f, "E%03d,%s,%s,%s,%s,%s,%s,%s\n", e->order, kinds[e->kind], date,
                e->loan >= 0 ? s->loans[e->loan].id : "", e->kind == EV_FUNDING ? "pool" : "",
                amount, interest, cost);
        n++;
    }
    cr_assert_eq(fclose(f), 0, "seed %u: cannot write a scenario file", s->seed);
    return n;
}

/* ---- running the commands ---------------------------------------------------------- */

/* Runs the CLI; fails the test (naming the seed) unless it exits 0. Returns its stdout. */
static char *cli_ok(const scen *s, const char *db, const char *const *args)
{
    clh_result r = clh_run(db, args);
    cr_assert_eq(r.status, 0, "seed %u: riskshare %s %s exited %d: %s", s->seed, args[0],
                 args[1], r.status, r.err);
    char *out = r.out;
    r.out = NULL;
    clh_free(&r);
    return out;
}

/* Commits a settlement through `through`; with `preview`, first previews it and checks that
   the preview lists what the commit records. */
static void settle_commit(const scen *s, const char *db, eng_date through, int preview)
{
    char date[11];
    eng_date_format(date, through);
    char *shown = NULL;
    if (preview) {
        shown = cli_ok(s, db, (const char *const[]){"settle", "--quiet", "--program",
                                                    s->program, "--through", date, NULL});
    }
    char *commit = cli_ok(s, db, (const char *const[]){"settle", "--quiet", "--program",
                                                       s->program, "--through", date,
                                                       "--commit", NULL});
    cr_assert(!preview || strcmp(shown, commit) == 0,
              "seed %u: the preview through %s differs from the commit:\n%s\n%s", s->seed,
              date, shown, commit);
    free(shown);
    free(commit);
}

static void import(const scen *s, const char *db, const char *path)
{
    free(cli_ok(s, db, (const char *const[]){"events", "import", "--quiet", "--program",
                                             s->program, path, NULL}));
}

/* Draws scenario `s` and writes its policy and loans: nothing runs yet. */
static void prepare_scenario(scen *s)
{
    char path[600];
    draw_parties(s);
    snprintf(path, sizeof(path), "%s/%s.yaml", s->dir, s->program);
    write_policy(s, path);
    snprintf(path, sizeof(path), "%s/%s-loans.csv", s->dir, s->program);
    write_loans(s, path);
    draw_events(s);
    s->preview = chance(&s->r, 25);
    s->repeat = chance(&s->r, 10);
}

/* Submits the loans (the policy is loaded), imports the events and settles. */
static void run_scenario(scen *s, const char *db)
{
    char loans[600], ev1[600], ev2[600];
    snprintf(loans, sizeof(loans), "%s/%s-loans.csv", s->dir, s->program);
    snprintf(ev1, sizeof(ev1), "%s/%s-events1.csv", s->dir, s->program);
    snprintf(ev2, sizeof(ev2), "%s/%s-events2.csv", s->dir, s->program);
    char *report = cli_ok(s, db, (const char *const[]){"batch", "submit", "--quiet", "--program",
                                                       s->program, "--agency", "bk1", loans,
                                                       NULL});
    cr_assert_null(strstr(report, ",rejected,"), "seed %u: a loan was rejected:\n%s", s->seed,
                   report);
    free(report);
    if (write_events(s, ev1, 0, s->t1) > 0) {
        import(s, db, ev1);
    }
    settle_commit(s, db, s->t1, s->preview);
    if (s->t2 != 0) {
        if (write_events(s, ev2, s->t1, s->t2) > 0) {
            import(s, db, ev2);
        }
        settle_commit(s, db, s->t2, s->preview);
    }
    if (s->repeat && write_events(s, ev1, 0, s->t1) > 0) {
        import(s, db, ev1); /* recorded already: skipped, exit 0, nothing changes */
    }
}

/* Loads the policies of scenarios[0..n) with one command. */
static void load_policies(scen *const *all, unsigned n, const char *db)
{
    const char **args = calloc(n + 4, sizeof(char *));
    char(*paths)[600] = calloc(n, sizeof(*paths));
    args[0] = "policy";
    args[1] = "load";
    args[2] = "--quiet";
    for (unsigned i = 0; i < n; i++) {
        snprintf(paths[i], sizeof(paths[i]), "%s/%s.yaml", all[i]->dir, all[i]->program);
        args[3 + i] = paths[i];
    }
    clh_result r = clh_run(db, args);
    cr_assert_eq(r.status, 0, "seeds %u..%u: policy load exited %d: %s", all[0]->seed,
                 all[n - 1]->seed, r.status, r.err);
    clh_free(&r);
    free(paths);
    free(args);
}

/* ---- the checks -------------------------------------------------------------------- */

/* One invariant: `sql` (one value; `$P` stands for the program) must give `want`. */
typedef struct {
    const char *what;
    const char *sql;
    char want[32];
} expectation;

/* Appends `src` to `buf` (`*n` bytes used of `cap`), each `$P` replaced by the program. */
static void append_sql(const scen *s, char *buf, size_t *n, size_t cap, const char *src)
{
    size_t len = strlen(s->program);
    for (const char *p = src; *p != '\0'; p++) {
        cr_assert_lt(*n + len + 1, cap, "seed %u: query too long", s->seed);
        if (p[0] == '$' && p[1] == 'P') {
            memcpy(buf + *n, s->program, len);
            *n += len;
            p++;
        } else {
            buf[(*n)++] = *p;
        }
    }
    buf[*n] = '\0';
}

/* Checks `list[0..n)` with one query (one round trip): SELECT (sql0)::text, ... */
static void expect_all(const scen *s, PGconn *c, const expectation *list, int n)
{
    size_t cap = 16384, used = 0;
    char *sql = malloc(cap);
    append_sql(s, sql, &used, cap, "SELECT ");
    for (int i = 0; i < n; i++) {
        append_sql(s, sql, &used, cap, i > 0 ? ", (" : "(");
        append_sql(s, sql, &used, cap, list[i].sql);
        append_sql(s, sql, &used, cap, ")::text");
    }
    PGresult *res = PQexec(c, sql);
    cr_assert(PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1, "seed %u: %s",
              s->seed, PQerrorMessage(c));
    for (int i = 0; i < n; i++) {
        const char *v = PQgetisnull(res, 0, i) ? "NULL" : PQgetvalue(res, 0, i);
        cr_assert_str_eq(v, list[i].want, "seed %u: %s (got %s, want %s)", s->seed,
                         list[i].what, v, list[i].want);
    }
    PQclear(res);
    free(sql);
}

/* 1 when `e` was imported: dated on or before the last settlement. */
static int imported(const scen *s, const sevent *e)
{
    return e->date <= (s->t2 != 0 ? s->t2 : s->t1);
}

/* The ledger's invariants and the counts the test knows, in one query. */
static void check_ledger(const scen *s, PGconn *c)
{
    expectation list[] = {
        {"every entry balances per party",
         "SELECT count(*) FROM (SELECT seq, party FROM postings WHERE program = '$P'"
         " GROUP BY seq, party HAVING sum(CASE side WHEN 'debit' THEN amount"
         " ELSE -amount END) <> 0) x",
         "0"},
        {"every default's raw and final parts sum to its loss base",
         "SELECT count(*) FROM defaults d LEFT JOIN (SELECT event_id, sum(raw) AS raw,"
         " sum(amount) AS amount FROM default_parts WHERE program = '$P' GROUP BY event_id) p"
         " USING (event_id) WHERE d.program = '$P' AND (p.raw IS DISTINCT FROM d.loss_base"
         " OR p.amount IS DISTINCT FROM d.loss_base)",
         "0"},
        {"no claim is paid more than its amount",
         "SELECT count(*) FROM claims c JOIN (SELECT claim_id, sum(paid) AS paid"
         " FROM settlement_payments WHERE program = '$P' GROUP BY claim_id) p USING (claim_id)"
         " WHERE c.program = '$P' AND p.paid > c.amount",
         "0"},
        {"no claim appears twice in one settlement",
         "SELECT count(*) FROM (SELECT settlement_id, claim_id FROM settlement_payments"
         " WHERE program = '$P' GROUP BY 1, 2 HAVING count(*) > 1) x",
         "0"},
        {"paid + open = amount for every claim",
         "SELECT count(*) FROM claims c JOIN claims_open o USING (program, claim_id)"
         " LEFT JOIN (SELECT claim_id, sum(paid) AS paid FROM settlement_payments"
         " WHERE program = '$P' GROUP BY claim_id) p USING (claim_id)"
         " WHERE c.program = '$P' AND (coalesce(p.paid, 0) + o.open <> c.amount"
         " OR o.open < 0)",
         "0"},
        {"open_before = amount less what earlier settlements paid",
         "SELECT count(*) FROM settlement_payments sp JOIN claims c USING (program, claim_id)"
         " WHERE sp.program = '$P' AND sp.open_before <> c.amount - coalesce((SELECT"
         " sum(e.paid) FROM settlement_payments e WHERE e.program = sp.program"
         " AND e.claim_id = sp.claim_id AND e.settlement_id < sp.settlement_id), 0)",
         "0"},
        {"the pool's cash = funding + recovery shares - settlement payments",
         "SELECT (SELECT coalesce(sum(CASE side WHEN 'debit' THEN amount ELSE -amount END), 0)"
         " FROM postings WHERE program = '$P' AND account = 'pool:cash') ="
         " (SELECT coalesce(sum(amount), 0) FROM events WHERE program = '$P'"
         " AND kind = 'funding' AND party = 'pool')"
         " + (SELECT coalesce(sum(amount), 0) FROM postings WHERE program = '$P'"
         " AND account = 'pool:recovery' AND side = 'credit')"
         " - (SELECT coalesce(sum(sp.paid), 0) FROM settlement_payments sp JOIN claims cl"
         " USING (program, claim_id) WHERE sp.program = '$P' AND cl.payer = 'pool')",
         "true"},
        {"the pool's cash never goes below zero",
         "SELECT coalesce(sum(CASE side WHEN 'debit' THEN amount ELSE -amount END), 0) >= 0"
         " FROM postings WHERE program = '$P' AND account = 'pool:cash'",
         "true"},
        {"every event is recorded", "SELECT count(*) FROM events WHERE program = '$P'", ""},
        {"every default is recorded", "SELECT count(*) FROM defaults WHERE program = '$P'", ""},
        {"the settlements are recorded",
         "SELECT count(*) FROM settlements WHERE program = '$P'", ""},
    };
    int n = (int)(sizeof(list) / sizeof(list[0])), n_def = 0, n_ev = 0;
    for (int i = 0; i < s->n_ev; i++) {
        n_def += s->ev[i].kind == EV_DEFAULT && imported(s, &s->ev[i]);
        n_ev += imported(s, &s->ev[i]);
    }
    snprintf(list[n - 3].want, sizeof(list[n - 3].want), "%d", n_ev);
    snprintf(list[n - 2].want, sizeof(list[n - 2].want), "%d", n_def);
    snprintf(list[n - 1].want, sizeof(list[n - 1].want), "%d", s->t2 != 0 ? 2 : 1);
    expect_all(s, c, list, n);
}

/* In each fifo settlement, claims are paid in full, then at most one in part, then none. */
static void check_fifo(const scen *s, PGconn *c)
{
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "SELECT sp.settlement_id, sp.paid = sp.open_before, sp.paid > 0"
             " FROM settlement_payments sp JOIN claims c USING (program, claim_id)"
             " WHERE sp.program = '%s' ORDER BY sp.settlement_id, c.claim_date, c.loan_id,"
             " array_position(ARRAY['compensation','fee_subsidy','interest_subsidy'], c.kind)",
             s->program);
    PGresult *res = PQexec(c, sql);
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "seed %u: %s", s->seed,
                 PQerrorMessage(c));
    const char *settlement = "";
    int stopped = 0;
    for (int i = 0; i < PQntuples(res); i++) {
        if (strcmp(PQgetvalue(res, i, 0), settlement) != 0) {
            settlement = PQgetvalue(res, i, 0);
            stopped = 0;
        }
        int full = PQgetvalue(res, i, 1)[0] == 't', some = PQgetvalue(res, i, 2)[0] == 't';
        cr_assert(!stopped || !some, "seed %u: fifo paid a claim after one it left unpaid",
                  s->seed);
        stopped = !full;
    }
    PQclear(res);
}

/* The raw split of `base` by `shares` (per mille, by party index), largest remainder, ties
   to the party listed first. */
static void split_raw(eng_fen *out, eng_fen base, const int *shares, int n)
{
    int64_t rem[PARTY_MAX];
    eng_fen left = base;
    for (int k = 0; k < n; k++) {
        out[k] = base * shares[k] / 1000;
        rem[k] = base * shares[k] % 1000;
        left -= out[k];
    }
    for (; left > 0; left--) {
        int best = -1;
        for (int k = 0; k < n; k++) {
            if (rem[k] >= 0 && (best < 0 || rem[k] > rem[best])) {
                best = k;
            }
        }
        out[best]++;
        rem[best] = -1;
    }
}

/* The loan's share of party `k`, per mille. */
static int share_of(const scen *s, const sloan *l, int k)
{
    const int *by_role = l->gu >= 0 ? s->guar_share : s->direct_share;
    int role = s->parties[k].role;
    if (k == l->bank) {
        role = ROLE_BANK;
    } else if (k == l->gu) {
        role = ROLE_GU;
    } else if (role == ROLE_NONE) {
        return 0;
    }
    return by_role[role];
}

/* Parses the "position:raw:amount,..." list of a default into `raw` and `amount` (fen, by
   party index; parties without a row have 0). */
static void parse_parts(const scen *s, const char *text, eng_fen *raw, eng_fen *amount)
{
    memset(raw, 0, PARTY_MAX * sizeof(eng_fen));
    memset(amount, 0, PARTY_MAX * sizeof(eng_fen));
    for (const char *p = text; *p != '\0';) {
        char *end;
        long k = strtol(p, &end, 10);
        cr_assert(*end == ':' && k >= 0 && k < s->n_parties, "seed %u: parts %s", s->seed, text);
        raw[k] = strtoll(end + 1, &end, 10);
        cr_assert_eq(*end, ':', "seed %u: parts %s", s->seed, text);
        amount[k] = strtoll(end + 1, &end, 10);
        cr_assert(*end == ',' || *end == '\0', "seed %u: parts %s", s->seed, text);
        p = *end == ',' ? end + 1 : end;
    }
}

/* Each default's loss base and raw parts, and without caps and breakers its final parts,
   as the test computes them. */
static void check_allocation(const scen *s, PGconn *c)
{
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "SELECT d.event_id, (d.loss_base * 100)::bigint, string_agg(p.position || ':' ||"
             " (p.raw * 100)::bigint || ':' || (p.amount * 100)::bigint, ',')"
             " FROM defaults d JOIN default_parts p USING (program, event_id)"
             " WHERE d.program = '%s' GROUP BY d.event_id, d.loss_base", s->program);
    PGresult *res = PQexec(c, sql);
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "seed %u: %s", s->seed,
                 PQerrorMessage(c));
    for (int i = 0; i < s->n_ev; i++) {
        const sevent *e = &s->ev[i];
        char id[16];
        if (e->kind != EV_DEFAULT || !imported(s, e)) {
            continue;
        }
        snprintf(id, sizeof(id), "E%03d", e->order);
        int row = 0;
        while (row < PQntuples(res) && strcmp(PQgetvalue(res, row, 0), id) != 0) {
            row++;
        }
        cr_assert_lt(row, PQntuples(res), "seed %u: default %s not recorded", s->seed, id);
        cr_assert_eq(strtoll(PQgetvalue(res, row, 1), NULL, 10), e->expect_base,
                     "seed %u: default %s: loss base %s fen, expected %lld", s->seed, id,
                     PQgetvalue(res, row, 1), (long long)e->expect_base);
        int shares[PARTY_MAX];
        eng_fen want[PARTY_MAX], raw[PARTY_MAX], amount[PARTY_MAX];
        for (int k = 0; k < s->n_parties; k++) {
            shares[k] = share_of(s, &s->loans[e->loan], k);
        }
        split_raw(want, e->expect_base, shares, s->n_parties);
        parse_parts(s, PQgetvalue(res, row, 2), raw, amount);
        int simple = s->n_caps == 0 && !s->stop_payments;
        for (int k = 0; k < s->n_parties; k++) {
            cr_assert_eq(raw[k], want[k], "seed %u: default %s: %s's raw part %lld fen, "
                         "expected %lld (parts %s)", s->seed, id, s->parties[k].id,
                         (long long)raw[k], (long long)want[k], PQgetvalue(res, row, 2));
            cr_assert(!simple || amount[k] == want[k], "seed %u: default %s (no cap, no "
                      "breaker): %s's part %lld fen, expected %lld", s->seed, id,
                      s->parties[k].id, (long long)amount[k], (long long)want[k]);
        }
    }
    PQclear(res);
}

/* Splits `total` over `weights[0..n)` by largest remainder, ties to the earlier one
   (DESIGN 3); a zero total weight gives zeros. */
static void split_by(unsigned seed, eng_fen *out, eng_fen total, const eng_fen *weights, int n)
{
    __int128 sum = 0, rem[LOANS_MAX * 3 + PARTY_MAX];
    eng_fen left = total;
    cr_assert_leq(n, (int)(sizeof(rem) / sizeof(rem[0])), "seed %u: %d parts", seed, n);
    for (int k = 0; k < n; k++) {
        sum += weights[k];
    }
    for (int k = 0; k < n; k++) {
        out[k] = sum > 0 ? (eng_fen)((__int128)total * weights[k] / sum) : 0;
        rem[k] = sum > 0 ? (__int128)total * weights[k] % sum : -1;
        left -= out[k];
    }
    for (; sum > 0 && left > 0; left--) {
        int best = -1;
        for (int k = 0; k < n; k++) {
            if (rem[k] >= 0 && (best < 0 || rem[k] > rem[best])) {
                best = k;
            }
        }
        out[best]++;
        rem[best] = -1;
    }
}

/* Checks the recovery `e` recorded as `shares` ("party:fen,...") against the split of its
   net by the default's final `parts` ("position:fen:0,...") or by the raw shares. */
static void check_recovery(const scen *s, const sevent *e, const char *parts, const char *shares)
{
    const sloan *l = &s->loans[e->loan];
    eng_fen borne[PARTY_MAX], unused[PARTY_MAX], weights[PARTY_MAX], want[PARTY_MAX];
    cr_assert(parts[0] != '\0', "seed %u: recovery E%03d of a loan without a default", s->seed,
              e->order);
    parse_parts(s, parts, borne, unused);
    for (int k = 0; k < s->n_parties; k++) {
        weights[k] = s->nominal ? share_of(s, l, k) : borne[k];
    }
    split_by(s->seed, want, e->amount - e->cost, weights, s->n_parties);
    for (int k = 0; k < s->n_parties; k++) {
        char key[16];
        snprintf(key, sizeof(key), "%s:", s->parties[k].id);
        eng_fen got = 0;
        for (const char *p = shares; *p != '\0'; p = strchr(p, ',') ? strchr(p, ',') + 1 : "") {
            if (strncmp(p, key, strlen(key)) == 0) {
                got = strtoll(p + strlen(key), NULL, 10);
            }
        }
        cr_assert_eq(got, want[k], "seed %u: recovery E%03d (%s): %s's share %lld fen, "
                     "expected %lld (recorded %s)", s->seed, e->order,
                     s->nominal ? "nominal" : "borne", s->parties[k].id, (long long)got,
                     (long long)want[k], shares);
    }
}

/* Each recovery's shares: the net split by what each party bore (borne) or by the raw
   shares (nominal), largest remainder in party order, as recorded in its postings. */
static void check_recoveries(const scen *s, PGconn *c)
{
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "SELECT 'D' || d.loan_id, string_agg(p.position || ':' || (p.amount * 100)::bigint"
             " || ':0', ',') FROM default_parts p JOIN defaults d USING (program, event_id)"
             " WHERE d.program = '%s' GROUP BY d.loan_id UNION ALL"
             " SELECT 'R' || en.event_id, string_agg(p.party || ':' || (p.amount * 100)::bigint,"
             " ',') FROM entries en JOIN postings p USING (program, seq) WHERE en.program = '%s'"
             " AND p.kind = 'recovery' AND p.side = 'credit' GROUP BY en.event_id",
             s->program, s->program);
    PGresult *res = PQexec(c, sql);
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "seed %u: %s", s->seed,
                 PQerrorMessage(c));
    for (int i = 0; i < s->n_ev; i++) {
        const sevent *e = &s->ev[i];
        char dkey[24], rkey[24];
        if (e->kind != EV_RECOVERY || !imported(s, e)) {
            continue;
        }
        const sloan *l = &s->loans[e->loan];
        snprintf(dkey, sizeof(dkey), "D%s", l->id);
        snprintf(rkey, sizeof(rkey), "RE%03d", e->order);
        const char *parts = "", *shares = "";
        for (int row = 0; row < PQntuples(res); row++) {
            const char *key = PQgetvalue(res, row, 0);
            parts = strcmp(key, dkey) == 0 ? PQgetvalue(res, row, 1) : parts;
            shares = strcmp(key, rkey) == 0 ? PQgetvalue(res, row, 1) : shares;
        }
        check_recovery(s, e, parts, shares);
    }
    PQclear(res);
}

/* What a settlement should pay: everything when it fits, else fifo or pro rata. */
static void expected_payments(const scen *s, eng_fen *paid, const eng_fen *open, int n,
                              eng_fen available)
{
    eng_fen total = 0;
    for (int k = 0; k < n; k++) {
        total += open[k];
    }
    if (total <= available) {
        memcpy(paid, open, (size_t)n * sizeof(eng_fen));
    } else if (s->fifo) {
        eng_fen left = available;
        for (int k = 0; k < n; k++) {
            paid[k] = open[k] < left ? open[k] : left;
            left -= paid[k];
        }
    } else {
        split_by(s->seed, paid, available, open, n);
    }
}

/* Fen from the text of a numeric with at most two decimals (`123.40`). */
static eng_fen fen_text(unsigned seed, const char *t)
{
    eng_fen v = 0;
    eng_error err;
    cr_assert_eq(eng_money_parse(&v, t, strlen(t), &err), ENG_OK, "seed %u: %s", seed, t);
    return v;
}

/* Compares the rows of one settlement (open before it, paid by it or -1 when not listed)
   with the recomputation. */
static void check_one_settlement(const scen *s, PGresult *res, int k, eng_fen available)
{
    int n = 0, rows = PQntuples(res);
    eng_fen *open = calloc((size_t)rows + 1, sizeof(eng_fen));
    eng_fen *got = calloc((size_t)rows + 1, sizeof(eng_fen));
    eng_fen *want = calloc((size_t)rows + 1, sizeof(eng_fen));
    for (int i = 0; i < rows; i++) {
        eng_fen o = strtoll(PQgetvalue(res, i, 0), NULL, 10);
        eng_fen p = strtoll(PQgetvalue(res, i, 1), NULL, 10);
        cr_assert(o > 0 || p < 0, "seed %u: settlement %d lists a claim that was not open",
                  s->seed, k);
        if (o == 0) {
            continue;
        }
        cr_assert_geq(p, 0, "seed %u: settlement %d leaves out an open claim (row %d)",
                      s->seed, k, i);
        open[n] = o;
        got[n++] = p;
    }
    cr_assert_geq(available, 0, "seed %u: settlement %d: available %lld", s->seed, k,
                  (long long)available);
    expected_payments(s, want, open, n, available);
    for (int i = 0; i < n; i++) {
        cr_assert_eq(got[i], want[i], "seed %u: settlement %d (%s, available %lld fen): claim "
                     "%d of %d paid %lld fen, expected %lld", s->seed, k,
                     s->fifo ? "fifo" : "pro_rata", (long long)available, i + 1, n,
                     (long long)got[i], (long long)want[i]);
    }
    free(open);
    free(got);
    free(want);
}

/* Each settlement recomputed: its claims are those open and dated on or before its date,
   in claim order, and it pays them from the pool's cash dated up to then. */
static void check_settlements(const scen *s, PGconn *c)
{
    char sql[2048];
    for (int k = 1; k <= (s->t2 != 0 ? 2 : 1); k++) {
        char through[11];
        eng_date_format(through, k == 1 ? s->t1 : s->t2);
        snprintf(sql, sizeof(sql),
                 "SELECT (SELECT coalesce(sum(amount), 0) FROM events WHERE program = '%1$s'"
                 " AND kind = 'funding' AND event_date <= '%2$s') + (SELECT"
                 " coalesce(sum(p.amount), 0) FROM postings p JOIN entries e USING (program, seq)"
                 " WHERE p.program = '%1$s' AND p.account = 'pool:recovery' AND p.side = 'credit'"
                 " AND e.business_date <= '%2$s') - (SELECT coalesce(sum(paid), 0) FROM"
                 " settlement_payments WHERE program = '%1$s' AND settlement_id < %3$d)",
                 s->program, through, k);
        char *v = pgh_value(c, NULL, sql);
        eng_fen available = fen_text(s->seed, v);
        free(v);
        snprintf(sql, sizeof(sql),
                 "SELECT (c.amount - coalesce((SELECT sum(e.paid) FROM settlement_payments e"
                 " WHERE e.program = c.program AND e.claim_id = c.claim_id AND e.settlement_id <"
                 " %3$d), 0)) * 100, coalesce((SELECT sp.paid * 100 FROM settlement_payments sp"
                 " WHERE sp.program = c.program AND sp.claim_id = c.claim_id AND"
                 " sp.settlement_id = %3$d), -1) FROM claims c WHERE c.program = '%1$s' AND"
                 " c.claim_date <= '%2$s' ORDER BY c.claim_date, c.loan_id, array_position("
                 "ARRAY['compensation', 'fee_subsidy', 'interest_subsidy'], c.kind)",
                 s->program, through, k);
        PGresult *res = PQexec(c, sql);
        cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "seed %u: %s", s->seed,
                     PQerrorMessage(c));
        check_one_settlement(s, res, k, available);
        PQclear(res);
    }
}

/* ---- the blocks -------------------------------------------------------------------- */

static unsigned env_unsigned(const char *name, unsigned dflt)
{
    const char *v = getenv(name);
    if (v == NULL || *v == '\0') {
        return dflt;
    }
    char *end;
    unsigned long x = strtoul(v, &end, 10);
    cr_assert(*end == '\0', "%s=%s is not a number", name, v);
    return (unsigned)x;
}

/* Runs the scenarios of block `b` on one fresh database. */
static void run_block(int b)
{
    char db[1024], dir[512];
    unsigned base = env_unsigned("RISKSHARE_PROPS_SEED", 1);
    unsigned count = env_unsigned("RISKSHARE_PROPS_COUNT", PER_BLOCK);
    const char *tmp = getenv("RISKSHARE_TEST_TMP");
    if (count < PER_BLOCK && b > 0) {
        return; /* a rerun of a few seeds runs them in the first block only */
    }
    snprintf(dir, sizeof(dir), "%s/rs-props.XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
    cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
    pgh_fresh_db(db, sizeof(db));
    PGconn *c = pgh_connect(db);
    scen **all = calloc(count > 0 ? count : 1, sizeof(scen *));
    for (unsigned i = 0; i < count; i++) {
        scen *s = all[i] = calloc(1, sizeof(scen));
        s->seed = base + (unsigned)b * PER_BLOCK + i;
        s->r.s = 0x5EED0000ull + s->seed;
        snprintf(s->program, sizeof(s->program), "p%u", s->seed);
        snprintf(s->dir, sizeof(s->dir), "%s", dir);
        prepare_scenario(s);
    }
    if (count > 0) {
        load_policies(all, count, db);
    }
    for (unsigned i = 0; i < count; i++) {
        scen *s = all[i];
        run_scenario(s, db);
        check_ledger(s, c);
        check_allocation(s, c);
        check_recoveries(s, c);
        check_settlements(s, c);
        if (s->fifo) {
            check_fifo(s, c);
        }
        free(s);
    }
    free(all);
    PQfinish(c);
    pgh_rmtree(dir);
}

Test(events_props, block_0, .timeout = 300)
{
    run_block(0);
}

Test(events_props, block_1, .timeout = 300)
{
    run_block(1);
}

Test(events_props, block_2, .timeout = 300)
{
    run_block(2);
}

Test(events_props, block_3, .timeout = 300)
{
    run_block(3);
}
