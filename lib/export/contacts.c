/* contacts.c: the cross-person decisions of a sharded export; see
 * contacts.h. */
#include "export/contacts.h"

#include <stdlib.h>
#include <string.h>

#include "base/intern.h"
#include "io/json.h"
#include "io/runfile.h"

/* ---- step 1: the summary ------------------------------------------------- */

struct cdp_contacts_summary {
    struct cdp_output *out;
    enum cdp_channel channel;
    char *last_id; /* of the last claim; NULL before the first */
};

/* {"cdp_export_...":1,"format":"...","channel":"..."} */
static void head(struct cdp_buf *b, const char *what, const char *format, enum cdp_channel channel)
{
    cdp_buf_printf(b, "{\"%s\":1,\"format\":", what);
    cdp_json_add_string(b, format, strlen(format));
    cdp_buf_printf(b, ",\"channel\":\"%s\"}\n", cdp_channel_name(channel));
}

struct cdp_contacts_summary *cdp_contacts_summary_new(struct cdp_output *out, const char *format,
                                                      enum cdp_channel channel)
{
    struct cdp_contacts_summary *s = cdp_xcalloc(1, sizeof *s);
    s->out = out;
    s->channel = channel;
    head(cdp_output_buffer(out), "cdp_export_summary", format, channel);
    return s;
}

void cdp_contacts_summary_free(struct cdp_contacts_summary *s)
{
    if (!s)
        return;
    free(s->last_id);
    free(s);
}

/* {"NAME":"value"} */
static void member_line(struct cdp_buf *b, const char *name, const char *s, size_t len)
{
    cdp_buf_printf(b, "{\"%s\":", name);
    cdp_json_add_string(b, s, len);
    cdp_buf_adds(b, "}\n");
}

void cdp_contacts_summary_refusal(struct cdp_contacts_summary *s, const struct cdp_contact *c)
{
    struct cdp_buf *b = cdp_output_buffer(s->out);
    const char *p = c->emails.data;
    for (size_t i = 0; i < c->nemails; p += strlen(p) + 1, i++)
        member_line(b, "refused_email", p, strlen(p));
    p = c->phones.data;
    for (size_t i = 0; i < c->nphones; p += strlen(p) + 1, i++)
        member_line(b, "refused_phone", p, strlen(p));
    cdp_output_flush_some(s->out); /* a failure is reported at commit */
}

int cdp_contacts_summary_claim(struct cdp_contacts_summary *s, const char *key, size_t klen,
                               const char *id, size_t idlen, const struct cdp_contact *c,
                               struct cdp_error *err)
{
    if (!id || !idlen)
        return cdp_errorf(err, "a profile without a cdp_id: a sharded export needs cdp-merge's profiles");
    char *this_id = cdp_xstrndup(id, idlen);
    if (s->last_id && strcmp(s->last_id, this_id) >= 0) {
        cdp_errorf(err, "profiles not in cdp_id order (as cdp-merge writes them): '%s' after '%s'", this_id,
                   s->last_id);
        free(this_id);
        return -1;
    }
    free(s->last_id);
    s->last_id = this_id;
    struct cdp_buf *b = cdp_output_buffer(s->out);
    const char *email, *phone;
    size_t elen, plen;
    cdp_contact_compared(s->channel, c, &email, &elen, &phone, &plen);
    cdp_buf_adds(b, "{\"claim\":");
    cdp_json_add_string(b, key, klen);
    cdp_buf_adds(b, ",\"cdp_id\":");
    cdp_json_add_string(b, id, idlen);
    if (elen) {
        cdp_buf_adds(b, ",\"email\":");
        cdp_json_add_string(b, email, elen);
    }
    if (plen) {
        cdp_buf_adds(b, ",\"phone\":");
        cdp_json_add_string(b, phone, plen);
    }
    cdp_buf_adds(b, "}\n");
    cdp_output_flush_some(s->out);
    return 0;
}

void cdp_contacts_summary_end(struct cdp_contacts_summary *s, uint64_t profiles)
{
    cdp_buf_printf(cdp_output_buffer(s->out), "{\"end\":1,\"profiles\":%llu}\n", (unsigned long long)profiles);
}

/* ---- reading the files back ---------------------------------------------- */

static const struct cdp_field *string_member(const struct cdp_record *rec, const char *name)
{
    const struct cdp_field *f = cdp_record_gets(rec, name);
    return f && f->type == CDP_STRING ? f : NULL;
}

