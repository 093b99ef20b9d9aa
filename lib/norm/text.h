/* text.h: Unicode-aware text clean-up shared by the normalisers (utf8proc).
 *
 * All functions take UTF-8 (already validated by the reader) and append to
 * a cdp_buf; none of them allocates anything the caller must free. */
#ifndef CDP_NORM_TEXT_H
#define CDP_NORM_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

/* Trims white space (any Unicode space, including NO-BREAK SPACE), collapses
 * inner runs of it to one ASCII space, and composes to NFC. */
void cdp_text_clean(struct cdp_buf *out, const char *s, size_t len);

/* Lower-cases (full Unicode simple case mapping). */
void cdp_text_lower(struct cdp_buf *out, const char *s, size_t len);

/* Lower-cases into dst (NUL-terminated); returns the length, or 0 when it
 * does not fit in cap bytes. For short words: no allocation. */
size_t cdp_text_lower_to(char *dst, size_t cap, const char *s, size_t len);

/* Title Case for names: in each word (split at space, '-', U+2010, '.',
 * apostrophes) the
 * first letter upper-cased and the rest lower-cased, but only when the word
 * is all upper-case or all lower-case: "McDonald" and "DiCaprio" are kept.
 * NFC text stays NFC. */
void cdp_text_title(struct cdp_buf *out, const char *s, size_t len);

/* Whether s has at least one letter (Unicode category L*). */
bool cdp_text_has_letter(const char *s, size_t len);

/* Trims ASCII and Unicode white space at both ends, without copying. */
void cdp_text_trim(const char **s, size_t *len);

/* cdp_text_trim, cdp_text_clean and cdp_text_title without their fast paths
 * (ASCII and basic Cyrillic handled byte by byte, measured in cdp-ingest on
 * a 1C export): every code point through the general code, for the unit
 * test that checks both give the same bytes. */
void cdp_text_trim_reference(const char **s, size_t *len);
void cdp_text_clean_reference(struct cdp_buf *out, const char *s, size_t len);
void cdp_text_title_reference(struct cdp_buf *out, const char *s, size_t len);

#endif
