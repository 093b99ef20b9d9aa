/* Unit tests of the vocabularies (lib/norm/vocab.h, vocab_key.h): genders
 * and yes/no words, and countries and regions from ISO 3166 (the iso-codes
 * tables the build read) with the aliases and the values that are no
 * country. Every expected value is written out. */
#include <stdlib.h>

#include "../check.h"
#include "norm/phone.h"
#include "norm/vocab.h"
#include "norm/vocab_key.h"

static struct cdp_buf out, scratch;

static const char *key(const char *s)
{
    cdp_buf_reset(&out);
    cdp_vocab_key(&out, s, strlen(s));
    return out.data ? out.data : "";
}

static const char *region_key(const char *s)
{
    cdp_buf_reset(&out);
    cdp_vocab_region_key(&out, s, strlen(s));
    return out.data ? out.data : "";
}

/* "RU", "!unspecified" (no country, and why), or "?" (unknown). */
static const char *country(const char *s)
{
    static char answer[64];
    const char *reason;
    const char *code = cdp_country_lookup(&scratch, s, strlen(s), &reason);
    if (code)
        return code;
    snprintf(answer, sizeof answer, "!%s", reason ? reason : "?");
    return reason ? answer : "?";
}

static const char *region(const char *s, const char *in_country, const char *home)
{
    const char *code = cdp_region_lookup(&scratch, s, strlen(s), in_country, home);
    return code ? code : "?";
}

/* "m", "f", "!reason" or "?". */
static const char *gender(const char *s)
{
    static char answer[64];
    const char *reason;
    char g = cdp_gender_parse(s, strlen(s), &reason);
    if (g)
        snprintf(answer, sizeof answer, "%c", g);
    else
        snprintf(answer, sizeof answer, "%s%s", reason ? "!" : "?", reason ? reason : "");
    return answer;
}

static const char *yes_no(const char *s)
{
    static char answer[64];
    const char *reason;
    int b = cdp_bool_parse(s, strlen(s), &reason);
    if (b >= 0)
        return b ? "yes" : "no";
    snprintf(answer, sizeof answer, "%s%s", reason ? "!" : "?", reason ? reason : "");
    return answer;
}

static void test_keys(void)
{
    CHECK_STR(key("  Côte d’Ivoire "), "cote d ivoire");
    CHECK_STR(key("COTE D'IVOIRE"), "cote d ivoire");
    CHECK_STR(key("Соединённое  Королевство"), "соединенное королевство");
    CHECK_STR(key("Ханты-Мансийский"), "ханты мансиискии");
    CHECK_STR(key("U.S.A."), "u s a");
    CHECK_STR(key("Österreich / Straße"), "osterreich strasse");
    CHECK_STR(key("Қазақстан"), "қазақстан");
    CHECK_STR(key("Осо́бый"), "особыи");
    CHECK_STR(key("- ? —"), "");
    CHECK_STR(key("17850.0"), "17850 0");
    CHECK_STR(region_key("Республика Татарстан"), "татарстан");
    CHECK_STR(region_key("Татарстан Респ."), "татарстан");
    CHECK_STR(region_key("Tatarstan, Respublika"), "tatarstan");
    CHECK_STR(region_key("г. Москва"), "москва");
    CHECK_STR(region_key("Московская обл"), "московская");
    CHECK_STR(region_key("Moscow Oblast"), "moscow oblast");
    CHECK_STR(region_key("Ханты-Мансийский автономный округ"), "ханты мансиискии");
    CHECK_STR(region_key("Город"), "город"); /* only a type word: kept */
}

