/* page.c: see page.h. The page is written top to bottom: the head (title,
 * date, the sections' links, tonight's headline figures with their change
 * since the night before), then one function per section, each made of
 * small blocks (a table, a chart, a note). */
#include "insight/page.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "insight/audiences.h"
#include "insight/run.h"
#include "insight/svg.h"
#include "insight/texts.h"

#define MAX_LINES 8   /* series in one line chart */
#define TOP_BARS 10   /* rows in a top list */
#define OVERLAP_WIDE 12
#define OVERLAP_NARROW 6

struct page {
    const struct cdp_insight *fig;
    const struct cdp_page_options *opt;
    enum cdp_lang lang;
    struct cdp_buf *b;
    struct cdp_buf t; /* scratch for formatted figures */
};

/* Every chart is drawn twice (svg.h): for a column of a laptop's page
 * and for a phone; the style sheet shows one. 520 units is half the 1100
 * px content area, and also fits a printed A4 page (about 720 px) at its
 * own size; 340 fits a 390 px phone less the page's margins. No chart
 * spans the whole width: 1100 units would print at two thirds, 8 px text. */
static const struct cdp_svg_size WIDE = { 520, "w" };
static const struct cdp_svg_size NARROW = { 340, "n" };

static const char STYLE[] =
    ":root{--ink:#1d2733;--muted:#5b6b7d;--line:#e3e8ef;--card:#fff;--bg:#f4f6fa;--accent:#1f54a0;"
    "--up:#1b7f4a;--down:#b3261e;--warn:#8a5a00}"
    "*{box-sizing:border-box}"
    "body{margin:0;background:var(--bg);color:var(--ink);"
    "font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}"
    "header{background:#16324f;color:#fff;padding:18px 24px 12px}"
    "header h1{margin:0;font-size:22px}header p{margin:2px 0 10px;color:#c9d6e6}"
    "header>div{max-width:1108px;margin:0 auto}"
    "nav{display:flex;flex-wrap:wrap;gap:2px 18px}nav a{color:#fff;text-decoration:none;font-size:14px;opacity:.85}"
    "nav a:hover{opacity:1;text-decoration:underline}"
    "main{max-width:1140px;margin:0 auto;padding:16px}"
    "section{background:var(--card);border:1px solid var(--line);border-radius:10px;"
    "padding:16px 20px;margin:16px 0}"
    "h2{margin:0 0 12px;font-size:19px}h3{margin:18px 0 8px;font-size:15px;color:var(--muted)}"
    ".kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin:0 0 8px}"
    ".kpi{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:10px 14px}"
    ".kpi b{display:block;font-size:24px;font-variant-numeric:tabular-nums;white-space:nowrap}"
    ".kpi span{display:block;color:var(--muted);font-size:13px}.kpi i{font-style:normal;font-size:13px}"
    ".grid2{display:grid;grid-template-columns:1fr 1fr;gap:8px 28px;align-items:start}"
    ".grid2>div{min-width:0}"
    "table{border-collapse:collapse;width:100%;font-size:14px;font-variant-numeric:tabular-nums}"
    ".scroll{overflow-x:auto}"
    "th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}"
    "th:first-child,td:first-child{text-align:left}th{color:var(--muted);font-weight:600}"
    "td.l,th.l{text-align:left}td.wrap{white-space:normal}tr.sum td{border-top:2px solid var(--line)}"
    "code{font-size:13px}"
    ".note{color:var(--muted);font-size:14px}.error{color:var(--down)}"
    ".verdict{font-weight:600;padding:8px 12px;border-radius:8px;margin:8px 0}"
    ".v-up{background:#e6f4ea;color:var(--up)}.v-down{background:#fce8e6;color:var(--down)}"
    ".v-too_few,.v-no_holdout,.v-no_data{background:#fff6e5;color:var(--warn)}"
    "svg.chart{width:100%;height:auto;display:block;margin:4px 0 8px}svg.chart.n{display:none}"
    "svg text{font-size:12px;fill:var(--ink)}"
    "svg .tick,svg .legend{fill:var(--muted)}svg .grid{stroke:var(--line)}svg .axis,svg .zero{stroke:#9aa7b6}"
    "svg .bar{fill:#4a7fc1}svg .value{fill:var(--ink)}svg .cell{fill:var(--ink)}svg .dark{fill:#fff}"
    "svg .sub{font-size:10px;fill:var(--muted)}svg .sub.dark{fill:#dfe8f5}"
    "svg path{fill:none;stroke-width:2.5}svg .ci line{stroke:#9aa7b6;stroke-width:2.5}"
    "svg .ci.up line{stroke:var(--up)}svg .ci.down line{stroke:var(--down)}svg .estimate{fill:var(--ink)}"
    "svg .axis-title{fill:var(--muted)}"
    ".s0{stroke:#1f54a0;fill:#1f54a0}.s1{stroke:#e07b1a;fill:#e07b1a}.s2{stroke:#2a9d8f;fill:#2a9d8f}"
    ".s3{stroke:#b3261e;fill:#b3261e}.s4{stroke:#7b4fb0;fill:#7b4fb0}.s5{stroke:#7a8b99;fill:#7a8b99}"
    ".s6{stroke:#c9a227;fill:#c9a227}.s7{stroke:#3b8bd0;fill:#3b8bd0}svg g path{fill:none}"
    ".spark{width:80px;height:20px;vertical-align:middle}.spark path{stroke:#1f54a0;stroke-width:2;fill:none}"
    ".up{color:var(--up)}.down{color:var(--down)}"
    "footer{color:var(--muted);font-size:13px;text-align:center;padding:12px}a{color:var(--accent)}"
    "@media(max-width:760px){.grid2{grid-template-columns:1fr}main{padding:8px}"
    "section{padding:12px;margin:10px 0}header{padding:14px 12px 8px}nav{gap:2px 12px}"
    ".kpis{grid-template-columns:1fr 1fr;gap:8px}.kpi b{font-size:20px}}"
    "@media(max-width:600px){svg.chart.w{display:none}svg.chart.n{display:block}.opt{display:none}"
    "table{font-size:13px}th,td{padding:4px 6px}}"
    "@media print{body{background:#fff;font-size:12px}header{background:#fff;color:var(--ink);"
    "border-bottom:2px solid var(--ink)}header p{color:var(--muted)}nav{display:none}main{max-width:none}"
    "section{border:0;padding:0;margin:12px 0}svg.chart.w{display:block!important}"
    "svg.chart.n{display:none!important}.scroll{overflow:visible}table{font-size:11px}th,td{padding:3px 5px}"
    "table,svg,.kpis,h3{break-inside:avoid}h2,h3{break-after:avoid}}";

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

