/* rules/ruleset.c: segment rule sets; see rules/ruleset.h. */
#include "rules/ruleset.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool cdp_segment_name_valid(const char *s, size_t len)
{
    if (len == 0 || len > 100)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
            return false;
    return true;
}

static bool ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

long cdp_ruleset_find(const struct cdp_ruleset *rs, const char *name, size_t len)
{
    for (size_t i = 0; i < rs->n; i++)
        if (strlen(rs->rules[i].name) == len && memcmp(rs->rules[i].name, name, len) == 0)
            return (long)i;
    return -1;
}

static char *dup_trimmed(const char *s, size_t len)
{
    while (len && isspace((unsigned char)*s))
        s++, len--;
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    char *d = cdp_xmalloc(len + 1);
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

static int add_rule(struct cdp_ruleset *rs, const char *name, size_t nlen, const char *expr,
                    size_t elen, const char *origin, struct cdp_error *err)
{
    if (!cdp_segment_name_valid(name, nlen))
        return cdp_errorf(err, "%s: invalid segment name '%.*s' (letters, digits, '_' and '-')",
                          origin, (int)nlen, name);
    long dup = cdp_ruleset_find(rs, name, nlen);
    if (dup >= 0)
        return cdp_errorf(err, "%s: segment '%.*s' is already defined (%s)", origin, (int)nlen, name,
                          rs->rules[dup].origin);
    char *e = dup_trimmed(expr, elen);
    if (!*e) {
        free(e);
        return cdp_errorf(err, "%s: segment '%.*s' has an empty rule", origin, (int)nlen, name);
    }
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? rs->cap * 2 : 16;
        rs->rules = cdp_xrealloc(rs->rules, rs->cap * sizeof *rs->rules);
    }
    struct cdp_rule *r = &rs->rules[rs->n++];
    memset(r, 0, sizeof *r);
    r->name = dup_trimmed(name, nlen);
    r->expr = e;
    r->origin = cdp_xstrdup(origin);
    return 0;
}

int cdp_ruleset_add_spec(struct cdp_ruleset *rs, const char *spec, struct cdp_error *err)
{
    const char *eq = strchr(spec, '=');
    if (!eq)
        return cdp_errorf(err, "-s takes NAME=JQ, not '%s'", spec);
    size_t nlen = (size_t)(eq - spec);
    while (nlen && isspace((unsigned char)spec[nlen - 1]))
        nlen--;
    char origin[160];
    snprintf(origin, sizeof origin, "-s %.*s", (int)(nlen > 100 ? 100 : nlen), spec);
    return add_rule(rs, spec, nlen, eq + 1, strlen(eq + 1), origin, err);
}

/* One logical line: a line and the lines after it that start with a blank. */
static int add_logical(struct cdp_ruleset *rs, const char *s, size_t len, const char *origin,
                       struct cdp_error *err)
{
    const char *end = s + len;
    if (len > 6 && memcmp(s, "param", 5) == 0 && isspace((unsigned char)s[5])) {
        const char *p = s + 5;
        while (p < end && isspace((unsigned char)*p))
            p++;
        const char *name = p;
        while (p < end && ident_char(*p))
            p++;
        size_t nlen = (size_t)(p - name);
        while (p < end && isspace((unsigned char)*p))
            p++;
        if (!nlen || p == end || *p != '=')
            return cdp_errorf(err, "%s: 'param' takes NAME = JSON", origin);
        char *n = dup_trimmed(name, nlen), *v = dup_trimmed(p + 1, (size_t)(end - p - 1));
        int k = 0;
        /* The first default wins over a later file's; --arg wins over all. */
        bool known = false;
        for (size_t i = 0; i < rs->params.n; i++)
            known |= strcmp(rs->params.v[i].name, n) == 0;
        if (!known && cdp_jq_vars_add(&rs->params, n, v, true, err) < 0) {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", err->msg);
            k = cdp_errorf(err, "%s: %s", origin, msg);
        }
        free(n);
        free(v);
        return k;
    }
    if (len >= 5 && memcmp(s, "needs", 5) == 0 && (len == 5 || isspace((unsigned char)s[5]))) {
        char *what = dup_trimmed(s + 5, len - 5);
        bool ok = strcmp(what, "population") == 0;
        free(what);
        if (!ok)
            return cdp_errorf(err, "%s: 'needs' takes 'population'", origin);
        rs->needs_population = true;
        return 0;
    }
    if (len > 4 && memcmp(s, "def", 3) == 0 && isspace((unsigned char)s[3])) {
        const char *p = s + 3;
        while (p < end && isspace((unsigned char)*p))
            p++;
        const char *name = p;
        while (p < end && ident_char(*p))
            p++;
        if (p == name)
            return cdp_errorf(err, "%s: a definition without a name", origin);
        if (rs->ndefs == rs->defs_cap) {
            rs->defs_cap = rs->defs_cap ? rs->defs_cap * 2 : 16;
            rs->defs = cdp_xrealloc(rs->defs, rs->defs_cap * sizeof *rs->defs);
        }
        rs->defs[rs->ndefs].name = dup_trimmed(name, (size_t)(p - name));
        rs->defs[rs->ndefs].text = dup_trimmed(s, len);
        rs->ndefs++;
        return 0;
    }
    const char *eq = memchr(s, '=', len);
    if (!eq)
        return cdp_errorf(err, "%s: expected NAME = JQ, 'param', 'needs' or 'def'", origin);
    size_t nlen = (size_t)(eq - s);
    while (nlen && isspace((unsigned char)s[nlen - 1]))
        nlen--;
    return add_rule(rs, s, nlen, eq + 1, (size_t)(end - eq - 1), origin, err);
}

