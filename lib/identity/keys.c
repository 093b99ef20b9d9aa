#define PCRE2_CODE_UNIT_WIDTH 8
#include "identity/keys.h"

#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/intern.h"
#include "io/json.h"
#include "norm/schema.h"
#include "norm/text.h"

struct cdp_keyset {
    struct cdp_key *keys;
    size_t n;
    pcre2_code **regexes;
    size_t nregexes;
    size_t ndefaults; /* of the regexes, the defaults' (all of them: see may_be_default_block) */
    pcre2_match_data *match;
    struct cdp_intern *blocked; /* exact values from --block-file */
    struct cdp_buf tmp;
};

struct cdp_keyset *cdp_keyset_new(void)
{
    struct cdp_keyset *ks = cdp_xcalloc(1, sizeof *ks);
    ks->blocked = cdp_intern_new();
    return ks;
}

void cdp_keyset_free(struct cdp_keyset *ks)
{
    if (!ks)
        return;
    for (size_t i = 0; i < ks->n; i++) {
        for (size_t f = 0; f < ks->keys[i].nfields; f++)
            free(ks->keys[i].fields[f]);
        free(ks->keys[i].fields);
        free(ks->keys[i].name);
    }
    free(ks->keys);
    for (size_t i = 0; i < ks->nregexes; i++)
        pcre2_code_free(ks->regexes[i]);
    free(ks->regexes);
    pcre2_match_data_free(ks->match);
    cdp_intern_free(ks->blocked);
    cdp_buf_release(&ks->tmp);
    free(ks);
}

/* Default limits: identifiers that belong to one person (a loyalty card, an
 * account id) may not be shared at all; a family shares an e-mail, a
 * household a phone; a name with a birth date is shared only by true
 * duplicates of one person. A browser (anon_id) is a device: one person's
 * until two log in on it, and then its anonymous events go by time. */
static void key_defaults(struct cdp_key *k)
{
    const char *n = k->name;
    if (k->nfields > 1) {
        k->limit = 10;
    } else if (strcmp(n, "customer_id") == 0 || strcmp(n, "card") == 0) {
        k->limit = 1;
        k->exclusive = true;
    } else if (strcmp(n, "anon_id") == 0) {
        k->limit = 1;
        k->device = true;
    } else if (strcmp(n, "email") == 0) {
        k->limit = 3;
    } else {
        k->limit = 5;
    }
}

static bool valid_field_name(const char *f, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((f[i] >= 'a' && f[i] <= 'z') || (f[i] >= '0' && f[i] <= '9') || f[i] == '_'))
            return false;
    return true;
}

int cdp_keyset_add(struct cdp_keyset *ks, const char *spec, struct cdp_error *err)
{
    for (size_t i = 0; i < ks->n; i++)
        if (strcmp(ks->keys[i].name, spec) == 0)
            return cdp_errorf(err, "'%s' given twice", spec);
    /* the graph marks each value with its key's index + 1 in one byte */
    if (ks->n >= CDP_KEYS_MAX)
        return cdp_errorf(err, "'%s': at most %d keys", spec, CDP_KEYS_MAX);
    struct cdp_key k = { 0 };
    k.name = cdp_xstrdup(spec);
    for (const char *p = spec;;) {
        size_t n = strcspn(p, "+");
        if (!valid_field_name(p, n)) {
            for (size_t f = 0; f < k.nfields; f++)
                free(k.fields[f]);
            free(k.fields);
            free(k.name);
            return cdp_errorf(err, "invalid key '%s': fields of lower-case letters, digits and "
                                   "'_' joined by '+'", spec);
        }
        if (!cdp_schema_find(p, n)) {
            for (size_t f = 0; f < k.nfields; f++)
                free(k.fields[f]);
            free(k.fields);
            free(k.name);
            return cdp_errorf(err, "'%s': no field '%.*s' in the canonical schema (cdp-schema(5))", spec,
                              (int)n, p);
        }
        k.fields = cdp_xrealloc(k.fields, (k.nfields + 1) * sizeof *k.fields);
        k.fields[k.nfields++] = cdp_xstrndup(p, n);
        if (!p[n])
            break;
        p += n + 1;
    }
    key_defaults(&k);
    ks->keys = cdp_xrealloc(ks->keys, (ks->n + 1) * sizeof *ks->keys);
    ks->keys[ks->n++] = k;
    return 0;
}

