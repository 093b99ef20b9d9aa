#include "profile/profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/intern.h"
#include "norm/date.h"
#include "io/json.h"
#include "identity/keys.h"
#include "norm/schema.h"
#include "profile/moment.h"

#define MONEY CDP_MONEY

enum ekind { E_OTHER, E_PURCHASE, E_RETURN, E_VIEW, E_CART_ADD, E_CART_REMOVE };

struct str {
    const char *p;
    uint32_t n;
};

struct event {
    int64_t ts; /* ms; INT64_MIN when unknown */
    struct str ts_text, order, sku, category, channel, store, json;
    int64_t qty, price, amount; /* 1/10000 */
    uint8_t kind, has_amount, has_price, has_qty;
    uint32_t seq;
};

/* A value a person record offers for a field. */
struct candidate {
    uint32_t field; /* id in p->fields */
    struct str value;
    uint8_t raw;    /* JSON text (number, bool), not a string */
    int64_t time;   /* the record's time; INT64_MIN: undated */
    uint32_t rank;  /* source priority: lower is preferred */
    uint32_t seq;
    uint32_t freq;  /* candidates of the field with this value */
};

struct ident {
    uint8_t kind; /* 0 email, 1 phone, 2 card, 3 customer_id */
    uint8_t person; /* from a person record */
    struct str value;
    int64_t time;
    uint32_t seq;
};

struct consent {
    uint8_t channel; /* 0 email, 1 sms, 2 ads */
    uint8_t yes;
    int64_t time;
    struct str who; /* "source/rid" */
    struct str when;
    uint32_t seq;
};

struct source_rid {
    struct str source, rid;
    uint32_t seq;
};

#define VEC(T) struct { T *v; size_t n, cap; }
#define PUSH(vec, item)                                                                  \
    do {                                                                                  \
        if ((vec).n == (vec).cap) {                                                       \
            (vec).cap = (vec).cap ? (vec).cap * 2 : 64;                                  \
            (vec).v = cdp_xrealloc((vec).v, (vec).cap * sizeof *(vec).v);                \
        }                                                                                 \
        (vec).v[(vec).n++] = (item);                                                      \
    } while (0)

#define NAME(s) { s, sizeof s - 1 }

/* The fields cdp_profile_add looks at, found in one pass over a record
 * (looking each up by name cost a third of cdp-merge's time). */
enum key {
    K_SOURCE, K_RID, K_KIND, K_EMAIL, K_PHONE, K_CARD, K_CUSTOMER_ID, K_CONSENT_EMAIL,
    K_CONSENT_SMS, K_CONSENT_ADS, K_UPDATED_AT, K_CREATED_AT, K_TS, K_EVENT, K_ORDER_ID, K_SKU,
    K_CATEGORY, K_CHANNEL, K_STORE, K_QTY, K_PRICE, K_AMOUNT, K_POINTS_BALANCE,
    K_POINTS_EXPIRE_AT, K_COUNT, K_OTHER = K_COUNT
};

static const struct {
    const char *name;
    size_t len;
} key_names[K_COUNT] = {
    NAME("_source"), NAME("_rid"), NAME("_kind"), NAME("email"), NAME("phone"), NAME("card"),
    NAME("customer_id"), NAME("consent_email"), NAME("consent_sms"), NAME("consent_ads"),
    NAME("updated_at"), NAME("created_at"), NAME("ts"), NAME("event"), NAME("order_id"),
    NAME("sku"), NAME("category"), NAME("channel"), NAME("store"), NAME("qty"), NAME("price"),
    NAME("amount"), NAME("points_balance"), NAME("points_expire_at"),
};

enum { KEY_MAX_LEN = 16 }; /* "points_expire_at" */

/* The keys of each length: keys_by_len[by_len[n] .. by_len[n + 1]). */
struct key_table {
    uint8_t by_len[KEY_MAX_LEN + 2];
    uint8_t keys_by_len[K_COUNT];
};

static void key_table_init(struct key_table *t)
{
    size_t k = 0;
    for (size_t n = 0; n <= KEY_MAX_LEN; n++) {
        t->by_len[n] = (uint8_t)k;
        for (int i = 0; i < K_COUNT; i++)
            if (key_names[i].len == n)
                t->keys_by_len[k++] = (uint8_t)i;
    }
    t->by_len[KEY_MAX_LEN + 1] = (uint8_t)k;
}

/* Whether a and b, n bytes each (n at most 16), are the same: as two words
 * that overlap, not through memcmp, whose calls on keys of a few bytes cost
 * 4% of cdp-merge's instructions. */
