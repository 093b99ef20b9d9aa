/* cdp-dedupe: give every record the stable id of the person it belongs to. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "identity/matcher.h"
#include "identity/model.h"
#include "identity/graph.h"
#include "identity/idstate.h"
#include "base/intern.h"
#include "io/json.h"
#include "io/lines.h"
#include "identity/keys.h"
#include "io/reread.h"
#include "io/output.h"
#include "base/pmap.h"
#include "io/batch.h"
#include "io/reader.h"
#include "cli/report.h"
#include "io/source.h"

static const char *const prog = "cdp-dedupe";

static void usage(void)
{
    printf("Usage: %s [OPTION]... [FILE]...\n"
           "Add to every canonical record a person id, cdp_id: the same for all records of\n"
           "the same real person, across sources. With no FILE, or FILE '-', read stdin.\n"
           "\n"
           "  -k, --key SPEC            link by this key, strongest first (default:\n"
           "                            customer_id, card, email, phone, anon_id);\n"
           "                            composite keys join fields with '+', e.g.\n"
           "                            last_name+first_name+birth_date\n"
           "      --max-per-key KEY=N   a value shared by more than N distinct people is\n"
           "                            not used (default: customer_id and card 1, email\n"
           "                            and anon_id 3, phone 5, composite keys 10)\n"
           "      --block-value REGEX   values matching REGEX are never identifiers\n"
           "      --block-file FILE     nor are the values listed in FILE\n"
           "      --no-default-blocks   drop the built-in list (zeros, null, +79999999999...)\n"
           "      --conflict FIELD      groups that disagree on FIELD are never merged\n"
           "                            (always birth_date and gender; repeat to add)\n"
           "      --no-conflict         check no field at all\n"
           "  -m, --model FILE          also link person records without a shared key by\n"
           "                            the probabilistic model in FILE (see cdp-model(5))\n"
           "      --train               fit the model's m, u and prior to the input first\n"
           "                            (no labels needed)\n"
           "      --model-out FILE      write the (trained) model to FILE\n"
           "      --threshold P         link pairs with match probability >= P (default:\n"
           "                            the model's, 0.99 in the shipped models)\n"
           "      --seed N              the seed for training's random pairs (default 1)\n"
           "      --labels FILE         refine the model with pairs known to be one person\n"
           "                            (NDJSON: {\"a\":{_source,_rid},\"b\":{...},\"match\":true})\n"
           "      --state FILE          keep person ids stable across runs in FILE\n"
           "      --journal FILE        append to FILE the ids merged or split (with --state)\n"
           "      --links FILE          explain every link used and refused, as NDJSON\n"
           "      --rejects FILE        write input lines that are not records there\n"
           "  -o, --output FILE         write to FILE (atomically) instead of stdout\n"
           "  -z, --zstd                compress the output (also when FILE ends in .zst)\n"
           "      --zstd-level N        compression level 1-19 (default 1; implies -z)\n"
           "  -i, --input-format FMT    ndjson, csv or tsv (default: from the name or the\n"
           "                            content)\n"
           "  -d, --delimiter C         CSV delimiter (default: sniffed)\n"
           "      --encoding ENC        input encoding (default utf-8)\n"
           "      --stats FILE          write the counts and the values over the limit\n"
           "  -q, --quiet               no summary line on stderr\n"
           "      --progress            show progress on stderr\n"
           "      --help                show this help\n"
           "      --version             show the version\n"
           "\n"
           "See cdp-dedupe(1).\n",
           prog);
}

enum {
    OPT_MAX_PER_KEY = CDP_OPT_FIRST_PROGRAM_OPTION,
    OPT_BLOCK_VALUE,
    OPT_BLOCK_FILE,
    OPT_NO_DEFAULT_BLOCKS,
    OPT_CONFLICT,
    OPT_NO_CONFLICT,
    OPT_LINKS,
    OPT_REJECTS,
    OPT_STATE,
    OPT_JOURNAL,
    OPT_TRAIN,
    OPT_MODEL_OUT,
    OPT_THRESHOLD,
    OPT_SEED,
    OPT_LABELS,
};

static const struct option long_options[] = {
    { "key", required_argument, NULL, 'k' },
    { "max-per-key", required_argument, NULL, OPT_MAX_PER_KEY },
    { "block-value", required_argument, NULL, OPT_BLOCK_VALUE },
    { "block-file", required_argument, NULL, OPT_BLOCK_FILE },
    { "no-default-blocks", no_argument, NULL, OPT_NO_DEFAULT_BLOCKS },
    { "conflict", required_argument, NULL, OPT_CONFLICT },
    { "no-conflict", no_argument, NULL, OPT_NO_CONFLICT },
    { "links", required_argument, NULL, OPT_LINKS },
    { "model", required_argument, NULL, 'm' },
    { "train", no_argument, NULL, OPT_TRAIN },
    { "model-out", required_argument, NULL, OPT_MODEL_OUT },
    { "threshold", required_argument, NULL, OPT_THRESHOLD },
    { "seed", required_argument, NULL, OPT_SEED },
    { "labels", required_argument, NULL, OPT_LABELS },
    { "state", required_argument, NULL, OPT_STATE },
    { "journal", required_argument, NULL, OPT_JOURNAL },
    { "rejects", required_argument, NULL, OPT_REJECTS },
    CDP_IO_LONG_OPTIONS,
    { NULL, 0, NULL, 0 },
};

struct prefs {
    struct cdp_io_prefs io;
    struct cdp_keyset *keys;
    const char **limits;
    size_t nlimits;
    const char **conflicts;
    size_t nconflicts;
    bool no_conflict;
    bool no_default_blocks;
    const char *links;
    const char *rejects;
    const char *state;
    const char *journal;
    const char *model_path, *model_out;
    struct cdp_fsmodel *model;
    bool train;
    double threshold; /* < 0: the model's */
    long seed;
    const char *labels;
};

