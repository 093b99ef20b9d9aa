/* figures.h: the population figures of a sharded cdp-segment run.
 *
 * RFM scores and the VIP threshold need the whole population
 * (segment/population.h). With the profiles split by cdp_id over shards
 * (cdp-shard --by cdp_id, one cdp-merge a shard), cdp-segment runs in three
 * steps (cdp-segment(1), SHARDED RUNS):
 *  1. on each shard, the summary: for every profile that is a buyer or has
 *     a value (revenue_365d above zero), one line with its cdp_id and the
 *     four numbers the first pass reads, in input order:
 *       {"cdp_id":"...","days":12,"orders":3,"revenue":4500.5,"value":4500.5}
 *     ("buyer":false for a value without a purchase), and an end line
 *     {"end":1,"profiles":N} counting every profile read;
 *  2. on one host, the join: the summaries merged in cdp_id order, which is
 *     the order of the unsplit profiles cdp-merge writes, added to one
 *     population as one run's first pass adds them, and its figures written:
 *       {"cdp_population":1,"profiles":N,"buyers":B,"recency":[4 edges],
 *        "revenue":[4 edges],"f0_orders":1,"f0_cdp_id":"...",... (for each F
 *        edge k that a buyer ranks above),"vip_threshold":T}
 *  3. on each shard, the scores from the figures: R and M by the edges, F
 *     by comparing (orders, cdp_id) with the buyer at each rank edge, the VIP
 *     rule by the threshold. For profiles sorted by cdp_id (cdp-merge's
 *     output) these are exactly one run's; the join refuses a summary that
 *     is not in cdp_id order. Numbers are written with 17 significant
 *     digits, so they read back as the same doubles. */
#ifndef CDP_SEGMENT_FIGURES_H
#define CDP_SEGMENT_FIGURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"
#include "io/output.h"
#include "io/reader.h"

/* Step 1: the summary of the profiles at path, to out. Lines that are not
 * objects with a string cdp_id are counted as profiles but not summarized
 * (cdp-segment rejects them). -1 with err when path cannot be read. */
int cdp_figures_summarize(const char *path, const struct cdp_reader_options *in, struct cdp_output *out,
                          uint64_t *profiles, struct cdp_error *err);

/* Step 2: the figures of the shards' summaries, the top share vip_percent
 * (percent) for the threshold, appended to out as one line. -1 with err when
 * a summary cannot be read, is damaged, cut short or out of cdp_id order. */
int cdp_figures_join(const char *const *paths, size_t n, double vip_percent, struct cdp_buf *out,
                     struct cdp_error *err);

/* Step 3. */
struct cdp_figures;
struct cdp_figures *cdp_figures_load(const char *path, struct cdp_error *err);
void cdp_figures_free(struct cdp_figures *f);
/* The scores of a profile with these numbers (as cdp_population_read_line
 * gives them) and id; false when it is not a buyer. */
bool cdp_figures_rfm(const struct cdp_figures *f, const char *id, size_t idlen, double days, double orders,
                     double revenue, int *r, int *fq, int *m);
/* The VIP threshold as the rules' $vip_threshold (JSON number text). */
const char *cdp_figures_vip_threshold(const struct cdp_figures *f);

#endif
