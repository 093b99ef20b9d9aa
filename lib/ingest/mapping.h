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
 *
 * Spaces around '=' and ':=' are ignored; a column name may be put in double
 * quotes to keep spaces at its ends. A field may appear once in a file; a
 * later map file replaces what an earlier one said, and -m or --set win over
 * any map file, wherever they stand on the command line. FIELD is a canonical field
 * (schema.h), _rid, _kind, or another name of lower-case letters, digits and
 * '_' for a field of the user's own. */
#ifndef CDP_INGEST_MAPPING_H
#define CDP_INGEST_MAPPING_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

struct cdp_map_entry {
    char *field;
    char *value;   /* the column name, or the constant */
    bool constant; /* --set / := */
    unsigned from_file; /* 0: command line; else which map file (1, 2...) */
};

struct cdp_mapping {
    struct cdp_map_entry *v;
    size_t n, cap;
    char **require; /* groups: "email,phone" = at least one of them */
    size_t nrequire;
    unsigned files; /* map files loaded */
};

#define CDP_MAPPING_INIT { NULL, 0, 0, NULL, 0, 0 }

/* "FIELD=COLUMN" (constant false) or "FIELD=VALUE" (constant true), from the
 * command line. Returns -1 with err set when malformed. */
int cdp_mapping_add(struct cdp_mapping *m, const char *spec, bool constant, struct cdp_error *err);
/* Reads a map file; errors name the file and line. */
int cdp_mapping_load(struct cdp_mapping *m, const char *path, struct cdp_error *err);
/* "email,phone": rows where none of these fields has a valid value are
 * rejected. */
int cdp_mapping_require(struct cdp_mapping *m, const char *list, struct cdp_error *err);

const struct cdp_map_entry *cdp_mapping_find(const struct cdp_mapping *m, const char *field);

void cdp_mapping_release(struct cdp_mapping *m);

#endif
