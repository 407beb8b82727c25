/*
 * test_loans_csv.c -- goal: the loans CSV reader accepts every well-formed
 * file a bank or Chinese Excel produces (BOM, GBK, CRLF, quoted fields,
 * columns in any order, optional fee_rate) with the exact values, and refuses
 * every malformed one with the exact `file:line:column: message` lines --
 * all of a file's errors, the first ENG_ERRLIST_MAX of them kept -- never
 * crashing on hostile input (this file also runs under ASan/UBSan).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errlist.h"
#include "csv_harness.h"
#include "loans_csv.h"
#include "money.h"

#define HEADER                                                                                     \
    "loan_id,borrower_code,borrower_name,tech_status,sector,credit_grade,revenue,bank,"           \
    "guarantor,principal,annual_rate,collateral_ratio,start_date,term_months,first_loan,"        \
    "fee_rate\n"

/* One good row, field by field, in HEADER's order; cases replace one field. */
static const char *const good[CLI_LOAN_NCOLS] = {
    "L1", "914403001922038216", "华为技术有限公司", "hnte", "C39", "AA", "5000000.00",
    "zzbank", "zz-guarantee", "1000000.00", "0.0435", "0.5", "2024-03-15", "12", "true",
    "0.01",
};

/* Reads `data` as a loans file; the caller frees `f` and `errs`. */
static eng_status read_text(cli_loan_file *f, cli_errlist *errs, char path[64], const char *data,
                            size_t len, const char *encoding)
{
    csvh_write_file(path, "loans", data, len);
    cli_errlist_init(errs);
    eng_status rc = cli_loans_read(f, path, encoding, errs);
    unlink(path);
    return rc;
}

/* A row of the good values with field `col` (0-based) replaced by `value`. */
static void row_with(char *out, size_t size, int col, const char *value)
{
    size_t used = 0;
    for (int c = 0; c < CLI_LOAN_NCOLS; c++) {
        int n = snprintf(out + used, size - used, "%s%s", c ? "," : "", c == col ? value : good[c]);
        cr_assert(n >= 0 && (size_t)n < size - used);
        used += (size_t)n;
    }
    cr_assert(used + 2 < size);
    memcpy(out + used, "\n", 2);
}

/* Reads `data` and asserts it fails with exactly the errors `want`. */
static void expect_errors(const char *data, size_t len, const char *encoding,
                          const char *const *want, size_t n_want, const char *what)
{
    cli_loan_file f;
    cli_errlist errs;
    char path[64];
    eng_status rc = read_text(&f, &errs, path, data, len, encoding);
    csvh_assert_errors(&errs, path, want, n_want, what);
    cr_assert_eq(rc, ENG_EPARSE, "%s", what);
    cr_assert_eq(f.n_rows, 0);
    cr_assert_null(f.rows);
    cli_errlist_free(&errs);
}

#define EXPECT(data, ...)                                                                          \
    do {                                                                                           \
        static const char *const want_[] = {__VA_ARGS__};                                          \
        expect_errors(data, strlen(data), NULL, want_, sizeof(want_) / sizeof(want_[0]), data);    \
    } while (0)

/* Reads `data`, asserting no error; the caller frees `f`. */
static void expect_ok(cli_loan_file *f, const char *data, size_t len, const char *encoding)
{
    cli_errlist errs;
    char path[64];
    eng_status rc = read_text(f, &errs, path, data, len, encoding);
    cr_assert_eq(errs.n, 0, "unexpected error: %s", errs.n ? errs.lines[0] : "-");
    cr_assert_eq(rc, ENG_OK);
    cli_errlist_free(&errs);
}

Test(loans_csv, good_row_values)
{
    cli_loan_file f;
    char row[1024];
    row_with(row, sizeof(row), -1, NULL);
    char text[2048];
    snprintf(text, sizeof(text), HEADER "%s", row);
    expect_ok(&f, text, strlen(text), NULL);
    cr_assert_eq(f.n_rows, 1);
    const cli_loan_row *r = &f.rows[0];
    cr_assert_eq(r->line, 2);
    cr_assert_str_eq(r->loan_id, "L1");
    cr_assert_str_eq(r->borrower_code, "914403001922038216");
    cr_assert_str_eq(r->borrower_name, "华为技术有限公司");
    cr_assert_str_eq(r->tech_status, "hnte");
    cr_assert_str_eq(r->sector, "C39");
    cr_assert_str_eq(r->credit_grade, "AA");
    cr_assert_eq(r->has_revenue, 1);
    cr_assert_eq(r->revenue, 500000000);
    cr_assert_str_eq(r->bank, "zzbank");
    cr_assert_str_eq(r->guarantor, "zz-guarantee");
    cr_assert_eq(r->principal, 100000000);
    cr_assert_str_eq(r->annual_rate, "0.0435");
    cr_assert_str_eq(r->collateral_ratio, "0.5");
    cr_assert_str_eq(r->fee_rate, "0.01");
    cr_assert_eq(r->start_date, eng_date_from_ymd(2024, 3, 15));
    cr_assert_eq(r->term_months, 12);
    cr_assert_eq(r->first_loan, 1);
    for (int c = 0; c < CLI_LOAN_NCOLS; c++) {
        cr_assert_eq(f.col[c], c + 1);
    }
    cr_assert_str_eq(cli_loan_col_name(CLI_LOAN_LOAN_ID), "loan_id");
    cr_assert_str_eq(cli_loan_col_name(CLI_LOAN_FEE_RATE), "fee_rate");
    cr_assert_eq(f.n_cols, 16);
    cli_loans_free(&f);
    cr_assert_null(f.rows);
}

