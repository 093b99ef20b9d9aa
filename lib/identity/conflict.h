/* conflict.h: when the records of two groups are certainly two people.
 *
 * The identity graph never joins two groups whose records disagree on a
 * stable attribute (graph.h). Disagree means certainly different, not
 * merely unequal, so that a typo does not split a person while a mother and
 * son who share an e-mail stay two:
 *
 *  - birth_date: two dates more than one typo apart. One typo is one digit
 *    replaced by its neighbour on the keyboard (1983-01-19, 1983-01-18;
 *    1983, 1973), two adjacent digits transposed (1983-01-19, 1983-10-19)
 *    or the day and month swapped (1983-05-07, 1983-07-05); 1961 and 1991
 *    are not one typo apart. Text that is not a date conflicts with any
 *    other text.
 *  - gender: two explicit genders that differ: m and f, or words
 *    norm/vocab.h reads as them (М, жен, female); a value that is neither
 *    conflicts with nothing.
 *  - first_name: given names that are not spellings of one name: not equal
 *    once folded (case, Ё, script), nor of one transliteration key, nor one
 *    the initial of the other, more than one edit apart and less alike than
 *    Jaro-Winkler 0.8 (Елена, Elena and Helen are one name; Тимур and
 *    Александр, Екатерина and Галина are not), unless the given and family
 *    names are swapped in one record (Попов Даниил, Даниил Попов).
 *  - middle_name (a patronymic), last_name: names more than one edit apart
 *    once folded and not of one transliteration key: patronymics share
 *    their ending, so similarity says little (Алексеевна, Александровна).
 *  - any other field (--conflict): values that differ as text.
 *
 * (The names matter where one record lacks a birth date: on 100,000
 * generated persons, 17 family members who share an e-mail or a home phone
 * were merged by the birth date and gender alone.)
 *
 * Values are compared by their ids in the graph's table of conflict values;
 * what the comparison needs of a value (its fold, its key) is worked out
 * once and kept. Not thread-safe: the graph resolves on one thread. */
#ifndef CDP_IDENTITY_CONFLICT_H
#define CDP_IDENTITY_CONFLICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "io/record.h"

enum cdp_conflict_rule {
    CDP_CONFLICT_DATE,
    CDP_CONFLICT_GENDER,
    CDP_CONFLICT_GIVEN_NAME,
    CDP_CONFLICT_NAME,
    CDP_CONFLICT_TEXT,
};

/* The rule of a conflict field, by its name. */
enum cdp_conflict_rule cdp_conflict_rule_of(const char *field);

/* Appends to out the value of field in r that the rule compares (for a
 * given name: the first name, '\x1F', the last name, so that a swap can be
 * seen); false, out unchanged, when r has none. */
bool cdp_conflict_value(enum cdp_conflict_rule rule, const char *field, const struct cdp_record *r,
                        struct cdp_buf *out);

/* The part of a value to show (a given name without its last name). */
size_t cdp_conflict_shown_len(const char *value, size_t len);

struct cdp_conflict_cache;

struct cdp_conflict_cache *cdp_conflict_cache_new(void);
void cdp_conflict_cache_free(struct cdp_conflict_cache *c);

/* Whether values a and b (ids in the caller's table, and their text) are
 * certainly different under rule. Equal ids never are. */
bool cdp_conflict_differ(struct cdp_conflict_cache *c, enum cdp_conflict_rule rule, uint32_t a,
                         const char *atext, size_t alen, uint32_t b, const char *btext, size_t blen);

/* The same for two texts, without a cache (for tests and one-off checks). */
bool cdp_conflict_differ_text(enum cdp_conflict_rule rule, const char *a, size_t alen, const char *b,
                              size_t blen);

#endif
