/* page.c: see page.h. */
#include "insight/page.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "insight/audiences.h"
#include "insight/run.h"
#include "insight/svg.h"
#include "insight/texts.h"

#define MAX_LINES 8 /* series in one line chart */

struct page {
    const struct cdp_insight *fig;
    const struct cdp_page_options *opt;
    enum cdp_lang lang;
    struct cdp_buf *b;
    struct cdp_buf t; /* scratch for formatted figures */
};

static const char STYLE[] =
    ":root{--ink:#1d2733;--muted:#5b6b7d;--line:#e3e8ef;--card:#fff;--bg:#f4f6fa;--accent:#1f54a0;"
    "--up:#1b7f4a;--down:#b3261e;--warn:#8a5a00}"
    "*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--ink);"
    "font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}"
    "header{background:#16324f;color:#fff;padding:20px 24px}header h1{margin:0;font-size:22px}"
    "header p{margin:4px 0 0;color:#c9d6e6}main{max-width:1180px;margin:0 auto;padding:16px}"
    "section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 20px;margin:16px 0}"
    "h2{margin:0 0 12px;font-size:19px}h3{margin:16px 0 8px;font-size:15px;color:var(--muted)}"
    ".kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:12px}"
    ".kpi{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 14px}"
    ".kpi b{display:block;font-size:24px;font-variant-numeric:tabular-nums}.kpi span{color:var(--muted);font-size:13px}"
    ".grid2{display:grid;grid-template-columns:1fr 1fr;gap:20px}@media(max-width:720px){.grid2{grid-template-columns:1fr}"
    "main{padding:8px}section{padding:12px}}"
    "table{border-collapse:collapse;width:100%;font-size:14px;font-variant-numeric:tabular-nums}"
    ".scroll{overflow-x:auto}th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}"
    "th:first-child,td:first-child{text-align:left}th{color:var(--muted);font-weight:600}"
    ".problems{background:#fff6e5;border-color:#f0c36d}.problems li{margin:4px 0}.error{color:var(--down)}"
    ".note{color:var(--muted);font-size:14px}.verdict{font-weight:600;padding:8px 12px;border-radius:8px;margin:8px 0}"
    ".v-up{background:#e6f4ea;color:var(--up)}.v-down{background:#fce8e6;color:var(--down)}"
    ".v-too_few,.v-no_holdout,.v-no_data{background:#fff6e5;color:var(--warn)}"
    "svg.chart{width:100%;max-width:820px;height:auto;display:block;margin:4px 0 8px}svg text{font-size:12px;fill:var(--ink)}"
    "svg .tick,svg .legend{fill:var(--muted)}svg .grid{stroke:var(--line)}svg .axis,svg .zero{stroke:#9aa7b6}"
    "svg .bar{fill:#4a7fc1}svg .value{fill:var(--ink)}svg .cell{fill:var(--ink)}svg .dark{fill:#fff}svg .sub{font-size:10px;fill:var(--muted)}"
    "svg .sub.dark{fill:#dfe8f5}svg path{fill:none;stroke-width:2.5}svg .ci line{stroke:#9aa7b6;stroke-width:2.5}"
    "svg .ci.up line{stroke:var(--up)}svg .ci.down line{stroke:var(--down)}svg .estimate{fill:var(--ink)}"
    "svg .axis-title{fill:var(--muted)}"
    ".s0{stroke:#1f54a0;fill:#1f54a0}.s1{stroke:#e07b1a;fill:#e07b1a}.s2{stroke:#2a9d8f;fill:#2a9d8f}"
    ".s3{stroke:#b3261e;fill:#b3261e}.s4{stroke:#7b4fb0;fill:#7b4fb0}.s5{stroke:#7a8b99;fill:#7a8b99}"
    ".s6{stroke:#c9a227;fill:#c9a227}.s7{stroke:#3b8bd0;fill:#3b8bd0}svg g path{fill:none}"
    ".spark{width:90px;height:22px}.spark path{stroke:#1f54a0;stroke-width:2;fill:none}"
    ".up{color:var(--up)}.down{color:var(--down)}footer{color:var(--muted);font-size:13px;text-align:center;padding:12px}"
    "a{color:var(--accent)}@media print{body{background:#fff}section{break-inside:avoid}}";

static const char *T(struct page *p, enum cdp_text id)
{
    return cdp_text(p->lang, id);
}

static void h(struct page *p, const char *s)
{
    cdp_xml_text(p->b, s);
}

static void raw(struct page *p, const char *s)
{
    cdp_buf_adds(p->b, s);
}

/* The scratch buffer, emptied: for one formatted figure at a time. */
static struct cdp_buf *scratch(struct page *p)
{
    cdp_buf_reset(&p->t);
    return &p->t;
}

static void count(struct page *p, double v)
{
    cdp_fmt_number(p->b, p->lang, v, 0);
}

static void money(struct page *p, double v, int decimals)
{
    cdp_fmt_money(p->b, p->lang, v, decimals);
}

static void fmt_count(struct cdp_buf *b, double v, void *ctx)
{
    cdp_fmt_number(b, *(enum cdp_lang *)ctx, v, fabs(v) < 10 && v != floor(v) ? 1 : 0);
}

static void fmt_points(struct cdp_buf *b, double v, void *ctx)
{
    cdp_fmt_points(b, *(enum cdp_lang *)ctx, v, 0);
}

static void fmt_signed(struct cdp_buf *b, double v, void *ctx)
{
    cdp_fmt_signed(b, *(enum cdp_lang *)ctx, v, fabs(v) < 10 && v != floor(v) ? 2 : 0);
}

/* Strings the charts take, formatted and kept until freed. */
struct labels {
    char **v;
    size_t n;
};

