/*
 * test_fund_loader.c -- goal: the fund-file loader (policies/fund_loader.c) refuses every
 * malformed fund file with exactly one clear error naming file, line, column and key path
 * (tests/data/funds/bad/, one defect each), never crashes or leaks on hostile input (this
 * file also runs under ASan/UBSan), and loads the shipped Zhengzhou fund and the small test
 * fund into the structures the engine expects, with the documented defaults.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fund_loader.h"

#define BAD_DIR "tests/data/funds/bad/"

/* Each file of BAD_DIR and the exact error line after "<file>:". */
static const struct {
    const char *name;
    const char *error;
} bad_funds[] = {
    {"amount-percent",
        "5:37: parent.commitments.soe: an amount cannot be a percentage"},
    {"anchor-alias",
        "4:9: parent.name: anchors and aliases are not allowed"},
    {"bow-zero",
        "14:68: subfunds[0].projection.bow: bow must be above 0"},
    {"buyout-year-missing",
        "16:17: subfunds[0].concession: missing required key \"year\""},
    {"buyout-year-outside-life",
        "16:38: subfunds[0].concession.year: the buyout year 11 is outside the sub-fund's model "
        "years 1 to 10"},
    {"call-above-one",
        "14:40: subfunds[0].projection.calls[2]: 3/2 is not a ratio between 0 and 1"},
    {"call-zero-denominator",
        "14:33: subfunds[0].projection.calls[1]: invalid number \"1/0\": zero denominator"},
    {"call-zero",
        "14:33: subfunds[0].projection.calls[1]: a call rate must be above 0"},
    {"calls-empty",
        "14:25: subfunds[0].projection.calls: expected 1 to 100 call rates"},
    {"calls-longer-than-life",
        "14:25: subfunds[0].projection.calls: 4 call rates for a life of 3 years: at most one a "
        "year"},
    {"carry-missing",
        "15:16: subfunds[0].waterfall: missing required key \"carry\""},
    {"carry-one",
        "15:71: subfunds[0].waterfall.carry: carry must be below 100%"},
    {"catch-up-below-carry",
        "15:56: subfunds[0].waterfall.catch_up: catch_up 15% must be above carry 20% (or 0 for "
        "no catch-up)"},
    {"catch-up-equals-carry",
        "15:56: subfunds[0].waterfall.catch_up: catch_up 20% must be above carry 20% (or 0 for "
        "no catch-up)"},
    {"ceded-above-one",
        "16:58: subfunds[0].concession.ceded: 110% is not a ratio between 0 and 1"},
    {"concession-kind-missing",
        "16:17: subfunds[0].concession: missing required key \"kind\""},
    {"concession-kind-unknown",
        "16:24: subfunds[0].concession.kind: unknown concession kind \"guarantee\" (expected "
        "capped_return|buyout)"},
    {"concession-no-private",
        "16:17: subfunds[0].concession: a concession needs private commitments to benefit"},
    {"concession-year-on-capped",
        "16:51: subfunds[0].concession.year: unknown key \"year\""},
    {"currency-lower",
        "16:11: currency: invalid currency \"cny\": expected [A-Z]{3}"},
    {"duplicate-key",
        "16:1: start_year: duplicate key \"start_year\""},
    {"duplicate-subfund-id",
        "16:9: subfunds[1].id: duplicate sub-fund id \"S1\""},
    {"empty-file",
        "1:1: empty fund file"},
    {"first-year-quoted",
        "16:17: subfunds[0].first_year: expected an integer from 1 to 100, found \"2\""},
    {"first-year-zero",
        "16:17: subfunds[0].first_year: expected an integer from 1 to 100, found \"0\""},
    {"fiscal-zero",
        "5:25: parent.commitments.fiscal: the fiscal commitment must be above 0"},
    {"fund-id-upper",
        "1:7: fund: invalid id \"Bad\": expected [a-z0-9-]{1,64}"},
    {"growth-minus-100",
        "14:81: subfunds[0].projection.growth: growth must be above -100%"},
    {"growth-missing",
        "14:17: subfunds[0].projection: missing required key \"growth\""},
    {"investment-amount-missing",
        "13:54: subfunds[0].reinvestment.investments[1]: missing required key \"amount\""},
    {"investment-amount-negative",
        "13:30: subfunds[0].reinvestment.investments[0].amount: an amount cannot be negative"},
    {"life-text",
        "14:59: subfunds[0].projection.life: expected an integer from 1 to 100, found \"ten\""},
    {"life-zero",
        "14:59: subfunds[0].projection.life: expected an integer from 1 to 100, found \"0\""},
    {"limits-unknown-key",
        "16:10: limits.state_share_min: unknown key \"state_share_min\""},
    {"missing-fund",
        "1:1: missing required key \"fund\""},
    {"missing-subfunds",
        "1:1: missing required key \"subfunds\""},
    {"multiple-missing",
        "12:7: subfunds[0].reinvestment: missing required key \"multiple\""},
    {"multiple-negative",
        "12:17: subfunds[0].reinvestment.multiple: a multiple cannot be negative"},
    {"parent-commitment-missing",
        "10:18: subfunds[0].commitments: missing required key \"parent\""},
    {"parent-commitment-zero",
        "10:27: subfunds[0].commitments.parent: the parent commitment must be above 0"},
    {"parent-missing-name",
        "4:3: parent: missing required key \"name\""},
    {"parent-scalar",
        "3:9: parent: expected a mapping, found a scalar"},
    {"participation-cap-above-one",
        "16:24: subfunds[0].participation_cap: 120% is not a ratio between 0 and 1"},
    {"pref-negative",
        "15:40: subfunds[0].waterfall.pref: pref cannot be negative"},
    {"private-exponent",
        "5:53: parent.commitments.private: invalid number \"2e2\": exponents are not allowed"},
    {"private-nan",
        "5:53: parent.commitments.private: invalid number \"NaN\": NaN and infinity are not "
        "allowed"},
    {"private-thousands",
        "5:53: parent.commitments.private: invalid number \"1,000\": thousands separators are "
        "not allowed"},
    {"reinvestment-tag-unknown",
        "13:74: subfunds[0].reinvestment.investments[1].tag: unknown reinvestment tag \"moved\" "
        "(expected registered|relocated)"},
    {"root-list",
        "1:1: a fund file must be a mapping, found a list"},
    {"soe-negative",
        "5:37: parent.commitments.soe: an amount cannot be negative"},
    {"start-year-low",
        "2:13: start_year: expected an integer from 1900 to 2199, found \"1899\""},
    {"start-year-text",
        "2:13: start_year: expected an integer from 1900 to 2199, found \"twenty\""},
    {"state-share-above-one",
        "16:27: limits.state_share_max: 1.5 is not a ratio between 0 and 1"},
    {"subfund-kind-unknown",
        "9:11: subfunds[0].kind: unknown sub-fund kind \"seed\" (expected "
        "angel|vc|industry|other)"},
    {"subfunds-empty",
        "7:11: subfunds: expected 1 to 1000 sub-funds"},
    {"subfunds-mapping",
        "7:11: subfunds: expected a list, found a mapping"},
    {"too-many-digits",
        "5:37: parent.commitments.soe: invalid number \"1234567890123456789012345678901\": more "
        "than 30 significant digits"},
    {"unknown-subfund-key",
        "16:5: subfunds[0].colour: unknown key \"colour\""},
    {"unknown-top-key",
        "16:1: colour: unknown key \"colour\""},
    {"waterfall-list",
        "15:16: subfunds[0].waterfall: expected a mapping, found a list"},
    {"waterfall-style-unknown",
        "15:24: subfunds[0].waterfall.style: unknown waterfall style \"asian\" (expected "
        "european|american)"},
    {"weight-negative",
        "6:52: reinvestment_weights.relocated: a weight cannot be negative"},
    {"weight-tag-invalid",
        "6:41: reinvestment_weights.re located: invalid id \"re located\": expected "
        "[A-Za-z0-9._-]{1,64}"},
    {"yield-above-one",
        "14:95: subfunds[0].projection.yield: 2 is not a ratio between 0 and 1"},
};

