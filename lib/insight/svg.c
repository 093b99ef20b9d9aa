/* svg.c: see svg.h. Coordinates are in a viewBox as wide as the chart's
 * size says, in which text is 12 units high: drawn at its width, a chart's
 * text is 12 px. */
#include "insight/svg.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#define FONT 12.0
#define SERIES_COLOURS 8

void cdp_xml_text(struct cdp_buf *b, const char *s)
{
    for (; s && *s; s++)
        switch (*s) {
        case '&': cdp_buf_adds(b, "&amp;"); break;
        case '<': cdp_buf_adds(b, "&lt;"); break;
        case '>': cdp_buf_adds(b, "&gt;"); break;
        case '"': cdp_buf_adds(b, "&quot;"); break;
        case '\'': cdp_buf_adds(b, "&#39;"); break;
        default: cdp_buf_addc(b, *s);
        }
}

/* The width of s in the chart's font, estimated: characters (not bytes)
 * times an average advance of 0.6 em. */
static double text_width(const char *s, double size)
{
    size_t chars = 0;
    for (; s && *s; s++)
        chars += ((unsigned char)*s & 0xc0) != 0x80;
    return (double)chars * size * 0.6;
}

static void open_svg(struct cdp_buf *b, const struct cdp_svg_size *size, const char *cls, double height,
                     const char *title)
{
    cdp_buf_printf(b, "<svg class=\"chart %s%s%s\" viewBox=\"0 0 %.0f %.0f\" style=\"max-width:%.0fpx\" "
                      "role=\"img\" aria-label=\"",
                   cls, size->cls ? " " : "", size->cls ? size->cls : "", size->width, height, size->width);
    cdp_xml_text(b, title);
    cdp_buf_adds(b, "\"><title>");
    cdp_xml_text(b, title);
    cdp_buf_adds(b, "</title>");
}

/* s cut to fit max units at size (whole characters, then an ellipsis). */
static const char *fit(struct cdp_buf *out, const char *s, double size, double max)
{
    cdp_buf_reset(out);
    cdp_buf_adds(out, s ? s : "");
    if (text_width(out->data, size) <= max)
        return out->data;
    while (out->len > 0 && text_width(out->data, size) + size * 0.6 > max) {
        do
            out->len--;
        while (out->len > 0 && ((unsigned char)out->data[out->len] & 0xc0) == 0x80);
        out->data[out->len] = '\0';
    }
    cdp_buf_adds(out, "…");
    return out->data;
}

static void text(struct cdp_buf *b, double x, double y, const char *anchor, const char *cls,
                 const char *s)
{
    cdp_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\"", x, y);
    if (anchor)
        cdp_buf_printf(b, " text-anchor=\"%s\"", anchor);
    if (cls)
        cdp_buf_printf(b, " class=\"%s\"", cls);
    cdp_buf_addc(b, '>');
    cdp_xml_text(b, s);
    cdp_buf_adds(b, "</text>");
}

/* A "nice" step (1, 2 or 5 times a power of ten) giving about `ticks`
 * intervals over span. */
