/* gen.c: cdp-gen's synthetic retailer "Уютный дом" and its nightly exports.
 *
 * How the data is made. First every person is drawn, in order, from one
 * seeded stream into a compact record (about 90 bytes): name, birth date,
 * city, contacts, CRM and shop registration, loyalty cards, how active they
 * are and which room they are furnishing. E-mail addresses and phones are
 * kept unique through a set of their hashes, so that two people share one
 * only where a trap below says so. Then the files are written: the web
 * events on a thread of their own (they are the ones compressed), the rest
 * one after the other. The tills and the web are made of sessions (a receipt, a
 * visit): their start times are drawn first, sorted (a radix sort on
 * 64-bit keys time|entity|session), and each session's content is drawn
 * from its own stream, seeded by (seed, entity, session): so the files come
 * out in time order without keeping the events in memory.
 *
 * Who is who (truth.csv). Persons are p0000001... in the order they were
 * drawn. Receipts with no card and no phone are from walk-in buyers, and the
 * visits of visitors who never log in are anonymous: person "-". A
 * logged-out visit of a person carries only the anon_id of a browser or
 * app where they log in at other times, and belongs to that person.
 *
 * Deliberate traps (rates are of persons unless said otherwise):
 * - Frequent names: surnames weighted by rank (Смирнов, Иванов, Кузнецов...
 *   repeat a lot), male and female forms (Иванов / Иванова, Вишневский /
 *   Вишневская, Черных for both), frequency-weighted first names and
 *   patronymics from fathers' names: many different people share a full
 *   name by chance, and at scale many share name and birth year.
 * - Namesakes (1%): a person copies the surname, first name and patronymic
 *   of an earlier person but has a different birth date and own contacts.
 * - Families (about 1.5% of persons join a "leader" registered shortly
 *   before, so about 3% are involved): spouse, or parent and child (the
 *   child of a father gets his first name as patronymic), same surname and
 *   city, different first name and birth date; half share the leader's
 *   e-mail in the CRM, half a home landline that both CRM rows show. They
 *   are different people.
 * - CRM re-registrations (5%): a second CRM row, later (a higher code), with
 *   a typo in the surname (a letter replaced by a similar one, dropped or
 *   doubled; Ё written Е when there is one), the same phone number in
 *   another format, often a newer e-mail (55%) or none (15%), often a new
 *   card (55%) or none (25%); after it the till sees the new card 70% of
 *   the time and the old one otherwise.
 * - Placeholder phones: at the tills 6% of a known buyer's receipts carry
 *   +7 999 999-99-99 or 8 (000) 000-00-00 typed by the cashier, shared by
 *   very many people; 0.3% of CRM rows hold one too.
 * - Online-only customers (12%) have a shop account and no CRM row; 57% of
 *   the others also have an account (about 62% in all). About 40% of
 *   accounts use a second e-mail, unknown to the CRM.
 * - Names in the shop: given and family name swapped (7%), transliterated
 *   (8%: passport style Sergei / Iuliia, popular Sergey / Yuliya, or the
 *   English Julia / Alexander; sometimes with the city in Latin), all lower
 *   case (1%), with the patronymic (2%); Ё written Е (40%). Birthdays
 *   missing (13%) or with day and month swapped (0.7%).
 * - Phones in many human formats (8 (912) 345-67-89, +7 912 345 67 89,
 *   89123456789, 9123456789, 8-912-345-67-89...) and landlines with 3- to
 *   5-digit area codes (about 8% show a landline in the CRM: no mobile, or
 *   older people).
 * - Cards written without leading zeros at some tills (2%), thousands
 *   separated by a space or a NO-BREAK SPACE depending on the store,
 *   discounts (the amount is not qty x price), returns (6% of a person's odd
 *   receipts return part of the previous one: negative quantity and amount).
 * - Invalid values, about 0.2% each per CRM row: impossible birth dates
 *   (31.02.1990), e-mails with "@@" and other typos, short phones; 1C's
 *   empty date 01.01.0001 for unknown birth dates (2%). In the shop 0.2%
 *   each of impossible birthdays and mistyped e-mails.
 * - Physically broken rows: one CRM row in 100000 has an unclosed quote,
 *   and one shop row in 100000 unescaped quotes in the name (at least one
 *   of each in a file of more than 100 rows). They are rejected by
 *   cdp-ingest; truth.csv has them too (the CRM code, the shop id).
 * - Shared devices: in 60% of the families whose two members both have a
 *   shop account (about 0.3% of persons), the member browses on the
 *   leader's computer: one browser, one anon_id, on which both log in at
 *   their own times; each one's logged-out visits there are their own.
 * - Web: anon_ids per browser (changing every 120 days) and per app
 *   install; logged-out visits; abandoned carts (added, neither bought nor
 *   removed), carts closed by a purchase, removals; browsing concentrated
 *   on the room the person is furnishing (which changes once, at a day of
 *   their own), anonymous visitors' carts.
 */
#include "gen/gen.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "norm/date.h"
#include "gen/gen_data.h"
#include "gen/gen_rng.h"
#include "io/json.h"
#include "io/output.h"

/* Independent streams of random numbers. */
enum {
    STREAM_PERSONS = 1,
    STREAM_CRM,
    STREAM_SHOP,
    STREAM_POS,
    STREAM_WEB,
    STREAM_ANON,
};

/* How an e-mail address is made from a person's name (see put_email). */
struct email_spec {
    uint8_t pat, dom;
    uint16_t num; /* appended digits, 0: none */
};

enum {
    P_CRM = 1u << 0,         /* has a CRM row */
    P_CARD = 1u << 1,        /* has a loyalty card */
    P_DUP = 1u << 2,         /* registered twice in the CRM */
    P_FAM_EMAIL = 1u << 3,   /* the CRM row shows the family leader's e-mail */
    P_FAM_HOME = 1u << 4,    /* the CRM row shows the family's home phone */
    P_HOME = 1u << 5,        /* the CRM row shows own landline, not the mobile */
    P_NAMESAKE = 1u << 6,    /* copies the full name of an earlier person */
    P_LEADER = 1u << 7,      /* someone shares this person's e-mail or phone */
    P_NO_EMAIL = 1u << 8,    /* no e-mail in the CRM */
    P_SHOP_E2 = 1u << 9,     /* the shop account uses the second e-mail */
    P_DUP_E2 = 1u << 10,     /* the re-registration gives the second e-mail */
    P_DUP_NOMAIL = 1u << 11, /* ... or none */
    P_DUP_NOCARD = 1u << 12, /* the re-registration has no card */
    P_FOLLOWER = 1u << 13,   /* family member of an earlier person */
    P_NO_PATR = 1u << 14,    /* no patronymic */
    P_SHARED_PC = 1u << 15,  /* browses on the family leader's computer */
};

#define NO_FATHER 0xFF

/* One person, as compact as is convenient (about 90 bytes). */
struct person {
    uint64_t phone;      /* mobile, national 10 digits; 0: none */
    uint64_t home;       /* landline, national 10 digits; 0: none */
    uint32_t partner;    /* a follower's family leader */
    uint32_t shop_id;    /* 0: no account */
    uint32_t card;       /* 0: none */
    uint32_t dup_card;   /* the card of the re-registration; 0: none, or the old one */
    int32_t birth;       /* days since 1970 */
    int32_t reg;         /* CRM registration day */
    int32_t dup_day;     /* re-registration day */
    int32_t shop_day;    /* shop account created */
    int32_t first_day;   /* the first day anything may happen */
    int32_t room_switch; /* from this day on the person furnishes room_b */
    uint32_t flags;
    uint16_t surname;
    uint16_t n_pos, n_web; /* receipts and visits */
    uint8_t first, father, sex, city;
    uint8_t room_a, room_b, phone_fmt, home_store;
    struct email_spec e1, e2;
};

/* A re-registration: emitted after the CRM row of person `after`. */
struct dup {
    uint32_t after, person;
};

/* Keys of sessions: start time (seconds since the window start, 28 bits),
 * entity (person, or anonymous entity after the persons, 27 bits) and
 * session number (9 bits). */
#define KEY_TS_SHIFT 36
#define KEY_ENTITY_SHIFT 9
#define KEY_ENTITY_MASK ((1ULL << 27) - 1)
#define KEY_K_MASK ((1ULL << 9) - 1)
#define MAX_SESSIONS 511

struct idset {
    uint64_t *slot;
    size_t mask;
};

struct gen {
    const struct cdp_gen_options *opt;
    struct gen_vocab *v;
    struct person *p;
    uint32_t n;
    struct dup *dups;
    size_t ndups;
    struct idset ids;
    int id_width;      /* digits of person ids */
    int64_t as_of;     /* day */
    int64_t win_start; /* first day of tills and web events */
    int64_t crm_start, shop_start;
    int birth_lo, birth_hi; /* years */
    uint32_t n_walkins, n_visitors;
    char **csv_name; /* products' names as CSV fields */
    struct cdp_output *crm, *shop, *pos, *web, *truth;
    struct cdp_buf row, tmp;
    struct cdp_gen_counts *counts;
    /* The web file is written by a thread of its own; its truth rows wait
     * here as person indexes (NO_PERSON: anonymous) until the others are
     * written. */
    uint32_t *web_who;
    size_t web_n, web_cap;
};

#define NO_PERSON UINT32_MAX

static const int SEC_MSK = 3 * 3600; /* Moscow time: UTC+3 */

/* ---------------------------------------------------------------------
 * Small formatting helpers. */

static void put2(struct cdp_buf *b, unsigned v)
{
    cdp_buf_add_digits(b, v, 2);
}

/* v with leading zeros to at least width digits (more if it needs them). */
static void put_padded(struct cdp_buf *b, uint64_t v, int width)
{
    int n = 1;
    for (uint64_t x = v; x >= 10; x /= 10)
        n++;
    for (; n < width; n++)
        cdp_buf_addc(b, '0');
    cdp_buf_add_u64(b, v);
}

/* DD.MM.YYYY */
static void put_dmy(struct cdp_buf *b, int64_t day)
{
    int y, m, d;
    cdp_civil_from_days(day, &y, &m, &d);
    put2(b, (unsigned)d);
    cdp_buf_addc(b, '.');
    put2(b, (unsigned)m);
    cdp_buf_addc(b, '.');
    cdp_buf_add_digits(b, (unsigned)y, 4);
}

