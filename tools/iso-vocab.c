/* iso-vocab: writes the country and region vocabularies of libcdp (a C
 * source file) from ISO 3166 as Debian's iso-codes package ships it, at
 * build time (see the Makefile and lib/norm/vocab.h).
 *
 *   iso-vocab ISO_JSON_DIR LOCALE_DIR ALIASES OUTPUT 'COUNTRY_LANG...' 'REGION_LANG...'
 *
 * ISO_JSON_DIR holds iso_3166-1.json and iso_3166-2.json (English names);
 * LOCALE_DIR/LANG/LC_MESSAGES/iso_3166-{1,2}.mo their translations into
 * the languages of two space-separated lists, for countries and for regions
 * (fewer: a region's name is mostly its own whatever the language; with
 * the twelve languages of the countries the regions had 23,905 keys, with
 * Russian, Ukrainian and Belarusian 19,443); ALIASES
 * is lib/norm/vocab_aliases.txt. Every name becomes a key (vocab_key.h).
 * A key that two ISO names give to two countries (a translation error, such
 * as a Kazakh name shared by the Congo and the DR Congo) is left out and
 * listed in a comment of the output; an alias that contradicts ISO fails the
 * build. Regions: a key is kept per country, and left out where it names two
 * subdivisions of one country. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jv.h>

#include "base/buf.h"
#include "norm/vocab_key.h"

enum kind { K_CODE, K_NAME, K_ALIAS, K_NONE };
static const char *const kind_names[] = { "CDP_VOCAB_CODE", "CDP_VOCAB_NAME", "CDP_VOCAB_ALIAS",
                                          "CDP_VOCAB_NONE" };

struct word {
    char *key;
    char *value; /* "GB", "RU-MOW", or the reason of a non-country */
    enum kind kind;
    char *from; /* where it came from (language, alias line), for messages */
    char *parent; /* a region's parent subdivision ("ES-CB"), or "" */
};

struct words {
    struct word *v;
    size_t n, cap;
};

static void words_release(struct words *w)
{
    for (size_t i = 0; i < w->n; i++) {
        free(w->v[i].key);
        free(w->v[i].value);
        free(w->v[i].from);
        free(w->v[i].parent);
    }
    free(w->v);
}

static void die(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "iso-vocab: ");
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    exit(1);
}

static void add(struct words *w, bool region, const char *text, const char *value, enum kind kind,
                const char *from, const char *parent)
{
    struct cdp_buf k = CDP_BUF_INIT;
    /* "Isle of Anglesey [Sir Ynys Môn GB-YNM]": the remark is not the name. */
    const char *bracket = strchr(text, '[');
    size_t len = bracket ? (size_t)(bracket - text) : strlen(text);
    if (region)
        cdp_vocab_region_key(&k, text, len);
    else
        cdp_vocab_key(&k, text, len);
    if (k.len == 0) {
        cdp_buf_release(&k);
        return;
    }
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 4096;
        w->v = cdp_xrealloc(w->v, w->cap * sizeof *w->v);
    }
    w->v[w->n++] = (struct word){ cdp_buf_detach(&k, NULL), cdp_xstrdup(value), kind,
                                  cdp_xstrdup(from), cdp_xstrdup(parent ? parent : "") };
}

/* ---- gettext .mo files -------------------------------------------------- */

struct mo {
    char *data;
    size_t size;
    uint32_t n, orig, trans;
    bool swap;
    uint32_t *sorted; /* entry numbers by msgid, for bsearch */
};


static uint32_t mo_u32(const struct mo *m, size_t off)
{
    if (off + 4 > m->size)
        return 0;
    uint32_t v;
    memcpy(&v, m->data + off, 4);
    return m->swap ? __builtin_bswap32(v) : v;
}

/* The msgid of entry i, NUL-terminated in the file ("" when damaged). */
static const char *mo_msgid(const struct mo *m, uint32_t i)
{
    uint32_t len = mo_u32(m, m->orig + 8 * (size_t)i);
    uint32_t off = mo_u32(m, m->orig + 8 * (size_t)i + 4);
    return (size_t)off + len < m->size ? m->data + off : "";
}

