#include "identity/modellink.h"

#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "base/intern.h"
#include "io/json.h"
#include "io/lines.h"
#include "io/reader.h"

struct cdp_modellink {
    struct cdp_fsmodel *model;
    struct cdp_fstable *table; /* the person records' values */
    uint32_t *node;            /* table row -> graph node */
    size_t node_cap;
    struct cdp_fspairs linked; /* the pairs linked, by tag */
};

static bool blocked_value(void *ctx, const char *s, size_t len)
{
    return cdp_keyset_blocked(ctx, s, len);
}

struct cdp_modellink *cdp_modellink_new(struct cdp_fsmodel *m, const struct cdp_keyset *keys)
{
    struct cdp_modellink *ml = cdp_xcalloc(1, sizeof *ml);
    ml->model = m;
    ml->table = cdp_fstable_new(m);
    cdp_fstable_set_skip(ml->table, blocked_value, (void *)keys);
    return ml;
}

void cdp_modellink_free(struct cdp_modellink *ml)
{
    if (!ml)
        return;
    cdp_fstable_free(ml->table);
    free(ml->node);
    cdp_fspairs_release(&ml->linked);
    free(ml);
}

void cdp_modellink_add(struct cdp_modellink *ml, const char *packed, uint32_t node)
{
    uint32_t row;
    cdp_fstable_add_packed(ml->table, packed, &row);
    if (row >= ml->node_cap) {
        ml->node_cap = ml->node_cap ? ml->node_cap * 2 : 4096;
        ml->node = cdp_xrealloc(ml->node, ml->node_cap * sizeof *ml->node);
    }
    ml->node[row] = node;
}

/* ---- labels -------------------------------------------------------------- */

/* What reading a labels file needs. */
struct labels {
    struct cdp_intern *rows; /* "_source\x1f_rid" of every table row, in row order */
    struct cdp_json_parser *json;
    struct cdp_record ref;
    struct cdp_buf tmp;
    uint32_t *a, *b; /* the labelled matches */
    size_t n, cap;
};

static void labels_init(struct labels *l, const struct cdp_modellink *ml, const struct cdp_graph *g)
{
    memset(l, 0, sizeof *l);
    l->rows = cdp_intern_new();
    l->json = cdp_json_parser_new();
    l->ref = (struct cdp_record)CDP_RECORD_INIT;
    size_t n = cdp_fstable_rows(ml->table);
    for (uint32_t r = 0; r < n; r++) {
        const char *s, *rid;
        cdp_graph_node_record(g, ml->node[r], &s, &rid);
        cdp_buf_reset(&l->tmp);
        cdp_buf_printf(&l->tmp, "%s\x1f%s", s, rid);
        cdp_intern_add(l->rows, l->tmp.data, l->tmp.len, NULL);
    }
}

static void labels_release(struct labels *l)
{
    cdp_intern_free(l->rows);
    cdp_json_parser_free(l->json);
    cdp_record_release(&l->ref);
    cdp_buf_release(&l->tmp);
    free(l->a);
    free(l->b);
}

/* The table row of a record reference {"_source":..,"_rid":..}, or
 * UINT32_MAX. */
static uint32_t label_row(struct labels *l, const struct cdp_field *f)
{
    if (!f || f->type != CDP_OBJECT)
        return UINT32_MAX;
    cdp_buf_reset(&l->tmp);
    cdp_buf_add_padded(&l->tmp, f->val, f->vlen);
    struct cdp_error why;
    cdp_record_clear(&l->ref);
    if (cdp_json_parse_object(l->json, l->tmp.data, l->tmp.len, &l->ref, &why) != CDP_JSON_OK)
        return UINT32_MAX;
    const struct cdp_field *s = cdp_record_gets(&l->ref, "_source");
    const struct cdp_field *r = cdp_record_gets(&l->ref, "_rid");
    if (!s || !r)
        return UINT32_MAX;
    struct cdp_buf key = CDP_BUF_INIT;
    cdp_buf_add(&key, s->val, s->vlen);
    cdp_buf_addc(&key, '\x1f');
    cdp_buf_add(&key, r->val, r->vlen);
    uint32_t id = cdp_intern_find(l->rows, key.data, key.len);
    cdp_buf_release(&key);
    return id;
}