/* YYYY-MM-DD */
static void put_ymd(struct cdp_buf *b, int64_t day)
{
    int y, m, d;
    cdp_civil_from_days(day, &y, &m, &d);
    cdp_buf_add_digits(b, (unsigned)y, 4);
    cdp_buf_addc(b, '-');
    put2(b, (unsigned)m);
    cdp_buf_addc(b, '-');
    put2(b, (unsigned)d);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* 1C's "DD.MM.YYYY H:MM:SS" of a local time in seconds. */
static void put_1c_time(struct cdp_buf *b, int64_t t)
{
    int64_t day = floor_div(t, 86400);
    unsigned s = (unsigned)(t - day * 86400);
    put_dmy(b, day);
    cdp_buf_addc(b, ' ');
    cdp_buf_add_u64(b, s / 3600);
    cdp_buf_addc(b, ':');
    put2(b, s / 60 % 60);
    cdp_buf_addc(b, ':');
    put2(b, s % 60);
}

/* "YYYY-MM-DDTHH:MM:SS" of seconds, then suffix. */
static void put_iso(struct cdp_buf *b, int64_t t, int ms, const char *suffix)
{
    int64_t day = floor_div(t, 86400);
    unsigned s = (unsigned)(t - day * 86400);
    put_ymd(b, day);
    cdp_buf_addc(b, 'T');
    put2(b, s / 3600);
    cdp_buf_addc(b, ':');
    put2(b, s / 60 % 60);
    cdp_buf_addc(b, ':');
    put2(b, s % 60);
    if (ms >= 0) {
        cdp_buf_addc(b, '.');
        cdp_buf_add_digits(b, (unsigned)ms, 3);
    }
    cdp_buf_adds(b, suffix);
}

/* Rubles as a till's Excel writes them: "-12 990,00" (sep: the thousands
 * separator). */
static void put_money(struct cdp_buf *b, int64_t rub, const char *sep)
{
    if (rub < 0) {
        cdp_buf_addc(b, '-');
        rub = -rub;
    }
    if (rub >= 1000000) {
        cdp_buf_add_u64(b, (unsigned long long)(rub / 1000000));
        cdp_buf_adds(b, sep);
        cdp_buf_add_digits(b, (unsigned)(rub / 1000 % 1000), 3);
        cdp_buf_adds(b, sep);
        cdp_buf_add_digits(b, (unsigned)(rub % 1000), 3);
    } else if (rub >= 1000) {
        cdp_buf_add_u64(b, (unsigned long long)(rub / 1000));
        cdp_buf_adds(b, sep);
        cdp_buf_add_digits(b, (unsigned)(rub % 1000), 3);
    } else {
        cdp_buf_add_u64(b, (unsigned long long)rub);
    }
    cdp_buf_adds(b, ",00");
}

static void put_person(struct cdp_buf *b, const struct gen *g, uint32_t i)
{
    cdp_buf_addc(b, 'p');
    put_padded(b, (uint64_t)i + 1, g->id_width);
}

static void truth_row(struct gen *g, const char *source, const char *rid, size_t ridlen,
                      int64_t person)
{
    struct cdp_buf *b = cdp_output_buffer(g->truth);
    cdp_buf_adds(b, source);
    cdp_buf_addc(b, ',');
    cdp_buf_add(b, rid, ridlen);
    cdp_buf_addc(b, ',');
    if (person < 0)
        cdp_buf_addc(b, '-');
    else
        put_person(b, g, (uint32_t)person);
    cdp_buf_addc(b, '\n');
    cdp_output_flush_some(g->truth);
    g->counts->truth++;
}

static void truth_row_n(struct gen *g, const char *source, uint64_t n, int64_t person)
{
    char num[24];
    int len = 0;
    do {
        num[sizeof num - 1 - len++] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    truth_row(g, source, num + sizeof num - len, (size_t)len, person);
}

/* ---------------------------------------------------------------------
 * Unique identifiers: a set of 64-bit hashes (open addressing). */

static void idset_init(struct idset *s, size_t expected)
{
    size_t cap = 1024;
    while (cap < expected * 2)
        cap <<= 1;
    s->slot = cdp_xcalloc(cap, sizeof *s->slot);
    s->mask = cap - 1;
}

/* Adds h; false if it was there. */
static bool idset_add(struct idset *s, uint64_t h)
{
    if (h == 0)
        h = 1;
    size_t i = (size_t)h & s->mask;
    while (s->slot[i]) {
        if (s->slot[i] == h)
            return false;
        i = (i + 1) & s->mask;
    }
    s->slot[i] = h;
    return true;
}

static uint64_t hash_bytes(const char *s, size_t n, uint64_t tag)
{
    uint64_t h = gen_mix(tag ^ n);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = gen_mix(h ^ w);
        s += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, s, n);
    return gen_mix(h ^ w ^ 0xFF);
}

/* ---------------------------------------------------------------------
 * Names, e-mails, phones. */

static const char *surname_of(const struct gen *g, const struct person *p)
{
    return g->v->surnames[p->surname].form[p->sex];
}

static const char *first_of(const struct gen *g, const struct person *p)
{
    return g->v->firsts[p->sex][p->first].name;
}

static const char *patronymic_of(const struct gen *g, const struct person *p)
{
    if (p->father == NO_FATHER || (p->flags & P_NO_PATR))
        return "";
    return g->v->firsts[GEN_SEX_M][p->father].patr[p->sex];
}

static int year_of(int64_t day)
{
    int y, m, d;
    cdp_civil_from_days(day, &y, &m, &d);
    return y;
}

enum { NPATTERNS = 14 };
static const unsigned pattern_weight[NPATTERNS] = { 14, 14, 10, 5, 8, 5, 5, 6, 6, 4, 3, 3, 3, 4 };
/* Patterns with a birth year in them, and what people fall back to when
 * that address is taken (then adding digits). */
static const bool pattern_has_year[NPATTERNS] = { 0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 1 };
static const uint8_t pattern_plain[NPATTERNS] = { 0, 0, 2, 3, 4, 5, 6, 7, 8, 8, 10, 11, 7, 2 };

/* The local part and domain of an e-mail address (lower case). */
static void put_email(struct cdp_buf *b, const struct gen *g, const struct person *p,
                      const struct email_spec *e)
{
    const struct gen_first *fn = &g->v->firsts[p->sex][p->first];
    const char *f = fn->lat;
    const char *l = g->v->surnames[p->surname].lat[p->sex];
    const char *d = fn->dimin ? fn->dimin : f;
    int yyyy = year_of(p->birth);
    switch (e->pat) {
    case 0: /* olga.smirnova */
        cdp_buf_adds(b, f), cdp_buf_addc(b, '.'), cdp_buf_adds(b, l);
        break;
    case 1: /* olga.smirnova85 */
        cdp_buf_adds(b, f), cdp_buf_addc(b, '.'), cdp_buf_adds(b, l);
        put2(b, (unsigned)yyyy % 100);
        break;
    case 2: /* o.smirnova */
        cdp_buf_addc(b, f[0]), cdp_buf_addc(b, '.'), cdp_buf_adds(b, l);
        break;
    case 3: /* smirnova.o */
        cdp_buf_adds(b, l), cdp_buf_addc(b, '.'), cdp_buf_addc(b, f[0]);
        break;
    case 4: /* smirnova85 */
        cdp_buf_adds(b, l);
        put2(b, (unsigned)yyyy % 100);
        break;
    case 5: /* olga_smirnova */
        cdp_buf_adds(b, f), cdp_buf_addc(b, '_'), cdp_buf_adds(b, l);
        break;
    case 6: /* olgasmirnova */
        cdp_buf_adds(b, f), cdp_buf_adds(b, l);
        break;
    case 7: /* smirnova.olga */
        cdp_buf_adds(b, l), cdp_buf_addc(b, '.'), cdp_buf_adds(b, f);
        break;
    case 8: /* nastya.novikova */
        cdp_buf_adds(b, d), cdp_buf_addc(b, '.'), cdp_buf_adds(b, l);
        break;
    case 9: /* nastya1994 */
        cdp_buf_adds(b, d);
        cdp_buf_add_digits(b, (unsigned)yyyy, 4);
        break;
    case 10: /* smirnovaos: surname and initials */
        cdp_buf_adds(b, l), cdp_buf_addc(b, f[0]);
        if (p->father != NO_FATHER)
            cdp_buf_addc(b, g->v->firsts[GEN_SEX_M][p->father].lat[0]);
        break;
    case 11: /* olga (always with a number) */
        cdp_buf_adds(b, f);
        break;
    case 12: /* smirnova.olga1985 */
        cdp_buf_adds(b, l), cdp_buf_addc(b, '.'), cdp_buf_adds(b, f);
        cdp_buf_add_digits(b, (unsigned)yyyy, 4);
        break;
    default: /* o.smirnova85 */
        cdp_buf_addc(b, f[0]), cdp_buf_addc(b, '.'), cdp_buf_adds(b, l);
        put2(b, (unsigned)yyyy % 100);
        break;
    }
    if (e->num)
        cdp_buf_add_u64(b, e->num);
    cdp_buf_addc(b, '@');
    cdp_buf_adds(b, g->v->domains[e->dom]);
}

static size_t pick_pattern(struct gen_rng *r)
{
    unsigned total = 0;
    for (int i = 0; i < NPATTERNS; i++)
        total += pattern_weight[i];
    unsigned x = gen_below(r, total);
    for (size_t i = 0; i < NPATTERNS; i++) {
        if (x < pattern_weight[i])
            return i;
        x -= pattern_weight[i];
    }
    return 0;
}

/* Draws an e-mail address nobody else has. */
static void draw_email(struct gen *g, struct gen_rng *r, const struct person *p,
                       struct email_spec *e)
{
    e->pat = (uint8_t)pick_pattern(r);
    e->dom = (uint8_t)gen_weights_pick(&g->v->w_domain, gen_below(r, g->v->w_domain.total));
    bool num = e->pat == 11 || (!pattern_has_year[e->pat] && gen_chance(r, 0.2));
    e->num = num ? (uint16_t)gen_range(r, 1, 999) : 0;
    for (int tries = 0;; tries++) {
        cdp_buf_reset(&g->tmp);
        put_email(&g->tmp, g, p, e);
        if (idset_add(&g->ids, hash_bytes(g->tmp.data, g->tmp.len, 0xE)))
            return;
        /* Taken: people then add digits, more and more of them. */
        e->pat = tries > 30 ? 6 : pattern_plain[e->pat];
        e->num = (uint16_t)gen_range(r, tries < 5 ? 1 : 100, tries < 5 ? 99 : 65535);
    }
}

/* Russian mobile operators' codes (9XX), none of them 999 (the cashiers'
 * placeholder). */
static const uint16_t mobile_codes[] = {
    900, 901, 902, 903, 904, 905, 906, 908, 909, 910, 911, 912, 913, 914, 915, 916, 917, 918,
    919, 920, 921, 922, 923, 924, 925, 926, 927, 928, 929, 930, 931, 932, 933, 934, 936, 937,
    938, 939, 950, 951, 952, 953, 958, 960, 961, 962, 963, 964, 965, 966, 967, 968, 969, 977,
    978, 980, 981, 982, 983, 984, 985, 986, 987, 988, 989, 991, 992, 993, 994, 995, 996,
};

static uint64_t draw_mobile(struct gen *g, struct gen_rng *r)
{
    for (;;) {
        uint64_t code = mobile_codes[gen_below(r, sizeof mobile_codes / sizeof mobile_codes[0])];
        uint64_t num = code * 10000000ULL + 1000000ULL + gen_below(r, 9000000);
        if (idset_add(&g->ids, gen_mix(num ^ 0x9ULL << 50)))
            return num;
    }
}

static uint64_t draw_landline(struct gen *g, struct gen_rng *r, unsigned city)
{
    const char *code = g->v->cities[city].code;
    size_t len = strlen(code);
    uint64_t c = strtoull(code, NULL, 10), pow = 1;
    for (size_t i = len; i < 10; i++)
        pow *= 10;
    for (;;) {
        uint64_t num = c * pow + pow / 10 * 2 + gen_below(r, (uint32_t)(pow / 10 * 8));
        if (idset_add(&g->ids, gen_mix(num ^ 0x9ULL << 50)))
            return num;
    }
}

/* Length of the area code of a national number: 3 for mobiles and big
 * cities, 4 or 5 elsewhere. */
static int area_len(const struct gen *g, uint64_t num, unsigned city)
{
    if (num / 1000000000ULL == 9)
        return 3;
    return (int)strlen(g->v->cities[city].code);
}

/* Formats of mobile numbers, with weights. */
enum { NPHONE_FMT = 10 };
static const unsigned phone_fmt_weight[NPHONE_FMT] = { 20, 10, 15, 6, 8, 10, 15, 8, 6, 2 };

static uint8_t pick_phone_fmt(struct gen_rng *r)
{
    unsigned x = gen_below(r, 100);
    for (uint8_t i = 0; i < NPHONE_FMT; i++) {
        if (x < phone_fmt_weight[i])
            return i;
        x -= phone_fmt_weight[i];
    }
    return 0;
}

/* A national number as a person writes it. Mobiles:
 *   0 8 (912) 345-67-89   1 +7 912 345 67 89   2 89123456789
 *   3 9123456789          4 8-912-345-67-89    5 +7 (912) 345-67-89
 *   6 +79123456789        7 8 912 345 67 89    8 +7 912 345-67-89
 *   9 8 (912) 3456789
 * landlines (area code of alen digits): (495) 123-45-67,
 * 8 (4822) 55-66-77, +7 (812) 312-45-67, 84951234567. */
static void put_phone(struct cdp_buf *b, uint64_t num, int alen, unsigned fmt)
{
    char d[11];
    for (int i = 9; i >= 0; i--) {
        d[i] = (char)('0' + num % 10);
        num /= 10;
    }
    d[10] = '\0';
    if (alen != 3 || d[0] != '9') {
        /* A landline: the subscriber's digits in groups, the last two pairs apart. */
        const char *sub = d + alen;
        int slen = 10 - alen;
        switch (fmt % 4) {
        case 0:
            break;
        case 1:
            cdp_buf_adds(b, "8 ");
            break;
        case 2:
            cdp_buf_adds(b, "+7 ");
            break;
        default:
            cdp_buf_addc(b, '8');
            cdp_buf_add(b, d, 10);
            return;
        }
        cdp_buf_addc(b, '(');
        cdp_buf_add(b, d, (size_t)alen);
        cdp_buf_adds(b, ") ");
        cdp_buf_add(b, sub, (size_t)(slen - 4));
        cdp_buf_addc(b, '-');
        cdp_buf_add(b, sub + slen - 4, 2);
        cdp_buf_addc(b, '-');
        cdp_buf_add(b, sub + slen - 2, 2);
        return;
    }
    const char *a = d, *x = d + 3, *y = d + 6, *z = d + 8;
    switch (fmt) {
    case 0:
        cdp_buf_adds(b, "8 ("), cdp_buf_add(b, a, 3), cdp_buf_adds(b, ") "), cdp_buf_add(b, x, 3);
        cdp_buf_addc(b, '-'), cdp_buf_add(b, y, 2), cdp_buf_addc(b, '-'), cdp_buf_add(b, z, 2);
        break;
    case 1:
        cdp_buf_adds(b, "+7 "), cdp_buf_add(b, a, 3), cdp_buf_addc(b, ' '), cdp_buf_add(b, x, 3);
        cdp_buf_addc(b, ' '), cdp_buf_add(b, y, 2), cdp_buf_addc(b, ' '), cdp_buf_add(b, z, 2);
        break;
    case 2:
        cdp_buf_addc(b, '8'), cdp_buf_add(b, d, 10);
        break;
    case 3:
        cdp_buf_add(b, d, 10);
        break;
    case 4:
        cdp_buf_adds(b, "8-"), cdp_buf_add(b, a, 3), cdp_buf_addc(b, '-'), cdp_buf_add(b, x, 3);
        cdp_buf_addc(b, '-'), cdp_buf_add(b, y, 2), cdp_buf_addc(b, '-'), cdp_buf_add(b, z, 2);
        break;
    case 5:
        cdp_buf_adds(b, "+7 ("), cdp_buf_add(b, a, 3), cdp_buf_adds(b, ") "), cdp_buf_add(b, x, 3);
        cdp_buf_addc(b, '-'), cdp_buf_add(b, y, 2), cdp_buf_addc(b, '-'), cdp_buf_add(b, z, 2);
        break;
    case 6:
        cdp_buf_adds(b, "+7"), cdp_buf_add(b, d, 10);
        break;
    case 7:
        cdp_buf_adds(b, "8 "), cdp_buf_add(b, a, 3), cdp_buf_addc(b, ' '), cdp_buf_add(b, x, 3);
        cdp_buf_addc(b, ' '), cdp_buf_add(b, y, 2), cdp_buf_addc(b, ' '), cdp_buf_add(b, z, 2);
        break;
    case 8:
        cdp_buf_adds(b, "+7 "), cdp_buf_add(b, a, 3), cdp_buf_addc(b, ' '), cdp_buf_add(b, x, 3);
        cdp_buf_addc(b, '-'), cdp_buf_add(b, y, 2), cdp_buf_addc(b, '-'), cdp_buf_add(b, z, 2);
        break;
    default:
        cdp_buf_adds(b, "8 ("), cdp_buf_add(b, a, 3), cdp_buf_adds(b, ") "), cdp_buf_add(b, x, 7);
        break;
    }
}

static const char *const placeholders[2] = { "+7 999 999-99-99", "8 (000) 000-00-00" };

/* A phone too short to be one: what a hurried clerk leaves. */
static void put_short_phone(struct cdp_buf *b, uint64_t num, struct gen_rng *r)
{
    char d[10];
    for (int i = 9; i >= 0; i--) {
        d[i] = (char)('0' + num % 10);
        num /= 10;
    }
    switch (gen_below(r, 3)) {
    case 0:
        cdp_buf_add(b, d + 5, 5);
        break;
    case 1:
        cdp_buf_adds(b, "8 "), cdp_buf_add(b, d, 3), cdp_buf_addc(b, ' '), cdp_buf_add(b, d + 3, 3);
        break;
    default:
        cdp_buf_add(b, d + 3, 3), cdp_buf_addc(b, '-'), cdp_buf_add(b, d + 6, 2);
        cdp_buf_addc(b, '-'), cdp_buf_add(b, d + 8, 2);
        break;
    }
}

/* ---------------------------------------------------------------------
 * Persons. */

static unsigned pick(const struct gen_weights *w, struct gen_rng *r)
{
    return (unsigned)gen_weights_pick(w, gen_below(r, w->total));
}

static int32_t draw_birth(struct gen *g, struct gen_rng *r)
{
    int y;
    if (gen_chance(r, 0.78)) {
        y = (int)(g->birth_hi - 25 + 12.0 * gen_normal(r));
        if (y < g->birth_lo)
            y = g->birth_lo + (int)gen_below(r, 10);
        if (y > g->birth_hi)
            y = g->birth_hi - (int)gen_below(r, 5);
    } else {
        y = (int)gen_range(r, g->birth_lo, g->birth_hi);
    }
    int64_t d0 = cdp_days_from_civil(y, 1, 1);
    int64_t d1 = cdp_days_from_civil(y + 1, 1, 1);
    return (int32_t)(d0 + gen_below(r, (uint32_t)(d1 - d0)));
}

static int32_t clamp_day(int64_t d, int64_t lo, int64_t hi)
{
    return (int32_t)(d < lo ? lo : d > hi ? hi : d);
}

static void draw_names(struct gen *g, struct gen_rng *r, struct person *p)
{
    p->first = (uint8_t)pick(&g->v->w_first[p->sex], r);
    p->father = (uint8_t)pick(&g->v->w_father, r);
    p->surname = (uint16_t)pick(&g->v->w_surname, r);
}

/* Some people come as family: a child or spouse of someone registered
 * shortly before (sharing a surname, a city, an e-mail or a home phone), or
 * the namesake of an earlier person. */
static void draw_relation(struct gen *g, struct gen_rng *r, uint32_t i)
{
    struct person *p = &g->p[i];
    double role = gen_unit(r);
    if (role < 0.02 && i > 0) {
        /* A family member of someone registered shortly before. */
        uint32_t j = i - 1 - gen_below(r, i < 30 ? i : 30);
        struct person *q = &g->p[j];
        if ((q->flags & (P_CRM | P_FOLLOWER | P_NAMESAKE | P_LEADER)) == P_CRM) {
            p->flags |= P_FOLLOWER | P_CRM;
            q->flags |= P_LEADER;
            p->partner = j;
            p->surname = q->surname;
            p->city = q->city;
            int qy = year_of(q->birth);
            if (qy + 22 <= g->birth_hi && gen_chance(r, 0.4)) {
                /* Their child: a father's child has his name as patronymic. */
                p->birth =
                    (int32_t)(q->birth + 365 * gen_range(r, 21, 32) + gen_range(r, 0, 364));
                if (year_of(p->birth) > g->birth_hi)
                    p->birth = (int32_t)cdp_days_from_civil(g->birth_hi, 6, 1);
                if (q->sex == GEN_SEX_M)
                    p->father = (uint8_t)(q->first < g->v->nfirsts[GEN_SEX_M] ? q->first : 0);
            } else {
                /* A spouse. */
                p->sex = (uint8_t)!q->sex;
                p->first = (uint8_t)pick(&g->v->w_first[p->sex], r);
                p->birth = (int32_t)(q->birth + gen_range(r, -6 * 365, 6 * 365));
                if (year_of(p->birth) > g->birth_hi || year_of(p->birth) < g->birth_lo)
                    p->birth = q->birth - 400;
            }
            if (p->sex == q->sex && p->first == q->first)
                p->first = (uint8_t)((p->first + 1) % g->v->nfirsts[p->sex]);
            if (p->birth == q->birth)
                p->birth += 17;
            if (gen_chance(r, 0.5)) {
                p->flags |= P_FAM_EMAIL;
                q->flags &= ~P_NO_EMAIL;
            } else {
                p->flags |= P_FAM_HOME;
                q->flags |= P_FAM_HOME;
            }
        }
    } else if (role < 0.03 && i > 0) {
        /* A namesake of an earlier person, born on another day. */
        uint32_t j = gen_below(r, i);
        struct person *q = &g->p[j];
        if (!(q->flags & (P_FOLLOWER | P_NAMESAKE))) {
            p->flags |= P_NAMESAKE;
            p->partner = j;
            p->sex = q->sex;
            p->first = q->first;
            p->father = q->father;
            p->surname = q->surname;
            if (p->birth == q->birth)
                p->birth += 365;
        }
    }
}

/* E-mails, mobile, a home phone (shared with family), and whether the CRM
 * has the e-mail at all. */
static void draw_contacts(struct gen *g, struct gen_rng *r, struct person *p)
{
    draw_email(g, r, p, &p->e1);
    draw_email(g, r, p, &p->e2);
    if (gen_chance(r, 0.96))
        p->phone = draw_mobile(g, r);
    p->phone_fmt = pick_phone_fmt(r);
    if (p->flags & P_FAM_HOME) {
        struct person *q = &g->p[p->partner];
        if (!q->home)
            q->home = draw_landline(g, r, q->city);
        p->home = q->home;
    } else if (gen_chance(r, year_of(p->birth) < 1960 ? 0.15 : 0.03) || !p->phone) {
        p->home = draw_landline(g, r, p->city);
        p->flags |= P_HOME;
    }
    if (!(p->flags & P_LEADER) && gen_chance(r, year_of(p->birth) < 1960 ? 0.35 : 0.1))
        p->flags |= P_NO_EMAIL;
}

/* The CRM: registered in code order over ten years, a loyalty card, and
 * sometimes registered again later (a duplicate, linked by dedupe). */
static void draw_crm(struct gen *g, struct gen_rng *r, uint32_t i, size_t dup_cap)
{
    struct person *p = &g->p[i];
    const uint32_t n = g->n;
    const int64_t crm_span = g->as_of - g->crm_start;
    if ((p->flags & P_FOLLOWER) || gen_chance(r, 0.88))
        p->flags |= P_CRM;
    int64_t reg = g->crm_start + (int64_t)i * crm_span / n + gen_range(r, -15, 15);
    if (reg < p->birth + 18 * 365)
        reg = p->birth + 18 * 365 + gen_below(r, 365);
    p->reg = clamp_day(reg, g->crm_start, g->as_of - 1);
    if ((p->flags & P_CRM) && gen_chance(r, 0.9)) {
        p->flags |= P_CARD;
        p->card = 10000 + 4 * i;
    }
    if ((p->flags & P_CRM) && gen_chance(r, 0.05) && g->ndups < dup_cap &&
        p->reg < g->as_of - 1) {
        uint32_t span = n / 4 < 100000 ? n / 4 + 1 : 100000;
        uint32_t after = i + 1 + gen_below(r, span);
        if (after >= n)
            after = n - 1;
        p->flags |= P_DUP;
        p->dup_day =
            clamp_day(g->crm_start + (int64_t)after * crm_span / n + gen_range(r, 1, 20),
                      p->reg + 1, g->as_of - 1);
        double u = gen_unit(r);
        if (u < 0.55)
            p->flags |= P_DUP_E2;
        else if (u < 0.70)
            p->flags |= P_DUP_NOMAIL;
        u = gen_unit(r);
        if (u < 0.55)
            p->dup_card = 1; /* a new card: numbered below, once the order is known */
        else if (u < 0.80)
            p->flags |= P_DUP_NOCARD;
        g->dups[g->ndups++] = (struct dup){ after, i };
    }
}

/* The web shop's account, opened in code order too; shop_id counts them. */
static void draw_shop(struct gen *g, struct gen_rng *r, uint32_t i, uint32_t *shop_id)
{
    struct person *p = &g->p[i];
    const uint32_t n = g->n;
    const int64_t shop_span = g->as_of - g->shop_start;
    if (!(p->flags & P_CRM) || gen_chance(r, 0.57)) {
        p->shop_id = ++*shop_id;
        p->shop_day =
            clamp_day(g->shop_start + (int64_t)i * shop_span / n + gen_range(r, -10, 10),
                      g->shop_start, g->as_of - 1);
        if (p->shop_day < p->birth + 16 * 365)
            p->shop_day = clamp_day(p->birth + 16 * 365 + gen_below(r, 365), g->shop_start,
                                    g->as_of - 1);
        if ((p->flags & (P_NO_EMAIL | P_FAM_EMAIL)) || gen_chance(r, 0.35))
            p->flags |= P_SHOP_E2;
        if (!(p->flags & P_CRM))
            p->reg = p->shop_day;
    }
}

/* Activity: a budget of events, skewed (log-normal, mean 1), split between
 * the tills and the web; the home store and the rooms people furnish. */
static void draw_activity(struct gen *g, struct gen_rng *r, struct person *p)
{
    const double k = g->opt->events_per_person;
    p->first_day = p->reg;
    if (p->shop_id && p->shop_day < p->first_day)
        p->first_day = p->shop_day;
    if (p->first_day < g->win_start)
        p->first_day = (int32_t)g->win_start;
    double w = exp(1.0 * gen_normal(r) - 0.5);
    double budget = k * 0.97 * w;
    bool store_city = g->v->city_store[p->city] >= 0;
    double web =
        p->shop_id ? (store_city ? 0.3 + 0.45 * gen_unit(r) : 0.8 + 0.15 * gen_unit(r)) : 0;
    double np = budget * (1 - web) / 2.0, nw = budget * web / 6.0;
    np = (double)(int64_t)(np + gen_unit(r));
    nw = (double)(int64_t)(nw + gen_unit(r));
    p->n_pos = (uint16_t)(np > MAX_SESSIONS ? MAX_SESSIONS : np);
    p->n_web = (uint16_t)(nw > MAX_SESSIONS ? MAX_SESSIONS : nw);
    if (store_city)
        p->home_store = (uint8_t)(g->v->city_store[p->city] +
                                  (int)gen_below(r, (uint32_t)g->v->city_nstores[p->city]));
    else
        p->home_store = (uint8_t)pick(&g->v->w_store, r);
    p->room_a = (uint8_t)pick(&g->v->w_room, r);
    p->room_b = (uint8_t)pick(&g->v->w_room, r);
    p->room_switch =
        (int32_t)(p->first_day + gen_below(r, (uint32_t)(g->as_of - p->first_day + 200)));
}

/* Families with a laptop: a family member who has a shop account browses
 * on the leader's computer (the same browser, so the same anon_id) when
 * the leader has an account too, in 60% of such families. Drawn from a
 * hash of the seed and the person, not the persons' stream, so that the
 * rest of the data is what it was before this trap. */
static void share_devices(struct gen *g)
{
    for (uint32_t i = 0; i < g->n; i++) {
        struct person *p = &g->p[i];
        if ((p->flags & P_FOLLOWER) && p->shop_id && g->p[p->partner].shop_id &&
            gen_mix(g->opt->seed ^ gen_mix(0x5ea7ed0000000000ULL + i)) % 100 < 60)
            p->flags |= P_SHARED_PC;
    }
}

static void make_persons(struct gen *g)
{
    const uint32_t n = g->n;
    struct gen_rng r;
    gen_rng_for(&r, g->opt->seed, STREAM_PERSONS, 0, 0);
    g->p = cdp_xcalloc(n, sizeof *g->p);
    g->dups = cdp_xcalloc(n / 16 + 16, sizeof *g->dups);
    idset_init(&g->ids, (size_t)n * 3 + 64);
    uint32_t shop_id = 10000;
    size_t dup_cap = n / 16 + 16;
    for (uint32_t i = 0; i < n; i++) {
        struct person *p = &g->p[i];
        p->sex = gen_chance(&r, 0.54) ? GEN_SEX_F : GEN_SEX_M;
        draw_names(g, &r, p);
        p->birth = draw_birth(g, &r);
        p->city = (uint8_t)pick(&g->v->w_city, &r);
        draw_relation(g, &r, i);
        if (!(p->flags & P_FOLLOWER) && gen_chance(&r, 0.02))
            p->flags |= P_NO_PATR;
        draw_contacts(g, &r, p);
        draw_crm(g, &r, i, dup_cap);
        draw_shop(g, &r, i, &shop_id);
        draw_activity(g, &r, p);
    }
    share_devices(g);
    g->counts->persons = n;
}

static int dup_cmp(const void *a, const void *b)
{
    const struct dup *x = a, *y = b;
    if (x->after != y->after)
        return x->after < y->after ? -1 : 1;
    return x->person < y->person ? -1 : x->person > y->person;
}

/* Orders the re-registrations and numbers their new cards after the cards
 * issued at the same time. */
static void order_dups(struct gen *g)
{
    qsort(g->dups, g->ndups, sizeof *g->dups, dup_cmp);
    for (size_t d = 0, tie = 0; d < g->ndups; d++) {
        tie = d > 0 && g->dups[d].after == g->dups[d - 1].after ? tie + 1 : 0;
        struct person *p = &g->p[g->dups[d].person];
        if (p->dup_card)
            p->dup_card = tie < 3 ? 10000 + 4 * g->dups[d].after + 1 + (uint32_t)tie : 0;
    }
}

/* ---------------------------------------------------------------------
 * crm.csv */

/* UTF-8 Cyrillic string to code points and back, for typos. */
static size_t to_points(const char *s, uint32_t *cp, size_t max)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p && n < max) {
        if (*p < 0x80) {
            cp[n++] = *p++;
        } else {
            cp[n++] = ((uint32_t)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
            p += 2;
        }
    }
    return n;
}

