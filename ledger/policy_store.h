/*
 * policy_store.h -- loaded policy versions in the ledger (DESIGN 4: a program's
 * versions are immutable once loaded).
 *
 * A version is stored with its file's exact bytes and their SHA-256, so loading the
 * same file again is a no-op and loading different bytes under the same program
 * and version is a conflict.
 */
#ifndef LED_POLICY_STORE_H
#define LED_POLICY_STORE_H

#include <stddef.h>

#include "error.h"
#include "limits.h"
#include "pg.h"
#include "sha256.h"

/* One version to store; every pointer is the caller's and only read. */
typedef struct {
    const char *program;            /* [a-z0-9-]{1,64} */
    long version;                   /* 1..ENG_VERSION_MAX */
    const unsigned char *bytes;     /* the policy file, as read */
    size_t len;
    const char *title;
    const char *legal_ref;
    const char *effective_from;     /* YYYY-MM-DD */
    const char *effective_to;       /* YYYY-MM-DD, or NULL when open-ended */
    const char *normalised;         /* the loader's normalised text (pol_normalise) */
} led_policy_row;

/* A stored version, as listed or fetched. */
typedef struct {
    char program[ENG_ID_MAX + 1];
    long version;
    char sha256[LED_SHA256_HEX_SIZE];
    char effective_from[11];
    char effective_to[11];          /* "" when open-ended */
    char loaded_at[32];             /* UTC, YYYY-MM-DDTHH:MM:SSZ */
    char *title;                    /* owned */
    char *legal_ref;                /* owned */
    unsigned char *bytes;           /* owned; led_policy_get only, else NULL */
    size_t len;
    char *normalised;               /* owned; led_policy_get only, else NULL */
} led_policy_info;

/*
 * Stores `row` in one transaction as role finance (SET LOCAL ROLE), computing the
 * SHA-256 of its bytes.  `*out_inserted` is 1 when the version was new, 0 when the
 * same program, version and bytes were already stored (nothing changes).  Returns
 * ENG_ECONFLICT when the program and version are stored with different bytes
 * (`policy P version N is already loaded with different content (sha256 abcd…)`),
 * ENG_EDB when the database is unavailable, ENG_ERROR otherwise (a role that may
 * not act as finance, say).  Allocates nothing that outlives the call.
 */
eng_status led_policy_store(led_db *db, const led_policy_row *row, int *out_inserted,
                            eng_error *err);

/*
 * Lists the stored versions of `program` (every program when NULL), by program
 * then version.  On success `*out` is an array of `*out_n` entries (NULL when 0)
 * without bytes or normalised text, freed with led_policy_list_free().
 */
eng_status led_policy_list(led_policy_info **out, size_t *out_n, led_db *db,
                           const char *program, eng_error *err);

/*
 * Fetches version `version` of `program`, or its highest version when `version` is
 * 0, with its stored bytes and normalised text.  On success `*out` is freed with
 * led_policy_info_free().  Returns ENG_EINVALID when no such version is stored.
 */
eng_status led_policy_get(led_policy_info **out, led_db *db, const char *program,
                          long version, eng_error *err);

/* Frees one led_policy_info from led_policy_get(); NULL is allowed. */
void led_policy_info_free(led_policy_info *info);

/* Frees the array of `n` entries from led_policy_list(); NULL is allowed. */
void led_policy_list_free(led_policy_info *list, size_t n);

#endif
