/* Unit tests of lib/io/output.h: zstd output compressed by any number of
 * worker threads is the same bytes (the promise that lets the count follow
 * the CPUs without breaking byte-identical runs), and reads back as written. */
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>

#include "../check.h"
#include "../files.h"
#include "io/output.h"
#include "io/source.h"

static struct cdp_error err;

/* Eight megabytes of NDJSON-like lines, the same every run: several of
 * zstd's jobs at level 1, so that the workers really share the input. */
static struct cdp_buf sample(void)
{
    struct cdp_buf b = CDP_BUF_INIT;
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (unsigned i = 0; b.len < (8u << 20); i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        cdp_buf_printf(&b, "{\"_rid\":\"%u\",\"email\":\"p%llu@example.ru\",\"amount\":%llu.%02u}\n", i,
                       (unsigned long long)(x % 1000003), (unsigned long long)(x >> 40), (unsigned)(x % 100));
    }
    return b;
}

static void write_with(const char *name, int workers, const struct cdp_buf *text)
{
    struct cdp_output_options opt = { .zstd = true, .zstd_workers = workers };
    struct cdp_output *o = cdp_output_open(path_of(name), &opt, &err);
    CHECK(o != NULL);
    /* in pieces of varying size, as a program writes records */
    for (size_t at = 0, piece = 1; at < text->len; at += piece, piece = piece * 7 % 65521 + 1)
        CHECK(cdp_output_write(o, text->data + at, piece < text->len - at ? piece : text->len - at) == 0);
    CHECK(cdp_output_commit(o, &err) == 0);
}

static void test_same_bytes_for_any_workers(void)
{
    struct cdp_buf text = sample();
    write_with("one.zst", 1, &text);
    write_with("two.zst", 2, &text);
    write_with("four.zst", 4, &text);
    write_with("cpus.zst", 0, &text);
    size_t n1, n2, n4, n0;
    char *one = read_file_bytes(path_of("one.zst"), &n1), *two = read_file_bytes(path_of("two.zst"), &n2);
    char *four = read_file_bytes(path_of("four.zst"), &n4), *cpus = read_file_bytes(path_of("cpus.zst"), &n0);
    CHECK(n1 > 0 && n1 < text.len / 2);
    CHECK(n2 == n1 && memcmp(one, two, n1) == 0);
    CHECK(n4 == n1 && memcmp(one, four, n1) == 0);
    CHECK(n0 == n1 && memcmp(one, cpus, n1) == 0);

    /* and it decompresses to what was written */
    struct cdp_source *s = cdp_source_open(path_of("four.zst"), NULL, &err);
    CHECK(s != NULL);
    struct cdp_buf back = CDP_BUF_INIT;
    char chunk[65536];
    ssize_t got;
    while ((got = cdp_source_read(s, chunk, sizeof chunk, &err)) > 0)
        cdp_buf_add(&back, chunk, (size_t)got);
    CHECK(got == 0);
    CHECK(cdp_source_compression(s) == CDP_COMPRESS_ZSTD);
    CHECK(back.len == text.len && memcmp(back.data, text.data, text.len) == 0);
    cdp_source_close(s);
    free(one), free(two), free(four), free(cpus);
    cdp_buf_release(&back);
    cdp_buf_release(&text);
}

/* This process's threads, from /proc/self/task. */
static int thread_count(void)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* zstd_workers is the count of compression threads, no more (--threads N
 * is passed down as it): zstd starts its pool at the first compression. */
static void test_workers_are_threads(void)
{
    struct cdp_buf text = sample();
    int before = thread_count();
    CHECK(before == 1);
    for (int workers = 1; workers <= 3; workers += 2) {
        struct cdp_output_options opt = { .zstd = true, .zstd_workers = workers };
        struct cdp_output *o = cdp_output_open(path_of("threads.zst"), &opt, &err);
        CHECK(o != NULL);
        CHECK(cdp_output_write(o, text.data, text.len) == 0);
        CHECK(thread_count() == before + workers);
        CHECK(cdp_output_commit(o, &err) == 0);
    }
    cdp_buf_release(&text);
}

int main(void)
{
    files_setup("output");
    test_same_bytes_for_any_workers();
    test_workers_are_threads();
    files_cleanup();
    return check_report("test_output");
}
