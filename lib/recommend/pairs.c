#include "recommend/pairs.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/pipeline.h"

struct cdp_pairs {
    struct cdp_pairs_options opt;
    size_t nitems;
    uint64_t nbaskets, too_large;
    /* the inverted index: item a is in baskets[bfirst[a] .. bfirst[a + 1]) */
    size_t *bfirst;
    uint32_t *bitems; /* basket -> its items, as given */
    size_t *basket_first;
    uint32_t *baskets_of;
    uint32_t *n; /* n(a) */
    /* what is kept: a's neighbours are pairs[first[a] .. first[a + 1]) */
    size_t *first;
    struct cdp_pair *pairs;
    size_t npairs, cap;
};

bool cdp_similarity_parse(const char *s, enum cdp_similarity *sim)
{
    static const char *const names[] = { "jaccard", "lift", "count", "confidence" };
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            *sim = (enum cdp_similarity)i;
            return true;
        }
    return false;
}

void cdp_pairs_defaults(struct cdp_pairs_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->similarity = CDP_SIM_JACCARD;
    opt->min_count = 1;
    opt->keep = 1000;
    opt->max_basket = 1000;
}

static double similarity(const struct cdp_pairs *p, uint32_t a, uint32_t b, uint32_t c)
{
    switch (p->opt.similarity) {
    case CDP_SIM_JACCARD:
        return (double)c / ((double)p->n[a] + p->n[b] - c);
    case CDP_SIM_LIFT:
        return ((double)c / p->n[a]) / ((double)p->n[b] / (double)p->nbaskets);
    case CDP_SIM_CONFIDENCE:
        return (double)c / p->n[a];
    case CDP_SIM_COUNT:
        break;
    }
    return c;
}

/* ---- counting, item by item, on every CPU -------------------------------- */


struct worker {
    const struct cdp_pairs *p;
    uint32_t *counts;  /* per item, zero between items */
    uint32_t *touched; /* items whose count is not zero */
    struct cdp_pair *cand;
};

struct batch {
    uint32_t lo, hi; /* the items [lo, hi) */
    size_t *n;       /* neighbours kept per item */
    struct cdp_pair *pairs;
    size_t npairs, cap;
};

static int cmp_candidate(const void *x, const void *y)
{
    const struct cdp_pair *a = x, *b = y;
    if (a->similarity != b->similarity)
        return a->similarity > b->similarity ? -1 : 1;
    return (a->item > b->item) - (a->item < b->item);
}

static void count_item(struct worker *w, struct batch *bt, uint32_t a)
{
    const struct cdp_pairs *p = w->p;
    size_t ntouched = 0;
    for (size_t i = p->bfirst[a]; i < p->bfirst[a + 1]; i++) {
        uint32_t b = p->baskets_of[i];
        for (size_t j = p->basket_first[b]; j < p->basket_first[b + 1]; j++) {
            uint32_t x = p->bitems[j];
            if (x != a && w->counts[x]++ == 0)
                w->touched[ntouched++] = x;
        }
    }
    /* The thresholds as counts: support c / N >= s, confidence c / n(a) >= c. */
    double min_c = p->opt.min_count ? p->opt.min_count : 1;
    size_t ncand = 0;
    for (size_t t = 0; t < ntouched; t++) {
        uint32_t x = w->touched[t], c = w->counts[x];
        w->counts[x] = 0;
        if (c < min_c || (double)c / p->nbaskets < p->opt.min_support ||
            (double)c / p->n[a] < p->opt.min_confidence)
            continue;
        w->cand[ncand++] = (struct cdp_pair){ x, c, similarity(p, a, x, c) };
    }
    qsort(w->cand, ncand, sizeof *w->cand, cmp_candidate);
    if (p->opt.keep && ncand > p->opt.keep)
        ncand = p->opt.keep;
    if (bt->npairs + ncand > bt->cap) {
        bt->cap = 2 * (bt->npairs + ncand) + 1024;
        bt->pairs = cdp_xrealloc(bt->pairs, bt->cap * sizeof *bt->pairs);
    }
    if (ncand)
        memcpy(bt->pairs + bt->npairs, w->cand, ncand * sizeof *w->cand);
    bt->npairs += ncand;
    bt->n[a - bt->lo] = ncand;
}

