/* extsort.h: a grouping external sort with bounded memory.
 *
 * Items (a key and a payload, both arbitrary bytes) go in in any order and
 * come back sorted by key: byte order (unsigned), a key that is a prefix of
 * another first; items with equal keys in the order they were added. That
 * order depends only on the items added, never on the memory budget, on
 * timing or on how many runs were spilled: a sort that spills hundreds of runs
 * returns exactly the sequence of one done in memory.
 *
 * Memory. Items are packed into one region of `memory` bytes: the bytes of
 * each item as written to a run (below) from the bottom, a 24-byte sort entry
 * per item from the top (the first 16 bytes of the key packed big-endian, the
 * item's offset and its key length). When the next item does not fit, the
 * region is sorted (radix on the packed bytes, then introsort) and spilled
 * as a run. If everything fits, nothing is ever written. An item too large
 * for an empty region becomes a run of its own. (The region is allocated
 * whole but its pages are touched only as items arrive.)
 *
 * Runs are nameless temporary files (O_TMPFILE in tmpdir, else $TMPDIR, else
 * /tmp): they vanish when closed, so none is left behind on any exit path,
 * a crash included. They are written through lib/io/output.h (zstd level -3,
 * its compression threads) and read back through lib/io/source.h, as /proc/self/fd/N.
 * A run being read costs about 5 MiB (source.h decompresses up to 4 MiB
 * ahead in a thread of its own), so a merge reads at most F runs at once,
 * F = memory / 5 MiB kept within 8..64 (so merging takes about the budget,
 * at least 40 MiB), and the region is freed while it runs. Runs stay open until they reach a quarter of the open-file limit (at
 * most 1024); then, during cdp_extsort_add, some are merged into one.
 * cdp_extsort_finish sorts what is still in memory and, when fewer than F
 * runs exist and their readers fit in what the region leaves of the budget
 * (its items and entries plus 5 MiB a run at most `memory`), gives back
 * the pages between its items and entries (earlier regions touched them)
 * and reads it in place as the last of the merge's inputs; otherwise it
 * spills it as the last run and merges runs until at most F are left.
 * cdp_extsort_next merges them with a binary heap.
 * Every merge takes adjacent runs (those with the fewest bytes, so that items
 * are rewritten as seldom as possible) and breaks a tie by run order: as runs
 * hold consecutive stretches of the input, the sort stays stable.
 *
 * Run format (after zstd decompression), one record per item, sorted:
 *     varint key length, key bytes, varint payload length, payload bytes
 * where a varint is LEB128 (7 bits a byte, least significant first, the high
 * bit set on every byte but the last). There is no header and no sequence
 * number: within a run, equal keys are in input order; between runs, the
 * earlier run holds the earlier items. zstd's checksum catches a damaged or
 * truncated file.
 *
 * Not thread-safe: one sorter is used by one thread; sorters are
 * independent. No global state. */
#ifndef CDP_IO_EXTSORT_H
#define CDP_IO_EXTSORT_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct cdp_extsort;

struct cdp_extsort_options {
    size_t memory;      /* bytes of items (with 24 bytes each of overhead) held
                           before spilling a sorted run; 0: 256 MiB */
    const char *tmpdir; /* NULL: $TMPDIR or /tmp */
    int zstd_workers;   /* threads compressing a run: output.h's option
                           (0: its default) */
};

/* opt may be NULL (the defaults). The options are copied. */
struct cdp_extsort *cdp_extsort_new(const struct cdp_extsort_options *opt);

/* Adds one item: key (klen bytes) and payload (plen bytes, e.g. a JSON line).
 * Items with equal keys come back in the order they were added. Returns 0,
 * or -1 with err on an I/O failure (spilling, merging); after a failure
 * every call returns -1 with the same message. */
int cdp_extsort_add(struct cdp_extsort *s, const char *key, size_t klen, const char *payload,
                    size_t plen, struct cdp_error *err);

/* Ends adding; then items come back sorted by key (byte order, shorter prefix
 * first), equal keys in insertion order. Returns 0 or -1 with err. */
int cdp_extsort_finish(struct cdp_extsort *s, struct cdp_error *err);

/* Returns 1 with the next item, its pointers valid until the next call (the
 * bytes are not NUL-terminated), 0 at the end, -1 with err on an error. */
int cdp_extsort_next(struct cdp_extsort *s, const char **key, size_t *klen,
                     const char **payload, size_t *plen, struct cdp_error *err);

/* Counts for --stats and tests: items added; runs spilled from memory (0 when
 * everything fitted); bytes written to temporary files (compressed, merge
 * passes included). */
void cdp_extsort_counts(const struct cdp_extsort *s, uint64_t *items, uint64_t *runs,
                        uint64_t *spilled_bytes);

/* Frees s and closes (so removes) its temporary files. Accepts NULL. */
void cdp_extsort_free(struct cdp_extsort *s);

#endif
