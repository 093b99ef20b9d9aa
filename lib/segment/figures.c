#include "segment/figures.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/json.h"
#include "io/runfile.h"
#include "segment/population.h"

/* ---- step 1: the summary --------------------------------------------------- */

static void add_number(struct cdp_buf *b, const char *name, double v)
{
    cdp_buf_printf(b, ",\"%s\":%.17g", name, v);
}

int cdp_figures_summarize(const char *path, const struct cdp_reader_options *in, struct cdp_output *out,
                          uint64_t *profiles, struct cdp_error *err)
{
    struct cdp_reader_options o = *in;
    o.format = CDP_FORMAT_NDJSON;
    o.lines_only = true;
    struct cdp_reader *r = cdp_reader_open(path, &o, err);
    if (!r)
        return -1;
    struct cdp_json_parser *numbers = cdp_json_parser_new(), *json = cdp_json_parser_new();
    struct cdp_record rec = CDP_RECORD_INIT, line = CDP_RECORD_INIT;
    struct cdp_row row;
    enum cdp_read k;
    while ((k = cdp_reader_next(r, &rec, &row, err)) != CDP_READ_END && k != CDP_READ_ERROR) {
        ++*profiles;
        if (k != CDP_READ_ROW)
            continue;
        double days, orders, revenue, value;
        bool buyer = cdp_population_read_line(numbers, row.raw, row.rawlen, &days, &orders, &revenue, &value);
        if (!buyer && !(value > 0))
            continue;
        struct cdp_error why;
        cdp_record_clear(&line);
        if (cdp_json_parse_object(json, row.raw, row.rawlen, &line, &why) != CDP_JSON_OK)
            continue;
        const struct cdp_field *id = cdp_record_gets(&line, "cdp_id");
        if (!id || id->type != CDP_STRING || id->vlen == 0)
            continue;
        struct cdp_buf *b = cdp_output_buffer(out);
        cdp_buf_adds(b, "{\"cdp_id\":");
        cdp_json_add_string(b, id->val, id->vlen);
        if (buyer) {
            add_number(b, "days", days);
            add_number(b, "orders", orders);
            add_number(b, "revenue", revenue);
        } else {
            cdp_buf_adds(b, ",\"buyer\":false");
        }
        add_number(b, "value", value);
        cdp_buf_adds(b, "}\n");
        cdp_output_flush_some(out); /* a failure is reported at commit */
    }
    if (k != CDP_READ_ERROR)
        cdp_buf_printf(cdp_output_buffer(out), "{\"end\":1,\"profiles\":%llu}\n", (unsigned long long)*profiles);
    cdp_record_release(&rec);
    cdp_record_release(&line);
    cdp_json_parser_free(numbers);
    cdp_json_parser_free(json);
    cdp_reader_close(r);
    return k == CDP_READ_ERROR ? -1 : 0;
}

/* ---- step 2: the join ------------------------------------------------------ */

/* One shard's summary, a line ahead. */
struct summary {
    struct cdp_runfile *rf;
    const char *path;
    struct cdp_record rec;
    char *id; /* the current line's cdp_id; NULL at the end */
    bool buyer;
    double days, orders, revenue, value;
    uint64_t profiles;
};

static double number(const struct cdp_record *rec, const char *name)
{
    const struct cdp_field *f = cdp_record_gets(rec, name);
    if (!f || f->type != CDP_NUMBER)
        return NAN;
    char tmp[64];
    size_t n = f->vlen < sizeof tmp - 1 ? f->vlen : sizeof tmp - 1;
    memcpy(tmp, f->val, n);
    tmp[n] = '\0';
    return strtod(tmp, NULL);
}

