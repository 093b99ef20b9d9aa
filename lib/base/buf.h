/* buf.h: a growable byte buffer (the strbuf of this project).
 *
 * A cdp_buf owns its bytes; data is always NUL-terminated so it can be handed
 * to C string functions, but it may also hold NUL bytes. Allocation failure
 * aborts the program: there is no sensible recovery from it in a filter. */
#ifndef CDP_BASE_BUF_H
#define CDP_BASE_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct cdp_buf {
    char *data;
    size_t len;
    size_t cap;
};

#define CDP_BUF_INIT { NULL, 0, 0 }

void cdp_buf_grow_slow(struct cdp_buf *b, size_t extra);

/* Makes room for at least extra more bytes (plus the terminating NUL). */
static inline void cdp_buf_grow(struct cdp_buf *b, size_t extra)
{
    if (b->len + extra + 1 > b->cap)
        cdp_buf_grow_slow(b, extra);
}

/* The appends are inline: they sit on every per-record path. */
static inline void cdp_buf_add(struct cdp_buf *b, const void *p, size_t n)
{
    if (b->len + n + 1 > b->cap)
        cdp_buf_grow_slow(b, n);
    if (n)
        __builtin_memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static inline void cdp_buf_addc(struct cdp_buf *b, char c)
{
    if (b->len + 2 > b->cap)
        cdp_buf_grow_slow(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}
/* Inline too, so that a literal's length is known when compiling (the
 * strlen calls of cdp-dedupe's pass 2, three per record, were a share of
 * its reading thread's 2.6% of CPU samples in strlen at 100k persons). */
static inline void cdp_buf_adds(struct cdp_buf *b, const char *s)
{
    cdp_buf_add(b, s, __builtin_strlen(s));
}
void cdp_buf_printf(struct cdp_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void cdp_buf_vprintf(struct cdp_buf *b, const char *fmt, va_list ap);
/* Appends a number in decimal (printf is slow on a per-record path). */
void cdp_buf_add_u64(struct cdp_buf *b, unsigned long long v);
/* Appends v as exactly width digits with leading zeros (v must fit). */
void cdp_buf_add_digits(struct cdp_buf *b, unsigned v, int width);
/* Empties the buffer but keeps its memory. */
/* Appends code point cp (at most U+10FFFF) encoded as UTF-8. */
void cdp_buf_add_utf8(struct cdp_buf *b, uint32_t cp);

void cdp_buf_reset(struct cdp_buf *b);
void cdp_buf_release(struct cdp_buf *b);
/* Hands the NUL-terminated bytes to the caller (who frees them) and empties b. */
char *cdp_buf_detach(struct cdp_buf *b, size_t *len);

/* Checked allocation: abort with a message when memory runs out. */
void *cdp_xmalloc(size_t n);
void *cdp_xcalloc(size_t n, size_t size);
/* cdp_xcalloc for a table soon written at scattered places: zeroed by
 * writing, so that no page of it starts as the kernel's shared zero page.
 * A first write to such a page (read before) flushes it from every CPU's
 * TLB, an interrupt each: 1-3% of cdp-ingest's time (perf). */
void *cdp_xcalloc_written(size_t n, size_t size);
void *cdp_xrealloc(void *p, size_t n);
char *cdp_xstrdup(const char *s);
char *cdp_xstrndup(const char *s, size_t n);

#endif