static const char *keep(struct labels *l, struct cdp_buf *s)
{
    l->v = cdp_xrealloc(l->v, (l->n + 1) * sizeof *l->v);
    return l->v[l->n++] = cdp_xstrdup(s->data);
}

static void labels_free(struct labels *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static void kpi(struct page *p, const char *value, const char *label)
{
    raw(p, "<div class=\"kpi\"><b>");
    h(p, value);
    raw(p, "</b><span>");
    h(p, label);
    raw(p, "</span></div>");
}

static void problems(struct page *p, enum cdp_section sec)
{
    const struct cdp_insight *fig = p->fig;
    bool any = false;
    for (size_t i = 0; i < fig->nproblems; i++) {
        if (fig->problems[i].section != sec)
            continue;
        if (!any)
            raw(p, "<ul class=\"note\">");
        any = true;
        raw(p, fig->problems[i].error ? "<li class=\"error\">" : "<li>");
        h(p, fig->problems[i].text);
        raw(p, "</li>");
    }
    if (any)
        raw(p, "</ul>");
}

static void section_open(struct page *p, const char *id, enum cdp_text title, enum cdp_section sec)
{
    cdp_buf_printf(p->b, "<section id=\"%s\"><h2>", id);
    h(p, T(p, title));
    raw(p, "</h2>");
    problems(p, sec);
}

/* The night labels for charts over the given days. */
static void day_labels(struct page *p, const int64_t *days, size_t n, struct labels *out,
                       const char **xl)
{
    for (size_t i = 0; i < n; i++) {
        struct cdp_buf *s = scratch(p);
        cdp_fmt_date_short(s, p->lang, days[i]);
        xl[i] = keep(out, s);
    }
}

/* ---- 1. the run ----------------------------------------------------------- */

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static void run_table(struct page *p)
{
    const struct cdp_run_figures *run = &p->fig->run;
    raw(p, "<div class=\"scroll\"><table><tr><th>");
    h(p, T(p, CDP_T_SOURCE));
    cdp_buf_printf(p->b, "</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>",
                   T(p, CDP_T_READ), T(p, CDP_T_WRITTEN), T(p, CDP_T_REJECTED), T(p, CDP_T_INVALID),
                   T(p, CDP_T_REJECTS_FILE));
    for (size_t i = 0; i < run->nfiles; i++) {
        const struct cdp_stats_file *f = &run->files[i];
        if (!f->source)
            continue;
        raw(p, "<tr><td>");
        h(p, f->source);
        static const char *const cols[] = { "read", "written", "rejected", "invalid" };
        for (size_t k = 0; k < 4; k++) {
            raw(p, "</td><td>");
            count(p, cdp_stats_count(f, cols[k]));
        }
        raw(p, "</td><td>");
        if (f->rejects && f->rejects_lines) {
            raw(p, "<a href=\"");
            h(p, p->opt->local_links ? base_name(f->rejects) : f->rejects);
            raw(p, "\">");
            h(p, base_name(f->rejects));
            raw(p, "</a>");
        } else {
            h(p, T(p, CDP_T_NONE));
        }
        raw(p, "</td></tr>");
    }
    raw(p, "</table></div>");
}

/* Bars of a group's counts over every ingest file ("source: reason"). */
static void group_bars(struct page *p, const char *group, enum cdp_text title)
{
    const struct cdp_run_figures *run = &p->fig->run;
    struct cdp_named_list all = { 0 };
    struct cdp_buf name = CDP_BUF_INIT;
    for (size_t i = 0; i < run->nfiles; i++) {
        const struct cdp_stats_group *g = cdp_stats_group(&run->files[i], group);
        for (size_t k = 0; g && k < g->counts.n; k++) {
            cdp_buf_reset(&name);
            cdp_buf_printf(&name, "%s: %s", run->files[i].source ? run->files[i].source : run->files[i].label,
                           g->counts.v[k].name);
            cdp_named_add(&all, name.data, name.len, g->counts.v[k].value);
        }
    }
    cdp_buf_release(&name);
    cdp_named_sort(&all);
    raw(p, "<div><h3>");
    h(p, T(p, title));
    raw(p, "</h3>");
    if (all.n == 0) {
        raw(p, "<p class=\"note\">");
        h(p, T(p, CDP_T_NONE));
        raw(p, "</p></div>");
        return;
    }
    size_t n = all.n < 10 ? all.n : 10;
    const char *lab[10], *vl[10];
    double v[10];
    struct labels keepers = { 0 };
    for (size_t i = 0; i < n; i++) {
        lab[i] = all.v[i].name;
        v[i] = all.v[i].value;
        struct cdp_buf *s = scratch(p);
        cdp_fmt_number(s, p->lang, v[i], 0);
        vl[i] = keep(&keepers, s);
    }
    cdp_svg_bars(p->b, &(struct cdp_svg_bars){ T(p, title), n, lab, v, vl });
    labels_free(&keepers);
    cdp_named_release(&all);
    raw(p, "</div>");
}

/* A line per source over the kept nights: the sum of the given counts. */
static void run_trend(struct page *p, enum cdp_text title, const char *c1, const char *c2)
{
    const struct cdp_run_figures *run = &p->fig->run;
    size_t n = run->nnights;
    int64_t *days = cdp_xmalloc((n ? n : 1) * sizeof *days);
    const char **xl = cdp_xmalloc((n ? n : 1) * sizeof *xl);
    for (size_t i = 0; i < n; i++)
        days[i] = run->nights[i].day;
    struct labels keepers = { 0 };
    day_labels(p, days, n, &keepers, xl);
    struct cdp_svg_series series[MAX_LINES];
    double *values[MAX_LINES];
    size_t ns = 0;
    for (size_t f = 0; f < run->nfiles && ns < MAX_LINES; f++) {
        if (!run->files[f].source)
            continue;
        values[ns] = cdp_xmalloc((n ? n : 1) * sizeof **values);
        for (size_t i = 0; i < n; i++) {
            values[ns][i] = NAN;
            for (size_t k = 0; k < run->nights[i].nfiles; k++)
                if (!strcmp(run->nights[i].files[k].label, run->files[f].label))
                    values[ns][i] = cdp_stats_count(&run->nights[i].files[k], c1) +
                                    (c2 ? cdp_stats_count(&run->nights[i].files[k], c2) : 0);
        }
        series[ns] = (struct cdp_svg_series){ run->files[f].source, values[ns] };
        ns++;
    }
    raw(p, "<div><h3>");
    h(p, T(p, title));
    raw(p, "</h3>");
    cdp_svg_lines(p->b, &(struct cdp_svg_lines){ T(p, title), n, xl, series, ns, fmt_count, &p->lang });
    raw(p, "</div>");
    for (size_t i = 0; i < ns; i++)
        free(values[i]);
    labels_free(&keepers);
    free(days);
    free(xl);
}

static void programs_table(struct page *p)
{
    const struct cdp_run_figures *run = &p->fig->run;
    raw(p, "<h3>");
    h(p, T(p, CDP_T_PROGRAMS));
    raw(p, "</h3><div class=\"scroll\"><table><tr><th>");
    h(p, T(p, CDP_T_PROGRAM));
    raw(p, "</th><th style=\"text-align:left\">");
    h(p, T(p, CDP_T_COUNTS));
    raw(p, "</th></tr>");
    for (size_t i = 0; i < run->nfiles; i++) {
        const struct cdp_stats_file *f = &run->files[i];
        if (f->source)
            continue;
        raw(p, "<tr><td>");
        h(p, f->program);
        raw(p, "</td><td style=\"text-align:left;white-space:normal\">");
        for (size_t k = 0; k < f->counts.n; k++) {
            if (k)
                raw(p, ", ");
            h(p, f->counts.v[k].name);
            raw(p, " ");
            count(p, f->counts.v[k].value);
        }
        raw(p, "</td></tr>");
    }
    raw(p, "</table></div>");
}

static void page_run(struct page *p)
{
    section_open(p, "run", CDP_T_SEC_RUN, CDP_SEC_RUN);
    run_table(p);
    raw(p, "<div class=\"grid2\">");
    group_bars(p, "rejected_by_reason", CDP_T_TOP_REASONS);
    group_bars(p, "invalid_by_field", CDP_T_TOP_FIELDS);
    raw(p, "</div>");
    if (p->fig->run.nnights < 2) {
        raw(p, "<p class=\"note\">");
        h(p, T(p, CDP_T_ONE_NIGHT));
        raw(p, "</p>");
    }
    raw(p, "<div class=\"grid2\">");
    run_trend(p, CDP_T_TREND_READ, "read", NULL);
    run_trend(p, CDP_T_TREND_BAD, "rejected", "invalid");
    raw(p, "</div>");
    programs_table(p);
    raw(p, "</section>");
}

/* ---- 2. identity ---------------------------------------------------------- */

static void named_bars(struct page *p, const struct cdp_named_list *l, enum cdp_text title)
{
    raw(p, "<div><h3>");
    h(p, T(p, title));
    raw(p, "</h3>");
    size_t n = l->n < 10 ? l->n : 10;
    if (n == 0) {
        raw(p, "<p class=\"note\">");
        h(p, T(p, CDP_T_NONE));
        raw(p, "</p></div>");
        return;
    }
    const char *lab[10], *vl[10];
    double v[10];
    struct labels keepers = { 0 };
    for (size_t i = 0; i < n; i++) {
        lab[i] = l->v[i].name;
        v[i] = l->v[i].value;
        struct cdp_buf *s = scratch(p);
        cdp_fmt_number(s, p->lang, v[i], 0);
        vl[i] = keep(&keepers, s);
    }
    cdp_svg_bars(p->b, &(struct cdp_svg_bars){ T(p, title), n, lab, v, vl });
    labels_free(&keepers);
    raw(p, "</div>");
}

static void columns(struct page *p, enum cdp_text title, const char *const *lab, const uint64_t *counts,
                    size_t n)
{
    double v[16];
    const char *vl[16];
    struct labels keepers = { 0 };
    for (size_t i = 0; i < n; i++) {
        v[i] = (double)counts[i];
        struct cdp_buf *s = scratch(p);
        cdp_fmt_number(s, p->lang, v[i], 0);
        vl[i] = keep(&keepers, s);
    }
    raw(p, "<div><h3>");
    h(p, T(p, title));
    raw(p, "</h3>");
    cdp_svg_columns(p->b, &(struct cdp_svg_bars){ T(p, title), n, lab, v, vl });
    raw(p, "</div>");
    labels_free(&keepers);
}

static void page_identity(struct page *p)
{
    static const char *const bins[CDP_RECORD_BINS] = { "1", "2", "3", "4", "5", "6–10", "11–20", "21+" };
    static const char *const wbins[CDP_WEIGHT_BINS] = { "<5", "5–10", "10–15", "15–20",
                                                        "20–25", "25–30", "30–35", "35+" };
    const struct cdp_identity_figures *id = &p->fig->identity;
    section_open(p, "identity", CDP_T_SEC_IDENTITY, CDP_SEC_IDENTITY);
    raw(p, "<div class=\"kpis\">");
    struct cdp_buf *s = scratch(p);
    cdp_fmt_count(s, p->lang, id->persons);
    kpi(p, s->data, T(p, CDP_T_KPI_PERSONS));
    s = scratch(p);
    cdp_fmt_count(s, p->lang, id->records);
    kpi(p, s->data, T(p, CDP_T_RECORDS));
    s = scratch(p);
    cdp_fmt_count(s, p->lang, id->cross_source);
    kpi(p, s->data, T(p, CDP_T_CROSS_SOURCE));
    if (id->journal_read) {
        struct cdp_buf since = CDP_BUF_INIT, label = CDP_BUF_INIT;
        if (id->journal_since_known) {
            cdp_fmt_date(&since, p->lang, id->journal_since_day);
            cdp_buf_printf(&label, T(p, CDP_T_SINCE), since.data);
        } else {
            cdp_buf_adds(&label, T(p, CDP_T_SINCE_START));
        }
        s = scratch(p);
        cdp_fmt_count(s, p->lang, id->merged);
        cdp_buf_printf(&since, " %s", "");
        struct cdp_buf l2 = CDP_BUF_INIT;
        cdp_buf_printf(&l2, "%s, %s", T(p, CDP_T_MERGED), label.data);
        kpi(p, s->data, l2.data);
        s = scratch(p);
        cdp_fmt_count(s, p->lang, id->split);
        cdp_buf_reset(&l2);
        cdp_buf_printf(&l2, "%s, %s", T(p, CDP_T_SPLIT), label.data);
        kpi(p, s->data, l2.data);
        cdp_buf_release(&since);
        cdp_buf_release(&label);
        cdp_buf_release(&l2);
    }
    raw(p, "</div><div class=\"grid2\">");
    columns(p, CDP_T_RECORDS_PER_PERSON, bins, id->record_bins, CDP_RECORD_BINS);
    if (id->model_links)
        columns(p, CDP_T_MODEL, wbins, id->weight_bins, CDP_WEIGHT_BINS);
    else {
        raw(p, "<div><h3>");
        h(p, T(p, CDP_T_MODEL));
        raw(p, "</h3><p class=\"note\">");
        h(p, T(p, CDP_T_NO_MODEL));
        raw(p, "</p></div>");
    }
    raw(p, "</div>");
    if (id->links_read) {
        raw(p, "<div class=\"grid2\">");
        named_bars(p, &id->used_by_key, CDP_T_LINKS_USED);
        named_bars(p, &id->refused_by_reason, CDP_T_LINKS_REFUSED);
        raw(p, "</div>");
    }
    raw(p, "<h3>");
    h(p, T(p, CDP_T_LARGEST));
    cdp_buf_printf(p->b, "</h3><div class=\"scroll\"><table><tr><th>cdp_id</th><th style=\"text-align:left\">%s</th>"
                         "<th>%s</th><th style=\"text-align:left\">%s</th><th>%s</th><th>%s</th><th>%s</th></tr>",
                   T(p, CDP_T_NAME), T(p, CDP_T_RECORDS), T(p, CDP_T_SOURCES), T(p, CDP_T_EMAILS),
                   T(p, CDP_T_PHONES), T(p, CDP_T_CARDS));
    for (size_t i = 0; i < id->nclusters; i++) {
        const struct cdp_cluster *c = &id->clusters[i];
        raw(p, "<tr><td><code>");
        h(p, c->cdp_id);
        raw(p, "</code></td><td style=\"text-align:left\">");
        h(p, c->name ? c->name : "—");
        raw(p, "</td><td>");
        count(p, (double)c->records);
        raw(p, "</td><td style=\"text-align:left\">");
        h(p, c->sources);
        raw(p, "</td><td>");
        count(p, (double)c->emails);
        raw(p, "</td><td>");
        count(p, (double)c->phones);
        raw(p, "</td><td>");
        count(p, (double)c->cards);
        raw(p, "</td></tr>");
    }
    raw(p, "</table></div></section>");
}

/* ---- 3. audiences --------------------------------------------------------- */

/* Segments in order of tonight's size, largest first. */
static size_t *by_size(const struct cdp_audience_figures *au)
{
    size_t *order = cdp_xmalloc((au->nsegments ? au->nsegments : 1) * sizeof *order);
    for (size_t i = 0; i < au->nsegments; i++)
        order[i] = i;
    for (size_t i = 1; i < au->nsegments; i++)
        for (size_t j = i; j > 0; j--) {
            double a = au->members[order[j] * au->nnights + au->nnights - 1];
            double b = au->members[order[j - 1] * au->nnights + au->nnights - 1];
            a = isfinite(a) ? a : -1, b = isfinite(b) ? b : -1;
            if (a <= b)
                break;
            size_t t = order[j];
            order[j] = order[j - 1], order[j - 1] = t;
        }
    return order;
}

static void sparkline(struct page *p, const double *v, size_t n)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]))
            lo = fmin(lo, v[i]), hi = fmax(hi, v[i]);
    raw(p, "<svg class=\"spark\" viewBox=\"0 0 90 22\" aria-hidden=\"true\"><path d=\"");
    bool pen = false;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i])) {
            pen = false;
            continue;
        }
        double x = n > 1 ? 2 + 86.0 * (double)i / (double)(n - 1) : 45;
        double y = hi > lo ? 19 - 16 * (v[i] - lo) / (hi - lo) : 11;
        cdp_buf_printf(p->b, "%c%.1f %.1f", pen ? 'L' : 'M', x, y);
        if (n == 1)
            cdp_buf_printf(p->b, "L%.1f %.1f", x + 1, y);
        pen = true;
    }
    raw(p, "\"/></svg>");
}

