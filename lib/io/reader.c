#include "io/reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "io/csv.h"
#include "io/json.h"
#include "io/lines.h"

struct cdp_reader {
    enum cdp_format format;
    struct cdp_source *source; /* borrowed from lines, for its name and size */
    struct cdp_lines *lines;   /* NDJSON; the CSV reader owns its own */
    struct cdp_csv_reader *csv;
    struct cdp_json_parser *json;
    uint64_t rows;
    bool lines_only;
    bool (*skip)(void *, const char *, size_t);
    void *skip_ctx;
    const struct cdp_json_names *skip_keep;
};

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && strncasecmp(s + n - k, suffix, k) == 0;
}

enum cdp_format cdp_format_from_name(const char *path, char *delimiter)
{
    size_t n = strlen(path);
    if (ends_with(path, n, ".zst"))
        n -= 4;
    else if (ends_with(path, n, ".gz"))
        n -= 3;
    if (ends_with(path, n, ".csv"))
        return CDP_FORMAT_CSV;
    if (ends_with(path, n, ".tsv")) {
        *delimiter = '\t';
        return CDP_FORMAT_CSV;
    }
    if (ends_with(path, n, ".ndjson") || ends_with(path, n, ".jsonl") ||
        ends_with(path, n, ".json"))
        return CDP_FORMAT_NDJSON;
    return CDP_FORMAT_AUTO;
}

enum cdp_format cdp_format_parse(const char *name)
{
    if (strcasecmp(name, "csv") == 0 || strcasecmp(name, "tsv") == 0)
        return CDP_FORMAT_CSV;
    if (strcasecmp(name, "ndjson") == 0 || strcasecmp(name, "jsonl") == 0 ||
        strcasecmp(name, "json") == 0)
        return CDP_FORMAT_NDJSON;
    return CDP_FORMAT_AUTO;
}

