#include "io/extsort.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "io/output.h"
#include "io/source.h"

#define DEFAULT_MEMORY ((size_t)256 << 20)
/* What reading one run costs (source.h: 4 MiB of read-ahead, its raw buffer
 * and a zstd context; our record buffer). */
#define READER_COST ((size_t)5 << 20)
#define FANIN_MIN 8
#define FANIN_MAX 64
/* Runs kept before some are merged, whatever the limit on open files. */
#define RUNS_MAX 1024
#define READ_CHUNK ((size_t)128 << 10)
/* Records are read in sorted order, so at random: ask for them ahead. */
#define PREFETCH 16
/* A sort entry: the first 16 key bytes big-endian (zero-padded), then the
 * item's offset in the region (<< 8) and its key length (capped at 255).
 * Offsets grow with insertion, so meta also orders equal keys. */
struct ent {
    uint64_t p0, p1, meta;
};
#define LEN_CAP 255u

struct run {
    int fd;
    unsigned gen;   /* 0: spilled from memory; g + 1: merged from runs of gen g */
    uint64_t bytes; /* compressed size */
};

/* A run being read: its current record. A reader without src reads the
 * sorted region instead (the last items, kept in memory): entries
 * [at, n) of ents are still to come. */
struct reader {
    struct cdp_source *src;
    char *buf;
    size_t cap, pos, len;
    bool eof;
    const char *region;
    const struct ent *ents;
    size_t at, n;
    const char *key, *payload;
    size_t klen, plen;
    uint64_t p0;
};

struct merge {
    struct reader *r;
    size_t n;
    size_t *heap; /* reader indexes; the least current record on top */
    size_t hn;
    bool started; /* heap[0] was returned by the previous next */
};

enum state { ADDING, IN_MEMORY, MERGING, FAILED };

struct cdp_extsort {
    size_t memory; /* region size, a multiple of 8 */
    char *tmpdir;
    int zstd_workers;
    size_t fanin;     /* runs read at once */
    size_t run_limit; /* runs kept (open files) before merging some */
    size_t fanin_add; /* runs merged at once then */
    enum state state;
    struct cdp_error failure; /* when FAILED */

    char *region; /* allocated on the first item after a spill or merge */
    size_t used;  /* record bytes at the bottom */
    size_t n;     /* entries at the top */
    size_t cursor; /* IN_MEMORY: the next entry to return */

    struct run *runs;
    size_t nruns, runs_cap;
    struct merge final;

    uint64_t items, spilled_runs, spilled_bytes;
};

/* --- varints and records -------------------------------------------------- */

static inline size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static inline char *put_varint(char *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (char)v;
    return p;
}

/* Bytes used, 0 if incomplete, -1 if malformed. */
static inline int get_varint(const char *p, size_t avail, uint64_t *v)
{
    uint64_t x = 0;
    for (size_t i = 0; i < avail && i < 10; i++) {
        unsigned char c = (unsigned char)p[i];
        x |= (uint64_t)(c & 0x7F) << (7 * i);
        if (!(c & 0x80)) {
            *v = x;
            return (int)i + 1;
        }
    }
    return avail >= 10 ? -1 : 0;
}

/* A varint in the region (complete, written by us). */
static inline const char *read_varint(const char *p, uint64_t *v)
{
    uint64_t x = 0;
    unsigned shift = 0;
    unsigned char c;
    do {
        c = (unsigned char)*p++;
        x |= (uint64_t)(c & 0x7F) << shift;
        shift += 7;
    } while (c & 0x80);
    *v = x;
    return p;
}

/* Parses the record at p: 1 and its parts when complete, 0 when more bytes
 * are needed (*need: at least that many), -1 when malformed. */
