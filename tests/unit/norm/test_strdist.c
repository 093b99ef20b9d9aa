/* Unit tests of lib/norm/strdist.h.
 *
 * 1. tests/fixtures/strdist/vectors.tsv: python3-jellyfish 0.8.9's answers
 *    (made by tests/tools/strdist-vectors.py, committed so that jellyfish is
 *    not needed here): hand-picked pairs and 1200 seeded random ones. Jaro
 *    and Jaro-Winkler must agree within 1e-12 (they are in fact the same
 *    doubles; the count is printed), the distances exactly.
 * 2. UTF-8 decoding, invalid bytes and the CDP_STRDIST_MAX cut.
 * 3. A differential test against plain textbook implementations (full
 *    matrices on the heap, no shortcuts) on pairs up to the maximum length.
 * 4. A micro-benchmark, printed only. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "../check.h"
#include "../files.h"
#include "norm/strdist.h"

#define MAXN CDP_STRDIST_MAX

/* ---- 1. jellyfish's answers ---- */

static void test_vectors(const char *argv0)
{
    FILE *f = open_fixture(argv0, "tests/fixtures/strdist/vectors.tsv");
    char line[4096];
    int rows = 0, lineno = 0, same_double = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#')
            continue;
        char *field[6];
        int n = 0;
        for (char *p = line; p && n < 6; n++) {
            field[n] = p;
            if ((p = strchr(p, '\t')))
                *p++ = '\0';
        }
        CHECK(n == 6);
        if (n != 6)
            continue;
        const char *a = field[0], *b = field[1];
        size_t al = strlen(a), bl = strlen(b);
        double jaro = strtod(field[2], NULL), jw = strtod(field[3], NULL);
        unsigned lev = (unsigned)strtoul(field[4], NULL, 10);
        unsigned dam = (unsigned)strtoul(field[5], NULL, 10);

        double gj = cdp_jaro(a, al, b, bl), gjw = cdp_jaro_winkler(a, al, b, bl);
        unsigned gl = cdp_levenshtein(a, al, b, bl), gd = cdp_damerau(a, al, b, bl);
        uint32_t ca[MAXN], cb[MAXN];
        size_t na = cdp_utf8_codepoints(a, al, ca, MAXN), nb = cdp_utf8_codepoints(b, bl, cb, MAXN);
        double gjw2 = cdp_jaro_winkler_cp(ca, na, cb, nb);
        unsigned gl2 = cdp_levenshtein_cp(ca, na, cb, nb), gd2 = cdp_damerau_cp(ca, na, cb, nb);

        bool ok = fabs(gj - jaro) <= 1e-12 && fabs(gjw - jw) <= 1e-12 && gjw2 == gjw &&
                  gl == lev && gl2 == lev && gd == dam && gd2 == dam;
        CHECK(ok);
        if (!ok)
            fprintf(stderr,
                    "vectors.tsv:%d: \"%s\" \"%s\": jaro %.17g (want %.17g), jw %.17g / %.17g "
                    "(want %.17g), lev %u / %u (want %u), damerau %u / %u (want %u)\n",
                    lineno, a, b, gj, jaro, gjw, gjw2, jw, gl, gl2, lev, gd, gd2, dam);
        same_double += gj == jaro && gjw == jw;
        rows++;
    }
    fclose(f);
    CHECK(rows > 1000);
    printf("test_strdist: %d jellyfish vectors, Jaro and Jaro-Winkler bit-identical in %d\n",
           rows, same_double);
}

/* ---- 2. decoding and limits ---- */

static size_t decode(const char *s, uint32_t *out, size_t max)
{
    return cdp_utf8_codepoints(s, strlen(s), out, max);
}

