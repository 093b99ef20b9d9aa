/* cdp-merge: one golden profile per person, with the behavioural traits
 * marketers segment on. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "norm/date.h"
#include "io/extsort.h"
#include "rules/jq.h"
#include "io/json.h"
#include "io/lines.h"
#include "io/output.h"
#include "base/pmap.h"
#include "profile/profile.h"
#include "io/reader.h"
#include "cli/report.h"

static const char *const prog = "cdp-merge";

static void usage(void)
{
    printf("Usage: %s [OPTION]... [FILE]...\n"
           "Merge the records of each person (by cdp_id, from cdp-dedupe) into one golden\n"
           "profile with traits from their events; profiles come out sorted by cdp_id.\n"
           "With no FILE, or FILE '-', read stdin.\n"
           "\n"
           "      --as-of DATE          compute traits as of the end of DATE (YYYY-MM-DD) or\n"
           "                            as of a time (ISO 8601); default: today\n"
           "      --prefer SRC,SRC...   sources to trust first when values tie (e.g. crm,shop)\n"
           "      --rule FIELD=POLICY   how FIELD survives: recent (default), prefer,\n"
           "                            frequent, first, min or max\n"
           "      --trait NAME=JQ       add trait NAME, a jq expression over\n"
           "                            {profile: ..., events: [...]} (events by time)\n"
           "      --cart-timeout HOURS  a cart is abandoned after HOURS (default 24)\n"
           "      --memory SIZE         group in memory up to SIZE (e.g. 512M, 2G), then\n"
           "                            spill sorted runs to $TMPDIR (default: a quarter\n"
           "                            of RAM, at most 1G)\n"
           "      --threads N           worker threads (default: one per CPU; 0: none)\n"
           "      --rejects FILE        write input lines that are not records there\n"
           "  -o, --output FILE         write to FILE (atomically) instead of stdout\n"
           "  -z, --zstd                compress the output (also when FILE ends in .zst)\n"
           "      --zstd-level N        compression level 1-19 (default 1; implies -z)\n"
           "  -i, --input-format FMT    ndjson (default) or csv\n"
           "  -d, --delimiter C         CSV delimiter (default: sniffed)\n"
           "      --encoding ENC        input encoding (default utf-8)\n"
           "      --stats FILE          write the counts as JSON\n"
           "  -q, --quiet               no summary line on stderr\n"
           "      --progress            show progress on stderr\n"
           "      --help                show this help\n"
           "      --version             show the version\n"
           "\n"
           "See cdp-merge(1).\n",
           prog);
}

enum {
    OPT_AS_OF = CDP_OPT_FIRST_PROGRAM_OPTION,
    OPT_PREFER,
    OPT_RULE,
    OPT_TRAIT,
    OPT_CART_TIMEOUT,
    OPT_MEMORY,
    OPT_THREADS,
    OPT_REJECTS,
};

static const struct option long_options[] = {
    { "as-of", required_argument, NULL, OPT_AS_OF },
    { "prefer", required_argument, NULL, OPT_PREFER },
    { "rule", required_argument, NULL, OPT_RULE },
    { "trait", required_argument, NULL, OPT_TRAIT },
    { "cart-timeout", required_argument, NULL, OPT_CART_TIMEOUT },
    { "memory", required_argument, NULL, OPT_MEMORY },
    { "threads", required_argument, NULL, OPT_THREADS },
    { "rejects", required_argument, NULL, OPT_REJECTS },
    CDP_IO_LONG_OPTIONS,
    { NULL, 0, NULL, 0 },
};

struct trait {
    char *name;
    const char *expr;
};

struct prefs {
    struct cdp_io_prefs io;
    struct cdp_profile_options profile;
    char **prefer;
    size_t nprefer;
    char **rule_fields;
    enum cdp_policy *rule_policies;
    size_t nrules;
    struct trait *traits;
    size_t ntraits;
    size_t memory;
    long threads;
    const char *rejects;
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

static bool parse_size(const char *s, size_t *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || v <= 0)
        return false;
    double mult = 1;
    switch (*end) {
    case 'k': case 'K': mult = 1024.0; end++; break;
    case 'm': case 'M': mult = 1024.0 * 1024; end++; break;
    case 'g': case 'G': mult = 1024.0 * 1024 * 1024; end++; break;
    default: break;
    }
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end)
        return false;
    *out = (size_t)(v * mult);
    return *out >= 65536;
}

static size_t default_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
    size_t quarter = pages > 0 && size > 0 ? (size_t)pages * (size_t)size / 4 : (size_t)1 << 30;
    return quarter < ((size_t)1 << 30) ? quarter : (size_t)1 << 30;
}

static int parse_args(int argc, char **argv, struct prefs *p)
{
    int c;
    int64_t as_of_day = cdp_today();
    int64_t as_of_ms = (as_of_day + 1) * 86400000LL;
    long cart_hours = 24;
    p->threads = -1;
    p->memory = default_memory();
    while ((c = getopt_long(argc, argv, CDP_IO_SHORT_OPTIONS, long_options, NULL)) != -1) {
        switch (c) {
        case OPT_AS_OF: {
            int64_t ms;
            if ((strlen(optarg) == 10 || strcmp(optarg, "today") == 0) &&
                cdp_parse_day(optarg, &as_of_day)) {
                as_of_ms = (as_of_day + 1) * 86400000LL; /* the end of that day */
            } else if (cdp_time_parse(optarg, strlen(optarg), &ms) && strchr(optarg, 'T')) {
                as_of_ms = ms;
                as_of_day = ms >= 0 ? ms / 86400000LL : -((-ms + 86399999) / 86400000LL);
            } else {
                return cdp_usage_error(prog, "--as-of takes YYYY-MM-DD, today or an ISO time, not '%s'",
                                       optarg);
            }
            break;
        }
        case OPT_PREFER:
            for (const char *s = optarg; *s;) {
                size_t n = strcspn(s, ",");
                if (n) {
                    p->prefer = cdp_xrealloc(p->prefer, (p->nprefer + 1) * sizeof *p->prefer);
                    p->prefer[p->nprefer++] = cdp_xstrndup(s, n);
                }
                s += n + (s[n] == ',');
            }
            break;
        case OPT_RULE: {
            const char *eq = strchr(optarg, '=');
            enum cdp_policy pol;
            if (!eq || eq == optarg || !cdp_policy_parse(eq + 1, &pol))
                return cdp_usage_error(prog, "--rule takes FIELD=POLICY (recent, prefer, "
                                             "frequent, first, min, max), not '%s'", optarg);
            p->rule_fields = cdp_xrealloc(p->rule_fields, (p->nrules + 1) * sizeof *p->rule_fields);
            p->rule_policies = cdp_xrealloc(p->rule_policies, (p->nrules + 1) * sizeof *p->rule_policies);
            p->rule_fields[p->nrules] = cdp_xstrndup(optarg, (size_t)(eq - optarg));
            p->rule_policies[p->nrules++] = pol;
            break;
        }
        case OPT_TRAIT: {
            const char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || !eq[1])
                return cdp_usage_error(prog, "--trait takes NAME=JQ, not '%s'", optarg);
            p->traits = cdp_xrealloc(p->traits, (p->ntraits + 1) * sizeof *p->traits);
            p->traits[p->ntraits].name = cdp_xstrndup(optarg, (size_t)(eq - optarg));
            p->traits[p->ntraits++].expr = eq + 1;
            break;
        }
        case OPT_CART_TIMEOUT:
            if (!cdp_parse_long(optarg, 0, 24 * 365, &cart_hours))
                return cdp_usage_error(prog, "--cart-timeout takes hours, not '%s'", optarg);
            break;
        case OPT_MEMORY:
            if (!parse_size(optarg, &p->memory))
                return cdp_usage_error(prog, "--memory takes a size like 512M or 2G (at least 64K), not '%s'",
                                       optarg);
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
    p->profile.as_of_ms = as_of_ms;
    p->profile.as_of_day = as_of_day;
    p->profile.cart_timeout_ms = cart_hours * 3600000LL;
    p->profile.prefer = (const char *const *)p->prefer;
    p->profile.nprefer = p->nprefer;
    p->profile.rule_fields = (const char *const *)p->rule_fields;
    p->profile.rule_policies = p->rule_policies;
    p->profile.nrules = p->nrules;
    p->profile.keep_events = p->ntraits > 0;
    return 0;
}

