/* engine.c: cdp-segment's engine; see engine.h. */
#include "segment/engine.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/intern.h"
#include "io/json.h"
#include "io/shard.h"
#include "norm/date.h"
#include "rules/native.h"
#include "segment/figures.h"
#include "segment/membership.h"
#include "segment/population.h"

struct cdp_segment_engine {
    const struct cdp_ruleset *rules;
    struct cdp_jq_vars vars;
    double holdout;
    const char *salt;
    struct cdp_intern *names;    /* rule i is name i; the last run may add more */
    size_t *by_name;             /* rule indexes in byte order of name */
    struct cdp_population *pop;  /* NULL: one pass */
    const struct cdp_figures *figures; /* a sharded run's, or NULL */
    uint32_t shard, nshards;           /* a sharded run's shard; 0 shards: none */
    struct cdp_memberships *prev; /* NULL: no deltas */
    struct cdp_jq **checked;     /* compiled for the check, for the first worker */
    bool jq_only;
    struct cdp_native_env *native_env; /* the rules' variables, for native */
    struct cdp_native **native;  /* per rule: compiled natively, or NULL */
};

static int cmp_name_id(const void *a, const void *b, void *names)
{
    const char *x = cdp_intern_str(names, *(const uint32_t *)a, NULL);
    const char *y = cdp_intern_str(names, *(const uint32_t *)b, NULL);
    return strcmp(x, y);
}

static void sort_by_name(const struct cdp_intern *names, uint32_t *ids, size_t n)
{
    qsort_r(ids, n, sizeof *ids, cmp_name_id, (void *)names);
}

static void add_vars(struct cdp_segment_engine *e, const struct cdp_segment_options *opt)
{
    const struct cdp_ruleset *rs = opt->rules;
    struct cdp_error err;
    for (size_t i = 0; i < rs->params.n; i++)
        cdp_jq_vars_add(&e->vars, rs->params.v[i].name, rs->params.v[i].value, true, &err);
    char day[16], num[32];
    int y, mo, d;
    cdp_civil_from_days(opt->as_of_day, &y, &mo, &d);
    snprintf(day, sizeof day, "%04d-%02d-%02d", y, mo, d);
    snprintf(num, sizeof num, "%lld", (long long)opt->as_of_day);
    cdp_jq_vars_add(&e->vars, "as_of", day, false, &err);
    cdp_jq_vars_add(&e->vars, "as_of_day", num, true, &err);
    for (size_t i = 0; opt->args && i < opt->args->n; i++)
        cdp_jq_vars_add(&e->vars, opt->args->v[i].name, opt->args->v[i].value,
                        opt->args->v[i].is_json, &err);
}

/* Compiles rule r, or fills err as engine.h says. */
static struct cdp_jq *compile_rule(const struct cdp_rule *r, const struct cdp_jq_vars *vars,
                                   struct cdp_error *err)
{
    struct cdp_jq *q = cdp_jq_compile(r->program, vars, err);
    if (q) {
        char what[128];
        snprintf(what, sizeof what, "segment '%s'", r->name);
        cdp_jq_name(q, what);
    } else {
        char why[sizeof err->msg];
        memcpy(why, err->msg, sizeof why);
        cdp_errorf(err, "%s: segment %s: %s", r->origin, r->name, why);
    }
    return q;
}

/* The rules in the part of jq rules/native.h evaluates, compiled with vars
 * (again after the first pass, with $vip_threshold). */
static void compile_native(struct cdp_segment_engine *e, const struct cdp_jq_vars *vars)
{
    const struct cdp_ruleset *rs = e->rules;
    for (size_t r = 0; r < rs->n; r++) {
        cdp_native_free(e->native[r]);
        e->native[r] = NULL;
    }
    cdp_native_env_free(e->native_env);
    e->native_env = cdp_native_env_new(vars);
    for (size_t r = 0; r < rs->n && !e->jq_only; r++)
        e->native[r] = cdp_native_compile(e->native_env, rs->rules[r].program);
}

/* Every rule compiled once: $vip_threshold is known only after the first
 * pass, so a stand-in is bound for the check. Without a first pass the
 * programs are the ones a worker runs: kept for the first. A native rule
 * is valid jq, and libjq compiles it only if it is needed. */
