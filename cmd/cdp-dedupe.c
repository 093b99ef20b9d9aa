/* cdp-dedupe: give every record the stable id of the person it belongs to. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/report.h"
#include "identity/dedupe.h"
#include "identity/graph.h"
#include "identity/keys.h"
#include "identity/model.h"
#include "io/shard.h"

enum {
    OPT_MAX_PER_KEY = CDP_OPT_PROGRAM, OPT_BLOCK_VALUE, OPT_BLOCK_FILE, OPT_NO_DEFAULT_BLOCKS, OPT_CONFLICT,
    OPT_NO_CONFLICT, OPT_TRAIN, OPT_NO_TRAIN, OPT_MODEL_OUT, OPT_THRESHOLD, OPT_SEED, OPT_LABELS, OPT_STATE,
    OPT_JOURNAL, OPT_LINKS, OPT_FORGOTTEN, OPT_EDGES, OPT_RESOLVE, OPT_APPLY, OPT_ORDER_OUT,
};

static const struct cdp_option options[] = {
    { 'k', "key", "SPEC", "link by this key, strongest first (default:\n"
                          "customer_id, card, email, phone, anon_id);\n"
                          "composite keys join fields with '+', e.g.\n"
                          "last_name+first_name+birth_date" },
    { OPT_MAX_PER_KEY, "max-per-key", "KEY=N", "a value shared by more than N distinct people is\n"
                                               "not used (default: customer_id and card 1, email\n"
                                               "and anon_id 3, phone 5, composite keys 10)" },
    { OPT_BLOCK_VALUE, "block-value", "REGEX", "values matching REGEX are never identifiers" },
    { OPT_BLOCK_FILE, "block-file", "FILE", "nor are the values listed in FILE" },
    { OPT_NO_DEFAULT_BLOCKS, "no-default-blocks", NULL, "drop the built-in list (zeros, null,\n"
                                                        "+79999999999...)" },
    { OPT_CONFLICT, "conflict", "FIELD", "groups certainly different on FIELD are never\n"
                                         "merged (always birth_date, gender, first_name\n"
                                         "and middle_name; repeat to add)" },
    { OPT_NO_CONFLICT, "no-conflict", NULL, "check no field at all" },
    { 'm', "model", "FILE", "also link person records without a shared key by\n"
                            "the probabilistic model in FILE (see cdp-model(5))" },
    { OPT_TRAIN, "train", NULL, "fit the model's m, u and prior to the input first,\n"
                                "even a trained model or few records (default:\n"
                                "unless the model is trained; no labels needed)" },
    { OPT_NO_TRAIN, "no-train", NULL, "use the model's m, u and prior as they are" },
    { OPT_MODEL_OUT, "model-out", "FILE", "write the (trained) model to FILE" },
    { OPT_THRESHOLD, "threshold", "P", "link pairs with match probability >= P (default:\n"
                                       "the model's, 0.99 in the shipped models)" },
    { OPT_SEED, "seed", "N", "the seed for training's random pairs (default 1)" },
    { OPT_LABELS, "labels", "FILE", "refine the model with pairs known to be one person\n"
                                    "(NDJSON: {\"a\":{_source,_rid},\"b\":{...},\"match\":true})" },
    { OPT_STATE, "state", "FILE", "keep person ids stable across runs in FILE" },
    { OPT_JOURNAL, "journal", "FILE", "append to FILE the ids merged or split (with --state)" },
    { OPT_LINKS, "links", "FILE", "explain every link used and refused, as NDJSON" },
    { OPT_FORGOTTEN, "forgotten", "FILE", "leave out the records of persons on this forget\n"
                                          "list, and drop them from the state (cdp-forget(1))" },
    { OPT_EDGES, "edges", NULL, "sharded run, step 1 (on each shard): write the\n"
                                "input's edges file to -o instead of records" },
    { OPT_RESOLVE, "resolve", "ORDER", "step 2 (on one host): join the edges files given\n"
                                       "(one per shard, in shard order) in the order of\n"
                                       "cdp-shard's ORDER file, give ids (--state...), and\n"
                                       "write each shard's ids file to -o TEMPLATE (%d)" },
    { OPT_ORDER_OUT, "order-out", "FILE", "with --resolve: write to FILE the order of the\n"
                                          "records the shards' --apply write (which\n"
                                          "cdp-shard's --interleave reads)" },
    { OPT_APPLY, "apply", "IDS", "step 3 (on each shard): write the shard's records\n"
                                 "with the ids of its ids file IDS" },
    { 0 },
};

static const struct cdp_program program = {
    .name = "cdp-dedupe",
    .synopsis = "[OPTION]... [FILE]...",
    .about = "Add to every canonical record a person id, cdp_id: the same for all records of\n"
             "the same real person, across sources. With no FILE, or FILE '-', read stdin.\n",
    .options = options,
    .shared = CDP_SHARED_THREADS | CDP_SHARED_REJECTS | CDP_SHARED_OUTPUT | CDP_SHARED_INPUT |
              CDP_SHARED_REPORT,
    .epilogue = "See cdp-dedupe(1).",
    .files = (const struct cdp_file_option[]){
        { OPT_BLOCK_FILE, CDP_FILE_IN }, { 'm', CDP_FILE_IN }, { OPT_MODEL_OUT, CDP_FILE_OUT },
        { OPT_LABELS, CDP_FILE_IN }, { OPT_STATE, CDP_FILE_INOUT }, { OPT_JOURNAL, CDP_FILE_OUT },
        { OPT_LINKS, CDP_FILE_OUT }, { OPT_FORGOTTEN, CDP_FILE_IN }, { OPT_RESOLVE, CDP_FILE_IN },
        { OPT_APPLY, CDP_FILE_IN }, { OPT_ORDER_OUT, CDP_FILE_OUT }, { 0, 0 },
    },
    .operands = CDP_FILE_IN | CDP_FILE_STDIN,
    /* a model trained and saved where it was read */
    .same_file_ok = (const int[][2]){ { 'm', OPT_MODEL_OUT }, { 0, 0 } },
};

