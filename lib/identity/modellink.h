/* modellink.h: cdp-dedupe --model, links between person records that share
 * no key value, by the probabilistic model (model.h, matcher.h).
 *
 * While the records are read, each person record's model fields are added
 * with the graph node it became. Then the model is fitted: trained on the
 * records themselves (no labels needed; by default when the model file
 * holds no trained parameters and there are records enough to learn from)
 * and refined by pairs an analyst labelled; then the candidate pairs are
 * scored, and those at or above the model's threshold go to the graph as
 * links weaker than any shared key value, under the same conflict checks
 * (cdp_graph_add_pair). Each link is tagged, so that the --links file can
 * say what each comparison added.
 *
 * A trained model also says how far the conflict fields can be trusted:
 * when it finds that the records of one person disagree outright (the
 * comparison's "else" level) on a conflict field it compares in at least
 * CDP_MODELLINK_UNRELIABLE of their pairs, a disagreement there is evidence
 * for the model to weigh, not proof of two people, and the graph stops
 * checking that field (FEBRL's registers give 7% of one person's birth
 * dates, fake_1000 25%; generated retail data 0.0%).
 *
 * The labels file (--labels) holds one JSON object a line, the record
 * references of a --links line with "match" added:
 *
 *   {"a":{"_source":"crm","_rid":"1"},"b":{"_source":"shop","_rid":"7"},"match":true}
 *
 * A line that is not a label is an error naming file:line. Pairs labelled
 * false, and pairs naming a record that is not among this run's person
 * records, are counted and not used. */
#ifndef CDP_IDENTITY_MODELLINK_H
#define CDP_IDENTITY_MODELLINK_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"
#include "identity/graph.h"
#include "identity/keys.h"
#include "identity/matcher.h"
#include "identity/model.h"

struct cdp_modellink;

/* m is the caller's and is changed by fitting; values blocked by keys are
 * nobody's, in the model as in the keys. */
struct cdp_modellink *cdp_modellink_new(struct cdp_fsmodel *m, const struct cdp_keyset *keys);
void cdp_modellink_free(struct cdp_modellink *ml);

/* Adds a person record: its fields packed by cdp_fsmodel_extract, and the
 * graph node it became. */
void cdp_modellink_add(struct cdp_modellink *ml, const char *packed, uint32_t node);

/* What fitting and linking did, for --stats. */
struct cdp_modellink_report {
    bool trained;
    bool too_few_to_train; /* the default training was skipped */
    struct cdp_fs_train_report training;
    bool labelled;
    uint64_t label_matches, label_non_matches, labels_unknown;
    uint64_t person_records, pairs_over_threshold;
    struct cdp_fs_block_stats blocking;
    const char *relaxed[16]; /* the conflict fields no longer checked */
    size_t nrelaxed;
};

/* Training by default needs this many person records: fewer leave too few
 * random pairs and matches to estimate a level's m and u. */
#define CDP_MODELLINK_MIN_TRAIN 1000

/* A conflict field whose trained m of the "else" level reaches this is not
 * checked. */
#define CDP_MODELLINK_UNRELIABLE 0.02

enum cdp_modellink_train {
    CDP_TRAIN_AUTO,   /* unless the model is trained, or the records are too few */
    CDP_TRAIN_ALWAYS, /* --train */
    CDP_TRAIN_NEVER,  /* --no-train */
};

struct cdp_modellink_fit_options {
    enum cdp_modellink_train train;
    uint64_t seed;      /* of training's random pairs */
    const char *labels; /* NULL: none */
};

/* Trains the model if asked, then refines it by the labels if any. g
 * names the records (_source, _rid) the labels refer to. Returns 0, or -1
 * with err set when the labels cannot be read. */
int cdp_modellink_fit(struct cdp_modellink *ml, const struct cdp_graph *g,
                      const struct cdp_modellink_fit_options *o, struct cdp_modellink_report *rep,
                      struct cdp_error *err);

/* Stops checking in g the conflict fields a trained model finds unreliable
 * (see above), then scores the candidate pairs on nthreads threads (0: this
 * one) and adds those at or above the threshold to g. */
void cdp_modellink_link(struct cdp_modellink *ml, struct cdp_graph *g, size_t nthreads,
                        struct cdp_modellink_report *rep);

/* Calls fn with each count of rep, as --stats names them: "model"
 * (training_random_pairs and training_expected_matches when trained,
 * too_few_to_train when training was skipped for want of records,
 * person_records, candidate_pairs, pairs_over_threshold), "labels"
 * (matches_used, non_matches_not_used, records_not_in_input) when labels
 * were read, "blocking_pairs" per rule of m, "blocks_too_large" per rule
 * that skipped any, and "conflicts_not_checked" (each field 1). */
void cdp_modellink_counts(const struct cdp_modellink_report *rep, const struct cdp_fsmodel *m,
                          void (*fn)(void *ctx, const char *group, const char *key, uint64_t n),
                          void *ctx);

/* Appends, as JSON, what each comparison added to the match weight of the
 * model's link tagged pair (struct cdp_link's pair, key "model"); the
 * values compared masked unless clear (cdp_fs_explain). */
void cdp_modellink_explain(const struct cdp_modellink *ml, uint32_t pair, bool clear, struct cdp_buf *b);

#endif
