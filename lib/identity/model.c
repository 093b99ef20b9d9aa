/* identity/model.c: the Fellegi-Sunter model file and the table of values; see
 * identity/model.h. The model file is small: it is read with libjq's jv parser. */
#include "identity/model.h"

#include <errno.h>
#include <jv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/intern.h"
#include "norm/date.h"
#include "norm/phone.h"
#include "io/json.h"
#include "io/lines.h"
#include "io/output.h"
#include "io/record.h"
#include "norm/show.h"
#include "norm/strdist.h"
#include "norm/text.h"
#include "norm/translit.h"

/* ---- reading the model ---------------------------------------------------- */

struct ctx {
    const char *origin;
    struct cdp_error *err;
};

static jv get(jv obj, const char *key)
{
    return jv_object_get(jv_copy(obj), jv_string(key));
}

static bool is_kind(jv v, jv_kind k)
{
    return jv_get_kind(v) == k;
}

static int fail(struct ctx *c, const char *where, const char *fmt, const char *arg)
{
    char msg[512];
    snprintf(msg, sizeof msg, fmt, arg ? arg : "");
    return cdp_errorf(c->err, "%s: %s%s%s", c->origin, where, *where ? ": " : "", msg);
}

/* A key the format does not have is an error, not a silent default: a
 * "treshold" would otherwise leave the threshold at 0.99 unnoticed. */
static int check_keys(jv obj, const char *const *allowed, const char *where, struct ctx *c)
{
    jv keys = jv_keys(jv_copy(obj));
    int n = jv_array_length(jv_copy(keys)), r = 0;
    for (int i = 0; i < n && r == 0; i++) {
        jv k = jv_array_get(jv_copy(keys), i);
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, jv_string_value(k)) == 0;
        if (!ok)
            r = fail(c, where, "unknown key \"%s\"", jv_string_value(k));
        jv_free(k);
    }
    jv_free(keys);
    return r;
}

static int field_index(struct cdp_fsmodel *m, const char *name, enum cdp_fs_type type)
{
    for (int i = 0; i < m->nfields; i++)
        if (strcmp(m->fields[i], name) == 0)
            return i;
    if (m->nfields == (int)(sizeof m->fields / sizeof *m->fields))
        return -1;
    m->fields[m->nfields] = cdp_xstrdup(name);
    m->field_types[m->nfields] = type;
    return m->nfields++;
}

static const char *const type_names[] = { "name", "string", "date", "number" };
static const char *const when_names[] = { "exact",       "translit", "swapped",        "jaro_winkler",
                                          "levenshtein", "damerau",  "days",           "day_month_swapped",
                                          "within",      "within_pct", "fixed_and_mobile", "else" };

static bool when_allowed(enum cdp_fs_when w, enum cdp_fs_type t)
{
    switch (w) {
    case CDP_FS_TRANSLIT:
    case CDP_FS_SWAPPED:
        return t == CDP_FS_NAME;
    case CDP_FS_DAYS:
    case CDP_FS_DAY_MONTH:
        return t == CDP_FS_DATE;
    case CDP_FS_WITHIN:
    case CDP_FS_WITHIN_PCT:
        return t == CDP_FS_NUMBER;
    case CDP_FS_FIXED_MOBILE:
        return t == CDP_FS_STRING;
    default:
        return true;
    }
}

static int parse_level(struct cdp_fsmodel *m, struct cdp_fs_comparison *cmp, jv lv, const char *where,
                       struct ctx *c)
{
    struct cdp_fs_level *l = &cmp->levels[cmp->nlevels];
    memset(l, 0, sizeof *l);
    l->with = -1;
    if (!is_kind(lv, JV_KIND_OBJECT))
        return fail(c, where, "a level must be an object", NULL);
    static const char *const level_keys[] = { "when", "min", "max", "with", "tf", "same_digits", "m", "u", NULL };
    if (check_keys(lv, level_keys, where, c))
        return -1;
    jv when = get(lv, "when");
    if (!is_kind(when, JV_KIND_STRING)) {
        jv_free(when);
        return fail(c, where, "\"when\" is missing", NULL);
    }
    const char *w = jv_string_value(when);
    int k = -1;
    for (size_t i = 0; i < sizeof when_names / sizeof *when_names; i++)
        if (strcmp(w, when_names[i]) == 0)
            k = (int)i;
    if (k < 0) {
        int r = fail(c, where,
                     "unknown \"when\" '%s' (exact, translit, swapped, jaro_winkler, levenshtein, "
                     "damerau, days, day_month_swapped, within, within_pct, fixed_and_mobile, else)", w);
        jv_free(when);
        return r;
    }
    jv_free(when);
    l->when = (enum cdp_fs_when)k;
    if (!when_allowed(l->when, cmp->type))
        return fail(c, where, "\"%s\" does not apply to this comparison's type", when_names[k]);
    const char *pname = l->when == CDP_FS_JARO_WINKLER ? "min"
                      : (l->when == CDP_FS_LEVENSHTEIN || l->when == CDP_FS_DAMERAU || l->when == CDP_FS_DAYS ||
                         l->when == CDP_FS_WITHIN || l->when == CDP_FS_WITHIN_PCT)
                          ? "max"
                          : NULL;
    if (pname) {
        jv p = get(lv, pname);
        bool ok = is_kind(p, JV_KIND_NUMBER);
        l->param = ok ? jv_number_value(p) : 0;
        jv_free(p);
        if (!ok || l->param < 0 || (l->when == CDP_FS_JARO_WINKLER && l->param > 1))
            return fail(c, where,
                        l->when == CDP_FS_JARO_WINKLER ? "\"min\" must be a number from 0 to 1"
                                                       : "\"max\" must be a number, 0 or more",
                        NULL);
        snprintf(l->label, sizeof l->label, "%s%s%g", when_names[k],
                 l->when == CDP_FS_JARO_WINKLER ? ">=" : "<=", l->param);
    } else {
        snprintf(l->label, sizeof l->label, "%s", when_names[k]);
    }
    if (l->when == CDP_FS_SWAPPED) {
        /* optional: a Jaro-Winkler minimum across the fields (default: the
         * transliteration keys equal) */
        jv mn = get(lv, "min");
        if (is_kind(mn, JV_KIND_NUMBER)) {
            l->param = jv_number_value(mn);
            snprintf(l->label, sizeof l->label, "swapped>=%g", l->param);
        }
        bool bad = is_kind(mn, JV_KIND_NUMBER) && !(l->param > 0 && l->param <= 1);
        jv_free(mn);
        if (bad)
            return fail(c, where, "\"min\" must be a number from 0 to 1", NULL);
        jv with = get(lv, "with");
        bool ok = is_kind(with, JV_KIND_STRING);
        if (ok)
            l->with = field_index(m, jv_string_value(with), CDP_FS_NAME);
        jv_free(with);
        if (!ok || l->with < 0)
            return fail(c, where, "\"swapped\" needs \"with\": the other name field", NULL);
    }
    jv tf = get(lv, "tf");
    if (!is_kind(tf, JV_KIND_TRUE) && !is_kind(tf, JV_KIND_FALSE) && !is_kind(tf, JV_KIND_INVALID)) {
        jv_free(tf);
        return fail(c, where, "\"tf\" is true or false", NULL);
    }
    if (is_kind(tf, JV_KIND_TRUE)) {
        if (l->when != CDP_FS_EXACT) {
            jv_free(tf);
            return fail(c, where, "\"tf\" applies to \"exact\" levels only", NULL);
        }
        l->tf = true;
    }
    jv_free(tf);
    jv sd = get(lv, "same_digits");
    if (!is_kind(sd, JV_KIND_TRUE) && !is_kind(sd, JV_KIND_FALSE) && !is_kind(sd, JV_KIND_INVALID)) {
        jv_free(sd);
        return fail(c, where, "\"same_digits\" is true or false", NULL);
    }
    if (is_kind(sd, JV_KIND_TRUE)) {
        if (l->when != CDP_FS_JARO_WINKLER && l->when != CDP_FS_LEVENSHTEIN && l->when != CDP_FS_DAMERAU) {
            jv_free(sd);
            return fail(c, where, "\"same_digits\" applies to \"jaro_winkler\", \"levenshtein\" and "
                                  "\"damerau\" levels only", NULL);
        }
        l->same_digits = true;
        size_t len = strlen(l->label);
        snprintf(l->label + len, sizeof l->label - len, ",same_digits");
    }
    jv_free(sd);
    const char *pn[2] = { "m", "u" };
    double *pv[2] = { &l->m, &l->u };
    for (int i = 0; i < 2; i++) {
        jv p = get(lv, pn[i]);
        bool ok = is_kind(p, JV_KIND_NUMBER) && jv_number_value(p) > 0 && jv_number_value(p) <= 1;
        *pv[i] = ok ? jv_number_value(p) : 0;
        jv_free(p);
        if (!ok)
            return fail(c, where, "\"%s\" must be a probability, above 0 and at most 1", pn[i]);
    }
    cmp->nlevels++;
    return 0;
}

