/* decimal: amounts as exports write them (norm/decimal.h).
 *
 * The text is what reaches a normaliser: valid UTF-8 (the readers check it)
 * without NUL bytes (a NUL in a value is issue #13's defect 9, to be refused
 * before any normaliser; today text.h stops at it). Checks, besides memory
 * safety: an amount accepted is written as one valid JSON number without an
 * exponent, with the digits as written, that normalises to itself; a
 * rejected one leaves the output as it was. */
#include "fuzz.h"

#include "base/buf.h"
#include "io/json.h"
#include "norm/decimal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    if (!cdp_utf8_valid(s, size) || memchr(s, '\0', size))
        return 0;
    struct cdp_buf out = CDP_BUF_INIT, again = CDP_BUF_INIT;
    if (cdp_decimal_normalize(&out, s, size)) {
        FUZZ_CHECK(cdp_json_number_valid(out.data, out.len), "'%s' is not a JSON number", out.data);
        FUZZ_CHECK(!strpbrk(out.data, "eE"), "'%s' has an exponent", out.data);
        /* decimal.c caps an amount at 62 characters, counting the 0 it
         * writes before a bare ",5" only when read again: amounts that long
         * are beyond any range (issue #13, defect 2, gives numbers ranges). */
        FUZZ_CHECK(out.len > 60 || (cdp_decimal_normalize(&again, out.data, out.len) &&
                                    fuzz_same(again.data, again.len, out.data, out.len)),
                   "'%s' normalises to '%s'", out.data, again.data ? again.data : "(nothing)");
    } else {
        FUZZ_CHECK(out.len == 0, "output changed: '%s'", out.data);
    }
    cdp_buf_release(&out);
    cdp_buf_release(&again);
    return 0;
}
