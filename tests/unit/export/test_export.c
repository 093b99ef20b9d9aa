/* Unit tests of the export modules: SHA-256 against the platforms'
 * published examples (hash.h, export/platform_ids.h), the platforms'
 * normalisations, CSV cells (io/csv_cell.h), JSON strings and arrays
 * (export/json_peek.h), part names (export/parts.h), suppression matching
 * (suppress.h) and the audience rules (export/audience.h). */
#include <stdlib.h>

#include "../check.h"
#include "norm/email.h"
#include "export/audience.h"
#include "io/csv_cell.h"
#include "export/format.h"
#include "export/json_peek.h"
#include "export/platform_ids.h"
#include "export/parts.h"
#include "base/hash.h"
#include "io/json.h"
#include "export/suppress.h"

static struct cdp_sha256 *sha;
static struct cdp_buf out;

static const char *hex(const char *s)
{
    static char h[CDP_SHA256_HEX_SIZE];
    cdp_sha256_hex(sha, s, strlen(s), h);
    return h;
}

typedef bool (*norm_fn)(struct cdp_buf *, const char *, size_t);

static const char *norm(norm_fn f, const char *s)
{
    cdp_buf_reset(&out);
    if (!f(&out, s, strlen(s)))
        return "(none)";
    return out.data;
}

/* Normalised as Google says, then hashed. */
static const char *google_email(const char *raw)
{
    struct cdp_buf e = CDP_BUF_INIT;
    static char h[CDP_SHA256_HEX_SIZE];
    if (!cdp_email_normalize(&e, raw, strlen(raw))) {
        cdp_buf_release(&e);
        return "(invalid)";
    }
    cdp_buf_reset(&out);
    cdp_norm_email_google(&out, e.data, e.len);
    cdp_sha256_hex(sha, out.data, out.len, h);
    cdp_buf_release(&e);
    return h;
}

static void test_published_hashes(void)
{
    /* Google Data Manager API, "Send audience members": raw, formatted, hash. */
    CHECK_STR(google_email("dana@example.com"),
              "07e2f1394b0ea80e2adca010ea8318df697001a005ba7452720edda4b0ce57b3");
    CHECK_STR(google_email("DanaM@example.com"),
              "1df6b43bc68dd38eca94e6a65b4f466ae537b796c81a526918b40ac4a7b906c7");
    CHECK_STR(google_email("ALEXF@example.com"),
              "19de0a9906ebee29fe82087be5ec44f3c01e40730bc808b663c71f19dd6b12f2");
    CHECK_STR(google_email("AlexF@cymbalgroup.com"),
              "7d2d80e240594dcee2e57f57885ee286c4b232dd142234d7a0af6d31cc86679b");
    CHECK_STR(google_email("alexF@altostrat.com"),
              "063c45291827d4994f98357b72862b25885834fd53cf8f0e4af359916fc03c62");
    CHECK_STR(google_email("quinn@CYMBALGROUP.com"),
              "05bb62526f091b45d20e243d194766cca8869137421047dc53fa4876d111a6f0");
    CHECK_STR(google_email("baklavainthebalkans@gmail.com"),
              "f1fcde379f31f4d446b76ee8f34860eca2288adc6b6d6c0fdc56d9eee75a2fa5");
    CHECK_STR(google_email("rosario@example.org"),
              "83a834cc5327bc4dee7c5408988040dc5813c7662611cd93b707aff72bf7d33f");
    CHECK_STR(google_email("cloudySanFrancisco@GMAIL.com"),
              "223ebda6f6889b1494551ba902d9d381daf2f642bae055888e96343d53e9f9c4");
    /* Its formatting guide: cloudy.sanfrancisco+shopping@gmail.com is
     * cloudysanfrancisco@gmail.com; the older quickstart trims " AlexJ@...". */
    CHECK_STR(google_email("cloudy.sanfrancisco+shopping@gmail.com"),
              "223ebda6f6889b1494551ba902d9d381daf2f642bae055888e96343d53e9f9c4");
    CHECK_STR(google_email(" AlexJ@example.com"),
              "2ef46c4214c3fc1b277a2d976d55194e12b899aa50d721f28da858c7689756e3");
    CHECK_STR(hex("+18005550100"), "fb4f73a6ec5fdb7077d564cdd22c3554b43ce49168550c3b12c547b78c517b30");
    CHECK_STR(hex("+18005550101"), "61d6c2976b5d92b1ad63073a12fddd26040cd980067d03a93dd1cc50f1a3ac68");
    CHECK_STR(hex("+18005550102"), "c5383c2eeada28210d27f011bc127d4f9562cf38ff0c9bba33dd45ae79b9fe7c");
    CHECK_STR(hex("+18005550110"), "525c2390a4e2a9766fa8ddc341dd10414603baebefa401f5a5e29f55e176525d");
    /* Meta, "Customer File Custom Audiences", section Hashing. */
    CHECK_STR(hex("mary@example.com"),
              "f1904cf1a9d73a55fa5de0ac823c4403ded71afd4c3248d00bdcd0866552bb79");
    CHECK_STR(hex("15559876543"), "1ef970831d7963307784fa8688e8fce101a15685d62aa765fed23f3a2c576a4e");
    CHECK(cdp_sha256_hex_like("1EF970831d7963307784fa8688e8fce101a15685d62aa765fed23f3a2c576a4e", 64));
    CHECK(!cdp_sha256_hex_like("1ef970831d7963307784fa8688e8fce101a15685d62aa765fed23f3a2c576a4", 63));
    CHECK(!cdp_sha256_hex_like("xef970831d7963307784fa8688e8fce101a15685d62aa765fed23f3a2c576a4e", 64));
}

