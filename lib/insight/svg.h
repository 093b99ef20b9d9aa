/* svg.h: the report's charts, drawn as inline SVG.
 *
 * Charts are text in the page: they need no script or network, print
 * sharply, can be diffed and tested, and scale with the page (a viewBox,
 * no fixed size), so one drawing serves a laptop and a phone. The page's
 * style sheet colours them through classes (series s0..s7, .bar, .axis,
 * .grid...); only a heat map's cell shades are computed here. Every label
 * is taken as given (the caller formats numbers for the language) and
 * escaped. Each chart carries role="img" and its title as aria-label.
 *
 * A chart is drawn for a width (struct cdp_svg_size): its viewBox is that
 * many units wide, text 12 units high, and it is never shown wider than
 * that many pixels, so text reads at 12 px wherever the chart has its
 * room. A page that must also fit a phone draws a second, narrower copy
 * rather than shrinking the wide one (a 540-unit chart on a 350 px screen
 * would have 8 px text); the class tells the page's style sheet which to
 * show. Labels that do not fit are cut, with an ellipsis. */
#ifndef CDP_INSIGHT_SVG_H
#define CDP_INSIGHT_SVG_H

#include <stddef.h>

#include "base/buf.h"

struct cdp_svg_size {
    double width;    /* units (and the most pixels it is shown at) */
    const char *cls; /* added to the <svg>'s classes, or NULL */
};

/* Formats an axis value (for ticks). */
typedef void (*cdp_svg_fmt)(struct cdp_buf *b, double v, void *ctx);

/* Appends s with &, <, >, " and ' escaped, for HTML and SVG text. */
void cdp_xml_text(struct cdp_buf *b, const char *s);

/* Lines over a common x axis (nights): one per series, NaN for a missing
 * point; a single point is drawn as a dot. At most 8 series are told apart
 * by colour. */
struct cdp_svg_series {
    const char *name;
    const double *values; /* npoints */
};

struct cdp_svg_lines {
    const char *title;
    size_t npoints;
    const char *const *xlabels;
    const struct cdp_svg_series *series;
    size_t nseries;
    cdp_svg_fmt fmt;
    void *ctx;
};
void cdp_svg_lines(struct cdp_buf *b, const struct cdp_svg_size *size, const struct cdp_svg_lines *c);

/* Horizontal bars, one a row with its label on the left and value_labels[i]
 * at its end: top lists (reasons, categories). Values must be >= 0. */
struct cdp_svg_bars {
    const char *title;
    size_t n;
    const char *const *labels;
    const double *values;
    const char *const *value_labels;
};
void cdp_svg_bars(struct cdp_buf *b, const struct cdp_svg_size *size, const struct cdp_svg_bars *c);

/* Vertical columns over labelled bins: a histogram. */
void cdp_svg_columns(struct cdp_buf *b, const struct cdp_svg_size *size, const struct cdp_svg_bars *c);

/* A grid of cells shaded by value (darker is more), each with up to two
 * lines of text: a heat map (RFM) or a matrix (segment overlap). */
struct cdp_svg_grid {
    const char *title;
    size_t rows, cols;
    const char *const *row_labels;
    const char *const *col_labels;
    const double *values;        /* rows * cols, row by row */
    const char *const *text;     /* rows * cols, may be NULL */
    const char *const *subtext;  /* rows * cols, may be NULL */
    const char *row_title, *col_title; /* may be NULL */
};
void cdp_svg_grid(struct cdp_buf *b, const struct cdp_svg_size *size, const struct cdp_svg_grid *c);

/* Estimates with their intervals around a zero line (a forest plot): one
 * row each; an interval of NaN draws the estimate alone. */
struct cdp_svg_intervals {
    const char *title;
    size_t n;
    const char *const *labels;
    const double *estimates, *lows, *highs;
    cdp_svg_fmt fmt;
    void *ctx;
};
void cdp_svg_intervals(struct cdp_buf *b, const struct cdp_svg_size *size, const struct cdp_svg_intervals *c);

#endif
