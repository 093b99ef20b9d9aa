/* figjson.h: every figure of the report as one JSON object (--json), for a
 * cron job or a test to check: the same whatever the page's language.
 * NaN (no figure) is written as null; shares are fractions (0.125), money
 * in roubles. cdp-report(1), THE JSON. */
#ifndef CDP_INSIGHT_FIGJSON_H
#define CDP_INSIGHT_FIGJSON_H

#include "base/buf.h"
#include "insight/figures.h"

void cdp_insight_json(const struct cdp_insight *fig, struct cdp_buf *out);

#endif
