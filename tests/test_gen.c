/*
 * test_gen.c -- goal: `riskshare gen loans` writes the same bytes for the same options,
 * and every row is a well-formed loan of DESIGN 5 for the policy it was drawn for: valid
 * credit codes, the policy's own banks and guarantors, whole-yuan principals of at least
 * 100,000, start dates inside the version's window; a realistic few percent of the loans
 * are ineligible (checked here with the engine's rules, independently of the generator);
 * --invalid-rate R makes exactly round(R x count) rows malformed and leaves the others as
 * they were; bad options are usage errors (exit 2) and a bad policy exits 65.
 *
 * Run from the repository root (the policy paths are relative to it).
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd_gen.h"
#include "loader.h"
#include "money.h"
#include "rules.h"
#include "uscc.h"

#define ZZ_2018 "policies/zz-kejidai-2018.yaml"
#define ZZ_2025 "policies/zz-kejidai-2025.yaml"

static const char *const real_policies[] = {
    "policies/zz-kejidai-2018.yaml",         "policies/zz-kejidai-2023-draft.yaml",
    "policies/zz-kejidai-2025.yaml",         "policies/henan-kejidai-2025.yaml",
    "policies/anhui-4321.yaml",              "policies/national-tech-guarantee-2024.yaml",
    "policies/eu-capped-portfolio.yaml",
};
#define N_REAL (sizeof(real_policies) / sizeof(real_policies[0]))

static const char header[] =
    "loan_id,borrower_code,borrower_name,tech_status,sector,credit_grade,revenue,bank,"
    "guarantor,principal,annual_rate,collateral_ratio,start_date,term_months,first_loan,"
    "fee_rate";

enum {
    F_LOAN_ID, F_CODE, F_NAME, F_TECH, F_SECTOR, F_GRADE, F_REVENUE, F_BANK, F_GUARANTOR,
    F_PRINCIPAL, F_RATE, F_COLLATERAL, F_START, F_TERM, F_FIRST, F_FEE, F__COUNT
};

/* ---- helpers ----------------------------------------------------------------------- */

static eng_policy *load(const char *file)
{
    eng_policy *p = NULL;
    eng_error err;
    cr_assert_eq(pol_load_file(&p, file, NULL, NULL, &err), ENG_OK, "%s: %s", file,
                 err.message);
    return p;
}

/* The generated CSV as one string, and the run's statistics. */
typedef struct {
    char *text;
    size_t len;
    cli_gen_stats stats;
} output;

static eng_status generate(output *out, const cli_gen_opts *o, eng_error *err)
{
    FILE *f = open_memstream(&out->text, &out->len);
    cr_assert_not_null(f);
    memset(&out->stats, 0, sizeof(out->stats));
    eng_status rc = cli_gen_loans(f, &out->stats, o, err);
    cr_assert_eq(fclose(f), 0);
    return rc;
}

static output generate_ok(const cli_gen_opts *o)
{
    output out;
    eng_error err;
    eng_status rc = generate(&out, o, &err);
    cr_assert_eq(rc, ENG_OK, "cli_gen_loans: %s", err.message);
    return out;
}

static cli_gen_opts opts(const eng_policy *p, uint64_t count, uint64_t seed)
{
    cli_gen_opts o = CLI_GEN_OPTS_INIT;
    o.policy = p;
    o.count = count;
    o.seed = seed;
    return o;
}

/* One parsed CSV line: fields point into `buf`. */
typedef struct {
    char buf[2048];
    char *f[F__COUNT + 1];
    int n;
} row;

/* Splits the line at `*pos` of `text` (RFC 4180 quotes, no newline inside); advances `*pos`. */
static void parse_line(row *r, const char *text, size_t *pos)
{
    size_t k = 0;
    const char *s = text + *pos;
    int quoted = 0;

    r->n = 0;
    r->f[r->n++] = r->buf;
    for (; *s != '\0' && (*s != '\n' || quoted); s++) {
        cr_assert_lt(k, sizeof(r->buf) - 2);
        if (*s == '"') {
            if (quoted && s[1] == '"') {
                r->buf[k++] = *++s;
            } else {
                quoted = !quoted;
            }
        } else if (*s == ',' && !quoted) {
            r->buf[k++] = '\0';
            cr_assert_lt(r->n, F__COUNT + 1, "too many fields");
            r->f[r->n++] = r->buf + k;
        } else {
            r->buf[k++] = *s;
        }
    }
    r->buf[k] = '\0';
    cr_assert_eq(*s, '\n', "every line ends with \\n");
    *pos = (size_t)(s + 1 - text);
}

