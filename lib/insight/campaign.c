/* campaign.c: see campaign.h. */
#include "insight/campaign.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/intern.h"
#include "insight/runfolder.h"
#include "io/reader.h"

#define DAY_MS INT64_C(86400000)

struct person {
    uint8_t arm; /* 1 sent, 2 held out */
    uint32_t orders;
    double revenue;
    bool bought;
};

struct cdp_campaign_run {
    struct cdp_campaign *c;
    struct cdp_intern *ids;     /* the arms' people, by tonight's id */
    struct person *people;
    size_t cap;
    struct cdp_intern *orders;  /* "person\x1forder" seen */
    struct cdp_buf key;
    int64_t from_ms, to_ms;     /* the window */
};

struct arm_of {
    const char *segment;
    size_t len;
    bool found;
};

static void look(void *ctx, const char *s, size_t len)
{
    struct arm_of *a = ctx;
    a->found |= len == a->len && !memcmp(s, a->segment, len);
}

/* Whether the array f names the segment. */
static bool names(struct cdp_json_parser *p, const struct cdp_field *f, const char *segment)
{
    struct arm_of a = { segment, strlen(segment), false };
    if (f && f->type == CDP_ARRAY)
        cdp_json_each_string(p, f->val, f->vlen, look, &a);
    return a.found;
}

static void add_person(struct cdp_campaign_run *r, const char *id, size_t len, uint8_t arm)
{
    int added;
    uint32_t k = cdp_intern_add(r->ids, id, len, &added);
    if (k >= r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        while (cap <= k)
            cap *= 2;
        r->people = cdp_xrealloc(r->people, cap * sizeof *r->people);
        r->cap = cap;
    }
    if (added)
        r->people[k] = (struct person){ arm, 0, 0, false };
}

struct arms_reading {
    struct cdp_campaign_run *r;
    struct cdp_json_parser *p;
    const struct cdp_idmap *ids;
};

/* A profile of the kept segment output: in an arm if it is in the
 * campaign's segment or its holdout. */
static void add_arm(void *ctx, struct cdp_record *rec)
{
    struct arms_reading *a = ctx;
    size_t len, tl;
    const char *id = cdp_field_string(rec, "cdp_id", &len);
    if (!id)
        return;
    const char *segment = a->r->c->segment;
    uint8_t arm = names(a->p, cdp_record_gets(rec, "segments"), segment) ? 1
                : names(a->p, cdp_record_gets(rec, "holdout"), segment) ? 2 : 0;
    if (arm) {
        const char *now = id;
        tl = len;
        cdp_idmap_follow(a->ids, id, len, &now, &tl);
        add_person(a->r, now, tl, arm);
    }
}

struct cdp_campaign_run *cdp_campaign_start(struct cdp_campaign *c, const char *path,
                                            const struct cdp_idmap *ids, struct cdp_error *err)
{
    struct cdp_campaign_run *r = cdp_xcalloc(1, sizeof *r);
    r->c = c;
    r->ids = cdp_intern_new();
    r->orders = cdp_intern_new();
    r->from_ms = (c->day + 1) * DAY_MS;
    r->to_ms = (c->day + 1 + c->window) * DAY_MS;
    struct arms_reading a = { r, cdp_json_parser_new(), ids };
    int rc = cdp_runfolder_read_rows(path, add_arm, &a, NULL, err);
    cdp_json_parser_free(a.p);
    if (rc < 0) {
        cdp_intern_free(r->ids);
        cdp_intern_free(r->orders);
        free(r->people);
        free(r);
        return NULL;
    }
    c->found = true;
    return r;
}

void cdp_campaign_event(struct cdp_campaign_run *r, const char *cid, size_t len,
                        enum cdp_event_kind kind, double amount, int64_t ms, const char *order,
                        size_t olen)
{
    if ((kind != CDP_EVENT_PURCHASE && kind != CDP_EVENT_RETURN) || ms < r->from_ms || ms >= r->to_ms)
        return;
    uint32_t k = cdp_intern_find(r->ids, cid, len);
    if (k == UINT32_MAX)
        return;
    struct person *p = &r->people[k];
    p->revenue += amount;
    if (kind != CDP_EVENT_PURCHASE)
        return;
    p->bought = true;
    /* A line without an order id is an order of its own (cdp-merge(1)). */
    if (!order) {
        p->orders++;
        return;
    }
    cdp_buf_reset(&r->key);
    cdp_buf_printf(&r->key, "%u\x1f%.*s", (unsigned)k, (int)olen, order);
    int added;
    cdp_intern_add(r->orders, r->key.data, r->key.len, &added);
    p->orders += added != 0;
}

void cdp_campaign_compare(struct cdp_campaign *c)
{
    const struct cdp_arm *s = &c->sent, *h = &c->held;
    c->rate_sent = s->n ? (double)s->converted / (double)s->n : NAN;
    c->rate_held = h->n ? (double)h->converted / (double)h->n : NAN;
    c->uplift = c->rate_sent - c->rate_held;
    c->relative = c->rate_held > 0 ? c->uplift / c->rate_held : NAN;
    c->uplift_ci = (struct cdp_interval){ NAN, NAN };
    c->p = NAN;
    c->revenue_ok = c->orders_ok = false;
    cdp_welch_test(&s->revenue_pp, &h->revenue_pp, 0.95, &c->revenue);
    cdp_welch_test(&s->orders_pp, &h->orders_pp, 0.95, &c->orders);
    if (!c->found || s->n == 0) {
        c->verdict = CDP_VERDICT_NO_DATA;
        return;
    }
    if (h->n == 0) {
        c->verdict = CDP_VERDICT_NO_HOLDOUT;
        return;
    }
    cdp_newcombe(s->converted, s->n, h->converted, h->n, CDP_Z95, &c->uplift_ci);
    c->p = cdp_two_proportion_p(s->converted, s->n, h->converted, h->n);
    c->revenue_ok = cdp_welch_test(&s->revenue_pp, &h->revenue_pp, 0.95, &c->revenue);
    c->orders_ok = cdp_welch_test(&s->orders_pp, &h->orders_pp, 0.95, &c->orders);
    c->verdict = c->uplift_ci.low > 0 ? CDP_VERDICT_UP
               : c->uplift_ci.high < 0 ? CDP_VERDICT_DOWN : CDP_VERDICT_TOO_FEW;
}

void cdp_campaign_finish(struct cdp_campaign_run *r, int64_t tonight)
{
    struct cdp_campaign *c = r->c;
    int64_t observed = tonight - c->day;
    c->observed = (int)(observed < 0 ? 0 : observed > c->window ? c->window : observed);
    size_t n = cdp_intern_count(r->ids);
    for (size_t i = 0; i < n; i++) {
        const struct person *p = &r->people[i];
        struct cdp_arm *a = p->arm == 1 ? &c->sent : &c->held;
        a->n++;
        a->converted += p->bought;
        a->orders += p->orders;
        a->revenue += p->revenue;
        cdp_moments_add(&a->revenue_pp, p->revenue);
        cdp_moments_add(&a->orders_pp, p->orders);
    }
    cdp_campaign_compare(c);
    cdp_intern_free(r->ids);
    cdp_intern_free(r->orders);
    cdp_buf_release(&r->key);
    free(r->people);
    free(r);
}