static inline bool same_short(const char *a, const char *b, size_t n)
{
    if (n >= 8) {
        uint64_t a0, a1, b0, b1;
        memcpy(&a0, a, 8), memcpy(&a1, a + n - 8, 8);
        memcpy(&b0, b, 8), memcpy(&b1, b + n - 8, 8);
        return a0 == b0 && a1 == b1;
    }
    if (n >= 4) {
        uint32_t a0, a1, b0, b1;
        memcpy(&a0, a, 4), memcpy(&a1, a + n - 4, 4);
        memcpy(&b0, b, 4), memcpy(&b1, b + n - 4, 4);
        return a0 == b0 && a1 == b1;
    }
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

/* Only the keys of the same length are compared: comparing with every key
 * cost 6% of cdp-merge's instructions. */
static enum key key_of(const struct key_table *t, const char *k, size_t n)
{
    if (n > KEY_MAX_LEN)
        return K_OTHER;
    for (size_t i = t->by_len[n]; i < t->by_len[n + 1]; i++) {
        int key = t->keys_by_len[i];
        if (key_names[key].name[0] == k[0] && same_short(key_names[key].name, k, n))
            return (enum key)key;
    }
    return K_OTHER;
}

struct cdp_profile {
    struct cdp_profile_options opt;
    struct cdp_keyset *placeholders; /* cdp-dedupe's default blocked values */
    struct key_table keys;
    struct cdp_arena arena;
    struct str id;
    uint32_t seq;
    /* Field names seen in person records, canonical first (ids below
     * ncanon, in schema order), then in the order first seen. */
    struct cdp_intern *fields;
    size_t ncanon;
    /* One person's categories and cart products (ids index cats and cart
     * items), so that finding one costs the same however many there are. */
    struct cdp_intern *categories, *skus;
    VEC(struct candidate) cand;
    VEC(struct event) events;
    VEC(struct ident) idents;
    VEC(struct consent) consents;
    VEC(struct source_rid) sources;
    struct cdp_buf tmp;
    uint64_t records;
    /* What the parts that change with the moment follow from, where they
     * are in the text cdp_profile_end wrote (offsets from its start), and
     * the person's earliest event at or after the moment: for
     * cdp_profile_save. cart_text holds the open items' text. */
    struct cdp_moment moment;
    size_t parts[CDP_MOMENT_PARTS][2];
    int64_t next_event;
    struct cdp_buf cart_text;
};

/* Fields a person record offers that are not survived one by one. */
static bool special(const char *k, size_t n)
{
    static const struct {
        const char *name;
        size_t len;
    } skip[] = { NAME("_source"),     NAME("_rid"),          NAME("_kind"),
                 NAME("cdp_id"),      NAME("attrs"),         NAME("_invalid"),
                 NAME("email"),       NAME("phone"),         NAME("card"),
                 NAME("customer_id"), NAME("anon_id"),       NAME("consent_email"),
                 NAME("consent_sms"), NAME("consent_ads"),   NAME("full_name") };
    for (size_t i = 0; i < sizeof skip / sizeof *skip; i++)
        if (skip[i].len == n && same_short(skip[i].name, k, n))
            return true;
    return false;
}

static uint32_t field_index(struct cdp_profile *p, const char *k, size_t n)
{
    return cdp_intern_add(p->fields, k, n, NULL);
}

static const char *field_name(const struct cdp_profile *p, uint32_t field)
{
    return cdp_intern_str(p->fields, field, NULL);
}

struct cdp_profile *cdp_profile_new(const struct cdp_profile_options *opt)
{
    struct cdp_profile *p = cdp_xcalloc(1, sizeof *p);
    p->opt = *opt;
    p->arena.block_size = 1 << 16;
    p->placeholders = cdp_keyset_new();
    cdp_keyset_default_blocks(p->placeholders);
    key_table_init(&p->keys);
    p->fields = cdp_intern_new();
    p->categories = cdp_intern_new();
    p->skus = cdp_intern_new();
    /* The canonical person fields come first, in schema order. */
    size_t n;
    const struct cdp_schema_field *f = cdp_schema_fields(&n);
    for (size_t i = 0; i < n; i++)
        if ((f[i].kinds & CDP_KIND_PERSON) && !special(f[i].name, strlen(f[i].name)))
            field_index(p, f[i].name, strlen(f[i].name));
    p->ncanon = cdp_intern_count(p->fields);
    return p;
}

void cdp_profile_free(struct cdp_profile *p)
{
    if (!p)
        return;
    cdp_keyset_free(p->placeholders);
    cdp_intern_free(p->fields);
    cdp_intern_free(p->categories);
    cdp_intern_free(p->skus);
    free(p->cand.v);
    free(p->events.v);
    free(p->idents.v);
    free(p->consents.v);
    free(p->sources.v);
    cdp_arena_release(&p->arena);
    cdp_buf_release(&p->tmp);
    cdp_moment_release(&p->moment);
    cdp_buf_release(&p->cart_text);
    free(p);
}

bool cdp_policy_parse(const char *name, enum cdp_policy *policy)
{
    static const char *const names[] = { "recent", "prefer", "frequent", "first", "min", "max" };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(name, names[i]) == 0) {
            *policy = (enum cdp_policy)i;
            return true;
        }
    return false;
}

void cdp_profile_begin(struct cdp_profile *p, const char *cdp_id, size_t len)
{
    cdp_arena_reset(&p->arena);
    p->cand.n = p->events.n = p->idents.n = p->consents.n = p->sources.n = 0;
    p->seq = 0;
    p->records = 0;
    p->id.p = cdp_arena_strdup(&p->arena, cdp_id, len);
    p->id.n = (uint32_t)len;
}

static struct str keep(struct cdp_profile *p, const char *s, size_t n)
{
    return (struct str){ cdp_arena_strdup(&p->arena, s, n), (uint32_t)n };
}

/* A field's value if it has one (not null, not empty). */
static const struct cdp_field *present(const struct cdp_field *f)
{
    return f && f->type != CDP_NULL && f->vlen > 0 ? f : NULL;
}

static struct str str_of(struct cdp_profile *p, const struct cdp_field *f)
{
    if (!present(f) || f->type == CDP_ARRAY || f->type == CDP_OBJECT)
        return (struct str){ NULL, 0 };
    return keep(p, f->val, f->vlen);
}

/* A JSON number (or numeric string) to 1/10000 units. */
static bool money(const struct cdp_field *f, int64_t *out)
{
    if (!f || (f->type != CDP_NUMBER && f->type != CDP_STRING) || f->vlen > 40)
        return false;
    char buf[48];
    memcpy(buf, f->val, f->vlen);
    buf[f->vlen] = '\0';
    const char *s = buf;
    bool neg = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    int64_t whole = 0, frac = 0;
    int fd = 0;
    if (!(*s >= '0' && *s <= '9'))
        return false;
    while (*s >= '0' && *s <= '9') {
        if (whole > INT64_MAX / 100)
            return false;
        whole = whole * 10 + (*s++ - '0');
    }
    if (*s == '.') {
        s++;
        while (*s >= '0' && *s <= '9') {
            if (fd < 4)
                frac = frac * 10 + (*s - '0'), fd++;
            s++;
        }
    }
    /* An exponent is no number of the schema (cdp-schema(5)), nor is one
     * out of its range: no value, never a wrapped one. */
    if (*s || whole >= CDP_MONEY_WHOLE_LIMIT)
        return false;
    while (fd < 4)
        frac *= 10, fd++;
    int64_t v = whole * MONEY + frac;
    *out = neg ? -v : v;
    return true;
}

/* A record's time: updated_at, else created_at, else ts; *which tells
 * which field gave it. */
static int64_t record_time(const struct cdp_field *const *slot, const struct cdp_field **which)
{
    static const enum key keys[] = { K_UPDATED_AT, K_CREATED_AT, K_TS };
    for (size_t i = 0; i < 3; i++) {
        const struct cdp_field *f = present(slot[keys[i]]);
        int64_t ms;
        if (f && f->type == CDP_STRING && cdp_time_parse(f->val, f->vlen, &ms)) {
            *which = f;
            return ms;
        }
    }
    *which = NULL;
    return INT64_MIN;
}

static uint32_t source_rank(const struct cdp_profile *p, const struct cdp_field *f)
{
    f = present(f);
    if (f)
        for (size_t i = 0; i < p->opt.nprefer; i++)
            if (strlen(p->opt.prefer[i]) == f->vlen && memcmp(p->opt.prefer[i], f->val, f->vlen) == 0)
                return (uint32_t)i;
    return (uint32_t)p->opt.nprefer;
}

