/* score.h: one person's recommendations, scored as SAR scores them.
 *
 * Microsoft Recommenders' SAR (Simple Algorithm for Recommendation): a person's
 * affinity to an item is the sum over their events with it of the event's
 * weight, halved every half-life back from the as-of moment:
 *
 *   affinity(i) = sum of weight(kind) * 2^(-(as_of - ts) / half_life)
 *
 * (an undated event has no time to decay from: it adds its full weight when
 * there is no half-life and nothing otherwise). Items with a positive
 * affinity are the person's anchors; a candidate j scores
 *
 *   score(j) = sum over anchors i of affinity(i) * similarity(i, j)
 *
 * with the similarity of pairs.h over the neighbours kept. A candidate is
 * "because" of the anchor that gave it the most (the smaller item number on
 * a tie), and its reason is bought_together when that anchor was bought or
 * put in the cart, viewed when it was only viewed.
 *
 * The list is the top N candidates by score (the smaller item number, that
 * is the sku in byte order, on a tie), filled up when short by fallbacks:
 * the most popular items (activity.h's buyers) of the person's
 * category of interest (reason category: the category with the largest
 * affinity of its items, leaving out categories the person may not be
 * offered), then the most popular items overall (reason popular). Fallback
 * items score the share of all buyers who bought them. Every source keeps
 * the exclusions of exclude.h; no item appears twice.
 *
 * The recently viewed list, a reminder, is apart: the person's viewed items,
 * latest view first, each once, without items bought since their last view
 * and with the same exclusions as recommendations (but those for viewed
 * items).
 *
 * A cdp_recommender is shared, read-only, by every thread; each thread
 * scores with a cdp_scorer of its own. */
#ifndef CDP_RECOMMEND_SCORE_H
#define CDP_RECOMMEND_SCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "norm/event.h"
#include "recommend/exclude.h"
#include "recommend/activity.h"
#include "recommend/pairs.h"
#include "recommend/popular.h"

enum cdp_reason { CDP_REASON_BOUGHT_TOGETHER, CDP_REASON_VIEWED, CDP_REASON_CATEGORY,
                  CDP_REASON_POPULAR };

const char *cdp_reason_name(enum cdp_reason reason);

/* Where recommendations come from. */
enum {
    CDP_SOURCE_PAIRS = 1u << 0,    /* SAR over the pairs */
    CDP_SOURCE_CATEGORY = 1u << 1, /* popular in the category of interest */
    CDP_SOURCE_POPULAR = 1u << 2,  /* popular overall */
};

struct cdp_score_options {
    double weight[CDP_EVENT_KINDS]; /* by enum cdp_event_kind */
    double half_life_days;          /* 0: no decay */
    double popular_half_life_days;  /* popular.h; 0: buyers counted */
    double popular_weight;          /* popularity's share of a score (0 to 1) */
    int64_t as_of_ms;               /* the history is what happened before it */
    size_t top;                     /* N */
    size_t viewed;                  /* the recently viewed list's length (0: none) */
    bool mix_viewed;                /* items viewed or in the cart may be recommended */
    unsigned sources;               /* CDP_SOURCE_* */
    long exclude_bought_days;       /* CDP_EVER, or 0: never */
    const struct cdp_category_rules *category_rules; /* may be NULL */
};

struct cdp_rec {
    uint32_t item;
    uint32_t because; /* an item, or CDP_NONE */
    double score;
    uint8_t reason;   /* enum cdp_reason */
};

struct cdp_viewed {
    uint32_t item;
    int64_t ts;
};

/* One person's lists, valid until the scorer's next call. */
struct cdp_recs {
    uint32_t person;
    const struct cdp_rec *recs;
    size_t nrecs;
    const struct cdp_viewed *viewed;
    size_t nviewed;
};

/* The defaults, as cdp-recommend(1) documents them: weights purchase 4,
 * cart_add 3, view 1, cart_remove -1 (those of the SAR package for R), return
 * -4 (it takes back its purchase), a half-life of 30 days (SAR's),
 * popularity with a half-life of 7 days and a weight of 0.2
 * (the best on an October split of Online Retail, see popular.h), 10
 * items, 5 viewed, bought items left out for ever, both fallbacks. */
void cdp_score_defaults(struct cdp_score_options *opt);

/* "EVENT=W": sets the weight of an event kind (a name of norm/event.h, or
 * "other"; W from -1000 to 1000). Returns 0, or -1 with err. */
int cdp_weight_set(double weight[CDP_EVENT_KINDS], const char *spec, struct cdp_error *err);

/* --fallback: "category,popular", "popular", "category" or "none" to the
 * sources (with pairs); false when it is none of them. */
bool cdp_fallback_parse(const char *s, unsigned *sources);

struct cdp_recommender;

/* Keeps pointers to h, pairs (NULL: no pairs source) and eligible (one byte
 * per item, exclude.h; NULL: all), which must outlive it; copies opt. */
struct cdp_recommender *cdp_recommender_new(const struct cdp_activity *h,
                                            const struct cdp_pairs *pairs,
                                            const uint8_t *eligible,
                                            const struct cdp_score_options *opt);
void cdp_recommender_free(struct cdp_recommender *r);

const struct cdp_activity *cdp_recommender_activity(const struct cdp_recommender *r);

struct cdp_scorer;

struct cdp_scorer *cdp_scorer_new(const struct cdp_recommender *r);
void cdp_scorer_free(struct cdp_scorer *s);

/* The person's lists, from the sources given (CDP_SOURCE_*; the options'
 * own when 0). */
const struct cdp_recs *cdp_scorer_run(struct cdp_scorer *s, uint32_t person, unsigned sources);

#endif
