/* rules: segment rule files and the rule library's files (rules/ruleset.h),
 * as --segments and --use read them.
 *
 * Checks, besides memory safety: after cdp_ruleset_finish succeeds, every
 * rule has a valid name and a program that ends with its rule, and the
 * evaluation order holds each rule once, after every rule it reads with
 * segment("NAME"). */
#include "fuzz.h"

#include "rules/ruleset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cdp_ruleset rs = CDP_RULESET_INIT;
    struct cdp_error err;
    if (cdp_ruleset_add_text(&rs, (const char *)data, size, "fuzz", &err) < 0 ||
        cdp_ruleset_finish(&rs, &err) < 0) {
        FUZZ_CHECK(err.msg[0], "failed without a message");
        cdp_ruleset_release(&rs);
        return 0;
    }
    size_t *position = calloc(rs.n + 1, sizeof *position);
    for (size_t k = 0; k < rs.n; k++) {
        size_t i = rs.order[k];
        FUZZ_CHECK(i < rs.n && !position[i], "order[%zu] = %zu", k, i);
        position[i] = k + 1;
    }
    for (size_t i = 0; i < rs.n; i++) {
        const struct cdp_rule *r = &rs.rules[i];
        FUZZ_CHECK(cdp_segment_name_valid(r->name, strlen(r->name)), "name '%s'", r->name);
        size_t pl = strlen(r->program), el = strlen(r->expr);
        FUZZ_CHECK(el > 0 && pl >= el && strcmp(r->program + pl - el, r->expr) == 0,
                   "program of '%s' does not end with its rule", r->name);
        FUZZ_CHECK(cdp_ruleset_find(&rs, r->name, strlen(r->name)) == (long)i, "'%s'", r->name);
        for (size_t d = 0; d < r->ndeps; d++)
            FUZZ_CHECK(position[r->deps[d]] < position[i], "'%s' before its dependency", r->name);
    }
    free(position);
    cdp_ruleset_release(&rs);
    return 0;
}
