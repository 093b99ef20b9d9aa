/* segmenter.c: one run of cdp-segment; see segmenter.h. */
#include "segment/segmenter.h"

#include <stdlib.h>
#include <string.h>

#include "base/pipeline.h"
#include "io/output.h"
#include "io/rejects.h"
#include "io/replace.h"
#include "io/reread.h"

/* Bytes of lines a batch holds: enough to make handing it to a thread
 * cheap, few enough to keep memory small. */
#define BATCH_BYTES ((size_t)1 << 20)

struct cdp_segmenter {
    struct cdp_segmenter_options o;
    struct cdp_segment_engine *engine;
    struct cdp_segment_tally *tally;
    struct cdp_segment_worker **workers; /* one per thread (one for none) */
    size_t nworkers;
    struct cdp_pipeline *pipeline;
    struct cdp_reread *inputs;
    size_t ninputs;
    struct cdp_output *out;
    struct cdp_rejects *rejects;
    struct cdp_segment_split *split;
    size_t next_pos;   /* input position of the next line */
    bool write_failed; /* reported at commit */
    uint64_t asked_jq; /* profiles native rules left to libjq */
};

int cdp_segment_files_commit(const struct cdp_segment_files *f, struct cdp_error *err)
{
    struct cdp_replace *files = cdp_replace_new();
    struct cdp_output *rejects = f->rejects, *o;
    int k = f->out ? cdp_replace_add(files, f->out, err) : 0;
    if (k == 0 && f->split)
        k = cdp_segment_split_replace(f->split, files, err);
    if (k == 0 && rejects)
        k = cdp_replace_add(files, rejects, err), rejects = NULL;
    if (k == 0 && f->report && f->report_path)
        k = (o = cdp_segment_report_output(f->report_path, f->report, err)) ? cdp_replace_add(files, o, err)
                                                                           : -1;
    if (k == 0 && f->stats)
        k = (o = f->stats(f->ctx, err)) ? cdp_replace_add(files, o, err) : -1;
    if (k == 0 && f->report && f->history_path)
        k = (o = cdp_history_append_output(f->history_path, f->report, err)) ? cdp_replace_add(files, o, err)
                                                                             : -1;
    if (k == 0)
        k = cdp_replace_commit(files, err);
    cdp_output_abort(rejects);
    cdp_replace_free(files);
    return k;
}

static void write_out(struct cdp_segmenter *s, const char *data, size_t len)
{
    if (!s->write_failed && cdp_output_write(s->out, data, len) < 0)
        s->write_failed = true;
}

/* A finished batch, in input order: the caller's counts and messages, then
 * the rejects, the split files and the output. */
static void consume(void *owner, void *batch)
{
    struct cdp_segmenter *s = owner;
    struct cdp_segment_batch *b = batch;
    struct cdp_segment_totals added;
    cdp_segment_tally_batch(s->tally, b, &added);
    for (size_t r = 0; r < b->nrules; r++)
        s->asked_jq += b->rule_asked[r];
    s->o.consume(s->o.ctx, b, &added);
    size_t msg = 0;
    for (size_t i = 0; i < b->lines.n; i++) {
        const struct cdp_segment_result *res = &b->results[i];
        const struct cdp_batch_row *row = &b->lines.rows[i];
        if (res->code && s->rejects) /* its first message is the reason */
            cdp_rejects_add(s->rejects, &(struct cdp_reject){ NULL, b->file, row->line, row->number, res->code,
                                                              b->messages.data + msg, row->raw, row->rawlen });
        if (!res->code && s->split)
            cdp_segment_split_add(s->split, b, i);
        msg = res->messages_end;
    }
    /* the profiles' lines, one after another (a rejected line has none): in
     * one write, which a large buffer makes without a copy */
    if (b->out.len)
        write_out(s, b->out.data, b->out.len);
    cdp_segment_batch_clear(b);
}

static void work(void *worker, void *batch)
{
    cdp_segment_batch_run(worker, batch);
}

