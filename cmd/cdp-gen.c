/* cdp-gen: a synthetic retailer's nightly exports, with ground truth. */
#include <limits.h>
#include <string.h>

#include "cli/cli.h"
#include "gen/gen.h"

enum { OPT_AS_OF = CDP_OPT_PROGRAM };

static const struct cdp_option options[] = {
    { 'n', "persons", "N", "how many real customers (default 1000; 100k, 1M\nand up to 20M)" },
    { 's', "seed", "S", "seed of the random numbers (default 1)" },
    { OPT_AS_OF, "as-of", "DATE", "the day of the export, YYYY-MM-DD (default\n"
                                  "2026-11-20); everything happened before it" },
    { 'e', "events-per-person", "K", "till receipt lines and web events per person\n"
                                     "on average, most have few, some many (default 10)" },
    { 'o', "output", "DIR", "the folder to write to (created if missing)" },
    { 0 },
};

static const struct cdp_program program = {
    .name = "cdp-gen",
    .synopsis = "[OPTION]... -o DIR",
    .about = "Write a furniture retailer's nightly exports, as big as asked, into DIR,\n"
             "with the truth about who is who: for trying and measuring the pipeline\n"
             "before pointing it at real data. The same options give the same bytes.\n",
    .options = options,
    .shared = CDP_SHARED_QUIET,
    .epilogue = "Files written:\n"
                "  crm.csv                1C CRM customers: Windows-1251, ';', CRLF\n"
                "                         (share/cdp/maps/crm-1c.map)\n"
                "  shop-customers.jsonl   online-shop accounts (shop.map)\n"
                "  pos-receipts.csv       till receipt lines: UTF-8 with BOM, ';', CRLF (pos.map)\n"
                "  web-events.ndjson.zst  site and app events (web.map)\n"
                "  truth.csv              _source,_rid,person for every row of the four:\n"
                "                         the _rid cdp-ingest gives the row with those maps,\n"
                "                         and the real person (p0000001...; '-': anonymous)\n"
                "\n"
                "The data holds the traps real exports hold: frequent names and namesakes,\n"
                "families sharing an e-mail or a home phone, customers registered twice\n"
                "with a typo, cashiers' placeholder phones, phones in every format,\n"
                "transliterated and swapped names, invalid values (0.5%), a few physically\n"
                "broken rows, returns, abandoned carts. See cdp-gen(1) and lib/gen/gen.c.",
};

static int option(void *prefs, int id, const char *arg, struct cdp_cli_rest *rest)
{
    struct cdp_gen_options *g = prefs;
    long v;
    (void)rest;
    switch (id) {
    case 'n':
        if (!cdp_parse_count(arg, CDP_GEN_MAX_PERSONS, &v))
            return cdp_usage_error(program.name,
                                   "--persons takes a number 1 to 20M (like 1000, 100k, 1M), not '%s'", arg);
        g->persons = (uint64_t)v;
        break;
    case 's':
        if (!cdp_parse_long(arg, 0, LONG_MAX, &v))
            return cdp_usage_error(program.name, "--seed takes a whole number, not '%s'", arg);
        g->seed = (uint64_t)v;
        break;
    case OPT_AS_OF:
        /* 1990 or later: the CRM's history goes ten years back, and birth
         * dates 86 years. */
        if (strcmp(arg, "today") == 0 || !cdp_parse_day(arg, &g->as_of_day) || g->as_of_day < 7305)
            return cdp_usage_error(program.name, "--as-of takes a date YYYY-MM-DD from 1990 on, not '%s'",
                                   arg);
        break;
    case 'e':
        if (!cdp_parse_long(arg, 0, 1000, &v))
            return cdp_usage_error(program.name, "--events-per-person takes a number 0 to 1000, not '%s'",
                                   arg);
        g->events_per_person = (unsigned)v;
        break;
    case 'o':
        g->dir = arg;
        break;
    }
    return 0;
}

static int parse_args(int argc, char **argv, struct cdp_io_prefs *io, struct cdp_gen_options *g)
{
    int first;
    g->persons = 1000;
    g->seed = 1;
    g->events_per_person = 10;
    cdp_parse_day("2026-11-20", &g->as_of_day);
    int status = cdp_cli_parse(&program, argc, argv, io, option, g, &first);
    if (status >= 0)
        return status;
    if (first < argc)
        return cdp_usage_error(program.name, "unexpected argument '%s'", argv[first]);
    if (!g->dir || !*g->dir)
        return cdp_usage_error(program.name, "-o DIR is required");
    if ((double)g->persons * g->events_per_person > CDP_GEN_MAX_EVENTS)
        return cdp_usage_error(program.name, "at most %.0f events in all: lower --persons or --events-per-person",
                               (double)CDP_GEN_MAX_EVENTS);
    return -1;
}

int main(int argc, char **argv)
{
    struct cdp_io_prefs io;
    struct cdp_gen_options gen;
    memset(&gen, 0, sizeof gen);
    cdp_cli_start(&program, argv);
    int status = parse_args(argc, argv, &io, &gen);
    if (status >= 0)
        return status;

    struct cdp_report report;
    cdp_report_init(&report, program.name);
    cdp_io_apply_report(&io, &report);
    report.progress = false;
    struct cdp_gen_counts counts;
    struct cdp_error err;
    status = 0;
    if (cdp_gen_run(&gen, &counts, &err) < 0) {
        cdp_report_error(&report, "%s", err.msg);
        status = 1;
    } else {
        cdp_report_add(&report, "persons", "persons", counts.persons);
        cdp_report_add(&report, "crm", "CRM rows", counts.crm);
        cdp_report_add(&report, "shop", "shop accounts", counts.shop);
        cdp_report_add(&report, "pos", "receipt lines", counts.pos);
        cdp_report_add(&report, "web", "web events", counts.web);
        cdp_report_summary(&report);
    }
    cdp_report_release(&report);
    return status;
}
