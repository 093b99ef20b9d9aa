/* test_phone.c: lib/norm/phone.h against libphonenumber itself.
 *
 * 1. tests/fixtures/phones/spellings.tsv: real-world spellings with the
 *    answers libphonenumber gave when the file was made; both paths must give
 *    them.
 * 2. A differential test: deterministic pseudo-random inputs for many regions,
 *    where the fast path (and its cache) must agree with the reference, and
 *    so must the country of each valid number (cdp_phone_region). Where
 *    libphonenumber rejects an input with a trailing note, the answer is its
 *    answer for the input without the note.
 * 3. Spellings with a note ("8(921)3251596 (моб.)"), read without it.
 * 4. The cache: it stops keeping the fast path's answers when nothing is
 *    found again, and starts again when numbers come back; a
 *    micro-benchmark, printed. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../files.h"
#include "gen/gen_rng.h"
#include "norm/phone.h"

static unsigned long checks;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        checks++;                                                                                  \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "test_phone: %s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);   \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static struct cdp_phone_normalizer *new_normalizer(const char *region)
{
    char err[128];
    struct cdp_phone_normalizer *pn = cdp_phone_normalizer_new(region, err, sizeof err);
    CHECK(pn != NULL, "cdp_phone_normalizer_new(%s): %s", region, err);
    return pn;
}

struct answer {
    int valid;
    char e164[CDP_PHONE_E164_MAX];
    enum cdp_phone_type type;
};

static struct answer fast(struct cdp_phone_normalizer *pn, const char *s, size_t len)
{
    struct answer a;
    memset(a.e164, 'X', sizeof a.e164);
    a.valid = cdp_phone_normalize(pn, s, len, a.e164, &a.type);
    return a;
}

static struct answer reference(struct cdp_phone_normalizer *pn, const char *s, size_t len)
{
    struct answer a;
    memset(a.e164, 'X', sizeof a.e164);
    a.valid = cdp_phone_normalize_reference(pn, s, len, a.e164, &a.type);
    return a;
}

static int same(const struct answer *a, const struct answer *b)
{
    return a->valid == b->valid && a->type == b->type && !strcmp(a->e164, b->e164);
}

static void check_answer(const struct answer *a, int valid)
{
    CHECK(a->valid == valid, "returned %d", a->valid);
    CHECK(valid ? a->e164[0] == '+' && a->type != CDP_PHONE_UNKNOWN
                : a->e164[0] == '\0' && a->type == CDP_PHONE_UNKNOWN,
          "answer %d \"%s\" %s", a->valid, a->e164, cdp_phone_type_name(a->type));
}

/* ---- 1. the fixture ---- */

static void test_spellings(const char *argv0)
{
    FILE *f = open_fixture(argv0, "tests/fixtures/phones/spellings.tsv");
    char line[1024], region[8] = "";
    struct cdp_phone_normalizer *pn = NULL;
    int rows = 0, lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *field[4];
        int n = 0;
        for (char *p = line; p && n < 4; n++) {
            field[n] = p;
            if ((p = strchr(p, '\t')))
                *p++ = '\0';
        }
        CHECK(n == 4, "spellings.tsv:%d: want 4 tab-separated fields", lineno);
        if (strcmp(region, field[0])) {
            cdp_phone_normalizer_free(pn);
            pn = new_normalizer(field[0]);
            snprintf(region, sizeof region, "%s", field[0]);
        }
        const char *in = field[1], *want = field[2], *want_type = field[3];
        struct answer got[3] = {reference(pn, in, strlen(in)), fast(pn, in, strlen(in)),
                                fast(pn, in, strlen(in))};
        /* rejected with a note: read without it (3.) */
        size_t note = cdp_phone_note_at(in, strlen(in));
        struct answer without = reference(pn, in, note);
        for (int i = 0; i < 3; i++) {
            const char *what = i == 0 ? "reference" : i == 1 ? "fast" : "cached";
            if (i > 0 && !want[0] && note < strlen(in)) {
                CHECK(same(&got[i], &without), "spellings.tsv:%d: %s [%s] gave \"%s\", without its note \"%s\"",
                      lineno, what, in, got[i].e164, without.e164);
                continue;
            }
            CHECK(!strcmp(got[i].e164, want) &&
                      !strcmp(cdp_phone_type_name(got[i].type), want_type),
                  "spellings.tsv:%d: %s %s [%s] gave \"%s\" %s, want \"%s\" %s", lineno, what,
                  region, in, got[i].e164, cdp_phone_type_name(got[i].type), want, want_type);
            check_answer(&got[i], want[0] != '\0');
        }
        rows++;
    }
    fclose(f);
    cdp_phone_normalizer_free(pn);
    CHECK(rows >= 100, "spellings.tsv has only %d rows", rows);
}

