/* rules/jq.c: compiling jq programs once and running them per record (libjq 1.6),
 * and a conservative reading of which input fields a program uses.
 *
 * Ownership: every jv_* call consumes its jv arguments except jv_copy, so a
 * value used twice is jv_copy'd first and every value a call returns is
 * either passed on or freed. */
#include "rules/jq.h"

#include <limits.h>
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jq.h>
#include <jv.h>

#include "base/guard.h"
#include "io/json.h"

/* ---- variables ----------------------------------------------------------- */

static bool is_ident(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return false;
    for (s++; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return false;
    return true;
}

/* jq's parse error without the "(while parsing '...')" that repeats the input. */
static void parse_error_text(jv invalid, char *buf, size_t size)
{
    jv msg = jv_invalid_get_msg(invalid);
    if (jv_get_kind(msg) == JV_KIND_STRING) {
        const char *s = jv_string_value(msg);
        const char *cut = strstr(s, " (while parsing");
        int n = cut ? (int)(cut - s) : (int)strlen(s);
        snprintf(buf, size, "%.*s", n, s);
    } else {
        snprintf(buf, size, "not one JSON value");
    }
    jv_free(msg);
}

int cdp_jq_vars_add(struct cdp_jq_vars *vars, const char *name, const char *value, bool is_json,
                    struct cdp_error *err)
{
    if (!is_ident(name) || strcmp(name, "__loc__") == 0)
        return cdp_errorf(err, "invalid variable name '%s'", name);
    if (is_json) {
        jv v = jv_parse(value);
        if (!jv_is_valid(v)) {
            char why[512];
            parse_error_text(v, why, sizeof why);
            return cdp_errorf(err, "invalid JSON for $%s: %s", name, why);
        }
        jv_free(v);
    }
    for (size_t i = 0; i < vars->n; i++) {
        if (strcmp(vars->v[i].name, name) == 0) {
            free(vars->v[i].value);
            vars->v[i].value = cdp_xstrdup(value);
            vars->v[i].is_json = is_json;
            return 0;
        }
    }
    if (vars->n == vars->cap) {
        vars->cap = vars->cap ? vars->cap * 2 : 8;
        vars->v = cdp_xrealloc(vars->v, vars->cap * sizeof *vars->v);
    }
    vars->v[vars->n].name = cdp_xstrdup(name);
    vars->v[vars->n].value = cdp_xstrdup(value);
    vars->v[vars->n].is_json = is_json;
    vars->n++;
    return 0;
}

void cdp_jq_vars_release(struct cdp_jq_vars *vars)
{
    for (size_t i = 0; i < vars->n; i++) {
        free(vars->v[i].name);
        free(vars->v[i].value);
    }
    free(vars->v);
    vars->v = NULL;
    vars->n = vars->cap = 0;
}

/* ---- the compiled program ------------------------------------------------ */

struct cdp_jq {
    jq_state *jq;
    struct cdp_guard_clock *clock; /* base/guard.h: the budget's watchdog */
    locale_t c_locale; /* for strtod_l: numbers are read the same whatever setlocale says */
    /* compile errors, gathered by the error callback */
    struct cdp_error *compile_err;
    int nerrors;
    /* cdp_jq_fields */
    bool fields_known;
    char **fields;
    size_t *field_lens;
    size_t nfields;
};

static bool analyse_fields(struct cdp_jq *q, const char *expr);

/* libjq reports compile errors here, each as "jq: error: MESSAGE at
 * <top-level>, line N:\nPROGRAM LINE", then "jq: N compile errors". The
 * first one is kept, as one line; later ones are counted. */
static void on_jq_error(void *data, jv msg)
{
    struct cdp_jq *q = data;
    if (jv_get_kind(msg) == JV_KIND_INVALID)
        msg = jv_invalid_get_msg(msg);
    if (jv_get_kind(msg) != JV_KIND_STRING)
        msg = jv_dump_string(msg, 0);
    const char *s = jv_string_value(msg);
    bool summary = strncmp(s, "jq: ", 4) == 0 && s[4] >= '0' && s[4] <= '9' &&
                   strstr(s, " compile error") != NULL;
    if (q->compile_err && !summary) {
        if (q->nerrors++ == 0) {
            if (strncmp(s, "jq: error: ", 11) == 0)
                s += 11;
            size_t n = strcspn(s, "\n");
            while (n > 0 && (s[n - 1] == ':' || s[n - 1] == ' '))
                n--;
            cdp_errorf(q->compile_err, "%.*s", (int)n, s);
        }
    }
    jv_free(msg);
}

/* When memory runs out libjq 1.6 calls this handler without checking that
 * one is set, then prints its message and aborts (as cdp_xmalloc would). */
static void on_jq_nomem(void *data)
{
    /* Stops the run naming the rule (base/guard.h). libjq 1.6 keeps this
     * hook per thread and does not call it on the threads that evaluate
     * (measured: "def f: 1 + f; f" under ulimit -v aborts without it), so
     * base/guard.c also takes the SIGABRT of an evaluation. */
    cdp_guard_out_of_memory(data);
}

static jv vars_to_args(const struct cdp_jq_vars *vars, struct cdp_error *err, bool *ok)
{
    jv args = jv_object();
    jv named = jv_object();
    bool have_args = false;
    *ok = true;
    for (size_t i = 0; vars && i < vars->n; i++) {
        const struct cdp_jq_var *v = &vars->v[i];
        jv val = v->is_json ? jv_parse(v->value) : jv_string(v->value);
        if (!jv_is_valid(val)) {
            char why[512];
            parse_error_text(val, why, sizeof why);
            cdp_errorf(err, "invalid JSON for $%s: %s", v->name, why);
            *ok = false;
            break;
        }
        if (strcmp(v->name, "ARGS") == 0)
            have_args = true;
        args = jv_object_set(args, jv_string(v->name), jv_copy(val));
        named = jv_object_set(named, jv_string(v->name), val);
    }
    if (*ok && !have_args)
        args = jv_object_set(args, jv_string("ARGS"),
                             JV_OBJECT(jv_string("positional"), jv_array(), jv_string("named"),
                                       named));
    else
        jv_free(named);
    return args;
}

struct cdp_jq *cdp_jq_compile(const char *expr, const struct cdp_jq_vars *vars,
                              struct cdp_error *err)
{
    struct cdp_jq *q = cdp_xcalloc(1, sizeof *q);
    q->jq = jq_init();
    if (!q->jq) {
        free(q);
        cdp_errorf(err, "cannot set up libjq: out of memory");
        return NULL;
    }
    /* jq_init (1.6) leaves the input and debug callbacks and the out-of-memory
     * handler uninitialised: set them all. With no library path at all,
     * `import` trips an assertion in libjq; with an empty one it fails with
     * "module not found". */
    jq_set_error_cb(q->jq, on_jq_error, q);
    jq_set_input_cb(q->jq, NULL, NULL);
    jq_set_debug_cb(q->jq, NULL, NULL);
    q->clock = cdp_guard_clock_new(NULL);
    jq_set_nomem_handler(q->jq, on_jq_nomem, q->clock);
    jq_set_attr(q->jq, jv_string("JQ_LIBRARY_PATH"), jv_array());

    bool ok;
    jv args = vars_to_args(vars, err, &ok);
    if (!ok) {
        jv_free(args);
        cdp_jq_free(q);
        return NULL;
    }
    struct cdp_error local;
    q->compile_err = err ? err : &local;
    int compiled = jq_compile_args(q->jq, expr, args);
    q->compile_err = NULL;
    if (!compiled) {
        if (q->nerrors == 0)
            cdp_errorf(err, "cannot compile jq program");
        else if (q->nerrors > 1 && err) {
            size_t n = strlen(err->msg);
            snprintf(err->msg + n, sizeof err->msg - n, " (and %d more error%s)", q->nerrors - 1,
                     q->nerrors > 2 ? "s" : "");
        }
        cdp_jq_free(q);
        return NULL;
    }
    q->c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    q->fields_known = analyse_fields(q, expr);
    return q;
}

void cdp_jq_free(struct cdp_jq *q)
{
    if (!q)
        return;
    jq_teardown(&q->jq);
    cdp_guard_clock_free(q->clock);
    if (q->c_locale)
        freelocale(q->c_locale);
    for (size_t i = 0; i < q->nfields; i++)
        free(q->fields[i]);
    free(q->fields);
    free(q->field_lens);
    free(q);
}

void cdp_jq_name(struct cdp_jq *q, const char *what)
{
    cdp_guard_clock_name(q->clock, what);
}

bool cdp_jq_fields(const struct cdp_jq *q, char ***fields, size_t *nfields)
{
    if (!q->fields_known)
        return false;
    *fields = q->fields;
    *nfields = q->nfields;
    return true;
}

/* ---- running ------------------------------------------------------------- */

/* A run-time error value as one line: jq's message, or the JSON of a
 * non-string error value. */
static void error_text(jv msg, const char *prefix, struct cdp_error *err)
{
    if (jv_get_kind(msg) == JV_KIND_STRING) {
        cdp_errorf(err, "%s%s", prefix, jv_string_value(msg));
        jv_free(msg);
    } else {
        jv s = jv_dump_string(msg, 0);
        cdp_errorf(err, "%serror (not a string): %s", prefix, jv_string_value(s));
        jv_free(s);
    }
    if (err) {
        char *p = err->msg;
        size_t n = strlen(p);
        while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
            p[--n] = '\0';
        for (; *p; p++)
            if (*p == '\n' || *p == '\r')
                *p = ' ';
        if (!err->msg[0])
            cdp_errorf(err, "%serror with an empty message", prefix);
    }
}

/* Why the outputs ended: 0 at their end (or a plain halt), -1 with err. */
static int end_of_outputs(struct cdp_jq *q, jv last, struct cdp_error *err)
{
    if (jq_halted(q->jq)) {
        jv_free(last);
        jv msg = jq_get_error_message(q->jq);
        jv_kind k = jv_get_kind(msg);
        if (k == JV_KIND_INVALID || k == JV_KIND_NULL) {
            jv_free(msg);
            return 0;
        }
        error_text(msg, "", err);
        return -1;
    }
    if (jv_invalid_has_msg(jv_copy(last))) {
        error_text(jv_invalid_get_msg(last), "", err);
        return -1;
    }
    jv_free(last);
    return 0;
}

/* Runs on input (consumed). test: stop at the first output and return its
 * truthiness. */
static int run(struct cdp_jq *q, jv input, struct cdp_buf *out, char sep, bool test,
               struct cdp_error *err)
{
    size_t start = out ? out->len : 0;
    int n = 0;
    cdp_guard_clock_start(q->clock);
    jq_start(q->jq, input, 0);
    for (;;) {
        jv v = jq_next(q->jq);
        if (!jv_is_valid(v) || test)
            cdp_guard_clock_stop(q->clock);
        if (!jv_is_valid(v)) {
            if (end_of_outputs(q, v, err) < 0) {
                if (out) {
                    out->len = start;
                    if (out->data)
                        out->data[start] = '\0';
                }
                return -1;
            }
            return test ? 0 : n;
        }
        if (test) {
            jv_kind k = jv_get_kind(v);
            jv_free(v);
            return k != JV_KIND_FALSE && k != JV_KIND_NULL;
        }
        if (out) {
            if (n > 0)
                cdp_buf_addc(out, sep);
            jv s = jv_dump_string(v, 0);
            cdp_buf_add(out, jv_string_value(s), (size_t)jv_string_length_bytes(jv_copy(s)));
            jv_free(s);
        } else {
            jv_free(v);
        }
        n++;
    }
}

static int parse_input(const char *json, size_t len, jv *input, struct cdp_error *err)
{
    if (len > INT_MAX)
        return cdp_errorf(err, "invalid JSON input: %zu bytes is more than libjq takes", len);
    *input = jv_parse_sized(json, (int)len);
    if (!jv_is_valid(*input)) {
        char why[512];
        parse_error_text(*input, why, sizeof why);
        return cdp_errorf(err, "invalid JSON input: %s", why);
    }
    return 0;
}

int cdp_jq_run_json(struct cdp_jq *q, const char *json, size_t len, struct cdp_buf *out, char sep,
                    struct cdp_error *err)
{
    jv input;
    if (parse_input(json, len, &input, err) < 0)
        return -1;
    return run(q, input, out, sep, false, err);
}

int cdp_jq_test_json(struct cdp_jq *q, const char *json, size_t len, struct cdp_error *err)
{
    jv input;
    if (parse_input(json, len, &input, err) < 0)
        return -1;
    return run(q, input, NULL, 0, true, err);
}

/* One record field as a jv. Numbers take the fast way (strtod_l, correctly
 * rounded like jq's own parser) when they are plain JSON numbers; anything
 * else goes through jv_parse_sized so that it means what it would in JSON. */
static int field_value(const struct cdp_jq *q, const struct cdp_field *f, jv *val,
                       struct cdp_error *err)
{
    if (f->vlen > INT_MAX)
        return cdp_errorf(err, "field '%.*s': value too long for libjq", (int)f->klen, f->key);
    switch (f->type) {
    case CDP_NULL:
        *val = jv_null();
        return 0;
    case CDP_FALSE:
        *val = jv_false();
        return 0;
    case CDP_TRUE:
        *val = jv_true();
        return 0;
    case CDP_STRING:
        *val = f->vlen ? jv_string_sized(f->val, (int)f->vlen) : jv_string("");
        return 0;
    case CDP_NUMBER:
        if (q->c_locale && f->vlen < 64 && cdp_json_number_valid(f->val, f->vlen)) {
            char buf[64];
            memcpy(buf, f->val, f->vlen);
            buf[f->vlen] = '\0';
            *val = jv_number(strtod_l(buf, NULL, q->c_locale));
            return 0;
        }
        break;
    case CDP_ARRAY:
    case CDP_OBJECT:
        break;
    }
    *val = jv_parse_sized(f->vlen ? f->val : "", (int)f->vlen);
    if (!jv_is_valid(*val)) {
        char why[512];
        parse_error_text(*val, why, sizeof why);
        return cdp_errorf(err, "field '%.*s': invalid JSON: %s", (int)f->klen, f->key, why);
    }
    return 0;
}

static bool wanted(const struct cdp_jq *q, const struct cdp_field *f)
{
    if (!q->fields_known)
        return true;
    for (size_t i = 0; i < q->nfields; i++)
        if (q->field_lens[i] == f->klen && memcmp(q->fields[i], f->key, f->klen) == 0)
            return true;
    return false;
}

static int record_input(const struct cdp_jq *q, const struct cdp_record *rec, jv *input,
                        struct cdp_error *err)
{
    jv obj = jv_object();
    for (size_t i = 0; i < rec->n; i++) {
        const struct cdp_field *f = &rec->f[i];
        if (!wanted(q, f))
            continue;
        jv val;
        if (field_value(q, f, &val, err) < 0) {
            jv_free(obj);
            return -1;
        }
        jv key = f->klen ? jv_string_sized(f->key, (int)f->klen) : jv_string("");
        obj = jv_object_set(obj, key, val);
    }
    *input = obj;
    return 0;
}

int cdp_jq_run_record(struct cdp_jq *q, const struct cdp_record *rec, struct cdp_buf *out,
                      char sep, struct cdp_error *err)
{
    jv input;
    if (record_input(q, rec, &input, err) < 0)
        return -1;
    return run(q, input, out, sep, false, err);
}

int cdp_jq_test_record(struct cdp_jq *q, const struct cdp_record *rec, struct cdp_error *err)
{
    jv input;
    if (record_input(q, rec, &input, err) < 0)
        return -1;
    return run(q, input, NULL, 0, true, err);
}

/* ---- which fields a program reads ----------------------------------------
 *
 * libjq does not show its bytecode, so the program text is parsed again here
 * (after jq compiled it, so it is valid jq 1.6) by a small recursive-descent
 * parser that tracks one thing: whether `.` at each point is the program's
 * input (INPUT) or a value computed from fields already counted (DERIVED).
 *
 * - The program starts in INPUT. The right side of `|`, the update and
 *   extract of reduce/foreach, a catch body, the condition of any/all(g; c)
 *   and what follows `|` inside an object value are DERIVED; everything else
 *   (`,`, operators, ( ), [ ], { }, if/elif/else, `E as $x | body`, label,
 *   index expressions a[E], string interpolation) keeps the context it is in.
 *   Where unsure, the outer context is kept, which only ever adds fields.
 * - In INPUT, `.name`, `."name"`, `.["name"]` and `{name}` / `{"name"}` read
 *   that field; anything else that could see the whole input gives up: `.`
 *   alone, `..`, `.[]`, `.[E]` with E not a string literal, assignments,
 *   `@fmt` without a string, `if` without else, and every function call but
 *   a few that never look at `.` except through their arguments (empty,
 *   null, true, false, nan, infinite, now, error/1, first/1, last/1,
 *   isempty/1, range/1-3, limit/2, nth/2, any/2, all/2, pow, atan2, fmin,
 *   fmax, fmod). So select, map, keys, has, length, to_entries, del, paths,
 *   getpath, tojson, not, ... on the input give up.
 * - In DERIVED anything goes: no value there can hold the input itself,
 *   since every way to get it (bare `.`, `. as $r`, select, ...) has already
 *   given up. Variables therefore need no tracking: `.a as $x | $x.b` reads a.
 * - Anywhere: def, import, include, input, inputs, env, $ENV, $__loc__,
 *   `?//` and any token this parser does not know give up. */

enum tok {
    TK_EOF,
    TK_BAD,
    TK_DOT,
    TK_DOTDOT,
    TK_FIELD, /* .name: text is the name */
    TK_IDENT,
    TK_VAR, /* $name: text is the name */
    TK_NUMBER,
    TK_STRING, /* an opening quote: the parser reads the string itself */
    TK_FORMAT,
    TK_LPAREN,
    TK_RPAREN,
    TK_LBRACK,
    TK_RBRACK,
    TK_LBRACE,
    TK_RBRACE,
    TK_PIPE,
    TK_COMMA,
    TK_SEMI,
    TK_COLON,
    TK_QUESTION,
    TK_MINUS,
    TK_BINOP,  /* + * / % == != < <= > >= // and or */
    TK_ASSIGN, /* = |= += -= *= /= %= //= */
    TK_ALTPAT, /* ?// */
};

enum ctx { INPUT, DERIVED };

#define MAX_DEPTH 200

struct an {
    const char *s;
    size_t len, pos; /* pos: just after the current token */
    enum tok tok;
    const char *text;
    size_t tlen;
    int depth;
    bool fail;
    struct cdp_jq *q;
    size_t cap;
};

static bool ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool ident_char(char c)
{
    return ident_start(c) || (c >= '0' && c <= '9');
}

static bool digit(char c)
{
    return c >= '0' && c <= '9';
}

static void give_up(struct an *a)
{
    a->fail = true;
    a->tok = TK_BAD;
}

/* One more level of nesting (the parser recurses, so depth is C stack): past
 * MAX_DEPTH the analysis gives up instead. False when the caller must return
 * at once; true obliges it to a->depth-- on the way out. */
static bool enter(struct an *a)
{
    if (a->fail)
        return false;
    if (a->depth >= MAX_DEPTH) {
        give_up(a);
        return false;
    }
    a->depth++;
    return true;
}

static void skip_space(struct an *a)
{
    while (a->pos < a->len) {
        char c = a->s[a->pos];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            a->pos++;
        } else if (c == '#') {
            while (a->pos < a->len && a->s[a->pos] != '\n')
                a->pos++;
        } else {
            break;
        }
    }
}