static void test_decoding(void)
{
    uint32_t cp[16];
    CHECK(decode("", cp, 16) == 0);
    CHECK(decode("Ёж", cp, 16) == 2 && cp[0] == 0x401 && cp[1] == 0x436);
    CHECK(decode("a\xF0\x9F\x98\x80", cp, 16) == 2 && cp[1] == 0x1F600);
    CHECK(decode("\xE2\x82\xAC", cp, 16) == 1 && cp[0] == 0x20AC);
    /* Invalid bytes are one U+FFFD each. */
    CHECK(decode("\xFF" "a", cp, 16) == 2 && cp[0] == 0xFFFD && cp[1] == 'a');
    CHECK(decode("\xC0\xAF", cp, 16) == 2 && cp[0] == 0xFFFD && cp[1] == 0xFFFD); /* overlong */
    CHECK(decode("\xED\xA0\x80", cp, 16) == 3 && cp[0] == 0xFFFD);               /* surrogate */
    CHECK(decode("\xF4\x90\x80\x80", cp, 16) == 4);                               /* > U+10FFFF */
    CHECK(decode("\xD0", cp, 16) == 1 && cp[0] == 0xFFFD);                       /* cut short */
    CHECK(decode("\xE2\x82" "a", cp, 16) == 3 && cp[2] == 'a');
    CHECK(decode("abcdef", cp, 4) == 4 && cp[3] == 'd');

    /* Code points, not bytes. */
    CHECK(cdp_levenshtein("Иванов", strlen("Иванов"), "Иваноф", strlen("Иваноф")) == 1);
    CHECK(cdp_damerau("Сергей", strlen("Сергей"), "Серегй", strlen("Серегй")) == 1);
    CHECK(cdp_levenshtein("Сергей", strlen("Сергей"), "Серегй", strlen("Серегй")) == 2);
    CHECK(cdp_levenshtein("\xFF", 1, "\xFE", 1) == 0); /* both U+FFFD */

    /* Empty strings: similarities 0 (as jellyfish, even for two), distances the length. */
    CHECK(cdp_jaro("", 0, "", 0) == 0.0);
    CHECK(cdp_jaro_winkler("", 0, "", 0) == 0.0);
    CHECK(cdp_jaro_winkler("a", 1, "", 0) == 0.0);
    CHECK(cdp_jaro_winkler("a", 1, "a", 1) == 1.0);
    CHECK(cdp_levenshtein("", 0, "", 0) == 0 && cdp_damerau("", 0, "", 0) == 0);
    CHECK(cdp_levenshtein("", 0, "абв", strlen("абв")) == 3);
    CHECK(cdp_damerau("абв", strlen("абв"), "", 0) == 3);

    /* Beyond CDP_STRDIST_MAX code points only the first MAXN are compared. */
    char a[3 * MAXN + 1], b[3 * MAXN + 1];
    memset(a, 'x', sizeof a - 1);
    memset(b, 'x', sizeof b - 1);
    a[sizeof a - 1] = b[sizeof b - 1] = '\0';
    b[MAXN + 5] = 'y';
    b[2 * MAXN] = 'z';
    CHECK(cdp_levenshtein(a, strlen(a), b, strlen(b)) == 0);
    CHECK(cdp_damerau(a, strlen(a), b, strlen(b)) == 0);
    CHECK(cdp_jaro_winkler(a, strlen(a), b, strlen(b)) == 1.0);
    CHECK(cdp_levenshtein(a, MAXN + 10, b, 20) == MAXN - 20);
    b[MAXN - 1] = 'y';
    CHECK(cdp_levenshtein(a, strlen(a), b, strlen(b)) == 1);
    CHECK(cdp_damerau(a, strlen(a), b, strlen(b)) == 1);
    uint32_t big[2 * MAXN];
    for (size_t i = 0; i < 2 * MAXN; i++)
        big[i] = i < MAXN ? 'q' : 'r';
    CHECK(cdp_damerau_cp(big, 2 * MAXN, big, MAXN) == 0);
    CHECK(cdp_levenshtein_cp(big, 2 * MAXN, big, MAXN) == 0);
    CHECK(cdp_jaro_winkler_cp(big, 2 * MAXN, big, MAXN) == 1.0);
}

/* ---- 3. against textbook implementations ---- */

static unsigned ref_levenshtein(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
    unsigned *d = malloc((na + 1) * (nb + 1) * sizeof *d);
#define D(i, j) d[(i) * (nb + 1) + (j)]
    for (size_t i = 0; i <= na; i++)
        D(i, 0) = (unsigned)i;
    for (size_t j = 0; j <= nb; j++)
        D(0, j) = (unsigned)j;
    for (size_t i = 1; i <= na; i++)
        for (size_t j = 1; j <= nb; j++) {
            unsigned v = D(i - 1, j - 1) + (a[i - 1] != b[j - 1]);
            if (D(i - 1, j) + 1 < v)
                v = D(i - 1, j) + 1;
            if (D(i, j - 1) + 1 < v)
                v = D(i, j - 1) + 1;
            D(i, j) = v;
        }
    unsigned r = D(na, nb);
#undef D
    free(d);
    return r;
}

