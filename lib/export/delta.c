#include "export/delta.h"

#include <stdlib.h>
#include <string.h>

#include "io/csv_cell.h"
#include "export/parts.h"
#include "export/platform_ids.h"
#include "base/hash.h"
#include "base/intern.h"
#include "io/json.h"
#include "io/lines.h"
#include "io/reader.h"
#include "io/source.h"

struct entry {
    size_t off, len; /* the row's text in rows */
    bool seen;
};

struct cdp_delta {
    struct cdp_delta_format f;
    struct cdp_intern *keys; /* id = index into entries */
    struct entry *e;
    size_t n, cap;
    struct cdp_buf rows;
    struct cdp_buf line;
};

struct cdp_delta *cdp_delta_new(const struct cdp_delta_format *f)
{
    struct cdp_delta *d = cdp_xcalloc(1, sizeof *d);
    d->f = *f;
    d->keys = cdp_intern_new();
    return d;
}

void cdp_delta_free(struct cdp_delta *d)
{
    if (!d)
        return;
    cdp_intern_free(d->keys);
    free(d->e);
    cdp_buf_release(&d->rows);
    cdp_buf_release(&d->line);
    free(d);
}

static void add(struct cdp_delta *d, const char *key, size_t klen, const char *row, size_t rlen)
{
    if (klen == 0)
        return;
    int added = 0;
    uint32_t id = cdp_intern_add(d->keys, key, klen, &added);
    if (!added)
        return;
    if (id >= d->cap) {
        d->cap = d->cap ? d->cap * 2 : 1024;
        d->e = cdp_xrealloc(d->e, d->cap * sizeof *d->e);
    }
    d->e[id].off = d->rows.len;
    d->e[id].len = rlen;
    d->e[id].seen = false;
    d->n = (size_t)id + 1;
    cdp_buf_add(&d->rows, row, rlen);
}

static int check_header(struct cdp_delta *d, struct cdp_reader *r, struct cdp_error *err)
{
    const char *const *names;
    size_t n = cdp_reader_columns(r, &names);
    bool same = n == d->f.ncolumns;
    for (size_t i = 0; same && i < n; i++)
        same = strcmp(names[i], d->f.header[i]) == 0;
    if (same)
        return 0;
    struct cdp_buf got = CDP_BUF_INIT;
    for (size_t i = 0; i < n; i++)
        cdp_buf_printf(&got, "%s%s", i ? "," : "", names[i]);
    cdp_errorf(err, "%s: its header (%.200s) is not this export's: a delta needs the last "
                    "export of the same format and columns",
               cdp_reader_name(r), got.data ? got.data : "");
    cdp_buf_release(&got);
    return -1;
}

int cdp_delta_load(struct cdp_delta *d, const char *path, struct cdp_error *err)
{
    struct cdp_reader_options ro;
    memset(&ro, 0, sizeof ro);
    ro.format = d->f.kind == CDP_DELTA_CSV ? CDP_FORMAT_CSV : CDP_FORMAT_NDJSON;
    ro.lines_only = d->f.kind == CDP_DELTA_LINES;
    ro.delimiter = d->f.delimiter;
    struct cdp_reader *r = cdp_reader_open(path, &ro, err);
    if (!r)
        return -1;
    if (d->f.kind == CDP_DELTA_CSV && check_header(d, r, err) < 0) {
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
        /* The previous export is cdp's own file: a row that does not parse
         * stops the load (delta.h). suppress.c reads lists people write and
         * goes on past one: the loops look alike, the policies differ. */
        if (k == CDP_READ_BAD) {
            rc = cdp_errorf(err, "%s:%llu: %s", cdp_reader_name(r),
                            (unsigned long long)row.line, row.reason);
            break;
        }
        switch (d->f.kind) {
        case CDP_DELTA_LINES: {
            const char *s = row.raw;
            size_t len = row.rawlen;
            while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
                len--;
            add(d, s, len, s, len);
            break;
        }
        case CDP_DELTA_NDJSON: {
            const struct cdp_field *id = cdp_record_gets(&rec, "cdp_id");
            if (id && id->type == CDP_STRING)
                add(d, id->val, id->vlen, row.raw, row.rawlen);
            break;
        }
        case CDP_DELTA_CSV: {
            cdp_buf_reset(&d->line);
            for (size_t i = 0; i < rec.n; i++) {
                if (i)
                    cdp_buf_addc(&d->line, d->f.delimiter);
                cdp_csv_add_cell(&d->line, rec.f[i].val, rec.f[i].vlen, d->f.delimiter);
            }
            for (size_t j = 0; j < d->f.nkeys; j++) {
                size_t c = d->f.key_columns[j];
                if (c < rec.n && rec.f[c].vlen) {
                    add(d, rec.f[c].val, rec.f[c].vlen, d->line.data, d->line.len);
                    break;
                }
            }
            break;
        }
        }
    }
    cdp_record_release(&rec);
    cdp_reader_close(r);
    return rc;
}

