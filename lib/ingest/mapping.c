#include "ingest/mapping.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "io/json.h"
#include "norm/schema.h"

static bool valid_field(const char *f, size_t n)
{
    if (n == 4 && memcmp(f, "_rid", 4) == 0)
        return true;
    if (n == 5 && memcmp(f, "_kind", 5) == 0)
        return true;
    if (n == 0 || !(f[0] >= 'a' && f[0] <= 'z'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!((f[i] >= 'a' && f[i] <= 'z') || (f[i] >= '0' && f[i] <= '9') || f[i] == '_'))
            return false;
    return true;
}

const struct cdp_map_entry *cdp_mapping_find(const struct cdp_mapping *m, const char *field)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->v[i].field, field) == 0)
            return &m->v[i];
    return NULL;
}

static void remove_rules(struct cdp_mapping *m, const char *field, size_t flen, unsigned keep_file)
{
    size_t k = 0;
    for (size_t i = 0; i < m->nrules; i++) {
        struct cdp_map_rule *r = &m->rules[i];
        if (strlen(r->field) == flen && memcmp(r->field, field, flen) == 0 &&
            r->from_file != keep_file) {
            free(r->field);
            free(r->value);
            free(r->column);
            free(r->text);
            continue;
        }
        m->rules[k++] = *r;
    }
    m->nrules = k;
}

static void remove_entry(struct cdp_mapping *m, struct cdp_map_entry *e)
{
    free(e->field);
    free(e->value);
    size_t i = (size_t)(e - m->v);
    memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof *m->v);
    m->n--;
}

static bool special(const char *field, size_t flen)
{
    return (flen == 4 && memcmp(field, "_rid", 4) == 0) ||
           (flen == 5 && memcmp(field, "_kind", 5) == 0);
}

/* Whether a map file's line about field is overridden: the command line
 * said something about it. Otherwise drops what an earlier file said. */
static bool overridden(struct cdp_mapping *m, const char *field, size_t flen, unsigned from_file)
{
    char *f = cdp_xstrndup(field, flen);
    struct cdp_map_entry *e = (struct cdp_map_entry *)cdp_mapping_find(m, f);
    free(f);
    if (e && !e->from_file)
        return true;
    if (e && e->from_file != from_file)
        remove_entry(m, e);
    remove_rules(m, field, flen, from_file);
    return false;
}

static int put(struct cdp_mapping *m, const char *field, size_t flen, const char *value,
               size_t vlen, bool constant, unsigned modifiers, unsigned from_file,
               struct cdp_error *err, const char *where)
{
    if (!valid_field(field, flen))
        return cdp_errorf(err, "%sinvalid field name '%.*s' (lower-case letters, digits, '_')",
                          where, (int)flen, field);
    if (flen == 4 && memcmp(field, "_rid", 4) == 0 && constant)
        return cdp_errorf(err, "%s_rid must name a column, not a constant", where);
    if (flen == 5 && memcmp(field, "_kind", 5) == 0) {
        if (!constant)
            return cdp_errorf(err, "%s_kind takes a constant: _kind := person|event", where);
        if (!((vlen == 6 && memcmp(value, "person", 6) == 0) ||
              (vlen == 5 && memcmp(value, "event", 5) == 0)))
            return cdp_errorf(err, "%s_kind must be person or event", where);
    }
    if (modifiers && flen == 5 && memcmp(field, "_kind", 5) == 0)
        return cdp_errorf(err, "%s_kind takes no modifier", where);
    if (vlen == 0)
        return cdp_errorf(err, "%sempty %s for field '%.*s'", where,
                          constant ? "value" : "column name", (int)flen, field);
    char *f = cdp_xstrndup(field, flen);
    struct cdp_map_entry *e = (struct cdp_map_entry *)cdp_mapping_find(m, f);
    if (e && from_file && e->from_file == from_file) {
        free(f);
        return cdp_errorf(err, "%sfield '%.*s' is mapped twice", where, (int)flen, field);
    }
    if (from_file ? overridden(m, field, flen, from_file) : false) {
        free(f);
        return 0; /* the command line wins over a map file */
    }
    if (!from_file)
        remove_rules(m, field, flen, 0); /* ... rules included */
    e = (struct cdp_map_entry *)cdp_mapping_find(m, f);
    if (e) {
        free(f);
        free(e->value);
    } else {
        if (m->n == m->cap) {
            m->cap = m->cap ? m->cap * 2 : 16;
            m->v = cdp_xrealloc(m->v, m->cap * sizeof *m->v);
        }
        e = &m->v[m->n++];
        e->field = f;
    }
    e->value = cdp_xstrndup(value, vlen);
    e->constant = constant;
    e->from_file = from_file;
    e->modifiers = modifiers;
    return 0;
}

