#include "io/output.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "base/guard.h"
#include "io/source.h"

#define FLUSH_AT (256 * 1024)

struct cdp_output {
    char *name;     /* for messages */
    char *path;     /* final name when replaced atomically, else NULL */
    char *tmp_path; /* named temporary file when O_TMPFILE was unavailable */
    int tmp_slot;   /* its registration with base/guard.h, for signals; -1 */
    char *dir;
    int fd;
    bool own_fd;
    bool anonymous; /* O_TMPFILE: linked into the folder at commit */
    struct cdp_buf buf;
    int write_errno; /* first failure, 0 if none */

    ZSTD_CCtx *zstd;
    bool gzip;
    z_stream gz;
    char *zbuf;
    size_t zcap;
};

/* The compression threads: opt's count, or one per CPU up to
 * CDP_OUTPUT_ZSTD_WORKERS_MAX (past that the program itself, not
 * compression, is the bottleneck). */
static int zstd_workers(const struct cdp_output_options *opt)
{
    if (opt->zstd_workers > 0)
        return opt->zstd_workers;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus < 1 ? 1 : cpus > CDP_OUTPUT_ZSTD_WORKERS_MAX ? CDP_OUTPUT_ZSTD_WORKERS_MAX : (int)cpus;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcasecmp(s + n - k, suffix) == 0; /* X.NDJSON.ZST too */
}

