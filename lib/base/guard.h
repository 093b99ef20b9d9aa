/* guard.h: what a run must still do when it is stopped from outside its
 * own flow: by a signal (SIGTERM, SIGINT, SIGHUP), or because a jq rule
 * went past its budget.
 *
 * Two things are kept here for that moment:
 * - the run's temporary files with a name (io/output.c's .NAME.XXXXXX where
 *   the file system lacks O_TMPFILE, and the hidden links of files staged
 *   for io/replace.h), in a fixed-size registry filled before a signal can
 *   find the file: the signal handler and the watchdog unlink() them;
 * - a clock per compiled jq program (rules/jq.c): the evaluating thread
 *   marks when it enters and leaves an evaluation (two atomic increments),
 *   and a watchdog thread, started by cdp_guard_watch, measures what the
 *   evaluation it finds running has cost so far.
 *
 * SIGKILL cannot be caught: a run killed by it leaves its named temporary
 * files (only on file systems without O_TMPFILE; the next run does not
 * reuse their names).
 *
 * Why not return an error as the library does everywhere else: libjq 1.6
 * cannot be interrupted from outside (jq_next runs until the program ends,
 * and `def f: f; f` never does) and aborts the process when an allocation
 * fails. So a rule past its budget is stopped by the watchdog itself: it
 * writes one message with async-signal-safe calls (write), removes the
 * run's temporary files and calls _exit(1). Nothing is committed then: the
 * outputs are renamed into place only at commit, so the previous ones stay
 * as they were. This and the signal handler are the library's one way out
 * that does not go through the caller.
 *
 * The one exception to "no global mutable state": a signal handler can
 * reach nothing but globals, so this module keeps one pointer, to the
 * guard cdp_guard_install allocates (the program's, never freed: it must
 * outlive every thread). Everything else here is reached through it. With
 * no guard installed (unit tests, fuzzers) every call below does nothing.
 *
 * Budget (documented in cdp-segment(1), cdp-merge(1), cdp-export(1)), per
 * evaluation of one jq program on one input (a rule on one profile):
 * - CPU time of the evaluating thread (not wall time: a machine loaded by
 *   other jobs, or a run suspended with Ctrl-Z, does not count);
 * - growth of the process's resident memory while that evaluation runs.
 * The watchdog looks every 50 ms (every 1/20 of the time budget when that is
 * shorter), so an evaluation is seen, and its cost counted, from the first
 * look that finds it running: a stop comes within the budget plus a look
 * or two. Rules evaluated natively (rules/native.h) need no budget: that
 * evaluator has no loops or recursion. */
#ifndef CDP_BASE_GUARD_H
#define CDP_BASE_GUARD_H

#include <stdbool.h>
#include <stddef.h>

/* Allocates the process's guard and installs handlers for SIGTERM, SIGINT
 * and SIGHUP that remove the registered files and re-raise the signal with
 * its default action (so the exit status says what killed the run).
 * program prefixes the watchdog's messages. Call once, from main, before
 * any thread is started. */
void cdp_guard_install(const char *program);

struct cdp_guard_budget {
    double cpu_seconds;  /* CPU time of one evaluation; 0: unbounded */
    size_t memory_bytes; /* growth of resident memory in one evaluation; 0: unbounded */
    const char *time_option;   /* as messages name it: "--rule-time 5" */
    const char *memory_option; /* "--rule-memory 2G" */
};

/* Starts the watchdog thread (once; later calls do nothing). Returns 0, or
 * -1 when no guard is installed or the thread cannot be started. */
int cdp_guard_watch(const struct cdp_guard_budget *budget);

/* ---- temporary files ---------------------------------------------------- */

/* Creates a temporary file through make(path, ctx) (which may fill in the
 * name, as mkostemp does, and returns a descriptor or 0, or -1 with errno)
 * so that it is registered from the moment it exists: signals are blocked
 * in this thread meanwhile, and a handler running on another thread waits
 * for the slot. Returns make's result; *slot is the registration to give
 * cdp_guard_forget (-1 when nothing was registered: make failed, no guard,
 * the registry is full or the path longer than PATH_MAX). */
int cdp_guard_create(char *path, int (*make)(char *path, void *ctx), void *ctx, int *slot);

/* The file is gone or renamed: forget it. Accepts -1. */
void cdp_guard_forget(int slot);

/* ---- rule clocks -------------------------------------------------------- */

struct cdp_guard_clock;

/* A clock for one compiled program; what names it in messages ("segment
 * 'vip'"; copied, cut at 120 bytes). NULL without a guard. */
struct cdp_guard_clock *cdp_guard_clock_new(const char *what);
void cdp_guard_clock_name(struct cdp_guard_clock *c, const char *what);
/* Returns the clock for another program to take. Accepts NULL. */
void cdp_guard_clock_free(struct cdp_guard_clock *c);

/* Around each evaluation, on the evaluating thread. Accept NULL. */
void cdp_guard_clock_start(struct cdp_guard_clock *c);
void cdp_guard_clock_stop(struct cdp_guard_clock *c);

/* Memory ran out in the evaluation c is timing (libjq's out-of-memory
 * hook): stops the run as the watchdog does, naming the program. Returns
 * only without a guard or clock. libjq 1.6 does not call its hook on the
 * threads that evaluate (measured), so the guard also takes SIGABRT: an
 * abort on a thread with an evaluation running is that program's running
 * out of memory and stops the run the same way; any other abort goes on to
 * the action it had before. */
void cdp_guard_out_of_memory(struct cdp_guard_clock *c);

#endif
