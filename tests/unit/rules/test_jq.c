/* Unit tests of lib/rules/jq.h: compiling and running jq programs, errors,
 * variables, Unicode, large inputs, which fields a program reads (checked
 * against running it on the whole record and on those fields only), records
 * against JSON, and many runs for a leak check.
 *
 * CDP_JQRUN_RUNS sets the number of runs of the long loops (100000 by
 * default); under valgrind:
 *   CDP_JQRUN_RUNS=100000 valgrind --leak-check=full build/tests/test_jqrun */
#include <stdlib.h>
#include <time.h>

#include "../check.h"
#include "rules/jq.h"
#include "io/json.h"

static struct cdp_buf out;
static struct cdp_error err;

static struct cdp_jq *compile(const char *expr)
{
    struct cdp_jq *q = cdp_jq_compile(expr, NULL, &err);
    if (!q)
        fprintf(stderr, "test_jqrun: cannot compile %s: %s\n", expr, err.msg);
    return q;
}

/* The compile error of expr, or "COMPILED". */
static const char *compile_error(const char *expr)
{
    static char msg[sizeof err.msg];
    struct cdp_jq *q = cdp_jq_compile(expr, NULL, &err);
    if (q) {
        cdp_jq_free(q);
        return "COMPILED";
    }
    snprintf(msg, sizeof msg, "%s", err.msg);
    return msg;
}

/* Outputs joined by sep, "ERROR: message" on an error, or "COMPILE: message". */
static const char *run_sep(const char *expr, const char *json, char sep)
{
    struct cdp_jq *q = cdp_jq_compile(expr, NULL, &err);
    if (!q) {
        cdp_buf_reset(&out);
        cdp_buf_printf(&out, "COMPILE: %s", err.msg);
        return out.data;
    }
    cdp_buf_reset(&out);
    int n = cdp_jq_run_json(q, json, strlen(json), &out, sep, &err);
    if (n < 0) {
        CHECK(out.len == 0);
        cdp_buf_printf(&out, "ERROR: %s", err.msg);
    }
    cdp_jq_free(q);
    return out.data ? out.data : "";
}

static const char *run(const char *expr, const char *json)
{
    return run_sep(expr, json, '\n');
}

static int test(const char *expr, const char *json)
{
    struct cdp_jq *q = compile(expr);
    if (!q)
        return -2;
    int r = cdp_jq_test_json(q, json, strlen(json), &err);
    cdp_jq_free(q);
    return r;
}

static void test_compile_errors(void)
{
    CHECK_STR(compile_error(".a ^ 1"), "syntax error, unexpected INVALID_CHARACTER, expecting $end "
                                       "(Unix shell quoting issues?) at <top-level>, line 1");
    CHECK_STR(compile_error(".a | foo"), "foo/0 is not defined at <top-level>, line 1");
    CHECK_STR(compile_error("[.a,"),
              "syntax error, unexpected $end (Unix shell quoting issues?) at <top-level>, line 1");
    CHECK_STR(compile_error("if .a then 1 end"),
              "syntax error, unexpected end (Unix shell quoting issues?) at <top-level>, line 1 "
              "(and 1 more error)");
    CHECK_STR(compile_error(".a\n| .b\n| $nope"), "$nope is not defined at <top-level>, line 3");
    /* libjq 1.6 asserts on import without a library path: none is found */
    CHECK_STR(compile_error("import \"foo\" as f; ."), "module not found: foo");
    CHECK_STR(compile_error("include \"foo\"; ."), "module not found: foo");
    CHECK_STR(compile_error(""), "COMPILED"); /* jq '' is . */
    CHECK_STR(compile_error("# only a comment"), "COMPILED");
    CHECK_STR(run("", "{\"a\":1}"), "{\"a\":1}");
}

