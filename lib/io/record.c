#include "io/record.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

void cdp_record_clear(struct cdp_record *r)
{
    r->n = 0;
    r->no_nul = false;
    cdp_arena_reset(&r->arena);
}

void cdp_record_release(struct cdp_record *r)
{
    cdp_arena_release(&r->arena);
    free(r->f);
    r->f = NULL;
    r->n = r->cap = 0;
}

void cdp_record_reserve(struct cdp_record *r, size_t n)
{
    if (r->n + n <= r->cap)
        return;
    while (r->n + n > r->cap)
        r->cap = r->cap ? r->cap * 2 : 32;
    r->f = cdp_xrealloc(r->f, r->cap * sizeof *r->f);
}

const struct cdp_field *cdp_record_get(const struct cdp_record *r, const char *key, size_t klen)
{
    /* Last match wins, as in jq, should a reader ever keep a duplicate. The
     * first byte compared before the rest: many keys share a length
     * ("email", "phone", "_kind"). Names are short: compared here, not by
     * memcmp (cdp-dedupe's workers look up a dozen names per record: with
     * the calls to memcmp and strlen, 2.7% of its CPU samples at 100k
     * persons, 2.2% without). */
    if (klen == 0) {
        for (size_t i = r->n; i-- > 0;)
            if (r->f[i].klen == 0)
                return &r->f[i];
        return NULL;
    }
    for (size_t i = r->n; i-- > 0;) {
        const struct cdp_field *f = &r->f[i];
        if (f->klen != klen || f->key[0] != key[0])
            continue;
        size_t j = 1;
        while (j < klen && f->key[j] == key[j])
            j++;
        if (j == klen)
            return f;
    }
    return NULL;
}

const struct cdp_field *cdp_record_gets(const struct cdp_record *r, const char *key)
{
    /* Without strlen: a field matches when its key's bytes run out where
     * key's NUL is. */
    if (!key[0])
        return cdp_record_get(r, key, 0);
    for (size_t i = r->n; i-- > 0;) {
        const struct cdp_field *f = &r->f[i];
        if (f->klen == 0 || f->key[0] != key[0])
            continue;
        size_t j = 1;
        while (j < f->klen && key[j] && f->key[j] == key[j])
            j++;
        if (j == f->klen && !key[j])
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
    return cdp_arena_alloc(&r->arena, n);
}

char *cdp_record_strdup(struct cdp_record *r, const char *s, size_t n)
{
    return cdp_arena_strdup(&r->arena, s, n);
}

bool cdp_field_number(const struct cdp_record *rec, const char *key, double *v)
{
    const struct cdp_field *f = cdp_record_gets(rec, key);
    if (!f || f->type != CDP_NUMBER || f->vlen >= 64)
        return false;
    char num[64];
    memcpy(num, f->val, f->vlen);
    num[f->vlen] = '\0';
    *v = strtod(num, NULL);
    return true;
}

const char *cdp_field_string(const struct cdp_record *rec, const char *key, size_t *len)
{
    const struct cdp_field *f = cdp_record_gets(rec, key);
    if (!f || f->type != CDP_STRING)
        return NULL;
    *len = f->vlen;
    return f->val;
}
