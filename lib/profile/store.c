#include "profile/store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include "base/intern.h"
#include "io/json.h"
#include "io/lines.h"
#include "io/output.h"
#include "io/record.h"
#include "io/statelock.h"

#define MAGIC_HEADER 0x184D2A50u
#define MAGIC_PERSON 0x184D2A51u
#define MAGIC_END 0x184D2A52u
#define FORMAT "cdp-merge-state"
#define VERSION 1

/* ---- varints ------------------------------------------------------------- */

static void put_u(struct cdp_buf *b, uint64_t v)
{
    while (v >= 0x80) {
        cdp_buf_addc(b, (char)(v | 0x80));
        v >>= 7;
    }
    cdp_buf_addc(b, (char)v);
}

static void put_le32(struct cdp_buf *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        cdp_buf_addc(b, (char)(v >> (8 * i)));
}

static uint32_t get_le32(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

/* A varint at *p (before end): false when it runs past end or is too long. */
static bool get_u(const char **p, const char *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        unsigned char c = (unsigned char)*(*p)++;
        *v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return true;
    }
    return false;
}

/* A skippable frame of the given magic holding payload. */
static void put_frame(struct cdp_buf *b, uint32_t magic, const char *payload, size_t len)
{
    put_le32(b, magic);
    put_le32(b, (uint32_t)len);
    cdp_buf_add(b, payload, len);
}

/* A person's frame: what its payload (n bytes at p) holds. */
struct person_frame {
    const char *id, *seqs, *saved;
    uint64_t idlen, nlines, saved_len, zlen;
};

static bool parse_person(const char *p, size_t n, struct person_frame *f)
{
    const char *end = p + n;
    uint64_t seq;
    if (!get_u(&p, end, &f->idlen) || f->idlen > (uint64_t)(end - p))
        return false;
    f->id = p;
    p += f->idlen;
    if (!get_u(&p, end, &f->nlines) || f->nlines == 0 || f->nlines > (uint64_t)(end - p))
        return false;
    f->seqs = p;
    for (uint64_t i = 0; i < f->nlines; i++)
        if (!get_u(&p, end, &seq))
            return false;
    if (!get_u(&p, end, &f->saved_len) || f->saved_len > (uint64_t)(end - p))
        return false;
    f->saved = p;
    p += f->saved_len;
    return get_u(&p, end, &f->zlen) && p == end;
}

/* A person's frames at the start of p (len bytes): what they hold and
 * their length, 0 if damaged. */
static size_t person_frames(const char *p, size_t len, struct person_frame *f)
{
    if (len < 8 || get_le32(p) != MAGIC_PERSON)
        return 0;
    size_t plen = get_le32(p + 4);
    if (plen > len - 8 || !parse_person(p + 8, plen, f) || f->zlen > len - 8 - plen)
        return 0;
    return 8 + plen + (size_t)f->zlen;
}

size_t cdp_store_frames_len(const char *p, size_t len)
{
    struct person_frame f;
    return person_frames(p, len, &f);
}

bool cdp_store_saved(const char *frames, size_t len, const char **saved, size_t *saved_len)
{
    struct person_frame f;
    if (person_frames(frames, len, &f) != len)
        return false;
    *saved = f.saved;
    *saved_len = (size_t)f.saved_len;
    return true;
}

/* ---- reading ------------------------------------------------------------- */

struct cdp_store_reader {
    char *path;
    int fd;          /* -1: no store (the first night) */
    char *buf;       /* read ahead: [pos, len) not consumed yet */
    size_t pos, len, cap;
    XXH3_state_t *digest;  /* of every byte consumed */
    uint64_t persons, lines;
    bool ended;
};

bool cdp_store_exists(const struct cdp_store_reader *r)
{
    return r->fd >= 0;
}

static int damaged(struct cdp_store_reader *r, struct cdp_error *err, const char *what)
{
    cdp_errorf(err, "state file '%s' is damaged (%s); remove it and run once on the whole history",
               r->path, what);
    return -1;
}

