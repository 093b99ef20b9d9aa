#include "recommend/write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/pipeline.h"

#include "io/csv_cell.h"
#include "io/json.h"
#include "norm/date.h"

static void add_figure(struct cdp_buf *b, double v)
{
    char s[32];
    int n = snprintf(s, sizeof s, "%.6g", v);
    cdp_buf_add(b, s, (size_t)n);
}

static void add_name(struct cdp_buf *b, const char *key, const char *s, size_t len)
{
    cdp_buf_adds(b, key);
    cdp_json_add_string(b, s, len);
}

static void add_category(struct cdp_buf *b, const struct cdp_activity *h, uint32_t item)
{
    uint32_t c = cdp_activity_item_category(h, item);
    if (c == CDP_NONE)
        return;
    size_t len;
    const char *s = cdp_activity_category_name(h, c, &len);
    add_name(b, ",\"category\":", s, len);
}

static void recs_json(const struct cdp_activity *h, const struct cdp_recs *r, bool with_viewed,
                      struct cdp_buf *out)
{
    size_t len;
    const char *s = cdp_activity_person(h, r->person, &len);
    add_name(out, "{\"cdp_id\":", s, len);
    cdp_buf_adds(out, ",\"recommendations\":[");
    for (size_t i = 0; i < r->nrecs; i++) {
        const struct cdp_rec *rec = &r->recs[i];
        if (i)
            cdp_buf_addc(out, ',');
        s = cdp_activity_sku(h, rec->item, &len);
        add_name(out, "{\"sku\":", s, len);
        cdp_buf_adds(out, ",\"score\":");
        add_figure(out, rec->score);
        cdp_buf_adds(out, ",\"reason\":\"");
        cdp_buf_adds(out, cdp_reason_name(rec->reason));
        cdp_buf_addc(out, '"');
        if (rec->because != CDP_NONE) {
            s = cdp_activity_sku(h, rec->because, &len);
            add_name(out, ",\"because\":", s, len);
        }
        add_category(out, h, rec->item);
        cdp_buf_addc(out, '}');
    }
    cdp_buf_addc(out, ']');
    if (with_viewed) {
        cdp_buf_adds(out, ",\"viewed\":[");
        for (size_t i = 0; i < r->nviewed; i++) {
            if (i)
                cdp_buf_addc(out, ',');
            s = cdp_activity_sku(h, r->viewed[i].item, &len);
            add_name(out, "{\"sku\":", s, len);
            cdp_buf_adds(out, ",\"at\":\"");
            cdp_time_format(out, r->viewed[i].ts);
            cdp_buf_addc(out, '"');
            add_category(out, h, r->viewed[i].item);
            cdp_buf_addc(out, '}');
        }
        cdp_buf_addc(out, ']');
    }
    cdp_buf_adds(out, "}\n");
}

/* The neighbours of item a that its similar-items rows show, best first:
 * those the eligible set keeps (all without one), at most top of them. */
struct shown_neighbours {
    const struct cdp_pairs *p;
    const uint8_t *eligible;
    const struct cdp_pair *nb;
    size_t n, next, left;
    uint32_t a;
};

static void shown_begin(struct shown_neighbours *s, const struct cdp_pairs *p, uint32_t a,
                        const uint8_t *eligible, size_t top)
{
    *s = (struct shown_neighbours){ .p = p, .eligible = eligible, .left = top, .a = a };
    s->nb = cdp_pairs_of(p, a, &s->n);
}

/* The next neighbour shown, its figures in *st; NULL after the last. */
static const struct cdp_pair *shown_next(struct shown_neighbours *s, struct cdp_pair_stats *st)
{
    while (s->left && s->next < s->n) {
        const struct cdp_pair *b = &s->nb[s->next++];
        if (s->eligible && !s->eligible[b->item])
            continue;
        s->left--;
        cdp_pairs_stats(s->p, s->a, b, st);
        return b;
    }
    return NULL;
}

