/*
 * money.c -- exact number parsing, rounding to the fen and largest-remainder
 * splits (DESIGN 3 and 10).  The only place in riskshare where rounding
 * happens.
 */
#include "money.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Case-insensitive test for `word` anywhere in text[0..len). */
static int contains_word(const char *text, size_t len, const char *word)
{
    size_t w = strlen(word);
    for (size_t i = 0; i + w <= len; i++) {
        size_t j = 0;
        while (j < w && (text[i + j] | 0x20) == word[j]) {
            j++;
        }
        if (j == w) {
            return 1;
        }
    }
    return 0;
}

/* Explains why `text` is not a number, for the error message. */
static const char *why_malformed(const char *text, size_t len)
{
    int seen_digit = 0;

    if (contains_word(text, len, "nan") || contains_word(text, len, "inf")) {
        return "NaN and infinity are not allowed";
    }
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (is_digit(c)) {
            seen_digit = 1;
        } else if ((c == 'e' || c == 'E') && seen_digit) {
            return "exponents are not allowed";
        } else if ((c == ',' || c == '_' || c == '\'' || c == ' ') && seen_digit && i + 1 < len &&
                   is_digit(text[i + 1])) {
            return "thousands separators are not allowed";
        }
    }
    return "expected a decimal, a percentage or a fraction";
}

/* Counts significant digits of d[0..n): every digit after the leading zeros. */
static size_t significant(const char *d, size_t n)
{
    size_t i = 0;
    while (i < n && d[i] == '0') {
        i++;
    }
    return n - i;
}

/* Sets `z` from the digit run d[0..n) (all digits, n >= 1). */
static void set_digits(mpz_t z, const char *d, size_t n)
{
    char buf[ENG_NUM_TEXT_MAX + 1];
    assert(n <= ENG_NUM_TEXT_MAX);
    memcpy(buf, d, n);
    buf[n] = '\0';
    int rc = mpz_set_str(z, buf, 10);
    assert(rc == 0);
    (void)rc;
}

static eng_status bad(eng_error *err, const char *text, size_t len, const char *why)
{
    int shown = (int)(len > 40 ? 40 : len);
    return eng_error_set(err, ENG_EPARSE, "invalid number \"%.*s%s\": %s", shown, text,
                         len > 40 ? "..." : "", why);
}

/* Digit runs of one number's text. */
typedef struct {
    int negative;
    const char *int_d;
    size_t int_n;
    const char *frac_d;   /* after '.', or the denominator after '/' */
    size_t frac_n;
    int is_fraction;
    int percent;
} num_shape;

/* Splits text into its runs; 0 when the text does not match the grammar. */
static int shape(num_shape *s, const char *text, size_t len)
{
    size_t i = 0;

    memset(s, 0, sizeof(*s));
    if (i < len && text[i] == '-') {
        s->negative = 1;
        i++;
    }
    s->int_d = text + i;
    while (i < len && is_digit(text[i])) {
        i++;
    }
    s->int_n = (size_t)(text + i - s->int_d);
    if (s->int_n == 0) {
        return 0;
    }
    if (i < len && (text[i] == '.' || text[i] == '/')) {
        s->is_fraction = text[i] == '/';
        i++;
        s->frac_d = text + i;
        while (i < len && is_digit(text[i])) {
            i++;
        }
        s->frac_n = (size_t)(text + i - s->frac_d);
        if (s->frac_n == 0) {
            return 0;
        }
    }
    if (i < len && text[i] == '%' && !s->is_fraction) {
        s->percent = 1;
        i++;
    }
    return i == len;
}

eng_status eng_num_parse(mpq_t out, const char *text, size_t len, eng_error *err)
{
    num_shape s;

    if (len == 0) {
        return eng_error_set(err, ENG_EPARSE, "invalid number \"\": empty");
    }
    if (len > ENG_NUM_TEXT_MAX) {
        return bad(err, text, len, "more than 30 significant digits");
    }
    if (!shape(&s, text, len)) {
        return bad(err, text, len, why_malformed(text, len));
    }
    if (s.is_fraction) {
        if (significant(s.int_d, s.int_n) > ENG_NUM_DIGITS_MAX ||
            significant(s.frac_d, s.frac_n) > ENG_NUM_DIGITS_MAX) {
            return bad(err, text, len, "more than 30 significant digits");
        }
        if (significant(s.frac_d, s.frac_n) == 0) {
            return bad(err, text, len, "zero denominator");
        }
    } else {
        /* Leading zeros of the whole digit string do not count; all others do. */
        size_t lead = significant(s.int_d, s.int_n);
        size_t total = lead > 0 ? lead + s.frac_n : significant(s.frac_d, s.frac_n);
        if (total > ENG_NUM_DIGITS_MAX) {
            return bad(err, text, len, "more than 30 significant digits");
        }
    }

    mpq_t v;
    mpq_init(v);
    if (s.is_fraction) {
        set_digits(mpq_numref(v), s.int_d, s.int_n);
        set_digits(mpq_denref(v), s.frac_d, s.frac_n);
    } else {
        char digits[ENG_NUM_TEXT_MAX + 1];
        memcpy(digits, s.int_d, s.int_n);
        if (s.frac_n > 0) {
            memcpy(digits + s.int_n, s.frac_d, s.frac_n);
        }
        set_digits(mpq_numref(v), digits, s.int_n + s.frac_n);
        mpz_ui_pow_ui(mpq_denref(v), 10, s.frac_n + (s.percent ? 2 : 0));
    }
    mpq_canonicalize(v);
    if (s.negative) {
        mpq_neg(v, v);
    }
    mpq_set(out, v);
    mpq_clear(v);
    return ENG_OK;
}

