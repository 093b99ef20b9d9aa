/* reader.h: records from one input file, whatever its format.
 *
 * One byte source (source.h) under one parser per format: CSV (io/csv.h) or
 * NDJSON (one JSON object per line). The format comes from the options, else
 * from the file name (.csv, .tsv, .ndjson, .jsonl, .json, each optionally
 * followed by .zst or .gz), else (and on standard input) from the content:
 * text starting with '{' is NDJSON, anything else CSV.
 *
 * Reading never stops at a bad row: cdp_reader_next returns it as
 * CDP_READ_BAD with its line number, raw text and reason, and the next call
 * goes on after it. Only an I/O or decompression failure ends the file. */
#ifndef CDP_IO_READER_H
#define CDP_IO_READER_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"
#include "io/record.h"

enum cdp_format { CDP_FORMAT_AUTO, CDP_FORMAT_CSV, CDP_FORMAT_NDJSON };

enum cdp_read {
    CDP_READ_ERROR = -1, /* fatal: err says why; stop reading this file */
    CDP_READ_END = 0,
    CDP_READ_ROW = 1,
    CDP_READ_BAD = 2, /* a row that cannot be parsed; see struct cdp_row */
    CDP_READ_SKIPPED = 3, /* a valid row left unparsed (options.skip): row set, rec
                             empty, or holding options.skip_keep's members */
};

struct cdp_json_names;

struct cdp_reader_options {
    enum cdp_format format;
    const char *encoding; /* iconv name; NULL for UTF-8 */
    char delimiter;       /* CSV only; 0 = sniff */
    bool lines_only;      /* NDJSON only: return each line as raw text, unparsed
                             (for a second pass that copies lines) */
    bool defer_csv;       /* CSV only: return one-line records without quotes
                             unsplit (row.deferred), see cdp_csv_split */
    /* NDJSON only: a line for which skip(skip_ctx, line, len) is true and
     * that is a valid JSON object is returned as CDP_READ_SKIPPED, checked
     * but not parsed (0.24-0.30 s against 0.57-0.70 s for 130,876 profile
     * lines, 182 MB); other lines as without it. For a reader that would
     * leave such lines out unread: the answer is the same as parsing would
     * give (a line that would be CDP_READ_BAD is still CDP_READ_BAD, with
     * the same reason). */
    bool (*skip)(void *skip_ctx, const char *line, size_t len);
    void *skip_ctx;
    /* With skip: such a line is parsed for these members only (and maybe
     * a few others, cdp_json_parse_object_some) instead of checked, for a
     * reader that still needs them; NULL: checked only. */
    const struct cdp_json_names *skip_keep;
};

/* Where a row came from, valid until the next call. */
struct cdp_row {
    uint64_t line;   /* 1-based physical line where the row starts */
    uint64_t number; /* 1-based data row number in this file (bad rows count) */
    const char *raw; /* the row's text as read (after decoding) */
    size_t rawlen;
    char reason[256]; /* for CDP_READ_BAD: what is wrong, for people */
    const char *code; /* for CDP_READ_BAD: a stable key for counting */
    bool deferred;    /* CSV: a line to split with cdp_reader_split */
    bool utf8_valid;  /* deferred: raw is valid UTF-8, known from decoding
                         (cdp_source_valid_utf8), for cdp_csv_split */
};

struct cdp_reader;

struct cdp_reader *cdp_reader_open(const char *path, const struct cdp_reader_options *opt,
                                   struct cdp_error *err);
void cdp_reader_close(struct cdp_reader *r);

enum cdp_read cdp_reader_next(struct cdp_reader *r, struct cdp_record *rec,
                              struct cdp_row *row, struct cdp_error *err);

/* NDJSON read in blocks, for a program that parses on other threads
 * without a call per row here: cdp_reader_take_lines appends to out the
 * lines read next, whole, as cdp_lines_take does (an NDJSON reader only;
 * not mixed with cdp_reader_next). Returns the number of lines, 0 at the
 * end, -1 with err set. */
long cdp_reader_take_lines(struct cdp_reader *r, struct cdp_buf *out, struct cdp_error *err);

/* The same without the copy (cdp_lines_block): *block is valid until the
 * next call, for a program that reads its rows here. */
long cdp_reader_lines_block(struct cdp_reader *r, const char **block, size_t *len, struct cdp_error *err);

/* The next row of such a block, from *pos up to end: the rows
 * cdp_reader_next returns with lines_only, in the same order (a '\r' before
 * the '\n' left out, lines of only blanks skipped). *line counts the lines
 * passed: with the number of the line before the block, it is the row's
 * line number (NULL: not counted). false at the end. */
bool cdp_reader_block_row(const char **pos, const char *end, const char **row, size_t *len, uint64_t *line);

const char *cdp_reader_name(const struct cdp_reader *r);
enum cdp_format cdp_reader_format(const struct cdp_reader *r);
/* Bytes read from the file so far (compressed size), for progress. */
uint64_t cdp_reader_bytes(const struct cdp_reader *r);
/* The CSV header (NULL and 0 for NDJSON). */
size_t cdp_reader_columns(const struct cdp_reader *r, const char *const **names);

/* The delimiter of a CSV reader (0 for NDJSON). */
char cdp_reader_delimiter(const struct cdp_reader *r);

/* The format a file name implies (CDP_FORMAT_AUTO when it implies none);
 * *delimiter is set to '\t' for .tsv and left alone otherwise. */
enum cdp_format cdp_format_from_name(const char *path, char *delimiter);
/* "csv" / "ndjson" to a format; CDP_FORMAT_AUTO when unknown. */
enum cdp_format cdp_format_parse(const char *name);

#endif