static bool count_member(const struct cdp_record *rec, const char *name, uint64_t *n)
{
    const struct cdp_field *f = cdp_record_gets(rec, name);
    if (!f || f->type != CDP_NUMBER || !f->vlen || f->vlen > 19)
        return false;
    char tmp[24];
    memcpy(tmp, f->val, f->vlen);
    tmp[f->vlen] = '\0';
    char *end;
    unsigned long long v = strtoull(tmp, &end, 10);
    if (*end || tmp[0] == '-')
        return false;
    *n = v;
    return true;
}

/* Checks the head line of rf (what: its kind) and copies its format and
 * channel into format (size cap) and *channel; -1 with err. */
static int read_head(struct cdp_runfile *rf, struct cdp_record *rec, const char *what, char *format, size_t cap,
                     enum cdp_channel *channel, struct cdp_error *err)
{
    int k = cdp_runfile_next(rf, rec, err);
    if (k < 0)
        return -1;
    const struct cdp_field *f = k ? string_member(rec, "format") : NULL;
    const struct cdp_field *ch = k ? string_member(rec, "channel") : NULL;
    char chname[16] = "";
    if (ch && ch->vlen < sizeof chname)
        memcpy(chname, ch->val, ch->vlen);
    if (!k || !cdp_record_gets(rec, what) || !f || f->vlen >= cap || !ch || !cdp_channel_parse(chname, channel))
        return cdp_runfile_damaged(rf, err, "not the head of a %s", what);
    memcpy(format, f->val, f->vlen);
    format[f->vlen] = '\0';
    return 0;
}

/* ---- step 2: the join ---------------------------------------------------- */

/* One summary file, read twice: its refusals, then its claims. */
struct summary {
    const char *path;
    struct cdp_runfile *rf;
    struct cdp_record rec;
};

static int open_summary(struct summary *s, char *format, size_t cap, enum cdp_channel *channel,
                        struct cdp_error *err)
{
    cdp_runfile_close(s->rf);
    if (!(s->rf = cdp_runfile_open(s->path, "summary", false, err)))
        return -1;
    return read_head(s->rf, &s->rec, "cdp_export_summary", format, cap, channel, err);
}

/* The next line of s: 1 (a refusal or claim in s->rec), 0 after the end
 * line (its profiles added to *profiles), -1 with err (cut short too). */
static int next_line(struct summary *s, uint64_t *profiles, struct cdp_error *err)
{
    int k = cdp_runfile_next(s->rf, &s->rec, err);
    if (k < 0)
        return -1;
    if (k == 0)
        return cdp_errorf(err, "%s: cut short (no end line)", s->path);
    if (cdp_record_gets(&s->rec, "end")) {
        uint64_t n;
        if (!count_member(&s->rec, "profiles", &n))
            return cdp_runfile_damaged(s->rf, err, "damaged summary end line");
        if (profiles)
            *profiles += n;
        return 0;
    }
    return 1;
}

/* What the join keeps of each claimed key (by its id in the key table). */
struct key_state {
    char *first; /* the first claimant's cdp_id */
    uint32_t claimants;
};

struct join {
    struct summary *s;
    size_t n;
    struct cdp_intern *refused, *keys;
    struct key_state *state;
    size_t cap;
    struct cdp_contacts_counts *counts;
};

/* Pass 1: every shard's refusals, and the summaries' heads agree. */
static int join_refusals(struct join *j, struct cdp_buf *out, struct cdp_error *err)
{
    char format[64], first_format[64] = "";
    enum cdp_channel channel, first_channel = CDP_CHANNEL_NONE;
    for (size_t i = 0; i < j->n; i++) {
        struct summary *s = &j->s[i];
        if (open_summary(s, format, sizeof format, &channel, err) < 0)
            return -1;
        if (i == 0) {
            memcpy(first_format, format, sizeof format);
            first_channel = channel;
            head(out, "cdp_export_contacts", format, channel);
        } else if (strcmp(format, first_format) != 0 || channel != first_channel) {
            return cdp_errorf(err, "%s: a summary for --format %s --channel %s, not --format %s --channel %s as %s",
                              s->path, format, cdp_channel_name(channel), first_format,
                              cdp_channel_name(first_channel), j->s[0].path);
        }
        int k;
        while ((k = next_line(s, &j->counts->profiles, err)) > 0) {
            const struct cdp_field *e = string_member(&s->rec, "refused_email");
            const struct cdp_field *p = e ? NULL : string_member(&s->rec, "refused_phone");
            const struct cdp_field *f = e ? e : p;
            if (!f && !string_member(&s->rec, "claim"))
                return cdp_runfile_damaged(s->rf, err, "damaged summary line");
            int added = 0;
            if (f && (cdp_intern_add(j->refused, f->val, f->vlen, &added), added))
                member_line(out, e ? "refused_email" : "refused_phone", f->val, f->vlen);
        }
        if (k < 0)
            return -1;
    }
    j->counts->refused = cdp_intern_count(j->refused);
    return 0;
}

