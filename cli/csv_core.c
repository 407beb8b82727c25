/*
 * csv_core.c -- what every CSV reader shares (see csv_core.h).
 *
 * The file is read in chunks of CHUNK_BYTES and each chunk is cut at its line
 * breaks; every piece goes to libcsv on its own, so while libcsv calls back we
 * always know the physical line being read (libcsv itself counts nothing).
 * on_field copies a row's fields into a scratch buffer (a row with the wrong
 * number of fields must give one error, not one per bad field); on_row hands
 * the row to the reader field by field, which appends it.
 *
 * Memory: every string lives in one arena; the reader interns the columns
 * with few distinct values.  Once the file has an error no more rows or
 * strings are kept: the result is thrown away, and the read goes on only to
 * find the remaining errors.
 *
 * Speed: libcsv's byte loop is the floor, so the rest avoids what showed in
 * profiles -- GMP for the usual money texts (fast_fen accepts them, anything
 * else goes to eng_money_parse, which gives the exact messages), an is_space
 * callback on every byte (has_edge_blank), byte-at-a-time hashing, a cache
 * miss per row id (prefetched in store_field) and 4 KiB page faults on the
 * big arrays (advise_huge).
 */
#include "csv_core.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "limits.h"

#define CHUNK_BYTES (256 * 1024)   /* read() size; also bounds one piece given to libcsv */
#define CSV_GROW 4096              /* libcsv's field buffer grows by this much */
#define ARENA_FIRST (64 * 1024)      /* the arena's first block; each next one doubles */
#define ARENA_BLOCK (8 * 1024 * 1024) /* ... up to this */
#define HUGE_PAGE (2 * 1024 * 1024)
#define INTERN_MAX 65536           /* distinct interned strings; past this, plain copies */
#define SHOW_MAX CLI_CSV_SHOW_MAX  /* bytes of a value quoted in a message */
#define SHOW_BUF CLI_CSV_SHOW_BUF

struct cli_csv_block {
    cli_csv_block *next;
    size_t used;
    size_t size;
    char data[];
};

typedef cli_csv reader;
typedef cli_csv_id_slot id_slot;
typedef cli_csv_str_slot str_slot;

/* ---- errors ---------------------------------------------------------------------------- */

void cli_csv_err(reader *r, uint32_t line, uint32_t column, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cli_errlist_vadd(r->errs, r->name, line, column, fmt, ap);
    va_end(ap);
    r->failed = 1;
}

/* Reports an error after which nothing more of the file is read. */
static void fatal(reader *r, uint32_t line, uint32_t column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void fatal(reader *r, uint32_t line, uint32_t column, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cli_errlist_vadd(r->errs, r->name, line, column, fmt, ap);
    va_end(ap);
    r->failed = 1;
    r->stop = 1;
}

static void out_of_memory(reader *r)
{
    r->oom = 1;
    r->stop = 1;
}

int cli_csv_field_err(reader *r, int c, const char *fmt, ...)
{
    assert(c >= 0 && c < r->spec->n_names && r->col[c] > 0);
    r->failed = 1;
    if (!cli_errlist_keeps(r->errs)) {
        cli_errlist_add(r->errs, r->name, r->row_line, (uint32_t)r->col[c], "%s", "");
        return 0; /* counted only: no message to compose */
    }
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cli_errlist_add(r->errs, r->name, r->row_line, (uint32_t)r->col[c], "%s: %s",
                    r->spec->col_names[c], msg);
    return 0;
}

/* ---- text ------------------------------------------------------------------------------ */

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Length (2-4) of the valid UTF-8 sequence at s[0..n), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t need;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1, cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2, cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3, cp = c & 0x07u;
    } else {
        return 0;
    }
    if (n - 1 < need) {
        return 0;
    }
    for (size_t k = 1; k <= need; k++) {
        if ((s[k] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[k] & 0x3Fu);
    }
    if ((need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (need == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
        return 0;
    }
    return need + 1;
}

/* 1 when text[0..len) is valid UTF-8 (NUL bytes are checked apart). */
int cli_csv_utf8_valid(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        if (s[i] >= 0xE1 && s[i] <= 0xEC && len - i >= 3 && (s[i + 1] & 0xC0) == 0x80 &&
            (s[i + 2] & 0xC0) == 0x80) {
            i += 3; /* the common CJK case; E1..EC have no overlong or surrogate forms */
            continue;
        }
        size_t n = utf8_seq(s + i, len - i);
        if (n == 0) {
            return 0;
        }
        i += n;
    }
    return 1;
}

/* 1 when every byte is printable ASCII (no controls, no spaces count as fine). */
int cli_csv_printable(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20 || c >= 0x7F) {
            return 0;
        }
    }
    return 1;
}

