/* Unit tests of the value normalisers: e-mail, names, dates, numbers,
 * white space and case (vocabularies: test_vocab.c). Every expected value is written out. */
#include <stdint.h>
#include <stdlib.h>
#include <utf8proc.h>

#include "../check.h"
#include "norm/date.h"
#include "norm/decimal.h"
#include "norm/email.h"
#include "norm/name.h"
#include "norm/text.h"

static struct cdp_buf out, scratch;

static const char *email(const char *s)
{
    cdp_buf_reset(&out);
    return cdp_email_normalize(&out, s, strlen(s)) ? out.data : NULL;
}

static const char *name(const char *s)
{
    cdp_buf_reset(&out);
    return cdp_name_normalize(&out, &scratch, s, strlen(s)) ? out.data : NULL;
}

static const char *clean(const char *s)
{
    cdp_buf_reset(&out);
    cdp_text_clean(&out, s, strlen(s));
    return out.data ? out.data : "";
}

static const char *decimal(const char *s)
{
    cdp_buf_reset(&out);
    return cdp_decimal_normalize(&out, s, strlen(s)) ? out.data : NULL;
}

/* A date, or "EMPTY" / "INVALID". */
static const char *date(const char *s, enum cdp_date_order order)
{
    struct cdp_datetime dt;
    cdp_buf_reset(&out);
    enum cdp_date_result r = cdp_datetime_parse(s, strlen(s), order, false, &dt);
    if (r == CDP_DATE_EMPTY)
        return "EMPTY";
    if (r != CDP_DATE_OK)
        return "INVALID";
    cdp_date_format(&out, &dt);
    return out.data;
}

static const char *datetime(const char *s, int offset)
{
    struct cdp_datetime dt;
    cdp_buf_reset(&out);
    enum cdp_date_result r = cdp_datetime_parse(s, strlen(s), CDP_ORDER_DMY, true, &dt);
    if (r == CDP_DATE_EMPTY)
        return "EMPTY";
    if (r != CDP_DATE_OK)
        return "INVALID";
    cdp_datetime_format_utc(&out, &dt, offset);
    return out.data;
}

static const char *split(const char *full)
{
    static char result[256];
    const char *n = name(full);
    if (!n)
        return NULL;
    char copy[256];
    snprintf(copy, sizeof copy, "%s", n);
    struct cdp_name_parts p;
    cdp_name_split(copy, strlen(copy), &p);
    snprintf(result, sizeof result, "first=%.*s middle=%.*s last=%.*s", (int)p.first_len,
             copy + p.first_off, (int)p.middle_len, copy + p.middle_off, (int)p.last_len,
             copy + p.last_off);
    return result;
}

