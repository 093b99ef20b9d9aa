/* rules/native.c: a part of jq compiled to an expression tree and evaluated
 * over records; see rules/native.h.
 *
 * Every evaluation step returns false when jq's answer is not certain
 * (jq would raise an error, or the values are of a kind this file does not
 * compare): the test then asks for libjq. So each case below only has to
 * be right where it answers. */
#include "rules/native.h"

#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "io/json.h"

/* ---- values -------------------------------------------------------------- */

/* jq's kinds, in jq's order. */
enum kind { K_NULL = 1, K_FALSE, K_TRUE, K_NUMBER, K_STRING, K_ARRAY, K_OBJECT };

struct val {
    enum kind k;
    bool root;     /* K_OBJECT: the record itself (s is unused) */
    double n;      /* K_NUMBER */
    const char *s; /* K_STRING: UTF-8 bytes; K_ARRAY, K_OBJECT: JSON text */
    size_t len;
};

static const struct val null_val = { .k = K_NULL };

static struct val bool_val(bool b)
{
    return (struct val){ .k = b ? K_TRUE : K_FALSE };
}

static struct val num_val(double n)
{
    return (struct val){ .k = K_NUMBER, .n = n };
}

static bool truthy(const struct val *v)
{
    return v->k != K_NULL && v->k != K_FALSE;
}

static bool digit(char c)
{
    return c >= '0' && c <= '9';
}

/* ---- the environment ----------------------------------------------------- */

struct var {
    char *name;
    bool ok; /* parsed; else a program using it is jq's */
    struct val v;
};

struct cdp_native_env {
    struct cdp_arena mem; /* variable values */
    struct var *vars;
    size_t nvars;
    /* top-level field names read with a constant key, by id */
    char **keys;
    size_t *klens;
    size_t nkeys, keys_cap;
    locale_t c_locale;
};

/* Clinger's fast path: a decimal of at most 15 digits, without exponent, is
 * an exact integer divided by an exact power of ten, which IEEE division
 * rounds correctly, as strtod would (it was a fiftieth of a run in strtod). */
static bool plain_decimal(const char *s, size_t len, double *out)
{
    static const double pow10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8,
                                    1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15 };
    size_t i = s[0] == '-', digits = 0, frac = 0;
    int64_t m = 0;
    bool dot = false;
    if (i == len || (s[i] == '0' && i + 1 < len && s[i + 1] != '.'))
        return false;
    for (; i < len; i++) {
        if (s[i] == '.' && !dot && digits && i + 1 < len) {
            dot = true;
            continue;
        }
        if (!digit(s[i]) || ++digits > 15)
            return false;
        m = m * 10 + (s[i] - '0');
        frac += dot;
    }
    double v = (double)m / pow10[frac];
    *out = s[0] == '-' ? -v : v;
    return true;
}

/* A JSON number as jq reads it: strtod in the C locale (jq's own strtod
 * and glibc's are both correctly rounded). False for what is not plain
 * JSON (as rules/jq.c, which parses those with jq's parser), or does not
 * fit a finite double. */
static bool parse_number(locale_t loc, const char *s, size_t len, double *out)
{
    char buf[64];
    if (len > 0 && len < 17 && plain_decimal(s, len, out))
        return true;
    if (len >= sizeof buf || !cdp_json_number_valid(s, len))
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    *out = strtod_l(buf, NULL, loc);
    return isfinite(*out);
}

static unsigned hex4(const char *s)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return 0x110000; /* not hex */
    }
    return v;
}

/* Decodes the escapes of a JSON string's inside (s, len: between the
 * quotes) into out. Surrogates, even paired, and unknown escapes are
 * refused: jq's handling of them is left to jq. */
static bool unescape(const char *s, size_t len, struct cdp_buf *out)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '\\') {
            cdp_buf_addc(out, s[i]);
            continue;
        }
        if (++i >= len)
            return false;
        switch (s[i]) {
        case '"': cdp_buf_addc(out, '"'); break;
        case '\\': cdp_buf_addc(out, '\\'); break;
        case '/': cdp_buf_addc(out, '/'); break;
        case 'b': cdp_buf_addc(out, '\b'); break;
        case 'f': cdp_buf_addc(out, '\f'); break;
        case 'n': cdp_buf_addc(out, '\n'); break;
        case 'r': cdp_buf_addc(out, '\r'); break;
        case 't': cdp_buf_addc(out, '\t'); break;
        case 'u': {
            if (len - i - 1 < 4)
                return false;
            unsigned cp = hex4(s + i + 1);
            if (cp > 0xFFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0)
                return false;
            cdp_buf_add_utf8(out, cp);
            i += 4;
            break;
        }
        default:
            return false;
        }
    }
    return true;
}

static const char *skip_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* The end of the JSON string starting at p ('"'); *escaped when it has
 * escapes. The text is valid JSON. */
static const char *string_end(const char *p, const char *e, bool *escaped)
{
    *escaped = false;
    for (p++; p < e; p++) {
        if (*p == '\\') {
            *escaped = true;
            p++;
        } else if (*p == '"') {
            return p + 1;
        }
    }
    return NULL;
}

/* The end of the JSON value starting at p. */
static const char *value_end(const char *p, const char *e)
{
    if (p >= e)
        return NULL;
    bool esc;
    if (*p == '"')
        return string_end(p, e, &esc);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        while (p < e) {
            char c = *p;
            if (c == '"') {
                if (!(p = string_end(p, e, &esc)))
                    return NULL;
                continue;
            }
            if (c == '{' || c == '[')
                depth++;
            else if ((c == '}' || c == ']') && --depth == 0)
                return p + 1;
            p++;
        }
        return NULL;
    }
    while (p < e && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t' &&
           *p != '\n' && *p != '\r')
        p++;
    return p;
}

/* A JSON string's value: in place when it has no escapes, else decoded
 * into mem. */
static bool string_val(struct cdp_arena *mem, struct cdp_buf *tmp, const char *p, const char *end,
                       bool escaped, struct val *v)
{
    v->k = K_STRING;
    v->root = false;
    if (!escaped) {
        v->s = p + 1;
        v->len = (size_t)(end - p - 2);
        return true;
    }
    cdp_buf_reset(tmp);
    if (!unescape(p + 1, (size_t)(end - p - 2), tmp))
        return false;
    v->len = tmp->len;
    v->s = tmp->len ? cdp_arena_strdup(mem, tmp->data, tmp->len) : "";
    return true;
}

/* The JSON value [p, e) (valid JSON, no space around). */
static bool json_val(struct cdp_arena *mem, struct cdp_buf *tmp, locale_t loc, const char *p,
                     const char *e, struct val *v)
{
    v->root = false;
    switch (*p) {
    case '"': {
        bool esc;
        const char *end = string_end(p, e, &esc);
        return end && string_val(mem, tmp, p, end, esc, v);
    }
    case '{':
    case '[':
        v->k = *p == '{' ? K_OBJECT : K_ARRAY;
        v->s = p;
        v->len = (size_t)(e - p);
        return true;
    case 't': v->k = K_TRUE; return true;
    case 'f': v->k = K_FALSE; return true;
    case 'n': v->k = K_NULL; return true;
    default:
        v->k = K_NUMBER;
        return parse_number(loc, p, (size_t)(e - p), &v->n);
    }
}

static bool var_value(struct cdp_native_env *env, struct cdp_json_parser *json,
                      const struct cdp_jq_var *jv, struct val *v)
{
    struct cdp_buf tmp = CDP_BUF_INIT;
    bool ok = false;
    const char *s = jv->value;
    size_t len = strlen(s);
    if (!jv->is_json) {
        /* --arg: a string (jq replaces invalid UTF-8, which is left to it) */
        ok = cdp_utf8_valid(s, len);
        *v = (struct val){ .k = K_STRING, .s = cdp_arena_strdup(&env->mem, s, len), .len = len };
    } else {
        const char *e = s + len;
        s = skip_ws(s, e);
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
            e--;
        if (s < e && cdp_json_valid(json, s, (size_t)(e - s))) {
            char *copy = cdp_arena_strdup(&env->mem, s, (size_t)(e - s));
            ok = json_val(&env->mem, &tmp, env->c_locale, copy, copy + (e - s), v);
        }
    }
    cdp_buf_release(&tmp);
    return ok;
}

struct cdp_native_env *cdp_native_env_new(const struct cdp_jq_vars *vars)
{
    struct cdp_native_env *env = cdp_xcalloc(1, sizeof *env);
    env->c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    env->vars = cdp_xcalloc(vars->n + 1, sizeof *env->vars);
    struct cdp_json_parser *json = cdp_json_parser_new();
    for (size_t i = 0; i < vars->n; i++) {
        struct var *v = &env->vars[env->nvars++];
        v->name = cdp_xstrdup(vars->v[i].name);
        v->ok = env->c_locale && var_value(env, json, &vars->v[i], &v->v);
    }
    cdp_json_parser_free(json);
    return env;
}

