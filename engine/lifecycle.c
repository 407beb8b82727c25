/*
 * lifecycle.c -- defaults, repayments and recoveries of admitted loans
 * (DESIGN 6, 10).  See lifecycle.h for the state and how events move it.
 */
#include "lifecycle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX (2 * ENG_ID_MAX + 32)
/* A key with a year: KEY_MAX plus "@YYYY"; sized for any snprintf here. */
#define YKEY_MAX 512

eng_status eng_life_loan_init(eng_life_loan *l, const eng_policy *policy)
{
    memset(l, 0, sizeof(*l));
    l->policy = policy;
    l->guarantor = -1;
    l->rule = -1;
    mpq_init(l->annual_rate);
    l->share = malloc((policy->n_parties + 1) * sizeof(mpq_t));
    if (l->share == NULL) {
        mpq_clear(l->annual_rate);
        return ENG_ERROR;
    }
    for (size_t k = 0; k < policy->n_parties; k++) {
        mpq_init(l->share[k]);
    }
    return ENG_OK;
}

void eng_life_loan_clear(eng_life_loan *l)
{
    if (l->share != NULL) {
        for (size_t k = 0; k < l->policy->n_parties; k++) {
            mpq_clear(l->share[k]);
        }
        free(l->share);
        mpq_clear(l->annual_rate);
    }
    free(l->repayments);
    free(l->part);
    memset(l, 0, sizeof(*l));
}

eng_status eng_life_loan_add_repayment(eng_life_loan *l, eng_date date, eng_fen amount)
{
    if (l->n_repayments == l->cap_repayments) {
        size_t cap = l->cap_repayments ? 2 * l->cap_repayments : 4;
        eng_repayment *grown = realloc(l->repayments, cap * sizeof(*grown));
        if (grown == NULL) {
            return ENG_ERROR;
        }
        l->repayments = grown;
        l->cap_repayments = cap;
    }
    l->repayments[l->n_repayments++] = (eng_repayment){date, amount};
    return ENG_OK;
}

eng_fen eng_life_outstanding(const eng_life_loan *l)
{
    return l->status == ENG_LOAN_OPEN ? l->principal - l->repaid : 0;
}

eng_status eng_life_state_init(eng_life_state *st)
{
    memset(st, 0, sizeof(*st));
    st->caps = eng_tally_new();
    st->rates = eng_tally_new();
    st->bank_out = eng_tally_new();
    if (st->caps == NULL || st->rates == NULL || st->bank_out == NULL) {
        eng_life_state_clear(st);
        return ENG_ERROR;
    }
    return ENG_OK;
}

void eng_life_state_clear(eng_life_state *st)
{
    eng_tally_free(st->caps);
    eng_tally_free(st->rates);
    eng_tally_free(st->bank_out);
    memset(st, 0, sizeof(*st));
}

eng_status eng_life_state_add_year(eng_life_state *st, int year)
{
    for (size_t i = 0; i < st->n_years; i++) {
        if (st->years[i] == year) {
            return ENG_OK;
        }
    }
    if (st->n_years == sizeof(st->years) / sizeof(st->years[0])) {
        return ENG_ELIMIT;
    }
    st->years[st->n_years++] = year;
    return ENG_OK;
}

static int year_of(eng_date d)
{
    int y, m, dd;
    eng_date_to_ymd(d, &y, &m, &dd);
    return y;
}

/* Principal repaid on or before `d`. */
static eng_fen repaid_by(const eng_life_loan *l, eng_date d)
{
    eng_fen sum = 0;
    for (size_t i = 0; i < l->n_repayments; i++) {
        sum += l->repayments[i].date <= d ? l->repayments[i].amount : 0;
    }
    return sum;
}

