/* population.c: RFM quintiles and top-share thresholds; see population.h. */
#include "segment/population.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/sort.h"
#include "io/json.h"

struct buyer {
    double days, orders, revenue;
};

struct cdp_population {
    uint32_t *buyer_of; /* position -> buyer index + 1 (0: not a buyer) */
    size_t npos, pos_cap;
    struct buyer *b;
    size_t nb, b_cap;
    double *values; /* values above zero, for the top share */
    size_t nv, v_cap;
    uint32_t *frank; /* buyer index -> frequency rank (1-based) */
    double redge[4], fedge[4], medge[4];
};

struct cdp_population *cdp_population_new(void)
{
    return cdp_xcalloc(1, sizeof(struct cdp_population));
}

void cdp_population_free(struct cdp_population *p)
{
    if (!p)
        return;
    free(p->buyer_of);
    free(p->b);
    free(p->values);
    free(p->frank);
    free(p);
}

void cdp_population_add(struct cdp_population *p, bool buyer, double days, double orders,
                        double revenue, double value)
{
    if (p->npos == p->pos_cap) {
        p->pos_cap = p->pos_cap ? p->pos_cap * 2 : 4096;
        p->buyer_of = cdp_xrealloc(p->buyer_of, p->pos_cap * sizeof *p->buyer_of);
    }
    uint32_t idx = 0;
    if (buyer) {
        if (p->nb == p->b_cap) {
            p->b_cap = p->b_cap ? p->b_cap * 2 : 4096;
            p->b = cdp_xrealloc(p->b, p->b_cap * sizeof *p->b);
        }
        p->b[p->nb++] = (struct buyer){ days, orders, revenue };
        idx = (uint32_t)p->nb;
    }
    p->buyer_of[p->npos++] = idx;
    if (value > 0) {
        if (p->nv == p->v_cap) {
            p->v_cap = p->v_cap ? p->v_cap * 2 : 4096;
            p->values = cdp_xrealloc(p->values, p->v_cap * sizeof *p->values);
        }
        p->values[p->nv++] = value;
    }
}

/* numpy.percentile(v, q), linear: v sorted ascending, n > 0. */
static double percentile(const double *v, size_t n, double q)
{
    double pos = q * (double)(n - 1);
    size_t lo = (size_t)floor(pos);
    if (lo + 1 >= n)
        return v[n - 1];
    return v[lo] + (pos - (double)lo) * (v[lo + 1] - v[lo]);
}

static void edges(double *v, size_t n, double e[4])
{
    cdp_sort_doubles(v, n);
    for (int k = 0; k < 4; k++)
        e[k] = percentile(v, n, (k + 1) / 5.0);
}

static int bin(const double e[4], double x)
{
    int b = 0;
    for (int k = 0; k < 4; k++)
        b += x > e[k];
    return b;
}

void cdp_population_finish(struct cdp_population *p)
{
    size_t n = p->nb;
    if (n) {
        double *tmp = cdp_xmalloc(n * sizeof *tmp);
        for (size_t i = 0; i < n; i++)
            tmp[i] = p->b[i].days;
        edges(tmp, n, p->redge);
        for (size_t i = 0; i < n; i++)
            tmp[i] = p->b[i].revenue;
        edges(tmp, n, p->medge);
        free(tmp);
        /* ranked by orders, ties by input position: a stable sort of the
         * buyers in input order. Radix sorts here, single-threaded between
         * the two passes: with qsort this function took 182M instructions
         * at 131k profiles, 36M now (base/sort.h). */
        uint64_t *key = cdp_xmalloc(n * sizeof *key);
        uint32_t *idx = cdp_xmalloc(n * sizeof *idx);
        for (size_t i = 0; i < n; i++) {
            key[i] = cdp_double_sort_key(p->b[i].orders);
            idx[i] = (uint32_t)i;
        }
        cdp_sort_keys(key, idx, n);
        p->frank = cdp_xmalloc(n * sizeof *p->frank);
        for (size_t i = 0; i < n; i++)
            p->frank[idx[i]] = (uint32_t)(i + 1);
        free(idx);
        free(key);
        /* Edges over the ranks 1..n. */
        for (int k = 0; k < 4; k++)
            p->fedge[k] = 1 + (k + 1) / 5.0 * (double)(n - 1);
    }
    cdp_sort_doubles(p->values, p->nv);
}

bool cdp_population_rfm(const struct cdp_population *p, size_t pos, int *r, int *f, int *m)
{
    if (pos >= p->npos || !p->buyer_of[pos])
        return false;
    size_t i = p->buyer_of[pos] - 1;
    *r = 5 - bin(p->redge, p->b[i].days);
    *f = 1 + bin(p->fedge, (double)p->frank[i]);
    *m = 1 + bin(p->medge, p->b[i].revenue);
    return true;
}

const char *cdp_rfm_segment(int r, int f)
{
    if (r == 5)
        return f >= 4 ? "Champions" : f >= 2 ? "Potential loyalists" : "New";
    if (r == 4)
        return f >= 4 ? "Loyal" : f >= 2 ? "Potential loyalists" : "Promising";
    if (r == 3)
        return f >= 4 ? "Loyal" : f == 3 ? "Need attention" : "About to sleep";
    return f == 5 ? "Can't lose" : f >= 3 ? "At risk" : "Hibernating";
}

double cdp_population_top_threshold(const struct cdp_population *p, double share)
{
    if (!p->nv || !(share > 0))
        return INFINITY;
    double want = ceil((double)p->nv * (share > 100 ? 100 : share) / 100.0 - 1e-9);
    size_t k = want < 1 ? 1 : (size_t)want;
    /* values ascending: the k-th largest */
    return p->values[p->nv - k];
}

size_t cdp_population_buyers(const struct cdp_population *p)
{
    return p->nb;
}

void cdp_population_edges(const struct cdp_population *p, struct cdp_population_edges *e)
{
    memcpy(e->redge, p->redge, sizeof e->redge);
    memcpy(e->medge, p->medge, sizeof e->medge);
    /* frank > fedge[k] holds from the rank floor(fedge[k]) + 1 on: the
     * buyer at that rank is the edge. */
    uint32_t *at = cdp_xcalloc(p->nb + 1, sizeof *at);
    for (size_t i = 0; i < p->nb; i++)
        at[p->frank[i] - 1] = (uint32_t)i;
    for (int k = 0; k < 4; k++) {
        double first = floor(p->fedge[k]);
        e->f_buyer[k] = SIZE_MAX;
        e->f_orders[k] = 0;
        if (p->nb && first < (double)p->nb) {
            e->f_buyer[k] = at[(size_t)first];
            e->f_orders[k] = p->b[e->f_buyer[k]].orders;
        }
    }
    free(at);
}

void cdp_population_rm(const struct cdp_population_edges *e, double days, double revenue, int *r, int *m)
{
    *r = 5 - bin(e->redge, days);
    *m = 1 + bin(e->medge, revenue);
}

bool cdp_population_read_line(struct cdp_json_parser *json, const char *line, size_t len, double *days,
                              double *orders, double *revenue, double *value)
{
    static const char *const keys[] = { "orders", "days_since_last_purchase", "revenue",
                                        "revenue_365d" };
    double v[4] = { NAN, NAN, NAN, NAN };
    cdp_json_get_numbers(json, line, len, keys, 4, v);
    *orders = v[0];
    *days = v[1];
    *revenue = isnan(v[2]) ? 0 : v[2];
    *value = isnan(v[3]) ? 0 : v[3];
    return *orders > 0 && !isnan(*days);
}

size_t cdp_population_profiles(const struct cdp_population *p)
{
    return p->npos;
}
