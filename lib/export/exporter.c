#include "export/exporter.h"

#include <stdlib.h>
#include <string.h>

#include "export/columns.h"
#include "export/contacts.h"
#include "export/recs.h"
#include "io/forgetlist.h"
#include "io/json.h"
#include "io/replace.h"
#include "io/reread.h"

struct cdp_exporter {
    struct cdp_exporter_options o;
    struct cdp_export_columns *jq_columns; /* the caller's columns */
    const char **columns; /* the writer's: the caller's, then the recommendations' */
    struct cdp_audience *audience;
    struct cdp_export_writer *writer;
    struct cdp_rejects *rejects;
    struct cdp_forgetlist *forgotten;
    struct cdp_contacts *contacts;        /* a shard's export: the joined decisions */
    struct cdp_export_recs *recs;
    struct cdp_contacts_summary *summary; /* while summarizing */
    bool summarized;                      /* the counts are a summary's */
    struct cdp_reread *inputs;
    size_t ninputs;
    struct cdp_record rec;
    struct cdp_contact contact;
    struct cdp_contact refusal;  /* a summary's scratch */
    struct cdp_buf with_recs;    /* an ndjson line with its recommendations */
    const char *file; /* the input being read, and the line, for messages */
    uint64_t line;
    uint64_t read, exported, rejected, skipped[CDP_SKIP_COUNT], ads_consent_absent;
    uint64_t claims, refusals; /* a summary's */
};

/* err's message after prefix; returns -1. */
static int prefixed(struct cdp_error *err, const char *prefix)
{
    char msg[sizeof err->msg];
    memcpy(msg, err->msg, sizeof msg);
    return cdp_errorf(err, "%s%s", prefix, msg);
}

struct cdp_exporter *cdp_exporter_new(const struct cdp_exporter_options *o, struct cdp_error *err)
{
    struct cdp_exporter *e = cdp_xcalloc(1, sizeof *e);
    e->o = *o;
    e->rec = (struct cdp_record)CDP_RECORD_INIT;
    struct cdp_audience_options ao = o->audience;
    ao.channel = o->writer.channel;
    ao.want_mobile = o->writer.format->want_mobile;
    ao.want_tags = o->writer.format->want_tags;
    e->jq_columns = cdp_export_columns_new(o->writer.columns, o->column_exprs, o->writer.ncolumns, err);
    if (!e->jq_columns) {
        cdp_exporter_free(e);
        return NULL;
    }
    if (!(e->audience = cdp_audience_new(&ao, err))) {
        prefixed(err, "--region: ");
        cdp_exporter_free(e);
        return NULL;
    }
    return e;
}

void cdp_exporter_free(struct cdp_exporter *e)
{
    if (!e)
        return;
    cdp_rejects_abort(e->rejects);
    cdp_export_writer_free(e->writer);
    cdp_export_columns_free(e->jq_columns);
    cdp_audience_free(e->audience);
    cdp_forgetlist_free(e->forgotten);
    for (size_t i = 0; i < e->ninputs; i++)
        cdp_reread_release(&e->inputs[i]);
    free(e->inputs);
    cdp_contact_release(&e->contact);
    cdp_export_recs_free(e->recs);
    cdp_contacts_free(e->contacts);
    cdp_contacts_summary_free(e->summary);
    cdp_contact_release(&e->refusal);
    cdp_buf_release(&e->with_recs);
    cdp_record_release(&e->rec);
    free(e->columns);
    free(e);
}

/* The writer's extra cells: the caller's columns, then the recommendations. */
static bool writer_cells(void *ctx, const struct cdp_record *rec, struct cdp_cells *cells)
{
    struct cdp_exporter *e = ctx;
    const char *failed;
    struct cdp_error err;
    if (!cdp_export_columns_cells(e->jq_columns, rec, cells, &failed, &err)) {
        e->o.column_error(e->o.ctx, e->file, e->line, failed, err.msg);
        return false;
    }
    if (e->recs)
        cdp_export_recs_cells(e->recs, rec, cells);
    return true;
}