static int parse_comparison(struct cdp_fsmodel *m, jv cv, const char *where, struct ctx *c)
{
    struct cdp_fs_comparison *cmp = &m->comps[m->ncomps];
    memset(cmp, 0, sizeof *cmp);
    if (!is_kind(cv, JV_KIND_OBJECT))
        return fail(c, where, "a comparison must be an object", NULL);
    static const char *const comparison_keys[] = { "name", "field", "type", "levels", NULL };
    if (check_keys(cv, comparison_keys, where, c))
        return -1;
    jv type = get(cv, "type"), field = get(cv, "field"), name = get(cv, "name"), levels = get(cv, "levels");
    int r = 0;
    if (!is_kind(field, JV_KIND_STRING) || !*jv_string_value(field)) {
        r = fail(c, where, "\"field\" is missing", NULL);
        goto out;
    }
    int t = -1;
    if (is_kind(type, JV_KIND_STRING))
        for (int i = 0; i < 4; i++)
            if (strcmp(jv_string_value(type), type_names[i]) == 0)
                t = i;
    if (t < 0) {
        r = fail(c, where, "unknown type '%s' (name, string, date, number)",
                 is_kind(type, JV_KIND_STRING) ? jv_string_value(type) : "");
        goto out;
    }
    cmp->type = (enum cdp_fs_type)t;
    cmp->field = field_index(m, jv_string_value(field), cmp->type);
    if (cmp->field < 0) {
        r = fail(c, where, "too many fields", NULL);
        goto out;
    }
    if (m->field_types[cmp->field] != cmp->type) {
        r = fail(c, where, "field '%s' is compared as two different types", jv_string_value(field));
        goto out;
    }
    cmp->name = cdp_xstrdup(is_kind(name, JV_KIND_STRING) ? jv_string_value(name) : jv_string_value(field));
    if (!is_kind(levels, JV_KIND_ARRAY) || jv_array_length(jv_copy(levels)) < 2 ||
        jv_array_length(jv_copy(levels)) > CDP_FS_MAX_LEVELS) {
        r = fail(c, where, "\"levels\" must be an array of 2 to 12 levels", NULL);
        goto out;
    }
    int n = jv_array_length(jv_copy(levels));
    for (int i = 0; i < n && r == 0; i++) {
        char w[96];
        snprintf(w, sizeof w, "%s.levels[%d]", where, i);
        jv lv = jv_array_get(jv_copy(levels), i);
        r = parse_level(m, cmp, lv, w, c);
        jv_free(lv);
        if (r == 0 && (cmp->levels[i].when == CDP_FS_ELSE) != (i == n - 1))
            r = fail(c, w, "the last level, and only the last, must be \"else\"", NULL);
    }
    if (r == 0) {
        /* m and u each sum to 1 over the levels: the file may round. */
        double sm = 0, su = 0;
        for (int i = 0; i < cmp->nlevels; i++)
            sm += cmp->levels[i].m, su += cmp->levels[i].u;
        for (int i = 0; i < cmp->nlevels; i++)
            cmp->levels[i].m /= sm, cmp->levels[i].u /= su;
        m->ncomps++;
    }
out:
    if (r) {
        free(cmp->name); /* the comparison was not counted: free it here */
        cmp->name = NULL;
    }
    jv_free(type);
    jv_free(field);
    jv_free(name);
    jv_free(levels);
    return r;
}

