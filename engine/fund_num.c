/*
 * fund_num.c -- numbers of the fund model: exact rationals while the inputs
 * allow, 256-bit MPFR once a non-integer power enters, null for 0/0.
 *
 * Arithmetic stays exact as long as both operands are exact; a float operand
 * makes the result a float; a null operand makes it null.
 */
#include "fund_int.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"

/*
 * The float part is initialised on first use: most numbers stay exact, and a
 * 256-bit mpfr_t for each of them would double the allocations of a model.
 */
static mpfr_ptr float_part(eng_fund_num *x)
{
    if (!x->has_f) {
        mpfr_init2(x->f, ENG_FUND_PREC);
        x->has_f = 1;
    }
    return x->f;
}

void eng_fund__init(eng_fund_num *x)
{
    x->kind = ENG_FUND_NUM_EXACT;
    mpq_init(x->q);
    x->has_f = 0;
}

void eng_fund__clear(eng_fund_num *x)
{
    mpq_clear(x->q);
    if (x->has_f) {
        mpfr_clear(x->f);
        x->has_f = 0;
    }
}

void eng_fund__set_fr(eng_fund_num *r, const mpfr_t v)
{
    mpfr_set(float_part(r), v, MPFR_RNDN);
    r->kind = ENG_FUND_NUM_FLOAT;
}

void eng_fund__inits(eng_fund_num *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        eng_fund__init(&x[i]);
    }
}

void eng_fund__clears(eng_fund_num *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        eng_fund__clear(&x[i]);
    }
}

void eng_fund__set(eng_fund_num *r, const eng_fund_num *a)
{
    if (r == a) {
        return;
    }
    r->kind = a->kind;
    if (a->kind == ENG_FUND_NUM_EXACT) {
        mpq_set(r->q, a->q);
    } else if (a->kind == ENG_FUND_NUM_FLOAT) {
        mpfr_set(float_part(r), a->f, MPFR_RNDN);
    }
}

void eng_fund__set_q(eng_fund_num *r, const mpq_t a)
{
    r->kind = ENG_FUND_NUM_EXACT;
    mpq_set(r->q, a);
}

void eng_fund__set_si(eng_fund_num *r, long num, unsigned long den)
{
    assert(den > 0);
    r->kind = ENG_FUND_NUM_EXACT;
    mpq_set_si(r->q, num, den);
    mpq_canonicalize(r->q);
}

void eng_fund__set_null(eng_fund_num *r)
{
    r->kind = ENG_FUND_NUM_NULL;
}

void eng_fund__get_fr(mpfr_t out, const eng_fund_num *x)
{
    assert(x->kind != ENG_FUND_NUM_NULL);
    if (x->kind == ENG_FUND_NUM_EXACT) {
        mpfr_set_q(out, x->q, MPFR_RNDN);
    } else {
        mpfr_set(out, x->f, MPFR_RNDN);
    }
}

typedef void (*q_op)(mpq_ptr, mpq_srcptr, mpq_srcptr);
typedef int (*fr_op)(mpfr_ptr, mpfr_srcptr, mpfr_srcptr, mpfr_rnd_t);

/* The one place where exact and float operands meet. */
static void binary(eng_fund_num *r, const eng_fund_num *a, const eng_fund_num *b, q_op qf,
                   fr_op ff)
{
    if (a->kind == ENG_FUND_NUM_NULL || b->kind == ENG_FUND_NUM_NULL) {
        r->kind = ENG_FUND_NUM_NULL;
        return;
    }
    if (a->kind == ENG_FUND_NUM_EXACT && b->kind == ENG_FUND_NUM_EXACT) {
        qf(r->q, a->q, b->q);
        r->kind = ENG_FUND_NUM_EXACT;
        return;
    }
    /* Only an exact operand needs converting; a float one is used in place. */
    /* Read the kinds first: `r` may be `a` or `b`, and becomes a float below. */
    int a_exact = a->kind == ENG_FUND_NUM_EXACT, b_exact = b->kind == ENG_FUND_NUM_EXACT;
    mpfr_t fa, fb;
    mpfr_srcptr pa = a->f, pb = b->f;
    if (a_exact) {
        mpfr_init2(fa, ENG_FUND_PREC);
        mpfr_set_q(fa, a->q, MPFR_RNDN);
        pa = fa;
    }
    if (b_exact) {
        mpfr_init2(fb, ENG_FUND_PREC);
        mpfr_set_q(fb, b->q, MPFR_RNDN);
        pb = fb;
    }
    ff(float_part(r), pa, pb, MPFR_RNDN);
    r->kind = ENG_FUND_NUM_FLOAT;
    if (a_exact) {
        mpfr_clear(fa);
    }
    if (b_exact) {
        mpfr_clear(fb);
    }
}

