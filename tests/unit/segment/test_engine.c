/* test_engine: cdp-segment's engine (segment/engine.h) line by line: the
 * output bytes, rejected lines and their codes, rule errors, stale members,
 * rules that read other segments, control groups, deltas against the last
 * run (merged ids followed), gone records, the tally and its report, the
 * population pass and $vip_threshold; and the split files (segment/split.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../check.h"
#include "../files.h"
#include "segment/engine.h"
#include "segment/history.h"
#include "segment/split.h"

/* Every test runs twice: rules native where they can be, then all in libjq
 * (CDP_NATIVE=0); the expected bytes are the same. */
static bool jq_only;

/* The lines as the reader gives them, numbered from 1. */
static void fill(struct cdp_segment_batch *b, const char *const *lines, size_t n)
{
    struct cdp_record rec = CDP_RECORD_INIT;
    for (size_t i = 0; i < n; i++) {
        struct cdp_row row;
        memset(&row, 0, sizeof row);
        row.line = row.number = i + 1;
        row.raw = lines[i];
        row.rawlen = strlen(lines[i]);
        cdp_batch_add(&b->lines, CDP_READ_ROW, &rec, &row);
    }
    cdp_record_release(&rec);
}

/* Line i's output, or its code when rejected. */
static const char *output_of(const struct cdp_segment_batch *b, size_t i)
{
    static char text[1024];
    size_t start = i ? b->results[i - 1].out_end : 0;
    if (b->results[i].code)
        return b->results[i].code;
    snprintf(text, sizeof text, "%.*s", (int)(b->results[i].out_end - start), b->out.data + start);
    return text;
}

/* Line i's messages, joined by " | ". */
static const char *messages_of(const struct cdp_segment_batch *b, size_t i)
{
    static char text[1024];
    size_t start = i ? b->results[i - 1].messages_end : 0;
    text[0] = '\0';
    for (const char *m = b->messages.data + start; m < b->messages.data + b->results[i].messages_end;
         m += strlen(m) + 1)
        snprintf(text + strlen(text), sizeof text - strlen(text), "%s%s", *text ? " | " : "", m);
    return text;
}

/* Line i's events as "name:kind" (kind m, h, e, x), space-separated. */
static const char *events_of(const struct cdp_segment_engine *e, const struct cdp_segment_batch *b,
                             size_t i, const char *const *names)
{
    static char text[1024];
    size_t start = i ? b->results[i - 1].events_end : 0;
    text[0] = '\0';
    for (size_t k = start; k < b->results[i].events_end; k++) {
        uint32_t name = CDP_SEGMENT_EVENT_NAME(b->events[k]);
        const char *s = name < cdp_segment_rule_count(e) ? cdp_segment_rule_name(e, name) : names[name];
        snprintf(text + strlen(text), sizeof text - strlen(text), "%s%s:%c", *text ? " " : "", s,
                 "mhex"[CDP_SEGMENT_EVENT_KIND(b->events[k])]);
    }
    return text;
}

static void add_rules(struct cdp_ruleset *rs, const char *const *specs, size_t n)
{
    struct cdp_error err;
    for (size_t i = 0; i < n; i++)
        CHECK(cdp_ruleset_add_spec(rs, specs[i], &err) == 0);
    CHECK(cdp_ruleset_finish(rs, &err) == 0);
}

static const char *const specs[] = {
    "buyer=.orders > 0",
    "big=segment(\"buyer\") and .revenue > 100",
    "named=.name | ascii_downcase == \"ann\"",
};

