/* model.h: a Fellegi-Sunter model for matching people without a shared
 * identifier, and the table of record values it compares.
 *
 * The model (a JSON file, see cdp-model(5)) names comparisons, each on one
 * field, with levels tried in order ("exact", "translit", "jaro_winkler"
 * above a minimum, "damerau" within a distance, "days" apart...; the last is
 * "else"), each level with m (how often true matches fall in it) and u (how
 * often non-matches do); the prior (the chance that two records match); the
 * match probability threshold; and the blocking rules (an OR of ANDs of field
 * transforms) that choose which pairs are compared at all.
 *
 * A pair's match weight is log2(prior / (1 - prior)) plus, per comparison
 * where both records have a value, log2(m / u) of the level it falls in; on
 * an "exact" level marked "tf", u is the value's own frequency among the
 * records (agreeing on a rare surname says more than on a common one). The
 * match probability is 2^w / (1 + 2^w).
 *
 * The table holds, per record and field, an id of its value (the same id
 * for the same value), and per distinct value what the comparisons need
 * (folded name, transliteration key, code points, day number), computed once
 * per value. Records are added from one thread; once complete, the table is
 * read-only and safe to share between threads.
 *
 * Nothing prints or exits: errors come back in struct cdp_error, naming the
 * file and the place in it ("m.json: comparisons[1].levels[0]: ..."). */
#ifndef CDP_IDENTITY_MODEL_H
#define CDP_IDENTITY_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"

enum cdp_fs_type { CDP_FS_NAME, CDP_FS_STRING, CDP_FS_DATE, CDP_FS_NUMBER };

enum cdp_fs_when {
    CDP_FS_EXACT,        /* equal (names: after folding case, Ё, accents, separators) */
    CDP_FS_TRANSLIT,     /* names: equal transliteration keys (Sergey/Сергей/Sergei) */
    CDP_FS_SWAPPED,      /* names: this and "with" hold each other's values */
    CDP_FS_JARO_WINKLER, /* similarity >= min */
    CDP_FS_LEVENSHTEIN,  /* edits <= max */
    CDP_FS_DAMERAU,      /* edits (transpositions count one) <= max */
    CDP_FS_DAYS,         /* dates: at most max days apart */
    CDP_FS_DAY_MONTH,    /* dates: day and month swapped */
    CDP_FS_WITHIN,       /* numbers: |a - b| <= max */
    CDP_FS_WITHIN_PCT,   /* numbers: |a - b| <= max% of the larger */
    CDP_FS_FIXED_MOBILE, /* strings (phones): one a fixed line, the other a mobile */
    CDP_FS_ELSE,
};

struct cdp_fs_level {
    enum cdp_fs_when when;
    double param;     /* min or max */
    int with;         /* CDP_FS_SWAPPED: the table field of the other name */
    bool tf;          /* term-frequency adjusted (exact levels) */
    bool same_digits; /* and the two values hold the same digits, in order */
    double m, u;
    char label[48];   /* "exact", "jaro_winkler>=0.92"... */
};

#define CDP_FS_MAX_LEVELS 12
#define CDP_FS_MAX_COMPARISONS 24
#define CDP_FS_NULL_LEVEL 255 /* a value is missing: the comparison says nothing */

struct cdp_fs_comparison {
    char *name;
    int field; /* table field */
    enum cdp_fs_type type;
    struct cdp_fs_level levels[CDP_FS_MAX_LEVELS];
    int nlevels;
};

/* A blocking rule part: a field and a transform. */
enum cdp_fs_transform {
    CDP_FS_T_VALUE,   /* the value as compared */
    CDP_FS_T_KEY,     /* names: the transliteration key */
    CDP_FS_T_INITIAL, /* names: the first letter of the folded name */
    CDP_FS_T_SOUNDEX, /* names: Soundex of the folded name */
    CDP_FS_T_YEAR,    /* dates: the year */
    CDP_FS_T_LAST,    /* the last N characters (a phone's last digits) */
};

struct cdp_fs_part {
    int field;
    enum cdp_fs_transform t;
    int n; /* CDP_FS_T_LAST */
};

struct cdp_fs_rule {
    struct cdp_fs_part parts[4];
    int nparts;
    char text[128]; /* as written, for messages: "last_name:key+first_name:initial" */
};

struct cdp_fsmodel {
    double prior;     /* lambda */
    /* untrained: the prior as the expected number of other records of the
     * same person per record (prior = this / (n - 1)); 0: use prior as is */
    double matches_per_record;
    double threshold; /* match probability */
    size_t max_block; /* blocks with more records are skipped */
    double max_pairs_per_record; /* a rule gives at most this many pairs per
                                    record, its smallest blocks first */
    struct cdp_fs_comparison comps[CDP_FS_MAX_COMPARISONS];
    int ncomps;
    struct cdp_fs_rule rules[16];
    int nrules;
    /* the rules whose pairs train m (default: the blocking rules): pairs that
     * are mostly matches, so that EM does not learn namesakes as matches */
    struct cdp_fs_rule train_rules[16];
    int ntrain_rules;
    /* the record fields read, each once: "first_name", "attrs.soc_sec_id" */
    char *fields[CDP_FS_MAX_COMPARISONS * 2];
    enum cdp_fs_type field_types[CDP_FS_MAX_COMPARISONS * 2];
    int nfields;
    bool trained; /* m and u from training, not the file's guesses */
};

/* Reads a model file. Returns NULL with err set: "m.json: comparisons[0]:
 * unknown type 'nam' (name, string, date, number)". */
