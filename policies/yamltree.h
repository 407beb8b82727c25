/*
 * yamltree.h -- a bounded YAML reader that turns one document into a tree of
 * scalars, mappings and sequences, each node with its line and column.
 *
 * Refuses, with a positioned error: invalid UTF-8, NUL bytes, anchors,
 * aliases, explicit tags, several documents, non-scalar keys, duplicate keys,
 * and anything beyond the bounds of engine/limits.h (bytes, depth, events,
 * scalar length).  Built with an explicit stack: no recursion.
 */
#ifndef POL_YAMLTREE_H
#define POL_YAMLTREE_H

#include <stddef.h>

#include "error.h"

typedef enum { YT_SCALAR = 0, YT_MAP, YT_SEQ } yt_kind;

typedef struct yt_node yt_node;
struct yt_node {
    yt_kind kind;
    int line;        /* 1-based */
    int column;      /* 1-based, in characters */
    char *text;      /* YT_SCALAR: NUL-terminated value */
    size_t len;      /* YT_SCALAR: bytes of text */
    int plain;       /* YT_SCALAR: 1 when unquoted */
    size_t n;        /* YT_MAP: pairs; YT_SEQ: items */
    yt_node **keys;  /* YT_MAP: key scalars */
    yt_node **vals;  /* YT_MAP: values; YT_SEQ: items */
};

typedef struct yt_block yt_block;

typedef struct {
    yt_node *root;   /* NULL for an empty document */
    yt_block *blocks;/* the arena every node and string lives in */
} yt_doc;

/*
 * Parses `buf` (`len` bytes) into `out`.  `name` is the file name for errors.
 * On success the caller frees the tree with yt_free(); on failure nothing is
 * left allocated and `err` holds the file, line, column and message.
 */
eng_status yt_parse(yt_doc *out, const char *name, const unsigned char *buf, size_t len,
                    eng_error *err);

void yt_free(yt_doc *doc);

/* Returns the value of `key` in mapping `map`, or NULL. */
yt_node *yt_get(const yt_node *map, const char *key);

#endif