static int cmp_entry(const void *a, const void *b, void *mo)
{
    return strcmp(mo_msgid(mo, *(const uint32_t *)a), mo_msgid(mo, *(const uint32_t *)b));
}

static void mo_load(struct mo *m, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot open %s: %s (install the Debian package iso-codes: make deps)", path,
            strerror(errno));
    struct cdp_buf b = CDP_BUF_INIT;
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        cdp_buf_add(&b, chunk, got);
    fclose(f);
    m->data = cdp_buf_detach(&b, &m->size);
    uint32_t magic = 0;
    if (m->size >= 20)
        memcpy(&magic, m->data, 4);
    if (magic != 0x950412de && magic != 0xde120495)
        die("%s: not a gettext .mo file%s", path, "");
    m->swap = magic == 0xde120495;
    m->n = mo_u32(m, 8);
    m->orig = mo_u32(m, 12);
    m->trans = mo_u32(m, 16);
    m->sorted = cdp_xcalloc((size_t)m->n + 1, sizeof *m->sorted);
    for (uint32_t i = 0; i < m->n; i++)
        m->sorted[i] = i;
    qsort_r(m->sorted, m->n, sizeof *m->sorted, cmp_entry, m);
}

/* The translation of msgid, or NULL. */
static const char *mo_get(const struct mo *m, const char *msgid)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(msgid, mo_msgid(m, m->sorted[mid]));
        if (c == 0) {
            uint32_t i = m->sorted[mid];
            uint32_t tlen = mo_u32(m, m->trans + 8 * (size_t)i);
            uint32_t toff = mo_u32(m, m->trans + 8 * (size_t)i + 4);
            if (tlen == 0 || (size_t)toff + tlen >= m->size)
                return NULL;
            return m->data + toff; /* NUL-terminated in the file */
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* ---- the ISO tables ----------------------------------------------------- */

static jv load_table(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/iso_%s.json", dir, name);
    FILE *probe = fopen(path, "r");
    if (!probe)
        die("cannot open %s: %s (install the Debian package iso-codes: make deps)", path,
            strerror(errno));
    fclose(probe);
    jv texts = jv_load_file(path, 0); /* an array of the JSON texts in the file */
    jv doc = jv_get_kind(texts) == JV_KIND_ARRAY && jv_array_length(jv_copy(texts)) == 1
                 ? jv_array_get(jv_copy(texts), 0)
                 : jv_invalid();
    jv_free(texts);
    if (jv_get_kind(doc) != JV_KIND_OBJECT)
        die("%s: not an iso-codes JSON table%s", path, "");
    jv list = jv_object_get(doc, jv_string(name));
    if (jv_get_kind(list) != JV_KIND_ARRAY)
        die("%s: no \"%s\" array", path, name);
    return list;
}

/* A string member of an entry, or NULL; the entry keeps it alive. */
static const char *member(jv entry, const char *key)
{
    jv v = jv_object_get(jv_copy(entry), jv_string(key));
    if (jv_get_kind(v) != JV_KIND_STRING) {
        jv_free(v);
        return NULL;
    }
    const char *s = jv_string_value(v);
    jv_free(v); /* the entry holds a reference: s stays valid */
    return s;
}

static void add_countries(struct words *w, jv list, struct mo *mos, int nlangs, char **langs)
{
    int n = jv_array_length(jv_copy(list));
    for (int i = 0; i < n; i++) {
        jv e = jv_array_get(jv_copy(list), i);
        const char *a2 = member(e, "alpha_2"), *a3 = member(e, "alpha_3");
        if (!a2 || strlen(a2) != 2)
            die("iso_3166-1.json: an entry without alpha_2%s%s", "", "");
        add(w, false, a2, a2, K_CODE, "alpha_2", NULL);
        if (a3)
            add(w, false, a3, a2, K_CODE, "alpha_3", NULL);
        const char *names[] = { member(e, "name"), member(e, "official_name"),
                                member(e, "common_name") };
        for (int k = 0; k < 3; k++) {
            if (!names[k])
                continue;
            add(w, false, names[k], a2, K_NAME, "en", NULL);
            for (int l = 0; l < nlangs; l++) {
                const char *t = mo_get(&mos[l], names[k]);
                if (t)
                    add(w, false, t, a2, K_NAME, langs[l], NULL);
            }
        }
        jv_free(e);
    }
}

static void add_regions(struct words *w, jv list, struct mo *mos, int nlangs, char **langs)
{
    int n = jv_array_length(jv_copy(list));
    for (int i = 0; i < n; i++) {
        jv e = jv_array_get(jv_copy(list), i);
        const char *code = member(e, "code"), *name = member(e, "name");
        if (!code || !name || strlen(code) < 4 || strlen(code) >= 8 || code[2] != '-')
            die("iso_3166-2.json: an entry without a code like XX-YYY%s%s", "", "");
        /* The parent is written "CB" or "GB-NIR". */
        const char *up = member(e, "parent");
        char parent[16] = "";
        if (up)
            snprintf(parent, sizeof parent, "%.*s%s", strchr(up, '-') ? 0 : 3, code, up);
        add(w, true, code, code, K_CODE, "code", parent);
        add(w, true, name, code, K_NAME, "en", parent);
        for (int l = 0; l < nlangs; l++) {
            const char *t = mo_get(&mos[l], name);
            if (t)
                add(w, true, t, code, K_NAME, langs[l], parent);
        }
        jv_free(e);
    }
}

/* ---- aliases ------------------------------------------------------------ */

/* Lines "CODE SPELLING": a country code (GB), a region code (RU-MOW), or
 * !REASON for spellings that are not a country. */
static void add_aliases(struct words *countries, struct words *regions, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        die("cannot open %s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned number = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        number++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' '))
            line[--len] = '\0';
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p || *p == '#')
            continue;
        char *code = p;
        p += strcspn(p, " \t");
        if (*p)
            *p++ = '\0';
        while (*p == ' ' || *p == '\t')
            p++;
        char where[64];
        snprintf(where, sizeof where, "line %u", number);
        if (!*p)
            die("%s: %s: expected CODE SPELLING", path, where);
        const char *from = where;
        if (code[0] == '!')
            add(countries, false, p, code + 1, K_NONE, from, NULL);
        else if (strlen(code) == 2)
            add(countries, false, p, code, K_ALIAS, from, NULL);
        else if (strchr(code, '-'))
            add(regions, true, p, code, K_ALIAS, from, NULL);
        else
            die("%s: %s: the code must be XX, XX-YYY or !reason", path, where);
    }
    free(line);
    fclose(f);
}