struct cdp_fsmodel *cdp_fsmodel_load(const char *path, struct cdp_error *err);
/* The same from text; origin names it in messages. */
struct cdp_fsmodel *cdp_fsmodel_parse(const char *text, size_t len, const char *origin,
                                      struct cdp_error *err);
void cdp_fsmodel_free(struct cdp_fsmodel *m);

/* The prior for a table of n records: the trained or given prior, or, when
 * the model gives matches_per_record and is not trained, that over n - 1. */
double cdp_fsmodel_prior_for(const struct cdp_fsmodel *m, size_t n);

/* The model as JSON (the format cdp_fsmodel_load reads), for --model-out. */
void cdp_fsmodel_write(const struct cdp_fsmodel *m, struct cdp_buf *out);
/* The same into the file at path, atomically (io/output.h: a name ending
 * in .zst or .gz is compressed, which cdp_fsmodel_load does not read). */
int cdp_fsmodel_save(const struct cdp_fsmodel *m, const char *path, struct cdp_error *err);

/* The model's fields of a record, packed into out for cdp_fstable_add_packed
 * (so that worker threads extract and one thread adds): per field a 32-bit
 * length (UINT32_MAX: missing) and the bytes. "attrs.NAME" reads NAME inside
 * the record's attrs object (parsed with json and scratch). Thread-safe with
 * a parser and scratch record per thread. */
struct cdp_json_parser;
struct cdp_record;
void cdp_fsmodel_extract(const struct cdp_fsmodel *m, const struct cdp_record *rec,
                         struct cdp_json_parser *json, struct cdp_record *scratch,
                         struct cdp_buf *pad, struct cdp_buf *out);

/* ---- the table ---------------------------------------------------------- */

struct cdp_fstable;

struct cdp_fstable *cdp_fstable_new(const struct cdp_fsmodel *m);
void cdp_fstable_free(struct cdp_fstable *t);

/* Values for which skip(ctx, value, len) is true are taken as missing: a
 * cashier's placeholder phone is nobody's, in the model as in the keys. */
void cdp_fstable_set_skip(struct cdp_fstable *t, bool (*skip)(void *ctx, const char *s, size_t len),
                          void *ctx);

/* Adds a record: vals[f] (lens[f] bytes; NULL or empty: missing) for each of
 * the model's fields. Returns the record's row. */
uint32_t cdp_fstable_add(struct cdp_fstable *t, const char *const *vals, const size_t *lens);
size_t cdp_fstable_rows(const struct cdp_fstable *t);
/* Adds a record packed by cdp_fsmodel_extract; returns the bytes read. */
size_t cdp_fstable_add_packed(struct cdp_fstable *t, const char *packed, uint32_t *row);

/* The value id of a row's field (CDP_FS_NONE when missing), and the value. */
#define CDP_FS_NONE UINT32_MAX
uint32_t cdp_fstable_value(const struct cdp_fstable *t, int field, uint32_t row);
const char *cdp_fstable_text(const struct cdp_fstable *t, int field, uint32_t value);

/* The blocking key of a row under a rule part, appended to out (false when
 * the row has no value for it). */
bool cdp_fstable_part(const struct cdp_fstable *t, const struct cdp_fs_part *part, uint32_t row,
                      struct cdp_buf *out);

/* The level of comparison c for rows a and b (CDP_FS_NULL_LEVEL when a value
 * is missing). */
int cdp_fs_level(const struct cdp_fsmodel *m, const struct cdp_fstable *t, int c, uint32_t a,
                 uint32_t b);

/* The same, giving up as soon as the levels left to try could not add need
 * to the weight: best_from[l] is the largest log2(m / u) of levels l and
 * after (for scoring, which only wants pairs above a floor: a birth date
 * that is not equal need not be measured for two edits when no level after
 * "exact" could save the pair). Returns CDP_FS_NO_LEVEL when it gave up. */
#define CDP_FS_NO_LEVEL 254
int cdp_fs_level_if(const struct cdp_fsmodel *m, const struct cdp_fstable *t, int c, uint32_t a,
                    uint32_t b, const double *best_from, double need);

/* The log2 Bayes factor of comparison c at level l for rows a and b (with
 * the term-frequency adjustment where the level has it). */
double cdp_fs_bayes(const struct cdp_fsmodel *m, const struct cdp_fstable *t, int c, int l,
                    uint32_t a, uint32_t b);

/* A pair's match weight; levels (may be NULL) gets each comparison's level. */
double cdp_fs_weight(const struct cdp_fsmodel *m, const struct cdp_fstable *t, uint32_t a,
                     uint32_t b, uint8_t *levels);

static inline double cdp_fs_probability(double weight)
{
    return weight > 60 ? 1.0 : weight < -60 ? 0.0 : 1.0 - 1.0 / (1.0 + __builtin_exp2(weight));
}

/* The weight of a match probability. */
double cdp_fs_weight_of(double probability);

/* Why a pair scored what it did, as JSON: {"weight":..,"probability":..,
 * "prior":..,"comparisons":[{"name":..,"level":..,"a":..,"b":..,"weight":..},..]}
 * (the "waterfall": which fields carried it). The values "a" and "b" are
 * masked by their field (norm/show.h) unless clear. */
void cdp_fs_explain(const struct cdp_fsmodel *m, const struct cdp_fstable *t, uint32_t a,
                    uint32_t b, bool clear, struct cdp_buf *out);

#endif
