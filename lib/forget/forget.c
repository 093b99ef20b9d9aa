#include "forget/forget.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/intern.h"
#include "base/pipeline.h"
#include "base/pmap.h"
#include "export/delta.h"
#include "identity/idstate.h"
#include "identity/journal.h"
#include "identity/linker.h"
#include "io/forgetlist.h"
#include "io/lines.h"
#include "io/replace.h"
#include "io/reread.h"
#include "io/source.h"
#include "norm/email.h"
#include "norm/phone.h"
#include "norm/show.h"
#include "norm/text.h"
#include "profile/store.h"

/* One identifier of the request. */
struct request {
    char *field;
    char *value;        /* normalised */
    char *kv;           /* "FIELD\x1FVALUE", as the state holds it */
    struct cdp_intern *ids; /* the ids of the nodes holding it */
};

struct cdp_forget {
    struct cdp_forget_options o;
    struct cdp_phone_normalizer *phones;
    struct request *req;
    size_t nreq, cap;
    size_t *lookup;                 /* cdp_forget_find's: see there */
    struct cdp_idstate *lock;       /* holds the state's lock */
    struct cdp_idstate_persons p;
    struct cdp_forgetlist *list;    /* the forget list, or NULL */
    struct cdp_forgetlist *match;   /* what this request removes */
    struct cdp_delta_forget *rows;  /* the same, for export files */
    struct cdp_replace *replace;
    struct cdp_output *state_out;   /* staged last */
    int merge_lock;                 /* cdp-merge's state's lock, or -1 */
    struct cdp_forget_result res;
    size_t files_cap;
};

struct cdp_forget *cdp_forget_new(const struct cdp_forget_options *o, struct cdp_error *err)
{
    char why[256];
    struct cdp_phone_normalizer *phones = cdp_phone_normalizer_new(o->region ? o->region : "RU", why,
                                                                   sizeof why);
    if (!phones) {
        cdp_errorf(err, "%s", why);
        return NULL;
    }
    struct cdp_forget *f = cdp_xcalloc(1, sizeof *f);
    f->o = *o;
    if (!f->o.max_persons)
        f->o.max_persons = 1;
    f->phones = phones;
    cdp_idstate_persons_init(&f->p);
    f->replace = cdp_replace_new();
    f->merge_lock = -1;
    return f;
}

void cdp_forget_free(struct cdp_forget *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->nreq; i++) {
        free(f->req[i].field);
        free(f->req[i].value);
        free(f->req[i].kv);
        cdp_intern_free(f->req[i].ids);
    }
    free(f->req);
    free(f->lookup);
    cdp_phone_normalizer_free(f->phones);
    cdp_idstate_free(f->lock);
    if (f->merge_lock >= 0)
        close(f->merge_lock);
    cdp_idstate_persons_release(&f->p);
    cdp_forgetlist_free(f->list);
    cdp_forgetlist_free(f->match);
    cdp_delta_forget_free(f->rows);
    cdp_output_abort(f->state_out);
    cdp_replace_free(f->replace);
    free(f->res.files);
    free(f);
}

size_t cdp_forget_count(const struct cdp_forget *f)
{
    return f->nreq;
}

const struct cdp_forget_result *cdp_forget_result(const struct cdp_forget *f)
{
    return &f->res;
}

/* ---- the request -------------------------------------------------------- */

/* A value for a message: masked (norm/show.h), but a placeholder that is
 * nobody's (clear). */
static const char *shown(struct cdp_buf *b, const char *field, const char *s, size_t len, bool clear)
{
    cdp_buf_reset(b);
    cdp_show_value(b, s, len, strcmp(field, "cdp_id") == 0 ? CDP_SHOW_PLAIN : cdp_show_kind_of(field),
                   clear);
    return b->data ? b->data : "";
}

static const char *noun(const char *field)
{
    return strcmp(field, "email") == 0 ? "e-mail" : strcmp(field, "customer_id") == 0 ? "customer id" : field;
}

