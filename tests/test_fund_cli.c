/*
 * test_fund_cli.c -- goal: `riskshare fund model` behaves as DESIGN 8 and 9 say, run as a
 * user runs it: the json has the pinned shape with the reference's figures (the small test
 * fund is sub-fund S2 of examples E1-E3), csv always prints its header, the SVG is a
 * well-formed chart with its title, legend and axis titles, the workbook is a zip with the
 * tables and charts, usage errors exit 2 and bad fund files or unwritable outputs 65 with
 * one error line.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_harness.h"

#define SMALL "tests/data/funds/small.yaml"
#define ZHENGZHOU "policies/funds/zhengzhou-industry-fund.yaml"

static json_t *run_json(const char *file)
{
    clh_result r = clh_run(NULL, (const char *const[]){"fund", "model", file, "--format", "json",
                                                      NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.err, "");
    json_error_t e;
    json_t *root = json_loads(r.out, 0, &e);
    cr_assert_not_null(root, "not json: %s at line %d", e.text, e.line);
    clh_free(&r);
    return root;
}

/* The string at `path` (a jansson json_pack-free walk: keys and [i] indexes, '.' between). */
static const char *str_at(const json_t *root, const char *path)
{
    const json_t *n = root;
    char key[64];
    for (const char *p = path; *p != '\0' && n != NULL;) {
        if (*p == '[') {
            size_t i = 0;
            for (p++; *p >= '0' && *p <= '9'; p++) {
                i = i * 10 + (size_t)(*p - '0');
            }
            n = json_array_get(n, i);
            p += *p == ']';
        } else {
            p += *p == '.';
            size_t len = strcspn(p, ".[");
            cr_assert_lt(len, sizeof(key));
            memcpy(key, p, len);
            key[len] = '\0';
            n = json_object_get(n, key);
            p += len;
        }
    }
    cr_assert_not_null(n, "no %s", path);
    cr_assert(json_is_string(n), "%s is not a string", path);
    return json_string_value(n);
}

static const json_t *node_at(const json_t *root, const char *key1, const char *key2)
{
    const json_t *n = json_object_get(root, key1);
    return key2 != NULL && n != NULL ? json_object_get(n, key2) : n;
}

/* A decimal string equal to `want` to 12 significant digits, with at least 12 given. */
static void expect_near(const json_t *root, const char *path, double want)
{
    const char *s = str_at(root, path);
    size_t digits = 0;
    int leading = 1;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p >= '1' && *p <= '9') {
            leading = 0;
        }
        digits += !leading && *p >= '0' && *p <= '9';
    }
    cr_expect_geq(digits, 12, "%s = %s has fewer than 12 significant digits", path, s);
    double got = strtod(s, NULL);
    double scale = want < 0 ? -want : want;
    cr_expect(got - want <= 1e-12 * scale && want - got <= 1e-12 * scale, "%s = %s, not %.15g",
              path, s, want);
}

