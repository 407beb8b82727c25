/*
 * test_money.c -- goal: exact numbers, rounding and splits behave exactly as
 * DESIGN 3 and 10 pin them: every accepted and rejected number form, the three
 * rounding modes at every tie, the largest-remainder split, fen formatting,
 * and a seeded property test over random splits.
 */
#include <criterion/criterion.h>
#include <gmp.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "money.h"

static void parse_ok(const char *text, const char *want)
{
    mpq_t q, w;
    eng_error err;
    mpq_inits(q, w, NULL);
    cr_assert_eq(eng_num_parse(q, text, strlen(text), &err), ENG_OK, "%s: %s", text, err.message);
    cr_assert_eq(mpq_set_str(w, want, 10), 0);
    mpq_canonicalize(w);
    cr_assert(mpq_equal(q, w), "%s parsed to %s, want %s", text, mpq_get_str(NULL, 10, q), want);
    mpq_clears(q, w, NULL);
}

Test(money, accepted_forms)
{
    static const struct { const char *text, *want; } cases[] = {
        {"1234.56", "123456/100"}, {"-0.5", "-1/2"}, {"40%", "2/5"}, {"1/3", "1/3"},
        {"0", "0"}, {"-0", "0"}, {"007", "7"}, {"12.340", "1234/100"}, {"0.015", "15/1000"},
        {"2.5%", "1/40"}, {"100%", "1"}, {"-3/6", "-1/2"}, {"0.000000000000000000000000000001", "1/1000000000000000000000000000000"},
        {"123456789012345678901234567890", "123456789012345678901234567890"},
        {"123456789012345678901234567890/123456789012345678901234567890", "1"},
        {"000000000000000000001.5", "3/2"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        parse_ok(cases[i].text, cases[i].want);
    }
}

Test(money, rejected_forms)
{
    static const struct { const char *text, *msg; } cases[] = {
        {"", "invalid number \"\": empty"},
        {"1e3", "invalid number \"1e3\": exponents are not allowed"},
        {"1e-3", "invalid number \"1e-3\": exponents are not allowed"},
        {"2.5E10", "invalid number \"2.5E10\": exponents are not allowed"},
        {"NaN", "invalid number \"NaN\": NaN and infinity are not allowed"},
        {".inf", "invalid number \".inf\": NaN and infinity are not allowed"},
        {"-Infinity", "invalid number \"-Infinity\": NaN and infinity are not allowed"},
        {"1,000", "invalid number \"1,000\": thousands separators are not allowed"},
        {"1_000", "invalid number \"1_000\": thousands separators are not allowed"},
        {"1 000", "invalid number \"1 000\": thousands separators are not allowed"},
        {"+1", "invalid number \"+1\": expected a decimal, a percentage or a fraction"},
        {".5", "invalid number \".5\": expected a decimal, a percentage or a fraction"},
        {"5.", "invalid number \"5.\": expected a decimal, a percentage or a fraction"},
        {" 5", "invalid number \" 5\": expected a decimal, a percentage or a fraction"},
        {"5 ", "invalid number \"5 \": expected a decimal, a percentage or a fraction"},
        {"1/0", "invalid number \"1/0\": zero denominator"},
        {"1/000", "invalid number \"1/000\": zero denominator"},
        {"1/3%", "invalid number \"1/3%\": expected a decimal, a percentage or a fraction"},
        {"1.5/2", "invalid number \"1.5/2\": expected a decimal, a percentage or a fraction"},
        {"--1", "invalid number \"--1\": expected a decimal, a percentage or a fraction"},
        {"0x10", "invalid number \"0x10\": expected a decimal, a percentage or a fraction"},
        {"1234567890123456789012345678901", "invalid number \"1234567890123456789012345678901\": more than 30 significant digits"},
        {"0.0001234567890123456789012345678901", "invalid number \"0.0001234567890123456789012345678901\": more than 30 significant digits"},
        {"1.000000000000000000000000000000", "invalid number \"1.000000000000000000000000000000\": more than 30 significant digits"},
        {"1/1234567890123456789012345678901", "invalid number \"1/1234567890123456789012345678901\": more than 30 significant digits"},
        {"%", "invalid number \"%\": expected a decimal, a percentage or a fraction"},
        {"-", "invalid number \"-\": expected a decimal, a percentage or a fraction"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        mpq_t q;
        eng_error err;
        mpq_init(q);
        mpq_set_ui(q, 7, 1);
        eng_error_clear(&err);
        cr_assert_eq(eng_num_parse(q, cases[i].text, strlen(cases[i].text), &err), ENG_EPARSE,
                     "%s accepted", cases[i].text);
        cr_assert_str_eq(err.message, cases[i].msg);
        cr_assert_eq(mpq_cmp_ui(q, 7, 1), 0, "out changed on error for %s", cases[i].text);
        mpq_clear(q);
    }
}

Test(money, money_whole_fen)
{
    static const struct { const char *text; int ok; eng_fen fen; const char *msg; } cases[] = {
        {"12.34", 1, 1234, NULL},
        {"12.340", 1, 1234, NULL},
        {"12.3", 1, 1230, NULL},
        {"-0.01", 1, -1, NULL},
        {"1000000000000000", 1, 100000000000000000LL, NULL},
        {"1000000000000000.01", 0, 0, "invalid number \"1000000000000000.01\": amount too large"},
        {"12.345", 0, 0, "invalid number \"12.345\": not a whole number of fen (0.01)"},
        {"12.3450", 0, 0, "invalid number \"12.3450\": not a whole number of fen (0.01)"},
        {"5%", 0, 0, "invalid number \"5%\": an amount must be a plain decimal"},
        {"1/2", 0, 0, "invalid number \"1/2\": an amount must be a plain decimal"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        eng_fen v = -999;
        eng_error err;
        eng_error_clear(&err);
        eng_status rc = eng_money_parse(&v, cases[i].text, strlen(cases[i].text), &err);
        if (cases[i].ok) {
            cr_assert_eq(rc, ENG_OK, "%s: %s", cases[i].text, err.message);
            cr_assert_eq(v, cases[i].fen, "%s gave %lld", cases[i].text, (long long)v);
        } else {
            cr_assert_neq(rc, ENG_OK, "%s accepted", cases[i].text);
            cr_assert_str_eq(err.message, cases[i].msg);
            cr_assert_eq(v, -999);
        }
    }
}

static eng_fen round_text(const char *text, eng_rounding mode)
{
    mpq_t q;
    eng_fen out = 0;
    eng_error err;
    mpq_init(q);
    cr_assert_eq(eng_num_parse(q, text, strlen(text), &err), ENG_OK);
    cr_assert_eq(eng_round_fen(&out, q, mode, &err), ENG_OK);
    mpq_clear(q);
    return out;
}

Test(money, rounding_modes)
{
    /* 230547.945: half_up goes away from zero, half_even to the even fen. */
    static const struct { const char *text; eng_fen up, even, down; } cases[] = {
        {"230547.945", 23054795, 23054794, 23054794},
        {"230547.955", 23054796, 23054796, 23054795},
        {"-230547.945", -23054795, -23054794, -23054794},
        {"0.005", 1, 0, 0},
        {"0.015", 2, 2, 1},
        {"0.025", 3, 2, 2},
        {"-0.005", -1, 0, 0},
        {"0.0049999", 0, 0, 0},
        {"0.0050001", 1, 1, 0},
        {"1/3", 33, 33, 33},
        {"2/3", 67, 67, 66},
        {"-2/3", -67, -67, -66},
        {"12.34", 1234, 1234, 1234},
        {"0", 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cr_expect_eq(round_text(cases[i].text, ENG_ROUND_HALF_UP), cases[i].up, "%s half_up",
                     cases[i].text);
        cr_expect_eq(round_text(cases[i].text, ENG_ROUND_HALF_EVEN), cases[i].even,
                     "%s half_even", cases[i].text);
        cr_expect_eq(round_text(cases[i].text, ENG_ROUND_DOWN), cases[i].down, "%s down",
                     cases[i].text);
    }
}

Test(money, rounding_limit)
{
    mpq_t q;
    eng_fen out = 5;
    eng_error err;
    mpq_init(q);
    mpq_set_str(q, "1000000000000000", 10);
    cr_assert_eq(eng_round_fen(&out, q, ENG_ROUND_HALF_UP, &err), ENG_OK);
    cr_assert_eq(out, 100000000000000000LL);
    mpq_set_str(q, "100000000000000001/100", 10);
    cr_assert_eq(eng_round_fen(&out, q, ENG_ROUND_HALF_UP, &err), ENG_ELIMIT);
    cr_assert_eq(out, 100000000000000000LL);
    mpq_clear(q);
}

static void split_case(eng_fen total, const char *const *weights, size_t n, const eng_fen *want)
{
    mpq_t w[8];
    eng_fen out[8];
    eng_error err;
    for (size_t i = 0; i < n; i++) {
        mpq_init(w[i]);
        cr_assert_eq(eng_num_parse(w[i], weights[i], strlen(weights[i]), &err), ENG_OK);
    }
    cr_assert_eq(eng_split_fen(out, total, (const mpq_t *)w, n), ENG_OK);
    for (size_t i = 0; i < n; i++) {
        cr_expect_eq(out[i], want[i], "total %lld part %zu: got %lld want %lld", (long long)total,
                     i, (long long)out[i], (long long)want[i]);
        mpq_clear(w[i]);
    }
}

Test(money, split_vectors)
{
    static const char *const w4321[] = {"40%", "30%", "20%", "10%"};
    static const char *const thirds[] = {"1/3", "1/3", "1/3"};
    static const char *const halves[] = {"50%", "50%"};
    static const char *const zero_first[] = {"0", "1"};
    static const char *const uneven[] = {"3", "1", "1"};
    split_case(5, w4321, 4, (const eng_fen[]){2, 2, 1, 0});          /* 0.05 -> .02/.02/.01/.00 */
    split_case(100, thirds, 3, (const eng_fen[]){34, 33, 33});       /* tie to the first part */
    split_case(200, thirds, 3, (const eng_fen[]){67, 67, 66});
    split_case(1, halves, 2, (const eng_fen[]){1, 0});
    split_case(0, halves, 2, (const eng_fen[]){0, 0});
    split_case(7, zero_first, 2, (const eng_fen[]){0, 7});
    split_case(1, uneven, 3, (const eng_fen[]){1, 0, 0});
    split_case(2, uneven, 3, (const eng_fen[]){1, 1, 0});            /* 1.2 .4 .4: tie to index 1 */
    split_case(4, uneven, 3, (const eng_fen[]){2, 1, 1});            /* 2.4 .8 .8 */
    split_case(23193, w4321, 4, (const eng_fen[]){9277, 6958, 4639, 2319});
}

/* xorshift64*: a small seeded generator whose seed is printed on failure. */
static unsigned long long next(unsigned long long *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

Test(money, split_property)
{
    const unsigned long long seed0 = 20261128ULL;
    unsigned long long s = seed0;
    mpq_t w[12], exact, diff;
    eng_fen out[12];
    mpq_inits(exact, diff, NULL);
    for (int i = 0; i < 12; i++) {
        mpq_init(w[i]);
    }
    for (int trial = 0; trial < 10000; trial++) {
        size_t n = 1 + next(&s) % 12;
        eng_fen total = (eng_fen)(next(&s) % 100000000000ULL);
        mpq_t sum;
        mpq_init(sum);
        for (size_t i = 0; i < n; i++) {
            mpq_set_ui(w[i], next(&s) % 1000, 1 + next(&s) % 997);
            mpq_canonicalize(w[i]);
            mpq_add(sum, sum, w[i]);
        }
        if (mpq_sgn(sum) == 0) {
            mpq_set_ui(w[0], 1, 1);
            mpq_set_ui(sum, 1, 1);
        }
        cr_assert_eq(eng_split_fen(out, total, (const mpq_t *)w, n), ENG_OK);
        eng_fen got = 0;
        for (size_t i = 0; i < n; i++) {
            got += out[i];
            /* |out_i - total*w_i/sum| < 1 fen */
            mpq_set_si(exact, (long)total, 1);
            mpq_mul(exact, exact, w[i]);
            mpq_div(exact, exact, sum);
            mpq_set_si(diff, (long)out[i], 1);
            mpq_sub(diff, diff, exact);
            mpq_abs(diff, diff);
            cr_assert(mpq_cmp_ui(diff, 1, 1) < 0, "seed %llu trial %d part %zu off by >= 1 fen",
                      seed0, trial, i);
        }
        cr_assert_eq(got, total, "seed %llu trial %d: parts sum to %lld, total %lld", seed0,
                     trial, (long long)got, (long long)total);
        mpq_clear(sum);
    }
    for (int i = 0; i < 12; i++) {
        mpq_clear(w[i]);
    }
    mpq_clears(exact, diff, NULL);
}

Test(money, fen_format)
{
    static const struct { eng_fen v; const char *s; } cases[] = {
        {0, "0.00"}, {1, "0.01"}, {-1, "-0.01"}, {123456, "1234.56"}, {-100, "-1.00"},
        {100000000000000000LL, "1000000000000000.00"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[ENG_FEN_TEXT];
        eng_fen_format(buf, sizeof(buf), cases[i].v);
        cr_assert_str_eq(buf, cases[i].s);
    }
}

Test(money, q_format)
{
    static const struct { const char *in, *out; } cases[] = {
        {"2/5", "0.4"}, {"1/3", "1/3"}, {"40", "40"}, {"-3/200", "-0.015"}, {"1/8", "0.125"},
        {"0", "0"}, {"5000000", "5000000"}, {"-1/3", "-1/3"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        mpq_t q;
        mpq_init(q);
        mpq_set_str(q, cases[i].in, 10);
        mpq_canonicalize(q);
        char *s = eng_q_format(q);
        cr_assert_str_eq(s, cases[i].out);
        free(s);
        mpq_clear(q);
    }
}

Test(dates, parse_and_format)
{
    static const struct { const char *text; int ok; const char *msg; } cases[] = {
        {"2024-02-29", 1, NULL},
        {"2000-02-29", 1, NULL},
        {"2023-02-29", 0, "invalid date \"2023-02-29\": no such day"},
        {"1900-02-29", 0, "invalid date \"1900-02-29\": no such day"},
        {"2024-04-31", 0, "invalid date \"2024-04-31\": no such day"},
        {"2024-13-01", 0, "invalid date \"2024-13-01\": no such day"},
        {"2024-00-10", 0, "invalid date \"2024-00-10\": no such day"},
        {"2024-1-01", 0, "invalid date \"2024-1-01\": expected YYYY-MM-DD"},
        {"20240101", 0, "invalid date \"20240101\": expected YYYY-MM-DD"},
        {"2024/01/01", 0, "invalid date \"2024/01/01\": expected YYYY-MM-DD"},
        {"1899-12-31", 0, "invalid date \"1899-12-31\": year out of range 1900-2199"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        eng_date d = -1;
        eng_error err;
        eng_error_clear(&err);
        eng_status rc = eng_date_parse(&d, cases[i].text, strlen(cases[i].text), &err);
        if (cases[i].ok) {
            char buf[11];
            cr_assert_eq(rc, ENG_OK, "%s", cases[i].text);
            eng_date_format(buf, d);
            cr_assert_str_eq(buf, cases[i].text);
        } else {
            cr_assert_eq(rc, ENG_EPARSE, "%s accepted", cases[i].text);
            cr_assert_str_eq(err.message, cases[i].msg);
        }
    }
    cr_assert_eq(eng_date_from_ymd(1970, 1, 1), 0);
    cr_assert_eq(eng_date_from_ymd(2024, 3, 1) - eng_date_from_ymd(2024, 2, 28), 2);
}

Test(dates, round_trip_every_day)
{
    eng_date start = eng_date_from_ymd(1900, 1, 1), end = eng_date_from_ymd(2199, 12, 31);
    for (eng_date d = start; d <= end; d++) {
        int y, m, dd;
        eng_date_to_ymd(d, &y, &m, &dd);
        cr_assert_eq(eng_date_from_ymd(y, m, dd), d, "day %d", d);
    }
}
