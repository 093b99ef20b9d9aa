#include "identity/edges.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/intern.h"
#include "io/json.h"
#include "io/lines.h"
#include "io/runfile.h"
#include "io/source.h"

/* ---- the edges file ------------------------------------------------------ */

void cdp_edges_header(struct cdp_buf *b, const struct cdp_keyset *keys, const char *const *conflicts,
                      size_t nconflicts)
{
    cdp_buf_adds(b, "{\"cdp_edges\":1,\"keys\":[");
    for (size_t k = 0; k < cdp_keyset_count(keys); k++) {
        const char *name = cdp_keyset_get(keys, k)->name;
        if (k)
            cdp_buf_addc(b, ',');
        cdp_json_add_string(b, name, strlen(name));
    }
    cdp_buf_adds(b, "],\"conflicts\":[");
    for (size_t c = 0; c < nconflicts; c++) {
        if (c)
            cdp_buf_addc(b, ',');
        cdp_json_add_string(b, conflicts[c], strlen(conflicts[c]));
    }
    cdp_buf_adds(b, "]}\n");
}

void cdp_edges_item(struct cdp_buf *b, const struct cdp_graph_items *items, size_t i, size_t nconflicts)
{
    const struct cdp_graph_item *it = &items->v[i];
    const char *text = items->text.data;
    cdp_buf_adds(b, "{\"s\":");
    cdp_json_add_string(b, text + it->source_off, it->source_len);
    cdp_buf_adds(b, ",\"r\":");
    cdp_json_add_string(b, text + it->rid_off, it->rid_len);
    cdp_buf_adds(b, it->person ? ",\"p\":1" : ",\"p\":0");
    if (it->had_id)
        cdp_buf_adds(b, ",\"h\":1");
    /* A device row's time: cdp_linker_attribute orders a shared device's
     * events by it. */
    if (it->device)
        cdp_buf_adds(b, ",\"d\":1");
    if (it->device && it->ts != CDP_NO_TIME)
        cdp_buf_printf(b, ",\"t\":%lld", (long long)it->ts);
    for (uint32_t j = 0; j < it->nvalues; j++) {
        const struct cdp_graph_value *v = &items->values[it->first_value + j];
        cdp_buf_printf(b, ",\"k%u\":", v->key);
        cdp_json_add_string(b, text + v->off + 1, v->len - 1);
    }
    for (size_t c = 0; c < nconflicts; c++) {
        uint64_t off = items->conf[it->first_conf + c];
        if (!off)
            continue;
        cdp_buf_printf(b, ",\"c%zu\":", c);
        cdp_json_add_string(b, text + off - 1, items->conf_len[it->first_conf + c]);
    }
    cdp_buf_adds(b, "}\n");
}

void cdp_edges_row(struct cdp_buf *b, enum cdp_edges_row kind)
{
    cdp_buf_adds(b, kind == CDP_EDGES_BAD ? "{\"bad\":1}\n" : "{\"forgotten\":1}\n");
}

void cdp_edges_end(struct cdp_buf *b, uint64_t rows)
{
    cdp_buf_printf(b, "{\"end\":1,\"rows\":%llu}\n", (unsigned long long)rows);
}

struct cdp_edges_reader {
    struct cdp_runfile *rf;
    char *path;
    struct cdp_record rec;
    size_t nkeys, nconf;
    char (*knames)[24], (*cnames)[24];
    uint64_t rows;
    bool ended;
};

void cdp_edges_close(struct cdp_edges_reader *r)
{
    if (!r)
        return;
    cdp_runfile_close(r->rf);
    cdp_record_release(&r->rec);
    free(r->path);
    free(r->knames);
    free(r->cnames);
    free(r);
}

const char *cdp_edges_path(const struct cdp_edges_reader *r)
{
    return r->path;
}


static void add_name(void *ctx, const char *s, size_t len)
{
    struct cdp_buf *b = ctx;
    cdp_buf_add(b, s, len);
    cdp_buf_addc(b, '\n');
}