/* The next line of s: 1, 0 after the end line, -1 with err. */
static int advance(struct summary *s, struct cdp_error *err)
{
    char *prev = s->id;
    s->id = NULL;
    int k = cdp_runfile_next(s->rf, &s->rec, err);
    int status = k;
    if (k == 0) {
        status = cdp_errorf(err, "%s: cut short (no end line)", s->path);
    } else if (k > 0 && cdp_record_gets(&s->rec, "end")) {
        double n = number(&s->rec, "profiles");
        s->profiles = isnan(n) ? 0 : (uint64_t)n;
        status = isnan(n) ? cdp_runfile_damaged(s->rf, err, "damaged summary end line") : 0;
    } else if (k > 0) {
        const struct cdp_field *id = cdp_record_gets(&s->rec, "cdp_id");
        s->value = number(&s->rec, "value");
        s->buyer = !cdp_record_gets(&s->rec, "buyer");
        s->days = number(&s->rec, "days");
        s->orders = number(&s->rec, "orders");
        s->revenue = number(&s->rec, "revenue");
        if (!id || id->type != CDP_STRING || isnan(s->value) ||
            (s->buyer && (isnan(s->days) || isnan(s->orders) || isnan(s->revenue))))
            status = cdp_runfile_damaged(s->rf, err, "damaged summary line");
        else
            s->id = cdp_xstrndup(id->val, id->vlen);
        if (status > 0 && prev && strcmp(prev, s->id) >= 0)
            status = cdp_runfile_damaged(s->rf, err, "not in cdp_id order (profiles not as cdp-merge writes them)");
    }
    free(prev);
    return status;
}

static void add_edges(struct cdp_buf *b, const char *name, const double e[4])
{
    cdp_buf_printf(b, ",\"%s\":[%.17g,%.17g,%.17g,%.17g]", name, e[0], e[1], e[2], e[3]);
}

int cdp_figures_join(const char *const *paths, size_t n, double vip_percent, struct cdp_buf *out,
                     struct cdp_error *err)
{
    struct summary *s = cdp_xcalloc(n + 1, sizeof *s);
    struct cdp_population *pop = cdp_population_new();
    char **buyer_ids = NULL;
    size_t nbuyers = 0, cap = 0;
    uint64_t profiles = 0;
    int status = 0;
    for (size_t i = 0; i < n && status == 0; i++) {
        s[i].path = paths[i];
        s[i].rec = (struct cdp_record)CDP_RECORD_INIT;
        if (!(s[i].rf = cdp_runfile_open(paths[i], "summary", false, err)) || advance(&s[i], err) < 0)
            status = -1;
    }
    /* The shards' lines merged in cdp_id order: one run's input order. */
    while (status == 0) {
        size_t best = n;
        for (size_t i = 0; i < n; i++)
            if (s[i].id && (best == n || strcmp(s[i].id, s[best].id) < 0))
                best = i;
        if (best == n)
            break;
        struct summary *b = &s[best];
        cdp_population_add(pop, b->buyer, b->days, b->orders, b->revenue, b->value);
        if (b->buyer) {
            if (nbuyers == cap) {
                cap = cap ? cap * 2 : 1024;
                buyer_ids = cdp_xrealloc(buyer_ids, cap * sizeof *buyer_ids);
            }
            buyer_ids[nbuyers++] = cdp_xstrdup(b->id);
        }
        if (advance(b, err) < 0)
            status = -1;
    }
    for (size_t i = 0; i < n; i++) {
        profiles += s[i].profiles;
        free(s[i].id);
        cdp_record_release(&s[i].rec);
        cdp_runfile_close(s[i].rf);
    }
    if (status == 0) {
        cdp_population_finish(pop);
        struct cdp_population_edges e;
        cdp_population_edges(pop, &e);
        cdp_buf_printf(out, "{\"cdp_population\":1,\"profiles\":%llu,\"buyers\":%zu", (unsigned long long)profiles,
                       nbuyers);
        add_edges(out, "recency", e.redge);
        add_edges(out, "revenue", e.medge);
        for (int k = 0; k < 4; k++) {
            if (e.f_buyer[k] == SIZE_MAX)
                continue; /* no buyer ranks above edge k */
            const char *id = buyer_ids[e.f_buyer[k]];
            cdp_buf_printf(out, ",\"f%d_orders\":%.17g,\"f%d_cdp_id\":", k, e.f_orders[k], k);
            cdp_json_add_string(out, id, strlen(id));
        }
        /* As cdp-segment's one run gives $vip_threshold. */
        double t = cdp_population_top_threshold(pop, vip_percent);
        if (isinf(t))
            cdp_buf_adds(out, ",\"vip_threshold\":1e308}\n");
        else
            cdp_buf_printf(out, ",\"vip_threshold\":%.17g}\n", t);
    }
    for (size_t i = 0; i < nbuyers; i++)
        free(buyer_ids[i]);
    free(buyer_ids);
    free(s);
    cdp_population_free(pop);
    return status;
}

