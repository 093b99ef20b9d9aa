/* test_sort: the radix sorts give the array qsort gives, on random numbers
 * full of ties, zeros of both signs, infinities and subnormals; NaN at the
 * ends; stable ranks with their input positions. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "../check.h"
#include "base/sort.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t next_random(void)
{
    /* xorshift64*: the same numbers on every machine */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

/* A number as the population's figures are: mostly small counts and day
 * numbers (ties), amounts, and the odd values a sort gets wrong first. */
static double random_number(void)
{
    static const double odd[] = { 0.0, -0.0, 1.0, -1.0, INFINITY, -INFINITY, DBL_MAX,
                                  -DBL_MAX, DBL_MIN, -DBL_MIN, 4.9e-324, -4.9e-324,
                                  0.1, 1e15, -1e-300 };
    uint64_t r = next_random();
    switch (r % 5) {
    case 0:
        return (double)(r >> 8 & 31); /* order counts: ties everywhere */
    case 1:
        return (double)(r >> 8 & 2047) - 30; /* days, some negative */
    case 2:
        return (double)(int64_t)(r >> 8 & 0xFFFFFFF) / 100.0 - 10000; /* amounts */
    case 3:
        return odd[(r >> 8) % (sizeof odd / sizeof *odd)];
    default: {
        double x; /* any bits but NaN */
        uint64_t u = next_random();
        memcpy(&x, &u, sizeof x);
        return isnan(x) ? 2.0 : x;
    }
    }
}

/* The order sort.h promises: < and >, then -0 before +0. */
static int cmp_total(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    if (x != y)
        return x < y ? -1 : 1;
    return (signbit(y) != 0) - (signbit(x) != 0);
}

/* The comparison population.c gave qsort before. */
static int cmp_plain(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void doubles_as_qsort(void)
{
    static const size_t sizes[] = { 0, 1, 2, 3, 17, 1000, 70000 };
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        size_t n = sizes[s];
        double *got = malloc((n + 1) * sizeof *got), *want = malloc((n + 1) * sizeof *want);
        double *plain = malloc((n + 1) * sizeof *plain);
        for (size_t i = 0; i < n; i++)
            got[i] = want[i] = plain[i] = random_number();
        cdp_sort_doubles(got, n);
        qsort(want, n, sizeof *want, cmp_total);
        qsort(plain, n, sizeof *plain, cmp_plain);
        size_t bits_differ = 0, values_differ = 0;
        for (size_t i = 0; i < n; i++) {
            bits_differ += memcmp(&got[i], &want[i], sizeof *got) != 0;
            values_differ += !(got[i] == plain[i]);
        }
        CHECK(bits_differ == 0);
        CHECK(values_differ == 0);
        free(got);
        free(want);
        free(plain);
    }
    /* the zeros: -0 first, whatever their input order */
    double z[] = { 0.0, -0.0, 0.0, -0.0 };
    cdp_sort_doubles(z, 4);
    CHECK(signbit(z[0]) && signbit(z[1]) && !signbit(z[2]) && !signbit(z[3]));
}

/* NaN, which qsort's comparison cannot place, goes to the ends: after +Inf,
 * or before -Inf with its sign bit set; the numbers between in order. */
static void nan_at_the_ends(void)
{
    size_t n = 5000, nan_high = 0, nan_low = 0;
    double *v = malloc(n * sizeof *v), *numbers = malloc(n * sizeof *numbers);
    size_t nn = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t r = next_random() % 10;
        v[i] = r == 0 ? NAN : r == 1 ? -NAN : random_number();
        if (r == 0)
            nan_high++;
        else if (r == 1)
            nan_low++;
        else
            numbers[nn++] = v[i];
    }
    cdp_sort_doubles(v, n);
    qsort(numbers, nn, sizeof *numbers, cmp_total);
    size_t wrong = 0;
    for (size_t i = 0; i < n; i++) {
        if (i < nan_low)
            wrong += !(isnan(v[i]) && signbit(v[i]));
        else if (i >= n - nan_high)
            wrong += !(isnan(v[i]) && !signbit(v[i]));
        else
            wrong += memcmp(&v[i], &numbers[i - nan_low], sizeof *v) != 0;
    }
    CHECK(nan_low > 0 && nan_high > 0);
    CHECK(wrong == 0);
    free(v);
    free(numbers);
}

struct ranked {
    uint64_t key;
    uint32_t idx;
};

/* population.c's ranking before: by value, ties by input position. */
static int cmp_ranked(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Keys of every shape (small counts whose high digits never vary, any 64
 * bits, one digit only, all equal) with positions, against qsort. */
static void stable_ranks(void)
{
    static const size_t sizes[] = { 2, 5, 999, 70000 };
    for (int shape = 0; shape < 4; shape++)
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
            size_t n = sizes[s];
            uint64_t *key = malloc(n * sizeof *key);
            uint32_t *idx = malloc(n * sizeof *idx);
            struct ranked *want = malloc(n * sizeof *want);
            for (size_t i = 0; i < n; i++) {
                uint64_t r = next_random();
                key[i] = shape == 0   ? cdp_double_sort_key((double)(1 + r % 7))
                         : shape == 1 ? r
                         : shape == 2 ? (r % 5) << 55 /* the last digit only */
                                      : 42;
                idx[i] = (uint32_t)i;
                want[i] = (struct ranked){ key[i], (uint32_t)i };
            }
            cdp_sort_keys(key, idx, n);
            qsort(want, n, sizeof *want, cmp_ranked);
            size_t wrong = 0;
            for (size_t i = 0; i < n; i++)
                wrong += key[i] != want[i].key || idx[i] != want[i].idx;
            CHECK(wrong == 0);
            /* and without positions, the same keys */
            for (size_t i = 0; i < n; i++)
                key[i] = want[n - 1 - i].key;
            cdp_sort_keys(key, NULL, n);
            wrong = 0;
            for (size_t i = 0; i < n; i++)
                wrong += key[i] != want[i].key;
            CHECK(wrong == 0);
            free(key);
            free(idx);
            free(want);
        }
}

static void key_order(void)
{
    /* the keys compare as the numbers do */
    static const double up[] = { -INFINITY, -DBL_MAX, -1.5, -DBL_MIN, -4.9e-324, -0.0, 0.0,
                                 4.9e-324, DBL_MIN, 1.0, 1.5, DBL_MAX, INFINITY, NAN };
    for (size_t i = 1; i < sizeof up / sizeof *up; i++)
        CHECK(cdp_double_sort_key(up[i - 1]) < cdp_double_sort_key(up[i]));
    CHECK(cdp_double_sort_key(-NAN) < cdp_double_sort_key(-INFINITY));
}

int main(void)
{
    key_order();
    doubles_as_qsort();
    nan_at_the_ends();
    stable_ranks();
    return check_report("test_sort");
}