/* The names of a header's array member, one a line, into out. */
static bool header_names(const struct cdp_record *rec, const char *member, struct cdp_buf *out)
{
    const struct cdp_field *f = cdp_record_gets(rec, member);
    if (!f || f->type != CDP_ARRAY)
        return false;
    struct cdp_json_parser *json = cdp_json_parser_new();
    long n = cdp_json_each_string(json, f->val, f->vlen, add_name, out);
    cdp_json_parser_free(json);
    return n >= 0;
}

/* Checks the header against this run's keys and conflict fields. */
static int check_header(struct cdp_edges_reader *r, const struct cdp_keyset *keys,
                        const char *const *conflicts, size_t nconflicts, struct cdp_error *err)
{
    int k = cdp_runfile_next(r->rf, &r->rec, err);
    if (k < 0)
        return -1;
    struct cdp_buf have_keys = CDP_BUF_INIT, have_conf = CDP_BUF_INIT, want = CDP_BUF_INIT;
    int status = 0;
    if (k == 0 || !cdp_record_gets(&r->rec, "cdp_edges") || !header_names(&r->rec, "keys", &have_keys) ||
        !header_names(&r->rec, "conflicts", &have_conf)) {
        status = cdp_errorf(err, "%s: not a cdp-dedupe edges file", r->path);
        goto out;
    }
    for (size_t i = 0; i < cdp_keyset_count(keys); i++)
        add_name(&want, cdp_keyset_get(keys, i)->name, strlen(cdp_keyset_get(keys, i)->name));
    if (have_keys.len != want.len || memcmp(have_keys.data, want.data, want.len) != 0) {
        status = cdp_errorf(err, "%s: made with other keys (--key) than this run's", r->path);
        goto out;
    }
    cdp_buf_reset(&want);
    for (size_t c = 0; c < nconflicts; c++)
        add_name(&want, conflicts[c], strlen(conflicts[c]));
    if (have_conf.len != want.len || (want.len && memcmp(have_conf.data, want.data, want.len) != 0))
        status = cdp_errorf(err, "%s: made with other conflict fields (--conflict) than this run's", r->path);
out:
    cdp_buf_release(&have_keys);
    cdp_buf_release(&have_conf);
    cdp_buf_release(&want);
    return status;
}

struct cdp_edges_reader *cdp_edges_open(const char *path, const struct cdp_keyset *keys,
                                        const char *const *conflicts, size_t nconflicts,
                                        struct cdp_error *err)
{
    struct cdp_runfile *rf = cdp_runfile_open(path, "edges", false, err);
    if (!rf)
        return NULL;
    struct cdp_edges_reader *r = cdp_xcalloc(1, sizeof *r);
    r->rf = rf;
    r->path = cdp_xstrdup(path);
    r->rec = (struct cdp_record)CDP_RECORD_INIT;
    r->nkeys = cdp_keyset_count(keys);
    r->nconf = nconflicts;
    r->knames = cdp_xcalloc(r->nkeys + 1, sizeof *r->knames);
    r->cnames = cdp_xcalloc(r->nconf + 1, sizeof *r->cnames);
    for (size_t k = 0; k < r->nkeys; k++)
        snprintf(r->knames[k], sizeof r->knames[k], "k%zu", k);
    for (size_t c = 0; c < r->nconf; c++)
        snprintf(r->cnames[c], sizeof r->cnames[c], "c%zu", c);
    if (check_header(r, keys, conflicts, nconflicts, err) < 0) {
        cdp_edges_close(r);
        return NULL;
    }
    return r;
}

static void text_add(struct cdp_graph_items *items, const char *s, size_t n, uint64_t *off)
{
    *off = items->text.len;
    cdp_buf_add(&items->text, s, n);
    cdp_buf_addc(&items->text, '\0');
}

static const struct cdp_field *string_member(const struct cdp_record *rec, const char *name)
{
    const struct cdp_field *f = cdp_record_gets(rec, name);
    return f && f->type == CDP_STRING ? f : NULL;
}

