#include "io/json.h"

#include <stdint.h>
#include <string.h>

/* Which bytes a JSON string must escape: '"', '\\' and controls. */
static inline int needs_escape(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\';
}

/* Writes the escape of c at w; returns the end. */
static char *put_escaped(char *w, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    *w++ = '\\';
    switch (c) {
    case '"': *w++ = '"'; return w;
    case '\\': *w++ = '\\'; return w;
    case '\n': *w++ = 'n'; return w;
    case '\r': *w++ = 'r'; return w;
    case '\t': *w++ = 't'; return w;
    case '\b': *w++ = 'b'; return w;
    case '\f': *w++ = 'f'; return w;
    default:
        memcpy(w, "u00", 3);
        w[3] = hex[c >> 4];
        w[4] = hex[c & 15];
        return w + 5;
    }
}

/* Whether any of the eight bytes of x needs escaping: a byte below 0x20 or
 * equal to '"' or '\\' sets its high bit in the result (exact as a yes/no:
 * the borrows that can set other bits start at a byte that does). */
static inline bool word_needs_escape(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
    return (((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b)) & highs;
}

static inline bool word32_needs_escape(uint32_t x)
{
    const uint32_t ones = 0x01010101u, highs = 0x80808080u;
    uint32_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
    return (((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b)) & highs;
}

void cdp_json_add_string(struct cdp_buf *out, const char *s, size_t len)
{
    /* Worst case every byte becomes \u00XX. */
    cdp_buf_grow(out, len * 6 + 2);
    char *w = out->data + out->len;
    *w++ = '"';
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    /* Most values are 4 to 16 bytes with nothing to escape: tested and
     * copied as two words that overlap (their first and last bytes). */
    if (len >= 8 && len <= 16) {
        uint64_t a, b;
        memcpy(&a, p, 8);
        memcpy(&b, end - 8, 8);
        if (!word_needs_escape(a) && !word_needs_escape(b)) {
            memcpy(w, &a, 8);
            memcpy(w + len - 8, &b, 8);
            w += len;
            p = end;
        }
    } else if (len >= 4 && len < 8) {
        uint32_t a, b;
        memcpy(&a, p, 4);
        memcpy(&b, end - 4, 4);
        if (!word32_needs_escape(a) && !word32_needs_escape(b)) {
            memcpy(w, &a, 4);
            memcpy(w + len - 4, &b, 4);
            w += len;
            p = end;
        }
    }
    /* Bytes from here to p went out as they came (no escape among them). */
    const unsigned char *verbatim = p;
    while (p < end) {
        /* Eight bytes at a time while none of them needs escaping. */
        uint64_t x;
        while (end - p >= 8) {
            memcpy(&x, p, 8);
            if (word_needs_escape(x))
                break;
            memcpy(w, &x, 8);
            w += 8;
            p += 8;
        }
        if (end - p < 8 && end - verbatim >= 8) {
            /* A short tail: test and copy the last eight bytes, which end
             * where the tail does and overlap bytes already written as they
             * are (a string of names and dates is mostly such tails). */
            memcpy(&x, end - 8, 8);
            if (!word_needs_escape(x)) {
                size_t tail = (size_t)(end - p);
                memcpy(w + tail - 8, &x, 8);
                w += tail;
                break;
            }
        }
        while (p < end && !needs_escape(*p))
            *w++ = (char)*p++;
        if (p == end)
            break;
        w = put_escaped(w, *p++);
        verbatim = p;
    }
    *w++ = '"';
    out->len = (size_t)(w - out->data);
    out->data[out->len] = '\0';
}

bool cdp_json_plain(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    for (; end - p >= 8; p += 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        if (word_needs_escape(x))
            return false;
    }
    for (; p < end; p++)
        if (needs_escape(*p))
            return false;
    return true;
}

void cdp_json_add_value(struct cdp_buf *out, const char *val, size_t vlen, enum cdp_type type)
{
    if (type == CDP_STRING)
        cdp_json_add_string(out, val, vlen);
    else
        cdp_buf_add(out, val, vlen);
}

void cdp_json_add_record(struct cdp_buf *out, const struct cdp_record *r)
{
    cdp_buf_addc(out, '{');
    for (size_t i = 0; i < r->n; i++) {
        const struct cdp_field *f = &r->f[i];
        if (i)
            cdp_buf_addc(out, ',');
        cdp_json_add_string(out, f->key, f->klen);
        cdp_buf_addc(out, ':');
        cdp_json_add_value(out, f->val, f->vlen, f->type);
    }
    cdp_buf_addc(out, '}');
}

/* Length of the valid UTF-8 sequence at p, or 0 when it is not one. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, cp = c & 0x07;
    else
        return 0;
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

void cdp_json_add_string_lossy(struct cdp_buf *out, const char *s, size_t len)
{
    if (cdp_utf8_valid(s, len)) {
        cdp_json_add_string(out, s, len);
        return;
    }
    struct cdp_buf fixed = CDP_BUF_INIT;
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        size_t n = utf8_seq(p, end);
        if (n) {
            cdp_buf_add(&fixed, p, n);
            p += n;
        } else {
            cdp_buf_add(&fixed, "\xEF\xBF\xBD", 3);
            p++;
        }
    }
    cdp_json_add_string(out, fixed.data, fixed.len);
    cdp_buf_release(&fixed);
}

const char *cdp_json_status_code(enum cdp_json_status st)
{
    return st == CDP_JSON_NOT_OBJECT ? "not_object" : st == CDP_JSON_BAD_UTF8 ? "invalid_utf8" : "invalid_json";
}
