/*
 * batch.h -- one run of `batch check` or `batch submit`: the loans read, the
 * policy versions, and one compact decision per loan.  Shared by
 * cmd_batch.c (the flow), batch_out.c (the report) and batch_rec.c (recording).
 */
#ifndef CLI_BATCH_H
#define CLI_BATCH_H

#include <stdint.h>
#include <stdio.h>

#include "admission.h"
#include "cli.h"
#include "errlist.h"
#include "loans_csv.h"
#include "pg.h"

#define CLI_BATCH_POLICIES_MAX 64

/* A loan's decision, kept small: a million of them stay in memory. */
typedef struct {
    eng_fen guarantee_fee;
    eng_fen fee_subsidy;
    uint32_t reasons;     /* offset of the `;`-joined reasons in run.reasons (rejected) */
    int16_t version;      /* index into run.versions; -1: no policy */
    int16_t rule;         /* terms rule index (admitted) */
    uint8_t admitted;
} cli_batch_decision;

typedef struct {
    cli_common common;
    int submit;                      /* batch submit (else check) */
    const char *program;
    const char *agency;
    const char *path;
    const char *encoding;
    const char *policy_files[CLI_BATCH_POLICIES_MAX];
    int n_policy_files;
    /* state of the run */
    cli_loan_file file;
    eng_policy *versions[CLI_BATCH_POLICIES_MAX];
    size_t n_versions;
    cli_batch_decision *decisions;   /* one per row */
    char *reasons;                   /* NUL-separated reason strings */
    size_t reasons_len, reasons_cap;
    size_t n_admitted;
    eng_fen total_fee, total_subsidy;
    long batch_id;
    char sha256[65];
    char *row;                       /* submit: the COPY row being built (batch_rec.c) */
    size_t row_cap;
} cli_batch_run;

/* Fills `loan` (initialised) from `row`: strings borrowed, rates parsed. */
void cli_batch_loan(eng_loan *loan, const cli_loan_row *row);

/* Writes the report of every decision to stdout in the run's format. */
int cli_batch_write_report(const cli_batch_run *run);

/*
 * Records the run in the transaction `j` opened on `db`, streaming: _begin
 * records the batch row and opens the COPY of its loans; _loan sends admitted
 * row `i`, decided as `loan` with terms `t` (its decision in run.decisions),
 * while the next loan is decided; _loans_end ends that COPY (a recorded loan id
 * fails it: SQLSTATE 23505); _finish records every rejection and, through the
 * journal, the guarantee-fee and fee-subsidy entries with their claims.  Each
 * returns ENG_OK or the failure with `err` set; on a failure the caller aborts
 * `j` (which ends an open COPY).
 */
struct led_journal;
eng_status cli_batch_record_begin(cli_batch_run *run, led_db *db, eng_error *err);
eng_status cli_batch_record_loan(cli_batch_run *run, led_db *db, size_t i, const eng_loan *loan,
                                 const eng_terms_result *t, eng_error *err);
eng_status cli_batch_record_loans_end(led_db *db, eng_error *err);
eng_status cli_batch_record_finish(cli_batch_run *run, led_db *db, struct led_journal *j,
                                   eng_error *err);

#endif
