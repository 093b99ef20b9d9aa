/* show.h: personal values as messages show them.
 *
 * Messages on stderr, --stats files, the journal and the links file are
 * logs: they are mailed by cron, kept for months and read by people who
 * need not know who the customers are (152-FZ, GDPR: minimum exposure). So
 * an identifier appears in them masked, in a form that lets an analyst
 * recognise a value they already know, and nobody learn one they do not:
 *
 *   e-mail   ivan.petrov@mail.ru  ->  iv***@mail.ru      (the first two
 *            characters of the local part, one when it has four or fewer;
 *            the domain whole: it says which provider, not who)
 *   phone    +79161234501         ->  +7916***4501       (a '+', the first
 *            four digits and the last four; shorter numbers keep the first
 *            two and the last two digits)
 *   text     a card, an id, a name: the first two and the last two
 *            characters of 8 or more (0012345678 -> 00***78), the first of
 *            3 to 7 (Иванов -> И***), none of fewer (***)
 *
 * Whatever is shown, masked or whole, has its control characters escaped
 * (\n, \r, \t, \e, \xNN; a NUL as \0) so that a value cannot clear the
 * analyst's terminal or forge a message line, and invalid UTF-8 is shown
 * as \xNN. Placeholder values that are nobody's (a cashier's +79999999999)
 * are the caller's to show whole: it knows them (identity/keys.h). */
#ifndef CDP_NORM_SHOW_H
#define CDP_NORM_SHOW_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

enum cdp_show_kind {
    CDP_SHOW_AUTO,  /* an e-mail if it has an '@', a phone if it is '+' and
                       digits (spaces, dashes), else text */
    CDP_SHOW_EMAIL,
    CDP_SHOW_PHONE,
    CDP_SHOW_TEXT,
    CDP_SHOW_PLAIN, /* not personal (a country, a category, an amount):
                       shown whole, escaped */
};

/* Appends s (n bytes, any bytes) to out as a message shows it: masked by
 * kind, or whole when clear (--show-values); escaped either way. */
void cdp_show_value(struct cdp_buf *out, const char *s, size_t n, enum cdp_show_kind kind,
                    bool clear);

/* Appends s escaped (never masked): for text that is not personal but
 * came from the input, such as a column name or a file's own words. */
void cdp_show_escaped(struct cdp_buf *out, const char *s, size_t n);

/* Appends msg (n bytes), a message of another's making that quotes the
 * values it is about (jq's: "string (\"ivan.petro...) and number (1) cannot
 * be added", "... (while parsing 'ivan@mail.ru')"), with each quoted part
 * shown as a value of kind CDP_SHOW_AUTO (a part in "..." ends at its
 * closing quote or at jq's "...)" cut; an unclosed one runs to the end),
 * and the rest escaped. A key jq names ("Cannot index string with string
 * \"email\"") is shown whole. A value jq prints unquoted (error(.phone)) cannot
 * be told from its words and is shown as it is. */
void cdp_show_quoted(struct cdp_buf *out, const char *msg, size_t n, bool clear);

/* Appends s with its control characters escaped as above, and nothing
 * else changed (a backslash, invalid UTF-8 stay): the last guard of a whole
 * message line, whose values were shown by the functions above already. */
void cdp_show_controls(struct cdp_buf *out, const char *s, size_t n);

/* The kind of a field's values: CDP_SHOW_EMAIL for "email", CDP_SHOW_PHONE
 * for "phone", CDP_SHOW_TEXT for the other personal fields (names, cards,
 * ids, addresses, birth dates), CDP_SHOW_PLAIN for the other canonical
 * fields (norm/schema.h), CDP_SHOW_AUTO for a field of the user's own (it
 * may hold anything, so it is masked). */
enum cdp_show_kind cdp_show_kind_of(const char *field);

#endif
