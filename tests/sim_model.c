/*
 * sim_model.c -- the reference model of tests/test_sim.c (see sim_model.h): DESIGN's rules
 * for admission (6), defaults, repayments and recoveries (6, 10), settlement (6, 10) and the
 * postings (7), written from the contract with GMP, independently of engine/.
 */
#include "sim_model.h"

#include "uscc.h"

#include <criterion/criterion.h>
#include <gmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *sim_borrower_code(int i)
{
    static char codes[SIM_BORROWERS][19];
    cr_assert(i >= 0 && i < SIM_BORROWERS);
    if (codes[i][0] == '\0') {
        snprintf(codes[i], sizeof(codes[i]), "91410100MA4%06dX", 7919 * (i + 1));
        codes[i][17] = eng_uscc_check_char(codes[i]);
    }
    return codes[i];
}

const char *const sim_kind_names[SIM__KINDS] = {
    "capital", "cash", "external", "fee_income", "loss", "payable", "receivable", "recovery",
    "subsidy_expense",
};

long sim_stats[SIM__STATS];

static const char *const claim_kinds[] = {"compensation", "fee_subsidy", "interest_subsidy"};

/* ---- text ------------------------------------------------------------------------ */

void sim_buf_printf(sim_buf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        size_t room = b->cap - b->len;
        va_start(ap, fmt);
        int n = vsnprintf(b->s != NULL ? b->s + b->len : NULL, room, fmt, ap);
        va_end(ap);
        cr_assert_geq(n, 0);
        if ((size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        b->cap = b->cap * 2 + (size_t)n + 256;
        b->s = realloc(b->s, b->cap);
        cr_assert_not_null(b->s);
    }
}

void sim_buf_free(sim_buf *b)
{
    free(b->s);
    *b = (sim_buf){0};
}

void sim_fen_text(char out[32], sim_fen v)
{
    uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    snprintf(out, 32, "%s%llu.%02llu", v < 0 ? "-" : "", (unsigned long long)(a / 100),
             (unsigned long long)(a % 100));
}

/* ---- exact arithmetic -------------------------------------------------------------- */

static sim_fen z_fen(const mpz_t z)
{
    cr_assert(mpz_fits_slong_p(z), "sim: an amount out of range");
    return (sim_fen)mpz_get_si(z);
}

/* `x` (fen, >= 0) rounded to a whole fen by `mode` (DESIGN 3, 10). */
static sim_fen round_q(const mpq_t x, int mode)
{
    mpz_t q, r, twice;
    mpz_inits(q, r, twice, NULL);
    cr_assert_geq(mpq_sgn(x), 0, "sim: rounding a negative amount");
    mpz_fdiv_qr(q, r, mpq_numref(x), mpq_denref(x));
    mpz_mul_2exp(twice, r, 1);
    int c = mpz_cmp(twice, mpq_denref(x));
    if (mode != SIM_DOWN && (c > 0 || (c == 0 && (mode == SIM_HALF_UP || mpz_odd_p(q))))) {
        mpz_add_ui(q, q, 1);
    }
    sim_fen v = z_fen(q);
    mpz_clears(q, r, twice, NULL);
    return v;
}

/* round(a x num / den) by `mode`, a >= 0. */
static sim_fen round_ratio(sim_fen a, long num, long den, int mode)
{
    mpq_t x;
    mpq_init(x);
    mpz_set_si(mpq_numref(x), a);
    mpz_mul_si(mpq_numref(x), mpq_numref(x), num);
    mpz_set_si(mpq_denref(x), den);
    mpq_canonicalize(x);
    sim_fen v = round_q(x, mode);
    mpq_clear(x);
    return v;
}

/* Splits `total` over `w[0..n)` by largest remainder, ties to the earlier part (DESIGN 3);
   all weights 0 gives zeros. */
static void split(sim_fen *out, sim_fen total, const sim_fen *w, int n)
{
    mpz_t sum, num, q;
    mpq_t rem[SIM_CLAIMS];
    mpz_inits(sum, num, q, NULL);
    cr_assert(n <= SIM_CLAIMS);
    for (int k = 0; k < n; k++) {
        mpz_add_ui(sum, sum, (unsigned long)w[k]);
    }
    sim_fen left = total;
    for (int k = 0; k < n; k++) {
        mpq_init(rem[k]);
        out[k] = 0;
        if (mpz_sgn(sum) == 0) {
            continue;
        }
        mpz_set_si(num, total);
        mpz_mul_si(num, num, w[k]);
        mpz_fdiv_q(q, num, sum);
        out[k] = z_fen(q);
        left -= out[k];
        mpz_submul(num, q, sum);          /* the remainder, over sum */
        mpq_set_num(rem[k], num);
        mpq_set_den(rem[k], sum);
        mpq_canonicalize(rem[k]);
    }
    int taken[SIM_CLAIMS] = {0};
    for (; mpz_sgn(sum) != 0 && left > 0; left--) {
        int best = -1;
        for (int k = 0; k < n; k++) {
            if (!taken[k] && (best < 0 || mpq_cmp(rem[k], rem[best]) > 0)) {
                best = k;
            }
        }
        out[best]++;
        taken[best] = 1;
    }
    for (int k = 0; k < n; k++) {
        mpq_clear(rem[k]);
    }
    mpz_clears(sum, num, q, NULL);
}

/* ---- postings -------------------------------------------------------------------- */

static void post(sim_state *st, int dr_party, int dr_kind, int cr_party, int cr_kind, sim_fen x)
{
    cr_assert_geq(x, 0);
    if (x == 0) {
        return; /* no zero legs (DESIGN 10) */
    }
    st->debit[dr_party][dr_kind] += x;
    st->credit[cr_party][cr_kind] += x;
}

static void flow(sim_state *st, eng_date d, sim_fen delta)
{
    cr_assert_lt(st->n_flows, SIM_FLOWS, "sim: too many cash flows");
    st->flows[st->n_flows++] = (sim_flow){d, delta};
}

static void open_claim(const sim_policy *p, sim_state *st, int loan, int kind, int payee,
                       eng_date d, sim_fen amount)
{
    if (amount == 0) {
        return; /* no claim opens for 0 */
    }
    cr_assert_lt(st->n_claims, SIM_CLAIMS, "sim: too many claims");
    st->claims[st->n_claims] =
        (sim_claim){st->n_claims + 1, loan, kind, payee, d, amount, 0};
    st->n_claims++;
    if (kind != SIM_COMP) {
        post(st, p->pool, SIM_K_SUBSIDY_EXPENSE, p->pool, SIM_K_PAYABLE, amount);
    }
}

sim_fen sim_pool_cash(const sim_state *st)
{
    sim_fen cash = 0;
    for (int i = 0; i < st->n_flows; i++) {
        cash += st->flows[i].delta;
    }
    return cash;
}

/* ---- admission ------------------------------------------------------------------- */

int sim_find_loan(const sim_state *st, const char *id)
{
    for (int i = 0; i < st->n_loans; i++) {
        if (strcmp(st->loans[i].id, id) == 0) {
            return i;
        }
    }
    return -1;
}

int sim_share(const sim_policy *p, const sim_loan *l, int k)
{
    const sim_rule *r = &p->rules[l->rule];
    if (k == l->bank) {
        return r->shares_pm[SIM_BANK];
    }
    if (k == l->gu) {
        return r->shares_pm[SIM_GU];
    }
    int kind = p->parties[k].kind;
    return kind == SIM_POOL || kind == SIM_RG ? r->shares_pm[kind] : 0;
}

/* 1 when the breaker's scope (the bank `bank`, or the program) is over its threshold, with
   `extra_base` more loss base counted. */
static int breaker_over(const sim_state *st, const sim_breaker *b, int bank, sim_fen extra_base)
{
    sim_fen base = extra_base, principal = 0;
    for (int i = 0; i < st->n_loans; i++) {
        const sim_loan *l = &st->loans[i];
        if (b->scope_bank && l->bank != bank) {
            continue;
        }
        principal += l->principal;
        base += l->state == SIM_DEFAULTED ? l->base : 0;
    }
    /* base / principal > threshold_pm / 1000, an empty scope never over */
    return principal > 0 && (__int128)base * 1000 > (__int128)principal * b->threshold_pm;
}

static int eligibility(const sim_policy *p, const sim_state *st, const sim_row *row,
                       sim_buf *reasons)
{
    int fails = 0;
    sim_fen owed = row->principal;
    for (int i = 0; i < st->n_loans; i++) {
        const sim_loan *l = &st->loans[i];
        owed += l->state == SIM_OPEN && l->borrower == row->borrower ? l->outstanding : 0;
    }
    const struct {
        int on, fail;
        const char *id;
    } rules[] = {
        {p->el_tech, strcmp(row->tech, "none") == 0, "tech"},
        {p->el_maxp, row->principal > p->maxp, "max-principal"},
        {p->el_term, row->term < p->term_lo || row->term > p->term_hi, "max-term"},
        {p->el_collateral, row->collateral_pm > p->collateral_pm, "collateral"},
        {p->el_borrower, owed > p->borrower_limit, "borrower-limit"},
    };
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        if (rules[i].on && rules[i].fail) {
            sim_buf_printf(reasons, "%s%s", fails++ ? ";" : "", rules[i].id);
        }
    }
    return fails;
}