static void fmt_points1(struct cdp_buf *b, double v, void *ctx)
{
    cdp_fmt_points(b, *(enum cdp_lang *)ctx, v, 1);
}

static void fmt_signed2(struct cdp_buf *b, double v, void *ctx)
{
    cdp_fmt_signed(b, *(enum cdp_lang *)ctx, v, 2);
}

static void fmt_money2(struct cdp_buf *b, double v, void *ctx)
{
    if (isfinite(v) && v > 0)
        cdp_buf_addc(b, '+');
    cdp_fmt_money(b, *(enum cdp_lang *)ctx, v, 2);
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

/* ---- blocks ----------------------------------------------------------------- */

static void h3(struct page *p, const char *title)
{
    raw(p, "<h3>");
    h(p, title);
    raw(p, "</h3>");
}

static void note(struct page *p, const char *text)
{
    raw(p, "<p class=\"note\">");
    h(p, text);
    raw(p, "</p>");
}

/* A headline figure; delta (the change since the night before, formatted)
 * may be NULL. */
static void kpi(struct page *p, const char *value, const char *label, const char *delta)
{
    raw(p, "<div class=\"kpi\"><b>");
    h(p, value);
    raw(p, "</b><span>");
    h(p, label);
    raw(p, "</span>");
    if (delta) {
        raw(p, "<i class=\"note\">");
        h(p, delta);
        raw(p, "</i>");
    }
    raw(p, "</div>");
}

static void kpi_count(struct page *p, double v, const char *label, const char *delta)
{
    struct cdp_buf value = CDP_BUF_INIT;
    cdp_fmt_number(&value, p->lang, v, 0);
    kpi(p, value.data, label, delta);
    cdp_buf_release(&value);
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

static void section_close(struct page *p)
{
    raw(p, "</section>\n");
}

/* Column classes: text columns align left; optional ones are left out on
 * a phone, where the table would otherwise scroll past its key figures. */
enum { LEFT = 1, OPT = 2 };

static const char *const column_class[4] = { "", " class=\"l\"", " class=\"opt\"", " class=\"l opt\"" };

/* A table's header row: the first cell (left), then the given texts with
 * their classes (kinds[i], LEFT | OPT; kinds NULL: numbers). */
static void table_head(struct page *p, const char *first, const enum cdp_text *cols, const int *kinds, size_t n)
{
    raw(p, "<div class=\"scroll\"><table><tr><th>");
    h(p, first);
    raw(p, "</th>");
    for (size_t i = 0; i < n; i++) {
        cdp_buf_printf(p->b, "<th%s>", column_class[kinds ? kinds[i] & 3 : 0]);
        h(p, T(p, cols[i]));
        raw(p, "</th>");
    }
    raw(p, "</tr>");
}

/* Opens a cell of that kind. */
static void td(struct page *p, int kind)
{
    cdp_buf_printf(p->b, "<td%s>", column_class[kind & 3]);
}

static void table_end(struct page *p)
{
    raw(p, "</table></div>");
}

/* ---- charts, each in its two sizes ----------------------------------------- */

static void chart_lines(struct page *p, const struct cdp_svg_lines *c)
{
    cdp_svg_lines(p->b, &WIDE, c);
    cdp_svg_lines(p->b, &NARROW, c);
}

static void chart_bars(struct page *p, const struct cdp_svg_bars *c)
{
    cdp_svg_bars(p->b, &WIDE, c);
    cdp_svg_bars(p->b, &NARROW, c);
}

static void chart_columns(struct page *p, const struct cdp_svg_bars *c)
{
    cdp_svg_columns(p->b, &WIDE, c);
    cdp_svg_columns(p->b, &NARROW, c);
}

static void chart_intervals(struct page *p, const struct cdp_svg_intervals *c)
{
    cdp_svg_intervals(p->b, &WIDE, c);
    cdp_svg_intervals(p->b, &NARROW, c);
}

/* Bars of the first TOP_BARS of a list (sorted), titled; "none" when
 * empty. */
static void top_bars(struct page *p, const struct cdp_named_list *l, const char *title, bool as_money)
{
    h3(p, title);
    size_t n = l->n < TOP_BARS ? l->n : TOP_BARS;
    if (n == 0) {
        note(p, T(p, CDP_T_NONE));
        return;
    }
    const char *lab[TOP_BARS], *vl[TOP_BARS];
    double v[TOP_BARS];
    struct labels keepers = { 0 };
    for (size_t i = 0; i < n; i++) {
        lab[i] = l->v[i].name;
        v[i] = l->v[i].value;
        struct cdp_buf *s = scratch(p);
        if (as_money)
            cdp_fmt_money(s, p->lang, v[i], 0);
        else
            cdp_fmt_number(s, p->lang, v[i], 0);
        vl[i] = keep(&keepers, s);
    }
    chart_bars(p, &(struct cdp_svg_bars){ title, n, lab, v, vl });
    labels_free(&keepers);
}

/* The night labels for charts over the given days. */
static void day_labels(struct page *p, const int64_t *days, size_t n, struct labels *out, const char **xl)
{
    for (size_t i = 0; i < n; i++) {
        struct cdp_buf *s = scratch(p);
        cdp_fmt_date_short(s, p->lang, days[i]);
        xl[i] = keep(out, s);
    }
}

/* ---- night against night ------------------------------------------------------ */

/* The night kept before tonight (its index in the run's nights), or -1. */
static long night_before(const struct cdp_insight *fig)
{
    long best = -1;
    for (size_t i = 0; i < fig->run.nnights; i++)
        if (fig->run.nights[i].day < fig->as_of_day &&
            (best < 0 || fig->run.nights[i].day > fig->run.nights[best].day))
            best = (long)i;
    return best;
}

/* A count summed over stats files: cdp-ingest's (program NULL: every
 * source) or one program's; NaN when there is no such file. */
static double files_count(const struct cdp_stats_file *f, size_t n, const char *program, const char *name)
{
    double sum = NAN;
    for (size_t i = 0; i < n; i++)
        if (program ? !strcmp(f[i].program, program) : f[i].source != NULL)
            sum = (isnan(sum) ? 0 : sum) + cdp_stats_count(&f[i], name);
    return sum;
}

/* "+2 since 21 Nov" into out, for now against the night before (day);
 * NULL when either is unknown. */
static const char *since(struct page *p, double now, double before, int64_t day, struct cdp_buf *out)
{
    if (!isfinite(now) || !isfinite(before) || day < 0)
        return NULL;
    struct cdp_buf change = CDP_BUF_INIT, date = CDP_BUF_INIT;
    cdp_fmt_signed(&change, p->lang, now - before, 0);
    cdp_fmt_date_short(&date, p->lang, day);
    cdp_buf_reset(out);
    if (now == before)
        cdp_buf_printf(out, T(p, CDP_T_UNCHANGED_SINCE), date.data);
    else
        cdp_buf_printf(out, T(p, CDP_T_DELTA_SINCE), change.data, date.data);
    cdp_buf_release(&change);
    cdp_buf_release(&date);
    return out->data;
}

/* Members and held-out members of a segment on the history's night day
 * (NaN when it is not there). */
static double segment_total(const struct cdp_audience_figures *au, const char *name, int64_t day)
{
    long s = cdp_audiences_find(au, name, strlen(name));
    for (size_t i = 0; s >= 0 && i < au->nnights; i++)
        if (au->days[i] == day)
            return au->members[(size_t)s * au->nnights + i] + au->holdout[(size_t)s * au->nnights + i];
    return NAN;
}

static void head_kpis(struct page *p)
{
    const struct cdp_insight *fig = p->fig;
    const struct cdp_run_figures *run = &fig->run;
    long k = night_before(fig);
    const struct cdp_stats_file *bf = k >= 0 ? run->nights[k].files : NULL;
    size_t bn = k >= 0 ? run->nights[k].nfiles : 0;
    int64_t day = k >= 0 ? run->nights[k].day : -1;
    struct cdp_buf d = CDP_BUF_INIT;
    double now;
    raw(p, "<div class=\"kpis\">");
    kpi_count(p, (double)fig->identity.persons, T(p, CDP_T_KPI_PERSONS),
              since(p, (double)fig->identity.persons, files_count(bf, bn, "cdp-segment", "read"), day, &d));
    now = files_count(run->files, run->nfiles, NULL, "rejected");
    kpi_count(p, isfinite(now) ? now : 0, T(p, CDP_T_KPI_REJECTED),
              since(p, now, files_count(bf, bn, NULL, "rejected"), day, &d));
    now = files_count(run->files, run->nfiles, "cdp-segment", "memberships");
    kpi_count(p, isfinite(now) ? now : 0, T(p, CDP_T_KPI_MEMBERSHIPS),
              since(p, now, files_count(bf, bn, "cdp-segment", "memberships"), day, &d));
    kpi_count(p, (double)fig->carts.abandoned, T(p, CDP_T_KPI_CARTS),
              since(p, (double)fig->carts.abandoned, segment_total(&fig->audiences, "abandoned_cart", day), day, &d));
    struct cdp_buf *s = scratch(p);
    cdp_fmt_money(s, p->lang, fig->carts.value, 0);
    kpi(p, s->data, T(p, CDP_T_KPI_CART_VALUE), NULL);
    raw(p, "</div>");
    cdp_buf_release(&d);
}

/* ---- 1. the run ------------------------------------------------------------- */

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static void rejects_link(struct page *p, const struct cdp_stats_file *f)
{
    if (!f->rejects || !f->rejects_lines) {
        h(p, T(p, CDP_T_NONE));
        return;
    }
    raw(p, "<a href=\"");
    h(p, p->opt->local_links ? base_name(f->rejects) : f->rejects);
    raw(p, "\">");
    h(p, base_name(f->rejects));
    raw(p, "</a>");
}

static void run_table(struct page *p)
{
    static const enum cdp_text cols[] = { CDP_T_READ, CDP_T_WRITTEN, CDP_T_REJECTED, CDP_T_INVALID,
                                          CDP_T_REJECTS_FILE };
    static const char *const counts[] = { "read", "written", "rejected", "invalid" };
    static const int kinds[] = { 0, 0, 0, 0, OPT }; /* a phone cannot open the file anyway */
    const struct cdp_run_figures *run = &p->fig->run;
    table_head(p, T(p, CDP_T_SOURCE), cols, kinds, 5);
    for (size_t i = 0; i < run->nfiles; i++) {
        const struct cdp_stats_file *f = &run->files[i];
        if (!f->source)
            continue;
        raw(p, "<tr><td>");
        h(p, f->source);
        for (size_t k = 0; k < 4; k++) {
            raw(p, "</td><td>");
            count(p, cdp_stats_count(f, counts[k]));
        }
        raw(p, "</td>");
        td(p, OPT);
        rejects_link(p, f);
        raw(p, "</td></tr>");
    }
    table_end(p);
}

/* A group's counts over every source ("source: reason"), as top bars. */
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
    cdp_named_sort(&all);
    raw(p, "<div>");
    top_bars(p, &all, T(p, title), false);
    raw(p, "</div>");
    cdp_buf_release(&name);
    cdp_named_release(&all);
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
    raw(p, "<div>");
    h3(p, T(p, title));
    chart_lines(p, &(struct cdp_svg_lines){ T(p, title), n, xl, series, ns, fmt_count, &p->lang });
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
    h3(p, T(p, CDP_T_PROGRAMS));
    raw(p, "<div class=\"scroll\"><table><tr><th>");
    h(p, T(p, CDP_T_PROGRAM));
    raw(p, "</th><th class=\"l\">");
    h(p, T(p, CDP_T_COUNTS));
    raw(p, "</th></tr>");
    for (size_t i = 0; i < run->nfiles; i++) {
        const struct cdp_stats_file *f = &run->files[i];
        if (f->source)
            continue;
        raw(p, "<tr><td>");
        h(p, f->program);
        raw(p, "</td><td class=\"l wrap\">");
        for (size_t k = 0; k < f->counts.n; k++) {
            if (k)
                raw(p, ", ");
            h(p, f->counts.v[k].name);
            raw(p, " ");
            count(p, f->counts.v[k].value);
        }
        raw(p, "</td></tr>");
    }
    table_end(p);
}

static void page_run(struct page *p)
{
    section_open(p, "run", CDP_T_SEC_RUN, CDP_SEC_RUN);
    run_table(p);
    raw(p, "<div class=\"grid2\">");
    group_bars(p, "rejected_by_reason", CDP_T_TOP_REASONS);
    group_bars(p, "invalid_by_field", CDP_T_TOP_FIELDS);
    raw(p, "</div>");
    if (p->fig->run.nnights < 2)
        note(p, T(p, CDP_T_ONE_NIGHT));
    raw(p, "<div class=\"grid2\">");
    run_trend(p, CDP_T_TREND_READ, "read", NULL);
    run_trend(p, CDP_T_TREND_BAD, "rejected", "invalid");
    raw(p, "</div>");
    programs_table(p);
    section_close(p);
}

/* ---- 2. identity ------------------------------------------------------------ */

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
    h3(p, T(p, title));
    chart_columns(p, &(struct cdp_svg_bars){ T(p, title), n, lab, v, vl });
    labels_free(&keepers);
}

