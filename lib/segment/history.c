/* history.c: the report and history files; see history.h. */
#include "segment/history.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/json.h"
#include "io/lines.h"
#include "io/output.h"
#include "io/runfile.h"
#include "norm/date.h"

void cdp_segment_report_release(struct cdp_segment_report *r)
{
    free(r->segments);
    r->segments = NULL;
    r->n = 0;
}

static void format_stat(struct cdp_buf *b, const struct cdp_segment_stat *s, bool deltas)
{
    cdp_json_add_string(b, s->name, strlen(s->name));
    cdp_buf_printf(b, ":{\"members\":%llu,\"holdout\":%llu", (unsigned long long)s->members,
                   (unsigned long long)s->holdout);
    if (deltas)
        cdp_buf_printf(b, ",\"entered\":%llu,\"exited\":%llu", (unsigned long long)s->entered,
                       (unsigned long long)s->exited);
    cdp_buf_printf(b, ",\"revenue\":%.2f,\"revenue_mean\":", s->revenue);
    if (s->members)
        cdp_buf_printf(b, "%.2f", s->revenue / (double)s->members);
    else
        cdp_buf_adds(b, "null");
    if (s->defined)
        cdp_buf_printf(b, ",\"errors\":%llu", (unsigned long long)s->errors);
    else
        cdp_buf_adds(b, ",\"defined\":false");
    cdp_buf_addc(b, '}');
}

void cdp_segment_report_format(const struct cdp_segment_report *r, struct cdp_buf *out)
{
    int y, mo, d;
    cdp_civil_from_days(r->as_of_day, &y, &mo, &d);
    cdp_buf_printf(out, "{\"as_of\":\"%04d-%02d-%02d\",\"profiles\":%llu", y, mo, d,
                   (unsigned long long)r->profiles);
    if (r->deltas)
        cdp_buf_printf(out, ",\"gone\":%llu", (unsigned long long)r->gone);
    cdp_buf_adds(out, ",\"segments\":{");
    for (size_t i = 0; i < r->n; i++) {
        if (i)
            cdp_buf_addc(out, ',');
        format_stat(out, &r->segments[i], r->deltas);
    }
    cdp_buf_adds(out, "}}");
}

int cdp_segment_report_write(const char *path, const struct cdp_segment_report *r,
                             struct cdp_error *err)
{
    struct cdp_output *o = cdp_segment_report_output(path, r, err);
    return o ? cdp_output_commit(o, err) : -1;
}

/* Appends the report's line to o (NULL: nothing, the open failed). */
static struct cdp_output *add_report_line(struct cdp_output *o, const struct cdp_segment_report *r)
{
    if (!o)
        return NULL;
    struct cdp_buf *b = cdp_output_buffer(o);
    cdp_segment_report_format(r, b);
    cdp_buf_addc(b, '\n');
    return o;
}

struct cdp_output *cdp_segment_report_output(const char *path, const struct cdp_segment_report *r,
                                             struct cdp_error *err)
{
    struct cdp_output_options opt = { 0 };
    return add_report_line(cdp_output_open(path, &opt, err), r);
}

int cdp_history_append(const char *path, const struct cdp_segment_report *r,
                       struct cdp_error *err)
{
    struct cdp_output *o = cdp_history_append_output(path, r, err);
    return o ? cdp_output_commit(o, err) : -1;
}

struct cdp_output *cdp_history_append_output(const char *path, const struct cdp_segment_report *r,
                                             struct cdp_error *err)
{
    struct cdp_output_options opt = { 0 };
    return add_report_line(cdp_output_open_rewrite(path, &opt, err), r);
}

/* ---- reading ------------------------------------------------------------ */

struct reading {
    struct cdp_runfile *rf;
    struct cdp_json_parser *outer, *inner;
    struct cdp_record segments, one;
    struct cdp_buf outer_text, inner_text, names;
    struct cdp_segment_report r;
    size_t cap;
};

/* A JSON text that simdjson can parse in place (padded), in b. */
static const char *padded(struct cdp_buf *b, const char *s, size_t len)
{
    cdp_buf_reset(b);
    cdp_buf_add_padded(b, s, len);
    return b->data;
}