static int terms_rule(const sim_policy *p, const sim_row *row)
{
    int direct = row->gu < 0;
    if (direct && strcmp(row->tech, "hnte") == 0) {
        return 0;
    }
    if (!direct) {
        return 1;
    }
    if (strcmp(row->tech, "tech_sme") == 0 || strcmp(row->tech, "specialized_sme") == 0 ||
        (p->other_little_giant && strcmp(row->tech, "little_giant") == 0)) {
        return 2;
    }
    return -1;
}

/* The reasons of steps 2-5 (DESIGN 6); empty when the loan is admitted. */
static void later_steps(const sim_policy *p, const sim_state *st, const sim_row *row, int rule,
                        sim_buf *reasons)
{
    if (rule < 0) {
        sim_buf_printf(reasons, "no_terms");
        return;
    }
    int fee_e5 = row->fee_e5 >= 0 ? row->fee_e5 : p->fee_e5;
    if (row->gu >= 0 && fee_e5 > p->fee_cap_e5) {
        sim_buf_printf(reasons, "fee_cap");
        return;
    }
    int n = 0;
    for (int i = 0; i < SIM_BREAKERS; i++) {
        const sim_breaker *b = &p->breakers[i];
        if (b->on && !b->stop_payments && breaker_over(st, b, row->bank, 0)) {
            sim_buf_printf(reasons, "%sbreaker:brk%d", n++ ? ";" : "", i + 1);
        }
    }
    if (n > 0 || !p->capacity) {
        return;
    }
    sim_fen outstanding = row->principal;
    for (int i = 0; i < st->n_loans; i++) {
        outstanding += st->loans[i].state == SIM_OPEN ? st->loans[i].outstanding : 0;
    }
    if ((__int128)outstanding > (__int128)p->leverage * sim_pool_cash(st)) {
        sim_buf_printf(reasons, "capacity");
    }
}

