#include "recommend/score.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

#define DAY_MS 86400000LL

struct cdp_recommender {
    const struct cdp_activity *h;
    const struct cdp_pairs *pairs;
    const uint8_t *eligible;
    struct cdp_score_options opt;
    size_t nitems, ncats;
    int64_t as_of_day;
    long *cat_rule_days; /* per category: its window, or 0 without a rule */
    struct cdp_popularity *popularity;
};

void cdp_score_defaults(struct cdp_score_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->weight[CDP_EVENT_PURCHASE] = 4;
    opt->weight[CDP_EVENT_CART_ADD] = 3;
    opt->weight[CDP_EVENT_VIEW] = 1;
    opt->weight[CDP_EVENT_CART_REMOVE] = -1;
    opt->weight[CDP_EVENT_RETURN] = -4;
    opt->half_life_days = 30;
    opt->popular_half_life_days = 7;
    opt->popular_weight = 0.2;
    opt->as_of_ms = INT64_MAX;
    opt->top = 10;
    opt->viewed = 5;
    opt->sources = CDP_SOURCE_PAIRS | CDP_SOURCE_CATEGORY | CDP_SOURCE_POPULAR;
    opt->exclude_bought_days = CDP_EVER;
}

int cdp_weight_set(double weight[CDP_EVENT_KINDS], const char *spec, struct cdp_error *err)
{
    const char *eq = strchr(spec, '=');
    size_t len = eq ? (size_t)(eq - spec) : 0;
    enum cdp_event_kind k = cdp_event_kind(spec, len);
    bool other = len == 5 && memcmp(spec, "other", 5) == 0;
    char *end;
    double w = eq ? strtod(eq + 1, &end) : 0;
    if (!eq || (k == CDP_EVENT_OTHER && !other))
        return cdp_errorf(err, "'%s' is not EVENT=W with EVENT purchase, return, view, cart_add, "
                               "cart_remove or other", spec);
    if (!eq[1] || *end || !(w >= -1000 && w <= 1000))
        return cdp_errorf(err, "'%s': W must be a number from -1000 to 1000", spec);
    weight[k] = w;
    return 0;
}

bool cdp_fallback_parse(const char *s, unsigned *sources)
{
    static const char *const names[] = { "category,popular", "popular", "category", "none" };
    static const unsigned bits[] = { CDP_SOURCE_CATEGORY | CDP_SOURCE_POPULAR, CDP_SOURCE_POPULAR,
                                     CDP_SOURCE_CATEGORY, 0 };
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            *sources = CDP_SOURCE_PAIRS | bits[i];
            return true;
        }
    return false;
}

const char *cdp_reason_name(enum cdp_reason reason)
{
    static const char *const names[] = { "bought_together", "viewed", "category", "popular" };
    return names[reason];
}

static int64_t day_of(int64_t ms)
{
    return ms >= 0 ? ms / DAY_MS : -((-ms + DAY_MS - 1) / DAY_MS);
}

struct cdp_recommender *cdp_recommender_new(const struct cdp_activity *h,
                                            const struct cdp_pairs *pairs,
                                            const uint8_t *eligible,
                                            const struct cdp_score_options *opt)
{
    struct cdp_recommender *r = cdp_xcalloc(1, sizeof *r);
    r->h = h;
    r->pairs = pairs;
    r->eligible = eligible;
    r->opt = *opt;
    r->nitems = cdp_activity_items(h);
    r->ncats = cdp_activity_categories(h);
    r->as_of_day = day_of(opt->as_of_ms - 1);
    r->cat_rule_days = cdp_xcalloc(r->ncats + 1, sizeof *r->cat_rule_days);
    const struct cdp_category_rules *rules = opt->category_rules;
    for (size_t i = 0; rules && i < rules->n; i++)
        for (size_t c = 0; c < r->ncats; c++) {
            size_t len;
            const char *name = cdp_activity_category_name(h, (uint32_t)c, &len);
            if (strlen(rules->v[i].category) == len && memcmp(name, rules->v[i].category, len) == 0)
                r->cat_rule_days[c] = rules->v[i].days;
        }
    r->popularity = cdp_popularity_new(h, opt->popular_half_life_days, opt->as_of_ms);
    return r;
}