static int parse_part(struct cdp_fsmodel *m, const char *text, struct cdp_fs_part *p, const char *where,
                      struct ctx *c)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", text);
    char *colon = strchr(buf, ':');
    const char *tr = colon ? colon + 1 : "";
    if (colon)
        *colon = '\0';
    int f = -1;
    for (int i = 0; i < m->nfields; i++)
        if (strcmp(m->fields[i], buf) == 0)
            f = i;
    if (f < 0)
        return fail(c, where, "blocking on '%s', which no comparison compares", buf);
    p->field = f;
    p->n = 0;
    enum cdp_fs_type t = m->field_types[f];
    if (!*tr) {
        p->t = CDP_FS_T_VALUE;
    } else if (strcmp(tr, "key") == 0 && t == CDP_FS_NAME) {
        p->t = CDP_FS_T_KEY;
    } else if (strcmp(tr, "initial") == 0 && t == CDP_FS_NAME) {
        p->t = CDP_FS_T_INITIAL;
    } else if (strcmp(tr, "soundex") == 0 && t == CDP_FS_NAME) {
        p->t = CDP_FS_T_SOUNDEX;
    } else if (strcmp(tr, "year") == 0 && t == CDP_FS_DATE) {
        p->t = CDP_FS_T_YEAR;
    } else if (strncmp(tr, "last", 4) == 0 && atoi(tr + 4) > 0 && atoi(tr + 4) < 64) {
        p->t = CDP_FS_T_LAST;
        p->n = atoi(tr + 4);
    } else {
        return fail(c, where,
                    "unknown transform '%s' (names: key, initial, soundex; dates: year; any: lastN)", tr);
    }
    return 0;
}

static int parse_rules(struct cdp_fsmodel *m, jv root, const char *key, struct cdp_fs_rule *out,
                       int *nout, bool required, struct ctx *c)
{
    jv rules = get(root, key);
    int r = 0;
    if (!required && (is_kind(rules, JV_KIND_NULL) || is_kind(rules, JV_KIND_INVALID))) {
        jv_free(rules);
        return 0;
    }
    if (!is_kind(rules, JV_KIND_ARRAY) || jv_array_length(jv_copy(rules)) == 0 ||
        jv_array_length(jv_copy(rules)) > 16) {
        r = fail(c, key, "must be an array of 1 to 16 rules, each an array of fields", NULL);
    } else {
        int n = jv_array_length(jv_copy(rules));
        for (int i = 0; i < n && r == 0; i++) {
            char w[64];
            snprintf(w, sizeof w, "%s[%d]", key, i);
            jv rv = jv_array_get(jv_copy(rules), i);
            struct cdp_fs_rule *rule = &out[*nout];
            memset(rule, 0, sizeof *rule);
            int np = is_kind(rv, JV_KIND_ARRAY) ? jv_array_length(jv_copy(rv)) : 0;
            if (np < 1 || np > 4)
                r = fail(c, w, "a rule is an array of 1 to 4 fields", NULL);
            for (int j = 0; j < np && r == 0; j++) {
                jv pv = jv_array_get(jv_copy(rv), j);
                if (!is_kind(pv, JV_KIND_STRING)) {
                    r = fail(c, w, "a rule's parts are strings like \"last_name:key\"", NULL);
                } else {
                    r = parse_part(m, jv_string_value(pv), &rule->parts[j], w, c);
                    size_t tl = strlen(rule->text);
                    snprintf(rule->text + tl, sizeof rule->text - tl, "%s%s", j ? "+" : "",
                             jv_string_value(pv));
                }
                jv_free(pv);
            }
            jv_free(rv);
            if (r == 0) {
                rule->nparts = np;
                (*nout)++;
            }
        }
    }
    jv_free(rules);
    return r;
}

static int parse_model(struct cdp_fsmodel *m, jv root, struct ctx *c)
{
    if (!is_kind(root, JV_KIND_OBJECT))
        return fail(c, "", "a model is a JSON object", NULL);
    static const char *const model_keys[] = { "cdp_model", "trained", "prior", "matches_per_record",
                                              "threshold", "max_block", "max_pairs_per_record",
                                              "blocking", "training_blocking", "comparisons", NULL };
    if (check_keys(root, model_keys, "", c))
        return -1;
    jv version = get(root, "cdp_model");
    bool vok = is_kind(version, JV_KIND_NUMBER) && jv_number_value(version) == 1;
    jv_free(version);
    if (!vok)
        return fail(c, "", "not a cdp model (\"cdp_model\": 1 is missing)", NULL);
    jv prior = get(root, "prior"), thr = get(root, "threshold"), mb = get(root, "max_block"),
       trained = get(root, "trained"), mpr = get(root, "matches_per_record");
    m->matches_per_record = is_kind(mpr, JV_KIND_NUMBER) ? jv_number_value(mpr) : 0;
    bool bad_mpr = is_kind(mpr, JV_KIND_NUMBER) ? !(m->matches_per_record > 0) : !is_kind(mpr, JV_KIND_INVALID) && !is_kind(mpr, JV_KIND_NULL);
    jv_free(mpr);
    if (bad_mpr)
        return fail(c, "matches_per_record", "must be a number above 0", NULL);
    m->prior = is_kind(prior, JV_KIND_NUMBER) ? jv_number_value(prior) : 1e-4;
    m->threshold = is_kind(thr, JV_KIND_NUMBER) ? jv_number_value(thr) : 0.99;
    /* Range-checked below before the conversion: a double beyond size_t
     * does not convert (found by the fuzz campaign: 1.8e23). */
    double mb_value = is_kind(mb, JV_KIND_NUMBER) ? jv_number_value(mb) : 1000;
    m->max_block = mb_value >= 2 && mb_value <= 1e9 ? (size_t)mb_value : 0;
    jv mpp = get(root, "max_pairs_per_record");
    m->max_pairs_per_record = is_kind(mpp, JV_KIND_NUMBER) ? jv_number_value(mpp) : 10;
    bool bad_mpp = is_kind(mpp, JV_KIND_NUMBER) && !(jv_number_value(mpp) > 0);
    jv_free(mpp);
    if (bad_mpp) {
        jv_free(prior);
        jv_free(thr);
        jv_free(mb);
        jv_free(trained);
        return fail(c, "max_pairs_per_record", "must be a number above 0", NULL);
    }
    m->trained = is_kind(trained, JV_KIND_TRUE);
    const char *wrong = !is_kind(prior, JV_KIND_NUMBER) && !is_kind(prior, JV_KIND_INVALID) ? "prior"
                      : !is_kind(thr, JV_KIND_NUMBER) && !is_kind(thr, JV_KIND_INVALID) ? "threshold"
                      : !is_kind(mb, JV_KIND_NUMBER) && !is_kind(mb, JV_KIND_INVALID) ? "max_block"
                      : !is_kind(trained, JV_KIND_TRUE) && !is_kind(trained, JV_KIND_FALSE) &&
                                !is_kind(trained, JV_KIND_INVALID)
                          ? "trained"
                          : NULL;
    if (wrong) {
        jv_free(prior);
        jv_free(thr);
        jv_free(mb);
        jv_free(trained);
        return fail(c, wrong, "has the wrong type", NULL);
    }
    bool bad_prior = !(m->prior > 0 && m->prior < 1), bad_thr = !(m->threshold > 0 && m->threshold < 1),
         bad_mb = !(mb_value >= 2 && mb_value <= 1e9);
    jv_free(prior);
    jv_free(thr);
    jv_free(mb);
    jv_free(trained);
    if (bad_prior)
        return fail(c, "prior", "must be a probability between 0 and 1", NULL);
    if (bad_thr)
        return fail(c, "threshold", "must be a probability between 0 and 1", NULL);
    if (bad_mb)
        return fail(c, "max_block", "must be a number from 2 to 1e9", NULL);
    jv comps = get(root, "comparisons");
    int r = 0;
    if (!is_kind(comps, JV_KIND_ARRAY) || jv_array_length(jv_copy(comps)) == 0 ||
        jv_array_length(jv_copy(comps)) > CDP_FS_MAX_COMPARISONS) {
        r = fail(c, "comparisons", "must be an array of 1 to 24 comparisons", NULL);
    } else {
        int n = jv_array_length(jv_copy(comps));
        for (int i = 0; i < n && r == 0; i++) {
            char w[64];
            snprintf(w, sizeof w, "comparisons[%d]", i);
            jv cv = jv_array_get(jv_copy(comps), i);
            r = parse_comparison(m, cv, w, c);
            jv_free(cv);
        }
    }
    jv_free(comps);
    if (r)
        return r;
    r = parse_rules(m, root, "blocking", m->rules, &m->nrules, true, c);
    if (r == 0)
        r = parse_rules(m, root, "training_blocking", m->train_rules, &m->ntrain_rules, false, c);
    return r;
}

