/* test_native: rules evaluated natively (rules/native.h) against libjq on
 * the same rules and records.
 *
 * The rules: every rule of the shipped library (share/cdp/segments), the
 * example audiences and the test rule file, and user-style rules over every
 * construct native.h accepts. The records: hand-made ones (nulls, missing
 * fields, strings where numbers were expected, big numbers, escapes,
 * repeated keys, dates strptime refuses or reads loosely, birth dates with
 * newlines) and thousands generated from pools of such values, under two
 * dates ($as_of in November, and on 28 December of a leap year, so that
 * birthdays cross the year end and 29 February counts). Wherever the
 * evaluator answers, its answer must be libjq's; where libjq raises an
 * error it must ask for libjq. Programs outside the part it takes (and
 * some that jq 1.6 refuses to compile) must not be compiled natively, and
 * random programs of that part, some with a typo, either do not compile
 * natively or compile in jq and answer as jq. Run from the top of the
 * source tree; CDP_NATIVE_RECORDS sets the number of generated records of
 * each kind (2000). */
#include <stdint.h>
#include <stdlib.h>

#include "../check.h"
#include "io/json.h"
#include "io/lines.h"
#include "rules/jq.h"
#include "rules/native.h"
#include "rules/ruleset.h"

/* Library and example rules must all be native. */
static const char *const library_files[] = {
    "share/cdp/segments/rfm.rules",      "share/cdp/segments/birthday.rules",
    "share/cdp/segments/cart.rules",     "share/cdp/segments/lapsed.rules",
    "share/cdp/segments/category.rules", "share/cdp/segments/vip.rules",
    "examples/segments.rules",           "tests/fixtures/segment/rules.seg",
};

/* User-style rules: every construct of native.h, all native. */
static const char *const user_rules[] = {
    "u_num=.orders > 2",
    "u_alt=(.orders // 0) >= 1 and (.revenue // 0) < 100000",
    "u_or=.consent_email == true or .top_category == \"Кухня\"",
    "u_ne=.top_category != null",
    "u_not=.consent_email | not",
    "u_notnot=(.abandoned_cart == null) | not",
    "u_path=.abandoned_cart.value > 1000",
    "u_idx=.[\"abandoned_cart\"][\"value\"] >= 0",
    "u_quoted=.\"top_category\" == \"Кухня\"",
    "u_arith=(.revenue // 0) / ((.orders // 0) + 1) > 5000",
    "u_mod=(.orders // 0 | if . > 1e15 or . < -1e15 then 0 else . end) % 2 == 1",
    "u_neg=-(.orders // 0) < -1",
    "u_negprec=- 2 * (.orders // 0) + 1 < -3",
    "u_if=if .orders > 1 then .revenue_365d > 1000 elif .orders == 1 then true else false end",
    "u_as=(.orders // 0) as $o | $o > 1 and $o < 10",
    "u_len=(.top_category // \"\" | length) > 3",
    "u_lencat=(.categories // {} | length) >= 2",
    "u_lenarr=(.segments | length) == 2",
    "u_type=(.orders | type) == \"number\"",
    "u_has=has(\"abandoned_cart\")",
    "u_hascat=(.categories | has(\"Кухня\"))",
    "u_kinds=.orders < \"0\"",
    "u_null=.birth_date == null and .orders != null",
    "u_days=days_to_birthday == 0",
    "u_days_lt=(days_to_birthday // 400) < 30",
    "u_since=days_since(.categories[\"Кухня\"].last_at // \"2000-01-01\") < 365",
    "u_interest=interest == \"Кухня\"",
    "u_bought=bought_within(\"Спальня\"; 30)",
    "u_bought_var=bought_within(.top_category // \"Кухня\"; $interest_days)",
    "u_seg=segment(\"lapsed\") and (.orders // 0) > 2",
    "u_segs=segment(\"u_seg\") or segment(\"vip\")",
    "u_plus_str=(.top_category // \"\") + \"!\" == \"Кухня!\"",
    "u_arr_idx=(.abandoned_cart.items // [])[0].qty >= 1",
    "u_escape=.top_category == \"\\u041a\\u0443\\u0445\\u043d\\u044f\"",
    "u_big=(.revenue // 0) > 1e19",
    "u_vars=$as_of_day - $lapsed_days > .days_since_last_purchase",
    "u_str_arg=$who == .first_name",
    "u_json_arg=$limits.orders <= (.orders // 0)",
    "u_rfm=.rfm.segment == \"Champions\" or .rfm.r >= 4",
    "u_pipe=.abandoned_cart | .value // 0 | . > 100",
    "u_cmt=.orders # a comment\n  > 1",
};

