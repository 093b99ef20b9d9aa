#include "profile/merge.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include "base/pipeline.h"
#include "identity/linked.h"
#include "io/batch.h"
#include "io/extsort.h"
#include "io/json.h"
#include "identity/idmap.h"
#include "profile/moment.h"
#include "profile/store.h"
#include "rules/jq.h"

/* A batch holds whole persons; a new one starts once this many bytes of
 * lines are in. */
#define BATCH_BYTES ((size_t)4 << 20)

/* With a state, each line sorted carries its sequence number first. */
#define SEQ_BYTES 8

/* A person to write with a state: their id, their frames from the store
 * (if any), the frames of persons merged into them, their new lines. */
struct job {
    size_t id_at, id_len;         /* in the batch's blob */
    size_t stored_at, stored_len; /* their frames: none when 0 long */
    size_t stored_lines;          /* the lines in them */
    size_t merged_at, merged_len; /* frames of persons merged into them */
    size_t first_line, nlines;    /* their new lines: rows of lines */
    /* What the worker made: written again from the stored frames, or new
     * frames (in the batch's state) holding kept lines. */
    bool restored;
    size_t state_at, state_len, kept;
};

/* Persons handed to a worker: their lines, and what it made of them. */
struct batch {
    struct cdp_batch lines; /* every line, padded for parsing in place */
    size_t *group_first;    /* the first line of each person */
    size_t *group_key;      /* where their id is in blob (its length next) */
    size_t ngroups, groups_cap;
    struct cdp_buf blob; /* ids; with a state, frames too */
    uint64_t *seqs;      /* with a state: each line's sequence number */
    size_t seqs_cap;
    struct job *jobs;    /* with a state: the persons, instead of groups */
    size_t njobs, jobs_cap;
    struct cdp_buf out, rejects;
    struct cdp_buf state; /* with a state: the new frames of persons made again */
    uint64_t restored, remade;
    struct cdp_error failure; /* a person's stored frames unreadable */
    bool failed;
    struct cdp_buf note_text; /* where\0message\0 for each note */
    size_t *note_off;
    struct cdp_merge_note *notes; /* made when consumed */
    size_t nnotes, notes_cap;
    uint64_t profiles, rejected;
    uint64_t *trait_errors;
};

/* A line of a person being made again: stored (at an offset of the
 * worker's text) or new (a row of the batch's lines). */
struct line_ref {
    uint64_t seq;
    size_t at, len;
    bool is_new;
};

struct worker {
    const struct cdp_merger_options *o;
    const struct cdp_merger *m;
    struct cdp_profile *profile;
    struct cdp_json_parser *json;
    struct cdp_record rec;
    struct cdp_jq **traits;
    struct cdp_buf input; /* {"profile":...,"events":[...]} for the traits */
    struct cdp_buf id;    /* the person being merged */
    struct cdp_buf value;
    struct cdp_buf where;
    /* With a state: for the persons made again. */
    ZSTD_CCtx *cctx;
    ZSTD_DCtx *dctx;
    struct cdp_buf stored, frame_text; /* stored lines, as decompressed */
    uint64_t *seqs;
    size_t seqs_cap;
    struct line_ref *refs;
    size_t refs_cap;
    struct cdp_batch ordered; /* the person's lines in order, padded */
    struct cdp_buf kept;      /* the lines kept, and their numbers */
    uint64_t *kept_seqs;
    size_t kept_cap;
    struct cdp_buf saved;
};

/* A person merged away, waiting for the id that absorbed them. */
struct pending {
    size_t to_at, to_len, frames_at, frames_len; /* in pending_text */
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
    struct cdp_buf csv_line, key;
    uint64_t lines, anonymous;
    struct cdp_idmap *idmap;
    /* With a state. */
    int lock_fd;
    struct cdp_store_reader *store;
    struct cdp_store_header header;
    struct cdp_store_writer *writer;
    uint64_t options; /* digest of the options that make profiles */
    bool remake_all;
    struct pending *pending;
    size_t npending;
    struct cdp_buf pending_text;
    struct cdp_merger_state_counts counts;
    struct cdp_error failure; /* the first batch's that failed */
    bool failed;
};