struct cdp_fsmodel *cdp_fsmodel_parse(const char *text, size_t len, const char *origin,
                                      struct cdp_error *err)
{
    struct ctx c = { origin, err };
    jv root = jv_parse_sized(text, (int)len);
    if (!jv_is_valid(root)) {
        jv msg = jv_invalid_get_msg(root);
        fail(&c, "", "invalid JSON: %s", is_kind(msg, JV_KIND_STRING) ? jv_string_value(msg) : "");
        jv_free(msg);
        return NULL;
    }
    struct cdp_fsmodel *m = cdp_xcalloc(1, sizeof *m);
    int r = parse_model(m, root, &c);
    jv_free(root);
    if (r) {
        cdp_fsmodel_free(m);
        return NULL;
    }
    return m;
}

struct cdp_fsmodel *cdp_fsmodel_load(const char *path, struct cdp_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        cdp_errorf_errno(err, errno, "cannot open model '%s'", path);
        return NULL;
    }
    struct cdp_buf b = CDP_BUF_INIT;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        cdp_buf_add(&b, chunk, n);
    bool failed = ferror(f);
    fclose(f);
    struct cdp_fsmodel *m = NULL;
    if (failed)
        cdp_errorf(err, "cannot read model '%s'", path);
    else
        m = cdp_fsmodel_parse(b.data ? b.data : "", b.len, path, err);
    cdp_buf_release(&b);
    return m;
}

void cdp_fsmodel_free(struct cdp_fsmodel *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->ncomps; i++)
        free(m->comps[i].name);
    for (int i = 0; i < m->nfields; i++)
        free(m->fields[i]);
    free(m);
}

static void add_num(struct cdp_buf *b, double v)
{
    char s[40];
    snprintf(s, sizeof s, "%.6g", v);
    cdp_buf_adds(b, s);
}

static void write_rules(struct cdp_buf *b, const char *key, const struct cdp_fs_rule *rules, int n)
{
    cdp_buf_printf(b, ",\n  \"%s\": [", key);
    for (int r = 0; r < n; r++) {
        cdp_buf_adds(b, r ? ",\n    [" : "\n    [");
        char text[128];
        snprintf(text, sizeof text, "%s", rules[r].text);
        int j = 0;
        for (char *save = NULL, *p = strtok_r(text, "+", &save); p; p = strtok_r(NULL, "+", &save)) {
            if (j++)
                cdp_buf_adds(b, ", ");
            cdp_json_add_string(b, p, strlen(p));
        }
        cdp_buf_addc(b, ']');
    }
    cdp_buf_adds(b, "\n  ]");
}

void cdp_fsmodel_write(const struct cdp_fsmodel *m, struct cdp_buf *b)
{
    cdp_buf_adds(b, "{\n  \"cdp_model\": 1,\n  \"trained\": ");
    cdp_buf_adds(b, m->trained ? "true" : "false");
    cdp_buf_adds(b, ",\n  \"prior\": ");
    add_num(b, m->prior);
    if (m->matches_per_record > 0 && !m->trained) {
        cdp_buf_adds(b, ",\n  \"matches_per_record\": ");
        add_num(b, m->matches_per_record);
    }
    cdp_buf_adds(b, ",\n  \"threshold\": ");
    add_num(b, m->threshold);
    cdp_buf_printf(b, ",\n  \"max_block\": %zu,\n  \"max_pairs_per_record\": ", m->max_block);
    add_num(b, m->max_pairs_per_record);
    write_rules(b, "blocking", m->rules, m->nrules);
    if (m->ntrain_rules)
        write_rules(b, "training_blocking", m->train_rules, m->ntrain_rules);
    cdp_buf_adds(b, ",\n  \"comparisons\": [");
    for (int i = 0; i < m->ncomps; i++) {
        const struct cdp_fs_comparison *c = &m->comps[i];
        cdp_buf_adds(b, i ? ",\n    {\"name\": " : "\n    {\"name\": ");
        cdp_json_add_string(b, c->name, strlen(c->name));
        cdp_buf_adds(b, ", \"field\": ");
        cdp_json_add_string(b, m->fields[c->field], strlen(m->fields[c->field]));
        cdp_buf_printf(b, ", \"type\": \"%s\", \"levels\": [", type_names[c->type]);
        for (int l = 0; l < c->nlevels; l++) {
            const struct cdp_fs_level *lv = &c->levels[l];
            cdp_buf_printf(b, "%s\n      {\"when\": \"%s\"", l ? "," : "", when_names[lv->when]);
            if (lv->when == CDP_FS_JARO_WINKLER) {
                cdp_buf_adds(b, ", \"min\": ");
                add_num(b, lv->param);
            } else if (lv->when == CDP_FS_LEVENSHTEIN || lv->when == CDP_FS_DAMERAU ||
                       lv->when == CDP_FS_DAYS || lv->when == CDP_FS_WITHIN ||
                       lv->when == CDP_FS_WITHIN_PCT) {
                cdp_buf_adds(b, ", \"max\": ");
                add_num(b, lv->param);
            }
            if (lv->when == CDP_FS_SWAPPED) {
                if (lv->param > 0) {
                    cdp_buf_adds(b, ", \"min\": ");
                    add_num(b, lv->param);
                }
                cdp_buf_adds(b, ", \"with\": ");
                cdp_json_add_string(b, m->fields[lv->with], strlen(m->fields[lv->with]));
            }
            if (lv->tf)
                cdp_buf_adds(b, ", \"tf\": true");
            if (lv->same_digits)
                cdp_buf_adds(b, ", \"same_digits\": true");
            cdp_buf_adds(b, ", \"m\": ");
            add_num(b, lv->m);
            cdp_buf_adds(b, ", \"u\": ");
            add_num(b, lv->u);
            cdp_buf_addc(b, '}');
        }
        cdp_buf_adds(b, "\n    ]}");
    }
    cdp_buf_adds(b, "\n  ]\n}\n");
}