void cdp_recommender_free(struct cdp_recommender *r)
{
    if (!r)
        return;
    free(r->cat_rule_days);
    cdp_popularity_free(r->popularity);
    free(r);
}

const struct cdp_activity *cdp_recommender_activity(const struct cdp_recommender *r)
{
    return r->h;
}

/* ---- one person ---------------------------------------------------------- */

enum { BOUGHT = 1, VIEWED = 2, CARTED = 4 };

struct cdp_scorer {
    const struct cdp_recommender *r;
    uint32_t stamp; /* this run: an entry with another stamp is empty */
    /* per item: the person's own events */
    uint32_t *item_stamp;
    double *affinity;
    uint8_t *flags;
    int64_t *bought_at, *viewed_at; /* the latest (CDP_UNDATED: undated only) */
    uint32_t *anchors;
    size_t nanchors;
    /* per item: candidates */
    uint32_t *cand_stamp;
    double *score, *best;
    uint32_t *because;
    uint32_t *cands;
    size_t ncands;
    uint32_t *chosen_stamp, *listed_stamp;
    /* per category */
    uint32_t *cat_stamp;
    double *cat_affinity;
    uint8_t *cat_flags;
    int64_t *cat_bought_at;
    uint8_t *cat_excluded;
    uint32_t *cats;
    size_t ncats;
    /* the lists */
    struct cdp_rec *recs;
    size_t nrecs;
    struct cdp_viewed *viewed;
    struct cdp_recs out;
};

struct cdp_scorer *cdp_scorer_new(const struct cdp_recommender *r)
{
    struct cdp_scorer *s = cdp_xcalloc(1, sizeof *s);
    size_t n = r->nitems + 1, nc = r->ncats + 1;
    s->r = r;
    s->item_stamp = cdp_xcalloc(n, sizeof *s->item_stamp);
    s->affinity = cdp_xmalloc(n * sizeof *s->affinity);
    s->flags = cdp_xmalloc(n);
    s->bought_at = cdp_xmalloc(n * sizeof *s->bought_at);
    s->viewed_at = cdp_xmalloc(n * sizeof *s->viewed_at);
    s->anchors = cdp_xmalloc(n * sizeof *s->anchors);
    s->cand_stamp = cdp_xcalloc(n, sizeof *s->cand_stamp);
    s->score = cdp_xmalloc(n * sizeof *s->score);
    s->best = cdp_xmalloc(n * sizeof *s->best);
    s->because = cdp_xmalloc(n * sizeof *s->because);
    s->cands = cdp_xmalloc(n * sizeof *s->cands);
    s->chosen_stamp = cdp_xcalloc(n, sizeof *s->chosen_stamp);
    s->listed_stamp = cdp_xcalloc(n, sizeof *s->listed_stamp);
    s->cat_stamp = cdp_xcalloc(nc, sizeof *s->cat_stamp);
    s->cat_affinity = cdp_xmalloc(nc * sizeof *s->cat_affinity);
    s->cat_flags = cdp_xmalloc(nc);
    s->cat_bought_at = cdp_xmalloc(nc * sizeof *s->cat_bought_at);
    s->cat_excluded = cdp_xmalloc(nc);
    s->cats = cdp_xmalloc(nc * sizeof *s->cats);
    s->recs = cdp_xmalloc((r->opt.top + 1) * sizeof *s->recs);
    s->viewed = cdp_xmalloc((r->opt.viewed + 1) * sizeof *s->viewed);
    return s;
}