static void similar_json(const struct cdp_activity *h, const struct cdp_pairs *p, uint32_t a,
                         uint32_t na, const uint8_t *eligible, size_t top, struct cdp_buf *out)
{
    size_t len;
    const char *s = cdp_activity_sku(h, a, &len);
    add_name(out, "{\"sku\":", s, len);
    cdp_buf_adds(out, ",\"baskets\":");
    cdp_buf_add_u64(out, na);
    cdp_buf_adds(out, ",\"similar\":[");
    struct shown_neighbours shown;
    shown_begin(&shown, p, a, eligible, top);
    struct cdp_pair_stats st;
    const struct cdp_pair *nb;
    for (size_t i = 0; (nb = shown_next(&shown, &st)); i++) {
        if (i)
            cdp_buf_addc(out, ',');
        s = cdp_activity_sku(h, nb->item, &len);
        add_name(out, "{\"sku\":", s, len);
        cdp_buf_adds(out, ",\"support\":");
        add_figure(out, st.support);
        cdp_buf_adds(out, ",\"confidence\":");
        add_figure(out, st.confidence);
        cdp_buf_adds(out, ",\"lift\":");
        add_figure(out, st.lift);
        cdp_buf_adds(out, ",\"count\":");
        cdp_buf_add_u64(out, nb->count);
        cdp_buf_addc(out, '}');
    }
    cdp_buf_adds(out, "]}\n");
}

static void add_metrics(struct cdp_buf *b, const char *name, const struct cdp_metrics *m)
{
    cdp_buf_printf(b, ",\"%s\":{\"precision\":%.4f,\"recall\":%.4f,\"hit_rate\":%.4f,\"ndcg\":%.4f}",
                   name, m->precision, m->recall, m->hit_rate, m->ndcg);
}

static void evaluation_json(const struct cdp_evaluation *e, const char *split, size_t k,
                            struct cdp_buf *out)
{
    add_name(out, "{\"split\":", split, strlen(split));
    cdp_buf_printf(out, ",\"k\":%zu,\"people\":%llu,\"items\":%llu,\"evaluated\":%llu,\"truth\":%llu", k,
                   (unsigned long long)e->people, (unsigned long long)e->items,
                   (unsigned long long)e->evaluated, (unsigned long long)e->truth);
    add_metrics(out, "recommender", &e->recommender);
    add_metrics(out, "popular", &e->popular);
    cdp_buf_adds(out, "}\n");
}

/* ---- CSV ------------------------------------------------------------------ */

static const char *const headers[] = {
    [CDP_REC_TABLE_RECS] = "cdp_id,list,rank,sku,score,reason,because,category,viewed_at\n",
    [CDP_REC_TABLE_SIMILAR] = "sku,baskets,rank,similar_sku,support,confidence,lift,count\n",
    [CDP_REC_TABLE_EVALUATION] = "split,k,people,items,evaluated,truth,model,precision,recall,hit_rate,ndcg\n",
};

void cdp_write_header(const struct cdp_rec_writing *w, enum cdp_rec_table table, struct cdp_buf *out)
{
    if (w->csv)
        cdp_buf_adds(out, headers[table]);
}

static void cell(struct cdp_buf *b, const char *s, size_t len)
{
    cdp_csv_add_cell(b, s, len, ',');
}

static void category_cell(struct cdp_buf *b, const struct cdp_activity *h, uint32_t item)
{
    uint32_t c = cdp_activity_item_category(h, item);
    if (c == CDP_NONE)
        return;
    size_t len;
    const char *name = cdp_activity_category_name(h, c, &len);
    cell(b, name, len);
}

/* The first cells of a person's row: cdp_id, list, rank and sku. */
static void person_row(struct cdp_buf *out, const struct cdp_activity *h, uint32_t person,
                       const char *list, size_t rank, uint32_t item)
{
    size_t len;
    const char *s = cdp_activity_person(h, person, &len);
    cell(out, s, len);
    cdp_buf_addc(out, ',');
    cdp_buf_adds(out, list);
    cdp_buf_addc(out, ',');
    cdp_buf_add_u64(out, rank);
    cdp_buf_addc(out, ',');
    s = cdp_activity_sku(h, item, &len);
    cell(out, s, len);
    cdp_buf_addc(out, ',');
}

static void recs_csv(const struct cdp_activity *h, const struct cdp_recs *r, bool with_viewed,
                     struct cdp_buf *out)
{
    size_t len;
    for (size_t i = 0; i < r->nrecs; i++) {
        const struct cdp_rec *rec = &r->recs[i];
        person_row(out, h, r->person, "recommended", i + 1, rec->item);
        add_figure(out, rec->score);
        cdp_buf_addc(out, ',');
        cdp_buf_adds(out, cdp_reason_name(rec->reason));
        cdp_buf_addc(out, ',');
        if (rec->because != CDP_NONE) {
            const char *because = cdp_activity_sku(h, rec->because, &len);
            cell(out, because, len);
        }
        cdp_buf_addc(out, ',');
        category_cell(out, h, rec->item);
        cdp_buf_adds(out, ",\n");
    }
    for (size_t i = 0; with_viewed && i < r->nviewed; i++) {
        person_row(out, h, r->person, "viewed", i + 1, r->viewed[i].item);
        cdp_buf_adds(out, ",,,");
        category_cell(out, h, r->viewed[i].item);
        cdp_buf_addc(out, ',');
        cdp_time_format(out, r->viewed[i].ts);
        cdp_buf_addc(out, '\n');
    }
}

