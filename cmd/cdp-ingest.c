/* cdp-ingest: one source's export (CRM, shop, till) to canonical records. */
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "base/pipeline.h"
#include "base/pmap.h"
#include "cli/cli.h"
#include "ingest/ingest.h"
#include "ingest/mapping.h"
#include "io/forgetlist.h"
#include "io/json.h"
#include "io/output.h"
#include "io/reader.h"
#include "io/rejects.h"
#include "norm/schema.h"

enum {
    OPT_MAP = CDP_OPT_PROGRAM,
    OPT_SET,
    OPT_REQUIRE,
    OPT_REGION,
    OPT_DATE_ORDER,
    OPT_TZ,
    OPT_AS_OF,
    OPT_DROP_UNMAPPED,
    OPT_COUNTRY_FROM_PHONE,
    OPT_RID_PREFIX,
    OPT_FORGOTTEN,
};

static const struct cdp_option options[] = {
    { 's', "source", "NAME", "name of the source (required): crm, shop, pos..." },
    { 'k', "kind", "KIND", "person or event (default: event if 'event' or 'ts'\nis mapped or set, else person)" },
    { 'm', "map-field", "F=COL", "fill canonical field F from column COL" },
    { OPT_MAP, "map", "FILE", "read F=COL and F:=VALUE lines from FILE" },
    { OPT_SET, "set", "F=VALUE", "set field F to a constant" },
    { OPT_REQUIRE, "require", "F[,F...]", "reject rows with no valid value in any of these" },
    { OPT_REGION, "region", "CC", "country of phones written without a code (RU)" },
    { OPT_COUNTRY_FROM_PHONE, "country-from-phone", NULL,
      "give a record with no country its phone's" },
    { OPT_DATE_ORDER, "date-order", "ORDER", "read 05/03/2024 as dmy (default) or mdy; ymd\n"
                                             "accepts only dates written year first" },
    { OPT_TZ, "tz", "OFFSET", "UTC offset of times written without one (+00:00)" },
    { OPT_AS_OF, "as-of", "DATE", "today, for checking birth dates (YYYY-MM-DD)" },
    { OPT_DROP_UNMAPPED, "drop-unmapped", NULL, "do not keep unmapped columns under \"attrs\"" },
    { OPT_RID_PREFIX, "rid-prefix", "TEXT", "put TEXT before the row numbers that stand for\n"
                                            "_rid when no column is mapped to it" },
    { OPT_FORGOTTEN, "forgotten", "FILE", "drop the records of persons on this forget list\n"
                                          "(see cdp-forget(1))" },
    { 0 },
};

static const struct cdp_program program = {
    .name = "cdp-ingest",
    .synopsis = "--source NAME [OPTION]... [FILE]...",
    .about = "Turn one source's export (CSV or NDJSON, plain, .zst or .gz) into canonical\n"
             "records, one JSON object per line. With no FILE, or FILE '-', read stdin.\n",
    .options = options,
    .shared = CDP_SHARED_THREADS | CDP_SHARED_REJECTS | CDP_SHARED_OUTPUT | CDP_SHARED_INPUT |
              CDP_SHARED_REPORT,
    .epilogue = "See cdp-ingest(1) and cdp-schema(5).",
    .files = (const struct cdp_file_option[]){
        { OPT_MAP, CDP_FILE_IN }, { OPT_FORGOTTEN, CDP_FILE_IN }, { 0, 0 },
    },
    .operands = CDP_FILE_IN | CDP_FILE_STDIN,
};

struct prefs {
    struct cdp_io_prefs io;
    const char *rid_prefix;
    const char *forgotten;
    struct cdp_ingest_options ingest;
    struct cdp_mapping map;
};