Test(fund_cli, small_json_has_the_reference_figures)
{
    json_t *j = run_json(SMALL);
    cr_expect_str_eq(str_at(j, "leverage.parent"), "2");
    cr_expect_str_eq(str_at(j, "leverage.subfund"), "4");
    cr_expect_str_eq(str_at(j, "leverage.subfund_private"), "3");
    cr_expect_str_eq(str_at(j, "leverage.fiscal"), "8");
    cr_assert_eq(json_array_size(json_object_get(j, "subfunds")), 1);
    cr_expect_str_eq(str_at(j, "subfunds[0].id"), "S2");
    cr_expect_str_eq(str_at(j, "subfunds[0].size"), "500");
    cr_expect_str_eq(str_at(j, "subfunds[0].state_share"), "0.25");
    const json_t *s = json_array_get(json_object_get(j, "subfunds"), 0);
    cr_expect(json_is_true(json_object_get(s, "participation_ok")));
    cr_expect_str_eq(str_at(j, "subfunds[0].reinvestment.required"), "187.5");
    cr_expect_str_eq(str_at(j, "subfunds[0].reinvestment.counted"), "210");
    cr_expect_str_eq(str_at(j, "subfunds[0].reinvestment.ratio"), "1.68");
    cr_expect_str_eq(str_at(j, "subfunds[0].reinvestment.shortfall"), "0");
    cr_expect(json_is_true(node_at(s, "reinvestment", "ok")));
    cr_expect_str_eq(str_at(j, "subfunds[0].gross.irr"), "0.1");
    expect_near(j, "subfunds[0].gross.tvpi", 1.4290269076635467);
    expect_near(j, "subfunds[0].lp.irr", 0.08557098327797);
    expect_near(j, "subfunds[0].gp_carry", 42.902690766354665);
    expect_near(j, "subfunds[0].government.distributions", 167.90269076635465);
    expect_near(j, "subfunds[0].government.irr", 0.08557098327797);
    const json_t *p = json_object_get(j, "parent");
    const json_t *years = json_object_get(p, "years");
    cr_assert_eq(json_array_size(years), 10);
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(years, 0), "year")), 1);
    cr_expect_str_eq(str_at(j, "parent.years[0].calls"), "31.25");
    cr_expect_str_eq(str_at(j, "parent.years[0].distributions"), "0");
    cr_expect_str_eq(str_at(j, "parent.years[0].net"), "-31.25");
    cr_expect_str_eq(str_at(j, "parent.years[1].distributions"), "1.375");
    cr_expect_str_eq(str_at(j, "parent.years[3].cumulative_net"), "-100.444942");
    cr_expect_str_eq(str_at(j, "parent.years[9].nav"), "0");
    expect_near(j, "parent.irr", 0.08557098327797);
    expect_near(j, "parent.tvpi", 1.343221526130838);
    expect_near(j, "parent.dpi", 1.343221526130838);
    cr_expect_eq(json_integer_value(node_at(p, "trough", "year")), 4);
    cr_expect_str_eq(str_at(j, "parent.trough.amount"), "-100.444942");
    cr_expect_eq(json_integer_value(json_object_get(p, "breakeven_year")), 7);
    cr_expect(json_is_string(json_object_get(p, "xirr")));
    json_decref(j);
}

Test(fund_cli, zhengzhou_json)
{
    json_t *j = run_json(ZHENGZHOU);
    cr_expect_str_eq(str_at(j, "leverage.parent"), "10");
    expect_near(j, "leverage.subfund", 440.0 / 117.0);
    expect_near(j, "leverage.subfund_private", 209.0 / 117.0);
    expect_near(j, "leverage.fiscal", 4400.0 / 117.0);
    const json_t *subs = json_object_get(j, "subfunds");
    cr_assert_eq(json_array_size(subs), 6);
    cr_expect_str_eq(str_at(j, "subfunds[0].id"), "zz-angel-1");
    cr_expect_str_eq(str_at(j, "subfunds[0].size"), "1000000000");
    cr_expect_str_eq(str_at(j, "subfunds[0].state_share"), "0.6");
    cr_expect_str_eq(str_at(j, "subfunds[0].reinvestment.counted"), "540000000");
    /* The computing fund misses its 1x 返投 by 2亿; every other sub-fund meets it. */
    cr_expect_str_eq(str_at(j, "subfunds[3].id"), "zz-computing");
    cr_expect_str_eq(str_at(j, "subfunds[3].reinvestment.shortfall"), "200000000");
    for (size_t i = 0; i < 6; i++) {
        const json_t *ok = node_at(json_array_get(subs, i), "reinvestment", "ok");
        cr_expect(json_is_boolean(ok));
        cr_expect_eq(json_is_true(ok), i != 3, "sub-fund %zu", i);
        cr_expect(json_is_true(json_object_get(json_array_get(subs, i), "participation_ok")));
    }
    /* The angel fund's capped return: the government earns at most 3%, deferred. */
    double gov = strtod(str_at(j, "subfunds[0].government.irr"), NULL);
    double priv = strtod(str_at(j, "subfunds[0].private.irr"), NULL);
    double lp = strtod(str_at(j, "subfunds[0].lp.irr"), NULL);
    cr_expect(gov > 0.02 && gov <= 0.03, "government irr %g", gov);
    cr_expect(priv > lp, "private %g not above lp %g", priv, lp);
    cr_assert_eq(json_array_size(node_at(j, "parent", "years")), 15);
    json_decref(j);
}