struct prefs {
    struct cdp_io_prefs io;
    enum cdp_dedupe_step step; /* one cdp-dedupe, or one step of a sharded run */
    const char *order, *ids, *order_out; /* --resolve, --apply, --order-out */
    struct cdp_keyset *keys;
    const char **limits, **extra_conflicts, **conflicts;
    size_t nlimits, nextra_conflicts, nconflicts;
    bool no_conflict, no_default_blocks, train, no_train;
    const char *links, *state, *journal, *model_path, *model_out, *labels, *forgotten;
    struct cdp_fsmodel *model;
    double threshold; /* < 0: the model's */
    long seed;
};

static int option(void *prefs, int id, const char *arg, struct cdp_cli_rest *rest)
{
    struct prefs *p = prefs;
    struct cdp_error err;
    (void)rest;
    switch (id) {
    case 'k':
        if (cdp_keyset_add(p->keys, arg, &err) < 0)
            return cdp_usage_error(program.name, "--key %s", err.msg);
        break;
    case OPT_MAX_PER_KEY:
        p->limits = cdp_xrealloc(p->limits, (p->nlimits + 1) * sizeof *p->limits);
        p->limits[p->nlimits++] = arg;
        break;
    case OPT_BLOCK_VALUE:
        if (cdp_keyset_block_regex(p->keys, arg, &err) < 0)
            return cdp_usage_error(program.name, "--block-value: %s", err.msg);
        break;
    case OPT_BLOCK_FILE:
        if (cdp_keyset_block_file(p->keys, arg, &err) < 0)
            return cdp_usage_error(program.name, "--block-file: %s", err.msg);
        break;
    case OPT_CONFLICT:
        if (p->nextra_conflicts >= CDP_GRAPH_MAX_CONFLICTS - 4)
            return cdp_usage_error(program.name, "--conflict: at most %d fields besides the four checked "
                                   "by default", CDP_GRAPH_MAX_CONFLICTS - 4);
        p->extra_conflicts = cdp_xrealloc(p->extra_conflicts,
                                          (p->nextra_conflicts + 1) * sizeof *p->extra_conflicts);
        p->extra_conflicts[p->nextra_conflicts++] = arg;
        break;
    case OPT_THRESHOLD:
        if (!cdp_parse_double(arg, 0, 1, &p->threshold) || p->threshold <= 0 || p->threshold >= 1)
            return cdp_usage_error(program.name, "--threshold takes a probability between 0 and 1, not '%s'",
                                   arg);
        break;
    case OPT_SEED:
        if (!cdp_parse_long(arg, 0, 0x7fffffffL, &p->seed))
            return cdp_usage_error(program.name, "--seed takes a number, not '%s'", arg);
        break;
    case OPT_NO_DEFAULT_BLOCKS: p->no_default_blocks = true; break;
    case OPT_NO_CONFLICT: p->no_conflict = true; break;
    case OPT_TRAIN: p->train = true; break;
    case OPT_NO_TRAIN: p->no_train = true; break;
    case 'm': p->model_path = arg; break;
    case OPT_MODEL_OUT: p->model_out = arg; break;
    case OPT_LABELS: p->labels = arg; break;
    case OPT_LINKS: p->links = arg; break;
    case OPT_STATE: p->state = arg; break;
    case OPT_JOURNAL: p->journal = arg; break;
    case OPT_FORGOTTEN: p->forgotten = arg; break;
    case OPT_ORDER_OUT: p->order_out = arg; break;
    case OPT_EDGES:
    case OPT_RESOLVE:
    case OPT_APPLY:
        if (p->step != CDP_DEDUPE_WHOLE)
            return cdp_usage_error(program.name, "--edges, --resolve and --apply are three steps: give one");
        p->step = id == OPT_EDGES      ? CDP_DEDUPE_EDGES
                  : id == OPT_RESOLVE ? CDP_DEDUPE_RESOLVE
                                      : CDP_DEDUPE_APPLY;
        if (id == OPT_RESOLVE)
            p->order = arg;
        if (id == OPT_APPLY)
            p->ids = arg;
        break;
    }
    return 0;
}