static void test_genders_and_yes_no(void)
{
    CHECK_STR(gender("М"), "m");
    CHECK_STR(gender("ж"), "f");
    CHECK_STR(gender(" Мужской "), "m");
    CHECK_STR(gender("жен."), "f");
    CHECK_STR(gender("Female"), "f");
    CHECK_STR(gender("1"), "m"); /* ISO/IEC 5218 */
    CHECK_STR(gender("2"), "f");
    CHECK_STR(gender("0"), "!unspecified");
    CHECK_STR(gender("9"), "!not_applicable");
    CHECK_STR(gender("X"), "?"); /* not a code of ISO/IEC 5218: a typo */
    CHECK_STR(gender("не указан"), "!unspecified");
    CHECK_STR(gender("Unknown"), "!unspecified");
    CHECK_STR(gender("-"), "!unspecified");
    CHECK_STR(gender("мальчик"), "?");
    CHECK_STR(gender(""), "?");
    CHECK(cdp_gender_parse("м", strlen("м"), NULL) == 'm');
    CHECK(cdp_gender_parse("0", 1, NULL) == 0);

    CHECK_STR(yes_no("Да"), "yes");
    CHECK_STR(yes_no("нет"), "no");
    CHECK_STR(yes_no("YES"), "yes");
    CHECK_STR(yes_no("false"), "no");
    CHECK_STR(yes_no("1"), "yes");
    CHECK_STR(yes_no("0"), "no");
    CHECK_STR(yes_no("Y"), "yes");
    CHECK_STR(yes_no("n"), "no");
    CHECK_STR(yes_no("+"), "yes");
    CHECK_STR(yes_no("-"), "no"); /* a yes/no column's minus is no, not "no value" */
    CHECK_STR(yes_no("не указано"), "!unspecified");
    CHECK_STR(yes_no("N/A"), "!unspecified");
    CHECK_STR(yes_no("maybe"), "?");
    CHECK_STR(yes_no(""), "?");
}

static void test_countries(void)
{
    /* Codes, alpha-2 and alpha-3. */
    CHECK_STR(country("ru"), "RU");
    CHECK_STR(country(" KZ "), "KZ");
    CHECK_STR(country("DEU"), "DE");
    CHECK_STR(country("USA"), "US");
    CHECK_STR(country("XX"), "?");
    CHECK_STR(country("R"), "?");
    /* ISO English names: short, official, common. */
    CHECK_STR(country("United Kingdom"), "GB");
    CHECK_STR(country("UNITED KINGDOM OF GREAT BRITAIN AND NORTHERN IRELAND"), "GB");
    CHECK_STR(country("Netherlands"), "NL");
    CHECK_STR(country("Czechia"), "CZ");
    CHECK_STR(country("Czech Republic"), "CZ");
    CHECK_STR(country("Hong Kong"), "HK");
    CHECK_STR(country("Russian Federation"), "RU");
    CHECK_STR(country("Korea, Republic of"), "KR");
    CHECK_STR(country("South Korea"), "KR");
    CHECK_STR(country("Viet Nam"), "VN");
    CHECK_STR(country("Vietnam"), "VN");
    CHECK_STR(country("Côte d’Ivoire"), "CI");
    CHECK_STR(country("Türkiye"), "TR");
    CHECK_STR(country("United Arab Emirates"), "AE");
    /* Russian, from iso-codes' translation, however typed. */
    CHECK_STR(country("Российская Федерация"), "RU");
    CHECK_STR(country("Российская  федерация"), "RU");
    CHECK_STR(country("Беларусь"), "BY");
    CHECK_STR(country("Германия"), "DE");
    CHECK_STR(country("Казахстан"), "KZ");
    CHECK_STR(country("Соединённое Королевство"), "GB");
    CHECK_STR(country("Соединенное королевство"), "GB");
    CHECK_STR(country("Объединенные Арабские Эмираты"), "AE");
    CHECK_STR(country("Южная Корея"), "KR");
    CHECK_STR(country("Молдавия"), "MD");
    CHECK_STR(country("Киргизия"), "KG");
    /* Other translations of the build. */
    CHECK_STR(country("Deutschland"), "DE");
    CHECK_STR(country("Allemagne"), "DE");
    CHECK_STR(country("Niemcy"), "DE");
    CHECK_STR(country("Німеччина"), "DE");
    CHECK_STR(country("Österreich"), "AT");
    CHECK_STR(country("Suisse"), "CH");
    CHECK_STR(country("Қазақстан"), "KZ");
    /* Aliases: vocab_aliases.txt. */
    CHECK_STR(country("EIRE"), "IE");
    CHECK_STR(country("RSA"), "ZA");
    CHECK_STR(country("UK"), "GB");
    CHECK_STR(country("U.K."), "GB");
    CHECK_STR(country("U.S.A."), "US");
    CHECK_STR(country("England"), "GB");
    CHECK_STR(country("Russia"), "RU");
    CHECK_STR(country("Россия"), "RU");
    CHECK_STR(country("РФ"), "RU");
    CHECK_STR(country("рф"), "RU");
    CHECK_STR(country("Белоруссия"), "BY");
    CHECK_STR(country("США"), "US");
    CHECK_STR(country("Великобритания"), "GB");
    CHECK_STR(country("Turkey"), "TR");
    CHECK_STR(country("Турция"), "TR");
    CHECK_STR(country("Holland"), "NL");
    CHECK_STR(country("Кыргызстан"), "KG");
    /* Not countries, each with its reason. */
    CHECK_STR(country("Unspecified"), "!unspecified");
    CHECK_STR(country("не указано"), "!unspecified");
    CHECK_STR(country("-"), "!unspecified");
    CHECK_STR(country("European Community"), "!several_countries");
    CHECK_STR(country("EU"), "!several_countries");
    CHECK_STR(country("Channel Islands"), "!several_countries");
    CHECK_STR(country("СНГ"), "!several_countries");
    /* Unknown. */
    CHECK_STR(country("Атлантида"), "?");
    CHECK_STR(country("Korea"), "?");
    CHECK_STR(country("Нарния"), "?");
    CHECK(cdp_country_lookup(&scratch, "Narnia", 6, NULL) == NULL);
}