static int option(void *prefs, int id, const char *arg, struct cdp_cli_rest *rest)
{
    struct prefs *p = prefs;
    struct cdp_error err;
    (void)rest;
    switch (id) {
    case 's':
        p->ingest.source = arg;
        break;
    case 'k':
        if (strcmp(arg, "person") && strcmp(arg, "event"))
            return cdp_usage_error(program.name, "--kind takes person or event, not '%s'", arg);
        p->ingest.kind = strcmp(arg, "person") == 0 ? CDP_KIND_PERSON : CDP_KIND_EVENT;
        break;
    case 'm':
    case OPT_SET:
        if (cdp_mapping_add(&p->map, arg, id == OPT_SET, &err) < 0)
            return cdp_usage_error(program.name, "%s %s", id == 'm' ? "-m" : "--set", err.msg);
        break;
    case OPT_MAP:
        if (cdp_mapping_load(&p->map, arg, &err) < 0)
            return cdp_usage_error(program.name, "%s", err.msg);
        break;
    case OPT_REQUIRE:
        if (cdp_mapping_require(&p->map, arg, &err) < 0)
            return cdp_usage_error(program.name, "%s", err.msg);
        break;
    case OPT_REGION:
        p->ingest.region = arg;
        break;
    case OPT_DATE_ORDER:
        if (!cdp_date_order_parse(arg, &p->ingest.date_order))
            return cdp_usage_error(program.name, "--date-order takes dmy, mdy or ymd, not '%s'", arg);
        break;
    case OPT_TZ:
        if (!cdp_parse_utc_offset(arg, &p->ingest.tz_offset))
            return cdp_usage_error(program.name, "--tz takes an offset like +03:00, not '%s'", arg);
        break;
    case OPT_AS_OF:
        if (!cdp_parse_day(arg, &p->ingest.as_of_day))
            return cdp_usage_error(program.name, "--as-of takes a date YYYY-MM-DD, not '%s'", arg);
        break;
    case OPT_DROP_UNMAPPED:
        p->ingest.drop_unmapped = true;
        break;
    case OPT_COUNTRY_FROM_PHONE:
        p->ingest.country_from_phone = true;
        break;
    case OPT_RID_PREFIX:
        p->rid_prefix = arg;
        break;
    case OPT_FORGOTTEN:
        p->forgotten = arg;
        break;
    }
    return 0;
}

static int parse_args(int argc, char **argv, struct prefs *p, int *first)
{
    p->ingest.as_of_day = cdp_today();
    int status = cdp_cli_parse(&program, argc, argv, &p->io, option, p, first);
    if (status >= 0)
        return status;
    if (!p->ingest.source || !*p->ingest.source)
        return cdp_usage_error(program.name, "--source NAME is required");
    /* Both are written into every record, which must stay UTF-8. */
    if (!cdp_utf8_valid(p->ingest.source, strlen(p->ingest.source)))
        return cdp_usage_error(program.name, "--source: the name is not UTF-8");
    if (p->rid_prefix && !cdp_utf8_valid(p->rid_prefix, strlen(p->rid_prefix)))
        return cdp_usage_error(program.name, "--rid-prefix: the prefix is not UTF-8");
    return -1;
}

/* Everything one run needs, so that one exit path can release it. */
struct run {
    struct prefs *p;
    struct cdp_report report;
    struct cdp_ingest **ings; /* one per worker (or one for no workers) */
    size_t nings;
    struct cdp_pipeline *pipeline;
    struct cdp_output *out;
    struct cdp_rejects *rejects;
    struct cdp_forgetlist *forgotten;
    struct cdp_record rec;
    uint64_t bytes_done; /* input bytes of finished files, for progress */
    const char *file;    /* the file being read, for messages */
    bool csv;
    bool write_failed;
};

/* Rows a batch holds at most, and bytes: enough to make handing a batch to
 * a thread cheap, few enough to keep memory small. */
#define BATCH_ROWS 4096
#define BATCH_BYTES ((size_t)1 << 20)

static void reject(struct run *run, const struct cdp_batch_row *row, const char *code,
                   const char *reason)
{
    cdp_report_add(&run->report, "rejected", "rejected", 1);
    cdp_report_detail(&run->report, "rejected_by_reason", code, 1);
    cdp_report_data(&run->report, run->file, row->line, "%s; row rejected", reason);
    if (run->rejects)
        cdp_rejects_add(run->rejects, &(struct cdp_reject){ run->p->ingest.source, run->file, row->line,
                                                            row->number, code, reason, row->raw,
                                                            row->rawlen });
}

/* Values that say there is none are counted, by field and reason, but not
 * shown: an export's "Unspecified" is not an error to fix. */
static void report_invalid(struct run *run, uint64_t line, const struct cdp_invalid_list *list,
                           const struct cdp_ingest_outcome *oc)
{
    if (oc->country_from_phone)
        cdp_report_add(&run->report, "country_from_phone", "countries from phones", 1);
    for (size_t i = 0; i < oc->ninvalid; i++) {
        const struct cdp_invalid_value *iv = &list->v[oc->first_invalid + i];
        if (iv->omitted) {
            cdp_report_add(&run->report, "omitted", "values left out", 1);
            cdp_report_detail(&run->report, "omitted_by_field", iv->field, 1);
            cdp_report_detail(&run->report, "omitted_by_reason", iv->omitted, 1);
            continue;
        }
        cdp_report_add(&run->report, "invalid", "invalid values", 1);
        cdp_report_detail(&run->report, "invalid_by_field", iv->field, 1);
        bool constant = strcmp(iv->column, "--set") == 0;
        /* An invalid date names no one's day: shown whole, to be fixed. */
        const struct cdp_schema_field *def = cdp_schema_find(iv->field, strlen(iv->field));
        bool date = def && (def->type == CDP_FT_DATE || def->type == CDP_FT_DATETIME);
        struct cdp_buf shown = CDP_BUF_INIT;
        cdp_report_value(&run->report, &shown, iv->value, iv->vlen > 200 ? 200 : iv->vlen,
                         date ? CDP_SHOW_PLAIN : cdp_show_kind_of(iv->field));
        cdp_report_data(&run->report, run->file, line, "invalid %s \"%s\" in %s%s%s", iv->noun, shown.data,
                        constant ? "--set " : run->csv ? "column \"" : "field \"",
                        constant ? iv->field : iv->column, constant ? "" : "\"");
        cdp_buf_release(&shown);
    }
}