int cdp_fsmodel_save(const struct cdp_fsmodel *m, const char *path, struct cdp_error *err)
{
    struct cdp_output_options oo = { 0 };
    struct cdp_output *o = cdp_output_open(path, &oo, err);
    if (!o)
        return -1;
    cdp_fsmodel_write(m, cdp_output_buffer(o));
    return cdp_output_commit(o, err);
}

double cdp_fsmodel_prior_for(const struct cdp_fsmodel *m, size_t n)
{
    if (m->trained || m->matches_per_record <= 0 || n < 2)
        return m->prior;
    double p = m->matches_per_record / (double)(n - 1);
    return p < 0.5 ? p : 0.5;
}

double cdp_fs_weight_of(double probability)
{
    return log2(probability / (1 - probability));
}

/* ---- the table ------------------------------------------------------------ */

struct vinfo {
    uint32_t key;    /* names: id of the transliteration key; else the value id */
    uint32_t cp_off; /* code points of the compared form */
    uint32_t cp_len;
    uint32_t count;  /* records with the value */
    double num;      /* dates: day number; numbers: the value */
    int16_t year;    /* dates */
    int8_t month, day;
    char sdx[5];
    uint8_t kind;    /* phones (fields with a fixed_and_mobile level): enum kind */
};

/* What a phone number is, as far as fixed_and_mobile cares: a number that
 * could be either (libphonenumber's FIXED_LINE_OR_MOBILE, as in the US) or
 * of another type says nothing. */
enum kind { KIND_OTHER, KIND_FIXED, KIND_MOBILE };

struct tfield {
    enum cdp_fs_type type;
    struct cdp_intern *vals;
    struct cdp_intern *keys;
    struct vinfo *info;
    size_t ninfo, info_cap;
    uint32_t *rows;
    uint32_t *cp;
    size_t ncp, cp_cap;
    uint64_t nonnull;
    bool kinds; /* a comparison of the field has a fixed_and_mobile level */
};

struct cdp_fstable {
    const struct cdp_fsmodel *m;
    struct tfield f[CDP_FS_MAX_COMPARISONS * 2];
    size_t nrows, rows_cap;
    struct cdp_buf tmp, tmp2;
    struct cdp_phone_normalizer *phones; /* the kinds of phone numbers; NULL: none needed */
    bool (*skip)(void *ctx, const char *s, size_t len);
    void *skip_ctx;
};

void cdp_fstable_set_skip(struct cdp_fstable *t, bool (*skip)(void *ctx, const char *s, size_t len),
                          void *ctx)
{
    t->skip = skip;
    t->skip_ctx = ctx;
}

struct cdp_fstable *cdp_fstable_new(const struct cdp_fsmodel *m)
{
    struct cdp_fstable *t = cdp_xcalloc(1, sizeof *t);
    t->m = m;
    for (int i = 0; i < m->nfields; i++) {
        t->f[i].type = m->field_types[i];
        t->f[i].vals = cdp_intern_new();
        t->f[i].keys = cdp_intern_new();
    }
    for (int c = 0; c < m->ncomps; c++)
        for (int l = 0; l < m->comps[c].nlevels; l++)
            if (m->comps[c].levels[l].when == CDP_FS_FIXED_MOBILE)
                t->f[m->comps[c].field].kinds = true;
    for (int i = 0; i < m->nfields && !t->phones; i++)
        if (t->f[i].kinds) {
            /* the values are E.164 (cdp-ingest writes phones so): the
             * region is only for numbers without a country code; without
             * the metadata no number has a kind, and the level never holds */
            char why[256];
            t->phones = cdp_phone_normalizer_new("RU", why, sizeof why);
        }
    return t;
}

void cdp_fstable_free(struct cdp_fstable *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->m->nfields; i++) {
        cdp_intern_free(t->f[i].vals);
        cdp_intern_free(t->f[i].keys);
        free(t->f[i].info);
        free(t->f[i].rows);
        free(t->f[i].cp);
    }
    cdp_buf_release(&t->tmp);
    cdp_buf_release(&t->tmp2);
    if (t->phones)
        cdp_phone_normalizer_free(t->phones);
    free(t);
}

/* A date as days since 1970: "YYYY-MM-DD" (what cdp-ingest writes) or
 * "YYYYMMDD"; NAN when it is not one. */
static double day_number(const char *s, size_t len)
{
    int y, mo, d;
    if (len == 10 && s[4] == '-' && s[7] == '-' && sscanf(s, "%4d-%2d-%2d", &y, &mo, &d) == 3) {
    } else if (len == 8 && sscanf(s, "%4d%2d%2d", &y, &mo, &d) == 3) {
    } else {
        return NAN;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31)
        return NAN;
    return (double)cdp_days_from_civil(y, mo, d);
}