static void expect_file_error(const char *name, const char *want)
{
    char path[256], line[1400];
    eng_fund *f = NULL;
    eng_error err;
    snprintf(path, sizeof(path), BAD_DIR "%s.yaml", name);
    eng_status rc = fund_load_file(path, &f, &err);
    cr_assert_neq(rc, ENG_OK, "%s: accepted", name);
    cr_assert_null(f, "%s: fund set on error", name);
    eng_error_format(line, sizeof(line), &err);
    size_t n = strlen(path);
    cr_assert(strncmp(line, path, n) == 0 && line[n] == ':', "%s: %s", name, line);
    cr_expect_str_eq(line + n + 1, want, "%s", name);
}

Test(fund_loader, malformed_files)
{
    size_t n = sizeof(bad_funds) / sizeof(bad_funds[0]);
    cr_assert_geq(n, 20);
    for (size_t i = 0; i < n; i++) {
        expect_file_error(bad_funds[i].name, bad_funds[i].error);
    }
}

/* Every file in BAD_DIR has a row in the table, so a new case cannot go unchecked. */
Test(fund_loader, every_bad_file_is_in_the_table)
{
    DIR *dir = opendir(BAD_DIR);
    size_t files = 0;
    cr_assert_not_null(dir);
    for (struct dirent *d = readdir(dir); d != NULL; d = readdir(dir)) {
        if (d->d_name[0] == '.') {
            continue;
        }
        char name[256];
        snprintf(name, sizeof(name), "%s", d->d_name);
        char *dot = strstr(name, ".yaml");
        cr_assert(dot != NULL && dot[5] == '\0', "%s is not a .yaml file", name);
        *dot = '\0';
        int found = 0;
        for (size_t i = 0; i < sizeof(bad_funds) / sizeof(bad_funds[0]) && !found; i++) {
            found = strcmp(bad_funds[i].name, name) == 0;
        }
        cr_expect(found, "%s.yaml has no expected error", name);
        files++;
    }
    closedir(dir);
    cr_assert_eq(files, sizeof(bad_funds) / sizeof(bad_funds[0]));
}

