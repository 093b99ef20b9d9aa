#include "recommend/exclude.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "io/json.h"

bool cdp_days_parse(const char *s, long min, long *days)
{
    if (strcmp(s, "all") == 0) {
        *days = CDP_EVER;
        return true;
    }
    char *end;
    errno = 0;
    long n = strtol(s, &end, 10);
    if (*s < '0' || *s > '9' || *end || errno || n < min || n > 100000)
        return false;
    *days = n;
    return true;
}

int cdp_category_rule_add(struct cdp_category_rules *rules, const char *spec, struct cdp_error *err)
{
    const char *eq = strrchr(spec, '=');
    if (!eq || eq == spec)
        return cdp_errorf(err, "'%s' is not CATEGORY=DAYS", spec);
    long days;
    if (!cdp_days_parse(eq + 1, 1, &days))
        return cdp_errorf(err, "'%s': DAYS must be a whole number from 1 to 100000 or all", spec);
    size_t len = (size_t)(eq - spec);
    for (size_t i = 0; i < rules->n; i++)
        if (strlen(rules->v[i].category) == len && memcmp(rules->v[i].category, spec, len) == 0) {
            rules->v[i].days = days;
            return 0;
        }
    if (rules->n == rules->cap) {
        rules->cap = rules->cap ? 2 * rules->cap : 8;
        rules->v = cdp_xrealloc(rules->v, rules->cap * sizeof *rules->v);
    }
    rules->v[rules->n++] = (struct cdp_category_rule){ cdp_xstrndup(spec, len), days };
    return 0;
}

int cdp_category_rules_load(struct cdp_category_rules *rules, const char *path, struct cdp_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return cdp_errorf_errno(err, errno, "cannot open '%s'", path);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned long number = 0;
    int status = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        number++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' '))
            line[--len] = '\0';
        const char *s = line + strspn(line, " \t");
        if (!*s || *s == '#')
            continue;
        struct cdp_error why;
        if (cdp_category_rule_add(rules, s, &why) < 0) {
            status = cdp_errorf(err, "%s:%lu: %s", path, number, why.msg);
            break;
        }
    }
    if (!status && ferror(f))
        status = cdp_errorf_errno(err, errno, "%s: read error", path);
    free(line);
    fclose(f);
    return status;
}

void cdp_category_rules_release(struct cdp_category_rules *rules)
{
    for (size_t i = 0; i < rules->n; i++)
        free(rules->v[i].category);
    free(rules->v);
    memset(rules, 0, sizeof *rules);
}

uint8_t *cdp_eligible_items(const struct cdp_activity *h, bool have_catalog, struct cdp_jq *filter,
                            struct cdp_eligibility *counts)
{
    size_t n = cdp_activity_items(h);
    uint8_t *ok = cdp_xmalloc(n + 1);
    memset(counts, 0, sizeof *counts);
    struct cdp_buf json = CDP_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        uint32_t item = (uint32_t)i;
        const struct cdp_catalog_item *ci = cdp_activity_item_catalog(h, item);
        ok[i] = 0;
        if (have_catalog && !ci) {
            counts->not_in_catalog++;
            continue;
        }
        if (ci && !ci->in_stock) {
            counts->out_of_stock++;
            continue;
        }
        if (filter) {
            size_t len;
            const char *s;
            cdp_buf_reset(&json);
            if (ci) {
                cdp_buf_add(&json, ci->json, ci->json_len);
            } else {
                cdp_buf_adds(&json, "{\"sku\":");
                s = cdp_activity_sku(h, item, &len);
                cdp_json_add_string(&json, s, len);
                uint32_t c = cdp_activity_item_category(h, item);
                if (c != CDP_NONE) {
                    cdp_buf_adds(&json, ",\"category\":");
                    s = cdp_activity_category_name(h, c, &len);
                    cdp_json_add_string(&json, s, len);
                }
                if ((s = cdp_activity_item_price(h, item, &len)) != NULL) {
                    cdp_buf_adds(&json, ",\"price\":");
                    cdp_buf_add(&json, s, len);
                }
                cdp_buf_addc(&json, '}');
            }
            struct cdp_error why;
            int pass = cdp_jq_test_json(filter, json.data, json.len, &why);
            if (pass < 0) {
                if (!counts->filter_errors++)
                    snprintf(counts->first_error, sizeof counts->first_error, "sku %.100s: %.400s",
                             cdp_activity_sku(h, item, NULL), why.msg);
                continue;
            }
            if (!pass) {
                counts->filtered++;
                continue;
            }
        }
        ok[i] = 1;
    }
    cdp_buf_release(&json);
    return ok;
}
