/* suppress.h: global unsubscribe and complaint lists, matched as sent.
 *
 * A suppression list names people who must never be sent to, whatever the
 * profile says: one e-mail, phone or SHA-256 hash a line (blank lines and
 * lines starting with '#' are skipped), or, with a column name, a CSV file
 * with a header row (delimiter sniffed) whose column holds them. Files may
 * be zstd or gzip compressed.
 *
 * Every entry is normalised as profiles are: an e-mail is trimmed and
 * lower-cased (" Ivan@Mail.RU " suppresses "ivan@mail.ru"), a phone goes to
 * E.164 (written without a country code it is read as in region), and a hash
 * (64 hex digits) is lower-cased. An e-mail suppresses a person when it
 * equals one of theirs; a hash when it is the SHA-256 of one of their e-mails
 * (as written, or as Google normalises it), of a phone in E.164 ("+7...") or
 * of its digits alone ("7...", Meta's form). An entry that is none of these
 * is not used, and reported through the callback.
 *
 * Lines end in LF, CR LF or CR alone; a list starting with a UTF-16
 * byte-order mark is read as UTF-16. An unsubscribe list is never ignored
 * in silence: a list of which every entry, or more than one entry and more
 * than 1% of them, cannot be used is an error (it is not the list it
 * seems; its people would be sent to). */
#ifndef CDP_EXPORT_SUPPRESS_H
#define CDP_EXPORT_SUPPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct cdp_suppress;

/* region: for phones written without a country code (NULL: "RU"). NULL with
 * err when the region is unknown. */
struct cdp_suppress *cdp_suppress_new(const char *region, struct cdp_error *err);
void cdp_suppress_free(struct cdp_suppress *s);

/* Called for each entry that is not used: file, line, the entry's text. */
typedef void (*cdp_suppress_bad_fn)(void *ctx, const char *file, uint64_t line, const char *text,
                                    size_t len);

/* Reads one list. column NULL: one entry a line; else the CSV column of that
 * name. Returns 0, or -1 with err (cannot read, no such column, too many
 * entries that cannot be used). */
int cdp_suppress_load(struct cdp_suppress *s, const char *path, const char *column,
                      cdp_suppress_bad_fn bad, void *ctx, struct cdp_error *err);

/* Adds a normalised e-mail, or an E.164 phone, as an entry. */
void cdp_suppress_add_email(struct cdp_suppress *s, const char *email, size_t len);
void cdp_suppress_add_phone(struct cdp_suppress *s, const char *e164, size_t len);

/* Entries held, by kind. */
void cdp_suppress_counts(const struct cdp_suppress *s, size_t *emails, size_t *phones,
                         size_t *hashes, size_t *unused);

/* Whether a normalised e-mail, or an E.164 phone, is suppressed. */
bool cdp_suppress_email(struct cdp_suppress *s, const char *email, size_t len);
bool cdp_suppress_phone(struct cdp_suppress *s, const char *e164, size_t len);

#endif
