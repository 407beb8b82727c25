/*
 * fund.h -- a fund-of-funds (政府引导基金) as the engine sees it: the parent
 * fund, its commitments by source, and the sub-funds it takes stakes in.
 *
 * The struct mirrors the fund file of DESIGN 9 one key to one field.  Every
 * number is an exact rational (mpq_t) parsed from text by the loader with
 * eng_num_parse(); nothing here touches a double.  All memory of a fund is
 * owned by it and released by eng_fund_free(); the loader builds one with
 * eng_fund_new() and the eng_fund_add_...() helpers, which copy what they are
 * given.  eng_fund_validate() checks the rules of the format the model relies on.
 *
 * The grid request of a sensitivity table (`--grid growth=... bow=...`) is here
 * too: it is input, like the fund.
 */
#ifndef ENG_FUND_H
#define ENG_FUND_H

#include <gmp.h>
#include <stddef.h>

#include "error.h"

/* Bounds of one fund file (checked by eng_fund_add_...() and eng_fund_validate()). */
#define ENG_FUND_SUBFUNDS_MAX 1000
#define ENG_FUND_CALLS_MAX 100          /* entries of projection.calls */
#define ENG_FUND_LIFE_MAX 100           /* projection.life, years */
#define ENG_FUND_FIRST_YEAR_MAX 100     /* first_year and buyout year, model years */
#define ENG_FUND_INVESTMENTS_MAX 100000 /* reinvestment.investments of one sub-fund */
#define ENG_FUND_WEIGHTS_MAX 64         /* reinvestment_weights tags */
#define ENG_FUND_START_YEAR_MIN 1900
#define ENG_FUND_START_YEAR_MAX 2199
#define ENG_FUND_GRID_AXES_MAX 2
#define ENG_FUND_GRID_VALUES_MAX 100    /* values of one grid axis */

#if ENG_FUND_FIRST_YEAR_MAX + ENG_FUND_LIFE_MAX > 1000
#error "model years must stay small enough for exact rational powers"
#endif

typedef enum {
    ENG_FUND_ANGEL = 0,
    ENG_FUND_VC,
    ENG_FUND_INDUSTRY,
    ENG_FUND_OTHER,
    ENG_FUND__KIND_COUNT
} eng_fund_kind;

typedef enum {
    ENG_WATERFALL_EUROPEAN = 0, /* whole fund: capital, pref, catch-up, split */
    ENG_WATERFALL_AMERICAN      /* deal by deal with a clawback at the end */
} eng_waterfall_style;

typedef enum {
    ENG_CONCESSION_NONE = 0,
    ENG_CONCESSION_CAPPED_RETURN, /* rate, ceded */
    ENG_CONCESSION_BUYOUT         /* year, rate */
} eng_concession_kind;

/* One entry of `reinvestment_weights`: a tag and its weight (1.5 for `relocated`). */
typedef struct {
    char *tag;
    mpq_t weight;
} eng_fund_weight;

/* One local investment of a sub-fund, counted for 返投 as weight(tag) x amount. */
typedef struct {
    mpq_t amount;
    char *tag;
} eng_fund_investment;

/* Takahashi-Alexander parameters (reference 3.1). */
typedef struct {
    size_t n_calls;
    mpq_t *calls;  /* rate of contribution by age 1, 2, ...; the last one repeats */
    int life;      /* L, years */
    mpq_t bow;     /* B > 0; an integer keeps the projection exact */
    mpq_t growth;  /* G > -1, net of fees */
    mpq_t yield;   /* Y in [0, 1], the floor of the distribution rate */
} eng_fund_projection;

typedef struct {
    eng_waterfall_style style;
    mpq_t pref;     /* h, compounding yearly */
    mpq_t catch_up; /* k: 0 (no catch-up tier) or carry < k <= 1; 1 is 100% to the GP */
    mpq_t carry;    /* c in [0, 1) */
} eng_fund_waterfall;

typedef struct {
    eng_concession_kind kind;
    mpq_t rate;  /* capped_return and buyout: simple yearly interest */
    mpq_t ceded; /* capped_return: share of the excess given to private LPs (default 1) */
    int year;    /* buyout: the model year the private LPs buy the stake */
} eng_fund_concession;

typedef struct {
    char *id;
    eng_fund_kind kind;
    mpq_t parent;      /* commitments.parent, p_j */
    mpq_t other_state; /* commitments.other_state, o_j */
    mpq_t private_lp;  /* commitments.private, q_j (a C++ keyword is avoided) */
    mpq_t participation_cap;      /* p_j / S_j must not exceed it (default 1) */
    mpq_t reinvestment_multiple;  /* m_j (default 0) */
    size_t n_investments;
    eng_fund_investment *investments;
    int first_year;               /* model year of the first call (default 1) */
    eng_fund_projection projection;
    eng_fund_waterfall waterfall;
    eng_fund_concession concession;
} eng_fund_subfund;

typedef struct {
    char *id;          /* `fund` */
    char *currency;
    int start_year;    /* model year 1 is this calendar year */
    char *parent_name;
    mpq_t fiscal;      /* parent.commitments.fiscal, F */
    mpq_t soe;         /* parent.commitments.soe */
    mpq_t private_lp;  /* parent.commitments.private */
    size_t n_weights;
    eng_fund_weight *weights;   /* in file order */
    mpq_t state_share_max;      /* limits.state_share_max (default 1) */
    size_t n_subfunds;
    eng_fund_subfund **subfunds; /* pointers stay valid while subfunds are added */
} eng_fund;

/*
 * Returns an empty fund with every number initialised (0, or the default
 * documented above), or NULL when memory runs out.  The caller frees it with
 * eng_fund_free().
 */
eng_fund *eng_fund_new(void);