static int parse_record(const char *p, size_t avail, size_t *total, const char **key,
                        size_t *klen, const char **payload, size_t *plen, size_t *need)
{
    uint64_t kl, pl;
    int k = get_varint(p, avail, &kl);
    if (k <= 0) {
        *need = avail + 1;
        return k;
    }
    size_t i = (size_t)k;
    if (kl > (uint64_t)1 << 48)
        return -1;
    if (kl >= avail - i) {
        *need = i + (size_t)kl + 1;
        return 0;
    }
    *key = p + i;
    *klen = (size_t)kl;
    i += (size_t)kl;
    k = get_varint(p + i, avail - i, &pl);
    if (k <= 0) {
        *need = avail + 1;
        return k;
    }
    i += (size_t)k;
    if (pl > (uint64_t)1 << 48)
        return -1;
    if (pl > avail - i) {
        *need = i + (size_t)pl;
        return 0;
    }
    *payload = p + i;
    *plen = (size_t)pl;
    *total = i + (size_t)pl;
    return 1;
}

static inline uint64_t load_be64(const unsigned char *b)
{
    uint64_t v;
    memcpy(&v, b, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline void key_prefix(const char *key, size_t klen, uint64_t *p0, uint64_t *p1)
{
    unsigned char b[16] = { 0 };
    if (klen)
        memcpy(b, key, klen < 16 ? klen : 16);
    *p0 = load_be64(b);
    *p1 = load_be64(b + 8);
}

static inline uint64_t key_prefix8(const char *key, size_t klen)
{
    unsigned char b[8] = { 0 };
    if (klen)
        memcpy(b, key, klen < 8 ? klen : 8);
    return load_be64(b);
}

/* Byte order, a prefix first. */
static inline int key_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    size_t m = al < bl ? al : bl;
    int c = m ? memcmp(a, b, m) : 0;
    if (c)
        return c;
    return al < bl ? -1 : al > bl;
}

/* --- sorting the region ---------------------------------------------------- */

static inline struct ent *ents(const struct cdp_extsort *s)
{
    return (struct ent *)(void *)(s->region + s->memory) - s->n;
}

/* The key of the record at off (keys longer than 16 bytes only). */
static inline const char *ent_key(const char *base, uint64_t meta, size_t *klen)
{
    uint64_t kl;
    const char *p = read_varint(base + (meta >> 8), &kl);
    *klen = (size_t)kl;
    return p;
}

static inline bool ent_less(const struct ent *a, const struct ent *b, const char *base)
{
    if (a->p0 != b->p0)
        return a->p0 < b->p0;
    if (a->p1 != b->p1)
        return a->p1 < b->p1;
    unsigned la = (unsigned)(a->meta & LEN_CAP), lb = (unsigned)(b->meta & LEN_CAP);
    if (la > 16 && lb > 16) {
        /* The first 16 bytes are equal: compare the rest. */
        size_t al, bl;
        const char *ka = ent_key(base, a->meta, &al), *kb = ent_key(base, b->meta, &bl);
        int c = key_cmp(ka + 16, al - 16, kb + 16, bl - 16);
        if (c)
            return c < 0;
    } else if (la != lb) {
        /* One key has at most 16 bytes, all of them equal to the other's
         * (which are zero past it): it is a prefix of the other. */
        return la < lb;
    }
    return a->meta < b->meta; /* equal keys: insertion order */
}

static inline void ent_swap(struct ent *a, struct ent *b)
{
    struct ent t = *a;
    *a = *b;
    *b = t;
}

static void insertion_sort(struct ent *a, size_t n, const char *base)
{
    for (size_t i = 1; i < n; i++) {
        struct ent x = a[i];
        size_t j = i;
        while (j > 0 && ent_less(&x, &a[j - 1], base)) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = x;
    }
}

static void sift(struct ent *a, size_t i, size_t n, const char *base)
{
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            return;
        if (c + 1 < n && ent_less(&a[c], &a[c + 1], base))
            c++;
        if (!ent_less(&a[i], &a[c], base))
            return;
        ent_swap(&a[i], &a[c]);
        i = c;
    }
}

static void heap_sort(struct ent *a, size_t n, const char *base)
{
    for (size_t i = n / 2; i-- > 0;)
        sift(a, i, n, base);
    for (size_t i = n; i-- > 1;) {
        ent_swap(&a[0], &a[i]);
        sift(a, 0, i, base);
    }
}

static inline size_t median3(struct ent *a, size_t i, size_t j, size_t k, const char *base)
{
    if (ent_less(&a[i], &a[j], base)) {
        if (ent_less(&a[j], &a[k], base))
            return j;
        return ent_less(&a[i], &a[k], base) ? k : i;
    }
    if (ent_less(&a[i], &a[k], base))
        return i;
    return ent_less(&a[j], &a[k], base) ? k : j;
}

