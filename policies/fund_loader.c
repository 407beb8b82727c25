/*
 * fund_loader.c -- the strict fund-file loader (DESIGN 9, 10; docs/fund-reference.md).
 *
 * Same two stages as the policy loader, with its shared readers (loader_int.h):
 * yamltree.c reads the bytes into a bounded tree of positioned nodes; this file checks
 * the tree against the fund schema key by key, range by range, at the node that is
 * wrong, and fills an eng_fund through the engine's builders.  eng_fund_validate() then
 * runs as a second line: a rule it knows and this file missed is still reported, at the
 * node its key path names.
 */
#include "fund_loader.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "loader_int.h"
#include "yamltree.h"

/* The tags counted when the file has no `reinvestment_weights`, each at weight 1. */
static const char *const default_tags[] = {"registered", "relocated", "local_entity"};

static eng_status oom(ld_ctx *ld)
{
    return eng_error_set(ld->err, ENG_ERROR, "out of memory");
}

/* Runs `call` with `key` pushed on the key path, when map `n` has that key. */
#define SUB(n, key, call)                                                                          \
    do {                                                                                           \
        const yt_node *v_ = rc == ENG_OK ? yt_get((n), (key)) : NULL;                              \
        if (v_ != NULL) {                                                                          \
            size_t old_ = ld_push_key(ld, (key));                                                  \
            const yt_node *v = v_;                                                                 \
            rc = (call);                                                                           \
            ld_pop(ld, old_);                                                                      \
        }                                                                                          \
    } while (0)

/* ---- scalars with a range ------------------------------------------------ */

/* An amount: a number >= 0, not a percentage. */
static eng_status amount(ld_ctx *ld, const yt_node *n, mpq_t out)
{
    eng_status rc = ld_num(ld, n, out);
    if (rc == ENG_OK && strchr(n->text, '%') != NULL) {
        return ld_fail(ld, n, ENG_EINVALID, "an amount cannot be a percentage");
    }
    if (rc == ENG_OK && mpq_sgn(out) < 0) {
        return ld_fail(ld, n, ENG_EINVALID, "an amount cannot be negative");
    }
    return rc;
}

/* A number that must be above 0 (`what` names it in the message). */
static eng_status positive(ld_ctx *ld, const yt_node *n, mpq_t out, const char *what)
{
    eng_status rc = ld_num(ld, n, out);
    if (rc == ENG_OK && mpq_sgn(out) <= 0) {
        return ld_fail(ld, n, ENG_EINVALID, "%s must be above 0", what);
    }
    return rc;
}

/* A number that must not be negative. */
static eng_status not_negative(ld_ctx *ld, const yt_node *n, mpq_t out, const char *what)
{
    eng_status rc = ld_num(ld, n, out);
    if (rc == ENG_OK && mpq_sgn(out) < 0) {
        return ld_fail(ld, n, ENG_EINVALID, "%s cannot be negative", what);
    }
    return rc;
}

static eng_status growth(ld_ctx *ld, const yt_node *n, mpq_t out)
{
    eng_status rc = ld_num(ld, n, out);
    if (rc == ENG_OK && mpq_cmp_si(out, -1, 1) <= 0) {
        return ld_fail(ld, n, ENG_EINVALID, "growth must be above -100%%");
    }
    return rc;
}

/* A call rate: in (0, 1]. */
static eng_status call_rate(ld_ctx *ld, const yt_node *n, mpq_t out)
{
    eng_status rc = ld_ratio(ld, n, out);
    if (rc == ENG_OK && mpq_sgn(out) == 0) {
        return ld_fail(ld, n, ENG_EINVALID, "a call rate must be above 0");
    }
    return rc;
}

/* ---- the parent ------------------------------------------------------------ */

static eng_status parent_commitments(ld_ctx *ld, const yt_node *n, eng_fund *f)
{
    static const char *const keys[] = {"fiscal", "soe", "private", NULL};
    static const char *const required[] = {"fiscal", NULL};
    eng_status rc = ld_keys(ld, n, keys, required);
    SUB(n, "fiscal", positive(ld, v, f->fiscal, "the fiscal commitment"));
    SUB(n, "soe", amount(ld, v, f->soe));
    SUB(n, "private", amount(ld, v, f->private_lp));
    return rc;
}

