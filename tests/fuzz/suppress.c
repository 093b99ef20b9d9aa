/* suppress: unsubscribe and complaint lists (export/suppress.h), as
 * cdp-export --suppress reads them.
 *
 * The first byte chooses the options: bit 0 a CSV list with a column
 * ("email") or one entry a line, bit 1 the region for phones (RU or US).
 * Checks, besides memory safety: every entry not used is reported through
 * the callback, once; an e-mail on the list (as given to
 * cdp_suppress_add_email afterwards) is found. */
#include "fuzz.h"

#include "export/suppress.h"
#include "io/json.h"

static void bad(void *ctx, const char *file, uint64_t line, const char *text, size_t len)
{
    FUZZ_CHECK(file && line > 0, "a bad entry without a place");
    FUZZ_CHECK(text || !len, "a bad entry without text");
    (*(size_t *)ctx)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in;
    if (!fuzz_input_open(&in, data, size))
        return 0;
    struct cdp_error err;
    struct cdp_suppress *s = cdp_suppress_new(in.config & 2 ? "US" : "RU", &err);
    FUZZ_CHECK(s, "%s", err.msg);
    size_t reported = 0;
    if (cdp_suppress_load(s, in.path, in.config & 1 ? "email" : NULL, bad, &reported, &err) == 0) {
        size_t emails, phones, hashes, unused;
        cdp_suppress_counts(s, &emails, &phones, &hashes, &unused);
        FUZZ_CHECK(unused == reported, "%zu entries not used, %zu reported", unused, reported);
        FUZZ_CHECK(!cdp_suppress_email(s, "nobody.at.all@example.invalid", 29) || emails || hashes,
                   "an e-mail suppressed by an empty list");
        cdp_suppress_add_email(s, "late@example.com", 16);
        FUZZ_CHECK(cdp_suppress_email(s, "late@example.com", 16), "an added e-mail not found");
        (void)cdp_suppress_phone(s, "+79123456789", 12);
    } else {
        FUZZ_CHECK(err.msg[0], "failed without a message");
    }
    cdp_suppress_free(s);
    fuzz_input_close(&in);
    return 0;
}
