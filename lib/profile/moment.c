#include "profile/moment.h"

#include <stdlib.h>
#include <string.h>

#include "io/json.h"
#include "norm/date.h"

int64_t cdp_day_of(int64_t ms)
{
    return ms >= 0 ? ms / CDP_DAY_MS : -((-ms + CDP_DAY_MS - 1) / CDP_DAY_MS);
}

int64_t cdp_money_sum(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r) || r > CDP_MONEY_SUM_LIMIT || r < -CDP_MONEY_SUM_LIMIT)
        return a < 0 && b < 0 ? -CDP_MONEY_SUM_LIMIT : CDP_MONEY_SUM_LIMIT;
    return r;
}

bool cdp_money_times(int64_t price, int64_t qty, int64_t *out)
{
    __int128 v = (__int128)price * qty / CDP_MONEY;
    if (v >= (__int128)CDP_MONEY_WHOLE_LIMIT * CDP_MONEY || v <= -(__int128)CDP_MONEY_WHOLE_LIMIT * CDP_MONEY)
        return false;
    *out = (int64_t)v;
    return true;
}

void cdp_money_write(struct cdp_buf *b, int64_t v)
{
    /* To cents, rounding half away from zero. */
    int64_t cents = v >= 0 ? (v + 50) / 100 : -((-v + 50) / 100);
    if (cents < 0) {
        cdp_buf_addc(b, '-');
        cents = -cents;
    }
    cdp_buf_add_u64(b, (unsigned long long)(cents / 100));
    cdp_buf_addc(b, '.');
    cdp_buf_add_digits(b, (unsigned)(cents % 100), 2);
}

void cdp_int_write(struct cdp_buf *b, int64_t v)
{
    if (v < 0) {
        cdp_buf_addc(b, '-');
        v = -v;
    }
    cdp_buf_add_u64(b, (unsigned long long)v);
}

/* ---- what the parts follow from ------------------------------------------ */

#define GROW(arr, n, cap)                                                                \
    do {                                                                                 \
        if ((n) == (cap)) {                                                              \
            (cap) = (cap) ? (cap) * 2 : 16;                                              \
            (arr) = cdp_xrealloc((arr), (cap) * sizeof *(arr));                          \
        }                                                                                \
    } while (0)

void cdp_moment_reset(struct cdp_moment *m)
{
    m->balance = m->expire = NULL;
    m->balance_len = m->expire_len = 0;
    m->has_purchase = false;
    m->last_purchase_day = 0;
    m->norders = m->nrevenue = m->nviews = m->ncart = 0;
}

void cdp_moment_release(struct cdp_moment *m)
{
    free(m->order_days);
    free(m->revenue);
    free(m->view_days);
    free(m->cart);
    memset(m, 0, sizeof *m);
}

void cdp_moment_add_order(struct cdp_moment *m, int64_t day)
{
    GROW(m->order_days, m->norders, m->orders_cap);
    m->order_days[m->norders++] = day;
}

void cdp_moment_add_revenue(struct cdp_moment *m, int64_t day, int64_t amount)
{
    GROW(m->revenue, m->nrevenue, m->revenue_cap);
    m->revenue[m->nrevenue++] = (struct cdp_day_amount){ day, amount };
}

void cdp_moment_add_view(struct cdp_moment *m, int64_t day)
{
    GROW(m->view_days, m->nviews, m->views_cap);
    m->view_days[m->nviews++] = day;
}

void cdp_moment_add_item(struct cdp_moment *m, const struct cdp_moment_item *item)
{
    GROW(m->cart, m->ncart, m->cart_cap);
    m->cart[m->ncart++] = *item;
}

/* ---- the parts --------------------------------------------------------- */

#define add_literal_key(b, key) cdp_buf_add((b), ",\"" key "\":", sizeof key + 3)

/* Loyalty programmes burn the balance on a date: "points_expiring":
 * {"points": the surviving balance, "at": the surviving expiry date, "days":
 * days left as of --as-of}, when the balance is positive and the date has not
 * passed. Absent otherwise. */