/* At least n bytes ahead: 1, 0 at the end of the file before them, -1. */
static int fill(struct cdp_store_reader *r, size_t n, struct cdp_error *err)
{
    if (r->len - r->pos >= n)
        return 1;
    if (r->pos)
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
    r->len -= r->pos;
    r->pos = 0;
    if (n > r->cap) {
        r->cap = n + (1 << 20);
        r->buf = cdp_xrealloc(r->buf, r->cap);
    }
    while (r->len < n) {
        ssize_t k = read(r->fd, r->buf + r->len, r->cap - r->len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            cdp_errorf_errno(err, errno, "cannot read state file '%s'", r->path);
            return -1;
        }
        if (k == 0)
            return 0;
        r->len += (size_t)k;
    }
    return 1;
}

/* The next skippable frame: its magic and payload (n bytes, consumed and
 * digested with its 8-byte head). 1, 0 at the end of the file, -1. */
static int next_frame(struct cdp_store_reader *r, uint32_t *magic, const char **payload,
                      size_t *n, struct cdp_error *err)
{
    int k = fill(r, 8, err);
    if (k <= 0)
        return k < 0 ? -1 : (r->len > r->pos ? damaged(r, err, "cut short") : 0);
    *magic = get_le32(r->buf + r->pos);
    *n = get_le32(r->buf + r->pos + 4);
    if ((k = fill(r, 8 + *n, err)) <= 0)
        return k < 0 ? -1 : damaged(r, err, "cut short");
    *payload = r->buf + r->pos + 8;
    if (*magic != MAGIC_END)
        XXH3_64bits_update(r->digest, r->buf + r->pos, 8 + *n);
    r->pos += 8 + *n;
    return 1;
}

static bool number_member(const struct cdp_record *rec, const char *key, int64_t *v)
{
    const struct cdp_field *f = cdp_record_gets(rec, key);
    if (!f || f->type != CDP_NUMBER)
        return false;
    char *end;
    char tmp[32];
    if (f->vlen >= sizeof tmp)
        return false;
    memcpy(tmp, f->val, f->vlen);
    tmp[f->vlen] = '\0';
    errno = 0;
    long long x = strtoll(tmp, &end, 10);
    *v = x;
    return !*end && errno == 0;
}

static int read_header(struct cdp_store_reader *r, struct cdp_store_header *h, struct cdp_error *err)
{
    uint32_t magic;
    const char *p;
    size_t n;
    int k = fill(r, 8, err);
    if (k < 0)
        return -1;
    if (k == 0 || get_le32(r->buf + r->pos) != MAGIC_HEADER) {
        cdp_errorf(err, "'%s' is not a cdp-merge state file", r->path);
        return -1;
    }
    if ((k = next_frame(r, &magic, &p, &n, err)) <= 0)
        return k < 0 ? -1 : damaged(r, err, "cut short");
    struct cdp_buf line = CDP_BUF_INIT;
    cdp_buf_add_padded(&line, p, n);
    struct cdp_json_parser *json = cdp_json_parser_new();
    struct cdp_record rec = CDP_RECORD_INIT;
    struct cdp_error why;
    int status = -1;
    const struct cdp_field *format = NULL, *options = NULL;
    int64_t version = 0, as_of = 0, lines = 0, journal = 0;
    if (cdp_json_parse_object(json, line.data, n, &rec, &why) == CDP_JSON_OK)
        format = cdp_record_gets(&rec, "format"), options = cdp_record_gets(&rec, "options");
    if (!format || format->vlen != strlen(FORMAT) || memcmp(format->val, FORMAT, format->vlen) != 0) {
        cdp_errorf(err, "'%s' is not a cdp-merge state file", r->path);
    } else if (!number_member(&rec, "version", &version) || version != VERSION) {
        cdp_errorf(err, "state file '%s' is of another version (%" PRId64 ", this cdp-merge writes %d); "
                        "remove it and run once on the whole history", r->path, version, VERSION);
    } else if (!options || options->type != CDP_STRING || options->vlen != 16 ||
               !number_member(&rec, "as_of_ms", &as_of) || !number_member(&rec, "lines", &lines) ||
               !number_member(&rec, "journal", &journal) || lines < 0 || journal < 0) {
        damaged(r, err, "its header");
    } else {
        char hex[17];
        memcpy(hex, options->val, 16);
        hex[16] = '\0';
        h->as_of_ms = as_of;
        h->options = strtoull(hex, NULL, 16);
        h->lines = (uint64_t)lines;
        h->journal = (uint64_t)journal;
        status = 0;
    }
    cdp_record_release(&rec);
    cdp_json_parser_free(json);
    cdp_buf_release(&line);
    return status;
}

