/* Unit tests of lib/identity/idstate.h: ids derived from the smallest
 * (_source, _rid) without a state; with one, ids kept from run to run, the
 * oldest surviving a merge, the larger part keeping its id on a split, the
 * journal saying why; the lock; and states refused when damaged. */
#include <stdlib.h>
#include <unistd.h>

#include "../check.h"
#include "../files.h"
#include "identity/graph.h"
#include "identity/idstate.h"
#include "identity/journal.h"
#include "io/json.h"
#include "io/lines.h"

static const char *const conflicts[] = { "birth_date", "gender" };
static char state[256];
static struct cdp_error err;

struct journal_ctx {
    struct cdp_idstate *st;
    struct cdp_buf *b;
};

static void on_journal(void *ctx, const struct cdp_journal_entry *e)
{
    struct journal_ctx *c = ctx;
    cdp_journal_format(c->b, cdp_idstate_run(c->st), e);
}

/* One cdp-dedupe run over records (NULL-terminated JSON lines): each
 * record's id, one a line, into ids; the journal lines into journal. With
 * path, the state there is loaded and saved. Returns 0 or -1 (err). */
static int run(const char *path, const char *const *records, struct cdp_buf *ids, struct cdp_buf *journal)
{
    struct cdp_keyset *keys = cdp_keyset_new();
    cdp_keyset_defaults(keys);
    struct cdp_graph *g = cdp_graph_new(keys, conflicts, 2);
    struct cdp_idstate *st = cdp_idstate_new();
    struct cdp_json_parser *json = cdp_json_parser_new();
    struct cdp_record rec = CDP_RECORD_INIT;
    struct cdp_graph_items items = { 0 };
    struct cdp_buf pad = CDP_BUF_INIT;
    uint32_t node[16];
    size_t n = 0;
    int rc = -1;
    if (path && cdp_idstate_lock(st, path, &err) < 0)
        goto done;
    for (; records[n]; n++) {
        cdp_buf_reset(&pad);
        cdp_buf_add_padded(&pad, records[n], strlen(records[n]));
        cdp_record_clear(&rec);
        CHECK(cdp_json_parse_object(json, pad.data, pad.len, &rec, &err) == CDP_JSON_OK);
        cdp_graph_items_clear(&items);
        cdp_graph_extract(keys, conflicts, 2, &rec, "test", n + 1, &items);
        node[n] = cdp_graph_add_item(g, &items, 0);
    }
    if (path && cdp_idstate_load(st, path, g, conflicts, 2, &err) < 0)
        goto done;
    cdp_graph_resolve(g, NULL, NULL);
    struct journal_ctx jc = { st, journal };
    cdp_idstate_assign(st, g, on_journal, &jc);
    for (size_t i = 0; i < n; i++)
        cdp_buf_printf(ids, "%s\n", cdp_idstate_group_id(st, cdp_graph_group(g, node[i])));
    rc = path ? cdp_idstate_save(st, path, g, conflicts, 2, 0, &err) : 0;
done:
    cdp_buf_release(&pad);
    cdp_graph_items_release(&items);
    cdp_record_release(&rec);
    cdp_json_parser_free(json);
    cdp_idstate_free(st);
    cdp_graph_free(g);
    cdp_keyset_free(keys);
    return rc;
}

#define A "{\"_source\":\"crm\",\"_rid\":\"1\",\"email\":\"anna@mail.ru\"}"
#define B "{\"_source\":\"crm\",\"_rid\":\"2\",\"phone\":\"+79161234567\"}"
#define C "{\"_source\":\"shop\",\"_rid\":\"7\",\"email\":\"anna@mail.ru\",\"phone\":\"+79161234567\"}"
#define C_CORRECTED "{\"_source\":\"shop\",\"_rid\":\"7\",\"phone\":\"+79161234567\"}"
#define D "{\"_source\":\"crm\",\"_rid\":\"3\",\"phone\":\"+79161234567\"}"

/* Without a state an id is a hash of the group's smallest (_source, _rid):
 * the same input in any order gives the same ids. These values are what
 * every earlier release gave: a change here changes every customer's id. */
static void test_stateless(void)
{
    struct cdp_buf ids = CDP_BUF_INIT, journal = CDP_BUF_INIT;
    const char *const one[] = { A, B, C, NULL };
    CHECK(run(NULL, one, &ids, &journal) == 0);
    CHECK_STR(ids.data, "0478dcc97bb28868\n0478dcc97bb28868\n0478dcc97bb28868\n");
    cdp_buf_reset(&ids);
    const char *const two[] = { B, A, NULL };
    CHECK(run(NULL, two, &ids, &journal) == 0);
    CHECK_STR(ids.data, "5ab8e1fe12dc4167\n0478dcc97bb28868\n");
    CHECK(journal.len == 0);
    cdp_buf_release(&ids);
    cdp_buf_release(&journal);
}