Test(fund_cli, csv_prints_the_yearly_table_with_its_header)
{
    clh_result r = clh_run(NULL, (const char *const[]){"fund", "model", SMALL, "--format", "csv",
                                                      NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    const char *header = "year,calendar_year,calls,distributions,net,cumulative_net,paid_in,"
                         "nav,dpi,rvpi,tvpi,irr_to_date\n";
    cr_assert(strncmp(r.out, header, strlen(header)) == 0, "%s", r.out);
    cr_expect(strstr(r.out, "\n1,2021,31.25,0,-31.25,-31.25,31.25,31.25,0,1,1,\n") != NULL,
              "%s", r.out);
    size_t lines = 0;
    for (const char *p = r.out; *p != '\0'; p++) {
        lines += *p == '\n';
    }
    cr_expect_eq(lines, 11);
    clh_free(&r);
}

Test(fund_cli, csv_other_tables)
{
    static const struct { const char *table; const char *header; } cases[] = {
        {"subfunds", "id,kind,size,participation,participation_cap,participation_ok,"},
        {"leverage", "metric,value,formula\nparent,2,P / F\n"},
        {"leverage-years", "year,calendar_year,subfund_paid_in,parent_paid_in,"},
        {"subfund-years", "id,year,calendar_year,calls,distributions,nav,liquidation,"},
        {"summary", "metric,value\nfund,small-test\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        clh_result r = clh_run(NULL, (const char *const[]){"fund", "model", SMALL, "--format",
                                                          "csv", "--table", cases[i].table, NULL});
        cr_assert_eq(r.status, 0, "%s: %s", cases[i].table, r.err);
        cr_expect(strncmp(r.out, cases[i].header, strlen(cases[i].header)) == 0, "%s: %s",
                  cases[i].table, r.out);
        clh_free(&r);
    }
}

Test(fund_cli, grid_csv_and_table)
{
    clh_result r = clh_run(NULL, (const char *const[]){"fund", "model", SMALL, "--format", "csv",
                                                      "--grid", "growth=0.05,0.10,0.15",
                                                      "bow=1.5,2,3", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    const char *header = "growth,bow,parent_irr,parent_xirr,parent_tvpi,parent_dpi,"
                         "parent_distributions,trough_year,trough_amount,breakeven_year\n";
    cr_assert(strncmp(r.out, header, strlen(header)) == 0, "%s", r.out);
    /* Reference 7.2: G 10%, B 1.5 gives LP IRR 8.5231%; TVPI 1.2762. */
    cr_expect(strstr(r.out, "\n0.1,1.5,0.08523") != NULL, "%s", r.out);
    clh_free(&r);
    r = clh_run(NULL, (const char *const[]){"fund", "model", SMALL, "--format", "table",
                                           "--grid", "growth=10%,15%", "bow=2,3", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.out, "Parent IRR by growth (rows) and bow (columns)") != NULL);
    cr_expect(strstr(r.out, "12.9824%") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "1.7691") != NULL, "%s", r.out);
    clh_free(&r);
}

/* A fresh folder for output files (tests/run.sh's scratch folder, removed at exit). */
static void scratch_dir(char *out, size_t size)
{
    const char *base = getenv("RISKSHARE_TEST_TMP");
    snprintf(out, size, "%s/rs-fund.XXXXXX", base != NULL && base[0] ? base : "/tmp");
    cr_assert_not_null(mkdtemp(out));
}

static char *slurp(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s was not written", path);
    char *buf = malloc(1 << 22);
    cr_assert_not_null(buf);
    size_t len = fread(buf, 1, (1 << 22) - 1, f);
    fclose(f);
    buf[len] = '\0';
    *len_out = len;
    return buf;
}

/*
 * A minimal well-formedness check: every `<name` is closed by `</name>` or `/>` in order,
 * quotes balance inside tags, and nothing follows the root.  xmllint, when present, too.
 */
static void expect_well_formed(const char *xml, const char *path)
{
    const char *stack[64];
    size_t depth = 0, roots = 0;
    for (const char *p = strchr(xml, '<'); p != NULL; p = strchr(p, '<')) {
        const char *end = strchr(p, '>');
        cr_assert_not_null(end, "unterminated tag");
        size_t quotes = 0;
        for (const char *q = p; q < end; q++) {
            quotes += *q == '"';
        }
        cr_assert_eq(quotes % 2, 0, "unbalanced quotes in %.*s", (int)(end - p + 1), p);
        if (p[1] == '?') {
            p = end;
            continue;
        }
        size_t len = strcspn(p + 1 + (p[1] == '/'), " />\n");
        if (p[1] == '/') {
            cr_assert_gt(depth, 0, "stray %.*s", (int)len + 3, p);
            depth--;
            cr_assert(strncmp(stack[depth], p + 2, len) == 0, "mismatched </%.*s>", (int)len,
                      p + 2);
        } else if (end[-1] != '/') {
            cr_assert_lt(depth, 64);
            roots += depth == 0;
            stack[depth++] = p + 1;
        }
        p = end;
    }
    cr_assert_eq(depth, 0, "unclosed elements");
    cr_assert_eq(roots, 1);
    if (access("/usr/bin/xmllint", X_OK) == 0) {
        char cmd[800];
        snprintf(cmd, sizeof(cmd), "/usr/bin/xmllint --noout '%s' 2>&1", path);
        cr_expect_eq(system(cmd), 0, "xmllint refuses %s", path);
    }
}

Test(fund_cli, svg_chart_is_well_formed_and_labelled)
{
    char dir[512], svg[600];
    scratch_dir(dir, sizeof(dir));
    snprintf(svg, sizeof(svg), "%s/j.svg", dir);
    clh_result r = clh_run(NULL, (const char *const[]){"fund", "model", SMALL, "--quiet", "--svg",
                                                      svg, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect_str_eq(r.out, "");
    clh_free(&r);
    size_t len;
    char *text = slurp(svg, &len);
    cr_assert(strncmp(text, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg ", 44) == 0);
    expect_well_formed(text, svg);
    static const char *const wanted[] = {
        "<title>Test parent fund (small-test)</title>",
        ">Test parent fund (small-test)</text>",
        ">Year (cash flows at 31 December)</text>",
        ">Amount (CNY)</text>",
        ">Calls (paid in, negative)</text>",
        ">Distributions</text>",
        ">Cumulative net cash flow</text>",
        ">NAV (net, liquidation value)</text>",
        ">trough 2024: ",
        ">breakeven 2027</text>",
        ">2021</text>",
        ">2030</text>",
        "<polyline id=\"cumulative-net\"",
        "<polyline id=\"nav\"",
    };
    for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
        cr_expect(strstr(text, wanted[i]) != NULL, "no %s", wanted[i]);
    }
    /* Ten years, two bars each. */
    size_t bars = 0;
    for (const char *p = strstr(text, "<rect x=") ; p != NULL; p = strstr(p + 1, "<rect x=")) {
        bars++;
    }
    cr_expect_eq(bars, 1 + 20 + 2, "background, 20 bars, 2 legend swatches: %zu", bars);
    free(text);
}

Test(fund_cli, xlsx_workbook_is_written)
{
    char dir[512], xlsx[600], svg[600];
    scratch_dir(dir, sizeof(dir));
    snprintf(xlsx, sizeof(xlsx), "%s/z.xlsx", dir);
    snprintf(svg, sizeof(svg), "%s/z.svg", dir);
    clh_result r = clh_run(NULL, (const char *const[]){"fund", "model", ZHENGZHOU, "--quiet",
                                                      "--xlsx", xlsx, "--svg", svg, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    clh_free(&r);
    size_t len;
    /* Yuan amounts of 10^10: the chart's value axis switches to billions. */
    char *text = slurp(svg, &len);
    expect_well_formed(text, svg);
    cr_expect(strstr(text, ">Amount (CNY billion)</text>") != NULL);
    cr_expect(strstr(text, "郑州市产业发展基金 (zz-industry-fund-2022)</title>") != NULL);
    free(text);
    char *bytes = slurp(xlsx, &len);
    cr_assert_gt(len, 1000);
    cr_assert(memcmp(bytes, "PK\x03\x04", 4) == 0, "not a zip");
    free(bytes);
    if (access("/usr/bin/unzip", X_OK) != 0) {
        return; /* the listing needs unzip */
    }
    char cmd[1400], list[8192];
    snprintf(cmd, sizeof(cmd), "/usr/bin/unzip -l '%s'; /usr/bin/unzip -p '%s' xl/workbook.xml",
             xlsx, xlsx);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t got = fread(list, 1, sizeof(list) - 1, p);
    list[got] = '\0';
    cr_assert_eq(pclose(p), 0, "%s", list);
    static const char *const wanted[] = {
        "xl/worksheets/sheet7.xml", "xl/charts/chart1.xml", "xl/charts/chart2.xml",
        "name=\"Summary\"", "name=\"Leverage\"", "name=\"Leverage by year\"",
        "name=\"Sub-funds\"", "name=\"Sub-funds by year\"", "name=\"Parent by year\"",
        "name=\"J-curve\"",
    };
    for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
        cr_expect(strstr(list, wanted[i]) != NULL, "no %s in\n%s", wanted[i], list);
    }
}

Test(fund_cli, grid_json)
{
    clh_result r = clh_run(NULL, (const char *const[]){"fund", "model", SMALL, "--format", "json",
                                                      "--grid", "growth=5%,10%", "bow=2,3",
                                                      NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    json_error_t e;
    json_t *j = json_loads(r.out, 0, &e);
    cr_assert_not_null(j, "%s", e.text);
    clh_free(&r);
    cr_expect_str_eq(str_at(j, "grid.axes[0].param"), "growth");
    cr_expect_str_eq(str_at(j, "grid.axes[0].values[1]"), "0.1");
    cr_expect_str_eq(str_at(j, "grid.axes[1].param"), "bow");
    const json_t *cells = json_object_get(json_object_get(j, "grid"), "cells");
    cr_assert_eq(json_array_size(cells), 4);
    /* Cell (1, 0) is growth 10%, bow 2: the base case. */
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(cells, 2), "row")), 1);
    expect_near(j, "grid.cells[2].irr", 0.08557098327797);
    /* Growth 5% stays under the 8% pref: no carry, the LPs earn the growth rate. */
    cr_expect_str_eq(str_at(j, "grid.cells[0].irr"), "0.05"); /* exact: printed in full */
    json_decref(j);
}

Test(fund_cli, usage_errors_exit_2)
{
    static const char *const cases[][8] = {
        {"fund", NULL},
        {"fund", "frob", NULL},
        {"fund", "model", NULL},
        {"fund", "model", SMALL, SMALL, NULL},
        {"fund", "model", SMALL, "--bogus", NULL},
        {"fund", "model", SMALL, "--svg", NULL},
        {"fund", "model", SMALL, "--format", "xml", NULL},
        {"fund", "model", SMALL, "--table", "nope", NULL},
        {"fund", "model", SMALL, "--table", "grid", NULL},
        {"fund", "model", SMALL, "--grid", NULL},
        {"fund", "model", SMALL, "--grid", "speed=1", NULL},
        {"fund", "model", SMALL, "--grid", "growth=abc", NULL},
        {"fund", "model", SMALL, "--grid", "growth=0.1", "growth=0.2", NULL},
        {"fund", "model", SMALL, "--grid", "growth=0.1", "bow=2", "life=3", NULL},
        {"fund", "model", SMALL, "--grid", "life=2.5", NULL},
        {"fund", "model", SMALL, "--grid", "rate=0.03", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        clh_result r = clh_run(NULL, cases[i]);
        cr_expect_eq(r.status, 2, "case %zu: exit %d (%s)", i, r.status, r.err);
        cr_expect(strncmp(r.err, "riskshare: ", 11) == 0, "case %zu: %s", i, r.err);
        const char *nl = strchr(r.err, '\n');
        cr_expect(nl != NULL && nl[1] == '\0', "case %zu: not one line: %s", i, r.err);
        clh_free(&r);
    }
    clh_result h = clh_run(NULL, (const char *const[]){"fund", "--help", NULL});
    cr_expect_eq(h.status, 0);
    cr_expect(strncmp(h.out, "usage: riskshare fund model FILE", 32) == 0, "%s", h.out);
    clh_free(&h);
}

Test(fund_cli, bad_input_exits_65_with_one_line)
{
    const char *bad = "tests/data/funds/bad/catch-up-equals-carry.yaml";
    clh_result r = clh_run(NULL, (const char *const[]){"fund", "model", bad, NULL});
    cr_expect_eq(r.status, 65);
    cr_expect_str_eq(r.err, "riskshare: tests/data/funds/bad/catch-up-equals-carry.yaml:15:56: "
                            "subfunds[0].waterfall.catch_up: catch_up 20% must be above carry "
                            "20% (or 0 for no catch-up)\n");
    cr_expect_str_eq(r.out, "");
    clh_free(&r);
    r = clh_run(NULL, (const char *const[]){"fund", "model", "tests/data/funds/none.yaml", NULL});
    cr_expect_eq(r.status, 65);
    cr_expect_str_eq(r.err, "riskshare: tests/data/funds/none.yaml: cannot open: "
                            "No such file or directory\n");
    clh_free(&r);
    static const char *const outputs[] = {"--svg", "--xlsx"};
    for (size_t i = 0; i < 2; i++) {
        r = clh_run(NULL, (const char *const[]){"fund", "model", SMALL, "--quiet", outputs[i],
                                               "/nonexistent-dir/out", NULL});
        cr_expect_eq(r.status, 65, "%s: %s", outputs[i], r.err);
        cr_expect(strstr(r.err, "/nonexistent-dir/out: cannot write") != NULL, "%s", r.err);
        clh_free(&r);
    }
}
