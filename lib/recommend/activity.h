/* activity.h: what people did with items, as tables of numbers.
 *
 * cdp-recommend learns from linked records (cdp-dedupe's output). Every
 * record with a cdp_id makes a person (a person record alone makes one with
 * no history); every event with a sku becomes (person, item, kind, time,
 * basket), each string interned once. The kind follows norm/event.h, the
 * same list as cdp-merge's traits, and a purchase line with a negative qty
 * or amount is a return, as there. The basket of a purchase is its order or
 * receipt: _source and order_id together (two sources may both have an
 * order "1001"); a purchase without order_id is a basket of its own. Events
 * without a cdp_id are anonymous: their orders still count as baskets.
 * An event whose ts is missing or not a time is undated: it counts in
 * baskets and as bought, never in a time window, and has no time to decay
 * from (see score.h).
 *
 * Reading uses every CPU (base/pipeline.h): the calling thread reads lines,
 * workers parse them, and what they found is added in input order, so the
 * tables never depend on thread timing.
 *
 * cdp_activity_finish then cuts the events at a moment: those before it are
 * the past, learnt from; purchases at or after it by known people are the
 * future, kept only as the truth an evaluation scores against (evaluate.h).
 * It numbers items, people and categories in byte order of their names, so
 * that every later tie broken by the smaller number is broken by name, and
 * output sorted by number is sorted by name. */
#ifndef CDP_RECOMMEND_ACTIVITY_H
#define CDP_RECOMMEND_ACTIVITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "io/reader.h"
#include "recommend/catalog.h"

#define CDP_NONE UINT32_MAX /* no person, no category */
#define CDP_UNDATED INT64_MIN

/* One event of a person, after cdp_activity_finish. */
struct cdp_event {
    int64_t ts;    /* milliseconds since 1970, or CDP_UNDATED */
    uint32_t item;
    uint8_t kind;  /* enum cdp_event_kind */
};

/* Baskets as lists of distinct items in increasing order (compressed rows:
 * basket b holds items[first[b] .. first[b + 1])). */
struct cdp_baskets {
    size_t n;
    size_t *first; /* n + 1 */
    uint32_t *items;
};

void cdp_baskets_release(struct cdp_baskets *b);

/* What a basket is for pairs: an order (or receipt), or everything one
 * person bought (the people who bought both). */
enum cdp_basket_kind { CDP_BASKET_ORDER, CDP_BASKET_PERSON };

/* "order" or "person"; false when neither. */
bool cdp_basket_kind_parse(const char *s, enum cdp_basket_kind *kind);

/* How reading tells the program about a line it could not use and about
 * progress (either may be NULL). */
struct cdp_activity_hooks {
    void *ctx;
    void (*reject)(void *ctx, const char *file, uint64_t line, const char *code,
                   const char *reason, const char *raw, size_t rawlen);
    void (*tick)(void *ctx, uint64_t lines, uint64_t bytes);
};

struct cdp_activity_counts {
    uint64_t read;      /* lines (records) read */
    uint64_t rejected;  /* not records */
    uint64_t events;    /* events with a sku */
    uint64_t anonymous; /* of which without a cdp_id */
    uint64_t undated;   /* of which without a time */
    uint64_t future;    /* of which at or after the cut (after finish) */
};

struct cdp_activity;

/* nworkers: threads for parsing (0: the calling thread parses). */
struct cdp_activity *cdp_activity_new(size_t nworkers);
void cdp_activity_free(struct cdp_activity *h);

/* Reads one file ("-": stdin) of records, NDJSON or CSV as opt says.
 * Returns 0, or -1 with err set on an I/O error (what was read stays). */
int cdp_activity_read(struct cdp_activity *h, const char *path, const struct cdp_reader_options *opt,
                     const struct cdp_activity_hooks *hooks, struct cdp_error *err);

/* The time of the latest dated event read, or CDP_UNDATED when none is. */
int64_t cdp_activity_latest(const struct cdp_activity *h);

/* Cuts the events at cut_ms (see above), gives catalogue items (cat may be
 * NULL) a number and the catalogue's category (which wins over the events'),
 * numbers everything in name order and builds the tables below. Call once,
 * after the last read. */
void cdp_activity_finish(struct cdp_activity *h, int64_t cut_ms, const struct cdp_catalog *cat);

const struct cdp_activity_counts *cdp_activity_counts(const struct cdp_activity *h);

/* ---- after cdp_activity_finish ------------------------------------------- */

size_t cdp_activity_people(const struct cdp_activity *h);
size_t cdp_activity_items(const struct cdp_activity *h);
size_t cdp_activity_categories(const struct cdp_activity *h);

/* Names (NUL-terminated; *len may be NULL). */
const char *cdp_activity_person(const struct cdp_activity *h, uint32_t person, size_t *len);
const char *cdp_activity_sku(const struct cdp_activity *h, uint32_t item, size_t *len);
const char *cdp_activity_category_name(const struct cdp_activity *h, uint32_t category, size_t *len);

/* The item's category (the catalogue's, else that of its latest event that
 * has one), or CDP_NONE. */
uint32_t cdp_activity_item_category(const struct cdp_activity *h, uint32_t item);
/* The item's price as its latest event with one wrote it (JSON number
 * text), or NULL. */
const char *cdp_activity_item_price(const struct cdp_activity *h, uint32_t item, size_t *len);
/* The item's catalogue row, or NULL when it is not in the catalogue. */
const struct cdp_catalog_item *cdp_activity_item_catalog(const struct cdp_activity *h, uint32_t item);
/* How many people bought the item before the cut, each anonymous purchase
 * counting as a buyer of its own. */
uint32_t cdp_activity_buyers(const struct cdp_activity *h, uint32_t item);

/* The events without a cdp_id before the cut, by time. */
const struct cdp_event *cdp_activity_anonymous(const struct cdp_activity *h, size_t *n);

/* The person's events before the cut, oldest first (undated ones first). */
const struct cdp_event *cdp_activity_events(const struct cdp_activity *h, uint32_t person, size_t *n);

/* The items the person bought at or after the cut, in increasing order. */
const uint32_t *cdp_activity_future(const struct cdp_activity *h, uint32_t person, size_t *n);

/* The baskets of purchases before the cut (owned by h; person baskets
 * are built on the first call). */
const struct cdp_baskets *cdp_activity_baskets(struct cdp_activity *h, enum cdp_basket_kind kind);

#endif
