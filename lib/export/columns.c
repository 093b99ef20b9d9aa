#include "export/columns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/jq.h"

struct cdp_export_columns {
    const char *const *headers;
    struct cdp_jq **jq;
    size_t n;
    struct cdp_buf value; /* a program's outputs */
};

struct cdp_export_columns *cdp_export_columns_new(const char *const *headers, const char *const *exprs,
                                                  size_t n, struct cdp_error *err)
{
    struct cdp_export_columns *c = cdp_xcalloc(1, sizeof *c);
    c->headers = headers;
    c->jq = cdp_xcalloc(n + 1, sizeof *c->jq);
    for (; c->n < n; c->n++) {
        if (!(c->jq[c->n] = cdp_jq_compile(exprs[c->n], NULL, err))) {
            char msg[sizeof err->msg];
            memcpy(msg, err->msg, sizeof msg);
            cdp_errorf(err, "-c %s: %s", headers[c->n], msg);
            cdp_export_columns_free(c);
            return NULL;
        }
        char what[128];
        snprintf(what, sizeof what, "column '%s'", headers[c->n]);
        cdp_jq_name(c->jq[c->n], what);
    }
    return c;
}

void cdp_export_columns_free(struct cdp_export_columns *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        cdp_jq_free(c->jq[i]);
    free(c->jq);
    cdp_buf_release(&c->value);
    free(c);
}

bool cdp_export_columns_cells(struct cdp_export_columns *c, const struct cdp_record *rec,
                              struct cdp_cells *cells, const char **failed, struct cdp_error *err)
{
    for (size_t i = 0; i < c->n; i++) {
        cdp_buf_reset(&c->value);
        int k = cdp_jq_run_record(c->jq[i], rec, &c->value, '\n', err);
        if (k < 0) {
            *failed = c->headers[i];
            return false;
        }
        const char *v = "null";
        size_t len = 4;
        if (k > 0) {
            v = c->value.data;
            const char *nl = memchr(v, '\n', c->value.len);
            len = nl ? (size_t)(nl - v) : c->value.len;
        }
        cdp_cells_add_json(cells, v, len);
    }
    return true;
}