void cdp_native_env_free(struct cdp_native_env *env)
{
    if (!env)
        return;
    for (size_t i = 0; i < env->nvars; i++)
        free(env->vars[i].name);
    free(env->vars);
    for (size_t i = 0; i < env->nkeys; i++)
        free(env->keys[i]);
    free(env->keys);
    free(env->klens);
    if (env->c_locale)
        freelocale(env->c_locale);
    cdp_arena_release(&env->mem);
    free(env);
}

static const struct var *find_var(const struct cdp_native_env *env, const char *name, size_t len)
{
    for (size_t i = 0; i < env->nvars; i++)
        if (strlen(env->vars[i].name) == len && memcmp(env->vars[i].name, name, len) == 0)
            return &env->vars[i];
    return NULL;
}

static int key_id(struct cdp_native_env *env, const char *key, size_t len)
{
    for (size_t i = 0; i < env->nkeys; i++)
        if (env->klens[i] == len && memcmp(env->keys[i], key, len) == 0)
            return (int)i;
    if (env->nkeys == env->keys_cap) {
        env->keys_cap = env->keys_cap ? 2 * env->keys_cap : 16;
        env->keys = cdp_xrealloc(env->keys, env->keys_cap * sizeof *env->keys);
        env->klens = cdp_xrealloc(env->klens, env->keys_cap * sizeof *env->klens);
    }
    env->keys[env->nkeys] = cdp_xstrndup(key, len);
    env->klens[env->nkeys] = len;
    return (int)env->nkeys++;
}

/* ---- tokens -------------------------------------------------------------- */

enum tok {
    T_EOF, T_BAD, T_IDENT, T_FIELD, T_VAR, T_NUMBER, T_STRING, T_DOT, T_DOTDOT, T_FORMAT,
    T_LPAREN, T_RPAREN, T_LBRACK, T_RBRACK, T_LBRACE, T_RBRACE, T_PIPE, T_COMMA, T_COLON,
    T_SEMI, T_QUESTION, T_ALT, T_ALTPAT, T_ASSIGN, T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_PLUS,
    T_MINUS, T_STAR, T_SLASH, T_PERCENT,
};

struct token {
    enum tok t;
    const char *s; /* the text (T_FIELD, T_VAR: the name without . or $; T_STRING:
                      between the quotes) */
    size_t len;
    bool interp; /* T_STRING with \( */
};

struct tokens {
    struct token *v;
    size_t n, cap;
};

static void push_token(struct tokens *ts, enum tok t, const char *s, size_t len, bool interp)
{
    if (ts->n == ts->cap) {
        ts->cap = ts->cap ? 2 * ts->cap : 64;
        ts->v = cdp_xrealloc(ts->v, ts->cap * sizeof *ts->v);
    }
    ts->v[ts->n++] = (struct token){ t, s, len, interp };
}

static bool ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool ident_char(char c)
{
    return ident_start(c) || (c >= '0' && c <= '9');
}

/* The end of a string literal starting after its opening quote, or NULL.
 * An interpolation \( ... ) is skipped with the strings inside it. */
static const char *literal_end(const char *p, const char *e, bool *interp, int depth)
{
    if (depth > 16)
        return NULL;
    while (p < e) {
        if (*p == '"')
            return p + 1;
        if (*p != '\\') {
            p++;
            continue;
        }
        if (p + 1 >= e)
            return NULL;
        if (p[1] != '(') {
            p += 2;
            continue;
        }
        *interp = true;
        int parens = 1;
        for (p += 2; p < e && parens;) {
            if (*p == '"') {
                bool inner = false;
                if (!(p = literal_end(p + 1, e, &inner, depth + 1)))
                    return NULL;
            } else if (*p == '#') {
                return NULL;
            } else {
                parens += *p == '(' ? 1 : *p == ')' ? -1 : 0;
                p++;
            }
        }
        if (parens)
            return NULL;
    }
    return NULL;
}

/* jq 1.6's lexer, for what the parser below accepts; anything it does not
 * know is T_BAD. */
static void tokenize(const char *s, struct tokens *ts)
{
    const char *p = s, *e = s + strlen(s);
    static const struct {
        const char *op;
        enum tok t;
    } ops[] = {
        { "?//", T_ALTPAT }, { "//=", T_ASSIGN }, { "//", T_ALT }, { "|=", T_ASSIGN },
        { "+=", T_ASSIGN }, { "-=", T_ASSIGN }, { "*=", T_ASSIGN }, { "/=", T_ASSIGN },
        { "%=", T_ASSIGN }, { "==", T_EQ }, { "!=", T_NE }, { "<=", T_LE }, { ">=", T_GE },
        { "..", T_DOTDOT }, { "|", T_PIPE }, { ",", T_COMMA }, { ":", T_COLON },
        { ";", T_SEMI }, { "(", T_LPAREN }, { ")", T_RPAREN }, { "[", T_LBRACK },
        { "]", T_RBRACK }, { "{", T_LBRACE }, { "}", T_RBRACE }, { "?", T_QUESTION },
        { "<", T_LT }, { ">", T_GT }, { "+", T_PLUS }, { "-", T_MINUS }, { "*", T_STAR },
        { "/", T_SLASH }, { "%", T_PERCENT }, { "=", T_ASSIGN },
    };
    while (p < e) {
        char c = *p;
        if (c == ' ' || c == '\t' || c == '\n') {
            p++;
        } else if (c == '#') {
            while (p < e && *p != '\n')
                p++;
        } else if (c == '"') {
            bool interp = false;
            const char *end = literal_end(p + 1, e, &interp, 0);
            if (!end) {
                push_token(ts, T_BAD, p, 1, false);
                return;
            }
            push_token(ts, T_STRING, p + 1, (size_t)(end - p - 2), interp);
            p = end;
        } else if (digit(c)) {
            const char *q = p;
            while (q < e && digit(*q))
                q++;
            if (q < e && *q == '.')
                for (q++; q < e && digit(*q);)
                    q++;
            if (q < e && (*q == 'e' || *q == 'E')) {
                const char *x = q + 1;
                if (x < e && (*x == '+' || *x == '-'))
                    x++;
                if (x < e && digit(*x)) {
                    while (x < e && digit(*x))
                        x++;
                    q = x;
                }
            }
            push_token(ts, T_NUMBER, p, (size_t)(q - p), false);
            p = q;
        } else if (c == '.' && p + 1 < e && ident_start(p[1])) {
            const char *q = p + 1;
            while (q < e && ident_char(*q))
                q++;
            push_token(ts, T_FIELD, p + 1, (size_t)(q - p - 1), false);
            p = q;
        } else if (c == '.' && !(p + 1 < e && (p[1] == '.' || digit(p[1])))) {
            push_token(ts, T_DOT, p, 1, false);
            p++;
        } else if (c == '$' || c == '@' || ident_start(c)) {
            const char *q = c == '$' || c == '@' ? p + 1 : p;
            if (q >= e || !ident_start(*q)) {
                push_token(ts, T_BAD, p, 1, false);
                return;
            }
            while (q < e && ident_char(*q))
                q++;
            if (q + 1 < e && q[0] == ':' && q[1] == ':') { /* module paths */
                push_token(ts, T_BAD, p, 1, false);
                return;
            }
            if (c == '$')
                push_token(ts, T_VAR, p + 1, (size_t)(q - p - 1), false);
            else
                push_token(ts, c == '@' ? T_FORMAT : T_IDENT, p, (size_t)(q - p), false);
            p = q;
        } else {
            size_t k = 0, nops = sizeof ops / sizeof *ops;
            while (k < nops && strncmp(p, ops[k].op, strlen(ops[k].op)) != 0)
                k++;
            if (k == nops) {
                push_token(ts, T_BAD, p, 1, false);
                return;
            }
            push_token(ts, ops[k].t, p, strlen(ops[k].op), false);
            p += strlen(ops[k].op);
        }
    }
    push_token(ts, T_EOF, e, 0, false);
}

static bool same_tokens(const struct token *a, const struct token *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i].t != b[i].t || a[i].len != b[i].len || memcmp(a[i].s, b[i].s, a[i].len) != 0)
            return false;
    return true;
}

/* ---- the library's definitions ------------------------------------------- */

enum fkind {
    F_USER,     /* def in the part of jq above, compiled */
    F_OPAQUE,   /* a definition calls to which go to jq */
    F_DEFINING, /* being compiled: a call is recursion */
    F_SEGMENT,
    F_DAY_NUMBER,
    F_LEAP,
    F_DAYS_TO_BIRTHDAY,
    F_DAYS_SINCE,
    F_INTEREST,
    F_BOUGHT_WITHIN,
};

/* The texts as rules/ruleset.c and share/cdp/segments/ give them (the
 * comparison is by tokens: spaces, line breaks and comments may differ).
 * builtins: what the definition calls of jq's own, which no definition
 * before it may redefine; helpers: the library's definitions it calls,
 * which must be these; vars: the variables it reads. */
