#include "recommend/popular.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "norm/event.h"

struct cdp_popularity {
    const struct cdp_activity *h;
    double *score; /* per item, over the largest */
    uint32_t *ranked;
    size_t nranked;
    size_t *cat_first;
    uint32_t *cat_ranked;
};

/* Adds each buyer's latest purchase of each item among the events (by
 * time) of one person; seen marks the items done (with mark). */
static void add_buyer(double *score, const struct cdp_event *ev, size_t n, uint32_t *seen,
                      uint32_t mark, double half_life_ms, int64_t as_of_ms)
{
    for (size_t i = n; i-- > 0;) {
        const struct cdp_event *e = &ev[i];
        if (e->kind != CDP_EVENT_PURCHASE || seen[e->item] == mark)
            continue;
        seen[e->item] = mark;
        if (half_life_ms <= 0)
            score[e->item] += 1;
        else if (e->ts != CDP_UNDATED)
            score[e->item] += exp2(-(double)(as_of_ms - e->ts) / half_life_ms);
    }
}

static int cmp_rank(const void *a, const void *b, void *ctx)
{
    const struct cdp_popularity *p = ctx;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (p->score[x] != p->score[y])
        return p->score[x] > p->score[y] ? -1 : 1;
    uint32_t bx = cdp_activity_buyers(p->h, x), by = cdp_activity_buyers(p->h, y);
    if (bx != by)
        return bx > by ? -1 : 1;
    return (x > y) - (x < y);
}

struct cdp_popularity *cdp_popularity_new(const struct cdp_activity *h, double half_life_days,
                                          int64_t as_of_ms)
{
    struct cdp_popularity *p = cdp_xcalloc(1, sizeof *p);
    size_t nitems = cdp_activity_items(h), ncats = cdp_activity_categories(h);
    double half_life_ms = half_life_days * 86400000.0;
    p->h = h;
    p->score = cdp_xcalloc(nitems + 1, sizeof *p->score);
    uint32_t *seen = cdp_xmalloc((nitems + 1) * sizeof *seen);
    memset(seen, 0xff, (nitems + 1) * sizeof *seen);
    size_t n, npeople = cdp_activity_people(h);
    for (size_t person = 0; person < npeople; person++) {
        const struct cdp_event *ev = cdp_activity_events(h, (uint32_t)person, &n);
        add_buyer(p->score, ev, n, seen, (uint32_t)person, half_life_ms, as_of_ms);
    }
    /* Each anonymous purchase is a buyer of its own. */
    const struct cdp_event *ev = cdp_activity_anonymous(h, &n);
    for (size_t i = 0; i < n; i++)
        add_buyer(p->score, ev + i, 1, seen, (uint32_t)(npeople + i), half_life_ms, as_of_ms);
    free(seen);
    p->ranked = cdp_xmalloc((nitems + 1) * sizeof *p->ranked);
    for (size_t i = 0; i < nitems; i++)
        if (cdp_activity_buyers(h, (uint32_t)i) > 0)
            p->ranked[p->nranked++] = (uint32_t)i;
    qsort_r(p->ranked, p->nranked, sizeof *p->ranked, cmp_rank, p);
    double top = p->nranked ? p->score[p->ranked[0]] : 0;
    for (size_t i = 0; i < nitems && top > 0; i++)
        p->score[i] /= top;
    p->cat_first = cdp_xcalloc(ncats + 2, sizeof *p->cat_first);
    p->cat_ranked = cdp_xmalloc((p->nranked + 1) * sizeof *p->cat_ranked);
    for (size_t k = 0; k < p->nranked; k++) {
        uint32_t c = cdp_activity_item_category(h, p->ranked[k]);
        if (c != CDP_NONE)
            p->cat_first[c + 1]++;
    }
    for (size_t c = 0; c < ncats; c++)
        p->cat_first[c + 1] += p->cat_first[c];
    size_t *at = cdp_xmalloc((ncats + 1) * sizeof *at);
    memcpy(at, p->cat_first, (ncats + 1) * sizeof *at);
    for (size_t k = 0; k < p->nranked; k++) {
        uint32_t c = cdp_activity_item_category(h, p->ranked[k]);
        if (c != CDP_NONE)
            p->cat_ranked[at[c]++] = p->ranked[k];
    }
    free(at);
    return p;
}

void cdp_popularity_free(struct cdp_popularity *p)
{
    if (!p)
        return;
    free(p->score);
    free(p->ranked);
    free(p->cat_first);
    free(p->cat_ranked);
    free(p);
}

double cdp_popularity_of(const struct cdp_popularity *p, uint32_t item)
{
    return p->score[item];
}

const uint32_t *cdp_popularity_ranked(const struct cdp_popularity *p, size_t *n)
{
    *n = p->nranked;
    return p->ranked;
}

const uint32_t *cdp_popularity_in_category(const struct cdp_popularity *p, uint32_t category,
                                           size_t *n)
{
    *n = p->cat_first[category + 1] - p->cat_first[category];
    return p->cat_ranked + p->cat_first[category];
}
