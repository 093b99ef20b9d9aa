/* cdp-shard: split records into N files by a hash of a key, stable across nights. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "io/json.h"
#include "io/rejects.h"
#include "io/shard.h"

enum { OPT_BY = CDP_OPT_PROGRAM, OPT_ORDER, OPT_INTERLEAVE };

static const struct cdp_option options[] = {
    { 'n', "shards", "N", "how many shards (1 to 4096)" },
    { OPT_BY, "by", "FIELD", "shard by the value of FIELD (e.g. cdp_id) instead\n"
                             "of the record id (_source and _rid)" },
    { OPT_ORDER, "order", "FILE", "write the shard of every record, in input order,\n"
                                  "to FILE (for cdp-dedupe --resolve)" },
    { OPT_INTERLEAVE, "interleave", "ORDER", "the FILEs are the shards of an earlier split, in\n"
                                             "shard order: read them in the order of its ORDER\n"
                                             "file (the order of the unsplit input), not one\n"
                                             "after the other" },
    { 0 },
};

static const struct cdp_program program = {
    .name = "cdp-shard",
    .synopsis = "[OPTION]... -n N -o TEMPLATE [FILE]...",
    .about = "Split NDJSON records into N files by a hash of their record id (or of a\n"
             "field), each line copied as it is, so that the shards can be processed on\n"
             "several hosts. TEMPLATE names the files: its %d is the shard number, 0 to\n"
             "N-1 (e.g. part-%d.ndjson.zst). The same key goes to the same shard on\n"
             "every night. With no FILE, or FILE '-', read stdin.\n",
    .options = options,
    .shared = CDP_SHARED_OUTPUT | CDP_SHARED_REJECTS | CDP_SHARED_REPORT,
    .epilogue = "See cdp-shard(1).",
    .files = (const struct cdp_file_option[]){ { OPT_ORDER, CDP_FILE_OUT }, { OPT_INTERLEAVE, CDP_FILE_IN }, { 0, 0 } },
    .operands = CDP_FILE_IN | CDP_FILE_STDIN,
};

struct prefs {
    struct cdp_io_prefs io;
    long shards;
    const char *by, *order, *interleave;
};

static int option(void *prefs, int id, const char *arg, struct cdp_cli_rest *rest)
{
    struct prefs *p = prefs;
    (void)rest;
    switch (id) {
    case 'n':
        if (!cdp_parse_long(arg, 1, CDP_SHARD_MAX, &p->shards))
            return cdp_usage_error(program.name, "--shards takes a number 1 to %d, not '%s'", CDP_SHARD_MAX,
                                   arg);
        break;
    case OPT_BY:
        if (!*arg)
            return cdp_usage_error(program.name, "--by takes a field name");
        p->by = arg;
        break;
    case OPT_ORDER: p->order = arg; break;
    case OPT_INTERLEAVE: p->interleave = arg; break;
    }
    return 0;
}

static int parse_args(int argc, char **argv, struct prefs *p, int *first)
{
    int status = cdp_cli_parse(&program, argc, argv, &p->io, option, p, first);
    if (status >= 0)
        return status;
    if (!p->shards)
        return cdp_usage_error(program.name, "-n N is required");
    if (!p->io.output)
        return cdp_usage_error(program.name, "-o TEMPLATE is required");
    if (!cdp_shard_template_valid(p->io.output))
        return cdp_usage_error(program.name, "-o takes a file name with %%d once (the shard number), not '%s'",
                               p->io.output);
    if (p->interleave && *first >= argc)
        return cdp_usage_error(program.name, "--interleave needs the shards as FILEs");
    if (p->order && strcmp(p->order, "-") == 0)
        return cdp_usage_error(program.name, "--order takes a file name, not standard output");
    p->io.in.format = CDP_FORMAT_NDJSON;
    p->io.in.lines_only = true;
    return -1;
}

/* Everything one run needs, so that one exit path can release it. */
struct run {
    struct prefs *p;
    struct cdp_report report;
    struct cdp_shard_set *shards;
    struct cdp_rejects *rejects;
    struct cdp_json_parser *json;
    struct cdp_record rec;
    struct cdp_buf key;
    uint64_t rows;
};

static void reject(struct run *run, const char *file, const struct cdp_row *row, const char *code,
                   const char *reason)
{
    cdp_report_add(&run->report, "rejected", "rejected", 1);
    cdp_report_detail(&run->report, "rejected_by_reason", code, 1);
    cdp_report_data(&run->report, file, row->line, "%s; line rejected", reason);
    struct cdp_reject r = { NULL, file, row->line, row->number, code, reason, row->raw, row->rawlen };
    if (run->rejects)
        cdp_rejects_add(run->rejects, &r);
}

/* One line to its shard, or to the rejects when it is not a record or has
 * no record id. With --by, a record without the field goes to shard 0: the
 * anonymous events among linked records belong to nobody, and cdp-merge
 * leaves them out there as it does in one run. */
static int shard_line(struct run *run, const char *file, const struct cdp_row *row)
{
    struct cdp_error why;
    cdp_record_clear(&run->rec);
    enum cdp_json_status st = cdp_json_parse_object(run->json, row->raw, row->rawlen, &run->rec, &why);
    if (st != CDP_JSON_OK) {
        reject(run, file, row, cdp_json_status_code(st), why.msg);
        return 0;
    }
    uint32_t s = 0;
    if (cdp_shard_key(&run->rec, run->p->by, &run->key)) {
        s = cdp_shard_of(run->key.data, run->key.len, (uint32_t)run->p->shards);
    } else if (run->p->by) {
        cdp_report_add(&run->report, "unkeyed", NULL, 1);
    } else {
        reject(run, file, row, "no_record_id", "no _source or _rid");
        return 0;
    }
    cdp_report_add(&run->report, "written", "written", 1);
    return cdp_shard_set_write(run->shards, s, row->raw, row->rawlen);
}