static const struct known {
    const char *name;
    size_t arity;
    enum fkind kind;
    const char *builtins, *helpers, *vars;
    const char *text;
} known_defs[] = {
    { "segment", 1, F_SEGMENT, "any", "", "",
      "def segment($name): any(.segments[]?; . == $name);" },
    { "_day_number", 0, F_DAY_NUMBER, "strptime mktime floor", "", "",
      "def _day_number: strptime(\"%Y-%m-%d\") | mktime / 86400 | floor;" },
    { "_leap", 1, F_LEAP, "", "", "",
      "def _leap($y): ($y % 4 == 0 and $y % 100 != 0) or $y % 400 == 0;" },
    { "days_to_birthday", 0, F_DAYS_TO_BIRTHDAY,
      "type test not tonumber map select first", "_day_number/0 _leap/1", "as_of as_of_day",
      "def days_to_birthday:\n"
      "    (.birth_date // \"\") as $b\n"
      "    | if ($b | type) != \"string\" or ($b | test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}$\") | not) then null\n"
      "      else ($as_of[0:4] | tonumber) as $y\n"
      "        | [$y, $y + 1]\n"
      "        | map(. as $year\n"
      "            | (if $b[5:10] == \"02-29\" and (_leap($year) | not) then \"02-28\" else $b[5:10] end) as $md\n"
      "            | (\"\\($year)-\\($md)\" | _day_number) - $as_of_day)\n"
      "        | map(select(. >= 0)) | first\n"
      "      end;" },
    { "days_since", 1, F_DAYS_SINCE, "strptime mktime floor", "", "as_of_day",
      "def days_since($t): $as_of_day - ($t[0:10] | strptime(\"%Y-%m-%d\") | mktime / 86400 | floor);" },
    { "interest", 0, F_INTEREST, "to_entries map values max select sort_by last", "days_since/1",
      "interest_days",
      "def interest:\n"
      "    [(.categories // {}) | to_entries[]\n"
      "     | {name: .key, at: ([.value.last_at, .value.last_view_at] | map(values) | max)}\n"
      "     | select(.at != null and days_since(.at) < $interest_days)]\n"
      "    | sort_by(.at, .name) | last | .name?;" },
    { "bought_within", 2, F_BOUGHT_WITHIN, "", "days_since/1", "",
      "def bought_within($category; $days):\n"
      "    ((.categories // {})[$category].last_at // null) as $t | $t != null and days_since($t) < $days;" },
};

/* ---- the tree ------------------------------------------------------------ */

enum op {
    OP_CONST, OP_DOT, OP_INDEX, OP_VAR, OP_PIPE, OP_AS, OP_AND, OP_OR, OP_ALT, OP_IF, OP_CMP,
    OP_ARITH, OP_NEG, OP_CALL, OP_NOT, OP_LENGTH, OP_TYPE, OP_HAS, OP_LIB,
};

struct fn;

struct node {
    enum op op;
    enum tok sub;   /* OP_CMP, OP_ARITH: the operator */
    int slot;       /* OP_VAR, OP_AS */
    int key;        /* OP_INDEX with a constant string key: its field id, else -1 */
    bool literal;   /* OP_CONST written as a literal */
    struct val c;   /* OP_CONST */
    struct node *a, *b, *x; /* operands; OP_IF: condition, then, else */
    struct fn *fn;  /* OP_CALL, OP_LIB */
    struct node **args;
    size_t nargs;
};

#define MAX_ARITY 8

struct fn {
    const char *name;
    size_t nlen, arity;
    enum fkind kind;
    int slots[MAX_ARITY]; /* F_USER: its $parameters */
    struct node *body;
};

struct cdp_native {
    struct cdp_native_env *env;
    struct cdp_arena mem; /* nodes, functions, literals */
    struct node *root;
    size_t nslots;
    int birthday_year; /* $as_of's year, for days_to_birthday */
    double as_of_day;
    struct val interest_days;
    int key_segments, key_categories, key_birth_date; /* field ids */
};

/* ---- the parser ---------------------------------------------------------- */

#define MAX_DEPTH 200

struct scope {
    const char *name;
    size_t len;
    int slot;
    bool param; /* a definition's $name, which also defines name as a filter */
    const struct scope *up;
};

struct parser {
    struct cdp_native *n;
    const struct token *t;
    size_t pos, ntok;
    bool fail;
    int depth;
    struct fn **fns; /* defined so far, in order */
    size_t nfns, fns_cap;
    const struct scope *scope;
    struct cdp_buf tmp;
};

static const struct token *cur(const struct parser *p)
{
    return &p->t[p->pos];
}

static void advance(struct parser *p)
{
    if (p->t[p->pos].t != T_EOF)
        p->pos++;
}

static bool is_word(const struct parser *p, const char *w)
{
    const struct token *t = cur(p);
    return t->t == T_IDENT && t->len == strlen(w) && memcmp(t->s, w, t->len) == 0;
}

static bool expect(struct parser *p, enum tok t)
{
    if (cur(p)->t != t)
        p->fail = true;
    else
        advance(p);
    return !p->fail;
}

static bool expect_word(struct parser *p, const char *w)
{
    if (!is_word(p, w))
        p->fail = true;
    else
        advance(p);
    return !p->fail;
}

static struct node *new_node(struct parser *p, enum op op)
{
    struct node *n = cdp_arena_alloc(&p->n->mem, sizeof *n);
    memset(n, 0, sizeof *n);
    n->op = op;
    n->key = -1;
    return n;
}

static struct node *binary(struct parser *p, enum op op, enum tok sub, struct node *a,
                           struct node *b)
{
    struct node *n = new_node(p, op);
    n->sub = sub;
    n->a = a;
    n->b = b;
    return n;
}

static bool is_keyword(const struct token *t)
{
    static const char *const words[] = {
        "as", "def", "module", "import", "include", "if", "then", "else", "elif", "reduce",
        "foreach", "end", "and", "or", "try", "catch", "label", "break", "__loc__",
    };
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (t->len == strlen(words[i]) && memcmp(t->s, words[i], t->len) == 0)
            return true;
    return false;
}

static struct node *parse_pipe(struct parser *p);

/* A string literal's value (no interpolation), in the program's memory. */
static bool literal_string(struct parser *p, const struct token *t, struct val *v)
{
    if (t->interp)
        return false;
    cdp_buf_reset(&p->tmp);
    if (!unescape(t->s, t->len, &p->tmp))
        return false;
    *v = (struct val){ .k = K_STRING, .len = p->tmp.len };
    v->s = p->tmp.len ? cdp_arena_strdup(&p->n->mem, p->tmp.data, p->tmp.len) : "";
    return true;
}

static struct node *const_node(struct parser *p, struct val v, bool literal)
{
    struct node *n = new_node(p, OP_CONST);
    n->c = v;
    n->literal = literal;
    return n;
}

/* term[key]: key runs on the term's input, as in jq. */
static struct node *index_node(struct parser *p, struct node *term, struct node *key)
{
    struct node *n = binary(p, OP_INDEX, T_EOF, term, key);
    if (key->op == OP_CONST && key->c.k == K_STRING)
        n->key = key_id(p->n->env, key->c.s, key->c.len);
    return n;
}

static struct fn *find_fn(const struct parser *p, const char *name, size_t len, size_t arity)
{
    for (size_t i = p->nfns; i-- > 0;) {
        struct fn *f = p->fns[i];
        if (f->nlen == len && memcmp(f->name, name, len) == 0 && f->arity == arity)
            return f;
    }
    return NULL;
}

static bool any_fn_named(const struct parser *p, const char *name, size_t len)
{
    for (size_t i = 0; i < p->nfns; i++)
        if (p->fns[i]->nlen == len && memcmp(p->fns[i]->name, name, len) == 0)
            return true;
    return false;
}