static size_t count_lines(const char *text)
{
    size_t n = 0;
    for (const char *s = text; *s != '\0'; s++) {
        n += *s == '\n';
    }
    return n;
}

/* The value of a decimal of at most 9 digits, or -1. */
static long num_of(const char *s)
{
    long v = 0;
    size_t n = strlen(s);
    if (n == 0 || n > 9) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int is_digits(const char *s)
{
    if (*s == '\0') {
        return 0;
    }
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9') {
            return 0;
        }
    }
    return 1;
}

/* 1 when `text` is a number in [0, 1] by the rules of DESIGN 10. */
static int is_ratio(const char *text)
{
    mpq_t q;
    eng_error err;
    mpq_init(q);
    int ok = eng_num_parse(q, text, strlen(text), &err) == ENG_OK && mpq_sgn(q) >= 0 &&
             mpq_cmp_ui(q, 1, 1) <= 0;
    mpq_clear(q);
    return ok;
}

static int is_party(const eng_policy *p, const char *id, eng_party_kind kind)
{
    int i = eng_policy_party(p, id);
    return i >= 0 && p->parties[i].kind == kind;
}

/* NULL when the row is a well-formed loan of DESIGN 5 for `p`, else what is wrong. */
static const char *row_problem(const eng_policy *p, const row *r)
{
    char buf[96];
    eng_fen fen;
    eng_date d;
    eng_error err;
    static const int required[] = {F_LOAN_ID, F_CODE, F_NAME, F_TECH, F_SECTOR, F_GRADE,
                                   F_BANK, F_PRINCIPAL, F_RATE, F_COLLATERAL, F_START,
                                   F_TERM, F_FIRST};
    if (r->n != F__COUNT) {
        return "field count";
    }
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        if (r->f[required[i]][0] == '\0') {
            return "empty required field";
        }
    }
    if (eng_uscc_check(r->f[F_CODE], strlen(r->f[F_CODE]), buf, sizeof(buf)) != NULL) {
        return "credit code";
    }
    if (!eng_tech_status_valid(r->f[F_TECH])) {
        return "tech_status";
    }
    if (!is_party(p, r->f[F_BANK], ENG_PARTY_BANK)) {
        return "bank";
    }
    if (r->f[F_GUARANTOR][0] != '\0' && !is_party(p, r->f[F_GUARANTOR], ENG_PARTY_GUARANTOR)) {
        return "guarantor";
    }
    const char *pr = r->f[F_PRINCIPAL];
    if (eng_money_parse(&fen, pr, strlen(pr), &err) != ENG_OK || fen <= 0) {
        return "principal";
    }
    if (r->f[F_REVENUE][0] != '\0' &&
        eng_money_parse(&fen, r->f[F_REVENUE], strlen(r->f[F_REVENUE]), &err) != ENG_OK) {
        return "revenue";
    }
    if (!is_ratio(r->f[F_RATE]) || !is_ratio(r->f[F_COLLATERAL]) ||
        (r->f[F_FEE][0] != '\0' && !is_ratio(r->f[F_FEE]))) {
        return "ratio";
    }
    if (eng_date_parse(&d, r->f[F_START], strlen(r->f[F_START]), &err) != ENG_OK) {
        return "start_date";
    }
    if (num_of(r->f[F_TERM]) < 1 || num_of(r->f[F_TERM]) > 360) {
        return "term_months";
    }
    if (strcmp(r->f[F_FIRST], "true") != 0 && strcmp(r->f[F_FIRST], "false") != 0) {
        return "first_loan";
    }
    return NULL;
}

static eng_date date_of(const char *text)
{
    eng_date d = 0;
    eng_error err;
    cr_assert_eq(eng_date_parse(&d, text, strlen(text), &err), ENG_OK, "%s", text);
    return d;
}

/* ---- determinism and shape --------------------------------------------------------- */