/* Outside the part native.h takes (some are not jq 1.6 at all). */
static const char *const not_native[] = {
    ".a, .b",
    ".a?",
    "[.a] | length > 0",
    "\"\\(.a)\" == \"x\"",
    "reduce .a as $x (0; . + $x)",
    "1 / 0 > 1",
    "2 * 3 > .a",
    ".a == .b == .c",
    "if . then 1 end",
    ".a.[\"b\"]",
    "def f: f; f",
    "def f(g): g; f(.a)",
    "def f($a): a; f(.a)",
    "$__loc__ | .line == 1",
    "$ENV | length > 0",
    "$ARGS.named | length > 0",
    "$undefined == 1",
    ".a | test(\"x\")",
    ".a[]",
    ".a[1:2]",
    "@csv",
    ".a as [$x] | $x",
    ".a |= 1",
    "try .a catch 1",
    "\"\\a\" == .a",
    "\"\\ud83d\\ude00\" == .a",
    "1 ==\r 1",
    ".5 < .a",
    "1. < .a",
    "empty",
    "true(1)",
    "label $out | 1",
    ". as $x | def f: 1; f",
    "{a: 1} == .a",
    "$ x",
    "$and == 1",
    ". as $if | 1",
    "def f($then): $then; f(1)",
    "def and: 1; and",
};

static const char days_since_def[] =
    "def days_since($t): $as_of_day - ($t[0:10] | strptime(\"%Y-%m-%d\") | mktime / 86400 | floor);\n";
static const char interest_def[] =
    "def interest:\n"
    "    [(.categories // {}) | to_entries[]\n"
    "     | {name: .key, at: ([.value.last_at, .value.last_view_at] | map(values) | max)}\n"
    "     | select(.at != null and days_since(.at) < $interest_days)]\n"
    "    | sort_by(.at, .name) | last | .name?;\n";

/* ---- records -------------------------------------------------------------- */

static const char *const hand_made[] = {
    "{\"cdp_id\":\"h1\"}",
    "{\"cdp_id\":\"h2\",\"orders\":null,\"revenue\":null,\"abandoned_cart\":null,\"birth_date\":null,\"categories\":null}",
    "{\"cdp_id\":\"h3\",\"orders\":\"5\",\"revenue\":\"100000\",\"revenue_365d\":\"x\",\"days_since_last_purchase\":\"200\"}",
    "{\"cdp_id\":\"h4\",\"orders\":12345678901234567890,\"revenue\":1e308,\"revenue_365d\":-0,\"days_since_last_purchase\":180}",
    "{\"cdp_id\":\"h5\",\"orders\":3,\"orders\":\"x\",\"top_category\":\"Кухня\"}",
    "{\"cdp_id\":\"h6\",\"\\u0063ategories\":{\"\\u041a\\u0443\\u0445\\u043d\\u044f\":{\"last_at\":\"2026-11-19T09:00:00Z\"}}}",
    "{\"cdp_id\":\"h7\",\"categories\":{\"Кухня\":{\"last_at\":\"2026-11-19\"},\"Кухня\":{\"last_at\":\"2020-01-01\"}}}",
    "{\"cdp_id\":\"h8\",\"categories\":{\"a\":{\"last_at\":\"2026-11-19\",\"last_at\":5}}}",
    "{\"cdp_id\":\"h9\",\"categories\":\"Кухня\",\"abandoned_cart\":\"yes\",\"rfm\":\"Champions\"}",
    "{\"cdp_id\":\"h10\",\"categories\":[{\"last_at\":\"2026-11-19\"}],\"abandoned_cart\":[1],\"rfm\":[\"Champions\"]}",
    "{\"cdp_id\":\"h11\",\"birth_date\":\"1990-11-20\\n\",\"categories\":{\"Спальня\":{\"last_at\":\"2026-11-19\\n\"}}}",
    "{\"cdp_id\":\"h12\",\"birth_date\":\"x\\n1990-11-20\"}",
    "{\"cdp_id\":\"h13\",\"birth_date\":\"1990-11-20\\n\\n\"}",
    "{\"cdp_id\":\"h14\",\"birth_date\":\"1990-13-20\"}",
    "{\"cdp_id\":\"h15\",\"birth_date\":\"1990-02-31\"}",
    "{\"cdp_id\":\"h16\",\"birth_date\":\"1984-02-29\"}",
    "{\"cdp_id\":\"h17\",\"birth_date\":19901120,\"top_category\":5}",
    "{\"cdp_id\":\"h18\",\"birth_date\":\"\",\"first_name\":\"Ольга\"}",
    "{\"cdp_id\":\"h19\",\"abandoned_cart\":{\"value\":\"5000\",\"items\":[{\"qty\":2}]}}",
    "{\"cdp_id\":\"h20\",\"abandoned_cart\":{\"value\":5000,\"value\":null,\"items\":[]}}",
    "{\"cdp_id\":\"h21\",\"segments\":[\"lapsed\",\"vip\",1,null],\"orders\":5}",
    "{\"cdp_id\":\"h22\",\"segments\":\"lapsed\",\"orders\":5}",
    "{\"cdp_id\":\"h23\",\"segments\":{\"a\":\"lapsed\"},\"orders\":5}",
    "{\"cdp_id\":\"h24\",\"rfm\":{\"r\":5,\"f\":4,\"m\":3,\"score\":\"543\",\"segment\":\"Champions\"},\"consent_email\":true}",
    "{\"cdp_id\":\"h25\",\"rfm\":{\"segment\":\"Champions\",\"segment\":\"Loyal\"}}",
    "{\"cdp_id\":\"h26\",\"categories\":{\"a\\\"b\":{\"last_view_at\":\"2026-11-01T00:00:00Z\"},\"b\":{\"last_at\":\"2026-11-01T00:00:00Z\"}}}",
    "{\"cdp_id\":\"h27\",\"categories\":{\"x\":{\"last_at\":\" 2026-11-01\"},\"y\":{\"last_at\":\"2026-1-5\"}}}",
    "{\"cdp_id\":\"h28\",\"categories\":{\"x\":{\"last_at\":false,\"last_view_at\":\"2026-11-10\"},\"y\":{\"last_at\":true}}}",
    "{\"cdp_id\":\"h29\",\"categories\":{\"x\":{\"last_at\":[1],\"last_view_at\":[2]}}}",
    "{\"cdp_id\":\"h30\",\"categories\":{\"x\":null,\"y\":{},\"z\":{\"last_at\":null}}}",
    "{\"cdp_id\":\"h31\",\"top_category\":\"\\u041a\\u0443\\u0445\\u043d\\u044f\",\"first_name\":\"\\ud83d\\ude00\"}",
    "{\"cdp_id\":\"h32\",\"revenue\":1.5e-320,\"orders\":-1,\"orders_90d\":0.5}",
    "{\"cdp_id\":\"h33\",\"categories\":{\"x\":{\"last_at\":\"2026-11-20T00:00:00Z\",\"last_view_at\":\"2026-11-20T00:00:01Z\"},\"w\":{\"last_at\":\"2026-11-20T00:00:01Z\"}}}",
    "{\"cdp_id\":\"h34\",\"categories\":{},\"segments\":[],\"abandoned_cart\":{}}",
};