static struct node *parse_call(struct parser *p)
{
    const struct token *name = cur(p);
    advance(p);
    struct node *args[MAX_ARITY];
    size_t nargs = 0;
    if (cur(p)->t == T_LPAREN) {
        advance(p);
        for (;;) {
            if (nargs == MAX_ARITY) {
                p->fail = true;
                return NULL;
            }
            args[nargs++] = parse_pipe(p);
            if (p->fail)
                return NULL;
            if (cur(p)->t != T_SEMI)
                break;
            advance(p);
        }
        if (!expect(p, T_RPAREN))
            return NULL;
    }
    /* A definition's $x also defines the filter x: not followed here. */
    for (const struct scope *s = p->scope; s && nargs == 0; s = s->up)
        if (s->param && s->len == name->len && memcmp(s->name, name->s, s->len) == 0) {
            p->fail = true;
            return NULL;
        }
    struct node *n;
    struct fn *f = find_fn(p, name->s, name->len, nargs);
    if (f) {
        if (f->kind == F_OPAQUE || f->kind == F_DEFINING || f->kind == F_DAY_NUMBER ||
            f->kind == F_LEAP) {
            p->fail = true;
            return NULL;
        }
        n = new_node(p, f->kind == F_USER ? OP_CALL : OP_LIB);
        n->fn = f;
    } else {
        static const struct {
            const char *name;
            size_t arity;
            enum op op;
        } builtins[] = {
            { "not", 0, OP_NOT }, { "length", 0, OP_LENGTH }, { "type", 0, OP_TYPE },
            { "has", 1, OP_HAS },
        };
        size_t k = 0, nb = sizeof builtins / sizeof *builtins;
        while (k < nb && !(strlen(builtins[k].name) == name->len &&
                           memcmp(builtins[k].name, name->s, name->len) == 0 &&
                           builtins[k].arity == nargs))
            k++;
        if (k == nb) {
            p->fail = true;
            return NULL;
        }
        n = new_node(p, builtins[k].op);
    }
    n->nargs = nargs;
    if (nargs) {
        n->args = cdp_arena_alloc(&p->n->mem, nargs * sizeof *n->args);
        memcpy(n->args, args, nargs * sizeof *args);
    }
    return n;
}

/* if C then A (elif C then A)* else B end */
static struct node *parse_if(struct parser *p)
{
    advance(p);
    struct node *n = new_node(p, OP_IF);
    n->a = parse_pipe(p);
    if (!expect_word(p, "then"))
        return NULL;
    n->b = parse_pipe(p);
    if (p->fail)
        return NULL;
    if (is_word(p, "elif")) {
        n->x = parse_if(p); /* consumes the rest, "end" included */
        return n;
    }
    if (!expect_word(p, "else"))
        return NULL;
    n->x = parse_pipe(p);
    if (!expect_word(p, "end"))
        return NULL;
    return n;
}

static struct node *parse_primary(struct parser *p)
{
    const struct token *t = cur(p);
    struct val v;
    switch (t->t) {
    case T_DOT:
        advance(p);
        if (cur(p)->t == T_STRING) { /* ."name" */
            if (!literal_string(p, cur(p), &v)) {
                p->fail = true;
                return NULL;
            }
            advance(p);
            return index_node(p, new_node(p, OP_DOT), const_node(p, v, true));
        }
        return new_node(p, OP_DOT);
    case T_FIELD: {
        struct val key = { .k = K_STRING, .s = cdp_arena_strdup(&p->n->mem, t->s, t->len),
                           .len = t->len };
        advance(p);
        return index_node(p, new_node(p, OP_DOT), const_node(p, key, true));
    }
    case T_NUMBER:
        if (!parse_number(p->n->env->c_locale, t->s, t->len, &v.n)) {
            /* "1." and "1.e5" are jq numbers, not JSON: not ours */
            p->fail = true;
            return NULL;
        }
        advance(p);
        return const_node(p, num_val(v.n), true);
    case T_STRING:
        if (!literal_string(p, t, &v)) {
            p->fail = true;
            return NULL;
        }
        advance(p);
        return const_node(p, v, true);
    case T_LPAREN: {
        advance(p);
        struct node *n = parse_pipe(p);
        return expect(p, T_RPAREN) ? n : NULL;
    }
    case T_LBRACK: /* [] and {} alone: constants */
    case T_LBRACE:
        if (p->t[p->pos + 1].t != (t->t == T_LBRACK ? T_RBRACK : T_RBRACE)) {
            p->fail = true;
            return NULL;
        }
        advance(p);
        advance(p);
        v = (struct val){ .k = t->t == T_LBRACK ? K_ARRAY : K_OBJECT,
                          .s = t->t == T_LBRACK ? "[]" : "{}", .len = 2 };
        return const_node(p, v, true);
    case T_VAR: {
        for (const struct scope *s = p->scope; s && !is_keyword(t); s = s->up)
            if (s->len == t->len && memcmp(s->name, t->s, t->len) == 0) {
                struct node *n = new_node(p, OP_VAR);
                n->slot = s->slot;
                advance(p);
                return n;
            }
        const struct var *gv = find_var(p->n->env, t->s, t->len);
        bool special = is_keyword(t) || /* $and: a syntax error in jq 1.6 */
                       (t->len == 3 && memcmp(t->s, "ENV", 3) == 0) ||
                       (t->len == 4 && memcmp(t->s, "ARGS", 4) == 0);
        if (!gv || !gv->ok || special) {
            p->fail = true;
            return NULL;
        }
        advance(p);
        return const_node(p, gv->v, false);
    }
    case T_IDENT:
        if (is_word(p, "if"))
            return parse_if(p);
        if (is_keyword(t)) {
            p->fail = true;
            return NULL;
        }
        if (p->t[p->pos + 1].t != T_LPAREN) {
            if (is_word(p, "true") || is_word(p, "false") || is_word(p, "null")) {
                struct val c = is_word(p, "null") ? null_val : bool_val(is_word(p, "true"));
                advance(p);
                return const_node(p, c, true);
            }
        }
        return parse_call(p);
    default:
        p->fail = true;
        return NULL;
    }
}

/* A term with its suffixes (.name, ."name", [E]), then maybe
 * "as $x | BODY", whose body takes the rest of the expression. */
static struct node *parse_postfix(struct parser *p)
{
    bool is_if = is_word(p, "if");
    struct node *n = parse_primary(p);
    if (p->fail || is_if)
        return n; /* no suffix after if...end: not jq 1.6's */
    for (;;) {
        const struct token *t = cur(p);
        if (t->t == T_FIELD) {
            struct val key = { .k = K_STRING, .s = cdp_arena_strdup(&p->n->mem, t->s, t->len),
                               .len = t->len };
            advance(p);
            n = index_node(p, n, const_node(p, key, true));
        } else if (t->t == T_DOT && p->t[p->pos + 1].t == T_STRING) {
            advance(p);
            struct val key;
            if (!literal_string(p, cur(p), &key)) {
                p->fail = true;
                return NULL;
            }
            advance(p);
            n = index_node(p, n, const_node(p, key, true));
        } else if (t->t == T_LBRACK) {
            advance(p);
            if (cur(p)->t == T_RBRACK || cur(p)->t == T_COLON) {
                p->fail = true; /* .[] and slices */
                return NULL;
            }
            struct node *key = parse_pipe(p);
            if (!expect(p, T_RBRACK))
                return NULL;
            n = index_node(p, n, key);
        } else {
            break;
        }
    }
    if (!is_word(p, "as"))
        return n;
    advance(p);
    const struct token *var = cur(p);
    if (var->t != T_VAR || is_keyword(var)) {
        p->fail = true;
        return NULL;
    }
    advance(p);
    if (!expect(p, T_PIPE))
        return NULL;
    struct node *as = new_node(p, OP_AS);
    as->a = n;
    as->slot = (int)p->n->nslots++;
    struct scope s = { var->s, var->len, as->slot, false, p->scope };
    const struct scope *saved = p->scope;
    p->scope = &s;
    as->b = parse_pipe(p);
    p->scope = saved;
    return as;
}

static struct node *parse_mul(struct parser *p);

/* '-' takes a product: jq's '-' Exp has the precedence of binary minus. */
static struct node *parse_unary(struct parser *p)
{
    if (cur(p)->t != T_MINUS)
        return parse_postfix(p);
    advance(p);
    struct node *n = new_node(p, OP_NEG);
    n->a = parse_mul(p);
    return n;
}

/* Arithmetic of two literals is folded by jq's parser, which refuses some
 * ("Division by zero?"): left to jq. */
static struct node *arith(struct parser *p, enum tok op, struct node *a, struct node *b)
{
    if (p->fail)
        return NULL;
    if (a->op == OP_CONST && a->literal && b->op == OP_CONST && b->literal) {
        p->fail = true;
        return NULL;
    }
    return binary(p, OP_ARITH, op, a, b);
}

static struct node *parse_mul(struct parser *p)
{
    struct node *n = parse_unary(p);
    while (!p->fail && (cur(p)->t == T_STAR || cur(p)->t == T_SLASH || cur(p)->t == T_PERCENT)) {
        enum tok op = cur(p)->t;
        advance(p);
        n = arith(p, op, n, parse_unary(p));
    }
    return n;
}

static struct node *parse_add(struct parser *p)
{
    struct node *n = parse_mul(p);
    while (!p->fail && (cur(p)->t == T_PLUS || cur(p)->t == T_MINUS)) {
        enum tok op = cur(p)->t;
        advance(p);
        n = arith(p, op, n, parse_mul(p));
    }
    return n;
}

static bool is_cmp(enum tok t)
{
    return t == T_EQ || t == T_NE || t == T_LT || t == T_LE || t == T_GT || t == T_GE;
}

