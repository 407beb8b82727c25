/*
 * cmd_fund.c -- `riskshare fund model` (DESIGN 8, 9; docs/fund-reference.md).
 *
 * Loads the fund file (policies/fund_loader.c), runs eng_fund_model() and, with --grid,
 * eng_fund_grid_run(), then prints.  Every table is built once as text cells (ftab): in
 * full precision (15 significant digits, the json's figures) for csv and the workbook, or
 * rounded for people (percentages, two decimals) for the terminal table.  json is built
 * with jansson in the shape DESIGN 9 pins.
 */
#include "cmd_fund.h"

#include <assert.h>
#include <errno.h>
#include <jansson.h>
#include <mpfr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fund_loader.h"
#include "fund_model.h"
#include "fund_svg.h"
#include "fund_xlsx.h"
#include "money.h"

static const char usage[] =
    "usage: riskshare fund model FILE [--format table|csv|json] [--table NAME]\n"
    "                            [--xlsx FILE] [--svg FILE] [--grid PARAM=V,V,... [PARAM=V,...]]\n"
    "\n"
    "Models the parent fund (母基金) of FILE and its sub-funds: leverage by tier, 返投,\n"
    "Takahashi-Alexander projections, waterfalls, concessions, IRR and the J-curve.\n"
    "  --format      table (default on a terminal), csv (one table) or json (everything)\n"
    "  --table NAME  the table csv prints (table: only that one): summary, leverage,\n"
    "                leverage-years, subfunds, subfund-years, years (csv default), grid\n"
    "  --svg FILE    the J-curve chart as SVG\n"
    "  --xlsx FILE   a workbook: every table and native Excel charts of the J-curve\n"
    "  --grid        a sensitivity grid over one or two parameters, each applied to every\n"
    "                sub-fund: growth bow life yield pref catch_up carry rate multiple\n"
    "                participation_cap; e.g. --grid growth=0.05,0.10,0.15 bow=1.5,2,3\n"
    "Exit codes: 0 ok, 2 usage, 65 bad fund file or unwritable output.\n";

/* Significant digits of every figure in csv, json and the workbook (DESIGN 9: at least 12). */
#define SIG 15
/* Words one --grid may hold: ENG_FUND_GRID_VALUES_MAX values of up to 64 bytes. */
#define GRID_WORD_MAX (ENG_FUND_GRID_VALUES_MAX * 65)

typedef enum {
    T_ALL = -1, T_SUMMARY = 0, T_LEVERAGE, T_LEVERAGE_YEARS, T_SUBFUNDS, T_SUBFUND_YEARS,
    T_YEARS, T_GRID, T__COUNT
} table_id;

static const char *const table_names[T__COUNT] = {
    "summary", "leverage", "leverage-years", "subfunds", "subfund-years", "years", "grid",
};

typedef struct {
    const char *file;
    const char *xlsx;
    const char *svg;
    int table;             /* a table_id */
    eng_fund_grid *grid;   /* NULL without --grid */
} fund_opts;

/* ---- a table of owned text cells ------------------------------------------------ */

typedef struct {
    const char *name;
    const char *const *cols;
    size_t n_cols;
    size_t n_rows, cap_rows;
    char **cells;          /* n_rows x n_cols, owned; NULL prints empty */
    int oom;               /* a cell or row could not be stored */
} ftab;

static void ftab_init(ftab *t, const char *name, const char *const *cols, size_t n_cols)
{
    memset(t, 0, sizeof(*t));
    t->name = name;
    t->cols = cols;
    t->n_cols = n_cols;
}

/* Appends `row` (n_cols strings, owned by the table from now on, NULL allowed). */
static void ftab_add(ftab *t, char **row)
{
    if (t->n_rows == t->cap_rows) {
        size_t cap = t->cap_rows ? t->cap_rows * 2 : 16;
        char **cells = realloc(t->cells, cap * t->n_cols * sizeof(char *));
        if (cells == NULL) {
            for (size_t i = 0; i < t->n_cols; i++) {
                free(row[i]);
            }
            t->oom = 1;
            return;
        }
        t->cells = cells;
        t->cap_rows = cap;
    }
    memcpy(t->cells + t->n_rows * t->n_cols, row, t->n_cols * sizeof(char *));
    t->n_rows++;
}

static void ftab_free(ftab *t)
{
    for (size_t i = 0; i < t->n_rows * t->n_cols; i++) {
        free(t->cells[i]);
    }
    free(t->cells);
    t->cells = NULL;
    t->n_rows = t->cap_rows = 0;
}

/* Prints `t` in `fmt` (table: under its name); 0, or -1 when memory or stdout fails. */
static int ftab_print(const ftab *t, cli_format fmt, int titled)
{
    cli_report *r = cli_report_new(t->cols, t->n_cols);
    int rc = r == NULL || t->oom ? -1 : 0;
    for (size_t i = 0; rc == 0 && i < t->n_rows; i++) {
        rc = cli_report_add(r, (const char *const *)(t->cells + i * t->n_cols));
    }
    if (rc == 0 && titled) {
        printf("%s\n", t->name);
    }
    if (rc == 0) {
        rc = cli_report_write(r, stdout, fmt);
    }
    if (rc == 0 && titled) {
        putchar('\n');
    }
    cli_report_free(r);
    return rc;
}

/* ---- cells ------------------------------------------------------------------------ */