uint64_t cdp_delta_previous_rows(const struct cdp_delta *d)
{
    return d->n;
}

enum cdp_delta_change cdp_delta_check(struct cdp_delta *d, const char *key, size_t klen,
                                      const char *row, size_t rlen)
{
    uint32_t id = klen ? cdp_intern_find(d->keys, key, klen) : UINT32_MAX;
    if (id == UINT32_MAX)
        return CDP_DELTA_ADDED;
    struct entry *e = &d->e[id];
    e->seen = true;
    if (e->len == rlen && (rlen == 0 || memcmp(d->rows.data + e->off, row, rlen) == 0))
        return CDP_DELTA_UNCHANGED;
    return CDP_DELTA_CHANGED;
}

bool cdp_delta_next_removed(struct cdp_delta *d, size_t *pos, const char **row, size_t *len)
{
    while (*pos < d->n) {
        struct entry *e = &d->e[(*pos)++];
        if (e->seen)
            continue;
        *row = d->rows.data + e->off;
        *len = e->len;
        return true;
    }
    return false;
}

/* ---- the next run's baseline ---------------------------------------------- */

/* One part of cdp_parts, never split: the file names and the atomic commit
 * are the same as the export's own. */
struct cdp_delta_baseline {
    struct cdp_parts *parts;
};

struct cdp_delta_baseline *cdp_delta_baseline_open(const char *path,
                                                   const struct cdp_output_options *out,
                                                   const char *head, size_t head_len,
                                                   struct cdp_error *err)
{
    struct cdp_parts_options po = { .path = path, .out = *out, .head = head, .head_len = head_len };
    struct cdp_parts *parts = cdp_parts_open(&po, err);
    if (!parts)
        return NULL;
    struct cdp_delta_baseline *b = cdp_xcalloc(1, sizeof *b);
    b->parts = parts;
    return b;
}

int cdp_delta_baseline_add(struct cdp_delta_baseline *b, const char *row, size_t len,
                           struct cdp_error *err)
{
    return cdp_parts_row(b->parts, row, len, err);
}

int cdp_delta_baseline_commit(struct cdp_delta_baseline *b, struct cdp_error *err)
{
    return cdp_parts_commit(b->parts, err);
}

int cdp_delta_baseline_replace(struct cdp_delta_baseline *b, struct cdp_replace *r,
                               struct cdp_error *err)
{
    return cdp_parts_replace(b->parts, r, err);
}

const char *cdp_delta_baseline_file(const struct cdp_delta_baseline *b)
{
    return cdp_parts_file(b->parts, 0);
}

void cdp_delta_baseline_free(struct cdp_delta_baseline *b)
{
    if (!b)
        return;
    cdp_parts_free(b->parts);
    free(b);
}

/* ---- cdp-forget ---------------------------------------------------------- */

struct cdp_delta_forget {
    struct cdp_intern *forms; /* every cell a row of theirs may hold */
    struct cdp_intern *ids;   /* cdp_id */
    struct cdp_sha256 *sha;
    struct cdp_buf tmp;
};

struct cdp_delta_forget *cdp_delta_forget_new(void)
{
    struct cdp_sha256 *sha = cdp_sha256_new();
    struct cdp_delta_forget *f = cdp_xcalloc(1, sizeof *f);
    f->forms = cdp_intern_new();
    f->ids = cdp_intern_new();
    f->sha = sha;
    return f;
}

void cdp_delta_forget_free(struct cdp_delta_forget *f)
{
    if (!f)
        return;
    cdp_intern_free(f->forms);
    cdp_intern_free(f->ids);
    cdp_sha256_free(f->sha);
    cdp_buf_release(&f->tmp);
    free(f);
}

/* s as it is and its SHA-256. */
static void add_form(struct cdp_delta_forget *f, const char *s, size_t len)
{
    if (!len)
        return;
    char hex[CDP_SHA256_HEX_SIZE];
    cdp_intern_add(f->forms, s, len, NULL);
    cdp_sha256_hex(f->sha, s, len, hex);
    cdp_intern_add(f->forms, hex, 64, NULL);
}

void cdp_delta_forget_email(struct cdp_delta_forget *f, const char *s, size_t len)
{
    add_form(f, s, len); /* mailing services; Meta's spelling: trimmed, lower-case */
    cdp_buf_reset(&f->tmp);
    if (cdp_norm_email_google(&f->tmp, s, len))
        add_form(f, f->tmp.data, f->tmp.len);
}

void cdp_delta_forget_phone(struct cdp_delta_forget *f, const char *s, size_t len)
{
    add_form(f, s, len); /* E.164: mailing services, sms, Google */
    if (len > 1 && s[0] == '+')
        add_form(f, s + 1, len - 1); /* digits: sms --no-plus, Meta */
}

