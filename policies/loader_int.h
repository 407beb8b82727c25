/*
 * loader_int.h -- what the parts of the policy loader share: the load
 * context with its key path, and the scalar readers.  Not for other modules.
 */
#ifndef POL_LOADER_INT_H
#define POL_LOADER_INT_H

#include <gmp.h>
#include <stddef.h>

#include "error.h"
#include "policy.h"
#include "yamltree.h"

typedef struct {
    const char *name;     /* file name for errors */
    eng_error *err;
    eng_policy *p;        /* the policy being built */
    char path[256];       /* key path of the node being read */
    size_t path_len;
} ld_ctx;

/* Reports a fault at node `at` (NULL: line 1) under the current key path. */
eng_status ld_fail(ld_ctx *ld, const yt_node *at, eng_status code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Extend the key path; each returns the length to restore with ld_pop(). */
size_t ld_push_key(ld_ctx *ld, const char *key);
size_t ld_push_index(ld_ctx *ld, size_t index);
void ld_pop(ld_ctx *ld, size_t old);

eng_status ld_want(ld_ctx *ld, const yt_node *n, yt_kind kind);
eng_status ld_keys(ld_ctx *ld, const yt_node *map, const char *const *allowed,
                   const char *const *required);

/* Scalar readers: each checks the node and reports a positioned fault. */
eng_status ld_scalar(ld_ctx *ld, const yt_node *n);
eng_status ld_text(ld_ctx *ld, const yt_node *n, char **out);
eng_status ld_id(ld_ctx *ld, const yt_node *n, int loose, char **out);
eng_status ld_num(ld_ctx *ld, const yt_node *n, mpq_t out);
eng_status ld_ratio(ld_ctx *ld, const yt_node *n, mpq_t out);
eng_status ld_opt_ratio(ld_ctx *ld, const yt_node *n, eng_opt_q *out);
eng_status ld_money(ld_ctx *ld, const yt_node *n, eng_fen *out);
eng_status ld_opt_money(ld_ctx *ld, const yt_node *n, eng_opt_fen *out);
eng_status ld_int(ld_ctx *ld, const yt_node *n, long lo, long hi, long *out);
eng_status ld_bool(ld_ctx *ld, const yt_node *n, int *out);
eng_status ld_date(ld_ctx *ld, const yt_node *n, eng_date *out);
eng_status ld_enum(ld_ctx *ld, const yt_node *node, const char *what, const char *const *names,
                   int n, int *out);
eng_status ld_party_ref(ld_ctx *ld, const yt_node *n, int *out);

/* Sections (each called with the key path at its block). */
eng_status ld_eligibility(ld_ctx *ld, const yt_node *n);
eng_status ld_terms(ld_ctx *ld, const yt_node *n);
eng_status ld_caps(ld_ctx *ld, const yt_node *n);
eng_status ld_residual(ld_ctx *ld, const yt_node *n);
eng_status ld_loss_basis(ld_ctx *ld, const yt_node *n);
eng_status ld_capacity(ld_ctx *ld, const yt_node *n);
eng_status ld_breakers(ld_ctx *ld, const yt_node *n);
eng_status ld_recovery(ld_ctx *ld, const yt_node *n);
eng_status ld_settlement(ld_ctx *ld, const yt_node *n);
eng_status ld_expected_loss(ld_ctx *ld, const yt_node *n);

/* Reads a whole file of at most `max` bytes; the caller frees `*out`. */
eng_status ld_read_file(unsigned char **out, size_t *len_out, const char *path, size_t max,
                        eng_error *err);

#endif
