/* vocab.h: values from closed vocabularies, in Russian, English and more.
 *
 * Countries and regions come from ISO 3166 as Debian's iso-codes package
 * ships it, read at build time (tools/iso-vocab.c): for a country its
 * alpha-2 and alpha-3 codes, its English short, official and common names
 * and their translations into Russian, Ukrainian, Belarusian, Kazakh, Uzbek,
 * German, French, Spanish, Italian, Portuguese, Dutch and Polish (the
 * Makefile's ISO_LANGS); for a region (ISO 3166-2 subdivision) its code,
 * its name and its Russian, Ukrainian and Belarusian names (ISO_REGION_LANGS).
 * A small list of exporters' own spellings (EIRE, RSA, UK, USA, Россия,
 * РФ...) and of values that are not a country (Unspecified, European
 * Community, Channel Islands...) is lib/norm/vocab_aliases.txt.
 * Matching ignores case, accents, punctuation and spacing (vocab_key.h).
 *
 * Genders follow ISO/IEC 5218 (1 male, 2 female, 0 not known, 9 not
 * applicable) and the words of Russian and English exports; yes/no answers
 * the words 1C, spreadsheets and web forms write.
 *
 * A value may be a known way of saying that there is no value ("Unspecified",
 * "не указан", "-"): the lookups then give the reason, so that the caller can
 * leave it out rather than call it a typo. Reasons are stable words:
 *   unspecified        no value given (Unspecified, Unknown, не указано, -)
 *   several_countries  a group of countries or a place that spans several
 *                      (European Community, EU, Channel Islands, СНГ)
 *   not_applicable     ISO/IEC 5218's 9 for a gender
 *
 * The tables are constants: every function here may be called from any
 * thread. scratch is the caller's buffer, reset by each call. */
#ifndef CDP_NORM_VOCAB_H
#define CDP_NORM_VOCAB_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

/* Longest ISO 3166-2 code with its NUL ("GB-ABC", "FR-971"). */
#define CDP_REGION_CODE_MAX 8

/* 'm', 'f', or 0 when the text is not a gender word; then *reason (when
 * reason is not NULL) is why it is no value, or NULL when it is unknown. */
char cdp_gender_parse(const char *s, size_t len, const char **reason);

/* 1 yes, 0 no, -1 not a yes/no word; *reason as for genders. */
int cdp_bool_parse(const char *s, size_t len, const char **reason);

/* The ISO 3166-1 alpha-2 code ("RU", a constant string) the text names, or
 * NULL; then *reason (when reason is not NULL) is why it is no country, or
 * NULL when it is unknown. */
const char *cdp_country_lookup(struct cdp_buf *scratch, const char *s, size_t len,
                               const char **reason);

/* The ISO 3166-2 code ("RU-MOW", a constant string) of the region the text
 * names, or NULL. One name may belong to regions of several countries
 * (Limburg is in Belgium and in the Netherlands): country ("RU", may be NULL)
 * picks among them; without it a name that only one country has is taken,
 * else the region of home ("RU", may be NULL), else none. A region code
 * ("RU-MOW") is taken as it is. */
const char *cdp_region_lookup(struct cdp_buf *scratch, const char *s, size_t len,
                              const char *country, const char *home);

#endif
