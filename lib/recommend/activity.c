#include "recommend/activity.h"

#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/intern.h"
#include "base/pipeline.h"
#include "io/json.h"
#include "io/lines.h"
#include "norm/date.h"
#include "norm/event.h"

/* An event as read: numbers from the interned strings, in input order. */
struct raw_event {
    int64_t ts;
    uint32_t person, item, basket; /* CDP_NONE: anonymous; own basket */
    uint8_t kind;
};

/* A string a worker found, with its hash for the interning thread. */
struct str {
    const char *p;
    uint32_t n;
    uint64_t hash;
};

/* What a worker found on one line. */
enum found_status { FOUND_NOTHING, FOUND_PERSON, FOUND_EVENT, FOUND_BAD };

struct found {
    uint8_t status, kind;
    int64_t ts;
    struct str person, sku, category, basket, price;
    const char *code, *reason;
};

struct line {
    size_t off, len;
    uint64_t number;
    const char *code, *reason; /* set by the reader for a row it could not read */
    bool found;                /* found already (a CSV row, parsed by the reader) */
};

struct batch {
    struct cdp_buf text; /* the lines, each padded for simdjson */
    struct line *lines;
    struct found *found;
    size_t n, cap;
    struct cdp_arena arena; /* what the workers copied out of records */
    uint64_t bytes;         /* the reader's position after the last line, for progress */
};

struct worker {
    struct cdp_json_parser *json;
    struct cdp_record rec;
};

struct cdp_activity {
    size_t nworkers;
    struct worker *workers;
    void **ctx; /* &workers[i], for the pipeline */
    struct cdp_intern *people, *items, *categories, *baskets;
    struct raw_event *raw;
    size_t nraw, raw_cap;
    /* per item, as read */
    uint32_t *item_cat;
    int64_t *item_cat_ts, *item_price_ts;
    const char **item_price;
    uint32_t *item_price_len;
    size_t item_cap;
    struct cdp_arena arena;
    int64_t latest;
    struct cdp_activity_counts counts;
    /* reading one file */
    const char *file;
    const struct cdp_activity_hooks *hooks;
    /* after finish: everything by the new numbers */
    bool finished;
    size_t npeople, nitems, ncats;
    const char **person_name, **sku, **cat_name;
    uint32_t *person_len, *sku_len, *cat_len;
    uint32_t *category; /* per item */
    const char **price;
    uint32_t *price_len;
    const struct cdp_catalog_item **catalog;
    uint32_t *buyers;
    struct cdp_event *events; /* by person, then time */
    size_t *events_first;     /* npeople + 2: the anonymous ones last */
    uint32_t *future;
    size_t *future_first;
    struct cdp_baskets order_baskets, person_baskets;
    bool have_person_baskets;
};

static struct str keep(struct cdp_arena *a, const struct cdp_field *f)
{
    struct str s = { NULL, 0, 0 };
    if (!f || f->vlen == 0 || f->type == CDP_NULL || f->type == CDP_ARRAY || f->type == CDP_OBJECT)
        return s;
    s.p = cdp_arena_strdup(a, f->val, f->vlen);
    s.n = f->vlen;
    s.hash = cdp_intern_hash(s.p, s.n);
    return s;
}

/* A number, written as JSON or (from CSV) as a string. */
static bool number(const struct cdp_field *f)
{
    return f && (f->type == CDP_NUMBER ||
                 (f->type == CDP_STRING && f->vlen && cdp_json_number_valid(f->val, f->vlen)));
}

static bool negative(const struct cdp_field *f)
{
    return number(f) && f->vlen > 1 && f->val[0] == '-' && strspn(f->val + 1, "0.") != f->vlen - 1;
}

/* The fields of one record that matter here. */
enum { F_KIND, F_ID, F_EVENT, F_SKU, F_CATEGORY, F_TS, F_QTY, F_AMOUNT, F_ORDER, F_SOURCE, F_PRICE,
       F_COUNT };
static const char *const field_names[F_COUNT] = { "_kind", "cdp_id", "event", "sku", "category",
                                                  "ts", "qty", "amount", "order_id", "_source",
                                                  "price" };