/* ---- the interface's smaller promises ---- */

static void test_interface(void)
{
    char err[128] = "";
    CHECK(cdp_phone_normalizer_new("XX", err, sizeof err) == NULL, "XX accepted");
    CHECK(strstr(err, "XX") != NULL, "error message: %s", err);
    CHECK(cdp_phone_normalizer_new("001", NULL, 0) == NULL, "001 is no region");

    struct cdp_phone_normalizer *pn = new_normalizer("RU");
    char out[CDP_PHONE_E164_MAX];
    /* Only len bytes count, and type may be NULL. */
    const char *text = "8 912 345-67-89 and more";
    CHECK(cdp_phone_normalize(pn, text, 15, out, NULL) == 1 && !strcmp(out, "+79123456789"),
          "got %s", out);
    CHECK(cdp_phone_normalize(pn, text, 14, out, NULL) == 0 && out[0] == '\0', "got %s", out);
    CHECK(cdp_phone_normalize_reference(pn, text, 14, out, NULL) == 0, "got %s", out);
    /* A NUL byte is input like any other. */
    static const char nul[] = "8912\0003456789";
    struct answer a = fast(pn, nul, sizeof nul - 1), b = reference(pn, nul, sizeof nul - 1);
    CHECK(same(&a, &b), "NUL byte: fast \"%s\", reference \"%s\"", a.e164, b.e164);
    CHECK(cdp_phone_normalize(pn, NULL, 0, out, NULL) == 0, "NULL, 0");
    CHECK(cdp_phone_normalize_reference(pn, NULL, 0, out, NULL) == 0, "NULL, 0");
    cdp_phone_normalizer_free(pn);
    cdp_phone_normalizer_free(NULL);

    CHECK(!strcmp(cdp_phone_type_name(CDP_PHONE_UNKNOWN), "unknown"), "name");
    CHECK(!strcmp(cdp_phone_type_name(CDP_PHONE_FIXED_LINE_OR_MOBILE), "fixed_line_or_mobile"),
          "name");
    CHECK(!strcmp(cdp_phone_type_name(CDP_PHONE_VOICEMAIL), "voicemail"), "name");
    CHECK(!strcmp(cdp_phone_type_name((enum cdp_phone_type)99), "unknown"), "name");
}

/* ---- 2. the differential test ---- */

static uint64_t rng_state; /* splitmix64's (gen/gen_rng.h): the same inputs every run */

static unsigned below(unsigned n)
{
    return (unsigned)(gen_splitmix(&rng_state) % n);
}

struct region {
    const char *code, *cc, *national_prefix, *idd;
};

/* The prefixes only shape the inputs; a mistake here just makes them less
 * interesting, since the reference decides what is right. */
