/* cdp-export: audience files that mailing services and ad platforms accept,
 * with consent, suppression lists and control groups honoured. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli/cli.h"
#include "export/audience.h"
#include "export/contacts.h"
#include "export/format.h"
#include "export/recs.h"
#include "export/writer.h"
#include "io/forgetlist.h"
#include "io/reader.h"
#include "io/rejects.h"
#include "io/replace.h"
#include "io/reread.h"
#include "rules/jq.h"

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
    p->audience = (struct cdp_audience_options){
        .channel = w->channel, .segments = p->segments.v, .nsegments = p->segments.n,
        .include_holdout = p->audience.include_holdout, .strict_consent = p->audience.strict_consent,
        .want_mobile = f->want_mobile, .want_tags = f->want_tags, .region = p->audience.region,
    };
    return -1;
}

/* Everything one run needs, so that one exit path can release it. */
struct run {
    struct prefs *p;
    struct cdp_report report;
    struct cdp_jq **jq; /* the -c columns */
    struct cdp_audience *audience;
    struct cdp_export_writer *writer;
    struct cdp_rejects *rejects;
    struct cdp_forgetlist *forgotten;
    struct cdp_reread *inputs;
    size_t ninputs;
    struct cdp_record rec;
    struct cdp_contact contact;
    struct cdp_buf value;
    struct cdp_contacts *contacts; /* --contacts */
    struct cdp_output *out;       /* the output of --summarize and --join-summaries */
    struct cdp_contacts_summary *summary; /* --summarize */
    struct cdp_contact refusal;   /* its scratch */
    uint64_t claims, refusals;    /* its counts */
    struct cdp_export_recs *recs; /* --recommendations */
    struct cdp_buf with_recs;     /* an ndjson line with them */
    const char *file; /* the input being read, and the line, for messages */
    uint64_t line;
    uint64_t read, exported, rejected, skipped[CDP_SKIP_COUNT], ads_consent_absent;
    bool counted; /* add_counts done (by commit) */
};

/* The jq columns' cells (the first output of each; none is null); false,
 * with a message, when one fails. */