void cdp_scorer_free(struct cdp_scorer *s)
{
    if (!s)
        return;
    free(s->item_stamp);
    free(s->affinity);
    free(s->flags);
    free(s->bought_at);
    free(s->viewed_at);
    free(s->anchors);
    free(s->cand_stamp);
    free(s->score);
    free(s->best);
    free(s->because);
    free(s->cands);
    free(s->chosen_stamp);
    free(s->listed_stamp);
    free(s->cat_stamp);
    free(s->cat_affinity);
    free(s->cat_flags);
    free(s->cat_bought_at);
    free(s->cat_excluded);
    free(s->cats);
    free(s->recs);
    free(s->viewed);
    free(s);
}

/* Whether a dated moment falls in the last `days` days (CDP_EVER: any). */
static bool within(const struct cdp_recommender *r, int64_t ts, long days)
{
    if (days == CDP_EVER)
        return true;
    return ts != CDP_UNDATED && day_of(ts) > r->as_of_day - days;
}

/* The person's events: affinities, what they did with each item, and
 * with each category. */
static void learn(struct cdp_scorer *s, const struct cdp_event *ev, size_t n)
{
    const struct cdp_recommender *r = s->r;
    double half_life_ms = r->opt.half_life_days * (double)DAY_MS;
    for (size_t k = 0; k < n; k++) {
        const struct cdp_event *e = &ev[k];
        uint32_t i = e->item;
        if (s->item_stamp[i] != s->stamp) {
            s->item_stamp[i] = s->stamp;
            s->affinity[i] = 0;
            s->flags[i] = 0;
            s->bought_at[i] = s->viewed_at[i] = CDP_UNDATED;
            s->anchors[s->nanchors++] = i;
        }
        double decay = 1;
        if (half_life_ms > 0)
            decay = e->ts == CDP_UNDATED ? 0 : exp2(-(double)(r->opt.as_of_ms - e->ts) / half_life_ms);
        double w = r->opt.weight[e->kind] * decay;
        s->affinity[i] += w;
        if (e->kind == CDP_EVENT_PURCHASE) {
            s->flags[i] |= BOUGHT;
            if (e->ts != CDP_UNDATED)
                s->bought_at[i] = e->ts;
        } else if (e->kind == CDP_EVENT_VIEW) {
            s->flags[i] |= VIEWED;
            if (e->ts != CDP_UNDATED)
                s->viewed_at[i] = e->ts;
        } else if (e->kind == CDP_EVENT_CART_ADD) {
            s->flags[i] |= CARTED;
        }
        uint32_t c = cdp_activity_item_category(r->h, i);
        if (c == CDP_NONE)
            continue;
        if (s->cat_stamp[c] != s->stamp) {
            s->cat_stamp[c] = s->stamp;
            s->cat_affinity[c] = 0;
            s->cat_flags[c] = 0;
            s->cat_bought_at[c] = CDP_UNDATED;
            s->cats[s->ncats++] = c;
        }
        s->cat_affinity[c] += w;
        if (e->kind == CDP_EVENT_PURCHASE) {
            s->cat_flags[c] |= BOUGHT;
            if (e->ts != CDP_UNDATED)
                s->cat_bought_at[c] = e->ts;
        }
    }
    for (size_t k = 0; k < s->ncats; k++) {
        uint32_t c = s->cats[k];
        long days = r->cat_rule_days[c];
        s->cat_excluded[c] = days && (s->cat_flags[c] & BOUGHT) && within(r, s->cat_bought_at[c], days);
    }
}

/* Whether item j may be offered to this person (the viewed list's rules
 * when for_viewed). */
static bool excluded(const struct cdp_scorer *s, uint32_t j, bool for_viewed)
{
    const struct cdp_recommender *r = s->r;
    if (r->eligible && !r->eligible[j])
        return true;
    uint32_t c = cdp_activity_item_category(r->h, j);
    if (c != CDP_NONE && s->cat_stamp[c] == s->stamp && s->cat_excluded[c])
        return true;
    if (s->item_stamp[j] != s->stamp)
        return false;
    uint8_t f = s->flags[j];
    long days = r->opt.exclude_bought_days;
    if ((f & BOUGHT) && days && within(r, s->bought_at[j], days))
        return true;
    return !for_viewed && !r->opt.mix_viewed && (f & (VIEWED | CARTED));
}

