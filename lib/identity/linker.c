#include "identity/linker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/pipeline.h"
#include "identity/edges.h"
#include "identity/linked.h"
#include "io/batch.h"
#include "io/json.h"
#include "io/lines.h"
#include "io/runfile.h"
#include "norm/show.h"
#include "io/shard.h"

/* Pass 1 marks a row that is not a record with this instead of a node,
 * and a record of a forgotten person with the other. */
#define ROW_BAD (CDP_NO_NODE - 1)
#define ROW_FORGOTTEN (CDP_NO_NODE - 2)
#define ITEM_BAD UINT32_MAX
#define ITEM_FORGOTTEN (UINT32_MAX - 1)

/* Rows a pass 1 batch holds at most, and bytes: enough to make handing a
 * batch to a thread cheap, few enough to keep memory small. */
#define BATCH_ROWS 8192
#define BATCH_BYTES ((size_t)2 << 20)

/* How many items apart pass 1's consumer fetches each step ahead. */
#define PREFETCH_AHEAD 4

/* A row whose group was chosen by time: pass 2 writes it with this one. */
struct timed_row {
    uint64_t row;
    uint32_t group; /* CDP_NO_NODE: nobody's */
};

struct cdp_linker {
    struct cdp_linker_options o;
    struct cdp_graph *graph;
    struct cdp_modellink *model;
    uint32_t *row_node; /* per input row, in order: node, CDP_NO_NODE or ROW_BAD */
    uint8_t *had_id;    /* bit per row: the record already had a cdp_id */
    size_t nrows, rows_cap;
    uint16_t *row_shard; /* --resolve: per row, the shard it is in */
    size_t nshards;
    uint64_t forgotten; /* rows of ROW_FORGOTTEN */
    size_t input_first_row; /* pass 1: the first row of the input being read */
    size_t next_row;    /* pass 2: the row to write next */
    /* The rows with a device value (anon_id): a bit per row, and their
     * times in row order (ms since 1970, CDP_NO_TIME). A third of the rows
     * at 1M persons: their row numbers beside the times were 33 MB. */
    uint8_t *device_bit;
    int64_t *device_ts;
    size_t ndevices, devices_cap;
    struct timed_row *timed;    /* after cdp_linker_attribute, in row order */
    size_t ntimed, next_timed;
    struct cdp_record rec;
    struct cdp_json_parser *json;
};

struct cdp_linker *cdp_linker_new(const struct cdp_linker_options *o)
{
    struct cdp_linker *lk = cdp_xcalloc(1, sizeof *lk);
    lk->o = *o;
    lk->graph = cdp_graph_new(o->keys, o->conflicts, o->nconflicts);
    if (o->model)
        lk->model = cdp_modellink_new(o->model, o->keys);
    lk->rec = (struct cdp_record)CDP_RECORD_INIT;
    lk->json = cdp_json_parser_new();
    return lk;
}

void cdp_linker_free(struct cdp_linker *lk)
{
    if (!lk)
        return;
    cdp_graph_free(lk->graph);
    cdp_modellink_free(lk->model);
    free(lk->row_node);
    free(lk->had_id);
    free(lk->device_bit);
    free(lk->device_ts);
    free(lk->timed);
    free(lk->row_shard);
    cdp_record_release(&lk->rec);
    cdp_json_parser_free(lk->json);
    free(lk);
}

uint64_t cdp_linker_rows(const struct cdp_linker *lk)
{
    return lk->nrows;
}

uint64_t cdp_linker_forgotten(const struct cdp_linker *lk)
{
    return lk->forgotten;
}

struct cdp_graph *cdp_linker_graph(struct cdp_linker *lk)
{
    return lk->graph;
}

struct cdp_modellink *cdp_linker_model(struct cdp_linker *lk)
{
    return lk->model;
}

/* ---- pass 1 -------------------------------------------------------------- */

struct read_batch {
    struct cdp_batch rows;
    bool json;          /* rows are raw NDJSON lines to parse */
    /* NDJSON comes as a block of whole lines instead (cdp_reader_take_lines),
     * which the worker splits into rows: a copy and a call per row on the
     * reading thread were a fifth of its time in pass 1 at 100k persons. */
    struct cdp_buf block;
    size_t nrows;       /* the rows of rows, or of block once split */
    uint64_t bytes;     /* of the input read when the batch was filled */
    const char *source; /* _source for records that have none */
    struct cdp_graph_items items;
    uint32_t *item_of_row; /* ITEM_BAD: a bad row; ITEM_FORGOTTEN */
    size_t item_cap;
    struct cdp_buf fsvals; /* --model: the model's fields of each person record */
    uint64_t *fs_off;      /* per item: offset in fsvals, UINT64_MAX for none */
    size_t fs_cap;
};

struct read_worker {
    const struct cdp_linker_options *o;
    struct cdp_json_parser *json;
    struct cdp_record rec;
    struct cdp_record scratch; /* a record's attrs, for the model */
    struct cdp_buf pad;
    struct cdp_forget_check *forget; /* --forgotten, or NULL */
    /* The fields pass 1 reads (the keys' and the forget list's), or NULL
     * for all (the model's): cdp_graph_extract's dozen lookups in the whole
     * record were a tenth of cdp-dedupe's instructions at 100k persons. */
    const struct cdp_json_names *fields;
};