static void lex_number(struct an *a)
{
    const char *s = a->s;
    while (a->pos < a->len && digit(s[a->pos]))
        a->pos++;
    if (a->pos < a->len && s[a->pos] == '.') {
        a->pos++;
        while (a->pos < a->len && digit(s[a->pos]))
            a->pos++;
    }
    if (a->pos < a->len && (s[a->pos] == 'e' || s[a->pos] == 'E')) {
        size_t p = a->pos + 1;
        if (p < a->len && (s[p] == '+' || s[p] == '-'))
            p++;
        if (p < a->len && digit(s[p])) {
            while (p < a->len && digit(s[p]))
                p++;
            a->pos = p;
        }
    }
    a->tok = TK_NUMBER;
}

/* An operator of one character at p, or of two (`paired`: the second is
 * the one that makes it two, as in |= or <=). */
static void lex_pair(struct an *a, size_t p, bool paired, enum tok two, enum tok one)
{
    if (paired)
        a->pos = p + 2;
    a->tok = paired ? two : one;
}

/* The next token. One switch over its first character, kept whole: it
 * reads as the table of jq's tokens, each case a few lines. */
static void next(struct an *a)
{
    if (a->fail)
        return;
    skip_space(a);
    if (a->pos >= a->len) {
        a->tok = TK_EOF;
        return;
    }
    const char *s = a->s;
    size_t p = a->pos;
    char c = s[p], c1 = p + 1 < a->len ? s[p + 1] : '\0', c2 = p + 2 < a->len ? s[p + 2] : '\0';
    a->text = s + p;
    a->tlen = 1;
    a->pos = p + 1;
    switch (c) {
    case '.':
        if (c1 == '.') {
            a->pos = p + 2;
            a->tok = TK_DOTDOT;
        } else if (ident_start(c1)) {
            size_t e = p + 1;
            while (e < a->len && ident_char(s[e]))
                e++;
            a->text = s + p + 1;
            a->tlen = e - p - 1;
            a->pos = e;
            a->tok = TK_FIELD;
        } else if (digit(c1)) {
            lex_number(a);
        } else {
            a->tok = TK_DOT;
        }
        return;
    case '"':
        a->tok = TK_STRING;
        return;
    case '@': {
        size_t e = p + 1;
        while (e < a->len && ident_char(s[e]))
            e++;
        if (e == p + 1) {
            give_up(a);
            return;
        }
        a->pos = e;
        a->tok = TK_FORMAT;
        return;
    }
    case '$': {
        skip_space(a);
        size_t b = a->pos, e = b;
        if (e < a->len && ident_start(s[e]))
            while (e < a->len && ident_char(s[e]))
                e++;
        if (e == b || (e + 1 < a->len && s[e] == ':' && s[e + 1] == ':')) {
            give_up(a);
            return;
        }
        a->text = s + b;
        a->tlen = e - b;
        a->pos = e;
        a->tok = TK_VAR;
        return;
    }
    case '(': a->tok = TK_LPAREN; return;
    case ')': a->tok = TK_RPAREN; return;
    case '[': a->tok = TK_LBRACK; return;
    case ']': a->tok = TK_RBRACK; return;
    case '{': a->tok = TK_LBRACE; return;
    case '}': a->tok = TK_RBRACE; return;
    case ',': a->tok = TK_COMMA; return;
    case ';': a->tok = TK_SEMI; return;
    case ':': a->tok = TK_COLON; return;
    case '|':
        lex_pair(a, p, c1 == '=', TK_ASSIGN, TK_PIPE);
        return;
    case '?':
        if (c1 == '/' && c2 == '/') {
            a->pos = p + 3;
            a->tok = TK_ALTPAT;
        } else {
            a->tok = TK_QUESTION;
        }
        return;
    case '=':
        lex_pair(a, p, c1 == '=', TK_BINOP, TK_ASSIGN);
        return;
    case '!':
        if (c1 == '=') {
            a->pos = p + 2;
            a->tok = TK_BINOP;
        } else {
            give_up(a);
        }
        return;
    case '<':
    case '>':
        lex_pair(a, p, c1 == '=', TK_BINOP, TK_BINOP);
        return;
    case '/':
        if (c1 == '/') {
            if (c2 == '=') {
                a->pos = p + 3;
                a->tok = TK_ASSIGN;
            } else {
                a->pos = p + 2;
                a->tok = TK_BINOP;
            }
            return;
        }
        /* fall through */
    case '+':
    case '*':
    case '%':
    case '-':
        lex_pair(a, p, c1 == '=', TK_ASSIGN, c == '-' ? TK_MINUS : TK_BINOP);
        return;
    default:
        break;
    }
    if (digit(c)) {
        a->pos = p;
        lex_number(a);
        return;
    }
    if (ident_start(c)) {
        size_t e = p;
        while (e < a->len && ident_char(s[e]))
            e++;
        if (e + 1 < a->len && s[e] == ':' && s[e + 1] == ':') { /* module::name */
            give_up(a);
            return;
        }
        a->tlen = e - p;
        a->pos = e;
        a->tok = TK_IDENT;
        if ((a->tlen == 3 && memcmp(a->text, "and", 3) == 0) ||
            (a->tlen == 2 && memcmp(a->text, "or", 2) == 0))
            a->tok = TK_BINOP;
        return;
    }
    give_up(a);
}

