/* figjson.c: see figjson.h. */
#include "insight/figjson.h"

#include <math.h>
#include <string.h>

#include "insight/lang.h"
#include "io/json.h"

static void str(struct cdp_buf *b, const char *s)
{
    if (s)
        cdp_json_add_string(b, s, strlen(s));
    else
        cdp_buf_adds(b, "null");
}

static void num(struct cdp_buf *b, double v)
{
    if (!isfinite(v))
        cdp_buf_adds(b, "null");
    else if (v == floor(v) && fabs(v) < 1e15)
        cdp_buf_printf(b, "%.0f", v);
    else
        cdp_buf_printf(b, "%.10g", v);
}

static void key(struct cdp_buf *b, const char *k)
{
    if (b->len && b->data[b->len - 1] != '{' && b->data[b->len - 1] != '[')
        cdp_buf_addc(b, ',');
    str(b, k);
    cdp_buf_addc(b, ':');
}

static void day(struct cdp_buf *b, int64_t d)
{
    if (d < 0) {
        cdp_buf_adds(b, "null");
        return;
    }
    cdp_buf_addc(b, '"');
    cdp_fmt_iso_day(b, d);
    cdp_buf_addc(b, '"');
}

static void comma(struct cdp_buf *b, size_t i)
{
    if (i)
        cdp_buf_addc(b, ',');
}

static void named(struct cdp_buf *b, const struct cdp_named_list *l)
{
    cdp_buf_addc(b, '{');
    for (size_t i = 0; i < l->n; i++) {
        key(b, l->v[i].name);
        num(b, l->v[i].value);
    }
    cdp_buf_addc(b, '}');
}

static void stats_files(struct cdp_buf *b, const struct cdp_stats_file *f, size_t n)
{
    cdp_buf_addc(b, '{');
    for (size_t i = 0; i < n; i++) {
        key(b, f[i].label);
        cdp_buf_addc(b, '{');
        key(b, "program");
        str(b, f[i].program);
        if (f[i].source) {
            key(b, "source");
            str(b, f[i].source);
        }
        if (f[i].rejects) {
            key(b, "rejects_file");
            str(b, f[i].rejects);
            key(b, "rejects_lines");
            num(b, (double)f[i].rejects_lines);
        }
        key(b, "counts");
        named(b, &f[i].counts);
        for (size_t g = 0; g < f[i].ngroups; g++) {
            key(b, f[i].groups[g].name);
            named(b, &f[i].groups[g].counts);
        }
        cdp_buf_addc(b, '}');
    }
    cdp_buf_addc(b, '}');
}

static void run(struct cdp_buf *b, const struct cdp_run_figures *r)
{
    key(b, "run");
    cdp_buf_addc(b, '{');
    key(b, "tonight");
    stats_files(b, r->files, r->nfiles);
    key(b, "nights");
    cdp_buf_addc(b, '[');
    for (size_t i = 0; i < r->nnights; i++) {
        comma(b, i);
        cdp_buf_adds(b, "{\"date\":");
        day(b, r->nights[i].day);
        key(b, "stats");
        stats_files(b, r->nights[i].files, r->nights[i].nfiles);
        cdp_buf_addc(b, '}');
    }
    cdp_buf_adds(b, "]}");
}

static void largest(struct cdp_buf *b, const struct cdp_identity_figures *id)
{
    key(b, "largest");
    cdp_buf_addc(b, '[');
    for (size_t i = 0; i < id->nclusters; i++) {
        const struct cdp_cluster *c = &id->clusters[i];
        comma(b, i);
        cdp_buf_adds(b, "{\"cdp_id\":");
        str(b, c->cdp_id);
        key(b, "name");
        str(b, c->name);
        key(b, "records");
        num(b, (double)c->records);
        key(b, "sources");
        str(b, c->sources);
        key(b, "emails");
        num(b, (double)c->emails);
        key(b, "phones");
        num(b, (double)c->phones);
        key(b, "cards");
        num(b, (double)c->cards);
        cdp_buf_addc(b, '}');
    }
    cdp_buf_addc(b, ']');
}