/* Introsort: quicksort with a median-of-3 (ninther on large slices) pivot,
 * heapsort when it goes too deep, insertion sort on small slices. All
 * entries are distinct (the offset breaks ties), so the order is total and
 * the result is the same whatever the algorithm. */
static void intro_sort(struct ent *a, size_t n, const char *base, int depth)
{
    while (n > 24) {
        if (depth-- == 0) {
            heap_sort(a, n, base);
            return;
        }
        size_t m;
        if (n > 512) {
            size_t e = n / 8;
            m = median3(a, median3(a, 0, e, 2 * e, base), median3(a, 3 * e, 4 * e, 5 * e, base),
                        median3(a, 6 * e, 7 * e, n - 1, base), base);
        } else {
            m = median3(a, 0, n / 2, n - 1, base);
        }
        ent_swap(&a[0], &a[m]);
        struct ent p = a[0];
        size_t i = 0, j = n;
        for (;;) {
            do
                i++;
            while (i < n && ent_less(&a[i], &p, base));
            do
                j--;
            while (ent_less(&p, &a[j], base));
            if (i >= j)
                break;
            ent_swap(&a[i], &a[j]);
        }
        ent_swap(&a[0], &a[j]);
        /* [0, j) < p = a[j] < (j, n): recurse on the smaller side. */
        if (j < n - j - 1) {
            intro_sort(a, j, base, depth);
            a += j + 1;
            n -= j + 1;
        } else {
            intro_sort(a + j + 1, n - j - 1, base, depth);
            n = j;
        }
    }
    insertion_sort(a, n, base);
}

static inline unsigned ent_digit(const struct ent *e, unsigned byte)
{
    uint64_t w = byte < 8 ? e->p0 : e->p1;
    return (unsigned)(w >> (56 - 8 * (byte & 7))) & 255;
}

static int depth_limit(size_t n)
{
    int depth = 0;
    for (; n > 1; n >>= 1)
        depth += 2;
    return depth;
}

/* MSD radix sort (American flag: in place) on the 16 packed key bytes, then
 * introsort on slices of fewer than 64 entries and on entries whose 16 bytes
 * are equal. On 1M entries with 16-hex-digit keys (4 items a key): 130 ns
 * an entry, against 245 for introsort alone and 570 for qsort. */
static void radix_sort(struct ent *a, size_t n, unsigned byte, const char *base)
{
    for (;;) {
        if (n < 64 || byte == 16) {
            intro_sort(a, n, base, depth_limit(n));
            return;
        }
        size_t count[256] = { 0 }, head[256];
        for (size_t i = 0; i < n; i++)
            count[ent_digit(&a[i], byte)]++;
        if (count[ent_digit(&a[0], byte)] == n) {
            byte++; /* one value here: look at the next byte */
            continue;
        }
        size_t sum = 0;
        for (unsigned d = 0; d < 256; d++) {
            head[d] = sum;
            sum += count[d];
        }
        /* Each entry goes to its bucket's head; the one there moves on. */
        size_t end = 0;
        for (unsigned d = 0; d < 256; d++) {
            end += count[d];
            while (head[d] < end) {
                struct ent x = a[head[d]];
                unsigned dx = ent_digit(&x, byte);
                while (dx != d) {
                    struct ent y = a[head[dx]];
                    a[head[dx]++] = x;
                    x = y;
                    dx = ent_digit(&x, byte);
                }
                a[head[d]++] = x;
            }
        }
        size_t start = 0;
        for (unsigned d = 0; d < 256; d++) {
            if (count[d] > 1)
                radix_sort(a + start, count[d], byte + 1, base);
            start += count[d];
        }
        return;
    }
}

static void sort_region(struct cdp_extsort *s)
{
    if (s->n > 1)
        radix_sort(ents(s), s->n, 0, s->region);
}

/* The first 256 bytes of a record (a JSON line, mostly). */
static inline void prefetch_record(const char *p)
{
    __builtin_prefetch(p);
    __builtin_prefetch(p + 64);
    __builtin_prefetch(p + 128);
    __builtin_prefetch(p + 192);
}