/* Comparisons do not chain in jq (a syntax error). */
static struct node *parse_cmp(struct parser *p)
{
    struct node *n = parse_add(p);
    if (p->fail || !is_cmp(cur(p)->t))
        return n;
    enum tok op = cur(p)->t;
    advance(p);
    n = binary(p, OP_CMP, op, n, parse_add(p));
    if (is_cmp(cur(p)->t))
        p->fail = true;
    return n;
}

static struct node *parse_and(struct parser *p)
{
    struct node *n = parse_cmp(p);
    while (!p->fail && is_word(p, "and")) {
        advance(p);
        n = binary(p, OP_AND, T_EOF, n, parse_cmp(p));
    }
    return n;
}

static struct node *parse_or(struct parser *p)
{
    struct node *n = parse_and(p);
    while (!p->fail && is_word(p, "or")) {
        advance(p);
        n = binary(p, OP_OR, T_EOF, n, parse_and(p));
    }
    return n;
}

/* a // b // c is a // (b // c) */
static struct node *parse_alt(struct parser *p)
{
    struct node *n = parse_or(p);
    if (p->fail || cur(p)->t != T_ALT)
        return n;
    advance(p);
    return binary(p, OP_ALT, T_EOF, n, parse_alt(p));
}

static struct node *parse_pipe(struct parser *p)
{
    if (p->fail || ++p->depth > MAX_DEPTH || is_word(p, "def")) {
        p->fail = true;
        return NULL;
    }
    struct node *n = parse_alt(p);
    if (!p->fail && cur(p)->t == T_PIPE) {
        advance(p);
        n = binary(p, OP_PIPE, T_EOF, n, parse_pipe(p));
    }
    p->depth--;
    return p->fail ? NULL : n;
}

static struct fn *add_fn(struct parser *p, const char *name, size_t len, size_t arity,
                         enum fkind kind)
{
    struct fn *f = cdp_arena_alloc(&p->n->mem, sizeof *f);
    memset(f, 0, sizeof *f);
    f->name = name;
    f->nlen = len;
    f->arity = arity;
    f->kind = kind;
    if (p->nfns == p->fns_cap) {
        p->fns_cap = p->fns_cap ? 2 * p->fns_cap : 16;
        p->fns = cdp_xrealloc(p->fns, p->fns_cap * sizeof *p->fns);
    }
    p->fns[p->nfns++] = f;
    return f;
}

/* Whether the words of list (space-separated) pass test. */
static bool each_word(const char *list, bool (*test)(const struct parser *, const char *, size_t),
                      const struct parser *p)
{
    for (const char *w = list; *w;) {
        size_t n = strcspn(w, " ");
        if (n && !test(p, w, n))
            return false;
        w += n;
        while (*w == ' ')
            w++;
    }
    return true;
}

static bool not_redefined(const struct parser *p, const char *name, size_t len)
{
    return !any_fn_named(p, name, len);
}

/* "name/arity": the library's definition of that name, as matched. */
static bool library_helper(const struct parser *p, const char *w, size_t len)
{
    const char *slash = memchr(w, '/', len);
    size_t nlen = (size_t)(slash - w);
    struct fn *f = find_fn(p, w, nlen, (size_t)(slash[1] - '0'));
    if (!f)
        return false;
    for (size_t k = 0; k < sizeof known_defs / sizeof *known_defs; k++)
        if (known_defs[k].kind == f->kind && strlen(known_defs[k].name) == nlen &&
            memcmp(known_defs[k].name, w, nlen) == 0)
            return true;
    return false;
}

static bool var_defined(const struct parser *p, const char *name, size_t len)
{
    const struct var *v = find_var(p->n->env, name, len);
    return v && v->ok;
}

/* What the library's definitions read of the variables, checked once. */
static bool library_vars(struct parser *p, enum fkind kind)
{
    struct cdp_native *n = p->n;
    if (kind == F_DAYS_TO_BIRTHDAY) {
        const struct var *v = find_var(n->env, "as_of", 5);
        /* "\($year)-\($md)" must read back as %Y: four digits, both years */
        if (!v || v->v.k != K_STRING || v->v.len < 4)
            return false;
        int y = 0;
        for (int i = 0; i < 4; i++) {
            if (!digit(v->v.s[i]))
                return false;
            y = y * 10 + (v->v.s[i] - '0');
        }
        if (y < 1000 || y > 9998)
            return false;
        n->birthday_year = y;
    }
    if (kind == F_DAYS_TO_BIRTHDAY || kind == F_DAYS_SINCE) {
        const struct var *v = find_var(n->env, "as_of_day", 9);
        if (!v || v->v.k != K_NUMBER)
            return false;
        n->as_of_day = v->v.n;
    }
    if (kind == F_INTEREST)
        n->interest_days = find_var(n->env, "interest_days", 13)->v;
    return true;
}

/* One of the library's definitions, token for token, at p's position: its
 * function, F_OPAQUE when something it relies on is not the library's. */
static bool known_def(struct parser *p)
{
    for (size_t k = 0; k < sizeof known_defs / sizeof *known_defs; k++) {
        const struct known *kd = &known_defs[k];
        struct tokens ts = { 0 };
        tokenize(kd->text, &ts);
        size_t n = ts.n - 1; /* without T_EOF */
        bool match = p->pos + n < p->ntok && same_tokens(&p->t[p->pos], ts.v, n);
        free(ts.v);
        if (!match)
            continue;
        bool ok = each_word(kd->builtins, not_redefined, p) &&
                  each_word(kd->helpers, library_helper, p) &&
                  each_word(kd->vars, var_defined, p) && library_vars(p, kd->kind);
        add_fn(p, kd->name, strlen(kd->name), kd->arity, ok ? kd->kind : F_OPAQUE);
        p->pos += n;
        return true;
    }
    return false;
}

/* def NAME: BODY; or def NAME($a; ...): BODY; */
static void user_def(struct parser *p)
{
    advance(p);
    const struct token *name = cur(p);
    if (name->t != T_IDENT || is_keyword(name)) {
        p->fail = true;
        return;
    }
    advance(p);
    struct scope params[MAX_ARITY];
    size_t arity = 0;
    const struct scope *up = NULL;
    if (cur(p)->t == T_LPAREN) {
        advance(p);
        for (;;) {
            const struct token *t = cur(p);
            if (t->t != T_VAR || arity == MAX_ARITY || is_keyword(t)) {
                p->fail = true; /* filter parameters are jq's */
                return;
            }
            params[arity] = (struct scope){ t->s, t->len, (int)p->n->nslots++, true, up };
            up = &params[arity++];
            advance(p);
            if (cur(p)->t != T_SEMI)
                break;
            advance(p);
        }
        if (!expect(p, T_RPAREN))
            return;
    }
    if (!expect(p, T_COLON))
        return;
    struct fn *f = add_fn(p, name->s, name->len, arity, F_DEFINING);
    for (size_t i = 0; i < arity; i++)
        f->slots[i] = params[i].slot;
    p->scope = up;
    f->body = parse_pipe(p);
    p->scope = NULL;
    if (expect(p, T_SEMI))
        f->kind = F_USER;
}

struct cdp_native *cdp_native_compile(struct cdp_native_env *env, const char *program)
{
    if (!env->c_locale || !cdp_utf8_valid(program, strlen(program)))
        return NULL;
    struct cdp_native *n = cdp_xcalloc(1, sizeof *n);
    n->env = env;
    struct tokens ts = { 0 };
    tokenize(program, &ts);
    struct parser p = { .n = n, .t = ts.v, .ntok = ts.n };
    n->key_segments = key_id(env, "segments", 8);
    n->key_categories = key_id(env, "categories", 10);
    n->key_birth_date = key_id(env, "birth_date", 10);
    for (size_t i = 0; i < ts.n; i++)
        if (ts.v[i].t == T_BAD)
            p.fail = true;
    while (!p.fail && is_word(&p, "def"))
        if (!known_def(&p))
            user_def(&p);
    if (!p.fail)
        n->root = parse_pipe(&p);
    if (!p.fail && cur(&p)->t != T_EOF)
        p.fail = true;
    free(p.fns);
    free(ts.v);
    cdp_buf_release(&p.tmp);
    if (p.fail) {
        cdp_native_free(n);
        return NULL;
    }
    return n;
}

void cdp_native_free(struct cdp_native *n)
{
    if (!n)
        return;
    cdp_arena_release(&n->mem);
    free(n);
}

/* ---- evaluation ---------------------------------------------------------- */

struct field_cache {
    uint32_t gen;
    bool ok;
    struct val v;
};

/* Members of nested objects read with a constant key, by (object text, key
 * id): ten rfm rules read .rfm.segment of one profile. */
#define MEMO_SIZE 64

struct memo {
    uint32_t gen;
    int key;
    const char *obj;
    bool ok;
    struct val v;
};

struct cdp_native_run {
    const struct cdp_native_env *env;
    const struct cdp_record *rec;
    struct field_cache *fields; /* by the env's field id */
    size_t nfields;
    uint32_t gen;
    struct memo memo[MEMO_SIZE];
    struct val *slots;
    size_t nslots;
    struct cdp_arena mem; /* decoded strings, per test */
    struct cdp_buf tmp;
};

