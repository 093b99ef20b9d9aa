/* test_guard: the registry of temporary files and the rule watchdog of
 * base/guard.h, each in a child process (the guard is the process's):
 * without a guard nothing is registered; a file registered is removed by
 * SIGTERM, which the child then dies of; a file forgotten is left; a clock
 * running past the CPU budget stops the process with exit 1, its message
 * and the registered file removed; a clock stopped in time does not. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../check.h"
#include "base/guard.h"

static int make_temp(char *path, void *ctx)
{
    (void)ctx;
    return mkstemp(path);
}

static bool exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static void burn_cpu(double seconds)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    volatile unsigned long x = 0;
    do {
        for (int i = 0; i < 100000; i++)
            x += (unsigned long)i;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    } while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 < seconds);
}

/* Runs fn in a child with stderr to errfile; returns its wait status. */
static int in_child(void (*fn)(const char *dir), const char *dir, const char *errfile)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, STDERR_FILENO);
        fn(dir);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

static void registered_then_killed(const char *dir)
{
    cdp_guard_install("test");
    char kept[4096], forgotten[4096];
    snprintf(kept, sizeof kept, "%s/.kept.XXXXXX", dir);
    snprintf(forgotten, sizeof forgotten, "%s/.forgotten.XXXXXX", dir);
    int slot1, slot2;
    if (cdp_guard_create(kept, make_temp, NULL, &slot1) < 0 || slot1 < 0)
        _exit(3);
    if (cdp_guard_create(forgotten, make_temp, NULL, &slot2) < 0 || slot2 < 0)
        _exit(4);
    cdp_guard_forget(slot2);
    raise(SIGTERM);
    _exit(5); /* not reached: SIGTERM's default action */
}

static void clock_past_budget(const char *dir)
{
    cdp_guard_install("test");
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s/.out.XXXXXX", dir);
    int slot;
    if (cdp_guard_create(tmp, make_temp, NULL, &slot) < 0)
        _exit(3);
    struct cdp_guard_budget b = { 0.2, 0, "--rule-time 0.2", "--rule-memory 1G" };
    if (cdp_guard_watch(&b) < 0)
        _exit(4);
    struct cdp_guard_clock *fast = cdp_guard_clock_new("segment 'fast'");
    struct cdp_guard_clock *slow = cdp_guard_clock_new("segment 'slow'");
    cdp_guard_clock_start(fast);
    burn_cpu(0.05);
    cdp_guard_clock_stop(fast);
    cdp_guard_clock_start(slow);
    burn_cpu(5);
    _exit(5); /* the watchdog ends the process first */
}

static char *slurp(const char *path)
{
    static char buf[4096];
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    return buf;
}

int main(void)
{
    char dir[] = "/tmp/cdp-test-guard.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char err[4200];
    snprintf(err, sizeof err, "%s.err", dir);

    /* no guard: created, not registered */
    char path[4096];
    snprintf(path, sizeof path, "%s/.plain.XXXXXX", dir);
    int slot = 7;
    int fd = cdp_guard_create(path, make_temp, NULL, &slot);
    CHECK(fd >= 0 && slot == -1 && exists(path));
    close(fd);
    unlink(path);
    CHECK(cdp_guard_clock_new("x") == NULL);

    int status = in_child(registered_then_killed, dir, err);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    /* the registered file is gone, the forgotten one stays */
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "ls -A %s | sed 's/\\.XXXXXX$//; s/\\..\\{6\\}$//'", dir);
    FILE *ls = popen(cmd, "r");
    char listing[256] = "";
    size_t n = ls ? fread(listing, 1, sizeof listing - 1, ls) : 0;
    listing[n] = '\0';
    if (ls)
        pclose(ls);
    CHECK_STR(listing, ".forgotten\n");
    snprintf(cmd, sizeof cmd, "rm -f %s/.forgotten.*", dir);
    CHECK(system(cmd) == 0);

    status = in_child(clock_past_budget, dir, err);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    CHECK_STR(slurp(err), "test: segment 'slow' stopped: it ran longer on one profile than "
                          "--rule-time 0.2 allows\n");
    CHECK(rmdir(dir) == 0); /* its temporary was removed */
    unlink(err);
    return check_report("test_guard");
}
