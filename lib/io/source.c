#include "io/source.h"

#include "io/json.h"

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "base/buf.h"

/* At most this much per read(2), into a buffer used again and again: the
 * kernel's copy then lands in cache, and the decoder reads it from there.
 * On the 1M-row 1C CSV, 256 KiB reads put the copy (_copy_to_iter) at
 * 4.1-5.0% of cdp-ingest's samples, 64 KiB at 1.0-1.2%: CPU 1.435 -> 1.310 s,
 * system 0.090 -> 0.060 s (medians of 20 alternated runs). A UTF-8 CSV
 * (POS, 961 MB) and cdp-dedupe's zstd inputs took the same time. */
#define RAW_CHUNK (64 * 1024)
#define BG_CHUNKS 4
#define BG_CHUNK_SIZE (1 << 20)

struct cdp_source {
    char *name;
    int fd;
    bool own_fd;
    enum cdp_compression compression;
    uint64_t raw_bytes;
    bool raw_eof;

    /* Bytes as read from the file. */
    char *raw;
    size_t raw_pos, raw_len;

    ZSTD_DCtx *zstd;
    size_t zstd_last; /* last ZSTD_decompressStream hint: 0 = frame complete */
    z_stream gz;
    bool gz_live, gz_member_done;

    /* Decompressed bytes waiting for transcoding (when iconv is used). */
    iconv_t cd;
    char *plain;
    size_t plain_pos, plain_len;
    /* For single-byte encodings (cp1251, koi8-r, latin1...): each byte's
     * UTF-8, learnt from iconv itself at open, so decoding is a table look-up
     * (glibc's iconv was a tenth of cdp-ingest's time on a 1C export).
     * utf8[b] holds the bytes (0xFF for a byte the encoding does not
     * define), utf8_len[b] how many. */
    unsigned char (*utf8)[4];
    unsigned char *utf8_len;
    /* Every byte returned so far came through that table and none was an
     * undefined one: valid UTF-8 by construction (cdp_source_valid_utf8). */
    bool utf8_clean;

    /* Compressed input: decompressed ahead in a thread (see decompressor). */
    struct bg_chunk {
        char *data;
        ssize_t len; /* -1: error (err), 0: end */
        size_t pos;
        struct cdp_error err;
    } bg[BG_CHUNKS];
    int bg_head, bg_count;
    bool bg_started, bg_threaded, bg_stop;
    pthread_t bg_thread;
    pthread_mutex_t bg_lock;
    pthread_cond_t bg_cond;

    bool at_start; /* nothing returned yet: a BOM may still be dropped */
    char head[64]; /* the first decoded bytes, looked at for a BOM */
    size_t head_pos, head_len;
};

