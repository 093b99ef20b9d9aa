/* audiences.h: the report's audience section: each segment's size night
 * by night (cdp-segment's history, segment/history.h), tonight's entered
 * and exited, the overlap of segments and the RFM grid (from tonight's
 * segment output). */
#ifndef CDP_INSIGHT_AUDIENCES_H
#define CDP_INSIGHT_AUDIENCES_H

#include "insight/fields.h"
#include "insight/figures.h"

/* Reads the history at path (read twice: names, then sizes). -1 with err
 * when it cannot be read or is damaged; au is then left empty. */
int cdp_audiences_read_history(struct cdp_audience_figures *au, const char *path,
                               struct cdp_error *err);

/* The index of segment name in au->names, or -1. */
long cdp_audiences_find(const struct cdp_audience_figures *au, const char *name, size_t len);

/* Adds one profile of tonight's segment output (overlap, RFM). */
void cdp_audiences_add_profile(struct cdp_audience_figures *au, const struct cdp_record *profile,
                               struct cdp_nested *nested);

void cdp_audiences_release(struct cdp_audience_figures *au);

#endif
