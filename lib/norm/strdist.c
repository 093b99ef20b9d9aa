/* strdist.c: Jaro, Jaro-Winkler, Levenshtein and unrestricted
 * Damerau-Levenshtein on code points, as python3-jellyfish 0.8 computes them.
 *
 * Each function gives what jellyfish's own algorithm gives (its pure Python
 * _jellyfish.py, which its C module agrees with); Jaro's weight is computed
 * with jellyfish's order of floating-point operations, so the similarities
 * are the same doubles, not merely close ones (tests/unit/test_strdist.c
 * checks both on jellyfish's answers and against textbook versions).
 *
 * Speed, for names: strings of up to 64 code points take bit-parallel
 * paths. The positions of b holding a code point come out as a 64-bit mask
 * (SSE2 compares of four code points at a time where available); Jaro's
 * match flags are such masks and its window a mask too, so finding the first
 * free match is a lowest-set-bit; Levenshtein is Myers' bit-vector algorithm
 * (in Hyyrö's form for edit distance) after stripping the common prefix and
 * suffix. Longer strings use the plain loops. Damerau is Lowrance and
 * Wagner's algorithm, as jellyfish: the (n+2) x (m+2) matrix of 16-bit cells
 * (at most 33 KB, of which a pair of short names touches a few hundred bytes)
 * and, for "the last row where this code point occurred", a small
 * open-addressing table that numbers the distinct code points of b, so the
 * inner loop indexes an array.
 *
 * Everything lives on the stack: no allocation, no state. */
#include "norm/strdist.h"

#include <stdbool.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define MAXN CDP_STRDIST_MAX

/* Strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF);
 * a byte that does not start a valid sequence is one U+FFFD. */
size_t cdp_utf8_codepoints(const char *s, size_t len, uint32_t *out, size_t max)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    size_t n = 0;
    while (p < end && n < max) {
        unsigned c = *p;
        if (c < 0x80) {
            out[n++] = c;
            p++;
            continue;
        }
        size_t left = (size_t)(end - p);
        uint32_t cp = 0xFFFD;
        size_t k = 1;
        if (c >= 0xC2 && c <= 0xDF) {
            if (left >= 2 && (p[1] & 0xC0) == 0x80) {
                cp = ((c & 0x1Fu) << 6) | (p[1] & 0x3Fu);
                k = 2;
            }
        } else if (c >= 0xE0 && c <= 0xEF) {
            if (left >= 3 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
                uint32_t v = ((c & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
                if (v >= 0x800 && (v < 0xD800 || v > 0xDFFF)) {
                    cp = v;
                    k = 3;
                }
            }
        } else if (c >= 0xF0 && c <= 0xF4) {
            if (left >= 4 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80 &&
                (p[3] & 0xC0) == 0x80) {
                uint32_t v = ((c & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) |
                             ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
                if (v >= 0x10000 && v <= 0x10FFFF) {
                    cp = v;
                    k = 4;
                }
            }
        }
        out[n++] = cp;
        p += k;
    }
    return n;
}

/* ---- positions as bit sets, for strings of at most 64 code points ---- */

/* For strings of at most 64 code points: s copied into 16-byte aligned
 * groups of eight, the tail padded with a value no code point has. */
struct cp64 {
    _Alignas(16) uint32_t cp[64];
    size_t groups;
};

static inline void cp64_load(struct cp64 *p, const uint32_t *s, size_t n)
{
    p->groups = (n + 7) / 8;
    memcpy(p->cp, s, n * sizeof *s);
    for (size_t i = n; i < p->groups * 8; i++)
        p->cp[i] = 0xFFFFFFFFu;
}

/* The set of positions of p holding c, as bits (beyond its length: none,
 * unless c is the padding, which callers mask off). */
static inline uint64_t cp64_eq(const struct cp64 *p, size_t groups, uint32_t c)
{
    uint64_t m = 0;
#ifdef __SSE2__
    __m128i vc = _mm_set1_epi32((int)c);
    for (size_t k = 0; k < groups; k++) {
        __m128i x = _mm_load_si128((const __m128i *)(p->cp + 8 * k));
        __m128i y = _mm_load_si128((const __m128i *)(p->cp + 8 * k + 4));
        unsigned lo = (unsigned)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(x, vc)));
        unsigned hi = (unsigned)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(y, vc)));
        m |= (uint64_t)(lo | hi << 4) << (8 * k);
    }