static double tonight(const struct cdp_audience_figures *au, size_t s, size_t back)
{
    return au->nnights > back ? au->members[s * au->nnights + au->nnights - 1 - back] : NAN;
}

static void segment_table(struct page *p, const size_t *order)
{
    const struct cdp_audience_figures *au = &p->fig->audiences;
    cdp_buf_printf(p->b, "<div class=\"scroll\"><table><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th>",
                   T(p, CDP_T_SEGMENT), T(p, CDP_T_TREND), T(p, CDP_T_MEMBERS), T(p, CDP_T_CHANGE));
    if (au->deltas)
        cdp_buf_printf(p->b, "<th>%s</th><th>%s</th>", T(p, CDP_T_ENTERED), T(p, CDP_T_EXITED));
    cdp_buf_printf(p->b, "<th>%s</th><th>%s</th></tr>", T(p, CDP_T_HOLDOUT), T(p, CDP_T_REVENUE));
    for (size_t k = 0; k < au->nsegments; k++) {
        size_t s = order[k];
        double now = tonight(au, s, 0), before = tonight(au, s, 1);
        raw(p, "<tr><td>");
        h(p, au->names[s]);
        raw(p, "</td><td>");
        sparkline(p, au->members + s * au->nnights, au->nnights);
        raw(p, "</td><td>");
        count(p, now);
        double d = now - before;
        cdp_buf_printf(p->b, "</td><td class=\"%s\">", d > 0 ? "up" : d < 0 ? "down" : "");
        cdp_fmt_signed(p->b, p->lang, d, 0);
        if (au->deltas) {
            raw(p, "</td><td>");
            count(p, (double)au->entered[s]);
            raw(p, "</td><td>");
            count(p, (double)au->exited[s]);
        }
        raw(p, "</td><td>");
        count(p, au->holdout[s * au->nnights + au->nnights - 1]);
        raw(p, "</td><td>");
        money(p, au->revenue[s], 0);
        raw(p, "</td></tr>");
    }
    raw(p, "</table></div>");
}

