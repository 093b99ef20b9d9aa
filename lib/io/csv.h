/* csv.h: CSV with a header row, read with libcsv.
 *
 * Quoted fields may hold the delimiter, doubled quotes and line breaks; lines
 * end in LF or CRLF; spaces around unquoted fields are trimmed (FEBRL writes
 * ", " between fields); a quote inside an unquoted field is kept as text.
 * The delimiter is given or sniffed from the header line among , ; TAB |.
 * Repeated header names get suffixes (_2, _3), empty ones become column_N;
 * a header that is not UTF-8 or holds a NUL byte is an error.
 *
 * A row that cannot be read is returned as a bad row with its first line
 * number, raw text and reason, and reading goes on: a row with the wrong
 * number of fields, invalid UTF-8, or a quoted field never closed. When a bad
 * row spans several lines (an unbalanced quote swallows the lines after it),
 * only its first line is rejected and the lines after it are read again, so
 * one stray quote costs one row, not the rest of the file. */
#ifndef CDP_IO_CSV_H
#define CDP_IO_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "io/lines.h"
#include "io/reader.h"

struct cdp_csv_reader;

/* Takes ownership of lines. delimiter 0 means sniff. Reads the header; on
 * failure returns NULL with err set. */
struct cdp_csv_reader *cdp_csv_reader_new(struct cdp_lines *lines, char delimiter,
                                          struct cdp_error *err);
void cdp_csv_reader_free(struct cdp_csv_reader *r);

/* As cdp_reader_next (reader.h). */
enum cdp_read cdp_csv_next(struct cdp_csv_reader *r, struct cdp_record *rec,
                           struct cdp_row *row, struct cdp_error *err);

/* From now on, return a record that is one line without quotes unparsed:
 * CDP_READ_ROW with an empty record, row->deferred set and the line in
 * row->raw, for cdp_csv_split to split elsewhere (a worker thread). */
void cdp_csv_defer_simple(struct cdp_csv_reader *r, bool on);

/* Splits a deferred line into rec (values point into line), with the
 * header's names and their lengths (NULL: strlen); a wrong number of fields or invalid
 * UTF-8 makes it a bad row (row->reason, row->code), as the reader itself
 * would. utf8_valid: the line is known to be valid UTF-8 (the row's
 * utf8_valid), and is not checked again. */
enum cdp_read cdp_csv_split(const char *line, size_t len, bool utf8_valid, char delim,
                            const char *const *names, const size_t *name_lens, size_t ncols,
                            struct cdp_record *rec, struct cdp_row *row);

size_t cdp_csv_columns(const struct cdp_csv_reader *r, const char *const **names);
char cdp_csv_delimiter(const struct cdp_csv_reader *r);

#endif
