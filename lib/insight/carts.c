/* carts.c: see carts.h. */
#include "insight/carts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/intern.h"
#include "insight/runfolder.h"
#include "io/reader.h"
#include "norm/date.h"

#define DAY_MS INT64_C(86400000)

enum { OPEN_NOW = 1, ADDED = 2, OPEN_BEFORE = 4, BOUGHT_SINCE = 8 };

struct cdp_carts_run {
    struct cdp_cart_figures *carts;
    int64_t tonight;
    struct cdp_intern *ids;
    uint8_t *flags;
    double *value_before; /* the cart's value the night before */
    size_t cap;
    int64_t before_end_ms; /* the end of the night before */
};

static uint32_t person(struct cdp_carts_run *r, const char *id, size_t len)
{
    uint32_t k = cdp_intern_add(r->ids, id, len, NULL);
    if (k >= r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256, old = r->cap;
        while (cap <= k)
            cap *= 2;
        r->flags = cdp_xrealloc(r->flags, cap);
        r->value_before = cdp_xrealloc(r->value_before, cap * sizeof *r->value_before);
        memset(r->flags + old, 0, cap - old);
        memset(r->value_before + old, 0, (cap - old) * sizeof *r->value_before);
        r->cap = cap;
    }
    return k;
}

struct cdp_carts_run *cdp_carts_start(struct cdp_cart_figures *carts, int64_t tonight)
{
    struct cdp_carts_run *r = cdp_xcalloc(1, sizeof *r);
    r->carts = carts;
    r->tonight = tonight;
    r->ids = cdp_intern_new();
    r->before_end_ms = INT64_MAX;
    carts->rate = carts->recovery_rate = NAN;
    return r;
}

static struct cdp_category *category(struct cdp_cart_figures *c, const char *name, size_t len)
{
    for (size_t i = 0; i < c->ncategories; i++)
        if (!strncmp(c->categories[i].name, name, len) && c->categories[i].name[len] == '\0')
            return &c->categories[i];
    c->categories = cdp_xrealloc(c->categories, (c->ncategories + 1) * sizeof *c->categories);
    struct cdp_category *k = &c->categories[c->ncategories++];
    memset(k, 0, sizeof *k);
    k->name = cdp_xstrndup(name, len);
    return k;
}

/* Days since 1970 of a time's date ("2026-11-08T10:16:55Z"); false when
 * it has none. */
static bool day_of(const char *s, size_t len, int64_t *day)
{
    struct cdp_datetime dt;
    if (!s || len < 10 || cdp_datetime_parse(s, 10, CDP_ORDER_YMD, false, &dt) != CDP_DATE_OK)
        return false;
    *day = cdp_days_from_civil(dt.year, dt.month, dt.day);
    return true;
}

/* Byte order of two texts (jq's order of strings). */
static int lexcmp(const char *a, size_t al, const char *b, size_t bl)
{
    int k = memcmp(a, b, al < bl ? al : bl);
    return k ? k : al < bl ? -1 : al > bl;
}

/* The latest of a category's purchase and view times (ISO text compares
 * as time, as category.rules compares it). */
static const char *latest(const struct cdp_record *cat, size_t *len)
{
    size_t pl = 0, vl = 0;
    const char *p = cdp_field_string(cat, "last_at", &pl), *v = cdp_field_string(cat, "last_view_at", &vl);
    if (!p || (v && lexcmp(v, vl, p, pl) > 0)) {
        *len = vl;
        return v;
    }
    *len = pl;
    return p;
}

void cdp_carts_add_profile(struct cdp_carts_run *r, const struct cdp_record *profile,
                           struct cdp_nested *nested, struct cdp_nested *inner)
{
    struct cdp_cart_figures *c = r->carts;
    c->profiles_read = true;
    size_t len;
    const char *id = cdp_field_string(profile, "cdp_id", &len);
    double v;
    if (id && cdp_nested_parse(nested, cdp_record_gets(profile, "abandoned_cart"))) {
        c->abandoned++;
        if (cdp_field_number(&nested->rec, "value", &v))
            c->value += v;
        uint32_t k = person(r, id, len);
        r->flags[k] |= OPEN_NOW;
    }
    if (!cdp_nested_parse(nested, cdp_record_gets(profile, "categories")))
        return;
    /* The time is copied: it lives in inner's text, which the next
     * category's parse overwrites (fields.h). An ISO time is under 40 bytes;
     * a longer text is no time to compare. */
    const char *room = NULL;
    char room_at[64];
    size_t room_len = 0, room_at_len = 0;
    for (size_t i = 0; i < nested->rec.n; i++) {
        const struct cdp_field *f = &nested->rec.f[i];
        if (!cdp_nested_parse(inner, f))
            continue;
        struct cdp_category *k = category(c, f->key, f->klen);
        double orders = 0, revenue = 0, views = 0;
        cdp_field_number(&inner->rec, "orders", &orders);
        cdp_field_number(&inner->rec, "revenue", &revenue);
        cdp_field_number(&inner->rec, "views", &views);
        k->buyers += orders > 0;
        k->orders += orders > 0 ? (uint64_t)orders : 0;
        k->revenue += revenue;
        k->viewers += views > 0;
        size_t al;
        const char *at = latest(&inner->rec, &al);
        int64_t day;
        if (!at || al >= sizeof room_at || !day_of(at, al, &day) || r->tonight - day >= CDP_INTEREST_DAYS)
            continue;
        int cmp = room ? lexcmp(at, al, room_at, room_at_len) : 1;
        if (cmp == 0)
            cmp = lexcmp(f->key, f->klen, room, room_len);
        if (cmp > 0) {
            room = f->key, room_len = f->klen;
            memcpy(room_at, at, al);
            room_at_len = al;
        }
    }
    if (room) {
        category(c, room, room_len)->furnishing++;
        c->furnishing++;
    }
}

