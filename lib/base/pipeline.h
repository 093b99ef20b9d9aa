/* pipeline.h: batches filled in order by one thread, worked on by every
 * CPU, and consumed in the order they were filled.
 *
 * The shape of every program that processes records in bulk: the calling
 * thread reads and fills a batch, submits it, and asks for the next one;
 * worker threads run `work` on submitted batches; the calling thread runs
 * `consume` on finished ones, oldest first, and the batch is then reused.
 * Since consumption follows submission order, output, messages and counts
 * never depend on thread timing (pmap.h's promise: a run with 4 threads
 * writes the same bytes as a run with none).
 *
 * The pipeline owns a pool of 2 * workers + 2 batches, made with
 * batch_new and freed with batch_free; consume must leave a batch ready
 * to be filled again. With no workers, work runs inside submit. */
#ifndef CDP_BASE_PIPELINE_H
#define CDP_BASE_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct cdp_pipeline_ops {
    void *(*batch_new)(void *owner);
    void (*batch_free)(void *owner, void *batch);
    void (*work)(void *worker, void *batch);   /* on a worker thread */
    void (*consume)(void *owner, void *batch); /* on the calling thread */
    /* > 0 where consume is the slow stage: the workers run this much nicer
     * than the calling thread (see cdp_pmap_new); 0 for most pipelines. */
    int worker_nicer;
};

struct cdp_pipeline;

/* workers: one context per worker thread (nworkers of them), or, with
 * nworkers 0, one context used by the calling thread; the caller keeps
 * them. Returns NULL with err set when the threads cannot start. */
struct cdp_pipeline *cdp_pipeline_new(const struct cdp_pipeline_ops *ops, void *owner,
                                      size_t nworkers, void **workers, struct cdp_error *err);

/* An empty batch to fill: a spare one, else the oldest in flight once it
 * is finished and consumed. */
void *cdp_pipeline_batch(struct cdp_pipeline *pl);

/* Hands a filled batch to the workers. */
void cdp_pipeline_submit(struct cdp_pipeline *pl, void *batch);

/* The numbers [lo, hi) (people, items) one batch covers, where the work is
 * a range cut into batches: such batches begin with one. */
struct cdp_range {
    uint32_t lo, hi;
};

/* Submits [0, n) cut into batches of step numbers, in order; with stop,
 * no further batch once *stop is true (consume may set it, on this
 * thread). Every batch of pl must begin with a struct cdp_range. */
void cdp_pipeline_submit_range(struct cdp_pipeline *pl, size_t n, size_t step, const bool *stop);

/* Gives back a batch from cdp_pipeline_batch that was not submitted. */
void cdp_pipeline_unused(struct cdp_pipeline *pl, void *batch);

/* Waits for every batch in flight and consumes them, in order. */
void cdp_pipeline_drain(struct cdp_pipeline *pl);

/* Stops the workers (after the batches in flight are done, unconsumed)
 * and frees the batches and pl. Accepts NULL. */
void cdp_pipeline_free(struct cdp_pipeline *pl);

#endif