static int fill_raw(struct cdp_source *s, struct cdp_error *err)
{
    if (s->raw_pos < s->raw_len || s->raw_eof)
        return 0;
    for (;;) {
        ssize_t n = read(s->fd, s->raw, RAW_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return cdp_errorf_errno(err, errno, "%s: read error", s->name);
        s->raw_pos = 0;
        s->raw_len = (size_t)n;
        s->raw_bytes += (uint64_t)n;
        if (n == 0)
            s->raw_eof = true;
        return 0;
    }
}

static enum cdp_compression sniff(const unsigned char *p, size_t n)
{
    if (n >= 4 && p[0] == 0x28 && p[1] == 0xB5 && p[2] == 0x2F && p[3] == 0xFD)
        return CDP_COMPRESS_ZSTD;
    /* A zstd skippable frame: magic 0x184D2A50..5F, little-endian. */
    if (n >= 4 && (p[0] & 0xF0) == 0x50 && p[1] == 0x2A && p[2] == 0x4D && p[3] == 0x18)
        return CDP_COMPRESS_ZSTD;
    if (n >= 2 && p[0] == 0x1F && p[1] == 0x8B)
        return CDP_COMPRESS_GZIP;
    return CDP_COMPRESS_NONE;
}

/* Reads enough to see the magic number; short files are fine. */
static int read_head(struct cdp_source *s, struct cdp_error *err)
{
    while (s->raw_len < 4 && !s->raw_eof) {
        ssize_t n = read(s->fd, s->raw + s->raw_len, RAW_CHUNK - s->raw_len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return cdp_errorf_errno(err, errno, "%s: read error", s->name);
        if (n == 0)
            s->raw_eof = true;
        s->raw_len += (size_t)n;
        s->raw_bytes += (uint64_t)n;
    }
    return 0;
}

static ssize_t read_plain(struct cdp_source *s, char *buf, size_t n, struct cdp_error *err);

/* Whether the encoding maps every byte on its own (ASCII to itself): then
 * s->utf8 and s->utf8_len get the table. */
static void learn_single_byte(struct cdp_source *s)
{
    unsigned char (*table)[4] = cdp_xcalloc(256, sizeof *table);
    unsigned char *lengths = cdp_xcalloc(256, 1);
    bool clean = true;
    for (int b = 0; b < 256; b++) {
        char in = (char)b, out[8];
        char *ip = &in, *op = out;
        size_t il = 1, ol = sizeof out;
        iconv(s->cd, NULL, NULL, NULL, NULL);
        size_t r = iconv(s->cd, &ip, &il, &op, &ol);
        size_t n = sizeof out - ol;
        if (r == (size_t)-1 && errno == EILSEQ) {
            table[b][0] = 0xFF; /* undefined byte: never valid UTF-8 */
            lengths[b] = 1;
            continue;
        }
        if (r == (size_t)-1 || il != 0 || n == 0 || n > 3 || (b < 0x80 && (n != 1 || out[0] != in))) {
            free(table); /* a multibyte or stateful encoding: iconv does it */
            free(lengths);
            iconv(s->cd, NULL, NULL, NULL, NULL);
            return;
        }
        lengths[b] = (unsigned char)n;
        memcpy(table[b], out, n);
        clean = clean && cdp_utf8_valid(out, n);
    }
    iconv(s->cd, NULL, NULL, NULL, NULL);
    s->utf8 = table;
    s->utf8_len = lengths;
    s->utf8_clean = clean;
}

/* read_table for a buffer too small for its four-byte stores: one byte. */
static ssize_t read_table_small(struct cdp_source *s, char *buf, size_t n, struct cdp_error *err)
{
    unsigned char c;
    ssize_t k = read_plain(s, (char *)&c, 1, err);
    if (k <= 0)
        return k;
    if (s->utf8_len[c] > n)
        return cdp_errorf(err, "%s: internal error: decoding buffer too small", s->name);
    memcpy(buf, s->utf8[c], s->utf8_len[c]);
    return s->utf8_len[c];
}

/* Decodes through the single-byte table: at most 3 output bytes per input
 * byte; an undefined byte becomes 0xFF, as with iconv. Runs of eight ASCII
 * bytes are copied as they are, other bytes by a four-byte store and the
 * length (a branch per byte made this loop a seventh of cdp-ingest's work
 * on a 1C export, all of it on the reading thread). */
static ssize_t read_table(struct cdp_source *s, char *buf, size_t n, struct cdp_error *err)
{
    /* Room for the last character's four-byte store. */
    size_t want = n > 6 ? (n - 3) / 3 : 0;
    if (want == 0)
        return read_table_small(s, buf, n, err);
    char *in = s->plain;
    ssize_t k = read_plain(s, in, want < RAW_CHUNK ? want : RAW_CHUNK, err);
    if (k <= 0)
        return k;
    const unsigned char *p = (const unsigned char *)in, *end = p + k;
    /* In locals: stores through o (a char pointer) could change s->utf8 as
     * far as the compiler knows, which made it reload them for every byte. */
    const unsigned char(*utf8)[4] = s->utf8;
    const unsigned char *utf8_len = s->utf8_len;
    char *o = buf;
    while (p < end) {
        uint64_t x = 0;
        while (end - p >= 8) {
            memcpy(&x, p, 8);
            if (x & 0x8080808080808080ull)
                break;
            memcpy(o, &x, 8);
            o += 8;
            p += 8;
        }
        if (end - p >= 8) {
            /* The ASCII bytes before the first other one go out as part of
             * the word (a name between ';' and digits is such a word: byte
             * by byte they were a fifth of this loop, callgrind); then the
             * run of others, by the table. The word's store has room: the
             * buffer holds three bytes for each one read. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            unsigned ascii = (unsigned)__builtin_ctzll(x & 0x8080808080808080ull) >> 3;
#else
            unsigned ascii = 0; /* the first byte is not the lowest */
#endif
            memcpy(o, &x, 8);
            o += ascii;
            p += ascii;
            do {
                unsigned char c = *p++;
                memcpy(o, utf8[c], 4);
                o += utf8_len[c];
            } while (p < end && (*p & 0x80));
            continue;
        }
        while (p < end) {
            unsigned char c = *p++;
            memcpy(o, utf8[c], 4);
            o += utf8_len[c];
        }
    }
    return (ssize_t)(o - buf);
}

struct cdp_source *cdp_source_open(const char *path, const char *encoding,
                                   struct cdp_error *err)
{
    struct cdp_source *s = cdp_xcalloc(1, sizeof *s);
    s->cd = (iconv_t)-1;
    s->at_start = true;
    if (strcmp(path, "-") == 0) {
        s->name = cdp_xstrdup("(stdin)");
        s->fd = STDIN_FILENO;
    } else {
        s->name = cdp_xstrdup(path);
        s->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (s->fd < 0) {
            cdp_errorf_errno(err, errno, "cannot open '%s'", path);
            goto fail;
        }
        s->own_fd = true;
    }
    s->raw = cdp_xmalloc(RAW_CHUNK);
    if (read_head(s, err) < 0)
        goto fail;
    s->compression = sniff((const unsigned char *)s->raw, s->raw_len);
    if (s->compression == CDP_COMPRESS_ZSTD) {
        s->zstd = ZSTD_createDCtx();
        if (!s->zstd) {
            cdp_errorf(err, "%s: cannot create zstd context", s->name);
            goto fail;
        }
    } else if (s->compression == CDP_COMPRESS_GZIP) {
        /* 15 + 32: a zlib or gzip header, detected automatically. */
        if (inflateInit2(&s->gz, 15 + 32) != Z_OK) {
            cdp_errorf(err, "%s: cannot initialise zlib", s->name);
            goto fail;
        }
        s->gz_live = true;
    }
    if (encoding && strcasecmp(encoding, "utf-8") != 0 && strcasecmp(encoding, "utf8") != 0) {
        s->cd = iconv_open("UTF-8", encoding);
        if (s->cd == (iconv_t)-1) {
            cdp_errorf(err, "unknown encoding '%s' (see 'iconv -l')", encoding);
            goto fail;
        }
        s->plain = cdp_xmalloc(RAW_CHUNK);
        learn_single_byte(s);
    }
    return s;
fail:
    cdp_source_close(s);
    return NULL;
}

/* Decompressed bytes, before any transcoding. */
static ssize_t decompress(struct cdp_source *s, char *buf, size_t n, struct cdp_error *err)
{
    if (s->compression == CDP_COMPRESS_NONE) {
        if (s->raw_pos == s->raw_len && !s->raw_eof) {
            /* Past the bytes read at open: straight into the caller's
             * buffer, not through s->raw (a copy of every byte saved). */
            for (;;) {
                ssize_t k = read(s->fd, buf, n < RAW_CHUNK ? n : RAW_CHUNK);
                if (k < 0 && errno == EINTR)
                    continue;
                if (k < 0)
                    return cdp_errorf_errno(err, errno, "%s: read error", s->name);
                s->raw_bytes += (uint64_t)k;
                if (k == 0)
                    s->raw_eof = true;
                return k;
            }
        }
        size_t k = s->raw_len - s->raw_pos;
        if (k > n)
            k = n;
        memcpy(buf, s->raw + s->raw_pos, k);
        s->raw_pos += k;
        return (ssize_t)k;
    }
    for (;;) {
        if (fill_raw(s, err) < 0)
            return -1;
        bool eof = s->raw_pos == s->raw_len && s->raw_eof;
        size_t got;
        if (s->compression == CDP_COMPRESS_ZSTD) {
            if (eof && s->zstd_last == 0)
                return 0; /* the last frame was complete and flushed */
            ZSTD_inBuffer in = { s->raw, s->raw_len, s->raw_pos };
            ZSTD_outBuffer out = { buf, n, 0 };
            size_t r = ZSTD_decompressStream(s->zstd, &out, &in);
            s->raw_pos = in.pos;
            if (ZSTD_isError(r))
                return cdp_errorf(err, "%s: corrupt zstd stream: %s", s->name,
                                  ZSTD_getErrorName(r));
            s->zstd_last = r;
            got = out.pos;
            if (got == 0 && eof) {
                if (s->zstd_last != 0)
                    return cdp_errorf(err, "%s: truncated zstd stream", s->name);
                return 0;
            }
        } else {
            if (s->gz_member_done) {
                if (eof)
                    return 0;
                /* Another member follows (concatenated gzip files). */
                if (inflateReset(&s->gz) != Z_OK)
                    return cdp_errorf(err, "%s: corrupt gzip stream", s->name);
                s->gz_member_done = false;
            }
            s->gz.next_in = (Bytef *)s->raw + s->raw_pos;
            s->gz.avail_in = (uInt)(s->raw_len - s->raw_pos);
            s->gz.next_out = (Bytef *)buf;
            s->gz.avail_out = (uInt)n;
            int r = inflate(&s->gz, Z_NO_FLUSH);
            s->raw_pos = s->raw_len - s->gz.avail_in;
            if (r == Z_STREAM_END)
                s->gz_member_done = true;
            else if (r != Z_OK && r != Z_BUF_ERROR)
                return cdp_errorf(err, "%s: corrupt gzip stream: %s", s->name,
                                  s->gz.msg ? s->gz.msg : "inflate failed");
            got = n - s->gz.avail_out;
            if (got == 0 && eof && !s->gz_member_done)
                return cdp_errorf(err, "%s: truncated gzip stream", s->name);
        }
        if (got > 0)
            return (ssize_t)got;
    }
}

/* Decompression runs in a thread of its own, a few chunks ahead of the
 * reader, so that it overlaps parsing (zstd -dc alone was a third of
 * cdp-dedupe's reading time). Chunks come back in order: the bytes are the
 * same as without the thread. */
static void *decompressor(void *arg)
{
    struct cdp_source *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->bg_lock);
        while (s->bg_count == BG_CHUNKS && !s->bg_stop)
            pthread_cond_wait(&s->bg_cond, &s->bg_lock);
        if (s->bg_stop) {
            pthread_mutex_unlock(&s->bg_lock);
            return NULL;
        }
        struct bg_chunk *c = &s->bg[(s->bg_head + s->bg_count) % BG_CHUNKS];
        pthread_mutex_unlock(&s->bg_lock);
        c->len = decompress(s, c->data, BG_CHUNK_SIZE, &c->err);
        c->pos = 0;
        pthread_mutex_lock(&s->bg_lock);
        s->bg_count++;
        pthread_cond_broadcast(&s->bg_cond);
        bool done = c->len <= 0;
        pthread_mutex_unlock(&s->bg_lock);
        if (done)
            return NULL; /* the end, or an error: nothing more to read */
    }
}

