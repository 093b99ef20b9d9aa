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

/* Appends cp as UTF-8. The one- and two-byte forms are written here:
 * utf8proc_encode_char was a fifth of cdp_text_title's time on names. */
static inline void add_cp(struct cdp_buf *out, utf8proc_int32_t cp)
{
    cdp_buf_grow(out, 4);
    unsigned char *w = (unsigned char *)out->data + out->len;
    if (cp < 0x80) {
        w[0] = (unsigned char)cp;
        out->len += 1;
    } else if (cp < 0x800) {
        w[0] = (unsigned char)(0xC0 | cp >> 6);
        w[1] = (unsigned char)(0x80 | (cp & 0x3F));
        out->len += 2;
    } else {
        out->len += (size_t)utf8proc_encode_char(cp, w);
    }
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

/* Whether a byte can start a white-space character: ASCII controls and
 * space, and the lead bytes of U+0085/U+00A0 (C2), U+1680/U+180E (E1),
 * U+2000..U+205F (E2), U+3000 (E3) and U+FEFF (EF). */
static inline bool may_start_space(unsigned char c)
{
    return c <= ' ' || c == 0xC2 || c == 0xE1 || c == 0xE2 || c == 0xE3 || c == 0xEF;
}

void cdp_text_trim_reference(const char **s, size_t *len)
{
    const char *p = *s;
    size_t n = *len;
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

/* Bytes that may begin white space (may_start_space) or are no character's
 * first byte (continuation bytes, from invalid UTF-8), as a bit set. */
static const uint64_t maybe_space_bits[4] = {
    0x1FFFFFFFFull, 0, ~0ull, 1ull << 2 | 1ull << 33 | 1ull << 34 | 1ull << 35 | 1ull << 47,
};

static inline bool maybe_space(unsigned char c)
{
    return maybe_space_bits[c >> 6] >> (c & 63) & 1;
}

void cdp_text_trim(const char **s, size_t *len)
{
    size_t n = *len;
    if (n == 0)
        return;
    /* Most values start and end with a character that cannot be white space
     * (a letter or digit, ASCII or Cyrillic): then the first bytes of the
     * first and the last character say so without decoding (trimming
     * Cyrillic values the slow way was 7% of cdp-ingest's instructions on a
     * CRM export). */
    const unsigned char *p = (const unsigned char *)*s;
    unsigned char last = p[n - 1];
    if (last >= 0x80) {
        size_t k = 1;
        while (k < n && k < 4 && (p[n - k] & 0xC0) == 0x80)
            k++;
        last = p[n - k];
    }
    if (!maybe_space(p[0]) && !maybe_space(last))
        return;
    cdp_text_trim_reference(s, len);
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

void cdp_text_clean_reference(struct cdp_buf *out, const char *s, size_t len)
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

/* Whether trimmed text is already clean: visible ASCII, single ASCII
 * spaces between words, and two-byte characters that are neither white
 * space nor touched by NFC (U+0080..U+02FF but NO-BREAK SPACE, and
 * Cyrillic U+0400..U+0482, U+048A..U+04FF). Names and cities in Russian
 * and English exports are; cleaning them is then one pass and a copy. */
static bool plain_text(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        unsigned char c = *p;
        if (c > ' ' && c < 0x7F) {
            p++;
        } else if ((c == 0xD0 || c == 0xD1) && p + 1 < end && (p[1] & 0xC0) == 0x80) {
            p += 2; /* U+0400..U+047F */
        } else if (c == ' ') {
            if (p + 1 < end && p[1] == ' ')
                return false;
            p++;
        } else if (c >= 0xC2 && c <= 0xD3 && p + 1 < end && (p[1] & 0xC0) == 0x80) {
            unsigned cp = (unsigned)(c & 0x1F) << 6 | (p[1] & 0x3F);
            if (cp == 0xA0 || (cp >= 0x300 && cp < 0x400) || (cp >= 0x483 && cp < 0x48A))
                return false;
            p += 2;
        } else {
            return false;
        }
    }
    return true;
}

void cdp_text_clean(struct cdp_buf *out, const char *s, size_t len)
{
    cdp_text_trim(&s, &len);
    if (plain_text(s, len)) {
        cdp_buf_add(out, s, len);
        return;
    }
    cdp_text_clean_reference(out, s, len);
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
        if (cp < 0x80) {
            dst[n++] = (char)cp;
        } else if (cp < 0x800) {
            dst[n++] = (char)(0xC0 | cp >> 6);
            dst[n++] = (char)(0x80 | (cp & 0x3F));
        } else {
            n += (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)dst + n);
        }
    }
    dst[n] = '\0';
    return n;
}

