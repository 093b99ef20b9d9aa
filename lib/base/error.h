/* error.h: how library code reports a failure to its caller.
 *
 * Library functions never print or exit. They fill a struct cdp_error with a
 * one-line message (lower case, no full stop, what failed first) and return
 * -1 (or NULL); the program decides how to show it. */
#ifndef CDP_BASE_ERROR_H
#define CDP_BASE_ERROR_H

#include <stddef.h>

struct cdp_error {
    char msg[1024];
};

/* Formats the message into err (which may be NULL) and returns -1. */
int cdp_errorf(struct cdp_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Like cdp_errorf, then appends ": " and strerror(errnum). Returns -1. */
int cdp_errorf_errno(struct cdp_error *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