eng_status eng_money_parse(eng_fen *out, const char *text, size_t len, eng_error *err)
{
    eng_status rc;
    mpq_t v;

    for (size_t i = 0; i < len; i++) {
        if (text[i] == '%' || text[i] == '/') {
            return bad(err, text, len, "an amount must be a plain decimal");
        }
    }
    mpq_init(v);
    rc = eng_num_parse(v, text, len, err);
    if (rc != ENG_OK) {
        goto cleanup;
    }
    mpz_t fen;
    mpz_init(fen);
    mpz_mul_ui(fen, mpq_numref(v), 100);
    if (!mpz_divisible_p(fen, mpq_denref(v))) {
        rc = bad(err, text, len, "not a whole number of fen (0.01)");
    } else {
        mpz_divexact(fen, fen, mpq_denref(v));
        if (!mpz_fits_slong_p(fen) || labs(mpz_get_si(fen)) > ENG_FEN_MAX) {
            rc = bad(err, text, len, "amount too large");
        } else {
            *out = (eng_fen)mpz_get_si(fen);
        }
    }
    mpz_clear(fen);
cleanup:
    mpq_clear(v);
    return rc;
}

eng_status eng_round_fen(eng_fen *out, const mpq_t x, eng_rounding mode, eng_error *err)
{
    mpz_t q, r, twice;
    mpq_t scaled;
    eng_status rc = ENG_OK;

    mpq_init(scaled);
    mpz_inits(q, r, twice, NULL);
    mpq_set(scaled, x);
    mpz_mul_ui(mpq_numref(scaled), mpq_numref(scaled), 100);
    mpq_canonicalize(scaled);
    /* Truncate toward zero, then decide on the remainder's magnitude. */
    mpz_tdiv_qr(q, r, mpq_numref(scaled), mpq_denref(scaled));
    int sign = mpz_sgn(r);
    if (sign != 0 && mode != ENG_ROUND_DOWN) {
        mpz_abs(twice, r);
        mpz_mul_2exp(twice, twice, 1);
        int c = mpz_cmp(twice, mpq_denref(scaled));
        int away = c > 0 || (c == 0 && (mode == ENG_ROUND_HALF_UP || mpz_odd_p(q)));
        if (away) {
            if (sign > 0) {
                mpz_add_ui(q, q, 1);
            } else {
                mpz_sub_ui(q, q, 1);
            }
        }
    }
    if (!mpz_fits_slong_p(q) || labs(mpz_get_si(q)) > ENG_FEN_MAX) {
        rc = eng_error_set(err, ENG_ELIMIT, "amount exceeds the largest amount allowed");
    } else {
        *out = (eng_fen)mpz_get_si(q);
    }
    mpz_clears(q, r, twice, NULL);
    mpq_clear(scaled);
    return rc;
}

void eng_fen_to_q(mpq_t out, eng_fen fen)
{
    mpq_set_si(out, (long)fen, 100);
    mpq_canonicalize(out);
}

typedef struct {
    size_t index;
    mpq_t *rem;
} split_rem;

static int by_remainder(const void *a, const void *b)
{
    const split_rem *x = a;
    const split_rem *y = b;
    int c = mpq_cmp(*y->rem, *x->rem); /* larger remainder first */
    if (c != 0) {
        return c;
    }
    return (x->index > y->index) - (x->index < y->index); /* then earlier part */
}

