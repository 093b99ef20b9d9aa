/* exclude.h: what must never be offered.
 *
 * Two kinds of rule. Per item, the same for everyone: with a catalogue,
 * only items in it and in stock (catalog.h); with a jq filter, only items
 * it passes. Per person (applied in score.h): items bought within a window
 * (default: ever), items of a category the person bought within its window
 * (the furniture rule: who bought a living-room set within 365 days is
 * offered no other living-room furniture), and items the person viewed or
 * put in the cart, which are reminders, not recommendations.
 *
 * Windows are days as cdp-merge counts them: a window of N days holds the
 * as-of day and the N-1 days before it. */
#ifndef CDP_RECOMMEND_EXCLUDE_H
#define CDP_RECOMMEND_EXCLUDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "recommend/activity.h"
#include "rules/jq.h"

#define CDP_EVER (-1L) /* a window holding all history */

/* A window: "all" (CDP_EVER) or whole days from min to 100000; false when
 * it is neither. */
bool cdp_days_parse(const char *s, long min, long *days);

struct cdp_category_rule {
    char *category;
    long days;
};

struct cdp_category_rules {
    struct cdp_category_rule *v;
    size_t n, cap;
};

#define CDP_CATEGORY_RULES_INIT { NULL, 0, 0 }

/* Adds "CATEGORY=DAYS" (DAYS a whole number of at least 1, or "all"; the
 * category is everything before the last '='). A category given again
 * takes the new window. Returns 0, or -1 with err. */
int cdp_category_rule_add(struct cdp_category_rules *rules, const char *spec, struct cdp_error *err);

/* Adds the rules of a file, one CATEGORY=DAYS a line; blank lines and lines
 * starting with '#' are skipped. Errors name file:line. */
int cdp_category_rules_load(struct cdp_category_rules *rules, const char *path, struct cdp_error *err);

void cdp_category_rules_release(struct cdp_category_rules *rules);

/* Items left out for everyone, by reason. */
struct cdp_eligibility {
    uint64_t not_in_catalog, out_of_stock, filtered, filter_errors;
    char first_error[512]; /* the first jq error, "sku X: message" */
};

/* Which items may be offered: one byte per item, 1 or 0. have_catalog:
 * whether a catalogue was given (then items outside it are out); filter
 * (may be NULL) runs on the item's catalogue row, or without a catalogue
 * on {"sku":...,"category":...,"price":...} from its events; an item it
 * fails on is left out and counted. The caller frees the array. */
uint8_t *cdp_eligible_items(const struct cdp_activity *h, bool have_catalog, struct cdp_jq *filter,
                            struct cdp_eligibility *counts);

#endif
