/* dedupe.h: one run of cdp-dedupe, or one step of a sharded run: its inputs,
 * the linker's two passes (linker.h) with the state, the model and the ids
 * between them, what the run counts, and its files committed together.
 *
 * The steps: a whole run reads its inputs (spooled, to be read twice),
 * links, gives ids and writes every record with its id. A sharded run
 * splits that in three (identity/edges.h): --edges writes one shard's edges
 * file in pass 1 and stops; --resolve joins the shards' edges files, links,
 * gives ids and writes each shard's ids file (and the order file); --apply
 * writes one shard's records with the ids of its ids file.
 *
 * The library never prints: what a run counts, and when each of its phases
 * ends, it tells its caller through the options' callbacks, under the names
 * the summary and --stats use (cli/report.h), in the order the program has
 * always counted them (that order is the summary's and --stats'). The rows
 * that are not records are counted here, written to the rejects file, and
 * handed to the reject callback for the message.
 *
 * cdp_dedupe_commit replaces every file of the run together, all or none
 * (io/replace.h), so that a retry after any failure is the same run again:
 * never the journal with this run's lines while the state is yesterday's.
 * Standard output first (it cannot be taken back), the journal before the
 * state (a run killed between the two renames repeats journal lines rather
 * than lose them). */
#ifndef CDP_IDENTITY_DEDUPE_H
#define CDP_IDENTITY_DEDUPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "identity/keys.h"
#include "identity/model.h"
#include "identity/modellink.h"
#include "io/output.h"
#include "io/reader.h"
#include "io/rejects.h"

enum cdp_dedupe_step {
    CDP_DEDUPE_WHOLE,   /* one cdp-dedupe */
    CDP_DEDUPE_EDGES,   /* sharded, step 1 (on each shard): the input's edges file to output */
    CDP_DEDUPE_RESOLVE, /* step 2 (on one host): each shard's ids file, output a template */
    CDP_DEDUPE_APPLY,   /* step 3 (on each shard): the records with the ids of an ids file */
};

struct cdp_dedupe_options {
    enum cdp_dedupe_step step;
    const char *const *files; /* the inputs (--resolve: the edges files); none: stdin */
    size_t nfiles;
    const char *order;   /* --resolve: cdp-shard's order file */
    const char *ids;     /* --apply: the shard's ids file */
    const char *output;  /* -o (--resolve: the ids files' template, io/shard.h) */
    const struct cdp_output_options *out;
    const struct cdp_reader_options *in;
    /* Files; NULL: none. state is locked from cdp_dedupe_open on. */
    const char *order_out, *links, *rejects, *state, *journal, *forgotten;
    struct cdp_keyset *keys;      /* the caller's, kept */
    const char *const *conflicts; /* fields checked before every union */
    size_t nconflicts;
    struct cdp_fsmodel *model;    /* NULL: no model; the caller's, fitted here */
    struct cdp_modellink_fit_options fit;
    const char *model_out;        /* the fitted model written here; NULL: not */
    size_t nworkers;              /* threads (0: the calling one) */
    bool show_values;             /* values in clear in --links, the journal, the counts */
    /* Rows read in all and bytes of the current input, after every row
     * pass 1 reads. May be NULL. */
    void (*progress)(void *ctx, uint64_t rows, uint64_t bytes);
    /* A row that is not a record, in order, for the message (counted and
     * written to the rejects file here). May be NULL. */
    void (*reject)(void *ctx, const struct cdp_reject *r);
    /* Adds n to the summary count key, named label in the summary. */
    void (*count)(void *ctx, const char *key, const char *label, uint64_t n);
    /* Adds n to the breakdown count key of group. */
    void (*detail)(void *ctx, const char *group, const char *key, uint64_t n);
    /* The phase name has ended (for timing). */
    void (*phase)(void *ctx, const char *name);
    /* --stats: the stats file, not yet committed, with the counts so far
     * and extra (NULL, or more members) appended; NULL with err. NULL: no
     * --stats. */
    struct cdp_output *(*stats)(void *ctx, const char *extra, struct cdp_error *err);
    void *ctx;
};

struct cdp_dedupe;

/* Spools the inputs (not --edges: its single pass reads them as they come;
 * not --resolve: it reads the edges files named), locks the state, reads
 * the forget list and, with --edges, opens the output. Counts "read" (0) at
 * once, the summary's first number. o and what it points to must outlive
 * the run. NULL with err. */
struct cdp_dedupe *cdp_dedupe_open(const struct cdp_dedupe_options *o, struct cdp_error *err);

/* Discards every file not committed and releases the state's lock. Accepts
 * NULL. */
void cdp_dedupe_free(struct cdp_dedupe *d);

/* Pass 1 (--resolve: the shards' edges joined); counts "read". -1 with err. */
int cdp_dedupe_read(struct cdp_dedupe *d, struct cdp_error *err);

/* Loads the state, links by the model (fit, --model-out, link), resolves
 * the graph (each link to --links, the refused counted) and gives ids (each
 * change to this run's journal). Nothing for --edges. -1 with err. */
int cdp_dedupe_link(struct cdp_dedupe *d, struct cdp_error *err);

/* Pass 2: every record again, with its id (--apply: the ids of the ids
 * file); --resolve writes the ids files instead, --edges nothing. Counts
 * what is written. -1 with err. */
int cdp_dedupe_write(struct cdp_dedupe *d, struct cdp_error *err);

/* Replaces every file of the run together, as said above: the output (or
 * --resolve's ids files and order file), --links, the rejects file,
 * --stats, the journal, the state. Counts the links used and refused first
 * (not --edges and --apply: they have no graph, journal, state or links).
 * -1 with err and no file changed. */
int cdp_dedupe_commit(struct cdp_dedupe *d, struct cdp_error *err);

#endif
