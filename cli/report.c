/* report.c -- table, csv and json output of tabular reports. */
#include "report.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cli_report {
    size_t n_cols;
    char **cols;
    size_t n_rows;
    size_t cap_rows;
    char **cells;   /* n_rows * n_cols, row-major; NULL for a missing value */
};

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

cli_report *cli_report_new(const char *const *cols, size_t n_cols)
{
    cli_report *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        return NULL;
    }
    r->cols = calloc(n_cols, sizeof(char *));
    if (r->cols == NULL) {
        free(r);
        return NULL;
    }
    r->n_cols = n_cols;
    for (size_t i = 0; i < n_cols; i++) {
        r->cols[i] = strdup(cols[i]);
        if (r->cols[i] == NULL) {
            cli_report_free(r);
            return NULL;
        }
    }
    return r;
}

int cli_report_add(cli_report *r, const char *const *values)
{
    if (r->n_rows == r->cap_rows) {
        size_t cap = r->cap_rows ? r->cap_rows * 2 : 16;
        char **cells = realloc(r->cells, cap * r->n_cols * sizeof(char *));
        if (cells == NULL) {
            return -1;
        }
        r->cells = cells;
        r->cap_rows = cap;
    }
    char **row = r->cells + r->n_rows * r->n_cols;
    for (size_t i = 0; i < r->n_cols; i++) {
        row[i] = dup_or_null(values[i]);
        if (values[i] != NULL && row[i] == NULL) {
            for (size_t k = 0; k < i; k++) {
                free(row[k]);
            }
            return -1;
        }
    }
    r->n_rows++;
    return 0;
}

void cli_report_free(cli_report *r)
{
    if (r == NULL) {
        return;
    }
    for (size_t i = 0; i < r->n_rows * r->n_cols; i++) {
        free(r->cells[i]);
    }
    for (size_t i = 0; i < r->n_cols; i++) {
        free(r->cols[i]);
    }
    free(r->cells);
    free(r->cols);
    free(r);
}

static void csv_field(FILE *out, const char *s)
{
    if (s == NULL) {
        return;
    }
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"') {
            fputc('"', out);
        }
        fputc(*s, out);
    }
    fputc('"', out);
}

/* Display width of UTF-8 text: wide East Asian characters count two. */
static size_t width(const char *s)
{
    size_t w = 0;
    for (const unsigned char *c = (const unsigned char *)s; c && *c; c++) {
        if ((*c & 0xC0) == 0x80) {
            continue;
        }
        w += (*c >= 0xE1 && *c <= 0xED) || *c == 0xEF || *c == 0xF0 ? 2 : 1;
    }
    return w;
}

static void write_table(const cli_report *r, FILE *out)
{
    size_t *w = calloc(r->n_cols, sizeof(size_t));
    if (w == NULL) {
        return;
    }
    for (size_t c = 0; c < r->n_cols; c++) {
        w[c] = width(r->cols[c]);
        for (size_t i = 0; i < r->n_rows; i++) {
            size_t cw = width(r->cells[i * r->n_cols + c]);
            w[c] = cw > w[c] ? cw : w[c];
        }
    }
    for (size_t i = 0; i <= r->n_rows; i++) {
        for (size_t c = 0; c < r->n_cols; c++) {
            const char *s = i == 0 ? r->cols[c] : r->cells[(i - 1) * r->n_cols + c];
            s = s ? s : "";
            fprintf(out, "%s%s", c ? "  " : "", s);
            if (c + 1 < r->n_cols) {
                for (size_t k = width(s); k < w[c]; k++) {
                    fputc(' ', out);
                }
            }
        }
        fputc('\n', out);
    }
    free(w);
}

static int write_json(const cli_report *r, FILE *out)
{
    json_t *arr = json_array();
    int rc = 0;
    for (size_t i = 0; arr != NULL && i < r->n_rows; i++) {
        json_t *obj = json_object();
        for (size_t c = 0; obj != NULL && c < r->n_cols; c++) {
            const char *s = r->cells[i * r->n_cols + c];
            json_object_set_new(obj, r->cols[c], s ? json_string(s) : json_null());
        }
        json_array_append_new(arr, obj);
    }
    if (arr == NULL || json_dumpf(arr, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0) {
        rc = -1;
    }
    fputc('\n', out);
    json_decref(arr);
    return rc;
}

int cli_report_write(const cli_report *r, FILE *out, cli_format fmt)
{
    if (fmt == CLI_FMT_JSON) {
        return write_json(r, out);
    }
    if (fmt == CLI_FMT_TABLE) {
        write_table(r, out);
    } else {
        for (size_t i = 0; i <= r->n_rows; i++) {
            for (size_t c = 0; c < r->n_cols; c++) {
                if (c) {
                    fputc(',', out);
                }
                csv_field(out, i == 0 ? r->cols[c] : r->cells[(i - 1) * r->n_cols + c]);
            }
            fputc('\n', out);
        }
    }
    return ferror(out) ? -1 : 0;
}

int cli_format_from_name(const char *name)
{
    if (strcmp(name, "table") == 0) {
        return CLI_FMT_TABLE;
    }
    if (strcmp(name, "csv") == 0) {
        return CLI_FMT_CSV;
    }
    if (strcmp(name, "json") == 0) {
        return CLI_FMT_JSON;
    }
    return -1;
}

cli_format cli_format_default(FILE *out)
{
    return isatty(fileno(out)) ? CLI_FMT_TABLE : CLI_FMT_CSV;
}
