#include "export/audience.h"

#include <stdlib.h>
#include <string.h>

#include "base/find.h"
#include "export/json_peek.h"
#include "export/platform_ids.h"
#include "io/json.h"
#include "norm/email.h"
#include "norm/text.h"

struct cdp_audience {
    struct cdp_audience_options opt;
    char **segments;
    bool *carried;   /* per asked segment: some profile has it (segments or holdout) */
    size_t uncarried; /* asked segments no profile had so far */
    size_t *seglen;
    char **quoted; /* per asked segment: its name in quotes, as a line writes it */
    struct cdp_phone_normalizer *pn;
    struct cdp_buf scratch;
    struct cdp_buf value;
    char *region;                /* for the suppression lists */
    struct cdp_suppress *lists;  /* --suppress; NULL: none */
    struct cdp_suppress *refused; /* contacts of profiles that refused the channel */
    struct cdp_contact refusal;  /* scratch of the refusals pass */
    struct cdp_forget_check *forget; /* --forgotten; NULL: none */
};

bool cdp_channel_parse(const char *s, enum cdp_channel *ch)
{
    static const char *const names[] = { "none", "email", "sms", "ads" };
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            *ch = (enum cdp_channel)i;
            return true;
        }
    return false;
}

const char *cdp_channel_name(enum cdp_channel ch)
{
    static const char *const names[] = { "none", "email", "sms", "ads" };
    return (unsigned)ch < 4 ? names[ch] : "none";
}

const char *cdp_skip_name(enum cdp_skip s)
{
    static const char *const names[] = {
        "exported",   "gone",       "not_in_segment", "holdout",
        "no_email",   "invalid_email", "no_phone",   "invalid_phone",
        "no_mobile",  "no_contact", "no_consent",    "suppressed",
        "refused_elsewhere", "duplicate",  "column_error", "forgotten",
    };
    return (unsigned)s < CDP_SKIP_COUNT ? names[s] : "unknown";
}

void cdp_contact_release(struct cdp_contact *c)
{
    cdp_buf_release(&c->emails);
    cdp_buf_release(&c->phones);
    cdp_buf_release(&c->tags);
}

struct cdp_audience *cdp_audience_new(const struct cdp_audience_options *opt,
                                      struct cdp_error *err)
{
    char why[256];
    struct cdp_phone_normalizer *pn =
        cdp_phone_normalizer_new(opt->region ? opt->region : "RU", why, sizeof why);
    if (!pn) {
        cdp_errorf(err, "%s", why);
        return NULL;
    }
    struct cdp_audience *a = cdp_xcalloc(1, sizeof *a);
    a->opt = *opt;
    a->pn = pn;
    a->segments = cdp_xcalloc(opt->nsegments + 1, sizeof *a->segments);
    a->seglen = cdp_xcalloc(opt->nsegments + 1, sizeof *a->seglen);
    a->carried = cdp_xcalloc(opt->nsegments + 1, sizeof *a->carried);
    a->quoted = cdp_xcalloc(opt->nsegments + 1, sizeof *a->quoted);
    a->uncarried = opt->nsegments;
    for (size_t i = 0; i < opt->nsegments; i++) {
        a->segments[i] = cdp_xstrdup(opt->segments[i]);
        a->seglen[i] = strlen(opt->segments[i]);
        a->quoted[i] = cdp_xmalloc(a->seglen[i] + 3);
        a->quoted[i][0] = '"';
        memcpy(a->quoted[i] + 1, opt->segments[i], a->seglen[i]);
        memcpy(a->quoted[i] + 1 + a->seglen[i], "\"", 2);
    }
    a->opt.segments = (const char *const *)a->segments;
    a->region = opt->region ? cdp_xstrdup(opt->region) : NULL;
    a->opt.region = NULL;
    return a;
}

void cdp_audience_free(struct cdp_audience *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->opt.nsegments; i++) {
        free(a->segments[i]);
        free(a->quoted[i]);
    }
    free(a->segments);
    free(a->quoted);
    free(a->seglen);
    free(a->carried);
    cdp_phone_normalizer_free(a->pn);
    cdp_buf_release(&a->scratch);
    cdp_buf_release(&a->value);
    free(a->region);
    cdp_suppress_free(a->lists);
    cdp_suppress_free(a->refused);
    cdp_contact_release(&a->refusal);
    cdp_forget_check_free(a->forget);
    free(a);
}

