/* Unit tests of lib/identity/linked.h, the line cdp-dedupe writes and
 * cdp-merge reads: cdp_id goes last, copied lines keep their text, and the
 * reader finds exactly what the writer wrote, from the end of the line or,
 * when the line does not end that way, by parsing it. */
#include <stdlib.h>

#include "../check.h"
#include "identity/linked.h"
#include "io/json.h"
#include "io/lines.h"

static struct cdp_json_parser *json;
static struct cdp_record rec = CDP_RECORD_INIT;

/* cdp_linked_append of line with id, as a C string. */
static const char *appended(const char *line, const char *id)
{
    static struct cdp_buf b;
    cdp_buf_reset(&b);
    cdp_linked_append(&b, line, strlen(line), id);
    return b.data;
}

/* line parsed, then cdp_linked_write with id. */
static const char *rewritten(const char *line, const char *id)
{
    static struct cdp_buf b, pad;
    struct cdp_error err;
    cdp_buf_reset(&pad);
    cdp_buf_add_padded(&pad, line, strlen(line));
    cdp_record_clear(&rec);
    CHECK(cdp_json_parse_object(json, pad.data, pad.len, &rec, &err) == CDP_JSON_OK);
    cdp_buf_reset(&b);
    cdp_linked_write(&b, &rec, id);
    return b.data;
}

/* The id cdp_linked_id finds: "ID", "(none)", or "(bad CODE)". fast says
 * whether it was found at the end, without parsing. */
static const char *id_of(const char *line, bool *fast)
{
    static char out[128];
    static struct cdp_buf pad;
    cdp_buf_reset(&pad);
    cdp_buf_add_padded(&pad, line, strlen(line));
    const char *id;
    size_t len;
    *fast = cdp_linked_id_at_end(pad.data, pad.len, &id, &len);
    enum cdp_json_status st;
    int k = cdp_linked_id(json, &rec, pad.data, pad.len, &id, &len, &st);
    if (k > 0)
        snprintf(out, sizeof out, "%.*s", (int)len, id);
    else if (k == 0)
        snprintf(out, sizeof out, "(none)");
    else
        snprintf(out, sizeof out, "(bad %s)", cdp_json_status_code(st));
    CHECK(k < 0 || st == CDP_JSON_OK);
    return out;
}

static void test_append(void)
{
    CHECK_STR(appended("{\"a\":1}", "9f2c4e1a0b3d5c6e"), "{\"a\":1,\"cdp_id\":\"9f2c4e1a0b3d5c6e\"}\n");
    CHECK_STR(appended("{\"a\":\"x y\"}", NULL), "{\"a\":\"x y\",\"cdp_id\":null}\n");
    /* spaces, tabs and a CR after the brace, spaces before it */
    CHECK_STR(appended("{ \"a\" : [1, 2] \t}  \t\r", "id"), "{ \"a\" : [1, 2],\"cdp_id\":\"id\"}\n");
    CHECK_STR(appended("{}", "id"), "{\"cdp_id\":\"id\"}\n");
    CHECK_STR(appended("{ }", NULL), "{\"cdp_id\":null}\n");
}

static void test_write(void)
{
    /* the old id goes, the members keep their order and their text */
    CHECK_STR(rewritten("{\"cdp_id\":\"old\",\"card\":\"0012345\",\"n\":1.50,\"x\":null}", "new"),
              "{\"card\":\"0012345\",\"n\":1.50,\"x\":null,\"cdp_id\":\"new\"}\n");
    CHECK_STR(rewritten("{\"a\":\"\\u0416\\n\",\"o\":{\"k\":[true]}}", NULL),
              "{\"a\":\"Ж\\n\",\"o\":{\"k\":[true]},\"cdp_id\":null}\n");
    CHECK_STR(rewritten("{\"cdp_id\":\"old\"}", "new"), "{\"cdp_id\":\"new\"}\n");
}

static void test_read(void)
{
    bool fast;
    CHECK_STR(id_of("{\"_rid\":\"1\",\"cdp_id\":\"9f2c4e1a0b3d5c6e\"}", &fast), "9f2c4e1a0b3d5c6e");
    CHECK(fast);
    CHECK_STR(id_of("{\"_rid\":\"1\",\"cdp_id\":\"abc\"} \r", &fast), "abc");
    CHECK(fast);
    /* elsewhere in the line: parsed */
    CHECK_STR(id_of("{\"cdp_id\":\"abc\",\"_rid\":\"1\"}", &fast), "abc");
    CHECK(!fast);
    /* alone in its object: there is no ',' before it, so it is parsed */
    CHECK_STR(id_of("{\"cdp_id\":\"abc\"}", &fast), "abc");
    CHECK(!fast);
    /* an escaped quote or backslash in the id: parsed, and unescaped */
    CHECK_STR(id_of("{\"a\":1,\"cdp_id\":\"x\\\"y\"}", &fast), "x\"y");
    CHECK(!fast);
    /* longer than 64 bytes: parsed */
    const char *longer = "{\"a\":1,\"cdp_id\":\"0123456789012345678901234567890123456789012345678901234567890123456789\"}";
    CHECK_STR(id_of(longer, &fast), "0123456789012345678901234567890123456789012345678901234567890123456789");
    CHECK(!fast);
    CHECK_STR(id_of("{\"a\":1,\"cdp_id\":\"0123456789012345678901234567890123456789012345678901234567890123\"}", &fast),
              "0123456789012345678901234567890123456789012345678901234567890123");
    CHECK(fast);
    /* no id */
    CHECK_STR(id_of("{\"a\":1,\"cdp_id\":null}", &fast), "(none)");
    CHECK_STR(id_of("{\"a\":1,\"cdp_id\":\"\"}", &fast), "(none)");
    CHECK_STR(id_of("{\"a\":1,\"cdp_id\":7}", &fast), "(none)");
    CHECK_STR(id_of("{\"a\":1}", &fast), "(none)");
    CHECK(!fast);
    /* not records */
    CHECK_STR(id_of("oops", &fast), "(bad invalid_json)");
    CHECK_STR(id_of("[1,2]", &fast), "(bad not_object)");
    /* ends like a linked line: the promise is about the end only, so this
     * is taken without parsing (cdp-merge finds it out later) */
    CHECK_STR(id_of("{\"x\":tru,\"cdp_id\":\"y\"}", &fast), "y");
    CHECK(fast);
}

/* What the writer writes, the reader reads back, without parsing. */
static void test_round_trip(void)
{
    static const char *const lines[] = { "{\"a\":1}", "{ \"b\" : \"\\\"\" }\r", "{}" };
    struct cdp_buf b = CDP_BUF_INIT;
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
        cdp_buf_reset(&b);
        cdp_linked_append(&b, lines[i], strlen(lines[i]), "41ab77d09f2c4e1a");
        b.data[--b.len] = '\0'; /* the newline */
        const char *id;
        size_t len;
        CHECK(cdp_linked_id_at_end(b.data, b.len, &id, &len) == (i < 2));
        bool fast;
        CHECK_STR(id_of(b.data, &fast), "41ab77d09f2c4e1a");
    }
    cdp_buf_release(&b);
}

int main(void)
{
    json = cdp_json_parser_new();
    test_append();
    test_write();
    test_read();
    test_round_trip();
    cdp_json_parser_free(json);
    cdp_record_release(&rec);
    return check_report("test_linked");
}
