/* translit.c: names folded for comparing across case, Ё/Е, diacritics,
 * scripts and transliteration systems.
 *
 * The fold, code point by code point (ASCII and basic Cyrillic answered
 * here, everything else by utf8proc):
 *  - ASCII letters to lower case, digits kept;
 *  - Cyrillic U+0400..U+045F lower-cased and transliterated (the table
 *    below: Russian as in the header, plus Ukrainian, Belarusian, Serbian
 *    and Macedonian letters); also Ukrainian ґ, pre-1918 ѣ ѳ ѵ and a few
 *    Kazakh and Tatar letters (ә ғ қ ң ө ұ ү һ); "и" followed by a
 *    combining breve (a decomposed "й") is "y";
 *  - Latin, Greek and Cyrillic beyond those (U+0080..U+052F, U+1E00..
 *    U+1FFF, ligatures, full-width forms): utf8proc's case folding and
 *    compatibility decomposition with the marks stripped ("É" -> "e",
 *    "ß" -> "ss", "ﬁ" -> "fi", "Ӂ" -> "zh"), then letters with no
 *    decomposition spelled out (æ ae, ø o, ł l, đ dj, þ th, œ oe, ı i, ə e);
 *  - other scripts: letters lower-cased, marks and digits kept as they are
 *    (stripping marks there would remove vowels);
 *  - apostrophes (' ’ ʼ ` ´ ‘ ʹ ʺ), format characters (soft hyphen, zero
 *    widths) and stray combining marks dropped; every other character
 *    (spaces, hyphens, dots, controls, symbols, invalid bytes) is a word
 *    break, dropped too.
 *
 * The key: the fold, then, on each word on its own (a word ends at a word
 * break, not at an apostrophe: "Natal'ya" is one word), these rewrites on the
 * ASCII letters, in this order. "C" is a consonant (an ASCII letter other
 * than a e i o u y), "V" one of a e o u.
 *
 *   1. x -> ks                                  Xenia, Alexander, Alexey
 *   2. left to right, one pass:
 *      khr-, chr-, hr- at the start -> kr-      Khristina, Christina, Hristina
 *      sch -> sh, th -> t, ph -> f, kh -> h     Schmidt, Sophia, Mikhail/Mihail
 *      ck -> k                                  Jackson
 *      c not before h, e, i, y -> k             Victoria, Nicolai, Marc
 *      w -> v, q -> k, j -> y                   Wladimir; Julia, Sergej, Tatjana
 *      gu before e or i -> g                    Serguei
 *   3. at the start: ie-, ye- -> e-             Yelena, Yevgeny, Ievgenii
 *                    ia-, io-, iu- -> ya-, yo-, yu-      Iulia, Iakov
 *   4. C + yo -> C + e (the Ё the fold made е)  Fyodor, Pyotr, Semyon, Solovyov
 *   5. a run of i and y inside a word, after a letter:
 *        at the end of the word          -> i   Sergey/Sergei, Dmitriy/Dmitrii/
 *                                                Dmitry, Evgeny/Evgenii, Tolstoy
 *        before e                        -> (dropped)   Vasilyev/Vasiliev/Vasilev,
 *                                                Andreyev/Andreev, Grigoryev
 *        after C, before a or o          -> i   Natalya/Nataliya/Natalia,
 *                                                Mariya/Maria, Yuliya/Iuliia
 *        after C, before u               -> (dropped)   Lyudmila/Liudmila/Ludmila
 *        after V, before a, o or u       -> y   Maya/Maia/Mayya, Zoya/Zoia
 *        after V, before anything else   -> i   Mikhaylov/Mikhailov, Zaytsev
 *        after C, before anything else   -> kept (Bykov's ы, Kirill's и)
 *   6. -der, -ter at the end -> -dr, -tr        Alexander/Aleksandr, Peter/Petr
 *   7. a doubled consonant -> one               Anna/Ana, Kirill/Kiril, Filipp/
 *                                                Filip, Khabibullin/Khabibulin
 *
 * Distinct names the key cannot tell apart are listed, and checked, in
 * tests/unit/test_translit.c: among about 600 common names, Лилия/Лиля,
 * София/Софья and Ian/Ян. It does not unify "dzh" and "j" (Dzhamil, Jamil:
 * j is taken as the Y of Julia and Jurij), "shch" and "sch" (Shchukin,
 * Schukin), a leading "yo" and "e" (Yolkina, Ёлкина: John and Yoko keep
 * theirs), or Ukrainian h for Russian g. */