static void test_email(void)
{
    CHECK_STR(email(" Ivan.Ivanov@Mail.RU "), "ivan.ivanov@mail.ru");
    CHECK_STR(email("ivan+shop@gmail.com"), "ivan+shop@gmail.com");
    CHECK_STR(email("Почта@Пример.РФ"), "почта@пример.рф");
    CHECK_STR(email("a@b.xn--p1ai"), "a@b.xn--p1ai");
    CHECK_STR(email("o'brien@example.co.uk"), "o'brien@example.co.uk");
    CHECK_STR(email("\xC2\xA0user@mail.ru\xC2\xA0"), "user@mail.ru"); /* NO-BREAK SPACEs */
    CHECK(email("ivan@@mail.ru") == NULL);
    CHECK(email("ivan@mail") == NULL);
    CHECK(email("ivan@mail,ru") == NULL);
    CHECK(email("ivan.@mail.ru") == NULL);
    CHECK(email(".ivan@mail.ru") == NULL);
    CHECK(email("iv..an@mail.ru") == NULL);
    CHECK(email("ivan@-mail.ru") == NULL);
    CHECK(email("ivan@mail.r") == NULL);
    CHECK(email("ivan@mail.123") == NULL);
    CHECK(email("ivan mail@mail.ru") == NULL);
    /* email.h's promise, that cdp-ingest writes an address without the
     * escape scan: nothing a JSON string escapes passes, wherever it is. */
    CHECK(email("\"ivan\"@mail.ru") == NULL);
    CHECK(email("iv\\an@mail.ru") == NULL);
    CHECK(email("ivan@ma\"il.ru") == NULL);
    CHECK(email("iv\x01" "an@mail.ru") == NULL);
    CHECK(email("ivan@mail\x1f.ru") == NULL);
    CHECK(email("iv\tan@mail.ru") == NULL);
    CHECK(email("@mail.ru") == NULL);
    CHECK(email("ivan@") == NULL);
    CHECK(email("") == NULL);
    CHECK(email("   ") == NULL);
    CHECK(email("a@b.c.d.ru") != NULL);
    CHECK(email("a@b.ф") == NULL); /* one letter, two bytes */
    CHECK_STR(email("a@b.рф"), "a@b.рф");
    /* 254 bytes as given, 255 lower-cased (Ⱦ, 2 bytes, lowers to ⱦ, 3):
     * too long (found by tests/fuzz/email.c: an address accepted did not
     * normalise to itself). */
    char longer[300] = "ab@";
    for (int i = 0; i < 3; i++)
        strcat(strcat(longer, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"), ".");
    strcat(longer, "\xC8\xBE" "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    CHECK(strlen(longer) == 254);
    CHECK(email(longer) == NULL);
    longer[2] = '\0';
    strcat(longer, "@a.\xC8\xBE" "x");
    CHECK_STR(email(longer), "ab@a.\xE2\xB1\xA6" "x");
}

static void test_names(void)
{
    CHECK_STR(name("  иванов  "), "Иванов");
    CHECK_STR(name("ИВАНОВ"), "Иванов");
    CHECK_STR(name("мария-луиза"), "Мария-Луиза");
    /* Title case can make NFC text need composing again: long s with a dot
     * below becomes S with it, one code point in NFC (found by
     * tests/fuzz/name.c: a name did not normalise to itself). */
    CHECK_STR(name("\xC5\xBF\xCC\xA3" "ergei"), "\xE1\xB9\xA2" "ergei");
    CHECK_STR(name("САЛТЫКОВ-ЩЕДРИН"), "Салтыков-Щедрин");
    CHECK_STR(name("o'neil"), "O'Neil");
    CHECK_STR(name("McDonald"), "McDonald");
    CHECK_STR(name("DiCaprio"), "DiCaprio");
    CHECK_STR(name("ёлкин"), "Ёлкин");
    CHECK_STR(name("ЁЛКИН"), "Ёлкин");
    CHECK_STR(name("жанна  д'арк"), "Жанна Д'Арк");
    CHECK_STR(name("ÉMILE"), "Émile");
    CHECK_STR(name("straße"), "Straße");
    CHECK_STR(name("ΣΩΚΡΆΤΗΣ"), "Σωκράτησ");
    CHECK_STR(name("e\xCC\x81mile"), "Émile"); /* decomposed é composed to NFC */
    CHECK_STR(name("ivan\tpetrov"), "Ivan Petrov");
    CHECK(name("-") == NULL);
    CHECK(name("0") == NULL);
    CHECK(name(" . ") == NULL);
    CHECK(name("") == NULL);
}

static void test_split(void)
{
    CHECK_STR(split("Иванов Иван Иванович"), "first=Иван middle=Иванович last=Иванов");
    CHECK_STR(split("Иван Иванович Иванов"), "first=Иван middle=Иванович last=Иванов");
    CHECK_STR(split("петрова мария сергеевна"), "first=Мария middle=Сергеевна last=Петрова");
    CHECK_STR(split("Иванов Сергей"), "first=Сергей middle= last=Иванов");
    CHECK_STR(split("Сергей Иванов"), "first=Сергей middle= last=Иванов");
    CHECK_STR(split("Ирина Смирнова"), "first=Ирина middle= last=Смирнова");
    CHECK_STR(split("Sergey Ivanov"), "first=Sergey middle= last=Ivanov");
    CHECK_STR(split("Ivanov Sergey"), "first=Sergey middle= last=Ivanov");
    CHECK_STR(split("John Smith"), "first=John middle= last=Smith");
    CHECK_STR(split("John Paul Smith"), "first=John middle=Paul last=Smith");
    CHECK_STR(split("Мамедов Али Гусейн оглы"), "first=Али middle=Гусейн Оглы last=Мамедов");
    CHECK_STR(split("Анна"), "first=Анна middle= last=");
    CHECK_STR(split("Петров"), "first= middle= last=Петров");
    CHECK_STR(split("Мария Ивановна"), "first=Мария middle=Ивановна last=");
    CHECK_STR(split("Анна Бабич"), "first=Анна middle= last=Бабич");
    CHECK_STR(split("Наталья Кузьмина"), "first=Наталья middle= last=Кузьмина");
    CHECK_STR(split("Кузьмина Наталья"), "first=Наталья middle= last=Кузьмина");
    CHECK_STR(split("Константин Егоров"), "first=Константин middle= last=Егоров");
    CHECK_STR(split("Волков Александр Никитич"), "first=Александр middle=Никитич last=Волков");
    CHECK_STR(split("Kim Anna"), "first=Anna middle= last=Kim");
    CHECK_STR(split("Виктория Ли"), "first=Виктория middle= last=Ли");
}

static void test_clean(void)
{
    CHECK_STR(clean("  a \t b\xC2\xA0\xC2\xA0" "c  "), "a b c");
    CHECK_STR(clean("\xE2\x80\x83x\xE3\x80\x80y\xEF\xBB\xBF"), "x y");
    CHECK_STR(clean("Санкт-Петербург"), "Санкт-Петербург");
    CHECK_STR(clean(""), "");
    CHECK_STR(clean("A\xCC\x8A"), "\xC3\x85"); /* A + ring above -> Å */
}

/* The inline case mapping for ASCII and basic Cyrillic must agree with
 * utf8proc for every code point it answers. */
static void test_case_fast_path(void)
{
    struct cdp_buf got = CDP_BUF_INIT;
    int mismatches = 0;
    for (utf8proc_int32_t cp = 1; cp < 0x500; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF)
            continue;
        utf8proc_uint8_t enc[8];
        utf8proc_ssize_t n = utf8proc_encode_char(cp, enc);
        cdp_buf_reset(&got);
        cdp_text_lower(&got, (const char *)enc, (size_t)n);
        utf8proc_uint8_t want[8];
        utf8proc_ssize_t m = utf8proc_encode_char(utf8proc_tolower(cp), want);
        if ((size_t)m != got.len || memcmp(want, got.data, (size_t)m) != 0)
            mismatches++;
    }
    CHECK(mismatches == 0);
    cdp_buf_release(&got);
}

/* The fast paths of cdp_text_trim, cdp_text_clean and cdp_text_title (bytes
 * of ASCII and basic Cyrillic) must give the same bytes as the general code
 * on any text: random strings of letters of both cases, white space of every
 * kind, word breaks, combining marks, Cyrillic beyond U+045F, Greek, CJK and
 * a few stray bytes (invalid UTF-8). cdp_text_lower is checked against
 * utf8proc code point by code point. */
static void test_text_fast_paths(void)
{
    static const char *const pieces[] = {
        "a", "Z", "q", "M", "0", "7", " ", " ", "  ", "-", ".", "'", ",", "\"", "@", "\t", "\n",
        "\r", "\x01", "\x7F", "а", "Я", "ё", "Ё", "ж", "Щ", "ѐ", "Ѐ", "џ", "Џ", "і", "ї",
        "\xD1\xA0", /* U+0460 */ "\xD2\x8A", /* U+048A */ "\xD2\x83", /* U+0483 combining */
        "\xD3\x81", /* U+04C1 */ "\xD4\x80", /* U+0500 */ "é", "Å", "ß", "ǅ", "\xC8\xBA", /* U+023A */
        "\xCC\x81", /* combining acute */ "\xCE\xA9", /* Greek */ "\xC2\xA0", /* NBSP */
        "\xC2\x85", /* NEL */ "\xE2\x80\x83", /* EM SPACE */ "\xE2\x80\x8B", /* ZWSP */
        "\xE2\x80\x99", /* U+2019 */ "\xE2\x80\x90", /* U+2010 */ "\xE3\x80\x80", "\xEF\xBB\xBF",
        "\xE1\x9A\x80", /* OGHAM SPACE */ "\xE4\xB8\xAD", /* CJK */ "\xF0\x9F\x98\x80",
        "\xA0", "\x85", "\xD0", "\xC2", "\xE2\x80", "\xFF", /* invalid UTF-8 */
    };
    const size_t npieces = sizeof pieces / sizeof *pieces;
    uint64_t state = 0x9E3779B97F4A7C15u;
    struct cdp_buf text = CDP_BUF_INIT, fast = CDP_BUF_INIT, ref = CDP_BUF_INIT;
    int trim_bad = 0, clean_bad = 0, title_bad = 0, lower_bad = 0;
    for (int round = 0; round < 200000; round++) {
        cdp_buf_reset(&text);
        state ^= state << 13, state ^= state >> 7, state ^= state << 17;
        int n = (int)(state % 9);
        /* Mostly valid, common text; every 8th string may hold anything. */
        size_t limit = round % 8 ? 32 : npieces;
        for (int i = 0; i < n; i++) {
            state ^= state << 13, state ^= state >> 7, state ^= state << 17;
            cdp_buf_adds(&text, pieces[state % limit]);
        }
        const char *s = text.data ? text.data : "";
        const char *a = s, *b = s;
        size_t alen = text.len, blen = text.len;
        cdp_text_trim(&a, &alen);
        cdp_text_trim_reference(&b, &blen);
        trim_bad += a != b || alen != blen;
        cdp_buf_reset(&fast), cdp_buf_reset(&ref);
        cdp_text_clean(&fast, s, text.len);
        cdp_text_clean_reference(&ref, s, text.len);
        clean_bad += fast.len != ref.len || memcmp(fast.data, ref.data, fast.len) != 0;
        cdp_buf_reset(&fast), cdp_buf_reset(&ref);
        cdp_text_title(&fast, s, text.len);
        cdp_text_title_reference(&ref, s, text.len);
        title_bad += fast.len != ref.len || (fast.len && memcmp(fast.data, ref.data, fast.len) != 0);
        if (round % 8) { /* valid UTF-8 only */
            cdp_buf_reset(&fast), cdp_buf_reset(&ref);
            cdp_text_lower(&fast, s, text.len);
            utf8proc_int32_t cp;
            for (utf8proc_ssize_t i = 0, k; i < (utf8proc_ssize_t)text.len; i += k) {
                k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)text.len - i, &cp);
                utf8proc_uint8_t enc[8];
                cdp_buf_add(&ref, enc, (size_t)utf8proc_encode_char(utf8proc_tolower(cp), enc));
            }
            lower_bad += fast.len != ref.len || (fast.len && memcmp(fast.data, ref.data, fast.len) != 0);
        }
    }
    CHECK(trim_bad == 0);
    CHECK(clean_bad == 0);
    CHECK(title_bad == 0);
    CHECK(lower_bad == 0);
    CHECK_STR(name("ПОПОВ"), "Попов");
    CHECK_STR(name("ёлкин-палкин"), "Ёлкин-Палкин");
    CHECK_STR(name("o'brien"), "O'Brien");
    CHECK_STR(name("МакДональд"), "МакДональд");
    CHECK_STR(name("  анна  мария "), "Анна Мария");
    cdp_buf_release(&text);
    cdp_buf_release(&fast);
    cdp_buf_release(&ref);
}

