/*
 * fund_svg.c -- the J-curve chart as hand-written SVG (see fund_svg.h).
 *
 * The layout is fixed (960 x 560 user units) so the file diffs well and reads the same in
 * every viewer: title and subtitle on top, the plot in the middle, the axis titles and
 * the legend below.  Values arrive as doubles because they only become coordinates.
 */
#include "fund_svg.h"

#include <assert.h>
#include <math.h>
#include <string.h>

enum { W = 960, H = 560, X0 = 100, X1 = 930, Y0 = 78, Y1 = 440, TICKS = 6 };

static const char *const COLOUR_CALLS = "#d62728";
static const char *const COLOUR_DISTS = "#2ca02c";
static const char *const COLOUR_CUMNET = "#1f4e99";
static const char *const COLOUR_NAV = "#ff7f0e";

/* The value scale of the plot: [lo, hi] in steps of `step`, shown divided by `unit`. */
typedef struct {
    double lo, hi, step;
    double unit;
    const char *unit_name;
    int decimals;
} scale;

static double finite_or_zero(double v)
{
    return isfinite(v) ? v : 0.0;
}

/* Writes `s` as XML character data: markup characters escaped, control characters left out. */
static void xml_text(FILE *out, const char *s)
{
    for (; s != NULL && *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        switch (ch) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&apos;", out); break;
        default:
            if (ch >= 0x20 || ch == '\t') {
                fputc(ch, out);
            }
        }
    }
}

/* The smallest of 1, 2, 2.5, 5, 10 times a power of ten that is at least `raw`. */
static double nice_step(double raw)
{
    assert(raw > 0);
    double mag = pow(10.0, floor(log10(raw)));
    double f = raw / mag;
    double nf = f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 2.5 ? 2.5 : f <= 5.0 ? 5.0 : 10.0;
    return nf * mag;
}

/* Range of every series, zero included, then rounded out to whole ticks. */
static scale make_scale(const cli_fund_chart *c)
{
    scale s = {0.0, 0.0, 1.0, 1.0, "", 0};
    for (size_t i = 0; i < c->n; i++) {
        double v[4] = {-finite_or_zero(c->calls[i]), finite_or_zero(c->distributions[i]),
                       finite_or_zero(c->cumulative_net[i]), finite_or_zero(c->nav[i])};
        for (int k = 0; k < 4; k++) {
            s.lo = v[k] < s.lo ? v[k] : s.lo;
            s.hi = v[k] > s.hi ? v[k] : s.hi;
        }
    }
    if (s.hi - s.lo < 1e-300) {
        s.hi = s.lo + 1.0;
    }
    s.step = nice_step((s.hi - s.lo) / TICKS);
    s.lo = floor(s.lo / s.step + 1e-9) * s.step;
    s.hi = ceil(s.hi / s.step - 1e-9) * s.step;
    double big = fabs(s.lo) > fabs(s.hi) ? fabs(s.lo) : fabs(s.hi);
    static const struct { double unit; const char *name; } units[] = {
        {1e9, "billion"}, {1e6, "million"}, {1e3, "thousand"},
    };
    for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
        if (big >= 10.0 * units[u].unit) {
            s.unit = units[u].unit;
            s.unit_name = units[u].name;
            break;
        }
    }
    /* Enough decimals to show the step exactly (2.5 needs one, 0.25 two). */
    double shown = s.step / s.unit;
    while (s.decimals < 6 && fabs(shown - round(shown)) > 1e-6 * (shown > 1 ? shown : 1)) {
        shown *= 10.0;
        s.decimals++;
    }
    assert(s.lo <= 0.0 && s.hi >= 0.0 && s.step > 0.0);
    return s;
}

static double y_of(const scale *s, double v)
{
    return Y1 - (finite_or_zero(v) - s->lo) / (s->hi - s->lo) * (Y1 - Y0);
}

static double slot_width(const cli_fund_chart *c)
{
    return (double)(X1 - X0) / (double)(c->n ? c->n : 1);
}

static double x_of(const cli_fund_chart *c, size_t i)
{
    return X0 + slot_width(c) * ((double)i + 0.5);
}

