/* rejects.h: the rejects file (--rejects) of every program.
 *
 * Nothing is lost: an input row a program cannot use is counted, reported,
 * and, with --rejects, written here with where it came from and why. One
 * JSON object a line, the same members in the same order for every
 * program (cdp-schema(5), REJECTS):
 *
 *   {"_source":"crm","file":"crm.csv","line":12,"row":11,
 *    "code":"field_count","reason":"3 fields, the header has 5","raw":"..."}
 *
 *   _source  the source the row was read as (cdp-ingest --source), or null
 *   file     the input file as named on the command line, or null when the
 *            program no longer knows it (a line found bad after sorting)
 *   line     its first physical line (1-based), or null
 *   row      its data row number (CSV: not counting the header), or null
 *   code     a short reason code (field_count, invalid_json, ...)
 *   reason   the message, as printed on stderr
 *   raw      the row's text as read (invalid UTF-8 replaced by U+FFFD)
 *
 * The file holds personal data (the raw rows) and is created 0600. It is
 * data, not a log: identifiers are never masked in it. */
#ifndef CDP_IO_REJECTS_H
#define CDP_IO_REJECTS_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"

#define CDP_REJECT_UNKNOWN UINT64_MAX /* a line or row number not known */

struct cdp_reject {
    const char *source; /* NULL: null */
    const char *file;   /* NULL: null */
    uint64_t line, row; /* CDP_REJECT_UNKNOWN: null */
    const char *code;
    const char *reason;
    const char *raw;
    size_t rawlen;
};

/* Appends one rejects line to b (for batches built on worker threads). */
void cdp_reject_format(struct cdp_buf *b, const struct cdp_reject *r);

struct cdp_rejects;

/* Opens the rejects file at path, written atomically (io/output.h). NULL
 * with err set when it cannot be created. */
struct cdp_rejects *cdp_rejects_open(const char *path, struct cdp_error *err);

/* Writes one reject. */
void cdp_rejects_add(struct cdp_rejects *rj, const struct cdp_reject *r);

/* Writes lines already formatted by cdp_reject_format. */
void cdp_rejects_add_formatted(struct cdp_rejects *rj, const char *lines, size_t len);

/* Commits (and frees) the file; -1 with err set on a write error. */
int cdp_rejects_commit(struct cdp_rejects *rj, struct cdp_error *err);
/* Frees rj and returns its output, to be committed by the caller (with the
 * files it must agree with: io/replace.h). */
struct cdp_output *cdp_rejects_output(struct cdp_rejects *rj);

/* Removes the unfinished file, leaving an existing one as it was. Accepts
 * NULL. */
void cdp_rejects_abort(struct cdp_rejects *rj);

#endif
