/* figures.c: see figures.h. The run folder is read in passes, each file
 * once: the history (tonight's date), the stats files, the journal and
 * the links, tonight's segment output (identity, audiences, carts), the
 * kept segment outputs (campaign arms, last night's carts), then the
 * linked events for what people did. */
#include "insight/figures.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "insight/audiences.h"
#include "insight/campaign.h"
#include "insight/carts.h"
#include "insight/persons.h"
#include "insight/run.h"
#include "insight/lang.h"
#include "insight/runfolder.h"
#include "io/reader.h"
#include "norm/date.h"

void cdp_insight_problem(struct cdp_insight *fig, enum cdp_section section, bool error,
                         const char *fmt, ...)
{
    struct cdp_buf b = CDP_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    cdp_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    fig->problems = cdp_xrealloc(fig->problems, (fig->nproblems + 1) * sizeof *fig->problems);
    fig->problems[fig->nproblems++] = (struct cdp_problem){ section, error, cdp_buf_detach(&b, NULL) };
}

void cdp_named_add(struct cdp_named_list *list, const char *name, size_t len, double value)
{
    for (size_t i = 0; i < list->n; i++)
        if (!strncmp(list->v[i].name, name, len) && list->v[i].name[len] == '\0') {
            list->v[i].value += value;
            return;
        }
    if (list->n == list->cap)
        list->v = cdp_xrealloc(list->v, (list->cap = list->cap ? list->cap * 2 : 8) * sizeof *list->v);
    list->v[list->n++] = (struct cdp_named){ cdp_xstrndup(name, len), value };
}

void cdp_named_release(struct cdp_named_list *list)
{
    for (size_t i = 0; i < list->n; i++)
        free(list->v[i].name);
    free(list->v);
    memset(list, 0, sizeof *list);
}

static int by_value(const void *a, const void *b)
{
    const struct cdp_named *x = a, *y = b;
    if (x->value != y->value)
        return x->value < y->value ? 1 : -1;
    return strcmp(x->name, y->name);
}

void cdp_named_sort(struct cdp_named_list *list)
{
    if (list->n)
        qsort(list->v, list->n, sizeof *list->v, by_value);
}

double cdp_named_get(const struct cdp_named_list *list, const char *name)
{
    for (size_t i = 0; i < list->n; i++)
        if (!strcmp(list->v[i].name, name))
            return list->v[i].value;
    return NAN;
}

bool cdp_campaign_spec_parse(const char *s, struct cdp_campaign_spec *spec)
{
    const char *at = strrchr(s, '@');
    struct cdp_datetime dt;
    if (!at || at == s || strlen(at + 1) != 10 ||
        cdp_datetime_parse(at + 1, 10, CDP_ORDER_YMD, false, &dt) != CDP_DATE_OK)
        return false;
    spec->segment = s;
    spec->day = cdp_days_from_civil(dt.year, dt.month, dt.day);
    return true;
}

/* Everything the passes share. */
struct reading {
    const struct cdp_insight_options *opt;
    struct cdp_insight *fig;
    struct cdp_idmap *ids;
    struct cdp_campaign_run **campaigns; /* NULL where the arms are missing */
    struct cdp_carts_run *carts;
    struct cdp_nested nested, inner;
    struct cdp_buf path;
    int64_t *nights;  /* kept under nights/ */
    size_t nnights;
};

static bool kept(const struct reading *g, int64_t day)
{
    for (size_t i = 0; i < g->nnights; i++)
        if (g->nights[i] == day)
            return true;
    return false;
}

/* The last night kept before tonight, or -1. */
static int64_t night_before(const struct reading *g)
{
    int64_t best = -1;
    for (size_t i = 0; i < g->nnights; i++)
        if (g->nights[i] < g->fig->as_of_day && g->nights[i] > best)
            best = g->nights[i];
    return best;
}

/* DIR/nights/DATE/NAME (compressed or not) into g->path; false when absent. */
static bool night_file(struct reading *g, int64_t day, const char *name)
{
    struct cdp_buf dir = CDP_BUF_INIT;
    cdp_runfolder_night(g->opt->dir, day, &dir);
    bool found = cdp_runfolder_find(dir.data, name, &g->path);
    cdp_buf_release(&dir);
    return found;
}

static void read_history(struct reading *g)
{
    struct cdp_insight *fig = g->fig;
    struct cdp_error err;
    fig->as_of_day = -1;
    if (!cdp_runfolder_find(g->opt->dir, "segments-history.ndjson", &g->path)) {
        cdp_insight_problem(fig, CDP_SEC_AUDIENCES, true,
                            "%s: no segment history (cdp-segment --history): no sizes over time",
                            g->path.data);
        return;
    }
    if (cdp_audiences_read_history(&fig->audiences, g->path.data, &err) < 0)
        cdp_insight_problem(fig, CDP_SEC_AUDIENCES, true, "%s", err.msg);
    else if (fig->audiences.nnights)
        fig->as_of_day = fig->audiences.days[fig->audiences.nnights - 1];
}