/* The value as cdp-ingest writes it into a canonical record. */
static int normalise(struct cdp_forget *f, const char *field, const char *s, size_t len,
                     struct cdp_buf *out, struct cdp_error *err)
{
    struct cdp_buf msg = CDP_BUF_INIT;
    int rc = 0;
    cdp_text_trim(&s, &len);
    if (strcmp(field, "email") == 0) {
        if (!cdp_email_normalize(out, s, len))
            rc = cdp_errorf(err, "not an e-mail address: '%s'", shown(&msg, field, s, len, false));
    } else if (strcmp(field, "phone") == 0) {
        char e164[CDP_PHONE_E164_MAX];
        if (cdp_phone_normalize(f->phones, s, len, e164, NULL))
            cdp_buf_adds(out, e164);
        else
            rc = cdp_errorf(err, "not a phone number: '%s'", shown(&msg, field, s, len, false));
    } else if (strcmp(field, "card") == 0 || strcmp(field, "customer_id") == 0 ||
               strcmp(field, "cdp_id") == 0) {
        if (len == 0)
            rc = cdp_errorf(err, "an empty %s", noun(field));
        cdp_buf_add(out, s, len);
    } else {
        rc = cdp_errorf(err, "no identifier '%s' (email, phone, card, customer_id, cdp_id)", field);
    }
    if (rc == 0 && strcmp(field, "cdp_id") != 0 && f->o.blocks &&
        cdp_keyset_blocked(f->o.blocks, out->data, out->len))
        rc = cdp_errorf(err, "%s '%s' is a placeholder that is nobody's (blocked): it names no person",
                        noun(field), shown(&msg, field, out->data, out->len, true));
    cdp_buf_release(&msg);
    return rc;
}

int cdp_forget_add(struct cdp_forget *f, const char *field, const char *value, size_t len,
                   struct cdp_error *err)
{
    struct cdp_buf v = CDP_BUF_INIT;
    if (normalise(f, field, value, len, &v, err) < 0) {
        cdp_buf_release(&v);
        return -1;
    }
    struct cdp_buf kv = CDP_BUF_INIT;
    cdp_buf_printf(&kv, "%s\x1F%.*s", field, (int)v.len, v.data);
    for (size_t i = 0; i < f->nreq; i++)
        if (strcmp(f->req[i].kv, kv.data) == 0) {
            cdp_buf_release(&v);
            cdp_buf_release(&kv);
            return 0; /* given twice */
        }
    if (f->nreq == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 8;
        f->req = cdp_xrealloc(f->req, f->cap * sizeof *f->req);
    }
    f->req[f->nreq++] = (struct request){ cdp_xstrdup(field), cdp_buf_detach(&v, NULL),
                                          cdp_buf_detach(&kv, NULL), cdp_intern_new() };
    f->res.identifiers = f->nreq;
    return 0;
}

int cdp_forget_add_file(struct cdp_forget *f, const char *path, struct cdp_error *err)
{
    struct cdp_source *src = cdp_source_open(path, NULL, err);
    if (!src)
        return -1;
    struct cdp_lines *lines = cdp_lines_new(src);
    const char *line;
    size_t len;
    uint64_t number;
    bool nl;
    int k, rc = 0;
    while (rc == 0 && (k = cdp_lines_next(lines, &line, &len, &number, &nl, err)) > 0) {
        cdp_text_trim(&line, &len);
        if (len == 0 || line[0] == '#')
            continue;
        const char *eq = memchr(line, '=', len);
        struct cdp_error why;
        if (!eq) {
            rc = cdp_errorf(err, "%s:%llu: not FIELD=VALUE (email=..., phone=..., card=..., "
                                 "customer_id=..., cdp_id=...)", path, (unsigned long long)number);
            break;
        }
        const char *name = line;
        size_t nlen = (size_t)(eq - line);
        cdp_text_trim(&name, &nlen);
        char *field = cdp_xstrndup(name, nlen);
        if (cdp_forget_add(f, field, eq + 1, (size_t)(line + len - (eq + 1)), &why) < 0)
            rc = cdp_errorf(err, "%s:%llu: %s", path, (unsigned long long)number, why.msg);
        free(field);
    }
    if (rc == 0 && k < 0)
        rc = -1;
    cdp_lines_free(lines);
    return rc;
}

