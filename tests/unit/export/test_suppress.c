/* test_suppress: suppression lists (export/suppress.h) read from files, one
 * entry a line or a CSV column, normalised and matched as sent; and how the
 * audience uses them and the refusals pass (export/audience.h: suppressed,
 * refused_elsewhere). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../check.h"
#include "../files.h"
#include "base/hash.h"
#include "export/audience.h"
#include "export/suppress.h"
#include "io/json.h"
#include "io/lines.h"

static void bad_entry(void *ctx, const char *file, uint64_t line, const char *text, size_t len)
{
    const char *base = strrchr(file, '/');
    cdp_buf_printf(ctx, "%s:%llu:%.*s|", base ? base + 1 : file, (unsigned long long)line, (int)len, text);
}

static void test_lists(void)
{
    struct cdp_sha256 *sha = cdp_sha256_new();
    char anna[CDP_SHA256_HEX_SIZE], digits[CDP_SHA256_HEX_SIZE];
    cdp_sha256_hex(sha, "anna@mail.ru", 12, anna);
    cdp_sha256_hex(sha, "79123456780", 11, digits); /* Meta's form: no '+' */
    for (char *p = anna; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'f' ? *p - 32 : *p); /* upper case is lower-cased */
    char text[512];
    snprintf(text, sizeof text, " Ivan@Mail.RU \n# a comment\n\n8 912 345-67-89\n%s\n%s\nnot an entry\n",
             anna, digits);
    struct cdp_error err;
    struct cdp_suppress *s = cdp_suppress_new("RU", &err);
    struct cdp_buf bad = CDP_BUF_INIT;
    CHECK(cdp_suppress_load(s, write_file("list.txt", text), NULL, bad_entry, &bad, &err) == 0);
    CHECK_STR(bad.data, "list.txt:7:not an entry|");
    size_t e, p, h, u;
    cdp_suppress_counts(s, &e, &p, &h, &u);
    CHECK(e == 1 && p == 1 && h == 2 && u == 1);
    CHECK(cdp_suppress_email(s, "ivan@mail.ru", 12));
    CHECK(cdp_suppress_email(s, "anna@mail.ru", 12)); /* by its hash */
    CHECK(!cdp_suppress_email(s, "olga@mail.ru", 12));
    CHECK(cdp_suppress_phone(s, "+79123456789", 12));
    CHECK(cdp_suppress_phone(s, "+79123456780", 12)); /* by the hash of its digits */
    CHECK(!cdp_suppress_phone(s, "+79123456781", 12));
    /* a CSV column */
    cdp_buf_reset(&bad);
    const char *csv = write_file("list.csv", "id;email\n1;Olga@Mail.ru\n2;\n3;x\n");
    CHECK(cdp_suppress_load(s, csv, "email", bad_entry, &bad, &err) == 0);
    CHECK_STR(bad.data, "list.csv:4:x|");
    CHECK(cdp_suppress_email(s, "olga@mail.ru", 12));
    CHECK(cdp_suppress_load(s, csv, "mail", NULL, NULL, &err) == -1);
    char want[512];
    snprintf(want, sizeof want, "%s: no column 'mail'", csv);
    CHECK_STR(err.msg, want);
    CHECK(cdp_suppress_load(s, "/nonexistent/list.txt", NULL, NULL, NULL, &err) == -1);
    cdp_suppress_free(s);
    cdp_sha256_free(sha);
    cdp_buf_release(&bad);
}

static enum cdp_skip check(struct cdp_audience *a, const char *json, struct cdp_contact *c)
{
    static struct cdp_json_parser *jp;
    static struct cdp_record rec = CDP_RECORD_INIT;
    static struct cdp_buf padded;
    if (!json) {
        cdp_json_parser_free(jp);
        cdp_record_release(&rec);
        cdp_buf_release(&padded);
        return CDP_SKIP_NONE;
    }
    if (!jp)
        jp = cdp_json_parser_new();
    cdp_buf_reset(&padded);
    cdp_buf_add_padded(&padded, json, strlen(json));
    struct cdp_error err;
    cdp_record_clear(&rec);
    if (cdp_json_parse_object(jp, padded.data, padded.len, &rec, &err) != CDP_JSON_OK)
        return CDP_SKIP_COUNT;
    return cdp_audience_check(a, &rec, c);
}

