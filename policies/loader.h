/*
 * loader.h -- the strict YAML policy loader (DESIGN 4, 10).
 *
 * Reads one policy file with libyaml's event API under the bounds of
 * engine/limits.h, checks every rule of the format, and builds an eng_policy.
 * An error names the file, the line and column of the offending node (the key
 * for an unknown key, the value for a bad value) and the key path.
 */
#ifndef POL_LOADER_H
#define POL_LOADER_H

#include <stddef.h>

#include "error.h"
#include "policy.h"

/*
 * Loads the policy in `buf` (`len` bytes); `name` is the file name used in
 * errors.  On success sets `*out` to a policy the caller frees with
 * eng_policy_free(); on failure leaves `*out` untouched and returns
 * ENG_EPARSE, ENG_EINVALID or ENG_ELIMIT with `err` filled in.
 */
eng_status pol_load_buffer(eng_policy **out, const char *name, const unsigned char *buf,
                           size_t len, eng_error *err);

/*
 * Reads the file at `path` (at most ENG_POLICY_BYTES_MAX bytes) and loads it.
 * When `bytes_out` is not NULL it receives the file's bytes (caller frees with
 * free()) and `len_out` their length, for hashing and storing.
 */
eng_status pol_load_file(eng_policy **out, const char *path, unsigned char **bytes_out,
                         size_t *len_out, eng_error *err);

/*
 * Returns the normalised text of `p` (YAML with every key in a fixed order,
 * defaults made explicit and numbers exact).  The caller frees it with free().
 * Returns NULL when memory runs out.
 */
char *pol_normalise(const eng_policy *p);

#endif