/* ---- resolving ---------------------------------------------------------- */

static int cmp_word(const void *a, const void *b)
{
    const struct word *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    c = strcmp(x->value, y->value);
    return c ? c : (int)x->kind - (int)y->kind;
}

/* The country part of a region code, compared. */
static bool same_country(const char *a, const char *b)
{
    return a[0] == b[0] && a[1] == b[1];
}

/* The value of w[i..j) that every other value of the same country as v has
 * for parent ("Cantabria" is the community ES-CB and its one province ES-S:
 * the community is meant), or NULL. */
static const char *parent_of_all(const struct word *w, size_t i, size_t j, const char *v)
{
    for (size_t c = i; c < j; c++) {
        if (!same_country(w[c].value, v))
            continue;
        bool all = true;
        for (size_t o = i; o < j && all; o++)
            all = !same_country(w[o].value, v) || strcmp(w[o].value, w[c].value) == 0 ||
                  strcmp(w[o].parent, w[c].value) == 0;
        if (all)
            return w[c].value;
    }
    return NULL;
}

/* Sorts, merges the words of the same key and value (keeping the strongest
 * kind: code, name, alias), and drops keys that name two things (for
 * regions: two subdivisions of one country, unless one holds the others).
 * Dropped keys are listed in dropped. */
static void resolve(struct words *w, bool region, const char *aliases, struct cdp_buf *dropped)
{
    qsort(w->v, w->n, sizeof *w->v, cmp_word);
    struct words kept = { cdp_xcalloc(w->n + 1, sizeof *w->v), 0, w->n + 1 };
    bool *drop = cdp_xcalloc(w->n + 1, sizeof *drop);
    for (size_t i = 0; i < w->n;) {
        size_t j = i;
        while (j < w->n && strcmp(w->v[j].key, w->v[i].key) == 0)
            j++;
        /* w->v[i..j) share the key, sorted by value. */
        for (size_t a = i; a < j; a++) {
            bool clash = false;
            for (size_t b = i; b < j; b++) {
                if (strcmp(w->v[a].value, w->v[b].value) == 0)
                    continue;
                if (region && !same_country(w->v[a].value, w->v[b].value))
                    continue;
                if (w->v[a].kind >= K_ALIAS || w->v[b].kind >= K_ALIAS) {
                    char what[512];
                    snprintf(what, sizeof what, "\"%s\" (%s, %s) is also %s (%s)", w->v[a].key,
                             w->v[a].value, w->v[a].from, w->v[b].value, w->v[b].from);
                    die("%s: an alias contradicts ISO 3166 or another alias: %s", aliases, what);
                }
                clash = true;
            }
            bool first = a == i || strcmp(w->v[a].value, w->v[a - 1].value) != 0;
            const char *top = clash && region ? parent_of_all(w->v, i, j, w->v[a].value) : NULL;
            if (clash && !top && first)
                cdp_buf_printf(dropped, " *   %s: %s\n", w->v[a].key, w->v[a].value);
            if (first && (!clash || (top && strcmp(top, w->v[a].value) == 0)))
                kept.v[kept.n++] = w->v[a];
            else
                drop[a] = true; /* freed below */
        }
        i = j;
    }
    for (size_t a = 0; a < w->n; a++)
        if (drop[a]) {
            free(w->v[a].key);
            free(w->v[a].value);
            free(w->v[a].from);
            free(w->v[a].parent);
        }
    free(drop);
    free(w->v);
    *w = kept;
}