Test(gen, same_options_same_bytes)
{
    eng_policy *p = load(ZZ_2025);
    cli_gen_opts o = opts(p, 3000, 42);
    output a = generate_ok(&o), b = generate_ok(&o);
    cr_assert_eq(a.len, b.len);
    cr_assert(memcmp(a.text, b.text, a.len) == 0, "two runs with the same options differ");

    o.seed = 43;
    output c = generate_ok(&o);
    cr_assert(a.len != c.len || memcmp(a.text, c.text, a.len) != 0, "seeds 42 and 43 agree");
    cr_assert(strstr(c.text, "\nS43-L00000001,") != NULL);

    o.seed = 42;
    o.invalid_rate = "0.05";
    output d = generate_ok(&o), e = generate_ok(&o);
    cr_assert(d.len == e.len && memcmp(d.text, e.text, d.len) == 0);
    free(a.text), free(b.text), free(c.text), free(d.text), free(e.text);
    eng_policy_free(p);
}

Test(gen, header_ids_and_exact_count)
{
    eng_policy *p = load(ZZ_2025);
    cli_gen_opts o = opts(p, 0, 7);
    output empty = generate_ok(&o);
    cr_assert_str_eq(empty.text, "loan_id,borrower_code,borrower_name,tech_status,sector,"
                                 "credit_grade,revenue,bank,guarantor,principal,annual_rate,"
                                 "collateral_ratio,start_date,term_months,first_loan,"
                                 "fee_rate\n");
    cr_assert_eq(empty.stats.rows, 0);

    o.count = 1234;
    output out = generate_ok(&o);
    cr_assert_eq(count_lines(out.text), 1235);
    cr_assert_eq(out.stats.rows, 1234);
    cr_assert(strncmp(out.text, header, strlen(header)) == 0);
    cr_assert_eq(memcmp(out.text, "\xEF\xBB\xBF", 3) != 0, 1, "no BOM");
    cr_assert_null(strchr(out.text, '\r'), "\\n line endings only");
    size_t pos = strlen(header) + 1;
    for (int i = 1; i <= 1234; i++) {
        row r;
        char want[32];
        parse_line(&r, out.text, &pos);
        snprintf(want, sizeof(want), "S7-L%08d", i);
        cr_assert_str_eq(r.f[F_LOAN_ID], want);
    }
    cr_assert_eq(pos, out.len);
    free(empty.text), free(out.text);
    eng_policy_free(p);
}

/* ---- validity for the policy ------------------------------------------------------- */

/* Checks every row of a 2000-row run for `file`; the run's start window is [lo, hi]. */
static void check_policy_rows(const char *file)
{
    static const int terms[] = {3, 6, 12, 18, 24, 36, 48, 60};
    eng_policy *p = load(file);
    cli_gen_opts o = opts(p, 2000, 2020);
    output out = generate_ok(&o);
    eng_date lo = p->effective_from, hi = lo + 364;
    if (p->has_effective_to && p->effective_to < hi) {
        hi = p->effective_to;
    }
    size_t pos = strlen(header) + 1, direct = 0;
    for (int i = 0; i < 2000; i++) {
        row r;
        parse_line(&r, out.text, &pos);
        const char *why = row_problem(p, &r);
        cr_assert_null(why, "%s row %d: %s", file, i + 2, why);
        cr_assert(is_digits(r.f[F_PRINCIPAL]), "%s: principal %s is not whole yuan", file,
                  r.f[F_PRINCIPAL]);
        cr_assert_geq(num_of(r.f[F_PRINCIPAL]), 100000, "%s: %s", file, r.f[F_PRINCIPAL]);
        eng_date d = date_of(r.f[F_START]);
        cr_assert(d >= lo && d <= hi, "%s: start %s outside the window", file, r.f[F_START]);
        int term = (int)num_of(r.f[F_TERM]), known = 0;
        for (size_t k = 0; k < sizeof(terms) / sizeof(terms[0]); k++) {
            known |= term == terms[k];
        }
        cr_assert(known, "%s: term %d", file, term);
        cr_assert(strncmp(r.f[F_NAME], "郑州", strlen("郑州")) == 0, "%s", r.f[F_NAME]);
        direct += r.f[F_GUARANTOR][0] == '\0';
    }
    cr_assert_eq(direct, 2000 - out.stats.guaranteed);
    free(out.text);
    eng_policy_free(p);
}

