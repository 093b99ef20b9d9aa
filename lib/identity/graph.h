/* graph.h: the identity graph that decides which records are one person.
 *
 * Nodes are person records (each its own node, so that a corrected record
 * can replace itself) and event identity tuples (all events carrying the same
 * identifiers are one node: ten million receipt lines of a million cards make
 * a million nodes). Nodes are linked by shared key values (keys.h), the
 * strongest kind of key first, with merge protection:
 *
 *  - blocked values are never used;
 *  - a value shared by more distinct people than its key's limit is not used
 *    at all. Distinct people are the groups (as linked so far) among the
 *    nodes holding the value that contain a person record or another value of
 *    an exclusive key (a card, an account id): so a cashier's placeholder
 *    phone on the receipts of three hundred card holders counts three hundred,
 *    while one person's phone on their own receipts counts one. Values refused
 *    this way are tried again after the other values have linked what they
 *    can, since linking can only lower the count;
 *  - two groups whose records are certainly two people (identity/conflict.h:
 *    birth dates more than one typo apart, two explicit genders that
 *    differ, given names or patronymics that are not spellings of one name,
 *    or another --conflict field) are never joined: before each union the
 *    values of both groups are compared, so that a mother and son sharing
 *    one e-mail stay two people, whichever order the evidence comes in. A
 *    group keeps every distinct value it holds (typos of one date), so
 *    that each is checked.
 *  - a model link (cdp_graph_add_pair) never joins two groups holding
 *    person records of one source whose phones are more than one typo
 *    apart: two customers of one CRM, each with a phone, are namesakes
 *    when only the model finds them alike (graph.c: accounts). Checked
 *    whenever any conflict field is (not with --no-conflict).
 *
 * A device (anon_id: a browser or an app install) links the events on it
 * to the one person who logs in on it. When several people log in on one
 * (a family laptop), the device links nobody: its anonymous events are
 * given one by one to the person logged in on it at the time (linker.h),
 * and the people stay apart. And the events whose only identifier is a
 * value refused because the people who share it are certainly different
 * (a family's e-mail on a web event, its home phone on a receipt) belong
 * to nobody: which of them was it?
 *
 * Every link used and refused is reported through a callback, so that an
 * analyst can answer "why are these two one person?". */
#ifndef CDP_IDENTITY_GRAPH_H
#define CDP_IDENTITY_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "identity/keys.h"
#include "io/json.h"
#include "io/record.h"

#define CDP_NO_NODE UINT32_MAX

enum cdp_link_kind {
    CDP_LINK_USED,
    CDP_LINK_BLOCKED,       /* the value is on the block list */
    CDP_LINK_OVER_LIMIT,    /* shared by more people than the key allows */
    CDP_LINK_CONFLICT,      /* the two groups disagree on a stable attribute */
    CDP_LINK_SHARED_DEVICE, /* a device several people log in on */
    CDP_LINK_AMBIGUOUS,     /* a value refused by a conflict left events without a person */
};

struct cdp_link {
    enum cdp_link_kind kind;
    const char *key;   /* key name */
    const char *value; /* the shared value (composite parts joined by '+') */
    size_t value_len;
    uint32_t a, b;     /* the two nodes holding the value (USED, CONFLICT) */
    uint64_t people;   /* OVER_LIMIT, SHARED_DEVICE: distinct people;
                          BLOCKED, AMBIGUOUS: records */
    unsigned limit;
    const char *field; /* CONFLICT: the attribute, and the two values */
    const char *value_a, *value_b;
    /* key "model" (USED, CONFLICT): a link of the probabilistic model, its
     * tag (given to cdp_graph_add_pair) and match weight */
    uint32_t pair;
    double weight;
};

typedef void (*cdp_link_fn)(void *ctx, const struct cdp_link *link);

struct cdp_graph;

/* The conflict fields: birth_date, gender, first_name and middle_name,
 * always (stable attributes: two groups certainly different on one are two
 * people; on generated data gender alone turned 25 false merges per 20,000
 * persons into 4, and the names the 17 family members per 100,000 persons
 * who share an e-mail or phone and lack a birth date into none), then extra
 * (--conflict), at most CDP_GRAPH_MAX_CONFLICTS in all; none at all with
 * none. Returns a list the caller frees (its strings are the caller's and
 * static), or NULL with err set when extra repeats a default ("birth_date
 * is checked by default") or holds too many. */