/* Adds `a`, `b` to `key` only when it is loaded. */
static eng_status add_if_loaded(eng_tally *t, const char *key, int64_t a, int64_t b)
{
    size_t len = strlen(key);
    int64_t x, y;
    if ((a == 0 && b == 0) || !eng_tally_get(t, key, len, &x, &y)) {
        return ENG_OK;
    }
    return eng_tally_add(t, key, len, a, b);
}

/* The loan's scope keys: "bank:ID", "guarantor:ID" (none for a direct loan), "program". */
static size_t scope_keys(char keys[3][KEY_MAX], const eng_life_loan *l)
{
    const eng_policy *p = l->policy;
    size_t n = 0;
    snprintf(keys[n++], KEY_MAX, "bank:%s", p->parties[l->bank].id);
    if (l->guarantor >= 0) {
        snprintf(keys[n++], KEY_MAX, "guarantor:%s", p->parties[l->guarantor].id);
    }
    snprintf(keys[n++], KEY_MAX, "program");
    return n;
}

/*
 * Adds `sign` x the loan's contribution to every loaded year key: outstanding
 * principal on 31 December (bank_out) and principal outstanding at any time in
 * the year (rates, b).
 */
static eng_status contribute(eng_life_state *st, const eng_life_loan *l, int sign)
{
    char keys[3][KEY_MAX], key[YKEY_MAX];
    size_t n = scope_keys(keys, l);
    eng_status rc = ENG_OK;
    for (size_t i = 0; rc == ENG_OK && i < st->n_years; i++) {
        int y = st->years[i];
        eng_date dec31 = eng_date_from_ymd(y, 12, 31), jan1 = eng_date_from_ymd(y, 1, 1);
        eng_fen out = 0, any = 0;
        if (l->start_date <= dec31) {
            int gone = l->status == ENG_LOAN_DEFAULTED && l->end_date <= dec31;
            out = gone ? 0 : l->principal - repaid_by(l, dec31);
            any = l->status != ENG_LOAN_OPEN && l->end_date < jan1 ? 0 : l->principal;
        }
        snprintf(key, sizeof(key), "%s@%d", keys[0], y);
        rc = add_if_loaded(st->bank_out, key, sign * out, 0);
        for (size_t k = 0; rc == ENG_OK && k < n; k++) {
            snprintf(key, sizeof(key), "%s@%d", keys[k], y);
            rc = add_if_loaded(st->rates, key, 0, sign * any);
        }
    }
    return rc;
}

static int64_t tally_a(const eng_tally *t, const char *key)
{
    int64_t a = 0, b = 0;
    eng_tally_get(t, key, strlen(key), &a, &b);
    return a;
}

/* round(pct x base) by the policy's mode. */
static eng_status pct_of(eng_fen *out, const mpq_t pct, eng_fen base, eng_rounding mode,
                         eng_error *err)
{
    mpq_t x;
    mpq_init(x);
    eng_fen_to_q(x, base);
    mpq_mul(x, x, pct);
    eng_status rc = eng_round_fen(out, x, mode, err);
    mpq_clear(x);
    return rc;
}

/* What cap `c` leaves party c->party on this default (its room), before it cuts. */
static eng_status cap_room(eng_fen *room, const eng_cap *c, const eng_life_state *st,
                           const eng_life_loan *l, int year, eng_error *err)
{
    const eng_policy *p = l->policy;
    const char *party = p->parties[c->party].id, *bank = p->parties[l->bank].id;
    char key[YKEY_MAX];
    eng_fen limit = c->amount.set ? c->amount.v : ENG_FEN_MAX, used = 0;
    eng_status rc = ENG_OK;

    switch (c->per) {
    case ENG_CAP_LOAN:
        break;
    case ENG_CAP_YEAR:
        snprintf(key, sizeof(key), "y|%s@%d", party, year);
        used = tally_a(st->caps, key);
        break;
    case ENG_CAP_BANK_YEAR:
        snprintf(key, sizeof(key), "by|%s|%s@%d", party, bank, year);
        used = tally_a(st->caps, key);
        if (c->pct.set) {
            eng_fen pct = 0;
            snprintf(key, sizeof(key), "bank:%s@%d", bank, year - 1);
            rc = pct_of(&pct, c->pct.v, tally_a(st->bank_out, key), p->rounding, err);
            limit = pct < limit ? pct : limit;
        }
        break;
    case ENG_CAP_PROGRAM:
        snprintf(key, sizeof(key), "p|%s", party);
        used = tally_a(st->caps, key);
        if (c->pct.set) {
            eng_fen pct = 0;
            rc = pct_of(&pct, c->pct.v, st->admitted_principal, p->rounding, err);
            limit = pct < limit ? pct : limit;
        }
        break;
    }
    *room = limit > used ? limit - used : 0;
    return rc;
}