struct cdp_native_run *cdp_native_run_new(const struct cdp_native_env *env)
{
    struct cdp_native_run *r = cdp_xcalloc(1, sizeof *r);
    r->env = env;
    return r;
}

void cdp_native_run_free(struct cdp_native_run *r)
{
    if (!r)
        return;
    free(r->fields);
    free(r->slots);
    cdp_arena_release(&r->mem);
    cdp_buf_release(&r->tmp);
    free(r);
}

void cdp_native_run_input(struct cdp_native_run *r, const struct cdp_record *rec)
{
    r->rec = rec;
    if (++r->gen == 0) {
        for (size_t i = 0; i < r->nfields; i++)
            r->fields[i].gen = 0;
        for (size_t i = 0; i < MEMO_SIZE; i++)
            r->memo[i].gen = 0;
        r->gen = 1;
    }
}

/* A record field's value as jq gets it (rules/jq.c: field_value). */
static bool field_val(struct cdp_native_run *r, const struct cdp_field *f, struct val *v)
{
    v->root = false;
    switch (f->type) {
    case CDP_NULL: v->k = K_NULL; return true;
    case CDP_FALSE: v->k = K_FALSE; return true;
    case CDP_TRUE: v->k = K_TRUE; return true;
    case CDP_STRING:
        v->k = K_STRING;
        v->s = f->val;
        v->len = f->vlen;
        return true;
    case CDP_NUMBER:
        v->k = K_NUMBER;
        return parse_number(r->env->c_locale, f->val, f->vlen, &v->n);
    case CDP_ARRAY:
    case CDP_OBJECT: {
        /* as written, without the spaces around it */
        const char *s = f->val, *e = f->val + f->vlen;
        s = skip_ws(s, e);
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
            e--;
        if (s == e || *s != (f->type == CDP_ARRAY ? '[' : '{'))
            return false;
        v->k = f->type == CDP_ARRAY ? K_ARRAY : K_OBJECT;
        v->s = s;
        v->len = (size_t)(e - s);
        return true;
    }
    }
    return false;
}

static bool root_field(struct cdp_native_run *r, const char *key, size_t klen, int id,
                       struct val *out)
{
    if (id >= 0) {
        if ((size_t)id >= r->nfields) {
            size_t n = r->env->nkeys > (size_t)id ? r->env->nkeys : (size_t)id + 1;
            r->fields = cdp_xrealloc(r->fields, n * sizeof *r->fields);
            memset(r->fields + r->nfields, 0, (n - r->nfields) * sizeof *r->fields);
            r->nfields = n;
        }
        struct field_cache *c = &r->fields[id];
        if (c->gen != r->gen) {
            const struct cdp_field *f = cdp_record_get(r->rec, key, klen);
            c->gen = r->gen;
            c->v = null_val;
            c->ok = !f || field_val(r, f, &c->v);
        }
        *out = c->v;
        return c->ok;
    }
    const struct cdp_field *f = cdp_record_get(r->rec, key, klen);
    if (!f) {
        *out = null_val;
        return true;
    }
    return field_val(r, f, out);
}

/* Iterates the members of the object text (keys decoded; fn returns false
 * to stop with failure). */
typedef bool (*member_fn)(struct cdp_native_run *r, void *ctx, const struct val *key,
                          const char *v, const char *vend);

static bool each_member(struct cdp_native_run *r, const struct val *obj, member_fn fn, void *ctx)
{
    const char *p = obj->s, *e = obj->s + obj->len;
    p = skip_ws(p + 1, e);
    if (p < e && *p == '}')
        return true;
    while (p < e) {
        bool esc;
        const char *ke = string_end(p, e, &esc);
        struct val key;
        if (!ke || !string_val(&r->mem, &r->tmp, p, ke, esc, &key))
            return false;
        p = skip_ws(ke, e);
        if (p >= e || *p != ':')
            return false;
        p = skip_ws(p + 1, e);
        const char *ve = value_end(p, e);
        if (!ve || !fn(r, ctx, &key, p, ve))
            return false;
        p = skip_ws(ve, e);
        if (p < e && *p == ',') {
            p = skip_ws(p + 1, e);
            continue;
        }
        return p < e && *p == '}';
    }
    return false;
}

/* Elements of the array text, as values. */
typedef bool (*element_fn)(struct cdp_native_run *r, void *ctx, const struct val *v);

static bool each_element(struct cdp_native_run *r, const struct val *arr, element_fn fn,
                         void *ctx)
{
    const char *p = arr->s, *e = arr->s + arr->len;
    p = skip_ws(p + 1, e);
    if (p < e && *p == ']')
        return true;
    while (p < e) {
        const char *ve = value_end(p, e);
        struct val v;
        if (!ve || !json_val(&r->mem, &r->tmp, r->env->c_locale, p, ve, &v) || !fn(r, ctx, &v))
            return false;
        p = skip_ws(ve, e);
        if (p < e && *p == ',') {
            p = skip_ws(p + 1, e);
            continue;
        }
        return p < e && *p == ']';
    }
    return false;
}

/* Up to two keys looked up in one scan. */
struct lookup {
    const char *key[2];
    size_t klen[2];
    const char *v[2], *vend[2]; /* the last match */
};

static bool lookup_member(struct cdp_native_run *r, void *ctx, const struct val *key,
                          const char *v, const char *vend)
{
    (void)r;
    struct lookup *l = ctx;
    for (int i = 0; i < 2; i++)
        if (l->key[i] && key->len == l->klen[i] && memcmp(key->s, l->key[i], key->len) == 0) {
            l->v[i] = v;
            l->vend[i] = vend;
        }
    return true;
}

static bool found_val(struct cdp_native_run *r, const char *v, const char *vend, struct val *out)
{
    if (!v) {
        *out = null_val;
        return true;
    }
    return json_val(&r->mem, &r->tmp, r->env->c_locale, v, vend, out);
}

/* obj[key] for an object text: the last member of that key (jq keeps the
 * last of repeated keys), or null. */
static bool text_get(struct cdp_native_run *r, const struct val *obj, const char *key, size_t klen,
                     struct val *out)
{
    struct lookup l = { { key, NULL }, { klen, 0 }, { NULL, NULL }, { NULL, NULL } };
    return each_member(r, obj, lookup_member, &l) && found_val(r, l.v[0], l.vend[0], out);
}

/* obj[key1] and obj[key2], in one scan. */
static bool text_get2(struct cdp_native_run *r, const struct val *obj, const char *key1,
                      const char *key2, struct val *out1, struct val *out2)
{
    struct lookup l = { { key1, key2 }, { strlen(key1), strlen(key2) }, { NULL, NULL },
                        { NULL, NULL } };
    return each_member(r, obj, lookup_member, &l) && found_val(r, l.v[0], l.vend[0], out1) &&
           found_val(r, l.v[1], l.vend[1], out2);
}

/* obj[key]; id >= 0: the key's field id, for the record's field cache or
 * the memo of nested objects. */
static bool object_get(struct cdp_native_run *r, const struct val *obj, const char *key,
                       size_t klen, int id, struct val *out)
{
    if (obj->root)
        return root_field(r, key, klen, id, out);
    if (id < 0)
        return text_get(r, obj, key, klen, out);
    struct memo *m = &r->memo[((uintptr_t)obj->s * 31 + (uintptr_t)id) % MEMO_SIZE];
    if (m->gen == r->gen && m->obj == obj->s && m->key == id) {
        *out = m->v;
        return m->ok;
    }
    bool ok = text_get(r, obj, key, klen, out);
    /* not a string decoded into the arena, which the next test resets */
    if (out->k != K_STRING || (out->s >= obj->s && out->s < obj->s + obj->len))
        *m = (struct memo){ r->gen, id, obj->s, ok, *out };
    return ok;
}

struct nth {
    size_t want, at;
    struct val v;
    bool found;
};

static bool nth_element(struct cdp_native_run *r, void *ctx, const struct val *v)
{
    (void)r;
    struct nth *n = ctx;
    if (n->at++ == n->want) {
        n->v = *v;
        n->found = true;
    }
    return true;
}

/* t[key], where jq 1.6 does not raise an error. */
static bool index_val(struct cdp_native_run *r, const struct val *t, const struct val *key, int id,
                      struct val *out)
{
    if (t->k == K_NULL && (key->k == K_STRING || key->k == K_NUMBER)) {
        *out = null_val;
        return true;
    }
    if (t->k == K_OBJECT && key->k == K_STRING)
        return object_get(r, t, key->s, key->len, id, out);
    if (t->k == K_ARRAY && key->k == K_NUMBER) {
        /* negative and fractional indexes: jq's own rules */
        if (!(key->n >= 0 && key->n < 2147483647.0) || key->n != floor(key->n))
            return false;
        struct nth n = { (size_t)key->n, 0, null_val, false };
        if (!each_element(r, t, nth_element, &n))
            return false;
        *out = n.found ? n.v : null_val;
        return true;
    }
    return false;
}

