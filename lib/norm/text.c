#include "norm/text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* Decodes one code point (input is valid UTF-8); returns its length. The
 * one- and two-byte forms (ASCII, Latin, Cyrillic) are decoded inline. */
static inline size_t next_cp(const char *s, size_t len, utf8proc_int32_t *cp)
{
    unsigned char c = (unsigned char)s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF && len >= 2) {
        *cp = ((c & 0x1F) << 6) | ((unsigned char)s[1] & 0x3F);
        return 2;
    }
    utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, cp);
    if (n <= 0) {
        *cp = (unsigned char)s[0];
        return 1;
    }
    return (size_t)n;
}

static void add_cp(struct cdp_buf *out, utf8proc_int32_t cp)
{
    if (cp < 0x80) {
        cdp_buf_addc(out, (char)cp);
        return;
    }
    cdp_buf_grow(out, 4);
    utf8proc_ssize_t n = utf8proc_encode_char(cp, (utf8proc_uint8_t *)out->data + out->len);
    out->len += (size_t)n;
    out->data[out->len] = '\0';
}

/* Profiling cdp-ingest on a CRM export showed a quarter of the time in
 * utf8proc's per-code-point lookups for names. Names are overwhelmingly
 * ASCII and basic Cyrillic (U+0400..U+045F), whose case mapping is two
 * fixed offsets; those are answered here, everything else by utf8proc. */
static inline bool basic_cyrillic(utf8proc_int32_t cp)
{
    return cp >= 0x400 && cp <= 0x45F;
}

static inline bool cp_is_upper(utf8proc_int32_t cp)
{
    if (cp < 0x80)
        return cp >= 'A' && cp <= 'Z';
    if (basic_cyrillic(cp))
        return cp <= 0x42F;
    return utf8proc_isupper(cp);
}

static inline bool cp_is_lower(utf8proc_int32_t cp)
{
    if (cp < 0x80)
        return cp >= 'a' && cp <= 'z';
    if (basic_cyrillic(cp))
        return cp >= 0x430;
    return utf8proc_islower(cp);
}

static inline utf8proc_int32_t cp_lower(utf8proc_int32_t cp)
{
    if (cp < 0x80)
        return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    if (basic_cyrillic(cp))
        return cp < 0x410 ? cp + 0x50 : cp < 0x430 ? cp + 0x20 : cp;
    return utf8proc_tolower(cp);
}

static inline utf8proc_int32_t cp_title(utf8proc_int32_t cp)
{
    if (cp < 0x80)
        return cp >= 'a' && cp <= 'z' ? cp - 32 : cp;
    if (basic_cyrillic(cp))
        return cp >= 0x450 ? cp - 0x50 : cp >= 0x430 ? cp - 0x20 : cp;
    return utf8proc_totitle(cp);
}

static inline bool cp_is_letter(utf8proc_int32_t cp)
{
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
    if (basic_cyrillic(cp))
        return true;
    utf8proc_category_t c = utf8proc_category(cp);
    return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO;
}

static bool is_space_cp(utf8proc_int32_t cp)
{
    if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\v' || cp == '\f')
        return true;
    if (cp < 0x80 || basic_cyrillic(cp))
        return false;
    utf8proc_category_t c = utf8proc_category(cp);
    return c == UTF8PROC_CATEGORY_ZS || cp == 0x200B || cp == 0xFEFF;
}

void cdp_text_trim(const char **s, size_t *len)
{
    const char *p = *s;
    size_t n = *len;
    /* Most values start and end with a visible ASCII character. */
    if (n == 0 || ((unsigned char)p[0] > ' ' && (unsigned char)p[0] < 0x80 &&
                   (unsigned char)p[n - 1] > ' ' && (unsigned char)p[n - 1] < 0x80))
        return;
    while (n > 0) {
        utf8proc_int32_t cp;
        size_t k = next_cp(p, n, &cp);
        if (!is_space_cp(cp))
            break;
        p += k;
        n -= k;
    }
    while (n > 0) {
        /* Step back over one code point. */
        size_t k = 1;
        while (k < n && k < 4 && ((unsigned char)p[n - k] & 0xC0) == 0x80)
            k++;
        utf8proc_int32_t cp;
        next_cp(p + n - k, k, &cp);
        if (!is_space_cp(cp))
            break;
        n -= k;
    }
    *s = p;
    *len = n;
}

/* A quick "already NFC" test for the common scripts: code points below
 * U+0300 (Latin, precomposed) and the Cyrillic letters U+0400..U+0482,
 * U+048A..U+04FF are starters that NFC leaves alone, so a string made only
 * of them needs no normalisation call (which would allocate). */
