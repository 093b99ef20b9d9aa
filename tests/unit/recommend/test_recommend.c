/* test_recommend: event kinds, pair counting (figures, thresholds, order,
 * threads), the evaluation's metrics, option values of lib/recommend. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "norm/event.h"
#include "recommend/evaluate.h"
#include "recommend/exclude.h"
#include "recommend/pairs.h"
#include "recommend/score.h"

static void event_kinds(void)
{
    CHECK(cdp_event_kind("purchase", 8) == CDP_EVENT_PURCHASE);
    CHECK(cdp_event_kind("order", 5) == CDP_EVENT_PURCHASE);
    CHECK(cdp_event_kind("refund", 6) == CDP_EVENT_RETURN);
    CHECK(cdp_event_kind("product_view", 12) == CDP_EVENT_VIEW);
    CHECK(cdp_event_kind("add_to_cart", 11) == CDP_EVENT_CART_ADD);
    CHECK(cdp_event_kind("remove_from_cart", 16) == CDP_EVENT_CART_REMOVE);
    CHECK(cdp_event_kind("checkout", 8) == CDP_EVENT_OTHER);
    CHECK(cdp_event_kind("purchased", 9) == CDP_EVENT_OTHER);
    CHECK(cdp_event_kind("purchase", 7) == CDP_EVENT_OTHER); /* "purchas" */
    CHECK_STR(cdp_event_kind_name(CDP_EVENT_CART_ADD), "cart_add");
    CHECK_STR(cdp_event_kind_name(CDP_EVENT_OTHER), "other");
}

/* Baskets {0 1 2} {0 1} {0 2} {1 3} {3} {0 1 2 3 4 5 6}: the last one is
 * left out by max_basket 6. */
static const size_t first[] = { 0, 3, 5, 7, 9, 10, 17 };
static const uint32_t items[] = { 0, 1, 2, 0, 1, 0, 2, 1, 3, 3, 0, 1, 2, 3, 4, 5, 6 };

static struct cdp_pairs *count(enum cdp_similarity sim, uint32_t min_count, size_t keep,
                               size_t workers)
{
    struct cdp_baskets b = { 6, (size_t *)first, (uint32_t *)items };
    struct cdp_pairs_options o;
    cdp_pairs_defaults(&o);
    o.similarity = sim;
    o.min_count = min_count;
    o.keep = keep;
    o.max_basket = 6;
    struct cdp_error err;
    struct cdp_pairs *p = cdp_pairs_count(&b, 7, &o, workers, &err);
    CHECK(p != NULL);
    return p;
}

static void pairs(void)
{
    struct cdp_pairs *p = count(CDP_SIM_JACCARD, 1, 0, 0);
    CHECK(cdp_pairs_baskets(p) == 5);
    CHECK(cdp_pairs_too_large(p) == 1);
    CHECK(cdp_pairs_item_baskets(p, 0) == 3 && cdp_pairs_item_baskets(p, 3) == 2);
    CHECK(cdp_pairs_item_baskets(p, 4) == 0);
    CHECK(cdp_pairs_kept(p) == 8); /* 0-1 0-2 1-2 1-3, both ways */
    size_t n;
    const struct cdp_pair *nb = cdp_pairs_of(p, 0, &n);
    /* jaccard 0-2 = 2/3 before 0-1 = 1/2 */
    CHECK(n == 2 && nb[0].item == 2 && nb[0].count == 2 && nb[1].item == 1);
    CHECK(fabs(nb[0].similarity - 2.0 / 3) < 1e-15 && nb[1].similarity == 0.5);
    struct cdp_pair_stats st;
    cdp_pairs_stats(p, 0, &nb[0], &st);
    CHECK(st.support == 0.4 && st.confidence == 2.0 / 3 && fabs(st.lift - 5.0 / 3) < 1e-15);
    CHECK(fabs(st.jaccard - 2.0 / 3) < 1e-15);
    /* Item 1's neighbours: 0 (1/2), then 2 and 3 tie at 1/4: smaller first. */
    nb = cdp_pairs_of(p, 1, &n);
    CHECK(n == 3 && nb[0].item == 0 && nb[1].item == 2 && nb[2].item == 3);
    cdp_pairs_of(p, 4, &n);
    CHECK(n == 0);
    cdp_pairs_free(p);

    /* A threshold, a neighbour limit, another order; threads change nothing. */
    p = count(CDP_SIM_COUNT, 2, 0, 0);
    CHECK(cdp_pairs_kept(p) == 4);
    cdp_pairs_free(p);
    p = count(CDP_SIM_LIFT, 1, 1, 0);
    nb = cdp_pairs_of(p, 3, &n);
    CHECK(n == 1 && nb[0].item == 1 && fabs(nb[0].similarity - 5.0 / 6) < 1e-15);
    nb = cdp_pairs_of(p, 1, &n);
    CHECK(n == 1 && nb[0].item == 0); /* lift 1-0 10/9 > 1-2, 1-3 5/6 */
    struct cdp_pairs *q = count(CDP_SIM_LIFT, 1, 1, 3);
    for (uint32_t a = 0; a < 7; a++) {
        size_t n1, n2;
        const struct cdp_pair *x = cdp_pairs_of(p, a, &n1), *y = cdp_pairs_of(q, a, &n2);
        CHECK(n1 == n2 && (n1 == 0 || memcmp(x, y, n1 * sizeof *x) == 0));
    }
    cdp_pairs_free(p);
    cdp_pairs_free(q);
}

