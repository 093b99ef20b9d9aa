/* source.h: the bytes of one input, whatever its compression and encoding.
 *
 * A source is a file or standard input ("-"). Compression is recognised from
 * the first bytes, never from the name: zstd (any number of concatenated
 * frames, skippable frames allowed) and gzip (concatenated members). A stream
 * that ends inside a frame, or whose checksum fails, is an error: short output
 * is never returned silently.
 *
 * With an encoding other than UTF-8 the bytes are converted to UTF-8 with
 * iconv. A byte sequence that is invalid in the declared encoding becomes the
 * byte 0xFF, which is never valid UTF-8, so that the row holding it is
 * rejected with its line number by the UTF-8 check of the reader above.
 * A UTF-8 byte-order mark at the start is dropped. */
#ifndef CDP_IO_SOURCE_H
#define CDP_IO_SOURCE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"

enum cdp_compression { CDP_COMPRESS_NONE, CDP_COMPRESS_ZSTD, CDP_COMPRESS_GZIP };

struct cdp_source;

/* Opens path ("-" for stdin). encoding is an iconv name, or NULL / "utf-8"
 * for no conversion. Returns NULL and fills err on failure. */
struct cdp_source *cdp_source_open(const char *path, const char *encoding,
                                   struct cdp_error *err);

/* Reads up to n decoded bytes. Returns the count, 0 at the end, -1 on error
 * (err says which file and what went wrong). */
ssize_t cdp_source_read(struct cdp_source *s, char *buf, size_t n, struct cdp_error *err);

/* Whether every byte read so far is valid UTF-8 by construction: decoded
 * from a single-byte encoding (cp1251, koi8-r...) in which each byte was a
 * defined one. False for UTF-8 input (not checked here) and from the first
 * undefined byte on. A reader may then skip its own UTF-8 check of what it
 * has read: on a 1C export that check was 3% of cdp-ingest's CPU time. */
bool cdp_source_valid_utf8(const struct cdp_source *s);

/* The name used in messages: the path, or "(stdin)". */
const char *cdp_source_name(const struct cdp_source *s);
enum cdp_compression cdp_source_compression(const struct cdp_source *s);
/* After the first read: whether the input began with a byte-order mark
 * (dropped), for a program that writes a file back as it was. */
bool cdp_source_dropped_bom(const struct cdp_source *s);
/* Bytes read from the file itself (before decompression), for progress. */
uint64_t cdp_source_raw_bytes(const struct cdp_source *s);

/* Whether iconv can convert from this encoding to UTF-8. */
bool cdp_encoding_known(const char *encoding);

/* Closes the file (not stdin) and frees s. Accepts NULL. */
void cdp_source_close(struct cdp_source *s);

#endif
