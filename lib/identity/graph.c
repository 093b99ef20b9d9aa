#include "identity/graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "base/buf.h"
#include "base/intern.h"
#include "identity/conflict.h"
#include "norm/date.h"
#include "norm/strdist.h"

enum value_state { PENDING, APPLIED, BLOCKED, OVER_LIMIT, CONFLICTED, SHARED_DEVICE };

/* Two bytes a value: at 1M persons there were 4.27M values, and the 24
 * bytes they had (with their nodes' place and their records) were 100 MB
 * of cdp-dedupe's peak. Their nodes are found through value_first while
 * resolving; only a blocked value's records are reported, so only those
 * are counted (blocked_ids). */
struct value {
    uint8_t key; /* index in the key set: fewer than 255 keys, as the byte
                    before each interned value (key index + 1) says */
    uint8_t state;
};

struct node {
    uint64_t rid;     /* offset of the representative _rid in rids */
    uint64_t weight;  /* records */
    uint32_t values;  /* offset in node_values */
    uint32_t source;  /* id in sources */
    uint16_t nvalues;
    uint8_t person;
};

struct root {
    uint32_t old;        /* an id from an earlier run in the group, or CDP_NO_NODE */
    uint32_t excl_first; /* an exclusive value in the group, or CDP_NO_NODE */
    uint32_t min_node;   /* the node with the smallest (_source, _rid) */
    uint8_t excl_many;   /* more than one distinct exclusive value */
    uint8_t person;
};

/* A link from the probabilistic model between two nodes. */
struct pair {
    uint32_t a, b;
    double weight;
    uint32_t tag;
    uint32_t seq;
};

static int cmp_pair_weight(const void *x, const void *y)
{
    const struct pair *p = x, *q = y;
    if (p->weight != q->weight)
        return p->weight > q->weight ? -1 : 1;
    return (p->seq > q->seq) - (p->seq < q->seq);
}

struct cdp_graph {
    struct cdp_keyset *keys;
    size_t nkeys;
    char **conflicts;
    size_t nconf;
    enum cdp_conflict_rule rules[16]; /* per conflict field */
    bool relaxed[16];                 /* not checked (cdp_graph_relax_conflict) */
    struct cdp_conflict_cache *conflict_cache;

    struct cdp_intern *strings; /* key values, prefixed by key index + 1 */
    struct value *values;
    size_t nvalues_cap;
    /* The blocked values, in increasing id order (the order they were
     * first seen), and the records holding each. */
    uint32_t *blocked_ids;
    uint64_t *blocked_records;
    size_t nblocked, blocked_cap;
    struct cdp_intern *conf_values; /* conflict attribute values */
    struct cdp_intern *sources;
    uint32_t last_source; /* the id of the last record's, CDP_NO_NODE at first */

    struct node *nodes;
    size_t nnodes, nodes_cap;
    uint32_t *node_values;
    size_t nnv, nnv_cap;
    uint32_t *node_conf; /* nnodes * nconf, CDP_NO_NODE = no value */
    char *rids;
    size_t rids_len, rids_cap;

    /* Event tuples: hash of (values, conflict values) -> node. */
    uint32_t *tuples;
    size_t tuples_size, ntuples;

    /* Resolution. */
    uint32_t *parent;
    uint32_t *size;
    struct root *roots;
    /* Per root and conflict field, the distinct values of the group: a
     * value id, CDP_NO_NODE for none, or LIST | i for a list in conf_list. */
    uint32_t *conf;
    struct conf_item {
        uint32_t value, next;
    } *conf_list;
    size_t nconf_list, conf_list_cap;
    uint32_t *conf_roots; /* scratch: the groups holding a value */
    size_t conf_roots_cap;
    struct cdp_buf shown_a, shown_b; /* conflicting values as reported */
    uint32_t *value_nodes;
    uint32_t *value_first; /* per value: its first node in value_nodes; then the total */
    uint32_t *groups; /* node -> group, after resolve (CDP_NO_NODE: none) */
    uint8_t *fate;    /* node -> enum cdp_node_fate, after resolve */
    uint32_t *waiting; /* device values shared by several people so far */
    size_t nwaiting;
    uint32_t *group_min;
    size_t ngroups;

    uint32_t *old;  /* per node: id in an earlier run */
    size_t old_cap;
    /* Person nodes by (_source, _rid): hash -> node. */
    uint32_t *persons;
    size_t persons_size, npersons;
    struct cdp_graph_merge *merges;
    size_t nmerges, merges_cap;

    struct cdp_buf tmp;
    uint32_t scratch_ids[64];
    uint32_t scratch_conf[16];
    struct cdp_graph_counts counts;
    struct pair *pairs; /* the model's links */
    size_t npairs, pairs_cap;
    /* Accounts (see accounts_differ), while the model links: per node its
     * phone value (CDP_NO_NODE: none, or not a person record) and the next
     * person node with a phone in its group; per root the list's ends. */
    uint32_t *acct_phone, *acct_next, *acct_head, *acct_tail;
};

const char **cdp_graph_conflicts(const char *const *extra, size_t nextra, bool none, size_t *n,
                                 struct cdp_error *err)
{
    static const char *const defaults[] = { "birth_date", "gender", "first_name", "middle_name" };
    size_t nd = none ? 0 : sizeof defaults / sizeof *defaults;
    *n = 0;
    if (none)
        nextra = 0;
    if (nd + nextra > CDP_GRAPH_MAX_CONFLICTS) {
        cdp_errorf(err, "at most %d fields besides the %zu checked by default", CDP_GRAPH_MAX_CONFLICTS - (int)nd,
                   nd);
        return NULL;
    }
    for (size_t i = 0; i < nextra; i++)
        for (size_t j = 0; j < nd; j++)
            if (strcmp(extra[i], defaults[j]) == 0) {
                cdp_errorf(err, "%s is checked by default", defaults[j]);
                return NULL;
            }
    const char **list = cdp_xcalloc(nd + nextra + 1, sizeof *list);
    for (size_t j = 0; j < nd; j++)
        list[(*n)++] = defaults[j];
    for (size_t i = 0; i < nextra; i++)
        list[(*n)++] = extra[i];
    return list;
}

struct cdp_graph *cdp_graph_new(struct cdp_keyset *keys, const char *const *conflicts,
                                      size_t nconflicts)
{
    struct cdp_graph *g = cdp_xcalloc(1, sizeof *g);
    g->keys = keys;
    g->nkeys = cdp_keyset_count(keys);
    g->nconf = nconflicts > 16 ? 16 : nconflicts;
    g->conflicts = cdp_xcalloc(g->nconf + 1, sizeof *g->conflicts);
    for (size_t i = 0; i < g->nconf; i++) {
        g->conflicts[i] = cdp_xstrdup(conflicts[i]);
        g->rules[i] = cdp_conflict_rule_of(conflicts[i]);
    }
    g->conflict_cache = cdp_conflict_cache_new();
    g->strings = cdp_intern_new();
    g->conf_values = cdp_intern_new();
    g->sources = cdp_intern_new();
    g->last_source = CDP_NO_NODE;
    g->persons_size = 1024;
    g->persons = cdp_xmalloc(g->persons_size * sizeof *g->persons);
    memset(g->persons, 0xFF, g->persons_size * sizeof *g->persons);
    g->tuples_size = 1024;
    g->tuples = cdp_xmalloc(g->tuples_size * sizeof *g->tuples);
    memset(g->tuples, 0xFF, g->tuples_size * sizeof *g->tuples);
    return g;
}

static void free_linking(struct cdp_graph *g);

void cdp_graph_free(struct cdp_graph *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->nconf; i++)
        free(g->conflicts[i]);
    free(g->conflicts);
    cdp_intern_free(g->strings);
    cdp_intern_free(g->conf_values);
    cdp_intern_free(g->sources);
    free(g->values);
    free(g->blocked_ids);
    free(g->blocked_records);
    free(g->nodes);
    free(g->node_values);
    free(g->node_conf);
    free(g->rids);
    free(g->tuples);
    free_linking(g);
    cdp_buf_release(&g->shown_a);
    cdp_buf_release(&g->shown_b);
    cdp_conflict_cache_free(g->conflict_cache);
    free(g->groups);
    free(g->fate);
    free(g->group_min);
    free(g->old);
    free(g->persons);
    for (size_t i = 0; i < g->nmerges; i++)
        free(g->merges[i].value);
    free(g->merges);
    cdp_buf_release(&g->tmp);
    free(g);
}

