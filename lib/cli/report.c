#include "cli/report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io/json.h"
#include "io/output.h"
#include "io/rejects.h"
#include "io/replace.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cdp_report_init(struct cdp_report *r, const char *prog)
{
    memset(r, 0, sizeof *r);
    r->prog = prog;
    r->max_messages = 20;
    r->progress_interval = 0.5;
    r->progress = isatty(STDERR_FILENO);
    r->started = r->last_shown = r->phase_started = now();
    r->timing = getenv("CDP_TIMING") != NULL;
}

void cdp_report_phase(struct cdp_report *r, const char *name)
{
    if (!r->timing)
        return;
    double t = now();
    fprintf(stderr, "%s: %s %.2f s\n", r->prog, name, t - r->phase_started);
    r->phase_started = t;
}

void cdp_report_note(const struct cdp_report *r, const char *fmt, ...)
{
    if (!r->timing)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", r->prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void counts_release(struct cdp_counts *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].key);
        free(c->v[i].label);
    }
    free(c->v);
    c->v = NULL;
    c->n = c->cap = 0;
}

void cdp_report_release(struct cdp_report *r)
{
    counts_release(&r->counts);
    counts_release(&r->details);
}

static struct cdp_count *counts_find(struct cdp_counts *c, const char *key, const char *label)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->v[i].key, key) == 0)
            return &c->v[i];
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->v = cdp_xrealloc(c->v, c->cap * sizeof *c->v);
    }
    struct cdp_count *e = &c->v[c->n++];
    e->key = cdp_xstrdup(key);
    e->label = label ? cdp_xstrdup(label) : NULL;
    e->n = 0;
    return e;
}

static void end_progress_line(struct cdp_report *r)
{
    if (r->progress_line) {
        fputs("\r\033[K", stderr);
        r->progress_line = false;
    }
}

/* Writes "prog: " and the formatted message to stderr as one line, its
 * control characters escaped. */
static void print_line(const char *prog, const char *where, const char *fmt, va_list ap)
{
    struct cdp_buf msg = CDP_BUF_INIT, line = CDP_BUF_INIT;
    if (where)
        cdp_buf_adds(&msg, where);
    cdp_buf_vprintf(&msg, fmt, ap);
    cdp_buf_printf(&line, "%s: ", prog);
    cdp_show_controls(&line, msg.data ? msg.data : "", msg.len);
    cdp_buf_addc(&line, '\n');
    fwrite(line.data, 1, line.len, stderr);
    cdp_buf_release(&msg);
    cdp_buf_release(&line);
}

void cdp_report_data(struct cdp_report *r, const char *file, uint64_t line, const char *fmt, ...)
{
    if (r->shown >= r->max_messages) {
        r->hidden++;
        return;
    }
    r->shown++;
    end_progress_line(r);
    struct cdp_buf where = CDP_BUF_INIT;
    if (file && line)
        cdp_buf_printf(&where, "%s:%llu: ", file, (unsigned long long)line);
    else if (file)
        cdp_buf_printf(&where, "%s: ", file);
    va_list ap;
    va_start(ap, fmt);
    print_line(r->prog, where.data, fmt, ap);
    va_end(ap);
    cdp_buf_release(&where);
}

void cdp_report_value(const struct cdp_report *r, struct cdp_buf *out, const char *s, size_t n,
                      enum cdp_show_kind kind)
{
    cdp_show_value(out, s, n, kind, r->show_values);
}

void cdp_report_quoted(const struct cdp_report *r, struct cdp_buf *out, const char *msg)
{
    cdp_show_quoted(out, msg, strlen(msg), r->show_values);
}

void cdp_report_error(const struct cdp_report *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (r->progress_line)
        fputs("\r\033[K", stderr);
    print_line(r->prog, NULL, fmt, ap);
    va_end(ap);
}

uint64_t cdp_report_add(struct cdp_report *r, const char *key, const char *label, uint64_t n)
{
    struct cdp_count *c = counts_find(&r->counts, key, label);
    c->n += n;
    return c->n;
}

uint64_t cdp_report_get(const struct cdp_report *r, const char *key)
{
    for (size_t i = 0; i < r->counts.n; i++)
        if (strcmp(r->counts.v[i].key, key) == 0)
            return r->counts.v[i].n;
    return 0;
}

void cdp_report_detail(struct cdp_report *r, const char *group, const char *key, uint64_t n)
{
    struct cdp_buf k = CDP_BUF_INIT;
    cdp_buf_printf(&k, "%s\x1F%s", group, key);
    counts_find(&r->details, k.data, NULL)->n += n;
    cdp_buf_release(&k);
}