static const struct region regions[] = {
    {"RU", "7", "8", "810"},  {"KZ", "7", "8", "810"},   {"BY", "375", "8", "810"},
    {"UA", "380", "0", "00"}, {"DE", "49", "0", "00"},   {"GB", "44", "0", "00"},
    {"US", "1", "1", "011"},  {"FR", "33", "0", "00"},   {"IT", "39", "", "00"},
    {"AR", "54", "0", "00"},  {"MX", "52", "01", "00"},  {"BR", "55", "0", "0021"},
    {"CN", "86", "0", "00"},  {"IN", "91", "0", "00"},   {"CA", "1", "1", "011"},
    {"JP", "81", "0", "010"}, {"AU", "61", "0", "0011"}, {"PL", "48", "", "00"},
    {"TR", "90", "0", "00"},  {"UZ", "998", "8", "810"}, {"GG", "44", "0", "00"},
    {"AG", "1", "1", "011"},  {"IL", "972", "0", "00"},  {"SM", "378", "", "00"},
};
#define NREGIONS (sizeof regions / sizeof *regions)

#define POOL 64

struct gen {
    const struct region *r;
    char pool[POOL][24]; /* national numbers the reference found valid */
    unsigned pooled;
};

static void add_digits(char *buf, size_t *n, unsigned count)
{
    for (unsigned i = 0; i < count; i++)
        buf[(*n)++] = (char)('0' + below(10));
}

static void add_str(char *buf, size_t *n, const char *s)
{
    size_t l = strlen(s);
    memcpy(buf + *n, s, l);
    *n += l;
}

/* Calling codes of no region ("001" in libphonenumber's metadata). */
static const char *const global_codes[] = {"800", "808", "870", "881", "882", "883", "888", "979"};

/* An input in one of the shapes phones arrive in, before punctuation. */
static size_t make_core(struct gen *g, char *buf)
{
    const struct region *r = g->r, *other = &regions[below(NREGIONS)];
    const char *other_cc = below(8) ? other->cc : global_codes[below(8)];
    size_t n = 0;
    switch (below(g->pooled ? 10 : 6)) {
    case 0: add_digits(buf, &n, 3 + below(15)); break;
    case 1:
        add_str(buf, &n, "+");
        add_digits(buf, &n, 3 + below(15));
        break;
    case 2:
        add_str(buf, &n, r->national_prefix);
        add_digits(buf, &n, 5 + below(8));
        break;
    case 3:
        add_str(buf, &n, r->idd);
        add_str(buf, &n, below(8) == 0 ? "0" : below(2) ? other_cc : r->cc);
        add_digits(buf, &n, 4 + below(9));
        break;
    case 4:
        add_str(buf, &n, r->cc);
        add_digits(buf, &n, 5 + below(8));
        break;
    case 5:
        add_str(buf, &n, "+");
        add_str(buf, &n, below(4) ? r->cc : other_cc);
        if (below(4) == 0)
            add_str(buf, &n, r->national_prefix);
        add_digits(buf, &n, 5 + below(8));
        break;
    default: {
        /* A number known to be valid, spelt one of the usual ways. */
        static const char *const shapes[] = {"+C N",    "C N",    "P N",   "I C N",
                                             "N",       "+C P N", "0 N",   "+C (P) N",
                                             "I C P N", "C P N",  "(P N)", "+I C N"};
        char nsn[24];
        snprintf(nsn, sizeof nsn, "%s", g->pool[below(g->pooled)]);
        /* Half the time a neighbour: the same first digits (area code,
         * mobile prefix), the rest random, which reaches the rarer types. */
        if (below(2))
            for (size_t i = 1 + below(4); nsn[i]; i++)
                nsn[i] = (char)('0' + below(10));
        for (const char *p = shapes[below(sizeof shapes / sizeof *shapes)]; *p; p++) {
            if (*p == 'C')
                add_str(buf, &n, r->cc);
            else if (*p == 'P')
                add_str(buf, &n, r->national_prefix);
            else if (*p == 'I')
                add_str(buf, &n, r->idd);
            else if (*p == 'N')
                add_str(buf, &n, nsn);
            else
                buf[n++] = *p;
        }
        /* Sometimes a digit too many or too few. */
        if (below(8) == 0)
            add_digits(buf, &n, 1);
        else if (below(8) == 0)
            n--;
        break;
    }
    }
    return n;
}