static const uint8_t field_lens[F_COUNT] = { 5, 6, 5, 3, 8, 2, 3, 6, 8, 7, 5 };

/* What one record says, its strings copied into a. */
static void extract(struct cdp_arena *a, const struct cdp_record *rec, struct found *fd)
{
    const struct cdp_field *f[F_COUNT] = { 0 };
    for (size_t k = 0; k < rec->n; k++) {
        const struct cdp_field *x = &rec->f[k];
        if (x->klen < 2 || x->klen > 8)
            continue;
        for (int j = 0; j < F_COUNT; j++)
            if (x->klen == field_lens[j] && memcmp(x->key, field_names[j], x->klen) == 0)
                f[j] = x;
    }
    fd->person = keep(a, f[F_ID]);
    bool person_record = f[F_KIND] ? f[F_KIND]->type == CDP_STRING && f[F_KIND]->vlen == 6 &&
                                         memcmp(f[F_KIND]->val, "person", 6) == 0
                                   : !f[F_EVENT];
    if (!person_record && f[F_SKU] && f[F_SKU]->vlen && f[F_SKU]->type != CDP_NULL) {
        fd->status = FOUND_EVENT;
        fd->sku = keep(a, f[F_SKU]);
        fd->category = f[F_CATEGORY] && f[F_CATEGORY]->type == CDP_STRING ? keep(a, f[F_CATEGORY])
                                                                           : (struct str){ 0 };
        fd->price = number(f[F_PRICE]) ? keep(a, f[F_PRICE]) : (struct str){ 0 };
        const struct cdp_field *ev = f[F_EVENT];
        fd->kind = ev && ev->type == CDP_STRING ? (uint8_t)cdp_event_kind(ev->val, ev->vlen)
                                                : CDP_EVENT_OTHER;
        if (fd->kind == CDP_EVENT_PURCHASE && (negative(f[F_QTY]) || negative(f[F_AMOUNT])))
            fd->kind = CDP_EVENT_RETURN;
        const struct cdp_field *ts = f[F_TS];
        if (!ts || ts->type != CDP_STRING || !cdp_time_parse(ts->val, ts->vlen, &fd->ts))
            fd->ts = CDP_UNDATED;
        const struct cdp_field *order = f[F_ORDER];
        if (fd->kind == CDP_EVENT_PURCHASE && order && order->vlen && order->type != CDP_NULL &&
            order->type != CDP_ARRAY && order->type != CDP_OBJECT) {
            /* _source, a unit separator, the order id */
            const struct cdp_field *src = f[F_SOURCE];
            size_t sn = src && src->type == CDP_STRING ? src->vlen : 0;
            char *key = cdp_arena_alloc(a, sn + 1 + order->vlen + 1);
            if (sn)
                memcpy(key, src->val, sn);
            key[sn] = '\x1f';
            memcpy(key + sn + 1, order->val, order->vlen);
            fd->basket.p = key;
            fd->basket.n = (uint32_t)(sn + 1 + order->vlen);
            fd->basket.hash = cdp_intern_hash(key, fd->basket.n);
        }
    } else if (fd->person.p) {
        fd->status = FOUND_PERSON;
    }
}

static void find(struct worker *w, struct batch *b, size_t i)
{
    struct found *fd = &b->found[i];
    const struct line *l = &b->lines[i];
    if (l->found)
        return;
    memset(fd, 0, sizeof *fd);
    if (l->reason) {
        fd->status = FOUND_BAD;
        fd->code = l->code;
        fd->reason = l->reason;
        return;
    }
    struct cdp_error why;
    cdp_record_clear(&w->rec);
    enum cdp_json_status st = cdp_json_parse_object(w->json, b->text.data + l->off, l->len, &w->rec, &why);
    if (st != CDP_JSON_OK) {
        fd->status = FOUND_BAD;
        fd->code = st == CDP_JSON_NOT_OBJECT ? "not_object"
                 : st == CDP_JSON_BAD_UTF8   ? "invalid_utf8"
                                             : "invalid_json";
        fd->reason = cdp_arena_strdup(&b->arena, why.msg, strlen(why.msg));
        return;
    }
    extract(&b->arena, &w->rec, fd);
}

