/* audiences.c: see audiences.h. */
#include "insight/audiences.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "segment/history.h"

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

long cdp_audiences_find(const struct cdp_audience_figures *au, const char *name, size_t len)
{
    size_t lo = 0, hi = au->nsegments;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int k = strncmp(au->names[mid], name, len);
        if (k == 0 && au->names[mid][len] != '\0')
            k = 1;
        if (k == 0)
            return (long)mid;
        if (k < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* First pass: the nights and the union of the names. */
static int collect(void *ctx, const struct cdp_segment_report *r, struct cdp_error *err)
{
    (void)err;
    struct cdp_audience_figures *au = ctx;
    au->days = cdp_xrealloc(au->days, (au->nnights + 1) * sizeof *au->days);
    au->days[au->nnights++] = r->as_of_day;
    for (size_t i = 0; i < r->n; i++) {
        bool known = false;
        for (size_t j = 0; j < au->nsegments && !known; j++)
            known = !strcmp(au->names[j], r->segments[i].name);
        if (!known) {
            au->names = cdp_xrealloc(au->names, (au->nsegments + 1) * sizeof *au->names);
            au->names[au->nsegments++] = cdp_xstrdup(r->segments[i].name);
        }
    }
    return 0;
}

struct filling {
    struct cdp_audience_figures *au;
    size_t night;
};

/* Second pass: the sizes; the last night's counts are tonight's. */
static int fill(void *ctx, const struct cdp_segment_report *r, struct cdp_error *err)
{
    (void)err;
    struct filling *f = ctx;
    struct cdp_audience_figures *au = f->au;
    bool last = f->night + 1 == au->nnights;
    if (last) {
        au->profiles = r->profiles;
        au->deltas = r->deltas;
    }
    for (size_t i = 0; i < r->n; i++) {
        const struct cdp_segment_stat *s = &r->segments[i];
        long k = cdp_audiences_find(au, s->name, strlen(s->name));
        if (k < 0)
            continue;
        if (s->defined) {
            au->members[(size_t)k * au->nnights + f->night] = (double)s->members;
            au->holdout[(size_t)k * au->nnights + f->night] = (double)s->holdout;
        }
        if (last) {
            au->entered[k] = s->entered;
            au->exited[k] = s->exited;
            au->revenue[k] = s->revenue;
            au->defined[k] = s->defined;
        }
    }
    f->night++;
    return 0;
}

int cdp_audiences_read_history(struct cdp_audience_figures *au, const char *path,
                               struct cdp_error *err)
{
    if (cdp_history_read(path, collect, au, err) < 0) {
        cdp_audiences_release(au);
        memset(au, 0, sizeof *au);
        return -1;
    }
    if (au->nsegments)
        qsort(au->names, au->nsegments, sizeof *au->names, by_name);
    size_t cells = au->nsegments * au->nnights;
    au->members = cdp_xmalloc((cells ? cells : 1) * sizeof *au->members);
    au->holdout = cdp_xmalloc((cells ? cells : 1) * sizeof *au->holdout);
    for (size_t i = 0; i < cells; i++)
        au->members[i] = au->holdout[i] = NAN;
    size_t n = au->nsegments ? au->nsegments : 1;
    au->entered = cdp_xcalloc(n, sizeof *au->entered);
    au->exited = cdp_xcalloc(n, sizeof *au->exited);
    au->revenue = cdp_xcalloc(n, sizeof *au->revenue);
    au->defined = cdp_xcalloc(n, sizeof *au->defined);
    au->overlap = cdp_xcalloc(n * n, sizeof *au->overlap);
    struct filling f = { au, 0 };
    /* The file was read whole a moment ago; a failure now is a race with
     * a writer, reported the same way. */
    if (cdp_history_read(path, fill, &f, err) < 0) {
        cdp_audiences_release(au);
        memset(au, 0, sizeof *au);
        return -1;
    }
    return 0;
}

struct members {
    const struct cdp_audience_figures *au;
    long idx[256];
    size_t n;
};

static void member(void *ctx, const char *s, size_t len)
{
    struct members *m = ctx;
    long k = cdp_audiences_find(m->au, s, len);
    if (k >= 0 && m->n < sizeof m->idx / sizeof *m->idx)
        m->idx[m->n++] = k;
}

void cdp_audiences_add_profile(struct cdp_audience_figures *au, const struct cdp_record *profile,
                               struct cdp_nested *nested)
{
    const struct cdp_field *segs = cdp_record_gets(profile, "segments");
    if (au->nsegments && segs && segs->type == CDP_ARRAY) {
        struct members m = { au, { 0 }, 0 };
        cdp_json_each_string(nested->parser, segs->val, segs->vlen, member, &m);
        for (size_t i = 0; i < m.n; i++)
            for (size_t j = 0; j < m.n; j++)
                au->overlap[(size_t)m.idx[i] * au->nsegments + (size_t)m.idx[j]]++;
    }
    double r, f, revenue = 0;
    if (cdp_nested_parse(nested, cdp_record_gets(profile, "rfm")) &&
        cdp_field_number(&nested->rec, "r", &r) && cdp_field_number(&nested->rec, "f", &f) &&
        r >= 1 && r <= 5 && f >= 1 && f <= 5) {
        cdp_field_number(profile, "revenue", &revenue);
        au->rfm_profiles++;
        au->rfm_count[(int)r - 1][(int)f - 1]++;
        au->rfm_revenue[(int)r - 1][(int)f - 1] += revenue;
    }
}

void cdp_audiences_release(struct cdp_audience_figures *au)
{
    for (size_t i = 0; i < au->nsegments; i++)
        free(au->names[i]);
    free(au->names);
    free(au->days);
    free(au->members);
    free(au->holdout);
    free(au->entered);
    free(au->exited);
    free(au->revenue);
    free(au->defined);
    free(au->overlap);
}
