#include "norm/vocab_key.h"

#include <stdbool.h>
#include <string.h>
#include <utf8proc.h>

static void add_cp(struct cdp_buf *out, utf8proc_int32_t cp)
{
    if (cp < 0x80) {
        cdp_buf_addc(out, (char)cp);
        return;
    }
    cdp_buf_grow(out, 4);
    out->len += (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)out->data + out->len);
    out->data[out->len] = '\0';
}

/* Appends a letter or digit, after a space when a break came before it. */
static void emit(struct cdp_buf *out, size_t start, bool *brk, utf8proc_int32_t cp)
{
    if (*brk && out->len > start)
        cdp_buf_addc(out, ' ');
    *brk = false;
    add_cp(out, cp);
}

void cdp_vocab_key(struct cdp_buf *out, const char *s, size_t len)
{
    size_t start = out->len;
    bool brk = false;
    cdp_buf_grow(out, len);
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        /* ASCII and the Russian alphabet but Й and Ё (which lose their
         * marks below) are most of what is looked up: answered here. */
        if (c < 0x80) {
            i++;
            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
                emit(out, start, &brk, c);
            else if (c >= 'A' && c <= 'Z')
                emit(out, start, &brk, c + 32);
            else
                brk = true;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t n =
            utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);
        if (n <= 0) { /* not UTF-8: a break, never a match */
            i++;
            brk = true;
            continue;
        }
        i += (size_t)n;
        if (cp >= 0x410 && cp <= 0x44F && cp != 0x419 && cp != 0x439) {
            emit(out, start, &brk, cp < 0x430 ? cp + 0x20 : cp);
            continue;
        }
        utf8proc_int32_t parts[32];
        int boundclass = 0;
        utf8proc_ssize_t np = utf8proc_decompose_char(
            cp, parts, 32,
            UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK | UTF8PROC_DECOMPOSE |
                UTF8PROC_IGNORE,
            &boundclass);
        if (np < 0 || np > 32) {
            brk = true;
            continue;
        }
        for (utf8proc_ssize_t k = 0; k < np; k++) {
            utf8proc_category_t cat = utf8proc_category(parts[k]);
            if ((cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
                (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO))
                emit(out, start, &brk, parts[k]);
            else
                brk = true;
        }
    }
}

/* Words naming a kind of subdivision, as keys (й is и): Russian as 1C, FIAS
 * and people write them, and ISO's romanised Russian for republics, krais
 * and okrugs. Not "oblast" or "region": in English they are all that tells
 * "Moscow Oblast" from "Moscow" (in Russian the adjective does). */
static bool type_word(const char *w, size_t n)
{
    static const char *const words[] = {
        "область", "обл", "аобл", "край", "республика", "респ", "автономныи", "автономная",
        "округ", "ао", "город", "г", "федерального", "значения", "respublika", "kraj",
        "krai", "avtonomnyj", "avtonomnaja", "okrug",
    };
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strlen(words[i]) == n && memcmp(words[i], w, n) == 0)
            return true;
    return false;
}

void cdp_vocab_region_key(struct cdp_buf *out, const char *s, size_t len)
{
    size_t start = out->len;
    cdp_vocab_key(out, s, len);
    /* Drop the type words in place; keep everything if only they are left. */
    size_t end = out->len, w = start;
    bool kept = false;
    for (size_t i = start; i < end;) {
        size_t j = i;
        while (j < end && out->data[j] != ' ')
            j++;
        if (!type_word(out->data + i, j - i)) {
            if (kept)
                out->data[w++] = ' ';
            memmove(out->data + w, out->data + i, j - i);
            w += j - i;
            kept = true;
        }
        i = j + 1;
    }
    if (!kept)
        return; /* nothing was moved */
    out->len = w;
    out->data[w] = '\0';
}
