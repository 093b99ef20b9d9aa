#include "identity/dedupe.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "identity/graph.h"
#include "identity/idstate.h"
#include "identity/journal.h"
#include "identity/linker.h"
#include "io/forgetlist.h"
#include "io/output.h"
#include "io/replace.h"
#include "io/reread.h"
#include "io/shard.h"
#include "norm/show.h"

/* Everything one run holds, so that cdp_dedupe_free can release it. */
struct cdp_dedupe {
    const struct cdp_dedupe_options *o;
    struct cdp_reread *inputs;
    size_t ninputs;
    struct cdp_idstate *ids;
    struct cdp_linker *linker;
    struct cdp_output *out, *links;
    struct cdp_output **ids_out;  /* --resolve: each shard's ids file */
    struct cdp_output *order_out; /* --resolve --order-out */
    struct cdp_rejects *rejects;
    struct cdp_forgetlist *forgotten;
    struct cdp_buf journal; /* this run's journal lines */
    uint64_t refused;       /* the refused lines of the links file */
};

static void count(struct cdp_dedupe *d, const char *key, const char *label, uint64_t n)
{
    d->o->count(d->o->ctx, key, label, n);
}

static void detail(struct cdp_dedupe *d, const char *group, const char *key, uint64_t n)
{
    d->o->detail(d->o->ctx, group, key, n);
}

static void phase(struct cdp_dedupe *d, const char *name)
{
    d->o->phase(d->o->ctx, name);
}

static void progress(void *ctx, uint64_t rows, uint64_t bytes)
{
    struct cdp_dedupe *d = ctx;
    if (d->o->progress)
        d->o->progress(d->o->ctx, rows, bytes);
}

static void reject(void *ctx, const struct cdp_reject *r)
{
    struct cdp_dedupe *d = ctx;
    count(d, "rejected", "rejected", 1);
    detail(d, "rejected_by_reason", r->code ? r->code : "bad", 1);
    if (d->o->reject)
        d->o->reject(d->o->ctx, r);
    if (d->rejects)
        cdp_rejects_add(d->rejects, r);
}

static void on_link(void *ctx, const struct cdp_link *l)
{
    struct cdp_dedupe *d = ctx;
    static const char *const kinds[] = { "used", "blocked", "over_limit", "conflict", "shared_device", "ambiguous" };
    if (l->kind != CDP_LINK_USED) {
        d->refused++;
        detail(d, "refused", kinds[l->kind], 1);
    }
    if (l->kind == CDP_LINK_OVER_LIMIT) {
        /* The values that would have glued people together, for --stats. */
        struct cdp_buf k = CDP_BUF_INIT;
        cdp_buf_printf(&k, "%s ", l->key);
        cdp_show_value(&k, l->value, l->value_len, cdp_show_kind_of(l->key), d->o->show_values);
        detail(d, "over_limit_values", k.data, l->people);
        cdp_buf_release(&k);
    }
    if (d->links) {
        cdp_linker_format_link(d->linker, l, cdp_output_buffer(d->links));
        cdp_output_flush_some(d->links);
    }
}

static void on_journal(void *ctx, const struct cdp_journal_entry *e)
{
    struct cdp_dedupe *d = ctx;
    cdp_journal_format_shown(&d->journal, cdp_idstate_run(d->ids), e, d->o->show_values);
    detail(d, "ids", e->reason, 1);
}

/* Inputs spooled to be read twice (--resolve: the edges files named), the
 * state locked, the linker (--edges: writing to the output). */
static int start(struct cdp_dedupe *d, struct cdp_error *err)
{
    const struct cdp_dedupe_options *o = d->o;
    if (o->step != CDP_DEDUPE_RESOLVE) {
        d->ninputs = o->nfiles ? o->nfiles : 1;
        d->inputs = cdp_xcalloc(d->ninputs, sizeof *d->inputs);
    }
    for (size_t i = 0; i < d->ninputs; i++) {
        cdp_reread_init(&d->inputs[i], o->nfiles ? o->files[i] : "-");
        if (o->step != CDP_DEDUPE_EDGES && cdp_reread_spool(&d->inputs[i], err) < 0)
            return -1;
    }
    if (o->step == CDP_DEDUPE_EDGES && !(d->out = cdp_output_open(o->output, o->out, err)))
        return -1;
    d->ids = cdp_idstate_new();
    if (o->journal && cdp_output_check_rewrite(o->journal, err) < 0)
        return -1;
    if (o->state && cdp_idstate_lock(d->ids, o->state, err) < 0)
        return -1;
    if (o->forgotten && !(d->forgotten = cdp_forgetlist_open(o->forgotten, err)))
        return -1;
    cdp_idstate_forget(d->ids, d->forgotten);
    struct cdp_linker_options lo = { o->keys, o->conflicts, o->nconflicts, o->model, o->nworkers,
                                     progress, reject, d, d->forgotten, o->show_values,
                                     o->step == CDP_DEDUPE_EDGES ? d->out : NULL };
    d->linker = cdp_linker_new(&lo);
    return 0;
}