static int write_all(struct cdp_output *o, const char *p, size_t n)
{
    if (o->write_errno)
        return -1;
    while (n > 0) {
        ssize_t k = write(o->fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            o->write_errno = errno;
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Compresses (or not) and writes n bytes; end finishes the stream. */
static int emit(struct cdp_output *o, const char *p, size_t n, bool end)
{
    if (o->zstd) {
        ZSTD_inBuffer in = { p, n, 0 };
        for (;;) {
            ZSTD_outBuffer out = { o->zbuf, o->zcap, 0 };
            size_t r = ZSTD_compressStream2(o->zstd, &out, &in, end ? ZSTD_e_end : ZSTD_e_continue);
            if (ZSTD_isError(r)) {
                o->write_errno = EIO;
                return -1;
            }
            if (write_all(o, o->zbuf, out.pos) < 0)
                return -1;
            if (end ? r == 0 : in.pos == in.size)
                return 0;
        }
    }
    if (o->gzip) {
        o->gz.next_in = (Bytef *)p;
        o->gz.avail_in = (uInt)n;
        for (;;) {
            o->gz.next_out = (Bytef *)o->zbuf;
            o->gz.avail_out = (uInt)o->zcap;
            int r = deflate(&o->gz, end ? Z_FINISH : Z_NO_FLUSH);
            if (r == Z_STREAM_ERROR) {
                o->write_errno = EIO;
                return -1;
            }
            if (write_all(o, o->zbuf, o->zcap - o->gz.avail_out) < 0)
                return -1;
            if (end ? r == Z_STREAM_END : (o->gz.avail_in == 0 && o->gz.avail_out != 0))
                return 0;
        }
    }
    return write_all(o, p, n);
}

/* The standard streams by name: /dev/stdout is a symlink to the shell's
 * redirect target, which must be written through the descriptor (opening
 * it anew would rewind an appended log; replacing it atomically would put a
 * file where the symlink was). */
static int named_stream(const char *path)
{
    if (strcmp(path, "/dev/stdout") == 0)
        return STDOUT_FILENO;
    if (strcmp(path, "/dev/stderr") == 0)
        return STDERR_FILENO;
    const char *num = NULL;
    if (strncmp(path, "/dev/fd/", 8) == 0)
        num = path + 8;
    else if (strncmp(path, "/proc/self/fd/", 14) == 0)
        num = path + 14;
    if (!num || !*num)
        return -1;
    char *end;
    long fd = strtol(num, &end, 10);
    return *end || fd < 0 || fd > 1 << 20 ? -1 : (int)fd;
}

static int make_temporary(char *path, void *ctx)
{
    (void)ctx;
    return mkostemp(path, O_CLOEXEC);
}

static int open_target(struct cdp_output *o, mode_t mode, struct cdp_error *err)
{
    int stream = named_stream(o->path);
    if (stream >= 0) {
        o->fd = stream;
        o->own_fd = false;
        free(o->path);
        o->path = NULL;
        return 0;
    }
    struct stat st;
    if (stat(o->path, &st) == 0 && !S_ISREG(st.st_mode)) {
        /* A device or a pipe: nothing to replace atomically. */
        o->fd = open(o->path, O_WRONLY | O_CLOEXEC);
        if (o->fd < 0)
            return cdp_errorf_errno(err, errno, "cannot open '%s'", o->path);
        o->own_fd = true;
        free(o->path);
        o->path = NULL; /* written directly: no rename at commit */
        return 0;
    }
    struct stat lst;
    if (lstat(o->path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
        /* A symlink to a file: replace the file it points to, keep the link. */
        char *real = realpath(o->path, NULL);
        if (!real)
            return cdp_errorf_errno(err, errno, "cannot resolve '%s'", o->path);
        free(o->path);
        o->path = real;
    }
    char *copy = cdp_xstrdup(o->path);
    o->dir = cdp_xstrdup(dirname(copy));
    free(copy);
    o->fd = open(o->dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, mode & 0600);
    if (o->fd >= 0) {
        o->anonymous = true;
        o->own_fd = true;
        /* open() applied the umask; the file gets exactly `mode` */
        fchmod(o->fd, mode);
        return 0;
    }
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
        return cdp_errorf_errno(err, errno, "cannot create '%s'", o->path);
    /* No O_TMPFILE here: a hidden name beside the target. */
    struct cdp_buf t = CDP_BUF_INIT;
    char *base = cdp_xstrdup(o->path);
    cdp_buf_printf(&t, "%s/.%s.XXXXXX", o->dir, basename(base));
    free(base);
    o->tmp_path = cdp_buf_detach(&t, NULL);
    o->fd = cdp_guard_create(o->tmp_path, make_temporary, NULL, &o->tmp_slot);
    if (o->fd < 0) {
        int e = errno;
        free(o->tmp_path);
        o->tmp_path = NULL;
        return cdp_errorf_errno(err, e, "cannot create '%s'", o->path);
    }
    /* mkostemp made it 0600 whatever the umask: no window in which others
     * could open it; now exactly `mode` */
    fchmod(o->fd, mode);
    o->own_fd = true;
    return 0;
}

struct cdp_output *cdp_output_open(const char *path, const struct cdp_output_options *opt,
                                   struct cdp_error *err)
{
    static const struct cdp_output_options defaults = { 0 };
    if (!opt)
        opt = &defaults;
    struct cdp_output *o = cdp_xcalloc(1, sizeof *o);
    o->fd = STDOUT_FILENO;
    o->tmp_slot = -1;
    if (path && strcmp(path, "-") != 0) {
        o->path = cdp_xstrdup(path);
        o->name = cdp_xstrdup(path);
        if (open_target(o, opt->mode ? opt->mode : 0600, err) < 0) {
            cdp_output_abort(o);
            return NULL;
        }
    }
    bool zstd = opt->zstd || (path && ends_with(path, ".zst"));
    if (zstd) {
        o->zstd = ZSTD_createCCtx();
        if (!o->zstd || ZSTD_isError(ZSTD_CCtx_setParameter(o->zstd, ZSTD_c_compressionLevel,
                                                            opt->zstd_level ? opt->zstd_level : 1)) ||
            ZSTD_isError(ZSTD_CCtx_setParameter(o->zstd, ZSTD_c_checksumFlag, 1))) {
            cdp_errorf(err, "cannot set up zstd compression (level %d)", opt->zstd_level);
            cdp_output_abort(o);
            return NULL;
        }
        /* Compression runs in zstd worker threads beside the program. The
         * bytes depend only on there being workers, not on how many (zstd
         * cuts the input into jobs by size), so the count follows the CPUs:
         * with two instead of one, cdp-dedupe's writing phase at 100k persons
         * fell from 0.68 to 0.48 s (403 MB at level 1), the same bytes. */
        (void)ZSTD_CCtx_setParameter(o->zstd, ZSTD_c_nbWorkers, zstd_workers(opt)); /* no-op without threads */
        o->zcap = ZSTD_CStreamOutSize();
    } else if (path && ends_with(path, ".gz")) {
        if (deflateInit2(&o->gz, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
            cdp_errorf(err, "cannot set up gzip compression");
            cdp_output_abort(o);
            return NULL;
        }
        o->gzip = true;
        o->zcap = 128 * 1024;
    }
    if (o->zcap)
        o->zbuf = cdp_xmalloc(o->zcap);
    cdp_buf_grow(&o->buf, FLUSH_AT + 4096);
    return o;
}

struct cdp_output *cdp_output_open_spool(const struct cdp_output_options *opt,
                                         struct cdp_error *err)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    struct cdp_output_options o2 = opt ? *opt : (struct cdp_output_options){ 0 };
    struct cdp_output *o = cdp_output_open(NULL, &o2, err);
    if (!o)
        return NULL;
    o->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (o->fd < 0) {
        struct cdp_buf t = CDP_BUF_INIT;
        cdp_buf_printf(&t, "%s/cdp-spool.XXXXXX", dir);
        o->fd = mkostemp(t.data, O_CLOEXEC);
        if (o->fd >= 0)
            unlink(t.data);
        cdp_buf_release(&t);
    }
    if (o->fd < 0) {
        cdp_errorf_errno(err, errno, "cannot create a temporary file in '%s'", dir);
        o->fd = STDOUT_FILENO;
        cdp_output_abort(o);
        return NULL;
    }
    o->own_fd = true;
    o->name = cdp_xstrdup("temporary file");
    return o;
}

int cdp_output_finish_spool(struct cdp_output *o, struct cdp_error *err)
{
    bool compressed = o->zstd || o->gzip;
    if (o->buf.len > 0 || compressed)
        emit(o, o->buf.data ? o->buf.data : "", o->buf.len, true);
    cdp_buf_reset(&o->buf);
    int fd = -1;
    if (o->write_errno)
        cdp_errorf_errno(err, o->write_errno, "cannot write a temporary file");
    else {
        fd = o->fd;
        o->own_fd = false;
    }
    cdp_output_abort(o);
    return fd;
}

struct cdp_buf *cdp_output_buffer(struct cdp_output *o)
{
    return &o->buf;
}

int cdp_output_flush_some(struct cdp_output *o)
{
    if (o->buf.len < FLUSH_AT)
        return o->write_errno ? -1 : 0;
    int r = emit(o, o->buf.data, o->buf.len, false);
    cdp_buf_reset(&o->buf);
    return r;
}

int cdp_output_write(struct cdp_output *o, const void *p, size_t n)
{
    if (o->buf.len + n >= FLUSH_AT && o->buf.len > 0) {
        emit(o, o->buf.data, o->buf.len, false);
        cdp_buf_reset(&o->buf);
    }
    if (n >= FLUSH_AT)
        return emit(o, p, n, false);
    cdp_buf_add(&o->buf, p, n);
    return o->write_errno ? -1 : 0;
}

const char *cdp_output_name(const struct cdp_output *o)
{
    return o->name ? o->name : "standard output";
}

static int link_proc(char *path, void *proc)
{
    return linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW);
}

/* Gives the anonymous file a name: link it under a fresh hidden name, then
 * rename that over the target (linkat cannot replace a file). */
static int link_anonymous(struct cdp_output *o)
{
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", o->fd);
    struct cdp_buf t = CDP_BUF_INIT;
    char *base = cdp_xstrdup(o->path);
    for (unsigned i = 0;; i++) {
        cdp_buf_reset(&t);
        cdp_buf_printf(&t, "%s/.%s.%ld.%u", o->dir, basename(base), (long)getpid(), i);
        if (cdp_guard_create(t.data, link_proc, proc, &o->tmp_slot) == 0)
            break;
        if (errno != EEXIST || i > 1000) {
            int e = errno;
            free(base);
            cdp_buf_release(&t);
            errno = e;
            return -1;
        }
    }
    free(base);
    o->tmp_path = cdp_buf_detach(&t, NULL);
    return 0;
}

int cdp_output_stage(struct cdp_output *o, struct cdp_error *err)
{
    bool compressed = o->zstd || o->gzip;
    if (o->buf.len > 0 || compressed)
        emit(o, o->buf.data ? o->buf.data : "", o->buf.len, true);
    cdp_buf_reset(&o->buf);
    if (o->write_errno)
        return cdp_errorf_errno(err, o->write_errno, "cannot write to %s%s%s", o->name ? "'" : "",
                                cdp_output_name(o), o->name ? "'" : "");
    if (o->path) {
        if (fdatasync(o->fd) < 0 && errno != EINVAL)
            return cdp_errorf_errno(err, errno, "cannot write '%s'", o->path);
        if (o->anonymous && link_anonymous(o) < 0)
            return cdp_errorf_errno(err, errno, "cannot create '%s'", o->path);
        o->own_fd = false;
        if (close(o->fd) < 0)
            return cdp_errorf_errno(err, errno, "cannot write '%s'", o->path);
    } else if (o->own_fd) {
        o->own_fd = false;
        if (close(o->fd) < 0)
            return cdp_errorf_errno(err, errno, "cannot write to '%s'", cdp_output_name(o));
    }
    return 0;
}

int cdp_output_publish(struct cdp_output *o, struct cdp_error *err)
{
    int r = 0;
    if (o->path && rename(o->tmp_path, o->path) < 0)
        r = cdp_errorf_errno(err, errno, "cannot rename into '%s'", o->path);
    else if (o->path) {
        cdp_guard_forget(o->tmp_slot);
        o->tmp_slot = -1;
        free(o->tmp_path);
        o->tmp_path = NULL;
    }
    cdp_output_abort(o);
    return r;
}

int cdp_output_commit(struct cdp_output *o, struct cdp_error *err)
{
    if (cdp_output_stage(o, err) < 0) {
        cdp_output_abort(o);
        return -1;
    }
    return cdp_output_publish(o, err);
}

const char *cdp_output_target(const struct cdp_output *o)
{
    return o->path;
}

void cdp_output_abort(struct cdp_output *o)
{
    if (!o)
        return;
    if (o->own_fd)
        close(o->fd);
    if (o->tmp_path)
        unlink(o->tmp_path);
    cdp_guard_forget(o->tmp_slot);
    if (o->zstd)
        ZSTD_freeCCtx(o->zstd);
    if (o->gzip)
        deflateEnd(&o->gz);
    free(o->zbuf);
    free(o->tmp_path);
    free(o->path);
    free(o->name);
    free(o->dir);
    cdp_buf_release(&o->buf);
    free(o);
}

int cdp_output_check_rewrite(const char *path, struct cdp_error *err)
{
    /* A pipe would be opened to be written, and waited on for a reader,
     * for ever (cdp-segment --history did so). */
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return cdp_errorf(err, "'%s' is not a regular file: it is read, then replaced with its new lines added",
                          path);
    return 0;
}

struct cdp_output *cdp_output_open_rewrite(const char *path, const struct cdp_output_options *opt,
                                           struct cdp_error *err)
{
    if (cdp_output_check_rewrite(path, err) < 0)
        return NULL;
    struct cdp_output *o = cdp_output_open(path, opt, err);
    if (!o || access(path, F_OK) != 0)
        return o;
    struct cdp_source *old = cdp_source_open(path, NULL, err);
    if (!old) {
        cdp_output_abort(o);
        return NULL;
    }
    char buf[65536];
    ssize_t n;
    while ((n = cdp_source_read(old, buf, sizeof buf, err)) > 0)
        cdp_output_write(o, buf, (size_t)n);
    cdp_source_close(old);
    if (n < 0) {
        cdp_output_abort(o);
        return NULL;
    }
    return o;
}