/* Grid lines, ticks and tick labels of the value axis, and its title. */
static void value_axis(FILE *out, const cli_fund_chart *c, const scale *s)
{
    fputs("<g id=\"value-axis\" font-size=\"12\" text-anchor=\"end\">\n", out);
    long ticks = lround((s->hi - s->lo) / s->step);
    for (long k = 0; k <= ticks; k++) {
        double v = s->lo + (double)k * s->step;
        double y = y_of(s, v);
        double shown = v / s->unit;
        if (fabs(shown) < 1e-12) {
            shown = 0.0; /* never print -0 */
        }
        fprintf(out,
                "  <line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\"/>\n"
                "  <line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#333\"/>\n"
                "  <text x=\"%d\" y=\"%.1f\">%.*f</text>\n",
                X0, y, X1, y, fabs(v) < 1e-300 ? "#666" : "#e3e3e3", X0 - 5, y, X0, y,
                X0 - 8, y + 4, s->decimals, shown);
    }
    fprintf(out, "  <line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n", X0, Y0,
            X0, Y1);
    fputs("</g>\n", out);
    fprintf(out,
            "<text id=\"value-axis-title\" x=\"%d\" y=\"%d\" transform=\"rotate(-90 %d %d)\" "
            "text-anchor=\"middle\" font-size=\"13\">Amount (",
            28, (Y0 + Y1) / 2, 28, (Y0 + Y1) / 2);
    xml_text(out, c->currency != NULL ? c->currency : "");
    fprintf(out, "%s%s)</text>\n", c->currency != NULL && s->unit_name[0] ? " " : "",
            s->unit_name);
}

/* The year axis along the bottom of the plot, a label every `every` years, and its title. */
static void year_axis(FILE *out, const cli_fund_chart *c)
{
    size_t every = c->n > 24 ? (c->n + 23) / 24 : 1;
    fputs("<g id=\"year-axis\" font-size=\"12\" text-anchor=\"middle\">\n", out);
    fprintf(out, "  <line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n", X0, Y1,
            X1, Y1);
    for (size_t i = 0; i < c->n; i++) {
        double x = x_of(c, i);
        fprintf(out, "  <line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#333\"/>\n", x,
                Y1, x, Y1 + 5);
        if (i % every == 0) {
            fprintf(out, "  <text x=\"%.1f\" y=\"%d\">%ld</text>\n", x, Y1 + 19,
                    (long)c->first_year + (long)i);
        }
    }
    fputs("</g>\n", out);
    fprintf(out,
            "<text id=\"year-axis-title\" x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
            "font-size=\"13\">Year (cash flows at 31 December)</text>\n",
            (X0 + X1) / 2, Y1 + 42);
}

/* One bar from zero to `v`, with a tooltip. */
static void bar(FILE *out, const scale *s, double x, double w, double v, const char *colour,
                const char *what, long year)
{
    double y0 = y_of(s, 0.0), y = y_of(s, v);
    double top = y < y0 ? y : y0, h = fabs(y0 - y);
    fprintf(out,
            "  <rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
            "<title>%ld %s %.6g</title></rect>\n",
            x, top, w, h, colour, year, what, finite_or_zero(v));
}

static void bars(FILE *out, const cli_fund_chart *c, const scale *s)
{
    double w = slot_width(c) * 0.36;
    fputs("<g id=\"bars\">\n", out);
    for (size_t i = 0; i < c->n; i++) {
        long year = (long)c->first_year + (long)i;
        double x = x_of(c, i);
        bar(out, s, x - w, w, -finite_or_zero(c->calls[i]), COLOUR_CALLS, "calls", year);
        bar(out, s, x, w, finite_or_zero(c->distributions[i]), COLOUR_DISTS, "distributions",
            year);
    }
    fputs("</g>\n", out);
}

static void line(FILE *out, const cli_fund_chart *c, const scale *s, const double *v,
                 const char *id, const char *colour, const char *dash)
{
    fprintf(out, "<polyline id=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\"%s%s%s "
                 "points=\"", id, colour, dash ? " stroke-dasharray=\"" : "", dash ? dash : "",
            dash ? "\"" : "");
    for (size_t i = 0; i < c->n; i++) {
        fprintf(out, "%s%.1f,%.1f", i ? " " : "", x_of(c, i), y_of(s, v[i]));
    }
    fputs("\"/>\n", out);
    fprintf(out, "<g id=\"%s-points\" fill=\"%s\">\n", id, colour);
    for (size_t i = 0; i < c->n; i++) {
        fprintf(out, "  <circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\"><title>%ld %s %.6g</title>"
                     "</circle>\n", x_of(c, i), y_of(s, v[i]), (long)c->first_year + (long)i,
                id, finite_or_zero(v[i]));
    }
    fputs("</g>\n", out);
}

