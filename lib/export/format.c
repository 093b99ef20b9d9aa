#include "export/format.h"

#include <stdlib.h>
#include <string.h>

#include "export/json_peek.h"
#include "export/platform_ids.h"
#include "base/hash.h"
#include "io/json.h"
#include "norm/text.h"

#define CH(x) (1u << CDP_CHANNEL_##x)
#define ALL_CHANNELS (CH(NONE) | CH(EMAIL) | CH(SMS) | CH(ADS))

static const char *const mailchimp_cols[] = { "Email Address", "First Name", "Last Name",
                                              "Birthday",      "Phone Number", "Tags" };
static const char *const unisender_cols[] = { "email", "phone", "Name", "tags" };
static const char *const sendpulse_cols[] = { "email", "phone", "name" };
static const char *const brevo_cols[] = { "EMAIL", "FIRSTNAME", "LASTNAME", "SMS" };
static const char *const google_cols[] = { "Email",     "Phone",   "First Name",
                                           "Last Name", "Country", "Zip" };
static const char *const meta_cols[] = { "email", "phone",   "fn",   "ln", "ct",
                                         "zip",   "country", "doby", "gen" };

#define COLS(a) a, sizeof a / sizeof *a

static const struct cdp_export_format formats[] = {
    { CDP_EXPORT_CSV, "csv", NULL, 0, ',', CDP_CHANNEL_NONE, ALL_CHANNELS, true, true, true,
      false, false, false },
    { CDP_EXPORT_NDJSON, "ndjson", NULL, 0, 0, CDP_CHANNEL_NONE, ALL_CHANNELS, false, false,
      false, false, false, false },
    { CDP_EXPORT_MAILCHIMP, "mailchimp", COLS(mailchimp_cols), ',', CDP_CHANNEL_EMAIL, CH(EMAIL),
      true, true, false, false, false, true },
    { CDP_EXPORT_UNISENDER, "unisender", COLS(unisender_cols), ',', CDP_CHANNEL_EMAIL,
      CH(EMAIL) | CH(SMS), true, true, false, false, true, true },
    { CDP_EXPORT_SENDPULSE, "sendpulse", COLS(sendpulse_cols), ',', CDP_CHANNEL_EMAIL,
      CH(EMAIL) | CH(SMS), true, true, false, false, true, false },
    { CDP_EXPORT_BREVO, "brevo", COLS(brevo_cols), ';', CDP_CHANNEL_EMAIL, CH(EMAIL) | CH(SMS),
      true, true, false, false, true, false },
    { CDP_EXPORT_GOOGLE, "google-customer-match", COLS(google_cols), ',', CDP_CHANNEL_ADS,
      CH(ADS), true, false, false, true, false, false },
    { CDP_EXPORT_META, "meta", COLS(meta_cols), ',', CDP_CHANNEL_ADS, CH(ADS), true, false,
      false, true, false, false },
    { CDP_EXPORT_SMS, "sms", NULL, 0, 0, CDP_CHANNEL_SMS, CH(SMS), false, false, false, false,
      true, false },
};

const struct cdp_export_format *cdp_export_format_find(const char *name)
{
    for (size_t i = 0; i < sizeof formats / sizeof *formats; i++)
        if (strcmp(formats[i].name, name) == 0)
            return &formats[i];
    return NULL;
}

const char *cdp_export_format_names(void)
{
    return "csv, ndjson, mailchimp, unisender, sendpulse, brevo, google-customer-match, meta, sms";
}

/* ---- cells ------------------------------------------------------------- */

void cdp_cells_reset(struct cdp_cells *c)
{
    cdp_buf_reset(&c->text);
    c->n = 0;
}

void cdp_cells_release(struct cdp_cells *c)
{
    cdp_buf_release(&c->text);
    free(c->off);
    free(c->len);
    memset(c, 0, sizeof *c);
}

struct cdp_buf *cdp_cells_begin(struct cdp_cells *c)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->off = cdp_xrealloc(c->off, c->cap * sizeof *c->off);
        c->len = cdp_xrealloc(c->len, c->cap * sizeof *c->len);
    }
    c->off[c->n] = c->text.len;
    return &c->text;
}

void cdp_cells_end(struct cdp_cells *c)
{
    c->len[c->n] = c->text.len - c->off[c->n];
    c->n++;
}

void cdp_cells_add(struct cdp_cells *c, const char *s, size_t len)
{
    cdp_buf_add(cdp_cells_begin(c), s, len);
    cdp_cells_end(c);
}

void cdp_cells_add_json(struct cdp_cells *c, const char *json, size_t len)
{
    struct cdp_buf *b = cdp_cells_begin(c);
    if (len >= 2 && json[0] == '"')
        cdp_json_string_decode(b, json, len);
    else if (!(len == 4 && memcmp(json, "null", 4) == 0))
        cdp_buf_add(b, json, len);
    cdp_cells_end(c);
}