bool cdp_field_text(const struct cdp_record *rec, const char *key, const char **s, size_t *len)
{
    const struct cdp_field *f = cdp_record_gets(rec, key);
    if (!f || (f->type != CDP_STRING && f->type != CDP_NUMBER))
        return false;
    *s = f->val;
    *len = f->vlen;
    return true;
}

/* Whether list (NUL-separated, n items) holds s. */
static bool list_has(const struct cdp_buf *list, size_t n, const char *s, size_t len)
{
    const char *p = list->data;
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(p);
        if (k == len && memcmp(p, s, len) == 0)
            return true;
        p += k + 1;
    }
    return false;
}

static void list_add(struct cdp_buf *list, size_t *n, const char *s, size_t len)
{
    cdp_buf_add(list, s, len);
    cdp_buf_addc(list, '\0');
    (*n)++;
}

static bool consent(const struct cdp_record *rec, const char *key, bool *present)
{
    const struct cdp_field *f = cdp_record_gets(rec, key);
    if (present)
        *present = f != NULL;
    return f && f->type == CDP_TRUE;
}

/* One e-mail text: normalised and kept when valid. Returns whether there
 * was any text. */
static bool take_email(struct cdp_audience *a, struct cdp_contact *c, const char *s, size_t len)
{
    cdp_text_trim(&s, &len);
    if (len == 0)
        return false;
    cdp_buf_reset(&a->scratch);
    if (cdp_email_normalize(&a->scratch, s, len) &&
        !list_has(&c->emails, c->nemails, a->scratch.data, a->scratch.len))
        list_add(&c->emails, &c->nemails, a->scratch.data, a->scratch.len);
    return true;
}

static bool is_mobile(enum cdp_phone_type t)
{
    return t == CDP_PHONE_MOBILE || t == CDP_PHONE_FIXED_LINE_OR_MOBILE;
}

static bool take_phone(struct cdp_audience *a, struct cdp_contact *c, const char *s, size_t len)
{
    cdp_text_trim(&s, &len);
    if (len == 0)
        return false;
    char e164[CDP_PHONE_E164_MAX];
    enum cdp_phone_type type = CDP_PHONE_UNKNOWN;
    bool valid;
    if (cdp_e164_syntax(s, len)) {
        memcpy(e164, s, len);
        e164[len] = '\0';
        valid = true;
        if (a->opt.want_mobile || a->opt.channel == CDP_CHANNEL_SMS) {
            char again[CDP_PHONE_E164_MAX];
            if (!cdp_phone_normalize(a->pn, s, len, again, &type))
                type = CDP_PHONE_UNKNOWN;
        }
    } else {
        valid = cdp_phone_normalize(a->pn, s, len, e164, &type) == 1;
    }
    if (!valid)
        return true;
    size_t n = strlen(e164);
    if (!list_has(&c->phones, c->nphones, e164, n))
        list_add(&c->phones, &c->nphones, e164, n);
    if (!c->phone[0])
        memcpy(c->phone, e164, n + 1);
    if (!c->mobile[0] && is_mobile(type))
        memcpy(c->mobile, e164, n + 1);
    return true;
}

/* Calls take on the field key and on each string of the array field akey;
 * returns whether any of them had text. */
static bool take_all(struct cdp_audience *a, struct cdp_contact *c, const struct cdp_record *rec,
                     const char *key, const char *akey,
                     bool (*take)(struct cdp_audience *, struct cdp_contact *, const char *, size_t))
{
    bool any = false;
    const char *s;
    size_t len;
    if (cdp_field_text(rec, key, &s, &len))
        any |= take(a, c, s, len);
    const struct cdp_field *arr = cdp_record_gets(rec, akey);
    if (arr && arr->type == CDP_ARRAY) {
        size_t pos = 0;
        const char *e;
        size_t n;
        while (cdp_json_array_next(arr->val, arr->vlen, &pos, &e, &n)) {
            if (n < 2 || e[0] != '"')
                continue;
            cdp_buf_reset(&a->value);
            if (cdp_json_string_decode(&a->value, e, n))
                any |= take(a, c, a->value.data, a->value.len);
        }
    }
    return any;
}

static bool array_has(struct cdp_audience *a, const struct cdp_field *arr, const char *s,
                      size_t len)
{
    return arr && arr->type == CDP_ARRAY &&
           cdp_json_array_has_string(arr->val, arr->vlen, s, len, &a->scratch);
}

