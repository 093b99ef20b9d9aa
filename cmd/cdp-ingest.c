/* cdp-ingest: one source's export (CRM, shop, till) to canonical records. */
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "ingest/ingest.h"
#include "io/json.h"
#include "ingest/mapping.h"
#include "io/output.h"
#include "base/pmap.h"
#include "io/reader.h"
#include "cli/report.h"
#include "norm/schema.h"
#include "io/source.h"

static const char *const prog = "cdp-ingest";

static void usage(void)
{
    printf("Usage: %s --source NAME [OPTION]... [FILE]...\n"
           "Turn one source's export (CSV or NDJSON, plain, .zst or .gz) into canonical\n"
           "records, one JSON object per line. With no FILE, or FILE '-', read stdin.\n"
           "\n"
           "  -s, --source NAME        name of the source (required): crm, shop, pos...\n"
           "  -k, --kind KIND          person or event (default: event if 'event' or 'ts'\n"
           "                           is mapped or set, else person)\n"
           "  -m, --map-field F=COL    fill canonical field F from column COL\n"
           "      --map FILE           read F=COL and F:=VALUE lines from FILE\n"
           "      --set F=VALUE        set field F to a constant\n"
           "      --require F[,F...]   reject rows with no valid value in any of these\n"
           "      --region CC          country of phones written without a code (RU)\n"
           "      --date-order ORDER   read 05/03/2024 as dmy (default) or mdy; ymd\n"
           "                           accepts only dates written year first\n"
           "      --tz OFFSET          UTC offset of times written without one (+00:00)\n"
           "      --as-of DATE         today, for checking birth dates (YYYY-MM-DD)\n"
           "      --drop-unmapped      do not keep unmapped columns under \"attrs\"\n"
           "      --rejects FILE       write rejected rows there, with line and reason\n"
           "      --threads N          worker threads (default: one per CPU; 0: none)\n"
           "  -o, --output FILE        write to FILE (atomically) instead of stdout\n"
           "  -z, --zstd               compress the output (also when FILE ends in .zst)\n"
           "      --zstd-level N       compression level 1-19 (default 1; implies -z)\n"
           "  -i, --input-format FMT   csv, tsv or ndjson (default: from the file name)\n"
           "  -d, --delimiter C        CSV delimiter (default: sniffed among , ; TAB |)\n"
           "      --encoding ENC       input encoding, e.g. cp1251 (default utf-8)\n"
           "      --stats FILE         write counts per reason and field as JSON\n"
           "  -q, --quiet              no summary line on stderr\n"
           "      --progress           show progress on stderr\n"
           "      --help               show this help\n"
           "      --version            show the version\n"
           "\n"
           "See cdp-ingest(1) and cdp-schema(5).\n",
           prog);
}

enum {
    OPT_MAP = CDP_OPT_FIRST_PROGRAM_OPTION,
    OPT_SET,
    OPT_REQUIRE,
    OPT_REGION,
    OPT_DATE_ORDER,
    OPT_TZ,
    OPT_AS_OF,
    OPT_DROP_UNMAPPED,
    OPT_REJECTS,
    OPT_THREADS,
};

static const struct option long_options[] = {
    { "source", required_argument, NULL, 's' },
    { "kind", required_argument, NULL, 'k' },
    { "map-field", required_argument, NULL, 'm' },
    { "map", required_argument, NULL, OPT_MAP },
    { "set", required_argument, NULL, OPT_SET },
    { "require", required_argument, NULL, OPT_REQUIRE },
    { "region", required_argument, NULL, OPT_REGION },
    { "date-order", required_argument, NULL, OPT_DATE_ORDER },
    { "tz", required_argument, NULL, OPT_TZ },
    { "as-of", required_argument, NULL, OPT_AS_OF },
    { "drop-unmapped", no_argument, NULL, OPT_DROP_UNMAPPED },
    { "rejects", required_argument, NULL, OPT_REJECTS },
    { "threads", required_argument, NULL, OPT_THREADS },
    CDP_IO_LONG_OPTIONS,
    { NULL, 0, NULL, 0 },
};

struct prefs {
    struct cdp_io_prefs io;
    struct cdp_ingest_options ingest;
    struct cdp_mapping map;
    const char *rejects;
    long threads; /* -1: one per CPU */
};