static eng_fund *load_ok(const char *path)
{
    eng_fund *f = NULL;
    eng_error err;
    char line[1400];
    eng_status rc = fund_load_file(path, &f, &err);
    eng_error_format(line, sizeof(line), &err);
    cr_assert_eq(rc, ENG_OK, "%s", line);
    cr_assert_not_null(f);
    return f;
}

static void expect_q(const mpq_t x, const char *want, const char *what)
{
    mpq_t w;
    mpq_init(w);
    cr_assert_eq(mpq_set_str(w, want, 10), 0, "%s: bad test value %s", what, want);
    mpq_canonicalize(w);
    int same = mpq_equal(x, w);
    mpq_clear(w);
    cr_expect(same, "%s: expected %s", what, want);
}

Test(fund_loader, small_test_fund)
{
    eng_fund *f = load_ok("tests/data/funds/small.yaml");
    cr_assert_str_eq(f->id, "small-test");
    cr_assert_str_eq(f->currency, "CNY");
    cr_assert_eq(f->start_year, 2021);
    cr_assert_str_eq(f->parent_name, "Test parent fund");
    expect_q(f->fiscal, "500", "fiscal");
    expect_q(f->soe, "300", "soe");
    expect_q(f->private_lp, "200", "private");
    cr_assert_eq(f->n_weights, 2);
    cr_assert_str_eq(f->weights[1].tag, "relocated");
    expect_q(f->weights[1].weight, "3/2", "relocated weight");
    expect_q(f->state_share_max, "4/5", "state_share_max");
    cr_assert_eq(f->n_subfunds, 1);
    const eng_fund_subfund *s = f->subfunds[0];
    cr_assert_str_eq(s->id, "S2");
    cr_assert_eq(s->kind, ENG_FUND_VC);
    expect_q(s->parent, "125", "parent");
    expect_q(s->other_state, "0", "other_state");
    expect_q(s->private_lp, "375", "private");
    expect_q(s->participation_cap, "3/10", "participation_cap");
    expect_q(s->reinvestment_multiple, "3/2", "multiple");
    cr_assert_eq(s->n_investments, 2);
    expect_q(s->investments[1].amount, "60", "investment");
    cr_assert_str_eq(s->investments[1].tag, "relocated");
    cr_assert_eq(s->first_year, 1);
    cr_assert_eq(s->projection.n_calls, 4);
    expect_q(s->projection.calls[1], "1/3", "call 2");
    cr_assert_eq(s->projection.life, 10);
    expect_q(s->projection.bow, "2", "bow");
    expect_q(s->projection.growth, "1/10", "growth");
    expect_q(s->projection.yield, "0", "yield");
    cr_assert_eq(s->waterfall.style, ENG_WATERFALL_EUROPEAN);
    expect_q(s->waterfall.pref, "2/25", "pref");
    expect_q(s->waterfall.catch_up, "1", "catch_up");
    expect_q(s->waterfall.carry, "1/5", "carry");
    cr_assert_eq(s->concession.kind, ENG_CONCESSION_NONE);
    eng_fund_free(f);
}

