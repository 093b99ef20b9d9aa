/* recs.h: recommendations in a campaign file.
 *
 * cdp-recommend writes one line per person (cdp-recommend(1), OUTPUT;
 * recommend/write.h owns the format):
 *   {"cdp_id":"...","recommendations":[{"sku":"K3",...},...],...}
 * An export puts each profile's first N skus into its row, so that "your
 * cart and what goes with it" is one nightly step: CSV formats get the
 * columns rec_1 .. rec_N (empty when the person has fewer, or none), for a
 * mailing service's merge tags; NDJSON lines get a member
 * "recommendations":["K3",...]. Profiles are matched by cdp_id. The file is
 * one a previous step wrote and this one depends on (io/runfile.h): a line
 * that is not a JSON object with a string cdp_id is an error naming the
 * file and line; elements of "recommendations" may also be plain skus. */
#ifndef CDP_EXPORT_RECS_H
#define CDP_EXPORT_RECS_H

#include <stddef.h>

#include "base/buf.h"
#include "base/error.h"
#include "export/format.h"
#include "io/record.h"

struct cdp_export_recs;

/* Reads path, keeping at most columns skus a person (1 or more). NULL with
 * err set when it cannot be read or a line is damaged. */
struct cdp_export_recs *cdp_export_recs_load(const char *path, size_t columns,
                                             struct cdp_error *err);
void cdp_export_recs_free(struct cdp_export_recs *r);

/* The column names, "rec_1" .. "rec_N". */
const char *const *cdp_export_recs_headers(const struct cdp_export_recs *r, size_t *n);

/* Appends the N cells of the profile rec (by its cdp_id). */
void cdp_export_recs_cells(const struct cdp_export_recs *r, const struct cdp_record *rec,
                           struct cdp_cells *cells);

/* Inserts ,"recommendations":[...] before the closing brace of line, the
 * profile's JSON text (rec, its fields). */
void cdp_export_recs_json(const struct cdp_export_recs *r, const struct cdp_record *rec,
                          struct cdp_buf *line);

#endif
