/* idstate.h: person ids that stay the same from one nightly run to the next.
 *
 * Without a state file a person's id is derived from their smallest
 * (_source, _rid), so the same input gives the same ids. With one, the
 * identity graph of earlier runs is kept (person records, and event tuples
 * with their record counts) and joined with today's records; then
 *  - a group whose records and tuples had one id keeps it;
 *  - when new evidence joins groups that had different ids, the oldest id
 *    survives and the journal says {"from": newer, "to": older, ...} with
 *    the link that joined them;
 *  - when a correction splits a group, the part holding most of its records
 *    keeps the id, and the rest gets a new one (journal: "split");
 *  - a record seen again replaces the old copy of itself (a correction).
 *
 * The state file is zstd-compressed NDJSON: a header naming the format and
 * version, one line per node, one per id ever given (an id merged away is
 * never given again), and an end line with the counts.
 * It is written atomically and locked (flock on FILE.lock) for the whole run;
 * a file that is not a state, is of another version, or is cut short is
 * refused with a message and left as it is. */
#ifndef CDP_IDENTITY_IDSTATE_H
#define CDP_IDENTITY_IDSTATE_H

#include <stdint.h>

#include "base/error.h"
#include "identity/graph.h"

struct cdp_idstate;

struct cdp_idstate *cdp_idstate_new(void);
void cdp_idstate_free(struct cdp_idstate *st);

/* Takes the lock on path (path + ".lock"), without waiting. */
int cdp_idstate_lock(struct cdp_idstate *st, const char *path, struct cdp_error *err);

/* Reads the state at path (a missing file is an empty state: the first run)
 * into the graph: call after today's records are in, before resolving. */
int cdp_idstate_load(struct cdp_idstate *st, const char *path, struct cdp_graph *g,
                     const char *const *conflicts, size_t nconflicts, struct cdp_error *err);

struct cdp_journal_entry {
    const char *from, *to;
    const char *reason; /* "merged" or "split" */
    const char *key, *value; /* for "merged": the link that joined them */
};
typedef void (*cdp_journal_fn)(void *ctx, const struct cdp_journal_entry *e);

/* Gives every group of the resolved graph its id. */
void cdp_idstate_assign(struct cdp_idstate *st, const struct cdp_graph *g,
                        cdp_journal_fn journal, void *ctx);

/* The id of a group (16 hex digits). */
const char *cdp_idstate_group_id(const struct cdp_idstate *st, uint32_t group);

/* This run's number (1 for the first). */
uint64_t cdp_idstate_run(const struct cdp_idstate *st);

/* Writes the graph and its ids to path, atomically. */
int cdp_idstate_save(struct cdp_idstate *st, const char *path, const struct cdp_graph *g,
                     const char *const *conflicts, size_t nconflicts, struct cdp_error *err);

#endif
