/*
 * cmd_policy.c -- `riskshare policy check|load|list|show` (DESIGN 4, 8).
 *
 * check and load validate every file first and report each bad one on its
 * own line; load stores nothing unless every file is valid.
 */
#include "cmd_policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "date.h"
#include "ledger.h"
#include "loader.h"

static const char usage[] =
    "usage: riskshare policy check FILE...            validate, print the normalised policy\n"
    "       riskshare policy load FILE...             validate and store (same bytes again: no-op)\n"
    "       riskshare policy list                     the stored policies\n"
    "       riskshare policy show PROGRAM[@VERSION]   a stored policy, normalised\n"
    "options: --db CONNINFO  --format table|csv|json  --quiet\n";

/* One validated file. */
typedef struct {
    const char *path;
    eng_policy *policy;
    unsigned char *bytes;
    size_t len;
} loaded;

static void free_loaded(loaded *l, int n)
{
    for (int i = 0; i < n; i++) {
        eng_policy_free(l[i].policy);
        free(l[i].bytes);
    }
    free(l);
}

/* Loads every file; prints one line per bad file.  Returns the count of bad ones. */
static int load_all(loaded *out, int n, char **paths)
{
    int bad = 0;
    for (int i = 0; i < n; i++) {
        eng_error err;
        out[i].path = paths[i];
        if (pol_load_file(&out[i].policy, paths[i], &out[i].bytes, &out[i].len, &err) != ENG_OK) {
            cli_print_error(&err);
            bad++;
        }
    }
    return bad;
}

static int cmd_check(const cli_common *c, int n, char **paths)
{
    loaded *l = calloc((size_t)n, sizeof(*l));
    if (l == NULL) {
        return CLI_EXIT_UNAVAILABLE + 1;
    }
    int bad = load_all(l, n, paths);
    for (int i = 0; i < n && !c->quiet; i++) {
        if (l[i].policy == NULL) {
            continue;
        }
        char *text = pol_normalise(l[i].policy);
        printf("%s# %s\n%s", i ? "---\n" : "", l[i].path, text ? text : "");
        free(text);
    }
    free_loaded(l, n);
    return bad ? CLI_EXIT_DATAERR : CLI_EXIT_OK;
}

/* Resolves the server and connects; prints the error and returns its exit code. */
static int connect_db(led_db **out, const cli_common *c)
{
    eng_error err;
    char *conninfo = NULL;
    eng_status rc = led_conninfo_resolve(&conninfo, c->db, &err);
    if (rc == ENG_OK) {
        rc = led_connect(out, conninfo, &err);
    }
    free(conninfo);
    if (rc != ENG_OK) {
        cli_print_error(&err);
        return cli_exit_for(rc);
    }
    return CLI_EXIT_OK;
}

/* Stores one validated policy; prints what happened.  Returns an exit code. */
static int store_one(led_db *db, const loaded *l, const cli_common *c)
{
    const eng_policy *p = l->policy;
    char from[11], to[11];
    eng_error err;
    int inserted = 0;

    eng_date_format(from, p->effective_from);
    if (p->has_effective_to) {
        eng_date_format(to, p->effective_to);
    }
    char *normalised = pol_normalise(p);
    led_policy_row row = {
        .program = p->program, .version = p->version, .bytes = l->bytes, .len = l->len,
        .title = p->title, .legal_ref = p->legal_ref, .effective_from = from,
        .effective_to = p->has_effective_to ? to : NULL, .normalised = normalised,
    };
    eng_status rc = normalised != NULL ? led_policy_store(db, &row, &inserted, &err)
                                       : eng_error_set(&err, ENG_ERROR, "out of memory");
    free(normalised);
    if (rc != ENG_OK) {
        eng_error_at(&err, l->path, 0, 0, NULL);
        cli_print_error(&err);
        return cli_exit_for(rc);
    }
    if (!c->quiet) {
        fprintf(stderr, "%s: %s %s@%ld\n", l->path, inserted ? "loaded" : "already loaded, unchanged",
                p->program, p->version);
    }
    return CLI_EXIT_OK;
}

static int cmd_load(const cli_common *c, int n, char **paths)
{
    loaded *l = calloc((size_t)n, sizeof(*l));
    led_db *db = NULL;
    int code;

    if (l == NULL) {
        return CLI_EXIT_UNAVAILABLE + 1;
    }
    if (load_all(l, n, paths) > 0) {
        free_loaded(l, n);
        return CLI_EXIT_DATAERR; /* nothing stored unless every file is valid */
    }
    code = connect_db(&db, c);
    for (int i = 0; i < n && code == CLI_EXIT_OK; i++) {
        code = store_one(db, &l[i], c);
    }
    led_close(db);
    free_loaded(l, n);
    return code;
}

