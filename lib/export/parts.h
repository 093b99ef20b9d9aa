/* parts.h: an export written as one file, or split into numbered
 * parts for platforms that cap uploads.
 *
 * With split_rows N, OUT = NAME.EXT becomes NAME-0001.EXT, NAME-0002.EXT,
 * ... each with at most N rows after the same head (BOM, header row). The
 * extension is the last one of the name once a .zst or .gz is set aside:
 * audience.csv.zst -> audience-0001.csv.zst, a.b.csv -> a.b-0001.csv, out ->
 * out-0001. There is always a first part, even for no rows. All parts are
 * written atomically (output.h) and get their names together at commit, so
 * a failed run leaves the files of the previous run as they were; after a
 * commit, parts of an earlier run numbered after the last one written
 * (NAME-0004.EXT when this run wrote three) are removed, so that a folder
 * never holds a mix of two runs. At most 9999 parts. */
#ifndef CDP_EXPORT_PARTS_H
#define CDP_EXPORT_PARTS_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "io/output.h"

struct cdp_parts_options {
    const char *path; /* NULL or "-": standard output (split_rows must be 0) */
    uint64_t split_rows; /* 0: one file */
    struct cdp_output_options out;
    const char *head; /* written at the start of every file; may be NULL */
    size_t head_len;
};

struct cdp_parts;

/* Opens the first file. NULL with err on failure. */
struct cdp_parts *cdp_parts_open(const struct cdp_parts_options *opt, struct cdp_error *err);

/* Writes one row (with its line end), starting a new part when the current
 * one is full. -1 with err on a write failure or past the last part. */
int cdp_parts_row(struct cdp_parts *p, const char *row, size_t len, struct cdp_error *err);

/* Names every part and removes stale ones. -1 with err when a part could
 * not be written (the parts not yet named are discarded). */
int cdp_parts_commit(struct cdp_parts *p, struct cdp_error *err);

struct cdp_replace;
/* cdp_parts_commit in two steps, for files replaced together with others
 * (io/replace.h): hands every part to r (-1 with err when one could not be
 * written); after r's commit, cdp_parts_remove_stale removes the parts of
 * an earlier run numbered after the last one. */
int cdp_parts_replace(struct cdp_parts *p, struct cdp_replace *r, struct cdp_error *err);
void cdp_parts_remove_stale(struct cdp_parts *p);

/* Discards whatever was not committed, and frees p (accepts NULL). */
void cdp_parts_free(struct cdp_parts *p);

/* The files (as named for messages), rows written, stale parts removed. */
size_t cdp_parts_count(const struct cdp_parts *p);
const char *cdp_parts_file(const struct cdp_parts *p, size_t i);
uint64_t cdp_parts_rows(const struct cdp_parts *p);
size_t cdp_parts_stale_removed(const struct cdp_parts *p);

/* The name of part n (1-based) of path, "NAME-0001.EXT"; the caller frees. */
char *cdp_parts_name(const char *path, unsigned n);

#endif
