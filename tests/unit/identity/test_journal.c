/* Unit tests of lib/identity/journal.h: the line format, appending run
 * after run (plain and zstd-compressed), reading it back, and the one
 * policy for a damaged line (an error naming file:line). */
#include <stdlib.h>
#include <unistd.h>

#include "../check.h"
#include "../files.h"
#include "identity/journal.h"

static struct cdp_error err;

static const struct cdp_journal_entry merged = { "9f2c4e1a0b3d5c6e", "41ab77d09f2c4e1a", "merged", "email",
                                                 "ivan\"x\"@mail.ru" };
static const struct cdp_journal_entry split = { "77d041ab9f2c4e1a", "41ab77d09f2c4e1a", "split", NULL, NULL };

static void test_format(void)
{
    struct cdp_buf b = CDP_BUF_INIT;
    cdp_journal_format(&b, 3, &merged);
    cdp_journal_format(&b, 12, &split);
    CHECK_STR(b.data, "{\"run\":3,\"from\":\"9f2c4e1a0b3d5c6e\",\"to\":\"41ab77d09f2c4e1a\",\"reason\":\"merged\","
                      "\"key\":\"email\",\"value\":\"ivan\\\"x\\\"@mail.ru\"}\n"
                      "{\"run\":12,\"from\":\"77d041ab9f2c4e1a\",\"to\":\"41ab77d09f2c4e1a\",\"reason\":\"split\"}\n");
    /* as cdp-dedupe writes it: the value masked unless clear; a model's
     * link, which has none, as it is */
    static const struct cdp_journal_entry model = { "9f2c4e1a0b3d5c6e", "41ab77d09f2c4e1a", "merged", "model", "" };
    cdp_buf_reset(&b);
    cdp_journal_format_shown(&b, 3, &merged, false);
    cdp_journal_format_shown(&b, 4, &model, false);
    cdp_journal_format_shown(&b, 5, &split, false);
    CHECK_STR(b.data, "{\"run\":3,\"from\":\"9f2c4e1a0b3d5c6e\",\"to\":\"41ab77d09f2c4e1a\",\"reason\":\"merged\","
                      "\"key\":\"email\",\"value\":\"iv***@mail.ru\"}\n"
                      "{\"run\":4,\"from\":\"9f2c4e1a0b3d5c6e\",\"to\":\"41ab77d09f2c4e1a\",\"reason\":\"merged\","
                      "\"key\":\"model\",\"value\":\"\"}\n"
                      "{\"run\":5,\"from\":\"77d041ab9f2c4e1a\",\"to\":\"41ab77d09f2c4e1a\",\"reason\":\"split\"}\n");
    cdp_buf_reset(&b);
    cdp_journal_format_shown(&b, 3, &merged, true);
    CHECK(strstr(b.data, "\"value\":\"ivan\\\"x\\\"@mail.ru\"") != NULL);
    cdp_buf_release(&b);
}

/* Entries read back as "run from>to reason key=value" lines. */
static int collect(void *ctx, const struct cdp_journal_entry *e, struct cdp_error *e_err)
{
    (void)e_err;
    cdp_buf_printf(ctx, "%s>%s %s %s=%s\n", e->from, e->to, e->reason, e->key ? e->key : "-",
                   e->value ? e->value : "-");
    return 0;
}

static int stop_at_split(void *ctx, const struct cdp_journal_entry *e, struct cdp_error *e_err)
{
    (*(int *)ctx)++;
    return strcmp(e->reason, "split") == 0 ? cdp_errorf(e_err, "stopped") : 0;
}

/* The runs of the entries, as "run reason" lines. */
static int collect_runs(void *ctx, uint64_t run, const struct cdp_journal_entry *e, struct cdp_error *e_err)
{
    (void)e_err;
    cdp_buf_printf(ctx, "%llu %s\n", (unsigned long long)run, e->reason);
    return 0;
}

