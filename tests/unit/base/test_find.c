/* test_find: cdp_find gives memmem's answer: needles at every place of a
 * haystack (the start, the end, across the sixteen-byte steps), absent,
 * longer than the haystack, of one byte, empty, with the same first and
 * last byte, and partial matches just before a real one; then many random
 * haystacks over a small alphabet, where partial matches are common. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "base/find.h"

/* hay copied to a block of exactly n bytes: a read past it is one that
 * ASan reports (make check SANITIZE=1). */
static void same(const char *text, size_t n, const char *needle, size_t m)
{
    char *hay = malloc(n ? n : 1);
    memcpy(hay, text, n);
    const char *want = memmem(hay, n, needle, m);
    const char *got = cdp_find(hay, n, needle, m);
    if (got != want)
        fprintf(stderr, "needle \"%.*s\" (%zu) in %zu bytes: at %td, memmem at %td\n", (int)m, needle, m, n,
                got ? got - hay : -1, want ? want - hay : -1);
    CHECK(got == want);
    free(hay);
}

int main(void)
{
    char hay[200];
    memset(hay, 'x', sizeof hay);
    static const char *const needles[] = { "\"abandoned_cart\"", "\"gone\"", "ab", "a", "\"x\"", "xxxy" };
    for (size_t k = 0; k < sizeof needles / sizeof *needles; k++) {
        size_t m = strlen(needles[k]);
        for (size_t at = 0; at + m <= 64; at++) {
            memset(hay, 'x', sizeof hay);
            memcpy(hay + at, needles[k], m);
            for (size_t n = 0; n <= 64; n++)
                same(hay, n, needles[k], m);
        }
    }
    same("abc", 3, "", 0);
    same("abc", 3, "abcd", 4);
    /* a partial match (the tested bytes agree, the middle does not) first */
    const char *line = "{\"segments\":[\"abandoned_carT\",\"a\"],\"x\":\"abandoned_cart\",\"s\":[\"abandoned_cart\"]}";
    same(line, strlen(line), "\"abandoned_cart\"", 16);
    same(line, strlen(line), "\"abandoned\"", 11);

    unsigned seed = 12345;
    for (int round = 0; round < 20000; round++) {
        size_t n = (size_t)(rand_r(&seed) % 120), m = (size_t)(rand_r(&seed) % 7);
        char needle[8];
        for (size_t i = 0; i < n; i++)
            hay[i] = "ab\""[rand_r(&seed) % 3];
        for (size_t i = 0; i < m; i++)
            needle[i] = "ab\""[rand_r(&seed) % 3];
        same(hay, n, needle, m);
    }
    return check_report("test_find");
}