struct cdp_store_reader *cdp_store_open(const char *path, struct cdp_store_header *h,
                                        struct cdp_error *err)
{
    struct cdp_store_reader *r = cdp_xcalloc(1, sizeof *r);
    r->path = cdp_xstrdup(path);
    memset(h, 0, sizeof *h);
    r->digest = XXH3_createState();
    XXH3_64bits_reset(r->digest);
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0 && errno == ENOENT)
        return r;
    if (r->fd < 0) {
        cdp_errorf_errno(err, errno, "cannot open state file '%s'", path);
        cdp_store_close(r);
        return NULL;
    }
    if (read_header(r, h, err) < 0) {
        cdp_store_close(r);
        return NULL;
    }
    return r;
}

/* The end frame: the counts and the digest of everything before it. */
static int check_end(struct cdp_store_reader *r, const char *p, size_t n, struct cdp_error *err)
{
    const char *end = p + n;
    uint64_t persons, lines;
    if (!get_u(&p, end, &persons) || !get_u(&p, end, &lines) || end - p != 8)
        return damaged(r, err, "its end");
    uint64_t want = 0;
    for (int i = 7; i >= 0; i--)
        want = want << 8 | (unsigned char)p[i];
    if (persons != r->persons || lines != r->lines || want != XXH3_64bits_digest(r->digest))
        return damaged(r, err, "its digest does not match");
    uint32_t magic;
    const char *q;
    size_t m;
    int k = next_frame(r, &magic, &q, &m, err);
    if (k != 0)
        return k < 0 ? -1 : damaged(r, err, "bytes after its end");
    r->ended = true;
    return 0;
}

int cdp_store_next(struct cdp_store_reader *r, struct cdp_store_person *p, struct cdp_error *err)
{
    if (r->fd < 0 || r->ended)
        return 0;
    int k = fill(r, 8, err);
    if (k <= 0)
        return k < 0 ? -1 : damaged(r, err, "cut short");
    if (get_le32(r->buf + r->pos) != MAGIC_PERSON) {
        uint32_t magic;
        const char *payload;
        size_t n;
        if (next_frame(r, &magic, &payload, &n, err) < 0)
            return -1;
        if (magic != MAGIC_END)
            return damaged(r, err, "an unknown frame");
        return check_end(r, payload, n, err) < 0 ? -1 : 0;
    }
    /* Both frames whole in the read-ahead buffer, handed out where they are
     * (the buffer moves only on the next call). */
    size_t n = get_le32(r->buf + r->pos + 4);
    if ((k = fill(r, 8 + n, err)) <= 0)
        return k < 0 ? -1 : damaged(r, err, "cut short");
    struct person_frame f;
    if (!parse_person(r->buf + r->pos + 8, n, &f))
        return damaged(r, err, "a person's frame");
    size_t id_at = (size_t)(f.id - r->buf) - r->pos, saved_at = (size_t)(f.saved - r->buf) - r->pos;
    size_t len = 8 + n + (size_t)f.zlen;
    if ((k = fill(r, len, err)) <= 0)
        return k < 0 ? -1 : damaged(r, err, "cut short");
    const char *frames = r->buf + r->pos;
    XXH3_64bits_update(r->digest, frames, len);
    r->pos += len;
    p->id = frames + id_at;
    p->idlen = (size_t)f.idlen;
    p->saved = frames + saved_at;
    p->saved_len = (size_t)f.saved_len;
    p->frames = frames;
    p->frames_len = len;
    p->nlines = (size_t)f.nlines;
    r->persons++;
    r->lines += f.nlines;
    return 1;
}

