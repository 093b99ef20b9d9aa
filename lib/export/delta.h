/* delta.h: what changed since the last export of the same audience.
 *
 * The previous export (one file, or all the parts of a split one) is read
 * into memory: each row under its key (the contact that names it: the
 * first non-empty of the format's key columns, the line itself for a file
 * without a header, cdp_id for NDJSON), kept as the text this run would
 * write for it. A row of this run is then ADDED (its key is new), CHANGED
 * (same key, other text: the platform updates it) or UNCHANGED; the rows of
 * keys this run did not write are the ones to remove, in the order the
 * previous files held them. A key repeated in the previous files counts
 * once (its first row).
 *
 * The baseline a run leaves for the next (--full) is written here too:
 * every row this run writes, after the same head (BOM, header row), in one
 * file, never split, so that what is loaded is what was written. */
#ifndef CDP_EXPORT_DELTA_H
#define CDP_EXPORT_DELTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "io/output.h"

enum cdp_delta_kind {
    CDP_DELTA_CSV,    /* a header row, then rows: compared cell by cell */
    CDP_DELTA_LINES,  /* one value a line (sms) */
    CDP_DELTA_NDJSON, /* JSON objects keyed by cdp_id */
};

struct cdp_delta_format {
    enum cdp_delta_kind kind;
    char delimiter;                   /* CSV */
    const char *const *header;        /* CSV: the header this run writes */
    size_t ncolumns;
    const size_t *key_columns;        /* CSV: indexes, in order of preference */
    size_t nkeys;
};

struct cdp_delta;

struct cdp_delta *cdp_delta_new(const struct cdp_delta_format *f);
void cdp_delta_free(struct cdp_delta *d);

/* Reads one previous file. -1 with err when it cannot be read, its header
 * differs from this run's, or a row cannot be parsed: a delta against the
 * wrong file would remove the wrong people. */
int cdp_delta_load(struct cdp_delta *d, const char *path, struct cdp_error *err);

/* Rows read from the previous files (keys counted once). */
uint64_t cdp_delta_previous_rows(const struct cdp_delta *d);

enum cdp_delta_change { CDP_DELTA_ADDED, CDP_DELTA_CHANGED, CDP_DELTA_UNCHANGED };

/* Classifies a row of this run (row: its text without the line end; for
 * CSV the cells quoted as io/csv_cell.h does and joined by the delimiter,
 * which is how previous rows are kept). */
enum cdp_delta_change cdp_delta_check(struct cdp_delta *d, const char *key, size_t klen,
                                      const char *row, size_t rlen);

/* The previous rows whose key was never checked: start with *pos = 0;
 * returns false after the last. */
bool cdp_delta_next_removed(struct cdp_delta *d, size_t *pos, const char **row, size_t *len);

/* ---- the next run's baseline ---------------------------------------------- */

struct cdp_delta_baseline;

/* Opens path (io/output.h: atomic, compressed when the name says so) and
 * writes head (may be NULL). NULL with err when it cannot be created. */
struct cdp_delta_baseline *cdp_delta_baseline_open(const char *path,
                                                   const struct cdp_output_options *out,
                                                   const char *head, size_t head_len,
                                                   struct cdp_error *err);

/* One row, with its line end. */
int cdp_delta_baseline_add(struct cdp_delta_baseline *b, const char *row, size_t len,
                           struct cdp_error *err);

/* Gives the file its name; -1 with err when it could not be written. */
int cdp_delta_baseline_commit(struct cdp_delta_baseline *b, struct cdp_error *err);
struct cdp_replace;
/* Hands the file to r (io/replace.h) instead. */
int cdp_delta_baseline_replace(struct cdp_delta_baseline *b, struct cdp_replace *r,
                               struct cdp_error *err);

/* The file's name, for messages and --stats. */
const char *cdp_delta_baseline_file(const struct cdp_delta_baseline *b);

/* Discards the file unless committed, and frees b (accepts NULL). */
void cdp_delta_baseline_free(struct cdp_delta_baseline *b);

/* ---- cdp-forget --------------------------------------------------------- */

/* Some persons' rows, recognised in any export file or baseline whatever
 * its format: by every form a format writes their contacts in (an e-mail
 * as it is, and SHA-256 of it as Google and Meta spell it; a phone in
 * E.164, as digits only, and SHA-256 of both), and in NDJSON by cdp_id. */
struct cdp_delta_forget;

struct cdp_delta_forget *cdp_delta_forget_new(void);
void cdp_delta_forget_free(struct cdp_delta_forget *f);

/* A person's e-mail (as the canonical records hold it), phone (E.164), or
 * cdp_id. */
void cdp_delta_forget_email(struct cdp_delta_forget *f, const char *s, size_t len);
void cdp_delta_forget_phone(struct cdp_delta_forget *f, const char *s, size_t len);
void cdp_delta_forget_id(struct cdp_delta_forget *f, const char *s, size_t len);

/* Copies the file at path to out (a byte-order mark, the header row and
 * every other row as written) but the rows of those persons: a row of a
 * CSV file, or a line of a file without a header (sms), with a cell that
 * is one of their forms (a header row never is); an NDJSON line whose
 * cdp_id is one of theirs. Counts rows kept (the header row among them)
 * and removed. -1 with err when
 * path cannot be read, or an NDJSON line is not a JSON object. Reads f
 * only: several files may be copied at once, on different threads. */
int cdp_delta_forget_file(const struct cdp_delta_forget *f, const char *path, struct cdp_output *out,
                          uint64_t *kept, uint64_t *removed, struct cdp_error *err);

#endif
