/* format.h: the files each platform accepts, column by column.
 *
 * A format fixes the header row, the delimiter, the channel (email, sms,
 * ads) its contacts are for, and how each cell is made from a profile and
 * the contacts export/audience.h chose. Exact headers and value rules:
 *
 *   mailchimp   Email Address,First Name,Last Name,Birthday,Phone Number,Tags
 *               Birthday MM/DD; Phone Number E.164 (only with consent_sms);
 *               Tags the segments, comma-separated in one (quoted) cell
 *   unisender   email,phone,Name,tags      (importContacts field names)
 *   sendpulse   email,phone,name           (our layout: not documented)
 *   brevo       EMAIL;FIRSTNAME;LASTNAME;SMS   (';', attribute names)
 *   google-customer-match  Email,Phone,First Name,Last Name,Country,Zip
 *               Email, Phone, names SHA-256 (export/platform_ids.h); Country, Zip not
 *   meta        email,phone,fn,ln,ct,zip,country,doby,gen, all SHA-256
 *   sms         no header; one mobile a line, E.164 (or digits only)
 *   csv         the -c columns (jq), any delimiter
 *   ndjson      the profile lines as read
 *
 * The phone cells of the mailing services (unisender, sendpulse, brevo's
 * SMS) hold the mobile, and only when consent_sms is true; in a file for
 * --channel sms the e-mail cell is filled only when consent_email is true:
 * a file never opens a channel the person did not agree to. */
#ifndef CDP_EXPORT_FORMAT_H
#define CDP_EXPORT_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "export/audience.h"
#include "io/record.h"

enum cdp_export_kind {
    CDP_EXPORT_CSV,
    CDP_EXPORT_NDJSON,
    CDP_EXPORT_MAILCHIMP,
    CDP_EXPORT_UNISENDER,
    CDP_EXPORT_SENDPULSE,
    CDP_EXPORT_BREVO,
    CDP_EXPORT_GOOGLE,
    CDP_EXPORT_META,
    CDP_EXPORT_SMS,
};

struct cdp_export_format {
    enum cdp_export_kind kind;
    const char *name;
    const char *const *columns; /* the fixed columns (before any -c) */
    size_t ncolumns;
    char delimiter;
    enum cdp_channel channel; /* the default */
    unsigned channels;        /* allowed: bit (1 << channel) */
    bool header;              /* a header row (CSV) */
    bool extra_columns;       /* -c columns may follow the fixed ones */
    bool own_delimiter;       /* -d and --bom may change the file */
    bool hashed;
    bool want_mobile, want_tags;
};

/* NULL when there is no format of that name. */
const struct cdp_export_format *cdp_export_format_find(const char *name);
/* "csv, ndjson, mailchimp, ..." for messages. */
const char *cdp_export_format_names(void);

/* One row's cells, as text (decoded, not yet quoted). */
struct cdp_cells {
    struct cdp_buf text;
    size_t *off, *len;
    size_t n, cap;
};

void cdp_cells_reset(struct cdp_cells *c);
void cdp_cells_release(struct cdp_cells *c);
/* Appends a cell. */
void cdp_cells_add(struct cdp_cells *c, const char *s, size_t len);
/* Or: begin a cell, append its text to the returned buffer, end it. */
struct cdp_buf *cdp_cells_begin(struct cdp_cells *c);
void cdp_cells_end(struct cdp_cells *c);

/* Appends a jq output (one compact JSON value) as a cell: a string as its
 * text, null as an empty cell, anything else as the JSON text. */
void cdp_cells_add_json(struct cdp_cells *c, const char *json, size_t len);

struct cdp_export_rows;

/* plus: the sms format writes "+" before the digits. */
struct cdp_export_rows *cdp_export_rows_new(const struct cdp_export_format *f,
                                            enum cdp_channel channel, bool plus);
void cdp_export_rows_free(struct cdp_export_rows *m);

/* Appends the format's fixed cells for one profile to out. */
void cdp_export_rows_cells(struct cdp_export_rows *m, const struct cdp_record *rec,
                           const struct cdp_contact *c, struct cdp_cells *out);

/* The columns that name the contact of a row, in order of preference (the
 * first that is not empty is the row's key): sets idx and returns how many
 * (1 or 2). For csv, the first column; ndjson has none (0: key by cdp_id). */
size_t cdp_export_key_columns(const struct cdp_export_format *f, enum cdp_channel channel,
                              size_t idx[2]);

/* The contact a row is written for, to write each once: the first
 * non-empty key cell (export_key_columns) of a platform's row; for csv and
 * ndjson, whose columns are the user's, the channel's contact: the e-mail,
 * the mobile, for ads the e-mail or else the phone, and none for channel
 * none. Sets *len 0 when there is none. */
void cdp_export_contact_key(const struct cdp_export_format *f, enum cdp_channel channel,
                            const struct cdp_contact *c, const struct cdp_cells *cells,
                            const char **key, size_t *len);

#endif
