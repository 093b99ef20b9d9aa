#include "norm/show.h"

#include <string.h>

#include "norm/schema.h"

/* Length of the valid UTF-8 character at s (n bytes left), or 0. */
static size_t utf8_char(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return 1;
    size_t len = s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 && s[0] < 0xE0 ? 2 : 0;
    if (!len || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if (len == 3 && ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0)))
        return 0; /* overlong, surrogate */
    if (len == 4 && ((s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90)))
        return 0;
    return len;
}

/* Control characters escaped; with all, also a backslash (so that the
 * escapes read back unambiguously) and invalid UTF-8. */
static void escape(struct cdp_buf *out, const char *s, size_t n, bool all)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        size_t len = utf8_char(p + i, n - i);
        if (len > 1) {
            /* C1 controls (U+0080..U+009F) move terminals too */
            if (len == 2 && c == 0xC2 && p[i + 1] < 0xA0)
                cdp_buf_printf(out, "\\u%04x", p[i + 1]);
            else
                cdp_buf_add(out, s + i, len);
            i += len;
            continue;
        }
        switch (c) {
        case '\n': cdp_buf_adds(out, "\\n"); break;
        case '\r': cdp_buf_adds(out, "\\r"); break;
        case '\t': cdp_buf_adds(out, "\\t"); break;
        case 0x1B: cdp_buf_adds(out, "\\e"); break;
        case '\0': cdp_buf_adds(out, "\\0"); break;
        case '\\': cdp_buf_adds(out, all ? "\\\\" : "\\"); break;
        default:
            if (c < 0x20 || c == 0x7F || (len == 0 && all))
                cdp_buf_printf(out, "\\x%02X", c);
            else
                cdp_buf_addc(out, (char)c);
        }
        i++;
    }
}

void cdp_show_escaped(struct cdp_buf *out, const char *s, size_t n)
{
    escape(out, s, n, true);
}

void cdp_show_controls(struct cdp_buf *out, const char *s, size_t n)
{
    escape(out, s, n, false);
}

/* The number of characters of s (an invalid byte counts as one). */
static size_t count_chars(const char *s, size_t n)
{
    size_t chars = 0;
    for (size_t i = 0; i < n; chars++) {
        size_t len = utf8_char((const unsigned char *)s + i, n - i);
        i += len ? len : 1;
    }
    return chars;
}

/* The byte length of the first k characters of s. */
static size_t prefix_bytes(const char *s, size_t n, size_t k)
{
    size_t i = 0;
    for (; k && i < n; k--) {
        size_t len = utf8_char((const unsigned char *)s + i, n - i);
        i += len ? len : 1;
    }
    return i;
}

/* The byte offset where the last k characters of s begin. */
static size_t suffix_start(const char *s, size_t n, size_t k)
{
    return prefix_bytes(s, n, count_chars(s, n) - k);
}

static void mask_text(struct cdp_buf *out, const char *s, size_t n)
{
    size_t chars = count_chars(s, n);
    if (chars >= 8) {
        cdp_show_escaped(out, s, prefix_bytes(s, n, 2));
        cdp_buf_adds(out, "***");
        size_t from = suffix_start(s, n, 2);
        cdp_show_escaped(out, s + from, n - from);
    } else if (chars >= 3) {
        cdp_show_escaped(out, s, prefix_bytes(s, n, 1));
        cdp_buf_adds(out, "***");
    } else {
        cdp_buf_adds(out, "***");
    }
}

static void mask_email(struct cdp_buf *out, const char *s, size_t n)
{
    const char *at = memrchr(s, '@', n);
    if (!at) {
        mask_text(out, s, n);
        return;
    }
    size_t local = (size_t)(at - s);
    size_t keep = count_chars(s, local) > 4 ? 2 : 1;
    if (local == 0)
        keep = 0;
    cdp_show_escaped(out, s, prefix_bytes(s, local, keep));
    cdp_buf_adds(out, "***");
    cdp_show_escaped(out, at, n - local);
}