static void test_runtime_errors(void)
{
    struct cdp_jq *q = compile(".a.x");
    const char *bad = "{\"a\":1}", *good = "{\"a\":{\"x\":\"ok\"}}";
    cdp_buf_reset(&out);
    cdp_buf_adds(&out, "kept|");
    CHECK(cdp_jq_run_json(q, bad, strlen(bad), &out, '\n', &err) == -1);
    CHECK_STR(err.msg, "Cannot index number with string \"x\"");
    CHECK_STR(out.data, "kept|"); /* out as it was */
    CHECK(cdp_jq_run_json(q, good, strlen(good), &out, '\n', &err) == 1);
    CHECK_STR(out.data, "kept|\"ok\"");
    CHECK(cdp_jq_test_json(q, bad, strlen(bad), &err) == -1);
    CHECK(cdp_jq_test_json(q, good, strlen(good), &err) == 1);
    /* invalid input */
    CHECK(cdp_jq_run_json(q, "{\"a\":", 5, &out, '\n', &err) == -1);
    CHECK_STR(err.msg, "invalid JSON input: Unfinished JSON term at EOF at line 1, column 5");
    CHECK(cdp_jq_run_json(q, "{} {}", 5, &out, '\n', &err) == -1);
    CHECK_STR(err.msg, "invalid JSON input: Unexpected extra JSON values");
    CHECK(cdp_jq_run_json(q, "", 0, &out, '\n', &err) == -1);
    CHECK_STR(err.msg, "invalid JSON input: Expected JSON value");
    CHECK(cdp_jq_run_json(q, good, strlen(good), &out, '\n', &err) == 1);
    cdp_jq_free(q);

    /* an error after outputs drops them */
    CHECK_STR(run("1, 2, error(\"boom\")", "null"), "ERROR: boom");
    CHECK_STR(run("error({\"a\":1})", "null"), "ERROR: error (not a string): {\"a\":1}");
    CHECK_STR(run("error(\"two\\nlines\\n\")", "null"), "ERROR: two lines");
    CHECK_STR(run("error(\"\")", "null"), "ERROR: error with an empty message");
    CHECK_STR(run("{} + 1", "null"), "ERROR: object ({}) and number (1) cannot be added");
    CHECK_STR(run("[.[] | tonumber]", "[\"1\",\"x\"]"),
              "ERROR: Invalid numeric literal at EOF at line 1, column 1 (while parsing 'x')");
    CHECK_STR(run("try error(\"x\") catch \"caught \\(.)\"", "null"), "\"caught x\"");
    /* halt ends quietly, halt_error is an error with its input as message */
    CHECK_STR(run("1, halt, 2", "null"), "1");
    CHECK_STR(run("\"bye\\n\" | halt_error", "null"), "ERROR: bye");
    CHECK_STR(run("{\"code\":7} | halt_error(3)", "null"),
              "ERROR: error (not a string): {\"code\":7}");
    CHECK_STR(run("1, halt, 2", "null"), "1"); /* a fresh program after a halt */
    /* jq 1.6: error(null) is not an error but empty */
    CHECK_STR(run("1, error(null), 2", "null"), "1\n2");
    CHECK_STR(run("try error(null) catch \"caught\"", "null"), "");
    /* no further inputs, no debug output, no modules */
    CHECK_STR(run("input", "null"), "ERROR: break");
    CHECK_STR(run("[inputs]", "null"), "[]");
    CHECK_STR(run("debug | . + 1", "1"), "2");
    CHECK_STR(run("input_filename", "1"), "null");
}

static void test_outputs(void)
{
    const char *in = "{\"a\":[1,\"x\",{\"b\":null},[]],\"e\":[]}";
    CHECK_STR(run_sep(".a[]", in, '\n'), "1\n\"x\"\n{\"b\":null}\n[]");
    CHECK_STR(run_sep(".a[]", in, ','), "1,\"x\",{\"b\":null},[]");
    CHECK_STR(run(".", in), in);
    CHECK_STR(run("{z: 1, a: 2, m: {y: 1, b: 2}}", "null"),
              "{\"z\":1,\"a\":2,\"m\":{\"y\":1,\"b\":2}}");
    CHECK_STR(run("\"tab\\there\", \"\\u0000\", \"q\\\"\"", "null"),
              "\"tab\\there\"\n\"\\u0000\"\n\"q\\\"\"");

    struct cdp_jq *q = compile(".a[]");
    cdp_buf_reset(&out);
    CHECK(cdp_jq_run_json(q, in, strlen(in), &out, '\t', &err) == 4);
    CHECK(cdp_jq_run_json(q, in, strlen(in), NULL, '\t', &err) == 4); /* counting only */
    cdp_jq_free(q);

    /* no output */
    q = compile(".e[]");
    cdp_buf_reset(&out);
    CHECK(cdp_jq_run_json(q, in, strlen(in), &out, '\n', &err) == 0);
    CHECK(out.len == 0);
    cdp_jq_free(q);
    CHECK_STR(run("empty", in), "");
    CHECK_STR(run("select(.a | length > 10)", in), "");

    /* numbers are doubles in jq 1.6 */
    CHECK_STR(run("[.a, .b, .c, .d, .e, .f, .g]",
                  "{\"a\":89990.00,\"b\":12345678901234567890,\"c\":1e1000,\"d\":0.1,"
                  "\"e\":100000000000000000000,\"f\":-0,\"g\":3.0}"),
              "[89990,12345678901234567000,1.7976931348623157e+308,0.1,1e+20,-0,3]");
    CHECK_STR(run(".card, .phone", "{\"card\":\"0012345\",\"phone\":\"+79123456789\"}"),
              "\"0012345\"\n\"+79123456789\"");
}

static void test_truthiness(void)
{
    CHECK(test(".a", "{\"a\":true}") == 1);
    CHECK(test(".a", "{\"a\":false}") == 0);
    CHECK(test(".a", "{\"a\":null}") == 0);
    CHECK(test(".a", "{}") == 0);
    CHECK(test(".a", "{\"a\":0}") == 1); /* 0, "" and [] are true in jq */
    CHECK(test(".a", "{\"a\":\"\"}") == 1);
    CHECK(test(".a", "{\"a\":[]}") == 1);
    CHECK(test(".a", "{\"a\":{}}") == 1);
    CHECK(test("empty", "{}") == 0);
    CHECK(test("false, true", "{}") == 0); /* the first output decides */
    CHECK(test("true, error(\"later\")", "{}") == 1);
    CHECK(test("error(\"first\"), true", "{}") == -1);
    CHECK_STR(err.msg, "first");
    CHECK(test(".n > 1", "{\"n\":2}") == 1);
    CHECK(test(".n > 1", "{\"n\":1}") == 0);
    CHECK(test(".n > 1", "{}") == 0); /* null < numbers */
    CHECK(test("halt", "{}") == 0);
    CHECK(test("any(.tags[]; . == \"vip\")", "{\"tags\":[\"a\",\"vip\"]}") == 1);
    CHECK(test("any(.tags[]; . == \"vip\")", "{\"tags\":[]}") == 0);
}

