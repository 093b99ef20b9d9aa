/* cli/files.c: no two of a program's files may be one; see cli/files.h. */
#include "cli/files.h"

#include <errno.h>
#include <stdio.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "cli/cli.h"

void cdp_cli_files_add(struct cdp_cli_files *f, int id, const char *what, const char *path,
                       unsigned role)
{
    struct cdp_cli_file *e = NULL;
    for (size_t i = 0; id && (role & CDP_FILE_OUT) && !(role & CDP_FILE_MANY) && i < f->n && !e; i++)
        if (f->v[i].id == id)
            e = &f->v[i];
    if (!e) {
        if (f->n == f->cap) {
            f->cap = f->cap ? f->cap * 2 : 8;
            f->v = cdp_xrealloc(f->v, f->cap * sizeof *f->v);
        }
        e = &f->v[f->n++];
    }
    e->id = id;
    snprintf(e->what, sizeof e->what, "%s", what);
    e->path = path;
    e->role = role;
}

void cdp_cli_files_release(struct cdp_cli_files *f)
{
    free(f->v);
    memset(f, 0, sizeof *f);
}

/* What a name stands for, as far as being one file goes. */
enum kind {
    K_NONE,   /* a device or a pipe: never the same file as another */
    K_STDIN,  /* standard input */
    K_STDOUT, /* standard output (and, when it is a file, that file) */
    K_FILE,   /* an existing file or folder: dev and ino */
    K_PATH,   /* a file to be created: its resolved path */
};

struct ident {
    enum kind kind;
    bool inode; /* dev and ino are set */
    dev_t dev;
    ino_t ino;
    char *path; /* K_PATH */
};

/* The descriptor a name stands for (/dev/stdout, /dev/fd/3,
 * /proc/self/fd/1), or -1. */
static int named_fd(const char *path)
{
    if (strcmp(path, "/dev/stdin") == 0)
        return 0;
    if (strcmp(path, "/dev/stdout") == 0)
        return 1;
    if (strcmp(path, "/dev/stderr") == 0)
        return 2;
    const char *num = NULL;
    if (strncmp(path, "/dev/fd/", 8) == 0)
        num = path + 8;
    else if (strncmp(path, "/proc/self/fd/", 14) == 0)
        num = path + 14;
    if (!num || *num < '0' || *num > '9')
        return -1;
    char *end;
    long fd = strtol(num, &end, 10);
    return *end || fd > INT_MAX ? -1 : (int)fd;
}

/* A regular file or folder is known by its inode; anything else is not
 * a file that two names could clobber. */
static void by_stat(struct ident *id, const struct stat *st)
{
    if (S_ISREG(st->st_mode) || S_ISDIR(st->st_mode)) {
        id->inode = true;
        id->dev = st->st_dev;
        id->ino = st->st_ino;
    }
}

/* A name that does not exist yet: its folder resolved, then its base name
 * (so that "out/x" and "./out/x" are one); as given when its folder does
 * not exist either (creating it will fail anyway). */
static char *resolved(const char *path)
{
    char *d = cdp_xstrdup(path), *b = cdp_xstrdup(path);
    char *dir = realpath(dirname(d), NULL);
    struct cdp_buf out = CDP_BUF_INIT;
    if (dir)
        cdp_buf_printf(&out, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, basename(b));
    else
        cdp_buf_adds(&out, path);
    free(dir);
    free(d);
    free(b);
    return cdp_buf_detach(&out, NULL);
}

static void identify(const struct cdp_cli_file *f, struct ident *id)
{
    memset(id, 0, sizeof *id);
    struct stat st;
    int fd = strcmp(f->path, "-") == 0 ? ((f->role & CDP_FILE_OUT) ? 1 : 0) : named_fd(f->path);
    if (fd == 0) {
        id->kind = K_STDIN; /* read through its descriptor: never clobbered */
    } else if (fd == 1) {
        id->kind = K_STDOUT;
        if (fstat(1, &st) == 0)
            by_stat(id, &st);
    } else if (fd > 1) {
        if (fstat(fd, &st) == 0)
            by_stat(id, &st);
        id->kind = id->inode ? K_FILE : K_NONE;
    } else if (stat(f->path, &st) == 0) {
        by_stat(id, &st);
        id->kind = id->inode ? K_FILE : K_NONE;
    } else {
        id->kind = K_PATH;
        id->path = resolved(f->path);
    }
}

static bool same(const struct ident *a, const struct ident *b)
{
    if (a->kind == K_NONE || b->kind == K_NONE)
        return false;
    if (a->kind == b->kind && (a->kind == K_STDIN || a->kind == K_STDOUT))
        return true;
    if (a->kind == K_PATH || b->kind == K_PATH)
        return a->kind == b->kind && strcmp(a->path, b->path) == 0;
    if (a->kind == K_STDIN || b->kind == K_STDIN)
        return false;
    return a->inode && b->inode && a->dev == b->dev && a->ino == b->ino;
}

/* "-o 'x'", "the input 'x'", "standard output (no -o)". */
static void name(struct cdp_buf *b, const struct cdp_cli_file *f)
{
    if (f->id == 0 && strcmp(f->path, "-") == 0)
        cdp_buf_adds(b, (f->role & CDP_FILE_OUT) ? "standard output (no -o)" : "standard input");
    else
        cdp_buf_printf(b, "%s '%s'", f->what, f->path);
}

static int refuse(const char *prog, const struct cdp_cli_file *a, const struct ident *ia,
                  const struct cdp_cli_file *b)
{
    if (ia->kind == K_STDIN)
        return cdp_usage_error(prog, "stdin ('-') given twice");
    struct cdp_buf m = CDP_BUF_INIT;
    name(&m, a);
    cdp_buf_adds(&m, " and ");
    name(&m, b);
    cdp_buf_adds(&m, ia->kind == K_STDOUT && !ia->inode ? " are both standard output" : " are the same file");
    int status = cdp_usage_error(prog, "%s", m.data);
    cdp_buf_release(&m);
    return status;
}

int cdp_cli_files_check(const struct cdp_cli_files *f, const char *prog, cdp_same_ok_fn ok,
                        const void *ctx)
{
    struct ident *ids = cdp_xcalloc(f->n + 1, sizeof *ids);
    for (size_t i = 0; i < f->n; i++)
        identify(&f->v[i], &ids[i]);
    int status = 0;
    for (size_t i = 0; i < f->n && !status; i++)
        for (size_t j = i + 1; j < f->n && !status; j++) {
            const struct cdp_cli_file *a = &f->v[i], *b = &f->v[j];
            bool written = ((a->role | b->role) & CDP_FILE_OUT) != 0;
            bool stdin_twice = ids[i].kind == K_STDIN && ids[j].kind == K_STDIN;
            if (!(written || stdin_twice) || !same(&ids[i], &ids[j]))
                continue;
            if (a->id && b->id && ok && ok(ctx, a->id, b->id))
                continue;
            if (a->id == b->id && (a->role & b->role & CDP_FILE_MANY))
                continue; /* rewritten on its own under each name */
            status = refuse(prog, a, &ids[i], b);
        }
    for (size_t i = 0; i < f->n; i++)
        free(ids[i].path);
    free(ids);
    return status;
}
