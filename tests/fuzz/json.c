/* json: the JSON scanner (io/json.h) on one line of text.
 *
 * Checks, besides memory safety: cdp_json_parse_object and cdp_json_valid
 * agree (an object read as OK and a line "not an object" are valid JSON, a
 * line refused as invalid is not, a valid line starting with '{' is read
 * as OK); an object's keys and string values are
 * valid UTF-8, its numbers pass cdp_json_number_valid and its arrays and
 * objects are valid JSON by themselves; a line that is not valid UTF-8 is
 * never OK; text written by cdp_json_add_string_lossy is always one valid
 * JSON string; cdp_json_parse_object_some fails exactly when the whole
 * parse fails and keeps the kept members as it has them; and
 * cdp_json_each_string and cdp_json_get_numbers do not crash on anything. */
#include <math.h>

#include "fuzz.h"

#include "base/buf.h"
#include "io/json.h"
#include "io/lines.h"

static void count(void *ctx, const char *s, size_t len)
{
    FUZZ_CHECK(cdp_utf8_valid(s, len), "array string not UTF-8");
    (*(size_t *)ctx)++;
}

/* Members cdp_json_parse_object_some is asked to keep: the forget list's
 * and short names that mutated inputs hit often. */
static const char *const kept[] = { "cdp_id", "email", "emails", "_rid", "_source", "a", "b", "" };
#define NKEPT (sizeof kept / sizeof *kept)

static bool is_kept(const struct cdp_field *f)
{
    for (size_t k = 0; k < NKEPT; k++)
        if (strlen(kept[k]) == f->klen && memcmp(kept[k], f->key, f->klen) == 0)
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_padded(data, size, CDP_LINE_PADDING);
    struct cdp_json_parser *p = cdp_json_parser_new();
    struct cdp_record rec = CDP_RECORD_INIT;
    struct cdp_error err;
    bool utf8 = cdp_utf8_valid(text, size);
    enum cdp_json_status st = cdp_json_parse_object(p, text, size, &rec, &err);
    if (st == CDP_JSON_OK) {
        FUZZ_CHECK(utf8, "invalid UTF-8 read as an object");
        FUZZ_CHECK(cdp_json_valid(p, text, size), "an object read as OK is not valid JSON");
        for (size_t i = 0; i < rec.n; i++) {
            const struct cdp_field *f = &rec.f[i];
            FUZZ_CHECK(cdp_utf8_valid(f->key, f->klen), "key %zu", i);
            switch (f->type) {
            case CDP_STRING:
                FUZZ_CHECK(cdp_utf8_valid(f->val, f->vlen), "string %zu", i);
                break;
            case CDP_NUMBER:
                FUZZ_CHECK(cdp_json_number_valid(f->val, f->vlen), "number %zu: %.*s", i,
                           (int)f->vlen, f->val);
                break;
            case CDP_ARRAY:
            case CDP_OBJECT:
                FUZZ_CHECK(cdp_json_valid(p, f->val, f->vlen), "nested value %zu: %.*s", i,
                           (int)f->vlen, f->val);
                break;
            default:
                break;
            }
        }
    } else {
        FUZZ_CHECK(err.msg[0], "status %d without a message", (int)st);
        if (!utf8)
            FUZZ_CHECK(st == CDP_JSON_BAD_UTF8, "invalid UTF-8 reported as %d", (int)st);
        else if (st == CDP_JSON_NOT_OBJECT)
            FUZZ_CHECK(cdp_json_valid(p, text, size), "not JSON, yet \"not an object\"");
        else
            FUZZ_CHECK(!cdp_json_valid(p, text, size), "valid JSON object refused: %s", err.msg);
    }
    /* What cdp_reader's skip option counts on: a valid line that starts
     * with '{' is one cdp_json_parse_object reads as an object. */
    if (size && text[0] == '{' && cdp_json_valid(p, text, size))
        FUZZ_CHECK(st == CDP_JSON_OK, "a valid object line read as %d: %s", (int)st, err.msg);

    /* cdp_json_parse_object_some fails when the whole parse fails, and
     * keeps the kept members as it reads them (cdp-dedupe and cdp-export
     * read records so). */
    struct cdp_json_names keep = { { 0 } };
    for (size_t k = 0; k < NKEPT; k++)
        cdp_json_names_add(&keep, kept[k], strlen(kept[k]));
    struct cdp_record some = CDP_RECORD_INIT;
    struct cdp_error some_err;
    /* A parser of its own: rec's members point into p's buffers. */
    struct cdp_json_parser *p2 = cdp_json_parser_new();
    enum cdp_json_status some_st = cdp_json_parse_object_some(p2, text, size, &keep, &some, &some_err);
    FUZZ_CHECK(some_st == st, "parse_object_some says %d, parse_object %d", (int)some_st, (int)st);
    if (st == CDP_JSON_OK && some_st == CDP_JSON_OK) {
        size_t j = 0;
        for (size_t i = 0; i < rec.n; i++) {
            if (!is_kept(&rec.f[i]))
                continue;
            while (j < some.n && !is_kept(&some.f[j]))
                j++;
            FUZZ_CHECK(j < some.n, "kept member %zu missing", i);
            const struct cdp_field *a = &rec.f[i], *b = &some.f[j++];
            FUZZ_CHECK(a->type == b->type && a->vlen == b->vlen && !memcmp(a->val, b->val, a->vlen),
                       "kept member %.*s differs", (int)a->klen, a->key);
        }
        while (j < some.n)
            FUZZ_CHECK(!is_kept(&some.f[j++]), "a kept member more than the whole parse has");
    }
    cdp_record_release(&some);
    cdp_json_parser_free(p2);

    struct cdp_buf out = CDP_BUF_INIT;
    cdp_json_add_string_lossy(&out, text, size);
    FUZZ_CHECK(cdp_json_valid(p, out.data, out.len), "lossy string is not JSON: %s", out.data);
    if (utf8) {
        cdp_buf_reset(&out);
        cdp_json_add_string(&out, text, size);
        FUZZ_CHECK(cdp_json_valid(p, out.data, out.len), "string is not JSON: %s", out.data);
    }
    cdp_buf_release(&out);

    size_t n = 0;
    long k = cdp_json_each_string(p, text, size, count, &n);
    FUZZ_CHECK(k < 0 || (size_t)k == n, "each_string said %ld for %zu calls", k, n);

    static const char *const keys[] = { "orders", "revenue", "" };
    double nums[3];
    if (cdp_json_get_numbers(p, text, size, keys, 3, nums) == 0)
        FUZZ_CHECK(st != CDP_JSON_NOT_OBJECT, "numbers of a non-object");
    (void)cdp_json_number_valid(text, size);

    cdp_record_release(&rec);
    cdp_json_parser_free(p);
    free(text);
    return 0;
}
