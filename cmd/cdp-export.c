/* cdp-export: audience files that mailing services and ad platforms accept,
 * with consent, suppression lists and control groups honoured. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "export/audience.h"
#include "export/csv_cell.h"
#include "export/delta.h"
#include "export/format.h"
#include "export/parts.h"
#include "base/intern.h"
#include "io/reread.h"
#include "rules/jq.h"
#include "io/json.h"
#include "io/reader.h"
#include "cli/report.h"
#include "export/suppress.h"

static const char *const prog = "cdp-export";

static void usage(void)
{
    printf("Usage: %s --format FMT [OPTION]... [FILE]...\n"
           "Write the profiles (from cdp-merge and cdp-segment) that may be contacted as a\n"
           "file a mailing service or ad platform accepts. With no FILE, or FILE '-', read\n"
           "stdin.\n"
           "\n"
           "  -f, --format FMT          csv, ndjson, mailchimp, unisender, sendpulse, brevo,\n"
           "                            google-customer-match, meta or sms\n"
           "  -s, --segment NAME        only members of segment NAME (repeat: any of them)\n"
           "      --channel CH          email, sms, ads or none: whose consent and which\n"
           "                            contact a row needs (default: the format's)\n"
           "      --include-holdout     export held-out control-group members too\n"
           "      --strict-consent      ads: leave out profiles without consent_ads\n"
           "      --suppress FILE       never export the e-mails, phones or SHA-256 hashes\n"
           "                            listed in FILE (repeatable)\n"
           "      --suppress-column NAME  read suppression files as CSV, this column\n"
           "      --region CC           country of suppressed phones written without a\n"
           "                            code (RU)\n"
           "  -c, --column HEADER=JQ    a column: jq over the profile (csv; after the fixed\n"
           "                            columns of mailchimp, unisender, sendpulse, brevo)\n"
           "  -d, --delimiter C         csv: the delimiter (default ',')\n"
           "      --bom                 csv: start with a UTF-8 byte-order mark (Excel)\n"
           "      --crlf                end lines with CR LF\n"
           "      --no-plus             sms: numbers without the leading '+'\n"
           "      --previous FILE       the last export of this audience (repeat for its\n"
           "                            parts): write only rows added or changed since\n"
           "      --removed FILE        with --previous: write there the rows to remove\n"
           "      --full FILE           also write the whole audience there (the next\n"
           "                            run's --previous)\n"
           "      --split-rows N        write OUT as NAME-0001.EXT, NAME-0002.EXT, ... of at\n"
           "                            most N rows each\n"
           "      --mode MODE           permissions of the files written (default 0600)\n"
           "  -o, --output FILE         write to FILE (atomically) instead of stdout\n"
           "  -z, --zstd                compress the output (also when FILE ends in .zst)\n"
           "      --zstd-level N        compression level 1-19 (default 1; implies -z)\n"
           "  -i, --input-format FMT    ndjson (default) or csv\n"
           "      --encoding ENC        input encoding (default utf-8)\n"
           "      --stats FILE          write the counts as JSON\n"
           "  -q, --quiet               no summary line on stderr\n"
           "      --progress            show progress on stderr\n"
           "      --help                show this help\n"
           "      --version             show the version\n"
           "\n"
           "See cdp-export(1).\n",
           prog);
}

enum {
    OPT_CHANNEL = CDP_OPT_FIRST_PROGRAM_OPTION,
    OPT_INCLUDE_HOLDOUT,
    OPT_STRICT_CONSENT,
    OPT_SUPPRESS,
    OPT_SUPPRESS_COLUMN,
    OPT_REGION,
    OPT_BOM,
    OPT_CRLF,
    OPT_NO_PLUS,
    OPT_PREVIOUS,
    OPT_REMOVED,
    OPT_FULL,
    OPT_SPLIT_ROWS,
    OPT_MODE,
};

static const struct option long_options[] = {
    { "format", required_argument, NULL, 'f' },
    { "segment", required_argument, NULL, 's' },
    { "channel", required_argument, NULL, OPT_CHANNEL },
    { "include-holdout", no_argument, NULL, OPT_INCLUDE_HOLDOUT },
    { "strict-consent", no_argument, NULL, OPT_STRICT_CONSENT },
    { "suppress", required_argument, NULL, OPT_SUPPRESS },
    { "suppress-column", required_argument, NULL, OPT_SUPPRESS_COLUMN },
    { "region", required_argument, NULL, OPT_REGION },
    { "column", required_argument, NULL, 'c' },
    { "bom", no_argument, NULL, OPT_BOM },
    { "crlf", no_argument, NULL, OPT_CRLF },
    { "no-plus", no_argument, NULL, OPT_NO_PLUS },
    { "previous", required_argument, NULL, OPT_PREVIOUS },
    { "removed", required_argument, NULL, OPT_REMOVED },
    { "full", required_argument, NULL, OPT_FULL },
    { "split-rows", required_argument, NULL, OPT_SPLIT_ROWS },
    { "mode", required_argument, NULL, OPT_MODE },
    CDP_IO_LONG_OPTIONS,
    { NULL, 0, NULL, 0 },
};

struct column {
    char *header;
    const char *expr;
};

struct prefs {
    struct cdp_io_prefs io;
    const struct cdp_export_format *format;
    enum cdp_channel channel;
    bool channel_set;
    const char **segments;
    size_t nsegments;
    bool include_holdout, strict_consent;
    const char **suppress;
    size_t nsuppress;
    const char *suppress_column;
    const char *region;
    struct column *columns;
    size_t ncolumns;
    char delimiter;
    bool bom, crlf, no_plus;
    const char **previous;
    size_t nprevious;
    const char *removed, *full;
    long split_rows;
    long mode;
};

static void push(const char ***v, size_t *n, const char *s)
{
    *v = cdp_xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = s;
}

static int parse_args(int argc, char **argv, struct prefs *p)
{
    int c;
    bool delimiter_set = false;
    p->mode = 0600;
    while ((c = getopt_long(argc, argv, "f:s:c:" CDP_IO_SHORT_OPTIONS, long_options, NULL)) != -1) {
        switch (c) {
        case 'f':
            p->format = cdp_export_format_find(optarg);
            if (!p->format)
                return cdp_usage_error(prog, "--format takes %s, not '%s'",
                                       cdp_export_format_names(), optarg);
            break;
        case 's':
            if (!*optarg)
                return cdp_usage_error(prog, "--segment takes a segment name");
            push(&p->segments, &p->nsegments, optarg);
            break;
        case OPT_CHANNEL:
            if (!cdp_channel_parse(optarg, &p->channel))
                return cdp_usage_error(prog, "--channel takes email, sms, ads or none, not '%s'",
                                       optarg);
            p->channel_set = true;
            break;
        case OPT_INCLUDE_HOLDOUT:
            p->include_holdout = true;
            break;
        case OPT_STRICT_CONSENT:
            p->strict_consent = true;
            break;
        case OPT_SUPPRESS:
            push(&p->suppress, &p->nsuppress, optarg);
            break;
        case OPT_SUPPRESS_COLUMN:
            p->suppress_column = optarg;
            break;
        case OPT_REGION:
            p->region = optarg;
            break;
        case 'c': {
            const char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || !eq[1])
                return cdp_usage_error(prog, "-c takes HEADER=JQ, not '%s'", optarg);
            p->columns = cdp_xrealloc(p->columns, (p->ncolumns + 1) * sizeof *p->columns);
            p->columns[p->ncolumns].header = cdp_xstrndup(optarg, (size_t)(eq - optarg));
            p->columns[p->ncolumns++].expr = eq + 1;
            break;
        }
        case 'd':
            /* The output delimiter here: profiles come as NDJSON. The
             * shared parser reads the spellings (tab, semicolon, ';'...). */
            if (cdp_io_option(&p->io, prog, c, optarg) != 1)
                return 2;
            p->delimiter = p->io.in.delimiter;
            p->io.in.delimiter = 0;
            delimiter_set = true;
            break;
        case OPT_BOM:
            p->bom = true;
            break;
        case OPT_CRLF:
            p->crlf = true;
            break;
        case OPT_NO_PLUS:
            p->no_plus = true;
            break;
        case OPT_PREVIOUS:
            push(&p->previous, &p->nprevious, optarg);
            break;
        case OPT_REMOVED:
            p->removed = optarg;
            break;
        case OPT_FULL:
            p->full = optarg;
            break;
        case OPT_SPLIT_ROWS:
            if (!cdp_parse_long(optarg, 1, 1000000000L, &p->split_rows))
                return cdp_usage_error(prog, "--split-rows takes a number of rows (1 or more), not '%s'",
                                       optarg);
            break;
        case OPT_MODE: {
            char *end;
            p->mode = strtol(optarg, &end, 8);
            if (!*optarg || *end || p->mode < 0 || p->mode > 0777)
                return cdp_usage_error(prog, "--mode takes octal permissions like 0600 or 644, not '%s'",
                                       optarg);
            break;
        }
        default: {
            int k = cdp_io_option(&p->io, prog, c, optarg);
            if (k == 1)
                break;
            if (k != 2)
                fprintf(stderr, "Try '%s --help' for more information.\n", prog);
            return 2;
        }
        }
    }
    if (p->io.help || p->io.version)
        return 0;
    const struct cdp_export_format *f = p->format;
    if (!f)
        return cdp_usage_error(prog, "--format is required: %s", cdp_export_format_names());
    if (!p->channel_set)
        p->channel = f->channel;
    if (!(f->channels & (1u << p->channel)))
        return cdp_usage_error(prog, "--format %s is for --channel %s, not %s", f->name,
                               cdp_channel_name(f->channel), cdp_channel_name(p->channel));
    if (p->ncolumns && !f->extra_columns)
        return cdp_usage_error(prog, "-c: --format %s has fixed columns", f->name);
    if (f->kind == CDP_EXPORT_CSV && !p->ncolumns)
        return cdp_usage_error(prog, "--format csv needs its columns: -c HEADER=JQ");
    if ((delimiter_set || p->bom) && !f->own_delimiter)
        return cdp_usage_error(prog, "%s: the %s format fixes its own delimiter and encoding",
                               delimiter_set ? "-d" : "--bom", f->name);
    if (p->crlf && f->kind == CDP_EXPORT_NDJSON)
        return cdp_usage_error(prog, "--crlf: NDJSON lines end in LF");
    if (p->no_plus && f->kind != CDP_EXPORT_SMS)
        return cdp_usage_error(prog, "--no-plus applies to --format sms");
    if (p->removed && !p->nprevious)
        return cdp_usage_error(prog, "--removed needs --previous (what was exported before)");
    if (p->suppress_column && !p->nsuppress)
        return cdp_usage_error(prog, "--suppress-column needs --suppress FILE");
    if (p->split_rows && (!p->io.output || strcmp(p->io.output, "-") == 0))
        return cdp_usage_error(prog, "--split-rows needs -o FILE to name the parts after");
    if (!delimiter_set)
        p->delimiter = f->delimiter;
    p->io.out.mode = (mode_t)p->mode;
    return 0;
}