/* The next row of r to its shard: 1, 0 at the end, -1 with err. A failed
 * shard write is reported at commit. */
static int next_row(struct run *run, struct cdp_reader *r, struct cdp_error *err)
{
    struct cdp_row row;
    enum cdp_read k = cdp_reader_next(r, &run->rec, &row, err);
    if (k == CDP_READ_END || k == CDP_READ_ERROR)
        return k == CDP_READ_END ? 0 : -1;
    cdp_report_add(&run->report, "read", "records read", 1);
    cdp_report_tick(&run->report, ++run->rows, cdp_reader_bytes(r));
    if (k == CDP_READ_BAD)
        reject(run, cdp_reader_name(r), &row, row.code, row.reason);
    else
        shard_line(run, cdp_reader_name(r), &row);
    return 1;
}

static int read_input(struct run *run, const char *path, struct cdp_error *err)
{
    struct cdp_reader *r = cdp_reader_open(path, &run->p->io.in, err);
    if (!r)
        return -1;
    int k;
    while ((k = next_row(run, r, err)) > 0)
        ;
    cdp_reader_close(r);
    return k;
}

/* --interleave: the n shards of an earlier split, a row from the shard its
 * order file names at a time; each must hold exactly the rows it names. */
static int read_interleaved(struct run *run, int n, char **files, struct cdp_error *err)
{
    struct cdp_shard_order *order = cdp_shard_order_open(run->p->interleave, err);
    if (!order)
        return -1;
    int status = 0;
    if (cdp_shard_order_shards(order) != (uint32_t)n)
        status = cdp_errorf(err, "%s: the order of %u shards, but %d files given", run->p->interleave,
                            cdp_shard_order_shards(order), n);
    struct cdp_reader **readers = cdp_xcalloc((size_t)n, sizeof *readers);
    for (int i = 0; i < n && status == 0; i++)
        if (!(readers[i] = cdp_reader_open(files[i], &run->p->io.in, err)))
            status = -1;
    uint32_t s;
    int k = 0;
    while (status == 0 && (k = cdp_shard_order_next(order, &s, err)) > 0) {
        int got = next_row(run, readers[s], err);
        if (got == 0)
            cdp_errorf(err, "%s: fewer rows than %s gives it", files[s], run->p->interleave);
        if (got <= 0)
            status = -1;
    }
    if (k < 0)
        status = -1;
    for (int i = 0; i < n && status == 0; i++) {
        int got = next_row(run, readers[i], err);
        if (got > 0)
            cdp_errorf(err, "%s: more rows than %s gives it", files[i], run->p->interleave);
        if (got != 0)
            status = -1;
    }
    for (int i = 0; i < n; i++)
        if (readers[i])
            cdp_reader_close(readers[i]);
    free(readers);
    cdp_shard_order_close(order);
    return status;
}

/* The rejects first, then the shards and the order file together. */
static int commit(struct run *run, struct cdp_error *err)
{
    struct cdp_rejects *rejects = run->rejects;
    run->rejects = NULL;
    if (rejects && cdp_rejects_commit(rejects, err) < 0)
        return -1;
    struct cdp_shard_set *shards = run->shards;
    run->shards = NULL;
    if (cdp_shard_set_commit(shards, err) < 0)
        return -1;
    if (run->p->io.stats)
        return cdp_report_write_stats(&run->report, run->p->io.stats, NULL, err);
    return 0;
}

static int shard(struct prefs *p, int nfiles, char **files)
{
    struct run run;
    memset(&run, 0, sizeof run);
    run.p = p;
    run.rec = (struct cdp_record)CDP_RECORD_INIT;
    run.json = cdp_json_parser_new();
    cdp_report_init(&run.report, program.name);
    cdp_io_apply_report(&p->io, &run.report);
    cdp_report_add(&run.report, "read", "records read", 0);
    cdp_report_add(&run.report, "written", "written", 0);
    cdp_report_add(&run.report, "rejected", "rejected", 0);
    struct cdp_error err;
    int status = 0;
    if (!(run.shards = cdp_shard_set_open(p->io.output, (uint32_t)p->shards, p->order, &p->io.out, &err)) ||
        (p->io.rejects && !(run.rejects = cdp_rejects_open(p->io.rejects, &err))))
        status = -1;
    if (status == 0 && p->interleave)
        status = read_interleaved(&run, nfiles, files, &err);
    for (int i = 0; i < (nfiles ? nfiles : 1) && status == 0 && !p->interleave; i++)
        status = read_input(&run, nfiles ? files[i] : "-", &err);
    if (status == 0)
        status = commit(&run, &err);
    if (status < 0) {
        cdp_report_error(&run.report, "%s", err.msg);
        status = 1;
    }
    cdp_report_summary(&run.report);
    cdp_shard_set_abort(run.shards);
    cdp_rejects_abort(run.rejects);
    cdp_json_parser_free(run.json);
    cdp_record_release(&run.rec);
    cdp_buf_release(&run.key);
    cdp_report_release(&run.report);
    return status;
}

int main(int argc, char **argv)
{
    struct prefs p;
    memset(&p, 0, sizeof p);
    cdp_cli_start(&program, argv);
    int first;
    int status = parse_args(argc, argv, &p, &first);
    if (status < 0)
        status = shard(&p, argc - first, argv + first);
    return status;
}