static void test_norms(void)
{
    /* Google: the gmail rule only for gmail.com and googlemail.com. */
    CHECK_STR(norm(cdp_norm_email_google, "user.name+nyc@example.com"), "user.name+nyc@example.com");
    CHECK_STR(norm(cdp_norm_email_google, "a.b+c@googlemail.com"), "ab@googlemail.com");
    CHECK_STR(norm(cdp_norm_email_google, "+tag@gmail.com"), "+tag@gmail.com");
    CHECK_STR(norm(cdp_norm_name_google, "  Zoë Ann "), "zoë ann");
    CHECK_STR(norm(cdp_norm_name_google, "ИВАН"), "иван");
    CHECK_STR(norm(cdp_norm_name_google, "   "), "(none)");
    /* Meta: letters only, lower case, UTF-8 kept. */
    CHECK_STR(norm(cdp_norm_letters_meta, "Анна-Мария"), "аннамария");
    CHECK_STR(norm(cdp_norm_letters_meta, "O'Neil, \"Jr.\" 3rd"), "oneiljrrd");
    CHECK_STR(norm(cdp_norm_letters_meta, "San Francisco"), "sanfrancisco");
    CHECK_STR(norm(cdp_norm_letters_meta, "Санкт-Петербург"), "санктпетербург");
    CHECK_STR(norm(cdp_norm_letters_meta, "-- 12 --"), "(none)");
    cdp_buf_reset(&out);
    CHECK(cdp_norm_zip_meta(&out, "94016-1234", 10, "US", 2));
    CHECK_STR(out.data, "94016");
    cdp_buf_reset(&out);
    CHECK(cdp_norm_zip_meta(&out, " WC2H 8LG ", 10, "GB", 2));
    CHECK_STR(out.data, "wc2h8lg");
    cdp_buf_reset(&out);
    CHECK(cdp_norm_country(&out, " ru", 3, true));
    CHECK(cdp_norm_country(&out, "US", 2, false));
    CHECK(!cdp_norm_country(&out, "RUS", 3, false));
    CHECK(!cdp_norm_country(&out, "R1", 2, false));
    CHECK_STR(out.data, "RUus");
    CHECK_STR(norm(cdp_norm_birthday_mmdd, "1985-03-05"), "03/05");
    CHECK_STR(norm(cdp_norm_birthday_mmdd, "2024-02-30"), "(none)");
    CHECK_STR(norm(cdp_norm_birthday_mmdd, "05.03.1985"), "(none)");
    CHECK_STR(norm(cdp_norm_birth_year, "1985-03-05T00:00:00Z"), "1985");
    CHECK_STR(norm(cdp_norm_gender, " F"), "f");
    CHECK_STR(norm(cdp_norm_gender, "male"), "(none)");
    CHECK(cdp_e164_syntax("+79123456789", 12));
    CHECK(!cdp_e164_syntax("79123456789", 11));
    CHECK(!cdp_e164_syntax("+7912345678901234", 17));
    CHECK(!cdp_e164_syntax("+0912345678", 11));
    CHECK(!cdp_e164_syntax("+7 912 345", 10));
}