/* ---- inputs ------------------------------------------------------------ */


/* ---- the run ----------------------------------------------------------- */

struct run {
    const struct prefs *p;
    struct cdp_report report;
    struct cdp_audience *audience;
    struct cdp_suppress *suppress;
    struct cdp_suppress *refused; /* contacts of profiles that said no */
    struct cdp_export_rows *rows;
    struct cdp_jq **jq;
    struct cdp_delta *delta;
    struct cdp_intern *contacts; /* keys already exported */
    struct cdp_parts *out, *full, *removed;
    struct cdp_contact contact;
    struct cdp_cells cells;
    struct cdp_buf row, value, head;
    const char *eol;
    size_t key_columns[2], nkeys;
    /* counts */
    uint64_t read, exported, rejected, skipped[CDP_SKIP_COUNT];
    uint64_t added, changed, unchanged, removed_rows, ads_consent_absent;
};

static void suppress_bad(void *ctx, const char *file, uint64_t line, const char *text, size_t len)
{
    struct run *run = ctx;
    cdp_report_data(&run->report, file, line,
                    "not an e-mail, phone or SHA-256 hash, ignored: '%.*s'", (int)(len > 80 ? 80 : len),
                    text);
}

/* The header row (and BOM) every file of this export starts with. */
static void make_head(struct run *run)
{
    const struct prefs *p = run->p;
    const struct cdp_export_format *f = p->format;
    struct cdp_buf *h = &run->head;
    if (p->bom)
        cdp_buf_add(h, "\xEF\xBB\xBF", 3);
    if (!f->header)
        return;
    size_t col = 0;
    for (size_t i = 0; i < f->ncolumns; i++, col++) {
        if (col)
            cdp_buf_addc(h, p->delimiter);
        cdp_csv_add_cell(h, f->columns[i], strlen(f->columns[i]), p->delimiter);
    }
    for (size_t i = 0; i < p->ncolumns; i++, col++) {
        if (col)
            cdp_buf_addc(h, p->delimiter);
        cdp_csv_add_cell(h, p->columns[i].header, strlen(p->columns[i].header), p->delimiter);
    }
    cdp_buf_adds(h, run->eol);
}