static bool count_of(const struct cdp_record *rec, const char *key, uint64_t *n)
{
    const struct cdp_field *f = cdp_record_gets(rec, key);
    if (!f || f->type != CDP_NUMBER || f->vlen >= 32 || f->val[0] == '-')
        return false;
    char num[32];
    memcpy(num, f->val, f->vlen);
    num[f->vlen] = '\0';
    char *end;
    *n = strtoull(num, &end, 10);
    return *end == '\0';
}

static int read_stat(struct reading *g, const struct cdp_field *f, struct cdp_segment_stat *s,
                     struct cdp_error *err)
{
    struct cdp_error why;
    cdp_record_clear(&g->one);
    if (f->type != CDP_OBJECT ||
        cdp_json_parse_object(g->inner, padded(&g->inner_text, f->val, f->vlen), f->vlen, &g->one, &why))
        return cdp_runfile_damaged(g->rf, err, "segment \"%.*s\" is not an object", (int)f->klen,
                                   f->key);
    memset(s, 0, sizeof *s);
    const struct cdp_field *def = cdp_record_gets(&g->one, "defined");
    s->defined = !def || def->type != CDP_FALSE;
    bool ok = count_of(&g->one, "members", &s->members) &&
              count_of(&g->one, "holdout", &s->holdout) &&
              cdp_field_number(&g->one, "revenue", &s->revenue) &&
              (!g->r.deltas || (count_of(&g->one, "entered", &s->entered) &&
                                count_of(&g->one, "exited", &s->exited))) &&
              (!s->defined || count_of(&g->one, "errors", &s->errors));
    if (!ok)
        return cdp_runfile_damaged(g->rf, err, "segment \"%.*s\" lacks a count", (int)f->klen,
                                   f->key);
    return 0;
}

/* The report on the line just read into rec, into g->r. */
static int read_report(struct reading *g, const struct cdp_record *rec, struct cdp_error *err)
{
    const struct cdp_field *as_of = cdp_record_gets(rec, "as_of");
    struct cdp_datetime dt;
    if (!as_of || as_of->type != CDP_STRING || as_of->vlen != 10 ||
        cdp_datetime_parse(as_of->val, 10, CDP_ORDER_YMD, false, &dt) != CDP_DATE_OK)
        return cdp_runfile_damaged(g->rf, err, "no \"as_of\" date");
    g->r.as_of_day = cdp_days_from_civil(dt.year, dt.month, dt.day);
    g->r.deltas = cdp_record_gets(rec, "gone") != NULL;
    g->r.gone = 0;
    if (!count_of(rec, "profiles", &g->r.profiles) ||
        (g->r.deltas && !count_of(rec, "gone", &g->r.gone)))
        return cdp_runfile_damaged(g->rf, err, "no \"profiles\" or \"gone\" count");
    const struct cdp_field *segs = cdp_record_gets(rec, "segments");
    struct cdp_error why;
    cdp_record_clear(&g->segments);
    if (!segs || segs->type != CDP_OBJECT ||
        cdp_json_parse_object(g->outer, padded(&g->outer_text, segs->val, segs->vlen), segs->vlen,
                              &g->segments, &why))
        return cdp_runfile_damaged(g->rf, err, "no \"segments\" object");
    if (g->segments.n > g->cap) {
        g->cap = g->segments.n;
        g->r.segments = cdp_xrealloc(g->r.segments, g->cap * sizeof *g->r.segments);
    }
    /* The names, NUL-terminated, pointed at once all are in place. */
    cdp_buf_reset(&g->names);
    for (size_t i = 0; i < g->segments.n; i++) {
        if (read_stat(g, &g->segments.f[i], &g->r.segments[i], err) < 0)
            return -1;
        cdp_buf_add(&g->names, g->segments.f[i].key, g->segments.f[i].klen);
        cdp_buf_addc(&g->names, '\0');
    }
    g->r.n = g->segments.n;
    const char *name = g->names.data;
    for (size_t i = 0; i < g->r.n; name += strlen(name) + 1, i++)
        g->r.segments[i].name = name;
    return 0;
}