int cdp_ruleset_add_text(struct cdp_ruleset *rs, const char *text, size_t len, const char *origin,
                         struct cdp_error *err)
{
    struct cdp_buf logical = CDP_BUF_INIT;
    size_t start_line = 0, lineno = 0;
    char where[512];
    int status = 0;
    const char *p = text, *end = text + len;
    /* Blank and comment lines neither end nor interrupt a logical line. */
    while (p < end && status == 0) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        size_t n = (size_t)(eol - p);
        if (n && p[n - 1] == '\r')
            n--;
        lineno++;
        const char *q = p;
        while (q < p + n && (*q == ' ' || *q == '\t'))
            q++;
        bool blank = q == p + n, comment = !blank && *q == '#', cont = q > p;
        if (!blank && !comment) {
            if (cont && !logical.len) {
                snprintf(where, sizeof where, "%s:%zu", origin, lineno);
                status = cdp_errorf(err, "%s: a continuation line (it starts with a blank) with nothing to continue",
                                    where);
            } else if (cont) {
                cdp_buf_addc(&logical, '\n');
                cdp_buf_add(&logical, p, n);
            } else {
                if (logical.len) {
                    snprintf(where, sizeof where, "%s:%zu", origin, start_line);
                    status = add_logical(rs, logical.data, logical.len, where, err);
                    cdp_buf_reset(&logical);
                }
                start_line = lineno;
                cdp_buf_add(&logical, p, n);
            }
        }
        p = nl ? nl + 1 : end;
    }
    if (status == 0 && logical.len) {
        snprintf(where, sizeof where, "%s:%zu", origin, start_line);
        status = add_logical(rs, logical.data, logical.len, where, err);
    }
    cdp_buf_release(&logical);
    return status;
}

int cdp_ruleset_add_file(struct cdp_ruleset *rs, const char *path, struct cdp_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return cdp_errorf_errno(err, errno, "cannot open rule file '%s'", path);
    struct cdp_buf b = CDP_BUF_INIT;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        cdp_buf_add(&b, chunk, n);
    int failed = ferror(f);
    fclose(f);
    int k;
    if (failed)
        k = cdp_errorf(err, "cannot read rule file '%s'", path);
    else
        k = cdp_ruleset_add_text(rs, b.data ? b.data : "", b.len, path, err);
    cdp_buf_release(&b);
    return k;
}

/* Whether text uses the word w (not as part of a longer name or a field). */
static bool uses_word(const char *text, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = text; (p = strstr(p, w)) != NULL; p += n) {
        bool before = p > text && (ident_char(p[-1]) || p[-1] == '.' || p[-1] == '$');
        bool after = ident_char(p[n]);
        if (!before && !after)
            return true;
    }
    return false;
}

static const char segment_def[] = "def segment($name): any(.segments[]?; . == $name);";

/* The segment("NAME") references in text, added to rule i's dependencies. */
static int scan_deps(struct cdp_ruleset *rs, size_t i, const char *text, struct cdp_error *err)
{
    struct cdp_rule *r = &rs->rules[i];
    for (const char *p = text; (p = strstr(p, "segment(")) != NULL; p += 8) {
        if (p > text && (ident_char(p[-1]) || p[-1] == '.'))
            continue;
        if (p >= text + 4 && strncmp(p - 4, "def ", 4) == 0)
            continue; /* our own definition of segment() */
        const char *q = p + 8;
        while (*q == ' ')
            q++;
        if (*q != '"')
            return cdp_errorf(err, "%s: segment() takes a segment's name in double quotes", r->origin);
        const char *name = ++q;
        while (*q && *q != '"')
            q++;
        long d = cdp_ruleset_find(rs, name, (size_t)(q - name));
        if (d < 0)
            return cdp_errorf(err, "%s: segment(\"%.*s\"): no such segment", r->origin, (int)(q - name),
                              name);
        if ((size_t)d == i)
            return cdp_errorf(err, "%s: segment '%s' refers to itself", r->origin, r->name);
        r->deps = cdp_xrealloc(r->deps, (r->ndeps + 1) * sizeof *r->deps);
        r->deps[r->ndeps++] = (size_t)d;
    }
    return 0;
}