static void segment_lines(struct page *p, const size_t *order)
{
    const struct cdp_audience_figures *au = &p->fig->audiences;
    const char **xl = cdp_xmalloc((au->nnights ? au->nnights : 1) * sizeof *xl);
    struct labels keepers = { 0 };
    day_labels(p, au->days, au->nnights, &keepers, xl);
    struct cdp_svg_series series[MAX_LINES];
    size_t n = au->nsegments < 6 ? au->nsegments : 6;
    for (size_t i = 0; i < n; i++)
        series[i] = (struct cdp_svg_series){ au->names[order[i]], au->members + order[i] * au->nnights };
    raw(p, "<h3>");
    h(p, T(p, CDP_T_SEGMENT_SIZES));
    raw(p, "</h3>");
    cdp_svg_lines(p->b, &(struct cdp_svg_lines){ T(p, CDP_T_SEGMENT_SIZES), au->nnights, xl, series, n,
                                                 fmt_count, &p->lang });
    labels_free(&keepers);
    free(xl);
}

static void movers(struct page *p)
{
    const struct cdp_audience_figures *au = &p->fig->audiences;
    struct cdp_named_list l = { 0 };
    for (size_t s = 0; s < au->nsegments; s++) {
        double d = tonight(au, s, 0) - tonight(au, s, 1);
        if (isfinite(d) && d != 0)
            cdp_named_add(&l, au->names[s], strlen(au->names[s]), fabs(d));
    }
    cdp_named_sort(&l);
    raw(p, "<div><h3>");
    h(p, T(p, CDP_T_MOVERS));
    raw(p, "</h3>");
    if (l.n == 0) {
        raw(p, "<p class=\"note\">");
        h(p, T(p, CDP_T_NO_MOVERS));
        raw(p, "</p>");
    } else {
        size_t n = l.n < 5 ? l.n : 5;
        const char *lab[5], *vl[5];
        double v[5];
        struct labels keepers = { 0 };
        for (size_t i = 0; i < n; i++) {
            long s = -1;
            for (size_t k = 0; k < au->nsegments; k++)
                if (!strcmp(au->names[k], l.v[i].name))
                    s = (long)k;
            struct cdp_buf *t = scratch(p);
            cdp_fmt_signed(t, p->lang, tonight(au, (size_t)s, 0) - tonight(au, (size_t)s, 1), 0);
            lab[i] = l.v[i].name;
            v[i] = l.v[i].value;
            vl[i] = keep(&keepers, t);
        }
        cdp_svg_bars(p->b, &(struct cdp_svg_bars){ T(p, CDP_T_MOVERS), n, lab, v, vl });
        labels_free(&keepers);
    }
    cdp_named_release(&l);
    raw(p, "</div>");
}

