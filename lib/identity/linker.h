/* linker.h: cdp-dedupe's two passes over its records.
 *
 * Pass 1 (cdp_linker_read) reads every input once, on every CPU
 * (base/pipeline.h): the reading thread cuts NDJSON into blocks of whole
 * lines (or parses CSV rows) in order; workers split the blocks into rows,
 * parse the JSON and extract each record's identifiers and conflict
 * values, hashed (graph.h), and with a model its model fields; the reading
 * thread adds them to the graph in input order. For every input
 * row the linker remembers its node (none for an event without a usable
 * identifier), or that it is not a record, and whether it carried a cdp_id.
 * The graph is the same for any number of workers.
 *
 * Between the passes the caller loads the state, links by the model
 * (modellink.h), resolves the graph, gives the events on shared devices
 * their people by time (cdp_linker_attribute) and gives the groups their
 * ids (idstate.h).
 *
 * Pass 2 (cdp_linker_write) reads the same inputs again, in the same order,
 * and writes every record with its person's id, as linked.h promises. NDJSON
 * lines are copied, not parsed again, but for the few that pass 1 found bad
 * or carrying an old cdp_id. Rows that are not records are handed to the
 * reject callback, in order; an input that changed between the passes is an
 * error. */
#ifndef CDP_IDENTITY_LINKER_H
#define CDP_IDENTITY_LINKER_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"
#include "identity/graph.h"
#include "identity/idstate.h"
#include "identity/keys.h"
#include "identity/model.h"
#include "identity/modellink.h"
#include "io/forgetlist.h"
#include "io/output.h"
#include "io/reader.h"
#include "io/rejects.h"
#include "io/reread.h"

struct cdp_linker_options {
    struct cdp_keyset *keys;      /* the caller's, kept */
    const char *const *conflicts; /* fields checked before every union */
    size_t nconflicts;
    struct cdp_fsmodel *model;    /* NULL: no probabilistic links */
    size_t nworkers;              /* pass 1's threads (0: the reading thread) */
    /* Called after every row pass 1 reads: rows read in all, bytes of the
     * current input read. May be NULL. */
    void (*progress)(void *ctx, uint64_t rows, uint64_t bytes);
    /* Called in pass 2 for every row that is not a record, in order (file
     * is the input's label; the reject is valid during the call). */
    void (*reject)(void *ctx, const struct cdp_reject *r);
    void *ctx;
    /* The forget list (io/forgetlist.h), or NULL: the records it matches are
     * neither linked nor written (cdp_linker_forgotten counts them). */
    const struct cdp_forgetlist *forgotten;
    /* The --links file's values in clear; false: masked (norm/show.h), as
     * in every log. */
    bool show_values;
    /* The map step of a sharded run (identity/edges.h), or NULL: pass 1
     * writes each row's contribution to this edges file, in order, instead
     * of adding it to the graph. */
    struct cdp_output *edges;
};

struct cdp_linker;

struct cdp_linker *cdp_linker_new(const struct cdp_linker_options *o);
void cdp_linker_free(struct cdp_linker *lk);

/* Pass 1 over inputs[0..n) (each named by its label). Returns 0, or -1 with
 * err set when the threads cannot start or an input cannot be read (the
 * rows read until then are in the graph). */
int cdp_linker_read(struct cdp_linker *lk, const struct cdp_reread *inputs, size_t n,
                    const struct cdp_reader_options *in, struct cdp_error *err);

/* The rows pass 1 has read: records and rows that are not. */
uint64_t cdp_linker_rows(const struct cdp_linker *lk);

/* Of those, the records of forgotten persons (left out). */
uint64_t cdp_linker_forgotten(const struct cdp_linker *lk);

/* The graph, to load the state into, resolve, and give ids. */
struct cdp_graph *cdp_linker_graph(struct cdp_linker *lk);

/* The person records for the model, or NULL without one. */
struct cdp_modellink *cdp_linker_model(struct cdp_linker *lk);

/* Appends the --links line (man cdp-dedupe, THE LINKS FILE) of link l of
 * the resolved graph; its values (the key's, the conflicting ones, the
 * model's) masked unless the options' show_values. */
