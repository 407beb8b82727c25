/* date.c -- civil dates <-> day numbers (proleptic Gregorian calendar). */
#include "date.h"

#include <assert.h>
#include <stdio.h>

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return (m == 2 && is_leap(y)) ? 29 : days[m - 1];
}

/* Howard Hinnant's days_from_civil, for years well inside int range. */
eng_date eng_date_from_ymd(int year, int month, int day)
{
    assert(month >= 1 && month <= 12);
    assert(day >= 1 && day <= 31);
    int y = year - (month <= 2);
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int mp = (month + 9) % 12;
    int doy = (153 * mp + 2) / 5 + day - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (eng_date)(era * 146097 + doe - 719468);
}

void eng_date_to_ymd(eng_date date, int *year, int *month, int *day)
{
    int z = date + 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    int d = doy - (153 * mp + 2) / 5 + 1;
    int m = mp < 10 ? mp + 3 : mp - 9;
    *year = yoe + era * 400 + (m <= 2);
    *month = m;
    *day = d;
    assert(*month >= 1 && *month <= 12);
    assert(*day >= 1 && *day <= 31);
}

static int digits(const char *s, size_t n, int *out)
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

eng_status eng_date_parse(eng_date *out, const char *text, size_t len, eng_error *err)
{
    int y, m, d;

    if (len != 10 || text[4] != '-' || text[7] != '-' || !digits(text, 4, &y) ||
        !digits(text + 5, 2, &m) || !digits(text + 8, 2, &d)) {
        return eng_error_set(err, ENG_EPARSE, "invalid date \"%.*s\": expected YYYY-MM-DD",
                             (int)(len > 40 ? 40 : len), text);
    }
    if (y < 1900 || y > 2199) {
        return eng_error_set(err, ENG_EPARSE, "invalid date \"%.*s\": year out of range 1900-2199",
                             (int)len, text);
    }
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) {
        return eng_error_set(err, ENG_EPARSE, "invalid date \"%.*s\": no such day", (int)len,
                             text);
    }
    *out = eng_date_from_ymd(y, m, d);
    return ENG_OK;
}

void eng_date_format(char out[11], eng_date date)
{
    int y, m, d;
    eng_date_to_ymd(date, &y, &m, &d);
    /* Years stay within 1900..2199 for parsed dates; clamp so the text always fits. */
    unsigned yy = (unsigned)(y < 0 ? 0 : y) % 10000u;
    snprintf(out, 11, "%04u-%02u-%02u", yy, (unsigned)m % 100u, (unsigned)d % 100u);
}
