#include "export/suppress.h"

#include <stdlib.h>
#include <string.h>

#include "norm/email.h"
#include "export/platform_ids.h"
#include "base/hash.h"
#include "base/intern.h"
#include "norm/phone.h"
#include "io/reader.h"
#include "io/source.h"
#include "norm/text.h"

struct cdp_suppress {
    struct cdp_intern *set; /* e-mails, "+phones" and lower-case hex hashes */
    struct cdp_phone_normalizer *pn;
    struct cdp_sha256 *sha;
    size_t emails, phones, hashes, unused;
    struct cdp_buf buf;
};

struct cdp_suppress *cdp_suppress_new(const char *region, struct cdp_error *err)
{
    char why[256];
    struct cdp_phone_normalizer *pn =
        cdp_phone_normalizer_new(region ? region : "RU", why, sizeof why);
    if (!pn) {
        cdp_errorf(err, "%s", why);
        return NULL;
    }
    struct cdp_suppress *s = cdp_xcalloc(1, sizeof *s);
    s->pn = pn;
    s->set = cdp_intern_new();
    s->sha = cdp_sha256_new();
    return s;
}

void cdp_suppress_free(struct cdp_suppress *s)
{
    if (!s)
        return;
    cdp_intern_free(s->set);
    cdp_phone_normalizer_free(s->pn);
    cdp_sha256_free(s->sha);
    cdp_buf_release(&s->buf);
    free(s);
}

/* Adds one entry; false when it is none of e-mail, phone, hash. */
static bool add_entry(struct cdp_suppress *s, const char *text, size_t len)
{
    struct cdp_buf *b = &s->buf;
    cdp_buf_reset(b);
    int added = 0;
    if (cdp_sha256_hex_like(text, len)) {
        cdp_text_lower(b, text, len);
        cdp_intern_add(s->set, b->data, b->len, &added);
        s->hashes += (size_t)added;
        return true;
    }
    if (memchr(text, '@', len)) {
        if (!cdp_email_normalize(b, text, len))
            return false;
        cdp_intern_add(s->set, b->data, b->len, &added);
        s->emails += (size_t)added;
        return true;
    }
    char e164[CDP_PHONE_E164_MAX];
    if (!cdp_phone_normalize(s->pn, text, len, e164, NULL)) {
        if (!cdp_e164_syntax(text, len))
            return false;
        memcpy(e164, text, len);
        e164[len] = '\0';
    }
    cdp_intern_add(s->set, e164, strlen(e164), &added);
    s->phones += (size_t)added;
    return true;
}

/* One entry as read (file, line, text): used, or counted and reported. */
struct load {
    struct cdp_suppress *s;
    const char *file;
    cdp_suppress_bad_fn bad;
    void *ctx;
    size_t entries, unused;
};

static void take(struct load *l, uint64_t line, const char *text, size_t len, bool comments)
{
    cdp_text_trim(&text, &len);
    if (len == 0 || (comments && text[0] == '#'))
        return;
    l->entries++;
    if (add_entry(l->s, text, len))
        return;
    l->unused++;
    l->s->unused++;
    if (l->bad)
        l->bad(l->ctx, l->file, line, text, len);
}

/* A list one entry a line, whatever ends its lines (LF, CR LF, CR alone: a
 * list saved by an old Mac program) and in UTF-16 when it starts with its
 * byte-order mark (as Windows' Notepad saves "Unicode"): read as written,
 * never entry by entry ignored. */
static int load_lines(struct load *l, const char *path, struct cdp_error *err)
{
    struct cdp_source *src = cdp_source_open(path, NULL, err);
    if (!src)
        return -1;
    enum { CHUNK = 1 << 16, LINE_MAX_KEPT = 1024 };
    char *buf = cdp_xmalloc(CHUNK);
    ssize_t n = cdp_source_read(src, buf, CHUNK, err);
    if (n >= 2 && (((unsigned char)buf[0] == 0xFF && (unsigned char)buf[1] == 0xFE) ||
                   ((unsigned char)buf[0] == 0xFE && (unsigned char)buf[1] == 0xFF))) {
        cdp_source_close(src);
        /* iconv's UTF-16 takes the byte order from the mark and drops it */
        if (!(src = cdp_source_open(path, "UTF-16", err))) {
            free(buf);
            return -1;
        }
        n = cdp_source_read(src, buf, CHUNK, err);
    }
    struct cdp_buf line = CDP_BUF_INIT;
    uint64_t number = 1;
    bool after_cr = false;
    for (; n > 0; n = cdp_source_read(src, buf, CHUNK, err)) {
        for (ssize_t i = 0; i < n; i++) {
            char c = buf[i];
            if (c == '\n' && after_cr) {
                after_cr = false; /* the LF of a CR LF */
                continue;
            }
            after_cr = c == '\r';
            if (c != '\n' && c != '\r') {
                if (line.len < LINE_MAX_KEPT) /* longer is no contact anyway */
                    cdp_buf_addc(&line, c);
                continue;
            }
            take(l, number++, line.data ? line.data : "", line.len, true);
            cdp_buf_reset(&line);
        }
    }
    if (n == 0 && line.len)
        take(l, number, line.data, line.len, true);
    cdp_buf_release(&line);
    free(buf);
    cdp_source_close(src);
    return n < 0 ? -1 : 0;
}

