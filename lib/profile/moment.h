/* moment.h: the parts of a profile that change with the moment alone.
 *
 * Most of a profile follows from the person's records. A few parts follow
 * from the records and the --as-of moment, and so change from night to
 * night for a person with no new record: the points about to expire (their
 * days left), the orders and revenue of the last 30, 90 and 365 days and the
 * days since the last purchase, the views of the last 30 days, and the
 * abandoned cart (an open item counts once the cart timeout has passed). A
 * struct cdp_moment holds what those parts are computed from; the
 * cdp_moment_write_* functions write them, for cdp_profile_end and for a
 * profile brought forward alike, so the two cannot disagree.
 *
 * A saved profile (cdp_moment_save) is a profile's text with those parts cut
 * out, what they are computed from, the moment it was made for and the
 * moment its person's next known event happens (an event after the moment
 * is not in the traits until the moment passes it). cdp_moment_restore
 * writes the profile again for a later moment, byte for byte what
 * cdp_profile_end would write from the same records, as long as that
 * moment is not past the next event (cdp_moment_current says whether). Days
 * too old to fall in any window of a later moment are left out when saving.
 *
 * The saved form is internal to cdp-merge --state (profile/store.h), which
 * marks it with its version. */
#ifndef CDP_PROFILE_MOMENT_H
#define CDP_PROFILE_MOMENT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "profile/profile.h"

#define CDP_DAY_MS 86400000LL
#define CDP_MONEY 10000 /* amounts are kept in 1/10000 */
/* Numbers are below 10^12 (cdp-schema(5), norm/decimal.h): 10^16 units. */
#define CDP_MONEY_WHOLE_LIMIT INT64_C(1000000000000)
/* Sums stop here rather than wrap (and cdp_money_write can negate them). */
#define CDP_MONEY_SUM_LIMIT (INT64_MAX / 2)

/* a + b, held within +-CDP_MONEY_SUM_LIMIT. */
int64_t cdp_money_sum(int64_t a, int64_t b);
/* price * qty in 1/10000 units; false when beyond the range of a number. */
bool cdp_money_times(int64_t price, int64_t qty, int64_t *out);

/* The day (days since 1970-01-01) of a moment in milliseconds. */
int64_t cdp_day_of(int64_t ms);
/* v in 1/10000 units, with two decimals (cents rounded half away from zero). */
void cdp_money_write(struct cdp_buf *b, int64_t v);
void cdp_int_write(struct cdp_buf *b, int64_t v);

/* An open item of the cart: when it was added, its text in the profile
 * ({"sku":...}) and its value (price x quantity). Strings are not owned. */
struct cdp_moment_item {
    int64_t added;
    const char *added_text, *text;
    uint32_t added_len, text_len;
    int64_t value;
};

struct cdp_day_amount {
    int64_t day, amount;
};

/* What the parts are computed from. Strings are not owned: they point into
 * the profile being written or into a saved profile. */
struct cdp_moment {
    const char *balance, *expire; /* the surviving points_balance and
                                     points_expire_at (NULL: none) */
    uint32_t balance_len, expire_len;
    bool has_purchase;      /* a dated purchase: days_since_last_purchase */
    int64_t last_purchase_day;
    int64_t *order_days;    /* per order, the day of its first line */
    struct cdp_day_amount *revenue; /* per order or return line with a day */
    int64_t *view_days;
    struct cdp_moment_item *cart; /* open items, in the order first added */
    size_t norders, nrevenue, nviews, ncart;
    size_t orders_cap, revenue_cap, views_cap, cart_cap;
};

void cdp_moment_reset(struct cdp_moment *m);
void cdp_moment_release(struct cdp_moment *m);
void cdp_moment_add_order(struct cdp_moment *m, int64_t day);
void cdp_moment_add_revenue(struct cdp_moment *m, int64_t day, int64_t amount);
void cdp_moment_add_view(struct cdp_moment *m, int64_t day);
void cdp_moment_add_item(struct cdp_moment *m, const struct cdp_moment_item *item);

/* The parts, in the order a profile has them. Each appends nothing when the
 * part is absent at that moment. */
enum cdp_moment_part {
    CDP_MOMENT_POINTS,    /* ,"points_expiring":{...} */
    CDP_MOMENT_PURCHASES, /* ,"days_since_last_purchase":N,"orders_30d":N ... "revenue_365d":X */
    CDP_MOMENT_VIEWS,     /* ,"views_30d":N */
    CDP_MOMENT_CART,      /* ,"abandoned_cart":{...} */
    CDP_MOMENT_PARTS
};
void cdp_moment_write(const struct cdp_moment *m, enum cdp_moment_part part,
                      const struct cdp_profile_options *o, struct cdp_buf *b);

/* Appends the saved form of a profile to out: text (len bytes, the profile
 * as cdp_profile_end wrote it for moment o) whose parts span
 * [parts[i][0], parts[i][1]) of it, m, and next_event: the time of the
 * person's earliest event at or after o's moment (INT64_MAX: none). */
void cdp_moment_save(const struct cdp_moment *m, const char *text, size_t len,
                     const size_t parts[CDP_MOMENT_PARTS][2], const struct cdp_profile_options *o,
                     int64_t next_event, struct cdp_buf *out);

/* Whether saved (len bytes) is the profile of the same records as of o's
 * moment: made for that moment or an earlier one, and no event of the
 * person's at or before it that was not then. False when damaged too. */
bool cdp_moment_current(const char *saved, size_t len, const struct cdp_profile_options *o);

/* Appends the profile saved writes as of o's moment, without its closing
 * brace (as cdp_profile_end). -1 when saved is damaged. */
int cdp_moment_restore(const char *saved, size_t len, const struct cdp_profile_options *o,
                       struct cdp_buf *out);

#endif
