/* reread.h: an input that can be read twice.
 *
 * cdp-dedupe, cdp-segment (with population rules) and cdp-export (with a
 * channel) read their inputs twice. A regular file is simply opened again;
 * one that cannot be (stdin, a pipe, a process substitution) is first
 * copied, as its raw bytes, to a nameless temporary file in $TMPDIR:
 * zstd-compressed unless it already is compressed, so that a spooled
 * gigabyte costs a hundred megabytes. Both passes then read the same bytes
 * through the same decoding. The temporary file vanishes when closed.
 *
 * A regular file could be replaced or written to between the passes (an
 * export arriving while the night runs): the second pass would then give
 * records ids or memberships computed from other records. So its device,
 * inode, size, modification and change times are taken when it is made
 * re-readable, and cdp_reread_check, called after each pass, fails when any
 * of them differs: the change time moves on every write, whatever the
 * writer does to the modification time. */
#ifndef CDP_IO_REREAD_H
#define CDP_IO_REREAD_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "base/error.h"

/* A regular file as it was when first read. */
struct cdp_reread_seen {
    bool set;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
};

struct cdp_reread {
    const char *path;  /* what is read: the file as given, or its spool */
    const char *label; /* for messages: as given, "(stdin)" for "-" */
    char spool_path[64];
    int spool_fd;      /* -1: not spooled */
    struct cdp_reread_seen seen; /* a regular file, as given */
};

/* arg is a file name or "-" (kept, not copied). */
void cdp_reread_init(struct cdp_reread *in, const char *arg);

/* Makes in re-readable (nothing to do for a regular file but note it as it
 * is). Returns 0, or -1 with err set ("cannot open 'x': ...", "(stdin):
 * read error: ..."). */
int cdp_reread_spool(struct cdp_reread *in, struct cdp_error *err);

/* After a pass over n inputs: -1 with err set ("'x' changed between the
 * two passes (HOW)", HOW saying whether it was replaced, written to, or
 * only its status-change time moved) when a regular file is no longer as it
 * was when spooled: device, inode, size, modification and status-change
 * time; 0 otherwise (and for spools). */
int cdp_reread_check(const struct cdp_reread *in, size_t n, struct cdp_error *err);

/* Takes a regular file as it is now (st, from stat) into seen. */
void cdp_reread_note(struct cdp_reread_seen *seen, const struct stat *st);

/* How the file was changed since seen, as cdp_reread_check says it ("replaced
 * by another file", "written to: ...", "its status-change time moved: ..."),
 * or NULL when it was not. */
const char *cdp_reread_how_changed(const struct cdp_reread_seen *was, const struct stat *now);

/* Closes the spool, if any. */
void cdp_reread_release(struct cdp_reread *in);

#endif