static ssize_t read_plain(struct cdp_source *s, char *buf, size_t n, struct cdp_error *err)
{
    if (s->compression == CDP_COMPRESS_NONE)
        return decompress(s, buf, n, err);
    if (!s->bg_started) {
        s->bg_started = true;
        for (int i = 0; i < BG_CHUNKS; i++)
            s->bg[i].data = cdp_xmalloc(BG_CHUNK_SIZE);
        pthread_mutex_init(&s->bg_lock, NULL);
        pthread_cond_init(&s->bg_cond, NULL);
        if (pthread_create(&s->bg_thread, NULL, decompressor, s) != 0) {
            s->bg_threaded = false; /* no thread: decompress here */
        } else {
            s->bg_threaded = true;
        }
    }
    if (!s->bg_threaded)
        return decompress(s, buf, n, err);
    pthread_mutex_lock(&s->bg_lock);
    while (s->bg_count == 0)
        pthread_cond_wait(&s->bg_cond, &s->bg_lock);
    struct bg_chunk *c = &s->bg[s->bg_head];
    pthread_mutex_unlock(&s->bg_lock);
    if (c->len <= 0) {
        if (c->len < 0 && err)
            *err = c->err;
        return c->len; /* stays at the head: every later call says the same */
    }
    size_t k = (size_t)c->len - c->pos;
    if (k > n)
        k = n;
    memcpy(buf, c->data + c->pos, k);
    c->pos += k;
    if (c->pos == (size_t)c->len) {
        pthread_mutex_lock(&s->bg_lock);
        s->bg_head = (s->bg_head + 1) % BG_CHUNKS;
        s->bg_count--;
        pthread_cond_broadcast(&s->bg_cond);
        pthread_mutex_unlock(&s->bg_lock);
    }
    return (ssize_t)k;
}