/* "merged since 21 Nov 2026" (or since the journal began). */
static void journal_label(struct page *p, enum cdp_text what, struct cdp_buf *out)
{
    const struct cdp_identity_figures *id = &p->fig->identity;
    struct cdp_buf date = CDP_BUF_INIT, when = CDP_BUF_INIT;
    if (id->journal_since_known) {
        cdp_fmt_date(&date, p->lang, id->journal_since_day);
        cdp_buf_printf(&when, T(p, CDP_T_SINCE), date.data);
    } else {
        cdp_buf_adds(&when, T(p, CDP_T_SINCE_START));
    }
    cdp_buf_reset(out);
    cdp_buf_printf(out, "%s, %s", T(p, what), when.data);
    cdp_buf_release(&date);
    cdp_buf_release(&when);
}

static void identity_kpis(struct page *p)
{
    const struct cdp_identity_figures *id = &p->fig->identity;
    raw(p, "<div class=\"kpis\">");
    kpi_count(p, (double)id->persons, T(p, CDP_T_KPI_PERSONS), NULL);
    kpi_count(p, (double)id->records, T(p, CDP_T_RECORDS), NULL);
    kpi_count(p, (double)id->cross_source, T(p, CDP_T_CROSS_SOURCE), NULL);
    if (id->journal_read) {
        struct cdp_buf label = CDP_BUF_INIT;
        journal_label(p, CDP_T_MERGED, &label);
        kpi_count(p, (double)id->merged, label.data, NULL);
        journal_label(p, CDP_T_SPLIT, &label);
        kpi_count(p, (double)id->split, label.data, NULL);
        cdp_buf_release(&label);
    }
    raw(p, "</div>");
}

