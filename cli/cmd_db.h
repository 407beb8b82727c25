/* cmd_db.h -- `riskshare db start|stop|status|url`: the local database (DESIGN 8). */
#ifndef CLI_CMD_DB_H
#define CLI_CMD_DB_H

/*
 * Runs `db SUBCOMMAND [--quiet] [--format table|csv|json]`; argv holds the words
 * after `db` (argv[0] is the subcommand).  Returns the process exit code: 0 ok,
 * 2 usage, 69 when the local database cannot be set up, started, stopped or read.
 * Errors are one line each on stderr.
 */
int cli_cmd_db(int argc, char **argv);

#endif