/* 1 when num / den > threshold; an empty scope (den 0) is never over. */
static int over(int64_t num, int64_t den, const mpq_t threshold)
{
    if (den <= 0) {
        return 0;
    }
    mpq_t r;
    mpq_init(r);
    mpz_set_si(mpq_numref(r), num);
    mpz_set_si(mpq_denref(r), den);
    mpq_canonicalize(r);
    int is_over = mpq_cmp(r, threshold) > 0;
    mpq_clear(r);
    return is_over;
}

/* Is stop_payments breaker `b` over for this default (counted) of base B in `year`? */
static int payments_stopped(const eng_breaker *b, const eng_life_state *st, const eng_life_loan *l,
                            int year, eng_fen B)
{
    const eng_policy *p = l->policy;
    char key[YKEY_MAX];
    int n;
    switch (b->scope) {
    case ENG_SCOPE_BANK:
        n = snprintf(key, sizeof(key), "bank:%s", p->parties[l->bank].id);
        break;
    case ENG_SCOPE_GUARANTOR:
        if (l->guarantor < 0) {
            return 0; /* a direct loan is in no guarantor's scope */
        }
        n = snprintf(key, sizeof(key), "guarantor:%s", p->parties[l->guarantor].id);
        break;
    default:
        n = snprintf(key, sizeof(key), "program");
        break;
    }
    if (b->window == ENG_WINDOW_YEAR) {
        snprintf(key + n, sizeof(key) - (size_t)n, "@%d", year);
    }
    int64_t num = 0, den = 0;
    eng_tally_get(st->rates, key, strlen(key), &num, &den);
    return over(num + B, den, b->threshold);
}

static eng_status loss_base(eng_default_result *out, const eng_life_loan *l,
                            eng_fen unpaid_interest, eng_error *err)
{
    const eng_policy *p = l->policy;
    out->outstanding = l->principal - l->repaid;
    out->interest = 0;
    if (p->loss_basis.kind == ENG_LOSS_PRINCIPAL_PLUS_INTEREST && unpaid_interest > 0) {
        mpq_t x;
        mpq_init(x);
        eng_fen_to_q(x, out->outstanding);
        mpq_mul(x, x, l->annual_rate);
        mpz_mul_si(mpq_numref(x), mpq_numref(x), p->loss_basis.interest_days_cap);
        mpz_mul_ui(mpq_denref(x), mpq_denref(x), 365);
        mpq_canonicalize(x);
        eng_fen capped = 0;
        eng_status rc = eng_round_fen(&capped, x, p->rounding, err);
        mpq_clear(x);
        if (rc != ENG_OK) {
            return rc;
        }
        out->interest = unpaid_interest < capped ? unpaid_interest : capped;
    }
    out->loss_base = out->outstanding + out->interest;
    return ENG_OK;
}

static int residual_party(const eng_life_loan *l, int claimant)
{
    const eng_residual *r = &l->policy->residual;
    switch (r->kind) {
    case ENG_RESIDUAL_BANK:
        return l->bank;
    case ENG_RESIDUAL_GUARANTOR:
        return l->guarantor >= 0 ? l->guarantor : claimant;
    case ENG_RESIDUAL_PARTY:
        return r->party;
    default:
        return claimant;
    }
}

