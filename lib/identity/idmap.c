/* idmap.c: see idmap.h. */
#include "identity/idmap.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/intern.h"
#include "identity/journal.h"

struct cdp_idmap {
    struct cdp_intern *ids;
    uint32_t *to;        /* by id: the id it merged into (itself: none) */
    size_t cap;
    uint64_t entries;
    uint64_t last_merge; /* entries up to and including the last merge */
};

static uint32_t id_of(struct cdp_idmap *m, const char *s)
{
    uint32_t id = cdp_intern_add(m->ids, s, strlen(s), NULL);
    if (id >= m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 256;
        while (cap <= id)
            cap *= 2;
        m->to = cdp_xrealloc(m->to, cap * sizeof *m->to);
        for (size_t i = m->cap; i < cap; i++)
            m->to[i] = (uint32_t)i;
        m->cap = cap;
    }
    return id;
}

static int add_entry(void *ctx, const struct cdp_journal_entry *e, struct cdp_error *err)
{
    struct cdp_idmap *m = ctx;
    (void)err;
    m->entries++;
    if (strcmp(e->reason, "merged") != 0)
        return 0;
    uint32_t from = id_of(m, e->from), to = id_of(m, e->to);
    if (from != to)
        m->to[from] = to;
    m->last_merge = m->entries;
    return 0;
}

struct cdp_idmap *cdp_idmap_read(const char *path, struct cdp_error *err)
{
    struct cdp_idmap *m = cdp_xcalloc(1, sizeof *m);
    m->ids = cdp_intern_new();
    if (path && cdp_journal_read(path, add_entry, m, err) < 0) {
        cdp_idmap_free(m);
        return NULL;
    }
    /* Every id straight to the end of its chain. */
    size_t n = cdp_intern_count(m->ids);
    for (size_t i = 0; i < n; i++) {
        uint32_t q = m->to[i];
        for (size_t steps = 0; m->to[q] != q && steps < n; steps++)
            q = m->to[q];
        m->to[i] = q;
    }
    return m;
}

void cdp_idmap_free(struct cdp_idmap *m)
{
    if (!m)
        return;
    cdp_intern_free(m->ids);
    free(m->to);
    free(m);
}

uint64_t cdp_idmap_entries(const struct cdp_idmap *m)
{
    return m->entries;
}

bool cdp_idmap_merges_since(const struct cdp_idmap *m, uint64_t since)
{
    return m->last_merge > since;
}

bool cdp_idmap_follow(const struct cdp_idmap *m, const char *id, size_t len, const char **to,
                      size_t *tolen)
{
    uint32_t i = cdp_intern_find(m->ids, id, len);
    if (i == UINT32_MAX || m->to[i] == i)
        return false;
    *to = cdp_intern_str(m->ids, m->to[i], tolen);
    return true;
}