static void from_points(struct cdp_buf *b, const uint32_t *cp, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (cp[i] < 0x80) {
            cdp_buf_addc(b, (char)cp[i]);
        } else {
            cdp_buf_addc(b, (char)(0xC0 | (cp[i] >> 6)));
            cdp_buf_addc(b, (char)(0x80 | (cp[i] & 0x3F)));
        }
    }
}

/* Letters a clerk confuses (lower case code points). */
static uint32_t similar_letter(uint32_t c, struct gen_rng *r)
{
    static const uint32_t pairs[][2] = {
        { 0x43E, 0x430 }, /* о а */
        { 0x435, 0x438 }, /* е и */
        { 0x435, 0x44D }, /* е э */
        { 0x441, 0x437 }, /* с з */
        { 0x442, 0x434 }, /* т д */
        { 0x432, 0x444 }, /* в ф */
        { 0x448, 0x449 }, /* ш щ */
        { 0x431, 0x43F }, /* б п */
        { 0x433, 0x43A }, /* г к */
        { 0x43D, 0x43C }, /* н м */
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        if (pairs[i][0] == c)
            return pairs[i][1];
        if (pairs[i][1] == c)
            return pairs[i][0];
    }
    return gen_chance(r, 0.5) ? 0x430 : 0x43E;
}