/* ---- 1. finding the persons --------------------------------------------- */

static void found(void *ctx, size_t which, const char *id)
{
    struct cdp_forget *f = ctx;
    cdp_intern_add(f->req[f->lookup[which]].ids, id, strlen(id), NULL);
}

/* The persons an identifier reaches: the ids it was found with that are
 * persons now (the state's nodes carry current ids only; a cdp_id the
 * state knows is one). */
static int check_limit(struct cdp_forget *f, const struct request *r, struct cdp_error *err)
{
    size_t n = cdp_intern_count(r->ids);
    if (n <= f->o.max_persons)
        return 0;
    struct cdp_buf ids = CDP_BUF_INIT, msg = CDP_BUF_INIT;
    for (uint32_t i = 0; i < n && i < 5; i++)
        cdp_buf_printf(&ids, "%s%s", i ? ", " : "", cdp_intern_str(r->ids, i, NULL));
    if (n > 5)
        cdp_buf_adds(&ids, ", ...");
    cdp_errorf(err, "%s '%s' belongs to %zu persons (cdp_id %s), more than the %u allowed: name "
                    "the one who asked by their cdp_id",
               noun(r->field), shown(&msg, r->field, r->value, strlen(r->value), false), n, ids.data,
               f->o.max_persons);
    cdp_buf_release(&ids);
    cdp_buf_release(&msg);
    return -1;
}

/* A file to be written anew (what: "" or "merge state "): 0 when it is a
 * regular file that opens for reading. Opened without blocking, so that a
 * pipe named by mistake is refused rather than waited on. */
static int check_named(const char *path, const char *what, struct cdp_error *err)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return cdp_errorf_errno(err, errno, "cannot open %s'%s'", what, path);
    struct stat st;
    int rc = fstat(fd, &st);
    int e = errno;
    close(fd);
    if (rc < 0)
        return cdp_errorf_errno(err, e, "cannot open %s'%s'", what, path);
    if (!S_ISREG(st.st_mode))
        return cdp_errorf(err, "%s'%s' is not a regular file: each file named is replaced by a new version",
                          what, path);
    return 0;
}

/* Every file to be written anew, before any is read: a name mistyped, a
 * folder or a pipe among the last files named fails the run at once, not
 * after the state and the earlier files were read (and a pipe would not be
 * read twice, as each file is: it hung). */
static int check_files(const struct cdp_forget_options *o, struct cdp_error *err)
{
    for (size_t i = 0; i < o->nrecords; i++)
        if (check_named(o->records[i], "", err) < 0)
            return -1;
    for (size_t i = 0; i < o->nexports; i++)
        if (check_named(o->exports[i], "", err) < 0)
            return -1;
    if (o->links && check_named(o->links, "", err) < 0)
        return -1;
    if (o->merge_state && check_named(o->merge_state, "merge state ", err) < 0)
        return -1;
    for (size_t i = 0; i < o->njournals; i++)
        if (check_named(o->journals[i], "", err) < 0)
            return -1;
    return 0;
}

