/* cdp-recommend: what to offer each customer, learnt from purchases, carts
 * and views. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "io/output.h"
#include "io/rejects.h"
#include "norm/event.h"
#include "recommend/catalog.h"
#include "recommend/evaluate.h"
#include "recommend/exclude.h"
#include "recommend/activity.h"
#include "recommend/pairs.h"
#include "recommend/score.h"
#include "recommend/write.h"
#include "rules/jq.h"

enum {
    OPT_SIMILAR = CDP_OPT_PROGRAM, OPT_EVALUATE, OPT_AS_OF, OPT_WEIGHT, OPT_HALF_LIFE,
    OPT_POPULAR_HALF_LIFE, OPT_POPULAR_WEIGHT, OPT_VIEWED, OPT_MIX_VIEWED, OPT_FALLBACK, OPT_BASKET,
    OPT_SIMILARITY, OPT_MIN_COUNT, OPT_MIN_SUPPORT, OPT_MIN_CONFIDENCE, OPT_NEIGHBOURS, OPT_MAX_BASKET,
    OPT_EXCLUDE_BOUGHT, OPT_EXCLUDE_CATEGORY, OPT_CATEGORY_RULES, OPT_CATALOG, OPT_FILTER,
};

static const struct cdp_option options[] = {
    { OPT_SIMILAR, "similar", NULL, "write each item's most similar items (bought\n"
                                    "together), not recommendations per person" },
    { OPT_EVALUATE, "evaluate", "DATE", "learn before DATE, score the purchases from\n"
                                        "DATE on: precision, recall, hit rate and NDCG\n"
                                        "at N, for the recommender and for popularity" },
    { 'n', "top", "N", "N items per person or per item (default 10)" },
    { 'f', "format", "FMT", "ndjson (default) or csv, one row per list entry\n"
                            "(default csv when -o names a .csv or .csv.zst)" },
    { OPT_AS_OF, "as-of", "DATE", "learn from what happened before the end of DATE\n"
                                  "(YYYY-MM-DD) or an ISO time (default: the\n"
                                  "latest event)" },
    { OPT_WEIGHT, "weight", "EVENT=W", "weight of an event kind (purchase 4, cart_add\n"
                                       "3, view 1, cart_remove -1, return -4, other 0)" },
    { OPT_HALF_LIFE, "half-life", "DAYS", "an event counts half as much every DAYS\n"
                                          "before --as-of (default 30; 0: no decay)" },
    { OPT_POPULAR_HALF_LIFE, "popular-half-life", "N", "a purchase counts half as much in popularity\n"
                                                       "every N days (default 7; 0: count buyers)" },
    { OPT_POPULAR_WEIGHT, "popular-weight", "W", "popularity's share of a bought-together score,\n"
                                                 "0 to 1 (default 0.2; 0: SAR's score alone)" },
    { OPT_VIEWED, "viewed", "N", "add the N items viewed last, as a reminder\n"
                                 "list (default 5; 0: no list)" },
    { OPT_MIX_VIEWED, "mix-viewed", NULL, "items viewed or in the cart may be recommended" },
    { OPT_FALLBACK, "fallback", "LIST", "fill short lists from category,popular\n"
                                        "(default), popular, category or none" },
    { OPT_BASKET, "basket", "KIND", "what together means: order (default: one order\n"
                                    "or receipt) or person (all one person bought)" },
    { OPT_SIMILARITY, "similarity", "SIM", "jaccard (default), lift, count or confidence" },
    { OPT_MIN_COUNT, "min-count", "N", "keep pairs in at least N baskets (default 1)" },
    { OPT_MIN_SUPPORT, "min-support", "X", "keep pairs with support at least X (default 0)" },
    { OPT_MIN_CONFIDENCE, "min-confidence", "X", "keep pairs with confidence at least X\n"
                                                 "(default 0)" },
    { OPT_NEIGHBOURS, "neighbours", "K", "keep each item's K most similar items\n"
                                         "(default 1000; 0: all)" },
    { OPT_MAX_BASKET, "max-basket", "N", "leave out baskets of more than N items\n"
                                         "(default 1000; 0: none)" },
    { OPT_EXCLUDE_BOUGHT, "exclude-bought", "DAYS", "do not offer items bought within DAYS, all\n"
                                                    "(default) or 0 (offer them again)" },
    { OPT_EXCLUDE_CATEGORY, "exclude-category-bought", "CATEGORY=DAYS",
      "offer nothing of CATEGORY to who bought in it\nwithin DAYS (repeatable)" },
    { OPT_CATEGORY_RULES, "category-rules", "FILE", "read CATEGORY=DAYS lines from FILE" },
    { OPT_CATALOG, "catalog", "FILE", "offer only items of FILE (CSV or NDJSON: sku,\n"
                                      "category, price, in_stock) that are in stock" },
    { OPT_FILTER, "filter", "JQ", "offer only items for which JQ is true (on the\n"
                                  "catalogue row, or {sku, category, price})" },
    { 0 },
};

static const struct cdp_program program = {
    .name = "cdp-recommend",
    .synopsis = "[OPTION]... [FILE]...",
    .about = "Recommend items to each person (by cdp_id, from cdp-dedupe) from what\n"
             "people bought, put in carts and viewed; or list the items bought together.\n"
             "With no FILE, or FILE '-', read stdin.\n",
    .options = options,
    .shared = CDP_SHARED_THREADS | CDP_SHARED_REJECTS | CDP_SHARED_OUTPUT | CDP_SHARED_INPUT |
              CDP_SHARED_REPORT,
    .epilogue = "See cdp-recommend(1).",
    .files = (const struct cdp_file_option[]){
        { OPT_CATEGORY_RULES, CDP_FILE_IN }, { OPT_CATALOG, CDP_FILE_IN }, { 0, 0 },
    },
    .operands = CDP_FILE_IN | CDP_FILE_STDIN,
};

struct prefs {
    struct cdp_io_prefs io;
    bool similar, as_of_given, format_given;
    struct cdp_rec_writing writing;
    const char *evaluate, *catalog, *filter;
    int64_t split_ms;
    enum cdp_basket_kind basket;
    struct cdp_pairs_options pairs;
    struct cdp_score_options score;
    struct cdp_category_rules rules;
};

/* The options that take a number: its range, and whether it is whole. */
static const struct {
    int id;
    double min, max;
    bool whole;
} numbers[] = {
    { 'n', 1, 1000, true },          { OPT_HALF_LIFE, 0, 100000, false },
    { OPT_POPULAR_HALF_LIFE, 0, 100000, false }, { OPT_POPULAR_WEIGHT, 0, 1, false },
    { OPT_VIEWED, 0, 1000, true },   { OPT_MIN_COUNT, 1, 1e9, true },
    { OPT_MIN_SUPPORT, 0, 1, false }, { OPT_MIN_CONFIDENCE, 0, 1, false },
    { OPT_NEIGHBOURS, 0, 1e9, true }, { OPT_MAX_BASKET, 0, 1e9, true },
};