/* The surname with one typo: Ё as Е, a letter replaced, dropped or doubled. */
static void put_typo(struct cdp_buf *b, const char *s, struct gen_rng *r)
{
    uint32_t cp[64];
    size_t n = to_points(s, cp, 63);
    for (size_t i = 0; i < n; i++) {
        if ((cp[i] == 0x451 || cp[i] == 0x401) && gen_chance(r, 0.8)) {
            cp[i] = cp[i] == 0x451 ? 0x435 : 0x415;
            from_points(b, cp, n);
            return;
        }
    }
    if (n < 4) {
        from_points(b, cp, n);
        from_points(b, cp + n - 1, 1);
        return;
    }
    /* Not the first letter (people check it) nor the last (the ending
     * tells the sex: Денисова is not Денисов). */
    size_t at = 1 + gen_below(r, (uint32_t)(n - 2));
    switch (gen_below(r, 3)) {
    case 0: {
        uint32_t c = similar_letter(cp[at], r);
        cp[at] = c == cp[at] ? 0x44B : c;
        from_points(b, cp, n);
        break;
    }
    case 1:
        from_points(b, cp, at);
        from_points(b, cp + at + 1, n - at - 1);
        break;
    default:
        from_points(b, cp, at + 1);
        from_points(b, cp + at, n - at);
        break;
    }
}

static bool csv_needs_quotes(const char *s)
{
    return strpbrk(s, ";\"\r\n") != NULL;
}

static void put_csv_field(struct cdp_buf *b, const char *s)
{
    if (!csv_needs_quotes(s)) {
        cdp_buf_adds(b, s);
        return;
    }
    cdp_buf_addc(b, '"');
    for (; *s; s++) {
        if (*s == '"')
            cdp_buf_addc(b, '"');
        cdp_buf_addc(b, *s);
    }
    cdp_buf_addc(b, '"');
}

/* An impossible date: 31.02, 30.02, 31.04, 31.06, 31.09, 31.11. */
static void put_impossible_date(struct cdp_buf *b, int year, struct gen_rng *r)
{
    static const char *const dm[] = { "31.02.", "30.02.", "31.04.", "31.06.", "31.09.", "31.11." };
    cdp_buf_adds(b, dm[gen_below(r, 6)]);
    cdp_buf_add_digits(b, (unsigned)year, 4);
}

/* A broken e-mail: a doubled @, a missing dot or @, a comma. */
static void put_bad_email(struct cdp_buf *b, const struct gen *g, const struct person *p,
                          const struct email_spec *e, struct gen_rng *r)
{
    size_t at = b->len;
    put_email(b, g, p, e);
    char *s = b->data + at;
    char *a = strchr(s, '@');
    switch (gen_below(r, 4)) {
    case 0: { /* "@@" */
        size_t off = (size_t)(a - b->data);
        cdp_buf_addc(b, ' ');
        memmove(b->data + off + 1, b->data + off, b->len - off - 1);
        b->data[off] = '@';
        break;
    }
    case 1: { /* no dot in the domain */
        char *dot = strrchr(a, '.');
        memmove(dot, dot + 1, strlen(dot + 1) + 1);
        b->len--;
        break;
    }
    case 2: /* a comma for the dot */
        *strrchr(a, '.') = ',';
        break;
    default: /* no @ */
        *a = '.';
        break;
    }
}