static uint32_t add_value(struct cdp_fstable *t, struct tfield *f, const char *s, size_t len)
{
    /* The compared form: names folded, the rest as given. */
    const char *form = s;
    size_t flen = len;
    if (f->type == CDP_FS_NAME) {
        cdp_buf_reset(&t->tmp);
        cdp_name_fold(&t->tmp, s, len);
        form = t->tmp.data ? t->tmp.data : "";
        flen = t->tmp.len;
        if (!flen)
            return CDP_FS_NONE;
    }
    int added = 0;
    uint32_t id = cdp_intern_add(f->vals, form, flen, &added);
    if (added) {
        if (f->ninfo == f->info_cap) {
            f->info_cap = f->info_cap ? f->info_cap * 2 : 1024;
            f->info = cdp_xrealloc(f->info, f->info_cap * sizeof *f->info);
        }
        struct vinfo *v = &f->info[f->ninfo++];
        memset(v, 0, sizeof *v);
        v->key = id;
        v->num = NAN;
        if (f->type == CDP_FS_NAME) {
            cdp_buf_reset(&t->tmp2);
            cdp_name_key(&t->tmp2, s, len);
            v->key = cdp_intern_add(f->keys, t->tmp2.data ? t->tmp2.data : "", t->tmp2.len, NULL);
            cdp_soundex(v->sdx, form, flen);
        } else if (f->type == CDP_FS_DATE) {
            v->num = day_number(form, flen);
            if (!isnan(v->num)) {
                int y, mo, d;
                cdp_civil_from_days((int64_t)v->num, &y, &mo, &d);
                v->year = (int16_t)y;
                v->month = (int8_t)mo;
                v->day = (int8_t)d;
            }
        } else if (f->kinds && t->phones) {
            char e164[CDP_PHONE_E164_MAX];
            enum cdp_phone_type type;
            if (cdp_phone_normalize(t->phones, form, flen, e164, &type))
                v->kind = type == CDP_PHONE_FIXED_LINE ? KIND_FIXED : type == CDP_PHONE_MOBILE ? KIND_MOBILE : KIND_OTHER;
        } else if (f->type == CDP_FS_NUMBER) {
            char num[64];
            size_t n = flen < sizeof num - 1 ? flen : sizeof num - 1;
            memcpy(num, form, n);
            num[n] = '\0';
            char *end;
            double x = strtod(num, &end);
            v->num = end != num ? x : NAN;
        }
        uint32_t cps[CDP_STRDIST_MAX];
        size_t ncp = cdp_utf8_codepoints(form, flen, cps, CDP_STRDIST_MAX);
        if (f->ncp + ncp > f->cp_cap) {
            while (f->ncp + ncp > f->cp_cap)
                f->cp_cap = f->cp_cap ? f->cp_cap * 2 : 4096;
            f->cp = cdp_xrealloc(f->cp, f->cp_cap * sizeof *f->cp);
        }
        memcpy(f->cp + f->ncp, cps, ncp * sizeof *cps);
        v->cp_off = (uint32_t)f->ncp;
        v->cp_len = (uint32_t)ncp;
        f->ncp += ncp;
    }
    f->info[id].count++;
    f->nonnull++;
    return id;
}

uint32_t cdp_fstable_add(struct cdp_fstable *t, const char *const *vals, const size_t *lens)
{
    if (t->nrows == t->rows_cap) {
        t->rows_cap = t->rows_cap ? t->rows_cap * 2 : 4096;
        for (int i = 0; i < t->m->nfields; i++)
            t->f[i].rows = cdp_xrealloc(t->f[i].rows, t->rows_cap * sizeof *t->f[i].rows);
    }
    for (int i = 0; i < t->m->nfields; i++) {
        const char *s = vals[i];
        size_t len = lens[i];
        if (s)
            cdp_text_trim(&s, &len);
        if (s && len && t->skip && t->skip(t->skip_ctx, s, len))
            s = NULL;
        t->f[i].rows[t->nrows] = s && len ? add_value(t, &t->f[i], s, len) : CDP_FS_NONE;
    }
    return (uint32_t)t->nrows++;
}

size_t cdp_fstable_rows(const struct cdp_fstable *t)
{
    return t->nrows;
}

uint32_t cdp_fstable_value(const struct cdp_fstable *t, int field, uint32_t row)
{
    return t->f[field].rows[row];
}

const char *cdp_fstable_text(const struct cdp_fstable *t, int field, uint32_t value)
{
    return value == CDP_FS_NONE ? NULL : cdp_intern_str(t->f[field].vals, value, NULL);
}

bool cdp_fstable_part(const struct cdp_fstable *t, const struct cdp_fs_part *p, uint32_t row,
                      struct cdp_buf *out)
{
    const struct tfield *f = &t->f[p->field];
    uint32_t v = f->rows[row];
    if (v == CDP_FS_NONE)
        return false;
    const struct vinfo *vi = &f->info[v];
    size_t len;
    const char *s = cdp_intern_str(f->vals, v, &len);
    switch (p->t) {
    case CDP_FS_T_VALUE:
        cdp_buf_add(out, s, len);
        return true;
    case CDP_FS_T_KEY: {
        size_t kl;
        const char *k = cdp_intern_str(f->keys, vi->key, &kl);
        if (!kl)
            return false;
        cdp_buf_add(out, k, kl);
        return true;
    }
    case CDP_FS_T_INITIAL: {
        /* the first code point of the folded name */
        size_t n = 1;
        while (n < len && (s[n] & 0xC0) == 0x80)
            n++;
        cdp_buf_add(out, s, n);
        return true;
    }
    case CDP_FS_T_SOUNDEX:
        if (!vi->sdx[0])
            return false;
        cdp_buf_adds(out, vi->sdx);
        return true;
    case CDP_FS_T_YEAR:
        if (isnan(vi->num))
            return false;
        {
            int y, mo, d;
            cdp_civil_from_days((int64_t)vi->num, &y, &mo, &d);
            cdp_buf_printf(out, "%d", y);
        }
        return true;
    case CDP_FS_T_LAST:
        if (len < (size_t)p->n)
            return false;
        cdp_buf_add(out, s + len - (size_t)p->n, (size_t)p->n);
        return true;
    }
    return false;
}

/* ---- comparing ------------------------------------------------------------ */

static bool day_month_swapped(const struct vinfo *a, const struct vinfo *b)
{
    if (isnan(a->num) || isnan(b->num))
        return false;
    return a->year == b->year && a->month == b->day && a->day == b->month && a->month != a->day;
}

/* Whether two code point strings are at most one edit apart, a swap of two
 * neighbours counting one (Damerau distance <= 1), in one pass. */
static bool within_one_edit(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
    if (na < nb)
        return within_one_edit(b, nb, a, na);
    if (na - nb > 1)
        return false;
    size_t i = 0;
    while (i < nb && a[i] == b[i])
        i++;
    if (i == nb)
        return true; /* equal, or one more at the end */
    if (na == nb) {
        /* one substitution, or a transposition of i and i + 1 */
        if (memcmp(a + i + 1, b + i + 1, (na - i - 1) * sizeof *a) == 0)
            return true;
        return i + 1 < na && a[i] == b[i + 1] && a[i + 1] == b[i] &&
               memcmp(a + i + 2, b + i + 2, (na - i - 2) * sizeof *a) == 0;
    }
    /* one deletion from a at i */
    return memcmp(a + i + 1, b + i, (nb - i) * sizeof *a) == 0;
}

