/* engine.h: cdp-segment's engine: each profile through the segment rules,
 * with control groups and the changes since the last run.
 *
 * One profile is one NDJSON line. A line that is not a JSON object with a
 * non-empty string cdp_id is rejected (code invalid_json, not_object,
 * invalid_utf8 or no_cdp_id). Otherwise:
 * - what an earlier run added (segments, holdout, entered, exited, gone,
 *   rfm) is dropped: the rules do not see it and it is not written twice;
 * - with population rules, the person's RFM scores are set as "rfm"
 *   (segment/population.h), for the rules to read;
 * - every rule runs on it, each after the rules it reads with segment()
 *   (rules/ruleset.h); a rule that fails is counted and named in a message,
 *   and the person is not in that segment. A rule in the part of jq that
 *   rules/native.h evaluates runs there, and in libjq (compiled at its
 *   first need) on the profiles where the native evaluation asks for it;
 *   the others run in libjq. The memberships and messages are libjq's
 *   either way;
 * - the line is written back as read, byte for byte (or, when it had stale
 *   members, rebuilt compactly without them), with before its closing
 *   brace: rfm, segments (names in byte order), holdout (with a control
 *   group), entered and exited (with the last run's memberships).
 *
 * Control groups: a person is held out of a segment when a hash of the salt,
 * the segment's name and the cdp_id, as a fraction of 1, is below the
 * holdout share: the same person from run to run, and independent between
 * segments. A held-out person is in the segment for the deltas.
 *
 * The work is shaped for base/pipeline.h: the engine is read-only once the
 * batches run; each worker thread has its own compiled rules; a batch holds
 * lines and what became of them; the calling thread keeps the tally (counts
 * per segment, who of the last run was seen, the gone records, the report).
 * Nothing depends on the number of threads. */
#ifndef CDP_SEGMENT_ENGINE_H
#define CDP_SEGMENT_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"
#include "io/batch.h"
#include "io/reader.h"
#include "rules/jq.h"
#include "rules/ruleset.h"
#include "segment/history.h"

struct cdp_segment_options {
    const struct cdp_ruleset *rules; /* finished; kept, not copied */
    const struct cdp_jq_vars *args;  /* --arg and --argjson: win over params */
    int64_t as_of_day;               /* $as_of, $as_of_day */
    double holdout;                  /* percent held out, 0 (none) up to 100 */
    const char *salt;                /* of the holdout draw; kept */
    bool jq_only;                    /* every rule in libjq, none natively */
    /* A sharded run's population figures (segment/figures.h), or NULL: with
     * them, population rules score each profile by the figures, without a
     * first pass. Kept, not copied. */
    const struct cdp_figures *figures;
    /* A sharded run's shard (io/shard.h, by cdp_id): the last run's persons
     * that are gone are written (and counted) only by the shard their id
     * goes to. nshards 0: not sharded. */
    uint32_t shard, nshards;
};

struct cdp_segment_engine;

/* The variables of the rules are the rule files' params, then $as_of and
 * $as_of_day, then args. Every rule is compiled once now, so that a rule
 * that does not compile is refused before any input is read: NULL with err
 * "ORIGIN: segment NAME: jq's message" (a rule compiled natively is valid
 * jq, and is not compiled by libjq, which takes some 40 ms a rule). */
struct cdp_segment_engine *cdp_segment_engine_new(const struct cdp_segment_options *opt,
                                                  struct cdp_error *err);
void cdp_segment_engine_free(struct cdp_segment_engine *e);

/* Whether the rules need the population (a rule file says "needs
 * population"): then every input is read twice, first by
 * cdp_segment_population_read. */
bool cdp_segment_needs_population(const struct cdp_segment_engine *e);

/* The first pass: the figures of every profile of one input (ro: how to
 * read it; always as NDJSON lines), in input order. */
int cdp_segment_population_read(struct cdp_segment_engine *e, const char *path,
                                const struct cdp_reader_options *ro, struct cdp_error *err);

/* After the first pass: the RFM scores, and $vip_threshold, the smallest
 * revenue_365d in the top $vip_percent (default 10) of the profiles. */
void cdp_segment_population_done(struct cdp_segment_engine *e);

/* The top share for $vip_threshold: the rules' vip_percent (default 10). */
double cdp_segment_vip_percent(const struct cdp_segment_engine *e);

/* The last run's output (segment/membership.h), for entered, exited and
 * gone; with a journal (not NULL), ids merged since are followed. */
int cdp_segment_previous_read(struct cdp_segment_engine *e, const char *path,
                              const char *journal, struct cdp_error *err);

/* ---- workers and batches ------------------------------------------------ */

struct cdp_segment_worker;

