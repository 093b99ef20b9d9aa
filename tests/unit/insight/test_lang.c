/* Unit tests for insight/lang.h: numbers, money, shares and dates as the
 * page writes them in English and in Russian (issue #16: "1 234 567,50 ₽ /
 * 1,234,567.50"). The expected strings are written out here byte for byte,
 * the Russian no-break spaces (U+00A0) and the minus sign (U+2212) as
 * escapes, so that an editor cannot turn them into plain spaces and hyphens. */
#include <math.h>
#include <stdlib.h>

#include "../check.h"
#include "insight/lang.h"

#define NBSP "\xc2\xa0"
#define MINUS "\xe2\x88\x92"
#define DASH "\xe2\x80\x94"

/* Each formatter into a fresh buffer, the text compared with want. */
#define FMT(want, call)                                                                    \
    do {                                                                                   \
        struct cdp_buf b_ = CDP_BUF_INIT;                                                  \
        call;                                                                              \
        cdp_buf_addc(&b_, '\0');                                                           \
        CHECK_STR(b_.data, want);                                                          \
        cdp_buf_release(&b_);                                                              \
    } while (0)

static void languages(void)
{
    enum cdp_lang l = CDP_LANG_EN;
    CHECK(cdp_lang_parse("ru_RU.UTF-8", &l) && l == CDP_LANG_RU);
    CHECK(cdp_lang_parse("en", &l) && l == CDP_LANG_EN);
    CHECK(cdp_lang_parse("ru", &l) && l == CDP_LANG_RU);
    CHECK(cdp_lang_parse("en-GB", &l) && l == CDP_LANG_EN);
    CHECK(!cdp_lang_parse("de_DE.UTF-8", &l) && l == CDP_LANG_EN);
    CHECK(!cdp_lang_parse("rus", &l));
    CHECK(!cdp_lang_parse("C", &l));
    CHECK_STR(cdp_lang_code(CDP_LANG_RU), "ru");
}

static void numbers(void)
{
    FMT("1,234,567.50", cdp_fmt_number(&b_, CDP_LANG_EN, 1234567.5, 2));
    FMT("1" NBSP "234" NBSP "567,50", cdp_fmt_number(&b_, CDP_LANG_RU, 1234567.5, 2));
    FMT("999", cdp_fmt_number(&b_, CDP_LANG_RU, 999, 0));
    FMT("1" NBSP "000", cdp_fmt_number(&b_, CDP_LANG_RU, 999.5, 0));
    FMT("100,000", cdp_fmt_count(&b_, CDP_LANG_EN, 100000));
    FMT("0", cdp_fmt_count(&b_, CDP_LANG_EN, 0));
    FMT(MINUS "1,234.6", cdp_fmt_number(&b_, CDP_LANG_EN, -1234.56, 1));
    /* Rounding to zero writes no minus sign. */
    FMT("0.00", cdp_fmt_number(&b_, CDP_LANG_EN, -0.001, 2));
    FMT(DASH, cdp_fmt_number(&b_, CDP_LANG_RU, NAN, 2));
    FMT(DASH, cdp_fmt_number(&b_, CDP_LANG_EN, INFINITY, 0));
}

static void money_and_shares(void)
{
    FMT("\xe2\x82\xbd" "1,234,567.50", cdp_fmt_money(&b_, CDP_LANG_EN, 1234567.5, 2));
    FMT("1" NBSP "234" NBSP "567,50" NBSP "\xe2\x82\xbd", cdp_fmt_money(&b_, CDP_LANG_RU, 1234567.5, 2));
    FMT(MINUS "\xe2\x82\xbd" "20", cdp_fmt_money(&b_, CDP_LANG_EN, -19.5, 0));
    FMT(DASH, cdp_fmt_money(&b_, CDP_LANG_RU, NAN, 2));
    FMT("12.5%", cdp_fmt_percent(&b_, CDP_LANG_EN, 0.125, 1));
    FMT("12,5" NBSP "%", cdp_fmt_percent(&b_, CDP_LANG_RU, 0.125, 1));
    FMT(DASH, cdp_fmt_percent(&b_, CDP_LANG_EN, NAN, 1));
    FMT("+3.2" NBSP "pp", cdp_fmt_points(&b_, CDP_LANG_EN, 0.032, 1));
    FMT(MINUS "3,2" NBSP "п." NBSP "п.", cdp_fmt_points(&b_, CDP_LANG_RU, -0.032, 1));
    FMT("+12", cdp_fmt_signed(&b_, CDP_LANG_EN, 12, 0));
    FMT(MINUS "3", cdp_fmt_signed(&b_, CDP_LANG_RU, -3, 0));
    FMT("0", cdp_fmt_signed(&b_, CDP_LANG_EN, 0.2, 0));
}

static void dates(void)
{
    int64_t day = 20777; /* 2026-11-20, as Python's date(2026, 11, 20) - date(1970, 1, 1) counts */
    FMT("2026-11-20", cdp_fmt_iso_day(&b_, day));
    FMT("20" NBSP "Nov" NBSP "2026", cdp_fmt_date(&b_, CDP_LANG_EN, day));
    FMT("20" NBSP "ноября" NBSP "2026", cdp_fmt_date(&b_, CDP_LANG_RU, day));
    FMT("20" NBSP "Nov", cdp_fmt_date_short(&b_, CDP_LANG_EN, day));
    FMT("20.11", cdp_fmt_date_short(&b_, CDP_LANG_RU, day));
    FMT("1970-01-01", cdp_fmt_iso_day(&b_, 0));
    FMT("1" NBSP "марта" NBSP "2024", cdp_fmt_date(&b_, CDP_LANG_RU, 19783));
}

int main(void)
{
    languages();
    numbers();
    money_and_shares();
    dates();
    return check_report("test_lang");
}
