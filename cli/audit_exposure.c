/* audit_exposure.c -- `riskshare audit exposure` (DESIGN 7, 8): not built yet. */
#include "audit.h"
#include "cli.h"

int cli_audit_exposure(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_errorf("audit exposure: not built yet");
    return CLI_EXIT_USAGE;
}