static eng_status parent_name(ld_ctx *ld, const yt_node *n, eng_fund *f)
{
    eng_status rc = ld_scalar(ld, n);
    return rc != ENG_OK ? rc : eng_fund_set_text(&f->parent_name, n->text, ld->err);
}

static eng_status parent(ld_ctx *ld, const yt_node *n, eng_fund *f)
{
    static const char *const keys[] = {"name", "commitments", NULL};
    eng_status rc = ld_keys(ld, n, keys, keys);
    SUB(n, "name", parent_name(ld, v, f));
    SUB(n, "commitments", parent_commitments(ld, v, f));
    return rc;
}

static eng_status weights(ld_ctx *ld, const yt_node *n, eng_fund *f)
{
    eng_status rc = ld_want(ld, n, YT_MAP);
    if (rc == ENG_OK && n->n > ENG_FUND_WEIGHTS_MAX) {
        return ld_fail(ld, n, ENG_ELIMIT, "more than %d tags", ENG_FUND_WEIGHTS_MAX);
    }
    mpq_t w;
    mpq_init(w);
    for (size_t i = 0; i < n->n && rc == ENG_OK; i++) {
        size_t old = ld_push_key(ld, n->keys[i]->text);
        char *tag = NULL;
        rc = ld_id(ld, n->keys[i], 1, &tag);
        if (rc == ENG_OK) {
            rc = not_negative(ld, n->vals[i], w, "a weight");
        }
        if (rc == ENG_OK) {
            rc = eng_fund_add_weight(f, tag, w, ld->err);
        }
        free(tag);
        ld_pop(ld, old);
    }
    mpq_clear(w);
    return rc;
}

static eng_status limits(ld_ctx *ld, const yt_node *n, eng_fund *f)
{
    static const char *const keys[] = {"state_share_max", NULL};
    eng_status rc = ld_keys(ld, n, keys, NULL);
    SUB(n, "state_share_max", ld_ratio(ld, v, f->state_share_max));
    return rc;
}

/* ---- a sub-fund -------------------------------------------------------------- */

static eng_status subfund_commitments(ld_ctx *ld, const yt_node *n, eng_fund_subfund *s)
{
    static const char *const keys[] = {"parent", "other_state", "private", NULL};
    static const char *const required[] = {"parent", NULL};
    eng_status rc = ld_keys(ld, n, keys, required);
    SUB(n, "parent", positive(ld, v, s->parent, "the parent commitment"));
    SUB(n, "other_state", amount(ld, v, s->other_state));
    SUB(n, "private", amount(ld, v, s->private_lp));
    return rc;
}

/* Reads an investment tag, which must have a weight; `f` gives the tags. */
static eng_status tag(ld_ctx *ld, const yt_node *n, const eng_fund *f)
{
    char expected[256];
    size_t used = 0;
    eng_status rc = ld_scalar(ld, n);
    expected[0] = '\0';
    for (size_t i = 0; rc == ENG_OK && i < f->n_weights; i++) {
        if (strcmp(f->weights[i].tag, n->text) == 0) {
            return ENG_OK;
        }
        int w = snprintf(expected + used, sizeof(expected) - used, "%s%s", i ? "|" : "",
                         f->weights[i].tag);
        used += (w > 0 && (size_t)w < sizeof(expected) - used) ? (size_t)w : 0;
    }
    if (rc != ENG_OK) {
        return rc;
    }
    return ld_fail(ld, n, ENG_EINVALID, "unknown reinvestment tag \"%.64s\" (expected %s)",
                   n->text, f->n_weights ? expected : "a tag of reinvestment_weights");
}

static eng_status investment(ld_ctx *ld, const yt_node *n, const eng_fund *f,
                             eng_fund_subfund *s)
{
    static const char *const keys[] = {"amount", "tag", NULL};
    eng_status rc = ld_keys(ld, n, keys, keys);
    mpq_t a;
    mpq_init(a);
    SUB(n, "amount", amount(ld, v, a));
    SUB(n, "tag", tag(ld, v, f));
    if (rc == ENG_OK) {
        rc = eng_fund_add_investment(s, a, yt_get(n, "tag")->text, ld->err);
    }
    mpq_clear(a);
    return rc;
}