/* ---- notes --------------------------------------------------------------- */

/* A note's text: a flag byte ('j': jq's message), where, the message. */
static void note(struct batch *b, bool jq, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void note(struct batch *b, bool jq, const char *where, const char *fmt, ...)
{
    if (b->nnotes == b->notes_cap) {
        b->notes_cap = b->notes_cap ? b->notes_cap * 2 : 16;
        b->note_off = cdp_xrealloc(b->note_off, b->notes_cap * sizeof *b->note_off);
    }
    b->note_off[b->nnotes++] = b->note_text.len;
    cdp_buf_addc(&b->note_text, jq ? 'j' : '-');
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
        const char *flag = b->note_text.data + b->note_off[i], *where = flag + 1;
        b->notes[i] = (struct cdp_merge_note){ where, where + strlen(where) + 1, *flag == 'j' };
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
    note(b, false, "(records)", "%s; line rejected", why);
    struct cdp_reject r = { NULL, NULL, CDP_REJECT_UNKNOWN, CDP_REJECT_UNKNOWN, cdp_json_status_code(st),
                            why, line->raw, line->rawlen };
    cdp_reject_format(&b->rejects, &r);
}

/* One line of a person into w's profile, begun if it is the first record
 * (id: the person's). False when it is no record (rejected). */
static bool add_line(struct worker *w, struct batch *b, const struct cdp_batch_row *line,
                     const char *id, size_t idlen, bool *begun)
{
    struct cdp_error why;
    cdp_record_clear(&w->rec);
    enum cdp_json_status st = cdp_json_parse_object(w->json, line->raw, line->rawlen, &w->rec, &why);
    if (st != CDP_JSON_OK) {
        reject_line(b, line, st, why.msg);
        return false;
    }
    if (!*begun) {
        cdp_profile_begin(w->profile, id, idlen);
        cdp_buf_reset(&w->id);
        cdp_buf_add(&w->id, id, idlen);
        *begun = true;
    }
    cdp_profile_add(w->profile, &w->rec, is_person(&w->rec));
    return true;
}

/* Lines [first, last) of lines, one person's, into w's profile. False when
 * none of them is a record. */
static bool build_profile(struct worker *w, struct batch *b, const struct cdp_batch *lines,
                          size_t first, size_t last, const char *id, size_t idlen)
{
    bool begun = false;
    for (size_t i = first; i < last; i++)
        add_line(w, b, &lines->rows[i], id, idlen, &begun);
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
            note(b, true, w->where.data, "trait %s: %s", name, err.msg);
            cdp_buf_adds(&b->out, "null");
        } else if (k == 0) {
            cdp_buf_adds(&b->out, "null");
        } else { /* the first output only */
            char *nl = memchr(w->value.data, '\n', w->value.len);
            cdp_buf_add(&b->out, w->value.data, nl ? (size_t)(nl - w->value.data) : w->value.len);
        }
    }
}

/* Ends the profile begun in w and appends it whole to b->out; with save,
 * its saved form goes to w->saved. */
static void end_profile(struct worker *w, struct batch *b, bool save)
{
    b->profiles++;
    size_t start = b->out.len;
    cdp_profile_end(w->profile, &b->out);
    if (save) {
        cdp_buf_reset(&w->saved);
        cdp_profile_save(w->profile, b->out.data + start, b->out.len - start, &w->saved);
    }
    add_traits(w, b, start);
    cdp_buf_adds(&b->out, "}\n");
}

static void work_groups(struct worker *w, struct batch *b)
{
    for (size_t g = 0; g < b->ngroups; g++) {
        size_t last = g + 1 < b->ngroups ? b->group_first[g + 1] : b->lines.n;
        const char *id = b->blob.data + b->group_key[g];
        size_t idlen = strlen(id);
        if (build_profile(w, b, &b->lines, b->group_first[g], last, id, idlen))
            end_profile(w, b, false);
    }
}

