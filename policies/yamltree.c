/*
 * yamltree.c -- libyaml events to a bounded tree (see yamltree.h).
 *
 * libyaml's event API is used rather than its document API so that every
 * bound is checked as the file is read (parsing is quadratic in nesting depth,
 * and the document API cannot be stopped part-way), and so that aliases and
 * duplicate keys, which libyaml accepts silently, can be refused.
 */
#include "yamltree.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "limits.h"

struct yt_block {
    yt_block *next;
    size_t used;
    size_t size;
    max_align_t data[];
};

/* Allocates `size` zeroed bytes in the arena of `doc`; NULL when out of memory. */
static void *arena_alloc(yt_doc *doc, size_t size)
{
    size = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    yt_block *b = doc->blocks;
    if (b == NULL || b->size - b->used < size) {
        size_t want = size > 65536 ? size : 65536;
        b = calloc(1, sizeof(yt_block) + want);
        if (b == NULL) {
            return NULL;
        }
        b->size = want;
        b->next = doc->blocks;
        doc->blocks = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += size;
    return p;
}

void yt_free(yt_doc *doc)
{
    yt_block *b = doc->blocks;
    while (b != NULL) {
        yt_block *next = b->next;
        free(b);
        b = next;
    }
    doc->blocks = NULL;
    doc->root = NULL;
}

yt_node *yt_get(const yt_node *map, const char *key)
{
    assert(map != NULL && map->kind == YT_MAP);
    for (size_t i = 0; i < map->n; i++) {
        if (strcmp(map->keys[i]->text, key) == 0) {
            return map->vals[i];
        }
    }
    return NULL;
}

/*
 * Checks that buf is valid UTF-8 without NUL bytes; on failure reports the
 * line and column (in characters) of the first bad byte.
 */
static eng_status check_utf8(const char *name, const unsigned char *buf, size_t len,
                             eng_error *err)
{
    int line = 1, col = 1;
    size_t i = 0;
    while (i < len) {
        unsigned char c = buf[i];
        size_t need = 0;
        uint32_t cp = 0;
        if (c == 0) {
            eng_error_at(err, name, line, col, NULL);
            return eng_error_set(err, ENG_EPARSE, "NUL byte in file");
        }
        if (c < 0x80) {
            need = 0;
        } else if (c >= 0xC2 && c <= 0xDF) {
            need = 1, cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2, cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3, cp = c & 0x07;
        } else {
            goto bad;
        }
        if (len - i - 1 < need) {
            goto bad;
        }
        for (size_t k = 1; k <= need; k++) {
            if ((buf[i + k] & 0xC0) != 0x80) {
                goto bad;
            }
            cp = (cp << 6) | (buf[i + k] & 0x3F);
        }
        if ((need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (need == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
            goto bad;
        }
        if (c == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
        i += need + 1;
    }
    return ENG_OK;
bad:
    eng_error_at(err, name, line, col, NULL);
    return eng_error_set(err, ENG_EPARSE, "invalid UTF-8");
}

/* One open collection while the tree is built. */
typedef struct {
    yt_node *node;
    yt_node **items;     /* keys and values interleaved for a mapping */
    size_t n_items;
    size_t cap_items;
} frame;

static int frame_push_item(frame *f, yt_node *item)
{
    if (f->n_items == f->cap_items) {
        size_t cap = f->cap_items ? f->cap_items * 2 : 8;
        yt_node **items = realloc(f->items, cap * sizeof(*items));
        if (items == NULL) {
            return -1;
        }
        f->items = items;
        f->cap_items = cap;
    }
    f->items[f->n_items++] = item;
    return 0;
}

typedef struct {
    yt_doc *doc;
    const char *name;
    eng_error *err;
    frame stack[ENG_YAML_DEPTH_MAX + 1];
    int depth;
    size_t events;
    int documents;
} builder;

/*
 * Writes the key path of the node being read (`terms.rules[1].shares`) into
 * `out`, from the open collections; `extra_key` is appended when not NULL.
 */
static void builder_path(const builder *b, const char *extra_key, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < b->depth && used < size; i++) {
        const frame *f = &b->stack[i];
        int n;
        if (f->node->kind == YT_MAP) {
            if (f->n_items % 2 == 0) {
                break; /* between pairs: the path ends at this mapping */
            }
            n = snprintf(out + used, size - used, "%s%s", used ? "." : "",
                         f->items[f->n_items - 1]->text);
        } else {
            n = snprintf(out + used, size - used, "[%zu]", f->n_items);
        }
        used += (n < 0 || (size_t)n >= size - used) ? size - used - 1 : (size_t)n;
    }
    if (extra_key != NULL && used < size) {
        snprintf(out + used, size - used, "%s%s", used ? "." : "", extra_key);
    }
}

static eng_status fail_at(builder *b, int line, int column, const char *extra_key,
                          eng_status code, const char *msg)
{
    char path[256];
    builder_path(b, extra_key, path, sizeof(path));
    eng_error_at(b->err, b->name, line, column, path);
    return eng_error_set(b->err, code, "%s", msg);
}

static eng_status fail(builder *b, const yaml_mark_t *mark, eng_status code, const char *msg)
{
    return fail_at(b, (int)mark->line + 1, (int)mark->column + 1, NULL, code, msg);
}

static yt_node *new_node(builder *b, yt_kind kind, const yaml_mark_t *mark)
{
    yt_node *n = arena_alloc(b->doc, sizeof(*n));
    if (n != NULL) {
        n->kind = kind;
        n->line = (int)mark->line + 1;
        n->column = (int)mark->column + 1;
    }
    return n;
}

/* Adds a finished node to the open collection, or makes it the root. */
static eng_status attach(builder *b, yt_node *node)
{
    if (b->depth == 0) {
        b->doc->root = node;
        return ENG_OK;
    }
    frame *f = &b->stack[b->depth - 1];
    if (f->node->kind == YT_MAP && f->n_items % 2 == 0) {
        if (node->kind != YT_SCALAR) {
            return fail_at(b, node->line, node->column, NULL, ENG_EPARSE,
                           "a mapping key must be a scalar");
        }
        for (size_t i = 0; i < f->n_items; i += 2) {
            if (strcmp(f->items[i]->text, node->text) == 0) {
                char msg[128];
                snprintf(msg, sizeof(msg), "duplicate key \"%.64s\"", node->text);
                return fail_at(b, node->line, node->column, node->text, ENG_EINVALID, msg);
            }
        }
    }
    if (frame_push_item(f, node) != 0) {
        return eng_error_set(b->err, ENG_ERROR, "out of memory");
    }
    return ENG_OK;
}

static eng_status on_scalar(builder *b, const yaml_event_t *ev)
{
    size_t len = ev->data.scalar.length;
    if (len > ENG_YAML_SCALAR_MAX) {
        return fail(b, &ev->start_mark, ENG_ELIMIT, "scalar longer than 4096 bytes");
    }
    yt_node *n = new_node(b, YT_SCALAR, &ev->start_mark);
    char *text = arena_alloc(b->doc, len + 1);
    if (n == NULL || text == NULL) {
        return eng_error_set(b->err, ENG_ERROR, "out of memory");
    }
    memcpy(text, ev->data.scalar.value, len);
    text[len] = '\0';
    if (strlen(text) != len) {
        return fail(b, &ev->start_mark, ENG_EPARSE, "NUL character in a scalar");
    }
    n->text = text;
    n->len = len;
    n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    return attach(b, n);
}

static eng_status on_start(builder *b, const yaml_event_t *ev, yt_kind kind)
{
    if (b->depth >= ENG_YAML_DEPTH_MAX) {
        return fail(b, &ev->start_mark, ENG_ELIMIT, "nesting deeper than 16 levels");
    }
    yt_node *n = new_node(b, kind, &ev->start_mark);
    if (n == NULL) {
        return eng_error_set(b->err, ENG_ERROR, "out of memory");
    }
    frame *f = &b->stack[b->depth++];
    memset(f, 0, sizeof(*f));
    f->node = n;
    return ENG_OK;
}

/* Closes the innermost collection: copies its items into the arena. */
static eng_status on_end(builder *b)
{
    assert(b->depth > 0);
    frame *f = &b->stack[b->depth - 1];
    yt_node *n = f->node;
    size_t count = n->kind == YT_MAP ? f->n_items / 2 : f->n_items;
    assert(n->kind != YT_MAP || f->n_items % 2 == 0);
    n->n = count;
    if (count > 0) {
        n->vals = arena_alloc(b->doc, count * sizeof(yt_node *));
        n->keys = n->kind == YT_MAP ? arena_alloc(b->doc, count * sizeof(yt_node *)) : NULL;
        if (n->vals == NULL || (n->kind == YT_MAP && n->keys == NULL)) {
            return eng_error_set(b->err, ENG_ERROR, "out of memory");
        }
        for (size_t i = 0; i < count; i++) {
            if (n->kind == YT_MAP) {
                n->keys[i] = f->items[2 * i];
                n->vals[i] = f->items[2 * i + 1];
            } else {
                n->vals[i] = f->items[i];
            }
        }
    }
    free(f->items);
    memset(f, 0, sizeof(*f));
    b->depth--;
    return attach(b, n);
}

/* Refuses anchors, aliases and tags; returns ENG_OK for every other event. */
static eng_status check_event(builder *b, const yaml_event_t *ev)
{
    const yaml_char_t *anchor = NULL, *tag = NULL;
    int implicit = 1;

    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        return fail(b, &ev->start_mark, ENG_EINVALID, "anchors and aliases are not allowed");
    case YAML_SCALAR_EVENT:
        anchor = ev->data.scalar.anchor;
        tag = ev->data.scalar.tag;
        implicit = ev->data.scalar.plain_implicit || ev->data.scalar.quoted_implicit;
        break;
    case YAML_MAPPING_START_EVENT:
        anchor = ev->data.mapping_start.anchor;
        tag = ev->data.mapping_start.tag;
        break;
    case YAML_SEQUENCE_START_EVENT:
        anchor = ev->data.sequence_start.anchor;
        tag = ev->data.sequence_start.tag;
        break;
    case YAML_DOCUMENT_START_EVENT:
        if (++b->documents > 1) {
            return fail(b, &ev->start_mark, ENG_EINVALID, "a file holds exactly one document");
        }
        break;
    default:
        break;
    }
    if (anchor != NULL) {
        return fail(b, &ev->start_mark, ENG_EINVALID, "anchors and aliases are not allowed");
    }
    if (tag != NULL || !implicit) {
        return fail(b, &ev->start_mark, ENG_EINVALID, "tags are not allowed");
    }
    return ENG_OK;
}

static eng_status on_event(builder *b, const yaml_event_t *ev)
{
    eng_status rc = check_event(b, ev);
    if (rc != ENG_OK) {
        return rc;
    }
    if (++b->events > ENG_YAML_EVENTS_MAX) {
        return fail(b, &ev->start_mark, ENG_ELIMIT, "more than 200000 YAML nodes");
    }
    switch (ev->type) {
    case YAML_SCALAR_EVENT: return on_scalar(b, ev);
    case YAML_MAPPING_START_EVENT: return on_start(b, ev, YT_MAP);
    case YAML_SEQUENCE_START_EVENT: return on_start(b, ev, YT_SEQ);
    case YAML_MAPPING_END_EVENT:
    case YAML_SEQUENCE_END_EVENT: return on_end(b);
    default: return ENG_OK;
    }
}

static eng_status parser_error(builder *b, const yaml_parser_t *p)
{
    const yaml_mark_t *m = p->problem_mark.line || p->problem_mark.column ? &p->problem_mark
                                                                          : &p->context_mark;
    char msg[256];
    snprintf(msg, sizeof(msg), "YAML syntax: %s%s%s", p->problem ? p->problem : "malformed",
             p->context ? " " : "", p->context ? p->context : "");
    return fail_at(b, (int)m->line + 1, (int)m->column + 1, NULL, ENG_EPARSE, msg);
}

eng_status yt_parse(yt_doc *out, const char *name, const unsigned char *buf, size_t len,
                    eng_error *err)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    builder b;
    eng_status rc;
    int done = 0;

    memset(out, 0, sizeof(*out));
    if (len > ENG_POLICY_BYTES_MAX) {
        eng_error_at(err, name, 1, 1, NULL);
        return eng_error_set(err, ENG_ELIMIT, "file larger than %d bytes", ENG_POLICY_BYTES_MAX);
    }
    if ((rc = check_utf8(name, buf, len, err)) != ENG_OK) {
        return rc;
    }
    memset(&b, 0, sizeof(b));
    b.doc = out;
    b.name = name;
    b.err = err;
    if (!yaml_parser_initialize(&parser)) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    yaml_parser_set_input_string(&parser, buf, len);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    rc = ENG_OK;
    while (!done && rc == ENG_OK) {
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = parser_error(&b, &parser);
            break;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        rc = on_event(&b, &ev);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    for (int i = 0; i < b.depth; i++) {
        free(b.stack[i].items);
    }
    if (rc != ENG_OK) {
        yt_free(out);
    }
    return rc;
}
