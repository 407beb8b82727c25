/*
 * loader.c -- the strict policy loader (DESIGN 4 and 10).
 *
 * Two stages: yamltree.c reads the bytes into a bounded tree of positioned
 * nodes; this file checks that tree against the policy schema, key by key,
 * and builds the eng_policy.  The first fault stops the load and is reported
 * with the node's line and column and the key path (`terms.rules[1].shares`).
 */
#include "loader.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "loader_int.h"
#include "yamltree.h"

/* ---- errors and key paths ------------------------------------------------ */

eng_status ld_fail(ld_ctx *ld, const yt_node *at, eng_status code, const char *fmt, ...)
{
    va_list ap;
    eng_error_at(ld->err, ld->name, at ? at->line : 1, at ? at->column : 1, ld->path);
    va_start(ap, fmt);
    vsnprintf(ld->err->message, sizeof(ld->err->message), fmt, ap);
    va_end(ap);
    ld->err->code = code;
    return code;
}

size_t ld_push_key(ld_ctx *ld, const char *key)
{
    size_t old = ld->path_len;
    int n = snprintf(ld->path + old, sizeof(ld->path) - old, "%s%s", old ? "." : "", key);
    ld->path_len = (n < 0 || (size_t)n >= sizeof(ld->path) - old) ? sizeof(ld->path) - 1
                                                                  : old + (size_t)n;
    return old;
}

size_t ld_push_index(ld_ctx *ld, size_t index)
{
    size_t old = ld->path_len;
    int n = snprintf(ld->path + old, sizeof(ld->path) - old, "[%zu]", index);
    ld->path_len = (n < 0 || (size_t)n >= sizeof(ld->path) - old) ? sizeof(ld->path) - 1
                                                                  : old + (size_t)n;
    return old;
}

void ld_pop(ld_ctx *ld, size_t old)
{
    ld->path_len = old;
    ld->path[old] = '\0';
}

/* ---- shapes ---------------------------------------------------------------- */

static const char *kind_name(yt_kind k)
{
    return k == YT_MAP ? "a mapping" : k == YT_SEQ ? "a list" : "a scalar";
}

eng_status ld_want(ld_ctx *ld, const yt_node *n, yt_kind kind)
{
    if (n->kind != kind) {
        return ld_fail(ld, n, ENG_EINVALID, "expected %s, found %s", kind_name(kind),
                       kind_name(n->kind));
    }
    return ENG_OK;
}

/*
 * Checks the keys of mapping `map`: every key must be in `allowed` (NULL
 * terminated) and every key of `required` present.  An unknown key is
 * reported at the key; a missing one at the mapping.
 */
eng_status ld_keys(ld_ctx *ld, const yt_node *map, const char *const *allowed,
                   const char *const *required)
{
    eng_status rc;
    if ((rc = ld_want(ld, map, YT_MAP)) != ENG_OK) {
        return rc;
    }
    for (size_t i = 0; i < map->n; i++) {
        const char *key = map->keys[i]->text;
        int known = 0;
        for (const char *const *a = allowed; *a != NULL && !known; a++) {
            known = strcmp(*a, key) == 0;
        }
        if (!known) {
            size_t old = ld_push_key(ld, key);
            rc = ld_fail(ld, map->keys[i], ENG_EINVALID, "unknown key \"%.64s\"", key);
            ld_pop(ld, old);
            return rc;
        }
    }
    for (const char *const *r = required; r != NULL && *r != NULL; r++) {
        if (yt_get(map, *r) == NULL) {
            return ld_fail(ld, map, ENG_EINVALID, "missing required key \"%s\"", *r);
        }
    }
    return ENG_OK;
}

/* ---- scalars --------------------------------------------------------------- */

static int is_null_text(const yt_node *n)
{
    return n->plain && (n->len == 0 || strcmp(n->text, "~") == 0 || strcmp(n->text, "null") == 0);
}

eng_status ld_scalar(ld_ctx *ld, const yt_node *n)
{
    eng_status rc = ld_want(ld, n, YT_SCALAR);
    if (rc == ENG_OK && (is_null_text(n) || n->len == 0)) {
        rc = ld_fail(ld, n, ENG_EINVALID, "a value is required");
    }
    return rc;
}