static bool is_word(const struct an *a, const char *w)
{
    size_t n = strlen(w);
    return a->tok == TK_IDENT && a->tlen == n && memcmp(a->text, w, n) == 0;
}

static bool text_is(const struct an *a, const char *w)
{
    size_t n = strlen(w);
    return a->tlen == n && memcmp(a->text, w, n) == 0;
}

static void expect(struct an *a, enum tok t)
{
    if (a->tok != t)
        give_up(a);
    else
        next(a);
}

static void expect_word(struct an *a, const char *w)
{
    if (!is_word(a, w))
        give_up(a);
    else
        next(a);
}

static void add_field(struct an *a, const char *name, size_t len)
{
    struct cdp_jq *q = a->q;
    if (memchr(name, '\0', len)) { /* cannot be handed out as a C string */
        give_up(a);
        return;
    }
    for (size_t i = 0; i < q->nfields; i++)
        if (q->field_lens[i] == len && memcmp(q->fields[i], name, len) == 0)
            return;
    if (q->nfields == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 8;
        q->fields = cdp_xrealloc(q->fields, a->cap * sizeof *q->fields);
        q->field_lens = cdp_xrealloc(q->field_lens, a->cap * sizeof *q->field_lens);
    }
    q->fields[q->nfields] = cdp_xstrndup(name, len);
    q->field_lens[q->nfields] = len;
    q->nfields++;
}