static char *dup(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

static char *int_cell(long v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%ld", v);
    return strdup(buf);
}

/* A model year as a cell, empty for 0 (none). */
static char *year_cell(int year)
{
    return year > 0 ? int_cell(year) : NULL;
}

static char *calendar_cell(const eng_fund_result *r, int year)
{
    return year > 0 ? int_cell((long)r->start_year + year - 1) : NULL;
}

/* Full precision, for csv, json and the workbook; NULL for a null number. */
static char *full(const eng_fund_num *x)
{
    return eng_fund_num_is_null(x) ? NULL : eng_fund_num_str(x, SIG);
}

/*
 * Writes exact `x` (times 100 when `percent`) with `decimals` places into `buf`, rounded
 * half away from zero (四舍五入) like every amount riskshare shows.  Returns 0, or -1 when
 * it does not fit.
 */
static int exact_fixed(char *buf, size_t size, const mpq_t x, int decimals, int percent)
{
    mpz_t n, d, q;
    mpz_inits(n, d, q, NULL);
    mpz_ui_pow_ui(d, 10, (unsigned long)decimals);
    mpz_mul(n, mpq_numref(x), d);
    if (percent) {
        mpz_mul_ui(n, n, 100);
    }
    int negative = mpz_sgn(n) < 0;
    mpz_abs(n, n);
    mpz_mul_2exp(n, n, 1);
    mpz_add(n, n, mpq_denref(x));
    mpz_mul_2exp(d, mpq_denref(x), 1);
    mpz_fdiv_q(q, n, d); /* floor(|x| 10^decimals + 1/2) */
    char *digits = mpz_get_str(NULL, 10, q);
    int rc = -1;
    size_t len = digits != NULL ? strlen(digits) : 0;
    size_t pad = len <= (size_t)decimals ? (size_t)decimals + 1 - len : 0;
    if (digits != NULL && len + pad + 3 < size) {
        char *p = buf;
        *p = '-';
        p += negative && mpz_sgn(q) != 0;
        memset(p, '0', pad);
        memcpy(p + pad, digits, len);
        size_t whole = pad + len - (size_t)decimals;
        memmove(p + whole + (decimals > 0), p + whole, (size_t)decimals);
        if (decimals > 0) {
            p[whole] = '.';
        }
        p[pad + len + (decimals > 0)] = '\0';
        rc = 0;
    }
    free(digits);
    mpz_clears(n, d, q, NULL);
    return rc;
}

/* Copies the plain decimal `in` to `out` with a comma every three digits of its whole part. */
static void group_thousands(char *out, size_t size, const char *in)
{
    size_t sign = in[0] == '-', whole = strspn(in + sign, "0123456789");
    size_t k = 0;
    for (size_t i = 0; in[i] != '\0' && k + 2 < size; i++) {
        size_t left = sign + whole - i; /* digits of the whole part still to copy */
        if (i > sign && i < sign + whole && left % 3 == 0) {
            out[k++] = ',';
        }
        out[k++] = in[i];
    }
    out[k] = '\0';
}

/* Rounded for people: `decimals` places, times 100 with a `%` when `percent`. */
static char *human(const eng_fund_num *x, int decimals, int percent)
{
    char buf[160], grouped[224];
    if (eng_fund_num_is_null(x)) {
        return strdup("n/a");
    }
    if (eng_fund_num_is_exact(x)) {
        if (exact_fixed(buf, sizeof(buf) - 1, x->q, decimals, percent) != 0) {
            return strdup("(too large)");
        }
    } else {
        mpfr_t v;
        mpfr_init2(v, ENG_FUND_PREC);
        mpfr_set(v, x->f, MPFR_RNDN);
        if (percent) {
            mpfr_mul_ui(v, v, 100, MPFR_RNDN);
        }
        int n = mpfr_snprintf(buf, sizeof(buf) - 1, "%.*Rf", decimals, v);
        mpfr_clear(v);
        if (n < 0 || (size_t)n >= sizeof(buf) - 1) {
            return strdup("(too large)");
        }
        if (buf[0] == '-' && strspn(buf + 1, "0.") == strlen(buf + 1)) {
            memmove(buf, buf + 1, strlen(buf)); /* never print -0.00 */
        }
    }
    group_thousands(grouped, sizeof(grouped) - 1, buf);
    if (percent) {
        size_t len = strlen(grouped); /* sizeof(grouped) - 1 left room for it */
        grouped[len] = '%';
        grouped[len + 1] = '\0';
    }
    return strdup(grouped);
}

static char *amount_cell(const eng_fund_num *x, int people)
{
    return people ? human(x, 2, 0) : full(x);
}

static char *ratio_cell(const eng_fund_num *x, int people)
{
    return people ? human(x, 2, 1) : full(x);
}

static char *multiple_cell(const eng_fund_num *x, int people)
{
    return people ? human(x, 4, 0) : full(x);
}

static char *bool_cell(int ok, int people)
{
    return strdup(people ? (ok ? "yes" : "NO") : (ok ? "true" : "false"));
}

/* An IRR: its value (the chosen root), empty (csv) or `n/a` (people) when there is none. */
static char *irr_cell(const eng_fund_irr *irr, int people)
{
    if (irr->status == ENG_FUND_IRR_NONE) {
        return people ? strdup("n/a") : NULL;
    }
    if (!people) {
        return full(&irr->value);
    }
    char *v = human(&irr->value, 4, 1);
    if (v == NULL || irr->status != ENG_FUND_IRR_SEVERAL) {
        return v;
    }
    char buf[96];
    snprintf(buf, sizeof(buf), "%s (%zu roots)", v, irr->n_roots);
    free(v);
    return strdup(buf);
}

/* ---- tables ----------------------------------------------------------------------- */

/* Appends a `metric,value` row. */
static void kv(ftab *t, const char *metric, char *value)
{
    char *row[2] = {dup(metric), value};
    ftab_add(t, row);
}

static void summary(ftab *t, const eng_fund *f, const eng_fund_result *r, int people)
{
    static const char *const cols[] = {"metric", "value"};
    const eng_fund_parent_result *p = &r->parent;
    ftab_init(t, "Parent fund: summary", cols, 2);
    kv(t, "fund", dup(f->id));
    kv(t, "parent", dup(f->parent_name));
    kv(t, "currency", dup(f->currency));
    kv(t, "start_year", int_cell(r->start_year));
    kv(t, "last_year", year_cell(r->last_year));
    kv(t, "paid_in", amount_cell(&p->paid_in, people));
    kv(t, "distributions", amount_cell(&p->distributions, people));
    kv(t, "nav", amount_cell(&p->nav, people));
    kv(t, "irr", irr_cell(&p->irr, people));
    if (p->irr.status == ENG_FUND_IRR_NONE) {
        kv(t, "irr_reason", dup(p->irr.reason));
    }
    kv(t, "xirr", irr_cell(&p->xirr, people));
    if (p->xirr.status == ENG_FUND_IRR_NONE) {
        kv(t, "xirr_reason", dup(p->xirr.reason));
    }
    kv(t, "tvpi", multiple_cell(&p->tvpi, people));
    kv(t, "dpi", multiple_cell(&p->dpi, people));
    kv(t, "rvpi", multiple_cell(&p->rvpi, people));
    kv(t, "trough_year", year_cell(p->trough_year));
    kv(t, "trough_calendar_year", calendar_cell(r, p->trough_year));
    kv(t, "trough_amount", amount_cell(&p->trough_amount, people));
    kv(t, "breakeven_year", year_cell(p->breakeven_year));
    kv(t, "breakeven_calendar_year", calendar_cell(r, p->breakeven_year));
}

static void leverage(ftab *t, const eng_fund_result *r, int people)
{
    static const char *const cols[] = {"metric", "value", "formula"};
    const eng_fund_leverage *l = &r->leverage;
    const struct {
        const char *name;
        const eng_fund_num *x;
        const char *formula;
        int money;
    } m[] = {
        {"parent", &l->parent, "P / F", 0},
        {"subfund", &l->subfund, "S / p", 0},
        {"subfund_private", &l->subfund_private, "Q / p", 0},
        {"fiscal", &l->fiscal, "S / (p F/P)", 0},
        {"state_share", &l->state_share, "(p + O) / S", 0},
        {"private_per_fiscal", &l->private_per_fiscal, "(Q + p Q_P/P) / (p F/P)", 0},
        {"deployment", &l->deployment, "p / P", 0},
        {"undeployed", &l->undeployed, "P - p", 1},
    };
    ftab_init(t, "Leverage by tier (committed basis)", cols, 3);
    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
        int share = i == 4 || i == 6;
        char *row[3] = {
            dup(m[i].name),
            m[i].money ? amount_cell(m[i].x, people)
                       : share ? ratio_cell(m[i].x, people) : multiple_cell(m[i].x, people),
            dup(m[i].formula),
        };
        ftab_add(t, row);
    }
}