/* The recommendations' columns after the caller's (none in ndjson, where
 * they are a member of the line), then the writer. */
static void new_writer(struct cdp_exporter *e)
{
    struct cdp_export_writer_options wo = e->o.writer;
    size_t nrecs = 0;
    const char *const *recs = e->recs ? cdp_export_recs_headers(e->recs, &nrecs) : NULL;
    if (wo.format->kind == CDP_EXPORT_NDJSON)
        nrecs = 0;
    e->columns = cdp_xcalloc(wo.ncolumns + nrecs + 1, sizeof *e->columns);
    for (size_t i = 0; i < wo.ncolumns; i++)
        e->columns[i] = wo.columns[i];
    for (size_t i = 0; i < nrecs; i++)
        e->columns[wo.ncolumns + i] = recs[i];
    wo.columns = e->columns;
    wo.ncolumns += nrecs;
    wo.cells = writer_cells;
    wo.ctx = e;
    e->writer = cdp_export_writer_new(&wo);
}

int cdp_exporter_load(struct cdp_exporter *e, struct cdp_error *err)
{
    const struct cdp_exporter_options *o = &e->o;
    if (o->recommendations && !(e->recs = cdp_export_recs_load(o->recommendations, o->rec_columns, err)))
        return prefixed(err, "--recommendations ");
    new_writer(e);
    if (o->forgotten && !(e->forgotten = cdp_forgetlist_open(o->forgotten, err)))
        return prefixed(err, "--forgotten: ");
    cdp_audience_forget(e->audience, e->forgotten);
    if (o->contacts) {
        if (!(e->contacts = cdp_contacts_load(o->contacts, o->writer.format->name, o->writer.channel,
                                              e->audience, err)))
            return prefixed(err, "--contacts ");
        cdp_export_writer_holders(e->writer, e->contacts);
    }
    for (size_t i = 0; i < o->nsuppress; i++)
        if (cdp_audience_add_suppression(e->audience, o->suppress[i], o->suppress_column, o->suppress_bad,
                                         o->ctx, err) < 0)
            return prefixed(err, "--suppress ");
    for (size_t i = 0; i < o->nprevious; i++)
        if (cdp_export_writer_previous(e->writer, o->previous[i], err) < 0)
            return prefixed(err, "--previous ");
    return 0;
}

int cdp_exporter_open(struct cdp_exporter *e, const char *const *paths, size_t n, struct cdp_error *err)
{
    e->ninputs = n;
    e->inputs = cdp_xcalloc(n, sizeof *e->inputs);
    for (size_t i = 0; i < n; i++)
        cdp_reread_init(&e->inputs[i], paths[i]);
    /* a shard's export has every shard's refusals (its decisions) */
    bool twice = e->o.writer.channel != CDP_CHANNEL_NONE && !e->o.contacts;
    for (size_t i = 0; twice && i < n; i++)
        if (cdp_reread_spool(&e->inputs[i], err) < 0)
            return -1;
    for (size_t i = 0; twice && i < n; i++)
        if (cdp_audience_read_refusals(e->audience, e->inputs[i].path, e->o.in, err) < 0)
            return -1;
    if (cdp_export_writer_open(e->writer, err) < 0)
        return -1;
    if (e->o.rejects && !(e->rejects = cdp_rejects_open(e->o.rejects, err)))
        return -1;
    /* the inputs as the refusals pass read them, before the second */
    return cdp_reread_check(e->inputs, e->ninputs, err);
}

/* A summary: a profile's refusal, and its claim on the contact of the row
 * it passed the checks for (export/contacts.h); or the reason it is left
 * out, counted. */