struct cdp_dedupe *cdp_dedupe_open(const struct cdp_dedupe_options *o, struct cdp_error *err)
{
    struct cdp_dedupe *d = cdp_xcalloc(1, sizeof *d);
    d->o = o;
    count(d, "read", "records read", 0);
    if (start(d, err) < 0) {
        cdp_dedupe_free(d);
        return NULL;
    }
    return d;
}

void cdp_dedupe_free(struct cdp_dedupe *d)
{
    if (!d)
        return;
    cdp_output_abort(d->out);
    for (size_t i = 0; d->ids_out && i < d->o->nfiles; i++)
        cdp_output_abort(d->ids_out[i]);
    free(d->ids_out);
    cdp_output_abort(d->order_out);
    cdp_output_abort(d->links);
    cdp_rejects_abort(d->rejects);
    for (size_t i = 0; i < d->ninputs; i++)
        cdp_reread_release(&d->inputs[i]);
    free(d->inputs);
    cdp_linker_free(d->linker);
    cdp_idstate_free(d->ids);
    cdp_forgetlist_free(d->forgotten);
    cdp_buf_release(&d->journal);
    free(d);
}

int cdp_dedupe_read(struct cdp_dedupe *d, struct cdp_error *err)
{
    const struct cdp_dedupe_options *o = d->o;
    int status = o->step == CDP_DEDUPE_RESOLVE
                     ? cdp_linker_join(d->linker, o->order, o->files, o->nfiles, err)
                     : cdp_linker_read(d->linker, d->inputs, d->ninputs, o->in, err);
    count(d, "read", "records read", cdp_linker_rows(d->linker));
    if (status < 0)
        return -1;
    phase(d, "read");
    return 0;
}

static void model_count(void *ctx, const char *group, const char *key, uint64_t n)
{
    detail(ctx, group, key, n);
}

/* --model: fit (train, --labels), save (--model-out), link. */
static int link_by_model(struct cdp_dedupe *d, struct cdp_error *err)
{
    const struct cdp_dedupe_options *o = d->o;
    struct cdp_modellink *ml = cdp_linker_model(d->linker);
    struct cdp_graph *g = cdp_linker_graph(d->linker);
    struct cdp_modellink_report rep = { 0 };
    if (cdp_modellink_fit(ml, g, &o->fit, &rep, err) < 0 ||
        (o->model_out && cdp_fsmodel_save(o->model, o->model_out, err) < 0))
        return -1;
    cdp_modellink_link(ml, g, o->nworkers, &rep);
    cdp_modellink_counts(&rep, o->model, model_count, d);
    return 0;
}

int cdp_dedupe_link(struct cdp_dedupe *d, struct cdp_error *err)
{
    const struct cdp_dedupe_options *o = d->o;
    struct cdp_graph *g = cdp_linker_graph(d->linker);
    if (o->step == CDP_DEDUPE_EDGES)
        return 0;
    if (o->state && cdp_idstate_load(d->ids, o->state, g, o->conflicts, o->nconflicts, err) < 0)
        return -1;
    phase(d, "state loaded");
    if (o->model) {
        if (link_by_model(d, err) < 0)
            return -1;
        phase(d, "model");
    }
    if (o->links && !(d->links = cdp_output_open(o->links, NULL, err)))
        return -1;
    cdp_graph_resolve(g, on_link, d);
    struct cdp_linker_attribution by_time;
    cdp_linker_attribute(d->linker, &by_time);
    if (by_time.attributed || by_time.unattributed) {
        detail(d, "shared_devices", "events_attributed", by_time.attributed);
        detail(d, "shared_devices", "events_unattributed", by_time.unattributed);
    }
    phase(d, "resolved");
    cdp_idstate_assign(d->ids, g, on_journal, d);
    phase(d, "ids");
    return 0;
}

/* --resolve: each shard's ids file, named by the template. */
static int write_ids(struct cdp_dedupe *d, struct cdp_error *err)
{
    const struct cdp_dedupe_options *o = d->o;
    d->ids_out = cdp_xcalloc(o->nfiles, sizeof *d->ids_out);
    struct cdp_buf name = CDP_BUF_INIT;
    int status = 0;
    for (size_t i = 0; i < o->nfiles && status == 0; i++) {
        cdp_shard_name(o->output, (uint32_t)i, &name);
        if (!(d->ids_out[i] = cdp_output_open(name.data, o->out, err)))
            status = -1;
    }
    cdp_buf_release(&name);
    struct cdp_output_options plain = { 0 };
    if (status == 0 && o->order_out && !(d->order_out = cdp_output_open(o->order_out, &plain, err)))
        status = -1;
    uint64_t written = 0, rejected = 0;
    if (status == 0)
        cdp_linker_write_ids(d->linker, d->ids, d->ids_out, d->order_out, &written, &rejected);
    /* The counts of one run, the shards' --apply to come. */
    count(d, "persons", "persons", cdp_graph_groups(cdp_linker_graph(d->linker)));
    count(d, "written", "written", written);
    count(d, "rejected", "rejected", rejected);
    if (o->forgotten)
        count(d, "forgotten", "forgotten", cdp_linker_forgotten(d->linker));
    return status;
}

