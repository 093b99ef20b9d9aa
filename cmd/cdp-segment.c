/* cdp-segment: audiences by rules (jq expressions) over the profiles, with
 * control groups and entered/exited deltas. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "norm/date.h"
#include "io/reread.h"
#include "base/intern.h"
#include "rules/jq.h"
#include "io/json.h"
#include "io/lines.h"
#include "segment/membership.h"
#include "io/output.h"
#include "base/pmap.h"
#include "segment/population.h"
#include "io/reader.h"
#include "cli/report.h"
#include "rules/ruleset.h"

static const char *const prog = "cdp-segment";

static void usage(void)
{
    printf("Usage: %s [OPTION]... [FILE]...\n"
           "Put each profile (from cdp-merge) in the segments whose rules (jq expressions)\n"
           "it meets: adds \"segments\", the sorted names. With no FILE, or FILE '-', read\n"
           "stdin.\n"
           "\n"
           "  -s, --segment NAME=JQ     a segment: profiles for which JQ is true\n"
           "      --segments FILE       segments from a rule file (see cdp-segment(1))\n"
           "      --use NAME,...        ready rules from the library: rfm, lapsed,\n"
           "                            birthday, cart, category, vip\n"
           "      --arg NAME VALUE      $NAME as a string in every rule\n"
           "      --argjson NAME JSON   $NAME as a JSON value in every rule\n"
           "      --as-of DATE          today for the rules ($as_of; default: today)\n"
           "      --holdout PCT         keep PCT%% of each segment out as a control group\n"
           "      --salt TEXT           vary the holdout draw (default \"cdp\")\n"
           "      --previous FILE       the last run's output: add \"entered\", \"exited\"\n"
           "      --journal FILE        cdp-dedupe's journal: follow merged ids\n"
           "      --report FILE         write per-segment counts as JSON\n"
           "      --history FILE        append the same counts as one line\n"
           "      --split DIR           write each segment's members to DIR/NAME.ndjson\n"
           "      --threads N           worker threads (default: one per CPU; 0: none)\n"
           "      --rejects FILE        write input lines that are not profiles there\n"
           "  -o, --output FILE         write to FILE (atomically) instead of stdout\n"
           "  -z, --zstd                compress the output (also when FILE ends in .zst)\n"
           "      --zstd-level N        compression level 1-19 (default 1; implies -z)\n"
           "      --encoding ENC        input encoding (default utf-8)\n"
           "      --stats FILE          write the counts as JSON\n"
           "  -q, --quiet               no summary line on stderr\n"
           "      --progress            show progress on stderr\n"
           "      --help                show this help\n"
           "      --version             show the version\n"
           "\n"
           "See cdp-segment(1).\n",
           prog);
}

enum {
    OPT_SEGMENTS = CDP_OPT_FIRST_PROGRAM_OPTION,
    OPT_USE,
    OPT_ARG,
    OPT_ARGJSON,
    OPT_AS_OF,
    OPT_HOLDOUT,
    OPT_SALT,
    OPT_PREVIOUS,
    OPT_JOURNAL,
    OPT_REPORT,
    OPT_HISTORY,
    OPT_SPLIT,
    OPT_THREADS,
    OPT_REJECTS,
};

static const struct option long_options[] = {
    { "segment", required_argument, NULL, 's' },
    { "segments", required_argument, NULL, OPT_SEGMENTS },
    { "use", required_argument, NULL, OPT_USE },
    { "arg", required_argument, NULL, OPT_ARG },
    { "argjson", required_argument, NULL, OPT_ARGJSON },
    { "as-of", required_argument, NULL, OPT_AS_OF },
    { "holdout", required_argument, NULL, OPT_HOLDOUT },
    { "salt", required_argument, NULL, OPT_SALT },
    { "previous", required_argument, NULL, OPT_PREVIOUS },
    { "journal", required_argument, NULL, OPT_JOURNAL },
    { "report", required_argument, NULL, OPT_REPORT },
    { "history", required_argument, NULL, OPT_HISTORY },
    { "split", required_argument, NULL, OPT_SPLIT },
    { "threads", required_argument, NULL, OPT_THREADS },
    { "rejects", required_argument, NULL, OPT_REJECTS },
    CDP_IO_LONG_OPTIONS,
    { NULL, 0, NULL, 0 },
};

struct prefs {
    struct cdp_io_prefs io;
    struct cdp_ruleset rules;
    struct cdp_jq_vars args; /* --arg, --argjson */
    int64_t as_of_day;
    double holdout; /* percent; 0: none */
    const char *salt;
    const char *previous, *journal, *report, *history, *split, *rejects;
    long threads;
};

/* The library folder: $CDP_SHARE/segments, else next to the program
 * (PREFIX/bin/../share/cdp, or the source tree's build/bin/../../share/cdp),
 * else where make install puts it. */
static int library_file(const char *name, struct cdp_buf *path)
{
    const char *env = getenv("CDP_SHARE");
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char dirs[4][PATH_MAX + 32];
    int nd = 0;
    if (env && *env)
        snprintf(dirs[nd++], sizeof dirs[0], "%s", env);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(dirs[nd++], sizeof dirs[0], "%s/../share/cdp", exe);
            snprintf(dirs[nd++], sizeof dirs[0], "%s/../../share/cdp", exe);
        }
    }
#ifdef CDP_SHARE_DIR
    snprintf(dirs[nd++], sizeof dirs[0], "%s", CDP_SHARE_DIR);
#endif
    for (int i = 0; i < nd; i++) {
        cdp_buf_reset(path);
        cdp_buf_printf(path, "%s/segments/%s.rules", dirs[i], name);
        if (access(path->data, R_OK) == 0)
            return 0;
        if (env && *env && i == 0)
            break; /* $CDP_SHARE is where the user said it is */
    }
    return -1;
}

static int add_library(struct prefs *p, const char *list, struct cdp_error *err)
{
    char *copy = cdp_xstrdup(list), *save = NULL;
    int k = 0;
    struct cdp_buf path = CDP_BUF_INIT;
    for (char *name = strtok_r(copy, ",", &save); name && k == 0; name = strtok_r(NULL, ",", &save)) {
        if (!cdp_segment_name_valid(name, strlen(name)) || library_file(name, &path) < 0)
            k = cdp_errorf(err, "--use: no rule library '%s' (rfm, lapsed, birthday, cart, category, vip)",
                           name);
        else
            k = cdp_ruleset_add_file(&p->rules, path.data, err);
    }
    cdp_buf_release(&path);
    free(copy);
    return k;
}