#define CDP_GRAPH_MAX_CONFLICTS 16
const char **cdp_graph_conflicts(const char *const *extra, size_t nextra, bool none, size_t *n,
                                 struct cdp_error *err);

/* conflicts: field names checked before every union (e.g. "birth_date"). */
struct cdp_graph *cdp_graph_new(struct cdp_keyset *keys, const char *const *conflicts,
                                      size_t nconflicts);
void cdp_graph_free(struct cdp_graph *g);

/* What records contribute to the graph, found without touching it: worker
 * threads extract (parse, read the keys, hash the values), one thread adds. */
#define CDP_NO_TIME INT64_MIN

struct cdp_graph_item {
    uint8_t person; /* a person record, else an event */
    uint8_t had_id; /* the record already carries a cdp_id */
    uint8_t device; /* it has a value of a device key (anon_id) */
    uint8_t numbered; /* no _rid: the row number stands in (cdp_graph_items_renumber) */
    int64_t ts;     /* with one: its "ts", ms since 1970, or CDP_NO_TIME */
    uint32_t first_value, nvalues;
    uint32_t first_conf;
    uint64_t source_off, rid_off;
    uint32_t source_len, rid_len;
};

struct cdp_graph_value {
    uint64_t off;  /* in text: key index + 1 as one byte, then the value */
    uint64_t hash; /* of those bytes */
    uint32_t len;
    uint32_t key;
};

struct cdp_graph_items {
    struct cdp_graph_item *v;
    size_t n, cap;
    struct cdp_graph_value *values;
    size_t nvalues, values_cap;
    uint64_t *conf; /* per item and conflict field: offset + 1 in text, 0 = none */
    uint32_t *conf_len;
    size_t nconf, conf_cap;
    struct cdp_buf text;
};

/* Fetches ahead what adding item i will read (cdp_intern_prefetch's
 * steps): a caller adding items in order calls it for the items a few
 * places ahead of the one it adds. Changes nothing. */
void cdp_graph_prefetch_item(const struct cdp_graph *g, const struct cdp_graph_items *items, size_t i,
                             int step);

/* Adds to names every field cdp_graph_extract reads (io/json.h): a record
 * parsed with only these extracts the same as the whole record. */
void cdp_graph_extract_fields(const struct cdp_keyset *keys, const char *const *conflicts,
                              size_t nconflicts, struct cdp_json_names *names);

/* Appends what r contributes. The record is a person unless its _kind says
 * event (or it has no _kind and an "event" field). Without _source/_rid,
 * source and the row number stand in. Thread-safe for distinct items. */
void cdp_graph_extract(const struct cdp_keyset *keys, const char *const *conflicts,
                          size_t nconflicts, const struct cdp_record *r, const char *source,
                          uint64_t row_number, struct cdp_graph_items *out);
/* Gives item i, if its record had no _rid, row_number in place of the one
 * it was extracted with: for a thread that extracts rows before their
 * numbers in the file are known. */
void cdp_graph_items_renumber(struct cdp_graph_items *items, size_t i, uint64_t row_number);
void cdp_graph_items_clear(struct cdp_graph_items *items);
void cdp_graph_items_release(struct cdp_graph_items *items);

/* Adds item i and returns its node, or CDP_NO_NODE for an event with no
 * usable identifier (it belongs to nobody). */
uint32_t cdp_graph_add_item(struct cdp_graph *g, const struct cdp_graph_items *items,
                               size_t i);

/* Adds a node read back from a saved state: a person record, or an event
 * tuple (merged with today's events that carry the same identifiers).
 * values are "KEY\x1FVALUE" (values of keys not in the key set are ignored);
 * conf has one entry per conflict field (NULL: no value). weight: records. */
uint32_t cdp_graph_add_saved(struct cdp_graph *g, bool person, const char *source,
                                const char *rid, const char *const *values, size_t nvalues,
                                const char *const *conf, uint64_t weight);

/* Remembers the id a node had in an earlier run (an index into the caller's
 * table of ids; CDP_NO_NODE for none). */
void cdp_graph_set_old(struct cdp_graph *g, uint32_t node, uint32_t old);
uint32_t cdp_graph_old(const struct cdp_graph *g, uint32_t node);