Test(gen, every_row_is_a_valid_loan_of_its_policy)
{
    for (size_t i = 0; i < N_REAL; i++) {
        check_policy_rows(real_policies[i]);
    }
}

Test(gen, direct_and_guaranteed_follow_the_policy)
{
    /* zz-kejidai 2025 prices both kinds: about a third direct. */
    eng_policy *p = load(ZZ_2025);
    cli_gen_opts o = opts(p, 3000, 5);
    output out = generate_ok(&o);
    cr_assert(out.stats.guaranteed > 1800 && out.stats.guaranteed < 2200, "%llu guaranteed",
              (unsigned long long)out.stats.guaranteed);
    free(out.text);
    eng_policy_free(p);

    /* 2018 has terms for direct loans only; anhui-4321 admits guaranteed loans only. */
    p = load(ZZ_2018);
    o.policy = p;
    out = generate_ok(&o);
    cr_assert_eq(out.stats.guaranteed, 0);
    free(out.text);
    eng_policy_free(p);
    p = load("policies/anhui-4321.yaml");
    o.policy = p;
    out = generate_ok(&o);
    cr_assert_eq(out.stats.guaranteed, 3000);
    free(out.text);
    eng_policy_free(p);
}

Test(gen, start_option_and_window_end)
{
    eng_policy *p = load(ZZ_2018);
    cli_gen_opts o = opts(p, 500, 9);
    o.has_start = 1;
    o.start = date_of("2020-03-01");
    output out = generate_ok(&o);
    size_t pos = strlen(header) + 1;
    eng_date first = 0, last = 0;
    for (int i = 0; i < 500; i++) {
        row r;
        parse_line(&r, out.text, &pos);
        eng_date d = date_of(r.f[F_START]);
        cr_assert(d >= o.start && d <= o.start + 364 && d >= last);
        first = i == 0 ? d : first;
        last = d;
    }
    cr_assert_eq(first, o.start);
    cr_assert_gt(last, o.start + 300, "dates spread over about a year");
    free(out.text);

    /* Four weeks before effective_to: every date stays inside the version. */
    o.start = date_of("2023-05-04");
    out = generate_ok(&o);
    cr_assert_null(strstr(out.text, ",2023-06-"));
    cr_assert_not_null(strstr(out.text, ",2023-05-31,"));
    free(out.text);
    eng_policy_free(p);
}

/* ---- borrowers --------------------------------------------------------------------- */

typedef struct {
    char code[19];
    char name[160];
    char tech[24];
    int loans;
} borrower_seen;

Test(gen, borrowers_come_back_unchanged)
{
    eng_policy *p = load(ZZ_2025);
    cli_gen_opts o = opts(p, 3000, 11);
    output out = generate_ok(&o);
    borrower_seen *seen = calloc(3000, sizeof(*seen));
    size_t n_seen = 0, pos = strlen(header) + 1;
    int most = 0;

    for (int i = 0; i < 3000; i++) {
        row r;
        parse_line(&r, out.text, &pos);
        size_t k = 0;
        while (k < n_seen && strcmp(seen[k].code, r.f[F_CODE]) != 0) {
            k++;
        }
        if (k == n_seen) {
            n_seen++;
            memcpy(seen[k].code, r.f[F_CODE], 19);
            snprintf(seen[k].name, sizeof(seen[k].name), "%s", r.f[F_NAME]);
            snprintf(seen[k].tech, sizeof(seen[k].tech), "%s", r.f[F_TECH]);
        } else {
            cr_assert_str_eq(seen[k].name, r.f[F_NAME], "one code, one name");
            cr_assert_str_eq(seen[k].tech, r.f[F_TECH], "one borrower, one tech status");
            cr_assert_str_eq(r.f[F_FIRST], "false", "only a first loan can be first_loan");
        }
        seen[k].loans++;
        most = seen[k].loans > most ? seen[k].loans : most;
    }
    cr_assert_eq(n_seen, out.stats.borrowers);
    cr_assert(n_seen < 2700, "%zu borrowers for 3000 loans: too few come back", n_seen);
    cr_assert_geq(most, 3, "some borrowers take several loans");
    free(seen);
    free(out.text);
    eng_policy_free(p);
}