int cdp_dedupe_write(struct cdp_dedupe *d, struct cdp_error *err)
{
    const struct cdp_dedupe_options *o = d->o;
    if (o->step == CDP_DEDUPE_EDGES)
        return 0;
    if (o->step == CDP_DEDUPE_RESOLVE)
        return write_ids(d, err);
    if (!(d->out = cdp_output_open(o->output, o->out, err)))
        return -1;
    if (o->rejects && !(d->rejects = cdp_rejects_open(o->rejects, err)))
        return -1;
    if (o->step == CDP_DEDUPE_WHOLE)
        count(d, "persons", "persons", cdp_graph_groups(cdp_linker_graph(d->linker)));
    count(d, "written", "written", 0);
    count(d, "rejected", "rejected", 0);
    uint64_t written = 0;
    /* the inputs as pass 1 read them, before and after pass 2 (--apply: no
     * pass 1 here, the ids file counts the rows) */
    bool apply = o->step == CDP_DEDUPE_APPLY;
    if (!apply && cdp_reread_check(d->inputs, d->ninputs, err) < 0)
        return -1;
    int status = apply ? cdp_linker_apply(d->linker, d->inputs, d->ninputs, o->in, o->ids, d->out, &written, err)
                       : cdp_linker_write(d->linker, d->inputs, d->ninputs, o->in, d->ids, d->out, &written,
                                          err);
    if (status == 0 && !apply)
        status = cdp_reread_check(d->inputs, d->ninputs, err);
    count(d, "written", "written", written);
    if (o->forgotten)
        count(d, "forgotten", "forgotten", cdp_linker_forgotten(d->linker));
    if (status == 0)
        phase(d, "written");
    return status;
}

/* Takes o into files unless an earlier file failed (rc), else discards it. */
static int add_or_discard(struct cdp_replace *files, struct cdp_output *o, int rc, struct cdp_error *err)
{
    if (rc == 0 && o)
        return cdp_replace_add(files, o, err);
    cdp_output_abort(o);
    return rc;
}

/* --stats, the journal and the state, made only when every file before
 * them was staged. */
static int stage_stats_journal_state(struct cdp_dedupe *d, struct cdp_replace *files, bool linked,
                                     struct cdp_error *err)
{
    const struct cdp_dedupe_options *o = d->o;
    int rc = 0;
    if (o->stats) {
        struct cdp_buf extra = CDP_BUF_INIT;
        if (linked)
            cdp_linker_format_stats(d->linker, &extra);
        struct cdp_output *stats = o->stats(o->ctx, linked ? extra.data : NULL, err);
        cdp_buf_release(&extra);
        rc = stats ? cdp_replace_add(files, stats, err) : -1;
    }
    struct cdp_graph *g = cdp_linker_graph(d->linker);
    struct cdp_output *journal = NULL, *state = NULL;
    if (rc == 0 && o->journal)
        rc = (journal = cdp_journal_append_output(o->journal, d->journal.data, d->journal.len, err))
                 ? cdp_replace_add(files, journal, err) : -1;
    if (rc == 0 && o->state)
        rc = (state = cdp_idstate_save_output(d->ids, o->state, g, o->conflicts, o->nconflicts,
                                                 o->out ? o->out->zstd_workers : 0, err))
                 ? cdp_replace_add(files, state, err) : -1;
    return rc;
}

int cdp_dedupe_commit(struct cdp_dedupe *d, struct cdp_error *err)
{
    const struct cdp_dedupe_options *o = d->o;
    bool linked = o->step == CDP_DEDUPE_WHOLE || o->step == CDP_DEDUPE_RESOLVE;
    if (linked) {
        struct cdp_graph_counts c;
        cdp_graph_counts(cdp_linker_graph(d->linker), &c);
        count(d, "links", "links", c.links_used);
        count(d, "refused", "refused", d->refused);
    }
    struct cdp_replace *files = cdp_replace_new();
    struct cdp_output *rejects = d->rejects ? cdp_rejects_output(d->rejects) : NULL;
    d->rejects = NULL;
    int rc = add_or_discard(files, d->out, 0, err);
    d->out = NULL;
    for (size_t i = 0; d->ids_out && i < o->nfiles; i++) {
        rc = add_or_discard(files, d->ids_out[i], rc, err);
        d->ids_out[i] = NULL;
    }
    rc = add_or_discard(files, d->order_out, rc, err);
    rc = add_or_discard(files, d->links, rc, err);
    rc = add_or_discard(files, rejects, rc, err);
    d->order_out = d->links = NULL;
    if (rc == 0)
        rc = stage_stats_journal_state(d, files, linked, err);
    if (rc == 0)
        rc = cdp_replace_commit(files, err);
    cdp_replace_free(files);
    if (rc == 0)
        phase(d, "committed");
    return rc;
}