/* Item `at` of the n sorted entries of a region, asking for a later one
 * ahead: its key and payload, pointers into the region. */
static inline void region_item(const char *region, const struct ent *e, size_t at, size_t n,
                               const char **key, size_t *klen, const char **payload,
                               size_t *plen)
{
    if (at + PREFETCH < n)
        prefetch_record(region + (e[at + PREFETCH].meta >> 8));
    const char *rec = region + (e[at].meta >> 8);
    uint64_t v;
    rec = read_varint(rec, &v);
    *key = rec;
    *klen = (size_t)v;
    rec = read_varint(rec + v, &v);
    *payload = rec;
    *plen = (size_t)v;
}

/* --- failures --------------------------------------------------------------- */

/* The internal functions report into s->failure; this makes it final and
 * hands it to the caller. */
static int fail(struct cdp_extsort *s, struct cdp_error *err)
{
    s->state = FAILED;
    if (err)
        *err = s->failure;
    return -1;
}

static int failed(const struct cdp_extsort *s, struct cdp_error *err)
{
    if (err)
        *err = s->failure;
    return -1;
}

/* --- writing runs ----------------------------------------------------------- */

/* A nameless file in the temporary folder and a zstd output writing to it. */
static struct cdp_output *run_create(const struct cdp_extsort *s, int *fd, struct cdp_error *err)
{
    const char *dir = s->tmpdir;
    if (!dir) {
        dir = getenv("TMPDIR");
        if (!dir || !*dir)
            dir = "/tmp";
    }
    *fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (*fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
        /* No O_TMPFILE on this file system: a name, removed at once. */
        struct cdp_buf t = CDP_BUF_INIT;
        cdp_buf_printf(&t, "%s/cdp-sort.XXXXXX", dir);
        *fd = mkostemp(t.data, O_CLOEXEC);
        if (*fd >= 0)
            unlink(t.data);
        cdp_buf_release(&t);
    }
    if (*fd < 0) {
        cdp_errorf_errno(err, errno, "cannot create a temporary file in '%s'", dir);
        return NULL;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", *fd);
    /* Runs are read back once, soon: a fast negative level halves the
     * compression time for some 1.5x the bytes (measured on 1M-person runs). */
    struct cdp_output_options oo = { .zstd = true, .zstd_level = -3, .mode = 0,
                                     .zstd_workers = s->zstd_workers };
    struct cdp_output *o = cdp_output_open(path, &oo, err);
    if (!o) {
        close(*fd);
        *fd = -1;
    }
    return o;
}

/* Finishes the run written to o and puts it at position at of the list. */
static int run_finish(struct cdp_extsort *s, struct cdp_output *o, int fd, size_t at,
                      unsigned gen, struct cdp_error *err)
{
    if (cdp_output_finish_spool(o, err) < 0) {
        close(fd);
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return cdp_errorf_errno(err, e, "cannot write a temporary file");
    }
    s->spilled_bytes += (uint64_t)st.st_size;
    if (s->nruns == s->runs_cap) {
        s->runs_cap = s->runs_cap ? 2 * s->runs_cap : 16;
        s->runs = cdp_xrealloc(s->runs, s->runs_cap * sizeof *s->runs);
    }
    memmove(s->runs + at + 1, s->runs + at, (s->nruns - at) * sizeof *s->runs);
    s->runs[at] = (struct run){ fd, gen, (uint64_t)st.st_size };
    s->nruns++;
    return 0;
}

static inline int put_record(struct cdp_output *o, const char *key, size_t klen,
                             const char *payload, size_t plen)
{
    struct cdp_buf *b = cdp_output_buffer(o);
    cdp_buf_grow(b, 20 + klen + plen);
    char *p = put_varint(b->data + b->len, klen);
    if (klen)
        memcpy(p, key, klen);
    p = put_varint(p + klen, plen);
    if (plen)
        memcpy(p, payload, plen);
    b->len = (size_t)(p + plen - b->data);
    b->data[b->len] = '\0';
    return cdp_output_flush_some(o);
}

static int spill_region(struct cdp_extsort *s, struct cdp_error *err)
{
    sort_region(s);
    int fd;
    struct cdp_output *o = run_create(s, &fd, err);
    if (!o)
        return -1;
    const struct ent *e = ents(s);
    for (size_t i = 0; i < s->n; i++) {
        if (i + PREFETCH < s->n)
            prefetch_record(s->region + (e[i + PREFETCH].meta >> 8));
        const char *rec = s->region + (e[i].meta >> 8), *key, *payload;
        size_t total, klen, plen, need;
        parse_record(rec, s->used - (e[i].meta >> 8), &total, &key, &klen, &payload, &plen,
                     &need);
        struct cdp_buf *b = cdp_output_buffer(o);
        cdp_buf_add(b, rec, total);
        if (cdp_output_flush_some(o) < 0)
            break; /* the error comes with finish */
    }
    s->used = 0;
    s->n = 0;
    s->spilled_runs++;
    return run_finish(s, o, fd, s->nruns, 0, err);
}

static int spill_one(struct cdp_extsort *s, const char *key, size_t klen, const char *payload,
                     size_t plen, struct cdp_error *err)
{
    int fd;
    struct cdp_output *o = run_create(s, &fd, err);
    if (!o)
        return -1;
    put_record(o, key, klen, payload, plen);
    s->spilled_runs++;
    return run_finish(s, o, fd, s->nruns, 0, err);
}

/* --- reading and merging runs ----------------------------------------------- */

/* Moves r to its next record: 1, 0 at the end, -1 on error. */
static int reader_next(struct reader *r, struct cdp_error *err)
{
    if (!r->src) {
        if (r->at == r->n)
            return 0;
        region_item(r->region, r->ents, r->at++, r->n, &r->key, &r->klen, &r->payload, &r->plen);
        r->p0 = key_prefix8(r->key, r->klen);
        return 1;
    }
    for (;;) {
        size_t avail = r->len - r->pos, total, need;
        int k = parse_record(r->buf + r->pos, avail, &total, &r->key, &r->klen, &r->payload,
                             &r->plen, &need);
        if (k > 0) {
            r->pos += total;
            r->p0 = key_prefix8(r->key, r->klen);
            return 1;
        }
        if (k < 0)
            return cdp_errorf(err, "cannot read a temporary file: malformed record");
        if (r->eof) {
            if (avail == 0)
                return 0;
            return cdp_errorf(err, "cannot read a temporary file: truncated record");
        }
        if (r->pos > 0) {
            memmove(r->buf, r->buf + r->pos, avail);
            r->pos = 0;
            r->len = avail;
        }
        if (need > r->cap) {
            size_t cap = 2 * r->cap;
            r->cap = cap > need ? cap : need;
            r->buf = cdp_xrealloc(r->buf, r->cap);
        }
        struct cdp_error e;
        ssize_t got = cdp_source_read(r->src, r->buf + r->len, r->cap - r->len, &e);
        if (got < 0)
            return cdp_errorf(err, "cannot read a temporary file: %s", e.msg);
        if (got == 0)
            r->eof = true;
        r->len += (size_t)got;
    }
}

static inline bool reader_less(const struct merge *m, size_t i, size_t j)
{
    const struct reader *a = &m->r[i], *b = &m->r[j];
    if (a->p0 != b->p0)
        return a->p0 < b->p0;
    int c = key_cmp(a->key, a->klen, b->key, b->klen);
    if (c)
        return c < 0;
    return i < j; /* the earlier run holds the earlier items */
}

static void heap_down(struct merge *m, size_t i)
{
    size_t x = m->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= m->hn)
            break;
        if (c + 1 < m->hn && reader_less(m, m->heap[c + 1], m->heap[c]))
            c++;
        if (!reader_less(m, m->heap[c], x))
            break;
        m->heap[i] = m->heap[c];
        i = c;
    }
    m->heap[i] = x;
}