static int summary_line(struct cdp_exporter *e, const struct cdp_row *row, struct cdp_error *err)
{
    enum cdp_skip why = cdp_audience_check(e->audience, &e->rec, &e->contact);
    if (why != CDP_SKIP_FORGOTTEN && cdp_audience_refused(e->audience, &e->rec, &e->refusal)) {
        cdp_contacts_summary_refusal(e->summary, &e->refusal);
        e->refusals++;
    }
    const char *key;
    size_t klen;
    if (why == CDP_SKIP_NONE &&
        !cdp_export_writer_claim(e->writer, &e->rec, row->raw, row->rawlen, &e->contact, &key, &klen))
        why = CDP_SKIP_COLUMN_ERROR;
    if (why != CDP_SKIP_NONE) {
        e->skipped[why]++;
        return 0;
    }
    e->claims++;
    if (!klen)
        return 0;
    const struct cdp_field *id = cdp_record_gets(&e->rec, "cdp_id");
    bool has_id = id && id->type == CDP_STRING;
    if (cdp_contacts_summary_claim(e->summary, key, klen, has_id ? id->val : NULL, has_id ? id->vlen : 0,
                                   &e->contact, err) < 0) {
        char msg[sizeof err->msg];
        memcpy(msg, err->msg, sizeof msg);
        return cdp_errorf(err, "%s:%llu: %s", e->file, (unsigned long long)e->line, msg);
    }
    return 0;
}

/* One line: a profile exported, or counted under the reason it is not, or
 * rejected. */
static int line(struct cdp_exporter *e, enum cdp_read k, const struct cdp_row *row, struct cdp_error *err)
{
    e->line = row->line;
    if (k == CDP_READ_SKIPPED) {
        e->skipped[cdp_audience_outside(e->audience, &e->rec)]++;
        return 0;
    }
    if (k == CDP_READ_BAD) {
        struct cdp_reject r = { NULL, e->file, row->line, row->number, row->code, row->reason, row->raw,
                                row->rawlen };
        e->rejected++;
        e->o.reject(e->o.ctx, &r);
        if (e->rejects)
            cdp_rejects_add(e->rejects, &r);
        return 0;
    }
    if (e->summary)
        return summary_line(e, row, err);
    enum cdp_skip why = cdp_audience_check(e->audience, &e->rec, &e->contact);
    int rc = 0;
    const char *text = row->raw;
    size_t len = row->rawlen;
    if (why == CDP_SKIP_NONE && e->recs && e->o.writer.format->kind == CDP_EXPORT_NDJSON) {
        cdp_buf_reset(&e->with_recs);
        cdp_buf_add(&e->with_recs, text, len);
        cdp_export_recs_json(e->recs, &e->rec, &e->with_recs);
        text = e->with_recs.data, len = e->with_recs.len;
    }
    if (why == CDP_SKIP_NONE)
        rc = cdp_export_writer_add(e->writer, &e->rec, text, len, &e->contact, &why, err);
    if (why != CDP_SKIP_NONE) {
        e->skipped[why]++;
    } else {
        e->exported++;
        e->ads_consent_absent += e->contact.ads_consent_absent;
    }
    return rc;
}

static bool outside(void *audience, const char *line, size_t len)
{
    return cdp_audience_outside_line(audience, line, len);
}

