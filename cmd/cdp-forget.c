/* cdp-forget: erase a person from every file the nightly run keeps, and
 * keep them out of the next nights (the right to be forgotten). */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "forget/forget.h"
#include "identity/keys.h"

enum {
    OPT_EMAIL = CDP_OPT_PROGRAM, OPT_PHONE, OPT_CARD, OPT_CUSTOMER_ID, OPT_CDP_ID, OPT_LIST, OPT_STATE,
    OPT_JOURNAL, OPT_LINKS, OPT_MERGE_STATE, OPT_EXPORT, OPT_FORGOTTEN, OPT_REGION, OPT_MAX_PERSONS, OPT_BLOCK_VALUE,
    OPT_BLOCK_FILE, OPT_DRY_RUN,
};

static const struct cdp_option options[] = {
    { OPT_EMAIL, "email", "E", "the person with this e-mail (repeatable)" },
    { OPT_PHONE, "phone", "P", "the person with this phone (repeatable)" },
    { OPT_CARD, "card", "C", "the person with this loyalty card (repeatable)" },
    { OPT_CUSTOMER_ID, "customer-id", "ID", "the person with this customer id (repeatable)" },
    { OPT_CDP_ID, "cdp-id", "ID", "the person with this cdp_id (repeatable)" },
    { OPT_LIST, "list", "FILE", "identifiers from FILE, one FIELD=VALUE a line\n"
                                "(email=..., phone=..., card=..., customer_id=...,\n"
                                "cdp_id=...)" },
    { OPT_STATE, "state", "FILE", "cdp-dedupe's state: who the identifiers belong to\n(required)" },
    { OPT_JOURNAL, "journal", "FILE", "cdp-dedupe's journal: their merged ids; lines\n"
                                      "removed (repeatable: copies of earlier nights)" },
    { OPT_LINKS, "links", "FILE", "a cdp-dedupe links file: lines removed" },
    { OPT_MERGE_STATE, "merge-state", "FILE", "cdp-merge's --state: their records and profiles\n"
                                              "removed" },
    { OPT_EXPORT, "export", "FILE", "a file of cdp-export (its output, or a baseline\n"
                                    "of --full or --removed): rows removed (repeatable)" },
    { OPT_FORGOTTEN, "forgotten", "FILE", "the forget list to add them to (FILE.secret\n"
                                          "beside it)" },
    { OPT_REGION, "region", "CC", "country of phones written without a code (RU)" },
    { OPT_MAX_PERSONS, "max-persons", "N", "stop when an identifier belongs to more than N\n"
                                           "persons (default 1)" },
    { OPT_BLOCK_VALUE, "block-value", "REGEX", "values matching REGEX are nobody's (as for\ncdp-dedupe)" },
    { OPT_BLOCK_FILE, "block-file", "FILE", "nor are the values listed in FILE" },
    { OPT_DRY_RUN, "dry-run", NULL, "count what would be removed, change nothing" },
    { 0 },
};

static const struct cdp_program program = {
    .name = "cdp-forget",
    .synopsis = "--state FILE IDENTIFIER... [OPTION]... [FILE]...",
    .about = "Remove the persons the identifiers belong to from cdp-dedupe's state, journal\n"
             "and links, from cdp-merge's state, from the record files (FILE: canonical,\n"
             "linked, profiles, segments) and from the export files, all or none, and put\n"
             "them on the forget list.\n"
             "IDENTIFIER is --email, --phone, --card, --customer-id, --cdp-id or --list.\n",
    .options = options,
    .shared = CDP_SHARED_STATS | CDP_SHARED_QUIET,
    .epilogue = "See cdp-forget(1).",
    /* every file named is rewritten without the persons, except the lists
     * and --block-file; the journal and segment files the report keeps are
     * hard links of the night's (nightly.sh) */
    .files = (const struct cdp_file_option[]){
        { OPT_LIST, CDP_FILE_IN }, { OPT_STATE, CDP_FILE_INOUT },
        { OPT_JOURNAL, CDP_FILE_INOUT | CDP_FILE_MANY }, { OPT_LINKS, CDP_FILE_INOUT },
        { OPT_MERGE_STATE, CDP_FILE_INOUT },
        { OPT_EXPORT, CDP_FILE_INOUT | CDP_FILE_MANY }, { OPT_FORGOTTEN, CDP_FILE_INOUT },
        { OPT_BLOCK_FILE, CDP_FILE_IN }, { 0, 0 },
    },
    .operands = CDP_FILE_INOUT | CDP_FILE_MANY,
};