static void read_identity_files(struct reading *g)
{
    struct cdp_insight *fig = g->fig;
    struct cdp_error err;
    char *journal = NULL;
    if (cdp_runfolder_find(g->opt->dir, "identity.journal.ndjson", &g->path)) {
        journal = cdp_xstrdup(g->path.data);
        int64_t before = night_before(g);
        const char *kept_journal = before >= 0 && night_file(g, before, "identity.journal.ndjson")
                                       ? g->path.data : NULL;
        if (cdp_persons_read_journal(&fig->identity, journal, kept_journal, before, &err) < 0)
            cdp_insight_problem(fig, CDP_SEC_IDENTITY, true, "%s", err.msg);
    } else {
        cdp_insight_problem(fig, CDP_SEC_IDENTITY, false,
                            "%s: no journal (cdp-dedupe --journal): merges and splits not shown", g->path.data);
    }
    if (!(g->ids = cdp_idmap_read(fig->identity.journal_read ? journal : NULL, &err)))
        g->ids = cdp_idmap_read(NULL, &err);
    free(journal);
    if (cdp_runfolder_find(g->opt->dir, "links.ndjson", &g->path)) {
        if (cdp_persons_read_links(&fig->identity, g->path.data, &err) < 0)
            cdp_insight_problem(fig, CDP_SEC_IDENTITY, true, "%s", err.msg);
    } else {
        cdp_insight_problem(fig, CDP_SEC_IDENTITY, false,
                            "%s: no links file (cdp-dedupe --links): links used and refused not shown", g->path.data);
    }
}

static void add_profile(void *ctx, struct cdp_record *rec)
{
    struct reading *g = ctx;
    cdp_persons_add_profile(&g->fig->identity, rec, &g->nested);
    cdp_audiences_add_profile(&g->fig->audiences, rec, &g->nested);
    cdp_carts_add_profile(g->carts, rec, &g->nested, &g->inner);
}

/* Tonight's segment output: identity, audiences, carts and categories. */
static void read_profiles(struct reading *g)
{
    struct cdp_insight *fig = g->fig;
    struct cdp_error err;
    if (!cdp_runfolder_find(g->opt->dir, "segments.ndjson", &g->path)) {
        cdp_insight_problem(fig, CDP_SEC_IDENTITY, true,
                            "%s: no segment output (cdp-segment -o): no persons, overlap, RFM or carts",
                            g->path.data);
        return;
    }
    struct cdp_runfolder_skipped bad = { 0, 0 };
    if (cdp_runfolder_read_rows(g->path.data, add_profile, g, &bad, &err) < 0)
        cdp_insight_problem(fig, CDP_SEC_IDENTITY, true, "%s", err.msg);
    if (bad.lines)
        cdp_insight_problem(fig, CDP_SEC_IDENTITY, true, "%s:%llu: %llu lines are not JSON objects, left out",
                            g->path.data, (unsigned long long)bad.first_line,
                            (unsigned long long)bad.lines);
}

/* The campaigns' arms and last night's carts, from the kept outputs. */
static void read_kept_outputs(struct reading *g)
{
    struct cdp_insight *fig = g->fig;
    struct cdp_error err;
    fig->ncampaigns = g->opt->ncampaigns;
    fig->campaigns = fig->ncampaigns ? cdp_xcalloc(fig->ncampaigns, sizeof *fig->campaigns) : NULL;
    g->campaigns = fig->ncampaigns ? cdp_xcalloc(fig->ncampaigns, sizeof *g->campaigns) : NULL;
    for (size_t i = 0; i < fig->ncampaigns; i++) {
        struct cdp_campaign *c = &fig->campaigns[i];
        c->segment = cdp_xstrdup(g->opt->campaigns[i].segment);
        *strrchr(c->segment, '@') = '\0';
        c->day = g->opt->campaigns[i].day;
        c->window = g->opt->window;
        struct cdp_buf date = CDP_BUF_INIT;
        cdp_fmt_iso_day(&date, c->day);
        if (!kept(g, c->day) || !night_file(g, c->day, "segments.ndjson"))
            cdp_insight_problem(fig, CDP_SEC_CAMPAIGNS, true,
                                "campaign %s@%s: no segment output kept for %s (%s/nights/%s/segments.ndjson.zst)",
                                c->segment, date.data, date.data, g->opt->dir, date.data);
        else if (!(g->campaigns[i] = cdp_campaign_start(c, g->path.data, g->ids, &err)))
            cdp_insight_problem(fig, CDP_SEC_CAMPAIGNS, true, "%s", err.msg);
        else if (fig->audiences.nsegments && cdp_audiences_find(&fig->audiences, c->segment, strlen(c->segment)) < 0)
            cdp_insight_problem(fig, CDP_SEC_CAMPAIGNS, true, "campaign %s@%s: no segment '%s' in the history",
                                c->segment, date.data, c->segment);
        cdp_buf_release(&date);
    }
    int64_t before = night_before(g);
    if (before >= 0 && night_file(g, before, "segments.ndjson")) {
        if (cdp_carts_read_previous(g->carts, g->path.data, before, g->ids, &err) < 0)
            cdp_insight_problem(fig, CDP_SEC_CARTS, true, "%s", err.msg);
    } else {
        cdp_insight_problem(fig, CDP_SEC_CARTS, false,
                            "no segment output kept for the night before: carts recovered not counted");
    }
}