static void work(void *worker, void *batch)
{
    struct batch *bt = batch;
    for (uint32_t a = bt->lo; a < bt->hi; a++)
        count_item(worker, bt, a);
}

static void consume(void *owner, void *batch)
{
    struct cdp_pairs *p = owner;
    struct batch *bt = batch;
    if (p->npairs + bt->npairs > p->cap) {
        p->cap = 2 * (p->npairs + bt->npairs) + 4096;
        p->pairs = cdp_xrealloc(p->pairs, p->cap * sizeof *p->pairs);
    }
    if (bt->npairs)
        memcpy(p->pairs + p->npairs, bt->pairs, bt->npairs * sizeof *bt->pairs);
    p->npairs += bt->npairs;
    for (uint32_t a = bt->lo; a < bt->hi; a++)
        p->first[a + 1] = p->first[a] + bt->n[a - bt->lo];
    bt->npairs = 0;
}

static void *batch_new(void *owner)
{
    (void)owner;
    return cdp_xcalloc(1, sizeof(struct batch));
}

static void batch_free(void *owner, void *batch)
{
    (void)owner;
    struct batch *bt = batch;
    free(bt->n);
    free(bt->pairs);
    free(bt);
}

static const struct cdp_pipeline_ops ops = { batch_new, batch_free, work, consume, 0 };

/* Work (counter increments) per batch: small enough to spread over the
 * threads and keep memory low, large enough to make handing over cheap.
 * Batches are cut by work alone, so the output never depends on threads. */
#define BATCH_WORK ((uint64_t)1 << 22)
#define BATCH_ITEMS 4096

static void build_index(struct cdp_pairs *p, const struct cdp_baskets *bk)
{
    size_t nitems = p->nitems;
    p->basket_first = cdp_xmalloc((bk->n + 1) * sizeof *p->basket_first);
    p->bitems = cdp_xmalloc((bk->first[bk->n] + 1) * sizeof *p->bitems);
    size_t nb = 0, out = 0;
    for (size_t b = 0; b < bk->n; b++) {
        size_t size = bk->first[b + 1] - bk->first[b];
        if (size == 0)
            continue;
        if (p->opt.max_basket && size > p->opt.max_basket) {
            p->too_large++;
            continue;
        }
        p->basket_first[nb++] = out;
        memcpy(p->bitems + out, bk->items + bk->first[b], size * sizeof *p->bitems);
        out += size;
    }
    p->basket_first[nb] = out;
    p->nbaskets = nb;
    p->n = cdp_xcalloc(nitems + 1, sizeof *p->n);
    for (size_t i = 0; i < out; i++)
        p->n[p->bitems[i]]++;
    p->bfirst = cdp_xcalloc(nitems + 1, sizeof *p->bfirst);
    for (size_t a = 0; a < nitems; a++)
        p->bfirst[a + 1] = p->bfirst[a] + p->n[a];
    p->baskets_of = cdp_xmalloc((out + 1) * sizeof *p->baskets_of);
    size_t *at = cdp_xmalloc((nitems + 1) * sizeof *at);
    memcpy(at, p->bfirst, (nitems + 1) * sizeof *at);
    for (size_t b = 0; b < nb; b++)
        for (size_t j = p->basket_first[b]; j < p->basket_first[b + 1]; j++)
            p->baskets_of[at[p->bitems[j]]++] = (uint32_t)b;
    free(at);
}