static void identity_charts(struct page *p)
{
    static const char *const bins[CDP_RECORD_BINS] = { "1", "2", "3", "4", "5", "6–10", "11–20", "21+" };
    static const char *const wbins[CDP_WEIGHT_BINS] = { "<5", "5–10", "10–15", "15–20",
                                                        "20–25", "25–30", "30–35", "35+" };
    const struct cdp_identity_figures *id = &p->fig->identity;
    raw(p, "<div class=\"grid2\"><div>");
    columns(p, CDP_T_RECORDS_PER_PERSON, bins, id->record_bins, CDP_RECORD_BINS);
    raw(p, "</div><div>");
    if (id->links_read)
        top_bars(p, &id->used_by_key, T(p, CDP_T_LINKS_USED), false);
    raw(p, "</div><div>");
    if (id->links_read)
        top_bars(p, &id->refused_by_reason, T(p, CDP_T_LINKS_REFUSED), false);
    raw(p, "</div><div>");
    if (id->model_links) {
        columns(p, CDP_T_MODEL, wbins, id->weight_bins, CDP_WEIGHT_BINS);
    } else if (id->links_read) {
        /* Without a links file nothing says whether --model was used: the
         * section's problem note says the file is missing. */
        h3(p, T(p, CDP_T_MODEL));
        note(p, T(p, CDP_T_NO_MODEL));
    }
    raw(p, "</div></div>");
}

/* The merges and splits since the night before, as the journal has them
 * (link values masked unless shown: persons.c). */
