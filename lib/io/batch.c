#include "io/batch.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "io/csv.h"
#include "io/lines.h"

/* A new row holding a copy of raw, with padding after it, so that it can be
 * parsed in place (simdjson reads a little past the end). */
static struct cdp_batch_row *new_row(struct cdp_batch *b, const char *raw, size_t rawlen)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 1024;
        b->rows = cdp_xrealloc(b->rows, b->cap * sizeof *b->rows);
    }
    if (!b->arena.block_size)
        b->arena.block_size = (size_t)1 << 20;
    struct cdp_batch_row *r = &b->rows[b->n++];
    memset(r, 0, sizeof *r);
    char *copy = cdp_arena_alloc(&b->arena, rawlen + CDP_LINE_PADDING);
    if (rawlen)
        memcpy(copy, raw, rawlen);
    memset(copy + rawlen, ' ', CDP_LINE_PADDING);
    copy[rawlen] = '\0';
    r->raw = copy;
    r->rawlen = rawlen;
    r->kind = CDP_READ_ROW;
    r->first_field = b->nfields;
    b->bytes += rawlen + 64;
    return r;
}

void cdp_batch_add_line(struct cdp_batch *b, const char *line, size_t len)
{
    new_row(b, line, len);
}

void cdp_batch_add(struct cdp_batch *b, enum cdp_read kind, const struct cdp_record *rec,
                   const struct cdp_row *row)
{
    struct cdp_batch_row *r = new_row(b, row->raw, row->rawlen);
    r->kind = kind;
    r->line = row->line;
    r->number = row->number;
    r->code = row->code;
    r->reason = kind == CDP_READ_BAD ? cdp_arena_strdup(&b->arena, row->reason, strlen(row->reason))
                                     : NULL;
    r->deferred = row->deferred;
    r->utf8_valid = row->deferred && row->utf8_valid;
    if (kind != CDP_READ_ROW)
        return;
    if (b->nfields + rec->n > b->fields_cap) {
        while (b->nfields + rec->n > b->fields_cap)
            b->fields_cap = b->fields_cap ? b->fields_cap * 2 : 16384;
        b->fields = cdp_xrealloc(b->fields, b->fields_cap * sizeof *b->fields);
    }
    for (size_t i = 0; i < rec->n; i++) {
        const struct cdp_field *f = &rec->f[i];
        struct cdp_field *c = &b->fields[b->nfields++];
        *c = *f;
        if (!b->stable_keys)
            c->key = cdp_arena_strdup(&b->arena, f->key, f->klen);
        c->val = cdp_arena_strdup(&b->arena, f->val, f->vlen);
        b->bytes += f->klen + f->vlen;
    }
    r->nfields = rec->n;
}

void cdp_batch_record(const struct cdp_batch *b, size_t i, struct cdp_record *view)
{
    memset(view, 0, sizeof *view);
    view->f = b->fields + b->rows[i].first_field;
    view->n = view->cap = b->rows[i].nfields;
}

enum cdp_read cdp_batch_split(const struct cdp_batch *b, size_t i, struct cdp_record *scratch,
                              struct cdp_record *view, const struct cdp_record **rec,
                              struct cdp_row *row)
{
    const struct cdp_batch_row *br = &b->rows[i];
    row->line = br->line;
    row->number = br->number;
    row->raw = br->raw;
    row->rawlen = br->rawlen;
    row->code = NULL;
    row->reason[0] = '\0';
    if (!br->deferred) {
        cdp_batch_record(b, i, view);
        *rec = view;
        return CDP_READ_ROW;
    }
    *rec = scratch;
    return cdp_csv_split(br->raw, br->rawlen, br->utf8_valid, b->delimiter, b->columns,
                         b->column_lens, b->ncolumns, scratch, row);
}

void cdp_batch_set_header(struct cdp_batch *b, const struct cdp_reader *r)
{
    b->ncolumns = cdp_reader_columns(r, &b->columns);
    b->delimiter = cdp_reader_delimiter(r);
    if (b->column_lens_cap < b->ncolumns) {
        b->column_lens_cap = b->ncolumns;
        b->column_lens = cdp_xrealloc(b->column_lens, b->ncolumns * sizeof *b->column_lens);
    }
    for (size_t i = 0; i < b->ncolumns; i++)
        b->column_lens[i] = strlen(b->columns[i]);
}

void cdp_batch_clear(struct cdp_batch *b)
{
    b->n = 0;
    b->nfields = 0;
    b->bytes = 0;
    cdp_arena_reset(&b->arena);
}

void cdp_batch_release(struct cdp_batch *b)
{
    cdp_arena_release(&b->arena);
    free(b->rows);
    free(b->fields);
    free(b->column_lens);
    memset(b, 0, sizeof *b);
}