/* Reads the number of option id into *v: 1, or 0 when the option takes no
 * number, or 2 after a usage error. */
static int number(int id, const char *arg, double *v)
{
    for (size_t i = 0; i < sizeof numbers / sizeof *numbers; i++) {
        if (numbers[i].id != id)
            continue;
        long n;
        bool ok = numbers[i].whole ? cdp_parse_long(arg, (long)numbers[i].min, (long)numbers[i].max, &n)
                                   : cdp_parse_double(arg, numbers[i].min, numbers[i].max, v);
        if (numbers[i].whole)
            *v = (double)n;
        if (ok)
            return 1;
        const struct cdp_option *o = options;
        while (o->id != id)
            o++;
        cdp_usage_error(program.name, "--%s takes a %snumber from %g to %g, not '%s'", o->name,
                        numbers[i].whole ? "whole " : "", numbers[i].min, numbers[i].max, arg);
        return 2;
    }
    return 0;
}

static int option(void *prefs, int id, const char *arg, struct cdp_cli_rest *rest)
{
    struct prefs *p = prefs;
    struct cdp_error err;
    int64_t day;
    double v = 0;
    int got = arg ? number(id, arg, &v) : 0;
    (void)rest;
    if (got == 2)
        return 2;
    switch (id) {
    case OPT_SIMILAR: p->similar = true; break;
    case OPT_EVALUATE:
        if (strcmp(arg, "today") == 0 || !cdp_parse_day(arg, &day))
            return cdp_usage_error(program.name, "--evaluate takes a date YYYY-MM-DD, not '%s'", arg);
        p->evaluate = arg;
        p->split_ms = day * 86400000LL;
        break;
    case 'n': p->score.top = (size_t)v; break;
    case 'f':
        if (strcmp(arg, "csv") != 0 && strcmp(arg, "ndjson") != 0)
            return cdp_usage_error(program.name, "--format takes ndjson or csv, not '%s'", arg);
        p->writing.csv = strcmp(arg, "csv") == 0;
        p->format_given = true;
        break;
    case OPT_AS_OF:
        if (!cdp_parse_as_of(arg, &day, &p->score.as_of_ms))
            return cdp_usage_error(program.name, "--as-of takes YYYY-MM-DD, today or an ISO time, "
                                   "not '%s'", arg);
        p->as_of_given = true;
        break;
    case OPT_WEIGHT:
        if (cdp_weight_set(p->score.weight, arg, &err) < 0)
            return cdp_usage_error(program.name, "--weight %s", err.msg);
        break;
    case OPT_HALF_LIFE: p->score.half_life_days = v; break;
    case OPT_POPULAR_HALF_LIFE: p->score.popular_half_life_days = v; break;
    case OPT_POPULAR_WEIGHT: p->score.popular_weight = v; break;
    case OPT_VIEWED: p->score.viewed = (size_t)v; break;
    case OPT_MIX_VIEWED: p->score.mix_viewed = true; break;
    case OPT_FALLBACK:
        if (!cdp_fallback_parse(arg, &p->score.sources))
            return cdp_usage_error(program.name, "--fallback takes category,popular, popular, category or "
                                   "none, not '%s'", arg);
        break;
    case OPT_BASKET:
        if (!cdp_basket_kind_parse(arg, &p->basket))
            return cdp_usage_error(program.name, "--basket takes order or person, not '%s'", arg);
        break;
    case OPT_SIMILARITY:
        if (!cdp_similarity_parse(arg, &p->pairs.similarity))
            return cdp_usage_error(program.name, "--similarity takes jaccard, lift, count or confidence, "
                                   "not '%s'", arg);
        break;
    case OPT_MIN_COUNT: p->pairs.min_count = (uint32_t)v; break;
    case OPT_MIN_SUPPORT: p->pairs.min_support = v; break;
    case OPT_MIN_CONFIDENCE: p->pairs.min_confidence = v; break;
    case OPT_NEIGHBOURS: p->pairs.keep = (size_t)v; break;
    case OPT_MAX_BASKET: p->pairs.max_basket = (size_t)v; break;
    case OPT_EXCLUDE_BOUGHT:
        if (!cdp_days_parse(arg, 0, &p->score.exclude_bought_days))
            return cdp_usage_error(program.name, "--exclude-bought takes days (0 to 100000) or all, not '%s'",
                                   arg);
        break;
    case OPT_EXCLUDE_CATEGORY:
        if (cdp_category_rule_add(&p->rules, arg, &err) < 0)
            return cdp_usage_error(program.name, "--exclude-category-bought %s", err.msg);
        break;
    case OPT_CATEGORY_RULES:
        if (cdp_category_rules_load(&p->rules, arg, &err) < 0)
            return cdp_usage_error(program.name, "--category-rules: %s", err.msg);
        break;
    case OPT_CATALOG: p->catalog = arg; break;
    case OPT_FILTER: p->filter = arg; break;
    }
    return 0;
}