/* ---- the profiles are built on every CPU ------------------------------- */

#define BATCH_BYTES ((size_t)4 << 20)

/* Groups handed to a worker: their records' lines, and what it made. */
struct batch {
    struct cdp_buf lines;   /* every line, NUL-terminated and padded */
    size_t *line_off;       /* where each line starts */
    size_t *line_len;
    size_t nlines, lines_cap;
    size_t *group_first;    /* first line of each group */
    size_t ngroups, groups_cap;
    struct cdp_buf out;     /* the profiles */
    struct cdp_buf errors;  /* messages about bad lines and trait errors, in order */
    uint64_t bad_lines;
    uint64_t profiles;      /* groups with at least one good line */
    struct cdp_buf rejects; /* bad lines found only here, as --rejects lines */
    uint64_t *trait_errors;
};

struct worker {
    const struct prefs *p;
    struct cdp_profile *profile;
    struct cdp_json_parser *json;
    struct cdp_record rec;
    struct cdp_jq **traits;
    struct cdp_buf input; /* {"profile":...,"events":[...]} for the traits */
    struct cdp_buf id;    /* the person being merged */
    struct cdp_buf value;
};

static bool is_person(const struct cdp_record *r)
{
    const struct cdp_field *k = cdp_record_gets(r, "_kind");
    if (k)
        return k->type == CDP_STRING && k->vlen == 6 && memcmp(k->val, "person", 6) == 0;
    return cdp_record_gets(r, "event") == NULL;
}