static void test_vars(void)
{
    struct cdp_jq_vars vars = CDP_JQ_VARS_INIT;
    CHECK(cdp_jq_vars_add(&vars, "city", "Москва", false, &err) == 0);
    CHECK(cdp_jq_vars_add(&vars, "min", "1000", true, &err) == 0);
    CHECK(cdp_jq_vars_add(&vars, "cfg", "{\"tags\":[\"vip\",\"gold\"],\"n\":2}", true, &err) == 0);
    CHECK(cdp_jq_vars_add(&vars, "raw", "{not json", false, &err) == 0);
    CHECK(cdp_jq_vars_add(&vars, "min", "500", true, &err) == 0); /* replaces */
    CHECK(vars.n == 4);
    CHECK(cdp_jq_vars_add(&vars, "1x", "1", false, &err) == -1);
    CHECK_STR(err.msg, "invalid variable name '1x'");
    CHECK(cdp_jq_vars_add(&vars, "a-b", "1", false, &err) == -1);
    CHECK_STR(err.msg, "invalid variable name 'a-b'");
    CHECK(cdp_jq_vars_add(&vars, "__loc__", "1", false, &err) == -1);
    CHECK(cdp_jq_vars_add(&vars, "bad", "{\"a\":", true, &err) == -1);
    CHECK_STR(err.msg, "invalid JSON for $bad: Unfinished JSON term at EOF at line 1, column 5");
    CHECK(cdp_jq_vars_add(&vars, "two", "1 2", true, &err) == -1);
    CHECK_STR(err.msg, "invalid JSON for $two: Unexpected extra JSON values");
    CHECK(vars.n == 4);

    struct cdp_jq *q = cdp_jq_compile(
        "[.city == $city, .total >= $min, (.tags - ($cfg.tags) | length), $cfg.n, $raw, "
        "($ARGS.named | keys)]",
        &vars, &err);
    CHECK(q != NULL);
    cdp_jq_vars_release(&vars); /* the program keeps its own values */
    const char *in = "{\"city\":\"Москва\",\"total\":600,\"tags\":[\"vip\",\"new\"]}";
    cdp_buf_reset(&out);
    CHECK(cdp_jq_run_json(q, in, strlen(in), &out, '\n', &err) == 1);
    CHECK_STR(out.data, "[true,true,1,2,\"{not json\",[\"cfg\",\"city\",\"min\",\"raw\"]]");
    char **fields;
    size_t n;
    CHECK(cdp_jq_fields(q, &fields, &n) && n == 3);
    cdp_jq_free(q);

    /* a variable named ARGS wins over jq's $ARGS */
    CHECK(cdp_jq_vars_add(&vars, "ARGS", "[1]", true, &err) == 0);
    q = cdp_jq_compile("$ARGS", &vars, &err);
    cdp_buf_reset(&out);
    CHECK(q && cdp_jq_run_json(q, "null", 4, &out, '\n', &err) == 1);
    CHECK_STR(out.data, "[1]");
    cdp_jq_free(q);
    cdp_jq_vars_release(&vars);
    CHECK_STR(compile_error("$city"), "$city is not defined at <top-level>, line 1");
    CHECK_STR(run("$ARGS", "null"), "{\"positional\":[],\"named\":{}}");
    cdp_jq_free(NULL);
}

static void test_unicode(void)
{
    const char *in = "{\"name\":\"Иван Петров\",\"city\":\"Москва\",\"Кухня\":{\"Стол\":3},"
                     "\"categories\":{\"Кухня\":{\"orders\":4}},\"esc\":\"\\u0416\\ud83d\\ude00\"}";
    CHECK_STR(run(".name", in), "\"Иван Петров\"");
    CHECK_STR(run(".name | length", in), "11"); /* code points */
    CHECK_STR(run(".name | utf8bytelength", in), "21");
    CHECK_STR(run(".[\"Кухня\"][\"Стол\"], .\"Кухня\".\"Стол\"", in), "3\n3");
    CHECK_STR(run(".categories[\"Кухня\"].orders", in), "4");
    CHECK_STR(run(".esc", in), "\"Ж😀\"");
    CHECK_STR(run(".city | ascii_downcase", in), "\"Москва\"");
    CHECK_STR(run(".name | split(\" \") | .[1]", in), "\"Петров\"");
    CHECK_STR(run(".name | test(\"иван\"; \"i\")", in), "true");
    CHECK_STR(run("{город: .city}", in), "COMPILE: syntax error, unexpected INVALID_CHARACTER "
                                         "(Unix shell quoting issues?) at <top-level>, line 1 "
                                         "(and 1 more error)");
    CHECK_STR(run(".Стол", in), "COMPILE: syntax error, unexpected INVALID_CHARACTER "
                               "(Unix shell quoting issues?) at <top-level>, line 1 "
                               "(and 1 more error)");
    CHECK_STR(run("{\"город\": .city}", in), "{\"город\":\"Москва\"}");
    CHECK(test(".city == \"Москва\"", in) == 1);
    /* invalid UTF-8 in the input becomes U+FFFD, as in jq */
    CHECK_STR(run(".", "\"a\xff" "b\""), "\"a\xef\xbf\xbd" "b\"");
}

