/* verify.c -- the checks of `audit verify` that need no database. */
#include "verify.h"

#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "limits.h"

/* Copies `s` into `out` (`size` bytes), truncated, always NUL-terminated. */
static void verify__copy(char *out, size_t size, const char *s)
{
    size_t n = strlen(s);

    if (n >= size) {
        n = size - 1;
    }
    memcpy(out, s, n);
    out[n] = '\0';
}

int eng_verify_fail(eng_verify_fault *out, const char *check, const char *expected,
                    const char *found, const char *subject_fmt, ...)
{
    va_list ap;

    assert(out != NULL && check != NULL);
    va_start(ap, subject_fmt);
    vsnprintf(out->subject, sizeof(out->subject), subject_fmt, ap);
    va_end(ap);
    verify__copy(out->check, sizeof(out->check), check);
    verify__copy(out->expected, sizeof(out->expected), expected != NULL ? expected : "");
    verify__copy(out->found, sizeof(out->found), found != NULL ? found : "");
    return 0;
}

void eng_verify_format(char *line, size_t size, const eng_verify_fault *f)
{
    assert(line != NULL && size > 0);
    snprintf(line, size, "%s: %s: expected %s, found %s", f->subject, f->check, f->expected,
             f->found);
}

/* An amount as text; INT64_MIN (an amount the reader could not read) as `unreadable`. */
static void verify__fen(char out[ENG_FEN_TEXT], eng_fen v)
{
    if (v == INT64_MIN) {
        verify__copy(out, ENG_FEN_TEXT, "unreadable");
    } else {
        eng_fen_format(out, ENG_FEN_TEXT, v);
    }
}

/* A failure whose expected and found values are amounts. */
static int verify__fail_fen(eng_verify_fault *out, const char *check, eng_fen expected,
                            eng_fen found, const char *subject)
{
    char e[ENG_FEN_TEXT], f[ENG_FEN_TEXT];

    verify__fen(e, expected);
    verify__fen(f, found);
    return eng_verify_fail(out, check, e, f, "%s", subject);
}

static int verify__amount_ok(eng_fen v)
{
    return v > 0 && v <= ENG_FEN_MAX;
}

/* Leg count and numbering: n = declared, 2..legs_max, legs 1..n in order. */
static int verify__leg_numbers(eng_verify_fault *out, long seq, const eng_verify_leg *legs,
                               size_t n, long declared, size_t legs_max)
{
    char e[48], f[48];

    if (n != (size_t)(declared < 0 ? 0 : declared) || declared < 0) {
        snprintf(e, sizeof(e), "%ld legs (its row's count)", declared);
        snprintf(f, sizeof(f), "%zu", n);
        return eng_verify_fail(out, "leg count", e, f, "entry %ld", seq);
    }
    if (n < 2 || n > legs_max) {
        snprintf(e, sizeof(e), "2 to %zu legs", legs_max);
        snprintf(f, sizeof(f), "%zu", n);
        return eng_verify_fail(out, "leg count", e, f, "entry %ld", seq);
    }
    for (size_t i = 0; i < n; i++) {
        if (legs[i].leg != (long)i + 1) {
            snprintf(e, sizeof(e), "leg %zu", i + 1);
            snprintf(f, sizeof(f), "leg %ld", legs[i].leg);
            return eng_verify_fail(out, "leg numbering", e, f, "entry %ld", seq);
        }
    }
    return 1;
}

/* Debits and credits of `party` (every party when NULL) over legs[0..n). */
static void verify__sides(const eng_verify_leg *legs, size_t n, const char *party,
                          eng_fen *debits, eng_fen *credits)
{
    *debits = 0;
    *credits = 0;
    for (size_t i = 0; i < n; i++) {
        if (party == NULL || strcmp(legs[i].party, party) == 0) {
            *(legs[i].debit ? debits : credits) += legs[i].amount;
        }
    }
}

