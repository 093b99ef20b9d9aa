#include "ingest/ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "norm/decimal.h"
#include "norm/email.h"
#include "io/json.h"
#include "norm/name.h"
#include "norm/phone.h"
#include "norm/schema.h"
#include "norm/text.h"
#include "norm/vocab.h"

#define MAX_ROLES 4

/* An output field and where its value comes from. */
/* Keys up to this long are copied as a block of this size (see put_key). */
#define KEY_COPY 32

struct target {
    const char *name;
    char *json_key; /* ",\"name\":" ready to copy */
    size_t json_key_len;
    char key_block[KEY_COPY]; /* json_key when it fits, zeros after it */
    enum cdp_field_type type;
    bool canonical;
    const char *column;   /* NULL when constant or unmapped */
    const char *constant; /* --set / := */
    bool explicit_column; /* named by -m or a map file, not by its own name */
    bool birth_date;      /* checked for plausibility */
    bool plain_json;      /* its values never need a JSON escape (dates, codes) */
    unsigned modifiers;   /* CDP_MAP_* */
    size_t first_rule, nrules; /* in cdp_ingest.rules */
    int role;                  /* of the column feeding it, -1: none (build_roles) */
};

/* A map file's rule: value when the column's value passes the test. */
struct rule {
    const char *value;
    const char *column;
    enum cdp_map_test test;
    const char *text; /* CDP_MAP_STARTS_WITH */
    size_t text_len;
    int role;         /* of the column, set by build_roles */
};

/* What an input column feeds. */
struct role {
    const char *column;
    int targets[MAX_ROLES];
    int ntargets;
    bool rid;
    bool tested; /* a rule reads it */
};

struct slot {
    const char *val;
    size_t len;
    enum cdp_type type;
    const char *column;
    bool nonempty; /* known to hold more than white space (route found so) */
};

struct value_span {
    size_t off, len;
    bool raw; /* written as JSON as it is (number, true/false) */
    bool present;
    bool plain; /* a string with nothing to escape (the memo knew so) */
};

/* The last normalisations of a field's values, by their text: exports
 * repeat few genders, yes/no answers, given names, patronymics, cities and
 * birth dates in millions of rows, and normalising them again was a third of
 * cdp-ingest's instructions on a 1C export. The normalisers are functions of
 * the text alone (not region: it reads the row's country), so a value found
 * here gives the same bytes as normalising it. A direct-mapped table per
 * field, given up for a field whose values rarely repeat (times, e-mails). */
#define MEMO_SLOTS 1024 /* measured: 256 gave 7% more CPU on a 1C export, 4096 no less */
#define MEMO_TEXT 48
#define MEMO_TRIAL 4096 /* lookups before a field's hit rate is judged */

enum {
    MEMO_OK = 1,
    MEMO_RAW = 2,
    MEMO_SAME = 4, /* the result is the text itself */
    MEMO_PLAIN = 8 /* the result needs no JSON escape */
};

/* One cache line: a hit reads nothing else. */
struct memo_entry {
    uint32_t hash;
    uint8_t in_len, out_len; /* in_len 0: empty entry */
    uint8_t flags;
    const char *omitted;
    char text[MEMO_TEXT]; /* the value, then its result unless MEMO_SAME */
} __attribute__((aligned(64)));

struct memo {
    struct memo_entry *entries; /* MEMO_SLOTS, allocated on first use */
    void *block;                /* what entries lies in, to free */
    uint32_t lookups, hits;
    bool off;
};

struct cdp_ingest {
    struct cdp_ingest_options opt;
    int kind;
    struct cdp_phone_normalizer *phones;

    struct target *targets;
    size_t ntargets;
    struct rule *rules; /* grouped by target, in the map file's order */
    size_t nrules;
    const char *rid_column; /* NULL: row numbers */
    unsigned rid_modifiers; /* CDP_MAP_* */
    char **owned;           /* strings the targets point to */
    size_t nowned;

    /* Column name -> role, an open-addressing table (power-of-two size). */
    struct role *roles;
    size_t nroles;
    int *table;
    size_t table_size;

    /* CSV: role of each header column (-1: none), set by bind. */
    int *column_role;
    size_t ncolumns;
    bool csv;
    /* The targets a row can give a value (a column of the file feeds them,
     * or a rule or a constant), in order, set by bind: a CRM export fills
     * 14 of the schema's 34 fields, and looking at the other 20 in every
     * row was a tenth of cdp_ingest_row's own work. */
    int *sourced;
    size_t nsourced;
    /* The targets a record may hold: the sourced ones, the parts of a
     * sourced full name, the country --country-from-phone may fill. */
    int *writable;
    size_t nwritable;
    int phone_column; /* CSV: the column feeding phone, -1 if none */

    /* Per row, reused. A role's value is the row's when its stamp is the
     * row's: nothing is cleared between rows. */
    struct slot *role_values; /* the row's value of each role's column */
    uint64_t *role_stamps;
    uint64_t row_stamp;
    bool row_no_nul; /* the reader found no NUL byte in the row */
    struct value_span *values;
    struct cdp_buf norm;
    struct cdp_buf scratch;
    struct cdp_buf vocab; /* keys of vocabulary lookups */
    size_t *attrs;
    size_t nattrs_cap;
    char **require; /* --require groups */
    size_t nrequire;
    int full_name, first_name, middle_name, last_name; /* target indexes */
    int country, phone;
    /* --forgotten: the checker, and the identifier fields it is asked about */
    struct cdp_forget_check *forget;
    int *forget_fields;
    size_t nforget_fields;
    struct memo *memos; /* one per target */
    /* What every record starts with, ready to copy: {"_source":"crm","_rid":
     * and ,"_kind":"person". */
    char *head, *kind_json;
    size_t head_len, kind_json_len;
};

static const char *own(struct cdp_ingest *ing, const char *s)
{
    ing->owned = cdp_xrealloc(ing->owned, (ing->nowned + 1) * sizeof *ing->owned);
    return ing->owned[ing->nowned++] = cdp_xstrdup(s);
}