static void test_large(void)
{
    struct cdp_buf big = CDP_BUF_INIT;
    cdp_buf_adds(&big, "{\"id\":\"x\",\"items\":[");
    for (int i = 0; i < 20000; i++)
        cdp_buf_printf(&big, "%s{\"sku\":\"SKU-%06d\",\"price\":%d.5,\"name\":\"Товар %d\"}",
                       i ? "," : "", i, i % 1000, i);
    cdp_buf_adds(&big, "],\"note\":\"");
    for (int i = 0; i < 100000; i++)
        cdp_buf_adds(&big, "Ж");
    cdp_buf_adds(&big, "\"}");
    CHECK(big.len > 1000000);
    struct cdp_jq *q = compile("(.items | length), ([.items[].price] | add), (.note | length), "
                               "(.items[-1].name)");
    cdp_buf_reset(&out);
    CHECK(cdp_jq_run_json(q, big.data, big.len, &out, ' ', &err) == 4);
    CHECK_STR(out.data, "20000 10000000 100000 \"Товар 19999\"");
    cdp_jq_free(q);
    q = compile(".");
    cdp_buf_reset(&out);
    CHECK(cdp_jq_run_json(q, big.data, big.len, &out, '\n', &err) == 1);
    CHECK(out.len == big.len); /* compact, same text (prices are x.5) */
    CHECK(memcmp(out.data, big.data, big.len) == 0);
    cdp_jq_free(q);
    cdp_buf_release(&big);
}

/* ---- fields ---- */

/* A record with every field the expressions below read, and some they do
 * not; the JSON text of it is made from the record. */
struct sample {
    const char *key;
    enum cdp_type type;
    const char *val;
};

static const struct sample sample[] = {
    { "a", CDP_OBJECT, "{\"b\":2,\"x\":[1,2],\"0\":\"zero\"}" },
    { "b", CDP_NUMBER, "1" },
    { "c", CDP_STRING, "x" },
    { "d", CDP_NULL, "null" },
    { "e", CDP_STRING, "k1" },
    { "f", CDP_NUMBER, "3.5" },
    { "k", CDP_STRING, "kk" },
    { "n", CDP_NUMBER, "3" },
    { "xs", CDP_ARRAY, "[1,2,3]" },
    { "items", CDP_ARRAY, "[{\"price\":10},{\"price\":5.5}]" },
    { "tags", CDP_ARRAY, "[\"x\",\"vip\"]" },
    { "categories", CDP_OBJECT, "{\"Кухня\":{\"orders\":4}}" },
    { "email", CDP_STRING, "ivan@mail.ru" },
    { "consent_email", CDP_TRUE, "true" },
    { "init", CDP_NUMBER, "100" },
    { "msg", CDP_STRING, "boom" },
    { "a b", CDP_STRING, "space" },
    { "Кухня", CDP_STRING, "kitchen" },
    { "A", CDP_STRING, "upper" },
    { "x", CDP_STRING, "top-x" },
    { "amount", CDP_NUMBER, "89990.00" },
    { "big", CDP_NUMBER, "12345678901234567890" },
    { "neg", CDP_NUMBER, "-0" },
    { "exp", CDP_NUMBER, "1E-7" },
    { "huge", CDP_NUMBER, "1e400" },
    { "card", CDP_STRING, "0012345" },
    { "quote", CDP_STRING, "say \"hi\"\n\ttab\\" },
    { "flag", CDP_FALSE, "false" },
    { "nested", CDP_OBJECT, "{\"deep\":[1,{\"z\":null}],\"s\":\"Ёж\"}" },
    { "empty", CDP_STRING, "" },
    { "b", CDP_NUMBER, "2" }, /* a repeated key keeps its last value */
};

static struct cdp_record sample_record(void)
{
    struct cdp_record rec = CDP_RECORD_INIT;
    for (size_t i = 0; i < sizeof sample / sizeof *sample; i++)
        cdp_record_append(&rec, sample[i].key, strlen(sample[i].key), sample[i].val,
                          strlen(sample[i].val), sample[i].type);
    return rec;
}

/* The fields of q joined by ',', or "?" when unknown. */
static const char *fields(const struct cdp_jq *q)
{
    static char buf[1024];
    char **f;
    size_t n;
    if (!cdp_jq_fields(q, &f, &n))
        return "?";
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(buf, ",");
        strcat(buf, f[i]);
    }
    return buf;
}

