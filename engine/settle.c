/* settle.c -- which open claims a pool pays in a settlement, and how much (settle.h). */
#include "settle.h"

#include <assert.h>
#include <gmp.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"

static const char *const settle__kinds[] = {"compensation", "fee_subsidy", "interest_subsidy"};

int eng_claim_kind_from_name(const char *name)
{
    for (int i = 0; i < 3; i++) {
        if (name != NULL && strcmp(name, settle__kinds[i]) == 0) {
            return i;
        }
    }
    return -1;
}

const char *eng_claim_kind_name(eng_claim_kind kind)
{
    assert(kind >= ENG_CLAIM_COMPENSATION && kind <= ENG_CLAIM_INTEREST_SUBSIDY);
    return settle__kinds[kind];
}

const char *eng_shortfall_name(eng_shortfall shortfall)
{
    assert(shortfall == ENG_SHORTFALL_PRO_RATA || shortfall == ENG_SHORTFALL_FIFO);
    return shortfall == ENG_SHORTFALL_FIFO ? "fifo" : "pro_rata";
}

const char *eng_period_name(eng_period period)
{
    static const char *const names[] = {"month", "quarter", "year"};

    assert(period >= ENG_PERIOD_MONTH && period <= ENG_PERIOD_YEAR);
    return names[period];
}

int eng_settle_claim_cmp(const eng_settle_claim *a, const eng_settle_claim *b)
{
    int c;

    assert(a != NULL && b != NULL);
    assert(a->loan_id != NULL && b->loan_id != NULL);
    if (a->claim_date != b->claim_date) {
        return a->claim_date < b->claim_date ? -1 : 1;
    }
    /* strcmp compares as unsigned char: bytewise, as DESIGN 10 orders loan ids. */
    c = strcmp(a->loan_id, b->loan_id);
    if (c != 0) {
        return c < 0 ? -1 : 1;
    }
    if (a->kind != b->kind) {
        return a->kind < b->kind ? -1 : 1;
    }
    return a->claim_id < b->claim_id ? -1 : a->claim_id > b->claim_id;
}

static int settle__qsort_cmp(const void *a, const void *b)
{
    return eng_settle_claim_cmp(a, b);
}

void eng_settle_sort(eng_settle_claim *claims, size_t n)
{
    assert(claims != NULL || n == 0);
    if (n > 1) {
        qsort(claims, n, sizeof(*claims), settle__qsort_cmp);
    }
}

/* fifo: pays claims in order until `available` runs out. */
static void settle__fifo(eng_fen *paid_out, const eng_settle_claim *claims, size_t n,
                         eng_fen available)
{
    eng_fen left = available;

    for (size_t i = 0; i < n; i++) {
        paid_out[i] = claims[i].open < left ? claims[i].open : left;
        left -= paid_out[i];
    }
    assert(left == 0);
}

/* pro_rata: the largest-remainder split of `available` over the open amounts. */
static eng_status settle__pro_rata(eng_fen *paid_out, const eng_settle_claim *claims, size_t n,
                                   eng_fen available, eng_error *err)
{
    mpq_t *weights = malloc(n * sizeof(*weights));
    eng_status rc;

    if (weights == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        mpq_init(weights[i]);
        eng_fen_to_q(weights[i], claims[i].open);
    }
    rc = eng_split_fen(paid_out, available, (const mpq_t *)weights, n);
    for (size_t i = 0; i < n; i++) {
        mpq_clear(weights[i]);
    }
    free(weights);
    if (rc != ENG_OK) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    return ENG_OK;
}

