/* gen.h: a synthetic retailer's nightly exports, with ground truth.
 *
 * cdp_gen_run writes into one folder the four exports examples/ shows, at
 * any scale, and the truth that says which real person each row is about:
 *
 *   crm.csv                 1C CRM customers (Windows-1251, ';', CRLF)
 *   shop-customers.jsonl    online-shop accounts, one JSON object a line
 *   pos-receipts.csv        till receipt lines (UTF-8 with BOM, ';', CRLF)
 *   web-events.ndjson.zst   site and app events (zstd JSON lines)
 *   truth.csv               _source,_rid,person for every row of the four
 *
 * Rows are in the shapes share/cdp/maps/{crm-1c,shop,pos,web}.map read, and
 * a truth row's (_source, _rid) is the one cdp-ingest gives the row with
 * those maps: the CRM code, the shop id, or for the tills and web events
 * the 1-based row number in the file. Anonymous rows (a walk-in buyer, a
 * visitor never logged in) have person "-".
 *
 * The output is a function of the options alone: same options, same bytes
 * (no clock, locale, hash order or thread timing enters it). Each file
 * appears atomically at the end, the five one after the other: a run that
 * fails before then leaves none of them. The traps the data holds are
 * listed at the top of gen.c. */
#ifndef CDP_GEN_GEN_H
#define CDP_GEN_GEN_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"

/* The most persons cdp_gen_run accepts, and the most events (persons
 * times events per person). */
#define CDP_GEN_MAX_PERSONS 20000000u
#define CDP_GEN_MAX_EVENTS 400000000.0

struct cdp_gen_options {
    uint64_t persons; /* 1 .. CDP_GEN_MAX_PERSONS */
    uint64_t seed;
    int64_t as_of_day;          /* the export's day, days since 1970-01-01 */
    unsigned events_per_person; /* on average, over the tills and the web; 0..1000 */
    const char *dir;            /* created if missing */
};

/* Rows written, per file. */
struct cdp_gen_counts {
    uint64_t persons;
    uint64_t crm, shop, pos, web, truth;
    uint64_t receipts; /* till receipts (pos counts their lines) */
};

/* Writes the files. Returns 0, or -1 with err set (nothing is left behind). */
int cdp_gen_run(const struct cdp_gen_options *opt, struct cdp_gen_counts *counts,
                struct cdp_error *err);

#endif
