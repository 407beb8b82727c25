/*
 * admission.c -- the admission pipeline of DESIGN 6: policy version,
 * eligibility, terms, fee cap, breakers, capacity; then pricing.
 */
#include "admission.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

eng_status eng_adm_state_init(eng_adm_state *st)
{
    memset(st, 0, sizeof(*st));
    st->borrowers = eng_tally_new();
    st->cumulative = eng_tally_new();
    st->yearly = eng_tally_new();
    st->pool_cash = eng_tally_new();
    st->batch_started = eng_tally_new();
    if (!st->borrowers || !st->cumulative || !st->yearly || !st->pool_cash ||
        !st->batch_started) {
        eng_adm_state_clear(st);
        return ENG_ERROR;
    }
    return ENG_OK;
}

void eng_adm_state_clear(eng_adm_state *st)
{
    eng_tally_free(st->borrowers);
    eng_tally_free(st->cumulative);
    eng_tally_free(st->yearly);
    eng_tally_free(st->pool_cash);
    eng_tally_free(st->batch_started);
    memset(st, 0, sizeof(*st));
}

void eng_adm_decision_init(eng_adm_decision *d)
{
    memset(d, 0, sizeof(*d));
    eng_terms_result_init(&d->terms, ENG_PARTIES_MAX);
}

void eng_adm_decision_clear(eng_adm_decision *d)
{
    d->terms.n_parties = ENG_PARTIES_MAX; /* every share was initialised */
    eng_terms_result_clear(&d->terms);
}

const eng_policy *eng_adm_version(const eng_adm_state *st, eng_date date)
{
    const eng_policy *best = NULL;
    for (size_t i = 0; i < st->n_versions; i++) {
        const eng_policy *p = st->versions[i];
        if (eng_policy_in_force(p, date) && (best == NULL || p->version > best->version)) {
            best = p;
        }
    }
    return best;
}

const char *eng_reason_text(const eng_reason *r, const eng_policy *p, char *buf, size_t size)
{
    switch (r->kind) {
    case ENG_REASON_NO_POLICY: return "no_policy";
    case ENG_REASON_ELIGIBILITY: return p->eligibility[r->index].id;
    case ENG_REASON_NO_TERMS: return "no_terms";
    case ENG_REASON_AMBIGUOUS_TERMS: return "ambiguous_terms";
    case ENG_REASON_DIRECT_GUARANTOR_SHARE: return "direct_guarantor_share";
    case ENG_REASON_FEE_CAP: return "fee_cap";
    case ENG_REASON_BREAKER:
        snprintf(buf, size, "breaker:%s", p->breakers[r->index].id);
        return buf;
    case ENG_REASON_CAPACITY: return "capacity";
    }
    return "?";
}

static void reject(eng_adm_decision *d, eng_reason_kind kind, size_t index)
{
    assert(d->n_reasons < sizeof(d->reasons) / sizeof(d->reasons[0]));
    d->reasons[d->n_reasons].kind = kind;
    d->reasons[d->n_reasons].index = index;
    d->n_reasons++;
}

/* The tally keys of a loan's breaker scopes ("bank:ID", "guarantor:ID", "program"). */
typedef struct {
    char key[3][ENG_ID_MAX + 16];
    size_t len[3];               /* 0: the loan has no such scope (a direct loan's guarantor) */
} scope_keys;

static size_t join(char *out, const char *prefix, const char *id)
{
    size_t p = strlen(prefix), n = strlen(id);
    assert(p + n < ENG_ID_MAX + 16);
    memcpy(out, prefix, p);
    memcpy(out + p, id, n + 1);
    return p + n;
}

/* Built by hand, once per loan: snprintf here costs more than the decision. */
static void scope_keys_of(scope_keys *out, const eng_loan *loan)
{
    out->len[ENG_SCOPE_BANK] = join(out->key[ENG_SCOPE_BANK], "bank:", loan->bank);
    out->len[ENG_SCOPE_GUARANTOR] =
        eng_loan_is_direct(loan) ? 0 : join(out->key[ENG_SCOPE_GUARANTOR], "guarantor:",
                                            loan->guarantor);
    out->len[ENG_SCOPE_PROGRAM] = join(out->key[ENG_SCOPE_PROGRAM], "", "program");
}

/* `key@YYYY` into `out`; returns its length. */
static size_t year_key(char *out, const char *key, size_t len, int year)
{
    memcpy(out, key, len);
    out[len] = '@';
    for (int i = 4; i >= 1; i--) {
        out[len + (size_t)i] = (char)('0' + year % 10);
        year /= 10;
    }
    out[len + 5] = '\0';
    return len + 5;
}

static int year_of(eng_date d)
{
    int y, m, day;
    eng_date_to_ymd(d, &y, &m, &day);
    return y;
}

