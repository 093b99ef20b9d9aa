/* exporter.h: one cdp-export run, or a step of a sharded one: each profile
 * read is exported, or counted under the one reason it is not
 * (export/audience.h), or rejected; and the run's files replaced together.
 *
 * A run, one call a phase:
 *   1. cdp_exporter_new: the columns' jq programs, the audience.
 *   2. cdp_exporter_load: what must not be sent and what was sent before:
 *      the recommendations (export/recs.h), the files' writer
 *      (export/writer.h), the forget list, a sharded export's decisions
 *      (export/contacts.h), the suppression lists, the previous export's
 *      files (export/delta.h).
 *   3. cdp_exporter_open: the inputs; with a channel, first the refusals
 *      pass over all of them (refused_elsewhere), so that each is read
 *      twice (io/reread.h: a pipe is spooled, and a regular file must not
 *      change between the passes), except in a shard's export, whose
 *      decisions hold every shard's refusals. Then the files written.
 *   4. cdp_exporter_read: every line of every input, in order: a profile
 *      exported (or found unchanged against the previous export), or
 *      counted under its reason, or a line that is no profile rejected (to
 *      the reject callback and the rejects file). The inputs are checked
 *      again after the pass.
 *   5. cdp_exporter_check: a segment asked for that no profile has, against
 *      a previous export with rows, is an error unless allow_empty: a
 *      misspelt -s would send everyone to the removed file.
 *   6. cdp_exporter_commit: every file of the run replaced together, all or
 *      none (io/replace.h): the output's parts (standard output first: it
 *      cannot be taken back), the removed rows, the --full baseline, the
 *      rejects and the --stats file; so that a failed run leaves the last
 *      export, its baseline and no mix of parts, and a retry is the same
 *      run again. Stale parts go once all are named.
 *
 * Or the steps of a sharded export (export/contacts.h): step 1 after
 * phases 1 and 2, cdp_exporter_summarize (each profile's refusal and its
 * claim on a contact, to the summary); step 2, with no exporter,
 * cdp_exporter_join. Step 3 is a run with the joined decisions.
 *
 * Messages are the caller's: the library reports through the callbacks
 * and the counts (cdp_exporter_counts), and fills err. */
#ifndef CDP_EXPORT_EXPORTER_H
#define CDP_EXPORT_EXPORTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"
#include "export/audience.h"
#include "export/format.h"
#include "export/suppress.h"
#include "export/writer.h"
#include "io/output.h"
#include "io/reader.h"
#include "io/rejects.h"
#include "io/record.h"

struct cdp_exporter_options {
    /* The segments, include_holdout, strict_consent and region; the channel
     * and what the format wants (a mobile, the tags) come from writer. */
    struct cdp_audience_options audience;
    /* Everything but cells and ctx, which are the exporter's: its columns
     * are the caller's (jq programs, export/columns.h), then the
     * recommendations' (csv formats). */
    struct cdp_export_writer_options writer;
    const char *const *column_exprs; /* the jq of each of writer's columns */
    const char *const *suppress; /* suppression lists (export/suppress.h) */
    size_t nsuppress;
    const char *suppress_column; /* read them as CSV, this column; NULL: not */
    const char *const *previous; /* the previous export's files */
    size_t nprevious;
    const char *forgotten;       /* a forget list (io/forgetlist.h), or NULL */
    const char *contacts;        /* a sharded export's decisions, or NULL */
    const char *recommendations; /* cdp-recommend's lists (export/recs.h), or NULL */
    size_t rec_columns;          /* how many of them a profile (1 or more) */
    const char *rejects;         /* the rejects file (io/rejects.h), or NULL */
    bool allow_empty;            /* see phase 5 */
    const struct cdp_reader_options *in; /* how the inputs are read */
    /* Called after every line read: lines read so far, bytes of this input
     * read. May be NULL. */
    void (*progress)(void *ctx, uint64_t rows, uint64_t bytes);
    /* Called for every line that is not a profile, before it goes to the
     * rejects file. */
    void (*reject)(void *ctx, const struct cdp_reject *r);
    /* Called when a column's program fails on the profile read at
     * file:line, which is then skipped as column_error: its header, and
     * jq's message (which may quote the profile's values). */
    void (*column_error)(void *ctx, const char *file, uint64_t line, const char *header,
                         const char *message);
    /* Called for each entry of a suppression list that is not used. */
    cdp_suppress_bad_fn suppress_bad;
    void *ctx;
};

