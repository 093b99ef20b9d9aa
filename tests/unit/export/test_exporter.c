/* test_exporter: one cdp-export run (export/exporter.h): every line read is
 * exported, counted under its one reason, or rejected (to the callback and
 * the rejects file); a failing -c column skips its profile with a message
 * naming file:line; the files appear only at commit; a column that does not
 * compile and an unknown region are usage errors; a sharded export's
 * summary and join. */
#include <stdio.h>
#include <stdlib.h>

#include "../check.h"
#include "../files.h"
#include "export/exporter.h"

/* What the callbacks were told, one line each. */
struct told {
    struct cdp_buf counts, messages;
};

static void count(void *ctx, const struct cdp_exporter_count *c)
{
    struct told *t = ctx;
    cdp_buf_printf(&t->counts, "%s%s%s=%llu [%s]\n", c->group ? c->group : "", c->group ? "." : "", c->key,
                   (unsigned long long)c->n, c->label ? c->label : "-");
}

static void reject(void *ctx, const struct cdp_reject *r)
{
    struct told *t = ctx;
    cdp_buf_printf(&t->messages, "%s:%llu: %s\n", r->file, (unsigned long long)r->line, r->reason);
}

static void column_error(void *ctx, const char *file, uint64_t line, const char *header, const char *message)
{
    struct told *t = ctx;
    cdp_buf_printf(&t->messages, "%s:%llu: -c %s: %s\n", file, (unsigned long long)line, header, message);
}

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static const char profiles[] =
    "{\"cdp_id\":\"p1\",\"email\":\"ann@example.ru\",\"consent_email\":true,\"segments\":[\"vip\"]}\n"
    "{\"cdp_id\":\"p2\",\"email\":\"bob@example.ru\",\"consent_email\":false,\"segments\":[\"vip\"]}\n"
    "not a profile\n"
    "{\"cdp_id\":\"p3\",\"email\":\"ANN@example.ru\",\"consent_email\":true,\"segments\":[\"vip\"]}\n"
    "{\"cdp_id\":\"p4\",\"consent_email\":true,\"segments\":[\"vip\"]}\n"
    "{\"cdp_id\":\"p5\",\"email\":\"cid@example.ru\",\"consent_email\":true,\"segments\":[\"new\"]}\n"
    "{\"cdp_id\":\"p6\",\"email\":\"dan@example.ru\",\"consent_email\":true,\"segments\":[\"vip\"],"
    "\"fail\":true}\n";

static const char *const headers[] = { "id" };
static const char *const exprs[] = { "if .fail then error(\"no id for \\(.cdp_id)\") else .cdp_id end" };
static const char *const vip[] = { "vip" };
static const struct cdp_reader_options in = { 0 };

static struct cdp_exporter_options options(struct told *t, const char *format)
{
    return (struct cdp_exporter_options){
        .audience = { .segments = vip, .nsegments = 1 },
        .writer = { .format = cdp_export_format_find(format), .channel = CDP_CHANNEL_EMAIL, .delimiter = ',',
                    .plus = true, .columns = headers, .ncolumns = 1, .output = path_of("out.csv"),
                    .out = { .mode = 0600 } },
        .column_exprs = exprs, .rejects = path_of("rejects.ndjson"), .in = &in, .reject = reject,
        .column_error = column_error, .ctx = t,
    };
}

