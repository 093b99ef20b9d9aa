#include "base/intern.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "base/buf.h"

/* An entry is 8 bytes: the string's offset in the text (the low 40 bits:
 * a terabyte) and the top 24 bits of its hash, which skip most string
 * compares. Its length is where the next string starts, less its NUL (an
 * entry past the last holds the end). cdp-dedupe holds 4.27M key values at
 * 1M persons: a 16-byte entry with its own length and hash bits was 34 MB
 * more of its peak. */
#define OFFSET_BITS 40
#define OFFSET_MASK ((UINT64_C(1) << OFFSET_BITS) - 1)

struct cdp_intern {
    uint64_t *entries; /* by id, and one more */
    size_t n, cap;
    uint32_t *slots; /* id + 1, 0 = empty; open addressing, power of two */
    size_t nslots;
    char *text;
    size_t text_len, text_cap;
};

struct cdp_intern *cdp_intern_new(void)
{
    struct cdp_intern *t = cdp_xcalloc(1, sizeof *t);
    t->nslots = 1024;
    t->slots = cdp_xcalloc(t->nslots, sizeof *t->slots);
    return t;
}

void cdp_intern_free(struct cdp_intern *t)
{
    if (!t)
        return;
    free(t->entries);
    free(t->slots);
    free(t->text);
    free(t);
}

static uint64_t hash_of(const char *s, size_t len)
{
    return XXH3_64bits(s, len);
}

static uint64_t offset_of(const struct cdp_intern *t, size_t id)
{
    return t->entries[id] & OFFSET_MASK;
}

static size_t len_of(const struct cdp_intern *t, size_t id)
{
    return (size_t)(offset_of(t, id + 1) - offset_of(t, id) - 1);
}

static void rehash(struct cdp_intern *t)
{
    size_t nslots = t->nslots * 2;
    uint32_t *slots = cdp_xcalloc(nslots, sizeof *slots);
    for (size_t id = 0; id < t->n; id++) {
        uint64_t h = hash_of(t->text + offset_of(t, id), len_of(t, id));
        size_t i = (size_t)h & (nslots - 1);
        while (slots[i])
            i = (i + 1) & (nslots - 1);
        slots[i] = (uint32_t)id + 1;
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = nslots;
}

static size_t probe(const struct cdp_intern *t, const char *s, size_t len, uint64_t h)
{
    size_t i = (size_t)h & (t->nslots - 1);
    for (;;) {
        uint32_t v = t->slots[i];
        if (!v)
            return i;
        if ((t->entries[v - 1] & ~OFFSET_MASK) == (h & ~OFFSET_MASK) && len_of(t, v - 1) == len &&
            memcmp(t->text + offset_of(t, v - 1), s, len) == 0)
            return i;
        i = (i + 1) & (t->nslots - 1);
    }
}

uint32_t cdp_intern_find(const struct cdp_intern *t, const char *s, size_t len)
{
    uint32_t v = t->slots[probe(t, s, len, hash_of(s, len))];
    return v ? v - 1 : UINT32_MAX;
}

uint64_t cdp_intern_hash(const char *s, size_t len)
{
    return hash_of(s, len);
}

void cdp_intern_prefetch(const struct cdp_intern *t, uint64_t hash, int step)
{
    const uint32_t *slot = &t->slots[(size_t)hash & (t->nslots - 1)];
    if (step == 0) {
        __builtin_prefetch(slot);
        return;
    }
    if (!*slot)
        return;
    if (step == 1)
        __builtin_prefetch(&t->entries[*slot - 1]);
    else
        __builtin_prefetch(t->text + offset_of(t, *slot - 1));
}

uint32_t cdp_intern_add(struct cdp_intern *t, const char *s, size_t len, int *added)
{
    return cdp_intern_add_hashed(t, s, len, hash_of(s, len), added);
}

uint32_t cdp_intern_add_hashed(struct cdp_intern *t, const char *s, size_t len, uint64_t h,
                               int *added)
{
    size_t i = probe(t, s, len, h);
    if (t->slots[i]) {
        if (added)
            *added = 0;
        return t->slots[i] - 1;
    }
    if (t->n + 2 > t->cap) {
        t->cap = t->cap ? t->cap * 2 : 1024;
        t->entries = cdp_xrealloc(t->entries, t->cap * sizeof *t->entries);
    }
    if (t->text_len + len + 1 > t->text_cap) {
        while (t->text_len + len + 1 > t->text_cap)
            t->text_cap = t->text_cap ? t->text_cap * 2 : 65536;
        t->text = cdp_xrealloc(t->text, t->text_cap);
    }
    memcpy(t->text + t->text_len, s, len);
    t->text[t->text_len + len] = '\0';
    uint32_t id = (uint32_t)t->n++;
    t->entries[id] = (h & ~OFFSET_MASK) | t->text_len;
    t->text_len += len + 1;
    t->entries[id + 1] = t->text_len;
    t->slots[i] = id + 1;
    if (t->n * 2 > t->nslots)
        rehash(t);
    if (added)
        *added = 1;
    return id;
}

void cdp_intern_clear(struct cdp_intern *t)
{
    if (t->nslots > 4096) {
        free(t->slots);
        t->nslots = 1024;
        t->slots = cdp_xcalloc(t->nslots, sizeof *t->slots);
    } else {
        /* Each id from its home slot. */
        for (size_t id = 0; id < t->n; id++) {
            size_t i = (size_t)hash_of(t->text + offset_of(t, id), len_of(t, id)) & (t->nslots - 1);
            while (t->slots[i] != id + 1)
                i = (i + 1) & (t->nslots - 1);
            t->slots[i] = 0;
        }
    }
    t->n = 0;
    t->text_len = 0;
}

void cdp_intern_seal(struct cdp_intern *t)
{
    free(t->slots);
    t->slots = NULL;
    t->nslots = 0;
}

const char *cdp_intern_str(const struct cdp_intern *t, uint32_t id, size_t *len)
{
    if (len)
        *len = len_of(t, id);
    return t->text + offset_of(t, id);
}

size_t cdp_intern_count(const struct cdp_intern *t)
{
    return t->n;
}

size_t cdp_intern_bytes(const struct cdp_intern *t)
{
    return t->cap * sizeof *t->entries + t->nslots * sizeof *t->slots + t->text_cap;
}
