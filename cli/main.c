/*
 * main.c -- the riskshare command line (DESIGN 8): finds the command and
 * hands the rest of the arguments to its module.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_audit.h"
#include "cmd_batch.h"
#include "cmd_db.h"
#include "cmd_events.h"
#include "cmd_fund.h"
#include "cmd_gen.h"
#include "cmd_policy.h"
#include "cmd_settle.h"

static const char usage[] =
    "usage: riskshare COMMAND [ARGS] [--db CONNINFO] [--format table|csv|json] [--quiet]\n"
    "\n"
    "commands:\n"
    "  db start|stop|status|url          the local database\n"
    "  policy check FILE...              validate, print the normalised policy\n"
    "  policy load FILE...               validate and store\n"
    "  policy list                       the stored policies\n"
    "  policy show PROGRAM[@VERSION]     one stored policy, normalised\n"
    "  batch check --program P --agency A FILE    admission without recording\n"
    "  batch submit --program P --agency A FILE   admission and recording\n"
    "  events import --program P FILE     funding, repayments, defaults, recoveries\n"
    "  settle --program P --through DATE|--period 2024Q3 [--commit] [--xlsx FILE]\n"
    "  fund model FILE [--xlsx FILE] [--svg FILE] [--grid ...]  the industry fund model\n"
    "  audit balances|loan|exposure|verify|export   balances, trails, integrity (see --help)\n"
    "  gen loans --count N --seed S --policy FILE  a deterministic synthetic batch\n"
    "\n"
    "Run 'riskshare COMMAND --help' for a command's options.\n"
    "Exit codes: 0 ok, 1 audit fault, 2 usage, 65 bad input, 69 database unavailable,\n"
    "75 conflict (retry).\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        cli_errorf("missing command (run 'riskshare --help')");
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage, stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(cmd, "db") == 0) {
        return cli_cmd_db(argc - 2, argv + 2);
    }
    if (strcmp(cmd, "audit") == 0) {
        return cli_cmd_audit(argc - 2, argv + 2);
    }
    if (strcmp(cmd, "batch") == 0) {
        return cli_cmd_batch(argc - 2, argv + 2);
    }
    if (strcmp(cmd, "events") == 0) {
        return cli_cmd_events(argc - 2, argv + 2);
    }
    if (strcmp(cmd, "fund") == 0) {
        return cli_cmd_fund(argc - 2, argv + 2);
    }
    if (strcmp(cmd, "gen") == 0) {
        return cli_cmd_gen(argc - 2, argv + 2);
    }
    if (strcmp(cmd, "policy") == 0) {
        return cli_cmd_policy(argc - 2, argv + 2);
    }
    if (strcmp(cmd, "settle") == 0) {
        return cli_cmd_settle(argc - 2, argv + 2);
    }
    cli_errorf("unknown command \"%s\" (run 'riskshare --help')", cmd);
    return CLI_EXIT_USAGE;
}
