/* ndjson: the NDJSON reader (io/reader.h), one JSON object a line.
 *
 * The first byte chooses the options: bits 0-1 the encoding (UTF-8,
 * Windows-1251, UTF-16, UTF-8), bit 2 whether the format is named or found
 * from the content (which may then make it CSV). Checks, besides memory
 * safety: a good row written back as JSON (cdp_json_add_record) reads back
 * as the same fields, types and values; a bad row has a reason and a code;
 * reading the file again line by line (lines_only, as second passes do)
 * gives the same lines with the same numbers. */
#include "fuzz.h"

#include "base/buf.h"
#include "io/json.h"
#include "io/lines.h"
#include "io/reader.h"


static void same_record(struct cdp_json_parser *p, const struct cdp_record *rec)
{
    struct cdp_buf text = CDP_BUF_INIT;
    cdp_json_add_record(&text, rec);
    cdp_buf_grow(&text, CDP_LINE_PADDING);
    memset(text.data + text.len, 0, CDP_LINE_PADDING);
    struct cdp_record back = CDP_RECORD_INIT;
    struct cdp_error err;
    enum cdp_json_status st = cdp_json_parse_object(p, text.data, text.len, &back, &err);
    FUZZ_CHECK(st == CDP_JSON_OK, "record written back does not read: %s: %s", err.msg, text.data);
    FUZZ_CHECK(back.n == rec->n, "%zu fields read back, %zu written: %s", back.n, rec->n,
               text.data);
    for (size_t i = 0; i < rec->n; i++) {
        const struct cdp_field *a = &rec->f[i], *b = &back.f[i];
        FUZZ_CHECK(fuzz_same(a->key, a->klen, b->key, b->klen), "key %zu: %s", i, text.data);
        FUZZ_CHECK(a->type == b->type && fuzz_same(a->val, a->vlen, b->val, b->vlen),
                   "value %zu: %s", i, text.data);
    }
    cdp_record_release(&back);
    cdp_buf_release(&text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in;
    if (!fuzz_input_open(&in, data, size))
        return 0;
    struct cdp_reader_options opt = {
        .format = in.config & 4 ? CDP_FORMAT_AUTO : CDP_FORMAT_NDJSON,
        .encoding = fuzz_encoding(in.config),
    };
    struct cdp_error err;
    struct cdp_reader *r = cdp_reader_open(in.path, &opt, &err);
    if (!r) {
        fuzz_input_close(&in);
        return 0;
    }
    bool ndjson = cdp_reader_format(r) == CDP_FORMAT_NDJSON;
    struct cdp_json_parser *p = cdp_json_parser_new();
    struct cdp_record rec = CDP_RECORD_INIT;
    struct cdp_row row;
    struct cdp_buf lines = CDP_BUF_INIT;
    enum cdp_read k;
    while ((k = cdp_reader_next(r, &rec, &row, &err)) != CDP_READ_END) {
        if (k == CDP_READ_ERROR)
            break;
        if (k == CDP_READ_BAD)
            FUZZ_CHECK(row.code && *row.code && row.reason[0], "bad row without a reason");
        else if (ndjson)
            same_record(p, &rec);
        cdp_buf_printf(&lines, "%llu %llu %zu:", (unsigned long long)row.line,
                       (unsigned long long)row.number, row.rawlen);
        cdp_buf_add(&lines, row.raw, row.rawlen);
        cdp_buf_addc(&lines, '\n');
    }
    bool failed = k == CDP_READ_ERROR;
    cdp_reader_close(r);
    if (ndjson && !failed) {
        opt.lines_only = true;
        opt.format = CDP_FORMAT_NDJSON;
        r = cdp_reader_open(in.path, &opt, &err);
        FUZZ_CHECK(r, "second open failed: %s", err.msg);
        struct cdp_buf again = CDP_BUF_INIT;
        while ((k = cdp_reader_next(r, &rec, &row, &err)) == CDP_READ_ROW) {
            cdp_buf_printf(&again, "%llu %llu %zu:", (unsigned long long)row.line,
                           (unsigned long long)row.number, row.rawlen);
            cdp_buf_add(&again, row.raw, row.rawlen);
            cdp_buf_addc(&again, '\n');
        }
        FUZZ_CHECK(k == CDP_READ_END, "lines_only read ended with %d", (int)k);
        FUZZ_CHECK(fuzz_same(again.data, again.len, lines.data, lines.len), "lines_only differs");
        cdp_buf_release(&again);
        cdp_reader_close(r);
    }
    cdp_buf_release(&lines);
    cdp_record_release(&rec);
    cdp_json_parser_free(p);
    fuzz_input_close(&in);
    return 0;
}
