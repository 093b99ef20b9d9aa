#include "identity/idstate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "base/buf.h"
#include "base/hash.h"
#include "base/intern.h"
#include "io/json.h"
#include "io/output.h"
#include "io/reader.h"
#include "io/statelock.h"

#define STATE_FORMAT "cdp-dedupe-state"
#define STATE_VERSION 1

struct cdp_idstate {
    int lock_fd;
    uint64_t run;
    struct cdp_intern *ids; /* every id known: from the state, and new */
    uint64_t *born;         /* per id: the run that created it (0: unknown yet) */
    size_t born_cap;
    uint32_t *group_id;     /* per group: id */
    size_t ngroups;
    struct cdp_forget_check *forget; /* nodes left out at load, or NULL */
    uint64_t forgotten;
};

struct cdp_idstate *cdp_idstate_new(void)
{
    struct cdp_idstate *st = cdp_xcalloc(1, sizeof *st);
    st->lock_fd = -1;
    st->run = 1;
    st->ids = cdp_intern_new();
    return st;
}

void cdp_idstate_free(struct cdp_idstate *st)
{
    if (!st)
        return;
    if (st->lock_fd >= 0)
        close(st->lock_fd); /* releases the lock */
    cdp_intern_free(st->ids);
    free(st->born);
    free(st->group_id);
    cdp_forget_check_free(st->forget);
    free(st);
}

void cdp_idstate_forget(struct cdp_idstate *st, const struct cdp_forgetlist *l)
{
    cdp_forget_check_free(st->forget);
    st->forget = l && cdp_forgetlist_count(l) ? cdp_forget_check_new(l) : NULL;
}

uint64_t cdp_idstate_forgotten(const struct cdp_idstate *st)
{
    return st->forgotten;
}

/* Whether a saved node is a forgotten person's: by its id, its record (a
 * person's), or one of its values "KEY\x1FVALUE" of a key the list keys. */
static bool node_forgotten(struct cdp_forget_check *c, const char *id, size_t idlen, bool person,
                           const struct cdp_field *s, const struct cdp_field *r, char **vals, size_t nv)
{
    if (cdp_forget_check_value(c, "cdp_id", id, idlen) ||
        (person && cdp_forget_check_record_id(c, s->val, s->vlen, r->val, r->vlen)))
        return true;
    for (size_t i = 0; i < nv; i++) {
        const char *sep = strchr(vals[i], '\x1F');
        if (sep && cdp_forgetlist_field(vals[i], (size_t)(sep - vals[i])) &&
            !strchr(sep + 1, '\x1F')) {
            char key[32];
            size_t klen = (size_t)(sep - vals[i]);
            if (klen < sizeof key) {
                memcpy(key, vals[i], klen);
                key[klen] = '\0';
                if (cdp_forget_check_value(c, key, sep + 1, strlen(sep + 1)))
                    return true;
            }
        }
    }
    return false;
}

int cdp_idstate_lock(struct cdp_idstate *st, const char *path, struct cdp_error *err)
{
    st->lock_fd = cdp_state_lock(path, err);
    return st->lock_fd < 0 ? -1 : 0;
}

static uint32_t id_index(struct cdp_idstate *st, const char *id, size_t len)
{
    uint32_t i = cdp_intern_add(st->ids, id, len, NULL);
    if (i >= st->born_cap) {
        size_t cap = st->born_cap ? st->born_cap * 2 : 1024;
        while (cap <= i)
            cap *= 2;
        st->born = cdp_xrealloc(st->born, cap * sizeof *st->born);
        memset(st->born + st->born_cap, 0, (cap - st->born_cap) * sizeof *st->born);
        st->born_cap = cap;
    }
    return i;
}

static const struct cdp_field *get(const struct cdp_record *r, const char *key, enum cdp_type t)
{
    const struct cdp_field *f = cdp_record_gets(r, key);
    return f && f->type == t ? f : NULL;
}

static uint64_t get_u64(const struct cdp_record *r, const char *key, bool *ok)
{
    const struct cdp_field *f = get(r, key, CDP_NUMBER);
    if (!f) {
        *ok = false;
        return 0;
    }
    char *end;
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%.*s", (int)f->vlen, f->val);
    unsigned long long v = strtoull(tmp, &end, 10);
    if (*end)
        *ok = false;
    return v;
}