/* The jq columns' cells; false (with a message) when one fails. */
static bool jq_cells(struct run *run, const struct cdp_record *rec, const char *file,
                     uint64_t line)
{
    for (size_t i = 0; i < run->p->ncolumns; i++) {
        struct cdp_error err;
        cdp_buf_reset(&run->value);
        int k = cdp_jq_run_record(run->jq[i], rec, &run->value, '\n', &err);
        if (k < 0) {
            cdp_report_data(&run->report, file, line, "-c %s: %s; profile skipped",
                            run->p->columns[i].header, err.msg);
            return false;
        }
        /* The first output only; none is null. */
        const char *v = "null";
        size_t len = 4;
        if (k > 0) {
            v = run->value.data;
            const char *nl = memchr(v, '\n', run->value.len);
            len = nl ? (size_t)(nl - v) : run->value.len;
        }
        cdp_cells_add_json(&run->cells, v, len);
    }
    return true;
}

static bool suppressed(struct run *run)
{
    const struct cdp_contact *c = &run->contact;
    const char *s = c->emails.data;
    for (size_t i = 0; i < c->nemails; i++) {
        size_t n = strlen(s);
        if (cdp_suppress_email(run->suppress, s, n))
            return true;
        s += n + 1;
    }
    s = c->phones.data;
    for (size_t i = 0; i < c->nphones; i++) {
        size_t n = strlen(s);
        if (cdp_suppress_phone(run->suppress, s, n))
            return true;
        s += n + 1;
    }
    return false;
}

