/* write.h: what cdp-recommend writes, one JSON object a line.
 *
 * Recommendations, one line per person:
 *   {"cdp_id":"...","recommendations":[{"sku":"...","score":0.42,
 *    "reason":"bought_together","because":"SKU","category":"..."}, ...],
 *    "viewed":[{"sku":"...","at":"2026-11-19T10:00:00Z","category":"..."}]}
 * ("because" only for bought_together and viewed, "category" when the item
 * has one, "viewed" only when the list is asked for);
 *
 * similar items, one line per item bought:
 *   {"sku":"...","baskets":120,"similar":[{"sku":"...","support":0.01,
 *    "confidence":0.25,"lift":3.2,"count":30}, ...]}
 *
 * and the evaluation, one line. Figures are written with six significant
 * digits (%.6g), evaluation figures with four decimals.
 *
 * As CSV (RFC 4180, io/csv_cell.h) the same facts are one row per list
 * entry under a header line, the shape a spreadsheet or a mailing service's
 * import reads:
 *   cdp_id,list,rank,sku,score,reason,because,category,viewed_at
 *     (list "recommended" or "viewed"; a person with an empty list has no row)
 *   sku,baskets,rank,similar_sku,support,confidence,lift,count
 *     (an item bought with nothing eligible has no row)
 *   split,k,people,items,evaluated,truth,model,precision,recall,hit_rate,ndcg
 *     (one row for the recommender, one for popularity). */
#ifndef CDP_RECOMMEND_WRITE_H
#define CDP_RECOMMEND_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"
#include "io/output.h"
#include "recommend/evaluate.h"
#include "recommend/activity.h"
#include "recommend/pairs.h"
#include "recommend/score.h"

/* How lines are written: NDJSON or CSV, and whether a person's recently
 * viewed list goes with their recommendations. */
struct cdp_rec_writing {
    bool csv;
    bool with_viewed;
};

enum cdp_rec_table { CDP_REC_TABLE_RECS, CDP_REC_TABLE_SIMILAR, CDP_REC_TABLE_EVALUATION };

/* The CSV header line of a table (nothing for NDJSON). */
void cdp_write_header(const struct cdp_rec_writing *w, enum cdp_rec_table table, struct cdp_buf *out);

/* One person's line (or rows). */
void cdp_write_recs(const struct cdp_activity *h, const struct cdp_recs *r,
                    const struct cdp_rec_writing *w, struct cdp_buf *out);

/* Item a's line: its first `top` neighbours that are eligible (one byte per
 * item; NULL: all). Nothing for an item in no basket. */
void cdp_write_similar(const struct cdp_activity *h, const struct cdp_pairs *p, uint32_t a,
                       const uint8_t *eligible, size_t top, const struct cdp_rec_writing *w,
                       struct cdp_buf *out);

/* Every person's line, in cdp_id order, scored on nworkers threads (0: the
 * calling thread) and written to out after the header; *people counts them. Stops early
 * when a write fails (cdp_output_commit reports it). Returns 0, or -1
 * with err when the threads cannot start. */
int cdp_write_all_recs(const struct cdp_recommender *r, const struct cdp_rec_writing *w, size_t nworkers,
                       struct cdp_output *out, uint64_t *people, struct cdp_error *err);

/* Every item's line, in sku order, made on nworkers threads and written
 * to out; *items counts them. Returns as cdp_write_all_recs. */
int cdp_write_all_similar(const struct cdp_activity *h, const struct cdp_pairs *p,
                          const uint8_t *eligible, size_t top, const struct cdp_rec_writing *w,
                          size_t nworkers, struct cdp_output *out, uint64_t *items,
                          struct cdp_error *err);

/* The evaluation's line; split as the user wrote it. */
void cdp_write_evaluation(const struct cdp_evaluation *e, const char *split, size_t k,
                          const struct cdp_rec_writing *w, struct cdp_buf *out);

#endif
