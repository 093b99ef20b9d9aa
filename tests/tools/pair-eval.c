/* pair-eval: pairwise accuracy of identity resolution.
 *
 * Reads lines "TRUE_ID<TAB>PREDICTED_ID", one per record ("-" as the true id:
 * a record that belongs to nobody, left out; "null" or "" as the predicted
 * id: a record linked to nothing, its own group). Prints, as JSON:
 * true pairs, predicted pairs, correct pairs, precision, recall, F1, the
 * persons split over several ids, the ids holding several persons (false
 * merges) and the largest of those (in persons). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "intern.h"

struct rec {
    uint32_t truth, pred;
};

static int by_pred_truth(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    if (x->pred != y->pred)
        return x->pred < y->pred ? -1 : 1;
    return x->truth < y->truth ? -1 : x->truth > y->truth;
}

static int by_truth_pred(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    if (x->truth != y->truth)
        return x->truth < y->truth ? -1 : 1;
    return x->pred < y->pred ? -1 : x->pred > y->pred;
}

static double pairs(uint64_t n)
{
    return (double)n * (double)(n - 1) / 2.0;
}

int main(void)
{
    struct cdp_intern *truths = cdp_intern_new(), *preds = cdp_intern_new();
    struct rec *recs = NULL;
    size_t n = 0, cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    uint64_t singles = 0;
    while ((len = getline(&line, &lcap, stdin)) >= 0) {
        if (len && line[len - 1] == '\n')
            line[--len] = '\0';
        char *tab = strchr(line, '\t');
        if (!tab)
            continue;
        *tab = '\0';
        const char *t = line, *p = tab + 1;
        if (strcmp(t, "-") == 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            recs = cdp_xrealloc(recs, cap * sizeof *recs);
        }
        recs[n].truth = cdp_intern_add(truths, t, strlen(t), NULL);
        if (!*p || strcmp(p, "null") == 0) {
            char own[32];
            int k = snprintf(own, sizeof own, "\x01%" PRIu64, singles++);
            recs[n].pred = cdp_intern_add(preds, own, (size_t)k, NULL);
        } else {
            recs[n].pred = cdp_intern_add(preds, p, strlen(p), NULL);
        }
        n++;
    }
    double tp = 0, pred_pairs = 0, true_pairs = 0;
    uint64_t false_merges = 0, largest = 0, split = 0;
    qsort(recs, n, sizeof *recs, by_pred_truth);
    for (size_t i = 0; i < n;) {
        size_t j = i, persons = 0;
        while (j < n && recs[j].pred == recs[i].pred) {
            size_t k = j;
            while (k < n && recs[k].pred == recs[i].pred && recs[k].truth == recs[j].truth)
                k++;
            tp += pairs(k - j);
            persons++;
            j = k;
        }
        pred_pairs += pairs(j - i);
        if (persons > 1) {
            false_merges++;
            if (persons > largest)
                largest = persons;
        }
        i = j;
    }
    qsort(recs, n, sizeof *recs, by_truth_pred);
    for (size_t i = 0; i < n;) {
        size_t j = i, ids = 0;
        while (j < n && recs[j].truth == recs[i].truth) {
            size_t k = j;
            while (k < n && recs[k].truth == recs[i].truth && recs[k].pred == recs[j].pred)
                k++;
            ids++;
            j = k;
        }
        true_pairs += pairs(j - i);
        if (ids > 1)
            split++;
        i = j;
    }
    double precision = pred_pairs ? tp / pred_pairs : 1.0;
    double recall = true_pairs ? tp / true_pairs : 1.0;
    double f1 = precision + recall ? 2 * precision * recall / (precision + recall) : 0;
    printf("{\"records\":%zu,\"true_pairs\":%.0f,\"predicted_pairs\":%.0f,\"correct_pairs\":%.0f,"
           "\"precision\":%.4f,\"recall\":%.4f,\"f1\":%.4f,\"persons\":%zu,\"persons_split\":%" PRIu64
           ",\"false_merges\":%" PRIu64 ",\"largest_false_merge\":%" PRIu64 "}\n",
           n, true_pairs, pred_pairs, tp, precision, recall, f1, cdp_intern_count(truths), split,
           false_merges, largest);
    free(line);
    free(recs);
    cdp_intern_free(truths);
    cdp_intern_free(preds);
    return 0;
}