struct list {
    const char **v;
    size_t n;
};

/* An identifier as given: field and value. */
struct given {
    const char *field, *value;
};

struct prefs {
    struct cdp_io_prefs io;
    struct cdp_forget_options forget;
    struct cdp_keyset *blocks;
    struct given *given;
    size_t ngiven;
    struct list lists, exports, journals;
};

static void push(struct list *l, const char *s)
{
    l->v = cdp_xrealloc(l->v, (l->n + 1) * sizeof *l->v);
    l->v[l->n++] = s;
}

static void give(struct prefs *p, const char *field, const char *value)
{
    p->given = cdp_xrealloc(p->given, (p->ngiven + 1) * sizeof *p->given);
    p->given[p->ngiven++] = (struct given){ field, value };
}

static int option(void *prefs, int id, const char *arg, struct cdp_cli_rest *rest)
{
    struct prefs *p = prefs;
    struct cdp_error err;
    long n;
    (void)rest;
    switch (id) {
    case OPT_EMAIL: give(p, "email", arg); break;
    case OPT_PHONE: give(p, "phone", arg); break;
    case OPT_CARD: give(p, "card", arg); break;
    case OPT_CUSTOMER_ID: give(p, "customer_id", arg); break;
    case OPT_CDP_ID: give(p, "cdp_id", arg); break;
    case OPT_LIST: push(&p->lists, arg); break;
    case OPT_STATE: p->forget.state = arg; break;
    case OPT_JOURNAL: push(&p->journals, arg); break;
    case OPT_LINKS: p->forget.links = arg; break;
    case OPT_MERGE_STATE: p->forget.merge_state = arg; break;
    case OPT_EXPORT: push(&p->exports, arg); break;
    case OPT_FORGOTTEN: p->forget.forgotten = arg; break;
    case OPT_REGION: p->forget.region = arg; break;
    case OPT_MAX_PERSONS:
        if (!cdp_parse_long(arg, 1, 1000000, &n))
            return cdp_usage_error(program.name, "--max-persons takes a number of persons (1 or more), not '%s'", arg);
        p->forget.max_persons = (unsigned)n;
        break;
    case OPT_BLOCK_VALUE:
        if (cdp_keyset_block_regex(p->blocks, arg, &err) < 0)
            return cdp_usage_error(program.name, "--block-value: %s", err.msg);
        break;
    case OPT_BLOCK_FILE:
        if (cdp_keyset_block_file(p->blocks, arg, &err) < 0)
            return cdp_usage_error(program.name, "--block-file: %s", err.msg);
        break;
    case OPT_DRY_RUN: p->forget.dry_run = true; break;
    }
    return 0;
}

/* What the options mean together; the identifiers normalised. Returns -1
 * to go on, or 2. */
static int check_args(struct prefs *p, int nfiles, char **files, struct cdp_forget **forget)
{
    struct cdp_error err;
    if (!p->forget.state)
        return cdp_usage_error(program.name, "--state FILE is required: it says whose records are whose");
    if (!p->ngiven && !p->lists.n)
        return cdp_usage_error(program.name, "whom to forget? give --email, --phone, --card, --customer-id, "
                                             "--cdp-id or --list");
    for (int i = 0; i < nfiles; i++)
        if (strcmp(files[i], "-") == 0)
            return cdp_usage_error(program.name, "'-': files are rewritten in place; name them");
    cdp_keyset_default_blocks(p->blocks);
    p->forget.blocks = p->blocks;
    p->forget.records = (const char *const *)files;
    p->forget.nrecords = (size_t)nfiles;
    p->forget.exports = p->exports.v;
    p->forget.nexports = p->exports.n;
    p->forget.journals = p->journals.v;
    p->forget.njournals = p->journals.n;
    if (!(*forget = cdp_forget_new(&p->forget, &err)))
        return cdp_usage_error(program.name, "--region: %s", err.msg);
    for (size_t i = 0; i < p->ngiven; i++)
        if (cdp_forget_add(*forget, p->given[i].field, p->given[i].value, strlen(p->given[i].value), &err) < 0)
            return cdp_usage_error(program.name, "--%s: %s",
                                   strcmp(p->given[i].field, "customer_id") == 0 ? "customer-id"
                                   : strcmp(p->given[i].field, "cdp_id") == 0    ? "cdp-id"
                                                                                 : p->given[i].field,
                                   err.msg);
    for (size_t i = 0; i < p->lists.n; i++)
        if (cdp_forget_add_file(*forget, p->lists.v[i], &err) < 0)
            return cdp_usage_error(program.name, "--list: %s", err.msg);
    return -1;
}

