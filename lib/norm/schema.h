/* schema.h: the canonical record every program after cdp-ingest reads.
 *
 * The list of fields, their types (which decide how cdp-ingest normalises
 * them) and the kind of record they belong to. The same list is documented
 * for users in man/cdp-schema.5; the two must agree. */
#ifndef CDP_NORM_SCHEMA_H
#define CDP_NORM_SCHEMA_H

#include <stddef.h>

enum cdp_field_type {
    CDP_FT_EMAIL,     /* lower-cased, checked */
    CDP_FT_PHONE,     /* E.164 */
    CDP_FT_NAME,      /* a personal name, Title Case */
    CDP_FT_FULL_NAME, /* a whole name, also split into first/middle/last */
    CDP_FT_TEXT,      /* white space cleaned, NFC */
    CDP_FT_ID,        /* an identifier: trimmed, kept as text */
    CDP_FT_TOKEN,     /* a word from a vocabulary: lower-case, '_' for spaces */
    CDP_FT_GENDER,    /* "m" / "f" */
    CDP_FT_DATE,      /* YYYY-MM-DD */
    CDP_FT_DATETIME,  /* YYYY-MM-DDTHH:MM:SSZ */
    CDP_FT_BOOL,      /* true / false */
    CDP_FT_DECIMAL,   /* a JSON number, digits as written */
    CDP_FT_COUNTRY,   /* ISO 3166-1 alpha-2 */
    CDP_FT_REGION,    /* ISO 3166-2 subdivision code */
};

enum { CDP_KIND_PERSON = 1, CDP_KIND_EVENT = 2 };

struct cdp_schema_field {
    const char *name;
    enum cdp_field_type type;
    unsigned kinds; /* CDP_KIND_* bits: where the field belongs */
};

/* All canonical fields, in output order. */
const struct cdp_schema_field *cdp_schema_fields(size_t *count);
/* The field of that name, or NULL. */
const struct cdp_schema_field *cdp_schema_find(const char *name, size_t len);
/* What a value of the type is called in messages ("e-mail", "date"). */
const char *cdp_field_type_noun(enum cdp_field_type type);

#endif
