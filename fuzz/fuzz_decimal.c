/*
 * fuzz_decimal.c -- libFuzzer target for the exact-number, money and date
 * parsers (engine/money.h, engine/date.h).
 *
 * The input is handed, as a buffer that is not NUL-terminated, to
 * eng_num_parse(), eng_money_parse() and eng_date_parse().  What parses must
 * also round-trip: a number formats (eng_q_format) to text without crashing,
 * an amount formats (eng_fen_format) to text that parses back to the same
 * fen, and a date formats back to the very text it came from.
 */
#include <gmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "error.h"
#include "limits.h"
#include "money.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* eng_num_parse: a failure leaves `q` unchanged; a success formats. */
static void check_num(const char *text, size_t size)
{
    mpq_t q;
    eng_error err;

    mpq_init(q);
    mpq_set_si(q, 7, 3);
    eng_error_clear(&err);
    if (eng_num_parse(q, text, size, &err) == ENG_OK) {
        char *s = eng_q_format(q);
        if (s == NULL) {
            abort();
        }
        free(s);
    } else if (mpq_cmp_si(q, 7, 3) != 0 || err.message[0] == '\0') {
        abort();
    }
    mpq_clear(q);
}

/* eng_money_parse: within ENG_FEN_MAX, and its formatted text parses back to it. */
static void check_money(const char *text, size_t size)
{
    eng_fen fen = 42;
    eng_fen back = 0;
    eng_error err;
    char out[ENG_FEN_TEXT];

    eng_error_clear(&err);
    if (eng_money_parse(&fen, text, size, &err) != ENG_OK) {
        if (fen != 42) {
            abort(); /* set only on success */
        }
        return;
    }
    if (fen > ENG_FEN_MAX || fen < -ENG_FEN_MAX) {
        abort();
    }
    eng_fen_format(out, sizeof(out), fen);
    if (eng_money_parse(&back, out, strlen(out), &err) != ENG_OK || back != fen) {
        abort();
    }
}

/* eng_date_parse: a parsed date formats back to the same ten bytes. */
static void check_date(const char *text, size_t size)
{
    eng_date d = -1;
    eng_error err;
    char out[11];

    eng_error_clear(&err);
    if (eng_date_parse(&d, text, size, &err) != ENG_OK) {
        return;
    }
    eng_date_format(out, d);
    if (size != 10 || memcmp(out, text, 10) != 0) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A private copy of exactly `size` bytes, so ASan sees any read past the end. */
    char *text = malloc(size > 0 ? size : 1);
    if (text == NULL) {
        return 0;
    }
    memcpy(text, data, size);
    check_num(text, size);
    check_money(text, size);
    check_date(text, size);
    free(text);
    return 0;
}
