/* writer.c: the files of one export; see writer.h. */
#include "export/writer.h"

#include <stdlib.h>
#include <string.h>

#include "base/intern.h"
#include "io/csv_cell.h"
#include "export/contacts.h"
#include "export/delta.h"
#include "export/parts.h"
#include "io/json.h"

struct cdp_export_writer {
    struct cdp_export_writer_options opt;
    struct cdp_export_rows *rows;
    size_t key_columns[2], nkeys;
    struct cdp_delta *delta;     /* NULL: no previous export */
    const char **header;         /* of the delta: every column's */
    struct cdp_intern *contacts; /* keys already written */
    const struct cdp_contacts *holders; /* a sharded export's; NULL: none */
    struct cdp_parts *out, *removed;
    struct cdp_delta_baseline *baseline;
    struct cdp_cells cells;
    struct cdp_buf row, head;
    const char *eol;
    struct cdp_export_counts counts;
};

/* The header row (and BOM) every file of this export starts with. */
static void make_head(struct cdp_export_writer *w)
{
    const struct cdp_export_writer_options *o = &w->opt;
    const struct cdp_export_format *f = o->format;
    struct cdp_buf *h = &w->head;
    if (o->bom)
        cdp_buf_add(h, "\xEF\xBB\xBF", 3);
    if (!f->header)
        return;
    size_t col = 0;
    for (size_t i = 0; i < f->ncolumns; i++, col++) {
        if (col)
            cdp_buf_addc(h, o->delimiter);
        cdp_csv_add_cell(h, f->columns[i], strlen(f->columns[i]), o->delimiter);
    }
    for (size_t i = 0; i < o->ncolumns; i++, col++) {
        if (col)
            cdp_buf_addc(h, o->delimiter);
        cdp_csv_add_cell(h, o->columns[i], strlen(o->columns[i]), o->delimiter);
    }
    cdp_buf_adds(h, w->eol);
}

struct cdp_export_writer *cdp_export_writer_new(const struct cdp_export_writer_options *opt)
{
    struct cdp_export_writer *w = cdp_xcalloc(1, sizeof *w);
    w->opt = *opt;
    w->rows = cdp_export_rows_new(opt->format, opt->channel, opt->plus);
    w->eol = opt->crlf ? "\r\n" : "\n";
    w->contacts = cdp_intern_new();
    w->nkeys = cdp_export_key_columns(opt->format, opt->channel, w->key_columns);
    make_head(w);
    return w;
}

void cdp_export_writer_free(struct cdp_export_writer *w)
{
    if (!w)
        return;
    cdp_parts_free(w->out);
    cdp_parts_free(w->removed);
    cdp_delta_baseline_free(w->baseline);
    cdp_export_rows_free(w->rows);
    cdp_delta_free(w->delta);
    free(w->header);
    cdp_intern_free(w->contacts);
    cdp_cells_release(&w->cells);
    cdp_buf_release(&w->row);
    cdp_buf_release(&w->head);
    free(w);
}

int cdp_export_writer_previous(struct cdp_export_writer *w, const char *path,
                               struct cdp_error *err)
{
    const struct cdp_export_writer_options *o = &w->opt;
    const struct cdp_export_format *f = o->format;
    if (!w->delta) {
        const char **header = w->header = cdp_xcalloc(f->ncolumns + o->ncolumns + 1, sizeof *header);
        size_t n = 0;
        for (size_t i = 0; i < f->ncolumns; i++)
            header[n++] = f->columns[i];
        for (size_t i = 0; i < o->ncolumns; i++)
            header[n++] = o->columns[i];
        struct cdp_delta_format df = {
            .kind = f->kind == CDP_EXPORT_NDJSON ? CDP_DELTA_NDJSON
                  : f->header                    ? CDP_DELTA_CSV
                                                 : CDP_DELTA_LINES,
            .delimiter = o->delimiter,
            .header = header,
            .ncolumns = n,
            .key_columns = w->key_columns,
            .nkeys = w->nkeys,
        };
        w->delta = cdp_delta_new(&df);
        w->counts.delta = true;
    }
    return cdp_delta_load(w->delta, path, err);
}

