/* cdp-export: audience files that mailing services and ad platforms accept,
 * with consent, suppression lists and control groups honoured. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli/cli.h"
#include "export/audience.h"
#include "export/exporter.h"
#include "export/format.h"
#include "export/writer.h"

enum {
    OPT_CHANNEL = CDP_OPT_PROGRAM, OPT_INCLUDE_HOLDOUT, OPT_STRICT_CONSENT, OPT_SUPPRESS,
    OPT_SUPPRESS_COLUMN, OPT_REGION, OPT_BOM, OPT_CRLF, OPT_NO_PLUS, OPT_PREVIOUS, OPT_REMOVED,
    OPT_FULL, OPT_SPLIT_ROWS, OPT_MODE, OPT_RECOMMENDATIONS, OPT_REC_COLUMNS, OPT_FORGOTTEN,
    OPT_SUMMARIZE, OPT_JOIN, OPT_CONTACTS,
    OPT_ALLOW_EMPTY,
};

static const struct cdp_option options[] = {
    { 'f', "format", "FMT", "csv, ndjson, mailchimp, unisender, sendpulse,\n"
                            "brevo, google-customer-match, meta or sms" },
    { 's', "segment", "NAME", "only members of segment NAME (repeat: any of them)" },
    { OPT_CHANNEL, "channel", "CH", "email, sms, ads or none: whose consent and which\n"
                                    "contact a row needs (default: the format's)" },
    { OPT_INCLUDE_HOLDOUT, "include-holdout", NULL, "export held-out control-group members too" },
    { OPT_STRICT_CONSENT, "strict-consent", NULL, "ads: leave out profiles without consent_ads" },
    { OPT_SUPPRESS, "suppress", "FILE", "never export the e-mails, phones or SHA-256 hashes\n"
                                        "listed in FILE (repeatable)" },
    { OPT_SUPPRESS_COLUMN, "suppress-column", "NAME", "read suppression files as CSV, this column" },
    { OPT_REGION, "region", "CC", "country of suppressed phones written without a\ncode (RU)" },
    { 'c', "column", "HEADER=JQ", "a column: jq over the profile (csv; after the\n"
                                  "fixed columns of mailchimp, unisender, sendpulse,\n"
                                  "brevo)" },
    { OPT_RECOMMENDATIONS, "recommendations", "FILE", "add each profile's recommendations from FILE\n"
                                                      "(cdp-recommend): columns rec_1..rec_N, or in\n"
                                                      "ndjson a member \"recommendations\"" },
    { OPT_REC_COLUMNS, "rec-columns", "N", "how many of them (default 3)" },
    { 'd', "delimiter", "C", "csv: the delimiter (default ',')" },
    { OPT_BOM, "bom", NULL, "csv: start with a UTF-8 byte-order mark (Excel)" },
    { OPT_CRLF, "crlf", NULL, "end lines with CR LF" },
    { OPT_NO_PLUS, "no-plus", NULL, "sms: numbers without the leading '+'" },
    { OPT_PREVIOUS, "previous", "FILE", "the last export of this audience (repeat for its\n"
                                        "parts): write only rows added or changed since" },
    { OPT_REMOVED, "removed", "FILE", "with --previous: write there the rows to remove" },
    { OPT_ALLOW_EMPTY, "allow-empty", NULL, "with --previous and -s: go on when a segment is\n"
                                            "in no profile (else an error: misspelt?)" },
    { OPT_FULL, "full", "FILE", "also write the whole audience there (the next\nrun's --previous)" },
    { OPT_SPLIT_ROWS, "split-rows", "N", "write OUT as NAME-0001.EXT, NAME-0002.EXT, ... of\n"
                                         "at most N rows each" },
    { OPT_MODE, "mode", "MODE", "permissions of the files written (default 0600)" },
    { OPT_FORGOTTEN, "forgotten", "FILE", "never export persons on this forget list\n"
                                          "(see cdp-forget(1))" },
    { OPT_SUMMARIZE, "summarize", NULL, "sharded export, step 1 (each shard of profiles):\n"
                                        "write the shard's refusals and contacts to -o" },
    { OPT_JOIN, "join-summaries", NULL, "step 2 (one host): the FILEs are the shards'\n"
                                        "summaries; write the decisions to -o" },
    { OPT_CONTACTS, "contacts", "FILE", "step 3 (each shard): export with the decisions\n"
                                        "in FILE (who refused, who holds a contact)" },
    { 0 },
};

static const struct cdp_program program = {
    .name = "cdp-export",
    .synopsis = "--format FMT [OPTION]... [FILE]...",
    .about = "Write the profiles (from cdp-merge and cdp-segment) that may be contacted as a\n"
             "file a mailing service or ad platform accepts. With no FILE, or FILE '-', read\n"
             "stdin.\n",
    .options = options,
    /* -d is the output's delimiter here: declared above. */
    .shared = CDP_SHARED_REJECTS | CDP_SHARED_OUTPUT | CDP_SHARED_FORMAT | CDP_SHARED_ENCODING |
              CDP_SHARED_REPORT | CDP_SHARED_RULE_BUDGET,
    .epilogue = "See cdp-export(1).",
    .files = (const struct cdp_file_option[]){
        { OPT_SUPPRESS, CDP_FILE_IN }, { OPT_RECOMMENDATIONS, CDP_FILE_IN },
        { OPT_PREVIOUS, CDP_FILE_IN }, { OPT_REMOVED, CDP_FILE_OUT }, { OPT_FULL, CDP_FILE_OUT },
        { OPT_FORGOTTEN, CDP_FILE_IN }, { OPT_CONTACTS, CDP_FILE_IN }, { 0, 0 },
    },
    .operands = CDP_FILE_IN | CDP_FILE_STDIN,
    /* the last full file read, then replaced by this run's (cdp-export(1)) */
    .same_file_ok = (const int[][2]){ { OPT_PREVIOUS, OPT_FULL }, { 0, 0 } },
};