/* Every line of one input: path is what is read, label how messages name it. */
static int read_input(struct cdp_exporter *e, const char *path, const char *label, struct cdp_error *err)
{
    /* Lines of no asked segment are checked, not parsed: most of an
     * audience's input, and parsing them was most of the export's work.
     * With a forget list they are parsed for its members alone (0.35-0.51 s
     * against 0.57-0.70 s in full, the same 130,876 lines). A summary reads
     * every profile's refusal, so it parses them all. */
    struct cdp_reader_options o = *e->o.in;
    struct cdp_json_names forget_names = { { 0 } };
    if (!e->summary) {
        o.skip = outside;
        o.skip_ctx = e->audience;
        if (e->forgotten && cdp_forgetlist_count(e->forgotten)) {
            cdp_forget_check_names(&forget_names);
            o.skip_keep = &forget_names;
        }
    }
    struct cdp_reader *r = cdp_reader_open(path, &o, err);
    if (!r)
        return -1;
    e->file = label;
    struct cdp_row row;
    enum cdp_read k;
    int rc = 0;
    while (rc == 0 && (k = cdp_reader_next(r, &e->rec, &row, err)) != CDP_READ_END) {
        if (k == CDP_READ_ERROR)
            rc = -1;
        else {
            e->read++;
            if (e->o.progress)
                e->o.progress(e->o.ctx, e->read, cdp_reader_bytes(r));
            rc = line(e, k, &row, err);
        }
    }
    cdp_reader_close(r);
    return rc;
}

int cdp_exporter_read(struct cdp_exporter *e, struct cdp_error *err)
{
    for (size_t i = 0; i < e->ninputs; i++)
        if (read_input(e, e->inputs[i].path, e->inputs[i].label, err) < 0)
            return -1;
    return cdp_reread_check(e->inputs, e->ninputs, err);
}

int cdp_exporter_check(struct cdp_exporter *e, struct cdp_error *err)
{
    struct cdp_export_counts c = { 0 };
    cdp_export_writer_counts(e->writer, &c);
    const char *segment = cdp_audience_uncarried(e->audience);
    if (e->o.allow_empty || !c.delta || !c.previous || !segment)
        return 0;
    return cdp_errorf(err, "segment '%s' is in no profile, but --previous had members: misspelt? "
                      "(--allow-empty lets an empty audience through)", segment);
}

int cdp_exporter_commit(struct cdp_exporter *e,
                        struct cdp_output *(*stats)(void *ctx, struct cdp_error *err), void *ctx,
                        struct cdp_error *err)
{
    struct cdp_replace *files = cdp_replace_new();
    struct cdp_output *rejects = e->rejects ? cdp_rejects_output(e->rejects) : NULL, *st;
    e->rejects = NULL;
    int rc = cdp_export_writer_replace(e->writer, files, err);
    if (rc == 0 && rejects)
        rc = cdp_replace_add(files, rejects, err), rejects = NULL;
    if (rc == 0 && stats)
        rc = (st = stats(ctx, err)) ? cdp_replace_add(files, st, err) : -1;
    if (rc == 0 && (rc = cdp_replace_commit(files, err)) == 0)
        cdp_export_writer_done(e->writer);
    cdp_output_abort(rejects);
    cdp_replace_free(files);
    return rc;
}

int cdp_exporter_summarize(struct cdp_exporter *e, struct cdp_output *out, const char *const *paths,
                           size_t n, struct cdp_error *err)
{
    e->summarized = true;
    e->summary = cdp_contacts_summary_new(out, e->o.writer.format->name, e->o.writer.channel);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct cdp_reread in;
        cdp_reread_init(&in, paths[i]); /* for its label */
        rc = read_input(e, in.path, in.label, err);
        cdp_reread_release(&in);
    }
    if (rc == 0)
        cdp_contacts_summary_end(e->summary, e->read);
    cdp_contacts_summary_free(e->summary);
    e->summary = NULL;
    return rc;
}

static void count(void (*fn)(void *, const struct cdp_exporter_count *), void *ctx, const char *group,
                  const char *key, const char *label, uint64_t n)
{
    fn(ctx, &(struct cdp_exporter_count){ group, key, label, n });
}

int cdp_exporter_join(const char *const *paths, size_t n, struct cdp_output *out,
                      void (*fn)(void *ctx, const struct cdp_exporter_count *c), void *ctx,
                      struct cdp_error *err)
{
    struct cdp_contacts_counts c;
    if (cdp_contacts_join(paths, n, out, &c, err) < 0)
        return -1;
    count(fn, ctx, NULL, "read", "profiles read", c.profiles);
    count(fn, ctx, NULL, "claims", "with a row", c.claims);
    count(fn, ctx, NULL, "refused", "contacts refused", c.refused);
    count(fn, ctx, NULL, "contested", "contacts held by one of several", c.contested);
    return 0;
}

