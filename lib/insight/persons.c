/* persons.c: see persons.h. */
#include "insight/persons.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "identity/journal.h"
#include "norm/show.h"
#include "io/runfile.h"

static void ignore(void *ctx, const char *s, size_t len)
{
    (void)ctx, (void)s, (void)len;
}

/* The number of strings in the array at key (0 when absent). */
static uint64_t array_length(struct cdp_nested *n, const struct cdp_record *rec, const char *key)
{
    const struct cdp_field *f = cdp_record_gets(rec, key);
    if (!f || f->type != CDP_ARRAY)
        return 0;
    long k = cdp_json_each_string(n->parser, f->val, f->vlen, ignore, NULL);
    return k > 0 ? (uint64_t)k : 0;
}

static size_t record_bin(uint64_t records)
{
    return records <= 5 ? (records ? records - 1 : 0) : records <= 10 ? 5 : records <= 20 ? 6 : 7;
}

/* Whether a profile with this many records and id goes before cluster c. */
static bool before(uint64_t records, const char *id, size_t idlen, const struct cdp_cluster *c)
{
    if (records != c->records)
        return records > c->records;
    int k = strncmp(id, c->cdp_id, idlen);
    return k < 0 || (k == 0 && c->cdp_id[idlen] != '\0');
}

static void free_cluster(struct cdp_cluster *c)
{
    free(c->cdp_id);
    free(c->name);
    free(c->sources);
}

/* "First Last" of a profile, each masked (norm/show.h) unless clear;
 * NULL when it has neither. */
static char *person_name(const struct cdp_record *p, bool clear)
{
    size_t fl = 0, ll = 0;
    const char *first = cdp_field_string(p, "first_name", &fl), *last = cdp_field_string(p, "last_name", &ll);
    if (!first && !last)
        return NULL;
    struct cdp_buf name = CDP_BUF_INIT;
    if (first)
        cdp_show_value(&name, first, fl, CDP_SHOW_TEXT, clear);
    if (first && last)
        cdp_buf_addc(&name, ' ');
    if (last)
        cdp_show_value(&name, last, ll, CDP_SHOW_TEXT, clear);
    return cdp_buf_detach(&name, NULL);
}

static void add_cluster(struct cdp_identity_figures *id, const struct cdp_record *p,
                        struct cdp_nested *n, const char *cid, size_t cidlen, uint64_t records)
{
    size_t at = id->nclusters;
    while (at > 0 && before(records, cid, cidlen, &id->clusters[at - 1]))
        at--;
    if (at >= CDP_TOP_CLUSTERS)
        return;
    if (id->nclusters == CDP_TOP_CLUSTERS)
        free_cluster(&id->clusters[--id->nclusters]);
    memmove(&id->clusters[at + 1], &id->clusters[at], (id->nclusters - at) * sizeof *id->clusters);
    id->nclusters++;
    struct cdp_cluster *c = &id->clusters[at];
    memset(c, 0, sizeof *c);
    c->cdp_id = cdp_xstrndup(cid, cidlen);
    c->records = records;
    c->emails = array_length(n, p, "emails");
    c->phones = array_length(n, p, "phones");
    c->cards = array_length(n, p, "cards");
    c->name = person_name(p, id->values_shown);
    struct cdp_buf sources = CDP_BUF_INIT;
    if (cdp_nested_parse(n, cdp_record_gets(p, "sources")))
        for (size_t i = 0; i < n->rec.n; i++) {
            const struct cdp_field *f = &n->rec.f[i];
            long k = f->type == CDP_ARRAY ? cdp_json_each_string(n->parser, f->val, f->vlen, ignore, NULL) : 0;
            cdp_buf_printf(&sources, "%s%.*s %ld", i ? ", " : "", (int)f->klen, f->key, k > 0 ? k : 0);
        }
    c->sources = cdp_buf_detach(&sources, NULL);
}

void cdp_persons_add_profile(struct cdp_identity_figures *id, const struct cdp_record *profile,
                             struct cdp_nested *nested)
{
    size_t cidlen;
    const char *cid = cdp_field_string(profile, "cdp_id", &cidlen);
    if (!cid)
        return;
    double r = 1;
    if (!cdp_field_number(profile, "records", &r) || r < 1)
        r = 1;
    uint64_t records = (uint64_t)r;
    id->profiles_read = true;
    id->persons++;
    id->records += records;
    id->record_bins[record_bin(records)]++;
    if (cdp_nested_parse(nested, cdp_record_gets(profile, "sources")) && nested->rec.n > 1)
        id->cross_source++;
    if (id->nclusters < CDP_TOP_CLUSTERS ||
        before(records, cid, cidlen, &id->clusters[CDP_TOP_CLUSTERS - 1]))
        add_cluster(id, profile, nested, cid, cidlen, records);
}

/* ---- the journal -------------------------------------------------------- */

/* The last run the night before's journal names (entries of later runs
 * are tonight's news), and tonight's tallies. */
struct journal_count {
    struct cdp_identity_figures *id;
    uint64_t last_run_before;
};

/* The value of a merge's link as logs show it (norm/show.h). cdp-dedupe
 * writes it masked unless --show-values (identity/journal.h): a value
 * masked already ("***") is shown as written, not masked again. */