/* Whether a ranks before b: the larger score, then the smaller item. */
static bool before(const struct cdp_rec *a, const struct cdp_rec *b)
{
    return a->score > b->score || (a->score == b->score && a->item < b->item);
}

/* A heap of the best N so far, the worst on top. */
static void sift_down(struct cdp_rec *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && before(&h[w], &h[l]))
            w = l;
        if (r < n && before(&h[w], &h[r]))
            w = r;
        if (w == i)
            return;
        struct cdp_rec t = h[i];
        h[i] = h[w];
        h[w] = t;
        i = w;
    }
}

static void sift_up(struct cdp_rec *h, size_t i)
{
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(&h[parent], &h[i]))
            return;
        struct cdp_rec t = h[i];
        h[i] = h[parent];
        h[parent] = t;
        i = parent;
    }
}

static int cmp_rec(const void *a, const void *b)
{
    return before(a, b) ? -1 : before(b, a) ? 1 : 0;
}

static void from_pairs(struct cdp_scorer *s)
{
    const struct cdp_recommender *r = s->r;
    for (size_t k = 0; k < s->nanchors; k++) {
        uint32_t i = s->anchors[k];
        double a = s->affinity[i];
        if (a <= 0)
            continue;
        size_t n;
        const struct cdp_pair *nb = cdp_pairs_of(r->pairs, i, &n);
        for (size_t t = 0; t < n; t++) {
            uint32_t j = nb[t].item;
            double v = a * nb[t].similarity;
            if (s->cand_stamp[j] != s->stamp) {
                s->cand_stamp[j] = s->stamp;
                s->score[j] = 0;
                s->best[j] = -1;
                s->cands[s->ncands++] = j;
            }
            s->score[j] += v;
            if (v > s->best[j] || (v == s->best[j] && i < s->because[j])) {
                s->best[j] = v;
                s->because[j] = i;
            }
        }
    }
    /* The candidates that may be offered; then SAR's score over the best
     * one's, blended with popularity (popular.h). */
    size_t kept = 0;
    double top_score = 0;
    for (size_t k = 0; k < s->ncands; k++) {
        uint32_t j = s->cands[k];
        if (s->score[j] <= 0 || excluded(s, j, false))
            continue;
        s->cands[kept++] = j;
        if (s->score[j] > top_score)
            top_score = s->score[j];
    }
    double w = r->opt.popular_weight;
    if (w > 0)
        for (size_t k = 0; k < kept; k++) {
            uint32_t j = s->cands[k];
            s->score[j] = (1 - w) * s->score[j] / top_score + w * cdp_popularity_of(r->popularity, j);
        }
    size_t top = r->opt.top, n = 0;
    struct cdp_rec *heap = s->recs;
    for (size_t k = 0; k < kept; k++) {
        uint32_t j = s->cands[k];
        uint32_t anchor = s->because[j];
        struct cdp_rec rec = { j, anchor, s->score[j],
                               s->flags[anchor] & (BOUGHT | CARTED) ? CDP_REASON_BOUGHT_TOGETHER
                                                                    : CDP_REASON_VIEWED };
        if (n < top) {
            heap[n++] = rec;
            sift_up(heap, n - 1);
        } else if (top && before(&rec, &heap[0])) {
            heap[0] = rec;
            sift_down(heap, n, 0);
        }
    }
    qsort(heap, n, sizeof *heap, cmp_rec);
    s->nrecs = n;
    for (size_t k = 0; k < n; k++)
        s->chosen_stamp[heap[k].item] = s->stamp;
}