static enum cdp_skip membership(struct cdp_audience *a, const struct cdp_record *rec,
                                struct cdp_contact *c)
{
    const struct cdp_field *segs = cdp_record_gets(rec, "segments");
    const struct cdp_field *held = cdp_record_gets(rec, "holdout");
    bool any_holdout = false;
    if (held && held->type == CDP_ARRAY) {
        size_t pos = 0;
        const char *e;
        size_t n;
        any_holdout = cdp_json_array_next(held->val, held->vlen, &pos, &e, &n);
    }
    if (a->opt.want_tags && segs && segs->type == CDP_ARRAY) {
        size_t pos = 0;
        const char *e;
        size_t n;
        while (cdp_json_array_next(segs->val, segs->vlen, &pos, &e, &n)) {
            if (n < 2 || e[0] != '"')
                continue;
            cdp_buf_reset(&a->value);
            if (!cdp_json_string_decode(&a->value, e, n) || a->value.len == 0)
                continue;
            if (any_holdout && array_has(a, held, a->value.data, a->value.len))
                continue;
            list_add(&c->tags, &c->ntags, a->value.data, a->value.len);
        }
    }
    if (a->opt.nsegments == 0)
        return CDP_SKIP_NONE;
    for (size_t i = 0; a->uncarried && i < a->opt.nsegments; i++)
        if (!a->carried[i] && (array_has(a, segs, a->segments[i], a->seglen[i]) ||
                               (any_holdout && array_has(a, held, a->segments[i], a->seglen[i])))) {
            a->carried[i] = true;
            a->uncarried--;
        }
    bool member = false, held_out = false;
    for (size_t i = 0; i < a->opt.nsegments && !member; i++) {
        const char *s = a->opt.segments[i];
        size_t len = a->seglen[i];
        bool h = any_holdout && array_has(a, held, s, len);
        if (h)
            held_out = true;
        else if (array_has(a, segs, s, len))
            member = true;
    }
    if (member)
        return CDP_SKIP_NONE;
    if (held_out)
        return a->opt.include_holdout ? CDP_SKIP_NONE : CDP_SKIP_HOLDOUT;
    return CDP_SKIP_NOT_IN_SEGMENT;
}

static void contact_reset(struct cdp_contact *c)
{
    cdp_buf_reset(&c->emails);
    cdp_buf_reset(&c->phones);
    cdp_buf_reset(&c->tags);
    c->nemails = c->nphones = c->ntags = 0;
    c->email = "";
    c->email_len = 0;
    c->phone[0] = c->mobile[0] = '\0';
    c->ads_consent_absent = false;
}

static const char *const consent_keys[] = { NULL, "consent_email", "consent_sms",
                                            "consent_ads" };

/* Whether "\u" occurs in the line, as memmem would say: found by memchr's
 * vector scan for the backslash, which a profile line rarely holds. memmem
 * for the two bytes was 16% of cdp-export's samples at 100k persons (it
 * reads every byte of a line that has none). */
static bool has_u_escape(const char *p, size_t len)
{
    const char *end = p + len;
    while ((p = memchr(p, '\\', (size_t)(end - p))) != NULL) {
        if (++p < end && *p == 'u')
            return true;
    }
    return false;
}

bool cdp_audience_may_refuse(const struct cdp_audience *a, const char *line, size_t len)
{
    enum cdp_channel ch = a->opt.channel;
    if (ch == CDP_CHANNEL_NONE)
        return false;
    if (has_u_escape(line, len))
        return true;
    const char *key = consent_keys[ch];
    size_t klen = strlen(key);
    for (const char *p = line, *end = line + len;;) {
        const char *k = cdp_find(p, (size_t)(end - p), key, klen);
        if (!k)
            return false;
        p = k + klen;
        if (k == line || k[-1] != '"' || p >= end || *p != '"')
            continue;
        p++;
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ':'))
            p++;
        if (p < end && *p == 'f')
            return true;
    }
}

bool cdp_audience_outside_line(const struct cdp_audience *a, const char *line, size_t len)
{
    if (a->opt.nsegments == 0)
        return false;
    /* With no backslash every string is written as its bytes: an asked
     * name in "segments" or "holdout", or "gone", would be found as such. */
    if (memchr(line, '\\', len) || cdp_find(line, len, "\"gone\"", 6))
        return false;
    for (size_t i = 0; i < a->opt.nsegments; i++)
        if (cdp_find(line, len, a->quoted[i], a->seglen[i] + 2))
            return false;
    return true;
}

