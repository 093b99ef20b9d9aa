/* audience.h: who of the profiles may be sent to, on which channel.
 *
 * This is where consent is honoured, so the rules are few and strict. For
 * one profile (as cdp-merge and cdp-segment write it) the check answers
 * either "yes, with these contacts" or the first reason it fails, in this
 * order:
 *
 *   gone            a record of cdp-segment --previous for a person no longer
 *                   in the input ("gone": true): not a profile
 *   not_in_segment  segments were asked for and the profile is in none of
 *                   them (its "segments" array)
 *   holdout         it is in the asked segments only as a held-out control
 *                   (its "holdout" array, which cdp-segment fills instead of
 *                   "segments"): never exported unless include_holdout.
 *                   With no segment asked, the file is not any segment's
 *                   campaign and nobody is left out for being held out (a
 *                   control group gets what everyone gets, or the lift it
 *                   measures is wrong); the held-out segment is not among
 *                   the person's tags.
 *   channel email:  no_email (no address at all), invalid_email (none
 *                   passes email.h's check), no_consent (consent_email is
 *                   not true)
 *   channel sms:    no_phone, invalid_phone, no_mobile (no number that
 *                   libphonenumber calls mobile, or fixed line or mobile),
 *                   no_consent (consent_sms is not true)
 *   channel ads:    no_contact (neither a valid e-mail nor a valid phone),
 *                   no_consent (consent_ads false or null; absent too when
 *                   strict_consent: sources rarely record it, so by default
 *                   a profile without the field may be sent)
 *   channel none:   nothing is checked (csv and ndjson files for programs)
 *
 * Contacts: the e-mail is "email" if valid, else the first valid one of
 * "emails"; the phone is "phone" (or the first valid of "phones") in E.164
 * (taken as written when it already is E.164, else normalised for region);
 * the mobile is the first of phone, phones that libphonenumber types as
 * mobile. All valid e-mails and phones are kept for suppression matching.
 *
 * Then, with suppression lists (cdp_audience_add_suppression) and the
 * refusals pass (cdp_audience_read_refusals), in this order:
 *
 *   suppressed         an e-mail or phone of the profile is on a list
 *                      (export/suppress.h says how entries match)
 *   refused_elsewhere  the contact the row is for (the e-mail; the mobile;
 *                      for ads the e-mail or the phone) belongs also to a
 *                      profile that refused the channel: an address is one
 *                      mailbox, and its owner said no
 *
 * The last reasons are decided by the file being written (export/writer.h);
 * they are listed here so that every count has one name: duplicate (the
 * contact was written already), column_error (a jq column failed). */
#ifndef CDP_EXPORT_AUDIENCE_H
#define CDP_EXPORT_AUDIENCE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/error.h"
#include "export/suppress.h"
#include "io/forgetlist.h"
#include "io/reader.h"
#include "io/record.h"
#include "norm/phone.h"

enum cdp_channel { CDP_CHANNEL_NONE, CDP_CHANNEL_EMAIL, CDP_CHANNEL_SMS, CDP_CHANNEL_ADS };

/* "none", "email", "sms", "ads"; false when unknown. */
bool cdp_channel_parse(const char *s, enum cdp_channel *ch);
const char *cdp_channel_name(enum cdp_channel ch);

enum cdp_skip {
    CDP_SKIP_NONE = 0,
    CDP_SKIP_GONE,
    CDP_SKIP_NOT_IN_SEGMENT,
    CDP_SKIP_HOLDOUT,
    CDP_SKIP_NO_EMAIL,
    CDP_SKIP_INVALID_EMAIL,
    CDP_SKIP_NO_PHONE,
    CDP_SKIP_INVALID_PHONE,
    CDP_SKIP_NO_MOBILE,
    CDP_SKIP_NO_CONTACT,
    CDP_SKIP_NO_CONSENT,
    CDP_SKIP_SUPPRESSED,
    CDP_SKIP_REFUSED_ELSEWHERE,
    CDP_SKIP_DUPLICATE,
    CDP_SKIP_COLUMN_ERROR,
    CDP_SKIP_FORGOTTEN, /* on the forget list: see cdp_audience_forget */
    CDP_SKIP_COUNT
};

/* "gone", "not_in_segment", "holdout", ... (the names in --stats). */
const char *cdp_skip_name(enum cdp_skip s);

/* What a profile offers, valid until the next check. Strings in the lists
 * are NUL-terminated one after another. */
struct cdp_contact {
    const char *email; /* the chosen e-mail, "" when none */
    size_t email_len;
    char phone[CDP_PHONE_E164_MAX];  /* the chosen phone, "" when none */
    char mobile[CDP_PHONE_E164_MAX]; /* the chosen mobile, "" when none (only
                                        looked for when want_mobile) */
    bool consent_email, consent_sms, consent_ads;
    bool ads_consent_absent; /* channel ads, exported without consent_ads */
    struct cdp_buf emails;   /* every valid e-mail, normalised */
    size_t nemails;
    struct cdp_buf phones;   /* every valid phone, E.164 */
    size_t nphones;
    struct cdp_buf tags;     /* segments the profile is in and not held out of */
    size_t ntags;
};