static void *batch_new(void *owner)
{
    return cdp_segment_batch_new(((struct cdp_segmenter *)owner)->engine);
}

static void batch_free(void *owner, void *batch)
{
    (void)owner;
    cdp_segment_batch_free(batch);
}

static const struct cdp_pipeline_ops pipeline_ops = { batch_new, batch_free, work, consume, 0 };

/* The inputs (spooled when they are read twice and cannot be reread), the
 * first pass, and the last run's memberships. */
static int prepare(struct cdp_segmenter *s, struct cdp_error *err)
{
    const struct cdp_segmenter_options *o = &s->o;
    bool twice = cdp_segment_needs_population(s->engine);
    s->ninputs = o->ninputs ? o->ninputs : 1;
    s->inputs = cdp_xcalloc(s->ninputs, sizeof *s->inputs);
    for (size_t i = 0; i < s->ninputs; i++)
        cdp_reread_init(&s->inputs[i], o->ninputs ? o->inputs[i] : "-");
    for (size_t i = 0; twice && i < s->ninputs; i++)
        if (cdp_reread_spool(&s->inputs[i], err) < 0)
            return -1;
    for (size_t i = 0; twice && i < s->ninputs; i++)
        if (cdp_segment_population_read(s->engine, s->inputs[i].path, o->in, err) < 0)
            return -1;
    if (twice)
        cdp_segment_population_done(s->engine);
    if (o->previous && cdp_segment_previous_read(s->engine, o->previous, o->journal, err) < 0)
        return -1;
    s->tally = cdp_segment_tally_new(s->engine);
    return 0;
}

/* The workers (the first compiles its rules now: *bad_rule on a failure),
 * the pipeline and the outputs. */
static int start(struct cdp_segmenter *s, bool *bad_rule, struct cdp_error *err)
{
    const struct cdp_segmenter_options *o = &s->o;
    s->nworkers = o->nworkers ? o->nworkers : 1;
    s->workers = cdp_xcalloc(s->nworkers, sizeof *s->workers);
    for (size_t i = 0; i < s->nworkers; i++)
        if (!(s->workers[i] = cdp_segment_worker_new(s->engine, i == 0, err))) {
            *bad_rule = true;
            return -1;
        }
    s->pipeline = cdp_pipeline_new(&pipeline_ops, s, o->nworkers, (void **)s->workers, err);
    if (!s->pipeline || !(s->out = cdp_output_open(o->output, o->out, err)) ||
        (o->rejects && !(s->rejects = cdp_rejects_open(o->rejects, err))) ||
        (o->split && !(s->split = cdp_segment_split_open(s->engine, o->split, o->out, err))))
        return -1;
    return 0;
}

struct cdp_segmenter *cdp_segmenter_new(const struct cdp_segmenter_options *o, bool *bad_rule,
                                        struct cdp_error *err)
{
    struct cdp_segmenter *s = cdp_xcalloc(1, sizeof *s);
    s->o = *o;
    s->engine = o->engine;
    *bad_rule = false;
    if ((o->history && cdp_output_check_rewrite(o->history, err) < 0) || prepare(s, err) < 0 ||
        start(s, bad_rule, err) < 0) {
        cdp_segmenter_free(s);
        return NULL;
    }
    return s;
}

void cdp_segmenter_free(struct cdp_segmenter *s)
{
    if (!s)
        return;
    cdp_output_abort(s->out);
    cdp_rejects_abort(s->rejects);
    cdp_segment_split_free(s->split);
    cdp_pipeline_free(s->pipeline);
    for (size_t i = 0; i < s->nworkers; i++)
        cdp_segment_worker_free(s->workers[i]);
    free(s->workers);
    cdp_segment_tally_free(s->tally);
    for (size_t i = 0; i < s->ninputs; i++)
        cdp_reread_release(&s->inputs[i]);
    free(s->inputs);
    free(s);
}

