/* keys.h: the identifiers identity resolution links records by.
 *
 * A key is a canonical field (email, phone, card, customer_id, anon_id) or
 * a composite of fields joined with '+' (last_name+first_name+birth_date),
 * whose value is present only when every part is. Values are compared as
 * cdp-ingest normalised them, and in composites case-folded with Ё read as
 * Е (Фёдоров = Федоров), since names are typed both ways.
 *
 * Merge protection lives here too: values that are never identifiers
 * (blocked by a regular expression or listed in a file), and the limit of
 * distinct people one value may be shared by before it is not used at all
 * (anon_id, a device, has none: see graph.h). */
#ifndef CDP_IDENTITY_KEYS_H
#define CDP_IDENTITY_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/error.h"
#include "io/record.h"

struct cdp_key {
    char *name;      /* as given: "email", "last_name+first_name+birth_date" */
    char **fields;
    size_t nfields;
    unsigned limit;  /* distinct people a value may be shared by */
    bool exclusive;  /* identifies one person by itself (card, customer_id) */
    bool device;     /* a browser or app install (anon_id): never links two
                        people; see graph.h */
};

struct cdp_keyset;

/* An empty set; cdp_keyset_defaults adds customer_id, card, email, phone and
 * anon_id (in that order of strength) when no key was given. */
struct cdp_keyset *cdp_keyset_new(void);
void cdp_keyset_free(struct cdp_keyset *ks);

/* Adds a key (in order of decreasing strength). Each field must be one of
 * cdp-schema(5) (norm/schema.h): a misspelt key would link nothing, in
 * silence. At most CDP_KEYS_MAX keys (graph.h marks a value with its key in
 * one byte). */
#define CDP_KEYS_MAX 254
int cdp_keyset_add(struct cdp_keyset *ks, const char *spec, struct cdp_error *err);
void cdp_keyset_defaults(struct cdp_keyset *ks);
/* "email=3" sets a key's limit; the key must exist. */
int cdp_keyset_limit(struct cdp_keyset *ks, const char *spec, struct cdp_error *err);
/* Values matching the regular expression (PCRE2, whole value, any case) are
 * never identifiers. The defaults: see cdp_keyset_default_blocks. */
int cdp_keyset_block_regex(struct cdp_keyset *ks, const char *regex, struct cdp_error *err);
/* One value per line (after trimming; '#' starts a comment line). */
int cdp_keyset_block_file(struct cdp_keyset *ks, const char *path, struct cdp_error *err);
void cdp_keyset_default_blocks(struct cdp_keyset *ks);

size_t cdp_keyset_count(const struct cdp_keyset *ks);
const struct cdp_key *cdp_keyset_get(const struct cdp_keyset *ks, size_t i);

/* Appends the value of key i in r to out; false when the record has none. */
bool cdp_key_value(const struct cdp_keyset *ks, size_t i, const struct cdp_record *r,
                   struct cdp_buf *out);

/* Whether a value is blocked (by a regex or the block file). A composite
 * value is matched with its parts joined by '+', as the links file shows it. */
bool cdp_keyset_blocked(const struct cdp_keyset *ks, const char *value, size_t len);

#endif
