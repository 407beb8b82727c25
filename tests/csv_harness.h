/*
 * csv_harness.h -- what the CSV reader tests share: a temporary input file and
 * the exact comparison of a reader's error list.
 */
#ifndef CSV_HARNESS_H
#define CSV_HARNESS_H

#include <stddef.h>

#include "errlist.h"

/* Writes `len` bytes of `data` to a new temporary file named after `prefix`; path in `path`. */
void csvh_write_file(char path[64], const char *prefix, const char *data, size_t len);

/* Asserts that `errs` holds exactly `want` (each the part after the file name `path`). */
void csvh_assert_errors(const cli_errlist *errs, const char *path, const char *const *want,
                        size_t n_want, const char *what);

#endif