static void forget_rejected(sim_state *st, const char *id)
{
    for (int i = 0; i < st->n_rejected; i++) {
        if (strcmp(st->rejected[i], id) == 0) {
            st->rejected[i][0] = '\0';
        }
    }
}

void sim_admit(const sim_policy *p, sim_state *st, const sim_row *row, sim_buf *report)
{
    sim_buf reasons = {0};
    sim_buf_printf(&reasons, "%s", "");
    int rule = -1;
    if (row->start < eng_date_from_ymd(2024, 1, 1)) {
        sim_buf_printf(&reasons, "no_policy");
    } else if (eligibility(p, st, row, &reasons) == 0) {
        rule = terms_rule(p, row);
        later_steps(p, st, row, rule, &reasons);
    }
    if (reasons.len > 0) {
        sim_stats[SIM_STAT_REJECTED]++;
        sim_stats[SIM_STAT_BREAKER] += strstr(reasons.s, "breaker") != NULL;
        sim_stats[SIM_STAT_CAPACITY] += strstr(reasons.s, "capacity") != NULL;
        sim_buf_printf(report, "%s,rejected,%s,,,\n", row->id, reasons.s);
        if (st->n_rejected < SIM_REJECTED) {
            snprintf(st->rejected[st->n_rejected++], 16, "%s", row->id);
        }
        sim_buf_free(&reasons);
        return;
    }
    sim_buf_free(&reasons);
    sim_stats[SIM_STAT_ADMITTED]++;
    cr_assert_lt(st->n_loans, SIM_LOANS, "sim: too many loans");
    forget_rejected(st, row->id);
    sim_loan *l = &st->loans[st->n_loans++];
    *l = (sim_loan){0};
    snprintf(l->id, sizeof(l->id), "%s", row->id);
    l->borrower = row->borrower;
    l->bank = row->bank;
    l->gu = row->gu;
    l->principal = l->outstanding = row->principal;
    l->rule = rule;
    l->state = SIM_OPEN;
    l->term = row->term;
    l->fee_e5 = row->fee_e5;
    l->start = row->start;
    const sim_rule *r = &p->rules[rule];
    int fee_e5 = row->fee_e5 >= 0 ? row->fee_e5 : p->fee_e5;
    l->fee = l->gu >= 0 ? round_ratio(l->principal, (long)fee_e5 * row->term, 1200000L,
                                      p->rounding)
                        : 0;
    sim_fen sub = 0;
    if (r->fee_sub_pm > 0) {
        /* round(min(fee x ratio, cap)): the cap is whole fen, so min first, then round */
        sub = round_ratio(l->fee, r->fee_sub_pm, 1000, p->rounding);
        mpq_t x;
        mpq_init(x);
        mpq_set_si(x, l->fee * r->fee_sub_pm, 1000);
        mpq_canonicalize(x);
        if (r->fee_sub_cap >= 0 && mpq_cmp_si(x, r->fee_sub_cap, 1) > 0) {
            sub = r->fee_sub_cap;
        }
        mpq_clear(x);
    }
    if (l->gu >= 0) {
        post(st, l->gu, SIM_K_CASH, l->gu, SIM_K_FEE_INCOME, l->fee);
    }
    open_claim(p, st, st->n_loans - 1, SIM_FEE_SUB, -1, l->start, sub);
    char fee[32], subt[32];
    sim_fen_text(fee, l->fee);
    sim_fen_text(subt, sub);
    sim_buf_printf(report, "%s,admitted,,%s,%s,%s\n", row->id, r->id, fee, subt);
}

