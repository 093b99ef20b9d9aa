/* test_population: RFM quintiles, the segment map, top-share thresholds. */
#include <math.h>

#include "../check.h"
#include "segment/population.h"

static void segment_map(void)
{
    /* Every R and F, row by row (R5 first), as the map in population.h. */
    static const char *const want[5][5] = {
        { "New", "Potential loyalists", "Potential loyalists", "Champions", "Champions" },
        { "Promising", "Potential loyalists", "Potential loyalists", "Loyal", "Loyal" },
        { "About to sleep", "About to sleep", "Need attention", "Loyal", "Loyal" },
        { "Hibernating", "Hibernating", "At risk", "At risk", "Can't lose" },
        { "Hibernating", "Hibernating", "At risk", "At risk", "Can't lose" },
    };
    for (int r = 5; r >= 1; r--)
        for (int f = 1; f <= 5; f++)
            CHECK_STR(cdp_rfm_segment(r, f), want[5 - r][f - 1]);
}

static void quintiles(void)
{
    /* Ten buyers, days 10..100: edges 28, 46, 64, 82 (numpy's linear
     * percentiles), so pairs share a score; a non-buyer in the middle. */
    struct cdp_population *p = cdp_population_new();
    for (int i = 0; i < 10; i++) {
        if (i == 5)
            cdp_population_add(p, false, NAN, 0, 0, 0);
        cdp_population_add(p, true, 10.0 * (i + 1), 1, 100.0 * (i + 1), 0);
    }
    cdp_population_finish(p);
    CHECK(cdp_population_buyers(p) == 10);
    int r, f, m;
    static const int want_r[] = { 5, 5, 4, 4, 3, -1, 3, 2, 2, 1, 1 };
    static const int want_m[] = { 1, 1, 2, 2, 3, -1, 3, 4, 4, 5, 5 };
    /* All orders equal: frequency ranks by input order. */
    static const int want_f[] = { 1, 1, 2, 2, 3, -1, 3, 4, 4, 5, 5 };
    for (size_t pos = 0; pos < 11; pos++) {
        bool got = cdp_population_rfm(p, pos, &r, &f, &m);
        CHECK(got == (want_r[pos] > 0));
        if (got) {
            CHECK(r == want_r[pos]);
            CHECK(f == want_f[pos]);
            CHECK(m == want_m[pos]);
        }
    }
    CHECK(!cdp_population_rfm(p, 11, &r, &f, &m));
    cdp_population_free(p);

    /* Equal values share a bin: all the same recency is R5 for everyone... */
    p = cdp_population_new();
    for (int i = 0; i < 7; i++)
        cdp_population_add(p, true, 30, 1 + i % 2, 500, 0);
    cdp_population_finish(p);
    for (size_t pos = 0; pos < 7; pos++) {
        CHECK(cdp_population_rfm(p, pos, &r, &f, &m));
        CHECK(r == 5 && m == 1);
    }
    /* ...while frequency still spreads by rank: orders 1,2,1,2,1,2,1 rank
     * the four 1s first (positions 0, 2, 4, 6), then the 2s. */
    cdp_population_rfm(p, 0, &r, &f, &m);
    CHECK(f == 1);
    cdp_population_rfm(p, 5, &r, &f, &m);
    CHECK(f == 5);
    cdp_population_free(p);

    /* One buyer: every edge is its own value, so it is in the first bin. */
    p = cdp_population_new();
    cdp_population_add(p, true, 3, 2, 10, 0);
    cdp_population_finish(p);
    CHECK(cdp_population_rfm(p, 0, &r, &f, &m) && r == 5 && f == 1 && m == 1);
    cdp_population_free(p);
}

static void top_share(void)
{
    struct cdp_population *p = cdp_population_new();
    CHECK(isinf(cdp_population_top_threshold(p, 10)));
    for (int i = 1; i <= 15; i++)
        cdp_population_add(p, false, NAN, 0, 0, i == 3 ? 0 : 100.0 * i);
    cdp_population_add(p, false, NAN, 0, 0, 1500); /* a tie with the best */
    cdp_population_finish(p);
    /* 15 values above zero (16 profiles, one with 0): top 10% is 2 */
    CHECK(cdp_population_top_threshold(p, 10) == 1500);
    CHECK(cdp_population_top_threshold(p, 20) == 1400);
    CHECK(cdp_population_top_threshold(p, 100) == 100);
    CHECK(cdp_population_top_threshold(p, 0.0001) == 1500);
    CHECK(isinf(cdp_population_top_threshold(p, 0)));
    cdp_population_free(p);
}

int main(void)
{
    segment_map();
    quintiles();
    top_share();
    return check_report("test_population");
}
