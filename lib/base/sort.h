/* sort.h: numbers sorted without a comparison callback.
 *
 * An LSD radix sort on 64-bit keys, 11 bits a pass (six passes, a pass
 * skipped when every key has the same digit there, as the high bits of
 * small counts do). Measured against glibc qsort, whose merge sort calls a
 * comparison function, on random day numbers and amounts: 19-25x faster at
 * 100k doubles, 5x at 1M and 10M (0.77 s against 3.9 s for 10M day numbers);
 * ranking order counts with their positions 2x at 100k, 8x at 1M and 10M.
 * It needs a second array of the keys' size, as qsort's merge sort does.
 *
 * The order of doubles is the total order of their bits: -Inf < negatives <
 * -0 < +0 < positives < +Inf, NaN after +Inf (before -Inf with its sign bit
 * set). On numbers that are not NaN it is the order of < with -0 before +0,
 * which a comparison by < and > leaves in input order. */
#ifndef CDP_BASE_SORT_H
#define CDP_BASE_SORT_H

#include <stddef.h>
#include <stdint.h>

/* An unsigned key whose order is the order of x above. */
uint64_t cdp_double_sort_key(double x);

/* key ascending, stable (equal keys keep their input order); idx, when not
 * NULL, n entries moved along with the keys (the input positions, to rank). */
void cdp_sort_keys(uint64_t *key, uint32_t *idx, size_t n);

/* v ascending, in the order above. */
void cdp_sort_doubles(double *v, size_t n);

#endif
