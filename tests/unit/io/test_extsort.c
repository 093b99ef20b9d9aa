/* Unit tests of the external sort: order, stability, binary safety, the same
 * sequence in memory and spilled to hundreds of runs, counts, and a clean
 * error when the temporary folder does not exist. */
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "base/buf.h"
#include "../check.h"
#include "io/extsort.h"

struct item {
    const char *key;
    size_t klen;
    const char *payload;
    size_t plen;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sorts items with the given budget and appends what comes out to out as
 * "key|payload\n" (the keys and payloads of these tests hold no '|'). */
static void sort_to(const struct item *items, size_t n, size_t memory, struct cdp_buf *out,
                    uint64_t *runs)
{
    struct cdp_extsort_options opt = { memory, NULL, 0 };
    struct cdp_extsort *s = cdp_extsort_new(&opt);
    struct cdp_error err = { "" };
    for (size_t i = 0; i < n; i++)
        CHECK(cdp_extsort_add(s, items[i].key, items[i].klen, items[i].payload,
                              items[i].plen, &err) == 0);
    CHECK(cdp_extsort_finish(s, &err) == 0);
    const char *k, *p;
    size_t kl, pl;
    int r;
    while ((r = cdp_extsort_next(s, &k, &kl, &p, &pl, &err)) == 1) {
        cdp_buf_add(out, k, kl);
        cdp_buf_addc(out, '|');
        cdp_buf_add(out, p, pl);
        cdp_buf_addc(out, '\n');
    }
    CHECK(r == 0);
    CHECK(cdp_extsort_next(s, &k, &kl, &p, &pl, &err) == 0);
    uint64_t c_items;
    cdp_extsort_counts(s, &c_items, runs, NULL);
    CHECK(c_items == n);
    cdp_extsort_free(s);
}

#define ITEM(k, p) { k, sizeof k - 1, p, sizeof p - 1 }

/* Each case in memory, and with a budget so small that every item or two
 * makes a run of its own (the clamp to 64 bytes: one or two items a run; some larger than that). */
static void check_small(const char *what, const struct item *items, size_t n, const char *want,
                        size_t want_len)
{
    static const size_t budgets[] = { 0, 100, 1 };
    for (size_t b = 0; b < sizeof budgets / sizeof *budgets; b++) {
        struct cdp_buf out = CDP_BUF_INIT;
        uint64_t runs = 99;
        sort_to(items, n, budgets[b], &out, &runs);
        CHECK(out.len == want_len && (want_len == 0 || memcmp(out.data, want, want_len) == 0));
        if (!(out.len == want_len && (want_len == 0 || memcmp(out.data, want, want_len) == 0)))
            fprintf(stderr, "  %s, memory %zu: got \"%.*s\"\n", what, budgets[b], (int)out.len,
                    out.data ? out.data : "");
        if (budgets[b] == 0)
            CHECK(runs == 0);
        cdp_buf_release(&out);
    }
}

static void test_small(void)
{
    check_small("empty", NULL, 0, "", 0);

    static const struct item one[] = { ITEM("k", "v") };
    check_small("one", one, 1, "k|v\n", 4);

    static const struct item stable[] = {
        ITEM("b", "1"), ITEM("a", "2"), ITEM("b", "3"), ITEM("a", "4"), ITEM("b", "5"),
        ITEM("0123456789abcdef", "6"), ITEM("0123456789abcdef", "7"), ITEM("a", "8"),
        ITEM("0123456789abcdef0123", "9"), ITEM("0123456789abcdef", "10"),
        ITEM("0123456789abcdef0123", "11"),
    };
    static const char stable_want[] = "0123456789abcdef|6\n0123456789abcdef|7\n"
                                      "0123456789abcdef|10\n0123456789abcdef0123|9\n"
                                      "0123456789abcdef0123|11\na|2\na|4\na|8\nb|1\nb|3\nb|5\n";
    check_small("stable", stable, sizeof stable / sizeof *stable, stable_want,
                sizeof stable_want - 1);

    /* Prefixes, NUL bytes inside keys, bytes above 0x7F, keys on both sides
     * of the 8- and 16-byte packed prefixes. */
    static const struct item prefixes[] = {
        ITEM("ab", "1"),
        ITEM("a", "2"),
        ITEM("", "3"),
        ITEM("a\0", "4"),
        ITEM("\xff", "5"),
        ITEM("a\0\0", "6"),
        ITEM("b", "7"),
        ITEM("0123456789abcdefX", "8"),
        ITEM("0123456789abcdef", "9"),
        ITEM("0123456789abcdefX\0", "10"),
        ITEM("0123456789abcdef\0", "11"),
        ITEM("01234567", "12"),
        ITEM("01234567\0", "13"),
        ITEM("0123456789abcdefXY", "14"),
        ITEM("0123456789abcdefX\x80", "15"),
        ITEM("\x7f", "16"),
        ITEM("", "17"),
    };
    static const char prefixes_want[] =
        "|3\n|17\n01234567|12\n01234567\0|13\n0123456789abcdef|9\n0123456789abcdef\0|11\n"
        "0123456789abcdefX|8\n0123456789abcdefX\0|10\n0123456789abcdefXY|14\n"
        "0123456789abcdefX\x80|15\na|2\na\0|4\na\0\0|6\nab|1\nb|7\n\x7f|16\n\xff|5\n";
    check_small("prefixes", prefixes, sizeof prefixes / sizeof *prefixes, prefixes_want,
                sizeof prefixes_want - 1);

    /* Payloads are bytes: NUL, newlines, empty, large. */
    static char big[5000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)(i * 7);
    const struct item binary[] = {
        ITEM("z", "a\0b\nc"),
        ITEM("y", ""),
        { "x", 1, big, sizeof big },
        ITEM("y", "\n\n\0"),
        ITEM("z", "\0"),
    };
    struct cdp_buf want = CDP_BUF_INIT;
    cdp_buf_add(&want, "x|", 2);
    cdp_buf_add(&want, big, sizeof big);
    static const char rest[] = "\ny|\ny|\n\n\0\nz|a\0b\nc\nz|\0\n";
    cdp_buf_add(&want, rest, sizeof rest - 1);
    check_small("binary", binary, sizeof binary / sizeof *binary, want.data, want.len);
    cdp_buf_release(&want);
}

static uint64_t rng_state;

static uint64_t rng(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

#define NKEYS 100000
#define NITEMS 1000000

struct key {
    char *s;
    size_t len;
};

/* ~100k keys: mostly 16 hex digits, some short, some long with any bytes
 * (NUL and 0xFF included) after 16 bytes shared by many (so that the sort
 * must look past its packed prefix), some prefixes of others. */
static struct key *make_keys(void)
{
    struct key *keys = cdp_xcalloc(NKEYS, sizeof *keys);
    for (size_t i = 0; i < NKEYS; i++) {
        uint64_t r = rng();
        unsigned kind = (unsigned)(r % 10);
        char tmp[64];
        size_t len;
        if (kind < 7) {
            snprintf(tmp, sizeof tmp, "%016llx", (unsigned long long)rng());
            len = 16;
        } else if (kind == 7) {
            len = 1 + (r >> 8) % 6;
            for (size_t j = 0; j < len; j++)
                tmp[j] = (char)('a' + rng() % 4);
        } else if (kind == 8 || i == 0) {
            len = 17 + (r >> 8) % 30;
            uint64_t x = rng();
            snprintf(tmp, sizeof tmp, "%016llx", (unsigned long long)(x % 4096));
            for (size_t j = 16; j < len; j++)
                tmp[j] = (char)(rng() % 4 == 0 ? 0 : rng() % 256);
        } else {
            const struct key *o = &keys[rng() % i];
            len = o->len ? (size_t)(rng() % (o->len + 1)) : 0;
            memcpy(tmp, o->s, len);
        }
        keys[i].s = cdp_xmalloc(len + 1);
        memcpy(keys[i].s, tmp, len);
        keys[i].len = len;
    }
    return keys;
}

struct big_run {
    struct cdp_buf seq; /* "klen key plen payload" of every item returned, in order */
    uint64_t runs, bytes;
    double add_s, total_s;
};

/* Adds the NITEMS items drawn from keys, checks the order that comes back
 * and records it. */
static void run_big(const struct key *keys, size_t memory, struct big_run *out)
{
    rng_state = 42;
    struct cdp_extsort_options opt = { memory, NULL, 0 };
    struct cdp_extsort *s = cdp_extsort_new(&opt);
    struct cdp_error err = { "" };
    char payload[256];
    double t0 = now();
    int bad = 0;
    for (uint32_t i = 0; i < NITEMS; i++) {
        const struct key *k = &keys[rng() % NKEYS];
        /* The sequence number first (4 bytes, big-endian), then filler with
         * NULs and newlines. */
        size_t plen = 4 + rng() % 120;
        payload[0] = (char)(i >> 24);
        payload[1] = (char)(i >> 16);
        payload[2] = (char)(i >> 8);
        payload[3] = (char)i;
        for (size_t j = 4; j < plen; j++)
            payload[j] = (char)("{\"a\":1}\n\0xyz"[(i + j) % 12]);
        bad |= cdp_extsort_add(s, k->s, k->len, payload, plen, &err);
    }
    CHECK(bad == 0);
    CHECK(cdp_extsort_finish(s, &err) == 0);
    out->add_s = now() - t0;
    const char *key, *p, *pk = NULL;
    size_t kl, pl, pkl = 0;
    uint32_t pseq = 0;
    uint64_t n = 0;
    unsigned char *seen = cdp_xcalloc(NITEMS, 1);
    int r, disorder = 0, instability = 0, dup = 0;
    struct cdp_buf prev = CDP_BUF_INIT;
    while ((r = cdp_extsort_next(s, &key, &kl, &p, &pl, &err)) == 1) {
        uint32_t seq = pl >= 4 ? (uint32_t)(unsigned char)p[0] << 24 |
                                     (uint32_t)(unsigned char)p[1] << 16 |
                                     (uint32_t)(unsigned char)p[2] << 8 | (unsigned char)p[3]
                               : UINT32_MAX;
        if (seq >= NITEMS || seen[seq])
            dup++;
        else
            seen[seq] = 1;
        if (pk) {
            size_t m = kl < pkl ? kl : pkl;
            int c = m ? memcmp(pk, key, m) : 0;
            if (c == 0)
                c = pkl < kl ? -1 : pkl > kl;
            if (c > 0)
                disorder++;
            if (c == 0 && pseq >= seq)
                instability++;
        }
        /* The previous key stays valid only until the next call: copy it. */
        cdp_buf_reset(&prev);
        cdp_buf_add(&prev, key, kl);
        pk = prev.data;
        pkl = kl;
        pseq = seq;
        char len[16];
        memcpy(len, &kl, sizeof kl);
        memcpy(len + 8, &pl, sizeof pl);
        cdp_buf_add(&out->seq, len, 16);
        cdp_buf_add(&out->seq, key, kl);
        cdp_buf_add(&out->seq, p, pl);
        n++;
    }
    out->total_s = now() - t0;
    CHECK(r == 0);
    CHECK(n == NITEMS);
    CHECK(disorder == 0);
    CHECK(instability == 0);
    CHECK(dup == 0);
    uint64_t items;
    cdp_extsort_counts(s, &items, &out->runs, &out->bytes);
    CHECK(items == NITEMS);
    cdp_extsort_free(s);
    cdp_buf_release(&prev);
    free(seen);
}

static void test_big(void)
{
    rng_state = 7;
    struct key *keys = make_keys();
    struct big_run mem = { CDP_BUF_INIT, 0, 0, 0, 0 }, disk = { CDP_BUF_INIT, 0, 0, 0, 0 };
    run_big(keys, 0, &mem);
    CHECK(mem.runs == 0);
    CHECK(mem.bytes == 0);
    run_big(keys, 64 << 10, &disk);
    /* Hundreds of runs, more than a merge reads at once (8 with this budget,
     * 64 at most): merged in passes. */
    CHECK(disk.runs > 256);
    CHECK(disk.bytes > 0);
    CHECK(mem.seq.len == disk.seq.len && memcmp(mem.seq.data, disk.seq.data, mem.seq.len) == 0);
    printf("extsort: %d items (%.0f MB): in memory %.2f M items/s (add %.2f s, all %.2f s); "
           "spilled, 64 KiB: %.2f M items/s (%llu runs, %.1f MB written)\n",
           NITEMS, (double)mem.seq.len / 1e6, NITEMS / mem.total_s / 1e6, mem.add_s,
           mem.total_s, NITEMS / disk.total_s / 1e6, (unsigned long long)disk.runs,
           (double)disk.bytes / 1e6);
    cdp_buf_release(&mem.seq);
    cdp_buf_release(&disk.seq);
    for (size_t i = 0; i < NKEYS; i++)
        free(keys[i].s);
    free(keys);
}

static void test_counts(void)
{
    struct cdp_extsort_options opt = { 4096, NULL, 0 };
    struct cdp_extsort *s = cdp_extsort_new(&opt);
    struct cdp_error err = { "" };
    char payload[100];
    memset(payload, 'x', sizeof payload);
    /* 1000 items of 1 + 2 + 1 + 100 + 24 bytes: 32 to a 4 KiB region. */
    for (int i = 0; i < 1000; i++) {
        char key[8];
        snprintf(key, sizeof key, "%02d", i % 97);
        CHECK(cdp_extsort_add(s, key, 2, payload, sizeof payload, &err) == 0);
    }
    uint64_t items, runs, bytes;
    cdp_extsort_counts(s, &items, &runs, &bytes);
    CHECK(items == 1000);
    CHECK(runs == 1000 / 32);
    CHECK(bytes > 0);
    CHECK(cdp_extsort_finish(s, &err) == 0);
    cdp_extsort_counts(s, &items, &runs, &bytes);
    CHECK(runs == 1000 / 32 + 1);
    uint64_t n = 0;
    const char *k, *p;
    size_t kl, pl;
    while (cdp_extsort_next(s, &k, &kl, &p, &pl, &err) == 1)
        n++;
    CHECK(n == 1000);
    cdp_extsort_free(s);

    /* Misuse is an error, not a crash. */
    s = cdp_extsort_new(NULL);
    CHECK(cdp_extsort_next(s, &k, &kl, &p, &pl, &err) == -1);
    CHECK(cdp_extsort_finish(s, &err) == 0);
    CHECK(cdp_extsort_add(s, "a", 1, "b", 1, &err) == -1);
    CHECK(cdp_extsort_next(s, &k, &kl, &p, &pl, &err) == 0);
    cdp_extsort_counts(s, &items, &runs, &bytes);
    CHECK(items == 0 && runs == 0 && bytes == 0);
    cdp_extsort_free(s);
    cdp_extsort_free(NULL);
}

static void test_bad_tmpdir(void)
{
    struct cdp_error err = { "" };
    char payload[300];
    memset(payload, 'p', sizeof payload);

    /* Through the option. */
    struct cdp_extsort_options opt = { 1024, "/nonexistent/cdp-test", 0 };
    struct cdp_extsort *s = cdp_extsort_new(&opt);
    int r = 0;
    for (int i = 0; i < 10 && r == 0; i++)
        r = cdp_extsort_add(s, "k", 1, payload, sizeof payload, &err);
    CHECK(r == -1);
    CHECK_STR(err.msg, "cannot create a temporary file in '/nonexistent/cdp-test': "
                       "No such file or directory");
    /* Every later call says the same. */
    memset(&err, 0, sizeof err);
    CHECK(cdp_extsort_add(s, "k", 1, "v", 1, &err) == -1);
    CHECK(strstr(err.msg, "/nonexistent/cdp-test") != NULL);
    CHECK(cdp_extsort_finish(s, &err) == -1);
    cdp_extsort_free(s);

    /* Through $TMPDIR; an item larger than the budget spills at once. */
    char *old = getenv("TMPDIR") ? cdp_xstrdup(getenv("TMPDIR")) : NULL;
    setenv("TMPDIR", "/nonexistent/tmp", 1);
    opt.tmpdir = NULL;
    s = cdp_extsort_new(&opt);
    char large[4096] = { 0 };
    CHECK(cdp_extsort_add(s, "k", 1, large, sizeof large, &err) == -1);
    CHECK_STR(err.msg, "cannot create a temporary file in '/nonexistent/tmp': "
                       "No such file or directory");
    cdp_extsort_free(s);

    /* In memory, no temporary file is needed at all. */
    s = cdp_extsort_new(NULL);
    CHECK(cdp_extsort_add(s, "k", 1, "v", 1, &err) == 0);
    CHECK(cdp_extsort_finish(s, &err) == 0);
    cdp_extsort_free(s);
    if (old) {
        setenv("TMPDIR", old, 1);
        free(old);
    } else {
        unsetenv("TMPDIR");
    }
}

/* A temporary file that cannot grow (the file size limit stands for a full
 * disk): a clean error from add or finish, then from every call. */
static void test_write_error(void)
{
    struct rlimit old;
    if (getrlimit(RLIMIT_FSIZE, &old) < 0)
        return;
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = { 20000, old.rlim_max };
    CHECK(setrlimit(RLIMIT_FSIZE, &rl) == 0);
    /* 4 KiB: the spills fit, a merge at the end does not; 64 KiB: the first
     * spill does not fit. */
    static const size_t budgets[] = { 4096, 65536 };
    for (size_t b = 0; b < 2; b++) {
        struct cdp_extsort_options opt = { budgets[b], NULL, 0 };
        struct cdp_extsort *s = cdp_extsort_new(&opt);
        struct cdp_error err = { "" };
        char payload[200];
        rng_state = 3;
        int r = 0, added = 0;
        for (int i = 0; i < 2000 && r == 0; i++, added++) {
            for (size_t j = 0; j < sizeof payload; j++)
                payload[j] = (char)rng(); /* incompressible */
            r = cdp_extsort_add(s, payload, 8, payload, sizeof payload, &err);
        }
        if (b == 1)
            CHECK(r == -1 && added < 2000);
        if (r == 0)
            r = cdp_extsort_finish(s, &err);
        CHECK(r == -1);
        CHECK_STR(err.msg, "cannot write a temporary file: File too large");
        memset(&err, 0, sizeof err);
        const char *k, *p;
        size_t kl, pl;
        CHECK(cdp_extsort_next(s, &k, &kl, &p, &pl, &err) == -1);
        CHECK_STR(err.msg, "cannot write a temporary file: File too large");
        cdp_extsort_free(s);
    }
    CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
    signal(SIGXFSZ, SIG_DFL);
}

/* The last region read in place: two runs of a 16 MiB budget spilled, a
 * small remainder left in memory (its entries and the two readers' 10 MiB
 * fit in what it leaves), and the same sequence as a sort in memory, equal
 * keys in input order across the runs and the region. */
static void test_region_kept(void)
{
    enum { N = 300000, PLEN = 100 };
    struct item *items = malloc(N * sizeof *items);
    char (*keys)[8] = malloc(N * sizeof *keys);
    char (*payloads)[PLEN] = malloc(N * sizeof *payloads);
    for (size_t i = 0; i < N; i++) {
        /* 997 keys: each one's items lie in both runs and in the region. */
        snprintf(keys[i], sizeof keys[i], "k%03zu", (i * 7919) % 997);
        memset(payloads[i], 'a' + (int)(i % 26), PLEN);
        snprintf(payloads[i], PLEN, "%zu", i); /* the input order, to check */
        items[i] = (struct item){ keys[i], 4, payloads[i], PLEN };
    }
    /* An item takes 1 + 4 + 1 + 100 bytes and a 24-byte entry: 129,055 to
     * a 16 MiB region, so runs of 129,055 and 129,055 and 41,890 left. */
    struct cdp_buf mem = CDP_BUF_INIT, kept = CDP_BUF_INIT;
    uint64_t mem_runs = 99, kept_runs = 99;
    sort_to(items, N, 0, &mem, &mem_runs);
    sort_to(items, N, (size_t)16 << 20, &kept, &kept_runs);
    CHECK(mem_runs == 0);
    CHECK(kept_runs == 2);
    CHECK(mem.len == kept.len && memcmp(mem.data, kept.data, mem.len) == 0);
    /* Stable: within a key, payloads (input positions) increase. */
    const char *line = kept.data, *end = kept.data + kept.len;
    char last_key[8] = "";
    long last = -1;
    bool ordered = true;
    while (line < end) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        long at = strtol(line + 5, NULL, 10);
        if (memcmp(line, last_key, 4) == 0)
            ordered = ordered && at > last;
        memcpy(last_key, line, 4);
        last = at;
        line = nl + 1;
    }
    CHECK(ordered);
    cdp_buf_release(&mem);
    cdp_buf_release(&kept);
    free(items);
    free(keys);
    free(payloads);
}

#ifndef __SANITIZE_ADDRESS__
/* Resident memory now, in bytes (0 if unknown). */
static size_t rss_now(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    size_t kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %zu kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb * 1024;
}
#endif

/* The budget holds while the last region is read in place: the pages the
 * earlier regions touched between its items and its entries go back, so
 * the runs' readers do not come on top of a whole region (four runs of a
 * 24 MiB budget: 41 MiB resident without that, measured). Not under
 * AddressSanitizer, whose shadow and quarantine are resident too. */
static void test_region_kept_memory(void)
{
#ifndef __SANITIZE_ADDRESS__
    enum { PLEN = 1000 };
    const size_t budget = (size_t)24 << 20;
    /* 1 + 8 + 2 + 1000 bytes and a 24-byte entry: 24,310 items a region. */
    const size_t per_region = budget / (1 + 8 + 2 + PLEN + 24), n = 4 * per_region + 50;
    static char payload[PLEN];
    memset(payload, 'p', sizeof payload);
    size_t base = rss_now();
    struct cdp_extsort_options opt = { budget, NULL, 1 };
    struct cdp_extsort *s = cdp_extsort_new(&opt);
    struct cdp_error err = { "" };
    bool added = true;
    for (size_t i = 0; i < n; i++) {
        char key[9];
        snprintf(key, sizeof key, "%08zu", (i * 7919) % 100003);
        added = added && cdp_extsort_add(s, key, 8, payload, PLEN, &err) == 0;
    }
    CHECK(added);
    CHECK(cdp_extsort_finish(s, &err) == 0);
    uint64_t runs = 0;
    cdp_extsort_counts(s, NULL, &runs, NULL);
    CHECK(runs == 4);
    const char *k, *p;
    size_t kl, pl, got = 0, peak = rss_now();
    while (cdp_extsort_next(s, &k, &kl, &p, &pl, &err) == 1) {
        size_t now = ++got % 4096 == 0 ? rss_now() : 0;
        if (now > peak)
            peak = now;
    }
    CHECK(got == n);
    CHECK(base > 0 && peak > base);
    CHECK(peak - base <= budget + ((size_t)4 << 20));
    if (peak - base > budget + ((size_t)4 << 20))
        fprintf(stderr, "  resident while merging: %zu MiB over a %zu MiB budget\n",
                (peak - base) >> 20, budget >> 20);
    cdp_extsort_free(s);
#endif
}

int main(void)
{
    test_small();
    test_counts();
    test_region_kept();
    test_region_kept_memory();
    test_bad_tmpdir();
    test_write_error();
    test_big();
    return check_report("test_extsort");
}
