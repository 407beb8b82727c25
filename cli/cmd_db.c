/*
 * cmd_db.c -- `riskshare db start|stop|status|url` (DESIGN 8).
 *
 * These act on the local database only (ledger/local.h), whatever --db or
 * RISKSHARE_DB say: they are how a user runs riskshare's own PostgreSQL.
 */
#include "cmd_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ledger.h"

static const char usage[] =
    "usage: riskshare db start     initialise (first time), start and migrate the local database\n"
    "       riskshare db stop      stop it\n"
    "       riskshare db status    running, stopped or not initialised; pid and paths\n"
    "       riskshare db url       its libpq connection string (for psql \"$(riskshare db url)\")\n"
    "options: --format table|csv|json (status)  --quiet\n"
    "The local database lives in $RISKSHARE_HOME, else $XDG_DATA_HOME/riskshare,\n"
    "else ~/.local/share/riskshare; --db and RISKSHARE_DB do not apply here.\n";

static const char *db__state_name(led_local_state state)
{
    switch (state) {
    case LED_LOCAL_RUNNING: return "running";
    case LED_LOCAL_STOPPED: return "stopped";
    case LED_LOCAL_NOT_INITIALISED: break;
    }
    return "not initialised";
}

/* Prints the error and returns the exit code of a failed db command. */
static int db__fail(const eng_error *err)
{
    cli_print_error(err);
    return CLI_EXIT_UNAVAILABLE;
}

static int db__start(const cli_common *c)
{
    led_local_info info;
    led_db *db = NULL;
    char *url = NULL;
    eng_error err;
    eng_status rc;

    eng_error_clear(&err);
    rc = led_local_start(&info, &err);
    if (rc == ENG_OK) {
        rc = led_local_url(&url, &err);
    }
    if (rc == ENG_OK) {
        rc = led_connect(&db, url, &err);       /* applies the migrations */
    }
    led_close(db);
    free(url);
    if (rc < 0) {
        return db__fail(&err);
    }
    if (!c->quiet) {
        fprintf(stderr, "riskshare: local database running (pid %ld) in %s\n", info.pid,
                info.paths.home);
    }
    return CLI_EXIT_OK;
}

static int db__stop(const cli_common *c)
{
    int was_running = 0;
    eng_error err;

    eng_error_clear(&err);
    if (led_local_stop(&was_running, &err) < 0) {
        return db__fail(&err);
    }
    if (!c->quiet) {
        fprintf(stderr, "riskshare: local database %s\n",
                was_running ? "stopped" : "was not running");
    }
    return CLI_EXIT_OK;
}

static int db__status(const cli_common *c)
{
    static const char *const cols[] = {"state", "pid", "data_dir", "socket_dir", "log_file"};
    led_local_info info;
    char pid[24] = "";
    const char *row[5];
    cli_report *report;
    eng_error err;
    int wrote;

    eng_error_clear(&err);
    if (led_local_status(&info, &err) < 0) {
        return db__fail(&err);
    }
    if (info.pid > 0) {
        snprintf(pid, sizeof(pid), "%ld", info.pid);
    }
    row[0] = db__state_name(info.state);
    row[1] = pid;
    row[2] = info.paths.data_dir;
    row[3] = info.paths.socket_dir;
    row[4] = info.paths.log_file;
    report = cli_report_new(cols, 5);
    if (report == NULL || cli_report_add(report, row) < 0) {
        cli_report_free(report);
        cli_errorf("out of memory");
        return CLI_EXIT_UNAVAILABLE;
    }
    wrote = cli_report_write(report, stdout, cli_output_format(c));
    cli_report_free(report);
    return wrote == 0 ? CLI_EXIT_OK : CLI_EXIT_UNAVAILABLE;
}

static int db__url(void)
{
    char *url = NULL;
    eng_error err;

    eng_error_clear(&err);
    if (led_local_url(&url, &err) < 0) {
        return db__fail(&err);
    }
    printf("%s\n", url);
    free(url);
    return CLI_EXIT_OK;
}

int cli_cmd_db(int argc, char **argv)
{
    cli_common c;
    int n;
    int code = cli_begin(&c, &n, argc, argv, usage);
    if (code >= 0) {
        return code;
    }
    if (n < 1) {
        cli_errorf("db: missing subcommand (expected start|stop|status|url; see --help)");
        return CLI_EXIT_USAGE;
    }
    if (c.db != NULL) {
        cli_errorf("db %s: --db does not apply: these commands act on the local database",
                   argv[0]);
        return CLI_EXIT_USAGE;
    }
    if (n > 1) {
        cli_errorf("db %s: unexpected argument \"%s\"", argv[0], argv[1]);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[0], "start") == 0) {
        return db__start(&c);
    }
    if (strcmp(argv[0], "stop") == 0) {
        return db__stop(&c);
    }
    if (strcmp(argv[0], "status") == 0) {
        return db__status(&c);
    }
    if (strcmp(argv[0], "url") == 0) {
        return db__url();
    }
    cli_errorf("db: unknown subcommand \"%s\" (expected start|stop|status|url)", argv[0]);
    return CLI_EXIT_USAGE;
}
