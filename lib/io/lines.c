#include "io/lines.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

#define CHUNK (1 << 20)

struct cdp_lines {
    struct cdp_source *src;
    char *buf;
    size_t cap;
    size_t start, len; /* unconsumed bytes: buf[start .. start+len) */
    size_t scanned;    /* bytes after start already known to hold no '\n' */
    bool eof;
    uint64_t number;
};

struct cdp_lines *cdp_lines_new(struct cdp_source *src)
{
    struct cdp_lines *lr = cdp_xcalloc(1, sizeof *lr);
    lr->src = src;
    lr->cap = CHUNK + CDP_LINE_PADDING;
    lr->buf = cdp_xmalloc(lr->cap);
    return lr;
}

void cdp_lines_free(struct cdp_lines *lr)
{
    if (!lr)
        return;
    cdp_source_close(lr->src);
    free(lr->buf);
    free(lr);
}

struct cdp_source *cdp_lines_source(struct cdp_lines *lr)
{
    return lr->src;
}

/* Moves unconsumed bytes to the front and reads more after them. */
static int refill(struct cdp_lines *lr, struct cdp_error *err)
{
    if (lr->start > 0) {
        memmove(lr->buf, lr->buf + lr->start, lr->len);
        lr->start = 0;
    }
    if (lr->cap - lr->len < CHUNK / 2 + CDP_LINE_PADDING) {
        if (lr->len > CDP_LINE_MAX)
            return cdp_errorf(err, "%s:%llu: line longer than %zu MiB",
                              cdp_source_name(lr->src), (unsigned long long)lr->number + 1,
                              CDP_LINE_MAX >> 20);
        lr->cap *= 2;
        lr->buf = cdp_xrealloc(lr->buf, lr->cap);
    }
    ssize_t n = cdp_source_read(lr->src, lr->buf + lr->len,
                                lr->cap - lr->len - CDP_LINE_PADDING, err);
    if (n < 0)
        return -1;
    if (n == 0)
        lr->eof = true;
    lr->len += (size_t)n;
    /* Defined bytes after the data, for parsers that read past a line. */
    memset(lr->buf + lr->len, ' ', CDP_LINE_PADDING);
    return 0;
}

int cdp_lines_next(struct cdp_lines *lr, const char **line, size_t *len, uint64_t *number,
                   bool *had_newline, struct cdp_error *err)
{
    for (;;) {
        char *p = lr->buf + lr->start;
        char *nl = memchr(p + lr->scanned, '\n', lr->len - lr->scanned);
        if (nl) {
            size_t n = (size_t)(nl - p);
            *line = p;
            *len = n;
            *had_newline = true;
            lr->start += n + 1;
            lr->len -= n + 1;
            lr->scanned = 0;
            *number = ++lr->number;
            return 1;
        }
        lr->scanned = lr->len;
        if (lr->eof) {
            if (lr->len == 0)
                return 0;
            *line = p;
            *len = lr->len;
            *had_newline = false;
            lr->start += lr->len;
            lr->len = 0;
            lr->scanned = 0;
            *number = ++lr->number;
            return 1;
        }
        if (refill(lr, err) < 0)
            return -1;
    }
}

long cdp_lines_take(struct cdp_lines *lr, struct cdp_buf *out, struct cdp_error *err)
{
    const char *block;
    size_t len;
    long lines = cdp_lines_block(lr, &block, &len, err);
    if (lines <= 0)
        return lines;
    if (out->len || block != lr->buf || lr->cap < len + CDP_LINE_PADDING + 1) {
        cdp_buf_add_padded(out, block, len);
        return lines;
    }
    /* An empty out takes the buffer itself, and gives its memory to read
     * on into, with the bytes after the block (a line begun): no copy of
     * the block (a copy of every byte on the reading thread). */
    char *next = out->data;
    size_t next_cap = out->cap;
    if (next_cap < lr->cap) {
        next = cdp_xrealloc(next, lr->cap);
        next_cap = lr->cap;
    }
    memcpy(next, lr->buf + lr->start, lr->len + CDP_LINE_PADDING);
    out->data = lr->buf;
    out->cap = lr->cap;
    out->len = len;
    memset(out->data + len, ' ', CDP_LINE_PADDING);
    lr->buf = next;
    lr->cap = next_cap;
    lr->start = 0;
    return lines;
}

long cdp_lines_block(struct cdp_lines *lr, const char **block, size_t *len, struct cdp_error *err)
{
    /* Half a chunk at least, or a block could hold only what is left of
     * the source's last read (a line). */
    while (!lr->eof && lr->len < CHUNK / 2)
        if (refill(lr, err) < 0)
            return -1;
    for (;;) {
        char *p = lr->buf + lr->start;
        char *last = lr->eof || lr->len <= lr->scanned ? NULL
                     : memrchr(p + lr->scanned, '\n', lr->len - lr->scanned);
        size_t n = lr->eof ? lr->len : last ? (size_t)(last - p) + 1 : 0;
        if (n) {
            long lines = 0;
            for (const char *q = p, *end = p + n; q < end; lines++) {
                const char *nl = memchr(q, '\n', (size_t)(end - q));
                q = nl ? nl + 1 : end;
            }
            *block = p;
            *len = n;
            lr->start += n;
            lr->len -= n;
            lr->scanned = 0;
            lr->number += (uint64_t)lines;
            return lines;
        }
        lr->scanned = lr->len;
        if (lr->eof)
            return 0;
        if (refill(lr, err) < 0)
            return -1;
    }
}

int cdp_lines_peek(struct cdp_lines *lr, const char **p, size_t *len, struct cdp_error *err)
{
    while (lr->len < 256 && !lr->eof)
        if (refill(lr, err) < 0)
            return -1;
    *p = lr->buf + lr->start;
    *len = lr->len;
    return 0;
}

void cdp_buf_add_padded(struct cdp_buf *b, const char *s, size_t n)
{
    cdp_buf_add(b, s, n);
    cdp_buf_grow(b, CDP_LINE_PADDING);
    memset(b->data + b->len, ' ', CDP_LINE_PADDING);
}

static bool parse_count(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return true;
}

struct cdp_lines *cdp_lines_open_headed(const char *path, const char *what, uint64_t min, uint64_t max,
                                        uint64_t *n, struct cdp_error *err)
{
    struct cdp_source *src = cdp_source_open(path, NULL, err);
    if (!src)
        return NULL;
    struct cdp_lines *lr = cdp_lines_new(src);
    const char *line;
    size_t len, wlen = strlen(what);
    uint64_t number;
    bool nl;
    int k = cdp_lines_next(lr, &line, &len, &number, &nl, err);
    if (k == 1 && len > wlen + 1 && memcmp(line, what, wlen) == 0 && line[wlen] == ' ' &&
        parse_count(line + wlen + 1, len - wlen - 1, n) && *n >= min && *n <= max)
        return lr;
    if (k >= 0)
        cdp_errorf(err, "%s: not a %s file", path, what);
    cdp_lines_free(lr);
    return NULL;
}
