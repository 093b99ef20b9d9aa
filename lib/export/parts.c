#include "export/parts.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/replace.h"

#define MAX_PARTS 9999

struct cdp_parts {
    struct cdp_parts_options opt;
    char *path;
    char *head;
    struct cdp_output **out;
    char **names;
    size_t n, cap;
    uint64_t rows, in_part;
    size_t stale;
    bool committed;
};

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

char *cdp_parts_name(const char *path, unsigned n)
{
    size_t len = strlen(path);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t stem = len;
    if (ends_with(path, len, ".zst"))
        stem -= 4;
    else if (ends_with(path, len, ".gz"))
        stem -= 3;
    /* The last extension of what is left, not a leading dot of the name. */
    for (size_t i = stem; i > (size_t)(base - path) + 1; i--)
        if (path[i - 1] == '.') {
            stem = i - 1;
            break;
        }
    struct cdp_buf b = CDP_BUF_INIT;
    cdp_buf_add(&b, path, stem);
    cdp_buf_printf(&b, "-%04u", n);
    cdp_buf_adds(&b, path + stem);
    return cdp_buf_detach(&b, NULL);
}

static int open_part(struct cdp_parts *p, struct cdp_error *err)
{
    if (p->n >= MAX_PARTS)
        return cdp_errorf(err, "more than %d parts: give --split-rows a larger number", MAX_PARTS);
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 4;
        p->out = cdp_xrealloc(p->out, p->cap * sizeof *p->out);
        p->names = cdp_xrealloc(p->names, p->cap * sizeof *p->names);
    }
    const char *name = p->path;
    char *part = NULL;
    if (p->opt.split_rows)
        name = part = cdp_parts_name(p->path, (unsigned)p->n + 1);
    struct cdp_output *o = cdp_output_open(name, &p->opt.out, err);
    if (!o) {
        free(part);
        return -1;
    }
    p->out[p->n] = o;
    p->names[p->n] = part ? part : cdp_xstrdup(cdp_output_name(o));
    p->n++;
    p->in_part = 0;
    if (p->opt.head_len && cdp_output_write(o, p->head, p->opt.head_len) < 0)
        return cdp_errorf(err, "%s: write failed", p->names[p->n - 1]);
    return 0;
}

struct cdp_parts *cdp_parts_open(const struct cdp_parts_options *opt, struct cdp_error *err)
{
    struct cdp_parts *p = cdp_xcalloc(1, sizeof *p);
    p->opt = *opt;
    bool std = !opt->path || strcmp(opt->path, "-") == 0;
    p->path = std ? NULL : cdp_xstrdup(opt->path);
    if (std)
        p->opt.split_rows = 0;
    p->head = opt->head_len ? cdp_xstrndup(opt->head, opt->head_len) : NULL;
    if (open_part(p, err) < 0) {
        cdp_parts_free(p);
        return NULL;
    }
    return p;
}

int cdp_parts_row(struct cdp_parts *p, const char *row, size_t len, struct cdp_error *err)
{
    if (p->opt.split_rows && p->in_part == p->opt.split_rows && open_part(p, err) < 0)
        return -1;
    struct cdp_output *o = p->out[p->n - 1];
    if (cdp_output_write(o, row, len) < 0)
        return cdp_errorf(err, "%s: write failed", p->names[p->n - 1]);
    p->in_part++;
    p->rows++;
    return 0;
}

int cdp_parts_commit(struct cdp_parts *p, struct cdp_error *err)
{
    int rc = 0;
    for (size_t i = 0; i < p->n; i++) {
        struct cdp_output *o = p->out[i];
        p->out[i] = NULL;
        if (rc == 0) {
            if (cdp_output_commit(o, err) < 0)
                rc = -1;
        } else {
            cdp_output_abort(o);
        }
    }
    if (rc == 0)
        cdp_parts_remove_stale(p);
    p->committed = true;
    return rc;
}

int cdp_parts_replace(struct cdp_parts *p, struct cdp_replace *r, struct cdp_error *err)
{
    for (size_t i = 0; i < p->n; i++) {
        struct cdp_output *o = p->out[i];
        p->out[i] = NULL;
        if (cdp_replace_add(r, o, err) < 0)
            return -1;
    }
    p->committed = true;
    return 0;
}

void cdp_parts_remove_stale(struct cdp_parts *p)
{
    if (!p->opt.split_rows)
        return;
    for (unsigned k = (unsigned)p->n + 1; k <= MAX_PARTS; k++) {
        char *name = cdp_parts_name(p->path, k);
        int r = unlink(name);
        free(name);
        if (r < 0)
            break; /* ENOENT: no more; anything else: not ours to fight */
        p->stale++;
    }
}

void cdp_parts_free(struct cdp_parts *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        cdp_output_abort(p->out[i]);
        free(p->names[i]);
    }
    free(p->out);
    free(p->names);
    free(p->path);
    free(p->head);
    free(p);
}

size_t cdp_parts_count(const struct cdp_parts *p)
{
    return p->n;
}

const char *cdp_parts_file(const struct cdp_parts *p, size_t i)
{
    return i < p->n ? p->names[i] : NULL;
}

uint64_t cdp_parts_rows(const struct cdp_parts *p)
{
    return p->rows;
}

size_t cdp_parts_stale_removed(const struct cdp_parts *p)
{
    return p->stale;
}
