/* Unit tests of lib/identity/graph.h: records linked by shared key values,
 * with the merge protections (blocked values, the per-key limit of distinct
 * people, conflicting stable attributes), events as identity tuples, model
 * pairs as weaker evidence, and every link reported. */
#include <stdlib.h>

#include "../check.h"
#include "identity/graph.h"
#include "io/json.h"
#include "io/lines.h"

static const char *const conflicts[] = { "birth_date", "gender" };

struct world {
    struct cdp_keyset *keys;
    struct cdp_graph *g;
    struct cdp_graph_items items;
    struct cdp_json_parser *json;
    struct cdp_record rec;
    struct cdp_buf pad, links;
    uint32_t node[64];
    size_t n;
};

static void world_init(struct world *w, const char *limit)
{
    struct cdp_error err;
    memset(w, 0, sizeof *w);
    w->keys = cdp_keyset_new();
    cdp_keyset_defaults(w->keys);
    cdp_keyset_default_blocks(w->keys);
    if (limit)
        CHECK(cdp_keyset_limit(w->keys, limit, &err) == 0);
    w->g = cdp_graph_new(w->keys, conflicts, 2);
    w->json = cdp_json_parser_new();
    w->rec = (struct cdp_record)CDP_RECORD_INIT;
}

static void world_release(struct world *w)
{
    cdp_graph_free(w->g);
    cdp_keyset_free(w->keys);
    cdp_graph_items_release(&w->items);
    cdp_json_parser_free(w->json);
    cdp_record_release(&w->rec);
    cdp_buf_release(&w->pad);
    cdp_buf_release(&w->links);
}

/* Adds one record, as cdp-dedupe's first pass does. */
static void add(struct world *w, const char *line)
{
    struct cdp_error err;
    cdp_buf_reset(&w->pad);
    cdp_buf_add_padded(&w->pad, line, strlen(line));
    cdp_record_clear(&w->rec);
    CHECK(cdp_json_parse_object(w->json, w->pad.data, w->pad.len, &w->rec, &err) == CDP_JSON_OK);
    cdp_graph_items_clear(&w->items);
    cdp_graph_extract(w->keys, conflicts, 2, &w->rec, "test", w->n + 1, &w->items);
    w->node[w->n++] = cdp_graph_add_item(w->g, &w->items, 0);
}

static void ref(struct cdp_buf *b, const struct cdp_graph *g, uint32_t node)
{
    const char *s, *r;
    cdp_graph_node_record(g, node, &s, &r);
    cdp_buf_printf(b, " %s/%s", s, r);
}

/* Each link as one line: "used email x@y.ru a/1 a/2", "over_limit phone
 * +7... 6>5", "conflict email x a/1 a/2 birth_date 1980-01-01|1981-02-02". */
static void on_link(void *ctx, const struct cdp_link *l)
{
    struct world *w = ctx;
    static const char *const kinds[] = { "used", "blocked", "over_limit", "conflict" };
    cdp_buf_printf(&w->links, "%s %s %.*s", kinds[l->kind], l->key, (int)l->value_len, l->value);
    if (l->a != CDP_NO_NODE)
        ref(&w->links, w->g, l->a);
    if (l->b != CDP_NO_NODE)
        ref(&w->links, w->g, l->b);
    if (l->kind == CDP_LINK_OVER_LIMIT)
        cdp_buf_printf(&w->links, " %llu>%u", (unsigned long long)l->people, l->limit);
    if (l->kind == CDP_LINK_BLOCKED)
        cdp_buf_printf(&w->links, " records=%llu", (unsigned long long)l->people);
    if (l->kind == CDP_LINK_CONFLICT)
        cdp_buf_printf(&w->links, " %s %s|%s", l->field, l->value_a, l->value_b);
    cdp_buf_addc(&w->links, '\n');
}

/* The group of every record added, lettered by first appearance ("AAB."),
 * '.' for an event that belongs to nobody. */
static const char *groups(struct world *w)
{
    static char out[65];
    uint32_t seen[64];
    size_t nseen = 0;
    for (size_t i = 0; i < w->n; i++) {
        if (w->node[i] == CDP_NO_NODE) {
            out[i] = '.';
            continue;
        }
        uint32_t g = cdp_graph_group(w->g, w->node[i]);
        size_t k = 0;
        while (k < nseen && seen[k] != g)
            k++;
        if (k == nseen)
            seen[nseen++] = g;
        out[i] = (char)('A' + k);
    }
    out[w->n] = '\0';
    return out;
}

