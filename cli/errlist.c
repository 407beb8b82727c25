/* errlist.c -- the bounded list of input errors (see errlist.h). */
#include "errlist.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* Kept in place of a line that could not be allocated. */
static char out_of_memory_line[] = "out of memory while recording an error";

void cli_errlist_init(cli_errlist *l)
{
    memset(l, 0, sizeof(*l));
}

int cli_errlist_keeps(const cli_errlist *l)
{
    return l->n < ENG_ERRLIST_MAX;
}

/* Notes `file` for the summary line. */
static void note_file(cli_errlist *l, const char *file)
{
    const char *name = file != NULL ? file : "";
    if (l->total == 0) {
        snprintf(l->file, sizeof(l->file), "%s", name);
    } else if (strncmp(l->file, name, sizeof(l->file) - 1) != 0) {
        l->several_files = 1;
    }
}

void cli_errlist_vadd(cli_errlist *l, const char *file, uint32_t line, uint32_t column,
                      const char *fmt, va_list ap)
{
    char text[1400];
    size_t used = 0;
    int n = 0;

    assert(l != NULL && fmt != NULL);
    assert(l->n <= ENG_ERRLIST_MAX && l->n <= l->total);
    note_file(l, file);
    l->total++;
    if (l->n >= ENG_ERRLIST_MAX) {
        return; /* counted, not kept: no formatting cost for the millionth error */
    }
    if (file != NULL && line > 0 && column > 0) {
        n = snprintf(text, sizeof(text), "%s:%lu:%lu: ", file, (unsigned long)line,
                     (unsigned long)column);
    } else if (file != NULL && line > 0) {
        n = snprintf(text, sizeof(text), "%s:%lu: ", file, (unsigned long)line);
    } else if (file != NULL) {
        n = snprintf(text, sizeof(text), "%s: ", file);
    }
    used = n < 0 ? 0 : ((size_t)n >= sizeof(text) ? sizeof(text) - 1 : (size_t)n);
    vsnprintf(text + used, sizeof(text) - used, fmt, ap);
    char *copy = strdup(text);
    l->lines[l->n++] = copy != NULL ? copy : out_of_memory_line;
}

void cli_errlist_add(cli_errlist *l, const char *file, uint32_t line, uint32_t column,
                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cli_errlist_vadd(l, file, line, column, fmt, ap);
    va_end(ap);
}

void cli_errlist_add_error(cli_errlist *l, const eng_error *err)
{
    char text[1400];
    assert(err != NULL);
    /* eng_error_format already writes the position; add it as a bare message. */
    eng_error_format(text, sizeof(text), err);
    note_file(l, err->file[0] != '\0' ? err->file : NULL);
    l->total++;
    if (l->n < ENG_ERRLIST_MAX) {
        char *copy = strdup(text);
        l->lines[l->n++] = copy != NULL ? copy : out_of_memory_line;
    }
}

void cli_errlist_print(const cli_errlist *l, FILE *out)
{
    assert(l->n <= ENG_ERRLIST_MAX && l->n <= l->total);
    for (size_t i = 0; i < l->n; i++) {
        fprintf(out, "riskshare: %s\n", l->lines[i]);
    }
    if (l->total > l->n) {
        if (l->several_files || l->file[0] == '\0') {
            fprintf(out, "riskshare: %zu errors (first %zu shown)\n", l->total, l->n);
        } else {
            fprintf(out, "riskshare: %s: %zu errors (first %zu shown)\n", l->file, l->total,
                    l->n);
        }
    }
}

void cli_errlist_free(cli_errlist *l)
{
    assert(l->n <= ENG_ERRLIST_MAX);
    for (size_t i = 0; i < l->n; i++) {
        if (l->lines[i] != out_of_memory_line) {
            free(l->lines[i]);
        }
    }
    cli_errlist_init(l);
}
