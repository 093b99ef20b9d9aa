/* campaign.h: did a campaign beat its control group?
 *
 * A campaign is sent to a segment on a day (--campaign SEGMENT@DATE): the
 * segment output of that day (cdp-segment's, kept under nights/DATE) says
 * who was sent it (the segment in "segments") and who was held out (in
 * "holdout"). Their ids are followed to tonight's (idmap.h); the linked
 * events then say what each person did in the window: the `window` days
 * after the day (from the next midnight, UTC), up to tonight's end.
 * Per arm: people, who bought (a purchase line: conversion), revenue
 * (purchase lines less return lines) and orders (distinct order ids) per
 * person. Conversion is compared by Newcombe's interval and the
 * two-proportion z-test, revenue and orders per person by Welch's t
 * (stats.h); the verdict follows the conversion interval. */
#ifndef CDP_INSIGHT_CAMPAIGN_H
#define CDP_INSIGHT_CAMPAIGN_H

#include "insight/fields.h"
#include "insight/figures.h"
#include "identity/idmap.h"

struct cdp_campaign_run;

/* Reads the arms of c (c->segment, c->day, c->window set) from the segment
 * output at path. NULL with err when it cannot be read. */
struct cdp_campaign_run *cdp_campaign_start(struct cdp_campaign *c, const char *path,
                                            const struct cdp_idmap *ids, struct cdp_error *err);

/* One linked event of person cid: kind and amount as cdp_event_classify
 * gives them, its time, its order id (NULL: none). */
void cdp_campaign_event(struct cdp_campaign_run *r, const char *cid, size_t len,
                        enum cdp_event_kind kind, double amount, int64_t ms, const char *order,
                        size_t olen);

/* The figures and the verdict into the campaign; frees r. tonight is the
 * last day with events. */
void cdp_campaign_finish(struct cdp_campaign_run *r, int64_t tonight);

/* Works out rates, uplift, intervals and the verdict from c's arms. */
void cdp_campaign_compare(struct cdp_campaign *c);

#endif
