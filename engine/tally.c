/* tally.c -- open-addressing hash map of string keys to two int64 sums. */
#include "tally.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t hash;   /* 0: empty slot */
    char *key;
    size_t len;
    int64_t sum[2];
} slot;

typedef struct key_block key_block;
struct key_block {
    key_block *next;
    size_t used, size;
    char data[];
};

struct eng_tally {
    slot *slots;
    size_t cap;      /* a power of two */
    size_t count;
    key_block *keys; /* every key's bytes, freed at once */
};

/* Copies a key into the tally's key arena; NULL when out of memory. */
static char *keep_key(eng_tally *t, const char *key, size_t len)
{
    key_block *b = t->keys;
    if (b == NULL || b->size - b->used < len + 1) {
        size_t size = len + 1 > 65536 ? len + 1 : 65536;
        b = malloc(sizeof(key_block) + size);
        if (b == NULL) {
            return NULL;
        }
        b->next = t->keys;
        b->used = 0;
        b->size = size;
        t->keys = b;
    }
    char *p = b->data + b->used;
    memcpy(p, key, len);
    p[len] = '\0';
    b->used += len + 1;
    return p;
}

/* FNV-1a, never 0 (0 marks an empty slot). */
static uint64_t hash_of(const char *key, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 1099511628211ULL;
    }
    return h ? h : 1;
}

eng_tally *eng_tally_new(void)
{
    eng_tally *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        return NULL;
    }
    t->cap = 64;
    t->slots = calloc(t->cap, sizeof(slot));
    if (t->slots == NULL) {
        free(t);
        return NULL;
    }
    return t;
}

void eng_tally_free(eng_tally *t)
{
    if (t == NULL) {
        return;
    }
    key_block *b = t->keys;
    while (b != NULL) {
        key_block *next = b->next;
        free(b);
        b = next;
    }
    free(t->slots);
    free(t);
}

static slot *find(const eng_tally *t, uint64_t h, const char *key, size_t len)
{
    size_t mask = t->cap - 1;
    for (size_t i = h & mask, probes = 0; probes < t->cap; i = (i + 1) & mask, probes++) {
        slot *s = &t->slots[i];
        if (s->hash == 0 || (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0)) {
            return s;
        }
    }
    assert(0 && "tally never fills up");
    return NULL;
}

static int grow(eng_tally *t)
{
    size_t cap = t->cap * 2;
    slot *old = t->slots;
    size_t old_cap = t->cap;
    slot *fresh = calloc(cap, sizeof(slot));
    if (fresh == NULL) {
        return -1;
    }
    t->slots = fresh;
    t->cap = cap;
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i].hash != 0) {
            *find(t, old[i].hash, old[i].key, old[i].len) = old[i];
        }
    }
    free(old);
    return 0;
}

int64_t *eng_tally_ref(eng_tally *t, const char *key, size_t len)
{
    if ((t->count + 1) * 4 > t->cap * 3 && grow(t) != 0) {
        return NULL;
    }
    uint64_t h = hash_of(key, len);
    slot *s = find(t, h, key, len);
    if (s->hash == 0) {
        s->key = keep_key(t, key, len);
        if (s->key == NULL) {
            return NULL;
        }
        s->len = len;
        s->hash = h;
        s->sum[0] = s->sum[1] = 0;
        t->count++;
    }
    return s->sum;
}

eng_status eng_tally_add(eng_tally *t, const char *key, size_t len, int64_t a, int64_t b)
{
    int64_t *sums = eng_tally_ref(t, key, len);
    int64_t na, nb;
    if (sums == NULL) {
        return ENG_ERROR;
    }
    if (__builtin_add_overflow(sums[0], a, &na) || __builtin_add_overflow(sums[1], b, &nb)) {
        return ENG_ELIMIT;
    }
    sums[0] = na;
    sums[1] = nb;
    return ENG_OK;
}

int eng_tally_get(const eng_tally *t, const char *key, size_t len, int64_t *a, int64_t *b)
{
    const slot *s = find(t, hash_of(key, len), key, len);
    *a = s->hash ? s->sum[0] : 0;
    *b = s->hash ? s->sum[1] : 0;
    return s->hash != 0;
}

size_t eng_tally_count(const eng_tally *t)
{
    return t->count;
}
