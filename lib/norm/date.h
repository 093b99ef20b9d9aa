/* date.h: dates and times as people and exports write them, to ISO 8601.
 *
 * Accepted: ISO (2024-03-05, 2024-03-05T10:20:30.123+03:00, a space for the
 * T, Z or an offset), day-first or month-first with dots, slashes or dashes
 * (05.03.2024, 05/03/2024 10:20, as --date-order says), compact 20240305,
 * and for times also Unix epoch seconds (10 digits) or milliseconds (13).
 * Impossible dates (31.02.2024) are invalid; 1C's "empty date" 01.01.0001
 * means no value. Times without an offset are taken to be in a given fixed
 * offset from UTC; output times are UTC ("...Z"). */
#ifndef CDP_NORM_DATE_H
#define CDP_NORM_DATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

enum cdp_date_order { CDP_ORDER_DMY, CDP_ORDER_MDY, CDP_ORDER_YMD };

/* "dmy", "mdy" or "ymd"; false for anything else. */
bool cdp_date_order_parse(const char *s, enum cdp_date_order *order);

enum cdp_date_result { CDP_DATE_OK, CDP_DATE_EMPTY, CDP_DATE_INVALID };

struct cdp_datetime {
    int year, month, day;
    int hour, minute, second;
    char frac[10]; /* fractional second digits as written, "" if none */
    bool has_time;
    bool has_offset;
    int offset_minutes; /* east of UTC, when has_offset */
};

enum cdp_date_result cdp_datetime_parse(const char *s, size_t len, enum cdp_date_order order,
                                        bool allow_epoch, struct cdp_datetime *dt);

/* "2024-03-05" */
void cdp_date_format(struct cdp_buf *out, const struct cdp_datetime *dt);
/* "2024-03-05T07:20:30Z" (or with .frac): converted to UTC; a time without
 * an offset is taken to be at default_offset minutes east of UTC; a date
 * without a time is midnight there. dt's date is a calendar date (as
 * cdp_datetime_parse or cdp_civil_from_days gives it). A time that falls
 * outside the years 0001-9999 in UTC is written as the nearest one inside
 * them. */
void cdp_datetime_format_utc(struct cdp_buf *out, const struct cdp_datetime *dt,
                             int default_offset);

/* Days since 1970-01-01 of a proleptic Gregorian date (negative before). */
int64_t cdp_days_from_civil(int year, int month, int day);
void cdp_civil_from_days(int64_t days, int *year, int *month, int *day);
int cdp_days_in_month(int year, int month);

/* A time as cdp-ingest writes it ("2024-03-05T07:20:30.123Z", or a date
 * "2024-03-05", taken as midnight UTC) to milliseconds since 1970 UTC;
 * false when it is not one. */
bool cdp_time_parse(const char *s, size_t len, int64_t *ms);
/* Milliseconds since 1970 to "2024-03-05T07:20:30Z" (seconds precision). */
void cdp_time_format(struct cdp_buf *out, int64_t ms);

/* "+03:00", "-0530", "UTC", "Z" to minutes east of UTC; false if malformed. */
bool cdp_parse_utc_offset(const char *s, int *minutes);

#endif