static void leverage_years(ftab *t, const eng_fund_result *r, int people)
{
    static const char *const cols[] = {
        "year", "calendar_year", "subfund_paid_in", "parent_paid_in", "private_paid_in",
        "subfund", "subfund_private", "fiscal",
    };
    ftab_init(t, "Leverage by year (paid-in basis)", cols, 8);
    for (size_t i = 0; i < r->leverage.n_years; i++) {
        const eng_fund_leverage_year *y = &r->leverage.years[i];
        char *row[8] = {
            int_cell(y->year), calendar_cell(r, y->year),
            amount_cell(&y->subfund_paid_in, people), amount_cell(&y->parent_paid_in, people),
            amount_cell(&y->private_paid_in, people), multiple_cell(&y->subfund, people),
            multiple_cell(&y->subfund_private, people), multiple_cell(&y->fiscal, people),
        };
        ftab_add(t, row);
    }
}

static const char *const subfund_cols[] = {
    "id", "kind", "size", "participation", "participation_cap", "participation_ok",
    "state_share", "state_share_ok", "reinvestment_required", "reinvestment_counted",
    "reinvestment_ratio", "reinvestment_shortfall", "reinvestment_ok", "gross_irr",
    "gross_tvpi", "lp_irr", "lp_tvpi", "gp_carry", "clawback", "government_distributions",
    "government_irr", "private_distributions", "private_irr", "ceded",
};
#define SUBFUND_COLS (sizeof(subfund_cols) / sizeof(subfund_cols[0]))

/* An exact input ratio (a cap from the file) as a cell. */
static char *q_ratio_cell(const mpq_t q, int people)
{
    if (!people) {
        return eng_q_format(q);
    }
    eng_fund_num x;
    x.kind = ENG_FUND_NUM_EXACT;
    mpq_init(x.q);
    mpq_set(x.q, q);
    char *s = human(&x, 2, 1);
    mpq_clear(x.q);
    return s;
}

/* One sub-fund's summary row: every column of subfund_cols. */
static void subfund_row(char **row, const eng_fund_subfund *in, const eng_fund_subfund_result *s,
                        int people)
{
    size_t k = 0;
    row[k++] = dup(s->id);
    row[k++] = dup(eng_fund_kind_name(s->kind));
    row[k++] = amount_cell(&s->size, people);
    row[k++] = ratio_cell(&s->participation, people);
    row[k++] = q_ratio_cell(in->participation_cap, people);
    row[k++] = bool_cell(s->participation_ok, people);
    row[k++] = ratio_cell(&s->state_share, people);
    row[k++] = bool_cell(s->state_share_ok, people);
    row[k++] = amount_cell(&s->reinvestment.required, people);
    row[k++] = amount_cell(&s->reinvestment.counted, people);
    row[k++] = multiple_cell(&s->reinvestment.ratio, people);
    row[k++] = amount_cell(&s->reinvestment.shortfall, people);
    row[k++] = bool_cell(s->reinvestment.ok, people);
    row[k++] = irr_cell(&s->gross_irr, people);
    row[k++] = multiple_cell(&s->gross_tvpi, people);
    row[k++] = irr_cell(&s->lp_irr, people);
    row[k++] = multiple_cell(&s->lp_tvpi, people);
    row[k++] = amount_cell(&s->gp_carry, people);
    row[k++] = amount_cell(&s->clawback, people);
    row[k++] = amount_cell(&s->government_distributions, people);
    row[k++] = irr_cell(&s->government_irr, people);
    row[k++] = amount_cell(&s->private_distributions, people);
    row[k++] = irr_cell(&s->private_irr, people);
    row[k++] = amount_cell(&s->ceded, people);
    assert(k == SUBFUND_COLS);
}

static void subfunds(ftab *t, const eng_fund *f, const eng_fund_result *r, int people)
{
    ftab_init(t, "Sub-funds", subfund_cols, SUBFUND_COLS);
    for (size_t i = 0; i < r->n_subfunds; i++) {
        char *row[SUBFUND_COLS];
        subfund_row(row, f->subfunds[i], &r->subfunds[i], people);
        ftab_add(t, row);
    }
}