static void work(void *worker, void *batch)
{
    struct batch *b = batch;
    for (size_t i = 0; i < b->n; i++)
        find(worker, b, i);
}

static uint32_t intern(struct cdp_intern *t, const struct str *s)
{
    return s->p ? cdp_intern_add_hashed(t, s->p, s->n, s->hash, NULL) : CDP_NONE;
}

static void grow_items(struct cdp_activity *h, uint32_t item)
{
    if (item < h->item_cap)
        return;
    size_t cap = h->item_cap ? h->item_cap : 1024;
    while (cap <= item)
        cap *= 2;
    h->item_cat = cdp_xrealloc(h->item_cat, cap * sizeof *h->item_cat);
    h->item_cat_ts = cdp_xrealloc(h->item_cat_ts, cap * sizeof *h->item_cat_ts);
    h->item_price = cdp_xrealloc(h->item_price, cap * sizeof *h->item_price);
    h->item_price_len = cdp_xrealloc(h->item_price_len, cap * sizeof *h->item_price_len);
    h->item_price_ts = cdp_xrealloc(h->item_price_ts, cap * sizeof *h->item_price_ts);
    for (size_t i = h->item_cap; i < cap; i++) {
        h->item_cat[i] = CDP_NONE;
        h->item_cat_ts[i] = h->item_price_ts[i] = CDP_UNDATED;
        h->item_price[i] = NULL;
        h->item_price_len[i] = 0;
    }
    h->item_cap = cap;
}

static void add_event(struct cdp_activity *h, const struct found *fd)
{
    struct raw_event e;
    e.ts = fd->ts;
    e.kind = fd->kind;
    e.person = intern(h->people, &fd->person);
    e.item = intern(h->items, &fd->sku);
    e.basket = intern(h->baskets, &fd->basket);
    grow_items(h, e.item);
    /* The latest event with a category or a price gives the item its own
     * (a later one of the same time too: input order decides). */
    if (fd->category.p && e.ts >= h->item_cat_ts[e.item]) {
        h->item_cat[e.item] = intern(h->categories, &fd->category);
        h->item_cat_ts[e.item] = e.ts;
    }
    if (fd->price.p && e.ts >= h->item_price_ts[e.item]) {
        h->item_price[e.item] = cdp_arena_strdup(&h->arena, fd->price.p, fd->price.n);
        h->item_price_len[e.item] = fd->price.n;
        h->item_price_ts[e.item] = e.ts;
    }
    if (h->nraw == h->raw_cap) {
        h->raw_cap = h->raw_cap ? 2 * h->raw_cap : 65536;
        h->raw = cdp_xrealloc(h->raw, h->raw_cap * sizeof *h->raw);
    }
    h->raw[h->nraw++] = e;
    h->counts.events++;
    h->counts.anonymous += e.person == CDP_NONE;
    h->counts.undated += e.ts == CDP_UNDATED;
    if (e.ts != CDP_UNDATED && (h->latest == CDP_UNDATED || e.ts > h->latest))
        h->latest = e.ts;
}

static void consume(void *owner, void *batch)
{
    struct cdp_activity *h = owner;
    struct batch *b = batch;
    const struct cdp_activity_hooks *hk = h->hooks;
    for (size_t i = 0; i < b->n; i++) {
        const struct found *fd = &b->found[i];
        h->counts.read++;
        if (fd->status == FOUND_BAD) {
            h->counts.rejected++;
            if (hk && hk->reject)
                hk->reject(hk->ctx, h->file, b->lines[i].number, fd->code, fd->reason,
                           b->text.data + b->lines[i].off, b->lines[i].len);
        } else if (fd->status == FOUND_PERSON) {
            intern(h->people, &fd->person);
        } else if (fd->status == FOUND_EVENT) {
            add_event(h, fd);
        }
    }
    if (hk && hk->tick)
        hk->tick(hk->ctx, h->counts.read, b->bytes);
    cdp_buf_reset(&b->text);
    cdp_arena_reset(&b->arena);
    b->n = 0;
}

