/* writer.h: the files of one export: a row for each profile that may be
 * sent (export/audience.h decides which), in the platform's format
 * (export/format.h), once per contact.
 *
 * A row is the format's cells (then the caller's extra columns, such as
 * cdp-export's jq columns), quoted for CSV (io/csv_cell.h) and joined by
 * the delimiter; for ndjson, the profile line as read. Every file starts
 * with the same head: a UTF-8 BOM when asked, then the header row of the
 * formats that have one. Lines end in LF, or CR LF.
 *
 * One row per contact: the second profile with the same contact (the
 * format's key cells, or for csv and ndjson the channel's contact:
 * export_contact_key in format.h) is skipped as duplicate.
 *
 * The output may be split into parts (export/parts.h). With the previous
 * export of the same audience (export/delta.h), only the rows added or
 * changed since are written to the output, and the rows of contacts this
 * run did not write go to the removed file; the baseline file gets the
 * whole audience, for the next run's delta. Files are committed removed,
 * output, then baseline: the baseline is what the next run compares with,
 * so it must not claim rows whose delivery files failed. */
#ifndef CDP_EXPORT_WRITER_H
#define CDP_EXPORT_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"
#include "export/audience.h"
#include "export/format.h"
#include "io/output.h"
#include "io/record.h"

/* Appends the extra columns' cells of one profile; false (the profile is
 * skipped as column_error) when one cannot be made. */
typedef bool (*cdp_export_columns_fn)(void *ctx, const struct cdp_record *rec,
                                      struct cdp_cells *cells);

struct cdp_export_writer_options {
    const struct cdp_export_format *format;
    enum cdp_channel channel;
    char delimiter;      /* of the CSV formats */
    bool bom, crlf;
    bool plus;           /* sms: "+" before the digits */
    const char *const *columns; /* the extra columns' headers */
    size_t ncolumns;
    cdp_export_columns_fn cells; /* their cells */
    void *ctx;
    const char *output;  /* NULL or "-": standard output */
    uint64_t split_rows; /* of the output and the removed file; 0: one file */
    const char *removed; /* with a previous export; NULL: rows only counted */
    const char *baseline; /* the whole audience (--full); NULL: none */
    struct cdp_output_options out; /* mode for every file; zstd for the output */
};

struct cdp_export_writer;

/* Copies nothing: opt's strings must outlive the writer. */
struct cdp_export_writer *cdp_export_writer_new(const struct cdp_export_writer_options *opt);
void cdp_export_writer_free(struct cdp_export_writer *w);

/* Reads one file of the previous export (export/delta.h): from now on
 * only changes are written. */
int cdp_export_writer_previous(struct cdp_export_writer *w, const char *path,
                               struct cdp_error *err);

/* Opens the output and the baseline file. */
int cdp_export_writer_open(struct cdp_export_writer *w, struct cdp_error *err);

/* One profile that passed the audience's checks: line is its text as read
 * (for ndjson), c its contacts. Sets *why to CDP_SKIP_NONE when its row was
 * written (or found unchanged), else CDP_SKIP_DUPLICATE or
 * CDP_SKIP_COLUMN_ERROR. -1 with err on a write error. */
int cdp_export_writer_add(struct cdp_export_writer *w, const struct cdp_record *rec,
                          const char *line, size_t len, const struct cdp_contact *c,
                          enum cdp_skip *why, struct cdp_error *err);

/* For a sharded export's summary (export/contacts.h): the row the profile
 * would get, without writing it. False when the extra columns failed
 * (column_error); else *key is the contact the row is written once for
 * (cdp_export_contact_key; *klen 0: none), valid until the next call. */
bool cdp_export_writer_claim(struct cdp_export_writer *w, const struct cdp_record *rec,
                             const char *line, size_t len, const struct cdp_contact *c,
                             const char **key, size_t *klen);

struct cdp_contacts;
/* A sharded export's joined decisions (export/contacts.h): a contact
 * another shard's profile holds is a duplicate here. c must outlive w. */
void cdp_export_writer_holders(struct cdp_export_writer *w, const struct cdp_contacts *c);

/* Writes the removed rows, then commits the files in the order above. */
int cdp_export_writer_commit(struct cdp_export_writer *w, struct cdp_error *err);

struct cdp_replace;
/* The same in two steps, for a program that replaces its other files with
 * these, all or none (io/replace.h): writes the removed rows and hands the
 * output's parts, the removed parts and then the --full baseline to r (-1
 * with err); after r's commit, cdp_export_writer_done removes stale parts. */
int cdp_export_writer_replace(struct cdp_export_writer *w, struct cdp_replace *r,
                              struct cdp_error *err);
void cdp_export_writer_done(struct cdp_export_writer *w);

struct cdp_export_counts {
    bool delta; /* a previous export was read */
    uint64_t previous; /* its rows (a contact counted once) */
    uint64_t added, changed, unchanged, removed;
};
void cdp_export_writer_counts(const struct cdp_export_writer *w, struct cdp_export_counts *c);

/* The files written, as JSON members for --stats: "files" (unless the
 * output is standard output), "removed_files", "full_files" (when there
 * are such files), each an array of names; each after a comma. */
void cdp_export_writer_files(const struct cdp_export_writer *w, struct cdp_buf *json);

#endif
