/* delta: export baselines (export/delta.h), the previous export that
 * cdp-export --previous reads to find what changed.
 *
 * The first byte chooses the format the file is read as: bits 0-1 a
 * Mailchimp CSV (','), a Brevo CSV (';'), an SMS list (one number a line) or
 * NDJSON keyed by cdp_id. Checks, besides memory safety: before any check,
 * every row read (each key once) is reported removed; an unknown key is
 * ADDED; in an SMS list, a row checked with its own text is UNCHANGED and no
 * longer removed. */
#include "fuzz.h"

#include "export/delta.h"

static const char *const mailchimp[] = { "Email Address", "First Name",   "Last Name",
                                         "Birthday",      "Phone Number", "Tags" };
static const char *const brevo[] = { "EMAIL", "FIRSTNAME", "LASTNAME", "SMS" };
static const size_t mailchimp_keys[] = { 0, 4 }, brevo_keys[] = { 0, 3 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in;
    if (!fuzz_input_open(&in, data, size))
        return 0;
    struct cdp_delta_format f;
    switch (in.config & 3) {
    case 0:
        f = (struct cdp_delta_format){ CDP_DELTA_CSV, ',', mailchimp, 6, mailchimp_keys, 2 };
        break;
    case 1:
        f = (struct cdp_delta_format){ CDP_DELTA_CSV, ';', brevo, 4, brevo_keys, 2 };
        break;
    case 2:
        f = (struct cdp_delta_format){ CDP_DELTA_LINES, 0, NULL, 0, NULL, 0 };
        break;
    default:
        f = (struct cdp_delta_format){ CDP_DELTA_NDJSON, 0, NULL, 0, NULL, 0 };
        break;
    }
    struct cdp_delta *d = cdp_delta_new(&f);
    struct cdp_error err;
    if (cdp_delta_load(d, in.path, &err) == 0) {
        uint64_t n = cdp_delta_previous_rows(d);
        /* Every previous row, removed before any check. */
        size_t pos = 0, removed = 0;
        const char *row;
        size_t len;
        while (cdp_delta_next_removed(d, &pos, &row, &len))
            removed++;
        FUZZ_CHECK(removed == n, "%zu removed of %llu rows", removed, (unsigned long long)n);
        FUZZ_CHECK(cdp_delta_check(d, "\x01no such key", 12, "x", 1) == CDP_DELTA_ADDED,
                   "an unknown key is not added");
        /* A row checked with its own text is unchanged; for the lines
         * format the key is the row. */
        if (f.kind == CDP_DELTA_LINES && n > 0) {
            pos = 0;
            FUZZ_CHECK(cdp_delta_next_removed(d, &pos, &row, &len), "first row");
            char *copy = malloc(len + 1);
            memcpy(copy, row, len);
            FUZZ_CHECK(cdp_delta_check(d, copy, len, copy, len) == CDP_DELTA_UNCHANGED,
                       "a row checked with its own text is not unchanged");
            pos = 0;
            removed = 0;
            while (cdp_delta_next_removed(d, &pos, &row, &len))
                removed++;
            FUZZ_CHECK(removed == n - 1, "%zu removed of %llu rows after one check", removed,
                       (unsigned long long)n);
            free(copy);
        }
    } else {
        FUZZ_CHECK(err.msg[0], "failed without a message");
    }
    cdp_delta_free(d);
    fuzz_input_close(&in);
    return 0;
}