static void journal_table(struct page *p)
{
    static const enum cdp_text cols[] = { CDP_T_ID_INTO, CDP_T_HOW };
    static const int kinds[] = { LEFT, LEFT };
    const struct cdp_identity_figures *id = &p->fig->identity;
    if (!id->journal_read)
        return;
    struct cdp_buf title = CDP_BUF_INIT, date = CDP_BUF_INIT;
    if (id->journal_since_known) {
        cdp_fmt_date(&date, p->lang, id->journal_since_day);
        cdp_buf_printf(&title, T(p, CDP_T_JOURNAL), date.data);
    } else {
        cdp_buf_adds(&title, T(p, CDP_T_JOURNAL_ALL));
    }
    h3(p, title.data);
    if (id->nlines == 0)
        note(p, T(p, CDP_T_NO_JOURNAL_LINES));
    for (size_t i = 0; i < id->nlines; i++) {
        const struct cdp_journal_line *l = &id->lines[i];
        if (i == 0)
            table_head(p, T(p, CDP_T_ID_FROM), cols, kinds, 2);
        raw(p, "<tr><td><code>");
        h(p, l->from);
        raw(p, "</code></td><td class=\"l\"><code>");
        h(p, l->to);
        raw(p, "</code></td><td class=\"l\">");
        struct cdp_buf *s = scratch(p);
        if (!strcmp(l->reason, "merged")) {
            cdp_buf_reset(&date);
            cdp_buf_printf(&date, "%s %s", l->key ? l->key : "", l->value ? l->value : "");
            cdp_buf_printf(s, T(p, CDP_T_MERGED_BY), date.data);
        } else {
            cdp_buf_adds(s, T(p, CDP_T_SPLIT_OFF));
        }
        h(p, s->data);
        raw(p, "</td></tr>");
        if (i + 1 == id->nlines)
            table_end(p);
    }
    cdp_buf_release(&title);
    cdp_buf_release(&date);
}

static void clusters_table(struct page *p)
{
    static const enum cdp_text cols[] = { CDP_T_NAME, CDP_T_RECORDS, CDP_T_SOURCES, CDP_T_EMAILS,
                                          CDP_T_PHONES, CDP_T_CARDS };
    static const int kinds[] = { LEFT, 0, LEFT, OPT, OPT, OPT };
    const struct cdp_identity_figures *id = &p->fig->identity;
    h3(p, T(p, CDP_T_LARGEST));
    table_head(p, "cdp_id", cols, kinds, 6);
    for (size_t i = 0; i < id->nclusters; i++) {
        const struct cdp_cluster *c = &id->clusters[i];
        raw(p, "<tr><td><code>");
        h(p, c->cdp_id);
        raw(p, "</code></td>");
        td(p, LEFT);
        h(p, c->name ? c->name : "—");
        raw(p, "</td><td>");
        count(p, (double)c->records);
        raw(p, "</td>");
        td(p, LEFT);
        h(p, c->sources);
        raw(p, "</td>");
        td(p, OPT);
        count(p, (double)c->emails);
        raw(p, "</td>");
        td(p, OPT);
        count(p, (double)c->phones);
        raw(p, "</td>");
        td(p, OPT);
        count(p, (double)c->cards);
        raw(p, "</td></tr>");
    }
    table_end(p);
}

static void page_identity(struct page *p)
{
    section_open(p, "identity", CDP_T_SEC_IDENTITY, CDP_SEC_IDENTITY);
    identity_kpis(p);
    identity_charts(p);
    journal_table(p);
    clusters_table(p);
    section_close(p);
}

/* ---- 3. audiences ----------------------------------------------------------- */

/* Members of segment s `back` nights before the history's last (NaN when
 * not there). */
static double members(const struct cdp_audience_figures *au, size_t s, size_t back)
{
    return au->nnights > back ? au->members[s * au->nnights + au->nnights - 1 - back] : NAN;
}

/* Segments in order of tonight's size, largest first. */
static size_t *by_size(const struct cdp_audience_figures *au)
{
    size_t *order = cdp_xmalloc((au->nsegments ? au->nsegments : 1) * sizeof *order);
    for (size_t i = 0; i < au->nsegments; i++)
        order[i] = i;
    for (size_t i = 1; i < au->nsegments; i++)
        for (size_t j = i; j > 0; j--) {
            double a = members(au, order[j], 0), b = members(au, order[j - 1], 0);
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
    raw(p, "<svg class=\"spark\" viewBox=\"0 0 80 20\" aria-hidden=\"true\"><path d=\"");
    bool pen = false;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i])) {
            pen = false;
            continue;
        }
        double x = n > 1 ? 2 + 76.0 * (double)i / (double)(n - 1) : 40;
        double y = hi > lo ? 17 - 14 * (v[i] - lo) / (hi - lo) : 10;
        cdp_buf_printf(p->b, "%c%.1f %.1f", pen ? 'L' : 'M', x, y);
        if (n == 1)
            cdp_buf_printf(p->b, "L%.1f %.1f", x + 1, y);
        pen = true;
    }
    raw(p, "\"/></svg>");
}

static void segment_row(struct page *p, size_t s)
{
    const struct cdp_audience_figures *au = &p->fig->audiences;
    double now = members(au, s, 0), d = now - members(au, s, 1);
    raw(p, "<tr><td>");
    h(p, au->names[s]);
    raw(p, "</td>");
    td(p, OPT);
    sparkline(p, au->members + s * au->nnights, au->nnights);
    raw(p, "</td><td>");
    count(p, now);
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
    raw(p, "</td>");
    td(p, OPT);
    money(p, au->revenue[s], 0);
    raw(p, "</td></tr>");
}

static void segment_table(struct page *p, const size_t *order)
{
    static const enum cdp_text with[] = { CDP_T_TREND, CDP_T_MEMBERS, CDP_T_CHANGE, CDP_T_ENTERED,
                                          CDP_T_EXITED, CDP_T_HOLDOUT, CDP_T_REVENUE };
    static const enum cdp_text without[] = { CDP_T_TREND, CDP_T_MEMBERS, CDP_T_CHANGE, CDP_T_HOLDOUT,
                                             CDP_T_REVENUE };
    static const int with_kinds[] = { OPT, 0, 0, 0, 0, 0, OPT }, without_kinds[] = { OPT, 0, 0, 0, OPT };
    const struct cdp_audience_figures *au = &p->fig->audiences;
    if (au->deltas)
        table_head(p, T(p, CDP_T_SEGMENT), with, with_kinds, 7);
    else
        table_head(p, T(p, CDP_T_SEGMENT), without, without_kinds, 5);
    for (size_t k = 0; k < au->nsegments; k++)
        segment_row(p, order[k]);
    table_end(p);
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
    h3(p, T(p, CDP_T_SEGMENT_SIZES));
    chart_lines(p, &(struct cdp_svg_lines){ T(p, CDP_T_SEGMENT_SIZES), au->nnights, xl, series, n,
                                                  fmt_count, &p->lang });
    labels_free(&keepers);
    free(xl);
}