static void overlap(struct page *p, const size_t *order)
{
    const struct cdp_audience_figures *au = &p->fig->audiences;
    size_t n = 0, idx[12];
    for (size_t k = 0; k < au->nsegments && n < 12; k++)
        if (au->overlap[order[k] * au->nsegments + order[k]])
            idx[n++] = order[k];
    if (n == 0)
        return;
    const char *rl[12];
    double v[144];
    const char *text[144];
    struct labels keepers = { 0 };
    for (size_t r = 0; r < n; r++) {
        rl[r] = au->names[idx[r]];
        for (size_t c = 0; c < n; c++) {
            double x = (double)au->overlap[idx[r] * au->nsegments + idx[c]];
            v[r * n + c] = r == c ? 0 : x;
            struct cdp_buf *t = scratch(p);
            if (x > 0 || r == c)
                cdp_fmt_number(t, p->lang, x, 0);
            text[r * n + c] = keep(&keepers, t);
        }
    }
    raw(p, "<h3>");
    h(p, T(p, CDP_T_OVERLAP));
    raw(p, "</h3>");
    cdp_svg_grid(p->b, &(struct cdp_svg_grid){ T(p, CDP_T_OVERLAP), n, n, rl, rl, v, text, NULL, NULL, NULL });
    labels_free(&keepers);
}