struct cdp_reader *cdp_reader_open(const char *path, const struct cdp_reader_options *opt,
                                   struct cdp_error *err)
{
    char delimiter = opt->delimiter;
    enum cdp_format format = opt->format;
    bool is_stdin = strcmp(path, "-") == 0;
    if (format == CDP_FORMAT_AUTO && !is_stdin)
        format = cdp_format_from_name(path, opt->delimiter ? &(char){ 0 } : &delimiter);
    (void)is_stdin;
    struct cdp_source *src = cdp_source_open(path, opt->encoding, err);
    if (!src)
        return NULL;
    struct cdp_reader *r = cdp_xcalloc(1, sizeof *r);
    r->source = src;
    struct cdp_lines *lines = cdp_lines_new(src);
    if (format == CDP_FORMAT_AUTO) {
        /* Neither told nor named (or stdin): NDJSON when the (decompressed)
         * text starts with '{', else CSV. */
        format = CDP_FORMAT_NDJSON;
        {
            const char *p;
            size_t n, i = 0;
            if (cdp_lines_peek(lines, &p, &n, err) < 0) {
                cdp_lines_free(lines);
                free(r);
                return NULL;
            }
            while (i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t'))
                i++;
            if (i < n && p[i] != '{')
                format = CDP_FORMAT_CSV;
        }
    }
    r->format = format;
    r->lines_only = opt->lines_only;
    r->skip = opt->skip;
    r->skip_ctx = opt->skip_ctx;
    r->skip_keep = opt->skip_keep;
    if (format == CDP_FORMAT_CSV) {
        r->csv = cdp_csv_reader_new(lines, delimiter, err);
        if (!r->csv) {
            free(r);
            return NULL;
        }
        cdp_csv_defer_simple(r->csv, opt->defer_csv);
    } else {
        r->lines = lines;
        r->json = cdp_json_parser_new();
        if (!r->json) {
            cdp_lines_free(lines);
            free(r);
            cdp_errorf(err, "out of memory");
            return NULL;
        }
    }
    return r;
}

void cdp_reader_close(struct cdp_reader *r)
{
    if (!r)
        return;
    cdp_csv_reader_free(r->csv);
    cdp_lines_free(r->lines);
    cdp_json_parser_free(r->json);
    free(r);
}

/* Whether the line p[0..*len) is a row, its length without a '\r' at the
 * end: a blank line is no row. */
static inline bool ndjson_row(const char *p, size_t *len)
{
    if (*len && p[*len - 1] == '\r')
        --*len;
    size_t i = 0;
    while (i < *len && (p[i] == ' ' || p[i] == '\t'))
        i++;
    return i < *len;
}

long cdp_reader_take_lines(struct cdp_reader *r, struct cdp_buf *out, struct cdp_error *err)
{
    if (!r->lines)
        return cdp_errorf(err, "%s: internal error: lines taken from a CSV reader", cdp_reader_name(r));
    return cdp_lines_take(r->lines, out, err);
}

long cdp_reader_lines_block(struct cdp_reader *r, const char **block, size_t *len, struct cdp_error *err)
{
    if (!r->lines)
        return cdp_errorf(err, "%s: internal error: lines taken from a CSV reader", cdp_reader_name(r));
    return cdp_lines_block(r->lines, block, len, err);
}

bool cdp_reader_block_row(const char **pos, const char *end, const char **row, size_t *len, uint64_t *line)
{
    while (*pos < end) {
        const char *p = *pos, *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        *pos = nl ? nl + 1 : end;
        if (line)
            ++*line;
        if (ndjson_row(p, &n)) {
            *row = p;
            *len = n;
            return true;
        }
    }
    return false;
}

static enum cdp_read ndjson_next(struct cdp_reader *r, struct cdp_record *rec,
                                 struct cdp_row *row, struct cdp_error *err)
{
    const char *p;
    size_t n;
    uint64_t number;
    bool nl;
    for (;;) {
        int k = cdp_lines_next(r->lines, &p, &n, &number, &nl, err);
        if (k < 0)
            return CDP_READ_ERROR;
        if (k == 0)
            return CDP_READ_END;
        size_t len = n;
        if (!ndjson_row(p, &len))
            continue;
        row->line = number;
        row->number = ++r->rows;
        row->raw = p;
        row->rawlen = len;
        cdp_record_clear(rec);
        if (r->lines_only)
            return CDP_READ_ROW;
        /* A valid line whose root is an object is what cdp_json_parse_object
         * reads as CDP_JSON_OK (tests/fuzz/json.c checks that they agree). */
        struct cdp_error why;
        if (r->skip && p[0] == '{' && r->skip(r->skip_ctx, p, len)) {
            /* A line that fails either is parsed in full below, for the
             * same reason as without skip (they fail when it fails). */
            if (r->skip_keep ? cdp_json_parse_object_some(r->json, p, len, r->skip_keep, rec, &why) == CDP_JSON_OK
                             : cdp_json_valid(r->json, p, len))
                return CDP_READ_SKIPPED;
            cdp_record_clear(rec);
        }
        enum cdp_json_status st = cdp_json_parse_object(r->json, p, len, rec, &why);
        if (st != CDP_JSON_OK) {
            snprintf(row->reason, sizeof row->reason, "%.200s", why.msg);
            row->code = cdp_json_status_code(st);
            return CDP_READ_BAD;
        }
        return CDP_READ_ROW;
    }
}

enum cdp_read cdp_reader_next(struct cdp_reader *r, struct cdp_record *rec,
                              struct cdp_row *row, struct cdp_error *err)
{
    row->reason[0] = '\0';
    row->code = NULL;
    row->deferred = false;
    row->utf8_valid = false;
    if (r->csv)
        return cdp_csv_next(r->csv, rec, row, err);
    return ndjson_next(r, rec, row, err);
}

const char *cdp_reader_name(const struct cdp_reader *r)
{
    return cdp_source_name(r->source);
}

enum cdp_format cdp_reader_format(const struct cdp_reader *r)
{
    return r->format;
}

uint64_t cdp_reader_bytes(const struct cdp_reader *r)
{
    return cdp_source_raw_bytes(r->source);
}

size_t cdp_reader_columns(const struct cdp_reader *r, const char *const **names)
{
    if (!r->csv) {
        *names = NULL;
        return 0;
    }
    return cdp_csv_columns(r->csv, names);
}

char cdp_reader_delimiter(const struct cdp_reader *r)
{
    return r->csv ? cdp_csv_delimiter(r->csv) : 0;
}
