#include "export/platform_ids.h"

#include <string.h>
#include <utf8proc.h>

#include "norm/date.h"
#include "norm/text.h"

static bool ascii_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool cdp_norm_email_google(struct cdp_buf *out, const char *email, size_t len)
{
    size_t start = out->len;
    const char *at = memchr(email, '@', len);
    if (!at)
        return false;
    const char *domain = at + 1;
    size_t dlen = len - (size_t)(domain - email);
    bool gmail = (dlen == 9 && memcmp(domain, "gmail.com", 9) == 0) ||
                 (dlen == 14 && memcmp(domain, "googlemail.com", 14) == 0);
    const char *end = at;
    if (gmail) {
        const char *plus = memchr(email, '+', (size_t)(at - email));
        if (plus)
            end = plus;
    }
    for (const char *p = email; p < end; p++)
        if (!ascii_space(*p) && !(gmail && *p == '.'))
            cdp_buf_addc(out, *p);
    if (out->len == start) {
        /* "+tag@gmail.com": nothing would be left of the local part; keep it. */
        for (const char *p = email; p < at; p++)
            if (!ascii_space(*p))
                cdp_buf_addc(out, *p);
    }
    for (const char *p = at; p < email + len; p++)
        if (!ascii_space(*p))
            cdp_buf_addc(out, *p);
    return out->len > start;
}

bool cdp_norm_name_google(struct cdp_buf *out, const char *s, size_t len)
{
    cdp_text_trim(&s, &len);
    size_t start = out->len;
    cdp_text_lower(out, s, len);
    return out->len > start;
}

bool cdp_norm_letters_meta(struct cdp_buf *out, const char *s, size_t len)
{
    size_t start = out->len;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            if (c >= 'A' && c <= 'Z')
                cdp_buf_addc(out, (char)(c + 32));
            else if (c >= 'a' && c <= 'z')
                cdp_buf_addc(out, (char)c);
            i++;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
                                              (utf8proc_ssize_t)(len - i), &cp);
        if (k <= 0) {
            i++;
            continue;
        }
        i += (size_t)k;
        utf8proc_category_t cat = utf8proc_category(cp);
        if (cat < UTF8PROC_CATEGORY_LU || cat > UTF8PROC_CATEGORY_LO)
            continue;
        cp = utf8proc_tolower(cp);
        cdp_buf_grow(out, 4);
        out->len += (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)out->data + out->len);
        out->data[out->len] = '\0';
    }
    return out->len > start;
}

bool cdp_norm_zip_meta(struct cdp_buf *out, const char *s, size_t len, const char *country,
                       size_t clen)
{
    size_t start = out->len;
    cdp_text_trim(&s, &len);
    bool us = clen == 2 && (country[0] == 'U' || country[0] == 'u') &&
              (country[1] == 'S' || country[1] == 's');
    if (us) {
        /* 94016-1234 -> 94016 */
        size_t digits = 0;
        while (digits < len && digits < 5 && s[digits] >= '0' && s[digits] <= '9')
            digits++;
        if (digits == 5) {
            cdp_buf_add(out, s, 5);
            return true;
        }
    }
    struct cdp_buf lower = CDP_BUF_INIT;
    cdp_text_lower(&lower, s, len);
    for (size_t i = 0; i < lower.len; i++)
        if (!ascii_space(lower.data[i]))
            cdp_buf_addc(out, lower.data[i]);
    cdp_buf_release(&lower);
    return out->len > start;
}

bool cdp_norm_country(struct cdp_buf *out, const char *s, size_t len, bool upper)
{
    cdp_text_trim(&s, &len);
    if (len != 2)
        return false;
    char c[2];
    for (int i = 0; i < 2; i++) {
        char x = s[i];
        if (x >= 'a' && x <= 'z')
            x = (char)(x - 32);
        if (x < 'A' || x > 'Z')
            return false;
        c[i] = upper ? x : (char)(x + 32);
    }
    cdp_buf_add(out, c, 2);
    return true;
}

/* A calendar date at the start of s: YYYY-MM-DD. */
static bool leading_date(const char *s, size_t len, int *y, int *m, int *d)
{
    if (len < 10 || s[4] != '-' || s[7] != '-' || (len > 10 && s[10] != 'T' && s[10] != ' '))
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    *y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    *m = (s[5] - '0') * 10 + (s[6] - '0');
    *d = (s[8] - '0') * 10 + (s[9] - '0');
    return *y >= 1 && *m >= 1 && *m <= 12 && *d >= 1 && *d <= cdp_days_in_month(*y, *m);
}

bool cdp_norm_birthday_mmdd(struct cdp_buf *out, const char *s, size_t len)
{
    int y, m, d;
    if (!leading_date(s, len, &y, &m, &d))
        return false;
    cdp_buf_add_digits(out, (unsigned)m, 2);
    cdp_buf_addc(out, '/');
    cdp_buf_add_digits(out, (unsigned)d, 2);
    return true;
}

bool cdp_norm_birth_year(struct cdp_buf *out, const char *s, size_t len)
{
    int y, m, d;
    if (!leading_date(s, len, &y, &m, &d))
        return false;
    cdp_buf_add_digits(out, (unsigned)y, 4);
    return true;
}

bool cdp_norm_gender(struct cdp_buf *out, const char *s, size_t len)
{
    cdp_text_trim(&s, &len);
    if (len != 1)
        return false;
    char c = s[0] == 'M' ? 'm' : s[0] == 'F' ? 'f' : s[0];
    if (c != 'm' && c != 'f')
        return false;
    cdp_buf_addc(out, c);
    return true;
}

bool cdp_e164_syntax(const char *s, size_t len)
{
    if (len < 8 || len > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9')
        return false;
    for (size_t i = 2; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}