/* ---- rows -------------------------------------------------------------- */

struct cdp_export_rows {
    const struct cdp_export_format *f;
    enum cdp_channel channel;
    bool plus;
    struct cdp_sha256 *sha;
    struct cdp_buf norm;
};

struct cdp_export_rows *cdp_export_rows_new(const struct cdp_export_format *f,
                                            enum cdp_channel channel, bool plus)
{
    struct cdp_export_rows *m = cdp_xcalloc(1, sizeof *m);
    m->f = f;
    m->channel = channel;
    m->plus = plus;
    if (f->hashed)
        m->sha = cdp_sha256_new();
    return m;
}

void cdp_export_rows_free(struct cdp_export_rows *m)
{
    if (!m)
        return;
    cdp_sha256_free(m->sha);
    cdp_buf_release(&m->norm);
    free(m);
}

/* A profile field's text, trimmed, as a cell ("" when absent). */
static void text_cell(struct cdp_cells *out, const struct cdp_record *rec, const char *key)
{
    const char *s = "";
    size_t len = 0;
    if (cdp_field_text(rec, key, &s, &len))
        cdp_text_trim(&s, &len);
    cdp_cells_add(out, s, len);
}

/* The cell made by norm from a field (or from the given text), hashed when
 * hash: an empty result stays empty. */
typedef bool (*norm_fn)(struct cdp_buf *, const char *, size_t);

static void hashed_cell(struct cdp_export_rows *m, struct cdp_cells *out, const char *s,
                        size_t len, norm_fn norm)
{
    cdp_buf_reset(&m->norm);
    struct cdp_buf *b = cdp_cells_begin(out);
    if (len && (norm ? norm(&m->norm, s, len) : (cdp_buf_add(&m->norm, s, len), true)) &&
        m->norm.len)
        cdp_sha256_add_hex(m->sha, b, m->norm.data, m->norm.len);
    cdp_cells_end(out);
}

static void hashed_field(struct cdp_export_rows *m, struct cdp_cells *out,
                         const struct cdp_record *rec, const char *key, norm_fn norm)
{
    const char *s = "";
    size_t len = 0;
    cdp_field_text(rec, key, &s, &len);
    hashed_cell(m, out, s, len, norm);
}

static void tags_cell(struct cdp_cells *out, const struct cdp_contact *c)
{
    struct cdp_buf *b = cdp_cells_begin(out);
    const char *p = c->tags.data;
    for (size_t i = 0; i < c->ntags; i++) {
        size_t k = strlen(p);
        if (i)
            cdp_buf_addc(b, ',');
        cdp_buf_add(b, p, k);
        p += k + 1;
    }
    cdp_cells_end(out);
}

static void birthday_cell(struct cdp_cells *out, const struct cdp_record *rec)
{
    const char *s;
    size_t len;
    struct cdp_buf *b = cdp_cells_begin(out);
    if (cdp_field_text(rec, "birth_date", &s, &len))
        cdp_norm_birthday_mmdd(b, s, len);
    cdp_cells_end(out);
}