static int check_rules(struct cdp_segment_engine *e, struct cdp_error *err)
{
    const struct cdp_ruleset *rs = e->rules;
    struct cdp_jq_vars early = CDP_JQ_VARS_INIT;
    for (size_t i = 0; i < e->vars.n; i++)
        cdp_jq_vars_add(&early, e->vars.v[i].name, e->vars.v[i].value, e->vars.v[i].is_json, err);
    if (rs->needs_population)
        cdp_jq_vars_add(&early, "vip_threshold", "0", true, err);
    compile_native(e, &early);
    int status = 0;
    for (size_t r = 0; r < rs->n && status == 0; r++) {
        if (e->native[r])
            continue;
        struct cdp_jq *q = compile_rule(&rs->rules[r], &early, err);
        if (!q)
            status = -1;
        else if (rs->needs_population)
            cdp_jq_free(q);
        else
            e->checked[r] = q;
    }
    cdp_jq_vars_release(&early);
    return status;
}

struct cdp_segment_engine *cdp_segment_engine_new(const struct cdp_segment_options *opt,
                                                  struct cdp_error *err)
{
    const struct cdp_ruleset *rs = opt->rules;
    struct cdp_segment_engine *e = cdp_xcalloc(1, sizeof *e);
    e->rules = rs;
    e->holdout = opt->holdout;
    e->salt = opt->salt;
    e->jq_only = opt->jq_only;
    e->native = cdp_xcalloc(rs->n + 1, sizeof *e->native);
    e->names = cdp_intern_new();
    for (size_t i = 0; i < rs->n; i++)
        cdp_intern_add(e->names, rs->rules[i].name, strlen(rs->rules[i].name), NULL);
    uint32_t *ids = cdp_xmalloc((rs->n + 1) * sizeof *ids);
    for (size_t i = 0; i < rs->n; i++)
        ids[i] = (uint32_t)i;
    sort_by_name(e->names, ids, rs->n);
    e->by_name = cdp_xmalloc((rs->n + 1) * sizeof *e->by_name);
    for (size_t i = 0; i < rs->n; i++)
        e->by_name[i] = ids[i];
    free(ids);
    add_vars(e, opt);
    e->checked = cdp_xcalloc(rs->n + 1, sizeof *e->checked);
    if (check_rules(e, err) < 0) {
        cdp_segment_engine_free(e);
        return NULL;
    }
    e->shard = opt->shard;
    e->nshards = opt->nshards;
    if (rs->needs_population && opt->figures) {
        e->figures = opt->figures;
        cdp_jq_vars_add(&e->vars, "vip_threshold", cdp_figures_vip_threshold(opt->figures), true, err);
        compile_native(e, &e->vars); /* as after a first pass */
    } else if (rs->needs_population) {
        e->pop = cdp_population_new();
    }
    return e;
}

static void free_programs(struct cdp_jq **q, size_t n)
{
    for (size_t r = 0; q && r < n; r++)
        cdp_jq_free(q[r]);
    free(q);
}

void cdp_segment_engine_free(struct cdp_segment_engine *e)
{
    if (!e)
        return;
    free_programs(e->checked, e->rules->n);
    for (size_t r = 0; r < e->rules->n; r++)
        cdp_native_free(e->native[r]);
    free(e->native);
    cdp_native_env_free(e->native_env);
    cdp_jq_vars_release(&e->vars);
    cdp_memberships_free(e->prev);
    cdp_population_free(e->pop);
    free(e->by_name);
    cdp_intern_free(e->names);
    free(e);
}

size_t cdp_segment_rule_count(const struct cdp_segment_engine *e)
{
    return e->rules->n;
}

const char *cdp_segment_rule_name(const struct cdp_segment_engine *e, size_t i)
{
    return e->rules->rules[i].name;
}

bool cdp_segment_rule_native(const struct cdp_segment_engine *e, size_t i)
{
    return e->native[i] != NULL;
}

/* ---- the first pass, and the last run ------------------------------------ */

bool cdp_segment_needs_population(const struct cdp_segment_engine *e)
{
    return e->pop != NULL;
}

int cdp_segment_population_read(struct cdp_segment_engine *e, const char *path,
                                const struct cdp_reader_options *ro, struct cdp_error *err)
{
    struct cdp_reader_options o = *ro;
    o.format = CDP_FORMAT_NDJSON;
    o.lines_only = true;
    struct cdp_reader *r = cdp_reader_open(path, &o, err);
    if (!r)
        return -1;
    struct cdp_json_parser *json = cdp_json_parser_new();
    struct cdp_record rec = CDP_RECORD_INIT;
    struct cdp_row row;
    enum cdp_read k;
    while ((k = cdp_reader_next(r, &rec, &row, err)) != CDP_READ_END && k != CDP_READ_ERROR) {
        double days = NAN, orders = NAN, revenue = 0, value = 0;
        bool buyer = false;
        /* the reader's lines are padded for simdjson (io/lines.h): no copy */
        if (k == CDP_READ_ROW)
            buyer = cdp_population_read_line(json, row.raw, row.rawlen, &days, &orders, &revenue, &value);
        cdp_population_add(e->pop, buyer, days, orders, revenue, value);
    }
    cdp_record_release(&rec);
    cdp_json_parser_free(json);
    cdp_reader_close(r);
    return k == CDP_READ_ERROR ? -1 : 0;
}