static void test_run(void)
{
    struct told t = { CDP_BUF_INIT, CDP_BUF_INIT };
    struct cdp_exporter_options o = options(&t, "csv");
    struct cdp_error err;
    const char *input = write_file("profiles.ndjson", profiles);
    struct cdp_exporter *e = cdp_exporter_new(&o, &err);
    CHECK(e && cdp_exporter_load(e, &err) == 0);
    CHECK(cdp_exporter_open(e, &input, 1, &err) == 0);
    CHECK(cdp_exporter_read(e, &err) == 0);
    CHECK(cdp_exporter_check(e, &err) == 0);
    CHECK_STR(file_text("out.csv"), "(missing)"); /* nothing before the commit */
    CHECK(cdp_exporter_commit(e, NULL, NULL, &err) == 0);
    CHECK_STR(file_text("out.csv"), "id\np1\n");
    CHECK(strstr(file_text("rejects.ndjson"), "\"not a profile\"") != NULL);
    struct cdp_buf members = CDP_BUF_INIT;
    cdp_exporter_stats_members(e, &members);
    CHECK(starts(members.data, "\"format\":\"csv\",\"channel\":\"email\",\"files\":["));
    cdp_buf_release(&members);
    cdp_exporter_counts(e, count, &t);
    /* p2 refused e-mail, and ann@ is p1's: p3 is a duplicate, not refused */
    CHECK_STR(t.counts.data, "read=7 [profiles read]\n"
                             "exported=1 [exported]\n"
                             "skipped=5 [skipped (1 not_in_segment, 1 no_email, 1 no_consent, 1 duplicate, "
                             "1 column_error)]\n"
                             "rejected=1 [rejected]\n"
                             "skipped.gone=0 [-]\n"
                             "skipped.not_in_segment=1 [-]\n"
                             "skipped.holdout=0 [-]\n"
                             "skipped.no_email=1 [-]\n"
                             "skipped.invalid_email=0 [-]\n"
                             "skipped.no_phone=0 [-]\n"
                             "skipped.invalid_phone=0 [-]\n"
                             "skipped.no_mobile=0 [-]\n"
                             "skipped.no_contact=0 [-]\n"
                             "skipped.no_consent=1 [-]\n"
                             "skipped.suppressed=0 [-]\n"
                             "skipped.refused_elsewhere=0 [-]\n"
                             "skipped.duplicate=1 [-]\n"
                             "skipped.column_error=1 [-]\n");
    CHECK(strstr(t.messages.data, "profiles.ndjson:3: ") != NULL);
    CHECK(strstr(t.messages.data, "profiles.ndjson:7: -c id: no id for p6\n") != NULL);
    cdp_exporter_free(e);
    cdp_buf_release(&t.counts);
    cdp_buf_release(&t.messages);
}

static void test_usage(void)
{
    struct told t = { CDP_BUF_INIT, CDP_BUF_INIT };
    struct cdp_exporter_options o = options(&t, "csv");
    struct cdp_error err;
    static const char *const broken[] = { ".a |" };
    o.column_exprs = broken;
    CHECK(!cdp_exporter_new(&o, &err));
    CHECK(starts(err.msg, "-c id: "));
    o.column_exprs = exprs;
    o.audience.region = "ZZ";
    CHECK(!cdp_exporter_new(&o, &err));
    CHECK(starts(err.msg, "--region: "));
}

/* Step 1 on the profiles, step 2 on its summary: ann@ is claimed twice
 * (p1 first, then p3), dan@ once (mailchimp has no -c column to fail);
 * bob@ is refused. */
static void test_sharded(void)
{
    struct told t = { CDP_BUF_INIT, CDP_BUF_INIT };
    struct cdp_exporter_options o = options(&t, "mailchimp");
    o.writer.columns = NULL, o.writer.ncolumns = 0, o.column_exprs = NULL, o.rejects = NULL;
    struct cdp_error err;
    const char *input = write_file("profiles.ndjson", profiles);
    struct cdp_exporter *e = cdp_exporter_new(&o, &err);
    CHECK(e && cdp_exporter_load(e, &err) == 0);
    struct cdp_output *out = cdp_output_open(path_of("summary.ndjson"), NULL, &err);
    CHECK(cdp_exporter_summarize(e, out, &input, 1, &err) == 0);
    CHECK(cdp_output_commit(out, &err) == 0);
    const char *summary = file_text("summary.ndjson");
    CHECK(starts(summary, "{\"cdp_export_summary\":1,\"format\":\"mailchimp\",\"channel\":\"email\"}\n"));
    CHECK(strstr(summary, "{\"refused_email\":\"bob@example.ru\"}\n") != NULL);
    CHECK(strstr(summary, "{\"end\":1,\"profiles\":7}\n") != NULL);
    cdp_exporter_counts(e, count, &t);
    CHECK(starts(t.counts.data, "read=7 [profiles read]\nclaims=3 [with a row]\n"
                                "refusals=1 [refusing the channel]\n"
                                "skipped=3 [skipped (1 not_in_segment, 1 no_email, 1 no_consent)]\n"));
    cdp_exporter_free(e);
    cdp_buf_reset(&t.counts);
    const char *summaries[] = { path_of("summary.ndjson") };
    out = cdp_output_open(path_of("contacts.ndjson"), NULL, &err);
    CHECK(cdp_exporter_join(summaries, 1, out, count, &t, &err) == 0);
    CHECK(cdp_output_commit(out, &err) == 0);
    CHECK_STR(t.counts.data, "read=7 [profiles read]\nclaims=3 [with a row]\nrefused=1 [contacts refused]\n"
                             "contested=1 [contacts held by one of several]\n");
    CHECK(strstr(file_text("contacts.ndjson"), "{\"contact\":\"ann@example.ru\",\"holder\":\"p1\"}\n") != NULL);
    cdp_buf_release(&t.counts);
    cdp_buf_release(&t.messages);
}

int main(void)
{
    files_setup("exporter");
    test_run();
    test_usage();
    test_sharded();
    files_cleanup();
    return check_report("test_exporter");
}
