/* Unit tests of the JSON writer's string escaping: cdp_json_add_string reads
 * words at a time (two overlapping words for 4 to 16 bytes, a tail that
 * overlaps bytes already written), so it is checked against an escaper that
 * looks at one byte at a time, on strings of every length up to 40 with the
 * bytes that need escaping at every place, after text already in the buffer. */
#include <stdint.h>
#include <stdlib.h>

#include "../check.h"
#include "base/buf.h"
#include "io/json.h"

/* The escapes as JSON writes them, byte by byte. */
static void reference(struct cdp_buf *out, const unsigned char *s, size_t n)
{
    cdp_buf_addc(out, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        switch (c) {
        case '"': cdp_buf_adds(out, "\\\""); break;
        case '\\': cdp_buf_adds(out, "\\\\"); break;
        case '\n': cdp_buf_adds(out, "\\n"); break;
        case '\r': cdp_buf_adds(out, "\\r"); break;
        case '\t': cdp_buf_adds(out, "\\t"); break;
        case '\b': cdp_buf_adds(out, "\\b"); break;
        case '\f': cdp_buf_adds(out, "\\f"); break;
        default:
            if (c < 0x20)
                cdp_buf_printf(out, "\\u%04x", c);
            else
                cdp_buf_addc(out, (char)c);
        }
    }
    cdp_buf_addc(out, '"');
}

int main(void)
{
    /* Plain bytes, UTF-8 bytes (which never need escaping), and every kind
     * of byte that does. */
    static const unsigned char bytes[] = { 'a', 'Z', '0', ' ', '/', 0xD0, 0x9F, 0xE2, 0x80, 0xFF,
                                           '"', '\\', '\n', '\r', '\t', '\b', '\f', 0x01, 0x1F,
                                           0x7F, 0x20, 0x21 };
    struct cdp_buf got = CDP_BUF_INIT, want = CDP_BUF_INIT;
    unsigned char text[48];
    uint64_t state = 0x2545F4914F6CDD1Du;
    int wrong = 0;
    for (int round = 0; round < 300000; round++) {
        state ^= state << 13, state ^= state >> 7, state ^= state << 17;
        size_t n = state % 41;
        /* Mostly plain text; one string in four may hold anything. */
        size_t choices = (state >> 8) % 4 ? 10 : sizeof bytes;
        for (size_t i = 0; i < n; i++) {
            state ^= state << 13, state ^= state >> 7, state ^= state << 17;
            text[i] = bytes[state % choices];
        }
        if ((state >> 20) % 8 == 0 && n) /* one byte to escape, anywhere */
            text[(state >> 24) % n] = bytes[10 + (state >> 32) % (sizeof bytes - 10)];
        /* After some text, so that words overlapping earlier bytes show. */
        cdp_buf_reset(&got);
        cdp_buf_reset(&want);
        cdp_buf_add(&got, "{\"k\":", (state >> 40) % 6);
        cdp_buf_add(&want, "{\"k\":", (state >> 40) % 6);
        cdp_json_add_string(&got, (const char *)text, n);
        reference(&want, text, n);
        if (got.len != want.len || memcmp(got.data, want.data, got.len) != 0 ||
            got.data[got.len] != '\0') {
            if (wrong++ < 5)
                fprintf(stderr, "test_json_write: got %s want %s\n", got.data, want.data);
        }
    }
    CHECK(wrong == 0);
    cdp_buf_reset(&got);
    cdp_json_add_string(&got, "a\"b\\c\n\x01", 7);
    CHECK_STR(got.data, "\"a\\\"b\\\\c\\n\\u0001\"");
    cdp_buf_reset(&got);
    cdp_json_add_string(&got, "", 0);
    CHECK_STR(got.data, "\"\"");
    cdp_buf_release(&got);
    cdp_buf_release(&want);
    return check_report("test_json_write");
}
