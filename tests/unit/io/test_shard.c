/* Unit tests of lib/io/shard.h: the shard of a key (a stable function: the
 * values below must never change), templates, keys, and the order file. */
#include <stdlib.h>
#include <unistd.h>

#include "../check.h"
#include "io/shard.h"

static char dir[] = "/tmp/cdp-test-shard-XXXXXX";

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
}

static void test_shard_of(void)
{
    /* The record ids crm/1..crm/10 over 4 shards, as tests/cdp-shard.bats. */
    static const unsigned want[] = { 0, 3, 1, 2, 3, 0, 3, 2, 2, 3 };
    for (int i = 1; i <= 10; i++) {
        char key[16];
        int n = snprintf(key, sizeof key, "crm%c%d", 0x1F, i);
        CHECK(cdp_shard_of(key, (size_t)n, 4) == want[i - 1]);
        CHECK(cdp_shard_of(key, (size_t)n, 1) == 0);
    }
}

static void test_template(void)
{
    CHECK(cdp_shard_template_valid("part-%d.ndjson.zst"));
    CHECK(cdp_shard_template_valid("100%%-%d"));
    CHECK(!cdp_shard_template_valid("part.ndjson"));
    CHECK(!cdp_shard_template_valid("%d-%d"));
    CHECK(!cdp_shard_template_valid("%s-%d"));
    CHECK(!cdp_shard_template_valid("%d%"));
    struct cdp_buf b = CDP_BUF_INIT;
    cdp_shard_name("part-%d.zst", 12, &b);
    CHECK_STR(b.data, "part-12.zst");
    cdp_shard_name("100%%-%d", 0, &b);
    CHECK_STR(b.data, "100%-0");
    cdp_buf_release(&b);
}

static void test_key(void)
{
    struct cdp_record r = CDP_RECORD_INIT;
    struct cdp_buf key = CDP_BUF_INIT;
    cdp_record_append(&r, "_source", 7, "pos", 3, CDP_STRING);
    CHECK(!cdp_shard_key(&r, NULL, &key));
    cdp_record_append(&r, "_rid", 4, "17", 2, CDP_NUMBER);
    CHECK(cdp_shard_key(&r, NULL, &key));
    CHECK(key.len == 6 && memcmp(key.data, "pos\x1F" "17", 6) == 0);
    CHECK(!cdp_shard_key(&r, "cdp_id", &key));
    cdp_record_append(&r, "cdp_id", 6, "", 0, CDP_NULL);
    CHECK(!cdp_shard_key(&r, "cdp_id", &key));
    cdp_record_clear(&r);
    cdp_record_append(&r, "cdp_id", 6, "0123456789abcdef", 16, CDP_STRING);
    CHECK(cdp_shard_key(&r, "cdp_id", &key));
    CHECK(key.len == 16);
    cdp_buf_release(&key);
    cdp_record_release(&r);
}

static void test_set_and_order(void)
{
    char tmpl[256], order[256];
    snprintf(tmpl, sizeof tmpl, "%s/s%%d.txt", dir);
    snprintf(order, sizeof order, "%s/order", dir);
    struct cdp_error err;
    struct cdp_output_options o = { 0 };
    struct cdp_shard_set *s = cdp_shard_set_open(tmpl, 3, order, &o, &err);
    CHECK(s != NULL);
    cdp_shard_set_write(s, 2, "a", 1);
    cdp_shard_set_write(s, 0, "b", 1);
    cdp_shard_set_write(s, 2, "c", 1);
    CHECK(cdp_shard_set_count(s, 2) == 2 && cdp_shard_set_count(s, 1) == 0);
    CHECK(cdp_shard_set_commit(s, &err) == 0);
    struct cdp_shard_order *r = cdp_shard_order_open(order, &err);
    CHECK(r && cdp_shard_order_shards(r) == 3);
    uint32_t shard, got[4];
    int n = 0, k;
    while (r && (k = cdp_shard_order_next(r, &shard, &err)) > 0 && n < 4)
        got[n++] = shard;
    CHECK(n == 3 && got[0] == 2 && got[1] == 0 && got[2] == 2);
    cdp_shard_order_close(r);

    /* A shard number out of range, and a file that is not an order file. */
    write_file(order, "cdp-shard order 2\n0\n2\n");
    r = cdp_shard_order_open(order, &err);
    CHECK(r && cdp_shard_order_next(r, &shard, &err) == 1 && shard == 0);
    CHECK(r && cdp_shard_order_next(r, &shard, &err) == -1);
    CHECK(strstr(err.msg, "/order:3: not a shard number below 2") != NULL);
    cdp_shard_order_close(r);
    write_file(order, "0\n1\n");
    CHECK(cdp_shard_order_open(order, &err) == NULL);
    CHECK(strstr(err.msg, "not a cdp-shard order file") != NULL);
    write_file(order, "cdp-shard order 4097\n"); /* CDP_SHARD_MAX + 1 */
    CHECK(cdp_shard_order_open(order, &err) == NULL);
    CHECK(strstr(err.msg, "not a cdp-shard order file") != NULL);
    write_file(order, "cdp-shard order 0\n");
    CHECK(cdp_shard_order_open(order, &err) == NULL);
    CHECK(strstr(err.msg, "not a cdp-shard order file") != NULL);
    write_file(order, "");
    CHECK(cdp_shard_order_open(order, &err) == NULL);
    CHECK(strstr(err.msg, "not a cdp-shard order file") != NULL);

    /* A shard that cannot be created: nothing is left. */
    char bad[300];
    snprintf(bad, sizeof bad, "%s/missing/s%%d", dir);
    CHECK(cdp_shard_set_open(bad, 2, NULL, &o, &err) == NULL);
    for (int i = 0; i < 3; i++) {
        char name[300];
        snprintf(name, sizeof name, "%s/s%d.txt", dir, i);
        unlink(name);
    }
    unlink(order);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    test_shard_of();
    test_template();
    test_key();
    test_set_and_order();
    rmdir(dir);
    return check_report("test_shard");
}
