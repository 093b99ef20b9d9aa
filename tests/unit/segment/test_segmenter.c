/* test_segmenter: one run of cdp-segment (segment/segmenter.h) over a file:
 * what consume and progress see, the output with the gone record last, the
 * rejects, split, report, --stats and history files, the same bytes with
 * and without worker threads; nothing in place before the commit, and
 * none of the files when one of them cannot be written; the files of a
 * sharded step (cdp_segment_files_commit). It runs in the scratch folder,
 * so that a file's name is its path. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../check.h"
#include "../files.h"
#include "io/output.h"
#include "segment/segmenter.h"

struct seen {
    uint64_t bytes_calls, batches, profiles, rejected, memberships;
    size_t messages;
    const char *stats_path; /* what stats writes, or NULL: it fails */
};

static void progress(void *ctx, uint64_t bytes)
{
    struct seen *s = ctx;
    s->bytes_calls++;
    CHECK(bytes > 0);
}

static void consume(void *ctx, const struct cdp_segment_batch *b, const struct cdp_segment_totals *n)
{
    struct seen *s = ctx;
    s->batches++;
    s->profiles += n->profiles;
    s->rejected += n->rejected;
    s->memberships += n->memberships;
    s->messages += b->messages.len;
}

static struct cdp_output *stats(void *ctx, struct cdp_error *err)
{
    struct seen *s = ctx;
    if (!s->stats_path) {
        cdp_errorf(err, "no stats");
        return NULL;
    }
    struct cdp_output_options oo = { 0 };
    struct cdp_output *o = cdp_output_open(s->stats_path, &oo, err);
    if (o)
        cdp_output_write(o, "{\"stats\":1}\n", 12);
    return o;
}

static const char input[] =
    "{\"cdp_id\":\"a\",\"orders\":1,\"revenue\":10}\n"
    "not json\n"
    "{\"cdp_id\":\"b\",\"orders\":0}\n";

static const char previous[] =
    "{\"cdp_id\":\"a\",\"segments\":[]}\n"
    "{\"cdp_id\":\"z\",\"segments\":[\"buyer\"]}\n";

static const char want_out[] =
    "{\"cdp_id\":\"a\",\"orders\":1,\"revenue\":10,\"segments\":[\"buyer\"],\"entered\":[\"buyer\"],\"exited\":[]}\n"
    "{\"cdp_id\":\"b\",\"orders\":0,\"segments\":[],\"entered\":[],\"exited\":[]}\n"
    "{\"cdp_id\":\"z\",\"segments\":[],\"entered\":[],\"exited\":[\"buyer\"],\"gone\":true}\n";

static const char want_report[] =
    "{\"as_of\":\"2026-11-20\",\"profiles\":2,\"gone\":1,\"segments\":{"
    "\"buyer\":{\"members\":1,\"holdout\":0,\"entered\":1,\"exited\":1,\"revenue\":10.00,"
    "\"revenue_mean\":10.00,\"errors\":0}}}\n";

static struct cdp_segment_engine *engine(struct cdp_ruleset *rs, struct cdp_segment_options *opt)
{
    struct cdp_error err;
    CHECK(cdp_ruleset_add_spec(rs, "buyer=.orders > 0", &err) == 0);
    CHECK(cdp_ruleset_finish(rs, &err) == 0);
    *opt = (struct cdp_segment_options){ rs, NULL, 20777, 0, "cdp", false, NULL, 0, 0 };
    return cdp_segment_engine_new(opt, &err);
}

static struct cdp_segmenter_options options(struct cdp_segment_engine *e, const char *const *inputs,
                                            struct cdp_reader_options *ro, struct cdp_output_options *oo,
                                            struct seen *seen)
{
    return (struct cdp_segmenter_options){
        .engine = e, .inputs = inputs, .ninputs = 1, .in = ro,
        .previous = "prev.ndjson", .output = "out.ndjson", .out = oo,
        .rejects = "rejects.ndjson", .split = "split",
        .report = "report.json", .history = "history.ndjson",
        .progress = progress, .consume = consume, .stats = stats, .ctx = seen,
    };
}

