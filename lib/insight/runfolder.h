/* runfolder.h: where a nightly run's files are in its folder (the layout
 * figures.h lists), found by name whether compressed or not. */
#ifndef CDP_INSIGHT_RUNFOLDER_H
#define CDP_INSIGHT_RUNFOLDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

struct cdp_error;
struct cdp_record;

/* DIR/NAME, DIR/NAME.zst or DIR/NAME.gz, the first that exists, into path;
 * false (path holding DIR/NAME) when none does. */
bool cdp_runfolder_find(const char *dir, const char *name, struct cdp_buf *path);

/* The names in dir that start with prefix and end with suffix, sorted in
 * byte order (freed by the caller, each and the array); 0 when dir cannot
 * be read. */
size_t cdp_runfolder_list(const char *dir, const char *prefix, const char *suffix, char ***names);

/* The nights kept under DIR/nights (folders named YYYY-MM-DD), as days
 * since 1970-01-01, in order (freed by the caller). */
size_t cdp_runfolder_nights(const char *dir, int64_t **days);

/* DIR/nights/YYYY-MM-DD into path. */
void cdp_runfolder_night(const char *dir, int64_t day, struct cdp_buf *path);

void cdp_runfolder_free_names(char **names, size_t n);

/* The lines of a program's NDJSON output that are not JSON objects: how
 * many, and the first one's line number. */
struct cdp_runfolder_skipped {
    uint64_t lines, first_line;
};

typedef void (*cdp_runfolder_row_fn)(void *ctx, struct cdp_record *rec);

/* Reads the NDJSON file path, giving each line that is a JSON object to
 * row(ctx, rec), in order; the other lines are left out, counted in
 * skipped (unless NULL). Returns 0, or -1 with err set when the file
 * cannot be opened or read to its end. */
int cdp_runfolder_read_rows(const char *path, cdp_runfolder_row_fn row, void *ctx,
                            struct cdp_runfolder_skipped *skipped, struct cdp_error *err);

#endif