enum cdp_skip cdp_audience_outside(const struct cdp_audience *a, const struct cdp_record *rec)
{
    return a->forget && cdp_forget_check_record(a->forget, rec) ? CDP_SKIP_FORGOTTEN : CDP_SKIP_NOT_IN_SEGMENT;
}

bool cdp_audience_refused(struct cdp_audience *a, const struct cdp_record *rec,
                          struct cdp_contact *c)
{
    const char *const *keys = consent_keys;
    enum cdp_channel ch = a->opt.channel;
    if (ch == CDP_CHANNEL_NONE)
        return false;
    const struct cdp_field *f = cdp_record_gets(rec, keys[ch]);
    if (!f || f->type != CDP_FALSE)
        return false;
    contact_reset(c);
    if (ch != CDP_CHANNEL_SMS)
        take_all(a, c, rec, "email", "emails", take_email);
    if (ch != CDP_CHANNEL_EMAIL)
        take_all(a, c, rec, "phone", "phones", take_phone);
    return true;
}

/* The reasons that need only the profile. */
static enum cdp_skip check_profile(struct cdp_audience *a, const struct cdp_record *rec,
                                   struct cdp_contact *c)
{
    contact_reset(c);
    bool ads_present;
    c->consent_email = consent(rec, "consent_email", NULL);
    c->consent_sms = consent(rec, "consent_sms", NULL);
    c->consent_ads = consent(rec, "consent_ads", &ads_present);

    const struct cdp_field *gone = cdp_record_gets(rec, "gone");
    if (gone && gone->type == CDP_TRUE)
        return CDP_SKIP_GONE;
    enum cdp_skip why = membership(a, rec, c);
    if (why != CDP_SKIP_NONE)
        return why;
    bool any_email = take_all(a, c, rec, "email", "emails", take_email);
    bool any_phone = take_all(a, c, rec, "phone", "phones", take_phone);
    if (c->nemails) {
        c->email = c->emails.data;
        c->email_len = strlen(c->email);
    }
    switch (a->opt.channel) {
    case CDP_CHANNEL_EMAIL:
        if (!any_email)
            return CDP_SKIP_NO_EMAIL;
        if (!c->nemails)
            return CDP_SKIP_INVALID_EMAIL;
        if (!c->consent_email)
            return CDP_SKIP_NO_CONSENT;
        break;
    case CDP_CHANNEL_SMS:
        if (!any_phone)
            return CDP_SKIP_NO_PHONE;
        if (!c->nphones)
            return CDP_SKIP_INVALID_PHONE;
        if (!c->mobile[0])
            return CDP_SKIP_NO_MOBILE;
        if (!c->consent_sms)
            return CDP_SKIP_NO_CONSENT;
        break;
    case CDP_CHANNEL_ADS:
        if (!c->nemails && !c->nphones)
            return CDP_SKIP_NO_CONTACT;
        if (!c->consent_ads && (ads_present || a->opt.strict_consent))
            return CDP_SKIP_NO_CONSENT;
        c->ads_consent_absent = !ads_present;
        break;
    case CDP_CHANNEL_NONE:
        break;
    }
    return CDP_SKIP_NONE;
}

/* ---- suppression lists and refusals ------------------------------------- */

int cdp_audience_add_suppression(struct cdp_audience *a, const char *path, const char *column,
                                 cdp_suppress_bad_fn bad, void *ctx, struct cdp_error *err)
{
    if (!a->lists && !(a->lists = cdp_suppress_new(a->region, err)))
        return -1;
    return cdp_suppress_load(a->lists, path, column, bad, ctx, err);
}

const struct cdp_suppress *cdp_audience_suppression(const struct cdp_audience *a)
{
    return a->lists;
}

/* Whether any e-mail or phone of the profile is on a list. */
static bool suppressed(struct cdp_suppress *s, const struct cdp_contact *c)
{
    const char *p = c->emails.data;
    for (size_t i = 0; i < c->nemails; p += strlen(p) + 1, i++)
        if (cdp_suppress_email(s, p, strlen(p)))
            return true;
    p = c->phones.data;
    for (size_t i = 0; i < c->nphones; p += strlen(p) + 1, i++)
        if (cdp_suppress_phone(s, p, strlen(p)))
            return true;
    return false;
}

void cdp_contact_compared(enum cdp_channel ch, const struct cdp_contact *c, const char **email,
                          size_t *email_len, const char **phone, size_t *phone_len)
{
    *email = *phone = "";
    *email_len = *phone_len = 0;
    if (ch == CDP_CHANNEL_EMAIL || ch == CDP_CHANNEL_ADS)
        *email = c->email, *email_len = c->email_len;
    if (ch == CDP_CHANNEL_SMS)
        *phone = c->mobile, *phone_len = strlen(c->mobile);
    if (ch == CDP_CHANNEL_ADS)
        *phone = c->phone, *phone_len = strlen(c->phone);
}

