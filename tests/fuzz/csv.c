/* csv: the CSV reader (io/csv.h under io/reader.h) in the encodings exports
 * come in.
 *
 * The first byte chooses the options: bits 0-1 the encoding (UTF-8,
 * Windows-1251, UTF-16 with or without a BOM), bits 2-4 the delimiter
 * (sniffed, ',', ';', TAB, '|'); the rest is the file. Checks, besides
 * memory safety: a good row's names and values are valid UTF-8 and the row
 * has one value per header column; a bad row has a reason and a code; and
 * reading again with quote-free lines deferred and split by cdp_csv_split,
 * as cdp-ingest's worker threads do, gives the same rows. */
#include "fuzz.h"

#include <stdlib.h>

#include "base/buf.h"
#include "io/csv.h"
#include "io/json.h"
#include "io/reader.h"

static const char delimiters[] = { 0, ',', ';', '\t', '|', 0, 0, 0 };

/* Every row read, as text, into dump. */
static void read_all(const char *path, const struct cdp_reader_options *opt, struct cdp_buf *dump)
{
    struct cdp_error err;
    struct cdp_reader *r = cdp_reader_open(path, opt, &err);
    if (!r) {
        cdp_buf_printf(dump, "open failed: %s\n", err.msg);
        return;
    }
    const char *const *names;
    size_t ncols = cdp_reader_columns(r, &names);
    size_t *name_lens = malloc((ncols + 1) * sizeof *name_lens); /* as cdp-ingest's batches */
    for (size_t i = 0; i < ncols; i++) {
        name_lens[i] = strlen(names[i]);
        FUZZ_CHECK(cdp_utf8_valid(names[i], name_lens[i]), "column %zu", i);
    }
    struct cdp_record rec = CDP_RECORD_INIT;
    struct cdp_row row;
    enum cdp_read k;
    while ((k = cdp_reader_next(r, &rec, &row, &err)) != CDP_READ_END) {
        if (k == CDP_READ_ERROR) {
            cdp_buf_printf(dump, "error: %s\n", err.msg);
            break;
        }
        if (k == CDP_READ_ROW && row.deferred)
            k = cdp_csv_split(row.raw, row.rawlen, row.utf8_valid, cdp_reader_delimiter(r), names,
                              name_lens, ncols, &rec, &row);
        if (k == CDP_READ_BAD) {
            FUZZ_CHECK(row.code && *row.code && row.reason[0], "bad row without a reason");
            cdp_buf_printf(dump, "bad %llu %llu %s %s: ", (unsigned long long)row.line,
                           (unsigned long long)row.number, row.code, row.reason);
            cdp_json_add_string_lossy(dump, row.raw, row.rawlen);
            cdp_buf_addc(dump, '\n');
            continue;
        }
        FUZZ_CHECK(k == CDP_READ_ROW, "unknown result %d", (int)k);
        FUZZ_CHECK(rec.n == ncols, "%zu values for %zu columns", rec.n, ncols);
        for (size_t i = 0; i < rec.n; i++)
            FUZZ_CHECK(cdp_utf8_valid(rec.f[i].val, rec.f[i].vlen), "value %zu of row %llu", i,
                       (unsigned long long)row.number);
        cdp_buf_printf(dump, "row %llu %llu ", (unsigned long long)row.line,
                       (unsigned long long)row.number);
        cdp_json_add_record(dump, &rec);
        cdp_buf_addc(dump, '\n');
        cdp_record_clear(&rec);
    }
    cdp_record_release(&rec);
    free(name_lens);
    cdp_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in;
    if (!fuzz_input_open(&in, data, size))
        return 0;
    struct cdp_reader_options opt = {
        .format = CDP_FORMAT_CSV,
        .encoding = fuzz_encoding(in.config),
        .delimiter = delimiters[(in.config >> 2) & 7],
    };
    struct cdp_buf whole = CDP_BUF_INIT, deferred = CDP_BUF_INIT;
    read_all(in.path, &opt, &whole);
    opt.defer_csv = true;
    read_all(in.path, &opt, &deferred);
    FUZZ_CHECK(fuzz_same(whole.data, whole.len, deferred.data, deferred.len),
               "deferred split differs:\n%s---\n%s", whole.data, deferred.data);
    cdp_buf_release(&whole);
    cdp_buf_release(&deferred);
    fuzz_input_close(&in);
    return 0;
}
