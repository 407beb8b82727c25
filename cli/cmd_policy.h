/* cmd_policy.h -- `riskshare policy check|load|list|show`. */
#ifndef CLI_CMD_POLICY_H
#define CLI_CMD_POLICY_H

/*
 * Runs `policy SUBCOMMAND ...`; argv holds the words after `policy`.
 * Returns the process exit code.
 */
int cli_cmd_policy(int argc, char **argv);

#endif
