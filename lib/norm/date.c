#include "norm/date.h"

#include <string.h>

#include "norm/text.h"

int64_t cdp_days_from_civil(int year, int month, int day)
{
    /* Howard Hinnant's algorithm: exact for the proleptic Gregorian calendar. */
    int64_t y = (int64_t)year - (month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = (month + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void cdp_civil_from_days(int64_t z, int *year, int *month, int *day)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    *year = (int)(y + (m <= 2));
    *month = (int)m;
    *day = (int)d;
}

int cdp_days_in_month(int year, int month)
{
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
        return 29;
    return days[month - 1];
}

/* Reads 1..max digits; returns how many were read. */
static size_t digits(const char *s, size_t len, size_t max, int *value)
{
    size_t i = 0;
    int v = 0;
    while (i < len && i < max && s[i] >= '0' && s[i] <= '9')
        v = v * 10 + (s[i++] - '0');
    *value = v;
    return i;
}

static bool parse_offset(const char *s, size_t len, int *minutes)
{
    if (len == 1 && (s[0] == 'Z' || s[0] == 'z')) {
        *minutes = 0;
        return true;
    }
    if (len == 3 && strncmp(s, "UTC", 3) == 0) {
        *minutes = 0;
        return true;
    }
    if (len < 3 || (s[0] != '+' && s[0] != '-'))
        return false;
    int sign = s[0] == '-' ? -1 : 1, h, m = 0;
    size_t i = 1;
    if (digits(s + i, len - i, 2, &h) != 2)
        return false;
    i += 2;
    if (i < len && s[i] == ':')
        i++;
    if (i < len) {
        if (digits(s + i, len - i, 2, &m) != 2)
            return false;
        i += 2;
    }
    if (i != len || h > 14 || m > 59)
        return false;
    *minutes = sign * (h * 60 + m);
    return true;
}

bool cdp_parse_utc_offset(const char *s, int *minutes)
{
    return parse_offset(s, strlen(s), minutes);
}

/* [T ]H[H]:MM[:SS[.f]][ ][offset] */
static bool parse_time(const char *s, size_t len, struct cdp_datetime *dt)
{
    size_t i = 0;
    if (i < len && (s[i] == 'T' || s[i] == 't' || s[i] == ' '))
        i++;
    while (i < len && s[i] == ' ')
        i++;
    size_t k = digits(s + i, len - i, 2, &dt->hour);
    if (k == 0 || i + k >= len || s[i + k] != ':')
        return false;
    i += k + 1;
    if (digits(s + i, len - i, 2, &dt->minute) != 2)
        return false;
    i += 2;
    dt->second = 0;
    if (i < len && s[i] == ':') {
        i++;
        if (digits(s + i, len - i, 2, &dt->second) != 2)
            return false;
        i += 2;
        if (i < len && (s[i] == '.' || s[i] == ',')) {
            i++;
            size_t f = 0;
            while (i < len && s[i] >= '0' && s[i] <= '9') {
                if (f < sizeof dt->frac - 1)
                    dt->frac[f++] = s[i];
                i++;
            }
            if (f == 0)
                return false;
            dt->frac[f] = '\0';
        }
    }
    if (dt->hour > 23 || dt->minute > 59 || dt->second > 60)
        return false;
    if (dt->second == 60)
        dt->second = 59; /* a leap second: keep it inside the minute */
    dt->has_time = true;
    while (i < len && s[i] == ' ')
        i++;
    if (i == len)
        return true;
    if (!parse_offset(s + i, len - i, &dt->offset_minutes))
        return false;
    dt->has_offset = true;
    return true;
}

static bool valid_ymd(int y, int m, int d)
{
    return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= cdp_days_in_month(y, m);
}

static void from_epoch(int64_t secs, struct cdp_datetime *dt)
{
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    cdp_civil_from_days(days, &dt->year, &dt->month, &dt->day);
    dt->hour = (int)(rem / 3600);
    dt->minute = (int)(rem / 60 % 60);
    dt->second = (int)(rem % 60);
    dt->has_time = true;
    dt->has_offset = true;
    dt->offset_minutes = 0;
}

static inline bool two_digits(const char *s, int *v)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
        return false;
    *v = (s[0] - '0') * 10 + (s[1] - '0');
    return true;
}

/* The shape 1C writes, DD.MM.YYYY with or without H:MM:SS or HH:MM:SS,
 * read at fixed places; false for anything else (the general reading below
 * gives the same fields for these, at three times the cost). */
static bool parse_1c(const char *s, size_t len, struct cdp_datetime *dt)
{
    if ((len != 10 && len != 18 && len != 19) || s[2] != '.' || s[5] != '.')
        return false;
    int hi, lo;
    if (!two_digits(s, &dt->day) || !two_digits(s + 3, &dt->month) || !two_digits(s + 6, &hi) ||
        !two_digits(s + 8, &lo))
        return false;
    dt->year = hi * 100 + lo;
    if (len == 10)
        return true;
    const char *t = s + 11;
    if (s[10] != ' ')
        return false;
    if (len == 18) {
        if (t[0] < '0' || t[0] > '9')
            return false;
        dt->hour = t[0] - '0';
        t += 1;
    } else if (!two_digits(t, &dt->hour)) {
        return false;
    } else {
        t += 2;
    }
    if (t[0] != ':' || !two_digits(t + 1, &dt->minute) || t[3] != ':' ||
        !two_digits(t + 4, &dt->second))
        return false;
    if (dt->hour > 23 || dt->minute > 59 || dt->second > 60)
        return false;
    if (dt->second == 60)
        dt->second = 59;
    dt->has_time = true;
    return true;
}

/* The shape cdp writes, YYYY-MM-DDTHH:MM:SSZ, read at fixed places; false
 * for anything else (the general reading below gives the same fields for
 * it, at four times the cost: cdp-merge reads one or two per record). */
static bool parse_utc(const char *s, size_t len, struct cdp_datetime *dt)
{
    if (len != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':' || s[19] != 'Z')
        return false;
    int hi, lo;
    if (!two_digits(s, &hi) || !two_digits(s + 2, &lo) || !two_digits(s + 5, &dt->month) ||
        !two_digits(s + 8, &dt->day) || !two_digits(s + 11, &dt->hour) ||
        !two_digits(s + 14, &dt->minute) || !two_digits(s + 17, &dt->second))
        return false;
    dt->year = hi * 100 + lo;
    if (dt->hour > 23 || dt->minute > 59 || dt->second > 60)
        return false;
    if (dt->second == 60)
        dt->second = 59;
    dt->has_time = true;
    dt->has_offset = true;
    dt->offset_minutes = 0;
    return true;
}

enum cdp_date_result cdp_datetime_parse(const char *s, size_t len, enum cdp_date_order order,
                                        bool allow_epoch, struct cdp_datetime *dt)
{
    memset(dt, 0, sizeof *dt);
    cdp_text_trim(&s, &len);
    if (len == 0)
        return CDP_DATE_EMPTY;
    /* The two fixed shapes never both match (a '.' at 2 against a '-' at 4):
     * 1C's first when the order is day first, so that its dates skip a
     * failed look at the other shape and a second memset. */
    if (order == CDP_ORDER_DMY && parse_1c(s, len, dt)) {
        if (dt->year == 1 && dt->month == 1 && dt->day == 1)
            return CDP_DATE_EMPTY; /* 1C writes its empty date as 01.01.0001 */
        return valid_ymd(dt->year, dt->month, dt->day) ? CDP_DATE_OK : CDP_DATE_INVALID;
    }
    memset(dt, 0, sizeof *dt);
    if (parse_utc(s, len, dt)) {
        if (dt->year == 1 && dt->month == 1 && dt->day == 1)
            return CDP_DATE_EMPTY;
        return valid_ymd(dt->year, dt->month, dt->day) ? CDP_DATE_OK : CDP_DATE_INVALID;
    }
    memset(dt, 0, sizeof *dt);
    int a, b, c;
    size_t i = 0, k;
    size_t all_digits = 0;
    while (all_digits < len && s[all_digits] >= '0' && s[all_digits] <= '9')
        all_digits++;
    if (all_digits == len && (len == 10 || len == 13) && allow_epoch) {
        int64_t v = 0;
        for (size_t j = 0; j < len; j++)
            v = v * 10 + (s[j] - '0');
        if (len == 13) {
            int ms = (int)(v % 1000);
            v /= 1000;
            from_epoch(v, dt);
            dt->frac[0] = (char)('0' + ms / 100);
            dt->frac[1] = (char)('0' + ms / 10 % 10);
            dt->frac[2] = (char)('0' + ms % 10);
            dt->frac[3] = '\0';
        } else {
            from_epoch(v, dt);
        }
        return CDP_DATE_OK;
    }
    if (all_digits == 8 && (len == 8 || s[8] == 'T' || s[8] == ' ')) {
        /* Compact 20240305. */
        digits(s, 4, 4, &a);
        digits(s + 4, 2, 2, &b);
        digits(s + 6, 2, 2, &c);
        dt->year = a, dt->month = b, dt->day = c;
        i = 8;
    } else if (all_digits == 4 && len > 4 && (s[4] == '-' || s[4] == '/' || s[4] == '.')) {
        char sep = s[4];
        i = 5;
        k = digits(s + i, len - i, 2, &b);
        if (k == 0 || i + k >= len || s[i + k] != sep)
            return CDP_DATE_INVALID;
        i += k + 1;
        k = digits(s + i, len - i, 2, &c);
        if (k == 0)
            return CDP_DATE_INVALID;
        i += k;
        digits(s, 4, 4, &a);
        dt->year = a, dt->month = b, dt->day = c;
    } else if (all_digits >= 1 && all_digits <= 2 && len > all_digits &&
               (s[all_digits] == '.' || s[all_digits] == '/' || s[all_digits] == '-')) {
        if (order == CDP_ORDER_YMD)
            return CDP_DATE_INVALID;
        char sep = s[all_digits];
        digits(s, 2, 2, &a);
        i = all_digits + 1;
        k = digits(s + i, len - i, 2, &b);
        if (k == 0 || i + k >= len || s[i + k] != sep)
            return CDP_DATE_INVALID;
        i += k + 1;
        if (digits(s + i, len - i, 4, &c) != 4)
            return CDP_DATE_INVALID;
        i += 4;
        dt->year = c;
        if (order == CDP_ORDER_MDY)
            dt->month = a, dt->day = b;
        else
            dt->day = a, dt->month = b;
    } else {
        return CDP_DATE_INVALID;
    }
    if (i < len && !parse_time(s + i, len - i, dt))
        return CDP_DATE_INVALID;
    if (dt->year == 1 && dt->month == 1 && dt->day == 1)
        return CDP_DATE_EMPTY; /* 1C writes its empty date as 01.01.0001 */
    if (!valid_ymd(dt->year, dt->month, dt->day))
        return CDP_DATE_INVALID;
    return CDP_DATE_OK;
}

/* Writes v's two low digits at p; returns the end.
 * Dates are built in a small array and appended once: appending each part
 * to the buffer was most of the cost of writing a time. Two digits at a
 * time from a table: a division per digit was 2% of cdp-ingest's
 * instructions on a 1C export (callgrind), two dates a row. */
static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

static inline char *put_two(char *p, unsigned v)
{
    memcpy(p, digit_pairs + 2 * (v % 100), 2);
    return p + 2;
}

static char *put_date(char *p, int year, int month, int day)
{
    p = put_two(p, (unsigned)year / 100); /* the four low digits */
    p = put_two(p, (unsigned)year);
    *p++ = '-';
    p = put_two(p, (unsigned)month);
    *p++ = '-';
    return put_two(p, (unsigned)day);
}

void cdp_date_format(struct cdp_buf *out, const struct cdp_datetime *dt)
{
    char text[16];
    cdp_buf_add(out, text, (size_t)(put_date(text, dt->year, dt->month, dt->day) - text));
}

void cdp_datetime_format_utc(struct cdp_buf *out, const struct cdp_datetime *dt,
                             int default_offset)
{
    int offset = dt->has_offset ? dt->offset_minutes : default_offset;
    int64_t minute_of_day = (dt->has_time ? dt->hour * 60 + dt->minute : 0) - offset;
    int y = dt->year, m = dt->month, d = dt->day;
    int64_t rem = minute_of_day;
    if (minute_of_day < 0 || minute_of_day >= 1440 || y < 1 || y > 9999) {
        /* The offset moves the time to another day (a time on the same day
         * keeps its date: no calendar arithmetic for most times), or the
         * date is outside the years that can be written (cdp_time_format's
         * from a number of milliseconds). */
        int64_t mins = cdp_days_from_civil(dt->year, dt->month, dt->day) * 1440 + minute_of_day;
        int64_t days = mins >= 0 ? mins / 1440 : (mins - 1439) / 1440;
        rem = mins - days * 1440;
        cdp_civil_from_days(days, &y, &m, &d);
        if (y < 1 || y > 9999) {
            /* Out of range after the offset (0001-01-01 at +03:00): the
             * nearest time that can be written. Clamping the year alone
             * would move 0000-12-31 to 0001-12-31, a year later. */
            cdp_buf_adds(out, y < 1 ? "0001-01-01T00:00:00Z" : "9999-12-31T23:59:59Z");
            return;
        }
    }
    char text[32 + sizeof dt->frac];
    char *p = put_date(text, y, m, d);
    *p++ = 'T';
    p = put_two(p, (unsigned)(rem / 60));
    *p++ = ':';
    p = put_two(p, (unsigned)(rem % 60));
    *p++ = ':';
    p = put_two(p, (unsigned)(dt->has_time ? dt->second : 0));
    if (dt->frac[0]) {
        size_t n = strnlen(dt->frac, sizeof dt->frac);
        *p++ = '.';
        memcpy(p, dt->frac, n);
        p += n;
    }
    *p++ = 'Z';
    cdp_buf_add(out, text, (size_t)(p - text));
}

bool cdp_time_parse(const char *s, size_t len, int64_t *ms)
{
    struct cdp_datetime dt;
    if (cdp_datetime_parse(s, len, CDP_ORDER_YMD, false, &dt) != CDP_DATE_OK)
        return false;
    int64_t secs = cdp_days_from_civil(dt.year, dt.month, dt.day) * 86400;
    if (dt.has_time)
        secs += dt.hour * 3600 + dt.minute * 60 + dt.second;
    if (dt.has_offset)
        secs -= (int64_t)dt.offset_minutes * 60;
    int64_t frac = 0;
    for (int i = 0; i < 3; i++)
        frac = frac * 10 + (dt.frac[0] && i < (int)strlen(dt.frac) ? dt.frac[i] - '0' : 0);
    *ms = secs * 1000 + frac;
    return true;
}

void cdp_time_format(struct cdp_buf *out, int64_t ms)
{
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t rem = secs - days * 86400;
    struct cdp_datetime dt = { 0 };
    cdp_civil_from_days(days, &dt.year, &dt.month, &dt.day);
    dt.hour = (int)(rem / 3600);
    dt.minute = (int)(rem / 60 % 60);
    dt.second = (int)(rem % 60);
    dt.has_time = true;
    dt.has_offset = true;
    cdp_datetime_format_utc(out, &dt, 0);
}

bool cdp_date_order_parse(const char *s, enum cdp_date_order *order)
{
    static const char *const names[] = { "dmy", "mdy", "ymd" };
    for (int i = 0; i < 3; i++)
        if (strcmp(s, names[i]) == 0) {
            *order = (enum cdp_date_order)i;
            return true;
        }
    return false;
}
