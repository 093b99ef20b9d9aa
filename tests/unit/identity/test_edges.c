/* Unit tests of lib/identity/edges.h: a record's contribution written to an
 * edges file reads back as the very items cdp_graph_extract made (so the
 * graph of the joined shards is one run's), headers and cut files refused;
 * the ids file round trip. */
#include <stdlib.h>
#include <unistd.h>

#include "../check.h"
#include "identity/edges.h"

static char dir[] = "/tmp/cdp-test-edges-XXXXXX";

static void write_file(const char *path, const char *text, size_t n)
{
    FILE *f = fopen(path, "wb");
    fwrite(text, 1, n, f);
    fclose(f);
}

static bool same_item(const struct cdp_graph_items *a, size_t i, const struct cdp_graph_items *b, size_t nconf)
{
    const struct cdp_graph_item *x = &a->v[i], *y = &b->v[0];
    const char *ta = a->text.data, *tb = b->text.data;
    if (x->person != y->person || x->had_id != y->had_id || x->nvalues != y->nvalues ||
        x->source_len != y->source_len || x->rid_len != y->rid_len ||
        memcmp(ta + x->source_off, tb + y->source_off, x->source_len) != 0 ||
        memcmp(ta + x->rid_off, tb + y->rid_off, x->rid_len) != 0)
        return false;
    for (uint32_t j = 0; j < x->nvalues; j++) {
        const struct cdp_graph_value *u = &a->values[x->first_value + j], *v = &b->values[y->first_value + j];
        if (u->key != v->key || u->len != v->len || u->hash != v->hash ||
            memcmp(ta + u->off, tb + v->off, u->len) != 0)
            return false;
    }
    for (size_t c = 0; c < nconf; c++) {
        uint64_t ca = a->conf[x->first_conf + c], cb = b->conf[y->first_conf + c];
        if ((ca == 0) != (cb == 0) || a->conf_len[x->first_conf + c] != b->conf_len[y->first_conf + c] ||
            (ca && memcmp(ta + ca - 1, tb + cb - 1, a->conf_len[x->first_conf + c]) != 0))
            return false;
    }
    return true;
}

static void test_round_trip(void)
{
    struct cdp_keyset *keys = cdp_keyset_new();
    struct cdp_error err;
    CHECK(cdp_keyset_add(keys, "email", &err) == 0);
    CHECK(cdp_keyset_add(keys, "last_name+first_name", &err) == 0);
    CHECK(cdp_keyset_add(keys, "phone", &err) == 0);
    const char *conflicts[] = { "birth_date", "gender" };
    struct cdp_record r = CDP_RECORD_INIT;
    struct cdp_graph_items items = { 0 };
    cdp_record_append(&r, "_source", 7, "crm", 3, CDP_STRING);
    cdp_record_append(&r, "_rid", 4, "000123", 6, CDP_STRING);
    cdp_record_append(&r, "email", 5, "Ivan@Mail.ru", 12, CDP_STRING);
    cdp_record_append(&r, "last_name", 9, "Иванов", strlen("Иванов"), CDP_STRING);
    cdp_record_append(&r, "first_name", 10, "Иван \"И\"", strlen("Иван \"И\""), CDP_STRING);
    cdp_record_append(&r, "birth_date", 10, "1985-03-05", 10, CDP_STRING);
    cdp_record_append(&r, "cdp_id", 6, "00000000000000aa", 16, CDP_STRING);
    cdp_graph_extract(keys, conflicts, 2, &r, "crm.ndjson", 1, &items);
    cdp_record_clear(&r);
    cdp_record_append(&r, "event", 5, "view", 4, CDP_STRING);
    cdp_record_append(&r, "phone", 5, "+79123456789", 12, CDP_STRING);
    cdp_record_append(&r, "gender", 6, "f", 1, CDP_STRING);
    cdp_graph_extract(keys, conflicts, 2, &r, "web.ndjson", 7, &items);
    CHECK(items.n == 2 && items.v[0].nvalues == 2 && items.v[0].had_id && !items.v[1].person);

    struct cdp_buf b = CDP_BUF_INIT;
    cdp_edges_header(&b, keys, conflicts, 2);
    cdp_edges_item(&b, &items, 0, 2);
    cdp_edges_row(&b, CDP_EDGES_BAD);
    cdp_edges_item(&b, &items, 1, 2);
    cdp_edges_row(&b, CDP_EDGES_FORGOTTEN);
    size_t before_end = b.len;
    cdp_edges_end(&b, 4);
    char path[256];
    snprintf(path, sizeof path, "%s/edges", dir);
    write_file(path, b.data, b.len);

    struct cdp_edges_reader *er = cdp_edges_open(path, keys, conflicts, 2, &err);
    CHECK(er != NULL);
    struct cdp_graph_items got = { 0 };
    enum cdp_edges_row kind;
    CHECK(er && cdp_edges_next(er, &got, &kind, &err) == 1 && kind == CDP_EDGES_RECORD);
    CHECK(same_item(&items, 0, &got, 2));
    CHECK(er && cdp_edges_next(er, &got, &kind, &err) == 1 && kind == CDP_EDGES_BAD);
    CHECK(er && cdp_edges_next(er, &got, &kind, &err) == 1 && kind == CDP_EDGES_RECORD);
    CHECK(same_item(&items, 1, &got, 2));
    CHECK(er && cdp_edges_next(er, &got, &kind, &err) == 1 && kind == CDP_EDGES_FORGOTTEN);
    CHECK(er && cdp_edges_next(er, &got, &kind, &err) == 0);
    cdp_edges_close(er);

    /* Cut short; an end line that miscounts; other keys or conflicts. */
    write_file(path, b.data, before_end);
    er = cdp_edges_open(path, keys, conflicts, 2, &err);
    int k = 1;
    while (er && (k = cdp_edges_next(er, &got, &kind, &err)) > 0)
        ;
    CHECK(k == -1 && strstr(err.msg, "cut short (no end line)") != NULL);
    cdp_edges_close(er);
    struct cdp_buf miscount = CDP_BUF_INIT;
    cdp_buf_add(&miscount, b.data, before_end);
    cdp_edges_end(&miscount, 5);
    write_file(path, miscount.data, miscount.len);
    er = cdp_edges_open(path, keys, conflicts, 2, &err);
    while (er && (k = cdp_edges_next(er, &got, &kind, &err)) > 0)
        ;
    CHECK(k == -1 && strstr(err.msg, "miscounts") != NULL);
    cdp_edges_close(er);
    cdp_buf_release(&miscount);
    write_file(path, b.data, b.len);
    CHECK(cdp_edges_open(path, keys, conflicts, 1, &err) == NULL);
    CHECK(strstr(err.msg, "other conflict fields") != NULL);
    struct cdp_keyset *other = cdp_keyset_new();
    cdp_keyset_add(other, "email", &err);
    CHECK(cdp_edges_open(path, other, conflicts, 2, &err) == NULL);
    CHECK(strstr(err.msg, "other keys") != NULL);
    cdp_keyset_free(other);
    unlink(path);

    cdp_buf_release(&b);
    cdp_graph_items_release(&items);
    cdp_graph_items_release(&got);
    cdp_record_release(&r);
    cdp_keyset_free(keys);
}

