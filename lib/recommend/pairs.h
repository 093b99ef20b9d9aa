/* pairs.h: items bought together, counted over baskets.
 *
 * The association-rule figures, over N baskets (activity.h: orders, or all
 * a person bought), where n(a) baskets hold item a and n(a,b) hold both:
 *
 *   support(a,b)      = n(a,b) / N
 *   confidence(a->b)  = n(a,b) / n(a)                  = support(a,b) / support(a)
 *   lift(a,b)         = confidence(a->b) / support(b)
 *   jaccard(a,b)      = n(a,b) / (n(a) + n(b) - n(a,b))
 *
 * the definitions of arules and mlxtend, so that the figures can be checked
 * against them (tests/cdp-recommend.bats does, on arules' Groceries).
 *
 * Counting. For each item a, every basket holding a adds one to each other
 * item of the basket, in a counter array of its own thread; the items that
 * pass the thresholds are kept, the counters cleared. The work is the sum
 * of the squares of the basket sizes, spread over every CPU by item
 * (base/pipeline.h), and memory is the baskets' inverted index plus the
 * pairs kept, never every pair seen: a pair below --min-count is dropped
 * as soon as its item is done, and each item keeps at most `keep`
 * neighbours (the most similar). So nothing needs to spill to disk: at 10
 * million events the inverted index is some 40 MB.
 *
 * Each item's neighbours are ordered by the chosen similarity, largest
 * first, then by item number (name order): the same input and options give
 * the same lists whatever the number of threads. */
#ifndef CDP_RECOMMEND_PAIRS_H
#define CDP_RECOMMEND_PAIRS_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "recommend/activity.h"

enum cdp_similarity { CDP_SIM_JACCARD, CDP_SIM_LIFT, CDP_SIM_COUNT, CDP_SIM_CONFIDENCE };

/* "jaccard", "lift", "count", "confidence"; false when none of them. */
bool cdp_similarity_parse(const char *s, enum cdp_similarity *sim);

struct cdp_pairs_options {
    enum cdp_similarity similarity;
    uint32_t min_count;    /* keep pairs in at least this many baskets (0 is 1) */
    double min_support;    /* and with at least this support */
    double min_confidence; /* b is kept for a when confidence(a->b) is at least this */
    size_t keep;           /* neighbours kept per item, the most similar (0: all) */
    size_t max_basket;     /* baskets of more distinct items are left out of
                              every figure (0: none is) */
};

/* The defaults, as cdp-recommend(1) documents them: jaccard (SAR's), every
 * pair kept, the 1000 most similar neighbours per item, baskets of up to
 * 1000 items. */
void cdp_pairs_defaults(struct cdp_pairs_options *opt);

struct cdp_pair {
    uint32_t item;
    uint32_t count; /* n(a,b) */
    double similarity;
};

struct cdp_pair_stats {
    double support, confidence, lift, jaccard;
};

struct cdp_pairs;

/* Counts the pairs of baskets over items numbered below nitems, with
 * nworkers threads (0: the calling thread). NULL with err set when the
 * threads cannot start. */
struct cdp_pairs *cdp_pairs_count(const struct cdp_baskets *baskets, size_t nitems,
                                  const struct cdp_pairs_options *opt, size_t nworkers,
                                  struct cdp_error *err);
void cdp_pairs_free(struct cdp_pairs *p);

/* N: the baskets counted. */
uint64_t cdp_pairs_baskets(const struct cdp_pairs *p);
/* n(a). */
uint32_t cdp_pairs_item_baskets(const struct cdp_pairs *p, uint32_t item);
/* Pairs kept, over all items (each pair is kept for a and for b). */
uint64_t cdp_pairs_kept(const struct cdp_pairs *p);
/* Basket lists left out for their size. */
uint64_t cdp_pairs_too_large(const struct cdp_pairs *p);

/* The neighbours kept for item a, most similar first. */
const struct cdp_pair *cdp_pairs_of(const struct cdp_pairs *p, uint32_t a, size_t *n);

/* Every figure of the pair (a, b). */
void cdp_pairs_stats(const struct cdp_pairs *p, uint32_t a, const struct cdp_pair *b,
                     struct cdp_pair_stats *out);

#endif
