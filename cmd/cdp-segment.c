/* cdp-segment: audiences by rules (jq expressions) over the profiles, with
 * control groups and entered/exited deltas. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "io/output.h"
#include "io/shard.h"
#include "rules/ruleset.h"
#include "segment/engine.h"
#include "segment/figures.h"
#include "segment/history.h"
#include "segment/segmenter.h"

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
    struct cdp_segmenter *segmenter;
    struct cdp_output *out;      /* a step's output */
    struct cdp_figures *figures; /* --figures */
};

static void progress(void *ctx, uint64_t bytes)
{
    struct run *run = ctx;
    uint64_t n = cdp_report_add(&run->report, "read", "profiles read", 1);
    cdp_report_tick(&run->report, n, bytes);
}

/* A finished batch, in input order: its counts and messages (the
 * segmenter writes its rejects and profiles). */
static void consume(void *ctx, const struct cdp_segment_batch *b, const struct cdp_segment_totals *n)
{
    struct run *run = ctx;
    struct cdp_report *rep = &run->report;
    cdp_report_add(rep, "written", "profiles written", n->profiles);
    cdp_report_add(rep, "rejected", "rejected", n->rejected);
    cdp_report_add(rep, "memberships", "memberships", n->memberships);
    if (n->held_out)
        cdp_report_add(rep, "held_out", "held out", n->held_out);
    for (size_t r = 0; r < b->nrules; r++)
        if (b->rule_errors[r]) {
            cdp_report_add(rep, "rule_errors", "rule errors", b->rule_errors[r]);
            cdp_report_detail(rep, "rule_errors", cdp_segment_rule_name(run->engine, r), b->rule_errors[r]);
        }
    size_t msg = 0;
    for (size_t i = 0; i < b->lines.n; i++) {
        const struct cdp_segment_result *res = &b->results[i];
        for (const char *m = b->messages.data + msg; m < b->messages.data + res->messages_end;
             m += strlen(m) + 1) {
            struct cdp_buf shown = CDP_BUF_INIT;
            if (res->code) /* a reader's reason: its quotes hold no value */
                cdp_buf_adds(&shown, m);
            else /* a rule's jq error */
                cdp_report_quoted(rep, &shown, m);
            cdp_report_data(rep, b->file, b->lines.rows[i].line, res->code ? "%s; line rejected" : "%s",
                            shown.data);
            cdp_buf_release(&shown);
        }
        msg = res->messages_end;
    }
}

/* --stats, when the files are committed: the counts are final then. */
static struct cdp_output *stats_output(void *ctx, struct cdp_error *err)
{
    struct run *run = ctx;
    return cdp_report_stats_output(&run->report, run->p->io.stats, NULL, err);
}

/* The segmenter of a run (segment/segmenter.h): 0, or 1 or 2 (a rule that
 * does not compile is a usage error) with err. */
static int start(struct run *run, int nfiles, char **files, struct cdp_error *err)
{
    struct prefs *p = run->p;
    struct cdp_segmenter_options o = {
        .engine = run->engine,
        .inputs = (const char *const *)files,
        .ninputs = (size_t)nfiles,
        .in = &p->io.in,
        .nworkers = cdp_cli_threads(&p->io),
        .previous = p->previous,
        .journal = p->journal,
        .output = p->io.output,
        .out = &p->io.out,
        .rejects = p->io.rejects,
        .split = p->split,
        .report = p->report,
        .history = p->history,
        .progress = progress,
        .consume = consume,
        .stats = p->io.stats ? stats_output : NULL,
        .ctx = run,
    };
    bool bad_rule;
    run->segmenter = cdp_segmenter_new(&o, &bad_rule, err);
    return run->segmenter ? 0 : bad_rule ? 2 : 1;
}

/* The gone records, then every file of the run replaced together. */
static int finish(struct run *run, struct cdp_error *err)
{
    long gone = cdp_segmenter_write_gone(run->segmenter, err);
    if (gone < 0)
        return -1;
    if (gone > 0)
        cdp_report_add(&run->report, "gone", "gone", (uint64_t)gone);
    return cdp_segmenter_commit(run->segmenter, run->p->seg.as_of_day, err);
}

/* CDP_TIMING: which rules run natively (rules/native.h), which in libjq. */
static void note_native(struct run *run)
{
    struct cdp_buf jq = CDP_BUF_INIT;
    size_t native = cdp_segmenter_native_rules(run->segmenter, &jq);
    cdp_report_note(&run->report, "%zu of %zu rules native%s%s", native, cdp_segment_rule_count(run->engine),
                    jq.len ? "; in libjq: " : "", jq.len ? jq.data : "");
    cdp_buf_release(&jq);
}

/* A step of a sharded run: its files replaced together, all or none, as
 * a whole run's are (run->out and rep may be NULL). */
static int commit_step(struct run *run, const struct cdp_segment_report *rep, struct cdp_error *err)
{
    struct prefs *p = run->p;
    struct cdp_segment_files files = {
        .out = run->out,
        .report = rep,
        .report_path = p->report,
        .history_path = p->history,
        .stats = p->io.stats ? stats_output : NULL,
        .ctx = run,
    };
    run->out = NULL;
    return cdp_segment_files_commit(&files, err);
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
    int status = start(run, nfiles, files, err);
    if (status)
        return status;
    cdp_report_phase(&run->report, "first pass, last run, workers");
    note_native(run);
    if (cdp_segmenter_run(run->segmenter, err) < 0)
        return 1;
    cdp_report_phase(&run->report, "segmented");
    cdp_report_note(&run->report, "native rules left %llu profiles to libjq",
                    (unsigned long long)cdp_segmenter_asked_jq(run->segmenter));
    status = finish(run, err) < 0;
    cdp_report_phase(&run->report, "written");
    return status;
}

static void release(struct run *run)
{
    cdp_output_abort(run->out);
    cdp_segmenter_free(run->segmenter);
    cdp_segment_engine_free(run->engine);
    cdp_figures_free(run->figures);
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