/* For people the wide sub-fund table splits in two: structure and 返投, then returns. */
static void split_subfunds(ftab *out_a, ftab *out_b, const ftab *all)
{
    static const char *const a_cols[] = {
        "id", "kind", "size", "parent share", "cap", "ok", "state share", "ok",
        "返投 required", "counted", "ratio", "shortfall", "ok",
    };
    static const char *const b_cols[] = {
        "id", "gross IRR", "gross TVPI", "LP IRR", "LP TVPI", "GP carry", "clawback",
        "gov. distributions", "gov. IRR", "private distributions", "private IRR", "ceded",
    };
    ftab_init(out_a, "Sub-funds: structure and 返投 (reinvestment)", a_cols, 13);
    ftab_init(out_b, "Sub-funds: returns (government = the parent's stake)", b_cols, 12);
    for (size_t i = 0; i < all->n_rows; i++) {
        char *const *src = all->cells + i * all->n_cols;
        char *a[13], *b[12];
        for (size_t k = 0; k < 13; k++) {
            a[k] = dup(src[k]);
        }
        b[0] = dup(src[0]);
        for (size_t k = 1; k < 12; k++) {
            b[k] = dup(src[12 + k]);
        }
        ftab_add(out_a, a);
        ftab_add(out_b, b);
    }
}

static void subfund_years(ftab *t, const eng_fund_result *r, int people)
{
    static const char *const cols[] = {
        "id", "year", "calendar_year", "calls", "distributions", "nav", "liquidation", "roc",
        "pref", "catch_up", "split", "clawback", "lp", "gp", "net_nav", "government_calls",
        "government_distributions", "government_nav", "private_calls", "private_distributions",
        "private_nav", "ceded",
    };
    ftab_init(t, "Sub-funds by year", cols, 22);
    for (size_t i = 0; i < r->n_subfunds; i++) {
        const eng_fund_subfund_result *s = &r->subfunds[i];
        for (size_t j = 0; j < s->n_years; j++) {
            const eng_fund_subfund_year *y = &s->years[j];
            const eng_fund_num *v[] = {
                &y->calls, &y->distributions, &y->nav, &y->liquidation, &y->roc, &y->pref,
                &y->catch_up, &y->split, &y->clawback, &y->lp, &y->gp, &y->net_nav,
                &y->government_calls, &y->government_distributions, &y->government_nav,
                &y->private_calls, &y->private_distributions, &y->private_nav, &y->ceded,
            };
            char *row[22] = {dup(s->id), int_cell(y->year), calendar_cell(r, y->year)};
            for (size_t k = 0; k < 19; k++) {
                row[3 + k] = amount_cell(v[k], people);
            }
            ftab_add(t, row);
        }
    }
}

static void years(ftab *t, const eng_fund_result *r, int people)
{
    static const char *const cols[] = {
        "year", "calendar_year", "calls", "distributions", "net", "cumulative_net", "paid_in",
        "nav", "dpi", "rvpi", "tvpi", "irr_to_date",
    };
    ftab_init(t, "Parent fund by year (its share of each sub-fund, after concessions)", cols,
              12);
    for (size_t i = 0; i < r->parent.n_years; i++) {
        const eng_fund_parent_year *y = &r->parent.years[i];
        char *row[12] = {
            int_cell(y->year), calendar_cell(r, y->year), amount_cell(&y->calls, people),
            amount_cell(&y->distributions, people), amount_cell(&y->net, people),
            amount_cell(&y->cumulative_net, people), amount_cell(&y->paid_in, people),
            amount_cell(&y->nav, people), multiple_cell(&y->dpi, people),
            multiple_cell(&y->rvpi, people), multiple_cell(&y->tvpi, people),
            irr_cell(&y->irr_to_date, people),
        };
        ftab_add(t, row);
    }
}

/* A grid value as written (exact). */
static char *grid_value(const mpq_t q)
{
    return eng_q_format(q);
}

/* The long form: one row per cell, the parameters first. */
static void grid_long(ftab *t, const eng_fund_grid_result *g, const char **cols, int people)
{
    static const char *const metrics[] = {
        "parent_irr", "parent_xirr", "parent_tvpi", "parent_dpi", "parent_distributions",
        "trough_year", "trough_amount", "breakeven_year",
    };
    size_t lead = g->n_axes;
    cols[0] = eng_fund_param_name(g->row_param);
    cols[1] = g->n_axes > 1 ? eng_fund_param_name(g->col_param) : NULL;
    for (size_t k = 0; k < 8; k++) {
        cols[lead + k] = metrics[k];
    }
    ftab_init(t, "Sensitivity grid (every sub-fund at each value)", cols, lead + 8);
    for (size_t i = 0; i < g->n_rows; i++) {
        for (size_t j = 0; j < g->n_cols; j++) {
            const eng_fund_parent_result *p = &g->cells[i * g->n_cols + j]->parent;
            char *row[10];
            row[0] = grid_value(g->row_values[i]);
            if (lead > 1) {
                row[1] = grid_value(g->col_values[j]);
            }
            row[lead + 0] = irr_cell(&p->irr, people);
            row[lead + 1] = irr_cell(&p->xirr, people);
            row[lead + 2] = multiple_cell(&p->tvpi, people);
            row[lead + 3] = multiple_cell(&p->dpi, people);
            row[lead + 4] = amount_cell(&p->distributions, people);
            row[lead + 5] = year_cell(p->trough_year);
            row[lead + 6] = amount_cell(&p->trough_amount, people);
            row[lead + 7] = year_cell(p->breakeven_year);
            ftab_add(t, row);
        }
    }
}

/* For people with two axes: a matrix of the parent's IRR (or TVPI), rows x columns. */
static void grid_matrix(ftab *t, const eng_fund_grid_result *g, char **heads, int tvpi)
{
    static char title_irr[128], title_tvpi[128];
    char *title = tvpi ? title_tvpi : title_irr;
    snprintf(title, 128, "Parent %s by %s (rows) and %s (columns)", tvpi ? "TVPI" : "IRR",
             eng_fund_param_name(g->row_param), eng_fund_param_name(g->col_param));
    heads[0] = dup(eng_fund_param_name(g->row_param));
    for (size_t j = 0; j < g->n_cols; j++) {
        heads[1 + j] = grid_value(g->col_values[j]);
    }
    ftab_init(t, title, (const char *const *)heads, 1 + g->n_cols);
    for (size_t i = 0; i < g->n_rows; i++) {
        char *row[1 + ENG_FUND_GRID_VALUES_MAX];
        row[0] = grid_value(g->row_values[i]);
        for (size_t j = 0; j < g->n_cols; j++) {
            const eng_fund_parent_result *p = &g->cells[i * g->n_cols + j]->parent;
            row[1 + j] = tvpi ? multiple_cell(&p->tvpi, 1) : irr_cell(&p->irr, 1);
        }
        ftab_add(t, row);
    }
}

