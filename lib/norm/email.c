#include "norm/email.h"

#include <string.h>

#include "norm/text.h"

/* What each byte may be in an address, looked up rather than tested in
 * turn (the tests were most of the cost of checking an address). A byte
 * from 0x80 is part of a UTF-8 letter (SMTPUTF8). */
enum { ATEXT = 1, LABEL = 2, DIGIT = 4 };

static const unsigned char byte_class[256] = {
    ['a' ... 'z'] = ATEXT | LABEL, ['A' ... 'Z'] = ATEXT | LABEL,
    ['0' ... '9'] = ATEXT | LABEL | DIGIT, ['-'] = ATEXT | LABEL,
    /* RFC 5322 atext */
    ['!'] = ATEXT, ['#'] = ATEXT, ['$'] = ATEXT, ['%'] = ATEXT, ['&'] = ATEXT, ['\''] = ATEXT,
    ['*'] = ATEXT, ['+'] = ATEXT, ['/'] = ATEXT, ['='] = ATEXT, ['?'] = ATEXT, ['^'] = ATEXT,
    ['_'] = ATEXT, ['`'] = ATEXT, ['{'] = ATEXT, ['|'] = ATEXT, ['}'] = ATEXT, ['~'] = ATEXT,
    [0x80 ... 0xFF] = ATEXT | LABEL,
};

static bool valid_local(const char *s, size_t n)
{
    if (n == 0 || n > 64 || s[0] == '.' || s[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.') {
            if (s[i + 1] == '.')
                return false;
        } else if (!(byte_class[(unsigned char)s[i]] & ATEXT)) {
            return false;
        }
    }
    return true;
}

static bool valid_domain(const char *s, size_t n)
{
    if (n == 0 || n > 253)
        return false;
    size_t labels = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.') {
            if (!(byte_class[(unsigned char)s[i]] & LABEL))
                return false;
            continue;
        }
        size_t len = i - start;
        if (len == 0 || len > 63 || s[start] == '-' || s[i - 1] == '-')
            return false;
        labels++;
        if (i == n) {
            /* The top-level label: letters only (at least two), or xn--. */
            if (len >= 4 && memcmp(s + start, "xn--", 4) == 0)
                return labels >= 2;
            size_t letters = 0;
            for (size_t k = start; k < i; k++) {
                unsigned char c = (unsigned char)s[k];
                if ((byte_class[c] & DIGIT) || c == '-')
                    return false;
                if ((c & 0xC0) != 0x80)
                    letters++; /* count characters, not UTF-8 bytes */
            }
            return labels >= 2 && letters >= 2;
        }
        start = i + 1;
    }
    return false;
}

bool cdp_email_valid(const char *s, size_t len)
{
    /* At most 254 bytes: checked here, after lower-casing, which can
     * lengthen a letter's UTF-8 (Ⱦ, 2 bytes, lowers to ⱦ, 3). */
    if (len > 254)
        return false;
    const char *at = memchr(s, '@', len);
    if (!at || memchr(at + 1, '@', len - (size_t)(at - s) - 1))
        return false;
    size_t local = (size_t)(at - s);
    return valid_local(s, local) && valid_domain(at + 1, len - local - 1);
}

bool cdp_email_normalize(struct cdp_buf *out, const char *s, size_t len)
{
    cdp_text_trim(&s, &len);
    if (len == 0 || len > 254)
        return false;
    size_t start = out->len;
    cdp_text_lower(out, s, len);
    if (!cdp_email_valid(out->data + start, out->len - start)) {
        out->len = start;
        out->data[start] = '\0';
        return false;
    }
    return true;
}