static bool refused(const struct join *j, const struct cdp_record *rec, const char *name)
{
    const struct cdp_field *f = cdp_record_gets(rec, name);
    return f && f->type == CDP_STRING && cdp_intern_find(j->refused, f->val, f->vlen) != UINT32_MAX;
}

/* One claim of summary s: its key's first claimant and count, unless its
 * contact was refused (then the profile is refused_elsewhere, no claimant). */
static int add_claim(struct join *j, struct summary *s, char **last_id, struct cdp_error *err)
{
    const struct cdp_field *key = string_member(&s->rec, "claim");
    const struct cdp_field *id = string_member(&s->rec, "cdp_id");
    if (!key || !key->vlen || !id || !id->vlen)
        return cdp_runfile_damaged(s->rf, err, "damaged summary line");
    char *this_id = cdp_xstrndup(id->val, id->vlen);
    if (*last_id && strcmp(*last_id, this_id) >= 0) {
        free(this_id);
        return cdp_runfile_damaged(s->rf, err, "not in cdp_id order (profiles not as cdp-merge writes them)");
    }
    free(*last_id);
    *last_id = this_id;
    j->counts->claims++;
    if (refused(j, &s->rec, "email") || refused(j, &s->rec, "phone"))
        return 0;
    int added = 0;
    uint32_t k = cdp_intern_add(j->keys, key->val, key->vlen, &added);
    if (k >= j->cap) {
        size_t cap = j->cap ? j->cap * 2 : 4096;
        j->state = cdp_xrealloc(j->state, cap * sizeof *j->state);
        memset(j->state + j->cap, 0, (cap - j->cap) * sizeof *j->state);
        j->cap = cap;
    }
    struct key_state *st = &j->state[k];
    if (st->claimants < UINT32_MAX)
        st->claimants++;
    if (!st->first || strcmp(this_id, st->first) < 0) {
        free(st->first);
        st->first = cdp_xstrdup(this_id);
    }
    return 0;
}

/* Pass 2: the claims, then the contested keys' holders to out. */
static int join_claims(struct join *j, struct cdp_buf *out, struct cdp_error *err)
{
    char format[64];
    enum cdp_channel channel;
    for (size_t i = 0; i < j->n; i++) {
        struct summary *s = &j->s[i];
        if (open_summary(s, format, sizeof format, &channel, err) < 0)
            return -1;
        char *last_id = NULL;
        int k;
        while ((k = next_line(s, NULL, err)) > 0)
            if (string_member(&s->rec, "claim") && add_claim(j, s, &last_id, err) < 0) {
                k = -1;
                break;
            }
        free(last_id);
        if (k < 0)
            return -1;
    }
    size_t nkeys = cdp_intern_count(j->keys);
    for (uint32_t k = 0; k < nkeys; k++) {
        if (j->state[k].claimants < 2)
            continue;
        size_t len;
        const char *key = cdp_intern_str(j->keys, k, &len);
        cdp_buf_adds(out, "{\"contact\":");
        cdp_json_add_string(out, key, len);
        cdp_buf_adds(out, ",\"holder\":");
        cdp_json_add_string(out, j->state[k].first, strlen(j->state[k].first));
        cdp_buf_adds(out, "}\n");
        j->counts->contested++;
    }
    cdp_buf_printf(out, "{\"end\":1,\"refused\":%llu,\"contested\":%llu}\n",
                   (unsigned long long)j->counts->refused, (unsigned long long)j->counts->contested);
    return 0;
}