static void write_points(const struct cdp_moment *m, const struct cdp_profile_options *o,
                         struct cdp_buf *b)
{
    if (!m->balance || !m->expire)
        return;
    char num[64];
    if (m->balance_len >= sizeof num)
        return;
    memcpy(num, m->balance, m->balance_len);
    num[m->balance_len] = '\0';
    char *end;
    double points = strtod(num, &end);
    int64_t at;
    if (end == num || *end || !(points > 0) || !cdp_time_parse(m->expire, m->expire_len, &at) ||
        cdp_day_of(at) < o->as_of_day)
        return;
    add_literal_key(b, "points_expiring");
    cdp_buf_adds(b, "{\"points\":");
    cdp_buf_add(b, num, m->balance_len);
    cdp_buf_adds(b, ",\"at\":");
    cdp_json_add_string(b, m->expire, m->expire_len);
    cdp_buf_adds(b, ",\"days\":");
    cdp_int_write(b, cdp_day_of(at) - o->as_of_day);
    cdp_buf_addc(b, '}');
}

/* A window of n days holds the as-of day and the n-1 days before it. */
static bool within(int64_t day, const struct cdp_profile_options *o, int n)
{
    return day > o->as_of_day - n;
}

static int64_t orders_within(const struct cdp_moment *m, const struct cdp_profile_options *o, int n)
{
    int64_t k = 0;
    for (size_t i = 0; i < m->norders; i++)
        k += within(m->order_days[i], o, n);
    return k;
}

static void write_purchases(const struct cdp_moment *m, const struct cdp_profile_options *o,
                            struct cdp_buf *b)
{
    if (m->has_purchase) {
        add_literal_key(b, "days_since_last_purchase");
        cdp_int_write(b, o->as_of_day - m->last_purchase_day);
    }
    add_literal_key(b, "orders_30d");
    cdp_int_write(b, orders_within(m, o, 30));
    add_literal_key(b, "orders_90d");
    cdp_int_write(b, orders_within(m, o, 90));
    add_literal_key(b, "orders_365d");
    cdp_int_write(b, orders_within(m, o, 365));
    int64_t revenue = 0;
    for (size_t i = 0; i < m->nrevenue; i++)
        if (within(m->revenue[i].day, o, 365))
            revenue = cdp_money_sum(revenue, m->revenue[i].amount);
    add_literal_key(b, "revenue_365d");
    cdp_money_write(b, revenue);
}

static void write_views(const struct cdp_moment *m, const struct cdp_profile_options *o,
                        struct cdp_buf *b)
{
    int64_t views = 0;
    for (size_t i = 0; i < m->nviews; i++)
        views += within(m->view_days[i], o, 30);
    add_literal_key(b, "views_30d");
    cdp_int_write(b, views);
}

/* The abandoned cart: the items still open that were added at least the
 * timeout before the moment. */
static void write_cart(const struct cdp_moment *m, const struct cdp_profile_options *o,
                       struct cdp_buf *b)
{
    int64_t cutoff = o->as_of_ms - o->cart_timeout_ms, value = 0, since = INT64_MAX;
    const struct cdp_moment_item *first = NULL;
    for (size_t j = 0; j < m->ncart; j++)
        if (m->cart[j].added <= cutoff) {
            value = cdp_money_sum(value, m->cart[j].value);
            if (m->cart[j].added < since)
                since = m->cart[j].added, first = &m->cart[j];
        }
    if (!first)
        return;
    add_literal_key(b, "abandoned_cart");
    cdp_buf_adds(b, "{\"since\":");
    cdp_json_add_string(b, first->added_text, first->added_len);
    cdp_buf_adds(b, ",\"items\":[");
    size_t w = 0;
    for (size_t j = 0; j < m->ncart; j++) {
        if (m->cart[j].added > cutoff)
            continue;
        if (w++)
            cdp_buf_addc(b, ',');
        cdp_buf_add(b, m->cart[j].text, m->cart[j].text_len);
    }
    cdp_buf_adds(b, "],\"value\":");
    cdp_money_write(b, value);
    cdp_buf_addc(b, '}');
}

void cdp_moment_write(const struct cdp_moment *m, enum cdp_moment_part part,
                      const struct cdp_profile_options *o, struct cdp_buf *b)
{
    switch (part) {
    case CDP_MOMENT_POINTS:
        write_points(m, o, b);
        break;
    case CDP_MOMENT_PURCHASES:
        write_purchases(m, o, b);
        break;
    case CDP_MOMENT_VIEWS:
        write_views(m, o, b);
        break;
    case CDP_MOMENT_CART:
        write_cart(m, o, b);
        break;
    case CDP_MOMENT_PARTS:
        break;
    }
}

/* ---- saved profiles ---------------------------------------------------- */

/* The saved form, integers as LEB128 varints (signed ones zigzag-coded):
 *   'M', as_of_ms, next_event,
 *   the text's length and bytes, the offset in it of each part,
 *   balance and expire (length + 1, 0 for none, and bytes),
 *   has_purchase (0 or 1), last_purchase_day,
 *   orders: count, days (sorted, each the difference from the one before),
 *   revenue: count, (day difference, amount) sorted by day,
 *   views: count, days as orders,
 *   cart: count, (added, added_text, text, value). */