int cdp_history_read(const char *path, cdp_history_fn fn, void *ctx, struct cdp_error *err)
{
    struct reading g;
    memset(&g, 0, sizeof g);
    if (!(g.rf = cdp_runfile_open(path, "history", false, err)))
        return -1;
    g.outer = cdp_json_parser_new();
    g.inner = cdp_json_parser_new();
    g.segments = (struct cdp_record)CDP_RECORD_INIT;
    g.one = (struct cdp_record)CDP_RECORD_INIT;
    struct cdp_record rec = CDP_RECORD_INIT;
    int k;
    while ((k = cdp_runfile_next(g.rf, &rec, err)) > 0)
        if (read_report(&g, &rec, err) < 0 || fn(ctx, &g.r, err) < 0) {
            k = -1;
            break;
        }
    cdp_record_release(&rec);
    cdp_record_release(&g.segments);
    cdp_record_release(&g.one);
    cdp_buf_release(&g.outer_text);
    cdp_buf_release(&g.inner_text);
    cdp_buf_release(&g.names);
    cdp_json_parser_free(g.outer);
    cdp_json_parser_free(g.inner);
    cdp_segment_report_release(&g.r);
    cdp_runfile_close(g.rf);
    return k < 0 ? -1 : 0;
}

/* ---- the reports of a sharded run ------------------------------------------ */

struct joining {
    struct cdp_segment_report *sum;
    struct cdp_buf names;
    const char *path;
    bool first;
    size_t calls; /* reports in the current file */
};

static int join_one(void *ctx, const struct cdp_segment_report *r, struct cdp_error *err)
{
    struct joining *j = ctx;
    struct cdp_segment_report *s = j->sum;
    if (++j->calls > 1)
        return cdp_errorf(err, "%s: more than one report (a history file?)", j->path);
    if (j->first) {
        j->first = false;
        *s = *r;
        s->segments = cdp_xcalloc(r->n + 1, sizeof *s->segments);
        for (size_t i = 0; i < r->n; i++) {
            s->segments[i] = r->segments[i];
            s->segments[i].name = NULL;
            cdp_buf_adds(&j->names, r->segments[i].name);
            cdp_buf_addc(&j->names, '\0');
        }
        return 0;
    }
    const char *name = j->names.data;
    bool same = r->as_of_day == s->as_of_day && r->deltas == s->deltas && r->n == s->n;
    for (size_t i = 0; same && i < r->n; name += strlen(name) + 1, i++)
        same = strcmp(name, r->segments[i].name) == 0 && r->segments[i].defined == s->segments[i].defined;
    if (!same)
        return cdp_errorf(err, "%s: the report of another run (day, segments or deltas differ)", j->path);
    s->profiles += r->profiles;
    s->gone += r->gone;
    for (size_t i = 0; i < r->n; i++) {
        struct cdp_segment_stat *a = &s->segments[i];
        const struct cdp_segment_stat *b = &r->segments[i];
        a->members += b->members;
        a->holdout += b->holdout;
        a->entered += b->entered;
        a->exited += b->exited;
        a->errors += b->errors;
        a->revenue += b->revenue;
    }
    return 0;
}

int cdp_segment_reports_join(const char *const *paths, size_t n, struct cdp_segment_report *out, char **names,
                             struct cdp_error *err)
{
    memset(out, 0, sizeof *out);
    struct joining j = { out, CDP_BUF_INIT, NULL, true, 0 };
    int status = 0;
    for (size_t i = 0; i < n && status == 0; i++) {
        j.path = paths[i];
        j.calls = 0;
        status = cdp_history_read(paths[i], join_one, &j, err);
        if (status == 0 && j.calls == 0)
            status = cdp_errorf(err, "%s: empty, not a report", paths[i]);
    }
    *names = cdp_buf_detach(&j.names, NULL);
    const char *name = *names;
    for (size_t i = 0; status == 0 && i < out->n; name += strlen(name) + 1, i++)
        out->segments[i].name = name;
    return status;
}