int cdp_contacts_join(const char *const *paths, size_t n, struct cdp_output *out,
                      struct cdp_contacts_counts *counts, struct cdp_error *err)
{
    memset(counts, 0, sizeof *counts);
    struct join j = { .n = n, .counts = counts };
    j.s = cdp_xcalloc(n + 1, sizeof *j.s);
    for (size_t i = 0; i < n; i++) {
        j.s[i].path = paths[i];
        j.s[i].rec = (struct cdp_record)CDP_RECORD_INIT;
    }
    j.refused = cdp_intern_new();
    j.keys = cdp_intern_new();
    struct cdp_buf *b = cdp_output_buffer(out);
    int rc = join_refusals(&j, b, err);
    if (rc == 0)
        rc = join_claims(&j, b, err);
    for (size_t i = 0; i < n; i++) {
        cdp_runfile_close(j.s[i].rf);
        cdp_record_release(&j.s[i].rec);
    }
    size_t nkeys = cdp_intern_count(j.keys);
    for (size_t k = 0; k < nkeys && k < j.cap; k++)
        free(j.state[k].first);
    free(j.state);
    free(j.s);
    cdp_intern_free(j.refused);
    cdp_intern_free(j.keys);
    return rc;
}

/* ---- step 3: the export of a shard --------------------------------------- */

struct cdp_contacts {
    struct cdp_intern *keys; /* contested keys; id k's holder is holders[k] */
    char **holders;
    size_t n;
};

void cdp_contacts_free(struct cdp_contacts *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        free(c->holders[i]);
    free(c->holders);
    cdp_intern_free(c->keys);
    free(c);
}

/* One line after the head: a refusal given to a, or a holder kept; 0 at
 * the end line, 1 to go on, -1 with err. */
static int load_line(struct cdp_contacts *c, struct cdp_runfile *rf, const struct cdp_record *rec,
                     struct cdp_audience *a, size_t *cap, struct cdp_error *err)
{
    const struct cdp_field *f;
    if (cdp_record_gets(rec, "end"))
        return 0;
    if ((f = string_member(rec, "refused_email")))
        return cdp_audience_add_refused(a, false, f->val, f->vlen, err) < 0 ? -1 : 1;
    if ((f = string_member(rec, "refused_phone")))
        return cdp_audience_add_refused(a, true, f->val, f->vlen, err) < 0 ? -1 : 1;
    const struct cdp_field *holder = string_member(rec, "holder");
    if (!(f = string_member(rec, "contact")) || !holder)
        return cdp_runfile_damaged(rf, err, "damaged contacts line");
    int added = 0;
    uint32_t k = cdp_intern_add(c->keys, f->val, f->vlen, &added);
    if (!added)
        return 1;
    if (k >= *cap) {
        *cap = *cap ? *cap * 2 : 1024;
        c->holders = cdp_xrealloc(c->holders, *cap * sizeof *c->holders);
    }
    c->holders[k] = cdp_xstrndup(holder->val, holder->vlen);
    c->n = (size_t)k + 1;
    return 1;
}

struct cdp_contacts *cdp_contacts_load(const char *path, const char *format, enum cdp_channel channel,
                                       struct cdp_audience *a, struct cdp_error *err)
{
    struct cdp_runfile *rf = cdp_runfile_open(path, "contacts", false, err);
    if (!rf)
        return NULL;
    struct cdp_contacts *c = cdp_xcalloc(1, sizeof *c);
    c->keys = cdp_intern_new();
    struct cdp_record rec = CDP_RECORD_INIT;
    char fmt[64];
    enum cdp_channel ch;
    size_t cap = 0;
    int k = read_head(rf, &rec, "cdp_export_contacts", fmt, sizeof fmt, &ch, err);
    if (k == 0 && (strcmp(fmt, format) != 0 || ch != channel))
        k = cdp_errorf(err, "%s: made for --format %s --channel %s, not --format %s --channel %s", path, fmt,
                       cdp_channel_name(ch), format, cdp_channel_name(channel));
    while (k == 0) {
        int r = cdp_runfile_next(rf, &rec, err);
        if (r == 0)
            k = cdp_errorf(err, "%s: cut short (no end line)", path);
        else if (r < 0 || (r = load_line(c, rf, &rec, a, &cap, err)) < 0)
            k = -1;
        else if (r == 0)
            break;
    }
    cdp_record_release(&rec);
    cdp_runfile_close(rf);
    if (k < 0) {
        cdp_contacts_free(c);
        return NULL;
    }
    return c;
}

bool cdp_contacts_held_elsewhere(const struct cdp_contacts *c, const char *key, size_t klen,
                                 const char *id, size_t idlen)
{
    uint32_t k = cdp_intern_find(c->keys, key, klen);
    if (k == UINT32_MAX)
        return false;
    const char *holder = c->holders[k];
    return strlen(holder) != idlen || memcmp(holder, id, idlen) != 0;
}
