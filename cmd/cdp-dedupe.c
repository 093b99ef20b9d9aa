/* cdp-dedupe: give every record the stable id of the person it belongs to. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "identity.h"
#include "idstate.h"
#include "json.h"
#include "keys.h"
#include "output.h"
#include "reader.h"
#include "report.h"
#include "source.h"

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
           "      --state FILE          keep person ids stable across runs in FILE\n"
           "      --journal FILE        append to FILE the ids merged or split (with --state)\n"
           "      --links FILE          explain every link used and refused, as NDJSON\n"
           "      --rejects FILE        write input lines that are not records there\n"
           "  -o, --output FILE         write to FILE (atomically) instead of stdout\n"
           "  -z, --zstd                compress the output (also when FILE ends in .zst)\n"
           "      --zstd-level N        compression level 1-19 (implies -z)\n"
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
};

static int parse_args(int argc, char **argv, struct prefs *p)
{
    struct cdp_error err;
    int c;
    while ((c = getopt_long(argc, argv, "k:" CDP_IO_SHORT_OPTIONS, long_options, NULL)) != -1) {
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

struct input {
    const char *path;  /* what is read: the file, or its spool */
    const char *label; /* for messages: as given, "(stdin)" for - */
    char spool_path[64];
    int spool_fd;
};

/* Inputs are read twice. One that cannot be read again (stdin, a pipe, a
 * process substitution) is first copied, as its raw bytes, to a temporary
 * file: zstd-compressed unless it already is compressed. Both passes then
 * read the same bytes through the same decoding. */
static int spool_input(struct input *in, struct cdp_error *err)
{
    struct stat st;
    bool is_stdin = strcmp(in->path, "-") == 0;
    if (!is_stdin && stat(in->path, &st) == 0 && S_ISREG(st.st_mode))
        return 0;
    int fd = is_stdin ? STDIN_FILENO : open(in->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cdp_errorf_errno(err, errno, "cannot open '%s'", in->path);
    char *buf = cdp_xmalloc(1 << 20);
    ssize_t n = read(fd, buf, 1 << 20);
    bool compressed = n >= 4 && ((unsigned char)buf[0] == 0x28 || (unsigned char)buf[0] == 0x1F);
    struct cdp_output_options so = { !compressed, 1, 0 };
    struct cdp_output *spool = cdp_output_open_spool(&so, err);
    int rc = -1;
    if (!spool)
        goto done;
    while (n > 0) {
        cdp_output_write(spool, buf, (size_t)n);
        n = read(fd, buf, 1 << 20);
        if (n < 0 && errno == EINTR)
            n = 1, n = read(fd, buf, 1 << 20);
    }
    if (n < 0) {
        cdp_errorf_errno(err, errno, "%s: read error", in->label);
        cdp_output_abort(spool);
        goto done;
    }
    in->spool_fd = cdp_output_finish_spool(spool, err);
    if (in->spool_fd < 0)
        goto done;
    snprintf(in->spool_path, sizeof in->spool_path, "/proc/self/fd/%d", in->spool_fd);
    in->path = in->spool_path;
    rc = 0;
done:
    free(buf);
    if (!is_stdin)
        close(fd);
    return rc;
}

struct run {
    struct prefs *p;
    struct cdp_report report;
    struct cdp_identity *graph;
    struct cdp_output *out, *links, *rejects;
    struct input *inputs;
    size_t ninputs;
    uint32_t *row_node; /* per input row, in order: node, CDP_NO_NODE or ROW_BAD */
    size_t nrows, rows_cap;
    struct cdp_idstate *ids;
    struct cdp_buf journal; /* this run's journal entries */
    uint64_t journal_entries;
    struct cdp_record rec;
};

static void add_row(struct run *run, uint32_t node)
{
    if (run->nrows == run->rows_cap) {
        run->rows_cap = run->rows_cap ? run->rows_cap * 2 : 1 << 16;
        run->row_node = cdp_xrealloc(run->row_node, run->rows_cap * sizeof *run->row_node);
    }
    run->row_node[run->nrows++] = node;
}

static bool field_is(const struct cdp_record *r, const char *key, const char *want)
{
    const struct cdp_field *f = cdp_record_gets(r, key);
    return f && f->type == CDP_STRING && f->vlen == strlen(want) && memcmp(f->val, want, f->vlen) == 0;
}

/* Pass 1 over one input: every record into the graph. */
static int read_graph(struct run *run, struct input *in)
{
    struct cdp_error err;
    struct cdp_reader *r = cdp_reader_open(in->path, &run->p->io.in, &err);
    if (!r) {
        cdp_report_error(&run->report, "%s", err.msg);
        return 1;
    }
    const char *file = in->label;
    struct cdp_row row;
    char rid_buf[32];
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
        uint64_t n = cdp_report_add(&run->report, "read", "records read", 1);
        cdp_report_tick(&run->report, n, cdp_reader_bytes(r));
        if (k == CDP_READ_BAD) {
            add_row(run, ROW_BAD);
            continue;
        }
        const struct cdp_field *src = cdp_record_gets(&run->rec, "_source");
        const struct cdp_field *rid = cdp_record_gets(&run->rec, "_rid");
        const char *s = src && src->type == CDP_STRING ? src->val : file;
        size_t slen = src && src->type == CDP_STRING ? src->vlen : strlen(file);
        const char *ri = rid ? rid->val : rid_buf;
        size_t rlen = rid ? rid->vlen : 0;
        if (!rid)
            rlen = (size_t)snprintf(rid_buf, sizeof rid_buf, "%llu", (unsigned long long)row.number);
        /* A person record unless it says it is an event (or looks like one). */
        bool person = cdp_record_gets(&run->rec, "_kind")
                          ? field_is(&run->rec, "_kind", "person")
                          : !cdp_record_gets(&run->rec, "event");
        add_row(run, cdp_identity_add_record(run->graph, &run->rec, person, s, slen, ri, rlen));
    }
    cdp_reader_close(r);
    return status;
}

