/* Unit tests of lib/io/reader.h's NDJSON blocks: the rows of
 * cdp_reader_take_lines and cdp_reader_block_row are those cdp_reader_next
 * returns line by line (lines_only), blank and CRLF lines, a last line
 * without '\n', over many blocks, plain and zstd-compressed; a block
 * takes up after the lines read one by one. A single-byte encoding
 * (cp1251) is decoded as iconv decodes each byte alone, whatever the mix
 * of ASCII and other bytes and the size of the reads. The skip option
 * leaves the lines it is told unparsed (or parsed for skip_keep's members)
 * and rejects bad ones as without it, for the same reason. */
#include <iconv.h>
#include <stdlib.h>
#include <unistd.h>

#include "../check.h"
#include "gen/gen_rng.h"
#include "io/json.h"
#include "io/lines.h"
#include "io/output.h"
#include "io/reader.h"

static char dir[] = "/tmp/cdp-test-reader-XXXXXX";

/* Some 3 MB of lines of every shape, the last without a newline. */
static void make_text(struct cdp_buf *t)
{
    for (int i = 0; i < 30000; i++) {
        switch (i % 7) {
        case 0: cdp_buf_printf(t, "\n"); break;
        case 1: cdp_buf_printf(t, " \t \r\n"); break;
        case 2: cdp_buf_printf(t, "{\"_rid\":%d}\r\n", i); break;
        case 3: cdp_buf_printf(t, "  {\"a\":\"%0*d\"}\n", 200 + i % 300, i); break;
        default: cdp_buf_printf(t, "{\"n\":%d,\"pad\":\"%0*d\"}\n", i, i % 40, 0); break;
        }
    }
    cdp_buf_printf(t, "{\"last\":true}");
}

static void write_file(const char *path, const struct cdp_buf *t)
{
    struct cdp_error err;
    struct cdp_output *o = cdp_output_open(path, NULL, &err);
    CHECK(o != NULL);
    if (!o)
        return;
    cdp_output_write(o, t->data, t->len);
    CHECK(cdp_output_commit(o, &err) == 0);
}

/* Every row of path, each followed by '\n', into rows; by line or in blocks. */
static long read_rows(const char *path, bool blocks, struct cdp_buf *rows)
{
    struct cdp_reader_options opt = { .format = CDP_FORMAT_NDJSON, .lines_only = true };
    struct cdp_error err;
    struct cdp_reader *r = cdp_reader_open(path, &opt, &err);
    CHECK(r != NULL);
    if (!r)
        return -1;
    long nblocks = 0;
    if (blocks) {
        struct cdp_buf block = CDP_BUF_INIT;
        long got;
        while ((got = cdp_reader_take_lines(r, &block, &err)) > 0) {
            CHECK(block.len > 0);
            for (size_t i = 0; i < CDP_LINE_PADDING; i++)
                CHECK(block.data[block.len + i] == ' ');
            const char *pos = block.data, *end = block.data + block.len, *row;
            size_t len;
            while (cdp_reader_block_row(&pos, end, &row, &len, NULL)) {
                cdp_buf_add(rows, row, len);
                cdp_buf_addc(rows, '\n');
            }
            cdp_buf_reset(&block);
            nblocks++;
        }
        CHECK(got == 0);
        cdp_buf_release(&block);
    } else {
        struct cdp_record rec = CDP_RECORD_INIT;
        struct cdp_row row;
        enum cdp_read k;
        while ((k = cdp_reader_next(r, &rec, &row, &err)) == CDP_READ_ROW) {
            cdp_buf_add(rows, row.raw, row.rawlen);
            cdp_buf_addc(rows, '\n');
        }
        CHECK(k == CDP_READ_END);
        cdp_record_release(&rec);
    }
    cdp_reader_close(r);
    return nblocks;
}

