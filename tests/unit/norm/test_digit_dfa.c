/* test_digit_dfa.c: lib/norm/digit_dfa.h against PCRE2 (the engine it stands
 * in for in phone.cc).
 *
 * 1. Small patterns with answers written out, and the syntax it must refuse.
 * 2. Every whole-string number pattern of libphonenumber's metadata: the
 *    automaton and PCRE2 (anchored at both ends) must agree on strings that
 *    follow the pattern digit by digit (PCRE2's partial matching says which
 *    digits can come next: most of these match), on the same with a digit
 *    changed, added or dropped, on random digit strings, and on strings
 *    with something other than a digit. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "gen/gen_rng.h"
#include "norm/digit_dfa.h"
#include "norm/phone.h"

static bool dfa_says(const char *pattern, const char *s)
{
    struct cdp_digit_dfa *d = cdp_digit_dfa_new(pattern, strlen(pattern), 10000);
    if (!d) {
        fprintf(stderr, "test_digit_dfa: [%s] refused\n", pattern);
        return false;
    }
    bool m = cdp_digit_dfa_match(d, s, strlen(s));
    cdp_digit_dfa_free(d);
    return m;
}

static bool refused(const char *pattern, size_t max_states)
{
    struct cdp_digit_dfa *d = cdp_digit_dfa_new(pattern, strlen(pattern), max_states);
    cdp_digit_dfa_free(d);
    return d == NULL;
}

static void test_written_out(void)
{
    CHECK(dfa_says("123", "123"));
    CHECK(!dfa_says("123", "12"));
    CHECK(!dfa_says("123", "1234"));
    CHECK(!dfa_says("123", ""));
    CHECK(dfa_says("\\d{3}", "907"));
    CHECK(!dfa_says("\\d{3}", "9070"));
    CHECK(dfa_says("[1-35-79]", "6"));
    CHECK(!dfa_says("[1-35-79]", "4"));
    CHECK(!dfa_says("[1-35-79]", "8"));
    CHECK(dfa_says("[1\\d]", "0"));
    CHECK(dfa_says("8\\d{13}|[347-9]\\d{9}", "9123456789"));
    CHECK(dfa_says("8\\d{13}|[347-9]\\d{9}", "81234567890123"));
    CHECK(!dfa_says("8\\d{13}|[347-9]\\d{9}", "5123456789"));
    CHECK(!dfa_says("8\\d{13}|[347-9]\\d{9}", "912345678"));
    CHECK(dfa_says("1\\d{2,4}", "100"));
    CHECK(dfa_says("1\\d{2,4}", "10000"));
    CHECK(!dfa_says("1\\d{2,4}", "10"));
    CHECK(!dfa_says("1\\d{2,4}", "100000"));
    CHECK(dfa_says("(?:12)?3", "3"));
    CHECK(dfa_says("(?:12)?3", "123"));
    CHECK(!dfa_says("(?:12)?3", "13"));
    CHECK(dfa_says("(1|23)+", "1231"));
    CHECK(!dfa_says("(1|23)+", ""));
    CHECK(dfa_says("(1|23)*", ""));
    CHECK(!dfa_says("(1|23)*", "12"));
    CHECK(dfa_says("5{2,}", "5555"));
    CHECK(!dfa_says("5{2,}", "5"));
    CHECK(dfa_says("5{0}6", "6"));
    CHECK(dfa_says("(?:|7)8", "8"));
    CHECK(dfa_says("(?:|7)8", "78"));
    CHECK(dfa_says("", ""));
    CHECK(!dfa_says("", "1"));
    struct cdp_digit_dfa *any = cdp_digit_dfa_new("3[04-689]|[489]|", 16, 100);
    CHECK(any != NULL && cdp_digit_dfa_match_prefix(any, "7", 1)); /* the empty alternative */
    cdp_digit_dfa_free(any);
    /* Only ASCII digits are digits; a NUL byte is no digit. */
    CHECK(!dfa_says("\\d", "a"));
    CHECK(!dfa_says("\\d\\d", "1\xd9"));
    struct cdp_digit_dfa *d = cdp_digit_dfa_new("1\\d9", 3, 100);
    CHECK(d != NULL && cdp_digit_dfa_match(d, "1\0", 2) == false);
    CHECK(d != NULL && cdp_digit_dfa_match(d, "19", 2) == true);
    /* Only len bytes of the pattern count: "1\\d", not "1\\d9". */
    CHECK(d != NULL && cdp_digit_dfa_match(d, "199", 3) == false);
    /* A beginning: "19" of "199", not "1" alone. */
    CHECK(d != NULL && cdp_digit_dfa_match_prefix(d, "199", 3) == true);
    CHECK(d != NULL && cdp_digit_dfa_match_prefix(d, "1", 1) == false);
    CHECK(d != NULL && cdp_digit_dfa_match_prefix(d, "1a9", 3) == false);
    CHECK(d != NULL && cdp_digit_dfa_states(d) == 4); /* dead, start, 1, 1\d */
    cdp_digit_dfa_free(d);
    cdp_digit_dfa_free(NULL);

    /* What it must leave to a regular-expression engine. */
    static const char *const others[] = {
        "^1",   "1$",    "1.",     "\\w",   "\\D",    "[^1]",  "[a-c]",  "[12",  "[]1]",
        "1{2}?", "1++",  "1*?",    "1{2}{3}", "(?=1)1", "(?i)1", "(?<n>1)", "a",  "1{",
        "1{x}", "1{3,2}", "(1",    "1)",    "1|(2",   "?1",    "*",      "[3-1]", "1{65}",
        "\\1",  "1\\",   "[1-\\d]",
    };
    for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
        bool r = refused(others[i], 10000);
        if (!r)
            fprintf(stderr, "test_digit_dfa: [%s] not refused\n", others[i]);
        CHECK(r);
    }
    /* Too many states for the limit given. */
    CHECK(refused("\\d{10}", 5));
    CHECK(!refused("\\d{10}", 12));
    CHECK(refused("1", 1));
}