/* The shipped scenario loads: six sub-funds, both concessions, both waterfalls. */
Test(fund_loader, zhengzhou_fund)
{
    eng_fund *f = load_ok("policies/funds/zhengzhou-industry-fund.yaml");
    cr_assert_str_eq(f->id, "zz-industry-fund-2022");
    cr_assert_eq(f->start_year, 2022);
    cr_assert_str_eq(f->parent_name, "郑州市产业发展基金");
    expect_q(f->fiscal, "5000000000", "fiscal");
    cr_assert_eq(f->n_subfunds, 6);
    cr_assert_eq(f->subfunds[0]->kind, ENG_FUND_ANGEL);
    cr_assert_eq(f->subfunds[0]->projection.life, 15);
    expect_q(f->subfunds[0]->participation_cap, "1/2", "angel cap");
    cr_assert_eq(f->subfunds[0]->concession.kind, ENG_CONCESSION_CAPPED_RETURN);
    expect_q(f->subfunds[0]->concession.rate, "3/100", "capped rate");
    expect_q(f->subfunds[0]->concession.ceded, "1", "ceded");
    cr_assert_eq(f->subfunds[2]->concession.kind, ENG_CONCESSION_BUYOUT);
    cr_assert_eq(f->subfunds[2]->concession.year, 7);
    cr_assert_eq(f->subfunds[2]->first_year, 2);
    cr_assert_eq(f->subfunds[4]->waterfall.style, ENG_WATERFALL_AMERICAN);
    for (size_t i = 0; i < f->n_subfunds; i++) {
        expect_q(f->subfunds[i]->reinvestment_multiple, "1", f->subfunds[i]->id);
    }
    eng_fund_free(f);
}

/* The least a file needs; the defaults of docs/fund-reference.md fill the rest. */
Test(fund_loader, defaults)
{
    static const char text[] =
        "fund: minimal\n"
        "start_year: 2024\n"
        "parent:\n"
        "  name: 母基金\n"
        "  commitments: {fiscal: \"100\"}\n"
        "subfunds:\n"
        "  - id: a\n"
        "    kind: other\n"
        "    commitments: {parent: \"10\"}\n"
        "    projection: {calls: [\"1\"], life: 1, bow: \"1\", growth: \"0\"}\n"
        "    waterfall: {style: american, pref: \"0\", carry: \"0\"}\n";
    eng_fund *f = NULL;
    eng_error err;
    cr_assert_eq(fund_load_buffer("min.yaml", (const unsigned char *)text, strlen(text), &f,
                                  &err), ENG_OK, "%d:%d %s: %s", err.line, err.column, err.path,
                 err.message);
    cr_assert_str_eq(f->currency, "CNY");
    expect_q(f->soe, "0", "soe");
    expect_q(f->private_lp, "0", "private");
    expect_q(f->state_share_max, "1", "state_share_max");
    cr_assert_eq(f->n_weights, 3);
    cr_assert_str_eq(f->weights[0].tag, "registered");
    cr_assert_str_eq(f->weights[1].tag, "relocated");
    cr_assert_str_eq(f->weights[2].tag, "local_entity");
    for (size_t i = 0; i < 3; i++) {
        expect_q(f->weights[i].weight, "1", f->weights[i].tag);
    }
    const eng_fund_subfund *s = f->subfunds[0];
    expect_q(s->participation_cap, "1", "participation_cap");
    expect_q(s->reinvestment_multiple, "0", "multiple");
    cr_assert_eq(s->n_investments, 0);
    cr_assert_eq(s->first_year, 1);
    expect_q(s->projection.yield, "0", "yield");
    expect_q(s->waterfall.catch_up, "1", "catch_up");
    cr_assert_eq(s->concession.kind, ENG_CONCESSION_NONE);
    eng_fund_free(f);
}