/* Whether the contact this row is for was refused by another profile. */
static bool refused_elsewhere(struct run *run)
{
    const struct cdp_contact *c = &run->contact;
    switch (run->p->channel) {
    case CDP_CHANNEL_EMAIL:
        return c->email_len && cdp_suppress_email(run->refused, c->email, c->email_len);
    case CDP_CHANNEL_SMS:
        return c->mobile[0] && cdp_suppress_phone(run->refused, c->mobile, strlen(c->mobile));
    case CDP_CHANNEL_ADS:
        return (c->email_len && cdp_suppress_email(run->refused, c->email, c->email_len)) ||
               (c->phone[0] && cdp_suppress_phone(run->refused, c->phone, strlen(c->phone)));
    case CDP_CHANNEL_NONE:
        break;
    }
    return false;
}

/* Pass 1: the e-mails and phones of every profile that refused the
 * channel, so that no other profile sharing one gets it written. */
static int collect_refusals(struct run *run, struct cdp_reread *inputs, size_t ninputs,
                            struct cdp_record *rec, struct cdp_error *err)
{
    struct cdp_json_parser *json = cdp_json_parser_new();
    struct cdp_reader_options ro = run->p->io.in;
    ro.lines_only = true;
    int rc = 0;
    for (size_t i = 0; i < ninputs && rc == 0; i++) {
        struct cdp_reader *r = cdp_reader_open(inputs[i].path, &ro, err);
        if (!r) {
            rc = -1;
            break;
        }
        bool lines = cdp_reader_format(r) == CDP_FORMAT_NDJSON;
        struct cdp_row row;
        enum cdp_read k;
        while ((k = cdp_reader_next(r, rec, &row, err)) != CDP_READ_END) {
            if (k == CDP_READ_ERROR) {
                rc = -1;
                break;
            }
            if (k != CDP_READ_ROW)
                continue;
            if (lines) {
                /* the reader keeps CDP_LINE_PADDING bytes readable after it */
                struct cdp_error why;
                if (!cdp_audience_may_refuse(run->audience, row.raw, row.rawlen) ||
                    cdp_json_parse_object(json, row.raw, row.rawlen, rec, &why) != CDP_JSON_OK)
                    continue;
            }
            if (!cdp_audience_refused(run->audience, rec, &run->contact))
                continue;
            const struct cdp_contact *c = &run->contact;
            const char *s = c->emails.data;
            for (size_t j = 0; j < c->nemails; s += strlen(s) + 1, j++)
                cdp_suppress_add_email(run->refused, s, strlen(s));
            s = c->phones.data;
            for (size_t j = 0; j < c->nphones; s += strlen(s) + 1, j++)
                cdp_suppress_add_phone(run->refused, s, strlen(s));
        }
        cdp_reader_close(r);
    }
    cdp_json_parser_free(json);
    return rc;
}