struct rng {
    uint64_t s;
};

static uint64_t next(struct rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return r->s;
}

static const char *pick(struct rng *r, const char *const *pool, size_t n)
{
    return pool[next(r) % n];
}

#define PICK(r, pool) pick(r, pool, sizeof pool / sizeof *pool)

static const char *const numbers[] = {
    "0", "1", "2", "5", "180", "179", "181", "-1", "0.5", "1e20", "12345678901234567890",
    "50000", "50001", "49999.99", "1e308", "-0", "3.14", "90", "89", "365", "30000", "100",
};
static const char *const odd[] = {
    "\"5\"", "\"abc\"", "\"\"", "true", "false", "null", "[]", "[1]", "{}", "{\"a\":1}",
    "\"Кухня\"", "\"2026-11-19\"",
};
static const char *const dates[] = {
    "\"2026-11-20\"", "\"2026-11-19T09:00:00Z\"", "\"2026-08-22T00:00:00Z\"",
    "\"2026-08-23T10:00:00Z\"", "\"2025-11-20\"", "\"2024-02-29\"", "\"2026-02-31T00:00:00Z\"",
    "\"2026-10-21\"", "\"2026-12-01\"", "\"2024-12-01T00:00:00Z\"", "\"2024-09-30T00:00:00Z\"",
    "\"2026-13-01\"", "\"2026-00-10\"", "\"2026-1-5\"", "\" 2026-01-05\"", "\"20261120\"",
    "\"\"", "\"2026-11-20\\n\"", "5", "null", "true", "[\"2026-11-20\"]", "\"2026-11-1x\"",
    "\"2026-11-19\\u0054\"", "\"٢٠٢٦-11-19\"",
};
static const char *const birth_dates[] = {
    "\"1990-11-20\"", "\"1990-11-26\"", "\"1990-11-27\"", "\"1984-02-29\"", "\"1985-02-28\"",
    "\"1990-12-31\"", "\"1990-01-01\"", "\"1990-01-03\"", "\"1990-12-28\"", "\"1990-13-01\"",
    "\"1990-02-31\"", "\"1990-11-22\\n\"", "\"x\\n1990-11-22\"", "\"1990-11-22\\n\\n\"",
    "\"1990/11/22\"", "\"\"", "null", "19901122", "true", "[\"1990-11-22\"]", "{\"d\":1}",
    "\"1990-11-2\"", "\"1990-00-10\"", "\"1990-04-00\"", "\"0000-11-21\"", "\"1990-11-21T00:00:00Z\"",
    "\"1990-02-29\"", "\"1990-03-01\"",
};
static const char *const category_names[] = {
    "Кухня", "Гостиная", "Спальня", "Детская", "a\\\"b", "Кухня", "x",
};
static const char *const rfm_segments[] = {
    "\"Champions\"", "\"Loyal\"", "\"New\"", "\"Can't lose\"", "\"At risk\"", "null", "5",
};
static const char *const segment_lists[] = {
    "[]", "[\"lapsed\"]", "[\"lapsed\",\"vip\"]", "[\"vip\",\"u_seg\"]", "\"lapsed\"", "null",
    "[1,[\"lapsed\"]]", "{\"x\":\"lapsed\"}",
};