/* Which e-mail a CRM row shows, if any. */
static const struct email_spec *crm_email(const struct gen *g, const struct person *p, bool dup,
                                          const struct person **owner)
{
    *owner = p;
    if (dup) {
        if (p->flags & P_DUP_NOMAIL)
            return NULL;
        if (p->flags & P_DUP_E2)
            return &p->e2;
    }
    if (p->flags & P_FAM_EMAIL) {
        *owner = &g->p[p->partner];
        return &(*owner)->e1;
    }
    if (p->flags & P_NO_EMAIL)
        return NULL;
    return &p->e1;
}

static void write_crm_row(struct gen *g, struct gen_rng *r, uint32_t i, bool dup, uint32_t *code,
                          bool broken)
{
    const struct person *p = &g->p[i];
    struct cdp_buf *b = &g->row;
    cdp_buf_reset(b);
    *code += 1 + (gen_chance(r, 0.03) ? gen_below(r, 4) : 0); /* deleted elements leave gaps */
    size_t code_at = b->len;
    put_padded(b, *code, 9);
    size_t code_len = b->len - code_at;
    cdp_buf_addc(b, ';');
    /* Names, some rows in capitals. */
    size_t names_at = b->len;
    if (dup)
        put_typo(b, surname_of(g, p), r);
    else
        cdp_buf_adds(b, surname_of(g, p));
    cdp_buf_addc(b, ';');
    cdp_buf_adds(b, first_of(g, p));
    cdp_buf_addc(b, ';');
    cdp_buf_adds(b, patronymic_of(g, p));
    if (gen_chance(r, 0.007))
        gen_upper(b->data + names_at, b->len - names_at);
    cdp_buf_addc(b, ';');
    /* Birth date: unknown (empty, or 1C's empty date), impossible, or the date. */
    double u = gen_unit(r);
    if (u >= 0.0525)
        put_dmy(b, p->birth);
    else if (u >= 0.05)
        put_impossible_date(b, year_of(p->birth), r);
    else if (u >= 0.03)
        cdp_buf_adds(b, "01.01.0001");
    cdp_buf_addc(b, ';');
    if (!gen_chance(r, 0.015))
        cdp_buf_adds(b, p->sex == GEN_SEX_M ? "М" : "Ж");
    cdp_buf_addc(b, ';');
    /* Phone: the same number in another format when registering again. */
    u = gen_unit(r);
    uint8_t fmt = dup ? (uint8_t)((p->phone_fmt + 1 + gen_below(r, NPHONE_FMT - 1)) % NPHONE_FMT)
                      : p->phone_fmt;
    uint64_t num = (p->flags & (P_HOME | P_FAM_HOME)) ? p->home : p->phone;
    if (u < 0.003)
        cdp_buf_adds(b, placeholders[gen_below(r, 2)]);
    else if (u < 0.005 && num)
        put_short_phone(b, num, r);
    else if (num)
        put_phone(b, num, area_len(g, num, p->city), fmt);
    cdp_buf_addc(b, ';');
    /* E-mail. */
    const struct person *owner;
    const struct email_spec *e = crm_email(g, p, dup, &owner);
    if (e) {
        u = gen_unit(r);
        if (u < 0.002) {
            put_bad_email(b, g, owner, e, r);
        } else {
            size_t at = b->len;
            put_email(b, g, owner, e);
            if (u < 0.012) /* typed with capitals: Fedorov.A@Mail.ru */
                b->data[at] = (char)(b->data[at] >= 'a' && b->data[at] <= 'z' ? b->data[at] - 32
                                                                              : b->data[at]);
        }
    }
    cdp_buf_addc(b, ';');
    /* City; a broken row opens a quote it never closes. */
    if (broken) {
        cdp_buf_addc(b, '"');
        cdp_buf_adds(b, g->v->cities[p->city].name);
    } else if (gen_chance(r, 0.001)) {
        cdp_buf_addc(b, '"');
        cdp_buf_adds(b, g->v->cities[p->city].name);
        cdp_buf_adds(b, "; мкр. Центральный\"");
    } else {
        cdp_buf_adds(b, g->v->cities[p->city].name);
    }
    cdp_buf_addc(b, ';');
    uint32_t card = dup ? ((p->flags & P_DUP_NOCARD) ? 0
                           : p->dup_card             ? p->dup_card
                                                     : p->card)
                        : p->card;
    if (card)
        put_padded(b, card, 7);
    cdp_buf_addc(b, ';');
    bool has_email = e != NULL;
    cdp_buf_adds(b, has_email && gen_chance(r, 0.7) ? "Да" : "Нет");
    cdp_buf_addc(b, ';');
    cdp_buf_adds(b, gen_chance(r, 0.55) ? "Да" : "Нет");
    cdp_buf_addc(b, ';');
    int64_t day = dup ? p->dup_day : p->reg;
    int64_t t = day * 86400 + gen_range(r, 9 * 3600, 21 * 3600);
    put_1c_time(b, t);
    cdp_buf_addc(b, ';');
    if (gen_chance(r, 0.55)) {
        cdp_buf_adds(b, "01.01.0001 0:00:00");
    } else {
        int64_t last = g->as_of - 1 - day;
        int64_t c = day + (last > 0 ? gen_below(r, (uint32_t)last + 1) : 0);
        put_1c_time(b, c == day ? t : c * 86400 + gen_range(r, 8 * 3600, 22 * 3600));
    }
    cdp_buf_adds(b, "\r\n");
    struct cdp_buf *o = cdp_output_buffer(g->crm);
    gen_to_cp1251(o, b->data, b->len);
    cdp_output_flush_some(g->crm);
    g->counts->crm++;
    truth_row(g, "crm", b->data + code_at, code_len, i);
}

static void write_crm(struct gen *g)
{
    struct gen_rng r;
    gen_rng_for(&r, g->opt->seed, STREAM_CRM, 0, 0);
    static const char header[] = "Код;Фамилия;Имя;Отчество;Дата рождения;Пол;Телефон;E-mail;Город;"
                                 "Номер карты;Согласие на рассылку;Согласие на SMS;"
                                 "Дата регистрации;Дата изменения\r\n";
    gen_to_cp1251(cdp_output_buffer(g->crm), header, sizeof header - 1);
    uint32_t code = 100;
    uint64_t rows = 0;
    uint64_t broken_at = g->n > 100 ? 17 + g->opt->seed % 61 : UINT64_MAX;
    size_t d = 0;
    for (uint32_t i = 0; i < g->n; i++) {
        if (g->p[i].flags & P_CRM) {
            rows++;
            write_crm_row(g, &r, i, false, &code, rows == broken_at || gen_below(&r, 100000) == 0);
        }
        for (; d < g->ndups && g->dups[d].after <= i; d++) {
            rows++;
            write_crm_row(g, &r, g->dups[d].person, true, &code, gen_below(&r, 100000) == 0);
        }
    }
}

/* ---------------------------------------------------------------------
 * shop-customers.jsonl */

static const char *const utm_sources[] = { "yandex", "google", "vk", "email",   "instagram",
                                           "tiktok", "direct", "ok", "telegram" };
static const unsigned utm_weight[] = { 30, 22, 15, 10, 6, 5, 6, 3, 3 };

/* Replaces ё/Ё by е/Е in place (how most people type). */
static void strip_yo(char *s, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        unsigned char *c = (unsigned char *)s + i;
        if (c[0] == 0xD1 && c[1] == 0x91) { /* ё -> е (D0 B5) */
            c[0] = 0xD0;
            c[1] = 0xB5;
        } else if (c[0] == 0xD0 && c[1] == 0x81) { /* Ё -> Е (D0 95) */
            c[1] = 0x95;
        }
    }
}

/* The account's "name": "Ольга Смирнова", "Smirnova Olga", ... */
static void put_shop_name(struct cdp_buf *b, const struct gen *g, const struct person *p,
                          struct gen_rng *r, bool *latin)
{
    const char *f = first_of(g, p), *l = surname_of(g, p);
    const struct gen_first *fn = &g->v->firsts[p->sex][p->first];
    size_t at = b->len;
    double u = gen_unit(r);
    *latin = false;
    if (u < 0.08) {
        *latin = true;
        struct cdp_buf fl = CDP_BUF_INIT, ll = CDP_BUF_INIT;
        double s = gen_unit(r);
        enum gen_translit_style st = s < 0.45 ? GEN_TR_PASSPORT : GEN_TR_POPULAR;
        if (s > 0.8 && fn->western)
            cdp_buf_adds(&fl, fn->western);
        else
            gen_translit(&fl, f, st);
        gen_translit(&ll, l, st);
        if (gen_chance(r, 0.5)) {
            cdp_buf_add(b, ll.data, ll.len), cdp_buf_addc(b, ' '), cdp_buf_add(b, fl.data, fl.len);
        } else {
            cdp_buf_add(b, fl.data, fl.len), cdp_buf_addc(b, ' '), cdp_buf_add(b, ll.data, ll.len);
        }
        cdp_buf_release(&fl);
        cdp_buf_release(&ll);
        return;
    }
    if (u < 0.15) {
        cdp_buf_adds(b, l), cdp_buf_addc(b, ' '), cdp_buf_adds(b, f);
    } else if (u < 0.17 && *patronymic_of(g, p)) {
        cdp_buf_adds(b, l), cdp_buf_addc(b, ' '), cdp_buf_adds(b, f), cdp_buf_addc(b, ' ');
        cdp_buf_adds(b, patronymic_of(g, p));
    } else {
        cdp_buf_adds(b, f), cdp_buf_addc(b, ' '), cdp_buf_adds(b, l);
    }
    if (gen_chance(r, 0.4))
        strip_yo(b->data + at, b->len - at);
    if (gen_chance(r, 0.01))
        gen_lower(b->data + at, b->len - at);
}

/* The e-mail the person gave the shop, sometimes typed carelessly. */
static void put_shop_email(struct cdp_buf *b, const struct gen *g, const struct person *p,
                           struct gen_rng *r)
{
    size_t at = b->len;
    const struct email_spec *e = (p->flags & P_SHOP_E2) ? &p->e2 : &p->e1;
    double u = gen_unit(r);
    if (u < 0.01) {
        cdp_buf_addc(b, ' ');
        put_email(b, g, p, e);
        gen_upper(b->data + at + 1, 1);
        cdp_buf_addc(b, ' ');
    } else if (u < 0.03) {
        put_email(b, g, p, e);
        gen_upper(b->data + at, 1);
        char *a = strchr(b->data + at, '@');
        gen_upper(a + 1, 1);
    } else if (u < 0.032) {
        put_bad_email(b, g, p, e, r);
    } else {
        put_email(b, g, p, e);
    }
}

/* The phone as a JSON value: null, "", or spelt one of several ways. */
static void put_shop_phone(struct cdp_buf *b, const struct person *p, struct gen_rng *r)
{
    double u = gen_unit(r);
    if (!p->phone || u < 0.05) {
        cdp_buf_adds(b, "null");
    } else if (u < 0.08) {
        cdp_buf_adds(b, "\"\"");
    } else {
        cdp_buf_addc(b, '"');
        put_phone(b, p->phone, 3, u < 0.75 ? 6 : u < 0.85 ? 7 : u < 0.95 ? 8 : 2);
        cdp_buf_addc(b, '"');
    }
}

