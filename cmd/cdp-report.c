/* cdp-report: what the nightly run found, and whether the campaigns
 * worked, as one HTML page (and every figure as JSON). */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "insight/figjson.h"
#include "insight/figures.h"
#include "insight/page.h"
#include "io/output.h"

enum { OPT_JSON = CDP_OPT_PROGRAM, OPT_LANG, OPT_CAMPAIGN, OPT_WINDOW, OPT_TITLE };

static const struct cdp_option options[] = {
    { OPT_JSON, "json", "FILE", "write every figure of the page as JSON" },
    { OPT_LANG, "lang", "LANG", "the page's language: en or ru (default: from\n"
                                "LC_ALL, LC_MESSAGES or LANG, else en)" },
    { OPT_CAMPAIGN, "campaign", "SEGMENT@DATE", "a campaign sent to SEGMENT on DATE: compare\n"
                                                "who got it with the control group" },
    { OPT_WINDOW, "window", "DAYS", "days after DATE a purchase counts (default 14)" },
    { OPT_TITLE, "title", "TEXT", "the shop's name, at the top of the page" },
    { 0 },
};

static const struct cdp_program program = {
    .name = "cdp-report",
    .synopsis = "[OPTION]... [DIR]",
    .about = "Write the nightly report, one HTML page, from what a nightly run left in DIR\n"
             "(default: the current folder): the run, identity, audiences, campaigns against\n"
             "their control groups, carts and categories.\n",
    .options = options,
    .shared = CDP_SHARED_OUTPUT | CDP_SHARED_REPORT,
    .epilogue = "See cdp-report(1).",
    .files = (const struct cdp_file_option[]){
        { OPT_JSON, CDP_FILE_OUT }, { 0, 0 },
    },
    .operands = CDP_FILE_IN,
};

struct prefs {
    struct cdp_io_prefs io;
    const char *json, *title, *dir;
    enum cdp_lang lang;
    struct cdp_campaign_spec *campaigns;
    size_t ncampaigns;
    long window;
};

static int option(void *prefs, int id, const char *arg, struct cdp_cli_rest *rest)
{
    (void)rest;
    struct prefs *p = prefs;
    struct cdp_campaign_spec spec;
    switch (id) {
    case OPT_JSON: p->json = arg; break;
    case OPT_TITLE: p->title = arg; break;
    case OPT_LANG:
        if (!cdp_lang_parse(arg, &p->lang))
            return cdp_usage_error(program.name, "--lang takes en or ru, not '%s'", arg);
        break;
    case OPT_CAMPAIGN:
        if (!cdp_campaign_spec_parse(arg, &spec))
            return cdp_usage_error(program.name, "--campaign takes SEGMENT@YYYY-MM-DD, not '%s'", arg);
        p->campaigns = cdp_xrealloc(p->campaigns, (p->ncampaigns + 1) * sizeof *p->campaigns);
        p->campaigns[p->ncampaigns++] = spec;
        break;
    case OPT_WINDOW:
        if (!cdp_parse_long(arg, 1, 3650, &p->window))
            return cdp_usage_error(program.name, "--window takes days, 1 to 3650, not '%s'", arg);
        break;
    }
    return 0;
}

/* The language of the environment, as gettext would pick it. */
static enum cdp_lang environment_lang(void)
{
    static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };
    enum cdp_lang lang = CDP_LANG_EN;
    for (size_t i = 0; i < 3; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v) {
            cdp_lang_parse(v, &lang);
            break;
        }
    }
    return lang;
}

static int parse_args(int argc, char **argv, struct prefs *p)
{
    p->lang = environment_lang();
    p->window = 14;
    int first, status = cdp_cli_parse(&program, argc, argv, &p->io, option, p, &first);
    if (status >= 0)
        return status;
    if (argc - first > 1)
        return cdp_usage_error(program.name, "one run folder only, not %d", argc - first);
    p->dir = first < argc ? argv[first] : ".";
    return -1;
}

/* Whether the page goes into the run folder itself (its links to the
 * rejects files can then be bare names). */
static bool beside(const char *output, const char *dir)
{
    if (!output)
        return false;
    char *a = realpath(dir, NULL);
    const char *slash = strrchr(output, '/');
    char *parent = slash ? strndup(output, (size_t)(slash - output + (slash == output))) : strdup(".");
    char *b = realpath(parent, NULL);
    bool same = a && b && !strcmp(a, b);
    free(a);
    free(b);
    free(parent);
    return same;
}

/* Writes text to path atomically (io/output.h). */
static int write_file(const char *path, const struct cdp_output_options *o, const struct cdp_buf *text,
                      struct cdp_error *err)
{
    struct cdp_output *out = cdp_output_open(path, o, err);
    if (!out)
        return -1;
    if (cdp_output_write(out, text->data, text->len) < 0) {
        cdp_output_abort(out);
        return cdp_errorf(err, "%s: cannot write", path ? path : "stdout");
    }
    return cdp_output_commit(out, err);
}

static void report_problems(struct cdp_report *rep, const struct cdp_insight *fig)
{
    for (size_t i = 0; i < fig->nproblems; i++)
        if (fig->problems[i].error) {
            cdp_report_data(rep, NULL, 0, "%s", fig->problems[i].text);
            cdp_report_add(rep, "problems", "problems", 1);
        }
}

int main(int argc, char **argv)
{
    struct prefs p;
    memset(&p, 0, sizeof p);
    cdp_cli_start(&program, argv);
    int status = parse_args(argc, argv, &p);
    if (status >= 0) {
        free(p.campaigns);
        return status;
    }
    struct cdp_report rep;
    cdp_report_init(&rep, program.name);
    cdp_io_apply_report(&p.io, &rep);
    cdp_report_add(&rep, "problems", "problems", 0);
    struct cdp_insight fig;
    struct cdp_insight_options opt = { p.dir, p.campaigns, p.ncampaigns, (int)p.window, p.io.show_values };
    size_t errors = cdp_insight_read(&opt, &fig);
    report_problems(&rep, &fig);
    cdp_report_add(&rep, "campaigns", "campaigns", fig.ncampaigns);
    struct cdp_buf page = CDP_BUF_INIT, json = CDP_BUF_INIT;
    struct cdp_page_options po = { p.lang, p.title, p.dir, beside(p.io.output, p.dir) };
    cdp_insight_page(&fig, &po, &page);
    struct cdp_error err;
    struct cdp_output_options plain = { 0 };
    status = errors ? 1 : 0;
    if (p.json) {
        cdp_insight_json(&fig, &json);
        if (write_file(p.json, &plain, &json, &err) < 0)
            status = 1, cdp_report_error(&rep, "%s", err.msg);
    }
    if (p.io.stats && cdp_report_write_stats(&rep, p.io.stats, NULL, &err) < 0)
        status = 1, cdp_report_error(&rep, "%s", err.msg);
    if (write_file(p.io.output, &p.io.out, &page, &err) < 0)
        status = 1, cdp_report_error(&rep, "%s", err.msg);
    cdp_report_summary(&rep);
    cdp_buf_release(&page);
    cdp_buf_release(&json);
    cdp_insight_release(&fig);
    cdp_report_release(&rep);
    free(p.campaigns);
    return status;
}