/* Lowrance-Wagner with the last-row map as a plain list of pairs. */
static unsigned ref_damerau(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
    size_t w = nb + 2;
    unsigned *h = malloc((na + 2) * w * sizeof *h);
    uint32_t *dk = malloc((na + 1) * sizeof *dk);
    size_t *dv = malloc((na + 1) * sizeof *dv), nd = 0;
#define H(i, j) h[(i) * w + (j)]
    unsigned inf = (unsigned)(na + nb);
    H(0, 0) = inf;
    for (size_t i = 0; i <= na; i++) {
        H(i + 1, 0) = inf;
        H(i + 1, 1) = (unsigned)i;
    }
    for (size_t j = 0; j <= nb; j++) {
        H(0, j + 1) = inf;
        H(1, j + 1) = (unsigned)j;
    }
    for (size_t i = 1; i <= na; i++) {
        size_t db = 0;
        for (size_t j = 1; j <= nb; j++) {
            size_t i1 = 0;
            for (size_t k = 0; k < nd; k++)
                if (dk[k] == b[j - 1])
                    i1 = dv[k];
            size_t j1 = db;
            unsigned cost = 1;
            if (a[i - 1] == b[j - 1]) {
                cost = 0;
                db = j;
            }
            unsigned v = H(i, j) + cost;
            if (H(i + 1, j) + 1 < v)
                v = H(i + 1, j) + 1;
            if (H(i, j + 1) + 1 < v)
                v = H(i, j + 1) + 1;
            unsigned t = H(i1, j1) + (unsigned)(i - i1 - 1) + 1 + (unsigned)(j - j1 - 1);
            if (t < v)
                v = t;
            H(i + 1, j + 1) = v;
        }
        dk[nd] = a[i - 1];
        dv[nd++] = i;
    }
    unsigned r = H(na + 1, nb + 1);
#undef H
    free(h);
    free(dk);
    free(dv);
    return r;
}

static double ref_jaro_winkler(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
    if (!na || !nb)
        return 0.0;
    long range = (long)(na > nb ? na : nb) / 2 - 1;
    if (range < 0)
        range = 0;
    char *fa = calloc(na, 1), *fb = calloc(nb, 1);
    long common = 0;
    for (long i = 0; i < (long)na; i++) {
        long lo = i - range > 0 ? i - range : 0;
        long hi = i + range < (long)nb - 1 ? i + range : (long)nb - 1;
        for (long j = lo; j <= hi; j++)
            if (!fb[j] && b[j] == a[i]) {
                fa[i] = fb[j] = 1;
                common++;
                break;
            }
    }
    double weight = 0.0;
    if (common) {
        long k = 0, trans = 0, j = 0;
        for (long i = 0; i < (long)na; i++)
            if (fa[i]) {
                for (j = k; j < (long)nb; j++)
                    if (fb[j]) {
                        k = j + 1;
                        break;
                    }
                if (a[i] != b[j])
                    trans++;
            }
        trans /= 2;
        double c = (double)common;
        weight = (c / (double)na + c / (double)nb + (c - (double)trans) / c) / 3;
        if (weight > 0.7) {
            size_t lim = na < nb ? na : nb, p = 0;
            lim = lim < 4 ? lim : 4;
            while (p < lim && a[p] == b[p])
                p++;
            if (p)
                weight += (double)p * 0.1 * (1.0 - weight);
        }
    }
    free(fa);
    free(fb);
    return weight;
}

static uint64_t rng_state = 20240611;

static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)((rng_state >> 33) % n);
}

static void test_differential(void)
{
    /* Latin and Cyrillic letters, one outside the BMP: repeats are common. */
    static const uint32_t alphabet[] = {'a', 'e', 'n', 'r', 's', 0x430, 0x435, 0x438, 0x451,
                                        0x439, 0x1F600};
    enum { NA = sizeof alphabet / sizeof *alphabet };
    uint32_t a[MAXN], b[MAXN];
    int pairs = 0;
    for (int round = 0; round < 3000; round++) {
        /* Mostly names; now and then the longest strings, and pairs across
         * the 64-code-point line of the bit-parallel paths. */
        size_t cap = round % 50 == 0 ? MAXN : round % 5 == 0 ? 40 : 12;
        uint32_t k = round % 3 == 0 ? 3 : NA; /* a tiny alphabet now and then */
        bool across = round % 50 == 24 || round % 50 == 25;
        size_t na = across ? 60 + rnd(MAXN - 59) : rnd((uint32_t)cap + 1), nb;
        for (size_t i = 0; i < na; i++)
            a[i] = alphabet[rnd(k)];
        if (round % 2) { /* an edited copy */
            nb = na;
            memcpy(b, a, na * sizeof *a);
            for (int e = 0; e < 3; e++) {
                size_t i = nb ? rnd((uint32_t)nb) : 0;
                if (nb >= 2 && i + 1 < nb) {
                    uint32_t t = b[i];
                    b[i] = b[i + 1];
                    b[i + 1] = t;
                } else if (nb < MAXN) {
                    b[nb++] = alphabet[rnd(k)];
                }
            }
        } else {
            nb = across ? 60 + rnd(10) : rnd((uint32_t)cap + 1);
            for (size_t i = 0; i < nb; i++)
                b[i] = alphabet[rnd(k)];
        }
        unsigned l = cdp_levenshtein_cp(a, na, b, nb), rl = ref_levenshtein(a, na, b, nb);
        unsigned d = cdp_damerau_cp(a, na, b, nb), rd = ref_damerau(a, na, b, nb);
        double jw = cdp_jaro_winkler_cp(a, na, b, nb), rjw = ref_jaro_winkler(a, na, b, nb);
        CHECK(l == rl);
        CHECK(d == rd);
        CHECK(jw == rjw);
        /* Properties every pair must have. */
        CHECK(d <= l);
        CHECK(cdp_levenshtein_cp(b, nb, a, na) == l);
        CHECK(cdp_damerau_cp(b, nb, a, na) == d);
        CHECK(jw >= 0.0 && jw <= 1.0);
        if (l != rl || d != rd || jw != rjw)
            fprintf(stderr,
                    "differential round %d: lengths %zu %zu: lev %u/%u dam %u/%u jw %.17g/%.17g\n",
                    round, na, nb, l, rl, d, rd, jw, rjw);
        pairs++;
    }
    printf("test_strdist: differential, %d pairs up to %d code points agree with the textbook\n",
           pairs, MAXN);
}

