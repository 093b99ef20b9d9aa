#include "profile/merge.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/pipeline.h"
#include "identity/linked.h"
#include "io/batch.h"
#include "io/extsort.h"
#include "io/json.h"
#include "rules/jq.h"

/* A batch holds whole persons; a new one starts once this many bytes of
 * lines are in. */
#define BATCH_BYTES ((size_t)4 << 20)

/* Persons handed to a worker: their lines, and what it made of them. */
struct batch {
    struct cdp_batch lines; /* every line, padded for parsing in place */
    size_t *group_first;    /* the first line of each person */
    size_t ngroups, groups_cap;
    struct cdp_buf out, rejects;
    struct cdp_buf note_text; /* where\0message\0 for each note */
    size_t *note_off;
    struct cdp_merge_note *notes; /* made when consumed */
    size_t nnotes, notes_cap;
    uint64_t profiles, rejected;
    uint64_t *trait_errors;
};

struct worker {
    const struct cdp_merger_options *o;
    struct cdp_profile *profile;
    struct cdp_json_parser *json;
    struct cdp_record rec;
    struct cdp_jq **traits;
    struct cdp_buf input; /* {"profile":...,"events":[...]} for the traits */
    struct cdp_buf id;    /* the person being merged */
    struct cdp_buf value;
    struct cdp_buf where;
};

struct cdp_merger {
    struct cdp_merger_options o;
    struct worker *workers;
    void **ctx;
    size_t nctx;
    struct cdp_pipeline *pipeline;
    struct cdp_extsort *sort;
    struct cdp_json_parser *json; /* the reading thread's */
    struct cdp_record rec;
    struct cdp_buf csv_line;
    uint64_t lines, anonymous;
};

/* ---- notes --------------------------------------------------------------- */