/* ---- ineligible share, judged with the engine -------------------------------------- */

typedef struct {
    char code[19];
    mpq_t owed;
} owed_entry;

/* Admission steps 1-3 of DESIGN 6 for the row, with its borrower's admitted principal. */
static int admitted(const eng_policy *p, const row *r, mpq_t owed, eng_terms_result *t)
{
    eng_loan loan;
    eng_error err;
    size_t failed[ENG_RULES_MAX];
    int ok;

    eng_loan_init(&loan);
    loan.borrower_code = r->f[F_CODE];
    loan.tech_status = r->f[F_TECH];
    loan.sector = r->f[F_SECTOR];
    loan.credit_grade = r->f[F_GRADE];
    loan.bank = r->f[F_BANK];
    loan.guarantor = r->f[F_GUARANTOR];
    cr_assert_eq(eng_num_parse(loan.principal, r->f[F_PRINCIPAL], strlen(r->f[F_PRINCIPAL]),
                               &err), ENG_OK);
    if (r->f[F_REVENUE][0] != '\0') {
        eng_num_parse(loan.revenue, r->f[F_REVENUE], strlen(r->f[F_REVENUE]), &err);
    }
    eng_num_parse(loan.annual_rate, r->f[F_RATE], strlen(r->f[F_RATE]), &err);
    eng_num_parse(loan.collateral_ratio, r->f[F_COLLATERAL], strlen(r->f[F_COLLATERAL]), &err);
    loan.term_months = (int)num_of(r->f[F_TERM]);
    loan.first_loan = strcmp(r->f[F_FIRST], "true") == 0;
    loan.start_date = date_of(r->f[F_START]);
    loan.has_fee_rate = r->f[F_FEE][0] != '\0';
    if (loan.has_fee_rate) {
        eng_num_parse(loan.fee_rate, r->f[F_FEE], strlen(r->f[F_FEE]), &err);
    }
    ok = eng_eligibility_check(failed, p, &loan, owed) == 0 &&
         eng_terms_decide(t, p, &loan) == ENG_TERMS_OK;
    if (ok && !eng_loan_is_direct(&loan) && t->fee_rate.set && t->fee_rate_cap.set) {
        ok = mpq_cmp(t->fee_rate.v, t->fee_rate_cap.v) <= 0;
    }
    if (ok) {
        mpq_add(owed, owed, loan.principal);
    }
    eng_loan_clear(&loan);
    return ok;
}

/* The share of `n` rows of `file` that admission would reject, judged row by row. */
static double rejected_share(const char *file, int n, uint64_t *generator_says)
{
    eng_policy *p = load(file);
    cli_gen_opts o = opts(p, (uint64_t)n, 77);
    output out = generate_ok(&o);
    owed_entry *owed = calloc((size_t)n, sizeof(*owed));
    eng_terms_result t;
    size_t n_owed = 0, pos = strlen(header) + 1;
    int rejected = 0;

    eng_terms_result_init(&t, p->n_parties);
    for (int i = 0; i < n; i++) {
        row r;
        parse_line(&r, out.text, &pos);
        size_t k = 0;
        while (k < n_owed && strcmp(owed[k].code, r.f[F_CODE]) != 0) {
            k++;
        }
        if (k == n_owed) {
            memcpy(owed[n_owed].code, r.f[F_CODE], 19);
            mpq_init(owed[n_owed++].owed);
        }
        rejected += !admitted(p, &r, owed[k].owed, &t);
    }
    *generator_says = out.stats.ineligible;
    for (size_t k = 0; k < n_owed; k++) {
        mpq_clear(owed[k].owed);
    }
    eng_terms_result_clear(&t);
    free(owed);
    free(out.text);
    eng_policy_free(p);
    return (double)rejected / n;
}

Test(gen, a_realistic_few_are_ineligible)
{
    for (size_t i = 0; i < N_REAL; i++) {
        uint64_t says = 0;
        double share = rejected_share(real_policies[i], 4000, &says);
        cr_assert(share >= 0.03 && share <= 0.12, "%s: %.1f%% rejected", real_policies[i],
                  100 * share);
        cr_assert_eq((uint64_t)(share * 4000 + 0.5), says, "%s: the engine rejects %.0f, the "
                     "generator counted %llu", real_policies[i], share * 4000,
                     (unsigned long long)says);
    }
}

