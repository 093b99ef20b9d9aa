/* cdp-segment: audiences by rules (jq expressions) over the profiles, with
 * control groups and entered/exited deltas. */
#include <stdlib.h>
#include <string.h>

#include "base/pipeline.h"
#include "cli/cli.h"
#include "io/output.h"
#include "io/rejects.h"
#include "io/replace.h"
#include "io/reread.h"
#include "io/shard.h"
#include "rules/ruleset.h"
#include "segment/engine.h"
#include "segment/figures.h"
#include "segment/history.h"
#include "segment/split.h"

enum {
    OPT_SEGMENTS = CDP_OPT_PROGRAM, OPT_USE, OPT_ARG, OPT_ARGJSON, OPT_AS_OF, OPT_HOLDOUT,
    OPT_SALT, OPT_PREVIOUS, OPT_JOURNAL, OPT_REPORT, OPT_HISTORY, OPT_SPLIT, OPT_SUMMARIZE, OPT_JOIN,
    OPT_FIGURES, OPT_SHARD, OPT_JOIN_REPORTS,
};

static const struct cdp_option options[] = {
    { 's', "segment", "NAME=JQ", "a segment: profiles for which JQ is true" },
    { OPT_SEGMENTS, "segments", "FILE", "segments from a rule file (see cdp-segment(1))" },
    { OPT_USE, "use", "NAME,...", "ready rules from the library: rfm, lapsed,\n"
                                  "birthday, cart, category, vip" },
    { OPT_ARG, "arg", "NAME VALUE", "$NAME as a string in every rule" },
    { OPT_ARGJSON, "argjson", "NAME JSON", "$NAME as a JSON value in every rule" },
    { OPT_AS_OF, "as-of", "DATE", "today for the rules ($as_of; default: today)" },
    { OPT_HOLDOUT, "holdout", "PCT", "keep PCT% of each segment out as a control group" },
    { OPT_SALT, "salt", "TEXT", "vary the holdout draw (default \"cdp\")" },
    { OPT_PREVIOUS, "previous", "FILE", "the last run's output: add \"entered\", \"exited\"" },
    { OPT_JOURNAL, "journal", "FILE", "cdp-dedupe's journal: follow merged ids" },
    { OPT_REPORT, "report", "FILE", "write per-segment counts as JSON" },
    { OPT_HISTORY, "history", "FILE", "append the same counts as one line" },
    { OPT_SPLIT, "split", "DIR", "write each segment's members to DIR/NAME.ndjson" },
    { OPT_SUMMARIZE, "summarize", NULL, "sharded run, step 1 (each shard of profiles):\n"
                                        "write the population summary to -o" },
    { OPT_JOIN, "join-summaries", NULL, "step 2 (one host): the FILEs are the shards'\n"
                                        "summaries; write the population figures to -o" },
    { OPT_FIGURES, "figures", "FILE", "step 3 (each shard): RFM scores and the VIP\n"
                                      "threshold from the figures in FILE" },
    { OPT_SHARD, "shard", "I/N", "this is shard I of N (by cdp_id): the last run's\n"
                                 "gone persons are only this shard's" },
    { OPT_JOIN_REPORTS, "join-reports", NULL, "step 4 (one host): the FILEs are the shards'\n"
                                              "--report files: write the run's to --report,\n"
                                              "append it to --history" },
    { 0 },
};

static const struct cdp_program program = {
    .name = "cdp-segment",
    .synopsis = "[OPTION]... [FILE]...",
    .about = "Put each profile (from cdp-merge) in the segments whose rules (jq expressions)\n"
             "it meets: adds \"segments\", the sorted names. With no FILE, or FILE '-', read\n"
             "stdin.\n",
    .options = options,
    /* Profiles are NDJSON: no -i or -d. */
    .shared = CDP_SHARED_THREADS | CDP_SHARED_REJECTS | CDP_SHARED_OUTPUT | CDP_SHARED_ENCODING |
              CDP_SHARED_REPORT | CDP_SHARED_RULE_BUDGET,
    .epilogue = "See cdp-segment(1).",
    .files = (const struct cdp_file_option[]){
        { OPT_SEGMENTS, CDP_FILE_IN }, { OPT_PREVIOUS, CDP_FILE_IN }, { OPT_JOURNAL, CDP_FILE_IN },
        { OPT_REPORT, CDP_FILE_OUT }, { OPT_HISTORY, CDP_FILE_OUT }, { OPT_SPLIT, CDP_FILE_OUT },
        { OPT_FIGURES, CDP_FILE_IN },
        { 0, 0 },
    },
    .operands = CDP_FILE_IN | CDP_FILE_STDIN,
};

