/*
 * policy.h -- one version of one risk-sharing program, as the engine sees it.
 *
 * The loader (policies/loader.c) builds an eng_policy from YAML and validates
 * every rule of the format (DESIGN 4); the engine can then trust it: party
 * indexes are in range, shares sum to 1, every cap names a capped party.
 * All memory of a policy is owned by it and released by eng_policy_free().
 */
#ifndef ENG_POLICY_H
#define ENG_POLICY_H

#include <gmp.h>
#include <stddef.h>

#include "date.h"
#include "money.h"

typedef enum {
    ENG_PARTY_POOL = 0,   /* a risk-compensation pool: pays by settlement */
    ENG_PARTY_BANK,       /* a lending bank */
    ENG_PARTY_GUARANTOR,  /* a financing guarantee agency */
    ENG_PARTY_REGUARANTOR,/* a provincial re-guarantee company */
    ENG_PARTY_FUND,       /* the national financing guarantee fund, an EU fund */
    ENG_PARTY_GOVERNMENT, /* a local government budget that pays at once */
    ENG_PARTY__COUNT
} eng_party_kind;

typedef struct {
    char *id;
    eng_party_kind kind;
    char *name;
} eng_party;

/* Loan fields usable in `when` and `require`. */
typedef enum {
    ENG_F_TECH_STATUS = 0,
    ENG_F_SECTOR,
    ENG_F_CREDIT_GRADE,
    ENG_F_BANK,
    ENG_F_GUARANTOR,
    ENG_F_BORROWER_CODE,
    ENG_F_PRINCIPAL,
    ENG_F_REVENUE,
    ENG_F_ANNUAL_RATE,
    ENG_F_COLLATERAL_RATIO,
    ENG_F_TERM_MONTHS,
    ENG_F_FIRST_LOAN,
    ENG_F_START_DATE,
    ENG_F_DIRECT,
    ENG_F__COUNT
} eng_field;

typedef enum { ENG_FT_TEXT, ENG_FT_NUMBER, ENG_FT_BOOL, ENG_FT_DATE } eng_field_type;

typedef enum {
    ENG_OP_EQ = 0,
    ENG_OP_NE,
    ENG_OP_IN,
    ENG_OP_NOT_IN,
    ENG_OP_LT,
    ENG_OP_LE,
    ENG_OP_GT,
    ENG_OP_GE,
    ENG_OP_BETWEEN,
    ENG_OP__COUNT
} eng_op;

/* One operand; which member is meaningful depends on the field's type. */
typedef struct {
    char *text;       /* ENG_FT_TEXT */
    mpq_t num;        /* ENG_FT_NUMBER (always initialised) */
    int boolean;      /* ENG_FT_BOOL */
    eng_date date;    /* ENG_FT_DATE */
} eng_value;

/* One operator test: eq/ne/lt/le/gt/ge take 1 value, between 2, in/not_in n. */
typedef struct {
    eng_op op;
    size_t n_values;
    eng_value *values;
} eng_test;

/* Every test on one field must hold. */
typedef struct {
    eng_field field;
    size_t n_tests;
    eng_test *tests;
} eng_cond;

/* Every condition must hold (an empty set always holds). */
typedef struct {
    size_t n_conds;
    eng_cond *conds;
} eng_condset;

typedef struct {
    char *id;
    int is_aggregate;     /* 0: `require`; 1: `aggregate: {per: borrower, ...}` */
    eng_condset require;  /* when !is_aggregate */
    eng_cond aggregate;   /* when is_aggregate: tests on outstanding_principal */
} eng_elig_rule;

/* Share targets other than a party index. */
#define ENG_SHARE_BANK (-1)      /* the loan's own bank */
#define ENG_SHARE_GUARANTOR (-2) /* the loan's own guarantor */

typedef struct {
    int target;  /* a party index, ENG_SHARE_BANK or ENG_SHARE_GUARANTOR */
    mpq_t ratio; /* in [0,1] */
} eng_share;

typedef struct {
    int set;
    mpq_t v;
} eng_opt_q;

typedef struct {
    int set;
    eng_fen v;
} eng_opt_fen;

/* The outputs a terms rule (or `defaults`) can set. */
typedef struct {
    size_t n_shares;           /* 0: not set here */
    eng_share *shares;
    eng_opt_q fee_rate;
    eng_opt_q fee_rate_cap;
    eng_opt_q fee_subsidy;
    eng_opt_fen fee_subsidy_cap;
    eng_opt_q interest_subsidy;
    eng_opt_fen interest_subsidy_cap;
} eng_terms_out;

typedef struct {
    char *id;
    int has_when;
    eng_condset when;
    eng_terms_out out;
} eng_terms_rule;

typedef enum { ENG_HIT_FIRST = 0, ENG_HIT_UNIQUE } eng_hit;

typedef struct {
    eng_hit hit;
    eng_terms_out defaults;
    size_t n_rules;
    eng_terms_rule *rules;
} eng_terms;