/* What a comparison computed for one pair, so that levels sharing a measure
 * (two Jaro-Winkler thresholds) compute it once. */
struct measures {
    double jw;
    unsigned lev, dam;
    bool have_jw, have_lev, have_dam;
};

/* The length of a value up to its '@', if any: the digits of an e-mail
 * address that tell people apart are in its local part (a typo in the
 * domain, miller-t2orres.org, says nothing about who it is). */
static size_t before_at(const uint32_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '@')
            return i;
    return n;
}

/* Whether two strings of code points hold the same digits in the same
 * order, in an e-mail address before the '@' (ivan.petrov84 and
 * ivan.petorv84 do; ivan.petrov84 and ivan.petrov91 do not, nor do
 * ivan.petrov and ivan.petrov84). */
static bool same_digits(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
    na = before_at(a, na), nb = before_at(b, nb);
    size_t i = 0, j = 0;
    for (;;) {
        while (i < na && (a[i] < '0' || a[i] > '9'))
            i++;
        while (j < nb && (b[j] < '0' || b[j] > '9'))
            j++;
        if (i == na || j == nb)
            return i == na && j == nb;
        if (a[i++] != b[j++])
            return false;
    }
}

static bool level_holds(const struct cdp_fsmodel *m, const struct cdp_fstable *t,
                        const struct cdp_fs_comparison *c, const struct cdp_fs_level *l, uint32_t a,
                        uint32_t b, uint32_t va, uint32_t vb, struct measures *ms)
{
    const struct tfield *f = &t->f[c->field];
    const struct vinfo *ia = &f->info[va], *ib = &f->info[vb];
    const uint32_t *ca = f->cp + ia->cp_off, *cb = f->cp + ib->cp_off;
    if (l->same_digits && !same_digits(ca, ia->cp_len, cb, ib->cp_len))
        return false;
    switch (l->when) {
    case CDP_FS_EXACT:
        return va == vb;
    case CDP_FS_TRANSLIT:
        return ia->key == ib->key;
    case CDP_FS_SWAPPED: {
        const struct tfield *g = &t->f[l->with];
        uint32_t wa = g->rows[a], wb = g->rows[b];
        if (wa == CDP_FS_NONE || wb == CDP_FS_NONE || g->type != CDP_FS_NAME || f->keys == NULL)
            return false;
        /* this field of a against the other field of b, and back; keys are
         * per field, so compare the folded texts' keys by string */
        (void)m;
        if (va == vb && wa == wb)
            return false; /* the same name twice is not a swap */
        if (l->param > 0) {
            const struct vinfo *gwa = &g->info[wa], *gwb = &g->info[wb];
            return cdp_jaro_winkler_cp(ca, ia->cp_len, g->cp + gwb->cp_off, gwb->cp_len) >= l->param &&
                   cdp_jaro_winkler_cp(cb, ib->cp_len, g->cp + gwa->cp_off, gwa->cp_len) >= l->param;
        }
        size_t l1, l2, l3, l4;
        const char *ka = cdp_intern_str(f->keys, ia->key, &l1);
        const char *gb = cdp_intern_str(g->keys, g->info[wb].key, &l2);
        const char *kb = cdp_intern_str(f->keys, ib->key, &l3);
        const char *ga = cdp_intern_str(g->keys, g->info[wa].key, &l4);
        return l1 == l2 && l3 == l4 && memcmp(ka, gb, l1) == 0 && memcmp(kb, ga, l3) == 0 &&
               !(l1 == l3 && memcmp(ka, kb, l1) == 0);
    }
    case CDP_FS_JARO_WINKLER:
        if (!ms->have_jw) {
            ms->jw = cdp_jaro_winkler_cp(ca, ia->cp_len, cb, ib->cp_len);
            ms->have_jw = true;
        }
        return ms->jw >= l->param;
    case CDP_FS_LEVENSHTEIN: {
        /* the length difference alone is a lower bound */
        double diff = fabs((double)ia->cp_len - (double)ib->cp_len);
        if (diff > l->param)
            return false;
        if (!ms->have_lev) {
            ms->lev = cdp_levenshtein_cp(ca, ia->cp_len, cb, ib->cp_len);
            ms->have_lev = true;
        }
        return ms->lev <= l->param;
    }
    case CDP_FS_DAMERAU: {
        double diff = fabs((double)ia->cp_len - (double)ib->cp_len);
        if (diff > l->param)
            return false;
        if (l->param < 2 && !ms->have_dam)
            return l->param >= 1 ? within_one_edit(ca, ia->cp_len, cb, ib->cp_len) : va == vb;
        if (!ms->have_dam) {
            ms->dam = cdp_damerau_cp(ca, ia->cp_len, cb, ib->cp_len);
            ms->have_dam = true;
        }
        return ms->dam <= l->param;
    }
    case CDP_FS_DAYS:
        return !isnan(ia->num) && !isnan(ib->num) && fabs(ia->num - ib->num) <= l->param;
    case CDP_FS_DAY_MONTH:
        return day_month_swapped(ia, ib);
    case CDP_FS_WITHIN:
        return !isnan(ia->num) && !isnan(ib->num) && fabs(ia->num - ib->num) <= l->param;
    case CDP_FS_WITHIN_PCT: {
        double big = fmax(fabs(ia->num), fabs(ib->num));
        return !isnan(ia->num) && !isnan(ib->num) && fabs(ia->num - ib->num) <= l->param / 100 * big;
    }
    case CDP_FS_FIXED_MOBILE:
        return ia->kind != KIND_OTHER && ib->kind != KIND_OTHER && ia->kind != ib->kind;
    case CDP_FS_ELSE:
        return true;
    }
    return false;
}

int cdp_fs_level(const struct cdp_fsmodel *m, const struct cdp_fstable *t, int c, uint32_t a,
                 uint32_t b)
{
    return cdp_fs_level_if(m, t, c, a, b, NULL, 0);
}

int cdp_fs_level_if(const struct cdp_fsmodel *m, const struct cdp_fstable *t, int c, uint32_t a,
                    uint32_t b, const double *best_from, double need)
{
    const struct cdp_fs_comparison *cmp = &m->comps[c];
    const struct tfield *f = &t->f[cmp->field];
    uint32_t va = f->rows[a], vb = f->rows[b];
    if (va == CDP_FS_NONE || vb == CDP_FS_NONE)
        return CDP_FS_NULL_LEVEL;
    struct measures ms = { 0, 0, 0, false, false, false };
    for (int l = 0; l < cmp->nlevels; l++) {
        if (best_from && best_from[l] < need)
            return CDP_FS_NO_LEVEL;
        if (level_holds(m, t, cmp, &cmp->levels[l], a, b, va, vb, &ms))
            return l;
    }
    return cmp->nlevels - 1;
}