static const char *rid_of(const struct cdp_graph *g, uint32_t node)
{
    return g->rids + g->nodes[node].rid;
}

static const char *source_of(const struct cdp_graph *g, uint32_t node)
{
    return cdp_intern_str(g->sources, g->nodes[node].source, NULL);
}

/* (_source, _rid) order: byte order of the source, then of the rid. */
static int rep_cmp(const char *s1, const char *r1, const char *s2, const char *r2)
{
    int c = strcmp(s1, s2);
    return c ? c : strcmp(r1, r2);
}

static uint64_t store_rid(struct cdp_graph *g, const char *rid, size_t rlen)
{
    if (g->rids_len + rlen + 1 > g->rids_cap) {
        while (g->rids_len + rlen + 1 > g->rids_cap)
            g->rids_cap = g->rids_cap ? g->rids_cap * 2 : 1 << 16;
        g->rids = cdp_xrealloc(g->rids, g->rids_cap);
    }
    uint64_t off = g->rids_len;
    memcpy(g->rids + off, rid, rlen);
    g->rids[off + rlen] = '\0';
    g->rids_len += rlen + 1;
    return off;
}

static uint64_t person_hash(const char *source, const char *rid)
{
    uint64_t h = XXH3_64bits(source, strlen(source));
    return XXH3_64bits_withSeed(rid, strlen(rid), h);
}

static void persons_insert(uint32_t *table, size_t size, uint64_t h, uint32_t node)
{
    size_t i = (size_t)h & (size - 1);
    while (table[i] != CDP_NO_NODE)
        i = (i + 1) & (size - 1);
    table[i] = node;
}

static void index_person(struct cdp_graph *g, uint32_t node)
{
    if (++g->npersons * 2 > g->persons_size) {
        size_t size = g->persons_size * 2;
        uint32_t *t = cdp_xmalloc(size * sizeof *t);
        memset(t, 0xFF, size * sizeof *t);
        for (size_t i = 0; i < g->persons_size; i++)
            if (g->persons[i] != CDP_NO_NODE) {
                uint32_t n = g->persons[i];
                persons_insert(t, size, person_hash(source_of(g, n), rid_of(g, n)), n);
            }
        free(g->persons);
        g->persons = t;
        g->persons_size = size;
    }
    persons_insert(g->persons, g->persons_size, person_hash(source_of(g, node), rid_of(g, node)),
                   node);
}

uint32_t cdp_graph_find_person(const struct cdp_graph *g, const char *source, const char *rid)
{
    if (!g->persons)
        return CDP_NO_NODE; /* resolved: no longer found */
    size_t i = (size_t)person_hash(source, rid) & (g->persons_size - 1);
    for (; g->persons[i] != CDP_NO_NODE; i = (i + 1) & (g->persons_size - 1)) {
        uint32_t n = g->persons[i];
        if (strcmp(source_of(g, n), source) == 0 && strcmp(rid_of(g, n), rid) == 0)
            return n;
    }
    return CDP_NO_NODE;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static uint32_t new_node(struct cdp_graph *g, const uint32_t *ids, size_t nids,
                         const uint32_t *conf, bool person, uint32_t source, const char *rid,
                         size_t rlen)
{
    if (g->nnodes == g->nodes_cap) {
        g->nodes_cap = g->nodes_cap ? g->nodes_cap * 2 : 4096;
        g->nodes = cdp_xrealloc(g->nodes, g->nodes_cap * sizeof *g->nodes);
        g->node_conf = cdp_xrealloc(g->node_conf, g->nodes_cap * (g->nconf ? g->nconf : 1) *
                                                      sizeof *g->node_conf);
    }
    if (g->nnv + nids > g->nnv_cap) {
        while (g->nnv + nids > g->nnv_cap)
            g->nnv_cap = g->nnv_cap ? g->nnv_cap * 2 : 8192;
        g->node_values = cdp_xrealloc(g->node_values, g->nnv_cap * sizeof *g->node_values);
    }
    if (g->nnodes == g->old_cap) {
        g->old_cap = g->old_cap ? g->old_cap * 2 : 4096;
        g->old = cdp_xrealloc(g->old, g->old_cap * sizeof *g->old);
    }
    uint32_t n = (uint32_t)g->nnodes++;
    g->old[n] = CDP_NO_NODE;
    struct node *nd = &g->nodes[n];
    nd->values = (uint32_t)g->nnv;
    nd->nvalues = (uint16_t)nids;
    nd->person = person;
    nd->weight = 0;
    nd->source = source;
    nd->rid = store_rid(g, rid, rlen);
    if (nids)
        memcpy(g->node_values + g->nnv, ids, nids * sizeof *ids);
    g->nnv += nids;
    for (size_t c = 0; c < g->nconf; c++)
        g->node_conf[n * g->nconf + c] = conf[c];
    return n;
}

/* A tuple is a few 32-bit ids: mixed a word at a time, inline. Two XXH3
 * calls and two memcmp calls a lookup, for some 12 bytes each, were a sixth
 * of the reading thread's time in pass 1 (perf, 100k persons). The hash
 * only places tuples in their table: nothing is written in its order. */
static uint64_t tuple_hash(const uint32_t *ids, size_t nids, const uint32_t *conf, size_t nconf)
{
    uint64_t h = 0x9E3779B97F4A7C15u ^ (nids << 8 | nconf);
    for (size_t i = 0; i < nids; i++)
        h = (h ^ ids[i]) * 0xFF51AFD7ED558CCDu;
    for (size_t c = 0; c < nconf; c++)
        h = (h ^ conf[c]) * 0xC4CEB9FE1A85EC53u;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9u;
    return h ^ (h >> 32);
}

static bool tuple_equal(const struct cdp_graph *g, uint32_t n, const uint32_t *ids, size_t nids,
                        const uint32_t *conf)
{
    const struct node *nd = &g->nodes[n];
    if (nd->person || nd->nvalues != nids)
        return false;
    const uint32_t *have = g->node_values + nd->values;
    for (size_t i = 0; i < nids; i++)
        if (have[i] != ids[i])
            return false;
    const uint32_t *have_conf = g->node_conf + (size_t)n * g->nconf;
    for (size_t c = 0; c < g->nconf; c++)
        if (have_conf[c] != conf[c])
            return false;
    return true;
}

static void tuples_grow(struct cdp_graph *g)
{
    size_t size = g->tuples_size * 2;
    uint32_t *t = cdp_xmalloc(size * sizeof *t);
    memset(t, 0xFF, size * sizeof *t);
    for (size_t i = 0; i < g->tuples_size; i++) {
        uint32_t n = g->tuples[i];
        if (n == CDP_NO_NODE)
            continue;
        const struct node *nd = &g->nodes[n];
        uint64_t h = tuple_hash(g->node_values + nd->values, nd->nvalues,
                                g->node_conf + (size_t)n * g->nconf, g->nconf);
        size_t j = (size_t)h & (size - 1);
        while (t[j] != CDP_NO_NODE)
            j = (j + 1) & (size - 1);
        t[j] = n;
    }
    free(g->tuples);
    g->tuples = t;
    g->tuples_size = size;
}

static size_t sort_unique(uint32_t *ids, size_t n)
{
    /* A record has a few values: qsort's call per record was 8.5% of the
     * instructions adding records to the graph at 100k persons. */
    if (n <= 16) {
        for (size_t i = 1; i < n; i++) {
            uint32_t x = ids[i];
            size_t j = i;
            for (; j > 0 && ids[j - 1] > x; j--)
                ids[j] = ids[j - 1];
            ids[j] = x;
        }
    } else {
        qsort(ids, n, sizeof *ids, cmp_u32);
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || ids[i] != ids[i - 1])
            ids[k++] = ids[i];
    return k;
}

/* The event tuple node with the scratch ids and conflict values, new if
 * there is none yet; its representative is its smallest record. */
static uint32_t tuple_node(struct cdp_graph *g, size_t nids, uint32_t src, const char *source,
                           const char *rid, size_t rlen)
{
    uint64_t h = tuple_hash(g->scratch_ids, nids, g->scratch_conf, g->nconf);
    size_t i = (size_t)h & (g->tuples_size - 1);
    while (g->tuples[i] != CDP_NO_NODE &&
           !tuple_equal(g, g->tuples[i], g->scratch_ids, nids, g->scratch_conf))
        i = (i + 1) & (g->tuples_size - 1);
    uint32_t n = g->tuples[i];
    if (n == CDP_NO_NODE) {
        n = new_node(g, g->scratch_ids, nids, g->scratch_conf, false, src, rid, rlen);
        g->tuples[i] = n;
        if (++g->ntuples * 2 > g->tuples_size)
            tuples_grow(g);
    } else if (src == g->nodes[n].source ? strcmp(rid, rid_of(g, n)) < 0
                                         : rep_cmp(source, rid, source_of(g, n), rid_of(g, n)) < 0) {
        g->nodes[n].source = src;
        g->nodes[n].rid = store_rid(g, rid, rlen);
    }
    return n;
}

/* The id of a value given as its interned bytes (key index + 1, value). */
static uint32_t value_id_hashed(struct cdp_graph *g, size_t key, const char *kv, size_t kvlen,
                                uint64_t hash)
{
    int added;
    uint32_t id = cdp_intern_add_hashed(g->strings, kv, kvlen, hash, &added);
    const char *v = kv + 1;
    size_t n = kvlen - 1;
    if (added) {
        if (id >= g->nvalues_cap) {
            g->nvalues_cap = g->nvalues_cap ? g->nvalues_cap * 2 : 4096;
            g->values = cdp_xrealloc(g->values, g->nvalues_cap * sizeof *g->values);
        }
        struct value *val = &g->values[id];
        val->key = (uint8_t)key;
        /* Block lists see composite parts joined by '+', as people write them. */
        const char *shown = v;
        char *joined = NULL;
        if (memchr(v, '\x1F', n)) {
            joined = cdp_xstrndup(v, n);
            for (size_t i = 0; i < n; i++)
                if (joined[i] == '\x1F')
                    joined[i] = '+';
            shown = joined;
        }
        val->state = cdp_keyset_blocked(g->keys, shown, n) ? BLOCKED : PENDING;
        free(joined);
        if (val->state == BLOCKED) {
            if (g->nblocked == g->blocked_cap) {
                g->blocked_cap = g->blocked_cap ? g->blocked_cap * 2 : 16;
                g->blocked_ids = cdp_xrealloc(g->blocked_ids, g->blocked_cap * sizeof *g->blocked_ids);
                g->blocked_records =
                    cdp_xrealloc(g->blocked_records, g->blocked_cap * sizeof *g->blocked_records);
            }
            g->blocked_ids[g->nblocked] = id;
            g->blocked_records[g->nblocked++] = 0;
        }
    }
    return id;
}

/* The records counted for blocked value id. */
static uint64_t *blocked_records(struct cdp_graph *g, uint32_t id)
{
    size_t lo = 0, hi = g->nblocked;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (g->blocked_ids[mid] <= id)
            lo = mid;
        else
            hi = mid;
    }
    return &g->blocked_records[lo];
}