static const char *const clean_dates[] = {
    "\"2026-11-20\"", "\"2026-11-19T09:00:00Z\"", "\"2026-08-22T00:00:00Z\"",
    "\"2026-08-23T10:00:00Z\"", "\"2025-11-20\"", "\"2024-02-29\"", "\"2026-10-21\"",
    "\"2026-12-01\"", "\"2024-12-01T00:00:00Z\"", "\"2024-09-30T00:00:00Z\"",
};
static const char *const clean_birth_dates[] = {
    "\"1990-11-20\"", "\"1990-11-26\"", "\"1990-11-27\"", "\"1984-02-29\"", "\"1985-02-28\"",
    "\"1990-12-31\"", "\"1990-01-01\"", "\"1990-01-03\"", "\"1990-12-28\"", "\"1990-03-01\"",
    "\"1990-1-1\"", "\"\"",
};

/* Anything may be anywhere (adversarial), or (clean) each field has the
 * type cdp-merge gives it: then every rule must answer natively. */
struct gen {
    struct rng r;
    bool clean;
};

/* A value of a numeric field: mostly numbers, sometimes anything. */
static const char *numeric(struct gen *g)
{
    return g->clean || next(&g->r) % 5 ? PICK(&g->r, numbers) : PICK(&g->r, odd);
}

static void add_field(struct cdp_buf *b, struct gen *g, const char *key, const char *value)
{
    if (next(&g->r) % 5 == 0)
        return; /* missing */
    if (b->len > 1)
        cdp_buf_addc(b, ',');
    cdp_buf_printf(b, "\"%s\":%s", key, value);
}

static void add_categories(struct cdp_buf *b, struct gen *g)
{
    struct rng *r = &g->r;
    if (!g->clean && next(r) % 10 == 0) {
        add_field(b, g, "categories", PICK(r, odd));
        return;
    }
    struct cdp_buf c = CDP_BUF_INIT;
    cdp_buf_addc(&c, '{');
    size_t n = next(r) % 5, first = next(r);
    for (size_t i = 0; i < n; i++) {
        if (i)
            cdp_buf_addc(&c, ',');
        /* clean: distinct names (the pool's first five are) */
        cdp_buf_printf(&c, "\"%s\":", g->clean ? category_names[(first + i) % 5]
                                                : PICK(r, category_names));
        if (!g->clean && next(r) % 12 == 0) {
            cdp_buf_adds(&c, PICK(r, odd));
            continue;
        }
        cdp_buf_adds(&c, "{\"orders\":1");
        if (next(r) % 3)
            cdp_buf_printf(&c, ",\"last_at\":%s",
                           g->clean ? PICK(r, clean_dates) : next(r) % 4 ? PICK(r, dates) : PICK(r, odd));
        if (next(r) % 2)
            cdp_buf_printf(&c, ",\"last_view_at\":%s",
                           g->clean ? PICK(r, clean_dates) : PICK(r, dates));
        cdp_buf_adds(&c, ",\"views\":0}");
    }
    cdp_buf_addc(&c, '}');
    add_field(b, g, "categories", c.data);
    cdp_buf_release(&c);
}

static void generate(struct gen *g, size_t i, struct cdp_buf *b)
{
    struct rng *r = &g->r;
    bool clean = g->clean;
    cdp_buf_reset(b);
    cdp_buf_printf(b, "{\"cdp_id\":\"g%zu\"", i);
    add_field(b, g, "orders", numeric(g));
    add_field(b, g, "revenue", numeric(g));
    add_field(b, g, "revenue_365d", numeric(g));
    add_field(b, g, "orders_90d", numeric(g));
    add_field(b, g, "days_since_last_purchase", numeric(g));
    add_field(b, g, "birth_date", clean ? PICK(r, clean_birth_dates) : PICK(r, birth_dates));
    add_field(b, g, "consent_email",
              clean || next(r) % 4 ? (next(r) % 2 ? "true" : "false") : PICK(r, odd));
    add_field(b, g, "top_category", clean || next(r) % 3 ? "\"Кухня\"" : PICK(r, odd));
    add_field(b, g, "first_name", next(r) % 2 ? "\"Ольга\"" : "\"Иван\"");
    add_categories(b, g);
    char cart[200];
    snprintf(cart, sizeof cart, "{\"value\":%s,\"items\":[{\"qty\":%s}]}", numeric(g), numeric(g));
    add_field(b, g, "abandoned_cart", clean || next(r) % 4 ? cart : PICK(r, odd));
    char rfm[200];
    snprintf(rfm, sizeof rfm, "{\"r\":%s,\"f\":2,\"segment\":%s}", numeric(g),
             clean ? "\"Loyal\"" : PICK(r, rfm_segments));
    add_field(b, g, "rfm", clean || next(r) % 5 ? rfm : PICK(r, odd));
    add_field(b, g, "segments", clean ? "[\"lapsed\",\"vip\"]" : PICK(r, segment_lists));
    cdp_buf_addc(b, '}');
}