static void rfm(struct page *p)
{
    const struct cdp_audience_figures *au = &p->fig->audiences;
    if (!au->rfm_profiles)
        return;
    static const char *const rows[5] = { "5", "4", "3", "2", "1" };
    static const char *const cols[5] = { "1", "2", "3", "4", "5" };
    double v[25];
    const char *text[25], *sub[25];
    struct labels keepers = { 0 };
    for (int r = 0; r < 5; r++)
        for (int f = 0; f < 5; f++) {
            int i = r * 5 + f, rr = 4 - r;
            v[i] = (double)au->rfm_count[rr][f];
            struct cdp_buf *t = scratch(p);
            cdp_fmt_number(t, p->lang, v[i], 0);
            text[i] = keep(&keepers, t);
            t = scratch(p);
            if (au->rfm_count[rr][f])
                cdp_fmt_money(t, p->lang, au->rfm_revenue[rr][f], 0);
            sub[i] = keep(&keepers, t);
        }
    raw(p, "<h3>");
    h(p, T(p, CDP_T_RFM));
    raw(p, "</h3>");
    cdp_svg_grid(p->b, &(struct cdp_svg_grid){ T(p, CDP_T_RFM), 5, 5, rows, cols, v, text, sub,
                                               T(p, CDP_T_RECENCY), T(p, CDP_T_FREQUENCY) });
    labels_free(&keepers);
}

static void page_audiences(struct page *p)
{
    section_open(p, "audiences", CDP_T_SEC_AUDIENCES, CDP_SEC_AUDIENCES);
    size_t *order = by_size(&p->fig->audiences);
    if (p->fig->audiences.nsegments) {
        segment_lines(p, order);
        segment_table(p, order);
        raw(p, "<div class=\"grid2\">");
        movers(p);
        raw(p, "<div>");
        rfm(p);
        raw(p, "</div></div>");
        overlap(p, order);
    }
    free(order);
    raw(p, "</section>");
}

/* ---- 4. campaigns --------------------------------------------------------- */

static void arm_row(struct page *p, enum cdp_text name, const struct cdp_arm *a)
{
    raw(p, "<tr><td>");
    h(p, T(p, name));
    raw(p, "</td><td>");
    count(p, (double)a->n);
    raw(p, "</td><td>");
    count(p, (double)a->converted);
    raw(p, " (");
    cdp_fmt_percent(p->b, p->lang, a->n ? (double)a->converted / (double)a->n : NAN, 1);
    raw(p, ")</td><td>");
    money(p, a->n ? a->revenue_pp.mean : NAN, 2);
    raw(p, "</td><td>");
    cdp_fmt_number(p->b, p->lang, a->n ? a->orders_pp.mean : NAN, 2);
    raw(p, "</td></tr>");
}

static void interval_cells(struct page *p, double est, struct cdp_interval ci, double pv,
                           void (*fmt)(struct cdp_buf *, double, void *))
{
    raw(p, "<td>");
    fmt(p->b, est, &p->lang);
    raw(p, "</td><td>");
    if (isfinite(ci.low)) {
        fmt(p->b, ci.low, &p->lang);
        raw(p, " … ");
        fmt(p->b, ci.high, &p->lang);
    } else {
        raw(p, "—");
    }
    raw(p, "</td><td>");
    cdp_fmt_number(p->b, p->lang, pv, 3);
    raw(p, "</td>");
}

static void fmt_points1(struct cdp_buf *b, double v, void *ctx)
{
    cdp_fmt_points(b, *(enum cdp_lang *)ctx, v, 1);
}

static void fmt_money2(struct cdp_buf *b, double v, void *ctx)
{
    if (isfinite(v) && v > 0)
        cdp_buf_addc(b, '+');
    cdp_fmt_money(b, *(enum cdp_lang *)ctx, v, 2);
}

static void campaign(struct page *p, const struct cdp_campaign *c)
{
    static const char *const classes[] = { "no_data", "no_holdout", "too_few", "up", "down" };
    static const enum cdp_text verdicts[] = { CDP_T_V_NO_DATA, CDP_T_V_NO_HOLDOUT, CDP_T_V_TOO_FEW,
                                              CDP_T_V_UP, CDP_T_V_DOWN };
    struct cdp_buf date = CDP_BUF_INIT, a = CDP_BUF_INIT, b = CDP_BUF_INIT;
    cdp_fmt_date(&date, p->lang, c->day);
    raw(p, "<h3>");
    struct cdp_buf *t = scratch(p);
    cdp_buf_printf(t, T(p, CDP_T_CAMPAIGN), c->segment, date.data);
    h(p, t->data);
    raw(p, "</h3><p class=\"note\">");
    cdp_buf_printf(&a, "%d", c->window);
    cdp_buf_printf(&b, "%d", c->observed);
    t = scratch(p);
    cdp_buf_printf(t, T(p, CDP_T_WINDOW), a.data, b.data);
    h(p, t->data);
    cdp_buf_printf(p->b, "</p><div class=\"verdict v-%s\">", classes[c->verdict]);
    h(p, T(p, verdicts[c->verdict]));
    raw(p, "</div>");
    cdp_buf_printf(p->b, "<div class=\"scroll\"><table><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>",
                   T(p, CDP_T_ARM), T(p, CDP_T_PEOPLE), T(p, CDP_T_CONVERSION), T(p, CDP_T_REVENUE_PP),
                   T(p, CDP_T_ORDERS_PP));
    arm_row(p, CDP_T_SENT, &c->sent);
    arm_row(p, CDP_T_HELD, &c->held);
    raw(p, "</table></div>");
    if (c->verdict >= CDP_VERDICT_TOO_FEW) {
        cdp_buf_printf(p->b, "<div class=\"scroll\"><table><tr><th></th><th>%s</th><th>%s</th><th>%s</th></tr>",
                       T(p, CDP_T_UPLIFT), T(p, CDP_T_CI), T(p, CDP_T_P_VALUE));
        raw(p, "<tr><td>");
        h(p, T(p, CDP_T_CONVERSION));
        raw(p, " (");
        h(p, T(p, CDP_T_RELATIVE));
        raw(p, " ");
        cdp_fmt_signed(p->b, p->lang, c->relative * 100, 0);
        raw(p, isfinite(c->relative) ? (p->lang == CDP_LANG_RU ? "\xc2\xa0%)" : "%)") : ")");
        raw(p, "</td>");
        interval_cells(p, c->uplift, c->uplift_ci, c->p, fmt_points1);
        raw(p, "</tr><tr><td>");
        h(p, T(p, CDP_T_REVENUE_PP));
        raw(p, "</td>");
        interval_cells(p, c->revenue.diff, c->revenue.ci, c->revenue.p, fmt_money2);
        raw(p, "</tr><tr><td>");
        h(p, T(p, CDP_T_ORDERS_PP));
        raw(p, "</td>");
        interval_cells(p, c->orders.diff, c->orders.ci, c->orders.p, fmt_signed);
        raw(p, "</tr></table></div>");
        const char *lab[1] = { T(p, CDP_T_CONVERSION) };
        cdp_svg_intervals(p->b, &(struct cdp_svg_intervals){ T(p, CDP_T_UPLIFT_CHART), 1, lab, &c->uplift,
                                                             &c->uplift_ci.low, &c->uplift_ci.high,
                                                             fmt_points, &p->lang });
    }
    cdp_buf_release(&date);
    cdp_buf_release(&a);
    cdp_buf_release(&b);
}