static void work(void *ctx, void *arg)
{
    struct worker *w = ctx;
    struct batch *b = arg;
    for (size_t g = 0; g < b->ngroups; g++) {
        size_t first = b->group_first[g];
        size_t last = g + 1 < b->ngroups ? b->group_first[g + 1] : b->nlines;
        bool begun = false;
        for (size_t i = first; i < last; i++) {
            const char *line = b->lines.data + b->line_off[i];
            struct cdp_error why;
            cdp_record_clear(&w->rec);
            if (cdp_json_parse_object(w->json, line, b->line_len[i], &w->rec, &why) != CDP_JSON_OK) {
                /* A line that looked right at reading (it ended with a
                 * cdp_id) but is not JSON: where it came from is lost in the
                 * sort, its text is not. */
                b->bad_lines++;
                cdp_buf_printf(&b->errors, "(records)\t%s; line rejected\n", why.msg);
                cdp_buf_adds(&b->rejects, "{\"file\":null,\"line\":null,\"raw\":");
                cdp_json_add_string_lossy(&b->rejects, line, b->line_len[i]);
                cdp_buf_adds(&b->rejects, "}\n");
                continue;
            }
            const struct cdp_field *id = cdp_record_gets(&w->rec, "cdp_id");
            if (!begun) {
                cdp_profile_begin(w->profile, id ? id->val : "", id ? id->vlen : 0);
                cdp_buf_reset(&w->id);
                cdp_buf_add(&w->id, id ? id->val : "", id ? id->vlen : 0);
                begun = true;
            }
            cdp_profile_add(w->profile, &w->rec, is_person(&w->rec));
        }
        if (!begun)
            continue;
        b->profiles++;
        size_t start = b->out.len;
        cdp_profile_end(w->profile, &b->out);
        for (size_t t = 0; t < w->p->ntraits; t++) {
            /* {"profile": the profile so far, "events": [...]} */
            struct cdp_buf *in = &w->input;
            cdp_buf_reset(in);
            cdp_buf_adds(in, "{\"profile\":");
            cdp_buf_add(in, b->out.data + start, b->out.len - start);
            cdp_buf_adds(in, "},\"events\":");
            cdp_profile_events_json(w->profile, in);
            cdp_buf_addc(in, '}');
            cdp_buf_reset(&w->value);
            struct cdp_error err;
            int k = cdp_jq_run_json(w->traits[t], in->data, in->len, &w->value, '\n', &err);
            cdp_buf_addc(&b->out, ',');
            cdp_json_add_string(&b->out, w->p->traits[t].name, strlen(w->p->traits[t].name));
            cdp_buf_addc(&b->out, ':');
            if (k < 0) {
                b->trait_errors[t]++;
                /* "where<TAB>message": the person names the place. */
                cdp_buf_printf(&b->errors, "cdp_id %s\ttrait %s: %s\n", w->id.data,
                               w->p->traits[t].name, err.msg);
                cdp_buf_adds(&b->out, "null");
            } else if (k == 0) {
                cdp_buf_adds(&b->out, "null");
            } else {
                /* The first output only. */
                char *nl = memchr(w->value.data, '\n', w->value.len);
                cdp_buf_add(&b->out, w->value.data,
                            nl ? (size_t)(nl - w->value.data) : w->value.len);
            }
        }
        cdp_buf_adds(&b->out, "}\n");
    }
}