static const char *cell(const char *s, char delim)
{
    cdp_buf_reset(&out);
    cdp_csv_add_cell(&out, s, strlen(s), delim);
    return out.data ? out.data : "";
}

static void test_csv(void)
{
    CHECK_STR(cell("plain", ','), "plain");
    CHECK_STR(cell("", ','), "");
    CHECK_STR(cell("a,b", ','), "\"a,b\"");
    CHECK_STR(cell("a,b", ';'), "a,b");
    CHECK_STR(cell("a;b", ';'), "\"a;b\"");
    CHECK_STR(cell("say \"hi\"", ','), "\"say \"\"hi\"\"\"");
    CHECK_STR(cell("\"", ','), "\"\"\"\"");
    CHECK_STR(cell("two\nlines", ','), "\"two\nlines\"");
    CHECK_STR(cell("cr\r", ','), "\"cr\r\"");
    CHECK_STR(cell(" lead", ','), "\" lead\"");
    CHECK_STR(cell("tail\t", ','), "\"tail\t\"");
    CHECK_STR(cell("+79123456789", ','), "+79123456789");
    CHECK_STR(cell("=1+2", ','), "=1+2");
}

static const char *decode(const char *lit)
{
    cdp_buf_reset(&out);
    if (!cdp_json_string_decode(&out, lit, strlen(lit)))
        return "(bad)";
    return out.data ? out.data : "";
}

static struct cdp_buf all;

static const char *elements(const char *arr)
{
    cdp_buf_reset(&all);
    size_t pos = 0;
    const char *e;
    size_t n;
    while (cdp_json_array_next(arr, strlen(arr), &pos, &e, &n)) {
        cdp_buf_add(&all, e, n);
        cdp_buf_addc(&all, '|');
    }
    return all.data ? all.data : "";
}

static void test_json(void)
{
    CHECK_STR(decode("\"vip\""), "vip");
    CHECK_STR(decode("\"\""), "");
    CHECK_STR(decode("\"a\\\"b\\\\c\\/d\\n\""), "a\"b\\c/d\n");
    CHECK_STR(decode("\"\\u0416\\u0436\""), "Жж");
    CHECK_STR(decode("\"\\ud83d\\ude00\""), "\xF0\x9F\x98\x80");
    CHECK_STR(decode("\"\\ud83d\""), "\xEF\xBF\xBD");
    CHECK_STR(decode("\"\\ud83d\\u0041\""), "\xEF\xBF\xBD" "A"); /* a high surrogate, then no low one */
    CHECK_STR(decode("\"\\ude00x\""), "\xEF\xBF\xBDx");
    CHECK_STR(decode("\"\\u04\""), "(bad)");
    CHECK_STR(decode("\"\\x\""), "(bad)");
    CHECK_STR(decode("\"a\\\""), "(bad)");
    /* One escape at a time, as rules/jq reads a program's strings. */
    bool lone = true;
    cdp_buf_reset(&out);
    CHECK(cdp_json_unescape(&out, "ud83d\\ude00\"", 12, &lone) == 11 && !lone);
    CHECK(cdp_json_unescape(&out, "n", 1, &lone) == 1 && !lone);
    CHECK(cdp_json_unescape(&out, "ude00", 5, &lone) == 5 && lone);
    CHECK(cdp_json_unescape(&out, "u00", 3, &lone) == 0);
    CHECK(cdp_json_unescape(&out, "(", 1, &lone) == 0);
    CHECK(cdp_json_unescape(&out, "", 0, &lone) == 0);
    cdp_buf_addc(&out, '\0');
    CHECK_STR(out.data, "\xF0\x9F\x98\x80\n\xEF\xBF\xBD");
    CHECK_STR(decode("vip"), "(bad)");
    CHECK_STR(elements("[]"), "");
    CHECK_STR(elements(" [ \"a\" , \"b,c\",\"d\\\"]\" ] "), "\"a\"|\"b,c\"|\"d\\\"]\"|");
    CHECK_STR(elements("[1,[2,3],{\"k\":[4]},null]"), "1|[2,3]|{\"k\":[4]}|null|");
    CHECK_STR(elements("{\"a\":1}"), "");
    CHECK_STR(elements("[\"unterminated"), "\"unterminated|");
    struct cdp_buf scratch = CDP_BUF_INIT;
    const char *arr = "[\"birthday\",\"v\\u0069p\",\"Кухня\"]";
    CHECK(cdp_json_array_has_string(arr, strlen(arr), "birthday", 8, &scratch));
    CHECK(cdp_json_array_has_string(arr, strlen(arr), "vip", 3, &scratch));
    CHECK(cdp_json_array_has_string(arr, strlen(arr), "Кухня", strlen("Кухня"), &scratch));
    CHECK(!cdp_json_array_has_string(arr, strlen(arr), "birth", 5, &scratch));
    cdp_buf_release(&scratch);
}