/* What became of a finished batch's rows, in order: messages, counts,
 * rejects, and the accepted records to the output. */
static void consume(void *owner, void *batch)
{
    struct run *run = owner;
    struct cdp_ingest_batch *b = batch;
    uint64_t written = 0; /* counted once a batch: the counts are looked up by name */
    for (size_t i = 0; i < b->rows.n; i++) {
        const struct cdp_batch_row *br = &b->rows.rows[i];
        const struct cdp_ingest_outcome *oc = &b->outcomes[i];
        if (br->kind == CDP_READ_BAD) {
            reject(run, br, br->code, br->reason);
        } else if (oc->rejected) {
            reject(run, br, oc->code, oc->reason);
        } else if (oc->forgotten) {
            /* Counted only: no message, no rejects line (it would keep
             * their data). */
            cdp_report_add(&run->report, "forgotten", "forgotten", 1);
        } else {
            if (oc->ninvalid || oc->country_from_phone)
                report_invalid(run, br->line, &b->invalid, oc);
            written++;
        }
    }
    cdp_report_add(&run->report, "read", "rows read", b->rows.n);
    cdp_report_add(&run->report, "written", "written", written);
    if (!run->write_failed && cdp_output_write(run->out, b->out.data, b->out.len) < 0)
        run->write_failed = true; /* the error is reported at commit */
    cdp_ingest_batch_clear(b);
}

static void work(void *worker, void *batch)
{
    cdp_ingest_batch_run(worker, batch);
}

static void *batch_new(void *owner)
{
    (void)owner;
    return cdp_xcalloc(1, sizeof(struct cdp_ingest_batch));
}

static void batch_free(void *owner, void *batch)
{
    (void)owner;
    cdp_ingest_batch_release(batch);
    free(batch);
}

static const struct cdp_pipeline_ops pipeline_ops = { batch_new, batch_free, work, consume, 0 };

/* What a batch needs from the file its rows come from. The CSV header lives
 * as long as the reader, and every batch is done before the reader closes:
 * its names need not be copied per row. */
static struct cdp_ingest_batch *next_batch(struct run *run, const char *rid_prefix,
                                           const struct cdp_reader *r)
{
    struct cdp_ingest_batch *b = cdp_pipeline_batch(run->pipeline);
    b->rid_prefix = rid_prefix;
    b->rows.stable_keys = run->csv;
    cdp_batch_set_header(&b->rows, r);
    return b;
}

/* Reads one file through, prefixing row numbers (the default _rid) with
 * rid_prefix. Returns 0, or 1 after reporting a fatal error. */
static int ingest_file(struct run *run, const char *path, const char *rid_prefix)
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
    struct cdp_ingest_batch *b = next_batch(run, rid_prefix, r);
    struct cdp_row row;
    uint64_t rows = cdp_report_get(&run->report, "read");
    int status = 0;
    enum cdp_read k;
    while ((k = cdp_reader_next(r, &run->rec, &row, &err)) != CDP_READ_END) {
        if (k == CDP_READ_ERROR) {
            cdp_report_error(&run->report, "%s", err.msg);
            status = 1;
            break;
        }
        cdp_batch_add(&b->rows, k, &run->rec, &row);
        cdp_report_tick(&run->report, ++rows, run->bytes_done + cdp_reader_bytes(r));
        if (b->rows.n >= BATCH_ROWS || b->rows.bytes >= BATCH_BYTES) {
            cdp_pipeline_submit(run->pipeline, b);
            b = NULL;
            if (run->write_failed)
                break; /* no point reading on: the output is gone */
            b = next_batch(run, rid_prefix, r);
        }
    }
    if (b && b->rows.n)
        cdp_pipeline_submit(run->pipeline, b);
    else if (b)
        cdp_pipeline_unused(run->pipeline, b);
    cdp_pipeline_drain(run->pipeline);
    run->bytes_done += cdp_reader_bytes(r);
    cdp_reader_close(r);
    return status;
}