void cdp_keyset_defaults(struct cdp_keyset *ks)
{
    static const char *const defaults[] = { "customer_id", "card", "email", "phone", "anon_id" };
    if (ks->n)
        return;
    for (size_t i = 0; i < sizeof defaults / sizeof *defaults; i++)
        cdp_keyset_add(ks, defaults[i], NULL);
}

int cdp_keyset_limit(struct cdp_keyset *ks, const char *spec, struct cdp_error *err)
{
    const char *eq = strchr(spec, '=');
    if (!eq)
        return cdp_errorf(err, "'%s': expected KEY=N", spec);
    char *end;
    long v = strtol(eq + 1, &end, 10);
    if (end == eq + 1 || *end || v < 1 || v > 1000000)
        return cdp_errorf(err, "'%s': the limit must be a number from 1", spec);
    for (size_t i = 0; i < ks->n; i++)
        if (strlen(ks->keys[i].name) == (size_t)(eq - spec) &&
            memcmp(ks->keys[i].name, spec, (size_t)(eq - spec)) == 0) {
            if (ks->keys[i].device)
                return cdp_errorf(err, "'%s': %s is a device, whose anonymous events go by time when several "
                                       "people log in on it: it has no limit", spec, ks->keys[i].name);
            ks->keys[i].limit = (unsigned)v;
            return 0;
        }
    return cdp_errorf(err, "'%s': no such key", spec);
}

int cdp_keyset_block_regex(struct cdp_keyset *ks, const char *regex, struct cdp_error *err)
{
    int code;
    PCRE2_SIZE at;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | PCRE2_CASELESS, &code, &at, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof msg);
        return cdp_errorf(err, "invalid regular expression '%s': %s at offset %zu", regex,
                          (const char *)msg, (size_t)at);
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    ks->regexes = cdp_xrealloc(ks->regexes, (ks->nregexes + 1) * sizeof *ks->regexes);
    ks->regexes[ks->nregexes++] = re;
    if (!ks->match)
        ks->match = pcre2_match_data_create(4, NULL);
    return 0;
}

void cdp_keyset_default_blocks(struct cdp_keyset *ks)
{
    /* Values that exports use for "none": zeros and dashes, null words,
     * the placeholder phones cashiers type, placeholder e-mail addresses. */
    static const char *const defaults[] = {
        "^[0-]*$",
        "^(null|nil|none|n/a|na|-1|anonymous|unknown|undefined|test)$",
        "^\\+7(0{10}|9{10})$",
        "^\\+7(1{10}|1234567890)$",
        "^(no|none|noemail|nomail|no-email|null|test|unknown|anonymous)@.*$",
    };
    for (size_t i = 0; i < sizeof defaults / sizeof *defaults; i++)
        if (cdp_keyset_block_regex(ks, defaults[i], NULL) == 0)
            ks->ndefaults++;
}

/* Whether value might match one of the default expressions whole: false
 * only when none can (each must match from the first byte, none of whose
 * first characters has a case-insensitive match outside ASCII), so that
 * PCRE2 runs only for the few values it might block. Running it for every
 * phone, card and e-mail of every profile cost 4% of cdp-merge. */
static bool may_be_default_block(const char *v, size_t n)
{
    if (n == 0)
        return true;
    switch (v[0]) {
    case '0': case '-': /* ^[0-]*$, or -1 */
        if (n == 2 && v[0] == '-' && v[1] == '1')
            return true;
        for (size_t i = 0; i < n; i++)
            if (v[i] != '0' && v[i] != '-')
                return false;
        return true;
    case '+': /* +7 and ten of 0, 9 or 1, or +71234567890 */
        return n == 12 && v[1] == '7' &&
               ((v[2] == v[3] && (v[2] == '0' || v[2] == '9' || v[2] == '1')) ||
                (v[2] == '1' && v[3] == '2'));
    case 'n': case 'N': case 'a': case 'A': case 'u': case 'U': case 't': case 'T':
        return true; /* null, nil, none, n/a, na, anonymous, unknown, undefined, test, no@... */
    default:
        return false;
    }
}