#include "norm/translit.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <utf8proc.h>

/* ---- decoding ---- */

/* One code point of possibly invalid UTF-8; an invalid byte is returned as
 * -1 and consumed alone. */
static inline size_t next_cp(const unsigned char *s, size_t len, int32_t *cp)
{
    unsigned c = s[0];
    if (c < 0x80) {
        *cp = (int32_t)c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF && len >= 2 && (s[1] & 0xC0) == 0x80) {
        *cp = (int32_t)(((c & 0x1Fu) << 6) | (s[1] & 0x3Fu));
        return 2;
    }
    utf8proc_int32_t v;
    utf8proc_ssize_t n = utf8proc_iterate(s, (utf8proc_ssize_t)len, &v);
    if (n <= 0) {
        *cp = -1;
        return 1;
    }
    *cp = v;
    return (size_t)n;
}

/* ---- the fold ---- */

/* а..я (U+0430..U+044F), then ѐ..џ (U+0450..U+045F). */
static const char *const cyrillic[64] = {
    "a",  "b", "v",  "g",  "d",  "e",  "zh", "z",  "i", "y",  "k",  "l", "m", "n",  "o", "p",
    "r",  "s", "t",  "u",  "f",  "kh", "ts", "ch", "sh", "shch", "", "y", "",  "e",  "yu", "ya",
    "e",  "e", "dj", "g",  "ye", "dz", "i",  "yi", "j", "lj", "nj", "c", "k", "i",  "u", "dz",
};

/* Letters neither utf8proc's decomposition nor the table above spells in
 * ASCII (looked up after case folding). */
static const char *special(int32_t cp)
{
    switch (cp) {
    case 0xE6: return "ae";   /* æ */
    case 0xF0: return "d";    /* ð */
    case 0xF8: return "o";    /* ø */
    case 0xFE: return "th";   /* þ */
    case 0x111: return "dj";  /* đ, as ђ */
    case 0x127: return "h";   /* ħ */
    case 0x131: return "i";   /* dotless ı */
    case 0x142: return "l";   /* ł */
    case 0x14B: return "n";   /* ŋ */
    case 0x153: return "oe";  /* œ */
    case 0x167: return "t";   /* ŧ */
    case 0x259: return "e";   /* ə */
    case 0x463: return "e";   /* ѣ */
    case 0x473: return "f";   /* ѳ */
    case 0x475: return "i";   /* ѵ */
    case 0x491: return "g";   /* Ukrainian ґ */
    case 0x493: return "g";   /* ғ */
    case 0x49B: return "k";   /* қ */
    case 0x4A3: return "n";   /* ң */
    case 0x4AF: return "u";   /* ү */
    case 0x4B1: return "u";   /* ұ */
    case 0x4BB: return "h";   /* һ */
    case 0x4D9: return "a";   /* ә */
    case 0x4E9: return "o";   /* ө */
    default: return NULL;
    }
}

static bool is_apostrophe(int32_t cp)
{
    return cp == '\'' || cp == '`' || cp == 0xB4 || cp == 0x2018 || cp == 0x2019 ||
           cp == 0x2BC || cp == 0x2B9 || cp == 0x2BA;
}

/* Whether utf8proc's decomposition with marks stripped suits cp: Latin,
 * Greek, Cyrillic, their extensions, ligatures and full-width forms. */
static bool strip_marks_in(int32_t cp)
{
    return cp < 0x530 || (cp >= 0x1E00 && cp < 0x2000) || (cp >= 0xFB00 && cp <= 0xFB06) ||
           (cp >= 0xFF00 && cp <= 0xFFEF);
}

struct folder {
    struct cdp_buf *out;
    bool key;          /* cdp_name_key: rewrite each word as it ends */
    bool brk;          /* a word break since the last letter */
    size_t word;       /* where the current word starts in out */
};

