/* lines.h: a source split into physical lines, with their numbers.
 *
 * Each line is returned without its '\n' (a '\r' before it is kept: the CSV
 * reader needs to see it, the NDJSON reader trims it). The memory after a
 * returned line stays readable for at least CDP_LINE_PADDING bytes, which is
 * what simdjson needs to parse the line in place. A line stays valid until the
 * next call. */
#ifndef CDP_IO_LINES_H
#define CDP_IO_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"
#include "io/source.h"

#define CDP_LINE_PADDING 64
/* A line longer than this is an error, not a reason to exhaust memory. */
#define CDP_LINE_MAX ((size_t)256 << 20)

struct cdp_lines;

/* Appends n bytes of s to b and leaves CDP_LINE_PADDING readable bytes
 * (spaces) after them, not counted in b->len: a copy simdjson can parse in
 * place, as it parses the lines this module returns. */
void cdp_buf_add_padded(struct cdp_buf *b, const char *s, size_t n);

/* Takes ownership of src. */
struct cdp_lines *cdp_lines_new(struct cdp_source *src);
void cdp_lines_free(struct cdp_lines *lr);

/* Returns 1 with the next line, 0 at the end, -1 on error. *number is the
 * 1-based line number. *had_newline tells whether the line ended with '\n'
 * (the last line of a file may not). */
int cdp_lines_next(struct cdp_lines *lr, const char **line, size_t *len, uint64_t *number,
                   bool *had_newline, struct cdp_error *err);

/* Shows the bytes not yet returned (at least the first few of the file,
 * unless it is empty) without consuming them. Returns -1 on error. */
/* Appends to out every whole line buffered (at least one, reading more as
 * needed), each with its '\n' (the last line of a file may have none), and
 * leaves CDP_LINE_PADDING spaces after them, not counted in out->len: a
 * block of lines to be split elsewhere (another thread), without a call per
 * line. The lines count as read (their numbers as cdp_lines_next's). Returns
 * the number of lines, 0 at the end, -1 on error (as cdp_lines_next). */
long cdp_lines_take(struct cdp_lines *lr, struct cdp_buf *out, struct cdp_error *err);

/* cdp_lines_take without the copy: *block points at the lines in lr's
 * buffer, valid (and readable CDP_LINE_PADDING bytes past *len) until the
 * next call. */
long cdp_lines_block(struct cdp_lines *lr, const char **block, size_t *len, struct cdp_error *err);

int cdp_lines_peek(struct cdp_lines *lr, const char **p, size_t *len, struct cdp_error *err);

struct cdp_source *cdp_lines_source(struct cdp_lines *lr);

/* Opens a headed file, one whose first line is "WHAT N" (the ids and order
 * files of cdp-dedupe and cdp-shard): N, a whole number from min to max
 * written in digits, into *n, and the lines after it to read. NULL with err
 * set when path cannot be read or its first line is not that ("PATH: not a
 * WHAT file"). */
struct cdp_lines *cdp_lines_open_headed(const char *path, const char *what, uint64_t min, uint64_t max,
                                        uint64_t *n, struct cdp_error *err);

#endif