/* Checks that a loan event can apply: dated on or after the start, loan open. */
static eng_life_fault open_on(const eng_life_loan *l, eng_date date)
{
    if (date < l->start_date) {
        return ENG_LIFE_BEFORE_START;
    }
    return l->status == ENG_LOAN_CLOSED      ? ENG_LIFE_CLOSED
           : l->status == ENG_LOAN_DEFAULTED ? ENG_LIFE_DEFAULTED
                                             : ENG_LIFE_OK;
}

/* Adds the final parts of a default to the cap totals. */
static eng_status count_parts(eng_life_state *st, const eng_life_loan *l, int year,
                              const eng_fen *part)
{
    const eng_policy *p = l->policy;
    const char *bank = p->parties[l->bank].id;
    char key[YKEY_MAX];
    eng_status rc = ENG_OK;
    for (size_t k = 0; rc == ENG_OK && k < p->n_parties; k++) {
        if (part[k] == 0) {
            continue;
        }
        const char *party = p->parties[k].id;
        snprintf(key, sizeof(key), "y|%s@%d", party, year);
        rc = eng_tally_add(st->caps, key, strlen(key), part[k], 0);
        if (rc == ENG_OK) {
            snprintf(key, sizeof(key), "by|%s|%s@%d", party, bank, year);
            rc = eng_tally_add(st->caps, key, strlen(key), part[k], 0);
        }
        if (rc == ENG_OK) {
            snprintf(key, sizeof(key), "p|%s", party);
            rc = eng_tally_add(st->caps, key, strlen(key), part[k], 0);
        }
    }
    return rc;
}

/* Adds a default's loss base to its scopes' numerators (cumulative, and the year's if loaded). */
static eng_status count_loss(eng_life_state *st, const eng_life_loan *l, int year, eng_fen B)
{
    char keys[3][KEY_MAX], key[YKEY_MAX];
    size_t n = scope_keys(keys, l);
    eng_status rc = ENG_OK;
    for (size_t k = 0; rc == ENG_OK && k < n; k++) {
        rc = eng_tally_add(st->rates, keys[k], strlen(keys[k]), B, 0);
        if (rc == ENG_OK) {
            snprintf(key, sizeof(key), "%s@%d", keys[k], year);
            rc = add_if_loaded(st->rates, key, B, 0);
        }
    }
    return rc;
}

