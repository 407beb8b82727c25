/*
 * prng.h -- the seeded generator of the property and simulation tests: splitmix64,
 * so a seed replays the same scenario on every machine.
 */
#ifndef TESTS_PRNG_H
#define TESTS_PRNG_H

#include <stdint.h>

typedef struct {
    uint64_t s;
} prng;

static inline uint64_t next64(prng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* A uniform integer in [lo, hi]. */
static inline int64_t rnd(prng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(next64(r) % (uint64_t)(hi - lo + 1));
}

/* 1 with probability percent / 100. */
static inline int chance(prng *r, int percent)
{
    return rnd(r, 0, 99) < percent;
}

#endif
