#include "base/arena.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

struct cdp_arena_block {
    struct cdp_arena_block *next;
    size_t used, size;
    max_align_t data[];
};

void *cdp_arena_alloc(struct cdp_arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    /* The first block is reused across resets; overflow blocks go right
     * after it, so the newest one is the one with room, if any. */
    struct cdp_arena_block *b = a->head;
    if (b && b->size - b->used < n && b->next)
        b = b->next;
    if (!b || b->size - b->used < n) {
        size_t want = a->block_size ? a->block_size : 16384;
        size_t size = n > want ? n : want;
        struct cdp_arena_block *nb = cdp_xmalloc(sizeof *nb + size);
        nb->size = size;
        nb->used = 0;
        if (!a->head) {
            nb->next = NULL;
            a->head = nb;
        } else {
            nb->next = a->head->next;
            a->head->next = nb;
        }
        b = nb;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    return p;
}

char *cdp_arena_strdup(struct cdp_arena *a, const char *s, size_t n)
{
    char *p = cdp_arena_alloc(a, n + 1);
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void cdp_arena_reset(struct cdp_arena *a)
{
    struct cdp_arena_block *b = a->head;
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

void cdp_arena_release(struct cdp_arena *a)
{
    cdp_arena_reset(a);
    free(a->head);
    a->head = NULL;
}