/* The model's fields of item it (a person record), packed into fsvals. */
static void extract_model_fields(struct read_worker *w, struct read_batch *b,
                                 const struct cdp_record *rec)
{
    size_t it = b->items.n - 1;
    if (b->fs_cap < b->items.n) {
        b->fs_cap = b->items.n * 2;
        b->fs_off = cdp_xrealloc(b->fs_off, b->fs_cap * sizeof *b->fs_off);
    }
    b->fs_off[it] = UINT64_MAX;
    if (b->items.v[it].person) {
        b->fs_off[it] = b->fsvals.len;
        cdp_fsmodel_extract(w->o->model, rec, w->json, &w->scratch, &w->pad, &b->fsvals);
    }
}

/* Row i of the batch, a record: forgotten, or extracted as the next item. */
static void extract_row(struct read_worker *w, struct read_batch *b, size_t i, const struct cdp_record *rec,
                        uint64_t number)
{
    if (w->forget && cdp_forget_check_record(w->forget, rec)) {
        b->item_of_row[i] = ITEM_FORGOTTEN;
        return;
    }
    b->item_of_row[i] = (uint32_t)b->items.n;
    cdp_graph_extract(w->o->keys, w->o->conflicts, w->o->nconflicts, rec, b->source, number, &b->items);
    if (w->o->model)
        extract_model_fields(w, b, rec);
}

static void grow_rows(struct read_batch *b, size_t n)
{
    if (b->item_cap < n) {
        b->item_cap = n > 2 * b->item_cap ? n : 2 * b->item_cap;
        b->item_of_row = cdp_xrealloc(b->item_of_row, b->item_cap * sizeof *b->item_of_row);
    }
}

/* A block of NDJSON lines: rows numbered from 1 within the block (the
 * consumer renumbers the items that stand for their row number). */
static void read_block(struct read_worker *w, struct read_batch *b)
{
    const char *pos = b->block.data, *end = pos + b->block.len, *line;
    size_t len;
    b->nrows = 0;
    while (cdp_reader_block_row(&pos, end, &line, &len, NULL)) {
        size_t i = b->nrows++;
        grow_rows(b, b->nrows);
        b->item_of_row[i] = ITEM_BAD;
        struct cdp_error why;
        cdp_record_clear(&w->rec);
        if (cdp_json_parse_object_some(w->json, line, len, w->fields, &w->rec, &why) == CDP_JSON_OK)
            extract_row(w, b, i, &w->rec, i + 1);
        /* else pass 2 parses it again for the message */
    }
}

static void read_work(void *worker, void *batch)
{
    struct read_worker *w = worker;
    struct read_batch *b = batch;
    cdp_graph_items_clear(&b->items);
    cdp_buf_reset(&b->fsvals);
    if (b->block.len) {
        read_block(w, b);
        return;
    }
    b->nrows = b->rows.n;
    grow_rows(b, b->rows.n);
    for (size_t i = 0; i < b->rows.n; i++) {
        const struct cdp_batch_row *row = &b->rows.rows[i];
        b->item_of_row[i] = ITEM_BAD;
        if (row->kind != CDP_READ_ROW)
            continue;
        const struct cdp_record *rec = &w->rec;
        struct cdp_record view;
        if (b->json) {
            struct cdp_error why;
            cdp_record_clear(&w->rec);
            if (cdp_json_parse_object_some(w->json, row->raw, row->rawlen, w->fields, &w->rec, &why) !=
                CDP_JSON_OK)
                continue; /* pass 2 parses it again for the message */
        } else {
            cdp_batch_record(&b->rows, i, &view);
            rec = &view;
        }
        extract_row(w, b, i, rec, row->number);
    }
}

static void add_row(struct cdp_linker *lk, uint32_t node, bool had_id)
{
    if (lk->nrows == lk->rows_cap) {
        size_t old = lk->rows_cap;
        lk->rows_cap = lk->rows_cap ? lk->rows_cap * 2 : 1 << 16;
        lk->row_node = cdp_xrealloc(lk->row_node, lk->rows_cap * sizeof *lk->row_node);
        lk->had_id = cdp_xrealloc(lk->had_id, lk->rows_cap / 8);
        memset(lk->had_id + old / 8, 0, (lk->rows_cap - old) / 8);
        lk->device_bit = cdp_xrealloc(lk->device_bit, lk->rows_cap / 8);
        memset(lk->device_bit + old / 8, 0, (lk->rows_cap - old) / 8);
    }
    if (had_id)
        lk->had_id[lk->nrows / 8] |= (uint8_t)(1u << (lk->nrows % 8));
    lk->row_node[lk->nrows++] = node;
}

/* The next row, a record added as node: and, with a device value, its time
 * (what cdp_linker_attribute reads). */
static void add_record_row(struct cdp_linker *lk, const struct cdp_graph_item *item, uint32_t node)
{
    size_t row = lk->nrows;
    add_row(lk, node, item->had_id);
    if (item->device && node != CDP_NO_NODE) {
        if (lk->ndevices == lk->devices_cap) {
            lk->devices_cap = lk->devices_cap ? lk->devices_cap * 2 : 4096;
            lk->device_ts = cdp_xrealloc(lk->device_ts, lk->devices_cap * sizeof *lk->device_ts);
        }
        lk->device_ts[lk->ndevices++] = item->ts;
        lk->device_bit[row / 8] |= (uint8_t)(1u << (row % 8));
    }
}

/* The map step of a sharded run: each row's contribution to the edges file. */
static void emit_edges(struct cdp_linker *lk, struct read_batch *b)
{
    struct cdp_buf *out = cdp_output_buffer(lk->o.edges);
    for (size_t i = 0; i < b->nrows; i++) {
        uint32_t it = b->item_of_row[i];
        if (it == ITEM_BAD || it == ITEM_FORGOTTEN)
            cdp_edges_row(out, it == ITEM_BAD ? CDP_EDGES_BAD : CDP_EDGES_FORGOTTEN);
        else
            cdp_edges_item(out, &b->items, it, lk->o.nconflicts);
        lk->nrows++;
        lk->forgotten += it == ITEM_FORGOTTEN;
        cdp_output_flush_some(lk->o.edges); /* a failure is reported at commit */
    }
}