struct list {
    const char **v;
    size_t n;
};

/* One cdp-export, or a step of a sharded one (export/contacts.h). */
enum step { EXPORT, SUMMARIZE, JOIN };

struct prefs {
    enum step step;
    struct cdp_io_prefs io;
    struct cdp_audience_options audience;
    struct cdp_export_writer_options writer;
    struct list segments, suppress, previous, headers, exprs;
    const char *suppress_column, *forgotten;
    const char *contacts; /* --contacts */
    const char *recommendations;
    long rec_columns;
    bool channel_set, delimiter_set;
    bool allow_empty;
};

static void push(struct list *l, const char *s)
{
    l->v = cdp_xrealloc(l->v, (l->n + 1) * sizeof *l->v);
    l->v[l->n++] = s;
}

static int option(void *prefs, int id, const char *arg, struct cdp_cli_rest *rest)
{
    struct prefs *p = prefs;
    struct cdp_export_writer_options *w = &p->writer;
    const char *eq;
    char *end;
    long n;
    (void)rest;
    switch (id) {
    case 'f':
        if (!(w->format = cdp_export_format_find(arg)))
            return cdp_usage_error(program.name, "--format takes %s, not '%s'", cdp_export_format_names(), arg);
        break;
    case 's':
        if (!*arg)
            return cdp_usage_error(program.name, "--segment takes a segment name");
        push(&p->segments, arg);
        break;
    case OPT_CHANNEL:
        if (!cdp_channel_parse(arg, &w->channel))
            return cdp_usage_error(program.name, "--channel takes email, sms, ads or none, not '%s'", arg);
        p->channel_set = true;
        break;
    case OPT_INCLUDE_HOLDOUT: p->audience.include_holdout = true; break;
    case OPT_STRICT_CONSENT: p->audience.strict_consent = true; break;
    case OPT_SUPPRESS: push(&p->suppress, arg); break;
    case OPT_SUPPRESS_COLUMN: p->suppress_column = arg; break;
    case OPT_REGION: p->audience.region = arg; break;
    case 'c':
        if (!(eq = strchr(arg, '=')) || eq == arg || !eq[1])
            return cdp_usage_error(program.name, "-c takes HEADER=JQ, not '%s'", arg);
        push(&p->headers, cdp_xstrndup(arg, (size_t)(eq - arg)));
        push(&p->exprs, eq + 1);
        break;
    case 'd':
        if (!cdp_parse_delimiter(arg, &w->delimiter))
            return cdp_usage_error(program.name, "-d takes one character (or 'tab'), not '%s'", arg);
        p->delimiter_set = true;
        break;
    case OPT_BOM: w->bom = true; break;
    case OPT_CRLF: w->crlf = true; break;
    case OPT_NO_PLUS: w->plus = false; break;
    case OPT_PREVIOUS: push(&p->previous, arg); break;
    case OPT_REMOVED: w->removed = arg; break;
    case OPT_FULL: w->baseline = arg; break;
    case OPT_SPLIT_ROWS:
        if (!cdp_parse_long(arg, 1, 1000000000L, &n))
            return cdp_usage_error(program.name, "--split-rows takes a number of rows (1 or more), not '%s'", arg);
        w->split_rows = (uint64_t)n;
        break;
    case OPT_RECOMMENDATIONS: p->recommendations = arg; break;
    case OPT_REC_COLUMNS:
        if (!cdp_parse_long(arg, 1, 100, &p->rec_columns))
            return cdp_usage_error(program.name, "--rec-columns takes a number 1 to 100, not '%s'", arg);
        break;
    case OPT_MODE:
        n = strtol(arg, &end, 8);
        if (!*arg || *end || n < 0 || n > 0777)
            return cdp_usage_error(program.name, "--mode takes octal permissions like 0600 or 644, not '%s'", arg);
        w->out.mode = (mode_t)n;
        break;
    case OPT_FORGOTTEN: p->forgotten = arg; break;
    case OPT_CONTACTS: p->contacts = arg; break;
    case OPT_SUMMARIZE:
    case OPT_JOIN:
        if (p->step != EXPORT)
            return cdp_usage_error(program.name, "--summarize and --join-summaries are steps: give one");
        p->step = id == OPT_SUMMARIZE ? SUMMARIZE : JOIN;
        break;
    case OPT_ALLOW_EMPTY: p->allow_empty = true; break;
    }
    return 0;
}