/* One cdp-segment, or one step of a sharded run (segment/figures.h). */
enum step { SEGMENT, SUMMARIZE, JOIN, JOIN_REPORTS };

struct prefs {
    struct cdp_io_prefs io;
    enum step step;
    const char *figures; /* --figures */
    struct cdp_ruleset rules;
    struct cdp_jq_vars args; /* --arg, --argjson */
    struct cdp_segment_options seg;
    const char *previous, *journal, *report, *history, *split;
};

static int add_library(struct prefs *p, const char *list, struct cdp_error *err)
{
    char *copy = cdp_xstrdup(list), *save = NULL;
    int k = 0;
    struct cdp_buf name = CDP_BUF_INIT, path = CDP_BUF_INIT;
    for (char *s = strtok_r(copy, ",", &save); s && k == 0; s = strtok_r(NULL, ",", &save)) {
        cdp_buf_reset(&name);
        cdp_buf_printf(&name, "%s.rules", s);
        if (!cdp_segment_name_valid(s, strlen(s)) || cdp_share_file("segments", name.data, &path) < 0)
            k = cdp_errorf(err, "--use: no rule library '%s' (rfm, lapsed, birthday, cart, category, vip)", s);
        else
            k = cdp_ruleset_add_file(&p->rules, path.data, err);
    }
    cdp_buf_release(&name);
    cdp_buf_release(&path);
    free(copy);
    return k;
}

/* --arg NAME VALUE and --argjson NAME JSON: two arguments. */
static int add_arg(struct prefs *p, bool json, const char *name, struct cdp_cli_rest *rest)
{
    const char *opt = json ? "--argjson" : "--arg";
    const char *value = cdp_cli_take(rest);
    struct cdp_error err;
    if (!value)
        return cdp_usage_error(program.name, "%s takes NAME and VALUE", opt);
    if (!strcmp(name, "as_of") || !strcmp(name, "as_of_day") || !strcmp(name, "vip_threshold"))
        return cdp_usage_error(program.name, "%s: $%s is set by cdp-segment (use --as-of)", opt, name);
    if (cdp_jq_vars_add(&p->args, name, value, json, &err) < 0)
        return cdp_usage_error(program.name, "%s: %s", opt, err.msg);
    return 0;
}

static int option(void *prefs, int id, const char *arg, struct cdp_cli_rest *rest)
{
    struct prefs *p = prefs;
    struct cdp_error err;
    int k = 0;
    switch (id) {
    case 's': k = cdp_ruleset_add_spec(&p->rules, arg, &err); break;
    case OPT_SEGMENTS: k = cdp_ruleset_add_file(&p->rules, arg, &err); break;
    case OPT_USE: k = add_library(p, arg, &err); break;
    case OPT_ARG: case OPT_ARGJSON: return add_arg(p, id == OPT_ARGJSON, arg, rest);
    case OPT_AS_OF:
        if (!cdp_parse_day(arg, &p->seg.as_of_day))
            return cdp_usage_error(program.name, "--as-of takes a date YYYY-MM-DD, not '%s'", arg);
        break;
    case OPT_HOLDOUT:
        if (!cdp_parse_double(arg, 0, 100, &p->seg.holdout) || p->seg.holdout >= 100)
            return cdp_usage_error(program.name, "--holdout takes a percentage, 0 up to 100, not '%s'", arg);
        break;
    case OPT_SALT: p->seg.salt = arg; break;
    case OPT_PREVIOUS: p->previous = arg; break;
    case OPT_JOURNAL: p->journal = arg; break;
    case OPT_REPORT: p->report = arg; break;
    case OPT_HISTORY: p->history = arg; break;
    case OPT_SPLIT: p->split = arg; break;
    case OPT_FIGURES: p->figures = arg; break;
    case OPT_SHARD: {
        long i, n;
        const char *slash = strchr(arg, '/');
        char first[32];
        if (!slash || (size_t)(slash - arg) >= sizeof first)
            return cdp_usage_error(program.name, "--shard takes I/N (shard I of N, 0 <= I < N), not '%s'", arg);
        memcpy(first, arg, (size_t)(slash - arg));
        first[slash - arg] = '\0';
        if (!cdp_parse_long(slash + 1, 1, CDP_SHARD_MAX, &n) || !cdp_parse_long(first, 0, n - 1, &i))
            return cdp_usage_error(program.name, "--shard takes I/N (shard I of N, 0 <= I < N), not '%s'", arg);
        p->seg.shard = (uint32_t)i;
        p->seg.nshards = (uint32_t)n;
        break;
    }
    case OPT_SUMMARIZE:
    case OPT_JOIN:
    case OPT_JOIN_REPORTS:
        if (p->step != SEGMENT)
            return cdp_usage_error(program.name,
                                   "--summarize, --join-summaries and --join-reports are steps: give one");
        p->step = id == OPT_SUMMARIZE ? SUMMARIZE : id == OPT_JOIN ? JOIN : JOIN_REPORTS;
        break;
    }
    return k < 0 ? cdp_usage_error(program.name, "%s", err.msg) : 0;
}