struct cdp_pairs *cdp_pairs_count(const struct cdp_baskets *baskets, size_t nitems,
                                  const struct cdp_pairs_options *opt, size_t nworkers,
                                  struct cdp_error *err)
{
    struct cdp_pairs *p = cdp_xcalloc(1, sizeof *p);
    p->opt = *opt;
    p->nitems = nitems;
    build_index(p, baskets);
    p->first = cdp_xcalloc(nitems + 1, sizeof *p->first);
    p->cap = 4096;
    p->pairs = cdp_xmalloc(p->cap * sizeof *p->pairs);
    size_t nctx = nworkers ? nworkers : 1;
    struct worker *workers = cdp_xcalloc(nctx, sizeof *workers);
    void **ctx = cdp_xcalloc(nctx, sizeof *ctx);
    for (size_t i = 0; i < nctx; i++) {
        workers[i].p = p;
        workers[i].counts = cdp_xcalloc(nitems + 1, sizeof *workers[i].counts);
        workers[i].touched = cdp_xmalloc((nitems + 1) * sizeof *workers[i].touched);
        workers[i].cand = cdp_xmalloc((nitems + 1) * sizeof *workers[i].cand);
        ctx[i] = &workers[i];
    }
    struct cdp_pipeline *pl = cdp_pipeline_new(&ops, p, nworkers, ctx, err);
    if (pl) {
        uint32_t a = 0;
        while (a < nitems) {
            struct batch *bt = cdp_pipeline_batch(pl);
            if (!bt->n)
                bt->n = cdp_xmalloc(BATCH_ITEMS * sizeof *bt->n);
            bt->lo = a;
            uint64_t w = 0;
            while (a < nitems && a - bt->lo < BATCH_ITEMS && w < BATCH_WORK) {
                for (size_t i = p->bfirst[a]; i < p->bfirst[a + 1]; i++) {
                    uint32_t b = p->baskets_of[i];
                    w += p->basket_first[b + 1] - p->basket_first[b];
                }
                a++;
            }
            bt->hi = a;
            cdp_pipeline_submit(pl, bt);
        }
        cdp_pipeline_drain(pl);
        cdp_pipeline_free(pl);
    }
    for (size_t i = 0; i < nctx; i++) {
        free(workers[i].counts);
        free(workers[i].touched);
        free(workers[i].cand);
    }
    free(workers);
    free(ctx);
    if (!pl) {
        cdp_pairs_free(p);
        return NULL;
    }
    /* The index was for counting only. */
    free(p->baskets_of);
    free(p->bfirst);
    free(p->basket_first);
    free(p->bitems);
    p->baskets_of = p->bitems = NULL;
    p->bfirst = p->basket_first = NULL;
    return p;
}

void cdp_pairs_free(struct cdp_pairs *p)
{
    if (!p)
        return;
    free(p->baskets_of);
    free(p->bfirst);
    free(p->basket_first);
    free(p->bitems);
    free(p->n);
    free(p->first);
    free(p->pairs);
    free(p);
}

uint64_t cdp_pairs_baskets(const struct cdp_pairs *p)
{
    return p->nbaskets;
}

uint32_t cdp_pairs_item_baskets(const struct cdp_pairs *p, uint32_t item)
{
    return p->n[item];
}

uint64_t cdp_pairs_kept(const struct cdp_pairs *p)
{
    return p->npairs;
}

uint64_t cdp_pairs_too_large(const struct cdp_pairs *p)
{
    return p->too_large;
}

const struct cdp_pair *cdp_pairs_of(const struct cdp_pairs *p, uint32_t a, size_t *n)
{
    *n = p->first[a + 1] - p->first[a];
    return p->pairs + p->first[a];
}

void cdp_pairs_stats(const struct cdp_pairs *p, uint32_t a, const struct cdp_pair *b,
                     struct cdp_pair_stats *out)
{
    double n = (double)p->nbaskets, c = b->count;
    out->support = c / n;
    out->confidence = c / p->n[a];
    out->lift = out->confidence / (p->n[b->item] / n);
    out->jaccard = c / ((double)p->n[a] + p->n[b->item] - c);
}
