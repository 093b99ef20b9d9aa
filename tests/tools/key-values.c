/* key-values: prints the identifier values of canonical records, one per
 * line ("KEY<TAB>VALUE"), for the bench's `sort -u` floor of cdp-dedupe.
 *   key-values [FILE]... */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "io/reader.h"

int main(int argc, char **argv)
{
    static const char *const keys[] = { "customer_id", "card", "email", "phone", "anon_id" };
    struct cdp_reader_options opt = { .format = CDP_FORMAT_NDJSON };
    struct cdp_record rec = CDP_RECORD_INIT;
    struct cdp_buf out = CDP_BUF_INIT;
    int status = 0;
    for (int i = 1; i < argc; i++) {
        struct cdp_error err;
        struct cdp_reader *r = cdp_reader_open(argv[i], &opt, &err);
        if (!r) {
            fprintf(stderr, "key-values: %s\n", err.msg);
            status = 1;
            continue;
        }
        struct cdp_row row;
        enum cdp_read k;
        while ((k = cdp_reader_next(r, &rec, &row, &err)) != CDP_READ_END) {
            if (k != CDP_READ_ROW)
                continue;
            for (size_t j = 0; j < sizeof keys / sizeof *keys; j++) {
                const struct cdp_field *f = cdp_record_gets(&rec, keys[j]);
                if (!f)
                    continue;
                cdp_buf_adds(&out, keys[j]);
                cdp_buf_addc(&out, '\t');
                cdp_buf_add(&out, f->val, f->vlen);
                cdp_buf_addc(&out, '\n');
            }
            if (out.len > (1 << 20)) {
                fwrite(out.data, 1, out.len, stdout);
                cdp_buf_reset(&out);
            }
        }
        cdp_reader_close(r);
    }
    fwrite(out.data ? out.data : "", 1, out.len, stdout);
    cdp_buf_release(&out);
    cdp_record_release(&rec);
    return status;
}