/* A record line into items, as cdp_graph_extract would have put it. */
static int read_item(struct cdp_edges_reader *r, struct cdp_graph_items *items, struct cdp_error *err)
{
    const struct cdp_record *rec = &r->rec;
    const struct cdp_field *s = string_member(rec, "s"), *rid = string_member(rec, "r"),
                           *p = cdp_record_gets(rec, "p");
    if (!s || !rid || !p)
        return cdp_runfile_damaged(r->rf, err, "damaged edges line: no s, r or p");
    cdp_graph_items_clear(items);
    if (items->cap == 0) {
        items->cap = 1;
        items->v = cdp_xrealloc(items->v, sizeof *items->v);
    }
    struct cdp_graph_item *it = &items->v[items->n++];
    memset(it, 0, sizeof *it);
    it->person = p->vlen == 1 && p->val[0] == '1';
    it->had_id = cdp_record_gets(rec, "h") != NULL;
    it->device = cdp_record_gets(rec, "d") != NULL;
    it->ts = CDP_NO_TIME;
    const struct cdp_field *t = cdp_record_gets(rec, "t");
    if (t) {
        char num[32], *end;
        if (t->vlen == 0 || t->vlen >= sizeof num)
            return cdp_runfile_damaged(r->rf, err, "damaged edges line: t is not a time");
        memcpy(num, t->val, t->vlen);
        num[t->vlen] = 0;
        errno = 0;
        long long ms = strtoll(num, &end, 10);
        if (*end || errno)
            return cdp_runfile_damaged(r->rf, err, "damaged edges line: t is not a time");
        it->ts = ms;
    }
    text_add(items, s->val, s->vlen, &it->source_off);
    it->source_len = s->vlen;
    text_add(items, rid->val, rid->vlen, &it->rid_off);
    it->rid_len = rid->vlen;
    for (size_t k = 0; k < r->nkeys; k++) {
        const struct cdp_field *f = string_member(rec, r->knames[k]);
        if (!f)
            continue;
        if (items->nvalues == items->values_cap) {
            items->values_cap = items->values_cap ? items->values_cap * 2 : 64;
            items->values = cdp_xrealloc(items->values, items->values_cap * sizeof *items->values);
        }
        struct cdp_graph_value *v = &items->values[items->nvalues++];
        v->off = items->text.len;
        cdp_buf_addc(&items->text, (char)(k + 1));
        cdp_buf_add(&items->text, f->val, f->vlen);
        v->len = (uint32_t)(items->text.len - v->off);
        v->key = (uint32_t)k;
        v->hash = cdp_intern_hash(items->text.data + v->off, v->len);
        it->nvalues++;
    }
    if (items->conf_cap < r->nconf + 1) {
        items->conf_cap = r->nconf + 1;
        items->conf = cdp_xrealloc(items->conf, items->conf_cap * sizeof *items->conf);
        items->conf_len = cdp_xrealloc(items->conf_len, items->conf_cap * sizeof *items->conf_len);
    }
    for (size_t c = 0; c < r->nconf; c++) {
        const struct cdp_field *f = string_member(rec, r->cnames[c]);
        items->conf[c] = 0;
        items->conf_len[c] = 0;
        if (f) {
            uint64_t off;
            text_add(items, f->val, f->vlen, &off);
            items->conf[c] = off + 1;
            items->conf_len[c] = f->vlen;
        }
    }
    items->nconf = r->nconf;
    return 0;
}

