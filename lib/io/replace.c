#include "io/replace.h"

#include <errno.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"

struct staged {
    struct cdp_output *out; /* NULL once published */
    char *target;
    char *backup;           /* .NAME.cdp-old, or NULL when the target did not exist */
    struct cdp_reread_seen was; /* the target as read; was.set false: not checked */
};

struct cdp_replace {
    struct staged *v;
    size_t n, cap;
};

struct cdp_replace *cdp_replace_new(void)
{
    return cdp_xcalloc(1, sizeof(struct cdp_replace));
}

/* Discards the staged files, removes the backups, and empties r. */
static void clear(struct cdp_replace *r)
{
    for (size_t i = 0; i < r->n; i++) {
        cdp_output_abort(r->v[i].out);
        if (r->v[i].backup)
            unlink(r->v[i].backup);
        free(r->v[i].backup);
        free(r->v[i].target);
    }
    r->n = 0;
}

void cdp_replace_free(struct cdp_replace *r)
{
    if (!r)
        return;
    clear(r);
    free(r->v);
    free(r);
}

size_t cdp_replace_count(const struct cdp_replace *r)
{
    return r->n;
}

int cdp_replace_add(struct cdp_replace *r, struct cdp_output *o, struct cdp_error *err)
{
    return cdp_replace_add_unless_changed(r, o, NULL, err);
}

int cdp_replace_add_unless_changed(struct cdp_replace *r, struct cdp_output *o,
                                   const struct cdp_reread_seen *was, struct cdp_error *err)
{
    const char *target = cdp_output_target(o);
    for (size_t i = 0; target && i < r->n; i++)
        if (r->v[i].target && strcmp(r->v[i].target, target) == 0) {
            int rc = cdp_errorf(err, "'%s' named twice", target);
            cdp_output_abort(o);
            return rc;
        }
    char *copy = target ? cdp_xstrdup(target) : NULL;
    if (cdp_output_stage(o, err) < 0) {
        cdp_output_abort(o);
        free(copy);
        return -1;
    }
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 8;
        r->v = cdp_xrealloc(r->v, r->cap * sizeof *r->v);
    }
    r->v[r->n++] = (struct staged){ o, copy, NULL, was ? *was : (struct cdp_reread_seen){ 0 } };
    return 0;
}

/* The old version of s->target under a second name, when there is one.
 * A stale backup (of a run that was killed) is removed first. */
static int keep_old(struct staged *s, struct cdp_error *err)
{
    if (!s->target)
        return 0; /* standard output or a device: written already */
    if (access(s->target, F_OK) != 0)
        return errno == ENOENT ? 0 : cdp_errorf_errno(err, errno, "cannot read '%s'", s->target);
    char *d = cdp_xstrdup(s->target), *b = cdp_xstrdup(s->target);
    struct cdp_buf name = CDP_BUF_INIT;
    cdp_buf_printf(&name, "%s/.%s.cdp-old", dirname(d), basename(b));
    free(d);
    free(b);
    s->backup = cdp_buf_detach(&name, NULL);
    if (unlink(s->backup) < 0 && errno != ENOENT)
        return cdp_errorf_errno(err, errno, "cannot remove '%s'", s->backup);
    if (link(s->target, s->backup) < 0) {
        int e = errno;
        free(s->backup);
        s->backup = NULL;
        return cdp_errorf_errno(err, e, "cannot keep the old version of '%s'", s->target);
    }
    return 0;
}

/* Puts back the n files renamed before the one that failed. A file that
 * cannot be keeps its backup, which err names. */
static void roll_back(struct cdp_replace *r, size_t n, struct cdp_error *err)
{
    bool all = true;
    for (size_t i = 0; i < n; i++) {
        struct staged *s = &r->v[i];
        if (!s->target)
            continue;
        int rc = s->backup ? rename(s->backup, s->target) : unlink(s->target);
        size_t len = strlen(err->msg);
        if (rc < 0) {
            all = false;
            snprintf(err->msg + len, sizeof err->msg - len, "; '%s' could not be put back (%s)%s%s",
                     s->target, strerror(errno), s->backup ? ": its old version is " : "",
                     s->backup ? s->backup : "");
        }
        free(s->backup); /* renamed back, or kept for the user */
        s->backup = NULL;
    }
    size_t len = strlen(err->msg);
    if (n && all)
        snprintf(err->msg + len, sizeof err->msg - len, " (the files already replaced were put back)");
}

/* Whether every target added with what it was read as is still so; before
 * keep_old, whose second name moves the targets' status-change times. */
static int unchanged(const struct cdp_replace *r, struct cdp_error *err)
{
    for (size_t i = 0; i < r->n; i++) {
        const struct staged *s = &r->v[i];
        struct stat st;
        if (!s->was.set || !s->target)
            continue;
        if (stat(s->target, &st) < 0)
            return cdp_errorf_errno(err, errno, "'%s' changed while it was read; no file replaced", s->target);
        const char *how = cdp_reread_how_changed(&s->was, &st);
        if (how)
            return cdp_errorf(err, "'%s' changed while it was read (%s); no file replaced", s->target, how);
    }
    return 0;
}

int cdp_replace_commit(struct cdp_replace *r, struct cdp_error *err)
{
    int rc = unchanged(r, err);
    for (size_t i = 0; i < r->n && rc == 0; i++)
        rc = keep_old(&r->v[i], err);
    size_t i = 0;
    for (; i < r->n && rc == 0; i++) {
        struct cdp_output *o = r->v[i].out;
        r->v[i].out = NULL;
        rc = cdp_output_publish(o, err);
    }
    if (rc < 0 && i > 0)
        roll_back(r, i - 1, err); /* i - 1 were renamed before the failure */
    clear(r);
    return rc;
}