int cdp_forget_find(struct cdp_forget *f, struct cdp_error *err)
{
    /* Before the lock, which would leave a lock file beside a missing state. */
    if (access(f->o.state, F_OK) != 0)
        return cdp_errorf_errno(err, errno, "cannot open state file '%s'", f->o.state);
    if (check_files(&f->o, err) < 0)
        return -1;
    f->lock = cdp_idstate_new();
    if (cdp_idstate_lock(f->lock, f->o.state, err) < 0)
        return -1;
    if (f->o.merge_state && cdp_store_lock(f->o.merge_state, &f->merge_lock, err) < 0)
        return -1;
    if (f->o.forgotten && !(f->list = cdp_forgetlist_open(f->o.forgotten, err)))
        return -1;
    /* The state is asked for values and for ids apart: lookup[k] is the
     * request the k-th of them (values first) comes from. */
    const char **values = cdp_xcalloc(f->nreq + 1, sizeof *values), **ids = cdp_xcalloc(f->nreq + 1, sizeof *ids);
    size_t nvalues = 0, nids = 0;
    f->lookup = cdp_xcalloc(f->nreq + 1, sizeof *f->lookup);
    for (size_t i = 0; i < f->nreq; i++)
        if (strcmp(f->req[i].field, "cdp_id") != 0) {
            f->lookup[nvalues] = i;
            values[nvalues++] = f->req[i].kv;
        }
    for (size_t i = 0; i < f->nreq; i++)
        if (strcmp(f->req[i].field, "cdp_id") == 0) {
            f->lookup[nvalues + nids] = i;
            ids[nids++] = f->req[i].value;
        }
    int rc = cdp_idstate_find(f->o.state, values, nvalues, ids, nids, found, f, err);
    free(values);
    free(ids);
    for (size_t i = 0; rc == 0 && i < f->nreq; i++) {
        const struct request *r = &f->req[i];
        size_t n = cdp_intern_count(r->ids);
        f->res.unknown += n == 0;
        rc = check_limit(f, r, err);
        for (uint32_t k = 0; rc == 0 && k < n; k++) {
            size_t len;
            const char *id = cdp_intern_str(r->ids, k, &len);
            cdp_intern_add(f->p.ids, id, len, NULL);
        }
    }
    for (size_t i = 0; rc == 0 && i < f->o.njournals && cdp_intern_count(f->p.ids); i++)
        rc = cdp_journal_aliases(f->o.journals[i], f->p.ids, err);
    if (rc == 0)
        rc = cdp_idstate_collect(f->o.state, &f->p, err);
    f->res.persons = f->p.groups;
    f->res.ids = cdp_intern_count(f->p.ids);
    f->res.records = f->p.records;
    return rc;
}

/* ---- 2. writing the files without them ----------------------------------- */

static struct cdp_forget_file *file_entry(struct cdp_forget *f, const char *path, const char *kind)
{
    if (f->res.nfiles == f->files_cap) {
        f->files_cap = f->files_cap ? f->files_cap * 2 : 16;
        f->res.files = cdp_xrealloc(f->res.files, f->files_cap * sizeof *f->res.files);
    }
    struct cdp_forget_file *e = &f->res.files[f->res.nfiles++];
    *e = (struct cdp_forget_file){ path, kind, 0, 0 };
    return e;
}

/* A new version of path, compressed as the file is (zstd by its bytes;
 * gzip by its name, as io/output.h does). */
static struct cdp_output *open_like(const char *path, struct cdp_error *err)
{
    struct cdp_source *s = cdp_source_open(path, NULL, err);
    if (!s)
        return NULL;
    struct cdp_output_options opt = { .zstd = cdp_source_compression(s) == CDP_COMPRESS_ZSTD, .mode = 0600 };
    cdp_source_close(s);
    return cdp_output_open(path, &opt, err);
}

/* Adds a staged file to those replaced, or drops it when nothing of the
 * persons was in it (the file stays as it is). */
static int keep_if_changed(struct cdp_forget *f, struct cdp_output *o, const struct cdp_forget_file *e,
                           const struct cdp_reread_seen *was, struct cdp_error *err)
{
    if (e->removed == 0) {
        cdp_output_abort(o);
        return 0;
    }
    return cdp_replace_add_unless_changed(f->replace, o, was, err);
}

/* What removes them: the entries of the forget list (their ids, their
 * person records, their identifiers nobody else holds, and the request's
 * own), and the contacts export files may hold. */