static void test_lines(void)
{
    struct cdp_ruleset rs = CDP_RULESET_INIT;
    add_rules(&rs, specs, 3);
    struct cdp_segment_options opt = { &rs, NULL, 20412, 0, "cdp", jq_only, NULL, 0, 0 };
    struct cdp_error err;
    struct cdp_segment_engine *e = cdp_segment_engine_new(&opt, &err);
    CHECK(e != NULL);
    CHECK(!cdp_segment_needs_population(e));
    CHECK(cdp_segment_rule_count(e) == 3);
    struct cdp_segment_worker *w = cdp_segment_worker_new(e, true, &err);
    struct cdp_segment_batch *b = cdp_segment_batch_new(e);
    static const char *const lines[] = {
        "{\"cdp_id\":\"a\",\"orders\":1,\"revenue\":150.50,\"name\":\"Ann\"}",
        "{\"cdp_id\":\"b\",\"orders\":0,\"name\":\"Bob\"} ",
        "not json",
        "{\"orders\":2}",
        "{\"cdp_id\":\"c\",\"segments\":[\"old\"],\"orders\":2,\"revenue\":5,\"rfm\":{}}",
        "{\"cdp_id\":\"\"}",
        "{ }",
    };
    fill(b, lines, 7);
    cdp_segment_batch_run(w, b);
    /* as read, the members added before the closing brace */
    CHECK_STR(output_of(b, 0), "{\"cdp_id\":\"a\",\"orders\":1,\"revenue\":150.50,\"name\":\"Ann\","
                               "\"segments\":[\"big\",\"buyer\",\"named\"]}\n");
    CHECK_STR(messages_of(b, 0), "");
    CHECK_STR(events_of(e, b, 0, NULL), "big:m buyer:m named:m");
    CHECK(b->results[0].revenue == 150.5);
    CHECK_STR(output_of(b, 1), "{\"cdp_id\":\"b\",\"orders\":0,\"name\":\"Bob\",\"segments\":[]}\n");
    CHECK_STR(output_of(b, 2), "invalid_json");
    CHECK_STR(messages_of(b, 2), "invalid JSON: Problem while parsing an atom starting with the letter 'n'");
    CHECK_STR(output_of(b, 3), "no_cdp_id");
    CHECK_STR(messages_of(b, 3), "no cdp_id");
    /* an earlier run's members dropped: the line rebuilt without them */
    CHECK_STR(output_of(b, 4), "{\"cdp_id\":\"c\",\"orders\":2,\"revenue\":5,\"segments\":[\"buyer\"]}\n");
    CHECK_STR(messages_of(b, 4), "cdp_id c: segment named: explode input must be a string");
    CHECK_STR(events_of(e, b, 4, NULL), "buyer:m");
    CHECK(b->rule_errors[2] == 1 && b->rule_errors[0] == 0);
    CHECK_STR(output_of(b, 5), "no_cdp_id");
    CHECK_STR(output_of(b, 6), "no_cdp_id");
    CHECK(isnan(b->results[1].revenue));

    struct cdp_segment_tally *t = cdp_segment_tally_new(e);
    struct cdp_segment_totals n;
    cdp_segment_tally_batch(t, b, &n);
    CHECK(n.profiles == 3 && n.rejected == 4 && n.memberships == 4 && n.held_out == 0);
    CHECK(cdp_segment_tally_end(t, NULL, NULL, &err) == 0);
    struct cdp_segment_report rep;
    cdp_segment_tally_report(t, 20412, &rep);
    struct cdp_buf text = CDP_BUF_INIT;
    cdp_segment_report_format(&rep, &text);
    CHECK_STR(text.data,
              "{\"as_of\":\"2025-11-20\",\"profiles\":3,\"segments\":{"
              "\"big\":{\"members\":1,\"holdout\":0,\"revenue\":150.50,\"revenue_mean\":150.50,\"errors\":0},"
              "\"buyer\":{\"members\":2,\"holdout\":0,\"revenue\":155.50,\"revenue_mean\":77.75,\"errors\":0},"
              "\"named\":{\"members\":1,\"holdout\":0,\"revenue\":150.50,\"revenue_mean\":150.50,\"errors\":1}}}");
    cdp_buf_release(&text);
    cdp_segment_report_release(&rep);

    /* The batch is reused: cleared, it starts again. */
    cdp_segment_batch_clear(b);
    fill(b, lines + 1, 1);
    cdp_segment_batch_run(w, b);
    CHECK(b->lines.n == 1 && b->nevents == 0 && b->rule_errors[2] == 0);
    CHECK_STR(output_of(b, 0), "{\"cdp_id\":\"b\",\"orders\":0,\"name\":\"Bob\",\"segments\":[]}\n");
    cdp_segment_tally_free(t);
    cdp_segment_batch_free(b);
    cdp_segment_worker_free(w);
    cdp_segment_engine_free(e);
    cdp_ruleset_release(&rs);
}

