/* Unit tests of lib/norm/show.h: masked and escaped values in messages. */
#include "norm/show.h"

#include "../check.h"

static const char *shown(const char *s, size_t n, enum cdp_show_kind kind, bool clear)
{
    static struct cdp_buf b = CDP_BUF_INIT;
    cdp_buf_reset(&b);
    cdp_show_value(&b, s, n, kind, clear);
    return b.data ? b.data : "";
}

#define SHOW(s, kind) shown(s, strlen(s), kind, false)

static const char *quoted(const char *s, bool clear)
{
    static struct cdp_buf b = CDP_BUF_INIT;
    cdp_buf_reset(&b);
    cdp_show_quoted(&b, s, strlen(s), clear);
    return b.data ? b.data : "";
}

static const char *controls(const char *s)
{
    static struct cdp_buf b = CDP_BUF_INIT;
    cdp_buf_reset(&b);
    cdp_show_controls(&b, s, strlen(s));
    return b.data ? b.data : "";
}

int main(void)
{
    /* e-mails: two characters of a local part longer than four, else one */
    CHECK_STR(SHOW("ivan.petrov@mail.ru", CDP_SHOW_EMAIL), "iv***@mail.ru");
    CHECK_STR(SHOW("ivan@mail.ru", CDP_SHOW_EMAIL), "i***@mail.ru");
    CHECK_STR(SHOW("@mail.ru", CDP_SHOW_EMAIL), "***@mail.ru");
    CHECK_STR(SHOW("почта.иван@пример.рф", CDP_SHOW_EMAIL), "по***@пример.рф");
    CHECK_STR(SHOW("naumova.elena1974@ya,ru", CDP_SHOW_AUTO), "na***@ya,ru");
    CHECK_STR(SHOW("v.vinogradova79.bk.ru", CDP_SHOW_EMAIL), "v.***ru");
    /* phones: +, four digits, ***, four digits */
    CHECK_STR(SHOW("+79161234501", CDP_SHOW_PHONE), "+7916***4501");
    CHECK_STR(SHOW("8 (916) 123-45-01", CDP_SHOW_AUTO), "8916***4501");
    CHECK_STR(SHOW("541-20-41", CDP_SHOW_AUTO), "54***41");
    CHECK_STR(SHOW("8 909 392", CDP_SHOW_PHONE), "89***92");
    CHECK_STR(SHOW("abc", CDP_SHOW_PHONE), "a***");
    /* text: 2 + 2 characters of 8 or more, 1 of 3-7, none of fewer */
    CHECK_STR(SHOW("0012345678", CDP_SHOW_TEXT), "00***78");
    CHECK_STR(SHOW("Иванов", CDP_SHOW_TEXT), "И***");
    CHECK_STR(SHOW("Константинопольский", CDP_SHOW_TEXT), "Ко***ий");
    CHECK_STR(SHOW("Ян", CDP_SHOW_TEXT), "***");
    CHECK_STR(SHOW("", CDP_SHOW_TEXT), "***");
    /* plain values are whole */
    CHECK_STR(SHOW("Narnia", CDP_SHOW_PLAIN), "Narnia");
    /* control characters are escaped, masked or not */
    CHECK_STR(shown("a\033[2Jb", 6, CDP_SHOW_PLAIN, false), "a\\e[2Jb");
    CHECK_STR(shown("x\ny\r\tz", 6, CDP_SHOW_TEXT, true), "x\\ny\\r\\tz");
    CHECK_STR(shown("em\0ail", 6, CDP_SHOW_PLAIN, false), "em\\0ail");
    CHECK_STR(shown("a\\b", 3, CDP_SHOW_PLAIN, false), "a\\\\b");
    CHECK_STR(shown("\xff\xfe ok", 5, CDP_SHOW_PLAIN, false), "\\xFF\\xFE ok");
    CHECK_STR(shown("\xc2\x9b" "1m", 4, CDP_SHOW_PLAIN, false), "\\u009b1m"); /* C1 CSI */
    CHECK_STR(shown("\x7f", 1, CDP_SHOW_PLAIN, false), "\\x7F");
    /* a forged second message line stays on one line when masked too */
    CHECK_STR(shown("ivan@x.ru\ncdp-ingest: all fine", 30, CDP_SHOW_EMAIL, false),
              "i***@x.ru\\ncdp-ingest: all fine");
    CHECK_STR(shown("ivan.petrov@mail.ru", 19, CDP_SHOW_EMAIL, true), "ivan.petrov@mail.ru");
    /* kinds of fields */
    CHECK(cdp_show_kind_of("email") == CDP_SHOW_EMAIL);
    CHECK(cdp_show_kind_of("phone") == CDP_SHOW_PHONE);
    CHECK(cdp_show_kind_of("card") == CDP_SHOW_TEXT);
    CHECK(cdp_show_kind_of("last_name") == CDP_SHOW_TEXT);
    CHECK(cdp_show_kind_of("country") == CDP_SHOW_PLAIN);
    CHECK(cdp_show_kind_of("my_own_field") == CDP_SHOW_AUTO);
    /* jq's messages: quoted values masked, cut ones too, keys it names whole */
    CHECK_STR(quoted("string (\"ivan.petro...) and number (1) cannot be added", false),
              "string (\"iv***ro...) and number (1) cannot be added");
    CHECK_STR(quoted("Invalid numeric literal (while parsing 'ivan@mail.ru')", false),
              "Invalid numeric literal (while parsing 'i***@mail.ru')");
    CHECK_STR(quoted("Cannot index string with string \"email\"", false),
              "Cannot index string with string \"email\"");
    CHECK_STR(quoted("x \"+79161234501", false), "x \"+7916***4501");
    CHECK_STR(quoted("no quotes\there", false), "no quotes\\there");
    CHECK_STR(quoted("a \"ivan.petrov@mail.ru\"\n", true), "a \"ivan.petrov@mail.ru\"\\n");
    /* a whole line's last guard: controls only, backslashes and escapes kept */
    CHECK_STR(controls("a\\e \033[2J\n"), "a\\e \\e[2J\\n");
    CHECK_STR(controls("\xff ok"), "\xff ok");
    return check_report("test_show");
}