/* Loss bases and principal of a scope for the breaker's window, batch loans included. */
static void scope_rate(int64_t *num, int64_t *den, const eng_adm_state *st, const eng_breaker *b,
                       const char *key, size_t len, int year)
{
    char ykey[ENG_ID_MAX + 32];
    if (b->window == ENG_WINDOW_CUMULATIVE) {
        eng_tally_get(st->cumulative, key, len, num, den);
        return;
    }
    eng_tally_get(st->yearly, ykey, year_key(ykey, key, len, year), num, den);
    for (int y = st->first_batch_year; y > 0 && y <= year; y++) {
        int64_t started, unused;
        eng_tally_get(st->batch_started, ykey, year_key(ykey, key, len, y), &started, &unused);
        *den += started;
    }
}

/* 1 when num/den > threshold; an empty scope (den 0) is never over. */
static int over(int64_t num, int64_t den, const mpq_t threshold)
{
    if (den <= 0) {
        return 0;
    }
    mpq_t rate;
    mpq_init(rate);
    mpq_set_si(rate, (long)num, (unsigned long)den);
    mpq_canonicalize(rate);
    int result = mpq_cmp(rate, threshold) > 0;
    mpq_clear(rate);
    return result;
}

static void check_breakers(eng_adm_decision *d, const eng_adm_state *st, const eng_policy *p,
                           const eng_loan *loan, const scope_keys *keys)
{
    for (size_t i = 0; i < p->n_breakers; i++) {
        const eng_breaker *b = &p->breakers[i];
        size_t len = keys->len[b->scope];
        if (b->action != ENG_ACTION_STOP_NEW_LOANS || len == 0) {
            continue;
        }
        int64_t num = 0, den = 0;
        scope_rate(&num, &den, st, b, keys->key[b->scope], len, year_of(loan->start_date));
        if (over(num, den, b->threshold)) {
            reject(d, ENG_REASON_BREAKER, i);
        }
    }
}

/* 1 when the program's outstanding principal plus this loan's exceeds leverage x cash. */
static int over_capacity(const eng_adm_state *st, const eng_policy *p, const mpq_t principal)
{
    const char *pool = p->parties[p->capacity.pool].id;
    int64_t cash = 0, unused;
    mpq_t limit, total;
    mpq_inits(limit, total, NULL);
    eng_tally_get(st->pool_cash, pool, strlen(pool), &cash, &unused);
    eng_fen_to_q(limit, cash);
    mpq_mul(limit, limit, p->capacity.leverage);
    eng_fen_to_q(total, st->program_outstanding);
    mpq_add(total, total, principal);
    int result = mpq_cmp(total, limit) > 0;
    mpq_clears(limit, total, NULL);
    return result;
}

/* The fen of an exact whole-fen amount (the reader guarantees whole fen). */
static eng_fen q_fen(const mpq_t x)
{
    mpz_t z;
    mpz_init(z);
    mpz_mul_ui(z, mpq_numref(x), 100);
    assert(mpz_divisible_p(z, mpq_denref(x)));
    mpz_divexact(z, z, mpq_denref(x));
    eng_fen v = mpz_fits_slong_p(z) ? (eng_fen)mpz_get_si(z) : ENG_FEN_MAX + 1;
    mpz_clear(z);
    return v;
}

/* Steps 1-3 of DESIGN 6: eligibility, terms, fee cap.  Returns 1 when the loan passes. */
static int check_rules(eng_adm_decision *d, const eng_policy *p, const eng_loan *loan,
                       eng_fen owed)
{
    size_t failed[ENG_RULES_MAX];
    mpq_t outstanding;

    mpq_init(outstanding);
    eng_fen_to_q(outstanding, owed);
    size_t n = eng_eligibility_check(failed, p, loan, outstanding);
    mpq_clear(outstanding);
    for (size_t i = 0; i < n; i++) {
        reject(d, ENG_REASON_ELIGIBILITY, failed[i]);
    }
    if (n > 0) {
        return 0;
    }
    d->terms.n_parties = p->n_parties;
    switch (eng_terms_decide(&d->terms, p, loan)) {
    case ENG_TERMS_OK: break;
    case ENG_TERMS_NO_TERMS: reject(d, ENG_REASON_NO_TERMS, 0); return 0;
    case ENG_TERMS_AMBIGUOUS: reject(d, ENG_REASON_AMBIGUOUS_TERMS, 0); return 0;
    case ENG_TERMS_DIRECT_GUARANTOR_SHARE:
        reject(d, ENG_REASON_DIRECT_GUARANTOR_SHARE, 0);
        return 0;
    }
    if (!eng_loan_is_direct(loan) && d->terms.fee_rate.set && d->terms.fee_rate_cap.set &&
        mpq_cmp(d->terms.fee_rate.v, d->terms.fee_rate_cap.v) > 0) {
        reject(d, ENG_REASON_FEE_CAP, 0);
        return 0;
    }
    return 1;
}