/* The segments that changed most since the night before, by how much. */
static void movers(struct page *p)
{
    const struct cdp_audience_figures *au = &p->fig->audiences;
    struct cdp_named_list l = { 0 };
    for (size_t s = 0; s < au->nsegments; s++) {
        double d = members(au, s, 0) - members(au, s, 1);
        if (isfinite(d) && d != 0)
            cdp_named_add(&l, au->names[s], strlen(au->names[s]), fabs(d));
    }
    cdp_named_sort(&l);
    h3(p, T(p, CDP_T_MOVERS));
    size_t n = l.n < 6 ? l.n : 6;
    const char *lab[6], *vl[6];
    double v[6];
    struct labels keepers = { 0 };
    for (size_t i = 0; i < n; i++) {
        long s = cdp_audiences_find(au, l.v[i].name, strlen(l.v[i].name));
        struct cdp_buf *t = scratch(p);
        cdp_fmt_signed(t, p->lang, members(au, (size_t)s, 0) - members(au, (size_t)s, 1), 0);
        lab[i] = l.v[i].name;
        v[i] = l.v[i].value;
        vl[i] = keep(&keepers, t);
    }
    if (n)
        chart_bars(p, &(struct cdp_svg_bars){ T(p, CDP_T_MOVERS), n, lab, v, vl });
    else
        note(p, T(p, CDP_T_NO_MOVERS));
    labels_free(&keepers);
    cdp_named_release(&l);
}

/* The overlap of the n largest non-empty segments: rows named, columns
 * numbered as the rows are (names would not fit above the cells). */
static void overlap_grid(struct page *p, const size_t *idx, size_t n, const struct cdp_svg_size *size)
{
    const struct cdp_audience_figures *au = &p->fig->audiences;
    const char *rl[OVERLAP_WIDE], *cl[OVERLAP_WIDE];
    double v[OVERLAP_WIDE * OVERLAP_WIDE];
    const char *text[OVERLAP_WIDE * OVERLAP_WIDE];
    struct labels keepers = { 0 };
    for (size_t r = 0; r < n; r++) {
        struct cdp_buf *t = scratch(p);
        cdp_buf_printf(t, "%zu %s", r + 1, au->names[idx[r]]);
        rl[r] = keep(&keepers, t);
        t = scratch(p);
        cdp_buf_printf(t, "%zu", r + 1);
        cl[r] = keep(&keepers, t);
        for (size_t c = 0; c < n; c++) {
            double x = (double)au->overlap[idx[r] * au->nsegments + idx[c]];
            v[r * n + c] = r == c ? 0 : x;
            t = scratch(p);
            if (x > 0 || r == c)
                cdp_fmt_number(t, p->lang, x, 0);
            text[r * n + c] = keep(&keepers, t);
        }
    }
    cdp_svg_grid(p->b, size, &(struct cdp_svg_grid){ T(p, CDP_T_OVERLAP), n, n, rl, cl, v, text, NULL, NULL, NULL });
    labels_free(&keepers);
}

static void overlap(struct page *p, const size_t *order)
{
    const struct cdp_audience_figures *au = &p->fig->audiences;
    size_t n = 0, idx[OVERLAP_WIDE];
    for (size_t k = 0; k < au->nsegments && n < OVERLAP_WIDE; k++)
        if (au->overlap[order[k] * au->nsegments + order[k]])
            idx[n++] = order[k];
    if (n == 0)
        return;
    h3(p, T(p, CDP_T_OVERLAP));
    overlap_grid(p, idx, n, &WIDE);
    overlap_grid(p, idx, n < OVERLAP_NARROW ? n : OVERLAP_NARROW, &NARROW);
}

static void rfm(struct page *p)
{
    static const char *const rows[5] = { "5", "4", "3", "2", "1" };
    static const char *const cols[5] = { "1", "2", "3", "4", "5" };
    const struct cdp_audience_figures *au = &p->fig->audiences;
    h3(p, T(p, CDP_T_RFM));
    if (!au->rfm_profiles) {
        note(p, T(p, CDP_T_NONE));
        return;
    }
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
    struct cdp_svg_grid g = { T(p, CDP_T_RFM), 5, 5, rows, cols, v, text, sub, T(p, CDP_T_RECENCY),
                              T(p, CDP_T_FREQUENCY) };
    cdp_svg_grid(p->b, &WIDE, &g);
    cdp_svg_grid(p->b, &NARROW, &g);
    labels_free(&keepers);
}

static void page_audiences(struct page *p)
{
    section_open(p, "audiences", CDP_T_SEC_AUDIENCES, CDP_SEC_AUDIENCES);
    size_t *order = by_size(&p->fig->audiences);
    if (p->fig->audiences.nsegments) {
        raw(p, "<div class=\"grid2\"><div>");
        segment_lines(p, order);
        raw(p, "</div><div>");
        movers(p);
        raw(p, "</div></div>");
        segment_table(p, order);
        raw(p, "<div class=\"grid2\"><div>");
        rfm(p);
        raw(p, "</div><div>");
        overlap(p, order);
        raw(p, "</div></div>");
    }
    free(order);
    section_close(p);
}

/* ---- 4. campaigns ----------------------------------------------------------- */