void cdp_store_close(struct cdp_store_reader *r)
{
    if (!r)
        return;
    if (r->fd >= 0)
        close(r->fd);
    free(r->path);
    free(r->buf);
    XXH3_freeState(r->digest);
    free(r);
}

int cdp_store_lines(struct ZSTD_DCtx_s *dctx, const char *frames, size_t len, struct cdp_buf *text,
                    uint64_t **seqs, size_t *seqs_cap, size_t *n, struct cdp_error *err)
{
    struct person_frame f;
    if (person_frames(frames, len, &f) != len)
        return cdp_errorf(err, "a person's frames are damaged");
    uint64_t nlines = f.nlines, zlen = f.zlen, seq = 0, d;
    if (nlines > *seqs_cap) {
        *seqs_cap = (size_t)nlines;
        *seqs = cdp_xrealloc(*seqs, *seqs_cap * sizeof **seqs);
    }
    const char *q = f.seqs;
    for (uint64_t i = 0; i < nlines; i++) {
        get_u(&q, f.saved, &d); /* checked by parse_person */
        (*seqs)[i] = seq += d;
    }
    const char *z = frames + len - zlen;
    unsigned long long size = ZSTD_getFrameContentSize(z, (size_t)zlen);
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > ((size_t)1 << 40))
        return cdp_errorf(err, "a person's lines are damaged");
    cdp_buf_reset(text);
    cdp_buf_grow(text, (size_t)size + CDP_LINE_PADDING);
    size_t got = ZSTD_decompressDCtx(dctx, text->data, (size_t)size + 1, z, (size_t)zlen);
    if (ZSTD_isError(got) || got != size)
        return cdp_errorf(err, "a person's lines are damaged (%s)",
                          ZSTD_isError(got) ? ZSTD_getErrorName(got) : "wrong size");
    text->len = (size_t)size;
    size_t lines = 0;
    for (size_t i = 0; i < text->len; i++)
        lines += text->data[i] == '\n';
    if (lines != nlines || (text->len && text->data[text->len - 1] != '\n'))
        return cdp_errorf(err, "a person's lines are damaged (%" PRIu64 " numbers, %zu lines)",
                          nlines, lines);
    *n = (size_t)nlines;
    return 0;
}

/* ---- writing ------------------------------------------------------------- */

void cdp_store_format(struct ZSTD_CCtx_s *cctx, struct cdp_buf *out, const char *id, size_t idlen,
                      const uint64_t *seqs, const char *text, size_t text_len, size_t n,
                      const char *saved, size_t saved_len)
{
    /* The lines' frame first, into out past where the person's frame goes. */
    struct cdp_buf head = CDP_BUF_INIT;
    put_u(&head, idlen);
    cdp_buf_add(&head, id, idlen);
    put_u(&head, n);
    for (size_t i = 0; i < n; i++)
        put_u(&head, seqs[i] - (i ? seqs[i - 1] : 0));
    put_u(&head, saved_len);
    cdp_buf_add(&head, saved, saved_len);
    size_t bound = ZSTD_compressBound(text_len);
    struct cdp_buf z = CDP_BUF_INIT;
    cdp_buf_grow(&z, bound);
    (void)ZSTD_CCtx_reset(cctx, ZSTD_reset_session_only);
    (void)ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 1);
    (void)ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
    size_t zlen = ZSTD_compress2(cctx, z.data, bound, text, text_len);
    if (ZSTD_isError(zlen))
        abort(); /* only on a bound too small or no memory, as the library's allocations */
    put_u(&head, zlen);
    put_frame(out, MAGIC_PERSON, head.data, head.len);
    cdp_buf_add(out, z.data, zlen);
    cdp_buf_release(&head);
    cdp_buf_release(&z);
}

struct cdp_store_writer {
    struct cdp_output *out;
    XXH3_state_t *digest;
    uint64_t persons, lines;
};

