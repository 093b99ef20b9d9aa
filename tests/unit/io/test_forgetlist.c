/* Unit tests of lib/io/forgetlist.h (the forget list: entries, records it
 * matches, the file and its secret) and of base/hash.h's HMAC-SHA-256
 * (RFC 4231's test vectors). */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../check.h"
#include "../files.h"
#include "base/hash.h"
#include "io/forgetlist.h"
#include "io/json.h"
#include "io/lines.h"

static struct cdp_error err;

/* The forget list's files are the owner's alone: the secret must be. */
static void write_private(const char *name, const char *text)
{
    chmod(write_file(name, text), 0600);
}

static const char *hmac_hex(const void *key, size_t klen, const char *data)
{
    static char hex[65];
    unsigned char d[CDP_HMAC_SIZE];
    struct cdp_hmac *h = cdp_hmac_new(key, klen);
    cdp_hmac_begin(h);
    cdp_hmac_update(h, data, 3);
    cdp_hmac_update(h, data + 3, strlen(data) - 3); /* in parts: the same */
    cdp_hmac_end(h, d);
    cdp_hmac_begin(h); /* again, with the key set up once */
    cdp_hmac_update(h, data, strlen(data));
    unsigned char again[CDP_HMAC_SIZE];
    cdp_hmac_end(h, again);
    CHECK(memcmp(d, again, sizeof d) == 0);
    cdp_hmac_free(h);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    return hex;
}