static void journal(struct cdp_buf *b, const struct cdp_identity_figures *id)
{
    key(b, "journal");
    cdp_buf_addc(b, '{');
    key(b, "since");
    day(b, id->journal_since_known ? id->journal_since_day : -1);
    key(b, "merged");
    num(b, (double)id->merged);
    key(b, "split");
    num(b, (double)id->split);
    key(b, "total_merged");
    num(b, (double)id->total_merged);
    key(b, "total_split");
    num(b, (double)id->total_split);
    key(b, "entries");
    cdp_buf_addc(b, '[');
    for (size_t i = 0; i < id->nlines; i++) {
        const struct cdp_journal_line *l = &id->lines[i];
        comma(b, i);
        cdp_buf_adds(b, "{\"from\":");
        str(b, l->from);
        key(b, "to");
        str(b, l->to);
        key(b, "reason");
        str(b, l->reason);
        if (l->key) {
            key(b, "key");
            str(b, l->key);
            key(b, "value");
            str(b, l->value);
        }
        cdp_buf_addc(b, '}');
    }
    cdp_buf_adds(b, "]}");
}

static void links(struct cdp_buf *b, const struct cdp_identity_figures *id)
{
    static const char *const wbins[CDP_WEIGHT_BINS] = { "<5", "5-10", "10-15", "15-20",
                                                        "20-25", "25-30", "30-35", "35+" };
    key(b, "links");
    cdp_buf_addc(b, '{');
    key(b, "used_by_key");
    named(b, &id->used_by_key);
    key(b, "refused_by_reason");
    named(b, &id->refused_by_reason);
    key(b, "refused_by_key");
    named(b, &id->refused_by_key);
    key(b, "model_links");
    num(b, (double)id->model_links);
    if (id->model_links) {
        key(b, "model_weight");
        cdp_buf_addc(b, '{');
        key(b, "min");
        num(b, id->weight_min);
        key(b, "max");
        num(b, id->weight_max);
        key(b, "mean");
        num(b, id->weight_sum / (double)id->model_links);
        key(b, "bins");
        cdp_buf_addc(b, '{');
        for (size_t i = 0; i < CDP_WEIGHT_BINS; i++) {
            key(b, wbins[i]);
            num(b, (double)id->weight_bins[i]);
        }
        cdp_buf_adds(b, "}}");
    }
    cdp_buf_addc(b, '}');
}

static void identity(struct cdp_buf *b, const struct cdp_identity_figures *id)
{
    static const char *const bins[CDP_RECORD_BINS] = { "1", "2", "3", "4", "5", "6-10", "11-20", "21+" };
    key(b, "identity");
    cdp_buf_addc(b, '{');
    key(b, "values");
    str(b, id->values_shown ? "shown" : "masked");
    key(b, "persons");
    num(b, (double)id->persons);
    key(b, "records");
    num(b, (double)id->records);
    key(b, "cross_source");
    num(b, (double)id->cross_source);
    key(b, "records_per_person");
    cdp_buf_addc(b, '{');
    for (size_t i = 0; i < CDP_RECORD_BINS; i++) {
        key(b, bins[i]);
        num(b, (double)id->record_bins[i]);
    }
    cdp_buf_addc(b, '}');
    largest(b, id);
    if (id->journal_read)
        journal(b, id);
    if (id->links_read)
        links(b, id);
    cdp_buf_addc(b, '}');
}

