/*
 * sha256.h -- SHA-256 as lower-case hex, through OpenSSL's EVP interface.
 */
#ifndef LED_SHA256_H
#define LED_SHA256_H

#include <stddef.h>

#include "error.h"

/* Bytes of a hex digest with its NUL. */
#define LED_SHA256_HEX_SIZE 65

/*
 * Writes the SHA-256 of the `len` bytes at `data` into `out` as 64 lower-case hex
 * digits and a NUL.  `data` may be NULL when `len` is 0.  Allocates nothing.
 * Returns ENG_OK, or ENG_ERROR (with `err` filled in) when OpenSSL fails; `out` is
 * then left untouched.
 */
eng_status led_sha256_hex(char out[LED_SHA256_HEX_SIZE], const void *data, size_t len,
                          eng_error *err);

#endif