double cdp_fs_bayes(const struct cdp_fsmodel *m, const struct cdp_fstable *t, int c, int l,
                    uint32_t a, uint32_t b)
{
    (void)b;
    if (l == CDP_FS_NULL_LEVEL)
        return 0;
    const struct cdp_fs_comparison *cmp = &m->comps[c];
    const struct cdp_fs_level *lv = &cmp->levels[l];
    double u = lv->u;
    if (lv->tf) {
        const struct tfield *f = &t->f[cmp->field];
        uint32_t v = f->rows[a];
        if (v != CDP_FS_NONE && f->nonnull) {
            /* the chance that two random records share this very value */
            double tf = (double)f->info[v].count / (double)f->nonnull;
            double floor_tf = 1.0 / (double)f->nonnull;
            u = tf > floor_tf ? tf : floor_tf;
        }
    }
    return log2(lv->m / u);
}

double cdp_fs_weight(const struct cdp_fsmodel *m, const struct cdp_fstable *t, uint32_t a,
                     uint32_t b, uint8_t *levels)
{
    double w = log2(m->prior / (1 - m->prior));
    for (int c = 0; c < m->ncomps; c++) {
        int l = cdp_fs_level(m, t, c, a, b);
        if (levels)
            levels[c] = (uint8_t)l;
        w += cdp_fs_bayes(m, t, c, l, a, b);
    }
    return w;
}

/* A compared value in the explanation: as read, or masked as logs show
 * it. */
static void add_shown(struct cdp_buf *out, const char *field, const char *s, bool clear)
{
    if (!s) {
        cdp_buf_adds(out, "null");
        return;
    }
    if (clear) {
        cdp_json_add_string(out, s, strlen(s));
        return;
    }
    struct cdp_buf shown = CDP_BUF_INIT;
    cdp_show_value(&shown, s, strlen(s), cdp_show_kind_of(field), false);
    cdp_json_add_string(out, shown.data, shown.len);
    cdp_buf_release(&shown);
}

void cdp_fs_explain(const struct cdp_fsmodel *m, const struct cdp_fstable *t, uint32_t a,
                    uint32_t b, bool clear, struct cdp_buf *out)
{
    double prior = log2(m->prior / (1 - m->prior));
    double w = cdp_fs_weight(m, t, a, b, NULL);
    cdp_buf_adds(out, "{\"weight\":");
    add_num(out, w);
    cdp_buf_adds(out, ",\"probability\":");
    add_num(out, cdp_fs_probability(w));
    cdp_buf_adds(out, ",\"prior\":");
    add_num(out, prior);
    cdp_buf_adds(out, ",\"comparisons\":[");
    for (int c = 0; c < m->ncomps; c++) {
        const struct cdp_fs_comparison *cmp = &m->comps[c];
        int l = cdp_fs_level(m, t, c, a, b);
        if (c)
            cdp_buf_addc(out, ',');
        cdp_buf_adds(out, "{\"name\":");
        cdp_json_add_string(out, cmp->name, strlen(cmp->name));
        cdp_buf_adds(out, ",\"level\":");
        if (l == CDP_FS_NULL_LEVEL)
            cdp_buf_adds(out, "\"null\"");
        else
            cdp_json_add_string(out, cmp->levels[l].label, strlen(cmp->levels[l].label));
        const char *sa = cdp_fstable_text(t, cmp->field, t->f[cmp->field].rows[a]);
        const char *sb = cdp_fstable_text(t, cmp->field, t->f[cmp->field].rows[b]);
        cdp_buf_adds(out, ",\"a\":");
        add_shown(out, m->fields[cmp->field], sa, clear);
        cdp_buf_adds(out, ",\"b\":");
        add_shown(out, m->fields[cmp->field], sb, clear);
        cdp_buf_adds(out, ",\"weight\":");
        add_num(out, cdp_fs_bayes(m, t, c, l, a, b));
        if (l != CDP_FS_NULL_LEVEL && cmp->levels[l].tf)
            cdp_buf_adds(out, ",\"tf\":true");
        cdp_buf_addc(out, '}');
    }
    cdp_buf_adds(out, "]}");
}

void cdp_fsmodel_extract(const struct cdp_fsmodel *m, const struct cdp_record *rec,
                         struct cdp_json_parser *json, struct cdp_record *scratch,
                         struct cdp_buf *pad, struct cdp_buf *out)
{
    bool attrs_parsed = false, attrs_ok = false;
    for (int i = 0; i < m->nfields; i++) {
        const char *name = m->fields[i];
        const struct cdp_field *f = NULL;
        if (strncmp(name, "attrs.", 6) == 0) {
            if (!attrs_parsed) {
                attrs_parsed = true;
                const struct cdp_field *a = cdp_record_gets(rec, "attrs");
                cdp_record_clear(scratch);
                if (a && a->type == CDP_OBJECT) {
                    cdp_buf_reset(pad);
                    cdp_buf_add_padded(pad, a->val, a->vlen);
                    struct cdp_error why;
                    attrs_ok = cdp_json_parse_object(json, pad->data, pad->len, scratch, &why) == CDP_JSON_OK;
                }
            }
            if (attrs_ok)
                f = cdp_record_gets(scratch, name + 6);
        } else {
            f = cdp_record_gets(rec, name);
        }
        bool have = f && (f->type == CDP_STRING || f->type == CDP_NUMBER) && f->vlen;
        uint32_t len = have ? f->vlen : UINT32_MAX;
        cdp_buf_add(out, &len, sizeof len);
        if (have)
            cdp_buf_add(out, f->val, f->vlen);
    }
}

size_t cdp_fstable_add_packed(struct cdp_fstable *t, const char *packed, uint32_t *row)
{
    const char *vals[CDP_FS_MAX_COMPARISONS * 2];
    size_t lens[CDP_FS_MAX_COMPARISONS * 2];
    const char *p = packed;
    for (int i = 0; i < t->m->nfields; i++) {
        uint32_t len;
        memcpy(&len, p, sizeof len);
        p += sizeof len;
        if (len == UINT32_MAX) {
            vals[i] = NULL;
            lens[i] = 0;
        } else {
            vals[i] = p;
            lens[i] = len;
            p += len;
        }
    }
    *row = cdp_fstable_add(t, vals, lens);
    return (size_t)(p - packed);
}