static void test_runs(void)
{
    struct cdp_buf ids = CDP_BUF_INIT, journal = CDP_BUF_INIT;
    /* run 1: two people */
    const char *const r1[] = { A, B, NULL };
    CHECK(run(state, r1, &ids, &journal) == 0);
    CHECK_STR(ids.data, "0478dcc97bb28868\n5ab8e1fe12dc4167\n");
    CHECK(journal.len == 0);
    /* run 2: a record that holds both their values joins them: the older
     * id survives (both are of run 1: the smaller), the journal says why */
    cdp_buf_reset(&ids);
    const char *const r2[] = { A, B, C, NULL };
    CHECK(run(state, r2, &ids, &journal) == 0);
    CHECK_STR(ids.data, "0478dcc97bb28868\n0478dcc97bb28868\n0478dcc97bb28868\n");
    CHECK_STR(journal.data, "{\"run\":2,\"from\":\"5ab8e1fe12dc4167\",\"to\":\"0478dcc97bb28868\",\"reason\":\"merged\","
                            "\"key\":\"phone\",\"value\":\"+79161234567\"}\n");
    /* run 3: the shop corrects its record; a new record joins by phone:
     * the part with most records keeps the id, the other gets a new one
     * (never one given before: d7a4... was merged away) */
    cdp_buf_reset(&ids);
    cdp_buf_reset(&journal);
    const char *const r3[] = { A, B, C_CORRECTED, D, NULL };
    CHECK(run(state, r3, &ids, &journal) == 0);
    CHECK_STR(ids.data, "2317c89cbde288bf\n0478dcc97bb28868\n0478dcc97bb28868\n0478dcc97bb28868\n");
    CHECK_STR(journal.data, "{\"run\":3,\"from\":\"0478dcc97bb28868\",\"to\":\"2317c89cbde288bf\",\"reason\":\"split\"}\n");
    /* run 4: nothing new, nothing changes */
    cdp_buf_reset(&ids);
    cdp_buf_reset(&journal);
    CHECK(run(state, r3, &ids, &journal) == 0);
    CHECK_STR(ids.data, "2317c89cbde288bf\n0478dcc97bb28868\n0478dcc97bb28868\n0478dcc97bb28868\n");
    CHECK(journal.len == 0);
    cdp_buf_release(&ids);
    cdp_buf_release(&journal);
}

static void test_lock(void)
{
    struct cdp_idstate *a = cdp_idstate_new(), *b = cdp_idstate_new();
    CHECK(cdp_idstate_lock(a, state, &err) == 0);
    CHECK(cdp_idstate_lock(b, state, &err) == -1);
    char want[600];
    snprintf(want, sizeof want, "state file '%s' is in use by another run (locked: %s.lock)", state, state);
    CHECK_STR(err.msg, want);
    cdp_idstate_free(a);
    cdp_idstate_free(b);
    b = cdp_idstate_new();
    CHECK(cdp_idstate_lock(b, state, &err) == 0); /* freed: unlocked */
    cdp_idstate_free(b);
}

/* The message loading text as a state gives, or "loaded". */
static const char *load(const char *text)
{
    static char msg[sizeof err.msg];
    char path[300];
    snprintf(path, sizeof path, "%s/bad.ndjson", files_dir);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    struct cdp_keyset *keys = cdp_keyset_new();
    cdp_keyset_defaults(keys);
    struct cdp_graph *g = cdp_graph_new(keys, conflicts, 2);
    struct cdp_idstate *st = cdp_idstate_new();
    int k = cdp_idstate_load(st, path, g, conflicts, 2, &err);
    snprintf(msg, sizeof msg, "%s", k == 0 ? "loaded" : err.msg);
    /* the path is the same every time: leave it out */
    char *at = strstr(msg, path);
    if (at)
        memmove(at + 1, at + strlen(path), strlen(at + strlen(path)) + 1), *at = '@';
    cdp_idstate_free(st);
    cdp_graph_free(g);
    cdp_keyset_free(keys);
    unlink(path);
    return msg;
}

#define HEADER "{\"format\":\"cdp-dedupe-state\",\"version\":1,\"run\":4,\"conflicts\":\"birth_date\\u001egender\"}\n"
#define NODE "{\"n\":\"p\",\"s\":\"crm\",\"r\":\"1\",\"v\":\"email\\u001fanna@mail.ru\",\"c\":\"\\u001e\",\"w\":1,\"id\":\"0478dcc97bb28868\"}\n"
#define ID "{\"id\":\"0478dcc97bb28868\",\"born\":1}\n"

static void test_damaged(void)
{
    CHECK_STR(load(HEADER NODE ID "{\"end\":true,\"nodes\":1,\"ids\":1}\n"), "loaded");
    CHECK_STR(load(HEADER NODE ID), "state file '@' is damaged (cut short)");
    CHECK_STR(load(""), "state file '@' is damaged (empty)");
    CHECK_STR(load("{\"a\":1}\n"), "'@' is not a cdp-dedupe state file");
    CHECK_STR(load("not json\n"), "'@' is not a cdp-dedupe state file");
    CHECK_STR(load("{\"format\":\"cdp-dedupe-state\",\"version\":2,\"run\":1}\n"),
              "state file '@' has version 2; this cdp-dedupe reads version 1");
    CHECK_STR(load(HEADER NODE ID "{\"end\":true,\"nodes\":2,\"ids\":1}\n"),
              "state file '@' is damaged (counts do not match)");
    CHECK_STR(load(HEADER "{\"n\":\"p\",\"s\":\"crm\",\"w\":1,\"id\":\"x\"}\n"), "state file '@' is damaged (line 2)");
    CHECK_STR(load(HEADER NODE "oops\n"), "state file '@' is damaged (line 3)");
    CHECK_STR(load(HEADER NODE "{\"end\":true,\"nodes\":1,\"ids\":0}\n"),
              "state file '@' is damaged (id 0478dcc97bb28868 has no entry)");
    CHECK_STR(load(HEADER NODE ID "{\"end\":true,\"nodes\":1,\"ids\":1}\n" ID), "state file '@' is damaged (line 5)");
}

int main(void)
{
    files_setup("idstate");
    snprintf(state, sizeof state, "%s/state.zst", files_dir);
    test_stateless();
    test_runs();
    test_lock();
    test_damaged();
    files_cleanup();
    return check_report("test_idstate");
}
