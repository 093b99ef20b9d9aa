#include "io/csv_cell.h"

#include <stdbool.h>
#include <string.h>

void cdp_csv_add_cell(struct cdp_buf *out, const char *s, size_t len, char delimiter)
{
    bool quote = len > 0 && (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t');
    for (size_t i = 0; i < len && !quote; i++) {
        char c = s[i];
        quote = c == delimiter || c == '"' || c == '\n' || c == '\r';
    }
    if (!quote) {
        cdp_buf_add(out, s, len);
        return;
    }
    cdp_buf_grow(out, len + 2);
    cdp_buf_addc(out, '"');
    for (size_t i = 0; i < len; i++) {
        const char *q = memchr(s + i, '"', len - i);
        size_t n = q ? (size_t)(q - (s + i)) : len - i;
        cdp_buf_add(out, s + i, n);
        i += n;
        if (q)
            cdp_buf_add(out, "\"\"", 2);
    }
    cdp_buf_addc(out, '"');
}

/* A sign and then only what numbers and phones are written with. */
static bool number_like(const char *s, size_t len)
{
    if (len < 2 || (s[0] != '+' && s[0] != '-'))
        return false;
    bool digit = false;
    for (size_t i = 1; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9')
            digit = true;
        else if (!strchr(".,() -", c))
            return false;
    }
    return digit;
}

void cdp_csv_add_text_cell(struct cdp_buf *out, const char *s, size_t len, char delimiter)
{
    if (len == 0 || !strchr("=+-@\t\r", s[0]) || s[0] == '\0' || number_like(s, len)) {
        cdp_csv_add_cell(out, s, len, delimiter);
        return;
    }
    struct cdp_buf inert = CDP_BUF_INIT;
    cdp_buf_addc(&inert, '\'');
    cdp_buf_add(&inert, s, len);
    cdp_csv_add_cell(out, inert.data, inert.len, delimiter);
    cdp_buf_release(&inert);
}