static uint32_t value_id(struct cdp_graph *g, size_t key, const char *v, size_t n)
{
    struct cdp_buf *b = &g->tmp;
    cdp_buf_reset(b);
    cdp_buf_addc(b, (char)(key + 1));
    cdp_buf_add(b, v, n);
    return value_id_hashed(g, key, b->data, b->len, cdp_intern_hash(b->data, b->len));
}

/* Appends s, NUL-terminated (the graph compares _source and _rid as C strings). */
static void items_text(struct cdp_graph_items *out, const char *s, size_t n, uint64_t *off)
{
    *off = out->text.len;
    cdp_buf_add(&out->text, s, n);
    cdp_buf_addc(&out->text, '\0');
}

static bool field_is(const struct cdp_field *f, const char *want)
{
    return f && f->type == CDP_STRING && f->vlen == strlen(want) &&
           memcmp(f->val, want, f->vlen) == 0;
}

static void name_add(struct cdp_json_names *names, const char *name)
{
    cdp_json_names_add(names, name, strlen(name));
}

void cdp_graph_extract_fields(const struct cdp_keyset *keys, const char *const *conflicts,
                              size_t nconflicts, struct cdp_json_names *names)
{
    static const char *const fixed[] = { "_kind", "event", "cdp_id", "_source", "_rid", "ts", "last_name" };
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        name_add(names, fixed[i]);
    for (size_t k = 0; k < cdp_keyset_count(keys); k++) {
        const struct cdp_key *key = cdp_keyset_get(keys, k);
        for (size_t f = 0; f < key->nfields; f++)
            name_add(names, key->fields[f]);
    }
    for (size_t c = 0; c < nconflicts; c++)
        name_add(names, conflicts[c]);
}

void cdp_graph_extract(const struct cdp_keyset *keys, const char *const *conflicts,
                          size_t nconflicts, const struct cdp_record *r, const char *source,
                          uint64_t row_number, struct cdp_graph_items *out)
{
    if (out->n == out->cap) {
        out->cap = out->cap ? out->cap * 2 : 1024;
        out->v = cdp_xrealloc(out->v, out->cap * sizeof *out->v);
    }
    struct cdp_graph_item *it = &out->v[out->n++];
    const struct cdp_field *kind = cdp_record_gets(r, "_kind");
    it->person = kind ? field_is(kind, "person") : !cdp_record_gets(r, "event");
    it->had_id = cdp_record_gets(r, "cdp_id") != NULL;
    const struct cdp_field *src = cdp_record_gets(r, "_source");
    const struct cdp_field *rid = cdp_record_gets(r, "_rid");
    if (src && src->type == CDP_STRING)
        items_text(out, src->val, src->vlen, &it->source_off), it->source_len = src->vlen;
    else
        items_text(out, source, strlen(source), &it->source_off), it->source_len = (uint32_t)strlen(source);
    it->numbered = !rid || rid->type == CDP_NULL;
    if (it->numbered) {
        cdp_graph_items_renumber(out, out->n - 1, row_number);
    } else {
        items_text(out, rid->val, rid->vlen, &it->rid_off);
        it->rid_len = rid->vlen;
    }
    it->first_value = (uint32_t)out->nvalues;
    it->nvalues = 0;
    it->device = 0;
    it->ts = CDP_NO_TIME;
    size_t nkeys = cdp_keyset_count(keys);
    for (size_t k = 0; k < nkeys && it->nvalues < 64; k++) {
        size_t start = out->text.len;
        cdp_buf_addc(&out->text, (char)(k + 1));
        if (!cdp_key_value(keys, k, r, &out->text)) {
            out->text.len = start;
            continue;
        }
        if (out->nvalues == out->values_cap) {
            out->values_cap = out->values_cap ? out->values_cap * 2 : 4096;
            out->values = cdp_xrealloc(out->values, out->values_cap * sizeof *out->values);
        }
        struct cdp_graph_value *v = &out->values[out->nvalues++];
        v->off = start;
        v->len = (uint32_t)(out->text.len - start);
        v->key = (uint32_t)k;
        v->hash = cdp_intern_hash(out->text.data + start, v->len);
        it->nvalues++;
        it->device |= cdp_keyset_get(keys, k)->device;
    }
    const struct cdp_field *ts = it->device ? cdp_record_gets(r, "ts") : NULL;
    int64_t ms;
    if (ts && ts->type == CDP_STRING && cdp_time_parse(ts->val, ts->vlen, &ms))
        it->ts = ms;
    it->first_conf = (uint32_t)out->nconf;
    if (out->nconf + nconflicts > out->conf_cap) {
        while (out->nconf + nconflicts > out->conf_cap)
            out->conf_cap = out->conf_cap ? out->conf_cap * 2 : 4096;
        out->conf = cdp_xrealloc(out->conf, out->conf_cap * sizeof *out->conf);
        out->conf_len = cdp_xrealloc(out->conf_len, out->conf_cap * sizeof *out->conf_len);
    }
    for (size_t c = 0; c < nconflicts; c++) {
        out->conf[out->nconf] = 0;
        out->conf_len[out->nconf] = 0;
        size_t off = out->text.len;
        if (cdp_conflict_value(cdp_conflict_rule_of(conflicts[c]), conflicts[c], r, &out->text)) {
            out->conf[out->nconf] = off + 1;
            out->conf_len[out->nconf] = (uint32_t)(out->text.len - off);
            cdp_buf_addc(&out->text, '\0');
        }
        out->nconf++;
    }
}

