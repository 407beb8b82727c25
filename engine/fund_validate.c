/*
 * fund_validate.c -- the rules of the fund file the model relies on.
 *
 * The loader checks syntax and types; this checks ranges and cross-references
 * and names the key path of the first broken rule.
 */
#include "fund.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

/* Whether `x` breaks the lower bound `lo_num` (per `lo`) or the upper bound 1 (per `hi`). */
typedef enum { AT_LEAST, ABOVE, AT_MOST_ONE, BELOW_ONE, UNBOUNDED } bound;

static int out_of_range(const mpq_t x, bound lo, long lo_num, bound hi)
{
    mpq_t b;
    mpq_init(b);
    mpq_set_si(b, lo_num, 1);
    int c = mpq_cmp(x, b);
    int bad = (lo == AT_LEAST && c < 0) || (lo == ABOVE && c <= 0);
    mpq_set_ui(b, 1, 1);
    c = mpq_cmp(x, b);
    bad = bad || (hi == AT_MOST_ONE && c > 0) || (hi == BELOW_ONE && c >= 0);
    mpq_clear(b);
    return bad;
}

static eng_status fail(eng_error *err, const char *path, const char *message)
{
    eng_error_at(err, NULL, 0, 0, path);
    return eng_error_set(err, ENG_EINVALID, "%s", message);
}

/* A sub-fund key path `subfunds[i].<key>` into `buf`. */
static const char *sub_path(char *buf, size_t size, size_t i, const char *key)
{
    snprintf(buf, size, "subfunds[%zu].%s", i, key);
    return buf;
}

static int has_weight(const eng_fund *f, const char *tag)
{
    for (size_t i = 0; i < f->n_weights; i++) {
        if (strcmp(f->weights[i].tag, tag) == 0) {
            return 1;
        }
    }
    return 0;
}

static eng_status check_projection(const eng_fund_subfund *s, size_t i, eng_error *err)
{
    char path[96];
    const eng_fund_projection *p = &s->projection;
    if (p->n_calls == 0) {
        return fail(err, sub_path(path, sizeof(path), i, "projection.calls"),
                    "at least one call rate is needed");
    }
    for (size_t c = 0; c < p->n_calls; c++) {
        if (out_of_range(p->calls[c], AT_LEAST, 0, AT_MOST_ONE)) {
            snprintf(path, sizeof(path), "subfunds[%zu].projection.calls[%zu]", i, c);
            return fail(err, path, "a call rate must be between 0 and 1");
        }
    }
    if (p->life < 1 || p->life > ENG_FUND_LIFE_MAX) {
        return fail(err, sub_path(path, sizeof(path), i, "projection.life"),
                    "life must be a whole number of years from 1 to 100");
    }
    if (out_of_range(p->bow, ABOVE, 0, UNBOUNDED)) {
        return fail(err, sub_path(path, sizeof(path), i, "projection.bow"),
                    "bow must be above 0");
    }
    if (out_of_range(p->growth, ABOVE, -1, UNBOUNDED)) {
        return fail(err, sub_path(path, sizeof(path), i, "projection.growth"),
                    "growth must be above -100%");
    }
    if (out_of_range(p->yield, AT_LEAST, 0, AT_MOST_ONE)) {
        return fail(err, sub_path(path, sizeof(path), i, "projection.yield"),
                    "yield must be between 0 and 1");
    }
    return ENG_OK;
}

static eng_status check_terms(const eng_fund_subfund *s, size_t i, eng_error *err)
{
    char path[96];
    const eng_fund_waterfall *w = &s->waterfall;
    if (out_of_range(w->pref, AT_LEAST, 0, UNBOUNDED)) {
        return fail(err, sub_path(path, sizeof(path), i, "waterfall.pref"),
                    "pref must not be negative");
    }
    if (out_of_range(w->carry, AT_LEAST, 0, BELOW_ONE)) {
        return fail(err, sub_path(path, sizeof(path), i, "waterfall.carry"),
                    "carry must be at least 0 and below 1");
    }
    if (out_of_range(w->catch_up, AT_LEAST, 0, AT_MOST_ONE) ||
        (mpq_sgn(w->catch_up) != 0 && mpq_cmp(w->catch_up, w->carry) <= 0)) {
        return fail(err, sub_path(path, sizeof(path), i, "waterfall.catch_up"),
                    "catch_up must be 0 or above carry and at most 1");
    }
    const eng_fund_concession *c = &s->concession;
    if (c->kind == ENG_CONCESSION_NONE) {
        return ENG_OK;
    }
    if (mpq_sgn(s->private_lp) <= 0) {
        return fail(err, sub_path(path, sizeof(path), i, "concession"),
                    "a concession needs private commitments to benefit");
    }
    if (out_of_range(c->rate, AT_LEAST, 0, UNBOUNDED)) {
        return fail(err, sub_path(path, sizeof(path), i, "concession.rate"),
                    "rate must not be negative");
    }
    if (c->kind == ENG_CONCESSION_CAPPED_RETURN &&
        out_of_range(c->ceded, AT_LEAST, 0, AT_MOST_ONE)) {
        return fail(err, sub_path(path, sizeof(path), i, "concession.ceded"),
                    "ceded must be between 0 and 1");
    }
    if (c->kind == ENG_CONCESSION_BUYOUT &&
        (c->year < s->first_year || c->year > s->first_year + s->projection.life - 1)) {
        return fail(err, sub_path(path, sizeof(path), i, "concession.year"),
                    "the buyout year must fall within the sub-fund's life");
    }
    return ENG_OK;
}

