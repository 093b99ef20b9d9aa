/* json_unescape.c: reading JSON string escapes (io/json.h), once for the
 * string literals of data (export's arrays) and of jq programs (rules/jq). */
#include "io/json.h"

#include <stdint.h>
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

/* The four hex digits at s (len bytes readable) as a number, or -1. */
static int hex4(const char *s, size_t len)
{
    if (len < 4)
        return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(s[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

size_t cdp_json_unescape(struct cdp_buf *out, const char *s, size_t len, bool *lone_surrogate)
{
    *lone_surrogate = false;
    if (len == 0)
        return 0;
    switch (s[0]) {
    case '"': cdp_buf_addc(out, '"'); return 1;
    case '\\': cdp_buf_addc(out, '\\'); return 1;
    case '/': cdp_buf_addc(out, '/'); return 1;
    case 'b': cdp_buf_addc(out, '\b'); return 1;
    case 'f': cdp_buf_addc(out, '\f'); return 1;
    case 'n': cdp_buf_addc(out, '\n'); return 1;
    case 'r': cdp_buf_addc(out, '\r'); return 1;
    case 't': cdp_buf_addc(out, '\t'); return 1;
    case 'u': break;
    default: return 0;
    }
    int cp = hex4(s + 1, len - 1);
    if (cp < 0)
        return 0;
    size_t used = 5;
    if (cp >= 0xD800 && cp <= 0xDBFF && len - used >= 6 && s[used] == '\\' && s[used + 1] == 'u') {
        int lo = hex4(s + used + 2, len - used - 2);
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
            cdp_buf_add_utf8(out, (uint32_t)(0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)));
            return used + 6;
        }
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) {
        *lone_surrogate = true;
        cp = 0xFFFD; /* as jq reads one */
    }
    cdp_buf_add_utf8(out, (uint32_t)cp);
    return used;
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
        bool lone;
        size_t used = cdp_json_unescape(out, bs + 1, (size_t)(end - bs - 1), &lone);
        if (used == 0)
            return false;
        p = bs + 1 + used;
    }
    return true;
}