/* One profile: exported, or counted under the reason it is not. */
static int profile(struct run *run, const struct cdp_record *rec, const struct cdp_row *row,
                   const char *file, struct cdp_error *err)
{
    const struct prefs *p = run->p;
    enum cdp_skip why = cdp_audience_check(run->audience, rec, &run->contact);
    if (why == CDP_SKIP_NONE && run->suppress && suppressed(run))
        why = CDP_SKIP_SUPPRESSED;
    if (why == CDP_SKIP_NONE && run->refused && refused_elsewhere(run))
        why = CDP_SKIP_REFUSED_ELSEWHERE;
    if (why != CDP_SKIP_NONE) {
        run->skipped[why]++;
        return 0;
    }
    /* The row's text. */
    struct cdp_buf *line = &run->row;
    cdp_buf_reset(line);
    cdp_cells_reset(&run->cells);
    const char *key = "";
    size_t klen = 0;
    if (p->format->kind == CDP_EXPORT_NDJSON) {
        cdp_buf_add(line, row->raw, row->rawlen);
        const struct cdp_field *id = cdp_record_gets(rec, "cdp_id");
        if (id && id->type == CDP_STRING)
            key = id->val, klen = id->vlen;
    } else {
        cdp_export_rows_cells(run->rows, rec, &run->contact, &run->cells);
        if (!jq_cells(run, rec, file, row->line)) {
            run->skipped[CDP_SKIP_COLUMN_ERROR]++;
            return 0;
        }
        for (size_t i = 0; i < run->cells.n; i++) {
            if (i)
                cdp_buf_addc(line, p->delimiter);
            const char *s = run->cells.text.data + run->cells.off[i];
            if (p->format->header)
                cdp_csv_add_cell(line, s, run->cells.len[i], p->delimiter);
            else
                cdp_buf_add(line, s, run->cells.len[i]);
        }
        for (size_t j = 0; j < run->nkeys; j++) {
            size_t i = run->key_columns[j];
            if (i < run->cells.n && run->cells.len[i]) {
                key = run->cells.text.data + run->cells.off[i];
                klen = run->cells.len[i];
                break;
            }
        }
    }
    /* One row per contact. */
    const char *ckey;
    size_t clen;
    cdp_export_contact_key(p->format, p->channel, &run->contact, &run->cells, &ckey, &clen);
    if (clen) {
        int added = 0;
        cdp_intern_add(run->contacts, ckey, clen, &added);
        if (!added) {
            run->skipped[CDP_SKIP_DUPLICATE]++;
            return 0;
        }
    }
    run->exported++;
    if (run->contact.ads_consent_absent)
        run->ads_consent_absent++;
    size_t textlen = line->len;
    cdp_buf_adds(line, run->eol);
    if (run->full && cdp_parts_row(run->full, line->data, line->len, err) < 0)
        return -1;
    if (run->delta) {
        switch (cdp_delta_check(run->delta, key, klen, line->data, textlen)) {
        case CDP_DELTA_UNCHANGED:
            run->unchanged++;
            return 0;
        case CDP_DELTA_CHANGED:
            run->changed++;
            break;
        case CDP_DELTA_ADDED:
            run->added++;
            break;
        }
    }
    return cdp_parts_row(run->out, line->data, line->len, err);
}

static int open_parts(struct run *run, struct cdp_parts **out, const char *path, bool split,
                      bool zstd, struct cdp_error *err)
{
    const struct prefs *p = run->p;
    struct cdp_parts_options po;
    memset(&po, 0, sizeof po);
    po.path = path;
    po.split_rows = split ? (uint64_t)p->split_rows : 0;
    po.out.mode = p->io.out.mode;
    po.out.zstd = zstd && p->io.out.zstd;
    po.out.zstd_level = p->io.out.zstd_level;
    po.head = run->head.data;
    po.head_len = run->head.len;
    *out = cdp_parts_open(&po, err);
    return *out ? 0 : -1;
}

