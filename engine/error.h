/*
 * error.h -- the one status type and error record of riskshare.
 *
 * Every function that can fail on bad input returns an eng_status and fills a
 * caller-supplied eng_error.  Programmer errors are asserts, never codes.
 */
#ifndef ENG_ERROR_H
#define ENG_ERROR_H

#include <stddef.h>

typedef enum {
    ENG_OK = 0,
    ENG_ERROR = -1,      /* anything unexpected (out of memory, internal) */
    ENG_EPARSE = -2,     /* malformed input text: a number, a date, a file */
    ENG_ELIMIT = -3,     /* a documented bound was exceeded */
    ENG_EINVALID = -4,   /* well-formed input that breaks a rule of the format */
    ENG_EUNBALANCED = -5,/* an entry that does not balance */
    ENG_EDB = -6,        /* database unavailable */
    ENG_ECONFLICT = -7,  /* a conflicting record already exists, or retry */
    ENG_EUSAGE = -8,     /* bad command-line use */
    ENG_ERETRY = -9      /* a serialization failure or deadlock that outlived its retries */
} eng_status;

/*
 * Details of one failure.  `message` is lower-case with no full stop; `path` is
 * the key path inside a structured file (`terms.rules[1].shares`), empty when
 * there is none.  line and column are 1-based, 0 when unknown.
 */
typedef struct {
    int code;
    char sqlstate[6];
    char file[256];
    int line;
    int column;
    char path[256];
    char message[512];
    char detail[256];
    char hint[256];
} eng_error;

/* Clears every field of `err`. */
void eng_error_clear(eng_error *err);

/*
 * Sets the code and message of `err` (printf-style) and returns `code`, so a
 * caller can write `return eng_error_set(err, ENG_EPARSE, "...")`.  Leaves the
 * position fields as they are.  `err` may be NULL.
 */
eng_status eng_error_set(eng_error *err, eng_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets the position fields of `err`; `file` and `path` may be NULL. */
void eng_error_at(eng_error *err, const char *file, int line, int column, const char *path);

/*
 * Formats `err` as the one line the user sees:
 * `file:line:column: path: message` (parts that are unknown are left out).
 * Writes at most `size` bytes to `out`, always NUL-terminated.
 */
void eng_error_format(char *out, size_t size, const eng_error *err);

#endif
