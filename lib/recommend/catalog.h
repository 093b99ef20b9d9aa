/* catalog.h: the shop's list of items, which says what may be offered.
 *
 * A CSV or NDJSON file (format from the name, else the content, as
 * io/reader.h decides; plain, .zst or .gz) with one item a row:
 *
 *   sku        required: the article, as the events write it
 *   category   optional: wins over the category the events give the item
 *   price      optional: kept for --filter (a number when it is one)
 *   in_stock   optional: yes/no in any spelling norm/vocab.h reads, true or
 *              false, or a stock count (more than 0: in stock); missing or
 *              empty: in stock
 *
 * Other columns are kept too, for the jq filter on candidate items. With a
 * catalogue, an item that is not in it, or not in stock, is never offered.
 * A row without a sku is skipped; an in_stock that is none of the above
 * marks the item out of stock (offering what may not exist is worse than
 * not offering it); both are reported through the hook with file:line. A
 * sku given twice keeps its later row (a feed with updates appended). */
#ifndef CDP_RECOMMEND_CATALOG_H
#define CDP_RECOMMEND_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "io/reader.h"

struct cdp_catalog_item {
    const char *sku;
    size_t sku_len;
    const char *category; /* NULL: none given */
    size_t category_len;
    const char *json; /* the row as a JSON object: CSV values as strings but
                         price a number and in_stock true/false */
    size_t json_len;
    bool in_stock;
};

/* Problems with single rows; file and line name the place. */
struct cdp_catalog_hooks {
    void *ctx;
    void (*problem)(void *ctx, const char *file, uint64_t line, const char *what);
};

struct cdp_catalog;

/* Reads path. NULL with err set when it cannot be read at all, or when a
 * CSV has no sku column. */
struct cdp_catalog *cdp_catalog_load(const char *path, const struct cdp_catalog_hooks *hooks,
                                     struct cdp_error *err);
void cdp_catalog_free(struct cdp_catalog *c);

/* The items, each sku once, in the order first given. */
size_t cdp_catalog_count(const struct cdp_catalog *c);
const struct cdp_catalog_item *cdp_catalog_item(const struct cdp_catalog *c, size_t i);

#endif