static void test_compile_errors(void)
{
    struct cdp_ruleset rs = CDP_RULESET_INIT;
    static const char *const bad[] = { "ok=true", "broken=.x |||" };
    add_rules(&rs, bad, 2);
    struct cdp_segment_options opt = { &rs, NULL, 0, 0, "cdp", jq_only, NULL, 0, 0 };
    struct cdp_error err;
    CHECK(cdp_segment_engine_new(&opt, &err) == NULL);
    CHECK(strncmp(err.msg, "-s broken: segment broken: syntax error, ", 41) == 0);
    cdp_ruleset_release(&rs);
    /* $as_of, $as_of_day and --arg are bound */
    struct cdp_ruleset rs2 = CDP_RULESET_INIT;
    static const char *const vars[] = { "today=$as_of == \"1970-01-02\" and $as_of_day == 1 and $who == \"x\"" };
    add_rules(&rs2, vars, 1);
    struct cdp_jq_vars args = CDP_JQ_VARS_INIT;
    cdp_jq_vars_add(&args, "who", "x", false, &err);
    struct cdp_segment_options opt2 = { &rs2, &args, 1, 0, "cdp", jq_only, NULL, 0, 0 };
    struct cdp_segment_engine *e = cdp_segment_engine_new(&opt2, &err);
    struct cdp_segment_worker *w = cdp_segment_worker_new(e, false, &err);
    struct cdp_segment_batch *b = cdp_segment_batch_new(e);
    static const char *const one[] = { "{\"cdp_id\":\"a\"}" };
    fill(b, one, 1);
    cdp_segment_batch_run(w, b); /* compiles at its first batch */
    CHECK_STR(output_of(b, 0), "{\"cdp_id\":\"a\",\"segments\":[\"today\"]}\n");
    cdp_segment_batch_free(b);
    cdp_segment_worker_free(w);
    cdp_segment_engine_free(e);
    cdp_jq_vars_release(&args);
    cdp_ruleset_release(&rs2);
}

static void test_holdout(void)
{
    struct cdp_ruleset rs = CDP_RULESET_INIT;
    add_rules(&rs, specs, 1);
    static const char *const lines[] = { "{\"cdp_id\":\"a\",\"orders\":1}", "{\"cdp_id\":\"b\",\"orders\":1}" };
    /* Nearly everyone held out, then nearly nobody: the draw is a hash, so
     * these two ids land the same way every time. */
    static const double share[] = { 99.99, 0.01 };
    static const char *const want[] = { "\"segments\":[],\"holdout\":[\"buyer\"]}\n",
                                        "\"segments\":[\"buyer\"],\"holdout\":[]}\n" };
    for (int k = 0; k < 2; k++) {
        struct cdp_segment_options opt = { &rs, NULL, 0, share[k], "salt", jq_only, NULL, 0, 0 };
        struct cdp_error err;
        struct cdp_segment_engine *e = cdp_segment_engine_new(&opt, &err);
        struct cdp_segment_worker *w = cdp_segment_worker_new(e, true, &err);
        struct cdp_segment_batch *b = cdp_segment_batch_new(e);
        fill(b, lines, 2);
        cdp_segment_batch_run(w, b);
        for (size_t i = 0; i < 2; i++) {
            const char *out = output_of(b, i);
            CHECK(strlen(out) > strlen(want[k]) && strcmp(out + strlen(out) - strlen(want[k]), want[k]) == 0);
            CHECK_STR(events_of(e, b, i, NULL), k == 0 ? "buyer:h" : "buyer:m");
        }
        struct cdp_segment_tally *t = cdp_segment_tally_new(e);
        struct cdp_segment_totals n;
        cdp_segment_tally_batch(t, b, &n);
        CHECK(n.held_out == (k == 0 ? 2 : 0) && n.memberships == (k == 0 ? 0 : 2));
        cdp_segment_tally_free(t);
        cdp_segment_batch_free(b);
        cdp_segment_worker_free(w);
        cdp_segment_engine_free(e);
    }
    cdp_ruleset_release(&rs);
}

static void write_gone(void *ctx, const char *line, size_t len)
{
    cdp_buf_add(ctx, line, len);
}