eng_status ld_text(ld_ctx *ld, const yt_node *n, char **out)
{
    eng_status rc = ld_scalar(ld, n);
    if (rc != ENG_OK) {
        return rc;
    }
    char *s = strdup(n->text);
    if (s == NULL) {
        return eng_error_set(ld->err, ENG_ERROR, "out of memory");
    }
    *out = s;
    return ENG_OK;
}

static int id_char(char c, int loose)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           (loose && ((c >= 'A' && c <= 'Z') || c == '_' || c == '.'));
}

/*
 * Reads an identifier: `[a-z0-9-]{1,64}` for programs and parties, or with
 * `loose` set `[A-Za-z0-9._-]{1,64}` for rule and breaker ids.
 */
eng_status ld_id(ld_ctx *ld, const yt_node *n, int loose, char **out)
{
    eng_status rc = ld_scalar(ld, n);
    if (rc != ENG_OK) {
        return rc;
    }
    int ok = n->len >= 1 && n->len <= ENG_ID_MAX;
    for (size_t i = 0; ok && i < n->len; i++) {
        ok = id_char(n->text[i], loose);
    }
    if (!ok) {
        return ld_fail(ld, n, ENG_EINVALID, "invalid id \"%.64s\": expected %s", n->text,
                       loose ? "[A-Za-z0-9._-]{1,64}" : "[a-z0-9-]{1,64}");
    }
    return ld_text(ld, n, out);
}

eng_status ld_num(ld_ctx *ld, const yt_node *n, mpq_t out)
{
    eng_status rc = ld_scalar(ld, n);
    if (rc != ENG_OK) {
        return rc;
    }
    eng_error e;
    eng_error_clear(&e);
    if (eng_num_parse(out, n->text, n->len, &e) != ENG_OK) {
        return ld_fail(ld, n, ENG_EINVALID, "%s", e.message);
    }
    return ENG_OK;
}

eng_status ld_ratio(ld_ctx *ld, const yt_node *n, mpq_t out)
{
    eng_status rc = ld_num(ld, n, out);
    if (rc == ENG_OK && (mpq_sgn(out) < 0 || mpq_cmp_ui(out, 1, 1) > 0)) {
        return ld_fail(ld, n, ENG_EINVALID, "%s is not a ratio between 0 and 1", n->text);
    }
    return rc;
}

eng_status ld_opt_ratio(ld_ctx *ld, const yt_node *n, eng_opt_q *out)
{
    if (n == NULL) {
        return ENG_OK;
    }
    eng_status rc = ld_ratio(ld, n, out->v);
    out->set = rc == ENG_OK;
    return rc;
}

eng_status ld_money(ld_ctx *ld, const yt_node *n, eng_fen *out)
{
    eng_status rc = ld_scalar(ld, n);
    if (rc != ENG_OK) {
        return rc;
    }
    eng_error e;
    eng_error_clear(&e);
    if (eng_money_parse(out, n->text, n->len, &e) != ENG_OK) {
        return ld_fail(ld, n, ENG_EINVALID, "%s", e.message);
    }
    if (*out < 0) {
        return ld_fail(ld, n, ENG_EINVALID, "an amount cannot be negative");
    }
    return ENG_OK;
}

eng_status ld_opt_money(ld_ctx *ld, const yt_node *n, eng_opt_fen *out)
{
    if (n == NULL) {
        return ENG_OK;
    }
    eng_status rc = ld_money(ld, n, &out->v);
    out->set = rc == ENG_OK;
    return rc;
}

eng_status ld_int(ld_ctx *ld, const yt_node *n, long lo, long hi, long *out)
{
    eng_status rc = ld_scalar(ld, n);
    long v = 0;
    if (rc != ENG_OK) {
        return rc;
    }
    int ok = n->plain && n->len >= 1 && n->len <= 9;
    for (size_t i = 0; ok && i < n->len; i++) {
        ok = n->text[i] >= '0' && n->text[i] <= '9';
        v = v * 10 + (n->text[i] - '0');
    }
    if (!ok || v < lo || v > hi) {
        return ld_fail(ld, n, ENG_EINVALID, "expected an integer from %ld to %ld, found \"%.40s\"",
                       lo, hi, n->text);
    }
    *out = v;
    return ENG_OK;
}