/* ---- 4. the benchmark ---- */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum { BK = 24, BREPS = 100, BROUNDS = 7 };

struct bench_names {
    const char *s[BK];
    size_t len[BK], ncp[BK];
    uint32_t cp[BK][MAXN];
};

/* One round: every ordered pair BREPS times; ns per call. The machine may be
 * busy with other work: the benchmark keeps the best of BROUNDS rounds. */
static double bench_round(const struct bench_names *n, int which)
{
    volatile double sink = 0;
    volatile unsigned isink = 0;
    double t0 = now();
    for (int r = 0; r < BREPS; r++)
        for (int i = 0; i < BK; i++)
            for (int j = 0; j < BK; j++)
                switch (which) {
                case 0:
                    sink += cdp_jaro_winkler_cp(n->cp[i], n->ncp[i], n->cp[j], n->ncp[j]);
                    break;
                case 1:
                    sink += cdp_jaro_winkler(n->s[i], n->len[i], n->s[j], n->len[j]);
                    break;
                case 2:
                    isink += cdp_levenshtein_cp(n->cp[i], n->ncp[i], n->cp[j], n->ncp[j]);
                    break;
                default:
                    isink += cdp_damerau_cp(n->cp[i], n->ncp[i], n->cp[j], n->ncp[j]);
                    break;
                }
    double t1 = now();
    (void)sink;
    (void)isink;
    return (t1 - t0) / ((double)BREPS * BK * BK) * 1e9;
}

static void benchmark(void)
{
    /* 8-letter surnames, Cyrillic and Latin, every ordered pair of them. */
    static const char *const names[BK] = {
        "Кузнецов", "Смирнова", "Васильев", "Соколова", "Новикова", "Федорова", "Морозова",
        "Никитина", "Алексеев", "Лебедева", "Семенова", "Захарова", "Kuznecov", "Smirnova",
        "Vasiliev", "Sokolova", "Novikova", "Fedorova", "Morozova", "Nikitina", "Alekseev",
        "Lebedeva", "Semenova", "Zakharov",
    };
    static struct bench_names n;
    for (int i = 0; i < BK; i++) {
        n.s[i] = names[i];
        n.len[i] = strlen(names[i]);
        n.ncp[i] = cdp_utf8_codepoints(names[i], n.len[i], n.cp[i], MAXN);
        CHECK(n.ncp[i] == 8);
    }
    double best[4];
    for (int w = 0; w < 4; w++) {
        best[w] = 1e30;
        for (int r = 0; r < BROUNDS; r++) {
            double t = bench_round(&n, w);
            if (t < best[w])
                best[w] = t;
        }
    }
    printf("test_strdist: benchmark, pairs of 8-letter names (best of %d rounds of %d calls): "
           "Jaro-Winkler %.0f ns/call on code points (%.0f ns from UTF-8), Levenshtein %.0f ns, "
           "Damerau %.0f ns\n",
           BROUNDS, BREPS * BK * BK, best[0], best[1], best[2], best[3]);
}

int main(int argc, char **argv)
{
    (void)argc;
    test_vectors(argv[0]);
    test_decoding();
    test_differential();
    benchmark();
    return check_report("test_strdist");
}
