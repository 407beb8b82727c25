/*
 * cli_harness.h -- runs bin/riskshare as a user would, for the CLI tests.
 */
#ifndef CLI_HARNESS_H
#define CLI_HARNESS_H

#include <stddef.h>

typedef struct {
    int status;    /* exit code, or 128 + signal */
    char *out;     /* everything on stdout (owned, NUL-terminated) */
    char *err;     /* everything on stderr (owned, NUL-terminated) */
} clh_result;

/*
 * Runs $RISKSHARE_BIN (default bin/riskshare) with the NULL-terminated `args`
 * and RISKSHARE_DB set to `db` (unset when NULL), stdin from /dev/null.
 * Fails the running test when the program cannot be started.
 */
clh_result clh_run(const char *db, const char *const *args);

void clh_free(clh_result *r);

/* Reads the whole file `path` into a NUL-terminated string the caller frees; fails the test when it cannot. */
char *clh_slurp(const char *path);

/* Writes `text` to the file `name` in a fresh temporary folder; its path goes to `path_out`. */
void clh_write_file(char *path_out, size_t size, const char *name, const char *text);

#endif
