/* json_peek.h: the few JSON values of a profile read without a parser.
 *
 * Records keep arrays as their JSON text (record.h), already validated by
 * the reader (simdjson). cdp-export needs the strings in a few of them
 * (segments, holdout, emails, phones) and the first output of a jq column;
 * these functions read such valid JSON text. On text that is not valid JSON
 * they stop early; they never read out of bounds. A string element is
 * decoded by cdp_json_string_decode (io/json.h). */
#ifndef CDP_EXPORT_JSON_PEEK_H
#define CDP_EXPORT_JSON_PEEK_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

/* Walks the elements of a JSON array: start with *pos = 0; each call sets
 * *elem and *elen to the next element's JSON text (spaces trimmed) and
 * returns true, or returns false at the end (or on text that is not an
 * array). */
bool cdp_json_array_next(const char *arr, size_t len, size_t *pos, const char **elem,
                         size_t *elen);

/* Whether the array (JSON text) holds the string s (compared decoded). */
bool cdp_json_array_has_string(const char *arr, size_t len, const char *s, size_t slen,
                               struct cdp_buf *scratch);

#endif