void cdp_text_lower(struct cdp_buf *out, const char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        /* A run of ASCII in one go: e-mail addresses are mostly that. */
        size_t run = i;
        while (run < len && (unsigned char)s[run] < 0x80)
            run++;
        if (run > i) {
            cdp_buf_grow(out, run - i);
            char *w = out->data + out->len;
            size_t k = i;
            /* Eight at a time: the bytes from 'A' to 'Z' get 0x20 added. */
            for (; k + 8 <= run; k += 8, w += 8) {
                const uint64_t ones = 0x0101010101010101ull;
                uint64_t x;
                memcpy(&x, s + k, 8); /* ASCII: no high bits */
                uint64_t above_z = x + ones * (0x7F - 'Z'), from_a = x + ones * (0x80 - 'A');
                x |= ((from_a ^ above_z) & ones * 0x80) >> 2;
                memcpy(w, &x, 8);
            }
            for (; k < run; k++) {
                unsigned char c = (unsigned char)s[k];
                *w++ = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            }
            out->len += run - i;
            out->data[out->len] = '\0';
            i = run;
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

void cdp_text_title_reference(struct cdp_buf *out, const char *s, size_t len)
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

/* cdp_text_title for text made only of ASCII and basic Cyrillic (U+0400..
 * U+045F), whose case mappings keep each character's length: one pass to
 * read a word and its case, a copy when it keeps its case (most names come
 * in Title Case already), else a second pass; no decoding call (names took a
 * fifth of cdp-ingest's instructions on a 1C export through the general
 * code). Returns false, having written nothing, for any other text. */
static bool title_basic(struct cdp_buf *out, const char *s, size_t len)
{
    cdp_buf_grow(out, len);
    unsigned char *w = (unsigned char *)out->data + out->len;
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        const unsigned char *word = p;
        bool has_upper = false, has_lower = false;
        while (p < end) {
            unsigned char c = *p;
            if (c < 0x80) {
                if (c == ' ' || c == '-' || c == '\'' || c == '.')
                    break;
                has_upper |= (unsigned char)(c - 'A') < 26;
                has_lower |= (unsigned char)(c - 'a') < 26;
                p++;
                continue;
            }
            /* D0 80..AF is U+0400..U+042F (upper case), D0 B0..BF and
             * D1 80..9F U+0430..U+045F (lower case). */
            if (end - p < 2 || (p[1] & 0xC0) != 0x80)
                return false;
            if (c == 0xD0) {
                bool upper = p[1] < 0xB0;
                has_upper |= upper;
                has_lower |= !upper;
            } else if (c == 0xD1 && p[1] < 0xA0) {
                has_lower = true;
            } else {
                return false;
            }
            p += 2;
        }
        if (has_upper && has_lower) {
            memcpy(w, word, (size_t)(p - word)); /* mixed case is kept */
            w += p - word;
        } else {
            bool first = true;
            for (const unsigned char *q = word; q < p; q++) {
                unsigned char c = *q;
                if (c < 0x80) {
                    bool letter = (unsigned char)((c | 0x20) - 'a') < 26;
                    if (letter)
                        c = first ? (unsigned char)(c & ~0x20) : (unsigned char)(c | 0x20);
                    first &= !letter;
                    *w++ = c;
                    continue;
                }
                unsigned cp = (unsigned)(c & 0x1F) << 6 | (q[1] & 0x3F);
                cp = first ? (cp >= 0x450 ? cp - 0x50 : cp >= 0x430 ? cp - 0x20 : cp)
                           : (cp < 0x410 ? cp + 0x50 : cp < 0x430 ? cp + 0x20 : cp);
                first = false;
                *w++ = (unsigned char)(0xC0 | cp >> 6);
                *w++ = (unsigned char)(0x80 | (cp & 0x3F));
                q++;
            }
        }
        if (p < end)
            *w++ = *p++; /* the break */
    }
    out->len = (size_t)((char *)w - out->data);
    out->data[out->len] = '\0';
    return true;
}

void cdp_text_title(struct cdp_buf *out, const char *s, size_t len)
{
    if (!title_basic(out, s, len))
        cdp_text_title_reference(out, s, len);
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