static enum ekind event_kind(const struct cdp_field *f)
{
    if (!f || f->type != CDP_STRING)
        return E_OTHER;
    static const struct {
        const char *name;
        enum ekind kind;
    } kinds[] = { { "purchase", E_PURCHASE }, { "order", E_PURCHASE }, { "return", E_RETURN },
                  { "refund", E_RETURN },    { "view", E_VIEW },      { "product_view", E_VIEW },
                  { "cart_add", E_CART_ADD }, { "add_to_cart", E_CART_ADD },
                  { "cart_remove", E_CART_REMOVE }, { "remove_from_cart", E_CART_REMOVE } };
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        if (strlen(kinds[i].name) == f->vlen && memcmp(kinds[i].name, f->val, f->vlen) == 0)
            return kinds[i].kind;
    return E_OTHER;
}

void cdp_profile_add(struct cdp_profile *p, const struct cdp_record *rec, bool person)
{
    const struct cdp_field *slot[K_COUNT + 1] = { 0 };
    for (size_t i = 0; i < rec->n; i++)
        slot[key_of(&p->keys, rec->f[i].key, rec->f[i].klen)] = &rec->f[i];
    uint32_t seq = p->seq++;
    p->records++;
    struct source_rid sr = { str_of(p, slot[K_SOURCE]), str_of(p, slot[K_RID]), seq };
    PUSH(p->sources, sr);
    const struct cdp_field *when;
    int64_t time = record_time(slot, &when);
    /* Identifiers, from every record. */
    static const enum key idk[] = { K_EMAIL, K_PHONE, K_CARD, K_CUSTOMER_ID };
    for (uint8_t k = 0; k < 4; k++) {
        struct str v = str_of(p, slot[idk[k]]);
        if (v.p) {
            struct ident id = { k, person, v, time, seq };
            PUSH(p->idents, id);
        }
    }
    /* Consent, from every record that answers. */
    static const enum key ck[] = { K_CONSENT_EMAIL, K_CONSENT_SMS, K_CONSENT_ADS };
    for (uint8_t c = 0; c < 3; c++) {
        const struct cdp_field *f = slot[ck[c]];
        if (!f || (f->type != CDP_TRUE && f->type != CDP_FALSE))
            continue;
        struct cdp_buf *b = &p->tmp;
        cdp_buf_reset(b);
        cdp_buf_add(b, sr.source.p ? sr.source.p : "", sr.source.n);
        cdp_buf_addc(b, '/');
        cdp_buf_add(b, sr.rid.p ? sr.rid.p : "", sr.rid.n);
        struct consent cs = { c, f->type == CDP_TRUE, time, keep(p, b->data, b->len),
                              { NULL, 0 }, seq };
        if (when)
            cs.when = keep(p, when->val, when->vlen);
        PUSH(p->consents, cs);
    }
    if (person) {
        uint32_t rank = source_rank(p, slot[K_SOURCE]);
        for (size_t i = 0; i < rec->n; i++) {
            const struct cdp_field *f = &rec->f[i];
            if (f->vlen == 0 || f->type == CDP_NULL || f->type == CDP_ARRAY ||
                f->type == CDP_OBJECT || special(f->key, f->klen))
                continue;
            struct candidate c = { field_index(p, f->key, f->klen), keep(p, f->val, f->vlen),
                                   f->type != CDP_STRING, time, rank, seq, 0 };
            PUSH(p->cand, c);
        }
        return;
    }
    struct event e;
    memset(&e, 0, sizeof e);
    e.seq = seq;
    e.ts = INT64_MIN;
    const struct cdp_field *ts = present(slot[K_TS]);
    if (ts && when == ts) /* the record's time is its ts: parsed already */
        e.ts = time, e.ts_text = keep(p, ts->val, ts->vlen);
    else if (ts && ts->type == CDP_STRING && cdp_time_parse(ts->val, ts->vlen, &e.ts))
        e.ts_text = keep(p, ts->val, ts->vlen);
    else
        e.ts = INT64_MIN;
    e.kind = (uint8_t)event_kind(present(slot[K_EVENT]));
    e.order = str_of(p, slot[K_ORDER_ID]);
    e.sku = str_of(p, slot[K_SKU]);
    e.category = str_of(p, slot[K_CATEGORY]);
    e.channel = str_of(p, slot[K_CHANNEL]);
    e.store = str_of(p, slot[K_STORE]);
    e.has_qty = money(present(slot[K_QTY]), &e.qty);
    e.has_price = money(present(slot[K_PRICE]), &e.price);
    e.has_amount = money(present(slot[K_AMOUNT]), &e.amount);
    if (!e.has_qty)
        e.qty = MONEY;
    if (!e.has_amount && e.has_price)
        e.has_amount = cdp_money_times(e.price, e.qty, &e.amount);
    /* Loyalty points ride on events too: the latest balance survives. */
    const struct cdp_field *pts[] = { present(slot[K_POINTS_BALANCE]),
                                      present(slot[K_POINTS_EXPIRE_AT]) };
    for (int i = 0; i < 2; i++)
        if (pts[i]) {
            struct candidate c = { field_index(p, i ? "points_expire_at" : "points_balance",
                                               i ? 16 : 14),
                                   keep(p, pts[i]->val, pts[i]->vlen), pts[i]->type != CDP_STRING,
                                   e.ts, (uint32_t)p->opt.nprefer, seq, 0 };
            PUSH(p->cand, c);
        }
    if (p->opt.keep_events) {
        cdp_buf_reset(&p->tmp);
        cdp_json_add_record(&p->tmp, rec);
        e.json = keep(p, p->tmp.data, p->tmp.len);
    }
    PUSH(p->events, e);
}

/* ---- writing ---------------------------------------------------------- */

/* qsort_r, but by insertion for the few elements most persons have:
 * glibc's merge sort allocates and calls through pointers (6% of the run).
 * Every comparator here orders distinct elements totally (equal ones are
 * equal in every byte written), so the algorithm changes no result. */
static void sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *, void *),
                 void *ctx)
{
    char tmp[256];
    if (n > 16 || size > sizeof tmp) {
        qsort_r(base, n, size, cmp, ctx);
        return;
    }
    char *a = base;
    for (size_t i = 1; i < n; i++) {
        if (cmp(a + (i - 1) * size, a + i * size, ctx) <= 0)
            continue;
        memcpy(tmp, a + i * size, size);
        size_t j = i;
        do {
            memcpy(a + j * size, a + (j - 1) * size, size);
            j--;
        } while (j > 0 && cmp(a + (j - 1) * size, tmp, ctx) > 0);
        memcpy(a + j * size, tmp, size);
    }
}