static void audiences(struct cdp_buf *b, const struct cdp_audience_figures *au)
{
    key(b, "audiences");
    cdp_buf_addc(b, '{');
    key(b, "nights");
    cdp_buf_addc(b, '[');
    for (size_t i = 0; i < au->nnights; i++) {
        comma(b, i);
        day(b, au->days[i]);
    }
    cdp_buf_addc(b, ']');
    key(b, "profiles");
    num(b, (double)au->profiles);
    key(b, "rfm_profiles");
    num(b, (double)au->rfm_profiles);
    key(b, "segments");
    cdp_buf_addc(b, '{');
    for (size_t s = 0; s < au->nsegments; s++) {
        key(b, au->names[s]);
        cdp_buf_adds(b, "{\"members\":[");
        for (size_t i = 0; i < au->nnights; i++) {
            comma(b, i);
            num(b, au->members[s * au->nnights + i]);
        }
        cdp_buf_adds(b, "],\"holdout\":[");
        for (size_t i = 0; i < au->nnights; i++) {
            comma(b, i);
            num(b, au->holdout[s * au->nnights + i]);
        }
        cdp_buf_addc(b, ']');
        key(b, "defined");
        cdp_buf_adds(b, au->defined[s] ? "true" : "false");
        if (au->deltas) {
            key(b, "entered");
            num(b, (double)au->entered[s]);
            key(b, "exited");
            num(b, (double)au->exited[s]);
        }
        key(b, "revenue");
        num(b, au->revenue[s]);
        key(b, "overlap");
        cdp_buf_addc(b, '{');
        for (size_t t = 0; t < au->nsegments; t++)
            if (au->overlap[s * au->nsegments + t]) {
                key(b, au->names[t]);
                num(b, (double)au->overlap[s * au->nsegments + t]);
            }
        cdp_buf_adds(b, "}}");
    }
    cdp_buf_addc(b, '}');
    key(b, "rfm");
    cdp_buf_addc(b, '[');
    for (int r = 0; r < 5; r++)
        for (int f = 0; f < 5; f++) {
            comma(b, (size_t)(r + f));
            cdp_buf_printf(b, "{\"r\":%d,\"f\":%d,\"count\":", r + 1, f + 1);
            num(b, (double)au->rfm_count[r][f]);
            key(b, "revenue");
            num(b, au->rfm_revenue[r][f]);
            cdp_buf_addc(b, '}');
        }
    cdp_buf_adds(b, "]}");
}

static void arm(struct cdp_buf *b, const char *name, const struct cdp_arm *a)
{
    key(b, name);
    cdp_buf_adds(b, "{\"people\":");
    num(b, (double)a->n);
    key(b, "converted");
    num(b, (double)a->converted);
    key(b, "conversion");
    num(b, a->n ? (double)a->converted / (double)a->n : NAN);
    key(b, "revenue");
    num(b, a->revenue);
    key(b, "revenue_per_person");
    num(b, a->n ? a->revenue_pp.mean : NAN);
    key(b, "orders");
    num(b, (double)a->orders);
    key(b, "orders_per_person");
    num(b, a->n ? a->orders_pp.mean : NAN);
    cdp_buf_addc(b, '}');
}

static void welch(struct cdp_buf *b, const char *name, const struct cdp_welch *w)
{
    key(b, name);
    cdp_buf_adds(b, "{\"difference\":");
    num(b, w->diff);
    key(b, "ci_low");
    num(b, w->ci.low);
    key(b, "ci_high");
    num(b, w->ci.high);
    key(b, "df");
    num(b, w->df);
    key(b, "p");
    num(b, w->p);
    cdp_buf_adds(b, ",\"method\":\"welch\"}");
}

