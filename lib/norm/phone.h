/* phone.h: telephone numbers to E.164, agreeing with Google's libphonenumber.
 *
 * libphonenumber's Parse + IsValidNumber cost about 35 microseconds a call on
 * this project's machines (measured), which would dominate a nightly ingest of
 * millions of unique phones. This module reads libphonenumber's own metadata
 * (the same patterns, compiled once with PCRE2's JIT) and handles the common
 * spellings (digits with spaces, dashes, dots, slashes, brackets, an optional
 * leading '+') with a port of libphonenumber's parsing rules; anything else
 * (letters, extensions, unusual punctuation) goes to libphonenumber itself.
 * Results are cached by their input: libphonenumber's always, the fast
 * path's while inputs are found again (where each number is new, as in a CRM
 * export, keeping them cost more than it saved; a sample of inputs is still
 * looked up, to see when they come again). Answers never depend on the
 * cache. tests/unit/test_phone.c checks that both paths agree with
 * libphonenumber on real spellings and random numbers.
 *
 * One addition: a number libphonenumber rejects is read again without a
 * trailing note (cdp_phone_note_at), as 1C exports write them and newer
 * libphonenumber versions read them: "8(921)3251596 (моб.)",
 * "+7 974 096 77 11 (раб.)", "89605115599, моб.".
 *
 * A normaliser is not thread-safe; use one per thread. */
#ifndef CDP_NORM_PHONE_H
#define CDP_NORM_PHONE_H

#include <stddef.h>

/* Longest E.164 string: '+', a country code of up to 3 digits and up to 17
 * national digits, NUL; rounded up. ITU-T E.164 caps a number at 15 digits,
 * but libphonenumber (whose answer this module gives) accepts longer numbers
 * where a plan has them: a German fixed line has up to 15 national digits,
 * so +49 and 15 digits (17) is valid. */
#define CDP_PHONE_E164_MAX 24

enum cdp_phone_type {
    CDP_PHONE_UNKNOWN = 0,
    CDP_PHONE_FIXED_LINE,
    CDP_PHONE_MOBILE,
    CDP_PHONE_FIXED_LINE_OR_MOBILE,
    CDP_PHONE_TOLL_FREE,
    CDP_PHONE_PREMIUM_RATE,
    CDP_PHONE_SHARED_COST,
    CDP_PHONE_VOIP,
    CDP_PHONE_PERSONAL_NUMBER,
    CDP_PHONE_PAGER,
    CDP_PHONE_UAN,
    CDP_PHONE_VOICEMAIL,
};

struct cdp_phone_normalizer;

/* region: ISO 3166-1 alpha-2 code ("RU") used for numbers written without a
 * country code. Returns NULL and fills err (when not NULL, at least 128 bytes)
 * when the region is unknown to libphonenumber. */
struct cdp_phone_normalizer *cdp_phone_normalizer_new(const char *region,
                                                      char *err, size_t errlen);
void cdp_phone_normalizer_free(struct cdp_phone_normalizer *pn);

/* Normalises text (len bytes of UTF-8, not necessarily NUL-terminated).
 * Returns 1 when libphonenumber would call the number valid: out holds the
 * E.164 form ("+79123456789") and *type (when type is not NULL) its type.
 * Returns 0 when the text is not a valid number (out is then ""). */
int cdp_phone_normalize(struct cdp_phone_normalizer *pn, const char *text, size_t len,
                        char out[CDP_PHONE_E164_MAX], enum cdp_phone_type *type);

/* Starts loading the part of the cache where text's answer would be, so
 * that a cdp_phone_normalize call a little later does not wait for memory;
 * nothing while the cache is not used for every input. */
void cdp_phone_prefetch(const struct cdp_phone_normalizer *pn, const char *text, size_t len);

/* Where a note begins in text, or len when it has none: at the first comma,
 * and before any parenthesised group holding a letter at the end ("(моб.)",
 * "(раб.)"; not "(921)"). The number is read without it only when
 * libphonenumber rejects the whole. */
size_t cdp_phone_note_at(const char *text, size_t len);

/* The same answer computed by libphonenumber alone, without the fast path or
 * the cache: for tests that check the two agree. */
int cdp_phone_normalize_reference(struct cdp_phone_normalizer *pn, const char *text,
                                  size_t len, char out[CDP_PHONE_E164_MAX],
                                  enum cdp_phone_type *type);

/* The country of a number that cdp_phone_normalize called valid, given in
 * its E.164 form: writes the ISO 3166-1 alpha-2 code ("RU", "KZ" for
 * +7 7xx, "GB", "JE" for a Jersey mobile) into region and returns 1, as
 * libphonenumber's GetRegionCodeForNumber says; returns 0 (region "") for a
 * number of no country (+800, +882...) or text that is not E.164. */
int cdp_phone_region(struct cdp_phone_normalizer *pn, const char *e164, char region[3]);

/* The same answer computed by libphonenumber alone, for tests. */
int cdp_phone_region_reference(struct cdp_phone_normalizer *pn, const char *e164, char region[3]);

/* How many calls were answered by the fast path, by libphonenumber, and
 * from the cache (for tests and benchmarks). Any pointer may be NULL. */
void cdp_phone_normalizer_stats(const struct cdp_phone_normalizer *pn, size_t *fast, size_t *slow,
                                size_t *cached);

/* For tests: the i-th whole-string number pattern of libphonenumber's
 * metadata (a national_number_pattern of any desc of any region, in the
 * metadata's order), NUL-terminated; NULL when i is past the last. */
const char *cdp_phone_pattern(const struct cdp_phone_normalizer *pn, size_t i);

/* A stable lower-case name for a type ("mobile", "fixed_line", ...). */
const char *cdp_phone_type_name(enum cdp_phone_type type);

#endif
