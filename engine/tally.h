/*
 * tally.h -- a hash map from a string key to two checked int64 sums, for the
 * running totals admission and allocation need (a borrower's outstanding
 * principal, a breaker scope's loss bases and principal).
 *
 * Keys are copied into the map's own storage.  All memory is released by
 * eng_tally_free().
 */
#ifndef ENG_TALLY_H
#define ENG_TALLY_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct eng_tally eng_tally;

/* A new empty map, or NULL when out of memory. */
eng_tally *eng_tally_new(void);

void eng_tally_free(eng_tally *t);

/*
 * Adds (a, b) to the sums of `key` (`len` bytes), creating it at (0, 0).
 * Returns ENG_ELIMIT when a sum would overflow int64, ENG_ERROR when out of
 * memory; the sums are unchanged on failure.
 */
eng_status eng_tally_add(eng_tally *t, const char *key, size_t len, int64_t a, int64_t b);

/*
 * Returns the two sums of `key`, creating them at (0, 0): one lookup for a
 * read followed by an update.  The pointer stays valid until the next key is
 * added to the map.  NULL when out of memory.
 */
int64_t *eng_tally_ref(eng_tally *t, const char *key, size_t len);

/* Reads the sums of `key` into *a and *b ((0, 0) when absent); returns 1 when present. */
int eng_tally_get(const eng_tally *t, const char *key, size_t len, int64_t *a, int64_t *b);

/* Number of keys. */
size_t eng_tally_count(const eng_tally *t);

#endif
