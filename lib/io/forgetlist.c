#include "io/forgetlist.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/hash.h"
#include "io/json.h"
#include "io/runfile.h"

#define LIST_FORMAT "cdp-forget-list"
#define LIST_VERSION 1
#define SECRET_SIZE 32
/* What the "key" fingerprint is the HMAC of, and how many hex digits of
 * it the list keeps: enough to tell two secrets apart, far too few to say
 * anything about the secret. */
#define KEY_LABEL "cdp-forget-list"
#define KEY_DIGITS 16

struct entry {
    unsigned char h[CDP_HMAC_SIZE];
};

struct cdp_forgetlist {
    unsigned char secret[SECRET_SIZE];
    bool has_secret;
    bool secret_new;    /* made here: to be written with the list */
    struct cdp_hmac *hmac;
    struct entry *v;
    size_t n, cap;
    uint32_t *slots;    /* open addressing: index into v, UINT32_MAX empty */
    size_t nslots;      /* a power of two, at least 2n */
};

/* The identifier fields and where a profile collects them. */
static const struct {
    const char *member; /* the record's member */
    size_t member_len;  /* its length: strlen for each member of every
                           record was a tenth of cdp-dedupe --forgotten */
    const char *field;  /* whose value it holds */
    bool array;
} members[] = {
#define MEMBER(m, f, a) { m, sizeof m - 1, f, a }
    MEMBER("cdp_id", "cdp_id", false),           MEMBER("customer_id", "customer_id", false),
    MEMBER("email", "email", false),             MEMBER("phone", "phone", false),
    MEMBER("card", "card", false),               MEMBER("anon_id", "anon_id", false),
    MEMBER("customer_ids", "customer_id", true), MEMBER("emails", "email", true),
    MEMBER("phones", "phone", true),             MEMBER("cards", "card", true),
    MEMBER("anon_ids", "anon_id", true),
#undef MEMBER
};
#define NMEMBERS (sizeof members / sizeof *members)

bool cdp_forgetlist_field(const char *name, size_t len)
{
    for (size_t i = 0; i < NMEMBERS; i++)
        if (!members[i].array && strlen(members[i].field) == len && memcmp(members[i].field, name, len) == 0)
            return true;
    return false;
}

/* ---- the set of digests ------------------------------------------------- */

static uint64_t slot_hash(const unsigned char *h)
{
    uint64_t x;
    memcpy(&x, h, sizeof x); /* HMAC output: already uniform */
    return x;
}

static uint32_t find(const struct cdp_forgetlist *l, const unsigned char *h)
{
    if (!l->nslots)
        return UINT32_MAX;
    size_t mask = l->nslots - 1;
    for (size_t s = slot_hash(h) & mask;; s = (s + 1) & mask) {
        uint32_t i = l->slots[s];
        if (i == UINT32_MAX || memcmp(l->v[i].h, h, CDP_HMAC_SIZE) == 0)
            return i;
    }
}

static void place(struct cdp_forgetlist *l, uint32_t i)
{
    size_t mask = l->nslots - 1;
    size_t s = slot_hash(l->v[i].h) & mask;
    while (l->slots[s] != UINT32_MAX)
        s = (s + 1) & mask;
    l->slots[s] = i;
}

/* Adds digest h; false when it was there. */
static bool insert(struct cdp_forgetlist *l, const unsigned char *h)
{
    if (find(l, h) != UINT32_MAX)
        return false;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = cdp_xrealloc(l->v, l->cap * sizeof *l->v);
    }
    memcpy(l->v[l->n].h, h, CDP_HMAC_SIZE);
    l->n++;
    if (2 * l->n > l->nslots) {
        l->nslots = l->nslots ? l->nslots * 2 : 128;
        free(l->slots);
        l->slots = cdp_xmalloc(l->nslots * sizeof *l->slots);
        memset(l->slots, 0xFF, l->nslots * sizeof *l->slots);
        for (uint32_t i = 0; i < l->n; i++)
            place(l, i);
    } else {
        place(l, (uint32_t)(l->n - 1));
    }
    return true;
}

