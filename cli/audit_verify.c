/* audit_verify.c -- `riskshare audit verify` (DESIGN 7, 8): not built yet. */
#include "audit.h"
#include "cli.h"

int cli_audit_verify(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_errorf("audit verify: not built yet");
    return CLI_EXIT_USAGE;
}