static eng_status investments(ld_ctx *ld, const yt_node *n, const eng_fund *f,
                              eng_fund_subfund *s)
{
    eng_status rc = ld_want(ld, n, YT_SEQ);
    if (rc == ENG_OK && n->n > ENG_FUND_INVESTMENTS_MAX) {
        return ld_fail(ld, n, ENG_ELIMIT, "more than %d investments", ENG_FUND_INVESTMENTS_MAX);
    }
    for (size_t i = 0; i < n->n && rc == ENG_OK; i++) {
        size_t old = ld_push_index(ld, i);
        rc = investment(ld, n->vals[i], f, s);
        ld_pop(ld, old);
    }
    return rc;
}

static eng_status reinvestment(ld_ctx *ld, const yt_node *n, const eng_fund *f,
                               eng_fund_subfund *s)
{
    static const char *const keys[] = {"multiple", "investments", NULL};
    static const char *const required[] = {"multiple", NULL};
    eng_status rc = ld_keys(ld, n, keys, required);
    SUB(n, "multiple", not_negative(ld, v, s->reinvestment_multiple, "a multiple"));
    SUB(n, "investments", investments(ld, v, f, s));
    return rc;
}

static eng_status calls(ld_ctx *ld, const yt_node *n, eng_fund_subfund *s)
{
    eng_status rc = ld_want(ld, n, YT_SEQ);
    if (rc == ENG_OK && (n->n == 0 || n->n > ENG_FUND_CALLS_MAX)) {
        return ld_fail(ld, n, ENG_EINVALID, "expected 1 to %d call rates", ENG_FUND_CALLS_MAX);
    }
    mpq_t r;
    mpq_init(r);
    for (size_t i = 0; i < n->n && rc == ENG_OK; i++) {
        size_t old = ld_push_index(ld, i);
        rc = call_rate(ld, n->vals[i], r);
        if (rc == ENG_OK) {
            rc = eng_fund_add_call(s, r, ld->err);
        }
        ld_pop(ld, old);
    }
    mpq_clear(r);
    return rc;
}

static eng_status projection(ld_ctx *ld, const yt_node *n, eng_fund_subfund *s)
{
    static const char *const keys[] = {"calls", "life", "bow", "growth", "yield", NULL};
    static const char *const required[] = {"calls", "life", "bow", "growth", NULL};
    eng_fund_projection *p = &s->projection;
    long life = 0;
    eng_status rc = ld_keys(ld, n, keys, required);
    SUB(n, "calls", calls(ld, v, s));
    SUB(n, "life", ld_int(ld, v, 1, ENG_FUND_LIFE_MAX, &life));
    p->life = (int)life;
    SUB(n, "bow", positive(ld, v, p->bow, "bow"));
    SUB(n, "growth", growth(ld, v, p->growth));
    SUB(n, "yield", ld_ratio(ld, v, p->yield));
    if (rc == ENG_OK && p->n_calls > (size_t)p->life) {
        size_t old = ld_push_key(ld, "calls");
        rc = ld_fail(ld, yt_get(n, "calls"), ENG_EINVALID,
                     "%zu call rates for a life of %d years: at most one a year", p->n_calls,
                     p->life);
        ld_pop(ld, old);
    }
    return rc;
}

/* Checks k > c (reference 4.1), or k = 0 for no catch-up tier. */
static eng_status catch_up_above_carry(ld_ctx *ld, const yt_node *n, const eng_fund_waterfall *w)
{
    const yt_node *k = yt_get(n, "catch_up");
    if (k == NULL || mpq_sgn(w->catch_up) == 0 || mpq_cmp(w->catch_up, w->carry) > 0) {
        return ENG_OK;
    }
    size_t old = ld_push_key(ld, "catch_up");
    eng_status rc = ld_fail(ld, k, ENG_EINVALID,
                            "catch_up %.40s must be above carry %.40s (or 0 for no catch-up)",
                            k->text, yt_get(n, "carry")->text);
    ld_pop(ld, old);
    return rc;
}

static eng_status carry(ld_ctx *ld, const yt_node *n, mpq_t out)
{
    eng_status rc = ld_ratio(ld, n, out);
    if (rc == ENG_OK && mpq_cmp_ui(out, 1, 1) >= 0) {
        return ld_fail(ld, n, ENG_EINVALID, "carry must be below 100%%");
    }
    return rc;
}

