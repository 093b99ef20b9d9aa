/* gen_data.h: the vocabulary of cdp-gen's synthetic retailer.
 *
 * Russian surnames, first names and patronymics with weights that follow
 * their frequency (a few surnames and names are very common, most are rare),
 * cities weighted by population with their landline codes, the retailer's
 * stores, and a furniture catalogue of rooms (categories), products and
 * prices. Also the text helpers the generator needs: transliteration of
 * Cyrillic names in the styles people meet (the popular one of e-mail
 * addresses, "sergey", "yuliya"; the passport one, "Sergei", "Iuliia"),
 * upper and lower case of Cyrillic, and UTF-8 to Windows-1251.
 *
 * gen_vocab_new builds the derived tables (female surnames,
 * transliterations, cumulative weights, the catalogue) once; the result is
 * read-only and may be shared by threads. Indexes into the tables are
 * stable, so the generator stores them in its compact records. */
#ifndef CDP_GEN_GEN_DATA_H
#define CDP_GEN_GEN_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

enum { GEN_SEX_M = 0, GEN_SEX_F = 1 };

struct gen_surname {
    const char *form[2]; /* by sex: Иванов / Иванова, Толстой / Толстая */
    char *lat[2];        /* ivanov / ivanova: popular style, lower case */
};

struct gen_first {
    const char *name; /* Сергей */
    const char *patr[2]; /* this name as a father's: Сергеевич / Сергеевна (male names only) */
    char *lat;           /* sergey: popular style, lower case */
    const char *dimin;   /* sasha, nastya: seen in e-mail addresses; NULL if none */
    const char *western; /* Alexander, Julia: how some people spell it; NULL if none */
};

struct gen_city {
    const char *name;  /* Москва */
    const char *latin; /* Moscow, as some shop accounts write it; NULL: transliterate */
    const char *code;  /* landline area code: "495", "4822" */
    unsigned weight;   /* population, thousands */
};

struct gen_store {
    const char *name; /* Москва Авиапарк */
    unsigned city;    /* index into the cities */
    int nbsp;         /* its till writes thousands with NO-BREAK SPACE, not a space */
};

struct gen_product {
    uint32_t sku;
    char *name;       /* UTF-8, may hold « », ×, ';' and '"' */
    unsigned cat;     /* index into categories */
    unsigned price;   /* whole rubles */
    unsigned qty_max; /* chairs come by four, sofas by one */
};

/* Cumulative weights for drawing an index: the first i with cum[i] > r,
 * for r uniform in [0, total). */
struct gen_weights {
    uint32_t *cum;
    size_t n;
    uint32_t total;
};

/* Categories: 1..GEN_NCAT-1 (0 unused). Rooms are the categories a
 * customer furnishes; textiles go with every room. */
enum {
    GEN_CAT_KITCHEN = 1,
    GEN_CAT_LIVING,
    GEN_CAT_BEDROOM,
    GEN_CAT_KIDS,
    GEN_CAT_HALL,
    GEN_CAT_TEXTILE,
    GEN_CAT_STUDY,
    GEN_CAT_BATH,
    GEN_NCAT
};

struct gen_vocab {
    struct gen_surname *surnames;
    size_t nsurnames;
    struct gen_first *firsts[2]; /* by sex */
    size_t nfirsts[2];
    const struct gen_city *cities;
    size_t ncities;
    const struct gen_store *stores;
    size_t nstores;
    const char *const *categories; /* [GEN_NCAT]: "Кухня"... */
    const char *const *domains;    /* e-mail domains */
    size_t ndomains;
    struct gen_product *products;
    size_t nproducts;
    size_t cat_first[GEN_NCAT + 1]; /* a category's products: [cat_first[c], cat_first[c+1]) */
    /* Stores of a city: city_store[c] is the first (or -1), stores of one
     * city are adjacent in the table. */
    int *city_store;
    int *city_nstores;
    struct gen_weights w_surname, w_first[2], w_father, w_city, w_room, w_domain, w_store;
};

/* Builds the vocabulary; never fails (allocation failure aborts). */
struct gen_vocab *gen_vocab_new(void);
void gen_vocab_free(struct gen_vocab *v);

/* Index for r in [0, w->total). */
size_t gen_weights_pick(const struct gen_weights *w, uint32_t r);

enum gen_translit_style {
    GEN_TR_LOWER,    /* popular, lower case: "sergey", "yuliya", "kiselev" */
    GEN_TR_POPULAR,  /* popular, capitalised: "Sergey", "Yuliya" */
    GEN_TR_PASSPORT, /* ICAO 9303 as in Russian passports since 2013: "Sergei", "Iuliia" */
};

/* Appends a transliteration of the Cyrillic UTF-8 string s; other
 * characters are copied. */
void gen_translit(struct cdp_buf *out, const char *s, enum gen_translit_style style);

/* ASCII and Cyrillic (Ё/ё included) to upper or lower case, in place. */
void gen_upper(char *s, size_t len);
void gen_lower(char *s, size_t len);

/* Appends UTF-8 s in Windows-1251 (ASCII, Cyrillic, Ё/ё, « » № – and
 * NO-BREAK SPACE); anything else becomes '?'. */
void gen_to_cp1251(struct cdp_buf *out, const char *s, size_t len);

#endif
