/* stats.c: see stats.h. */
#include "insight/stats.h"

#include <math.h>

double cdp_normal_cdf(double x)
{
    return 0.5 * erfc(-x / M_SQRT2);
}

/* Bisection: the cdf is monotone and cheap, and 200 halvings of [-40, 40]
 * reach the last bit of a double, so no approximation's error need be
 * argued. */
static double invert(double (*cdf)(double x, double arg), double arg, double p, double lo,
                     double hi)
{
    for (int i = 0; i < 200 && hi - lo > 0; i++) {
        double mid = lo + (hi - lo) / 2;
        if (mid == lo || mid == hi)
            break;
        if (cdf(mid, arg) < p)
            lo = mid;
        else
            hi = mid;
    }
    return lo + (hi - lo) / 2;
}

static double normal_cdf_arg(double x, double unused)
{
    (void)unused;
    return cdp_normal_cdf(x);
}

double cdp_normal_quantile(double p)
{
    if (!(p > 0 && p < 1))
        return NAN;
    return invert(normal_cdf_arg, 0, p, -40, 40);
}

/* The continued fraction of the incomplete beta function, evaluated by the
 * modified Lentz method; converges fast for x < (a + 1) / (a + b + 2). */
static double beta_fraction(double a, double b, double x)
{
    const double tiny = 1e-300, eps = 1e-16;
    double c = 1, d = 1 - (a + b) * x / (a + 1);
    if (fabs(d) < tiny)
        d = tiny;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= 1000; m++) {
        double num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
        for (int pass = 0; pass < 2; pass++) {
            d = 1 + num * d;
            if (fabs(d) < tiny)
                d = tiny;
            c = 1 + num / c;
            if (fabs(c) < tiny)
                c = tiny;
            d = 1 / d;
            double step = d * c;
            h *= step;
            if (pass == 1 && fabs(step - 1) < eps)
                return h;
            num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
        }
    }
    return h;
}

double cdp_beta_inc(double a, double b, double x)
{
    if (x <= 0)
        return 0;
    if (x >= 1)
        return 1;
    double front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
    if (x < (a + 1) / (a + b + 2))
        return front * beta_fraction(a, b, x) / a;
    return 1 - front * beta_fraction(b, a, 1 - x) / b;
}

double cdp_t_cdf(double t, double df)
{
    if (isnan(t) || !(df > 0))
        return NAN;
    if (isinf(t))
        return t > 0 ? 1 : 0;
    /* P(|T| > |t|) = I_{df/(df+t^2)}(df/2, 1/2). */
    double tail = 0.5 * cdp_beta_inc(df / 2, 0.5, df / (df + t * t));
    return t > 0 ? 1 - tail : tail;
}

double cdp_t_quantile(double p, double df)
{
    if (!(p > 0 && p < 1) || !(df > 0))
        return NAN;
    double hi = 1;
    while (cdp_t_cdf(hi, df) < p && hi < 1e300)
        hi *= 2;
    double lo = -1;
    while (cdp_t_cdf(lo, df) > p && lo > -1e300)
        lo *= 2;
    return invert(cdp_t_cdf, df, p, lo, hi);
}

bool cdp_wilson(uint64_t x, uint64_t n, double z, struct cdp_interval *out)
{
    *out = (struct cdp_interval){ 0, 1 };
    if (n == 0 || x > n)
        return false;
    double nn = (double)n, p = (double)x / nn, z2 = z * z;
    double denom = 1 + z2 / nn;
    double centre = (p + z2 / (2 * nn)) / denom;
    double half = z / denom * sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
    out->low = fmax(0, centre - half);
    out->high = fmin(1, centre + half);
    /* Exactly 0 and 1 where the formula lands there but for rounding. */
    if (x == 0)
        out->low = 0;
    if (x == n)
        out->high = 1;
    return true;
}

bool cdp_newcombe(uint64_t x1, uint64_t n1, uint64_t x0, uint64_t n0, double z,
                  struct cdp_interval *out)
{
    struct cdp_interval w1, w0;
    bool treated_ok = cdp_wilson(x1, n1, z, &w1);
    bool control_ok = cdp_wilson(x0, n0, z, &w0);
    if (!treated_ok || !control_ok) {
        *out = (struct cdp_interval){ NAN, NAN };
        return false;
    }
    double p1 = (double)x1 / (double)n1, p0 = (double)x0 / (double)n0, d = p1 - p0;
    out->low = d - sqrt((p1 - w1.low) * (p1 - w1.low) + (w0.high - p0) * (w0.high - p0));
    out->high = d + sqrt((w1.high - p1) * (w1.high - p1) + (p0 - w0.low) * (p0 - w0.low));
    return true;
}

double cdp_two_proportion_p(uint64_t x1, uint64_t n1, uint64_t x0, uint64_t n0)
{
    if (n1 == 0 || n0 == 0)
        return NAN;
    double p1 = (double)x1 / (double)n1, p0 = (double)x0 / (double)n0;
    double pooled = (double)(x1 + x0) / (double)(n1 + n0);
    double se = sqrt(pooled * (1 - pooled) * (1.0 / (double)n1 + 1.0 / (double)n0));
    if (se == 0)
        return 1;
    return erfc(fabs(p1 - p0) / se / M_SQRT2);
}

void cdp_moments_add(struct cdp_moments *m, double x)
{
    m->n++;
    double delta = x - m->mean;
    m->mean += delta / (double)m->n;
    m->m2 += delta * (x - m->mean);
}

double cdp_moments_variance(const struct cdp_moments *m)
{
    return m->n < 2 ? NAN : m->m2 / (double)(m->n - 1);
}

bool cdp_welch_test(const struct cdp_moments *a, const struct cdp_moments *b, double level,
                    struct cdp_welch *w)
{
    w->diff = a->mean - b->mean;
    w->se = w->t = w->df = w->p = NAN;
    w->ci = (struct cdp_interval){ NAN, NAN };
    if (a->n < 2 || b->n < 2)
        return false;
    double va = cdp_moments_variance(a) / (double)a->n;
    double vb = cdp_moments_variance(b) / (double)b->n;
    if (va + vb <= 0)
        return false;
    w->se = sqrt(va + vb);
    w->t = w->diff / w->se;
    w->df = (va + vb) * (va + vb) / (va * va / (double)(a->n - 1) + vb * vb / (double)(b->n - 1));
    double crit = cdp_t_quantile(1 - (1 - level) / 2, w->df);
    w->ci = (struct cdp_interval){ w->diff - crit * w->se, w->diff + crit * w->se };
    w->p = cdp_beta_inc(w->df / 2, 0.5, w->df / (w->df + w->t * w->t));
    return true;
}