double cdp_segment_vip_percent(const struct cdp_segment_engine *e)
{
    double share = 10;
    for (size_t i = 0; i < e->vars.n; i++)
        if (strcmp(e->vars.v[i].name, "vip_percent") == 0)
            share = atof(e->vars.v[i].value);
    return share;
}

void cdp_segment_population_done(struct cdp_segment_engine *e)
{
    cdp_population_finish(e->pop);
    double t = cdp_population_top_threshold(e->pop, cdp_segment_vip_percent(e));
    char num[64];
    if (isinf(t))
        snprintf(num, sizeof num, "1e308");
    else
        snprintf(num, sizeof num, "%.17g", t);
    struct cdp_error err;
    cdp_jq_vars_add(&e->vars, "vip_threshold", num, true, &err);
    compile_native(e, &e->vars);
}

int cdp_segment_previous_read(struct cdp_segment_engine *e, const char *path,
                              const char *journal, struct cdp_error *err)
{
    e->prev = cdp_memberships_new(e->names);
    if (cdp_memberships_load(e->prev, path, err) < 0 ||
        (journal && cdp_memberships_follow(e->prev, journal, err) < 0))
        return -1;
    cdp_memberships_finish(e->prev);
    return 0;
}

/* ---- workers ------------------------------------------------------------- */

struct cdp_segment_worker {
    const struct cdp_segment_engine *e;
    struct cdp_json_parser *json;
    struct cdp_json_parser *numbers; /* with figures: a profile's numbers */
    struct cdp_record rec, clean;
    struct cdp_jq **q;             /* libjq's programs; a native rule's at its first need */
    struct cdp_native_run *native; /* the native rules' evaluation */
    bool compiled;
    bool *member;         /* per rule */
    struct cdp_buf rfm, segs, tmp;
    uint32_t *cur;        /* this profile's segments (held out or not), by name;
                             then room for those it entered */
};

static int compile_rules(struct cdp_segment_worker *w, struct cdp_error *err)
{
    const struct cdp_ruleset *rs = w->e->rules;
    for (size_t r = 0; r < rs->n; r++)
        if (!w->q[r] && !w->e->native[r] && !(w->q[r] = compile_rule(&rs->rules[r], &w->e->vars, err)))
            return -1;
    w->compiled = true;
    return 0;
}

struct cdp_segment_worker *cdp_segment_worker_new(struct cdp_segment_engine *e, bool compile_now,
                                                  struct cdp_error *err)
{
    size_t n = e->rules->n;
    struct cdp_segment_worker *w = cdp_xcalloc(1, sizeof *w);
    w->e = e;
    w->json = cdp_json_parser_new();
    w->rec = (struct cdp_record)CDP_RECORD_INIT;
    w->clean = (struct cdp_record)CDP_RECORD_INIT;
    w->member = cdp_xcalloc(n + 1, sizeof *w->member);
    w->cur = cdp_xcalloc(2 * n + 1, sizeof *w->cur);
    w->native = cdp_native_run_new(e->native_env);
    if (e->checked && !e->pop) {
        w->q = e->checked;
        e->checked = NULL;
    } else {
        w->q = cdp_xcalloc(n + 1, sizeof *w->q);
    }
    if (compile_now && compile_rules(w, err) < 0) {
        cdp_segment_worker_free(w);
        return NULL;
    }
    return w;
}

void cdp_segment_worker_free(struct cdp_segment_worker *w)
{
    if (!w)
        return;
    free_programs(w->q, w->e->rules->n);
    cdp_native_run_free(w->native);
    free(w->member);
    free(w->cur);
    cdp_json_parser_free(w->json);
    cdp_json_parser_free(w->numbers);
    cdp_record_release(&w->rec);
    cdp_record_release(&w->clean);
    cdp_buf_release(&w->rfm);
    cdp_buf_release(&w->segs);
    cdp_buf_release(&w->tmp);
    free(w);
}

/* ---- one profile --------------------------------------------------------- */

static void add_event(struct cdp_segment_batch *b, uint32_t name, enum cdp_segment_kind kind)
{
    if (b->nevents == b->events_cap) {
        b->events_cap = b->events_cap ? b->events_cap * 2 : 4096;
        b->events = cdp_xrealloc(b->events, b->events_cap * sizeof *b->events);
    }
    b->events[b->nevents++] = name << 2 | (uint32_t)kind;
}

