/* cmd_settle.h -- `riskshare settle` (DESIGN 6 "Settlement", 8, 10). */
#ifndef CLI_CMD_SETTLE_H
#define CLI_CMD_SETTLE_H

/*
 * Runs `settle --program P (--through DATE | --period X) [--commit] [--xlsx FILE]`;
 * argv holds the words after `settle`.  Returns the exit code (DESIGN 8).
 */
int cli_cmd_settle(int argc, char **argv);

#endif