/* What the steps of a sharded export allow. Returns -1 to go on, or 2. */
static int check_step(struct prefs *p, int nfiles)
{
    const struct cdp_export_writer_options *w = &p->writer;
    const char *name = program.name;
    if (p->step == JOIN && (w->format || p->segments.n || p->suppress.n || p->headers.n || p->forgotten ||
                            p->channel_set || p->audience.region || p->audience.include_holdout ||
                            p->audience.strict_consent))
        return cdp_usage_error(name, "--join-summaries reads the summaries only: the export's options go to "
                                     "--summarize and --contacts");
    if (p->step == JOIN && !nfiles)
        return cdp_usage_error(name, "--join-summaries needs the shards' summaries, one per shard");
    if (p->step != EXPORT && (p->contacts || p->previous.n || w->removed || w->baseline || w->split_rows ||
                              p->recommendations || p->io.rejects))
        return cdp_usage_error(name, "--summarize and --join-summaries write only -o: no --contacts, --previous, "
                                     "--removed, --full, --split-rows, --recommendations or --rejects");
    if (p->contacts && (p->previous.n || w->baseline))
        return cdp_usage_error(name, "--contacts: a shard's export is no delta; compare the gathered files "
                                     "(no --previous or --full)");
    return -1;
}

/* What the options mean together. Returns -1 to go on, or 2. */
static int check_args(struct prefs *p, int nfiles)
{
    struct cdp_export_writer_options *w = &p->writer;
    const struct cdp_export_format *f = w->format;
    const char *name = program.name;
    int status = check_step(p, nfiles);
    if (status != -1 || p->step == JOIN)
        return status;
    if (!f)
        return cdp_usage_error(name, "--format is required: %s", cdp_export_format_names());
    if (!p->channel_set)
        w->channel = f->channel;
    if (!(f->channels & (1u << w->channel)))
        return cdp_usage_error(name, "--format %s is for --channel %s, not %s", f->name,
                               cdp_channel_name(f->channel), cdp_channel_name(w->channel));
    if (p->headers.n && !f->extra_columns)
        return cdp_usage_error(name, "-c: --format %s has fixed columns", f->name);
    if (f->kind == CDP_EXPORT_CSV && !p->headers.n)
        return cdp_usage_error(name, "--format csv needs its columns: -c HEADER=JQ");
    if ((p->delimiter_set || w->bom) && !f->own_delimiter)
        return cdp_usage_error(name, "%s: the %s format fixes its own delimiter and encoding",
                               p->delimiter_set ? "-d" : "--bom", f->name);
    if (w->crlf && f->kind == CDP_EXPORT_NDJSON)
        return cdp_usage_error(name, "--crlf: NDJSON lines end in LF");
    if (!w->plus && f->kind != CDP_EXPORT_SMS)
        return cdp_usage_error(name, "--no-plus applies to --format sms");
    if (w->removed && !p->previous.n)
        return cdp_usage_error(name, "--removed needs --previous (what was exported before)");
    if (p->recommendations && !f->extra_columns && f->kind != CDP_EXPORT_NDJSON)
        return cdp_usage_error(name, "--recommendations: --format %s has fixed columns", f->name);
    if (p->suppress_column && !p->suppress.n)
        return cdp_usage_error(name, "--suppress-column needs --suppress FILE");
    if (w->split_rows && (!p->io.output || strcmp(p->io.output, "-") == 0))
        return cdp_usage_error(name, "--split-rows needs -o FILE to name the parts after");
    if (!p->delimiter_set)
        w->delimiter = f->delimiter;
    w->output = p->io.output;
    w->out.zstd = p->io.out.zstd;
    w->out.zstd_level = p->io.out.zstd_level;
    w->columns = p->headers.v;
    w->ncolumns = p->headers.n;
    return -1;
}

