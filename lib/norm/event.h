/* event.h: what an event's name means for traits and recommendations.
 *
 * Sources name events in their own words; cdp-ingest makes them tokens
 * ("add_to_cart"), and the programs after it must agree on which tokens are
 * purchases, returns, views and cart changes. The same list as cdp-merge's
 * traits (lib/profile), so that a "purchase" that makes revenue there is a
 * purchase that makes pairs in cdp-recommend:
 *
 *   purchase, order                 CDP_EVENT_PURCHASE
 *   return, refund                  CDP_EVENT_RETURN
 *   view, product_view              CDP_EVENT_VIEW
 *   cart_add, add_to_cart           CDP_EVENT_CART_ADD
 *   cart_remove, remove_from_cart   CDP_EVENT_CART_REMOVE
 *   anything else (checkout, ...)   CDP_EVENT_OTHER
 *
 * A purchase line with a negative quantity or amount is a return too (a
 * till's return receipt); that needs the numbers, so the caller decides it. */
#ifndef CDP_NORM_EVENT_H
#define CDP_NORM_EVENT_H

#include <stddef.h>

enum cdp_event_kind {
    CDP_EVENT_OTHER,
    CDP_EVENT_PURCHASE,
    CDP_EVENT_RETURN,
    CDP_EVENT_VIEW,
    CDP_EVENT_CART_ADD,
    CDP_EVENT_CART_REMOVE,
};
#define CDP_EVENT_KINDS 6

/* The kind of an event named name (len bytes, a token as cdp-ingest writes
 * it; matched exactly). */
enum cdp_event_kind cdp_event_kind(const char *name, size_t len);

/* The kind's first name above ("purchase", "cart_add"; "other"). */
const char *cdp_event_kind_name(enum cdp_event_kind kind);

#endif