/* A worker compiles every rule (some 40 ms each with libjq 1.6) at its
 * first batch, in its own thread, or now with compile_now (NULL with err
 * as cdp_segment_engine_new's when one does not compile). The first worker
 * of a run with one pass takes the programs compiled for the check. */
struct cdp_segment_worker *cdp_segment_worker_new(struct cdp_segment_engine *e, bool compile_now,
                                                  struct cdp_error *err);
void cdp_segment_worker_free(struct cdp_segment_worker *w);

/* What happened to a person in one segment. An event is the segment's
 * name id (the rules are names 0..n-1, in their order; the last run may add
 * names) << 2 | the kind. */
enum cdp_segment_kind {
    CDP_SEGMENT_MEMBER,  /* in the segment, not held out */
    CDP_SEGMENT_HOLDOUT, /* in it, held out */
    CDP_SEGMENT_ENTERED, /* in it now, not last time */
    CDP_SEGMENT_EXITED,  /* in it last time, not now */
};
#define CDP_SEGMENT_EVENT_NAME(ev) ((ev) >> 2)
#define CDP_SEGMENT_EVENT_KIND(ev) ((enum cdp_segment_kind)((ev) & 3))

/* What became of one line. */
struct cdp_segment_result {
    const char *code;   /* NULL: a profile; else why the line was rejected */
    size_t out_end;     /* its output ends here in out (a rejected line has none) */
    size_t events_end;  /* its events end here in events */
    size_t messages_end; /* its messages end here in messages */
    uint32_t previous;  /* the last run's person, or UINT32_MAX */
    double revenue;     /* its "revenue", NaN when none */
};

struct cdp_segment_batch {
    struct cdp_batch lines; /* the profile lines, as the reader gave them */
    size_t first_pos;       /* the input position of the first line */
    const char *file;       /* the input's name, for messages */
    /* Filled by cdp_segment_batch_run, line by line: */
    struct cdp_segment_result *results;
    struct cdp_buf out;     /* the profiles written */
    uint32_t *events;
    size_t nevents, events_cap, results_cap;
    /* The messages about each line, NUL-terminated one after another: for a
     * rejected line its reason (one), else the rules that failed on it. */
    struct cdp_buf messages;
    uint64_t *rule_errors; /* per rule: the profiles it failed on */
    uint64_t *rule_asked;  /* per native rule: the profiles it left to libjq */
    size_t nrules;
};

struct cdp_segment_batch *cdp_segment_batch_new(const struct cdp_segment_engine *e);
void cdp_segment_batch_run(struct cdp_segment_worker *w, struct cdp_segment_batch *b);
void cdp_segment_batch_clear(struct cdp_segment_batch *b);
void cdp_segment_batch_free(struct cdp_segment_batch *b);

/* The rules (names 0..n-1), and the name of rule i. */
size_t cdp_segment_rule_count(const struct cdp_segment_engine *e);
const char *cdp_segment_rule_name(const struct cdp_segment_engine *e, size_t i);

/* Whether rule i is evaluated natively (rules/native.h); with population
 * rules, known after cdp_segment_population_done. */
bool cdp_segment_rule_native(const struct cdp_segment_engine *e, size_t i);

/* ---- the tally ---------------------------------------------------------- */

struct cdp_segment_tally;

/* Create it after cdp_segment_previous_read. */
struct cdp_segment_tally *cdp_segment_tally_new(const struct cdp_segment_engine *e);
void cdp_segment_tally_free(struct cdp_segment_tally *t);

/* What a batch adds to the counts of the run. */
struct cdp_segment_totals {
    uint64_t profiles, rejected;
    uint64_t memberships, held_out; /* person-segment pairs */
};

/* Counts a finished batch, in input order; sets *added. */
void cdp_segment_tally_batch(struct cdp_segment_tally *t, const struct cdp_segment_batch *b,
                             struct cdp_segment_totals *added);

/* After the last batch: -1 with err when the input changed between the two
 * passes; then, with the last run's memberships, a record for each person
 * who was in a segment then and is neither in the input nor merged into
 * someone who is, in id order, given to fn with its newline:
 * {"cdp_id":...,"segments":[],("holdout":[],)"entered":[],"exited":[...],
 * "gone":true}. Returns how many, or -1. */
typedef void (*cdp_segment_line_fn)(void *ctx, const char *line, size_t len);
long cdp_segment_tally_end(struct cdp_segment_tally *t, cdp_segment_line_fn fn, void *ctx,
                           struct cdp_error *err);

/* The report of the run (segment/history.h), valid while t is; release it
 * with cdp_segment_report_release. */
void cdp_segment_tally_report(const struct cdp_segment_tally *t, int64_t as_of_day,
                              struct cdp_segment_report *r);

#endif