/*
 * Writes up to SHOW_MAX bytes of `text` into `out` (SHOW_BUF bytes) for a
 * message: controls, quotes and backslashes are escaped, and so is every
 * byte >= 0x80 when the text is not UTF-8, so an error stays one printable
 * UTF-8 line; "..." marks a cut.
 */
const char *cli_csv_show(char *out, const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    int utf8 = cli_csv_utf8_valid(text, len); /* else every byte >= 0x80 is shown as \xNN */
    size_t o = 0, i = 0;
    while (i < len && i < SHOW_MAX) {
        unsigned char c = s[i];
        size_t n = c >= 0x80 && utf8 ? utf8_seq(s + i, len - i) : 0;
        if (n > 0) {
            memcpy(out + o, s + i, n);
            o += n, i += n;
            continue;
        }
        if (c == '\n' || c == '\r' || c == '\t' || c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : (char)c;
        } else if (c < 0x20 || c >= 0x7F) {
            static const char hex[] = "0123456789ABCDEF";
            out[o++] = '\\', out[o++] = 'x', out[o++] = hex[c >> 4], out[o++] = hex[c & 15];
        } else {
            out[o++] = (char)c;
        }
        i++;
    }
    if (i < len) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    assert(o < SHOW_BUF);
    out[o] = '\0';
    return out;
}

/*
 * Hashes s[0..n) eight bytes at a time (a multiply per word and MurmurHash3's
 * final mix): byte-at-a-time FNV over every interned field was 7% of a read.
 */
static uint32_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15u ^ n, w;
    while (n >= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDu;
        h ^= h >> 29;
        s += 8, n -= 8;
    }
    w = 0;
    for (size_t i = 0; i < n; i++) {
        w |= (uint64_t)(unsigned char)s[i] << (8 * i);
    }
    h ^= w;
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDu;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53u;
    h ^= h >> 33;
    return (uint32_t)h;
}

/* ---- arena, interning, row ids --------------------------------------------------------- */

/*
 * Asks for transparent huge pages on the 2 MiB pages inside p[0..n).  The
 * big tables of a million-row file (rows, strings, row ids) are touched once
 * each or at random; with 4 KiB pages their page faults and TLB misses cost
 * as much as the parsing.  Only a hint: when it fails nothing changes.
 */