static const struct {
    const char *expr, *fields;
} field_cases[] = {
    /* from the brief */
    { ".a.b and .c", "a,c" },
    { ".a as $x | $x.b", "a" },
    { "[.a, .b] | .[0]", "a,b" },
    { ".[\"a b\"]", "a b" },
    { ".a // .b", "a,b" },
    { "if .a then .b else .c end", "a,b,c" },
    { ".a | .b", "a" },
    { "(.a | length) > 0", "a" },
    { "any(.tags[]; . == \"x\")", "tags" },
    { ".categories[\"Кухня\"].orders", "categories" },
    { "def f: .x; f", "?" },
    /* paths and keys */
    { ".[\"Кухня\"]", "Кухня" },
    { ".\"a b\"", "a b" },
    { ". [\"A\"]", "A" },
    { ".[\"\\u0041\"]", "A" },
    { ".a.\"b c\"", "a" },
    { ".[\"a\"][\"b\"]", "a" },
    { ".a.b.c", "a" },
    { ".a?.b? // \"none\"", "a" },
    { ".a[.b]", "a,b" },
    { ".a[.b:.c]", "a,b,c" },
    { ".a | .[.b]", "a" },
    { "[.a, .a, .b]", "a,b" },
    { "-.f", "f" },
    /* control flow and binding */
    { "if .a then .b elif .c then .d else .e end", "a,b,c,d,e" },
    { ".email != null and .consent_email == true", "email,consent_email" },
    { ".a and (.b | not)", "a,b" },
    { ".a as {b: $x} | $x", "a" },
    { ".a as [$x, $y] | $x + .b", "a,b" },
    { "(.a, .b) as $v | $v", "a,b" },
    { "1 as $x | .a", "a" },
    { ".a as $x | .b as $y | [$x, $y, .c]", "a,b,c" },
    { "try .a catch .b", "a" },
    { "try .a catch . + .b", "a,b" }, /* (try .a catch .) + .b */
    { "try error(\"x\") catch .", "" },
    { "label $f | .a, break $f", "a" },
    { "reduce .items[] as $i (0; . + $i.price)", "items" },
    { "reduce .xs[] as $x (.init; . + $x)", "xs,init" },
    { "foreach .xs[] as $x (0; . + $x; [$x, .])", "xs" },
    { "[.items[] | select(.price > 6)] | length", "items" },
    { ".a | keys | length > 2", "a" },
    { ".a | .. | numbers", "a" },
    { ".a | to_entries | map(.key)", "a" },
    { ".a | getpath([\"b\"])", "a" },
    { ".a | .b = 1", "a" },
    /* builtins that see . only through their arguments */
    { "first(.xs[]), limit(2; .items[]), nth(1; .tags[])", "xs,items,tags" },
    { "[range(.n)] | length", "n" },
    { "[range(.b; .n)]", "b,n" },
    { "limit(.n; .xs[])", "n,xs" },
    { "isempty(.xs[])", "xs" },
    { "last(.xs[])", "xs" },
    { "all(.items[]; .price > 1)", "items" },
    { "error(.msg)", "msg" },
    { "pow(.f; 2)", "f" },
    { "[.a, .b] | map(. * 2)", "a,b" },
    { "limit(1; .xs[] | select(. > 1))", "xs" },
    { "first(.tags[] | select(startswith(\"v\")))", "tags" },
    /* more binding, pipes and operators */
    { "(reduce .xs[] as $x (0; . + $x)) as $s | $s + .b", "xs,b" },
    { "{if: .a, then: .b}", "a,b" },
    { ".a as $k | {($k | tostring): .b}", "a,b" },
    { "[.xs[] | . as $x | $x * 2]", "xs" },
    { ".tags | contains([\"vip\"])", "tags" },
    { "(.a | tojson) + .c", "a,c" },
    { ".a | .b |= 1", "a" },
    { "[.items[] | .price] | add > 10", "items" },
    { ".a.x[1:]", "a" },
    { ".a | has(\"b\")", "a" },
    { "try (.a | error) catch .b", "a" },
    { "-(.f) * 2, [.f, -.n], .b - 1, .b -1", "f,n,b" },
    { ".f as $f | .n - $f", "f,n" },
    { "@csv \"\\([.b, .c])\"", "b,c" },
    { ".a | keys[0] as $k | .[$k]", "a" },
    { ".[\"a\"] as $x | .c", "a,c" },
    { ".nested.deep[1].z // \"dflt\"", "nested" },
    { "if (.tags | contains([\"vip\"])) then \"VIP\" elif .f > 3 then \"big\" else \"other\" end",
      "tags,f" },
    { ".email | ascii_downcase | endswith(\"@mail.ru\")", "email" },
    { "(.xs | length) as $n | .f / $n", "xs,f" },
    { "[.email, .phone] | map(select(. != null)) | length", "email,phone" },
    { "\"\\(.quote)\" | @sh", "quote" },
    /* constructions and strings */
    { "{a, b: .c, \"d\", (.e): .f}", "a,c,d,e,f" },
    { "{a: .b | .c}", "b" },
    { "{(.a, .b): .c}", "a,b,c" },
    { "{\"\\(.k)\": 1}", "k" },
    { "{$__loc__}", "COMPILE: syntax error, unexpected __loc__, expecting IDENT (Unix shell "
                    "quoting issues?) at <top-level>, line 1" },
    { "\"\\(.a) \\(.b)\"", "a,b" },
    { "\"\\(\"\\(.a)\")\"", "a" },
    { "\"# not a comment \\(.c)\"", "c" },
    { "@base64 \"\\(.a)\"", "a" },
    { "# a comment .x\n.a # .b", "a" },
    /* no field at all */
    { "1 + 1", "" },
    { "true", "" },
    { "empty", "" },
    { "null", "" },
    { "[1, 2] | .[0]", "" },
    { "$ARGS.named", "" },
    /* cannot tell */
    { ".", "?" },
    { "..", "?" },
    { ".[]", "?" },
    { ".[]?", "?" },
    { ".[0]", "?" },
    { ".[.k]", "?" },
    { ".[\"a\", \"b\"]", "?" },
    { ".\"a\\(.b)\"", "?" },
    { "keys", "?" },
    { "to_entries", "?" },
    { "with_entries(.value |= 1)", "?" },
    { "del(.a)", "?" },
    { "[paths]", "?" },
    { "getpath([\"a\"])", "?" },
    { "tojson", "?" },
    { "$__loc__", "?" },
    { "$__loc__.line", "?" },
    { "input", "?" },
    { "[inputs]", "?" },
    { "env.HOME", "?" },
    { "$ENV.HOME", "?" },
    { ".a | env", "?" },
    { "\"\\(.)\"", "?" },
    { "@base64", "?" },
    { "select(.a > 1)", "?" },
    { "length", "?" },
    { "not", "?" },
    { "map(.a)", "?" },
    { "has(\"a\")", "?" },
    { "first", "?" },
    { "any", "?" },
    { "any(.a)", "?" },
    { "error", "?" },
    { ".a = 1", "?" },
    { ".a |= . + 1", "?" },
    { ".a += 1", "?" },
    { ".a //= 1", "?" },
    { ". as $r | $r.a", "?" },
    { ". as [$a] ?// $a | $a", "?" },
    { "if .a then . else empty end", "?" },
    { "reduce .xs[] as $x (.; .)", "?" },
    { "{\"\\(.k)\"}", "?" },
    { "[.[] | .x]", "?" },
    { "input_filename", "?" },
    { "tostream", "?" },
    { "recurse(.a)", "?" },
    { ".a, .", "?" },
    { "[.a] + [.]", "?" },
    { "\"\\(.a)\" as $k | .[$k]", "?" },
    { "to_entries[] | select(.value == 1) | .key", "?" },
    { "with_entries(select(.key | startswith(\"a\")))", "?" },
    { "[.[] | numbers] | add", "?" },
    { ".[] |= 1", "?" },
    { "{a} + .", "?" },
    { ".a as $x | .", "?" },
    { "\"\\(.a)\\(.)\"", "?" },
    { ".a | input", "?" },
    { "[limit(3; repeat(.))]", "?" },
    { "try . catch 1", "?" },
    { ".a // .", "?" },
    { "[.a, .b] as [$x] | .", "?" },
    { "splits(\"x\")", "?" },
    { "@json", "?" },
    { ".a | $__loc__", "?" },
};