void eng_fund__add(eng_fund_num *r, const eng_fund_num *a, const eng_fund_num *b)
{
    binary(r, a, b, mpq_add, mpfr_add);
}

void eng_fund__sub(eng_fund_num *r, const eng_fund_num *a, const eng_fund_num *b)
{
    binary(r, a, b, mpq_sub, mpfr_sub);
}

void eng_fund__mul(eng_fund_num *r, const eng_fund_num *a, const eng_fund_num *b)
{
    binary(r, a, b, mpq_mul, mpfr_mul);
}

void eng_fund__div(eng_fund_num *r, const eng_fund_num *a, const eng_fund_num *b)
{
    if (b->kind != ENG_FUND_NUM_NULL && eng_fund__sgn(b) == 0) {
        r->kind = ENG_FUND_NUM_NULL;
        return;
    }
    binary(r, a, b, mpq_div, mpfr_div);
}

int eng_fund__sgn(const eng_fund_num *a)
{
    assert(a->kind != ENG_FUND_NUM_NULL);
    return a->kind == ENG_FUND_NUM_EXACT ? mpq_sgn(a->q) : mpfr_sgn(a->f);
}

int eng_fund__cmp(const eng_fund_num *a, const eng_fund_num *b)
{
    assert(a->kind != ENG_FUND_NUM_NULL && b->kind != ENG_FUND_NUM_NULL);
    if (a->kind == ENG_FUND_NUM_EXACT && b->kind == ENG_FUND_NUM_EXACT) {
        return mpq_cmp(a->q, b->q);
    }
    if (a->kind == ENG_FUND_NUM_FLOAT && b->kind == ENG_FUND_NUM_FLOAT) {
        return mpfr_cmp(a->f, b->f);
    }
    return a->kind == ENG_FUND_NUM_FLOAT ? mpfr_cmp_q(a->f, b->q) : -mpfr_cmp_q(b->f, a->q);
}

void eng_fund__min(eng_fund_num *r, const eng_fund_num *a, const eng_fund_num *b)
{
    if (a->kind == ENG_FUND_NUM_NULL || b->kind == ENG_FUND_NUM_NULL) {
        r->kind = ENG_FUND_NUM_NULL;
        return;
    }
    eng_fund__set(r, eng_fund__cmp(a, b) <= 0 ? a : b);
}

void eng_fund__max(eng_fund_num *r, const eng_fund_num *a, const eng_fund_num *b)
{
    if (a->kind == ENG_FUND_NUM_NULL || b->kind == ENG_FUND_NUM_NULL) {
        r->kind = ENG_FUND_NUM_NULL;
        return;
    }
    eng_fund__set(r, eng_fund__cmp(a, b) >= 0 ? a : b);
}

void eng_fund__pow_q(eng_fund_num *r, const mpq_t base, const mpq_t exponent)
{
    assert(mpq_sgn(base) >= 0);
    int integral = mpz_cmp_ui(mpq_denref(exponent), 1) == 0;
    if (integral && mpz_fits_slong_p(mpq_numref(exponent))) {
        long e = mpz_get_si(mpq_numref(exponent));
        unsigned long m = (unsigned long)(e < 0 ? -e : e);
        mpz_pow_ui(mpq_numref(r->q), mpq_numref(base), m);
        mpz_pow_ui(mpq_denref(r->q), mpq_denref(base), m);
        if (e < 0) {
            mpq_inv(r->q, r->q);
        }
        r->kind = ENG_FUND_NUM_EXACT;
        return;
    }
    if (mpq_cmp_ui(base, 1, 1) == 0 || mpq_sgn(base) == 0) {
        mpq_set(r->q, base); /* 1^B = 1 and 0^B = 0 for B > 0, exactly */
        r->kind = ENG_FUND_NUM_EXACT;
        return;
    }
    mpfr_t b, e;
    mpfr_inits2(ENG_FUND_PREC, b, e, (mpfr_ptr)NULL);
    mpfr_set_q(b, base, MPFR_RNDN);
    mpfr_set_q(e, exponent, MPFR_RNDN);
    mpfr_pow(float_part(r), b, e, MPFR_RNDN);
    r->kind = ENG_FUND_NUM_FLOAT;
    mpfr_clears(b, e, (mpfr_ptr)NULL);
}

