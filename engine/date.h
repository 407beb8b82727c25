/*
 * date.h -- calendar dates as day numbers (days since 1970-01-01).
 */
#ifndef ENG_DATE_H
#define ENG_DATE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef int32_t eng_date;

/*
 * Parses ISO `YYYY-MM-DD` (exactly 10 bytes, years 1900..2199) into `*out`,
 * rejecting impossible dates such as 2023-02-29.  Sets `*out` only on success;
 * on failure returns ENG_EPARSE with a message in `err`.
 */
eng_status eng_date_parse(eng_date *out, const char *text, size_t len, eng_error *err);

/* Returns the day number of a valid civil date. */
eng_date eng_date_from_ymd(int year, int month, int day);

/* Splits a day number into its civil year, month and day. */
void eng_date_to_ymd(eng_date date, int *year, int *month, int *day);

/* Writes `YYYY-MM-DD` into `out` (at least 11 bytes). */
void eng_date_format(char out[11], eng_date date);

#endif
