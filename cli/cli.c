/* cli.c -- common options, error lines and exit codes. */
#include "cli.h"
#include "limits.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int cli_common_parse(cli_common *out, int argc, char **argv)
{
    int kept = 0;
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            out->help = 1;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            out->quiet = 1;
        } else if (strcmp(a, "--db") == 0 || strcmp(a, "--format") == 0) {
            if (i + 1 >= argc) {
                cli_errorf("%s needs a value", a);
                return -1;
            }
            val = argv[++i];
        } else if (strncmp(a, "--db=", 5) == 0 || strncmp(a, "--format=", 9) == 0) {
            val = strchr(a, '=') + 1;
        } else {
            argv[kept++] = argv[i];
            continue;
        }
        if (val != NULL && strncmp(a, "--db", 4) == 0) {
            out->db = val;
        } else if (val != NULL) {
            int f = cli_format_from_name(val);
            if (f < 0) {
                cli_errorf("unknown format \"%s\" (expected table|csv|json)", val);
                return -1;
            }
            out->has_format = 1;
            out->format = (cli_format)f;
        }
    }
    return kept;
}

int cli_begin(cli_common *out, int *n, int argc, char **argv, const char *usage)
{
    *n = cli_common_parse(out, argc, argv);
    if (*n < 0) {
        return CLI_EXIT_USAGE;
    }
    if (out->help) {
        fputs(usage, stdout);
        return CLI_EXIT_OK;
    }
    return -1;
}

void cli_print_error(const eng_error *err)
{
    char line[1400];
    eng_error_format(line, sizeof(line), err);
    fprintf(stderr, "riskshare: %s\n", line);
}

void cli_errorf(const char *fmt, ...)
{
    va_list ap;
    fputs("riskshare: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_exit_for(eng_status rc)
{
    switch (rc) {
    case ENG_OK: return CLI_EXIT_OK;
    case ENG_EUSAGE: return CLI_EXIT_USAGE;
    case ENG_EPARSE:
    case ENG_ELIMIT:
    case ENG_EINVALID:
    case ENG_EUNBALANCED:
    case ENG_ECONFLICT: return CLI_EXIT_DATAERR;
    case ENG_EDB: return CLI_EXIT_UNAVAILABLE;
    case ENG_ERETRY: return CLI_EXIT_TEMPFAIL;
    case ENG_ERROR: break;
    }
    return CLI_EXIT_SOFTWARE;
}

cli_format cli_output_format(const cli_common *c)
{
    return c->has_format ? c->format : cli_format_default(stdout);
}

eng_status cli_connect(led_db **out, const char *db_option, eng_error *err)
{
    char *conninfo = NULL;
    eng_status rc = led_conninfo_resolve(&conninfo, db_option, err);
    if (rc == ENG_OK) {
        rc = led_connect(out, conninfo, err);
    }
    free(conninfo);
    return rc;
}

int cli_fail(const cli_errlist *errs, eng_status rc, const eng_error *err)
{
    if (errs->total > 0) {
        cli_errlist_print(errs, stderr);
        return CLI_EXIT_DATAERR;
    }
    cli_print_error(err);
    return cli_exit_for(rc);
}

/* A pause of about `ms` milliseconds plus up to as much again, from a per-process xorshift. */
static void cli__pause(long ms)
{
    static unsigned long long state;
    struct timespec ts;

    assert(ms > 0 && ms <= 10000);
    if (state == 0) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        state = ((unsigned long long)ts.tv_nsec << 20) ^ (unsigned long long)getpid() ^ 1;
    }
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    long total = ms + (long)(state % (unsigned long long)(ms + 1));
    ts.tv_sec = total / 1000;
    ts.tv_nsec = (total % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0) {
        /* interrupted by a signal: sleep the rest */
    }
}

eng_status cli_retry(cli_attempt_fn attempt, void *ctx, const char *what, eng_error *err)
{
    eng_status rc = ENG_ERETRY;
    int tries = 0;

    assert(attempt != NULL && what != NULL && err != NULL);
    for (long pause = CLI_RETRY_PAUSE_MS; tries < CLI_RETRY_ATTEMPTS; pause *= 2) {
        if (tries > 0) {
            cli__pause(pause / 2);
        }
        tries++;
        eng_error_clear(err);
        rc = attempt(ctx, err);
        if (rc != ENG_ERETRY) {
            return rc;
        }
    }
    assert(rc == ENG_ERETRY && tries == CLI_RETRY_ATTEMPTS);
    char cause[sizeof(err->message)];
    snprintf(cause, sizeof(cause), "%s", err->message);
    eng_error_clear(err);
    return eng_error_set(err, ENG_ERETRY,
                         "%s: conflict with another writer (%.300s); tried %d times, nothing "
                         "recorded",
                         what, cause, tries);
}

int cli_is_id(const char *s)
{
    size_t n = strlen(s);
    int ok = n >= 1 && n <= ENG_ID_MAX;
    for (size_t i = 0; ok && i < n; i++) {
        char ch = s[i];
        ok = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
             || ch == '.' || ch == '_' || ch == '-';
    }
    return ok;
}
