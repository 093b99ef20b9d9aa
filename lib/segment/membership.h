/* membership.h: who was in which segment last time, followed through
 * cdp-dedupe's journal, for cdp-segment's entered/exited deltas.
 *
 * The previous run's output (profiles with "segments" and "holdout") is read
 * whole: per person, the sorted ids of the segments they were in (held out or
 * not: a control-group member is in the segment). Segment names are ids of a
 * string table the caller owns, so that they compare with the current run's.
 *
 * With the journal, an id that was merged into another (reason "merged", over
 * any number of runs: A to B, then B to C) hands its memberships to the
 * survivor and is marked as followed: it is not gone, it lives on as C.
 * Split ids are not followed: the new person enters the segments they are in. */
#ifndef CDP_SEGMENT_MEMBERSHIP_H
#define CDP_SEGMENT_MEMBERSHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/intern.h"

struct cdp_memberships;

/* names: the segment-name table (new names from the file are added). */
struct cdp_memberships *cdp_memberships_new(struct cdp_intern *names);
void cdp_memberships_free(struct cdp_memberships *m);

/* Reads the previous output (NDJSON, compressed or not) through
 * io/runfile.h: every line must be a profile with a non-empty string
 * cdp_id, whose "segments" and "holdout", when present, are arrays of
 * names. A line that is not is an error naming file:line ("damaged previous
 * output line"): the file is cdp-segment's own output, so such a line means
 * it was damaged or edited, and deltas against it would be wrong. */
int cdp_memberships_load(struct cdp_memberships *m, const char *path, struct cdp_error *err);

/* Reads cdp-dedupe's journal and follows merged ids to their survivors. */
int cdp_memberships_follow(struct cdp_memberships *m, const char *journal, struct cdp_error *err);

/* Builds the lookup; call once, after the loads. */
void cdp_memberships_finish(struct cdp_memberships *m);

/* The person index of id, or UINT32_MAX. Safe from several threads after
 * cdp_memberships_finish. */
uint32_t cdp_memberships_find(const struct cdp_memberships *m, const char *id, size_t len);

/* The segments (name ids, ascending) person was in. */
size_t cdp_memberships_of(const struct cdp_memberships *m, uint32_t person, const uint32_t **names);

/* Whether person's id was merged into another (its segments went there). */
bool cdp_memberships_followed(const struct cdp_memberships *m, uint32_t person);

size_t cdp_memberships_count(const struct cdp_memberships *m);
const char *cdp_memberships_id(const struct cdp_memberships *m, uint32_t person, size_t *len);

#endif
