#include "identity/journal.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "io/json.h"
#include "io/output.h"
#include "io/runfile.h"
#include "norm/show.h"

void cdp_journal_format(struct cdp_buf *b, uint64_t run, const struct cdp_journal_entry *e)
{
    /* from, to and reason are escaped too: ours are hex ids and plain words,
     * but a journal read back (cdp-forget, the fuzz harness) may hold any
     * text, and a line written must read again. */
    cdp_buf_printf(b, "{\"run\":%llu,\"from\":", (unsigned long long)run);
    cdp_json_add_string(b, e->from, strlen(e->from));
    cdp_buf_adds(b, ",\"to\":");
    cdp_json_add_string(b, e->to, strlen(e->to));
    cdp_buf_adds(b, ",\"reason\":");
    cdp_json_add_string(b, e->reason, strlen(e->reason));
    if (e->key) {
        cdp_buf_adds(b, ",\"key\":");
        cdp_json_add_string(b, e->key, strlen(e->key));
        cdp_buf_adds(b, ",\"value\":");
        cdp_json_add_string(b, e->value, strlen(e->value));
    }
    cdp_buf_adds(b, "}\n");
}

void cdp_journal_format_shown(struct cdp_buf *b, uint64_t run, const struct cdp_journal_entry *e,
                              bool clear)
{
    if (clear || !e->key || !e->value || !*e->value) { /* a model's link has no value */
        cdp_journal_format(b, run, e);
        return;
    }
    struct cdp_buf shown = CDP_BUF_INIT;
    cdp_show_value(&shown, e->value, strlen(e->value), cdp_show_kind_of(e->key), false);
    struct cdp_journal_entry masked = *e;
    masked.value = shown.data;
    cdp_journal_format(b, run, &masked);
    cdp_buf_release(&shown);
}

int cdp_journal_append(const char *path, const char *lines, size_t len, struct cdp_error *err)
{
    struct cdp_output *o = cdp_journal_append_output(path, lines, len, err);
    return o ? cdp_output_commit(o, err) : -1;
}

struct cdp_output *cdp_journal_append_output(const char *path, const char *lines, size_t len,
                                             struct cdp_error *err)
{
    struct cdp_output *o = cdp_output_open_rewrite(path, NULL, err);
    if (!o)
        return NULL;
    cdp_output_write(o, lines ? lines : "", len);
    return o;
}

/* A string member as a C string (copied: record values need not end in
 * NUL), or NULL when it is missing or not a string. */
static const char *string_member(struct cdp_record *rec, const char *key)
{
    const struct cdp_field *f = cdp_record_gets(rec, key);
    return f && f->type == CDP_STRING ? cdp_record_strdup(rec, f->val, f->vlen) : NULL;
}

/* The run of a line: the number's digits (cdp-dedupe writes a count). */
static uint64_t run_number(const struct cdp_field *run)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < run->vlen && run->val[i] >= '0' && run->val[i] <= '9'; i++)
        n = n * 10 + (uint64_t)(run->val[i] - '0');
    return n;
}

int cdp_journal_read_runs(const char *path, cdp_journal_run_fn fn, void *ctx, struct cdp_error *err)
{
    struct cdp_runfile *rf = cdp_runfile_open(path, "journal", false, err);
    if (!rf)
        return -1;
    struct cdp_record rec = CDP_RECORD_INIT;
    int k;
    while ((k = cdp_runfile_next(rf, &rec, err)) > 0) {
        const struct cdp_field *run = cdp_record_gets(&rec, "run");
        struct cdp_journal_entry e = {
            .from = string_member(&rec, "from"),
            .to = string_member(&rec, "to"),
            .reason = string_member(&rec, "reason"),
            .key = string_member(&rec, "key"),
            .value = string_member(&rec, "value"),
        };
        if (!e.from || !e.to || !e.reason || (run && run->type != CDP_NUMBER)) {
            k = cdp_runfile_damaged(rf, err, "not a cdp-dedupe journal line");
            break;
        }
        if (fn(ctx, run ? run_number(run) : 0, &e, err) < 0) {
            k = -1;
            break;
        }
    }
    cdp_record_release(&rec);
    cdp_runfile_close(rf);
    return k < 0 ? -1 : 0;
}

struct plain_reader {
    cdp_journal_read_fn fn;
    void *ctx;
};

static int without_run(void *ctx, uint64_t run, const struct cdp_journal_entry *e, struct cdp_error *err)
{
    (void)run;
    struct plain_reader *r = ctx;
    return r->fn(r->ctx, e, err);
}

int cdp_journal_read(const char *path, cdp_journal_read_fn fn, void *ctx, struct cdp_error *err)
{
    struct plain_reader r = { fn, ctx };
    return cdp_journal_read_runs(path, without_run, &r, err);
}

/* ---- erasure (cdp-forget) ------------------------------------------------ */

struct merges {
    char **from, **to;
    size_t n, cap;
};

static int collect_merge(void *ctx, const struct cdp_journal_entry *e, struct cdp_error *err)
{
    struct merges *m = ctx;
    (void)err;
    if (strcmp(e->reason, "merged") != 0)
        return 0;
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->from = cdp_xrealloc(m->from, m->cap * sizeof *m->from);
        m->to = cdp_xrealloc(m->to, m->cap * sizeof *m->to);
    }
    m->from[m->n] = cdp_xstrdup(e->from);
    m->to[m->n++] = cdp_xstrdup(e->to);
    return 0;
}

static bool has(const struct cdp_intern *ids, const char *id)
{
    return cdp_intern_find(ids, id, strlen(id)) != UINT32_MAX;
}

int cdp_journal_aliases(const char *path, struct cdp_intern *ids, struct cdp_error *err)
{
    struct merges m = { NULL, NULL, 0, 0 };
    int rc = cdp_journal_read(path, collect_merge, &m, err);
    /* Until nothing is added: a journal holds few merges a person. */
    for (bool added = rc == 0; added;) {
        added = false;
        for (size_t i = 0; i < m.n; i++)
            if (has(ids, m.from[i]) != has(ids, m.to[i])) {
                const char *other = has(ids, m.from[i]) ? m.to[i] : m.from[i];
                cdp_intern_add(ids, other, strlen(other), NULL);
                added = true;
            }
    }
    for (size_t i = 0; i < m.n; i++) {
        free(m.from[i]);
        free(m.to[i]);
    }
    free(m.from);
    free(m.to);
    return rc;
}

static int journal_drop(void *ids, const struct cdp_runfile *rf, struct cdp_record *rec,
                        struct cdp_error *err)
{
    const char *from = string_member(rec, "from"), *to = string_member(rec, "to");
    if (!from || !to || !string_member(rec, "reason"))
        return cdp_runfile_damaged(rf, err, "not a cdp-dedupe journal line");
    return has(ids, from) || has(ids, to);
}

int cdp_journal_forget(const char *path, const struct cdp_intern *ids, struct cdp_output *out,
                       uint64_t *kept, uint64_t *removed, struct cdp_error *err)
{
    return cdp_runfile_filter(path, "journal", out, journal_drop, (void *)ids, kept, removed, err);
}