static void add_entry(struct cdp_forget *f, const char *field, const char *value, size_t len)
{
    cdp_forgetlist_add(f->match, field, value, len);
    if (f->list && cdp_forgetlist_add(f->list, field, value, len))
        f->res.listed++;
    if (strcmp(field, "email") == 0)
        cdp_delta_forget_email(f->rows, value, len);
    else if (strcmp(field, "phone") == 0)
        cdp_delta_forget_phone(f->rows, value, len);
    else if (strcmp(field, "cdp_id") == 0)
        cdp_delta_forget_id(f->rows, value, len);
}

static void build_matchers(struct cdp_forget *f)
{
    f->match = cdp_forgetlist_new();
    f->rows = cdp_delta_forget_new();
    for (uint32_t i = 0; i < cdp_intern_count(f->p.ids); i++) {
        size_t len;
        const char *id = cdp_intern_str(f->p.ids, i, &len);
        add_entry(f, "cdp_id", id, len);
    }
    for (uint32_t i = 0; i < cdp_intern_count(f->p.persons); i++) {
        size_t len;
        const char *sr = cdp_intern_str(f->p.persons, i, &len);
        const char *sep = memchr(sr, '\x1F', len);
        size_t slen = (size_t)(sep - sr);
        cdp_forgetlist_add_record(f->match, sr, slen, sep + 1, len - slen - 1);
        if (f->list && cdp_forgetlist_add_record(f->list, sr, slen, sep + 1, len - slen - 1))
            f->res.listed++;
    }
    for (uint32_t i = 0; i < cdp_intern_count(f->p.values); i++) {
        size_t len;
        const char *kv = cdp_intern_str(f->p.values, i, &len);
        const char *sep = memchr(kv, '\x1F', len);
        size_t klen = (size_t)(sep - kv), vlen = len - klen - 1;
        bool blocked = f->o.blocks && cdp_keyset_blocked(f->o.blocks, sep + 1, vlen);
        if (f->p.shared[i] || blocked) {
            f->res.shared++;
            continue;
        }
        char *key = cdp_xstrndup(kv, klen);
        if (cdp_forgetlist_field(key, klen))
            add_entry(f, key, sep + 1, vlen);
        free(key);
    }
    for (size_t i = 0; i < f->nreq; i++)
        add_entry(f, f->req[i].field, f->req[i].value, strlen(f->req[i].value));
    f->res.list_size = f->list ? cdp_forgetlist_count(f->list) : 0;
}

/* The kinds of file, each through the module that owns its format. */
enum kind { RECORDS, EXPORT, LINKS, JOURNAL, MERGE_STATE };

/* One file to write without them, on a worker thread. The modules read the
 * matchers and f->p only (their headers' const), so files are written
 * several at a time: at 100k persons with two requests cdp-forget took
 * 7.5-9.1 s over its 36 files one after another, most of it parsing the
 * records, with the second CPU idle half of the time. */
struct stage_job {
    const struct cdp_forget *f;
    atomic_bool *failed;       /* some job failed: workers start no more */
    const char *path;
    enum kind kind;
    struct cdp_forget_file *e; /* its counts */
    struct cdp_output *o;      /* the new version; NULL when not made */
    struct cdp_reread_seen was; /* the file as it was before it was read */
    bool skipped;              /* not started: a job failed meanwhile */
    int rc;                    /* -1: failed, with err */
    struct cdp_error err;
};

