/* output.h: where a program writes, so that a failed run changes nothing.
 *
 * A file named with -o is written to an unnamed temporary file in the same
 * folder (O_TMPFILE; where the file system lacks it, a hidden temporary name)
 * and appears under its name only when cdp_output_commit succeeds: a run that
 * fails, or is killed, never leaves a partial or half-replaced file. A named
 * temporary (and the hidden link of a staged file) is registered with
 * base/guard.h from the moment it exists, so that SIGTERM, SIGINT and SIGHUP
 * remove it too. Devices
 * and pipes (-o /dev/stdout, /dev/full) are written directly.
 *
 * Every write and the final close are checked; the first failure is kept and
 * reported by cdp_output_commit (disk full, broken pipe).
 *
 * Files are created 0600 whatever the umask (they may hold personal data,
 * 152-FZ and GDPR ask for minimum exposure), with no window in which they
 * are readable by others: the temporary file is private from the start.
 *
 * zstd compression when the name ends in ".zst" or when asked (in one zstd
 * worker thread, so it overlaps the program's own work); gzip when the name
 * ends in ".gz". */
#ifndef CDP_IO_OUTPUT_H
#define CDP_IO_OUTPUT_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/buf.h"
#include "base/error.h"

/* The most compression threads an output takes by itself (one per CPU up
 * to this); programs cap the count their users give at it too. */
#define CDP_OUTPUT_ZSTD_WORKERS_MAX 4

struct cdp_output_options {
    bool zstd;      /* compress with zstd whatever the name */
    int zstd_level; /* 0 = level 1: fast (nightly intermediates are read once) */
    mode_t mode;    /* permissions of the file, whatever the umask; 0 = 0600 */
    int zstd_workers; /* compression threads; 0 = one per CPU, at most
                       * CDP_OUTPUT_ZSTD_WORKERS_MAX. The
                       * bytes written are the same for any count of 1 or more
                       * (zstd cuts the input into jobs by size, not by
                       * thread; test_output checks it) */
};

struct cdp_output;

/* path NULL or "-" is standard output. Returns NULL with err set when the
 * file cannot be created. */
struct cdp_output *cdp_output_open(const char *path, const struct cdp_output_options *opt,
                                   struct cdp_error *err);

/* cdp_output_open with the present lines of path, if it exists, already
 * written (read back decompressed; the output compresses by its name): a
 * file that grows by whole rewrites, so that a failed run leaves it as it
 * was and a retry adds its lines once. NULL with err when path cannot be
 * created or its present lines cannot be read, or when it exists and is not
 * a regular file (a pipe, a folder). */
struct cdp_output *cdp_output_open_rewrite(const char *path, const struct cdp_output_options *opt,
                                           struct cdp_error *err);
/* Whether cdp_output_open_rewrite can take path, for a program to ask at
 * its start rather than after its work: 0 when path is absent or a regular
 * file, else -1 with err. */
int cdp_output_check_rewrite(const char *path, struct cdp_error *err);

/* A nameless temporary file in $TMPDIR (default /tmp) for a program to
 * read back: a spool of stdin for a second pass. It vanishes when closed. */
struct cdp_output *cdp_output_open_spool(const struct cdp_output_options *opt,
                                         struct cdp_error *err);
/* Finishes a spool and returns its descriptor (the caller closes it; it can
 * be opened for reading as /proc/self/fd/N). Frees o. -1 on error. */
int cdp_output_finish_spool(struct cdp_output *o, struct cdp_error *err);

/* The buffer to append output to; cdp_output_flush_some moves it out. */
struct cdp_buf *cdp_output_buffer(struct cdp_output *o);

/* Appends n bytes and writes out when the buffer has grown large. Returns
 * -1 once a write has failed. */
int cdp_output_write(struct cdp_output *o, const void *p, size_t n);

/* Writes the buffer out when it has grown large (call after each record).
 * Returns -1 once a write has failed (the error is kept for commit). */
int cdp_output_flush_some(struct cdp_output *o);

/* Writes everything, finishes compression, and gives the file its name.
 * Frees o. Returns 0, or -1 with err set (the temporary file is removed). */
int cdp_output_commit(struct cdp_output *o, struct cdp_error *err);

/* cdp_output_commit in two steps, for files that must be replaced together
 * (io/replace.h): stage writes everything, finishes compression, syncs the
 * file and links it under a hidden name beside its target, without touching
 * the target (0, or -1 with err: abort o then); publish renames it over the
 * target, the one step that cannot be undone, and frees o (0, or -1 with
 * err: the target is as it was). For standard output and devices, stage
 * flushes and publish only frees o. */
int cdp_output_stage(struct cdp_output *o, struct cdp_error *err);
int cdp_output_publish(struct cdp_output *o, struct cdp_error *err);

/* The file a commit replaces (symlinks resolved), or NULL for standard
 * output, a device or a pipe. */
const char *cdp_output_target(const struct cdp_output *o);

/* Discards the output: the temporary file is removed, an existing file of
 * that name is left as it was. Frees o; accepts NULL. */
void cdp_output_abort(struct cdp_output *o);

/* The name used in messages. */
const char *cdp_output_name(const struct cdp_output *o);

#endif