/* CDP_TIMING=1 prints how long each phase took, for performance work. */
static void phase(bool on, const char *name, struct timespec *last)
{
    if (!on)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    fprintf(stderr, "%s: %s %.2f s\n", prog, name,
            (double)(now.tv_sec - last->tv_sec) + (double)(now.tv_nsec - last->tv_nsec) / 1e9);
    *last = now;
}

static int parse_args(int argc, char **argv, struct prefs *p)
{
    struct cdp_error err;
    int c;
    while ((c = getopt_long(argc, argv, "k:m:" CDP_IO_SHORT_OPTIONS, long_options, NULL)) != -1) {
        switch (c) {
        case 'k':
            if (cdp_keyset_add(p->keys, optarg, &err) < 0)
                return cdp_usage_error(prog, "--key %s", err.msg);
            break;
        case OPT_MAX_PER_KEY:
            p->limits = cdp_xrealloc(p->limits, (p->nlimits + 1) * sizeof *p->limits);
            p->limits[p->nlimits++] = optarg;
            break;
        case OPT_BLOCK_VALUE:
            if (cdp_keyset_block_regex(p->keys, optarg, &err) < 0)
                return cdp_usage_error(prog, "--block-value: %s", err.msg);
            break;
        case OPT_BLOCK_FILE:
            if (cdp_keyset_block_file(p->keys, optarg, &err) < 0)
                return cdp_usage_error(prog, "--block-file: %s", err.msg);
            break;
        case OPT_NO_DEFAULT_BLOCKS:
            p->no_default_blocks = true;
            break;
        case OPT_CONFLICT:
            if (p->nconflicts >= 14)
                return cdp_usage_error(prog, "--conflict: at most 14 fields besides birth_date and gender");
            p->conflicts = cdp_xrealloc(p->conflicts, (p->nconflicts + 2) * sizeof *p->conflicts);
            p->conflicts[p->nconflicts++] = optarg;
            break;
        case OPT_NO_CONFLICT:
            p->no_conflict = true;
            break;
        case 'm':
            p->model_path = optarg;
            break;
        case OPT_TRAIN:
            p->train = true;
            break;
        case OPT_MODEL_OUT:
            p->model_out = optarg;
            break;
        case OPT_THRESHOLD: {
            char *end;
            p->threshold = strtod(optarg, &end);
            if (end == optarg || *end || !(p->threshold > 0 && p->threshold < 1))
                return cdp_usage_error(prog, "--threshold takes a probability between 0 and 1, not '%s'",
                                       optarg);
            break;
        }
        case OPT_LABELS:
            p->labels = optarg;
            break;
        case OPT_SEED:
            if (!cdp_parse_long(optarg, 0, 0x7fffffffL, &p->seed))
                return cdp_usage_error(prog, "--seed takes a number, not '%s'", optarg);
            break;
        case OPT_LINKS:
            p->links = optarg;
            break;
        case OPT_REJECTS:
            p->rejects = optarg;
            break;
        case OPT_STATE:
            p->state = optarg;
            break;
        case OPT_JOURNAL:
            p->journal = optarg;
            break;
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
    if (p->journal && !p->state)
        return cdp_usage_error(prog, "--journal needs --state (ids can only change between runs)");
    if ((p->train || p->model_out || p->threshold >= 0 || p->seed != 1 || p->labels) && !p->model_path)
        return cdp_usage_error(prog, "--train, --labels, --model-out, --threshold and --seed need --model");
    if (p->model_out) {
        size_t n = strlen(p->model_out);
        if ((n > 4 && strcmp(p->model_out + n - 4, ".zst") == 0) ||
            (n > 3 && strcmp(p->model_out + n - 3, ".gz") == 0))
            return cdp_usage_error(prog, "--model-out writes plain JSON: give it a name without .zst or .gz");
    }
    if (p->model_path) {
        p->model = cdp_fsmodel_load(p->model_path, &err);
        if (!p->model)
            return cdp_usage_error(prog, "%s", err.msg);
        if (p->threshold >= 0)
            p->model->threshold = p->threshold;
    }
    cdp_keyset_defaults(p->keys);
    if (!p->no_default_blocks)
        cdp_keyset_default_blocks(p->keys);
    for (size_t i = 0; i < p->nlimits; i++)
        if (cdp_keyset_limit(p->keys, p->limits[i], &err) < 0)
            return cdp_usage_error(prog, "--max-per-key %s", err.msg);
    if (p->no_conflict) {
        p->nconflicts = 0;
    } else {
        /* --conflict adds to the defaults: a birth date and a gender are
         * stable; two groups that disagree on either are two people (on
         * generated data gender alone turned 25 false merges per 20,000
         * persons into 4: family members sharing a phone, one with no birth
         * date). */
        static const char *const defaults[] = { "birth_date", "gender" };
        size_t nd = sizeof defaults / sizeof *defaults;
        p->conflicts = cdp_xrealloc(p->conflicts, (p->nconflicts + nd + 1) * sizeof *p->conflicts);
        memmove(p->conflicts + nd, p->conflicts, p->nconflicts * sizeof *p->conflicts);
        for (size_t i = 0; i < nd; i++)
            p->conflicts[i] = defaults[i];
        p->nconflicts += nd;
        for (size_t i = nd; i < p->nconflicts; i++)
            for (size_t j = 0; j < nd; j++)
                if (strcmp(p->conflicts[i], defaults[j]) == 0)
                    return cdp_usage_error(prog, "--conflict %s is checked by default", defaults[j]);
    }
    return 0;
}

/* What pass 1 learnt about each input row, in order. */
#define ROW_BAD (CDP_NO_NODE - 1)

struct run {
    struct prefs *p;
    struct cdp_report report;
    struct cdp_graph *graph;
    struct cdp_output *out, *links, *rejects;
    struct cdp_reread *inputs;
    size_t ninputs;
    uint32_t *row_node; /* per input row, in order: node, CDP_NO_NODE or ROW_BAD */
    size_t nrows, rows_cap;
    uint8_t *had_id;    /* bit per row: the record already had a cdp_id */
    struct cdp_idstate *ids;
    struct cdp_buf journal; /* this run's journal entries */
    uint64_t journal_entries;
    struct cdp_record rec;
    struct cdp_fstable *fstable; /* --model: the person records' values */
    uint32_t *fs_node;           /* table row -> graph node */
    size_t fs_cap;
    struct cdp_fspairs fs_links; /* the pairs linked, by tag */
};

static void add_row(struct run *run, uint32_t node, bool had_id)
{
    if (run->nrows == run->rows_cap) {
        size_t old = run->rows_cap;
        run->rows_cap = run->rows_cap ? run->rows_cap * 2 : 1 << 16;
        run->row_node = cdp_xrealloc(run->row_node, run->rows_cap * sizeof *run->row_node);
        run->had_id = cdp_xrealloc(run->had_id, run->rows_cap / 8);
        memset(run->had_id + old / 8, 0, (run->rows_cap - old) / 8);
    }
    if (had_id)
        run->had_id[run->nrows / 8] |= (uint8_t)(1u << (run->nrows % 8));
    run->row_node[run->nrows++] = node;
}

/* Pass 1 runs on every CPU: the reader splits lines (or parses CSV) in
 * order, workers parse the JSON and extract and hash the identifiers, and
 * this thread adds them to the graph in input order. */
#define READ_BATCH_ROWS 8192
#define READ_BATCH_BYTES ((size_t)2 << 20)

struct read_batch {
    struct cdp_batch rows;
    bool json;          /* rows are raw NDJSON lines to parse */
    const char *source; /* _source for records that have none */
    struct cdp_graph_items items;
    uint32_t *item_of_row; /* UINT32_MAX: a bad row */
    size_t item_cap;
    struct cdp_buf fsvals; /* --model: the model's fields of each person record */
    uint64_t *fs_off;      /* per item: offset in fsvals, UINT64_MAX for none */
    size_t fs_cap;
};

struct read_worker {
    const struct prefs *p;
    struct cdp_json_parser *json;
    struct cdp_record rec;
    struct cdp_record scratch; /* a record's attrs, for the model */
    struct cdp_buf pad;
};

static void read_work(void *ctx, void *batch)
{
    struct read_worker *w = ctx;
    struct read_batch *b = batch;
    cdp_graph_items_clear(&b->items);
    cdp_buf_reset(&b->fsvals);
    if (b->item_cap < b->rows.n) {
        b->item_cap = b->rows.n;
        b->item_of_row = cdp_xrealloc(b->item_of_row, b->item_cap * sizeof *b->item_of_row);
    }
    for (size_t i = 0; i < b->rows.n; i++) {
        const struct cdp_batch_row *row = &b->rows.rows[i];
        b->item_of_row[i] = UINT32_MAX;
        if (row->kind != CDP_READ_ROW)
            continue;
        const struct cdp_record *rec = &w->rec;
        struct cdp_record view;
        if (b->json) {
            struct cdp_error why;
            cdp_record_clear(&w->rec);
            if (cdp_json_parse_object(w->json, row->raw, row->rawlen, &w->rec, &why) != CDP_JSON_OK)
                continue; /* pass 2 parses it again for the message */
        } else {
            cdp_batch_record(&b->rows, i, &view);
            rec = &view;
        }
        b->item_of_row[i] = (uint32_t)b->items.n;
        cdp_graph_extract(w->p->keys, w->p->conflicts, w->p->nconflicts, rec, b->source,
                             row->number, &b->items);
        if (w->p->model) {
            size_t it = b->items.n - 1;
            if (b->fs_cap < b->items.n) {
                b->fs_cap = b->items.n * 2;
                b->fs_off = cdp_xrealloc(b->fs_off, b->fs_cap * sizeof *b->fs_off);
            }
            b->fs_off[it] = UINT64_MAX;
            if (b->items.v[it].person) {
                b->fs_off[it] = b->fsvals.len;
                cdp_fsmodel_extract(w->p->model, rec, w->json, &w->scratch, &w->pad, &b->fsvals);
            }
        }
    }
}

static void read_consume(struct run *run, struct read_batch *b)
{
    for (size_t i = 0; i < b->rows.n; i++) {
        uint32_t it = b->item_of_row[i];
        if (it == UINT32_MAX) {
            add_row(run, ROW_BAD, false);
            continue;
        }
        uint32_t node = cdp_graph_add_item(run->graph, &b->items, it);
        add_row(run, node, b->items.v[it].had_id);
        if (run->fstable && b->fs_off[it] != UINT64_MAX && node != CDP_NO_NODE) {
            uint32_t row;
            cdp_fstable_add_packed(run->fstable, b->fsvals.data + b->fs_off[it], &row);
            if (row >= run->fs_cap) {
                run->fs_cap = run->fs_cap ? run->fs_cap * 2 : 4096;
                run->fs_node = cdp_xrealloc(run->fs_node, run->fs_cap * sizeof *run->fs_node);
            }
            run->fs_node[row] = node;
        }
    }
    cdp_batch_clear(&b->rows);
}

struct reading {
    struct cdp_pmap *pmap;
    struct read_worker *workers;
    void **ctx;
    size_t nworkers;
    struct read_batch *batches;
    struct read_batch **spare;
    size_t nbatches, nspare;
};

static void reading_start(struct reading *rd, const struct prefs *p)
{
    size_t cpus = cdp_cpu_count();
    rd->nworkers = cpus > 1 ? cpus : 0;
    size_t nctx = rd->nworkers ? rd->nworkers : 1;
    rd->workers = cdp_xcalloc(nctx, sizeof *rd->workers);
    rd->ctx = cdp_xcalloc(nctx, sizeof *rd->ctx);
    for (size_t i = 0; i < nctx; i++) {
        rd->workers[i].p = p;
        rd->workers[i].json = cdp_json_parser_new();
        rd->workers[i].rec = (struct cdp_record)CDP_RECORD_INIT;
        rd->workers[i].scratch = (struct cdp_record)CDP_RECORD_INIT;
        rd->ctx[i] = &rd->workers[i];
    }
    rd->pmap = cdp_pmap_new(rd->nworkers, rd->ctx, read_work);
    if (!rd->pmap) /* no threads: do it all here */
        rd->pmap = cdp_pmap_new(0, rd->ctx, read_work);
    rd->nbatches = 2 * nctx + 2;
    rd->batches = cdp_xcalloc(rd->nbatches, sizeof *rd->batches);
    rd->spare = cdp_xcalloc(rd->nbatches, sizeof *rd->spare);
    for (size_t i = 0; i < rd->nbatches; i++)
        rd->spare[rd->nspare++] = &rd->batches[i];
}

static void reading_stop(struct reading *rd)
{
    cdp_pmap_free(rd->pmap);
    size_t nctx = rd->nworkers ? rd->nworkers : 1;
    for (size_t i = 0; i < nctx; i++) {
        cdp_json_parser_free(rd->workers[i].json);
        cdp_record_release(&rd->workers[i].rec);
        cdp_record_release(&rd->workers[i].scratch);
        cdp_buf_release(&rd->workers[i].pad);
    }
    for (size_t i = 0; i < rd->nbatches; i++) {
        cdp_batch_release(&rd->batches[i].rows);
        cdp_graph_items_release(&rd->batches[i].items);
        free(rd->batches[i].item_of_row);
        cdp_buf_release(&rd->batches[i].fsvals);
        free(rd->batches[i].fs_off);
    }
    free(rd->batches);
    free(rd->spare);
    free(rd->workers);
    free(rd->ctx);
}

static struct read_batch *reading_batch(struct run *run, struct reading *rd)
{
    struct read_batch *b;
    while ((b = cdp_pmap_take(rd->pmap, false)) != NULL) {
        read_consume(run, b);
        rd->spare[rd->nspare++] = b;
    }
    if (rd->nspare)
        return rd->spare[--rd->nspare];
    b = cdp_pmap_take(rd->pmap, true);
    read_consume(run, b);
    return b;
}

/* Pass 1 over one input: every record into the graph. */
static int read_graph(struct run *run, struct reading *rd, struct cdp_reread *in)
{
    struct cdp_error err;
    struct cdp_reader_options opt = run->p->io.in;
    opt.lines_only = true; /* NDJSON lines are parsed by the workers */
    struct cdp_reader *r = cdp_reader_open(in->path, &opt, &err);
    if (!r) {
        cdp_report_error(&run->report, "%s", err.msg);
        return 1;
    }
    bool json = cdp_reader_format(r) == CDP_FORMAT_NDJSON;
    struct cdp_row row;
    int status = 0;
    struct read_batch *b = reading_batch(run, rd);
    b->json = json;
    b->source = in->label;
    for (;;) {
        enum cdp_read k = cdp_reader_next(r, &run->rec, &row, &err);
        if (k == CDP_READ_END)
            break;
        if (k == CDP_READ_ERROR) {
            cdp_report_error(&run->report, "%s", err.msg);
            status = 1;
            break;
        }
        uint64_t n = cdp_report_add(&run->report, "read", "records read", 1);
        cdp_report_tick(&run->report, n, cdp_reader_bytes(r));
        cdp_batch_add(&b->rows, k, &run->rec, &row);
        if (b->rows.n >= READ_BATCH_ROWS || b->rows.bytes >= READ_BATCH_BYTES) {
            cdp_pmap_submit(rd->pmap, b);
            b = reading_batch(run, rd);
            b->json = json;
            b->source = in->label;
        }
    }
    if (b->rows.n)
        cdp_pmap_submit(rd->pmap, b);
    else
        rd->spare[rd->nspare++] = b;
    while ((b = cdp_pmap_take(rd->pmap, true)) != NULL) {
        read_consume(run, b);
        rd->spare[rd->nspare++] = b;
    }
    cdp_reader_close(r);
    return status;
}

static void add_record_ref(struct cdp_buf *b, const char *name, const struct cdp_graph *g,
                           uint32_t node)
{
    const char *s, *r;
    cdp_graph_node_record(g, node, &s, &r);
    cdp_buf_printf(b, ",\"%s\":{\"_source\":", name);
    cdp_json_add_string(b, s, strlen(s));
    cdp_buf_adds(b, ",\"_rid\":");
    cdp_json_add_string(b, r, strlen(r));
    cdp_buf_addc(b, '}');
}

static void on_link(void *ctx, const struct cdp_link *l)
{
    struct run *run = ctx;
    static const char *const kinds[] = { "used", "blocked", "over_limit", "conflict" };
    if (l->kind != CDP_LINK_USED)
        cdp_report_detail(&run->report, "refused", kinds[l->kind], 1);
    if (l->kind == CDP_LINK_OVER_LIMIT) {
        /* The values that would have glued people together, for --stats. */
        struct cdp_buf k = CDP_BUF_INIT;
        cdp_buf_printf(&k, "%s %.*s", l->key, (int)l->value_len, l->value);
        cdp_report_detail(&run->report, "over_limit_values", k.data, l->people);
        cdp_buf_release(&k);
    }
    if (!run->links)
        return;
    struct cdp_buf *b = cdp_output_buffer(run->links);
    cdp_buf_printf(b, "{\"link\":\"%s\",\"key\":", l->kind == CDP_LINK_USED ? "used" : "refused");
    cdp_json_add_string(b, l->key, strlen(l->key));
    cdp_buf_adds(b, ",\"value\":");
    cdp_json_add_string(b, l->value, l->value_len);
    if (l->kind != CDP_LINK_USED)
        cdp_buf_printf(b, ",\"reason\":\"%s\"", kinds[l->kind]);
    if (l->a != CDP_NO_NODE)
        add_record_ref(b, "a", run->graph, l->a);
    if (l->b != CDP_NO_NODE)
        add_record_ref(b, "b", run->graph, l->b);
    if (l->kind == CDP_LINK_OVER_LIMIT)
        cdp_buf_printf(b, ",\"people\":%llu,\"limit\":%u", (unsigned long long)l->people, l->limit);
    if (l->kind == CDP_LINK_BLOCKED)
        cdp_buf_printf(b, ",\"records\":%llu", (unsigned long long)l->people);
    if (run->fstable && strcmp(l->key, "model") == 0) {
        /* The "waterfall": what each comparison added to the match weight. */
        uint64_t pr = run->fs_links.v[l->pair];
        cdp_buf_adds(b, ",\"match\":");
        cdp_fs_explain(run->p->model, run->fstable, (uint32_t)(pr >> 32), (uint32_t)pr, b);
    }
    if (l->kind == CDP_LINK_CONFLICT) {
        cdp_buf_adds(b, ",\"field\":");
        cdp_json_add_string(b, l->field, strlen(l->field));
        cdp_buf_adds(b, ",\"values\":[");
        cdp_json_add_string(b, l->value_a, strlen(l->value_a));
        cdp_buf_addc(b, ',');
        cdp_json_add_string(b, l->value_b, strlen(l->value_b));
        cdp_buf_addc(b, ']');
    }
    cdp_buf_adds(b, "}\n");
    cdp_output_flush_some(run->links);
}

static bool blocked_value(void *ctx, const char *s, size_t len)
{
    return cdp_keyset_blocked(ctx, s, len);
}

/* The table row of a record reference {"_source":..,"_rid":..} in a labels
 * line, or UINT32_MAX. */
static uint32_t label_row(struct run *run, struct cdp_intern *rows, const struct cdp_field *f,
                          struct cdp_json_parser *json, struct cdp_record *ref, struct cdp_buf *tmp)
{
    if (!f || f->type != CDP_OBJECT)
        return UINT32_MAX;
    cdp_buf_reset(tmp);
    cdp_buf_add_padded(tmp, f->val, f->vlen);
    struct cdp_error why;
    cdp_record_clear(ref);
    if (cdp_json_parse_object(json, tmp->data, tmp->len, ref, &why) != CDP_JSON_OK)
        return UINT32_MAX;
    const struct cdp_field *s = cdp_record_gets(ref, "_source"), *r = cdp_record_gets(ref, "_rid");
    if (!s || !r)
        return UINT32_MAX;
    struct cdp_buf key = CDP_BUF_INIT;
    cdp_buf_add(&key, s->val, s->vlen);
    cdp_buf_addc(&key, '\x1f');
    cdp_buf_add(&key, r->val, r->vlen);
    uint32_t id = cdp_intern_find(rows, key.data, key.len);
    cdp_buf_release(&key);
    (void)run;
    return id;
}

/* --labels: pairs an analyst marked as one person (or not) refine m. */
static int refine_by_labels(struct run *run, struct cdp_error *err)
{
    /* (_source, _rid) of every row of the table, in row order */
    struct cdp_intern *rows = cdp_intern_new();
    size_t n = cdp_fstable_rows(run->fstable);
    struct cdp_buf key = CDP_BUF_INIT;
    for (uint32_t r = 0; r < n; r++) {
        const char *s, *rid;
        cdp_graph_node_record(run->graph, run->fs_node[r], &s, &rid);
        cdp_buf_reset(&key);
        cdp_buf_printf(&key, "%s\x1f%s", s, rid);
        cdp_intern_add(rows, key.data, key.len, NULL);
    }
    cdp_buf_release(&key);
    struct cdp_reader_options o = { .format = CDP_FORMAT_NDJSON };
    struct cdp_reader *rd = cdp_reader_open(run->p->labels, &o, err);
    if (!rd) {
        cdp_intern_free(rows);
        return -1;
    }
    struct cdp_json_parser *json = cdp_json_parser_new();
    struct cdp_record rec = CDP_RECORD_INIT, ref = CDP_RECORD_INIT;
    struct cdp_buf tmp = CDP_BUF_INIT;
    uint32_t *a = NULL, *b = NULL;
    size_t na = 0, cap = 0;
    uint64_t unknown = 0, non_matches = 0;
    int status = 0;
    struct cdp_row row;
    for (;;) {
        cdp_record_clear(&rec);
        enum cdp_read k = cdp_reader_next(rd, &rec, &row, err);
        if (k == CDP_READ_END)
            break;
        const struct cdp_field *match = k == CDP_READ_ROW ? cdp_record_gets(&rec, "match") : NULL;
        if (k == CDP_READ_ERROR || !match || (match->type != CDP_TRUE && match->type != CDP_FALSE)) {
            if (k != CDP_READ_ERROR)
                cdp_errorf(err, "%s:%llu: a label is {\"a\":{\"_source\":..,\"_rid\":..},\"b\":{..},\"match\":true|false}",
                           run->p->labels, (unsigned long long)row.line);
            status = -1;
            break;
        }
        uint32_t ra = label_row(run, rows, cdp_record_gets(&rec, "a"), json, &ref, &tmp);
        uint32_t rb = label_row(run, rows, cdp_record_gets(&rec, "b"), json, &ref, &tmp);
        if (ra == UINT32_MAX || rb == UINT32_MAX || ra == rb) {
            unknown++;
            continue;
        }
        if (match->type == CDP_FALSE) {
            non_matches++;
            continue;
        }
        if (na == cap) {
            cap = cap ? cap * 2 : 256;
            a = cdp_xrealloc(a, cap * sizeof *a);
            b = cdp_xrealloc(b, cap * sizeof *b);
        }
        a[na] = ra;
        b[na++] = rb;
    }
    if (status == 0) {
        cdp_fs_refine(run->p->model, run->fstable, a, b, na);
        cdp_report_detail(&run->report, "labels", "matches_used", na);
        cdp_report_detail(&run->report, "labels", "non_matches_not_used", non_matches);
        cdp_report_detail(&run->report, "labels", "records_not_in_input", unknown);
    }
    free(a);
    free(b);
    cdp_buf_release(&tmp);
    cdp_record_release(&rec);
    cdp_record_release(&ref);
    cdp_json_parser_free(json);
    cdp_reader_close(rd);
    cdp_intern_free(rows);
    return status;
}

/* --model: trains if asked, scores the candidate pairs among the person
 * records and hands those at or above the threshold to the graph, as links
 * weaker than any shared key value. */
static int link_by_model(struct run *run, struct cdp_error *err)
{
    struct prefs *p = run->p;
    struct cdp_fsmodel *m = p->model;
    if (p->train) {
        struct cdp_fs_train_report tr;
        cdp_fs_train(m, run->fstable, (uint64_t)p->seed, &tr);
        cdp_report_detail(&run->report, "model", "training_random_pairs", tr.random_pairs);
        cdp_report_detail(&run->report, "model", "training_expected_matches",
                          (uint64_t)(tr.expected_matches + 0.5));
    }
    if (p->labels && refine_by_labels(run, err) < 0)
        return -1;
    if (p->model_out) {
        struct cdp_output_options oo = { 0 };
        struct cdp_output *o = cdp_output_open(p->model_out, &oo, err);
        if (!o)
            return -1;
        cdp_fsmodel_write(m, cdp_output_buffer(o));
        if (cdp_output_commit(o, err) < 0)
            return -1;
    }
    m->prior = cdp_fsmodel_prior_for(m, cdp_fstable_rows(run->fstable));
    struct cdp_fs_block_stats st;
    memset(&st, 0, sizeof st);
    struct cdp_fspairs cand = { 0 };
    cdp_fs_block(m, run->fstable, -1, &cand, &st);
    double *w = cdp_xmalloc((cand.n + 1) * sizeof *w);
    double wt = cdp_fs_weight_of(m->threshold);
    cdp_fs_score(m, run->fstable, &cand, w, wt, cdp_cpu_count());
    for (size_t i = 0; i < cand.n; i++) {
        if (w[i] < wt)
            continue;
        uint32_t a = (uint32_t)(cand.v[i] >> 32), b = (uint32_t)cand.v[i];
        cdp_graph_add_pair(run->graph, run->fs_node[a], run->fs_node[b], w[i],
                              (uint32_t)run->fs_links.n);
        if (run->fs_links.n == run->fs_links.cap) {
            run->fs_links.cap = run->fs_links.cap ? run->fs_links.cap * 2 : 1024;
            run->fs_links.v = cdp_xrealloc(run->fs_links.v, run->fs_links.cap * sizeof *run->fs_links.v);
        }
        run->fs_links.v[run->fs_links.n++] = cand.v[i];
    }
    cdp_report_detail(&run->report, "model", "person_records", cdp_fstable_rows(run->fstable));
    cdp_report_detail(&run->report, "model", "candidate_pairs", st.candidates);
    cdp_report_detail(&run->report, "model", "pairs_over_threshold", run->fs_links.n);
    for (int r = 0; r < m->nrules; r++) {
        cdp_report_detail(&run->report, "blocking_pairs", m->rules[r].text, st.pairs_by_rule[r]);
        if (st.skipped_blocks[r])
            cdp_report_detail(&run->report, "blocks_too_large", m->rules[r].text, st.skipped_blocks[r]);
    }
    free(w);
    cdp_fspairs_release(&cand);
    return 0;
}

static void on_journal(void *ctx, const struct cdp_journal_entry *e)
{
    struct run *run = ctx;
    struct cdp_buf *b = &run->journal;
    cdp_buf_printf(b, "{\"run\":%llu,\"from\":\"%s\",\"to\":\"%s\",\"reason\":\"%s\"",
                   (unsigned long long)cdp_idstate_run(run->ids), e->from, e->to, e->reason);
    if (e->key) {
        cdp_buf_adds(b, ",\"key\":");
        cdp_json_add_string(b, e->key, strlen(e->key));
        cdp_buf_adds(b, ",\"value\":");
        cdp_json_add_string(b, e->value, strlen(e->value));
    }
    cdp_buf_adds(b, "}\n");
    run->journal_entries++;
    cdp_report_detail(&run->report, "ids", e->reason, 1);
}

/* The journal grows run after run: yesterday's entries, then today's. */
static int write_journal(struct run *run, struct cdp_error *err)
{
    struct cdp_output *o = cdp_output_open(run->p->journal, NULL, err);
    if (!o)
        return -1;
    if (access(run->p->journal, F_OK) == 0) {
        /* Read back decompressed: the output compresses again by its name. */
        struct cdp_source *old = cdp_source_open(run->p->journal, NULL, err);
        if (!old) {
            cdp_output_abort(o);
            return -1;
        }
        char buf[65536];
        ssize_t n;
        while ((n = cdp_source_read(old, buf, sizeof buf, err)) > 0)
            cdp_output_write(o, buf, (size_t)n);
        cdp_source_close(old);
        if (n < 0) {
            cdp_output_abort(o);
            return -1;
        }
    }
    cdp_output_write(o, run->journal.data ? run->journal.data : "", run->journal.len);
    return cdp_output_commit(o, err);
}

/* Appends the record with its cdp_id: the line as it was, with the id added
 * before the closing brace; or, given rec (CSV input, or a record that had a
 * cdp_id to replace), the record written anew. */
static void write_record(struct cdp_buf *b, const struct cdp_record *rec, const struct cdp_row *row,
                         const char *id)
{
    const char *p = row->raw;
    size_t n = row->rawlen;
    if (!rec) {
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
            n--;
        n--; /* the closing brace */
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        cdp_buf_add(b, p, n);
        if (n > 1)
            cdp_buf_addc(b, ',');
    } else {
        cdp_buf_addc(b, '{');
        bool first = true;
        for (size_t i = 0; i < rec->n; i++) {
            const struct cdp_field *f = &rec->f[i];
            if (f->klen == 6 && memcmp(f->key, "cdp_id", 6) == 0)
                continue;
            if (!first)
                cdp_buf_addc(b, ',');
            first = false;
            cdp_json_add_string(b, f->key, f->klen);
            cdp_buf_addc(b, ':');
            cdp_json_add_value(b, f->val, f->vlen, f->type);
        }
        if (!first)
            cdp_buf_addc(b, ',');
    }
    cdp_buf_adds(b, "\"cdp_id\":");
    if (id) {
        cdp_buf_addc(b, '"');
        cdp_buf_adds(b, id);
        cdp_buf_addc(b, '"');
    } else {
        cdp_buf_adds(b, "null");
    }
    cdp_buf_adds(b, "}\n");
}

/* Pass 2 over one input: every record again, with its id. */
static int write_output(struct run *run, const struct cdp_reread *in, size_t *row_index)
{
    struct cdp_error err;
    /* NDJSON lines are copied, not parsed again: pass 1 knows which are bad
     * and which carry an old cdp_id (those few are parsed here). */
    struct cdp_reader_options opt = run->p->io.in;
    opt.lines_only = true;
    struct cdp_reader *r = cdp_reader_open(in->path, &opt, &err);
    if (!r) {
        cdp_report_error(&run->report, "%s", err.msg);
        return 1;
    }
    bool ndjson = cdp_reader_format(r) == CDP_FORMAT_NDJSON;
    const char *file = in->label;
    struct cdp_json_parser *json = cdp_json_parser_new();
    struct cdp_row row;
    int status = 0;
    for (;;) {
        enum cdp_read k = cdp_reader_next(r, &run->rec, &row, &err);
        if (k == CDP_READ_END)
            break;
        if (k == CDP_READ_ERROR || *row_index >= run->nrows) {
            cdp_report_error(&run->report, "%s", k == CDP_READ_ERROR ? err.msg
                                                 : "input changed between the two passes");
            status = 1;
            break;
        }
        size_t ri = (*row_index)++;
        uint32_t node = run->row_node[ri];
        bool reparse = ndjson && (node == ROW_BAD || (run->had_id[ri / 8] >> (ri % 8) & 1));
        if (reparse) {
            struct cdp_error why;
            cdp_record_clear(&run->rec);
            enum cdp_json_status st =
                cdp_json_parse_object(json, row.raw, row.rawlen, &run->rec, &why);
            if (st != CDP_JSON_OK) {
                k = CDP_READ_BAD;
                snprintf(row.reason, sizeof row.reason, "%.200s", why.msg);
                row.code = st == CDP_JSON_NOT_OBJECT ? "not_object"
                         : st == CDP_JSON_BAD_UTF8   ? "invalid_utf8"
                                                     : "invalid_json";
            }
        }
        if (k == CDP_READ_BAD || node == ROW_BAD) {
            cdp_report_add(&run->report, "rejected", "rejected", 1);
            cdp_report_detail(&run->report, "rejected_by_reason", row.code ? row.code : "bad", 1);
            cdp_report_data(&run->report, file, row.line, "%s; line rejected", row.reason);
            if (run->rejects) {
                struct cdp_buf *b = cdp_output_buffer(run->rejects);
                cdp_buf_adds(b, "{\"file\":");
                cdp_json_add_string(b, file, strlen(file));
                cdp_buf_printf(b, ",\"line\":%llu,\"code\":", (unsigned long long)row.line);
                cdp_json_add_string(b, row.code ? row.code : "bad", strlen(row.code ? row.code : "bad"));
                cdp_buf_adds(b, ",\"reason\":");
                cdp_json_add_string(b, row.reason, strlen(row.reason));
                cdp_buf_adds(b, ",\"raw\":");
                cdp_json_add_string_lossy(b, row.raw, row.rawlen);
                cdp_buf_adds(b, "}\n");
                cdp_output_flush_some(run->rejects);
            }
            continue;
        }
        uint32_t group = cdp_graph_group(run->graph, node);
        write_record(cdp_output_buffer(run->out), ndjson && !reparse ? NULL : &run->rec, &row,
                     group == CDP_NO_NODE ? NULL : cdp_idstate_group_id(run->ids, group));
        cdp_report_add(&run->report, "written", "written", 1);
        if (cdp_output_flush_some(run->out) < 0)
            break;
    }
    cdp_reader_close(r);
    cdp_json_parser_free(json);
    return status;
}

int main(int argc, char **argv)
{
    argv[0] = (char *)prog; /* getopt names the program in its messages */
    struct prefs p;
    memset(&p, 0, sizeof p);
    cdp_io_prefs_init(&p.io);
    p.keys = cdp_keyset_new();
    p.threshold = -1;
    p.seed = 1;
    int status = parse_args(argc, argv, &p);
    if (status || p.io.help || p.io.version) {
        if (!status && p.io.help)
            usage();
        else if (!status)
            cdp_print_version(prog);
        cdp_keyset_free(p.keys);
        cdp_fsmodel_free(p.model);
        free(p.limits);
        free(p.conflicts);
        return status;
    }
    signal(SIGPIPE, SIG_IGN);

    struct run run;
    memset(&run, 0, sizeof run);
    run.p = &p;
    run.rec = (struct cdp_record)CDP_RECORD_INIT;
    cdp_report_init(&run.report, prog);
    cdp_io_apply_report(&p.io, &run.report);
    cdp_report_add(&run.report, "read", "records read", 0);
    struct cdp_error err;
    status = 1;

    if (!p.io.in.format)
        p.io.in.format = CDP_FORMAT_AUTO;
    run.ninputs = optind < argc ? (size_t)(argc - optind) : 1;
    run.inputs = cdp_xcalloc(run.ninputs, sizeof *run.inputs);
    for (size_t i = 0; i < run.ninputs; i++) {
        cdp_reread_init(&run.inputs[i], optind < argc ? argv[optind + (int)i] : "-");
        if (cdp_reread_spool(&run.inputs[i], &err) < 0) {
            cdp_report_error(&run.report, "%s", err.msg);
            goto done;
        }
    }
    bool timing = getenv("CDP_TIMING") != NULL;
    struct timespec clock;
    clock_gettime(CLOCK_MONOTONIC, &clock);
    run.ids = cdp_idstate_new();
    if (p.state && cdp_idstate_lock(run.ids, p.state, &err) < 0) {
        cdp_report_error(&run.report, "%s", err.msg);
        goto done;
    }
    run.graph = cdp_graph_new(p.keys, p.conflicts, p.nconflicts);
    if (p.model) {
        run.fstable = cdp_fstable_new(p.model);
        cdp_fstable_set_skip(run.fstable, blocked_value, p.keys);
    }
    struct reading rd;
    memset(&rd, 0, sizeof rd);
    reading_start(&rd, &p);
    for (size_t i = 0; i < run.ninputs; i++)
        if (read_graph(&run, &rd, &run.inputs[i])) {
            reading_stop(&rd);
            goto done;
        }
    reading_stop(&rd);
    phase(timing, "read", &clock);
    if (p.state && cdp_idstate_load(run.ids, p.state, run.graph, p.conflicts, p.nconflicts, &err) < 0) {
        cdp_report_error(&run.report, "%s", err.msg);
        goto done;
    }
    phase(timing, "state loaded", &clock);
    if (p.model) {
        if (link_by_model(&run, &err) < 0) {
            cdp_report_error(&run.report, "%s", err.msg);
            goto done;
        }
        phase(timing, "model", &clock);
    }

    if (p.links && !(run.links = cdp_output_open(p.links, NULL, &err))) {
        cdp_report_error(&run.report, "%s", err.msg);
        goto done;
    }
    cdp_graph_resolve(run.graph, on_link, &run);
    phase(timing, "resolved", &clock);
    cdp_idstate_assign(run.ids, run.graph, on_journal, &run);
    phase(timing, "ids", &clock);

    run.out = cdp_output_open(p.io.output, &p.io.out, &err);
    if (!run.out) {
        cdp_report_error(&run.report, "%s", err.msg);
        goto done;
    }
    if (p.rejects && !(run.rejects = cdp_output_open(p.rejects, NULL, &err))) {
        cdp_report_error(&run.report, "%s", err.msg);
        goto done;
    }
    cdp_report_add(&run.report, "persons", "persons", cdp_graph_groups(run.graph));
    cdp_report_add(&run.report, "written", "written", 0);
    cdp_report_add(&run.report, "rejected", "rejected", 0);
    size_t row_index = 0;
    for (size_t i = 0; i < run.ninputs; i++)
        if (write_output(&run, &run.inputs[i], &row_index))
            goto done;

    phase(timing, "written", &clock);
    /* The side files, the journal and the state first; the output last, so
     * that a failure before it leaves yesterday's output in place. */
    if (p.journal && write_journal(&run, &err) < 0) {
        cdp_report_error(&run.report, "%s", err.msg);
        goto done;
    }
    if (p.state && cdp_idstate_save(run.ids, p.state, run.graph, p.conflicts, p.nconflicts, &err) < 0) {
        cdp_report_error(&run.report, "%s", err.msg);
        goto done;
    }
    struct cdp_output **outs[] = { &run.links, &run.rejects, &run.out };
    for (size_t i = 0; i < 3; i++) {
        if (!*outs[i])
            continue;
        int r = cdp_output_commit(*outs[i], &err);
        *outs[i] = NULL;
        if (r < 0) {
            cdp_report_error(&run.report, "%s", err.msg);
            goto done;
        }
    }
    struct cdp_graph_counts c;
    cdp_graph_counts(run.graph, &c);
    cdp_report_add(&run.report, "links", "links", c.links_used);
    cdp_report_add(&run.report, "refused", "refused",
                   c.blocked_values + c.over_limit_values + c.links_conflict);
    if (p.io.stats) {
        struct cdp_buf extra = CDP_BUF_INIT;
        cdp_buf_printf(&extra,
                       "\"graph\":{\"person_records\":%llu,\"event_records\":%llu,"
                       "\"anonymous_events\":%llu,\"nodes\":%llu,\"values\":%llu,"
                       "\"rounds\":%llu}",
                       (unsigned long long)c.persons, (unsigned long long)c.events,
                       (unsigned long long)c.anonymous_events, (unsigned long long)c.nodes,
                       (unsigned long long)c.values, (unsigned long long)c.rounds);
        int r = cdp_report_write_stats(&run.report, p.io.stats, extra.data, &err);
        cdp_buf_release(&extra);
        if (r < 0) {
            cdp_report_error(&run.report, "%s", err.msg);
            goto done;
        }
    }
    phase(timing, "committed", &clock);
    status = 0;
done:
    cdp_report_summary(&run.report);
    cdp_output_abort(run.out);
    cdp_output_abort(run.links);
    cdp_output_abort(run.rejects);
    for (size_t i = 0; i < run.ninputs; i++)
        cdp_reread_release(&run.inputs[i]);
    free(run.inputs);
    free(run.row_node);
    free(run.had_id);
    cdp_idstate_free(run.ids);
    cdp_buf_release(&run.journal);
    cdp_graph_free(run.graph);
    cdp_fstable_free(run.fstable);
    free(run.fs_node);
    cdp_fspairs_release(&run.fs_links);
    cdp_fsmodel_free(p.model);
    cdp_record_release(&run.rec);
    cdp_report_release(&run.report);
    cdp_keyset_free(p.keys);
    free(p.limits);
    free(p.conflicts);
    return status;
}