/* The summary line and --stats: every profile read is exported, skipped
 * for one reason, or rejected. */
static void add_counts(struct run *run)
{
    const struct prefs *p = run->p;
    struct cdp_report *r = &run->report;
    struct cdp_buf label = CDP_BUF_INIT;
    cdp_report_add(r, "read", "profiles read", run->read);
    if (run->delta)
        cdp_buf_printf(&label, "exported (%llu added, %llu changed, %llu unchanged)",
                       (unsigned long long)run->added, (unsigned long long)run->changed,
                       (unsigned long long)run->unchanged);
    else
        cdp_buf_adds(&label, "exported");
    cdp_report_add(r, "exported", label.data, run->exported);
    if (run->delta) {
        cdp_report_add(r, "added", NULL, run->added);
        cdp_report_add(r, "changed", NULL, run->changed);
        cdp_report_add(r, "unchanged", NULL, run->unchanged);
        cdp_report_add(r, "removed", "removed", run->removed_rows);
    }
    uint64_t skipped = 0;
    cdp_buf_reset(&label);
    cdp_buf_adds(&label, "skipped");
    bool first = true;
    for (int i = 1; i < CDP_SKIP_COUNT; i++) {
        skipped += run->skipped[i];
        if (!run->skipped[i])
            continue;
        cdp_buf_printf(&label, "%s%llu %s", first ? " (" : ", ",
                       (unsigned long long)run->skipped[i], cdp_skip_name((enum cdp_skip)i));
        first = false;
    }
    if (!first)
        cdp_buf_addc(&label, ')');
    cdp_report_add(r, "skipped", label.data, skipped);
    cdp_report_add(r, "rejected", "rejected", run->rejected);
    if (p->channel == CDP_CHANNEL_ADS)
        cdp_report_add(r, "exported_without_consent_ads", NULL, run->ads_consent_absent);
    for (int i = 1; i < CDP_SKIP_COUNT; i++)
        cdp_report_detail(r, "skipped", cdp_skip_name((enum cdp_skip)i), run->skipped[i]);
    if (run->suppress) {
        size_t e, ph, h, u;
        cdp_suppress_counts(run->suppress, &e, &ph, &h, &u);
        cdp_report_detail(r, "suppression_list", "emails", e);
        cdp_report_detail(r, "suppression_list", "phones", ph);
        cdp_report_detail(r, "suppression_list", "hashes", h);
        cdp_report_detail(r, "suppression_list", "ignored", u);
    }
    cdp_buf_release(&label);
}

static void add_files(struct cdp_buf *b, const char *name, const struct cdp_parts *parts)
{
    if (!parts)
        return;
    cdp_buf_printf(b, "%s\"%s\":[", b->len ? "," : "", name);
    for (size_t i = 0; i < cdp_parts_count(parts); i++) {
        const char *f = cdp_parts_file(parts, i);
        if (i)
            cdp_buf_addc(b, ',');
        cdp_json_add_string(b, f, strlen(f));
    }
    cdp_buf_addc(b, ']');
}