/* CDP_NATIVE=0: every rule in libjq, to compare with the native evaluation. */
static bool native_off(void)
{
    const char *v = getenv("CDP_NATIVE");
    return v && strcmp(v, "0") == 0;
}

static int parse_args(int argc, char **argv, struct prefs *p, int *first)
{
    p->seg = (struct cdp_segment_options){ &p->rules, &p->args, cdp_today(), 0, "cdp", native_off(), NULL, 0, 0 };
    int status = cdp_cli_parse(&program, argc, argv, &p->io, option, p, first);
    if (status >= 0)
        return status;
    struct cdp_error err;
    if ((p->step == SUMMARIZE || p->step == JOIN) &&
        (p->figures || p->previous || p->report || p->history || p->split || p->io.rejects || p->seg.nshards))
        return cdp_usage_error(program.name, "--summarize and --join-summaries write only -o: no --figures, "
                                             "--shard, --previous, --report, --history, --split or --rejects");
    if (p->step == JOIN_REPORTS && (p->figures || p->previous || p->split || p->io.rejects || p->seg.nshards ||
                                    p->io.output || (!p->report && !p->history)))
        return cdp_usage_error(program.name, "--join-reports writes --report and --history only");
    if ((p->step == JOIN || p->step == JOIN_REPORTS) && *first == argc)
        return cdp_usage_error(program.name, "%s needs the shards' files, one per shard",
                               p->step == JOIN ? "--join-summaries" : "--join-reports");
    if (p->step == SUMMARIZE || p->step == JOIN_REPORTS)
        return -1; /* the rules play no part */
    if (p->rules.n == 0)
        return cdp_usage_error(program.name, "no segments: give -s NAME=JQ, --segments FILE or --use NAME");
    if (p->journal && !p->previous)
        return cdp_usage_error(program.name, "--journal needs --previous");
    if (cdp_ruleset_finish(&p->rules, &err) < 0)
        return cdp_usage_error(program.name, "%s", err.msg);
    return -1;
}

/* Everything one run needs, so that one exit path can release it. */
struct run {
    struct prefs *p;
    struct cdp_report report;
    struct cdp_segment_engine *engine;
    struct cdp_segment_tally *tally;
    struct cdp_segment_worker **workers; /* one per thread (one for none) */
    size_t nworkers;
    struct cdp_pipeline *pipeline;
    struct cdp_reread *inputs;
    size_t ninputs;
    struct cdp_output *out;
    struct cdp_rejects *rejects;
    struct cdp_segment_split *split;
    size_t next_pos;           /* input position of the next line */
    struct cdp_figures *figures; /* --figures */
    bool write_failed;         /* reported at commit */
    uint64_t asked_jq;         /* profiles native rules left to libjq */
};

/* Bytes of lines a batch holds: enough to make handing it to a thread
 * cheap, few enough to keep memory small. */
#define BATCH_BYTES ((size_t)1 << 20)