static void test_cells(void)
{
    struct cdp_cells c;
    memset(&c, 0, sizeof c);
    const char *in[] = { "\"Ann\\\"a\"", "null", "3", "[\"a\",1]", "true", "\"\"" };
    const char *want[] = { "Ann\"a", "", "3", "[\"a\",1]", "true", "" };
    for (size_t i = 0; i < 6; i++)
        cdp_cells_add_json(&c, in[i], strlen(in[i]));
    CHECK(c.n == 6);
    for (size_t i = 0; i < 6 && i < c.n; i++) {
        char got[64];
        snprintf(got, sizeof got, "%.*s", (int)c.len[i], c.text.data + c.off[i]);
        CHECK_STR(got, want[i]);
    }
    CHECK(cdp_export_format_find("meta") && !cdp_export_format_find("facebook"));
    /* the key of a platform row: its first non-empty key cell */
    const struct cdp_export_format *g = cdp_export_format_find("google-customer-match");
    struct cdp_contact ct;
    memset(&ct, 0, sizeof ct);
    ct.email = "";
    cdp_cells_reset(&c);
    cdp_cells_add(&c, "", 0);
    cdp_cells_add(&c, "abc", 3);
    const char *key;
    size_t len;
    cdp_export_contact_key(g, CDP_CHANNEL_ADS, &ct, &c, &key, &len);
    CHECK(len == 3 && memcmp(key, "abc", 3) == 0);
    /* csv: the channel's contact */
    const struct cdp_export_format *csv = cdp_export_format_find("csv");
    strcpy(ct.phone, "+79123456789");
    cdp_export_contact_key(csv, CDP_CHANNEL_ADS, &ct, &c, &key, &len);
    CHECK(len == 12 && memcmp(key, "+79123456789", 12) == 0);
    cdp_export_contact_key(csv, CDP_CHANNEL_SMS, &ct, &c, &key, &len);
    CHECK(len == 0);
    cdp_export_contact_key(csv, CDP_CHANNEL_NONE, &ct, &c, &key, &len);
    CHECK(len == 0);
    cdp_cells_release(&c);
}

static void test_may_refuse(void)
{
    struct cdp_error err;
    struct cdp_audience_options o = { CDP_CHANNEL_EMAIL, NULL, 0, false, false, false, false, NULL };
    struct cdp_audience *a = cdp_audience_new(&o, &err);
    const char *yes[] = {
        "{\"consent_email\":false}",
        "{\"consent_email\" : \n false}",
        "{\"x\":\"consent_email\",\"consent_email\":false}",
        "{\"consent\\u005femail\":true}",
        "{\"name\":\"O\\\"Brien\",\"x\":\"\\u0041\"}",
        "{\"path\":\"C:\\\\users\"}", /* \\ then u: parsed, to be safe */
    };
    const char *no[] = {
        "{\"consent_email\":true}",
        "{\"consent_sms\":false}",
        "{\"my_consent_email\":false}",
        "{}",
        "{\"name\":\"O\\\"Brien\",\"consent_email\":true}",
        "{\"name\":\"\\",
    };
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        CHECK(cdp_audience_may_refuse(a, yes[i], strlen(yes[i])));
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        CHECK(!cdp_audience_may_refuse(a, no[i], strlen(no[i])));
    cdp_audience_free(a);
}