#else
    for (size_t j = 0; j < 8 * groups; j++)
        m |= (uint64_t)(p->cp[j] == c) << j;
#endif
    return m;
}

/* ---- Jaro and Jaro-Winkler ---- */

/* Jaro's matching for na, nb <= 64: the match flags of a and b as bit
 * sets. Without branches: the first free equal code point of the window is
 * the lowest bit of a mask. */
static inline __attribute__((always_inline)) void
jaro_match64(const uint32_t *a, size_t na, const struct cp64 *pb, size_t groups, size_t nb,
             size_t range, size_t *common_out, uint64_t *fa_out, uint64_t *fb_out)
{
    const uint64_t valid = nb == 64 ? ~(uint64_t)0 : ((uint64_t)1 << nb) - 1;
    /* The window of i, positions i - range .. i + range of b, is upto &
     * from: upto gains a bit a step, from loses one once i passes range
     * (range < 32 here). */
    uint64_t upto = ((uint64_t)1 << (range + 1)) - 1, from = valid;
    uint64_t fa = 0, fb = 0;
    size_t common = 0;
    for (size_t i = 0; i < na; i++) {
        uint64_t eq = cp64_eq(pb, groups, a[i]) & upto & from & ~fb;
        upto = upto << 1 | 1;
        from <<= i >= range;
        fb |= eq & -eq;
        fa |= (uint64_t)(eq != 0) << i;
        common += eq != 0;
    }
    *common_out = common;
    *fa_out = fa;
    *fb_out = fb;
}

/* jellyfish's formula, with its order of operations (the same doubles). */
static inline double jaro_weight(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
                                 size_t common, size_t trans, bool winkler)
{
    double c = (double)common;
    double weight = (c / (double)na + c / (double)nb + (c - (double)trans) / c) / 3;

    /* Winkler's boost: only above 0.7, for a common prefix of up to 4. */
    if (winkler && weight > 0.7) {
        size_t lim = na < nb ? na : nb;
        if (lim > 4)
            lim = 4;
        size_t p = 0;
        while (p < lim && a[p] == b[p])
            p++;
        if (p)
            weight += (double)p * 0.1 * (1.0 - weight);
    }
    return weight;
}

static double jaro_cp(const uint32_t *a, size_t na, const uint32_t *b, size_t nb, bool winkler)
{
    if (na > MAXN)
        na = MAXN;
    if (nb > MAXN)
        nb = MAXN;
    /* jellyfish: 0 when either is empty, two empty strings included. */
    if (na == 0 || nb == 0)
        return 0.0;

    size_t range = (na > nb ? na : nb) / 2;
    range = range > 0 ? range - 1 : 0;

    size_t common = 0, trans = 0;
    if (na <= 64 && nb <= 64) {
        struct cp64 pb;
        cp64_load(&pb, b, nb);
        uint64_t fa, fb;
        if (pb.groups == 1) /* up to 8 code points: the loop unrolled */
            jaro_match64(a, na, &pb, 1, nb, range, &common, &fa, &fb);
        else
            jaro_match64(a, na, &pb, pb.groups, nb, range, &common, &fa, &fb);
        if (common == 0)
            return 0.0;
        while (fa) {
            trans += a[__builtin_ctzll(fa)] != b[__builtin_ctzll(fb)];
            fa &= fa - 1;
            fb &= fb - 1;
        }
        trans /= 2;
        return jaro_weight(a, na, b, nb, common, trans, winkler);
    }

    unsigned char fa[MAXN], fb[MAXN];
    memset(fa, 0, na);
    memset(fb, 0, nb);

    for (size_t i = 0; i < na; i++) {
        size_t lo = i > range ? i - range : 0;
        size_t hi = i + range < nb - 1 ? i + range : nb - 1;
        uint32_t c = a[i];
        for (size_t j = lo; j <= hi; j++) {
            if (!fb[j] && b[j] == c) {
                fa[i] = fb[j] = 1;
                common++;
                break;
            }
        }
    }
    if (common == 0)
        return 0.0;

    /* The i-th matched code point of a against the i-th matched one of b. */
    size_t k = 0;
    for (size_t i = 0; i < na; i++) {
        if (!fa[i])
            continue;
        while (!fb[k])
            k++;
        if (a[i] != b[k])
            trans++;
        k++;
    }
    trans /= 2;
    return jaro_weight(a, na, b, nb, common, trans, winkler);
}

