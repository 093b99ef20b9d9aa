#include "base/guard.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Temporary files a run has at once: the outputs of one program (cdp-segment
 * --split writes one per segment, each staged then renamed). A file past
 * this is not registered and may be left by a signal: 256 paths of PATH_MAX
 * are 1 MB of address space, touched only as far as used. */
#define TMP_SLOTS 256

enum { SLOT_FREE, SLOT_BUSY, SLOT_HELD, SLOT_REMOVING };

struct tmp_slot {
    atomic_int state;
    char path[PATH_MAX];
};

struct cdp_guard_clock {
    atomic_ulong seq;  /* odd while an evaluation runs */
    atomic_int tid;    /* kernel id of the thread evaluating */
    atomic_int in_use; /* 0: free for cdp_guard_clock_new to take */
    char what[128];
    struct cdp_guard_clock *next; /* set before the clock is published */
    /* the watchdog's own */
    unsigned long seen_seq;
    double cpu_at_sight;
    size_t rss_at_sight;
};

struct guard {
    char program[64];
    struct tmp_slot tmp[TMP_SLOTS];
    _Atomic(struct cdp_guard_clock *) clocks;
    atomic_int watching;
    atomic_int stopping;
    /* the watchdog sleeps on wake between looks; at exit it is told to
     * quit and joined (a thread left running holds memory at exit) */
    pthread_t watchdog;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool quit;
    struct sigaction old_abort; /* SIGABRT's action before ours */
    double cpu_seconds;
    size_t memory_bytes;
    char time_option[64], memory_option[64];
};

/* The one global of the library (see guard.h): set once by
 * cdp_guard_install before any thread or handler can read it. */
static struct guard *the_guard;

/* A thread's own kernel id, cached: gettid() is a system call, and a clock
 * is started for every evaluation. Not shared state: each thread's copy
 * holds only that thread's id. */
static _Thread_local int my_tid;

static const int guarded_signals[] = { SIGTERM, SIGINT, SIGHUP };

static void pause_ms(long ms)
{
    struct timespec t = { 0, ms * 1000000L };
    while (nanosleep(&t, &t) < 0 && errno == EINTR)
        ;
}

/* Async-signal-safe: atomics, nanosleep and unlink only. A slot being filled
 * by another thread (BUSY) is waited for, at most 2 s. */
static void remove_temporaries(struct guard *g)
{
    for (int i = 0; i < TMP_SLOTS; i++) {
        struct tmp_slot *s = &g->tmp[i];
        int state = atomic_load(&s->state);
        for (int w = 0; state == SLOT_BUSY && w < 2000; w++) {
            pause_ms(1);
            state = atomic_load(&s->state);
        }
        if (state == SLOT_HELD && atomic_compare_exchange_strong(&s->state, &state, SLOT_REMOVING))
            unlink(s->path);
    }
}

static void on_signal(int sig)
{
    if (the_guard)
        remove_temporaries(the_guard);
    /* Die of the signal itself, so that the shell sees what killed us. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    raise(sig);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
}

static void on_abort(int sig);

void cdp_guard_install(const char *program)
{
    if (the_guard)
        return;
    struct guard *g = calloc(1, sizeof *g);
    if (!g)
        return; /* unguarded: the run goes on as before */
    size_t n = strlen(program);
    if (n >= sizeof g->program)
        n = sizeof g->program - 1;
    memcpy(g->program, program, n);
    the_guard = g;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof guarded_signals / sizeof *guarded_signals; i++)
        sigaddset(&sa.sa_mask, guarded_signals[i]);
    for (size_t i = 0; i < sizeof guarded_signals / sizeof *guarded_signals; i++) {
        struct sigaction old;
        /* A signal the caller ignores (nohup) stays ignored. */
        if (sigaction(guarded_signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
        sigaction(guarded_signals[i], &sa, NULL);
    }
    /* libjq 1.6 aborts when an allocation fails (its out-of-memory hook,
     * rules/jq.c, is not called on every path): an abort during a jq
     * evaluation is the rule's, and stops the run as its budget does. */
    sa.sa_handler = on_abort;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGABRT, &sa, &g->old_abort);
}

/* ---- stopping ------------------------------------------------------------ */

static void put(const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t k = write(STDERR_FILENO, s, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return;
        s += k;
        n -= (size_t)k;
    }
}

/* "PROGRAM: WHAT stopped: WHY\n" with write() alone (another thread may hold
 * stdio's or malloc's lock), the temporaries removed, exit 1. */