static void advise_huge(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
    uintptr_t lo = ((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
    uintptr_t hi = ((uintptr_t)p + n) & ~(uintptr_t)(HUGE_PAGE - 1);
    if (hi > lo) {
        (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
    }
#else
    (void)p, (void)n;
#endif
}

/*
 * Adds an arena block for at least `need` bytes; NULL when out of memory.
 * Blocks double from ARENA_FIRST (a small file stays small) to ARENA_BLOCK;
 * a string longer than a quarter block gets a block of its own.
 */
static cli_csv_block *arena_grow(reader *r, size_t need)
{
    size_t total = r->arena_next;
    int big = need > (total - sizeof(cli_csv_block)) / 4;
    cli_csv_block *b;

    assert(total >= ARENA_FIRST && total <= ARENA_BLOCK);
    if (big) {
        total = sizeof(*b) + need;
        b = malloc(total);
    } else if (total == ARENA_BLOCK) {
        b = aligned_alloc(HUGE_PAGE, total); /* every 2 MiB page of it can be huge */
    } else {
        b = malloc(total);
        r->arena_next = total * 2;
    }
    if (b == NULL) {
        out_of_memory(r);
        return NULL;
    }
    advise_huge(b, total); /* before the first write, which would map a small page */
    b->size = total - sizeof(*b);
    b->used = 0;
    if (big && r->blocks != NULL) {
        b->next = r->blocks->next; /* the head block keeps filling */
        r->blocks->next = b;
    } else {
        b->next = r->blocks;
        r->blocks = b;
    }
    assert(b->size >= need);
    return b;
}

/* Copies s[0..n) and a NUL into the arena; NULL when out of memory. */
const char *cli_csv_copy(reader *r, const char *s, size_t n)
{
    cli_csv_block *b = r->blocks;
    if (b == NULL || b->size - b->used < n + 1) {
        if ((b = arena_grow(r, n + 1)) == NULL) {
            return NULL;
        }
    }
    char *p = b->data + b->used;
    memcpy(p, s, n);
    p[n] = '\0';
    b->used += n + 1;
    assert(b->used <= b->size);
    return p;
}

/* Doubles the interning table (or makes it); 0, or -1 when out of memory. */
static int strs_grow(reader *r)
{
    size_t cap = r->strs_cap ? r->strs_cap * 2 : 256;
    str_slot *t = calloc(cap, sizeof(*t));
    if (t == NULL) {
        return -1;
    }
    for (size_t i = 0; i < r->strs_cap; i++) {
        if (r->strs[i].text != NULL) {
            size_t j = r->strs[i].hash & (cap - 1);
            while (t[j].text != NULL) {
                j = (j + 1) & (cap - 1);
            }
            t[j] = r->strs[i];
        }
    }
    free(r->strs);
    r->strs = t;
    r->strs_cap = cap;
    return 0;
}

/* The arena copy of s[0..n), shared with every equal value interned before. */
const char *cli_csv_intern(reader *r, const char *s, size_t n)
{
    if (r->strs_n >= INTERN_MAX) {
        return cli_csv_copy(r, s, n); /* a high-variety column: sharing would not pay */
    }
    if (r->strs_n * 2 >= r->strs_cap && strs_grow(r) != 0) {
        out_of_memory(r);
        return NULL;
    }
    uint32_t h = hash_bytes(s, n);
    size_t mask = r->strs_cap - 1, j = h & mask;
    while (r->strs[j].text != NULL) {
        const str_slot *e = &r->strs[j];
        if (e->hash == h && e->len == n && memcmp(e->text, s, n) == 0) {
            return e->text;
        }
        j = (j + 1) & mask;
    }
    const char *p = cli_csv_copy(r, s, n);
    if (p != NULL) {
        r->strs[j] = (str_slot){p, h, (uint32_t)n};
        r->strs_n++;
    }
    return p;
}

static int ids_grow(reader *r)
{
    size_t cap = r->ids_cap ? r->ids_cap * 2 : 1024;
    id_slot *t = calloc(cap, sizeof(*t));
    if (t == NULL) {
        return -1;
    }
    advise_huge(t, cap * sizeof(*t));
    for (size_t i = 0; i < r->ids_cap; i++) {
        if (r->ids[i].text != NULL) {
            size_t j = r->ids[i].hash & (cap - 1);
            while (t[j].text != NULL) {
                j = (j + 1) & (cap - 1);
            }
            t[j] = r->ids[i];
        }
    }
    free(r->ids);
    r->ids = t;
    r->ids_cap = cap;
    return 0;
}

/* Records a row id (see csv_core.h). */
const char *cli_csv_id_record(reader *r, const char *s, size_t n, uint32_t line,
                              uint32_t *first)
{
    assert(n >= 1 && n <= ENG_ID_MAX);
    *first = 0;
    if (r->ids_n * 2 >= r->ids_cap && ids_grow(r) != 0) {
        out_of_memory(r);
        return NULL;
    }
    uint32_t h = hash_bytes(s, n);
    size_t mask = r->ids_cap - 1, j = h & mask;
    while (r->ids[j].text != NULL) {
        const id_slot *e = &r->ids[j];
        if (e->hash == h && memcmp(e->text, s, n) == 0 && e->text[n] == '\0') {
            *first = e->line;
            return e->text;
        }
        j = (j + 1) & mask;
    }
    const char *p = cli_csv_copy(r, s, n);
    if (p != NULL) {
        r->ids[j] = (id_slot){p, h, line};
        r->ids_n++;
    }
    return p;
}

/* ---- numbers --------------------------------------------------------------------------- */

/*
 * The common money text `D{1,15}` or `D{1,15}.D{1,15}` that is whole fen:
 * sets `*out` and returns 1.  Returns 0 for anything else, which then goes
 * to eng_money_parse; every text accepted here it accepts with this value
 * (at most 30 digits, below ENG_FEN_MAX).
 */
static int fast_fen(eng_fen *out, const char *t, size_t n)
{
    size_t i = 0;
    int64_t whole = 0, cents = 0;
    while (i < n && i < 16 && is_digit(t[i])) {
        whole = whole * 10 + (t[i] - '0');
        i++;
    }
    if (i == 0 || i > 15) {
        return 0;
    }
    if (i < n) {
        size_t from = i + 1;
        if (t[i] != '.' || n == from || n - from > 15) {
            return 0;
        }
        for (size_t k = from; k < n; k++) {
            if (!is_digit(t[k]) || (k - from >= 2 && t[k] != '0')) {
                return 0;
            }
            if (k - from < 2) {
                cents = cents * 10 + (t[k] - '0');
            }
        }
        if (n - from == 1) {
            cents *= 10;
        }
    }
    *out = whole * 100 + cents;
    assert(*out >= 0 && *out < ENG_FEN_MAX);
    return 1;
}

/* Checks a money field; `positive` asks > 0, else >= 0.  Returns 1 when good. */
int cli_csv_money(reader *r, int c, const char *t, size_t n, int positive, eng_fen *out)
{
    char shown[SHOW_BUF];
    if (!fast_fen(out, t, n)) {
        eng_error e;
        if (!cli_csv_printable(t, n)) {
            return cli_csv_field_err(r, c, "invalid number \"%s\": expected a decimal",
                                     cli_csv_show(shown, t, n));
        }
        eng_error_clear(&e);
        if (eng_money_parse(out, t, n, &e) != ENG_OK) {
            return cli_csv_field_err(r, c, "%s", e.message);
        }
    }
    if (positive && *out <= 0) {
        return cli_csv_field_err(r, c, "must be greater than 0, found \"%s\"",
                                 cli_csv_show(shown, t, n));
    }
    if (*out < 0) {
        return cli_csv_field_err(r, c, "an amount cannot be negative, found \"%s\"",
                                 cli_csv_show(shown, t, n));
    }
    return 1;
}

int cli_csv_date(reader *r, int c, const char *t, size_t n, eng_date *out)
{
    char shown[SHOW_BUF];
    eng_error e; /* not cleared: on failure eng_date_parse sets the message we read */
    if (!cli_csv_printable(t, n)) {
        return cli_csv_field_err(r, c, "invalid date \"%s\": expected YYYY-MM-DD",
                                 cli_csv_show(shown, t, n));
    }
    if (eng_date_parse(out, t, n, &e) != ENG_OK) {
        return cli_csv_field_err(r, c, "%s", e.message);
    }
    return 1;
}

/* ---- rows ------------------------------------------------------------------------------ */

void cli_csv_append(reader *r, const void *row)
{
    size_t size = r->spec->row_size;
    assert(!r->failed && r->n_rows <= r->rows_cap);
    if (r->n_rows == r->rows_cap) {
        size_t cap = r->rows_cap ? r->rows_cap * 2 : 1024;
        void *rows = NULL;
        if (r->rows_cap == 0 && r->rows_hint > cap) {
            /* Room for every row the file can hold, at once: untouched pages cost
             * nothing, and the array never moves (a move would split its huge pages). */
            rows = malloc(r->rows_hint * size);
            cap = rows != NULL ? r->rows_hint : cap;
        }
        if (rows == NULL) {
            rows = realloc(r->rows, cap * size);
        }
        if (rows == NULL) {
            out_of_memory(r);
            return;
        }
        r->rows = rows;
        r->rows_cap = cap;
        advise_huge(rows, cap * size);
    }
    memcpy((char *)r->rows + r->n_rows * size, row, size);
    r->n_rows++;
}

/* The current row has ended: hand its fields to the reader, which keeps it. */
static void row_done(reader *r)
{
    const cli_csv_spec *sp = r->spec;
    int ok = 1;

    assert(!r->in_header && r->n_cols > 0);
    if (++r->rows_seen > (uint64_t)sp->rows_max) {
        fatal(r, r->row_line, 0, "more than %d %s in one file", sp->rows_max, sp->rows_noun);
        return;
    }
    if (r->nf != (uint64_t)r->n_cols) {
        /* About the row, not one field: named by the id column (DESIGN 10). */
        cli_csv_err(r, r->row_line, (uint32_t)r->col[sp->id_col],
                    "expected %d fields, found %llu", r->n_cols, (unsigned long long)r->nf);
        return;
    }
    sp->row_begin(r, r->ctx);
    for (int k = 0; k < r->n_cols && !r->oom; k++) {
        int c = r->col_at[k];
        const char *t = r->scratch + r->f[k].off;
        char shown[SHOW_BUF];
        if (r->bad_enc[k]) {
            ok = cli_csv_field_err(r, c, "invalid GBK text \"%s\"",
                                   cli_csv_show(shown, t, r->f[k].len));
            continue;
        }
        ok &= sp->field(r, r->ctx, c, t, r->f[k].len);
    }
    sp->row_end(r, r->ctx, ok);
}

/* ---- the header ------------------------------------------------------------------------ */

static int col_lookup(const cli_csv_spec *sp, const char *name, size_t len)
{
    for (int c = 0; c < sp->n_names; c++) {
        const char *col = sp->col_names[c];
        if (strlen(col) == len && memcmp(col, name, len) == 0) {
            return c;
        }
    }
    return -1;
}

/* Edit distance of a[0..n) and b[0..m) (both at most 64 bytes), by rows. */
static size_t edit_distance(const char *a, size_t n, const char *b, size_t m)
{
    size_t prev[65], cur[65];
    assert(n <= 64 && m <= 64);
    for (size_t j = 0; j <= m; j++) {
        prev[j] = j;
    }
    for (size_t i = 1; i <= n; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t sub = prev[j - 1] + ((a[i - 1] | 0x20) != (b[j - 1] | 0x20));
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, (m + 1) * sizeof(prev[0]));
    }
    return prev[m];
}

/*
 * The column `name` probably meant, or -1: the same name in another case or
 * with blanks around it, or one at most two typing slips away.
 */
static int col_guess(const cli_csv_spec *sp, const char *name, size_t len)
{
    int best = -1;
    size_t best_d = 3;
    while (len > 0 && (*name == ' ' || *name == '\t')) {
        name++, len--;
    }
    while (len > 0 && (name[len - 1] == ' ' || name[len - 1] == '\t')) {
        len--;
    }
    if (len < 4 || len > 64) {
        return -1;
    }
    for (int c = 0; c < sp->n_names; c++) {
        const char *col = sp->col_names[c];
        size_t d = edit_distance(name, len, col, strlen(col));
        if (d < best_d) {
            best = c;
            best_d = d;
        }
    }
    return best;
}

static void header_field(reader *r, const char *name, size_t len)
{
    char shown[SHOW_BUF], hint[64] = "";
    uint64_t k = r->nf;

    assert(r->in_header);
    if (k >= CLI_CSV_COLUMNS_MAX) {
        fatal(r, r->row_line, (uint32_t)k + 1, "more than %d columns", CLI_CSV_COLUMNS_MAX);
        return;
    }
    const char *const *names = r->spec->col_names;
    int c = col_lookup(r->spec, name, len);
    r->col_at[k] = -1;
    if (c < 0) {
        int guess = col_guess(r->spec, name, len);
        if (guess >= 0) {
            snprintf(hint, sizeof(hint), " (did you mean \"%s\"?)", names[guess]);
        }
        cli_csv_err(r, r->row_line, (uint32_t)k + 1, "unknown column \"%s\"%s",
                    cli_csv_show(shown, name, len), hint);
        r->header_bad = 1;
    } else if (r->col[c] != 0) {
        cli_csv_err(r, r->row_line, (uint32_t)k + 1, "duplicate column \"%s\" (also column %d)",
                    names[c], r->col[c]);
        r->header_bad = 1;
    } else {
        r->col[c] = (int)k + 1;
        r->col_at[k] = (int8_t)c;
    }
}

static void header_done(reader *r)
{
    assert(r->in_header && r->nf > 0 && r->nf <= CLI_CSV_COLUMNS_MAX);
    r->n_cols = (int)r->nf;
    for (int c = 0; c < r->spec->n_names; c++) {
        if (r->col[c] == 0 && !(r->spec->optional & (1u << c))) {
            cli_csv_err(r, r->row_line, 0, "missing required column \"%s\"",
                        r->spec->col_names[c]);
            r->header_bad = 1;
        }
    }
    /* Rows read under a broken header would only give misleading errors. */
    r->stop = r->header_bad;
    r->in_header = 0;
}

/* ---- libcsv callbacks ------------------------------------------------------------------ */

/* Converts a GBK field to UTF-8 into out[0..cap); 0, or -1 on a bad byte. */
static int gbk_to_utf8(reader *r, const char *in, size_t len, char *out, size_t cap,
                       size_t *out_len)
{
    char *ip = (char *)in, *op = out;
    size_t il = len, ol = cap;
    iconv(r->cd, NULL, NULL, NULL, NULL);
    if (iconv(r->cd, &ip, &il, &op, &ol) == (size_t)-1 || il != 0) {
        return -1;
    }
    *out_len = cap - ol;
    assert(*out_len <= cap);
    return 0;
}

static int has_high_byte(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] >= 0x80) {
            return 1;
        }
    }
    return 0;
}