/* Everything one run needs, so that one exit path can release it. */
struct run {
    struct prefs *p;
    struct cdp_report report;
    struct cdp_ingest **ings; /* one per worker (or one for no workers) */
    size_t nings;
    struct cdp_pmap *pmap;
    struct cdp_ingest_batch *batches;
    size_t nbatches;
    struct cdp_ingest_batch **spare; /* batches not in flight */
    size_t nspare;
    struct cdp_output *out;
    struct cdp_output *rejects;
    struct cdp_record rec;
    uint64_t bytes_done; /* input bytes of finished files, for progress */
    const char *file;    /* the file being read, for messages */
    bool csv;
    bool write_failed;
    bool full_paths; /* default _rid prefixes use the path, not the base name */
};

/* Rows a batch holds at most, and bytes: enough to make handing a batch to
 * a thread cheap, few enough to keep memory small. */
#define BATCH_ROWS 4096
#define BATCH_BYTES ((size_t)1 << 20)

static int parse_args(int argc, char **argv, struct prefs *p)
{
    struct cdp_error err;
    int c;
    p->ingest.as_of_day = cdp_today();
    p->threads = -1;
    while ((c = getopt_long(argc, argv, "s:k:m:" CDP_IO_SHORT_OPTIONS, long_options, NULL)) != -1) {
        switch (c) {
        case 's':
            p->ingest.source = optarg;
            break;
        case 'k':
            if (strcmp(optarg, "person") == 0)
                p->ingest.kind = CDP_KIND_PERSON;
            else if (strcmp(optarg, "event") == 0)
                p->ingest.kind = CDP_KIND_EVENT;
            else
                return cdp_usage_error(prog, "--kind takes person or event, not '%s'", optarg);
            break;
        case 'm':
        case OPT_SET:
            if (cdp_mapping_add(&p->map, optarg, c == OPT_SET, &err) < 0)
                return cdp_usage_error(prog, "%s %s", c == 'm' ? "-m" : "--set", err.msg);
            break;
        case OPT_MAP:
            if (cdp_mapping_load(&p->map, optarg, &err) < 0)
                return cdp_usage_error(prog, "%s", err.msg);
            break;
        case OPT_REQUIRE:
            if (cdp_mapping_require(&p->map, optarg, &err) < 0)
                return cdp_usage_error(prog, "%s", err.msg);
            break;
        case OPT_REGION:
            p->ingest.region = optarg;
            break;
        case OPT_DATE_ORDER:
            if (strcmp(optarg, "dmy") == 0)
                p->ingest.date_order = CDP_ORDER_DMY;
            else if (strcmp(optarg, "mdy") == 0)
                p->ingest.date_order = CDP_ORDER_MDY;
            else if (strcmp(optarg, "ymd") == 0)
                p->ingest.date_order = CDP_ORDER_YMD;
            else
                return cdp_usage_error(prog, "--date-order takes dmy, mdy or ymd, not '%s'",
                                       optarg);
            break;
        case OPT_TZ:
            if (!cdp_parse_utc_offset(optarg, &p->ingest.tz_offset))
                return cdp_usage_error(prog, "--tz takes an offset like +03:00, not '%s'",
                                       optarg);
            break;
        case OPT_AS_OF:
            if (!cdp_parse_day(optarg, &p->ingest.as_of_day))
                return cdp_usage_error(prog, "--as-of takes a date YYYY-MM-DD, not '%s'", optarg);
            break;
        case OPT_DROP_UNMAPPED:
            p->ingest.drop_unmapped = true;
            break;
        case OPT_REJECTS:
            p->rejects = optarg;
            break;
        case OPT_THREADS:
            if (!cdp_parse_long(optarg, 0, 64, &p->threads))
                return cdp_usage_error(prog, "--threads takes a number 0 to 64, not '%s'", optarg);
            break;
        default: {
            int k = cdp_io_option(&p->io, prog, c, optarg);
            if (k == 1)
                break;
            if (k == 2)
                return 2;
            fprintf(stderr, "Try '%s --help' for more information.\n", prog);
            return 2;
        }
        }
    }
    if (p->io.help || p->io.version)
        return 0;
    if (!p->ingest.source || !*p->ingest.source)
        return cdp_usage_error(prog, "--source NAME is required");
    if (p->io.in.encoding && !cdp_encoding_known(p->io.in.encoding))
        return cdp_usage_error(prog, "unknown encoding '%s' (see 'iconv -l')", p->io.in.encoding);
    return 0;
}

