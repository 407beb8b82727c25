/* audit_balances.c -- `riskshare audit balances` (DESIGN 7, 8): not built yet. */
#include "audit.h"
#include "cli.h"

int cli_audit_balances(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_errorf("audit balances: not built yet");
    return CLI_EXIT_USAGE;
}
