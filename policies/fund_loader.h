/*
 * fund_loader.h -- the strict YAML loader of fund files (DESIGN 9, 10).
 *
 * A fund file describes the parent fund (母基金), its commitments by source and
 * the sub-funds it takes stakes in; docs/fund-reference.md documents every key.
 * It is read as strictly as a policy: the same bounded tree (yamltree.h), the
 * same scalar rules (numbers exact through eng_num_parse, never a double), and
 * the first fault reported as `file:line:column: key.path: message`, at the key
 * for an unknown key, at the value for a bad value, at the mapping for a
 * missing key.
 */
#ifndef POL_FUND_LOADER_H
#define POL_FUND_LOADER_H

#include <stddef.h>

#include "error.h"
#include "fund.h"

/*
 * Loads the fund file in `buf` (`len` bytes); `name` is the file name used in
 * errors.  On success sets `*out` to a validated fund the caller frees with
 * eng_fund_free(); on failure leaves `*out` untouched and returns ENG_EPARSE,
 * ENG_EINVALID or ENG_ELIMIT (ENG_ERROR when memory runs out) with `err`
 * filled in.  Allocates nothing that outlives a failure.
 */
eng_status fund_load_buffer(const char *name, const unsigned char *buf, size_t len,
                            eng_fund **out, eng_error *err);

/*
 * Reads the file at `path` (at most ENG_POLICY_BYTES_MAX bytes) and loads it
 * as fund_load_buffer() does; a file that cannot be opened or read is
 * ENG_EPARSE naming the path.
 */
eng_status fund_load_file(const char *path, eng_fund **out, eng_error *err);

#endif