void cdp_contact_release(struct cdp_contact *c);

struct cdp_audience_options {
    enum cdp_channel channel;
    const char *const *segments; /* asked for (any of them); none: everyone */
    size_t nsegments;
    bool include_holdout;
    bool strict_consent;
    bool want_mobile; /* look for a mobile even when the channel is not sms */
    bool want_tags;
    const char *region; /* for phones not in E.164; NULL: "RU" */
};

struct cdp_audience;

/* NULL with err when the region is unknown. Copies what it needs. */
struct cdp_audience *cdp_audience_new(const struct cdp_audience_options *opt,
                                      struct cdp_error *err);
void cdp_audience_free(struct cdp_audience *a);

/* With a forget list (io/forgetlist.h: its cdp_id, an e-mail, phone, card
 * or customer id of the profile on it), a profile is "forgotten" before any
 * other reason, and its refusals are not read. The list must outlive a. */
void cdp_audience_forget(struct cdp_audience *a, const struct cdp_forgetlist *l);

/* CDP_SKIP_NONE with c filled, or the first reason the profile is left out
 * (c then holds what was found so far). */
enum cdp_skip cdp_audience_check(struct cdp_audience *a, const struct cdp_record *rec,
                                 struct cdp_contact *c);

/* The first segment asked for that no profile checked so far had at all
 * (in "segments" or "holdout"), or NULL: a misspelt -s NAME selects no
 * one, and against a previous export it would remove everyone
 * (export/exporter.h refuses that unless told, see cdp-export(1)). */
const char *cdp_audience_uncarried(const struct cdp_audience *a);

/* A quick look at an NDJSON line: true when the line, if it is a valid
 * JSON object, is a profile cdp_audience_check would skip as forgotten or
 * not_in_segment; false when that takes a parse. True only when segments
 * are asked and the line holds no asked name and no "gone" in quotes, and
 * no backslash (with which a string could spell them otherwise). Measured
 * on 130,876 segment lines (182 MB): checking that lines are valid took
 * 0.24-0.30 s, parsing them 0.57-0.70 s. */
bool cdp_audience_outside_line(const struct cdp_audience *a, const char *line, size_t len);

/* Which of the two such a profile is: CDP_SKIP_FORGOTTEN (which comes
 * first) or CDP_SKIP_NOT_IN_SEGMENT. rec needs only the members
 * cdp_forget_check_names names, and none without a forget list. */
enum cdp_skip cdp_audience_outside(const struct cdp_audience *a, const struct cdp_record *rec);

/* Whether the profile refused the channel: consent_email (email),
 * consent_sms (sms) or consent_ads (ads) is false. Then c holds its valid
 * e-mails (email, ads) and phones (sms, ads) as for a check. Channel none:
 * false. */
bool cdp_audience_refused(struct cdp_audience *a, const struct cdp_record *rec,
                          struct cdp_contact *c);

/* A quick look at an NDJSON line before parsing it for
 * cdp_audience_refused: false only when the line cannot hold a refusal of
 * the channel (no "consent_email" key followed by false; a line with \u
 * escapes, which could spell the key otherwise, is always worth a parse). */
bool cdp_audience_may_refuse(const struct cdp_audience *a, const char *line, size_t len);

/* The contacts refused_elsewhere compares for a row of the channel: the
 * e-mail (email, ads) and the mobile (sms) or phone (ads); len 0 for none. */
void cdp_contact_compared(enum cdp_channel ch, const struct cdp_contact *c, const char **email,
                          size_t *email_len, const char **phone, size_t *phone_len);

/* Adds a contact refused by some profile (a normalised e-mail, or with
 * phone an E.164 number), as the refusals pass does: for a sharded export,
 * whose refusals are read from the shards (export/contacts.h). */
int cdp_audience_add_refused(struct cdp_audience *a, bool phone, const char *s, size_t len,
                             struct cdp_error *err);

/* Reads a suppression list (export/suppress.h; column: as there). bad is
 * called for each entry that is not used. */
int cdp_audience_add_suppression(struct cdp_audience *a, const char *path, const char *column,
                                 cdp_suppress_bad_fn bad, void *ctx, struct cdp_error *err);

/* The lists read so far, for their counts; NULL when none. */
const struct cdp_suppress *cdp_audience_suppression(const struct cdp_audience *a);

/* The first pass over an input (ro: how to read it), before any check: the
 * valid e-mails and phones of every profile that refused the channel
 * (cdp_audience_refused), for refused_elsewhere. Lines that are not
 * profiles are passed over (the second pass reports them). Channel none:
 * nothing to do. */
int cdp_audience_read_refusals(struct cdp_audience *a, const char *path,
                               const struct cdp_reader_options *ro, struct cdp_error *err);

/* The text of a string or number field, or false (absent, null, other). */
bool cdp_field_text(const struct cdp_record *rec, const char *key, const char **s, size_t *len);

#endif