eng_status eng_split_fen(eng_fen *out, eng_fen total, const mpq_t *weights, size_t n)
{
    mpq_t sum, part;
    mpz_t fl;
    eng_fen given = 0;

    assert(total >= 0 && total <= ENG_FEN_MAX);
    assert(n > 0 || total == 0);
    mpq_inits(sum, part, NULL);
    mpz_init(fl);
    for (size_t i = 0; i < n; i++) {
        assert(mpq_sgn(weights[i]) >= 0);
        mpq_add(sum, sum, weights[i]);
        out[i] = 0;
    }
    if (total == 0 || n == 0) {
        mpz_clear(fl);
        mpq_clears(sum, part, NULL);
        return ENG_OK;
    }
    assert(mpq_sgn(sum) > 0);

    mpq_t *rem = malloc(n * sizeof(*rem));
    split_rem *order = malloc(n * sizeof(*order));
    if (rem == NULL || order == NULL) {
        free(rem);
        free(order);
        mpz_clear(fl);
        mpq_clears(sum, part, NULL);
        return ENG_ERROR;
    }
    for (size_t i = 0; i < n; i++) {
        /* Exact part in fen: total * w_i / sum; floor it, keep the remainder. */
        mpq_init(rem[i]);
        mpq_set_si(part, (long)total, 1);
        mpq_mul(part, part, weights[i]);
        mpq_div(part, part, sum);
        mpz_fdiv_q(fl, mpq_numref(part), mpq_denref(part));
        out[i] = (eng_fen)mpz_get_si(fl);
        given += out[i];
        mpq_set_z(rem[i], fl);
        mpq_sub(rem[i], part, rem[i]);
        order[i].index = i;
        order[i].rem = &rem[i];
    }
    eng_fen left = total - given;
    assert(left >= 0 && (size_t)left <= n);
    if (left > 0) {
        qsort(order, n, sizeof(*order), by_remainder);
        for (size_t k = 0; k < (size_t)left; k++) {
            out[order[k].index] += 1;
        }
    }
    for (size_t i = 0; i < n; i++) {
        mpq_clear(rem[i]);
    }
    free(rem);
    free(order);
    mpz_clear(fl);
    mpq_clears(sum, part, NULL);
    return ENG_OK;
}

void eng_fen_format(char *out, size_t size, eng_fen fen)
{
    /* By hand, not snprintf: reports format millions of amounts. */
    char tmp[ENG_FEN_TEXT];
    size_t n = 0;
    unsigned long long mag = fen < 0 ? (unsigned long long)(-(fen + 1)) + 1 : (unsigned long long)fen;
    do {
        tmp[n++] = (char)('0' + mag % 10);
        mag /= 10;
        if (n == 2) {
            tmp[n++] = '.';
        }
    } while (mag > 0 || n < 4);
    if (fen < 0) {
        tmp[n++] = '-';
    }
    assert(size > n);
    for (size_t i = 0; i < n; i++) {
        out[i] = tmp[n - 1 - i];
    }
    out[n] = '\0';
}

char *eng_q_format(const mpq_t x)
{
    mpz_t den, pow10;
    unsigned long twos = 0, fives = 0;
    char *s;

    mpz_init_set(den, mpq_denref(x));
    twos = mpz_scan1(den, 0);
    mpz_tdiv_q_2exp(den, den, twos);
    while (mpz_divisible_ui_p(den, 5)) {
        mpz_divexact_ui(den, den, 5);
        fives++;
    }
    if (mpz_cmp_ui(den, 1) != 0) {
        mpz_clear(den);
        return mpq_get_str(NULL, 10, x);
    }
    /* A finite decimal with `places` digits after the point. */
    unsigned long places = twos > fives ? twos : fives;
    mpz_init(pow10);
    mpz_ui_pow_ui(pow10, 10, places);
    mpz_mul(den, mpq_numref(x), pow10);
    mpz_divexact(den, den, mpq_denref(x));
    int neg = mpz_sgn(den) < 0;
    mpz_abs(den, den);
    char *digits = mpz_get_str(NULL, 10, den);
    size_t nd = strlen(digits);
    size_t cap = nd + places + 4;
    s = malloc(cap);
    if (s != NULL) {
        size_t pos = 0;
        if (neg) {
            s[pos++] = '-';
        }
        if (places == 0) {
            memcpy(s + pos, digits, nd + 1);
        } else if (nd > places) {
            memcpy(s + pos, digits, nd - places);
            pos += nd - places;
            s[pos++] = '.';
            memcpy(s + pos, digits + nd - places, places + 1);
        } else {
            s[pos++] = '0';
            s[pos++] = '.';
            memset(s + pos, '0', places - nd);
            pos += places - nd;
            memcpy(s + pos, digits, nd + 1);
        }
    }
    free(digits);
    mpz_clears(den, pow10, NULL);
    return s;
}

int eng_rounding_from_name(const char *name)
{
    if (strcmp(name, "half_up") == 0) {
        return ENG_ROUND_HALF_UP;
    }
    if (strcmp(name, "half_even") == 0) {
        return ENG_ROUND_HALF_EVEN;
    }
    if (strcmp(name, "down") == 0) {
        return ENG_ROUND_DOWN;
    }
    return -1;
}

const char *eng_rounding_name(eng_rounding mode)
{
    switch (mode) {
    case ENG_ROUND_HALF_UP: return "half_up";
    case ENG_ROUND_HALF_EVEN: return "half_even";
    case ENG_ROUND_DOWN: return "down";
    }
    return "?";
}