/* ---- hashing ------------------------------------------------------------ */

static struct cdp_hmac *hmac_of(const struct cdp_forgetlist *l)
{
    return cdp_hmac_new(l->secret, sizeof l->secret);
}

static void digest(struct cdp_hmac *h, const char *field, const char *a, size_t alen, const char *b,
                   size_t blen, unsigned char out[CDP_HMAC_SIZE])
{
    cdp_hmac_begin(h);
    cdp_hmac_update(h, field, strlen(field));
    cdp_hmac_update(h, "\x1F", 1);
    cdp_hmac_update(h, a, alen);
    if (b) {
        cdp_hmac_update(h, "\x1F", 1);
        cdp_hmac_update(h, b, blen);
    }
    cdp_hmac_end(h, out);
}

static int unhex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Lower-case hex of exactly n bytes. */
static bool unhex(const char *s, size_t len, unsigned char *out, size_t n)
{
    if (len != 2 * n)
        return false;
    for (size_t i = 0; i < n; i++) {
        int a = unhex_digit(s[2 * i]), b = unhex_digit(s[2 * i + 1]);
        if (a < 0 || b < 0)
            return false;
        out[i] = (unsigned char)(a << 4 | b);
    }
    return true;
}

/* The "key" member: which secret the list was made with. */
static void fingerprint(struct cdp_forgetlist *l, char out[KEY_DIGITS + 1])
{
    unsigned char h[CDP_HMAC_SIZE];
    cdp_hmac_begin(l->hmac);
    cdp_hmac_update(l->hmac, KEY_LABEL, strlen(KEY_LABEL));
    cdp_hmac_end(l->hmac, h);
    cdp_hex(h, KEY_DIGITS / 2, out);
}

/* ---- the files ---------------------------------------------------------- */

static void secret_path(struct cdp_buf *b, const char *path)
{
    cdp_buf_reset(b);
    cdp_buf_printf(b, "%s.secret", path);
}

/* Reads the secret; 1 when there is none (ENOENT), 0, or -1 with err. */
static int read_secret(struct cdp_forgetlist *l, const char *path, struct cdp_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 1 : cdp_errorf_errno(err, errno, "cannot open '%s'", path);
    struct stat st;
    char text[2 * SECRET_SIZE + 2];
    ssize_t n = -1;
    int rc = 0;
    if (fstat(fd, &st) < 0 || (n = read(fd, text, sizeof text)) < 0)
        rc = cdp_errorf_errno(err, errno, "cannot read '%s'", path);
    else if (st.st_mode & 077)
        rc = cdp_errorf(err, "secret '%s' may be read by others (mode %04o): make it 0600", path,
                        (unsigned)(st.st_mode & 07777));
    else if (!((n == 2 * SECRET_SIZE || (n == 2 * SECRET_SIZE + 1 && text[n - 1] == '\n')) &&
               unhex(text, 2 * SECRET_SIZE, l->secret, SECRET_SIZE)))
        rc = cdp_errorf(err, "secret '%s' is damaged (it must hold 64 hexadecimal digits)", path);
    close(fd);
    if (rc == 0)
        l->has_secret = true;
    return rc;
}

