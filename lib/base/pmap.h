/* pmap.h: an ordered parallel map over batches, for the second core.
 *
 * The calling thread fills batches and submits them; worker threads run a
 * function on each; the caller takes finished batches back in the order it
 * submitted them. Output order, messages and counts therefore do not depend
 * on thread timing: a run with 4 threads writes the same bytes as a run with
 * one. With no worker threads the function runs inside cdp_pmap_submit.
 *
 * The caller owns the batches: it decides how many are in flight (enough to
 * keep the workers busy, e.g. twice their number) and reuses those it takes
 * back. */
#ifndef CDP_BASE_PMAP_H
#define CDP_BASE_PMAP_H

#include <stdbool.h>
#include <stddef.h>

/* Runs in a worker: ctx is that worker's own context (e.g. its own phone
 * normaliser), batch the submitted batch. */
typedef void (*cdp_pmap_fn)(void *ctx, void *batch);

struct cdp_pmap;

/* nworkers 0 runs everything in the calling thread, with ctx[0]; otherwise
 * ctx holds one context per worker. nicer > 0: the workers run that much
 * nicer than the calling thread (nice is per thread on Linux; at most 19),
 * so that on busy CPUs the caller, when it is the slow stage, is not kept
 * waiting behind the workers it feeds. Returns NULL if threads cannot
 * start. */
struct cdp_pmap *cdp_pmap_new(size_t nworkers, void **ctx, cdp_pmap_fn fn, int nicer);

/* Hands a filled batch to the workers. */
void cdp_pmap_submit(struct cdp_pmap *p, void *batch);

/* The oldest submitted batch not yet taken back, once it is finished; NULL
 * when none is in flight. With wait false, also NULL if it is not finished. */
void *cdp_pmap_take(struct cdp_pmap *p, bool wait);

/* How many submitted batches have not been taken back. */
size_t cdp_pmap_in_flight(const struct cdp_pmap *p);

/* Stops the workers (after the batches in flight are done) and frees p. */
void cdp_pmap_free(struct cdp_pmap *p);

/* The number of CPUs this process may use. */
size_t cdp_cpu_count(void);

#endif