static eng_status check_subfund(const eng_fund *f, const eng_fund_subfund *s, size_t i,
                                eng_error *err)
{
    char path[96];
    if (mpq_sgn(s->parent) < 0 || mpq_sgn(s->other_state) < 0 || mpq_sgn(s->private_lp) < 0) {
        return fail(err, sub_path(path, sizeof(path), i, "commitments"),
                    "commitments must not be negative");
    }
    mpq_t size;
    mpq_init(size);
    mpq_add(size, s->parent, s->other_state);
    mpq_add(size, size, s->private_lp);
    int empty = mpq_sgn(size) <= 0;
    mpq_clear(size);
    if (empty) {
        return fail(err, sub_path(path, sizeof(path), i, "commitments"),
                    "a sub-fund's commitments must sum to more than 0");
    }
    if (out_of_range(s->participation_cap, AT_LEAST, 0, AT_MOST_ONE)) {
        return fail(err, sub_path(path, sizeof(path), i, "participation_cap"),
                    "participation_cap must be between 0 and 1");
    }
    if (mpq_sgn(s->reinvestment_multiple) < 0) {
        return fail(err, sub_path(path, sizeof(path), i, "reinvestment.multiple"),
                    "multiple must not be negative");
    }
    for (size_t k = 0; k < s->n_investments; k++) {
        snprintf(path, sizeof(path), "subfunds[%zu].reinvestment.investments[%zu]", i, k);
        if (mpq_sgn(s->investments[k].amount) < 0) {
            return fail(err, path, "an investment amount must not be negative");
        }
        if (!has_weight(f, s->investments[k].tag)) {
            return fail(err, path, "the tag has no entry in reinvestment_weights");
        }
    }
    if (s->first_year < 1 || s->first_year > ENG_FUND_FIRST_YEAR_MAX) {
        return fail(err, sub_path(path, sizeof(path), i, "first_year"),
                    "first_year must be a model year from 1 to 100");
    }
    eng_status rc = check_projection(s, i, err);
    return rc != ENG_OK ? rc : check_terms(s, i, err);
}

eng_status eng_fund_validate(const eng_fund *f, eng_error *err)
{
    assert(f != NULL);
    if (f->start_year < ENG_FUND_START_YEAR_MIN || f->start_year > ENG_FUND_START_YEAR_MAX) {
        return fail(err, "start_year", "start_year must be from 1900 to 2199");
    }
    if (mpq_sgn(f->fiscal) <= 0 || mpq_sgn(f->soe) < 0 || mpq_sgn(f->private_lp) < 0) {
        return fail(err, "parent.commitments",
                    "the fiscal commitment must be above 0 and the others not negative");
    }
    if (out_of_range(f->state_share_max, AT_LEAST, 0, AT_MOST_ONE)) {
        return fail(err, "limits.state_share_max", "state_share_max must be between 0 and 1");
    }
    for (size_t i = 0; i < f->n_weights; i++) {
        if (mpq_sgn(f->weights[i].weight) < 0) {
            char path[96];
            snprintf(path, sizeof(path), "reinvestment_weights.%s", f->weights[i].tag);
            return fail(err, path, "a weight must not be negative");
        }
    }
    if (f->n_subfunds == 0) {
        return fail(err, "subfunds", "at least one sub-fund is needed");
    }
    for (size_t i = 0; i < f->n_subfunds; i++) {
        eng_status rc = check_subfund(f, f->subfunds[i], i, err);
        if (rc != ENG_OK) {
            return rc;
        }
    }
    return ENG_OK;
}