static void campaign_head(struct page *p, const struct cdp_campaign *c)
{
    static const char *const classes[] = { "no_data", "no_holdout", "too_few", "up", "down" };
    static const enum cdp_text verdicts[] = { CDP_T_V_NO_DATA, CDP_T_V_NO_HOLDOUT, CDP_T_V_TOO_FEW,
                                              CDP_T_V_UP, CDP_T_V_DOWN };
    struct cdp_buf date = CDP_BUF_INIT, window = CDP_BUF_INIT, observed = CDP_BUF_INIT;
    cdp_fmt_date(&date, p->lang, c->day);
    struct cdp_buf *t = scratch(p);
    cdp_buf_printf(t, T(p, CDP_T_CAMPAIGN), c->segment, date.data);
    h3(p, t->data);
    cdp_buf_printf(&window, "%d", c->window);
    cdp_buf_printf(&observed, "%d", c->observed);
    t = scratch(p);
    cdp_buf_printf(t, T(p, CDP_T_WINDOW), window.data, observed.data);
    note(p, t->data);
    cdp_buf_printf(p->b, "<div class=\"verdict v-%s\">", classes[c->verdict]);
    h(p, T(p, verdicts[c->verdict]));
    raw(p, "</div>");
    cdp_buf_release(&date);
    cdp_buf_release(&window);
    cdp_buf_release(&observed);
}

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
    raw(p, "</td>");
    td(p, OPT);
    cdp_fmt_number(p->b, p->lang, a->n ? a->orders_pp.mean : NAN, 2);
    raw(p, "</td></tr>");
}

typedef void (*fmt_fn)(struct cdp_buf *, double, void *);

/* One row of the comparison: a label and, per measure, a value given by
 * pick (the difference, an interval's ends or a p-value). */
static void compare_cell(struct page *p, double v, double high, fmt_fn fmt, int kind)
{
    td(p, kind);
    if (!isfinite(v)) {
        raw(p, "—");
    } else if (isfinite(high)) {
        fmt(p->b, v, &p->lang);
        raw(p, " … ");
        fmt(p->b, high, &p->lang);
    } else {
        fmt(p->b, v, &p->lang);
    }
    raw(p, "</td>");
}

static void fmt_p(struct cdp_buf *b, double v, void *ctx)
{
    cdp_fmt_number(b, *(enum cdp_lang *)ctx, v, 3);
}

/* The arms, then the difference, its 95% interval and p-value, each
 * under the measure it is about. */
static void campaign_table(struct page *p, const struct cdp_campaign *c)
{
    static const enum cdp_text cols[] = { CDP_T_PEOPLE, CDP_T_CONVERSION, CDP_T_REVENUE_PP, CDP_T_ORDERS_PP };
    static const int kinds[] = { 0, 0, 0, OPT };
    table_head(p, T(p, CDP_T_ARM), cols, kinds, 4);
    arm_row(p, CDP_T_SENT, &c->sent);
    arm_row(p, CDP_T_HELD, &c->held);
    if (c->verdict >= CDP_VERDICT_TOO_FEW) {
        raw(p, "<tr class=\"sum\"><td>");
        h(p, T(p, CDP_T_DIFFERENCE));
        raw(p, "</td><td></td>");
        compare_cell(p, c->uplift, NAN, fmt_points1, 0);
        compare_cell(p, c->revenue.diff, NAN, fmt_money2, 0);
        compare_cell(p, c->orders.diff, NAN, fmt_signed2, OPT);
        raw(p, "</tr><tr><td>");
        h(p, T(p, CDP_T_CI));
        raw(p, "</td><td></td>");
        compare_cell(p, c->uplift_ci.low, c->uplift_ci.high, fmt_points1, 0);
        compare_cell(p, c->revenue.ci.low, c->revenue.ci.high, fmt_money2, 0);
        compare_cell(p, c->orders.ci.low, c->orders.ci.high, fmt_signed2, OPT);
        raw(p, "</tr><tr><td>");
        h(p, T(p, CDP_T_P_VALUE));
        raw(p, "</td><td></td>");
        compare_cell(p, c->p, NAN, fmt_p, 0);
        compare_cell(p, c->revenue.p, NAN, fmt_p, 0);
        compare_cell(p, c->orders.p, NAN, fmt_p, OPT);
        raw(p, "</tr>");
    }
    table_end(p);
}

static void campaign(struct page *p, const struct cdp_campaign *c)
{
    campaign_head(p, c);
    campaign_table(p, c);
    if (c->verdict < CDP_VERDICT_TOO_FEW)
        return;
    const char *lab[1] = { T(p, CDP_T_CONVERSION) };
    raw(p, "<div class=\"grid2\"><div>");
    h3(p, T(p, CDP_T_UPLIFT_CHART));
    chart_intervals(p, &(struct cdp_svg_intervals){ T(p, CDP_T_UPLIFT_CHART), 1, lab, &c->uplift,
                                                          &c->uplift_ci.low, &c->uplift_ci.high, fmt_points,
                                                          &p->lang });
    raw(p, "</div></div>");
}

static void page_campaigns(struct page *p)
{
    section_open(p, "campaigns", CDP_T_SEC_CAMPAIGNS, CDP_SEC_CAMPAIGNS);
    if (p->fig->ncampaigns == 0)
        note(p, T(p, CDP_T_NO_CAMPAIGNS));
    for (size_t i = 0; i < p->fig->ncampaigns; i++)
        campaign(p, &p->fig->campaigns[i]);
    if (p->fig->ncampaigns)
        note(p, T(p, CDP_T_METHOD));
    section_close(p);
}

/* ---- 5. carts and categories ------------------------------------------------ */

static void cart_kpis(struct page *p)
{
    const struct cdp_cart_figures *c = &p->fig->carts;
    struct cdp_buf value = CDP_BUF_INIT, label = CDP_BUF_INIT, n = CDP_BUF_INIT;
    raw(p, "<div class=\"kpis\">");
    kpi_count(p, (double)c->abandoned, T(p, CDP_T_ABANDONED), NULL);
    cdp_fmt_money(&value, p->lang, c->value, 0);
    kpi(p, value.data, T(p, CDP_T_CART_VALUE), NULL);
    cdp_buf_printf(&n, "%d", CDP_CART_DAYS);
    cdp_buf_printf(&label, T(p, CDP_T_CARTS_CREATED), n.data);
    kpi_count(p, (double)c->created, label.data, NULL);
    cdp_buf_reset(&value);
    cdp_fmt_percent(&value, p->lang, c->rate, 1);
    kpi(p, value.data, T(p, CDP_T_ABANDON_RATE), NULL);
    if (c->previous_read) {
        cdp_buf_reset(&n);
        cdp_fmt_date_short(&n, p->lang, c->previous_day);
        cdp_buf_reset(&label);
        cdp_buf_printf(&label, T(p, CDP_T_RECOVERED), n.data);
        cdp_buf_reset(&value);
        cdp_fmt_money(&value, p->lang, c->recovered_value, 0);
        cdp_buf_reset(&n);
        cdp_fmt_percent(&n, p->lang, c->recovery_rate, 1);
        cdp_buf_printf(&n, " %s, %s", T(p, CDP_T_RECOVERY_RATE), value.data);
        kpi_count(p, (double)c->recovered, label.data, n.data);
    }
    raw(p, "</div>");
    cdp_buf_release(&value);
    cdp_buf_release(&label);
    cdp_buf_release(&n);
}