static void test_audience(void)
{
    struct cdp_error err;
    struct cdp_audience_options o = { .channel = CDP_CHANNEL_EMAIL };
    struct cdp_audience *a = cdp_audience_new(&o, &err);
    struct cdp_contact c;
    memset(&c, 0, sizeof c);
    CHECK(cdp_audience_suppression(a) == NULL);
    const char *list = write_file("list.txt", "ivan@mail.ru\n");
    CHECK(cdp_audience_add_suppression(a, list, NULL, NULL, NULL, &err) == 0);
    CHECK(cdp_audience_suppression(a) != NULL);
    /* any e-mail of the profile, not only the one written */
    CHECK(check(a, "{\"email\":\"a@b.ru\",\"emails\":[\"Ivan@mail.ru\"],\"consent_email\":true}", &c) ==
          CDP_SKIP_SUPPRESSED);
    CHECK(check(a, "{\"email\":\"a@b.ru\",\"consent_email\":true}", &c) == CDP_SKIP_NONE);
    /* the first reason wins: no consent before suppressed */
    CHECK(check(a, "{\"email\":\"ivan@mail.ru\"}", &c) == CDP_SKIP_NO_CONSENT);

    /* a@b.ru refused by another profile; the phone of a refusal does not
     * matter for e-mail; an unparsable line is passed over */
    struct cdp_reader_options ro = { 0 };
    const char *profiles = write_file("profiles.ndjson",
                                      "{\"cdp_id\":\"p1\",\"email\":\"A@b.ru\",\"phone\":\"+79123456789\",\"consent_email\":false}\n"
                                      "not json, consent_email false\n"
                                      "{\"cdp_id\":\"p2\",\"email\":\"z@b.ru\",\"consent_email\":true}\n");
    CHECK(cdp_audience_read_refusals(a, profiles, &ro, &err) == 0);
    CHECK(check(a, "{\"email\":\"a@b.ru\",\"consent_email\":true}", &c) == CDP_SKIP_REFUSED_ELSEWHERE);
    CHECK(check(a, "{\"email\":\"z@b.ru\",\"consent_email\":true}", &c) == CDP_SKIP_NONE);
    /* only the contact the row is for: another refused address of the
     * profile does not stop it */
    CHECK(check(a, "{\"email\":\"z@b.ru\",\"emails\":[\"a@b.ru\"],\"consent_email\":true}", &c) ==
          CDP_SKIP_NONE);
    CHECK(cdp_audience_read_refusals(a, "/nonexistent/p.ndjson", &ro, &err) == -1);
    cdp_audience_free(a);

    /* sms: the mobile refused elsewhere */
    o.channel = CDP_CHANNEL_SMS;
    a = cdp_audience_new(&o, &err);
    CHECK(cdp_audience_read_refusals(a, profiles, &ro, &err) == 0);
    CHECK(check(a, "{\"phone\":\"+79123456789\",\"consent_sms\":true}", &c) == CDP_SKIP_NONE);
    const char *sms = write_file("sms.ndjson", "{\"cdp_id\":\"p1\",\"phone\":\"8 912 345-67-89\",\"consent_sms\":false}\n");
    CHECK(cdp_audience_read_refusals(a, sms, &ro, &err) == 0);
    CHECK(check(a, "{\"phone\":\"+79123456789\",\"consent_sms\":true}", &c) == CDP_SKIP_REFUSED_ELSEWHERE);
    cdp_audience_free(a);

    /* channel none: no refusals pass, nothing refused */
    o.channel = CDP_CHANNEL_NONE;
    a = cdp_audience_new(&o, &err);
    CHECK(cdp_audience_read_refusals(a, "/nonexistent/p.ndjson", &ro, &err) == 0);
    CHECK(check(a, "{\"email\":\"a@b.ru\",\"consent_email\":false}", &c) == CDP_SKIP_NONE);
    cdp_audience_free(a);
    check(NULL, NULL, NULL);
    cdp_contact_release(&c);
}

int main(void)
{
    files_setup("suppress");
    test_lists();
    test_audience();
    files_cleanup();
    return check_report("test_suppress");
}
