/*
 * audit_balances.c -- `riskshare audit balances` (DESIGN 7, 8, 10;
 * docs/auditor-guide.md): every account's debit, credit and balance, exact, as
 * the ledger sums them.  Columns `account,debit,credit,balance` in every format,
 * rows by account name bytewise.  Without --program the programs are summed per
 * account name (a party in two programs shows one line per account).
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "audit_store.h"
#include "cli.h"
#include "ledger.h"

static const char usage[] =
    "usage: riskshare audit balances [--program P] [--as-of DATE] [--party X]\n"
    "options: --db CONNINFO  --format table|csv|json  --quiet\n"
    "Prints every account's debit, credit and balance (debit - credit), exact, by\n"
    "account name.  --as-of counts only entries with a business date on or before\n"
    "DATE; --party only that party's accounts; --program one program (without it,\n"
    "every program, summed per account).\n";

typedef struct {
    cli_common common;
    led_audit_balance_opts opts;
} balances_run;

/* Takes the value of option argv[*i] into `*slot`; -1 after a usage error. */
static int take(const char **slot, int *i, int n, char **argv)
{
    if (*i + 1 >= n) {
        cli_errorf("audit balances: %s needs a value", argv[*i]);
        return -1;
    }
    if (*slot != NULL) {
        cli_errorf("audit balances: %s given twice", argv[*i]);
        return -1;
    }
    *slot = argv[++*i];
    return 0;
}

/* Parses argv: 1 to run, 0 after --help, -1 after a usage error. */
static int parse_args(balances_run *run, int argc, char **argv)
{
    int n = 0;
    int code = cli_begin(&run->common, &n, argc, argv, usage);
    eng_date d;
    eng_error err;

    if (code >= 0) {
        return code == CLI_EXIT_OK ? 0 : -1;
    }
    for (int i = 0; i < n; i++) {
        const char *a = argv[i];
        const char **slot = strcmp(a, "--program") == 0 ? &run->opts.program
                            : strcmp(a, "--as-of") == 0 ? &run->opts.as_of
                            : strcmp(a, "--party") == 0 ? &run->opts.party
                                                        : NULL;
        if (slot == NULL) {
            cli_errorf("audit balances: unexpected argument \"%s\" (see --help)", a);
            return -1;
        }
        if (take(slot, &i, n, argv) < 0) {
            return -1;
        }
    }
    if (run->opts.as_of != NULL &&
        eng_date_parse(&d, run->opts.as_of, strlen(run->opts.as_of), &err) != ENG_OK) {
        cli_errorf("audit balances: --as-of: %s", err.message);
        return -1;
    }
    return 1;
}

/* Copies the rows into a report and prints it in the chosen format. */
static int print_rows(const balances_run *run, const led_rows *rows)
{
    static const char *const cols[] = {"account", "debit", "credit", "balance"};
    cli_report *rep = cli_report_new(cols, 4);
    int rc = rep != NULL ? 0 : -1;

    assert(led_rows_width(rows) == 4);
    for (size_t r = 0; rc == 0 && r < led_rows_count(rows); r++) {
        const char *v[4];
        for (size_t c = 0; c < 4; c++) {
            v[c] = led_rows_get(rows, r, c);
        }
        rc = cli_report_add(rep, v);
    }
    if (rc == 0) {
        rc = cli_report_write(rep, stdout, cli_output_format(&run->common));
    }
    cli_report_free(rep);
    if (rc != 0 || fflush(stdout) != 0) {
        cli_errorf("audit balances: cannot write the report");
        return CLI_EXIT_SOFTWARE;
    }
    return CLI_EXIT_OK;
}

int cli_audit_balances(int argc, char **argv)
{
    balances_run run;
    led_db *db = NULL;
    led_rows *rows = NULL;
    eng_error err;
    eng_status rc;
    int code;

    memset(&run, 0, sizeof(run));
    code = parse_args(&run, argc, argv);
    if (code <= 0) {
        return code == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    eng_error_clear(&err);
    rc = cli_connect(&db, run.common.db, &err);
    if (rc == ENG_OK && run.opts.program != NULL) {
        rc = led_audit_program_known(db, run.opts.program, &err);
    }
    if (rc == ENG_OK) {
        rc = led_audit_balances(&rows, db, &run.opts, &err);
    }
    led_close(db);
    if (rc != ENG_OK) {
        cli_print_error(&err);
        return cli_exit_for(rc);
    }
    code = print_rows(&run, rows);
    led_rows_free(rows);
    return code;
}