static double nice_step(double span, int ticks)
{
    if (!(span > 0))
        return 1;
    double raw = span / ticks, mag = pow(10, floor(log10(raw))), f = raw / mag;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

struct axis {
    double lo, hi, step;
};

/* An axis from 0 (or the lowest negative value) to above the highest. */
static struct axis value_axis(double lo, double hi, int ticks)
{
    struct axis a = { fmin(0, lo), fmax(0, hi), 1 };
    if (a.hi == a.lo)
        a.hi = a.lo + 1;
    a.step = nice_step(a.hi - a.lo, ticks);
    a.lo = floor(a.lo / a.step) * a.step;
    a.hi = ceil(a.hi / a.step) * a.step;
    return a;
}

static void tick_label(struct cdp_buf *b, double v, cdp_svg_fmt fmt, void *ctx)
{
    if (fmt)
        fmt(b, v, ctx);
    else
        cdp_buf_printf(b, "%g", v);
}

/* Horizontal grid lines with their values on the left. */
static void y_grid(struct cdp_buf *b, struct axis a, double left, double right, double top,
                   double bottom, cdp_svg_fmt fmt, void *ctx)
{
    struct cdp_buf label = CDP_BUF_INIT;
    for (double v = a.lo; v <= a.hi + a.step / 2; v += a.step) {
        double y = bottom - (v - a.lo) / (a.hi - a.lo) * (bottom - top);
        cdp_buf_printf(b, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>",
                       left, right, y, y);
        cdp_buf_reset(&label);
        tick_label(&label, fabs(v) < a.step / 1e6 ? 0 : v, fmt, ctx);
        text(b, left - 6, y + 4, "end", "tick", label.data);
    }
    cdp_buf_release(&label);
}

/* The legend under a chart, wrapped into rows; returns its height. */
static double legend(struct cdp_buf *b, double width, const struct cdp_svg_series *s, size_t n,
                     double top, bool draw)
{
    double x = 8, y = top + FONT;
    for (size_t i = 0; i < n; i++) {
        double w = 26 + text_width(s[i].name, FONT) + 16;
        if (x + w > width && x > 8) {
            x = 8;
            y += FONT + 8;
        }
        if (draw) {
            cdp_buf_printf(b, "<line class=\"s%zu\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>",
                           i % SERIES_COLOURS, x, x + 18, y - 4, y - 4);
            text(b, x + 24, y, NULL, "legend", s[i].name);
        }
        x += w;
    }
    return y - top + 6;
}

void cdp_svg_lines(struct cdp_buf *b, const struct cdp_svg_size *size, const struct cdp_svg_lines *c)
{
    double width = size->width;
    double lo = 0, hi = 0;
    for (size_t s = 0; s < c->nseries; s++)
        for (size_t i = 0; i < c->npoints; i++)
            if (isfinite(c->series[s].values[i])) {
                lo = fmin(lo, c->series[s].values[i]);
                hi = fmax(hi, c->series[s].values[i]);
            }
    struct axis a = value_axis(lo, hi, 4);
    struct cdp_buf label = CDP_BUF_INIT;
    double widest = 0;
    for (double v = a.lo; v <= a.hi + a.step / 2; v += a.step) {
        cdp_buf_reset(&label);
        tick_label(&label, v, c->fmt, c->ctx);
        widest = fmax(widest, text_width(label.data, FONT));
    }
    cdp_buf_release(&label);
    double left = 14 + widest, right = width - 16, top = 10, bottom = width < 500 ? 150 : 190;
    double height = bottom + 24 + legend(b, width, c->series, c->nseries, 0, false) + 4;
    open_svg(b, size, "lines", height, c->title);
    y_grid(b, a, left, right, top, bottom, c->fmt, c->ctx);
    double dx = c->npoints > 1 ? (right - left - 20) / (double)(c->npoints - 1) : 0;
    double x0 = c->npoints > 1 ? left + 10 : (left + right) / 2;
    /* x labels: as many as fit, always the first and the last. */
    size_t every = 1;
    while (c->npoints > 1 && dx * (double)every < 48)
        every++;
    for (size_t i = 0; i < c->npoints; i++)
        if (i + 1 == c->npoints || (i % every == 0 && c->npoints - 1 - i >= every))
            text(b, x0 + dx * (double)i, bottom + 18, "middle", "tick", c->xlabels[i]);
    for (size_t s = 0; s < c->nseries; s++) {
        const double *v = c->series[s].values;
        cdp_buf_printf(b, "<g class=\"s%zu\"><path d=\"", s % SERIES_COLOURS);
        bool pen = false;
        for (size_t i = 0; i < c->npoints; i++) {
            if (!isfinite(v[i])) {
                pen = false;
                continue;
            }
            double y = bottom - (v[i] - a.lo) / (a.hi - a.lo) * (bottom - top);
            cdp_buf_printf(b, "%c%.1f %.1f", pen ? 'L' : 'M', x0 + dx * (double)i, y);
            pen = true;
        }
        cdp_buf_adds(b, "\"/>");
        for (size_t i = 0; i < c->npoints; i++)
            if (isfinite(v[i]))
                cdp_buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\"/>", x0 + dx * (double)i,
                               bottom - (v[i] - a.lo) / (a.hi - a.lo) * (bottom - top));
        cdp_buf_adds(b, "</g>");
    }
    legend(b, width, c->series, c->nseries, bottom + 28, true);
    cdp_buf_adds(b, "</svg>");
}

