/* forgetlist.h: the forget list, what would bring back a person who asked
 * to be forgotten.
 *
 * cdp-forget erases a person from every file the nightly run keeps (the
 * right to erasure: 152-FZ art. 21, GDPR art. 17). The sources would bring
 * them back the next night (a CRM may take weeks to delete them), so it
 * also puts on this list keyed hashes of
 *   - their identifiers as the canonical records hold them (cdp-ingest
 *     normalised): customer_id, email, phone, card, anon_id;
 *   - their person records, by _source and _rid: as for cdp-dedupe's state,
 *     a person record keeps its _rid from night to night;
 *   - their person ids, cdp_id;
 * and cdp-ingest drops the records the list matches (as "forgotten"),
 * cdp-dedupe neither links nor writes them (and drops them from its state),
 * cdp-export never exports them.
 *
 * An entry is HMAC-SHA-256 (base/hash.h) of "FIELD\x1FVALUE" (for a record
 * "_rid\x1FSOURCE\x1FRID") under a secret of 32 random bytes: the list never
 * holds a value, and without the secret nobody can even test a guess
 * against it (a plain hash of a phone number is reversed by trying every
 * number). The secret is kept in FILE.secret beside the list as 64
 * hexadecimal digits, mode 0600, created with the list; a secret that
 * others may read is refused. Lose the secret and the list matches nothing,
 * so a list without its secret is an error, never an empty list.
 *
 * The list (NDJSON, replaced whole, entries in byte order so that their
 * order says nothing about which are one person's):
 *
 *   {"format":"cdp-forget-list","version":1,"key":"1f0c5e2a9b7d3c44"}
 *   {"h":"<64 hexadecimal digits>"}
 *   {"end":true,"entries":1}
 *
 * "key" is the start of HMAC(secret, "cdp-forget-list"): a list read with
 * another list's secret is refused. A missing list is an empty one (nobody
 * forgotten yet); a damaged, cut short or foreign one is an error
 * (io/runfile.h's policy). */
#ifndef CDP_IO_FORGETLIST_H
#define CDP_IO_FORGETLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "io/output.h"
#include "io/record.h"
#include "io/replace.h"

struct cdp_forgetlist;

/* Reads the list at path and its secret (path + ".secret"). NULL with err
 * when either is damaged, the secret is missing beside a list, or they do
 * not belong together. */
struct cdp_forgetlist *cdp_forgetlist_open(const char *path, struct cdp_error *err);

/* An empty list kept in memory only, under a secret of its own. */
struct cdp_forgetlist *cdp_forgetlist_new(void);

void cdp_forgetlist_free(struct cdp_forgetlist *l);

/* Entries on the list. */
size_t cdp_forgetlist_count(const struct cdp_forgetlist *l);

/* Whether the list keys a field of that name: customer_id, email, phone,
 * card, anon_id (the identifiers of cdp-schema(5)) and cdp_id. */
bool cdp_forgetlist_field(const char *name, size_t len);

/* Adds field's value (len bytes), or a person record; true when it was not
 * on the list yet. Not thread-safe. */
bool cdp_forgetlist_add(struct cdp_forgetlist *l, const char *field, const char *value, size_t len);
bool cdp_forgetlist_add_record(struct cdp_forgetlist *l, const char *source, size_t slen,
                               const char *rid, size_t rlen);

/* Writes the list (and, the first time, its secret) to be replaced with
 * the other files of r (io/replace.h: the secret first, then the list). */
int cdp_forgetlist_stage(struct cdp_forgetlist *l, const char *path, struct cdp_replace *r,
                         struct cdp_error *err);

/* ---- checking records -------------------------------------------------- */

/* A checker: one per thread (it hashes). The list must outlive it and not
 * change while it is used. With an empty list every check is false at no
 * cost. */
struct cdp_forget_check;

struct cdp_forget_check *cdp_forget_check_new(const struct cdp_forgetlist *l);
void cdp_forget_check_free(struct cdp_forget_check *c);

/* Whether the list holds field's value, or the person record. */
bool cdp_forget_check_value(struct cdp_forget_check *c, const char *field, const char *value,
                            size_t len);
bool cdp_forget_check_record_id(struct cdp_forget_check *c, const char *source, size_t slen,
                                const char *rid, size_t rlen);

/* Whether the list matches a record (canonical, linked, a profile, a
 * segment line): by its cdp_id; by each identifier field, a string, or in
 * a profile an array of strings (emails, phones, cards, customer_ids,
 * anon_ids); and, for a person record (a record with _source and _rid whose
 * _kind is not "event", nor has no _kind but an "event" field: the rule of
 * identity/graph.h), by _source and _rid. */
bool cdp_forget_check_record(struct cdp_forget_check *c, const struct cdp_record *rec);

/* Adds to set the members cdp_forget_check_record reads: a record parsed
 * with only these (cdp_json_parse_object_some) gets the same answer as the
 * whole record. */
struct cdp_json_names;
void cdp_forget_check_names(struct cdp_json_names *set);

/* Copies the NDJSON records of path to out but those the list matches,
 * line by line as written; counts both. -1 with err when path cannot be
 * read or has a line that is not a JSON object (io/runfile.h). */
int cdp_forget_check_file(struct cdp_forget_check *c, const char *path, struct cdp_output *out,
                          uint64_t *kept, uint64_t *removed, struct cdp_error *err);

#endif
