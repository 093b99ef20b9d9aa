/* figures.h: every figure of the nightly report, read from what a nightly
 * run leaves in its folder (cdp-report(1), THE RUN FOLDER):
 *
 *   stats-*.json                 the --stats files of the last run
 *   rejects-SOURCE.ndjson        cdp-ingest's rejects (linked from the page)
 *   segments-history.ndjson      cdp-segment --history (segment/history.h)
 *   segments.ndjson.zst          cdp-segment's output: profiles, segments, holdout
 *   identified.ndjson.zst        cdp-dedupe's output: the linked events
 *   identity.journal.ndjson      cdp-dedupe --journal (identity/journal.h)
 *   links.ndjson                 cdp-dedupe --links
 *   nights/DATE/                 what was kept of each night: its stats-*.json,
 *                                identity.journal.ndjson and segments.ndjson.zst
 *
 * Each file may also be compressed (.zst or .gz, or without). The history
 * and tonight's segment output are needed; the rest is used when it is
 * there. Reading never stops at a bad file: what cannot be read becomes a
 * problem (file, line and what is wrong), shown on the page, and the other
 * sections are still filled. The figures are the same whatever the page's
 * language: --json writes them as they are here. */
#ifndef CDP_INSIGHT_FIGURES_H
#define CDP_INSIGHT_FIGURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "insight/stats.h"

enum cdp_section { CDP_SEC_RUN, CDP_SEC_IDENTITY, CDP_SEC_AUDIENCES, CDP_SEC_CAMPAIGNS,
                   CDP_SEC_CARTS, CDP_SECTIONS };

/* Something the report could not read or work out. error: a file damaged
 * or missing that should be there (the program exits 1); else a note (a
 * file that is optional and absent, a segment without a control group). */
struct cdp_problem {
    enum cdp_section section;
    bool error;
    char *text;
};

/* A named figure. */
struct cdp_named {
    char *name;
    double value;
};

struct cdp_named_list {
    struct cdp_named *v;
    size_t n, cap;
};

/* ---- 1. the run --------------------------------------------------------- */

/* One --stats file: {"program":..,"counts":{..},"<group>":{..},..}. */
struct cdp_stats_group {
    char *name;
    struct cdp_named_list counts;
};

struct cdp_stats_file {
    char *label;   /* the name less "stats-" and ".json": "ingest-crm" */
    char *program; /* "cdp-ingest" */
    char *source;  /* for cdp-ingest: the label less "ingest-" ("crm"); else NULL */
    char *rejects; /* for cdp-ingest: the rejects file in the folder, or NULL */
    uint64_t rejects_lines;
    struct cdp_named_list counts;
    struct cdp_stats_group *groups;
    size_t ngroups;
};

struct cdp_run_night {
    int64_t day;
    struct cdp_stats_file *files;
    size_t nfiles;
};

struct cdp_run_figures {
    struct cdp_stats_file *files; /* tonight's, by label */
    size_t nfiles;
    struct cdp_run_night *nights; /* from nights/DATE/, by day */
    size_t nnights;
};

/* ---- 2. identity -------------------------------------------------------- */

#define CDP_RECORD_BINS 8  /* records per person: 1 2 3 4 5 6-10 11-20 21+ */
#define CDP_TOP_CLUSTERS 10
#define CDP_WEIGHT_BINS 8  /* model match weights: <5 5-10 ... 30-35 35+ */

struct cdp_cluster {
    char *cdp_id;
    char *name;    /* first and last name (masked unless values are shown), or NULL */
    char *sources; /* "crm 1, pos 4" */
    uint64_t records, emails, phones, cards;
};

#define CDP_JOURNAL_LINES 10 /* entries since the night before, listed */

struct cdp_journal_line {
    char *from, *to, *reason, *key, *value; /* key, value NULL for a split; value
                                               masked unless values are shown */
};

struct cdp_identity_figures {
    bool values_shown; /* names and link values in clear (else masked, norm/show.h) */
    bool profiles_read;
    uint64_t persons, records, cross_source;
    uint64_t record_bins[CDP_RECORD_BINS];
    struct cdp_cluster clusters[CDP_TOP_CLUSTERS]; /* most records first */
    size_t nclusters;
    bool journal_read;
    bool journal_since_known;     /* the journal of the night before was kept */
    int64_t journal_since_day;    /* that night */
    uint64_t merged, split;       /* entries since (all when not known) */
    uint64_t total_merged, total_split;
    struct cdp_journal_line *lines; /* the first few of those since */
    size_t nlines;
    bool links_read;
    struct cdp_named_list used_by_key, refused_by_reason, refused_by_key;
    uint64_t model_links;
    uint64_t weight_bins[CDP_WEIGHT_BINS];
    double weight_min, weight_max, weight_sum;
};

/* ---- 3. audiences ------------------------------------------------------- */

