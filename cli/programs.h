/*
 * programs.h -- the stored versions of one program, loaded from the ledger and
 * parsed by the policy loader, for the commands that act on recorded loans
 * (batch, events, settle).
 */
#ifndef CLI_PROGRAMS_H
#define CLI_PROGRAMS_H

#include <stddef.h>

#include "error.h"
#include "pg.h"
#include "policy.h"

/*
 * Appends every stored version of `program` to `versions[*n..max)` (ascending
 * version).  ENG_ELIMIT beyond `max`; ENG_EINVALID when the program has no
 * version at all (nothing loaded).  The caller frees what was appended.
 */
eng_status cli_program_policies(eng_policy **versions, size_t *n, size_t max, led_db *db,
                                const char *program, eng_error *err);

/* The version numbered `version` among `versions[0..n)`, or NULL. */
const eng_policy *cli_program_version(eng_policy *const *versions, size_t n, long version);

#endif