static void merge_close(struct merge *m)
{
    for (size_t i = 0; i < m->n; i++) {
        cdp_source_close(m->r[i].src);
        free(m->r[i].buf);
    }
    free(m->r);
    free(m->heap);
    memset(m, 0, sizeof *m);
}

/* Opens runs[first, first + n) for merging; their descriptors are closed
 * (each source has its own), so the files vanish with the sources. With
 * region, the sorted region is read too, after them (it holds the latest
 * items, so it breaks ties last). */
static int merge_open(struct cdp_extsort *s, struct merge *m, size_t first, size_t n,
                      bool region, struct cdp_error *err)
{
    memset(m, 0, sizeof *m);
    m->r = cdp_xcalloc(n + 1, sizeof *m->r);
    m->heap = cdp_xcalloc(n + 1, sizeof *m->heap);
    int r = 0;
    for (size_t i = 0; i < n; i++) {
        struct run *run = &s->runs[first + i];
        if (r == 0) {
            char path[64];
            struct cdp_error e;
            snprintf(path, sizeof path, "/proc/self/fd/%d", run->fd);
            m->r[i].src = cdp_source_open(path, NULL, &e);
            if (!m->r[i].src)
                r = cdp_errorf(err, "cannot reopen a temporary file: %s", e.msg);
            else
                m->n = i + 1;
        }
        close(run->fd);
        run->fd = -1;
    }
    memmove(s->runs + first, s->runs + first + n, (s->nruns - first - n) * sizeof *s->runs);
    s->nruns -= n;
    if (r < 0)
        return -1;
    if (region) {
        struct reader *rd = &m->r[n];
        rd->region = s->region;
        rd->ents = ents(s);
        rd->n = s->n;
        m->n = ++n;
    }
    for (size_t i = 0; i < n; i++) {
        struct reader *rd = &m->r[i];
        if (rd->src) {
            rd->cap = READ_CHUNK;
            rd->buf = cdp_xmalloc(rd->cap);
        }
        int k = reader_next(rd, err);
        if (k < 0)
            return -1;
        if (k > 0)
            m->heap[m->hn++] = i;
    }
    for (size_t i = m->hn / 2; i-- > 0;)
        heap_down(m, i);
    return 0;
}

