#include "base/find.h"

#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

const char *cdp_find(const char *hay, size_t n, const char *needle, size_t m)
{
    if (m == 0)
        return hay;
    if (m > n)
        return NULL;
    if (m == 1)
        return memchr(hay, needle[0], n);
    size_t i = 0;
#ifdef __SSE2__
    /* The two bytes tested: the first and the last, or, when they are the
     * same (a name in quotes), the ones inside them, which are rarer. */
    size_t a = 0, b = m - 1;
    if (m >= 4 && needle[a] == needle[b])
        a = 1, b = m - 2;
    const __m128i va = _mm_set1_epi8(needle[a]), vb = _mm_set1_epi8(needle[b]);
    /* i is a place the needle may start at; the loads stay inside hay
     * (b + 16 >= m). Two blocks a step: the loop's own tests were a third
     * of its instructions with one. */
    for (; i + b + 32 <= n; i += 32) {
        const char *p = hay + i;
        __m128i x0 = _mm_loadu_si128((const __m128i *)(const void *)(p + a));
        __m128i y0 = _mm_loadu_si128((const __m128i *)(const void *)(p + b));
        __m128i x1 = _mm_loadu_si128((const __m128i *)(const void *)(p + a + 16));
        __m128i y1 = _mm_loadu_si128((const __m128i *)(const void *)(p + b + 16));
        unsigned lo = (unsigned)_mm_movemask_epi8(
            _mm_and_si128(_mm_cmpeq_epi8(x0, va), _mm_cmpeq_epi8(y0, vb)));
        unsigned hi = (unsigned)_mm_movemask_epi8(
            _mm_and_si128(_mm_cmpeq_epi8(x1, va), _mm_cmpeq_epi8(y1, vb)));
        for (unsigned mask = lo | hi << 16; mask; mask &= mask - 1) {
            size_t at = i + (size_t)__builtin_ctz(mask);
            if (at + m <= n && memcmp(hay + at, needle, m) == 0)
                return hay + at;
        }
    }
#endif
    return i + m <= n ? memmem(hay + i, n - i, needle, m) : NULL;
}