static int cmd_list(const cli_common *c)
{
    static const char *const cols[] = {"program", "version", "title", "effective_from",
                                       "effective_to", "sha256", "loaded_at"};
    led_db *db = NULL;
    led_policy_info *list = NULL;
    size_t n = 0;
    eng_error err;
    int code = connect_db(&db, c);
    if (code != CLI_EXIT_OK) {
        return code;
    }
    eng_status rc = led_policy_list(&list, &n, db, NULL, &err);
    led_close(db);
    if (rc != ENG_OK) {
        cli_print_error(&err);
        return cli_exit_for(rc);
    }
    cli_report *r = cli_report_new(cols, 7);
    for (size_t i = 0; r != NULL && i < n; i++) {
        char version[24], sha[17];
        snprintf(version, sizeof(version), "%ld", list[i].version);
        snprintf(sha, sizeof(sha), "%.16s", list[i].sha256);
        const char *row[] = {list[i].program, version, list[i].title, list[i].effective_from,
                             list[i].effective_to, sha, list[i].loaded_at};
        if (cli_report_add(r, row) != 0) {
            code = CLI_EXIT_UNAVAILABLE + 1;
        }
    }
    if (r == NULL || cli_report_write(r, stdout, cli_output_format(c)) != 0) {
        code = CLI_EXIT_UNAVAILABLE + 1;
    }
    cli_report_free(r);
    led_policy_list_free(list, n);
    return code;
}

/* Splits `PROGRAM[@VERSION]`; returns 0, or -1 after printing a usage error. */
static int parse_ref(char *program, size_t size, long *version, const char *ref)
{
    const char *at = strchr(ref, '@');
    size_t len = at ? (size_t)(at - ref) : strlen(ref);
    *version = 0;
    if (len == 0 || len >= size) {
        cli_errorf("policy show: invalid program \"%s\"", ref);
        return -1;
    }
    memcpy(program, ref, len);
    program[len] = '\0';
    if (at != NULL) {
        const char *v = at + 1;
        long n = 0;
        int ok = *v != '\0' && strlen(v) <= 7;
        for (; ok && *v; v++) {
            ok = *v >= '0' && *v <= '9';
            n = n * 10 + (*v - '0');
        }
        if (!ok || n < 1) {
            cli_errorf("policy show: invalid version in \"%s\" (expected PROGRAM@N)", ref);
            return -1;
        }
        *version = n;
    }
    return 0;
}

static int cmd_show(const cli_common *c, const char *ref)
{
    char program[ENG_ID_MAX + 2];
    long version;
    led_db *db = NULL;
    led_policy_info *info = NULL;
    eng_error err;

    if (parse_ref(program, sizeof(program), &version, ref) != 0) {
        return CLI_EXIT_USAGE;
    }
    int code = connect_db(&db, c);
    if (code != CLI_EXIT_OK) {
        return code;
    }
    eng_status rc = led_policy_get(&info, db, program, version, &err);
    led_close(db);
    if (rc != ENG_OK) {
        cli_print_error(&err);
        return cli_exit_for(rc);
    }
    printf("# %s@%ld sha256 %s loaded %s\n%s", info->program, info->version, info->sha256,
           info->loaded_at, info->normalised);
    led_policy_info_free(info);
    return CLI_EXIT_OK;
}

int cli_cmd_policy(int argc, char **argv)
{
    cli_common c;
    int n;
    int code = cli_begin(&c, &n, argc, argv, usage);
    if (code >= 0) {
        return code;
    }
    if (n < 1) {
        cli_errorf("policy: missing subcommand (expected check|load|list|show; see --help)");
        return CLI_EXIT_USAGE;
    }
    for (int i = 1; i < n; i++) {
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            cli_errorf("policy: unknown option \"%s\"", argv[i]);
            return CLI_EXIT_USAGE;
        }
    }
    const char *sub = argv[0];
    if (strcmp(sub, "check") == 0 || strcmp(sub, "load") == 0) {
        if (n < 2) {
            cli_errorf("policy %s: no FILE given", sub);
            return CLI_EXIT_USAGE;
        }
        return sub[0] == 'c' ? cmd_check(&c, n - 1, argv + 1) : cmd_load(&c, n - 1, argv + 1);
    }
    if (strcmp(sub, "list") == 0) {
        if (n != 1) {
            cli_errorf("policy list takes no operands");
            return CLI_EXIT_USAGE;
        }
        return cmd_list(&c);
    }
    if (strcmp(sub, "show") == 0) {
        if (n != 2) {
            cli_errorf("policy show takes one PROGRAM[@VERSION]");
            return CLI_EXIT_USAGE;
        }
        return cmd_show(&c, argv[1]);
    }
    cli_errorf("policy: unknown subcommand \"%s\" (expected check|load|list|show)", sub);
    return CLI_EXIT_USAGE;
}
