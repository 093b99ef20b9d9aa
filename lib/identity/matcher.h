/* matcher.h: candidate pairs by blocking, training without labels, and
 * scoring, for the Fellegi-Sunter model of identity/model.h.
 *
 * Blocking: each rule of the model gives the pairs of records that agree on
 * all its parts (e.g. the same surname key and first initial); the candidate
 * pairs are the union over the rules. Only candidate pairs are ever scored,
 * never all n^2. A block with more records than the model's max_block is
 * skipped (and counted): a placeholder birth date shared by ten thousand
 * records says nothing.
 *
 * Training, as Splink does it:
 *  - u from random pairs (all pairs when there are few records, else a
 *    seeded sample of a million): how often non-matches fall in each level;
 *  - m by expectation-maximisation over each rule's pairs in turn, with u
 *    fixed, leaving out the comparisons on the fields that rule blocks on
 *    (they agree by construction there, which says nothing about m); each
 *    comparison takes the m of the median session that estimated it (ranked
 *    by m of its first level), so that one rule whose pairs are mostly
 *    namesakes cannot drag the rest (Splink takes the mean);
 *  - the prior from the expected number of matches among the candidate
 *    pairs (EM on the prior alone), over all n(n-1)/2 pairs.
 * Term-frequency adjustments are not used in training.
 *
 * Deterministic for a given seed; scoring runs on several threads. */
#ifndef CDP_IDENTITY_MATCHER_H
#define CDP_IDENTITY_MATCHER_H

#include <stddef.h>
#include <stdint.h>

#include "identity/model.h"

/* Pairs of table rows, a < b, as (uint64_t)a << 32 | b, sorted, unique. */
struct cdp_fspairs {
    uint64_t *v;
    size_t n, cap;
};

void cdp_fspairs_release(struct cdp_fspairs *p);

struct cdp_fs_block_stats {
    uint64_t pairs_by_rule[16];     /* before the union */
    uint64_t skipped_blocks[16];    /* larger than max_block */
    uint64_t skipped_records[16];
    uint64_t candidates;            /* the union */
};

/* The pairs of one rule, or (rule -1) the union of all. */
void cdp_fs_block(const struct cdp_fsmodel *m, const struct cdp_fstable *t, int rule,
                  struct cdp_fspairs *out, struct cdp_fs_block_stats *stats);

struct cdp_fs_train_report {
    uint64_t random_pairs;
    uint64_t em_pairs[16];
    int em_iterations[16];
    double lambda_blocked; /* share of matches among the candidates */
    double expected_matches;
};

/* Estimates m, u and the prior from the table (see above); sets m->trained. */
void cdp_fs_train(struct cdp_fsmodel *m, const struct cdp_fstable *t, uint64_t seed,
                  struct cdp_fs_train_report *rep);

/* Refines m with labelled true matches (rows a[i], b[i], n pairs): each
 * comparison's m becomes the share of the labelled pairs in each level,
 * blended with the current m as if it came from ten pairs, so that a few
 * labels nudge the model and many labels decide it. u is left alone: pairs
 * people label are hard cases, not random pairs. */
void cdp_fs_refine(struct cdp_fsmodel *m, const struct cdp_fstable *t, const uint32_t *a,
                   const uint32_t *b, size_t n);

/* Scores candidate pairs on nthreads threads (0: this one): weights[i] for
 * pairs->v[i], exact for every pair that reaches floor; a pair that cannot
 * (even the best levels of its remaining comparisons would leave it below)
 * gets -INFINITY without the rest being computed. */
void cdp_fs_score(const struct cdp_fsmodel *m, const struct cdp_fstable *t,
                  const struct cdp_fspairs *pairs, double *weights, double floor, size_t nthreads);

#endif