/* Reads the labels at path: the matches into l, the rest counted. */
static int read_labels(struct labels *l, const char *path, struct cdp_modellink_report *rep,
                       struct cdp_error *err)
{
    struct cdp_reader_options o = { .format = CDP_FORMAT_NDJSON };
    struct cdp_reader *rd = cdp_reader_open(path, &o, err);
    if (!rd)
        return -1;
    struct cdp_record rec = CDP_RECORD_INIT;
    struct cdp_row row;
    int status = 0;
    enum cdp_read k;
    while ((k = cdp_reader_next(rd, &rec, &row, err)) != CDP_READ_END) {
        const struct cdp_field *match = k == CDP_READ_ROW ? cdp_record_gets(&rec, "match") : NULL;
        if (k == CDP_READ_ERROR || !match || (match->type != CDP_TRUE && match->type != CDP_FALSE)) {
            if (k != CDP_READ_ERROR)
                cdp_errorf(err, "%s:%llu: a label is {\"a\":{\"_source\":..,\"_rid\":..},\"b\":{..},\"match\":true|false}",
                           path, (unsigned long long)row.line);
            status = -1;
            break;
        }
        uint32_t ra = label_row(l, cdp_record_gets(&rec, "a"));
        uint32_t rb = label_row(l, cdp_record_gets(&rec, "b"));
        if (ra == UINT32_MAX || rb == UINT32_MAX || ra == rb) {
            rep->labels_unknown++;
        } else if (match->type == CDP_FALSE) {
            rep->label_non_matches++;
        } else {
            if (l->n == l->cap) {
                l->cap = l->cap ? l->cap * 2 : 256;
                l->a = cdp_xrealloc(l->a, l->cap * sizeof *l->a);
                l->b = cdp_xrealloc(l->b, l->cap * sizeof *l->b);
            }
            l->a[l->n] = ra;
            l->b[l->n++] = rb;
        }
    }
    cdp_record_release(&rec);
    cdp_reader_close(rd);
    return status;
}

/* ---- fitting and linking ------------------------------------------------- */

int cdp_modellink_fit(struct cdp_modellink *ml, const struct cdp_graph *g,
                      const struct cdp_modellink_fit_options *o, struct cdp_modellink_report *rep,
                      struct cdp_error *err)
{
    bool enough = cdp_fstable_rows(ml->table) >= CDP_MODELLINK_MIN_TRAIN;
    bool train = o->train == CDP_TRAIN_ALWAYS || (o->train == CDP_TRAIN_AUTO && !ml->model->trained && enough);
    if (train) {
        cdp_fs_train(ml->model, ml->table, o->seed, &rep->training);
        rep->trained = true;
    } else if (o->train == CDP_TRAIN_AUTO && !ml->model->trained) {
        rep->too_few_to_train = true;
    }
    if (!o->labels)
        return 0;
    struct labels l;
    labels_init(&l, ml, g);
    int status = read_labels(&l, o->labels, rep, err);
    if (status == 0) {
        cdp_fs_refine(ml->model, ml->table, l.a, l.b, l.n);
        rep->label_matches = l.n;
        rep->labelled = true;
    }
    labels_release(&l);
    return status;
}

/* The trained m of comparison c's "else" level (0 without one). */
static double m_else(const struct cdp_fs_comparison *c)
{
    for (int l = 0; l < c->nlevels; l++)
        if (c->levels[l].when == CDP_FS_ELSE)
            return c->levels[l].m;
    return 0;
}

/* Whether any record has a value of table field f. */
static bool has_values(const struct cdp_fstable *t, int f)
{
    size_t n = cdp_fstable_rows(t);
    for (uint32_t r = 0; r < n; r++)
        if (cdp_fstable_value(t, f, r) != CDP_FS_NONE)
            return true;
    return false;
}

/* The conflict fields on which the trained model finds one person's records
 * disagree too often to take a disagreement for proof (fields the records
 * lack say nothing either way). */
