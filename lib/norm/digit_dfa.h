/* digit_dfa.h: a regular expression over the digits 0-9, compiled to a
 * deterministic automaton that answers "does the whole string match".
 *
 * What it is for: libphonenumber's number patterns (phone.cc), which are
 * regular expressions over digits and are only ever asked for a whole-string
 * match there. Run with PCRE2's JIT they were most of the cost of a phone
 * (1,530 instructions of 2,850 a phone on a CRM export, 8 matches a phone,
 * callgrind); the automaton reads each digit with one table look-up.
 *
 * The syntax understood is what those patterns use, and nothing more:
 * digits, \d, classes of digits and ranges ("[1-35-79]"), groups "(...)" and
 * "(?:...)", alternation, and the quantifiers ?, *, +, {n}, {n,} and {n,m}.
 * Anything else (anchors, '.', other escapes, negated classes, lazy or
 * possessive quantifiers, ...) makes cdp_digit_dfa_new return NULL, and the
 * caller keeps its regular-expression engine for that pattern; so does a
 * pattern whose automaton would need more than max_states states.
 *
 * A match is a match of the whole string, as PCRE2 with PCRE2_ANCHORED |
 * PCRE2_ENDANCHORED says (the language of the expression, which does not
 * depend on the order a backtracking engine tries alternatives in), or of
 * some beginning of it; where the match ends is not given (a backtracking
 * engine's answer depends on that order). A string
 * holding anything but ASCII digits never matches: \d is ASCII digits, as
 * PCRE2 reads it without PCRE2_UCP. tests/unit/norm/test_digit_dfa.c checks
 * the answers against PCRE2 on every pattern of libphonenumber's metadata.
 *
 * An automaton is immutable once made: matching is thread-safe. */
#ifndef CDP_NORM_DIGIT_DFA_H
#define CDP_NORM_DIGIT_DFA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The automaton: read-only to callers. The matching is inline below: a
 * phone number asks some six automata, and the calls were 65 of a phone's
 * 1,494 instructions (callgrind, 1M CRM slice). */
struct cdp_digit_dfa {
    uint32_t *next;   /* 10 per state: the state after each digit; 0 is the
                         dead state (all 0), 1 the start */
    uint8_t *accept;  /* one per state */
    size_t nstates;
};

/* Compiles pattern (len bytes, not necessarily NUL-terminated). NULL when
 * the syntax is not understood or the automaton would exceed max_states. */
struct cdp_digit_dfa *cdp_digit_dfa_new(const char *pattern, size_t len, size_t max_states);
void cdp_digit_dfa_free(struct cdp_digit_dfa *dfa);

/* The state after the digits of s (n bytes): 0, the dead state, which never
 * accepts, at a non-digit or where the language stops; with stop_at_accept,
 * the first accepting state met on the way (the empty beginning included). */
static inline uint32_t cdp_digit_dfa_walk(const struct cdp_digit_dfa *dfa, const char *s, size_t n,
                                          bool stop_at_accept)
{
    uint32_t state = 1;
    for (size_t i = 0; i < n && !(stop_at_accept && dfa->accept[state]); i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9)
            return 0;
        state = dfa->next[state * 10 + d];
        if (!state)
            return 0;
    }
    return state;
}

/* Whether the whole of s (n bytes) is in the pattern's language. */
static inline bool cdp_digit_dfa_match(const struct cdp_digit_dfa *dfa, const char *s, size_t n)
{
    return dfa->accept[cdp_digit_dfa_walk(dfa, s, n, false)];
}

/* Whether some beginning of s (the empty one included) is in the language:
 * PCRE2 with PCRE2_ANCHORED alone finds a match. */
static inline bool cdp_digit_dfa_match_prefix(const struct cdp_digit_dfa *dfa, const char *s,
                                              size_t n)
{
    return dfa->accept[cdp_digit_dfa_walk(dfa, s, n, true)];
}

/* How many states the automaton has (the dead state included). */
static inline size_t cdp_digit_dfa_states(const struct cdp_digit_dfa *dfa)
{
    return dfa->nstates;
}

#ifdef __cplusplus
}
#endif

#endif