static void cart_trend(struct page *p)
{
    const struct cdp_audience_figures *au = &p->fig->audiences;
    long s = cdp_audiences_find(au, "abandoned_cart", 14);
    h3(p, T(p, CDP_T_CART_TREND));
    if (s < 0 || au->nnights == 0) {
        note(p, T(p, CDP_T_NONE));
        return;
    }
    double *v = cdp_xmalloc(au->nnights * sizeof *v);
    for (size_t i = 0; i < au->nnights; i++)
        v[i] = au->members[(size_t)s * au->nnights + i] + au->holdout[(size_t)s * au->nnights + i];
    const char **xl = cdp_xmalloc(au->nnights * sizeof *xl);
    struct labels keepers = { 0 };
    day_labels(p, au->days, au->nnights, &keepers, xl);
    struct cdp_svg_series series = { T(p, CDP_T_ABANDONED), v };
    chart_lines(p, &(struct cdp_svg_lines){ T(p, CDP_T_CART_TREND), au->nnights, xl, &series, 1,
                                                  fmt_count, &p->lang });
    labels_free(&keepers);
    free(xl);
    free(v);
}

static void category_bars(struct page *p, bool furnishing)
{
    const struct cdp_cart_figures *c = &p->fig->carts;
    struct cdp_named_list l = { 0 };
    for (size_t i = 0; i < c->ncategories; i++) {
        const struct cdp_category *k = &c->categories[i];
        double v = furnishing ? (double)k->furnishing : k->revenue;
        if (v > 0)
            cdp_named_add(&l, k->name, strlen(k->name), v);
    }
    cdp_named_sort(&l);
    top_bars(p, &l, T(p, furnishing ? CDP_T_ROOMS : CDP_T_TOP_CATEGORIES), !furnishing);
    cdp_named_release(&l);
}

static void category_table(struct page *p)
{
    static const enum cdp_text cols[] = { CDP_T_BUYERS, CDP_T_ORDERS, CDP_T_REVENUE, CDP_T_VIEWERS };
    const struct cdp_cart_figures *c = &p->fig->carts;
    h3(p, T(p, CDP_T_CATEGORIES));
    table_head(p, T(p, CDP_T_CATEGORY), cols, NULL, 4);
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
    table_end(p);
}

static void page_carts(struct page *p)
{
    section_open(p, "carts", CDP_T_SEC_CARTS, CDP_SEC_CARTS);
    cart_kpis(p);
    raw(p, "<div class=\"grid2\"><div>");
    cart_trend(p);
    raw(p, "</div><div>");
    category_bars(p, true);
    raw(p, "</div><div>");
    category_bars(p, false);
    raw(p, "</div><div>");
    category_table(p);
    raw(p, "</div></div>");
    section_close(p);
}

/* ---- the page --------------------------------------------------------------- */

static void head(struct page *p, const char *title, const char *date)
{
    static const char *const ids[] = { "run", "identity", "audiences", "campaigns", "carts" };
    static const enum cdp_text names[] = { CDP_T_NAV_RUN, CDP_T_NAV_IDENTITY, CDP_T_NAV_AUDIENCES,
                                           CDP_T_NAV_CAMPAIGNS, CDP_T_NAV_CARTS };
    raw(p, "</head>\n<body><header><div><h1>");
    h(p, title);
    raw(p, "</h1><p>");
    struct cdp_buf *s = scratch(p);
    cdp_buf_printf(s, T(p, CDP_T_AS_OF), date);
    h(p, s->data);
    raw(p, "</p><nav>");
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        cdp_buf_printf(p->b, "<a href=\"#%s\">", ids[i]);
        h(p, T(p, names[i]));
        raw(p, "</a>");
    }
    raw(p, "</nav></div></header><main>");
}

void cdp_insight_page(const struct cdp_insight *fig, const struct cdp_page_options *opt, struct cdp_buf *out)
{
    struct page p = { fig, opt, opt->lang, out, CDP_BUF_INIT };
    struct cdp_buf date = CDP_BUF_INIT, title = CDP_BUF_INIT;
    if (fig->as_of_day >= 0)
        cdp_fmt_date(&date, p.lang, fig->as_of_day);
    else
        cdp_buf_adds(&date, T(&p, CDP_T_NO_DATE));
    cdp_buf_printf(&title, "%s%s%s", opt->title ? opt->title : "", opt->title ? ": " : "", T(&p, CDP_T_TITLE));
    cdp_buf_printf(out, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
                        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                        "<meta http-equiv=\"Content-Security-Policy\" "
                        "content=\"default-src 'none'; style-src 'unsafe-inline'\"><title>",
                   cdp_lang_code(p.lang));
    h(&p, title.data);
    raw(&p, " — ");
    h(&p, date.data);
    raw(&p, "</title><style>");
    raw(&p, STYLE);
    raw(&p, "</style>");
    head(&p, title.data, date.data);
    head_kpis(&p);
    page_run(&p);
    page_identity(&p);
    page_audiences(&p);
    page_campaigns(&p);
    page_carts(&p);
    raw(&p, "</main><footer>");
    struct cdp_buf *s = scratch(&p);
    cdp_buf_printf(s, T(&p, CDP_T_FOOTER), opt->folder);
    h(&p, s->data);
    raw(&p, "</footer></body></html>\n");
    cdp_buf_release(&date);
    cdp_buf_release(&title);
    cdp_buf_release(&p.t);
}
