/* ingest.h: one source's rows to canonical records (what cdp-ingest does).
 *
 * Each input row becomes one NDJSON object: _source, _rid, _kind, the
 * canonical fields (schema.h) normalised, the user's own mapped fields,
 * the unmapped columns under "attrs" (nothing is lost), values that could
 * not be normalised under "_invalid" as they were, and values that say there
 * is no value ("Unspecified" for a country, vocab.h) under "_omitted" as
 * they were. A field's value comes from the first of its map rules whose
 * test holds, else from its column or constant (mapping.h). A row is
 * rejected only when it is empty, has no _rid in the column named for it,
 * or meets none of the fields of a --require group. */
#ifndef CDP_INGEST_INGEST_H
#define CDP_INGEST_INGEST_H

#include <stdbool.h>
#include <stdint.h>

#include "io/batch.h"
#include "base/buf.h"
#include "norm/date.h"
#include "base/error.h"
#include "ingest/mapping.h"
#include "io/forgetlist.h"
#include "io/record.h"

struct cdp_ingest_options {
    const char *source;
    int kind;            /* CDP_KIND_PERSON / _EVENT, 0: from the mapping */
    const char *region;  /* for phones written without a country code */
    enum cdp_date_order date_order;
    int tz_offset;       /* minutes east of UTC of times written without one */
    int64_t as_of_day;   /* days since 1970: later birth dates are invalid */
    bool drop_unmapped;  /* no "attrs" */
    bool country_from_phone; /* no country: the phone's (phone.h), if valid */
    /* The forget list (io/forgetlist.h), or NULL: a row whose record it
     * matches is dropped, neither written nor rejected (outcome.forgotten). */
    const struct cdp_forgetlist *forgotten;
};

/* A value that could not be normalised, or that says there is none, for
 * the message about it and the counts. */
struct cdp_invalid_value {
    const char *field;
    const char *column; /* where it came from ("--set" for a constant) */
    const char *value;  /* as read (JSON text when it was not a string) */
    size_t vlen;
    const char *noun;   /* "e-mail", "date", ... */
    const char *omitted; /* NULL: invalid; else why it is no value (vocab.h) */
};

struct cdp_invalid_list {
    struct cdp_invalid_value *v;
    size_t n, cap;
};

struct cdp_ingest_outcome {
    bool rejected;
    const char *code; /* for counting rejections */
    char reason[160];
    size_t first_invalid, ninvalid; /* in the invalid list (omitted ones too) */
    bool country_from_phone;        /* the country was the phone's */
    bool forgotten;                 /* dropped: a person on the forget list */
};

/* A batch of rows and what became of them: what a worker thread fills. */
struct cdp_ingest_batch {
    struct cdp_batch rows;
    const char *rid_prefix; /* default _rid = prefix + row number */
    struct cdp_buf out;     /* the accepted rows, as NDJSON */
    struct cdp_ingest_outcome *outcomes;
    size_t outcomes_cap;
    struct cdp_invalid_list invalid;
};

struct cdp_ingest;

struct cdp_ingest *cdp_ingest_new(const struct cdp_ingest_options *opt,
                                  const struct cdp_mapping *map, struct cdp_error *err);
void cdp_ingest_free(struct cdp_ingest *ing);

/* Called at the start of each input file: the CSV header (columns), or NULL
 * for NDJSON, whose keys are looked up row by row. A mapped column missing
 * from a CSV header is an error naming the file and the columns it has. */
int cdp_ingest_bind(struct cdp_ingest *ing, const char *const *columns, size_t ncolumns,
                    const char *file, struct cdp_error *err);

/* Converts one row. default_rid is used when no column is mapped to _rid.
 * Appends the object and a newline to out unless the row is rejected;
 * appends the values that could not be normalised to invalid (they point
 * into the row and into ing). */
void cdp_ingest_row(struct cdp_ingest *ing, const struct cdp_record *in, const char *default_rid,
                    struct cdp_buf *out, struct cdp_ingest_outcome *outcome,
                    struct cdp_invalid_list *invalid);

/* Converts every good row of a batch (the worker's side of pmap.h): fills
 * b->out, b->outcomes (one per row; bad rows' outcomes are untouched) and
 * b->invalid. */
void cdp_ingest_batch_run(struct cdp_ingest *ing, struct cdp_ingest_batch *b);
void cdp_ingest_batch_clear(struct cdp_ingest_batch *b);
void cdp_ingest_batch_release(struct cdp_ingest_batch *b);

/* The kind of record being written: CDP_KIND_PERSON or CDP_KIND_EVENT. */
int cdp_ingest_kind(const struct cdp_ingest *ing);

#endif