/* ---- the comparison ------------------------------------------------------- */

struct rules {
    struct cdp_ruleset rs;
    struct cdp_jq_vars vars;
    struct cdp_native_env *env;
    struct cdp_jq **q;
    struct cdp_native **n;
    uint64_t *answered, *asked; /* asked: jq's answer needed where jq raised no error */
};

static void setup(struct rules *t, const char *as_of, const char *as_of_day)
{
    struct cdp_error err;
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < sizeof library_files / sizeof *library_files; i++)
        if (cdp_ruleset_add_file(&t->rs, library_files[i], &err) < 0)
            fprintf(stderr, "test_native: %s\n", err.msg);
    for (size_t i = 0; i < sizeof user_rules / sizeof *user_rules; i++)
        if (cdp_ruleset_add_spec(&t->rs, user_rules[i], &err) < 0)
            fprintf(stderr, "test_native: %s\n", err.msg);
    CHECK(cdp_ruleset_finish(&t->rs, &err) == 0);
    for (size_t i = 0; i < t->rs.params.n; i++)
        cdp_jq_vars_add(&t->vars, t->rs.params.v[i].name, t->rs.params.v[i].value, true, &err);
    cdp_jq_vars_add(&t->vars, "as_of", as_of, false, &err);
    cdp_jq_vars_add(&t->vars, "as_of_day", as_of_day, true, &err);
    cdp_jq_vars_add(&t->vars, "vip_threshold", "50000", true, &err);
    cdp_jq_vars_add(&t->vars, "who", "Ольга", false, &err);
    cdp_jq_vars_add(&t->vars, "limits", "{\"orders\": 3, \"orders\": 2}", true, &err);
    t->env = cdp_native_env_new(&t->vars);
    t->q = cdp_xcalloc(t->rs.n, sizeof *t->q);
    t->n = cdp_xcalloc(t->rs.n, sizeof *t->n);
    t->answered = cdp_xcalloc(t->rs.n, sizeof *t->answered);
    t->asked = cdp_xcalloc(t->rs.n, sizeof *t->asked);
    for (size_t i = 0; i < t->rs.n; i++) {
        const struct cdp_rule *r = &t->rs.rules[i];
        t->q[i] = cdp_jq_compile(r->program, &t->vars, &err);
        if (!t->q[i])
            fprintf(stderr, "test_native: %s does not compile in jq: %s\n", r->name, err.msg);
        CHECK(t->q[i] != NULL);
        t->n[i] = cdp_native_compile(t->env, r->program);
        if (!t->n[i])
            fprintf(stderr, "test_native: %s is not native:\n%s\n", r->name, r->program);
        CHECK(t->n[i] != NULL);
    }
}

static void teardown(struct rules *t)
{
    for (size_t i = 0; i < t->rs.n; i++) {
        cdp_jq_free(t->q[i]);
        cdp_native_free(t->n[i]);
    }
    free(t->q);
    free(t->n);
    free(t->answered);
    free(t->asked);
    cdp_native_env_free(t->env);
    cdp_jq_vars_release(&t->vars);
    cdp_ruleset_release(&t->rs);
}

static int mismatches;

/* Every rule on one record: native answers must be jq's. */
static void compare_on(struct rules *t, struct cdp_json_parser *json, struct cdp_native_run *run,
                       const char *line)
{
    size_t len = strlen(line);
    char *padded = cdp_xcalloc(1, len + CDP_LINE_PADDING + 1);
    memcpy(padded, line, len);
    struct cdp_record rec = CDP_RECORD_INIT;
    struct cdp_error err;
    if (cdp_json_parse_object(json, padded, len, &rec, &err) != CDP_JSON_OK) {
        fprintf(stderr, "test_native: bad test record %s: %s\n", line, err.msg);
        CHECK(0);
    }
    cdp_native_run_input(run, &rec);
    for (size_t i = 0; i < t->rs.n; i++) {
        if (!t->q[i] || !t->n[i])
            continue;
        int want = cdp_jq_test_record(t->q[i], &rec, &err);
        int got = cdp_native_test(t->n[i], run);
        if (got == CDP_NATIVE_ASK_JQ) {
            t->asked[i] += want >= 0; /* jq answered: asked for nothing */
            continue;
        }
        t->answered[i]++;
        check_count++;
        if (got != want) {
            check_failures++;
            if (mismatches++ < 20)
                fprintf(stderr, "test_native: %s: native %d, jq %d%s%s on %s\n",
                        t->rs.rules[i].name, got, want, want < 0 ? ": " : "",
                        want < 0 ? err.msg : "", line);
        }
    }
    cdp_record_release(&rec);
    free(padded);
}

