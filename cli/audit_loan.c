/* audit_loan.c -- `riskshare audit loan` (DESIGN 7, 8): not built yet. */
#include "audit.h"
#include "cli.h"

int cli_audit_loan(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_errorf("audit loan: not built yet");
    return CLI_EXIT_USAGE;
}