static void put_u(struct cdp_buf *b, uint64_t v)
{
    while (v >= 0x80) {
        cdp_buf_addc(b, (char)(v | 0x80));
        v >>= 7;
    }
    cdp_buf_addc(b, (char)v);
}

static void put_i(struct cdp_buf *b, int64_t v)
{
    put_u(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static void put_bytes(struct cdp_buf *b, const char *s, size_t n)
{
    put_u(b, n);
    cdp_buf_add(b, s, n);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_day_amount(const void *a, const void *b)
{
    const struct cdp_day_amount *x = a, *y = b;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    return (x->amount > y->amount) - (x->amount < y->amount);
}

/* The days of a window no later moment reaches back to are left out. */
static void put_days(struct cdp_buf *b, const int64_t *days, size_t n, int64_t after)
{
    int64_t *d = cdp_xmalloc((n + 1) * sizeof *d);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (days[i] > after)
            d[k++] = days[i];
    qsort(d, k, sizeof *d, cmp_i64);
    put_u(b, k);
    for (size_t i = 0; i < k; i++)
        put_i(b, d[i] - (i ? d[i - 1] : 0));
    free(d);
}

void cdp_moment_save(const struct cdp_moment *m, const char *text, size_t len,
                     const size_t parts[CDP_MOMENT_PARTS][2], const struct cdp_profile_options *o,
                     int64_t next_event, struct cdp_buf *out)
{
    cdp_buf_addc(out, 'M');
    put_i(out, o->as_of_ms);
    put_i(out, next_event);
    size_t cut = 0;
    for (int i = 0; i < CDP_MOMENT_PARTS; i++)
        cut += parts[i][1] - parts[i][0];
    put_u(out, len - cut);
    size_t at = 0;
    for (int i = 0; i < CDP_MOMENT_PARTS; i++) {
        cdp_buf_add(out, text + at, parts[i][0] - at);
        at = parts[i][1];
    }
    cdp_buf_add(out, text + at, len - at);
    cut = 0;
    for (int i = 0; i < CDP_MOMENT_PARTS; i++) {
        put_u(out, parts[i][0] - cut);
        cut += parts[i][1] - parts[i][0];
    }
    put_u(out, m->balance ? m->balance_len + 1 : 0);
    if (m->balance)
        cdp_buf_add(out, m->balance, m->balance_len);
    put_u(out, m->expire ? m->expire_len + 1 : 0);
    if (m->expire)
        cdp_buf_add(out, m->expire, m->expire_len);
    cdp_buf_addc(out, m->has_purchase ? 1 : 0);
    put_i(out, m->last_purchase_day);
    put_days(out, m->order_days, m->norders, o->as_of_day - 365);
    struct cdp_day_amount *r = cdp_xmalloc((m->nrevenue + 1) * sizeof *r);
    size_t k = 0;
    for (size_t i = 0; i < m->nrevenue; i++)
        if (m->revenue[i].day > o->as_of_day - 365)
            r[k++] = m->revenue[i];
    qsort(r, k, sizeof *r, cmp_day_amount);
    put_u(out, k);
    for (size_t i = 0; i < k; i++) {
        put_i(out, r[i].day - (i ? r[i - 1].day : 0));
        put_i(out, r[i].amount);
    }
    free(r);
    put_days(out, m->view_days, m->nviews, o->as_of_day - 30);
    put_u(out, m->ncart);
    for (size_t i = 0; i < m->ncart; i++) {
        const struct cdp_moment_item *it = &m->cart[i];
        put_i(out, it->added);
        put_bytes(out, it->added_text, it->added_len);
        put_bytes(out, it->text, it->text_len);
        put_i(out, it->value);
    }
}

/* Reading a saved profile: every read checks the bounds; a damaged one
 * sets bad and reads zeros from then on. */
struct reader {
    const unsigned char *p, *end;
    bool bad;
};

static uint64_t get_u(struct reader *r)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end)
            break;
        unsigned char c = *r->p++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return v;
    }
    r->bad = true;
    r->p = r->end;
    return 0;
}