static void write_reject(struct run *run, const char *file, const struct cdp_row *row,
                         const char *code, const char *reason)
{
    cdp_report_add(&run->report, "rejected", "rejected", 1);
    cdp_report_detail(&run->report, "rejected_by_reason", code, 1);
    cdp_report_data(&run->report, file, row->line, "%s; row rejected", reason);
    if (!run->rejects)
        return;
    struct cdp_buf *b = cdp_output_buffer(run->rejects);
    cdp_buf_adds(b, "{\"_source\":");
    cdp_json_add_string(b, run->p->ingest.source, strlen(run->p->ingest.source));
    cdp_buf_adds(b, ",\"file\":");
    cdp_json_add_string(b, file, strlen(file));
    cdp_buf_printf(b, ",\"line\":%llu,\"row\":%llu,\"code\":", (unsigned long long)row->line,
                   (unsigned long long)row->number);
    cdp_json_add_string(b, code, strlen(code));
    cdp_buf_adds(b, ",\"reason\":");
    cdp_json_add_string(b, reason, strlen(reason));
    cdp_buf_adds(b, ",\"raw\":");
    cdp_json_add_string_lossy(b, row->raw, row->rawlen);
    cdp_buf_adds(b, "}\n");
    cdp_output_flush_some(run->rejects);
}

static void report_invalid(struct run *run, const char *file, uint64_t line, bool csv,
                           const struct cdp_invalid_list *list, const struct cdp_ingest_outcome *oc)
{
    for (size_t i = 0; i < oc->ninvalid; i++) {
        const struct cdp_invalid_value *iv = &list->v[oc->first_invalid + i];
        cdp_report_add(&run->report, "invalid", "invalid values", 1);
        cdp_report_detail(&run->report, "invalid_by_field", iv->field, 1);
        bool constant = strcmp(iv->column, "--set") == 0;
        cdp_report_data(&run->report, file, line, "invalid %s \"%.*s\" in %s%s%s", iv->noun,
                        (int)(iv->vlen > 200 ? 200 : iv->vlen), iv->value,
                        constant ? "--set " : csv ? "column \"" : "field \"",
                        constant ? iv->field : iv->column, constant ? "" : "\"");
    }
}

static void work(void *ctx, void *batch)
{
    cdp_ingest_batch_run(ctx, batch);
}

/* What became of a finished batch's rows, in order: messages, counts,
 * rejects, and the accepted records to the output. */
static void consume(struct run *run, struct cdp_ingest_batch *b)
{
    for (size_t i = 0; i < b->rows.n; i++) {
        const struct cdp_batch_row *br = &b->rows.rows[i];
        struct cdp_row row = { .line = br->line, .number = br->number, .raw = br->raw,
                               .rawlen = br->rawlen };
        uint64_t n = cdp_report_add(&run->report, "read", "rows read", 1);
        (void)n;
        if (br->kind == CDP_READ_BAD) {
            write_reject(run, run->file, &row, br->code, br->reason);
            continue;
        }
        const struct cdp_ingest_outcome *oc = &b->outcomes[i];
        if (oc->rejected) {
            write_reject(run, run->file, &row, oc->code, oc->reason);
            continue;
        }
        report_invalid(run, run->file, br->line, run->csv, &b->invalid, oc);
        cdp_report_add(&run->report, "written", "written", 1);
    }
    if (!run->write_failed && cdp_output_write(run->out, b->out.data, b->out.len) < 0)
        run->write_failed = true; /* the error is reported at commit */
    cdp_ingest_batch_clear(b);
}

/* A batch to fill: a spare one, else the oldest in flight once finished. */
static struct cdp_ingest_batch *next_batch(struct run *run)
{
    struct cdp_ingest_batch *b;
    while ((b = cdp_pmap_take(run->pmap, false)) != NULL) {
        consume(run, b);
        run->spare[run->nspare++] = b;
    }
    if (run->nspare)
        return run->spare[--run->nspare];
    b = cdp_pmap_take(run->pmap, true);
    consume(run, b);
    return b;
}

