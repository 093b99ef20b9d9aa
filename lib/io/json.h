/* json.h: reading one JSON object per line (simdjson behind a C interface),
 * writing JSON strings, and checking UTF-8.
 *
 * jq's parser reads about 60 MB/s; simdjson several GB/s, so parsing is never
 * what limits a program. Objects are read one level deep: top-level members
 * become record fields; nested arrays and objects are kept as their JSON text
 * (fully validated), numbers as written. */
#ifndef CDP_IO_JSON_H
#define CDP_IO_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"
#include "io/record.h"

struct cdp_json_parser;

struct cdp_json_parser *cdp_json_parser_new(void);
void cdp_json_parser_free(struct cdp_json_parser *p);

enum cdp_json_status {
    CDP_JSON_OK = 0,
    CDP_JSON_INVALID = -1,    /* not JSON (RFC 8259) */
    CDP_JSON_NOT_OBJECT = -2, /* valid JSON, but not an object */
    CDP_JSON_BAD_UTF8 = -3,
};

/* The reason code a rejects file gives a line that failed to parse
 * (io/rejects.h): "invalid_json", "not_object" or "invalid_utf8". */
const char *cdp_json_status_code(enum cdp_json_status st);

/* Parses text (len bytes, followed by at least CDP_LINE_PADDING readable
 * bytes) as one JSON object and appends its members to rec. Keys and values
 * point into text or into the parser and stay valid until the next call.
 * A repeated key keeps its last value. On failure err says why. */
enum cdp_json_status cdp_json_parse_object(struct cdp_json_parser *p, const char *text, size_t len,
                          struct cdp_record *rec, struct cdp_error *err);

/* A set of member names, for cdp_json_parse_object_some: a 1024-bit filter
 * of their hashes, so that a member is kept or passed over without a string
 * comparison. Zero it, then add the names. */
struct cdp_json_names {
    uint64_t bits[16];
};
void cdp_json_names_add(struct cdp_json_names *set, const char *name, size_t len);

/* As cdp_json_parse_object, but appends only the members named in keep, and
 * may append a few others (the filter's false alarms): a pass that looks up
 * a few fields of every record looks them up in a short record. Every
 * member is read and checked as cdp_json_parse_object checks it, so a line
 * fails here exactly when it fails there. */
enum cdp_json_status cdp_json_parse_object_some(struct cdp_json_parser *p, const char *text, size_t len,
                                                const struct cdp_json_names *keep, struct cdp_record *rec,
                                                struct cdp_error *err);

/* Whether text is exactly one valid JSON value (surrounding spaces allowed).
 * Numbers beyond a 64-bit integer or a double (a 23-digit card, 1e999) are
 * valid JSON, here and in the nested values of cdp_json_parse_object. */
bool cdp_json_valid(struct cdp_json_parser *p, const char *text, size_t len);

/* Calls fn for each element of text, a JSON array of strings (len bytes;
 * need not be padded), with the unescaped string. Returns the number of
 * elements, or -1 when text is not an array of strings (fn may have been
 * called for the elements before the first that is not a string). */
long cdp_json_each_string(struct cdp_json_parser *p, const char *text, size_t len,
                          void (*fn)(void *ctx, const char *s, size_t len), void *ctx);

/* The top-level numbers named keys[0..nkeys) of a JSON object (text padded
 * as for cdp_json_parse_object), into out (NaN when absent or not a number),
 * skipping every other value unparsed: for a pass that needs a few figures
 * of large records. At most 8 keys. Returns 0, or -1 when text is not a
 * JSON object. */
int cdp_json_get_numbers(struct cdp_json_parser *p, const char *text, size_t len,
                         const char *const *keys, size_t nkeys, double *out);

/* Whether s (len bytes, nothing around it) is one JSON number. */
bool cdp_json_number_valid(const char *s, size_t len);

/* Whether s is valid UTF-8 (simdjson's validator: GB/s). */
bool cdp_utf8_valid(const char *s, size_t len);

/* Reads the escape sequence after a backslash (s: len bytes from the
 * character after it) and appends what it stands for to out. Returns the
 * bytes read, or 0 when it is not a JSON escape (out unchanged). A \uXXXX of
 * a surrogate not in a pair appends U+FFFD, as jq reads it, and sets
 * *lone_surrogate (a caller that must refuse one can). */
size_t cdp_json_unescape(struct cdp_buf *out, const char *s, size_t len, bool *lone_surrogate);

/* Decodes a JSON string literal (quotes included) and appends its text to
 * out. Returns false (out may hold part of it) when lit is not one. */
bool cdp_json_string_decode(struct cdp_buf *out, const char *lit, size_t len);

/* Appends s as a JSON string literal, quotes included. s must be UTF-8. */
void cdp_json_add_string(struct cdp_buf *out, const char *s, size_t len);
/* Whether s needs no escape inside a JSON string: no '"', '\\' or control
 * byte. Such a string can be copied between quotes as it is. */
bool cdp_json_plain(const char *s, size_t len);
/* Appends a field's value as JSON (strings quoted, the rest as written). */
void cdp_json_add_value(struct cdp_buf *out, const char *val, size_t vlen, enum cdp_type type);
/* Appends a whole record as one JSON object (no newline). */
void cdp_json_add_record(struct cdp_buf *out, const struct cdp_record *r);

/* Appends s as a JSON string, replacing invalid UTF-8 with U+FFFD: for
 * showing raw input (rejected rows) that may not be UTF-8. */
void cdp_json_add_string_lossy(struct cdp_buf *out, const char *s, size_t len);

#endif
