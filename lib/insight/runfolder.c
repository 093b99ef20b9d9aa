/* runfolder.c: see runfolder.h. */
#include "insight/runfolder.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "insight/lang.h"
#include "io/reader.h"
#include "norm/date.h"

bool cdp_runfolder_find(const char *dir, const char *name, struct cdp_buf *path)
{
    static const char *const endings[] = { "", ".zst", ".gz" };
    for (size_t i = 0; i < sizeof endings / sizeof *endings; i++) {
        cdp_buf_reset(path);
        cdp_buf_printf(path, "%s/%s%s", dir, name, endings[i]);
        struct stat st;
        if (stat(path->data, &st) == 0 && S_ISREG(st.st_mode))
            return true;
    }
    cdp_buf_reset(path);
    cdp_buf_printf(path, "%s/%s", dir, name);
    return false;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t cdp_runfolder_list(const char *dir, const char *prefix, const char *suffix, char ***names)
{
    *names = NULL;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t n = 0, cap = 0, lp = strlen(prefix), ls = strlen(suffix);
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < lp + ls || strncmp(e->d_name, prefix, lp) || strcmp(e->d_name + len - ls, suffix))
            continue;
        if (n == cap)
            *names = cdp_xrealloc(*names, (cap = cap ? cap * 2 : 8) * sizeof **names);
        (*names)[n++] = cdp_xstrdup(e->d_name);
    }
    closedir(d);
    if (n)
        qsort(*names, n, sizeof **names, by_name);
    return n;
}

size_t cdp_runfolder_nights(const char *dir, int64_t **days)
{
    struct cdp_buf path = CDP_BUF_INIT;
    cdp_buf_printf(&path, "%s/nights", dir);
    char **names;
    size_t n = cdp_runfolder_list(path.data, "", "", &names), k = 0;
    *days = n ? cdp_xmalloc(n * sizeof **days) : NULL;
    for (size_t i = 0; i < n; i++) {
        struct cdp_datetime dt;
        if (strlen(names[i]) == 10 &&
            cdp_datetime_parse(names[i], 10, CDP_ORDER_YMD, false, &dt) == CDP_DATE_OK)
            (*days)[k++] = cdp_days_from_civil(dt.year, dt.month, dt.day);
    }
    cdp_runfolder_free_names(names, n);
    cdp_buf_release(&path);
    return k;
}

void cdp_runfolder_night(const char *dir, int64_t day, struct cdp_buf *path)
{
    cdp_buf_reset(path);
    cdp_buf_printf(path, "%s/nights/", dir);
    cdp_fmt_iso_day(path, day);
}

void cdp_runfolder_free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

int cdp_runfolder_read_rows(const char *path, cdp_runfolder_row_fn row, void *ctx,
                            struct cdp_runfolder_skipped *skipped, struct cdp_error *err)
{
    struct cdp_reader_options ro = { 0 };
    ro.format = CDP_FORMAT_NDJSON;
    struct cdp_reader *rd = cdp_reader_open(path, &ro, err);
    if (!rd)
        return -1;
    struct cdp_record rec = CDP_RECORD_INIT;
    struct cdp_row line;
    enum cdp_read k;
    while ((k = cdp_reader_next(rd, &rec, &line, err)) != CDP_READ_END && k != CDP_READ_ERROR) {
        if (k == CDP_READ_ROW)
            row(ctx, &rec);
        else if (skipped && !skipped->lines++)
            skipped->first_line = line.line;
    }
    cdp_record_release(&rec);
    cdp_reader_close(rd);
    return k == CDP_READ_ERROR ? -1 : 0;
}
