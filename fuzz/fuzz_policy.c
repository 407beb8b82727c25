/*
 * fuzz_policy.c -- libFuzzer target for the strict YAML policy loader.
 *
 * Feeds the input to pol_load_buffer() (policies/loader.h) and, when it loads,
 * to pol_normalise(), then frees both: the loader must reject any bytes with
 * a code (never a crash, a leak or undefined behaviour) and everything it
 * builds must be freed by eng_policy_free().
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "error.h"
#include "limits.h"
#include "loader.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eng_policy *p = NULL;
    eng_error err;

    /* pol_load_file refuses larger files before the loader sees them. */
    if (size > ENG_POLICY_BYTES_MAX) {
        return 0;
    }
    eng_error_clear(&err);
    eng_status rc = pol_load_buffer(&p, "fuzz.yaml", data, size, &err);
    if (rc != ENG_OK) {
        /* A failure sets no policy and always says why. */
        if (p != NULL || err.message[0] == '\0') {
            abort();
        }
        return 0;
    }
    assert(p != NULL);
    char *text = pol_normalise(p);
    free(text);
    eng_policy_free(p);
    return 0;
}
