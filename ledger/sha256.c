/* sha256.c -- SHA-256 as lower-case hex. */
#include "sha256.h"

#include <assert.h>
#include <openssl/evp.h>

eng_status led_sha256_hex(char out[LED_SHA256_HEX_SIZE], const void *data, size_t len,
                          eng_error *err)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;

    assert(out != NULL);
    assert(data != NULL || len == 0);
    if (EVP_Digest(data != NULL ? data : "", len, md, &md_len, EVP_sha256(), NULL) != 1
        || md_len != 32) {
        return eng_error_set(err, ENG_ERROR, "sha-256 digest failed in openssl");
    }
    for (unsigned int i = 0; i < md_len; i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 0x0f];
    }
    out[2 * md_len] = '\0';
    return ENG_OK;
}