static int str_cmp(struct str a, struct str b)
{
    size_t n = a.n < b.n ? a.n : b.n;
    int c = n ? memcmp(a.p, b.p, n) : 0;
    return c ? c : (a.n > b.n) - (a.n < b.n);
}

static bool str_eq(struct str a, struct str b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

static void add_key(struct cdp_buf *b, const char *key)
{
    cdp_buf_addc(b, ',');
    cdp_json_add_string(b, key, strlen(key));
    cdp_buf_addc(b, ':');
}

/* A key of the profile's own: ,"KEY": without escaping it at run time
 * (KEY is a literal that needs none). */
#define add_literal_key(b, key) cdp_buf_add((b), ",\"" key "\":", sizeof key + 3)

static void add_str(struct cdp_buf *b, struct str s)
{
    cdp_json_add_string(b, s.p ? s.p : "", s.n);
}

static enum cdp_policy policy_of(const struct cdp_profile *p, const char *field)
{
    for (size_t i = p->opt.nrules; i-- > 0;) /* the last --rule for a field wins */
        if (strcmp(p->opt.rule_fields[i], field) == 0)
            return p->opt.rule_policies[i];
    /* A profile was created when its first record was, updated when its
     * last one was. */
    if (strcmp(field, "created_at") == 0)
        return CDP_POLICY_MIN;
    if (strcmp(field, "updated_at") == 0)
        return CDP_POLICY_MAX;
    return CDP_POLICY_RECENT;
}

/* Whether candidate x beats y under the policy (freq counted first). */
static bool beats(enum cdp_policy pol, const struct candidate *x, const struct candidate *y)
{
    uint32_t fx = x->freq, fy = y->freq;
    int by_value = str_cmp(x->value, y->value);
    /* Compare numbers as numbers for min/max. */
    if ((pol == CDP_POLICY_MIN || pol == CDP_POLICY_MAX) && x->raw && y->raw) {
        double dx = strtod(x->value.p, NULL), dy = strtod(y->value.p, NULL);
        by_value = (dx > dy) - (dx < dy);
    }
    switch (pol) {
    case CDP_POLICY_MIN:
        if (by_value)
            return by_value < 0;
        break;
    case CDP_POLICY_MAX:
        if (by_value)
            return by_value > 0;
        break;
    case CDP_POLICY_PREFER:
        if (x->rank != y->rank)
            return x->rank < y->rank;
        if (x->time != y->time)
            return x->time > y->time;
        break;
    case CDP_POLICY_FREQUENT:
        if (fx != fy)
            return fx > fy;
        if (x->time != y->time)
            return x->time > y->time;
        break;
    case CDP_POLICY_FIRST:
        if (x->time != y->time)
            return x->time < y->time;
        break;
    case CDP_POLICY_RECENT:
        if (x->time != y->time)
            return x->time > y->time;
        break;
    }
    /* Then: the preferred source, the more frequent value, the smaller value. */
    if (x->rank != y->rank)
        return x->rank < y->rank;
    if (fx != fy)
        return fx > fy;
    if (by_value)
        return by_value < 0;
    return x->seq < y->seq;
}

/* Candidates (indices into the array ctx) by field, then value, then
 * position. */
static int cmp_cand_value(const void *a, const void *b, void *ctx)
{
    const struct candidate *c = ctx;
    uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
    if (c[i].field != c[j].field)
        return c[i].field < c[j].field ? -1 : 1;
    int k = str_cmp(c[i].value, c[j].value);
    return k ? k : (i > j) - (i < j);
}

/* Candidates by field, then position. */
static int cmp_cand_field(const void *a, const void *b, void *ctx)
{
    const struct candidate *c = ctx;
    uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
    if (c[i].field != c[j].field)
        return c[i].field < c[j].field ? -1 : 1;
    return (i > j) - (i < j);
}

/* A field and the candidate that survives for it. */
struct survivor {
    uint32_t field, best;
};

/* Canonical fields in schema order (their ids), then the others by name. */
static int cmp_survivor(const void *a, const void *b, void *ctx)
{
    const struct cdp_profile *p = ctx;
    const struct survivor *x = a, *y = b;
    bool xc = x->field < p->ncanon, yc = y->field < p->ncanon;
    if (xc != yc)
        return xc ? -1 : 1;
    int k = xc ? 0 : strcmp(field_name(p, x->field), field_name(p, y->field));
    return k ? k : (x->field > y->field) - (x->field < y->field);
}

/* How often each candidate's value occurs among its field's candidates,
 * into freq; idx (n entries) is scratch. */
static void count_frequencies(struct candidate *c, size_t n, uint32_t *idx)
{
    for (size_t i = 0; i < n; i++)
        idx[i] = (uint32_t)i;
    sort(idx, n, sizeof *idx, cmp_cand_value, c);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && c[idx[j]].field == c[idx[i]].field && str_eq(c[idx[j]].value, c[idx[i]].value))
            j++;
        for (size_t k = i; k < j; k++)
            c[idx[k]].freq = (uint32_t)(j - i);
        i = j;
    }
}

/* The surviving candidate of every field the person has, in output order
 * (returned, *nfields of them). Within a field the candidates are tried in
 * the order they came, each against the best so far: beats is no total
 * order (numbers against text under min or max), so the order matters. */
static struct survivor *survivors(struct cdp_profile *p, size_t *nfields)
{
    struct candidate *c = p->cand.v;
    size_t n = p->cand.n, k = 0;
    uint32_t *idx = cdp_xmalloc((n + 1) * sizeof *idx);
    struct survivor *s = cdp_xmalloc((n + 1) * sizeof *s);
    count_frequencies(c, n, idx);
    for (size_t i = 0; i < n; i++)
        idx[i] = (uint32_t)i;
    sort(idx, n, sizeof *idx, cmp_cand_field, c);
    for (size_t i = 0; i < n;) {
        uint32_t field = c[idx[i]].field, best = idx[i];
        enum cdp_policy pol = policy_of(p, field_name(p, field));
        size_t j = i + 1;
        for (; j < n && c[idx[j]].field == field; j++)
            if (beats(pol, &c[idx[j]], &c[best]))
                best = idx[j];
        s[k++] = (struct survivor){ field, best };
        i = j;
    }
    free(idx);
    sort(s, k, sizeof *s, cmp_survivor, p);
    *nfields = k;
    return s;
}