/* A block's items numbered from 1 get their rows' numbers in the input. */
static void renumber(struct cdp_linker *lk, struct read_batch *b)
{
    uint64_t before = lk->nrows - lk->input_first_row;
    for (size_t i = 0; i < b->nrows; i++)
        if (b->item_of_row[i] < ITEM_FORGOTTEN && b->items.v[b->item_of_row[i]].numbered)
            cdp_graph_items_renumber(&b->items, b->item_of_row[i], before + i + 1);
}

/* The rows of a batch into the graph, in order. */
static void add_rows(struct cdp_linker *lk, struct read_batch *b)
{
    for (size_t i = 0; i < b->nrows; i++) {
        uint32_t it = b->item_of_row[i];
        if (it == ITEM_BAD || it == ITEM_FORGOTTEN) {
            add_row(lk, it == ITEM_BAD ? ROW_BAD : ROW_FORGOTTEN, false);
            lk->forgotten += it == ITEM_FORGOTTEN;
            continue;
        }
        /* The graph's tables outgrow the cache: their lines are fetched
         * for the items ahead, in 3 steps 4 items apart (at 100k persons
         * the intern probes fell from 6% of cdp-dedupe's CPU samples to 2%,
         * the prefetching itself costing 2.5%: 17% to 14.5% for this loop). */
        for (int step = 0; step < 3; step++)
            if (it + PREFETCH_AHEAD * (3 - step) < b->items.n)
                cdp_graph_prefetch_item(lk->graph, &b->items, it + PREFETCH_AHEAD * (3 - step), step);
        uint32_t node = cdp_graph_add_item(lk->graph, &b->items, it);
        add_record_row(lk, &b->items.v[it], node);
        if (lk->model && b->fs_off[it] != UINT64_MAX && node != CDP_NO_NODE)
            cdp_modellink_add(lk->model, b->fsvals.data + b->fs_off[it], node);
    }
}

static void read_consume(void *owner, void *batch)
{
    struct cdp_linker *lk = owner;
    struct read_batch *b = batch;
    if (b->block.len)
        renumber(lk, b);
    if (lk->o.edges)
        emit_edges(lk, b);
    else
        add_rows(lk, b);
    if (b->block.len && lk->o.progress)
        lk->o.progress(lk->o.ctx, lk->nrows, b->bytes);
    cdp_batch_clear(&b->rows);
    cdp_buf_reset(&b->block);
    b->nrows = 0;
}

static void *read_batch_new(void *owner)
{
    (void)owner;
    return cdp_xcalloc(1, sizeof(struct read_batch));
}

static void read_batch_free(void *owner, void *batch)
{
    struct read_batch *b = batch;
    (void)owner;
    cdp_batch_release(&b->rows);
    cdp_buf_release(&b->block);
    cdp_graph_items_release(&b->items);
    free(b->item_of_row);
    cdp_buf_release(&b->fsvals);
    free(b->fs_off);
    free(b);
}

/* The reading thread, which adds every item to the graph in order, is pass
 * 1's slow stage (busy about 55% of the pass at 100k persons: fair shares
 * of two CPUs among it, two parsers and a decompressor kept it waiting).
 * Workers nicer by 10, alternated with the same build without: at 100k
 * persons a median of 2.19 s against 2.31 s (ten pairs, seven faster), at
 * 1M 23.7-24.9 s against 24.4-25.8 s (three pairs); nicer by 5 and by 19
 * did no better. */
static const struct cdp_pipeline_ops read_ops = { read_batch_new, read_batch_free, read_work,
                                                  read_consume, 10 };

static struct read_batch *next_batch(struct cdp_pipeline *pl, bool json, const char *source)
{
    struct read_batch *b = cdp_pipeline_batch(pl);
    b->json = json;
    b->source = source;
    return b;
}

/* Pass 1 over one input: every row into a batch, in order. */
static int read_input(struct cdp_linker *lk, struct cdp_pipeline *pl, const struct cdp_reread *in,
                      const struct cdp_reader_options *opt, struct cdp_error *err)
{
    struct cdp_reader_options o = *opt;
    o.lines_only = true; /* NDJSON lines are parsed by the workers */
    struct cdp_reader *r = cdp_reader_open(in->path, &o, err);
    if (!r)
        return -1;
    bool json = cdp_reader_format(r) == CDP_FORMAT_NDJSON;
    struct cdp_row row;
    int status = 0;
    uint64_t rows = lk->nrows;
    lk->input_first_row = lk->nrows;
    struct read_batch *b = next_batch(pl, json, in->label);
    enum cdp_read k;
    while (json) {
        long got = cdp_reader_take_lines(r, &b->block, err);
        if (got <= 0) {
            status = got < 0 ? -1 : 0;
            break;
        }
        b->bytes = cdp_reader_bytes(r);
        cdp_pipeline_submit(pl, b);
        b = next_batch(pl, json, in->label);
    }
    while (!json && (k = cdp_reader_next(r, &lk->rec, &row, err)) != CDP_READ_END) {
        if (k == CDP_READ_ERROR) {
            status = -1;
            break;
        }
        cdp_batch_add(&b->rows, k, &lk->rec, &row);
        if (lk->o.progress)
            lk->o.progress(lk->o.ctx, ++rows, cdp_reader_bytes(r));
        if (b->rows.n >= BATCH_ROWS || b->rows.bytes >= BATCH_BYTES) {
            cdp_pipeline_submit(pl, b);
            b = next_batch(pl, json, in->label);
        }
    }
    if (b->rows.n || b->block.len)
        cdp_pipeline_submit(pl, b);
    else
        cdp_pipeline_unused(pl, b);
    cdp_pipeline_drain(pl);
    cdp_reader_close(r);
    return status;
}