static eng_status waterfall(ld_ctx *ld, const yt_node *n, eng_fund_subfund *s)
{
    static const char *const keys[] = {"style", "pref", "catch_up", "carry", NULL};
    static const char *const required[] = {"style", "pref", "carry", NULL};
    static const char *const styles[] = {"european", "american"};
    eng_fund_waterfall *w = &s->waterfall;
    int style = 0;
    eng_status rc = ld_keys(ld, n, keys, required);
    SUB(n, "style", ld_enum(ld, v, "waterfall style", styles, 2, &style));
    w->style = (eng_waterfall_style)style;
    SUB(n, "pref", not_negative(ld, v, w->pref, "pref"));
    SUB(n, "carry", carry(ld, v, w->carry));
    mpq_set_ui(w->catch_up, 1, 1); /* 100% to the GP unless the file says otherwise */
    SUB(n, "catch_up", ld_ratio(ld, v, w->catch_up));
    return rc == ENG_OK ? catch_up_above_carry(ld, n, w) : rc;
}

/* The buyout year must fall in the sub-fund's own model years. */
static eng_status buyout_year(ld_ctx *ld, const yt_node *n, eng_fund_subfund *s)
{
    long year = 0;
    eng_status rc = ld_int(ld, n, 1, ENG_FUND_FIRST_YEAR_MAX + ENG_FUND_LIFE_MAX, &year);
    int last = s->first_year + s->projection.life - 1;
    if (rc == ENG_OK && (year < s->first_year || year > last)) {
        return ld_fail(ld, n, ENG_EINVALID,
                       "the buyout year %ld is outside the sub-fund's model years %d to %d",
                       year, s->first_year, last);
    }
    s->concession.year = (int)year;
    return rc;
}

static eng_status concession(ld_ctx *ld, const yt_node *n, eng_fund_subfund *s)
{
    static const char *const capped[] = {"kind", "rate", "ceded", NULL};
    static const char *const capped_required[] = {"kind", "rate", NULL};
    static const char *const buyout[] = {"kind", "year", "rate", NULL};
    static const char *const kinds[] = {"capped_return", "buyout"};
    static const char *const kind_only[] = {"kind", NULL};
    eng_fund_concession *c = &s->concession;
    int kind = 0;
    eng_status rc = ld_want(ld, n, YT_MAP);
    if (rc == ENG_OK && yt_get(n, "kind") == NULL) {
        rc = ld_fail(ld, n, ENG_EINVALID, "missing required key \"%s\"", kind_only[0]);
    }
    SUB(n, "kind", ld_enum(ld, v, "concession kind", kinds, 2, &kind));
    c->kind = kind == 0 ? ENG_CONCESSION_CAPPED_RETURN : ENG_CONCESSION_BUYOUT;
    if (rc == ENG_OK) {
        /* The keys depend on the kind: `year` under capped_return is an unknown key. */
        rc = ld_keys(ld, n, kind == 0 ? capped : buyout, kind == 0 ? capped_required : buyout);
    }
    SUB(n, "rate", ld_ratio(ld, v, c->rate));
    SUB(n, "ceded", ld_ratio(ld, v, c->ceded));
    SUB(n, "year", buyout_year(ld, v, s));
    if (rc == ENG_OK && mpq_sgn(s->private_lp) <= 0) {
        rc = ld_fail(ld, n, ENG_EINVALID, "a concession needs private commitments to benefit");
    }
    return rc;
}

static eng_status subfund_id(ld_ctx *ld, const yt_node *n, eng_fund *f, eng_fund_subfund **out)
{
    char *id = NULL;
    eng_status rc = ld_id(ld, n, 1, &id);
    for (size_t i = 0; rc == ENG_OK && i < f->n_subfunds; i++) {
        if (strcmp(f->subfunds[i]->id, id) == 0) {
            rc = ld_fail(ld, n, ENG_EINVALID, "duplicate sub-fund id \"%s\"", id);
        }
    }
    if (rc == ENG_OK) {
        rc = eng_fund_add_subfund(f, id, out, ld->err);
    }
    free(id);
    return rc;
}

