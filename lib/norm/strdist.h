/* strdist.h: string similarity for matching people without a shared
 * identifier: Jaro, Jaro-Winkler, Levenshtein and Damerau-Levenshtein.
 *
 * Every function works on Unicode code points, not bytes: "Иванов" and
 * "Иваноф" differ by one edit, not two. Inputs are UTF-8 (invalid bytes count
 * as one code point each, U+FFFD); nothing is folded here (see translit.h for
 * case, Ё/Е, diacritics and scripts). Results equal those of python3-jellyfish
 * 0.8 (jaro_similarity, jaro_winkler_similarity, levenshtein_distance,
 * damerau_levenshtein_distance) on the same code points: tests check that on
 * reference vectors.
 *
 * No allocation for strings up to CDP_STRDIST_MAX code points (longer ones
 * are compared on their first CDP_STRDIST_MAX); thread-safe; no state. */
#ifndef CDP_NORM_STRDIST_H
#define CDP_NORM_STRDIST_H

#include <stddef.h>
#include <stdint.h>

#define CDP_STRDIST_MAX 128

/* Decodes UTF-8 into at most max code points; returns how many. */
size_t cdp_utf8_codepoints(const char *s, size_t len, uint32_t *out, size_t max);

/* Jaro similarity, 0..1 (0 when either string is empty, two empty strings
 * included, as jellyfish). */
double cdp_jaro(const char *a, size_t alen, const char *b, size_t blen);

/* Jaro-Winkler: Jaro plus the common-prefix bonus (prefix of at most 4,
 * scaling 0.1), as jellyfish's jaro_winkler_similarity (long_tolerance off). */
double cdp_jaro_winkler(const char *a, size_t alen, const char *b, size_t blen);

/* Edit distances in code points: insertions, deletions, substitutions;
 * Damerau also counts a transposition of two adjacent code points as one
 * (the unrestricted Damerau-Levenshtein distance, as jellyfish). */
unsigned cdp_levenshtein(const char *a, size_t alen, const char *b, size_t blen);
unsigned cdp_damerau(const char *a, size_t alen, const char *b, size_t blen);

/* The same on code points already decoded (for comparing one value with
 * many without decoding it again). */
double cdp_jaro_winkler_cp(const uint32_t *a, size_t na, const uint32_t *b, size_t nb);
unsigned cdp_damerau_cp(const uint32_t *a, size_t na, const uint32_t *b, size_t nb);
unsigned cdp_levenshtein_cp(const uint32_t *a, size_t na, const uint32_t *b, size_t nb);

#endif
