/* columns.h: an export's own columns (cdp-export -c HEADER=JQ): a jq
 * program over each profile (rules/jq.h), whose first output is the cell
 * (export/format.h's cdp_cells_add_json: a string as its text, null or no
 * output as an empty cell, anything else as its JSON text).
 *
 * Each program runs under the budget of base/guard.h, named "column
 * 'HEADER'" when it stops the run. A program that fails on a profile fails
 * the row (column_error), so that no row goes out with a cell missing. */
#ifndef CDP_EXPORT_COLUMNS_H
#define CDP_EXPORT_COLUMNS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "export/format.h"
#include "io/record.h"

struct cdp_export_columns;

/* Compiles exprs[0..n), the columns headed headers[0..n) (kept, not
 * copied). NULL with err "-c HEADER: what jq said" when one does not
 * compile. */
struct cdp_export_columns *cdp_export_columns_new(const char *const *headers, const char *const *exprs,
                                                  size_t n, struct cdp_error *err);
void cdp_export_columns_free(struct cdp_export_columns *c);

/* Appends the cells of the profile rec. False when a program fails: err
 * holds jq's message (which may quote the profile's values) and *failed
 * the column's header. */
bool cdp_export_columns_cells(struct cdp_export_columns *c, const struct cdp_record *rec,
                              struct cdp_cells *cells, const char **failed, struct cdp_error *err);

#endif
