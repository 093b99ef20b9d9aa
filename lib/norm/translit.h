/* translit.h: names folded so that spellings of one name compare equal
 * across case, Ё/Е, diacritics, scripts and the usual passport variants.
 *
 * A shop transliterates "Иванов Сергей" as "Ivanov Sergey", a passport as
 * "IVANOV SERGEI", a customer types "Sergej"; the CRM writes "Юлия", the shop
 * "Yuliya", the customer "Julia". Two folds:
 *
 *  - cdp_name_fold: lower case (Unicode, utf8proc), Ё -> е, diacritics
 *    removed (é -> e, ñ -> n), Cyrillic letters transliterated to Latin
 *    (GOST 7.79-2000 system B / ICAO-like practical spelling: ж zh, х kh,
 *    ц ts, ч ch, ш sh, щ shch, ю yu, я ya, й y, ы y, ъ and ь dropped, е e,
 *    э e), every run of characters that are not letters or digits (spaces,
 *    hyphens, apostrophes, dots) removed. "Ёлкина-Иванова" -> "elkinaivanova",
 *    "O'Brien" -> "obrien". Latin input only gets lower case, diacritics and
 *    separators handled.
 *  - cdp_name_key: the fold, then the variants transliteration systems and
 *    people disagree on rewritten to one form, so that Sergey, Sergei,
 *    Sergej, Serguei -> one key; Yuliya, Yulia, Julia, Iulia -> one key;
 *    Aleksandr, Alexander, Aleksander -> one key; Natalya, Natalia,
 *    Nataliya -> one key; Khristina, Kristina, Hristina -> one key; Ksenia,
 *    Kseniya, Xenia -> one key. The key is for comparing, not for showing.
 *
 * Output is appended to out (not NUL-counted in len; a NUL follows). Both
 * are pure functions: thread-safe. */
#ifndef CDP_NORM_TRANSLIT_H
#define CDP_NORM_TRANSLIT_H

#include <stddef.h>

#include "base/buf.h"

void cdp_name_fold(struct cdp_buf *out, const char *s, size_t len);
void cdp_name_key(struct cdp_buf *out, const char *s, size_t len);

/* American Soundex of a folded Latin name ("robert" -> "R163"), for blocking;
 * an empty name gives "". out gets at most 4 characters and a NUL. */
void cdp_soundex(char out[5], const char *folded, size_t len);

#endif