/* ---- public accessors ---------------------------------------------------- */

int eng_fund_num_is_null(const eng_fund_num *x)
{
    assert(x != NULL);
    return x->kind == ENG_FUND_NUM_NULL;
}

int eng_fund_num_is_exact(const eng_fund_num *x)
{
    assert(x != NULL);
    return x->kind == ENG_FUND_NUM_EXACT;
}

double eng_fund_num_double(const eng_fund_num *x)
{
    assert(x != NULL);
    if (x->kind == ENG_FUND_NUM_NULL) {
        return NAN;
    }
    return x->kind == ENG_FUND_NUM_EXACT ? mpq_get_d(x->q) : mpfr_get_d(x->f, MPFR_RNDN);
}

/* Significant digits of a plain decimal such as `-0.0150` (leading zeros skipped). */
static int decimal_digits(const char *s)
{
    int n = 0, started = 0;
    for (; *s != '\0'; s++) {
        if (*s >= '1' && *s <= '9') {
            started = 1;
        }
        if (started && *s >= '0' && *s <= '9') {
            n++;
        }
    }
    return n;
}

/* Writes 0.digits x 10^e as a plain decimal, trailing fraction zeros dropped. */
static char *plain_decimal(const char *digits, long e, int negative)
{
    size_t nd = strlen(digits);
    size_t room = nd + (size_t)(e < 0 ? -e : e) + 4;
    char *out = malloc(room);
    if (out == NULL) {
        return NULL;
    }
    size_t k = 0;
    if (negative) {
        out[k++] = '-';
    }
    if (e <= 0) {
        out[k++] = '0';
        out[k++] = '.';
        for (long z = 0; z < -e; z++) {
            out[k++] = '0';
        }
        memcpy(out + k, digits, nd);
        k += nd;
    } else if ((size_t)e >= nd) {
        memcpy(out + k, digits, nd);
        k += nd;
        for (size_t z = nd; z < (size_t)e; z++) {
            out[k++] = '0';
        }
    } else {
        memcpy(out + k, digits, (size_t)e);
        k += (size_t)e;
        out[k++] = '.';
        memcpy(out + k, digits + e, nd - (size_t)e);
        k += nd - (size_t)e;
    }
    out[k] = '\0';
    if (strchr(out, '.') != NULL) {
        while (k > 0 && out[k - 1] == '0') {
            out[--k] = '\0';
        }
        if (k > 0 && out[k - 1] == '.') {
            out[--k] = '\0';
        }
    }
    return out;
}

char *eng_fund_num_str(const eng_fund_num *x, int sig_digits)
{
    assert(x != NULL);
    assert(sig_digits >= 1 && sig_digits <= 70);
    if (x->kind == ENG_FUND_NUM_NULL) {
        return strdup("null");
    }
    if (x->kind == ENG_FUND_NUM_EXACT) {
        char *exact = eng_q_format(x->q);
        if (exact == NULL || (strchr(exact, '/') == NULL && decimal_digits(exact) <= sig_digits)) {
            return exact;
        }
        free(exact);
    }
    mpfr_t v;
    mpfr_init2(v, ENG_FUND_PREC);
    eng_fund__get_fr(v, x);
    char *out = NULL;
    if (mpfr_zero_p(v)) {
        out = strdup("0");
    } else {
        mpfr_exp_t e = 0;
        char *d = mpfr_get_str(NULL, &e, 10, (size_t)sig_digits, v, MPFR_RNDN);
        if (d != NULL) {
            int negative = d[0] == '-';
            long ex = e > 100000 ? 100000 : (e < -100000 ? -100000 : (long)e);
            out = plain_decimal(d + negative, ex, negative);
            mpfr_free_str(d);
        }
    }
    mpfr_clear(v);
    return out;
}