static void stage_one(struct stage_job *j)
{
    const struct cdp_forget *f = j->f;
    struct cdp_forget_file *e = j->e;
    j->skipped = false;
    /* Noted before it is read: a program writing it meanwhile (by hand,
     * beside the night) makes the commit replace nothing, not lose what
     * that program wrote. */
    struct stat st;
    if (stat(j->path, &st) == 0)
        cdp_reread_note(&j->was, &st);
    j->o = j->kind == MERGE_STATE ? cdp_output_open(j->path, &cdp_store_output_options, &j->err)
                                  : open_like(j->path, &j->err);
    int rc = j->o ? 0 : -1;
    if (rc == 0) {
        struct cdp_forget_check *c = j->kind == RECORDS ? cdp_forget_check_new(f->match) : NULL;
        switch (j->kind) {
        case RECORDS: rc = cdp_forget_check_file(c, j->path, j->o, &e->kept, &e->removed, &j->err); break;
        case EXPORT: rc = cdp_delta_forget_file(f->rows, j->path, j->o, &e->kept, &e->removed, &j->err); break;
        case LINKS: rc = cdp_linker_forget_links(j->path, &f->p, j->o, &e->kept, &e->removed, &j->err); break;
        case MERGE_STATE: rc = cdp_store_forget(j->path, f->p.ids, j->o, &e->kept, &e->removed, &j->err); break;
        default: rc = cdp_journal_forget(j->path, f->p.ids, j->o, &e->kept, &e->removed, &j->err); break;
        }
        cdp_forget_check_free(c);
    }
    if (rc < 0) {
        cdp_output_abort(j->o);
        j->o = NULL;
        j->rc = -1;
        atomic_store(j->failed, true);
    }
}

/* On a worker: a job that finds another failed is left for the caller,
 * which runs it only if no file before it failed. */
static void stage_file(void *unused, void *arg)
{
    struct stage_job *j = arg;
    (void)unused;
    if (atomic_load(j->failed))
        j->skipped = true;
    else
        stage_one(j);
}

/* Writing the files: base/pipeline.h keeps at most 2 * workers + 2 of them in
 * flight (each has its reading thread and zstd's workers besides, its
 * buffers and its new version on disk) and hands them back in the order
 * submitted. */
#define STAGE_WORKERS_MAX 4

struct staging {
    struct cdp_forget *f;
    atomic_bool failed; /* some file failed: workers start no more */
    int rc;             /* -1 once a failure is taken back, with err */
    struct cdp_error err;
};

static void *job_new(void *owner)
{
    (void)owner;
    return cdp_xcalloc(1, sizeof(struct stage_job));
}

static void job_free(void *owner, void *job)
{
    (void)owner;
    free(job);
}

/* On the calling thread, in the order named: a file a worker skipped is
 * written now if every file before it was; the first failure is kept;
 * changed files are staged. */
static void job_done(void *owner, void *arg)
{
    struct staging *s = owner;
    struct stage_job *j = arg;
    if (s->rc == 0 && j->skipped)
        stage_one(j);
    if (s->rc == 0 && j->rc < 0) {
        s->err = j->err;
        s->rc = -1;
    } else if (s->rc == 0 && j->o) {
        s->rc = keep_if_changed(s->f, j->o, j->e, &j->was, &s->err); /* takes j->o */
        if (s->rc < 0)
            atomic_store(&s->failed, true);
    } else {
        cdp_output_abort(j->o);
    }
    j->o = NULL;
}

static const struct cdp_pipeline_ops stage_ops = { job_new, job_free, stage_file, job_done, 0 };

/* Writes the files in the order named, several at a time, and stages the
 * changed ones in that order. The error is that of the first file in that
 * order that fails, as if they were written one after another: they are
 * taken back in that order, a file a worker skipped (another had failed)
 * is written then by the caller, and none is submitted after an error is
 * taken. */