static void end_word(struct folder *f);

static inline void before_letter(struct folder *f)
{
    if (f->brk) {
        if (f->key)
            end_word(f);
        f->word = f->out->len;
        f->brk = false;
    }
}

static inline void emit(struct folder *f, const char *s, size_t n)
{
    if (n == 0)
        return;
    before_letter(f);
    cdp_buf_add(f->out, s, n);
}

static void emit_cp(struct folder *f, int32_t cp)
{
    before_letter(f);
    cdp_buf_grow(f->out, 4);
    utf8proc_ssize_t n =
        utf8proc_encode_char(cp, (utf8proc_uint8_t *)f->out->data + f->out->len);
    f->out->len += (size_t)n;
    f->out->data[f->out->len] = '\0';
}

static inline void emit_str(struct folder *f, const char *s)
{
    emit(f, s, strlen(s));
}

/* One code point of a decomposition (already case-folded, marks gone). */
static void fold_simple(struct folder *f, int32_t cp)
{
    if (cp < 0x80) {
        if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) {
            char c = (char)cp;
            emit(f, &c, 1);
        } else if (cp >= 'A' && cp <= 'Z') {
            char c = (char)(cp + 32);
            emit(f, &c, 1);
        } else if (!is_apostrophe(cp)) {
            f->brk = true;
        }
        return;
    }
    if (cp >= 0x430 && cp <= 0x45F) {
        emit_str(f, cyrillic[cp - 0x430]);
        return;
    }
    const char *s = special(cp);
    if (s) {
        emit_str(f, s);
        return;
    }
    if (is_apostrophe(cp))
        return;
    utf8proc_category_t cat = utf8proc_category(cp);
    if (cat == UTF8PROC_CATEGORY_CF) /* soft hyphen, zero-width space, BOM */
        return;
    if ((cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
        cat == UTF8PROC_CATEGORY_ND)
        emit_cp(f, utf8proc_tolower(cp));
    else if (cat < UTF8PROC_CATEGORY_MN || cat > UTF8PROC_CATEGORY_ME)
        f->brk = true;
}

static void fold(struct folder *f, const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        if (c < 0x80) { /* ASCII */
            if (c >= 'A' && c <= 'Z')
                c += 32;
            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
                char ch = (char)c;
                emit(f, &ch, 1);
            } else if (!is_apostrophe((int32_t)c)) {
                f->brk = true;
            }
            i++;
            continue;
        }
        int32_t cp;
        size_t k = next_cp(s + i, len - i, &cp);
        i += k;
        if (cp < 0) { /* an invalid byte */
            f->brk = true;
            continue;
        }
        if (cp >= 0x400 && cp <= 0x45F) { /* basic Cyrillic */
            int32_t lc = cp < 0x410 ? cp + 0x50 : cp < 0x430 ? cp + 0x20 : cp;
            /* и + combining breve: a decomposed й. */
            if (lc == 0x438 && i + 1 < len && s[i] == 0xCC && s[i + 1] == 0x86) {
                lc = 0x439;
                i += 2;
            }
            emit_str(f, cyrillic[lc - 0x430]);
            continue;
        }
        if (cp >= 0x300 && cp <= 0x36F) /* a combining diacritic on its own */
            continue;
        if (is_apostrophe(cp))
            continue;
        if (strip_marks_in(cp)) {
            utf8proc_int32_t d[32];
            int bound = 0;
            utf8proc_ssize_t n = utf8proc_decompose_char(
                cp, d, 32,
                UTF8PROC_CASEFOLD | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_STRIPMARK,
                &bound);
            if (n < 0 || n > 32) {
                f->brk = true;
                continue;
            }
            for (utf8proc_ssize_t j = 0; j < n; j++)
                fold_simple(f, d[j]);
            continue;
        }
        utf8proc_category_t cat = utf8proc_category(cp);
        if (cat == UTF8PROC_CATEGORY_CF)
            continue;
        if (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO)
            emit_cp(f, utf8proc_tolower(cp));
        else if ((cat >= UTF8PROC_CATEGORY_MN && cat <= UTF8PROC_CATEGORY_ME) ||
                 cat == UTF8PROC_CATEGORY_ND)
            emit_cp(f, cp);
        else
            f->brk = true;
    }
}