/* ---- step 3: scores -------------------------------------------------------- */

struct cdp_figures {
    struct cdp_population_edges e;
    char *f_id[4];
    char vip[64];
};

void cdp_figures_free(struct cdp_figures *f)
{
    if (!f)
        return;
    for (int k = 0; k < 4; k++)
        free(f->f_id[k]);
    free(f);
}

/* A JSON array of four numbers, as the join writes it, into e. */
static bool four(const struct cdp_field *f, double e[4])
{
    if (!f || f->type != CDP_ARRAY || f->vlen > 200)
        return false;
    char tmp[256];
    memcpy(tmp, f->val, f->vlen);
    tmp[f->vlen] = '\0';
    char *p = tmp + 1;
    for (int k = 0; k < 4; k++) {
        char *stop;
        e[k] = strtod(p, &stop);
        if (stop == p || *stop != (k < 3 ? ',' : ']'))
            return false;
        p = stop + 1;
    }
    return *p == '\0';
}

struct cdp_figures *cdp_figures_load(const char *path, struct cdp_error *err)
{
    struct cdp_runfile *rf = cdp_runfile_open(path, "figures", false, err);
    if (!rf)
        return NULL;
    struct cdp_record rec = CDP_RECORD_INIT;
    struct cdp_figures *fg = cdp_xcalloc(1, sizeof *fg);
    int k = cdp_runfile_next(rf, &rec, err);
    bool ok = false;
    if (k > 0 && cdp_record_gets(&rec, "cdp_population")) {
        const struct cdp_field *vip = cdp_record_gets(&rec, "vip_threshold");
        ok = four(cdp_record_gets(&rec, "recency"), fg->e.redge) &&
             four(cdp_record_gets(&rec, "revenue"), fg->e.medge) && vip && vip->type == CDP_NUMBER &&
             vip->vlen < sizeof fg->vip;
        if (ok) {
            memcpy(fg->vip, vip->val, vip->vlen);
            fg->vip[vip->vlen] = '\0';
        }
        for (int e = 0; e < 4 && ok; e++) {
            char name[32];
            snprintf(name, sizeof name, "f%d_cdp_id", e);
            const struct cdp_field *id = cdp_record_gets(&rec, name);
            snprintf(name, sizeof name, "f%d_orders", e);
            double orders = number(&rec, name);
            fg->e.f_buyer[e] = SIZE_MAX;
            if (!id && isnan(orders))
                continue; /* no buyer ranks above edge e */
            ok = id && id->type == CDP_STRING && !isnan(orders);
            if (ok) {
                fg->e.f_buyer[e] = 0;
                fg->e.f_orders[e] = orders;
                fg->f_id[e] = cdp_xstrndup(id->val, id->vlen);
            }
        }
    }
    if (k >= 0 && !ok)
        cdp_errorf(err, "%s: not the figures of cdp-segment --join-summaries", path);
    cdp_record_release(&rec);
    cdp_runfile_close(rf);
    if (!ok) {
        cdp_figures_free(fg);
        return NULL;
    }
    return fg;
}

bool cdp_figures_rfm(const struct cdp_figures *f, const char *id, size_t idlen, double days, double orders,
                     double revenue, int *r, int *fq, int *m)
{
    if (!(orders > 0) || isnan(days))
        return false;
    cdp_population_rm(&f->e, days, revenue, r, m);
    *fq = 1;
    for (int k = 0; k < 4; k++) {
        if (f->e.f_buyer[k] == SIZE_MAX)
            continue;
        size_t tl = strlen(f->f_id[k]);
        int c = memcmp(id, f->f_id[k], idlen < tl ? idlen : tl);
        if (c == 0)
            c = (idlen > tl) - (idlen < tl);
        if (orders > f->e.f_orders[k] || (orders == f->e.f_orders[k] && c >= 0))
            ++*fq;
    }
    return true;
}

const char *cdp_figures_vip_threshold(const struct cdp_figures *f)
{
    return f->vip;
}