void cdp_report_tick(struct cdp_report *r, uint64_t rows, uint64_t bytes)
{
    /* Every 4096 rows passed: callers tick per row or per block of rows. */
    bool passed = rows >> 12 != r->progress_rows >> 12;
    r->progress_rows = rows;
    r->progress_bytes = bytes;
    if (!r->progress || !passed)
        return;
    double t = now();
    if (t - r->last_shown < r->progress_interval)
        return;
    r->last_shown = t;
    double secs = t - r->started;
    fprintf(stderr, "\r%s: %llu rows, %.1f MB, %.1f MB/s\033[K", r->prog,
            (unsigned long long)rows, (double)bytes / 1e6,
            secs > 0 ? (double)bytes / 1e6 / secs : 0.0);
    r->progress_line = true;
}

void cdp_report_summary(struct cdp_report *r)
{
    end_progress_line(r);
    if (r->hidden)
        fprintf(stderr, "%s: %u more messages not shown\n", r->prog, r->hidden);
    if (r->quiet)
        return;
    struct cdp_buf b = CDP_BUF_INIT;
    for (size_t i = 0; i < r->counts.n; i++) {
        const struct cdp_count *c = &r->counts.v[i];
        if (!c->label)
            continue;
        cdp_buf_printf(&b, "%s%llu %s", b.len ? ", " : "", (unsigned long long)c->n, c->label);
    }
    fprintf(stderr, "%s: %s\n", r->prog, b.data ? b.data : "done");
    cdp_buf_release(&b);
}

void cdp_report_unwritten(struct cdp_report *r, const char *output, const char *key)
{
    if (!output || strcmp(output, "-") == 0)
        return;
    for (size_t i = 0; i < r->counts.n; i++)
        if (strcmp(r->counts.v[i].key, key) == 0)
            r->counts.v[i].n = 0;
}

int cdp_report_commit(const struct cdp_report *r, struct cdp_output *out, struct cdp_rejects *rejects,
                      const char *stats, struct cdp_output *last, struct cdp_error *err)
{
    struct cdp_replace *files = cdp_replace_new();
    struct cdp_output *rj = rejects ? cdp_rejects_output(rejects) : NULL, *st;
    int rc = out ? cdp_replace_add(files, out, err) : 0;
    if (rc == 0 && rj)
        rc = cdp_replace_add(files, rj, err), rj = NULL;
    if (rc == 0 && stats)
        rc = (st = cdp_report_stats_output(r, stats, NULL, err)) ? cdp_replace_add(files, st, err) : -1;
    if (rc == 0 && last)
        rc = cdp_replace_add(files, last, err), last = NULL;
    if (rc == 0)
        rc = cdp_replace_commit(files, err);
    cdp_output_abort(rj);
    cdp_output_abort(last);
    cdp_replace_free(files);
    return rc;
}

int cdp_report_write_stats(const struct cdp_report *r, const char *path, const char *extra,
                           struct cdp_error *err)
{
    struct cdp_output *o = cdp_report_stats_output(r, path, extra, err);
    return o ? cdp_output_commit(o, err) : -1;
}

struct cdp_output *cdp_report_stats_output(const struct cdp_report *r, const char *path,
                                           const char *extra, struct cdp_error *err)
{
    struct cdp_output *o = cdp_output_open(path, NULL, err);
    if (!o)
        return NULL;
    struct cdp_buf *b = cdp_output_buffer(o);
    cdp_buf_adds(b, "{\"program\":");
    cdp_json_add_string(b, r->prog, strlen(r->prog));
    cdp_buf_adds(b, ",\"counts\":{");
    for (size_t i = 0; i < r->counts.n; i++) {
        if (i)
            cdp_buf_addc(b, ',');
        cdp_json_add_string(b, r->counts.v[i].key, strlen(r->counts.v[i].key));
        cdp_buf_printf(b, ":%llu", (unsigned long long)r->counts.v[i].n);
    }
    cdp_buf_addc(b, '}');
    /* Breakdowns grouped by their group name, in first-use order. */
    bool *done = cdp_xcalloc(r->details.n + 1, sizeof *done);
    for (size_t i = 0; i < r->details.n; i++) {
        if (done[i])
            continue;
        const char *sep = strchr(r->details.v[i].key, '\x1F');
        size_t glen = (size_t)(sep - r->details.v[i].key);
        cdp_buf_addc(b, ',');
        cdp_json_add_string(b, r->details.v[i].key, glen);
        cdp_buf_adds(b, ":{");
        bool first = true;
        for (size_t j = i; j < r->details.n; j++) {
            const char *k = r->details.v[j].key;
            if (done[j] || strncmp(k, r->details.v[i].key, glen + 1) != 0)
                continue;
            done[j] = true;
            if (!first)
                cdp_buf_addc(b, ',');
            first = false;
            cdp_json_add_string(b, k + glen + 1, strlen(k + glen + 1));
            cdp_buf_printf(b, ":%llu", (unsigned long long)r->details.v[j].n);
        }
        cdp_buf_addc(b, '}');
    }
    free(done);
    if (extra && *extra) {
        cdp_buf_addc(b, ',');
        cdp_buf_adds(b, extra);
    }
    cdp_buf_adds(b, "}\n");
    return o;
}
