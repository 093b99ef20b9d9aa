#include "export/json_peek.h"

#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool hex4(const char *p, const char *end, unsigned *v)
{
    if (end - p < 4)
        return false;
    *v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0)
            return false;
        *v = *v * 16 + (unsigned)h;
    }
    return true;
}

bool cdp_json_string_decode(struct cdp_buf *out, const char *lit, size_t len)
{
    if (len < 2 || lit[0] != '"' || lit[len - 1] != '"')
        return false;
    const char *p = lit + 1, *end = lit + len - 1;
    while (p < end) {
        const char *bs = memchr(p, '\\', (size_t)(end - p));
        if (!bs) {
            cdp_buf_add(out, p, (size_t)(end - p));
            return true;
        }
        cdp_buf_add(out, p, (size_t)(bs - p));
        p = bs + 1;
        if (p >= end)
            return false;
        char c = *p++;
        switch (c) {
        case '"': cdp_buf_addc(out, '"'); break;
        case '\\': cdp_buf_addc(out, '\\'); break;
        case '/': cdp_buf_addc(out, '/'); break;
        case 'b': cdp_buf_addc(out, '\b'); break;
        case 'f': cdp_buf_addc(out, '\f'); break;
        case 'n': cdp_buf_addc(out, '\n'); break;
        case 'r': cdp_buf_addc(out, '\r'); break;
        case 't': cdp_buf_addc(out, '\t'); break;
        case 'u': {
            unsigned cp, lo;
            if (!hex4(p, end, &cp))
                return false;
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && end - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
                hex4(p + 2, end, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            } else if (cp >= 0xD800 && cp <= 0xDFFF) {
                cp = 0xFFFD; /* a lone surrogate, as jq reads it */
            }
            cdp_buf_add_utf8(out, cp);
            break;
        }
        default:
            return false;
        }
    }
    return true;
}

static bool space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool cdp_json_array_next(const char *arr, size_t len, size_t *pos, const char **elem,
                         size_t *elen)
{
    size_t i = *pos;
    if (i == 0) {
        while (i < len && space(arr[i]))
            i++;
        if (i >= len || arr[i] != '[')
            return false;
        i++;
    }
    while (i < len && (space(arr[i]) || arr[i] == ','))
        i++;
    if (i >= len || arr[i] == ']') {
        *pos = len;
        return false;
    }
    size_t start = i;
    int depth = 0;
    bool in_string = false;
    for (; i < len; i++) {
        char c = arr[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            depth++;
        } else if (c == ']' || c == '}') {
            if (depth == 0)
                break;
            depth--;
        } else if (c == ',' && depth == 0) {
            break;
        }
    }
    if (i > len)
        i = len;
    size_t end = i;
    while (end > start && space(arr[end - 1]))
        end--;
    *elem = arr + start;
    *elen = end - start;
    *pos = i;
    return end > start;
}

bool cdp_json_array_has_string(const char *arr, size_t len, const char *s, size_t slen,
                               struct cdp_buf *scratch)
{
    size_t pos = 0;
    const char *e;
    size_t n;
    while (cdp_json_array_next(arr, len, &pos, &e, &n)) {
        if (n < 2 || e[0] != '"')
            continue;
        /* Most names need no decoding. */
        if (n == slen + 2 && memcmp(e + 1, s, slen) == 0)
            return true;
        if (!memchr(e, '\\', n))
            continue;
        cdp_buf_reset(scratch);
        if (cdp_json_string_decode(scratch, e, n) && scratch->len == slen &&
            memcmp(scratch->data, s, slen) == 0)
            return true;
    }
    return false;
}