/* The birthday as a JSON value: null, "", a date that does not exist, day
 * and month swapped, or right. */
static void put_shop_birthday(struct cdp_buf *b, const struct person *p, struct gen_rng *r)
{
    double u = gen_unit(r);
    if (u < 0.08) {
        cdp_buf_adds(b, "null");
    } else if (u < 0.13) {
        cdp_buf_adds(b, "\"\"");
    } else if (u < 0.132) {
        /* A date that does not exist. */
        cdp_buf_addc(b, '"');
        cdp_buf_add_digits(b, (unsigned)year_of(p->birth), 4);
        cdp_buf_adds(b, gen_chance(r, 0.5) ? "-02-30\"" : "-06-31\"");
    } else if (u < 0.139) {
        /* Day and month swapped (when that still makes a date). */
        int y, m, d;
        cdp_civil_from_days(p->birth, &y, &m, &d);
        cdp_buf_addc(b, '"');
        cdp_buf_add_digits(b, (unsigned)y, 4);
        cdp_buf_addc(b, '-');
        put2(b, (unsigned)(d <= 12 ? d : m));
        cdp_buf_addc(b, '-');
        put2(b, (unsigned)(d <= 12 ? m : d));
        cdp_buf_addc(b, '"');
    } else {
        cdp_buf_addc(b, '"');
        put_ymd(b, p->birth);
        cdp_buf_addc(b, '"');
    }
}

static void write_shop_row(struct gen *g, struct gen_rng *r, uint32_t i, bool broken)
{
    const struct person *p = &g->p[i];
    struct cdp_buf *b = cdp_output_buffer(g->shop);
    size_t id_at;
    cdp_buf_adds(b, "{\"id\":");
    id_at = b->len;
    cdp_buf_add_u64(b, p->shop_id);
    size_t id_len = b->len - id_at;
    char idtext[16];
    memcpy(idtext, b->data + id_at, id_len);
    cdp_buf_adds(b, ",\"email\":\"");
    put_shop_email(b, g, p, r);
    cdp_buf_adds(b, "\",\"phone\":");
    put_shop_phone(b, p, r);
    cdp_buf_adds(b, ",\"name\":");
    bool latin;
    if (broken) {
        /* An export that did not escape quotes in a nickname. */
        cdp_buf_addc(b, '"');
        cdp_buf_adds(b, first_of(g, p));
        cdp_buf_adds(b, " \"");
        cdp_buf_adds(b, first_of(g, p));
        cdp_buf_adds(b, "\" ");
        cdp_buf_adds(b, surname_of(g, p));
        cdp_buf_addc(b, '"');
        latin = false;
    } else {
        struct cdp_buf *name = &g->tmp;
        cdp_buf_reset(name);
        put_shop_name(name, g, p, r, &latin);
        cdp_json_add_string(b, name->data, name->len);
    }
    cdp_buf_adds(b, ",\"birthday\":");
    put_shop_birthday(b, p, r);
    cdp_buf_adds(b, ",\"gender\":");
    cdp_buf_adds(b, gen_chance(r, 0.05) ? "null" : p->sex == GEN_SEX_M ? "\"male\"" : "\"female\"");
    cdp_buf_adds(b, ",\"city\":\"");
    const struct gen_city *c = &g->v->cities[p->city];
    double u = gen_unit(r);
    if (u < 0.03)
        ;
    else if (latin && u < 0.6)
        c->latin ? cdp_buf_adds(b, c->latin) : gen_translit(b, c->name, GEN_TR_POPULAR);
    else
        cdp_buf_adds(b, c->name);
    cdp_buf_adds(b, "\",\"subscribed\":");
    cdp_buf_adds(b, gen_chance(r, 0.72) ? "true" : "false");
    /* Local times: the shop writes them with their offset. */
    int64_t created = (int64_t)p->shop_day * 86400 + gen_below(r, 86400);
    int64_t updated = created;
    if (!gen_chance(r, 0.15))
        updated += (int64_t)(gen_unit(r) * (double)(g->as_of * 86400 - created));
    cdp_buf_adds(b, ",\"created_at\":\"");
    put_iso(b, created, -1, "+03:00\"");
    cdp_buf_adds(b, ",\"updated_at\":\"");
    put_iso(b, updated, -1, "+03:00\"");
    if (gen_chance(r, 0.8)) {
        unsigned x = gen_below(r, 100), k = 0;
        while (x >= utm_weight[k]) {
            x -= utm_weight[k];
            k++;
        }
        cdp_buf_adds(b, ",\"utm_source\":\"");
        cdp_buf_adds(b, utm_sources[k]);
        cdp_buf_addc(b, '"');
    }
    cdp_buf_adds(b, "}\n");
    cdp_output_flush_some(g->shop);
    g->counts->shop++;
    truth_row(g, "shop", idtext, id_len, i);
}

static void write_shop(struct gen *g)
{
    struct gen_rng r;
    gen_rng_for(&r, g->opt->seed, STREAM_SHOP, 0, 0);
    uint64_t rows = 0;
    uint64_t broken_at = g->n > 100 ? 11 + g->opt->seed % 53 : UINT64_MAX;
    for (uint32_t i = 0; i < g->n; i++) {
        if (!g->p[i].shop_id)
            continue;
        rows++;
        write_shop_row(g, &r, i, rows == broken_at || gen_below(&r, 100000) == 0);
    }
}

/* ---------------------------------------------------------------------
 * Sessions: keys, sorting. */

struct keys {
    uint64_t *k;
    size_t n, cap;
};

static void keys_add(struct keys *ks, uint64_t ts, uint64_t entity, uint64_t k)
{
    if (ks->n == ks->cap) {
        ks->cap = ks->cap ? ks->cap * 2 : 1 << 16;
        ks->k = cdp_xrealloc(ks->k, ks->cap * sizeof *ks->k);
    }
    ks->k[ks->n++] = (ts << KEY_TS_SHIFT) | (entity << KEY_ENTITY_SHIFT) | k;
}

/* LSD radix sort, 16 bits a pass. */
static void keys_sort(struct keys *ks)
{
    uint64_t *a = ks->k, *t = cdp_xmalloc((ks->n ? ks->n : 1) * sizeof *t);
    size_t *count = cdp_xmalloc(65536 * sizeof *count);
    for (int shift = 0; shift < 64; shift += 16) {
        memset(count, 0, 65536 * sizeof *count);
        for (size_t i = 0; i < ks->n; i++)
            count[(a[i] >> shift) & 0xFFFF]++;
        size_t sum = 0;
        for (size_t i = 0; i < 65536; i++) {
            size_t c = count[i];
            count[i] = sum;
            sum += c;
        }
        for (size_t i = 0; i < ks->n; i++)
            t[count[(a[i] >> shift) & 0xFFFF]++] = a[i];
        uint64_t *x = a;
        a = t;
        t = x;
    }
    /* Four passes: the sorted keys are back in the original array. */
    ks->k = a;
    free(t);
    free(count);
}

static void key_split(uint64_t key, int64_t *ts, uint32_t *entity, uint32_t *k)
{
    *ts = (int64_t)(key >> KEY_TS_SHIFT);
    *entity = (uint32_t)((key >> KEY_ENTITY_SHIFT) & KEY_ENTITY_MASK);
    *k = (uint32_t)(key & KEY_K_MASK);
}

/* A day in [from, as_of). */
static int64_t draw_day(const struct gen *g, struct gen_rng *r, int64_t from)
{
    if (from >= g->as_of)
        from = g->as_of - 1;
    return from + gen_below(r, (uint32_t)(g->as_of - from));
}

/* ---------------------------------------------------------------------
 * pos-receipts.csv */

struct line {
    uint16_t prod;
    int16_t qty;
    int64_t amount; /* rubles */
};

enum ident { ID_CARD, ID_PHONE, ID_PLACEHOLDER, ID_NONE };

struct receipt {
    int64_t ts; /* UTC seconds */
    bool ret;
    unsigned store;
    enum ident ident;
    uint8_t phone_fmt, placeholder;
    bool new_card, short_card;
    unsigned n;
    struct line lines[8];
};

/* A product of a category. */
static unsigned draw_product(const struct gen *g, struct gen_rng *r, unsigned cat)
{
    size_t a = g->v->cat_first[cat], b = g->v->cat_first[cat + 1];
    return (unsigned)(a + gen_below(r, (uint32_t)(b - a)));
}

/* The category a person looks at or buys: mostly the room they furnish. */
static unsigned draw_category(struct gen_rng *r, const struct person *p, int64_t day)
{
    double u = gen_unit(r);
    if (p && u < 0.65)
        return day < p->room_switch ? p->room_a : p->room_b;
    if (u < 0.8)
        return GEN_CAT_TEXTILE;
    return 1 + gen_below(r, GEN_NCAT - 1);
}

/* The time of receipt k of an entity, and the stream positioned after it. */
static void pos_session(const struct gen *g, uint32_t entity, uint32_t k, struct gen_rng *r,
                        struct receipt *rc)
{
    gen_rng_for(r, g->opt->seed, STREAM_POS, entity, k);
    const struct person *p = entity < g->n ? &g->p[entity] : NULL;
    int64_t day = draw_day(g, r, p ? p->first_day : g->win_start);
    rc->ts = day * 86400 + gen_range(r, 10 * 3600, 22 * 3600 - 60) - SEC_MSK;
    rc->ret = false;
    if (p && (k & 1) && gen_chance(r, 0.06)) {
        /* A return of part of the previous receipt, some days later. */
        struct gen_rng r2;
        struct receipt prev;
        pos_session(g, entity, k - 1, &r2, &prev);
        int64_t ts = floor_div(prev.ts + SEC_MSK, 86400) * 86400 + 86400 * gen_range(r, 1, 14) +
                     gen_range(r, 10 * 3600, 22 * 3600 - 60) - SEC_MSK;
        if (ts < g->as_of * 86400 - SEC_MSK - 3600 && !prev.ret) {
            rc->ts = ts;
            rc->ret = true;
        }
    }
}

static void receipt_content(const struct gen *g, uint32_t entity, struct gen_rng *r,
                            struct receipt *rc)
{
    const struct person *p = entity < g->n ? &g->p[entity] : NULL;
    int64_t day = floor_div(rc->ts + SEC_MSK, 86400);
    rc->store = p ? (gen_chance(r, 0.85) ? p->home_store : pick(&g->v->w_store, r))
                  : pick(&g->v->w_store, r);
    rc->ident = ID_NONE;
    if (p) {
        double u = gen_unit(r);
        rc->ident = u < 0.06 ? ID_PLACEHOLDER : u < 0.18 || !p->card ? ID_PHONE : ID_CARD;
        if (rc->ident == ID_PHONE && !p->phone && !p->home)
            rc->ident = ID_PLACEHOLDER;
        rc->phone_fmt = (uint8_t)gen_below(r, NPHONE_FMT);
        rc->placeholder = (uint8_t)gen_below(r, 2);
        rc->new_card = p->dup_card && day >= p->dup_day && gen_chance(r, 0.7);
        rc->short_card = gen_chance(r, 0.02);
    }
    rc->n = 1;
    while (rc->n < 6 && gen_chance(r, 0.5))
        rc->n++;
    unsigned disc = gen_chance(r, 0.12) ? 5 * (1 + gen_below(r, 4)) : 0;
    for (unsigned j = 0; j < rc->n; j++) {
        struct line *l = &rc->lines[j];
        unsigned cat = j == 0 || gen_chance(r, 0.6) ? draw_category(r, p, day) : GEN_CAT_TEXTILE;
        l->prod = (uint16_t)draw_product(g, r, cat);
        const struct gen_product *pr = &g->v->products[l->prod];
        l->qty =
            (int16_t)(pr->qty_max > 1 && gen_chance(r, 0.5) ? gen_range(r, 2, pr->qty_max) : 1);
        l->amount = (int64_t)pr->price * l->qty;
        if (disc && (j == 0 || gen_chance(r, 0.5)))
            l->amount = (l->amount * (100 - disc) + 50) / 100;
    }
}