/* The node of a person record already added, by (_source, _rid), or
 * CDP_NO_NODE (always, once resolved). */
uint32_t cdp_graph_find_person(const struct cdp_graph *g, const char *source,
                                  const char *rid);

/* The conflict fields, as given to cdp_graph_new. */
size_t cdp_graph_conflict_count(const struct cdp_graph *g);
const char *cdp_graph_conflict_field(const struct cdp_graph *g, size_t c);

/* Stops checking conflict field c (before resolving): the data shows that
 * records of one person often disagree on it (modellink.h). */
void cdp_graph_relax_conflict(struct cdp_graph *g, size_t c);
bool cdp_graph_conflict_relaxed(const struct cdp_graph *g, size_t c);

/* A link from the probabilistic model (cdp-dedupe --model) between two
 * nodes, with its match weight: weaker evidence than any shared key value,
 * applied after them, the highest weight first, under the same conflict
 * checks. tag comes back in the reported link. */
void cdp_graph_add_pair(struct cdp_graph *g, uint32_t a, uint32_t b, double weight,
                           uint32_t tag);

/* Links the nodes. Call once, after all records are added: it frees what
 * only adding and linking need, so that records can no longer be added or
 * found (cdp_graph_add_*, cdp_graph_find_person), nor pairs added. */
void cdp_graph_resolve(struct cdp_graph *g, cdp_link_fn on_link, void *ctx);

/* After resolve: what becomes of a node's records. */
enum cdp_node_fate {
    CDP_NODE_GROUP,     /* they are the group's */
    CDP_NODE_AMBIGUOUS, /* nobody's: their identifier is shared by people
                           kept apart, and nothing else says whose */
    CDP_NODE_BY_TIME,   /* anonymous events on a shared device: each is
                           given by its time (linker.h) */
};
enum cdp_node_fate cdp_graph_node_fate(const struct cdp_graph *g, uint32_t node);

/* After resolve: the value of a device key (anon_id) that node holds when
 * that device is shared by several people, else CDP_NO_NODE. */
uint32_t cdp_graph_node_shared_device(const struct cdp_graph *g, uint32_t node);

/* After resolve: the group (dense number 0..groups-1) of a node, or
 * CDP_NO_NODE when its records are not a group's (see the fates). */
uint32_t cdp_graph_group(const struct cdp_graph *g, uint32_t node);
size_t cdp_graph_groups(const struct cdp_graph *g);
/* The smallest (_source, _rid) of a group's records: what a stable id is
 * derived from when there is no state. */
void cdp_graph_group_min(const struct cdp_graph *g, uint32_t group, const char **source,
                            const char **rid);

/* A node's representative record (its smallest _source, _rid). */
void cdp_graph_node_record(const struct cdp_graph *g, uint32_t node, const char **source,
                              const char **rid);
size_t cdp_graph_nodes(const struct cdp_graph *g);
/* How many input records a node stands for. */
uint64_t cdp_graph_node_weight(const struct cdp_graph *g, uint32_t node);
bool cdp_graph_node_is_person(const struct cdp_graph *g, uint32_t node);

/* A link that joined two groups that had different ids before: why the
 * newer id was merged into the older one. */
struct cdp_graph_merge {
    uint32_t old_a, old_b;
    uint32_t node_a, node_b;
    const char *key;
    char *value;
};
const struct cdp_graph_merge *cdp_graph_merges(const struct cdp_graph *g, size_t *n);

/* Calls fn for each value of a node as "KEY\x1FVALUE" (for saving state). */
void cdp_graph_node_values(const struct cdp_graph *g, uint32_t node,
                              void (*fn)(void *ctx, const char *kv, size_t len), void *ctx);
/* A node's value of conflict field c, or NULL. */
const char *cdp_graph_node_conflict(const struct cdp_graph *g, uint32_t node, size_t c);

struct cdp_graph_counts {
    uint64_t records, persons, events, anonymous_events;
    uint64_t nodes, values, blocked_values, over_limit_values;
    uint64_t links_used, links_conflict, rounds;
    uint64_t model_links_used;
    uint64_t shared_devices, ambiguous_events;
};
void cdp_graph_counts(const struct cdp_graph *g, struct cdp_graph_counts *c);

#endif