static void compare_all(const char *as_of, const char *as_of_day, size_t ngenerated)
{
    struct rules t;
    setup(&t, as_of, as_of_day);
    struct cdp_json_parser *json = cdp_json_parser_new();
    struct cdp_native_run *run = cdp_native_run_new(t.env);
    for (size_t i = 0; i < sizeof hand_made / sizeof *hand_made; i++)
        compare_on(&t, json, run, hand_made[i]);
    struct cdp_buf line = CDP_BUF_INIT;
    struct gen g = { { 0x9E3779B97F4A7C15ull }, false };
    for (size_t i = 0; i < ngenerated; i++) {
        generate(&g, i, &line);
        compare_on(&t, json, run, line.data);
    }
    /* Well-typed records: every rule answers natively wherever jq raises
     * no error. */
    g.clean = true;
    memset(t.asked, 0, t.rs.n * sizeof *t.asked);
    for (size_t i = 0; i < ngenerated; i++) {
        generate(&g, i, &line);
        compare_on(&t, json, run, line.data);
    }
    for (size_t i = 0; i < t.rs.n; i++) {
        if (t.asked[i])
            fprintf(stderr, "test_native: %s asked jq on %llu clean records it had no error on\n",
                    t.rs.rules[i].name,
                    (unsigned long long)t.asked[i]);
        CHECK(t.asked[i] == 0);
    }
    cdp_buf_release(&line);
    cdp_native_run_free(run);
    cdp_json_parser_free(json);
    teardown(&t);
}

/* ---- what is not native --------------------------------------------------- */

static bool native(struct cdp_native_env *env, const char *program)
{
    struct cdp_native *n = cdp_native_compile(env, program);
    cdp_native_free(n);
    return n != NULL;
}

static void test_boundary(void)
{
    struct cdp_jq_vars vars = CDP_JQ_VARS_INIT;
    struct cdp_error err;
    cdp_jq_vars_add(&vars, "as_of", "2026-11-20", false, &err);
    cdp_jq_vars_add(&vars, "as_of_day", "20777", true, &err);
    cdp_jq_vars_add(&vars, "interest_days", "90", true, &err);
    cdp_jq_vars_add(&vars, "bad_num", "1e999", true, &err);
    cdp_jq_vars_add(&vars, "and", "1", true, &err); /* $and is not jq 1.6 */
    struct cdp_native_env *env = cdp_native_env_new(&vars);
    for (size_t i = 0; i < sizeof not_native / sizeof *not_native; i++) {
        bool n = native(env, not_native[i]);
        if (n)
            fprintf(stderr, "test_native: native, should not be: %s\n", not_native[i]);
        CHECK(!n);
    }
    CHECK(!native(env, "$bad_num > 1"));
    struct cdp_buf b = CDP_BUF_INIT;
    /* the library's interest, as shipped */
    cdp_buf_printf(&b, "%s%sinterest != null", days_since_def, interest_def);
    CHECK(native(env, b.data));
    /* ... with a builtin it calls redefined before it: jq's */
    cdp_buf_reset(&b);
    cdp_buf_printf(&b, "def max: 1;\n%s%sinterest != null", days_since_def, interest_def);
    CHECK(!native(env, b.data));
    /* ... with its helper redefined before it: jq's */
    cdp_buf_reset(&b);
    cdp_buf_printf(&b, "def days_since($t): 0;\n%sinterest != null", interest_def);
    CHECK(!native(env, b.data));
    /* ... redefined after it: interest keeps the library's (lexical), the
     * rule's own call is the user's definition, natively */
    cdp_buf_reset(&b);
    cdp_buf_printf(&b, "%s%sdef days_since($t): 0;\ninterest != null and days_since(1) == 0",
                   days_since_def, interest_def);
    CHECK(native(env, b.data));
    /* ... changed: the user's, which is not in the part native.h takes */
    cdp_buf_reset(&b);
    cdp_buf_printf(&b, "%s%s", days_since_def, interest_def);
    char *p = strstr(b.data, "$interest_days");
    memcpy(p, "$as_of_day    ", 14);
    cdp_buf_adds(&b, "interest != null");
    CHECK(!native(env, b.data));
    /* spaces, line breaks and comments do not matter */
    CHECK(native(env, "def days_since( $t ) : $as_of_day - # why\n ( $t[0:10] | strptime( \"%Y-%m-%d\" )"
                      "|mktime/86400|floor ) ; days_since(.a) < 3"));
    /* a library definition without its variable: jq's (jq says why) */
    struct cdp_jq_vars none = CDP_JQ_VARS_INIT;
    struct cdp_native_env *bare = cdp_native_env_new(&none);
    cdp_buf_reset(&b);
    cdp_buf_printf(&b, "%sdays_since(.a) < 3", days_since_def);
    CHECK(!native(bare, b.data));
    CHECK(native(bare, "def f($a; $b): $a + $b; f(.x; 1) > 2"));
    cdp_native_env_free(bare);
    cdp_buf_release(&b);
    cdp_native_env_free(env);
    cdp_jq_vars_release(&vars);
}

