/* forget.h: answering an erasure request (cdp-forget).
 *
 * A person asks to be forgotten (152-FZ art. 21, GDPR art. 17) and names
 * themselves by an e-mail, a phone, a card, a customer id, or the analyst
 * knows their cdp_id. This module
 *
 *  1. finds every person those identifiers belong to through cdp-dedupe's
 *     state (so a request by e-mail also reaches the person's phone, cards
 *     and till receipts), with the ids merged into theirs over the runs
 *     (the journal); an identifier more persons hold than max_persons
 *     allows (a family's e-mail, a placeholder phone) stops it;
 *  2. writes every file the nightly run keeps without them, each by the
 *     module that owns its format: the state (identity/idstate.h), the
 *     journal (identity/journal.h), the links file (identity/linker.h),
 *     cdp-merge's state (profile/store.h: every record and profile it
 *     keeps of them),
 *     record files of any stage, canonical, linked, profiles, segments and
 *     cdp-segment's last output, audiences (io/forgetlist.h: by cdp_id, by
 *     identifier, by person record), and export files and baselines
 *     (export/delta.h); and adds to the forget list what would bring them
 *     back (io/forgetlist.h);
 *  3. replaces all those files together (io/replace.h), the forget list
 *     first and the state last: a failure anywhere changes no file, and a
 *     run killed while renaming is finished by running it again, since the
 *     state, which finds the person, is replaced last.
 *
 * An identifier someone else holds too (a family's shared e-mail, a
 * cashier's placeholder phone on other people's receipts) is that person's
 * data as well: it is not put on the forget list and does not remove the
 * other person's lines. Values blocked as nobody's (identity/keys.h: the
 * placeholders, and the block options of cdp-dedupe) are never put there.
 * Files that hold nothing of the persons are left untouched. Segment
 * reports and history hold counts, never a person: they are not changed. */
#ifndef CDP_FORGET_FORGET_H
#define CDP_FORGET_FORGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "identity/keys.h"

struct cdp_forget_options {
    const char *state;     /* cdp-dedupe's state: required */
    const char *const *journals; /* its journal, and copies of it kept of
                                    earlier nights */
    size_t njournals;
    const char *links;     /* a links file, or NULL */
    const char *merge_state; /* cdp-merge's --state (profile/store.h), or NULL */
    const char *forgotten; /* the forget list, or NULL */
    const char *const *records; /* NDJSON record files, compressed or not */
    size_t nrecords;
    const char *const *exports; /* export files and baselines */
    size_t nexports;
    const char *region;    /* of phones written without a country code */
    unsigned max_persons;  /* per identifier (0: 1) */
    struct cdp_keyset *blocks; /* values that are nobody's; the caller's */
    bool dry_run;          /* find and count, change nothing */
};

/* What happened to one file. */
struct cdp_forget_file {
    const char *path;
    const char *kind; /* "state", "journal", "links", "merge state", "records", "export",
                          "forget list" */
    uint64_t kept, removed;
};

struct cdp_forget_result {
    size_t identifiers; /* given (distinct) */
    size_t unknown;     /* of those, held by nobody the state knows */
    size_t persons;     /* found: persons in the state now */
    size_t ids;         /* their ids, with those merged into them */
    uint64_t records;   /* the records the state holds of them */
    size_t shared;      /* their identifiers someone else holds too: kept */
    size_t listed;      /* entries added to the forget list */
    size_t list_size;   /* entries on it in all */
    struct cdp_forget_file *files; /* every file named, in the order replaced */
    size_t nfiles;
};

struct cdp_forget;

/* Checks that the region is known; NULL with err when it is not. */
struct cdp_forget *cdp_forget_new(const struct cdp_forget_options *o, struct cdp_error *err);
void cdp_forget_free(struct cdp_forget *f);

/* One identifier of the request: field is "email", "phone", "card",
 * "customer_id" or "cdp_id"; value as the person wrote it (normalised here
 * as cdp-ingest would). -1 with err when it is not a valid value of the
 * field, or is blocked (nobody's). */
int cdp_forget_add(struct cdp_forget *f, const char *field, const char *value, size_t len,
                   struct cdp_error *err);

/* Identifiers from a file, one FIELD=VALUE a line (email=ivan@mail.ru;
 * blank lines and lines starting with '#' are skipped), for batches of
 * requests. -1 with err naming file:line for a line that is not one. */
int cdp_forget_add_file(struct cdp_forget *f, const char *path, struct cdp_error *err);

/* How many identifiers were given. */
size_t cdp_forget_count(const struct cdp_forget *f);

/* 1. Locks the state (as cdp-dedupe does) and finds the persons. */
int cdp_forget_find(struct cdp_forget *f, struct cdp_error *err);

/* 2. Writes every file without them, to be replaced (not yet). */
int cdp_forget_stage(struct cdp_forget *f, struct cdp_error *err);

struct cdp_output;

/* 3. Replaces the files (nothing with dry_run), and stats (the caller's
 * --stats file, not yet committed: cli/report.h's cdp_report_stats_output;
 * NULL for none) with them, all or none: a run that fails leaves no --stats
 * file counting lines it did not remove. With dry_run only stats is
 * written. Takes stats. */
int cdp_forget_commit(struct cdp_forget *f, struct cdp_output *stats, struct cdp_error *err);

/* The counts so far (valid until cdp_forget_free). */
const struct cdp_forget_result *cdp_forget_result(const struct cdp_forget *f);

#endif