eng_status eng_life_default(eng_default_result *out, eng_life_fault *fault, eng_life_state *st,
                            eng_life_loan *l, eng_date date, eng_fen unpaid_interest,
                            eng_error *err)
{
    const eng_policy *p = l->policy;
    size_t np = p->n_parties;
    int year = year_of(date);

    memset(out, 0, sizeof(*out));
    *fault = open_on(l, date);
    if (*fault != ENG_LIFE_OK) {
        return ENG_OK;
    }
    eng_status rc = loss_base(out, l, unpaid_interest, err);
    if (rc != ENG_OK) {
        return rc;
    }
    if (eng_split_fen(out->raw, out->loss_base, (const mpq_t *)l->share, np) != ENG_OK) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    memcpy(out->part, out->raw, np * sizeof(eng_fen));
    out->claimant = l->guarantor >= 0 ? l->guarantor : l->bank;
    out->residual = residual_party(l, out->claimant);
    eng_fen cut_total = 0;
    for (size_t c = 0; rc == ENG_OK && c < p->n_caps; c++) {
        const eng_cap *cap = &p->caps[c];
        eng_fen room = 0;
        rc = cap_room(&room, cap, st, l, year, err);
        if (rc == ENG_OK && out->part[cap->party] > room) {
            eng_fen cut = out->part[cap->party] - room;
            out->part[cap->party] = room;
            out->cuts[out->n_cuts++] = (eng_life_cut){0, c, cap->party, room, cut};
            cut_total += cut;
        }
    }
    for (size_t b = 0; rc == ENG_OK && b < p->n_breakers; b++) {
        const eng_breaker *br = &p->breakers[b];
        if (br->action != ENG_ACTION_STOP_PAYMENTS ||
            !payments_stopped(br, st, l, year, out->loss_base)) {
            continue;
        }
        out->over[out->n_over++] = b;
        for (size_t k = 0; k < np; k++) {
            if (p->parties[k].kind == ENG_PARTY_POOL && out->part[k] > 0 &&
                (int)k != out->residual) {
                out->cuts[out->n_cuts++] = (eng_life_cut){1, b, (int)k, 0, out->part[k]};
                cut_total += out->part[k];
                out->part[k] = 0;
            }
        }
    }
    if (rc != ENG_OK) {
        return rc;
    }
    out->part[out->residual] += cut_total;
    for (size_t k = 0; k < np; k++) {
        out->listed[k] = mpq_sgn(l->share[k]) != 0 || out->part[k] != 0;
    }

    /* Apply: the loan's old year contributions out, the new ones in. */
    l->part = malloc((np + 1) * sizeof(eng_fen));
    if (l->part == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    rc = contribute(st, l, -1);
    memcpy(l->part, out->part, np * sizeof(eng_fen));
    l->status = ENG_LOAN_DEFAULTED;
    l->end_date = date;
    l->default_date = date;
    l->loss_base = out->loss_base;
    if (rc == ENG_OK) {
        rc = contribute(st, l, +1);
    }
    if (rc == ENG_OK) {
        rc = count_parts(st, l, year, out->part);
    }
    if (rc == ENG_OK) {
        rc = count_loss(st, l, year, out->loss_base);
    }
    return rc == ENG_OK ? ENG_OK : eng_error_set(err, rc, "running totals overflow or out of memory");
}

void eng_life_interest_terms(const eng_life_loan *l, const mpq_t **ratio, const eng_fen **cap)
{
    const eng_terms *t = &l->policy->terms;
    const eng_terms_out *r = l->rule >= 0 ? &t->rules[l->rule].out : NULL;
    *ratio = r && r->interest_subsidy.set           ? (const mpq_t *)&r->interest_subsidy.v
             : t->defaults.interest_subsidy.set     ? (const mpq_t *)&t->defaults.interest_subsidy.v
                                                    : NULL;
    *cap = r && r->interest_subsidy_cap.set         ? &r->interest_subsidy_cap.v
           : t->defaults.interest_subsidy_cap.set   ? &t->defaults.interest_subsidy_cap.v
                                                    : NULL;
}

eng_status eng_life_repay(eng_fen *subsidy, int *closed, eng_life_fault *fault,
                          eng_life_state *st, eng_life_loan *l, eng_date date, eng_fen amount,
                          eng_fen interest, eng_error *err)
{
    *subsidy = 0;
    *closed = 0;
    *fault = open_on(l, date);
    if (*fault == ENG_LIFE_OK && amount > l->principal - l->repaid) {
        *fault = ENG_LIFE_OVER_OUTSTANDING;
    }
    if (*fault != ENG_LIFE_OK) {
        return ENG_OK;
    }
    eng_status rc = contribute(st, l, -1);
    if (rc == ENG_OK && eng_life_loan_add_repayment(l, date, amount) != ENG_OK) {
        rc = ENG_ERROR;
    }
    l->repaid += amount;
    l->interest_paid += interest;
    if (l->repaid == l->principal) {
        l->status = ENG_LOAN_CLOSED;
        l->end_date = date;
        *closed = 1;
    }
    if (rc == ENG_OK) {
        rc = contribute(st, l, +1);
    }
    if (rc != ENG_OK) {
        return eng_error_set(err, rc, "running totals overflow or out of memory");
    }
    const mpq_t *ratio;
    const eng_fen *cap;
    eng_life_interest_terms(l, &ratio, &cap);
    if (*closed && ratio != NULL && mpq_sgn(*ratio) > 0) {
        mpq_t x, c;
        mpq_inits(x, c, NULL);
        eng_fen_to_q(x, l->interest_paid);
        mpq_mul(x, x, *ratio);
        if (cap != NULL) {
            eng_fen_to_q(c, *cap);
            if (mpq_cmp(c, x) < 0) {
                mpq_set(x, c);
            }
        }
        rc = eng_round_fen(subsidy, x, l->policy->rounding, err);
        mpq_clears(x, c, NULL);
    }
    return rc;
}

eng_status eng_life_recover(eng_fen *share_out, eng_life_fault *fault, eng_life_loan *l,
                            eng_date date, eng_fen amount, eng_fen cost, eng_error *err)
{
    const eng_policy *p = l->policy;
    size_t np = p->n_parties;
    memset(share_out, 0, np * sizeof(eng_fen));
    *fault = date < l->start_date                 ? ENG_LIFE_BEFORE_START
             : l->status != ENG_LOAN_DEFAULTED    ? ENG_LIFE_NOT_DEFAULTED
             : date < l->default_date             ? ENG_LIFE_BEFORE_DEFAULT
                                                  : ENG_LIFE_OK;
    eng_fen net = amount - cost;
    if (*fault == ENG_LIFE_OK && p->recovery.cost_cap.set) {
        /* cost <= cost_cap x amount, exactly */
        mpq_t lim, c;
        mpq_inits(lim, c, NULL);
        eng_fen_to_q(lim, amount);
        mpq_mul(lim, lim, p->recovery.cost_cap.v);
        eng_fen_to_q(c, cost);
        if (mpq_cmp(c, lim) > 0) {
            *fault = ENG_LIFE_COST_CAP;
        }
        mpq_clears(lim, c, NULL);
    }
    if (*fault == ENG_LIFE_OK && (net < 0 || l->recovered + net > l->loss_base)) {
        *fault = ENG_LIFE_OVER_LOSS_BASE;
    }
    if (*fault != ENG_LIFE_OK) {
        return ENG_OK;
    }
    mpq_t *w = malloc((np + 1) * sizeof(mpq_t));
    if (w == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    for (size_t k = 0; k < np; k++) {
        mpq_init(w[k]);
        if (p->recovery.basis == ENG_RECOVERY_NOMINAL) {
            mpq_set(w[k], l->share[k]);
        } else {
            eng_fen_to_q(w[k], l->part[k]);
        }
    }
    eng_status rc = eng_split_fen(share_out, net, (const mpq_t *)w, np);
    for (size_t k = 0; k < np; k++) {
        mpq_clear(w[k]);
    }
    free(w);
    if (rc != ENG_OK) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    l->recovered += net;
    return ENG_OK;
}

const char *eng_life_fault_text(eng_life_fault f)
{
    static const char *const text[] = {
        [ENG_LIFE_OK] = "ok",
        [ENG_LIFE_BEFORE_START] = "is dated before the loan starts",
        [ENG_LIFE_CLOSED] = "names a loan that is closed (repaid in full)",
        [ENG_LIFE_DEFAULTED] = "names a loan that has defaulted",
        [ENG_LIFE_OVER_OUTSTANDING] = "is above the outstanding principal",
        [ENG_LIFE_NOT_DEFAULTED] = "names a loan that has not defaulted",
        [ENG_LIFE_BEFORE_DEFAULT] = "is dated before the loan's default",
        [ENG_LIFE_OVER_LOSS_BASE] = "brings the cumulative net recovery above the loss base",
        [ENG_LIFE_COST_CAP] = "has costs above the policy's cost_cap x gross",
    };
    return (size_t)f < sizeof(text) / sizeof(text[0]) ? text[f] : "fault";
}
