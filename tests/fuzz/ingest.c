/* ingest: cdp-ingest's conversion of rows to canonical records
 * (ingest/ingest.h), with a map file, over CSV or NDJSON rows.
 *
 * The input is a map file, a line "--", then the rows (no "--" line: the
 * whole input is rows, mapped by the fields' own names). The first byte
 * chooses the options: bit 0 CSV or NDJSON, bits 1-2 the date order, bit 3
 * --drop-unmapped, bits 4-5 the kind (from the mapping, person, event).
 * Checks, besides memory safety: every record written is one valid JSON
 * object with _source, _rid and _kind; every value that could not be
 * normalised names its field and a noun. */
#include "fuzz.h"

#include "base/buf.h"
#include "ingest/ingest.h"
#include "io/json.h"
#include "io/lines.h"
#include "io/reader.h"
#include "norm/schema.h"

static void check_output(struct cdp_json_parser *json, const struct cdp_buf *out, size_t from)
{
    const char *p = out->data + from, *end = out->data + out->len;
    FUZZ_CHECK(p < end && end[-1] == '\n', "output does not end a line");
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)(nl - p);
        char *line = fuzz_padded((const uint8_t *)p, len, CDP_LINE_PADDING);
        struct cdp_record rec = CDP_RECORD_INIT;
        struct cdp_error err;
        FUZZ_CHECK(cdp_json_parse_object(json, line, len, &rec, &err) == CDP_JSON_OK,
                   "record is not a JSON object: %s: %s", err.msg, line);
        FUZZ_CHECK(cdp_record_gets(&rec, "_source") && cdp_record_gets(&rec, "_rid") &&
                       cdp_record_gets(&rec, "_kind"),
                   "record without _source, _rid or _kind: %s", line);
        cdp_record_release(&rec);
        free(line);
        p = nl + 1;
    }
}

static void run(struct cdp_ingest *ing, const char *path, uint8_t config)
{
    struct cdp_reader_options ro = { .format = config & 1 ? CDP_FORMAT_NDJSON : CDP_FORMAT_CSV };
    struct cdp_error err;
    struct cdp_reader *r = cdp_reader_open(path, &ro, &err);
    if (!r)
        return;
    const char *const *columns;
    size_t ncolumns = cdp_reader_columns(r, &columns);
    if (cdp_ingest_bind(ing, ro.format == CDP_FORMAT_CSV ? columns : NULL, ncolumns, "fuzz", &err) <
        0) {
        FUZZ_CHECK(err.msg[0], "bind failed without a message");
        cdp_reader_close(r);
        return;
    }
    struct cdp_json_parser *json = cdp_json_parser_new();
    struct cdp_record rec = CDP_RECORD_INIT;
    struct cdp_row row;
    struct cdp_buf out = CDP_BUF_INIT, rid = CDP_BUF_INIT;
    struct cdp_invalid_list invalid = { 0 };
    enum cdp_read k;
    while ((k = cdp_reader_next(r, &rec, &row, &err)) == CDP_READ_ROW || k == CDP_READ_BAD) {
        if (k == CDP_READ_BAD)
            continue;
        cdp_buf_reset(&rid);
        cdp_buf_printf(&rid, "fuzz:%llu", (unsigned long long)row.number);
        struct cdp_ingest_outcome oc;
        size_t before = out.len, ninvalid = invalid.n;
        cdp_ingest_row(ing, &rec, rid.data, &out, &oc, &invalid);
        if (oc.rejected) {
            FUZZ_CHECK(out.len == before, "a rejected row was written");
            FUZZ_CHECK(oc.code && oc.reason[0], "rejected without a reason");
        } else {
            check_output(json, &out, before);
        }
        for (size_t i = ninvalid; i < invalid.n; i++) {
            const struct cdp_invalid_value *v = &invalid.v[i];
            FUZZ_CHECK(v->field && v->noun && v->column, "invalid value %zu without names", i);
            FUZZ_CHECK(cdp_utf8_valid(v->value, v->vlen), "invalid value %zu not UTF-8", i);
        }
        /* Values point into the row: look at them before the next one. */
        invalid.n = 0;
        cdp_buf_reset(&out);
    }
    free(invalid.v);
    cdp_buf_release(&out);
    cdp_buf_release(&rid);
    cdp_record_release(&rec);
    cdp_json_parser_free(json);
    cdp_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t config = fuzz_take_byte(&data, &size);
    const uint8_t *rows = data;
    size_t nrows = size, nmap = 0;
    for (size_t i = 0; i + 3 <= size; i++)
        if (data[i] == '-' && data[i + 1] == '-' && data[i + 2] == '\n' &&
            (i == 0 || data[i - 1] == '\n')) {
            nmap = i;
            rows = data + i + 3;
            nrows = size - i - 3;
            break;
        }
    struct cdp_mapping map = CDP_MAPPING_INIT;
    struct cdp_error err;
    char path[64];
    int fd = -1;
    if (rows != data) {
        fd = fuzz_file(data, nmap, path);
        if (fd < 0)
            return 0;
        int bad = cdp_mapping_load(&map, path, &err);
        fuzz_file_close(fd);
        if (bad < 0) {
            cdp_mapping_release(&map);
            return 0;
        }
    }
    static const enum cdp_date_order orders[] = { CDP_ORDER_DMY, CDP_ORDER_MDY, CDP_ORDER_YMD,
                                                  CDP_ORDER_DMY };
    static const int kinds[] = { 0, CDP_KIND_PERSON, CDP_KIND_EVENT, 0 };
    struct cdp_ingest_options opt = {
        .source = "fuzz",
        .kind = kinds[(config >> 4) & 3],
        .region = "RU",
        .date_order = orders[(config >> 1) & 3],
        .tz_offset = 180,
        .as_of_day = 20777, /* 2026-11-20 */
        .drop_unmapped = config & 8,
    };
    struct cdp_ingest *ing = cdp_ingest_new(&opt, &map, &err);
    if (ing) {
        fd = fuzz_file(rows, nrows, path);
        if (fd >= 0)
            run(ing, path, config);
        fuzz_file_close(fd);
        cdp_ingest_free(ing);
    }
    cdp_mapping_release(&map);
    return 0;
}
