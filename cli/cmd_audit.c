/* cmd_audit.c -- `riskshare audit`: finds the subcommand (see audit.h). */
#include "cmd_audit.h"

#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "cli.h"

static const char usage[] =
    "usage: riskshare audit balances [--program P] [--as-of DATE] [--party X]\n"
    "       riskshare audit loan LOAN_ID --program P\n"
    "       riskshare audit exposure --program P [--as-of DATE]\n"
    "       riskshare audit verify [--program P]\n"
    "       riskshare audit export --program P --format ledger|beancount [--as-of DATE]\n"
    "options: --db CONNINFO  --format table|csv|json  --quiet\n"
    "Run 'riskshare audit SUBCOMMAND --help' for a subcommand's options.\n";

int cli_cmd_audit(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } subs[] = {{"balances", cli_audit_balances}, {"loan", cli_audit_loan},
                {"exposure", cli_audit_exposure}, {"verify", cli_audit_verify},
                {"export", cli_audit_export}};
    if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        fputs(usage, argc < 1 ? stderr : stdout);
        return argc < 1 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
        if (strcmp(argv[0], subs[i].name) == 0) {
            return subs[i].fn(argc - 1, argv + 1);
        }
    }
    cli_errorf("audit: unknown subcommand \"%s\" (see --help)", argv[0]);
    return CLI_EXIT_USAGE;
}
