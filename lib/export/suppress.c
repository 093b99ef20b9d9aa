#include "export/suppress.h"

#include <stdlib.h>
#include <string.h>

#include "norm/email.h"
#include "export/platform_ids.h"
#include "base/hash.h"
#include "base/intern.h"
#include "norm/phone.h"
#include "io/reader.h"
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
    if (!s->sha) {
        cdp_suppress_free(s);
        cdp_errorf(err, "libcrypto has no SHA-256");
        return NULL;
    }
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

int cdp_suppress_load(struct cdp_suppress *s, const char *path, const char *column,
                      cdp_suppress_bad_fn bad, void *ctx, struct cdp_error *err)
{
    struct cdp_reader_options ro;
    memset(&ro, 0, sizeof ro);
    ro.format = column ? CDP_FORMAT_CSV : CDP_FORMAT_NDJSON;
    ro.lines_only = !column;
    struct cdp_reader *r = cdp_reader_open(path, &ro, err);
    if (!r)
        return -1;
    size_t col = 0;
    if (column) {
        const char *const *names;
        size_t n = cdp_reader_columns(r, &names);
        for (col = 0; col < n && strcmp(names[col], column) != 0; col++)
            ;
        if (col == n) {
            cdp_errorf(err, "%s: no column '%s'", cdp_reader_name(r), column);
            cdp_reader_close(r);
            return -1;
        }
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
        /* A list is written by people: a row that does not parse is an
         * entry not used, reported, and reading goes on (unlike delta.c's
         * previous export, which stops). */
        const char *text;
        size_t len;
        if (k == CDP_READ_BAD) {
            text = row.raw;
            len = row.rawlen;
        } else if (column) {
            if (col >= rec.n)
                continue;
            text = rec.f[col].val;
            len = rec.f[col].vlen;
        } else {
            text = row.raw;
            len = row.rawlen;
        }
        if (k == CDP_READ_ROW) {
            cdp_text_trim(&text, &len);
            if (len == 0 || (!column && text[0] == '#'))
                continue;
            if (add_entry(s, text, len))
                continue;
        }
        s->unused++;
        if (bad)
            bad(ctx, cdp_reader_name(r), row.line, text, len);
    }
    cdp_record_release(&rec);
    cdp_reader_close(r);
    return rc;
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