/* Splits s at sep into parts (pointers into a copy the caller frees). */
static char **split(const char *s, size_t n, char sep, size_t *count, char **copy)
{
    *copy = cdp_xstrndup(s, n);
    size_t k = 1;
    for (size_t i = 0; i < n; i++)
        k += (*copy)[i] == sep;
    char **parts = cdp_xcalloc(k, sizeof *parts);
    size_t j = 0;
    parts[j++] = *copy;
    for (size_t i = 0; i < n; i++)
        if ((*copy)[i] == sep) {
            (*copy)[i] = '\0';
            parts[j++] = *copy + i + 1;
        }
    *count = n ? k : 0;
    return parts;
}

/* What reading a state needs between its lines. */
struct loading {
    struct cdp_idstate *st;
    struct cdp_graph *g;
    const char *path;
    const char *const *conflicts;
    size_t nconflicts;
    /* Where each saved conflict field is among today's (SIZE_MAX: dropped). */
    size_t *conf_map, nsaved_conf;
    const char **conf;
    uint64_t nodes, ids;
    bool header, end;
};

static int damaged_line(const char *path, uint64_t line, struct cdp_error *err)
{
    return cdp_errorf(err, "state file '%s' is damaged (line %llu)", path, (unsigned long long)line);
}

typedef int (*state_row_fn)(void *ctx, const struct cdp_record *rec, const struct cdp_row *row,
                            struct cdp_error *err);

/* Reads the state file at path, each JSON line to fn, with the one policy
 * of loading and of the erasure passes for the rest: a line that is not
 * JSON, or any line after the end line, damages the file (before the
 * header, it is not a state file at all), and so does a file whose header
 * or end line never came. fn sets *header and *end when it reads them. */
static int read_state(const char *path, const bool *header, const bool *end, state_row_fn fn,
                      void *ctx, struct cdp_error *err)
{
    struct cdp_reader_options opt = { .format = CDP_FORMAT_NDJSON };
    struct cdp_reader *r = cdp_reader_open(path, &opt, err);
    if (!r)
        return -1;
    struct cdp_record rec = CDP_RECORD_INIT;
    struct cdp_row row;
    int rc = 0;
    for (;;) {
        struct cdp_error why;
        enum cdp_read k = cdp_reader_next(r, &rec, &row, &why);
        if (k == CDP_READ_END)
            break;
        if (k == CDP_READ_ERROR)
            rc = cdp_errorf(err, "state file '%s' is damaged: %s", path, why.msg);
        else if (k == CDP_READ_BAD && !*header)
            rc = cdp_errorf(err, "'%s' is not a cdp-dedupe state file", path);
        else if (k == CDP_READ_BAD || *end)
            rc = damaged_line(path, row.line, err);
        else
            rc = fn(ctx, &rec, &row, err);
        if (rc < 0)
            break;
    }
    if (rc == 0 && (!*header || !*end))
        rc = cdp_errorf(err, "state file '%s' is damaged (%s)", path, *header ? "cut short" : "empty");
    cdp_record_release(&rec);
    cdp_reader_close(r);
    return rc;
}

/* {"format":"cdp-dedupe-state","version":1,"run":N,"conflicts":"A\x1EB"} */
static int load_header(struct loading *l, const struct cdp_record *rec, struct cdp_error *err)
{
    bool ok = true;
    const struct cdp_field *f = get(rec, "format", CDP_STRING);
    if (!f || f->vlen != strlen(STATE_FORMAT) || memcmp(f->val, STATE_FORMAT, f->vlen))
        return cdp_errorf(err, "'%s' is not a cdp-dedupe state file", l->path);
    uint64_t version = get_u64(rec, "version", &ok);
    if (!ok || version != STATE_VERSION)
        return cdp_errorf(err, "state file '%s' has version %llu; this cdp-dedupe reads version %d", l->path,
                          (unsigned long long)version, STATE_VERSION);
    uint64_t run = get_u64(rec, "run", &ok);
    const struct cdp_field *cf = get(rec, "conflicts", CDP_STRING);
    if (!ok)
        return cdp_errorf(err, "state file '%s' is damaged (header)", l->path);
    l->st->run = run + 1;
    char *copy;
    char **names = split(cf ? cf->val : "", cf ? cf->vlen : 0, '\x1E', &l->nsaved_conf, &copy);
    l->conf_map = cdp_xcalloc(l->nsaved_conf + 1, sizeof *l->conf_map);
    for (size_t i = 0; i < l->nsaved_conf; i++) {
        l->conf_map[i] = SIZE_MAX;
        for (size_t c = 0; c < l->nconflicts; c++)
            if (strcmp(names[i], l->conflicts[c]) == 0)
                l->conf_map[i] = c;
    }
    free(names);
    free(copy);
    l->header = true;
    return 0;
}