void cdp_export_rows_cells(struct cdp_export_rows *m, const struct cdp_record *rec,
                           const struct cdp_contact *c, struct cdp_cells *out)
{
    /* The e-mail and mobile cells of a mailing-service file: the channel's
     * own contact, the other only with its consent. */
    bool email_ok = m->channel == CDP_CHANNEL_EMAIL || c->consent_email;
    bool sms_ok = m->channel == CDP_CHANNEL_SMS || c->consent_sms;
    const char *email = email_ok ? c->email : "";
    size_t email_len = email_ok ? c->email_len : 0;
    const char *mobile = sms_ok ? c->mobile : "";
    switch (m->f->kind) {
    case CDP_EXPORT_CSV:
    case CDP_EXPORT_NDJSON:
        break;
    case CDP_EXPORT_MAILCHIMP:
        cdp_cells_add(out, email, email_len);
        text_cell(out, rec, "first_name");
        text_cell(out, rec, "last_name");
        birthday_cell(out, rec);
        cdp_cells_add(out, c->consent_sms ? c->phone : "", c->consent_sms ? strlen(c->phone) : 0);
        tags_cell(out, c);
        break;
    case CDP_EXPORT_UNISENDER:
        cdp_cells_add(out, email, email_len);
        cdp_cells_add(out, mobile, strlen(mobile));
        text_cell(out, rec, "first_name");
        tags_cell(out, c);
        break;
    case CDP_EXPORT_SENDPULSE:
        cdp_cells_add(out, email, email_len);
        cdp_cells_add(out, mobile, strlen(mobile));
        text_cell(out, rec, "first_name");
        break;
    case CDP_EXPORT_BREVO:
        cdp_cells_add(out, email, email_len);
        text_cell(out, rec, "first_name");
        text_cell(out, rec, "last_name");
        cdp_cells_add(out, mobile, strlen(mobile));
        break;
    case CDP_EXPORT_GOOGLE: {
        hashed_cell(m, out, c->email, c->email_len, cdp_norm_email_google);
        hashed_cell(m, out, c->phone, strlen(c->phone), NULL);
        hashed_field(m, out, rec, "first_name", cdp_norm_name_google);
        hashed_field(m, out, rec, "last_name", cdp_norm_name_google);
        const char *s;
        size_t len;
        struct cdp_buf *b = cdp_cells_begin(out);
        if (cdp_field_text(rec, "country", &s, &len))
            cdp_norm_country(b, s, len, true);
        cdp_cells_end(out);
        text_cell(out, rec, "postal_code");
        break;
    }
    case CDP_EXPORT_META: {
        hashed_cell(m, out, c->email, c->email_len, NULL);
        const char *digits = c->phone[0] == '+' ? c->phone + 1 : c->phone;
        hashed_cell(m, out, digits, strlen(digits), NULL);
        hashed_field(m, out, rec, "first_name", cdp_norm_letters_meta);
        hashed_field(m, out, rec, "last_name", cdp_norm_letters_meta);
        hashed_field(m, out, rec, "city", cdp_norm_letters_meta);
        const char *country = "", *zip = "", *s;
        size_t clen = 0, zlen = 0, len;
        cdp_field_text(rec, "country", &country, &clen);
        cdp_text_trim(&country, &clen);
        cdp_field_text(rec, "postal_code", &zip, &zlen);
        cdp_buf_reset(&m->norm);
        struct cdp_buf *b = cdp_cells_begin(out);
        if (zlen && cdp_norm_zip_meta(&m->norm, zip, zlen, country, clen))
            cdp_sha256_add_hex(m->sha, b, m->norm.data, m->norm.len);
        cdp_cells_end(out);
        cdp_buf_reset(&m->norm);
        b = cdp_cells_begin(out);
        if (clen && cdp_norm_country(&m->norm, country, clen, false))
            cdp_sha256_add_hex(m->sha, b, m->norm.data, m->norm.len);
        cdp_cells_end(out);
        cdp_buf_reset(&m->norm);
        b = cdp_cells_begin(out);
        if (cdp_field_text(rec, "birth_date", &s, &len) && cdp_norm_birth_year(&m->norm, s, len))
            cdp_sha256_add_hex(m->sha, b, m->norm.data, m->norm.len);
        cdp_cells_end(out);
        hashed_field(m, out, rec, "gender", cdp_norm_gender);
        break;
    }
    case CDP_EXPORT_SMS: {
        const char *p = c->mobile;
        if (!m->plus && p[0] == '+')
            p++;
        cdp_cells_add(out, p, strlen(p));
        break;
    }
    }
}

size_t cdp_export_key_columns(const struct cdp_export_format *f, enum cdp_channel channel,
                              size_t idx[2])
{
    switch (f->kind) {
    case CDP_EXPORT_NDJSON:
        return 0;
    case CDP_EXPORT_UNISENDER:
    case CDP_EXPORT_SENDPULSE:
        idx[0] = channel == CDP_CHANNEL_SMS ? 1 : 0;
        return 1;
    case CDP_EXPORT_BREVO:
        idx[0] = channel == CDP_CHANNEL_SMS ? 3 : 0;
        return 1;
    case CDP_EXPORT_GOOGLE:
    case CDP_EXPORT_META:
        idx[0] = 0;
        idx[1] = 1;
        return 2;
    default:
        idx[0] = 0;
        return 1;
    }
}

void cdp_export_contact_key(const struct cdp_export_format *f, enum cdp_channel channel,
                            const struct cdp_contact *c, const struct cdp_cells *cells,
                            const char **key, size_t *len)
{
    *key = "";
    *len = 0;
    if (f->kind != CDP_EXPORT_CSV && f->kind != CDP_EXPORT_NDJSON) {
        size_t idx[2];
        size_t n = cdp_export_key_columns(f, channel, idx);
        for (size_t j = 0; j < n; j++)
            if (idx[j] < cells->n && cells->len[idx[j]]) {
                *key = cells->text.data + cells->off[idx[j]];
                *len = cells->len[idx[j]];
                return;
            }
        return;
    }
    switch (channel) {
    case CDP_CHANNEL_EMAIL:
        *key = c->email, *len = c->email_len;
        break;
    case CDP_CHANNEL_SMS:
        *key = c->mobile, *len = strlen(c->mobile);
        break;
    case CDP_CHANNEL_ADS:
        if (c->email_len)
            *key = c->email, *len = c->email_len;
        else
            *key = c->phone, *len = strlen(c->phone);
        break;
    case CDP_CHANNEL_NONE:
        break;
    }
}