typedef enum { ENG_CAP_LOAN = 0, ENG_CAP_YEAR, ENG_CAP_BANK_YEAR, ENG_CAP_PROGRAM } eng_cap_per;

typedef struct {
    int party;                 /* party index */
    eng_cap_per per;
    eng_opt_fen amount;
    eng_opt_q pct;             /* pct_of_prior_year_outstanding (bank_year) or
                                  pct_of_admitted_principal (program) */
} eng_cap;

typedef enum {
    ENG_RESIDUAL_CLAIMANT = 0,
    ENG_RESIDUAL_BANK,
    ENG_RESIDUAL_GUARANTOR,
    ENG_RESIDUAL_PARTY
} eng_residual_kind;

typedef struct {
    eng_residual_kind kind;
    int party;                 /* when kind == ENG_RESIDUAL_PARTY */
} eng_residual;

typedef enum { ENG_LOSS_PRINCIPAL = 0, ENG_LOSS_PRINCIPAL_PLUS_INTEREST } eng_loss_kind;

typedef struct {
    eng_loss_kind kind;
    int interest_days_cap;     /* when principal_plus_interest */
} eng_loss_basis;

typedef struct {
    int set;
    int pool;                  /* party index of a pool */
    mpq_t leverage;            /* > 0 */
} eng_capacity;

typedef enum { ENG_SCOPE_BANK = 0, ENG_SCOPE_GUARANTOR, ENG_SCOPE_PROGRAM } eng_scope;
typedef enum { ENG_ACTION_STOP_NEW_LOANS = 0, ENG_ACTION_STOP_PAYMENTS } eng_action;
typedef enum { ENG_WINDOW_CUMULATIVE = 0, ENG_WINDOW_YEAR } eng_window;

typedef struct {
    char *id;
    eng_scope scope;           /* metric is always default_rate */
    mpq_t threshold;           /* in [0,1] */
    eng_action action;
    eng_window window;
} eng_breaker;

typedef enum { ENG_RECOVERY_BORNE = 0, ENG_RECOVERY_NOMINAL } eng_recovery_basis;

typedef struct {
    eng_recovery_basis basis;
    eng_opt_q cost_cap;        /* ratio of gross; unset: costs up to the gross */
} eng_recovery;

typedef enum { ENG_PERIOD_MONTH = 0, ENG_PERIOD_QUARTER, ENG_PERIOD_YEAR } eng_period;
typedef enum { ENG_SHORTFALL_PRO_RATA = 0, ENG_SHORTFALL_FIFO } eng_shortfall;

typedef struct {
    eng_period period;
    eng_shortfall shortfall;
} eng_settlement;

typedef struct {
    char *grade;
    mpq_t pd;
} eng_grade_pd;

typedef struct {
    int set;
    size_t n_grades;
    eng_grade_pd *grades;
    mpq_t lgd;
} eng_expected_loss;

typedef struct {
    char *program;
    long version;
    char *title;
    char *legal_ref;
    eng_date effective_from;
    int has_effective_to;
    eng_date effective_to;
    char *currency;
    eng_rounding rounding;
    size_t n_parties;
    eng_party *parties;
    size_t n_eligibility;
    eng_elig_rule *eligibility;
    eng_terms terms;
    size_t n_caps;
    eng_cap *caps;
    eng_residual residual;
    eng_loss_basis loss_basis;
    eng_capacity capacity;
    size_t n_breakers;
    eng_breaker *breakers;
    eng_recovery recovery;
    eng_settlement settlement;
    eng_expected_loss expected_loss;
} eng_policy;

/*
 * Allocates an empty policy for a loader to fill: zeroed, with its top-level
 * rationals initialised.  Free with eng_policy_free().  NULL when out of memory.
 * Arrays a loader attaches must have every element's rationals initialised as
 * soon as the array's count is set, so a half-built policy frees cleanly.
 */
eng_policy *eng_policy_new(void);

/* Zeroes `o` and initialises its rationals. */
void eng_terms_out_init(eng_terms_out *o);

/* Frees everything `p` owns, then `p` itself.  NULL is allowed. */
void eng_policy_free(eng_policy *p);

/* Returns the index of the party `id`, or -1. */
int eng_policy_party(const eng_policy *p, const char *id);

/* Returns 1 when the version is in force on `date` (both ends inclusive). */
int eng_policy_in_force(const eng_policy *p, eng_date date);

/* Names used in YAML and reports. */
const char *eng_party_kind_name(eng_party_kind kind);
const char *eng_field_name(eng_field field);
eng_field_type eng_field_type_of(eng_field field);
const char *eng_op_name(eng_op op);
int eng_field_from_name(const char *name);    /* -1 when unknown */
int eng_op_from_name(const char *name);       /* -1 when unknown */
int eng_party_kind_from_name(const char *name);

/* Tech statuses a loan can have (DESIGN 5). */
int eng_tech_status_valid(const char *s);

#endif