/* Separators people type, and now and then something the fast path must
 * leave to libphonenumber. */
static size_t punctuate(const char *core, size_t n, char *buf)
{
    static const char *const seps[] = {" ", "-", ".", "/", "(", ")", " - ", "  ", "\t", ") "};
    static const char *const odd[] = {
        "x", "#", ";", "*", ",", "ext.", "+", "\xef\xbc\x8b" /* fullwidth plus */, "a", "(0)",
        "\xd0\xb4\xd0\xbe\xd0\xb1" /* Russian "ext." */, "~", "\t", "" /* a NUL byte */};
    size_t m = 0;
    unsigned style = below(8);
    if (style == 0)
        add_str(buf, &m, seps[below(10)]);
    for (size_t i = 0; i < n; i++) {
        buf[m++] = core[i];
        if (style >= 4 && i + 1 < n && below(4) == 0)
            add_str(buf, &m, seps[below(style == 7 ? 10 : 6)]);
        if (style == 1 && below(16) == 0) {
            const char *o = odd[below(sizeof odd / sizeof *odd)];
            if (*o)
                add_str(buf, &m, o);
            else
                buf[m++] = '\0';
        }
    }
    if (style == 0)
        add_str(buf, &m, seps[below(10)]);
    if (style == 2)
        add_str(buf, &m, below(2) ? " ext 12" : " #");
    return m;
}

struct totals {
    size_t inputs, valid, fast, slow;
};

/* A distinct RU mobile for each i (i times a constant prime to 10 permutes
 * 0..10^9-1), in one of four spellings. */
static void mobile(char *buf, size_t size, unsigned i)
{
    static const char *const shapes[] = {"8 (9%02u) %03u-%02u-%02u", "+7 9%02u %03u %02u %02u",
                                         "89%02u%03u%02u%02u", "+7(9%02u)%03u-%02u-%02u"};
    unsigned v = (unsigned)(((uint64_t)i * 2654435761u) % 1000000000u);
    snprintf(buf, size, shapes[i % 4], v / 10000000, v / 10000 % 1000, v / 100 % 100, v % 100);
}

/* Asks for n distinct numbers never asked before (from 10^8 on): the cache
 * finds none, and stops keeping the fast path's answers. */
static void tire_cache(struct cdp_phone_normalizer *pn, unsigned n)
{
    char in[32], out[CDP_PHONE_E164_MAX];
    for (unsigned i = 0; i < n; i++) {
        mobile(in, sizeof in, 100000000u + i);
        cdp_phone_normalize(pn, in, strlen(in), out, NULL);
    }
}

/* tired: the cache has been found useless first (tire_cache), so that the
 * answers are the fast path's own, not the cache's. */