static bool surely_nfc(const char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        utf8proc_int32_t cp;
        i += next_cp(s + i, len - i, &cp);
        if (cp < 0x300 || (cp >= 0x400 && cp <= 0x482) || (cp >= 0x48A && cp <= 0x4FF))
            continue;
        return false;
    }
    return true;
}

/* Composes out[start..] to NFC. */
static void compose_from(struct cdp_buf *out, size_t start)
{
    utf8proc_uint8_t *nfc = utf8proc_NFC((const utf8proc_uint8_t *)out->data + start);
    if (nfc) {
        out->len = start;
        cdp_buf_adds(out, (const char *)nfc);
        free(nfc);
    }
}

/* Whether a byte can start a white-space character: ASCII controls and
 * space, and the lead bytes of U+0085/U+00A0 (C2), U+1680/U+180E (E1),
 * U+2000..U+205F (E2), U+3000 (E3) and U+FEFF (EF). */
static inline bool may_start_space(unsigned char c)
{
    return c <= ' ' || c == 0xC2 || c == 0xE1 || c == 0xE2 || c == 0xE3 || c == 0xEF;
}

void cdp_text_clean(struct cdp_buf *out, const char *s, size_t len)
{
    cdp_text_trim(&s, &len);
    size_t start = out->len;
    size_t i = 0;
    while (i < len && !may_start_space((unsigned char)s[i]))
        i++;
    if (i == len) {
        /* No white space inside: a copy, unless NFC has work to do. */
        cdp_buf_add(out, s, len);
        if (!surely_nfc(s, len))
            goto compose;
        return;
    }
    bool space = false;
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t cp;
        size_t k = next_cp(s + i, len - i, &cp);
        if (is_space_cp(cp)) {
            space = true;
        } else {
            if (space)
                cdp_buf_addc(out, ' ');
            space = false;
            cdp_buf_add(out, s + i, k);
        }
        i += k;
    }
    if (surely_nfc(out->data + start, out->len - start))
        return;
compose:
    compose_from(out, start);
}

size_t cdp_text_lower_to(char *dst, size_t cap, const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t cp;
        i += next_cp(s + i, len - i, &cp);
        cp = cp_lower(cp);
        if (n + 5 > cap)
            return 0;
        n += (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)dst + n);
    }
    dst[n] = '\0';
    return n;
}

void cdp_text_lower(struct cdp_buf *out, const char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            cdp_buf_addc(out, (char)(c >= 'A' && c <= 'Z' ? c + 32 : c));
            i++;
            continue;
        }
        utf8proc_int32_t cp;
        i += next_cp(s + i, len - i, &cp);
        add_cp(out, cp_lower(cp));
    }
}

static bool is_word_break(utf8proc_int32_t cp)
{
    return cp == ' ' || cp == '-' || cp == '\'' || cp == 0x2019 || cp == 0x2010 || cp == '.';
}

void cdp_text_title(struct cdp_buf *out, const char *s, size_t len)
{
    size_t start = out->len;
    size_t i = 0;
    while (i < len) {
        /* One word: up to the next break. */
        size_t j = i;
        bool has_upper = false, has_lower = false;
        while (j < len) {
            utf8proc_int32_t cp;
            size_t k = next_cp(s + j, len - j, &cp);
            if (is_word_break(cp))
                break;
            if (cp_is_upper(cp))
                has_upper = true;
            if (cp_is_lower(cp))
                has_lower = true;
            j += k;
        }
        bool recase = !(has_upper && has_lower);
        bool first = true;
        for (size_t p = i; p < j;) {
            utf8proc_int32_t cp;
            p += next_cp(s + p, j - p, &cp);
            if (recase)
                cp = first ? cp_title(cp) : cp_lower(cp);
            if (cp_is_letter(cp))
                first = false;
            add_cp(out, cp);
        }
        /* The break itself. */
        if (j < len) {
            utf8proc_int32_t cp;
            size_t k = next_cp(s + j, len - j, &cp);
            cdp_buf_add(out, s + j, k);
            j += k;
        }
        i = j;
    }
    /* A new case can compose with the mark after it: long s and a dot
     * below (ſ̣) become S and the dot, which NFC writes as one Ṣ. */
    if (!surely_nfc(out->data + start, out->len - start))
        compose_from(out, start);
}

bool cdp_text_has_letter(const char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t cp;
        i += next_cp(s + i, len - i, &cp);
        if (cp_is_letter(cp))
            return true;
    }
    return false;
}