int cdp_linker_read(struct cdp_linker *lk, const struct cdp_reread *inputs, size_t n,
                    const struct cdp_reader_options *in, struct cdp_error *err)
{
    size_t nworkers = lk->o.nworkers, nctx = nworkers ? nworkers : 1;
    struct read_worker *workers = cdp_xcalloc(nctx, sizeof *workers);
    void **ctx = cdp_xcalloc(nctx, sizeof *ctx);
    struct cdp_json_names fields = { { 0 } };
    cdp_graph_extract_fields(lk->o.keys, lk->o.conflicts, lk->o.nconflicts, &fields);
    bool forget = lk->o.forgotten && cdp_forgetlist_count(lk->o.forgotten);
    if (forget)
        cdp_forget_check_names(&fields);
    bool all_fields = lk->o.model != NULL;
    for (size_t i = 0; i < nctx; i++) {
        workers[i].o = &lk->o;
        workers[i].fields = all_fields ? NULL : &fields;
        workers[i].json = cdp_json_parser_new();
        workers[i].rec = (struct cdp_record)CDP_RECORD_INIT;
        workers[i].scratch = (struct cdp_record)CDP_RECORD_INIT;
        if (forget)
            workers[i].forget = cdp_forget_check_new(lk->o.forgotten);
        ctx[i] = &workers[i];
    }
    int status = -1;
    struct cdp_pipeline *pl = cdp_pipeline_new(&read_ops, lk, nworkers, ctx, err);
    if (pl) {
        status = 0;
        if (lk->o.edges)
            cdp_edges_header(cdp_output_buffer(lk->o.edges), lk->o.keys, lk->o.conflicts, lk->o.nconflicts);
        for (size_t i = 0; i < n && status == 0; i++)
            status = read_input(lk, pl, &inputs[i], in, err);
        if (lk->o.edges && status == 0)
            cdp_edges_end(cdp_output_buffer(lk->o.edges), lk->nrows);
    }
    cdp_pipeline_free(pl);
    for (size_t i = 0; i < nctx; i++) {
        cdp_json_parser_free(workers[i].json);
        cdp_record_release(&workers[i].rec);
        cdp_record_release(&workers[i].scratch);
        cdp_buf_release(&workers[i].pad);
        cdp_forget_check_free(workers[i].forget);
    }
    free(workers);
    free(ctx);
    return status;
}

/* ---- between the passes -------------------------------------------------- */

static void add_record_ref(struct cdp_buf *b, const char *name, const struct cdp_graph *g,
                           uint32_t node)
{
    const char *s, *r;
    cdp_graph_node_record(g, node, &s, &r);
    cdp_buf_printf(b, ",\"%s\":{\"_source\":", name);
    cdp_json_add_string(b, s, strlen(s));
    cdp_buf_adds(b, ",\"_rid\":");
    cdp_json_add_string(b, r, strlen(r));
    cdp_buf_addc(b, '}');
}

/* A value of field as a JSON string: as read, or masked (norm/show.h). */
static void add_value(struct cdp_buf *b, const char *field, const char *s, size_t n, bool clear)
{
    if (clear || n == 0) { /* the model's links have no value */
        cdp_json_add_string(b, s, n);
        return;
    }
    struct cdp_buf shown = CDP_BUF_INIT;
    cdp_show_value(&shown, s, n, cdp_show_kind_of(field), false);
    cdp_json_add_string(b, shown.data, shown.len);
    cdp_buf_release(&shown);
}

void cdp_linker_format_link(const struct cdp_linker *lk, const struct cdp_link *l,
                            struct cdp_buf *b)
{
    static const char *const kinds[] = { "used", "blocked", "over_limit", "conflict", "shared_device", "ambiguous" };
    cdp_buf_printf(b, "{\"link\":\"%s\",\"key\":", l->kind == CDP_LINK_USED ? "used" : "refused");
    cdp_json_add_string(b, l->key, strlen(l->key));
    cdp_buf_adds(b, ",\"value\":");
    /* A blocked value is a placeholder, nobody's (+79999999999): whole. */
    add_value(b, l->key, l->value, l->value_len, lk->o.show_values || l->kind == CDP_LINK_BLOCKED);
    if (l->kind != CDP_LINK_USED)
        cdp_buf_printf(b, ",\"reason\":\"%s\"", kinds[l->kind]);
    if (l->a != CDP_NO_NODE)
        add_record_ref(b, "a", lk->graph, l->a);
    if (l->b != CDP_NO_NODE)
        add_record_ref(b, "b", lk->graph, l->b);
    if (l->kind == CDP_LINK_OVER_LIMIT)
        cdp_buf_printf(b, ",\"people\":%llu,\"limit\":%u", (unsigned long long)l->people, l->limit);
    if (l->kind == CDP_LINK_SHARED_DEVICE)
        cdp_buf_printf(b, ",\"people\":%llu", (unsigned long long)l->people);
    if (l->kind == CDP_LINK_BLOCKED || l->kind == CDP_LINK_AMBIGUOUS)
        cdp_buf_printf(b, ",\"records\":%llu", (unsigned long long)l->people);
    if (lk->model && strcmp(l->key, "model") == 0) {
        /* The "waterfall": what each comparison added to the match weight. */
        cdp_buf_adds(b, ",\"match\":");
        cdp_modellink_explain(lk->model, l->pair, lk->o.show_values, b);
    }
    if (l->kind == CDP_LINK_CONFLICT) {
        cdp_buf_adds(b, ",\"field\":");
        cdp_json_add_string(b, l->field, strlen(l->field));
        cdp_buf_adds(b, ",\"values\":[");
        add_value(b, l->field, l->value_a, strlen(l->value_a), lk->o.show_values);
        cdp_buf_addc(b, ',');
        add_value(b, l->field, l->value_b, strlen(l->value_b), lk->o.show_values);
        cdp_buf_addc(b, ']');
    }
    cdp_buf_adds(b, "}\n");
}