static void write_pos(struct gen *g)
{
    struct keys ks = { NULL, 0, 0 };
    const int64_t base = g->win_start * 86400;
    struct gen_rng r;
    struct receipt rc;
    for (uint32_t i = 0; i < g->n; i++)
        for (uint32_t k = 0; k < g->p[i].n_pos; k++) {
            pos_session(g, i, k, &r, &rc);
            keys_add(&ks, (uint64_t)(rc.ts - base), i, k);
        }
    for (uint32_t a = 0; a < g->n_walkins; a++) {
        pos_session(g, g->n + a, 0, &r, &rc);
        keys_add(&ks, (uint64_t)(rc.ts - base), g->n + a, 0);
    }
    keys_sort(&ks);

    static const char bom_header[] = "\xEF\xBB\xBF"
                                     "Чек;Дата;Магазин;Карта;Телефон;Артикул;Товар;Категория;"
                                     "Кол-во;Цена;Сумма\r\n";
    cdp_output_write(g->pos, bom_header, sizeof bom_header - 1);
    uint32_t *counter = cdp_xcalloc(g->v->nstores, sizeof *counter);
    for (size_t s = 0; s < g->v->nstores; s++)
        counter[s] = 1000 + (uint32_t)(gen_mix(g->opt->seed ^ s) % 9000);
    uint64_t row = 0;
    for (size_t x = 0; x < ks.n; x++) {
        int64_t ts;
        uint32_t entity, k;
        key_split(ks.k[x], &ts, &entity, &k);
        pos_session(g, entity, k, &r, &rc);
        const struct person *p = entity < g->n ? &g->p[entity] : NULL;
        if (rc.ret) {
            /* What was bought, then which line comes back and how many. */
            struct gen_rng r2;
            struct receipt prev;
            pos_session(g, entity, k - 1, &r2, &prev);
            receipt_content(g, entity, &r2, &prev);
            struct line l = prev.lines[gen_below(&r, prev.n)];
            int16_t q =
                (int16_t)(l.qty > 1 && gen_chance(&r, 0.5) ? gen_range(&r, 1, l.qty) : l.qty);
            l.amount = -(l.amount * q / l.qty);
            l.qty = (int16_t)-q;
            int64_t ts0 = rc.ts;
            rc = prev;
            rc.ts = ts0;
            rc.ret = true;
            rc.n = 1;
            rc.lines[0] = l;
        } else {
            receipt_content(g, entity, &r, &rc);
        }
        g->counts->receipts++;
        const struct gen_store *st = &g->v->stores[rc.store];
        const char *sep = st->nbsp ? "\xC2\xA0" : " ";
        struct cdp_buf *h = &g->row;
        cdp_buf_reset(h);
        put2(h, rc.store + 1);
        cdp_buf_addc(h, '-');
        put_padded(h, counter[rc.store]++, 6);
        cdp_buf_addc(h, ';');
        int64_t local = rc.ts + SEC_MSK;
        int64_t day = floor_div(local, 86400);
        unsigned sec = (unsigned)(local - day * 86400);
        put_dmy(h, day);
        cdp_buf_addc(h, ' ');
        put2(h, sec / 3600);
        cdp_buf_addc(h, ':');
        put2(h, sec / 60 % 60);
        cdp_buf_addc(h, ';');
        cdp_buf_adds(h, st->name);
        cdp_buf_addc(h, ';');
        if (p && rc.ident == ID_CARD) {
            uint32_t card = rc.new_card ? p->dup_card : p->card;
            if (rc.short_card)
                cdp_buf_add_u64(h, card);
            else
                put_padded(h, card, 7);
        }
        cdp_buf_addc(h, ';');
        if (p && rc.ident == ID_PHONE) {
            uint64_t num = p->phone ? p->phone : p->home;
            put_phone(h, num, area_len(g, num, p->city), rc.phone_fmt);
        } else if (p && rc.ident == ID_PLACEHOLDER) {
            cdp_buf_adds(h, placeholders[rc.placeholder]);
        }
        cdp_buf_addc(h, ';');
        for (unsigned j = 0; j < rc.n; j++) {
            const struct line *l = &rc.lines[j];
            const struct gen_product *pr = &g->v->products[l->prod];
            struct cdp_buf *b = cdp_output_buffer(g->pos);
            cdp_buf_add(b, h->data, h->len);
            cdp_buf_add_u64(b, pr->sku);
            cdp_buf_addc(b, ';');
            cdp_buf_adds(b, g->csv_name[l->prod]);
            cdp_buf_addc(b, ';');
            cdp_buf_adds(b, g->v->categories[pr->cat]);
            cdp_buf_addc(b, ';');
            if (l->qty < 0)
                cdp_buf_addc(b, '-');
            cdp_buf_add_u64(b, (unsigned)(l->qty < 0 ? -l->qty : l->qty));
            cdp_buf_addc(b, ';');
            put_money(b, pr->price, sep);
            cdp_buf_addc(b, ';');
            put_money(b, l->amount, sep);
            cdp_buf_adds(b, "\r\n");
            cdp_output_flush_some(g->pos);
            g->counts->pos++;
            truth_row_n(g, "pos", ++row, p ? (int64_t)entity : -1);
        }
    }
    free(counter);
    free(ks.k);
}

/* ---------------------------------------------------------------------
 * web-events.ndjson.zst */

/* Local hours of visits, weighted (evenings). */
static const unsigned hour_weight[24] = { 3,  2,  1,  1,  1,  1,  2,  4,  6,  8,  9,  10,
                                          11, 11, 11, 11, 12, 14, 17, 20, 22, 20, 14, 7 };

static void put_uuid(struct cdp_buf *b, uint64_t hi, uint64_t lo)
{
    static const char hex[] = "0123456789abcdef";
    hi = (hi & ~0xF000ULL) | 0x4000ULL;                           /* version 4 */
    lo = (lo & ~(0xC000000000000000ULL)) | 0x8000000000000000ULL; /* variant */
    char s[36];
    int j = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            s[j++] = '-';
        uint8_t byte = (uint8_t)(i < 8 ? hi >> (56 - 8 * i) : lo >> (56 - 8 * (i - 8)));
        s[j++] = hex[byte >> 4];
        s[j++] = hex[byte & 15];
    }
    cdp_buf_add(b, s, 36);
}

struct visit {
    int64_t ts;
    bool app, logged_in;
};

static void web_session(const struct gen *g, uint32_t entity, uint32_t k, struct gen_rng *r,
                        struct visit *v)
{
    gen_rng_for(r, g->opt->seed, STREAM_WEB, entity, k);
    const struct person *p = entity < g->n ? &g->p[entity] : NULL;
    int64_t from = p ? (p->shop_day > p->first_day ? p->shop_day : p->first_day) : g->win_start;
    int64_t day = draw_day(g, r, from);
    unsigned total = 0, h = 0;
    for (int i = 0; i < 24; i++)
        total += hour_weight[i];
    unsigned x = gen_below(r, total);
    while (x >= hour_weight[h]) {
        x -= hour_weight[h];
        h++;
    }
    int64_t ts = day * 86400 + h * 3600 + gen_below(r, 3600) - SEC_MSK;
    if (ts < g->win_start * 86400)
        ts += 86400;
    if (ts > g->as_of * 86400 - 2 * 3600)
        ts -= 86400;
    v->ts = ts;
    v->app = gen_chance(r, p ? 0.35 : 0.2);
    v->logged_in = p && gen_chance(r, v->app ? 0.95 : 0.7);
}

struct web_ctx {
    struct gen *g;
    const struct person *p;
    uint32_t entity;
    const struct visit *v;
    struct cdp_buf anon, email, cid;
    int64_t t;
    unsigned ms;
    int64_t order_day; /* orders are numbered per day: W-YYMMDD-NNNN */
    unsigned order_no;
};

/* Starts an event line: ts, event, anon_id, email, customer_id. */
static struct cdp_buf *event_start(struct web_ctx *c, const char *event)
{
    struct cdp_buf *b = cdp_output_buffer(c->g->web);
    cdp_buf_adds(b, "{\"ts\":\"");
    put_iso(b, c->t, c->v->app ? (int)c->ms : -1, "Z\"");
    cdp_buf_adds(b, ",\"event\":\"");
    cdp_buf_adds(b, event);
    cdp_buf_adds(b, "\",\"anon_id\":\"");
    cdp_buf_add(b, c->anon.data, c->anon.len);
    cdp_buf_addc(b, '"');
    if (c->v->logged_in) {
        cdp_buf_adds(b, ",\"email\":\"");
        cdp_buf_add(b, c->email.data, c->email.len);
        cdp_buf_adds(b, "\",\"customer_id\":\"");
        cdp_buf_add(b, c->cid.data, c->cid.len);
        cdp_buf_addc(b, '"');
    }
    return b;
}

static void event_end(struct web_ctx *c, struct cdp_buf *b)
{
    cdp_buf_adds(b, ",\"channel\":\"");
    cdp_buf_adds(b, c->v->app ? "app" : "web");
    cdp_buf_adds(b, "\"}\n");
    cdp_output_flush_some(c->g->web);
    struct gen *g = c->g;
    if (g->web_n == g->web_cap) {
        g->web_cap = g->web_cap ? g->web_cap * 2 : 1 << 16;
        g->web_who = cdp_xrealloc(g->web_who, g->web_cap * sizeof *g->web_who);
    }
    g->web_who[g->web_n++] = c->p ? c->entity : NO_PERSON;
}

static void put_item(struct cdp_buf *b, const struct gen *g, unsigned prod, int qty)
{
    const struct gen_product *pr = &g->v->products[prod];
    cdp_buf_adds(b, ",\"sku\":\"");
    cdp_buf_add_u64(b, pr->sku);
    cdp_buf_adds(b, "\",\"category\":\"");
    cdp_buf_adds(b, g->v->categories[pr->cat]);
    cdp_buf_adds(b, "\",\"price\":");
    cdp_buf_add_u64(b, pr->price);
    if (qty > 0) {
        cdp_buf_adds(b, ",\"qty\":");
        cdp_buf_add_u64(b, (unsigned)qty);
    }
}

static void tick(struct web_ctx *c, struct gen_rng *r, unsigned lo, unsigned hi)
{
    c->t += gen_range(r, lo, hi);
    c->ms = gen_below(r, 1000);
}

/* Every session of the run (persons' and anonymous visitors'), as keys in
 * time order: the file is written in that order. */
static void web_sessions_in_order(struct gen *g, struct keys *ks)
{
    const int64_t base = g->win_start * 86400;
    struct gen_rng r;
    struct visit v;
    for (uint32_t i = 0; i < g->n; i++)
        for (uint32_t k = 0; k < g->p[i].n_web; k++) {
            web_session(g, i, k, &r, &v);
            keys_add(ks, (uint64_t)(v.ts - base), i, k);
        }
    for (uint32_t a = 0; a < g->n_visitors; a++) {
        uint32_t entity = g->n + g->n_walkins + a;
        uint32_t nk = 1 + (uint32_t)(gen_mix(g->opt->seed ^ ((uint64_t)entity << 20)) % 3);
        for (uint32_t k = 0; k < nk; k++) {
            web_session(g, entity, k, &r, &v);
            keys_add(ks, (uint64_t)(v.ts - base), entity, k);
        }
    }
    keys_sort(ks);
}