static void *batch_new(void *owner)
{
    (void)owner;
    return cdp_xcalloc(1, sizeof(struct batch));
}

static void batch_free(void *owner, void *batch)
{
    (void)owner;
    struct batch *b = batch;
    cdp_buf_release(&b->text);
    free(b->lines);
    free(b->found);
    cdp_arena_release(&b->arena);
    free(b);
}

static const struct cdp_pipeline_ops ops = { batch_new, batch_free, work, consume, 0 };

struct cdp_activity *cdp_activity_new(size_t nworkers)
{
    struct cdp_activity *h = cdp_xcalloc(1, sizeof *h);
    h->nworkers = nworkers;
    h->workers = cdp_xcalloc(nworkers ? nworkers : 1, sizeof *h->workers);
    h->ctx = cdp_xcalloc(nworkers ? nworkers : 1, sizeof *h->ctx);
    for (size_t i = 0; i < (nworkers ? nworkers : 1); i++) {
        h->ctx[i] = &h->workers[i];
        h->workers[i].json = cdp_json_parser_new();
        h->workers[i].rec = (struct cdp_record)CDP_RECORD_INIT;
    }
    h->people = cdp_intern_new();
    h->items = cdp_intern_new();
    h->categories = cdp_intern_new();
    h->baskets = cdp_intern_new();
    h->latest = CDP_UNDATED;
    return h;
}

bool cdp_basket_kind_parse(const char *s, enum cdp_basket_kind *kind)
{
    if (strcmp(s, "order") && strcmp(s, "person"))
        return false;
    *kind = strcmp(s, "order") == 0 ? CDP_BASKET_ORDER : CDP_BASKET_PERSON;
    return true;
}

void cdp_baskets_release(struct cdp_baskets *b)
{
    free(b->first);
    free(b->items);
    memset(b, 0, sizeof *b);
}

void cdp_activity_free(struct cdp_activity *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < (h->nworkers ? h->nworkers : 1); i++) {
        cdp_json_parser_free(h->workers[i].json);
        cdp_record_release(&h->workers[i].rec);
    }
    free(h->workers);
    free(h->ctx);
    cdp_intern_free(h->people);
    cdp_intern_free(h->items);
    cdp_intern_free(h->categories);
    cdp_intern_free(h->baskets);
    free(h->raw);
    free(h->item_cat);
    free(h->item_cat_ts);
    free(h->item_price_ts);
    free(h->item_price);
    free(h->item_price_len);
    cdp_arena_release(&h->arena);
    free(h->person_name);
    free(h->person_len);
    free(h->sku);
    free(h->sku_len);
    free(h->cat_name);
    free(h->cat_len);
    free(h->category);
    free(h->price);
    free(h->price_len);
    free(h->catalog);
    free(h->buyers);
    free(h->events);
    free(h->events_first);
    free(h->future);
    free(h->future_first);
    cdp_baskets_release(&h->order_baskets);
    cdp_baskets_release(&h->person_baskets);
    free(h);
}

/* Lines a batch holds at most, and bytes. */
#define BATCH_LINES 4096
#define BATCH_BYTES ((size_t)1 << 20)

/* Adds a line for the workers: NDJSON text to parse, a bad row to report,
 * or (rec not NULL) a record the reader parsed, found here at once. */
static void add_line(struct batch *b, const char *text, size_t len, const struct cdp_row *row,
                     enum cdp_read k, const struct cdp_record *rec)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : BATCH_LINES;
        b->lines = cdp_xrealloc(b->lines, b->cap * sizeof *b->lines);
        b->found = cdp_xrealloc(b->found, b->cap * sizeof *b->found);
    }
    struct line *l = &b->lines[b->n++];
    l->off = b->text.len;
    l->len = len;
    l->number = row->line;
    l->code = l->reason = NULL;
    l->found = rec != NULL;
    if (rec) {
        memset(&b->found[b->n - 1], 0, sizeof *b->found);
        extract(&b->arena, rec, &b->found[b->n - 1]);
        l->len = 0;
        return;
    }
    if (k == CDP_READ_BAD) {
        l->code = row->code;
        l->reason = cdp_arena_strdup(&b->arena, row->reason, strlen(row->reason));
    }
    cdp_buf_add_padded(&b->text, text, len);
    b->text.len += CDP_LINE_PADDING;
}

