/* split.c: a file per segment; see split.h. */
#include "segment/split.h"

#include "io/replace.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

struct cdp_segment_split {
    struct cdp_output **files; /* per rule */
    size_t n;
};

struct cdp_segment_split *cdp_segment_split_open(const struct cdp_segment_engine *e,
                                                 const char *dir,
                                                 const struct cdp_output_options *out,
                                                 struct cdp_error *err)
{
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        cdp_errorf_errno(err, errno, "cannot create '%s'", dir);
        return NULL;
    }
    struct cdp_segment_split *s = cdp_xcalloc(1, sizeof *s);
    s->n = cdp_segment_rule_count(e);
    s->files = cdp_xcalloc(s->n + 1, sizeof *s->files);
    struct cdp_buf path = CDP_BUF_INIT;
    for (size_t r = 0; r < s->n; r++) {
        cdp_buf_reset(&path);
        cdp_buf_printf(&path, "%s/%s.ndjson%s", dir, cdp_segment_rule_name(e, r),
                       out->zstd ? ".zst" : "");
        if (!(s->files[r] = cdp_output_open(path.data, out, err))) {
            cdp_segment_split_free(s);
            s = NULL;
            break;
        }
    }
    cdp_buf_release(&path);
    return s;
}

void cdp_segment_split_add(struct cdp_segment_split *s, const struct cdp_segment_batch *b,
                           size_t i)
{
    size_t start = i ? b->results[i - 1].out_end : 0;
    size_t first_event = i ? b->results[i - 1].events_end : 0;
    for (size_t k = first_event; k < b->results[i].events_end; k++)
        if (CDP_SEGMENT_EVENT_KIND(b->events[k]) == CDP_SEGMENT_MEMBER)
            cdp_output_write(s->files[CDP_SEGMENT_EVENT_NAME(b->events[k])], b->out.data + start,
                             b->results[i].out_end - start);
}

int cdp_segment_split_commit(struct cdp_segment_split *s, struct cdp_error *err)
{
    int rc = 0;
    for (size_t r = 0; r < s->n; r++) {
        struct cdp_output *o = s->files[r];
        s->files[r] = NULL;
        if (rc == 0 && cdp_output_commit(o, err) < 0)
            rc = -1;
        else if (rc)
            cdp_output_abort(o);
    }
    return rc;
}

int cdp_segment_split_replace(struct cdp_segment_split *s, struct cdp_replace *r,
                              struct cdp_error *err)
{
    for (size_t i = 0; i < s->n; i++) {
        struct cdp_output *o = s->files[i];
        s->files[i] = NULL;
        if (cdp_replace_add(r, o, err) < 0)
            return -1;
    }
    return 0;
}

void cdp_segment_split_free(struct cdp_segment_split *s)
{
    if (!s)
        return;
    for (size_t r = 0; r < s->n; r++)
        cdp_output_abort(s->files[r]);
    free(s->files);
    free(s);
}
