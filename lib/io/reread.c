/* io/reread.c: inputs made re-readable; see io/reread.h. */
#include "io/reread.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "io/output.h"

void cdp_reread_init(struct cdp_reread *in, const char *arg)
{
    in->path = arg;
    in->label = strcmp(arg, "-") == 0 ? "(stdin)" : arg;
    in->spool_path[0] = '\0';
    in->spool_fd = -1;
    memset(&in->seen, 0, sizeof in->seen);
}

void cdp_reread_note(struct cdp_reread_seen *seen, const struct stat *st)
{
    seen->set = true;
    seen->dev = st->st_dev;
    seen->ino = st->st_ino;
    seen->size = st->st_size;
    seen->mtime = st->st_mtim;
    seen->ctime = st->st_ctim;
}

static bool same_time(struct timespec a, struct timespec b)
{
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

const char *cdp_reread_how_changed(const struct cdp_reread_seen *was, const struct stat *now)
{
    /* Which change, so that a user who only ran chmod or made a hard
     * link learns why: the status-change time is checked as well because
     * a write can put the modification time back (touch -d, rsync -t),
     * and it moves with permissions and links too. */
    if (now->st_dev != was->dev || now->st_ino != was->ino)
        return "replaced by another file";
    if (now->st_size != was->size || !same_time(now->st_mtim, was->mtime))
        return "written to: its size or modification time changed";
    if (!same_time(now->st_ctim, was->ctime))
        return "its status-change time moved: written to, or its permissions or links changed";
    return NULL;
}

int cdp_reread_check(const struct cdp_reread *in, size_t n, struct cdp_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const struct cdp_reread_seen *was = &in[i].seen;
        struct stat st;
        if (!was->set)
            continue;
        if (stat(in[i].path, &st) < 0)
            return cdp_errorf_errno(err, errno, "'%s' changed between the two passes", in[i].label);
        const char *how = cdp_reread_how_changed(was, &st);
        if (how)
            return cdp_errorf(err, "'%s' changed between the two passes (%s)", in[i].label, how);
    }
    return 0;
}

static ssize_t read_some(int fd, char *buf, size_t cap)
{
    ssize_t n;
    while ((n = read(fd, buf, cap)) < 0 && errno == EINTR)
        ;
    return n;
}

int cdp_reread_spool(struct cdp_reread *in, struct cdp_error *err)
{
    struct stat st;
    bool is_stdin = strcmp(in->path, "-") == 0;
    if (!is_stdin && stat(in->path, &st) == 0 && S_ISREG(st.st_mode)) {
        cdp_reread_note(&in->seen, &st);
        return 0;
    }
    int fd = is_stdin ? STDIN_FILENO : open(in->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cdp_errorf_errno(err, errno, "cannot open '%s'", in->path);
    enum { CHUNK = 1 << 20 };
    char *buf = cdp_xmalloc(CHUNK);
    ssize_t n = read_some(fd, buf, CHUNK);
    /* zstd and gzip magic: already compressed, copy as is */
    bool compressed = n >= 4 && ((unsigned char)buf[0] == 0x28 || (unsigned char)buf[0] == 0x1F);
    struct cdp_output_options so = { .zstd = !compressed, .zstd_level = 1 };
    struct cdp_output *spool = cdp_output_open_spool(&so, err);
    int rc = -1;
    if (!spool)
        goto done;
    while (n > 0) {
        cdp_output_write(spool, buf, (size_t)n);
        n = read_some(fd, buf, CHUNK);
    }
    if (n < 0) {
        cdp_errorf_errno(err, errno, "%s: read error", in->label);
        cdp_output_abort(spool);
        goto done;
    }
    in->spool_fd = cdp_output_finish_spool(spool, err);
    if (in->spool_fd < 0)
        goto done;
    snprintf(in->spool_path, sizeof in->spool_path, "/proc/self/fd/%d", in->spool_fd);
    in->path = in->spool_path;
    rc = 0;
done:
    free(buf);
    if (!is_stdin)
        close(fd);
    return rc;
}

void cdp_reread_release(struct cdp_reread *in)
{
    if (in->spool_fd >= 0)
        close(in->spool_fd);
    in->spool_fd = -1;
}
