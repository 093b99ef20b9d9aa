#include "record.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define BLOCK_SIZE 16384

struct cdp_arena_block {
    struct cdp_arena_block *next;
    size_t used, size;
    char data[];
};

void cdp_record_clear(struct cdp_record *r)
{
    r->n = 0;
    /* Keep the first block (the common case needs only one); free the rest. */
    struct cdp_arena_block *b = r->arena;
    if (!b)
        return;
    struct cdp_arena_block *rest = b->next;
    b->next = NULL;
    b->used = 0;
    while (rest) {
        struct cdp_arena_block *next = rest->next;
        free(rest);
        rest = next;
    }
}

void cdp_record_release(struct cdp_record *r)
{
    cdp_record_clear(r);
    free(r->arena);
    free(r->f);
    r->arena = NULL;
    r->f = NULL;
    r->cap = 0;
}

void cdp_record_append(struct cdp_record *r, const char *key, size_t klen, const char *val,
                       size_t vlen, enum cdp_type type)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 32;
        r->f = cdp_xrealloc(r->f, r->cap * sizeof *r->f);
    }
    struct cdp_field *f = &r->f[r->n++];
    f->key = key;
    f->klen = (uint32_t)klen;
    f->val = val;
    f->vlen = (uint32_t)vlen;
    f->type = type;
}

const struct cdp_field *cdp_record_get(const struct cdp_record *r, const char *key, size_t klen)
{
    /* Last match wins, as in jq, should a reader ever keep a duplicate. */
    for (size_t i = r->n; i-- > 0;) {
        const struct cdp_field *f = &r->f[i];
        if (f->klen == klen && memcmp(f->key, key, klen) == 0)
            return f;
    }
    return NULL;
}

void cdp_record_set(struct cdp_record *r, const char *key, size_t klen, const char *val,
                    size_t vlen, enum cdp_type type)
{
    struct cdp_field *f = (struct cdp_field *)cdp_record_get(r, key, klen);
    if (!f) {
        cdp_record_append(r, key, klen, val, vlen, type);
        return;
    }
    f->val = val;
    f->vlen = (uint32_t)vlen;
    f->type = type;
}

char *cdp_record_alloc(struct cdp_record *r, size_t n)
{
    /* The first block is reused across records; overflow blocks are put
     * right after it, so the newest has room if any has. */
    struct cdp_arena_block *b = r->arena;
    if (b && b->size - b->used < n && b->next)
        b = b->next;
    if (!b || b->size - b->used < n) {
        b = r->arena;
        size_t size = n > BLOCK_SIZE ? n : BLOCK_SIZE;
        struct cdp_arena_block *nb = cdp_xmalloc(sizeof *nb + size);
        nb->size = size;
        nb->used = 0;
        if (!b) {
            nb->next = NULL;
            r->arena = nb;
        } else {
            /* New blocks go second, so the first (reused) block stays first. */
            nb->next = b->next;
            b->next = nb;
        }
        b = nb;
    }
    char *p = b->data + b->used;
    b->used += n;
    return p;
}

char *cdp_record_strdup(struct cdp_record *r, const char *s, size_t n)
{
    char *p = cdp_record_alloc(r, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}
