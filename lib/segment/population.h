/* population.h: figures that need the whole population first: RFM scores
 * by quintiles, and the threshold of the top N% by a value.
 *
 * cdp-segment reads the profiles once to collect three numbers per buyer
 * (a few dozen bytes a profile), then scores them on a second pass, by the
 * profile's position in the input.
 *
 * RFM, as marketers compute it (pandas.qcut over the population):
 * - the population is the profiles with at least one order;
 * - recency is days since the last purchase, frequency the orders, monetary
 *   the revenue;
 * - the quintile edges are the 20th, 40th, 60th and 80th percentiles with
 *   linear interpolation (numpy's default); a value's bin is the number of
 *   edges it is above, so equal values share a bin;
 * - R = 5 - bin (the most recent is 5); M = 1 + bin;
 * - F is binned by rank instead of value (rank(method="first"): equal order
 *   counts are ranked by input position), since most customers have one order
 *   and value quintiles would put nearly all in one bin;
 * - the segment map on R and F: Champions (R5 F4-5), Loyal (R3-4 F4-5),
 *   Potential loyalists (R4-5 F2-3), New (R5 F1), Promising (R4 F1), Need
 *   attention (R3 F3), About to sleep (R3 F1-2), At risk (R1-2 F3-4), Can't
 *   lose (R1-2 F5), Hibernating (R1-2 F1-2). */
#ifndef CDP_SEGMENT_POPULATION_H
#define CDP_SEGMENT_POPULATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cdp_population;

struct cdp_population *cdp_population_new(void);
void cdp_population_free(struct cdp_population *p);

/* The next profile in input order (positions 0, 1, 2...): a buyer with its
 * recency (days), orders and revenue, numbers (not NaN), or not (buyer
 * false: no RFM); value is the figure ranked for the top share (NaN when the
 * profile has none). */
void cdp_population_add(struct cdp_population *p, bool buyer, double days, double orders,
                        double revenue, double value);

/* Computes the edges and ranks; call after the last add. */
void cdp_population_finish(struct cdp_population *p);

/* The scores of the profile at position pos; false when it is not a buyer. */
bool cdp_population_rfm(const struct cdp_population *p, size_t pos, int *r, int *f, int *m);

/* The segment name for R and F (1-5 each). */
const char *cdp_rfm_segment(int r, int f);

/* The smallest value in the top share (0-100, percent) of the profiles with a
 * value above zero; the share rounds up (top 10% of 15 is 2 profiles) and
 * profiles tied with the last one are in too. +Inf when there are none. */
double cdp_population_top_threshold(const struct cdp_population *p, double share);

/* How many profiles (positions) were added. */
size_t cdp_population_profiles(const struct cdp_population *p);

/* How many buyers were seen. */
size_t cdp_population_buyers(const struct cdp_population *p);

/* ---- scoring without the others (a sharded run, segment/figures.h) ----
 *
 * R and M depend only on the quintile edges; F on the buyer's rank, that is
 * on how its (orders, position) compares with the buyer at each rank edge:
 * F = 1 + the number of edges k whose buyer f_buyer[k] the buyer equals or
 * follows in (orders, position) order. */
struct cdp_population_edges {
    double redge[4], medge[4];
    double f_orders[4];
    size_t f_buyer[4]; /* buyer index (0-based, in input order); SIZE_MAX: no
                          buyer ranks above edge k */
};

/* The edges of a finished population. */
void cdp_population_edges(const struct cdp_population *p, struct cdp_population_edges *e);

/* R and M of a buyer with these days and revenue (as cdp_population_rfm). */
void cdp_population_rm(const struct cdp_population_edges *e, double days, double revenue, int *r, int *m);

/* What the first pass reads of one profile line (padded, io/lines.h): its
 * recency, orders, revenue and value (revenue_365d), NaN for none; whether
 * it is a buyer (orders above zero and a recency). json is the caller's. */
struct cdp_json_parser;
bool cdp_population_read_line(struct cdp_json_parser *json, const char *line, size_t len, double *days,
                              double *orders, double *revenue, double *value);

#endif
