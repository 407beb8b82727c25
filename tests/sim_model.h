/*
 * sim_model.h -- the reference model of tests/test_sim.c: an in-memory program (one policy
 * version of a restricted family, its loans, claims, pool cash and account balances) that
 * predicts every report row and balance of the CLI from DESIGN 3, 6, 7, 8 and 10 alone.
 *
 * The model never calls the engine's admission, lifecycle or settlement code: amounts are
 * computed with GMP rationals here (rounding, largest-remainder splits).  Its state is one
 * plain struct without pointers, so a snapshot is a struct copy: a file the CLI must refuse
 * is generated against a copy that is then thrown away.
 *
 * The family it models (see test_sim.c for what is out of scope): one version, effective
 * from 2024-01-01; one pool, an optional reguarantor, one or two guarantors, two banks in a
 * random order; eligibility `require` rules; three `hit: first` terms rules; fee rate and
 * cap, fee and interest subsidies with caps; loan, year and program caps; a residual; a
 * cumulative default_rate breaker per bank or program (stop_new_loans or stop_payments);
 * capacity; principal loss basis; borne or nominal recovery with a cost cap; fifo or
 * pro_rata settlement; half_up, half_even or down rounding.
 */
#ifndef SIM_MODEL_H
#define SIM_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "date.h"

#define SIM_PARTIES 6
#define SIM_LOANS 96
#define SIM_CLAIMS 192
#define SIM_FLOWS 256
#define SIM_REJECTED 64
#define SIM_CAPS 3
#define SIM_RULES 3
#define SIM_BREAKERS 2
#define SIM_BORROWERS 5

typedef int64_t sim_fen;

enum { SIM_POOL, SIM_RG, SIM_GU, SIM_BANK, SIM__ROLES };              /* party kinds */
enum { SIM_OPEN = 1, SIM_CLOSED, SIM_DEFAULTED };                      /* loan states */
enum { SIM_COMP, SIM_FEE_SUB, SIM_INT_SUB };                           /* claim kinds */
enum { SIM_CAP_LOAN, SIM_CAP_YEAR, SIM_CAP_PROGRAM };
enum { SIM_RES_CLAIMANT, SIM_RES_BANK, SIM_RES_GUARANTOR, SIM_RES_RG };
enum { SIM_HALF_UP, SIM_HALF_EVEN, SIM_DOWN };
enum {
    SIM_K_CAPITAL, SIM_K_CASH, SIM_K_EXTERNAL, SIM_K_FEE_INCOME, SIM_K_LOSS, SIM_K_PAYABLE,
    SIM_K_RECEIVABLE, SIM_K_RECOVERY, SIM_K_SUBSIDY_EXPENSE, SIM__KINDS
};

typedef struct {
    char id[8];
    int kind;                    /* SIM_POOL ... SIM_BANK */
} sim_party;

typedef struct {
    const char *id;
    int shares_pm[SIM__ROLES];   /* per mille by share key: pool, rg, guarantor, bank */
    int fee_sub_pm, int_sub_pm;  /* 0: none */
    sim_fen fee_sub_cap, int_sub_cap; /* -1: none */
} sim_rule;

typedef struct {
    int party, per;
    sim_fen amount;              /* -1: none */
    int pct_pm;                  /* program caps: pct_of_admitted_principal per mille, -1 none */
} sim_cap;

typedef struct {
    int on, scope_bank, threshold_pm, stop_payments;
} sim_breaker;

typedef struct {
    char program[16];
    int rounding;
    sim_party parties[SIM_PARTIES];
    int n_parties, pool, rg;     /* rg -1 when there is none */
    /* eligibility: each rule is on or off */
    int el_tech, el_maxp, el_term, el_collateral, el_borrower;
    sim_fen maxp, borrower_limit;
    int term_lo, term_hi, collateral_pm;
    sim_rule rules[SIM_RULES];   /* hnte-direct, guaranteed, direct-other */
    int other_little_giant;      /* direct-other also takes little_giant */
    int fee_e5, fee_cap_e5;      /* fee_rate and fee_rate_cap, per 100000 */
    sim_cap caps[SIM_CAPS];
    int n_caps, residual;
    sim_breaker breakers[SIM_BREAKERS];
    int capacity, leverage;
    int nominal, cost_cap_pm, fifo; /* cost_cap_pm -1: none */
} sim_policy;

