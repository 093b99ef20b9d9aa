/* lang.h: numbers, money, shares and dates as a reader of the page's
 * language writes them.
 *
 *   en: 1,234,567   ₽1,234,567.50    12.5%   +3.2 pp   20 Nov 2026   20 Nov
 *   ru: 1 234 567   1 234 567,50 ₽   12,5 %  +3,2 п. п. 20 ноября 2026   20.11
 *
 * Russian groups digits with a no-break space (U+00A0, so that a number
 * never breaks over two lines) and puts a no-break space before % and ₽;
 * negative numbers take a real minus sign (U+2212) in both. NaN and
 * infinities are written as an em dash: "no figure". */
#ifndef CDP_INSIGHT_LANG_H
#define CDP_INSIGHT_LANG_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"

enum cdp_lang { CDP_LANG_EN, CDP_LANG_RU };

/* "en" or "ru" (also "en_GB.UTF-8", "ru_RU" and the like); false for
 * another language. */
bool cdp_lang_parse(const char *s, enum cdp_lang *lang);
const char *cdp_lang_code(enum cdp_lang lang);

/* A number rounded to `decimals` places (0 to 6), digits grouped. */
void cdp_fmt_number(struct cdp_buf *b, enum cdp_lang lang, double v, int decimals);
/* A count: cdp_fmt_number with no decimals. */
void cdp_fmt_count(struct cdp_buf *b, enum cdp_lang lang, uint64_t n);
/* Roubles, with `decimals` places (2 for amounts, 0 for large totals). */
void cdp_fmt_money(struct cdp_buf *b, enum cdp_lang lang, double v, int decimals);
/* A share (0.125) as a percentage ("12.5%"). */
void cdp_fmt_percent(struct cdp_buf *b, enum cdp_lang lang, double share, int decimals);
/* A difference of shares (0.032) in percentage points, always signed
 * ("+3.2 pp"). */
void cdp_fmt_points(struct cdp_buf *b, enum cdp_lang lang, double diff, int decimals);
/* A signed number ("+12", "−3"), for changes. */
void cdp_fmt_signed(struct cdp_buf *b, enum cdp_lang lang, double v, int decimals);
/* A day (days since 1970-01-01): "20 Nov 2026" / "20 ноября 2026"; short:
 * "20 Nov" / "20.11", for chart axes. */
void cdp_fmt_date(struct cdp_buf *b, enum cdp_lang lang, int64_t day);
void cdp_fmt_date_short(struct cdp_buf *b, enum cdp_lang lang, int64_t day);
/* A day as ISO 8601, "2026-11-20" (for --json and file names). */
void cdp_fmt_iso_day(struct cdp_buf *b, int64_t day);

#endif