/* Without a _rid column rows are numbered per file: "3", or "crm.csv:3"
 * when several files are read (by the path when two share a base name),
 * after --rid-prefix. */
static int ingest_files(struct run *run, int nfiles, char **files)
{
    const char *given = run->p->rid_prefix ? run->p->rid_prefix : "";
    if (nfiles == 0)
        return ingest_file(run, "-", given);
    bool same_base = false;
    for (int i = 0; i < nfiles && !same_base; i++)
        for (int j = i + 1; j < nfiles && !same_base; j++) {
            char *a = cdp_xstrdup(files[i]), *b = cdp_xstrdup(files[j]);
            same_base = strcmp(basename(a), basename(b)) == 0;
            free(a);
            free(b);
        }
    int status = 0;
    for (int i = 0; i < nfiles && !status; i++) {
        struct cdp_buf prefix = CDP_BUF_INIT;
        char *copy = cdp_xstrdup(files[i]);
        cdp_buf_adds(&prefix, given);
        if (nfiles > 1)
            cdp_buf_printf(&prefix, "%s:", same_base ? files[i] : basename(copy));
        status = ingest_file(run, files[i], prefix.data ? prefix.data : "");
        free(copy);
        cdp_buf_release(&prefix);
    }
    return status;
}

static int start(struct run *run, struct cdp_error *err)
{
    struct prefs *p = run->p;
    size_t nworkers = cdp_cli_threads(&p->io);
    if (p->forgotten && !(run->forgotten = cdp_forgetlist_open(p->forgotten, err)))
        return 1;
    p->ingest.forgotten = run->forgotten;
    run->nings = nworkers ? nworkers : 1;
    run->ings = cdp_xcalloc(run->nings, sizeof *run->ings);
    for (size_t i = 0; i < run->nings; i++)
        if (!(run->ings[i] = cdp_ingest_new(&p->ingest, &p->map, err)))
            return 2;
    run->pipeline = cdp_pipeline_new(&pipeline_ops, run, nworkers, (void **)run->ings, err);
    if (!run->pipeline)
        return 1;
    if (!(run->out = cdp_output_open(p->io.output, &p->io.out, err)))
        return 1;
    if (p->io.rejects && !(run->rejects = cdp_rejects_open(p->io.rejects, err)))
        return 1;
    return 0;
}

/* The output, rejects and stats together, all or none (cli/report.h). */
static int commit(struct run *run, struct cdp_error *err)
{
    struct cdp_rejects *rj = run->rejects;
    struct cdp_output *out = run->out;
    run->rejects = NULL;
    run->out = NULL;
    return cdp_report_commit(&run->report, out, rj, run->p->io.stats, NULL, err);
}

int main(int argc, char **argv)
{
    struct prefs p;
    memset(&p, 0, sizeof p);
    p.map = (struct cdp_mapping)CDP_MAPPING_INIT;
    cdp_cli_start(&program, argv);
    int first;
    int status = parse_args(argc, argv, &p, &first);
    if (status >= 0) {
        cdp_mapping_release(&p.map);
        return status;
    }
    struct run run;
    memset(&run, 0, sizeof run);
    run.p = &p;
    run.rec = (struct cdp_record)CDP_RECORD_INIT;
    cdp_report_init(&run.report, program.name);
    cdp_io_apply_report(&p.io, &run.report);
    cdp_report_add(&run.report, "read", "rows read", 0);
    cdp_report_add(&run.report, "written", "written", 0);
    cdp_report_add(&run.report, "rejected", "rejected", 0);
    if (p.forgotten)
        cdp_report_add(&run.report, "forgotten", "forgotten", 0);

    struct cdp_error err;
    status = start(&run, &err);
    if (status == 2)
        status = cdp_usage_error(program.name, "%s", err.msg);
    else if (status)
        cdp_report_error(&run.report, "%s", err.msg);
    else if (!(status = ingest_files(&run, argc - first, argv + first)) && commit(&run, &err) < 0) {
        cdp_report_error(&run.report, "%s", err.msg);
        status = 1;
    }
    if (status == 1)
        cdp_report_unwritten(&run.report, p.io.output, "written");
    if (status != 2)
        cdp_report_summary(&run.report);
    cdp_output_abort(run.out);
    cdp_rejects_abort(run.rejects);
    cdp_pipeline_free(run.pipeline);
    for (size_t i = 0; i < run.nings; i++)
        cdp_ingest_free(run.ings[i]);
    free(run.ings);
    cdp_forgetlist_free(run.forgotten);
    cdp_record_release(&run.rec);
    cdp_report_release(&run.report);
    cdp_mapping_release(&p.map);
    return status;
}