/* The summary's counts, and per file what was removed (--stats). */
static void count(struct cdp_report *r, const struct cdp_forget_result *res, bool dry_run)
{
    uint64_t removed = 0, changed = 0;
    for (size_t i = 0; i < res->nfiles; i++) {
        removed += res->files[i].removed;
        changed += res->files[i].removed > 0;
        cdp_report_detail(r, "removed", res->files[i].path, res->files[i].removed);
    }
    cdp_report_add(r, "identifiers", "identifiers", res->identifiers);
    cdp_report_add(r, "unknown", "unknown", res->unknown);
    cdp_report_add(r, "persons", "persons found", res->persons);
    cdp_report_add(r, "ids", NULL, res->ids);
    cdp_report_add(r, "records", NULL, res->records);
    cdp_report_add(r, "shared", NULL, res->shared);
    cdp_report_add(r, "removed", dry_run ? "lines to remove" : "lines removed", removed);
    cdp_report_add(r, "files_changed", dry_run ? "files to change" : "files changed", changed);
    cdp_report_add(r, "files_unchanged", "unchanged", res->nfiles - changed);
    cdp_report_add(r, "listed", "added to the forget list", res->listed);
}

/* Where and how much: one line a file changed (--stats has them all). */
static void show_files(struct cdp_report *r, const struct cdp_forget_result *res, bool dry_run)
{
    const char *would = dry_run ? "would be " : "";
    for (size_t i = 0; !r->quiet && i < res->nfiles; i++) {
        const struct cdp_forget_file *e = &res->files[i];
        if (!e->removed)
            continue;
        unsigned long long n = e->removed, all = e->kept + e->removed;
        if (strcmp(e->kind, "forget list") == 0)
            cdp_report_data(r, e->path, 0, "%llu entries %sadded (%llu in all)", n, would, all);
        else if (strcmp(e->kind, "state") == 0)
            cdp_report_data(r, e->path, 0, "%llu lines %sremoved (state)", n, would);
        else
            cdp_report_data(r, e->path, 0, "%llu of %llu lines %sremoved (%s)", n, all, would, e->kind);
    }
}

/* Find, write the new versions and --stats, then replace them all: a
 * failure changes no file. */
static int forget_run(struct cdp_forget *forget, const struct prefs *p, struct cdp_report *rep)
{
    struct cdp_error err;
    int status = cdp_forget_find(forget, &err) < 0 || cdp_forget_stage(forget, &err) < 0;
    struct cdp_output *stats = NULL;
    if (status == 0) {
        count(rep, cdp_forget_result(forget), p->forget.dry_run);
        status = p->io.stats && !(stats = cdp_report_stats_output(rep, p->io.stats, NULL, &err));
    }
    if (status == 0)
        status = cdp_forget_commit(forget, stats, &err) < 0;
    if (status) {
        cdp_report_error(rep, "%s", err.msg);
        return 1;
    }
    show_files(rep, cdp_forget_result(forget), p->forget.dry_run);
    cdp_report_summary(rep);
    return 0;
}

int main(int argc, char **argv)
{
    struct prefs p;
    memset(&p, 0, sizeof p);
    p.blocks = cdp_keyset_new();
    cdp_cli_start(&program, argv);
    int first;
    struct cdp_forget *forget = NULL;
    int status = cdp_cli_parse(&program, argc, argv, &p.io, option, &p, &first);
    if (status < 0)
        status = check_args(&p, argc - first, argv + first, &forget);
    if (status < 0) {
        struct cdp_report rep;
        cdp_report_init(&rep, program.name);
        cdp_io_apply_report(&p.io, &rep);
        rep.max_messages = 1000000; /* one line a file: none hidden */
        status = forget_run(forget, &p, &rep);
        cdp_report_release(&rep);
    }
    cdp_forget_free(forget);
    cdp_keyset_free(p.blocks);
    free(p.given);
    free(p.lists.v);
    free(p.exports.v);
    free(p.journals.v);
    return status;
}
