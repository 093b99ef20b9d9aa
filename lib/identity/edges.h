/* edges.h: the two files that carry cdp-dedupe across shards.
 *
 * cdp-dedupe in three steps (cdp-dedupe(1), SHARDED RUNS): on each shard,
 * --edges writes what each of the shard's rows contributes to the identity
 * graph (the edges file); on one host, --resolve adds the rows of all
 * shards to one graph, in the order cdp-shard's order file gives (the order
 * one cdp-dedupe over the unsplit input reads them in), resolves it with
 * the usual merge protection and state, and writes each shard's ids file;
 * on each shard, --apply writes the shard's records with their ids. The
 * graph, and so the persons and ids, are those of one cdp-dedupe run: a
 * row's contribution is exactly what cdp_graph_extract found in it.
 *
 * The edges file (NDJSON, zstd when named .zst): a header naming the keys
 * and conflict fields it was made with,
 *   {"cdp_edges":1,"keys":["customer_id",...],"conflicts":["birth_date",...]}
 * then one line per input row, in order: a record
 *   {"s":"crm","r":"000123","p":1,"h":1,"k1":"0012345","k2":"a@b.ru","c0":"1985-03-05"}
 * (_source, _rid, a person record or an event, "h": it carried a cdp_id;
 * kN: its value of key N, composite parts joined by 0x1F; cN: its value of
 * conflict field N), or {"bad":1} (not a record) or {"forgotten":1} (left
 * out: on the forget list); and an end line {"end":1,"rows":N}, so that a
 * file cut short is refused.
 *
 * The ids file (text, zstd when named .zst): "cdp-dedupe ids N", then one
 * line per row of the shard: '=' and the id (16 hex digits; none for an
 * event without a usable identifier), '^' and the id for a record that
 * already carried a cdp_id (replaced), '!' for a row that is not a record,
 * 'x' for a forgotten record. */
#ifndef CDP_IDENTITY_EDGES_H
#define CDP_IDENTITY_EDGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"
#include "identity/graph.h"
#include "identity/keys.h"

enum cdp_edges_row { CDP_EDGES_RECORD, CDP_EDGES_BAD, CDP_EDGES_FORGOTTEN };

/* ---- the edges file ------------------------------------------------------ */

void cdp_edges_header(struct cdp_buf *b, const struct cdp_keyset *keys, const char *const *conflicts,
                      size_t nconflicts);
/* Item i of items (cdp_graph_extract's), as one line. */
void cdp_edges_item(struct cdp_buf *b, const struct cdp_graph_items *items, size_t i, size_t nconflicts);
/* A row that is not a record (CDP_EDGES_BAD) or is forgotten. */
void cdp_edges_row(struct cdp_buf *b, enum cdp_edges_row kind);
void cdp_edges_end(struct cdp_buf *b, uint64_t rows);

struct cdp_edges_reader;

/* Opens an edges file made with the same keys and conflict fields (else
 * NULL with err saying which differ). */
struct cdp_edges_reader *cdp_edges_open(const char *path, const struct cdp_keyset *keys,
                                        const char *const *conflicts, size_t nconflicts,
                                        struct cdp_error *err);
/* The next row: 1 with *kind, and for a record items cleared and holding it
 * as item 0; 0 after the end line; -1 with err (file:line) on a damaged
 * line, a file without its end line, or an end line that miscounts. */
int cdp_edges_next(struct cdp_edges_reader *r, struct cdp_graph_items *items, enum cdp_edges_row *kind,
                   struct cdp_error *err);
const char *cdp_edges_path(const struct cdp_edges_reader *r);
void cdp_edges_close(struct cdp_edges_reader *r);

/* ---- the ids file -------------------------------------------------------- */

void cdp_ids_header(struct cdp_buf *b, uint64_t rows);
/* id NULL: none. */
void cdp_ids_line(struct cdp_buf *b, enum cdp_edges_row kind, bool had_id, const char *id);

struct cdp_ids_reader;

struct cdp_ids_reader *cdp_ids_open(const char *path, struct cdp_error *err);
/* Rows the header announces. */
uint64_t cdp_ids_rows(const struct cdp_ids_reader *r);
/* The next row: 1 with its kind, had_id and id (NULL: none; valid until
 * the next call), 0 at the end, -1 with err on a damaged line or a file
 * with other than the rows its header announces. */
int cdp_ids_next(struct cdp_ids_reader *r, enum cdp_edges_row *kind, bool *had_id, const char **id,
                 struct cdp_error *err);
void cdp_ids_close(struct cdp_ids_reader *r);

#endif
