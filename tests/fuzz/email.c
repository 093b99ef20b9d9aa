/* email: e-mail addresses (norm/email.h).
 *
 * The text is what reaches a normaliser: valid UTF-8 (the readers check it)
 * without NUL bytes (a NUL in a value is issue #13's defect 9, to be refused
 * before any normaliser; today text.h stops at it). Checks, besides memory
 * safety: an address accepted is written in a form that passes
 * cdp_email_valid and that normalises to itself; a rejected one leaves the
 * output as it was. */
#include "fuzz.h"

#include "base/buf.h"
#include "io/json.h"
#include "norm/email.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    if (!cdp_utf8_valid(s, size) || memchr(s, '\0', size))
        return 0;
    struct cdp_buf out = CDP_BUF_INIT, again = CDP_BUF_INIT;
    cdp_buf_adds(&out, "x");
    if (cdp_email_normalize(&out, s, size)) {
        const char *e = out.data + 1;
        size_t n = out.len - 1;
        FUZZ_CHECK(cdp_email_valid(e, n), "'%s' is not valid", e);
        FUZZ_CHECK(cdp_utf8_valid(e, n), "'%s' is not UTF-8", e);
        FUZZ_CHECK(cdp_email_normalize(&again, e, n) && fuzz_same(again.data, again.len, e, n),
                   "'%s' normalises to '%s'", e, again.data ? again.data : "(nothing)");
    } else {
        FUZZ_CHECK(out.len == 1 && strcmp(out.data, "x") == 0, "output changed: '%s'", out.data);
    }
    cdp_buf_release(&out);
    cdp_buf_release(&again);
    return 0;
}