int cdp_keyset_block_file(struct cdp_keyset *ks, const char *path, struct cdp_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return cdp_errorf_errno(err, errno, "cannot open block file '%s'", path);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) >= 0) {
        const char *s = line;
        size_t n = (size_t)len;
        cdp_text_trim(&s, &n);
        if (n == 0 || s[0] == '#')
            continue;
        cdp_intern_add(ks->blocked, s, n, NULL);
    }
    int rc = ferror(f) ? cdp_errorf_errno(err, errno, "cannot read '%s'", path) : 0;
    free(line);
    fclose(f);
    return rc;
}

size_t cdp_keyset_count(const struct cdp_keyset *ks)
{
    return ks->n;
}

const struct cdp_key *cdp_keyset_get(const struct cdp_keyset *ks, size_t i)
{
    return &ks->keys[i];
}

bool cdp_keyset_blocked(const struct cdp_keyset *ks, const char *value, size_t len)
{
    if (cdp_intern_count(ks->blocked) && cdp_intern_find(ks->blocked, value, len) != UINT32_MAX)
        return true;
    if (ks->nregexes == ks->ndefaults && !may_be_default_block(value, len))
        return false;
    /* The value's UTF-8 checked once, not by each expression (PCRE2's
     * check per call was a fifth of its cost in cdp-merge); an invalid one
     * is left to PCRE2, which refuses it as before. */
    uint32_t checked = ks->nregexes && cdp_utf8_valid(value, len) ? PCRE2_NO_UTF_CHECK : 0;
    for (size_t i = 0; i < ks->nregexes; i++) {
        int rc = pcre2_match(ks->regexes[i], (PCRE2_SPTR)value, len, 0, checked, ks->match, NULL);
        if (rc >= 0) {
            /* A whole-value match: the pattern must cover all of it. */
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(ks->match);
            if (ov[0] == 0 && ov[1] == len)
                return true;
        }
    }
    return false;
}

/* Case-folded, Ё read as Е: for the parts of composite keys. */
static void fold(struct cdp_buf *out, const char *s, size_t n)
{
    size_t start = out->len;
    cdp_text_lower(out, s, n);
    for (size_t i = start; i + 1 < out->len; i++)
        if ((unsigned char)out->data[i] == 0xD1 && (unsigned char)out->data[i + 1] == 0x91) {
            out->data[i] = (char)0xD0; /* ё U+0451 -> е U+0435 */
            out->data[i + 1] = (char)0xB5;
        }
}

static bool field_text(const struct cdp_record *r, const char *name, const char **v, size_t *n)
{
    const struct cdp_field *f = cdp_record_gets(r, name);
    if (!f || f->type == CDP_NULL || f->type == CDP_ARRAY || f->type == CDP_OBJECT)
        return false;
    *v = f->val;
    *n = f->vlen;
    cdp_text_trim(v, n);
    return *n > 0;
}

bool cdp_key_value(const struct cdp_keyset *ks, size_t i, const struct cdp_record *r,
                   struct cdp_buf *out)
{
    const struct cdp_key *k = &ks->keys[i];
    size_t start = out->len;
    for (size_t f = 0; f < k->nfields; f++) {
        const char *v;
        size_t n;
        if (!field_text(r, k->fields[f], &v, &n)) {
            out->len = start;
            if (out->data)
                out->data[start] = '\0';
            return false;
        }
        if (k->nfields == 1) {
            cdp_buf_add(out, v, n);
        } else {
            if (f)
                cdp_buf_addc(out, '\x1F');
            fold(out, v, n);
        }
    }
    return true;
}