/* Who the session's events name: the anonymous id (a cookie lives 120
 * days, an app install for ever) and, logged in, the e-mail and account. */
static void web_visitor(struct web_ctx *c, uint32_t entity, const struct visit *v)
{
    struct gen *g = c->g;
    const struct person *p = entity < g->n ? &g->p[entity] : NULL;
    c->p = p;
    c->entity = entity;
    c->v = v;
    c->t = v->ts;
    /* The browser's cookie lives 120 days; an app install for ever. A
     * family member on the family's computer has the leader's browser. */
    uint64_t epoch = v->app ? 0 : (uint64_t)(v->ts / (120 * 86400));
    uint64_t device = p && (p->flags & P_SHARED_PC) && !v->app ? p->partner : entity;
    cdp_buf_reset(&c->anon);
    put_uuid(&c->anon, gen_mix(g->opt->seed ^ gen_mix(device * 4ULL + v->app) ^ epoch),
             gen_mix(gen_mix(g->opt->seed + device) ^ (epoch << 1 | v->app)));
    if (v->logged_in) {
        cdp_buf_reset(&c->email);
        put_email(&c->email, g, p, (p->flags & P_SHOP_E2) ? &p->e2 : &p->e1);
        cdp_buf_reset(&c->cid);
        cdp_buf_add_u64(&c->cid, p->shop_id);
    }
}

/* Browsing: views, mostly of the room being furnished. The products viewed
 * (up to 24) go into viewed; returns how many. */
static unsigned web_browse(struct web_ctx *c, struct gen_rng *r, unsigned viewed[24])
{
    int64_t day = floor_div(c->v->ts, 86400);
    unsigned nviewed = 0, nviews = 1;
    while (nviews < 20 && gen_chance(r, 0.78))
        nviews++;
    for (unsigned j = 0; j < nviews; j++) {
        unsigned prod = nviewed && gen_chance(r, 0.2)
                            ? viewed[gen_below(r, nviewed)]
                            : draw_product(c->g, r, draw_category(r, c->p, day));
        if (nviewed < 24)
            viewed[nviewed++] = prod;
        if (j)
            tick(c, r, 8, 240);
        struct cdp_buf *b = event_start(c, "view");
        put_item(b, c->g, prod, 0);
        event_end(c, b);
    }
    return nviewed;
}

/* A cart: one to three different products of the viewed ones (fewer when
 * fewer were viewed), into cart and qty; returns how many. */
static unsigned web_cart(struct web_ctx *c, struct gen_rng *r, const unsigned *viewed,
                         unsigned nviewed, unsigned cart[3], unsigned qty[3])
{
    unsigned ncart = 1 + (gen_chance(r, 0.3) ? 1 + gen_below(r, 2) : 0);
    unsigned from = gen_below(r, nviewed);
    for (unsigned j = 0; j < ncart; j++) {
        cart[j] = viewed[(from + j) % nviewed];
        bool again = false;
        for (unsigned i = 0; i < j; i++)
            again |= cart[i] == cart[j];
        if (again)
            return j;
        unsigned qmax = c->g->v->products[cart[j]].qty_max;
        qty[j] = qmax > 1 && gen_chance(r, 0.4) ? (unsigned)gen_range(r, 2, qmax) : 1;
        tick(c, r, 20, 300);
        struct cdp_buf *b = event_start(c, "cart_add");
        put_item(b, c->g, cart[j], (int)qty[j]);
        event_end(c, b);
    }
    return ncart;
}

/* The cart closed by a purchase: a checkout, then each item purchased,
 * under the day's next order id. */
static void web_checkout(struct web_ctx *c, struct gen_rng *r, const unsigned *cart,
                         const unsigned *qty, unsigned ncart)
{
    int64_t od = floor_div(c->t, 86400);
    if (od != c->order_day) {
        c->order_day = od;
        c->order_no = 0;
    }
    struct cdp_buf oid = CDP_BUF_INIT;
    int y, m, d;
    cdp_civil_from_days(od, &y, &m, &d);
    cdp_buf_adds(&oid, "W-");
    put2(&oid, (unsigned)y % 100);
    put2(&oid, (unsigned)m);
    put2(&oid, (unsigned)d);
    cdp_buf_addc(&oid, '-');
    c->order_no++;
    cdp_buf_add_digits(&oid, c->order_no, c->order_no < 10000 ? 4 : 6);
    tick(c, r, 30, 400);
    struct cdp_buf *b = event_start(c, "checkout");
    cdp_buf_adds(b, ",\"order_id\":\"");
    cdp_buf_add(b, oid.data, oid.len);
    cdp_buf_addc(b, '"');
    event_end(c, b);
    for (unsigned j = 0; j < ncart; j++) {
        tick(c, r, 5, 120);
        b = event_start(c, "purchase");
        put_item(b, c->g, cart[j], (int)qty[j]);
        cdp_buf_adds(b, ",\"order_id\":\"");
        cdp_buf_add(b, oid.data, oid.len);
        cdp_buf_addc(b, '"');
        event_end(c, b);
    }
    cdp_buf_release(&oid);
}

static void *write_web(void *arg)
{
    struct gen *g = arg;
    struct keys ks = { NULL, 0, 0 };
    web_sessions_in_order(g, &ks);
    struct gen_rng r;
    struct visit v;
    struct web_ctx c = { .g = g, .order_day = -1 };
    for (size_t x = 0; x < ks.n; x++) {
        int64_t ts;
        uint32_t entity, k;
        key_split(ks.k[x], &ts, &entity, &k);
        web_session(g, entity, k, &r, &v);
        web_visitor(&c, entity, &v);
        c.ms = gen_below(&r, 1000);
        unsigned viewed[24], nviewed = web_browse(&c, &r, viewed);
        if (!gen_chance(&r, v.logged_in ? 0.32 : 0.15))
            continue;
        unsigned cart[3], qty[3], ncart = web_cart(&c, &r, viewed, nviewed, cart, qty);
        double u = gen_unit(&r);
        if (v.logged_in && u < 0.45) {
            web_checkout(&c, &r, cart, qty, ncart);
        } else if (u < (v.logged_in ? 0.65 : 0.3)) {
            /* Thought better of one item; the rest of the cart stays. */
            unsigned j = gen_below(&r, ncart);
            tick(&c, &r, 10, 300);
            struct cdp_buf *b = event_start(&c, "cart_remove");
            put_item(b, g, cart[j], (int)qty[j]);
            event_end(&c, b);
        }
        /* Otherwise the cart is left as it is: abandoned once a day old. */
    }
    cdp_buf_release(&c.anon);
    cdp_buf_release(&c.email);
    cdp_buf_release(&c.cid);
    free(ks.k);
    return NULL;
}

/* ---------------------------------------------------------------------
 * The run. */

static struct cdp_output *open_in(const char *dir, const char *name, struct cdp_error *err)
{
    struct cdp_buf path = CDP_BUF_INIT;
    cdp_buf_printf(&path, "%s/%s", dir, name);
    struct cdp_output *o = cdp_output_open(path.data, NULL, err);
    cdp_buf_release(&path);
    return o;
}

static int commit(struct cdp_output **o, struct cdp_error *err)
{
    int r = cdp_output_commit(*o, err);
    *o = NULL;
    return r;
}

int cdp_gen_run(const struct cdp_gen_options *opt, struct cdp_gen_counts *counts,
                struct cdp_error *err)
{
    memset(counts, 0, sizeof *counts);
    if (opt->persons < 1 || opt->persons > CDP_GEN_MAX_PERSONS)
        return cdp_errorf(err, "the number of persons must be 1 to %u", CDP_GEN_MAX_PERSONS);
    if ((double)opt->persons * opt->events_per_person > CDP_GEN_MAX_EVENTS)
        return cdp_errorf(err, "at most %.0f events in all", CDP_GEN_MAX_EVENTS);
    if (mkdir(opt->dir, 0700) < 0 && errno != EEXIST)
        return cdp_errorf_errno(err, errno, "cannot create '%s'", opt->dir);

    struct gen g;
    memset(&g, 0, sizeof g);
    g.opt = opt;
    g.counts = counts;
    g.n = (uint32_t)opt->persons;
    g.as_of = opt->as_of_day;
    g.win_start = g.as_of - 3 * 365;
    g.crm_start = g.as_of - 10 * 365;
    g.shop_start = g.as_of - 7 * 365;
    g.birth_hi = year_of(g.as_of) - 19;
    g.birth_lo = g.birth_hi - 67;
    g.id_width = 7;
    for (uint64_t x = 10000000; x <= opt->persons; x *= 10)
        g.id_width++;
    /* Anonymous buyers and visitors: about 5% and 6% of the events. */
    double events = (double)opt->persons * opt->events_per_person;
    g.n_walkins = (uint32_t)(events * 0.05 / 2.0);
    g.n_visitors = (uint32_t)(events * 0.06 / 12.0);
    int status = -1;
    g.v = gen_vocab_new();
    g.csv_name = cdp_xcalloc(g.v->nproducts, sizeof *g.csv_name);
    for (size_t i = 0; i < g.v->nproducts; i++) {
        struct cdp_buf b = CDP_BUF_INIT;
        put_csv_field(&b, g.v->products[i].name);
        g.csv_name[i] = cdp_buf_detach(&b, NULL);
    }
    if (!(g.crm = open_in(opt->dir, "crm.csv", err)) ||
        !(g.shop = open_in(opt->dir, "shop-customers.jsonl", err)) ||
        !(g.pos = open_in(opt->dir, "pos-receipts.csv", err)) ||
        !(g.web = open_in(opt->dir, "web-events.ndjson.zst", err)) ||
        !(g.truth = open_in(opt->dir, "truth.csv", err)))
        goto done;

    make_persons(&g);
    free(g.ids.slot);
    g.ids.slot = NULL;
    order_dups(&g);
    cdp_output_write(g.truth, "_source,_rid,person\n", strlen("_source,_rid,person\n"));
    /* The web file on a second core (it is the one compressed); the rest
     * here, in order. */
    pthread_t web_thread;
    bool threaded = pthread_create(&web_thread, NULL, write_web, &g) == 0;
    write_crm(&g);
    write_shop(&g);
    write_pos(&g);
    if (threaded)
        pthread_join(web_thread, NULL);
    else
        write_web(&g);
    counts->web = g.web_n;
    for (size_t i = 0; i < g.web_n; i++)
        truth_row_n(&g, "web", i + 1, g.web_who[i] == NO_PERSON ? -1 : (int64_t)g.web_who[i]);
    if (commit(&g.crm, err) < 0 || commit(&g.shop, err) < 0 || commit(&g.pos, err) < 0 ||
        commit(&g.web, err) < 0 || commit(&g.truth, err) < 0)
        goto done;
    status = 0;
done:
    cdp_output_abort(g.crm);
    cdp_output_abort(g.shop);
    cdp_output_abort(g.pos);
    cdp_output_abort(g.web);
    cdp_output_abort(g.truth);
    if (g.csv_name)
        for (size_t i = 0; i < g.v->nproducts; i++)
            free(g.csv_name[i]);
    free(g.csv_name);
    free(g.ids.slot);
    free(g.p);
    free(g.dups);
    free(g.web_who);
    cdp_buf_release(&g.row);
    cdp_buf_release(&g.tmp);
    gen_vocab_free(g.v);
    return status;
}
