/* membership.c: previous memberships, followed through merges; see
 * membership.h. */
#include "segment/membership.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "identity/journal.h"
#include "io/json.h"
#include "io/runfile.h"

struct pair {
    uint32_t person, name;
};

struct cdp_memberships {
    struct cdp_intern *names; /* not owned */
    struct cdp_intern *ids;
    struct pair *pairs;
    size_t npairs, pairs_cap;
    uint32_t *survivor; /* per person: itself, or whom it was merged into */
    size_t nsurv;
    uint32_t *first; /* CSR after finish: person -> its names */
    uint32_t *list;
};

struct cdp_memberships *cdp_memberships_new(struct cdp_intern *names)
{
    struct cdp_memberships *m = cdp_xcalloc(1, sizeof *m);
    m->names = names;
    m->ids = cdp_intern_new();
    return m;
}

void cdp_memberships_free(struct cdp_memberships *m)
{
    if (!m)
        return;
    cdp_intern_free(m->ids);
    free(m->pairs);
    free(m->survivor);
    free(m->first);
    free(m->list);
    free(m);
}

static uint32_t person_of(struct cdp_memberships *m, const char *id, size_t len)
{
    uint32_t p = cdp_intern_add(m->ids, id, len, NULL);
    while (m->nsurv <= p) {
        size_t cap = m->nsurv ? m->nsurv * 2 : 1024;
        m->survivor = cdp_xrealloc(m->survivor, cap * sizeof *m->survivor);
        for (size_t i = m->nsurv; i < cap; i++)
            m->survivor[i] = (uint32_t)i;
        m->nsurv = cap;
    }
    return p;
}

struct add_ctx {
    struct cdp_memberships *m;
    uint32_t person;
};

static void add_name(void *ctx, const char *s, size_t len)
{
    struct add_ctx *a = ctx;
    struct cdp_memberships *m = a->m;
    if (m->npairs == m->pairs_cap) {
        m->pairs_cap = m->pairs_cap ? m->pairs_cap * 2 : 4096;
        m->pairs = cdp_xrealloc(m->pairs, m->pairs_cap * sizeof *m->pairs);
    }
    m->pairs[m->npairs++] = (struct pair){ a->person, cdp_intern_add(m->names, s, len, NULL) };
}

int cdp_memberships_load(struct cdp_memberships *m, const char *path, struct cdp_error *err)
{
    struct cdp_runfile *rf = cdp_runfile_open(path, "previous output", false, err);
    if (!rf)
        return -1;
    struct cdp_json_parser *json = cdp_json_parser_new();
    struct cdp_record rec = CDP_RECORD_INIT;
    static const char *const keys[] = { "segments", "holdout" };
    int k;
    while ((k = cdp_runfile_next(rf, &rec, err)) > 0) {
        const struct cdp_field *id = cdp_record_gets(&rec, "cdp_id");
        if (!id || id->type != CDP_STRING || !id->vlen) {
            k = cdp_runfile_damaged(rf, err, "no cdp_id");
            break;
        }
        struct add_ctx a = { m, person_of(m, id->val, id->vlen) };
        for (int i = 0; i < 2 && k > 0; i++) {
            const struct cdp_field *f = cdp_record_gets(&rec, keys[i]);
            if (f && (f->type != CDP_ARRAY || cdp_json_each_string(json, f->val, f->vlen, add_name, &a) < 0))
                k = cdp_runfile_damaged(rf, err, "\"%s\" is not an array of segment names", keys[i]);
        }
        if (k < 0)
            break;
    }
    cdp_record_release(&rec);
    cdp_json_parser_free(json);
    cdp_runfile_close(rf);
    return k < 0 ? -1 : 0;
}

static int follow_entry(void *ctx, const struct cdp_journal_entry *e, struct cdp_error *err)
{
    struct cdp_memberships *m = ctx;
    (void)err;
    if (strcmp(e->reason, "merged") != 0)
        return 0;
    uint32_t a = person_of(m, e->from, strlen(e->from));
    uint32_t b = person_of(m, e->to, strlen(e->to));
    if (a != b)
        m->survivor[a] = b;
    return 0;
}

int cdp_memberships_follow(struct cdp_memberships *m, const char *journal, struct cdp_error *err)
{
    return cdp_journal_read(journal, follow_entry, m, err);
}

static int cmp_pair(const void *a, const void *b)
{
    const struct pair *x = a, *y = b;
    if (x->person != y->person)
        return x->person < y->person ? -1 : 1;
    return (x->name > y->name) - (x->name < y->name);
}

/* The end of the chain of merges from p (a cycle, which a sane journal never
 * has, stops where it closes). */
static uint32_t final_survivor(const struct cdp_memberships *m, uint32_t p)
{
    uint32_t q = p;
    for (size_t steps = 0; m->survivor[q] != q && steps < m->nsurv; steps++)
        q = m->survivor[q];
    return q;
}

void cdp_memberships_finish(struct cdp_memberships *m)
{
    size_t n = cdp_intern_count(m->ids);
    size_t orig = m->npairs;
    for (size_t i = 0; i < orig; i++) {
        uint32_t s = final_survivor(m, m->pairs[i].person);
        if (s != m->pairs[i].person)
            add_name(&(struct add_ctx){ m, s }, cdp_intern_str(m->names, m->pairs[i].name, NULL),
                     strlen(cdp_intern_str(m->names, m->pairs[i].name, NULL)));
    }
    if (m->npairs)
        qsort(m->pairs, m->npairs, sizeof *m->pairs, cmp_pair);
    m->first = cdp_xcalloc(n + 1, sizeof *m->first);
    m->list = cdp_xmalloc((m->npairs + 1) * sizeof *m->list);
    size_t w = 0;
    for (size_t i = 0; i < m->npairs; i++) {
        if (i && m->pairs[i].person == m->pairs[i - 1].person && m->pairs[i].name == m->pairs[i - 1].name)
            continue;
        m->list[w++] = m->pairs[i].name;
        m->first[m->pairs[i].person + 1]++;
    }
    for (size_t p = 0; p < n; p++)
        m->first[p + 1] += m->first[p];
    free(m->pairs);
    m->pairs = NULL;
    m->npairs = m->pairs_cap = 0;
}

uint32_t cdp_memberships_find(const struct cdp_memberships *m, const char *id, size_t len)
{
    return cdp_intern_find(m->ids, id, len);
}

size_t cdp_memberships_of(const struct cdp_memberships *m, uint32_t person, const uint32_t **names)
{
    *names = m->list + m->first[person];
    return m->first[person + 1] - m->first[person];
}

bool cdp_memberships_followed(const struct cdp_memberships *m, uint32_t person)
{
    return person < m->nsurv && m->survivor[person] != person;
}

size_t cdp_memberships_count(const struct cdp_memberships *m)
{
    return cdp_intern_count(m->ids);
}

const char *cdp_memberships_id(const struct cdp_memberships *m, uint32_t person, size_t *len)
{
    return cdp_intern_str(m->ids, person, len);
}