eng_status eng_settle_allocate(eng_fen *paid_out, eng_settle_totals *totals_out,
                               const eng_settle_claim *claims, size_t n, eng_fen available,
                               eng_shortfall shortfall, eng_error *err)
{
    eng_settle_totals t = {available < 0 ? 0 : available, 0, 0, 0};
    eng_status rc = ENG_OK;

    assert(paid_out != NULL || n == 0);
    assert(claims != NULL || n == 0);
    assert(available <= ENG_FEN_MAX);
    for (size_t i = 0; i < n; i++) {
        assert(claims[i].open > 0 && claims[i].open <= ENG_FEN_MAX);
        assert(i == 0 || eng_settle_claim_cmp(&claims[i - 1], &claims[i]) < 0);
        /* Each term is at most ENG_FEN_MAX, so the sum is checked before it overflows. */
        if (t.open_before > ENG_FEN_MAX - claims[i].open) {
            return eng_error_set(err, ENG_ELIMIT, "the open claims of one pool exceed the "
                                 "largest amount allowed (%lld fen)", (long long)ENG_FEN_MAX);
        }
        t.open_before += claims[i].open;
    }
    if (t.open_before <= t.available) {
        for (size_t i = 0; i < n; i++) {
            paid_out[i] = claims[i].open;
        }
        t.paid = t.open_before;
    } else if (shortfall == ENG_SHORTFALL_FIFO) {
        settle__fifo(paid_out, claims, n, t.available);
        t.paid = t.available;
    } else {
        assert(shortfall == ENG_SHORTFALL_PRO_RATA);
        rc = settle__pro_rata(paid_out, claims, n, t.available, err);
        t.paid = t.available;
    }
    if (rc != ENG_OK) {
        return rc;
    }
    t.open_after = t.open_before - t.paid;
#ifndef NDEBUG
    eng_fen sum = 0;
    for (size_t i = 0; i < n; i++) {
        assert(paid_out[i] >= 0 && paid_out[i] <= claims[i].open);
        sum += paid_out[i];
    }
    assert(sum == t.paid);
#endif
    if (totals_out != NULL) {
        *totals_out = t;
    }
    return ENG_OK;
}

/* `n` decimal digits at `s` as an int into `*out`; 0 when a byte is not a digit. */
static int settle__digits(int *out, const char *s, size_t n)
{
    int v = 0;

    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

eng_status eng_settle_period_end(eng_date *out, const char *text, size_t len, eng_error *err)
{
    int year = 0, part = 0, month = 0;
    int ok;

    assert(out != NULL);
    assert(text != NULL || len == 0);
    ok = len >= 4 && settle__digits(&year, text, 4) && year >= 1900 && year <= 2199;
    if (ok && len == 4) {
        month = 12;
    } else if (ok && len == 6 && text[4] == 'Q') {
        ok = settle__digits(&part, text + 5, 1) && part >= 1 && part <= 4;
        month = 3 * part;
    } else if (ok && len == 7 && text[4] == '-') {
        ok = settle__digits(&month, text + 5, 2) && month >= 1 && month <= 12;
    } else {
        ok = 0;
    }
    if (!ok) {
        return eng_error_set(err, ENG_EPARSE, "invalid period \"%.*s\" (expected a year "
                             "2024, a quarter 2024Q3 or a month 2024-07, years 1900 to 2199)",
                             (int)(len > 32 ? 32 : len), text != NULL ? text : "");
    }
    /* The day before the first day of the next month. */
    *out = month == 12 ? eng_date_from_ymd(year + 1, 1, 1) - 1
                       : eng_date_from_ymd(year, month + 1, 1) - 1;
    return ENG_OK;
}

int eng_settle_version(const eng_policy *const *versions, size_t n, eng_date through)
{
    int in_force = -1, highest = -1;

    assert(versions != NULL || n == 0);
    for (size_t i = 0; i < n; i++) {
        const eng_policy *p = versions[i];
        if (highest < 0 || p->version > versions[highest]->version) {
            highest = (int)i;
        }
        if (eng_policy_in_force(p, through)
            && (in_force < 0 || p->version > versions[in_force]->version)) {
            in_force = (int)i;
        }
    }
    assert(n == 0 || highest >= 0);
    return in_force >= 0 ? in_force : highest;
}
