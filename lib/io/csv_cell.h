/* csv_cell.h: writing CSV cells the way RFC 4180 quotes them.
 *
 * A cell is quoted when it holds the delimiter, a double quote, CR or LF,
 * or starts or ends with a space or a tab (which readers, cdp's own among
 * them, would otherwise trim); inside quotes a double quote is doubled.
 * Nothing else is changed: no escaping of a leading '=' or '+' (an E.164
 * phone starts with '+', and the platforms read the bytes, not Excel). */
#ifndef CDP_IO_CSV_CELL_H
#define CDP_IO_CSV_CELL_H

#include <stddef.h>

#include "base/buf.h"

/* Appends one cell (no delimiter before or after it). */
void cdp_csv_add_cell(struct cdp_buf *out, const char *s, size_t len, char delimiter);

#endif
