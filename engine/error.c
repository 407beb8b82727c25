/* error.c -- the eng_error record. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void eng_error_clear(eng_error *err)
{
    if (err != NULL) {
        memset(err, 0, sizeof(*err));
    }
}

eng_status eng_error_set(eng_error *err, eng_status code, const char *fmt, ...)
{
    if (err == NULL) {
        return code;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    err->code = code;
    return code;
}

void eng_error_at(eng_error *err, const char *file, int line, int column, const char *path)
{
    if (err == NULL) {
        return;
    }
    if (file != NULL) {
        snprintf(err->file, sizeof(err->file), "%s", file);
    }
    err->line = line;
    err->column = column;
    if (path != NULL) {
        snprintf(err->path, sizeof(err->path), "%s", path);
    }
}

void eng_error_format(char *out, size_t size, const eng_error *err)
{
    size_t used = 0;
    int n;

    out[0] = '\0';
    if (err->file[0] != '\0') {
        if (err->line > 0 && err->column > 0) {
            n = snprintf(out, size, "%s:%d:%d: ", err->file, err->line, err->column);
        } else if (err->line > 0) {
            n = snprintf(out, size, "%s:%d: ", err->file, err->line);
        } else {
            n = snprintf(out, size, "%s: ", err->file);
        }
        used = (n < 0) ? 0 : ((size_t)n >= size ? size - 1 : (size_t)n);
    }
    if (err->path[0] != '\0' && used < size) {
        n = snprintf(out + used, size - used, "%s: ", err->path);
        used += (n < 0) ? 0 : ((size_t)n >= size - used ? size - used - 1 : (size_t)n);
    }
    if (used < size) {
        snprintf(out + used, size - used, "%s", err->message);
    }
}