/* Converts buffered plain bytes to UTF-8; invalid input becomes 0xFF. */
static ssize_t read_transcoded(struct cdp_source *s, char *buf, size_t n, struct cdp_error *err)
{
    for (;;) {
        if (s->plain_pos == s->plain_len || s->plain_len - s->plain_pos < 8) {
            /* Keep an incomplete multibyte tail, append more input. */
            memmove(s->plain, s->plain + s->plain_pos, s->plain_len - s->plain_pos);
            s->plain_len -= s->plain_pos;
            s->plain_pos = 0;
            ssize_t k = read_plain(s, s->plain + s->plain_len, RAW_CHUNK - s->plain_len, err);
            if (k < 0)
                return -1;
            s->plain_len += (size_t)k;
            if (k == 0 && s->plain_len == 0)
                return 0;
            if (k == 0) {
                /* End of input inside a multibyte sequence. */
                buf[0] = (char)0xFF;
                s->plain_pos = s->plain_len = 0;
                return 1;
            }
        }
        char *in = s->plain + s->plain_pos, *out = buf;
        size_t inleft = s->plain_len - s->plain_pos, outleft = n;
        size_t r = iconv(s->cd, &in, &inleft, &out, &outleft);
        int e = errno;
        s->plain_pos = (size_t)(in - s->plain);
        size_t got = n - outleft;
        if (r == (size_t)-1 && e == EILSEQ) {
            if (got == 0) {
                buf[0] = (char)0xFF;
                s->plain_pos++;
                return 1;
            }
            return (ssize_t)got;
        }
        if (got > 0)
            return (ssize_t)got;
        if (r == (size_t)-1 && e == E2BIG)
            return cdp_errorf(err, "%s: internal error: transcoding buffer too small", s->name);
        /* EINVAL: incomplete sequence at the end of the buffer: read more. */
        if (r == (size_t)-1 && e == EINVAL && s->plain_len - s->plain_pos >= 8)
            return cdp_errorf(err, "%s: transcoding failed", s->name);
    }
}