static void parse_pipe(struct an *a, enum ctx ctx);
static void parse_postfix(struct an *a, enum ctx ctx);
static void parse_pattern_inner(struct an *a, enum ctx ctx);

/* Reads a string whose opening quote is the current token, decoding it into
 * out; each \( ... ) inside is parsed in ctx. Returns whether it is a plain
 * literal (no interpolation). Leaves the token after the string current. */
static bool parse_string(struct an *a, enum ctx ctx, struct cdp_buf *out)
{
    bool literal = true;
    cdp_buf_reset(out);
    cdp_buf_add(out, "", 0);
    const char *s = a->s;
    for (;;) {
        if (a->fail)
            return false;
        if (a->pos >= a->len) {
            give_up(a);
            return false;
        }
        char c = s[a->pos];
        if (c == '"') {
            a->pos++;
            break;
        }
        if (c != '\\') {
            cdp_buf_addc(out, c);
            a->pos++;
            continue;
        }
        if (a->pos + 1 < a->len && s[a->pos + 1] == '(') {
            a->pos += 2;
            literal = false;
            next(a);
            parse_pipe(a, ctx);
            if (a->tok != TK_RPAREN) /* pos is now just after the ')' */
                give_up(a);
            continue;
        }
        /* A bad escape or a lone surrogate is left to jq's own parser: the
         * analysis gives up. */
        bool lone;
        size_t used = cdp_json_unescape(out, s + a->pos + 1, a->len - a->pos - 1, &lone);
        if (used == 0 || lone) {
            give_up(a);
            return false;
        }
        a->pos += 1 + used;
    }
    next(a);
    return literal;
}