/* ---- malformed rows ---------------------------------------------------------------- */

Test(gen, invalid_rate_makes_exactly_that_many_rows_malformed)
{
    eng_policy *p = load(ZZ_2025);
    cli_gen_opts o = opts(p, 1000, 2024);
    output clean = generate_ok(&o);
    o.invalid_rate = "0.1";
    output dirty = generate_ok(&o);
    cr_assert_eq(dirty.stats.malformed, 100);
    cr_assert_eq(clean.stats.malformed, 0);

    size_t pa = strlen(header) + 1, pb = pa;
    int bad = 0, changed = 0;
    for (int i = 0; i < 1000; i++) {
        row a, b;
        size_t start_a = pa, start_b = pb;
        parse_line(&a, clean.text, &pa);
        parse_line(&b, dirty.text, &pb);
        int same = pa - start_a == pb - start_b &&
                   memcmp(clean.text + start_a, dirty.text + start_b, pa - start_a) == 0;
        const char *why = row_problem(p, &b);
        cr_assert_null(row_problem(p, &a), "row %d of the clean run: %s", i + 2,
                       row_problem(p, &a));
        cr_assert_eq(why == NULL, same, "row %d: changed rows are exactly the malformed ones",
                     i + 2);
        cr_assert_str_eq(a.f[F_LOAN_ID], b.f[F_LOAN_ID]);
        bad += why != NULL;
        changed += !same;
    }
    cr_assert_eq(bad, 100);
    cr_assert_eq(changed, 100);
    cr_assert_not_null(strstr(dirty.text, "\""), "a malformed row needs RFC 4180 quotes");
    free(clean.text), free(dirty.text);

    o.invalid_rate = "1/3"; /* round(1000 / 3) */
    output third = generate_ok(&o);
    cr_assert_eq(third.stats.malformed, 333);
    free(third.text);
    eng_policy_free(p);
}

/* ---- options ----------------------------------------------------------------------- */

Test(gen, agency_fixes_the_bank_or_the_guarantor)
{
    eng_policy *p = load(ZZ_2025);
    cli_gen_opts o = opts(p, 800, 3);
    o.agency = "zybank";
    output out = generate_ok(&o);
    size_t pos = strlen(header) + 1;
    for (int i = 0; i < 800; i++) {
        row r;
        parse_line(&r, out.text, &pos);
        cr_assert_str_eq(r.f[F_BANK], "zybank");
    }
    free(out.text);

    o.agency = "zz-guarantee";
    out = generate_ok(&o);
    pos = strlen(header) + 1;
    for (int i = 0; i < 800; i++) {
        row r;
        parse_line(&r, out.text, &pos);
        cr_assert_str_eq(r.f[F_GUARANTOR], "zz-guarantee");
    }
    cr_assert_eq(out.stats.guaranteed, 800);
    free(out.text);
    eng_policy_free(p);
}

