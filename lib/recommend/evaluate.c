#include "recommend/evaluate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/pipeline.h"
#include "norm/event.h"

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

void cdp_metrics_of(const uint32_t *recs, size_t n, const uint32_t *truth, size_t ntruth, size_t k,
                    struct cdp_metrics *out)
{
    memset(out, 0, sizeof *out);
    if (!ntruth || !k)
        return;
    size_t hits = 0;
    double dcg = 0, idcg = 0;
    for (size_t i = 0; i < n && i < k; i++)
        if (bsearch(&recs[i], truth, ntruth, sizeof *truth, cmp_u32)) {
            hits++;
            dcg += 1 / log2((double)i + 2);
        }
    for (size_t i = 0; i < ntruth && i < k; i++)
        idcg += 1 / log2((double)i + 2);
    out->precision = (double)hits / (double)k;
    out->recall = (double)hits / (double)ntruth;
    out->hit_rate = hits > 0;
    out->ndcg = dcg / idcg;
}

/* People scored per batch: fixed, so that sums never depend on threads. */
#define BATCH_PEOPLE 256

struct worker {
    const struct cdp_recommender *r;
    struct cdp_scorer *scorer;
    uint32_t *bought; /* per item: the person (+1) who bought it before the cut */
    uint32_t *truth, *recs;
    size_t k;
};

struct batch {
    struct cdp_range range; /* people */
    uint64_t people, evaluated, truth;
    struct cdp_metrics sum[2];
};

static void add(struct cdp_metrics *sum, const struct cdp_metrics *m)
{
    sum->precision += m->precision;
    sum->recall += m->recall;
    sum->hit_rate += m->hit_rate;
    sum->ndcg += m->ndcg;
}

static void score_person(struct worker *w, struct batch *b, uint32_t p)
{
    const struct cdp_activity *h = cdp_recommender_activity(w->r);
    size_t n, nf, nt = 0;
    const struct cdp_event *ev = cdp_activity_events(h, p, &n);
    bool buyer = false;
    for (size_t i = 0; i < n; i++)
        if (ev[i].kind == CDP_EVENT_PURCHASE) {
            w->bought[ev[i].item] = p + 1;
            buyer = true;
        }
    if (!buyer)
        return;
    b->people++;
    const uint32_t *future = cdp_activity_future(h, p, &nf);
    for (size_t i = 0; i < nf; i++)
        if (w->bought[future[i]] != p + 1 && cdp_activity_buyers(h, future[i]) > 0)
            w->truth[nt++] = future[i];
    if (!nt)
        return;
    b->evaluated++;
    b->truth += nt;
    static const unsigned sources[2] = { 0, CDP_SOURCE_POPULAR };
    for (int s = 0; s < 2; s++) {
        const struct cdp_recs *rs = cdp_scorer_run(w->scorer, p, sources[s]);
        for (size_t i = 0; i < rs->nrecs; i++)
            w->recs[i] = rs->recs[i].item;
        struct cdp_metrics m;
        cdp_metrics_of(w->recs, rs->nrecs, w->truth, nt, w->k, &m);
        add(&b->sum[s], &m);
    }
}

static void work(void *worker, void *batch)
{
    struct batch *b = batch;
    for (uint32_t p = b->range.lo; p < b->range.hi; p++)
        score_person(worker, b, p);
}

static void consume(void *owner, void *batch)
{
    struct cdp_evaluation *e = owner;
    struct batch *b = batch;
    e->people += b->people;
    e->evaluated += b->evaluated;
    e->truth += b->truth;
    add(&e->recommender, &b->sum[0]);
    add(&e->popular, &b->sum[1]);
    memset(b, 0, sizeof *b);
}

static void *batch_new(void *owner)
{
    (void)owner;
    return cdp_xcalloc(1, sizeof(struct batch));
}

static void batch_free(void *owner, void *batch)
{
    (void)owner;
    free(batch);
}

static const struct cdp_pipeline_ops ops = { batch_new, batch_free, work, consume, 0 };

static void mean(struct cdp_metrics *m, uint64_t n)
{
    if (!n)
        return;
    m->precision /= (double)n;
    m->recall /= (double)n;
    m->hit_rate /= (double)n;
    m->ndcg /= (double)n;
}

int cdp_evaluate(const struct cdp_recommender *r, size_t k, size_t nworkers,
                 struct cdp_evaluation *out, struct cdp_error *err)
{
    const struct cdp_activity *h = cdp_recommender_activity(r);
    size_t nitems = cdp_activity_items(h), npeople = cdp_activity_people(h);
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < nitems; i++)
        out->items += cdp_activity_buyers(h, (uint32_t)i) > 0;
    size_t nctx = nworkers ? nworkers : 1;
    struct worker *workers = cdp_xcalloc(nctx, sizeof *workers);
    void **ctx = cdp_xcalloc(nctx, sizeof *ctx);
    for (size_t i = 0; i < nctx; i++) {
        workers[i].r = r;
        workers[i].k = k;
        workers[i].scorer = cdp_scorer_new(r);
        workers[i].bought = cdp_xcalloc(nitems + 1, sizeof *workers[i].bought);
        workers[i].truth = cdp_xmalloc((nitems + 1) * sizeof *workers[i].truth);
        workers[i].recs = cdp_xmalloc((nitems + 1) * sizeof *workers[i].recs);
        ctx[i] = &workers[i];
    }
    struct cdp_pipeline *pl = cdp_pipeline_new(&ops, out, nworkers, ctx, err);
    if (pl) {
        cdp_pipeline_submit_range(pl, npeople, BATCH_PEOPLE, NULL);
        cdp_pipeline_drain(pl);
        cdp_pipeline_free(pl);
        mean(&out->recommender, out->evaluated);
        mean(&out->popular, out->evaluated);
    }
    for (size_t i = 0; i < nctx; i++) {
        cdp_scorer_free(workers[i].scorer);
        free(workers[i].bought);
        free(workers[i].truth);
        free(workers[i].recs);
    }
    free(workers);
    free(ctx);
    return pl ? 0 : -1;
}