/* Copies field `k` of the current row into the scratch buffer (from GBK if need be). */
static void store_field(reader *r, size_t k, const char *data, size_t len)
{
    int convert = r->cd != (iconv_t)-1 && has_high_byte(data, len);
    size_t need = convert ? len * 2 + 4 : len; /* GBK to UTF-8 grows at most 3/2 */

    assert(k < (size_t)r->n_cols && len <= CLI_CSV_FIELD_MAX);
    /* `need + 1`: an empty first field still gets a buffer, so `dst` below is never an
       offset from NULL (undefined behaviour, found by the fuzzer). */
    if (r->scratch_cap - r->scratch_len < need + 1) {
        size_t cap = (r->scratch_len + need + 1) * 2;
        char *s = realloc(r->scratch, cap);
        if (s == NULL) {
            out_of_memory(r);
            return;
        }
        r->scratch = s;
        r->scratch_cap = cap;
    }
    char *dst = r->scratch + r->scratch_len;
    size_t out_len = len;
    r->bad_enc[k] = 0;
    if (convert && gbk_to_utf8(r, data, len, dst, need, &out_len) != 0) {
        r->bad_enc[k] = 1;
        out_len = len;
        convert = 0;
    }
    if (!convert && len > 0) {
        memcpy(dst, data, len);
    }
    r->f[k].off = (uint32_t)r->scratch_len;
    r->f[k].len = (uint32_t)out_len;
    r->scratch_len += out_len;
    if (r->col_at[k] == r->spec->id_col && r->ids_cap > 0) {
        /* The id table is far bigger than the caches: fetch the slot while libcsv
         * reads the rest of the row (cli_csv_id_record probes it at the row's end). */
        __builtin_prefetch(&r->ids[hash_bytes(dst, out_len) & (r->ids_cap - 1)]);
    }
}