/* Every known answer must be enough: the program gives the same on the whole
 * record (as JSON) and on the record reduced to its fields (run_record). */
static void test_fields(void)
{
    struct cdp_record rec = sample_record();
    struct cdp_buf json = CDP_BUF_INIT, got = CDP_BUF_INIT;
    cdp_json_add_record(&json, &rec);
    size_t nknown = 0;
    for (size_t i = 0; i < sizeof field_cases / sizeof *field_cases; i++) {
        const char *expr = field_cases[i].expr;
        char cerr[sizeof err.msg + 16];
        struct cdp_jq *q = cdp_jq_compile(expr, NULL, &err);
        if (!q)
            snprintf(cerr, sizeof cerr, "COMPILE: %s", err.msg);
        const char *f = q ? fields(q) : cerr;
        if (strcmp(f, field_cases[i].fields) != 0) {
            check_failures++;
            fprintf(stderr, "test_jqrun: fields of %s: got \"%s\", want \"%s\"\n", expr, f,
                    field_cases[i].fields);
        }
        check_count++;
        if (!q || strcmp(f, "?") == 0) {
            cdp_jq_free(q);
            continue;
        }
        nknown++;
        cdp_buf_reset(&out);
        int n1 = cdp_jq_run_json(q, json.data, json.len, &out, '\n', &err);
        if (n1 < 0)
            cdp_buf_printf(&out, "ERROR: %s", err.msg);
        cdp_buf_reset(&got);
        int n2 = cdp_jq_run_record(q, &rec, &got, '\n', &err);
        if (n2 < 0)
            cdp_buf_printf(&got, "ERROR: %s", err.msg);
        if (n1 != n2 || strcmp(out.data ? out.data : "", got.data ? got.data : "") != 0) {
            check_failures++;
            fprintf(stderr, "test_jqrun: %s: whole record gives \"%s\", fields only \"%s\"\n", expr,
                    out.data, got.data);
        }
        check_count++;
        cdp_jq_free(q);
    }
    CHECK(nknown >= 60);
    cdp_buf_release(&json);
    cdp_buf_release(&got);
    cdp_record_release(&rec);
}