static void write_fields(struct cdp_profile *p, struct cdp_buf *b, int64_t latest)
{
    struct candidate *c = p->cand.v;
    /* An undated person record is as recent as the person's latest event. */
    for (size_t i = 0; i < p->cand.n; i++)
        if (c[i].time == INT64_MIN)
            c[i].time = latest;
    size_t nfields;
    struct survivor *s = survivors(p, &nfields);
    const struct candidate *balance = NULL, *expire = NULL;
    for (size_t i = 0; i < nfields; i++) {
        const char *name = field_name(p, s[i].field);
        const struct candidate *best = &c[s[i].best];
        add_key(b, name);
        if (best->raw)
            cdp_buf_add(b, best->value.p, best->value.n);
        else
            add_str(b, best->value);
        if (!strcmp(name, "points_balance"))
            balance = best;
        else if (!strcmp(name, "points_expire_at"))
            expire = best;
    }
    free(s);
    if (balance && expire) {
        p->moment.balance = balance->value.p, p->moment.balance_len = balance->value.n;
        p->moment.expire = expire->value.p, p->moment.expire_len = expire->value.n;
    }
}

static int cmp_ident(const void *a, const void *b, void *ctx)
{
    (void)ctx;
    const struct ident *x = a, *y = b;
    if (x->kind != y->kind)
        return x->kind - y->kind;
    int c = str_cmp(x->value, y->value);
    if (c)
        return c;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Distinct identifiers of one kind, best first: from person records, then
 * the most recently used, then in byte order. */
static int cmp_ident_rank(const void *a, const void *b, void *ctx)
{
    (void)ctx;
    const struct ident *x = a, *y = b;
    if (x->person != y->person)
        return x->person ? -1 : 1;
    if (x->time != y->time)
        return x->time > y->time ? -1 : 1;
    return str_cmp(x->value, y->value);
}

/* Per kind: the distinct values, the best first, then the most recently
 * used, then in byte order. */
static void write_idents(struct cdp_profile *p, struct cdp_buf *b)
{
    static const char *const single[] = { "email", "phone", NULL, NULL };
    static const char *const plural[] = { "emails", "phones", "cards", "customer_ids" };
    if (p->idents.n)
        sort(p->idents.v, p->idents.n, sizeof *p->idents.v, cmp_ident, NULL);
    /* Collapse repeats: keep the latest time and whether a person record
     * gave it. */
    struct ident *v = p->idents.v;
    size_t n = 0;
    for (size_t i = 0; i < p->idents.n; i++) {
        if (n && v[n - 1].kind == v[i].kind && str_eq(v[n - 1].value, v[i].value)) {
            if (v[i].time > v[n - 1].time)
                v[n - 1].time = v[i].time;
            v[n - 1].person |= v[i].person;
            continue;
        }
        v[n++] = v[i];
    }
    /* A cashier's placeholder phone or a "no e-mail" address is nobody's
     * identifier (cdp-dedupe's default blocked values): left out. Asked
     * once per distinct value: the regular expressions cost an eighth of
     * cdp-merge's time when every repeat was asked. */
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (!cdp_keyset_blocked(p->placeholders, v[i].value.p, v[i].value.n))
            v[kept++] = v[i];
    n = kept;
    for (uint8_t kind = 0; kind < 4; kind++) {
        size_t start = 0, end;
        while (start < n && v[start].kind != kind)
            start++;
        end = start;
        while (end < n && v[end].kind == kind)
            end++;
        if (start == end)
            continue;
        sort(v + start, end - start, sizeof *v, cmp_ident_rank, NULL);
        if (single[kind]) {
            add_key(b, single[kind]);
            add_str(b, v[start].value);
        }
        add_key(b, plural[kind]);
        cdp_buf_addc(b, '[');
        for (size_t i = start; i < end; i++) {
            if (i > start)
                cdp_buf_addc(b, ',');
            add_str(b, v[i].value);
        }
        cdp_buf_addc(b, ']');
    }
}

static void write_consents(struct cdp_profile *p, struct cdp_buf *b)
{
    static const char *const names[] = { "consent_email", "consent_sms", "consent_ads" };
    for (uint8_t ch = 0; ch < 3; ch++) {
        const struct consent *win = NULL;
        /* An undated "no" wins over everything; otherwise the latest dated
         * answer, a "no" on a tie; an undated "yes" only if nothing else. */
        for (size_t i = 0; i < p->consents.n; i++) {
            const struct consent *c = &p->consents.v[i];
            if (c->channel != ch)
                continue;
            if (!win) {
                win = c;
                continue;
            }
            bool c_undated_no = c->time == INT64_MIN && !c->yes;
            bool w_undated_no = win->time == INT64_MIN && !win->yes;
            if (w_undated_no)
                continue;
            if (c_undated_no) {
                win = c;
                continue;
            }
            if (win->time == INT64_MIN && c->time != INT64_MIN) {
                win = c; /* a dated answer over an undated yes */
                continue;
            }
            if (c->time == INT64_MIN)
                continue;
            if (c->time > win->time || (c->time == win->time && !c->yes && win->yes))
                win = c;
        }
        if (!win)
            continue;
        add_key(b, names[ch]);
        cdp_buf_adds(b, win->yes ? "true" : "false");
        /* Not cdp_buf_printf: vsnprintf cost 7.6% of cdp-merge's
         * instructions here (callgrind, 100k lines' sample). */
        cdp_buf_adds(b, ",\"");
        cdp_buf_adds(b, names[ch]);
        cdp_buf_adds(b, "_source\":");
        add_str(b, win->who);
        if (win->when.p) {
            cdp_buf_adds(b, ",\"");
            cdp_buf_adds(b, names[ch]);
            cdp_buf_adds(b, "_at\":");
            add_str(b, win->when);
        }
    }
}

static int cmp_event(const void *a, const void *b, void *ctx)
{
    (void)ctx;
    const struct event *x = a, *y = b;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* One order (or return) line: what traits count. */
struct line {
    struct str order, category, ts_text;
    int64_t ts, amount;
    uint32_t event; /* its event's index: ties keep the events' order */
    bool positive;
};

static int cmp_line_order(const void *a, const void *b, void *ctx)
{
    (void)ctx;
    const struct line *x = a, *y = b;
    if (x->positive != y->positive)
        return x->positive ? -1 : 1;
    int c = str_cmp(x->order, y->order);
    if (c)
        return c;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return (x->event > y->event) - (x->event < y->event);
}

struct category {
    struct str name;
    uint64_t orders, views;
    int64_t revenue, first_at, last_at, last_view_at;
    struct str first_text, last_text, view_text;
    uint64_t run; /* the order run (count_purchases) that last touched it */
};

typedef VEC(struct category) category_list;

/* The person's category of that name (p->categories numbers them in the
 * order cats holds them). */
static struct category *category_of(struct cdp_profile *p, category_list *cats, struct str name)
{
    int added;
    uint32_t id = cdp_intern_add(p->categories, name.p, name.n, &added);
    if (!added)
        return &cats->v[id];
    struct category c;
    memset(&c, 0, sizeof c);
    c.name = name;
    c.first_at = INT64_MAX;
    c.last_at = c.last_view_at = INT64_MIN;
    PUSH(*cats, c);
    return &cats->v[cats->n - 1];
}

static int cmp_category(const void *a, const void *b, void *ctx)
{
    (void)ctx;
    return str_cmp(((const struct category *)a)->name, ((const struct category *)b)->name);
}

static int cmp_str(const void *a, const void *b, void *ctx)
{
    (void)ctx;
    return str_cmp(*(const struct str *)a, *(const struct str *)b);
}

/* Drops the events after the as-of moment (they have not happened yet) and
 * sorts the rest by time. */
static void events_until_as_of(struct cdp_profile *p)
{
    struct event *ev = p->events.v;
    size_t k = 0;
    for (size_t i = 0; i < p->events.n; i++)
        if (ev[i].ts == INT64_MIN || ev[i].ts < p->opt.as_of_ms)
            ev[k++] = ev[i];
    p->events.n = k;
    if (k)
        sort(ev, k, sizeof *ev, cmp_event, NULL);
}

/* The purchase and return lines that have an amount, sorted so that the
 * lines of an order are adjacent (returns after purchases). */
static struct line *order_lines(struct cdp_profile *p, size_t *n)
{
    const struct event *ev = p->events.v;
    size_t ne = p->events.n, nl = 0;
    struct line *lines = cdp_xmalloc((ne + 1) * sizeof *lines);
    char key[32];
    for (size_t i = 0; i < ne; i++) {
        const struct event *e = &ev[i];
        if ((e->kind != E_PURCHASE && e->kind != E_RETURN) || !e->has_amount)
            continue;
        struct line l = { e->order, e->category, e->ts_text, e->ts, e->amount, (uint32_t)i, true };
        if (e->kind == E_RETURN || e->amount < 0 || (e->has_qty && e->qty < 0)) {
            l.positive = false;
            if (l.amount > 0)
                l.amount = -l.amount;
        }
        if (!l.order.p) { /* no order id: the line is its own order */
            int kn = snprintf(key, sizeof key, "\x01%u", e->seq);
            l.order = keep(p, key, (size_t)kn);
        }
        lines[nl++] = l;
    }
    sort(lines, nl, sizeof *lines, cmp_line_order, NULL);
    *n = nl;
    return lines;
}

/* What the order lines add up to. */
struct purchases {
    uint64_t orders, returns;
    int64_t revenue, first, last;
    struct str first_text, last_text;
};

/* A line's share of its category: revenue, the order (once per order and
 * category), first and last purchase. run numbers the line's order (its
 * run of adjacent lines, from 1). */
static void count_category_line(struct cdp_profile *p, category_list *cats, const struct line *l,
                                uint64_t run)
{
    struct category *c = category_of(p, cats, l->category);
    c->revenue = cdp_money_sum(c->revenue, l->amount);
    /* Distinct orders per category: lines of one order are adjacent and an
     * order counts once per category it touches. */
    bool counted = c->run == run;
    c->run = run;
    if (l->positive && !counted)
        c->orders++;
    if (l->positive && l->ts != INT64_MIN) {
        if (l->ts < c->first_at)
            c->first_at = l->ts, c->first_text = l->ts_text;
        if (l->ts > c->last_at)
            c->last_at = l->ts, c->last_text = l->ts_text;
    }
}

static void count_purchases(struct cdp_profile *p, const struct line *lines, size_t nl,
                            struct purchases *t, category_list *cats)
{
    memset(t, 0, sizeof *t);
    t->first = INT64_MAX;
    t->last = INT64_MIN;
    uint64_t run = 0;
    for (size_t i = 0; i < nl; i++) {
        const struct line *l = &lines[i];
        bool new_order =
            i == 0 || lines[i - 1].positive != l->positive || !str_eq(lines[i - 1].order, l->order);
        run += new_order;
        t->revenue = cdp_money_sum(t->revenue, l->amount);
        if (l->ts != INT64_MIN)
            cdp_moment_add_revenue(&p->moment, cdp_day_of(l->ts), l->amount);
        if (!l->positive) {
            t->returns += new_order;
        } else if (new_order) {
            t->orders++;
            if (l->ts != INT64_MIN)
                cdp_moment_add_order(&p->moment, cdp_day_of(l->ts));
        }
        if (l->positive && l->ts != INT64_MIN) {
            if (l->ts < t->first)
                t->first = l->ts, t->first_text = l->ts_text;
            if (l->ts > t->last)
                t->last = l->ts, t->last_text = l->ts_text;
        }
        if (l->category.p)
            count_category_line(p, cats, l, run);
    }
    p->moment.has_purchase = t->first_text.p != NULL;
    p->moment.last_purchase_day = t->first_text.p ? cdp_day_of(t->last) : 0;
}

/* Writes a part that changes with the moment, noting where it is. */
static void write_moment(struct cdp_profile *p, enum cdp_moment_part part, struct cdp_buf *b,
                         size_t start)
{
    p->parts[part][0] = b->len - start;
    cdp_moment_write(&p->moment, part, &p->opt, b);
    p->parts[part][1] = b->len - start;
}

static void write_purchases(struct cdp_profile *p, struct cdp_buf *b, const struct purchases *t,
                            size_t start)
{
    add_literal_key(b, "orders");
    cdp_int_write(b, (int64_t)t->orders);
    add_literal_key(b, "revenue");
    cdp_money_write(b, t->revenue);
    if (t->orders) {
        add_literal_key(b, "avg_order_value");
        cdp_money_write(b, t->revenue / (int64_t)t->orders);
    }
    if (t->first_text.p) {
        add_literal_key(b, "first_purchase_at");
        add_str(b, t->first_text);
        add_literal_key(b, "last_purchase_at");
        add_str(b, t->last_text);
    }
    /* days_since_last_purchase, orders_30d ... revenue_365d */
    write_moment(p, CDP_MOMENT_PURCHASES, b, start);
    add_literal_key(b, "returns");
    cdp_int_write(b, (int64_t)t->returns);
}

/* Views per category, and the days of the views (for views_30d). */
static void count_views(struct cdp_profile *p, category_list *cats)
{
    for (size_t i = 0; i < p->events.n; i++) {
        const struct event *e = &p->events.v[i];
        if (e->kind != E_VIEW)
            continue;
        if (e->ts != INT64_MIN)
            cdp_moment_add_view(&p->moment, cdp_day_of(e->ts));
        if (!e->category.p)
            continue;
        struct category *c = category_of(p, cats, e->category);
        c->views++;
        if (e->ts != INT64_MIN && e->ts >= c->last_view_at)
            c->last_view_at = e->ts, c->view_text = e->ts_text;
    }
}

static void write_category(struct cdp_buf *b, const struct category *c)
{
    add_str(b, c->name);
    cdp_buf_adds(b, ":{\"orders\":");
    cdp_int_write(b, (int64_t)c->orders);
    cdp_buf_adds(b, ",\"revenue\":");
    cdp_money_write(b, c->revenue);
    if (c->first_text.p) {
        cdp_buf_adds(b, ",\"first_at\":");
        add_str(b, c->first_text);
        cdp_buf_adds(b, ",\"last_at\":");
        add_str(b, c->last_text);
    }
    cdp_buf_adds(b, ",\"views\":");
    cdp_int_write(b, (int64_t)c->views);
    if (c->view_text.p) {
        cdp_buf_adds(b, ",\"last_view_at\":");
        add_str(b, c->view_text);
    }
    cdp_buf_addc(b, '}');
}

/* "categories" by name, then the top category: the most revenue, then the
 * latest purchase. */
static void write_categories(struct cdp_buf *b, category_list *cats)
{
    if (!cats->n)
        return;
    sort(cats->v, cats->n, sizeof *cats->v, cmp_category, NULL);
    add_literal_key(b, "categories");
    cdp_buf_addc(b, '{');
    const struct category *top = NULL;
    for (size_t i = 0; i < cats->n; i++) {
        const struct category *c = &cats->v[i];
        if (i)
            cdp_buf_addc(b, ',');
        write_category(b, c);
        if (c->orders &&
            (!top || c->revenue > top->revenue || (c->revenue == top->revenue && c->last_at > top->last_at)))
            top = c;
    }
    cdp_buf_addc(b, '}');
    if (top) {
        add_literal_key(b, "top_category");
        add_str(b, top->name);
    }
}

/* The 20 products viewed last, each once, the latest first. */
static void write_last_viewed(const struct cdp_profile *p, struct cdp_buf *b)
{
    enum { LAST_VIEWED = 20 };
    const struct event *ev = p->events.v;
    struct str shown_skus[LAST_VIEWED];
    size_t shown = 0;
    for (size_t i = p->events.n; i-- > 0 && shown < LAST_VIEWED;) {
        const struct event *e = &ev[i];
        if (e->kind != E_VIEW || !e->sku.p || e->ts == INT64_MIN)
            continue;
        /* Distinct skus: only the latest view of each. Every later view is
         * of a sku shown already. */
        bool seen = false;
        for (size_t j = 0; j < shown && !seen; j++)
            seen = str_eq(shown_skus[j], e->sku);
        if (seen)
            continue;
        shown_skus[shown] = e->sku;
        cdp_buf_adds(b, shown ? "," : ",\"last_viewed\":[");
        cdp_buf_adds(b, "{\"sku\":");
        add_str(b, e->sku);
        if (e->category.p) {
            cdp_buf_adds(b, ",\"category\":");
            add_str(b, e->category);
        }
        cdp_buf_adds(b, ",\"at\":");
        add_str(b, e->ts_text);
        cdp_buf_addc(b, '}');
        shown++;
    }
    if (shown)
        cdp_buf_addc(b, ']');
}

/* A product in the cart. */
struct cart_item {
    struct str sku, category;
    int64_t added, qty, price;
    bool open;
    struct str added_text;
};

typedef VEC(struct cart_item) cart;

/* The cart as the events leave it: what was added and neither bought
 * (online or at a till) nor removed since. Items in the order first added
 * (p->skus numbers them so). */
static void fill_cart(struct cdp_profile *p, cart *items)
{
    cdp_intern_clear(p->skus);
    for (size_t i = 0; i < p->events.n; i++) {
        const struct event *e = &p->events.v[i];
        if (!e->sku.p || e->ts == INT64_MIN)
            continue;
        struct cart_item *it = NULL;
        uint32_t id = cdp_intern_find(p->skus, e->sku.p, e->sku.n);
        if (id != UINT32_MAX)
            it = &items->v[id];
        if (e->kind == E_CART_ADD) {
            if (!it) {
                cdp_intern_add(p->skus, e->sku.p, e->sku.n, NULL);
                PUSH(*items, ((struct cart_item){ .sku = e->sku }));
                it = &items->v[items->n - 1];
            }
            if (!it->open) {
                it->open = true;
                it->added = e->ts;
                it->added_text = e->ts_text;
            }
            it->category = e->category.p ? e->category : it->category;
            it->qty = e->qty;
            it->price = e->has_price ? e->price : it->price;
        } else if (it && (e->kind == E_CART_REMOVE || (e->kind == E_PURCHASE && e->amount >= 0))) {
            it->open = false;
        }
    }
}

static void write_cart_item(struct cdp_buf *b, const struct cart_item *it)
{
    cdp_buf_adds(b, "{\"sku\":");
    add_str(b, it->sku);
    if (it->category.p) {
        cdp_buf_adds(b, ",\"category\":");
        add_str(b, it->category);
    }
    cdp_buf_adds(b, ",\"qty\":");
    if (it->qty % MONEY == 0)
        cdp_int_write(b, it->qty / MONEY);
    else
        cdp_money_write(b, it->qty);
    cdp_buf_adds(b, ",\"price\":");
    cdp_money_write(b, it->price);
    cdp_buf_addc(b, '}');
}

/* An item's value, price x quantity; 0 beyond the range of a number. */
static int64_t cart_value(const struct cart_item *it)
{
    int64_t v;
    return cdp_money_times(it->price, it->qty, &v) ? v : 0;
}

/* The open items of the cart, for the abandoned cart (moment.h: an item
 * is abandoned once the timeout has passed). */
static void open_cart_items(struct cdp_profile *p)
{
    cart items = { NULL, 0, 0 };
    fill_cart(p, &items);
    cdp_buf_reset(&p->cart_text);
    size_t *at = cdp_xmalloc((items.n + 1) * sizeof *at);
    for (size_t j = 0; j < items.n; j++) {
        at[j] = p->cart_text.len;
        if (items.v[j].open)
            write_cart_item(&p->cart_text, &items.v[j]);
    }
    for (size_t j = 0; j < items.n; j++) {
        const struct cart_item *it = &items.v[j];
        if (!it->open)
            continue;
        size_t end = j + 1 < items.n ? at[j + 1] : p->cart_text.len;
        struct cdp_moment_item m = { it->added, it->added_text.p, p->cart_text.data + at[j],
                                     it->added_text.n, (uint32_t)(end - at[j]),
                                     cart_value(it) };
        cdp_moment_add_item(&p->moment, &m);
    }
    free(at);
    free(items.v);
}

/* "channels": events per channel; "stores": the stores, each once. */
static void write_channels_and_stores(const struct cdp_profile *p, struct cdp_buf *b)
{
    size_t ne = p->events.n, nc = 0, ns = 0;
    struct str *chans = cdp_xmalloc((ne + 1) * sizeof *chans);
    struct str *stores = cdp_xmalloc((ne + 1) * sizeof *stores);
    for (size_t i = 0; i < ne; i++) {
        if (p->events.v[i].channel.p)
            chans[nc++] = p->events.v[i].channel;
        if (p->events.v[i].store.p)
            stores[ns++] = p->events.v[i].store;
    }
    if (nc) {
        sort(chans, nc, sizeof *chans, cmp_str, NULL);
        add_literal_key(b, "channels");
        cdp_buf_addc(b, '{');
        for (size_t i = 0; i < nc;) {
            size_t j = i;
            while (j < nc && str_eq(chans[j], chans[i]))
                j++;
            if (i)
                cdp_buf_addc(b, ',');
            add_str(b, chans[i]);
            cdp_buf_addc(b, ':');
            cdp_int_write(b, (int64_t)(j - i));
            i = j;
        }
        cdp_buf_addc(b, '}');
    }
    if (ns) {
        sort(stores, ns, sizeof *stores, cmp_str, NULL);
        add_literal_key(b, "stores");
        cdp_buf_addc(b, '[');
        for (size_t i = 0, w = 0; i < ns; i++) {
            if (i && str_eq(stores[i], stores[i - 1]))
                continue;
            if (w++)
                cdp_buf_addc(b, ',');
            add_str(b, stores[i]);
        }
        cdp_buf_addc(b, ']');
    }
    free(chans);
    free(stores);
}

/* The traits, in the order cdp-merge(1) lists them under TRAITS. */
static void write_traits(struct cdp_profile *p, struct cdp_buf *b, size_t start)
{
    events_until_as_of(p);
    size_t nl;
    struct line *lines = order_lines(p, &nl);
    struct purchases t;
    category_list cats = { NULL, 0, 0 };
    cdp_intern_clear(p->categories);
    count_purchases(p, lines, nl, &t, &cats);
    free(lines);
    write_purchases(p, b, &t, start);
    count_views(p, &cats);
    write_categories(b, &cats);
    free(cats.v);
    write_moment(p, CDP_MOMENT_VIEWS, b, start);
    write_last_viewed(p, b);
    open_cart_items(p);
    write_moment(p, CDP_MOMENT_CART, b, start);
    write_channels_and_stores(p, b);
}

static int cmp_source_rid(const void *a, const void *b, void *ctx)
{
    (void)ctx;
    const struct source_rid *x = a, *y = b;
    int c = str_cmp(x->source, y->source);
    return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

void cdp_profile_end(struct cdp_profile *p, struct cdp_buf *b)
{
    size_t start = b->len;
    int64_t latest = INT64_MIN;
    p->next_event = INT64_MAX;
    cdp_moment_reset(&p->moment);
    for (size_t i = 0; i < p->events.n; i++) {
        int64_t ts = p->events.v[i].ts;
        if (ts != INT64_MIN && ts < p->opt.as_of_ms && ts > latest)
            latest = ts;
        if (ts != INT64_MIN && ts >= p->opt.as_of_ms && ts < p->next_event)
            p->next_event = ts;
    }
    /* An undated record is as recent as the person's latest event. */
    for (size_t i = 0; i < p->idents.n; i++)
        if (p->idents.v[i].time == INT64_MIN)
            p->idents.v[i].time = latest;
    cdp_buf_adds(b, "{\"cdp_id\":");
    add_str(b, p->id);
    write_fields(p, b, latest);
    write_moment(p, CDP_MOMENT_POINTS, b, start);
    write_idents(p, b);
    write_consents(p, b);
    write_traits(p, b, start);
    /* Where every record came from, by source. */
    sort(p->sources.v, p->sources.n, sizeof *p->sources.v, cmp_source_rid, NULL);
    add_literal_key(b, "sources");
    cdp_buf_addc(b, '{');
    for (size_t i = 0; i < p->sources.n; i++) {
        const struct source_rid *s = &p->sources.v[i];
        bool new_source = i == 0 || !str_eq(p->sources.v[i - 1].source, s->source);
        if (new_source) {
            if (i)
                cdp_buf_adds(b, "],");
            add_str(b, s->source);
            cdp_buf_adds(b, ":[");
        } else {
            cdp_buf_addc(b, ',');
        }
        add_str(b, s->rid);
    }
    if (p->sources.n)
        cdp_buf_addc(b, ']');
    cdp_buf_addc(b, '}');
    add_literal_key(b, "records");
    cdp_int_write(b, (int64_t)p->records);
}

void cdp_profile_save(const struct cdp_profile *p, const char *text, size_t len, struct cdp_buf *out)
{
    cdp_moment_save(&p->moment, text, len, p->parts, &p->opt, p->next_event, out);
}

void cdp_profile_events_json(struct cdp_profile *p, struct cdp_buf *out)
{
    cdp_buf_addc(out, '[');
    for (size_t i = 0; i < p->events.n; i++) {
        if (i)
            cdp_buf_addc(out, ',');
        if (p->events.v[i].json.p)
            cdp_buf_add(out, p->events.v[i].json.p, p->events.v[i].json.n);
        else
            cdp_buf_adds(out, "null");
    }
    cdp_buf_addc(out, ']');
}
