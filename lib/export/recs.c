#include "export/recs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/intern.h"
#include "export/json_peek.h"
#include "io/json.h"
#include "io/lines.h"
#include "io/runfile.h"

struct cdp_export_recs {
    size_t columns;
    char **headers;
    struct cdp_intern *ids;   /* cdp_id -> person */
    size_t *first, *count;    /* per person: skus[first .. first + count) */
    size_t npeople, cap;
    struct cdp_buf text;      /* the skus, each NUL-terminated */
    size_t *sku_off, *sku_len;
    size_t nskus, skus_cap;
};

static void add_sku(struct cdp_export_recs *r, const char *s, size_t len)
{
    if (r->nskus == r->skus_cap) {
        r->skus_cap = r->skus_cap ? 2 * r->skus_cap : 1024;
        r->sku_off = cdp_xrealloc(r->sku_off, r->skus_cap * sizeof *r->sku_off);
        r->sku_len = cdp_xrealloc(r->sku_len, r->skus_cap * sizeof *r->sku_len);
    }
    r->sku_off[r->nskus] = r->text.len;
    r->sku_len[r->nskus++] = len;
    cdp_buf_add(&r->text, s, len);
    cdp_buf_addc(&r->text, '\0');
}

/* The sku of one element of "recommendations": an object's "sku" or a
 * string; false when it is neither. */
static bool element_sku(struct cdp_json_parser *json, struct cdp_buf *tmp, struct cdp_record *obj,
                        const char *e, size_t len, struct cdp_buf *sku)
{
    cdp_buf_reset(sku);
    if (len && e[0] == '"')
        return cdp_json_string_decode(sku, e, len);
    cdp_buf_reset(tmp);
    cdp_buf_add_padded(tmp, e, len);
    struct cdp_error why;
    cdp_record_clear(obj);
    if (cdp_json_parse_object(json, tmp->data, len, obj, &why) != CDP_JSON_OK)
        return false;
    const struct cdp_field *f = cdp_record_gets(obj, "sku");
    if (!f || f->type == CDP_NULL || f->type == CDP_ARRAY || f->type == CDP_OBJECT)
        return false;
    cdp_buf_add(sku, f->val, f->vlen);
    return true;
}

struct cdp_export_recs *cdp_export_recs_load(const char *path, size_t columns,
                                             struct cdp_error *err)
{
    struct cdp_runfile *rf = cdp_runfile_open(path, "recommendations", false, err);
    if (!rf)
        return NULL;
    struct cdp_export_recs *r = cdp_xcalloc(1, sizeof *r);
    r->columns = columns;
    r->headers = cdp_xcalloc(columns + 1, sizeof *r->headers);
    for (size_t i = 0; i < columns; i++) {
        char name[32];
        snprintf(name, sizeof name, "rec_%zu", i + 1);
        r->headers[i] = cdp_xstrdup(name);
    }
    r->ids = cdp_intern_new();
    struct cdp_json_parser *json = cdp_json_parser_new();
    struct cdp_record rec = CDP_RECORD_INIT, obj = CDP_RECORD_INIT;
    struct cdp_buf tmp = CDP_BUF_INIT, sku = CDP_BUF_INIT;
    int k;
    while ((k = cdp_runfile_next(rf, &rec, err)) == 1) {
        const struct cdp_field *id = cdp_record_gets(&rec, "cdp_id");
        const struct cdp_field *list = cdp_record_gets(&rec, "recommendations");
        if (!id || id->type != CDP_STRING || !id->vlen) {
            k = cdp_runfile_damaged(rf, err, "no cdp_id");
            break;
        }
        if (list && list->type != CDP_ARRAY && list->type != CDP_NULL) {
            k = cdp_runfile_damaged(rf, err, "recommendations is not an array");
            break;
        }
        int added;
        uint32_t person = cdp_intern_add(r->ids, id->val, id->vlen, &added);
        if (!added)
            continue; /* the first line of a person counts */
        if (r->npeople == r->cap) {
            r->cap = r->cap ? 2 * r->cap : 1024;
            r->first = cdp_xrealloc(r->first, r->cap * sizeof *r->first);
            r->count = cdp_xrealloc(r->count, r->cap * sizeof *r->count);
        }
        r->first[person] = r->nskus;
        r->count[person] = 0;
        r->npeople++;
        size_t pos = 0;
        const char *e;
        size_t elen;
        while (list && list->type == CDP_ARRAY && r->count[person] < columns &&
               cdp_json_array_next(list->val, list->vlen, &pos, &e, &elen)) {
            if (!element_sku(json, &tmp, &obj, e, elen, &sku)) {
                k = cdp_runfile_damaged(rf, err, "a recommendation without a sku");
                break;
            }
            add_sku(r, sku.data ? sku.data : "", sku.len);
            r->count[person]++;
        }
        if (k < 0)
            break;
    }
    cdp_buf_release(&tmp);
    cdp_buf_release(&sku);
    cdp_record_release(&rec);
    cdp_record_release(&obj);
    cdp_json_parser_free(json);
    cdp_runfile_close(rf);
    if (k < 0) {
        cdp_export_recs_free(r);
        return NULL;
    }
    return r;
}

void cdp_export_recs_free(struct cdp_export_recs *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->columns; i++)
        free(r->headers[i]);
    free(r->headers);
    cdp_intern_free(r->ids);
    free(r->first);
    free(r->count);
    cdp_buf_release(&r->text);
    free(r->sku_off);
    free(r->sku_len);
    free(r);
}

const char *const *cdp_export_recs_headers(const struct cdp_export_recs *r, size_t *n)
{
    *n = r->columns;
    return (const char *const *)r->headers;
}

/* The person of a profile, or UINT32_MAX. */
static uint32_t person_of(const struct cdp_export_recs *r, const struct cdp_record *rec)
{
    const struct cdp_field *id = cdp_record_gets(rec, "cdp_id");
    if (!id || id->type != CDP_STRING)
        return UINT32_MAX;
    return cdp_intern_find(r->ids, id->val, id->vlen);
}

void cdp_export_recs_cells(const struct cdp_export_recs *r, const struct cdp_record *rec,
                           struct cdp_cells *cells)
{
    uint32_t p = person_of(r, rec);
    size_t n = p == UINT32_MAX ? 0 : r->count[p];
    for (size_t i = 0; i < r->columns; i++) {
        if (i < n) {
            size_t s = r->first[p] + i;
            cdp_cells_add(cells, r->text.data + r->sku_off[s], r->sku_len[s]);
        } else {
            cdp_cells_add(cells, "", 0);
        }
    }
}

void cdp_export_recs_json(const struct cdp_export_recs *r, const struct cdp_record *rec,
                          struct cdp_buf *line)
{
    uint32_t p = person_of(r, rec);
    size_t n = p == UINT32_MAX ? 0 : r->count[p];
    while (line->len && (line->data[line->len - 1] == ' ' || line->data[line->len - 1] == '\r' ||
                         line->data[line->len - 1] == '\t'))
        line->len--;
    if (!line->len || line->data[line->len - 1] != '}')
        return;
    line->len--;
    cdp_buf_adds(line, line->len && line->data[line->len - 1] == '{' ? "\"recommendations\":["
                                                                     : ",\"recommendations\":[");
    for (size_t i = 0; i < n; i++) {
        size_t s = r->first[p] + i;
        if (i)
            cdp_buf_addc(line, ',');
        cdp_json_add_string(line, r->text.data + r->sku_off[s], r->sku_len[s]);
    }
    cdp_buf_adds(line, "]}");
}
