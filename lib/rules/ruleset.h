/* ruleset.h: named segment rules (jq expressions), as cdp-segment reads them.
 *
 * Rules come from the command line ("NAME=JQ") or from rule files:
 *
 *   # a comment (a line whose first non-blank is '#')
 *   param lapsed_days = 180       default for $lapsed_days (JSON); --arg wins
 *   needs population              the rules need whole-population figures
 *                                 (RFM scores, the VIP threshold): two passes
 *   def bought_within($c; $d): ...;  a jq definition any rule may use
 *   lapsed = .orders > 0 and .days_since_last_purchase >= $lapsed_days
 *       and ...                   a line starting with a blank continues the
 *                                 one before
 *
 * A rule may use another segment's membership with segment("NAME"); the
 * rules are then evaluated in an order where NAME comes first, and a cycle,
 * or a NAME no rule defines, is an error. Definitions are shared by all the
 * rules: a rule is compiled with the definitions it names (and those they
 * name), so that a rule stays as cheap as what it reads.
 *
 * Segment names are [A-Za-z0-9_-]+ (they become file names with --split);
 * a name defined twice is an error, wherever the two come from.
 *
 * Nothing here prints or exits: errors come back in struct cdp_error as
 * "FILE:LINE: what" (or "-s NAME: what"). */
#ifndef CDP_RULES_RULESET_H
#define CDP_RULES_RULESET_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/error.h"
#include "rules/jq.h"

struct cdp_rule {
    char *name;
    char *expr;     /* the rule as written */
    char *program;  /* what is compiled: the definitions it needs, then expr */
    char *origin;   /* "FILE:LINE" or "-s" */
    size_t *deps;   /* indexes of the rules it reads with segment("...") */
    size_t ndeps;
};

struct cdp_rule_def {
    char *name; /* the function's name */
    char *text; /* "def name...;" */
};

struct cdp_ruleset {
    struct cdp_rule *rules;
    size_t n, cap;
    struct cdp_rule_def *defs;
    size_t ndefs, defs_cap;
    struct cdp_jq_vars params; /* defaults from "param" lines */
    bool needs_population;
    size_t *order; /* after cdp_ruleset_finish: every rule after its deps */
};

#define CDP_RULESET_INIT { 0 }

/* Adds one rule from "NAME=JQ". */
int cdp_ruleset_add_spec(struct cdp_ruleset *rs, const char *spec, struct cdp_error *err);

/* Adds the rules, params and definitions of a rule file's text; origin names
 * it in messages. */
int cdp_ruleset_add_text(struct cdp_ruleset *rs, const char *text, size_t len, const char *origin,
                         struct cdp_error *err);

/* Reads a rule file (UTF-8 text). */
int cdp_ruleset_add_file(struct cdp_ruleset *rs, const char *path, struct cdp_error *err);

/* Resolves segment("NAME") references, refuses unknown names and cycles,
 * and builds each rule's program. Call once, after the last add. */
int cdp_ruleset_finish(struct cdp_ruleset *rs, struct cdp_error *err);

/* The index of rule name, or -1. */
long cdp_ruleset_find(const struct cdp_ruleset *rs, const char *name, size_t len);

void cdp_ruleset_release(struct cdp_ruleset *rs);

/* Whether s is a valid segment name. */
bool cdp_segment_name_valid(const char *s, size_t len);

#endif