/* ---- events ---------------------------------------------------------------------- */

void sim_funding(const sim_policy *p, sim_state *st, const char *event_id, eng_date d,
                 sim_fen amount, sim_buf *report)
{
    char a[32];
    post(st, p->pool, SIM_K_CASH, p->pool, SIM_K_CAPITAL, amount);
    flow(st, d, amount);
    snprintf(st->funding_id, sizeof(st->funding_id), "%s", event_id);
    st->funding_amount = amount;
    sim_fen_text(a, amount);
    sim_buf_printf(report, "%s,funding,,%s,%s\n", event_id, p->parties[p->pool].id, a);
}

void sim_repayment(const sim_policy *p, sim_state *st, const char *event_id, int loan,
                   eng_date d, sim_fen amount, sim_fen interest, sim_buf *report)
{
    sim_loan *l = &st->loans[loan];
    char a[32];
    cr_assert(l->state == SIM_OPEN && amount <= l->outstanding);
    l->outstanding -= amount;
    l->interest_paid += interest;
    sim_fen_text(a, amount);
    sim_buf_printf(report, "%s,repayment,%s,,%s\n", event_id, l->id, a);
    if (l->outstanding > 0) {
        return;
    }
    l->state = SIM_CLOSED;
    const sim_rule *r = &p->rules[l->rule];
    if (r->int_sub_pm == 0) {
        return;
    }
    mpq_t x;
    mpq_init(x);
    mpq_set_si(x, l->interest_paid * r->int_sub_pm, 1000);
    mpq_canonicalize(x);
    if (r->int_sub_cap >= 0 && mpq_cmp_si(x, r->int_sub_cap, 1) > 0) {
        mpq_set_si(x, r->int_sub_cap, 1);
    }
    sim_fen sub = round_q(x, p->rounding);
    mpq_clear(x);
    open_claim(p, st, loan, SIM_INT_SUB, -1, d, sub);
}