static uint32_t hash_name(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static int role_find(const struct cdp_ingest *ing, const char *name, size_t n)
{
    size_t mask = ing->table_size - 1;
    for (size_t i = hash_name(name, n) & mask;; i = (i + 1) & mask) {
        int r = ing->table[i];
        if (r < 0)
            return -1;
        const char *c = ing->roles[r].column;
        if (strlen(c) == n && memcmp(c, name, n) == 0)
            return r;
    }
}

static struct role *role_get(struct cdp_ingest *ing, const char *column)
{
    int r = role_find(ing, column, strlen(column));
    if (r >= 0)
        return &ing->roles[r];
    size_t mask = ing->table_size - 1;
    size_t i = hash_name(column, strlen(column)) & mask;
    while (ing->table[i] >= 0)
        i = (i + 1) & mask;
    ing->table[i] = (int)ing->nroles;
    struct role *role = &ing->roles[ing->nroles++];
    memset(role, 0, sizeof *role);
    role->column = column;
    return role;
}


static void add_target(struct cdp_ingest *ing, const char *name, enum cdp_field_type type,
                       bool canonical, const struct cdp_map_entry *e)
{
    struct target *t = &ing->targets[ing->ntargets++];
    t->name = name;
    struct cdp_buf k = CDP_BUF_INIT;
    cdp_buf_addc(&k, ',');
    cdp_json_add_string(&k, name, strlen(name));
    cdp_buf_addc(&k, ':');
    t->json_key = cdp_buf_detach(&k, &t->json_key_len);
    memset(t->key_block, 0, sizeof t->key_block);
    if (t->json_key_len <= sizeof t->key_block)
        memcpy(t->key_block, t->json_key, t->json_key_len);
    t->type = type;
    t->canonical = canonical;
    t->column = NULL;
    t->constant = NULL;
    t->explicit_column = false;
    t->birth_date = strcmp(name, "birth_date") == 0;
    /* Written by the normalisers from digits, signs and ISO codes only, or
     * (an e-mail address) checked to hold nothing to escape (email.h). */
    t->plain_json = type == CDP_FT_DATE || type == CDP_FT_DATETIME || type == CDP_FT_PHONE ||
                    type == CDP_FT_GENDER || type == CDP_FT_COUNTRY || type == CDP_FT_REGION ||
                    type == CDP_FT_EMAIL;
    t->modifiers = e ? e->modifiers : 0;
    t->first_rule = t->nrules = 0;
    if (e && e->constant) {
        t->constant = e->value;
    } else if (e) {
        t->column = e->value;
        t->explicit_column = true;
    } else if (canonical) {
        t->column = name; /* a column named like the field feeds it */
    }
}

static int target_index(const struct cdp_ingest *ing, const char *name, size_t n)
{
    for (size_t i = 0; i < ing->ntargets; i++)
        if (strlen(ing->targets[i].name) == n && memcmp(ing->targets[i].name, name, n) == 0)
            return (int)i;
    return -1;
}

/* The map's rules, grouped by the target they set, each group in order. */
static void add_rules(struct cdp_ingest *ing, const struct cdp_mapping *map)
{
    ing->rules = cdp_xcalloc(map->nrules + 1, sizeof *ing->rules);
    for (size_t t = 0; t < ing->ntargets; t++) {
        struct target *tg = &ing->targets[t];
        tg->first_rule = ing->nrules;
        for (size_t i = 0; i < map->nrules; i++) {
            const struct cdp_map_rule *r = &map->rules[i];
            if (strcmp(r->field, tg->name) != 0)
                continue;
            ing->rules[ing->nrules++] = (struct rule){
                own(ing, r->value), own(ing, r->column), r->test,
                r->text ? own(ing, r->text) : NULL, r->text ? strlen(r->text) : 0, -1 };
        }
        tg->nrules = ing->nrules - tg->first_rule;
    }
}

struct cdp_ingest *cdp_ingest_new(const struct cdp_ingest_options *opt,
                                  const struct cdp_mapping *map, struct cdp_error *err)
{
    struct cdp_ingest *ing = cdp_xcalloc(1, sizeof *ing);
    ing->opt = *opt;
    ing->opt.source = own(ing, opt->source);
    char why[256];
    ing->phones = cdp_phone_normalizer_new(opt->region ? opt->region : "RU", why, sizeof why);
    if (!ing->phones) {
        cdp_errorf(err, "%s", why);
        cdp_ingest_free(ing);
        return NULL;
    }
    size_t nschema;
    const struct cdp_schema_field *schema = cdp_schema_fields(&nschema);
    ing->targets = cdp_xcalloc(nschema + map->n, sizeof *ing->targets);
    /* Canonical fields first, in schema order, then the user's own. */
    for (size_t i = 0; i < nschema; i++) {
        const struct cdp_map_entry *e = cdp_mapping_find(map, schema[i].name);
        add_target(ing, schema[i].name, schema[i].type, true, e);
    }
    const struct cdp_map_entry *kind = cdp_mapping_find(map, "_kind");
    for (size_t i = 0; i < map->n; i++) {
        const struct cdp_map_entry *e = &map->v[i];
        if (strcmp(e->field, "_rid") == 0)
            ing->rid_column = own(ing, e->value), ing->rid_modifiers = e->modifiers;
        else if (e->field[0] != '_' && !cdp_schema_find(e->field, strlen(e->field)))
            add_target(ing, own(ing, e->field), CDP_FT_TEXT, false, e);
    }
    /* A field of the user's own may have rules and no mapping. */
    for (size_t i = 0; i < map->nrules; i++) {
        const char *f = map->rules[i].field;
        if (!cdp_schema_find(f, strlen(f)) && target_index(ing, f, strlen(f)) < 0)
            add_target(ing, own(ing, f), CDP_FT_TEXT, false, NULL);
    }
    add_rules(ing, map);
    /* Own copies of the mapping's strings: the mapping may be freed. */
    for (size_t i = 0; i < ing->ntargets; i++) {
        struct target *t = &ing->targets[i];
        if (t->constant)
            t->constant = own(ing, t->constant);
        if (t->column && t->explicit_column)
            t->column = own(ing, t->column);
    }
    ing->kind = opt->kind;
    if (!ing->kind && kind)
        ing->kind = strcmp(kind->value, "event") == 0 ? CDP_KIND_EVENT : CDP_KIND_PERSON;
    if (!ing->kind) {
        bool event = false;
        for (size_t i = 0; i < ing->ntargets; i++) {
            const struct target *t = &ing->targets[i];
            if ((strcmp(t->name, "event") == 0 || strcmp(t->name, "ts") == 0) &&
                (t->constant || t->explicit_column || t->nrules))
                event = true;
        }
        ing->kind = event ? CDP_KIND_EVENT : CDP_KIND_PERSON;
    }
    if (opt->forgotten && cdp_forgetlist_count(opt->forgotten)) {
        ing->forget = cdp_forget_check_new(opt->forgotten);
        ing->forget_fields = cdp_xcalloc(ing->ntargets + 1, sizeof *ing->forget_fields);
        for (size_t i = 0; i < ing->ntargets; i++)
            if (cdp_forgetlist_field(ing->targets[i].name, strlen(ing->targets[i].name)))
                ing->forget_fields[ing->nforget_fields++] = (int)i;
    }
    ing->require = cdp_xcalloc(map->nrequire + 1, sizeof *ing->require);
    for (size_t g = 0; g < map->nrequire; g++) {
        const char *p = ing->require[ing->nrequire++] = (char *)own(ing, map->require[g]);
        while (*p) {
            size_t n = strcspn(p, ",");
            bool known = false;
            for (size_t i = 0; i < ing->ntargets && !known; i++)
                known = strlen(ing->targets[i].name) == n && memcmp(ing->targets[i].name, p, n) == 0;
            if (!known) {
                cdp_errorf(err, "--require: unknown field '%.*s'", (int)n, p);
                cdp_ingest_free(ing);
                return NULL;
            }
            p += n + (p[n] == ',');
        }
    }
    ing->full_name = target_index(ing, "full_name", 9);
    ing->first_name = target_index(ing, "first_name", 10);
    ing->middle_name = target_index(ing, "middle_name", 11);
    ing->last_name = target_index(ing, "last_name", 9);
    ing->country = target_index(ing, "country", 7);
    ing->phone = target_index(ing, "phone", 5);
    ing->values = cdp_xcalloc(ing->ntargets, sizeof *ing->values);
    ing->memos = cdp_xcalloc(ing->ntargets, sizeof *ing->memos);
    for (size_t t = 0; t < ing->ntargets; t++) {
        enum cdp_field_type ft = ing->targets[t].type;
        /* Not regions (the row's country decides), phones (their own
         * cache) or identifiers (a trim costs less than a look-up). */
        ing->memos[t].off = ft == CDP_FT_REGION || ft == CDP_FT_PHONE || ft == CDP_FT_ID;
    }
    struct cdp_buf b = CDP_BUF_INIT;
    cdp_buf_adds(&b, "{\"_source\":");
    cdp_json_add_string(&b, ing->opt.source, strlen(ing->opt.source));
    cdp_buf_adds(&b, ",\"_rid\":");
    ing->head = cdp_buf_detach(&b, &ing->head_len);
    cdp_buf_adds(&b, ing->kind == CDP_KIND_EVENT ? ",\"_kind\":\"event\"" : ",\"_kind\":\"person\"");
    ing->kind_json = cdp_buf_detach(&b, &ing->kind_json_len);
    return ing;
}

void cdp_ingest_free(struct cdp_ingest *ing)
{
    if (!ing)
        return;
    cdp_phone_normalizer_free(ing->phones);
    cdp_forget_check_free(ing->forget);
    free(ing->forget_fields);
    for (size_t i = 0; i < ing->nowned; i++)
        free(ing->owned[i]);
    free(ing->owned);
    for (size_t i = 0; i < ing->ntargets; i++)
        free(ing->targets[i].json_key);
    free(ing->targets);
    free(ing->rules);
    free(ing->role_values);
    free(ing->role_stamps);
    free(ing->roles);
    free(ing->table);
    free(ing->column_role);
    free(ing->sourced);
    free(ing->writable);
    free(ing->values);
    for (size_t t = 0; ing->memos && t < ing->ntargets; t++)
        free(ing->memos[t].block);
    free(ing->memos);
    free(ing->attrs);
    cdp_buf_release(&ing->norm);
    cdp_buf_release(&ing->scratch);
    cdp_buf_release(&ing->vocab);
    free(ing->require);
    free(ing->head);
    free(ing->kind_json);
    free(ing);
}

int cdp_ingest_kind(const struct cdp_ingest *ing)
{
    return ing->kind;
}

/* Builds the column -> role table for the columns that exist (CSV) or may
 * exist (NDJSON: all of them). Returns the first target a column feeds
 * beyond MAX_ROLES fields (it would be left out in silence), or -1. */
static int build_roles(struct cdp_ingest *ing, const char *const *columns, size_t ncolumns)
{
    int over = -1;
    free(ing->roles);
    free(ing->table);
    free(ing->role_values);
    free(ing->role_stamps);
    size_t most = ing->ntargets + ing->nrules + 1;
    ing->roles = cdp_xcalloc(most, sizeof *ing->roles);
    ing->role_values = cdp_xcalloc(most, sizeof *ing->role_values);
    ing->role_stamps = cdp_xcalloc(most, sizeof *ing->role_stamps);
    for (size_t t = 0; t < ing->ntargets; t++)
        ing->targets[t].role = -1;
    ing->nroles = 0;
    ing->table_size = 16;
    while (ing->table_size < most * 4)
        ing->table_size *= 2;
    ing->table = cdp_xmalloc(ing->table_size * sizeof *ing->table);
    for (size_t i = 0; i < ing->table_size; i++)
        ing->table[i] = -1;
    /* Explicit mappings first, so that they win over same-named columns. */
    for (int pass = 0; pass < 2; pass++)
    for (size_t t = 0; t < ing->ntargets; t++) {
        const char *c = ing->targets[t].column;
        if (!c || ing->targets[t].explicit_column != (pass == 0))
            continue;
        if (columns && !ing->targets[t].explicit_column) {
            /* A column named like the field feeds it only if it exists. */
            bool found = false;
            for (size_t i = 0; i < ncolumns && !found; i++)
                found = strcmp(columns[i], c) == 0;
            if (!found)
                continue;
            /* ... and is not already taken by an explicit mapping. */
            int r = role_find(ing, c, strlen(c));
            if (r >= 0 && ing->roles[r].ntargets > 0 &&
                ing->targets[ing->roles[r].targets[0]].explicit_column)
                continue;
        }
        struct role *role = role_get(ing, c);
        if (role->ntargets < MAX_ROLES) {
            role->targets[role->ntargets++] = (int)t;
            ing->targets[t].role = (int)(role - ing->roles);
        } else if (over < 0) {
            over = (int)t;
        }
    }
    if (ing->rid_column)
        role_get(ing, ing->rid_column)->rid = true;
    for (size_t i = 0; i < ing->nrules; i++) {
        struct role *role = role_get(ing, ing->rules[i].column);
        role->tested = true;
        ing->rules[i].role = (int)(role - ing->roles);
    }
    return over;
}

/* The targets a row can give a value, and those a record may hold, in
 * order (ing->sourced, ing->writable). The per-row state of the others is
 * cleared here once, as it is not per row. */
static void find_sourced(struct cdp_ingest *ing)
{
    bool *fed = cdp_xcalloc(ing->ntargets + 1, sizeof *fed);
    for (size_t r = 0; r < ing->nroles; r++)
        for (int k = 0; k < ing->roles[r].ntargets; k++)
            fed[ing->roles[r].targets[k]] = true;
    for (size_t t = 0; t < ing->ntargets; t++)
        fed[t] |= ing->targets[t].nrules || ing->targets[t].constant;
    free(ing->sourced);
    free(ing->writable);
    ing->sourced = cdp_xcalloc(ing->ntargets + 1, sizeof *ing->sourced);
    ing->writable = cdp_xcalloc(ing->ntargets + 1, sizeof *ing->writable);
    ing->nsourced = ing->nwritable = 0;
    for (size_t t = 0; t < ing->ntargets; t++) {
        int ti = (int)t;
        bool part = ing->full_name >= 0 && fed[ing->full_name] &&
                    (ti == ing->first_name || ti == ing->middle_name || ti == ing->last_name);
        bool country = ti == ing->country && ing->opt.country_from_phone && ing->phone >= 0 &&
                       fed[ing->phone];
        if (fed[t])
            ing->sourced[ing->nsourced++] = ti;
        if (fed[t] || part || country)
            ing->writable[ing->nwritable++] = ti;
    }
    free(fed);
    ing->phone_column = -1;
    for (size_t i = 0; ing->csv && ing->phone >= 0 && i < ing->ncolumns; i++) {
        int r = ing->column_role[i];
        for (int k = 0; r >= 0 && k < ing->roles[r].ntargets; k++)
            if (ing->roles[r].targets[k] == ing->phone && ing->phone_column < 0)
                ing->phone_column = (int)i;
    }
    memset(ing->values, 0, ing->ntargets * sizeof *ing->values);
}

int cdp_ingest_bind(struct cdp_ingest *ing, const char *const *columns, size_t ncolumns,
                    const char *file, struct cdp_error *err)
{
    ing->csv = columns != NULL;
    int over = build_roles(ing, columns, ncolumns);
    if (over >= 0)
        return cdp_errorf(err, "column \"%s\" is mapped to more than %d fields (the rest would be "
                          "left out)", ing->targets[over].column, MAX_ROLES);
    if (columns) {
        free(ing->column_role);
        ing->column_role = cdp_xmalloc((ncolumns ? ncolumns : 1) * sizeof *ing->column_role);
        ing->ncolumns = ncolumns;
        for (size_t i = 0; i < ncolumns; i++)
            ing->column_role[i] = role_find(ing, columns[i], strlen(columns[i]));
    }
    find_sourced(ing);
    if (!columns)
        return 0;
    /* Every explicitly named column must be there. */
    for (size_t r = 0; r < ing->nroles; r++) {
        const struct role *role = &ing->roles[r];
        bool explicit_role = role->rid || role->tested ||
                             (role->ntargets > 0 && ing->targets[role->targets[0]].explicit_column);
        if (!explicit_role)
            continue;
        bool found = false;
        for (size_t i = 0; i < ncolumns && !found; i++)
            found = strcmp(columns[i], role->column) == 0;
        if (!found) {
            struct cdp_buf list = CDP_BUF_INIT;
            for (size_t i = 0; i < ncolumns && list.len < 600; i++)
                cdp_buf_printf(&list, "%s\"%s\"", i ? ", " : "", columns[i]);
            const char *use = role->rid           ? "mapped to _rid"
                              : role->ntargets > 0 ? ing->targets[role->targets[0]].name
                                                   : "tested by a rule";
            cdp_errorf(err, "%s: no column \"%s\" (%s%s); the columns are: %s", file,
                       role->column, role->rid || !role->ntargets ? "" : "mapped to ", use,
                       list.data ? list.data : "none");
            cdp_buf_release(&list);
            return -1;
        }
    }
    return 0;
}

/* Text of a slot as a string: JSON strings are already decoded; numbers and
 * the like are their JSON text. */
static inline bool field_empty(const struct cdp_field *f)
{
    if (!f->val || f->type == CDP_NULL)
        return true;
    if (f->type != CDP_STRING)
        return false;
    /* A value that begins with visible ASCII or a two-byte letter (lead
     * bytes C3..DF, no white space among them) is not blank: most are. */
    unsigned char c = f->vlen ? (unsigned char)f->val[0] : 0;
    if ((c > ' ' && c < 0x7F) || (c >= 0xC3 && c <= 0xDF))
        return false;
    const char *p = f->val;
    size_t n = f->vlen;
    cdp_text_trim(&p, &n);
    return n == 0;
}

static inline bool slot_empty(const struct slot *sl)
{
    if (!sl->val || sl->type == CDP_NULL)
        return true;
    if (sl->type != CDP_STRING)
        return false;
    /* A value that begins with visible ASCII or a two-byte letter (lead
     * bytes C3..DF, no white space among them) is not blank: most are. */
    unsigned char c = sl->len ? (unsigned char)sl->val[0] : 0;
    if ((c > ' ' && c < 0x7F) || (c >= 0xC3 && c <= 0xDF))
        return false;
    const char *p = sl->val;
    size_t n = sl->len;
    cdp_text_trim(&p, &n);
    return n == 0;
}

static void note_invalid(struct cdp_invalid_list *list, struct cdp_ingest_outcome *oc,
                         const struct target *t, const struct slot *sl, const char *reason)
{
    if (list->n == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 64;
        list->v = cdp_xrealloc(list->v, list->cap * sizeof *list->v);
    }
    struct cdp_invalid_value *iv = &list->v[list->n++];
    iv->field = t->name;
    iv->column = sl->column ? sl->column : "--set";
    iv->value = sl->val;
    iv->vlen = sl->len;
    iv->noun = cdp_field_type_noun(t->type);
    iv->omitted = reason;
    oc->ninvalid++;
}

/* "17850.0" -> "17850": digits, a dot and zeros only (CDP_MAP_DROP_DOT_ZERO). */
static void drop_dot_zero(const char **text, size_t *len)
{
    const char *s = *text;
    size_t n = *len, digits = 0;
    cdp_text_trim(&s, &n);
    while (digits < n && s[digits] >= '0' && s[digits] <= '9')
        digits++;
    if (digits == 0 || digits + 2 > n || s[digits] != '.')
        return;
    for (size_t i = digits + 1; i < n; i++)
        if (s[i] != '0')
            return;
    *text = s;
    *len = digits;
}

/* Whether a rule's test holds for the row's value of its column. */
static bool rule_holds(struct cdp_ingest *ing, const struct rule *r)
{
    const struct slot *sl = &ing->role_values[r->role];
    if (ing->role_stamps[r->role] != ing->row_stamp ||
        (sl->type != CDP_STRING && sl->type != CDP_NUMBER))
        return false;
    const char *s = sl->val;
    size_t n = sl->len;
    cdp_text_trim(&s, &n);
    if (r->test == CDP_MAP_STARTS_WITH)
        return n >= r->text_len && memcmp(s, r->text, r->text_len) == 0;
    /* CDP_MAP_NEGATIVE: a number (as decimal.h reads it) below zero. */
    cdp_buf_reset(&ing->scratch);
    if (!cdp_decimal_normalize(&ing->scratch, s, n) || ing->scratch.data[0] != '-')
        return false;
    for (size_t i = 1; i < ing->scratch.len; i++)
        if (ing->scratch.data[i] >= '1' && ing->scratch.data[i] <= '9')
            return true;
    return false; /* -0, -0.00 */
}

/* The value of a field with rules: the first rule whose test holds. */
static bool apply_rules(struct cdp_ingest *ing, const struct target *t, struct slot *sl)
{
    for (size_t k = 0; k < t->nrules; k++) {
        const struct rule *r = &ing->rules[t->first_rule + k];
        if (rule_holds(ing, r)) {
            *sl = (struct slot){ r->value, strlen(r->value), CDP_STRING, NULL, false };
            return true;
        }
    }
    return false;
}

/* Normalises one slot into ing->norm; returns false when invalid, or when
 * the value says there is none (*omitted is then why: vocab.h's reasons).
 * *raw says whether the result is JSON text (true/false, a number) or a
 * string. An empty result with true means "no value" (1C's empty date). */
static bool normalize(struct cdp_ingest *ing, const struct target *t, const struct slot *sl,
                      bool *raw, const char **omitted)
{
    struct cdp_buf *out = &ing->norm;
    const char *s = sl->val;
    size_t n = sl->len;
    *raw = false;
    *omitted = NULL;
    if (sl->type == CDP_ARRAY || sl->type == CDP_OBJECT)
        return false;
    /* A NUL byte (a raw one in CSV, \u0000 in JSON) is in no value of the
     * schema: written raw into an export, it cuts the cell for C readers.
     * (A rule's value or a constant is a C string: none there either.) */
    if (!ing->row_no_nul && memchr(s, '\0', n))
        return false;
    if (sl->type == CDP_TRUE || sl->type == CDP_FALSE) {
        if (t->type != CDP_FT_BOOL)
            return false;
        *raw = true;
        cdp_buf_adds(out, sl->type == CDP_TRUE ? "true" : "false");
        return true;
    }
    switch (t->type) {
    case CDP_FT_EMAIL:
        return cdp_email_normalize(out, s, n);
    case CDP_FT_PHONE: {
        char e164[CDP_PHONE_E164_MAX];
        if (!cdp_phone_normalize(ing->phones, s, n, e164, NULL))
            return false;
        cdp_buf_adds(out, e164);
        return true;
    }
    case CDP_FT_NAME:
    case CDP_FT_FULL_NAME:
        return cdp_name_normalize(out, &ing->scratch, s, n);
    case CDP_FT_TEXT:
        cdp_text_clean(out, s, n);
        return true;
    case CDP_FT_ID:
        cdp_text_trim(&s, &n);
        cdp_buf_add(out, s, n);
        return true;
    case CDP_FT_TOKEN: {
        cdp_buf_reset(&ing->scratch);
        cdp_text_clean(&ing->scratch, s, n);
        size_t start = out->len;
        cdp_text_lower(out, ing->scratch.data, ing->scratch.len);
        for (size_t i = start; i < out->len; i++)
            if (out->data[i] == ' ' || out->data[i] == '-')
                out->data[i] = '_';
        return true;
    }
    case CDP_FT_GENDER: {
        char g = cdp_gender_parse(s, n, omitted);
        if (!g)
            return false;
        cdp_buf_addc(out, g);
        return true;
    }
    case CDP_FT_BOOL: {
        int b = cdp_bool_parse(s, n, omitted);
        if (b < 0)
            return false;
        *raw = true;
        if (b)
            cdp_buf_add(out, "true", 4);
        else
            cdp_buf_add(out, "false", 5);
        return true;
    }
    case CDP_FT_DECIMAL:
        *raw = true;
        if (sl->type == CDP_NUMBER) {
            if (!cdp_decimal_json_ok(s, n))
                return false; /* an exponent, or out of range */
            cdp_buf_add(out, s, n); /* a JSON number already, kept as written */
            return true;
        }
        return cdp_decimal_normalize(out, s, n);
    case CDP_FT_COUNTRY: {
        const char *code = cdp_country_lookup(&ing->vocab, s, n, omitted);
        if (!code)
            return false;
        cdp_buf_adds(out, code);
        return true;
    }
    case CDP_FT_REGION: {
        /* The row's country, normalised before (schema order). */
        char country[3] = "";
        const struct value_span *c = ing->country >= 0 ? &ing->values[ing->country] : NULL;
        if (c && c->present && c->len == 2)
            memcpy(country, out->data + c->off, 2), country[2] = '\0';
        const char *code = cdp_region_lookup(&ing->vocab, s, n, country[0] ? country : NULL,
                                             ing->opt.region ? ing->opt.region : "RU");
        if (!code)
            return false;
        cdp_buf_adds(out, code);
        return true;
    }
    case CDP_FT_DATE:
    case CDP_FT_DATETIME: {
        struct cdp_datetime dt;
        enum cdp_date_result r =
            cdp_datetime_parse(s, n, ing->opt.date_order, t->type == CDP_FT_DATETIME, &dt);
        if (r == CDP_DATE_EMPTY)
            return true;
        if (r != CDP_DATE_OK)
            return false;
        if (t->type == CDP_FT_DATE) {
            /* A birth date before 1900 or after today is a typo, not a person. */
            int64_t day = cdp_days_from_civil(dt.year, dt.month, dt.day);
            if (t->birth_date && (dt.year < 1900 || day > ing->opt.as_of_day))
                return false;
            cdp_date_format(out, &dt);
        } else {
            cdp_datetime_format_utc(out, &dt, ing->opt.tz_offset);
        }
        return true;
    }
    }
    return false;
}

/* memcpy for at most a few dozen bytes, as overlapping words (GCC made
 * memcpy of a variable length "rep movsq", slow to start). */
static inline void copy_short(char *dst, const char *src, size_t n)
{
    if (n >= 8) {
        uint64_t w;
        for (size_t i = 0; i + 8 < n; i += 8) {
            memcpy(&w, src + i, 8);
            memcpy(dst + i, &w, 8);
        }
        memcpy(&w, src + n - 8, 8);
        memcpy(dst + n - 8, &w, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, src, 4);
        memcpy(&b, src + n - 4, 4);
        memcpy(dst, &a, 4);
        memcpy(dst + n - 4, &b, 4);
    } else {
        for (size_t i = 0; i < n; i++)
            dst[i] = src[i];
    }
}

/* memcmp(a, b, n) == 0 for a few dozen bytes, as overlapping words. */
static inline bool equal_short(const char *a, const char *b, size_t n)
{
    if (n >= 8) {
        uint64_t x, y;
        for (size_t i = 0; i + 8 < n; i += 8) {
            memcpy(&x, a + i, 8);
            memcpy(&y, b + i, 8);
            if (x != y)
                return false;
        }
        memcpy(&x, a + n - 8, 8);
        memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    if (n >= 4) {
        uint32_t x1, y1, x2, y2;
        memcpy(&x1, a, 4), memcpy(&y1, b, 4);
        memcpy(&x2, a + n - 4, 4), memcpy(&y2, b + n - 4, 4);
        return x1 == y1 && x2 == y2;
    }
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

/* A hash of 1 to MEMO_TEXT bytes, read in words (the last one overlapping). */
static uint32_t memo_hash(const char *s, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15u ^ n, w;
    if (n >= 8) {
        for (size_t i = 0; i + 8 < n; i += 8) {
            memcpy(&w, s + i, 8);
            h = (h ^ w) * 0xFF51AFD7ED558CCDu;
        }
        memcpy(&w, s + n - 8, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        w = a | (uint64_t)b << 32;
    } else {
        w = (unsigned char)s[0] | (unsigned)(unsigned char)s[n / 2] << 8 |
            (unsigned)(unsigned char)s[n - 1] << 16;
    }
    h = (h ^ w) * 0xC4CEB9FE1A85EC53u;
    return (uint32_t)(h >> 32);
}

/* normalize(), answered from the field's memo when its text was seen
 * lately, and remembered there otherwise. *plain: the result is known to
 * need no JSON escape, so writing it is a copy (measured: the escape scan
 * of names and cities on every row was 4% of cdp-ingest's instructions on
 * a 1C export). */
static bool normalize_memo(struct cdp_ingest *ing, size_t t, const struct slot *sl, bool *raw,
                           bool *plain, const char **omitted)
{
    struct memo *m = &ing->memos[t];
    *plain = false;
    if (m->off || sl->type != CDP_STRING || sl->len == 0 || sl->len > MEMO_TEXT)
        return normalize(ing, &ing->targets[t], sl, raw, omitted);
    if (!m->entries) {
        /* Aligned to cache lines, with one more entry: a hit copies
         * MEMO_TEXT bytes from inside one. */
        m->block = cdp_xcalloc_written(MEMO_SLOTS + 2, sizeof *m->entries);
        m->entries = (struct memo_entry *)(((uintptr_t)m->block + 63) & ~(uintptr_t)63);
    }
    if (++m->lookups == MEMO_TRIAL && m->hits < MEMO_TRIAL / 4) {
        m->off = true; /* values rarely repeat: not worth the look-ups */
        free(m->block);
        m->block = m->entries = NULL;
        return normalize(ing, &ing->targets[t], sl, raw, omitted);
    }
    uint32_t h = memo_hash(sl->val, sl->len);
    struct memo_entry *e = &m->entries[h % MEMO_SLOTS];
    if (e->in_len == sl->len && e->hash == h && equal_short(e->text, sl->val, sl->len)) {
        m->hits++;
        *raw = e->flags & MEMO_RAW;
        *plain = e->flags & MEMO_PLAIN;
        *omitted = e->omitted;
        if (!(e->flags & MEMO_OK))
            return false;
        /* A block of known size: a copy of out_len bytes became "rep
         * movsq", a seventh of this function's time. */
        const char *result = e->text + (e->flags & MEMO_SAME ? 0 : e->in_len);
        cdp_buf_grow(&ing->norm, MEMO_TEXT);
        memcpy(ing->norm.data + ing->norm.len, result, MEMO_TEXT);
        ing->norm.len += e->out_len;
        ing->norm.data[ing->norm.len] = '\0';
        return true;
    }
    size_t start = ing->norm.len;
    bool ok = normalize(ing, &ing->targets[t], sl, raw, omitted);
    size_t out_len = ok ? ing->norm.len - start : 0;
    /* norm.data is NULL until something is written (UBSan: NULL + 0). */
    const char *result = out_len ? ing->norm.data + start : "";
    bool same = out_len == sl->len && equal_short(result, sl->val, sl->len);
    if (same || sl->len + out_len <= MEMO_TEXT) {
        e->hash = h;
        e->in_len = (uint8_t)sl->len;
        e->out_len = (uint8_t)out_len;
        bool clean = ok && !*raw && cdp_json_plain(result, out_len);
        *plain = clean; /* known now: writing it is a copy, as on a hit */
        e->flags = (uint8_t)((ok ? MEMO_OK : 0) | (*raw ? MEMO_RAW : 0) | (same ? MEMO_SAME : 0) |
                             (clean ? MEMO_PLAIN : 0));
        e->omitted = *omitted;
        copy_short(e->text, sl->val, sl->len);
        if (!same)
            copy_short(e->text + sl->len, result, out_len);
    }
    return ok;
}

static void add_key(struct cdp_buf *out, const char *key, bool *first)
{
    if (!*first)
        cdp_buf_addc(out, ',');
    *first = false;
    cdp_json_add_string(out, key, strlen(key));
    cdp_buf_addc(out, ':');
}

/* Sets values[t] from part of another value (a split full name). */
static void fill_part(struct cdp_ingest *ing, int t, size_t off, size_t len)
{
    if (t < 0 || ing->values[t].present || len == 0)
        return;
    ing->values[t] = (struct value_span){ off, len, false, true, false };
}

static bool require_met(const struct cdp_ingest *ing, const char *group)
{
    for (const char *p = group; *p;) {
        size_t n = strcspn(p, ",");
        int t = target_index(ing, p, n);
        if (t >= 0 && ing->values[t].present && ing->values[t].len > 0)
            return true;
        p += n + (p[n] == ',');
    }
    return false;
}

/* "_invalid":{...} or "_omitted":{...}: the values of the row set aside. */
static void add_set_aside(struct cdp_buf *out, const char *key, bool omitted,
                          const struct cdp_invalid_list *list,
                          const struct cdp_ingest_outcome *oc, bool *first)
{
    add_key(out, key, first);
    cdp_buf_addc(out, '{');
    bool any = false;
    for (size_t k = 0; k < oc->ninvalid; k++) {
        const struct cdp_invalid_value *iv = &list->v[oc->first_invalid + k];
        if ((iv->omitted != NULL) != omitted)
            continue;
        if (any)
            cdp_buf_addc(out, ',');
        any = true;
        cdp_json_add_string(out, iv->field, strlen(iv->field));
        cdp_buf_addc(out, ':');
        cdp_json_add_string(out, iv->value, iv->vlen);
    }
    cdp_buf_addc(out, '}');
}

/* --country-from-phone: a record without a country gets its phone's. */
static void country_from_phone(struct cdp_ingest *ing, struct cdp_ingest_outcome *oc)
{
    if (ing->country < 0 || ing->phone < 0 || ing->values[ing->country].present ||
        !ing->values[ing->phone].present)
        return;
    const struct value_span *ph = &ing->values[ing->phone];
    char e164[CDP_PHONE_E164_MAX], code[3];
    if (ph->len >= sizeof e164)
        return;
    memcpy(e164, ing->norm.data + ph->off, ph->len);
    e164[ph->len] = '\0';
    if (!cdp_phone_region(ing->phones, e164, code))
        return;
    size_t start = ing->norm.len;
    cdp_buf_add(&ing->norm, code, 2);
    ing->values[ing->country] = (struct value_span){ start, 2, false, true, false };
    oc->country_from_phone = true;
}

static void reject(struct cdp_ingest_outcome *oc, const char *code, const char *fmt, const char *arg)
{
    oc->rejected = true;
    oc->code = code;
    snprintf(oc->reason, sizeof oc->reason, fmt, arg);
}

/* What routing found in a row. */
struct routed {
    size_t nattrs; /* columns for attrs, in ing->attrs */
    bool any_value;
    const char *rid; /* NULL: no _rid column, or an empty one */
    size_t rid_len;
};

/* Routes each input value to its column's role (ing->role_values: the
 * fields it feeds, the rules that test it) or to attrs. */
static void route(struct cdp_ingest *ing, const struct cdp_record *in, struct routed *rt)
{
    memset(rt, 0, sizeof *rt);
    if (ing->nattrs_cap < in->n) {
        ing->nattrs_cap = in->n;
        ing->attrs = cdp_xrealloc(ing->attrs, ing->nattrs_cap * sizeof *ing->attrs);
    }
    for (size_t i = 0; i < in->n; i++) {
        const struct cdp_field *f = &in->f[i];
        int r;
        if (ing->csv)
            r = i < ing->ncolumns ? ing->column_role[i] : -1;
        else
            r = role_find(ing, f->key, f->klen);
        bool empty = field_empty(f);
        if (!empty)
            rt->any_value = true;
        if (r < 0) {
            if (!empty && !ing->opt.drop_unmapped)
                ing->attrs[rt->nattrs++] = i;
            continue;
        }
        const struct role *role = &ing->roles[r];
        if (empty)
            continue;
        ing->role_values[r] = (struct slot){ f->val, f->vlen, f->type, role->column, true };
        ing->role_stamps[r] = ing->row_stamp;
        if (role->ntargets == 0 && !role->rid && !ing->opt.drop_unmapped)
            ing->attrs[rt->nattrs++] = i; /* only a rule reads it */
        if (role->rid) {
            rt->rid = f->val;
            rt->rid_len = f->vlen;
            cdp_text_trim(&rt->rid, &rt->rid_len);
            if (ing->rid_modifiers & CDP_MAP_DROP_DOT_ZERO)
                drop_dot_zero(&rt->rid, &rt->rid_len);
        }
    }
}

/* Normalises every field's value (from a rule, its column or its constant)
 * into ing->values; notes the invalid and omitted ones. */
static void normalize_fields(struct cdp_ingest *ing, struct cdp_ingest_outcome *oc,
                             struct cdp_invalid_list *invalid, bool *has_invalid,
                             bool *has_omitted)
{
    *has_invalid = *has_omitted = false;
    for (size_t k = 0; k < ing->nsourced; k++) {
        size_t t = (size_t)ing->sourced[k];
        const struct target *tg = &ing->targets[t];
        /* The column's value, else a rule's or the constant. */
        const struct slot *sl = tg->role >= 0 && ing->role_stamps[tg->role] == ing->row_stamp
                                    ? &ing->role_values[tg->role]
                                    : NULL;
        struct slot own;
        if (tg->nrules && apply_rules(ing, tg, &own)) {
            sl = &own;
        } else if (!sl && tg->constant) {
            own = (struct slot){ tg->constant, strlen(tg->constant), CDP_STRING, NULL, false };
            sl = &own;
        } else if (sl && (tg->modifiers & CDP_MAP_DROP_DOT_ZERO) &&
                   (sl->type == CDP_STRING || sl->type == CDP_NUMBER)) {
            own = *sl;
            drop_dot_zero(&own.val, &own.len);
            sl = &own;
        }
        if (!sl || (!sl->nonempty && slot_empty(sl)))
            continue;
        size_t start = ing->norm.len;
        bool raw, plain;
        const char *omitted;
        if (!normalize_memo(ing, t, sl, &raw, &plain, &omitted)) {
            ing->norm.len = start;
            note_invalid(invalid, oc, tg, sl, omitted);
            *has_invalid |= !omitted;
            *has_omitted |= omitted != NULL;
            continue;
        }
        if (ing->norm.len > start)
            ing->values[t] = (struct value_span){ start, ing->norm.len - start, raw, true, plain };
    }
    if (ing->opt.country_from_phone)
        country_from_phone(ing, oc);
    /* A full name fills the parts that have no value of their own. */
    int fn = ing->full_name;
    if (fn >= 0 && ing->values[fn].present) {
        struct cdp_name_parts parts;
        size_t base = ing->values[fn].off;
        cdp_name_split(ing->norm.data + base, ing->values[fn].len, &parts);
        fill_part(ing, ing->first_name, base + parts.first_off, parts.first_len);
        fill_part(ing, ing->middle_name, base + parts.middle_off, parts.middle_len);
        fill_part(ing, ing->last_name, base + parts.last_off, parts.last_len);
    }
}

/* Writes the target's key at w (which has room for KEY_COPY more bytes than
 * the key); returns its end. A block of known size, kept in the target, is
 * copied: library memcpy calls for a dozen bytes were a tenth of writing a
 * record, and fetching the key from its own allocation a third of the rest. */
static inline char *put_key(char *w, const struct target *tg)
{
    if (tg->json_key_len <= KEY_COPY)
        memcpy(w, tg->key_block, KEY_COPY);
    else
        memcpy(w, tg->json_key, tg->json_key_len);
    return w + tg->json_key_len;
}

static void write_record(const struct cdp_ingest *ing, const struct cdp_record *in,
                         const struct routed *rt, const char *default_rid, struct cdp_buf *out,
                         const struct cdp_ingest_outcome *oc,
                         const struct cdp_invalid_list *invalid, bool has_invalid,
                         bool has_omitted)
{
    bool first = false; /* keys so far: _source, _rid, _kind */
    cdp_buf_add(out, ing->head, ing->head_len);
    if (rt->rid)
        cdp_json_add_string(out, rt->rid, rt->rid_len);
    else
        cdp_json_add_string(out, default_rid, strlen(default_rid));
    cdp_buf_add(out, ing->kind_json, ing->kind_json_len);
    for (size_t k = 0; k < ing->nwritable; k++) {
        size_t t = (size_t)ing->writable[k];
        const struct value_span *v = &ing->values[t];
        if (!v->present)
            continue;
        const struct target *tg = &ing->targets[t];
        if (v->raw || v->plain || tg->plain_json) {
            /* Nothing to escape: the key, the value, quotes unless raw. */
            cdp_buf_grow(out, KEY_COPY + tg->json_key_len + v->len + 2);
            char *w = put_key(out->data + out->len, tg);
            if (!v->raw)
                *w++ = '"';
            copy_short(w, ing->norm.data + v->off, v->len);
            w += v->len;
            if (!v->raw)
                *w++ = '"';
            out->len = (size_t)(w - out->data);
            out->data[out->len] = '\0';
            continue;
        }
        cdp_buf_grow(out, KEY_COPY + tg->json_key_len);
        out->len = (size_t)(put_key(out->data + out->len, tg) - out->data);
        cdp_json_add_string(out, ing->norm.data + v->off, v->len);
    }
    if (rt->nattrs) {
        add_key(out, "attrs", &first);
        cdp_buf_addc(out, '{');
        for (size_t k = 0; k < rt->nattrs; k++) {
            const struct cdp_field *f = &in->f[ing->attrs[k]];
            if (k)
                cdp_buf_addc(out, ',');
            cdp_json_add_string(out, f->key, f->klen);
            cdp_buf_addc(out, ':');
            cdp_json_add_value(out, f->val, f->vlen, f->type);
        }
        cdp_buf_addc(out, '}');
    }
    if (has_invalid)
        add_set_aside(out, "_invalid", false, invalid, oc, &first);
    if (has_omitted)
        add_set_aside(out, "_omitted", true, invalid, oc, &first);
    cdp_buf_adds(out, "}\n");
}

/* --forgotten: whether the forget list holds one of the row's identifiers,
 * as normalised, or (a person record) its _source and _rid. */
static bool forgotten(const struct cdp_ingest *ing, const struct routed *rt, const char *default_rid)
{
    for (size_t k = 0; k < ing->nforget_fields; k++) {
        int t = ing->forget_fields[k];
        const struct value_span *v = &ing->values[t];
        if (v->present && cdp_forget_check_value(ing->forget, ing->targets[t].name, ing->norm.data + v->off, v->len))
            return true;
    }
    const char *rid = rt->rid ? rt->rid : default_rid;
    size_t rlen = rt->rid ? rt->rid_len : strlen(default_rid);
    return ing->kind == CDP_KIND_PERSON &&
           cdp_forget_check_record_id(ing->forget, ing->opt.source, strlen(ing->opt.source), rid, rlen);
}

void cdp_ingest_row(struct cdp_ingest *ing, const struct cdp_record *in, const char *default_rid,
                    struct cdp_buf *out, struct cdp_ingest_outcome *oc,
                    struct cdp_invalid_list *invalid)
{
    oc->rejected = false;
    oc->code = NULL;
    oc->reason[0] = '\0';
    oc->first_invalid = invalid->n;
    oc->ninvalid = 0;
    oc->country_from_phone = false;
    oc->forgotten = false;
    ing->row_stamp++;
    ing->row_no_nul = in->no_nul;
    for (size_t k = 0; k < ing->nwritable; k++) /* the only values set */
        ing->values[ing->writable[k]] = (struct value_span){ 0 };
    cdp_buf_reset(&ing->norm);

    struct routed rt;
    route(ing, in, &rt);
    if (!rt.any_value) {
        reject(oc, "empty_row", "%s", "empty row");
        return;
    }
    if (ing->rid_column && !rt.rid) {
        reject(oc, "missing_rid", "no value in column \"%s\" (mapped to _rid)", ing->rid_column);
        return;
    }
    bool has_invalid, has_omitted;
    normalize_fields(ing, oc, invalid, &has_invalid, &has_omitted);
    if (ing->forget && forgotten(ing, &rt, default_rid)) {
        oc->forgotten = true;
        oc->ninvalid = 0; /* nothing of theirs is shown */
        invalid->n = oc->first_invalid;
        return;
    }
    for (size_t g = 0; g < ing->nrequire; g++) {
        if (!require_met(ing, ing->require[g])) {
            char list[120];
            snprintf(list, sizeof list, "%s", ing->require[g]);
            for (char *c = list; *c; c++)
                if (*c == ',')
                    *c = '/';
            reject(oc, "required", "no valid value for any of %s", list);
            return;
        }
    }
    write_record(ing, in, &rt, default_rid, out, oc, invalid, has_invalid, has_omitted);
}

/* Rows are split a few at a time before they are converted, and the phone
 * cache is told which of its entries they will ask for: on a CRM export,
 * where each number is new, waiting for those entries was a tenth of the
 * time (the cache is larger than a core's own). */
#define GROUP 8

struct prepared {
    enum cdp_read kind;
    struct cdp_record split, view;
    const struct cdp_record *rec;
    struct cdp_row info;
};

void cdp_ingest_batch_run(struct cdp_ingest *ing, struct cdp_ingest_batch *b)
{
    if (b->outcomes_cap < b->rows.n) {
        b->outcomes_cap = b->rows.n;
        b->outcomes = cdp_xrealloc(b->outcomes, b->outcomes_cap * sizeof *b->outcomes);
    }
    struct cdp_buf rid = CDP_BUF_INIT;
    struct prepared pre[GROUP];
    for (int g = 0; g < GROUP; g++)
        pre[g].split = (struct cdp_record)CDP_RECORD_INIT;
    for (size_t base = 0; base < b->rows.n; base += GROUP) {
        size_t end = b->rows.n - base < GROUP ? b->rows.n : base + GROUP;
        for (size_t i = base; i < end; i++) {
            struct prepared *p = &pre[i - base];
            if (b->rows.rows[i].kind != CDP_READ_ROW)
                continue;
            p->kind = cdp_batch_split(&b->rows, i, &p->split, &p->view, &p->rec, &p->info);
            if (p->kind == CDP_READ_ROW && ing->phone_column >= 0 &&
                (size_t)ing->phone_column < p->rec->n) {
                const struct cdp_field *f = &p->rec->f[ing->phone_column];
                cdp_phone_prefetch(ing->phones, f->val, f->vlen);
            }
        }
        for (size_t i = base; i < end; i++) {
            const struct cdp_batch_row *row = &b->rows.rows[i];
            const struct prepared *p = &pre[i - base];
            if (row->kind != CDP_READ_ROW)
                continue;
            if (p->kind != CDP_READ_ROW) {
                /* A deferred CSV line with the wrong number of fields, say. */
                struct cdp_ingest_outcome *oc = &b->outcomes[i];
                oc->rejected = true;
                oc->code = p->info.code;
                snprintf(oc->reason, sizeof oc->reason, "%.150s", p->info.reason);
                oc->first_invalid = b->invalid.n;
                oc->ninvalid = 0;
                oc->country_from_phone = false;
                oc->forgotten = false;
                continue;
            }
            /* The row number stands for _rid only when no column is mapped. */
            cdp_buf_reset(&rid);
            if (!ing->rid_column) {
                cdp_buf_adds(&rid, b->rid_prefix ? b->rid_prefix : "");
                cdp_buf_add_u64(&rid, row->number);
            }
            cdp_ingest_row(ing, p->rec, rid.data ? rid.data : "", &b->out, &b->outcomes[i],
                           &b->invalid);
        }
    }
    for (int g = 0; g < GROUP; g++)
        cdp_record_release(&pre[g].split);
    cdp_buf_release(&rid);
}

void cdp_ingest_batch_clear(struct cdp_ingest_batch *b)
{
    cdp_batch_clear(&b->rows);
    cdp_buf_reset(&b->out);
    b->invalid.n = 0;
}

void cdp_ingest_batch_release(struct cdp_ingest_batch *b)
{
    cdp_batch_release(&b->rows);
    cdp_buf_release(&b->out);
    free(b->outcomes);
    free(b->invalid.v);
    memset(b, 0, sizeof *b);
}