void cdp_name_fold(struct cdp_buf *out, const char *s, size_t len)
{
    struct folder f = {out, false, false, out->len};
    cdp_buf_grow(out, len);
    out->data[out->len] = '\0'; /* a NUL follows even when nothing is appended */
    fold(&f, s, len);
}

/* ---- the key: rewrite rules on one folded word ---- */

static inline bool is_letter(char c)
{
    return c >= 'a' && c <= 'z';
}

static inline bool is_vowel(char c) /* for the rules: a e o u (i and y are glides) */
{
    return c == 'a' || c == 'e' || c == 'o' || c == 'u';
}

static inline bool is_consonant(char c)
{
    return is_letter(c) && !is_vowel(c) && c != 'i' && c != 'y';
}

static inline bool is_glide(char c)
{
    return c == 'i' || c == 'y';
}

/* Rule 2: spelling digraphs and letters, left to right. */
static size_t rule_letters(char *w, size_t n)
{
    size_t r = 0, o = 0;
    if (n >= 3 && (w[0] == 'k' || w[0] == 'c') && w[1] == 'h' && w[2] == 'r') {
        w[o++] = 'k';
        w[o++] = 'r';
        r = 3;
    } else if (n >= 2 && w[0] == 'h' && w[1] == 'r') {
        w[o++] = 'k';
        w[o++] = 'r';
        r = 2;
    }
    while (r < n) {
        char c = w[r], d = r + 1 < n ? w[r + 1] : '\0';
        if (c == 's' && d == 'c' && r + 2 < n && w[r + 2] == 'h') {
            w[o++] = 's';
            w[o++] = 'h';
            r += 3;
        } else if (c == 't' && d == 'h') {
            w[o++] = 't';
            r += 2;
        } else if (c == 'p' && d == 'h') {
            w[o++] = 'f';
            r += 2;
        } else if (c == 'k' && d == 'h') {
            w[o++] = 'h';
            r += 2;
        } else if (c == 'c' && d == 'k') {
            w[o++] = 'k';
            r += 2;
        } else if (c == 'c') {
            w[o++] = d == 'h' || d == 'e' || d == 'i' || d == 'y' ? 'c' : 'k';
            r++;
        } else if (c == 'g' && d == 'u' && r + 2 < n && (w[r + 2] == 'e' || w[r + 2] == 'i')) {
            w[o++] = 'g';
            r += 2;
        } else {
            w[o++] = c == 'w' ? 'v' : c == 'q' ? 'k' : c == 'j' ? 'y' : c;
            r++;
        }
    }
    return o;
}

/* Rule 3: the start of the word. */
static size_t rule_start(char *w, size_t n)
{
    if (n >= 2 && is_glide(w[0]) && w[1] == 'e') {
        memmove(w, w + 1, n - 1);
        return n - 1;
    }
    if (n >= 2 && w[0] == 'i' && (w[1] == 'a' || w[1] == 'o' || w[1] == 'u'))
        w[0] = 'y';
    return n;
}

/* Rule 4: consonant + yo -> consonant + e. */
static size_t rule_yo(char *w, size_t n)
{
    size_t r = 0, o = 0;
    while (r < n) {
        if (w[r] == 'y' && r + 1 < n && w[r + 1] == 'o' && o > 0 && is_consonant(w[o - 1])) {
            w[o++] = 'e';
            r += 2;
        } else {
            w[o++] = w[r++];
        }
    }
    return o;
}

/* Rule 5: runs of i and y. */
static size_t rule_glides(char *w, size_t n)
{
    size_t r = 0, o = 0;
    while (r < n) {
        if (!is_glide(w[r]) || o == 0 || !is_letter(w[o - 1])) {
            w[o++] = w[r++];
            continue;
        }
        size_t q = r;
        while (q < n && is_glide(w[q]))
            q++;
        char prev = w[o - 1], next = q < n ? w[q] : '\0';
        bool after_vowel = is_vowel(prev);
        if (next == '\0') {
            w[o++] = 'i';
        } else if (next == 'e') {
            /* dropped */
        } else if (next == 'a' || next == 'o') {
            w[o++] = after_vowel ? 'y' : 'i';
        } else if (next == 'u') {
            if (after_vowel)
                w[o++] = 'y';
        } else if (after_vowel) {
            w[o++] = 'i';
        } else {
            memmove(w + o, w + r, q - r);
            o += q - r;
        }
        r = q;
    }
    return o;
}

