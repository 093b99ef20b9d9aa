/* arena.h: memory for many small strings freed all at once.
 *
 * Blocks are chained, never moved, so a pointer into the arena stays valid
 * until cdp_arena_reset or cdp_arena_release. Reset keeps the first block
 * for reuse, so a per-record or per-batch arena stops allocating once warm. */
#ifndef CDP_BASE_ARENA_H
#define CDP_BASE_ARENA_H

#include <stddef.h>

struct cdp_arena_block;

struct cdp_arena {
    struct cdp_arena_block *head;
    size_t block_size; /* 0: 16 KiB */
};

#define CDP_ARENA_INIT { NULL, 0 }

void *cdp_arena_alloc(struct cdp_arena *a, size_t n);
/* Copies n bytes and a terminating NUL. */
char *cdp_arena_strdup(struct cdp_arena *a, const char *s, size_t n);
void cdp_arena_reset(struct cdp_arena *a);
void cdp_arena_release(struct cdp_arena *a);

#endif
