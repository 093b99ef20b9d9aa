/* replace.h: several files replaced together, all or none.
 *
 * io/output.h replaces one file atomically. Some changes span several files
 * that must agree (cdp-forget removes a person from the state, the journal,
 * the data files and the forget list at once): replacing some and failing
 * on the next would leave them disagreeing. So every new version is first
 * written whole and synced under a hidden name beside its file
 * (cdp_output_stage); only when all are, they are renamed into place, in
 * the order they were added. Before the first rename each file that exists
 * gets a second name, .NAME.cdp-old beside it (a hard link: no copy), so
 * that if a rename fails the files already renamed are put back from them.
 *
 * The guarantee: cdp_replace_commit either replaces every file or returns
 * -1 with every file as it was (and err says which file failed). Only when
 * putting a file back fails too (the folder became unwritable between two
 * renames), err says which file could not be, and where its old version is
 * kept. A process killed during the renames (a few system calls) leaves the
 * files renamed so far new, the others old, and the .NAME.cdp-old links of
 * the old versions: the caller orders the files so that running it again
 * finishes the job, and the next commit naming a file removes its stale
 * .NAME.cdp-old first. */
#ifndef CDP_IO_REPLACE_H
#define CDP_IO_REPLACE_H

#include <stddef.h>

#include "base/error.h"
#include "io/output.h"
#include "io/reread.h"

struct cdp_replace;

struct cdp_replace *cdp_replace_new(void);

/* Discards every file not yet committed (their targets stay as they were)
 * and frees r. Accepts NULL. */
void cdp_replace_free(struct cdp_replace *r);

/* Stages o (cdp_output_stage) and takes it, to be renamed into place by
 * cdp_replace_commit. No two outputs may name the same file. Standard
 * output or a device is written out now and only freed by the commit: what
 * it received cannot be taken back, so add it before the files (a failure
 * to write it then changes no file). -1 with err when o cannot be staged
 * (o is freed). */
int cdp_replace_add(struct cdp_replace *r, struct cdp_output *o, struct cdp_error *err);

/* cdp_replace_add for a new version of a file read as it was when noted in
 * was (io/reread.h): the commit then replaces nothing if that file has
 * changed since (another program wrote it meanwhile: renaming over it would
 * lose what was written), and says which and how. */
int cdp_replace_add_unless_changed(struct cdp_replace *r, struct cdp_output *o,
                                   const struct cdp_reread_seen *was, struct cdp_error *err);

/* How many files were added. */
size_t cdp_replace_count(const struct cdp_replace *r);

/* Renames every file into place, in the order added, as said above, once
 * every file added with cdp_replace_add_unless_changed is found unchanged.
 * Returns 0, or -1 with err and no file changed. Either way r is left
 * empty. */
int cdp_replace_commit(struct cdp_replace *r, struct cdp_error *err);

#endif