void cdp_linker_format_stats(const struct cdp_linker *lk, struct cdp_buf *b)
{
    struct cdp_graph_counts c;
    cdp_graph_counts(lk->graph, &c);
    cdp_buf_printf(b,
                   "\"graph\":{\"person_records\":%llu,\"event_records\":%llu,"
                   "\"anonymous_events\":%llu,\"nodes\":%llu,\"values\":%llu,"
                   "\"rounds\":%llu",
                   (unsigned long long)c.persons, (unsigned long long)c.events,
                   (unsigned long long)c.anonymous_events, (unsigned long long)c.nodes,
                   (unsigned long long)c.values, (unsigned long long)c.rounds);
    if (c.shared_devices || c.ambiguous_events)
        cdp_buf_printf(b, ",\"shared_devices\":%llu,\"ambiguous_events\":%llu",
                       (unsigned long long)c.shared_devices, (unsigned long long)c.ambiguous_events);
    cdp_buf_addc(b, '}');
}

/* ---- events on shared devices, by time ----------------------------------- */

/* A login (a row in a person's group) or an anonymous row on a device. */
struct device_event {
    uint32_t device; /* value id */
    uint32_t group;  /* a login's group; CDP_NO_NODE for an anonymous row */
    int64_t ts;
    uint64_t row;
};

static int by_device_time(const void *a, const void *b)
{
    const struct device_event *x = a, *y = b;
    if (x->device != y->device)
        return x->device < y->device ? -1 : 1;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    bool xa = x->group == CDP_NO_NODE, ya = y->group == CDP_NO_NODE;
    if (xa != ya)
        return xa ? 1 : -1; /* a login at the same moment comes first */
    return (x->row > y->row) - (x->row < y->row);
}

static int by_row(const void *a, const void *b)
{
    const struct timed_row *x = a, *y = b;
    return (x->row > y->row) - (x->row < y->row);
}

/* The groups of the anonymous events ev[from..to) of one device, sorted by
 * time, logins and anonymous events mixed, into group[from..to): the last
 * login before each, else the first after it within the session window. */
static void groups_by_time(const struct device_event *ev, size_t from, size_t to, uint32_t *group)
{
    uint32_t last = CDP_NO_NODE;
    for (size_t e = from; e < to; e++) {
        if (ev[e].ts == CDP_NO_TIME) {
            group[e] = CDP_NO_NODE; /* a login or an event at no known time */
            continue;
        }
        if (ev[e].group != CDP_NO_NODE)
            last = ev[e].group;
        group[e] = last;
    }
    uint32_t next = CDP_NO_NODE;
    int64_t next_ts = 0;
    for (size_t e = to; e-- > from;) {
        if (ev[e].ts == CDP_NO_TIME)
            continue;
        if (ev[e].group != CDP_NO_NODE) {
            next = ev[e].group;
            next_ts = ev[e].ts;
        } else if (group[e] == CDP_NO_NODE && next != CDP_NO_NODE && next_ts - ev[e].ts <= CDP_LINKER_SESSION_MS) {
            group[e] = next;
        }
    }
}

void cdp_linker_attribute(struct cdp_linker *lk, struct cdp_linker_attribution *out)
{
    memset(out, 0, sizeof *out);
    struct device_event *ev = cdp_xmalloc((lk->ndevices + 1) * sizeof *ev);
    size_t n = 0;
    for (size_t row = 0, i = 0; i < lk->ndevices; row++) {
        if (!lk->device_bit[row / 8]) {
            row |= 7; /* the next byte's first row next */
            continue;
        }
        if (!(lk->device_bit[row / 8] >> (row % 8) & 1))
            continue;
        int64_t ts = lk->device_ts[i++];
        uint32_t node = lk->row_node[row];
        uint32_t device = cdp_graph_node_shared_device(lk->graph, node);
        if (device == CDP_NO_NODE)
            continue;
        bool anonymous = cdp_graph_node_fate(lk->graph, node) == CDP_NODE_BY_TIME;
        ev[n++] = (struct device_event){ device, anonymous ? CDP_NO_NODE : cdp_graph_group(lk->graph, node),
                                         ts, row };
    }
    qsort(ev, n, sizeof *ev, by_device_time);
    free(lk->timed);
    lk->timed = cdp_xmalloc((n + 1) * sizeof *lk->timed);
    lk->ntimed = lk->next_timed = 0;
    uint32_t *group = cdp_xmalloc((n + 1) * sizeof *group);
    for (size_t from = 0; from < n;) {
        size_t to = from;
        while (to < n && ev[to].device == ev[from].device)
            to++;
        groups_by_time(ev, from, to, group);
        for (size_t e = from; e < to; e++) {
            if (ev[e].group != CDP_NO_NODE)
                continue;
            lk->timed[lk->ntimed++] = (struct timed_row){ ev[e].row, group[e] };
            if (group[e] == CDP_NO_NODE)
                out->unattributed++;
            else
                out->attributed++;
        }
        from = to;
    }
    qsort(lk->timed, lk->ntimed, sizeof *lk->timed, by_row);
    free(group);
    free(ev);
}

