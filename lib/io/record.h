/* record.h: one row of data as an ordered list of named values.
 *
 * Every reader produces records and every program consumes them, so this is
 * the one shape data has between input and output. Values keep their text:
 * a string is held decoded (UTF-8, no JSON escapes); a number, true, false,
 * null, an array or an object is held as the JSON text it was written as, so
 * a loyalty card "0012345" stays a string and a number like
 * 123456789012345678901 is never rounded.
 *
 * A record does not own the keys and values a reader puts in it: they point
 * into the reader's buffers and stay valid until the reader's next call.
 * Values a program makes itself go into the record's arena
 * (cdp_record_strdup) and live until cdp_record_clear. */
#ifndef CDP_IO_RECORD_H
#define CDP_IO_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/arena.h"

enum cdp_type {
    CDP_NULL,
    CDP_FALSE,
    CDP_TRUE,
    CDP_NUMBER,
    CDP_STRING,
    CDP_ARRAY,
    CDP_OBJECT,
};

struct cdp_field {
    const char *key;
    const char *val;
    uint32_t klen;
    uint32_t vlen;
    enum cdp_type type;
};

struct cdp_record {
    struct cdp_field *f;
    size_t n, cap;
    struct cdp_arena arena;
    bool no_nul; /* no value holds a NUL byte (a reader that checked says so) */
};

#define CDP_RECORD_INIT { NULL, 0, 0, CDP_ARENA_INIT, false }

/* Forgets all fields and arena strings, keeping memory for reuse; no_nul
 * becomes false. */
void cdp_record_clear(struct cdp_record *r);
void cdp_record_release(struct cdp_record *r);

/* Makes room for n more fields. */
void cdp_record_reserve(struct cdp_record *r, size_t n);

/* Appends a field (no check for an existing key). Inline: readers call it
 * for every value they read. */
static inline void cdp_record_append(struct cdp_record *r, const char *key, size_t klen,
                                     const char *val, size_t vlen, enum cdp_type type)
{
    if (r->n == r->cap)
        cdp_record_reserve(r, 1);
    struct cdp_field *f = &r->f[r->n++];
    f->key = key;
    f->klen = (uint32_t)klen;
    f->val = val;
    f->vlen = (uint32_t)vlen;
    f->type = type;
}
/* Sets a field: replaces the value of an existing key in place, else appends. */
void cdp_record_set(struct cdp_record *r, const char *key, size_t klen, const char *val,
                    size_t vlen, enum cdp_type type);

/* The field with this key, or NULL (the last one, should there be two). */
const struct cdp_field *cdp_record_get(const struct cdp_record *r, const char *key, size_t klen);
/* The same with a NUL-terminated key. */
const struct cdp_field *cdp_record_gets(const struct cdp_record *r, const char *key);

/* The number at key; false when absent, not a number, or written with 64
 * characters or more. */
bool cdp_field_number(const struct cdp_record *rec, const char *key, double *v);
/* The string at key (not NUL-terminated: *len); NULL when absent or not a
 * string. */
const char *cdp_field_string(const struct cdp_record *rec, const char *key, size_t *len);

/* Copies n bytes into the record's arena (NUL-terminated) and returns them. */
char *cdp_record_strdup(struct cdp_record *r, const char *s, size_t n);
/* Room for n bytes in the arena. */
char *cdp_record_alloc(struct cdp_record *r, size_t n);

#endif
