/* journal.h: cdp-dedupe's journal, the record of person ids merged or
 * split from one run to the next (see idstate.h for when that happens).
 *
 * One JSON object a line, appended run after run:
 *
 *   {"run":3,"from":"9f2c...","to":"41ab...","reason":"merged",
 *    "key":"email","value":"ivan@mail.ru"}
 *   {"run":3,"from":"41ab...","to":"77d0...","reason":"split"}
 *
 * "merged": the person "from" joined "to" (which keeps its id), by the link
 * key/value; "split": part of "to"'s old records now form "from"... as
 * idstate.h describes. cdp-segment reads it to follow merged ids, so that
 * a person's segment memberships survive the merge. This module writes and
 * reads the format; a damaged line is an error (io/runfile.h). */
#ifndef CDP_IDENTITY_JOURNAL_H
#define CDP_IDENTITY_JOURNAL_H

#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/intern.h"
#include "identity/idstate.h"
#include "io/output.h"

/* Appends the line for entry e of run `run` to b. */
void cdp_journal_format(struct cdp_buf *b, uint64_t run, const struct cdp_journal_entry *e);

/* The same with the link's value masked as logs show it (norm/show.h)
 * unless clear: what cdp-dedupe writes. No reader needs the value (ids are
 * followed by "from" and "to"; cdp-report shows the value as a log would),
 * so the journal, kept for ever, holds no identifier in clear by default. */
void cdp_journal_format_shown(struct cdp_buf *b, uint64_t run, const struct cdp_journal_entry *e,
                              bool clear);

/* Writes path anew, atomically: its old lines (decompressed when it is
 * compressed; none when it does not exist) and then `lines`. */
int cdp_journal_append(const char *path, const char *lines, size_t len, struct cdp_error *err);
/* The same, not yet committed: the new file, for the caller to commit with
 * the files it must agree with (io/replace.h). NULL with err. */
struct cdp_output *cdp_journal_append_output(const char *path, const char *lines, size_t len,
                                             struct cdp_error *err);

/* Calls fn for every entry of the journal at path, in order. fn returns 0,
 * or -1 with err set to stop. -1 when the file cannot be read (a missing
 * one too: a journal named but absent is a mistake), on a damaged line, or
 * on fn's error. */
typedef int (*cdp_journal_read_fn)(void *ctx, const struct cdp_journal_entry *e, struct cdp_error *err);
int cdp_journal_read(const char *path, cdp_journal_read_fn fn, void *ctx, struct cdp_error *err);

/* The same, with the number of the run that wrote each entry (0 for a
 * line without "run"): what a reader needs to tell one night's entries
 * from the next. */
typedef int (*cdp_journal_run_fn)(void *ctx, uint64_t run, const struct cdp_journal_entry *e,
                                  struct cdp_error *err);
int cdp_journal_read_runs(const char *path, cdp_journal_run_fn fn, void *ctx, struct cdp_error *err);

/* ---- erasure (cdp-forget) ---------------------------------------------- */

/* Adds to ids every id joined to one of them by "merged" lines, over any
 * number of runs (A merged into B, B into C: A, B and C are one person's).
 * Split lines are not followed: the part split off is someone else. */
int cdp_journal_aliases(const char *path, struct cdp_intern *ids, struct cdp_error *err);

/* Copies the journal at path to out but the lines whose "from" or "to" is
 * one of ids, each line as written; counts both. */
int cdp_journal_forget(const char *path, const struct cdp_intern *ids, struct cdp_output *out,
                       uint64_t *kept, uint64_t *removed, struct cdp_error *err);

#endif