eng_status ld_bool(ld_ctx *ld, const yt_node *n, int *out)
{
    eng_status rc = ld_scalar(ld, n);
    if (rc != ENG_OK) {
        return rc;
    }
    if (n->plain && strcmp(n->text, "true") == 0) {
        *out = 1;
    } else if (n->plain && strcmp(n->text, "false") == 0) {
        *out = 0;
    } else {
        return ld_fail(ld, n, ENG_EINVALID, "expected true or false, found \"%.40s\"", n->text);
    }
    return ENG_OK;
}

eng_status ld_date(ld_ctx *ld, const yt_node *n, eng_date *out)
{
    eng_status rc = ld_scalar(ld, n);
    if (rc != ENG_OK) {
        return rc;
    }
    eng_error e;
    eng_error_clear(&e);
    if (eng_date_parse(out, n->text, n->len, &e) != ENG_OK) {
        return ld_fail(ld, n, ENG_EINVALID, "%s", e.message);
    }
    return ENG_OK;
}

/* Reads one of `names` (count `n`) into `*out`. */
eng_status ld_enum(ld_ctx *ld, const yt_node *node, const char *what, const char *const *names,
                   int n, int *out)
{
    eng_status rc = ld_scalar(ld, node);
    char expected[256];
    size_t used = 0;
    if (rc != ENG_OK) {
        return rc;
    }
    for (int i = 0; i < n; i++) {
        if (strcmp(node->text, names[i]) == 0) {
            *out = i;
            return ENG_OK;
        }
        int w = snprintf(expected + used, sizeof(expected) - used, "%s%s", i ? "|" : "", names[i]);
        used += (w > 0 && (size_t)w < sizeof(expected) - used) ? (size_t)w : 0;
    }
    return ld_fail(ld, node, ENG_EINVALID, "unknown %s \"%.40s\" (expected %s)", what, node->text,
                   expected);
}

/* Reads a party id that must name a party of `p`; returns its index. */
eng_status ld_party_ref(ld_ctx *ld, const yt_node *n, int *out)
{
    eng_status rc = ld_scalar(ld, n);
    if (rc != ENG_OK) {
        return rc;
    }
    int idx = eng_policy_party(ld->p, n->text);
    if (idx < 0) {
        return ld_fail(ld, n, ENG_EINVALID, "unknown party \"%.64s\"", n->text);
    }
    *out = idx;
    return ENG_OK;
}

/* ---- top level ------------------------------------------------------------- */

static eng_status load_header(ld_ctx *ld, const yt_node *root)
{
    eng_policy *p = ld->p;
    eng_status rc;
    size_t old;
    const yt_node *n;
    int mode = ENG_ROUND_HALF_UP;
    static const char *const roundings[] = {"half_up", "half_even", "down"};

#define FIELD(key, call)                                                                           \
    do {                                                                                           \
        n = yt_get(root, key);                                                                     \
        old = ld_push_key(ld, key);                                                                \
        rc = (call);                                                                               \
        ld_pop(ld, old);                                                                           \
        if (rc != ENG_OK) {                                                                        \
            return rc;                                                                             \
        }                                                                                          \
    } while (0)

    FIELD("program", ld_id(ld, n, 0, &p->program));
    FIELD("version", ld_int(ld, n, 1, ENG_VERSION_MAX, &p->version));
    FIELD("title", ld_text(ld, n, &p->title));
    FIELD("legal_ref", ld_text(ld, n, &p->legal_ref));
    FIELD("effective_from", ld_date(ld, n, &p->effective_from));
    if (yt_get(root, "effective_to") != NULL) {
        FIELD("effective_to", ld_date(ld, n, &p->effective_to));
        p->has_effective_to = 1;
        if (p->effective_to < p->effective_from) {
            old = ld_push_key(ld, "effective_to");
            char from[11];
            eng_date_format(from, p->effective_from);
            rc = ld_fail(ld, n, ENG_EINVALID, "%s is before effective_from %s", n->text, from);
            ld_pop(ld, old);
            return rc;
        }
    }
    FIELD("currency", ld_text(ld, n, &p->currency));
    if (strlen(p->currency) != 3 || p->currency[0] < 'A' || p->currency[0] > 'Z' ||
        p->currency[1] < 'A' || p->currency[1] > 'Z' || p->currency[2] < 'A' ||
        p->currency[2] > 'Z') {
        old = ld_push_key(ld, "currency");
        rc = ld_fail(ld, n, ENG_EINVALID, "invalid currency \"%.40s\": expected [A-Z]{3}", n->text);
        ld_pop(ld, old);
        return rc;
    }
    if (yt_get(root, "rounding") != NULL) {
        FIELD("rounding", ld_enum(ld, n, "rounding", roundings, 3, &mode));
    }
    p->rounding = (eng_rounding)mode;
#undef FIELD
    return ENG_OK;
}