/* "skipped (3 no_email, 1 duplicate)" into label; returns the sum. */
static uint64_t skipped_label(const struct cdp_exporter *e, struct cdp_buf *label)
{
    uint64_t skipped = 0;
    cdp_buf_adds(label, "skipped");
    for (int i = 1; i < CDP_SKIP_COUNT; i++) {
        if (e->skipped[i])
            cdp_buf_printf(label, "%s%llu %s", skipped ? ", " : " (", (unsigned long long)e->skipped[i],
                           cdp_skip_name((enum cdp_skip)i));
        skipped += e->skipped[i];
    }
    if (skipped)
        cdp_buf_addc(label, ')');
    return skipped;
}

void cdp_exporter_counts(const struct cdp_exporter *e,
                         void (*fn)(void *ctx, const struct cdp_exporter_count *c), void *ctx)
{
    struct cdp_export_counts c = { 0 };
    if (e->writer)
        cdp_export_writer_counts(e->writer, &c);
    struct cdp_buf label = CDP_BUF_INIT;
    count(fn, ctx, NULL, "read", "profiles read", e->read);
    if (e->summarized) {
        count(fn, ctx, NULL, "claims", "with a row", e->claims);
        count(fn, ctx, NULL, "refusals", "refusing the channel", e->refusals);
    }
    cdp_buf_adds(&label, "exported");
    if (c.delta)
        cdp_buf_printf(&label, " (%llu added, %llu changed, %llu unchanged)", (unsigned long long)c.added,
                       (unsigned long long)c.changed, (unsigned long long)c.unchanged);
    if (!e->summarized)
        count(fn, ctx, NULL, "exported", label.data, e->exported);
    if (c.delta) {
        count(fn, ctx, NULL, "added", NULL, c.added);
        count(fn, ctx, NULL, "changed", NULL, c.changed);
        count(fn, ctx, NULL, "unchanged", NULL, c.unchanged);
        count(fn, ctx, NULL, "removed", "removed", c.removed);
    }
    cdp_buf_reset(&label);
    uint64_t skipped = skipped_label(e, &label);
    count(fn, ctx, NULL, "skipped", label.data, skipped);
    count(fn, ctx, NULL, "rejected", "rejected", e->rejected);
    if (e->o.writer.channel == CDP_CHANNEL_ADS)
        count(fn, ctx, NULL, "exported_without_consent_ads", NULL, e->ads_consent_absent);
    for (int i = 1; i < CDP_SKIP_COUNT; i++)
        if (i != CDP_SKIP_FORGOTTEN || e->o.forgotten)
            count(fn, ctx, "skipped", cdp_skip_name((enum cdp_skip)i), NULL, e->skipped[i]);
    const struct cdp_suppress *s = cdp_audience_suppression(e->audience);
    if (s) {
        size_t emails, phones, hashes, ignored;
        cdp_suppress_counts(s, &emails, &phones, &hashes, &ignored);
        count(fn, ctx, "suppression_list", "emails", NULL, emails);
        count(fn, ctx, "suppression_list", "phones", NULL, phones);
        count(fn, ctx, "suppression_list", "hashes", NULL, hashes);
        count(fn, ctx, "suppression_list", "ignored", NULL, ignored);
    }
    cdp_buf_release(&label);
}

void cdp_exporter_stats_members(const struct cdp_exporter *e, struct cdp_buf *json)
{
    cdp_buf_printf(json, "\"format\":\"%s\",\"channel\":\"%s\"", e->o.writer.format->name,
                   cdp_channel_name(e->o.writer.channel));
    cdp_export_writer_files(e->writer, json);
}