double cdp_jaro_winkler_cp(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
    return jaro_cp(a, na, b, nb, true);
}

double cdp_jaro(const char *a, size_t alen, const char *b, size_t blen)
{
    uint32_t ca[MAXN], cb[MAXN];
    size_t na = cdp_utf8_codepoints(a, alen, ca, MAXN);
    size_t nb = cdp_utf8_codepoints(b, blen, cb, MAXN);
    return jaro_cp(ca, na, cb, nb, false);
}

double cdp_jaro_winkler(const char *a, size_t alen, const char *b, size_t blen)
{
    uint32_t ca[MAXN], cb[MAXN];
    size_t na = cdp_utf8_codepoints(a, alen, ca, MAXN);
    size_t nb = cdp_utf8_codepoints(b, blen, cb, MAXN);
    return jaro_cp(ca, na, cb, nb, true);
}

/* ---- Levenshtein ---- */

unsigned cdp_levenshtein_cp(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
    if (na > MAXN)
        na = MAXN;
    if (nb > MAXN)
        nb = MAXN;
    /* A common prefix or suffix never changes the distance. */
    while (na && nb && *a == *b) {
        a++, b++;
        na--, nb--;
    }
    while (na && nb && a[na - 1] == b[nb - 1])
        na--, nb--;
    if (na == 0)
        return (unsigned)nb;
    if (nb == 0)
        return (unsigned)na;

    if (na > 64 && nb <= 64) /* the distance is symmetric: the shorter is the pattern */
        return cdp_levenshtein_cp(b, nb, a, na);
    if (na <= 64) {
        /* Myers' bit-parallel algorithm as Hyyrö states it for edit
         * distance: a is the pattern, one column of the DP per code point
         * of b, kept as vertical +1/-1 deltas in two words. */
        struct cp64 pa;
        cp64_load(&pa, a, na);
        const uint64_t valid = na == 64 ? ~(uint64_t)0 : ((uint64_t)1 << na) - 1;
        uint64_t pv = ~(uint64_t)0, mv = 0, last = (uint64_t)1 << (na - 1);
        unsigned score = (unsigned)na;
        for (size_t j = 0; j < nb; j++) {
            uint64_t eq = cp64_eq(&pa, pa.groups, b[j]) & valid;
            uint64_t xv = eq | mv;
            uint64_t xh = (((eq & pv) + pv) ^ pv) | eq;
            uint64_t ph = mv | ~(xh | pv);
            uint64_t mh = pv & xh;
            score += (ph & last) != 0;
            score -= (mh & last) != 0;
            ph = (ph << 1) | 1;
            mh <<= 1;
            pv = mh | ~(xv | ph);
            mv = ph & xv;
        }
        return score;
    }

    unsigned row[MAXN + 1];
    for (size_t j = 0; j <= nb; j++)
        row[j] = (unsigned)j;
    for (size_t i = 1; i <= na; i++) {
        unsigned diag = row[0], left = (unsigned)i;
        row[0] = left;
        uint32_t c = a[i - 1];
        for (size_t j = 1; j <= nb; j++) {
            unsigned up = row[j];
            unsigned v = diag + (c != b[j - 1]);
            if (up + 1 < v)
                v = up + 1;
            if (left + 1 < v)
                v = left + 1;
            row[j] = left = v;
            diag = up;
        }
    }
    return row[nb];
}

unsigned cdp_levenshtein(const char *a, size_t alen, const char *b, size_t blen)
{
    uint32_t ca[MAXN], cb[MAXN];
    size_t na = cdp_utf8_codepoints(a, alen, ca, MAXN);
    size_t nb = cdp_utf8_codepoints(b, blen, cb, MAXN);
    return cdp_levenshtein_cp(ca, na, cb, nb);
}

/* ---- Damerau-Levenshtein (unrestricted: Lowrance and Wagner) ---- */

/* Numbers the distinct code points of b (0, 1, ...) in bid[], and gives for
 * each code point of a the number of the same code point in b, or -1 when b
 * has none (such code points never matter to the transposition term). */
