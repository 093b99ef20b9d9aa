/* csv_cell.h: writing CSV cells the way RFC 4180 quotes them.
 *
 * A cell is quoted when it holds the delimiter, a double quote, CR or LF,
 * or starts or ends with a space or a tab (which readers, cdp's own among
 * them, would otherwise trim); inside quotes a double quote is doubled.
 * Nothing else is changed by cdp_csv_add_cell.
 *
 * cdp_csv_add_text_cell also keeps a cell from being a spreadsheet formula
 * (CSV injection: analysts open exports in Excel or LibreOffice, which run
 * "=HYPERLINK(...)", "+cmd|...", "@SUM(A1)"): a cell starting with '=',
 * '+', '-', '@', TAB or CR gets a "'" before it (OWASP's advice; the
 * spreadsheet shows the text as written), unless it is a number or a phone
 * (an E.164 "+79161234567", "-5.00", "+1 (800) 555-01-00": a sign, then
 * only digits and . , space ( ) -), which a spreadsheet does not run. */
#ifndef CDP_IO_CSV_CELL_H
#define CDP_IO_CSV_CELL_H

#include <stddef.h>

#include "base/buf.h"

/* Appends one cell (no delimiter before or after it). */
void cdp_csv_add_cell(struct cdp_buf *out, const char *s, size_t len, char delimiter);
/* The same, for a text cell of an export: never a formula (see above). */
void cdp_csv_add_text_cell(struct cdp_buf *out, const char *s, size_t len, char delimiter);

#endif