int cdp_activity_read(struct cdp_activity *h, const char *path, const struct cdp_reader_options *opt,
                     const struct cdp_activity_hooks *hooks, struct cdp_error *err)
{
    struct cdp_reader_options ro = *opt;
    ro.lines_only = true;
    struct cdp_reader *r = cdp_reader_open(path, &ro, err);
    if (!r)
        return -1;
    struct cdp_pipeline *pl = cdp_pipeline_new(&ops, h, h->nworkers, h->ctx, err);
    if (!pl) {
        cdp_reader_close(r);
        return -1;
    }
    h->file = cdp_reader_name(r);
    h->hooks = hooks;
    bool csv = cdp_reader_format(r) == CDP_FORMAT_CSV;
    struct cdp_record rec = CDP_RECORD_INIT;
    struct cdp_row row;
    struct batch *b = cdp_pipeline_batch(pl);
    int status = 0;
    enum cdp_read k;
    while ((k = cdp_reader_next(r, &rec, &row, err)) != CDP_READ_END) {
        if (k == CDP_READ_ERROR) {
            status = -1;
            break;
        }
        /* A CSV row comes parsed: what it says is found here. */
        add_line(b, row.raw, row.rawlen, &row, k, csv && k == CDP_READ_ROW ? &rec : NULL);
        if (b->n >= BATCH_LINES || b->text.len >= BATCH_BYTES) {
            b->bytes = cdp_reader_bytes(r);
            cdp_pipeline_submit(pl, b);
            b = cdp_pipeline_batch(pl);
        }
    }
    b->bytes = cdp_reader_bytes(r);
    if (b->n)
        cdp_pipeline_submit(pl, b);
    else
        cdp_pipeline_unused(pl, b);
    cdp_pipeline_drain(pl);
    cdp_pipeline_free(pl);
    cdp_record_release(&rec);
    cdp_reader_close(r);
    h->file = NULL;
    h->hooks = NULL;
    return status;
}

int64_t cdp_activity_latest(const struct cdp_activity *h)
{
    return h->latest;
}

const struct cdp_activity_counts *cdp_activity_counts(const struct cdp_activity *h)
{
    return &h->counts;
}

/* ---- finishing ----------------------------------------------------------- */

/* Numbers in byte order of the names: rank[old id] = new id. */
static int cmp_names(const void *a, const void *b, void *ctx)
{
    const struct cdp_intern *t = ctx;
    size_t la, lb;
    const char *sa = cdp_intern_str(t, *(const uint32_t *)a, &la);
    const char *sb = cdp_intern_str(t, *(const uint32_t *)b, &lb);
    int c = memcmp(sa, sb, la < lb ? la : lb);
    return c ? c : (la > lb) - (la < lb);
}

static uint32_t *renumber(const struct cdp_intern *t, size_t *n, const char ***names, uint32_t **lens)
{
    *n = cdp_intern_count(t);
    uint32_t *order = cdp_xmalloc((*n + 1) * sizeof *order);
    for (size_t i = 0; i < *n; i++)
        order[i] = (uint32_t)i;
    qsort_r(order, *n, sizeof *order, cmp_names, (void *)t);
    uint32_t *rank = cdp_xmalloc((*n + 1) * sizeof *rank);
    *names = cdp_xmalloc((*n + 1) * sizeof **names);
    *lens = cdp_xmalloc((*n + 1) * sizeof **lens);
    for (size_t i = 0; i < *n; i++) {
        size_t len;
        rank[order[i]] = (uint32_t)i;
        (*names)[i] = cdp_intern_str(t, order[i], &len);
        (*lens)[i] = (uint32_t)len;
    }
    free(order);
    return rank;
}