/* The next record of the merge: 1 (the top reader), 0 at the end, -1. */
static int merge_next(struct merge *m, struct reader **out, struct cdp_error *err)
{
    if (m->started && m->hn > 0) {
        int k = reader_next(&m->r[m->heap[0]], err);
        if (k < 0)
            return -1;
        if (k == 0)
            m->heap[0] = m->heap[--m->hn];
        if (m->hn > 0)
            heap_down(m, 0);
    }
    m->started = true;
    if (m->hn == 0)
        return 0;
    *out = &m->r[m->heap[0]];
    return 1;
}

/* Merges runs[first, first + n) into one run, which takes their place. */
static int merge_runs(struct cdp_extsort *s, size_t first, size_t n, struct cdp_error *err)
{
    unsigned gen = 0;
    for (size_t i = first; i < first + n; i++)
        if (s->runs[i].gen >= gen)
            gen = s->runs[i].gen + 1;
    /* The region is empty here: give its memory back while the readers
     * use theirs. */
    free(s->region);
    s->region = NULL;
    struct merge m;
    int r = merge_open(s, &m, first, n, false, err);
    int fd = -1;
    struct cdp_output *o = NULL;
    if (r == 0) {
        o = run_create(s, &fd, err);
        if (!o)
            r = -1;
    }
    while (r == 0) {
        struct reader *top;
        int k = merge_next(&m, &top, err);
        if (k <= 0) {
            r = k;
            break;
        }
        if (put_record(o, top->key, top->klen, top->payload, top->plen) < 0)
            break; /* the error comes with finish */
    }
    merge_close(&m);
    if (o) {
        if (r == 0)
            return run_finish(s, o, fd, first, gen, err);
        cdp_output_abort(o);
        close(fd);
    }
    return r;
}

/* Merges runs until at most target are left, each time the k adjacent runs
 * (adjacent: the order of runs is the order of input, which breaks ties)
 * with the fewest bytes, k as large as needed, at most fanin: so items are
 * rewritten as seldom as possible. */