/* Rule 6: -der, -ter at the end. */
static size_t rule_er(char *w, size_t n)
{
    if (n >= 4 && w[n - 1] == 'r' && w[n - 2] == 'e' && (w[n - 3] == 'd' || w[n - 3] == 't')) {
        w[n - 2] = 'r';
        return n - 1;
    }
    return n;
}

/* Rule 7: doubled consonants (ASCII only: bytes of UTF-8 sequences may
 * repeat). Vowels stay doubled: Andreev is not Andrew. */
static size_t rule_doubles(char *w, size_t n)
{
    size_t o = 0;
    for (size_t r = 0; r < n; r++)
        if (!(o > 0 && w[o - 1] == w[r] && is_consonant(w[r])))
            w[o++] = w[r];
    return o;
}

/* Rewrites out->data[f->word .. out->len), the word just folded. */
static void end_word(struct folder *f)
{
    struct cdp_buf *b = f->out;
    size_t n = b->len - f->word;
    if (n == 0)
        return;
    /* Rule 1, the one that lengthens: x -> ks, from the end backwards. */
    size_t xs = 0;
    for (size_t i = f->word; i < b->len; i++)
        xs += b->data[i] == 'x';
    if (xs) {
        cdp_buf_grow(b, xs);
        char *w = b->data + f->word;
        size_t r = n, o = n + xs;
        while (r > 0) {
            char c = w[--r];
            if (c == 'x') {
                w[--o] = 's';
                w[--o] = 'k';
            } else {
                w[--o] = c;
            }
        }
        n += xs;
    }
    char *w = b->data + f->word;
    n = rule_letters(w, n);
    n = rule_start(w, n);
    n = rule_yo(w, n);
    n = rule_glides(w, n);
    n = rule_er(w, n);
    n = rule_doubles(w, n);
    b->len = f->word + n;
    b->data[b->len] = '\0';
}

void cdp_name_key(struct cdp_buf *out, const char *s, size_t len)
{
    struct folder f = {out, true, false, out->len};
    cdp_buf_grow(out, len);
    out->data[out->len] = '\0';
    fold(&f, s, len);
    end_word(&f);
}

/* ---- Soundex ---- */

/* The American Soundex digit of a lower-case letter; 0 for vowels, 'h' and
 * 'w' (told apart by the caller). */
static char soundex_digit(char c)
{
    static const char code[26] = {
        /* a */ 0,   '1', '2', '3', 0,   '1', '2', 0,   0,   '2', '2', '4', '5',
        /* n */ '5', 0,   '1', '2', '6', '2', '3', 0,   '1', 0,   '2', 0,   '2',
    };
    return code[c - 'a'];
}

/* As jellyfish.soundex on an ASCII name: the first letter, then the digits
 * of the following letters, a digit equal to the previous one skipped unless
 * a vowel came between (h and w do not separate), padded with 0 to four.
 * Only ASCII letters count (either case); any other byte is skipped. */
void cdp_soundex(char out[5], const char *folded, size_t len)
{
    size_t i = 0, n = 0;
    char last = 0;
    for (; i < len; i++) {
        char c = folded[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        if (!is_letter(c))
            continue;
        if (n == 0) {
            out[n++] = (char)(c - 32);
            last = soundex_digit(c);
            continue;
        }
        char d = soundex_digit(c);
        if (d) {
            if (d != last)
                out[n++] = d;
            last = d;
            if (n == 4)
                break;
        } else if (c != 'h' && c != 'w') {
            last = 0;
        }
    }
    if (n == 0) {
        out[0] = '\0';
        return;
    }
    while (n < 4)
        out[n++] = '0';
    out[4] = '\0';
}