/* What cap `c` leaves its party for a default of `l` on `d` (running totals of earlier
   defaults, in recording order: DESIGN 10). */
static sim_fen cap_left(const sim_policy *p, const sim_state *st, const sim_cap *c,
                        eng_date d)
{
    int y, m, dd, yy;
    eng_date_to_ymd(d, &y, &m, &dd);
    sim_fen limit = c->amount, used = 0, admitted = 0;
    for (int i = 0; i < st->n_loans; i++) {
        const sim_loan *o = &st->loans[i];
        admitted += o->principal;
        if (o->state != SIM_DEFAULTED || c->per == SIM_CAP_LOAN) {
            continue;
        }
        eng_date_to_ymd(o->default_date, &yy, &m, &dd);
        if (c->per == SIM_CAP_PROGRAM || yy == y) {
            used += o->parts[c->party];
        }
    }
    if (c->per == SIM_CAP_PROGRAM && c->pct_pm >= 0) {
        sim_fen pct = round_ratio(admitted, c->pct_pm, 1000, p->rounding);
        limit = limit < 0 || pct < limit ? pct : limit;
    }
    return limit - used > 0 ? limit - used : 0;
}

static int residual_party(const sim_policy *p, const sim_loan *l)
{
    int claimant = l->gu >= 0 ? l->gu : l->bank;
    switch (p->residual) {
    case SIM_RES_BANK:
        return l->bank;
    case SIM_RES_GUARANTOR:
        return claimant;
    case SIM_RES_RG:
        return p->rg;
    default:
        return claimant;
    }
}

/* The final parts a_P of a default of loan `l` with base `l->base` (DESIGN 6). */
static void allocate(const sim_policy *p, const sim_state *st, sim_loan *l, eng_date d)
{
    sim_fen w[SIM_PARTIES], cut = 0;
    for (int k = 0; k < p->n_parties; k++) {
        w[k] = sim_share(p, l, k);
    }
    split(l->parts, l->base, w, p->n_parties);
    for (int i = 0; i < p->n_caps; i++) {
        const sim_cap *c = &p->caps[i];
        sim_fen left = cap_left(p, st, c, d);
        if (l->parts[c->party] > left) {
            cut += l->parts[c->party] - left;
            l->parts[c->party] = left;
        }
    }
    for (int i = 0; i < SIM_BREAKERS; i++) {
        const sim_breaker *b = &p->breakers[i];
        if (b->on && b->stop_payments && breaker_over(st, b, l->bank, l->base)) {
            cut += l->parts[p->pool];
            l->parts[p->pool] = 0;
        }
    }
    int res = residual_party(p, l);
    l->parts[res] += cut;
    sim_stats[SIM_STAT_CUTS] += cut > 0;
    sim_stats[SIM_STAT_DEFAULTS]++;
    for (int k = 0; k < p->n_parties; k++) {
        l->listed[k] = w[k] > 0 || (k == res && cut > 0);
    }
}

