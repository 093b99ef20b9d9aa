#include "recommend/catalog.h"

#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/intern.h"
#include "io/json.h"
#include "norm/vocab.h"

struct cdp_catalog {
    struct cdp_intern *skus; /* sku -> index in items */
    struct cdp_catalog_item *items;
    size_t n, cap;
    struct cdp_arena arena;
};

static bool key_is(const struct cdp_field *f, const char *key)
{
    return f->klen == strlen(key) && memcmp(f->key, key, f->klen) == 0;
}

/* Whether the stock value says the item can be sold; -1: it says nothing
 * we can read. */
static int in_stock(const struct cdp_field *f)
{
    if (!f || f->type == CDP_NULL || (f->type == CDP_STRING && f->vlen == 0))
        return 1;
    if (f->type == CDP_TRUE || f->type == CDP_FALSE)
        return f->type == CDP_TRUE;
    if (f->type == CDP_STRING) {
        int b = cdp_bool_parse(f->val, f->vlen, NULL);
        if (b >= 0)
            return b;
    }
    if ((f->type == CDP_NUMBER || f->type == CDP_STRING) && cdp_json_number_valid(f->val, f->vlen))
        return f->val[0] != '-' && strtod(f->val, NULL) > 0;
    return -1;
}

/* Adds one row; returns a problem to report, or NULL. */
static const char *add_row(struct cdp_catalog *c, const struct cdp_record *rec, struct cdp_buf *json)
{
    const struct cdp_field *sku = NULL, *category = NULL, *stock = NULL;
    for (size_t i = 0; i < rec->n; i++) {
        const struct cdp_field *f = &rec->f[i];
        if (key_is(f, "sku"))
            sku = f;
        else if (key_is(f, "category"))
            category = f;
        else if (key_is(f, "in_stock"))
            stock = f;
    }
    if (!sku || sku->vlen == 0 || sku->type == CDP_NULL || sku->type == CDP_ARRAY ||
        sku->type == CDP_OBJECT)
        return "no sku; row skipped";
    int ok = in_stock(stock);
    cdp_buf_reset(json);
    cdp_buf_addc(json, '{');
    for (size_t i = 0; i < rec->n; i++) {
        const struct cdp_field *f = &rec->f[i];
        if (i)
            cdp_buf_addc(json, ',');
        cdp_json_add_string(json, f->key, f->klen);
        cdp_buf_addc(json, ':');
        if (f == stock)
            cdp_buf_adds(json, ok > 0 ? "true" : "false");
        else if (key_is(f, "price") && f->type == CDP_STRING && cdp_json_number_valid(f->val, f->vlen))
            cdp_buf_add(json, f->val, f->vlen);
        else if (key_is(f, "sku") && f->type != CDP_STRING)
            cdp_json_add_string(json, f->val, f->vlen); /* a sku is text, however written */
        else
            cdp_json_add_value(json, f->val, f->vlen, f->type);
    }
    cdp_buf_addc(json, '}');
    int added;
    uint32_t id = cdp_intern_add(c->skus, sku->val, sku->vlen, &added);
    if (added) {
        if (c->n == c->cap) {
            c->cap = c->cap ? 2 * c->cap : 256;
            c->items = cdp_xrealloc(c->items, c->cap * sizeof *c->items);
        }
        c->n++;
    }
    struct cdp_catalog_item *it = &c->items[id];
    it->sku = cdp_intern_str(c->skus, id, &it->sku_len);
    it->category = NULL;
    it->category_len = 0;
    if (category && category->vlen && category->type == CDP_STRING) {
        it->category = cdp_arena_strdup(&c->arena, category->val, category->vlen);
        it->category_len = category->vlen;
    }
    it->json = cdp_arena_strdup(&c->arena, json->data, json->len);
    it->json_len = json->len;
    it->in_stock = ok > 0;
    return ok < 0 ? "in_stock is not yes/no or a number; taken as out of stock" : NULL;
}

struct cdp_catalog *cdp_catalog_load(const char *path, const struct cdp_catalog_hooks *hooks,
                                     struct cdp_error *err)
{
    struct cdp_reader_options opt;
    memset(&opt, 0, sizeof opt);
    struct cdp_reader *r = cdp_reader_open(path, &opt, err);
    if (!r)
        return NULL;
    const char *const *columns;
    size_t ncolumns = cdp_reader_columns(r, &columns);
    if (cdp_reader_format(r) == CDP_FORMAT_CSV) {
        size_t i = 0;
        while (i < ncolumns && strcmp(columns[i], "sku") != 0)
            i++;
        if (i == ncolumns) {
            cdp_errorf(err, "%s: no sku column in the catalogue", cdp_reader_name(r));
            cdp_reader_close(r);
            return NULL;
        }
    }
    struct cdp_catalog *c = cdp_xcalloc(1, sizeof *c);
    c->skus = cdp_intern_new();
    struct cdp_record rec = CDP_RECORD_INIT;
    struct cdp_row row;
    struct cdp_buf json = CDP_BUF_INIT;
    enum cdp_read k;
    while ((k = cdp_reader_next(r, &rec, &row, err)) != CDP_READ_END) {
        if (k == CDP_READ_ERROR) {
            cdp_catalog_free(c);
            c = NULL;
            break;
        }
        const char *problem = k == CDP_READ_BAD ? row.reason : add_row(c, &rec, &json);
        if (problem && hooks && hooks->problem)
            hooks->problem(hooks->ctx, cdp_reader_name(r), row.line, problem);
    }
    cdp_buf_release(&json);
    cdp_record_release(&rec);
    cdp_reader_close(r);
    return c;
}

void cdp_catalog_free(struct cdp_catalog *c)
{
    if (!c)
        return;
    cdp_intern_free(c->skus);
    free(c->items);
    cdp_arena_release(&c->arena);
    free(c);
}

size_t cdp_catalog_count(const struct cdp_catalog *c)
{
    return c->n;
}

const struct cdp_catalog_item *cdp_catalog_item(const struct cdp_catalog *c, size_t i)
{
    return &c->items[i];
}