static void add_message(struct cdp_segment_batch *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add_message(struct cdp_segment_batch *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cdp_buf_vprintf(&b->messages, fmt, ap);
    va_end(ap);
    cdp_buf_addc(&b->messages, '\0');
}

/* The members an earlier run added. Asked of every member of every
 * profile: by length first (a strlen per key here was a tenth of a run). */
static bool replaced_key(const struct cdp_field *f)
{
    switch (f->klen) {
    case 3: return memcmp(f->key, "rfm", 3) == 0;
    case 4: return memcmp(f->key, "gone", 4) == 0;
    case 6: return memcmp(f->key, "exited", 6) == 0;
    case 7: return memcmp(f->key, "holdout", 7) == 0 || memcmp(f->key, "entered", 7) == 0;
    case 8: return memcmp(f->key, "segments", 8) == 0;
    default: return false;
    }
}

static double number_of(const struct cdp_record *r, const char *key)
{
    const struct cdp_field *f = cdp_record_gets(r, key);
    if (!f || f->type != CDP_NUMBER)
        return NAN;
    char num[64];
    if (f->vlen >= sizeof num)
        return NAN;
    memcpy(num, f->val, f->vlen);
    num[f->vlen] = '\0';
    return strtod(num, NULL);
}

/* Parses the line into w->rec and finds its cdp_id; false (the line
 * rejected, with its code and reason) when it is not a profile. */
static bool parse_profile(struct cdp_segment_worker *w, struct cdp_segment_batch *b,
                          const struct cdp_batch_row *row, struct cdp_segment_result *res,
                          const struct cdp_field **id)
{
    struct cdp_error why;
    cdp_record_clear(&w->rec);
    enum cdp_json_status st = cdp_json_parse_object(w->json, row->raw, row->rawlen, &w->rec, &why);
    if (st != CDP_JSON_OK) {
        res->code = st == CDP_JSON_NOT_OBJECT ? "not_object"
                  : st == CDP_JSON_BAD_UTF8   ? "invalid_utf8"
                                              : "invalid_json";
        add_message(b, "%s", why.msg);
        return false;
    }
    *id = cdp_record_gets(&w->rec, "cdp_id");
    if (!*id || (*id)->type != CDP_STRING || !(*id)->vlen) {
        res->code = "no_cdp_id";
        add_message(b, "no cdp_id");
        return false;
    }
    return true;
}

/* What the rules see: the profile without what an earlier run added. Sets
 * *stale when there was any. */
static struct cdp_record *rules_input(struct cdp_segment_worker *w, bool *stale)
{
    *stale = false;
    for (size_t f = 0; f < w->rec.n; f++)
        *stale |= replaced_key(&w->rec.f[f]);
    if (!*stale)
        return &w->rec;
    cdp_record_clear(&w->clean);
    for (size_t f = 0; f < w->rec.n; f++)
        if (!replaced_key(&w->rec.f[f]))
            cdp_record_append(&w->clean, w->rec.f[f].key, w->rec.f[f].klen, w->rec.f[f].val,
                              w->rec.f[f].vlen, w->rec.f[f].type);
    return &w->clean;
}

/* The scores of a sharded run: by the figures, from the profile's own
 * numbers (read as the first pass reads them) and id. */
static bool rfm_by_figures(struct cdp_segment_worker *w, const struct cdp_batch_row *row,
                           const struct cdp_field *id, int *r, int *f, int *m)
{
    if (!w->numbers)
        w->numbers = cdp_json_parser_new();
    double days, orders, revenue, value;
    if (!cdp_population_read_line(w->numbers, row->raw, row->rawlen, &days, &orders, &revenue, &value))
        return false;
    return cdp_figures_rfm(w->e->figures, id->val, id->vlen, days, orders, revenue, r, f, m);
}

/* Population figures first, into w->rfm and the rules' input: the rules may
 * read .rfm. */
static void set_rfm(struct cdp_segment_worker *w, size_t pos, const struct cdp_batch_row *row,
                    const struct cdp_field *id, struct cdp_record *in)
{
    struct cdp_buf *rfm = &w->rfm;
    cdp_buf_reset(rfm);
    int r, f, m;
    if (w->e->figures ? !rfm_by_figures(w, row, id, &r, &f, &m)
                      : !w->e->pop || !cdp_population_rfm(w->e->pop, pos, &r, &f, &m))
        return;
    cdp_buf_printf(rfm, "{\"r\":%d,\"f\":%d,\"m\":%d,\"score\":\"%d%d%d\",\"segment\":", r, f, m, r,
                   f, m);
    const char *seg = cdp_rfm_segment(r, f);
    cdp_json_add_string(rfm, seg, strlen(seg));
    cdp_buf_addc(rfm, '}');
    cdp_record_set(in, "rfm", 3, rfm->data, rfm->len, CDP_OBJECT);
}

/* Rule ri in libjq: 1, 0, or -1 with why. A native rule's program is
 * compiled at its first need; it compiled as native, so it compiles. */
static int test_jq(struct cdp_segment_worker *w, size_t ri, const struct cdp_record *in,
                   struct cdp_error *why)
{
    const struct cdp_rule *rule = &w->e->rules->rules[ri];
    if (!w->q[ri] && !(w->q[ri] = compile_rule(rule, &w->e->vars, why)))
        return -1;
    return cdp_jq_test_record(w->q[ri], in, why);
}

/* The rules, each after those it reads with segment(), which sees the
 * segments decided so far. */
static void run_rules(struct cdp_segment_worker *w, struct cdp_segment_batch *b,
                      struct cdp_record *in, const struct cdp_field *id)
{
    const struct cdp_ruleset *rs = w->e->rules;
    struct cdp_error why;
    cdp_native_run_input(w->native, in);
    for (size_t k = 0; k < rs->n; k++) {
        size_t ri = rs->order[k];
        const struct cdp_rule *rule = &rs->rules[ri];
        if (rule->ndeps) {
            cdp_buf_reset(&w->segs);
            cdp_buf_addc(&w->segs, '[');
            bool first = true;
            for (size_t j = 0; j < k; j++)
                if (w->member[rs->order[j]]) {
                    if (!first)
                        cdp_buf_addc(&w->segs, ',');
                    first = false;
                    const char *nm = rs->rules[rs->order[j]].name;
                    cdp_json_add_string(&w->segs, nm, strlen(nm));
                }
            cdp_buf_addc(&w->segs, ']');
            cdp_record_set(in, "segments", 8, w->segs.data, w->segs.len, CDP_ARRAY);
            cdp_native_run_input(w->native, in);
        }
        const struct cdp_native *native = w->e->native[ri];
        int t = native ? cdp_native_test(native, w->native) : CDP_NATIVE_ASK_JQ;
        if (t == CDP_NATIVE_ASK_JQ) {
            b->rule_asked[ri] += native != NULL;
            t = test_jq(w, ri, in, &why);
        }
        if (t < 0) {
            b->rule_errors[ri]++;
            add_message(b, "cdp_id %.*s: segment %s: %s", (int)id->vlen, id->val, rule->name,
                        why.msg);
        }
        w->member[ri] = t > 0;
    }
}

/* The start of the output: the line as read up to its closing brace, or,
 * with stale members, rebuilt from the fields as read (not from the rules'
 * input, which has "rfm" and "segments" set); then rfm. */
static void write_profile(struct cdp_segment_worker *w, struct cdp_buf *out,
                          const struct cdp_batch_row *row, bool stale)
{
    const char *line = row->raw;
    if (!stale) {
        size_t n = row->rawlen;
        while (n && line[n - 1] != '}')
            n--;
        n--; /* the closing brace */
        cdp_buf_add(out, line, n);
        size_t t = n;
        while (t && (line[t - 1] == ' ' || line[t - 1] == '\t'))
            t--;
        if (line[t - 1] != '{')
            cdp_buf_addc(out, ',');
    } else {
        cdp_buf_addc(out, '{');
        bool first = true;
        for (size_t f = 0; f < w->rec.n; f++) {
            const struct cdp_field *fd = &w->rec.f[f];
            if (replaced_key(fd))
                continue;
            if (!first)
                cdp_buf_addc(out, ',');
            first = false;
            cdp_json_add_string(out, fd->key, fd->klen);
            cdp_buf_addc(out, ':');
            cdp_json_add_value(out, fd->val, fd->vlen, fd->type);
        }
        if (!first)
            cdp_buf_addc(out, ',');
    }
    if (w->rfm.len) {
        cdp_buf_adds(out, "\"rfm\":");
        cdp_buf_add(out, w->rfm.data, w->rfm.len);
        cdp_buf_addc(out, ',');
    }
}

/* The control group: a share of each segment, by a hash of the salt, the
 * segment's name and the person's id. */
static bool held_out(struct cdp_segment_worker *w, const char *name, const struct cdp_field *id)
{
    const struct cdp_segment_engine *e = w->e;
    if (e->holdout <= 0)
        return false;
    struct cdp_buf *tmp = &w->tmp;
    cdp_buf_reset(tmp);
    cdp_buf_adds(tmp, e->salt);
    cdp_buf_addc(tmp, '\0');
    cdp_buf_adds(tmp, name);
    cdp_buf_addc(tmp, '\0');
    cdp_buf_add(tmp, id->val, id->vlen);
    uint64_t h = cdp_intern_hash(tmp->data, tmp->len);
    double u = (double)(h >> 11) * 0x1.0p-53;
    return u * 100.0 < e->holdout;
}

static void add_rule_names(struct cdp_buf *out, const struct cdp_ruleset *rs, const uint32_t *ids,
                           size_t n, const bool *keep, bool want)
{
    size_t written = 0;
    for (size_t k = 0; k < n; k++) {
        if (keep[ids[k]] != want)
            continue;
        if (written++)
            cdp_buf_addc(out, ',');
        cdp_json_add_string(out, rs->rules[ids[k]].name, strlen(rs->rules[ids[k]].name));
    }
}

/* segments and holdout, by name; w->cur gets the segments the person is in
 * (held out or not). Returns how many. */
static size_t write_segments(struct cdp_segment_worker *w, struct cdp_segment_batch *b,
                             const struct cdp_field *id)
{
    const struct cdp_segment_engine *e = w->e;
    const struct cdp_ruleset *rs = e->rules;
    size_t ncur = 0;
    for (size_t k = 0; k < rs->n; k++) {
        size_t ri = e->by_name[k];
        if (!w->member[ri])
            continue;
        w->cur[ncur++] = (uint32_t)ri;
        if (held_out(w, rs->rules[ri].name, id)) {
            w->member[ri] = false; /* marks "held out" from here on */
            add_event(b, (uint32_t)ri, CDP_SEGMENT_HOLDOUT);
        } else {
            add_event(b, (uint32_t)ri, CDP_SEGMENT_MEMBER);
        }
    }
    cdp_buf_adds(&b->out, "\"segments\":[");
    add_rule_names(&b->out, rs, w->cur, ncur, w->member, true);
    cdp_buf_addc(&b->out, ']');
    if (e->holdout > 0) {
        cdp_buf_adds(&b->out, ",\"holdout\":[");
        add_rule_names(&b->out, rs, w->cur, ncur, w->member, false);
        cdp_buf_addc(&b->out, ']');
    }
    return ncur;
}

static void add_name_list(struct cdp_buf *out, const struct cdp_intern *names, const uint32_t *ids,
                          size_t n)
{
    cdp_buf_addc(out, '[');
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *s = cdp_intern_str(names, ids[i], &len);
        if (i)
            cdp_buf_addc(out, ',');
        cdp_json_add_string(out, s, len);
    }
    cdp_buf_addc(out, ']');
}