struct cdp_exporter;

/* Copies o; its strings must outlive the exporter. NULL with err when the
 * options are wrong (a usage error): a column's program does not compile
 * (err names -c HEADER), or the audience's region is unknown (--region). */
struct cdp_exporter *cdp_exporter_new(const struct cdp_exporter_options *o, struct cdp_error *err);
void cdp_exporter_free(struct cdp_exporter *e);

/* Phase 2. -1 with err, which names the option of the file that could not
 * be read. */
int cdp_exporter_load(struct cdp_exporter *e, struct cdp_error *err);

/* Phase 3: paths[0..n), n >= 1 ("-": standard input). -1 with err. */
int cdp_exporter_open(struct cdp_exporter *e, const char *const *paths, size_t n,
                      struct cdp_error *err);

/* Phases 4 and 5. -1 with err (a write or read error, an input changed
 * between the passes; a segment in no profile). */
int cdp_exporter_read(struct cdp_exporter *e, struct cdp_error *err);
int cdp_exporter_check(struct cdp_exporter *e, struct cdp_error *err);

/* Phase 6. stats, when not NULL, makes the --stats file once the counts are
 * final (the removed rows are counted as they are written here), to be
 * replaced with the rest. 0, or -1 with err (nothing replaced). */
int cdp_exporter_commit(struct cdp_exporter *e,
                        struct cdp_output *(*stats)(void *ctx, struct cdp_error *err), void *ctx,
                        struct cdp_error *err);

/* Step 1 of a sharded export: reads paths[0..n) (n >= 1) once and writes
 * their summary to out (the caller commits it). -1 with err (a read error,
 * a profile out of cdp_id order, file:line). */
int cdp_exporter_summarize(struct cdp_exporter *e, struct cdp_output *out, const char *const *paths,
                           size_t n, struct cdp_error *err);

/* One count for the summary line (group NULL; label NULL: in --stats only)
 * or a breakdown in --stats (group "skipped" or "suppression_list"). */
struct cdp_exporter_count {
    const char *group, *key, *label;
    uint64_t n;
};

/* Calls fn with each count, in this order, valid during the call: "read";
 * after a summary "claims" and "refusals", else "exported" (its label with
 * the delta's added, changed and unchanged); against a previous export
 * "added", "changed", "unchanged", "removed"; "skipped" (its label with the
 * count of each reason), "rejected"; with channel ads
 * "exported_without_consent_ads". Then the breakdowns: "skipped" by
 * reason (forgotten only with a forget list), and "suppression_list"
 * (emails, phones, hashes, ignored) when lists were read. Every profile
 * read is exported, skipped for one reason, or rejected. */
void cdp_exporter_counts(const struct cdp_exporter *e,
                         void (*fn)(void *ctx, const struct cdp_exporter_count *c), void *ctx);

/* Step 2 of a sharded export (one host): joins the shards' summaries at
 * paths[0..n) into out (export/contacts.h), then calls fn with its counts:
 * "read", "claims", "refused", "contested". -1 with err (fn not called). */
int cdp_exporter_join(const char *const *paths, size_t n, struct cdp_output *out,
                      void (*fn)(void *ctx, const struct cdp_exporter_count *c), void *ctx,
                      struct cdp_error *err);

/* The run's members of --stats, each after a comma but the first:
 * "format", "channel", then the files written (cdp_export_writer_files). */
void cdp_exporter_stats_members(const struct cdp_exporter *e, struct cdp_buf *json);

#endif