static void test_append_and_read(const char *name)
{
    struct cdp_buf lines = CDP_BUF_INIT, got = CDP_BUF_INIT;
    cdp_journal_format(&lines, 1, &merged);
    CHECK(cdp_journal_append(path_of(name), lines.data, lines.len, &err) == 0);
    cdp_buf_reset(&lines);
    cdp_journal_format(&lines, 2, &split);
    CHECK(cdp_journal_append(path_of(name), lines.data, lines.len, &err) == 0);
    CHECK(cdp_journal_append(path_of(name), NULL, 0, &err) == 0); /* a run that merged nothing */
    CHECK(cdp_journal_read(path_of(name), collect, &got, &err) == 0);
    CHECK_STR(got.data, "9f2c4e1a0b3d5c6e>41ab77d09f2c4e1a merged email=ivan\"x\"@mail.ru\n"
                        "77d041ab9f2c4e1a>41ab77d09f2c4e1a split -=-\n");
    cdp_buf_reset(&got);
    CHECK(cdp_journal_read_runs(path_of(name), collect_runs, &got, &err) == 0);
    CHECK_STR(got.data, "1 merged\n2 split\n");
    int calls = 0;
    CHECK(cdp_journal_read(path_of(name), stop_at_split, &calls, &err) == -1);
    CHECK(calls == 2);
    CHECK_STR(err.msg, "stopped");
    cdp_buf_release(&lines);
    cdp_buf_release(&got);
}

static void test_plain_text(void)
{
    test_append_and_read("j.ndjson");
    CHECK_STR(file_text("j.ndjson"),
              "{\"run\":1,\"from\":\"9f2c4e1a0b3d5c6e\",\"to\":\"41ab77d09f2c4e1a\",\"reason\":\"merged\","
              "\"key\":\"email\",\"value\":\"ivan\\\"x\\\"@mail.ru\"}\n"
              "{\"run\":2,\"from\":\"77d041ab9f2c4e1a\",\"to\":\"41ab77d09f2c4e1a\",\"reason\":\"split\"}\n");
    /* compressed by its name, and still appended to */
    test_append_and_read("j.ndjson.zst");
    CHECK(memcmp(file_text("j.ndjson.zst"), "\x28\xb5\x2f\xfd", 4) == 0);
}

static void test_damaged(void)
{
    struct cdp_buf got = CDP_BUF_INIT;
    write_file("bad.ndjson", "{\"run\":1,\"from\":\"a\",\"to\":\"b\",\"reason\":\"merged\"}\n\n"
                             "{\"run\":1,\"from\":\"a\",\"reason\":\"merged\"}\n");
    CHECK(cdp_journal_read(path_of("bad.ndjson"), collect, &got, &err) == -1);
    char want[512];
    snprintf(want, sizeof want, "%s:3: damaged journal line: not a cdp-dedupe journal line", path_of("bad.ndjson"));
    CHECK_STR(err.msg, want);
    CHECK_STR(got.data, "a>b merged -=-\n"); /* the good line before it */
    /* a line without a run (as early journals were written) is run 0 */
    write_file("norun.ndjson", "{\"from\":\"a\",\"to\":\"b\",\"reason\":\"merged\"}\n"
                               "{\"run\":18446744073709551615,\"from\":\"a\",\"to\":\"b\",\"reason\":\"split\"}\n");
    cdp_buf_reset(&got);
    CHECK(cdp_journal_read_runs(path_of("norun.ndjson"), collect_runs, &got, &err) == 0);
    CHECK_STR(got.data, "0 merged\n18446744073709551615 split\n");
    write_file("bad2.ndjson", "{\"run\":\"1\",\"from\":\"a\",\"to\":\"b\",\"reason\":\"merged\"}\n");
    CHECK(cdp_journal_read(path_of("bad2.ndjson"), collect, &got, &err) == -1);
    snprintf(want, sizeof want, "%s:1: damaged journal line: not a cdp-dedupe journal line", path_of("bad2.ndjson"));
    CHECK_STR(err.msg, want);
    write_file("bad3.ndjson", "{\"run\":1,\"from\":\"a\",\"to\":\"b\",\"reason\":\"merged\"}\nnot json\n");
    CHECK(cdp_journal_read(path_of("bad3.ndjson"), collect, &got, &err) == -1);
    snprintf(want, sizeof want,
             "%s:2: damaged journal line: invalid JSON: Problem while parsing an atom starting with the letter 'n'",
             path_of("bad3.ndjson"));
    CHECK_STR(err.msg, want);
    /* a journal named but missing is a mistake, not an empty journal */
    CHECK(cdp_journal_read(path_of("missing.ndjson"), collect, &got, &err) == -1);
    snprintf(want, sizeof want, "cannot open '%s': No such file or directory", path_of("missing.ndjson"));
    CHECK_STR(err.msg, want);
    cdp_buf_release(&got);
}

int main(void)
{
    files_setup("journal");
    test_format();
    test_plain_text();
    test_damaged();
    files_cleanup();
    return check_report("test_journal");
}
