/* idmap.h: person ids as they are tonight. A list kept on an earlier
 * night (a campaign's arms, last night's open carts) names people by the
 * ids they had then; cdp-dedupe's journal (identity/journal.h) says which
 * ids were merged into which since, and this follows those merges, as
 * cdp-segment does for entered and exited. A split keeps the old id for
 * part of the records, so an id that was split is left as it is. */
#ifndef CDP_INSIGHT_IDMAP_H
#define CDP_INSIGHT_IDMAP_H

#include <stddef.h>

#include "base/error.h"

struct cdp_idmap;

/* From the journal at path; NULL path: an empty map (no merges). NULL with
 * err when the journal cannot be read. */
struct cdp_idmap *cdp_idmap_read(const char *path, struct cdp_error *err);
void cdp_idmap_free(struct cdp_idmap *m);

/* The id that id (len bytes) has tonight (itself when never merged), and
 * its length. */
const char *cdp_idmap_follow(const struct cdp_idmap *m, const char *id, size_t len, size_t *outlen);

#endif