int main(int argc, char **argv)
{
    argv[0] = (char *)prog;
    struct prefs p;
    memset(&p, 0, sizeof p);
    cdp_io_prefs_init(&p.io);
    int status = parse_args(argc, argv, &p);
    struct run run;
    memset(&run, 0, sizeof run);
    struct cdp_record rec = CDP_RECORD_INIT;
    struct cdp_error err;
    struct cdp_reread *inputs = NULL;
    size_t ninputs = 0;
    if (status || p.io.help || p.io.version) {
        if (!status && p.io.help)
            usage();
        else if (!status)
            cdp_print_version(prog);
        goto free_prefs;
    }
    signal(SIGPIPE, SIG_IGN);
    run.p = &p;
    run.eol = p.crlf ? "\r\n" : "\n";
    cdp_report_init(&run.report, prog);
    cdp_io_apply_report(&p.io, &run.report);
    status = 1;

    /* Usage errors first: the jq columns and the region. */
    run.jq = cdp_xcalloc(p.ncolumns + 1, sizeof *run.jq);
    for (size_t i = 0; i < p.ncolumns; i++) {
        run.jq[i] = cdp_jq_compile(p.columns[i].expr, NULL, &err);
        if (!run.jq[i]) {
            status = cdp_usage_error(prog, "-c %s: %s", p.columns[i].header, err.msg);
            goto done;
        }
    }
    struct cdp_audience_options ao = {
        .channel = p.channel,
        .segments = p.segments,
        .nsegments = p.nsegments,
        .include_holdout = p.include_holdout,
        .strict_consent = p.strict_consent,
        .want_mobile = p.format->want_mobile,
        .want_tags = p.format->want_tags,
        .region = p.region,
    };
    run.audience = cdp_audience_new(&ao, &err);
    if (!run.audience) {
        status = cdp_usage_error(prog, "--region: %s", err.msg);
        goto done;
    }
    run.rows = cdp_export_rows_new(p.format, p.channel, !p.no_plus);
    if (!run.rows) {
        cdp_report_error(&run.report, "libcrypto has no SHA-256");
        goto done;
    }
    run.contacts = cdp_intern_new();
    run.nkeys = cdp_export_key_columns(p.format, p.channel, run.key_columns);
    make_head(&run);

    /* What must not be sent, and what was sent before. */
    if (p.nsuppress) {
        run.suppress = cdp_suppress_new(p.region, &err);
        if (!run.suppress) {
            cdp_report_error(&run.report, "%s", err.msg);
            goto done;
        }
        for (size_t i = 0; i < p.nsuppress; i++)
            if (cdp_suppress_load(run.suppress, p.suppress[i], p.suppress_column, suppress_bad,
                                  &run, &err) < 0) {
                cdp_report_error(&run.report, "--suppress %s", err.msg);
                goto done;
            }
    }
    if (p.nprevious) {
        const char **header = cdp_xcalloc(p.format->ncolumns + p.ncolumns + 1, sizeof *header);
        size_t n = 0;
        for (size_t i = 0; i < p.format->ncolumns; i++)
            header[n++] = p.format->columns[i];
        for (size_t i = 0; i < p.ncolumns; i++)
            header[n++] = p.columns[i].header;
        struct cdp_delta_format df = {
            .kind = p.format->kind == CDP_EXPORT_NDJSON ? CDP_DELTA_NDJSON
                  : p.format->header                  ? CDP_DELTA_CSV
                                                      : CDP_DELTA_LINES,
            .delimiter = p.delimiter,
            .header = header,
            .ncolumns = n,
            .key_columns = run.key_columns,
            .nkeys = run.nkeys,
        };
        run.delta = cdp_delta_new(&df);
        int bad = 0;
        for (size_t i = 0; i < p.nprevious && !bad; i++)
            bad = cdp_delta_load(run.delta, p.previous[i], &err);
        free(header);
        if (bad) {
            cdp_report_error(&run.report, "--previous %s", err.msg);
            goto done;
        }
    }

    /* The inputs; with a channel, first the contacts refused anywhere. */
    ninputs = argc > optind ? (size_t)(argc - optind) : 1;
    inputs = cdp_xcalloc(ninputs, sizeof *inputs);
    for (size_t i = 0; i < ninputs; i++) {
        cdp_reread_init(&inputs[i], argc > optind ? argv[optind + (int)i] : "-");
    }
    if (p.channel != CDP_CHANNEL_NONE) {
        for (size_t i = 0; i < ninputs; i++)
            if (cdp_reread_spool(&inputs[i], &err) < 0) {
                cdp_report_error(&run.report, "%s", err.msg);
                goto done;
            }
        run.refused = cdp_suppress_new(p.region, &err);
        if (!run.refused || collect_refusals(&run, inputs, ninputs, &rec, &err) < 0) {
            cdp_report_error(&run.report, "%s", err.msg);
            goto done;
        }
    }

    if (p.split_rows) {
        /* Every part stays open until all are named together. */
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
            rl.rlim_cur = rl.rlim_max;
            setrlimit(RLIMIT_NOFILE, &rl);
        }
    }
    if (open_parts(&run, &run.out, p.io.output, true, true, &err) < 0 ||
        (p.full && open_parts(&run, &run.full, p.full, false, false, &err) < 0)) {
        cdp_report_error(&run.report, "%s", err.msg);
        goto done;
    }

    for (size_t i = 0; i < ninputs; i++) {
        const char *label = inputs[i].label;
        struct cdp_reader *r = cdp_reader_open(inputs[i].path, &p.io.in, &err);
        if (!r) {
            cdp_report_error(&run.report, "%s", err.msg);
            goto done;
        }
        struct cdp_row row;
        for (;;) {
            enum cdp_read k = cdp_reader_next(r, &rec, &row, &err);
            if (k == CDP_READ_END)
                break;
            if (k == CDP_READ_ERROR) {
                cdp_report_error(&run.report, "%s", err.msg);
                cdp_reader_close(r);
                goto done;
            }
            run.read++;
            cdp_report_tick(&run.report, run.read, cdp_reader_bytes(r));
            if (k == CDP_READ_BAD) {
                run.rejected++;
                cdp_report_data(&run.report, label, row.line, "%s; line rejected", row.reason);
                continue;
            }
            if (profile(&run, &rec, &row, label, &err) < 0) {
                cdp_report_error(&run.report, "%s", err.msg);
                cdp_reader_close(r);
                goto done;
            }
        }
        cdp_reader_close(r);
    }

    /* The rows to remove: those of the last export this run did not write. */
    if (run.delta) {
        if (p.removed && open_parts(&run, &run.removed, p.removed, true, false, &err) < 0) {
            cdp_report_error(&run.report, "%s", err.msg);
            goto done;
        }
        size_t pos = 0;
        const char *text;
        size_t len;
        while (cdp_delta_next_removed(run.delta, &pos, &text, &len)) {
            run.removed_rows++;
            if (!run.removed)
                continue;
            cdp_buf_reset(&run.row);
            cdp_buf_add(&run.row, text, len);
            cdp_buf_adds(&run.row, run.eol);
            if (cdp_parts_row(run.removed, run.row.data, run.row.len, &err) < 0) {
                cdp_report_error(&run.report, "%s", err.msg);
                goto done;
            }
        }
    }
    /* The whole audience last: it is what the next run compares with, so it
     * must not claim rows whose delivery files failed. */
    if ((run.removed && cdp_parts_commit(run.removed, &err) < 0) ||
        cdp_parts_commit(run.out, &err) < 0 || (run.full && cdp_parts_commit(run.full, &err) < 0)) {
        cdp_report_error(&run.report, "%s", err.msg);
        goto done;
    }
    add_counts(&run);
    if (p.io.stats) {
        struct cdp_buf extra = CDP_BUF_INIT;
        cdp_buf_printf(&extra, "\"format\":\"%s\",\"channel\":\"%s\"", p.format->name,
                       cdp_channel_name(p.channel));
        if (p.io.output && strcmp(p.io.output, "-") != 0)
            add_files(&extra, "files", run.out);
        add_files(&extra, "removed_files", run.removed);
        add_files(&extra, "full_files", run.full);
        int rc = cdp_report_write_stats(&run.report, p.io.stats, extra.data, &err);
        cdp_buf_release(&extra);
        if (rc < 0) {
            cdp_report_error(&run.report, "%s", err.msg);
            goto summary;
        }
    }
    status = 0;
    goto summary;
