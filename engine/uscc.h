/*
 * uscc.h -- the unified social credit code of GB 32100-2015 (统一社会信用代码).
 *
 * 18 characters from the 31-character set 0-9 A-H J-N P-R T U W-Y (no I O S V Z):
 * registration authority, organisation type, 6-digit administrative division,
 * 9-character organisation code, and a check character computed from the first
 * 17 with the weights 3^i mod 31.
 */
#ifndef ENG_USCC_H
#define ENG_USCC_H

#include <stddef.h>

/*
 * Returns NULL when `code` (`len` bytes) is a valid code, else a reason:
 * "must be 18 characters", "character N is not allowed", "the administrative
 * division must be 6 digits", "check character is X, expected Y".  The reason
 * for a bad check character is written into `buf` (`size` bytes) and `buf` is
 * returned; the other reasons are static strings.
 */
const char *eng_uscc_check(const char *code, size_t len, char *buf, size_t size);

/* The check character for the first 17 characters (all valid); for generators. */
char eng_uscc_check_char(const char *first17);

#endif
