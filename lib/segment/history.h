/* history.h: cdp-segment's report (--report) and history (--history): the
 * size of each segment, one JSON object a run.
 *
 *   {"as_of":"2026-11-20","profiles":4,"gone":1,"segments":{
 *    "lost":{"members":2,"holdout":0,"entered":1,"exited":0,
 *            "revenue":1200.50,"revenue_mean":600.25,"errors":0},
 *    "old":{"members":0,"holdout":0,"entered":0,"exited":1,
 *           "revenue":0.00,"revenue_mean":null,"defined":false}}}
 *
 * as_of is the day the rules ran for, profiles those written (not the
 * rejected lines nor the gone). gone, entered and exited are there only when
 * the run had the last run's output (deltas). Segments come in byte order of
 * name; revenue is the sum of the members' "revenue" (2 decimals),
 * revenue_mean that over members (null for none); errors counts the
 * profiles a rule failed on, and a name only the last run had is marked
 * "defined":false instead. cdp-segment(1), THE REPORT.
 *
 * The report file holds one such object (and a newline), written
 * atomically; the history file gets one line a run, appended, so that the
 * segments can be followed over time. Both are read back here, with
 * io/runfile.h's policy: a damaged line is an error naming file:line. */
#ifndef CDP_SEGMENT_HISTORY_H
#define CDP_SEGMENT_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"

struct cdp_segment_stat {
    const char *name;
    bool defined; /* a rule of that run (else: only the run before had it) */
    uint64_t members, holdout, entered, exited, errors;
    double revenue;
};

struct cdp_segment_report {
    int64_t as_of_day; /* days since 1970-01-01 */
    uint64_t profiles;
    bool deltas;       /* gone, entered and exited were counted */
    uint64_t gone;
    struct cdp_segment_stat *segments; /* in byte order of name */
    size_t n;
};

/* Frees r->segments (not the names, which belong to whoever filled r). */
void cdp_segment_report_release(struct cdp_segment_report *r);

/* Appends r as one JSON object, without a newline. */
void cdp_segment_report_format(const struct cdp_segment_report *r, struct cdp_buf *out);

/* Writes r to path, atomically (compressed when the name ends in .zst or
 * .gz). */
int cdp_segment_report_write(const char *path, const struct cdp_segment_report *r,
                             struct cdp_error *err);
/* The same, not yet committed (for io/replace.h). NULL with err. */
struct cdp_output *cdp_segment_report_output(const char *path, const struct cdp_segment_report *r,
                                             struct cdp_error *err);

/* The history at path with r appended as one line: a new file, not yet
 * committed (io/output.h: created 0600), holding the old lines and then
 * r's, so that committing it with the run's other files (io/replace.h)
 * makes a retry after a failure add the line once. Two runs on one history
 * at once keep the line of the one that commits last. NULL with err. */
struct cdp_output *cdp_history_append_output(const char *path, const struct cdp_segment_report *r,
                                             struct cdp_error *err);
/* The same, committed at once. */
int cdp_history_append(const char *path, const struct cdp_segment_report *r,
                       struct cdp_error *err);

/* Calls fn for each report of a history or report file, in order; r and its
 * names are valid during the call. revenue_mean is not read (it follows from
 * revenue and members). fn returns 0, or -1 with err set to stop. -1 when
 * the file cannot be read, on a damaged line, or on fn's error. */
typedef int (*cdp_history_fn)(void *ctx, const struct cdp_segment_report *r, struct cdp_error *err);
int cdp_history_read(const char *path, cdp_history_fn fn, void *ctx, struct cdp_error *err);

/* The reports of the shards of one sharded run (cdp-segment --join-reports),
 * one file each, summed into one: profiles, gone and every count added up,
 * revenue too (as written, to the cent: the sum is one run's for amounts in
 * whole cents). The names go to *names (the caller frees it and releases
 * out). -1 with err when a file cannot be read, is damaged, or is of another
 * day, other segments, or with deltas where another has none. */
int cdp_segment_reports_join(const char *const *paths, size_t n, struct cdp_segment_report *out, char **names,
                             struct cdp_error *err);

#endif