static int parse_args(int argc, char **argv, struct prefs *p, int *first)
{
    cdp_score_defaults(&p->score);
    cdp_pairs_defaults(&p->pairs);
    p->score.category_rules = &p->rules;
    int status = cdp_cli_parse(&program, argc, argv, &p->io, option, p, first);
    if (status >= 0)
        return status;
    if (p->similar && p->evaluate)
        return cdp_usage_error(program.name, "--similar and --evaluate do not go together");
    if (p->evaluate && p->as_of_given)
        return cdp_usage_error(program.name, "--evaluate learns before its DATE: leave out --as-of");
    const char *o = p->io.output;
    size_t olen = o ? strlen(o) : 0;
    if (!p->format_given && ((olen > 4 && strcmp(o + olen - 4, ".csv") == 0) ||
                             (olen > 8 && strcmp(o + olen - 8, ".csv.zst") == 0)))
        p->writing.csv = true;
    p->writing.with_viewed = p->score.viewed > 0;
    return -1;
}

/* Everything one run needs, so that one exit path can release it. */
struct run {
    struct prefs *p;
    struct cdp_report report;
    struct cdp_rejects *rejects;
    struct cdp_output *out;
    struct cdp_activity *activity;
    struct cdp_catalog *catalog;
    struct cdp_jq *filter;
    uint8_t *eligible;
    struct cdp_pairs *pairs;
    struct cdp_recommender *recommender;
};