eng_status eng_adm_expected_loss(eng_fen *out, int *has, const eng_policy *p,
                                 const eng_loan *loan, const mpq_t *shares, eng_error *err)
{
    const eng_expected_loss *el = &p->expected_loss;
    eng_status rc = ENG_OK;
    mpq_t x;
    *has = 0;
    mpq_init(x);
    for (size_t g = 0; rc == ENG_OK && el->set && g < el->n_grades; g++) {
        if (strcmp(el->grades[g].grade, loan->credit_grade) != 0) {
            continue;
        }
        eng_fen total = 0;
        mpq_mul(x, loan->principal, el->grades[g].pd);
        mpq_mul(x, x, el->lgd);
        rc = eng_round_fen(&total, x, p->rounding, err);
        if (rc == ENG_OK) {
            rc = eng_split_fen(out, total, shares, p->n_parties);
            *has = rc == ENG_OK;
        }
        break;
    }
    mpq_clear(x);
    return rc;
}

/* Guarantee fee, fee subsidy and expected loss of an admitted loan. */
static eng_status price(eng_adm_decision *d, const eng_policy *p, const eng_loan *loan,
                        eng_error *err)
{
    eng_status rc = ENG_OK;
    mpq_t x, cap;
    mpq_inits(x, cap, NULL);
    d->guarantee_fee = 0;
    d->fee_subsidy = 0;
    if (!eng_loan_is_direct(loan) && d->terms.fee_rate.set) {
        mpq_mul(x, loan->principal, d->terms.fee_rate.v);
        mpq_set_si(cap, loan->term_months, 12);
        mpq_canonicalize(cap);
        mpq_mul(x, x, cap);
        rc = eng_round_fen(&d->guarantee_fee, x, p->rounding, err);
    }
    if (rc == ENG_OK && d->guarantee_fee > 0 && d->terms.fee_subsidy.set) {
        eng_fen_to_q(x, d->guarantee_fee);
        mpq_mul(x, x, d->terms.fee_subsidy.v);
        if (d->terms.fee_subsidy_cap.set) {
            eng_fen_to_q(cap, d->terms.fee_subsidy_cap.v);
            if (mpq_cmp(cap, x) < 0) {
                mpq_set(x, cap);
            }
        }
        rc = eng_round_fen(&d->fee_subsidy, x, p->rounding, err);
    }
    if (rc == ENG_OK) {
        rc = eng_adm_expected_loss(d->expected_loss, &d->has_expected_loss, p, loan,
                                   (const mpq_t *)d->terms.share, err);
    }
    mpq_clears(x, cap, NULL);
    return rc;
}

/* Adds an admitted loan to the running state. */
static eng_status remember(eng_adm_state *st, const eng_loan *loan, eng_fen principal,
                           const scope_keys *keys, int64_t *owed)
{
    char ykey[ENG_ID_MAX + 32];
    int year = year_of(loan->start_date);
    eng_status rc = __builtin_add_overflow(*owed, principal, owed) ? ENG_ELIMIT : ENG_OK;
    for (int s = 0; rc == ENG_OK && s < 3; s++) {
        size_t len = keys->len[s];
        if (len == 0) {
            continue;
        }
        rc = eng_tally_add(st->cumulative, keys->key[s], len, 0, principal);
        if (rc == ENG_OK) {
            rc = eng_tally_add(st->batch_started, ykey, year_key(ykey, keys->key[s], len, year),
                               principal, 0);
        }
    }
    if (rc == ENG_OK && __builtin_add_overflow(st->program_outstanding, principal,
                                               &st->program_outstanding)) {
        rc = ENG_ELIMIT;
    }
    if (st->first_batch_year == 0 || year < st->first_batch_year) {
        st->first_batch_year = year;
    }
    return rc;
}

eng_status eng_admit(eng_adm_decision *out, eng_adm_state *st, const eng_loan *loan,
                     eng_error *err)
{
    const eng_policy *p = eng_adm_version(st, loan->start_date);
    out->admitted = 0;
    out->n_reasons = 0;
    out->policy = p;
    out->terms.rule = -1;
    out->guarantee_fee = out->fee_subsidy = 0;
    out->has_expected_loss = 0;
    if (p == NULL) {
        reject(out, ENG_REASON_NO_POLICY, 0);
        return ENG_OK;
    }
    assert(eng_policy_party(p, loan->bank) >= 0);
    /* One lookup of the borrower for the aggregate rule and, if admitted, the update. */
    int64_t *owed = eng_tally_ref(st->borrowers, loan->borrower_code, strlen(loan->borrower_code));
    if (owed == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    if (!check_rules(out, p, loan, owed[0])) {
        return ENG_OK;
    }
    scope_keys keys;
    scope_keys_of(&keys, loan);
    check_breakers(out, st, p, loan, &keys);
    if (out->n_reasons > 0) {
        return ENG_OK;
    }
    if (p->capacity.set && over_capacity(st, p, loan->principal)) {
        reject(out, ENG_REASON_CAPACITY, 0);
        return ENG_OK;
    }
    eng_status rc = price(out, p, loan, err);
    if (rc == ENG_OK) {
        rc = remember(st, loan, q_fen(loan->principal), &keys, owed);
        if (rc == ENG_ELIMIT) {
            eng_error_set(err, rc, "program totals exceed the largest amount allowed");
        }
    }
    out->admitted = rc == ENG_OK;
    return rc;
}