/* Whether the contact this row is for was refused by another profile. */
static bool refused_elsewhere(struct cdp_suppress *s, enum cdp_channel ch, const struct cdp_contact *c)
{
    const char *email, *phone;
    size_t elen, plen;
    cdp_contact_compared(ch, c, &email, &elen, &phone, &plen);
    return (elen && cdp_suppress_email(s, email, elen)) || (plen && cdp_suppress_phone(s, phone, plen));
}

void cdp_audience_forget(struct cdp_audience *a, const struct cdp_forgetlist *l)
{
    cdp_forget_check_free(a->forget);
    a->forget = l && cdp_forgetlist_count(l) ? cdp_forget_check_new(l) : NULL;
}

enum cdp_skip cdp_audience_check(struct cdp_audience *a, const struct cdp_record *rec,
                                 struct cdp_contact *c)
{
    if (a->forget && cdp_forget_check_record(a->forget, rec))
        return CDP_SKIP_FORGOTTEN;
    enum cdp_skip why = check_profile(a, rec, c);
    if (why == CDP_SKIP_NONE && a->lists && suppressed(a->lists, c))
        why = CDP_SKIP_SUPPRESSED;
    if (why == CDP_SKIP_NONE && a->refused && refused_elsewhere(a->refused, a->opt.channel, c))
        why = CDP_SKIP_REFUSED_ELSEWHERE;
    return why;
}

static void add_refusal(struct cdp_suppress *s, const struct cdp_contact *c)
{
    const char *p = c->emails.data;
    for (size_t i = 0; i < c->nemails; p += strlen(p) + 1, i++)
        cdp_suppress_add_email(s, p, strlen(p));
    p = c->phones.data;
    for (size_t i = 0; i < c->nphones; p += strlen(p) + 1, i++)
        cdp_suppress_add_phone(s, p, strlen(p));
}

int cdp_audience_add_refused(struct cdp_audience *a, bool phone, const char *s, size_t len,
                             struct cdp_error *err)
{
    if (!a->refused && !(a->refused = cdp_suppress_new(a->region, err)))
        return -1;
    if (phone)
        cdp_suppress_add_phone(a->refused, s, len);
    else
        cdp_suppress_add_email(a->refused, s, len);
    return 0;
}

int cdp_audience_read_refusals(struct cdp_audience *a, const char *path,
                               const struct cdp_reader_options *ro, struct cdp_error *err)
{
    if (a->opt.channel == CDP_CHANNEL_NONE)
        return 0;
    if (!a->refused && !(a->refused = cdp_suppress_new(a->region, err)))
        return -1;
    struct cdp_reader_options o = *ro;
    o.lines_only = true;
    struct cdp_reader *r = cdp_reader_open(path, &o, err);
    if (!r)
        return -1;
    bool lines = cdp_reader_format(r) == CDP_FORMAT_NDJSON;
    struct cdp_json_parser *json = cdp_json_parser_new();
    struct cdp_record rec = CDP_RECORD_INIT;
    struct cdp_row row;
    struct cdp_error why;
    enum cdp_read k;
    while ((k = cdp_reader_next(r, &rec, &row, err)) != CDP_READ_END && k != CDP_READ_ERROR) {
        if (k != CDP_READ_ROW)
            continue;
        /* the reader keeps CDP_LINE_PADDING bytes readable after a line */
        if (lines && (!cdp_audience_may_refuse(a, row.raw, row.rawlen) ||
                      cdp_json_parse_object(json, row.raw, row.rawlen, &rec, &why) != CDP_JSON_OK))
            continue;
        if ((!a->forget || !cdp_forget_check_record(a->forget, &rec)) &&
            cdp_audience_refused(a, &rec, &a->refusal))
            add_refusal(a->refused, &a->refusal);
    }
    cdp_record_release(&rec);
    cdp_json_parser_free(json);
    cdp_reader_close(r);
    return k == CDP_READ_ERROR ? -1 : 0;
}

const char *cdp_audience_uncarried(const struct cdp_audience *a)
{
    for (size_t i = 0; a->uncarried && i < a->opt.nsegments; i++)
        if (!a->carried[i])
            return a->segments[i];
    return NULL;
}