static void note(struct batch *b, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void note(struct batch *b, const char *where, const char *fmt, ...)
{
    if (b->nnotes == b->notes_cap) {
        b->notes_cap = b->notes_cap ? b->notes_cap * 2 : 16;
        b->note_off = cdp_xrealloc(b->note_off, b->notes_cap * sizeof *b->note_off);
    }
    b->note_off[b->nnotes++] = b->note_text.len;
    cdp_buf_add(&b->note_text, where, strlen(where) + 1);
    va_list ap;
    va_start(ap, fmt);
    cdp_buf_vprintf(&b->note_text, fmt, ap);
    va_end(ap);
    cdp_buf_addc(&b->note_text, '\0');
}

/* The notes as consume shows them (their text no longer grows). */
static const struct cdp_merge_note *notes(struct batch *b)
{
    b->notes = cdp_xrealloc(b->notes, (b->nnotes + 1) * sizeof *b->notes);
    for (size_t i = 0; i < b->nnotes; i++) {
        const char *where = b->note_text.data + b->note_off[i];
        b->notes[i] = (struct cdp_merge_note){ where, where + strlen(where) + 1 };
    }
    return b->notes;
}

/* ---- a worker ------------------------------------------------------------ */

static bool is_person(const struct cdp_record *r)
{
    const struct cdp_field *k = cdp_record_gets(r, "_kind");
    if (k)
        return k->type == CDP_STRING && k->vlen == 6 && memcmp(k->val, "person", 6) == 0;
    return cdp_record_gets(r, "event") == NULL;
}

/* A line that looked right at reading (it ended with a cdp_id) but is not
 * JSON: where it came from is lost in the sort, its text is not. */
static void reject_line(struct batch *b, const struct cdp_batch_row *line, enum cdp_json_status st,
                        const char *why)
{
    b->rejected++;
    note(b, "(records)", "%s; line rejected", why);
    struct cdp_reject r = { NULL, NULL, CDP_REJECT_UNKNOWN, CDP_REJECT_UNKNOWN, cdp_json_status_code(st),
                            why, line->raw, line->rawlen };
    cdp_reject_format(&b->rejects, &r);
}

/* Lines [first, last) of b, one person's, into w's profile. False when none
 * of them is a record. */
static bool build_profile(struct worker *w, struct batch *b, size_t first, size_t last)
{
    bool begun = false;
    for (size_t i = first; i < last; i++) {
        const struct cdp_batch_row *line = &b->lines.rows[i];
        struct cdp_error why;
        cdp_record_clear(&w->rec);
        enum cdp_json_status st = cdp_json_parse_object(w->json, line->raw, line->rawlen, &w->rec, &why);
        if (st != CDP_JSON_OK) {
            reject_line(b, line, st, why.msg);
            continue;
        }
        const struct cdp_field *id = cdp_record_gets(&w->rec, "cdp_id");
        if (!begun) {
            cdp_profile_begin(w->profile, id ? id->val : "", id ? id->vlen : 0);
            cdp_buf_reset(&w->id);
            cdp_buf_add(&w->id, id ? id->val : "", id ? id->vlen : 0);
            begun = true;
        }
        cdp_profile_add(w->profile, &w->rec, is_person(&w->rec));
    }
    return begun;
}

/* Appends each trait to the profile that starts at b->out.data + start. */
static void add_traits(struct worker *w, struct batch *b, size_t start)
{
    for (size_t t = 0; t < w->o->ntraits; t++) {
        const char *name = w->o->traits[t].name;
        struct cdp_buf *in = &w->input;
        cdp_buf_reset(in);
        cdp_buf_adds(in, "{\"profile\":");
        cdp_buf_add(in, b->out.data + start, b->out.len - start);
        cdp_buf_adds(in, "},\"events\":");
        cdp_profile_events_json(w->profile, in);
        cdp_buf_addc(in, '}');
        cdp_buf_reset(&w->value);
        struct cdp_error err;
        int k = cdp_jq_run_json(w->traits[t], in->data, in->len, &w->value, '\n', &err);
        cdp_buf_addc(&b->out, ',');
        cdp_json_add_string(&b->out, name, strlen(name));
        cdp_buf_addc(&b->out, ':');
        if (k < 0) {
            b->trait_errors[t]++;
            cdp_buf_reset(&w->where);
            cdp_buf_printf(&w->where, "cdp_id %s", w->id.data);
            note(b, w->where.data, "trait %s: %s", name, err.msg);
            cdp_buf_adds(&b->out, "null");
        } else if (k == 0) {
            cdp_buf_adds(&b->out, "null");
        } else { /* the first output only */
            char *nl = memchr(w->value.data, '\n', w->value.len);
            cdp_buf_add(&b->out, w->value.data, nl ? (size_t)(nl - w->value.data) : w->value.len);
        }
    }
}

static void work(void *worker, void *batch)
{
    struct worker *w = worker;
    struct batch *b = batch;
    for (size_t g = 0; g < b->ngroups; g++) {
        size_t last = g + 1 < b->ngroups ? b->group_first[g + 1] : b->lines.n;
        if (!build_profile(w, b, b->group_first[g], last))
            continue;
        b->profiles++;
        size_t start = b->out.len;
        cdp_profile_end(w->profile, &b->out);
        add_traits(w, b, start);
        cdp_buf_adds(&b->out, "}\n");
    }
}

static int worker_init(struct worker *w, const struct cdp_merger_options *o, size_t *bad_trait,
                       struct cdp_error *err)
{
    w->o = o;
    w->profile = cdp_profile_new(o->profile);
    w->json = cdp_json_parser_new();
    w->rec = (struct cdp_record)CDP_RECORD_INIT;
    w->traits = cdp_xcalloc(o->ntraits + 1, sizeof *w->traits);
    for (size_t t = 0; t < o->ntraits; t++)
        if (!(w->traits[t] = cdp_jq_compile(o->traits[t].expr, NULL, err))) {
            *bad_trait = t;
            return -1;
        }
    return 0;
}

static void worker_release(struct worker *w)
{
    cdp_profile_free(w->profile);
    cdp_json_parser_free(w->json);
    cdp_record_release(&w->rec);
    for (size_t t = 0; w->traits && t < w->o->ntraits; t++)
        cdp_jq_free(w->traits[t]);
    free(w->traits);
    cdp_buf_release(&w->input);
    cdp_buf_release(&w->id);
    cdp_buf_release(&w->value);
    cdp_buf_release(&w->where);
}

/* ---- batches ------------------------------------------------------------- */

static void *batch_new(void *owner)
{
    struct cdp_merger *m = owner;
    struct batch *b = cdp_xcalloc(1, sizeof *b);
    b->trait_errors = cdp_xcalloc(m->o.ntraits + 1, sizeof *b->trait_errors);
    return b;
}

static void batch_free(void *owner, void *batch)
{
    struct batch *b = batch;
    (void)owner;
    cdp_batch_release(&b->lines);
    free(b->group_first);
    cdp_buf_release(&b->out);
    cdp_buf_release(&b->note_text);
    free(b->note_off);
    free(b->notes);
    cdp_buf_release(&b->rejects);
    free(b->trait_errors);
    free(b);
}

static void consume(void *owner, void *batch)
{
    struct cdp_merger *m = owner;
    struct batch *b = batch;
    struct cdp_merge_result r = { &b->out, notes(b), b->nnotes, &b->rejects, b->profiles, b->rejected,
                                  b->trait_errors };
    m->o.consume(m->o.ctx, &r);
    cdp_batch_clear(&b->lines);
    b->ngroups = 0;
    cdp_buf_reset(&b->out);
    cdp_buf_reset(&b->note_text);
    b->nnotes = 0;
    cdp_buf_reset(&b->rejects);
    b->profiles = b->rejected = 0;
    memset(b->trait_errors, 0, (m->o.ntraits + 1) * sizeof *b->trait_errors);
}

static void start_person(struct batch *b)
{
    if (b->ngroups == b->groups_cap) {
        b->groups_cap = b->groups_cap ? b->groups_cap * 2 : 1024;
        b->group_first = cdp_xrealloc(b->group_first, b->groups_cap * sizeof *b->group_first);
    }
    b->group_first[b->ngroups++] = b->lines.n;
}

static const struct cdp_pipeline_ops ops = { batch_new, batch_free, work, consume };

/* ---- the merger ---------------------------------------------------------- */

struct cdp_merger *cdp_merger_new(const struct cdp_merger_options *o, size_t *bad_trait,
                                  struct cdp_error *err)
{
    struct cdp_merger *m = cdp_xcalloc(1, sizeof *m);
    m->o = *o;
    m->nctx = o->nworkers ? o->nworkers : 1;
    m->workers = cdp_xcalloc(m->nctx, sizeof *m->workers);
    m->ctx = cdp_xcalloc(m->nctx, sizeof *m->ctx);
    m->json = cdp_json_parser_new();
    m->rec = (struct cdp_record)CDP_RECORD_INIT;
    struct cdp_extsort_options so = { o->memory, NULL };
    m->sort = cdp_extsort_new(&so);
    *bad_trait = SIZE_MAX;
    for (size_t i = 0; i < m->nctx; i++) {
        m->ctx[i] = &m->workers[i];
        if (worker_init(&m->workers[i], &m->o, bad_trait, err) < 0) {
            cdp_merger_free(m);
            return NULL;
        }
    }
    if (!(m->pipeline = cdp_pipeline_new(&ops, m, o->nworkers, m->ctx, err))) {
        cdp_merger_free(m);
        return NULL;
    }
    return m;
}

void cdp_merger_free(struct cdp_merger *m)
{
    if (!m)
        return;
    cdp_pipeline_free(m->pipeline);
    for (size_t i = 0; i < m->nctx; i++)
        if (m->workers[i].o)
            worker_release(&m->workers[i]);
    free(m->workers);
    free(m->ctx);
    cdp_extsort_free(m->sort);
    cdp_json_parser_free(m->json);
    cdp_record_release(&m->rec);
    cdp_buf_release(&m->csv_line);
    free(m);
}

uint64_t cdp_merger_lines(const struct cdp_merger *m)
{
    return m->lines;
}

uint64_t cdp_merger_anonymous(const struct cdp_merger *m)
{
    return m->anonymous;
}

/* The cdp_id of the row just read, and the line to merge (a CSV record as
 * JSON): 1, 0 for none, or -1 for a row that is not a record (its code and
 * reason in row). */
static int row_id(struct cdp_merger *m, enum cdp_read k, bool csv, struct cdp_row *row,
                  const char **line, size_t *len, const char **id, size_t *idlen)
{
    *line = row->raw;
    *len = row->rawlen;
    if (k == CDP_READ_BAD) {
        if (!row->reason[0])
            strcpy(row->reason, "not a JSON object");
        return -1;
    }
    if (csv) {
        cdp_buf_reset(&m->csv_line);
        cdp_json_add_record(&m->csv_line, &m->rec);
        *line = m->csv_line.data;
        *len = m->csv_line.len;
        const struct cdp_field *f = cdp_record_gets(&m->rec, "cdp_id");
        if (!f || !f->vlen)
            return 0;
        *id = f->val;
        *idlen = f->vlen;
        return 1;
    }
    enum cdp_json_status st;
    int got = cdp_linked_id(m->json, &m->rec, *line, *len, id, idlen, &st);
    if (got < 0) {
        row->code = cdp_json_status_code(st);
        strcpy(row->reason, "not a JSON object");
    }
    return got;
}

int cdp_merger_read(struct cdp_merger *m, const char *path, const struct cdp_reader_options *in,
                    struct cdp_error *err)
{
    struct cdp_reader_options ro = *in;
    ro.lines_only = true;
    struct cdp_reader *r = cdp_reader_open(path, &ro, err);
    if (!r)
        return -1;
    bool csv = cdp_reader_format(r) == CDP_FORMAT_CSV;
    struct cdp_row row;
    int status = 0;
    enum cdp_read k;
    while (status == 0 && (k = cdp_reader_next(r, &m->rec, &row, err)) != CDP_READ_END) {
        if (k == CDP_READ_ERROR) {
            status = -1;
            break;
        }
        m->lines++;
        if (m->o.progress)
            m->o.progress(m->o.ctx, m->lines, cdp_reader_bytes(r));
        const char *line, *id = NULL;
        size_t len, idlen = 0;
        int got = row_id(m, k, csv, &row, &line, &len, &id, &idlen);
        if (got < 0) {
            struct cdp_reject rj = { NULL, cdp_reader_name(r), row.line, row.number, row.code,
                                     row.reason, row.raw, row.rawlen };
            m->o.reject(m->o.ctx, &rj);
        } else if (got == 0) {
            m->anonymous++;
        } else {
            status = cdp_extsort_add(m->sort, id, idlen, line, len, err);
        }
    }
    cdp_reader_close(r);
    return status;
}

int cdp_merger_sort(struct cdp_merger *m, struct cdp_error *err)
{
    return cdp_extsort_finish(m->sort, err);
}

int cdp_merger_write(struct cdp_merger *m, struct cdp_error *err)
{
    struct batch *b = cdp_pipeline_batch(m->pipeline);
    struct cdp_buf last = CDP_BUF_INIT;
    const char *key, *payload;
    size_t klen, plen;
    int k;
    while ((k = cdp_extsort_next(m->sort, &key, &klen, &payload, &plen, err)) > 0) {
        bool new_person = !last.data || last.len != klen || (klen && memcmp(last.data, key, klen) != 0);
        if (new_person && b->lines.bytes >= BATCH_BYTES) {
            cdp_pipeline_submit(m->pipeline, b);
            b = cdp_pipeline_batch(m->pipeline);
        }
        if (new_person) {
            cdp_buf_reset(&last);
            cdp_buf_add(&last, key, klen);
            start_person(b);
        }
        cdp_batch_add_line(&b->lines, payload, plen);
    }
    cdp_buf_release(&last);
    if (k < 0)
        return -1;
    if (b->ngroups)
        cdp_pipeline_submit(m->pipeline, b);
    else
        cdp_pipeline_unused(m->pipeline, b);
    cdp_pipeline_drain(m->pipeline);
    return 0;
}

void cdp_merger_spilled(const struct cdp_merger *m, uint64_t *runs, uint64_t *bytes)
{
    uint64_t items;
    cdp_extsort_counts(m->sort, &items, runs, bytes);
}
