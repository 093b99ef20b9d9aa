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