static eng_status load_party(ld_ctx *ld, const yt_node *n, eng_party *party)
{
    static const char *const keys[] = {"id", "kind", "name", NULL};
    static const char *const kinds[ENG_PARTY__COUNT] = {
        "pool", "bank", "guarantor", "reguarantor", "fund", "government",
    };
    eng_status rc;
    size_t old;
    int kind = 0;

    if ((rc = ld_keys(ld, n, keys, keys)) != ENG_OK) {
        return rc;
    }
    old = ld_push_key(ld, "id");
    rc = ld_id(ld, yt_get(n, "id"), 0, &party->id);
    if (rc == ENG_OK && eng_policy_party(ld->p, party->id) >= 0) {
        rc = ld_fail(ld, yt_get(n, "id"), ENG_EINVALID, "duplicate party id \"%s\"", party->id);
    }
    ld_pop(ld, old);
    if (rc != ENG_OK) {
        return rc;
    }
    old = ld_push_key(ld, "kind");
    rc = ld_enum(ld, yt_get(n, "kind"), "party kind", kinds, ENG_PARTY__COUNT, &kind);
    ld_pop(ld, old);
    party->kind = (eng_party_kind)kind;
    if (rc != ENG_OK) {
        return rc;
    }
    old = ld_push_key(ld, "name");
    rc = ld_text(ld, yt_get(n, "name"), &party->name);
    ld_pop(ld, old);
    return rc;
}

static eng_status load_parties(ld_ctx *ld, const yt_node *list)
{
    eng_policy *p = ld->p;
    eng_status rc;
    int banks = 0;

    if ((rc = ld_want(ld, list, YT_SEQ)) != ENG_OK) {
        return rc;
    }
    if (list->n == 0 || list->n > ENG_PARTIES_MAX) {
        return ld_fail(ld, list, ENG_EINVALID, "expected 1 to %d parties", ENG_PARTIES_MAX);
    }
    p->parties = calloc(list->n, sizeof(*p->parties));
    if (p->parties == NULL) {
        return eng_error_set(ld->err, ENG_ERROR, "out of memory");
    }
    for (size_t i = 0; i < list->n; i++) {
        size_t old = ld_push_index(ld, i);
        rc = load_party(ld, list->vals[i], &p->parties[i]);
        ld_pop(ld, old);
        p->n_parties = i + 1;
        if (rc != ENG_OK) {
            return rc;
        }
        banks += p->parties[i].kind == ENG_PARTY_BANK;
    }
    if (banks == 0) {
        return ld_fail(ld, list, ENG_EINVALID, "a policy needs at least one party of kind bank");
    }
    return ENG_OK;
}

/* Loads the optional top-level block `key` with `fn`, under its key path. */
static eng_status section(ld_ctx *ld, const yt_node *root, const char *key,
                          eng_status (*fn)(ld_ctx *, const yt_node *))
{
    const yt_node *n = yt_get(root, key);
    if (n == NULL) {
        return ENG_OK;
    }
    size_t old = ld_push_key(ld, key);
    eng_status rc = fn(ld, n);
    ld_pop(ld, old);
    return rc;
}

