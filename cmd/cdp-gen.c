/* cdp-gen: a synthetic retailer's nightly exports, with ground truth. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "gen/gen.h"
#include "cli/report.h"

static const char *const prog = "cdp-gen";

static void usage(void)
{
    printf("Usage: %s [OPTION]... -o DIR\n"
           "Write a furniture retailer's nightly exports, as big as asked, into DIR,\n"
           "with the truth about who is who: for trying and measuring the pipeline\n"
           "before pointing it at real data. The same options give the same bytes.\n"
           "\n"
           "  -n, --persons N            how many real customers (default 1000; 100k, 1M\n"
           "                             and up to 20M)\n"
           "  -s, --seed S               seed of the random numbers (default 1)\n"
           "      --as-of DATE           the day of the export, YYYY-MM-DD (default\n"
           "                             2026-11-20); everything happened before it\n"
           "  -e, --events-per-person K  till receipt lines and web events per person\n"
           "                             on average, most have few, some many (default 10)\n"
           "  -o, --output DIR           the folder to write to (created if missing)\n"
           "  -q, --quiet                no summary line on stderr\n"
           "      --help                 show this help\n"
           "      --version              show the version\n"
           "\n"
           "Files written:\n"
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
           "transliterated and swapped names, invalid values (0.5%%), a few physically\n"
           "broken rows, returns, abandoned carts. See the top of lib/gen/gen.c.\n",
           prog);
}

enum {
    OPT_AS_OF = CDP_OPT_FIRST_PROGRAM_OPTION,
};

static const struct option long_options[] = {
    { "persons", required_argument, NULL, 'n' },
    { "seed", required_argument, NULL, 's' },
    { "as-of", required_argument, NULL, OPT_AS_OF },
    { "events-per-person", required_argument, NULL, 'e' },
    { "output", required_argument, NULL, 'o' },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, CDP_OPT_HELP },
    { "version", no_argument, NULL, CDP_OPT_VERSION },
    { NULL, 0, NULL, 0 },
};

struct prefs {
    struct cdp_io_prefs io;
    struct cdp_gen_options gen;
};

/* "1000", "100k", "1M": a count with an optional k (thousand) or M
 * (million) suffix. */
static bool parse_count(const char *s, long max, long *out)
{
    char num[32];
    size_t n = strlen(s);
    long mult = 1;
    if (n == 0 || n >= sizeof num)
        return false;
    memcpy(num, s, n + 1);
    if (num[n - 1] == 'k' || num[n - 1] == 'K')
        mult = 1000;
    else if (num[n - 1] == 'M' || num[n - 1] == 'm')
        mult = 1000000;
    if (mult > 1)
        num[n - 1] = '\0';
    long v;
    if (!cdp_parse_long(num, 1, max / mult, &v) || v * mult > max)
        return false;
    *out = v * mult;
    return true;
}

static int parse_args(int argc, char **argv, struct prefs *p)
{
    long v;
    int c;
    p->gen.persons = 1000;
    p->gen.seed = 1;
    p->gen.events_per_person = 10;
    if (!cdp_parse_day("2026-11-20", &p->gen.as_of_day))
        return 2;
    while ((c = getopt_long(argc, argv, "n:s:e:o:q", long_options, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (!parse_count(optarg, CDP_GEN_MAX_PERSONS, &v))
                return cdp_usage_error(
                    prog, "--persons takes a number 1 to 20M (like 1000, 100k, 1M), not '%s'",
                    optarg);
            p->gen.persons = (uint64_t)v;
            break;
        case 's':
            if (!cdp_parse_long(optarg, 0, LONG_MAX, &v))
                return cdp_usage_error(prog, "--seed takes a whole number, not '%s'", optarg);
            p->gen.seed = (uint64_t)v;
            break;
        case OPT_AS_OF: {
            int64_t day;
            /* 1990 or later: the CRM's history goes ten years back, and
             * birth dates 86 years. */
            if (strcmp(optarg, "today") == 0 || !cdp_parse_day(optarg, &day) || day < 7305)
                return cdp_usage_error(
                    prog, "--as-of takes a date YYYY-MM-DD from 1990 on, not '%s'", optarg);
            p->gen.as_of_day = day;
            break;
        }
        case 'e':
            if (!cdp_parse_long(optarg, 0, 1000, &v))
                return cdp_usage_error(
                    prog, "--events-per-person takes a number 0 to 1000, not '%s'", optarg);
            p->gen.events_per_person = (unsigned)v;
            break;
        default: {
            int k = cdp_io_option(&p->io, prog, c, optarg);
            if (k == 1)
                break;
            if (k == 2)
                return 2;
            fprintf(stderr, "Try '%s --help' for more information.\n", prog);
            return 2;
        }
        }
    }
    if (p->io.help || p->io.version)
        return 0;
    if (optind < argc)
        return cdp_usage_error(prog, "unexpected argument '%s'", argv[optind]);
    if (!p->io.output || !*p->io.output)
        return cdp_usage_error(prog, "-o DIR is required");
    if ((double)p->gen.persons * p->gen.events_per_person > CDP_GEN_MAX_EVENTS)
        return cdp_usage_error(prog,
                               "at most %.0f events in all: lower --persons or --events-per-person",
                               (double)CDP_GEN_MAX_EVENTS);
    p->gen.dir = p->io.output;
    return 0;
}

int main(int argc, char **argv)
{
    struct prefs p;
    memset(&p, 0, sizeof p);
    cdp_io_prefs_init(&p.io);
    int status = parse_args(argc, argv, &p);
    if (status || p.io.help || p.io.version) {
        if (!status && p.io.help)
            usage();
        else if (!status)
            cdp_print_version(prog);
        return status;
    }

    struct cdp_report report;
    cdp_report_init(&report, prog);
    cdp_io_apply_report(&p.io, &report);
    report.progress = false;
    struct cdp_gen_counts counts;
    struct cdp_error err;
    status = 0;
    if (cdp_gen_run(&p.gen, &counts, &err) < 0) {
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