/* A linked event: to the campaigns' arms and the carts. */
static void add_event(void *ctx, struct cdp_record *rec)
{
    struct reading *g = ctx;
    size_t len, tl, ol = 0;
    const char *id = cdp_field_string(rec, "cdp_id", &len);
    const char *ts = cdp_field_string(rec, "ts", &tl);
    int64_t ms;
    double amount = 0;
    if (!id || !ts || !cdp_time_parse(ts, tl, &ms))
        return;
    enum cdp_event_kind kind = cdp_event_classify(rec, &amount);
    if (kind == CDP_EVENT_OTHER)
        return;
    const char *order = cdp_field_string(rec, "order_id", &ol);
    for (size_t i = 0; i < g->fig->ncampaigns; i++)
        if (g->campaigns[i])
            cdp_campaign_event(g->campaigns[i], id, len, kind, amount, ms, order, ol);
    cdp_carts_event(g->carts, id, len, kind, ms);
}

static void read_events(struct reading *g)
{
    struct cdp_insight *fig = g->fig;
    struct cdp_error err;
    if (!cdp_runfolder_find(g->opt->dir, "identified.ndjson", &g->path)) {
        cdp_insight_problem(fig, fig->ncampaigns ? CDP_SEC_CAMPAIGNS : CDP_SEC_CARTS, fig->ncampaigns > 0,
                            "%s: no linked events (cdp-dedupe -o): no outcomes and no carts created",
                            g->path.data);
        return;
    }
    if (cdp_runfolder_read_rows(g->path.data, add_event, g, NULL, &err) < 0)
        cdp_insight_problem(fig, CDP_SEC_CARTS, true, "%s", err.msg);
}

size_t cdp_insight_read(const struct cdp_insight_options *opt, struct cdp_insight *fig)
{
    memset(fig, 0, sizeof *fig);
    struct reading g;
    memset(&g, 0, sizeof g);
    g.opt = opt;
    g.fig = fig;
    cdp_nested_init(&g.nested);
    cdp_nested_init(&g.inner);
    fig->identity.values_shown = opt->show_values;
    g.nnights = cdp_runfolder_nights(opt->dir, &g.nights);
    read_history(&g);
    if (fig->as_of_day < 0 && g.nnights)
        fig->as_of_day = g.nights[g.nnights - 1];
    cdp_run_read(opt, fig);
    read_identity_files(&g);
    g.carts = cdp_carts_start(&fig->carts, fig->as_of_day);
    read_profiles(&g);
    read_kept_outputs(&g);
    read_events(&g);
    for (size_t i = 0; i < fig->ncampaigns; i++) {
        if (g.campaigns[i])
            cdp_campaign_finish(g.campaigns[i], fig->as_of_day);
        else
            cdp_campaign_compare(&fig->campaigns[i]);
        struct cdp_campaign *c = &fig->campaigns[i];
        if (c->verdict == CDP_VERDICT_NO_HOLDOUT)
            cdp_insight_problem(fig, CDP_SEC_CAMPAIGNS, false,
                                "campaign %s: nobody was held out of the segment, so there is no lift to measure",
                                c->segment);
    }
    cdp_carts_finish(g.carts);
    free(g.campaigns);
    free(g.nights);
    cdp_idmap_free(g.ids);
    cdp_nested_release(&g.nested);
    cdp_nested_release(&g.inner);
    cdp_buf_release(&g.path);
    size_t errors = 0;
    for (size_t i = 0; i < fig->nproblems; i++)
        errors += fig->problems[i].error;
    return errors;
}

void cdp_insight_release(struct cdp_insight *fig)
{
    cdp_run_release(&fig->run);
    cdp_persons_release(&fig->identity);
    cdp_audiences_release(&fig->audiences);
    for (size_t i = 0; i < fig->ncampaigns; i++)
        free(fig->campaigns[i].segment);
    free(fig->campaigns);
    cdp_carts_release(&fig->carts);
    for (size_t i = 0; i < fig->nproblems; i++)
        free(fig->problems[i].text);
    free(fig->problems);
}
