/* stats.h: the statistics of a campaign against its control group.
 *
 * Two arms, the people who were sent the campaign and the held-out control
 * group, are compared on a proportion (who bought within the window) and on
 * means (revenue and orders per person). For each: the difference, a 95%
 * confidence interval and a two-sided p-value.
 *
 * - A proportion alone: Wilson's score interval (Wilson 1927), which stays
 *   inside [0, 1] and behaves with small counts and rates near 0 or 1,
 *   where the textbook (Wald) interval does not.
 * - The difference of two proportions: Newcombe's hybrid score interval
 *   (Newcombe 1998, method 10), built from the two Wilson intervals; its
 *   coverage is close to 95% even for a few dozen people an arm. The
 *   p-value is the two-proportion z-test's (pooled, no continuity
 *   correction), the test whose interval Newcombe's improves on.
 * - The difference of two means: Welch's t (unequal variances), its
 *   degrees of freedom by Welch-Satterthwaite. Revenue per person is mostly
 *   zeros and a few large baskets; Welch's t stays honest when the two arms
 *   differ in size and spread, which Student's pooled t does not.
 *
 * The distribution functions are written here (normal by erfc, Student's t
 * by the regularised incomplete beta function, quantiles by bisection) and
 * tested against values computed independently (tests/unit/insight). */
#ifndef CDP_INSIGHT_STATS_H
#define CDP_INSIGHT_STATS_H

#include <stdbool.h>
#include <stdint.h>

/* z such that P(|Z| < z) = 0.95: 1.959963984540054. */
#define CDP_Z95 1.959963984540054

struct cdp_interval {
    double low, high;
};

/* The standard normal distribution: P(Z <= x), and x for a probability p
 * in (0, 1). */
double cdp_normal_cdf(double x);
double cdp_normal_quantile(double p);

/* Student's t with df > 0 degrees of freedom (df need not be whole):
 * P(T <= t), and t for a probability p in (0, 1). */
double cdp_t_cdf(double t, double df);
double cdp_t_quantile(double p, double df);

/* The regularised incomplete beta function I_x(a, b), a, b > 0. */
double cdp_beta_inc(double a, double b, double x);

/* Wilson's score interval for x successes in n trials at z (CDP_Z95 for
 * 95%); false (and [0, 1]) when n is 0. */
bool cdp_wilson(uint64_t x, uint64_t n, double z, struct cdp_interval *out);

/* Newcombe's interval for p1 - p0 (x1 of n1 against x0 of n0); false when
 * either n is 0. */
bool cdp_newcombe(uint64_t x1, uint64_t n1, uint64_t x0, uint64_t n0, double z,
                  struct cdp_interval *out);

/* The two-sided p-value of the pooled two-proportion z-test; NaN when
 * either n is 0, 1 when nobody or everybody converted in both arms. */
double cdp_two_proportion_p(uint64_t x1, uint64_t n1, uint64_t x0, uint64_t n0);

/* Count, mean and sum of squared deviations of a sample, added one value
 * at a time (Welford's method: no cancellation with large sums). */
struct cdp_moments {
    uint64_t n;
    double mean, m2;
};

void cdp_moments_add(struct cdp_moments *m, double x);
/* The sample variance (n - 1 in the denominator); NaN for n < 2. */
double cdp_moments_variance(const struct cdp_moments *m);

/* Welch's comparison of the means of a (treatment) and b (control). */
struct cdp_welch {
    double diff;         /* mean(a) - mean(b) */
    double se, t, df;    /* standard error, t statistic, degrees of freedom */
    struct cdp_interval ci;
    double p;            /* two-sided */
};

/* Fills w at confidence level `level` (0.95). false when either arm has
 * fewer than 2 values, or both have no spread (every value the same): no
 * interval then (w->diff is still set; the rest NaN). */
bool cdp_welch_test(const struct cdp_moments *a, const struct cdp_moments *b, double level,
                    struct cdp_welch *w);

#endif
