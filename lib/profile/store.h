/* store.h: cdp-merge --state, every person's records and last profile
 * from one night to the next.
 *
 * A night's run with --state reads only that night's linked records; the
 * store gives it everyone else's: for each person (by cdp_id, in byte
 * order), the lines merged so far, each with its sequence number (its
 * place in all the input ever read: night after night, line after line),
 * and the profile saved at the last moment (moment.h). A person with no new
 * line whose saved profile is still current is written again from it
 * without reading their lines; the others are made again from all their
 * lines, as a run without --state over every night's input would make them.
 *
 * The file is a series of zstd frames, so that `zstd -dc STATE` gives every
 * line kept, person after person:
 *   - a skippable frame (magic 0x184D2A50) holding the header, one JSON
 *     line: {"format":"cdp-merge-state","version":1,"as_of_ms":N,
 *     "options":"HEX","lines":N,"journal":N} (the moment of the profiles,
 *     a digest of the options they were made with, the lines read so far,
 *     the journal entries followed so far);
 *   - per person, a skippable frame (0x184D2A51): the id, the sequence
 *     numbers of its lines, its saved profile and the size of the next
 *     frame, all LEB128 varints and bytes; then a zstd frame (with its
 *     checksum) holding its lines, one per line;
 *   - an end frame (0x184D2A52): the counts of persons and lines and the
 *     XXH64 digest of every byte before it.
 * A person's two frames are copied as they are when neither changes, so a
 * night costs what changed, plus copying bytes. A file that is not a
 * store, of another version, cut short or damaged is refused with a
 * message. The file is written atomically (io/output.h, uncompressed: its
 * frames are) and locked (flock on FILE.lock) for the whole run. */
#ifndef CDP_PROFILE_STORE_H
#define CDP_PROFILE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"

struct cdp_store_header {
    int64_t as_of_ms;   /* the moment of the saved profiles */
    uint64_t options;   /* digest of the options they were made with */
    uint64_t lines;     /* lines read so far: the next sequence number */
    uint64_t journal;   /* journal entries followed so far */
};

/* A person as stored. Pointers are valid until the next call. */
struct cdp_store_person {
    const char *id;
    size_t idlen;
    const char *frames; /* both frames, as stored */
    size_t frames_len;
    const char *saved;  /* the saved profile */
    size_t saved_len;
    size_t nlines;
};

/* ---- reading ---------------------------------------------------------- */

struct cdp_store_reader;

/* Opens the store at path, reading its header into h; a file that does not
 * exist is an empty store (the first night) with a zero header. NULL with
 * err set when it cannot be read or is no store of this version. */
struct cdp_store_reader *cdp_store_open(const char *path, struct cdp_store_header *h,
                                        struct cdp_error *err);
/* The next person: 1, or 0 after the last (the end frame and the digest
 * checked), or -1 with err set (damaged, cut short, unreadable). */
int cdp_store_next(struct cdp_store_reader *r, struct cdp_store_person *p, struct cdp_error *err);
/* Whether the store existed. */
bool cdp_store_exists(const struct cdp_store_reader *r);
void cdp_store_close(struct cdp_store_reader *r);

/* The length of the person's frames at the start of p (len bytes, which
 * may hold several persons' frames back to back); 0 when damaged. */
size_t cdp_store_frames_len(const char *p, size_t len);

/* The saved profile in a person's frames (len bytes). False if damaged. */
bool cdp_store_saved(const char *frames, size_t len, const char **saved, size_t *saved_len);

/* The lines of a person's frames (as cdp_store_next gave them):
 * decompressed into text (one per line, each ending in '\n'), and their
 * sequence numbers into *seqs (n of them, reallocated as needed). -1 with
 * err set when the frames are damaged. dctx is the caller's (one per
 * thread). */
struct ZSTD_DCtx_s;
int cdp_store_lines(struct ZSTD_DCtx_s *dctx, const char *frames, size_t len, struct cdp_buf *text,
                    uint64_t **seqs, size_t *seqs_cap, size_t *n, struct cdp_error *err);

/* ---- writing ---------------------------------------------------------- */

/* Appends a person's two frames to out: id, the sequence numbers and text
 * of its lines (n lines, each ending in '\n', in sequence order), the
 * saved profile. cctx is the caller's (one per thread). */
struct ZSTD_CCtx_s;
void cdp_store_format(struct ZSTD_CCtx_s *cctx, struct cdp_buf *out, const char *id, size_t idlen,
                      const uint64_t *seqs, const char *text, size_t text_len, size_t n,
                      const char *saved, size_t saved_len);

struct cdp_store_writer;

/* Starts writing the store at path (atomically: nothing changes before
 * cdp_store_commit). */
struct cdp_store_writer *cdp_store_create(const char *path, const struct cdp_store_header *h,
                                          struct cdp_error *err);
/* Appends persons' frames (from cdp_store_format or cdp_store_next), in
 * cdp_id order, and how many persons and lines they hold. -1 once a write
 * has failed (the error is reported at commit). */
int cdp_store_write(struct cdp_store_writer *w, const char *frames, size_t len, uint64_t persons,
                    uint64_t lines);
/* Writes the end frame and gives the file its name. Frees w. */
int cdp_store_commit(struct cdp_store_writer *w, struct cdp_error *err);
/* Ends the store and frees w: its output, for the caller to commit with
 * other files (io/replace.h). */
struct cdp_output *cdp_store_finish(struct cdp_store_writer *w);
/* Discards it; accepts NULL. */
void cdp_store_abort(struct cdp_store_writer *w);

/* Takes the lock on path + ".lock" without waiting; *fd is closed (the lock
 * released) by the caller. -1 with err when another run holds it. */
int cdp_store_lock(const char *path, int *fd, struct cdp_error *err);

/* ---- forgetting (cdp-forget) --------------------------------------------- */

struct cdp_intern;
struct cdp_output;
struct cdp_output_options;
/* How a store is written (io/output.h). */
extern const struct cdp_output_options cdp_store_output_options;

/* Writes the store at path to out (opened by the caller with
 * cdp_store_output_options; the caller commits or aborts it) without the
 * persons whose cdp_id is in ids: their frames dropped, every other
 * person's copied as it is; adds the lines of the persons kept to *kept and
 * of those dropped to *removed. The header's
 * journal count is set to 0 (see store.c). The caller holds the lock. -1
 * with err when the store cannot be read or is damaged. */
int cdp_store_forget(const char *path, const struct cdp_intern *ids, struct cdp_output *out,
                     uint64_t *kept, uint64_t *removed, struct cdp_error *err);

#endif