static void test_deltas(void)
{
    struct cdp_ruleset rs = CDP_RULESET_INIT;
    add_rules(&rs, specs, 2);
    struct cdp_segment_options opt = { &rs, NULL, 0, 0, "cdp", jq_only, NULL, 0, 0 };
    struct cdp_error err;
    struct cdp_segment_engine *e = cdp_segment_engine_new(&opt, &err);
    const char *prev = write_file("prev.ndjson",
                                  "{\"cdp_id\":\"a\",\"segments\":[\"buyer\",\"retired\"]}\n"
                                  "{\"cdp_id\":\"z\",\"segments\":[\"buyer\"],\"holdout\":[\"big\"]}\n"
                                  "{\"cdp_id\":\"m\",\"segments\":[\"big\"]}\n"
                                  "{\"cdp_id\":\"q\",\"segments\":[]}\n");
    const char *journal = write_file("journal.ndjson",
                                     "{\"run\":1,\"from\":\"m\",\"to\":\"a\",\"reason\":\"merged\"}\n");
    CHECK(cdp_segment_previous_read(e, prev, journal, &err) == 0);
    struct cdp_segment_worker *w = cdp_segment_worker_new(e, true, &err);
    struct cdp_segment_batch *b = cdp_segment_batch_new(e);
    static const char *const lines[] = {
        "{\"cdp_id\":\"a\",\"orders\":1,\"revenue\":500}",
        "{\"cdp_id\":\"new\",\"orders\":1}",
    };
    fill(b, lines, 2);
    cdp_segment_batch_run(w, b);
    /* a has m's big through the journal: nothing entered, retired exited */
    CHECK_STR(output_of(b, 0), "{\"cdp_id\":\"a\",\"orders\":1,\"revenue\":500,\"segments\":[\"big\",\"buyer\"],"
                               "\"entered\":[],\"exited\":[\"retired\"]}\n");
    static const char *const names[] = { "buyer", "big", "retired" };
    CHECK_STR(events_of(e, b, 0, names), "big:m buyer:m retired:x");
    CHECK(b->results[0].previous != UINT32_MAX && b->results[1].previous == UINT32_MAX);
    CHECK_STR(output_of(b, 1), "{\"cdp_id\":\"new\",\"orders\":1,\"segments\":[\"buyer\"],"
                               "\"entered\":[\"buyer\"],\"exited\":[]}\n");
    struct cdp_segment_tally *t = cdp_segment_tally_new(e);
    struct cdp_segment_totals n;
    cdp_segment_tally_batch(t, b, &n);
    /* z is gone (held out of big counts as in it); m was merged; q was in nothing */
    struct cdp_buf gone = CDP_BUF_INIT;
    CHECK(cdp_segment_tally_end(t, write_gone, &gone, &err) == 1);
    CHECK_STR(gone.data, "{\"cdp_id\":\"z\",\"segments\":[],\"entered\":[],\"exited\":[\"big\",\"buyer\"],\"gone\":true}\n");
    struct cdp_segment_report rep;
    cdp_segment_tally_report(t, 0, &rep);
    struct cdp_buf text = CDP_BUF_INIT;
    cdp_segment_report_format(&rep, &text);
    CHECK_STR(text.data,
              "{\"as_of\":\"1970-01-01\",\"profiles\":2,\"gone\":1,\"segments\":{"
              "\"big\":{\"members\":1,\"holdout\":0,\"entered\":0,\"exited\":1,\"revenue\":500.00,\"revenue_mean\":500.00,\"errors\":0},"
              "\"buyer\":{\"members\":2,\"holdout\":0,\"entered\":1,\"exited\":1,\"revenue\":500.00,\"revenue_mean\":250.00,\"errors\":0},"
              "\"retired\":{\"members\":0,\"holdout\":0,\"entered\":0,\"exited\":1,\"revenue\":0.00,\"revenue_mean\":null,\"defined\":false}}}");
    cdp_buf_release(&text);
    cdp_buf_release(&gone);
    cdp_segment_report_release(&rep);

    /* the split files: members only, one file per rule */
    struct cdp_output_options oo = { 0 };
    struct cdp_segment_split *s = cdp_segment_split_open(e, path_of("split"), &oo, &err);
    CHECK(s != NULL);
    for (size_t i = 0; i < b->lines.n; i++)
        cdp_segment_split_add(s, b, i);
    CHECK(cdp_segment_split_commit(s, &err) == 0);
    cdp_segment_split_free(s);
    char *big = read_file(path_of("split/big.ndjson")), *buyer = read_file(path_of("split/buyer.ndjson"));
    CHECK_STR(big, output_of(b, 0));
    size_t half = strlen(output_of(b, 0));
    CHECK(strlen(buyer) == half + strlen(output_of(b, 1)) && strncmp(buyer, output_of(b, 0), half) == 0);
    free(big);
    free(buyer);
    CHECK(cdp_segment_split_open(e, "/nonexistent/dir", &oo, &err) == NULL);
    CHECK_STR(err.msg, "cannot create '/nonexistent/dir': No such file or directory");

    cdp_segment_tally_free(t);
    cdp_segment_batch_free(b);
    cdp_segment_worker_free(w);
    cdp_segment_engine_free(e);
    cdp_ruleset_release(&rs);
}

