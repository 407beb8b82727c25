/*
 * fund.c -- the fund input struct: building, copying, freeing, validating.
 */
#include "fund.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {"angel", "vc", "industry", "other"};
static const char *const style_names[] = {"european", "american"};
static const char *const concession_names[] = {"none", "capped_return", "buyout"};
static const char *const param_names[] = {
    "growth", "bow", "life", "yield", "pref", "catch_up", "carry", "rate", "multiple",
    "participation_cap"};

static int name_index(const char *const *names, int n, const char *name)
{
    if (name == NULL) {
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (strcmp(names[i], name) == 0) {
            return i;
        }
    }
    return -1;
}

const char *eng_fund_kind_name(eng_fund_kind kind)
{
    assert(kind >= 0 && kind < ENG_FUND__KIND_COUNT);
    return kind_names[kind];
}

int eng_fund_kind_from_name(const char *name)
{
    return name_index(kind_names, ENG_FUND__KIND_COUNT, name);
}

const char *eng_waterfall_style_name(eng_waterfall_style style)
{
    assert(style == ENG_WATERFALL_EUROPEAN || style == ENG_WATERFALL_AMERICAN);
    return style_names[style];
}

int eng_waterfall_style_from_name(const char *name)
{
    return name_index(style_names, 2, name);
}

const char *eng_concession_kind_name(eng_concession_kind kind)
{
    assert(kind >= ENG_CONCESSION_NONE && kind <= ENG_CONCESSION_BUYOUT);
    return concession_names[kind];
}

int eng_concession_kind_from_name(const char *name)
{
    int i = name_index(concession_names, 3, name);
    return i == ENG_CONCESSION_NONE ? -1 : i; /* `none` is not written in a file */
}

const char *eng_fund_param_name(eng_fund_param param)
{
    assert(param >= 0 && param < ENG_FUND_PARAM__COUNT);
    return param_names[param];
}

int eng_fund_param_from_name(const char *name)
{
    return name_index(param_names, ENG_FUND_PARAM__COUNT, name);
}

/* ---- building ----------------------------------------------------------- */

eng_fund *eng_fund_new(void)
{
    eng_fund *f = calloc(1, sizeof(*f));
    if (f == NULL) {
        return NULL;
    }
    mpq_inits(f->fiscal, f->soe, f->private_lp, f->state_share_max, NULL);
    mpq_set_ui(f->state_share_max, 1, 1);
    f->start_year = 2000;
    return f;
}

static void subfund_free(eng_fund_subfund *s)
{
    if (s == NULL) {
        return;
    }
    free(s->id);
    mpq_clears(s->parent, s->other_state, s->private_lp, s->participation_cap,
               s->reinvestment_multiple, NULL);
    for (size_t i = 0; i < s->n_investments; i++) {
        mpq_clear(s->investments[i].amount);
        free(s->investments[i].tag);
    }
    free(s->investments);
    for (size_t i = 0; i < s->projection.n_calls; i++) {
        mpq_clear(s->projection.calls[i]);
    }
    free(s->projection.calls);
    mpq_clears(s->projection.bow, s->projection.growth, s->projection.yield, NULL);
    mpq_clears(s->waterfall.pref, s->waterfall.catch_up, s->waterfall.carry, NULL);
    mpq_clears(s->concession.rate, s->concession.ceded, NULL);
    free(s);
}

void eng_fund_free(eng_fund *f)
{
    if (f == NULL) {
        return;
    }
    free(f->id);
    free(f->currency);
    free(f->parent_name);
    mpq_clears(f->fiscal, f->soe, f->private_lp, f->state_share_max, NULL);
    for (size_t i = 0; i < f->n_weights; i++) {
        free(f->weights[i].tag);
        mpq_clear(f->weights[i].weight);
    }
    free(f->weights);
    for (size_t i = 0; i < f->n_subfunds; i++) {
        subfund_free(f->subfunds[i]);
    }
    free(f->subfunds);
    free(f);
}

