/* identity/conflict.c: see identity/conflict.h. */
#include "identity/conflict.h"

#include <stdlib.h>
#include <string.h>

#include "norm/strdist.h"
#include "norm/translit.h"
#include "norm/vocab.h"

/* Given names at least this alike (Jaro-Winkler, folded) are one name
 * spelled two ways: Елена / Helen, Михаил / Michael, Ольга / Olga. On the
 * person records of 100,000 generated persons, no two records of one person
 * that share an e-mail or phone had given names below it; 0.88 split 51
 * such pairs (Helen / Елена). */
#define GIVEN_NAME_ALIKE 0.8

enum cdp_conflict_rule cdp_conflict_rule_of(const char *field)
{
    /* Called for every record and conflict field (identity/graph.c): one
     * strcmp by the first letter, not one per name (four fields checked by
     * default made ten calls per record). */
    switch (field[0]) {
    case 'b':
        return strcmp(field, "birth_date") == 0 ? CDP_CONFLICT_DATE : CDP_CONFLICT_TEXT;
    case 'g':
        return strcmp(field, "gender") == 0 ? CDP_CONFLICT_GENDER : CDP_CONFLICT_TEXT;
    case 'f':
        return strcmp(field, "first_name") == 0 ? CDP_CONFLICT_GIVEN_NAME : CDP_CONFLICT_TEXT;
    case 'm':
        return strcmp(field, "middle_name") == 0 ? CDP_CONFLICT_NAME : CDP_CONFLICT_TEXT;
    case 'l':
        return strcmp(field, "last_name") == 0 ? CDP_CONFLICT_NAME : CDP_CONFLICT_TEXT;
    default:
        return CDP_CONFLICT_TEXT;
    }
}

static const struct cdp_field *scalar(const struct cdp_record *r, const char *name)
{
    const struct cdp_field *f = cdp_record_gets(r, name);
    if (!f || !f->vlen || f->type == CDP_NULL || f->type == CDP_ARRAY || f->type == CDP_OBJECT)
        return NULL;
    return f;
}

bool cdp_conflict_value(enum cdp_conflict_rule rule, const char *field, const struct cdp_record *r,
                        struct cdp_buf *out)
{
    const struct cdp_field *f = scalar(r, field);
    if (!f)
        return false;
    cdp_buf_add(out, f->val, f->vlen);
    if (rule == CDP_CONFLICT_GIVEN_NAME) {
        const struct cdp_field *last = scalar(r, "last_name");
        cdp_buf_addc(out, '\x1F');
        if (last)
            cdp_buf_add(out, last->val, last->vlen);
    }
    return true;
}

size_t cdp_conflict_shown_len(const char *value, size_t len)
{
    const char *sep = memchr(value, '\x1F', len);
    return sep ? (size_t)(sep - value) : len;
}

/* ---- dates ---------------------------------------------------------------- */

/* The eight digits of YYYY-MM-DD, or false. */
static bool date_digits(const char *s, size_t len, char d[8])
{
    if (len != 10 || s[4] != '-' || s[7] != '-')
        return false;
    static const int at[8] = { 0, 1, 2, 3, 5, 6, 8, 9 };
    for (int i = 0; i < 8; i++) {
        if (s[at[i]] < '0' || s[at[i]] > '9')
            return false;
        d[i] = s[at[i]];
    }
    return true;
}

/* Digits next to each other on a keyboard's top row (1234567890). */
static bool neighbour_keys(char x, char y)
{
    int d = x - y;
    return d == 1 || d == -1 || (x == '9' && y == '0') || (x == '0' && y == '9');
}

/* One typo apart: one digit replaced by its neighbour on the keyboard, two
 * adjacent digits transposed, or the day and month swapped. (Any digit
 * replaced would make 1961 and 1991 one typo apart: a mother and her son.) */
static bool dates_one_typo(const char a[8], const char b[8])
{
    int diff[8], n = 0;
    for (int i = 0; i < 8; i++)
        if (a[i] != b[i])
            diff[n++] = i;
    if (n == 0 || (n == 1 && neighbour_keys(a[diff[0]], b[diff[0]])))
        return true;
    if (n == 2 && diff[1] == diff[0] + 1 && a[diff[0]] == b[diff[1]] && a[diff[1]] == b[diff[0]])
        return true;
    return memcmp(a, b, 4) == 0 && memcmp(a + 4, b + 6, 2) == 0 && memcmp(a + 6, b + 4, 2) == 0;
}

static bool dates_differ(const char *a, size_t alen, const char *b, size_t blen)
{
    char da[8], db[8];
    if (!date_digits(a, alen, da) || !date_digits(b, blen, db))
        return alen != blen || memcmp(a, b, alen) != 0;
    return !dates_one_typo(da, db);
}

static bool genders_differ(const char *a, size_t alen, const char *b, size_t blen)
{
    char ga = cdp_gender_parse(a, alen, NULL), gb = cdp_gender_parse(b, blen, NULL);
    return ga && gb && ga != gb;
}

/* ---- names ---------------------------------------------------------------- */

/* A name as the comparisons need it: folded, and its transliteration key. */
struct name_form {
    const char *fold, *key;
    size_t fold_len, key_len;
};

/* Whether two name forms may be one name: either missing, equal folds or
 * keys, an initial of the other, at most one edit apart, or (alike > 0) at
 * least that alike. */
