/* contacts.h: the decisions of an export that look across persons, made
 * once for profiles split into shards by cdp_id.
 *
 * One cdp-export decides two things across profiles (export/audience.h,
 * export/writer.h): refused_elsewhere (the contact a row is for belongs also
 * to a profile that refused the channel) and duplicate (a contact is written
 * once, for the first profile that reaches it). Every other reason needs
 * only the profile and the lists given to every shard. Over shards, in three
 * steps (cdp-export(1), SHARDED EXPORTS):
 *
 *  1. each shard, the summary: the contacts of its profiles that refused
 *     the channel (forgotten persons left out, as the refusals pass does),
 *     and a claim for every profile that passed every other check and made
 *     a row with a contact: the row's key (what duplicate compares), the
 *     profile's cdp_id and the contacts refused_elsewhere compares:
 *       {"cdp_export_summary":1,"format":"meta","channel":"ads"}
 *       {"refused_email":"a@b.ru"}   {"refused_phone":"+79161234567"}
 *       {"claim":"KEY","cdp_id":"...","email":"...","phone":"..."}
 *       {"end":1,"profiles":N}
 *     Claims come in cdp_id order, the order of cdp-merge's output: a shard
 *     read in another order is refused, since "first" is that order.
 *  2. one host, the join: every refusal; then, for each key that more than
 *     one profile claims among those whose contacts nobody refused, the
 *     holder: the claimant first in cdp_id order, the one profile that one
 *     run over all profiles in cdp_id order writes the contact for:
 *       {"cdp_export_contacts":1,"format":"meta","channel":"ads"}
 *       {"refused_email":"..."} ... {"contact":"KEY","holder":"cdp_id"} ...
 *       {"end":1,"refused":R,"contested":K}
 *     The summaries must agree on the format and channel (their keys are
 *     that format's cells).
 *  3. each shard, the export with the joined decisions: the refusals of
 *     every shard in place of the shard's own, and a contested key written
 *     only for its holder. The shards' files hold one run's rows (its order
 *     aside), and their counts add up to one run's.
 *
 * Memory of the join: every claimed key and its first claimant (about 100
 * bytes a profile exported), the refused contacts. */
#ifndef CDP_EXPORT_CONTACTS_H
#define CDP_EXPORT_CONTACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "export/audience.h"
#include "io/output.h"

/* ---- step 1: the summary ------------------------------------------------- */

struct cdp_contacts_summary;

/* Writes the head line to out (which the caller commits). */
struct cdp_contacts_summary *cdp_contacts_summary_new(struct cdp_output *out, const char *format,
                                                      enum cdp_channel channel);
void cdp_contacts_summary_free(struct cdp_contacts_summary *s);

/* A profile that refused the channel: c as cdp_audience_refused fills it. */
void cdp_contacts_summary_refusal(struct cdp_contacts_summary *s, const struct cdp_contact *c);

/* A profile that passed the checks, with the key of its row (klen > 0) and
 * its contacts. -1 with err when the profile has no cdp_id, or its cdp_id
 * does not follow the last claim's. */
int cdp_contacts_summary_claim(struct cdp_contacts_summary *s, const char *key, size_t klen,
                               const char *id, size_t idlen, const struct cdp_contact *c,
                               struct cdp_error *err);

/* The end line, with the profiles read. */
void cdp_contacts_summary_end(struct cdp_contacts_summary *s, uint64_t profiles);

/* ---- step 2: the join ---------------------------------------------------- */

struct cdp_contacts_counts {
    uint64_t profiles;  /* read by the shards */
    uint64_t claims;    /* profiles with a row */
    uint64_t refused;   /* distinct refused contacts */
    uint64_t contested; /* keys with a holder */
};

/* Joins the shards' summaries at paths into out. -1 with err when a
 * summary cannot be read, is damaged (file:line), cut short, out of cdp_id
 * order, or made for another format or channel than the first. */
int cdp_contacts_join(const char *const *paths, size_t n, struct cdp_output *out,
                      struct cdp_contacts_counts *counts, struct cdp_error *err);

/* ---- step 3: the export of a shard --------------------------------------- */

struct cdp_contacts;

/* Reads a join's output, made for format and channel (else -1 with err),
 * and gives its refusals to a (cdp_audience_add_refused). */
struct cdp_contacts *cdp_contacts_load(const char *path, const char *format, enum cdp_channel channel,
                                       struct cdp_audience *a, struct cdp_error *err);
void cdp_contacts_free(struct cdp_contacts *c);

/* Whether the key has a holder other than the profile with this cdp_id. */
bool cdp_contacts_held_elsewhere(const struct cdp_contacts *c, const char *key, size_t klen,
                                 const char *id, size_t idlen);

#endif
