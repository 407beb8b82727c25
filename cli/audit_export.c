/* audit_export.c -- `riskshare audit export` (DESIGN 7, 8): not built yet. */
#include "audit.h"
#include "cli.h"

int cli_audit_export(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_errorf("audit export: not built yet");
    return CLI_EXIT_USAGE;
}