static int verify__unbalanced(eng_verify_fault *out, long seq, const char *party, eng_fen d,
                              eng_fen c)
{
    char dt[ENG_FEN_TEXT], ct[ENG_FEN_TEXT], f[2 * ENG_FEN_TEXT + 32];

    verify__fen(dt, d);
    verify__fen(ct, c);
    snprintf(f, sizeof(f), "debits %s, credits %s", dt, ct);
    if (party == NULL) {
        return eng_verify_fail(out, "unbalanced", "debits = credits", f, "entry %ld", seq);
    }
    char check[ENG_ID_MAX + 32];
    snprintf(check, sizeof(check), "unbalanced for party %s", party);
    return eng_verify_fail(out, check, "debits = credits", f, "entry %ld", seq);
}

int eng_verify_legs(eng_verify_fault *out, long seq, const eng_verify_leg *legs, size_t n,
                    long declared, size_t legs_max)
{
    eng_fen d, c;

    assert(out != NULL && (legs != NULL || n == 0));
    assert(legs_max >= 2);
    if (!verify__leg_numbers(out, seq, legs, n, declared, legs_max)) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (!verify__amount_ok(legs[i].amount)) {
            char subject[64], check[32];
            snprintf(subject, sizeof(subject), "entry %ld", seq);
            snprintf(check, sizeof(check), "leg %zu amount", i + 1);
            char f[ENG_FEN_TEXT];
            verify__fen(f, legs[i].amount);
            return eng_verify_fail(out, check, "> 0.00", f, "%s", subject);
        }
    }
    /* Amounts are at most ENG_FEN_MAX and legs at most legs_max: sums fit (limits.h). */
    verify__sides(legs, n, NULL, &d, &c);
    if (d != c) {
        return verify__unbalanced(out, seq, NULL, d, c);
    }
    for (size_t i = 0; i < n; i++) {
        verify__sides(legs, n, legs[i].party, &d, &c);
        if (d != c) {
            return verify__unbalanced(out, seq, legs[i].party, d, c);
        }
    }
    return 1;
}

eng_fen eng_verify_posted(const eng_verify_leg *legs, size_t n, const char *party,
                          const char *kind, int debit)
{
    eng_fen sum = 0;

    assert(kind != NULL);
    for (size_t i = 0; i < n; i++) {
        if ((legs[i].debit != 0) == (debit != 0)
            && (party == NULL || strcmp(legs[i].party, party) == 0)
            && strcmp(legs[i].kind, kind) == 0) {
            sum += legs[i].amount;
        }
    }
    return sum;
}

/* `legs[i]` is party:kind on `debit`'s side for `amount`. */
static int verify__leg_is(const eng_verify_leg *l, const char *party, const char *kind,
                          int debit, eng_fen amount)
{
    return strcmp(l->party, party) == 0 && strcmp(l->kind, kind) == 0
           && (l->debit != 0) == (debit != 0) && l->amount == amount;
}

/* The legs as text, `party:kind Dr|Cr amount; ...`, for a fault. */
static void verify__legs_text(char *out, size_t size, const eng_verify_leg *legs, size_t n)
{
    size_t used = 0;

    out[0] = '\0';
    for (size_t i = 0; i < n && used + 1 < size; i++) {
        char a[ENG_FEN_TEXT];
        verify__fen(a, legs[i].amount);
        int k = snprintf(out + used, size - used, "%s%s:%s %s %s", i > 0 ? "; " : "",
                         legs[i].party, legs[i].kind, legs[i].debit ? "Dr" : "Cr", a);
        used = k < 0 ? size : used + (size_t)k;
    }
}

int eng_verify_payment_legs(eng_verify_fault *out, long seq, long claim_id,
                            const eng_verify_leg *legs, size_t n, const char *payer,
                            const char *payee, eng_fen paid)
{
    int party_payee = strncmp(payee, "borrower:", 9) != 0;
    size_t want = party_payee ? 4 : 2;
    int ok = n == want;

    assert(out != NULL && payer != NULL && payee != NULL);
    assert(legs != NULL || n == 0);
    if (ok) {
        ok = verify__leg_is(&legs[0], payer, "payable", 1, paid)
             && verify__leg_is(&legs[1], payer, "cash", 0, paid);
    }
    if (ok && party_payee) {
        ok = verify__leg_is(&legs[2], payee, "cash", 1, paid)
             && verify__leg_is(&legs[3], payee, "receivable", 0, paid);
    }
    if (ok) {
        return 1;
    }
    char a[ENG_FEN_TEXT], e[ENG_VERIFY_VALUE_SIZE], f[ENG_VERIFY_VALUE_SIZE], check[64];
    verify__fen(a, paid);
    if (party_payee) {
        snprintf(e, sizeof(e), "%s:payable Dr %s; %s:cash Cr %s; %s:cash Dr %s; "
                 "%s:receivable Cr %s", payer, a, payer, a, payee, a, payee, a);
    } else {
        snprintf(e, sizeof(e), "%s:payable Dr %s; %s:cash Cr %s", payer, a, payer, a);
    }
    verify__legs_text(f, sizeof(f), legs, n);
    snprintf(check, sizeof(check), "legs of the payment of claim %ld", claim_id);
    return eng_verify_fail(out, check, e, f, "entry %ld", seq);
}

