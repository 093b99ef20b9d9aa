/* report.h: what a program tells its user on stderr, and in --stats.
 *
 * Messages about data name the place: "cdp-ingest: crm.csv:1234: invalid
 * date ...". The first few are shown and the rest counted, so that a night
 * of bad input does not bury the cron mail; the summary says how many were
 * not shown. The summary is one line of counts at the end
 * ("cdp-ingest: 120345 rows read, 120001 written, 344 rejected"); --stats
 * writes the same counts, with their breakdowns, as JSON. Progress goes to
 * stderr when it is a terminal or when asked.
 *
 * Messages are logs (norm/show.h): a personal value in one is shown with
 * cdp_report_value, masked unless --show-values; and every message line
 * has its control characters escaped here, whatever its parts, so that no
 * value can move the terminal or forge a line. */
#ifndef CDP_CLI_REPORT_H
#define CDP_CLI_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"
#include "norm/show.h"

/* Named counts, kept in the order they were first used. */
struct cdp_count {
    char *key;
    char *label; /* for the summary; NULL: not in the summary */
    uint64_t n;
};

struct cdp_counts {
    struct cdp_count *v;
    size_t n, cap;
};

struct cdp_report {
    const char *prog;
    bool quiet;    /* no summary */
    bool progress; /* show progress */
    bool show_values; /* --show-values: personal values in clear */
    double progress_interval; /* seconds between progress lines */
    unsigned max_messages;
    unsigned shown, hidden;
    struct cdp_counts counts;  /* the summary's numbers */
    struct cdp_counts details; /* breakdowns: "rejected.field_count", ... */
    /* progress */
    uint64_t progress_rows, progress_bytes;
    double started, last_shown;
    bool progress_line;
    /* phases: CDP_TIMING=1 in the environment */
    bool timing;
    double phase_started;
};

void cdp_report_init(struct cdp_report *r, const char *prog);
void cdp_report_release(struct cdp_report *r);

/* A message about the data at file:line (line 0: no line; file NULL: the
 * message names its place itself). Shown while fewer than max_messages
 * were, else counted. */
void cdp_report_data(struct cdp_report *r, const char *file, uint64_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Appends value s (n bytes) to out as this run's messages show it: masked
 * by kind, or whole with --show-values; escaped either way (norm/show.h). */
void cdp_report_value(const struct cdp_report *r, struct cdp_buf *out, const char *s, size_t n,
                      enum cdp_show_kind kind);

/* Appends msg, a message of jq's (a rule's, a trait's, a column's error)
 * that quotes the values it is about, with those values shown as
 * cdp_report_value shows them (cdp_show_quoted). */
void cdp_report_quoted(const struct cdp_report *r, struct cdp_buf *out, const char *msg);

/* "prog: message" on stderr, always shown (for errors that end the run). */
void cdp_report_error(const struct cdp_report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Adds n to a summary count; label is how the summary names it (the first
 * call fixes the order and label). Returns the new value. */
uint64_t cdp_report_add(struct cdp_report *r, const char *key, const char *label, uint64_t n);
uint64_t cdp_report_get(const struct cdp_report *r, const char *key);
/* Adds n to a breakdown count, e.g. group "rejected", key "field_count". */
void cdp_report_detail(struct cdp_report *r, const char *group, const char *key, uint64_t n);

/* Called once per record, or per block of records (rows: read so far):
 * shows progress every 4096 rows, at most twice a second. */
void cdp_report_tick(struct cdp_report *r, uint64_t rows, uint64_t bytes);

/* With CDP_TIMING set, prints how long the phase that ends now took
 * ("cdp-merge: sorted 1.23 s"), for performance work. */
void cdp_report_phase(struct cdp_report *r, const char *name);

/* With CDP_TIMING set, prints "prog: message": facts for performance work
 * (which rules cdp-segment evaluates natively, say). */
void cdp_report_note(const struct cdp_report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* After a run that failed: when its output named a file or a device (not
 * standard output), nothing reached it (io/replace.h: all or none), so the
 * count key (what was written) is 0 in the summary: "-o /dev/full" never
 * says "7286 written". */
void cdp_report_unwritten(struct cdp_report *r, const char *output, const char *key);

/* Prints the summary line (unless quiet) and ends a progress line. */
void cdp_report_summary(struct cdp_report *r);

/* Writes {"program":..., "counts":{...}, "<group>":{...}, ...} to path,
 * atomically. extra (may be NULL) is appended as more members (without the
 * leading comma, e.g. "\"persons\":12"). */
struct cdp_output;
struct cdp_rejects;
/* Commits a program's output, its rejects file, --stats (r's counts, when
 * stats is not NULL) and then last (cdp-merge's state) together, all or
 * none (io/replace.h), standard output first: a failure changes no file,
 * and a retry is the same run again. Takes out, rejects and last (any may
 * be NULL). 0, or -1 with err. */
int cdp_report_commit(const struct cdp_report *r, struct cdp_output *out, struct cdp_rejects *rejects,
                      const char *stats, struct cdp_output *last, struct cdp_error *err);

/* The --stats file, not yet committed (for io/replace.h). NULL with err. */
struct cdp_output *cdp_report_stats_output(const struct cdp_report *r, const char *path,
                                           const char *extra, struct cdp_error *err);
int cdp_report_write_stats(const struct cdp_report *r, const char *path, const char *extra,
                           struct cdp_error *err);

#endif