static void on_field(void *data, size_t len, void *ctx)
{
    reader *r = ctx;
    if (r->stop) {
        return;
    }
    if (len > CLI_CSV_FIELD_MAX) {
        fatal(r, r->field_line, (uint32_t)(r->nf + 1), "field longer than %d bytes",
              CLI_CSV_FIELD_MAX);
        return;
    }
    if (r->in_header) {
        header_field(r, data, len);
    } else if (r->nf < (uint64_t)r->n_cols) {
        store_field(r, (size_t)r->nf, data, len);
    }
    r->nf++;
    r->field_line = r->line; /* the next field starts after this field's comma */
}

static void on_row(int terminator, void *ctx)
{
    reader *r = ctx;
    (void)terminator;
    if (r->stop) {
        return;
    }
    r->at_row_start = 1;
    if (r->nf == 0) {
        return; /* a blank line */
    }
    if (r->in_header) {
        header_done(r);
    } else {
        row_done(r);
    }
    r->nf = 0;
    r->scratch_len = 0;
}

/*
 * Spaces are data (RFC 4180): libcsv must neither skip the blanks before a
 * field nor trim those after it, nor accept them after a closing quote.  This
 * is_space function gives that, but an indirect call per byte makes libcsv
 * 40% slower, so feed() uses it only on pieces where it matters (see
 * has_edge_blank); elsewhere libcsv's built-in rules give the same result.
 */
