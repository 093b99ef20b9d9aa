/* test_pmap: batches come back in the order they were submitted, whichever
 * worker finished first; workers asked to be nicer run at the calling
 * thread's nice plus that much (at most 19), the calling thread unchanged. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../check.h"
#include "base/pmap.h"

struct batch {
    int n;    /* submitted as */
    int nice; /* the worker's, as it ran */
    int done; /* n * n */
};

static int own_nice(void)
{
    errno = 0;
    int nice = getpriority(PRIO_PROCESS, (id_t)gettid());
    return errno ? -100 : nice;
}

static void work(void *ctx, void *arg)
{
    struct batch *b = arg;
    (void)ctx;
    if (b->n % 3 == 0)
        usleep(2000); /* finished out of order */
    b->nice = own_nice();
    b->done = b->n * b->n;
}

/* 24 batches through p, 4 in flight: each comes back in order, done at the
 * nice want. */
static void run(struct cdp_pmap *p, int want_nice)
{
    struct batch b[24];
    int taken = 0;
    for (int i = 0; i < 24; i++) {
        b[i] = (struct batch){ i, -100, -1 };
        cdp_pmap_submit(p, &b[i]);
        while (cdp_pmap_in_flight(p) >= 4) {
            struct batch *got = cdp_pmap_take(p, true);
            CHECK(got == &b[taken]);
            taken++;
        }
    }
    for (struct batch *got; (got = cdp_pmap_take(p, true)) != NULL; taken++)
        CHECK(got == &b[taken]);
    CHECK(taken == 24);
    for (int i = 0; i < 24; i++) {
        CHECK(b[i].done == i * i);
        CHECK(b[i].nice == want_nice);
    }
}

int main(void)
{
    int base = own_nice();
    CHECK(base > -100);
    void *ctx[2] = { NULL, NULL };
    struct cdp_pmap *p = cdp_pmap_new(2, ctx, work, 0);
    run(p, base);
    cdp_pmap_free(p);
    p = cdp_pmap_new(2, ctx, work, 7);
    run(p, base + 7 > 19 ? 19 : base + 7);
    cdp_pmap_free(p);
    p = cdp_pmap_new(2, ctx, work, 30); /* beyond the range: 19 */
    run(p, 19);
    cdp_pmap_free(p);
    p = cdp_pmap_new(0, ctx, work, 7); /* no workers: the calling thread's own */
    run(p, base);
    cdp_pmap_free(p);
    CHECK(own_nice() == base);
    return check_report("test_pmap");
}
