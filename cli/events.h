/*
 * events.h -- one run of `events import`: the file read, the program's
 * versions, the loans it names, and what each event did.  Shared by
 * cmd_events.c (the flow and the report) and events_rec.c (recording).
 */
#ifndef CLI_EVENTS_H
#define CLI_EVENTS_H

#include <stdint.h>

#include "cli.h"
#include "events_csv.h"
#include "lifecycle.h"
#include "pg.h"

#define CLI_EVENTS_POLICIES_MAX 64

typedef enum { CLI_EV_NEW = 0, CLI_EV_SKIPPED, CLI_EV_BAD } cli_ev_status;

/* A default's allocation, kept for the report, the trace and the entries. */
typedef struct {
    eng_fen outstanding, interest, loss_base;
    int claimant, residual;
    eng_fen *raw;          /* n_parties */
    size_t n_cuts;
    eng_life_cut *cuts;
    size_t n_over;
    size_t *over;          /* stop_payments breakers over */
} cli_ev_default;

/* What one row of the file did. */
typedef struct {
    uint8_t status;        /* cli_ev_status */
    uint8_t closed;        /* a repayment that closed its loan */
    uint8_t why;           /* CLI_EV_BAD found before applying: 1 recorded otherwise, 2 no loan */
    int32_t loan;          /* index into run.loans; -1 for funding */
    eng_fen subsidy;       /* a repayment's interest-subsidy claim */
    eng_fen *part;         /* default: a_P; recovery: r_P (n_parties of the loan's version) */
    uint8_t *listed;       /* default, recovery: parties reported */
    cli_ev_default *dflt;  /* default */
    char *outcome;         /* skipped: the outcome recorded the first time (JSON) */
} cli_ev_item;

/* A loan the file names, with its recorded text kept for its lifetime. */
typedef struct {
    eng_life_loan life;
    char *agency;
    char *borrower_code;
    char *loan_id;
} cli_ev_loan;

typedef struct {
    cli_common common;
    const char *program;
    const char *path;
    const char *encoding;
    cli_event_file file;
    eng_policy *versions[CLI_EVENTS_POLICIES_MAX];
    size_t n_versions;
    cli_ev_item *items;    /* one per row */
    cli_ev_loan *loans;
    size_t n_loans;
    size_t n_new, n_skipped;
    long first_event_no;   /* of the first new event */
} cli_events_run;

/* The pool that pays a loan's subsidies: the first pool of its version (DESIGN 10). */
int cli_events_first_pool(const eng_policy *p);

/* The report rows of row i: calls fn(ctx, party, amount) for each (party "" for none). */
void cli_events_rows(const cli_events_run *run, size_t i,
                     void (*fn)(void *ctx, const char *party, eng_fen amount), void *ctx);

/* The outcome JSON of a new row i (the report rows and, for a repayment, its claim). */
char *cli_events_outcome(const cli_events_run *run, size_t i);

/*
 * Records the new events, their defaults and their entries in the transaction
 * `j` holds on `db`.  Returns ENG_OK or the failure with `err` set.
 */
struct led_journal;
eng_status cli_events_record(cli_events_run *run, led_db *db, struct led_journal *j,
                             eng_error *err);

#endif