static char *shown_value(const struct cdp_journal_entry *e, bool clear)
{
    if (!e->value)
        return NULL;
    struct cdp_buf b = CDP_BUF_INIT;
    if (strstr(e->value, "***"))
        cdp_show_escaped(&b, e->value, strlen(e->value));
    else
        cdp_show_value(&b, e->value, strlen(e->value), e->key ? cdp_show_kind_of(e->key) : CDP_SHOW_AUTO,
                       clear);
    return cdp_buf_detach(&b, NULL);
}

static int last_run(void *ctx, uint64_t run, const struct cdp_journal_entry *e, struct cdp_error *err)
{
    (void)e, (void)err;
    struct journal_count *jc = ctx;
    if (run > jc->last_run_before)
        jc->last_run_before = run;
    return 0;
}

static int count_entry(void *ctx, uint64_t run, const struct cdp_journal_entry *e, struct cdp_error *err)
{
    (void)err;
    struct journal_count *jc = ctx;
    struct cdp_identity_figures *id = jc->id;
    bool merged = !strcmp(e->reason, "merged");
    id->total_merged += merged;
    id->total_split += !merged;
    if (run <= jc->last_run_before)
        return 0;
    id->merged += merged;
    id->split += !merged;
    if (id->nlines < CDP_JOURNAL_LINES) {
        id->lines = cdp_xrealloc(id->lines, (id->nlines + 1) * sizeof *id->lines);
        id->lines[id->nlines++] = (struct cdp_journal_line){
            cdp_xstrdup(e->from), cdp_xstrdup(e->to), cdp_xstrdup(e->reason),
            merged && e->key ? cdp_xstrdup(e->key) : NULL, merged ? shown_value(e, id->values_shown) : NULL
        };
    }
    return 0;
}

int cdp_persons_read_journal(struct cdp_identity_figures *id, const char *path,
                             const char *before_path, int64_t before_day, struct cdp_error *err)
{
    struct journal_count jc = { id, 0 };
    if (before_path) {
        if (cdp_journal_read_runs(before_path, last_run, &jc, err) < 0)
            return -1;
        id->journal_since_known = true;
        id->journal_since_day = before_day;
    }
    if (cdp_journal_read_runs(path, count_entry, &jc, err) < 0)
        return -1;
    id->journal_read = true;
    return 0;
}

/* ---- the links ---------------------------------------------------------- */

static size_t weight_bin(double w)
{
    return w < 5 ? 0 : w >= 35 ? CDP_WEIGHT_BINS - 1 : (size_t)(w / 5);
}

int cdp_persons_read_links(struct cdp_identity_figures *id, const char *path, struct cdp_error *err)
{
    struct cdp_runfile *rf = cdp_runfile_open(path, "links", false, err);
    if (!rf)
        return -1;
    struct cdp_record rec = CDP_RECORD_INIT;
    struct cdp_nested n;
    cdp_nested_init(&n);
    int k;
    while ((k = cdp_runfile_next(rf, &rec, err)) > 0) {
        size_t ll, kl, rl;
        const char *link = cdp_field_string(&rec, "link", &ll), *key = cdp_field_string(&rec, "key", &kl);
        if (!link || !key) {
            k = cdp_runfile_damaged(rf, err, "not a links line: no \"link\" or \"key\"");
            break;
        }
        if (ll == 4 && !memcmp(link, "used", 4)) {
            cdp_named_add(&id->used_by_key, key, kl, 1);
            double w;
            if (kl == 5 && !memcmp(key, "model", 5) && cdp_nested_parse(&n, cdp_record_gets(&rec, "match")) &&
                cdp_field_number(&n.rec, "weight", &w)) {
                id->weight_min = id->model_links ? fmin(id->weight_min, w) : w;
                id->weight_max = id->model_links ? fmax(id->weight_max, w) : w;
                id->model_links++;
                id->weight_sum += w;
                id->weight_bins[weight_bin(w)]++;
            }
        } else {
            const char *reason = cdp_field_string(&rec, "reason", &rl);
            cdp_named_add(&id->refused_by_reason, reason ? reason : "other", reason ? rl : 5, 1);
            cdp_named_add(&id->refused_by_key, key, kl, 1);
        }
    }
    cdp_nested_release(&n);
    cdp_record_release(&rec);
    cdp_runfile_close(rf);
    cdp_named_sort(&id->used_by_key);
    cdp_named_sort(&id->refused_by_reason);
    cdp_named_sort(&id->refused_by_key);
    id->links_read = k == 0;
    return k < 0 ? -1 : 0;
}

void cdp_persons_release(struct cdp_identity_figures *id)
{
    for (size_t i = 0; i < id->nclusters; i++)
        free_cluster(&id->clusters[i]);
    for (size_t i = 0; i < id->nlines; i++) {
        struct cdp_journal_line *l = &id->lines[i];
        free(l->from), free(l->to), free(l->reason), free(l->key), free(l->value);
    }
    free(id->lines);
    cdp_named_release(&id->used_by_key);
    cdp_named_release(&id->refused_by_reason);
    cdp_named_release(&id->refused_by_key);
}