/* ---- pass 2 -------------------------------------------------------------- */

/* Parses a row pass 1 found bad or carrying a cdp_id, into lk->rec; a row
 * that is not a record gets its reason. */
static enum cdp_read reparse(struct cdp_linker *lk, struct cdp_row *row)
{
    struct cdp_error why;
    cdp_record_clear(&lk->rec);
    enum cdp_json_status st = cdp_json_parse_object(lk->json, row->raw, row->rawlen, &lk->rec, &why);
    if (st == CDP_JSON_OK)
        return CDP_READ_ROW;
    snprintf(row->reason, sizeof row->reason, "%.200s", why.msg);
    row->code = cdp_json_status_code(st);
    return CDP_READ_BAD;
}

static void reject(struct cdp_linker *lk, const char *file, const struct cdp_row *row)
{
    struct cdp_reject r = { NULL, file, row->line, row->number, row->code, row->reason,
                            row->raw, row->rawlen };
    if (lk->o.reject)
        lk->o.reject(lk->o.ctx, &r);
}

/* What pass 2 does with a row: from pass 1 and the ids given (file NULL),
 * or from the ids file of a sharded run. */
struct row_plan {
    enum cdp_edges_row kind;
    bool had_id;
    const char *id; /* NULL: none */
};

/* The next row's plan: 1, 0 when there are no more rows, -1 with err. */
static int next_plan(struct cdp_linker *lk, const struct cdp_idstate *ids, struct cdp_ids_reader *file,
                     struct row_plan *p, struct cdp_error *err)
{
    if (file)
        return cdp_ids_next(file, &p->kind, &p->had_id, &p->id, err);
    if (lk->next_row >= lk->nrows)
        return 0;
    size_t ri = lk->next_row++;
    uint32_t node = lk->row_node[ri];
    p->kind = node == ROW_BAD ? CDP_EDGES_BAD : node == ROW_FORGOTTEN ? CDP_EDGES_FORGOTTEN : CDP_EDGES_RECORD;
    p->had_id = lk->had_id[ri / 8] >> (ri % 8) & 1;
    uint32_t group = p->kind == CDP_EDGES_RECORD ? cdp_graph_group(lk->graph, node) : CDP_NO_NODE;
    if (p->kind == CDP_EDGES_RECORD && lk->next_timed < lk->ntimed && lk->timed[lk->next_timed].row == ri)
        group = lk->timed[lk->next_timed++].group;
    p->id = group == CDP_NO_NODE ? NULL : cdp_idstate_group_id(ids, group);
    return 1;
}

/* Where pass 2 writes, and what it writes with. */
struct write_to {
    const struct cdp_reread *in;
    const struct cdp_idstate *ids;
    struct cdp_ids_reader *file; /* --apply: the ids file, else NULL */
    struct cdp_output *out;
    uint64_t *written;
    bool ndjson;
};

/* One row read (k: CDP_READ_ROW or CDP_READ_BAD) written as its plan says:
 * 1 to go on, 0 when the output failed (reported at commit), -1 with err. */
static int write_row(struct cdp_linker *lk, const struct write_to *w, enum cdp_read k, struct cdp_row *row,
                     struct cdp_error *err)
{
    struct row_plan plan;
    int more = next_plan(lk, w->ids, w->file, &plan, err);
    if (more <= 0) {
        if (more == 0 && w->file)
            cdp_errorf(err, "%s: more rows than its ids file gives", w->in->label);
        else if (more == 0)
            cdp_errorf(err, "'%s' changed between the two passes (it has more rows than in the first pass)", w->in->label);
        return -1;
    }
    if (plan.kind == CDP_EDGES_FORGOTTEN)
        return 1;
    bool bad = plan.kind == CDP_EDGES_BAD;
    bool parse = w->ndjson && (bad || plan.had_id);
    if (parse)
        k = reparse(lk, row);
    if (k == CDP_READ_BAD || bad) {
        reject(lk, w->in->label, row);
        return 1;
    }
    if (w->ndjson && !parse)
        cdp_linked_append(cdp_output_buffer(w->out), row->raw, row->rawlen, plan.id);
    else
        cdp_linked_write(cdp_output_buffer(w->out), &lk->rec, plan.id);
    ++*w->written;
    return cdp_output_flush_some(w->out) < 0 ? 0 : 1;
}

/* NDJSON a block of lines at a time, its rows split here: a call per row
 * to the reader was 0.62 G of pass 2's 1.6 G instructions on the reading
 * thread at 100k persons (callgrind). */
static int write_blocks(struct cdp_linker *lk, struct cdp_reader *r, const struct write_to *w,
                        struct cdp_error *err)
{
    struct cdp_row row;
    row.number = 0;
    uint64_t line = 0;
    const char *block;
    size_t len;
    long lines;
    while ((lines = cdp_reader_lines_block(r, &block, &len, err)) > 0) {
        uint64_t first = line;
        const char *pos = block, *end = block + len;
        while (cdp_reader_block_row(&pos, end, &row.raw, &row.rawlen, &line)) {
            row.line = line;
            row.number++;
            row.reason[0] = '\0';
            row.code = NULL;
            int more = write_row(lk, w, CDP_READ_ROW, &row, err);
            if (more <= 0)
                return more;
        }
        line = first + (uint64_t)lines;
    }
    return lines < 0 ? -1 : 1;
}