/* run_record gives what run_json gives on the record's JSON text. */
static void test_record(void)
{
    struct cdp_record rec = sample_record();
    struct cdp_buf json = CDP_BUF_INIT, got = CDP_BUF_INIT;
    cdp_json_add_record(&json, &rec);
    static const char *const progs[] = {
        ".",
        "keys_unsorted",
        ".amount, .big, .neg, .exp, .huge",
        ".b",
        ".quote, .card, .empty, .flag, .d",
        ".nested.deep[1], .nested.s",
        "[.a, .c] | tojson",
        ".categories[\"Кухня\"].orders + .b",
        "to_entries | map(select(.value | type == \"number\")) | from_entries",
        "[.[] | type] | group_by(.) | map([.[0], length])",
        ".a.x | .[5]",
        ".c.x",
    };
    for (size_t i = 0; i < sizeof progs / sizeof *progs; i++) {
        struct cdp_jq *q = compile(progs[i]);
        cdp_buf_reset(&out);
        int n1 = cdp_jq_run_json(q, json.data, json.len, &out, '\n', &err);
        if (n1 < 0)
            cdp_buf_printf(&out, "ERROR: %s", err.msg);
        cdp_buf_reset(&got);
        int n2 = cdp_jq_run_record(q, &rec, &got, '\n', &err);
        if (n2 < 0)
            cdp_buf_printf(&got, "ERROR: %s", err.msg);
        CHECK(n1 == n2);
        CHECK_STR(got.data ? got.data : "", out.data ? out.data : "");
        CHECK(cdp_jq_test_record(q, &rec, &err) == cdp_jq_test_json(q, json.data, json.len, &err));
        cdp_jq_free(q);
    }
    /* spot checks of what the record turns into */
    struct cdp_jq *q = compile(".amount, .big, .neg, .exp, .huge, .b, .quote");
    cdp_buf_reset(&out);
    CHECK(cdp_jq_run_record(q, &rec, &out, ' ', &err) == 7);
    CHECK_STR(out.data, "89990 12345678901234567000 -0 1e-07 1.7976931348623157e+308 2 "
                        "\"say \\\"hi\\\"\\n\\ttab\\\\\"");
    cdp_jq_free(q);
    q = compile(".c.x");
    CHECK(cdp_jq_run_record(q, &rec, &out, ' ', &err) == -1);
    CHECK_STR(err.msg, "Cannot index string with string \"x\"");
    CHECK(cdp_jq_test_record(q, &rec, &err) == -1);
    cdp_jq_free(q);

    /* a nested value that is not JSON, and odd numbers */
    struct cdp_record bad = CDP_RECORD_INIT;
    cdp_record_append(&bad, "id", 2, "1", 1, CDP_STRING);
    cdp_record_append(&bad, "obj", 3, "{\"a\":", 5, CDP_OBJECT);
    cdp_record_append(&bad, "lead", 4, "007", 3, CDP_NUMBER);
    q = compile(".id");
    CHECK(cdp_jq_run_record(q, &bad, &out, ' ', &err) == 1); /* obj is not needed */
    cdp_jq_free(q);
    q = compile("[.id, .obj]");
    CHECK(cdp_jq_run_record(q, &bad, &out, ' ', &err) == -1);
    CHECK_STR(err.msg,
              "field 'obj': invalid JSON: Unfinished JSON term at EOF at line 1, column 5");
    cdp_jq_free(q);
    q = compile(".lead"); /* not JSON's syntax: read as jq would read it */
    cdp_buf_reset(&out);
    CHECK(cdp_jq_run_record(q, &bad, &out, ' ', &err) == 1);
    CHECK_STR(out.data, "7");
    cdp_jq_free(q);
    q = compile("true");
    CHECK(cdp_jq_test_record(q, &bad, &err) == 1); /* reads nothing: {} */
    cdp_jq_free(q);
    cdp_record_release(&bad);

    cdp_buf_release(&json);
    cdp_buf_release(&got);
    cdp_record_release(&rec);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Many runs of every path (valgrind this), timing the two ways to run a
 * rule on a 300-byte record. */
static void test_many(long runs)
{
    struct cdp_record rec = CDP_RECORD_INIT;
    static const struct sample fields300[] = {
        { "_source", CDP_STRING, "crm" },
        { "_rid", CDP_STRING, "000123" },
        { "email", CDP_STRING, "ivan.ivanov@mail.ru" },
        { "phone", CDP_STRING, "+79123456789" },
        { "card", CDP_STRING, "0012345" },
        { "last_name", CDP_STRING, "Иванов" },
        { "first_name", CDP_STRING, "Иван" },
        { "gender", CDP_STRING, "m" },
        { "birth_date", CDP_STRING, "1985-03-05" },
        { "city", CDP_STRING, "Москва" },
        { "consent_email", CDP_TRUE, "true" },
        { "a", CDP_NUMBER, "2" },
        { "total", CDP_NUMBER, "89990.00" },
        { "tags", CDP_ARRAY, "[\"vip\",\"kitchen\"]" },
        { "created_at", CDP_STRING, "2020-01-12T11:33:00Z" },
    };
    for (size_t i = 0; i < sizeof fields300 / sizeof *fields300; i++)
        cdp_record_append(&rec, fields300[i].key, strlen(fields300[i].key), fields300[i].val,
                          strlen(fields300[i].val), fields300[i].type);
    struct cdp_buf json = CDP_BUF_INIT;
    cdp_json_add_record(&json, &rec);

    struct cdp_jq *rule = compile(".a > 1");
    char **f;
    size_t nf;
    CHECK(cdp_jq_fields(rule, &f, &nf) && nf == 1 && strcmp(f[0], "a") == 0);
    long ok1 = 0, ok2 = 0, ok3 = 0, ok4 = 0;
    double t0 = now();
    for (long i = 0; i < runs; i++) {
        cdp_buf_reset(&out);
        ok1 += cdp_jq_run_json(rule, json.data, json.len, &out, '\n', &err) == 1;
    }
    double t1 = now();
    for (long i = 0; i < runs; i++) {
        cdp_buf_reset(&out);
        ok2 += cdp_jq_run_record(rule, &rec, &out, '\n', &err) == 1;
    }
    double t2 = now();
    CHECK_STR(out.data, "true");
    for (long i = 0; i < runs; i++)
        ok3 += cdp_jq_test_json(rule, json.data, json.len, &err) == 1;
    double t3 = now();
    for (long i = 0; i < runs; i++)
        ok4 += cdp_jq_test_record(rule, &rec, &err) == 1;
    double t4 = now();
    CHECK(ok1 == runs && ok2 == runs && ok3 == runs && ok4 == runs);
    printf("test_jqrun: `.a > 1` on a %zu-byte record, runs/s: run_json %.0f, run_record "
           "(1 field) %.0f; test_json %.0f, test_record %.0f\n",
           json.len, (double)runs / (t1 - t0), (double)runs / (t2 - t1),
           (double)runs / (t3 - t2), (double)runs / (t4 - t3));

    /* outputs, errors, whole-record input, and compile/free, counted only */
    struct cdp_jq *col = compile("\"\\(.last_name) \\(.first_name)\", .tags[1], .total");
    struct cdp_jq *all = compile("keys_unsorted | length");
    struct cdp_jq *bad = compile(".email.x");
    long outs = 0, errs = 0;
    t0 = now();
    for (long i = 0; i < runs; i++) {
        cdp_buf_reset(&out);
        outs += cdp_jq_run_record(col, &rec, &out, ',', &err);
        if (i % 4 == 0) {
            outs += cdp_jq_run_json(col, json.data, json.len, &out, ',', &err);
            outs += cdp_jq_run_record(all, &rec, &out, ',', &err);
            errs += cdp_jq_run_record(bad, &rec, &out, ',', &err) == -1;
            errs += cdp_jq_test_json(bad, json.data, json.len, &err) == -1;
        }
        if (i % 10000 == 0) {
            struct cdp_jq_vars vars = CDP_JQ_VARS_INIT;
            cdp_jq_vars_add(&vars, "min", "{\"a\":[1,2]}", true, &err);
            cdp_jq_vars_add(&vars, "s", "x", false, &err);
            struct cdp_jq *q = cdp_jq_compile(".a > $min.a[0]", &vars, &err);
            outs += cdp_jq_run_record(q, &rec, &out, ',', &err);
            cdp_jq_free(q);
            cdp_jq_free(cdp_jq_compile(".a ^ 1", &vars, &err));
            cdp_jq_vars_release(&vars);
        }
    }
    t1 = now();
    long calls4 = (runs + 3) / 4, calls1000 = (runs + 9999) / 10000;
    CHECK(outs == runs * 3 + calls4 * 4 + calls1000);
    CHECK(errs == 2 * calls4);
    cdp_buf_reset(&out);
    CHECK(cdp_jq_run_record(col, &rec, &out, ',', &err) == 3);
    CHECK_STR(out.data, "\"Иванов Иван\",\"kitchen\",89990");
    printf("test_jqrun: %ld rounds of run_json/run_record/errors in %.2f s\n", runs, t1 - t0);
    cdp_jq_free(rule);
    cdp_jq_free(col);
    cdp_jq_free(all);
    cdp_jq_free(bad);
    cdp_buf_release(&json);
    cdp_record_release(&rec);
}

int main(void)
{
    const char *env = getenv("CDP_JQRUN_RUNS");
    long runs = env ? atol(env) : 100000;
    if (runs < 1)
        runs = 1;
    test_compile_errors();
    test_runtime_errors();
    test_outputs();
    test_truthiness();
    test_vars();
    test_unicode();
    test_large();
    test_fields();
    test_record();
    test_many(runs);
    cdp_buf_release(&out);
    return check_report("test_jqrun");
}