struct cdp_audience_figures {
    size_t nnights;
    int64_t *days;       /* the history's nights, in its order */
    size_t nsegments;
    char **names;        /* every segment the history names, byte order */
    double *members;     /* nsegments * nnights, segment by segment; NaN: not there */
    double *holdout;     /* the same */
    /* tonight: the history's last line */
    uint64_t profiles;
    bool deltas;
    uint64_t *entered, *exited; /* nsegments */
    double *revenue;            /* nsegments */
    bool *defined;              /* nsegments: a rule of tonight's run */
    /* tonight's segment output */
    uint64_t *overlap;          /* nsegments * nsegments: members of both */
    uint64_t rfm_profiles;
    uint64_t rfm_count[5][5];   /* [recency - 1][frequency - 1] */
    double rfm_revenue[5][5];
};

/* ---- 4. campaigns ------------------------------------------------------- */

struct cdp_arm {
    uint64_t n, converted, orders;
    double revenue;
    struct cdp_moments revenue_pp, orders_pp; /* per person */
};

enum cdp_verdict {
    CDP_VERDICT_NO_DATA,    /* no segment output for the date, or nobody */
    CDP_VERDICT_NO_HOLDOUT, /* nobody held out: no lift to measure */
    CDP_VERDICT_TOO_FEW,    /* the interval crosses zero */
    CDP_VERDICT_UP,         /* the interval is above zero */
    CDP_VERDICT_DOWN,       /* below */
};

struct cdp_campaign {
    char *segment;
    int64_t day;           /* sent on */
    int window;            /* days after it */
    int observed;          /* days of the window up to tonight */
    bool found;            /* the segment output of that day was read */
    struct cdp_arm sent, held;
    double rate_sent, rate_held, uplift, relative; /* NaN when not defined */
    struct cdp_interval uplift_ci;                 /* Newcombe; NaN: none */
    double p;                                      /* two-proportion z-test */
    struct cdp_welch revenue, orders;              /* Welch */
    bool revenue_ok, orders_ok;
    enum cdp_verdict verdict;
};

/* ---- 5. carts and categories -------------------------------------------- */

#define CDP_CART_DAYS 30 /* carts created: a cart_add within these days */
#define CDP_INTEREST_DAYS 90 /* the room being furnished: as category.rules */

struct cdp_category {
    char *name;
    uint64_t buyers, orders, viewers, furnishing;
    double revenue;
};

struct cdp_cart_figures {
    bool profiles_read, events_read;
    uint64_t abandoned;  /* profiles with an open cart tonight */
    double value;        /* what is in them */
    uint64_t created;    /* persons with a cart_add in CDP_CART_DAYS, or an open cart */
    double rate;         /* abandoned / created (NaN for none) */
    bool previous_read;  /* the night before's segment output */
    int64_t previous_day;
    uint64_t previous_abandoned, recovered;
    double recovered_value, recovery_rate;
    struct cdp_category *categories; /* by revenue, then name */
    size_t ncategories;
    uint64_t furnishing; /* persons with a room being furnished */
};

/* ---- the whole ---------------------------------------------------------- */

struct cdp_campaign_spec {
    const char *segment;
    int64_t day;
};

struct cdp_insight_options {
    const char *dir; /* the run folder */
    const struct cdp_campaign_spec *campaigns;
    size_t ncampaigns;
    int window;      /* days (default 14) */
    bool show_values; /* personal values (names, e-mails, phones, cards) in clear */
};

struct cdp_insight {
    int64_t as_of_day;   /* tonight: the history's last night (-1: unknown) */
    struct cdp_run_figures run;
    struct cdp_identity_figures identity;
    struct cdp_audience_figures audiences;
    struct cdp_campaign *campaigns;
    size_t ncampaigns;
    struct cdp_cart_figures carts;
    struct cdp_problem *problems;
    size_t nproblems;
};

/* Reads the run folder into fig (zeroed here). Never fails as a whole:
 * returns the number of problems that are errors. */
size_t cdp_insight_read(const struct cdp_insight_options *opt, struct cdp_insight *fig);
void cdp_insight_release(struct cdp_insight *fig);

/* Adds a problem (the text formatted). */
void cdp_insight_problem(struct cdp_insight *fig, enum cdp_section section, bool error,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Adds value to the figure called name (len bytes) in list, adding it. */
void cdp_named_add(struct cdp_named_list *list, const char *name, size_t len, double value);
void cdp_named_release(struct cdp_named_list *list);
/* Sorts by value, largest first, then by name. */
void cdp_named_sort(struct cdp_named_list *list);
/* The value of name, or NaN. */
double cdp_named_get(const struct cdp_named_list *list, const char *name);

/* "SEGMENT@YYYY-MM-DD" into spec (segment points into s); false when
 * malformed. */
bool cdp_campaign_spec_parse(const char *s, struct cdp_campaign_spec *spec);

#endif
