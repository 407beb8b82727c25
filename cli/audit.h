/*
 * audit.h -- the `riskshare audit` subcommands (DESIGN 7, 8), one function
 * each; argv holds the words after the subcommand's name.  Each returns the
 * exit code (audit verify: 1 when it finds a fault).
 */
#ifndef CLI_AUDIT_H
#define CLI_AUDIT_H

int cli_audit_balances(int argc, char **argv);  /* audit_balances.c */
int cli_audit_loan(int argc, char **argv);      /* audit_loan.c */
int cli_audit_exposure(int argc, char **argv);  /* audit_exposure.c */
int cli_audit_verify(int argc, char **argv);    /* audit_verify.c */
int cli_audit_export(int argc, char **argv);    /* audit_export.c */

#endif