/* ---- json (DESIGN 9) ---------------------------------------------------------------- */

/* A number as a decimal string, or null. */
static json_t *jnum(const eng_fund_num *x)
{
    char *s = full(x);
    json_t *v = s != NULL ? json_string(s) : json_null();
    free(s);
    return v;
}

/* Sets `key` to an IRR; with no root also `<key>_reason`, with several `<key>_roots`. */
static void jirr(json_t *obj, const char *key, const eng_fund_irr *irr)
{
    char k[64];
    json_object_set_new(obj, key,
                        irr->status == ENG_FUND_IRR_NONE ? json_null() : jnum(&irr->value));
    if (irr->status == ENG_FUND_IRR_NONE) {
        snprintf(k, sizeof(k), "%s_reason", key);
        json_object_set_new(obj, k, json_string(irr->reason != NULL ? irr->reason : "no root"));
    } else if (irr->status == ENG_FUND_IRR_SEVERAL) {
        json_t *roots = json_array();
        for (size_t i = 0; i < irr->n_roots; i++) {
            json_array_append_new(roots, jnum(&irr->roots[i]));
        }
        snprintf(k, sizeof(k), "%s_roots", key);
        json_object_set_new(obj, k, roots);
    }
}

static json_t *jyear(int year)
{
    return year > 0 ? json_integer(year) : json_null();
}

static json_t *json_leverage(const eng_fund_leverage *l)
{
    json_t *o = json_object();
    json_object_set_new(o, "parent", jnum(&l->parent));
    json_object_set_new(o, "subfund", jnum(&l->subfund));
    json_object_set_new(o, "subfund_private", jnum(&l->subfund_private));
    json_object_set_new(o, "fiscal", jnum(&l->fiscal));
    return o;
}

static json_t *json_holder(const eng_fund_num *distributions, const eng_fund_irr *irr)
{
    json_t *o = json_object();
    json_object_set_new(o, "distributions", jnum(distributions));
    jirr(o, "irr", irr);
    return o;
}

static json_t *json_returns(const eng_fund_irr *irr, const eng_fund_num *tvpi)
{
    json_t *o = json_object();
    jirr(o, "irr", irr);
    json_object_set_new(o, "tvpi", jnum(tvpi));
    return o;
}

static json_t *json_subfund(const eng_fund_subfund_result *s)
{
    json_t *o = json_object(), *re = json_object();
    json_object_set_new(o, "id", json_string(s->id));
    json_object_set_new(o, "size", jnum(&s->size));
    json_object_set_new(o, "state_share", jnum(&s->state_share));
    json_object_set_new(o, "participation_ok", json_boolean(s->participation_ok));
    json_object_set_new(re, "required", jnum(&s->reinvestment.required));
    json_object_set_new(re, "counted", jnum(&s->reinvestment.counted));
    json_object_set_new(re, "ratio", jnum(&s->reinvestment.ratio));
    json_object_set_new(re, "shortfall", jnum(&s->reinvestment.shortfall));
    json_object_set_new(re, "ok", json_boolean(s->reinvestment.ok));
    json_object_set_new(o, "reinvestment", re);
    json_object_set_new(o, "gross", json_returns(&s->gross_irr, &s->gross_tvpi));
    json_object_set_new(o, "lp", json_returns(&s->lp_irr, &s->lp_tvpi));
    json_object_set_new(o, "gp_carry", jnum(&s->gp_carry));
    json_object_set_new(o, "government",
                        json_holder(&s->government_distributions, &s->government_irr));
    json_object_set_new(o, "private", json_holder(&s->private_distributions, &s->private_irr));
    return o;
}

static json_t *json_parent(const eng_fund_parent_result *p)
{
    json_t *o = json_object(), *ys = json_array(), *trough = json_object();
    for (size_t i = 0; i < p->n_years; i++) {
        const eng_fund_parent_year *y = &p->years[i];
        json_t *row = json_object();
        json_object_set_new(row, "year", json_integer(y->year));
        json_object_set_new(row, "calls", jnum(&y->calls));
        json_object_set_new(row, "distributions", jnum(&y->distributions));
        json_object_set_new(row, "net", jnum(&y->net));
        json_object_set_new(row, "cumulative_net", jnum(&y->cumulative_net));
        json_object_set_new(row, "nav", jnum(&y->nav));
        json_array_append_new(ys, row);
    }
    json_object_set_new(o, "years", ys);
    jirr(o, "irr", &p->irr);
    jirr(o, "xirr", &p->xirr);
    json_object_set_new(o, "tvpi", jnum(&p->tvpi));
    json_object_set_new(o, "dpi", jnum(&p->dpi));
    json_object_set_new(trough, "year", jyear(p->trough_year));
    json_object_set_new(trough, "amount", jnum(&p->trough_amount));
    json_object_set_new(o, "trough", trough);
    json_object_set_new(o, "breakeven_year", jyear(p->breakeven_year));
    return o;
}

/* `grid` (only with --grid): the axes and one summary per cell, row-major. */
static json_t *json_grid(const eng_fund_grid_result *g)
{
    json_t *o = json_object(), *axes = json_array(), *cells = json_array();
    for (size_t a = 0; a < g->n_axes; a++) {
        json_t *axis = json_object(), *values = json_array();
        size_t n = a == 0 ? g->n_rows : g->n_cols;
        for (size_t i = 0; i < n; i++) {
            char *v = grid_value(a == 0 ? g->row_values[i] : g->col_values[i]);
            json_array_append_new(values, v != NULL ? json_string(v) : json_null());
            free(v);
        }
        json_object_set_new(axis, "param",
                            json_string(eng_fund_param_name(a == 0 ? g->row_param : g->col_param)));
        json_object_set_new(axis, "values", values);
        json_array_append_new(axes, axis);
    }
    for (size_t i = 0; i < g->n_rows * g->n_cols; i++) {
        const eng_fund_parent_result *p = &g->cells[i]->parent;
        json_t *c = json_object();
        json_object_set_new(c, "row", json_integer((json_int_t)(i / g->n_cols)));
        json_object_set_new(c, "column", json_integer((json_int_t)(i % g->n_cols)));
        jirr(c, "irr", &p->irr);
        jirr(c, "xirr", &p->xirr);
        json_object_set_new(c, "tvpi", jnum(&p->tvpi));
        json_object_set_new(c, "dpi", jnum(&p->dpi));
        json_object_set_new(c, "trough_year", jyear(p->trough_year));
        json_object_set_new(c, "trough_amount", jnum(&p->trough_amount));
        json_object_set_new(c, "breakeven_year", jyear(p->breakeven_year));
        json_array_append_new(cells, c);
    }
    json_object_set_new(o, "axes", axes);
    json_object_set_new(o, "cells", cells);
    return o;
}