struct previous_reading {
    struct cdp_carts_run *r;
    const struct cdp_idmap *ids;
    struct cdp_nested n;
};

/* A profile of the night before: its open cart, under tonight's id. */
static void add_previous(void *ctx, struct cdp_record *rec)
{
    struct previous_reading *pr = ctx;
    struct cdp_carts_run *r = pr->r;
    size_t len, tl;
    const char *id = cdp_field_string(rec, "cdp_id", &len);
    double v = 0;
    if (!id || !cdp_nested_parse(&pr->n, cdp_record_gets(rec, "abandoned_cart")))
        return;
    cdp_field_number(&pr->n.rec, "value", &v);
    const char *now = id;
    tl = len;
    cdp_idmap_follow(pr->ids, id, len, &now, &tl);
    uint32_t p = person(r, now, tl);
    if (!(r->flags[p] & OPEN_BEFORE))
        r->carts->previous_abandoned++;
    r->flags[p] |= OPEN_BEFORE;
    r->value_before[p] += v;
}

int cdp_carts_read_previous(struct cdp_carts_run *r, const char *path, int64_t day,
                            const struct cdp_idmap *ids, struct cdp_error *err)
{
    struct previous_reading pr = { .r = r, .ids = ids };
    cdp_nested_init(&pr.n);
    int rc = cdp_runfolder_read_rows(path, add_previous, &pr, NULL, err);
    cdp_nested_release(&pr.n);
    if (rc < 0)
        return -1;
    r->carts->previous_read = true;
    r->carts->previous_day = day;
    r->before_end_ms = (day + 1) * DAY_MS;
    return 0;
}

void cdp_carts_event(struct cdp_carts_run *r, const char *cid, size_t len, enum cdp_event_kind kind,
                     int64_t ms)
{
    int64_t end = (r->tonight + 1) * DAY_MS;
    r->carts->events_read = true;
    if (ms >= end)
        return;
    if (kind == CDP_EVENT_CART_ADD && ms >= end - CDP_CART_DAYS * DAY_MS) {
        uint32_t k = person(r, cid, len);
        r->flags[k] |= ADDED;
    } else if (kind == CDP_EVENT_PURCHASE && ms >= r->before_end_ms) {
        uint32_t k = cdp_intern_find(r->ids, cid, len);
        if (k != UINT32_MAX && (r->flags[k] & OPEN_BEFORE))
            r->flags[k] |= BOUGHT_SINCE;
    }
}

static int by_revenue(const void *a, const void *b)
{
    const struct cdp_category *x = a, *y = b;
    if (x->revenue != y->revenue)
        return x->revenue < y->revenue ? 1 : -1;
    return strcmp(x->name, y->name);
}

void cdp_carts_finish(struct cdp_carts_run *r)
{
    struct cdp_cart_figures *c = r->carts;
    size_t n = cdp_intern_count(r->ids);
    for (size_t i = 0; i < n; i++) {
        c->created += (r->flags[i] & (OPEN_NOW | ADDED)) != 0;
        if ((r->flags[i] & (OPEN_BEFORE | BOUGHT_SINCE)) == (OPEN_BEFORE | BOUGHT_SINCE)) {
            c->recovered++;
            c->recovered_value += r->value_before[i];
        }
    }
    c->rate = c->created ? (double)c->abandoned / (double)c->created : NAN;
    c->recovery_rate = c->previous_abandoned ? (double)c->recovered / (double)c->previous_abandoned : NAN;
    if (c->ncategories)
        qsort(c->categories, c->ncategories, sizeof *c->categories, by_revenue);
    cdp_intern_free(r->ids);
    free(r->flags);
    free(r->value_before);
    free(r);
}

void cdp_carts_release(struct cdp_cart_figures *carts)
{
    for (size_t i = 0; i < carts->ncategories; i++)
        free(carts->categories[i].name);
    free(carts->categories);
}