/* Which options each step of a sharded run takes. */
static int check_mode(const struct prefs *p, int nfiles)
{
    if (p->step == CDP_DEDUPE_WHOLE)
        return p->order_out ? cdp_usage_error(program.name, "--order-out goes with --resolve") : 0;
    if (p->model_path)
        return cdp_usage_error(program.name,
                               "--model cannot be split across shards (it compares person records of "
                               "all shards and is trained on all of them): run it on one host");
    if (p->step != CDP_DEDUPE_RESOLVE && (p->state || p->journal || p->links || p->order_out))
        return cdp_usage_error(program.name, "--state, --journal, --links and --order-out go with --resolve");
    if (p->step == CDP_DEDUPE_RESOLVE) {
        if (p->io.rejects)
            return cdp_usage_error(program.name, "--resolve reads edges files: no --rejects");
        if (nfiles < 1)
            return cdp_usage_error(program.name, "--resolve needs the edges files, one per shard");
        if (!p->io.output || !cdp_shard_template_valid(p->io.output))
            return cdp_usage_error(program.name, "--resolve needs -o TEMPLATE, a file name with %%d once "
                                                 "(the shard's ids file)");
    }
    return 0;
}

static int parse_args(int argc, char **argv, struct prefs *p, int *first)
{
    struct cdp_error err;
    int status = cdp_cli_parse(&program, argc, argv, &p->io, option, p, first);
    if (status >= 0)
        return status;
    if (p->journal && !p->state)
        return cdp_usage_error(program.name, "--journal needs --state (ids can only change between runs)");
    if (check_mode(p, argc - *first) != 0)
        return 2;
    if ((p->train || p->no_train || p->model_out || p->threshold >= 0 || p->seed != 1 || p->labels) &&
        !p->model_path)
        return cdp_usage_error(program.name, "--train, --no-train, --labels, --model-out, --threshold and --seed "
                                             "need --model");
    if (p->train && p->no_train)
        return cdp_usage_error(program.name, "--train and --no-train: choose one");
    size_t n = p->model_out ? strlen(p->model_out) : 0;
    if ((n > 4 && strcmp(p->model_out + n - 4, ".zst") == 0) ||
        (n > 3 && strcmp(p->model_out + n - 3, ".gz") == 0))
        return cdp_usage_error(program.name,
                               "--model-out writes plain JSON: give it a name without .zst or .gz");
    if (p->model_path) {
        if (!(p->model = cdp_fsmodel_load(p->model_path, &err)))
            return cdp_usage_error(program.name, "%s", err.msg);
        if (p->threshold >= 0)
            p->model->threshold = p->threshold;
    }
    cdp_keyset_defaults(p->keys);
    if (!p->no_default_blocks)
        cdp_keyset_default_blocks(p->keys);
    for (size_t i = 0; i < p->nlimits; i++)
        if (cdp_keyset_limit(p->keys, p->limits[i], &err) < 0)
            return cdp_usage_error(program.name, "--max-per-key %s", err.msg);
    if (!p->io.in.format)
        p->io.in.format = CDP_FORMAT_AUTO;
    if (!(p->conflicts = cdp_graph_conflicts(p->extra_conflicts, p->nextra_conflicts, p->no_conflict,
                                             &p->nconflicts, &err)))
        return cdp_usage_error(program.name, "--conflict %s", err.msg);
    return -1;
}