/* jq's order (jv_cmp); false for arrays or objects with their own kind. */
static bool compare(const struct val *a, const struct val *b, int *c)
{
    if (a->k != b->k) {
        *c = (int)a->k - (int)b->k;
        return true;
    }
    switch (a->k) {
    case K_NUMBER:
        if (isnan(a->n) || isnan(b->n))
            return false;
        *c = a->n < b->n ? -1 : a->n == b->n ? 0 : 1;
        return true;
    case K_STRING: {
        size_t n = a->len < b->len ? a->len : b->len;
        int m = n ? memcmp(a->s, b->s, n) : 0;
        *c = m ? m : (a->len > b->len) - (a->len < b->len);
        return true;
    }
    case K_ARRAY:
    case K_OBJECT:
        return false;
    default:
        *c = 0;
        return true;
    }
}

static bool eval(struct cdp_native_run *r, const struct cdp_native *prog, const struct node *n,
                 const struct val *dot, struct val *out);

/* .name of v: an object's member, null's null; else jq raises an error. */
static bool member_of(struct cdp_native_run *r, const struct val *v, const char *key, int id,
                      struct val *out)
{
    if (v->k == K_NULL) {
        *out = null_val;
        return true;
    }
    return v->k == K_OBJECT && object_get(r, v, key, strlen(key), id, out);
}

static bool arith_val(struct cdp_native_run *r, enum tok op, const struct val *a,
                      const struct val *b, struct val *out)
{
    if (op == T_PLUS && a->k == K_NULL) {
        *out = *b;
        return true;
    }
    if (op == T_PLUS && b->k == K_NULL) {
        *out = *a;
        return true;
    }
    if (op == T_PLUS && a->k == K_STRING && b->k == K_STRING) {
        char *s = cdp_arena_alloc(&r->mem, a->len + b->len + 1);
        memcpy(s, a->s, a->len);
        memcpy(s + a->len, b->s, b->len);
        *out = (struct val){ .k = K_STRING, .s = s, .len = a->len + b->len };
        return true;
    }
    if (a->k != K_NUMBER || b->k != K_NUMBER)
        return false;
    double x = a->n, y = b->n, z;
    switch (op) {
    case T_PLUS: z = x + y; break;
    case T_MINUS: z = x - y; break;
    case T_STAR: z = x * y; break;
    case T_SLASH:
        if (y == 0)
            return false;
        z = x / y;
        break;
    default: { /* %: jq 1.6 truncates both to intmax_t */
        if (!(fabs(x) < 9.2e18) || !(fabs(y) < 9.2e18))
            return false;
        intmax_t ix = (intmax_t)x, iy = (intmax_t)y;
        if (iy == 0)
            return false;
        z = (double)(ix % iy);
        break;
    }
    }
    if (isnan(z))
        return false;
    *out = num_val(z);
    return true;
}

struct counter {
    size_t n;
    struct val keys[64];
};

static bool count_element(struct cdp_native_run *r, void *ctx, const struct val *v)
{
    (void)r;
    (void)v;
    ((struct counter *)ctx)->n++;
    return true;
}

/* Distinct keys (a repeated key is one in jq); up to 64. */
static bool count_member(struct cdp_native_run *r, void *ctx, const struct val *key,
                         const char *v, const char *vend)
{
    (void)r;
    (void)v;
    (void)vend;
    struct counter *c = ctx;
    for (size_t i = 0; i < c->n; i++)
        if (c->keys[i].len == key->len && memcmp(c->keys[i].s, key->s, key->len) == 0)
            return true;
    if (c->n == 64)
        return false;
    c->keys[c->n++] = *key;
    return true;
}

static bool length_of(struct cdp_native_run *r, const struct val *v, struct val *out)
{
    struct counter c = { 0 };
    switch (v->k) {
    case K_NULL: *out = num_val(0); return true;
    case K_NUMBER: *out = num_val(fabs(v->n)); return true;
    case K_STRING:
        for (size_t i = 0; i < v->len; i++)
            c.n += ((unsigned char)v->s[i] & 0xC0) != 0x80;
        *out = num_val((double)c.n);
        return true;
    case K_ARRAY:
        if (!each_element(r, v, count_element, &c))
            return false;
        *out = num_val((double)c.n);
        return true;
    case K_OBJECT:
        if (v->root)
            c.n = r->rec->n; /* the record's keys are distinct (io/json.h) */
        else if (!each_member(r, v, count_member, &c))
            return false;
        *out = num_val((double)c.n);
        return true;
    default:
        return false; /* booleans have no length */
    }
}

static struct val type_of(const struct val *v)
{
    static const char *const names[] = { "", "null", "boolean", "boolean", "number",
                                         "string", "array", "object" };
    const char *s = names[v->k];
    return (struct val){ .k = K_STRING, .s = s, .len = strlen(s) };
}

/* ---- the library's definitions, natively ---------------------------------- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* "YYYY-MM-DD" in s[0..10): strptime("%Y-%m-%d") accepts it, and mktime
 * (timegm) carries a day past the month's end into the next month. */
static bool plain_date(const char *s, size_t len, int64_t *day)
{
    if (len < 10)
        return false;
    for (int i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? s[i] != '-' : !digit(s[i]))
            return false;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    if (m < 1 || m > 12 || d < 1 || d > 31)
        return false;
    *day = days_from_civil(y, (unsigned)m, 1) + d - 1;
    return true;
}

/* days_since($t): $as_of_day - ($t[0:10] | strptime | mktime / 86400 |
 * floor), for a string whose first ten characters are a plain date. */