static void test_regions(void)
{
    CHECK_STR(region("Москва", NULL, NULL), "RU-MOW");
    CHECK_STR(region("г. Москва", NULL, NULL), "RU-MOW");
    CHECK_STR(region("Moskva", NULL, NULL), "RU-MOW");
    CHECK_STR(region("Moscow", NULL, NULL), "RU-MOW");
    CHECK_STR(region("Московская обл.", NULL, NULL), "RU-MOS");
    CHECK_STR(region("Moscow Oblast", NULL, NULL), "RU-MOS");
    CHECK_STR(region("Республика Татарстан", "RU", NULL), "RU-TA");
    CHECK_STR(region("Татарстан Респ", NULL, NULL), "RU-TA");
    CHECK_STR(region("Tatarstan, Respublika", NULL, NULL), "RU-TA");
    CHECK_STR(region("Ханты-Мансийский АО", NULL, NULL), "RU-KHM");
    CHECK_STR(region("ХМАО", NULL, NULL), "RU-KHM");
    CHECK_STR(region("Санкт-Петербург", NULL, NULL), "RU-SPE");
    CHECK_STR(region("СПб", NULL, NULL), "RU-SPE");
    CHECK_STR(region("Свердловская область", NULL, NULL), "RU-SVE");
    CHECK_STR(region("RU-MOW", NULL, NULL), "RU-MOW");
    CHECK_STR(region("England", NULL, NULL), "GB-ENG");
    CHECK_STR(region("California", NULL, NULL), "US-CA");
    CHECK_STR(region("Bayern", NULL, NULL), "DE-BY");
    /* One name, several countries: the row's country decides, else home. */
    CHECK_STR(region("Limburg", "BE", NULL), "BE-VLI");
    CHECK_STR(region("Limburg", "NL", "RU"), "NL-LI");
    CHECK_STR(region("Limburg", NULL, "NL"), "NL-LI");
    CHECK_STR(region("Limburg", NULL, "RU"), "?");
    CHECK_STR(region("Москва", "BE", NULL), "?");
    /* A community and its one province of the same name: the community. */
    CHECK_STR(region("Cantabria", NULL, NULL), "ES-CB");
    CHECK_STR(region("Нарния", NULL, NULL), "?");
}

/* The country of a phone, from the fast path and from libphonenumber. */
static void test_phone_region(void)
{
    char err[128], a[3], b[3];
    struct cdp_phone_normalizer *pn = cdp_phone_normalizer_new("RU", err, sizeof err);
    CHECK(pn != NULL);
    static const struct {
        const char *e164, *region;
    } cases[] = {
        { "+79123456789", "RU" }, { "+74951234567", "RU" }, { "+77012345678", "KZ" },
        { "+77172123456", "KZ" }, { "+442079460958", "GB" }, { "+447797712345", "JE" },
        { "+447781123456", "GG" }, { "+447624123456", "IM" }, { "+14155552671", "US" },
        { "+16135550123", "CA" }, { "+375296123456", "BY" }, { "+380501234567", "UA" },
        { "+80012345678", "" },   { "79123456789", "" },     { "+7912345678x", "" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int ok = cdp_phone_region(pn, cases[i].e164, a);
        int ref = cdp_phone_region_reference(pn, cases[i].e164, b);
        CHECK_STR(a, cases[i].region);
        CHECK(ok == (cases[i].region[0] != '\0'));
        CHECK_STR(b, cases[i].region);
        CHECK(ref == ok);
    }
    cdp_phone_normalizer_free(pn);
}

int main(void)
{
    test_keys();
    test_genders_and_yes_no();
    test_countries();
    test_regions();
    test_phone_region();
    cdp_buf_release(&out);
    cdp_buf_release(&scratch);
    return check_report("test_vocab");
}