static void test_dates(void)
{
    CHECK_STR(date("05.03.2024", CDP_ORDER_DMY), "2024-03-05");
    CHECK_STR(date("5.3.2024", CDP_ORDER_DMY), "2024-03-05");
    CHECK_STR(date("05/03/2024", CDP_ORDER_DMY), "2024-03-05");
    CHECK_STR(date("05/03/2024", CDP_ORDER_MDY), "2024-05-03");
    CHECK_STR(date("05-03-2024", CDP_ORDER_DMY), "2024-03-05");
    CHECK_STR(date("2024-03-05", CDP_ORDER_MDY), "2024-03-05");
    CHECK_STR(date("2024/03/05", CDP_ORDER_DMY), "2024-03-05");
    CHECK_STR(date("20240305", CDP_ORDER_DMY), "2024-03-05");
    CHECK_STR(date("05.03.1985 0:00:00", CDP_ORDER_DMY), "1985-03-05");
    CHECK_STR(date(" 29.02.2024 ", CDP_ORDER_DMY), "2024-02-29");
    CHECK_STR(date("29.02.2023", CDP_ORDER_DMY), "INVALID");
    CHECK_STR(date("31.02.2024", CDP_ORDER_DMY), "INVALID");
    CHECK_STR(date("31.04.2024", CDP_ORDER_DMY), "INVALID");
    CHECK_STR(date("29.02.1900", CDP_ORDER_DMY), "INVALID");
    CHECK_STR(date("29.02.2000", CDP_ORDER_DMY), "2000-02-29");
    CHECK_STR(date("13/13/2024", CDP_ORDER_MDY), "INVALID");
    CHECK_STR(date("05.03.24", CDP_ORDER_DMY), "INVALID");
    CHECK_STR(date("05.03.2024", CDP_ORDER_YMD), "INVALID");
    CHECK_STR(date("2024-3-5", CDP_ORDER_DMY), "2024-03-05");
    CHECK_STR(date("2024-03-05x", CDP_ORDER_DMY), "INVALID");
    CHECK_STR(date("1700000000", CDP_ORDER_DMY), "INVALID"); /* epoch only for times */
    CHECK_STR(date("01.01.0001 0:00:00", CDP_ORDER_DMY), "EMPTY");
    CHECK_STR(date("", CDP_ORDER_DMY), "EMPTY");
    CHECK_STR(date("вчера", CDP_ORDER_DMY), "INVALID");
    CHECK_STR(date("2024.03.05", CDP_ORDER_DMY), "2024-03-05");

    CHECK_STR(datetime("2024-03-05T10:20:30Z", 0), "2024-03-05T10:20:30Z");
    CHECK_STR(datetime("2024-03-05 10:20:30+03:00", 0), "2024-03-05T07:20:30Z");
    CHECK_STR(datetime("2024-03-05T01:20:30+0300", 0), "2024-03-04T22:20:30Z");
    CHECK_STR(datetime("2024-03-05T10:20:30.123-05:30", 0), "2024-03-05T15:50:30.123Z");
    CHECK_STR(datetime("05.03.2024 9:05", 180), "2024-03-05T06:05:00Z");
    CHECK_STR(datetime("01.01.2024 01:00", 180), "2023-12-31T22:00:00Z");
    CHECK_STR(datetime("2024-03-05", 180), "2024-03-04T21:00:00Z");
    CHECK_STR(datetime("2024-03-05", 0), "2024-03-05T00:00:00Z");
    CHECK_STR(datetime("1700000000", 0), "2023-11-14T22:13:20Z");
    CHECK_STR(datetime("1700000000123", 0), "2023-11-14T22:13:20.123Z");
    CHECK_STR(datetime("2024-03-05T24:00:00", 0), "INVALID");
    CHECK_STR(datetime("2024-03-05T10:61", 0), "INVALID");
    CHECK_STR(datetime("2024-03-05T10:20:30+15:00", 0), "INVALID");
    CHECK_STR(datetime("2024-03-05T10:20:30 UTC", 0), "2024-03-05T10:20:30Z");
    CHECK_STR(datetime("12.01.2020 14:33:00", 0), "2020-01-12T14:33:00Z");
    /* Outside the years 0001-9999 in UTC: the nearest time inside them, not
     * the year alone clamped (found by tests/fuzz/date.c). */
    CHECK_STR(datetime("9999-12-31T23:00:00-05:00", 0), "9999-12-31T23:59:59Z");
    CHECK_STR(datetime("31.12.9999 22:30", -120), "9999-12-31T23:59:59Z");
    int64_t ms;
    struct cdp_buf t = CDP_BUF_INIT;
    CHECK(cdp_time_parse("9999-12-31T23:59:59-14:00", 25, &ms));
    cdp_time_format(&t, ms);
    CHECK_STR(t.data, "9999-12-31T23:59:59Z");
    cdp_buf_reset(&t);
    cdp_time_format(&t, (cdp_days_from_civil(1, 1, 1) - 1) * 86400000LL);
    CHECK_STR(t.data, "0001-01-01T00:00:00Z");
    cdp_buf_release(&t);

    /* A time that stays on its day keeps its date without calendar
     * arithmetic: the same result as the arithmetic, for random times. */
    int wrong = 0;
    uint64_t state = 88172645463325252u;
    for (int i = 0; i < 100000; i++) {
        state ^= state << 13, state ^= state >> 7, state ^= state << 17;
        struct cdp_datetime dt = { 0 };
        int64_t day = (int64_t)(state % 3000000) - 719000; /* 0001..8000 or so */
        cdp_civil_from_days(day, &dt.year, &dt.month, &dt.day);
        dt.has_time = state >> 40 & 1;
        dt.hour = (int)((unsigned)(state >> 20) % 24), dt.minute = (int)((unsigned)(state >> 30) % 60);
        dt.second = (int)((unsigned)(state >> 36) % 60);
        int offset = (int)((unsigned)(state >> 44) % 1681) - 840;
        dt.has_offset = state >> 60 & 1, dt.offset_minutes = offset;
        cdp_buf_reset(&out);
        cdp_datetime_format_utc(&out, &dt, -offset);
        int64_t mins = day * 1440 + (dt.has_time ? dt.hour * 60 + dt.minute : 0) -
                       (dt.has_offset ? offset : -offset);
        int64_t d = mins >= 0 ? mins / 1440 : (mins - 1439) / 1440, rem = mins - d * 1440;
        int y, m, dd;
        cdp_civil_from_days(d, &y, &m, &dd);
        char want[64];
        snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, dd,
                 (int)(rem / 60), (int)(rem % 60), dt.has_time ? dt.second : 0);
        wrong += strcmp(out.data, want) != 0;
    }
    CHECK(wrong == 0);

    /* 1C's DD.MM.YYYY H:MM:SS is read at fixed places when the order is
     * dmy; read as mdy it goes through the general code, which must find
     * the same fields with day and month swapped (days and months up to 12,
     * times right and wrong, stray characters). */
    int differ = 0, fast = 0;
    for (int i = 0; i < 200000; i++) {
        state ^= state << 13, state ^= state >> 7, state ^= state << 17;
        char text[40];
        unsigned d = (unsigned)(state % 12) + 1, m = (unsigned)(state >> 8) % 12 + 1;
        unsigned y = (unsigned)(state >> 16) % 2100, h = (unsigned)(state >> 28) % 26;
        unsigned mi = (unsigned)(state >> 36) % 61, se = (unsigned)(state >> 44) % 62;
        switch ((unsigned)(state >> 52) % 4) {
        case 0: snprintf(text, sizeof text, "%02u.%02u.%04u", d, m, y); break;
        case 1: snprintf(text, sizeof text, "%02u.%02u.%04u %u:%02u:%02u", d, m, y, h, mi, se); break;
        case 2: snprintf(text, sizeof text, "%02u.%02u.%04u %02u:%02u:%02u", d, m, y, h, mi, se); break;
        default: snprintf(text, sizeof text, "%02u.%02u.%04u %u:%02u", d, m, y, h, mi); break;
        }
        if ((state >> 58) % 4 == 0) /* a stray character somewhere */
            text[(state >> 20) % strlen(text)] = " :.x-"[(state >> 24) % 5];
        struct cdp_datetime a, b;
        enum cdp_date_result ra = cdp_datetime_parse(text, strlen(text), CDP_ORDER_DMY, true, &a);
        enum cdp_date_result rb = cdp_datetime_parse(text, strlen(text), CDP_ORDER_MDY, true, &b);
        fast += ra == CDP_DATE_OK;
        if (ra == CDP_DATE_OK && rb == CDP_DATE_OK) {
            int t = b.day;
            b.day = b.month, b.month = t;
        }
        differ += ra != rb || (ra == CDP_DATE_OK && memcmp(&a, &b, sizeof a) != 0);
    }
    CHECK(differ == 0);
    CHECK(fast > 100000);

    /* cdp's own YYYY-MM-DDTHH:MM:SSZ is read at fixed places too; with a
     * lower-case z (the same moment) it goes through the general code,
     * which must find the same fields and verdict (wrong dates, times out
     * of range, the leap second, 0001-01-01, stray characters). */
    differ = fast = 0;
    for (int i = 0; i < 200000; i++) {
        state ^= state << 13, state ^= state >> 7, state ^= state << 17;
        char text[40], lower[40];
        unsigned y = (unsigned)(state % 10000), m = (unsigned)(state >> 14) % 14;
        unsigned d = (unsigned)(state >> 18) % 33, h = (unsigned)(state >> 24) % 26;
        unsigned mi = (unsigned)(state >> 30) % 62, se = (unsigned)(state >> 36) % 62;
        if ((state >> 42) % 8 == 0)
            y = 1, m = 1, d = 1;
        snprintf(text, sizeof text, "%04u-%02u-%02uT%02u:%02u:%02uZ", y, m, d, h, mi, se);
        if ((state >> 58) % 4 == 0) /* a stray character somewhere but the last */
            text[(state >> 46) % 19] = " :.x-T"[(state >> 52) % 6];
        memcpy(lower, text, sizeof text);
        lower[19] = 'z';
        struct cdp_datetime a, b;
        enum cdp_date_result ra = cdp_datetime_parse(text, strlen(text), CDP_ORDER_YMD, false, &a);
        enum cdp_date_result rb = cdp_datetime_parse(lower, strlen(lower), CDP_ORDER_YMD, false, &b);
        fast += ra == CDP_DATE_OK;
        differ += ra != rb || (ra == CDP_DATE_OK && memcmp(&a, &b, sizeof a) != 0);
    }
    CHECK(differ == 0);
    CHECK(fast > 50000);

    CHECK(cdp_days_from_civil(1970, 1, 1) == 0);
    CHECK(cdp_days_from_civil(2000, 3, 1) == 11017);
    CHECK(cdp_days_from_civil(1969, 12, 31) == -1);
    int y, m, d;
    cdp_civil_from_days(19787, &y, &m, &d);
    CHECK(y == 2024 && m == 3 && d == 5);
    int off;
    CHECK(cdp_parse_utc_offset("+03:00", &off) && off == 180);
    CHECK(cdp_parse_utc_offset("-0530", &off) && off == -330);
    CHECK(cdp_parse_utc_offset("Z", &off) && off == 0);
    CHECK(!cdp_parse_utc_offset("3", &off));
    CHECK(!cdp_parse_utc_offset("+3:00", &off));
}