done:
    if (status != 2)
        add_counts(&run);
summary:
    if (status != 2)
        cdp_report_summary(&run.report);
    cdp_parts_free(run.out);
    cdp_parts_free(run.full);
    cdp_parts_free(run.removed);
    for (size_t i = 0; i < p.ncolumns && run.jq; i++)
        cdp_jq_free(run.jq[i]);
    free(run.jq);
    cdp_audience_free(run.audience);
    cdp_suppress_free(run.suppress);
    cdp_suppress_free(run.refused);
    for (size_t i = 0; i < ninputs; i++)
        cdp_reread_release(&inputs[i]);
    free(inputs);
    cdp_export_rows_free(run.rows);
    cdp_delta_free(run.delta);
    cdp_intern_free(run.contacts);
    cdp_contact_release(&run.contact);
    cdp_cells_release(&run.cells);
    cdp_buf_release(&run.row);
    cdp_buf_release(&run.value);
    cdp_buf_release(&run.head);
    cdp_record_release(&rec);
    if (run.p)
        cdp_report_release(&run.report);
free_prefs:
    free(p.segments);
    free(p.suppress);
    free(p.previous);
    for (size_t i = 0; i < p.ncolumns; i++)
        free(p.columns[i].header);
    free(p.columns);
    return status;
}