static int write_input(struct cdp_linker *lk, const struct cdp_reread *in,
                       const struct cdp_reader_options *opt, const struct cdp_idstate *ids,
                       struct cdp_ids_reader *file, struct cdp_output *out, uint64_t *written,
                       struct cdp_error *err)
{
    struct cdp_reader_options o = *opt;
    o.lines_only = true;
    struct cdp_reader *r = cdp_reader_open(in->path, &o, err);
    if (!r)
        return -1;
    struct write_to w = { in, ids, file, out, written, cdp_reader_format(r) == CDP_FORMAT_NDJSON };
    int more = 1;
    if (w.ndjson) {
        more = write_blocks(lk, r, &w, err);
    } else {
        struct cdp_row row;
        enum cdp_read k;
        while (more > 0 && (k = cdp_reader_next(r, &lk->rec, &row, err)) != CDP_READ_END)
            more = k == CDP_READ_ERROR ? -1 : write_row(lk, &w, k, &row, err);
    }
    cdp_reader_close(r);
    return more < 0 ? -1 : 0;
}

int cdp_linker_write(struct cdp_linker *lk, const struct cdp_reread *inputs, size_t n,
                     const struct cdp_reader_options *in, const struct cdp_idstate *ids,
                     struct cdp_output *out, uint64_t *written, struct cdp_error *err)
{
    lk->next_row = lk->next_timed = 0;
    for (size_t i = 0; i < n; i++)
        if (write_input(lk, &inputs[i], in, ids, NULL, out, written, err) < 0)
            return -1;
    return 0;
}

/* ---- the steps of a sharded run ------------------------------------------ */

/* Whether the record of items' item 0 is one cdp-shard puts in shard s of
 * n: a check that each edges file is of the shard the order says. */
static bool in_shard(const struct cdp_graph_items *items, uint32_t s, size_t n)
{
    const struct cdp_graph_item *it = &items->v[0];
    struct cdp_buf key = CDP_BUF_INIT;
    cdp_buf_add(&key, items->text.data + it->source_off, it->source_len);
    cdp_buf_addc(&key, '\x1F');
    cdp_buf_add(&key, items->text.data + it->rid_off, it->rid_len);
    bool ok = cdp_shard_of(key.data, key.len, (uint32_t)n) == s;
    cdp_buf_release(&key);
    return ok;
}

int cdp_linker_join(struct cdp_linker *lk, const char *order_path, const char *const *edges, size_t n,
                    struct cdp_error *err)
{
    struct cdp_shard_order *order = cdp_shard_order_open(order_path, err);
    if (!order)
        return -1;
    int status = 0;
    if (cdp_shard_order_shards(order) != n)
        status = cdp_errorf(err, "%s: the order of %u shards, but %zu edges files given", order_path,
                            cdp_shard_order_shards(order), n);
    struct cdp_edges_reader **readers = cdp_xcalloc(n, sizeof *readers);
    for (size_t i = 0; i < n && status == 0; i++)
        if (!(readers[i] = cdp_edges_open(edges[i], lk->o.keys, lk->o.conflicts, lk->o.nconflicts, err)))
            status = -1;
    struct cdp_graph_items items = { 0 };
    lk->nshards = n;
    uint32_t s;
    int k = 0;
    while (status == 0 && (k = cdp_shard_order_next(order, &s, err)) > 0) {
        enum cdp_edges_row kind;
        int got = cdp_edges_next(readers[s], &items, &kind, err);
        if (got <= 0) {
            if (got == 0)
                cdp_errorf(err, "%s: fewer rows than %s gives its shard", edges[s], order_path);
            status = -1;
            break;
        }
        size_t ri = lk->nrows;
        if (kind == CDP_EDGES_RECORD && !in_shard(&items, s, n)) {
            status = cdp_errorf(err, "%s: record %s/%s is not of shard %u of %zu (files swapped, or not "
                                "made from cdp-shard's shards)", edges[s], items.text.data + items.v[0].source_off,
                                items.text.data + items.v[0].rid_off, s, n);
            break;
        }
        if (kind == CDP_EDGES_RECORD) {
            uint32_t node = cdp_graph_add_item(lk->graph, &items, 0);
            add_record_row(lk, &items.v[0], node);
        } else {
            add_row(lk, kind == CDP_EDGES_BAD ? ROW_BAD : ROW_FORGOTTEN, false);
            lk->forgotten += kind == CDP_EDGES_FORGOTTEN;
        }
        if (ri % 65536 == 0)
            lk->row_shard = cdp_xrealloc(lk->row_shard, (ri + 65536) * sizeof *lk->row_shard);
        lk->row_shard[ri] = (uint16_t)s;
        if (lk->o.progress)
            lk->o.progress(lk->o.ctx, lk->nrows, 0);
    }
    if (k < 0)
        status = -1;
    for (size_t i = 0; i < n && status == 0; i++) {
        enum cdp_edges_row kind;
        int got = cdp_edges_next(readers[i], &items, &kind, err);
        if (got > 0)
            cdp_errorf(err, "%s: more rows than %s gives its shard", edges[i], order_path);
        if (got != 0)
            status = -1;
    }
    for (size_t i = 0; i < n; i++)
        cdp_edges_close(readers[i]);
    free(readers);
    cdp_graph_items_release(&items);
    cdp_shard_order_close(order);
    return status;
}