eng_status eng_fund_set_text(char **slot, const char *text, eng_error *err)
{
    assert(slot != NULL);
    assert(text != NULL);
    char *copy = strdup(text);
    if (copy == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    free(*slot);
    *slot = copy;
    return ENG_OK;
}

eng_status eng_fund_add_weight(eng_fund *f, const char *tag, const mpq_t weight, eng_error *err)
{
    assert(f != NULL);
    assert(tag != NULL);
    for (size_t i = 0; i < f->n_weights; i++) {
        if (strcmp(f->weights[i].tag, tag) == 0) {
            return eng_error_set(err, ENG_EINVALID, "repeated reinvestment weight '%s'", tag);
        }
    }
    if (f->n_weights >= ENG_FUND_WEIGHTS_MAX) {
        return eng_error_set(err, ENG_ELIMIT, "more than %d reinvestment weights",
                             ENG_FUND_WEIGHTS_MAX);
    }
    eng_fund_weight *grown = realloc(f->weights, (f->n_weights + 1) * sizeof(*grown));
    if (grown == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    f->weights = grown;
    char *copy = strdup(tag);
    if (copy == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    eng_fund_weight *w = &f->weights[f->n_weights++];
    w->tag = copy;
    mpq_init(w->weight);
    mpq_set(w->weight, weight);
    return ENG_OK;
}

static eng_fund_subfund *subfund_new(void)
{
    eng_fund_subfund *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return NULL;
    }
    mpq_inits(s->parent, s->other_state, s->private_lp, s->participation_cap,
              s->reinvestment_multiple, NULL);
    mpq_set_ui(s->participation_cap, 1, 1);
    mpq_inits(s->projection.bow, s->projection.growth, s->projection.yield, NULL);
    mpq_set_ui(s->projection.bow, 1, 1);
    mpq_inits(s->waterfall.pref, s->waterfall.catch_up, s->waterfall.carry, NULL);
    mpq_inits(s->concession.rate, s->concession.ceded, NULL);
    mpq_set_ui(s->concession.ceded, 1, 1);
    s->kind = ENG_FUND_OTHER;
    s->first_year = 1;
    s->projection.life = 0;
    s->waterfall.style = ENG_WATERFALL_EUROPEAN;
    s->concession.kind = ENG_CONCESSION_NONE;
    return s;
}

eng_status eng_fund_add_subfund(eng_fund *f, const char *id, eng_fund_subfund **out,
                                eng_error *err)
{
    assert(f != NULL);
    assert(id != NULL && out != NULL);
    for (size_t i = 0; i < f->n_subfunds; i++) {
        if (strcmp(f->subfunds[i]->id, id) == 0) {
            return eng_error_set(err, ENG_EINVALID, "repeated sub-fund id '%s'", id);
        }
    }
    if (f->n_subfunds >= ENG_FUND_SUBFUNDS_MAX) {
        return eng_error_set(err, ENG_ELIMIT, "more than %d sub-funds", ENG_FUND_SUBFUNDS_MAX);
    }
    eng_fund_subfund **grown = realloc(f->subfunds, (f->n_subfunds + 1) * sizeof(*grown));
    if (grown == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    f->subfunds = grown;
    eng_fund_subfund *s = subfund_new();
    char *copy = strdup(id);
    if (s == NULL || copy == NULL) {
        free(copy);
        subfund_free(s);
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    s->id = copy;
    f->subfunds[f->n_subfunds++] = s;
    *out = s;
    return ENG_OK;
}

eng_status eng_fund_add_call(eng_fund_subfund *s, const mpq_t rate, eng_error *err)
{
    assert(s != NULL);
    if (s->projection.n_calls >= ENG_FUND_CALLS_MAX) {
        return eng_error_set(err, ENG_ELIMIT, "more than %d call rates", ENG_FUND_CALLS_MAX);
    }
    /* Moving an mpq_t struct with realloc is safe: GMP keeps no pointers into it. */
    mpq_t *grown = realloc(s->projection.calls, (s->projection.n_calls + 1) * sizeof(*grown));
    if (grown == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    s->projection.calls = grown;
    mpq_init(grown[s->projection.n_calls]);
    mpq_set(grown[s->projection.n_calls], rate);
    s->projection.n_calls++;
    return ENG_OK;
}

eng_status eng_fund_add_investment(eng_fund_subfund *s, const mpq_t amount, const char *tag,
                                   eng_error *err)
{
    assert(s != NULL);
    assert(tag != NULL);
    if (s->n_investments >= ENG_FUND_INVESTMENTS_MAX) {
        return eng_error_set(err, ENG_ELIMIT, "more than %d reinvestment investments",
                             ENG_FUND_INVESTMENTS_MAX);
    }
    eng_fund_investment *grown =
        realloc(s->investments, (s->n_investments + 1) * sizeof(*grown));
    if (grown == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    s->investments = grown;
    char *copy = strdup(tag);
    if (copy == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    eng_fund_investment *inv = &s->investments[s->n_investments++];
    mpq_init(inv->amount);
    mpq_set(inv->amount, amount);
    inv->tag = copy;
    return ENG_OK;
}

/* ---- copying ------------------------------------------------------------ */

static int copy_subfund(eng_fund *dst, const eng_fund_subfund *s)
{
    eng_fund_subfund *d = NULL;
    if (eng_fund_add_subfund(dst, s->id, &d, NULL) != ENG_OK) {
        return -1;
    }
    d->kind = s->kind;
    mpq_set(d->parent, s->parent);
    mpq_set(d->other_state, s->other_state);
    mpq_set(d->private_lp, s->private_lp);
    mpq_set(d->participation_cap, s->participation_cap);
    mpq_set(d->reinvestment_multiple, s->reinvestment_multiple);
    for (size_t i = 0; i < s->n_investments; i++) {
        if (eng_fund_add_investment(d, s->investments[i].amount, s->investments[i].tag,
                                    NULL) != ENG_OK) {
            return -1;
        }
    }
    d->first_year = s->first_year;
    for (size_t i = 0; i < s->projection.n_calls; i++) {
        if (eng_fund_add_call(d, s->projection.calls[i], NULL) != ENG_OK) {
            return -1;
        }
    }
    d->projection.life = s->projection.life;
    mpq_set(d->projection.bow, s->projection.bow);
    mpq_set(d->projection.growth, s->projection.growth);
    mpq_set(d->projection.yield, s->projection.yield);
    d->waterfall.style = s->waterfall.style;
    mpq_set(d->waterfall.pref, s->waterfall.pref);
    mpq_set(d->waterfall.catch_up, s->waterfall.catch_up);
    mpq_set(d->waterfall.carry, s->waterfall.carry);
    d->concession.kind = s->concession.kind;
    mpq_set(d->concession.rate, s->concession.rate);
    mpq_set(d->concession.ceded, s->concession.ceded);
    d->concession.year = s->concession.year;
    return 0;
}

static int copy_text(char **slot, const char *text)
{
    return text == NULL || eng_fund_set_text(slot, text, NULL) == ENG_OK ? 0 : -1;
}

eng_fund *eng_fund_copy(const eng_fund *f)
{
    assert(f != NULL);
    eng_fund *d = eng_fund_new();
    if (d == NULL) {
        return NULL;
    }
    int bad = copy_text(&d->id, f->id) | copy_text(&d->currency, f->currency) |
              copy_text(&d->parent_name, f->parent_name);
    d->start_year = f->start_year;
    mpq_set(d->fiscal, f->fiscal);
    mpq_set(d->soe, f->soe);
    mpq_set(d->private_lp, f->private_lp);
    mpq_set(d->state_share_max, f->state_share_max);
    for (size_t i = 0; bad == 0 && i < f->n_weights; i++) {
        bad = eng_fund_add_weight(d, f->weights[i].tag, f->weights[i].weight, NULL) ? -1 : 0;
    }
    for (size_t i = 0; bad == 0 && i < f->n_subfunds; i++) {
        bad = copy_subfund(d, f->subfunds[i]);
    }
    if (bad != 0) {
        eng_fund_free(d);
        return NULL;
    }
    assert(d->n_subfunds == f->n_subfunds);
    return d;
}

/* ---- grid request ------------------------------------------------------- */

eng_fund_grid *eng_fund_grid_new(void)
{
    return calloc(1, sizeof(eng_fund_grid));
}

void eng_fund_grid_free(eng_fund_grid *g)
{
    if (g == NULL) {
        return;
    }
    for (size_t a = 0; a < g->n_axes; a++) {
        for (size_t i = 0; i < g->axes[a].n_values; i++) {
            mpq_clear(g->axes[a].values[i]);
        }
        free(g->axes[a].values);
    }
    free(g);
}

eng_status eng_fund_grid_add_axis(eng_fund_grid *g, eng_fund_param param, eng_error *err)
{
    assert(g != NULL);
    assert(param >= 0 && param < ENG_FUND_PARAM__COUNT);
    if (g->n_axes >= ENG_FUND_GRID_AXES_MAX) {
        return eng_error_set(err, ENG_ELIMIT, "a grid has at most %d parameters",
                             ENG_FUND_GRID_AXES_MAX);
    }
    for (size_t a = 0; a < g->n_axes; a++) {
        if (g->axes[a].param == param) {
            return eng_error_set(err, ENG_EINVALID, "grid parameter '%s' given twice",
                                 eng_fund_param_name(param));
        }
    }
    eng_fund_axis *axis = &g->axes[g->n_axes++];
    axis->param = param;
    axis->n_values = 0;
    axis->values = NULL;
    return ENG_OK;
}

eng_status eng_fund_grid_add_value(eng_fund_grid *g, const mpq_t value, eng_error *err)
{
    assert(g != NULL);
    assert(g->n_axes > 0);
    eng_fund_axis *axis = &g->axes[g->n_axes - 1];
    if (axis->n_values >= ENG_FUND_GRID_VALUES_MAX) {
        return eng_error_set(err, ENG_ELIMIT, "more than %d values for grid parameter '%s'",
                             ENG_FUND_GRID_VALUES_MAX, eng_fund_param_name(axis->param));
    }
    mpq_t *grown = realloc(axis->values, (axis->n_values + 1) * sizeof(*grown));
    if (grown == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    axis->values = grown;
    mpq_init(grown[axis->n_values]);
    mpq_set(grown[axis->n_values], value);
    axis->n_values++;
    return ENG_OK;
}