static int never_space(unsigned char c)
{
    (void)c;
    return 0;
}

static int is_edge(char c)
{
    return c == ',' || c == '"' || c == '\r' || c == '\n';
}

/*
 * 1 when p[0..n) has a tab, or a space next to a comma, quote or line break
 * or at either end: only there can libcsv's built-in blank rules differ from
 * never_space.  Erring towards 1 costs only speed.
 */
static int has_edge_blank(const char *p, size_t n)
{
    if (n == 0 || memchr(p, '\t', n) != NULL) {
        return n != 0;
    }
    const char *end = p + n, *q = p;
    while ((q = memchr(q, ' ', (size_t)(end - q))) != NULL) {
        if (q == p || q + 1 == end || is_edge(q[-1]) || is_edge(q[1])) {
            return 1;
        }
        q++;
    }
    return 0;
}

/* ---- feeding libcsv -------------------------------------------------------------------- */

/*
 * Gives p[0..n), which holds at most one line break, at its end, to libcsv.
 * A line longer than CLI_CSV_LINE_MAX is parsed up to the bound, so the error
 * names the field where the bound is passed, and stops the read.
 */
static void feed(reader *r, const char *p, size_t n)
{
    size_t body = n;
    int too_long = 0;

    while (body > 0 && (p[body - 1] == '\n' || p[body - 1] == '\r')) {
        body--;
    }
    assert(r->line_bytes <= CLI_CSV_LINE_MAX);
    if (body > CLI_CSV_LINE_MAX - r->line_bytes) {
        n = CLI_CSV_LINE_MAX - r->line_bytes;
        too_long = 1;
    }
    r->line_bytes += too_long ? n : body;
    if (r->at_row_start) {
        r->row_line = r->field_line = r->line;
        r->at_row_start = 0;
    }
    csv_set_space_func(&r->csv, has_edge_blank(p, n) ? never_space : NULL);
    size_t done = csv_parse(&r->csv, p, n, on_field, on_row, r);
    if (r->stop) {
        return;
    }
    if (too_long && done == n) {
        fatal(r, r->line, (uint32_t)(r->nf + 1), "line longer than %d bytes",
              CLI_CSV_LINE_MAX);
        return;
    }
    if (done < n && csv_error(&r->csv) == CSV_EPARSE) {
        fatal(r, r->line, (uint32_t)(r->nf + 1), "%s",
              p[done] == '"' ? "a quote inside an unquoted field (quote the whole field and "
                               "double the quote)"
                             : "text after a closing quote (double a quote inside a quoted field)");
    } else if (done < n) {
        out_of_memory(r);
    } else if (csv_get_buffer_size(&r->csv) > CLI_CSV_FIELD_MAX + CSV_GROW) {
        /* A field still open and already too long: most likely a missing closing quote. */
        fatal(r, r->field_line, (uint32_t)(r->nf + 1),
              "field longer than %d bytes (is a closing quote missing?)", CLI_CSV_FIELD_MAX);
    }
}