static int print_json(const eng_fund_result *r, const eng_fund_grid_result *g)
{
    json_t *root = json_object(), *subs = json_array();
    json_object_set_new(root, "leverage", json_leverage(&r->leverage));
    for (size_t i = 0; i < r->n_subfunds; i++) {
        json_array_append_new(subs, json_subfund(&r->subfunds[i]));
    }
    json_object_set_new(root, "subfunds", subs);
    json_object_set_new(root, "parent", json_parent(&r->parent));
    if (g != NULL) {
        json_object_set_new(root, "grid", json_grid(g));
    }
    int rc = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (rc == 0) {
        putchar('\n');
    }
    return rc == 0 && !ferror(stdout) ? 0 : -1;
}

/* ---- chart and workbook -------------------------------------------------------------- */

/* The parent's series as doubles (drawing only); `out` arrays hold n_years each. */
typedef struct {
    double *calls, *distributions, *cumulative_net, *nav;
} series;

static int chart_of(cli_fund_chart *c, series *s, char *title, size_t title_size,
                    const eng_fund *f, const eng_fund_result *r)
{
    const eng_fund_parent_result *p = &r->parent;
    size_t n = p->n_years ? p->n_years : 1;
    s->calls = calloc(n, sizeof(double));
    s->distributions = calloc(n, sizeof(double));
    s->cumulative_net = calloc(n, sizeof(double));
    s->nav = calloc(n, sizeof(double));
    if (!s->calls || !s->distributions || !s->cumulative_net || !s->nav) {
        return -1;
    }
    for (size_t i = 0; i < p->n_years; i++) {
        s->calls[i] = eng_fund_num_double(&p->years[i].calls);
        s->distributions[i] = eng_fund_num_double(&p->years[i].distributions);
        s->cumulative_net[i] = eng_fund_num_double(&p->years[i].cumulative_net);
        s->nav[i] = eng_fund_num_double(&p->years[i].nav);
    }
    snprintf(title, title_size, "%s (%s)", f->parent_name, f->id);
    *c = (cli_fund_chart){
        .title = title, .currency = f->currency, .first_year = r->start_year, .n = p->n_years,
        .calls = s->calls, .distributions = s->distributions,
        .cumulative_net = s->cumulative_net, .nav = s->nav,
        .trough = p->trough_year > 0 ? p->trough_year - 1 : -1,
        .breakeven = p->breakeven_year > 0 ? p->breakeven_year - 1 : -1,
    };
    return 0;
}

static void series_free(series *s)
{
    free(s->calls);
    free(s->distributions);
    free(s->cumulative_net);
    free(s->nav);
}

/* Writes the SVG to `path`; prints the error and returns its exit code, or 0. */
static int write_svg(const char *path, const cli_fund_chart *c)
{
    FILE *out = fopen(path, "wb");
    if (out == NULL) {
        cli_errorf("%s: cannot write the chart: %s", path, strerror(errno));
        return CLI_EXIT_DATAERR;
    }
    int rc = cli_fund_svg_write(out, c);
    if (fclose(out) != 0 || rc != 0) {
        cli_errorf("%s: cannot write the chart", path);
        return CLI_EXIT_DATAERR;
    }
    return CLI_EXIT_OK;
}

static int write_xlsx(const char *path, const ftab *tabs, const cli_fund_chart *c)
{
    static const char *const sheet_names[T__COUNT] = {
        "Summary", "Leverage", "Leverage by year", "Sub-funds", "Sub-funds by year",
        "Parent by year", "Grid",
    };
    cli_xlsx_sheet sheets[T__COUNT];
    size_t n = 0;
    for (int i = 0; i < T__COUNT; i++) {
        if (tabs[i].cols == NULL) {
            continue; /* the grid without --grid */
        }
        sheets[n++] = (cli_xlsx_sheet){
            .name = sheet_names[i], .cols = tabs[i].cols, .n_cols = tabs[i].n_cols,
            .cells = (const char *const *)tabs[i].cells, .n_rows = tabs[i].n_rows,
        };
    }
    eng_error err;
    eng_error_clear(&err);
    if (cli_fund_xlsx_write(path, sheets, n, c, &err) != ENG_OK) {
        cli_print_error(&err);
        return CLI_EXIT_DATAERR;
    }
    return CLI_EXIT_OK;
}

/* ---- printing ---------------------------------------------------------------------- */

/* Every table in `tabs` (indexed by table_id); the grid only with a grid result. */
static void build_tables(ftab *tabs, const char **grid_cols, const eng_fund *f,
                         const eng_fund_result *r, const eng_fund_grid_result *g, int people)
{
    memset(tabs, 0, T__COUNT * sizeof(*tabs));
    summary(&tabs[T_SUMMARY], f, r, people);
    leverage(&tabs[T_LEVERAGE], r, people);
    leverage_years(&tabs[T_LEVERAGE_YEARS], r, people);
    subfunds(&tabs[T_SUBFUNDS], f, r, people);
    subfund_years(&tabs[T_SUBFUND_YEARS], r, people);
    years(&tabs[T_YEARS], r, people);
    if (g != NULL) {
        grid_long(&tabs[T_GRID], g, grid_cols, people);
    }
}

static void free_tables(ftab *tabs)
{
    for (int i = 0; i < T__COUNT; i++) {
        ftab_free(&tabs[i]);
    }
}

