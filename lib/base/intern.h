/* intern.h: one number for each distinct string (a string table).
 *
 * Identity resolution compares millions of e-mails, phones and cards; giving
 * each distinct value a 32-bit id once makes every later comparison, count
 * and grouping an integer operation, and stores each value once. Ids are
 * dense (0, 1, 2, ... in first-seen order), so arrays indexed by id work.
 * Hashing is XXH3 (libxxhash). */
#ifndef CDP_BASE_INTERN_H
#define CDP_BASE_INTERN_H

#include <stddef.h>
#include <stdint.h>

struct cdp_intern;

struct cdp_intern *cdp_intern_new(void);
void cdp_intern_free(struct cdp_intern *t);

/* The id of s (len bytes), adding it if new; *added (may be NULL) says which. */
uint32_t cdp_intern_add(struct cdp_intern *t, const char *s, size_t len, int *added);
/* As cdp_intern_add, with the hash already computed (cdp_intern_hash), so
 * that worker threads can hash and one thread insert. */
uint32_t cdp_intern_add_hashed(struct cdp_intern *t, const char *s, size_t len, uint64_t hash,
                               int *added);
uint64_t cdp_intern_hash(const char *s, size_t len);

/* Asks the CPU to fetch what adding or finding a string of this hash will
 * read, a few strings ahead of the call: step 0 its slot, step 1 (once the
 * slot is in cache) the entry the slot holds, step 2 that entry's text. A
 * table larger than the cache costs a miss at each, and one thread adding
 * the values of a million records waited on them. Changes nothing. */
void cdp_intern_prefetch(const struct cdp_intern *t, uint64_t hash, int step);
/* The id of s, or UINT32_MAX when it is not in the table. */
uint32_t cdp_intern_find(const struct cdp_intern *t, const char *s, size_t len);
/* The string of an id (NUL-terminated, valid while the table lives). */
const char *cdp_intern_str(const struct cdp_intern *t, uint32_t id, size_t *len);
size_t cdp_intern_count(const struct cdp_intern *t);
/* Empties t for reuse (ids start again at 0), at a cost of the strings it
 * held rather than of its size: a table that grew large shrinks back. For
 * the small tables built once per person (cdp-merge's categories). */
void cdp_intern_clear(struct cdp_intern *t);
/* Frees the index that adding and finding use, keeping the strings: from
 * then on t is only read by id (cdp_intern_str, cdp_intern_count). For a
 * table complete before a long phase that only reads it: cdp-dedupe's key
 * values, whose index was 64 MB of its 1 GB at 1M persons. */
void cdp_intern_seal(struct cdp_intern *t);
/* Bytes held, for memory reports. */
size_t cdp_intern_bytes(const struct cdp_intern *t);

#endif