static void test_shared_values(void)
{
    struct world w;
    world_init(&w, NULL);
    add(&w, "{\"_source\":\"crm\",\"_rid\":\"1\",\"email\":\"anna@mail.ru\",\"phone\":\"+79161234567\"}");
    add(&w, "{\"_source\":\"shop\",\"_rid\":\"7\",\"email\":\"anna@mail.ru\"}");
    add(&w, "{\"_source\":\"crm\",\"_rid\":\"2\",\"phone\":\"+79161234567\",\"card\":\"0012345\"}");
    add(&w, "{\"_source\":\"crm\",\"_rid\":\"3\",\"email\":\"oleg@mail.ru\"}");
    /* events: one tuple per identifier combination; none without one */
    add(&w, "{\"_source\":\"pos\",\"_rid\":\"1\",\"_kind\":\"event\",\"card\":\"0012345\",\"event\":\"purchase\"}");
    add(&w, "{\"_source\":\"pos\",\"_rid\":\"2\",\"_kind\":\"event\",\"card\":\"0012345\",\"event\":\"purchase\"}");
    add(&w, "{\"_source\":\"web\",\"_rid\":\"1\",\"_kind\":\"event\",\"event\":\"view\"}");
    CHECK(w.node[4] == w.node[5]);
    CHECK(w.node[6] == CDP_NO_NODE);
    cdp_graph_resolve(w.g, on_link, &w);
    CHECK_STR(groups(&w), "AAABAA.");
    CHECK(cdp_graph_groups(w.g) == 2);
    CHECK(cdp_graph_nodes(w.g) == 5);
    CHECK(cdp_graph_node_weight(w.g, w.node[4]) == 2);
    CHECK(cdp_graph_node_is_person(w.g, w.node[0]) && !cdp_graph_node_is_person(w.g, w.node[4]));
    CHECK_STR(w.links.data, "used card 0012345 crm/2 pos/1\n"
                            "used email anna@mail.ru crm/1 shop/7\n"
                            "used phone +79161234567 crm/1 crm/2\n");
    const char *s, *r;
    cdp_graph_group_min(w.g, cdp_graph_group(w.g, w.node[1]), &s, &r);
    CHECK_STR(s, "crm");
    CHECK_STR(r, "1");
    struct cdp_graph_counts c;
    cdp_graph_counts(w.g, &c);
    CHECK(c.persons == 4 && c.events == 3 && c.anonymous_events == 1);
    CHECK(c.links_used == 3 && c.links_conflict == 0 && c.blocked_values == 0 && c.over_limit_values == 0);
    world_release(&w);
}

/* A mother and son sharing an e-mail stay two people; the son's records
 * with no birth date still join him. */
static void test_conflict(void)
{
    struct world w;
    world_init(&w, NULL);
    add(&w, "{\"_source\":\"crm\",\"_rid\":\"1\",\"email\":\"home@mail.ru\",\"birth_date\":\"1965-04-01\",\"gender\":\"f\"}");
    add(&w, "{\"_source\":\"crm\",\"_rid\":\"2\",\"email\":\"home@mail.ru\",\"birth_date\":\"1990-09-12\",\"gender\":\"m\","
            "\"phone\":\"+79160000001\"}");
    add(&w, "{\"_source\":\"crm\",\"_rid\":\"3\",\"card\":\"77\",\"phone\":\"+79160000001\"}");
    add(&w, "{\"_source\":\"pos\",\"_rid\":\"9\",\"_kind\":\"event\",\"card\":\"77\"}");
    cdp_graph_resolve(w.g, on_link, &w);
    CHECK_STR(groups(&w), "ABBB");
    CHECK_STR(w.links.data, "used card 77 crm/3 pos/9\n"
                            "conflict email home@mail.ru crm/1 crm/2 birth_date 1965-04-01|1990-09-12\n"
                            "used phone +79160000001 crm/2 crm/3\n");
    world_release(&w);
    /* the same in the other order */
    world_init(&w, NULL);
    add(&w, "{\"_source\":\"pos\",\"_rid\":\"9\",\"_kind\":\"event\",\"card\":\"77\"}");
    add(&w, "{\"_source\":\"crm\",\"_rid\":\"3\",\"card\":\"77\",\"phone\":\"+79160000001\"}");
    add(&w, "{\"_source\":\"crm\",\"_rid\":\"2\",\"email\":\"home@mail.ru\",\"birth_date\":\"1990-09-12\",\"gender\":\"m\","
            "\"phone\":\"+79160000001\"}");
    add(&w, "{\"_source\":\"crm\",\"_rid\":\"1\",\"email\":\"home@mail.ru\",\"birth_date\":\"1965-04-01\",\"gender\":\"f\"}");
    cdp_graph_resolve(w.g, on_link, &w);
    CHECK_STR(groups(&w), "AAAB");
    world_release(&w);
}

