/* native.h: segment rules evaluated in C, without libjq, when they are
 * written in the small part of jq that rules mostly are.
 *
 * libjq 1.6 costs a few microseconds per rule and profile, and the date
 * arithmetic of the rule library (strptime, mktime) ten times that; a
 * rule in the part below is compiled here to a small expression tree and
 * evaluated over the record's fields, parsing only the values it reads.
 * Whatever is not in that part is left to libjq, whole: a program is
 * either native or not, and a native program hands a profile back to jq
 * whenever it is not sure of jq's answer.
 *
 * The part of jq 1.6 accepted (a program is definitions, then one
 * expression, as rules/ruleset.h builds it):
 * - literals: numbers (123, 1.5, 2e3), strings without interpolation
 *   (escapes \" \\ \/ \b \f \n \r \t \uXXXX outside the surrogates), true,
 *   false, null;
 * - paths: ., .name, ."name", .[E] (E a string or a number), and the same
 *   after any term (.a.b, $x.a, (E).a);
 * - $name: the variables (rule file params, $as_of, $as_of_day,
 *   $vip_threshold, --arg and --argjson), E as $name | BODY, and the
 *   $parameters of definitions;
 * - E | E, ( E ), and, or, //, if E then E (elif E then E)* else E end;
 * - == != < <= > >= (jq's order: null < false < true < numbers < strings <
 *   arrays < objects; strings by bytes);
 * - + - * / % and unary - on numbers, null + x, string + string;
 * - the builtins not, length, type, has(KEY) (not redefined by the rules);
 * - def NAME: E; and def NAME($a; $b...): E; with E in this part, not
 *   recursive (a definition that is not in this part makes the program
 *   jq's);
 * - segment("NAME"), and the library's definitions used as shipped
 *   (share/cdp/segments: days_to_birthday with _day_number and _leap,
 *   days_since, interest, bought_within), compared token by token with
 *   the texts in native.c; a changed definition, or one whose builtins or
 *   helpers the rules redefine before it, is the rules' own and goes to jq.
 * Not accepted (the program goes to jq): ',', '?', [...], {...}, .[],
 * slices, reduce, foreach, try, label, string interpolation, formats (@csv),
 * assignment operators, any other builtin, $__loc__, $ENV, $ARGS, arithmetic
 * of two literals (jq folds it at compile time, and may refuse it).
 *
 * Answers: a program that is accepted gives exactly jq's answer, or asks
 * for jq's (CDP_NATIVE_ASK_JQ): wherever jq raises an error (indexing a
 * string, a date strptime refuses...), and wherever this evaluator does not
 * follow jq (arrays or objects compared with their own kind, NaN, a date
 * that is not plain YYYY-MM-DD, a birth date with a newline, an object with
 * a repeated key where the library reads its keys...). The caller then
 * runs the rule with libjq on the same input, so jq's answer and error
 * message are the reference for every case this module does not answer.
 * tests/unit/rules/test_native.c holds the evaluator to libjq on every rule
 * of the library and on profiles with nulls, missing fields and wrong types.
 *
 * Values are read as rules/jq.h gives them to libjq: record numbers as
 * doubles (strtod, C locale), strings as UTF-8, nested values as JSON.
 *
 * Threads: an env and its programs are read-only once compiled; each
 * thread evaluates with its own cdp_native_run. Nothing here prints. */
#ifndef CDP_RULES_NATIVE_H
#define CDP_RULES_NATIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "io/record.h"
#include "rules/jq.h"

/* What the programs of one run share: the variables, and the names of
 * the top-level fields they read (so that each is looked up once per
 * record, whichever rules read it). */
struct cdp_native_env;

/* The variables are copied (parsed); one that is not valid JSON, or not a
 * number jq reads as a finite double, is left out (a program using it is
 * jq's). */
struct cdp_native_env *cdp_native_env_new(const struct cdp_jq_vars *vars);
void cdp_native_env_free(struct cdp_native_env *env);

struct cdp_native;

/* Compiles program (the text cdp_jq_compile would get, vars bound by env),
 * or returns NULL when it is not in the part above: nothing is wrong then,
 * the program is jq's. Not thread-safe against other compiles with the
 * same env (compile every program before the threads start). env must
 * outlive the program. */
struct cdp_native *cdp_native_compile(struct cdp_native_env *env, const char *program);
void cdp_native_free(struct cdp_native *n);

/* Per thread: the current record and scratch memory. */
struct cdp_native_run;

struct cdp_native_run *cdp_native_run_new(const struct cdp_native_env *env);
void cdp_native_run_free(struct cdp_native_run *r);

/* The record the next tests read (kept, not copied). Call it again after
 * changing the record (a field set or added): fields are looked up once
 * per call. */
void cdp_native_run_input(struct cdp_native_run *r, const struct cdp_record *rec);

#define CDP_NATIVE_ASK_JQ (-1)

/* The program's first output's truthiness on the current record, as
 * cdp_jq_test_record would give it: 1 or 0; or CDP_NATIVE_ASK_JQ. */
int cdp_native_test(const struct cdp_native *n, struct cdp_native_run *r);

#endif