/* Everything one run needs, so that one exit path can release it. */
struct run {
    struct prefs *p;
    struct cdp_report report;
    struct cdp_exporter *exporter;
    bool counted; /* the counts are in the report (added once) */
};

static void column_error(void *ctx, const char *file, uint64_t line, const char *header, const char *message)
{
    struct run *run = ctx;
    struct cdp_buf shown = CDP_BUF_INIT;
    cdp_report_quoted(&run->report, &shown, message);
    cdp_report_data(&run->report, file, line, "-c %s: %s; profile skipped", header, shown.data);
    cdp_buf_release(&shown);
}

static void suppress_bad(void *ctx, const char *file, uint64_t line, const char *text, size_t len)
{
    struct run *run = ctx;
    struct cdp_buf shown = CDP_BUF_INIT;
    cdp_report_value(&run->report, &shown, text, len > 80 ? 80 : len, CDP_SHOW_AUTO);
    cdp_report_data(&run->report, file, line, "not an e-mail, phone or SHA-256 hash, ignored: '%s'",
                    shown.data);
    cdp_buf_release(&shown);
}

static void progress(void *ctx, uint64_t rows, uint64_t bytes)
{
    cdp_report_tick(&((struct run *)ctx)->report, rows, bytes);
}

static void reject(void *ctx, const struct cdp_reject *r)
{
    cdp_report_data(&((struct run *)ctx)->report, r->file, r->line, "%s; line rejected", r->reason);
}

static void count(void *ctx, const struct cdp_exporter_count *c)
{
    if (c->group)
        cdp_report_detail(ctx, c->group, c->key, c->n);
    else
        cdp_report_add(ctx, c->key, c->label, c->n);
}

/* The summary line and --stats: every profile read is exported, skipped
 * for one reason, or rejected. Once, when the counts are final. */
static void add_counts(struct run *run)
{
    if (!run->counted && run->exporter)
        cdp_exporter_counts(run->exporter, count, &run->report);
    run->counted = true;
}

/* --stats, made at commit, once the removed rows are counted. */
static struct cdp_output *stats_output(void *ctx, struct cdp_error *err)
{
    struct run *run = ctx;
    struct cdp_buf extra = CDP_BUF_INIT;
    add_counts(run);
    cdp_exporter_stats_members(run->exporter, &extra);
    struct cdp_output *o = cdp_report_stats_output(&run->report, run->p->io.stats, extra.data, err);
    cdp_buf_release(&extra);
    return o;
}

/* Usage errors first (the jq columns, the region), then what must not be
 * sent and what was sent before. Returns 0, 1 or 2. */