/* The grid for people: matrices of IRR and TVPI with two axes, else the long form. */
static int print_grid_people(const ftab *long_form, const eng_fund_grid_result *g)
{
    if (g->n_axes < 2) {
        return ftab_print(long_form, CLI_FMT_TABLE, 1);
    }
    int rc = 0;
    for (int tvpi = 0; tvpi < 2 && rc == 0; tvpi++) {
        char *heads[1 + ENG_FUND_GRID_VALUES_MAX] = {NULL};
        ftab m;
        grid_matrix(&m, g, heads, tvpi);
        for (size_t j = 0; j <= g->n_cols; j++) {
            rc = heads[j] == NULL ? -1 : rc;
        }
        rc = rc == 0 ? ftab_print(&m, CLI_FMT_TABLE, 1) : rc;
        ftab_free(&m);
        for (size_t j = 0; j <= g->n_cols; j++) {
            free(heads[j]);
        }
    }
    return rc;
}

/* Every section for a person at a terminal. */
static int print_all(const ftab *tabs, const eng_fund_grid_result *g)
{
    ftab a, b;
    int rc = ftab_print(&tabs[T_SUMMARY], CLI_FMT_TABLE, 1);
    rc = rc == 0 ? ftab_print(&tabs[T_LEVERAGE], CLI_FMT_TABLE, 1) : rc;
    split_subfunds(&a, &b, &tabs[T_SUBFUNDS]);
    rc = rc == 0 ? ftab_print(&a, CLI_FMT_TABLE, 1) : rc;
    rc = rc == 0 ? ftab_print(&b, CLI_FMT_TABLE, 1) : rc;
    ftab_free(&a);
    ftab_free(&b);
    rc = rc == 0 ? ftab_print(&tabs[T_YEARS], CLI_FMT_TABLE, 1) : rc;
    rc = rc == 0 ? ftab_print(&tabs[T_LEVERAGE_YEARS], CLI_FMT_TABLE, 1) : rc;
    if (g != NULL && rc == 0) {
        rc = print_grid_people(&tabs[T_GRID], g);
    }
    return rc;
}

static int print_report(const fund_opts *o, cli_format fmt, const eng_fund *f,
                        const eng_fund_result *r, const eng_fund_grid_result *g)
{
    if (fmt == CLI_FMT_JSON) {
        return print_json(r, g);
    }
    int people = fmt == CLI_FMT_TABLE;
    ftab tabs[T__COUNT];
    const char *grid_cols[2 + 8];
    build_tables(tabs, grid_cols, f, r, g, people);
    int rc;
    if (people && o->table == T_ALL) {
        rc = print_all(tabs, g);
    } else if (people && o->table == T_GRID) {
        rc = print_grid_people(&tabs[T_GRID], g);
    } else if (people && o->table == T_SUBFUNDS) {
        ftab a, b;
        split_subfunds(&a, &b, &tabs[T_SUBFUNDS]);
        rc = ftab_print(&a, CLI_FMT_TABLE, 1);
        rc = rc == 0 ? ftab_print(&b, CLI_FMT_TABLE, 1) : rc;
        ftab_free(&a);
        ftab_free(&b);
    } else {
        int t = o->table != T_ALL ? o->table : g != NULL ? T_GRID : T_YEARS;
        rc = ftab_print(&tabs[t], fmt, 0);
    }
    free_tables(tabs);
    return rc;
}

/* ---- arguments ----------------------------------------------------------------------- */

/* Adds one `PARAM=V,V,...` axis to `g`; prints a usage error and returns -1 when bad. */
static int grid_axis(eng_fund_grid *g, const char *word)
{
    const char *eq = strchr(word, '=');
    char name[32];
    eng_error err;
    eng_error_clear(&err);
    size_t len = eq != NULL ? (size_t)(eq - word) : 0;
    if (eq == NULL || len == 0 || len >= sizeof(name)) {
        cli_errorf("--grid: expected PARAM=V,V,... (e.g. growth=0.05,0.10), found \"%.80s\"", word);
        return -1;
    }
    memcpy(name, word, len);
    name[len] = '\0';
    int param = eng_fund_param_from_name(name);
    if (param < 0) {
        cli_errorf("--grid: unknown parameter \"%s\" (expected growth|bow|life|yield|pref|"
                   "catch_up|carry|rate|multiple|participation_cap)", name);
        return -1;
    }
    if (eng_fund_grid_add_axis(g, (eng_fund_param)param, &err) != ENG_OK) {
        cli_errorf("--grid: %s", err.message);
        return -1;
    }
    mpq_t v;
    mpq_init(v);
    int rc = 0;
    for (const char *p = eq + 1; rc == 0;) {
        size_t n = strcspn(p, ",");
        if (eng_num_parse(v, p, n, &err) != ENG_OK) {
            cli_errorf("--grid %s: %s", name, err.message);
            rc = -1;
        } else if (eng_fund_grid_add_value(g, v, &err) != ENG_OK) {
            cli_errorf("--grid %s: %s", name, err.message);
            rc = -1;
        }
        if (p[n] == '\0') {
            break;
        }
        p += n + 1;
    }
    mpq_clear(v);
    return rc;
}

/* The value of option `opt` at argv[*i] (`--opt V` or `--opt=V`), or NULL if not `opt`. */
static const char *option(const char *opt, int n, char **argv, int *i, int *missing)
{
    size_t len = strlen(opt);
    if (strncmp(argv[*i], opt, len) != 0) {
        return NULL;
    }
    if (argv[*i][len] == '=') {
        return argv[*i] + len + 1;
    }
    if (argv[*i][len] != '\0') {
        return NULL;
    }
    if (*i + 1 >= n) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}

static int table_from_name(const char *name)
{
    for (int i = 0; i < T__COUNT; i++) {
        if (strcmp(table_names[i], name) == 0) {
            return i;
        }
    }
    return -1;
}

/* `--grid W [W]`: the words that follow, up to the next option. */
static int grid_words(fund_opts *o, int n, char **argv, int *i, const char *first)
{
    if (o->grid == NULL && (o->grid = eng_fund_grid_new()) == NULL) {
        cli_errorf("out of memory");
        return CLI_EXIT_UNAVAILABLE + 1;
    }
    int words = 0;
    if (first != NULL) {
        words++;
        if (grid_axis(o->grid, first) != 0) {
            return CLI_EXIT_USAGE;
        }
    }
    while (*i + 1 < n && argv[*i + 1][0] != '-' && strchr(argv[*i + 1], '=') != NULL) {
        words++;
        if (grid_axis(o->grid, argv[++*i]) != 0) {
            return CLI_EXIT_USAGE;
        }
    }
    if (words == 0) {
        cli_errorf("--grid needs PARAM=V,V,... (e.g. --grid growth=0.05,0.10 bow=2,3)");
        return CLI_EXIT_USAGE;
    }
    return -1;
}