/* Values that are accepted, and what they become. */
Test(loans_csv, good_values)
{
    static const struct {
        int col;
        const char *value;
    } cases[] = {
        {CLI_LOAN_LOAN_ID, "A-z_0.9"},
        {CLI_LOAN_LOAN_ID, "L234567890123456789012345678901234567890123456789012345678901234"},
        {CLI_LOAN_BORROWER_CODE, "91330100716105852F"},
        {CLI_LOAN_BORROWER_CODE, "91440300708461136T"},
        {CLI_LOAN_BORROWER_CODE, "914100001699995779"},
        {CLI_LOAN_BORROWER_CODE, "91110000802100433B"},
        {CLI_LOAN_TECH_STATUS, "tech_sme"},
        {CLI_LOAN_TECH_STATUS, "specialized_sme"},
        {CLI_LOAN_TECH_STATUS, "little_giant"},
        {CLI_LOAN_TECH_STATUS, "none"},
        {CLI_LOAN_REVENUE, ""},
        {CLI_LOAN_REVENUE, "0"},
        {CLI_LOAN_GUARANTOR, ""},
        {CLI_LOAN_PRINCIPAL, "12.340"},
        {CLI_LOAN_PRINCIPAL, "0.01"},
        {CLI_LOAN_PRINCIPAL, "999999999999999.99"},
        {CLI_LOAN_PRINCIPAL, "1000000000000000"},
        {CLI_LOAN_ANNUAL_RATE, "4.35%"},
        {CLI_LOAN_ANNUAL_RATE, "1/3"},
        {CLI_LOAN_ANNUAL_RATE, "0"},
        {CLI_LOAN_ANNUAL_RATE, "1"},
        {CLI_LOAN_ANNUAL_RATE, "1.000"},
        {CLI_LOAN_ANNUAL_RATE, "100%"},
        {CLI_LOAN_COLLATERAL_RATIO, "0.00000000000000000000000000001"},
        {CLI_LOAN_START_DATE, "2024-02-29"},
        {CLI_LOAN_TERM_MONTHS, "1"},
        {CLI_LOAN_TERM_MONTHS, "360"},
        {CLI_LOAN_TERM_MONTHS, "012"},
        {CLI_LOAN_FIRST_LOAN, "false"},
        {CLI_LOAN_FIRST_LOAN, "TRUE"},
        {CLI_LOAN_FEE_RATE, ""},
        {CLI_LOAN_SECTOR, "\"C39, 电子\"\"设备\"\"\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char row[1024], text[2048];
        cli_loan_file f;
        row_with(row, sizeof(row), cases[i].col, cases[i].value);
        snprintf(text, sizeof(text), HEADER "%s", row);
        expect_ok(&f, text, strlen(text), NULL);
        cr_assert_eq(f.n_rows, 1, "%s", cases[i].value);
        cli_loans_free(&f);
    }
}

Test(loans_csv, parsed_values_of_optional_and_odd_fields)
{
    cli_loan_file f;
    const char *text = HEADER
        "L1,914403001922038216,N,none,S,B,,zzbank,,12.340,4.35%,1.0,2024-02-29,360,FALSE,\n"
        "L2,914403001922038216,N,none,S,B,0,zzbank,,999999999999999.99,1/3,0,2024-01-01,1,"
        "false,0.02\n";
    expect_ok(&f, text, strlen(text), NULL);
    cr_assert_eq(f.n_rows, 2);
    cr_assert_eq(f.rows[0].has_revenue, 0);
    cr_assert_eq(f.rows[0].revenue, 0);
    cr_assert_null(f.rows[0].guarantor);
    cr_assert_null(f.rows[0].fee_rate);
    cr_assert_eq(f.rows[0].principal, 1234);
    cr_assert_str_eq(f.rows[0].annual_rate, "4.35%");
    cr_assert_str_eq(f.rows[0].collateral_ratio, "1.0");
    cr_assert_eq(f.rows[0].first_loan, 0);
    cr_assert_eq(f.rows[0].term_months, 360);
    cr_assert_eq(f.rows[1].has_revenue, 1);
    cr_assert_eq(f.rows[1].revenue, 0);
    cr_assert_eq(f.rows[1].principal, 99999999999999999LL);
    cr_assert_str_eq(f.rows[1].annual_rate, "1/3");
    cr_assert_str_eq(f.rows[1].fee_rate, "0.02");
    cr_assert_eq(f.rows[1].line, 3);
    /* Low-variety columns share one string. */
    cr_assert_eq(f.rows[0].bank, f.rows[1].bank);
    cli_loans_free(&f);
}

/* Every field's bad values, with the exact error (the row is on line 2). */
Test(loans_csv, bad_values)
{
    static const struct {
        int col;
        const char *value;
        const char *error;
    } cases[] = {
        {CLI_LOAN_LOAN_ID, "L 1",
         ":2:1: loan_id: invalid id \"L 1\": expected [A-Za-z0-9._-]{1,64}"},
        {CLI_LOAN_LOAN_ID, "贷款1",
         ":2:1: loan_id: invalid id \"贷款1\": expected [A-Za-z0-9._-]{1,64}"},
        {CLI_LOAN_LOAN_ID, "L2345678901234567890123456789012345678901234567890123456789012345",
         ":2:1: loan_id: invalid id \"L234567890123456789012345678901234567890...\": expected "
         "[A-Za-z0-9._-]{1,64}"},
        {CLI_LOAN_LOAN_ID, "", ":2:1: loan_id: a value is required"},
        {CLI_LOAN_BORROWER_CODE, "91440300708461136A",
         ":2:2: borrower_code: invalid credit code \"91440300708461136A\": check character is "
         "A, expected T"},
        {CLI_LOAN_BORROWER_CODE, "914403001922038217",
         ":2:2: borrower_code: invalid credit code \"914403001922038217\": check character is "
         "7, expected 6"},
        {CLI_LOAN_BORROWER_CODE, "91330100716105852",
         ":2:2: borrower_code: invalid credit code \"91330100716105852\": must be 18 characters"},
        {CLI_LOAN_BORROWER_CODE, "91330100716105852f",
         ":2:2: borrower_code: invalid credit code \"91330100716105852f\": character 18 ('f') "
         "is not allowed"},
        {CLI_LOAN_BORROWER_NAME, "", ":2:3: borrower_name: a value is required"},
        {CLI_LOAN_TECH_STATUS, "HNTE",
         ":2:4: tech_status: unknown value \"HNTE\" (expected "
         "hnte|tech_sme|specialized_sme|little_giant|none)"},
        {CLI_LOAN_TECH_STATUS, "", ":2:4: tech_status: a value is required"},
        {CLI_LOAN_SECTOR, "", ":2:5: sector: a value is required"},
        {CLI_LOAN_CREDIT_GRADE, "", ":2:6: credit_grade: a value is required"},
        {CLI_LOAN_REVENUE, "-1", ":2:7: revenue: an amount cannot be negative, found \"-1\""},
        {CLI_LOAN_REVENUE, "1.005",
         ":2:7: revenue: invalid number \"1.005\": not a whole number of fen (0.01)"},
        {CLI_LOAN_BANK, "", ":2:8: bank: a value is required"},
        {CLI_LOAN_BANK, "ZZBank",
         ":2:8: bank: invalid party id \"ZZBank\": expected [a-z0-9-]{1,64}"},
        {CLI_LOAN_GUARANTOR, "zz guarantee",
         ":2:9: guarantor: invalid party id \"zz guarantee\": expected [a-z0-9-]{1,64}"},
        {CLI_LOAN_PRINCIPAL, "12.345",
         ":2:10: principal: invalid number \"12.345\": not a whole number of fen (0.01)"},
        {CLI_LOAN_PRINCIPAL, "0", ":2:10: principal: must be greater than 0, found \"0\""},
        {CLI_LOAN_PRINCIPAL, "0.00", ":2:10: principal: must be greater than 0, found \"0.00\""},
        {CLI_LOAN_PRINCIPAL, "-100", ":2:10: principal: must be greater than 0, found \"-100\""},
        {CLI_LOAN_PRINCIPAL, "1e3",
         ":2:10: principal: invalid number \"1e3\": exponents are not allowed"},
        {CLI_LOAN_PRINCIPAL, "\"1,000.00\"",
         ":2:10: principal: invalid number \"1,000.00\": thousands separators are not allowed"},
        {CLI_LOAN_PRINCIPAL, "50%",
         ":2:10: principal: invalid number \"50%\": an amount must be a plain decimal"},
        {CLI_LOAN_PRINCIPAL, " 100",
         ":2:10: principal: invalid number \" 100\": expected a decimal, a percentage or a "
         "fraction"},
        {CLI_LOAN_PRINCIPAL, "1000000000000000.01",
         ":2:10: principal: invalid number \"1000000000000000.01\": amount too large"},
        {CLI_LOAN_PRINCIPAL, "NaN",
         ":2:10: principal: invalid number \"NaN\": NaN and infinity are not allowed"},
        {CLI_LOAN_PRINCIPAL, "", ":2:10: principal: a value is required"},
        {CLI_LOAN_PRINCIPAL, "\"1\t00\"",
         ":2:10: principal: invalid number \"1\\t00\": expected a decimal"},
        {CLI_LOAN_ANNUAL_RATE, "1.5", ":2:11: annual_rate: 1.5 is not a ratio between 0 and 1"},
        {CLI_LOAN_ANNUAL_RATE, "1.0001",
         ":2:11: annual_rate: 1.0001 is not a ratio between 0 and 1"},
        {CLI_LOAN_ANNUAL_RATE, "101%", ":2:11: annual_rate: 101% is not a ratio between 0 and 1"},
        {CLI_LOAN_ANNUAL_RATE, "-0.01",
         ":2:11: annual_rate: -0.01 is not a ratio between 0 and 1"},
        {CLI_LOAN_ANNUAL_RATE, ".5",
         ":2:11: annual_rate: invalid number \".5\": expected a decimal, a percentage or a "
         "fraction"},
        {CLI_LOAN_ANNUAL_RATE, "1/0", ":2:11: annual_rate: invalid number \"1/0\": zero denominator"},
        {CLI_LOAN_ANNUAL_RATE, "", ":2:11: annual_rate: a value is required"},
        {CLI_LOAN_COLLATERAL_RATIO, "1.01",
         ":2:12: collateral_ratio: 1.01 is not a ratio between 0 and 1"},
        {CLI_LOAN_START_DATE, "2023-02-29",
         ":2:13: start_date: invalid date \"2023-02-29\": no such day"},
        {CLI_LOAN_START_DATE, "2024/03/15",
         ":2:13: start_date: invalid date \"2024/03/15\": expected YYYY-MM-DD"},
        {CLI_LOAN_START_DATE, "2024-3-15",
         ":2:13: start_date: invalid date \"2024-3-15\": expected YYYY-MM-DD"},
        {CLI_LOAN_TERM_MONTHS, "0",
         ":2:14: term_months: expected an integer from 1 to 360, found \"0\""},
        {CLI_LOAN_TERM_MONTHS, "361",
         ":2:14: term_months: expected an integer from 1 to 360, found \"361\""},
        {CLI_LOAN_TERM_MONTHS, "12.5",
         ":2:14: term_months: expected an integer from 1 to 360, found \"12.5\""},
        {CLI_LOAN_TERM_MONTHS, "-12",
         ":2:14: term_months: expected an integer from 1 to 360, found \"-12\""},
        {CLI_LOAN_TERM_MONTHS, "99999999999",
         ":2:14: term_months: expected an integer from 1 to 360, found \"99999999999\""},
        {CLI_LOAN_FIRST_LOAN, "yes", ":2:15: first_loan: expected true or false, found \"yes\""},
        {CLI_LOAN_FIRST_LOAN, "1", ":2:15: first_loan: expected true or false, found \"1\""},
        {CLI_LOAN_FIRST_LOAN, "", ":2:15: first_loan: a value is required"},
        {CLI_LOAN_FEE_RATE, "2", ":2:16: fee_rate: 2 is not a ratio between 0 and 1"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char row[1024], text[2048];
        row_with(row, sizeof(row), cases[i].col, cases[i].value);
        snprintf(text, sizeof(text), HEADER "%s", row);
        expect_errors(text, strlen(text), NULL, &cases[i].error, 1, cases[i].value);
    }
}

/* Blanks are data (RFC 4180): never skipped or trimmed, wherever they are. */
Test(loans_csv, blanks_are_data)
{
    cli_loan_file f;
    const char *text = HEADER "L1,914403001922038216, 华为 ,hnte,\tC39\t,A A,,zzbank,,100,0.04,0,"
                              "2024-01-01,12,true,\n";
    expect_ok(&f, text, strlen(text), NULL);
    cr_assert_str_eq(f.rows[0].borrower_name, " 华为 ");
    cr_assert_str_eq(f.rows[0].sector, "\tC39\t");
    cr_assert_str_eq(f.rows[0].credit_grade, "A A");
    cli_loans_free(&f);

    EXPECT(HEADER " L1,914403001922038216,N,hnte,S,A,,zzbank,,100,0.04,0,2024-01-01,12,true,\n",
           ":2:1: loan_id: invalid id \" L1\": expected [A-Za-z0-9._-]{1,64}");
    EXPECT(HEADER "L1 ,914403001922038216,N,hnte,S,A,,zzbank,,100,0.04,0,2024-01-01,12,true,\n",
           ":2:1: loan_id: invalid id \"L1 \": expected [A-Za-z0-9._-]{1,64}");
    EXPECT(HEADER "L1,914403001922038216,N,hnte,S,A,,zzbank,,100,0.04,0,2024-01-01,12,true,0.01 \n",
           ":2:16: fee_rate: invalid number \"0.01 \": expected a decimal, a percentage or a "
           "fraction");
    EXPECT(HEADER "L1,914403001922038216,N,hnte,S,A,,zzbank,,100,0.04,0,2024-01-01,12,true,0.01 ",
           ":2:16: fee_rate: invalid number \"0.01 \": expected a decimal, a percentage or a "
           "fraction");
    EXPECT(HEADER "L1,914403001922038216,N,hnte,S,A,,zzbank ,,100,0.04,0,2024-01-01,12,\ttrue,\n",
           ":2:8: bank: invalid party id \"zzbank \": expected [a-z0-9-]{1,64}",
           ":2:15: first_loan: expected true or false, found \"\\ttrue\"");
    EXPECT(HEADER "L1,914403001922038216, \"N\",hnte\n",
           ":2:3: a quote inside an unquoted field (quote the whole field and double the quote)");
    EXPECT("loan_id ,borrower_code\n",
           ":1:1: unknown column \"loan_id \" (did you mean \"loan_id\"?)",
           ":1: missing required column \"loan_id\"", ":1: missing required column \"borrower_name\"",
           ":1: missing required column \"tech_status\"", ":1: missing required column \"sector\"",
           ":1: missing required column \"credit_grade\"",
           ":1: missing required column \"revenue\"", ":1: missing required column \"bank\"",
           ":1: missing required column \"guarantor\"",
           ":1: missing required column \"principal\"",
           ":1: missing required column \"annual_rate\"",
           ":1: missing required column \"collateral_ratio\"",
           ":1: missing required column \"start_date\"",
           ":1: missing required column \"term_months\"",
           ":1: missing required column \"first_loan\"");
}

/*
 * The reader checks the usual money and ratio texts without GMP; every text
 * here must get the same verdict (and value) as eng_money_parse and
 * eng_num_parse give it.
 */
Test(loans_csv, fast_paths_agree_with_the_engine)
{
    static const char *const texts[] = {
        "0", "1", "00", "000", "01", "1.0", "1.00000", "0.5", "00.5", "1.01", "2", "10", "100",
        "0.01", "12.340", "12.345", "12.3", "999999999999999", "999999999999999.99",
        "1000000000000000", "9999999999999999", "000000000000000001", "0.000000000000000",
        "123456789012345.100000000000000", "1.0000000000000000000000000000",
        "0.12345678901234567890123456789", "0.123456789012345678901234567890",
        "0.000000000000000000000000000001", "1.00000000000000000000000000000",
        "1%", "100%", "100.0%", "100.000000000000000000000000000%", "100.01%", "101%", "099%",
        "0.5%", "4.35%", "12.5%", "1000%", "0%", "%", "1.%", ".5", "5.", "-0", "-1", "-0.5",
        "1/3", "1/0", "0/5", "1e3", "1,000", "+1", "0x10", "",
    };
    mpq_t q;
    mpq_init(q);
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        const char *t = texts[i];
        eng_error e;
        eng_fen fen = 0;
        eng_error_clear(&e);
        int money_ok = eng_money_parse(&fen, t, strlen(t), &e) == ENG_OK && fen > 0;
        eng_error_clear(&e);
        int ratio_ok = eng_num_parse(q, t, strlen(t), &e) == ENG_OK && mpq_sgn(q) >= 0 &&
                       mpq_cmp_ui(q, 1, 1) <= 0;
        for (int col = CLI_LOAN_PRINCIPAL; col <= CLI_LOAN_ANNUAL_RATE; col++) {
            char row[1024], text[2048];
            cli_loan_file f;
            cli_errlist errs;
            char path[64];
            row_with(row, sizeof(row), col, t);
            snprintf(text, sizeof(text), HEADER "%s", row);
            eng_status rc = read_text(&f, &errs, path, text, strlen(text), NULL);
            int want = col == CLI_LOAN_PRINCIPAL ? money_ok : ratio_ok;
            cr_assert_eq(rc == ENG_OK, want, "\"%s\" as %s: %s", t,
                         cli_loan_col_name((cli_loan_col)col), errs.n ? errs.lines[0] : "accepted");
            if (rc == ENG_OK && col == CLI_LOAN_PRINCIPAL) {
                cr_assert_eq(f.rows[0].principal, fen, "\"%s\"", t);
            } else if (rc == ENG_OK) {
                cr_assert_str_eq(f.rows[0].annual_rate, t);
            }
            cli_loans_free(&f);
            cli_errlist_free(&errs);
        }
    }
    mpq_clear(q);
}

Test(loans_csv, every_bad_field_of_a_row_is_reported_in_column_order)
{
    EXPECT(HEADER "L1,914403001922038216,N,hnte,S,A,-1,zzbank,,0,2,0.5,2023-02-29,0,yes,\n",
           ":2:7: revenue: an amount cannot be negative, found \"-1\"",
           ":2:10: principal: must be greater than 0, found \"0\"",
           ":2:11: annual_rate: 2 is not a ratio between 0 and 1",
           ":2:13: start_date: invalid date \"2023-02-29\": no such day",
           ":2:14: term_months: expected an integer from 1 to 360, found \"0\"",
           ":2:15: first_loan: expected true or false, found \"yes\"");
}

Test(loans_csv, columns_in_any_order_and_fee_rate_column_optional)
{
    cli_loan_file f;
    const char *text =
        "first_loan,term_months,start_date,collateral_ratio,annual_rate,principal,guarantor,"
        "bank,revenue,credit_grade,sector,tech_status,borrower_name,borrower_code,loan_id\n"
        "false,24,2024-06-30,0,0.05,200.00,,zybank,,BBB,I65,little_giant,中原软件,"
        "91440300708461136T,X-9\n";
    expect_ok(&f, text, strlen(text), NULL);
    cr_assert_eq(f.n_rows, 1);
    cr_assert_eq(f.col[CLI_LOAN_LOAN_ID], 15);
    cr_assert_eq(f.col[CLI_LOAN_FIRST_LOAN], 1);
    cr_assert_eq(f.col[CLI_LOAN_FEE_RATE], 0);
    cr_assert_eq(f.n_cols, 15);
    cr_assert_str_eq(f.rows[0].loan_id, "X-9");
    cr_assert_str_eq(f.rows[0].borrower_name, "中原软件");
    cr_assert_null(f.rows[0].fee_rate);
    cr_assert_null(f.rows[0].guarantor);
    cr_assert_eq(f.rows[0].principal, 20000);
    cr_assert_eq(f.rows[0].term_months, 24);
    cli_loans_free(&f);

    /* Error columns follow the file's order. */
    EXPECT("first_loan,term_months,start_date,collateral_ratio,annual_rate,principal,guarantor,"
           "bank,revenue,credit_grade,sector,tech_status,borrower_name,borrower_code,loan_id\n"
           "false,24,2024-06-30,0,0.05,0,,zybank,,BBB,I65,little_giant,N,91440300708461136T,X 9\n",
           ":2:6: principal: must be greater than 0, found \"0\"",
           ":2:15: loan_id: invalid id \"X 9\": expected [A-Za-z0-9._-]{1,64}");
}

Test(loans_csv, header_errors)
{
    EXPECT("loan_id,borrower_code,borrower_name,tech_status,sector,credit_grade,revenue,"
           "guarantor,principal,annual_rate,collateral_ratio,start_date,term_months,first_loan\n",
           ":1: missing required column \"bank\"");
    EXPECT("loan_id,borrower_name,tech_status,sector,credit_grade,revenue,guarantor,principal,"
           "annual_rate,collateral_ratio,start_date,term_months\n",
           ":1: missing required column \"borrower_code\"", ":1: missing required column \"bank\"",
           ":1: missing required column \"first_loan\"");
    EXPECT(HEADER "x\n" /* the header line is what counts */, ":2:1: expected 16 fields, found 1");
    EXPECT("loan_id,borrower_code,borrower_name,tech_status,sector,credit_grade,revenue,bank,"
           "guarantor,principal,annual_rate,collateral_ratio,start_date,term_months,first_loan,"
           "colour\n",
           ":1:16: unknown column \"colour\"");
    EXPECT("loan_id,borrower_code,borrower_name,tech_status,sector,credit_grade,revenue,bank,"
           "guarantor,principal,annual_rate,collateral_ratio,start_date,term_months,first_loan,"
           "loan_id\n",
           ":1:16: duplicate column \"loan_id\" (also column 1)");
    EXPECT("Loan_ID,borrower_code,borrower_name,tech_status,sector,credit_grade,revenue,bank,"
           "guarantor,principal,annual_rate, collateral_ratio,start_date,term_months,first_loan\n"
           "L1\n",
           ":1:1: unknown column \"Loan_ID\" (did you mean \"loan_id\"?)",
           ":1:12: unknown column \" collateral_ratio\" (did you mean \"collateral_ratio\"?)",
           ":1: missing required column \"loan_id\"",
           ":1: missing required column \"collateral_ratio\"");
    EXPECT("loan_id,borrower_code,borrower_name,tech_status,sector,credit_grade,revenue,bank,"
           "guarantor,principal,annual_rate,collateral_ratio,star_date,term_months,first_loan,"
           "fee\n",
           ":1:13: unknown column \"star_date\" (did you mean \"start_date\"?)",
           ":1:16: unknown column \"fee\"", ":1: missing required column \"start_date\"");
    EXPECT(",,\n", ":1:1: unknown column \"\"", ":1:2: unknown column \"\"",
           ":1:3: unknown column \"\"", ":1: missing required column \"loan_id\"",
           ":1: missing required column \"borrower_code\"",
           ":1: missing required column \"borrower_name\"",
           ":1: missing required column \"tech_status\"", ":1: missing required column \"sector\"",
           ":1: missing required column \"credit_grade\"",
           ":1: missing required column \"revenue\"", ":1: missing required column \"bank\"",
           ":1: missing required column \"guarantor\"",
           ":1: missing required column \"principal\"",
           ":1: missing required column \"annual_rate\"",
           ":1: missing required column \"collateral_ratio\"",
           ":1: missing required column \"start_date\"",
           ":1: missing required column \"term_months\"",
           ":1: missing required column \"first_loan\"");
}

Test(loans_csv, empty_file_and_header_only)
{
    EXPECT("", ":1: missing header row (the file is empty)");
    EXPECT("\xEF\xBB\xBF", ":1: missing header row (the file is empty)");
    EXPECT("\n\r\n\n", ":1: missing header row (the file is empty)");

    cli_loan_file f;
    expect_ok(&f, HEADER, strlen(HEADER), NULL);
    cr_assert_eq(f.n_rows, 0);
    cr_assert_null(f.rows);
    cr_assert_eq(f.col[CLI_LOAN_PRINCIPAL], 10);
    cli_loans_free(&f);
    /* No final line break. */
    expect_ok(&f, HEADER, strlen(HEADER) - 1, NULL);
    cr_assert_eq(f.n_rows, 0);
    cli_loans_free(&f);
}

Test(loans_csv, duplicate_loan_id)
{
    EXPECT(HEADER
           "L1,914403001922038216,A,hnte,S,A,,zzbank,,100,0.04,0,2024-01-01,12,true,\n"
           "L2,914403001922038216,B,hnte,S,A,,zzbank,,100,0.04,0,2024-01-01,12,true,\n"
           "L1,914403001922038216,C,hnte,S,A,,zzbank,,100,0.04,0,2024-01-01,12,true,\n"
           "l1,914403001922038216,D,hnte,S,A,,zzbank,,100,0.04,0,2024-01-01,12,true,\n"
           "L1,914403001922038216,E,hnte,S,A,,zzbank,,0,0.04,0,2024-01-01,12,true,\n",
           ":4:1: duplicate loan_id \"L1\" (first on line 2)",
           ":6:1: duplicate loan_id \"L1\" (first on line 2)",
           ":6:10: principal: must be greater than 0, found \"0\"");
    /* A row with other errors still reserves its id. */
    EXPECT(HEADER
           "L1,914403001922038216,A,hnte,S,A,,zzbank,,0,0.04,0,2024-01-01,12,true,\n"
           "L1,914403001922038216,B,hnte,S,A,,zzbank,,100,0.04,0,2024-01-01,12,true,\n",
           ":2:10: principal: must be greater than 0, found \"0\"",
           ":3:1: duplicate loan_id \"L1\" (first on line 2)");
}

Test(loans_csv, wrong_field_count_is_one_error_per_row)
{
    EXPECT(HEADER
           "L1,914403001922038216,A,hnte,S,A,,zzbank,,100,0.04,0,2024-01-01,12,true\n"
           "L2,914403001922038216,B,hnte,S,A,,zzbank,,100,0.04,0,2024-01-01,12,true,,\n"
           "L 3,bad,,,,,,,,,,,,,\n"
           "L4,914403001922038216,B,hnte,S,A,,zzbank,,100,0.04,0,2024-01-01,12,true,\n",
           ":2:1: expected 16 fields, found 15", ":3:1: expected 16 fields, found 17",
           ":4:1: expected 16 fields, found 15");
}

Test(loans_csv, bom_accepted)
{
    cli_loan_file f;
    const char *text = "\xEF\xBB\xBF" HEADER
                       "L1,914403001922038216,A,hnte,S,A,,zzbank,,100,0.04,0,2024-01-01,12,true,\n";
    expect_ok(&f, text, strlen(text), NULL);
    cr_assert_eq(f.n_rows, 1);
    cr_assert_eq(f.col[CLI_LOAN_LOAN_ID], 1);
    cli_loans_free(&f);
    expect_ok(&f, text, strlen(text), "UTF-8");
    cr_assert_eq(f.n_rows, 1);
    cli_loans_free(&f);
}

Test(loans_csv, crlf_and_lone_cr_line_endings)
{
    cli_loan_file f;
    const char *crlf =
        "loan_id,borrower_code,borrower_name,tech_status,sector,credit_grade,revenue,bank,"
        "guarantor,principal,annual_rate,collateral_ratio,start_date,term_months,first_loan\r\n"
        "L1,914403001922038216,A,hnte,S,A,,zzbank,,100,0.04,0,2024-01-01,12,true\r\n"
        "\r\n"
        "L2,914403001922038216,\"two\r\nlines\",hnte,S,A,,zzbank,,100,0.04,0,2024-01-01,12,"
        "true\r\n"
        "L3,914403001922038216,A,hnte,S,A,,zzbank,,100,0.04,0,2024-01-01,12,true\r\n";
    expect_ok(&f, crlf, strlen(crlf), NULL);
    cr_assert_eq(f.n_rows, 3);
    cr_assert_eq(f.rows[0].line, 2);
    cr_assert_eq(f.rows[1].line, 4);
    cr_assert_str_eq(f.rows[1].borrower_name, "two\r\nlines");
    cr_assert_eq(f.rows[2].line, 6);
    cr_assert_eq(f.rows[2].first_loan, 1);
    cli_loans_free(&f);

    EXPECT("loan_id,borrower_code,borrower_name,tech_status,sector,credit_grade,revenue,bank,"
           "guarantor,principal,annual_rate,collateral_ratio,start_date,term_months,first_loan\r"
           "L1,914403001922038216,A,hnte,S,A,,zzbank,,100,0.04,0,2024-01-01,12,true\r"
           "L2,914403001922038216,A,hnte,S,A,,zzbank,,0,0.04,0,2024-01-01,12,true\r",
           ":3:10: principal: must be greater than 0, found \"0\"");
    EXPECT("loan_id,borrower_code,borrower_name,tech_status,sector,credit_grade,revenue,bank,"
           "guarantor,principal,annual_rate,collateral_ratio,start_date,term_months,first_loan\r\n"
           "\r\n"
           "L2,914403001922038216,A,hnte,S,A,,zzbank,,0,0.04,0,2024-01-01,12,true\r\n",
           ":3:10: principal: must be greater than 0, found \"0\"");
}

/* Line numbers stay right when the reader's 256 KiB chunks cut a CRLF in two. */
Test(loans_csv, crlf_cut_by_a_chunk_boundary)
{
    const size_t chunk = 256 * 1024, cap = 3 * chunk;
    char *text = malloc(cap);
    size_t used = (size_t)snprintf(text, cap, "%s", HEADER);
    text[used - 1] = '\r';
    text[used++] = '\n';
    int rows = 0, cut = 0;
    while (used < 2 * chunk) {
        const char *tail = ",hnte,S,A,,zzbank,,100,0.04,0,2024-01-01,12,true,";
        int head = snprintf(text + used, cap - used, "L%d,914403001922038216,", rows);
        size_t name = 1, rest = strlen(tail);
        size_t end = used + (size_t)head + name + rest; /* index of this row's CR */
        if (!cut && end + 200 > chunk) {
            name = chunk - 1 - (used + (size_t)head + rest); /* the CR is the chunk's last byte */
            cut = 1;
        }
        memset(text + used + head, 'N', name);
        memcpy(text + used + (size_t)head + name, tail, rest);
        used += (size_t)head + name + rest;
        if (cut == 1) {
            cr_assert_eq(used, chunk - 1);
            cut = 2;
        }
        text[used++] = '\r';
        text[used++] = '\n';
        rows++;
    }
    size_t good_bytes = used;
    used += (size_t)snprintf(text + used, cap - used,
                             "L%d,914403001922038216,N,hnte,S,A,,zzbank,,0,0.04,0,2024-01-01,12,"
                             "true,\r\n", rows);
    cli_loan_file f;
    cli_errlist errs;
    char path[64], want[256];
    cr_assert_eq(read_text(&f, &errs, path, text, used, NULL), ENG_EPARSE);
    snprintf(want, sizeof(want), "%s:%d:10: principal: must be greater than 0, found \"0\"", path,
             rows + 2);
    cr_assert_eq(errs.total, 1);
    cr_assert_str_eq(errs.lines[0], want);
    cli_errlist_free(&errs);

    /* Without the bad last row every line is right. */
    expect_ok(&f, text, good_bytes, NULL);
    cr_assert_eq(f.n_rows, (size_t)rows);
    for (int i = 0; i < rows; i++) {
        cr_assert_eq(f.rows[i].line, (uint32_t)i + 2);
    }
    cli_loans_free(&f);
    free(text);
}

Test(loans_csv, quoted_fields_and_line_numbers)
{
    cli_loan_file f;
    const char *text =
        HEADER
        "L1,914403001922038216,\"华为, \"\"深圳\"\"\nR&D\",hnte,\"C39\n\n电子\",A,,zzbank,,100,0.04,"
        "0,2024-01-01,12,true,\n"
        "\"L2\",\"914403001922038216\",\"\",hnte,S,A,,zzbank,,100,0.04,0,2024-01-01,12,true,\n"
        "L3,914403001922038216,X,hnte,S,A,,zzbank,,100,0.04,0,2024-01-01,12,true,\"\"\n";
    cli_errlist errs;
    char path[64];
    eng_status rc = read_text(&f, &errs, path, text, strlen(text), NULL);
    /* Row 1 spans lines 2-5, so row 2 starts on line 6. */
    const char *want[] = {":6:3: borrower_name: a value is required"};
    csvh_assert_errors(&errs, path, want, 1, "quoted");
    cr_assert_eq(rc, ENG_EPARSE);
    cli_errlist_free(&errs);

    const char *good_text =
        HEADER
        "L1,914403001922038216,\"华为, \"\"深圳\"\"\nR&D\",hnte,\"C39\n\n电子\",A,,zzbank,,100,0.04,"
        "0,2024-01-01,12,true,\n"
        "\"L2\",\"914403001922038216\",\"N\",hnte,S,A,,zzbank,,100,0.04,0,2024-01-01,12,true,\"\"";
    expect_ok(&f, good_text, strlen(good_text), NULL);
    cr_assert_eq(f.n_rows, 2);
    cr_assert_str_eq(f.rows[0].borrower_name, "华为, \"深圳\"\nR&D");
    cr_assert_str_eq(f.rows[0].sector, "C39\n\n电子");
    cr_assert_eq(f.rows[0].line, 2);
    cr_assert_eq(f.rows[1].line, 6);
    cr_assert_str_eq(f.rows[1].loan_id, "L2");
    cr_assert_null(f.rows[1].fee_rate);
    cli_loans_free(&f);
}

Test(loans_csv, csv_syntax_errors_stop_the_read)
{
    EXPECT(HEADER "L1,9144030019\"22038216,A\n",
           ":2:2: a quote inside an unquoted field (quote the whole field and double the quote)");
    EXPECT(HEADER "L1,914403001922038216,\"A\"B,hnte\n",
           ":2:3: text after a closing quote (double a quote inside a quoted field)");
    EXPECT(HEADER "L1,914403001922038216,\"A\" ,hnte\n",
           ":2:3: text after a closing quote (double a quote inside a quoted field)");
    EXPECT(HEADER "L1,914403001922038216,N,hnte,S,A,,zzbank,,0,0.04,0,2024-01-01,12,true,\n"
                  "L2,914403001922038216,\"N\nmore\n",
           ":2:10: principal: must be greater than 0, found \"0\"",
           ":3:3: unterminated quoted field (the closing quote is missing)");
    EXPECT(HEADER "L2,914403001922038216,\"N,\n\"\"\"x\n",
           ":3:3: text after a closing quote (double a quote inside a quoted field)");
}

Test(loans_csv, invalid_utf8_and_nul)
{
    EXPECT(HEADER "L1,914403001922038216,\xD6\xA3\xD6\xDD,hnte,S,A,,zzbank,,100,0.04,0,"
                  "2024-01-01,12,true,\n",
           ":2:3: borrower_name: invalid UTF-8 in \"\\xD6\\xA3\\xD6\\xDD\" (for a GBK file use "
           "--encoding gbk)");
    static const char nul[] = HEADER "L1,914403001922038216,A\0B,hnte,S,A,,zzbank,,100,0.04,0,"
                                     "2024-01-01,12,true,\n";
    static const char *const want[] = {":2:3: borrower_name: NUL byte in \"A\\x00B\""};
    expect_errors(nul, sizeof(nul) - 1, NULL, want, 1, "nul");
}

Test(loans_csv, gbk_converted)
{
    /* 郑州科技有限公司 and 电子 in GBK, as Chinese Excel saves them. */
    const char *text = HEADER "L1,914100001699995779,\xD6\xA3\xD6\xDD\xBF\xC6\xBC\xBC\xD3\xD0"
                              "\xCF\xDE\xB9\xAB\xCB\xBE,hnte,\xB5\xE7\xD7\xD3,A,,zzbank,,100,"
                              "0.04,0,2024-01-01,12,true,\r\n";
    cli_loan_file f;
    expect_ok(&f, text, strlen(text), "gbk");
    cr_assert_eq(f.n_rows, 1);
    cr_assert_str_eq(f.rows[0].borrower_name, "郑州科技有限公司");
    cr_assert_str_eq(f.rows[0].sector, "电子");
    cli_loans_free(&f);
    expect_ok(&f, text, strlen(text), "GBK");
    cli_loans_free(&f);
}

Test(loans_csv, gbk_errors)
{
    /* 0xFF is never a GBK byte; 0xD6 0x20 is a lead byte with a bad trail byte; 0xD6 ends early. */
    const char *text = HEADER "L1,914100001699995779,\xD6\xA3\xFF,hnte,S,A,,zzbank,,100,0.04,0,"
                              "2024-01-01,12,true,\n"
                              "L2,914100001699995779,N,hnte,\xD6 ,A,,zzbank,,100,0.04,0,"
                              "2024-01-01,12,true,\n"
                              "L3,914100001699995779,N,hnte,S,\xD6,,zzbank,,100,0.04,0,"
                              "2024-01-01,12,true,\n";
    static const char *const want[] = {
        ":2:3: borrower_name: invalid GBK text \"\\xD6\\xA3\\xFF\"",
        ":3:5: sector: invalid GBK text \"\\xD6 \"",
        ":4:6: credit_grade: invalid GBK text \"\\xD6\"",
    };
    expect_errors(text, strlen(text), "gbk", want, 3, "gbk");

    static const char *const bom[] = {
        ":1: the file starts with a UTF-8 byte order mark: it is UTF-8, not GBK (leave out "
        "--encoding gbk)",
    };
    expect_errors("\xEF\xBB\xBF" HEADER, 3 + strlen(HEADER), "gbk", bom, 1, "bom");
}

Test(loans_csv, utf16_refused)
{
    static const char *const want[] = {":1: the file is UTF-16: save it as CSV in UTF-8 (or GBK)"};
    expect_errors("\xFF\xFEl\0o\0", 6, NULL, want, 1, "utf16");
}

Test(loans_csv, more_than_the_kept_errors)
{
    size_t n = ENG_ERRLIST_MAX + 50, cap = 100 * n + 1024, used = strlen(HEADER);
    char *text = malloc(cap);
    memcpy(text, HEADER, used);
    for (size_t i = 0; i < n; i++) {
        used += (size_t)snprintf(text + used, cap - used,
                                 "L%zu,914403001922038216,A,hnte,S,A,,zzbank,,0,0.04,0,"
                                 "2024-01-01,12,true,\n", i);
    }
    cli_loan_file f;
    cli_errlist errs;
    char path[64], want[256];
    eng_status rc = read_text(&f, &errs, path, text, used, NULL);
    cr_assert_eq(rc, ENG_EPARSE);
    cr_assert_eq(errs.total, n);
    cr_assert_eq(errs.n, ENG_ERRLIST_MAX);
    snprintf(want, sizeof(want), "%s:101:10: principal: must be greater than 0, found \"0\"", path);
    cr_assert_str_eq(errs.lines[ENG_ERRLIST_MAX - 1], want);

    FILE *out = tmpfile();
    cli_errlist_print(&errs, out);
    long size = ftell(out);
    char *printed = calloc(1, (size_t)size + 1);
    rewind(out);
    cr_assert_eq(fread(printed, 1, (size_t)size, out), (size_t)size);
    fclose(out);
    snprintf(want, sizeof(want), "riskshare: %s:2:10: principal: must be greater than 0, found "
             "\"0\"\n", path);
    cr_assert(strncmp(printed, want, strlen(want)) == 0, "%s", printed);
    snprintf(want, sizeof(want), "\nriskshare: %s: 150 errors (first 100 shown)\n", path);
    cr_assert_str_eq(printed + strlen(printed) - strlen(want), want);
    free(printed);
    cli_errlist_free(&errs);
    cr_assert_eq(errs.n, 0);
    free(text);
}

Test(loans_csv, errlist_positions_and_summary)
{
    cli_errlist l = CLI_ERRLIST_INIT;
    cli_errlist_add(&l, "a.csv", 3, 4, "bad %s", "thing");
    cli_errlist_add(&l, "a.csv", 3, 0, "row");
    cli_errlist_add(&l, "a.csv", 0, 0, "file");
    cli_errlist_add(&l, NULL, 0, 0, "usage");
    cr_assert_str_eq(l.lines[0], "a.csv:3:4: bad thing");
    cr_assert_str_eq(l.lines[1], "a.csv:3: row");
    cr_assert_str_eq(l.lines[2], "a.csv: file");
    cr_assert_str_eq(l.lines[3], "usage");
    cr_assert_eq(l.total, 4);
    for (int i = 0; i < ENG_ERRLIST_MAX; i++) {
        cli_errlist_add(&l, "b.csv", (uint32_t)i + 1, 1, "e");
    }
    cr_assert_eq(l.n, ENG_ERRLIST_MAX);
    cr_assert_eq(l.total, ENG_ERRLIST_MAX + 4);
    cr_assert_eq(cli_errlist_keeps(&l), 0);
    FILE *out = tmpfile();
    cli_errlist_print(&l, out);
    char buf[8192];
    rewind(out);
    size_t got = fread(buf, 1, sizeof(buf) - 1, out);
    buf[got] = '\0';
    fclose(out);
    cr_assert(strstr(buf, "riskshare: a.csv:3:4: bad thing\n") == buf);
    cr_assert(strstr(buf, "\nriskshare: 104 errors (first 100 shown)\n") != NULL, "%s", buf);
    cli_errlist_free(&l);
}

Test(loans_csv, bounds)
{
    /* A field one byte over the bound stops the read; one at the bound is fine. */
    size_t big = CLI_CSV_FIELD_MAX + 1, cap = big + 4096;
    char *text = malloc(cap);
    int n = snprintf(text, cap, HEADER "L1,914403001922038216,");
    memset(text + n, 'x', big);
    snprintf(text + n + big, cap - (size_t)n - big,
             ",hnte,S,A,,zzbank,,100,0.04,0,2024-01-01,12,true,\n");
    EXPECT(text, ":2:3: field longer than 65536 bytes");
    cli_loan_file f;
    memmove(text + n, text + n + 1, strlen(text + n + 1) + 1);
    expect_ok(&f, text, strlen(text), NULL);
    cr_assert_eq(strlen(f.rows[0].borrower_name), CLI_CSV_FIELD_MAX);
    cli_loans_free(&f);
    free(text);

    /* An unterminated quote does not swallow the rest of a big file. */
    size_t huge = 1024 * 1024;
    text = malloc(huge + 256);
    n = snprintf(text, huge + 256, HEADER "L1,914403001922038216,\"");
    for (size_t i = (size_t)n; i < huge; i++) {
        text[i] = (i % 50 == 0) ? '\n' : 'y';
    }
    text[huge] = '\0';
    EXPECT(text, ":2:3: field longer than 65536 bytes (is a closing quote missing?)");
    free(text);

    /* More columns than the bound. */
    char header[4096];
    size_t hlen = 0;
    for (int i = 0; i < CLI_CSV_COLUMNS_MAX + 1; i++) {
        hlen += (size_t)snprintf(header + hlen, sizeof(header) - hlen, "%sc", i ? "," : "");
    }
    snprintf(header + hlen, sizeof(header) - hlen, "\n");
    cli_errlist errs;
    char path[64];
    cr_assert_eq(read_text(&f, &errs, path, header, strlen(header), NULL), ENG_EPARSE);
    cr_assert_eq(errs.total, CLI_CSV_COLUMNS_MAX + 1);
    char want[256];
    snprintf(want, sizeof(want), "%s:1:65: more than 64 columns", path);
    cr_assert_str_eq(errs.lines[CLI_CSV_COLUMNS_MAX], want);
    cli_errlist_free(&errs);
}

Test(loans_csv, file_over_the_size_bound_is_refused_before_reading)
{
    char path[64], want[128];
    csvh_write_file(path, "loans", "", 0);
    cr_assert_eq(truncate(path, CLI_CSV_BYTES_MAX + 1), 0); /* sparse: costs no disk */
    cli_loan_file f;
    cli_errlist errs = CLI_ERRLIST_INIT;
    cr_assert_eq(cli_loans_read(&f, path, NULL, &errs), ENG_EPARSE);
    unlink(path);
    snprintf(want, sizeof(want), "%s: file larger than 2147483648 bytes", path);
    cr_assert_eq(errs.total, 1);
    cr_assert_str_eq(errs.lines[0], want);
    cli_errlist_free(&errs);
}

Test(loans_csv, cannot_open_and_unknown_encoding)
{
    cli_loan_file f;
    cli_errlist errs = CLI_ERRLIST_INIT;
    cr_assert_eq(cli_loans_read(&f, "tests/data/loans/no-such-file.csv", NULL, &errs),
                 ENG_EPARSE);
    cr_assert_str_eq(errs.lines[0],
                     "tests/data/loans/no-such-file.csv: cannot open: No such file or directory");
    cli_errlist_free(&errs);
    cr_assert_eq(cli_loans_read(&f, "tests/data/loans", NULL, &errs), ENG_EPARSE);
    cr_assert_str_eq(errs.lines[0], "tests/data/loans: cannot read: Is a directory");
    cli_errlist_free(&errs);
    cr_assert_eq(cli_loans_read(&f, "tests/data/loans/valid.csv", "latin1", &errs), ENG_EUSAGE);
    cr_assert_str_eq(errs.lines[0], "unknown encoding \"latin1\" (expected utf-8 or gbk)");
    cli_errlist_free(&errs);
}

/* The files in tests/data/loans, as a bank would send them. */
Test(loans_csv, data_files)
{
    cli_loan_file f;
    cli_errlist errs = CLI_ERRLIST_INIT;
    cr_assert_eq(cli_loans_read(&f, "tests/data/loans/valid.csv", NULL, &errs), ENG_OK);
    cr_assert_eq(f.n_rows, 5);
    cr_assert_str_eq(f.rows[4].loan_id, "ZZ-2024-0005");
    cr_assert_null(f.rows[1].guarantor);
    cli_loans_free(&f);

    cr_assert_eq(cli_loans_read(&f, "tests/data/loans/excel-gbk.csv", "gbk", &errs), ENG_OK);
    cr_assert_eq(f.n_rows, 3);
    cr_assert_str_eq(f.rows[0].borrower_name, "郑州宇通科技有限公司");
    cr_assert_str_eq(f.rows[2].borrower_name, "河南\"中原\"电子, 股份有限公司");
    cr_assert_eq(f.rows[2].line, 4);
    cr_assert_eq(f.rows[2].first_loan, 0);
    cli_loans_free(&f);

    cr_assert_eq(cli_loans_read(&f, "tests/data/loans/excel-utf8-bom.csv", NULL, &errs), ENG_OK);
    cr_assert_eq(f.n_rows, 3);
    cr_assert_str_eq(f.rows[0].borrower_name, "郑州宇通科技有限公司");
    cli_loans_free(&f);

    cr_assert_eq(cli_loans_read(&f, "tests/data/loans/errors.csv", NULL, &errs), ENG_EPARSE);
    static const char *const want[] = {
        "tests/data/loans/errors.csv:3:2: borrower_code: invalid credit code "
        "\"91440300708461136A\": check character is A, expected T",
        "tests/data/loans/errors.csv:4:10: principal: invalid number \"12.345\": not a whole "
        "number of fen (0.01)",
        "tests/data/loans/errors.csv:5:1: duplicate loan_id \"ZZ-2024-0001\" (first on line 2)",
        "tests/data/loans/errors.csv:6:13: start_date: invalid date \"2023-02-29\": no such day",
        "tests/data/loans/errors.csv:7:1: expected 16 fields, found 15",
    };
    cr_assert_eq(errs.n, 5, "%zu errors, first: %s", errs.n, errs.n ? errs.lines[0] : "-");
    for (size_t i = 0; i < errs.n; i++) {
        cr_assert_str_eq(errs.lines[i], want[i]);
    }
    cli_errlist_free(&errs);
}
