#include "io/rejects.h"

#include <stdlib.h>
#include <string.h>

#include "io/json.h"
#include "io/output.h"

struct cdp_rejects {
    struct cdp_output *out;
};

static void add_string_or_null(struct cdp_buf *b, const char *s)
{
    if (s)
        cdp_json_add_string(b, s, strlen(s));
    else
        cdp_buf_adds(b, "null");
}

static void add_number_or_null(struct cdp_buf *b, uint64_t n)
{
    if (n == CDP_REJECT_UNKNOWN)
        cdp_buf_adds(b, "null");
    else
        cdp_buf_printf(b, "%llu", (unsigned long long)n);
}

void cdp_reject_format(struct cdp_buf *b, const struct cdp_reject *r)
{
    cdp_buf_adds(b, "{\"_source\":");
    add_string_or_null(b, r->source);
    cdp_buf_adds(b, ",\"file\":");
    add_string_or_null(b, r->file);
    cdp_buf_adds(b, ",\"line\":");
    add_number_or_null(b, r->line);
    cdp_buf_adds(b, ",\"row\":");
    add_number_or_null(b, r->row);
    cdp_buf_adds(b, ",\"code\":");
    add_string_or_null(b, r->code ? r->code : "bad");
    cdp_buf_adds(b, ",\"reason\":");
    add_string_or_null(b, r->reason ? r->reason : "");
    cdp_buf_adds(b, ",\"raw\":");
    cdp_json_add_string_lossy(b, r->raw ? r->raw : "", r->raw ? r->rawlen : 0);
    cdp_buf_adds(b, "}\n");
}

struct cdp_rejects *cdp_rejects_open(const char *path, struct cdp_error *err)
{
    struct cdp_output_options opt = { .mode = 0600 };
    struct cdp_output *o = cdp_output_open(path, &opt, err);
    if (!o)
        return NULL;
    struct cdp_rejects *rj = cdp_xcalloc(1, sizeof *rj);
    rj->out = o;
    return rj;
}

void cdp_rejects_add(struct cdp_rejects *rj, const struct cdp_reject *r)
{
    cdp_reject_format(cdp_output_buffer(rj->out), r);
    cdp_output_flush_some(rj->out);
}

void cdp_rejects_add_formatted(struct cdp_rejects *rj, const char *lines, size_t len)
{
    cdp_output_write(rj->out, lines, len);
}

int cdp_rejects_commit(struct cdp_rejects *rj, struct cdp_error *err)
{
    int r = cdp_output_commit(rj->out, err);
    free(rj);
    return r;
}

struct cdp_output *cdp_rejects_output(struct cdp_rejects *rj)
{
    struct cdp_output *o = rj->out;
    free(rj);
    return o;
}

void cdp_rejects_abort(struct cdp_rejects *rj)
{
    if (!rj)
        return;
    cdp_output_abort(rj->out);
    free(rj);
}
