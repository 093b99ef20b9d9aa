/* split.h: cdp-segment --split DIR: the members of each segment in a file
 * of their own, DIR/NAME.ndjson (NAME.ndjson.zst when compressed), each
 * profile as the output has it. Those held out of a segment are not in its
 * file: a split file is a campaign's audience.
 *
 * Every rule gets its file, even an empty one. Each is written atomically
 * (io/output.h), and cdp-segment commits them before its output: a run
 * that fails before then leaves the files of the last run as they were. */
#ifndef CDP_SEGMENT_SPLIT_H
#define CDP_SEGMENT_SPLIT_H

#include <stddef.h>

#include "base/error.h"
#include "io/output.h"
#include "segment/engine.h"

struct cdp_segment_split;

/* Creates dir (0700) when missing and opens a file per rule of e. NULL with err
 * when one cannot be created. */
struct cdp_segment_split *cdp_segment_split_open(const struct cdp_segment_engine *e,
                                                 const char *dir,
                                                 const struct cdp_output_options *out,
                                                 struct cdp_error *err);

/* Writes line i of a finished batch (a profile, not rejected) to the files
 * of the segments it is a member of. A write error is kept for commit. */
void cdp_segment_split_add(struct cdp_segment_split *s, const struct cdp_segment_batch *b,
                           size_t i);

/* Names every file; -1 with err when one could not be written (the others
 * are then discarded). */
int cdp_segment_split_commit(struct cdp_segment_split *s, struct cdp_error *err);

struct cdp_replace;
/* Hands every file to r (io/replace.h), to be named with the run's other
 * files. -1 with err when one could not be written (the rest are then
 * discarded by cdp_segment_split_free). */
int cdp_segment_split_replace(struct cdp_segment_split *s, struct cdp_replace *r,
                              struct cdp_error *err);

/* Discards whatever was not committed, and frees s (accepts NULL). */
void cdp_segment_split_free(struct cdp_segment_split *s);

#endif
