/* date: dates and times as exports write them (norm/date.h).
 *
 * The first byte chooses the options: bits 0-1 the date order (dmy, mdy,
 * ymd), bit 2 whether epoch seconds are allowed, bits 3-7 the default offset
 * (-14 to +14 hours). Checks, besides memory safety: a value read as a date
 * has a real calendar date and time; the date cdp-ingest writes for it
 * ("2024-03-05") reads back as the same date, and the time it writes
 * ("2024-03-05T07:20:30Z") is one that cdp_time_parse (what cdp-merge and
 * cdp-segment use) reads (but for a time on 0001-01-01, 1C's empty date);
 * cdp_time_format of a time read gives a time that reads back as the same
 * second (or the nearest inside the years 0001 to 9999). */
#include "fuzz.h"

#include "base/buf.h"
#include "norm/date.h"

static int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t config = fuzz_take_byte(&data, &size);
    static const enum cdp_date_order orders[] = { CDP_ORDER_DMY, CDP_ORDER_MDY, CDP_ORDER_YMD,
                                                  CDP_ORDER_DMY };
    enum cdp_date_order order = orders[config & 3];
    bool epoch = config & 4;
    int offset = ((config >> 3) % 29 - 14) * 60; /* as --tz allows */
    const char *s = (const char *)data;
    struct cdp_datetime dt;
    struct cdp_buf out = CDP_BUF_INIT;
    struct cdp_datetime back;
    int64_t ms;
    if (cdp_datetime_parse(s, size, order, epoch, &dt) == CDP_DATE_OK) {
        FUZZ_CHECK(dt.year >= 1 && dt.year <= 9999 && dt.month >= 1 && dt.month <= 12 &&
                       dt.day >= 1 && dt.day <= cdp_days_in_month(dt.year, dt.month),
                   "date %d-%d-%d", dt.year, dt.month, dt.day);
        FUZZ_CHECK(dt.hour >= 0 && dt.hour <= 23 && dt.minute >= 0 && dt.minute <= 59 &&
                       dt.second >= 0 && dt.second <= 59,
                   "time %d:%d:%d", dt.hour, dt.minute, dt.second);
        cdp_date_format(&out, &dt);
        FUZZ_CHECK(cdp_datetime_parse(out.data, out.len, CDP_ORDER_YMD, false, &back) ==
                           CDP_DATE_OK &&
                       back.year == dt.year && back.month == dt.month && back.day == dt.day,
                   "date written as %s does not read back", out.data);
        cdp_buf_reset(&out);
        cdp_datetime_format_utc(&out, &dt, offset);
        /* A time on 0001-01-01 reads as no value: 1C's empty date. */
        FUZZ_CHECK(cdp_time_parse(out.data, out.len, &ms) ||
                       strncmp(out.data, "0001-01-01", 10) == 0,
                   "time written as %s does not read", out.data);
    }
    if (cdp_time_parse(s, size, &ms)) {
        cdp_buf_reset(&out);
        cdp_time_format(&out, ms);
        /* A time outside the years 0001-9999 is written as the nearest
         * inside them; one on 0001-01-01 reads as no value (1C's empty
         * date). */
        int64_t first = cdp_days_from_civil(1, 1, 1) * 86400;
        int64_t last = cdp_days_from_civil(9999, 12, 31) * 86400 + 86399;
        int64_t second = floor_div(ms, 1000);
        second = second < first ? first : second > last ? last : second;
        int64_t again;
        if (cdp_time_parse(out.data, out.len, &again))
            FUZZ_CHECK(floor_div(again, 1000) == second, "time %lld written as %s reads as %lld",
                       (long long)ms, out.data, (long long)again);
        else
            FUZZ_CHECK(second < first + 86400, "time %s does not read", out.data);
    }
    char *z = fuzz_padded(data, size, 0);
    int minutes;
    if (cdp_parse_utc_offset(z, &minutes))
        FUZZ_CHECK(minutes >= -14 * 60 - 59 && minutes <= 14 * 60 + 59, "offset %d", minutes);
    free(z);
    cdp_buf_release(&out);
    return 0;
}
