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
 * version, one line per node (but the events that are nobody's, which carry
 * no id: graph.h), one per id ever given (an id merged away is never given
 * again), and an end line with the counts.
 * It is written atomically and locked (flock on FILE.lock) for the whole run;
 * a file that is not a state, is of another version, or is cut short is
 * refused with a message and left as it is. */
#ifndef CDP_IDENTITY_IDSTATE_H
#define CDP_IDENTITY_IDSTATE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "base/intern.h"
#include "identity/graph.h"
#include "io/forgetlist.h"
#include "io/output.h"

struct cdp_idstate;

struct cdp_idstate *cdp_idstate_new(void);
void cdp_idstate_free(struct cdp_idstate *st);

/* Takes the lock on path (path + ".lock"), without waiting. */
int cdp_idstate_lock(struct cdp_idstate *st, const char *path, struct cdp_error *err);

/* With a forget list (io/forgetlist.h), cdp_idstate_load leaves out the
 * nodes it matches: those of an id on the list, a person record on it, or
 * holding an identifier on it. Call before loading; the list must outlive
 * the load. Returns how many nodes were left out so far. */
void cdp_idstate_forget(struct cdp_idstate *st, const struct cdp_forgetlist *l);
uint64_t cdp_idstate_forgotten(const struct cdp_idstate *st);

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

/* Writes the graph and its ids to path, atomically, compressed by
 * zstd_workers threads (output.h's option; 0: its default). */
int cdp_idstate_save(struct cdp_idstate *st, const char *path, const struct cdp_graph *g,
                     const char *const *conflicts, size_t nconflicts, int zstd_workers,
                     struct cdp_error *err);
/* The same, not yet committed (for io/replace.h). NULL with err. */
struct cdp_output *cdp_idstate_save_output(struct cdp_idstate *st, const char *path,
                                           const struct cdp_graph *g, const char *const *conflicts,
                                           size_t nconflicts, int zstd_workers,
                                           struct cdp_error *err);

/* ---- erasure (cdp-forget) ------------------------------------------------
 *
 * Reading a state file for the persons some identifiers belong to, and
 * writing it again without them. A missing file is an error here: there is
 * nobody to find. */

/* Calls fn(ctx, which, id) for each node holding values[which] (each
 * "KEY\x1FVALUE", as the state holds them), and for each of ids[0..nids)
 * the state knows (which = nvalues + its index), with the id it has. */
typedef void (*cdp_idstate_found_fn)(void *ctx, size_t which, const char *id);
int cdp_idstate_find(const char *path, const char *const *values, size_t nvalues,
                     const char *const *ids, size_t nids, cdp_idstate_found_fn fn, void *ctx,
                     struct cdp_error *err);

/* Some persons as the state knows them. The caller fills ids; the rest is
 * cdp_idstate_collect's and cdp_idstate_stage_without's. */
struct cdp_idstate_persons {
    struct cdp_intern *ids;     /* their ids (and the ids merged into them) */
    struct cdp_intern *nodes;   /* "SOURCE\x1FRID" of their nodes: person
                                   records and event tuples (the records the
                                   links file names) */
    struct cdp_intern *persons; /* "SOURCE\x1FRID" of their person records */
    struct cdp_intern *values;  /* "KEY\x1FVALUE" of their identifiers, the
                                   parts of a composite joined by '+' (as the
                                   links file shows them) */
    bool *shared;               /* per value: someone else holds it too */
    size_t groups;              /* how many of ids have nodes: persons now */
    uint64_t records;           /* records their nodes stand for */
    uint64_t nodes_removed, ids_removed; /* by cdp_idstate_stage_without */
};

void cdp_idstate_persons_init(struct cdp_idstate_persons *p);
void cdp_idstate_persons_release(struct cdp_idstate_persons *p);

/* Fills p's nodes, persons, values and records from the nodes of p->ids. */
int cdp_idstate_collect(const char *path, struct cdp_idstate_persons *p, struct cdp_error *err);

/* Writes the state at path to out (opened by the caller) without p's nodes
 * and ids, every other line as it was; marks the values of p that other
 * nodes hold as shared; counts what it removed. Call after
 * cdp_idstate_collect. */
int cdp_idstate_stage_without(const char *path, struct cdp_idstate_persons *p,
                              struct cdp_output *out, struct cdp_error *err);

/* The options a state is written with (zstd, 0600), for out. */
extern const struct cdp_output_options cdp_idstate_output_options;

#endif
