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

/* The edges of a sharded run (cdp_population_edges) score every buyer as
 * the population itself does, on random populations full of ties. */
static void edges_score_alike(void)
{
    uint64_t seed = 42;
    for (int round = 0; round < 200; round++) {
        struct cdp_population *p = cdp_population_new();
        size_t n = 1 + round * 3 % 97, nb = 0;
        double days[100], orders[100], revenue[100];
        size_t buyer_pos[100];
        for (size_t i = 0; i < n; i++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            bool buyer = (seed >> 60) != 0;
            double o = 1 + (double)((seed >> 40) % (round % 4 + 1)); /* few values: ties */
            double d = (double)((seed >> 20) % 400), r = (double)((seed >> 8) % 5000) / 4;
            cdp_population_add(p, buyer, buyer ? d : NAN, buyer ? o : 0, buyer ? r : 0, r);
            if (buyer) {
                days[nb] = d, orders[nb] = o, revenue[nb] = r;
                buyer_pos[nb++] = i;
            }
        }
        cdp_population_finish(p);
        struct cdp_population_edges e;
        cdp_population_edges(p, &e);
        for (size_t b = 0; b < nb; b++) {
            int r, f, m, r2, m2;
            CHECK(cdp_population_rfm(p, buyer_pos[b], &r, &f, &m));
            cdp_population_rm(&e, days[b], revenue[b], &r2, &m2);
            int f2 = 1;
            for (int k = 0; k < 4; k++)
                if (e.f_buyer[k] != SIZE_MAX &&
                    (orders[b] > e.f_orders[k] || (orders[b] == e.f_orders[k] && b >= e.f_buyer[k])))
                    f2++;
            CHECK(r == r2 && f == f2 && m == m2);
        }
        cdp_population_free(p);
    }
}

int main(void)
{
    segment_map();
    quintiles();
    top_share();
    edges_score_alike();
    return check_report("test_population");
}