/* {"end":true,"nodes":N,"ids":M}: the counts of the lines before it. */
static int load_end(struct loading *l, const struct cdp_record *rec, struct cdp_error *err)
{
    bool ok = true;
    uint64_t want_nodes = get_u64(rec, "nodes", &ok), want_ids = get_u64(rec, "ids", &ok);
    if (!ok || want_nodes != l->nodes || want_ids != l->ids)
        return cdp_errorf(err, "state file '%s' is damaged (counts do not match)", l->path);
    l->end = true;
    return 0;
}

/* {"n":"p"|"t","s":SOURCE,"r":RID,"v":"KEY\x1FVALUE\x1E...","c":"...","w":N,"id":ID}:
 * a node, into the graph with the id it had. */
static int load_node(struct loading *l, const struct cdp_record *rec, uint32_t idx, uint64_t line,
                     struct cdp_error *err)
{
    bool ok = true;
    const struct cdp_field *kind = get(rec, "n", CDP_STRING);
    const struct cdp_field *s = get(rec, "s", CDP_STRING), *rid = get(rec, "r", CDP_STRING);
    const struct cdp_field *v = get(rec, "v", CDP_STRING), *c = get(rec, "c", CDP_STRING);
    uint64_t w = get_u64(rec, "w", &ok);
    if (!s || !rid || !v || !ok)
        return damaged_line(l->path, line, err);
    char *scopy = cdp_xstrndup(s->val, s->vlen), *rcopy = cdp_xstrndup(rid->val, rid->vlen);
    char *vcopy, *ccopy;
    size_t nv, nc;
    char **vals = split(v->val, v->vlen, '\x1E', &nv, &vcopy);
    char **cvals = split(c ? c->val : "", c ? c->vlen : 0, '\x1E', &nc, &ccopy);
    for (size_t i = 0; i < l->nconflicts; i++)
        l->conf[i] = NULL;
    for (size_t i = 0; i < nc && i < l->nsaved_conf; i++)
        if (l->conf_map[i] != SIZE_MAX && cvals[i][0])
            l->conf[l->conf_map[i]] = cvals[i];
    bool person = kind->vlen == 1 && kind->val[0] == 'p';
    size_t idlen;
    const char *id = cdp_intern_str(l->st->ids, idx, &idlen);
    if (l->st->forget && node_forgotten(l->st->forget, id, idlen, person, s, rid, vals, nv)) {
        l->st->forgotten++;
    } else {
        uint32_t node = person ? cdp_graph_find_person(l->g, scopy, rcopy) : CDP_NO_NODE;
        if (node == CDP_NO_NODE)
            node = cdp_graph_add_saved(l->g, person, scopy, rcopy, (const char *const *)vals, nv, l->conf, w);
        if (node != CDP_NO_NODE)
            cdp_graph_set_old(l->g, node, idx);
    }
    free(vals);
    free(vcopy);
    free(cvals);
    free(ccopy);
    free(scopy);
    free(rcopy);
    l->nodes++;
    return 0;
}

/* An id as this module gives them: 16 lowercase hex digits. Anything else
 * in a state was not written by it (the file is damaged or forged), and
 * would be written back unescaped (found by tests/fuzz/state.c). */
