/* pair-eval: pairwise accuracy of identity resolution.
 *
 * Reads lines "TRUE_ID<TAB>PREDICTED_ID", one per record ("-" as the true id:
 * a record that belongs to nobody, left out; "null" or "" as the predicted
 * id: a record linked to nothing, its own group). Or, with
 *   pair-eval --truth TRUTH.csv [--traps] FILE...
 * takes the true ids from a truth file (_source,_rid,person lines, as
 * cdp-gen writes) and the predicted ones from cdp-dedupe's output records.
 * Prints, as JSON:
 * true pairs, predicted pairs, correct pairs, precision, recall, F1, the
 * persons split over several ids, the ids holding several persons (false
 * merges) and the largest of those (in persons).
 *
 * --traps adds "traps": the pairs of different persons that the data makes
 * easy to confuse, found in the records themselves, by kind, and how many
 * of them are "merged" (some id holds person records of both; an event
 * given to the wrong person counts against precision, not here):
 *   family_email   an e-mail on the person records of exactly two persons
 *   family_phone   a phone on the person records of exactly two persons
 *   shared_device  an anon_id on the records of exactly two persons
 *   namesakes      persons whose person records carry the same last, first
 *                  and middle name (folded), all three present
 * A value on the records of more persons (a cashier's placeholder phone) is
 * not a trap of two people. cdp-gen plants each kind (see lib/gen/gen.c). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/intern.h"
#include "io/reader.h"
#include "norm/translit.h"

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

/* Adds a record; returns its person's id, or UINT32_MAX for nobody's. */
static uint32_t add(struct table *tb, const char *t, size_t tlen, const char *p, size_t plen)
{
    if (tlen == 1 && t[0] == '-')
        return UINT32_MAX;
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
    return r->truth;
}

/* ---- traps --------------------------------------------------------------- */

enum trap { FAMILY_EMAIL, FAMILY_PHONE, SHARED_DEVICE, NAMESAKES, NTRAPS };
static const char *const trap_names[NTRAPS] = { "family_email", "family_phone", "shared_device",
                                                "namesakes" };

struct value_person {
    uint32_t value, person;
};

struct traps {
    struct cdp_intern *values; /* kind as one byte, then the value */
    struct value_person *v;
    size_t n, cap;
    struct rec *persons; /* the person records: person, predicted id */
    size_t npersons, persons_cap;
    uint64_t pairs[NTRAPS], merged[NTRAPS];
};

static void trap_value(struct traps *tr, enum trap kind, const char *s, size_t len, uint32_t person)
{
    struct cdp_buf b = CDP_BUF_INIT;
    cdp_buf_addc(&b, (char)('0' + kind));
    cdp_buf_add(&b, s, len);
    if (tr->n == tr->cap) {
        tr->cap = tr->cap ? tr->cap * 2 : 65536;
        tr->v = cdp_xrealloc(tr->v, tr->cap * sizeof *tr->v);
    }
    tr->v[tr->n++] = (struct value_person){ cdp_intern_add(tr->values, b.data, b.len, NULL), person };
    cdp_buf_release(&b);
}

static bool string_field(const struct cdp_record *rec, const char *name, const char **s, size_t *len)
{
    const struct cdp_field *f = cdp_record_gets(rec, name);
    if (!f || f->type != CDP_STRING || !f->vlen)
        return false;
    *s = f->val;
    *len = f->vlen;
    return true;
}

/* The trap values of a record of person, with predicted id pred. */
static void trap_values(struct traps *tr, const struct cdp_record *rec, uint32_t person, uint32_t pred)
{
    const char *s;
    size_t len;
    const struct cdp_field *kind = cdp_record_gets(rec, "_kind");
    bool is_person = kind && kind->type == CDP_STRING && kind->vlen == 6 && memcmp(kind->val, "person", 6) == 0;
    if (string_field(rec, "anon_id", &s, &len))
        trap_value(tr, SHARED_DEVICE, s, len, person);
    if (!is_person)
        return;
    if (tr->npersons == tr->persons_cap) {
        tr->persons_cap = tr->persons_cap ? tr->persons_cap * 2 : 65536;
        tr->persons = cdp_xrealloc(tr->persons, tr->persons_cap * sizeof *tr->persons);
    }
    tr->persons[tr->npersons++] = (struct rec){ person, pred };
    if (string_field(rec, "email", &s, &len))
        trap_value(tr, FAMILY_EMAIL, s, len, person);
    if (string_field(rec, "phone", &s, &len))
        trap_value(tr, FAMILY_PHONE, s, len, person);
    static const char *const parts[] = { "last_name", "first_name", "middle_name" };
    struct cdp_buf name = CDP_BUF_INIT;
    for (int i = 0; i < 3; i++) {
        if (!string_field(rec, parts[i], &s, &len)) {
            cdp_buf_release(&name);
            return;
        }
        cdp_name_fold(&name, s, len);
        cdp_buf_addc(&name, '|');
    }
    trap_value(tr, NAMESAKES, name.data, name.len, person);
    cdp_buf_release(&name);
}

