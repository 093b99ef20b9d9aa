/* vocab_table.h: the ISO 3166 tables vocab.c looks words up in. Internal to
 * lib/norm: the build writes them (tools/iso-vocab.c, from the iso-codes
 * package and vocab_aliases.txt) into $(BUILD)/gen/vocab_iso.c. */
#ifndef CDP_NORM_VOCAB_TABLE_H
#define CDP_NORM_VOCAB_TABLE_H

#include <stddef.h>
#include <stdint.h>

enum cdp_vocab_kind {
    CDP_VOCAB_CODE,  /* an ISO code: GB, GBR, RU-MOW */
    CDP_VOCAB_NAME,  /* an ISO name or its translation */
    CDP_VOCAB_ALIAS, /* an exporter's spelling, from vocab_aliases.txt */
    CDP_VOCAB_NONE,  /* not a country; value is the reason */
};

/* Offsets into cdp_vocab_strings, which holds NUL-terminated strings. */
struct cdp_vocab_entry {
    uint32_t key;   /* vocab_key.h; sorted by key, then value */
    uint32_t value; /* "GB", "RU-MOW", or the reason */
    uint8_t kind;   /* enum cdp_vocab_kind */
};

extern const char cdp_vocab_strings[];
extern const struct cdp_vocab_entry cdp_vocab_countries[];
extern const size_t cdp_vocab_countries_count;
/* Region keys are vocab_key.h's region keys; one key may name subdivisions
 * of several countries, never two of one country. */
extern const struct cdp_vocab_entry cdp_vocab_regions[];
extern const size_t cdp_vocab_regions_count;

#endif