/* ---- a worker, with a state ---------------------------------------------- */

static int cmp_line_ref(const void *a, const void *b)
{
    const struct line_ref *x = a, *y = b;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static void add_ref(struct worker *w, size_t *n, struct line_ref r)
{
    if (*n == w->refs_cap) {
        w->refs_cap = w->refs_cap ? w->refs_cap * 2 : 1024;
        w->refs = cdp_xrealloc(w->refs, w->refs_cap * sizeof *w->refs);
    }
    w->refs[(*n)++] = r;
}

/* The stored lines of the frames at [p, p + len) (a person's, or several
 * back to back) into w->stored and w->refs. */
static int stored_lines(struct worker *w, const char *p, size_t len, size_t *nrefs,
                        struct cdp_error *err)
{
    while (len > 0) {
        size_t flen = cdp_store_frames_len(p, len), n;
        if (!flen)
            return cdp_errorf(err, "a person's frames are damaged");
        if (cdp_store_lines(w->dctx, p, flen, &w->frame_text, &w->seqs, &w->seqs_cap, &n, err) < 0)
            return -1;
        size_t at = w->stored.len;
        cdp_buf_add(&w->stored, w->frame_text.data, w->frame_text.len);
        for (size_t i = 0; i < n; i++) {
            const char *nl = memchr(w->stored.data + at, '\n', w->stored.len - at);
            add_ref(w, nrefs, (struct line_ref){ w->seqs[i], at, (size_t)(nl - w->stored.data) - at, false });
            at = (size_t)(nl - w->stored.data) + 1;
        }
        p += flen;
        len -= flen;
    }
    return 0;
}

/* A person made again from every line, stored and new, in the order they
 * were read; their frames go to b->state. */
static void remake(struct worker *w, struct batch *b, struct job *j)
{
    const char *id = b->blob.data + j->id_at;
    size_t n = 0;
    struct cdp_error err;
    cdp_buf_reset(&w->stored);
    if (stored_lines(w, b->blob.data + j->stored_at, j->stored_len, &n, &err) < 0 ||
        stored_lines(w, b->blob.data + j->merged_at, j->merged_len, &n, &err) < 0) {
        /* The store's digest matched: the frames were written damaged. The
         * run fails rather than lose the person's records. */
        if (!b->failed)
            cdp_errorf(&b->failure, "state: cdp_id %.*s: %s", (int)j->id_len, id, err.msg);
        b->failed = true;
        return;
    }
    for (size_t i = 0; i < j->nlines; i++)
        add_ref(w, &n, (struct line_ref){ b->seqs[j->first_line + i], j->first_line + i, 0, true });
    qsort(w->refs, n, sizeof *w->refs, cmp_line_ref);
    cdp_batch_clear(&w->ordered);
    for (size_t i = 0; i < n; i++) {
        const struct line_ref *r = &w->refs[i];
        if (r->is_new)
            cdp_batch_add_line(&w->ordered, b->lines.rows[r->at].raw, b->lines.rows[r->at].rawlen);
        else
            cdp_batch_add_line(&w->ordered, w->stored.data + r->at, r->len);
    }
    bool begun = false;
    size_t kept = 0;
    cdp_buf_reset(&w->kept);
    for (size_t i = 0; i < n; i++) {
        const struct cdp_batch_row *line = &w->ordered.rows[i];
        if (!add_line(w, b, line, id, j->id_len, &begun))
            continue;
        if (kept == w->kept_cap) {
            w->kept_cap = w->kept_cap ? w->kept_cap * 2 : 1024;
            w->kept_seqs = cdp_xrealloc(w->kept_seqs, w->kept_cap * sizeof *w->kept_seqs);
        }
        w->kept_seqs[kept++] = w->refs[i].seq;
        cdp_buf_add(&w->kept, line->raw, line->rawlen);
        cdp_buf_addc(&w->kept, '\n');
    }
    if (!begun)
        return;
    end_profile(w, b, true);
    j->state_at = b->state.len;
    cdp_store_format(w->cctx, &b->state, id, j->id_len, w->kept_seqs, w->kept.data, w->kept.len, kept,
                     w->saved.data, w->saved.len);
    j->state_len = b->state.len - j->state_at;
    j->kept = kept;
    b->remade++;
}

static void work_jobs(struct worker *w, struct batch *b)
{
    for (size_t i = 0; i < b->njobs; i++) {
        struct job *j = &b->jobs[i];
        const char *saved = NULL;
        size_t saved_len = 0;
        if (j->nlines || j->merged_len || !j->stored_len || w->m->remake_all ||
            !cdp_store_saved(b->blob.data + j->stored_at, j->stored_len, &saved, &saved_len) ||
            !cdp_moment_current(saved, saved_len, w->o->profile)) {
            remake(w, b, j);
            continue;
        }
        if (cdp_moment_restore(saved, saved_len, w->o->profile, &b->out) < 0) {
            remake(w, b, j); /* its lines make it again */
            continue;
        }
        cdp_buf_adds(&b->out, "}\n");
        b->profiles++;
        b->restored++;
        j->restored = true;
    }
}

static void work(void *worker, void *batch)
{
    struct worker *w = worker;
    struct batch *b = batch;
    if (b->njobs)
        work_jobs(w, b);
    else
        work_groups(w, b);
}

static int worker_init(struct worker *w, const struct cdp_merger *m, size_t *bad_trait,
                       struct cdp_error *err)
{
    const struct cdp_merger_options *o = &m->o;
    w->o = o;
    w->m = m;
    w->profile = cdp_profile_new(o->profile);
    w->json = cdp_json_parser_new();
    w->rec = (struct cdp_record)CDP_RECORD_INIT;
    w->traits = cdp_xcalloc(o->ntraits + 1, sizeof *w->traits);
    if (o->state) {
        w->cctx = ZSTD_createCCtx();
        w->dctx = ZSTD_createDCtx();
        if (!w->cctx || !w->dctx) {
            cdp_errorf(err, "cannot set up zstd");
            return -1;
        }
    }
    for (size_t t = 0; t < o->ntraits; t++)
        if (!(w->traits[t] = cdp_jq_compile(o->traits[t].expr, NULL, err))) {
            *bad_trait = t;
            return -1;
        } else {
            char what[128];
            snprintf(what, sizeof what, "trait '%s'", o->traits[t].name);
            cdp_jq_name(w->traits[t], what);
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
    ZSTD_freeCCtx(w->cctx);
    ZSTD_freeDCtx(w->dctx);
    cdp_buf_release(&w->stored);
    cdp_buf_release(&w->frame_text);
    free(w->seqs);
    free(w->refs);
    cdp_batch_release(&w->ordered);
    cdp_buf_release(&w->kept);
    free(w->kept_seqs);
    cdp_buf_release(&w->saved);
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
    free(b->group_key);
    cdp_buf_release(&b->blob);
    free(b->seqs);
    free(b->jobs);
    cdp_buf_release(&b->out);
    cdp_buf_release(&b->state);
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
    if (b->failed && !m->failed) {
        m->failure = b->failure;
        m->failed = true;
    }
    b->failed = false;
    m->o.consume(m->o.ctx, &r);
    /* The persons' frames, in order: as stored, or made again. */
    for (size_t i = 0; i < b->njobs && m->writer; i++) {
        const struct job *j = &b->jobs[i];
        if (j->restored)
            cdp_store_write(m->writer, b->blob.data + j->stored_at, j->stored_len, 1, j->stored_lines);
        else if (j->state_len)
            cdp_store_write(m->writer, b->state.data + j->state_at, j->state_len, 1, j->kept);
        m->counts.persons += j->restored || j->state_len;
        m->counts.lines += j->restored ? j->stored_lines : j->kept;
    }
    m->counts.restored += b->restored;
    m->counts.remade += b->remade;
    cdp_batch_clear(&b->lines);
    b->ngroups = b->njobs = 0;
    cdp_buf_reset(&b->blob);
    cdp_buf_reset(&b->out);
    cdp_buf_reset(&b->state);
    b->restored = b->remade = 0;
    cdp_buf_reset(&b->note_text);
    b->nnotes = 0;
    cdp_buf_reset(&b->rejects);
    b->profiles = b->rejected = 0;
    memset(b->trait_errors, 0, (m->o.ntraits + 1) * sizeof *b->trait_errors);
}

/* A new person in b: their id kept in the blob (NUL-terminated). */
static void start_person(struct batch *b, const char *id, size_t len)
{
    if (b->ngroups == b->groups_cap) {
        b->groups_cap = b->groups_cap ? b->groups_cap * 2 : 1024;
        b->group_first = cdp_xrealloc(b->group_first, b->groups_cap * sizeof *b->group_first);
        b->group_key = cdp_xrealloc(b->group_key, b->groups_cap * sizeof *b->group_key);
    }
    b->group_first[b->ngroups] = b->lines.n;
    b->group_key[b->ngroups++] = b->blob.len;
    cdp_buf_add(&b->blob, id, len);
    cdp_buf_addc(&b->blob, '\0');
}

static const struct cdp_pipeline_ops ops = { batch_new, batch_free, work, consume, 0 };

/* ---- the merger ---------------------------------------------------------- */

/* What the profiles of a state follow from besides the records and the
 * moment: the program's version and the options. */
static uint64_t options_digest(const struct cdp_merger_options *o)
{
    struct cdp_buf b = CDP_BUF_INIT;
    const struct cdp_profile_options *p = o->profile;
    cdp_buf_printf(&b, "%s\n%lld\n", CDP_VERSION, (long long)p->cart_timeout_ms);
    for (size_t i = 0; i < p->nprefer; i++)
        cdp_buf_printf(&b, "prefer %s\n", p->prefer[i]);
    for (size_t i = 0; i < p->nrules; i++)
        cdp_buf_printf(&b, "rule %s=%d\n", p->rule_fields[i], (int)p->rule_policies[i]);
    for (size_t i = 0; i < o->ntraits; i++)
        cdp_buf_printf(&b, "trait %s=%s\n", o->traits[i].name, o->traits[i].expr);
    uint64_t d = XXH3_64bits(b.data, b.len);
    cdp_buf_release(&b);
    return d;
}

static int open_state(struct cdp_merger *m, struct cdp_error *err)
{
    if (cdp_store_lock(m->o.state, &m->lock_fd, err) < 0)
        return -1;
    if (!(m->store = cdp_store_open(m->o.state, &m->header, err)))
        return -1;
    m->options = options_digest(&m->o);
    m->remake_all = !cdp_store_exists(m->store) || m->header.options != m->options ||
                    m->o.profile->as_of_ms < m->header.as_of_ms || m->o.ntraits > 0;
    return 0;
}

struct cdp_merger *cdp_merger_new(const struct cdp_merger_options *o, size_t *bad_trait,
                                  struct cdp_error *err)
{
    struct cdp_merger *m = cdp_xcalloc(1, sizeof *m);
    m->o = *o;
    m->lock_fd = -1;
    m->nctx = o->nworkers ? o->nworkers : 1;
    m->workers = cdp_xcalloc(m->nctx, sizeof *m->workers);
    m->ctx = cdp_xcalloc(m->nctx, sizeof *m->ctx);
    m->json = cdp_json_parser_new();
    m->rec = (struct cdp_record)CDP_RECORD_INIT;
    struct cdp_extsort_options so = { o->memory, NULL, o->zstd_workers };
    m->sort = cdp_extsort_new(&so);
    *bad_trait = SIZE_MAX;
    for (size_t i = 0; i < m->nctx; i++) {
        m->ctx[i] = &m->workers[i];
        if (worker_init(&m->workers[i], m, bad_trait, err) < 0) {
            cdp_merger_free(m);
            return NULL;
        }
    }
    if ((o->journal && !(m->idmap = cdp_idmap_read(o->journal, err))) ||
        (o->state && open_state(m, err) < 0) ||
        !(m->pipeline = cdp_pipeline_new(&ops, m, o->nworkers, m->ctx, err))) {
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
    cdp_buf_release(&m->key);
    cdp_idmap_free(m->idmap);
    cdp_store_abort(m->writer);
    cdp_store_close(m->store);
    free(m->pending);
    cdp_buf_release(&m->pending_text);
    if (m->lock_fd >= 0)
        close(m->lock_fd); /* releases the lock */
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

/* Into the sort under its person's id (the one that absorbed it, with a
 * journal); with a state, after its sequence number. */
static int sort_line(struct cdp_merger *m, const char *id, size_t idlen, const char *line,
                     size_t len, struct cdp_error *err)
{
    if (m->idmap)
        cdp_idmap_follow(m->idmap, id, idlen, &id, &idlen);
    if (!m->store)
        return cdp_extsort_add(m->sort, id, idlen, line, len, err);
    uint64_t seq = m->header.lines + m->lines - 1;
    cdp_buf_reset(&m->key);
    for (int i = 0; i < SEQ_BYTES; i++)
        cdp_buf_addc(&m->key, (char)(seq >> (8 * i)));
    cdp_buf_add(&m->key, line, len);
    return cdp_extsort_add(m->sort, id, idlen, m->key.data, m->key.len, err);
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
            status = sort_line(m, id, idlen, line, len, err);
        }
    }
    cdp_reader_close(r);
    return status;
}

int cdp_merger_sort(struct cdp_merger *m, struct cdp_error *err)
{
    return cdp_extsort_finish(m->sort, err);
}

static bool same_key(const struct cdp_buf *last, const char *key, size_t klen)
{
    return last->data && last->len == klen && (klen == 0 || memcmp(last->data, key, klen) == 0);
}

/* Without a state: every group of the sort is a person. */
static int write_groups(struct cdp_merger *m, struct cdp_error *err)
{
    struct batch *b = cdp_pipeline_batch(m->pipeline);
    struct cdp_buf last = CDP_BUF_INIT;
    const char *key, *payload;
    size_t klen, plen;
    int k;
    while ((k = cdp_extsort_next(m->sort, &key, &klen, &payload, &plen, err)) > 0) {
        bool new_person = !same_key(&last, key, klen);
        if (new_person && b->lines.bytes >= BATCH_BYTES) {
            cdp_pipeline_submit(m->pipeline, b);
            b = cdp_pipeline_batch(m->pipeline);
        }
        if (new_person) {
            cdp_buf_reset(&last);
            cdp_buf_add(&last, key, klen);
            start_person(b, key, klen);
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

/* ---- with a state -------------------------------------------------------- */

static int cmp_bytes(const char *a, size_t al, const char *b, size_t bl)
{
    size_t n = al < bl ? al : bl;
    int c = n ? memcmp(a, b, n) : 0;
    return c ? c : (al > bl) - (al < bl);
}

static int cmp_pending(const void *a, const void *b, void *ctx)
{
    const char *text = ctx;
    const struct pending *x = a, *y = b;
    int c = cmp_bytes(text + x->to_at, x->to_len, text + y->to_at, y->to_len);
    return c ? c : (x->frames_at > y->frames_at) - (x->frames_at < y->frames_at);
}

/* Persons of the store merged away since it was written: their frames,
 * by the id that absorbed them (a pass over the store, on the nights the
 * journal has merges it did not follow yet). */
static int collect_merged(struct cdp_merger *m, struct cdp_error *err)
{
    if (!m->idmap || !cdp_store_exists(m->store))
        return 0;
    uint64_t entries = cdp_idmap_entries(m->idmap);
    if (
        (entries >= m->header.journal && !cdp_idmap_merges_since(m->idmap, m->header.journal)) ||
        (entries < m->header.journal && !cdp_idmap_merges_since(m->idmap, 0)))
        return 0;
    struct cdp_store_header h;
    struct cdp_store_reader *r = cdp_store_open(m->o.state, &h, err);
    if (!r)
        return -1;
    struct cdp_store_person p;
    const char *to;
    size_t tolen, cap = 0;
    int k;
    while ((k = cdp_store_next(r, &p, err)) > 0) {
        if (!cdp_idmap_follow(m->idmap, p.id, p.idlen, &to, &tolen))
            continue;
        if (m->npending == cap) {
            cap = cap ? cap * 2 : 16;
            m->pending = cdp_xrealloc(m->pending, cap * sizeof *m->pending);
        }
        struct pending *q = &m->pending[m->npending++];
        q->to_at = m->pending_text.len;
        q->to_len = tolen;
        cdp_buf_add(&m->pending_text, to, tolen);
        q->frames_at = m->pending_text.len;
        q->frames_len = p.frames_len;
        cdp_buf_add(&m->pending_text, p.frames, p.frames_len);
    }
    cdp_store_close(r);
    if (m->npending)
        qsort_r(m->pending, m->npending, sizeof *m->pending, cmp_pending, m->pending_text.data);
    return k;
}

/* The three sources of a state's persons, each in cdp_id order, read one
 * person ahead: the store, the night's lines, the persons merged away. */
struct join {
    struct cdp_store_person stored;
    int has_stored;
    const char *key, *payload;
    size_t klen, plen;
    int has_line;
    size_t pending;
};

static int next_stored(struct cdp_merger *m, struct join *j, struct cdp_error *err)
{
    const char *to;
    size_t tolen;
    while ((j->has_stored = cdp_store_next(m->store, &j->stored, err)) > 0 && m->idmap &&
           cdp_idmap_follow(m->idmap, j->stored.id, j->stored.idlen, &to, &tolen))
        if (!m->npending)
            return cdp_errorf(err, "state file '%s' still holds %.*s, which the journal says was "
                                   "merged into %.*s: was another journal used before?",
                              m->o.state, (int)j->stored.idlen, j->stored.id, (int)tolen, to);
    return j->has_stored;
}

static int next_line(struct cdp_merger *m, struct join *j, struct cdp_error *err)
{
    return j->has_line = cdp_extsort_next(m->sort, &j->key, &j->klen, &j->payload, &j->plen, err);
}

/* Appends one person to b: the smallest id of the three sources, with what
 * each holds of them. */
static int add_job(struct cdp_merger *m, struct join *j, struct batch *b, struct cdp_error *err)
{
    const char *id = NULL;
    size_t idlen = 0;
    const struct pending *pd = j->pending < m->npending ? &m->pending[j->pending] : NULL;
    if (j->has_stored)
        id = j->stored.id, idlen = j->stored.idlen;
    if (j->has_line && (!id || cmp_bytes(j->key, j->klen, id, idlen) < 0))
        id = j->key, idlen = j->klen;
    if (pd && (!id || cmp_bytes(m->pending_text.data + pd->to_at, pd->to_len, id, idlen) < 0))
        id = m->pending_text.data + pd->to_at, idlen = pd->to_len;
    if (b->njobs == b->jobs_cap) {
        b->jobs_cap = b->jobs_cap ? b->jobs_cap * 2 : 1024;
        b->jobs = cdp_xrealloc(b->jobs, b->jobs_cap * sizeof *b->jobs);
    }
    struct job *job = &b->jobs[b->njobs++];
    memset(job, 0, sizeof *job);
    job->id_at = b->blob.len;
    job->id_len = idlen;
    cdp_buf_add(&b->blob, id, idlen);
    cdp_buf_addc(&b->blob, '\0');
    /* A copy: the sources move on below, and the blob grows. */
    cdp_buf_reset(&m->key);
    cdp_buf_add(&m->key, id, idlen);
    id = m->key.data;
    job->merged_at = b->blob.len;
    for (; pd && cmp_bytes(m->pending_text.data + pd->to_at, pd->to_len, id, idlen) == 0;
         pd = ++j->pending < m->npending ? &m->pending[j->pending] : NULL)
        cdp_buf_add(&b->blob, m->pending_text.data + pd->frames_at, pd->frames_len);
    job->merged_len = b->blob.len - job->merged_at;
    if (j->has_stored && cmp_bytes(j->stored.id, j->stored.idlen, id, idlen) == 0) {
        job->stored_at = b->blob.len;
        job->stored_len = j->stored.frames_len;
        job->stored_lines = j->stored.nlines;
        cdp_buf_add(&b->blob, j->stored.frames, j->stored.frames_len);
        if (next_stored(m, j, err) < 0)
            return -1;
    }
    job->first_line = b->lines.n;
    while (j->has_line > 0 && cmp_bytes(j->key, j->klen, id, idlen) == 0) {
        if (b->lines.n == b->seqs_cap) {
            b->seqs_cap = b->seqs_cap ? b->seqs_cap * 2 : 1024;
            b->seqs = cdp_xrealloc(b->seqs, b->seqs_cap * sizeof *b->seqs);
        }
        uint64_t seq = 0;
        for (int i = SEQ_BYTES - 1; i >= 0; i--)
            seq = seq << 8 | (unsigned char)j->payload[i];
        b->seqs[b->lines.n] = seq;
        cdp_batch_add_line(&b->lines, j->payload + SEQ_BYTES, j->plen - SEQ_BYTES);
        if (next_line(m, j, err) < 0)
            return -1;
    }
    job->nlines = b->lines.n - job->first_line;
    return 0;
}

/* With a state: the store's persons and the night's, joined by id. */
static int write_jobs(struct cdp_merger *m, struct cdp_error *err)
{
    struct cdp_store_header h = { m->o.profile->as_of_ms, m->options, m->header.lines + m->lines,
                                  m->idmap ? cdp_idmap_entries(m->idmap) : 0 };
    struct join j = { .has_stored = 0 };
    if (collect_merged(m, err) < 0 || !(m->writer = cdp_store_create(m->o.state, &h, err)) ||
        next_stored(m, &j, err) < 0 || next_line(m, &j, err) < 0)
        return -1;
    struct batch *b = cdp_pipeline_batch(m->pipeline);
    while (j.has_stored > 0 || j.has_line > 0 || j.pending < m->npending) {
        if (b->lines.bytes + b->blob.len >= BATCH_BYTES) {
            cdp_pipeline_submit(m->pipeline, b);
            b = cdp_pipeline_batch(m->pipeline);
        }
        if (add_job(m, &j, b, err) < 0) {
            cdp_pipeline_unused(m->pipeline, b);
            cdp_pipeline_drain(m->pipeline);
            return -1;
        }
    }
    if (b->njobs)
        cdp_pipeline_submit(m->pipeline, b);
    else
        cdp_pipeline_unused(m->pipeline, b);
    cdp_pipeline_drain(m->pipeline);
    if (m->failed) {
        *err = m->failure;
        return -1;
    }
    return 0;
}

int cdp_merger_write(struct cdp_merger *m, struct cdp_error *err)
{
    return m->store ? write_jobs(m, err) : write_groups(m, err);
}

int cdp_merger_commit_state(struct cdp_merger *m, struct cdp_error *err)
{
    struct cdp_store_writer *w = m->writer;
    m->writer = NULL;
    return w ? cdp_store_commit(w, err) : 0;
}

struct cdp_output *cdp_merger_state_output(struct cdp_merger *m)
{
    struct cdp_store_writer *w = m->writer;
    m->writer = NULL;
    return w ? cdp_store_finish(w) : NULL;
}

void cdp_merger_state_counts(const struct cdp_merger *m, struct cdp_merger_state_counts *c)
{
    *c = m->counts;
}

void cdp_merger_spilled(const struct cdp_merger *m, uint64_t *runs, uint64_t *bytes)
{
    uint64_t items;
    cdp_extsort_counts(m->sort, &items, runs, bytes);
}
