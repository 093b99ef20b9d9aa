/* Unit tests of lib/identity/keys.h's blocked values: the default
 * expressions block the placeholders they name, and the quick test that
 * spares PCRE2 most values (may_be_default_block) never changes a verdict:
 * a keyset of the defaults alone answers as one that also holds an
 * expression matching nothing, which runs every expression, on every
 * string of up to four characters from the characters the defaults name,
 * and on typical identifiers. */
#include <stdlib.h>

#include "../check.h"
#include "identity/keys.h"

static struct cdp_keyset *quick, *full;
static size_t compared, disagreed;

static void compare(const char *v, size_t n)
{
    compared++;
    if (cdp_keyset_blocked(quick, v, n) != cdp_keyset_blocked(full, v, n)) {
        disagreed++;
        fprintf(stderr, "verdicts differ on \"%.*s\"\n", (int)n, v);
    }
}

static bool blocked(const char *v)
{
    return cdp_keyset_blocked(quick, v, strlen(v));
}

int main(void)
{
    quick = cdp_keyset_new();
    cdp_keyset_default_blocks(quick);
    full = cdp_keyset_new();
    cdp_keyset_default_blocks(full);
    CHECK(cdp_keyset_block_regex(full, "^matches nothing\\x01$", NULL) == 0);

    /* The placeholders, any case. */
    static const char *const yes[] = { "", "0", "000-000", "-", "-1", "NULL", "nil", "None", "N/A", "na",
                                       "Anonymous", "UNKNOWN", "undefined", "test", "+70000000000",
                                       "+79999999999", "+71111111111", "+71234567890", "no@x.ru",
                                       "NoEmail@mail.ru", "no-email@x", "TEST@example.com", "unknown@" };
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        CHECK(blocked(yes[i]));
    static const char *const no[] = { "+79161234567", "+79999999990", "+7999999999", "0010004", "10005",
                                      "-2", "a@b.ru", "nobody@mail.ru", "testing", "null\n", "0\n",
                                      "ivanov@mail.ru", "Иванов", "+71234567891", "x" };
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        CHECK(!blocked(no[i]));

    /* Every string of up to four of these characters (ё: two bytes, K the
     * Kelvin sign, which matches k without regard to case). */
    static const char *const chars[] = { "0", "-", "1", "2", "7", "9", "+", "n", "N", "a", "u", "T",
                                         "@", "x", "/", "\n", "\xd1\x91", "\xe2\x84\xaa" };
    size_t nc = sizeof chars / sizeof *chars;
    char v[32];
    for (size_t len = 0; len <= 4; len++) {
        size_t total = 1;
        for (size_t i = 0; i < len; i++)
            total *= nc;
        for (size_t k = 0; k < total; k++) {
            size_t n = 0, x = k;
            for (size_t i = 0; i < len; i++, x /= nc) {
                size_t cl = strlen(chars[x % nc]);
                memcpy(v + n, chars[x % nc], cl);
                n += cl;
            }
            compare(v, n);
        }
    }
    /* Phones near the placeholder ones: +7, then ten digits of which the
     * first two and the last vary. */
    for (unsigned char a = 0; a < 10; a++)
        for (unsigned char b = 0; b < 10; b++)
            for (unsigned char c = 0; c < 10; c++) {
                /* Digits as characters: gcc -O1 cannot see that %d of a
                 * loop counter below 10 writes one byte. */
                char da = (char)('0' + a), db = (char)('0' + b), dc = (char)('0' + c);
                snprintf(v, sizeof v, "+7%c%c%c%c%c%c%c%c%c%c", da, db, db, db, db, db, db, db, db, dc);
                compare(v, strlen(v));
                snprintf(v, sizeof v, "+7%c%c34567890", da, db);
                compare(v, strlen(v));
            }
    CHECK(compared > 100000 && disagreed == 0);

    cdp_keyset_free(quick);
    cdp_keyset_free(full);
    return check_report("test_keys");
}