static bool phone_like(const char *s, size_t n)
{
    size_t digits = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9')
            digits++;
        else if (!(c == '+' || c == ' ' || c == '-' || c == '(' || c == ')' || c == '.'))
            return false;
    }
    return digits >= 5;
}

static void mask_phone(struct cdp_buf *out, const char *s, size_t n)
{
    char digits[64];
    size_t nd = 0;
    for (size_t i = 0; i < n && nd < sizeof digits; i++)
        if (s[i] >= '0' && s[i] <= '9')
            digits[nd++] = s[i];
    if (!phone_like(s, n) || nd >= sizeof digits) {
        mask_text(out, s, n);
        return;
    }
    size_t head = nd >= 11 ? 4 : 2, tail = nd >= 11 ? 4 : 2;
    if (memchr(s, '+', n))
        cdp_buf_addc(out, '+');
    cdp_buf_add(out, digits, head);
    cdp_buf_adds(out, "***");
    cdp_buf_add(out, digits + nd - tail, tail);
}

void cdp_show_value(struct cdp_buf *out, const char *s, size_t n, enum cdp_show_kind kind, bool clear)
{
    if (clear) {
        cdp_show_escaped(out, s, n);
        return;
    }
    if (kind == CDP_SHOW_AUTO)
        kind = memchr(s, '@', n) ? CDP_SHOW_EMAIL : phone_like(s, n) ? CDP_SHOW_PHONE : CDP_SHOW_TEXT;
    switch (kind) {
    case CDP_SHOW_PLAIN: cdp_show_escaped(out, s, n); break;
    case CDP_SHOW_EMAIL: mask_email(out, s, n); break;
    case CDP_SHOW_PHONE: mask_phone(out, s, n); break;
    default: mask_text(out, s, n); break;
    }
}

void cdp_show_quoted(struct cdp_buf *out, const char *msg, size_t n, bool clear)
{
    if (clear) {
        cdp_show_escaped(out, msg, n);
        return;
    }
    size_t i = 0;
    while (i < n) {
        size_t q = i;
        while (q < n && msg[q] != '"' && msg[q] != '\'')
            q++;
        cdp_show_escaped(out, msg + i, q - i);
        if (q == n)
            break;
        const char *from = msg + q + 1, *end = msg + n;
        const char *close = memchr(from, msg[q], (size_t)(end - from));
        const char *cut = msg[q] == '"' ? memmem(from, (size_t)(end - from), "...)", 4) : NULL;
        const char *to = cut && (!close || cut < close) ? cut : close ? close : end;
        cdp_buf_addc(out, msg[q]);
        static const char key[] = "with string ";
        size_t kn = sizeof key - 1;
        if (q >= kn && memcmp(msg + q - kn, key, kn) == 0)
            cdp_show_escaped(out, from, (size_t)(to - from));
        else
            cdp_show_value(out, from, (size_t)(to - from), CDP_SHOW_AUTO, false);
        i = (size_t)(to - msg);
        if (to == close) {
            cdp_buf_addc(out, msg[q]);
            i++;
        }
    }
}

enum cdp_show_kind cdp_show_kind_of(const char *field)
{
    static const char *const text[] = {
        "card", "customer_id", "anon_id", "last_name", "first_name", "middle_name", "full_name",
        "birth_date", "address", "postal_code", "order_id",
    };
    if (strcmp(field, "email") == 0)
        return CDP_SHOW_EMAIL;
    if (strcmp(field, "phone") == 0)
        return CDP_SHOW_PHONE;
    for (size_t i = 0; i < sizeof text / sizeof *text; i++)
        if (strcmp(field, text[i]) == 0)
            return CDP_SHOW_TEXT;
    return cdp_schema_find(field, strlen(field)) ? CDP_SHOW_PLAIN : CDP_SHOW_AUTO;
}