void cdp_graph_items_renumber(struct cdp_graph_items *items, size_t i, uint64_t row_number)
{
    struct cdp_graph_item *it = &items->v[i];
    if (!it->numbered)
        return;
    char num[24];
    int k = snprintf(num, sizeof num, "%llu", (unsigned long long)row_number);
    items_text(items, num, (size_t)k, &it->rid_off);
    it->rid_len = (uint32_t)k;
}

void cdp_graph_items_clear(struct cdp_graph_items *items)
{
    items->n = items->nvalues = items->nconf = 0;
    cdp_buf_reset(&items->text);
}

void cdp_graph_items_release(struct cdp_graph_items *items)
{
    free(items->v);
    free(items->values);
    free(items->conf);
    free(items->conf_len);
    cdp_buf_release(&items->text);
    memset(items, 0, sizeof *items);
}

void cdp_graph_prefetch_item(const struct cdp_graph *g, const struct cdp_graph_items *items, size_t i,
                             int step)
{
    const struct cdp_graph_item *it = &items->v[i];
    for (uint32_t j = 0; j < it->nvalues; j++)
        cdp_intern_prefetch(g->strings, items->values[it->first_value + j].hash, step);
}

/* The id of a _source, most often the last record's (an input is read
 * whole before the next): its look-up and hash per record were a tenth of
 * the instructions adding records to the graph at 100k persons. */
static uint32_t source_id(struct cdp_graph *g, const char *source, size_t len)
{
    if (g->last_source != CDP_NO_NODE) {
        size_t have;
        const char *last = cdp_intern_str(g->sources, g->last_source, &have);
        if (have == len && memcmp(last, source, len) == 0)
            return g->last_source;
    }
    return g->last_source = cdp_intern_add(g->sources, source, len, NULL);
}

uint32_t cdp_graph_add_item(struct cdp_graph *g, const struct cdp_graph_items *items,
                               size_t i)
{
    const struct cdp_graph_item *it = &items->v[i];
    const char *text = items->text.data;
    bool person = it->person;
    g->counts.records++;
    if (person)
        g->counts.persons++;
    else
        g->counts.events++;
    size_t nids = 0;
    bool usable = false;
    for (uint32_t j = 0; j < it->nvalues; j++) {
        const struct cdp_graph_value *v = &items->values[it->first_value + j];
        uint32_t id = value_id_hashed(g, v->key, text + v->off, v->len, v->hash);
        if (g->values[id].state != BLOCKED)
            usable = true;
        else
            ++*blocked_records(g, id);
        g->scratch_ids[nids++] = id;
    }
    for (size_t c = 0; c < g->nconf; c++) {
        uint64_t off = items->conf[it->first_conf + c];
        g->scratch_conf[c] = off ? cdp_intern_add(g->conf_values, text + off - 1,
                                                  items->conf_len[it->first_conf + c], NULL)
                                 : CDP_NO_NODE;
    }
    if (!person && !usable) {
        g->counts.anonymous_events++;
        return CDP_NO_NODE;
    }
    /* Keep only usable values in the node, sorted (tuples compare as sets). */
    size_t k = 0;
    for (size_t j = 0; j < nids; j++)
        if (g->values[g->scratch_ids[j]].state != BLOCKED)
            g->scratch_ids[k++] = g->scratch_ids[j];
    nids = sort_unique(g->scratch_ids, k);
    const char *source = text + it->source_off, *rid = text + it->rid_off;
    uint32_t src = source_id(g, source, it->source_len);
    uint32_t n;
    if (person) {
        n = new_node(g, g->scratch_ids, nids, g->scratch_conf, true, src, rid, it->rid_len);
        index_person(g, n);
    } else {
        n = tuple_node(g, nids, src, source, rid, it->rid_len);
    }
    g->nodes[n].weight++;
    return n;
}

uint32_t cdp_graph_add_saved(struct cdp_graph *g, bool person, const char *source,
                                const char *rid, const char *const *values, size_t nvalues,
                                const char *const *conf, uint64_t weight)
{
    size_t nids = 0;
    for (size_t i = 0; i < nvalues && nids < 64; i++) {
        const char *sep = strchr(values[i], '\x1F');
        if (!sep)
            continue;
        size_t klen = (size_t)(sep - values[i]);
        for (size_t k = 0; k < g->nkeys; k++) {
            const char *name = cdp_keyset_get(g->keys, k)->name;
            if (strlen(name) == klen && memcmp(name, values[i], klen) == 0) {
                uint32_t id = value_id(g, k, sep + 1, strlen(sep + 1));
                if (g->values[id].state != BLOCKED)
                    g->scratch_ids[nids++] = id;
                else
                    *blocked_records(g, id) += weight;
                break;
            }
        }
    }
    for (size_t c = 0; c < g->nconf; c++)
        g->scratch_conf[c] = conf && conf[c] ? cdp_intern_add(g->conf_values, conf[c],
                                                              strlen(conf[c]), NULL)
                                             : CDP_NO_NODE;
    nids = sort_unique(g->scratch_ids, nids);
    uint32_t src = source_id(g, source, strlen(source));
    uint32_t n;
    if (person) {
        n = new_node(g, g->scratch_ids, nids, g->scratch_conf, true, src, rid, strlen(rid));
        index_person(g, n);
    } else {
        if (nids == 0)
            return CDP_NO_NODE;
        n = tuple_node(g, nids, src, source, rid, strlen(rid));
    }
    g->nodes[n].weight += weight;
    return n;
}

