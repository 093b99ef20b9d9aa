/* cdp-dedupe: give every record the stable id of the person it belongs to. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "identity/graph.h"
#include "identity/idstate.h"
#include "identity/journal.h"
#include "identity/keys.h"
#include "identity/linker.h"
#include "identity/model.h"
#include "identity/modellink.h"
#include "io/rejects.h"
#include "io/replace.h"
#include "io/reread.h"
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

/* One cdp-dedupe, or one step of a sharded run (identity/edges.h). */
enum mode { WHOLE, EDGES, RESOLVE, APPLY };

struct prefs {
    struct cdp_io_prefs io;
    enum mode mode;
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
        if (p->mode != WHOLE)
            return cdp_usage_error(program.name, "--edges, --resolve and --apply are three steps: give one");
        p->mode = id == OPT_EDGES ? EDGES : id == OPT_RESOLVE ? RESOLVE : APPLY;
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
    if (p->mode == WHOLE)
        return p->order_out ? cdp_usage_error(program.name, "--order-out goes with --resolve") : 0;
    if (p->model_path)
        return cdp_usage_error(program.name,
                               "--model cannot be split across shards (it compares person records of "
                               "all shards and is trained on all of them): run it on one host");
    if (p->mode != RESOLVE && (p->state || p->journal || p->links || p->order_out))
        return cdp_usage_error(program.name, "--state, --journal, --links and --order-out go with --resolve");
    if (p->mode == RESOLVE) {
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

/* Everything one run needs, so that one exit path can release it. */
struct run {
    struct prefs *p;
    struct cdp_report report;
    struct cdp_reread *inputs;
    size_t ninputs;
    struct cdp_idstate *ids;
    struct cdp_linker *linker;
    struct cdp_output *out, *links;
    char **files; /* --resolve: the edges files */
    size_t nfiles;
    struct cdp_output **ids_out; /* --resolve: each shard's ids file */
    struct cdp_output *order_out; /* --resolve --order-out */
    struct cdp_rejects *rejects;
    struct cdp_forgetlist *forgotten;
    struct cdp_buf journal; /* this run's journal lines */
    uint64_t refused;       /* the refused lines of the links file */
};

static void progress(void *ctx, uint64_t rows, uint64_t bytes)
{
    cdp_report_tick(&((struct run *)ctx)->report, rows, bytes);
}

static void reject(void *ctx, const struct cdp_reject *r)
{
    struct run *run = ctx;
    cdp_report_add(&run->report, "rejected", "rejected", 1);
    cdp_report_detail(&run->report, "rejected_by_reason", r->code ? r->code : "bad", 1);
    cdp_report_data(&run->report, r->file, r->line, "%s; line rejected", r->reason);
    if (run->rejects)
        cdp_rejects_add(run->rejects, r);
}

static void on_link(void *ctx, const struct cdp_link *l)
{
    struct run *run = ctx;
    static const char *const kinds[] = { "used", "blocked", "over_limit", "conflict", "shared_device", "ambiguous" };
    if (l->kind != CDP_LINK_USED) {
        run->refused++;
        cdp_report_detail(&run->report, "refused", kinds[l->kind], 1);
    }
    if (l->kind == CDP_LINK_OVER_LIMIT) {
        /* The values that would have glued people together, for --stats. */
        struct cdp_buf k = CDP_BUF_INIT;
        cdp_buf_printf(&k, "%s ", l->key);
        cdp_report_value(&run->report, &k, l->value, l->value_len, cdp_show_kind_of(l->key));
        cdp_report_detail(&run->report, "over_limit_values", k.data, l->people);
        cdp_buf_release(&k);
    }
    if (run->links) {
        cdp_linker_format_link(run->linker, l, cdp_output_buffer(run->links));
        cdp_output_flush_some(run->links);
    }
}

static void on_journal(void *ctx, const struct cdp_journal_entry *e)
{
    struct run *run = ctx;
    cdp_journal_format_shown(&run->journal, cdp_idstate_run(run->ids), e, run->p->io.show_values);
    cdp_report_detail(&run->report, "ids", e->reason, 1);
}

/* Inputs spooled to be read twice (--resolve: the edges files named), the
 * state locked, the linker (--edges: writing to the output). */
static int start(struct run *run, int nfiles, char **files, struct cdp_error *err)
{
    struct prefs *p = run->p;
    if (p->mode == RESOLVE) {
        run->files = files;
        run->nfiles = (size_t)nfiles;
    } else {
        run->ninputs = nfiles ? (size_t)nfiles : 1;
        run->inputs = cdp_xcalloc(run->ninputs, sizeof *run->inputs);
    }
    for (size_t i = 0; i < run->ninputs; i++) {
        cdp_reread_init(&run->inputs[i], nfiles ? files[i] : "-");
        if (p->mode != EDGES && cdp_reread_spool(&run->inputs[i], err) < 0)
            return -1;
    }
    if (p->mode == EDGES && !(run->out = cdp_output_open(p->io.output, &p->io.out, err)))
        return -1;
    run->ids = cdp_idstate_new();
    if (p->state && cdp_idstate_lock(run->ids, p->state, err) < 0)
        return -1;
    if (p->forgotten && !(run->forgotten = cdp_forgetlist_open(p->forgotten, err)))
        return -1;
    cdp_idstate_forget(run->ids, run->forgotten);
    struct cdp_linker_options lo = { p->keys, p->conflicts, p->nconflicts, p->model, cdp_cli_threads(&p->io),
                                     progress, reject, run, run->forgotten, p->io.show_values,
                                     p->mode == EDGES ? run->out : NULL };
    run->linker = cdp_linker_new(&lo);
    return 0;
}

static void count_detail(void *ctx, const char *group, const char *key, uint64_t n)
{
    cdp_report_detail(ctx, group, key, n);
}

/* --model: fit (train, --labels), save (--model-out), link. */
static int link_by_model(struct run *run, struct cdp_error *err)
{
    struct prefs *p = run->p;
    struct cdp_modellink *ml = cdp_linker_model(run->linker);
    struct cdp_graph *g = cdp_linker_graph(run->linker);
    struct cdp_modellink_report rep = { 0 };
    struct cdp_modellink_fit_options fo = { p->train ? CDP_TRAIN_ALWAYS : p->no_train ? CDP_TRAIN_NEVER : CDP_TRAIN_AUTO,
                                            (uint64_t)p->seed, p->labels };
    if (cdp_modellink_fit(ml, g, &fo, &rep, err) < 0 ||
        (p->model_out && cdp_fsmodel_save(p->model, p->model_out, err) < 0))
        return -1;
    cdp_modellink_link(ml, g, cdp_cli_threads(&p->io), &rep);
    cdp_modellink_counts(&rep, p->model, count_detail, &run->report);
    return 0;
}

/* Pass 1 (--resolve: the shards' edges joined), then the graph resolved
 * and ids given; --edges stops after pass 1. */
static int link_records(struct run *run, struct cdp_error *err)
{
    struct prefs *p = run->p;
    struct cdp_graph *g = cdp_linker_graph(run->linker);
    int status = p->mode == RESOLVE
                     ? cdp_linker_join(run->linker, p->order, (const char *const *)run->files, run->nfiles, err)
                     : cdp_linker_read(run->linker, run->inputs, run->ninputs, &p->io.in, err);
    cdp_report_add(&run->report, "read", "records read", cdp_linker_rows(run->linker));
    if (status < 0)
        return -1;
    cdp_report_phase(&run->report, "read");
    if (p->mode == EDGES)
        return 0;
    if (p->state && cdp_idstate_load(run->ids, p->state, g, p->conflicts, p->nconflicts, err) < 0)
        return -1;
    cdp_report_phase(&run->report, "state loaded");
    if (p->model) {
        if (link_by_model(run, err) < 0)
            return -1;
        cdp_report_phase(&run->report, "model");
    }
    if (p->links && !(run->links = cdp_output_open(p->links, NULL, err)))
        return -1;
    cdp_graph_resolve(g, on_link, run);
    struct cdp_linker_attribution by_time;
    cdp_linker_attribute(run->linker, &by_time);
    if (by_time.attributed || by_time.unattributed) {
        cdp_report_detail(&run->report, "shared_devices", "events_attributed", by_time.attributed);
        cdp_report_detail(&run->report, "shared_devices", "events_unattributed", by_time.unattributed);
    }
    cdp_report_phase(&run->report, "resolved");
    cdp_idstate_assign(run->ids, g, on_journal, run);
    cdp_report_phase(&run->report, "ids");
    return 0;
}

/* --resolve: each shard's ids file, named by the template. */
static int write_ids(struct run *run, struct cdp_error *err)
{
    struct prefs *p = run->p;
    run->ids_out = cdp_xcalloc(run->nfiles, sizeof *run->ids_out);
    struct cdp_buf name = CDP_BUF_INIT;
    int status = 0;
    for (size_t i = 0; i < run->nfiles && status == 0; i++) {
        cdp_shard_name(p->io.output, (uint32_t)i, &name);
        if (!(run->ids_out[i] = cdp_output_open(name.data, &p->io.out, err)))
            status = -1;
    }
    cdp_buf_release(&name);
    struct cdp_output_options plain = { 0 };
    if (status == 0 && p->order_out && !(run->order_out = cdp_output_open(p->order_out, &plain, err)))
        status = -1;
    uint64_t written = 0, rejected = 0;
    if (status == 0)
        cdp_linker_write_ids(run->linker, run->ids, run->ids_out, run->order_out, &written, &rejected);
    /* The counts of one run, the shards' --apply to come. */
    cdp_report_add(&run->report, "persons", "persons", cdp_graph_groups(cdp_linker_graph(run->linker)));
    cdp_report_add(&run->report, "written", "written", written);
    cdp_report_add(&run->report, "rejected", "rejected", rejected);
    if (p->forgotten)
        cdp_report_add(&run->report, "forgotten", "forgotten", cdp_linker_forgotten(run->linker));
    return status;
}

/* Pass 2: every record again, with its id (--apply: the ids of the ids
 * file); --resolve writes the ids files instead, --edges nothing. */
static int write_records(struct run *run, struct cdp_error *err)
{
    struct prefs *p = run->p;
    if (p->mode == EDGES)
        return 0;
    if (p->mode == RESOLVE)
        return write_ids(run, err);
    if (!(run->out = cdp_output_open(p->io.output, &p->io.out, err)))
        return -1;
    if (p->io.rejects && !(run->rejects = cdp_rejects_open(p->io.rejects, err)))
        return -1;
    if (p->mode == WHOLE)
        cdp_report_add(&run->report, "persons", "persons", cdp_graph_groups(cdp_linker_graph(run->linker)));
    cdp_report_add(&run->report, "written", "written", 0);
    cdp_report_add(&run->report, "rejected", "rejected", 0);
    uint64_t written = 0;
    /* the inputs as pass 1 read them, before and after pass 2 (--apply: no
     * pass 1 here, the ids file counts the rows) */
    if (p->mode != APPLY && cdp_reread_check(run->inputs, run->ninputs, err) < 0)
        return -1;
    int status = p->mode == APPLY ? cdp_linker_apply(run->linker, run->inputs, run->ninputs, &p->io.in, p->ids,
                                                     run->out, &written, err)
                                  : cdp_linker_write(run->linker, run->inputs, run->ninputs, &p->io.in,
                                                     run->ids, run->out, &written, err);
    if (status == 0 && p->mode != APPLY)
        status = cdp_reread_check(run->inputs, run->ninputs, err);
    cdp_report_add(&run->report, "written", "written", written);
    if (p->forgotten)
        cdp_report_add(&run->report, "forgotten", "forgotten", cdp_linker_forgotten(run->linker));
    if (status == 0)
        cdp_report_phase(&run->report, "written");
    return status;
}

/* Every file of the run replaced together, all or none (io/replace.h), so
 * that a retry after any failure is the same run again: never the journal
 * with this run's lines while the state is yesterday's. Standard output
 * first (it cannot be taken back), the journal before the state (a run
 * killed between the two renames repeats journal lines rather than lose
 * them). --resolve's ids files and order file are among them; --edges and --apply have
 * no graph, journal, state or links. */
static int commit(struct run *run, struct cdp_error *err)
{
    struct prefs *p = run->p;
    struct cdp_graph *g = cdp_linker_graph(run->linker);
    bool linked = p->mode == WHOLE || p->mode == RESOLVE;
    if (linked) {
        struct cdp_graph_counts c;
        cdp_graph_counts(g, &c);
        cdp_report_add(&run->report, "links", "links", c.links_used);
        cdp_report_add(&run->report, "refused", "refused", run->refused);
    }
    struct cdp_replace *files = cdp_replace_new();
    struct cdp_output *out = run->out, *links = run->links, *stats = NULL;
    struct cdp_output *rejects = run->rejects ? cdp_rejects_output(run->rejects) : NULL;
    run->out = run->links = NULL;
    run->rejects = NULL;
    int rc = out ? cdp_replace_add(files, out, err) : 0;
    for (size_t i = 0; run->ids_out && i < run->nfiles; i++) {
        struct cdp_output *ids = run->ids_out[i];
        run->ids_out[i] = NULL;
        if (rc == 0)
            rc = cdp_replace_add(files, ids, err);
        else
            cdp_output_abort(ids);
    }
    struct cdp_output *order = run->order_out;
    run->order_out = NULL;
    if (order && rc == 0)
        rc = cdp_replace_add(files, order, err);
    else
        cdp_output_abort(order);
    if (rc == 0 && links)
        rc = cdp_replace_add(files, links, err), links = NULL;
    if (rc == 0 && rejects)
        rc = cdp_replace_add(files, rejects, err), rejects = NULL;
    if (rc == 0 && p->io.stats) {
        struct cdp_buf extra = CDP_BUF_INIT;
        if (linked)
            cdp_linker_format_stats(run->linker, &extra);
        stats = cdp_report_stats_output(&run->report, p->io.stats, linked ? extra.data : NULL, err);
        cdp_buf_release(&extra);
        rc = stats ? cdp_replace_add(files, stats, err) : -1;
    }
    struct cdp_output *journal = NULL, *state = NULL;
    if (rc == 0 && p->journal)
        rc = (journal = cdp_journal_append_output(p->journal, run->journal.data, run->journal.len, err))
                 ? cdp_replace_add(files, journal, err) : -1;
    if (rc == 0 && p->state)
        rc = (state = cdp_idstate_save_output(run->ids, p->state, g, p->conflicts, p->nconflicts, err))
                 ? cdp_replace_add(files, state, err) : -1;
    if (rc == 0)
        rc = cdp_replace_commit(files, err);
    cdp_output_abort(links);
    cdp_output_abort(rejects);
    cdp_replace_free(files);
    if (rc == 0)
        cdp_report_phase(&run->report, "committed");
    return rc;
}

static int dedupe(struct prefs *p, int nfiles, char **files)
{
    struct run run;
    memset(&run, 0, sizeof run);
    run.p = p;
    cdp_report_init(&run.report, program.name);
    cdp_io_apply_report(&p->io, &run.report);
    cdp_report_add(&run.report, "read", "records read", 0);
    struct cdp_error err;
    int status = 0;
    if (start(&run, nfiles, files, &err) < 0 || link_records(&run, &err) < 0 ||
        write_records(&run, &err) < 0 || commit(&run, &err) < 0) {
        cdp_report_error(&run.report, "%s", err.msg);
        cdp_report_unwritten(&run.report, p->io.output, "written");
        status = 1;
    }
    cdp_report_summary(&run.report);
    cdp_output_abort(run.out);
    for (size_t i = 0; run.ids_out && i < run.nfiles; i++)
        cdp_output_abort(run.ids_out[i]);
    free(run.ids_out);
    cdp_output_abort(run.order_out);
    cdp_output_abort(run.links);
    cdp_rejects_abort(run.rejects);
    for (size_t i = 0; i < run.ninputs; i++)
        cdp_reread_release(&run.inputs[i]);
    free(run.inputs);
    cdp_linker_free(run.linker);
    cdp_idstate_free(run.ids);
    cdp_forgetlist_free(run.forgotten);
    cdp_buf_release(&run.journal);
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