__attribute__((noreturn)) static void stop(struct guard *g, const char *what, const char *why1,
                                           const char *option, const char *why2)
{
    if (atomic_exchange(&g->stopping, 1))
        for (;;)
            pause(); /* the first stop ends the process */
    char line[512];
    line[0] = '\0';
    const char *parts[] = { g->program, ": ", what, " stopped: ", why1, option, why2, "\n" };
    size_t len = 0;
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
        size_t n = strlen(parts[i]);
        if (len + n >= sizeof line)
            n = sizeof line - 1 - len;
        memcpy(line + len, parts[i], n);
        len += n;
    }
    line[len] = '\0';
    put(line);
    remove_temporaries(g);
    _exit(1);
}

/* SIGABRT: a jq evaluation running on this thread ran out of memory (libjq
 * aborts then); any other abort goes on as it would have. Async-signal-safe:
 * atomics and gettid. */
static void on_abort(int sig)
{
    struct guard *g = the_guard;
    int tid = (int)gettid();
    for (struct cdp_guard_clock *c = g ? atomic_load(&g->clocks) : NULL; c; c = c->next)
        if ((atomic_load(&c->seq) & 1) && atomic_load(&c->in_use) && atomic_load(&c->tid) == tid)
            stop(g, c->what, "memory ran out on one profile", "", "");
    if (g)
        sigaction(sig, &g->old_abort, NULL);
    raise(sig);
}

void cdp_guard_out_of_memory(struct cdp_guard_clock *c)
{
    if (the_guard && c)
        stop(the_guard, c->what, "memory ran out on one profile", "", "");
}

/* ---- the watchdog -------------------------------------------------------- */

static bool thread_cpu(int tid, double *seconds)
{
    /* The kernel's clock id of one thread's CPU time (what glibc's
     * pthread_getcpuclockid makes): it works for any thread of the process
     * by its kernel id, and a thread gone gives EINVAL, not a crash. */
    clockid_t id = (clockid_t)((~(unsigned)tid << 3) | 6u);
    struct timespec t;
    if (tid <= 0 || clock_gettime(id, &t) < 0)
        return false;
    *seconds = (double)t.tv_sec + (double)t.tv_nsec / 1e9;
    return true;
}

static size_t resident_bytes(void)
{
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char buf[128];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *p = strchr(buf, ' ');
    return p ? (size_t)strtoull(p + 1, NULL, 10) * (size_t)sysconf(_SC_PAGESIZE) : 0;
}

static void check(struct guard *g, struct cdp_guard_clock *c, size_t *rss)
{
    unsigned long seq = atomic_load(&c->seq);
    if (!(seq & 1) || !atomic_load(&c->in_use))
        return;
    double cpu;
    if (!thread_cpu(atomic_load(&c->tid), &cpu))
        return;
    if (g->memory_bytes && !*rss)
        *rss = resident_bytes();
    if (atomic_load(&c->seq) != seq)
        return; /* that evaluation ended meanwhile */
    if (seq != c->seen_seq) {
        c->seen_seq = seq;
        c->cpu_at_sight = cpu;
        c->rss_at_sight = *rss;
        return;
    }
    if (g->cpu_seconds > 0 && cpu - c->cpu_at_sight > g->cpu_seconds)
        stop(g, c->what, "it ran longer on one profile than ", g->time_option, " allows");
    if (g->memory_bytes && *rss > c->rss_at_sight && *rss - c->rss_at_sight > g->memory_bytes)
        stop(g, c->what, "it took more memory on one profile than ", g->memory_option, " allows");
}

static void *watchdog(void *arg)
{
    struct guard *g = arg;
    long tick_ms = 50;
    if (g->cpu_seconds > 0 && g->cpu_seconds * 1000 / 20 < tick_ms)
        tick_ms = g->cpu_seconds * 1000 / 20 < 1 ? 1 : (long)(g->cpu_seconds * 1000 / 20);
    pthread_mutex_lock(&g->lock);
    while (!g->quit) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += tick_ms * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        while (!g->quit && pthread_cond_timedwait(&g->wake, &g->lock, &until) == 0)
            ;
        if (g->quit)
            break;
        pthread_mutex_unlock(&g->lock);
        size_t rss = 0;
        for (struct cdp_guard_clock *c = atomic_load(&g->clocks); c; c = c->next)
            check(g, c, &rss);
        pthread_mutex_lock(&g->lock);
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

/* At exit (not at _exit: a stop never returns to it). */
static void unwatch(void)
{
    struct guard *g = the_guard;
    pthread_mutex_lock(&g->lock);
    g->quit = true;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->lock);
    pthread_join(g->watchdog, NULL);
}

