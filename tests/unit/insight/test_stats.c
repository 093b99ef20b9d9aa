/* Unit tests for insight/stats.h. The reference values were computed
 * independently: the normal ones with Python's statistics.NormalDist,
 * Student's t by integrating its density with mpmath (30 digits) and
 * solving for quantiles with mpmath.findroot, the incomplete beta with
 * mpmath.betainc, Welch's test from the formulas in mpmath arithmetic; the
 * Wilson and Newcombe intervals are the worked examples published in
 * Newcombe, Statistics in Medicine 17 (1998), pp. 857-872 and 873-890. */
#include <math.h>

#include "../check.h"
#include "insight/stats.h"

#define NEAR(got, want, tol) CHECK(fabs((got) - (want)) <= (tol))

static void distributions(void)
{
    NEAR(cdp_normal_cdf(1.5), 0.9331927987311419, 1e-15);
    NEAR(cdp_normal_quantile(0.975), 1.9599639845400536, 1e-12);
    NEAR(cdp_normal_quantile(0.975), CDP_Z95, 1e-12);
    NEAR(cdp_normal_quantile(0.001), -3.090232306167813, 1e-12);
    CHECK(isnan(cdp_normal_quantile(0)));
    NEAR(cdp_t_cdf(2.0, 5.5), 0.9516228048844075, 1e-12);
    NEAR(cdp_t_cdf(-1.3, 3), 0.14223375436394869, 1e-12);
    NEAR(cdp_t_cdf(0.5, 120), 0.69100463783080147, 1e-12);
    NEAR(cdp_t_cdf(4.0, 1), 0.92202086962263067, 1e-12);
    NEAR(cdp_t_cdf(0, 3), 0.5, 1e-15);
    NEAR(cdp_t_quantile(0.975, 10), 2.2281388519649385, 1e-9);
    NEAR(cdp_t_quantile(0.975, 2.5), 3.5746548420036818, 1e-9);
    NEAR(cdp_t_quantile(0.975, 1), 12.706204736174693, 1e-9);
    NEAR(cdp_t_quantile(0.975, 1000), 1.9623390808264081, 1e-9);
    NEAR(cdp_t_quantile(0.6, 7), 0.26316686135202275, 1e-9);
    NEAR(cdp_t_quantile(0.025, 10), -2.2281388519649385, 1e-9);
    NEAR(cdp_beta_inc(2, 3, 0.4), 0.5248, 1e-14);
    NEAR(cdp_beta_inc(0.5, 7.5, 0.9), 0.99999999328971035, 1e-14);
    CHECK(cdp_beta_inc(2, 3, 0) == 0 && cdp_beta_inc(2, 3, 1) == 1);
}

static void proportions(void)
{
    struct cdp_interval iv;
    /* Newcombe (1998a), 81 of 263: 0.2553 to 0.3662. */
    CHECK(cdp_wilson(81, 263, CDP_Z95, &iv));
    NEAR(iv.low, 0.2553, 5e-5);
    NEAR(iv.high, 0.3662, 5e-5);
    /* 0 of 10: 0 to 0.2775; 10 of 10: 0.7225 to 1. */
    CHECK(cdp_wilson(0, 10, CDP_Z95, &iv));
    CHECK(iv.low == 0);
    NEAR(iv.high, 0.2775, 5e-5);
    CHECK(cdp_wilson(10, 10, CDP_Z95, &iv));
    NEAR(iv.low, 0.7225, 5e-5);
    CHECK(iv.high == 1);
    CHECK(!cdp_wilson(0, 0, CDP_Z95, &iv));
    /* Newcombe (1998b), method 10: 56/70 - 48/80 = 0.2, 0.0524 to 0.3339;
     * 9/10 - 3/10 = 0.6, 0.1705 to 0.8090; 10/10 - 0/20 = 1, 0.6791 to 1. */
    CHECK(cdp_newcombe(56, 70, 48, 80, CDP_Z95, &iv));
    NEAR(iv.low, 0.0524, 5e-5);
    NEAR(iv.high, 0.3339, 5e-5);
    CHECK(cdp_newcombe(9, 10, 3, 10, CDP_Z95, &iv));
    NEAR(iv.low, 0.1705, 5e-5);
    NEAR(iv.high, 0.8090, 5e-5);
    CHECK(cdp_newcombe(10, 10, 0, 20, CDP_Z95, &iv));
    NEAR(iv.low, 0.6791, 5e-5);
    NEAR(iv.high, 1.0, 5e-5);
    CHECK(!cdp_newcombe(1, 10, 0, 0, CDP_Z95, &iv));
    /* z = 0.2 / sqrt(p (1 - p) (1/70 + 1/80)) with p = 104/150: 2.65017...;
     * two-sided p by Python's NormalDist: 0.008045081368196705. */
    double pooled = 104.0 / 150, z = 0.2 / sqrt(pooled * (1 - pooled) * (1.0 / 70 + 1.0 / 80));
    NEAR(cdp_two_proportion_p(56, 70, 48, 80), 2 * (1 - cdp_normal_cdf(z)), 1e-12);
    NEAR(cdp_two_proportion_p(56, 70, 48, 80), 0.008045081368196705, 1e-12);
    CHECK(cdp_two_proportion_p(0, 10, 0, 20) == 1);
    CHECK(isnan(cdp_two_proportion_p(0, 10, 0, 0)));
}

static void means(void)
{
    static const double a[] = { 0, 0, 120.5, 0, 300, 0, 55, 0, 0, 80 };
    static const double b[] = { 0, 0, 0, 40, 0, 0, 10 };
    struct cdp_moments ma = { 0 }, mb = { 0 };
    for (size_t i = 0; i < sizeof a / sizeof *a; i++)
        cdp_moments_add(&ma, a[i]);
    for (size_t i = 0; i < sizeof b / sizeof *b; i++)
        cdp_moments_add(&mb, b[i]);
    struct cdp_welch w;
    CHECK(cdp_welch_test(&ma, &mb, 0.95, &w));
    NEAR(w.diff, 48.407142857142857, 1e-12);
    NEAR(w.se, 30.90573050430187, 1e-9);
    NEAR(w.df, 9.6168847444499374, 1e-9);
    NEAR(w.t, 1.5662837301452851, 1e-9);
    NEAR(w.ci.low, -20.828786494445665, 1e-6);
    NEAR(w.ci.high, 117.64307220873138, 1e-6);
    NEAR(w.p, 0.14956232856503792, 1e-9);
    /* Too few, or no spread at all: no test. */
    struct cdp_moments one = { 0 }, zeros = { 0 };
    cdp_moments_add(&one, 5);
    CHECK(!cdp_welch_test(&ma, &one, 0.95, &w));
    for (int i = 0; i < 4; i++)
        cdp_moments_add(&zeros, 0);
    CHECK(!cdp_welch_test(&zeros, &zeros, 0.95, &w));
    CHECK(w.diff == 0 && isnan(w.p));
    CHECK(isnan(cdp_moments_variance(&one)));
}

int main(void)
{
    distributions();
    proportions();
    means();
    return check_report("test_stats");
}