/* A cashier's placeholder phone: blocked by default; a phone shared by
 * more people than its limit is not used at all. */
static void test_protection(void)
{
    struct world w;
    world_init(&w, "phone=2");
    add(&w, "{\"_source\":\"crm\",\"_rid\":\"1\",\"phone\":\"+79999999999\",\"email\":\"a@x.ru\"}");
    add(&w, "{\"_source\":\"crm\",\"_rid\":\"2\",\"phone\":\"+79999999999\",\"email\":\"b@x.ru\"}");
    add(&w, "{\"_source\":\"crm\",\"_rid\":\"3\",\"phone\":\"+79161112233\"}");
    add(&w, "{\"_source\":\"crm\",\"_rid\":\"4\",\"phone\":\"+79161112233\"}");
    add(&w, "{\"_source\":\"crm\",\"_rid\":\"5\",\"phone\":\"+79161112233\"}");
    add(&w, "{\"_source\":\"crm\",\"_rid\":\"6\",\"phone\":\"+79164445566\"}");
    add(&w, "{\"_source\":\"crm\",\"_rid\":\"7\",\"phone\":\"+79164445566\"}");
    cdp_graph_resolve(w.g, on_link, &w);
    CHECK_STR(groups(&w), "ABCDEFF");
    /* the refused value is reported after the others: it is tried again
     * once they have linked what they can */
    CHECK_STR(w.links.data, "blocked phone +79999999999 records=2\n"
                            "used phone +79164445566 crm/6 crm/7\n"
                            "over_limit phone +79161112233 3>2\n");
    struct cdp_graph_counts c;
    cdp_graph_counts(w.g, &c);
    CHECK(c.blocked_values == 1 && c.over_limit_values == 1 && c.links_used == 1);
    world_release(&w);
}

/* The model's pairs link what no key does, after the keys, under the
 * same conflict checks: a birth date one typo off (1980-01-01, 1981-01-01)
 * is no conflict, one 29 years off is. */
static void test_model_pairs(void)
{
    struct world w;
    world_init(&w, NULL);
    add(&w, "{\"_source\":\"crm\",\"_rid\":\"1\",\"last_name\":\"Иванов\",\"birth_date\":\"1980-01-01\"}");
    add(&w, "{\"_source\":\"shop\",\"_rid\":\"1\",\"last_name\":\"Ivanov\",\"birth_date\":\"1980-01-01\"}");
    add(&w, "{\"_source\":\"shop\",\"_rid\":\"2\",\"last_name\":\"Ivanov\",\"birth_date\":\"1951-07-30\"}");
    add(&w, "{\"_source\":\"shop\",\"_rid\":\"3\",\"last_name\":\"Ivanov\",\"birth_date\":\"1981-01-01\"}");
    cdp_graph_add_pair(w.g, w.node[0], w.node[1], 12.5, 0);
    cdp_graph_add_pair(w.g, w.node[0], w.node[2], 11.0, 1);
    cdp_graph_add_pair(w.g, w.node[0], w.node[3], 10.0, 2);
    cdp_graph_resolve(w.g, on_link, &w);
    CHECK_STR(groups(&w), "AABA");
    CHECK_STR(w.links.data, "used model  crm/1 shop/1\n"
                            "conflict model  crm/1 shop/2 birth_date 1980-01-01|1951-07-30\n"
                            "used model  crm/1 shop/3\n");
    struct cdp_graph_counts c;
    cdp_graph_counts(w.g, &c);
    CHECK(c.model_links_used == 2);
    world_release(&w);
}

int main(void)
{
    test_shared_values();
    test_conflict();
    test_protection();
    test_model_pairs();
    return check_report("test_graph");
}