static struct cdp_segment_batch *next_batch(struct cdp_segmenter *s, const char *file)
{
    struct cdp_segment_batch *b = cdp_pipeline_batch(s->pipeline);
    b->file = file;
    b->first_pos = s->next_pos;
    return b;
}

/* Every profile of one input through the workers. The reader's name goes
 * with its batches: they are all consumed before it closes. */
static int segment_input(struct cdp_segmenter *s, const struct cdp_reread *in, struct cdp_error *err)
{
    struct cdp_reader_options ro = *s->o.in;
    ro.format = CDP_FORMAT_NDJSON;
    ro.lines_only = true;
    struct cdp_reader *r = cdp_reader_open(in->path, &ro, err);
    if (!r)
        return -1;
    struct cdp_segment_batch *b = next_batch(s, in->label);
    struct cdp_record rec = CDP_RECORD_INIT;
    struct cdp_row row;
    enum cdp_read k;
    while ((k = cdp_reader_next(r, &rec, &row, err)) != CDP_READ_END && k != CDP_READ_ERROR) {
        if (s->o.progress)
            s->o.progress(s->o.ctx, cdp_reader_bytes(r));
        cdp_batch_add(&b->lines, k, &rec, &row);
        s->next_pos++;
        if (b->lines.bytes >= BATCH_BYTES) {
            cdp_pipeline_submit(s->pipeline, b);
            b = next_batch(s, in->label);
        }
    }
    if (b->lines.n)
        cdp_pipeline_submit(s->pipeline, b);
    else
        cdp_pipeline_unused(s->pipeline, b);
    cdp_pipeline_drain(s->pipeline);
    cdp_record_release(&rec);
    cdp_reader_close(r);
    return k == CDP_READ_ERROR ? -1 : 0;
}

int cdp_segmenter_run(struct cdp_segmenter *s, struct cdp_error *err)
{
    /* the inputs as the population pass read them, before and after the second */
    if (cdp_reread_check(s->inputs, s->ninputs, err) < 0)
        return -1;
    for (size_t i = 0; i < s->ninputs; i++)
        if (segment_input(s, &s->inputs[i], err) < 0)
            return -1;
    return 0;
}

size_t cdp_segmenter_native_rules(const struct cdp_segmenter *s, struct cdp_buf *jq_names)
{
    size_t n = cdp_segment_rule_count(s->engine), native = 0;
    for (size_t i = 0; i < n; i++) {
        if (cdp_segment_rule_native(s->engine, i)) {
            native++;
        } else {
            if (jq_names->len)
                cdp_buf_adds(jq_names, ", ");
            cdp_buf_adds(jq_names, cdp_segment_rule_name(s->engine, i));
        }
    }
    return native;
}

uint64_t cdp_segmenter_asked_jq(const struct cdp_segmenter *s)
{
    return s->asked_jq;
}

static void write_gone(void *owner, const char *line, size_t len)
{
    write_out(owner, line, len);
}

long cdp_segmenter_write_gone(struct cdp_segmenter *s, struct cdp_error *err)
{
    if (cdp_reread_check(s->inputs, s->ninputs, err) < 0)
        return -1;
    return cdp_segment_tally_end(s->tally, write_gone, s, err);
}

int cdp_segmenter_commit(struct cdp_segmenter *s, int64_t as_of_day, struct cdp_error *err)
{
    struct cdp_segment_report rep;
    cdp_segment_tally_report(s->tally, as_of_day, &rep);
    struct cdp_segment_files files = {
        .out = s->out,
        .split = s->split,
        .rejects = s->rejects ? cdp_rejects_output(s->rejects) : NULL,
        .report = &rep,
        .report_path = s->o.report,
        .history_path = s->o.history,
        .stats = s->o.stats,
        .ctx = s->o.ctx,
    };
    s->out = NULL;
    s->rejects = NULL;
    int k = cdp_segment_files_commit(&files, err);
    cdp_segment_report_release(&rep);
    return k;
}