static void drain(struct run *run)
{
    struct cdp_ingest_batch *b;
    while ((b = cdp_pmap_take(run->pmap, true)) != NULL) {
        consume(run, b);
        run->spare[run->nspare++] = b;
    }
}

/* What a batch needs from the file its rows come from. The CSV header lives
 * as long as the reader, and every batch is done before the reader closes:
 * its names need not be copied per row. */
static void set_batch_source(struct cdp_ingest_batch *b, const char *rid_prefix,
                             const struct cdp_reader *r, bool csv)
{
    b->rid_prefix = rid_prefix;
    b->rows.stable_keys = csv;
    b->rows.ncolumns = cdp_reader_columns(r, &b->rows.columns);
    b->rows.delimiter = cdp_reader_delimiter(r);
}

/* Reads one file through. Returns 0, or 1 after reporting a fatal error. */
static int ingest_file(struct run *run, const char *path, bool several)
{
    struct cdp_error err;
    /* Quote-free CSV lines are split by the workers, not here. */
    struct cdp_reader_options opt = run->p->io.in;
    opt.defer_csv = true;
    struct cdp_reader *r = cdp_reader_open(path, &opt, &err);
    if (!r) {
        cdp_report_error(&run->report, "%s", err.msg);
        return 1;
    }
    run->file = cdp_reader_name(r);
    const char *const *columns;
    size_t ncolumns = cdp_reader_columns(r, &columns);
    run->csv = cdp_reader_format(r) == CDP_FORMAT_CSV;
    for (size_t i = 0; i < run->nings; i++) {
        if (cdp_ingest_bind(run->ings[i], run->csv ? columns : NULL, ncolumns, run->file, &err) < 0) {
            cdp_report_error(&run->report, "%s", err.msg);
            cdp_reader_close(r);
            return 1;
        }
    }
    /* Without a _rid column, rows are numbered per file: "3", or
     * "crm.csv:3" when several files are read. */
    struct cdp_buf prefix = CDP_BUF_INIT;
    if (several) {
        char *copy = cdp_xstrdup(path);
        cdp_buf_printf(&prefix, "%s:", run->full_paths ? path : basename(copy));
        free(copy);
    } else {
        cdp_buf_adds(&prefix, "");
    }
    struct cdp_ingest_batch *b = next_batch(run);
    set_batch_source(b, prefix.data, r, run->csv);
    struct cdp_row row;
    uint64_t rows = cdp_report_get(&run->report, "read");
    int status = 0;
    for (;;) {
        enum cdp_read k = cdp_reader_next(r, &run->rec, &row, &err);
        if (k == CDP_READ_END)
            break;
        if (k == CDP_READ_ERROR) {
            cdp_report_error(&run->report, "%s", err.msg);
            status = 1;
            break;
        }
        cdp_batch_add(&b->rows, k, &run->rec, &row);
        cdp_report_tick(&run->report, ++rows, run->bytes_done + cdp_reader_bytes(r));
        if (b->rows.n >= BATCH_ROWS || b->rows.bytes >= BATCH_BYTES) {
            cdp_pmap_submit(run->pmap, b);
            b = NULL;
            if (run->write_failed)
                break; /* no point reading on: the output is gone */
            b = next_batch(run);
            set_batch_source(b, prefix.data, r, run->csv);
        }
    }
    if (b && b->rows.n)
        cdp_pmap_submit(run->pmap, b);
    else if (b)
        run->spare[run->nspare++] = b;
    drain(run);
    run->bytes_done += cdp_reader_bytes(r);
    cdp_buf_release(&prefix);
    cdp_reader_close(r);
    return status;
}