static void batch_clear(struct batch *b, size_t ntraits)
{
    cdp_buf_reset(&b->lines);
    cdp_buf_reset(&b->out);
    cdp_buf_reset(&b->errors);
    cdp_buf_reset(&b->rejects);
    b->nlines = b->ngroups = 0;
    b->bad_lines = b->profiles = 0;
    memset(b->trait_errors, 0, (ntraits + 1) * sizeof *b->trait_errors);
}

static void batch_add_line(struct batch *b, const char *line, size_t len, bool new_group)
{
    if (b->nlines == b->lines_cap) {
        b->lines_cap = b->lines_cap ? b->lines_cap * 2 : 4096;
        b->line_off = cdp_xrealloc(b->line_off, b->lines_cap * sizeof *b->line_off);
        b->line_len = cdp_xrealloc(b->line_len, b->lines_cap * sizeof *b->line_len);
    }
    if (new_group) {
        if (b->ngroups == b->groups_cap) {
            b->groups_cap = b->groups_cap ? b->groups_cap * 2 : 1024;
            b->group_first = cdp_xrealloc(b->group_first, b->groups_cap * sizeof *b->group_first);
        }
        b->group_first[b->ngroups++] = b->nlines;
    }
    b->line_off[b->nlines] = b->lines.len;
    b->line_len[b->nlines++] = len;
    /* simdjson reads past the end of what it parses */
    cdp_buf_add_padded(&b->lines, line, len);
    b->lines.len += CDP_LINE_PADDING; /* the padding stays between the lines */
}

struct run {
    struct prefs *p;
    struct cdp_report report;
    struct cdp_output *out, *rejects;
    struct cdp_pmap *pmap;
    struct worker *workers;
    void **ctx;
    size_t nworkers;
    struct batch *batches;
    struct batch **spare;
    size_t nbatches, nspare;
    bool write_failed;
};