static bool contains(const uint32_t *v, size_t n, uint32_t x)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

/* Deltas: the memberships (held out or not) against the last run's. cur
 * holds rule indexes (= name ids) in name order; the last run's are in id
 * order and may name segments no rule has now: compared as sets. */
static void write_deltas(struct cdp_segment_worker *w, struct cdp_segment_batch *b,
                         struct cdp_segment_result *res, const struct cdp_field *id, size_t ncur)
{
    const struct cdp_segment_engine *e = w->e;
    uint32_t person = cdp_memberships_find(e->prev, id->val, id->vlen);
    const uint32_t *was = NULL;
    size_t nwas = person == UINT32_MAX ? 0 : cdp_memberships_of(e->prev, person, &was);
    res->previous = person;
    uint32_t *entered = w->cur + e->rules->n;
    size_t ne = 0, nx = 0;
    for (size_t k = 0; k < ncur; k++)
        if (!contains(was, nwas, w->cur[k])) {
            entered[ne++] = w->cur[k];
            add_event(b, w->cur[k], CDP_SEGMENT_ENTERED);
        }
    uint32_t *exited = cdp_xmalloc((nwas + 1) * sizeof *exited);
    for (size_t j = 0; j < nwas; j++)
        if (!contains(w->cur, ncur, was[j]))
            exited[nx++] = was[j];
    sort_by_name(e->names, exited, nx);
    for (size_t j = 0; j < nx; j++)
        add_event(b, exited[j], CDP_SEGMENT_EXITED);
    cdp_buf_adds(&b->out, ",\"entered\":");
    add_name_list(&b->out, e->names, entered, ne);
    cdp_buf_adds(&b->out, ",\"exited\":");
    add_name_list(&b->out, e->names, exited, nx);
    free(exited);
}