static void test_hmac(void)
{
    unsigned char key[20];
    memset(key, 0x0b, sizeof key);
    CHECK_STR(hmac_hex(key, sizeof key, "Hi There"),
              "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    CHECK_STR(hmac_hex("Jefe", 4, "what do ya want for nothing?"),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

/* rec from one JSON object. */
static void parse(struct cdp_json_parser *json, struct cdp_buf *pad, struct cdp_record *rec, const char *text)
{
    cdp_record_clear(rec);
    cdp_buf_reset(pad);
    cdp_buf_add_padded(pad, text, strlen(text));
    CHECK(cdp_json_parse_object(json, pad->data, pad->len, rec, &err) == CDP_JSON_OK);
}

static void test_entries_and_records(void)
{
    struct cdp_forgetlist *l = cdp_forgetlist_new();
    CHECK(cdp_forgetlist_add(l, "email", "ivan@mail.ru", 12));
    CHECK(!cdp_forgetlist_add(l, "email", "ivan@mail.ru", 12)); /* once */
    CHECK(cdp_forgetlist_add(l, "card", "0012345", 7));
    CHECK(cdp_forgetlist_add(l, "cdp_id", "9f2c4e1a0b3d5c6e", 16));
    CHECK(cdp_forgetlist_add_record(l, "crm", 3, "000123", 6));
    CHECK(cdp_forgetlist_count(l) == 4);
    CHECK(cdp_forgetlist_field("customer_id", 11) && cdp_forgetlist_field("anon_id", 7));
    CHECK(!cdp_forgetlist_field("emails", 6) && !cdp_forgetlist_field("last_name", 9));

    struct cdp_forget_check *c = cdp_forget_check_new(l);
    CHECK(cdp_forget_check_value(c, "email", "ivan@mail.ru", 12));
    CHECK(!cdp_forget_check_value(c, "email", "ivan@mail.ru ", 13));
    CHECK(!cdp_forget_check_value(c, "customer_id", "0012345", 7)); /* a card, not an id */
    CHECK(cdp_forget_check_record_id(c, "crm", 3, "000123", 6));
    CHECK(!cdp_forget_check_record_id(c, "shop", 4, "000123", 6));

    struct cdp_json_parser *json = cdp_json_parser_new();
    struct cdp_buf pad = CDP_BUF_INIT;
    struct cdp_record rec = CDP_RECORD_INIT;
    static const struct {
        const char *json;
        bool forgotten;
    } cases[] = {
        { "{\"_source\":\"crm\",\"_rid\":\"000123\",\"_kind\":\"person\",\"email\":\"new@mail.ru\"}", true },
        { "{\"_source\":\"crm\",\"_rid\":\"000123\"}", true }, /* no _kind: a person */
        /* an event's _rid is a row number: never matched by it */
        { "{\"_source\":\"crm\",\"_rid\":\"000123\",\"_kind\":\"event\"}", false },
        { "{\"_source\":\"crm\",\"_rid\":\"000123\",\"event\":\"view\"}", false },
        { "{\"_source\":\"pos\",\"_rid\":\"7\",\"_kind\":\"event\",\"card\":\"0012345\"}", true },
        { "{\"_source\":\"pos\",\"_rid\":\"7\",\"_kind\":\"event\",\"card\":12345}", false },
        { "{\"cdp_id\":\"9f2c4e1a0b3d5c6e\",\"gone\":true}", true },
        { "{\"cdp_id\":\"0000000000000000\",\"emails\":[\"a@b.ru\",\"ivan@mail.ru\"]}", true },
        { "{\"cdp_id\":\"0000000000000000\",\"cards\":[\"0012345\"]}", true },
        { "{\"cdp_id\":\"0000000000000000\",\"phones\":[\"ivan@mail.ru\"],\"note\":\"ivan@mail.ru\"}", false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        parse(json, &pad, &rec, cases[i].json);
        if (cdp_forget_check_record(c, &rec) != cases[i].forgotten)
            fprintf(stderr, "case %zu: %s\n", i, cases[i].json);
        CHECK(cdp_forget_check_record(c, &rec) == cases[i].forgotten);
    }
    cdp_forget_check_free(c);

    /* An empty list matches nothing, and hashes nothing. */
    struct cdp_forgetlist *empty = cdp_forgetlist_new();
    c = cdp_forget_check_new(empty);
    parse(json, &pad, &rec, cases[0].json);
    CHECK(!cdp_forget_check_record(c, &rec));
    cdp_forget_check_free(c);
    cdp_forgetlist_free(empty);

    cdp_record_release(&rec);
    cdp_buf_release(&pad);
    cdp_json_parser_free(json);
    cdp_forgetlist_free(l);
}

static void test_file(void)
{
    /* Nothing yet: an empty list. */
    struct cdp_forgetlist *l = cdp_forgetlist_open(path_of("f.list"), &err);
    CHECK(l && cdp_forgetlist_count(l) == 0);
    cdp_forgetlist_add(l, "phone", "+79161234501", 12);
    cdp_forgetlist_add(l, "email", "ivan@mail.ru", 12);
    struct cdp_replace *r = cdp_replace_new();
    CHECK(cdp_forgetlist_stage(l, path_of("f.list"), r, &err) == 0);
    CHECK(cdp_replace_commit(r, &err) == 0);
    cdp_replace_free(r);
    cdp_forgetlist_free(l);

    struct stat st;
    CHECK(stat(path_of("f.list.secret"), &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK(stat(path_of("f.list"), &st) == 0 && (st.st_mode & 0777) == 0600);
    const char *text = file_text("f.list");
    CHECK(strncmp(text, "{\"format\":\"cdp-forget-list\",\"version\":1,\"key\":\"", 47) == 0);
    CHECK(strstr(text, "\n{\"end\":true,\"entries\":2}\n") != NULL);
    /* Neither value in the clear: the phone's ten digits, as "7916" alone
     * can be in a hash's hex under a random key (it failed make check once). */
    CHECK(strstr(text, "ivan") == NULL && strstr(text, "9161234501") == NULL);
    /* sorted entries */
    const char *h1 = strstr(text, "{\"h\":\""), *h2 = strstr(h1 + 1, "{\"h\":\"");
    CHECK(h1 && h2 && strncmp(h1 + 6, h2 + 6, 64) < 0);

    l = cdp_forgetlist_open(path_of("f.list"), &err);
    CHECK(l && cdp_forgetlist_count(l) == 2);
    struct cdp_forget_check *c = cdp_forget_check_new(l);
    CHECK(cdp_forget_check_value(c, "phone", "+79161234501", 12));
    cdp_forget_check_free(c);
    /* Added to and written again: the secret stays. */
    char secret[80];
    snprintf(secret, sizeof secret, "%s", file_text("f.list.secret"));
    cdp_forgetlist_add(l, "card", "1", 1);
    r = cdp_replace_new();
    CHECK(cdp_forgetlist_stage(l, path_of("f.list"), r, &err) == 0 && cdp_replace_count(r) == 1);
    CHECK(cdp_replace_commit(r, &err) == 0);
    cdp_replace_free(r);
    cdp_forgetlist_free(l);
    CHECK_STR(file_text("f.list.secret"), secret);

    /* Another secret, a damaged one, one others may read, none. */
    char saved[8192];
    snprintf(saved, sizeof saved, "%s", file_text("f.list"));
    write_private("f.list.secret", "00000000000000000000000000000000000000000000000000000000000000ff\n");
    CHECK(cdp_forgetlist_open(path_of("f.list"), &err) == NULL);
    CHECK(strstr(err.msg, "f.list:1: damaged forget list line: the forget list was made with another secret"));
    write_private("f.list.secret", "xyz\n");
    CHECK(cdp_forgetlist_open(path_of("f.list"), &err) == NULL);
    CHECK(strstr(err.msg, "is damaged (it must hold 64 hexadecimal digits)"));
    write_private("f.list.secret", secret);
    chmod(path_of("f.list.secret"), 0640);
    CHECK(cdp_forgetlist_open(path_of("f.list"), &err) == NULL);
    CHECK(strstr(err.msg, "may be read by others (mode 0640): make it 0600"));
    unlink(path_of("f.list.secret"));
    CHECK(cdp_forgetlist_open(path_of("f.list"), &err) == NULL);
    CHECK(strstr(err.msg, "has no secret beside it"));

    /* A list cut short, or with a line added. */
    write_private("f.list.secret", secret);
    char *cut = strstr(saved, "{\"end\"");
    *cut = '\0';
    write_private("f.list", saved);
    CHECK(cdp_forgetlist_open(path_of("f.list"), &err) == NULL);
    CHECK(strstr(err.msg, "is damaged (cut short)"));
    strcat(saved, "{\"h\":\"0000000000000000000000000000000000000000000000000000000000000000\"}\n"
                  "{\"end\":true,\"entries\":3}\n");
    write_private("f.list", saved);
    CHECK(cdp_forgetlist_open(path_of("f.list"), &err) == NULL);
    CHECK(strstr(err.msg, "count does not match"));
    unlink(path_of("f.list"));
    unlink(path_of("f.list.secret"));
}

static void test_filter_file(void)
{
    struct cdp_forgetlist *l = cdp_forgetlist_new();
    cdp_forgetlist_add(l, "cdp_id", "b", 1);
    write_private("r.ndjson", "{\"cdp_id\":\"a\",\"x\":1}\n{\"cdp_id\":\"b\"}\n\n{ \"cdp_id\" : \"c\" }\n");
    struct cdp_forget_check *c = cdp_forget_check_new(l);
    struct cdp_output *o = cdp_output_open(path_of("r2.ndjson"), NULL, &err);
    uint64_t kept = 0, removed = 0;
    CHECK(cdp_forget_check_file(c, path_of("r.ndjson"), o, &kept, &removed, &err) == 0);
    CHECK(cdp_output_commit(o, &err) == 0);
    CHECK(kept == 2 && removed == 1);
    CHECK_STR(file_text("r2.ndjson"), "{\"cdp_id\":\"a\",\"x\":1}\n{ \"cdp_id\" : \"c\" }\n");
    write_private("r.ndjson", "{\"cdp_id\":\"a\"}\nnot json\n");
    o = cdp_output_open(path_of("r2.ndjson"), NULL, &err);
    CHECK(cdp_forget_check_file(c, path_of("r.ndjson"), o, &kept, &removed, &err) == -1);
    CHECK(strstr(err.msg, "r.ndjson:2: damaged record line"));
    cdp_output_abort(o);
    cdp_forget_check_free(c);
    cdp_forgetlist_free(l);
    unlink(path_of("r.ndjson"));
    unlink(path_of("r2.ndjson"));
}

int main(void)
{
    files_setup("forgetlist");
    test_hmac();
    test_entries_and_records();
    test_file();
    test_filter_file();
    files_cleanup();
    return check_report("test_forgetlist");
}