static bool is_cdp_id(const char *s, size_t len)
{
    if (len != 16)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* One line after the header: the end, an id ({"id":ID,"born":RUN}) or a
 * node. */
static int load_line(struct loading *l, const struct cdp_record *rec, uint64_t line, struct cdp_error *err)
{
    if (get(rec, "end", CDP_TRUE))
        return load_end(l, rec, err);
    const struct cdp_field *id = get(rec, "id", CDP_STRING);
    if (!id || !is_cdp_id(id->val, id->vlen))
        return damaged_line(l->path, line, err);
    bool node = get(rec, "n", CDP_STRING) != NULL;
    if (l->st->forget && cdp_forget_check_value(l->st->forget, "cdp_id", id->val, id->vlen)) {
        /* A forgotten person's id, and its nodes: not kept (counted for
         * the end line's check). */
        l->st->forgotten += node;
        *(node ? &l->nodes : &l->ids) += 1;
        return 0;
    }
    uint32_t idx = id_index(l->st, id->val, id->vlen);
    if (node)
        return load_node(l, rec, idx, line, err);
    bool ok = true;
    uint64_t born = get_u64(rec, "born", &ok);
    if (!ok || born == 0)
        return damaged_line(l->path, line, err);
    l->st->born[idx] = born;
    l->ids++;
    return 0;
}

static int load_row(void *ctx, const struct cdp_record *rec, const struct cdp_row *row,
                    struct cdp_error *err)
{
    struct loading *l = ctx;
    return l->header ? load_line(l, rec, row->line, err) : load_header(l, rec, err);
}

/* After the last line of a whole file: every id has its entry. */
static int load_finish(struct loading *l, struct cdp_error *err)
{
    for (size_t i = 0; i < cdp_intern_count(l->st->ids); i++)
        if (!l->st->born[i])
            return cdp_errorf(err, "state file '%s' is damaged (id %s has no entry)", l->path,
                              cdp_intern_str(l->st->ids, (uint32_t)i, NULL));
    return 0;
}

int cdp_idstate_load(struct cdp_idstate *st, const char *path, struct cdp_graph *g,
                     const char *const *conflicts, size_t nconflicts, struct cdp_error *err)
{
    if (access(path, F_OK) != 0 && errno == ENOENT)
        return 0; /* the first run */
    struct loading l = { st, g, path, conflicts, nconflicts, NULL, 0, NULL, 0, 0, false, false };
    l.conf = cdp_xcalloc(nconflicts + 1, sizeof *l.conf);
    int rc = read_state(path, &l.header, &l.end, load_row, &l, err);
    if (rc == 0)
        rc = load_finish(&l, err);
    free(l.conf_map);
    free(l.conf);
    return rc;
}

struct vote {
    uint32_t old, group;
    uint64_t weight;
};

static int vote_cmp(const void *a, const void *b)
{
    const struct vote *x = a, *y = b;
    if (x->old != y->old)
        return x->old < y->old ? -1 : 1;
    return x->group < y->group ? -1 : x->group > y->group;
}

/* Whether id a was born before b (ties: the smaller string). */
static bool older(const struct cdp_idstate *st, uint32_t a, uint32_t b)
{
    if (st->born[a] != st->born[b])
        return st->born[a] < st->born[b];
    return strcmp(cdp_intern_str(st->ids, a, NULL), cdp_intern_str(st->ids, b, NULL)) < 0;
}

/* h as 16 lower-case hex digits, as "%016llx" writes it: snprintf and a
 * key buffer per id were half of cdp_idstate_assign's instructions at 100k
 * persons (250.3M -> 120.5M, callgrind). */
static void hex16(uint64_t h, char hex[17])
{
    unsigned char bytes[8];
    for (int i = 7; i >= 0; i--, h >>= 8)
        bytes[i] = (unsigned char)h;
    cdp_hex(bytes, 8, hex);
}

/* key: scratch for the group's smallest record, kept between calls. */
static uint32_t new_id(struct cdp_idstate *st, const struct cdp_graph *g, uint32_t group,
                       struct cdp_buf *key)
{
    const char *s, *r;
    cdp_graph_group_min(g, group, &s, &r);
    cdp_buf_reset(key);
    cdp_buf_adds(key, s);
    cdp_buf_addc(key, '\x1F');
    cdp_buf_adds(key, r);
    char hex[17];
    uint32_t idx;
    for (uint64_t seed = 0;; seed++) {
        hex16(XXH3_64bits_withSeed(key->data, key->len, seed), hex);
        int added;
        idx = cdp_intern_add(st->ids, hex, 16, &added);
        if (added)
            break; /* never an id given before, in this run or an earlier one */
    }
    id_index(st, hex, 16);
    st->born[idx] = st->run;
    return idx;
}

void cdp_idstate_assign(struct cdp_idstate *st, const struct cdp_graph *g,
                        cdp_journal_fn journal, void *ctx)
{
    size_t ngroups = cdp_graph_groups(g), nnodes = cdp_graph_nodes(g);
    st->ngroups = ngroups;
    st->group_id = cdp_xmalloc((ngroups + 1) * sizeof *st->group_id);
    for (size_t i = 0; i < ngroups; i++)
        st->group_id[i] = CDP_NO_NODE;
    /* Which group holds most of each old id's records. */
    struct vote *votes = cdp_xmalloc((nnodes + 1) * sizeof *votes);
    size_t nvotes = 0;
    for (uint32_t n = 0; n < nnodes; n++) {
        uint32_t old = cdp_graph_old(g, n), group = cdp_graph_group(g, n);
        if (old != CDP_NO_NODE && group != CDP_NO_NODE)
            votes[nvotes++] = (struct vote){ old, group, cdp_graph_node_weight(g, n) };
    }
    qsort(votes, nvotes, sizeof *votes, vote_cmp);
    size_t nids = cdp_intern_count(st->ids);
    uint32_t *owner = cdp_xmalloc((nids + 1) * sizeof *owner);
    for (size_t i = 0; i < nids; i++)
        owner[i] = CDP_NO_NODE;
    for (size_t i = 0; i < nvotes;) {
        uint32_t old = votes[i].old, best = CDP_NO_NODE;
        uint64_t best_w = 0;
        while (i < nvotes && votes[i].old == old) {
            uint32_t group = votes[i].group;
            uint64_t w = 0;
            while (i < nvotes && votes[i].old == old && votes[i].group == group)
                w += votes[i++].weight;
            if (best == CDP_NO_NODE || w > best_w)
                best = group, best_w = w;
        }
        owner[old] = best;
    }
    /* The oldest id a group owns survives. */
    for (uint32_t id = 0; id < nids; id++) {
        uint32_t gr = owner[id];
        if (gr != CDP_NO_NODE && (st->group_id[gr] == CDP_NO_NODE || older(st, id, st->group_id[gr])))
            st->group_id[gr] = id;
    }
    size_t nmerges;
    const struct cdp_graph_merge *merges = cdp_graph_merges(g, &nmerges);
    for (uint32_t id = 0; id < nids; id++) {
        uint32_t gr = owner[id];
        if (gr == CDP_NO_NODE || st->group_id[gr] == id || !journal)
            continue;
        struct cdp_journal_entry e = { cdp_intern_str(st->ids, id, NULL),
                                       cdp_intern_str(st->ids, st->group_id[gr], NULL), "merged",
                                       NULL, NULL };
        for (size_t m = 0; m < nmerges; m++)
            if (merges[m].old_a == id || merges[m].old_b == id) {
                e.key = merges[m].key;
                e.value = merges[m].value;
                break;
            }
        journal(ctx, &e);
    }
    /* Groups that own no id get a new one; if they hold records of an id
     * that stayed with another group, they were split off it. */
    uint32_t *split_from = cdp_xmalloc((ngroups + 1) * sizeof *split_from);
    uint64_t *split_w = cdp_xcalloc(ngroups + 1, sizeof *split_w);
    for (size_t i = 0; i < ngroups; i++)
        split_from[i] = CDP_NO_NODE;
    for (size_t i = 0; i < nvotes;) {
        size_t j = i;
        uint64_t w = 0;
        while (j < nvotes && votes[j].old == votes[i].old && votes[j].group == votes[i].group)
            w += votes[j++].weight;
        uint32_t gr = votes[i].group;
        if (owner[votes[i].old] != gr && w > split_w[gr]) {
            split_from[gr] = votes[i].old;
            split_w[gr] = w;
        }
        i = j;
    }
    struct cdp_buf key = CDP_BUF_INIT;
    for (uint32_t gr = 0; gr < ngroups; gr++) {
        if (st->group_id[gr] != CDP_NO_NODE)
            continue;
        st->group_id[gr] = new_id(st, g, gr, &key);
        if (split_from[gr] != CDP_NO_NODE && journal) {
            struct cdp_journal_entry e = { cdp_intern_str(st->ids, split_from[gr], NULL),
                                           cdp_intern_str(st->ids, st->group_id[gr], NULL),
                                           "split", NULL, NULL };
            journal(ctx, &e);
        }
    }
    cdp_buf_release(&key);
    free(split_from);
    free(split_w);
    free(owner);
    free(votes);
}

const char *cdp_idstate_group_id(const struct cdp_idstate *st, uint32_t group)
{
    return cdp_intern_str(st->ids, st->group_id[group], NULL);
}

uint64_t cdp_idstate_run(const struct cdp_idstate *st)
{
    return st->run;
}

static void add_value(void *ctx, const char *kv, size_t len)
{
    struct cdp_buf *b = ctx;
    if (b->len)
        cdp_buf_addc(b, '\x1E');
    cdp_buf_add(b, kv, len);
}

int cdp_idstate_save(struct cdp_idstate *st, const char *path, const struct cdp_graph *g,
                     const char *const *conflicts, size_t nconflicts, int zstd_workers,
                     struct cdp_error *err)
{
    struct cdp_output *o =
        cdp_idstate_save_output(st, path, g, conflicts, nconflicts, zstd_workers, err);
    return o ? cdp_output_commit(o, err) : -1;
}

struct cdp_output *cdp_idstate_save_output(struct cdp_idstate *st, const char *path,
                                           const struct cdp_graph *g, const char *const *conflicts,
                                           size_t nconflicts, int zstd_workers,
                                           struct cdp_error *err)
{
    struct cdp_output_options opt = cdp_idstate_output_options;
    opt.zstd_workers = zstd_workers;
    struct cdp_output *o = cdp_output_open(path, &opt, err);
    if (!o)
        return NULL;
    struct cdp_buf *b = cdp_output_buffer(o);
    struct cdp_buf tmp = CDP_BUF_INIT;
    for (size_t c = 0; c < nconflicts; c++) {
        if (c)
            cdp_buf_addc(&tmp, '\x1E');
        cdp_buf_adds(&tmp, conflicts[c]);
    }
    cdp_buf_printf(b, "{\"format\":\"%s\",\"version\":%d,\"run\":%llu,\"conflicts\":",
                   STATE_FORMAT, STATE_VERSION, (unsigned long long)st->run);
    cdp_json_add_string(b, tmp.data ? tmp.data : "", tmp.len);
    cdp_buf_adds(b, "}\n");
    size_t nnodes = cdp_graph_nodes(g), saved = 0;
    for (uint32_t n = 0; n < nnodes; n++) {
        /* events that are nobody's (graph.h) are not kept: they carry no id */
        if (cdp_graph_group(g, n) == CDP_NO_NODE)
            continue;
        saved++;
        const char *s, *r;
        cdp_graph_node_record(g, n, &s, &r);
        cdp_buf_printf(b, "{\"n\":\"%c\",\"s\":", cdp_graph_node_is_person(g, n) ? 'p' : 't');
        cdp_json_add_string(b, s, strlen(s));
        cdp_buf_adds(b, ",\"r\":");
        cdp_json_add_string(b, r, strlen(r));
        cdp_buf_reset(&tmp);
        cdp_graph_node_values(g, n, add_value, &tmp);
        cdp_buf_adds(b, ",\"v\":");
        cdp_json_add_string(b, tmp.data ? tmp.data : "", tmp.len);
        cdp_buf_reset(&tmp);
        for (size_t c = 0; c < nconflicts; c++) {
            const char *cv = cdp_graph_node_conflict(g, n, c);
            if (c)
                cdp_buf_addc(&tmp, '\x1E');
            if (cv)
                cdp_buf_adds(&tmp, cv);
        }
        cdp_buf_adds(b, ",\"c\":");
        cdp_json_add_string(b, tmp.data ? tmp.data : "", tmp.len);
        cdp_buf_printf(b, ",\"w\":%llu,\"id\":\"%s\"}\n",
                       (unsigned long long)cdp_graph_node_weight(g, n),
                       cdp_idstate_group_id(st, cdp_graph_group(g, n)));
        cdp_output_flush_some(o);
    }
    /* Every id ever given, with the run it was born in: ids merged away
     * are never given again, so the journal's "from" stays unambiguous. */
    uint64_t nids = cdp_intern_count(st->ids);
    for (uint32_t id = 0; id < nids; id++) {
        cdp_buf_printf(b, "{\"id\":\"%s\",\"born\":%llu}\n", cdp_intern_str(st->ids, id, NULL),
                       (unsigned long long)st->born[id]);
        cdp_output_flush_some(o);
    }
    cdp_buf_printf(b, "{\"end\":true,\"nodes\":%llu,\"ids\":%llu}\n", (unsigned long long)saved,
                   (unsigned long long)nids);
    cdp_buf_release(&tmp);
    return o;
}

/* ---- erasure (cdp-forget) ------------------------------------------------ */

const struct cdp_output_options cdp_idstate_output_options = { .zstd = true, .zstd_level = 3, .mode = 0600 };

/* One line of a state, as the erasure passes see it. */
struct state_line {
    const struct cdp_record *rec;
    const char *raw;
    size_t rawlen;
    const struct cdp_field *id; /* of a node or an id entry */
    bool node, person;
};

typedef int (*state_line_fn)(void *ctx, const struct state_line *l, struct cdp_error *err);

/* What scanning a state needs between its lines. */
struct scanning {
    const char *path;
    uint64_t nodes, ids;
    bool header, end;
    state_line_fn fn;
    void *ctx;
};

/* Checks one line of the state and hands nodes and ids to fn: the same
 * checks as cdp_idstate_load, so that a damaged state is never rewritten. */
static int scan_line(void *scanning, const struct cdp_record *rec, const struct cdp_row *row,
                     struct cdp_error *err)
{
    struct scanning *sc = scanning;
    bool ok = true;
    if (!sc->header) {
        const struct cdp_field *f = get(rec, "format", CDP_STRING);
        if (!f || f->vlen != strlen(STATE_FORMAT) || memcmp(f->val, STATE_FORMAT, f->vlen))
            return cdp_errorf(err, "'%s' is not a cdp-dedupe state file", sc->path);
        if (get_u64(rec, "version", &ok) != STATE_VERSION || !ok)
            return cdp_errorf(err, "state file '%s' has another version than %d", sc->path, STATE_VERSION);
        sc->header = true;
        return sc->fn(sc->ctx, &(struct state_line){ rec, row->raw, row->rawlen, NULL, false, false }, err);
    }
    if (get(rec, "end", CDP_TRUE)) {
        if (get_u64(rec, "nodes", &ok) != sc->nodes || get_u64(rec, "ids", &ok) != sc->ids || !ok)
            return cdp_errorf(err, "state file '%s' is damaged (counts do not match)", sc->path);
        sc->end = true;
        return 0;
    }
    struct state_line sl = { rec, row->raw, row->rawlen, get(rec, "id", CDP_STRING), false, false };
    const struct cdp_field *kind = get(rec, "n", CDP_STRING);
    if (!sl.id || (kind && (!get(rec, "s", CDP_STRING) || !get(rec, "r", CDP_STRING) ||
                            !get(rec, "v", CDP_STRING))) ||
        (!kind && (get_u64(rec, "born", &ok) == 0 || !ok)))
        return damaged_line(sc->path, row->line, err);
    sl.node = kind != NULL;
    sl.person = kind && kind->vlen == 1 && kind->val[0] == 'p';
    if (sl.node)
        sc->nodes++;
    else
        sc->ids++;
    return sc->fn(sc->ctx, &sl, err);
}

/* Reads the whole state at path, line by line, through fn. */
static int scan_state(const char *path, state_line_fn fn, void *ctx, struct cdp_error *err)
{
    if (access(path, F_OK) != 0)
        return cdp_errorf_errno(err, errno, "cannot open state file '%s'", path);
    struct scanning sc = { path, 0, 0, false, false, fn, ctx };
    return read_state(path, &sc.header, &sc.end, scan_line, &sc, err);
}

/* Calls fn for each "KEY\x1FVALUE" of a node's "v", composite parts joined
 * by '+' as the links file shows them (the state joins them by 0x1F). */
static void each_value(const struct cdp_field *v, struct cdp_buf *tmp,
                       void (*fn)(void *ctx, const char *kv, size_t len), void *ctx)
{
    const char *s = v->val, *end = v->val + v->vlen;
    while (s < end) {
        const char *e = memchr(s, '\x1E', (size_t)(end - s));
        if (!e)
            e = end;
        cdp_buf_reset(tmp);
        const char *sep = memchr(s, '\x1F', (size_t)(e - s));
        for (const char *p = s; p < e; p++)
            cdp_buf_addc(tmp, *p == '\x1F' && p != sep ? '+' : *p);
        if (tmp->len)
            fn(ctx, tmp->data, tmp->len);
        s = e + 1;
    }
}

struct finding {
    const char *const *values;
    size_t nvalues;
    const char *const *ids;
    size_t nids;
    cdp_idstate_found_fn fn;
    void *ctx;
    const char *id; /* of the node being looked at */
    struct cdp_buf tmp;
};

static void find_value(void *ctx, const char *kv, size_t len)
{
    struct finding *f = ctx;
    for (size_t i = 0; i < f->nvalues; i++)
        if (strlen(f->values[i]) == len && memcmp(f->values[i], kv, len) == 0)
            f->fn(f->ctx, i, f->id);
}

static int find_line(void *ctx, const struct state_line *l, struct cdp_error *err)
{
    struct finding *f = ctx;
    (void)err;
    if (!l->id)
        return 0;
    char *id = cdp_xstrndup(l->id->val, l->id->vlen);
    f->id = id;
    for (size_t i = 0; i < f->nids; i++)
        if (strcmp(f->ids[i], id) == 0 && !l->node)
            f->fn(f->ctx, f->nvalues + i, id); /* every id has one entry */
    if (l->node)
        each_value(get(l->rec, "v", CDP_STRING), &f->tmp, find_value, f);
    free(id);
    return 0;
}

int cdp_idstate_find(const char *path, const char *const *values, size_t nvalues,
                     const char *const *ids, size_t nids, cdp_idstate_found_fn fn, void *ctx,
                     struct cdp_error *err)
{
    struct finding f = { values, nvalues, ids, nids, fn, ctx, NULL, CDP_BUF_INIT };
    int rc = scan_state(path, find_line, &f, err);
    cdp_buf_release(&f.tmp);
    return rc;
}

void cdp_idstate_persons_init(struct cdp_idstate_persons *p)
{
    memset(p, 0, sizeof *p);
    p->ids = cdp_intern_new();
    p->nodes = cdp_intern_new();
    p->persons = cdp_intern_new();
    p->values = cdp_intern_new();
}

void cdp_idstate_persons_release(struct cdp_idstate_persons *p)
{
    cdp_intern_free(p->ids);
    cdp_intern_free(p->nodes);
    cdp_intern_free(p->persons);
    cdp_intern_free(p->values);
    free(p->shared);
    memset(p, 0, sizeof *p);
}

static bool is_theirs(const struct cdp_idstate_persons *p, const struct state_line *l)
{
    return l->id && cdp_intern_find(p->ids, l->id->val, l->id->vlen) != UINT32_MAX;
}

static void collect_value(void *ctx, const char *kv, size_t len)
{
    struct cdp_idstate_persons *p = ctx;
    cdp_intern_add(p->values, kv, len, NULL);
}

/* What collecting needs between the lines. */
struct collecting {
    struct cdp_idstate_persons *p;
    bool *seen; /* per id of p->ids: a node has it */
};

static int collect_line(void *ctx, const struct state_line *l, struct cdp_error *err)
{
    struct collecting *co = ctx;
    struct cdp_idstate_persons *p = co->p;
    (void)err;
    if (!l->node || !is_theirs(p, l))
        return 0;
    uint32_t who = cdp_intern_find(p->ids, l->id->val, l->id->vlen);
    if (!co->seen[who]) {
        co->seen[who] = true;
        p->groups++;
    }
    const struct cdp_field *s = get(l->rec, "s", CDP_STRING), *r = get(l->rec, "r", CDP_STRING);
    struct cdp_buf b = CDP_BUF_INIT;
    cdp_buf_add(&b, s->val, s->vlen);
    cdp_buf_addc(&b, '\x1F');
    cdp_buf_add(&b, r->val, r->vlen);
    cdp_intern_add(p->nodes, b.data, b.len, NULL);
    if (l->person)
        cdp_intern_add(p->persons, b.data, b.len, NULL);
    bool ok = true;
    p->records += get_u64(l->rec, "w", &ok);
    each_value(get(l->rec, "v", CDP_STRING), &b, collect_value, p);
    cdp_buf_release(&b);
    return 0;
}

int cdp_idstate_collect(const char *path, struct cdp_idstate_persons *p, struct cdp_error *err)
{
    struct collecting co = { p, cdp_xcalloc(cdp_intern_count(p->ids) + 1, sizeof *co.seen) };
    p->groups = 0;
    int rc = scan_state(path, collect_line, &co, err);
    free(co.seen);
    return rc;
}

/* What writing the state without some persons needs between its lines. */
struct staging {
    struct cdp_idstate_persons *p;
    struct cdp_output *out;
    uint64_t nodes, ids; /* written */
};

static void mark_shared(void *ctx, const char *kv, size_t len)
{
    struct cdp_idstate_persons *p = ctx;
    uint32_t i = cdp_intern_find(p->values, kv, len);
    if (i != UINT32_MAX)
        p->shared[i] = true;
}

static int stage_line(void *ctx, const struct state_line *l, struct cdp_error *err)
{
    struct staging *st = ctx;
    (void)err;
    if (is_theirs(st->p, l)) {
        if (l->node)
            st->p->nodes_removed++;
        else
            st->p->ids_removed++;
        return 0;
    }
    if (l->node) {
        struct cdp_buf tmp = CDP_BUF_INIT;
        each_value(get(l->rec, "v", CDP_STRING), &tmp, mark_shared, st->p);
        cdp_buf_release(&tmp);
        st->nodes++;
    } else if (l->id) {
        st->ids++;
    }
    cdp_output_write(st->out, l->raw, l->rawlen);
    cdp_output_write(st->out, "\n", 1);
    return 0;
}

int cdp_idstate_stage_without(const char *path, struct cdp_idstate_persons *p,
                              struct cdp_output *out, struct cdp_error *err)
{
    free(p->shared);
    p->shared = cdp_xcalloc(cdp_intern_count(p->values) + 1, sizeof *p->shared);
    p->nodes_removed = p->ids_removed = 0;
    struct staging st = { p, out, 0, 0 };
    if (scan_state(path, stage_line, &st, err) < 0)
        return -1;
    struct cdp_buf *b = cdp_output_buffer(out);
    cdp_buf_printf(b, "{\"end\":true,\"nodes\":%llu,\"ids\":%llu}\n", (unsigned long long)st.nodes,
                   (unsigned long long)st.ids);
    return 0;
}