static eng_status subfund(ld_ctx *ld, const yt_node *n, eng_fund *f)
{
    static const char *const keys[] = {
        "id", "kind", "commitments", "participation_cap", "reinvestment", "first_year",
        "projection", "waterfall", "concession", NULL,
    };
    static const char *const required[] = {
        "id", "kind", "commitments", "projection", "waterfall", NULL,
    };
    static const char *const kinds[] = {"angel", "vc", "industry", "other"};
    eng_fund_subfund *s = NULL;
    int kind = 0;
    long first = 1;
    eng_status rc = ld_keys(ld, n, keys, required);
    SUB(n, "id", subfund_id(ld, v, f, &s));
    if (rc != ENG_OK) {
        return rc;
    }
    SUB(n, "kind", ld_enum(ld, v, "sub-fund kind", kinds, 4, &kind));
    s->kind = (eng_fund_kind)kind;
    SUB(n, "commitments", subfund_commitments(ld, v, s));
    SUB(n, "participation_cap", ld_ratio(ld, v, s->participation_cap));
    SUB(n, "first_year", ld_int(ld, v, 1, ENG_FUND_FIRST_YEAR_MAX, &first));
    s->first_year = (int)first;
    SUB(n, "projection", projection(ld, v, s));
    SUB(n, "waterfall", waterfall(ld, v, s));
    SUB(n, "reinvestment", reinvestment(ld, v, f, s));
    SUB(n, "concession", concession(ld, v, s));
    return rc;
}

static eng_status subfunds(ld_ctx *ld, const yt_node *n, eng_fund *f)
{
    eng_status rc = ld_want(ld, n, YT_SEQ);
    if (rc == ENG_OK && (n->n == 0 || n->n > ENG_FUND_SUBFUNDS_MAX)) {
        return ld_fail(ld, n, ENG_EINVALID, "expected 1 to %d sub-funds", ENG_FUND_SUBFUNDS_MAX);
    }
    for (size_t i = 0; i < n->n && rc == ENG_OK; i++) {
        size_t old = ld_push_index(ld, i);
        rc = subfund(ld, n->vals[i], f);
        ld_pop(ld, old);
    }
    return rc;
}

/* ---- top level ---------------------------------------------------------------- */

static eng_status fund_id(ld_ctx *ld, const yt_node *n, eng_fund *f)
{
    char *id = NULL;
    eng_status rc = ld_id(ld, n, 0, &id);
    if (rc == ENG_OK) {
        rc = eng_fund_set_text(&f->id, id, ld->err);
    }
    free(id);
    return rc;
}

static eng_status currency(ld_ctx *ld, const yt_node *n, eng_fund *f)
{
    eng_status rc = ld_scalar(ld, n);
    if (rc != ENG_OK) {
        return rc;
    }
    const char *c = n->text;
    if (n->len != 3 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' || c[2] < 'A' ||
        c[2] > 'Z') {
        return ld_fail(ld, n, ENG_EINVALID, "invalid currency \"%.40s\": expected [A-Z]{3}", c);
    }
    return eng_fund_set_text(&f->currency, c, ld->err);
}

static eng_status default_weights(ld_ctx *ld, eng_fund *f)
{
    eng_status rc = ENG_OK;
    mpq_t one;
    mpq_init(one);
    mpq_set_ui(one, 1, 1);
    for (size_t i = 0; i < sizeof(default_tags) / sizeof(default_tags[0]) && rc == ENG_OK; i++) {
        rc = eng_fund_add_weight(f, default_tags[i], one, ld->err);
    }
    mpq_clear(one);
    return rc;
}

static eng_status load_root(ld_ctx *ld, const yt_node *root, eng_fund *f)
{
    static const char *const allowed[] = {
        "fund", "currency", "start_year", "parent", "reinvestment_weights", "limits",
        "subfunds", NULL,
    };
    static const char *const required[] = {"fund", "start_year", "parent", "subfunds", NULL};
    long start = 0;
    if (root->kind != YT_MAP) {
        return ld_fail(ld, root, ENG_EINVALID, "a fund file must be a mapping, found %s",
                       root->kind == YT_SEQ ? "a list" : "a scalar");
    }
    eng_status rc = ld_keys(ld, root, allowed, required);
    SUB(root, "fund", fund_id(ld, v, f));
    if (rc == ENG_OK && yt_get(root, "currency") == NULL) {
        rc = eng_fund_set_text(&f->currency, "CNY", ld->err);
    }
    SUB(root, "currency", currency(ld, v, f));
    SUB(root, "start_year", ld_int(ld, v, ENG_FUND_START_YEAR_MIN, ENG_FUND_START_YEAR_MAX,
                                   &start));
    f->start_year = (int)start;
    SUB(root, "parent", parent(ld, v, f));
    if (rc == ENG_OK && yt_get(root, "reinvestment_weights") == NULL) {
        rc = default_weights(ld, f);
    }
    SUB(root, "reinvestment_weights", weights(ld, v, f));
    SUB(root, "limits", limits(ld, v, f));
    SUB(root, "subfunds", subfunds(ld, v, f));
    return rc;
}