static void add_record_ref(struct cdp_buf *b, const char *name, const struct cdp_identity *g,
                           uint32_t node)
{
    const char *s, *r;
    cdp_identity_node_record(g, node, &s, &r);
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
 * before the closing brace (an old cdp_id is replaced). */
static void write_record(struct cdp_buf *b, const struct cdp_record *rec, const struct cdp_row *row,
                         bool ndjson, const char *id)
{
    const char *p = row->raw;
    size_t n = row->rawlen;
    bool had_id = cdp_record_gets(rec, "cdp_id") != NULL;
    if (ndjson && !had_id) {
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
static int write_output(struct run *run, const struct input *in, size_t *row_index)
{
    struct cdp_error err;
    struct cdp_reader *r = cdp_reader_open(in->path, &run->p->io.in, &err);
    if (!r) {
        cdp_report_error(&run->report, "%s", err.msg);
        return 1;
    }
    bool ndjson = cdp_reader_format(r) == CDP_FORMAT_NDJSON;
    const char *file = in->label;
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
        uint32_t node = run->row_node[(*row_index)++];
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
        uint32_t group = cdp_identity_group(run->graph, node);
        write_record(cdp_output_buffer(run->out), &run->rec, &row, ndjson,
                     group == CDP_NO_NODE ? NULL : cdp_idstate_group_id(run->ids, group));
        cdp_report_add(&run->report, "written", "written", 1);
        if (cdp_output_flush_some(run->out) < 0)
            break;
    }
    cdp_reader_close(r);
    return status;
}

int main(int argc, char **argv)
{
    argv[0] = (char *)prog; /* getopt names the program in its messages */
    struct prefs p;
    memset(&p, 0, sizeof p);
    cdp_io_prefs_init(&p.io);
    p.keys = cdp_keyset_new();
    int status = parse_args(argc, argv, &p);
    if (status || p.io.help || p.io.version) {
        if (!status && p.io.help)
            usage();
        else if (!status)
            cdp_print_version(prog);
        cdp_keyset_free(p.keys);
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
        run.inputs[i].path = optind < argc ? argv[optind + (int)i] : "-";
        run.inputs[i].label = strcmp(run.inputs[i].path, "-") == 0 ? "(stdin)" : run.inputs[i].path;
        run.inputs[i].spool_fd = -1;
        if (spool_input(&run.inputs[i], &err) < 0) {
            cdp_report_error(&run.report, "%s", err.msg);
            goto done;
        }
    }
    run.ids = cdp_idstate_new();
    if (p.state && cdp_idstate_lock(run.ids, p.state, &err) < 0) {
        cdp_report_error(&run.report, "%s", err.msg);
        goto done;
    }
    run.graph = cdp_identity_new(p.keys, p.conflicts, p.nconflicts);
    for (size_t i = 0; i < run.ninputs; i++)
        if (read_graph(&run, &run.inputs[i]))
            goto done;
    if (p.state && cdp_idstate_load(run.ids, p.state, run.graph, p.conflicts, p.nconflicts, &err) < 0) {
        cdp_report_error(&run.report, "%s", err.msg);
        goto done;
    }

    if (p.links && !(run.links = cdp_output_open(p.links, NULL, &err))) {
        cdp_report_error(&run.report, "%s", err.msg);
        goto done;
    }
    cdp_identity_resolve(run.graph, on_link, &run);
    cdp_idstate_assign(run.ids, run.graph, on_journal, &run);

    run.out = cdp_output_open(p.io.output, &p.io.out, &err);
    if (!run.out) {
        cdp_report_error(&run.report, "%s", err.msg);
        goto done;
    }
    if (p.rejects && !(run.rejects = cdp_output_open(p.rejects, NULL, &err))) {
        cdp_report_error(&run.report, "%s", err.msg);
        goto done;
    }
    cdp_report_add(&run.report, "persons", "persons", cdp_identity_groups(run.graph));
    cdp_report_add(&run.report, "written", "written", 0);
    cdp_report_add(&run.report, "rejected", "rejected", 0);
    size_t row_index = 0;
    for (size_t i = 0; i < run.ninputs; i++)
        if (write_output(&run, &run.inputs[i], &row_index))
            goto done;

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
    struct cdp_identity_counts c;
    cdp_identity_counts(run.graph, &c);
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
    status = 0;
done:
    cdp_report_summary(&run.report);
    cdp_output_abort(run.out);
    cdp_output_abort(run.links);
    cdp_output_abort(run.rejects);
    for (size_t i = 0; i < run.ninputs; i++)
        if (run.inputs[i].spool_fd >= 0)
            close(run.inputs[i].spool_fd);
    free(run.inputs);
    free(run.row_node);
    cdp_idstate_free(run.ids);
    cdp_buf_release(&run.journal);
    cdp_identity_free(run.graph);
    cdp_record_release(&run.rec);
    cdp_report_release(&run.report);
    cdp_keyset_free(p.keys);
    free(p.limits);
    free(p.conflicts);
    return status;
}