static int64_t get_i(struct reader *r)
{
    uint64_t u = get_u(r);
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static const char *get_bytes(struct reader *r, uint64_t n)
{
    if (n > (uint64_t)(r->end - r->p)) {
        r->bad = true;
        r->p = r->end;
        return "";
    }
    const char *s = (const char *)r->p;
    r->p += n;
    return s;
}

/* A count of items of at least `least` bytes each: no more than are left. */
static size_t get_count(struct reader *r, size_t least)
{
    uint64_t n = get_u(r);
    if (n > (uint64_t)(r->end - r->p) / least) {
        r->bad = true;
        r->p = r->end;
        return 0;
    }
    return (size_t)n;
}

/* The header of a saved profile. */
static bool read_head(struct reader *r, int64_t *as_of_ms, int64_t *next_event)
{
    if (r->p >= r->end || *r->p != 'M')
        return false;
    r->p++;
    *as_of_ms = get_i(r);
    *next_event = get_i(r);
    return !r->bad;
}

bool cdp_moment_current(const char *saved, size_t len, const struct cdp_profile_options *o)
{
    struct reader r = { (const unsigned char *)saved, (const unsigned char *)saved + len, false };
    int64_t as_of_ms, next_event;
    return read_head(&r, &as_of_ms, &next_event) && as_of_ms <= o->as_of_ms &&
           o->as_of_ms <= next_event;
}

static void get_days(struct reader *r, int64_t **days, size_t *n, size_t *cap)
{
    size_t k = get_count(r, 1);
    if (k >= *cap) {
        *cap = k + 1;
        *days = cdp_xrealloc(*days, *cap * sizeof **days);
    }
    int64_t d = 0;
    for (size_t i = 0; i < k; i++)
        (*days)[i] = d += get_i(r);
    *n = k;
}

/* m from the rest of a saved profile (after its text and offsets). */
static void read_moment(struct reader *r, struct cdp_moment *m)
{
    cdp_moment_reset(m);
    uint64_t n = get_u(r);
    if (n) {
        m->balance_len = (uint32_t)(n - 1);
        m->balance = get_bytes(r, n - 1);
    }
    n = get_u(r);
    if (n) {
        m->expire_len = (uint32_t)(n - 1);
        m->expire = get_bytes(r, n - 1);
    }
    m->has_purchase = *get_bytes(r, 1) == 1;
    m->last_purchase_day = get_i(r);
    get_days(r, &m->order_days, &m->norders, &m->orders_cap);
    size_t k = get_count(r, 2);
    if (k >= m->revenue_cap) {
        m->revenue_cap = k + 1;
        m->revenue = cdp_xrealloc(m->revenue, m->revenue_cap * sizeof *m->revenue);
    }
    int64_t day = 0;
    for (size_t i = 0; i < k; i++) {
        day += get_i(r);
        m->revenue[i] = (struct cdp_day_amount){ day, get_i(r) };
    }
    m->nrevenue = k;
    get_days(r, &m->view_days, &m->nviews, &m->views_cap);
    k = get_count(r, 4);
    for (size_t i = 0; i < k && !r->bad; i++) {
        struct cdp_moment_item it;
        it.added = get_i(r);
        it.added_len = (uint32_t)get_u(r);
        it.added_text = get_bytes(r, it.added_len);
        it.text_len = (uint32_t)get_u(r);
        it.text = get_bytes(r, it.text_len);
        it.value = get_i(r);
        cdp_moment_add_item(m, &it);
    }
}

int cdp_moment_restore(const char *saved, size_t len, const struct cdp_profile_options *o,
                       struct cdp_buf *out)
{
    struct reader r = { (const unsigned char *)saved, (const unsigned char *)saved + len, false };
    int64_t as_of_ms, next_event;
    if (!read_head(&r, &as_of_ms, &next_event))
        return -1;
    uint64_t tlen = get_u(&r);
    const char *text = get_bytes(&r, tlen);
    size_t at[CDP_MOMENT_PARTS];
    for (int i = 0; i < CDP_MOMENT_PARTS; i++) {
        at[i] = get_u(&r);
        if (at[i] > tlen || (i && at[i] < at[i - 1]))
            r.bad = true;
    }
    struct cdp_moment m;
    memset(&m, 0, sizeof m);
    read_moment(&r, &m);
    int status = -1;
    if (!r.bad && r.p == r.end) {
        size_t from = 0;
        for (int i = 0; i < CDP_MOMENT_PARTS; i++) {
            cdp_buf_add(out, text + from, at[i] - from);
            cdp_moment_write(&m, (enum cdp_moment_part)i, o, out);
            from = at[i];
        }
        cdp_buf_add(out, text + from, tlen - from);
        status = 0;
    }
    cdp_moment_release(&m);
    return status;
}