void cdp_svg_bars(struct cdp_buf *b, const struct cdp_svg_size *size, const struct cdp_svg_bars *c)
{
    double width = size->width;
    struct cdp_buf cut = CDP_BUF_INIT;
    double widest = 0, max = 0, value_w = 0;
    for (size_t i = 0; i < c->n; i++) {
        widest = fmax(widest, text_width(c->labels[i], FONT));
        value_w = fmax(value_w, text_width(c->value_labels[i], FONT));
        max = fmax(max, c->values[i]);
    }
    widest = fmin(widest, width * 0.4);
    double row = 22, left = 8 + widest + 8, right = width - value_w - 12;
    open_svg(b, size, "bars", row * (double)c->n + 6, c->title);
    for (size_t i = 0; i < c->n; i++) {
        double y = 4 + row * (double)i;
        double w = max > 0 ? c->values[i] / max * (right - left) : 0;
        text(b, left - 8, y + 13, "end", "label", fit(&cut, c->labels[i], FONT, widest));
        cdp_buf_printf(b, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"16\" rx=\"2\"/>",
                       left, y + 1, fmax(w, c->values[i] > 0 ? 1.5 : 0));
        text(b, left + w + 6, y + 13, NULL, "value", c->value_labels[i]);
    }
    cdp_buf_adds(b, "</svg>");
    cdp_buf_release(&cut);
}

void cdp_svg_columns(struct cdp_buf *b, const struct cdp_svg_size *size, const struct cdp_svg_bars *c)
{
    double max = 0;
    for (size_t i = 0; i < c->n; i++)
        max = fmax(max, c->values[i]);
    double left = 8, right = size->width - 8, top = 22, bottom = size->width < 500 ? 140 : 170;
    double slot = c->n ? (right - left) / (double)c->n : 0, gap = fmin(8, slot * 0.2);
    open_svg(b, size, "columns", bottom + 24, c->title);
    cdp_buf_printf(b, "<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", left,
                   right, bottom, bottom);
    for (size_t i = 0; i < c->n; i++) {
        double h = max > 0 ? c->values[i] / max * (bottom - top) : 0;
        double x = left + slot * (double)i + gap / 2;
        cdp_buf_printf(b, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"2\"/>",
                       x, bottom - h, slot - gap, h);
        text(b, x + (slot - gap) / 2, bottom - h - 6, "middle", "value", c->value_labels[i]);
        text(b, x + (slot - gap) / 2, bottom + 17, "middle", "tick", c->labels[i]);
    }
    cdp_buf_adds(b, "</svg>");
}

/* A shade from the page's pale to its deep blue, t in [0, 1]. */
static void shade(struct cdp_buf *b, double t)
{
    static const double pale[3] = { 238, 243, 250 }, deep[3] = { 31, 84, 160 };
    t = isfinite(t) ? fmin(1, fmax(0, t)) : 0;
    cdp_buf_printf(b, "#%02x%02x%02x", (int)(pale[0] + (deep[0] - pale[0]) * t),
                   (int)(pale[1] + (deep[1] - pale[1]) * t), (int)(pale[2] + (deep[2] - pale[2]) * t));
}

/* Where a grid's parts go. */
struct grid_layout {
    double left, top, cell_w, cell_h, max;
};

static struct grid_layout grid_layout(const struct cdp_svg_size *size, const struct cdp_svg_grid *c)
{
    struct grid_layout g = { 0, 0, 0, 0, 0 };
    double widest = 0;
    for (size_t r = 0; r < c->rows; r++)
        widest = fmax(widest, text_width(c->row_labels[r], FONT));
    for (size_t i = 0; i < c->rows * c->cols; i++)
        if (isfinite(c->values[i]))
            g.max = fmax(g.max, c->values[i]);
    g.left = 8 + (c->row_title ? FONT + 8 : 0) + fmin(widest, size->width * 0.4) + 8;
    g.cell_w = (size->width - g.left - 8) / (double)(c->cols ? c->cols : 1);
    g.top = (c->col_title ? FONT + 10 : 0) + FONT + 8;
    g.cell_h = c->subtext ? 40 : g.cell_w < 36 ? 24 : 28;
    return g;
}

static void grid_cell(struct cdp_buf *b, const struct cdp_svg_grid *c, const struct grid_layout *g,
                      size_t r, size_t k)
{
    size_t i = r * c->cols + k;
    double y = g->top + g->cell_h * (double)r, t = g->max > 0 ? c->values[i] / g->max : 0;
    cdp_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"",
                   g->left + g->cell_w * (double)k + 1, y + 1, g->cell_w - 2, g->cell_h - 2);
    shade(b, t);
    cdp_buf_adds(b, "\" rx=\"3\"/>");
    double cx = g->left + g->cell_w * ((double)k + 0.5);
    if (c->text && c->text[i] && text_width(c->text[i], FONT) < g->cell_w - 2)
        text(b, cx, y + (c->subtext ? g->cell_h / 2 - 2 : g->cell_h / 2 + 4), "middle",
             t > 0.55 ? "cell dark" : "cell", c->text[i]);
    if (c->subtext && c->subtext[i] && text_width(c->subtext[i], 10) < g->cell_w - 4)
        text(b, cx, y + g->cell_h / 2 + 12, "middle", t > 0.55 ? "sub dark" : "sub", c->subtext[i]);
}

