/* cdp-merge: one golden profile per person, with the behavioural traits
 * marketers segment on. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "norm/schema.h"
#include "io/rejects.h"
#include "profile/merge.h"
#include "profile/profile.h"

enum { OPT_AS_OF = CDP_OPT_PROGRAM, OPT_PREFER, OPT_RULE, OPT_TRAIT, OPT_CART_TIMEOUT, OPT_MEMORY,
       OPT_STATE, OPT_JOURNAL };

static const struct cdp_option options[] = {
    { OPT_AS_OF, "as-of", "DATE", "compute traits as of the end of DATE (YYYY-MM-DD) or\n"
                                  "as of a time (ISO 8601); default: today" },
    { OPT_PREFER, "prefer", "SRC,SRC...", "sources to trust first when values tie (e.g. crm,shop)" },
    { OPT_RULE, "rule", "FIELD=POLICY", "how FIELD survives: recent (default), prefer,\n"
                                        "frequent, first, min or max" },
    { OPT_TRAIT, "trait", "NAME=JQ", "add trait NAME, a jq expression over\n"
                                     "{profile: ..., events: [...]} (events by time)" },
    { OPT_CART_TIMEOUT, "cart-timeout", "HOURS", "a cart is abandoned after HOURS (default 24)" },
    { OPT_MEMORY, "memory", "SIZE", "group in memory up to SIZE (e.g. 512M, 2G), then\n"
                                    "spill sorted runs to $TMPDIR (default: a quarter\n"
                                    "of RAM, at most 1G)" },
    { OPT_STATE, "state", "FILE", "keep every person's records and profile in FILE\n"
                                  "from night to night, and read only the night's\n"
                                  "linked records: the profiles are those of a run\n"
                                  "on every night's input so far" },
    { OPT_JOURNAL, "journal", "FILE", "cdp-dedupe's journal: records of an id merged away\n"
                                      "count for the id that absorbed it" },
    { 0 },
};

static const struct cdp_program program = {
    .name = "cdp-merge",
    .synopsis = "[OPTION]... [FILE]...",
    .about = "Merge the records of each person (by cdp_id, from cdp-dedupe) into one golden\n"
             "profile with traits from their events; profiles come out sorted by cdp_id.\n"
             "With no FILE, or FILE '-', read stdin.\n",
    .options = options,
    .shared = CDP_SHARED_THREADS | CDP_SHARED_REJECTS | CDP_SHARED_OUTPUT | CDP_SHARED_INPUT |
              CDP_SHARED_REPORT | CDP_SHARED_RULE_BUDGET,
    .epilogue = "See cdp-merge(1).",
    .files = (const struct cdp_file_option[]){
        { OPT_STATE, CDP_FILE_INOUT }, { OPT_JOURNAL, CDP_FILE_IN }, { 0, 0 },
    },
    .operands = CDP_FILE_IN | CDP_FILE_STDIN,
};

struct prefs {
    struct cdp_io_prefs io;
    struct cdp_profile_options profile;
    char **prefer, **rule_fields;
    enum cdp_policy *rule_policies;
    struct cdp_trait *traits;
    size_t nprefer, nrules, ntraits;
    size_t memory;
    const char *state, *journal;
};

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static void add_prefer(struct prefs *p, const char *list)
{
    for (const char *s = list; *s;) {
        size_t n = strcspn(s, ",");
        if (n) {
            p->prefer = cdp_xrealloc(p->prefer, (p->nprefer + 1) * sizeof *p->prefer);
            p->prefer[p->nprefer++] = cdp_xstrndup(s, n);
        }
        s += n + (s[n] == ',');
    }
}

static int option(void *prefs, int id, const char *arg, struct cdp_cli_rest *rest)
{
    struct prefs *p = prefs;
    const char *eq = strchr(arg, '=');
    enum cdp_policy pol;
    long hours;
    (void)rest;
    switch (id) {
    case OPT_AS_OF:
        if (!cdp_parse_as_of(arg, &p->profile.as_of_day, &p->profile.as_of_ms))
            return cdp_usage_error(program.name,
                                   "--as-of takes YYYY-MM-DD, today or an ISO time, not '%s'", arg);
        break;
    case OPT_PREFER:
        add_prefer(p, arg);
        break;
    case OPT_RULE:
        if (!eq || eq == arg || !cdp_policy_parse(eq + 1, &pol))
            return cdp_usage_error(program.name, "--rule takes FIELD=POLICY (recent, prefer, "
                                                 "frequent, first, min, max), not '%s'", arg);
        if (!cdp_schema_find(arg, (size_t)(eq - arg)))
            return cdp_usage_error(program.name, "--rule %s: no field '%.*s' in the canonical schema "
                                                 "(cdp-schema(5))", arg, (int)(eq - arg), arg);
        p->rule_fields = cdp_xrealloc(p->rule_fields, (p->nrules + 1) * sizeof *p->rule_fields);
        p->rule_policies = cdp_xrealloc(p->rule_policies, (p->nrules + 1) * sizeof *p->rule_policies);
        p->rule_fields[p->nrules] = cdp_xstrndup(arg, (size_t)(eq - arg));
        p->rule_policies[p->nrules++] = pol;
        break;
    case OPT_TRAIT:
        if (!eq || eq == arg || !eq[1])
            return cdp_usage_error(program.name, "--trait takes NAME=JQ, not '%s'", arg);
        p->traits = cdp_xrealloc(p->traits, (p->ntraits + 1) * sizeof *p->traits);
        p->traits[p->ntraits++] = (struct cdp_trait){ cdp_xstrndup(arg, (size_t)(eq - arg)), eq + 1 };
        break;
    case OPT_CART_TIMEOUT:
        if (!cdp_parse_long(arg, 0, 24 * 365, &hours))
            return cdp_usage_error(program.name, "--cart-timeout takes hours, not '%s'", arg);
        p->profile.cart_timeout_ms = hours * 3600000LL;
        break;
    case OPT_MEMORY:
        if (!cdp_parse_size(arg, 65536, &p->memory))
            return cdp_usage_error(program.name,
                                   "--memory takes a size like 512M or 2G (at least 64K), not '%s'", arg);
        break;
    case OPT_STATE:
        /* Its frames are compressed one by one: the file must not be. */
        if (!*arg || !strcmp(arg, "-") || ends_with(arg, ".zst") || ends_with(arg, ".gz"))
            return cdp_usage_error(program.name, "--state takes a file name without .zst or .gz "
                                                 "(it is compressed inside), not '%s'", arg);
        p->state = arg;
        break;
    case OPT_JOURNAL:
        p->journal = arg;
        break;
    }
    return 0;
}