/* Fills the list from items in popularity order. */
static void from_popular(struct cdp_scorer *s, const uint32_t *items, size_t n, enum cdp_reason reason)
{
    const struct cdp_recommender *r = s->r;
    for (size_t k = 0; k < n && s->nrecs < r->opt.top; k++) {
        uint32_t j = items[k];
        if (s->chosen_stamp[j] == s->stamp || excluded(s, j, false))
            continue;
        s->chosen_stamp[j] = s->stamp;
        s->recs[s->nrecs++] =
            (struct cdp_rec){ j, CDP_NONE, cdp_popularity_of(r->popularity, j), (uint8_t)reason };
    }
}

/* The category the person is furnishing now: the largest affinity among
 * those they may be offered, the smaller number on a tie; CDP_NONE. */
static uint32_t category_of_interest(const struct cdp_scorer *s)
{
    uint32_t best = CDP_NONE;
    for (size_t k = 0; k < s->ncats; k++) {
        uint32_t c = s->cats[k];
        if (s->cat_excluded[c] || s->cat_affinity[c] <= 0)
            continue;
        if (best == CDP_NONE || s->cat_affinity[c] > s->cat_affinity[best] ||
            (s->cat_affinity[c] == s->cat_affinity[best] && c < best))
            best = c;
    }
    return best;
}

static void recently_viewed(struct cdp_scorer *s, const struct cdp_event *ev, size_t n)
{
    size_t max = s->r->opt.viewed, k = 0;
    for (size_t i = n; i-- > 0 && k < max;) {
        const struct cdp_event *e = &ev[i];
        uint32_t j = e->item;
        if (e->kind != CDP_EVENT_VIEW || e->ts == CDP_UNDATED || s->listed_stamp[j] == s->stamp)
            continue;
        s->listed_stamp[j] = s->stamp;
        bool bought_since = (s->flags[j] & BOUGHT) && s->bought_at[j] != CDP_UNDATED &&
                            s->bought_at[j] > e->ts;
        if (bought_since || excluded(s, j, true))
            continue;
        s->viewed[k++] = (struct cdp_viewed){ j, e->ts };
    }
    s->out.viewed = s->viewed;
    s->out.nviewed = k;
}

const struct cdp_recs *cdp_scorer_run(struct cdp_scorer *s, uint32_t person, unsigned sources)
{
    const struct cdp_recommender *r = s->r;
    if (!sources)
        sources = r->opt.sources;
    if (++s->stamp == 0) { /* wrapped: every stamp array starts again */
        size_t n = r->nitems + 1, nc = r->ncats + 1;
        memset(s->item_stamp, 0, n * sizeof *s->item_stamp);
        memset(s->cand_stamp, 0, n * sizeof *s->cand_stamp);
        memset(s->chosen_stamp, 0, n * sizeof *s->chosen_stamp);
        memset(s->listed_stamp, 0, n * sizeof *s->listed_stamp);
        memset(s->cat_stamp, 0, nc * sizeof *s->cat_stamp);
        s->stamp = 1;
    }
    s->nanchors = s->ncands = s->ncats = s->nrecs = 0;
    size_t n;
    const struct cdp_event *ev = cdp_activity_events(r->h, person, &n);
    learn(s, ev, n);
    if ((sources & CDP_SOURCE_PAIRS) && r->pairs)
        from_pairs(s);
    const uint32_t *items;
    size_t nitems;
    if (sources & CDP_SOURCE_CATEGORY) {
        uint32_t c = category_of_interest(s);
        if (c != CDP_NONE) {
            items = cdp_popularity_in_category(r->popularity, c, &nitems);
            from_popular(s, items, nitems, CDP_REASON_CATEGORY);
        }
    }
    if (sources & CDP_SOURCE_POPULAR) {
        items = cdp_popularity_ranked(r->popularity, &nitems);
        from_popular(s, items, nitems, CDP_REASON_POPULAR);
    }
    s->out.person = person;
    s->out.recs = s->recs;
    s->out.nrecs = s->nrecs;
    recently_viewed(s, ev, n);
    return &s->out;
}
