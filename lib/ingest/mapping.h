/* mapping.h: which input column feeds which canonical field.
 *
 * Built from -m FIELD=COLUMN, --set FIELD=VALUE and map files. A map file
 * holds one mapping a line:
 *
 *     # comment
 *     email = E-mail               a column (the header text, any script)
 *     event := purchase            a constant, as --set
 *     _rid = Код                   the column that identifies the row
 *     _kind := event               the record kind, as --kind
 *     customer_id = CustomerID | drop-dot-zero
 *                                  a column with a modifier: 17850.0 is 17850
 *     event := return if InvoiceNo starts with C
 *     event := return if Quantity is negative
 *                                  a rule: the constant when the test holds
 *
 * Spaces around '=' and ':=' are ignored; a column name (and a rule's
 * constant, column or prefix) may be put in double quotes to keep spaces at
 * its ends, or a '|' or " if " in it. A field may have one mapping in a file
 * and any number of rules, tried in their order before the mapping. A later
 * map file replaces what an earlier one said about a field (its rules too),
 * and -m or --set win over any map file (its rules too), wherever they stand
 * on the command line. FIELD is a canonical field (schema.h), _rid, _kind,
 * or another name of lower-case letters, digits and '_' for a field of the
 * user's own; _rid and _kind take no rule, _kind no modifier. */
#ifndef CDP_INGEST_MAPPING_H
#define CDP_INGEST_MAPPING_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

/* Modifiers of a column mapping. */
enum {
    /* "17850.0" (and "17850.00", as spreadsheets write whole numbers) is
     * read as "17850"; anything else is read as written. */
    CDP_MAP_DROP_DOT_ZERO = 1u << 0,
};

struct cdp_map_entry {
    char *field;
    char *value;   /* the column name, or the constant */
    bool constant; /* --set / := */
    unsigned from_file; /* 0: command line; else which map file (1, 2...) */
    unsigned modifiers; /* CDP_MAP_* */
};

enum cdp_map_test {
    CDP_MAP_STARTS_WITH, /* the trimmed value starts with text (case matters) */
    CDP_MAP_NEGATIVE,    /* the value is a number below zero */
};

/* FIELD := VALUE if COLUMN starts with TEXT | is negative */
struct cdp_map_rule {
    char *field;
    char *value;
    char *column;
    enum cdp_map_test test;
    char *text; /* CDP_MAP_STARTS_WITH */
    unsigned from_file;
};

struct cdp_mapping {
    struct cdp_map_entry *v;
    size_t n, cap;
    struct cdp_map_rule *rules; /* in the order they were read */
    size_t nrules, rules_cap;
    char **require; /* groups: "email,phone" = at least one of them */
    size_t nrequire;
    unsigned files; /* map files loaded */
};

#define CDP_MAPPING_INIT { NULL, 0, 0, NULL, 0, 0, NULL, 0, 0 }

/* "FIELD=COLUMN" (constant false) or "FIELD=VALUE" (constant true), from the
 * command line. Returns -1 with err set when malformed. */
int cdp_mapping_add(struct cdp_mapping *m, const char *spec, bool constant, struct cdp_error *err);
/* Reads a map file (UTF-8 text: a NUL byte or invalid UTF-8 is an error);
 * errors name the file and line. */
int cdp_mapping_load(struct cdp_mapping *m, const char *path, struct cdp_error *err);
/* "email,phone": rows where none of these fields has a valid value are
 * rejected. */
int cdp_mapping_require(struct cdp_mapping *m, const char *list, struct cdp_error *err);

const struct cdp_map_entry *cdp_mapping_find(const struct cdp_mapping *m, const char *field);

void cdp_mapping_release(struct cdp_mapping *m);

#endif