static const char *find_byte(const char *p, size_t from, size_t n, char c)
{
    const char *q = memchr(p + from, c, n - from);
    return q != NULL ? q : p + n;
}

/* Cuts p[0..n) after each line break (LF, CRLF, lone CR) and feeds the pieces. */
static void feed_chunk(reader *r, const char *p, size_t n)
{
    const char *lf = NULL, *cr = NULL; /* the next LF and CR at or after i, or p + n */
    size_t i = 0;

    if (r->cr_pending && n > 0 && p[0] == '\n') {
        feed(r, p, 1); /* the LF of a CRLF cut by the chunk boundary: same line */
        i = 1;
    }
    r->cr_pending = 0;
    while (i < n && !r->stop) {
        if (lf == NULL || lf < p + i) {
            lf = find_byte(p, i, n, '\n');
        }
        if (cr == NULL || cr < p + i) {
            cr = find_byte(p, i, n, '\r');
        }
        const char *brk = lf < cr ? lf : cr;
        if (brk == p + n) {
            feed(r, p + i, n - i);
            break;
        }
        size_t end = (size_t)(brk - p) + 1;
        if (*brk == '\r' && end < n && p[end] == '\n') {
            end++;
        } else if (*brk == '\r' && end == n) {
            r->cr_pending = 1;
        }
        feed(r, p + i, end - i);
        r->line++;
        r->line_bytes = 0;
        i = end;
    }
}

/* Checks the first bytes of the file; returns how many to skip (a UTF-8 BOM). */
static size_t check_bom(reader *r, const unsigned char *p, size_t n)
{
    int bom = n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF;
    if (n >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF))) {
        fatal(r, 1, 0, "the file is UTF-16: save it as CSV in UTF-8 (or GBK)");
        return 0;
    }
    if (bom && r->cd != (iconv_t)-1) {
        fatal(r, 1, 0, "the file starts with a UTF-8 byte order mark: it is UTF-8, not GBK "
              "(leave out --encoding gbk)");
        return 0;
    }
    return bom ? 3 : 0;
}

/* Reads `f` to its end (or to a fatal error) through libcsv. */
static void read_all(reader *r, FILE *f)
{
    char *buf = malloc(CHUNK_BYTES);
    long long total = 0;
    int first = 1;

    if (buf == NULL) {
        out_of_memory(r);
        return;
    }
    while (!r->stop) {
        size_t n = fread(buf, 1, CHUNK_BYTES, f);
        if (n == 0) {
            break;
        }
        total += (long long)n;
        if (total > CLI_CSV_BYTES_MAX) {
            fatal(r, 0, 0, "file larger than %lld bytes", CLI_CSV_BYTES_MAX);
            break;
        }
        size_t skip = first ? check_bom(r, (const unsigned char *)buf, n) : 0;
        first = 0;
        if (!r->stop) {
            feed_chunk(r, buf + skip, n - skip);
        }
    }
    if (!r->stop && ferror(f)) {
        fatal(r, 0, 0, "cannot read: %s", strerror(errno));
    }
    free(buf);
    if (r->stop) {
        return;
    }
    if (csv_fini(&r->csv, on_field, on_row, r) != 0) {
        fatal(r, r->field_line, (uint32_t)(r->nf + 1),
              "unterminated quoted field (the closing quote is missing)");
    } else if (r->in_header && !r->stop) {
        fatal(r, 1, 0, "missing header row (the file is empty)");
    }
}

/* ---- the reader ------------------------------------------------------------------------ */