static void differential(const struct region *r, unsigned count, struct totals *t, bool tired)
{
    struct cdp_phone_normalizer *pn = new_normalizer(r->code);
    size_t f0, s0, c0;
    if (tired)
        tire_cache(pn, 8192);
    cdp_phone_normalizer_stats(pn, &f0, &s0, &c0);
    struct gen g = {.r = r, .pooled = 0};
    size_t cclen = strlen(r->cc);
    for (unsigned i = 0; i < count; i++) {
        char core[128], in[1024];
        size_t n = make_core(&g, core), len = n;
        if (below(5))
            len = punctuate(core, n, in);
        else
            memcpy(in, core, n);
        struct answer want = reference(pn, in, len), got = fast(pn, in, len),
                      again = fast(pn, in, len);
        size_t note = cdp_phone_note_at(in, len);
        if (!want.valid && note < len)
            want = reference(pn, in, note);
        CHECK(same(&want, &got) && same(&want, &again),
              "%s [%.*s]: reference %d \"%s\" %s, fast %d \"%s\" %s, cached %d \"%s\" %s", r->code,
              (int)len, in, want.valid, want.e164, cdp_phone_type_name(want.type), got.valid,
              got.e164, cdp_phone_type_name(got.type), again.valid, again.e164,
              cdp_phone_type_name(again.type));
        check_answer(&got, want.valid);
        t->inputs++;
        if (!want.valid)
            continue;
        t->valid++;
        /* The country of the number: cdp_phone_region against libphonenumber. */
        char region[3], region_ref[3];
        int rc = cdp_phone_region(pn, got.e164, region),
            rc_ref = cdp_phone_region_reference(pn, got.e164, region_ref);
        CHECK(rc == rc_ref && !strcmp(region, region_ref), "%s: region \"%s\", reference \"%s\"",
              got.e164, region, region_ref);
        if (!strncmp(want.e164 + 1, r->cc, cclen)) {
            unsigned slot = g.pooled < POOL ? g.pooled++ : below(POOL);
            snprintf(g.pool[slot], sizeof g.pool[slot], "%s", want.e164 + 1 + cclen);
        }
    }
    size_t f, s, c;
    cdp_phone_normalizer_stats(pn, &f, &s, &c);
    /* Each input is asked twice in a row: the cache is worth keeping (tired,
     * it is again after a window of 4,096 calls, some 1,400 inputs). */
    CHECK(c - c0 >= (tired ? count / 4 : count), "%s: %zu cache hits for %u repeated inputs",
          r->code, c - c0, count);
    cdp_phone_normalizer_free(pn);
    t->fast += f - f0;
    t->slow += s - s0;
}

/* ---- 3. notes ---- */

static void test_notes(void)
{
    static const struct {
        const char *in, *e164, *type;
        size_t note; /* cdp_phone_note_at */
    } cases[] = {
        {"\xd1\x82\xd0\xb5\xd0\xbb. 89605115599 (\xd0\xbc\xd0\xbe\xd0\xb1.)", "+79605115599", "mobile", 20},
        {"8(921)3251596 (\xd0\xbc\xd0\xbe\xd0\xb1.)", "+79213251596", "mobile", 14},
        {"+7 974 096 77 11 (\xd1\x80\xd0\xb0\xd0\xb1.)", "+79740967711", "mobile", 17},
        {"89605115599, \xd0\xbc\xd0\xbe\xd0\xb1.", "+79605115599", "mobile", 11},
        {"8 (495) 123-45-67 (home) (work)", "+74951234567", "fixed_line", 18},
        /* no note: the area code in brackets is part of the number */
        {"8 (921) 325-15-96", "+79213251596", "mobile", 17},
        {"8(921)", "", "unknown", 6},
        /* a note does not make a number of what is left */
        {"8921 (\xd0\xbc\xd0\xbe\xd0\xb1.)", "", "unknown", 5},
        {"(\xd0\xbc\xd0\xbe\xd0\xb1.)", "", "unknown", 0},
    };
    struct cdp_phone_normalizer *pn = new_normalizer("RU");
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *in = cases[i].in;
        size_t len = strlen(in);
        CHECK(cdp_phone_note_at(in, len) == cases[i].note, "[%s]: note at %zu, want %zu", in,
              cdp_phone_note_at(in, len), cases[i].note);
        for (int again = 0; again < 2; again++) {
            struct answer a = fast(pn, in, len);
            CHECK(!strcmp(a.e164, cases[i].e164) && !strcmp(cdp_phone_type_name(a.type), cases[i].type),
                  "[%s] gave \"%s\" %s, want \"%s\" %s", in, a.e164, cdp_phone_type_name(a.type),
                  cases[i].e164, cases[i].type);
            check_answer(&a, cases[i].e164[0] != '\0');
        }
        /* what libphonenumber says of the number without its note */
        struct answer r = reference(pn, in, cases[i].note);
        CHECK(!strcmp(r.e164, cases[i].e164), "[%.*s]: reference \"%s\"", (int)cases[i].note, in, r.e164);
    }
    CHECK(cdp_phone_note_at("", 0) == 0, "empty");
    cdp_phone_normalizer_free(pn);
}

