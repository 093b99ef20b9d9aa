/* run.c: see run.h. */
#include "insight/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "insight/fields.h"
#include "insight/runfolder.h"
#include "io/runfile.h"

void cdp_stats_file_release(struct cdp_stats_file *f)
{
    free(f->label);
    free(f->program);
    free(f->source);
    free(f->rejects);
    cdp_named_release(&f->counts);
    for (size_t i = 0; i < f->ngroups; i++) {
        free(f->groups[i].name);
        cdp_named_release(&f->groups[i].counts);
    }
    free(f->groups);
    memset(f, 0, sizeof *f);
}

/* The numbers of a nested object into list (others are skipped). */
static void read_counts(struct cdp_nested *n, const struct cdp_field *f, struct cdp_named_list *list)
{
    if (!cdp_nested_parse(n, f))
        return;
    for (size_t i = 0; i < n->rec.n; i++) {
        const struct cdp_field *c = &n->rec.f[i];
        if (c->type == CDP_NUMBER) {
            char num[64];
            size_t len = c->vlen < sizeof num - 1 ? c->vlen : sizeof num - 1;
            memcpy(num, c->val, len);
            num[len] = '\0';
            cdp_named_add(list, c->key, c->klen, strtod(num, NULL));
        }
    }
}

int cdp_stats_file_read(const char *path, struct cdp_stats_file *out, struct cdp_error *err)
{
    memset(out, 0, sizeof *out);
    struct cdp_runfile *rf = cdp_runfile_open(path, "stats", false, err);
    if (!rf)
        return -1;
    struct cdp_record rec = CDP_RECORD_INIT;
    struct cdp_nested n;
    cdp_nested_init(&n);
    int k = cdp_runfile_next(rf, &rec, err);
    if (k == 0)
        k = cdp_errorf(err, "%s: empty stats file", path);
    size_t len;
    const char *program = k > 0 ? cdp_field_string(&rec, "program", &len) : NULL;
    if (k > 0 && (!program || !cdp_record_gets(&rec, "counts") ||
                  cdp_record_gets(&rec, "counts")->type != CDP_OBJECT))
        k = cdp_runfile_damaged(rf, err, "no \"program\" or \"counts\"");
    if (k > 0) {
        out->program = cdp_xstrndup(program, len);
        for (size_t i = 0; i < rec.n; i++) {
            const struct cdp_field *f = &rec.f[i];
            if (f->type != CDP_OBJECT)
                continue;
            if (f->klen == 6 && !memcmp(f->key, "counts", 6)) {
                read_counts(&n, f, &out->counts);
                continue;
            }
            out->groups = cdp_xrealloc(out->groups, (out->ngroups + 1) * sizeof *out->groups);
            struct cdp_stats_group *g = &out->groups[out->ngroups++];
            memset(g, 0, sizeof *g);
            g->name = cdp_xstrndup(f->key, f->klen);
            read_counts(&n, f, &g->counts);
        }
    }
    cdp_nested_release(&n);
    cdp_record_release(&rec);
    cdp_runfile_close(rf);
    if (k < 0)
        cdp_stats_file_release(out);
    return k < 0 ? -1 : 0;
}

double cdp_stats_count(const struct cdp_stats_file *f, const char *name)
{
    double v = cdp_named_get(&f->counts, name);
    return v == v ? v : 0;
}

const struct cdp_stats_group *cdp_stats_group(const struct cdp_stats_file *f, const char *name)
{
    for (size_t i = 0; i < f->ngroups; i++)
        if (!strcmp(f->groups[i].name, name))
            return &f->groups[i];
    return NULL;
}

/* The lines of a small text file (a rejects file), or 0. */
static uint64_t count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    uint64_t n = 0;
    int c, last = '\n';
    while ((c = getc(f)) != EOF) {
        n += c == '\n';
        last = c;
    }
    fclose(f);
    return n + (last != '\n');
}

/* Every DIR/stats-*.json into *files; the rejects files only for tonight's
 * (with_rejects). */
static size_t read_folder(struct cdp_insight *fig, const char *dir, bool with_rejects,
                          struct cdp_stats_file **files)
{
    char **names;
    size_t n = cdp_runfolder_list(dir, "stats-", ".json", &names), k = 0;
    *files = n ? cdp_xcalloc(n, sizeof **files) : NULL;
    struct cdp_buf path = CDP_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        struct cdp_error err;
        cdp_buf_reset(&path);
        cdp_buf_printf(&path, "%s/%s", dir, names[i]);
        struct cdp_stats_file *f = &(*files)[k];
        if (cdp_stats_file_read(path.data, f, &err) < 0) {
            cdp_insight_problem(fig, CDP_SEC_RUN, true, "%s", err.msg);
            continue;
        }
        f->label = cdp_xstrndup(names[i] + 6, strlen(names[i]) - 6 - 5);
        if (!strcmp(f->program, "cdp-ingest") && !strncmp(f->label, "ingest-", 7))
            f->source = cdp_xstrdup(f->label + 7);
        if (with_rejects && f->source) {
            cdp_buf_reset(&path);
            cdp_buf_printf(&path, "rejects-%s.ndjson", f->source);
            struct cdp_buf found = CDP_BUF_INIT;
            if (cdp_runfolder_find(dir, path.data, &found)) {
                f->rejects = cdp_buf_detach(&found, NULL);
                f->rejects_lines = count_lines(f->rejects);
            }
            cdp_buf_release(&found);
        }
        k++;
    }
    cdp_buf_release(&path);
    cdp_runfolder_free_names(names, n);
    return k;
}

void cdp_run_read(const struct cdp_insight_options *opt, struct cdp_insight *fig)
{
    struct cdp_run_figures *run = &fig->run;
    run->nfiles = read_folder(fig, opt->dir, true, &run->files);
    if (run->nfiles == 0)
        cdp_insight_problem(fig, CDP_SEC_RUN, true, "%s: no stats-*.json files (the --stats files of the run)",
                            opt->dir);
    int64_t *days;
    size_t n = cdp_runfolder_nights(opt->dir, &days);
    run->nights = n ? cdp_xcalloc(n, sizeof *run->nights) : NULL;
    struct cdp_buf path = CDP_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        cdp_runfolder_night(opt->dir, days[i], &path);
        run->nights[i].day = days[i];
        run->nights[i].nfiles = read_folder(fig, path.data, false, &run->nights[i].files);
    }
    run->nnights = n;
    cdp_buf_release(&path);
    free(days);
}

void cdp_run_release(struct cdp_run_figures *run)
{
    for (size_t i = 0; i < run->nfiles; i++)
        cdp_stats_file_release(&run->files[i]);
    free(run->files);
    for (size_t i = 0; i < run->nnights; i++) {
        for (size_t j = 0; j < run->nights[i].nfiles; j++)
            cdp_stats_file_release(&run->nights[i].files[j]);
        free(run->nights[i].files);
    }
    free(run->nights);
}
