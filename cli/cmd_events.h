/* cmd_events.h -- `riskshare events import` (DESIGN 5, 6, 8). */
#ifndef CLI_CMD_EVENTS_H
#define CLI_CMD_EVENTS_H

/* Runs `events SUBCOMMAND ...`; argv holds the words after `events`.  Returns the exit code. */
int cli_cmd_events(int argc, char **argv);

#endif