static void campaigns(struct cdp_buf *b, const struct cdp_campaign *c, size_t n)
{
    static const char *const verdicts[] = { "no_data", "no_holdout", "not_enough_people", "up", "down" };
    key(b, "campaigns");
    cdp_buf_addc(b, '[');
    for (size_t i = 0; i < n; i++) {
        comma(b, i);
        cdp_buf_adds(b, "{\"segment\":");
        str(b, c[i].segment);
        key(b, "date");
        day(b, c[i].day);
        key(b, "window_days");
        num(b, c[i].window);
        key(b, "observed_days");
        num(b, c[i].observed);
        key(b, "found");
        cdp_buf_adds(b, c[i].found ? "true" : "false");
        arm(b, "sent", &c[i].sent);
        arm(b, "held_out", &c[i].held);
        key(b, "conversion");
        cdp_buf_adds(b, "{\"uplift\":");
        num(b, c[i].uplift);
        key(b, "relative_uplift");
        num(b, c[i].relative);
        key(b, "ci_low");
        num(b, c[i].uplift_ci.low);
        key(b, "ci_high");
        num(b, c[i].uplift_ci.high);
        key(b, "p");
        num(b, c[i].p);
        cdp_buf_adds(b, ",\"method\":\"newcombe\",\"test\":\"two-proportion z\"}");
        welch(b, "revenue_per_person", &c[i].revenue);
        welch(b, "orders_per_person", &c[i].orders);
        key(b, "verdict");
        str(b, verdicts[c[i].verdict]);
        cdp_buf_addc(b, '}');
    }
    cdp_buf_addc(b, ']');
}

static void carts(struct cdp_buf *b, const struct cdp_cart_figures *c)
{
    key(b, "carts");
    cdp_buf_adds(b, "{\"abandoned\":");
    num(b, (double)c->abandoned);
    key(b, "abandoned_value");
    num(b, round(c->value * 100) / 100);
    key(b, "created");
    num(b, (double)c->created);
    key(b, "created_days");
    num(b, CDP_CART_DAYS);
    key(b, "abandonment_rate");
    num(b, c->rate);
    if (c->previous_read) {
        key(b, "previous_date");
        day(b, c->previous_day);
        key(b, "previous_abandoned");
        num(b, (double)c->previous_abandoned);
        key(b, "recovered");
        num(b, (double)c->recovered);
        key(b, "recovered_value");
        num(b, round(c->recovered_value * 100) / 100);
        key(b, "recovery_rate");
        num(b, c->recovery_rate);
    }
    key(b, "furnishing");
    num(b, (double)c->furnishing);
    key(b, "categories");
    cdp_buf_addc(b, '[');
    for (size_t i = 0; i < c->ncategories; i++) {
        const struct cdp_category *k = &c->categories[i];
        comma(b, i);
        cdp_buf_adds(b, "{\"name\":");
        str(b, k->name);
        key(b, "buyers");
        num(b, (double)k->buyers);
        key(b, "orders");
        num(b, (double)k->orders);
        key(b, "revenue");
        num(b, round(k->revenue * 100) / 100);
        key(b, "viewers");
        num(b, (double)k->viewers);
        key(b, "furnishing");
        num(b, (double)k->furnishing);
        cdp_buf_addc(b, '}');
    }
    cdp_buf_adds(b, "]}");
}

void cdp_insight_json(const struct cdp_insight *fig, struct cdp_buf *out)
{
    static const char *const sections[CDP_SECTIONS] = { "run", "identity", "audiences", "campaigns", "carts" };
    cdp_buf_adds(out, "{\"as_of\":");
    day(out, fig->as_of_day);
    run(out, &fig->run);
    identity(out, &fig->identity);
    audiences(out, &fig->audiences);
    campaigns(out, fig->campaigns, fig->ncampaigns);
    carts(out, &fig->carts);
    key(out, "problems");
    cdp_buf_addc(out, '[');
    for (size_t i = 0; i < fig->nproblems; i++) {
        comma(out, i);
        cdp_buf_adds(out, "{\"section\":");
        str(out, sections[fig->problems[i].section]);
        cdp_buf_adds(out, fig->problems[i].error ? ",\"error\":true" : ",\"error\":false");
        key(out, "text");
        str(out, fig->problems[i].text);
        cdp_buf_addc(out, '}');
    }
    cdp_buf_adds(out, "]}\n");
}