static void write_line(struct run *run, struct cdp_output *o, const char *s, size_t len)
{
    if (!run->write_failed && cdp_output_write(o, s, len) < 0)
        run->write_failed = true;
}

/* A finished batch, in input order: counts, messages, rejects, output. */
static void consume(void *owner, void *batch)
{
    struct run *run = owner;
    struct cdp_segment_batch *b = batch;
    struct cdp_report *rep = &run->report;
    struct cdp_segment_totals n;
    cdp_segment_tally_batch(run->tally, b, &n);
    cdp_report_add(rep, "written", "profiles written", n.profiles);
    cdp_report_add(rep, "rejected", "rejected", n.rejected);
    cdp_report_add(rep, "memberships", "memberships", n.memberships);
    if (n.held_out)
        cdp_report_add(rep, "held_out", "held out", n.held_out);
    for (size_t r = 0; r < b->nrules; r++)
        run->asked_jq += b->rule_asked[r];
    for (size_t r = 0; r < b->nrules; r++)
        if (b->rule_errors[r]) {
            cdp_report_add(rep, "rule_errors", "rule errors", b->rule_errors[r]);
            cdp_report_detail(rep, "rule_errors", cdp_segment_rule_name(run->engine, r), b->rule_errors[r]);
        }
    size_t msg = 0;
    for (size_t i = 0; i < b->lines.n; i++) {
        const struct cdp_segment_result *res = &b->results[i];
        const struct cdp_batch_row *row = &b->lines.rows[i];
        for (const char *m = b->messages.data + msg; m < b->messages.data + res->messages_end;
             m += strlen(m) + 1) {
            struct cdp_buf shown = CDP_BUF_INIT;
            if (res->code) /* a reader's reason: its quotes hold no value */
                cdp_buf_adds(&shown, m);
            else /* a rule's jq error */
                cdp_report_quoted(rep, &shown, m);
            cdp_report_data(rep, b->file, row->line, res->code ? "%s; line rejected" : "%s", shown.data);
            cdp_buf_release(&shown);
        }
        if (res->code && run->rejects)
            cdp_rejects_add(run->rejects, &(struct cdp_reject){ NULL, b->file, row->line, row->number,
                                                                res->code, b->messages.data + msg,
                                                                row->raw, row->rawlen });
        if (!res->code && run->split)
            cdp_segment_split_add(run->split, b, i);
        msg = res->messages_end;
    }
    /* the profiles' lines, one after another (a rejected line has none): in
     * one write, which a large buffer makes without a copy */
    if (b->out.len)
        write_line(run, run->out, b->out.data, b->out.len);
    cdp_segment_batch_clear(b);
}

static void work(void *worker, void *batch)
{
    cdp_segment_batch_run(worker, batch);
}

static void *batch_new(void *owner)
{
    return cdp_segment_batch_new(((struct run *)owner)->engine);
}

static void batch_free(void *owner, void *batch)
{
    (void)owner;
    cdp_segment_batch_free(batch);
}

static const struct cdp_pipeline_ops pipeline_ops = { batch_new, batch_free, work, consume };

static struct cdp_segment_batch *next_batch(struct run *run, const char *file)
{
    struct cdp_segment_batch *b = cdp_pipeline_batch(run->pipeline);
    b->file = file;
    b->first_pos = run->next_pos;
    return b;
}

/* Every profile of one input through the workers. The reader's name goes
 * with its batches: they are all consumed before it closes. */
static int segment_file(struct run *run, const struct cdp_reread *in, struct cdp_error *err)
{
    struct cdp_reader_options ro = run->p->io.in;
    ro.format = CDP_FORMAT_NDJSON;
    ro.lines_only = true;
    struct cdp_reader *r = cdp_reader_open(in->path, &ro, err);
    if (!r)
        return -1;
    struct cdp_segment_batch *b = next_batch(run, in->label);
    struct cdp_record rec = CDP_RECORD_INIT;
    struct cdp_row row;
    enum cdp_read k;
    while ((k = cdp_reader_next(r, &rec, &row, err)) != CDP_READ_END && k != CDP_READ_ERROR) {
        uint64_t n = cdp_report_add(&run->report, "read", "profiles read", 1);
        cdp_report_tick(&run->report, n, cdp_reader_bytes(r));
        cdp_batch_add(&b->lines, k, &rec, &row);
        run->next_pos++;
        if (b->lines.bytes >= BATCH_BYTES) {
            cdp_pipeline_submit(run->pipeline, b);
            b = next_batch(run, in->label);
        }
    }
    if (b->lines.n)
        cdp_pipeline_submit(run->pipeline, b);
    else
        cdp_pipeline_unused(run->pipeline, b);
    cdp_pipeline_drain(run->pipeline);
    cdp_record_release(&rec);
    cdp_reader_close(r);
    return k == CDP_READ_ERROR ? -1 : 0;
}