static void test_blocks(const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct cdp_buf text = CDP_BUF_INIT, by_line = CDP_BUF_INIT, by_block = CDP_BUF_INIT;
    make_text(&text);
    write_file(path, &text);
    read_rows(path, false, &by_line);
    long nblocks = read_rows(path, true, &by_block);
    CHECK(nblocks >= 3); /* the text is some 3 MB: blocks of at least half a MB */
    CHECK(by_line.len > 2000000);
    CHECK(by_line.len == by_block.len && memcmp(by_line.data, by_block.data, by_line.len) == 0);
    CHECK(strstr(by_block.data, "{\"last\":true}\n") != NULL);
    CHECK(strstr(by_block.data, "\r") == NULL);
    cdp_buf_release(&text);
    cdp_buf_release(&by_line);
    cdp_buf_release(&by_block);
    unlink(path);
}

/* The lines a block holds, and a block after a line read by itself. */
static void test_numbers(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/numbers.txt", dir);
    struct cdp_buf text = CDP_BUF_INIT;
    cdp_buf_printf(&text, "a\n\nb\r\nc");
    write_file(path, &text);
    struct cdp_error err;
    struct cdp_lines *lr = cdp_lines_new(cdp_source_open(path, NULL, &err));
    struct cdp_buf block = CDP_BUF_INIT;
    CHECK(cdp_lines_take(lr, &block, &err) == 4);
    CHECK(block.len == 7 && memcmp(block.data, "a\n\nb\r\nc", 7) == 0);
    CHECK(cdp_lines_take(lr, &block, &err) == 0);
    cdp_lines_free(lr);
    /* one line by itself, then a block: the numbers go on */
    lr = cdp_lines_new(cdp_source_open(path, NULL, &err));
    const char *line;
    size_t len;
    uint64_t number;
    bool nl;
    CHECK(cdp_lines_next(lr, &line, &len, &number, &nl, &err) == 1 && number == 1);
    cdp_buf_reset(&block);
    CHECK(cdp_lines_take(lr, &block, &err) == 3);
    CHECK(block.len == 5 && memcmp(block.data, "\nb\r\nc", 5) == 0);
    cdp_lines_free(lr);
    cdp_buf_release(&block);
    cdp_buf_release(&text);
    unlink(path);
}

/* Windows-1251 text read through cdp_source equals iconv's decoding of
 * each byte alone (an undefined byte, 0x98, is 0xFF): runs of ASCII and of
 * other bytes of every length, at every offset of the decoder's words, read
 * by buffers of several sizes. */
static void test_single_byte(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/cp1251.csv", dir);
    struct cdp_buf in = CDP_BUF_INIT, want = CDP_BUF_INIT;
    uint64_t rng = 42;
    while (in.len < 200000) {
        uint64_t x = gen_splitmix(&rng);
        size_t run = (x >> 33) % 19;
        bool high = (x >> 20) & 1;
        for (size_t i = 0; i < run; i++) {
            unsigned char c = (unsigned char)(gen_splitmix(&rng) >> 40);
            c = high ? (unsigned char)(c | 0x80) : (unsigned char)(c & 0x7F);
            if (c == 0)
                c = '0';
            cdp_buf_addc(&in, (char)c);
        }
    }
    iconv_t cd = iconv_open("UTF-8", "CP1251");
    CHECK(cd != (iconv_t)-1);
    for (size_t i = 0; i < in.len && cd != (iconv_t)-1; i++) {
        char one = in.data[i], out[8], *ip = &one, *op = out;
        size_t il = 1, ol = sizeof out;
        if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1)
            cdp_buf_addc(&want, (char)0xFF);
        else
            cdp_buf_add(&want, out, sizeof out - ol);
    }
    if (cd != (iconv_t)-1)
        iconv_close(cd);
    write_file(path, &in);
    static const size_t sizes[] = { 7, 64, 4099, 65536 };
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        struct cdp_error err;
        struct cdp_source *s = cdp_source_open(path, "cp1251", &err);
        CHECK(s != NULL);
        if (!s)
            continue;
        struct cdp_buf got = CDP_BUF_INIT;
        char *buf = cdp_xmalloc(sizes[k]);
        ssize_t n;
        while ((n = cdp_source_read(s, buf, sizes[k], &err)) > 0)
            cdp_buf_add(&got, buf, (size_t)n);
        CHECK(n == 0);
        CHECK(got.len == want.len && memcmp(got.data, want.data, want.len) == 0);
        free(buf);
        cdp_buf_release(&got);
        cdp_source_close(s);
    }
    unlink(path);
    cdp_buf_release(&in);
    cdp_buf_release(&want);
}

