/* pair-eval: pairwise accuracy of identity resolution.
 *
 * Reads lines "TRUE_ID<TAB>PREDICTED_ID", one per record ("-" as the true id:
 * a record that belongs to nobody, left out; "null" or "" as the predicted
 * id: a record linked to nothing, its own group). Or, with
 *   pair-eval --truth TRUTH.csv FILE...
 * takes the true ids from a truth file (_source,_rid,person lines, as
 * cdp-gen writes) and the predicted ones from cdp-dedupe's output records.
 * Prints, as JSON:
 * true pairs, predicted pairs, correct pairs, precision, recall, F1, the
 * persons split over several ids, the ids holding several persons (false
 * merges) and the largest of those (in persons). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/intern.h"
#include "io/reader.h"

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

struct table {
    struct cdp_intern *truths, *preds;
    struct rec *recs;
    size_t n, cap;
    uint64_t singles;
};

static void add(struct table *tb, const char *t, size_t tlen, const char *p, size_t plen)
{
    if (tlen == 1 && t[0] == '-')
        return;
    if (tb->n == tb->cap) {
        tb->cap = tb->cap ? tb->cap * 2 : 65536;
        tb->recs = cdp_xrealloc(tb->recs, tb->cap * sizeof *tb->recs);
    }
    struct rec *r = &tb->recs[tb->n++];
    r->truth = cdp_intern_add(tb->truths, t, tlen, NULL);
    if (plen == 0 || (plen == 4 && memcmp(p, "null", 4) == 0)) {
        char own[32];
        int k = snprintf(own, sizeof own, "\x01%" PRIu64, tb->singles++);
        r->pred = cdp_intern_add(tb->preds, own, (size_t)k, NULL);
    } else {
        r->pred = cdp_intern_add(tb->preds, p, plen, NULL);
    }
}

/* truth.csv: "_source,_rid,person" with a header; rids hold no commas. */
static int read_truth(const char *path, struct cdp_intern *keys, struct cdp_buf *persons,
                      uint64_t **offsets)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0, nkeys = 0, ocap = 0;
    ssize_t len;
    bool header = true;
    while ((len = getline(&line, &cap, f)) >= 0) {
        if (header) {
            header = false;
            continue;
        }
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
        if (!c2)
            continue;
        *c1 = '\x1F';
        uint32_t id = cdp_intern_add(keys, line, (size_t)(c2 - line), NULL);
        if (id >= ocap) {
            ocap = ocap ? ocap * 2 : 65536;
            *offsets = cdp_xrealloc(*offsets, ocap * sizeof **offsets);
        }
        (*offsets)[id] = persons->len;
        cdp_buf_adds(persons, c2 + 1);
        cdp_buf_addc(persons, '\0');
        nkeys++;
    }
    free(line);
    fclose(f);
    return 0;
}

static int from_records(struct table *tb, const char *truth, int nfiles, char **files)
{
    struct cdp_intern *keys = cdp_intern_new();
    struct cdp_buf persons = CDP_BUF_INIT, key = CDP_BUF_INIT;
    uint64_t *offsets = NULL;
    if (read_truth(truth, keys, &persons, &offsets) < 0)
        return 1;
    struct cdp_reader_options opt = { .format = CDP_FORMAT_NDJSON };
    struct cdp_record rec = CDP_RECORD_INIT;
    uint64_t missing = 0;
    for (int i = 0; i < nfiles; i++) {
        struct cdp_error err;
        struct cdp_reader *r = cdp_reader_open(files[i], &opt, &err);
        if (!r) {
            fprintf(stderr, "pair-eval: %s\n", err.msg);
            return 1;
        }
        struct cdp_row row;
        enum cdp_read k;
        while ((k = cdp_reader_next(r, &rec, &row, &err)) != CDP_READ_END) {
            if (k != CDP_READ_ROW)
                continue;
            const struct cdp_field *s = cdp_record_gets(&rec, "_source");
            const struct cdp_field *rid = cdp_record_gets(&rec, "_rid");
            const struct cdp_field *id = cdp_record_gets(&rec, "cdp_id");
            if (!s || !rid || !id)
                continue;
            cdp_buf_reset(&key);
            cdp_buf_add(&key, s->val, s->vlen);
            cdp_buf_addc(&key, '\x1F');
            cdp_buf_add(&key, rid->val, rid->vlen);
            uint32_t t = cdp_intern_find(keys, key.data, key.len);
            if (t == UINT32_MAX) {
                missing++;
                continue;
            }
            const char *person = persons.data + offsets[t];
            add(tb, person, strlen(person), id->type == CDP_STRING ? id->val : "",
                id->type == CDP_STRING ? id->vlen : 0);
        }
        cdp_reader_close(r);
    }
    if (missing)
        fprintf(stderr, "pair-eval: %llu records not in the truth file\n",
                (unsigned long long)missing);
    cdp_record_release(&rec);
    cdp_buf_release(&persons);
    cdp_buf_release(&key);
    free(offsets);
    cdp_intern_free(keys);
    return 0;
}

int main(int argc, char **argv)
{
    struct table tb = { cdp_intern_new(), cdp_intern_new(), NULL, 0, 0, 0 };
    if (argc >= 3 && strcmp(argv[1], "--truth") == 0) {
        if (from_records(&tb, argv[2], argc - 3, argv + 3))
            return 1;
    } else {
        char *line = NULL;
        size_t lcap = 0;
        ssize_t len;
        while ((len = getline(&line, &lcap, stdin)) >= 0) {
            if (len && line[len - 1] == '\n')
                line[--len] = '\0';
            char *tab = strchr(line, '\t');
            if (tab)
                add(&tb, line, (size_t)(tab - line), tab + 1, strlen(tab + 1));
        }
        free(line);
    }
    struct cdp_intern *truths = tb.truths, *preds = tb.preds;
    struct rec *recs = tb.recs;
    size_t n = tb.n;
    double tp = 0, pred_pairs = 0, true_pairs = 0;
    uint64_t false_merges = 0, largest = 0, split = 0;
    if (n)
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
    if (n)
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
           "\"precision\":%.6f,\"recall\":%.6f,\"f1\":%.6f,\"persons\":%zu,\"persons_split\":%" PRIu64
           ",\"false_merges\":%" PRIu64 ",\"largest_false_merge\":%" PRIu64 "}\n",
           n, true_pairs, pred_pairs, tp, precision, recall, f1, cdp_intern_count(truths), split,
           false_merges, largest);
    free(recs);
    cdp_intern_free(truths);
    cdp_intern_free(preds);
    return 0;
}