/* A string in a position whose value is not needed (interpolations still
 * count). */
static void skip_string(struct an *a, enum ctx ctx)
{
    struct cdp_buf b = CDP_BUF_INIT;
    parse_string(a, ctx, &b);
    cdp_buf_release(&b);
}

/* Functions that look at `.` only through their arguments, with the context
 * each argument runs in ('i': the caller's, 'd': derived). */
static const struct {
    const char *name;
    unsigned arities; /* bit n: n arguments allowed */
    const char *args;
} input_safe[] = {
    { "empty", 1u << 0, "" },
    { "null", 1u << 0, "" },
    { "true", 1u << 0, "" },
    { "false", 1u << 0, "" },
    { "nan", 1u << 0, "" },
    { "infinite", 1u << 0, "" },
    { "now", 1u << 0, "" },
    { "error", 1u << 1, "i" },
    { "first", 1u << 1, "i" },
    { "last", 1u << 1, "i" },
    { "isempty", 1u << 1, "i" },
    { "range", 1u << 1 | 1u << 2 | 1u << 3, "iii" },
    { "limit", 1u << 2, "ii" },
    { "nth", 1u << 2, "ii" },
    { "any", 1u << 2, "id" },
    { "all", 1u << 2, "id" },
    { "pow", 1u << 2, "ii" },
    { "atan2", 1u << 2, "ii" },
    { "fmin", 1u << 2, "ii" },
    { "fmax", 1u << 2, "ii" },
    { "fmod", 1u << 2, "ii" },
};