static void metrics(void)
{
    /* Hits at ranks 1 and 4 of a truth of 2, k 10. */
    static const uint32_t recs[] = { 7, 1, 2, 5, 9 }, truth[] = { 5, 7 };
    struct cdp_metrics m;
    cdp_metrics_of(recs, 5, truth, 2, 10, &m);
    CHECK(m.precision == 0.2 && m.recall == 1 && m.hit_rate == 1);
    CHECK(fabs(m.ndcg - (1 + 1 / log2(5)) / (1 + 1 / log2(3))) < 1e-15);
    /* Cut at 3: no hit but the first; the ideal has 2 ranks. */
    cdp_metrics_of(recs, 5, truth, 2, 3, &m);
    CHECK(fabs(m.precision - 1.0 / 3) < 1e-15 && m.recall == 0.5);
    CHECK(fabs(m.ndcg - 1 / (1 + 1 / log2(3))) < 1e-15);
    cdp_metrics_of(recs, 0, truth, 2, 10, &m);
    CHECK(m.precision == 0 && m.hit_rate == 0 && m.ndcg == 0);
}

static void option_values(void)
{
    long d;
    CHECK(cdp_days_parse("all", 0, &d) && d == CDP_EVER);
    CHECK(cdp_days_parse("0", 0, &d) && d == 0);
    CHECK(!cdp_days_parse("0", 1, &d) && !cdp_days_parse("-1", 0, &d) && !cdp_days_parse("+5", 0, &d));
    CHECK(!cdp_days_parse("5 ", 0, &d) && !cdp_days_parse("100001", 0, &d) && !cdp_days_parse("", 0, &d));
    struct cdp_category_rules rules = CDP_CATEGORY_RULES_INIT;
    struct cdp_error err;
    CHECK(cdp_category_rule_add(&rules, "Гостиная=365", &err) == 0);
    CHECK(cdp_category_rule_add(&rules, "a=b=30", &err) == 0);  /* the last '=' */
    CHECK(cdp_category_rule_add(&rules, "Гостиная=all", &err) == 0); /* replaces */
    CHECK(rules.n == 2 && rules.v[0].days == CDP_EVER && strcmp(rules.v[1].category, "a=b") == 0);
    CHECK(cdp_category_rule_add(&rules, "=30", &err) < 0);
    CHECK_STR(err.msg, "'=30' is not CATEGORY=DAYS");
    cdp_category_rules_release(&rules);
    double w[CDP_EVENT_KINDS] = { 0 };
    CHECK(cdp_weight_set(w, "add_to_cart=2.5", &err) == 0 && w[CDP_EVENT_CART_ADD] == 2.5);
    CHECK(cdp_weight_set(w, "other=1", &err) == 0 && w[CDP_EVENT_OTHER] == 1);
    CHECK(cdp_weight_set(w, "checkout=1", &err) < 0);
    CHECK(cdp_weight_set(w, "view=", &err) < 0 && cdp_weight_set(w, "view=1e9", &err) < 0);
    CHECK(cdp_weight_set(w, "view=nan", &err) < 0);
    unsigned sources;
    CHECK(cdp_fallback_parse("none", &sources) && sources == CDP_SOURCE_PAIRS);
    CHECK(!cdp_fallback_parse("popular,category", &sources));
}

int main(void)
{
    event_kinds();
    pairs();
    metrics();
    option_values();
    return check_report("test_recommend");
}