int cdp_mapping_add(struct cdp_mapping *m, const char *spec, bool constant, struct cdp_error *err)
{
    const char *eq = strchr(spec, '=');
    /* A constant is written into every record as it is: the output must
     * stay UTF-8 (the fuzzer found a constant that did not). */
    if (!cdp_utf8_valid(spec, strlen(spec))) {
        if (eq && cdp_utf8_valid(spec, (size_t)(eq - spec)))
            return cdp_errorf(err, "'%.*s=...': not UTF-8", (int)(eq - spec), spec);
        return cdp_errorf(err, "not UTF-8");
    }
    if (!eq)
        return cdp_errorf(err, "'%s': expected FIELD=%s", spec, constant ? "VALUE" : "COLUMN");
    return put(m, spec, (size_t)(eq - spec), eq + 1, strlen(eq + 1), constant, 0, 0, err, "");
}

static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t'))
        (*s)++, (*n)--;
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r'))
        (*n)--;
}

/* Splits off the first item of s: a double-quoted string (quotes dropped),
 * or the text up to stop (not included; NULL: to the end), trimmed. The
 * rest of s follows it, trimmed. Returns false for a quote not closed. */
static bool item(const char **s, size_t *n, const char *stop, const char **it, size_t *itlen)
{
    trim(s, n);
    if (*n && **s == '"') {
        const char *close = memchr(*s + 1, '"', *n - 1);
        if (!close)
            return false;
        *it = *s + 1;
        *itlen = (size_t)(close - *s - 1);
        *n -= (size_t)(close + 1 - *s);
        *s = close + 1;
    } else {
        const char *end = stop ? memmem(*s, *n, stop, strlen(stop)) : NULL;
        *it = *s;
        *itlen = end ? (size_t)(end - *s) : *n;
        *s += *itlen;
        *n -= *itlen;
        trim(it, itlen);
    }
    trim(s, n);
    return true;
}

static bool word(const char **s, size_t *n, const char *w)
{
    size_t k = strlen(w);
    if (*n < k || memcmp(*s, w, k) != 0 || (*n > k && (*s)[k] != ' ' && (*s)[k] != '\t'))
        return false;
    *s += k;
    *n -= k;
    trim(s, n);
    return true;
}

/* "COLUMN | MODIFIER | ...": the column, then the modifiers. */
static int parse_column(const char *v, size_t n, const char **col, size_t *clen,
                        unsigned *modifiers, struct cdp_error *err, const char *where)
{
    *modifiers = 0;
    if (!item(&v, &n, "|", col, clen))
        return cdp_errorf(err, "%sa double quote is not closed", where);
    while (n) {
        if (*v != '|')
            return cdp_errorf(err, "%sexpected '| MODIFIER' after the column, not '%.*s'", where,
                              (int)n, v);
        v++, n--;
        const char *mod;
        size_t mlen;
        if (!item(&v, &n, "|", &mod, &mlen))
            return cdp_errorf(err, "%sa double quote is not closed", where);
        if (mlen == 13 && memcmp(mod, "drop-dot-zero", 13) == 0)
            *modifiers |= CDP_MAP_DROP_DOT_ZERO;
        else
            return cdp_errorf(err, "%sunknown modifier '%.*s' (there is drop-dot-zero)", where,
                              (int)mlen, mod);
    }
    return 0;
}

/* "VALUE if COLUMN starts with TEXT" or "VALUE if COLUMN is negative". */
static int add_rule(struct cdp_mapping *m, const char *field, size_t flen, const char *value,
                    size_t vlen, const char *cond, size_t clen, unsigned from_file,
                    struct cdp_error *err, const char *where)
{
    if (!valid_field(field, flen))
        return cdp_errorf(err, "%sinvalid field name '%.*s' (lower-case letters, digits, '_')",
                          where, (int)flen, field);
    if (special(field, flen))
        return cdp_errorf(err, "%s%.*s takes no rule", where, (int)flen, field);
    if (vlen == 0)
        return cdp_errorf(err, "%sempty value for field '%.*s'", where, (int)flen, field);
    struct cdp_map_rule r = { 0 };
    const char *col, *text = NULL;
    size_t collen, textlen = 0;
    const char *p = cond;
    size_t n = clen;
    bool starts = false;
    /* The column ends where the test begins. */
    const char *sw = memmem(p, n, " starts with ", 13), *neg = memmem(p, n, " is negative", 12);
    const char *stop = sw && (!neg || sw < neg) ? " starts with " : " is negative";
    if (!item(&p, &n, stop, &col, &collen))
        return cdp_errorf(err, "%sa double quote is not closed", where);
    if (word(&p, &n, "starts") && word(&p, &n, "with")) {
        starts = true;
        if (!item(&p, &n, NULL, &text, &textlen))
            return cdp_errorf(err, "%sa double quote is not closed", where);
        if (textlen == 0 || n)
            return cdp_errorf(err, "%sexpected starts with TEXT, one word or in quotes", where);
    } else if (!(word(&p, &n, "is") && word(&p, &n, "negative") && n == 0)) {
        return cdp_errorf(err, "%sexpected VALUE if COLUMN starts with TEXT, or VALUE if "
                               "COLUMN is negative", where);
    }
    if (collen == 0)
        return cdp_errorf(err, "%sempty column name in the rule for '%.*s'", where, (int)flen,
                          field);
    if (overridden(m, field, flen, from_file))
        return 0;
    r.field = cdp_xstrndup(field, flen);
    r.value = cdp_xstrndup(value, vlen);
    r.column = cdp_xstrndup(col, collen);
    r.test = starts ? CDP_MAP_STARTS_WITH : CDP_MAP_NEGATIVE;
    r.text = starts ? cdp_xstrndup(text, textlen) : NULL;
    r.from_file = from_file;
    if (m->nrules == m->rules_cap) {
        m->rules_cap = m->rules_cap ? m->rules_cap * 2 : 8;
        m->rules = cdp_xrealloc(m->rules, m->rules_cap * sizeof *m->rules);
    }
    m->rules[m->nrules++] = r;
    return 0;
}

