/* email.h: e-mail addresses, cleaned and checked.
 *
 * An address is trimmed and lower-cased (the local part too: no mail
 * service this toolkit feeds treats case as significant, and matching people
 * needs one spelling). The check is the practical one mailing services
 * apply, not all of RFC 5322: local@domain; the local part of letters,
 * digits and !#$%&'*+/=?^_`{|}~- in dot-separated runs; a domain of at least
 * two dot-separated labels of letters, digits and inner hyphens, the last
 * at least two letters (or an xn-- label); at most 254 bytes in all, as
 * written (lower-cased). Letters may be non-ASCII
 * (internationalised addresses such as почта@пример.рф). So a valid address
 * holds no byte a JSON string escapes ('"', '\\', controls). */
#ifndef CDP_NORM_EMAIL_H
#define CDP_NORM_EMAIL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

/* Appends the normalised address to out and returns true when it is valid;
 * returns false (out unchanged) when it is not. */
bool cdp_email_normalize(struct cdp_buf *out, const char *s, size_t len);

/* Whether an already normalised address passes the check. */
bool cdp_email_valid(const char *s, size_t len);

#endif