static void similar_csv(const struct cdp_activity *h, const struct cdp_pairs *p, uint32_t a,
                        uint32_t na, const uint8_t *eligible, size_t top, struct cdp_buf *out)
{
    size_t alen, len;
    const char *as = cdp_activity_sku(h, a, &alen);
    struct shown_neighbours shown;
    shown_begin(&shown, p, a, eligible, top);
    struct cdp_pair_stats st;
    const struct cdp_pair *nb;
    for (size_t rank = 1; (nb = shown_next(&shown, &st)); rank++) {
        cell(out, as, alen);
        cdp_buf_addc(out, ',');
        cdp_buf_add_u64(out, na);
        cdp_buf_addc(out, ',');
        cdp_buf_add_u64(out, rank);
        cdp_buf_addc(out, ',');
        const char *s = cdp_activity_sku(h, nb->item, &len);
        cell(out, s, len);
        cdp_buf_addc(out, ',');
        add_figure(out, st.support);
        cdp_buf_addc(out, ',');
        add_figure(out, st.confidence);
        cdp_buf_addc(out, ',');
        add_figure(out, st.lift);
        cdp_buf_addc(out, ',');
        cdp_buf_add_u64(out, nb->count);
        cdp_buf_addc(out, '\n');
    }
}

static void evaluation_csv(const struct cdp_evaluation *e, const char *split, size_t k,
                           struct cdp_buf *out)
{
    const struct {
        const char *name;
        const struct cdp_metrics *m;
    } models[] = { { "recommender", &e->recommender }, { "popular", &e->popular } };
    for (size_t i = 0; i < 2; i++) {
        cell(out, split, strlen(split));
        cdp_buf_printf(out, ",%zu,%llu,%llu,%llu,%llu,%s,%.4f,%.4f,%.4f,%.4f\n", k,
                       (unsigned long long)e->people, (unsigned long long)e->items,
                       (unsigned long long)e->evaluated, (unsigned long long)e->truth, models[i].name,
                       models[i].m->precision, models[i].m->recall, models[i].m->hit_rate,
                       models[i].m->ndcg);
    }
}

/* ---- either ---------------------------------------------------------------- */

void cdp_write_recs(const struct cdp_activity *h, const struct cdp_recs *r,
                    const struct cdp_rec_writing *w, struct cdp_buf *out)
{
    if (w->csv)
        recs_csv(h, r, w->with_viewed, out);
    else
        recs_json(h, r, w->with_viewed, out);
}

void cdp_write_similar(const struct cdp_activity *h, const struct cdp_pairs *p, uint32_t a,
                       const uint8_t *eligible, size_t top, const struct cdp_rec_writing *w,
                       struct cdp_buf *out)
{
    uint32_t na = cdp_pairs_item_baskets(p, a);
    if (!na)
        return;
    if (w->csv)
        similar_csv(h, p, a, na, eligible, top, out);
    else
        similar_json(h, p, a, na, eligible, top, out);
}

void cdp_write_evaluation(const struct cdp_evaluation *e, const char *split, size_t k,
                          const struct cdp_rec_writing *w, struct cdp_buf *out)
{
    if (w->csv)
        evaluation_csv(e, split, k, out);
    else
        evaluation_json(e, split, k, out);
}

/* ---- everyone, on every CPU ---------------------------------------------- */

/* People per batch: enough to make handing over cheap. */
#define BATCH_PEOPLE 512

struct rec_batch {
    struct cdp_range range; /* people, or items */
    uint64_t n; /* lines written (similar items) */
    struct cdp_buf out;
};

struct rec_run {
    const struct cdp_recommender *r;
    const struct cdp_rec_writing *w;
    struct cdp_output *out;
    uint64_t people;
    bool failed;
};

struct rec_worker {
    struct rec_run *run;
    struct cdp_scorer *scorer;
};

static void rec_work(void *worker, void *batch)
{
    struct rec_worker *w = worker;
    struct rec_batch *b = batch;
    const struct cdp_activity *h = cdp_recommender_activity(w->run->r);
    for (uint32_t p = b->range.lo; p < b->range.hi; p++)
        cdp_write_recs(h, cdp_scorer_run(w->scorer, p, 0), w->run->w, &b->out);
}