/* The trough as a ringed point with its year and value, breakeven as a dashed line. */
static void marks(FILE *out, const cli_fund_chart *c, const scale *s)
{
    if (c->trough >= 0 && (size_t)c->trough < c->n) {
        size_t t = (size_t)c->trough;
        double x = x_of(c, t), y = y_of(s, c->cumulative_net[t]);
        /* Right of the point, where the line has already turned up. */
        int right = x + 150 < X1;
        fprintf(out,
                "<g id=\"trough\"><circle cx=\"%.1f\" cy=\"%.1f\" r=\"7\" fill=\"none\" "
                "stroke=\"%s\" stroke-width=\"2\"/><text x=\"%.1f\" y=\"%.1f\" "
                "font-size=\"12\" text-anchor=\"%s\">trough %ld: %.*f</text></g>\n",
                x, y, COLOUR_CUMNET, right ? x + 12 : x - 12, y + 16 > Y1 - 4 ? y - 4 : y + 16,
                right ? "start" : "end", (long)c->first_year + (long)t, s->decimals + 2,
                finite_or_zero(c->cumulative_net[t]) / s->unit);
    }
    if (c->breakeven >= 0 && (size_t)c->breakeven < c->n) {
        size_t b = (size_t)c->breakeven;
        double x = x_of(c, b);
        fprintf(out,
                "<g id=\"breakeven\"><line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
                "stroke=\"#555\" stroke-dasharray=\"4 3\"/><text x=\"%.1f\" y=\"%d\" "
                "font-size=\"12\">breakeven %ld</text></g>\n",
                x, Y0, x, Y1, x + 4, Y0 + 12, (long)c->first_year + (long)b);
    }
}

static void legend(FILE *out)
{
    static const struct { const char *label; int is_line; int dashed; } items[] = {
        {"Calls (paid in, negative)", 0, 0}, {"Distributions", 0, 0},
        {"Cumulative net cash flow", 1, 0}, {"NAV (net, liquidation value)", 1, 1},
    };
    const char *colours[] = {COLOUR_CALLS, COLOUR_DISTS, COLOUR_CUMNET, COLOUR_NAV};
    int x = X0, y = H - 34;
    fputs("<g id=\"legend\" font-size=\"12\">\n", out);
    for (int i = 0; i < 4; i++) {
        if (items[i].is_line) {
            fprintf(out, "  <line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
                         "stroke-width=\"2.5\"%s/>\n", x, y, x + 22, y, colours[i],
                    items[i].dashed ? " stroke-dasharray=\"7 4\"" : "");
        } else {
            fprintf(out, "  <rect x=\"%d\" y=\"%d\" width=\"14\" height=\"12\" fill=\"%s\"/>\n",
                    x + 4, y - 6, colours[i]);
        }
        fprintf(out, "  <text x=\"%d\" y=\"%d\">%s</text>\n", x + 28, y + 4, items[i].label);
        x += 28 + 7 * (int)strlen(items[i].label) + 26;
    }
    fputs("</g>\n", out);
}

int cli_fund_svg_write(FILE *out, const cli_fund_chart *c)
{
    assert(out != NULL && c != NULL);
    if (c->n > CLI_FUND_SVG_YEARS_MAX) {
        return -1;
    }
    scale s = make_scale(c);
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
                 "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"'Noto Sans CJK SC', "
                 "'Microsoft YaHei', 'PingFang SC', Arial, sans-serif\">\n<title>",
            W, H, W, H);
    xml_text(out, c->title);
    fprintf(out, "</title>\n<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n"
                 "<text id=\"title\" x=\"%d\" y=\"30\" text-anchor=\"middle\" font-size=\"18\" "
                 "font-weight=\"bold\">", W, H, W / 2);
    xml_text(out, c->title);
    fprintf(out, "</text>\n<text id=\"subtitle\" x=\"%d\" y=\"52\" text-anchor=\"middle\" "
                 "font-size=\"13\" fill=\"#444\">J-curve of the parent fund: yearly calls and "
                 "distributions, cumulative net cash flow and NAV</text>\n", W / 2);
    value_axis(out, c, &s);
    year_axis(out, c);
    bars(out, c, &s);
    line(out, c, &s, c->cumulative_net, "cumulative-net", COLOUR_CUMNET, NULL);
    line(out, c, &s, c->nav, "nav", COLOUR_NAV, "7 4");
    marks(out, c, &s);
    legend(out);
    fputs("</svg>\n", out);
    return ferror(out) ? -1 : 0;
}