/* Union-find with path halving. */
static uint32_t find(uint32_t *parent, uint32_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

static bool exclusive(const struct cdp_graph *g, uint32_t value)
{
    return cdp_keyset_get(g->keys, g->values[value].key)->exclusive;
}

/* Whether the group of root r is a distinct person in the eyes of value v. */
static bool is_identity(const struct cdp_graph *g, uint32_t r, uint32_t v)
{
    const struct root *rt = &g->roots[r];
    return rt->person || rt->excl_many || (rt->excl_first != CDP_NO_NODE && rt->excl_first != v);
}

static void value_text(struct cdp_graph *g, uint32_t v, const char **text, size_t *len)
{
    size_t n;
    const char *s = cdp_intern_str(g->strings, v, &n);
    cdp_buf_reset(&g->tmp);
    for (size_t i = 1; i < n; i++)
        cdp_buf_addc(&g->tmp, s[i] == '\x1F' ? '+' : s[i]);
    *text = g->tmp.data ? g->tmp.data : "";
    *len = g->tmp.len;
}

static void report(struct cdp_graph *g, cdp_link_fn fn, void *ctx, struct cdp_link *l,
                   uint32_t v)
{
    if (!fn)
        return;
    l->key = cdp_keyset_get(g->keys, g->values[v].key)->name;
    value_text(g, v, &l->value, &l->value_len);
    fn(ctx, l);
}

/* Reports a link of a model pair (v == CDP_NO_NODE) or of value v. */
static void report_link(struct cdp_graph *g, cdp_link_fn fn, void *ctx, struct cdp_link *l,
                        uint32_t v, const struct pair *pr)
{
    if (v != CDP_NO_NODE) {
        report(g, fn, ctx, l, v);
        return;
    }
    if (!fn)
        return;
    l->key = "model";
    l->value = "";
    l->value_len = 0;
    l->pair = pr->tag;
    l->weight = pr->weight;
    fn(ctx, l);
}

/* ---- conflicts: the distinct values of each group ------------------------- */

#define CONF_LIST 0x80000000u
/* A group holds at most this many distinct values of one field that were
 * all compatible (typos of one date): more are kept but not compared. */
#define CONF_MAX_VALUES 64

static uint32_t conf_push(struct cdp_graph *g, uint32_t value, uint32_t next)
{
    if (g->nconf_list == g->conf_list_cap) {
        g->conf_list_cap = g->conf_list_cap ? g->conf_list_cap * 2 : 1024;
        g->conf_list = cdp_xrealloc(g->conf_list, g->conf_list_cap * sizeof *g->conf_list);
    }
    g->conf_list[g->nconf_list] = (struct conf_item){ value, next };
    return CONF_LIST | (uint32_t)g->nconf_list++;
}

/* The values of group r for field c, into out; returns how many. */
static size_t conf_of(const struct cdp_graph *g, uint32_t r, size_t c, uint32_t out[CONF_MAX_VALUES])
{
    uint32_t h = g->conf[(size_t)r * g->nconf + c];
    if (h == CDP_NO_NODE)
        return 0;
    if (!(h & CONF_LIST)) {
        out[0] = h;
        return 1;
    }
    size_t n = 0;
    for (uint32_t i = h; i != CDP_NO_NODE && n < CONF_MAX_VALUES; i = g->conf_list[i & ~CONF_LIST].next)
        out[n++] = g->conf_list[i & ~CONF_LIST].value;
    return n;
}

/* Group ra takes the values of group rb for field c that it lacks. */
static void conf_merge(struct cdp_graph *g, size_t c, uint32_t ra, uint32_t rb)
{
    uint32_t *head = &g->conf[(size_t)ra * g->nconf + c];
    uint32_t va[CONF_MAX_VALUES], vb[CONF_MAX_VALUES];
    size_t nb = conf_of(g, rb, c, vb), na = conf_of(g, ra, c, va);
    if (!nb)
        return;
    if (!na) {
        *head = g->conf[(size_t)rb * g->nconf + c];
        return;
    }
    for (size_t j = 0; j < nb; j++) {
        bool have = false;
        for (size_t i = 0; i < na && !have; i++)
            have = va[i] == vb[j];
        if (have)
            continue;
        if (!(*head & CONF_LIST))
            *head = conf_push(g, *head, CDP_NO_NODE);
        *head = conf_push(g, vb[j], *head);
    }
}

static bool values_differ(struct cdp_graph *g, size_t c, uint32_t x, uint32_t y)
{
    size_t xl, yl;
    const char *xs = cdp_intern_str(g->conf_values, x, &xl), *ys = cdp_intern_str(g->conf_values, y, &yl);
    return cdp_conflict_differ(g->conflict_cache, g->rules[c], x, xs, xl, y, ys, yl);
}

/* The first field (field only, when it is not -1) on which groups ra and
 * rb hold certainly different values, the two values in *xa and *xb; -1
 * when none. */
static int differ_on(struct cdp_graph *g, uint32_t ra, uint32_t rb, int only, uint32_t *xa, uint32_t *xb)
{
    for (size_t c = 0; c < g->nconf; c++) {
        if ((only >= 0 && c != (size_t)only) || g->relaxed[c])
            continue;
        uint32_t va[CONF_MAX_VALUES], vb[CONF_MAX_VALUES];
        size_t na = conf_of(g, ra, c, va), nb = na ? conf_of(g, rb, c, vb) : 0;
        for (size_t i = 0; i < na; i++)
            for (size_t j = 0; j < nb; j++)
                if (values_differ(g, c, va[i], vb[j])) {
                    *xa = va[i];
                    *xb = vb[j];
                    return (int)c;
                }
    }
    return -1;
}

/* Fills a conflict link's field and the two values shown, and counts it. */
static void refused_link(struct cdp_graph *g, struct cdp_link *l, const char *field, const char *a,
                         size_t alen, const char *b, size_t blen)
{
    cdp_buf_reset(&g->shown_a);
    cdp_buf_add(&g->shown_a, a, alen);
    cdp_buf_reset(&g->shown_b);
    cdp_buf_add(&g->shown_b, b, blen);
    l->field = field;
    l->value_a = g->shown_a.data;
    l->value_b = g->shown_b.data;
    g->counts.links_conflict++;
}

/* Fills a conflict link's field and values (as shown: a given name without
 * the last name it carries), and counts it. */
static void conflict_link(struct cdp_graph *g, struct cdp_link *l, size_t c, uint32_t xa, uint32_t xb)
{
    size_t la, lb;
    const char *a = cdp_intern_str(g->conf_values, xa, &la), *b = cdp_intern_str(g->conf_values, xb, &lb);
    refused_link(g, l, g->conflicts[c], a, cdp_conflict_shown_len(a, la), b, cdp_conflict_shown_len(b, lb));
}

/* ---- accounts: two customers of one source -------------------------------- */

/* A model link never joins two groups that hold person records of one
 * source (two customers of the CRM, two shop accounts) whose phones are
 * certainly different: not equal and more than one typo apart. The source
 * gave them two accounts and each has its own phone, so the names and the
 * birth date the model found alike belong to two namesakes. Shared key
 * values (an e-mail, a card) still join such records: this rule holds the
 * model, weaker evidence, only. On 1M generated persons (CRM and shop,
 * 1,546,334 records) every namesake pair the model merged had two CRM
 * records with different phones, and no record of one person was linked
 * to another of the same source with a different phone by the model. */

/* The first person node of each group that holds a phone; the lists are
 * kept while the model links. */
static void accounts_start(struct cdp_graph *g)
{
    size_t phone_key = SIZE_MAX;
    for (size_t k = 0; k < g->nkeys && phone_key == SIZE_MAX; k++)
        if (strcmp(cdp_keyset_get(g->keys, k)->name, "phone") == 0)
            phone_key = k;
    if (phone_key == SIZE_MAX || !g->nconf || !g->npairs)
        return;
    size_t nn = g->nnodes;
    g->acct_phone = cdp_xmalloc((nn + 1) * sizeof *g->acct_phone);
    g->acct_next = cdp_xmalloc((nn + 1) * sizeof *g->acct_next);
    g->acct_head = cdp_xmalloc((nn + 1) * sizeof *g->acct_head);
    g->acct_tail = cdp_xmalloc((nn + 1) * sizeof *g->acct_tail);
    memset(g->acct_head, 0xFF, (nn + 1) * sizeof *g->acct_head);
    for (uint32_t n = 0; n < nn; n++) {
        g->acct_phone[n] = g->acct_next[n] = CDP_NO_NODE;
        if (!g->nodes[n].person)
            continue;
        const uint32_t *ids = g->node_values + g->nodes[n].values;
        for (uint16_t i = 0; i < g->nodes[n].nvalues; i++)
            if (g->values[ids[i]].key == phone_key) {
                g->acct_phone[n] = ids[i];
                break;
            }
        if (g->acct_phone[n] == CDP_NO_NODE)
            continue;
        uint32_t r = find(g->parent, n);
        if (g->acct_head[r] == CDP_NO_NODE)
            g->acct_head[r] = n;
        else
            g->acct_next[g->acct_tail[r]] = n;
        g->acct_tail[r] = n;
    }
}

/* Root ra takes root rb's list. */
static void accounts_splice(struct cdp_graph *g, uint32_t ra, uint32_t rb)
{
    if (g->acct_head[rb] == CDP_NO_NODE)
        return;
    if (g->acct_head[ra] == CDP_NO_NODE)
        g->acct_head[ra] = g->acct_head[rb];
    else
        g->acct_next[g->acct_tail[ra]] = g->acct_head[rb];
    g->acct_tail[ra] = g->acct_tail[rb];
}

static bool phones_differ(struct cdp_graph *g, uint32_t x, uint32_t y)
{
    if (x == y)
        return false;
    size_t xl, yl;
    const char *xs = cdp_intern_str(g->strings, x, &xl), *ys = cdp_intern_str(g->strings, y, &yl);
    return cdp_damerau(xs + 1, xl - 1, ys + 1, yl - 1) > 1;
}

/* Whether groups ra and rb hold person records of one source with
 * certainly different phones; the two nodes in *xa, *xb. At most
 * CONF_MAX_VALUES records of each group are compared. */
static bool accounts_differ(struct cdp_graph *g, uint32_t ra, uint32_t rb, uint32_t *xa, uint32_t *xb)
{
    size_t i = 0;
    for (uint32_t x = g->acct_head[ra]; x != CDP_NO_NODE && i < CONF_MAX_VALUES; x = g->acct_next[x], i++) {
        size_t j = 0;
        for (uint32_t y = g->acct_head[rb]; y != CDP_NO_NODE && j < CONF_MAX_VALUES; y = g->acct_next[y], j++)
            if (g->nodes[x].source == g->nodes[y].source &&
                phones_differ(g, g->acct_phone[x], g->acct_phone[y])) {
                *xa = x;
                *xb = y;
                return true;
            }
    }
    return false;
}

/* Fills a conflict link of two accounts: the field is the phone, its
 * values those of nodes xa and xb. */
static void account_link(struct cdp_graph *g, struct cdp_link *l, uint32_t xa, uint32_t xb)
{
    /* a key value's text starts with its key's index + 1 */
    size_t la, lb;
    const char *a = cdp_intern_str(g->strings, g->acct_phone[xa], &la);
    const char *b = cdp_intern_str(g->strings, g->acct_phone[xb], &lb);
    refused_link(g, l, "phone", a + 1, la - 1, b + 1, lb - 1);
}

/* Joins the groups of a and b unless they disagree on a stable attribute.
 * The evidence is value v, or model pair pr when v is CDP_NO_NODE.
 * Returns true when joined (or already one). */
static bool join(struct cdp_graph *g, uint32_t v, const struct pair *pr, uint32_t a, uint32_t b,
                 cdp_link_fn fn, void *ctx)
{
    uint32_t ra = find(g->parent, a), rb = find(g->parent, b);
    if (ra == rb)
        return true;
    uint32_t xa, xb;
    int c = differ_on(g, ra, rb, -1, &xa, &xb);
    if (c >= 0) {
        struct cdp_link l = { .kind = CDP_LINK_CONFLICT, .a = a, .b = b };
        conflict_link(g, &l, (size_t)c, xa, xb);
        report_link(g, fn, ctx, &l, v, pr);
        return false;
    }
    if (pr && g->acct_head && accounts_differ(g, ra, rb, &xa, &xb)) {
        struct cdp_link l = { .kind = CDP_LINK_CONFLICT, .a = a, .b = b };
        account_link(g, &l, xa, xb);
        report_link(g, fn, ctx, &l, v, pr);
        return false;
    }
    if (g->size[ra] < g->size[rb]) {
        uint32_t t = ra;
        ra = rb;
        rb = t;
    }
    if (g->acct_head)
        accounts_splice(g, ra, rb);
    g->parent[rb] = ra;
    g->size[ra] += g->size[rb];
    struct root *x = &g->roots[ra], *y = &g->roots[rb];
    if (x->old != CDP_NO_NODE && y->old != CDP_NO_NODE && x->old != y->old) {
        /* Two people known before become one: remember why. */
        if (g->nmerges == g->merges_cap) {
            g->merges_cap = g->merges_cap ? g->merges_cap * 2 : 64;
            g->merges = cdp_xrealloc(g->merges, g->merges_cap * sizeof *g->merges);
        }
        struct cdp_graph_merge *m = &g->merges[g->nmerges++];
        m->old_a = x->old;
        m->old_b = y->old;
        m->node_a = a;
        m->node_b = b;
        if (v == CDP_NO_NODE) {
            m->key = "model";
            m->value = cdp_xstrdup("");
        } else {
            m->key = cdp_keyset_get(g->keys, g->values[v].key)->name;
            const char *text;
            size_t len;
            value_text(g, v, &text, &len);
            m->value = cdp_xstrndup(text, len);
        }
    }
    if (x->old == CDP_NO_NODE)
        x->old = y->old;
    x->person |= y->person;
    if (y->excl_first != CDP_NO_NODE) {
        if (x->excl_first == CDP_NO_NODE)
            x->excl_first = y->excl_first;
        else if (x->excl_first != y->excl_first)
            x->excl_many = 1;
    }
    x->excl_many |= y->excl_many;
    if (rep_cmp(source_of(g, y->min_node), rid_of(g, y->min_node), source_of(g, x->min_node),
                rid_of(g, x->min_node)) < 0)
        x->min_node = y->min_node;
    for (size_t c = 0; c < g->nconf; c++)
        if (!g->relaxed[c])
            conf_merge(g, c, ra, rb);
    g->counts.links_used++;
    struct cdp_link l = { .kind = CDP_LINK_USED, .a = a, .b = b };
    report_link(g, fn, ctx, &l, v, pr);
    return true;
}

/* Whether the groups holding v disagree on a stable attribute. Then the
 * value is ambiguous: it is not used at all, not even to attach events to
 * one of the groups (which of the two people sent them?). The first
 * disagreeing pair is reported: field by field, the first node whose group
 * differs from the group of an earlier node. */
static bool conflicted(struct cdp_graph *g, uint32_t v, cdp_link_fn fn, void *ctx)
{
    const uint32_t *nodes = g->value_nodes + g->value_first[v];
    uint32_t count = g->value_first[v + 1] - g->value_first[v];
    for (size_t c = 0; c < g->nconf; c++) {
        if (g->relaxed[c])
            continue;
        size_t nroots = 0; /* pairs (root, its first node) with values for c */
        for (uint32_t i = 0; i < count; i++) {
            uint32_t n = nodes[i];
            uint32_t r = find(g->parent, n);
            if (g->conf[(size_t)r * g->nconf + c] == CDP_NO_NODE)
                continue;
            bool seen = false;
            for (size_t k = 0; k < nroots && !seen; k++)
                seen = g->conf_roots[2 * k] == r;
            if (seen)
                continue;
            for (size_t k = 0; k < nroots; k++) {
                uint32_t xa, xb;
                if (differ_on(g, g->conf_roots[2 * k], r, (int)c, &xa, &xb) < 0)
                    continue;
                struct cdp_link l = { .kind = CDP_LINK_CONFLICT, .a = g->conf_roots[2 * k + 1], .b = n };
                conflict_link(g, &l, c, xa, xb);
                report(g, fn, ctx, &l, v);
                return true;
            }
            if (2 * (nroots + 1) > g->conf_roots_cap) {
                g->conf_roots_cap = g->conf_roots_cap ? g->conf_roots_cap * 2 : 64;
                g->conf_roots = cdp_xrealloc(g->conf_roots, g->conf_roots_cap * sizeof *g->conf_roots);
            }
            g->conf_roots[2 * nroots] = r;
            g->conf_roots[2 * nroots + 1] = n;
            nroots++;
        }
    }
    return false;
}

/* Distinct people among the nodes of v, counting no further than stop. */
static uint64_t people(struct cdp_graph *g, uint32_t v, uint32_t *stamp, uint32_t mark,
                       uint64_t stop)
{
    const uint32_t *nodes = g->value_nodes + g->value_first[v];
    uint32_t n = g->value_first[v + 1] - g->value_first[v];
    uint64_t count = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = find(g->parent, nodes[i]);
        if (stamp[r] == mark || !is_identity(g, r, v))
            continue;
        stamp[r] = mark;
        if (++count > stop)
            break;
    }
    return count;
}