static int open_parts(struct cdp_export_writer *w, struct cdp_parts **out, const char *path,
                      bool zstd, struct cdp_error *err)
{
    struct cdp_parts_options po = {
        .path = path,
        .split_rows = w->opt.split_rows,
        .out = w->opt.out,
        .head = w->head.data,
        .head_len = w->head.len,
    };
    po.out.zstd = zstd && w->opt.out.zstd;
    *out = cdp_parts_open(&po, err);
    return *out ? 0 : -1;
}

int cdp_export_writer_open(struct cdp_export_writer *w, struct cdp_error *err)
{
    if (open_parts(w, &w->out, w->opt.output, true, err) < 0)
        return -1;
    if (!w->opt.baseline)
        return 0;
    struct cdp_output_options bo = w->opt.out;
    bo.zstd = false;
    w->baseline = cdp_delta_baseline_open(w->opt.baseline, &bo, w->head.data, w->head.len, err);
    return w->baseline ? 0 : -1;
}

/* The row's text into w->row (without its line end), and its key for the
 * delta. False when the extra columns failed. */
static bool make_row(struct cdp_export_writer *w, const struct cdp_record *rec, const char *line,
                     size_t len, const struct cdp_contact *c, const char **key, size_t *klen)
{
    const struct cdp_export_writer_options *o = &w->opt;
    struct cdp_buf *row = &w->row;
    cdp_buf_reset(row);
    cdp_cells_reset(&w->cells);
    *key = "";
    *klen = 0;
    if (o->format->kind == CDP_EXPORT_NDJSON) {
        cdp_buf_add(row, line, len);
        const struct cdp_field *id = cdp_record_gets(rec, "cdp_id");
        if (id && id->type == CDP_STRING)
            *key = id->val, *klen = id->vlen;
        return true;
    }
    cdp_export_rows_cells(w->rows, rec, c, &w->cells);
    if (o->ncolumns && !o->cells(o->ctx, rec, &w->cells))
        return false;
    for (size_t i = 0; i < w->cells.n; i++) {
        if (i)
            cdp_buf_addc(row, o->delimiter);
        const char *s = w->cells.text.data + w->cells.off[i];
        if (o->format->header)
            cdp_csv_add_text_cell(row, s, w->cells.len[i], o->delimiter);
        else
            cdp_buf_add(row, s, w->cells.len[i]);
    }
    for (size_t j = 0; j < w->nkeys; j++) {
        size_t i = w->key_columns[j];
        if (i < w->cells.n && w->cells.len[i]) {
            *key = w->cells.text.data + w->cells.off[i];
            *klen = w->cells.len[i];
            break;
        }
    }
    return true;
}

/* Whether the contact the row is for was written already, or in a sharded
 * export is held by another shard's profile (and notes it). */
static bool duplicate(struct cdp_export_writer *w, const struct cdp_record *rec, const struct cdp_contact *c)
{
    const char *ckey;
    size_t clen;
    cdp_export_contact_key(w->opt.format, w->opt.channel, c, &w->cells, &ckey, &clen);
    if (!clen)
        return false;
    if (w->holders) {
        const struct cdp_field *id = cdp_record_gets(rec, "cdp_id");
        bool has_id = id && id->type == CDP_STRING;
        if (cdp_contacts_held_elsewhere(w->holders, ckey, clen, has_id ? id->val : "", has_id ? id->vlen : 0))
            return true;
    }
    int added = 0;
    cdp_intern_add(w->contacts, ckey, clen, &added);
    return !added;
}

bool cdp_export_writer_claim(struct cdp_export_writer *w, const struct cdp_record *rec,
                             const char *line, size_t len, const struct cdp_contact *c,
                             const char **key, size_t *klen)
{
    const char *delta_key;
    size_t delta_klen;
    if (!make_row(w, rec, line, len, c, &delta_key, &delta_klen))
        return false;
    cdp_export_contact_key(w->opt.format, w->opt.channel, c, &w->cells, key, klen);
    return true;
}

void cdp_export_writer_holders(struct cdp_export_writer *w, const struct cdp_contacts *c)
{
    w->holders = c;
}