static int start(struct run *run, struct cdp_error *err)
{
    struct prefs *p = run->p;
    struct cdp_exporter_options o = {
        .audience = p->audience, .writer = p->writer, .column_exprs = p->exprs.v,
        .suppress = p->suppress.v, .nsuppress = p->suppress.n, .suppress_column = p->suppress_column,
        .previous = p->previous.v, .nprevious = p->previous.n, .forgotten = p->forgotten,
        .contacts = p->contacts, .recommendations = p->recommendations,
        .rec_columns = p->rec_columns ? (size_t)p->rec_columns : 3, .rejects = p->io.rejects,
        .allow_empty = p->allow_empty, .in = &p->io.in, .progress = progress, .reject = reject,
        .column_error = column_error, .suppress_bad = suppress_bad, .ctx = run,
    };
    o.audience.segments = p->segments.v;
    o.audience.nsegments = p->segments.n;
    if (!(run->exporter = cdp_exporter_new(&o, err)))
        return 2;
    return cdp_exporter_load(run->exporter, err) < 0;
}

/* The output of a step and --stats, replaced together. */
static int commit_step(struct run *run, struct cdp_output *out, struct cdp_error *err)
{
    add_counts(run);
    return cdp_report_commit(&run->report, out, NULL, run->p->io.stats, NULL, err) < 0;
}

/* --summarize: each input's refusals and claims, to the output. */
static int summarize(struct run *run, int nfiles, char **files, struct cdp_error *err)
{
    struct cdp_output *out = cdp_output_open(run->p->io.output, &run->p->io.out, err);
    if (!out)
        return 1;
    if (cdp_exporter_summarize(run->exporter, out, (const char *const *)files, (size_t)nfiles, err) < 0) {
        cdp_output_abort(out);
        return 1;
    }
    return commit_step(run, out, err);
}

/* --join-summaries: the shards' summaries joined, to the output. */
static int join(struct run *run, int nfiles, char **files, struct cdp_error *err)
{
    struct cdp_output *out = cdp_output_open(run->p->io.output, &run->p->io.out, err);
    run->counted = true; /* its own counts */
    if (!out || cdp_exporter_join((const char *const *)files, (size_t)nfiles, out, count, &run->report,
                                  err) < 0) {
        cdp_output_abort(out);
        return 1;
    }
    return commit_step(run, out, err);
}

/* Every part stays open until all are named together (export/parts.h). */
static void raise_open_files_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int export(struct run *run, int nfiles, char **files, struct cdp_error *err)
{
    static char *standard_input[] = { "-" };
    if (!nfiles)
        files = standard_input, nfiles = 1;
    if (run->p->step == JOIN)
        return join(run, nfiles, files, err);
    int status = start(run, err);
    if (status)
        return status;
    if (run->p->step == SUMMARIZE)
        return summarize(run, nfiles, files, err);
    if (run->p->writer.split_rows)
        raise_open_files_limit();
    struct cdp_exporter *e = run->exporter;
    if (cdp_exporter_open(e, (const char *const *)files, (size_t)nfiles, err) < 0 ||
        cdp_exporter_read(e, err) < 0 || cdp_exporter_check(e, err) < 0 ||
        cdp_exporter_commit(e, run->p->io.stats ? stats_output : NULL, run, err) < 0)
        return 1;
    return 0; /* cdp_exporter_free discards what was not committed */
}

int main(int argc, char **argv)
{
    struct prefs p;
    memset(&p, 0, sizeof p);
    p.writer.plus = true;
    p.writer.out.mode = 0600;
    cdp_cli_start(&program, argv);
    int first;
    int status = cdp_cli_parse(&program, argc, argv, &p.io, option, &p, &first);
    if (status < 0)
        status = check_args(&p, argc - first);
    if (status < 0) {
        struct run run;
        memset(&run, 0, sizeof run);
        run.p = &p;
        cdp_report_init(&run.report, program.name);
        cdp_io_apply_report(&p.io, &run.report);
        struct cdp_error err;
        status = export(&run, argc - first, argv + first, &err);
        if (status == 2)
            cdp_usage_error(program.name, "%s", err.msg);
        else if (status)
            cdp_report_error(&run.report, "%s", err.msg);
        if (status != 2)
            add_counts(&run);
        if (status == 1)
            cdp_report_unwritten(&run.report, p.io.output, "exported");
        if (status != 2)
            cdp_report_summary(&run.report);
        cdp_exporter_free(run.exporter);
        cdp_report_release(&run.report);
    }
    for (size_t i = 0; i < p.headers.n; i++)
        free((char *)p.headers.v[i]);
    free(p.headers.v);
    free(p.exprs.v);
    free(p.segments.v);
    free(p.suppress.v);
    free(p.previous.v);
    return status;
}