static void page_campaigns(struct page *p)
{
    section_open(p, "campaigns", CDP_T_SEC_CAMPAIGNS, CDP_SEC_CAMPAIGNS);
    if (p->fig->ncampaigns == 0) {
        raw(p, "<p class=\"note\">");
        h(p, T(p, CDP_T_NO_CAMPAIGNS));
        raw(p, "</p>");
    }
    for (size_t i = 0; i < p->fig->ncampaigns; i++)
        campaign(p, &p->fig->campaigns[i]);
    if (p->fig->ncampaigns) {
        raw(p, "<p class=\"note\">");
        h(p, T(p, CDP_T_METHOD));
        raw(p, "</p>");
    }
    raw(p, "</section>");
}

/* ---- 5. carts and categories ---------------------------------------------- */

static void cart_kpis(struct page *p)
{
    const struct cdp_cart_figures *c = &p->fig->carts;
    raw(p, "<div class=\"kpis\">");
    struct cdp_buf *s = scratch(p), label = CDP_BUF_INIT, n = CDP_BUF_INIT;
    cdp_fmt_count(s, p->lang, c->abandoned);
    kpi(p, s->data, T(p, CDP_T_ABANDONED));
    s = scratch(p);
    cdp_fmt_money(s, p->lang, c->value, 0);
    kpi(p, s->data, T(p, CDP_T_CART_VALUE));
    s = scratch(p);
    cdp_fmt_count(s, p->lang, c->created);
    cdp_buf_printf(&n, "%d", CDP_CART_DAYS);
    cdp_buf_printf(&label, T(p, CDP_T_CARTS_CREATED), n.data);
    kpi(p, s->data, label.data);
    s = scratch(p);
    cdp_fmt_percent(s, p->lang, c->rate, 1);
    kpi(p, s->data, T(p, CDP_T_ABANDON_RATE));
    if (c->previous_read) {
        cdp_buf_reset(&n);
        cdp_fmt_date(&n, p->lang, c->previous_day);
        cdp_buf_reset(&label);
        cdp_buf_printf(&label, T(p, CDP_T_RECOVERED), n.data);
        s = scratch(p);
        cdp_fmt_count(s, p->lang, c->recovered);
        cdp_buf_adds(s, " / ");
        cdp_fmt_money(s, p->lang, c->recovered_value, 0);
        kpi(p, s->data, label.data);
        s = scratch(p);
        cdp_fmt_percent(s, p->lang, c->recovery_rate, 1);
        kpi(p, s->data, T(p, CDP_T_RECOVERY_RATE));
    }
    raw(p, "</div>");
    cdp_buf_release(&label);
    cdp_buf_release(&n);
}

static void cart_trend(struct page *p)
{
    const struct cdp_audience_figures *au = &p->fig->audiences;
    long s = cdp_audiences_find(au, "abandoned_cart", 14);
    if (s < 0 || au->nnights == 0)
        return;
    double *v = cdp_xmalloc(au->nnights * sizeof *v);
    for (size_t i = 0; i < au->nnights; i++)
        v[i] = au->members[(size_t)s * au->nnights + i] + au->holdout[(size_t)s * au->nnights + i];
    const char **xl = cdp_xmalloc(au->nnights * sizeof *xl);
    struct labels keepers = { 0 };
    day_labels(p, au->days, au->nnights, &keepers, xl);
    struct cdp_svg_series series = { T(p, CDP_T_ABANDONED), v };
    raw(p, "<div><h3>");
    h(p, T(p, CDP_T_CART_TREND));
    raw(p, "</h3>");
    cdp_svg_lines(p->b, &(struct cdp_svg_lines){ T(p, CDP_T_CART_TREND), au->nnights, xl, &series, 1,
                                                 fmt_count, &p->lang });
    raw(p, "</div>");
    labels_free(&keepers);
    free(xl);
    free(v);
}

