/* segmenter.h: one run of cdp-segment over its inputs: the population
 * pass, the last run's memberships, every profile through the engine
 * (segment/engine.h) on every CPU (base/pipeline.h), and the run's files
 * replaced together.
 *
 * Inputs: when the rules need the population every input is read twice,
 * so one that cannot be read again (standard input, a pipe) is spooled
 * first (io/reread.h), and the run fails when one changed between the two
 * passes. Every input is read as NDJSON lines, whatever its name.
 *
 * Batches: finished batches are taken in input order. The caller's consume
 * callback sees each first (what it adds to the counts, the messages about
 * its lines: the caller reports them); then its rejected lines go to the
 * rejects file (io/rejects.h), its profiles to the --split files of their
 * segments (segment/split.h) and to the output, so that every file has the
 * same bytes for any number of threads.
 *
 * Files: nothing is in place before cdp_segmenter_commit. The output, the
 * split files, the rejects, --report, --stats and --history are replaced
 * together, all or none, in that order, standard output first (it cannot
 * be taken back): a retry after any failure is the same run again, never a
 * second --history line. The steps of a sharded run, which do not segment,
 * commit their files by the same rule with cdp_segment_files_commit. */
#ifndef CDP_SEGMENT_SEGMENTER_H
#define CDP_SEGMENT_SEGMENTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"
#include "io/output.h"
#include "io/reader.h"
#include "segment/engine.h"
#include "segment/history.h"
#include "segment/split.h"

/* The files of a run, or of one step of a sharded run, to be replaced
 * together. */
struct cdp_segment_files {
    struct cdp_output *out;          /* taken; or NULL */
    struct cdp_segment_split *split; /* its files are taken; or NULL */
    struct cdp_output *rejects;      /* taken; or NULL */
    /* The counts for --report and --history, or NULL (neither is written). */
    const struct cdp_segment_report *report;
    const char *report_path, *history_path; /* or NULL */
    /* The --stats file, made when its turn comes (after every count of the
     * run), or NULL for none. NULL with err when it cannot be made. */
    struct cdp_output *(*stats)(void *ctx, struct cdp_error *err);
    void *ctx;
};

/* Replaces every file of f together, in the order above (io/replace.h).
 * Takes the outputs, whatever happens. 0, or -1 with err and no file
 * changed. */
int cdp_segment_files_commit(const struct cdp_segment_files *f, struct cdp_error *err);

struct cdp_segmenter_options {
    struct cdp_segment_engine *engine; /* kept; freed by the caller, after */
    const char *const *inputs;         /* paths, "-" for standard input */
    size_t ninputs;                    /* 0: standard input */
    const struct cdp_reader_options *in;
    size_t nworkers;                   /* 0: the calling thread segments */
    /* The last run's output and cdp-dedupe's journal (engine.h), or NULL. */
    const char *previous, *journal;
    const char *output;                /* NULL: standard output */
    const struct cdp_output_options *out; /* for the output and the split files */
    /* --rejects FILE, --split DIR, --report FILE, --history FILE, or NULL. */
    const char *rejects, *split, *report, *history;
    /* Called for every line read, with the bytes read of its input so far.
     * May be NULL. */
    void (*progress)(void *ctx, uint64_t bytes);
    /* Called for every finished batch, in input order, with what it adds
     * to the run's counts. */
    void (*consume)(void *ctx, const struct cdp_segment_batch *b,
                    const struct cdp_segment_totals *added);
    struct cdp_output *(*stats)(void *ctx, struct cdp_error *err); /* as above */
    void *ctx;
};

struct cdp_segmenter;

/* Prepares the run, in this order: the inputs (spooled when needed), the
 * population pass, the last run's memberships, the workers (the first
 * compiles its rules now), the threads, the output, the rejects file and
 * the split files. NULL with err when one fails; *bad_rule is then true
 * when a rule did not compile (a usage error). */
struct cdp_segmenter *cdp_segmenter_new(const struct cdp_segmenter_options *o, bool *bad_rule,
                                        struct cdp_error *err);
/* Discards every file not committed, and frees s (accepts NULL). */
void cdp_segmenter_free(struct cdp_segmenter *s);

/* Every profile of every input through the workers, to consume and the
 * files. -1 with err when an input cannot be read or changed since the
 * population pass. */
int cdp_segmenter_run(struct cdp_segmenter *s, struct cdp_error *err);

/* How many rules are evaluated natively (rules/native.h, known once s is
 * made); the names of the others are appended to jq_names, with ", "
 * between them. For CDP_TIMING's notes. */
size_t cdp_segmenter_native_rules(const struct cdp_segmenter *s, struct cdp_buf *jq_names);

/* The profiles the native rules left to libjq, summed over the rules. */
uint64_t cdp_segmenter_asked_jq(const struct cdp_segmenter *s);

/* After the run: the gone records of the last run's persons written
 * (engine.h, cdp_segment_tally_end). Returns how many, or -1 with err
 * (an input changed between the two passes). */
long cdp_segmenter_write_gone(struct cdp_segmenter *s, struct cdp_error *err);

/* The report of the run as of as_of_day, and every file of the run
 * replaced together (cdp_segment_files_commit). 0, or -1 with err. */
int cdp_segmenter_commit(struct cdp_segmenter *s, int64_t as_of_day, struct cdp_error *err);

#endif