static bool names_may_match(const struct name_form *a, const struct name_form *b, double alike)
{
    if (!a->fold_len || !b->fold_len)
        return true;
    if ((a->fold_len == b->fold_len && memcmp(a->fold, b->fold, a->fold_len) == 0) ||
        (a->key_len == b->key_len && memcmp(a->key, b->key, a->key_len) == 0))
        return true;
    if ((a->fold_len == 1 && a->fold[0] == b->fold[0]) || (b->fold_len == 1 && b->fold[0] == a->fold[0]))
        return true;
    if (cdp_damerau(a->fold, a->fold_len, b->fold, b->fold_len) <= 1)
        return true;
    return alike > 0 && cdp_jaro_winkler(a->fold, a->fold_len, b->fold, b->fold_len) >= alike;
}

/* The forms of one conflict value: its name, and for a given name the last
 * name after '\x1F'. Offsets into the cache's text. */
struct prepared {
    uint32_t off[4], len[4]; /* fold, key; last name's fold, key */
    uint8_t ready;
};

struct cdp_conflict_cache {
    struct prepared *v;
    size_t cap;
    struct cdp_buf text;
};

struct cdp_conflict_cache *cdp_conflict_cache_new(void)
{
    return cdp_xcalloc(1, sizeof(struct cdp_conflict_cache));
}

void cdp_conflict_cache_free(struct cdp_conflict_cache *c)
{
    if (!c)
        return;
    free(c->v);
    cdp_buf_release(&c->text);
    free(c);
}

static void add_form(struct cdp_buf *text, struct prepared *p, int i, const char *s, size_t len)
{
    p->off[i] = (uint32_t)text->len;
    if (i % 2 == 0)
        cdp_name_fold(text, s, len);
    else
        cdp_name_key(text, s, len);
    p->len[i] = (uint32_t)(text->len - p->off[i]);
}

static void prepare(struct cdp_buf *text, struct prepared *p, const char *s, size_t len)
{
    size_t shown = cdp_conflict_shown_len(s, len);
    add_form(text, p, 0, s, shown);
    add_form(text, p, 1, s, shown);
    const char *last = shown < len ? s + shown + 1 : s + len;
    size_t last_len = (size_t)(s + len - last);
    add_form(text, p, 2, last, last_len);
    add_form(text, p, 3, last, last_len);
    p->ready = 1;
}

static void forms_of(const struct cdp_buf *text, const struct prepared *p, struct name_form *name,
                     struct name_form *last)
{
    const char *t = text->data ? text->data : "";
    *name = (struct name_form){ t + p->off[0], t + p->off[1], p->len[0], p->len[1] };
    *last = (struct name_form){ t + p->off[2], t + p->off[3], p->len[2], p->len[3] };
}

/* A given name against a family name: 1 may match, -1 may not, 0 one is
 * missing. */
static int cross(const struct name_form *given, const struct name_form *family)
{
    if (!given->fold_len || !family->fold_len)
        return 0;
    return names_may_match(given, family, GIVEN_NAME_ALIKE) ? 1 : -1;
}

static bool names_differ(enum cdp_conflict_rule rule, const struct cdp_buf *text, const struct prepared *pa,
                         const struct prepared *pb)
{
    struct name_form a, a_last, b, b_last;
    forms_of(text, pa, &a, &a_last);
    forms_of(text, pb, &b, &b_last);
    if (rule == CDP_CONFLICT_NAME)
        return !names_may_match(&a, &b, 0);
    if (names_may_match(&a, &b, GIVEN_NAME_ALIKE))
        return false;
    /* the given and family names swapped in one of the records: a given
     * name matches the other's family name, and nothing says otherwise */
    int x = cross(&a, &b_last), y = cross(&a_last, &b);
    return !((x > 0 || y > 0) && x >= 0 && y >= 0);
}

static struct prepared *prepared_of(struct cdp_conflict_cache *c, uint32_t id, const char *s, size_t len)
{
    if (id >= c->cap) {
        size_t cap = c->cap ? c->cap : 1024;
        while (cap <= id)
            cap *= 2;
        c->v = cdp_xrealloc(c->v, cap * sizeof *c->v);
        memset(c->v + c->cap, 0, (cap - c->cap) * sizeof *c->v);
        c->cap = cap;
    }
    if (!c->v[id].ready)
        prepare(&c->text, &c->v[id], s, len);
    return &c->v[id];
}

bool cdp_conflict_differ(struct cdp_conflict_cache *c, enum cdp_conflict_rule rule, uint32_t a,
                         const char *atext, size_t alen, uint32_t b, const char *btext, size_t blen)
{
    if (a == b)
        return false;
    switch (rule) {
    case CDP_CONFLICT_DATE:
        return dates_differ(atext, alen, btext, blen);
    case CDP_CONFLICT_GENDER:
        return genders_differ(atext, alen, btext, blen);
    case CDP_CONFLICT_GIVEN_NAME:
    case CDP_CONFLICT_NAME: {
        prepared_of(c, a, atext, alen);
        prepared_of(c, b, btext, blen); /* may move c->v: take both after */
        return names_differ(rule, &c->text, &c->v[a], &c->v[b]);
    }
    case CDP_CONFLICT_TEXT:
        break;
    }
    return true; /* different ids: different text */
}

bool cdp_conflict_differ_text(enum cdp_conflict_rule rule, const char *a, size_t alen, const char *b,
                              size_t blen)
{
    if (alen == blen && memcmp(a, b, alen) == 0)
        return false;
    struct cdp_conflict_cache *c = cdp_conflict_cache_new();
    bool differ = cdp_conflict_differ(c, rule, 0, a, alen, 1, b, blen);
    cdp_conflict_cache_free(c);
    return differ;
}
