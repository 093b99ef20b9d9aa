/* phone: telephone numbers to E.164 (norm/phone.h), the fast path against
 * libphonenumber itself.
 *
 * The first byte chooses the region numbers without a country code are read
 * in. The text is what reaches a normaliser: valid UTF-8 (the readers check
 * it) without NUL bytes (a NUL in a value is issue #13's defect 9, to be
 * refused before any normaliser). Checks, besides memory safety: the answer
 * and the E.164 form agree with cdp_phone_normalize_reference
 * (libphonenumber alone, on the text without its note when it rejects the
 * whole), as the header promises; a second call (from the
 * cache) gives the same answer; a valid number is '+' and 2 to 20 digits (libphonenumber's
 * limits, not E.164's 15: a German number can have 17). */
#include "fuzz.h"

#include "io/json.h"
#include "norm/phone.h"

static const char *const regions[] = { "RU", "US", "GB", "DE", "KZ", "BY", "UA", "FR" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t config = fuzz_take_byte(&data, &size);
    const char *s = (const char *)data;
    if (!cdp_utf8_valid(s, size) || memchr(s, '\0', size))
        return 0;
    char err[256];
    struct cdp_phone_normalizer *pn =
        cdp_phone_normalizer_new(regions[config & 7], err, sizeof err);
    FUZZ_CHECK(pn, "%s", err);
    char fast[CDP_PHONE_E164_MAX], cached[CDP_PHONE_E164_MAX], ref[CDP_PHONE_E164_MAX];
    enum cdp_phone_type tf = CDP_PHONE_UNKNOWN, tc = CDP_PHONE_UNKNOWN, tr = CDP_PHONE_UNKNOWN;
    int a = cdp_phone_normalize(pn, s, size, fast, &tf);
    int b = cdp_phone_normalize(pn, s, size, cached, &tc);
    int c = cdp_phone_normalize_reference(pn, s, size, ref, &tr);
    size_t note = cdp_phone_note_at(s, size);
    if (!c && note < size) /* the header's one addition: read again without the note */
        c = cdp_phone_normalize_reference(pn, s, note, ref, &tr);
    FUZZ_CHECK(a == c && strcmp(fast, ref) == 0 && (!a || tf == tr),
               "'%.*s' in %s: %d %s (type %d), libphonenumber %d %s (type %d)", (int)size, s,
               regions[config & 7], a, fast, (int)tf, c, ref, (int)tr);
    FUZZ_CHECK(a == b && strcmp(fast, cached) == 0 && tf == tc, "cached answer differs");
    if (a) {
        size_t n = strlen(fast);
        FUZZ_CHECK(fast[0] == '+' && n >= 3 && n <= 21 && strspn(fast + 1, "0123456789") == n - 1,
                   "E.164 '%s'", fast);
        FUZZ_CHECK(cdp_phone_type_name(tf), "type %d has no name", (int)tf);
    } else {
        FUZZ_CHECK(fast[0] == '\0', "invalid, yet '%s'", fast);
    }
    cdp_phone_normalizer_free(pn);
    return 0;
}