static void segment_one(struct cdp_segment_worker *w, struct cdp_segment_batch *b, size_t i)
{
    const struct cdp_batch_row *row = &b->lines.rows[i];
    struct cdp_segment_result *res = &b->results[i];
    res->code = NULL;
    res->previous = UINT32_MAX;
    res->revenue = NAN;
    const struct cdp_field *id;
    if (!parse_profile(w, b, row, res, &id))
        return;
    /* A copy: setting "rfm" may move the record's fields (not their text). */
    struct cdp_field id_copy = *id;
    id = &id_copy;
    bool stale;
    struct cdp_record *in = rules_input(w, &stale);
    res->revenue = number_of(in, "revenue");
    set_rfm(w, b->first_pos + i, row, id, in);
    run_rules(w, b, in, id);
    write_profile(w, &b->out, row, stale);
    size_t ncur = write_segments(w, b, id);
    if (w->e->prev)
        write_deltas(w, b, res, id, ncur);
    cdp_buf_adds(&b->out, "}\n");
}

/* ---- batches ------------------------------------------------------------- */

struct cdp_segment_batch *cdp_segment_batch_new(const struct cdp_segment_engine *e)
{
    struct cdp_segment_batch *b = cdp_xcalloc(1, sizeof *b);
    b->lines = (struct cdp_batch)CDP_BATCH_INIT;
    b->nrules = e->rules->n;
    b->rule_errors = cdp_xcalloc(b->nrules + 1, sizeof *b->rule_errors);
    b->rule_asked = cdp_xcalloc(b->nrules + 1, sizeof *b->rule_asked);
    return b;
}