static void test_decimal(void)
{
    CHECK_STR(decimal("1 234,50"), "1234.50");
    CHECK_STR(decimal("1\xC2\xA0" "234,50"), "1234.50");
    CHECK_STR(decimal("1\xE2\x80\xAF" "234,50"), "1234.50");
    CHECK_STR(decimal("1234.50"), "1234.50");
    CHECK_STR(decimal("1,234.50"), "1234.50");
    CHECK_STR(decimal("1.234,50"), "1234.50");
    CHECK_STR(decimal("1,234,567"), "1234567");
    CHECK_STR(decimal("1,5"), "1.5");
    CHECK_STR(decimal("0,5"), "0.5");
    CHECK_STR(decimal(",5"), "0.5");
    CHECK_STR(decimal("-,5"), "-0.5");
    /* A zero has no sign, however it is written (found by tests/fuzz/decimal.c). */
    CHECK_STR(decimal("-,00"), "0.00");
    CHECK_STR(decimal("-0,00"), "0.00");
    CHECK_STR(decimal("-.000"), "0.000");
    CHECK_STR(decimal("-12 990,00"), "-12990.00");
    CHECK_STR(decimal("+7"), "7");
    CHECK_STR(decimal("007"), "7");
    CHECK_STR(decimal("0"), "0");
    CHECK_STR(decimal("-0"), "0");
    CHECK_STR(decimal(" 42 "), "42");
    CHECK(decimal("") == NULL);
    CHECK(decimal("abc") == NULL);
    CHECK(decimal("12 руб.") == NULL);
    CHECK(decimal("1,") == NULL);
    CHECK(decimal("-") == NULL);
    CHECK(decimal("1.2.3,4,5") == NULL);
    CHECK(decimal("1.2.3") == NULL);       /* thousands come in threes */
    CHECK(decimal("1 23,5") == NULL);
    CHECK(decimal("12345 678") == NULL);
    CHECK_STR(decimal("12 345 678"), "12345678");
    CHECK_STR(decimal("12'345.5"), "12345.5");
}

int main(void)
{
    test_email();
    test_names();
    test_split();
    test_clean();
    test_case_fast_path();
    test_text_fast_paths();
    test_dates();
    test_decimal();
    cdp_buf_release(&out);
    cdp_buf_release(&scratch);
    return check_report("test_normalize");
}