static void categories(struct page *p)
{
    const struct cdp_cart_figures *c = &p->fig->carts;
    size_t n = c->ncategories < 10 ? c->ncategories : 10;
    const char *lab[10], *vl[10];
    double v[10];
    struct labels keepers = { 0 };
    for (size_t i = 0; i < n; i++) {
        lab[i] = c->categories[i].name;
        v[i] = c->categories[i].revenue;
        struct cdp_buf *t = scratch(p);
        cdp_fmt_money(t, p->lang, v[i], 0);
        vl[i] = keep(&keepers, t);
    }
    raw(p, "<div><h3>");
    h(p, T(p, CDP_T_TOP_CATEGORIES));
    raw(p, "</h3>");
    cdp_svg_bars(p->b, &(struct cdp_svg_bars){ T(p, CDP_T_TOP_CATEGORIES), n, lab, v, vl });
    raw(p, "</div><div><h3>");
    h(p, T(p, CDP_T_ROOMS));
    raw(p, "</h3>");
    size_t m = 0;
    for (size_t i = 0; i < c->ncategories && m < 10; i++)
        if (c->categories[i].furnishing) {
            lab[m] = c->categories[i].name;
            v[m] = (double)c->categories[i].furnishing;
            struct cdp_buf *t = scratch(p);
            cdp_fmt_number(t, p->lang, v[m], 0);
            vl[m++] = keep(&keepers, t);
        }
    cdp_svg_bars(p->b, &(struct cdp_svg_bars){ T(p, CDP_T_ROOMS), m, lab, v, vl });
    raw(p, "</div>");
    labels_free(&keepers);
    cdp_buf_printf(p->b, "<div class=\"scroll\"><table><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>",
                   T(p, CDP_T_CATEGORY), T(p, CDP_T_BUYERS), T(p, CDP_T_ORDERS), T(p, CDP_T_REVENUE),
                   T(p, CDP_T_VIEWERS));
    for (size_t i = 0; i < c->ncategories; i++) {
        raw(p, "<tr><td>");
        h(p, c->categories[i].name);
        raw(p, "</td><td>");
        count(p, (double)c->categories[i].buyers);
        raw(p, "</td><td>");
        count(p, (double)c->categories[i].orders);
        raw(p, "</td><td>");
        money(p, c->categories[i].revenue, 0);
        raw(p, "</td><td>");
        count(p, (double)c->categories[i].viewers);
        raw(p, "</td></tr>");
    }
    raw(p, "</table></div>");
}

static void page_carts(struct page *p)
{
    section_open(p, "carts", CDP_T_SEC_CARTS, CDP_SEC_CARTS);
    cart_kpis(p);
    raw(p, "<div class=\"grid2\">");
    cart_trend(p);
    raw(p, "</div><div class=\"grid2\">");
    categories(p);
    raw(p, "</div></section>");
}

/* ---- the page ------------------------------------------------------------- */

static void head_kpis(struct page *p)
{
    const struct cdp_insight *fig = p->fig;
    double rejected = 0, memberships = 0;
    for (size_t i = 0; i < fig->run.nfiles; i++) {
        if (fig->run.files[i].source)
            rejected += cdp_stats_count(&fig->run.files[i], "rejected");
        if (!strcmp(fig->run.files[i].program, "cdp-segment"))
            memberships = cdp_stats_count(&fig->run.files[i], "memberships");
    }
    raw(p, "<div class=\"kpis\">");
    struct cdp_buf *s = scratch(p);
    cdp_fmt_count(s, p->lang, fig->identity.persons);
    kpi(p, s->data, T(p, CDP_T_KPI_PERSONS));
    s = scratch(p);
    cdp_fmt_number(s, p->lang, rejected, 0);
    kpi(p, s->data, T(p, CDP_T_KPI_REJECTED));
    s = scratch(p);
    cdp_fmt_number(s, p->lang, memberships, 0);
    kpi(p, s->data, T(p, CDP_T_KPI_MEMBERSHIPS));
    s = scratch(p);
    cdp_fmt_count(s, p->lang, fig->carts.abandoned);
    kpi(p, s->data, T(p, CDP_T_KPI_CARTS));
    s = scratch(p);
    cdp_fmt_money(s, p->lang, fig->carts.value, 0);
    kpi(p, s->data, T(p, CDP_T_KPI_CART_VALUE));
    raw(p, "</div>");
}

void cdp_insight_page(const struct cdp_insight *fig, const struct cdp_page_options *opt,
                      struct cdp_buf *out)
{
    struct page p = { fig, opt, opt->lang, out, CDP_BUF_INIT };
    struct cdp_buf date = CDP_BUF_INIT, title = CDP_BUF_INIT;
    if (fig->as_of_day >= 0)
        cdp_fmt_date(&date, p.lang, fig->as_of_day);
    else
        cdp_buf_adds(&date, T(&p, CDP_T_NO_DATE));
    cdp_buf_printf(&title, "%s%s%s", opt->title ? opt->title : "", opt->title ? ": " : "",
                   T(&p, CDP_T_TITLE));
    cdp_buf_printf(out, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
                        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
                        "<title>", cdp_lang_code(p.lang));
    h(&p, title.data);
    raw(&p, " — ");
    h(&p, date.data);
    raw(&p, "</title><style>");
    raw(&p, STYLE);
    raw(&p, "</style></head>\n<body><header><h1>");
    h(&p, title.data);
    raw(&p, "</h1><p>");
    struct cdp_buf *s = scratch(&p);
    cdp_buf_printf(s, T(&p, CDP_T_AS_OF), date.data);
    h(&p, s->data);
    raw(&p, "</p></header><main>");
    head_kpis(&p);
    page_run(&p);
    raw(&p, "\n");
    page_identity(&p);
    raw(&p, "\n");
    page_audiences(&p);
    raw(&p, "\n");
    page_campaigns(&p);
    raw(&p, "\n");
    page_carts(&p);
    raw(&p, "\n</main><footer>");
    s = scratch(&p);
    cdp_buf_printf(s, T(&p, CDP_T_FOOTER), opt->folder);
    h(&p, s->data);
    raw(&p, "</footer></body></html>\n");
    cdp_buf_release(&date);
    cdp_buf_release(&title);
    cdp_buf_release(&p.t);
}
