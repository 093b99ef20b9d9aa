#include "ingest/mapping.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
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

static int put(struct cdp_mapping *m, const char *field, size_t flen, const char *value,
               size_t vlen, bool constant, unsigned from_file, struct cdp_error *err,
               const char *where)
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
    if (vlen == 0)
        return cdp_errorf(err, "%sempty %s for field '%.*s'", where,
                          constant ? "value" : "column name", (int)flen, field);
    char *f = cdp_xstrndup(field, flen);
    struct cdp_map_entry *e = (struct cdp_map_entry *)cdp_mapping_find(m, f);
    if (e) {
        if (from_file && e->from_file == from_file) {
            free(f);
            return cdp_errorf(err, "%sfield '%.*s' is mapped twice", where, (int)flen, field);
        }
        free(f);
        if (from_file && !e->from_file)
            return 0; /* the command line wins over a map file */
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
    return 0;
}

int cdp_mapping_add(struct cdp_mapping *m, const char *spec, bool constant, struct cdp_error *err)
{
    const char *eq = strchr(spec, '=');
    if (!eq)
        return cdp_errorf(err, "'%s': expected FIELD=%s", spec, constant ? "VALUE" : "COLUMN");
    return put(m, spec, (size_t)(eq - spec), eq + 1, strlen(eq + 1), constant, 0, err, "");
}

static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t'))
        (*s)++, (*n)--;
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r'))
        (*n)--;
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
        trim(&s, &n);
        if (n == 0 || s[0] == '#')
            continue;
        char where[300];
        snprintf(where, sizeof where, "%s:%u: ", path, number);
        const char *eq = memchr(s, '=', n);
        if (!eq) {
            rc = cdp_errorf(err, "%sexpected FIELD = COLUMN or FIELD := VALUE", where);
            break;
        }
        bool constant = eq > s && eq[-1] == ':';
        const char *field = s;
        size_t flen = (size_t)(eq - s) - (constant ? 1 : 0);
        trim(&field, &flen);
        const char *value = eq + 1;
        size_t vlen = n - (size_t)(eq + 1 - s);
        trim(&value, &vlen);
        if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"')
            value++, vlen -= 2;
        if (put(m, field, flen, value, vlen, constant, file, err, where) < 0) {
            rc = -1;
            break;
        }
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
    free(m->v);
    free(m->require);
    memset(m, 0, sizeof *m);
}