/* One line of a map file (trimmed, not empty, not a comment). */
static int load_line(struct cdp_mapping *m, const char *s, size_t n, unsigned file,
                     struct cdp_error *err, const char *where)
{
    const char *eq = memchr(s, '=', n);
    if (!eq)
        return cdp_errorf(err, "%sexpected FIELD = COLUMN or FIELD := VALUE", where);
    bool constant = eq > s && eq[-1] == ':';
    const char *field = s;
    size_t flen = (size_t)(eq - s) - (constant ? 1 : 0);
    trim(&field, &flen);
    const char *value = eq + 1;
    size_t vlen = n - (size_t)(eq + 1 - s);
    trim(&value, &vlen);
    if (!constant) {
        const char *col;
        size_t clen;
        unsigned modifiers;
        if (parse_column(value, vlen, &col, &clen, &modifiers, err, where) < 0)
            return -1;
        return put(m, field, flen, col, clen, false, modifiers, file, err, where);
    }
    /* A constant, maybe with a rule: VALUE if CONDITION. */
    const char *v;
    size_t len;
    if (!item(&value, &vlen, " if ", &v, &len))
        return cdp_errorf(err, "%sa double quote is not closed", where);
    if (vlen == 0)
        return put(m, field, flen, v, len, true, 0, file, err, where);
    if (!word(&value, &vlen, "if"))
        return cdp_errorf(err, "%sexpected 'if' after the value, not '%.*s'", where, (int)vlen,
                          value);
    return add_rule(m, field, flen, v, len, value, vlen, file, err, where);
}

int cdp_mapping_load(struct cdp_mapping *m, const char *path, struct cdp_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return cdp_errorf_errno(err, errno, "cannot open map file '%s'", path);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned number = 0, file = ++m->files;
    int rc = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        number++;
        const char *s = line;
        size_t n = (size_t)len;
        if (n && s[n - 1] == '\n')
            n--;
        if (number == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
            s += 3, n -= 3;
        char where[300];
        snprintf(where, sizeof where, "%s:%u: ", path, number);
        /* Names are kept as C strings: a NUL would cut a column name short
         * (or empty it) without a word. */
        if (memchr(s, '\0', n)) {
            rc = cdp_errorf(err, "%sa NUL byte (not a text file?)", where);
            break;
        }
        if (!cdp_utf8_valid(s, n)) {
            rc = cdp_errorf(err, "%snot UTF-8 (save the map file as UTF-8)", where);
            break;
        }
        trim(&s, &n);
        if (n == 0 || s[0] == '#')
            continue;
        if ((rc = load_line(m, s, n, file, err, where)) < 0)
            break;
    }
    if (rc == 0 && ferror(f))
        rc = cdp_errorf_errno(err, errno, "cannot read map file '%s'", path);
    free(line);
    fclose(f);
    return rc;
}

int cdp_mapping_require(struct cdp_mapping *m, const char *list, struct cdp_error *err)
{
    for (const char *p = list; *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (!valid_field(p, n))
            return cdp_errorf(err, "--require: invalid field name '%.*s'", (int)n, p);
        p += n + (comma ? 1 : 0);
    }
    m->require = cdp_xrealloc(m->require, (m->nrequire + 1) * sizeof *m->require);
    m->require[m->nrequire++] = cdp_xstrdup(list);
    return 0;
}

void cdp_mapping_release(struct cdp_mapping *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].field);
        free(m->v[i].value);
    }
    for (size_t i = 0; i < m->nrequire; i++)
        free(m->require[i]);
    for (size_t i = 0; i < m->nrules; i++) {
        free(m->rules[i].field);
        free(m->rules[i].value);
        free(m->rules[i].column);
        free(m->rules[i].text);
    }
    free(m->rules);
    free(m->v);
    free(m->require);
    memset(m, 0, sizeof *m);
}
