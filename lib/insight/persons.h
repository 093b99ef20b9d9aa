/* persons.h: the report's identity section: persons and their records
 * (from the profiles), ids merged and split since the night before (from
 * cdp-dedupe's journal, identity/journal.h: the entries of runs after
 * those the copy kept with that night names), links used and refused and the model's match weights (from
 * cdp-dedupe's --links file). */
#ifndef CDP_INSIGHT_PERSONS_H
#define CDP_INSIGHT_PERSONS_H

#include "insight/fields.h"
#include "insight/figures.h"

/* Adds one profile (a line of cdp-merge's or cdp-segment's output);
 * nested parses its objects. */
void cdp_persons_add_profile(struct cdp_identity_figures *id, const struct cdp_record *profile,
                             struct cdp_nested *nested);

/* The journal at path, and the one kept with the night before (NULL when
 * none was): fills the journal figures, "since" being the entries of runs
 * after the last run the night before's names (all of them when no copy
 * was kept); -1 with err when either cannot be read. */
int cdp_persons_read_journal(struct cdp_identity_figures *id, const char *path,
                             const char *before, int64_t before_day, struct cdp_error *err);

/* The links file at path. -1 with err when it cannot be read. */
int cdp_persons_read_links(struct cdp_identity_figures *id, const char *path, struct cdp_error *err);

void cdp_persons_release(struct cdp_identity_figures *id);

#endif
