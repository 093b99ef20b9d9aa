/* Unit tests of lib/identity/dedupe.h: a whole run tells its caller the
 * counts, breakdowns and phases in the order the summary and --stats show
 * them, writes the records with their ids, the rejects and the links, and
 * commits its files all or none (a --stats file that cannot be made leaves
 * the output and the state unwritten). */
#include <stdlib.h>
#include <unistd.h>

#include "../check.h"
#include "../files.h"
#include "identity/dedupe.h"
#include "identity/graph.h"

/* Two records share an e-mail, a third is somebody else, a line is no JSON. */
static const char *const input =
    "{\"_source\":\"crm\",\"_rid\":\"1\",\"email\":\"ann@example.com\"}\n"
    "{\"_source\":\"shop\",\"_rid\":\"7\",\"email\":\"ann@example.com\"}\n"
    "not json\n"
    "{\"_source\":\"crm\",\"_rid\":\"2\",\"email\":\"bob@example.com\"}\n";

/* What the run said, one line each. */
struct said {
    struct cdp_buf log;
    bool fail_stats;
};

static void count(void *ctx, const char *key, const char *label, uint64_t n)
{
    cdp_buf_printf(&((struct said *)ctx)->log, "count %s (%s) %llu\n", key, label, (unsigned long long)n);
}

static void detail(void *ctx, const char *group, const char *key, uint64_t n)
{
    cdp_buf_printf(&((struct said *)ctx)->log, "detail %s.%s %llu\n", group, key, (unsigned long long)n);
}

static void phase(void *ctx, const char *name)
{
    cdp_buf_printf(&((struct said *)ctx)->log, "phase %s\n", name);
}

static void reject(void *ctx, const struct cdp_reject *r)
{
    cdp_buf_printf(&((struct said *)ctx)->log, "reject line %llu %s\n", (unsigned long long)r->line, r->code);
}

static struct cdp_output *stats(void *ctx, const char *extra, struct cdp_error *err)
{
    struct said *s = ctx;
    cdp_buf_printf(&s->log, "stats %.8s\n", extra ? extra : "(none)");
    if (s->fail_stats) {
        cdp_errorf(err, "no stats today");
        return NULL;
    }
    struct cdp_output *o = cdp_output_open(path_of("stats.json"), NULL, err);
    if (o)
        cdp_buf_adds(cdp_output_buffer(o), "{}\n");
    return o;
}

/* One whole run over input.ndjson; its status, what it said in s. */
static int run_whole(struct said *s, const char *output)
{
    struct cdp_keyset *keys = cdp_keyset_new();
    cdp_keyset_defaults(keys);
    struct cdp_error err;
    size_t nconflicts;
    const char **conflicts = cdp_graph_conflicts(NULL, 0, false, &nconflicts, &err);
    const char *files[] = { path_of("input.ndjson") };
    struct cdp_output_options out = { 0 };
    struct cdp_reader_options in = { .format = CDP_FORMAT_AUTO };
    struct cdp_dedupe_options o = {
        .step = CDP_DEDUPE_WHOLE, .files = files, .nfiles = 1, .output = output, .out = &out, .in = &in,
        .links = path_of("links.ndjson"), .rejects = path_of("rejects.ndjson"), .state = path_of("state.zst"),
        .keys = keys, .conflicts = conflicts, .nconflicts = nconflicts,
        .reject = reject, .count = count, .detail = detail, .phase = phase, .stats = stats, .ctx = s,
    };
    struct cdp_dedupe *d = cdp_dedupe_open(&o, &err);
    int status = d && cdp_dedupe_read(d, &err) == 0 && cdp_dedupe_link(d, &err) == 0 &&
                         cdp_dedupe_write(d, &err) == 0 && cdp_dedupe_commit(d, &err) == 0
                     ? 0 : -1;
    if (status < 0)
        cdp_buf_printf(&s->log, "error %s\n", err.msg);
    cdp_dedupe_free(d);
    free(conflicts);
    cdp_keyset_free(keys);
    return status;
}

static void test_whole_run(void)
{
    struct said s = { CDP_BUF_INIT, false };
    CHECK(run_whole(&s, path_of("out.ndjson")) == 0);
    CHECK_STR(s.log.data, "count read (records read) 0\n"
                          "count read (records read) 4\n"
                          "phase read\n"
                          "phase state loaded\n"
                          "phase resolved\n"
                          "phase ids\n"
                          "count persons (persons) 2\n"
                          "count written (written) 0\n"
                          "count rejected (rejected) 0\n"
                          "count rejected (rejected) 1\n"
                          "detail rejected_by_reason.invalid_json 1\n"
                          "reject line 3 invalid_json\n"
                          "count written (written) 3\n"
                          "phase written\n"
                          "count links (links) 1\n"
                          "count refused (refused) 0\n"
                          "stats \"graph\":\n"
                          "phase committed\n");
    /* Ann's two records one person, Bob another: the id is last (linked.h). */
    const char *out = file_text("out.ndjson");
    const char *ann1 = strstr(out, "\"cdp_id\":\""), *ann2 = ann1 ? strstr(ann1 + 1, "\"cdp_id\":\"") : NULL;
    const char *bob = ann2 ? strstr(ann2 + 1, "\"cdp_id\":\"") : NULL;
    CHECK(ann1 && ann2 && bob);
    if (ann1 && ann2 && bob) {
        CHECK(strncmp(ann1, ann2, 27) == 0);
        CHECK(strncmp(ann1, bob, 27) != 0);
    }
    CHECK(strstr(file_text("rejects.ndjson"), "\"line\":3,") != NULL);
    CHECK(strstr(file_text("links.ndjson"), "\"key\":\"email\"") != NULL);
    CHECK(access(path_of("state.zst"), F_OK) == 0);
    CHECK_STR(file_text("stats.json"), "{}\n");
    cdp_buf_release(&s.log);
}

static void test_all_or_none(void)
{
    struct said s = { CDP_BUF_INIT, true };
    CHECK(run_whole(&s, path_of("out2.ndjson")) == -1);
    CHECK(strstr(s.log.data, "error no stats today\n") != NULL);
    CHECK(strstr(s.log.data, "phase committed") == NULL);
    CHECK(access(path_of("out2.ndjson"), F_OK) != 0);
    cdp_buf_release(&s.log);
}

int main(void)
{
    files_setup("dedupe");
    write_file("input.ndjson", input);
    test_whole_run();
    /* again, without the state and files the first run left */
    unlink(path_of("state.zst"));
    unlink(path_of("links.ndjson"));
    unlink(path_of("rejects.ndjson"));
    unlink(path_of("stats.json"));
    test_all_or_none();
    CHECK(access(path_of("state.zst"), F_OK) != 0);
    CHECK(access(path_of("links.ndjson"), F_OK) != 0);
    files_cleanup();
    return check_report("test_dedupe");
}