void eng_verify_claim_paid_init(eng_verify_claim_paid *c, long claim_id, eng_fen amount)
{
    assert(c != NULL);
    c->claim_id = claim_id;
    c->amount = amount;
    c->paid = 0;
    c->last_settlement = 0;
}

int eng_verify_claim_payment(eng_verify_fault *out, eng_verify_claim_paid *c,
                             long settlement_id, eng_fen open_before, eng_fen paid,
                             int has_seq)
{
    char subject[48], check[64];
    eng_fen total = 0;

    assert(out != NULL && c != NULL);
    snprintf(subject, sizeof(subject), "claim %ld", c->claim_id);
    if (settlement_id == c->last_settlement) {
        snprintf(check, sizeof(check), "appears twice in settlement %ld", settlement_id);
        return eng_verify_fail(out, check, "one payment row", "a second row", "%s", subject);
    }
    c->last_settlement = settlement_id;
    snprintf(check, sizeof(check), "paid in settlement %ld", settlement_id);
    if (paid < 0 || open_before == INT64_MIN) {
        return verify__fail_fen(out, check, 0, paid < 0 ? paid : open_before, subject);
    }
    if (__builtin_add_overflow(c->paid, paid, &total) || total > c->amount) {
        char a[ENG_FEN_TEXT], t[ENG_FEN_TEXT], e[ENG_FEN_TEXT + 16], f[ENG_FEN_TEXT + 16];
        verify__fen(a, c->amount);
        snprintf(e, sizeof(e), "at most %s", a);
        if (total > c->amount) {
            verify__fen(t, total);
            snprintf(f, sizeof(f), "%s", t);
        } else {
            snprintf(f, sizeof(f), "more than %s", a);
        }
        snprintf(check, sizeof(check), "paid beyond its amount by settlement %ld",
                 settlement_id);
        return eng_verify_fail(out, check, e, f, "%s", subject);
    }
    if (open_before != c->amount - c->paid) {
        snprintf(check, sizeof(check), "open before settlement %ld", settlement_id);
        return verify__fail_fen(out, check, c->amount - c->paid, open_before, subject);
    }
    if ((paid > 0) != (has_seq != 0)) {
        snprintf(check, sizeof(check), "paying entry in settlement %ld", settlement_id);
        return eng_verify_fail(out, check, paid > 0 ? "an entry" : "none",
                               has_seq ? "an entry" : "none", "%s", subject);
    }
    c->paid = total;
    return 1;
}

int eng_verify_default_check(eng_verify_fault *out, const eng_verify_default *d)
{
    char subject[ENG_ID_MAX + 16], check[64];

    assert(out != NULL && d != NULL && d->event_id != NULL);
    snprintf(subject, sizeof(subject), "default %.64s", d->event_id);
    if (d->n_parts <= 0) {
        return eng_verify_fail(out, "parts", "its default_parts rows", "none", "%s", subject);
    }
    if (d->raw_sum != d->loss_base) {
        return verify__fail_fen(out, "raw parts sum", d->loss_base, d->raw_sum, subject);
    }
    if (d->part_sum != d->loss_base) {
        return verify__fail_fen(out, "final parts sum", d->loss_base, d->part_sum, subject);
    }
    if (d->external != d->loss_base) {
        snprintf(check, sizeof(check), "external credit of entry %ld", d->seq);
        return verify__fail_fen(out, check, d->loss_base, d->external, subject);
    }
    return 1;
}