/* Every node its own group, with what merge protection needs of it. */
static void init_roots(struct cdp_graph *g)
{
    size_t nn = g->nnodes;
    g->parent = cdp_xmalloc((nn + 1) * sizeof *g->parent);
    g->size = cdp_xmalloc((nn + 1) * sizeof *g->size);
    g->roots = cdp_xmalloc((nn + 1) * sizeof *g->roots);
    g->conf = cdp_xmalloc((nn * g->nconf + 1) * sizeof *g->conf);
    if (g->nconf && nn)
        memcpy(g->conf, g->node_conf, nn * g->nconf * sizeof *g->conf);
    for (uint32_t n = 0; n < nn; n++) {
        g->parent[n] = n;
        g->size[n] = 1;
        struct root *r = &g->roots[n];
        r->old = g->old[n];
        r->person = g->nodes[n].person;
        r->excl_first = CDP_NO_NODE;
        r->excl_many = 0;
        r->min_node = n;
        const uint32_t *ids = g->node_values + g->nodes[n].values;
        for (uint16_t i = 0; i < g->nodes[n].nvalues; i++) {
            if (!exclusive(g, ids[i]))
                continue;
            if (r->excl_first == CDP_NO_NODE)
                r->excl_first = ids[i];
            else if (r->excl_first != ids[i])
                r->excl_many = 1;
        }
    }
}