void cdp_linker_write_ids(struct cdp_linker *lk, const struct cdp_idstate *ids, struct cdp_output **outs,
                          struct cdp_output *order, uint64_t *written, uint64_t *rejected)
{
    uint64_t *rows = cdp_xcalloc(lk->nshards + 1, sizeof *rows);
    for (size_t ri = 0; ri < lk->nrows; ri++)
        rows[lk->row_shard[ri]]++;
    for (size_t i = 0; i < lk->nshards; i++)
        cdp_ids_header(cdp_output_buffer(outs[i]), rows[i]);
    if (order)
        cdp_buf_printf(cdp_output_buffer(order), "cdp-shard order %zu\n", lk->nshards);
    free(rows);
    lk->next_row = lk->next_timed = 0;
    struct row_plan plan;
    struct cdp_error err;
    while (next_plan(lk, ids, NULL, &plan, &err) > 0) {
        uint16_t shard = lk->row_shard[lk->next_row - 1];
        *written += plan.kind == CDP_EDGES_RECORD;
        *rejected += plan.kind == CDP_EDGES_BAD;
        struct cdp_output *o = outs[shard];
        cdp_ids_line(cdp_output_buffer(o), plan.kind, plan.had_id, plan.id);
        cdp_output_flush_some(o); /* a failure is reported at commit */
        if (order && plan.kind == CDP_EDGES_RECORD) {
            cdp_buf_printf(cdp_output_buffer(order), "%u\n", shard);
            cdp_output_flush_some(order);
        }
    }
}

int cdp_linker_apply(struct cdp_linker *lk, const struct cdp_reread *inputs, size_t n,
                     const struct cdp_reader_options *in, const char *ids_path, struct cdp_output *out,
                     uint64_t *written, struct cdp_error *err)
{
    struct cdp_ids_reader *file = cdp_ids_open(ids_path, err);
    if (!file)
        return -1;
    int status = 0;
    for (size_t i = 0; i < n && status == 0; i++)
        status = write_input(lk, &inputs[i], in, NULL, file, out, written, err);
    struct row_plan plan;
    int more = status == 0 ? next_plan(lk, NULL, file, &plan, err) : 0;
    if (more > 0)
        cdp_errorf(err, "%s: more rows than the input", ids_path);
    if (more != 0)
        status = -1;
    cdp_ids_close(file);
    return status;
}

/* ---- cdp-forget ------------------------------------------------------------ */

/* Whether the record a link names ({"_source":..,"_rid":..}, JSON text) is
 * one of p's nodes. */
static bool names_node(struct cdp_json_parser *json, struct cdp_buf *pad, const struct cdp_field *ref,
                       const struct cdp_idstate_persons *p)
{
    if (!ref || ref->type != CDP_OBJECT)
        return false;
    struct cdp_record rec = CDP_RECORD_INIT;
    struct cdp_error why;
    cdp_buf_reset(pad);
    cdp_buf_add_padded(pad, ref->val, ref->vlen);
    bool found = false;
    if (cdp_json_parse_object(json, pad->data, pad->len, &rec, &why) == CDP_JSON_OK) {
        const struct cdp_field *s = cdp_record_gets(&rec, "_source"), *r = cdp_record_gets(&rec, "_rid");
        if (s && r && s->type == CDP_STRING && r->type == CDP_STRING) {
            struct cdp_buf key = CDP_BUF_INIT;
            cdp_buf_add(&key, s->val, s->vlen);
            cdp_buf_addc(&key, '\x1F');
            cdp_buf_add(&key, r->val, r->vlen);
            found = cdp_intern_find(p->nodes, key.data, key.len) != UINT32_MAX;
            cdp_buf_release(&key);
        }
    }
    cdp_record_release(&rec);
    return found;
}

/* Whether a link's key and value are an identifier only p hold. */
static bool names_value(const struct cdp_field *key, const struct cdp_field *value,
                        const struct cdp_idstate_persons *p, struct cdp_buf *tmp)
{
    if (!key || !value || key->type != CDP_STRING || value->type != CDP_STRING)
        return false;
    cdp_buf_reset(tmp);
    cdp_buf_add(tmp, key->val, key->vlen);
    cdp_buf_addc(tmp, '\x1F');
    cdp_buf_add(tmp, value->val, value->vlen);
    uint32_t i = cdp_intern_find(p->values, tmp->data, tmp->len);
    return i != UINT32_MAX && !(p->shared && p->shared[i]);
}

struct links_forget {
    const struct cdp_idstate_persons *p;
    struct cdp_json_parser *json;
    struct cdp_buf pad, tmp;
};

static int links_drop(void *ctx, const struct cdp_runfile *rf, struct cdp_record *rec,
                      struct cdp_error *err)
{
    struct links_forget *lf = ctx;
    const struct cdp_field *key = cdp_record_gets(rec, "key"), *value = cdp_record_gets(rec, "value");
    if (!cdp_record_gets(rec, "link") || !key || !value)
        return cdp_runfile_damaged(rf, err, "not a cdp-dedupe link");
    return names_node(lf->json, &lf->pad, cdp_record_gets(rec, "a"), lf->p) ||
           names_node(lf->json, &lf->pad, cdp_record_gets(rec, "b"), lf->p) ||
           names_value(key, value, lf->p, &lf->tmp);
}

int cdp_linker_forget_links(const char *path, const struct cdp_idstate_persons *p,
                            struct cdp_output *out, uint64_t *kept, uint64_t *removed,
                            struct cdp_error *err)
{
    struct links_forget lf = { p, cdp_json_parser_new(), CDP_BUF_INIT, CDP_BUF_INIT };
    int rc = cdp_runfile_filter(path, "links", out, links_drop, &lf, kept, removed, err);
    cdp_buf_release(&lf.pad);
    cdp_buf_release(&lf.tmp);
    cdp_json_parser_free(lf.json);
    return rc;
}