static void reject(void *ctx, const char *file, uint64_t line, const char *code, const char *reason,
                   const char *raw, size_t rawlen)
{
    struct run *run = ctx;
    cdp_report_data(&run->report, file, line, "%s; line rejected", reason);
    cdp_report_detail(&run->report, "rejected_by_reason", code, 1);
    if (run->rejects)
        cdp_rejects_add(run->rejects, &(struct cdp_reject){ NULL, file, line, CDP_REJECT_UNKNOWN, code,
                                                            reason, raw, rawlen });
}

static void tick(void *ctx, uint64_t lines, uint64_t bytes)
{
    cdp_report_tick(&((struct run *)ctx)->report, lines, bytes);
}

static void catalog_problem(void *ctx, const char *file, uint64_t line, const char *what)
{
    struct run *run = ctx;
    cdp_report_add(&run->report, "catalog_problems", NULL, 1);
    cdp_report_data(&run->report, file, line, "%s", what);
}

/* Reads the records and the catalogue and cuts the history. */
static int learn(struct run *run, int nfiles, char **files, struct cdp_error *err)
{
    struct prefs *p = run->p;
    struct cdp_activity_hooks hooks = { run, reject, tick };
    int status = 0;
    for (int i = 0; i < (nfiles ? nfiles : 1) && !status; i++)
        status = cdp_activity_read(run->activity, nfiles ? files[i] : "-", &p->io.in, &hooks, err);
    const struct cdp_activity_counts *c = cdp_activity_counts(run->activity);
    cdp_report_add(&run->report, "read", "records read", c->read);
    cdp_report_add(&run->report, "events", "events", c->events);
    cdp_report_add(&run->report, "rejected", "rejected", c->rejected);
    cdp_report_add(&run->report, "anonymous", NULL, c->anonymous);
    cdp_report_add(&run->report, "undated", NULL, c->undated);
    if (status < 0)
        return -1;
    cdp_report_phase(&run->report, "read");
    struct cdp_catalog_hooks ch = { run, catalog_problem };
    if (p->catalog && !(run->catalog = cdp_catalog_load(p->catalog, &ch, err)))
        return -1;
    if (!p->as_of_given && cdp_activity_latest(run->activity) != CDP_UNDATED)
        p->score.as_of_ms = cdp_activity_latest(run->activity) + 1;
    if (p->evaluate)
        p->score.as_of_ms = p->split_ms;
    cdp_activity_finish(run->activity, p->score.as_of_ms, run->catalog);
    cdp_report_add(&run->report, "people", NULL, cdp_activity_people(run->activity));
    cdp_report_add(&run->report, "items", NULL, cdp_activity_items(run->activity));
    cdp_report_add(&run->report, "future", NULL, c->future);
    cdp_report_phase(&run->report, "activity");
    return 0;
}

/* Which items may be offered, the pairs, and the recommender. */
static int model(struct run *run, size_t nworkers, struct cdp_error *err)
{
    struct prefs *p = run->p;
    struct cdp_eligibility el;
    run->eligible = cdp_eligible_items(run->activity, run->catalog != NULL, run->filter, &el);
    if (el.filter_errors)
        cdp_report_data(&run->report, "--filter", 0, "%s (%llu items left out for errors)", el.first_error,
                        (unsigned long long)el.filter_errors);
    cdp_report_detail(&run->report, "items_left_out", "not_in_catalog", el.not_in_catalog);
    cdp_report_detail(&run->report, "items_left_out", "out_of_stock", el.out_of_stock);
    cdp_report_detail(&run->report, "items_left_out", "filtered", el.filtered + el.filter_errors);
    const struct cdp_baskets *b = cdp_activity_baskets(run->activity, p->basket);
    if (!(run->pairs = cdp_pairs_count(b, cdp_activity_items(run->activity), &p->pairs, nworkers, err)))
        return -1;
    cdp_report_add(&run->report, "baskets", NULL, cdp_pairs_baskets(run->pairs));
    cdp_report_add(&run->report, "pairs", NULL, cdp_pairs_kept(run->pairs));
    cdp_report_add(&run->report, "baskets_too_large", NULL, cdp_pairs_too_large(run->pairs));
    cdp_report_phase(&run->report, "pairs");
    run->recommender = cdp_recommender_new(run->activity, run->pairs, run->eligible, &p->score);
    return 0;
}