/* Each value's nodes, in node order: value v's are value_nodes from
 * value_first[v] to value_first[v + 1]. */
static void index_value_nodes(struct cdp_graph *g)
{
    size_t nn = g->nnodes, nv = cdp_intern_count(g->strings);
    uint32_t *first = g->value_first = cdp_xcalloc(nv + 1, sizeof *g->value_first);
    for (size_t i = 0; i < g->nnv; i++)
        first[g->node_values[i]]++;
    uint32_t off = 0;
    for (size_t v = 0; v <= nv; v++) {
        uint32_t count = first[v];
        first[v] = off;
        off += count;
    }
    /* first[v] moves on as v's nodes are placed, ending where v + 1's start */
    g->value_nodes = cdp_xmalloc((g->nnv + 1) * sizeof *g->value_nodes);
    for (uint32_t n = 0; n < nn; n++) {
        const uint32_t *ids = g->node_values + g->nodes[n].values;
        for (uint16_t i = 0; i < g->nodes[n].nvalues; i++)
            g->value_nodes[first[ids[i]]++] = n;
    }
    memmove(first + 1, first, nv * sizeof *first);
    first[0] = 0;
}

/* The values to apply, in the order evidence is applied: the strongest key
 * first, and within a key, the values in the order they were first seen.
 * The blocked ones are reported. */
static uint32_t *pending_values(struct cdp_graph *g, size_t *npending, cdp_link_fn fn, void *ctx)
{
    size_t nv = cdp_intern_count(g->strings);
    uint32_t *pending = cdp_xmalloc((nv + 1) * sizeof *pending);
    *npending = 0;
    for (size_t k = 0; k < g->nkeys; k++)
        for (size_t v = 0; v < nv; v++)
            if (g->values[v].key == k && g->values[v].state == PENDING)
                pending[(*npending)++] = (uint32_t)v;
    for (size_t v = 0; v < nv; v++)
        if (g->values[v].state == BLOCKED) {
            g->counts.blocked_values++;
            struct cdp_link l = { .kind = CDP_LINK_BLOCKED, .a = CDP_NO_NODE, .b = CDP_NO_NODE };
            l.people = *blocked_records(g, (uint32_t)v);
            report(g, fn, ctx, &l, (uint32_t)v);
        }
    return pending;
}

/* Applies the shared values in rounds: a value over its key's limit is
 * tried again in the next round, since linking can only lower its count,
 * until a round links nothing. What stays over the limit is reported with
 * its full count. */
/* Applies value v: refused when the groups holding it are certainly
 * different people, else every group holding it joins the first node's.
 * Returns whether anything was joined. */
static bool apply_value(struct cdp_graph *g, uint32_t v, cdp_link_fn fn, void *ctx)
{
    struct value *val = &g->values[v];
    if (conflicted(g, v, fn, ctx)) {
        val->state = CONFLICTED;
        return false;
    }
    val->state = APPLIED;
    bool joined = false;
    const uint32_t *nodes = g->value_nodes + g->value_first[v];
    uint32_t count = g->value_first[v + 1] - g->value_first[v];
    uint32_t first = nodes[0];
    for (uint32_t j = 1; j < count; j++) {
        uint32_t n = nodes[j];
        uint32_t before = g->counts.links_used;
        join(g, v, NULL, first, n, fn, ctx);
        joined |= g->counts.links_used != before;
    }
    return joined;
}

static void link_by_values(struct cdp_graph *g, uint32_t *pending, size_t npending, cdp_link_fn fn,
                           void *ctx)
{
    uint32_t *stamp = cdp_xcalloc(g->nnodes + 1, sizeof *stamp);
    uint32_t mark = 0;
    bool progress = true;
    while (npending && progress) {
        progress = false;
        g->counts.rounds++;
        size_t kept = 0;
        for (size_t i = 0; i < npending; i++) {
            uint32_t v = pending[i];
            struct value *val = &g->values[v];
            unsigned limit = cdp_keyset_get(g->keys, val->key)->limit;
            if (people(g, v, stamp, ++mark, limit) > limit) {
                val->state = OVER_LIMIT;
                pending[kept++] = v;
                continue;
            }
            progress |= apply_value(g, v, fn, ctx);
        }
        npending = kept;
    }
    for (size_t i = 0; i < npending; i++) {
        uint32_t v = pending[i];
        if (cdp_keyset_get(g->keys, g->values[v].key)->device) {
            /* decided once the model has linked too (link_by_devices) */
            g->values[v].state = PENDING;
            g->waiting = cdp_xrealloc(g->waiting, (g->nwaiting + 1) * sizeof *g->waiting);
            g->waiting[g->nwaiting++] = v;
            continue;
        }
        g->counts.over_limit_values++;
        struct cdp_link l = { .kind = CDP_LINK_OVER_LIMIT, .a = CDP_NO_NODE, .b = CDP_NO_NODE };
        l.limit = cdp_keyset_get(g->keys, g->values[v].key)->limit;
        l.people = people(g, v, stamp, ++mark, UINT64_MAX);
        report(g, fn, ctx, &l, v);
    }
    free(stamp);
}

/* The devices several people logged in on, once everything else has
 * linked: one person's after all are applied; the rest are shared, never a
 * link, and reported. */
static void link_by_devices(struct cdp_graph *g, cdp_link_fn fn, void *ctx)
{
    uint32_t *stamp = cdp_xcalloc(g->nnodes + 1, sizeof *stamp);
    uint32_t mark = 0;
    for (size_t i = 0; i < g->nwaiting; i++) {
        uint32_t v = g->waiting[i];
        uint64_t k = people(g, v, stamp, ++mark, UINT64_MAX);
        if (k <= 1) {
            apply_value(g, v, fn, ctx);
            continue;
        }
        g->values[v].state = SHARED_DEVICE;
        g->counts.shared_devices++;
        struct cdp_link l = { .kind = CDP_LINK_SHARED_DEVICE, .a = CDP_NO_NODE, .b = CDP_NO_NODE };
        l.people = k;
        report(g, fn, ctx, &l, v);
    }
    free(stamp);
}

/* Whether group r is someone's: it holds a person record or an identifier
 * of one person. */
static bool identified(const struct cdp_graph *g, uint32_t r)
{
    return g->roots[r].person || g->roots[r].excl_first != CDP_NO_NODE;
}

/* The events no group may claim, in groups of nobody's: those on a shared
 * device (their records go by time, linker.h), and those holding a value
 * refused because the people who share it are certainly different (whose
 * receipt is it?). The refused values are reported with the records they
 * left without a person. */
static void mark_fates(struct cdp_graph *g, cdp_link_fn fn, void *ctx)
{
    size_t nn = g->nnodes;
    g->fate = cdp_xcalloc(nn + 1, 1);
    bool any_ambiguous = false;
    for (uint32_t n = 0; n < nn; n++) {
        if (g->nodes[n].person || identified(g, find(g->parent, n)))
            continue;
        const uint32_t *ids = g->node_values + g->nodes[n].values;
        for (uint16_t i = 0; i < g->nodes[n].nvalues; i++)
            if (g->values[ids[i]].state == SHARED_DEVICE)
                g->fate[n] = CDP_NODE_BY_TIME;
        for (uint16_t i = 0; i < g->nodes[n].nvalues && !g->fate[n]; i++)
            if (g->values[ids[i]].state == CONFLICTED) {
                g->fate[n] = CDP_NODE_AMBIGUOUS;
                g->counts.ambiguous_events += g->nodes[n].weight;
                any_ambiguous = true;
            }
    }
    size_t nv = cdp_intern_count(g->strings);
    for (uint32_t v = 0; v < nv && any_ambiguous; v++) {
        if (g->values[v].state != CONFLICTED)
            continue;
        uint64_t records = 0;
        for (uint32_t i = g->value_first[v]; i < g->value_first[v + 1]; i++) {
            uint32_t n = g->value_nodes[i];
            if (g->fate[n] == CDP_NODE_AMBIGUOUS)
                records += g->nodes[n].weight;
        }
        if (!records)
            continue;
        struct cdp_link l = { .kind = CDP_LINK_AMBIGUOUS, .a = CDP_NO_NODE, .b = CDP_NO_NODE };
        l.people = records;
        report(g, fn, ctx, &l, v);
    }
}