void cdp_linker_format_link(const struct cdp_linker *lk, const struct cdp_link *l,
                            struct cdp_buf *b);

/* Appends the --stats member "graph":{...}: records, nodes and rounds. */
void cdp_linker_format_stats(const struct cdp_linker *lk, struct cdp_buf *b);

/* How long after an anonymous event a login may be and still be the
 * person's who did it (when nobody logged in on the device before it):
 * web analytics' session. */
#define CDP_LINKER_SESSION_MS (30 * 60 * 1000)

struct cdp_linker_attribution {
    uint64_t attributed, unattributed; /* anonymous events on shared devices */
};

/* After resolving: each anonymous event on a device several people log in
 * on (graph.h) goes to the person logged in on it at its time: the one
 * whose login (an event of that device in a person's group) came last
 * before it, or when nobody logged in before it, the first to log in
 * after it within CDP_LINKER_SESSION_MS; else to nobody (cdp_id null), as
 * do events without a time. */
void cdp_linker_attribute(struct cdp_linker *lk, struct cdp_linker_attribution *out);

/* Pass 2 over the same inputs, writing to out with the ids of ids.
 * *written counts the records written (also when it fails). Returns 0, also
 * when out failed (cdp_output_commit reports that), or -1 with err set when
 * an input cannot be read or has changed since pass 1. */
int cdp_linker_write(struct cdp_linker *lk, const struct cdp_reread *inputs, size_t n,
                     const struct cdp_reader_options *in, const struct cdp_idstate *ids,
                     struct cdp_output *out, uint64_t *written, struct cdp_error *err);

/* ---- the steps of a sharded run (identity/edges.h) ----
 *
 * --edges is pass 1 with options.edges set. --resolve: cdp_linker_join
 * adds the rows of the n edges files (one per shard, in shard order) to the
 * graph in the order cdp-shard's order file gives, as pass 1 would have
 * added the rows of the unsplit input; the caller then loads the state,
 * resolves and gives ids as usual, and cdp_linker_write_ids writes each
 * shard's ids file. --apply: cdp_linker_apply is pass 2 over one shard's
 * inputs with the ids of its ids file. */

/* -1 with err when a file cannot be read or is damaged, the order names
 * another number of shards, or a shard's edges hold other than the rows the
 * order gives it. */
int cdp_linker_join(struct cdp_linker *lk, const char *order_path, const char *const *edges, size_t n,
                    struct cdp_error *err);

/* Writes the ids file of each of the joined shards to outs[shard], and to
 * order (NULL: none) the order file (io/shard.h) of the records the shards'
 * --apply will write, which cdp-shard --interleave reads them back in: the
 * order one cdp-dedupe writes them in (write failures are reported by
 * cdp_output_commit). Adds to *written the records the shards will write,
 * to *rejected the rows that are not records: what one run would count. */
void cdp_linker_write_ids(struct cdp_linker *lk, const struct cdp_idstate *ids, struct cdp_output **outs,
                          struct cdp_output *order, uint64_t *written, uint64_t *rejected);

/* As cdp_linker_write, with the ids of the ids file at ids_path; -1 with err
 * also when the inputs and the ids file hold different numbers of rows. */
int cdp_linker_apply(struct cdp_linker *lk, const struct cdp_reread *inputs, size_t n,
                     const struct cdp_reader_options *in, const char *ids_path, struct cdp_output *out,
                     uint64_t *written, struct cdp_error *err);

/* cdp-forget: copies the links file at path to out but the lines about the
 * persons p (identity/idstate.h): those naming one of their records as "a"
 * or "b", and those whose key and value are one of their identifiers that
 * nobody else holds. Every other line is copied as written; counts both.
 * -1 with err when path cannot be read or has a line that is not a link. */
int cdp_linker_forget_links(const char *path, const struct cdp_idstate_persons *p,
                            struct cdp_output *out, uint64_t *kept, uint64_t *removed,
                            struct cdp_error *err);

#endif
