/* evaluate.h: how good the recommendations are, on a split in time.
 *
 * The history is cut at a moment (activity.h): the recommender learns from
 * what happened before it and is scored on the purchases after it. Those
 * evaluated are the people who bought something before the cut; a person's
 * truth is the set of items they bought after it that someone had bought
 * before it (nobody can recommend an item never sold) and that they had not
 * bought before it (a repeat purchase is not a discovery); people with an
 * empty truth are left out: the protocol under which issue #15 gives SAR's
 * figures on UCI Online Retail, so that ours compare with them.
 *
 * For each person, with the list cut to its first k items and a hit being a
 * recommended item in the truth (rank i counted from 1):
 *
 *   precision@k = hits / k
 *   recall@k    = hits / |truth|
 *   hit rate@k  = 1 if any hit, else 0
 *   NDCG@k      = sum over hits of 1 / log2(i + 1), divided by the same sum
 *                 over ranks 1 .. min(|truth|, k)
 *
 * averaged over the people evaluated. The recommender and the popularity
 * baseline (the popular source alone, with the same exclusions) are
 * scored in the same pass. People are scored on every CPU; sums are added
 * in person order, so figures never depend on the number of threads. */
#ifndef CDP_RECOMMEND_EVALUATE_H
#define CDP_RECOMMEND_EVALUATE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "recommend/score.h"

struct cdp_metrics {
    double precision, recall, hit_rate, ndcg;
};

struct cdp_evaluation {
    uint64_t people;    /* who bought before the cut */
    uint64_t items;     /* items bought before the cut */
    uint64_t evaluated; /* people with a non-empty truth */
    uint64_t truth;     /* items in all their truths */
    struct cdp_metrics recommender, popular;
};

/* One person's figures: recs (n items, best first), truth (ntruth items in
 * increasing order), lists cut at k. */
void cdp_metrics_of(const uint32_t *recs, size_t n, const uint32_t *truth, size_t ntruth, size_t k,
                    struct cdp_metrics *out);

/* Scores r's recommendations (its top N is k) against the history's
 * future. Returns 0, or -1 with err when the threads cannot start. */
int cdp_evaluate(const struct cdp_recommender *r, size_t k, size_t nworkers,
                 struct cdp_evaluation *out, struct cdp_error *err);

#endif