static void make_secret(struct cdp_forgetlist *l)
{
    size_t got = 0;
    while (got < SECRET_SIZE) {
        ssize_t k = getrandom(l->secret + got, SECRET_SIZE - got, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            abort(); /* the kernel has no random numbers: no secret can be made */
        got += (size_t)k;
    }
    l->has_secret = l->secret_new = true;
}

/* What reading the list needs between its lines. */
struct reading {
    struct cdp_forgetlist *l;
    struct cdp_runfile *rf;
    bool header, end;
};

static const struct cdp_field *string_member(const struct cdp_record *rec, const char *key)
{
    const struct cdp_field *f = cdp_record_gets(rec, key);
    return f && f->type == CDP_STRING ? f : NULL;
}

static int read_line(struct reading *rd, const struct cdp_record *rec, struct cdp_error *err)
{
    struct cdp_forgetlist *l = rd->l;
    if (rd->end)
        return cdp_runfile_damaged(rd->rf, err, "a line after the end of the forget list");
    if (!rd->header) {
        const struct cdp_field *format = string_member(rec, "format"), *key = string_member(rec, "key");
        const struct cdp_field *version = cdp_record_gets(rec, "version");
        if (!format || format->vlen != strlen(LIST_FORMAT) || memcmp(format->val, LIST_FORMAT, format->vlen))
            return cdp_runfile_damaged(rd->rf, err, "not a forget list");
        if (!version || version->vlen != 1 || version->val[0] != '0' + LIST_VERSION)
            return cdp_runfile_damaged(rd->rf, err, "a forget list of another version (this cdp reads %d)",
                                       LIST_VERSION);
        char want[KEY_DIGITS + 1];
        fingerprint(l, want);
        if (!key || key->vlen != KEY_DIGITS || memcmp(key->val, want, KEY_DIGITS))
            return cdp_runfile_damaged(rd->rf, err, "the forget list was made with another secret");
        rd->header = true;
        return 0;
    }
    const struct cdp_field *h = string_member(rec, "h"), *end = cdp_record_gets(rec, "end");
    unsigned char d[CDP_HMAC_SIZE];
    if (end && end->type == CDP_TRUE) {
        const struct cdp_field *count = cdp_record_gets(rec, "entries");
        char want[32];
        snprintf(want, sizeof want, "%zu", l->n);
        if (!count || count->type != CDP_NUMBER || count->vlen != strlen(want) ||
            memcmp(count->val, want, count->vlen))
            return cdp_runfile_damaged(rd->rf, err, "the forget list's count does not match its entries");
        rd->end = true;
        return 0;
    }
    if (!h || !unhex(h->val, h->vlen, d, sizeof d))
        return cdp_runfile_damaged(rd->rf, err, "not a forget list entry");
    insert(l, d);
    return 0;
}

static int read_list(struct cdp_forgetlist *l, const char *path, struct cdp_error *err)
{
    struct reading rd = { l, cdp_runfile_open(path, "forget list", false, err), false, false };
    if (!rd.rf)
        return -1;
    struct cdp_record rec = CDP_RECORD_INIT;
    int k;
    while ((k = cdp_runfile_next(rd.rf, &rec, err)) > 0)
        if (read_line(&rd, &rec, err) < 0) {
            k = -1;
            break;
        }
    if (k == 0 && !rd.end)
        k = cdp_errorf(err, "forget list '%s' is damaged (%s)", path, rd.header ? "cut short" : "empty");
    cdp_record_release(&rec);
    cdp_runfile_close(rd.rf);
    return k;
}

struct cdp_forgetlist *cdp_forgetlist_open(const char *path, struct cdp_error *err)
{
    struct cdp_forgetlist *l = cdp_xcalloc(1, sizeof *l);
    struct cdp_buf sp = CDP_BUF_INIT;
    secret_path(&sp, path);
    bool listed = access(path, F_OK) == 0 || errno != ENOENT;
    int rc = read_secret(l, sp.data, err);
    if (rc > 0 && listed)
        rc = cdp_errorf(err, "forget list '%s' has no secret beside it ('%s' is missing): without it "
                             "the list matches nobody", path, sp.data);
    if (rc >= 0 && l->has_secret)
        l->hmac = hmac_of(l);
    if (rc >= 0 && listed)
        rc = read_list(l, path, err);
    cdp_buf_release(&sp);
    if (rc < 0) {
        cdp_forgetlist_free(l);
        return NULL;
    }
    return l;
}

struct cdp_forgetlist *cdp_forgetlist_new(void)
{
    struct cdp_forgetlist *l = cdp_xcalloc(1, sizeof *l);
    make_secret(l);
    l->secret_new = false; /* never written */
    l->hmac = hmac_of(l);
    return l;
}

void cdp_forgetlist_free(struct cdp_forgetlist *l)
{
    if (!l)
        return;
    cdp_hmac_free(l->hmac);
    memset(l->secret, 0, sizeof l->secret);
    free(l->v);
    free(l->slots);
    free(l);
}

size_t cdp_forgetlist_count(const struct cdp_forgetlist *l)
{
    return l->n;
}

static void ensure_secret(struct cdp_forgetlist *l)
{
    if (!l->has_secret) {
        make_secret(l);
        l->hmac = hmac_of(l);
    }
}

bool cdp_forgetlist_add(struct cdp_forgetlist *l, const char *field, const char *value, size_t len)
{
    ensure_secret(l);
    unsigned char d[CDP_HMAC_SIZE];
    digest(l->hmac, field, value, len, NULL, 0, d);
    return insert(l, d);
}

bool cdp_forgetlist_add_record(struct cdp_forgetlist *l, const char *source, size_t slen,
                               const char *rid, size_t rlen)
{
    ensure_secret(l);
    unsigned char d[CDP_HMAC_SIZE];
    digest(l->hmac, "_rid", source, slen, rid, rlen, d);
    return insert(l, d);
}

static int entry_cmp(const void *a, const void *b)
{
    return memcmp(a, b, CDP_HMAC_SIZE);
}

int cdp_forgetlist_stage(struct cdp_forgetlist *l, const char *path, struct cdp_replace *r,
                         struct cdp_error *err)
{
    ensure_secret(l);
    struct cdp_output_options opt = { .mode = 0600 };
    char text[2 * SECRET_SIZE + 2];
    struct cdp_buf sp = CDP_BUF_INIT;
    struct cdp_output *o = NULL;
    if (l->secret_new) {
        secret_path(&sp, path);
        cdp_hex(l->secret, SECRET_SIZE, text);
        strcat(text, "\n");
        o = cdp_output_open(sp.data, &opt, err);
        cdp_buf_release(&sp);
        if (!o || cdp_output_write(o, text, strlen(text)) < 0 || cdp_replace_add(r, o, err) < 0)
            return -1; /* cdp_replace_add frees o, as does a failed open */
        memset(text, 0, sizeof text);
    }
    if (!(o = cdp_output_open(path, &opt, err)))
        return -1;
    struct entry *sorted = cdp_xmalloc((l->n + 1) * sizeof *sorted);
    memcpy(sorted, l->v, l->n * sizeof *sorted);
    qsort(sorted, l->n, sizeof *sorted, entry_cmp);
    char key[KEY_DIGITS + 1], h[2 * CDP_HMAC_SIZE + 1];
    fingerprint(l, key);
    struct cdp_buf *b = cdp_output_buffer(o);
    cdp_buf_printf(b, "{\"format\":\"%s\",\"version\":%d,\"key\":\"%s\"}\n", LIST_FORMAT, LIST_VERSION, key);
    for (size_t i = 0; i < l->n; i++) {
        cdp_hex(sorted[i].h, CDP_HMAC_SIZE, h);
        cdp_buf_printf(b, "{\"h\":\"%s\"}\n", h);
        cdp_output_flush_some(o);
    }
    cdp_buf_printf(b, "{\"end\":true,\"entries\":%zu}\n", l->n);
    free(sorted);
    return cdp_replace_add(r, o, err);
}

/* ---- checking records --------------------------------------------------- */

struct cdp_forget_check {
    const struct cdp_forgetlist *l;
    struct cdp_hmac *hmac; /* NULL with an empty list */
    struct cdp_json_parser *json;
    const char *field;     /* for each_element */
    bool found;
};

struct cdp_forget_check *cdp_forget_check_new(const struct cdp_forgetlist *l)
{
    struct cdp_forget_check *c = cdp_xcalloc(1, sizeof *c);
    c->l = l;
    if (l->n) {
        c->hmac = hmac_of(l);
        c->json = cdp_json_parser_new();
    }
    return c;
}

void cdp_forget_check_free(struct cdp_forget_check *c)
{
    if (!c)
        return;
    cdp_hmac_free(c->hmac);
    cdp_json_parser_free(c->json);
    free(c);
}

bool cdp_forget_check_value(struct cdp_forget_check *c, const char *field, const char *value,
                            size_t len)
{
    if (!c->hmac)
        return false;
    unsigned char d[CDP_HMAC_SIZE];
    digest(c->hmac, field, value, len, NULL, 0, d);
    return find(c->l, d) != UINT32_MAX;
}

bool cdp_forget_check_record_id(struct cdp_forget_check *c, const char *source, size_t slen,
                                const char *rid, size_t rlen)
{
    if (!c->hmac)
        return false;
    unsigned char d[CDP_HMAC_SIZE];
    digest(c->hmac, "_rid", source, slen, rid, rlen, d);
    return find(c->l, d) != UINT32_MAX;
}

static void each_element(void *ctx, const char *s, size_t len)
{
    struct cdp_forget_check *c = ctx;
    if (!c->found)
        c->found = cdp_forget_check_value(c, c->field, s, len);
}

/* A person record by graph.h's rule: not an event by _kind, nor by an
 * "event" field when there is no _kind. */
static bool is_person(const struct cdp_record *rec)
{
    const struct cdp_field *kind = cdp_record_gets(rec, "_kind");
    if (kind)
        return !(kind->type == CDP_STRING && kind->vlen == 5 && memcmp(kind->val, "event", 5) == 0);
    return !cdp_record_gets(rec, "event");
}

bool cdp_forget_check_record(struct cdp_forget_check *c, const struct cdp_record *rec)
{
    if (!c->hmac)
        return false;
    const struct cdp_field *source = NULL, *rid = NULL;
    for (size_t i = 0; i < rec->n; i++) {
        const struct cdp_field *f = &rec->f[i];
        if (f->klen == 7 && memcmp(f->key, "_source", 7) == 0)
            source = f;
        else if (f->klen == 4 && memcmp(f->key, "_rid", 4) == 0)
            rid = f;
        for (size_t m = 0; m < NMEMBERS; m++) {
            if (members[m].member_len != f->klen || memcmp(members[m].member, f->key, f->klen))
                continue;
            if (!members[m].array && f->type == CDP_STRING &&
                cdp_forget_check_value(c, members[m].field, f->val, f->vlen))
                return true;
            if (members[m].array && f->type == CDP_ARRAY) {
                c->field = members[m].field;
                c->found = false;
                cdp_json_each_string(c->json, f->val, f->vlen, each_element, c);
                if (c->found)
                    return true;
            }
            break;
        }
    }
    return source && rid && source->type == CDP_STRING && rid->type == CDP_STRING && is_person(rec) &&
           cdp_forget_check_record_id(c, source->val, source->vlen, rid->val, rid->vlen);
}

void cdp_forget_check_names(struct cdp_json_names *set)
{
    for (size_t m = 0; m < NMEMBERS; m++)
        cdp_json_names_add(set, members[m].member, members[m].member_len);
    static const char *const person[] = { "_source", "_rid", "_kind", "event" };
    for (size_t i = 0; i < sizeof person / sizeof *person; i++)
        cdp_json_names_add(set, person[i], strlen(person[i]));
}

static int record_drop(void *c, const struct cdp_runfile *rf, struct cdp_record *rec,
                       struct cdp_error *err)
{
    (void)rf, (void)err;
    return cdp_forget_check_record(c, rec);
}

int cdp_forget_check_file(struct cdp_forget_check *c, const char *path, struct cdp_output *out,
                          uint64_t *kept, uint64_t *removed, struct cdp_error *err)
{
    return cdp_runfile_filter(path, "record", out, record_drop, c, kept, removed, err);
}