static bool days_since(const struct cdp_native *prog, const struct val *t, struct val *out)
{
    int64_t day;
    if (t->k != K_STRING || !plain_date(t->s, t->len, &day))
        return false;
    *out = num_val(prog->as_of_day - (double)day);
    return true;
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool days_to_birthday(struct cdp_native_run *r, const struct cdp_native *prog,
                             const struct val *dot, struct val *out)
{
    struct val b;
    if (!member_of(r, dot, "birth_date", prog->key_birth_date, &b))
        return false;
    *out = null_val;
    if (!truthy(&b) || b.k != K_STRING)
        return true; /* "" or not a string: null */
    bool shape = b.len >= 10;
    for (size_t i = 0; shape && i < 10; i++)
        shape = i == 4 || i == 7 ? b.s[i] == '-' : digit(b.s[i]);
    /* test("^...$"): $ also matches before a final newline */
    bool match = shape && (b.len == 10 || (b.len == 11 && b.s[10] == '\n'));
    if (!match)
        return memchr(b.s, '\n', b.len) == NULL; /* other newlines: jq's regex */
    int m = (b.s[5] - '0') * 10 + (b.s[6] - '0');
    int d = (b.s[8] - '0') * 10 + (b.s[9] - '0');
    if (m < 1 || m > 12 || d < 1 || d > 31)
        return false; /* strptime refuses it: an error in jq */
    double diff[2];
    for (int i = 0; i < 2; i++) {
        int year = prog->birthday_year + i;
        int dd = m == 2 && d == 29 && !leap(year) ? 28 : d;
        diff[i] = (double)(days_from_civil(year, (unsigned)m, 1) + dd - 1) - prog->as_of_day;
    }
    for (int i = 0; i < 2; i++)
        if (diff[i] >= 0) {
            *out = num_val(diff[i]);
            break;
        }
    return true;
}

struct interest {
    const struct cdp_native *prog;
    struct val names[64];
    size_t n;
    struct val best_at, best_name;
    bool found;
};

/* One category of interest: {name: .key, at: ([.value.last_at,
 * .value.last_view_at] | map(values) | max)} | select(.at != null and
 * days_since(.at) < $interest_days), keeping the last by (at, name). */
static bool interest_member(struct cdp_native_run *r, void *ctx, const struct val *key,
                            const char *v, const char *vend)
{
    struct interest *in = ctx;
    for (size_t i = 0; i < in->n; i++)
        if (in->names[i].len == key->len && memcmp(in->names[i].s, key->s, key->len) == 0)
            return false; /* a repeated key: jq keeps the last, in its own order */
    if (in->n == 64)
        return false;
    in->names[in->n++] = *key;
    struct val value, at1 = null_val, at2 = null_val;
    if (!json_val(&r->mem, &r->tmp, r->env->c_locale, v, vend, &value))
        return false;
    if (value.k == K_OBJECT) {
        if (!text_get2(r, &value, "last_at", "last_view_at", &at1, &at2))
            return false;
    } else if (value.k != K_NULL) {
        return false; /* jq: cannot index it */
    }
    struct val at = at1;
    if (at1.k == K_NULL) {
        at = at2;
    } else if (at2.k != K_NULL) {
        int c;
        if (!compare(&at1, &at2, &c))
            return false;
        at = c > 0 ? at1 : at2;
    }
    if (at.k == K_NULL)
        return true;
    struct val days;
    int c;
    if (!days_since(in->prog, &at, &days) || !compare(&days, &in->prog->interest_days, &c))
        return false;
    if (c >= 0)
        return true;
    if (in->found) {
        int by_at, by_name;
        if (!compare(&at, &in->best_at, &by_at) || !compare(key, &in->best_name, &by_name))
            return false;
        if (by_at < 0 || (by_at == 0 && by_name < 0))
            return true;
    }
    in->best_at = at;
    in->best_name = *key;
    in->found = true;
    return true;
}

static bool interest(struct cdp_native_run *r, const struct cdp_native *prog,
                     const struct val *dot, struct val *out)
{
    struct val c;
    if (!member_of(r, dot, "categories", prog->key_categories, &c))
        return false;
    *out = null_val;
    if (!truthy(&c))
        return true;
    if (c.k != K_OBJECT)
        return false;
    struct interest in = { .prog = prog };
    if (!each_member(r, &c, interest_member, &in))
        return false;
    if (in.found)
        *out = in.best_name;
    return true;
}

/* ((.categories // {})[$category].last_at // null) as $t | $t != null and
 * days_since($t) < $days */
static bool bought_within(struct cdp_native_run *r, const struct cdp_native *prog,
                          const struct val *dot, const struct val *category,
                          const struct val *days, struct val *out)
{
    struct val c, v, t;
    if (category->k != K_STRING || !member_of(r, dot, "categories", prog->key_categories, &c))
        return false;
    if (!truthy(&c))
        v = null_val;
    else if (c.k != K_OBJECT || !object_get(r, &c, category->s, category->len, -1, &v))
        return false;
    if (!member_of(r, &v, "last_at", -1, &t))
        return false;
    if (!truthy(&t)) {
        *out = bool_val(false);
        return true;
    }
    struct val since;
    int cmp;
    if (!days_since(prog, &t, &since) || !compare(&since, days, &cmp))
        return false;
    *out = bool_val(cmp < 0);
    return true;
}

struct seg_find {
    const struct val *name;
    bool found;
};

static bool seg_element(struct cdp_native_run *r, void *ctx, const struct val *v)
{
    (void)r;
    struct seg_find *f = ctx;
    int c;
    if (v->k == f->name->k && !compare(v, f->name, &c))
        return false;
    if (v->k == f->name->k && c == 0)
        f->found = true;
    return true;
}

static bool seg_member(struct cdp_native_run *r, void *ctx, const struct val *key, const char *v,
                       const char *vend)
{
    (void)key;
    struct val x;
    return json_val(&r->mem, &r->tmp, r->env->c_locale, v, vend, &x) && seg_element(r, ctx, &x);
}

/* segment($name): any(.segments[]?; . == $name) */
static bool segment(struct cdp_native_run *r, const struct cdp_native *prog,
                    const struct val *dot, const struct val *name, struct val *out)
{
    struct val s;
    if (!member_of(r, dot, "segments", prog->key_segments, &s))
        return false;
    struct seg_find f = { name, false };
    if (s.k == K_ARRAY && !each_element(r, &s, seg_element, &f))
        return false;
    if (s.k == K_OBJECT && !each_member(r, &s, seg_member, &f))
        return false;
    *out = bool_val(f.found);
    return true;
}

static bool eval_lib(struct cdp_native_run *r, const struct cdp_native *prog, const struct node *n,
                     const struct val *dot, struct val *out)
{
    struct val args[2];
    for (size_t i = 0; i < n->nargs; i++)
        if (!eval(r, prog, n->args[i], dot, &args[i]))
            return false;
    switch (n->fn->kind) {
    case F_SEGMENT: return segment(r, prog, dot, &args[0], out);
    case F_DAYS_SINCE: return days_since(prog, &args[0], out);
    case F_DAYS_TO_BIRTHDAY: return days_to_birthday(r, prog, dot, out);
    case F_INTEREST: return interest(r, prog, dot, out);
    case F_BOUGHT_WITHIN: return bought_within(r, prog, dot, &args[0], &args[1], out);
    default: return false;
    }
}

static bool eval(struct cdp_native_run *r, const struct cdp_native *prog, const struct node *n,
                 const struct val *dot, struct val *out)
{
    struct val a, b;
    int c;
    switch (n->op) {
    case OP_CONST:
        *out = n->c;
        return true;
    case OP_DOT:
        *out = *dot;
        return true;
    case OP_INDEX:
        if (!eval(r, prog, n->a, dot, &a) || !eval(r, prog, n->b, dot, &b))
            return false;
        return index_val(r, &a, &b, n->key, out);
    case OP_VAR:
        *out = r->slots[n->slot];
        return true;
    case OP_PIPE:
        return eval(r, prog, n->a, dot, &a) && eval(r, prog, n->b, &a, out);
    case OP_AS:
        if (!eval(r, prog, n->a, dot, &a))
            return false;
        r->slots[n->slot] = a;
        return eval(r, prog, n->b, dot, out);
    case OP_AND:
    case OP_OR:
        if (!eval(r, prog, n->a, dot, &a))
            return false;
        if (truthy(&a) == (n->op == OP_OR)) {
            *out = bool_val(n->op == OP_OR);
            return true;
        }
        if (!eval(r, prog, n->b, dot, &b))
            return false;
        *out = bool_val(truthy(&b));
        return true;
    case OP_ALT:
        if (!eval(r, prog, n->a, dot, &a))
            return false;
        if (truthy(&a)) {
            *out = a;
            return true;
        }
        return eval(r, prog, n->b, dot, out);
    case OP_IF:
        if (!eval(r, prog, n->a, dot, &a))
            return false;
        return eval(r, prog, truthy(&a) ? n->b : n->x, dot, out);
    case OP_CMP:
        if (!eval(r, prog, n->a, dot, &a) || !eval(r, prog, n->b, dot, &b))
            return false;
        if ((n->sub == T_EQ || n->sub == T_NE) && a.k != b.k) {
            c = 1; /* jv_equal: kinds differ */
        } else if (!compare(&a, &b, &c)) {
            return false;
        }
        switch (n->sub) {
        case T_EQ: *out = bool_val(c == 0); break;
        case T_NE: *out = bool_val(c != 0); break;
        case T_LT: *out = bool_val(c < 0); break;
        case T_LE: *out = bool_val(c <= 0); break;
        case T_GT: *out = bool_val(c > 0); break;
        default: *out = bool_val(c >= 0); break;
        }
        return true;
    case OP_ARITH:
        return eval(r, prog, n->a, dot, &a) && eval(r, prog, n->b, dot, &b) &&
               arith_val(r, n->sub, &a, &b, out);
    case OP_NEG:
        if (!eval(r, prog, n->a, dot, &a) || a.k != K_NUMBER)
            return false;
        *out = num_val(-a.n);
        return true;
    case OP_CALL: {
        /* every argument first: one may call the same function */
        struct val args[MAX_ARITY];
        for (size_t i = 0; i < n->nargs; i++)
            if (!eval(r, prog, n->args[i], dot, &args[i]))
                return false;
        for (size_t i = 0; i < n->nargs; i++)
            r->slots[n->fn->slots[i]] = args[i];
        return eval(r, prog, n->fn->body, dot, out);
    }
    case OP_NOT:
        *out = bool_val(!truthy(dot));
        return true;
    case OP_LENGTH:
        return length_of(r, dot, out);
    case OP_TYPE:
        *out = type_of(dot);
        return true;
    case OP_HAS:
        if (!eval(r, prog, n->args[0], dot, &a) || a.k != K_STRING ||
            (dot->k != K_OBJECT && dot->k != K_NULL))
            return false;
        if (dot->k == K_NULL) {
            *out = bool_val(false);
        } else if (dot->root) {
            *out = bool_val(cdp_record_get(r->rec, a.s, a.len) != NULL);
        } else {
            struct lookup l = { { a.s, NULL }, { a.len, 0 }, { NULL, NULL }, { NULL, NULL } };
            if (!each_member(r, dot, lookup_member, &l))
                return false;
            *out = bool_val(l.v[0] != NULL);
        }
        return true;
    case OP_LIB:
        return eval_lib(r, prog, n, dot, out);
    }
    return false;
}

int cdp_native_test(const struct cdp_native *n, struct cdp_native_run *r)
{
    if (n->nslots > r->nslots) {
        r->slots = cdp_xrealloc(r->slots, n->nslots * sizeof *r->slots);
        r->nslots = n->nslots;
    }
    cdp_arena_reset(&r->mem);
    struct val root = { .k = K_OBJECT, .root = true }, out;
    if (!eval(r, n, n->root, &root, &out))
        return CDP_NATIVE_ASK_JQ;
    return truthy(&out);
}
