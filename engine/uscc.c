/* uscc.c -- GB 32100-2015 unified social credit code check character. */
#include "uscc.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

static const char charset[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
static const int weights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};

/* The value 0..30 of a code character, or -1. */
static int value_of(char c)
{
    const char *p = c != '\0' ? strchr(charset, c) : NULL;
    return p != NULL ? (int)(p - charset) : -1;
}

char eng_uscc_check_char(const char *first17)
{
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        int v = value_of(first17[i]);
        assert(v >= 0);
        sum += v * weights[i];
    }
    return charset[(31 - sum % 31) % 31];
}

const char *eng_uscc_check(const char *code, size_t len, char *buf, size_t size)
{
    if (len != 18) {
        return "must be 18 characters";
    }
    for (size_t i = 0; i < 18; i++) {
        if (value_of(code[i]) < 0) {
            snprintf(buf, size, "character %zu ('%c') is not allowed", i + 1,
                     (code[i] >= 0x20 && code[i] < 0x7f) ? code[i] : '?');
            return buf;
        }
    }
    for (size_t i = 2; i < 8; i++) {
        if (code[i] < '0' || code[i] > '9') {
            return "the administrative division (characters 3-8) must be 6 digits";
        }
    }
    char want = eng_uscc_check_char(code);
    if (code[17] != want) {
        snprintf(buf, size, "check character is %c, expected %c", code[17], want);
        return buf;
    }
    return NULL;
}