/* A quarter of the physical memory, at most 1G. */
static size_t default_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
    size_t quarter = pages > 0 && size > 0 ? (size_t)pages * (size_t)size / 4 : (size_t)1 << 30;
    return quarter < ((size_t)1 << 30) ? quarter : (size_t)1 << 30;
}

static int parse_args(int argc, char **argv, struct prefs *p, int *first)
{
    p->profile.as_of_day = cdp_today();
    p->profile.as_of_ms = (p->profile.as_of_day + 1) * 86400000LL;
    p->profile.cart_timeout_ms = 24 * 3600000LL;
    p->memory = default_memory();
    int status = cdp_cli_parse(&program, argc, argv, &p->io, option, p, first);
    p->profile.prefer = (const char *const *)p->prefer;
    p->profile.nprefer = p->nprefer;
    p->profile.rule_fields = (const char *const *)p->rule_fields;
    p->profile.rule_policies = p->rule_policies;
    p->profile.nrules = p->nrules;
    p->profile.keep_events = p->ntraits > 0;
    return status;
}

static void prefs_release(struct prefs *p)
{
    for (size_t i = 0; i < p->nprefer; i++)
        free(p->prefer[i]);
    for (size_t i = 0; i < p->nrules; i++)
        free(p->rule_fields[i]);
    for (size_t i = 0; i < p->ntraits; i++)
        free((char *)p->traits[i].name);
    free(p->prefer);
    free(p->rule_fields);
    free(p->rule_policies);
    free(p->traits);
}

/* Everything one run needs, so that one exit path can release it. */
struct run {
    struct prefs *p;
    struct cdp_report report;
    struct cdp_merger *merger;
    struct cdp_output *out;
    struct cdp_rejects *rejects;
    bool write_failed;
};

static void progress(void *ctx, uint64_t rows, uint64_t bytes)
{
    cdp_report_tick(&((struct run *)ctx)->report, rows, bytes);
}

static void reject(void *ctx, const struct cdp_reject *r)
{
    struct run *run = ctx;
    cdp_report_add(&run->report, "rejected", "rejected", 1);
    cdp_report_data(&run->report, r->file, r->line, "%s; line rejected", r->reason);
    if (run->rejects)
        cdp_rejects_add(run->rejects, r);
}

/* A batch of profiles, in cdp_id order: counts, messages, the profiles. */
static void consume(void *ctx, const struct cdp_merge_result *r)
{
    struct run *run = ctx;
    cdp_report_add(&run->report, "profiles", "profiles", r->profiles);
    if (r->rejects->len && run->rejects)
        cdp_rejects_add_formatted(run->rejects, r->rejects->data, r->rejects->len);
    if (r->rejected)
        cdp_report_add(&run->report, "rejected", "rejected", r->rejected);
    for (size_t t = 0; t < run->p->ntraits; t++)
        if (r->trait_errors[t])
            cdp_report_detail(&run->report, "trait_errors", run->p->traits[t].name, r->trait_errors[t]);
    for (size_t i = 0; i < r->nnotes; i++) {
        struct cdp_buf shown = CDP_BUF_INIT;
        if (r->notes[i].jq)
            cdp_report_quoted(&run->report, &shown, r->notes[i].message);
        else
            cdp_buf_adds(&shown, r->notes[i].message);
        cdp_report_data(&run->report, r->notes[i].where, 0, "%s", shown.data);
        cdp_buf_release(&shown);
    }
    if (!run->write_failed && cdp_output_write(run->out, r->out->data, r->out->len) < 0)
        run->write_failed = true; /* the error is reported at commit */
}

