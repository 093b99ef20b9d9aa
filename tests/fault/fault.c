/* libfault.so: fails one write-side call, for tests/fault.bats.
 *
 *   CDP_FAULT_DIR=/abs/dir CDP_FAULT_AT=N [CDP_FAULT_LOG=FILE] \
 *   LD_PRELOAD=build/tests/fault/libfault.so PROGRAM ...
 *
 * Counts the calls that put data into files under CDP_FAULT_DIR or give them
 * names (write, pwrite, writev, fsync, fdatasync, close, rename, renameat,
 * renameat2, linkat: all that io/output.c uses to write and commit a file;
 * stdio's internal calls are not seen, and cdp writes no file through
 * stdio), and makes the Nth fail: ENOSPC for writes, EIO for the rest,
 * without doing it (a failed close still closes, as on Linux; only the
 * close of a descriptor written to counts). Descriptors are matched by where
 * /proc/self/fd points, so an O_TMPFILE file in the folder counts and
 * standard error (elsewhere) goes on working.
 * CDP_FAULT_AT=0 fails nothing and only counts.
 *
 * CDP_FAULT_NO_TMPFILE=1 (with or without the rest) makes open() with
 * O_TMPFILE fail with EOPNOTSUPP, as on a file system without it (tmpfs has
 * it): outputs then take io/output.c's named temporary .NAME.XXXXXX.
 *
 * At exit the shim appends "calls C" (calls counted) and, when it failed
 * one, "failed NAME PATH" before it, to CDP_FAULT_LOG: the test runs N = 1,
 * 2, ... until a run counts fewer than N calls. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static char dir[PATH_MAX];
static size_t dirlen;
static long fail_at = -1;
static long calls; /* atomic */
static int failed; /* atomic: 1 once the fault was injected */
static char failed_what[PATH_MAX * 3];
/* Descriptors written since they were opened: a failed close matters only
 * for those (closing a file read, or a lock, loses nothing). */
#define MAX_FDS 65536
static unsigned char written[MAX_FDS]; /* atomic */

static void mark_written(int fd)
{
    if (fd >= 0 && fd < MAX_FDS)
        __atomic_store_n(&written[fd], 1, __ATOMIC_SEQ_CST);
}

static int take_written(int fd)
{
    return fd >= 0 && fd < MAX_FDS && __atomic_exchange_n(&written[fd], 0, __ATOMIC_SEQ_CST);
}

static void report(void)
{
    const char *log = getenv("CDP_FAULT_LOG");
    if (!log || !dirlen)
        return;
    /* Through the real calls: this file is not under the folder anyway. */
    FILE *f = fopen(log, "a");
    if (!f)
        return;
    if (__atomic_load_n(&failed, __ATOMIC_SEQ_CST))
        fprintf(f, "failed %s\n", failed_what);
    fprintf(f, "calls %ld\n", __atomic_load_n(&calls, __ATOMIC_SEQ_CST));
    fclose(f);
}

__attribute__((constructor)) static void init(void)
{
    const char *d = getenv("CDP_FAULT_DIR"), *at = getenv("CDP_FAULT_AT");
    if (!d || !*d || !realpath(d, dir))
        return;
    dirlen = strlen(dir);
    fail_at = at ? atol(at) : 0;
    atexit(report);
}

static void *real(const char *name)
{
    void *f = dlsym(RTLD_NEXT, name);
    if (!f) {
        fprintf(stderr, "libfault: no %s\n", name);
        abort();
    }
    return f;
}

static int under_dir(const char *path)
{
    return dirlen && strncmp(path, dir, dirlen) == 0 && (path[dirlen] == '/' || !path[dirlen]);
}

/* Whether a path (absolute, or relative to dirfd) lies under the folder. */
static int path_in(int dirfd, const char *path, char *shown, size_t cap)
{
    if (!dirlen || !path)
        return 0;
    char full[PATH_MAX * 2];
    if (path[0] == '/') {
        snprintf(full, sizeof full, "%s", path);
    } else {
        char base[PATH_MAX];
        if (dirfd == AT_FDCWD) {
            if (!getcwd(base, sizeof base))
                return 0;
        } else {
            char link[64];
            snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
            ssize_t n = readlink(link, base, sizeof base - 1);
            if (n < 0)
                return 0;
            base[n] = '\0';
        }
        snprintf(full, sizeof full, "%s/%s", base, path);
    }
    /* The folder itself may be reached through a symlink (/tmp): resolve
     * the parent, which exists even when the file does not yet. */
    char parent[PATH_MAX * 2], resolved[PATH_MAX];
    snprintf(parent, sizeof parent, "%s", full);
    char *slash = strrchr(parent, '/');
    const char *leaf = slash ? slash + 1 : parent;
    if (slash && slash != parent) {
        *slash = '\0';
        if (realpath(parent, resolved))
            snprintf(full, sizeof full, "%s/%s", resolved, leaf);
    }
    snprintf(shown, cap, "%s", full);
    return under_dir(full);
}

static int fd_in(int fd, char *shown, size_t cap)
{
    if (!dirlen || fd < 0)
        return 0;
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, shown, cap - 1);
    if (n < 0)
        return 0;
    shown[n] = '\0';
    return under_dir(shown);
}

/* Counts a call on something under the folder; 1 when it is to fail. */
static int inject(const char *name, const char *what)
{
    long n = __atomic_add_fetch(&calls, 1, __ATOMIC_SEQ_CST);
    if (n != fail_at)
        return 0;
    snprintf(failed_what, sizeof failed_what, "%s %s", name, what);
    __atomic_store_n(&failed, 1, __ATOMIC_SEQ_CST);
    return 1;
}