static int parse_args(int argc, char **argv, struct prefs *p)
{
    p->as_of_day = INT64_MIN;
    p->salt = "cdp";
    p->threads = -1;
    int c;
    struct cdp_error err;
    while ((c = getopt_long(argc, argv, "s:" CDP_IO_SHORT_OPTIONS, long_options, NULL)) != -1) {
        switch (c) {
        case 's':
            if (cdp_ruleset_add_spec(&p->rules, optarg, &err) < 0)
                return cdp_usage_error(prog, "%s", err.msg);
            break;
        case OPT_SEGMENTS:
            if (cdp_ruleset_add_file(&p->rules, optarg, &err) < 0)
                return cdp_usage_error(prog, "%s", err.msg);
            break;
        case OPT_USE:
            if (add_library(p, optarg, &err) < 0)
                return cdp_usage_error(prog, "%s", err.msg);
            break;
        case OPT_ARG:
        case OPT_ARGJSON: {
            const char *opt = c == OPT_ARG ? "--arg" : "--argjson";
            if (optind >= argc)
                return cdp_usage_error(prog, "%s takes NAME and VALUE", opt);
            const char *value = argv[optind++];
            if (!strcmp(optarg, "as_of") || !strcmp(optarg, "as_of_day") || !strcmp(optarg, "vip_threshold"))
                return cdp_usage_error(prog, "%s: $%s is set by cdp-segment (use --as-of)", opt, optarg);
            if (cdp_jq_vars_add(&p->args, optarg, value, c == OPT_ARGJSON, &err) < 0)
                return cdp_usage_error(prog, "%s: %s", opt, err.msg);
            break;
        }
        case OPT_AS_OF:
            if (!cdp_parse_day(optarg, &p->as_of_day))
                return cdp_usage_error(prog, "--as-of takes a date YYYY-MM-DD, not '%s'", optarg);
            break;
        case OPT_HOLDOUT: {
            char *end;
            errno = 0;
            p->holdout = strtod(optarg, &end);
            if (end == optarg || *end || errno || !(p->holdout >= 0 && p->holdout < 100))
                return cdp_usage_error(prog, "--holdout takes a percentage, 0 up to 100, not '%s'",
                                       optarg);
            break;
        }
        case OPT_SALT:
            p->salt = optarg;
            break;
        case OPT_PREVIOUS:
            p->previous = optarg;
            break;
        case OPT_JOURNAL:
            p->journal = optarg;
            break;
        case OPT_REPORT:
            p->report = optarg;
            break;
        case OPT_HISTORY:
            p->history = optarg;
            break;
        case OPT_SPLIT:
            p->split = optarg;
            break;
        case OPT_THREADS:
            if (!cdp_parse_long(optarg, 0, 64, &p->threads))
                return cdp_usage_error(prog, "--threads takes a number 0 to 64, not '%s'", optarg);
            break;
        case OPT_REJECTS:
            p->rejects = optarg;
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
    if (p->rules.n == 0)
        return cdp_usage_error(prog, "no segments: give -s NAME=JQ, --segments FILE or --use NAME");
    if (p->journal && !p->previous)
        return cdp_usage_error(prog, "--journal needs --previous");
    int stdins = optind == argc;
    for (int i = optind; i < argc; i++)
        stdins += strcmp(argv[i], "-") == 0;
    if (stdins > 1)
        return cdp_usage_error(prog, "stdin ('-') given twice");
    if (cdp_ruleset_finish(&p->rules, &err) < 0)
        return cdp_usage_error(prog, "%s", err.msg);
    if (p->as_of_day == INT64_MIN)
        p->as_of_day = cdp_today();
    return 0;
}

/* ---- the rules run on every CPU ----------------------------------------- */

#define BATCH_BYTES ((size_t)1 << 20)

/* What a worker found about one profile, for the counts and the split files
 * (the calling thread keeps those). */
enum { KIND_MEMBER, KIND_HOLDOUT, KIND_ENTERED, KIND_EXITED };

struct batch {
    struct cdp_buf lines; /* every line, padded for simdjson */
    size_t *line_off, *line_len;
    uint64_t *line_no;
    size_t nlines, lines_cap;
    size_t first_pos;      /* the first line's position in the input */
    const char *file;      /* for messages */
    /* results, per line */
    struct cdp_buf out;    /* the profiles written */
    size_t *out_end;       /* where each line's output ends in out (bad: no output) */
    bool *bad;
    uint32_t *prev;        /* the previous run's person, or UINT32_MAX */
    double *revenue;
    size_t *code_end;      /* each line's codes end here in codes */
    uint32_t *codes;       /* name id << 2 | KIND_... */
    size_t ncodes, codes_cap;
    struct cdp_buf errors; /* "where\tmessage\n" */
    uint64_t *rule_errors;
};

struct shared {
    const struct prefs *p;
    const struct cdp_population *pop; /* NULL: no population figures */
    const struct cdp_memberships *prev;
    const struct cdp_intern *names;   /* rule i has name id i */
    const struct cdp_jq_vars *vars;
    size_t *by_name;                  /* rule indexes sorted by name */
};

struct worker {
    const struct shared *s;
    struct cdp_json_parser *json;
    struct cdp_record rec, clean;
    struct cdp_jq **q;
    bool *member;
    struct cdp_buf tmp, segs;
    uint32_t *cur; /* name ids of this profile's memberships, sorted */
};

static bool replaced_key(const struct cdp_field *f)
{
    static const char *const keys[] = { "segments", "holdout", "entered", "exited", "gone", "rfm" };
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (f->klen == strlen(keys[i]) && memcmp(f->key, keys[i], f->klen) == 0)
            return true;
    return false;
}

static double number_of(const struct cdp_record *r, const char *key)
{
    const struct cdp_field *f = cdp_record_gets(r, key);
    if (!f || f->type != CDP_NUMBER)
        return NAN;
    char num[64];
    if (f->vlen >= sizeof num)
        return NAN;
    memcpy(num, f->val, f->vlen);
    num[f->vlen] = '\0';
    return strtod(num, NULL);
}

/* The control group: a share of each segment, by a hash of the salt, the
 * segment's name and the person's id, so that it is the same from run to
 * run and independent between segments. */
static bool held_out(const struct prefs *p, const char *name, const char *id, size_t idlen,
                     struct cdp_buf *tmp)
{
    if (p->holdout <= 0)
        return false;
    cdp_buf_reset(tmp);
    cdp_buf_adds(tmp, p->salt);
    cdp_buf_addc(tmp, '\0');
    cdp_buf_adds(tmp, name);
    cdp_buf_addc(tmp, '\0');
    cdp_buf_add(tmp, id, idlen);
    uint64_t h = cdp_intern_hash(tmp->data, tmp->len);
    double u = (double)(h >> 11) * 0x1.0p-53;
    return u * 100.0 < p->holdout;
}

static void add_code(struct batch *b, uint32_t name, int kind)
{
    if (b->ncodes == b->codes_cap) {
        b->codes_cap = b->codes_cap ? b->codes_cap * 2 : 4096;
        b->codes = cdp_xrealloc(b->codes, b->codes_cap * sizeof *b->codes);
    }
    b->codes[b->ncodes++] = name << 2 | (uint32_t)kind;
}

static int cmp_name_id(const void *a, const void *b, void *names)
{
    const char *x = cdp_intern_str(names, *(const uint32_t *)a, NULL);
    const char *y = cdp_intern_str(names, *(const uint32_t *)b, NULL);
    return strcmp(x, y);
}

static void add_name_list(struct cdp_buf *out, const struct cdp_intern *names, const uint32_t *ids,
                          size_t n)
{
    cdp_buf_addc(out, '[');
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *s = cdp_intern_str(names, ids[i], &len);
        if (i)
            cdp_buf_addc(out, ',');
        cdp_json_add_string(out, s, len);
    }
    cdp_buf_addc(out, ']');
}

static void segment_one(struct worker *w, struct batch *b, size_t i)
{
    const struct shared *s = w->s;
    const struct prefs *p = s->p;
    const struct cdp_ruleset *rs = &p->rules;
    const char *line = b->lines.data + b->line_off[i];
    size_t len = b->line_len[i];
    struct cdp_error why;
    b->prev[i] = UINT32_MAX;
    b->revenue[i] = NAN;
    b->bad[i] = true;
    cdp_record_clear(&w->rec);
    if (cdp_json_parse_object(w->json, line, len, &w->rec, &why) != CDP_JSON_OK) {
        cdp_buf_printf(&b->errors, "%s:%llu\t%s; line rejected\n", b->file,
                       (unsigned long long)b->line_no[i], why.msg);
        return;
    }
    const struct cdp_field *idf = cdp_record_gets(&w->rec, "cdp_id");
    if (!idf || idf->type != CDP_STRING || !idf->vlen) {
        cdp_buf_printf(&b->errors, "%s:%llu\tno cdp_id; line rejected\n", b->file,
                       (unsigned long long)b->line_no[i]);
        return;
    }
    b->bad[i] = false;
    const char *id = idf->val;
    size_t idlen = idf->vlen;
    /* What the rules see: the profile without what an earlier run added. */
    bool stale = false;
    for (size_t f = 0; f < w->rec.n; f++)
        stale |= replaced_key(&w->rec.f[f]);
    struct cdp_record *in = &w->rec;
    if (stale) {
        cdp_record_clear(&w->clean);
        for (size_t f = 0; f < w->rec.n; f++)
            if (!replaced_key(&w->rec.f[f]))
                cdp_record_append(&w->clean, w->rec.f[f].key, w->rec.f[f].klen, w->rec.f[f].val,
                                  w->rec.f[f].vlen, w->rec.f[f].type);
        in = &w->clean;
    }
    b->revenue[i] = number_of(in, "revenue");
    /* Population figures first: the rules may read .rfm. */
    struct cdp_buf *rfm = &w->tmp;
    cdp_buf_reset(rfm);
    int r, f, m;
    if (s->pop && cdp_population_rfm(s->pop, b->first_pos + i, &r, &f, &m)) {
        cdp_buf_printf(rfm, "{\"r\":%d,\"f\":%d,\"m\":%d,\"score\":\"%d%d%d\",\"segment\":", r, f, m,
                       r, f, m);
        const char *seg = cdp_rfm_segment(r, f);
        cdp_json_add_string(rfm, seg, strlen(seg));
        cdp_buf_addc(rfm, '}');
        cdp_record_set(in, "rfm", 3, rfm->data, rfm->len, CDP_OBJECT);
    }
    /* The rules, each after those it reads with segment(). */
    for (size_t k = 0; k < rs->n; k++) {
        size_t ri = rs->order[k];
        const struct cdp_rule *rule = &rs->rules[ri];
        if (rule->ndeps) {
            cdp_buf_reset(&w->segs);
            cdp_buf_addc(&w->segs, '[');
            bool first = true;
            for (size_t j = 0; j < k; j++)
                if (w->member[rs->order[j]]) {
                    if (!first)
                        cdp_buf_addc(&w->segs, ',');
                    first = false;
                    const char *nm = rs->rules[rs->order[j]].name;
                    cdp_json_add_string(&w->segs, nm, strlen(nm));
                }
            cdp_buf_addc(&w->segs, ']');
            cdp_record_set(in, "segments", 8, w->segs.data, w->segs.len, CDP_ARRAY);
        }
        int t = cdp_jq_test_record(w->q[ri], in, &why);
        if (t < 0) {
            b->rule_errors[ri]++;
            cdp_buf_printf(&b->errors, "%s:%llu\tcdp_id %.*s: segment %s: %s\n", b->file,
                           (unsigned long long)b->line_no[i], (int)idlen, id, rule->name, why.msg);
        }
        w->member[ri] = t > 0;
    }
    /* The output: the line as read, or rebuilt without stale members. */
    struct cdp_buf *out = &b->out;
    if (!stale) {
        size_t n = len;
        while (n && line[n - 1] != '}')
            n--;
        n--; /* the closing brace */
        cdp_buf_add(out, line, n);
        size_t t = n;
        while (t && (line[t - 1] == ' ' || line[t - 1] == '\t'))
            t--;
        if (line[t - 1] != '{')
            cdp_buf_addc(out, ',');
    } else {
        /* Rebuilt from the fields as read (not from the rules' input, which
         * has "rfm" and "segments" set). */
        cdp_buf_addc(out, '{');
        bool first = true;
        for (size_t f = 0; f < w->rec.n; f++) {
            const struct cdp_field *fd = &w->rec.f[f];
            if (replaced_key(fd))
                continue;
            if (!first)
                cdp_buf_addc(out, ',');
            first = false;
            cdp_json_add_string(out, fd->key, fd->klen);
            cdp_buf_addc(out, ':');
            cdp_json_add_value(out, fd->val, fd->vlen, fd->type);
        }
        if (!first)
            cdp_buf_addc(out, ',');
    }
    if (rfm->len) {
        cdp_buf_adds(out, "\"rfm\":");
        cdp_buf_add(out, rfm->data, rfm->len);
        cdp_buf_addc(out, ',');
    }
    /* segments and holdout, by name */
    size_t ncur = 0;
    cdp_buf_adds(out, "\"segments\":[");
    size_t nseg = 0;
    for (size_t k = 0; k < rs->n; k++) {
        size_t ri = s->by_name[k];
        if (!w->member[ri])
            continue;
        w->cur[ncur++] = (uint32_t)ri;
        if (held_out(p, rs->rules[ri].name, id, idlen, &w->segs)) {
            w->member[ri] = false; /* marks "held out" for the loop below */
            add_code(b, (uint32_t)ri, KIND_HOLDOUT);
            continue;
        }
        add_code(b, (uint32_t)ri, KIND_MEMBER);
        if (nseg++)
            cdp_buf_addc(out, ',');
        cdp_json_add_string(out, rs->rules[ri].name, strlen(rs->rules[ri].name));
    }
    cdp_buf_addc(out, ']');
    if (p->holdout > 0) {
        cdp_buf_adds(out, ",\"holdout\":[");
        size_t nh = 0;
        for (size_t k = 0; k < ncur; k++) {
            size_t ri = w->cur[k];
            if (w->member[ri])
                continue;
            if (nh++)
                cdp_buf_addc(out, ',');
            cdp_json_add_string(out, rs->rules[ri].name, strlen(rs->rules[ri].name));
        }
        cdp_buf_addc(out, ']');
    }
    /* Deltas: memberships (held out or not) against the last run's. */
    if (s->prev) {
        uint32_t person = cdp_memberships_find(s->prev, id, idlen);
        const uint32_t *was = NULL;
        size_t nwas = person == UINT32_MAX ? 0 : cdp_memberships_of(s->prev, person, &was);
        b->prev[i] = person;
        /* cur holds rule indexes = name ids, in name order; was is in id
         * order: compare as sets. */
        uint32_t *entered = w->cur + rs->n;
        size_t ne = 0, nx = 0;
        for (size_t k = 0; k < ncur; k++) {
            bool found = false;
            for (size_t j = 0; j < nwas && !found; j++)
                found = was[j] == w->cur[k];
            if (!found) {
                entered[ne++] = w->cur[k];
                add_code(b, w->cur[k], KIND_ENTERED);
            }
        }
        /* exited: names of any run, so keep them apart and sort by name */
        uint32_t *xs = cdp_xmalloc((nwas + 1) * sizeof *xs);
        for (size_t j = 0; j < nwas; j++) {
            bool found = false;
            for (size_t k = 0; k < ncur && !found; k++)
                found = was[j] == w->cur[k];
            if (!found)
                xs[nx++] = was[j];
        }
        qsort_r(xs, nx, sizeof *xs, cmp_name_id, (void *)s->names);
        for (size_t j = 0; j < nx; j++)
            add_code(b, xs[j], KIND_EXITED);
        cdp_buf_adds(out, ",\"entered\":");
        add_name_list(out, s->names, entered, ne);
        cdp_buf_adds(out, ",\"exited\":");
        add_name_list(out, s->names, xs, nx);
        free(xs);
    }
    cdp_buf_adds(out, "}\n");
}

/* Compiles a worker's rules (some 40 ms each with libjq 1.6: the other
 * workers do it in their own threads, at their first batch). */
static int compile_rules(struct worker *w, struct cdp_error *err)
{
    const struct cdp_ruleset *rs = &w->s->p->rules;
    for (size_t r = 0; r < rs->n; r++)
        if (!w->q[r] && !(w->q[r] = cdp_jq_compile(rs->rules[r].program, w->s->vars, err)))
            return (int)r;
    return -1;
}

static void work(void *ctx, void *arg)
{
    struct worker *w = ctx;
    struct batch *b = arg;
    struct cdp_error err;
    if (!w->q[0] && compile_rules(w, &err) >= 0)
        abort(); /* the same rules compiled in the main thread */
    for (size_t i = 0; i < b->nlines; i++) {
        segment_one(w, b, i);
        b->out_end[i] = b->out.len;
        b->code_end[i] = b->ncodes;
    }
}

static void batch_clear(struct batch *b, size_t nrules)
{
    cdp_buf_reset(&b->lines);
    cdp_buf_reset(&b->out);
    cdp_buf_reset(&b->errors);
    b->nlines = 0;
    b->ncodes = 0;
    memset(b->rule_errors, 0, (nrules + 1) * sizeof *b->rule_errors);
}

static void batch_add_line(struct batch *b, const char *line, size_t len, uint64_t line_no)
{
    if (b->nlines == b->lines_cap) {
        b->lines_cap = b->lines_cap ? b->lines_cap * 2 : 4096;
        size_t c = b->lines_cap;
        b->line_off = cdp_xrealloc(b->line_off, c * sizeof *b->line_off);
        b->line_len = cdp_xrealloc(b->line_len, c * sizeof *b->line_len);
        b->line_no = cdp_xrealloc(b->line_no, c * sizeof *b->line_no);
        b->out_end = cdp_xrealloc(b->out_end, c * sizeof *b->out_end);
        b->bad = cdp_xrealloc(b->bad, c * sizeof *b->bad);
        b->prev = cdp_xrealloc(b->prev, c * sizeof *b->prev);
        b->revenue = cdp_xrealloc(b->revenue, c * sizeof *b->revenue);
        b->code_end = cdp_xrealloc(b->code_end, c * sizeof *b->code_end);
    }
    b->line_off[b->nlines] = b->lines.len;
    b->line_len[b->nlines] = len;
    b->line_no[b->nlines++] = line_no;
    cdp_buf_add_padded(&b->lines, line, len);
    b->lines.len += CDP_LINE_PADDING; /* the padding stays between the lines */
}

/* Per segment name (rules first, then names only the last run had). */
struct tally {
    uint64_t members, holdout, entered, exited, errors;
    double revenue;
};

struct run {
    struct prefs *p;
    struct shared shared;
    struct cdp_report report;
    struct cdp_output *out, *rejects;
    struct cdp_output **split;
    struct cdp_pmap *pmap;
    struct worker *workers;
    void **ctx;
    size_t nworkers;
    struct batch *batches;
    struct batch **spare;
    size_t nbatches, nspare;
    struct cdp_intern *names;
    struct cdp_memberships *prev;
    bool *seen; /* per previous person */
    struct tally *tally;
    size_t ntally;
    bool write_failed;
    size_t next_pos;
    struct cdp_error err;
};

static struct tally *tally_of(struct run *run, uint32_t name)
{
    if (name >= run->ntally) {
        size_t n = name + 16;
        run->tally = cdp_xrealloc(run->tally, n * sizeof *run->tally);
        memset(run->tally + run->ntally, 0, (n - run->ntally) * sizeof *run->tally);
        run->ntally = n;
    }
    return &run->tally[name];
}

static void consume(struct run *run, struct batch *b)
{
    const struct prefs *p = run->p;
    for (size_t r = 0; r < p->rules.n; r++)
        if (b->rule_errors[r]) {
            tally_of(run, (uint32_t)r)->errors += b->rule_errors[r];
            cdp_report_add(&run->report, "rule_errors", "rule errors", b->rule_errors[r]);
            cdp_report_detail(&run->report, "rule_errors", p->rules.rules[r].name, b->rule_errors[r]);
        }
    for (char *s = b->errors.data, *nl; s && s < b->errors.data + b->errors.len; s = nl + 1) {
        nl = strchr(s, '\n');
        *nl = '\0';
        char *tab = strchr(s, '\t');
        *tab = '\0';
        cdp_report_data(&run->report, s, 0, "%s", tab + 1);
    }
    size_t out_start = 0, code_start = 0;
    for (size_t i = 0; i < b->nlines; i++) {
        const char *o = b->out.data + out_start;
        size_t olen = b->out_end[i] - out_start;
        out_start = b->out_end[i];
        if (b->bad[i]) {
            cdp_report_add(&run->report, "rejected", "rejected", 1);
            if (run->rejects) {
                struct cdp_buf *rb = cdp_output_buffer(run->rejects);
                cdp_buf_adds(rb, "{\"file\":");
                cdp_json_add_string(rb, b->file, strlen(b->file));
                cdp_buf_printf(rb, ",\"line\":%llu,\"raw\":", (unsigned long long)b->line_no[i]);
                cdp_json_add_string_lossy(rb, b->lines.data + b->line_off[i], b->line_len[i]);
                cdp_buf_adds(rb, "}\n");
                cdp_output_flush_some(run->rejects);
            }
            code_start = b->code_end[i];
            continue;
        }
        cdp_report_add(&run->report, "written", "profiles written", 1);
        if (!run->write_failed && cdp_output_write(run->out, o, olen) < 0)
            run->write_failed = true;
        if (b->prev[i] != UINT32_MAX)
            run->seen[b->prev[i]] = true;
        for (size_t c = code_start; c < b->code_end[i]; c++) {
            uint32_t name = b->codes[c] >> 2;
            struct tally *t = tally_of(run, name);
            switch (b->codes[c] & 3) {
            case KIND_MEMBER:
                t->members++;
                if (!isnan(b->revenue[i]))
                    t->revenue += b->revenue[i];
                cdp_report_add(&run->report, "memberships", "memberships", 1);
                if (run->split && cdp_output_write(run->split[name], o, olen) < 0)
                    run->write_failed = true;
                break;
            case KIND_HOLDOUT:
                t->holdout++;
                cdp_report_add(&run->report, "held_out", "held out", 1);
                break;
            case KIND_ENTERED:
                t->entered++;
                break;
            default:
                t->exited++;
                break;
            }
        }
        code_start = b->code_end[i];
    }
    batch_clear(b, p->rules.n);
}

static struct batch *next_batch(struct run *run)
{
    struct batch *b;
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

/* Pass 1, when the rules need the population: three figures a profile. */
static int collect_population(struct run *run, char **paths, size_t npaths,
                              struct cdp_population *pop)
{
    struct cdp_reader_options ro = run->p->io.in;
    ro.format = CDP_FORMAT_NDJSON;
    ro.lines_only = true;
    struct cdp_json_parser *json = cdp_json_parser_new();
    struct cdp_record rec = CDP_RECORD_INIT;
    struct cdp_buf pad = CDP_BUF_INIT;
    int status = 0;
    for (size_t i = 0; i < npaths && status == 0; i++) {
        struct cdp_reader *r = cdp_reader_open(paths[i], &ro, &run->err);
        if (!r) {
            status = -1;
            break;
        }
        struct cdp_row row;
        for (;;) {
            enum cdp_read k = cdp_reader_next(r, &rec, &row, &run->err);
            if (k == CDP_READ_END)
                break;
            if (k == CDP_READ_ERROR) {
                status = -1;
                break;
            }
            static const char *const keys[] = { "orders", "days_since_last_purchase", "revenue",
                                                "revenue_365d" };
            double v[4] = { NAN, NAN, NAN, NAN };
            /* the reader's lines are padded for simdjson (lines.h): no copy */
            if (k == CDP_READ_ROW)
                cdp_json_get_numbers(json, row.raw, row.rawlen, keys, 4, v);
            double orders = v[0], days = v[1], revenue = v[2], value = v[3];
            bool buyer = orders > 0 && !isnan(days);
            cdp_population_add(pop, buyer, days, orders, isnan(revenue) ? 0 : revenue,
                               isnan(value) ? 0 : value);
        }
        cdp_reader_close(r);
    }
    cdp_buf_release(&pad);
    cdp_record_release(&rec);
    cdp_json_parser_free(json);
    if (status == 0)
        cdp_population_finish(pop);
    return status;
}

/* Pass 2 (or the only pass): every profile through the workers. */
static int segment_files(struct run *run, char **paths, char **names, size_t npaths)
{
    struct cdp_reader_options ro = run->p->io.in;
    ro.format = CDP_FORMAT_NDJSON;
    ro.lines_only = true;
    struct cdp_record rec = CDP_RECORD_INIT;
    int status = 0;
    for (size_t i = 0; i < npaths && status == 0; i++) {
        struct cdp_reader *r = cdp_reader_open(paths[i], &ro, &run->err);
        if (!r) {
            status = -1;
            break;
        }
        struct batch *b = next_batch(run);
        b->file = names[i];
        b->first_pos = run->next_pos;
        struct cdp_row row;
        for (;;) {
            enum cdp_read k = cdp_reader_next(r, &rec, &row, &run->err);
            if (k == CDP_READ_END)
                break;
            if (k == CDP_READ_ERROR) {
                status = -1;
                break;
            }
            uint64_t n = cdp_report_add(&run->report, "read", "profiles read", 1);
            cdp_report_tick(&run->report, n, cdp_reader_bytes(r));
            batch_add_line(b, row.raw, row.rawlen, row.line);
            run->next_pos++;
            if (b->lines.len >= BATCH_BYTES) {
                cdp_pmap_submit(run->pmap, b);
                b = next_batch(run);
                b->file = names[i];
                b->first_pos = run->next_pos;
            }
        }
        if (b->nlines)
            cdp_pmap_submit(run->pmap, b);
        else
            run->spare[run->nspare++] = b;
        /* The reader's name goes with its batches: finish them first. */
        while ((b = cdp_pmap_take(run->pmap, true)) != NULL) {
            consume(run, b);
            run->spare[run->nspare++] = b;
        }
        cdp_reader_close(r);
    }
    cdp_record_release(&rec);
    return status;
}

struct gone {
    const char *id;
    size_t len;
    uint32_t person;
};

static int cmp_gone(const void *a, const void *b)
{
    const struct gone *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->id, y->id, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* People the last run had in a segment who are not in the input at all
 * (and were not merged into someone who is): one record each, by id. */
static void write_gone(struct run *run)
{
    size_t n = cdp_memberships_count(run->prev), ng = 0;
    struct gone *g = cdp_xmalloc((n + 1) * sizeof *g);
    for (uint32_t person = 0; person < n; person++) {
        const uint32_t *was;
        if (run->seen[person] || cdp_memberships_followed(run->prev, person) ||
            cdp_memberships_of(run->prev, person, &was) == 0)
            continue;
        g[ng].id = cdp_memberships_id(run->prev, person, &g[ng].len);
        g[ng++].person = person;
    }
    qsort(g, ng, sizeof *g, cmp_gone);
    struct cdp_buf line = CDP_BUF_INIT;
    for (size_t i = 0; i < ng; i++) {
        const uint32_t *was;
        size_t nwas = cdp_memberships_of(run->prev, g[i].person, &was);
        uint32_t *xs = cdp_xmalloc((nwas + 1) * sizeof *xs);
        memcpy(xs, was, nwas * sizeof *xs);
        qsort_r(xs, nwas, sizeof *xs, cmp_name_id, run->names);
        cdp_buf_reset(&line);
        cdp_buf_adds(&line, "{\"cdp_id\":");
        cdp_json_add_string(&line, g[i].id, g[i].len);
        cdp_buf_adds(&line, ",\"segments\":[]");
        if (run->p->holdout > 0)
            cdp_buf_adds(&line, ",\"holdout\":[]");
        cdp_buf_adds(&line, ",\"entered\":[],\"exited\":");
        add_name_list(&line, run->names, xs, nwas);
        cdp_buf_adds(&line, ",\"gone\":true}\n");
        for (size_t j = 0; j < nwas; j++)
            tally_of(run, xs[j])->exited++;
        free(xs);
        cdp_report_add(&run->report, "gone", "gone", 1);
        if (!run->write_failed && cdp_output_write(run->out, line.data, line.len) < 0)
            run->write_failed = true;
    }
    cdp_buf_release(&line);
    free(g);
}

/* The per-segment counts, as one JSON object (no newline). */
static void report_json(struct run *run, struct cdp_buf *b)
{
    const struct prefs *p = run->p;
    char day[16];
    int y, mo, d;
    cdp_civil_from_days(p->as_of_day, &y, &mo, &d);
    snprintf(day, sizeof day, "%04d-%02d-%02d", y, mo, d);
    cdp_buf_printf(b, "{\"as_of\":\"%s\",\"profiles\":%llu", day,
                   (unsigned long long)cdp_report_get(&run->report, "written"));
    if (run->prev)
        cdp_buf_printf(b, ",\"gone\":%llu", (unsigned long long)cdp_report_get(&run->report, "gone"));
    cdp_buf_adds(b, ",\"segments\":{");
    size_t nnames = cdp_intern_count(run->names);
    uint32_t *order = cdp_xmalloc((nnames + 1) * sizeof *order);
    for (size_t i = 0; i < nnames; i++)
        order[i] = (uint32_t)i;
    qsort_r(order, nnames, sizeof *order, cmp_name_id, run->names);
    for (size_t k = 0; k < nnames; k++) {
        uint32_t name = order[k];
        struct tally *t = tally_of(run, name);
        size_t len;
        const char *s = cdp_intern_str(run->names, name, &len);
        if (k)
            cdp_buf_addc(b, ',');
        cdp_json_add_string(b, s, len);
        cdp_buf_printf(b, ":{\"members\":%llu,\"holdout\":%llu", (unsigned long long)t->members,
                       (unsigned long long)t->holdout);
        if (run->prev)
            cdp_buf_printf(b, ",\"entered\":%llu,\"exited\":%llu", (unsigned long long)t->entered,
                           (unsigned long long)t->exited);
        cdp_buf_printf(b, ",\"revenue\":%.2f,\"revenue_mean\":", t->revenue);
        if (t->members)
            cdp_buf_printf(b, "%.2f", t->revenue / (double)t->members);
        else
            cdp_buf_adds(b, "null");
        if (name < p->rules.n)
            cdp_buf_printf(b, ",\"errors\":%llu", (unsigned long long)t->errors);
        else
            cdp_buf_adds(b, ",\"defined\":false");
        cdp_buf_addc(b, '}');
    }
    free(order);
    cdp_buf_adds(b, "}}");
}

static int write_history(const char *path, const struct cdp_buf *line, struct cdp_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (fd < 0)
        return cdp_errorf_errno(err, errno, "cannot open '%s'", path);
    /* One write of one line: appends from two runs do not interleave. */
    struct cdp_buf b = CDP_BUF_INIT;
    cdp_buf_add(&b, line->data, line->len);
    cdp_buf_addc(&b, '\n');
    ssize_t w = write(fd, b.data, b.len);
    int e = errno;
    cdp_buf_release(&b);
    if (w != (ssize_t)line->len + 1 || close(fd) < 0)
        return cdp_errorf_errno(err, w < 0 ? e : EIO, "cannot write '%s'", path);
    return 0;
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
    struct cdp_population *pop = NULL;
    struct cdp_jq_vars vars = CDP_JQ_VARS_INIT;
    struct cdp_jq **early_q = NULL;
    struct cdp_reread *inputs = NULL;
    char **paths = NULL, **names = NULL;
    size_t npaths = 0;
    if (status || p.io.help || p.io.version) {
        if (!status && p.io.help)
            usage();
        else if (!status)
            cdp_print_version(prog);
        goto free_prefs;
    }
    signal(SIGPIPE, SIG_IGN);
    run.p = &p;
    cdp_report_init(&run.report, prog);
    cdp_io_apply_report(&p.io, &run.report);
    cdp_report_add(&run.report, "read", "profiles read", 0);
    cdp_report_add(&run.report, "written", "written", 0);
    cdp_report_add(&run.report, "rejected", "rejected", 0);
    cdp_report_add(&run.report, "memberships", "memberships", 0);
    if (p.holdout > 0)
        cdp_report_add(&run.report, "held_out", "held out", 0);
    if (p.previous)
        cdp_report_add(&run.report, "gone", "gone", 0);
    cdp_report_add(&run.report, "rule_errors", "rule errors", 0);
    status = 1;
    struct cdp_error *err = &run.err;

    /* Segment names: rule i is name i; the last run may add more. */
    run.names = cdp_intern_new();
    for (size_t i = 0; i < p.rules.n; i++)
        cdp_intern_add(run.names, p.rules.rules[i].name, strlen(p.rules.rules[i].name), NULL);
    run.shared.p = &p;
    run.shared.names = run.names;
    run.shared.vars = &vars;
    run.shared.by_name = cdp_xmalloc((p.rules.n + 1) * sizeof *run.shared.by_name);
    {
        uint32_t *ids = cdp_xmalloc((p.rules.n + 1) * sizeof *ids);
        for (size_t i = 0; i < p.rules.n; i++)
            ids[i] = (uint32_t)i;
        qsort_r(ids, p.rules.n, sizeof *ids, cmp_name_id, run.names);
        for (size_t i = 0; i < p.rules.n; i++)
            run.shared.by_name[i] = ids[i];
        free(ids);
    }

    /* Inputs: one that cannot be read twice (stdin, a pipe) is spooled when
     * the rules need two passes. */
    int nfiles = argc - optind;
    npaths = nfiles ? (size_t)nfiles : 1;
    paths = cdp_xcalloc(npaths, sizeof *paths);
    names = cdp_xcalloc(npaths, sizeof *names);
    inputs = cdp_xcalloc(npaths, sizeof *inputs);
    for (size_t i = 0; i < npaths; i++) {
        cdp_reread_init(&inputs[i], nfiles ? argv[optind + (int)i] : "-");
        if (p.rules.needs_population && cdp_reread_spool(&inputs[i], err) < 0) {
            cdp_report_error(&run.report, "%s", err->msg);
            goto done;
        }
        paths[i] = cdp_xstrdup(inputs[i].path);
        names[i] = cdp_xstrdup(inputs[i].label);
    }

    /* Variables: the rule files' defaults, then as-of, then --arg. */
    for (size_t i = 0; i < p.rules.params.n; i++)
        cdp_jq_vars_add(&vars, p.rules.params.v[i].name, p.rules.params.v[i].value, true, err);
    {
        char day[16], num[32];
        int y, mo, d;
        cdp_civil_from_days(p.as_of_day, &y, &mo, &d);
        snprintf(day, sizeof day, "%04d-%02d-%02d", y, mo, d);
        snprintf(num, sizeof num, "%lld", (long long)p.as_of_day);
        cdp_jq_vars_add(&vars, "as_of", day, false, err);
        cdp_jq_vars_add(&vars, "as_of_day", num, true, err);
    }
    for (size_t i = 0; i < p.args.n; i++)
        cdp_jq_vars_add(&vars, p.args.v[i].name, p.args.v[i].value, p.args.v[i].is_json, err);

    /* A rule that does not compile is a usage error: say so before reading
     * anything ($vip_threshold is known only after the first pass). */
    {
        struct cdp_jq_vars early = CDP_JQ_VARS_INIT;
        for (size_t i = 0; i < vars.n; i++)
            cdp_jq_vars_add(&early, vars.v[i].name, vars.v[i].value, vars.v[i].is_json, err);
        if (p.rules.needs_population)
            cdp_jq_vars_add(&early, "vip_threshold", "0", true, err);
        for (size_t r = 0; r < p.rules.n; r++) {
            struct cdp_jq *q = cdp_jq_compile(p.rules.rules[r].program, &early, err);
            if (!q) {
                cdp_jq_vars_release(&early);
                status = cdp_usage_error(prog, "%s: segment %s: %s", p.rules.rules[r].origin,
                                         p.rules.rules[r].name, err->msg);
                goto done;
            }
            /* Without a second pass these are the programs worker 0 runs. */
            if (!p.rules.needs_population) {
                if (!early_q)
                    early_q = cdp_xcalloc(p.rules.n + 1, sizeof *early_q);
                early_q[r] = q;
            } else {
                cdp_jq_free(q);
            }
        }
        cdp_jq_vars_release(&early);
    }

    if (p.rules.needs_population) {
        pop = cdp_population_new();
        if (collect_population(&run, paths, npaths, pop) < 0) {
            cdp_report_error(&run.report, "%s", err->msg);
            goto done;
        }
        run.shared.pop = pop;
        /* $vip_threshold: the smallest revenue_365d in the top $vip_percent. */
        double share = 10;
        for (size_t i = 0; i < vars.n; i++)
            if (strcmp(vars.v[i].name, "vip_percent") == 0)
                share = atof(vars.v[i].value);
        double t = cdp_population_top_threshold(pop, share);
        char num[64];
        if (isinf(t))
            snprintf(num, sizeof num, "1e308");
        else
            snprintf(num, sizeof num, "%.17g", t);
        cdp_jq_vars_add(&vars, "vip_threshold", num, true, err);
    }

    if (p.previous) {
        run.prev = cdp_memberships_new(run.names);
        uint64_t skipped = 0;
        if (cdp_memberships_load(run.prev, p.previous, &p.io.in, &skipped, err) < 0 ||
            (p.journal && cdp_memberships_follow(run.prev, p.journal, err) < 0)) {
            cdp_report_error(&run.report, "%s", err->msg);
            goto done;
        }
        cdp_memberships_finish(run.prev);
        run.shared.prev = run.prev;
        run.seen = cdp_xcalloc(cdp_memberships_count(run.prev) + 1, sizeof *run.seen);
        if (skipped)
            cdp_report_detail(&run.report, "previous", "skipped_lines", skipped);
    }

    /* Workers, each with its own compiled rules. */
    size_t nworkers = p.threads < 0 ? cdp_cpu_count() : (size_t)p.threads;
    if (nworkers == 1)
        nworkers = 0;
    run.nworkers = nworkers ? nworkers : 1;
    run.workers = cdp_xcalloc(run.nworkers, sizeof *run.workers);
    run.ctx = cdp_xcalloc(run.nworkers, sizeof *run.ctx);
    for (size_t i = 0; i < run.nworkers; i++) {
        struct worker *w = &run.workers[i];
        w->s = &run.shared;
        w->json = cdp_json_parser_new();
        w->rec = (struct cdp_record)CDP_RECORD_INIT;
        w->clean = (struct cdp_record)CDP_RECORD_INIT;
        w->q = cdp_xcalloc(p.rules.n + 1, sizeof *w->q);
        w->member = cdp_xcalloc(p.rules.n + 1, sizeof *w->member);
        w->cur = cdp_xcalloc(3 * p.rules.n + 1, sizeof *w->cur);
        int bad;
        if (i == 0 && early_q) {
            memcpy(w->q, early_q, p.rules.n * sizeof *w->q);
            free(early_q);
            early_q = NULL;
        }
        if (i == 0 && (bad = compile_rules(w, err)) >= 0) {
            status = cdp_usage_error(prog, "%s: segment %s: %s", p.rules.rules[bad].origin,
                                     p.rules.rules[bad].name, err->msg);
            goto done;
        }
        run.ctx[i] = w;
    }
    run.pmap = cdp_pmap_new(nworkers, run.ctx, work);
    run.nbatches = 2 * run.nworkers + 2;
    run.batches = cdp_xcalloc(run.nbatches, sizeof *run.batches);
    run.spare = cdp_xcalloc(run.nbatches, sizeof *run.spare);
    for (size_t i = 0; i < run.nbatches; i++) {
        run.batches[i].rule_errors = cdp_xcalloc(p.rules.n + 1, sizeof *run.batches[i].rule_errors);
        run.spare[run.nspare++] = &run.batches[i];
    }

    run.out = cdp_output_open(p.io.output, &p.io.out, err);
    if (!run.out) {
        cdp_report_error(&run.report, "%s", err->msg);
        goto done;
    }
    if (p.rejects && !(run.rejects = cdp_output_open(p.rejects, NULL, err))) {
        cdp_report_error(&run.report, "%s", err->msg);
        goto done;
    }
    if (p.split) {
        if (mkdir(p.split, 0777) < 0 && errno != EEXIST) {
            cdp_report_error(&run.report, "cannot create '%s': %s", p.split, strerror(errno));
            goto done;
        }
        run.split = cdp_xcalloc(p.rules.n + 1, sizeof *run.split);
        struct cdp_buf path = CDP_BUF_INIT;
        for (size_t r = 0; r < p.rules.n; r++) {
            cdp_buf_reset(&path);
            cdp_buf_printf(&path, "%s/%s.ndjson%s", p.split, p.rules.rules[r].name,
                           p.io.out.zstd ? ".zst" : "");
            run.split[r] = cdp_output_open(path.data, &p.io.out, err);
            if (!run.split[r]) {
                cdp_buf_release(&path);
                cdp_report_error(&run.report, "%s", err->msg);
                goto done;
            }
        }
        cdp_buf_release(&path);
    }

    if (segment_files(&run, paths, names, npaths) < 0) {
        cdp_report_error(&run.report, "%s", err->msg);
        goto done;
    }
    if (pop && run.next_pos != cdp_population_profiles(pop)) {
        cdp_report_error(&run.report, "the input changed between the two passes (%zu lines, then %zu)",
                         cdp_population_profiles(pop), run.next_pos);
        goto done;
    }
    if (run.prev)
        write_gone(&run);

    /* Finish: report and history, split files, then the output itself. */
    struct cdp_buf rep = CDP_BUF_INIT;
    report_json(&run, &rep);
    int k = 0;
    if (p.report) {
        struct cdp_output_options ro = { 0 };
        struct cdp_output *o = cdp_output_open(p.report, &ro, err);
        if (!o) {
            k = -1;
        } else {
            cdp_output_write(o, rep.data, rep.len);
            cdp_output_write(o, "\n", 1);
            k = cdp_output_commit(o, err);
        }
    }
    if (k == 0 && p.history)
        k = write_history(p.history, &rep, err);
    if (k == 0 && p.io.stats)
        k = cdp_report_write_stats(&run.report, p.io.stats, NULL, err);
    cdp_buf_release(&rep);
    if (k < 0) {
        cdp_report_error(&run.report, "%s", err->msg);
        goto done;
    }
    for (size_t r = 0; run.split && r < p.rules.n; r++) {
        struct cdp_output *o = run.split[r];
        run.split[r] = NULL;
        if (cdp_output_commit(o, err) < 0) {
            cdp_report_error(&run.report, "%s", err->msg);
            goto done;
        }
    }
    if (run.rejects) {
        int r = cdp_output_commit(run.rejects, err);
        run.rejects = NULL;
        if (r < 0) {
            cdp_report_error(&run.report, "%s", err->msg);
            goto done;
        }
    }
    {
        int r = cdp_output_commit(run.out, err);
        run.out = NULL;
        if (r < 0) {
            cdp_report_error(&run.report, "%s", err->msg);
            goto done;
        }
    }
    status = 0;
done:
    if (status != 2)
        cdp_report_summary(&run.report);
    cdp_output_abort(run.out);
    cdp_output_abort(run.rejects);
    for (size_t r = 0; run.split && r < p.rules.n; r++)
        cdp_output_abort(run.split[r]);
    free(run.split);
    cdp_pmap_free(run.pmap);
    for (size_t i = 0; i < run.nworkers && run.workers; i++) {
        struct worker *w = &run.workers[i];
        for (size_t r = 0; w->q && r < p.rules.n; r++)
            cdp_jq_free(w->q[r]);
        free(w->q);
        free(w->member);
        free(w->cur);
        cdp_json_parser_free(w->json);
        cdp_record_release(&w->rec);
        cdp_record_release(&w->clean);
        cdp_buf_release(&w->tmp);
        cdp_buf_release(&w->segs);
    }
    free(run.workers);
    free(run.ctx);
    for (size_t i = 0; i < run.nbatches; i++) {
        struct batch *b = &run.batches[i];
        cdp_buf_release(&b->lines);
        cdp_buf_release(&b->out);
        cdp_buf_release(&b->errors);
        free(b->line_off);
        free(b->line_len);
        free(b->line_no);
        free(b->out_end);
        free(b->bad);
        free(b->prev);
        free(b->revenue);
        free(b->code_end);
        free(b->codes);
        free(b->rule_errors);
    }
    free(run.batches);
    free(run.spare);
    free(run.seen);
    free(run.tally);
    free(run.shared.by_name);
    cdp_memberships_free(run.prev);
    if (run.names)
        cdp_intern_free(run.names);
    cdp_population_free(pop);
    for (size_t r = 0; early_q && r < p.rules.n; r++)
        cdp_jq_free(early_q[r]);
    free(early_q);
    cdp_jq_vars_release(&vars);
    for (size_t i = 0; inputs && i < npaths; i++)
        cdp_reread_release(&inputs[i]);
    free(inputs);
    for (size_t i = 0; i < npaths; i++) {
        free(paths[i]);
        free(names[i]);
    }
    free(paths);
    free(names);
    if (status != 2 || run.p)
        cdp_report_release(&run.report);
free_prefs:
    cdp_ruleset_release(&p.rules);
    cdp_jq_vars_release(&p.args);
    return status;
}