int cdp_export_writer_add(struct cdp_export_writer *w, const struct cdp_record *rec,
                          const char *line, size_t len, const struct cdp_contact *c,
                          enum cdp_skip *why, struct cdp_error *err)
{
    const char *key;
    size_t klen;
    *why = CDP_SKIP_NONE;
    if (!make_row(w, rec, line, len, c, &key, &klen))
        *why = CDP_SKIP_COLUMN_ERROR;
    else if (duplicate(w, rec, c))
        *why = CDP_SKIP_DUPLICATE;
    if (*why != CDP_SKIP_NONE)
        return 0;
    struct cdp_buf *row = &w->row;
    size_t textlen = row->len;
    cdp_buf_adds(row, w->eol);
    if (w->baseline && cdp_delta_baseline_add(w->baseline, row->data, row->len, err) < 0)
        return -1;
    if (w->delta) {
        switch (cdp_delta_check(w->delta, key, klen, row->data, textlen)) {
        case CDP_DELTA_UNCHANGED:
            w->counts.unchanged++;
            return 0;
        case CDP_DELTA_CHANGED:
            w->counts.changed++;
            break;
        case CDP_DELTA_ADDED:
            w->counts.added++;
            break;
        }
    }
    return cdp_parts_row(w->out, row->data, row->len, err);
}

/* The rows of the last export this run did not write. */
static int write_removed(struct cdp_export_writer *w, struct cdp_error *err)
{
    if (w->opt.removed && open_parts(w, &w->removed, w->opt.removed, false, err) < 0)
        return -1;
    size_t pos = 0;
    const char *text;
    size_t len;
    while (cdp_delta_next_removed(w->delta, &pos, &text, &len)) {
        w->counts.removed++;
        if (!w->removed)
            continue;
        cdp_buf_reset(&w->row);
        cdp_buf_add(&w->row, text, len);
        cdp_buf_adds(&w->row, w->eol);
        if (cdp_parts_row(w->removed, w->row.data, w->row.len, err) < 0)
            return -1;
    }
    return 0;
}

int cdp_export_writer_commit(struct cdp_export_writer *w, struct cdp_error *err)
{
    if (w->delta && write_removed(w, err) < 0)
        return -1;
    if ((w->removed && cdp_parts_commit(w->removed, err) < 0) || cdp_parts_commit(w->out, err) < 0 ||
        (w->baseline && cdp_delta_baseline_commit(w->baseline, err) < 0))
        return -1;
    return 0;
}

int cdp_export_writer_replace(struct cdp_export_writer *w, struct cdp_replace *r,
                              struct cdp_error *err)
{
    if (w->delta && write_removed(w, err) < 0)
        return -1;
    if (cdp_parts_replace(w->out, r, err) < 0 || (w->removed && cdp_parts_replace(w->removed, r, err) < 0) ||
        (w->baseline && cdp_delta_baseline_replace(w->baseline, r, err) < 0))
        return -1;
    return 0;
}

void cdp_export_writer_done(struct cdp_export_writer *w)
{
    cdp_parts_remove_stale(w->out);
    if (w->removed)
        cdp_parts_remove_stale(w->removed);
}

void cdp_export_writer_counts(const struct cdp_export_writer *w, struct cdp_export_counts *c)
{
    *c = w->counts;
    c->previous = w->delta ? cdp_delta_previous_rows(w->delta) : 0;
}

static void add_files(struct cdp_buf *b, const char *name, const struct cdp_parts *parts)
{
    cdp_buf_printf(b, ",\"%s\":[", name);
    for (size_t i = 0; i < cdp_parts_count(parts); i++) {
        const char *f = cdp_parts_file(parts, i);
        if (i)
            cdp_buf_addc(b, ',');
        cdp_json_add_string(b, f, strlen(f));
    }
    cdp_buf_addc(b, ']');
}

void cdp_export_writer_files(const struct cdp_export_writer *w, struct cdp_buf *json)
{
    if (w->out && w->opt.output && strcmp(w->opt.output, "-") != 0)
        add_files(json, "files", w->out);
    if (w->removed)
        add_files(json, "removed_files", w->removed);
    if (w->baseline) {
        const char *f = cdp_delta_baseline_file(w->baseline);
        cdp_buf_adds(json, ",\"full_files\":[");
        cdp_json_add_string(json, f, strlen(f));
        cdp_buf_addc(json, ']');
    }
}