static void copy_option(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

int cdp_guard_watch(const struct cdp_guard_budget *budget)
{
    struct guard *g = the_guard;
    if (!g || (budget->cpu_seconds <= 0 && !budget->memory_bytes))
        return -1;
    if (atomic_exchange(&g->watching, 1))
        return 0;
    g->cpu_seconds = budget->cpu_seconds;
    g->memory_bytes = budget->memory_bytes;
    copy_option(g->time_option, sizeof g->time_option, budget->time_option);
    copy_option(g->memory_option, sizeof g->memory_option, budget->memory_option);
    /* The watchdog takes no signal meant for the run: it never creates a
     * temporary, and a handler must not wait on it. */
    sigset_t block, old;
    sigfillset(&block);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&g->wake, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&g->lock, NULL);
    int r = pthread_create(&g->watchdog, NULL, watchdog, g);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r != 0) {
        atomic_store(&g->watching, 0);
        return -1;
    }
    atexit(unwatch);
    return 0;
}

/* ---- temporary files ----------------------------------------------------- */

int cdp_guard_create(char *path, int (*make)(char *path, void *ctx), void *ctx, int *slot)
{
    *slot = -1;
    struct guard *g = the_guard;
    if (!g || strlen(path) >= PATH_MAX)
        return make(path, ctx);
    sigset_t block, old;
    sigemptyset(&block);
    for (size_t i = 0; i < sizeof guarded_signals / sizeof *guarded_signals; i++)
        sigaddset(&block, guarded_signals[i]);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int taken = -1;
    for (int i = 0; i < TMP_SLOTS && taken < 0; i++) {
        int expect = SLOT_FREE;
        if (atomic_compare_exchange_strong(&g->tmp[i].state, &expect, SLOT_BUSY))
            taken = i;
    }
    int r = make(path, ctx);
    int e = errno;
    if (taken >= 0) {
        if (r >= 0) {
            strcpy(g->tmp[taken].path, path);
            atomic_store(&g->tmp[taken].state, SLOT_HELD);
            *slot = taken;
        } else {
            atomic_store(&g->tmp[taken].state, SLOT_FREE);
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = e;
    return r;
}

void cdp_guard_forget(int slot)
{
    struct guard *g = the_guard;
    if (!g || slot < 0 || slot >= TMP_SLOTS)
        return;
    int held = SLOT_HELD;
    /* REMOVING: a handler has it, and the process is ending */
    atomic_compare_exchange_strong(&g->tmp[slot].state, &held, SLOT_FREE);
}

/* ---- rule clocks --------------------------------------------------------- */

struct cdp_guard_clock *cdp_guard_clock_new(const char *what)
{
    struct guard *g = the_guard;
    if (!g)
        return NULL;
    struct cdp_guard_clock *c;
    for (c = atomic_load(&g->clocks); c; c = c->next) {
        int free_ = 0;
        if (atomic_compare_exchange_strong(&c->in_use, &free_, 1))
            break;
    }
    if (!c) {
        c = calloc(1, sizeof *c);
        if (!c)
            return NULL; /* unwatched */
        atomic_store(&c->in_use, 1);
        struct cdp_guard_clock *head = atomic_load(&g->clocks);
        do
            c->next = head;
        while (!atomic_compare_exchange_weak(&g->clocks, &head, c));
    }
    cdp_guard_clock_name(c, what);
    return c;
}

void cdp_guard_clock_name(struct cdp_guard_clock *c, const char *what)
{
    if (c)
        copy_option(c->what, sizeof c->what, what ? what : "a jq program");
}

void cdp_guard_clock_free(struct cdp_guard_clock *c)
{
    if (c)
        atomic_store(&c->in_use, 0); /* kept in the list: the watchdog may be reading it */
}

void cdp_guard_clock_start(struct cdp_guard_clock *c)
{
    if (!c)
        return;
    if (!my_tid)
        my_tid = (int)gettid();
    atomic_store_explicit(&c->tid, my_tid, memory_order_relaxed);
    atomic_fetch_add_explicit(&c->seq, 1, memory_order_release);
}

void cdp_guard_clock_stop(struct cdp_guard_clock *c)
{
    if (c)
        atomic_fetch_add_explicit(&c->seq, 1, memory_order_release);
}
