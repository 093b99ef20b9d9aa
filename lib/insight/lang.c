/* lang.c: see lang.h. */
#include "insight/lang.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "norm/date.h"

#define NBSP "\xc2\xa0"
#define MINUS "\xe2\x88\x92"
#define DASH "\xe2\x80\x94"
#define ROUBLE "\xe2\x82\xbd"

bool cdp_lang_parse(const char *s, enum cdp_lang *lang)
{
    if (!strncmp(s, "en", 2) && (s[2] == '\0' || s[2] == '_' || s[2] == '-' || s[2] == '.'))
        *lang = CDP_LANG_EN;
    else if (!strncmp(s, "ru", 2) && (s[2] == '\0' || s[2] == '_' || s[2] == '-' || s[2] == '.'))
        *lang = CDP_LANG_RU;
    else
        return false;
    return true;
}

const char *cdp_lang_code(enum cdp_lang lang)
{
    return lang == CDP_LANG_RU ? "ru" : "en";
}

/* |v| rounded to decimals places, its digits grouped, without a sign. */
static void add_magnitude(struct cdp_buf *b, enum cdp_lang lang, double v, int decimals)
{
    char digits[400];
    if (decimals < 0)
        decimals = 0;
    if (decimals > 6)
        decimals = 6;
    int n = snprintf(digits, sizeof digits, "%.*f", decimals, fabs(v));
    if (n < 0 || (size_t)n >= sizeof digits)
        return;
    const char *point = strchr(digits, '.');
    size_t whole = point ? (size_t)(point - digits) : (size_t)n;
    for (size_t i = 0; i < whole; i++) {
        if (i > 0 && (whole - i) % 3 == 0)
            cdp_buf_adds(b, lang == CDP_LANG_RU ? NBSP : ",");
        cdp_buf_addc(b, digits[i]);
    }
    if (point) {
        cdp_buf_addc(b, lang == CDP_LANG_RU ? ',' : '.');
        cdp_buf_adds(b, point + 1);
    }
}

/* Whether v rounds to zero at decimals places (no "−0"). */
static bool rounds_to_zero(double v, int decimals)
{
    return fabs(v) < 0.5 * pow(10, -decimals);
}

void cdp_fmt_number(struct cdp_buf *b, enum cdp_lang lang, double v, int decimals)
{
    if (!isfinite(v)) {
        cdp_buf_adds(b, DASH);
        return;
    }
    if (v < 0 && !rounds_to_zero(v, decimals))
        cdp_buf_adds(b, MINUS);
    add_magnitude(b, lang, v, decimals);
}

void cdp_fmt_count(struct cdp_buf *b, enum cdp_lang lang, uint64_t n)
{
    cdp_fmt_number(b, lang, (double)n, 0);
}

void cdp_fmt_money(struct cdp_buf *b, enum cdp_lang lang, double v, int decimals)
{
    if (!isfinite(v)) {
        cdp_buf_adds(b, DASH);
        return;
    }
    if (v < 0 && !rounds_to_zero(v, decimals))
        cdp_buf_adds(b, MINUS);
    if (lang == CDP_LANG_EN)
        cdp_buf_adds(b, ROUBLE);
    add_magnitude(b, lang, v, decimals);
    if (lang == CDP_LANG_RU)
        cdp_buf_adds(b, NBSP ROUBLE);
}

void cdp_fmt_percent(struct cdp_buf *b, enum cdp_lang lang, double share, int decimals)
{
    cdp_fmt_number(b, lang, share * 100, decimals);
    if (isfinite(share))
        cdp_buf_adds(b, lang == CDP_LANG_RU ? NBSP "%" : "%");
}

void cdp_fmt_signed(struct cdp_buf *b, enum cdp_lang lang, double v, int decimals)
{
    if (isfinite(v) && v > 0 && !rounds_to_zero(v, decimals))
        cdp_buf_addc(b, '+');
    cdp_fmt_number(b, lang, v, decimals);
}

void cdp_fmt_points(struct cdp_buf *b, enum cdp_lang lang, double diff, int decimals)
{
    cdp_fmt_signed(b, lang, diff * 100, decimals);
    if (isfinite(diff))
        cdp_buf_adds(b, lang == CDP_LANG_RU ? NBSP "п." NBSP "п." : NBSP "pp");
}

static const char *const months_en[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
/* The genitive, as a date is said: 20 ноября. */
static const char *const months_ru[12] = { "января", "февраля", "марта",    "апреля",
                                            "мая",    "июня",    "июля",     "августа",
                                            "сентября", "октября", "ноября", "декабря" };

void cdp_fmt_date(struct cdp_buf *b, enum cdp_lang lang, int64_t day)
{
    int y, m, d;
    cdp_civil_from_days(day, &y, &m, &d);
    cdp_buf_printf(b, "%d" NBSP "%s" NBSP "%d", d,
                   lang == CDP_LANG_RU ? months_ru[m - 1] : months_en[m - 1], y);
}

void cdp_fmt_date_short(struct cdp_buf *b, enum cdp_lang lang, int64_t day)
{
    int y, m, d;
    cdp_civil_from_days(day, &y, &m, &d);
    if (lang == CDP_LANG_RU)
        cdp_buf_printf(b, "%02d.%02d", d, m);
    else
        cdp_buf_printf(b, "%d" NBSP "%s", d, months_en[m - 1]);
}

void cdp_fmt_iso_day(struct cdp_buf *b, int64_t day)
{
    int y, m, d;
    cdp_civil_from_days(day, &y, &m, &d);
    cdp_buf_printf(b, "%04d-%02d-%02d", y, m, d);
}