/* catch_up 0 means no catch-up tier: allowed whatever the carry. */
Test(fund_loader, catch_up_zero_is_no_tier)
{
    static const char text[] =
        "fund: f\nstart_year: 2024\nparent: {name: p, commitments: {fiscal: \"1\"}}\n"
        "subfunds:\n  - {id: a, kind: vc, commitments: {parent: \"1\"},\n"
        "     projection: {calls: [\"1\"], life: 2, bow: \"2\", growth: \"5%\"},\n"
        "     waterfall: {style: european, pref: \"8%\", catch_up: \"0\", carry: \"20%\"}}\n";
    eng_fund *f = NULL;
    eng_error err;
    cr_assert_eq(fund_load_buffer("c.yaml", (const unsigned char *)text, strlen(text), &f,
                                  &err), ENG_OK, "%s", err.message);
    expect_q(f->subfunds[0]->waterfall.catch_up, "0", "catch_up");
    eng_fund_free(f);
}

Test(fund_loader, missing_file)
{
    eng_fund *f = NULL;
    eng_error err;
    char line[512];
    cr_assert_eq(fund_load_file("tests/data/funds/no-such-file.yaml", &f, &err), ENG_EPARSE);
    cr_assert_null(f);
    eng_error_format(line, sizeof(line), &err);
    cr_assert_str_eq(line,
                     "tests/data/funds/no-such-file.yaml: cannot open: No such file or directory");
}

Test(fund_loader, too_large)
{
    size_t len = 2 * 1024 * 1024;
    unsigned char *buf = malloc(len);
    eng_fund *f = NULL;
    eng_error err;
    cr_assert_not_null(buf);
    memset(buf, '#', len);
    cr_assert_eq(fund_load_buffer("big.yaml", buf, len, &f, &err), ENG_ELIMIT);
    cr_assert_str_eq(err.message, "file larger than 1048576 bytes");
    free(buf);
}

/* xorshift64* with the seed printed on failure. */
static unsigned long long next(unsigned long long *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

/*
 * Property: any byte-level mutation of a valid fund file loads, or fails with a
 * positioned error; it never crashes (ASan/UBSan watch this test).
 */
Test(fund_loader, mutations_never_crash)
{
    static const char base[] =
        "fund: m\nstart_year: 2021\nparent:\n  name: P\n"
        "  commitments: {fiscal: \"500\", soe: \"300\", private: \"200\"}\n"
        "reinvestment_weights: {registered: \"1\", relocated: \"1.5\"}\n"
        "limits: {state_share_max: \"80%\"}\n"
        "subfunds:\n  - id: S1\n    kind: angel\n"
        "    commitments: {parent: \"80\", other_state: \"20\", private: \"100\"}\n"
        "    reinvestment: {multiple: \"1\", investments: [{amount: \"70\", tag: registered}]}\n"
        "    first_year: 2\n"
        "    projection: {calls: [\"1/4\", \"1/3\", \"1/2\", \"1\"], life: 10, bow: \"2\", "
        "growth: \"15%\", yield: \"0\"}\n"
        "    waterfall: {style: european, pref: \"8%\", catch_up: \"100%\", carry: \"20%\"}\n"
        "    concession: {kind: buyout, year: 5, rate: \"3%\"}\n";
    static const char alphabet[] = "{}[]:,-&*!#%'\"\n 0123456789./abez\t|>?";
    const unsigned long long seed0 = 20221102ULL;
    unsigned long long s = seed0;
    unsigned char buf[sizeof(base) + 16];

    for (int trial = 0; trial < 3000; trial++) {
        size_t len = sizeof(base) - 1;
        memcpy(buf, base, len);
        int edits = 1 + (int)(next(&s) % 4);
        for (int e = 0; e < edits && len > 0; e++) {
            size_t at = next(&s) % len;
            unsigned long long r = next(&s);
            if (r % 3 == 0) {
                buf[at] = (unsigned char)alphabet[r / 3 % (sizeof(alphabet) - 1)];
            } else if (r % 3 == 1) {
                buf[at] = (unsigned char)(r >> 8);
            } else {
                len = at; /* truncate */
            }
        }
        eng_fund *f = NULL;
        eng_error err;
        eng_status rc = fund_load_buffer("m.yaml", buf, len, &f, &err);
        if (rc == ENG_OK) {
            cr_assert_not_null(f, "seed %llu trial %d", seed0, trial);
            eng_fund_free(f);
        } else {
            cr_assert_null(f, "seed %llu trial %d", seed0, trial);
            cr_assert_gt(err.line, 0, "seed %llu trial %d: no line for %s", seed0, trial,
                         err.message);
            cr_assert_gt(err.column, 0, "seed %llu trial %d", seed0, trial);
            cr_assert_neq(err.message[0], '\0', "seed %llu trial %d", seed0, trial);
        }
    }
}