static void consume(struct run *run, struct batch *b)
{
    cdp_report_add(&run->report, "profiles", "profiles", b->profiles);
    if (b->rejects.len && run->rejects)
        cdp_output_write(run->rejects, b->rejects.data, b->rejects.len);
    if (b->bad_lines)
        cdp_report_add(&run->report, "rejected", "rejected", b->bad_lines);
    for (size_t t = 0; t < run->p->ntraits; t++)
        if (b->trait_errors[t])
            cdp_report_detail(&run->report, "trait_errors", run->p->traits[t].name,
                              b->trait_errors[t]);
    /* Messages, in order: "where<TAB>what". */
    for (char *s = b->errors.data, *nl; s && s < b->errors.data + b->errors.len; s = nl + 1) {
        nl = strchr(s, '\n');
        *nl = '\0';
        char *tab = strchr(s, '\t');
        *tab = '\0';
        cdp_report_data(&run->report, s, 0, "%s", tab + 1);
    }
    if (!run->write_failed && cdp_output_write(run->out, b->out.data, b->out.len) < 0)
        run->write_failed = true;
    batch_clear(b, run->p->ntraits);
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

/* The cdp_id of a line: cdp-dedupe writes it last, so look there first;
 * otherwise parse the line. Returns 1 with the id, 0 for "cdp_id":null or
 * none, -1 for a line that is not a JSON object. */
static int line_id(struct cdp_json_parser *json, struct cdp_record *rec, const char *line,
                   size_t len, const char **id, size_t *idlen)
{
    static const char tail[] = ",\"cdp_id\":\"";
    size_t n = len;
    while (n && (line[n - 1] == ' ' || line[n - 1] == '\r'))
        n--;
    if (n > 2 && line[n - 1] == '}' && line[n - 2] == '"') {
        size_t end = n - 2, start = end;
        while (start > 0 && line[start - 1] != '"' && line[start - 1] != '\\' && end - start < 64)
            start--;
        size_t t = sizeof tail - 1;
        if (start >= t && end > start && line[start - 1] == '"' &&
            memcmp(line + start - t, tail, t) == 0) {
            *id = line + start;
            *idlen = end - start;
            return 1;
        }
    }
    struct cdp_error why;
    cdp_record_clear(rec);
    if (cdp_json_parse_object(json, line, len, rec, &why) != CDP_JSON_OK)
        return -1;
    const struct cdp_field *f = cdp_record_gets(rec, "cdp_id");
    if (!f || f->type != CDP_STRING || f->vlen == 0)
        return 0;
    *id = f->val;
    *idlen = f->vlen;
    return 1;
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
    struct cdp_extsort *sort = NULL;
    struct cdp_json_parser *json = NULL;
    struct cdp_record rec = CDP_RECORD_INIT;
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
    cdp_report_add(&run.report, "read", "records read", 0);
    cdp_report_add(&run.report, "profiles", "profiles", 0);
    cdp_report_add(&run.report, "anonymous", "anonymous events", 0);
    cdp_report_add(&run.report, "rejected", "rejected", 0);
    struct cdp_error err;
    status = 1;

    /* Workers, each with its own parser, profile and compiled traits. */
    size_t nworkers = p.threads < 0 ? cdp_cpu_count() : (size_t)p.threads;
    if (nworkers == 1)
        nworkers = 0;
    run.nworkers = nworkers ? nworkers : 1;
    run.workers = cdp_xcalloc(run.nworkers, sizeof *run.workers);
    void **ctx = run.ctx = cdp_xcalloc(run.nworkers, sizeof *ctx);
    for (size_t i = 0; i < run.nworkers; i++) {
        struct worker *w = &run.workers[i];
        w->p = &p;
        w->profile = cdp_profile_new(&p.profile);
        w->json = cdp_json_parser_new();
        w->rec = (struct cdp_record)CDP_RECORD_INIT;
        w->traits = cdp_xcalloc(p.ntraits + 1, sizeof *w->traits);
        for (size_t t = 0; t < p.ntraits; t++) {
            w->traits[t] = cdp_jq_compile(p.traits[t].expr, NULL, &err);
            if (!w->traits[t]) {
                status = cdp_usage_error(prog, "--trait %s: %s", p.traits[t].name, err.msg);
                goto done;
            }
        }
        ctx[i] = w;
    }
    run.pmap = cdp_pmap_new(nworkers, ctx, work); /* keeps ctx: freed at the end */
    run.nbatches = 2 * run.nworkers + 2;
    run.batches = cdp_xcalloc(run.nbatches, sizeof *run.batches);
    run.spare = cdp_xcalloc(run.nbatches, sizeof *run.spare);
    for (size_t i = 0; i < run.nbatches; i++) {
        run.batches[i].trait_errors = cdp_xcalloc(p.ntraits + 1, sizeof *run.batches[i].trait_errors);
        run.spare[run.nspare++] = &run.batches[i];
    }

    bool timing = getenv("CDP_TIMING") != NULL;
    struct timespec clock;
    clock_gettime(CLOCK_MONOTONIC, &clock);
    /* 1. Every record, by its person: grouped by an external sort. */
    struct cdp_extsort_options so = { p.memory, NULL };
    sort = cdp_extsort_new(&so);
    json = cdp_json_parser_new();
    struct cdp_reader_options ro = p.io.in;
    ro.lines_only = true;
    int nfiles = argc - optind;
    for (int i = nfiles ? optind : 0; nfiles ? i < argc : i < 1; i++) {
        const char *path = nfiles ? argv[i] : "-";
        struct cdp_reader *r = cdp_reader_open(path, &ro, &err);
        if (!r) {
            cdp_report_error(&run.report, "%s", err.msg);
            goto done;
        }
        bool csv = cdp_reader_format(r) == CDP_FORMAT_CSV;
        struct cdp_row row;
        struct cdp_buf tmp = CDP_BUF_INIT;
        for (;;) {
            enum cdp_read k = cdp_reader_next(r, &rec, &row, &err);
            if (k == CDP_READ_END)
                break;
            if (k == CDP_READ_ERROR) {
                cdp_report_error(&run.report, "%s", err.msg);
                cdp_buf_release(&tmp);
                cdp_reader_close(r);
                goto done;
            }
            uint64_t n = cdp_report_add(&run.report, "read", "records read", 1);
            cdp_report_tick(&run.report, n, cdp_reader_bytes(r));
            const char *line = row.raw, *id = NULL;
            size_t len = row.rawlen, idlen = 0;
            int got;
            if (k == CDP_READ_BAD) {
                got = -1;
            } else if (csv) {
                /* A CSV record is merged as JSON. */
                cdp_buf_reset(&tmp);
                cdp_json_add_record(&tmp, &rec);
                line = tmp.data;
                len = tmp.len;
                const struct cdp_field *f = cdp_record_gets(&rec, "cdp_id");
                got = f && f->vlen ? 1 : 0;
                if (got)
                    id = f->val, idlen = f->vlen;
            } else {
                got = line_id(json, &rec, line, len, &id, &idlen);
            }
            if (got < 0) {
                cdp_report_add(&run.report, "rejected", "rejected", 1);
                cdp_report_data(&run.report, cdp_reader_name(r), row.line, "%s; line rejected",
                                row.reason[0] ? row.reason : "not a JSON object");
                if (p.rejects) {
                    if (!run.rejects && !(run.rejects = cdp_output_open(p.rejects, NULL, &err))) {
                        cdp_report_error(&run.report, "%s", err.msg);
                        goto done;
                    }
                    struct cdp_buf *b = cdp_output_buffer(run.rejects);
                    cdp_buf_printf(b, "{\"file\":");
                    cdp_json_add_string(b, cdp_reader_name(r), strlen(cdp_reader_name(r)));
                    cdp_buf_printf(b, ",\"line\":%llu,\"raw\":", (unsigned long long)row.line);
                    cdp_json_add_string_lossy(b, row.raw, row.rawlen);
                    cdp_buf_adds(b, "}\n");
                }
                continue;
            }
            if (got == 0) {
                cdp_report_add(&run.report, "anonymous", "anonymous events", 1);
                continue;
            }
            if (cdp_extsort_add(sort, id, idlen, line, len, &err) < 0) {
                cdp_report_error(&run.report, "%s", err.msg);
                cdp_buf_release(&tmp);
                cdp_reader_close(r);
                goto done;
            }
        }
        cdp_buf_release(&tmp);
        cdp_reader_close(r);
    }
    phase(timing, "read", &clock);
    if (cdp_extsort_finish(sort, &err) < 0) {
        cdp_report_error(&run.report, "%s", err.msg);
        goto done;
    }
    phase(timing, "sorted", &clock);

    /* 2. Each person's records to a worker, profiles out in cdp_id order. */
    run.out = cdp_output_open(p.io.output, &p.io.out, &err);
    if (!run.out) {
        cdp_report_error(&run.report, "%s", err.msg);
        goto done;
    }
    if (p.rejects && !run.rejects && !(run.rejects = cdp_output_open(p.rejects, NULL, &err))) {
        cdp_report_error(&run.report, "%s", err.msg);
        goto done;
    }
    struct batch *b = next_batch(&run);
    struct cdp_buf last = CDP_BUF_INIT;
    for (;;) {
        const char *key, *payload;
        size_t klen, plen;
        int k = cdp_extsort_next(sort, &key, &klen, &payload, &plen, &err);
        if (k < 0) {
            cdp_report_error(&run.report, "%s", err.msg);
            cdp_buf_release(&last);
            goto done;
        }
        if (k == 0)
            break;
        bool new_group = last.len != klen || (klen && memcmp(last.data, key, klen) != 0) || !last.data;
        if (new_group && b->lines.len >= BATCH_BYTES) {
            cdp_pmap_submit(run.pmap, b);
            b = next_batch(&run);
        }
        if (new_group) {
            cdp_buf_reset(&last);
            cdp_buf_add(&last, key, klen);
        }
        batch_add_line(b, payload, plen, new_group);
    }
    cdp_buf_release(&last);
    if (b->ngroups)
        cdp_pmap_submit(run.pmap, b);
    else
        run.spare[run.nspare++] = b;
    while ((b = cdp_pmap_take(run.pmap, true)) != NULL) {
        consume(&run, b);
        run.spare[run.nspare++] = b;
    }
    phase(timing, "merged", &clock);
    uint64_t items, runs, spilled;
    cdp_extsort_counts(sort, &items, &runs, &spilled);
    cdp_report_detail(&run.report, "grouping", "runs_spilled", runs);
    cdp_report_detail(&run.report, "grouping", "bytes_spilled", spilled);

    if (run.rejects) {
        int r = cdp_output_commit(run.rejects, &err);
        run.rejects = NULL;
        if (r < 0) {
            cdp_report_error(&run.report, "%s", err.msg);
            goto done;
        }
    }
    {
        int r = cdp_output_commit(run.out, &err);
        run.out = NULL;
        if (r < 0) {
            cdp_report_error(&run.report, "%s", err.msg);
            goto done;
        }
    }
    /* The stats last: they describe a run whose output is in place. */
    if (p.io.stats && cdp_report_write_stats(&run.report, p.io.stats, NULL, &err) < 0) {
        cdp_report_error(&run.report, "%s", err.msg);
        goto done;
    }
    status = 0;
done:
    if (status != 2)
        cdp_report_summary(&run.report);
    cdp_pmap_free(run.pmap);
    for (size_t i = 0; i < run.nworkers && run.workers; i++) {
        struct worker *w = &run.workers[i];
        cdp_profile_free(w->profile);
        cdp_json_parser_free(w->json);
        cdp_record_release(&w->rec);
        for (size_t t = 0; t < p.ntraits && w->traits; t++)
            cdp_jq_free(w->traits[t]);
        free(w->traits);
        cdp_buf_release(&w->input);
        cdp_buf_release(&w->id);
        cdp_buf_release(&w->value);
    }
    free(run.workers);
    free(run.ctx);
    for (size_t i = 0; i < run.nbatches; i++) {
        struct batch *bb = &run.batches[i];
        cdp_buf_release(&bb->lines);
        cdp_buf_release(&bb->out);
        cdp_buf_release(&bb->errors);
        cdp_buf_release(&bb->rejects);
        free(bb->line_off);
        free(bb->line_len);
        free(bb->group_first);
        free(bb->trait_errors);
    }
    free(run.batches);
    free(run.spare);
    cdp_output_abort(run.out);
    cdp_output_abort(run.rejects);
    cdp_extsort_free(sort);
    cdp_json_parser_free(json);
    cdp_record_release(&rec);
    if (run.p)
        cdp_report_release(&run.report);
free_prefs:
    for (size_t i = 0; i < p.nprefer; i++)
        free(p.prefer[i]);
    free(p.prefer);
    for (size_t i = 0; i < p.nrules; i++)
        free(p.rule_fields[i]);
    free(p.rule_fields);
    free(p.rule_policies);
    for (size_t i = 0; i < p.ntraits; i++)
        free(p.traits[i].name);
    free(p.traits);
    return status;
}