/* ---- writing ------------------------------------------------------------ */

/* Every key and value once, sorted: the tables hold offsets into one string,
 * so that they need no relocations (pointers made the programs 2.6 MB larger). */
struct strings {
    const char **v;
    size_t n;
    size_t *offset;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void strings_build(struct strings *st, const struct words *a, const struct words *b)
{
    st->v = cdp_xcalloc(2 * (a->n + b->n) + 1, sizeof *st->v);
    st->n = 0;
    for (const struct words *w = a; w; w = w == a ? b : NULL)
        for (size_t i = 0; i < w->n; i++) {
            st->v[st->n++] = w->v[i].key;
            st->v[st->n++] = w->v[i].value;
        }
    qsort(st->v, st->n, sizeof *st->v, cmp_str);
    size_t k = 0;
    for (size_t i = 0; i < st->n; i++)
        if (k == 0 || strcmp(st->v[i], st->v[k - 1]) != 0)
            st->v[k++] = st->v[i];
    st->n = k;
    st->offset = cdp_xcalloc(st->n + 1, sizeof *st->offset);
    for (size_t i = 1; i <= st->n; i++)
        st->offset[i] = st->offset[i - 1] + strlen(st->v[i - 1]) + 1;
}

static size_t strings_offset(const struct strings *st, const char *s)
{
    const char **at = bsearch(&s, st->v, st->n, sizeof *st->v, cmp_str);
    return st->offset[at - st->v];
}

static void write_strings(FILE *f, const struct strings *st)
{
    fprintf(f, "const char cdp_vocab_strings[] =\n");
    for (size_t i = 0; i < st->n; i++) {
        fputs("    \"", f);
        for (const char *c = st->v[i]; *c; c++) {
            if (*c == '"' || *c == '\\')
                fputc('\\', f);
            fputc(*c, f);
        }
        fputs("\\0\"\n", f);
    }
    fputs("    \"\";\n\n", f);
}

static void write_table(FILE *f, const char *name, const struct words *w,
                        const struct strings *st)
{
    fprintf(f, "const struct cdp_vocab_entry %s[] = {\n", name);
    for (size_t i = 0; i < w->n; i++)
        fprintf(f, "    { %zu, %zu, %s }, /* %s */\n", strings_offset(st, w->v[i].key),
                strings_offset(st, w->v[i].value), kind_names[w->v[i].kind], w->v[i].value);
    fprintf(f, "};\nconst size_t %s_count = %zu;\n\n", name, w->n);
}

/* The words of a space-separated list, in place. */
static int split_words(char *list, char **words, int max)
{
    int n = 0;
    for (char *w = strtok(list, " "); w && n < max; w = strtok(NULL, " "))
        words[n++] = w;
    return n;
}

/* Loads LOCALE_DIR/LANG/LC_MESSAGES/DOMAIN.mo for each language. */
static struct mo *load_translations(const char *locale_dir, const char *domain, int n,
                                    char **langs)
{
    struct mo *mos = cdp_xcalloc((size_t)n + 1, sizeof *mos);
    for (int l = 0; l < n; l++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s/LC_MESSAGES/%s.mo", locale_dir, langs[l], domain);
        mo_load(&mos[l], path);
    }
    return mos;
}

static void free_translations(struct mo *mos, int n)
{
    for (int l = 0; l < n; l++) {
        free(mos[l].data);
        free(mos[l].sorted);
    }
    free(mos);
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: iso-vocab ISO_JSON_DIR LOCALE_DIR ALIASES OUTPUT "
                        "'COUNTRY_LANG...' 'REGION_LANG...'\n");
        return 2;
    }
    const char *json_dir = argv[1], *locale_dir = argv[2], *aliases = argv[3], *output = argv[4];
    char country_list[1024], region_list[1024], *langs[64], *region_langs[64];
    snprintf(country_list, sizeof country_list, "%s", argv[5]);
    snprintf(region_list, sizeof region_list, "%s", argv[6]);
    int nlangs = split_words(country_list, langs, 64);
    int nregion_langs = split_words(region_list, region_langs, 64);
    struct mo *mo1 = load_translations(locale_dir, "iso_3166-1", nlangs, langs);
    struct mo *mo2 = load_translations(locale_dir, "iso_3166-2", nregion_langs, region_langs);
    struct words countries = { 0 }, regions = { 0 };
    jv list1 = load_table(json_dir, "3166-1"), list2 = load_table(json_dir, "3166-2");
    add_countries(&countries, list1, mo1, nlangs, langs);
    add_regions(&regions, list2, mo2, nregion_langs, region_langs);
    add_aliases(&countries, &regions, aliases);
    struct cdp_buf dropped = CDP_BUF_INIT;
    resolve(&countries, false, aliases, &dropped);
    resolve(&regions, true, aliases, &dropped);

    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", output);
    FILE *f = fopen(tmp, "w");
    if (!f)
        die("cannot write %s: %s", tmp, strerror(errno));
    fprintf(f, "/* Generated by tools/iso-vocab from %s/iso_3166-{1,2}.json, the\n"
               " * translations in %s (countries: %s; regions: %s)\n"
               " * and %s. Do not edit.\n *\n",
            json_dir, locale_dir, argv[5], argv[6], aliases);
    fprintf(f, " * Keys left out because they name two countries, or two regions of one\n"
               " * country, neither of which holds the other (key: value):\n%s */\n"
               "#include \"norm/vocab_table.h\"\n\n",
            dropped.len ? dropped.data : " *   none\n");
    struct strings st;
    strings_build(&st, &countries, &regions);
    write_strings(f, &st);
    write_table(f, "cdp_vocab_countries", &countries, &st);
    write_table(f, "cdp_vocab_regions", &regions, &st);
    free(st.v);
    free(st.offset);
    if (fclose(f) != 0 || rename(tmp, output) != 0)
        die("cannot write %s: %s", output, strerror(errno));
    jv_free(list1);
    jv_free(list2);
    free_translations(mo1, nlangs);
    free_translations(mo2, nregion_langs);
    words_release(&countries);
    words_release(&regions);
    cdp_buf_release(&dropped);
    return 0;
}