Test(gen, bad_options_write_nothing)
{
    eng_policy *p = load(ZZ_2018);
    struct {
        uint64_t count;
        const char *rate, *start, *agency, *message;
    } cases[] = {
        {CLI_GEN_COUNT_MAX + 1ull, NULL, NULL, NULL,
         "--count 100000000 is above the most, 99999999"},
        {10, "1.5", NULL, NULL, "--invalid-rate \"1.5\" is not between 0 and 1"},
        {10, "-0.1", NULL, NULL, "--invalid-rate \"-0.1\" is not between 0 and 1"},
        {10, "1e3", NULL, NULL, "invalid --invalid-rate \"1e3\": "},
        {10, "", NULL, NULL, "invalid --invalid-rate \"\": "},
        {10, NULL, "2018-10-31", NULL,
         "--start 2018-10-31 is outside zz-kejidai@1's window 2018-11-01..2023-05-31"},
        {10, NULL, "2023-06-01", NULL,
         "--start 2023-06-01 is outside zz-kejidai@1's window 2018-11-01..2023-05-31"},
        {10, NULL, NULL, "zz-pool",
         "--agency \"zz-pool\" is not a bank or guarantor of zz-kejidai@1"},
        {10, NULL, NULL, "nobody",
         "--agency \"nobody\" is not a bank or guarantor of zz-kejidai@1"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cli_gen_opts o = opts(p, cases[i].count, 1);
        o.invalid_rate = cases[i].rate;
        o.agency = cases[i].agency;
        if (cases[i].start != NULL) {
            o.has_start = 1;
            o.start = date_of(cases[i].start);
        }
        output out;
        eng_error err;
        cr_assert_eq(generate(&out, &o, &err), ENG_EUSAGE, "case %zu", i);
        cr_assert_eq(out.len, 0, "case %zu wrote %zu bytes", i, out.len);
        cr_assert(strncmp(err.message, cases[i].message, strlen(cases[i].message)) == 0,
                  "case %zu: %s", i, err.message);
        free(out.text);
    }
    /* The window's ends themselves are fine. */
    cli_gen_opts o = opts(p, 3, 1);
    o.has_start = 1;
    o.start = date_of("2023-05-31");
    output out = generate_ok(&o);
    cr_assert_eq(count_lines(out.text), 4);
    free(out.text);
    eng_policy_free(p);
}

/* Runs cli_cmd_gen on the NULL-terminated words after `gen`. */
static int run_gen(const char *const *words)
{
    char *argv[16];
    int argc = 0;
    for (; words[argc] != NULL; argc++) {
        cr_assert_lt(argc, 15);
        argv[argc] = (char *)words[argc];
    }
    argv[argc] = NULL;
    return cli_cmd_gen(argc, argv);
}

static void quiet(void)
{
    cr_redirect_stdout();
    cr_redirect_stderr();
}

Test(gen, command_line_exit_codes, .init = quiet)
{
    char bad_policy[] = "/tmp/riskshare-test-gen-XXXXXX";
    int fd = mkstemp(bad_policy);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs("program: zz-kejidai\nversion: 1\nsurprise: yes\n", f);
    fclose(f);

    const struct {
        int code;
        const char *words[12];
    } cases[] = {
        {0, {"loans", "--help"}},
        {0, {"--help"}},
        {2, {NULL}},
        {2, {"events"}},
        {2, {"loans", "--seed", "1", "--policy", ZZ_2018}},
        {2, {"loans", "--count", "10", "--policy", ZZ_2018}},
        {2, {"loans", "--count", "10", "--seed", "1"}},
        {2, {"loans", "--count", "ten", "--seed", "1", "--policy", ZZ_2018}},
        {2, {"loans", "--count", "-1", "--seed", "1", "--policy", ZZ_2018}},
        {2, {"loans", "--count", "100000000", "--seed", "1", "--policy", ZZ_2018}},
        {2, {"loans", "--count", "10", "--seed", "18446744073709551616", "--policy", ZZ_2018}},
        {2, {"loans", "--count", "10", "--seed", "1", "--policy", ZZ_2018, "--invalid-rate", "2"}},
        {2, {"loans", "--count", "10", "--seed", "1", "--policy", ZZ_2018, "--invalid-rate", "x"}},
        {2, {"loans", "--count", "10", "--seed", "1", "--policy", ZZ_2018, "--start",
             "2023-02-29"}},
        {2, {"loans", "--count", "10", "--seed", "1", "--policy", ZZ_2018, "--start",
             "2030-01-01"}},
        {2, {"loans", "--count", "10", "--seed", "1", "--policy", ZZ_2018, "--agency", "zz-pool"}},
        {2, {"loans", "--count", "10", "--seed", "1", "--policy", ZZ_2018, "--color"}},
        {2, {"loans", "--count", "10", "--seed", "1", "--policy", ZZ_2018, "--format", "json"}},
        {2, {"loans", "--count", "10", "--seed", "1", "--policy"}},
        {65, {"loans", "--count", "10", "--seed", "1", "--policy", "policies/no-such.yaml"}},
        {65, {"loans", "--count", "10", "--seed", "1", "--policy", bad_policy}},
        {0, {"loans", "--count=3", "--seed=1", "--policy=" ZZ_2018, "--invalid-rate=10%"}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cr_assert_eq(run_gen(cases[i].words), cases[i].code, "case %zu", i);
    }
    unlink(bad_policy);
}