static int reduce_runs(struct cdp_extsort *s, size_t target, struct cdp_error *err)
{
    while (s->nruns > target) {
        size_t k = s->nruns - target + 1;
        if (k > s->fanin)
            k = s->fanin;
        uint64_t sum = 0, best_sum = 0;
        size_t best = 0;
        for (size_t i = 0; i < s->nruns; i++) {
            sum += s->runs[i].bytes;
            if (i >= k)
                sum -= s->runs[i - k].bytes;
            if (i + 1 >= k && (i + 1 == k || sum <= best_sum)) {
                best = i + 1 - k;
                best_sum = sum;
            }
        }
        if (merge_runs(s, best, k, err) < 0)
            return -1;
    }
    return 0;
}

/* After a spill: when the runs reach the limit on open files, one merge of
 * fanin_add adjacent runs of the lowest generation that has that many (the
 * oldest of them), as in a tiered merge: each merge lifts its items one
 * generation, so an item is rewritten about log(runs) / log(fanin_add)
 * times. fanin_add is small enough for the limit to hold runs of many
 * generations; should none have enough, the newest runs are merged. */
static int after_spill(struct cdp_extsort *s, struct cdp_error *err)
{
    if (s->nruns < s->run_limit)
        return 0;
    size_t f = s->fanin_add, best = s->nruns - f, start = 0;
    unsigned best_gen = UINT_MAX;
    for (size_t i = 1; i <= s->nruns; i++) {
        if (i < s->nruns && s->runs[i].gen == s->runs[start].gen)
            continue;
        /* runs[start, i) share a generation */
        if (i - start >= f && s->runs[start].gen < best_gen) {
            best_gen = s->runs[start].gen;
            best = start;
        }
        start = i;
    }
    return merge_runs(s, best, f, err);
}

/* --- the interface ---------------------------------------------------------- */

struct cdp_extsort *cdp_extsort_new(const struct cdp_extsort_options *opt)
{
    struct cdp_extsort *s = cdp_xcalloc(1, sizeof *s);
    size_t memory = opt && opt->memory ? opt->memory : DEFAULT_MEMORY;
    if (memory < 64)
        memory = 64;
    s->memory = memory & ~(size_t)7;
    if (opt && opt->tmpdir)
        s->tmpdir = cdp_xstrdup(opt->tmpdir);
    s->zstd_workers = opt ? opt->zstd_workers : 0;
    size_t f = s->memory / READER_COST;
    s->fanin = f < FANIN_MIN ? FANIN_MIN : f > FANIN_MAX ? FANIN_MAX : f;
    /* A quarter of the open files allowed, the rest is the program's. */
    struct rlimit rl;
    size_t limit = RUNS_MAX;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur / 4 < limit)
        limit = (size_t)rl.rlim_cur / 4;
    s->run_limit = limit > 2 * s->fanin ? limit : 2 * s->fanin;
    size_t fa = s->run_limit / 8;
    s->fanin_add = fa < 2 ? 2 : fa > s->fanin ? s->fanin : fa;
    s->state = ADDING;
    return s;
}

int cdp_extsort_add(struct cdp_extsort *s, const char *key, size_t klen, const char *payload,
                    size_t plen, struct cdp_error *err)
{
    if (s->state == FAILED)
        return failed(s, err);
    if (s->state != ADDING)
        return cdp_errorf(err, "internal error: item added to a finished sort");
    s->items++;
    size_t need = varint_len(klen) + klen + varint_len(plen) + plen;
    size_t room = s->memory - s->used - s->n * sizeof(struct ent);
    if (need + sizeof(struct ent) > room && s->n > 0) {
        if (spill_region(s, &s->failure) < 0 || after_spill(s, &s->failure) < 0)
            return fail(s, err);
        room = s->memory;
    }
    if (need + sizeof(struct ent) > room) {
        /* Larger than the whole region: a run of its own. */
        if (spill_one(s, key, klen, payload, plen, &s->failure) < 0 ||
            after_spill(s, &s->failure) < 0)
            return fail(s, err);
        return 0;
    }
    if (!s->region)
        s->region = cdp_xmalloc(s->memory);
    char *p = s->region + s->used;
    struct ent *e = ents(s) - 1;
    key_prefix(key, klen, &e->p0, &e->p1);
    e->meta = (uint64_t)s->used << 8 | (klen < LEN_CAP ? klen : LEN_CAP);
    p = put_varint(p, klen);
    if (klen)
        memcpy(p, key, klen);
    p = put_varint(p + klen, plen);
    if (plen)
        memcpy(p, payload, plen);
    s->used += need;
    s->n++;
    return 0;
}