/* Frees `f` and everything it owns; NULL is allowed. */
void eng_fund_free(eng_fund *f);

/*
 * Replaces the string `*slot` (one of the char * fields of a fund or sub-fund)
 * with a copy of `text`.  Returns ENG_ERROR when memory runs out (`*slot` is
 * then unchanged).
 */
eng_status eng_fund_set_text(char **slot, const char *text, eng_error *err);

/*
 * Appends the weight `weight` of `tag` (both copied).  Returns ENG_EINVALID
 * for a repeated tag, ENG_ELIMIT past ENG_FUND_WEIGHTS_MAX, ENG_ERROR when
 * memory runs out.
 */
eng_status eng_fund_add_weight(eng_fund *f, const char *tag, const mpq_t weight, eng_error *err);

/*
 * Appends a sub-fund with id `id` (copied) and the defaults documented above;
 * on success sets `*out` to it (owned by `f`) for the caller to fill in.
 * Returns ENG_EINVALID for a repeated id, ENG_ELIMIT past
 * ENG_FUND_SUBFUNDS_MAX, ENG_ERROR when memory runs out.
 */
eng_status eng_fund_add_subfund(eng_fund *f, const char *id, eng_fund_subfund **out,
                                eng_error *err);

/* Appends one rate to projection.calls.  ENG_ELIMIT past ENG_FUND_CALLS_MAX. */
eng_status eng_fund_add_call(eng_fund_subfund *s, const mpq_t rate, eng_error *err);

/* Appends one local investment (copied).  ENG_ELIMIT past ENG_FUND_INVESTMENTS_MAX. */
eng_status eng_fund_add_investment(eng_fund_subfund *s, const mpq_t amount, const char *tag,
                                   eng_error *err);

/*
 * Checks every rule the model relies on and returns ENG_OK, or ENG_EINVALID
 * with the first broken rule in `err` (message and key path, such as
 * `subfunds[1].projection.life`; the loader adds file and line).  Rules:
 * commitments >= 0 with fiscal > 0 and every S_j > 0; shares and rates in
 * range (calls, yield, carry, ceded, caps in [0, 1]; growth > -1; bow > 0;
 * pref, multiple and rate >= 0); at least one call; 1 <= life <=
 * ENG_FUND_LIFE_MAX; 1 <= first_year <= ENG_FUND_FIRST_YEAR_MAX; catch_up 0 or
 * above carry; every investment tag has a weight; a concession needs private
 * commitments, and a buyout year within the sub-fund's life.
 */
eng_status eng_fund_validate(const eng_fund *f, eng_error *err);

/*
 * Returns a deep copy of `f` (the caller frees it with eng_fund_free()), or
 * NULL when memory runs out.
 */
eng_fund *eng_fund_copy(const eng_fund *f);

/* Names as they are written in the file; `..._from_name` returns -1 when unknown. */
const char *eng_fund_kind_name(eng_fund_kind kind);
int eng_fund_kind_from_name(const char *name);
const char *eng_waterfall_style_name(eng_waterfall_style style);
int eng_waterfall_style_from_name(const char *name);
const char *eng_concession_kind_name(eng_concession_kind kind);
int eng_concession_kind_from_name(const char *name);

/* ---- sensitivity grid request ---------------------------------------- */

/*
 * Parameters a grid can vary.  Each value is applied to every sub-fund:
 * growth, bow, life (a whole number), yield (projection); pref, catch_up,
 * carry (waterfall); rate (the concession rate of every sub-fund that has a
 * concession); multiple (reinvestment.multiple); participation_cap.
 */
typedef enum {
    ENG_FUND_PARAM_GROWTH = 0,
    ENG_FUND_PARAM_BOW,
    ENG_FUND_PARAM_LIFE,
    ENG_FUND_PARAM_YIELD,
    ENG_FUND_PARAM_PREF,
    ENG_FUND_PARAM_CATCH_UP,
    ENG_FUND_PARAM_CARRY,
    ENG_FUND_PARAM_RATE,
    ENG_FUND_PARAM_MULTIPLE,
    ENG_FUND_PARAM_PARTICIPATION_CAP,
    ENG_FUND_PARAM__COUNT
} eng_fund_param;

/* `growth`, `bow`, `life`, `yield`, `pref`, `catch_up`, `carry`, `rate`, `multiple`,
 * `participation_cap`; `..._from_name` returns -1 when unknown. */
const char *eng_fund_param_name(eng_fund_param param);
int eng_fund_param_from_name(const char *name);

typedef struct {
    eng_fund_param param;
    size_t n_values;
    mpq_t *values;
} eng_fund_axis;

/* One or two axes: rows are the values of axes[0], columns those of axes[1]. */
typedef struct {
    size_t n_axes;
    eng_fund_axis axes[ENG_FUND_GRID_AXES_MAX];
} eng_fund_grid;

/* Returns an empty request (freed with eng_fund_grid_free()), or NULL when out of memory. */
eng_fund_grid *eng_fund_grid_new(void);

/* Frees `g` and its values; NULL is allowed. */
void eng_fund_grid_free(eng_fund_grid *g);

/*
 * Appends an axis for `param`.  Returns ENG_ELIMIT past ENG_FUND_GRID_AXES_MAX
 * axes, ENG_EINVALID when the parameter already has an axis.
 */
eng_status eng_fund_grid_add_axis(eng_fund_grid *g, eng_fund_param param, eng_error *err);

/*
 * Appends `value` (copied) to the last axis added.  Returns ENG_ELIMIT past
 * ENG_FUND_GRID_VALUES_MAX values, ENG_ERROR when memory runs out.  Values are
 * checked when the grid runs (eng_fund_grid_run()).
 */
eng_status eng_fund_grid_add_value(eng_fund_grid *g, const mpq_t value, eng_error *err);

#endif
