/* name: personal names (norm/name.h): cleaned, cased and split.
 *
 * The text is what reaches a normaliser: valid UTF-8 (the readers check it)
 * without NUL bytes (a NUL in a value is issue #13's defect 9, to be refused
 * before any normaliser; today text.h stops at it). Checks, besides memory
 * safety: a name accepted is UTF-8, has a letter and normalises to itself;
 * its split parts lie inside it, apart; a rejected one leaves the output as
 * it was. */
#include "fuzz.h"

#include "base/buf.h"
#include "io/json.h"
#include "norm/name.h"
#include "norm/text.h"

static void check_part(const char *what, size_t off, size_t len, size_t total)
{
    FUZZ_CHECK(len == 0 || (off <= total && len <= total - off), "%s part %zu+%zu of %zu", what,
               off, len, total);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    if (!cdp_utf8_valid(s, size) || memchr(s, '\0', size))
        return 0;
    struct cdp_buf out = CDP_BUF_INIT, again = CDP_BUF_INIT, scratch = CDP_BUF_INIT;
    if (cdp_name_normalize(&out, &scratch, s, size)) {
        FUZZ_CHECK(out.len > 0 && cdp_utf8_valid(out.data, out.len), "'%s' is not UTF-8", out.data);
        FUZZ_CHECK(cdp_text_has_letter(out.data, out.len), "'%s' has no letter", out.data);
        FUZZ_CHECK(cdp_name_normalize(&again, &scratch, out.data, out.len) &&
                       fuzz_same(again.data, again.len, out.data, out.len),
                   "'%s' normalises to '%s'", out.data, again.data ? again.data : "(nothing)");
        struct cdp_name_parts parts;
        cdp_name_split(out.data, out.len, &parts);
        check_part("first", parts.first_off, parts.first_len, out.len);
        check_part("middle", parts.middle_off, parts.middle_len, out.len);
        check_part("last", parts.last_off, parts.last_len, out.len);
    } else {
        FUZZ_CHECK(out.len == 0, "output changed: '%s'", out.data);
    }
    cdp_buf_release(&out);
    cdp_buf_release(&again);
    cdp_buf_release(&scratch);
    return 0;
}
