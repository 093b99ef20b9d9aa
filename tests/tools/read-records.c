/* read-records: prints what the record reader (lib/io/reader.h) returns, for
 * the tests of the I/O layer: each record as a JSON object on a line, each
 * bad row as "BAD line N row M CODE: reason RAW"; with -j only the records,
 * as plain NDJSON. With -D, quote-free CSV lines are deferred and split by
 * cdp_csv_split, as cdp-ingest's workers do: the output must not change.
 *   read-records [-j] [-D] [-i csv|ndjson] [-d DELIM] [-e ENCODING] FILE... */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "io/csv.h"
#include "io/json.h"
#include "io/reader.h"

int main(int argc, char **argv)
{
    struct cdp_reader_options opt = { .format = CDP_FORMAT_AUTO };
    int c, plain = 0;
    while ((c = getopt(argc, argv, "jDi:d:e:")) != -1) {
        switch (c) {
        case 'j': plain = 1; break;
        case 'D': opt.defer_csv = true; break;
        case 'i': opt.format = cdp_format_parse(optarg); break;
        case 'd': opt.delimiter = optarg[0] == '\\' && optarg[1] == 't' ? '\t' : optarg[0]; break;
        case 'e': opt.encoding = optarg; break;
        default: return 2;
        }
    }
    int status = 0;
    struct cdp_record rec = CDP_RECORD_INIT;
    struct cdp_buf out = CDP_BUF_INIT;
    for (int i = optind; i < argc; i++) {
        struct cdp_error err;
        struct cdp_reader *r = cdp_reader_open(argv[i], &opt, &err);
        if (!r) {
            fprintf(stderr, "read-records: %s\n", err.msg);
            status = 1;
            continue;
        }
        struct cdp_row row;
        enum cdp_read k;
        while ((k = cdp_reader_next(r, &rec, &row, &err)) != CDP_READ_END) {
            if (k == CDP_READ_ERROR) {
                fprintf(stderr, "read-records: %s\n", err.msg);
                status = 1;
                break;
            }
            cdp_buf_reset(&out);
            if (k == CDP_READ_ROW && row.deferred) {
                const char *const *names;
                size_t ncols = cdp_reader_columns(r, &names);
                k = cdp_csv_split(row.raw, row.rawlen, row.utf8_valid, cdp_reader_delimiter(r),
                                  names, NULL, ncols, &rec, &row);
            }
            if (plain) {
                if (k == CDP_READ_ROW) {
                    cdp_json_add_record(&out, &rec);
                    puts(out.data);
                }
                continue;
            }
            if (k == CDP_READ_BAD) {
                cdp_buf_printf(&out, "BAD line %llu row %llu %s: %s ", (unsigned long long)row.line,
                               (unsigned long long)row.number, row.code, row.reason);
                cdp_json_add_string_lossy(&out, row.raw, row.rawlen);
            } else {
                cdp_buf_printf(&out, "line %llu row %llu: ", (unsigned long long)row.line,
                               (unsigned long long)row.number);
                cdp_json_add_record(&out, &rec);
            }
            puts(out.data);
        }
        cdp_reader_close(r);
    }
    cdp_record_release(&rec);
    cdp_buf_release(&out);
    return status;
}