/* A CSV list: the named column of each row. */
static int load_column(struct load *l, const char *path, const char *column, struct cdp_error *err)
{
    struct cdp_reader_options ro;
    memset(&ro, 0, sizeof ro);
    ro.format = CDP_FORMAT_CSV;
    struct cdp_reader *r = cdp_reader_open(path, &ro, err);
    if (!r)
        return -1;
    const char *const *names;
    size_t n = cdp_reader_columns(r, &names), col;
    for (col = 0; col < n && strcmp(names[col], column) != 0; col++)
        ;
    if (col == n) {
        cdp_errorf(err, "%s: no column '%s'", l->file, column);
        cdp_reader_close(r);
        return -1;
    }
    struct cdp_record rec = CDP_RECORD_INIT;
    struct cdp_row row;
    int rc = 0;
    for (;;) {
        enum cdp_read k = cdp_reader_next(r, &rec, &row, err);
        if (k == CDP_READ_END)
            break;
        if (k == CDP_READ_ERROR) {
            rc = -1;
            break;
        }
        if (k == CDP_READ_BAD) {
            /* a row that is not CSV: an entry that cannot be read */
            l->entries++;
            l->unused++;
            l->s->unused++;
            if (l->bad)
                l->bad(l->ctx, l->file, row.line, row.raw, row.rawlen);
        } else if (col < rec.n) {
            take(l, row.line, rec.f[col].val, rec.f[col].vlen, false);
        }
    }
    cdp_record_release(&rec);
    cdp_reader_close(r);
    return rc;
}

int cdp_suppress_load(struct cdp_suppress *s, const char *path, const char *column,
                      cdp_suppress_bad_fn bad, void *ctx, struct cdp_error *err)
{
    /* the name in messages, as the readers give it */
    struct load l = { s, strcmp(path, "-") == 0 ? "(stdin)" : path, bad, ctx, 0, 0 };
    if ((column ? load_column(&l, path, column, err) : load_lines(&l, path, err)) < 0)
        return -1;
    if (l.unused && (l.unused == l.entries || (l.unused > 1 && l.unused * 100 > l.entries)))
        return cdp_errorf(err, "%s: %zu of %zu entries are not an e-mail, phone or SHA-256 hash: "
                          "is it a list of them, as written?",
                          l.file, l.unused, l.entries);
    return 0;
}

void cdp_suppress_add_email(struct cdp_suppress *s, const char *email, size_t len)
{
    int added = 0;
    cdp_intern_add(s->set, email, len, &added);
    s->emails += (size_t)added;
}

void cdp_suppress_add_phone(struct cdp_suppress *s, const char *e164, size_t len)
{
    int added = 0;
    cdp_intern_add(s->set, e164, len, &added);
    s->phones += (size_t)added;
}

void cdp_suppress_counts(const struct cdp_suppress *s, size_t *emails, size_t *phones,
                         size_t *hashes, size_t *unused)
{
    if (emails)
        *emails = s->emails;
    if (phones)
        *phones = s->phones;
    if (hashes)
        *hashes = s->hashes;
    if (unused)
        *unused = s->unused;
}

static bool has(const struct cdp_suppress *s, const char *p, size_t n)
{
    return cdp_intern_find(s->set, p, n) != UINT32_MAX;
}

static bool has_hash(struct cdp_suppress *s, const char *p, size_t n)
{
    char hex[CDP_SHA256_HEX_SIZE];
    cdp_sha256_hex(s->sha, p, n, hex);
    return has(s, hex, 64);
}

bool cdp_suppress_email(struct cdp_suppress *s, const char *email, size_t len)
{
    if (s->emails && has(s, email, len))
        return true;
    if (!s->hashes)
        return false;
    if (has_hash(s, email, len))
        return true;
    cdp_buf_reset(&s->buf);
    if (cdp_norm_email_google(&s->buf, email, len) &&
        (s->buf.len != len || memcmp(s->buf.data, email, len) != 0)) {
        char hex[CDP_SHA256_HEX_SIZE];
        cdp_sha256_hex(s->sha, s->buf.data, s->buf.len, hex);
        return has(s, hex, 64);
    }
    return false;
}

bool cdp_suppress_phone(struct cdp_suppress *s, const char *e164, size_t len)
{
    if (s->phones && has(s, e164, len))
        return true;
    if (!s->hashes)
        return false;
    return has_hash(s, e164, len) || (len > 1 && e164[0] == '+' && has_hash(s, e164 + 1, len - 1));
}