int main(int argc, char **argv)
{
    argv[0] = (char *)prog; /* getopt names the program in its messages */
    struct prefs p;
    memset(&p, 0, sizeof p);
    cdp_io_prefs_init(&p.io);
    p.map = (struct cdp_mapping)CDP_MAPPING_INIT;
    int status = parse_args(argc, argv, &p);
    if (status || p.io.help || p.io.version) {
        if (!status && p.io.help)
            usage();
        else if (!status)
            cdp_print_version(prog);
        cdp_mapping_release(&p.map);
        return status;
    }
    /* A closed pipe is reported as a write error, not a silent death. */
    signal(SIGPIPE, SIG_IGN);

    struct run run;
    memset(&run, 0, sizeof run);
    run.p = &p;
    run.rec = (struct cdp_record)CDP_RECORD_INIT;
    cdp_report_init(&run.report, prog);
    cdp_io_apply_report(&p.io, &run.report);
    cdp_report_add(&run.report, "read", "rows read", 0);
    cdp_report_add(&run.report, "written", "written", 0);
    cdp_report_add(&run.report, "rejected", "rejected", 0);

    struct cdp_error err;
    status = 1;
    size_t nworkers = p.threads < 0 ? cdp_cpu_count() : (size_t)p.threads;
    run.nings = nworkers ? nworkers : 1;
    run.ings = cdp_xcalloc(run.nings, sizeof *run.ings);
    for (size_t i = 0; i < run.nings; i++) {
        run.ings[i] = cdp_ingest_new(&p.ingest, &p.map, &err);
        if (!run.ings[i]) {
            status = cdp_usage_error(prog, "%s", err.msg);
            goto done;
        }
    }
    run.pmap = cdp_pmap_new(nworkers, (void **)run.ings, work);
    if (!run.pmap) {
        cdp_report_error(&run.report, "cannot start worker threads");
        goto done;
    }
    run.nbatches = 2 * nworkers + 2;
    run.batches = cdp_xcalloc(run.nbatches, sizeof *run.batches);
    run.spare = cdp_xcalloc(run.nbatches, sizeof *run.spare);
    for (size_t i = 0; i < run.nbatches; i++)
        run.spare[run.nspare++] = &run.batches[i];
    run.out = cdp_output_open(p.io.output, &p.io.out, &err);
    if (!run.out) {
        cdp_report_error(&run.report, "%s", err.msg);
        goto done;
    }
    if (p.rejects) {
        run.rejects = cdp_output_open(p.rejects, NULL, &err);
        if (!run.rejects) {
            cdp_report_error(&run.report, "%s", err.msg);
            goto done;
        }
    }
    int nfiles = argc - optind;
    if (nfiles == 0) {
        if (ingest_file(&run, "-", false))
            goto done;
    }
    /* Rows are numbered "FILE:N" when several files are read: by base name,
     * unless two inputs share one. */
    bool same_base = false;
    for (int i = optind; i < argc && !same_base; i++)
        for (int j = i + 1; j < argc && !same_base; j++) {
            char *a = cdp_xstrdup(argv[i]), *b = cdp_xstrdup(argv[j]);
            same_base = strcmp(basename(a), basename(b)) == 0;
            free(a);
            free(b);
        }
    run.full_paths = same_base;
    for (int i = optind; i < argc; i++)
        if (ingest_file(&run, argv[i], nfiles > 1))
            goto done;
    /* The side files first: if one of them fails, the main output has
     * not replaced yesterday's yet. */
    if (run.rejects) {
        int r = cdp_output_commit(run.rejects, &err);
        run.rejects = NULL;
        if (r < 0) {
            cdp_report_error(&run.report, "%s", err.msg);
            goto done;
        }
    }
    if (p.io.stats && cdp_report_write_stats(&run.report, p.io.stats, NULL, &err) < 0) {
        cdp_report_error(&run.report, "%s", err.msg);
        goto done;
    }
    if (cdp_output_commit(run.out, &err) < 0) {
        run.out = NULL;
        cdp_report_error(&run.report, "%s", err.msg);
        goto done;
    }
    run.out = NULL;
    status = 0;
done:
    if (status == 0 || status == 1)
        cdp_report_summary(&run.report);
    cdp_output_abort(run.out);
    cdp_output_abort(run.rejects);
    cdp_pmap_free(run.pmap);
    for (size_t i = 0; i < run.nings; i++)
        cdp_ingest_free(run.ings[i]);
    free(run.ings);
    for (size_t i = 0; i < run.nbatches; i++)
        cdp_ingest_batch_release(&run.batches[i]);
    free(run.batches);
    free(run.spare);
    cdp_record_release(&run.rec);
    cdp_report_release(&run.report);
    cdp_mapping_release(&p.map);
    return status;
}