static eng_status load_root(ld_ctx *ld, const yt_node *root)
{
    static const char *const allowed[] = {
        "program", "version", "title", "legal_ref", "effective_from", "effective_to",
        "currency", "rounding", "parties", "eligibility", "terms", "caps", "residual",
        "loss_basis", "capacity", "breakers", "recovery", "settlement", "expected_loss", NULL,
    };
    static const char *const required[] = {
        "program", "version", "title", "legal_ref", "effective_from", "currency", "parties",
        "terms", NULL,
    };
    eng_status rc;

    if (root->kind != YT_MAP) {
        return ld_fail(ld, root, ENG_EINVALID, "a policy must be a mapping, found %s",
                       kind_name(root->kind));
    }
    if ((rc = ld_keys(ld, root, allowed, required)) != ENG_OK ||
        (rc = load_header(ld, root)) != ENG_OK ||
        (rc = section(ld, root, "parties", load_parties)) != ENG_OK ||
        (rc = section(ld, root, "eligibility", ld_eligibility)) != ENG_OK ||
        (rc = section(ld, root, "terms", ld_terms)) != ENG_OK ||
        (rc = section(ld, root, "residual", ld_residual)) != ENG_OK ||
        (rc = section(ld, root, "caps", ld_caps)) != ENG_OK ||
        (rc = section(ld, root, "loss_basis", ld_loss_basis)) != ENG_OK ||
        (rc = section(ld, root, "capacity", ld_capacity)) != ENG_OK ||
        (rc = section(ld, root, "breakers", ld_breakers)) != ENG_OK ||
        (rc = section(ld, root, "recovery", ld_recovery)) != ENG_OK ||
        (rc = section(ld, root, "settlement", ld_settlement)) != ENG_OK ||
        (rc = section(ld, root, "expected_loss", ld_expected_loss)) != ENG_OK) {
        return rc;
    }
    return ENG_OK;
}

eng_status pol_load_buffer(eng_policy **out, const char *name, const unsigned char *buf,
                           size_t len, eng_error *err)
{
    yt_doc doc;
    ld_ctx ld;
    eng_status rc;

    eng_error_clear(err);
    if ((rc = yt_parse(&doc, name, buf, len, err)) != ENG_OK) {
        return rc;
    }
    if (doc.root == NULL || (doc.root->kind == YT_SCALAR && is_null_text(doc.root))) {
        yt_free(&doc);
        eng_error_at(err, name, 1, 1, NULL);
        return eng_error_set(err, ENG_EINVALID, "empty policy file");
    }
    memset(&ld, 0, sizeof(ld));
    ld.name = name;
    ld.err = err;
    ld.p = eng_policy_new();
    if (ld.p == NULL) {
        yt_free(&doc);
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    rc = load_root(&ld, doc.root);
    yt_free(&doc);
    if (rc != ENG_OK) {
        eng_policy_free(ld.p);
        return rc;
    }
    *out = ld.p;
    return ENG_OK;
}

eng_status pol_load_file(eng_policy **out, const char *path, unsigned char **bytes_out,
                         size_t *len_out, eng_error *err)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    eng_status rc;

    eng_error_clear(err);
    if ((rc = ld_read_file(&buf, &len, path, ENG_POLICY_BYTES_MAX, err)) != ENG_OK) {
        return rc;
    }
    rc = pol_load_buffer(out, path, buf, len, err);
    if (rc == ENG_OK && bytes_out != NULL) {
        *bytes_out = buf;
        *len_out = len;
        buf = NULL;
    }
    free(buf);
    return rc;
}

eng_status ld_read_file(unsigned char **out, size_t *len_out, const char *path, size_t max,
                        eng_error *err)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    size_t len;

    if (f == NULL) {
        eng_error_at(err, path, 0, 0, NULL);
        return eng_error_set(err, ENG_EPARSE, "cannot open: %s", strerror(errno));
    }
    buf = malloc(max + 1);
    if (buf == NULL) {
        fclose(f);
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    len = fread(buf, 1, max + 1, f);
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        eng_error_at(err, path, 0, 0, NULL);
        return eng_error_set(err, ENG_EPARSE, "cannot read file");
    }
    if (len > max) {
        free(buf);
        eng_error_at(err, path, 1, 1, NULL);
        return eng_error_set(err, ENG_ELIMIT, "file larger than %zu bytes", max);
    }
    *out = buf;
    *len_out = len;
    return ENG_OK;
}