void cdp_delta_forget_id(struct cdp_delta_forget *f, const char *s, size_t len)
{
    cdp_intern_add(f->ids, s, len, NULL);
}

/* Whether a CSV row (one or more lines) has a cell that is one of the
 * forms. Cells are split at any of the delimiters a format uses, outside
 * quotes: no form holds one. */
static bool row_matches(const struct cdp_delta_forget *f, struct cdp_buf *cell, const char *row,
                        size_t len)
{
    size_t i = 0;
    while (i <= len) {
        cdp_buf_reset(cell);
        bool quoted = i < len && row[i] == '"';
        if (quoted)
            i++;
        for (; i < len; i++) {
            char c = row[i];
            if (quoted && c == '"') {
                if (i + 1 < len && row[i + 1] == '"') {
                    cdp_buf_addc(cell, '"');
                    i++;
                    continue;
                }
                quoted = false;
                continue;
            }
            if (!quoted && (c == ',' || c == ';' || c == '\t' || c == '|'))
                break;
            cdp_buf_addc(cell, c);
        }
        size_t n = cell->len;
        while (n && (cell->data[n - 1] == '\r' || cell->data[n - 1] == ' '))
            n--;
        if (n && cdp_intern_find(f->forms, cell->data, n) != UINT32_MAX)
            return true;
        i++; /* past the delimiter */
    }
    return false;
}

/* Whether an NDJSON line's cdp_id is one of the ids. */
static int line_matches(const struct cdp_delta_forget *f, struct cdp_json_parser *json,
                        struct cdp_record *rec, struct cdp_buf *padded, const char *line, size_t len,
                        uint64_t number, const char *path, struct cdp_error *err)
{
    struct cdp_error why;
    cdp_record_clear(rec);
    cdp_buf_reset(padded);
    cdp_buf_add_padded(padded, line, len);
    if (cdp_json_parse_object(json, padded->data, len, rec, &why) != CDP_JSON_OK)
        return cdp_errorf(err, "%s:%llu: %s", path, (unsigned long long)number, why.msg);
    const struct cdp_field *id = cdp_record_gets(rec, "cdp_id");
    return id && id->type == CDP_STRING && cdp_intern_find(f->ids, id->val, id->vlen) != UINT32_MAX;
}

/* Odd: a row whose quotes are still open goes on on the next line. */
static size_t quotes(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += s[i] == '"';
    return n;
}

int cdp_delta_forget_file(const struct cdp_delta_forget *f, const char *path, struct cdp_output *out,
                          uint64_t *kept, uint64_t *removed, struct cdp_error *err)
{
    struct cdp_source *src = cdp_source_open(path, NULL, err);
    if (!src)
        return -1;
    struct cdp_lines *lines = cdp_lines_new(src);
    struct cdp_json_parser *json = cdp_json_parser_new();
    struct cdp_record rec = CDP_RECORD_INIT;
    struct cdp_buf row = CDP_BUF_INIT, scratch = CDP_BUF_INIT; /* f is shared: see delta.h */
    const char *line;
    size_t len;
    uint64_t number;
    bool nl, first = true, ndjson = false;
    size_t open_quotes = 0;
    int k, rc = 0;
    while (rc == 0 && (k = cdp_lines_next(lines, &line, &len, &number, &nl, err)) > 0) {
        if (first) {
            if (cdp_source_dropped_bom(src))
                cdp_output_write(out, "\xEF\xBB\xBF", 3);
            ndjson = len && line[0] == '{';
            first = false;
        }
        cdp_buf_add(&row, line, len);
        if (nl)
            cdp_buf_addc(&row, '\n');
        open_quotes += ndjson ? 0 : quotes(line, len);
        if (open_quotes % 2 && nl)
            continue; /* a quoted cell holds a line break */
        size_t text = row.len - (nl ? 1 : 0);
        int m = text == 0 ? 0
                : ndjson  ? line_matches(f, json, &rec, &scratch, row.data, text, number, path, err)
                          : row_matches(f, &scratch, row.data, text);
        if (m < 0)
            rc = -1;
        else if (m)
            ++*removed;
        else {
            cdp_output_write(out, row.data, row.len);
            *kept += text > 0;
        }
        cdp_buf_reset(&row);
        open_quotes = 0;
    }
    if (rc == 0 && k < 0)
        rc = -1;
    if (rc == 0 && row.len)
        cdp_output_write(out, row.data, row.len); /* an unclosed quote at the end: as it was */
    cdp_buf_release(&row);
    cdp_buf_release(&scratch);
    cdp_record_release(&rec);
    cdp_json_parser_free(json);
    cdp_lines_free(lines);
    return rc;
}
