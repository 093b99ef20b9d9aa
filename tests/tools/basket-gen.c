/* basket-gen: linked event records (as cdp-dedupe writes them) of a shop
 * with many items, for cdp-recommend's scale bench: cdp-gen's furniture
 * catalogue has a few hundred items, the issue asks for 100k.
 *
 *   basket-gen [--events N] [--items N] [--seed S]
 *
 * Items fall in categories of 50; popularity follows Zipf's law within a
 * category and across categories. People have one to three categories of
 * interest; a visit views one to six items of one of them, may put some in
 * the cart, and half the carts become an order (with an item or two of the
 * same category added at the till). About 55% of the events are views, 20%
 * cart adds and 25% purchase lines. The same options write the same bytes. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PER_CATEGORY 50

static uint64_t rng_state;

static uint64_t next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double unit(void)
{
    return (double)(next() >> 11) / 9007199254740992.0;
}

/* An index 0..n-1 by a cumulative distribution. */
static size_t pick(const double *cdf, size_t n)
{
    double u = unit() * cdf[n - 1];
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static const char *iso(int64_t ts, char *out)
{
    time_t t = (time_t)ts;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 24, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return out;
}

static void zipf(double *cdf, size_t n, double s)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        cdf[i] = sum += 1 / pow((double)i + 1, s);
}

int main(int argc, char **argv)
{
    long events = 1000000, items = 10000, seed = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--events"))
            events = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--items"))
            items = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--seed"))
            seed = atol(argv[i + 1]);
        else {
            fprintf(stderr, "usage: basket-gen [--events N] [--items N] [--seed S]\n");
            return 2;
        }
    }
    if (events < 1 || items < PER_CATEGORY) {
        fprintf(stderr, "basket-gen: --events at least 1, --items at least %d\n", PER_CATEGORY);
        return 2;
    }
    rng_state = (uint64_t)seed;
    size_t ncat = (size_t)items / PER_CATEGORY;
    double *cat_cdf = malloc(ncat * sizeof *cat_cdf), item_cdf[PER_CATEGORY];
    zipf(cat_cdf, ncat, 0.8);
    zipf(item_cdf, PER_CATEGORY, 1.0);
    const int64_t start = 1735689600; /* 2025-01-01 */
    long written = 0, person = 0, order = 0;
    static char buf[1 << 16];
    char when[24];
    setvbuf(stdout, buf, _IOFBF, sizeof buf);
    while (written < events) {
        person++;
        size_t interests[3];
        int ninterest = 1 + (int)(next() % 3);
        for (int k = 0; k < ninterest; k++)
            interests[k] = pick(cat_cdf, ncat);
        int visits = 1 + (int)(-log(1 - unit()) * 4);
        for (int v = 0; v < visits && written < events; v++) {
            int64_t ts = start + (int64_t)(next() % (365 * 86400));
            size_t cat = interests[next() % (unsigned)ninterest];
            size_t seen[6];
            int nseen = 1 + (int)(next() % 6), ncart = 0;
            size_t cart[6];
            for (int k = 0; k < nseen && written < events; k++) {
                seen[k] = cat * PER_CATEGORY + pick(item_cdf, PER_CATEGORY);
                const char *what = "view";
                if (unit() < 0.35) {
                    cart[ncart++] = seen[k];
                    what = "cart_add";
                }
                ts += 30 + (int64_t)(next() % 300);
                printf("{\"_source\":\"web\",\"_rid\":\"%ld\",\"_kind\":\"event\",\"ts\":\"%s\","
                       "\"event\":\"%s\",\"sku\":\"S%06zu\",\"category\":\"C%04zu\",\"price\":%zu.00,"
                       "\"cdp_id\":\"p%07ld\"}\n",
                       ++written, iso(ts, when), what, seen[k], cat, 100 + seen[k] % 900, person);
            }
            if (!ncart || unit() < 0.5)
                continue;
            int extra = (int)(next() % 3);
            for (int k = 0; k < extra && ncart < 6; k++)
                cart[ncart++] = cat * PER_CATEGORY + pick(item_cdf, PER_CATEGORY);
            order++;
            ts += 600;
            for (int k = 0; k < ncart && written < events; k++)
                printf("{\"_source\":\"shop\",\"_rid\":\"%ld\",\"_kind\":\"event\",\"ts\":\"%s\","
                       "\"event\":\"purchase\",\"order_id\":\"O%08ld\",\"sku\":\"S%06zu\","
                       "\"category\":\"C%04zu\",\"qty\":1,\"price\":%zu.00,\"cdp_id\":\"p%07ld\"}\n",
                       ++written, iso(ts, when), order, cart[k], cat, 100 + cart[k] % 900, person);
        }
    }
    free(cat_cdf);
    if (fflush(stdout) != 0) {
        perror("basket-gen");
        return 1;
    }
    return 0;
}