static void rec_consume(void *owner, void *batch)
{
    struct rec_run *run = owner;
    struct rec_batch *b = batch;
    if (!run->failed && cdp_output_write(run->out, b->out.data, b->out.len) < 0)
        run->failed = true;
    run->people += b->range.hi - b->range.lo;
    cdp_buf_reset(&b->out);
}

static void *rec_batch_new(void *owner)
{
    (void)owner;
    return cdp_xcalloc(1, sizeof(struct rec_batch));
}

static void rec_batch_free(void *owner, void *batch)
{
    (void)owner;
    struct rec_batch *b = batch;
    cdp_buf_release(&b->out);
    free(b);
}

static const struct cdp_pipeline_ops rec_ops = { rec_batch_new, rec_batch_free, rec_work,
                                                 rec_consume, 0 };

int cdp_write_all_recs(const struct cdp_recommender *r, const struct cdp_rec_writing *w, size_t nworkers,
                       struct cdp_output *out, uint64_t *people, struct cdp_error *err)
{
    struct rec_run run = { r, w, out, 0, false };
    cdp_write_header(w, CDP_REC_TABLE_RECS, cdp_output_buffer(out));
    size_t nctx = nworkers ? nworkers : 1;
    struct rec_worker *workers = cdp_xcalloc(nctx, sizeof *workers);
    void **ctx = cdp_xcalloc(nctx, sizeof *ctx);
    for (size_t i = 0; i < nctx; i++) {
        workers[i].run = &run;
        workers[i].scorer = cdp_scorer_new(r);
        ctx[i] = &workers[i];
    }
    struct cdp_pipeline *pl = cdp_pipeline_new(&rec_ops, &run, nworkers, ctx, err);
    if (pl) {
        size_t n = cdp_activity_people(cdp_recommender_activity(r));
        cdp_pipeline_submit_range(pl, n, BATCH_PEOPLE, &run.failed);
        cdp_pipeline_drain(pl);
        cdp_pipeline_free(pl);
    }
    for (size_t i = 0; i < nctx; i++)
        cdp_scorer_free(workers[i].scorer);
    free(workers);
    free(ctx);
    *people = run.people;
    return pl ? 0 : -1;
}

/* Items per batch of similar lines. */
#define BATCH_ITEMS 1024

struct similar_run {
    const struct cdp_activity *h;
    const struct cdp_pairs *p;
    const uint8_t *eligible;
    size_t top;
    const struct cdp_rec_writing *w;
    struct cdp_output *out;
    uint64_t items;
    bool failed;
};

static void similar_work(void *worker, void *batch)
{
    const struct similar_run *run = worker;
    struct rec_batch *b = batch;
    for (uint32_t a = b->range.lo; a < b->range.hi; a++) {
        size_t len = b->out.len;
        cdp_write_similar(run->h, run->p, a, run->eligible, run->top, run->w, &b->out);
        b->n += b->out.len > len;
    }
}

static void similar_consume(void *owner, void *batch)
{
    struct similar_run *run = owner;
    struct rec_batch *b = batch;
    if (!run->failed && cdp_output_write(run->out, b->out.data, b->out.len) < 0)
        run->failed = true;
    run->items += b->n;
    b->n = 0;
    cdp_buf_reset(&b->out);
}

static const struct cdp_pipeline_ops similar_ops = { rec_batch_new, rec_batch_free, similar_work,
                                                     similar_consume, 0 };

int cdp_write_all_similar(const struct cdp_activity *h, const struct cdp_pairs *p,
                          const uint8_t *eligible, size_t top, const struct cdp_rec_writing *w,
                          size_t nworkers, struct cdp_output *out, uint64_t *items,
                          struct cdp_error *err)
{
    struct similar_run run = { h, p, eligible, top, w, out, 0, false };
    cdp_write_header(w, CDP_REC_TABLE_SIMILAR, cdp_output_buffer(out));
    size_t nctx = nworkers ? nworkers : 1;
    void **ctx = cdp_xcalloc(nctx, sizeof *ctx);
    for (size_t i = 0; i < nctx; i++)
        ctx[i] = &run; /* read only on the workers */
    struct cdp_pipeline *pl = cdp_pipeline_new(&similar_ops, &run, nworkers, ctx, err);
    if (pl) {
        cdp_pipeline_submit_range(pl, cdp_activity_items(h), BATCH_ITEMS, &run.failed);
        cdp_pipeline_drain(pl);
        cdp_pipeline_free(pl);
    }
    free(ctx);
    *items = run.items;
    return pl ? 0 : -1;
}
