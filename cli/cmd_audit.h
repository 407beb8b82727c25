/* cmd_audit.h -- `riskshare audit ...` (DESIGN 7, 8). */
#ifndef CLI_CMD_AUDIT_H
#define CLI_CMD_AUDIT_H

/* Runs `audit SUBCOMMAND ...`; argv holds the words after `audit`.  Returns the exit code. */
int cli_cmd_audit(int argc, char **argv);

#endif