void cdp_svg_grid(struct cdp_buf *b, const struct cdp_svg_size *size, const struct cdp_svg_grid *c)
{
    struct grid_layout g = grid_layout(size, c);
    struct cdp_buf cut = CDP_BUF_INIT;
    open_svg(b, size, "grid", g.top + g.cell_h * (double)c->rows + 4, c->title);
    if (c->col_title)
        text(b, g.left + (size->width - 8 - g.left) / 2, FONT, "middle", "axis-title", c->col_title);
    if (c->row_title) {
        cdp_buf_printf(b, "<text class=\"axis-title\" text-anchor=\"middle\" transform=\"translate(%.1f %.1f) rotate(-90)\">",
                       8 + FONT, g.top + g.cell_h * (double)c->rows / 2);
        cdp_xml_text(b, c->row_title);
        cdp_buf_adds(b, "</text>");
    }
    for (size_t k = 0; k < c->cols; k++)
        text(b, g.left + g.cell_w * ((double)k + 0.5), g.top - 8, "middle", "tick",
             fit(&cut, c->col_labels[k], FONT, g.cell_w - 2));
    for (size_t r = 0; r < c->rows; r++) {
        text(b, g.left - 8, g.top + g.cell_h * (double)r + g.cell_h / 2 + 4, "end", "label",
             fit(&cut, c->row_labels[r], FONT, g.left - 16 - (c->row_title ? FONT + 8 : 0)));
        for (size_t k = 0; k < c->cols; k++)
            grid_cell(b, c, &g, r, k);
    }
    cdp_buf_adds(b, "</svg>");
    cdp_buf_release(&cut);
}

void cdp_svg_intervals(struct cdp_buf *b, const struct cdp_svg_size *size, const struct cdp_svg_intervals *c)
{
    double lo = 0, hi = 0, widest = 0;
    for (size_t i = 0; i < c->n; i++) {
        const double v[3] = { c->estimates[i], c->lows[i], c->highs[i] };
        for (int j = 0; j < 3; j++)
            if (isfinite(v[j]))
                lo = fmin(lo, v[j]), hi = fmax(hi, v[j]);
        widest = fmax(widest, text_width(c->labels[i], FONT));
    }
    /* Symmetric about zero, so that "which side of zero" is seen at once. */
    double m = fmax(fabs(lo), fabs(hi));
    struct axis a = value_axis(-m, m, size->width < 500 ? 2 : 4);
    double left = 8 + fmin(widest, size->width * 0.35) + 12, right = size->width - 28, row = 30, top = 8;
    double bottom = top + row * (double)c->n;
    open_svg(b, size, "intervals", bottom + 26, c->title);
    struct cdp_buf label = CDP_BUF_INIT;
    for (double v = a.lo; v <= a.hi + a.step / 2; v += a.step) {
        double x = left + (v - a.lo) / (a.hi - a.lo) * (right - left);
        bool zero = fabs(v) < a.step / 1e6;
        cdp_buf_printf(b, "<line class=\"%s\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>",
                       zero ? "zero" : "grid", x, x, top, bottom);
        cdp_buf_reset(&label);
        tick_label(&label, zero ? 0 : v, c->fmt, c->ctx);
        text(b, x, bottom + 18, "middle", "tick", label.data);
    }
    cdp_buf_release(&label);
    for (size_t i = 0; i < c->n; i++) {
        double y = top + row * ((double)i + 0.5);
        text(b, left - 12, y + 4, "end", "label", c->labels[i]);
        if (isfinite(c->lows[i]) && isfinite(c->highs[i])) {
            double x1 = left + (c->lows[i] - a.lo) / (a.hi - a.lo) * (right - left);
            double x2 = left + (c->highs[i] - a.lo) / (a.hi - a.lo) * (right - left);
            const char *cls = c->lows[i] > 0 ? "ci up" : c->highs[i] < 0 ? "ci down" : "ci";
            cdp_buf_printf(b, "<g class=\"%s\"><line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
                              "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
                              "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/></g>",
                           cls, x1, x2, y, y, x1, x1, y - 6, y + 6, x2, x2, y - 6, y + 6);
        }
        if (isfinite(c->estimates[i]))
            cdp_buf_printf(b, "<circle class=\"estimate\" cx=\"%.1f\" cy=\"%.1f\" r=\"5\"/>",
                           left + (c->estimates[i] - a.lo) / (a.hi - a.lo) * (right - left), y);
    }
    cdp_buf_adds(b, "</svg>");
}