/* One option at argv[*i]; returns -1 to go on, else an exit code after printing why. */
static int one_option(fund_opts *o, int n, char **argv, int *i)
{
    int missing = 0;
    const char *v;
    if ((v = option("--xlsx", n, argv, i, &missing)) != NULL) {
        o->xlsx = v;
    } else if (!missing && (v = option("--svg", n, argv, i, &missing)) != NULL) {
        o->svg = v;
    } else if (!missing && (v = option("--table", n, argv, i, &missing)) != NULL) {
        if ((o->table = table_from_name(v)) < 0) {
            cli_errorf("fund model: unknown table \"%s\" (expected summary|leverage|"
                       "leverage-years|subfunds|subfund-years|years|grid)", v);
            return CLI_EXIT_USAGE;
        }
    } else if (!missing && strncmp(argv[*i], "--grid", 6) == 0 &&
               (argv[*i][6] == '\0' || argv[*i][6] == '=')) {
        return grid_words(o, n, argv, i, argv[*i][6] == '=' ? argv[*i] + 7 : NULL);
    } else {
        if (missing) {
            cli_errorf("%s needs a value", argv[*i]);
        } else {
            cli_errorf("fund model: unknown option \"%s\" (see --help)", argv[*i]);
        }
        return CLI_EXIT_USAGE;
    }
    if (v[0] == '\0') {
        cli_errorf("fund model: an empty value for %.8s", argv[*i]);
        return CLI_EXIT_USAGE;
    }
    return -1;
}

/* Parses `model FILE [options]`; returns -1 to go on, else the exit code. */
static int parse_args(fund_opts *o, int n, char **argv)
{
    memset(o, 0, sizeof(*o));
    o->table = T_ALL;
    if (n < 1 || strcmp(argv[0], "model") != 0) {
        cli_errorf(n < 1 ? "fund: missing subcommand (expected model; see --help)"
                         : "fund: unknown subcommand \"%s\" (expected model)", argv[0]);
        return CLI_EXIT_USAGE;
    }
    for (int i = 1; i < n; i++) {
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            int code = one_option(o, n, argv, &i);
            if (code >= 0) {
                return code;
            }
        } else if (o->file == NULL) {
            o->file = argv[i];
        } else {
            cli_errorf("fund model takes one FILE, found \"%s\" too", argv[i]);
            return CLI_EXIT_USAGE;
        }
    }
    if (o->file == NULL) {
        cli_errorf("fund model: no FILE given");
        return CLI_EXIT_USAGE;
    }
    if (o->table == T_GRID && o->grid == NULL) {
        cli_errorf("fund model: --table grid needs --grid");
        return CLI_EXIT_USAGE;
    }
    return -1;
}

/* ---- the command ---------------------------------------------------------------------- */

/* Runs the model (and the grid); prints the error and returns its exit code, or -1. */
static int run(eng_fund_result **r, eng_fund_grid_result **g, const fund_opts *o,
               const eng_fund *f)
{
    eng_error err;
    eng_error_clear(&err);
    eng_status rc = eng_fund_model(f, r, &err);
    if (rc != ENG_OK) {
        eng_error_at(&err, o->file, 0, 0, err.path[0] ? err.path : NULL);
        cli_print_error(&err);
        return cli_exit_for(rc);
    }
    if (o->grid != NULL && (rc = eng_fund_grid_run(f, o->grid, g, &err)) != ENG_OK) {
        if (rc == ENG_EINVALID) {
            cli_errorf("--grid: %s", err.message);
            return CLI_EXIT_USAGE;
        }
        cli_print_error(&err);
        return cli_exit_for(rc);
    }
    return -1;
}

/* Prints the report and writes the files asked for; returns the exit code. */
static int outputs(const fund_opts *o, const cli_common *c, const eng_fund *f,
                   const eng_fund_result *r, const eng_fund_grid_result *g)
{
    int code = CLI_EXIT_OK;
    if (!c->quiet && print_report(o, cli_output_format(c), f, r, g) != 0) {
        cli_errorf("fund model: cannot write the report");
        code = CLI_EXIT_UNAVAILABLE + 1;
    }
    if (code != CLI_EXIT_OK || (o->svg == NULL && o->xlsx == NULL)) {
        return code;
    }
    cli_fund_chart chart;
    series s = {NULL, NULL, NULL, NULL};
    char title[600];
    if (chart_of(&chart, &s, title, sizeof(title), f, r) != 0) {
        series_free(&s);
        cli_errorf("out of memory");
        return CLI_EXIT_UNAVAILABLE + 1;
    }
    if (o->svg != NULL) {
        code = write_svg(o->svg, &chart);
    }
    if (code == CLI_EXIT_OK && o->xlsx != NULL) {
        ftab tabs[T__COUNT];
        const char *grid_cols[2 + 8];
        build_tables(tabs, grid_cols, f, r, g, 0);
        code = write_xlsx(o->xlsx, tabs, &chart);
        free_tables(tabs);
    }
    series_free(&s);
    return code;
}

int cli_cmd_fund(int argc, char **argv)
{
    cli_common c;
    fund_opts o;
    int n;
    int code = cli_begin(&c, &n, argc, argv, usage);
    if (code >= 0) {
        return code;
    }
    code = parse_args(&o, n, argv);
    eng_fund *f = NULL;
    eng_fund_result *r = NULL;
    eng_fund_grid_result *g = NULL;
    if (code < 0) {
        eng_error err;
        eng_status rc = fund_load_file(o.file, &f, &err);
        if (rc != ENG_OK) {
            cli_print_error(&err);
            code = cli_exit_for(rc);
        }
    }
    if (code < 0) {
        code = run(&r, &g, &o, f);
    }
    if (code < 0) {
        code = outputs(&o, &c, f, r, g);
    }
    eng_fund_grid_result_free(g);
    eng_fund_result_free(r);
    eng_fund_free(f);
    eng_fund_grid_free(o.grid);
    return code;
}