/* The inputs (spooled when they are read twice and cannot be reread), the
 * first pass, and the last run's memberships. */
static int prepare(struct run *run, int nfiles, char **files, struct cdp_error *err)
{
    struct prefs *p = run->p;
    bool twice = cdp_segment_needs_population(run->engine);
    run->ninputs = nfiles ? (size_t)nfiles : 1;
    run->inputs = cdp_xcalloc(run->ninputs, sizeof *run->inputs);
    for (size_t i = 0; i < run->ninputs; i++)
        cdp_reread_init(&run->inputs[i], nfiles ? files[i] : "-");
    for (size_t i = 0; twice && i < run->ninputs; i++)
        if (cdp_reread_spool(&run->inputs[i], err) < 0)
            return -1;
    for (size_t i = 0; twice && i < run->ninputs; i++)
        if (cdp_segment_population_read(run->engine, run->inputs[i].path, &p->io.in, err) < 0)
            return -1;
    if (twice)
        cdp_segment_population_done(run->engine);
    if (p->previous && cdp_segment_previous_read(run->engine, p->previous, p->journal, err) < 0)
        return -1;
    run->tally = cdp_segment_tally_new(run->engine);
    return 0;
}

/* The workers (the first compiles its rules now: a failure is a usage
 * error, 2), the pipeline and the outputs. Returns 0, 1 or 2. */
static int start(struct run *run, struct cdp_error *err)
{
    struct prefs *p = run->p;
    size_t nthreads = cdp_cli_threads(&p->io);
    run->nworkers = nthreads ? nthreads : 1;
    run->workers = cdp_xcalloc(run->nworkers, sizeof *run->workers);
    for (size_t i = 0; i < run->nworkers; i++)
        if (!(run->workers[i] = cdp_segment_worker_new(run->engine, i == 0, err)))
            return 2;
    run->pipeline = cdp_pipeline_new(&pipeline_ops, run, nthreads, (void **)run->workers, err);
    if (!run->pipeline || !(run->out = cdp_output_open(p->io.output, &p->io.out, err)) ||
        (p->io.rejects && !(run->rejects = cdp_rejects_open(p->io.rejects, err))) ||
        (p->split && !(run->split = cdp_segment_split_open(run->engine, p->split, &p->io.out, err))))
        return 1;
    return 0;
}

static void write_gone(void *owner, const char *line, size_t len)
{
    struct run *run = owner;
    cdp_report_add(&run->report, "gone", "gone", 1);
    write_line(run, run->out, line, len);
}

/* The gone records; then every file of the run replaced together, all or
 * none (io/replace.h): a retry after any failure is the same run again,
 * never a second --history line. Standard output first (it cannot be taken
 * back). */
static int finish(struct run *run, struct cdp_error *err)
{
    struct prefs *p = run->p;
    if (cdp_reread_check(run->inputs, run->ninputs, err) < 0 ||
        cdp_segment_tally_end(run->tally, write_gone, run, err) < 0)
        return -1;
    struct cdp_segment_report rep;
    cdp_segment_tally_report(run->tally, p->seg.as_of_day, &rep);
    struct cdp_replace *files = cdp_replace_new();
    struct cdp_output *out = run->out, *rejects = run->rejects ? cdp_rejects_output(run->rejects) : NULL;
    run->out = NULL;
    run->rejects = NULL;
    int k = cdp_replace_add(files, out, err);
    if (k == 0 && run->split)
        k = cdp_segment_split_replace(run->split, files, err);
    if (k == 0 && rejects)
        k = cdp_replace_add(files, rejects, err), rejects = NULL;
    struct cdp_output *o;
    if (k == 0 && p->report)
        k = (o = cdp_segment_report_output(p->report, &rep, err)) ? cdp_replace_add(files, o, err) : -1;
    if (k == 0 && p->io.stats)
        k = (o = cdp_report_stats_output(&run->report, p->io.stats, NULL, err)) ? cdp_replace_add(files, o, err)
                                                                               : -1;
    if (k == 0 && p->history)
        k = (o = cdp_history_append_output(p->history, &rep, err)) ? cdp_replace_add(files, o, err) : -1;
    if (k == 0)
        k = cdp_replace_commit(files, err);
    cdp_segment_report_release(&rep);
    cdp_output_abort(rejects);
    cdp_replace_free(files);
    return k;
}

