/* test_history: the report and history files (segment/history.h): the exact
 * bytes written, an append a run, reading both back (compressed too), and a
 * damaged line as an error naming file:line. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../check.h"
#include "../files.h"
#include "segment/history.h"

static struct cdp_segment_stat stats[] = {
    { "lost", true, 2, 0, 1, 0, 0, 1200.5 },
    { "old", false, 0, 0, 0, 3, 0, 0 },
    { "vip \"best\"", true, 3, 1, 0, 0, 2, 100 },
};

static const char one_line[] =
    "{\"as_of\":\"2026-11-20\",\"profiles\":4,\"gone\":1,\"segments\":{"
    "\"lost\":{\"members\":2,\"holdout\":0,\"entered\":1,\"exited\":0,\"revenue\":1200.50,\"revenue_mean\":600.25,\"errors\":0},"
    "\"old\":{\"members\":0,\"holdout\":0,\"entered\":0,\"exited\":3,\"revenue\":0.00,\"revenue_mean\":null,\"defined\":false},"
    "\"vip \\\"best\\\"\":{\"members\":3,\"holdout\":1,\"entered\":0,\"exited\":0,\"revenue\":100.00,\"revenue_mean\":33.33,\"errors\":2}}}";

static const char no_deltas[] =
    "{\"as_of\":\"2026-11-21\",\"profiles\":4,\"segments\":{"
    "\"lost\":{\"members\":2,\"holdout\":0,\"revenue\":1200.50,\"revenue_mean\":600.25,\"errors\":0}}}";

/* Each report read, formatted again, one a line. */
static int collect(void *ctx, const struct cdp_segment_report *r, struct cdp_error *err)
{
    (void)err;
    cdp_segment_report_format(r, ctx);
    cdp_buf_addc(ctx, '\n');
    return 0;
}

static int stop(void *ctx, const struct cdp_segment_report *r, struct cdp_error *err)
{
    (void)ctx;
    (void)r;
    return cdp_errorf(err, "stopped");
}

static void test_write_read(void)
{
    struct cdp_segment_report r = { 20777, 4, true, 1, stats, 3 };
    struct cdp_buf b = CDP_BUF_INIT;
    cdp_segment_report_format(&r, &b);
    CHECK_STR(b.data, one_line);
    struct cdp_error err;
    CHECK(cdp_segment_report_write(path_of("report.json"), &r, &err) == 0);
    char *text = read_file(path_of("report.json"));
    cdp_buf_addc(&b, '\n');
    CHECK_STR(text, b.data);
    free(text);

    /* the history grows by a line a run */
    struct cdp_segment_report r2 = { 20778, 4, false, 0, stats, 1 };
    CHECK(cdp_history_append(path_of("history.ndjson"), &r, &err) == 0);
    CHECK(cdp_history_append(path_of("history.ndjson"), &r2, &err) == 0);
    struct cdp_buf want = CDP_BUF_INIT;
    cdp_buf_printf(&want, "%s\n%s\n", one_line, no_deltas);
    text = read_file(path_of("history.ndjson"));
    CHECK_STR(text, want.data);
    free(text);

    /* read back, each line gives the same report */
    struct cdp_buf got = CDP_BUF_INIT;
    CHECK(cdp_history_read(path_of("history.ndjson"), collect, &got, &err) == 0);
    CHECK_STR(got.data, want.data);
    cdp_buf_reset(&got);
    CHECK(cdp_segment_report_write(path_of("report.json.zst"), &r2, &err) == 0);
    CHECK(cdp_history_read(path_of("report.json.zst"), collect, &got, &err) == 0);
    cdp_buf_reset(&want);
    cdp_buf_printf(&want, "%s\n", no_deltas);
    CHECK_STR(got.data, want.data);
    CHECK(cdp_history_read(path_of("history.ndjson"), stop, NULL, &err) == -1);
    CHECK_STR(err.msg, "stopped");
    CHECK(cdp_history_read(path_of("none.ndjson"), collect, &got, &err) == -1);
    CHECK(strstr(err.msg, "none.ndjson") && strstr(err.msg, "No such file"));
    CHECK(cdp_history_append("/nonexistent/h.ndjson", &r, &err) == -1);
    CHECK_STR(err.msg, "cannot create '/nonexistent/h.ndjson': No such file or directory");
    cdp_buf_release(&b);
    cdp_buf_release(&want);
    cdp_buf_release(&got);
}

static void test_damaged(void)
{
    static const struct {
        const char *line, *why;
    } cases[] = {
        { "[1]", "not a JSON object" },
        { "{\"profiles\":1,\"segments\":{}}", "no \"as_of\" date" },
        { "{\"as_of\":\"2026-13-01\",\"profiles\":1,\"segments\":{}}", "no \"as_of\" date" },
        { "{\"as_of\":\"2026-11-20\",\"segments\":{}}", "no \"profiles\" or \"gone\" count" },
        { "{\"as_of\":\"2026-11-20\",\"profiles\":1,\"gone\":\"x\",\"segments\":{}}",
          "no \"profiles\" or \"gone\" count" },
        { "{\"as_of\":\"2026-11-20\",\"profiles\":1,\"segments\":[]}", "no \"segments\" object" },
        { "{\"as_of\":\"2026-11-20\",\"profiles\":1,\"segments\":{\"a\":1}}", "segment \"a\" is not an object" },
        { "{\"as_of\":\"2026-11-20\",\"profiles\":1,\"segments\":{\"a\":{\"members\":1}}}",
          "segment \"a\" lacks a count" },
        { "{\"as_of\":\"2026-11-20\",\"profiles\":1,\"gone\":0,\"segments\":{\"a\":{\"members\":1,"
          "\"holdout\":0,\"revenue\":1,\"errors\":0}}}",
          "segment \"a\" lacks a count" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct cdp_buf text = CDP_BUF_INIT, want = CDP_BUF_INIT, got = CDP_BUF_INIT;
        /* a good line and a blank one before */
        cdp_buf_printf(&text, "%s\n\n%s\n", no_deltas, cases[i].line);
        write_file("bad.ndjson", text.data);
        struct cdp_error err;
        CHECK(cdp_history_read(path_of("bad.ndjson"), collect, &got, &err) == -1);
        cdp_buf_printf(&want, "%s:3: damaged history line: %s", path_of("bad.ndjson"), cases[i].why);
        CHECK_STR(err.msg, want.data);
        cdp_buf_release(&text);
        cdp_buf_release(&want);
        cdp_buf_release(&got);
    }
}

int main(void)
{
    files_setup("history");
    test_write_read();
    test_damaged();
    files_cleanup();
    return check_report("test_history");
}
