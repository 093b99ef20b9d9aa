/* decimal.h: amounts as exports write them, to JSON numbers.
 *
 * "1 234,50", "1234.50", "1,234.50", "1.234,50", "-5", "+7", "0,5" and
 * spaces (also NO-BREAK SPACE and NARROW NO-BREAK SPACE, which Excel and 1C
 * use) between thousands. A separator that occurs once is the decimal
 * separator (so "1,234" is 1.234, as a Russian export means it); one that is
 * repeated ("1,234,567") separates thousands; with both kinds the last one
 * is the decimal separator. The digits are kept as written: "1234,50" is 1234.50, never
 * 1234.5 or a binary float. */
#ifndef CDP_NORM_DECIMAL_H
#define CDP_NORM_DECIMAL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

/* Numbers of the schema are below 10^12 in magnitude (a trillion: beyond
 * any order or balance, and cdp-merge's sums in 1/10000 of a unit still fit
 * 64 bits); a value with more integer digits is invalid, never wrapped. */
#define CDP_DECIMAL_INT_DIGITS 12

/* Appends the JSON number and returns true; false (out unchanged) if the
 * text is not a number, or is out of range. */
bool cdp_decimal_normalize(struct cdp_buf *out, const char *s, size_t len);

/* Whether a JSON number as written (s, len) is one of the schema: no
 * exponent (cdp-schema(5)), and in range. */
bool cdp_decimal_json_ok(const char *s, size_t len);

#endif
