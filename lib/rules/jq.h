/* jq.h: jq expressions as the rule language, compiled once, run per record.
 *
 * cdp-merge (--trait NAME=JQ), cdp-segment (-s NAME=JQ) and cdp-export
 * (-c HEADER=JQ) let users write jq. A struct cdp_jq holds one compiled
 * program (one libjq state); running it on a record costs a jq_start and a
 * few jq_next calls, not a compile (which takes some 40 ms in jq 1.6: it
 * re-reads all its builtins; a failing compile is quick). Nothing here
 * prints or exits, and there is no global state of ours (libjq keeps a
 * per-thread allocator hook; use a cdp_jq from one thread at a time).
 *
 * What libjq 1.6 does to values, which callers should know:
 * - Numbers are IEEE doubles. 12345678901234567890 comes out as
 *   12345678901234567000, 89990.00 as 89990, 1e1000 as 1.7976931348623157e+308,
 *   100000000000000000000 as 1e+20. So ids, cards and phones must stay
 *   strings (cdp-ingest keeps them so); an amount printed by a jq column is
 *   jq's shortest form of the double, not the text it was read as. (jq 1.7
 *   keeps the text of unchanged input numbers in run_json; run_record builds
 *   numbers from doubles and would not.)
 * - Output is jq -c: compact, keys in insertion order, UTF-8 as is.
 * - error(null) is not an error in jq 1.6 but acts as `empty` (even try
 *   does not catch it). `halt` ends the outputs quietly; `halt_error` is an
 *   error whose message is its input.
 * - `debug` is silent and `input`/`inputs` see no further inputs (`input`
 *   fails with jq's message "break"); modules (import, include) are not
 *   found. The one builtin that still writes is `stderr`, which libjq 1.6
 *   prints to the process's stderr itself: do not use it in rules.
 * - Strings with invalid UTF-8 get U+FFFD, as jq does.
 * - libjq 1.6 itself leaks memory in two cases that matter per record (this
 *   module cannot prevent it; valgrind shows it under jq_next):
 *   leaving an iteration over an object's values (.[] on an object) before
 *   its end, by an error, first/limit/any/all/isempty or break (one key, some
 *   20-50 bytes): iterate arrays or collect first ([.cats[]] | any(.[]; f));
 *   and index/indices on an array (about 150 bytes per call):
 *   `.tags | index("vip")` is better written `any(.tags[]; . == "vip")`. */
#ifndef CDP_RULES_JQ_H
#define CDP_RULES_JQ_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/error.h"
#include "io/record.h"

/* Named variables for a program, $name in jq: "--arg" strings and
 * "--argjson" JSON values. $ARGS is also defined, as jq's command line does:
 * {"positional": [], "named": {every variable}}, unless a variable is itself
 * called ARGS. */
struct cdp_jq_var {
    char *name;
    char *value; /* the string, or the JSON text when is_json */
    bool is_json;
};

struct cdp_jq_vars {
    struct cdp_jq_var *v;
    size_t n, cap;
};

#define CDP_JQ_VARS_INIT { NULL, 0, 0 }

/* Adds (copies) $name. name must be a jq identifier ([A-Za-z_][A-Za-z0-9_]*,
 * not __loc__); when is_json, value must be one JSON value. A name added
 * again replaces its earlier value. Returns 0, or -1 with err:
 * "invalid variable name '1x'", "invalid JSON for $limit: ...". */
int cdp_jq_vars_add(struct cdp_jq_vars *vars, const char *name, const char *value, bool is_json,
                    struct cdp_error *err);
void cdp_jq_vars_release(struct cdp_jq_vars *vars);

struct cdp_jq;

/* Compiles expr once, with vars (may be NULL) bound as $name; vars may be
 * released afterwards. On a compile error returns NULL and err holds jq's
 * first message, one line, e.g. "syntax error, unexpected INVALID_CHARACTER,
 * expecting $end (Unix shell quoting issues?) at <top-level>, line 1" (with
 * " (and N more errors)" when jq found several). */
struct cdp_jq *cdp_jq_compile(const char *expr, const struct cdp_jq_vars *vars,
                              struct cdp_error *err);
void cdp_jq_free(struct cdp_jq *q);

/* What the program is, as a stop for its budget names it ("segment 'vip'",
 * "trait 'x'", "column 'h'"; copied). Each run of the program is timed
 * against the budget of base/guard.h when the program started a watchdog
 * (cdp_guard_watch): libjq cannot be interrupted, so a run past it, or one
 * that exhausts memory, ends the process with that message and exit 1
 * instead of returning. Unnamed: "a jq program". */
void cdp_jq_name(struct cdp_jq *q, const char *what);

/* Runs the program on one input given as JSON text (len bytes, exactly one
 * value). Appends each output value as compact JSON to out, with sep between
 * outputs (none before the first or after the last), and returns the number
 * of outputs (0 is fine). On a run-time error returns -1, err holds jq's
 * message ("Cannot index number with string \"x\""; a non-string error value as
 * "error (not a string): {...}"; bad input as "invalid JSON input: ...") and
 * out is left as it was. The next run starts clean. */
int cdp_jq_run_json(struct cdp_jq *q, const char *json, size_t len, struct cdp_buf *out, char sep,
                    struct cdp_error *err);

/* The common case for rules: the first output's truthiness (false and null
 * are false, anything else true; no output is false). Later outputs are not
 * computed, so an error after the first output goes unnoticed. Returns 1, 0,
 * or -1 with err on a run-time error. */
int cdp_jq_test_json(struct cdp_jq *q, const char *json, size_t len, struct cdp_error *err);

/* Which top-level fields of the input the program can read: for
 * ".a.b and .c", a and c. Returns true and sets *fields (names, NUL-
 * terminated UTF-8, owned by q: do not modify or free) and *nfields (0 when
 * the program reads no field, e.g. "true"); returns false when it cannot
 * tell, and then the whole input must be given. See the analysis in rules/jq.c:
 * it never claims fewer fields than the program can read, and gives up on
 * whatever it does not understand. Valid only for object inputs. */
bool cdp_jq_fields(const struct cdp_jq *q, char ***fields, size_t *nfields);

/* Runs on an input built from record fields: a JSON object of the fields of
 * rec the program reads (all of them when cdp_jq_fields cannot tell), in
 * record order, a repeated key keeping its last value. Strings become jq
 * strings, numbers are read as written, true/false/null as such, arrays and
 * objects are parsed with jv_parse_sized. Same returns as cdp_jq_run_json
 * (an unparsable nested value is an error: "field 'x': invalid JSON: ..."). */
int cdp_jq_run_record(struct cdp_jq *q, const struct cdp_record *rec, struct cdp_buf *out,
                      char sep, struct cdp_error *err);
int cdp_jq_test_record(struct cdp_jq *q, const struct cdp_record *rec, struct cdp_error *err);

#endif
