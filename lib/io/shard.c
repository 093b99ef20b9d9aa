#include "io/shard.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "io/lines.h"
#include "io/replace.h"

uint32_t cdp_shard_of(const char *key, size_t len, uint32_t nshards)
{
    return (uint32_t)(XXH3_64bits(key, len) % nshards);
}

bool cdp_shard_key(const struct cdp_record *r, const char *field, struct cdp_buf *key)
{
    cdp_buf_reset(key);
    if (field) {
        const struct cdp_field *f = cdp_record_gets(r, field);
        if (!f || f->type == CDP_NULL)
            return false;
        cdp_buf_add(key, f->val, f->vlen);
        return true;
    }
    const struct cdp_field *s = cdp_record_gets(r, "_source"), *rid = cdp_record_gets(r, "_rid");
    if (!s || !rid || s->type != CDP_STRING || rid->type == CDP_NULL)
        return false;
    cdp_buf_add(key, s->val, s->vlen);
    cdp_buf_addc(key, '\x1F');
    cdp_buf_add(key, rid->val, rid->vlen);
    return true;
}

bool cdp_shard_template_valid(const char *template)
{
    int seen = 0;
    for (const char *p = template; *p; p++) {
        if (*p != '%')
            continue;
        if (p[1] == '%')
            p++;
        else if (p[1] == 'd')
            seen++, p++;
        else
            return false;
    }
    return seen == 1;
}

void cdp_shard_name(const char *template, uint32_t i, struct cdp_buf *out)
{
    cdp_buf_reset(out);
    for (const char *p = template; *p; p++) {
        if (*p == '%' && p[1] == '%')
            cdp_buf_addc(out, '%'), p++;
        else if (*p == '%' && p[1] == 'd')
            cdp_buf_printf(out, "%u", i), p++;
        else
            cdp_buf_addc(out, *p);
    }
}

struct cdp_shard_set {
    uint32_t n;
    struct cdp_output **out;
    uint64_t *count;
    struct cdp_output *order;
};

void cdp_shard_set_abort(struct cdp_shard_set *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; i < s->n; i++)
        cdp_output_abort(s->out[i]);
    cdp_output_abort(s->order);
    free(s->out);
    free(s->count);
    free(s);
}

struct cdp_shard_set *cdp_shard_set_open(const char *template, uint32_t nshards, const char *order,
                                         const struct cdp_output_options *opt, struct cdp_error *err)
{
    struct cdp_shard_set *s = cdp_xcalloc(1, sizeof *s);
    s->n = nshards;
    s->out = cdp_xcalloc(nshards, sizeof *s->out);
    s->count = cdp_xcalloc(nshards, sizeof *s->count);
    struct cdp_buf name = CDP_BUF_INIT;
    bool ok = true;
    for (uint32_t i = 0; i < nshards && ok; i++) {
        cdp_shard_name(template, i, &name);
        ok = (s->out[i] = cdp_output_open(name.data, opt, err)) != NULL;
    }
    cdp_buf_release(&name);
    if (ok && order) {
        struct cdp_output_options oo = { 0 };
        ok = (s->order = cdp_output_open(order, &oo, err)) != NULL;
        if (ok)
            cdp_buf_printf(cdp_output_buffer(s->order), "cdp-shard order %u\n", nshards);
    }
    if (!ok) {
        cdp_shard_set_abort(s);
        return NULL;
    }
    return s;
}

int cdp_shard_set_write(struct cdp_shard_set *s, uint32_t i, const char *line, size_t len)
{
    struct cdp_buf *b = cdp_output_buffer(s->out[i]);
    cdp_buf_add(b, line, len);
    cdp_buf_addc(b, '\n');
    s->count[i]++;
    int status = cdp_output_flush_some(s->out[i]);
    if (s->order) {
        cdp_buf_printf(cdp_output_buffer(s->order), "%u\n", i);
        if (cdp_output_flush_some(s->order) < 0)
            status = -1;
    }
    return status;
}

uint64_t cdp_shard_set_count(const struct cdp_shard_set *s, uint32_t i)
{
    return s->count[i];
}

int cdp_shard_set_commit(struct cdp_shard_set *s, struct cdp_error *err)
{
    struct cdp_replace *r = cdp_replace_new();
    int status = 0;
    /* The order file last: a run killed during the renames leaves it old,
     * and cdp-dedupe refuses shards that disagree with it. */
    for (uint32_t i = 0; i <= s->n && status == 0; i++) {
        struct cdp_output *o = i < s->n ? s->out[i] : s->order;
        if (i < s->n)
            s->out[i] = NULL;
        else
            s->order = NULL;
        if (o)
            status = cdp_replace_add(r, o, err);
    }
    if (status == 0)
        status = cdp_replace_commit(r, err);
    cdp_replace_free(r);
    cdp_shard_set_abort(s);
    return status;
}

/* ---- the order file ------------------------------------------------------ */

struct cdp_shard_order {
    struct cdp_lines *lines;
    char *path;
    uint32_t n;
};

void cdp_shard_order_close(struct cdp_shard_order *o)
{
    if (!o)
        return;
    cdp_lines_free(o->lines);
    free(o->path);
    free(o);
}

static bool parse_u32(const char *s, size_t len, uint32_t max, uint32_t *out)
{
    uint64_t v = 0;
    if (len == 0 || len > 10)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > max)
        return false;
    *out = (uint32_t)v;
    return true;
}

struct cdp_shard_order *cdp_shard_order_open(const char *path, struct cdp_error *err)
{
    uint64_t n;
    struct cdp_lines *lines = cdp_lines_open_headed(path, "cdp-shard order", 1, CDP_SHARD_MAX, &n, err);
    if (!lines)
        return NULL;
    struct cdp_shard_order *o = cdp_xcalloc(1, sizeof *o);
    o->lines = lines;
    o->path = cdp_xstrdup(path);
    o->n = (uint32_t)n;
    return o;
}

uint32_t cdp_shard_order_shards(const struct cdp_shard_order *o)
{
    return o->n;
}

int cdp_shard_order_next(struct cdp_shard_order *o, uint32_t *shard, struct cdp_error *err)
{
    const char *line;
    size_t len;
    uint64_t number;
    bool nl;
    int k = cdp_lines_next(o->lines, &line, &len, &number, &nl, err);
    if (k <= 0)
        return k;
    if (!nl || !parse_u32(line, len, o->n - 1, shard))
        return cdp_errorf(err, "%s:%llu: not a shard number below %u", o->path, (unsigned long long)number,
                          o->n);
    return 1;
}
