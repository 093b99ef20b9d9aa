/* shard.h: records split into N shards by a hash of a key, the same shard
 * for the same key on every night and every machine.
 *
 * The shard of a key is XXH3_64bits(key bytes, seed 0) % N: xxHash's XXH3 is
 * a specified function, so the split does not depend on the build, the byte
 * order or the number of threads. Two keys are used (cdp-shard(1) --by):
 *  - the record id, "_source" 0x1F "_rid" (records before cdp-dedupe: a
 *    record corrected tomorrow lands in the shard it was in today);
 *  - a field's value, e.g. cdp_id (records after cdp-dedupe: every record
 *    of one person in one shard, for cdp-merge).
 * Strings count as their unescaped text, other values as written.
 *
 * A shard set is the N outputs of one split, named by a template holding
 * "%d" once (the shard number, 0 to N-1), with the order file: the shard of
 * every record written, in input order, which is what lets cdp-dedupe's
 * sharded steps add the shards' records to one graph in the order one
 * cdp-dedupe over the unsplit input would (identity/edges.h). All N + 1
 * files are replaced together (io/replace.h): a failed run changes none,
 * and no shard of one run is ever used with the shards of another. */
#ifndef CDP_IO_SHARD_H
#define CDP_IO_SHARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"
#include "io/output.h"
#include "io/record.h"

#define CDP_SHARD_MAX 4096

/* The shard, 0..nshards-1, of a key of len bytes. */
uint32_t cdp_shard_of(const char *key, size_t len, uint32_t nshards);

/* The key of r into key (reset first): its field named field, or with field
 * NULL its record id. false when r has no such key (no _source or _rid, a
 * missing or null field). */
bool cdp_shard_key(const struct cdp_record *r, const char *field, struct cdp_buf *key);

/* The name of shard i of template (one "%d") into out. */
void cdp_shard_name(const char *template, uint32_t i, struct cdp_buf *out);

/* Whether template holds "%d" exactly once and no other '%' directive
 * ("%%" is a '%'). */
bool cdp_shard_template_valid(const char *template);

struct cdp_shard_set;

/* Opens the nshards outputs of template, and the order file at order (NULL:
 * none). NULL with err set when one cannot be created. */
struct cdp_shard_set *cdp_shard_set_open(const char *template, uint32_t nshards, const char *order,
                                         const struct cdp_output_options *opt, struct cdp_error *err);

/* Appends one line (without its newline) to shard i, and i to the order
 * file. Returns -1 once a write has failed (commit reports it). */
int cdp_shard_set_write(struct cdp_shard_set *s, uint32_t i, const char *line, size_t len);

/* Records written to shard i so far. */
uint64_t cdp_shard_set_count(const struct cdp_shard_set *s, uint32_t i);

/* Replaces every file together, or none (io/replace.h). Frees s. */
int cdp_shard_set_commit(struct cdp_shard_set *s, struct cdp_error *err);

/* Discards every file (their targets stay as they were). Accepts NULL. */
void cdp_shard_set_abort(struct cdp_shard_set *s);

/* ---- the order file ------------------------------------------------------
 *
 * Text: a first line "cdp-shard order N", then the shard number of each
 * record, one a line, in input order; zstd when the name ends in .zst. */

struct cdp_shard_order;

/* NULL with err when path cannot be read or is not an order file. */
struct cdp_shard_order *cdp_shard_order_open(const char *path, struct cdp_error *err);
uint32_t cdp_shard_order_shards(const struct cdp_shard_order *o);
/* The next record's shard: 1 with *shard set, 0 at the end, -1 with err
 * when a line is not a shard number below N (file:line named). */
int cdp_shard_order_next(struct cdp_shard_order *o, uint32_t *shard, struct cdp_error *err);
void cdp_shard_order_close(struct cdp_shard_order *o);

#endif