static void test_ids(void)
{
    struct cdp_buf b = CDP_BUF_INIT;
    cdp_ids_header(&b, 4);
    cdp_ids_line(&b, CDP_EDGES_RECORD, false, "0123456789abcdef");
    cdp_ids_line(&b, CDP_EDGES_RECORD, true, NULL);
    cdp_ids_line(&b, CDP_EDGES_BAD, false, NULL);
    cdp_ids_line(&b, CDP_EDGES_FORGOTTEN, false, NULL);
    CHECK_STR(b.data, "cdp-dedupe ids 4\n=0123456789abcdef\n^\n!\nx\n");
    char path[256];
    snprintf(path, sizeof path, "%s/ids", dir);
    write_file(path, b.data, b.len);
    struct cdp_error err;
    struct cdp_ids_reader *r = cdp_ids_open(path, &err);
    CHECK(r && cdp_ids_rows(r) == 4);
    enum cdp_edges_row kind;
    bool had;
    const char *id;
    CHECK(r && cdp_ids_next(r, &kind, &had, &id, &err) == 1 && kind == CDP_EDGES_RECORD && !had);
    CHECK_STR(id, "0123456789abcdef");
    CHECK(r && cdp_ids_next(r, &kind, &had, &id, &err) == 1 && kind == CDP_EDGES_RECORD && had && !id);
    CHECK(r && cdp_ids_next(r, &kind, &had, &id, &err) == 1 && kind == CDP_EDGES_BAD);
    CHECK(r && cdp_ids_next(r, &kind, &had, &id, &err) == 1 && kind == CDP_EDGES_FORGOTTEN);
    CHECK(r && cdp_ids_next(r, &kind, &had, &id, &err) == 0);
    cdp_ids_close(r);
    write_file(path, b.data, b.len - 2); /* the last row cut */
    r = cdp_ids_open(path, &err);
    int k = 1;
    while (r && (k = cdp_ids_next(r, &kind, &had, &id, &err)) > 0)
        ;
    CHECK(k == -1 && strstr(err.msg, "cut short (3 of 4 rows)") != NULL);
    cdp_ids_close(r);
    write_file(path, "cdp-dedupe ids 1\n?\n", 19);
    r = cdp_ids_open(path, &err);
    CHECK(r && cdp_ids_next(r, &kind, &had, &id, &err) == -1 && strstr(err.msg, "/ids:2: damaged ids line"));
    cdp_ids_close(r);
    write_file(path, "0123\n", 5);
    CHECK(cdp_ids_open(path, &err) == NULL && strstr(err.msg, "not a cdp-dedupe ids file"));
    /* The count in digits only, and within 64 bits. */
    static const char *const heads[] = { "cdp-dedupe ids -1\n", "cdp-dedupe ids +1\n", "cdp-dedupe ids  1\n",
                                         "cdp-dedupe ids 18446744073709551616\n", "cdp-dedupe ids\n" };
    for (size_t i = 0; i < sizeof heads / sizeof *heads; i++) {
        write_file(path, heads[i], strlen(heads[i]));
        CHECK(cdp_ids_open(path, &err) == NULL && strstr(err.msg, "not a cdp-dedupe ids file"));
    }
    write_file(path, "cdp-dedupe ids 18446744073709551615\n", 36);
    r = cdp_ids_open(path, &err);
    CHECK(r && cdp_ids_rows(r) == UINT64_MAX);
    cdp_ids_close(r);
    unlink(path);
    cdp_buf_release(&b);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    test_round_trip();
    test_ids();
    rmdir(dir);
    return check_report("test_edges");
}
