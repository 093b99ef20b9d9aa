/* idmap.h: the person ids cdp-dedupe merged away, each to the id that
 * absorbed it: cdp-merge --journal, and the report's lists kept on earlier
 * nights (a campaign's arms, last night's open carts), which name people by
 * the ids they had then.
 *
 * When new evidence joins two persons, cdp-dedupe keeps the older id and
 * its journal says {"from": newer, "to": older, "reason": "merged"}; the
 * records linked on earlier nights still carry the id merged away. Read
 * through this map, every record of the person is merged under the id that
 * survives, following merges to the end of their chain (a cycle, which a
 * sane journal never holds, stops where it closes). "split" entries move no
 * record: which earlier records went to the new id only cdp-dedupe's state
 * knows, so they stay with the id they were linked to. */
#ifndef CDP_IDENTITY_IDMAP_H
#define CDP_IDENTITY_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct cdp_idmap;

/* Reads the journal at path (journal.h); NULL path: an empty map (no
 * merges). NULL with err set when it cannot be read or is damaged. */
struct cdp_idmap *cdp_idmap_read(const char *path, struct cdp_error *err);
void cdp_idmap_free(struct cdp_idmap *m);

/* The journal's entries (of every reason), and whether those after the
 * first `since` of them merge any id. */
uint64_t cdp_idmap_entries(const struct cdp_idmap *m);
bool cdp_idmap_merges_since(const struct cdp_idmap *m, uint64_t since);

/* The id that absorbed id (len bytes): true with *to and *tolen (valid
 * while m lives) when it was merged away, false when it stands. */
bool cdp_idmap_follow(const struct cdp_idmap *m, const char *id, size_t len, const char **to,
                      size_t *tolen);

#endif