/* CDP_TIMING: which rules run natively (rules/native.h), which in libjq. */
static void note_native(struct run *run)
{
    size_t n = cdp_segment_rule_count(run->engine), native = 0;
    struct cdp_buf jq = CDP_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        if (cdp_segment_rule_native(run->engine, i)) {
            native++;
        } else {
            cdp_buf_adds(&jq, jq.len ? ", " : "; in libjq: ");
            cdp_buf_adds(&jq, cdp_segment_rule_name(run->engine, i));
        }
    }
    cdp_report_note(&run->report, "%zu of %zu rules native%s", native, n, jq.len ? jq.data : "");
    cdp_buf_release(&jq);
}

/* A step of a sharded run: its files replaced together, all or none, as
 * finish does (run->out and rep may be NULL). */
static int commit_step(struct run *run, const struct cdp_segment_report *rep, struct cdp_error *err)
{
    struct prefs *p = run->p;
    struct cdp_replace *files = cdp_replace_new();
    struct cdp_output *out = run->out, *o;
    run->out = NULL;
    int k = out ? cdp_replace_add(files, out, err) : 0;
    if (k == 0 && rep && p->report)
        k = (o = cdp_segment_report_output(p->report, rep, err)) ? cdp_replace_add(files, o, err) : -1;
    if (k == 0 && p->io.stats)
        k = (o = cdp_report_stats_output(&run->report, p->io.stats, NULL, err)) ? cdp_replace_add(files, o, err)
                                                                               : -1;
    if (k == 0 && rep && p->history)
        k = (o = cdp_history_append_output(p->history, rep, err)) ? cdp_replace_add(files, o, err) : -1;
    if (k == 0)
        k = cdp_replace_commit(files, err);
    cdp_replace_free(files);
    return k;
}

/* --summarize: each input's population summary, to the output. */
static int summarize(struct run *run, int nfiles, char **files, struct cdp_error *err)
{
    struct prefs *p = run->p;
    if (!(run->out = cdp_output_open(p->io.output, &p->io.out, err)))
        return 1;
    uint64_t profiles = 0;
    for (int i = 0; i < (nfiles ? nfiles : 1); i++)
        if (cdp_figures_summarize(nfiles ? files[i] : "-", &p->io.in, run->out, &profiles, err) < 0)
            return 1;
    cdp_report_add(&run->report, "read", "profiles read", profiles);
    return commit_step(run, NULL, err) < 0;
}

/* --join-summaries: the figures of the shards' summaries (the rules say the
 * VIP share), to the output. */
static int join(struct run *run, int nfiles, char **files, struct cdp_error *err)
{
    struct prefs *p = run->p;
    run->engine = cdp_segment_engine_new(&p->seg, err);
    if (!run->engine)
        return 2;
    struct cdp_buf figures = CDP_BUF_INIT;
    int status = cdp_figures_join((const char *const *)files, (size_t)nfiles, cdp_segment_vip_percent(run->engine),
                                  &figures, err) < 0;
    if (status == 0 && !(run->out = cdp_output_open(p->io.output, &p->io.out, err)))
        status = 1;
    if (status == 0) {
        cdp_output_write(run->out, figures.data, figures.len);
        status = commit_step(run, NULL, err) < 0;
    }
    cdp_buf_release(&figures);
    return status;
}

/* --join-reports: the shards' reports as one run's, to --report and
 * --history. */
