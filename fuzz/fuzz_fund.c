/*
 * fuzz_fund.c -- libFuzzer target for the strict YAML fund-file loader.
 *
 * Feeds the input to fund_load_buffer() (policies/fund_loader.h), which
 * parses and validates a fund; a loaded fund is freed with eng_fund_free().
 * Any bytes must give a code, never a crash, a leak or undefined behaviour.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "error.h"
#include "fund.h"
#include "fund_loader.h"
#include "limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eng_fund *f = NULL;
    eng_error err;

    /* fund_load_file refuses larger files before the loader sees them. */
    if (size > ENG_POLICY_BYTES_MAX) {
        return 0;
    }
    eng_error_clear(&err);
    eng_status rc = fund_load_buffer("fuzz.yaml", data, size, &f, &err);
    if (rc != ENG_OK) {
        /* A failure sets no fund and always says why. */
        if (f != NULL || err.message[0] == '\0') {
            abort();
        }
        return 0;
    }
    if (f == NULL) {
        abort();
    }
    eng_fund_free(f);
    return 0;
}