/*
 * The deepest node of `root` along the key path `path` (`subfunds[1].projection.life`):
 * where the engine's validator names a rule by path, this finds its line and column.
 */
static const yt_node *node_at(const yt_node *root, const char *path)
{
    const yt_node *n = root;
    const char *p = path;
    char key[ENG_ID_MAX + 1];
    for (int steps = 0; *p != '\0' && steps < ENG_YAML_DEPTH_MAX * 2; steps++) {
        if (*p == '[') {
            size_t idx = 0;
            for (p++; *p >= '0' && *p <= '9' && idx < ((size_t)1 << 40); p++) {
                idx = idx * 10 + (size_t)(*p - '0');
            }
            if (*p != ']' || n->kind != YT_SEQ || idx >= n->n) {
                break;
            }
            n = n->vals[idx];
            p++;
            continue;
        }
        p += *p == '.';
        size_t len = strcspn(p, ".[");
        if (len == 0 || len > ENG_ID_MAX || n->kind != YT_MAP) {
            break;
        }
        memcpy(key, p, len);
        key[len] = '\0';
        const yt_node *child = yt_get(n, key);
        if (child == NULL) {
            break;
        }
        n = child;
        p += len;
    }
    return n;
}

/* Runs the engine's own rules; a fault is reported at the node its key path names. */
static eng_status validate(ld_ctx *ld, const yt_node *root, const eng_fund *f)
{
    eng_error e;
    eng_error_clear(&e);
    eng_status rc = eng_fund_validate(f, &e);
    if (rc == ENG_OK) {
        return ENG_OK;
    }
    ld_pop(ld, 0);
    ld_push_key(ld, e.path);
    rc = ld_fail(ld, node_at(root, e.path), rc, "%s", e.message);
    ld_pop(ld, 0);
    return rc;
}

eng_status fund_load_buffer(const char *name, const unsigned char *buf, size_t len,
                            eng_fund **out, eng_error *err)
{
    yt_doc doc;
    ld_ctx ld;
    eng_status rc;

    assert(name != NULL && out != NULL && err != NULL);
    eng_error_clear(err);
    if ((rc = yt_parse(&doc, name, buf, len, err)) != ENG_OK) {
        return rc;
    }
    if (doc.root == NULL || (doc.root->kind == YT_SCALAR && doc.root->plain &&
                             (doc.root->len == 0 || strcmp(doc.root->text, "~") == 0 ||
                              strcmp(doc.root->text, "null") == 0))) {
        yt_free(&doc);
        eng_error_at(err, name, 1, 1, NULL);
        return eng_error_set(err, ENG_EINVALID, "empty fund file");
    }
    memset(&ld, 0, sizeof(ld));
    ld.name = name;
    ld.err = err;
    eng_fund *f = eng_fund_new();
    if (f == NULL) {
        yt_free(&doc);
        return oom(&ld);
    }
    rc = load_root(&ld, doc.root, f);
    if (rc == ENG_OK) {
        rc = validate(&ld, doc.root, f);
    }
    yt_free(&doc);
    if (rc != ENG_OK) {
        eng_fund_free(f);
        return rc;
    }
    *out = f;
    return ENG_OK;
}

eng_status fund_load_file(const char *path, eng_fund **out, eng_error *err)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    eng_status rc;

    assert(path != NULL && out != NULL && err != NULL);
    eng_error_clear(err);
    if ((rc = ld_read_file(&buf, &len, path, ENG_POLICY_BYTES_MAX, err)) != ENG_OK) {
        return rc;
    }
    rc = fund_load_buffer(path, buf, len, out, err);
    free(buf);
    return rc;
}