static bool jq_cells(void *ctx, const struct cdp_record *rec, struct cdp_cells *cells)
{
    struct run *run = ctx;
    for (size_t i = 0; i < run->p->exprs.n; i++) {
        struct cdp_error err;
        cdp_buf_reset(&run->value);
        int k = cdp_jq_run_record(run->jq[i], rec, &run->value, '\n', &err);
        if (k < 0) {
            struct cdp_buf shown = CDP_BUF_INIT;
            cdp_report_quoted(&run->report, &shown, err.msg);
            cdp_report_data(&run->report, run->file, run->line, "-c %s: %s; profile skipped",
                            run->p->headers.v[i], shown.data);
            cdp_buf_release(&shown);
            return false;
        }
        const char *v = "null";
        size_t len = 4;
        if (k > 0) {
            v = run->value.data;
            const char *nl = memchr(v, '\n', run->value.len);
            len = nl ? (size_t)(nl - v) : run->value.len;
        }
        cdp_cells_add_json(cells, v, len);
    }
    if (run->recs)
        cdp_export_recs_cells(run->recs, rec, cells);
    return true;
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

/* err's message after prefix (and "name: "). */
static void prefixed(struct cdp_error *err, const char *prefix, const char *name)
{
    char msg[sizeof err->msg];
    memcpy(msg, err->msg, sizeof msg);
    cdp_errorf(err, "%s%s%s%s", prefix, name ? name : "", name ? ": " : "", msg);
}

/* Usage errors first (the jq columns, the region), then what must not be
 * sent and what was sent before. Returns 0, 1 or 2. */
static int start(struct run *run, struct cdp_error *err)
{
    struct prefs *p = run->p;
    run->jq = cdp_xcalloc(p->exprs.n + 1, sizeof *run->jq);
    for (size_t i = 0; i < p->exprs.n; i++)
        if (!(run->jq[i] = cdp_jq_compile(p->exprs.v[i], NULL, err)))
            return prefixed(err, "-c ", p->headers.v[i]), 2;
        else {
            char what[128];
            snprintf(what, sizeof what, "column '%s'", p->headers.v[i]);
            cdp_jq_name(run->jq[i], what);
        }
    if (!(run->audience = cdp_audience_new(&p->audience, err)))
        return prefixed(err, "--region: ", NULL), 2;
    if (p->recommendations) {
        if (!(run->recs = cdp_export_recs_load(p->recommendations, p->rec_columns ? (size_t)p->rec_columns : 3,
                                               err)))
            return prefixed(err, "--recommendations ", NULL), 1;
        size_t n;
        const char *const *headers = cdp_export_recs_headers(run->recs, &n);
        for (size_t i = 0; i < n && p->writer.format->kind != CDP_EXPORT_NDJSON; i++)
            push(&p->headers, cdp_xstrdup(headers[i])); /* the columns after -c's */
        p->writer.columns = p->headers.v;
        p->writer.ncolumns = p->headers.n;
    }
    p->writer.cells = jq_cells;
    p->writer.ctx = run;
    if (!(run->writer = cdp_export_writer_new(&p->writer, err)))
        return 1;
    if (p->forgotten && !(run->forgotten = cdp_forgetlist_open(p->forgotten, err)))
        return prefixed(err, "--forgotten: ", NULL), 1;
    cdp_audience_forget(run->audience, run->forgotten);
    if (p->contacts) {
        if (!(run->contacts = cdp_contacts_load(p->contacts, p->writer.format->name, p->writer.channel,
                                                run->audience, err)))
            return prefixed(err, "--contacts ", NULL), 1;
        cdp_export_writer_holders(run->writer, run->contacts);
    }
    for (size_t i = 0; i < p->suppress.n; i++)
        if (cdp_audience_add_suppression(run->audience, p->suppress.v[i], p->suppress_column,
                                         suppress_bad, run, err) < 0)
            return prefixed(err, "--suppress ", NULL), 1;
    for (size_t i = 0; i < p->previous.n; i++)
        if (cdp_export_writer_previous(run->writer, p->previous.v[i], err) < 0)
            return prefixed(err, "--previous ", NULL), 1;
    return 0;
}

/* The inputs; with a channel, first the contacts refused anywhere (so the
 * inputs are read twice). Then the files written. */
static int open_files(struct run *run, int nfiles, char **files, struct cdp_error *err)
{
    struct prefs *p = run->p;
    run->ninputs = nfiles ? (size_t)nfiles : 1;
    run->inputs = cdp_xcalloc(run->ninputs, sizeof *run->inputs);
    for (size_t i = 0; i < run->ninputs; i++)
        cdp_reread_init(&run->inputs[i], nfiles ? files[i] : "-");
    /* a shard's export has every shard's refusals (--contacts) */
    bool twice = p->writer.channel != CDP_CHANNEL_NONE && !p->contacts;
    for (size_t i = 0; twice && i < run->ninputs; i++)
        if (cdp_reread_spool(&run->inputs[i], err) < 0)
            return -1;
    for (size_t i = 0; twice && i < run->ninputs; i++)
        if (cdp_audience_read_refusals(run->audience, run->inputs[i].path, &p->io.in, err) < 0)
            return -1;
    struct rlimit rl;
    if (p->writer.split_rows && getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max; /* every part stays open until all are named together */
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (cdp_export_writer_open(run->writer, err) < 0)
        return -1;
    if (p->io.rejects && !(run->rejects = cdp_rejects_open(p->io.rejects, err)))
        return -1;
    return 0;
}

/* --summarize: a profile's refusal, and its claim on the contact of the
 * row it passed the checks for (export/contacts.h); or the reason it is
 * left out, counted. */
static int summary_line(struct run *run, const struct cdp_row *row, struct cdp_error *err)
{
    enum cdp_skip why = cdp_audience_check(run->audience, &run->rec, &run->contact);
    if (why != CDP_SKIP_FORGOTTEN && cdp_audience_refused(run->audience, &run->rec, &run->refusal)) {
        cdp_contacts_summary_refusal(run->summary, &run->refusal);
        run->refusals++;
    }
    const char *key;
    size_t klen;
    if (why == CDP_SKIP_NONE && !cdp_export_writer_claim(run->writer, &run->rec, row->raw, row->rawlen, &run->contact, &key,
                                                             &klen))
        why = CDP_SKIP_COLUMN_ERROR;
    if (why != CDP_SKIP_NONE) {
        run->skipped[why]++;
        return 0;
    }
    run->claims++;
    if (!klen)
        return 0;
    const struct cdp_field *id = cdp_record_gets(&run->rec, "cdp_id");
    bool has_id = id && id->type == CDP_STRING;
    if (cdp_contacts_summary_claim(run->summary, key, klen, has_id ? id->val : NULL, has_id ? id->vlen : 0,
                                   &run->contact, err) < 0) {
        char msg[sizeof err->msg];
        memcpy(msg, err->msg, sizeof msg);
        return cdp_errorf(err, "%s:%llu: %s", run->file, (unsigned long long)run->line, msg);
    }
    return 0;
}

/* One line: a profile exported, or counted under the reason it is not, or
 * rejected. */
static int line(struct run *run, enum cdp_read k, const struct cdp_row *row, struct cdp_error *err)
{
    run->line = row->line;
    if (k == CDP_READ_BAD) {
        run->rejected++;
        cdp_report_data(&run->report, run->file, row->line, "%s; line rejected", row->reason);
        if (run->rejects)
            cdp_rejects_add(run->rejects, &(struct cdp_reject){ NULL, run->file, row->line, row->number,
                                                                row->code, row->reason, row->raw,
                                                                row->rawlen });
        return 0;
    }
    if (run->summary)
        return summary_line(run, row, err);
    enum cdp_skip why = cdp_audience_check(run->audience, &run->rec, &run->contact);
    int rc = 0;
    const char *text = row->raw;
    size_t len = row->rawlen;
    if (why == CDP_SKIP_NONE && run->recs && run->p->writer.format->kind == CDP_EXPORT_NDJSON) {
        cdp_buf_reset(&run->with_recs);
        cdp_buf_add(&run->with_recs, text, len);
        cdp_export_recs_json(run->recs, &run->rec, &run->with_recs);
        text = run->with_recs.data, len = run->with_recs.len;
    }
    if (why == CDP_SKIP_NONE)
        rc = cdp_export_writer_add(run->writer, &run->rec, text, len, &run->contact, &why, err);
    if (why != CDP_SKIP_NONE) {
        run->skipped[why]++;
    } else {
        run->exported++;
        run->ads_consent_absent += run->contact.ads_consent_absent;
    }
    return rc;
}

static int export_file(struct run *run, const struct cdp_reread *in, struct cdp_error *err)
{
    struct cdp_reader *r = cdp_reader_open(in->path, &run->p->io.in, err);
    if (!r)
        return -1;
    run->file = in->label;
    struct cdp_row row;
    enum cdp_read k;
    int rc = 0;
    while (rc == 0 && (k = cdp_reader_next(r, &run->rec, &row, err)) != CDP_READ_END) {
        if (k == CDP_READ_ERROR)
            rc = -1;
        else {
            cdp_report_tick(&run->report, ++run->read, cdp_reader_bytes(r));
            rc = line(run, k, &row, err);
        }
    }
    cdp_reader_close(r);
    return rc;
}

static void add_counts(struct run *run);
static struct cdp_output *stats_output(struct run *run, struct cdp_error *err);

/* A segment asked for that no profile has, against a previous export with
 * rows: a misspelt -s would send everyone to --removed. -1 with err unless
 * --allow-empty says the audience is meant to be empty. */
static int check_audience(struct run *run, struct cdp_error *err)
{
    struct cdp_export_counts c = { 0 };
    cdp_export_writer_counts(run->writer, &c);
    const char *segment = cdp_audience_uncarried(run->audience);
    if (run->p->allow_empty || !c.delta || !c.previous || !segment)
        return 0;
    return cdp_errorf(err, "segment '%s' is in no profile, but --previous had members: misspelt? "
                      "(--allow-empty lets an empty audience through)", segment);
}

/* Every file of the run replaced together, all or none (io/replace.h):
 * the output's parts (standard output first: it cannot be taken back), the
 * removed rows, the --full baseline, the rejects and --stats; so that a
 * failed run leaves the last export, its baseline and no mix of parts, and
 * a retry is the same run again. Stale parts go once all are named. */
static int commit(struct run *run, struct cdp_error *err)
{
    struct cdp_replace *files = cdp_replace_new();
    struct cdp_output *rejects = run->rejects ? cdp_rejects_output(run->rejects) : NULL, *stats;
    run->rejects = NULL;
    int rc = cdp_export_writer_replace(run->writer, files, err);
    if (rc == 0 && rejects)
        rc = cdp_replace_add(files, rejects, err), rejects = NULL;
    add_counts(run); /* the removed rows are counted now */
    run->counted = true;
    if (rc == 0 && run->p->io.stats)
        rc = (stats = stats_output(run, err)) ? cdp_replace_add(files, stats, err) : -1;
    if (rc == 0 && (rc = cdp_replace_commit(files, err)) == 0)
        cdp_export_writer_done(run->writer);
    cdp_output_abort(rejects);
    cdp_replace_free(files);
    return rc;
}

/* The output of a step and --stats, replaced together. */
static int commit_step(struct run *run, struct cdp_error *err)
{
    struct cdp_replace *files = cdp_replace_new();
    struct cdp_output *out = run->out, *stats;
    run->out = NULL;
    int rc = cdp_replace_add(files, out, err);
    if (!run->counted)
        add_counts(run);
    run->counted = true;
    if (rc == 0 && run->p->io.stats)
        rc = (stats = cdp_report_stats_output(&run->report, run->p->io.stats, NULL, err))
                 ? cdp_replace_add(files, stats, err)
                 : -1;
    if (rc == 0)
        rc = cdp_replace_commit(files, err);
    cdp_replace_free(files);
    return rc;
}

/* --summarize: each input's refusals and claims, to the output. */
static int summarize(struct run *run, int nfiles, char **files, struct cdp_error *err)
{
    struct prefs *p = run->p;
    int status = start(run, err);
    if (status)
        return status;
    if (!(run->out = cdp_output_open(p->io.output, &p->io.out, err)))
        return 1;
    run->summary = cdp_contacts_summary_new(run->out, p->writer.format->name, p->writer.channel);
    for (int i = 0; i < (nfiles ? nfiles : 1); i++) {
        struct cdp_reread in;
        cdp_reread_init(&in, nfiles ? files[i] : "-");
        int rc = export_file(run, &in, err);
        cdp_reread_release(&in);
        if (rc < 0)
            return 1;
    }
    cdp_contacts_summary_end(run->summary, run->read);
    return commit_step(run, err) < 0;
}

/* --join-summaries: the shards' summaries joined, to the output. */
static int join(struct run *run, int nfiles, char **files, struct cdp_error *err)
{
    struct cdp_contacts_counts c;
    run->counted = true; /* its own counts, below */
    if (!(run->out = cdp_output_open(run->p->io.output, &run->p->io.out, err)) ||
        cdp_contacts_join((const char *const *)files, (size_t)nfiles, run->out, &c, err) < 0)
        return 1;
    struct cdp_report *r = &run->report;
    cdp_report_add(r, "read", "profiles read", c.profiles);
    cdp_report_add(r, "claims", "with a row", c.claims);
    cdp_report_add(r, "refused", "contacts refused", c.refused);
    cdp_report_add(r, "contested", "contacts held by one of several", c.contested);
    return commit_step(run, err) < 0;
}

static int export(struct run *run, int nfiles, char **files, struct cdp_error *err)
{
    if (run->p->step == SUMMARIZE)
        return summarize(run, nfiles, files, err);
    if (run->p->step == JOIN)
        return join(run, nfiles, files, err);
    int status = start(run, err);
    /* the inputs as the refusals pass read them, before and after the second */
    if (status == 0 && (open_files(run, nfiles, files, err) < 0 ||
                        cdp_reread_check(run->inputs, run->ninputs, err) < 0))
        status = 1;
    for (size_t i = 0; status == 0 && i < run->ninputs; i++)
        if (export_file(run, &run->inputs[i], err) < 0)
            status = 1;
    if (status == 0 && cdp_reread_check(run->inputs, run->ninputs, err) < 0)
        status = 1;
    if (status == 0 && check_audience(run, err) < 0)
        status = 1;
    if (status == 0 && commit(run, err) < 0)
        status = 1;
    return status; /* release() discards what was not committed */
}

/* The summary line and --stats: every profile read is exported, skipped
 * for one reason, or rejected. */
static void add_counts(struct run *run)
{
    struct cdp_report *r = &run->report;
    struct cdp_export_counts c = { 0 };
    if (run->writer)
        cdp_export_writer_counts(run->writer, &c);
    struct cdp_buf label = CDP_BUF_INIT;
    cdp_report_add(r, "read", "profiles read", run->read);
    if (run->summary) {
        cdp_report_add(r, "claims", "with a row", run->claims);
        cdp_report_add(r, "refusals", "refusing the channel", run->refusals);
    }
    cdp_buf_adds(&label, "exported");
    if (c.delta)
        cdp_buf_printf(&label, " (%llu added, %llu changed, %llu unchanged)", (unsigned long long)c.added,
                       (unsigned long long)c.changed, (unsigned long long)c.unchanged);
    if (!run->summary)
        cdp_report_add(r, "exported", label.data, run->exported);
    if (c.delta) {
        cdp_report_add(r, "added", NULL, c.added);
        cdp_report_add(r, "changed", NULL, c.changed);
        cdp_report_add(r, "unchanged", NULL, c.unchanged);
        cdp_report_add(r, "removed", "removed", c.removed);
    }
    uint64_t skipped = 0;
    cdp_buf_reset(&label);
    cdp_buf_adds(&label, "skipped");
    for (int i = 1; i < CDP_SKIP_COUNT; i++) {
        if (run->skipped[i])
            cdp_buf_printf(&label, "%s%llu %s", skipped ? ", " : " (", (unsigned long long)run->skipped[i],
                           cdp_skip_name((enum cdp_skip)i));
        skipped += run->skipped[i];
    }
    if (skipped)
        cdp_buf_addc(&label, ')');
    cdp_report_add(r, "skipped", label.data, skipped);
    cdp_report_add(r, "rejected", "rejected", run->rejected);
    if (run->p->writer.channel == CDP_CHANNEL_ADS)
        cdp_report_add(r, "exported_without_consent_ads", NULL, run->ads_consent_absent);
    for (int i = 1; i < CDP_SKIP_COUNT; i++)
        if (i != CDP_SKIP_FORGOTTEN || run->p->forgotten)
            cdp_report_detail(r, "skipped", cdp_skip_name((enum cdp_skip)i), run->skipped[i]);
    const struct cdp_suppress *s = run->audience ? cdp_audience_suppression(run->audience) : NULL;
    if (s) {
        size_t e, ph, h, u;
        cdp_suppress_counts(s, &e, &ph, &h, &u);
        cdp_report_detail(r, "suppression_list", "emails", e);
        cdp_report_detail(r, "suppression_list", "phones", ph);
        cdp_report_detail(r, "suppression_list", "hashes", h);
        cdp_report_detail(r, "suppression_list", "ignored", u);
    }
    cdp_buf_release(&label);
}

static struct cdp_output *stats_output(struct run *run, struct cdp_error *err)
{
    const struct prefs *p = run->p;
    struct cdp_buf extra = CDP_BUF_INIT;
    cdp_buf_printf(&extra, "\"format\":\"%s\",\"channel\":\"%s\"", p->writer.format->name,
                   cdp_channel_name(p->writer.channel));
    cdp_export_writer_files(run->writer, &extra);
    struct cdp_output *o = cdp_report_stats_output(&run->report, p->io.stats, extra.data, err);
    cdp_buf_release(&extra);
    return o;
}

static void release(struct run *run)
{
    for (size_t i = 0; run->jq && i < run->p->exprs.n; i++)
        cdp_jq_free(run->jq[i]);
    free(run->jq);
    cdp_rejects_abort(run->rejects);
    cdp_export_writer_free(run->writer);
    cdp_audience_free(run->audience);
    cdp_forgetlist_free(run->forgotten);
    for (size_t i = 0; i < run->ninputs; i++)
        cdp_reread_release(&run->inputs[i]);
    free(run->inputs);
    cdp_contact_release(&run->contact);
    cdp_buf_release(&run->value);
    cdp_export_recs_free(run->recs);
    cdp_contacts_free(run->contacts);
    cdp_contacts_summary_free(run->summary);
    cdp_output_abort(run->out);
    cdp_contact_release(&run->refusal);
    cdp_buf_release(&run->with_recs);
    cdp_record_release(&run->rec);
    cdp_report_release(&run->report);
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
        run.rec = (struct cdp_record)CDP_RECORD_INIT;
        cdp_report_init(&run.report, program.name);
        cdp_io_apply_report(&p.io, &run.report);
        struct cdp_error err;
        status = export(&run, argc - first, argv + first, &err);
        if (status == 2)
            cdp_usage_error(program.name, "%s", err.msg);
        else if (status)
            cdp_report_error(&run.report, "%s", err.msg);
        if (status != 2 && !run.counted)
            add_counts(&run);
        if (status == 1)
            cdp_report_unwritten(&run.report, p.io.output, "exported");
        if (status != 2)
            cdp_report_summary(&run.report);
        release(&run);
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