static const char *const keywords[] = {
    "as", "def", "if", "then", "elif", "else", "end", "reduce", "foreach", "try", "catch",
    "label", "import", "include", "break", "__loc__",
};

static void parse_call(struct an *a, enum ctx ctx)
{
    const char *name = a->text;
    size_t nlen = a->tlen;
    for (size_t i = 0; i < sizeof keywords / sizeof *keywords; i++)
        if (text_is(a, keywords[i])) {
            give_up(a);
            return;
        }
    if (text_is(a, "input") || text_is(a, "inputs") || text_is(a, "env")) {
        give_up(a);
        return;
    }
    int safe = -1;
    for (size_t i = 0; i < sizeof input_safe / sizeof *input_safe; i++)
        if (strlen(input_safe[i].name) == nlen && memcmp(input_safe[i].name, name, nlen) == 0)
            safe = (int)i;
    if (ctx == INPUT && safe < 0) {
        give_up(a);
        return;
    }
    next(a);
    unsigned nargs = 0;
    if (a->tok == TK_LPAREN) {
        next(a);
        for (;;) {
            enum ctx actx = DERIVED;
            if (ctx == INPUT) {
                const char *c = input_safe[safe].args;
                if (nargs >= strlen(c)) {
                    give_up(a);
                    return;
                }
                actx = c[nargs] == 'i' ? INPUT : DERIVED;
            }
            parse_pipe(a, actx);
            nargs++;
            if (a->fail)
                return;
            if (a->tok == TK_SEMI) {
                next(a);
                continue;
            }
            expect(a, TK_RPAREN);
            break;
        }
    }
    if (ctx == INPUT && (nargs > 8 || !(input_safe[safe].arities & (1u << nargs))))
        give_up(a);
}

static void parse_pattern(struct an *a, enum ctx ctx)
{
    if (!enter(a))
        return;
    parse_pattern_inner(a, ctx);
    a->depth--;
}

static void parse_pattern_inner(struct an *a, enum ctx ctx)
{
    if (a->tok == TK_VAR) {
        if (text_is(a, "__loc__"))
            give_up(a);
        next(a);
        return;
    }
    if (a->tok == TK_LBRACK) {
        next(a);
        for (;;) {
            parse_pattern(a, ctx);
            if (a->tok != TK_COMMA)
                break;
            next(a);
        }
        expect(a, TK_RBRACK);
        return;
    }
    if (a->tok != TK_LBRACE) {
        give_up(a);
        return;
    }
    next(a);
    for (;;) {
        if (a->fail)
            return;
        if (a->tok == TK_VAR) {
            next(a);
            if (a->tok == TK_COLON) {
                next(a);
                parse_pattern(a, ctx);
            }
        } else if (a->tok == TK_IDENT) {
            next(a);
            expect(a, TK_COLON);
            parse_pattern(a, ctx);
        } else if (a->tok == TK_STRING) {
            struct cdp_buf b = CDP_BUF_INIT;
            bool literal = parse_string(a, ctx, &b);
            cdp_buf_release(&b);
            if (!literal)
                give_up(a);
            expect(a, TK_COLON);
            parse_pattern(a, ctx);
        } else {
            give_up(a);
            return;
        }
        if (a->tok != TK_COMMA)
            break;
        next(a);
    }
    expect(a, TK_RBRACE);
}