static int join_reports(struct run *run, int nfiles, char **files, struct cdp_error *err)
{
    struct cdp_segment_report rep;
    char *names = NULL;
    int status = cdp_segment_reports_join((const char *const *)files, (size_t)nfiles, &rep, &names, err) < 0;
    cdp_report_add(&run->report, "read", "profiles read", rep.profiles);
    if (status == 0)
        status = commit_step(run, &rep, err) < 0;
    cdp_segment_report_release(&rep);
    free(names);
    return status;
}

static int segment(struct run *run, int nfiles, char **files, struct cdp_error *err)
{
    if (run->p->step == JOIN_REPORTS)
        return join_reports(run, nfiles, files, err);
    if (run->p->step == SUMMARIZE)
        return summarize(run, nfiles, files, err);
    if (run->p->step == JOIN)
        return join(run, nfiles, files, err);
    if (run->p->figures && !(run->figures = cdp_figures_load(run->p->figures, err)))
        return 1;
    run->p->seg.figures = run->figures;
    run->engine = cdp_segment_engine_new(&run->p->seg, err);
    if (!run->engine)
        return 2;
    cdp_report_phase(&run->report, "rules compiled");
    int status = prepare(run, nfiles, files, err) < 0 ? 1 : start(run, err);
    if (status == 0) {
        cdp_report_phase(&run->report, "first pass, last run, workers");
        note_native(run);
    }
    /* the inputs as the population pass read them, before and after the second */
    if (status == 0 && cdp_reread_check(run->inputs, run->ninputs, err) < 0)
        status = 1;
    for (size_t i = 0; status == 0 && i < run->ninputs; i++)
        if (segment_file(run, &run->inputs[i], err) < 0)
            status = 1;
    if (status)
        return status;
    cdp_report_phase(&run->report, "segmented");
    cdp_report_note(&run->report, "native rules left %llu profiles to libjq",
                    (unsigned long long)run->asked_jq);
    status = finish(run, err) < 0;
    cdp_report_phase(&run->report, "written");
    return status;
}

static void release(struct run *run)
{
    cdp_output_abort(run->out);
    cdp_rejects_abort(run->rejects);
    cdp_segment_split_free(run->split);
    cdp_pipeline_free(run->pipeline);
    for (size_t i = 0; i < run->nworkers; i++)
        cdp_segment_worker_free(run->workers[i]);
    free(run->workers);
    cdp_segment_tally_free(run->tally);
    cdp_segment_engine_free(run->engine);
    cdp_figures_free(run->figures);
    for (size_t i = 0; i < run->ninputs; i++)
        cdp_reread_release(&run->inputs[i]);
    free(run->inputs);
    cdp_report_release(&run->report);
}

/* The summary's counts of a cdp-segment run, in their order. */
static void add_counts(struct cdp_report *r, const struct prefs *p)
{
    cdp_report_add(r, "written", "written", 0);
    cdp_report_add(r, "rejected", "rejected", 0);
    cdp_report_add(r, "memberships", "memberships", 0);
    if (p->seg.holdout > 0)
        cdp_report_add(r, "held_out", "held out", 0);
    if (p->previous)
        cdp_report_add(r, "gone", "gone", 0);
    cdp_report_add(r, "rule_errors", "rule errors", 0);
}

int main(int argc, char **argv)
{
    struct prefs p;
    memset(&p, 0, sizeof p);
    cdp_cli_start(&program, argv);
    int first;
    int status = parse_args(argc, argv, &p, &first);
    if (status < 0) {
        struct run run;
        memset(&run, 0, sizeof run);
        run.p = &p;
        cdp_report_init(&run.report, program.name);
        cdp_io_apply_report(&p.io, &run.report);
        cdp_report_add(&run.report, "read", "profiles read", 0);
        if (p.step == SEGMENT)
            add_counts(&run.report, &p);
        struct cdp_error err;
        status = segment(&run, argc - first, argv + first, &err);
        if (status == 2)
            cdp_usage_error(program.name, "%s", err.msg);
        else if (status)
            cdp_report_error(&run.report, "%s", err.msg);
        if (status == 1)
            cdp_report_unwritten(&run.report, p.io.output, "written");
        if (status != 2)
            cdp_report_summary(&run.report);
        release(&run);
    }
    cdp_ruleset_release(&p.rules);
    cdp_jq_vars_release(&p.args);
    return status;
}
