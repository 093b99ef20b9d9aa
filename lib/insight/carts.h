/* carts.h: the report's carts and categories.
 *
 * Abandoned carts are cdp-merge's (a profile's "abandoned_cart": items
 * added and neither bought nor removed within its --cart-timeout): their
 * count and value tonight. Carts created are the persons who added to a
 * cart in the CDP_CART_DAYS days up to tonight, with those whose cart is
 * open; the abandonment rate is abandoned / created. A cart recovered since
 * the night before was open then (that night's segment output, ids followed
 * by idmap.h) and its owner has bought since (a purchase line after that
 * night's end); the recovery rate is recovered / open then.
 *
 * Categories (from the profiles' "categories"): buyers, orders and revenue
 * of each, persons who viewed it, and the persons furnishing it now: the
 * category of their latest purchase or view within CDP_INTEREST_DAYS days,
 * ties to the greater name, as the "interest" of category.rules says. */
#ifndef CDP_INSIGHT_CARTS_H
#define CDP_INSIGHT_CARTS_H

#include "insight/fields.h"
#include "insight/figures.h"
#include "identity/idmap.h"

struct cdp_carts_run;

struct cdp_carts_run *cdp_carts_start(struct cdp_cart_figures *carts, int64_t tonight);

/* One profile of tonight's segment output. */
void cdp_carts_add_profile(struct cdp_carts_run *r, const struct cdp_record *profile,
                           struct cdp_nested *nested, struct cdp_nested *inner);

/* The open carts of the night before (day), from its segment output at
 * path. -1 with err when it cannot be read. */
int cdp_carts_read_previous(struct cdp_carts_run *r, const char *path, int64_t day,
                            const struct cdp_idmap *ids, struct cdp_error *err);

/* One linked event. */
void cdp_carts_event(struct cdp_carts_run *r, const char *cid, size_t len, enum cdp_event_kind kind,
                     int64_t ms);

/* The figures into the cart figures given to start; frees r. */
void cdp_carts_finish(struct cdp_carts_run *r);

void cdp_carts_release(struct cdp_cart_figures *carts);

#endif