/* The model's links, weaker than any shared value: the strongest first
 * (ties in the order given), with the same conflict checks. */
static void link_by_model(struct cdp_graph *g, cdp_link_fn fn, void *ctx)
{
    if (g->npairs)
        qsort(g->pairs, g->npairs, sizeof *g->pairs, cmp_pair_weight);
    accounts_start(g);
    for (size_t i = 0; i < g->npairs; i++) {
        const struct pair *pr = &g->pairs[i];
        uint32_t before = g->counts.links_used;
        join(g, CDP_NO_NODE, pr, pr->a, pr->b, fn, ctx);
        if (g->counts.links_used != before)
            g->counts.model_links_used++;
    }
}

/* Dense group numbers in node order. */
static void number_groups(struct cdp_graph *g)
{
    size_t nn = g->nnodes;
    g->groups = cdp_xmalloc((nn + 1) * sizeof *g->groups);
    uint32_t *group_of_root = cdp_xmalloc((nn + 1) * sizeof *group_of_root);
    memset(group_of_root, 0xFF, (nn + 1) * sizeof *group_of_root);
    g->group_min = cdp_xmalloc((nn + 1) * sizeof *g->group_min);
    g->ngroups = 0;
    for (uint32_t n = 0; n < nn; n++) {
        g->groups[n] = CDP_NO_NODE;
        if (g->fate[n] != CDP_NODE_GROUP)
            continue;
        uint32_t r = find(g->parent, n);
        if (group_of_root[r] == CDP_NO_NODE) {
            group_of_root[r] = (uint32_t)g->ngroups;
            g->group_min[g->ngroups++] = g->roots[r].min_node;
        }
        g->groups[n] = group_of_root[r];
    }
    free(group_of_root);
}

/* What only adding records needed: the indexes that find a value, a
 * conflict value, a source, a person record or an event tuple. Freed before
 * resolving allocates its own arrays: at 1M persons they were 100 MB of the
 * 1 GB peak, which came in resolving and after. */
static void free_indexes(struct cdp_graph *g)
{
    cdp_intern_seal(g->strings);
    cdp_intern_seal(g->conf_values);
    cdp_intern_seal(g->sources);
    free(g->persons);
    g->persons = NULL;
    g->persons_size = 0;
    free(g->tuples);
    g->tuples = NULL;
    g->tuples_size = 0;
}

/* What only linking needed (the groups, their conflict values, each
 * value's nodes, the model's pairs), freed before the ids, pass 2 and the
 * state are made. */
static void free_linking(struct cdp_graph *g)
{
    free(g->parent);
    free(g->size);
    free(g->roots);
    free(g->conf);
    free(g->conf_list);
    free(g->conf_roots);
    free(g->value_nodes);
    free(g->value_first);
    free(g->waiting);
    free(g->pairs);
    free(g->acct_phone);
    free(g->acct_next);
    free(g->acct_head);
    free(g->acct_tail);
    g->parent = g->size = g->conf = g->conf_roots = g->value_nodes = g->value_first = g->waiting = NULL;
    g->roots = NULL;
    g->conf_list = NULL;
    g->pairs = NULL;
    g->acct_phone = g->acct_next = g->acct_head = g->acct_tail = NULL;
    g->nconf_list = g->conf_list_cap = g->conf_roots_cap = g->nwaiting = g->npairs = g->pairs_cap = 0;
}

void cdp_graph_resolve(struct cdp_graph *g, cdp_link_fn fn, void *ctx)
{
    free_indexes(g);
    init_roots(g);
    index_value_nodes(g);
    size_t npending;
    uint32_t *pending = pending_values(g, &npending, fn, ctx);
    link_by_values(g, pending, npending, fn, ctx);
    free(pending);
    link_by_model(g, fn, ctx);
    link_by_devices(g, fn, ctx);
    mark_fates(g, fn, ctx);
    number_groups(g);
    g->counts.nodes = g->nnodes;
    g->counts.values = cdp_intern_count(g->strings);
    free_linking(g);
}

enum cdp_node_fate cdp_graph_node_fate(const struct cdp_graph *g, uint32_t node)
{
    return (enum cdp_node_fate)g->fate[node];
}

uint32_t cdp_graph_node_shared_device(const struct cdp_graph *g, uint32_t node)
{
    const uint32_t *ids = g->node_values + g->nodes[node].values;
    for (uint16_t i = 0; i < g->nodes[node].nvalues; i++)
        if (g->values[ids[i]].state == SHARED_DEVICE)
            return ids[i];
    return CDP_NO_NODE;
}

uint32_t cdp_graph_group(const struct cdp_graph *g, uint32_t node)
{
    return node == CDP_NO_NODE ? CDP_NO_NODE : g->groups[node];
}

size_t cdp_graph_groups(const struct cdp_graph *g)
{
    return g->ngroups;
}

void cdp_graph_group_min(const struct cdp_graph *g, uint32_t group, const char **source,
                            const char **rid)
{
    cdp_graph_node_record(g, g->group_min[group], source, rid);
}

void cdp_graph_node_record(const struct cdp_graph *g, uint32_t node, const char **source,
                              const char **rid)
{
    *source = source_of(g, node);
    *rid = rid_of(g, node);
}

size_t cdp_graph_nodes(const struct cdp_graph *g)
{
    return g->nnodes;
}

uint64_t cdp_graph_node_weight(const struct cdp_graph *g, uint32_t node)
{
    return g->nodes[node].weight;
}

bool cdp_graph_node_is_person(const struct cdp_graph *g, uint32_t node)
{
    return g->nodes[node].person;
}

void cdp_graph_counts(const struct cdp_graph *g, struct cdp_graph_counts *c)
{
    *c = g->counts;
}

void cdp_graph_set_old(struct cdp_graph *g, uint32_t node, uint32_t old)
{
    g->old[node] = old;
}

uint32_t cdp_graph_old(const struct cdp_graph *g, uint32_t node)
{
    return g->old[node];
}

const struct cdp_graph_merge *cdp_graph_merges(const struct cdp_graph *g, size_t *n)
{
    *n = g->nmerges;
    return g->merges;
}

void cdp_graph_node_values(const struct cdp_graph *g, uint32_t node,
                              void (*fn)(void *ctx, const char *kv, size_t len), void *ctx)
{
    struct cdp_buf b = CDP_BUF_INIT;
    const struct node *nd = &g->nodes[node];
    for (uint16_t i = 0; i < nd->nvalues; i++) {
        uint32_t v = g->node_values[nd->values + i];
        size_t n;
        const char *s = cdp_intern_str(g->strings, v, &n);
        cdp_buf_reset(&b);
        cdp_buf_adds(&b, cdp_keyset_get(g->keys, g->values[v].key)->name);
        cdp_buf_addc(&b, '\x1F');
        cdp_buf_add(&b, s + 1, n - 1);
        fn(ctx, b.data, b.len);
    }
    cdp_buf_release(&b);
}

const char *cdp_graph_node_conflict(const struct cdp_graph *g, uint32_t node, size_t c)
{
    uint32_t v = g->node_conf[(size_t)node * g->nconf + c];
    return v == CDP_NO_NODE ? NULL : cdp_intern_str(g->conf_values, v, NULL);
}

size_t cdp_graph_conflict_count(const struct cdp_graph *g)
{
    return g->nconf;
}

const char *cdp_graph_conflict_field(const struct cdp_graph *g, size_t c)
{
    return g->conflicts[c];
}

void cdp_graph_relax_conflict(struct cdp_graph *g, size_t c)
{
    g->relaxed[c] = true;
}

bool cdp_graph_conflict_relaxed(const struct cdp_graph *g, size_t c)
{
    return g->relaxed[c];
}

void cdp_graph_add_pair(struct cdp_graph *g, uint32_t a, uint32_t b, double weight,
                           uint32_t tag)
{
    if (g->npairs == g->pairs_cap) {
        g->pairs_cap = g->pairs_cap ? g->pairs_cap * 2 : 1024;
        g->pairs = cdp_xrealloc(g->pairs, g->pairs_cap * sizeof *g->pairs);
    }
    g->pairs[g->npairs] = (struct pair){ a, b, weight, tag, (uint32_t)g->npairs };
    g->npairs++;
}
