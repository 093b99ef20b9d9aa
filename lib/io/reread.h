/* reread.h: an input that can be read twice.
 *
 * cdp-dedupe, cdp-segment (with population rules) and cdp-export (with a
 * channel) read their inputs twice. A regular file is simply opened again;
 * one that cannot be (stdin, a pipe, a process substitution) is first
 * copied, as its raw bytes, to a nameless temporary file in $TMPDIR:
 * zstd-compressed unless it already is compressed, so that a spooled
 * gigabyte costs a hundred megabytes. Both passes then read the same bytes
 * through the same decoding. The temporary file vanishes when closed. */
#ifndef CDP_IO_REREAD_H
#define CDP_IO_REREAD_H

#include "base/error.h"

struct cdp_reread {
    const char *path;  /* what is read: the file as given, or its spool */
    const char *label; /* for messages: as given, "(stdin)" for "-" */
    char spool_path[64];
    int spool_fd;      /* -1: not spooled */
};

/* arg is a file name or "-" (kept, not copied). */
void cdp_reread_init(struct cdp_reread *in, const char *arg);

/* Makes in re-readable (nothing to do for a regular file). Returns 0, or -1
 * with err set ("cannot open 'x': ...", "(stdin): read error: ..."). */
int cdp_reread_spool(struct cdp_reread *in, struct cdp_error *err);

/* Closes the spool, if any. */
void cdp_reread_release(struct cdp_reread *in);

#endif
