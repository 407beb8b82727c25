/* cmd_batch.h -- `riskshare batch check|submit` (DESIGN 6, 8). */
#ifndef CLI_CMD_BATCH_H
#define CLI_CMD_BATCH_H

/* Runs `batch SUBCOMMAND ...`; argv holds the words after `batch`.  Returns the exit code. */
int cli_cmd_batch(int argc, char **argv);

#endif