static void alphabet(const uint32_t *a, size_t na, const uint32_t *b, size_t nb, int16_t *aid,
                     int16_t *bid)
{
    enum { EMPTY = 0xFFFFFFFFu };
    uint32_t key[2 * MAXN];
    int16_t val[2 * MAXN];
    unsigned size = 16;
    while (size < 2 * nb)
        size *= 2;
    unsigned mask = size - 1;
    memset(key, 0xFF, size * sizeof *key);

    int16_t next = 0;
    for (size_t j = 0; j < nb; j++) {
        uint32_t c = b[j];
        unsigned h = (c * 0x9E3779B1u) >> 7 & mask;
        while (key[h] != EMPTY && key[h] != c)
            h = (h + 1) & mask;
        if (key[h] == EMPTY) {
            key[h] = c;
            val[h] = next++;
        }
        bid[j] = val[h];
    }
    for (size_t i = 0; i < na; i++) {
        uint32_t c = a[i];
        unsigned h = (c * 0x9E3779B1u) >> 7 & mask;
        while (key[h] != EMPTY && key[h] != c)
            h = (h + 1) & mask;
        aid[i] = key[h] == EMPTY ? -1 : val[h];
    }
}

unsigned cdp_damerau_cp(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
    if (na > MAXN)
        na = MAXN;
    if (nb > MAXN)
        nb = MAXN;
    if (na == 0)
        return (unsigned)nb;
    if (nb == 0)
        return (unsigned)na;

    int16_t aid[MAXN], bid[MAXN];
    alphabet(a, na, b, nb, aid, bid);
    /* da[x]: the last row (1-based) of a holding b's code point number x. */
    unsigned char da[MAXN];
    memset(da, 0, nb);

    /* score[i][j] as in jellyfish: rows 0..na+1, columns 0..nb+1; row and
     * column 0 are "infinite", row and column 1 the distances to "". The
     * largest cell is at most 2 * infinite, well within 16 bits. */
    _Static_assert(4 * MAXN < 65536, "Damerau cells are 16-bit");
    uint16_t score[(MAXN + 2) * (MAXN + 2)];
    const size_t w = nb + 2;
#define S(i, j) score[(size_t)(i) * w + (size_t)(j)]
    const unsigned inf = (unsigned)(na + nb);
    S(0, 0) = (uint16_t)inf;
    for (size_t i = 0; i <= na; i++) {
        S(i + 1, 0) = (uint16_t)inf;
        S(i + 1, 1) = (uint16_t)i;
    }
    for (size_t j = 0; j <= nb; j++) {
        S(0, j + 1) = (uint16_t)inf;
        S(1, j + 1) = (uint16_t)j;
    }

    for (size_t i = 1; i <= na; i++) {
        size_t db = 0; /* the last column of this row where a[i-1] matched */
        uint32_t c = a[i - 1];
        const uint16_t *prev = &S(i, 0);
        uint16_t *cur = &S(i + 1, 0);
        unsigned left = cur[1], diag = prev[1];
        for (size_t j = 1; j <= nb; j++) {
            unsigned up = prev[j + 1];
            unsigned v = diag + (c != b[j - 1]); /* substitution or match */
            if (up + 1 < v)                      /* deletion */
                v = up + 1;
            if (left + 1 < v)                    /* insertion */
                v = left + 1;
            /* The transposition term, score[i1][j1] + (i - i1 - 1) + 1 +
             * (j - j1 - 1): with i1 or j1 zero that cell is "infinite"
             * (na + nb), more than any distance, so it can only win when
             * a[i-1] matched earlier in this row and b[j-1] in an earlier
             * row. */
            size_t j1 = db;
            if (c == b[j - 1])
                db = j;
            else if (j1) {
                size_t i1 = da[bid[j - 1]];
                if (i1) {
                    unsigned t = S(i1, j1) + (unsigned)(i - i1) + (unsigned)(j - j1 - 1);
                    if (t < v)
                        v = t;
                }
            }
            cur[j + 1] = (uint16_t)v;
            left = v;
            diag = up;
        }
        if (aid[i - 1] >= 0)
            da[aid[i - 1]] = (unsigned char)i;
    }
    return S(na + 1, nb + 1);
#undef S
}

unsigned cdp_damerau(const char *a, size_t alen, const char *b, size_t blen)
{
    uint32_t ca[MAXN], cb[MAXN];
    size_t na = cdp_utf8_codepoints(a, alen, ca, MAXN);
    size_t nb = cdp_utf8_codepoints(b, blen, cb, MAXN);
    return cdp_damerau_cp(ca, na, cb, nb);
}
