#include "base/pipeline.h"

#include <stdlib.h>

#include "base/buf.h"
#include "base/pmap.h"

struct cdp_pipeline {
    const struct cdp_pipeline_ops *ops;
    void *owner;
    struct cdp_pmap *pmap;
    void **batches; /* all of them, for freeing */
    size_t nbatches;
    void **spare;   /* those not in flight */
    size_t nspare;
};

struct cdp_pipeline *cdp_pipeline_new(const struct cdp_pipeline_ops *ops, void *owner,
                                      size_t nworkers, void **workers, struct cdp_error *err)
{
    struct cdp_pipeline *pl = cdp_xcalloc(1, sizeof *pl);
    pl->ops = ops;
    pl->owner = owner;
    pl->pmap = cdp_pmap_new(nworkers, workers, ops->work, ops->worker_nicer);
    if (!pl->pmap) {
        free(pl);
        cdp_errorf(err, "cannot start %zu worker threads (try --threads 0)", nworkers);
        return NULL;
    }
    pl->nbatches = 2 * nworkers + 2;
    pl->batches = cdp_xcalloc(pl->nbatches, sizeof *pl->batches);
    pl->spare = cdp_xcalloc(pl->nbatches, sizeof *pl->spare);
    for (size_t i = 0; i < pl->nbatches; i++)
        pl->spare[pl->nspare++] = pl->batches[i] = ops->batch_new(owner);
    return pl;
}

void *cdp_pipeline_batch(struct cdp_pipeline *pl)
{
    void *b;
    while ((b = cdp_pmap_take(pl->pmap, false)) != NULL) {
        pl->ops->consume(pl->owner, b);
        pl->spare[pl->nspare++] = b;
    }
    if (pl->nspare)
        return pl->spare[--pl->nspare];
    b = cdp_pmap_take(pl->pmap, true);
    pl->ops->consume(pl->owner, b);
    return b;
}

void cdp_pipeline_submit(struct cdp_pipeline *pl, void *batch)
{
    cdp_pmap_submit(pl->pmap, batch);
}

void cdp_pipeline_submit_range(struct cdp_pipeline *pl, size_t n, size_t step, const bool *stop)
{
    for (size_t lo = 0; lo < n && !(stop && *stop); lo += step) {
        struct cdp_range *r = cdp_pipeline_batch(pl);
        r->lo = (uint32_t)lo;
        r->hi = (uint32_t)(lo + step < n ? lo + step : n);
        cdp_pipeline_submit(pl, r);
    }
}

void cdp_pipeline_unused(struct cdp_pipeline *pl, void *batch)
{
    pl->spare[pl->nspare++] = batch;
}

void cdp_pipeline_drain(struct cdp_pipeline *pl)
{
    void *b;
    while ((b = cdp_pmap_take(pl->pmap, true)) != NULL) {
        pl->ops->consume(pl->owner, b);
        pl->spare[pl->nspare++] = b;
    }
}

void cdp_pipeline_free(struct cdp_pipeline *pl)
{
    if (!pl)
        return;
    cdp_pmap_free(pl->pmap);
    for (size_t i = 0; i < pl->nbatches; i++)
        pl->ops->batch_free(pl->owner, pl->batches[i]);
    free(pl->batches);
    free(pl->spare);
    free(pl);
}
