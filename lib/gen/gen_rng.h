/* gen_rng.h: the seeded pseudo-random numbers of cdp-gen.
 *
 * xoshiro256** (Blackman and Vigna), seeded through splitmix64. A stream is
 * a plain struct that the caller owns: there is no global state, and the
 * same seed gives the same numbers on every machine. gen_rng_for derives an
 * independent stream from a seed and up to three counters (a file, a
 * person, a session), so that any part of the data can be generated again,
 * in any order, and come out the same. */
#ifndef CDP_GEN_GEN_RNG_H
#define CDP_GEN_GEN_RNG_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

struct gen_rng {
    uint64_t s[4];
};

static inline uint64_t gen_splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* A 64-bit mix of a value (splitmix64's finaliser): a cheap hash. */
static inline uint64_t gen_mix(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static inline void gen_rng_seed(struct gen_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = gen_splitmix(&seed);
}

/* The stream for (seed, a, b, c). */
static inline void gen_rng_for(struct gen_rng *r, uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
    gen_rng_seed(r, gen_mix(gen_mix(gen_mix(seed ^ 0x5EEDULL) ^ a) ^ (b * 0xD6E8FEB86659FD93ULL)) ^
                        (c * 0xA0761D6478BD642FULL));
}

static inline uint64_t gen_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t gen_next(struct gen_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = gen_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = gen_rotl(s[3], 45);
    return result;
}

/* Uniform in [0, n) for n < 2^32 (Lemire's multiply; the bias is below
 * 2^-32 and does not matter here). */
static inline uint32_t gen_below(struct gen_rng *r, uint32_t n)
{
    return (uint32_t)(((gen_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [lo, hi]. */
static inline int64_t gen_range(struct gen_rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)gen_below(r, (uint32_t)(hi - lo + 1));
}

/* Uniform in [0, 1). */
static inline double gen_unit(struct gen_rng *r)
{
    return (double)(gen_next(r) >> 11) * 0x1.0p-53;
}

/* True with probability p. */
static inline bool gen_chance(struct gen_rng *r, double p)
{
    return gen_unit(r) < p;
}

/* A standard normal deviate (Box-Muller, one of the pair). */
static inline double gen_normal(struct gen_rng *r)
{
    double u = gen_unit(r), v = gen_unit(r);
    return sqrt(-2.0 * log(1.0 - u)) * cos(6.283185307179586 * v);
}

#endif
