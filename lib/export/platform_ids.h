/* platform_ids.h: identifiers written the way each platform hashes them.
 *
 * Ad platforms match hashed identifiers, so a value must be spelt exactly as
 * the platform spells it before SHA-256 (hash.h), or it never matches. The
 * rules, from the platforms' documentation (see cdp-export(1)):
 *
 * Google (Customer Match, Data Manager API "formatting" guide):
 *   e-mail lower-cased with all white space removed; for gmail.com and
 *   googlemail.com the dots of the local part removed and a '+' with all
 *   that follows it dropped; phone E.164 with '+'; names lower-cased and
 *   trimmed; country (ISO 3166-1 alpha-2) and postal code not hashed.
 * Meta (Custom Audiences, "Customer File Custom Audiences" guide):
 *   e-mail trimmed and lower-cased; phone digits only, with the country code
 *   and no '+'; first and last name and city lower-case letters only (no
 *   spaces, punctuation or digits; letters outside a-z are kept in UTF-8, as
 *   Meta accepts for names: there is no transliteration); zip lower-case
 *   without white space, the first 5 digits in the US; country lower-case
 *   alpha-2; year of birth YYYY; gender m or f.
 *
 * Every function appends to out (UTF-8 input) and returns whether it
 * appended anything: an empty or unusable value appends nothing, and an
 * empty value is never hashed. */
#ifndef CDP_EXPORT_PLATFORM_IDS_H
#define CDP_EXPORT_PLATFORM_IDS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

/* A valid address as email.h normalises it (trimmed, lower-case), with
 * white space removed and Google's gmail.com / googlemail.com rule. */
bool cdp_norm_email_google(struct cdp_buf *out, const char *email, size_t len);

/* Trimmed and lower-cased (Google's names). */
bool cdp_norm_name_google(struct cdp_buf *out, const char *s, size_t len);

/* Lower-cased letters only (Meta's fn, ln and ct). */
bool cdp_norm_letters_meta(struct cdp_buf *out, const char *s, size_t len);

/* Lower-case, no white space; for country "US" the first five digits. */
bool cdp_norm_zip_meta(struct cdp_buf *out, const char *s, size_t len, const char *country,
                       size_t clen);

/* Two ASCII letters after trimming, in upper case (upper) or lower case;
 * anything else appends nothing. */
bool cdp_norm_country(struct cdp_buf *out, const char *s, size_t len, bool upper);

/* From a date YYYY-MM-DD (or a longer ISO time starting with one): "MM/DD"
 * (Mailchimp's Birthday) or "YYYY" (Meta's doby). */
bool cdp_norm_birthday_mmdd(struct cdp_buf *out, const char *s, size_t len);
bool cdp_norm_birth_year(struct cdp_buf *out, const char *s, size_t len);

/* "m" or "f" (after trimming, any case); anything else appends nothing. */
bool cdp_norm_gender(struct cdp_buf *out, const char *s, size_t len);

/* Whether s is written in E.164: '+', a first digit 1-9, 7 to 15 digits. */
bool cdp_e164_syntax(const char *s, size_t len);

#endif