static int write_out(struct run *run, size_t nworkers, struct cdp_error *err)
{
    struct prefs *p = run->p;
    uint64_t n = 0;
    if (!(run->out = cdp_output_open(p->io.output, &p->io.out, err)))
        return -1;
    if (p->similar) {
        if (cdp_write_all_similar(run->activity, run->pairs, run->eligible, p->score.top, &p->writing,
                                  nworkers, run->out, &n, err) < 0)
            return -1;
        cdp_report_add(&run->report, "written", "items written", n);
    } else if (p->evaluate) {
        struct cdp_evaluation e;
        if (cdp_evaluate(run->recommender, p->score.top, nworkers, &e, err) < 0)
            return -1;
        struct cdp_buf *b = cdp_output_buffer(run->out);
        cdp_write_header(&p->writing, CDP_REC_TABLE_EVALUATION, b);
        cdp_write_evaluation(&e, p->evaluate, p->score.top, &p->writing, b);
        cdp_report_add(&run->report, "written", "people evaluated", e.evaluated);
    } else {
        if (cdp_write_all_recs(run->recommender, &p->writing, nworkers, run->out, &n, err) < 0)
            return -1;
        cdp_report_add(&run->report, "written", "people written", n);
    }
    cdp_report_phase(&run->report, "written");
    /* The side files first: if one fails, the output is not replaced. */
    struct cdp_rejects *rj = run->rejects;
    run->rejects = NULL;
    if (rj && cdp_rejects_commit(rj, err) < 0)
        return -1;
    if (p->io.stats && cdp_report_write_stats(&run->report, p->io.stats, NULL, err) < 0)
        return -1;
    struct cdp_output *out = run->out;
    run->out = NULL;
    return cdp_output_commit(out, err);
}

static int recommend(struct run *run, int nfiles, char **files)
{
    struct cdp_error err;
    size_t nworkers = cdp_cli_threads(&run->p->io);
    int status = 0;
    if (run->p->filter && !(run->filter = cdp_jq_compile(run->p->filter, NULL, &err)))
        return cdp_usage_error(program.name, "--filter: %s", err.msg);
    cdp_report_add(&run->report, "read", "records read", 0);
    cdp_report_add(&run->report, "events", "events", 0);
    cdp_report_add(&run->report, "rejected", "rejected", 0);
    run->activity = cdp_activity_new(nworkers);
    if ((run->p->io.rejects && !(run->rejects = cdp_rejects_open(run->p->io.rejects, &err))) ||
        learn(run, nfiles, files, &err) < 0 || model(run, nworkers, &err) < 0 ||
        write_out(run, nworkers, &err) < 0)
        status = 1;
    if (status)
        cdp_report_error(&run->report, "%s", err.msg);
    cdp_report_summary(&run->report);
    return status;
}

int main(int argc, char **argv)
{
    struct prefs p;
    memset(&p, 0, sizeof p);
    cdp_cli_start(&program, argv);
    int first;
    int status = parse_args(argc, argv, &p, &first);
    if (status < 0) {
        struct run run;
        memset(&run, 0, sizeof run);
        run.p = &p;
        cdp_report_init(&run.report, program.name);
        cdp_io_apply_report(&p.io, &run.report);
        status = recommend(&run, argc - first, argv + first);
        cdp_output_abort(run.out);
        cdp_rejects_abort(run.rejects);
        cdp_recommender_free(run.recommender);
        cdp_pairs_free(run.pairs);
        free(run.eligible);
        cdp_jq_free(run.filter);
        cdp_catalog_free(run.catalog);
        cdp_activity_free(run.activity);
        cdp_report_release(&run.report);
    }
    cdp_category_rules_release(&p.rules);
    return status;
}