static int by_value_person(const void *a, const void *b)
{
    const struct value_person *x = a, *y = b;
    if (x->value != y->value)
        return x->value < y->value ? -1 : 1;
    return x->person < y->person ? -1 : x->person > y->person;
}

/* Whether persons a and b share a predicted id; recs sorted by truth, then
 * prediction, first[p] the first of person p's. */
static bool merged(const struct rec *recs, const size_t *first, uint32_t a, uint32_t b)
{
    size_t i = first[a], j = first[b];
    while (i < first[a + 1] && j < first[b + 1]) {
        if (recs[i].pred == recs[j].pred)
            return true;
        if (recs[i].pred < recs[j].pred)
            i++;
        else
            j++;
    }
    return false;
}

/* Counts the trap pairs and the merged ones. */
static void count_traps(struct traps *tr, size_t npersons)
{
    struct rec *recs = tr->persons;
    size_t n = tr->npersons;
    if (n)
        qsort(recs, n, sizeof *recs, by_truth_pred);
    size_t *first = cdp_xcalloc(npersons + 1, sizeof *first);
    for (size_t i = 0; i < n; i++)
        first[recs[i].truth + 1]++;
    for (size_t p = 0; p < npersons; p++)
        first[p + 1] += first[p];
    if (tr->n)
        qsort(tr->v, tr->n, sizeof *tr->v, by_value_person);
    for (size_t i = 0; i < tr->n;) {
        size_t j = i, k = 0;
        uint32_t persons[64];
        for (; j < tr->n && tr->v[j].value == tr->v[i].value; j++)
            if ((j == i || tr->v[j].person != tr->v[j - 1].person) && k < 64)
                persons[k++] = tr->v[j].person;
        enum trap kind = (enum trap)(cdp_intern_str(tr->values, tr->v[i].value, NULL)[0] - '0');
        if (k == 2 || (kind == NAMESAKES && k > 2 && k < 64))
            for (size_t x = 0; x < k; x++)
                for (size_t y = x + 1; y < k; y++) {
                    tr->pairs[kind]++;
                    tr->merged[kind] += merged(recs, first, persons[x], persons[y]);
                }
        i = j;
    }
    free(first);
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

static int from_records(struct table *tb, const char *truth, struct traps *tr, int nfiles,
                        char **files)
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
            uint32_t who = add(tb, person, strlen(person), id->type == CDP_STRING ? id->val : "",
                               id->type == CDP_STRING ? id->vlen : 0);
            if (tr && who != UINT32_MAX)
                trap_values(tr, &rec, who, tb->recs[tb->n - 1].pred);
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
    struct traps traps = { 0 }, *tr = NULL;
    if (argc >= 3 && strcmp(argv[1], "--truth") == 0) {
        int skip = 3;
        if (argc >= 4 && strcmp(argv[3], "--traps") == 0) {
            tr = &traps;
            tr->values = cdp_intern_new();
            skip = 4;
        }
        if (from_records(&tb, argv[2], tr, argc - skip, argv + skip))
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
    if (tr)
        count_traps(tr, cdp_intern_count(truths));
    double precision = pred_pairs ? tp / pred_pairs : 1.0;
    double recall = true_pairs ? tp / true_pairs : 1.0;
    double f1 = precision + recall ? 2 * precision * recall / (precision + recall) : 0;
    printf("{\"records\":%zu,\"true_pairs\":%.0f,\"predicted_pairs\":%.0f,\"correct_pairs\":%.0f,"
           "\"precision\":%.6f,\"recall\":%.6f,\"f1\":%.6f,\"persons\":%zu,\"persons_split\":%" PRIu64
           ",\"false_merges\":%" PRIu64 ",\"largest_false_merge\":%" PRIu64,
           n, true_pairs, pred_pairs, tp, precision, recall, f1, cdp_intern_count(truths), split,
           false_merges, largest);
    if (tr) {
        printf(",\"traps\":{");
        for (int k = 0; k < NTRAPS; k++)
            printf("%s\"%s\":{\"pairs\":%" PRIu64 ",\"merged\":%" PRIu64 "}", k ? "," : "", trap_names[k],
                   tr->pairs[k], tr->merged[k]);
        printf("}");
        cdp_intern_free(tr->values);
        free(tr->v);
        free(tr->persons);
    }
    printf("}\n");
    free(recs);
    cdp_intern_free(truths);
    cdp_intern_free(preds);
    return 0;
}