static void parse_patterns(struct an *a, enum ctx ctx)
{
    parse_pattern(a, ctx);
    if (a->tok == TK_ALTPAT)
        give_up(a);
}

/* -x, --x, ... then a term with its suffixes. */
static void parse_signed(struct an *a, enum ctx ctx)
{
    while (a->tok == TK_MINUS)
        next(a);
    parse_postfix(a, ctx);
}

/* An object value (jq's ExpD): signed terms joined by `|`. */
static void parse_objval(struct an *a, enum ctx ctx)
{
    for (;;) {
        parse_signed(a, ctx);
        if (a->fail || a->tok != TK_PIPE)
            return;
        next(a);
        ctx = DERIVED;
    }
}

static void parse_object(struct an *a, enum ctx ctx)
{
    next(a);
    if (a->tok == TK_RBRACE) {
        next(a);
        return;
    }
    for (;;) {
        if (a->fail)
            return;
        if (a->tok == TK_VAR) {
            if (text_is(a, "__loc__") || text_is(a, "ENV")) {
                give_up(a);
                return;
            }
            next(a);
            if (a->tok == TK_COLON) {
                next(a);
                parse_objval(a, ctx);
            }
        } else if (a->tok == TK_IDENT) {
            const char *name = a->text;
            size_t nlen = a->tlen;
            bool keyword = false;
            for (size_t i = 0; i < sizeof keywords / sizeof *keywords; i++)
                keyword |= text_is(a, keywords[i]);
            next(a);
            if (a->tok == TK_COLON) {
                next(a);
                parse_objval(a, ctx);
            } else if (ctx == INPUT) { /* {name} is {name: .name} */
                if (keyword)
                    give_up(a);
                else
                    add_field(a, name, nlen);
            }
        } else if (a->tok == TK_STRING || a->tok == TK_FORMAT) {
            bool format = a->tok == TK_FORMAT;
            if (format) {
                next(a);
                if (a->tok != TK_STRING) {
                    give_up(a);
                    return;
                }
            }
            struct cdp_buf b = CDP_BUF_INIT;
            bool literal = parse_string(a, ctx, &b);
            if (a->tok == TK_COLON) {
                next(a);
                parse_objval(a, ctx);
            } else if (ctx == INPUT) { /* {"name"} is {"name": .name} */
                if (!literal || format)
                    give_up(a);
                else
                    add_field(a, b.data, b.len);
            }
            cdp_buf_release(&b);
        } else if (a->tok == TK_LPAREN) {
            next(a);
            parse_pipe(a, ctx);
            expect(a, TK_RPAREN);
            expect(a, TK_COLON);
            parse_objval(a, ctx);
        } else {
            give_up(a);
            return;
        }
        if (a->tok == TK_COMMA) {
            next(a);
            continue;
        }
        expect(a, TK_RBRACE);
        return;
    }
}

static void parse_if(struct an *a, enum ctx ctx)
{
    next(a);
    parse_pipe(a, ctx);
    expect_word(a, "then");
    parse_pipe(a, ctx);
    for (;;) {
        if (a->fail)
            return;
        if (is_word(a, "elif")) {
            next(a);
            parse_pipe(a, ctx);
            expect_word(a, "then");
            parse_pipe(a, ctx);
        } else if (is_word(a, "else")) {
            next(a);
            parse_pipe(a, ctx);
            expect_word(a, "end");
            return;
        } else if (is_word(a, "end") && ctx == DERIVED) { /* jq 1.7: else is . */
            next(a);
            return;
        } else {
            give_up(a);
            return;
        }
    }
}

/* reduce/foreach SOURCE as PATTERN (INIT; UPDATE[; EXTRACT]) */
static void parse_reduce(struct an *a, enum ctx ctx, bool foreach)
{
    next(a);
    parse_postfix(a, ctx);
    expect_word(a, "as");
    parse_patterns(a, ctx);
    expect(a, TK_LPAREN);
    parse_pipe(a, ctx);
    expect(a, TK_SEMI);
    parse_pipe(a, DERIVED);
    if (foreach && a->tok == TK_SEMI) {
        next(a);
        parse_pipe(a, DERIVED);
    }
    expect(a, TK_RPAREN);
}

/* The index part of T[...]: [], [E], [E:], [:E], [E:E]; E runs on the
 * caller's `.`, not on T. */
static void parse_index(struct an *a, enum ctx ctx)
{
    next(a);
    if (a->tok == TK_RBRACK) {
        next(a);
        return;
    }
    if (a->tok != TK_COLON)
        parse_pipe(a, ctx);
    if (a->tok == TK_COLON) {
        next(a);
        if (a->tok != TK_RBRACK)
            parse_pipe(a, ctx);
    }
    expect(a, TK_RBRACK);
}

/* `.` as a term: ."name" and .["name"] read that field of the input (in
 * the input's context), `.` alone all of it. */
static void parse_dot(struct an *a, enum ctx ctx)
{
    next(a);
    if (ctx == DERIVED) {
        if (a->tok == TK_STRING)
            skip_string(a, ctx);
    } else if (a->tok == TK_STRING || a->tok == TK_LBRACK) { /* ."name" or .["name"] */
        bool bracket = a->tok == TK_LBRACK;
        if (bracket) {
            next(a);
            if (a->tok != TK_STRING) {
                give_up(a);
                return;
            }
        }
        struct cdp_buf b = CDP_BUF_INIT;
        bool literal = parse_string(a, ctx, &b);
        if (!literal || (bracket && a->tok != TK_RBRACK))
            give_up(a);
        else
            add_field(a, b.data, b.len);
        cdp_buf_release(&b);
        if (bracket)
            next(a);
    } else {
        give_up(a); /* the whole input */
    }
}

