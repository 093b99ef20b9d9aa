/* identity/matcher.c: blocking, training and scoring; see identity/matcher.h. */
#include "identity/matcher.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/intern.h"

void cdp_fspairs_release(struct cdp_fspairs *p)
{
    free(p->v);
    memset(p, 0, sizeof *p);
}

static void push(struct cdp_fspairs *p, uint64_t v)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 4096;
        p->v = cdp_xrealloc(p->v, p->cap * sizeof *p->v);
    }
    p->v[p->n++] = v;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void sort_unique(struct cdp_fspairs *p)
{
    if (p->n < 2)
        return;
    qsort(p->v, p->n, sizeof *p->v, cmp_u64);
    size_t w = 1;
    for (size_t i = 1; i < p->n; i++)
        if (p->v[i] != p->v[w - 1])
            p->v[w++] = p->v[i];
    p->n = w;
}

struct keyed {
    uint64_t hash;
    uint32_t row;
};

static int cmp_keyed(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

static int cmp_block(const void *a, const void *b)
{
    const size_t *x = a, *y = b; /* start, size */
    if (x[1] != y[1])
        return x[1] < y[1] ? -1 : 1;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

static void block_rule(const struct cdp_fsmodel *m, const struct cdp_fstable *t,
                       const struct cdp_fs_rule *rule, int r, struct cdp_fspairs *out,
                       struct cdp_fs_block_stats *st)
{
    size_t n = cdp_fstable_rows(t), nk = 0;
    struct keyed *k = cdp_xmalloc((n + 1) * sizeof *k);
    struct cdp_buf key = CDP_BUF_INIT;
    for (uint32_t row = 0; row < n; row++) {
        cdp_buf_reset(&key);
        bool ok = true;
        for (int p = 0; p < rule->nparts && ok; p++) {
            if (p)
                cdp_buf_addc(&key, '\x1f');
            ok = cdp_fstable_part(t, &rule->parts[p], row, &key);
        }
        if (ok)
            k[nk++] = (struct keyed){ cdp_intern_hash(key.data ? key.data : "", key.len), row };
    }
    cdp_buf_release(&key);
    qsort(k, nk, sizeof *k, cmp_keyed);
    /* The blocks, smallest first: a rule may give at most max_pairs_per_record
     * pairs per record, so that a broad rule that helps on ten thousand
     * records does not swamp a million (its largest blocks go first, and
     * are counted as skipped). */
    struct block {
        size_t start, size;
    } *bl = cdp_xmalloc((nk + 1) * sizeof *bl);
    size_t nb = 0;
    for (size_t i = 0; i < nk;) {
        size_t j = i;
        while (j < nk && k[j].hash == k[i].hash)
            j++;
        if (j - i > 1)
            bl[nb++] = (struct block){ i, j - i };
        i = j;
    }
    qsort(bl, nb, sizeof *bl, cmp_block);
    double budget = m->max_pairs_per_record * (double)n, used = 0;
    for (size_t x = 0; x < nb; x++) {
        size_t i = bl[x].start, size = bl[x].size, j = i + size;
        double pairs = (double)size * (double)(size - 1) / 2;
        if (size > m->max_block || used + pairs > budget) {
            if (st) {
                st->skipped_blocks[r]++;
                st->skipped_records[r] += size;
            }
            continue;
        }
        used += pairs;
        for (size_t a = i; a < j; a++)
            for (size_t b = a + 1; b < j; b++)
                push(out, (uint64_t)k[a].row << 32 | k[b].row);
    }
    free(bl);
    free(k);
}

void cdp_fs_block(const struct cdp_fsmodel *m, const struct cdp_fstable *t, int rule,
                  struct cdp_fspairs *out, struct cdp_fs_block_stats *st)
{
    out->n = 0;
    for (int r = 0; r < m->nrules; r++) {
        if (rule >= 0 && r != rule)
            continue;
        size_t before = out->n;
        block_rule(m, t, &m->rules[r], r, out, st);
        if (st)
            st->pairs_by_rule[r] += out->n - before;
    }
    sort_unique(out);
    if (st && rule < 0)
        st->candidates = out->n;
}

/* ---- patterns: the level of each comparison, counted -------------------- */

struct pattern {
    uint8_t lv[CDP_FS_MAX_COMPARISONS];
    double count;
};

/* A pattern packed into 128 bits (4 bits a comparison, 15 for null). Pairs
 * are counted by pattern in a hash table: there are millions of pairs but
 * only thousands of patterns. */
typedef unsigned __int128 packed_t;

struct pattern_count {
    packed_t key;
    double count; /* 0: an empty slot */
};

struct pattern_table {
    struct pattern_count *v;
    size_t cap, n;
};

static size_t slot_of(packed_t k, size_t cap)
{
    uint64_t h = (uint64_t)k * 0x9E3779B97F4A7C15ULL ^ (uint64_t)(k >> 64) * 0xC2B2AE3D27D4EB4FULL;
    return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

static void table_add(struct pattern_table *t, packed_t k, double count)
{
    if (2 * (t->n + 1) > t->cap) {
        struct pattern_table g = { cdp_xcalloc(t->cap ? t->cap * 2 : 1024, sizeof *g.v),
                                   t->cap ? t->cap * 2 : 1024, 0 };
        for (size_t i = 0; i < t->cap; i++)
            if (t->v[i].count > 0)
                table_add(&g, t->v[i].key, t->v[i].count);
        free(t->v);
        *t = g;
    }
    size_t i = slot_of(k, t->cap);
    while (t->v[i].count > 0 && t->v[i].key != k)
        i = (i + 1) & (t->cap - 1);
    if (t->v[i].count == 0) {
        t->v[i].key = k;
        t->n++;
    }
    t->v[i].count += count;
}

struct pattern_job {
    const struct cdp_fsmodel *m;
    const struct cdp_fstable *t;
    const uint64_t *pairs;
    size_t from, to;
    struct pattern_table table;
};

static void *count_patterns(void *arg)
{
    struct pattern_job *j = arg;
    for (size_t i = j->from; i < j->to; i++) {
        uint32_t a = (uint32_t)(j->pairs[i] >> 32), b = (uint32_t)j->pairs[i];
        packed_t v = 0;
        for (int c = 0; c < j->m->ncomps; c++) {
            int l = cdp_fs_level(j->m, j->t, c, a, b);
            v |= (packed_t)(l == CDP_FS_NULL_LEVEL ? 15 : l) << (4 * c);
        }
        table_add(&j->table, v, 1);
    }
    return NULL;
}

static int cmp_pattern(const void *a, const void *b)
{
    return memcmp(((const struct pattern *)a)->lv, ((const struct pattern *)b)->lv,
                  sizeof ((const struct pattern *)a)->lv);
}

/* Distinct level patterns of the pairs, with their counts (computed on two
 * threads; the result is in a fixed order, whatever the threads did). */
static struct pattern *patterns_of(const struct cdp_fsmodel *m, const struct cdp_fstable *t,
                                   const uint64_t *pairs, size_t n, size_t *np)
{
    enum { PARTS = 2 };
    struct pattern_job jobs[PARTS];
    pthread_t th[PARTS];
    bool started[PARTS] = { false };
    for (size_t i = 0; i < PARTS; i++) {
        jobs[i] = (struct pattern_job){ m, t, pairs, n * i / PARTS, n * (i + 1) / PARTS, { NULL, 0, 0 } };
        if (i + 1 < PARTS && n > 10000 && pthread_create(&th[i], NULL, count_patterns, &jobs[i]) == 0)
            started[i] = true;
        else
            count_patterns(&jobs[i]);
    }
    for (size_t i = 0; i + 1 < PARTS; i++)
        if (started[i])
            pthread_join(th[i], NULL);
    for (size_t i = 1; i < PARTS; i++) {
        for (size_t k = 0; k < jobs[i].table.cap; k++)
            if (jobs[i].table.v[k].count > 0)
                table_add(&jobs[0].table, jobs[i].table.v[k].key, jobs[i].table.v[k].count);
        free(jobs[i].table.v);
    }
    struct pattern_table *tb = &jobs[0].table;
    struct pattern *p = cdp_xmalloc((tb->n + 1) * sizeof *p);
    size_t w = 0;
    for (size_t k = 0; k < tb->cap; k++) {
        if (tb->v[k].count <= 0)
            continue;
        memset(p[w].lv, CDP_FS_NULL_LEVEL, sizeof p[w].lv);
        for (int c = 0; c < m->ncomps; c++) {
            int l = (int)((tb->v[k].key >> (4 * c)) & 15);
            p[w].lv[c] = (uint8_t)(l == 15 ? CDP_FS_NULL_LEVEL : l);
        }
        p[w++].count = tb->v[k].count;
    }
    free(tb->v);
    /* sums in EM do not depend on the hash table's order */
    if (w > 1)
        qsort(p, w, sizeof *p, cmp_pattern);
    *np = w;
    return p;
}

/* splitmix64: a seeded, reproducible stream. */
static uint64_t next_random(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

#define SAMPLE_PAIRS 1000000

/* A sample of at most max pairs (all of them when there are fewer). */
static void sample(const struct cdp_fspairs *all, size_t max, uint64_t *seed, struct cdp_fspairs *out)
{
    out->n = 0;
    if (all->n <= max) {
        for (size_t i = 0; i < all->n; i++)
            push(out, all->v[i]);
        return;
    }
    for (size_t i = 0; i < max; i++)
        push(out, all->v[next_random(seed) % all->n]);
}

/* The level patterns of random pairs: all pairs when there are few records,
 * else a seeded sample of SAMPLE_PAIRS. */
static struct pattern *random_patterns(const struct cdp_fsmodel *m, const struct cdp_fstable *t, uint64_t *seed,
                                       size_t *np, struct cdp_fs_train_report *rep)
{
    size_t n = cdp_fstable_rows(t);
    struct cdp_fspairs r = { 0 };
    double total = (double)n * (double)(n - 1) / 2;
    if (total <= SAMPLE_PAIRS) {
        for (uint32_t a = 0; a < n; a++)
            for (uint32_t b = a + 1; b < n; b++)
                push(&r, (uint64_t)a << 32 | b);
    } else {
        while (r.n < SAMPLE_PAIRS) {
            uint32_t a = (uint32_t)(next_random(seed) % n), b = (uint32_t)(next_random(seed) % n);
            if (a == b)
                continue;
            push(&r, a < b ? (uint64_t)a << 32 | b : (uint64_t)b << 32 | a);
        }
    }
    rep->random_pairs = r.n;
    struct pattern *p = patterns_of(m, t, r.v, r.n, np);
    cdp_fspairs_release(&r);
    return p;
}

/* The chance that a pair of pattern p is a match, under m's m, u and prior
 * (no term frequencies). */
static double posterior(const struct cdp_fsmodel *m, const struct pattern *p)
{
    double lo = log(m->prior / (1 - m->prior));
    for (int c = 0; c < m->ncomps; c++) {
        int l = p->lv[c];
        if (l != CDP_FS_NULL_LEVEL)
            lo += log(m->comps[c].levels[l].m / m->comps[c].levels[l].u);
    }
    return lo > 700 ? 1 : lo < -700 ? 0 : 1 / (1 + exp(-lo));
}

/* u: how often random pairs fall in each level. With refine, each pair
 * counts by its chance of not being a match under the model as trained so
 * far: in a small file full of duplicates, random pairs of one person are
 * not rare (fake_1000: 250 persons in 1,000 records, 0.4% of all pairs),
 * and counting them would make sharing an e-mail look common among
 * strangers. */
static void estimate_u(struct cdp_fsmodel *m, const struct pattern *p, size_t np, bool refine)
{
    double *weight = cdp_xmalloc((np + 1) * sizeof *weight);
    for (size_t i = 0; i < np; i++)
        weight[i] = p[i].count * (refine ? 1 - posterior(m, &p[i]) : 1);
    for (int c = 0; c < m->ncomps; c++) {
        struct cdp_fs_comparison *cmp = &m->comps[c];
        double cnt[CDP_FS_MAX_LEVELS] = { 0 }, sum = 0;
        for (size_t i = 0; i < np; i++)
            if (p[i].lv[c] != CDP_FS_NULL_LEVEL) {
                cnt[p[i].lv[c]] += weight[i];
                sum += weight[i];
            }
        if (sum == 0)
            continue; /* nothing to learn from: keep the file's u */
        /* Half a pair added to every level: a level no random pair falls in
         * (an exact identifier) gets a small u, not zero. */
        for (int l = 0; l < cmp->nlevels; l++)
            cmp->levels[l].u = (cnt[l] + 0.5) / (sum + 0.5 * cmp->nlevels);
    }
    free(weight);
}

static bool rule_blocks_field(const struct cdp_fs_rule *r, int field)
{
    for (int p = 0; p < r->nparts; p++)
        if (r->parts[p].field == field)
            return true;
    return false;
}

/* EM over patterns: active[c] says which comparisons take part; m updated
 * for those when update_m, the prior always. Returns iterations. */
static int em(struct cdp_fsmodel *m, const struct pattern *p, size_t np, const bool *active,
              bool update_m, double *lambda, double m_out[][CDP_FS_MAX_LEVELS])
{
    double mm[CDP_FS_MAX_COMPARISONS][CDP_FS_MAX_LEVELS];
    for (int c = 0; c < m->ncomps; c++)
        for (int l = 0; l < m->comps[c].nlevels; l++)
            mm[c][l] = m->comps[c].levels[l].m;
    int it;
    for (it = 1; it <= 100; it++) {
        double sum_p = 0, sum_n = 0;
        double num[CDP_FS_MAX_COMPARISONS][CDP_FS_MAX_LEVELS] = { { 0 } };
        double den[CDP_FS_MAX_COMPARISONS] = { 0 };
        double logm[CDP_FS_MAX_COMPARISONS][CDP_FS_MAX_LEVELS], logu[CDP_FS_MAX_COMPARISONS][CDP_FS_MAX_LEVELS];
        for (int c = 0; c < m->ncomps; c++)
            for (int l = 0; l < m->comps[c].nlevels; l++) {
                logm[c][l] = log(mm[c][l]);
                logu[c][l] = log(m->comps[c].levels[l].u);
            }
        double log_lambda = log(*lambda), log_not = log(1 - *lambda);
        for (size_t i = 0; i < np; i++) {
            double lm = log_lambda, lu = log_not;
            for (int c = 0; c < m->ncomps; c++) {
                int l = p[i].lv[c];
                if (!active[c] || l == CDP_FS_NULL_LEVEL)
                    continue;
                lm += logm[c][l];
                lu += logu[c][l];
            }
            double d = lu - lm;
            double post = d > 700 ? 0 : 1 / (1 + exp(d));
            sum_p += post * p[i].count;
            sum_n += p[i].count;
            if (update_m)
                for (int c = 0; c < m->ncomps; c++) {
                    int l = p[i].lv[c];
                    if (!active[c] || l == CDP_FS_NULL_LEVEL)
                        continue;
                    num[c][l] += post * p[i].count;
                    den[c] += post * p[i].count;
                }
        }
        double change = fabs(sum_p / sum_n - *lambda);
        *lambda = sum_p / sum_n;
        if (*lambda < 1e-12)
            *lambda = 1e-12;
        if (*lambda > 1 - 1e-9)
            *lambda = 1 - 1e-9;
        if (update_m)
            for (int c = 0; c < m->ncomps; c++) {
                if (!active[c] || den[c] <= 0)
                    continue;
                double s = 0;
                for (int l = 0; l < m->comps[c].nlevels; l++) {
                    double v = num[c][l] / den[c];
                    if (v < 1e-6)
                        v = 1e-6;
                    change = fmax(change, fabs(v - mm[c][l]));
                    mm[c][l] = v;
                    s += v;
                }
                for (int l = 0; l < m->comps[c].nlevels; l++)
                    mm[c][l] /= s;
            }
        if (change < 1e-7)
            break;
    }
    if (m_out)
        for (int c = 0; c < m->ncomps; c++)
            for (int l = 0; l < m->comps[c].nlevels; l++)
                m_out[c][l] = mm[c][l];
    return it;
}

/* The prior from EM on the prior alone over the patterns of a sample of the
 * ncandidates candidate pairs: the matches expected among them, over all
 * pairs of the n records. */
static void estimate_prior(struct cdp_fsmodel *m, const struct pattern *p, size_t np, size_t ncandidates,
                           size_t n, struct cdp_fs_train_report *rep)
{
    bool active[CDP_FS_MAX_COMPARISONS];
    for (int c = 0; c < m->ncomps; c++)
        active[c] = true;
    double lambda = 0.5;
    em(m, p, np, active, false, &lambda, NULL);
    rep->lambda_blocked = lambda;
    rep->expected_matches = lambda * (double)ncandidates;
    double prior = rep->expected_matches / ((double)n * (double)(n - 1) / 2);
    if (prior > 0 && prior < 1)
        m->prior = prior;
}

/* The session whose estimate of comparison c to take: the median of the
 * sessions that estimated it, ranked by m of the first level (how often
 * matches agree exactly), the upper one of an even number. A rule whose
 * pairs are mostly different people makes EM take a cluster of them for the
 * matches: on 100,000 generated persons the full-name rule (namesakes) gave
 * birth dates m 0.20 for "exact" where the e-mail and phone rules gave
 * 0.997, and the mean of the sessions made 353,814 expected matches of
 * 57,275; the median, 77,846. */
static int median_session(double (*est)[CDP_FS_MAX_COMPARISONS][CDP_FS_MAX_LEVELS], int c, int *sessions,
                          int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && est[sessions[j]][c][0] < est[sessions[j - 1]][c][0]; j--) {
            int x = sessions[j];
            sessions[j] = sessions[j - 1];
            sessions[j - 1] = x;
        }
    return sessions[n / 2];
}

void cdp_fs_train(struct cdp_fsmodel *m, const struct cdp_fstable *t, uint64_t seed,
                  struct cdp_fs_train_report *rep)
{
    memset(rep, 0, sizeof *rep);
    size_t n = cdp_fstable_rows(t);
    if (n < 2)
        return;
    uint64_t s = seed;
    size_t nrandom;
    struct pattern *random = random_patterns(m, t, &s, &nrandom, rep);
    estimate_u(m, random, nrandom, false);
    /* m: one EM session per training rule. */
    double(*est)[CDP_FS_MAX_COMPARISONS][CDP_FS_MAX_LEVELS] = cdp_xcalloc(16, sizeof *est);
    int session_of[CDP_FS_MAX_COMPARISONS][16];
    int sessions[CDP_FS_MAX_COMPARISONS] = { 0 };
    struct cdp_fspairs rule_pairs = { 0 }, some = { 0 };
    const struct cdp_fs_rule *trules = m->ntrain_rules ? m->train_rules : m->rules;
    int ntrules = m->ntrain_rules ? m->ntrain_rules : m->nrules;
    for (int r = 0; r < ntrules; r++) {
        rule_pairs.n = 0;
        block_rule(m, t, &trules[r], r, &rule_pairs, NULL);
        sort_unique(&rule_pairs);
        sample(&rule_pairs, SAMPLE_PAIRS, &s, &some);
        rep->em_pairs[r] = some.n;
        if (some.n == 0)
            continue;
        bool active[CDP_FS_MAX_COMPARISONS];
        for (int c = 0; c < m->ncomps; c++)
            active[c] = !rule_blocks_field(&trules[r], m->comps[c].field);
        size_t np;
        struct pattern *p = patterns_of(m, t, some.v, some.n, &np);
        double lambda = 0.5;
        rep->em_iterations[r] = em(m, p, np, active, true, &lambda, est[r]);
        for (int c = 0; c < m->ncomps; c++)
            if (active[c])
                session_of[c][sessions[c]++] = r;
        free(p);
    }
    for (int c = 0; c < m->ncomps; c++)
        if (sessions[c]) {
            int r = median_session(est, c, session_of[c], sessions[c]);
            for (int l = 0; l < m->comps[c].nlevels; l++)
                m->comps[c].levels[l].m = est[r][c][l];
        }
    free(est);
    /* The prior: matches expected among the candidates, over all pairs;
     * then u again, leaving out the random pairs that are matches, and the
     * prior again with it. */
    struct cdp_fspairs all = { 0 };
    cdp_fs_block(m, t, -1, &all, NULL);
    sample(&all, SAMPLE_PAIRS, &s, &some);
    if (some.n) {
        size_t np;
        struct pattern *p = patterns_of(m, t, some.v, some.n, &np);
        estimate_prior(m, p, np, all.n, n, rep);
        estimate_u(m, random, nrandom, true);
        estimate_prior(m, p, np, all.n, n, rep);
        free(p);
    }
    free(random);
    cdp_fspairs_release(&all);
    cdp_fspairs_release(&some);
    cdp_fspairs_release(&rule_pairs);
    m->trained = true;
}

void cdp_fs_refine(struct cdp_fsmodel *m, const struct cdp_fstable *t, const uint32_t *a,
                   const uint32_t *b, size_t n)
{
    enum { PSEUDO = 10 };
    for (int c = 0; c < m->ncomps; c++) {
        struct cdp_fs_comparison *cmp = &m->comps[c];
        double cnt[CDP_FS_MAX_LEVELS] = { 0 }, sum = 0;
        for (size_t i = 0; i < n; i++) {
            int l = cdp_fs_level(m, t, c, a[i], b[i]);
            if (l != CDP_FS_NULL_LEVEL) {
                cnt[l]++;
                sum++;
            }
        }
        if (sum == 0)
            continue;
        double total = 0;
        for (int l = 0; l < cmp->nlevels; l++) {
            double v = (cmp->levels[l].m * PSEUDO + cnt[l]) / (PSEUDO + sum);
            cmp->levels[l].m = v < 1e-6 ? 1e-6 : v;
            total += cmp->levels[l].m;
        }
        for (int l = 0; l < cmp->nlevels; l++)
            cmp->levels[l].m /= total;
    }
}

/* ---- scoring on every CPU ------------------------------------------------- */

struct score_job {
    const struct cdp_fsmodel *m;
    const struct cdp_fstable *t;
    const uint64_t *pairs;
    double *weights;
    size_t from, to;
    double floor;
    const int *order;       /* the comparisons in the order they are tried */
    const double *best;     /* the most each comparison can add (by model index) */
    const int *tf_level;    /* its term-frequency "exact" level, or -1 */
    const double (*best_from)[CDP_FS_MAX_LEVELS]; /* per comparison, the most its levels from l on
                                                    can add (a term-frequency level: any) */
};

/* The most comparison c can add to the weight of rows a and b: nothing when
 * a value is missing; for a term-frequency level, what agreeing on a's own
 * value would add (a common surname adds little even when equal). */
static double best_for(const struct score_job *j, int c, uint32_t a, uint32_t b)
{
    const struct cdp_fsmodel *m = j->m;
    int f = m->comps[c].field;
    if (cdp_fstable_value(j->t, f, a) == CDP_FS_NONE || cdp_fstable_value(j->t, f, b) == CDP_FS_NONE)
        return 0;
    double best = j->best[c];
    if (j->tf_level[c] >= 0) {
        double tf = cdp_fs_bayes(m, j->t, c, j->tf_level[c], a, b);
        if (tf > best)
            best = tf;
    }
    return best;
}

static void *score_part(void *arg)
{
    struct score_job *j = arg;
    const struct cdp_fsmodel *m = j->m;
    double prior = log2(m->prior / (1 - m->prior));
    int level[CDP_FS_MAX_COMPARISONS];
    double best[CDP_FS_MAX_COMPARISONS];
    for (size_t i = j->from; i < j->to; i++) {
        uint32_t a = (uint32_t)(j->pairs[i] >> 32), b = (uint32_t)j->pairs[i];
        /* Most candidates are plainly not matches: stop once even the best
         * levels of the rest could not lift the pair to the floor. The bound
         * is this pair's (its missing values and its names' frequencies):
         * with the model's best levels alone, fields no record has and the
         * rarest name kept a million pairs in play. */
        double rest = 0;
        for (int k = 0; k < m->ncomps; k++) {
            best[k] = best_for(j, j->order[k], a, b);
            rest += best[k];
        }
        double w = prior;
        bool reached = true;
        for (int k = 0; k < m->ncomps; k++) {
            int c = j->order[k];
            rest -= best[k];
            level[c] = cdp_fs_level_if(m, j->t, c, a, b, j->best_from[c], j->floor - 1e-9 - w - rest);
            if (level[c] == CDP_FS_NO_LEVEL) {
                reached = false;
                break;
            }
            w += cdp_fs_bayes(m, j->t, c, level[c], a, b);
            /* (a margin for the sums' rounding: the weight is summed again
             * below in another order) */
            if (w + rest < j->floor - 1e-9) {
                reached = false;
                break;
            }
        }
        if (!reached) {
            j->weights[i] = -INFINITY;
            continue;
        }
        /* the sum in the model's order, as cdp_fs_weight and the links file have it */
        w = prior;
        for (int c = 0; c < m->ncomps; c++)
            w += cdp_fs_bayes(m, j->t, c, level[c], a, b);
        j->weights[i] = w;
    }
    return NULL;
}

/* How dear a comparison's levels are to work out: dates and numbers are
 * arithmetic, strings an edit distance at most, names Jaro-Winkler and
 * swaps. Scoring tries the cheap ones first, so that most candidates (a
 * birth date far off) are dropped before their names are compared. */
static int cost_of(const struct cdp_fs_comparison *c)
{
    return c->type == CDP_FS_DATE || c->type == CDP_FS_NUMBER ? 0 : c->type == CDP_FS_STRING ? 1 : 2;
}

void cdp_fs_score(const struct cdp_fsmodel *m, const struct cdp_fstable *t,
                  const struct cdp_fspairs *pairs, double *weights, double floor, size_t nthreads)
{
    int order[CDP_FS_MAX_COMPARISONS], k = 0;
    for (int cost = 0; cost <= 2; cost++)
        for (int c = 0; c < m->ncomps; c++)
            if (cost_of(&m->comps[c]) == cost)
                order[k++] = c;
    /* The best each comparison can add without its term frequencies (best_for
     * adds them per pair); a missing value adds nothing, so 0 at least. */
    double best[CDP_FS_MAX_COMPARISONS];
    int tf_level[CDP_FS_MAX_COMPARISONS];
    double best_from[CDP_FS_MAX_COMPARISONS][CDP_FS_MAX_LEVELS];
    for (int c = 0; c < m->ncomps; c++) {
        const struct cdp_fs_comparison *cmp = &m->comps[c];
        double after = -INFINITY;
        for (int l = cmp->nlevels - 1; l >= 0; l--) {
            const struct cdp_fs_level *lv = &cmp->levels[l];
            double bf = lv->tf ? INFINITY : log2(lv->m / lv->u);
            after = bf > after ? bf : after;
            best_from[c][l] = after;
        }
        best[c] = 0;
        tf_level[c] = -1;
        for (int l = 0; l < cmp->nlevels; l++) {
            const struct cdp_fs_level *lv = &cmp->levels[l];
            if (lv->tf) {
                tf_level[c] = l;
                continue;
            }
            double bf = log2(lv->m / lv->u);
            if (bf > best[c])
                best[c] = bf;
        }
    }
    if (nthreads > 64)
        nthreads = 64;
    size_t parts = nthreads ? nthreads : 1;
    struct score_job jobs[64];
    pthread_t th[64];
    bool started[64] = { false };
    for (size_t i = 0; i < parts; i++) {
        jobs[i] = (struct score_job){ m, t, pairs->v, weights, pairs->n * i / parts,
                                      pairs->n * (i + 1) / parts, floor, order, best, tf_level,
                                      (const double (*)[CDP_FS_MAX_LEVELS])best_from };
        if (i + 1 < parts && pthread_create(&th[i], NULL, score_part, &jobs[i]) == 0)
            started[i] = true;
        else
            score_part(&jobs[i]);
    }
    for (size_t i = 0; i + 1 < parts; i++)
        if (started[i])
            pthread_join(th[i], NULL);
}
