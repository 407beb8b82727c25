/*
 * fund_svg.h -- the J-curve chart of `riskshare fund model --svg FILE` (DESIGN 9).
 *
 * A hand-written SVG 1.1 document, no dependencies: yearly calls (below zero) and
 * distributions (above zero) as bars, cumulative net cash flow and NAV as lines, a value
 * axis with round ticks and a unit chosen from the data (units, thousand, million,
 * billion), a year axis, a legend, a title, and the trough and breakeven marked.
 * Values are doubles: drawing coordinates only, the exact figures are in the tables.
 */
#ifndef CLI_FUND_SVG_H
#define CLI_FUND_SVG_H

#include <stddef.h>
#include <stdio.h>

/* Years one chart draws; a longer series is refused (the model's horizon is smaller). */
#define CLI_FUND_SVG_YEARS_MAX 200

/* What to draw: `n` consecutive years starting at calendar year `first_year`. */
typedef struct {
    const char *title;            /* UTF-8, escaped by the writer */
    const char *currency;         /* value axis unit, `CNY`; NULL: none */
    int first_year;               /* calendar year of point 0 */
    size_t n;                     /* years, 0..CLI_FUND_SVG_YEARS_MAX */
    const double *calls;          /* n magnitudes >= 0, drawn as negative bars */
    const double *distributions;  /* n values >= 0 */
    const double *cumulative_net; /* n values */
    const double *nav;            /* n values */
    int trough;                   /* index of the trough year, or -1 */
    int breakeven;                /* index of the breakeven year, or -1 */
} cli_fund_chart;

/*
 * Writes the chart `c` to `out` as one SVG document.  A non-finite value is drawn as 0.
 * Allocates nothing.  Returns 0, or -1 when `c->n` is above CLI_FUND_SVG_YEARS_MAX or a
 * write to `out` fails.
 */
int cli_fund_svg_write(FILE *out, const cli_fund_chart *c);

#endif