typedef struct {
    char id[16];
    int borrower, bank, gu;      /* party indexes, gu -1 for a direct loan */
    sim_fen principal, outstanding, fee, interest_paid, base, recovered;
    int rule, state, term, fee_e5; /* fee_e5 -1: the policy's */
    eng_date start, default_date;
    sim_fen parts[SIM_PARTIES];  /* final a_P after a default */
    int listed[SIM_PARTIES];     /* listed in the default's and recoveries' rows */
} sim_loan;

typedef struct {
    int id, loan, kind, payee;   /* payee: a party index, -1 for the borrower */
    eng_date date;
    sim_fen amount, paid;
} sim_claim;

typedef struct {
    eng_date date;
    sim_fen delta;
} sim_flow;

/* Everything recorded: a plain value, copied for a snapshot. */
typedef struct {
    sim_loan loans[SIM_LOANS];
    int n_loans;
    sim_claim claims[SIM_CLAIMS];
    int n_claims;
    sim_flow flows[SIM_FLOWS];   /* the pool's cash: fundings, recoveries, settlements */
    int n_flows;
    sim_fen debit[SIM_PARTIES][SIM__KINDS], credit[SIM_PARTIES][SIM__KINDS];
    char rejected[SIM_REJECTED][16]; /* ids of rejected loans never admitted since */
    int n_rejected;
    eng_date last_through;       /* 0: no settlement yet */
    int last_settlement;
    char funding_id[16];         /* a recorded funding event (for a conflicting repeat) */
    sim_fen funding_amount;
} sim_state;

/* Counters of what the model saw (for RISKSHARE_SIM_TRACE: is the generator reaching the
   interesting cases?). */
enum {
    SIM_STAT_ADMITTED, SIM_STAT_REJECTED, SIM_STAT_BREAKER, SIM_STAT_CAPACITY,
    SIM_STAT_DEFAULTS, SIM_STAT_CUTS, SIM_STAT_SHORT, SIM__STATS
};
extern long sim_stats[SIM__STATS];

/* A growing text buffer (the expected report). */
typedef struct {
    char *s;
    size_t len, cap;
} sim_buf;

void sim_buf_printf(sim_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sim_buf_free(sim_buf *b);

/* `v` fen as text (`-12.30`) into `out` (at least 32 bytes). */
void sim_fen_text(char out[32], sim_fen v);

/* Borrower `i`'s unified social credit code (a valid check digit). */
const char *sim_borrower_code(int i);
extern const char *const sim_kind_names[SIM__KINDS];

/* A loan as submitted (the model's input for admission). */
typedef struct {
    char id[16];
    int borrower, bank, gu, term, fee_e5, collateral_pm, rate_bp;
    const char *tech;
    sim_fen principal;
    eng_date start;
} sim_row;

/* Admits or rejects `row` against `st`, recording it; appends the batch report row. */
void sim_admit(const sim_policy *p, sim_state *st, const sim_row *row, sim_buf *report);

/* The share per mille of party `k` in loan `l`. */
int sim_share(const sim_policy *p, const sim_loan *l, int k);

/* Index of the admitted loan `id`, or -1. */
int sim_find_loan(const sim_state *st, const char *id);

void sim_funding(const sim_policy *p, sim_state *st, const char *event_id, eng_date d,
                 sim_fen amount, sim_buf *report);
void sim_repayment(const sim_policy *p, sim_state *st, const char *event_id, int loan,
                   eng_date d, sim_fen amount, sim_fen interest, sim_buf *report);
void sim_default(const sim_policy *p, sim_state *st, const char *event_id, int loan,
                 eng_date d, sim_buf *report);
void sim_recovery(const sim_policy *p, sim_state *st, const char *event_id, int loan,
                  eng_date d, sim_fen net, sim_buf *report);

/* A settlement through `through` (recorded when `commit`); appends its report rows. */
void sim_settle(const sim_policy *p, sim_state *st, eng_date through, int commit,
                sim_buf *report);

/* The `audit balances --format csv` the model expects. */
void sim_balances(const sim_policy *p, const sim_state *st, sim_buf *out);

/* The pool's recorded cash (all entries). */
sim_fen sim_pool_cash(const sim_state *st);

#endif