static int start(struct run *run, struct cdp_error *err)
{
    struct prefs *p = run->p;
    struct cdp_merger_options mo = { &p->profile, p->traits, p->ntraits, p->memory, cdp_cli_threads(&p->io),
                                     p->io.out.zstd_workers, p->state, p->journal, progress, reject,
                                     consume, run };
    size_t bad;
    if (!(run->merger = cdp_merger_new(&mo, &bad, err)))
        return bad == SIZE_MAX ? 1
                               : cdp_usage_error(program.name, "--trait %s: %s", p->traits[bad].name, err->msg);
    if (!(run->out = cdp_output_open(p->io.output, &p->io.out, err)))
        return 1;
    if (p->io.rejects && !(run->rejects = cdp_rejects_open(p->io.rejects, err)))
        return 1;
    return 0;
}

/* 1. Every record, by its person: grouped by an external sort. 2. Each
 * person's records to a worker, profiles out in cdp_id order. */
static int merge(struct run *run, int nfiles, char **files, struct cdp_error *err)
{
    int status = 0;
    for (int i = 0; i < (nfiles ? nfiles : 1) && status == 0; i++)
        status = cdp_merger_read(run->merger, nfiles ? files[i] : "-", &run->p->io.in, err);
    cdp_report_add(&run->report, "read", "records read", cdp_merger_lines(run->merger));
    cdp_report_add(&run->report, "anonymous", "anonymous events", cdp_merger_anonymous(run->merger));
    if (status < 0)
        return -1;
    cdp_report_phase(&run->report, "read");
    if (cdp_merger_sort(run->merger, err) < 0)
        return -1;
    cdp_report_phase(&run->report, "sorted");
    if (cdp_merger_write(run->merger, err) < 0)
        return -1;
    cdp_report_phase(&run->report, "merged");
    uint64_t runs, bytes;
    cdp_merger_spilled(run->merger, &runs, &bytes);
    cdp_report_detail(&run->report, "grouping", "runs_spilled", runs);
    cdp_report_detail(&run->report, "grouping", "bytes_spilled", bytes);
    if (run->p->state) {
        struct cdp_merger_state_counts c;
        cdp_merger_state_counts(run->merger, &c);
        cdp_report_detail(&run->report, "state", "profiles_restored", c.restored);
        cdp_report_detail(&run->report, "state", "profiles_remade", c.remade);
        cdp_report_detail(&run->report, "state", "persons", c.persons);
        cdp_report_detail(&run->report, "state", "records", c.lines);
    }
    return 0;
}

/* The output, rejects, stats and the state together, all or none
 * (cli/report.h), the state last: a run that fails leaves the old state
 * and the old files, so that running it again gives the same files (the
 * night's records are not kept twice: tests/fault.bats). */
static int commit(struct run *run, struct cdp_error *err)
{
    struct cdp_rejects *rejects = run->rejects;
    struct cdp_output *out = run->out;
    run->rejects = NULL;
    run->out = NULL;
    return cdp_report_commit(&run->report, out, rejects, run->p->io.stats,
                             cdp_merger_state_output(run->merger), err);
}

int main(int argc, char **argv)
{
    struct prefs p;
    memset(&p, 0, sizeof p);
    cdp_cli_start(&program, argv);
    int first;
    int status = parse_args(argc, argv, &p, &first);
    if (status >= 0) {
        prefs_release(&p);
        return status;
    }
    struct run run;
    memset(&run, 0, sizeof run);
    run.p = &p;
    cdp_report_init(&run.report, program.name);
    cdp_io_apply_report(&p.io, &run.report);
    cdp_report_add(&run.report, "read", "records read", 0);
    cdp_report_add(&run.report, "profiles", "profiles", 0);
    cdp_report_add(&run.report, "anonymous", "anonymous events", 0);
    cdp_report_add(&run.report, "rejected", "rejected", 0);
    struct cdp_error err;
    status = start(&run, &err);
    if (status == 0 && (merge(&run, argc - first, argv + first, &err) < 0 || commit(&run, &err) < 0))
        status = 1;
    if (status == 1) {
        cdp_report_error(&run.report, "%s", err.msg);
        cdp_report_unwritten(&run.report, p.io.output, "profiles");
    }
    if (status != 2)
        cdp_report_summary(&run.report);
    cdp_output_abort(run.out);
    cdp_rejects_abort(run.rejects);
    cdp_merger_free(run.merger);
    cdp_report_release(&run.report);
    prefs_release(&p);
    return status;
}
