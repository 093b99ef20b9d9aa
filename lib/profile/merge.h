/* merge.h: cdp-merge's work, every person's records to one profile, with
 * the traits of the user's own, on every CPU.
 *
 * Grouping: cdp_merger_read takes every line of an input with its cdp_id
 * (identity/linked.h: from the end of the line, as cdp-dedupe writes it,
 * else by parsing; a CSV record is merged as JSON) into an external sort
 * (io/extsort.h), which keeps memory bounded whatever the input's size. A
 * line without an id is anonymous and left out; one that is not a JSON
 * object goes to the reject callback.
 *
 * Merging: cdp_merger_write takes the groups in cdp_id order, hands batches
 * of whole persons to worker threads (base/pipeline.h), each of which parses
 * a person's lines, builds the profile (profile.h) and runs each trait's jq
 * program on {"profile": the profile so far, "events": [the events by
 * time]}, taking its first output (null for none or an error). Finished
 * batches go to the consume callback in cdp_id order, so that the output,
 * the messages and the counts are the same for any number of workers.
 *
 * With a journal (idmap.h) a line's cdp_id merged away is read as the id
 * that absorbed it. With a state (store.h), the night's lines are merged
 * into the persons kept from earlier nights: a person with no new line
 * whose saved profile is current is written from it, anyone else is made
 * again from all their lines in the order they were read, night after
 * night, which gives the profiles a run without a state would give on
 * every night's input in order. Everyone is made again when the options
 * (--prefer, --rule, --cart-timeout, the version) changed, when the moment
 * is earlier than the state's, and with traits (which may read anything). */
#ifndef CDP_PROFILE_MERGE_H
#define CDP_PROFILE_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"
#include "io/reader.h"
#include "io/rejects.h"
#include "profile/profile.h"

/* --trait NAME=JQ */
struct cdp_trait {
    const char *name;
    const char *expr;
};

/* A message about a person's lines: a line that looked like a record when
 * read but is not JSON (where it came from is lost in the sort, its text
 * is not: where is "(records)"), or a trait that failed (where is "cdp_id
 * ID", message "trait NAME: what jq said"). */
struct cdp_merge_note {
    const char *where, *message;
    bool jq; /* a trait's jq error, which may quote values (norm/show.h) */
};

/* What one batch of persons gave, in cdp_id order; valid during consume. */
struct cdp_merge_result {
    const struct cdp_buf *out; /* the profiles, one line each */
    const struct cdp_merge_note *notes; /* in order */
    size_t nnotes;
    const struct cdp_buf *rejects; /* those lines, as rejects lines */
    uint64_t profiles;             /* persons with at least one good line */
    uint64_t rejected;
    const uint64_t *trait_errors;  /* per trait: the persons it failed for */
};

struct cdp_merger_options {
    const struct cdp_profile_options *profile;
    const struct cdp_trait *traits;
    size_t ntraits;
    size_t memory;   /* for grouping before spilling to $TMPDIR */
    size_t nworkers; /* 0: the calling thread builds the profiles */
    int zstd_workers; /* threads compressing a spilled run (extsort.h) */
    const char *state;   /* --state FILE (store.h), or NULL */
    const char *journal; /* --journal FILE (idmap.h), or NULL */
    /* Called after every line read: lines read of this input, its bytes
     * read. May be NULL. */
    void (*progress)(void *ctx, uint64_t rows, uint64_t bytes);
    /* Called for every line read that is not a record, in order. */
    void (*reject)(void *ctx, const struct cdp_reject *r);
    void (*consume)(void *ctx, const struct cdp_merge_result *r);
    void *ctx;
};

struct cdp_merger;

/* Compiles the traits (once per worker), reads the journal, locks and
 * opens the state, and starts the workers. NULL with err set when a trait
 * does not compile (*bad_trait is its index: a usage error), or the
 * journal or state cannot be read or the threads cannot start (*bad_trait
 * is SIZE_MAX). */
struct cdp_merger *cdp_merger_new(const struct cdp_merger_options *o, size_t *bad_trait,
                                  struct cdp_error *err);
void cdp_merger_free(struct cdp_merger *m);

/* Grouping: every line of the input at path. Returns 0, or -1 with err set
 * when it cannot be read or the sort fails. */
int cdp_merger_read(struct cdp_merger *m, const char *path, const struct cdp_reader_options *in,
                    struct cdp_error *err);

/* Lines read in all, and those with no cdp_id. */
uint64_t cdp_merger_lines(const struct cdp_merger *m);
uint64_t cdp_merger_anonymous(const struct cdp_merger *m);

/* Ends grouping (the sort's last runs are merged). Returns 0 or -1. */
int cdp_merger_sort(struct cdp_merger *m, struct cdp_error *err);

/* Merging: every person's profile, to consume in cdp_id order. Returns 0,
 * or -1 with err set when the sorted lines cannot be read back. */
int cdp_merger_write(struct cdp_merger *m, struct cdp_error *err);

/* Runs spilled to temporary files while grouping, and their bytes. */
void cdp_merger_spilled(const struct cdp_merger *m, uint64_t *runs, uint64_t *bytes);

/* With a state: the new state is written beside the profiles, and given
 * its name here (call after the profiles are in place: a run that fails
 * before leaves the old state, so that running it again gives the same
 * files). 0, or -1 with err set. */
int cdp_merger_commit_state(struct cdp_merger *m, struct cdp_error *err);
/* Or: the new state's output, for the caller to commit with the run's
 * other files, last (io/replace.h); NULL without --state. */
struct cdp_output *cdp_merger_state_output(struct cdp_merger *m);

/* With a state, what the run did: persons written again from their saved
 * profile, persons made again from their lines, persons and lines now kept. */
struct cdp_merger_state_counts {
    uint64_t restored, remade, persons, lines;
};
void cdp_merger_state_counts(const struct cdp_merger *m, struct cdp_merger_state_counts *c);

#endif