/* ---- 2. libphonenumber's patterns ---- */

static uint64_t rng_state = 20261205; /* splitmix64's (gen/gen_rng.h): the same inputs every run */

static unsigned below(unsigned n)
{
    return (unsigned)(gen_splitmix(&rng_state) % n);
}

struct engines {
    const char *pattern;
    pcre2_code *full, *partial;
    pcre2_match_data *md;
    struct cdp_digit_dfa *dfa;
    unsigned long compared, matched;
};

static bool pcre2_says(struct engines *e, const char *s, size_t n)
{
    return pcre2_match(e->full, (PCRE2_SPTR)s, n, 0, 0, e->md, NULL) >= 0;
}

/* The whole string, and some beginning of it (PCRE2 anchored at the start
 * only: e->partial without its partial flag). */
static void compare(struct engines *e, const char *s, size_t n)
{
    bool want = pcre2_says(e, s, n), got = cdp_digit_dfa_match(e->dfa, s, n);
    bool want_prefix = pcre2_match(e->partial, (PCRE2_SPTR)s, n, 0, 0, e->md, NULL) >= 0;
    bool got_prefix = cdp_digit_dfa_match_prefix(e->dfa, s, n);
    e->compared++;
    e->matched += want;
    if (want != got || want_prefix != got_prefix)
        fprintf(stderr, "test_digit_dfa: [%s] on \"%.*s\": PCRE2 %d (a beginning %d), automaton %d (%d)\n",
                e->pattern, (int)n, s, want, want_prefix, got, got_prefix);
    CHECK(want == got);
    CHECK(want_prefix == got_prefix);
}

/* A string that follows the pattern: each digit is one that PCRE2 says can
 * still lead to a match; it stops at a match, now and then, or when no digit
 * can follow. */