static ssize_t read_decoded(struct cdp_source *s, char *buf, size_t n, struct cdp_error *err)
{
    if (s->utf8) {
        ssize_t k = read_table(s, buf, n, err);
        /* An undefined byte became 0xFF: from now on lines are checked. */
        if (k > 0 && s->utf8_clean && memchr(buf, 0xFF, (size_t)k))
            s->utf8_clean = false;
        return k;
    }
    if (s->cd != (iconv_t)-1)
        return read_transcoded(s, buf, n, err);
    return read_plain(s, buf, n, err);
}

ssize_t cdp_source_read(struct cdp_source *s, char *buf, size_t n, struct cdp_error *err)
{
    if (n == 0)
        return 0;
    if (s->at_start) {
        /* Collect the first bytes to see whether they are a byte-order mark
         * (and so that transcoding always has room for a whole character). */
        s->at_start = false;
        while (s->head_len < 3) {
            ssize_t k = read_decoded(s, s->head + s->head_len, sizeof s->head - s->head_len, err);
            if (k < 0)
                return -1;
            if (k == 0)
                break;
            s->head_len += (size_t)k;
        }
        if (s->head_len >= 3 && memcmp(s->head, "\xEF\xBB\xBF", 3) == 0)
            s->head_pos = 3;
    }
    if (s->head_pos < s->head_len) {
        size_t k = s->head_len - s->head_pos;
        if (k > n)
            k = n;
        memcpy(buf, s->head + s->head_pos, k);
        s->head_pos += k;
        return (ssize_t)k;
    }
    return read_decoded(s, buf, n, err);
}

bool cdp_source_dropped_bom(const struct cdp_source *s)
{
    return !s->at_start && s->head_len >= 3 && memcmp(s->head, "\xEF\xBB\xBF", 3) == 0;
}

bool cdp_source_valid_utf8(const struct cdp_source *s)
{
    return s->utf8_clean;
}

const char *cdp_source_name(const struct cdp_source *s)
{
    return s->name;
}

enum cdp_compression cdp_source_compression(const struct cdp_source *s)
{
    return s->compression;
}

uint64_t cdp_source_raw_bytes(const struct cdp_source *s)
{
    return s->raw_bytes;
}

void cdp_source_close(struct cdp_source *s)
{
    if (!s)
        return;
    if (s->bg_started) {
        if (s->bg_threaded) {
            pthread_mutex_lock(&s->bg_lock);
            s->bg_stop = true;
            pthread_cond_broadcast(&s->bg_cond);
            pthread_mutex_unlock(&s->bg_lock);
            pthread_join(s->bg_thread, NULL);
        }
        pthread_mutex_destroy(&s->bg_lock);
        pthread_cond_destroy(&s->bg_cond);
        for (int i = 0; i < BG_CHUNKS; i++)
            free(s->bg[i].data);
    }
    if (s->own_fd && s->fd >= 0)
        close(s->fd);
    if (s->zstd)
        ZSTD_freeDCtx(s->zstd);
    if (s->gz_live)
        inflateEnd(&s->gz);
    if (s->cd != (iconv_t)-1)
        iconv_close(s->cd);
    free(s->plain);
    free(s->utf8);
    free(s->utf8_len);
    free(s->raw);
    free(s->name);
    free(s);
}

bool cdp_encoding_known(const char *encoding)
{
    iconv_t cd = iconv_open("UTF-8", encoding);
    if (cd == (iconv_t)-1)
        return false;
    iconv_close(cd);
    return true;
}
