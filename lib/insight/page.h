/* page.h: the report as one HTML page: self-contained (the style sheet
 * inline, the charts inline SVG from svg.h, no script, no font or image
 * to fetch), so it opens from a mail attachment or a file share with no
 * network, prints, and reads on a phone (one column below 720 px). Texts
 * come from texts.h and numbers from lang.h in the page's language. */
#ifndef CDP_INSIGHT_PAGE_H
#define CDP_INSIGHT_PAGE_H

#include <stdbool.h>

#include "base/buf.h"
#include "insight/figures.h"
#include "insight/lang.h"

struct cdp_page_options {
    enum cdp_lang lang;
    const char *title;   /* the shop's name, or NULL */
    const char *folder;  /* the run folder, as the footer names it */
    bool local_links;    /* the page sits in the run folder: link files by name */
};

void cdp_insight_page(const struct cdp_insight *fig, const struct cdp_page_options *opt,
                      struct cdp_buf *out);

#endif