#define FD_CALL(name, fd, err)                                                                     \
    do {                                                                                           \
        char shown_[PATH_MAX];                                                                     \
        if (fd_in(fd, shown_, sizeof shown_) && inject(name, shown_)) {                            \
            errno = err;                                                                           \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)

ssize_t write(int fd, const void *buf, size_t n)
{
    static ssize_t (*next)(int, const void *, size_t);
    if (!next)
        next = real("write");
    FD_CALL("write", fd, ENOSPC);
    mark_written(fd);
    return next(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    static ssize_t (*next)(int, const void *, size_t, off_t);
    if (!next)
        next = real("pwrite");
    FD_CALL("pwrite", fd, ENOSPC);
    mark_written(fd);
    return next(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
    static ssize_t (*next)(int, const void *, size_t, off_t);
    if (!next)
        next = real("pwrite64");
    FD_CALL("pwrite64", fd, ENOSPC);
    mark_written(fd);
    return next(fd, buf, n, off);
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
    static ssize_t (*next)(int, const struct iovec *, int);
    if (!next)
        next = real("writev");
    FD_CALL("writev", fd, ENOSPC);
    mark_written(fd);
    return next(fd, iov, n);
}

int fsync(int fd)
{
    static int (*next)(int);
    if (!next)
        next = real("fsync");
    FD_CALL("fsync", fd, EIO);
    return next(fd);
}

int fdatasync(int fd)
{
    static int (*next)(int);
    if (!next)
        next = real("fdatasync");
    FD_CALL("fdatasync", fd, EIO);
    return next(fd);
}

int close(int fd)
{
    static int (*next)(int);
    if (!next)
        next = real("close");
    char shown[PATH_MAX];
    if (take_written(fd) && fd_in(fd, shown, sizeof shown) && inject("close", shown)) {
        next(fd); /* Linux closes the descriptor even when close fails */
        errno = EIO;
        return -1;
    }
    return next(fd);
}

int rename(const char *from, const char *to)
{
    static int (*next)(const char *, const char *);
    if (!next)
        next = real("rename");
    char shown[PATH_MAX * 2];
    if (path_in(AT_FDCWD, to, shown, sizeof shown) && inject("rename", shown)) {
        errno = EIO;
        return -1;
    }
    return next(from, to);
}

int renameat(int fromfd, const char *from, int tofd, const char *to)
{
    static int (*next)(int, const char *, int, const char *);
    if (!next)
        next = real("renameat");
    char shown[PATH_MAX * 2];
    if (path_in(tofd, to, shown, sizeof shown) && inject("renameat", shown)) {
        errno = EIO;
        return -1;
    }
    return next(fromfd, from, tofd, to);
}

int renameat2(int fromfd, const char *from, int tofd, const char *to, unsigned flags)
{
    static int (*next)(int, const char *, int, const char *, unsigned);
    if (!next)
        next = real("renameat2");
    char shown[PATH_MAX * 2];
    if (path_in(tofd, to, shown, sizeof shown) && inject("renameat2", shown)) {
        errno = EIO;
        return -1;
    }
    return next(fromfd, from, tofd, to, flags);
}

int linkat(int fromfd, const char *from, int tofd, const char *to, int flags)
{
    static int (*next)(int, const char *, int, const char *, int);
    if (!next)
        next = real("linkat");
    char shown[PATH_MAX * 2];
    if (path_in(tofd, to, shown, sizeof shown) && inject("linkat", shown)) {
        errno = EIO;
        return -1;
    }
    return next(fromfd, from, tofd, to, flags);
}

/* ---- CDP_FAULT_NO_TMPFILE ------------------------------------------------ */

static int no_tmpfile(int flags)
{
    const char *e = getenv("CDP_FAULT_NO_TMPFILE");
    return e && *e == '1' && (flags & (O_TMPFILE & ~O_DIRECTORY)) == (O_TMPFILE & ~O_DIRECTORY);
}

#define OPEN_LIKE(name, ...)                                                                       \
    {                                                                                              \
        mode_t mode = 0;                                                                           \
        if (flags & (O_CREAT | (O_TMPFILE & ~O_DIRECTORY))) {                                      \
            va_list ap;                                                                            \
            va_start(ap, flags);                                                                   \
            mode = va_arg(ap, mode_t);                                                             \
            va_end(ap);                                                                            \
        }                                                                                          \
        if (no_tmpfile(flags)) {                                                                   \
            errno = EOPNOTSUPP;                                                                    \
            return -1;                                                                             \
        }                                                                                          \
        return next(__VA_ARGS__, flags, mode);                                                     \
    }

int open(const char *path, int flags, ...)
{
    static int (*next)(const char *, int, ...);
    if (!next)
        next = real("open");
    OPEN_LIKE("open", path)
}

int open64(const char *path, int flags, ...)
{
    static int (*next)(const char *, int, ...);
    if (!next)
        next = real("open64");
    OPEN_LIKE("open64", path)
}

int openat(int dirfd, const char *path, int flags, ...)
{
    static int (*next)(int, const char *, int, ...);
    if (!next)
        next = real("openat");
    OPEN_LIKE("openat", dirfd, path)
}

int openat64(int dirfd, const char *path, int flags, ...)
{
    static int (*next)(int, const char *, int, ...);
    if (!next)
        next = real("openat64");
    OPEN_LIKE("openat64", dirfd, path)
}
