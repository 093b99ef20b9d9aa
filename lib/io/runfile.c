#include "io/runfile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/buf.h"
#include "io/reader.h"

struct cdp_runfile {
    struct cdp_reader *r; /* NULL: a missing file, read as empty */
    const char *what;
    struct cdp_row row;
};

struct cdp_runfile *cdp_runfile_open(const char *path, const char *what, bool missing_ok,
                                     struct cdp_error *err)
{
    struct cdp_runfile *rf = cdp_xcalloc(1, sizeof *rf);
    rf->what = what;
    if (missing_ok && access(path, F_OK) != 0 && errno == ENOENT)
        return rf;
    struct cdp_reader_options opt = { .format = CDP_FORMAT_NDJSON };
    rf->r = cdp_reader_open(path, &opt, err);
    if (!rf->r) {
        free(rf);
        return NULL;
    }
    return rf;
}

int cdp_runfile_damaged(const struct cdp_runfile *rf, struct cdp_error *err, const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return cdp_errorf(err, "%s:%llu: damaged %s line: %s", cdp_reader_name(rf->r),
                      (unsigned long long)rf->row.line, rf->what, why);
}

int cdp_runfile_next(struct cdp_runfile *rf, struct cdp_record *rec, struct cdp_error *err)
{
    if (!rf->r)
        return 0;
    for (;;) {
        cdp_record_clear(rec);
        enum cdp_read k = cdp_reader_next(rf->r, rec, &rf->row, err);
        if (k == CDP_READ_END)
            return 0;
        if (k == CDP_READ_ERROR)
            return -1;
        if (k == CDP_READ_BAD)
            return cdp_runfile_damaged(rf, err, "%s", rf->row.reason);
        if (rec->n > 0 || rf->row.rawlen > 0)
            return 1;
    }
}

uint64_t cdp_runfile_line(const struct cdp_runfile *rf)
{
    return rf->row.line;
}

const char *cdp_runfile_raw(const struct cdp_runfile *rf, size_t *len)
{
    *len = rf->row.rawlen;
    return rf->row.raw;
}

void cdp_runfile_close(struct cdp_runfile *rf)
{
    if (!rf)
        return;
    cdp_reader_close(rf->r);
    free(rf);
}

int cdp_runfile_filter(const char *path, const char *what, struct cdp_output *out,
                       cdp_runfile_drop_fn drop, void *ctx, uint64_t *kept, uint64_t *removed,
                       struct cdp_error *err)
{
    struct cdp_runfile *rf = cdp_runfile_open(path, what, false, err);
    if (!rf)
        return -1;
    struct cdp_record rec = CDP_RECORD_INIT;
    int k;
    while ((k = cdp_runfile_next(rf, &rec, err)) > 0) {
        int d = drop(ctx, rf, &rec, err);
        if (d < 0) {
            k = -1;
            break;
        }
        if (d) {
            ++*removed;
            continue;
        }
        size_t len;
        const char *raw = cdp_runfile_raw(rf, &len);
        cdp_output_write(out, raw, len);
        cdp_output_write(out, "\n", 1);
        ++*kept;
    }
    cdp_record_release(&rec);
    cdp_runfile_close(rf);
    return k < 0 ? -1 : 0;
}
