#include "norm/vocab.h"

#include <string.h>

#include "norm/text.h"
#include "norm/vocab_key.h"
#include "norm/vocab_table.h"

/* Trimmed, inner white space collapsed, lower-cased; false if too long. */
static bool folded(const char *s, size_t len, char *out, size_t cap)
{
    cdp_text_trim(&s, &len);
    if (len == 0 || len >= cap)
        return false;
    char clean[256];
    size_t n = 0;
    bool space = false;
    for (size_t i = 0; i < len && n < sizeof clean - 1; i++) {
        if (s[i] == ' ' || s[i] == '\t') {
            space = true;
            continue;
        }
        if (space && n < sizeof clean - 1)
            clean[n++] = ' ';
        space = false;
        clean[n++] = s[i];
    }
    return cdp_text_lower_to(out, cap, clean, n) > 0;
}

static bool in(const char *w, const char *const *list)
{
    /* The first byte decides most comparisons: strcmp calls were a third
     * of the cost of reading a yes/no column. */
    for (; *list; list++)
        if (w[0] == (*list)[0] && strcmp(w, *list) == 0)
            return true;
    return false;
}

/* Spellings of "no value" shared by genders and yes/no answers. */
static const char *const unspecified_words[] = { "?", "-", "—", "не указан", "не указано",
                                                 "не указана", "неизвестно", "нет данных",
                                                 "unknown", "not specified", "unspecified",
                                                 "n/a", NULL };

char cdp_gender_parse(const char *s, size_t len, const char **reason)
{
    /* 1 and 2 (and 0, 9 below) are ISO/IEC 5218's codes. */
    static const char *const male[] = { "m", "м", "муж", "муж.", "мужской", "male", "man",
                                        "мужчина", "1", NULL };
    static const char *const female[] = { "f", "ж", "жен", "жен.", "женский", "female",
                                          "woman", "женщина", "2", "w", NULL };
    static const char *const unknown[] = { "0", NULL };
    static const char *const not_applicable[] = { "9", NULL };
    char w[64];
    if (reason)
        *reason = NULL;
    if (!folded(s, len, w, sizeof w))
        return 0;
    if (in(w, male))
        return 'm';
    if (in(w, female))
        return 'f';
    if (reason && (in(w, unknown) || in(w, unspecified_words)))
        *reason = "unspecified";
    else if (reason && in(w, not_applicable))
        *reason = "not_applicable";
    return 0;
}

int cdp_bool_parse(const char *s, size_t len, const char **reason)
{
    static const char *const yes[] = { "1", "true", "yes", "y", "да", "д", "t", "on", "+",
                                       "истина", NULL };
    static const char *const no[] = { "0", "false", "no", "n", "нет", "н", "f", "off", "-",
                                      "ложь", NULL };
    char w[64];
    if (reason)
        *reason = NULL;
    if (!folded(s, len, w, sizeof w))
        return -1;
    if (in(w, yes))
        return 1;
    if (in(w, no))
        return 0;
    if (reason && in(w, unspecified_words))
        *reason = "unspecified";
    return -1;
}

static const char *str(uint32_t offset)
{
    return cdp_vocab_strings + offset;
}

/* The first entry of the sorted table with this key, and how many share it. */
static const struct cdp_vocab_entry *find(const struct cdp_vocab_entry *table, size_t n,
                                          const char *key, size_t *count)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(str(table[mid].key), key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < n && strcmp(str(table[end].key), key) == 0)
        end++;
    *count = end - lo;
    return *count ? &table[lo] : NULL;
}

const char *cdp_country_lookup(struct cdp_buf *scratch, const char *s, size_t len,
                               const char **reason)
{
    if (reason)
        *reason = NULL;
    cdp_buf_reset(scratch);
    cdp_vocab_key(scratch, s, len);
    if (scratch->len == 0) { /* "-", "?", "*": no letter or digit at all */
        if (reason)
            *reason = "unspecified";
        return NULL;
    }
    size_t count;
    const struct cdp_vocab_entry *e =
        find(cdp_vocab_countries, cdp_vocab_countries_count, scratch->data, &count);
    if (!e) /* keys are unique in the country table */
        return NULL;
    if (e->kind == CDP_VOCAB_NONE) {
        if (reason)
            *reason = str(e->value);
        return NULL;
    }
    return str(e->value);
}

const char *cdp_region_lookup(struct cdp_buf *scratch, const char *s, size_t len,
                              const char *country, const char *home)
{
    cdp_buf_reset(scratch);
    cdp_vocab_region_key(scratch, s, len);
    size_t count;
    const struct cdp_vocab_entry *e =
        find(cdp_vocab_regions, cdp_vocab_regions_count, scratch->data, &count);
    if (!e)
        return NULL;
    /* At most one region per country has the key (tools/iso-vocab.c). */
    const char *want = country ? country : count == 1 ? NULL : home;
    if (!want)
        return count == 1 ? str(e->value) : NULL;
    for (size_t i = 0; i < count; i++)
        if (str(e[i].value)[0] == want[0] && str(e[i].value)[1] == want[1])
            return str(e[i].value);
    return NULL;
}