/* Gives back the whole pages between the region's items and its entries. */
static void release_gap(struct cdp_extsort *s)
{
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0)
        return;
    uintptr_t p = (uintptr_t)page;
    uintptr_t from = ((uintptr_t)(s->region + s->used) + p - 1) & ~(p - 1);
    uintptr_t to = (uintptr_t)ents(s) & ~(p - 1);
    if (to > from)
        (void)madvise((void *)from, to - from, MADV_DONTNEED); /* advice: may do nothing */
}

int cdp_extsort_finish(struct cdp_extsort *s, struct cdp_error *err)
{
    if (s->state == FAILED)
        return failed(s, err);
    if (s->state != ADDING)
        return cdp_errorf(err, "internal error: sort finished twice");
    if (s->nruns == 0) {
        sort_region(s);
        s->cursor = 0;
        s->state = IN_MEMORY;
        return 0;
    }
    /* Runs exist. What is in memory is read in place when the readers of
     * the runs fit in what the region leaves of the budget and no run needs
     * merging first: at 1M persons cdp-merge's last region was 0.99 GB of
     * its 1 GiB beside three runs, and writing it as a fourth run was a
     * quarter of its compression and decompression. The pages between the
     * items and their entries, touched by the regions spilled before, go
     * back first: the readers take their place. Else what is in memory
     * becomes the last run, so that the merge has the whole budget for its
     * readers. */
    size_t held = s->used + s->n * sizeof(struct ent); /* at most memory: both live in the region */
    if (s->n > 0 && s->nruns < s->fanin && s->nruns * READER_COST <= s->memory - held) {
        release_gap(s);
        sort_region(s);
        if (merge_open(s, &s->final, 0, s->nruns, true, &s->failure) < 0)
            return fail(s, err);
        s->state = MERGING;
        return 0;
    }
    if (s->n > 0 && spill_region(s, &s->failure) < 0)
        return fail(s, err);
    free(s->region);
    s->region = NULL;
    /* At most fanin runs for the last merge. */
    if (reduce_runs(s, s->fanin, &s->failure) < 0)
        return fail(s, err);
    if (merge_open(s, &s->final, 0, s->nruns, false, &s->failure) < 0)
        return fail(s, err);
    s->state = MERGING;
    return 0;
}

int cdp_extsort_next(struct cdp_extsort *s, const char **key, size_t *klen,
                     const char **payload, size_t *plen, struct cdp_error *err)
{
    if (s->state == FAILED)
        return failed(s, err);
    if (s->state == IN_MEMORY) {
        if (s->cursor == s->n)
            return 0;
        region_item(s->region, ents(s), s->cursor++, s->n, key, klen, payload, plen);
        return 1;
    }
    if (s->state != MERGING)
        return cdp_errorf(err, "internal error: sorted items asked for before the end");
    struct reader *r;
    int k = merge_next(&s->final, &r, &s->failure);
    if (k < 0)
        return fail(s, err);
    if (k == 0) {
        merge_close(&s->final); /* the files go now */
        free(s->region);        /* if it was read in place */
        s->region = NULL;
        return 0;
    }
    *key = r->key;
    *klen = r->klen;
    *payload = r->payload;
    *plen = r->plen;
    return 1;
}

void cdp_extsort_counts(const struct cdp_extsort *s, uint64_t *items, uint64_t *runs,
                        uint64_t *spilled_bytes)
{
    if (items)
        *items = s->items;
    if (runs)
        *runs = s->spilled_runs;
    if (spilled_bytes)
        *spilled_bytes = s->spilled_bytes;
}

void cdp_extsort_free(struct cdp_extsort *s)
{
    if (!s)
        return;
    merge_close(&s->final);
    for (size_t i = 0; i < s->nruns; i++)
        if (s->runs[i].fd >= 0)
            close(s->runs[i].fd);
    free(s->runs);
    free(s->region);
    free(s->tmpdir);
    free(s);
}
