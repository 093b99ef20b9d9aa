#include "base/pmap.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/buf.h"

struct job {
    void *batch;
    bool done;
};

struct cdp_pmap {
    size_t nworkers;
    void **ctx;
    cdp_pmap_fn fn;
    pthread_t *threads;
    pthread_mutex_t lock;
    pthread_cond_t work_ready; /* a job was queued, or stopping */
    pthread_cond_t job_done;
    /* Jobs in submission order: [head, tail) in flight; [next, tail) not
     * yet picked up by a worker. A ring that grows when full. */
    struct job *jobs;
    size_t cap, head, next, tail;
    bool stopping;
};

struct worker_arg {
    struct cdp_pmap *p;
    void *ctx;
    int nicer;
};

static void *worker(void *arg)
{
    struct worker_arg *wa = arg;
    struct cdp_pmap *p = wa->p;
    void *ctx = wa->ctx;
    if (wa->nicer > 0) {
        /* A new thread has its creator's nice; a failure only costs the gain. */
        pid_t self = gettid();
        errno = 0;
        int now = getpriority(PRIO_PROCESS, (id_t)self);
        if (errno == 0)
            (void)setpriority(PRIO_PROCESS, (id_t)self, now + wa->nicer > 19 ? 19 : now + wa->nicer);
    }
    free(wa);
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (p->next == p->tail && !p->stopping)
            pthread_cond_wait(&p->work_ready, &p->lock);
        if (p->next == p->tail)
            break;
        size_t slot = p->next++ % p->cap;
        void *batch = p->jobs[slot].batch;
        pthread_mutex_unlock(&p->lock);
        p->fn(ctx, batch);
        pthread_mutex_lock(&p->lock);
        /* The ring may have grown meanwhile: find the job by its batch. */
        for (size_t i = p->head; i < p->tail; i++)
            if (p->jobs[i % p->cap].batch == batch && !p->jobs[i % p->cap].done) {
                p->jobs[i % p->cap].done = true;
                break;
            }
        pthread_cond_broadcast(&p->job_done);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

struct cdp_pmap *cdp_pmap_new(size_t nworkers, void **ctx, cdp_pmap_fn fn, int nicer)
{
    struct cdp_pmap *p = cdp_xcalloc(1, sizeof *p);
    p->nworkers = nworkers;
    p->ctx = ctx;
    p->fn = fn;
    p->cap = 16;
    p->jobs = cdp_xcalloc(p->cap, sizeof *p->jobs);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->work_ready, NULL);
    pthread_cond_init(&p->job_done, NULL);
    p->threads = cdp_xcalloc(nworkers + 1, sizeof *p->threads);
    for (size_t i = 0; i < nworkers; i++) {
        struct worker_arg *wa = cdp_xmalloc(sizeof *wa);
        wa->p = p;
        wa->ctx = ctx[i];
        wa->nicer = nicer;
        if (pthread_create(&p->threads[i], NULL, worker, wa) != 0) {
            free(wa);
            p->nworkers = i;
            cdp_pmap_free(p);
            return NULL;
        }
    }
    return p;
}

static void grow(struct cdp_pmap *p)
{
    /* Called with the lock held (or with no workers). Indexes are absolute,
     * so re-seat every live job at its index modulo the new size. */
    size_t cap = p->cap * 2;
    struct job *jobs = cdp_xcalloc(cap, sizeof *jobs);
    for (size_t i = p->head; i < p->tail; i++)
        jobs[i % cap] = p->jobs[i % p->cap];
    free(p->jobs);
    p->jobs = jobs;
    p->cap = cap;
}

void cdp_pmap_submit(struct cdp_pmap *p, void *batch)
{
    if (p->nworkers == 0) {
        p->fn(p->ctx[0], batch);
        if (p->tail - p->head == p->cap)
            grow(p);
        p->jobs[p->tail % p->cap] = (struct job){ batch, true };
        p->tail++;
        p->next = p->tail;
        return;
    }
    pthread_mutex_lock(&p->lock);
    if (p->tail - p->head == p->cap)
        grow(p);
    p->jobs[p->tail % p->cap] = (struct job){ batch, false };
    p->tail++;
    pthread_cond_signal(&p->work_ready);
    pthread_mutex_unlock(&p->lock);
}

void *cdp_pmap_take(struct cdp_pmap *p, bool wait)
{
    if (p->nworkers == 0) {
        if (p->head == p->tail)
            return NULL;
        return p->jobs[p->head++ % p->cap].batch;
    }
    pthread_mutex_lock(&p->lock);
    void *batch = NULL;
    while (p->head < p->tail) {
        struct job *j = &p->jobs[p->head % p->cap];
        if (j->done) {
            batch = j->batch;
            p->head++;
            break;
        }
        if (!wait)
            break;
        pthread_cond_wait(&p->job_done, &p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return batch;
}

size_t cdp_pmap_in_flight(const struct cdp_pmap *p)
{
    return p->tail - p->head;
}

void cdp_pmap_free(struct cdp_pmap *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->work_ready);
    pthread_mutex_unlock(&p->lock);
    for (size_t i = 0; i < p->nworkers; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->work_ready);
    pthread_cond_destroy(&p->job_done);
    free(p->threads);
    free(p->jobs);
    free(p);
}

size_t cdp_cpu_count(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0)
            return (size_t)n;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (size_t)n : 1;
}