static void test_population(void)
{
    struct cdp_ruleset rs = CDP_RULESET_INIT;
    struct cdp_error err;
    static const char rules[] = "needs population\nvip = (.revenue_365d // 0) >= $vip_threshold\n"
                                "champ = .rfm.segment == \"Champions\"\n";
    CHECK(cdp_ruleset_add_text(&rs, rules, strlen(rules), "r.seg", &err) == 0);
    CHECK(cdp_ruleset_finish(&rs, &err) == 0);
    struct cdp_jq_vars args = CDP_JQ_VARS_INIT;
    cdp_jq_vars_add(&args, "vip_percent", "25", true, &err);
    struct cdp_segment_options opt = { &rs, &args, 0, 0, "cdp", jq_only, NULL, 0, 0 };
    struct cdp_segment_engine *e = cdp_segment_engine_new(&opt, &err);
    CHECK(cdp_segment_needs_population(e));
    static const char *const lines[] = {
        "{\"cdp_id\":\"a\",\"orders\":1,\"days_since_last_purchase\":300,\"revenue\":10,\"revenue_365d\":10}",
        "{\"cdp_id\":\"b\",\"orders\":9,\"days_since_last_purchase\":1,\"revenue\":900,\"revenue_365d\":900}",
        "{\"cdp_id\":\"c\",\"orders\":2,\"days_since_last_purchase\":100,\"revenue\":50,\"revenue_365d\":50}",
        "{\"cdp_id\":\"d\"}",
    };
    struct cdp_buf text = CDP_BUF_INIT;
    for (size_t i = 0; i < 4; i++) {
        cdp_buf_adds(&text, lines[i]);
        cdp_buf_addc(&text, '\n');
    }
    struct cdp_reader_options ro = { 0 };
    CHECK(cdp_segment_population_read(e, write_file("pop.ndjson", text.data), &ro, &err) == 0);
    cdp_buf_release(&text);
    cdp_segment_population_done(e);
    struct cdp_segment_worker *w = cdp_segment_worker_new(e, true, &err);
    struct cdp_segment_batch *b = cdp_segment_batch_new(e);
    fill(b, lines, 4);
    cdp_segment_batch_run(w, b);
    /* the top 25% of 3 with revenue_365d: 1 person, b */
    CHECK_STR(events_of(e, b, 0, NULL), "");
    CHECK_STR(events_of(e, b, 1, NULL), "champ:m vip:m");
    CHECK_STR(output_of(b, 1), "{\"cdp_id\":\"b\",\"orders\":9,\"days_since_last_purchase\":1,\"revenue\":900,"
                               "\"revenue_365d\":900,\"rfm\":{\"r\":5,\"f\":5,\"m\":5,\"score\":\"555\","
                               "\"segment\":\"Champions\"},\"segments\":[\"champ\",\"vip\"]}\n");
    CHECK_STR(output_of(b, 3), "{\"cdp_id\":\"d\",\"segments\":[]}\n");
    /* a second pass with another number of lines is refused */
    struct cdp_segment_tally *t = cdp_segment_tally_new(e);
    struct cdp_segment_totals n;
    cdp_segment_tally_batch(t, b, &n);
    CHECK(cdp_segment_tally_end(t, NULL, NULL, &err) == 0);
    cdp_segment_tally_batch(t, b, &n);
    CHECK(cdp_segment_tally_end(t, NULL, NULL, &err) == -1);
    CHECK_STR(err.msg, "the input changed between the two passes (4 lines, then 8)");
    cdp_segment_tally_free(t);
    cdp_segment_batch_free(b);
    cdp_segment_worker_free(w);
    cdp_segment_engine_free(e);
    cdp_jq_vars_release(&args);
    cdp_ruleset_release(&rs);
}

int main(void)
{
    files_setup("engine");
    for (int k = 0; k < 2; k++) {
        jq_only = k == 1;
        test_lines();
        test_compile_errors();
        test_holdout();
        test_deltas();
        test_population();
    }
    files_cleanup();
    return check_report("test_engine");
}
