#include "norm/decimal.h"

#include <string.h>

#include "norm/text.h"

bool cdp_decimal_normalize(struct cdp_buf *out, const char *s, size_t len)
{
    cdp_text_trim(&s, &len);
    char digits[64];
    size_t nd = 0;
    bool negative = false;
    size_t i = 0;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        negative = s[i++] == '-';
    /* Find the separators to decide which one is decimal. */
    size_t commas = 0, points = 0, last_comma = 0, last_point = 0;
    for (size_t j = i; j < len; j++) {
        if (s[j] == ',')
            commas++, last_comma = j;
        else if (s[j] == '.')
            points++, last_point = j;
    }
    char decimal = 0;
    if (commas && points)
        decimal = last_comma > last_point ? ',' : '.';
    else if (commas == 1)
        decimal = ',';
    else if (points == 1)
        decimal = '.';
    size_t int_digits = 0, frac_digits = 0;
    size_t group = 0;       /* digits since the last thousands separator */
    bool grouped = false;   /* a thousands separator was seen */
    bool in_frac = false, any = false;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        if (c >= '0' && c <= '9') {
            if (nd >= sizeof digits - 2)
                return false;
            digits[nd++] = (char)c;
            if (in_frac)
                frac_digits++;
            else
                int_digits++, group++;
            any = true;
            i++;
            continue;
        }
        size_t sep = 0;
        if (c == (unsigned char)decimal && !in_frac) {
            /* Groups of thousands before the decimal separator have three digits. */
            if (grouped && group != 3)
                return false;
            digits[nd++] = '.';
            in_frac = true;
            i++;
            continue;
        }
        if (c == ',' || c == '.' || c == ' ' || c == '\'')
            sep = 1;
        else if (c == 0xC2 && i + 1 < len && (unsigned char)s[i + 1] == 0xA0)
            sep = 2; /* NO-BREAK SPACE */
        else if (c == 0xE2 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
                 ((unsigned char)s[i + 2] == 0xAF || (unsigned char)s[i + 2] == 0x89))
            sep = 3; /* NARROW NO-BREAK SPACE, THIN SPACE */
        if (!sep || in_frac || !int_digits)
            return false;
        /* A thousands separator: 1-3 digits before the first, 3 between. */
        if ((grouped && group != 3) || (!grouped && group > 3))
            return false;
        grouped = true;
        group = 0;
        i += sep;
    }
    if (grouped && !in_frac && group != 3)
        return false;
    if (!any || (in_frac && frac_digits == 0))
        return false;
    digits[nd] = '\0';
    /* JSON numbers have no leading zeros and no bare leading point; a zero
     * has no sign (-,00 as -0,00: "0.00"). */
    const char *p = digits;
    while (p[0] == '0' && p[1] >= '0' && p[1] <= '9')
        p++;
    if (strcspn(p, ".") > CDP_DECIMAL_INT_DIGITS)
        return false;
    bool zero = true;
    for (const char *q = p; *q; q++)
        if (*q >= '1' && *q <= '9')
            zero = false;
    if (negative && !zero)
        cdp_buf_addc(out, '-');
    if (*p == '.')
        cdp_buf_addc(out, '0');
    cdp_buf_adds(out, p);
    return true;
}

bool cdp_decimal_json_ok(const char *s, size_t len)
{
    size_t i = len && s[0] == '-';
    size_t int_digits = 0;
    while (i + int_digits < len && s[i + int_digits] >= '0' && s[i + int_digits] <= '9')
        int_digits++;
    return int_digits <= CDP_DECIMAL_INT_DIGITS && !memchr(s, 'e', len) && !memchr(s, 'E', len);
}