/* ---- 4. the benchmark ---- */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The cache stops keeping the fast path's answers when nothing is found
 * again (a CRM export: each number new), and starts again when numbers come
 * back; the benchmark's numbers. */
static void benchmark(void)
{
    enum { N = 200000, NREF = 3000, REPEATED = 1000 };
    static char inputs[N][24];
    for (unsigned i = 0; i < N; i++)
        mobile(inputs[i], sizeof inputs[i], i);
    struct cdp_phone_normalizer *pn = new_normalizer("RU");
    char out[CDP_PHONE_E164_MAX];
    int valid = 0;
    double t0 = now();
    for (unsigned i = 0; i < N; i++)
        valid += cdp_phone_normalize(pn, inputs[i], strlen(inputs[i]), out, NULL);
    double t1 = now();
    size_t f1, s1, c1;
    cdp_phone_normalizer_stats(pn, &f1, &s1, &c1);
    /* Seen again: only the sample of the inputs is looked up. */
    for (unsigned i = 0; i < REPEATED; i++)
        valid += cdp_phone_normalize(pn, inputs[i], strlen(inputs[i]), out, NULL);
    size_t f2, s2, c2;
    cdp_phone_normalizer_stats(pn, &f2, &s2, &c2);
    double t2 = now();
    for (unsigned i = 0; i < N; i++)
        valid += cdp_phone_normalize(pn, inputs[i % REPEATED], strlen(inputs[i % REPEATED]), out, NULL);
    double t3 = now();
    for (unsigned i = 0; i < NREF; i++)
        valid += cdp_phone_normalize_reference(pn, inputs[i], strlen(inputs[i]), out, NULL);
    double t4 = now();
    size_t f, s, c;
    cdp_phone_normalizer_stats(pn, &f, &s, &c);
    CHECK(valid == 2 * N + REPEATED + NREF, "%d of %d benchmark numbers valid", valid,
          2 * N + REPEATED + NREF);
    CHECK(f1 == N && c1 == 0, "distinct: fast %zu, cached %zu of %d", f1, c1, N);
    CHECK(c2 - c1 > 0 && c2 - c1 < REPEATED / 4, "seen again, not kept: %zu of %d cached",
          c2 - c1, REPEATED);
    CHECK(c - c2 >= N * 9 / 10, "repeated: %zu of %d cached", c - c2, N);
    printf("test_phone: benchmark, %d distinct RU mobiles: first sight (fast path) %.0f ns/call; "
           "%d of them asked %d times: %.0f ns/call (cache hit: %zu of %d); libphonenumber %.0f "
           "ns/call\n",
           N, (t1 - t0) / N * 1e9, REPEATED, N / REPEATED, (t3 - t2) / N * 1e9, c - c2, N,
           (t4 - t3) / NREF * 1e9);
    cdp_phone_normalizer_free(pn);
}

int main(int argc, char **argv)
{
    (void)argc;
    test_interface();
    test_spellings(argv[0]);
    test_notes();

    rng_state = 20240601;
    struct totals t = {0, 0, 0, 0};
    for (size_t i = 0; i < NREGIONS; i++)
        differential(&regions[i], 2500, &t, false);
    /* Again for a few, the cache found useless first. */
    for (size_t i = 0; i < 6; i++)
        differential(&regions[i], 2500, &t, true);
    printf("test_phone: differential, %zu inputs in %zu regions, 6 of them twice (%zu valid): fast path %zu "
           "(%.1f%%), libphonenumber %zu, all agree\n",
           t.inputs, NREGIONS, t.valid, t.fast, 100.0 * (double)t.fast / (double)(t.fast + t.slow),
           t.slow);

    benchmark();
    printf("test_phone: %lu checks passed\n", checks);
    return 0;
}