static int stage_files(struct cdp_forget *f, struct cdp_error *err)
{
    static const char *const names[] = { "records", "export", "links", "journal", "merge state" };
    size_t njobs = f->o.nrecords + f->o.nexports + (f->o.links != NULL) + (f->o.merge_state != NULL) +
                   f->o.njournals;
    if (njobs == 0)
        return 0;
    struct staging s = { .f = f };
    struct stage_job *jobs = cdp_xcalloc(njobs, sizeof *jobs);
    size_t n = 0;
#define JOB(p, k) (jobs[n++] = (struct stage_job){ .f = f, .failed = &s.failed, .path = (p), .kind = (k) })
    for (size_t i = 0; i < f->o.nrecords; i++)
        JOB(f->o.records[i], RECORDS);
    for (size_t i = 0; i < f->o.nexports; i++)
        JOB(f->o.exports[i], EXPORT);
    if (f->o.links)
        JOB(f->o.links, LINKS);
    if (f->o.merge_state)
        JOB(f->o.merge_state, MERGE_STATE);
    for (size_t i = 0; i < f->o.njournals; i++)
        JOB(f->o.journals[i], JOURNAL);
#undef JOB
    size_t first = f->res.nfiles; /* the entries after all are made: realloc moves them */
    for (size_t i = 0; i < njobs; i++)
        file_entry(f, jobs[i].path, names[jobs[i].kind]);
    for (size_t i = 0; i < njobs; i++)
        jobs[i].e = &f->res.files[first + i];

    size_t nworkers = cdp_cpu_count();
    nworkers = nworkers < 2 ? 0 : nworkers > STAGE_WORKERS_MAX ? STAGE_WORKERS_MAX : nworkers;
    if (nworkers > njobs)
        nworkers = njobs;
    void *ctx[STAGE_WORKERS_MAX] = { 0 };
    struct cdp_pipeline *pl = cdp_pipeline_new(&stage_ops, &s, nworkers, ctx, err);
    if (!pl && nworkers)
        pl = cdp_pipeline_new(&stage_ops, &s, 0, ctx, err); /* no threads: one after another */
    if (!pl) {
        free(jobs);
        return -1;
    }
    for (size_t i = 0; i < njobs && s.rc == 0; i++) {
        struct stage_job *j = cdp_pipeline_batch(pl); /* may take back a failure */
        if (s.rc < 0) {
            cdp_pipeline_unused(pl, j);
            break;
        }
        *j = jobs[i];
        cdp_pipeline_submit(pl, j);
    }
    cdp_pipeline_drain(pl);
    cdp_pipeline_free(pl);
    free(jobs);
    if (s.rc < 0)
        *err = s.err;
    return s.rc;
}

int cdp_forget_stage(struct cdp_forget *f, struct cdp_error *err)
{
    /* The state first: it says which of their identifiers others hold. */
    if (!(f->state_out = cdp_output_open(f->o.state, &cdp_idstate_output_options, err)) ||
        cdp_idstate_stage_without(f->o.state, &f->p, f->state_out, err) < 0)
        return -1;
    build_matchers(f);
    if (f->list && f->res.listed) {
        struct cdp_forget_file *e = file_entry(f, f->o.forgotten, "forget list");
        e->kept = cdp_forgetlist_count(f->list) - f->res.listed;
        e->removed = f->res.listed; /* "removed" from the nightly run: added here */
        if (cdp_forgetlist_stage(f->list, f->o.forgotten, f->replace, err) < 0)
            return -1;
    }
    if (stage_files(f, err) < 0)
        return -1;
    /* The state last (added by cdp_forget_commit, after the caller's
     * --stats): while it is old, running again finds them again. */
    struct cdp_forget_file *e = file_entry(f, f->o.state, "state");
    e->removed = f->p.nodes_removed + f->p.ids_removed;
    if (e->removed == 0) {
        cdp_output_abort(f->state_out); /* unchanged: left as it is */
        f->state_out = NULL;
    }
    return 0;
}

/* ---- 3. replacing them -------------------------------------------------- */

int cdp_forget_commit(struct cdp_forget *f, struct cdp_output *stats, struct cdp_error *err)
{
    struct cdp_output *state = f->state_out;
    f->state_out = NULL;
    if (f->o.dry_run) {
        cdp_output_abort(state);
        cdp_replace_free(f->replace); /* discards every staged file */
        f->replace = cdp_replace_new();
        state = NULL;
    }
    if (stats && cdp_replace_add(f->replace, stats, err) < 0) {
        cdp_output_abort(state);
        return -1;
    }
    if (state && cdp_replace_add(f->replace, state, err) < 0)
        return -1;
    return cdp_replace_commit(f->replace, err);
}