/* The suffixes of a term (.name, ."name", .[...], [...], ?). They apply
 * to the term's value (never the input itself, or we have given up): only
 * what they evaluate on the caller's `.` matters. */
static void parse_suffixes(struct an *a, enum ctx ctx)
{
    for (;;) {
        if (a->fail)
            return;
        if (a->tok == TK_FIELD || a->tok == TK_QUESTION) {
            next(a);
        } else if (a->tok == TK_DOT) {
            next(a);
            if (a->tok == TK_STRING)
                skip_string(a, ctx);
            else if (a->tok == TK_LBRACK)
                parse_index(a, ctx);
            else
                give_up(a);
        } else if (a->tok == TK_LBRACK) {
            parse_index(a, ctx);
        } else {
            break;
        }
    }
}

/* A term (a path, literal, parenthesis, array, object, variable, keyword
 * form or call), then its suffixes. */
static void parse_postfix(struct an *a, enum ctx ctx)
{
    if (!enter(a))
        return;
    switch (a->tok) {
    case TK_DOT:
        parse_dot(a, ctx);
        break;
    case TK_DOTDOT:
        if (ctx == INPUT)
            give_up(a);
        next(a);
        break;
    case TK_FIELD:
        if (ctx == INPUT)
            add_field(a, a->text, a->tlen);
        next(a);
        break;
    case TK_NUMBER:
        next(a);
        break;
    case TK_STRING:
        skip_string(a, ctx);
        break;
    case TK_FORMAT:
        next(a);
        if (a->tok == TK_STRING)
            skip_string(a, ctx);
        else if (ctx == INPUT)
            give_up(a); /* @fmt alone formats the input */
        break;
    case TK_LPAREN:
        next(a);
        parse_pipe(a, ctx);
        expect(a, TK_RPAREN);
        break;
    case TK_LBRACK:
        next(a);
        if (a->tok != TK_RBRACK)
            parse_pipe(a, ctx);
        expect(a, TK_RBRACK);
        break;
    case TK_LBRACE:
        parse_object(a, ctx);
        break;
    case TK_VAR:
        if (text_is(a, "__loc__") || text_is(a, "ENV"))
            give_up(a);
        next(a);
        break;
    case TK_IDENT:
        if (is_word(a, "if")) {
            parse_if(a, ctx);
        } else if (is_word(a, "reduce") || is_word(a, "foreach")) {
            parse_reduce(a, ctx, is_word(a, "foreach"));
        } else if (is_word(a, "try")) {
            next(a);
            parse_signed(a, ctx);
            if (is_word(a, "catch")) { /* the catch body is one term, run on the error */
                next(a);
                parse_signed(a, DERIVED);
            }
        } else if (is_word(a, "label")) {
            next(a);
            expect(a, TK_VAR);
            expect(a, TK_PIPE);
            parse_pipe(a, ctx);
        } else if (is_word(a, "break")) {
            next(a);
            expect(a, TK_VAR);
        } else {
            parse_call(a, ctx);
        }
        break;
    default:
        give_up(a);
        break;
    }
    parse_suffixes(a, ctx);
    a->depth--;
}

/* Operands joined by `,` and binary operators (none of them changes `.`),
 * each possibly binding `TERM as $x | BODY` (the body runs on the same `.`). */
static void parse_seq(struct an *a, enum ctx ctx)
{
    for (;;) {
        if (a->fail)
            return;
        if (is_word(a, "def") || is_word(a, "import") || is_word(a, "include")) {
            give_up(a);
            return;
        }
        parse_signed(a, ctx);
        if (a->fail)
            return;
        if (is_word(a, "as")) {
            next(a);
            parse_patterns(a, ctx);
            expect(a, TK_PIPE);
            parse_pipe(a, ctx);
            return;
        }
        if (a->tok == TK_COMMA || a->tok == TK_BINOP || a->tok == TK_MINUS) {
            next(a);
            continue;
        }
        if (a->tok == TK_ASSIGN) {
            if (ctx == INPUT) { /* outputs the input, changed */
                give_up(a);
                return;
            }
            next(a);
            continue;
        }
        if (a->tok == TK_ALTPAT)
            give_up(a);
        return;
    }
}

static void parse_pipe(struct an *a, enum ctx ctx)
{
    if (!enter(a))
        return;
    parse_seq(a, ctx);
    if (!a->fail && a->tok == TK_PIPE) {
        next(a);
        parse_pipe(a, DERIVED);
    }
    a->depth--;
}

static bool analyse_fields(struct cdp_jq *q, const char *expr)
{
    struct an a = { 0 };
    a.s = expr;
    a.len = strlen(expr);
    a.q = q;
    next(&a);
    parse_pipe(&a, INPUT);
    if (!a.fail && a.tok != TK_EOF)
        give_up(&a);
    if (a.fail) {
        for (size_t i = 0; i < q->nfields; i++)
            free(q->fields[i]);
        free(q->fields);
        free(q->field_lens);
        q->fields = NULL;
        q->field_lens = NULL;
        q->nfields = 0;
        return false;
    }
    return true;
}