static void test_part_names(void)
{
    struct {
        const char *path, *want;
    } cases[] = {
        { "audience.csv", "audience-0002.csv" },
        { "out/audience.csv.zst", "out/audience-0002.csv.zst" },
        { "a.b.csv.gz", "a.b-0002.csv.gz" },
        { "dir.v1/out", "dir.v1/out-0002" },
        { ".hidden", ".hidden-0002" },
        { "sms.txt", "sms-0002.txt" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *name = cdp_parts_name(cases[i].path, 2);
        CHECK_STR(name, cases[i].want);
        free(name);
    }
}

static void test_suppress(void)
{
    struct cdp_error err;
    struct cdp_suppress *s = cdp_suppress_new("XX", &err);
    CHECK(s == NULL);
    s = cdp_suppress_new("RU", &err);
    cdp_suppress_add_email(s, "ivan@mail.ru", 12);
    cdp_suppress_add_phone(s, "+79123456789", 12);
    CHECK(cdp_suppress_email(s, "ivan@mail.ru", 12));
    CHECK(!cdp_suppress_email(s, "ivan@mail.r", 11));
    CHECK(cdp_suppress_phone(s, "+79123456789", 12));
    CHECK(!cdp_suppress_phone(s, "+79123456780", 12));
    size_t e, p, h, u;
    cdp_suppress_counts(s, &e, &p, &h, &u);
    CHECK(e == 1 && p == 1 && h == 0 && u == 0);
    cdp_suppress_free(s);
}

/* A profile from JSON text, checked on a channel. */
static enum cdp_skip check_profile(struct cdp_audience *a, const char *json, struct cdp_contact *c)
{
    static struct cdp_json_parser *jp;
    static struct cdp_record rec = CDP_RECORD_INIT;
    static struct cdp_buf padded;
    if (!jp)
        jp = cdp_json_parser_new();
    if (!json) { /* release */
        cdp_json_parser_free(jp);
        cdp_record_release(&rec);
        cdp_buf_release(&padded);
        return CDP_SKIP_NONE;
    }
    cdp_buf_reset(&padded);
    cdp_buf_adds(&padded, json);
    size_t len = padded.len;
    cdp_buf_grow(&padded, 64);
    memset(padded.data + len, ' ', 64);
    struct cdp_error err;
    cdp_record_clear(&rec);
    if (cdp_json_parse_object(jp, padded.data, len, &rec, &err) != CDP_JSON_OK) {
        fprintf(stderr, "test_export: bad test JSON: %s\n", err.msg);
        return CDP_SKIP_COUNT;
    }
    return cdp_audience_check(a, &rec, c);
}

static void test_audience(void)
{
    struct cdp_error err;
    const char *vip[] = { "vip" };
    struct cdp_audience_options o = { CDP_CHANNEL_EMAIL, vip, 1, false, false, false, true, NULL };
    struct cdp_audience *a = cdp_audience_new(&o, &err);
    struct cdp_contact c;
    memset(&c, 0, sizeof c);
    CHECK(check_profile(a, "{\"email\":\"a@b.ru\",\"consent_email\":true,\"segments\":[\"vip\"]}", &c) ==
          CDP_SKIP_NONE);
    CHECK_STR(c.email, "a@b.ru");
    CHECK(check_profile(a, "{\"email\":\"a@b.ru\",\"consent_email\":true,\"segments\":[\"x\"]}", &c) ==
          CDP_SKIP_NOT_IN_SEGMENT);
    CHECK(check_profile(a, "{\"email\":\"a@b.ru\",\"consent_email\":true,\"segments\":[],\"holdout\":[\"vip\"]}", &c) ==
          CDP_SKIP_HOLDOUT);
    CHECK(check_profile(a, "{\"consent_email\":true,\"segments\":[\"vip\"]}", &c) == CDP_SKIP_NO_EMAIL);
    CHECK(check_profile(a, "{\"email\":\"x\",\"emails\":[\"y\"],\"consent_email\":true,\"segments\":[\"vip\"]}", &c) ==
          CDP_SKIP_INVALID_EMAIL);
    /* The first valid address of emails when email is not valid. */
    CHECK(check_profile(a, "{\"email\":\"x\",\"emails\":[\"y\",\" B@C.RU\"],\"consent_email\":true,\"segments\":[\"vip\"]}", &c) ==
          CDP_SKIP_NONE);
    CHECK_STR(c.email, "b@c.ru");
    CHECK(check_profile(a, "{\"email\":\"a@b.ru\",\"consent_email\":\"true\",\"segments\":[\"vip\"]}", &c) ==
          CDP_SKIP_NO_CONSENT);
    CHECK(check_profile(a, "{\"email\":\"a@b.ru\",\"segments\":[\"vip\"]}", &c) == CDP_SKIP_NO_CONSENT);
    CHECK(check_profile(a, "{\"gone\":true,\"segments\":[\"vip\"]}", &c) == CDP_SKIP_GONE);
    cdp_audience_free(a);

    o.channel = CDP_CHANNEL_SMS;
    o.nsegments = 0;
    a = cdp_audience_new(&o, &err);
    CHECK(check_profile(a, "{\"consent_sms\":true}", &c) == CDP_SKIP_NO_PHONE);
    CHECK(check_profile(a, "{\"phone\":\"12\",\"consent_sms\":true}", &c) == CDP_SKIP_INVALID_PHONE);
    CHECK(check_profile(a, "{\"phone\":\"+74951234567\",\"consent_sms\":true}", &c) == CDP_SKIP_NO_MOBILE);
    CHECK(check_profile(a, "{\"phone\":\"+74951234567\",\"phones\":[\"8 912 345-67-89\"],\"consent_sms\":true,\"holdout\":[\"vip\"]}", &c) ==
          CDP_SKIP_NONE);
    CHECK_STR(c.phone, "+74951234567");
    CHECK_STR(c.mobile, "+79123456789");
    CHECK(check_profile(a, "{\"phone\":\"+79123456789\",\"consent_sms\":false}", &c) == CDP_SKIP_NO_CONSENT);
    cdp_audience_free(a);

    o.channel = CDP_CHANNEL_ADS;
    a = cdp_audience_new(&o, &err);
    CHECK(check_profile(a, "{\"first_name\":\"Ann\",\"consent_ads\":true}", &c) == CDP_SKIP_NO_CONTACT);
    CHECK(check_profile(a, "{\"phone\":\"+15559876543\"}", &c) == CDP_SKIP_NONE);
    CHECK(c.ads_consent_absent);
    CHECK_STR(c.phone, "+15559876543");
    CHECK(check_profile(a, "{\"phone\":\"+15559876543\",\"consent_ads\":null}", &c) == CDP_SKIP_NO_CONSENT);
    cdp_audience_free(a);
    o.strict_consent = true;
    a = cdp_audience_new(&o, &err);
    CHECK(check_profile(a, "{\"phone\":\"+15559876543\"}", &c) == CDP_SKIP_NO_CONSENT);
    CHECK(check_profile(a, "{\"phone\":\"+15559876543\",\"consent_ads\":true}", &c) == CDP_SKIP_NONE);
    cdp_audience_free(a);
    o.region = "XX";
    CHECK(cdp_audience_new(&o, &err) == NULL);
    check_profile(NULL, NULL, NULL);
    cdp_contact_release(&c);
}

int main(void)
{
    sha = cdp_sha256_new();
    CHECK(sha != NULL);
    test_published_hashes();
    test_norms();
    test_csv();
    test_json();
    test_cells();
    test_may_refuse();
    test_part_names();
    test_suppress();
    test_audience();
    cdp_sha256_free(sha);
    cdp_buf_release(&out);
    cdp_buf_release(&all);
    return check_report("test_export");
}