static void party_rows(const sim_policy *p, const sim_loan *l, const char *event_id,
                       const char *kind, const sim_fen *amounts, sim_buf *report)
{
    for (int k = 0; k < p->n_parties; k++) {
        char a[32];
        if (!l->listed[k]) {
            continue;
        }
        sim_fen_text(a, amounts[k]);
        sim_buf_printf(report, "%s,%s,%s,%s,%s\n", event_id, kind, l->id, p->parties[k].id, a);
    }
}

void sim_default(const sim_policy *p, sim_state *st, const char *event_id, int loan,
                 eng_date d, sim_buf *report)
{
    sim_loan *l = &st->loans[loan];
    cr_assert_eq(l->state, SIM_OPEN);
    l->base = l->outstanding;
    allocate(p, st, l, d);
    l->state = SIM_DEFAULTED;
    l->default_date = d;
    int bank = l->bank, claimant = l->gu >= 0 ? l->gu : l->bank;
    post(st, bank, SIM_K_LOSS, bank, SIM_K_EXTERNAL, l->base);
    if (l->gu >= 0) {
        sim_fen x = l->base - l->parts[bank];
        post(st, l->gu, SIM_K_LOSS, l->gu, SIM_K_CASH, x);
        post(st, bank, SIM_K_CASH, bank, SIM_K_LOSS, x);
    }
    for (int k = 0; k < p->n_parties; k++) {
        if (k == bank || k == claimant || p->parties[k].kind == SIM_POOL) {
            continue;
        }
        post(st, k, SIM_K_LOSS, k, SIM_K_CASH, l->parts[k]);
        post(st, claimant, SIM_K_CASH, claimant, SIM_K_LOSS, l->parts[k]);
    }
    sim_fen a = l->parts[p->pool];
    post(st, p->pool, SIM_K_LOSS, p->pool, SIM_K_PAYABLE, a);
    post(st, claimant, SIM_K_RECEIVABLE, claimant, SIM_K_LOSS, a);
    open_claim(p, st, loan, SIM_COMP, claimant, d, a);
    party_rows(p, l, event_id, "default", l->parts, report);
}

void sim_recovery(const sim_policy *p, sim_state *st, const char *event_id, int loan,
                  eng_date d, sim_fen net, sim_buf *report)
{
    sim_loan *l = &st->loans[loan];
    sim_fen w[SIM_PARTIES], r[SIM_PARTIES];
    cr_assert(l->state == SIM_DEFAULTED && l->recovered + net <= l->base);
    for (int k = 0; k < p->n_parties; k++) {
        w[k] = p->nominal ? sim_share(p, l, k) : l->parts[k];
    }
    split(r, net, w, p->n_parties);
    for (int k = 0; k < p->n_parties; k++) {
        post(st, k, SIM_K_CASH, k, SIM_K_RECOVERY, r[k]);
    }
    if (r[p->pool] > 0) {
        flow(st, d, r[p->pool]);
    }
    l->recovered += net;
    party_rows(p, l, event_id, "recovery", r, report);
}

/* ---- settlement ------------------------------------------------------------------ */

static const sim_state *sort_st;

/* Claim order: (claim date, loan_id bytewise, kind). */
static int claim_cmp(const void *pa, const void *pb)
{
    const sim_claim *a = &sort_st->claims[*(const int *)pa];
    const sim_claim *b = &sort_st->claims[*(const int *)pb];
    if (a->date != b->date) {
        return a->date < b->date ? -1 : 1;
    }
    int c = strcmp(sort_st->loans[a->loan].id, sort_st->loans[b->loan].id);
    if (c != 0) {
        return c;
    }
    return (a->kind > b->kind) - (a->kind < b->kind);
}