static eng_status reader_init(reader *r, const cli_csv_spec *spec, void *ctx, const char *path,
                              const char *encoding, cli_errlist *errs)
{
    assert(spec->n_names >= 1 && spec->n_names <= CLI_CSV_NAMES_MAX);
    assert(spec->id_col >= 0 && spec->id_col < spec->n_names && spec->row_size > 0);
    memset(r, 0, sizeof(*r));
    r->spec = spec;
    r->ctx = ctx;
    r->name = path;
    r->errs = errs;
    r->cd = (iconv_t)-1;
    r->line = 1;
    r->at_row_start = 1;
    r->in_header = 1;
    r->arena_next = ARENA_FIRST;
    if (encoding != NULL && strcasecmp(encoding, "gbk") == 0) {
        r->cd = iconv_open("UTF-8", "GBK");
        if (r->cd == (iconv_t)-1) {
            cli_errlist_add(errs, path, 0, 0, "cannot convert from GBK: %s", strerror(errno));
            return ENG_ERROR;
        }
    } else if (encoding != NULL && strcasecmp(encoding, "utf-8") != 0 &&
               strcasecmp(encoding, "utf8") != 0) {
        cli_errlist_add(errs, NULL, 0, 0, "unknown encoding \"%.40s\" (expected utf-8 or gbk)",
                        encoding);
        return ENG_EUSAGE;
    }
    if (csv_init(&r->csv, CSV_STRICT | CSV_REPALL_NL | CSV_STRICT_FINI) != 0) {
        if (r->cd != (iconv_t)-1) {
            iconv_close(r->cd);
        }
        return ENG_ERROR;
    }
    csv_set_blk_size(&r->csv, CSV_GROW);
    return ENG_OK;
}

/* Frees everything `r` still owns (what was handed to the caller is NULL here). */
static void reader_free(reader *r)
{
    cli_csv_blocks_free(r->blocks);
    free(r->rows);
    free(r->ids);
    free(r->strs);
    free(r->scratch);
    csv_free(&r->csv);
    if (r->cd != (iconv_t)-1) {
        iconv_close(r->cd);
    }
}

/* Opens `path` for reading, or reports why not; NULL then. */
static FILE *open_input(reader *r, const char *path)
{
    struct stat st;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        cli_csv_err(r, 0, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    int known = fstat(fileno(f), &st) == 0;
    if (known && S_ISDIR(st.st_mode)) {
        cli_csv_err(r, 0, 0, "cannot read: %s", strerror(EISDIR));
    } else if (known && S_ISREG(st.st_mode) && (long long)st.st_size > CLI_CSV_BYTES_MAX) {
        cli_csv_err(r, 0, 0, "file larger than %lld bytes", CLI_CSV_BYTES_MAX);
    } else {
        if (known && S_ISREG(st.st_mode)) {
            size_t most = (size_t)st.st_size / r->spec->row_bytes_min + 1;
            size_t max = (size_t)r->spec->rows_max;
            r->rows_hint = most < max ? most : max;
        }
        return f;
    }
    fclose(f);
    return NULL;
}

eng_status cli_csv_read(const cli_csv_spec *spec, void *ctx, const char *path,
                        const char *encoding, cli_errlist *errs, cli_csv_result *res)
{
    reader r;
    eng_status rc;

    assert(spec != NULL && path != NULL && errs != NULL && res != NULL);
    memset(res, 0, sizeof(*res));
    if ((rc = reader_init(&r, spec, ctx, path, encoding, errs)) != ENG_OK) {
        return rc;
    }
    FILE *f = open_input(&r, path);
    if (f != NULL) {
        read_all(&r, f);
        fclose(f);
    }
    if (r.oom) {
        cli_errlist_add(errs, path, 0, 0, "out of memory");
        rc = ENG_ERROR;
    } else {
        rc = r.failed ? ENG_EPARSE : ENG_OK;
    }
    if (rc == ENG_OK) {
        assert(!r.in_header && r.n_rows == r.rows_seen);
        if (r.n_rows > 0 && r.n_rows < r.rows_cap) {
            void *fit = realloc(r.rows, r.n_rows * spec->row_size);
            r.rows = fit != NULL ? fit : r.rows; /* a failed shrink keeps the bigger array */
        }
        res->rows = r.n_rows > 0 ? r.rows : NULL;
        res->n_rows = r.n_rows;
        memcpy(res->col, r.col, sizeof(res->col));
        res->n_cols = r.n_cols;
        res->blocks = r.blocks;
        if (r.n_rows > 0) {
            r.rows = NULL;
        }
        r.blocks = NULL;
    }
    reader_free(&r);
    return rc;
}

void cli_csv_blocks_free(cli_csv_block *b)
{
    while (b != NULL) {
        cli_csv_block *next = b->next;
        free(b);
        b = next;
    }
}