static size_t walk(struct engines *e, char *s, size_t max)
{
    size_t n = 0;
    while (n < max) {
        if (n > 0 && pcre2_says(e, s, n) && below(3) == 0)
            break;
        unsigned start = below(10);
        bool moved = false;
        for (unsigned k = 0; k < 10 && !moved; k++) {
            s[n] = (char)('0' + (start + k) % 10);
            if (pcre2_match(e->partial, (PCRE2_SPTR)s, n + 1, 0, PCRE2_PARTIAL_HARD, e->md, NULL) !=
                PCRE2_ERROR_NOMATCH)
                moved = true;
        }
        if (!moved)
            break;
        n++;
    }
    return n;
}

static void exercise(struct engines *e)
{
    char s[32], t[32];
    compare(e, "", 0);
    for (int w = 0; w < 12; w++) {
        size_t n = walk(e, s, 20);
        compare(e, s, n);
        /* a digit changed, one added, one dropped, one not a digit */
        if (n > 0) {
            memcpy(t, s, n);
            t[below((unsigned)n)] = (char)('0' + below(10));
            compare(e, t, n);
            memcpy(t, s, n);
            t[below((unsigned)n)] = "a+ /\xd0"[below(5)];
            compare(e, t, n);
            compare(e, s, n - 1);
        }
        memcpy(t, s, n);
        t[n] = (char)('0' + below(10));
        compare(e, t, n + 1);
    }
    for (int r = 0; r < 8; r++) {
        size_t n = below(19);
        for (size_t i = 0; i < n; i++)
            s[i] = (char)('0' + below(10));
        compare(e, s, n);
    }
}

static void test_phone_patterns(void)
{
    char err[128];
    struct cdp_phone_normalizer *pn = cdp_phone_normalizer_new("RU", err, sizeof err);
    CHECK(pn != NULL);
    if (!pn)
        return;
    size_t patterns = 0, refused_count = 0, most_states = 0;
    unsigned long compared = 0, matched = 0;
    const char *pattern;
    for (size_t i = 0; (pattern = cdp_phone_pattern(pn, i)); i++) {
        struct engines e = {.pattern = pattern};
        int code;
        PCRE2_SIZE off;
        size_t len = strlen(pattern);
        e.full = pcre2_compile((PCRE2_SPTR)pattern, len, PCRE2_ANCHORED | PCRE2_ENDANCHORED, &code,
                               &off, NULL);
        e.partial = pcre2_compile((PCRE2_SPTR)pattern, len, PCRE2_ANCHORED | PCRE2_NO_START_OPTIMIZE,
                                  &code, &off, NULL);
        e.md = pcre2_match_data_create(16, NULL);
        e.dfa = cdp_digit_dfa_new(pattern, len, 20000);
        CHECK(e.full && e.partial && e.md);
        patterns++;
        if (!e.dfa) {
            refused_count++;
            fprintf(stderr, "test_digit_dfa: libphonenumber's [%s] refused\n", pattern);
        } else if (e.full && e.partial && e.md) {
            if (cdp_digit_dfa_states(e.dfa) > most_states)
                most_states = cdp_digit_dfa_states(e.dfa);
            exercise(&e);
            compared += e.compared;
            matched += e.matched;
        }
        cdp_digit_dfa_free(e.dfa);
        pcre2_match_data_free(e.md);
        pcre2_code_free(e.full);
        pcre2_code_free(e.partial);
    }
    cdp_phone_normalizer_free(pn);
    /* phone.cc counts on the automaton for every pattern (20,000 states at
     * most): a pattern refused would quietly take PCRE2's slower path. */
    CHECK(patterns > 1000);
    CHECK(refused_count == 0);
    CHECK(matched > compared / 10); /* the walks reach matches (a sixth are walks) */
    printf("test_digit_dfa: %zu libphonenumber patterns (largest automaton %zu states), %lu "
           "strings (%lu matching) compared with PCRE2\n",
           patterns, most_states, compared, matched);
}

int main(void)
{
    test_written_out();
    test_phone_patterns();
    return check_report("test_digit_dfa");
}
