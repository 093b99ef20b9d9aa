/* profile.h: one person's records to one golden profile (what cdp-merge does
 * for each cdp_id).
 *
 * The golden record. Every identifier the person has, as arrays without
 * repeats (emails, phones, cards, customer_ids; the best first), and the best
 * single email and phone. Every other field of the person records survives
 * by a policy: by default the most recent non-empty value (by the record's
 * updated_at, else created_at, else the person's latest event), ties broken
 * by source priority, then by how often the value occurs, then by the
 * smallest value; --rule FIELD=POLICY chooses recent, prefer (source priority
 * first), frequent, first (the oldest), min or max. Consent per channel
 * (consent_email, consent_sms, consent_ads): the most recent dated answer,
 * except that an undated "no" from any record wins over everything (an
 * unsubscribe must never be lost by a merge); consent_X_source names the
 * record that decided ("crm/000123") and consent_X_at when. sources lists
 * every record merged, by source.
 *
 * Traits from events, as of a moment (the end of the --as-of day): purchases
 * and returns, orders and revenue in windows, per category, views, browsing,
 * the abandoned cart, channels and stores, loyalty points. Events after the
 * moment are ignored. A window of N days holds the events of the as-of day
 * and the N-1 days before it. Money is added exactly (in 1/10000 units) and
 * written with two decimals. */
#ifndef CDP_PROFILE_PROFILE_H
#define CDP_PROFILE_PROFILE_H

#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"
#include "io/record.h"

enum cdp_policy { CDP_POLICY_RECENT, CDP_POLICY_PREFER, CDP_POLICY_FREQUENT, CDP_POLICY_FIRST,
                  CDP_POLICY_MIN, CDP_POLICY_MAX };

struct cdp_profile_options {
    int64_t as_of_ms;      /* the moment traits are computed at */
    int64_t as_of_day;     /* its day (days since 1970), for day windows */
    int64_t cart_timeout_ms;
    const char *const *prefer; /* sources, most trusted first */
    size_t nprefer;
    const char *const *rule_fields; /* --rule FIELD=POLICY */
    const enum cdp_policy *rule_policies;
    size_t nrules;
    bool keep_events; /* keep each event's JSON for cdp_profile_events_json */
};

struct cdp_profile;

struct cdp_profile *cdp_profile_new(const struct cdp_profile_options *opt);
void cdp_profile_free(struct cdp_profile *p);

/* Starts a profile. */
void cdp_profile_begin(struct cdp_profile *p, const char *cdp_id, size_t len);
/* Adds one record of the person (copied: rec may change after the call).
 * person: a person record (else an event). */
void cdp_profile_add(struct cdp_profile *p, const struct cdp_record *rec, bool person);
/* Appends the profile as one JSON object without its closing brace, so that
 * a caller can add fields (custom traits) before closing it with '}'. */
void cdp_profile_end(struct cdp_profile *p, struct cdp_buf *out);

/* After cdp_profile_end: appends to out the profile saved for a later
 * moment (moment.h), text (len bytes) being what cdp_profile_end appended.
 * Call before the next begin. */
void cdp_profile_save(const struct cdp_profile *p, const char *text, size_t len, struct cdp_buf *out);

/* The events of the current profile as a JSON array sorted by time (their
 * JSON as read), for custom traits (needs keep_events). Call after
 * cdp_profile_end, before the next begin. */
void cdp_profile_events_json(struct cdp_profile *p, struct cdp_buf *out);

/* "recent" -> CDP_POLICY_RECENT...; false if unknown. */
bool cdp_policy_parse(const char *name, enum cdp_policy *policy);

#endif