void cdp_segment_batch_run(struct cdp_segment_worker *w, struct cdp_segment_batch *b)
{
    struct cdp_error err;
    if (!w->compiled && compile_rules(w, &err) < 0)
        abort(); /* the same rules compiled before (cdp_segment_engine_new) */
    if (b->lines.n > b->results_cap) {
        b->results_cap = b->lines.n;
        b->results = cdp_xrealloc(b->results, b->results_cap * sizeof *b->results);
    }
    for (size_t i = 0; i < b->lines.n; i++) {
        segment_one(w, b, i);
        b->results[i].out_end = b->out.len;
        b->results[i].events_end = b->nevents;
        b->results[i].messages_end = b->messages.len;
    }
}

void cdp_segment_batch_clear(struct cdp_segment_batch *b)
{
    cdp_batch_clear(&b->lines);
    cdp_buf_reset(&b->out);
    cdp_buf_reset(&b->messages);
    b->nevents = 0;
    memset(b->rule_errors, 0, (b->nrules + 1) * sizeof *b->rule_errors);
    memset(b->rule_asked, 0, (b->nrules + 1) * sizeof *b->rule_asked);
}

void cdp_segment_batch_free(struct cdp_segment_batch *b)
{
    if (!b)
        return;
    cdp_batch_release(&b->lines);
    cdp_buf_release(&b->out);
    cdp_buf_release(&b->messages);
    free(b->results);
    free(b->events);
    free(b->rule_errors);
    free(b->rule_asked);
    free(b);
}

/* ---- the tally ----------------------------------------------------------- */

struct count {
    uint64_t members, holdout, entered, exited, errors;
    double revenue;
};

struct cdp_segment_tally {
    const struct cdp_segment_engine *e;
    struct count *counts; /* per name */
    bool *seen;           /* per person of the last run */
    size_t lines;         /* positions read */
    uint64_t profiles, gone;
};

struct cdp_segment_tally *cdp_segment_tally_new(const struct cdp_segment_engine *e)
{
    struct cdp_segment_tally *t = cdp_xcalloc(1, sizeof *t);
    t->e = e;
    t->counts = cdp_xcalloc(cdp_intern_count(e->names) + 1, sizeof *t->counts);
    if (e->prev)
        t->seen = cdp_xcalloc(cdp_memberships_count(e->prev) + 1, sizeof *t->seen);
    return t;
}

void cdp_segment_tally_free(struct cdp_segment_tally *t)
{
    if (!t)
        return;
    free(t->counts);
    free(t->seen);
    free(t);
}

static void tally_line(struct cdp_segment_tally *t, const struct cdp_segment_batch *b, size_t i,
                       size_t first_event, struct cdp_segment_totals *added)
{
    const struct cdp_segment_result *res = &b->results[i];
    t->profiles++;
    added->profiles++;
    if (res->previous != UINT32_MAX)
        t->seen[res->previous] = true;
    for (size_t k = first_event; k < res->events_end; k++) {
        struct count *c = &t->counts[CDP_SEGMENT_EVENT_NAME(b->events[k])];
        switch (CDP_SEGMENT_EVENT_KIND(b->events[k])) {
        case CDP_SEGMENT_MEMBER:
            c->members++;
            added->memberships++;
            if (!isnan(res->revenue))
                c->revenue += res->revenue;
            break;
        case CDP_SEGMENT_HOLDOUT:
            c->holdout++;
            added->held_out++;
            break;
        case CDP_SEGMENT_ENTERED:
            c->entered++;
            break;
        case CDP_SEGMENT_EXITED:
            c->exited++;
            break;
        }
    }
}

