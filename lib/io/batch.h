/* batch.h: rows copied out of a reader, to be worked on elsewhere (pmap.h).
 *
 * A reader's record points into the reader's buffers and dies with its next
 * call; a batch keeps its own copy of each row (fields, where it came from,
 * its raw text) until it is cleared, so that a worker thread can use it
 * while the reader goes on. Bad rows are kept too, in order, so that the
 * messages about them come out where they belong. */
#ifndef CDP_IO_BATCH_H
#define CDP_IO_BATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "io/reader.h"
#include "io/record.h"

struct cdp_batch_row {
    enum cdp_read kind; /* CDP_READ_ROW or CDP_READ_BAD */
    uint64_t line, number;
    const char *code;   /* bad rows: reason code (static) and text */
    const char *reason;
    const char *raw; /* NUL-terminated, and readable CDP_LINE_PADDING past its end */
    size_t rawlen;
    size_t first_field, nfields;
    bool deferred; /* CSV: fields not split yet (cdp_batch_split) */
    bool utf8_valid; /* deferred: known to be valid UTF-8 (struct cdp_row) */
};

struct cdp_batch {
    struct cdp_batch_row *rows;
    size_t n, cap;
    struct cdp_field *fields;
    size_t nfields, fields_cap;
    struct cdp_arena arena;
    size_t bytes; /* copied so far: a batch is full by rows or by bytes */
    bool stable_keys; /* keys outlive the batch (a CSV header): not copied */
    /* For deferred CSV rows: the header and delimiter they are split with
     * (cdp_batch_set_header). */
    const char *const *columns;
    size_t *column_lens;
    size_t ncolumns, column_lens_cap;
    char delimiter;
};

#define CDP_BATCH_INIT { NULL, 0, 0, NULL, 0, 0, CDP_ARENA_INIT, 0, false, NULL, NULL, 0, 0, 0 }

/* Takes the header and delimiter of r's file (none for NDJSON), for
 * deferred CSV rows; the names must outlive the rows (they live as long as
 * r). Called for each batch filled from r. */
void cdp_batch_set_header(struct cdp_batch *b, const struct cdp_reader *r);

/* Copies a row the reader returned (kind ROW with rec, or BAD). */
void cdp_batch_add(struct cdp_batch *b, enum cdp_read kind, const struct cdp_record *rec,
                   const struct cdp_row *row);

/* Copies a line as a row of its own (no fields, line and number 0): for
 * lines that are not read from a file, such as sorted ones. */
void cdp_batch_add_line(struct cdp_batch *b, const char *line, size_t len);

/* A read-only record view of row i (valid until the batch is cleared). */
void cdp_batch_record(const struct cdp_batch *b, size_t i, struct cdp_record *view);

/* The record of row i, split now if it was deferred: CDP_READ_ROW with *rec
 * pointing at view (a stored row) or at scratch (a caller-owned record the
 * deferred line is split into; values point into the batch), or
 * CDP_READ_BAD with the reason in row (its line and text filled in too). */
enum cdp_read cdp_batch_split(const struct cdp_batch *b, size_t i, struct cdp_record *scratch,
                              struct cdp_record *view, const struct cdp_record **rec,
                              struct cdp_row *row);

void cdp_batch_clear(struct cdp_batch *b);
void cdp_batch_release(struct cdp_batch *b);

#endif