/* A writer onto out (the caller's until commit), its header written. */
static struct cdp_store_writer *writer_on(struct cdp_output *out, const struct cdp_store_header *h)
{
    struct cdp_store_writer *w = cdp_xcalloc(1, sizeof *w);
    w->out = out;
    w->digest = XXH3_createState();
    XXH3_64bits_reset(w->digest);
    struct cdp_buf line = CDP_BUF_INIT, frame = CDP_BUF_INIT;
    cdp_buf_printf(&line,
                   "{\"format\":\"" FORMAT "\",\"version\":%d,\"as_of_ms\":%" PRId64
                   ",\"options\":\"%016" PRIx64 "\",\"lines\":%" PRIu64 ",\"journal\":%" PRIu64 "}\n",
                   VERSION, h->as_of_ms, h->options, h->lines, h->journal);
    put_frame(&frame, MAGIC_HEADER, line.data, line.len);
    cdp_store_write(w, frame.data, frame.len, 0, 0);
    cdp_buf_release(&line);
    cdp_buf_release(&frame);
    return w;
}

/* Uncompressed: its frames are. */
const struct cdp_output_options cdp_store_output_options = { .mode = 0600 };

struct cdp_store_writer *cdp_store_create(const char *path, const struct cdp_store_header *h,
                                          struct cdp_error *err)
{
    struct cdp_output *out = cdp_output_open(path, &cdp_store_output_options, err);
    return out ? writer_on(out, h) : NULL;
}

int cdp_store_write(struct cdp_store_writer *w, const char *frames, size_t len, uint64_t persons,
                    uint64_t lines)
{
    XXH3_64bits_update(w->digest, frames, len);
    w->persons += persons;
    w->lines += lines;
    return cdp_output_write(w->out, frames, len);
}

/* The end frame: the counts and the digest of every byte before it. */
static void write_end(struct cdp_store_writer *w)
{
    struct cdp_buf end = CDP_BUF_INIT, frame = CDP_BUF_INIT;
    put_u(&end, w->persons);
    put_u(&end, w->lines);
    uint64_t digest = XXH3_64bits_digest(w->digest);
    for (int i = 0; i < 8; i++)
        cdp_buf_addc(&end, (char)(digest >> (8 * i)));
    put_frame(&frame, MAGIC_END, end.data, end.len);
    cdp_output_write(w->out, frame.data, frame.len);
    cdp_buf_release(&end);
    cdp_buf_release(&frame);
}

int cdp_store_commit(struct cdp_store_writer *w, struct cdp_error *err)
{
    write_end(w);
    struct cdp_output *out = w->out;
    w->out = NULL;
    cdp_store_abort(w);
    return cdp_output_commit(out, err);
}

struct cdp_output *cdp_store_finish(struct cdp_store_writer *w)
{
    write_end(w);
    struct cdp_output *out = w->out;
    w->out = NULL;
    cdp_store_abort(w);
    return out;
}

void cdp_store_abort(struct cdp_store_writer *w)
{
    if (!w)
        return;
    cdp_output_abort(w->out);
    XXH3_freeState(w->digest);
    free(w);
}

int cdp_store_lock(const char *path, int *fd, struct cdp_error *err)
{
    *fd = cdp_state_lock(path, err);
    return *fd < 0 ? -1 : 0;
}

/* ---- forgetting ---------------------------------------------------------- */

int cdp_store_forget(const char *path, const struct cdp_intern *ids, struct cdp_output *out,
                     uint64_t *kept, uint64_t *removed, struct cdp_error *err)
{
    struct cdp_store_header h;
    struct cdp_store_reader *r = cdp_store_open(path, &h, err);
    if (!r)
        return -1;
    /* cdp-forget takes their lines out of the journal too, so the entries
     * counted here no longer match it: 0 has the next night follow every
     * merge the journal holds again (one pass over the store; following a
     * merge already followed changes nothing). */
    h.journal = 0;
    struct cdp_store_writer *w = writer_on(out, &h);
    struct cdp_store_person p;
    int k;
    while ((k = cdp_store_next(r, &p, err)) > 0) {
        if (cdp_intern_find(ids, p.id, p.idlen) != UINT32_MAX) {
            *removed += p.nlines;
            continue;
        }
        *kept += p.nlines;
        cdp_store_write(w, p.frames, p.frames_len, 1, p.nlines);
    }
    cdp_store_close(r);
    if (k == 0)
        write_end(w);
    w->out = NULL; /* the caller's */
    cdp_store_abort(w);
    return k;
}
