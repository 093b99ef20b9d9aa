#include "base/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void out_of_memory(size_t n)
{
    fprintf(stderr, "cdp: out of memory (allocating %zu bytes)\n", n);
    abort();
}

void *cdp_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        out_of_memory(n);
    return p;
}

void *cdp_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        out_of_memory(n * size);
    return p;
}

void *cdp_xcalloc_written(size_t n, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(n ? n : 1, size ? size : 1, &bytes))
        out_of_memory(SIZE_MAX);
    void *p = cdp_xmalloc(bytes);
    /* The barrier keeps the compiler from making malloc and memset one
     * calloc, which is what this function is not. */
    __asm__ volatile("" : : "r"(p) : "memory");
    memset(p, 0, bytes);
    return p;
}

void *cdp_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        out_of_memory(n);
    return p;
}

char *cdp_xstrdup(const char *s)
{
    return cdp_xstrndup(s, strlen(s));
}

char *cdp_xstrndup(const char *s, size_t n)
{
    char *p = cdp_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void cdp_buf_grow_slow(struct cdp_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    b->data = cdp_xrealloc(b->data, cap);
    b->cap = cap;
}

void cdp_buf_vprintf(struct cdp_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    cdp_buf_grow(b, 64);
    int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    if (n >= 0 && (size_t)n >= b->cap - b->len) {
        cdp_buf_grow(b, (size_t)n);
        n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap2);
    }
    va_end(ap2);
    if (n > 0)
        b->len += (size_t)n;
}

void cdp_buf_printf(struct cdp_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cdp_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void cdp_buf_reset(struct cdp_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void cdp_buf_release(struct cdp_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *cdp_buf_detach(struct cdp_buf *b, size_t *len)
{
    if (!b->data) {
        /* Never written to: nothing has put its NUL there yet. */
        cdp_buf_grow(b, 0);
        b->data[0] = '\0';
    }
    char *p = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void cdp_buf_add_u64(struct cdp_buf *b, unsigned long long v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    cdp_buf_grow(b, (size_t)n);
    while (n)
        b->data[b->len++] = tmp[--n];
    b->data[b->len] = '\0';
}

void cdp_buf_add_digits(struct cdp_buf *b, unsigned v, int width)
{
    cdp_buf_grow(b, (size_t)width);
    for (int i = width - 1; i >= 0; i--) {
        b->data[b->len + (size_t)i] = (char)('0' + v % 10);
        v /= 10;
    }
    b->len += (size_t)width;
    b->data[b->len] = '\0';
}

void cdp_buf_add_utf8(struct cdp_buf *b, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    cdp_buf_add(b, u, n);
}
