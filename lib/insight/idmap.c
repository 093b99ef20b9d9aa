/* idmap.c: see idmap.h. */
#include "insight/idmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/intern.h"
#include "identity/journal.h"

struct cdp_idmap {
    struct cdp_intern *ids;
    uint32_t *into; /* by id: the id it was merged into, or itself */
    size_t cap;
};

static uint32_t add(struct cdp_idmap *m, const char *s)
{
    uint32_t k = cdp_intern_add(m->ids, s, strlen(s), NULL);
    if (k >= m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        while (cap <= k)
            cap *= 2;
        m->into = cdp_xrealloc(m->into, cap * sizeof *m->into);
        m->cap = cap;
    }
    return k;
}

static int entry(void *ctx, const struct cdp_journal_entry *e, struct cdp_error *err)
{
    (void)err;
    struct cdp_idmap *m = ctx;
    size_t before = cdp_intern_count(m->ids);
    uint32_t from = add(m, e->from);
    if (from >= before)
        m->into[from] = from;
    size_t mid = cdp_intern_count(m->ids);
    uint32_t to = add(m, e->to);
    if (to >= mid)
        m->into[to] = to;
    if (!strcmp(e->reason, "merged") && from != to)
        m->into[from] = to;
    return 0;
}

struct cdp_idmap *cdp_idmap_read(const char *path, struct cdp_error *err)
{
    struct cdp_idmap *m = cdp_xcalloc(1, sizeof *m);
    m->ids = cdp_intern_new();
    if (path && cdp_journal_read(path, entry, m, err) < 0) {
        cdp_idmap_free(m);
        return NULL;
    }
    return m;
}

void cdp_idmap_free(struct cdp_idmap *m)
{
    if (!m)
        return;
    cdp_intern_free(m->ids);
    free(m->into);
    free(m);
}

const char *cdp_idmap_follow(const struct cdp_idmap *m, const char *id, size_t len, size_t *outlen)
{
    uint32_t k = cdp_intern_find(m->ids, id, len);
    *outlen = len;
    if (k == UINT32_MAX)
        return id;
    /* A chain of merges, night after night; the bound stops a cycle that
     * a hand-edited journal could hold. */
    for (int steps = 0; m->into[k] != k && steps < 1000; steps++)
        k = m->into[k];
    return cdp_intern_str(m->ids, k, outlen);
}