void cdp_segment_tally_batch(struct cdp_segment_tally *t, const struct cdp_segment_batch *b,
                             struct cdp_segment_totals *added)
{
    memset(added, 0, sizeof *added);
    for (size_t r = 0; r < b->nrules; r++)
        t->counts[r].errors += b->rule_errors[r];
    size_t first_event = 0;
    for (size_t i = 0; i < b->lines.n; i++) {
        if (!b->results[i].code)
            tally_line(t, b, i, first_event, added);
        else
            added->rejected++;
        first_event = b->results[i].events_end;
    }
    t->lines += b->lines.n;
}

struct gone {
    const char *id;
    size_t len;
    uint32_t person;
};

static int cmp_gone(const void *a, const void *b)
{
    const struct gone *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->id, y->id, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static void write_gone(struct cdp_segment_tally *t, const struct gone *g, struct cdp_buf *line)
{
    const struct cdp_segment_engine *e = t->e;
    const uint32_t *was;
    size_t nwas = cdp_memberships_of(e->prev, g->person, &was);
    uint32_t *exited = cdp_xmalloc((nwas + 1) * sizeof *exited);
    memcpy(exited, was, nwas * sizeof *exited);
    sort_by_name(e->names, exited, nwas);
    cdp_buf_reset(line);
    cdp_buf_adds(line, "{\"cdp_id\":");
    cdp_json_add_string(line, g->id, g->len);
    cdp_buf_adds(line, ",\"segments\":[]");
    if (e->holdout > 0)
        cdp_buf_adds(line, ",\"holdout\":[]");
    cdp_buf_adds(line, ",\"entered\":[],\"exited\":");
    add_name_list(line, e->names, exited, nwas);
    cdp_buf_adds(line, ",\"gone\":true}\n");
    for (size_t j = 0; j < nwas; j++)
        t->counts[exited[j]].exited++;
    free(exited);
}

long cdp_segment_tally_end(struct cdp_segment_tally *t, cdp_segment_line_fn fn, void *ctx,
                           struct cdp_error *err)
{
    const struct cdp_segment_engine *e = t->e;
    if (e->pop && t->lines != cdp_population_profiles(e->pop))
        return cdp_errorf(err, "the input changed between the two passes (%zu lines, then %zu)",
                          cdp_population_profiles(e->pop), t->lines);
    if (!e->prev)
        return 0;
    size_t n = cdp_memberships_count(e->prev), ng = 0;
    struct gone *g = cdp_xmalloc((n + 1) * sizeof *g);
    for (uint32_t person = 0; person < n; person++) {
        const uint32_t *was;
        if (t->seen[person] || cdp_memberships_followed(e->prev, person) ||
            cdp_memberships_of(e->prev, person, &was) == 0)
            continue;
        g[ng].id = cdp_memberships_id(e->prev, person, &g[ng].len);
        if (e->nshards && cdp_shard_of(g[ng].id, g[ng].len, e->nshards) != e->shard)
            continue; /* another shard's */
        g[ng++].person = person;
    }
    qsort(g, ng, sizeof *g, cmp_gone);
    struct cdp_buf line = CDP_BUF_INIT;
    for (size_t i = 0; i < ng; i++) {
        write_gone(t, &g[i], &line);
        fn(ctx, line.data, line.len);
    }
    cdp_buf_release(&line);
    free(g);
    t->gone = ng;
    return (long)ng;
}

void cdp_segment_tally_report(const struct cdp_segment_tally *t, int64_t as_of_day,
                              struct cdp_segment_report *r)
{
    const struct cdp_segment_engine *e = t->e;
    memset(r, 0, sizeof *r);
    r->as_of_day = as_of_day;
    r->profiles = t->profiles;
    r->deltas = e->prev != NULL;
    r->gone = t->gone;
    r->n = cdp_intern_count(e->names);
    uint32_t *order = cdp_xmalloc((r->n + 1) * sizeof *order);
    for (size_t i = 0; i < r->n; i++)
        order[i] = (uint32_t)i;
    sort_by_name(e->names, order, r->n);
    r->segments = cdp_xcalloc(r->n + 1, sizeof *r->segments);
    for (size_t k = 0; k < r->n; k++) {
        const struct count *c = &t->counts[order[k]];
        struct cdp_segment_stat *s = &r->segments[k];
        s->name = cdp_intern_str(e->names, order[k], NULL);
        s->defined = order[k] < e->rules->n;
        s->members = c->members;
        s->holdout = c->holdout;
        s->entered = c->entered;
        s->exited = c->exited;
        s->errors = c->errors;
        s->revenue = c->revenue;
    }
    free(order);
}