/* What the run's callbacks reach: the prefs (--stats) and the report. */
struct run {
    const struct prefs *p;
    struct cdp_report report;
};

/* What the run counts and says (identity/dedupe.h), into the report. */
static void progress(void *ctx, uint64_t rows, uint64_t bytes)
{
    cdp_report_tick(&((struct run *)ctx)->report, rows, bytes);
}

static void reject(void *ctx, const struct cdp_reject *r)
{
    cdp_report_data(&((struct run *)ctx)->report, r->file, r->line, "%s; line rejected", r->reason);
}

static void count(void *ctx, const char *key, const char *label, uint64_t n)
{
    cdp_report_add(&((struct run *)ctx)->report, key, label, n);
}

static void detail(void *ctx, const char *group, const char *key, uint64_t n)
{
    cdp_report_detail(&((struct run *)ctx)->report, group, key, n);
}

static void phase(void *ctx, const char *name)
{
    cdp_report_phase(&((struct run *)ctx)->report, name);
}

static struct cdp_output *stats(void *ctx, const char *extra, struct cdp_error *err)
{
    struct run *run = ctx;
    return cdp_report_stats_output(&run->report, run->p->io.stats, extra, err);
}

static int dedupe(struct prefs *p, int nfiles, char **files)
{
    struct run run = { .p = p };
    cdp_report_init(&run.report, program.name);
    cdp_io_apply_report(&p->io, &run.report);
    struct cdp_dedupe_options o = {
        .step = p->step, .files = (const char *const *)files, .nfiles = (size_t)nfiles,
        .order = p->order, .ids = p->ids, .output = p->io.output, .out = &p->io.out, .in = &p->io.in,
        .order_out = p->order_out, .links = p->links, .rejects = p->io.rejects, .state = p->state,
        .journal = p->journal, .forgotten = p->forgotten,
        .keys = p->keys, .conflicts = p->conflicts, .nconflicts = p->nconflicts,
        .model = p->model, .model_out = p->model_out,
        .fit = { p->train ? CDP_TRAIN_ALWAYS : p->no_train ? CDP_TRAIN_NEVER : CDP_TRAIN_AUTO,
                 (uint64_t)p->seed, p->labels },
        .nworkers = cdp_cli_threads(&p->io), .show_values = p->io.show_values,
        .progress = progress, .reject = reject, .count = count, .detail = detail, .phase = phase,
        .stats = p->io.stats ? stats : NULL, .ctx = &run,
    };
    struct cdp_error err;
    int status = 0;
    struct cdp_dedupe *d = cdp_dedupe_open(&o, &err);
    if (!d || cdp_dedupe_read(d, &err) < 0 || cdp_dedupe_link(d, &err) < 0 || cdp_dedupe_write(d, &err) < 0 ||
        cdp_dedupe_commit(d, &err) < 0) {
        cdp_report_error(&run.report, "%s", err.msg);
        cdp_report_unwritten(&run.report, p->io.output, "written");
        status = 1;
    }
    cdp_report_summary(&run.report);
    cdp_dedupe_free(d);
    cdp_report_release(&run.report);
    return status;
}

int main(int argc, char **argv)
{
    struct prefs p;
    memset(&p, 0, sizeof p);
    p.keys = cdp_keyset_new();
    p.threshold = -1;
    p.seed = 1;
    cdp_cli_start(&program, argv);
    int first;
    int status = parse_args(argc, argv, &p, &first);
    if (status < 0)
        status = dedupe(&p, argc - first, argv + first);
    cdp_fsmodel_free(p.model);
    cdp_keyset_free(p.keys);
    free(p.limits);
    free(p.extra_conflicts);
    free(p.conflicts);
    return status;
}
