/* runfile.h: reading back an NDJSON file that an earlier run wrote and the
 * next run depends on: cdp-dedupe's journal, cdp-segment's last output and
 * history, export baselines written as NDJSON, and the like.
 *
 * One policy for a damaged line, whatever the file: these files are made
 * by cdp itself and always written whole (io/output.h), so a line that is
 * not a JSON object, or lacks what its owner needs, means the file was
 * damaged or edited by hand. Reading it on would quietly change ids or
 * memberships, so it is an error naming the file and line ("journal.ndjson:12:
 * damaged journal line: ...") and the program stops with nothing changed.
 * Blank lines are skipped. Compressed files (zstd, gzip) are read as the
 * reader reads them.
 *
 * Each format is owned by one module, which both writes and reads it
 * (identity/journal.h, segment/membership.h, ...); this is how they read. */
#ifndef CDP_IO_RUNFILE_H
#define CDP_IO_RUNFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "io/output.h"
#include "io/record.h"

struct cdp_runfile;

/* Opens path; what names the file's kind in messages ("journal"). With
 * missing_ok, a file that does not exist reads as empty (the first run).
 * NULL with err set when it cannot be opened. */
struct cdp_runfile *cdp_runfile_open(const char *path, const char *what, bool missing_ok,
                                     struct cdp_error *err);

/* The next object into rec (valid until the next call): 1; 0 at the end;
 * -1 with err set on a damaged line or a read error. */
int cdp_runfile_next(struct cdp_runfile *rf, struct cdp_record *rec, struct cdp_error *err);

/* Reports a line its owner found damaged (a member missing or of the wrong
 * type): fills err as cdp_runfile_next would and returns -1. */
int cdp_runfile_damaged(const struct cdp_runfile *rf, struct cdp_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The line just read, and its raw text (for copying a line through). */
uint64_t cdp_runfile_line(const struct cdp_runfile *rf);
const char *cdp_runfile_raw(const struct cdp_runfile *rf, size_t *len);

void cdp_runfile_close(struct cdp_runfile *rf);

/* Whether a line is left out (cdp-forget): 1 leave it out, 0 keep it, -1
 * with err set (cdp_runfile_damaged for a line its owner cannot read). rec
 * is the line's object, the callback's to use until it returns. */
typedef int (*cdp_runfile_drop_fn)(void *ctx, const struct cdp_runfile *rf,
                                   struct cdp_record *rec, struct cdp_error *err);

/* Copies the file at path (read as cdp_runfile_open reads it, what naming
 * its kind) to out without the lines drop leaves out; a kept line is
 * written as it was read. Adds the lines kept and left out to *kept and
 * *removed. Returns 0, or -1 with err set (out then holds part of it: the
 * caller aborts it). */
int cdp_runfile_filter(const char *path, const char *what, struct cdp_output *out,
                       cdp_runfile_drop_fn drop, void *ctx, uint64_t *kept, uint64_t *removed,
                       struct cdp_error *err);

#endif
