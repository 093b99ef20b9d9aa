/* name.h: personal names: cleaned, cased, and split from a full name.
 *
 * A name is trimmed, inner white space collapsed, composed to NFC and put in
 * Title Case the way text.h does it (words already in mixed case are kept).
 * A value without a single letter ("-", "0", ".") is not a name.
 *
 * Splitting a full name follows the conventions of the exports it meets:
 * Russian CRM exports write "Фамилия Имя Отчество"; shops and Latin-script
 * sources "First Last". A patronymic (-ович, -евна, -ична, ... and their
 * transliterations, "... оглы/кызы") fixes the order; otherwise a family-name
 * ending (-ов, -ева, -ский, -енко, -ян, ...) on exactly one of two words
 * picks the family name; otherwise Cyrillic names are read family-first and
 * Latin ones given-first. */
#ifndef CDP_NORM_NAME_H
#define CDP_NORM_NAME_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

/* Appends the normalised name; false (out unchanged) when it is not one.
 * scratch is working space the caller keeps between calls. */
bool cdp_name_normalize(struct cdp_buf *out, struct cdp_buf *scratch, const char *s, size_t len);

/* Spans of a normalised full name's parts, as offsets into it; a missing
 * part has length 0. */
struct cdp_name_parts {
    size_t first_off, first_len;
    size_t middle_off, middle_len;
    size_t last_off, last_len;
};

/* Splits a name already normalised by cdp_name_normalize. */
void cdp_name_split(const char *name, size_t len, struct cdp_name_parts *parts);

#endif
