/* csv_harness.c -- shared helpers of the CSV reader tests. */
#include "csv_harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void csvh_write_file(char path[64], const char *prefix, const char *data, size_t len)
{
    snprintf(path, 64, "/tmp/riskshare-%s-XXXXXX", prefix);
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
}

void csvh_assert_errors(const cli_errlist *errs, const char *path, const char *const *want,
                        size_t n_want, const char *what)
{
    for (size_t i = 0; i < n_want && i < errs->n; i++) {
        char line[1200];
        snprintf(line, sizeof(line), "%s%s", path, want[i]);
        cr_assert_str_eq(errs->lines[i], line, "%s: error %zu:\n  got  %s\n  want %s", what, i,
                         errs->lines[i], line);
    }
    cr_assert_eq(errs->n, n_want, "%s: %zu errors, first: %s", what, errs->n,
                 errs->n ? errs->lines[0] : "-");
    cr_assert_eq(errs->total, n_want, "%s", what);
}