int cdp_edges_next(struct cdp_edges_reader *r, struct cdp_graph_items *items, enum cdp_edges_row *kind,
                   struct cdp_error *err)
{
    if (r->ended)
        return 0;
    int k = cdp_runfile_next(r->rf, &r->rec, err);
    if (k < 0)
        return -1;
    if (k == 0)
        return cdp_errorf(err, "%s: cut short (no end line)", r->path);
    if (cdp_record_gets(&r->rec, "end")) {
        const struct cdp_field *n = cdp_record_gets(&r->rec, "rows");
        char want[24];
        int len = snprintf(want, sizeof want, "%llu", (unsigned long long)r->rows);
        if (!n || n->type != CDP_NUMBER || n->vlen != (uint32_t)len || memcmp(n->val, want, (size_t)len) != 0)
            return cdp_runfile_damaged(r->rf, err, "damaged edges file: the end line miscounts the rows");
        r->ended = true;
        return 0;
    }
    r->rows++;
    if (cdp_record_gets(&r->rec, "bad")) {
        *kind = CDP_EDGES_BAD;
        return 1;
    }
    if (cdp_record_gets(&r->rec, "forgotten")) {
        *kind = CDP_EDGES_FORGOTTEN;
        return 1;
    }
    *kind = CDP_EDGES_RECORD;
    return read_item(r, items, err) < 0 ? -1 : 1;
}

/* ---- the ids file -------------------------------------------------------- */

void cdp_ids_header(struct cdp_buf *b, uint64_t rows)
{
    cdp_buf_printf(b, "cdp-dedupe ids %llu\n", (unsigned long long)rows);
}

void cdp_ids_line(struct cdp_buf *b, enum cdp_edges_row kind, bool had_id, const char *id)
{
    if (kind == CDP_EDGES_BAD) {
        cdp_buf_adds(b, "!\n");
    } else if (kind == CDP_EDGES_FORGOTTEN) {
        cdp_buf_adds(b, "x\n");
    } else {
        cdp_buf_addc(b, had_id ? '^' : '=');
        if (id)
            cdp_buf_adds(b, id);
        cdp_buf_addc(b, '\n');
    }
}

struct cdp_ids_reader {
    struct cdp_lines *lines;
    char *path;
    uint64_t rows, read;
    char id[32];
};

void cdp_ids_close(struct cdp_ids_reader *r)
{
    if (!r)
        return;
    cdp_lines_free(r->lines);
    free(r->path);
    free(r);
}

struct cdp_ids_reader *cdp_ids_open(const char *path, struct cdp_error *err)
{
    uint64_t rows;
    struct cdp_lines *lines = cdp_lines_open_headed(path, "cdp-dedupe ids", 0, UINT64_MAX, &rows, err);
    if (!lines)
        return NULL;
    struct cdp_ids_reader *r = cdp_xcalloc(1, sizeof *r);
    r->lines = lines;
    r->path = cdp_xstrdup(path);
    r->rows = rows;
    return r;
}

uint64_t cdp_ids_rows(const struct cdp_ids_reader *r)
{
    return r->rows;
}

int cdp_ids_next(struct cdp_ids_reader *r, enum cdp_edges_row *kind, bool *had_id, const char **id,
                 struct cdp_error *err)
{
    const char *line;
    size_t len;
    uint64_t number;
    bool nl;
    int k = cdp_lines_next(r->lines, &line, &len, &number, &nl, err);
    if (k < 0)
        return -1;
    if (k == 0) {
        if (r->read != r->rows)
            return cdp_errorf(err, "%s: cut short (%llu of %llu rows)", r->path, (unsigned long long)r->read,
                              (unsigned long long)r->rows);
        return 0;
    }
    if (++r->read > r->rows)
        return cdp_errorf(err, "%s:%llu: more rows than its header says", r->path, (unsigned long long)number);
    *had_id = false;
    *id = NULL;
    if (len == 1 && line[0] == '!') {
        *kind = CDP_EDGES_BAD;
    } else if (len == 1 && line[0] == 'x') {
        *kind = CDP_EDGES_FORGOTTEN;
    } else if (len >= 1 && (line[0] == '=' || line[0] == '^') && len - 1 < sizeof r->id) {
        *kind = CDP_EDGES_RECORD;
        *had_id = line[0] == '^';
        if (len > 1) {
            memcpy(r->id, line + 1, len - 1);
            r->id[len - 1] = '\0';
            *id = r->id;
        }
    } else {
        return cdp_errorf(err, "%s:%llu: damaged ids line", r->path, (unsigned long long)number);
    }
    return 1;
}