/* A few answers spelt out, beside the comparison with jq. */
static void test_answers(void)
{
    struct cdp_jq_vars vars = CDP_JQ_VARS_INIT;
    struct cdp_error err;
    cdp_jq_vars_add(&vars, "as_of_day", "20777", true, &err);
    struct cdp_native_env *env = cdp_native_env_new(&vars);
    struct cdp_json_parser *json = cdp_json_parser_new();
    struct cdp_native_run *run = cdp_native_run_new(env);
    static const struct {
        const char *program, *record;
        int want;
    } cases[] = {
        { ".a > 1", "{\"a\":2}", 1 },
        { ".a > 1", "{\"a\":\"0\"}", 1 },       /* strings sort after numbers */
        { ".a < 1", "{}", 1 },                  /* null first */
        { ".a == false", "{\"a\":null}", 0 },
        { ".a // 5 | . == 5", "{\"a\":false}", 1 },
        { ".a.b", "{\"a\":\"x\"}", CDP_NATIVE_ASK_JQ }, /* jq: cannot index string */
        { ".a.b // 1", "{\"a\":\"x\"}", CDP_NATIVE_ASK_JQ }, /* jq 1.6's // does not catch */
        { ".a / .b > 0", "{\"a\":1,\"b\":0}", CDP_NATIVE_ASK_JQ },
        { ".a[1] == 3", "{\"a\":[1,3]}", 1 },
        { ".a == .b", "{\"a\":[1],\"b\":[1]}", CDP_NATIVE_ASK_JQ },
        { ".a != .b", "{\"a\":1,\"b\":[1]}", 1 },
        { ".a == []", "{\"a\":{}}", 0 },
        { "def x: 1; def y: x; def x: y; x == 1", "{}", 1 }, /* not recursion */
        { "length == 2", "{\"a\":1,\"b\":2}", 1 },
        { "(.a | length) == 1", "{\"a\":{\"k\":1,\"k\":2}}", 1 },
        { ".a % 3 == -2", "{\"a\":-5}", 1 },
        { "$as_of_day == 20777", "{}", 1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct cdp_native *n = cdp_native_compile(env, cases[i].program);
        CHECK(n != NULL);
        if (!n)
            continue;
        size_t len = strlen(cases[i].record);
        char *padded = cdp_xcalloc(1, len + CDP_LINE_PADDING + 1);
        memcpy(padded, cases[i].record, len);
        struct cdp_record rec = CDP_RECORD_INIT;
        CHECK(cdp_json_parse_object(json, padded, len, &rec, &err) == CDP_JSON_OK);
        cdp_native_run_input(run, &rec);
        int got = cdp_native_test(n, run);
        if (got != cases[i].want)
            fprintf(stderr, "test_native: %s on %s: %d, want %d\n", cases[i].program,
                    cases[i].record, got, cases[i].want);
        CHECK(got == cases[i].want);
        cdp_record_release(&rec);
        free(padded);
        cdp_native_free(n);
    }
    cdp_native_run_free(run);
    cdp_json_parser_free(json);
    cdp_native_env_free(env);
    cdp_jq_vars_release(&vars);
}

/* ---- random programs -------------------------------------------------------
 *
 * Expressions drawn from the grammar native.h takes, some with a character
 * dropped or doubled: whatever compiles natively must compile in jq 1.6
 * (a native rule is not compiled by libjq before the run), and answer as jq
 * on a few records. */

struct text {
    char s[4096];
    size_t n;
};

static void emit(struct text *t, const char *s)
{
    size_t n = strlen(s);
    if (t->n + n < sizeof t->s) {
        memcpy(t->s + t->n, s, n + 1);
        t->n += n;
    }
}

static void random_expr(struct rng *r, struct text *t, int depth)
{
    static const char *const lits[] = { "0", "1", "-1", "2.5", "1e3", "\"s\"", "\"Кухня\"", "true",
                                        "false", "null", "[]", "{}", "\"\"", "1e300" };
    static const char *const fields[] = { ".a", ".b", ".n", ".s", ".o", ".arr", ".x" };
    static const char *const ops[] = { " == ", " != ", " < ", " <= ", " > ", " >= ", " + ", " - ",
                                       " * ", " / ", " % ", " and ", " or ", " // ", " | " };
    switch (next(r) % (depth > 3 ? 4 : 13)) {
    case 0: emit(t, PICK(r, lits)); break;
    case 1: emit(t, PICK(r, fields)); if (next(r) % 3 == 0) emit(t, PICK(r, fields)); break;
    case 2: emit(t, next(r) % 2 ? "$x" : "$v"); break;
    case 3: emit(t, "."); break;
    case 4: random_expr(r, t, depth + 1); emit(t, PICK(r, ops)); random_expr(r, t, depth + 1); break;
    case 5: emit(t, "("); random_expr(r, t, depth + 1); emit(t, ")"); break;
    case 6: emit(t, "("); random_expr(r, t, depth + 1); emit(t, " | not)"); break;
    case 7:
        emit(t, "if "); random_expr(r, t, depth + 1); emit(t, " then "); random_expr(r, t, depth + 1);
        emit(t, " else "); random_expr(r, t, depth + 1); emit(t, " end");
        break;
    case 8: emit(t, "("); random_expr(r, t, depth + 1); emit(t, " as $v | "); random_expr(r, t, depth + 1); emit(t, ")"); break;
    case 9: emit(t, "-"); random_expr(r, t, depth + 1); break;
    case 10: emit(t, "("); random_expr(r, t, depth + 1); emit(t, ")["); random_expr(r, t, depth + 1); emit(t, "]"); break;
    case 11: emit(t, "("); random_expr(r, t, depth + 1); emit(t, next(r) % 2 ? " | length)" : " | type)"); break;
    default: emit(t, "f("); random_expr(r, t, depth + 1); emit(t, ")"); break;
    }
}

static void test_random_programs(size_t want)
{
    static const char *const records[] = {
        "{\"a\":1,\"b\":\"s\",\"n\":null,\"s\":\"Кухня\",\"o\":{\"a\":2,\"b\":[1]},\"arr\":[1,\"s\",null]}",
        "{\"a\":\"1\",\"b\":2.5,\"o\":null,\"arr\":{},\"x\":true}",
        "{\"a\":0,\"b\":-1,\"n\":false,\"o\":{\"x\":{\"a\":1}},\"arr\":[]}",
        "{}",
        "{\"a\":1e300,\"b\":1e-300,\"s\":\"\",\"o\":\"str\",\"arr\":[[1],[2]]}",
    };
    struct cdp_jq_vars vars = CDP_JQ_VARS_INIT;
    struct cdp_error err;
    cdp_jq_vars_add(&vars, "x", "1", true, &err);
    struct cdp_native_env *env = cdp_native_env_new(&vars);
    struct cdp_native_run *run = cdp_native_run_new(env);
    struct cdp_json_parser *json = cdp_json_parser_new();
    struct cdp_record recs[5];
    char *padded[5];
    for (size_t i = 0; i < 5; i++) {
        size_t len = strlen(records[i]);
        padded[i] = cdp_xcalloc(1, len + CDP_LINE_PADDING + 1);
        memcpy(padded[i], records[i], len);
        recs[i] = (struct cdp_record)CDP_RECORD_INIT;
        CHECK(cdp_json_parse_object(json, padded[i], len, &recs[i], &err) == CDP_JSON_OK);
    }
    struct rng r = { 12345 };
    size_t accepted = 0, answered = 0;
    for (size_t tries = 0; accepted < want && tries < 100 * want; tries++) {
        struct text t = { .n = 0 };
        t.s[0] = '\0';
        emit(&t, "def f($p): $p + 1; ");
        random_expr(&r, &t, 0);
        if (next(&r) % 4 == 0 && t.n > 20) { /* a character dropped or doubled */
            size_t k = 19 + next(&r) % (t.n - 19);
            if (next(&r) % 2)
                memmove(t.s + k, t.s + k + 1, t.n - k);
            else
                memmove(t.s + k + 1, t.s + k, t.n - k + 1);
        }
        if (strstr(t.s, "$v") && !strstr(t.s, "as $v"))
            continue;
        struct cdp_native *n = cdp_native_compile(env, t.s);
        if (!n)
            continue;
        accepted++;
        struct cdp_jq *q = cdp_jq_compile(t.s, &vars, &err);
        if (!q)
            fprintf(stderr, "test_native: native, not jq: %s: %s\n", t.s, err.msg);
        CHECK(q != NULL);
        for (size_t i = 0; q && i < 5; i++) {
            cdp_native_run_input(run, &recs[i]);
            int got = cdp_native_test(n, run);
            if (got == CDP_NATIVE_ASK_JQ)
                continue;
            int want_jq = cdp_jq_test_record(q, &recs[i], &err);
            answered++;
            if (got != want_jq)
                fprintf(stderr, "test_native: %s on %s: native %d, jq %d\n", t.s, records[i], got,
                        want_jq);
            CHECK(got == want_jq);
        }
        cdp_jq_free(q);
        cdp_native_free(n);
    }
    CHECK(accepted == want);
    CHECK(answered > want); /* not everything left to jq */
    for (size_t i = 0; i < 5; i++) {
        cdp_record_release(&recs[i]);
        free(padded[i]);
    }
    cdp_json_parser_free(json);
    cdp_native_run_free(run);
    cdp_native_env_free(env);
    cdp_jq_vars_release(&vars);
}

int main(void)
{
    const char *runs = getenv("CDP_NATIVE_RECORDS");
    size_t n = runs ? strtoul(runs, NULL, 10) : 2000;
    test_boundary();
    test_answers();
    test_random_programs(60);
    compare_all("2026-11-20", "20777", n);
    compare_all("2024-12-28", "20085", n);
    return check_report("test_native");
}