static void relax_conflicts(const struct cdp_fsmodel *m, const struct cdp_fstable *t, struct cdp_graph *g,
                            struct cdp_modellink_report *rep)
{
    rep->nrelaxed = 0;
    if (!m->trained)
        return;
    for (size_t f = 0; f < cdp_graph_conflict_count(g); f++) {
        const char *field = cdp_graph_conflict_field(g, f);
        for (int c = 0; c < m->ncomps; c++) {
            if (strcmp(m->fields[m->comps[c].field], field) != 0 || m_else(&m->comps[c]) < CDP_MODELLINK_UNRELIABLE ||
                !has_values(t, m->comps[c].field))
                continue;
            cdp_graph_relax_conflict(g, f);
            if (rep->nrelaxed < 16)
                rep->relaxed[rep->nrelaxed++] = field;
            break;
        }
    }
}

void cdp_modellink_link(struct cdp_modellink *ml, struct cdp_graph *g, size_t nthreads,
                        struct cdp_modellink_report *rep)
{
    struct cdp_fsmodel *m = ml->model;
    relax_conflicts(m, ml->table, g, rep);
    m->prior = cdp_fsmodel_prior_for(m, cdp_fstable_rows(ml->table));
    memset(&rep->blocking, 0, sizeof rep->blocking);
    struct cdp_fspairs cand = { 0 };
    cdp_fs_block(m, ml->table, -1, &cand, &rep->blocking);
    double *w = cdp_xmalloc((cand.n + 1) * sizeof *w);
    double wt = cdp_fs_weight_of(m->threshold);
    cdp_fs_score(m, ml->table, &cand, w, wt, nthreads);
    struct cdp_fspairs *linked = &ml->linked;
    for (size_t i = 0; i < cand.n; i++) {
        if (w[i] < wt)
            continue;
        uint32_t a = (uint32_t)(cand.v[i] >> 32), b = (uint32_t)cand.v[i];
        cdp_graph_add_pair(g, ml->node[a], ml->node[b], w[i], (uint32_t)linked->n);
        if (linked->n == linked->cap) {
            linked->cap = linked->cap ? linked->cap * 2 : 1024;
            linked->v = cdp_xrealloc(linked->v, linked->cap * sizeof *linked->v);
        }
        linked->v[linked->n++] = cand.v[i];
    }
    rep->person_records = cdp_fstable_rows(ml->table);
    rep->pairs_over_threshold = linked->n;
    free(w);
    cdp_fspairs_release(&cand);
}

void cdp_modellink_counts(const struct cdp_modellink_report *rep, const struct cdp_fsmodel *m,
                          void (*fn)(void *ctx, const char *group, const char *key, uint64_t n),
                          void *ctx)
{
    if (rep->trained) {
        fn(ctx, "model", "training_random_pairs", rep->training.random_pairs);
        fn(ctx, "model", "training_expected_matches", (uint64_t)(rep->training.expected_matches + 0.5));
    }
    if (rep->too_few_to_train)
        fn(ctx, "model", "too_few_to_train", 1);
    if (rep->labelled) {
        fn(ctx, "labels", "matches_used", rep->label_matches);
        fn(ctx, "labels", "non_matches_not_used", rep->label_non_matches);
        fn(ctx, "labels", "records_not_in_input", rep->labels_unknown);
    }
    fn(ctx, "model", "person_records", rep->person_records);
    fn(ctx, "model", "candidate_pairs", rep->blocking.candidates);
    fn(ctx, "model", "pairs_over_threshold", rep->pairs_over_threshold);
    for (int i = 0; i < m->nrules; i++) {
        fn(ctx, "blocking_pairs", m->rules[i].text, rep->blocking.pairs_by_rule[i]);
        if (rep->blocking.skipped_blocks[i])
            fn(ctx, "blocks_too_large", m->rules[i].text, rep->blocking.skipped_blocks[i]);
    }
    for (size_t i = 0; i < rep->nrelaxed; i++)
        fn(ctx, "conflicts_not_checked", rep->relaxed[i], 1);
}

void cdp_modellink_explain(const struct cdp_modellink *ml, uint32_t pair, bool clear, struct cdp_buf *b)
{
    uint64_t pr = ml->linked.v[pair];
    cdp_fs_explain(ml->model, ml->table, (uint32_t)(pr >> 32), (uint32_t)pr, clear, b);
}