/* A whole run, with nworkers threads: the same files either way. */
static void test_run(size_t nworkers)
{
    struct cdp_ruleset rs = CDP_RULESET_INIT;
    struct cdp_segment_options opt;
    struct cdp_segment_engine *e = engine(&rs, &opt);
    CHECK(e != NULL);
    const char *inputs[] = { "in.ndjson" };
    write_file("in.ndjson", input);
    write_file("prev.ndjson", previous);
    unlink("out.ndjson");
    unlink("split/buyer.ndjson");
    unlink("history.ndjson");
    struct cdp_reader_options ro = { 0 };
    struct cdp_output_options oo = { 0 };
    struct seen seen = { .stats_path = "stats.json" };
    struct cdp_segmenter_options o = options(e, inputs, &ro, &oo, &seen);
    o.nworkers = nworkers;
    struct cdp_error err;
    bool bad_rule = true;
    struct cdp_segmenter *s = cdp_segmenter_new(&o, &bad_rule, &err);
    CHECK(s != NULL && !bad_rule);
    struct cdp_buf jq = CDP_BUF_INIT;
    CHECK(cdp_segmenter_native_rules(s, &jq) == 1 && jq.len == 0);
    cdp_buf_release(&jq);
    CHECK(cdp_segmenter_run(s, &err) == 0);
    CHECK(seen.bytes_calls == 3 && seen.batches == 1);
    CHECK(seen.profiles == 2 && seen.rejected == 1 && seen.memberships == 1 && seen.messages > 0);
    CHECK(cdp_segmenter_asked_jq(s) == 0);
    CHECK(cdp_segmenter_write_gone(s, &err) == 1);
    /* nothing in place before the commit */
    CHECK_STR(file_text("out.ndjson"), "(missing)");
    CHECK_STR(file_text("split/buyer.ndjson"), "(missing)");
    CHECK(cdp_segmenter_commit(s, opt.as_of_day, &err) == 0);
    CHECK_STR(file_text("out.ndjson"), want_out);
    CHECK_STR(file_text("split/buyer.ndjson"),
              "{\"cdp_id\":\"a\",\"orders\":1,\"revenue\":10,\"segments\":[\"buyer\"],\"entered\":[\"buyer\"],"
              "\"exited\":[]}\n");
    CHECK_STR(file_text("rejects.ndjson"),
              "{\"_source\":null,\"file\":\"in.ndjson\",\"line\":2,\"row\":2,\"code\":\"invalid_json\",\"reason\":\"invalid JSON: "
              "Problem while parsing an atom starting with the letter 'n'\",\"raw\":\"not json\"}\n");
    CHECK_STR(file_text("report.json"), want_report);
    CHECK_STR(file_text("history.ndjson"), want_report);
    CHECK_STR(file_text("stats.json"), "{\"stats\":1}\n");
    cdp_segmenter_free(s);
    cdp_segment_engine_free(e);
    cdp_ruleset_release(&rs);
}

/* A file that cannot be made: the run fails and leaves every file as it
 * was; a last run that cannot be read fails before any output is opened. */
static void test_failures(void)
{
    struct cdp_ruleset rs = CDP_RULESET_INIT;
    struct cdp_segment_options opt;
    struct cdp_segment_engine *e = engine(&rs, &opt);
    const char *inputs[] = { "in.ndjson" };
    write_file("out.ndjson", "old\n");
    write_file("history.ndjson", "old\n");
    struct cdp_reader_options ro = { 0 };
    struct cdp_output_options oo = { 0 };
    struct seen seen = { .stats_path = NULL };
    struct cdp_segmenter_options o = options(e, inputs, &ro, &oo, &seen);
    struct cdp_error err;
    bool bad_rule;
    struct cdp_segmenter *s = cdp_segmenter_new(&o, &bad_rule, &err);
    CHECK(s != NULL);
    CHECK(cdp_segmenter_run(s, &err) == 0 && cdp_segmenter_write_gone(s, &err) == 1);
    CHECK(cdp_segmenter_commit(s, opt.as_of_day, &err) == -1);
    CHECK_STR(err.msg, "no stats");
    CHECK_STR(file_text("out.ndjson"), "old\n");
    CHECK_STR(file_text("history.ndjson"), "old\n");
    cdp_segmenter_free(s);
    cdp_segment_engine_free(e);
    cdp_ruleset_release(&rs);

    /* an engine reads one last run: a new one */
    rs = (struct cdp_ruleset)CDP_RULESET_INIT;
    o.engine = e = engine(&rs, &opt);
    o.previous = "no-such-file";
    o.output = "out2.ndjson";
    bad_rule = true;
    CHECK(cdp_segmenter_new(&o, &bad_rule, &err) == NULL && !bad_rule);
    CHECK(strstr(err.msg, "no-such-file") != NULL);
    CHECK_STR(file_text("out2.ndjson"), "(missing)");
    cdp_segment_engine_free(e);
    cdp_ruleset_release(&rs);
}

/* A sharded step's files: no output, the report and history only. */
static void test_files_commit(void)
{
    struct cdp_segment_stat stat = { "buyer", true, 1, 0, 0, 0, 0, 10 };
    struct cdp_segment_report rep = { 20777, 2, false, 0, &stat, 1 };
    unlink("history.ndjson");
    struct cdp_segment_files f = { .report = &rep, .report_path = "step.json", .history_path = "history.ndjson" };
    struct cdp_error err;
    CHECK(cdp_segment_files_commit(&f, &err) == 0);
    static const char want[] = "{\"as_of\":\"2026-11-20\",\"profiles\":2,\"segments\":{\"buyer\":{\"members\":1,"
                               "\"holdout\":0,\"revenue\":10.00,\"revenue_mean\":10.00,\"errors\":0}}}\n";
    CHECK_STR(file_text("step.json"), want);
    CHECK_STR(file_text("history.ndjson"), want);
    /* without a report, neither file is written */
    f.report = NULL;
    f.report_path = "none.json";
    CHECK(cdp_segment_files_commit(&f, &err) == 0);
    CHECK_STR(file_text("none.json"), "(missing)");
    CHECK_STR(file_text("history.ndjson"), want);
}

int main(void)
{
    files_setup("segmenter");
    if (chdir(files_dir) < 0) {
        perror(files_dir);
        return 1;
    }
    test_run(0);
    test_run(2);
    test_failures();
    test_files_commit();
    CHECK(chdir("/") == 0);
    files_cleanup();
    return check_report("test_segmenter");
}
