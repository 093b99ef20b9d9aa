/* find.h: memmem for the short needles cdp looks for in every line of a
 * file (a key or a segment's name, in quotes).
 *
 * glibc's memmem reads a line that does not hold the needle at about two
 * instructions a byte; cdp-export looked for two such needles in every
 * profile line and memmem was a tenth of its instructions (callgrind, SMS
 * export of 130,876 profiles). This one tests sixteen places at a time for
 * two of the needle's bytes (SSE2, which every x86-64 has; memmem
 * elsewhere) and compares the whole needle only where both match. */
#ifndef CDP_BASE_FIND_H
#define CDP_BASE_FIND_H

#include <stddef.h>

/* The first place in hay[0..n) where needle[0..m) starts, or NULL; hay
 * when m is 0. The same answer as memmem. */
const char *cdp_find(const char *hay, size_t n, const char *needle, size_t m);

#endif