/* Which definitions rule i uses, directly or through other definitions. */
static void needed_defs(const struct cdp_ruleset *rs, size_t i, bool *need)
{
    memset(need, 0, (rs->ndefs + 1) * sizeof *need);
    for (size_t d = 0; d < rs->ndefs; d++)
        need[d] = uses_word(rs->rules[i].expr, rs->defs[d].name);
    for (bool grew = true; grew;) {
        grew = false;
        for (size_t d = 0; d < rs->ndefs; d++)
            if (need[d])
                for (size_t e = 0; e < rs->ndefs; e++)
                    if (!need[e] && e != d && uses_word(rs->defs[d].text, rs->defs[e].name))
                        need[e] = grew = true;
    }
}

int cdp_ruleset_finish(struct cdp_ruleset *rs, struct cdp_error *err)
{
    /* Dependencies: segment("NAME") in the rule or the definitions it uses. */
    bool *need = cdp_xcalloc(rs->ndefs + 1, sizeof *need);
    for (size_t i = 0; i < rs->n; i++) {
        int k = scan_deps(rs, i, rs->rules[i].expr, err);
        needed_defs(rs, i, need);
        for (size_t d = 0; d < rs->ndefs && k == 0; d++)
            if (need[d])
                k = scan_deps(rs, i, rs->defs[d].text, err);
        if (k) {
            free(need);
            return k;
        }
    }
    /* Order: depth-first, refusing cycles (0 new, 1 on the path, 2 done). */
    free(rs->order);
    rs->order = cdp_xmalloc((rs->n + 1) * sizeof *rs->order);
    unsigned char *state = cdp_xcalloc(rs->n + 1, 1);
    size_t *stack = cdp_xmalloc((rs->n + 1) * sizeof *stack), *next = cdp_xcalloc(rs->n + 1, sizeof *next);
    size_t norder = 0;
    int status = 0;
    for (size_t s = 0; s < rs->n && status == 0; s++) {
        if (state[s])
            continue;
        size_t depth = 0;
        stack[depth++] = s;
        state[s] = 1;
        while (depth && status == 0) {
            size_t v = stack[depth - 1];
            if (next[v] < rs->rules[v].ndeps) {
                size_t d = rs->rules[v].deps[next[v]++];
                if (state[d] == 1) {
                    status = cdp_errorf(err, "%s: segments '%s' and '%s' refer to each other (a cycle)",
                                        rs->rules[v].origin, rs->rules[v].name, rs->rules[d].name);
                } else if (state[d] == 0) {
                    state[d] = 1;
                    stack[depth++] = d;
                }
            } else {
                state[v] = 2;
                rs->order[norder++] = v;
                depth--;
            }
        }
    }
    free(state);
    free(stack);
    free(next);
    if (status) {
        free(need);
        return status;
    }
    /* Each rule's program: the definitions it names, transitively, in the
     * order they were given (jq wants a definition before its use). */
    for (size_t i = 0; i < rs->n; i++) {
        struct cdp_rule *r = &rs->rules[i];
        needed_defs(rs, i, need);
        struct cdp_buf b = CDP_BUF_INIT;
        if (r->ndeps)
            cdp_buf_printf(&b, "%s\n", segment_def);
        for (size_t d = 0; d < rs->ndefs; d++)
            if (need[d])
                cdp_buf_printf(&b, "%s\n", rs->defs[d].text);
        cdp_buf_adds(&b, r->expr);
        free(r->program);
        r->program = cdp_xstrdup(b.data);
        cdp_buf_release(&b);
    }
    free(need);
    return 0;
}

void cdp_ruleset_release(struct cdp_ruleset *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        free(rs->rules[i].name);
        free(rs->rules[i].expr);
        free(rs->rules[i].program);
        free(rs->rules[i].origin);
        free(rs->rules[i].deps);
    }
    free(rs->rules);
    for (size_t i = 0; i < rs->ndefs; i++) {
        free(rs->defs[i].name);
        free(rs->defs[i].text);
    }
    free(rs->defs);
    cdp_jq_vars_release(&rs->params);
    free(rs->order);
    memset(rs, 0, sizeof *rs);
}