void sim_settle(const sim_policy *p, sim_state *st, eng_date through, int commit,
                sim_buf *report)
{
    int idx[SIM_CLAIMS], n = 0;
    sim_fen open[SIM_CLAIMS] = {0}, paid[SIM_CLAIMS] = {0}, total = 0, available = 0;
    for (int i = 0; i < st->n_claims; i++) {
        const sim_claim *c = &st->claims[i];
        if (c->amount - c->paid > 0 && c->date <= through) {
            idx[n++] = i;
        }
    }
    sort_st = st;
    qsort(idx, (size_t)n, sizeof(int), claim_cmp);
    for (int i = 0; i < st->n_flows; i++) {
        available += st->flows[i].date <= through ? st->flows[i].delta : 0;
    }
    for (int i = 0; i < n; i++) {
        open[i] = st->claims[idx[i]].amount - st->claims[idx[i]].paid;
        total += open[i];
    }
    if (total <= available) {
        memcpy(paid, open, sizeof(sim_fen) * (size_t)n);
    } else if (p->fifo) {
        sim_fen left = available;
        for (int i = 0; i < n; i++) {
            paid[i] = open[i] < left ? open[i] : left;
            left -= paid[i];
        }
    } else {
        split(paid, available, open, n);
    }
    sim_fen out = 0;
    sim_stats[SIM_STAT_SHORT] += total > available;
    for (int i = 0; i < n; i++) {
        sim_claim *c = &st->claims[idx[i]];
        const sim_loan *l = &st->loans[c->loan];
        char date[11], ob[32], pd[32], oa[32], payee[40];
        eng_date_format(date, c->date);
        sim_fen_text(ob, open[i]);
        sim_fen_text(pd, paid[i]);
        sim_fen_text(oa, open[i] - paid[i]);
        if (c->payee >= 0) {
            snprintf(payee, sizeof(payee), "%s", p->parties[c->payee].id);
        } else {
            snprintf(payee, sizeof(payee), "borrower:%s", sim_borrower_code(l->borrower));
        }
        sim_buf_printf(report, "%d,%s,%s,%s,%s,%s,%s,%s,%s\n", c->id, l->id,
                       claim_kinds[c->kind], p->parties[p->pool].id, payee, date, ob, pd, oa);
        if (commit) {
            c->paid += paid[i];
            post(st, p->pool, SIM_K_PAYABLE, p->pool, SIM_K_CASH, paid[i]);
            if (c->kind == SIM_COMP) {
                post(st, c->payee, SIM_K_CASH, c->payee, SIM_K_RECEIVABLE, paid[i]);
            }
            out += paid[i];
        }
    }
    if (commit) {
        if (out > 0) {
            flow(st, through, -out);
        }
        st->last_through = through;
        st->last_settlement++;
    }
}

/* ---- balances -------------------------------------------------------------------- */

typedef struct {
    char name[40];
    sim_fen debit, credit;
} account_row;

static int account_cmp(const void *a, const void *b)
{
    return strcmp(((const account_row *)a)->name, ((const account_row *)b)->name);
}

void sim_balances(const sim_policy *p, const sim_state *st, sim_buf *out)
{
    account_row rows[SIM_PARTIES * SIM__KINDS];
    int n = 0;
    for (int k = 0; k < p->n_parties; k++) {
        for (int j = 0; j < SIM__KINDS; j++) {
            if (st->debit[k][j] == 0 && st->credit[k][j] == 0) {
                continue;
            }
            snprintf(rows[n].name, sizeof(rows[n].name), "%s:%s", p->parties[k].id,
                     sim_kind_names[j]);
            rows[n].debit = st->debit[k][j];
            rows[n++].credit = st->credit[k][j];
        }
    }
    qsort(rows, (size_t)n, sizeof(rows[0]), account_cmp);
    sim_buf_printf(out, "account,debit,credit,balance\n");
    for (int i = 0; i < n; i++) {
        char d[32], c[32], b[32];
        sim_fen_text(d, rows[i].debit);
        sim_fen_text(c, rows[i].credit);
        sim_fen_text(b, rows[i].debit - rows[i].credit);
        sim_buf_printf(out, "%s,%s,%s,%s\n", rows[i].name, d, c, b);
    }
}