static int cmp_event(const void *a, const void *b)
{
    const struct cdp_event *x = a, *y = b;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    return (x->item > y->item) - (x->item < y->item);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Sorts each row of a compressed-row table and drops repeats within it,
 * compacting the table in place. */
static void sort_rows(size_t n, size_t *first, uint32_t *v)
{
    size_t out = 0;
    for (size_t r = 0; r < n; r++) {
        size_t a = first[r], b = first[r + 1];
        qsort(v + a, b - a, sizeof *v, cmp_u32);
        first[r] = out;
        for (size_t i = a; i < b; i++)
            if (i == a || v[i] != v[i - 1])
                v[out++] = v[i];
    }
    first[n] = out;
}

/* Builds a compressed-row table from (row, value) pairs by counting. */
static void rows_of(size_t nrows, const uint32_t *row, const uint32_t *value, size_t n,
                    size_t **first, uint32_t **values)
{
    size_t *f = cdp_xcalloc(nrows + 1, sizeof *f);
    for (size_t i = 0; i < n; i++)
        f[row[i] + 1]++;
    for (size_t r = 0; r < nrows; r++)
        f[r + 1] += f[r];
    uint32_t *v = cdp_xmalloc((n + 1) * sizeof *v);
    size_t *at = cdp_xmalloc((nrows + 1) * sizeof *at);
    memcpy(at, f, (nrows + 1) * sizeof *at);
    for (size_t i = 0; i < n; i++)
        v[at[row[i]]++] = value[i];
    free(at);
    *first = f;
    *values = v;
}

static void apply_catalog(struct cdp_activity *h, const struct cdp_catalog *cat,
                          const struct cdp_catalog_item ***by_old)
{
    size_t n = cat ? cdp_catalog_count(cat) : 0;
    for (size_t i = 0; i < n; i++) {
        const struct cdp_catalog_item *ci = cdp_catalog_item(cat, i);
        uint32_t item = cdp_intern_add(h->items, ci->sku, ci->sku_len, NULL);
        grow_items(h, item);
        if (ci->category)
            h->item_cat[item] = cdp_intern_add(h->categories, ci->category, ci->category_len, NULL);
    }
    size_t nitems = cdp_intern_count(h->items);
    *by_old = cdp_xcalloc(nitems + 1, sizeof **by_old);
    for (size_t i = 0; i < n; i++) {
        const struct cdp_catalog_item *ci = cdp_catalog_item(cat, i);
        (*by_old)[cdp_intern_find(h->items, ci->sku, ci->sku_len)] = ci;
    }
}

static void build_baskets(struct cdp_activity *h, const struct raw_event *past, size_t npast,
                          const uint32_t *item_rank)
{
    uint32_t *row = cdp_xmalloc((npast + 1) * sizeof *row);
    uint32_t *val = cdp_xmalloc((npast + 1) * sizeof *val);
    size_t n = 0, nb = cdp_intern_count(h->baskets);
    for (size_t i = 0; i < npast; i++) {
        const struct raw_event *e = &past[i];
        if (e->kind != CDP_EVENT_PURCHASE)
            continue;
        row[n] = e->basket != CDP_NONE ? e->basket : (uint32_t)nb++;
        val[n++] = item_rank[e->item];
    }
    struct cdp_baskets *b = &h->order_baskets;
    rows_of(nb, row, val, n, &b->first, &b->items);
    sort_rows(nb, b->first, b->items);
    /* Orders with no purchase left (all lines at or after the cut) go. */
    size_t out = 0;
    for (size_t r = 0; r < nb; r++)
        if (b->first[r] < b->first[r + 1])
            b->first[out++] = b->first[r];
    b->first[out] = b->first[nb];
    b->n = out;
    free(row);
    free(val);
}

void cdp_activity_finish(struct cdp_activity *h, int64_t cut_ms, const struct cdp_catalog *cat)
{
    const struct cdp_catalog_item **catalog_by_old;
    apply_catalog(h, cat, &catalog_by_old);
    uint32_t *person_rank = renumber(h->people, &h->npeople, &h->person_name, &h->person_len);
    uint32_t *item_rank = renumber(h->items, &h->nitems, &h->sku, &h->sku_len);
    uint32_t *cat_rank = renumber(h->categories, &h->ncats, &h->cat_name, &h->cat_len);
    h->category = cdp_xmalloc((h->nitems + 1) * sizeof *h->category);
    h->price = cdp_xmalloc((h->nitems + 1) * sizeof *h->price);
    h->price_len = cdp_xmalloc((h->nitems + 1) * sizeof *h->price_len);
    h->catalog = cdp_xmalloc((h->nitems + 1) * sizeof *h->catalog);
    h->buyers = cdp_xcalloc(h->nitems + 1, sizeof *h->buyers);
    for (size_t old = 0; old < h->nitems; old++) {
        uint32_t i = item_rank[old];
        h->category[i] = h->item_cat[old] == CDP_NONE ? CDP_NONE : cat_rank[h->item_cat[old]];
        h->price[i] = h->item_price[old];
        h->price_len[i] = h->item_price_len[old];
        h->catalog[i] = catalog_by_old[old];
    }
    free(catalog_by_old);

    /* The past, by person (anonymous events last), and the future's
     * purchases. */
    size_t npast = 0, nfuture = 0;
    uint32_t *fut_person = cdp_xmalloc((h->nraw + 1) * sizeof *fut_person);
    uint32_t *fut_item = cdp_xmalloc((h->nraw + 1) * sizeof *fut_item);
    for (size_t i = 0; i < h->nraw; i++) {
        struct raw_event e = h->raw[i];
        if (e.ts != CDP_UNDATED && e.ts >= cut_ms) {
            h->counts.future++;
            if (e.kind == CDP_EVENT_PURCHASE && e.person != CDP_NONE) {
                fut_person[nfuture] = person_rank[e.person];
                fut_item[nfuture++] = item_rank[e.item];
            }
            continue;
        }
        h->raw[npast++] = e;
    }
    rows_of(h->npeople, fut_person, fut_item, nfuture, &h->future_first, &h->future);
    sort_rows(h->npeople, h->future_first, h->future);
    free(fut_person);
    free(fut_item);
    build_baskets(h, h->raw, npast, item_rank);
    cdp_intern_free(h->baskets); /* order ids are not needed any more */
    h->baskets = NULL;

    size_t *first = cdp_xcalloc(h->npeople + 2, sizeof *first);
    for (size_t i = 0; i < npast; i++) {
        uint32_t p = h->raw[i].person;
        first[(p == CDP_NONE ? h->npeople : person_rank[p]) + 1]++;
    }
    for (size_t p = 0; p <= h->npeople; p++)
        first[p + 1] += first[p];
    h->events = cdp_xmalloc((first[h->npeople + 1] + 1) * sizeof *h->events);
    size_t *at = cdp_xmalloc((h->npeople + 2) * sizeof *at);
    memcpy(at, first, (h->npeople + 2) * sizeof *at);
    for (size_t i = 0; i < npast; i++) {
        const struct raw_event *e = &h->raw[i];
        struct cdp_event *d = &h->events[at[e->person == CDP_NONE ? h->npeople : person_rank[e->person]]++];
        d->ts = e->ts;
        d->item = item_rank[e->item];
        d->kind = e->kind;
    }
    free(at);
    h->events_first = first;
    /* Each person's events by time (and the anonymous ones, so that sums
     * over them never depend on the input's order); buyers: distinct
     * people per item, and every anonymous purchase. */
    uint32_t *last = cdp_xmalloc((h->nitems + 1) * sizeof *last);
    memset(last, 0xff, (h->nitems + 1) * sizeof *last);
    for (size_t p = 0; p <= h->npeople; p++) {
        struct cdp_event *ev = h->events + first[p];
        size_t n = first[p + 1] - first[p];
        qsort(ev, n, sizeof *ev, cmp_event);
        for (size_t i = 0; i < n; i++)
            if (ev[i].kind == CDP_EVENT_PURCHASE && (p == h->npeople || last[ev[i].item] != p)) {
                last[ev[i].item] = (uint32_t)p;
                h->buyers[ev[i].item]++;
            }
    }
    free(last);
    free(h->raw);
    h->raw = NULL;
    h->nraw = h->raw_cap = 0;
    free(person_rank);
    free(item_rank);
    free(cat_rank);
    h->finished = true;
}

/* ---- after finish -------------------------------------------------------- */

size_t cdp_activity_people(const struct cdp_activity *h)
{
    return h->npeople;
}

size_t cdp_activity_items(const struct cdp_activity *h)
{
    return h->nitems;
}

size_t cdp_activity_categories(const struct cdp_activity *h)
{
    return h->ncats;
}

const char *cdp_activity_person(const struct cdp_activity *h, uint32_t person, size_t *len)
{
    if (len)
        *len = h->person_len[person];
    return h->person_name[person];
}

const char *cdp_activity_sku(const struct cdp_activity *h, uint32_t item, size_t *len)
{
    if (len)
        *len = h->sku_len[item];
    return h->sku[item];
}

const char *cdp_activity_category_name(const struct cdp_activity *h, uint32_t category, size_t *len)
{
    if (len)
        *len = h->cat_len[category];
    return h->cat_name[category];
}

uint32_t cdp_activity_item_category(const struct cdp_activity *h, uint32_t item)
{
    return h->category[item];
}

const char *cdp_activity_item_price(const struct cdp_activity *h, uint32_t item, size_t *len)
{
    *len = h->price_len[item];
    return h->price[item];
}

const struct cdp_catalog_item *cdp_activity_item_catalog(const struct cdp_activity *h, uint32_t item)
{
    return h->catalog[item];
}

uint32_t cdp_activity_buyers(const struct cdp_activity *h, uint32_t item)
{
    return h->buyers[item];
}

const struct cdp_event *cdp_activity_anonymous(const struct cdp_activity *h, size_t *n)
{
    *n = h->events_first[h->npeople + 1] - h->events_first[h->npeople];
    return h->events + h->events_first[h->npeople];
}

const struct cdp_event *cdp_activity_events(const struct cdp_activity *h, uint32_t person, size_t *n)
{
    *n = h->events_first[person + 1] - h->events_first[person];
    return h->events + h->events_first[person];
}

const uint32_t *cdp_activity_future(const struct cdp_activity *h, uint32_t person, size_t *n)
{
    *n = h->future_first[person + 1] - h->future_first[person];
    return h->future + h->future_first[person];
}

const struct cdp_baskets *cdp_activity_baskets(struct cdp_activity *h, enum cdp_basket_kind kind)
{
    if (kind == CDP_BASKET_ORDER)
        return &h->order_baskets;
    if (!h->have_person_baskets) {
        /* Everything each person bought: their purchases, distinct. */
        struct cdp_baskets *b = &h->person_baskets;
        b->first = cdp_xmalloc((h->npeople + 1) * sizeof *b->first);
        b->items = cdp_xmalloc((h->events_first[h->npeople] + 1) * sizeof *b->items);
        size_t n = 0, out = 0;
        for (size_t p = 0; p < h->npeople; p++) {
            size_t start = out;
            for (size_t i = h->events_first[p]; i < h->events_first[p + 1]; i++)
                if (h->events[i].kind == CDP_EVENT_PURCHASE)
                    b->items[out++] = h->events[i].item;
            if (out == start)
                continue;
            qsort(b->items + start, out - start, sizeof *b->items, cmp_u32);
            size_t k = start;
            for (size_t i = start; i < out; i++)
                if (i == start || b->items[i] != b->items[i - 1])
                    b->items[k++] = b->items[i];
            out = k;
            b->first[n++] = start;
        }
        b->first[n] = out;
        b->n = n;
        h->have_person_baskets = true;
    }
    return &h->person_baskets;
}