static bool skip_unless_keepme(void *ctx, const char *line, size_t len)
{
    (void)ctx;
    return !memmem(line, len, "keepme", 6);
}

/* Each line read without skip, with it, and with it and skip_keep. */
static void test_skip(void)
{
    static const char text[] = "{\"a\":1,\"cdp_id\":\"x\",\"b\":[1]}\n"
                               "{\"a\":1,\"keepme\":true}\n"
                               "{\"a\":1,}\n"
                               "[\"x\"]\n"
                               "{\"a\":\"\xff\"}\n"
                               "{\"cdp_id\":\"y\"} {}\n"
                               "{\"cdp_id\":1e999999}\n";
    enum { NLINES = 7 };
    static const enum cdp_read plain[NLINES] = { CDP_READ_ROW, CDP_READ_ROW, CDP_READ_BAD, CDP_READ_BAD,
                                                 CDP_READ_BAD, CDP_READ_BAD, CDP_READ_ROW };
    char path[64];
    snprintf(path, sizeof path, "%s/skip.ndjson", dir);
    struct cdp_buf t = CDP_BUF_INIT;
    cdp_buf_add(&t, text, sizeof text - 1);
    write_file(path, &t);
    cdp_buf_release(&t);
    struct cdp_json_names keep = { { 0 } };
    cdp_json_names_add(&keep, "cdp_id", 6);
    char reasons[NLINES][256] = { { 0 } };
    for (int mode = 0; mode < 3; mode++) {
        struct cdp_reader_options opt = { .format = CDP_FORMAT_NDJSON };
        if (mode > 0)
            opt.skip = skip_unless_keepme;
        if (mode == 2)
            opt.skip_keep = &keep;
        struct cdp_error err;
        struct cdp_reader *r = cdp_reader_open(path, &opt, &err);
        CHECK(r != NULL);
        if (!r)
            return;
        struct cdp_record rec = CDP_RECORD_INIT;
        struct cdp_row row;
        enum cdp_read k;
        int i = 0;
        while ((k = cdp_reader_next(r, &rec, &row, &err)) != CDP_READ_END && i < NLINES) {
            enum cdp_read want = plain[i];
            if (mode > 0 && want == CDP_READ_ROW && i != 1)
                want = CDP_READ_SKIPPED;
            CHECK(k == want);
            CHECK(row.line == (uint64_t)i + 1);
            if (k == CDP_READ_BAD && mode == 0)
                snprintf(reasons[i], sizeof reasons[i], "%s", row.reason);
            if (k == CDP_READ_BAD)
                CHECK(reasons[i][0] && strcmp(row.reason, reasons[i]) == 0);
            if (k == CDP_READ_ROW)
                CHECK(rec.n == (i == 1 ? 2u : i == 6 ? 1u : 3u));
            if (k == CDP_READ_SKIPPED && mode == 1)
                CHECK(rec.n == 0);
            if (k == CDP_READ_SKIPPED && mode == 2) {
                const struct cdp_field *id = cdp_record_gets(&rec, "cdp_id");
                CHECK(id != NULL);
                if (id && i == 0)
                    CHECK(id->type == CDP_STRING && id->vlen == 1 && id->val[0] == 'x');
                if (id && i == 6)
                    CHECK(id->type == CDP_NUMBER);
            }
            i++;
        }
        CHECK(k == CDP_READ_END && i == NLINES);
        cdp_record_release(&rec);
        cdp_reader_close(r);
    }
    unlink(path);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    test_blocks("lines.ndjson");
    test_blocks("lines.ndjson.zst");
    test_numbers();
    test_single_byte();
    test_skip();
    rmdir(dir);
    return check_report("test_reader");
}
