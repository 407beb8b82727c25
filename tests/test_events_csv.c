/*
 * test_events_csv.c -- goal: the events CSV reader accepts every well-formed
 * events file (each kind with its optional fields empty or set, BOM, CRLF,
 * columns in any order, quoted fields) with the exact normalised values, and
 * refuses every malformed one -- bad values, fields a kind requires or
 * forbids, repeated event ids, bad headers -- with the exact
 * `file:line:column: message` lines, all of a file's errors in column order,
 * never crashing on hostile input (this file also runs under ASan/UBSan).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "errlist.h"
#include "csv_harness.h"
#include "events_csv.h"
#include "money.h"

#define HEADER "event_id,kind,date,loan_id,party,amount,interest,cost\n"

/* Reads `data` as an events file; the caller frees `f` and `errs`. */
static eng_status read_text(cli_event_file *f, cli_errlist *errs, char path[64], const char *data,
                            size_t len, const char *encoding)
{
    csvh_write_file(path, "events", data, len);
    cli_errlist_init(errs);
    eng_status rc = cli_events_read(f, path, encoding, errs);
    unlink(path);
    return rc;
}

/* Reads `data` and asserts it fails with exactly the errors `want`. */
static void expect_errors(const char *data, size_t len, const char *const *want, size_t n_want,
                          const char *what)
{
    cli_event_file f;
    cli_errlist errs;
    char path[64];
    eng_status rc = read_text(&f, &errs, path, data, len, NULL);
    csvh_assert_errors(&errs, path, want, n_want, what);
    cr_assert_eq(rc, ENG_EPARSE, "%s", what);
    cr_assert_eq(f.n_rows, 0);
    cr_assert_null(f.rows);
    cli_errlist_free(&errs);
}

#define EXPECT(data, ...)                                                                          \
    do {                                                                                           \
        static const char *const want_[] = {__VA_ARGS__};                                          \
        expect_errors(data, strlen(data), want_, sizeof(want_) / sizeof(want_[0]), data);          \
    } while (0)

/* Reads `data`, asserting no error; the caller frees `f`. */
static void expect_ok(cli_event_file *f, const char *data, size_t len, const char *what)
{
    cli_errlist errs;
    char path[64];
    eng_status rc = read_text(f, &errs, path, data, len, NULL);
    cr_assert_eq(errs.n, 0, "%s: unexpected error: %s", what, errs.n ? errs.lines[0] : "-");
    cr_assert_eq(rc, ENG_OK, "%s", what);
    cli_errlist_free(&errs);
}

/* Each kind, valid, with its optional fields empty or set: the values read. */
Test(events_csv, each_kind_valid)
{
    static const struct {
        const char *row;
        int kind;
        const char *loan_id, *party;
        eng_fen amount, interest, cost;
        int has_interest, has_cost;
    } cases[] = {
        {"F1,funding,2024-01-02,,zz-pool,50000000.00,,", CLI_EVENT_FUNDING, NULL, "zz-pool",
         5000000000, 0, 0, 0, 0},
        {"F1,funding,2024-01-02,,p1,0.01,,", CLI_EVENT_FUNDING, NULL, "p1", 1, 0, 0, 0, 0},
        {"R1,repayment,2024-06-30,ZZ-2024-0001,,250000.00,10875.00,", CLI_EVENT_REPAYMENT,
         "ZZ-2024-0001", NULL, 25000000, 1087500, 0, 1, 0},
        {"R1,repayment,2024-06-30,L1,,100,,", CLI_EVENT_REPAYMENT, "L1", NULL, 10000, 0, 0, 0, 0},
        {"R1,repayment,2024-06-30,L1,,100,0,", CLI_EVENT_REPAYMENT, "L1", NULL, 10000, 0, 0, 1,
         0},
        {"D1,default,2024-09-30,L.1_a-B,,,21750.50,", CLI_EVENT_DEFAULT, "L.1_a-B", NULL, 0,
         2175050, 0, 1, 0},
        {"D1,default,2024-09-30,L1,,,,", CLI_EVENT_DEFAULT, "L1", NULL, 0, 0, 0, 0, 0},
        {"V1,recovery,2025-03-31,L1,,300000.00,,12000.00", CLI_EVENT_RECOVERY, "L1", NULL,
         30000000, 0, 1200000, 0, 1},
        {"V1,recovery,2025-03-31,L1,,5000,,", CLI_EVENT_RECOVERY, "L1", NULL, 500000, 0, 0, 0, 0},
        {"V1,recovery,2025-03-31,L1,,5000,,5000.000", CLI_EVENT_RECOVERY, "L1", NULL, 500000, 0,
         500000, 0, 1},
        {"V1,recovery,2025-03-31,L1,,5000,,0", CLI_EVENT_RECOVERY, "L1", NULL, 500000, 0, 0, 0,
         1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[512];
        cli_event_file f;
        snprintf(text, sizeof(text), HEADER "%s\n", cases[i].row);
        expect_ok(&f, text, strlen(text), cases[i].row);
        cr_assert_eq(f.n_rows, 1, "%s", cases[i].row);
        const cli_event_row *r = &f.rows[0];
        cr_assert_eq(r->kind, cases[i].kind, "%s", cases[i].row);
        cr_assert_eq(r->line, 2);
        cr_assert(strlen(r->event_id) == 2 && strncmp(r->event_id, cases[i].row, 2) == 0);
        const char *d = strchr(cases[i].row + 3, ',') + 1; /* YYYY-MM-DD */
        cr_assert_eq(r->date, eng_date_from_ymd((int)strtol(d, NULL, 10),
                                                (int)strtol(d + 5, NULL, 10),
                                                (int)strtol(d + 8, NULL, 10)));
        if (cases[i].loan_id == NULL) {
            cr_assert_null(r->loan_id, "%s", cases[i].row);
        } else {
            cr_assert_str_eq(r->loan_id, cases[i].loan_id);
        }
        if (cases[i].party == NULL) {
            cr_assert_null(r->party, "%s", cases[i].row);
        } else {
            cr_assert_str_eq(r->party, cases[i].party);
        }
        cr_assert_eq(r->amount, cases[i].amount, "%s", cases[i].row);
        cr_assert_eq(r->interest, cases[i].interest, "%s", cases[i].row);
        cr_assert_eq(r->cost, cases[i].cost, "%s", cases[i].row);
        cr_assert_eq(r->has_interest, cases[i].has_interest, "%s", cases[i].row);
        cr_assert_eq(r->has_cost, cases[i].has_cost, "%s", cases[i].row);
        cli_events_free(&f);
        cr_assert_null(f.rows);
    }
    cr_assert_str_eq(cli_event_col_name(CLI_EV_EVENT_ID), "event_id");
    cr_assert_str_eq(cli_event_col_name(CLI_EV_COST), "cost");
    cr_assert_str_eq(cli_event_kind_name(CLI_EVENT_FUNDING), "funding");
    cr_assert_str_eq(cli_event_kind_name(CLI_EVENT_RECOVERY), "recovery");
}

/* Every kind's required and forbidden fields, with the exact error (line 2). */
Test(events_csv, missing_and_forbidden_fields)
{
    static const struct {
        const char *row;
        const char *error;
    } cases[] = {
        /* funding: party, amount > 0; loan_id, interest, cost empty */
        {"F1,funding,2024-01-02,,,100,,", ":2:5: party: a value is required for a funding event"},
        {"F1,funding,2024-01-02,,p,,,", ":2:6: amount: a value is required for a funding event"},
        {"F1,funding,2024-01-02,,p,0,,", ":2:6: amount: must be greater than 0, found \"0\""},
        {"F1,funding,2024-01-02,L1,p,100,,",
         ":2:4: loan_id: must be empty for a funding event, found \"L1\""},
        {"F1,funding,2024-01-02,,p,100,5,",
         ":2:7: interest: must be empty for a funding event, found \"5\""},
        {"F1,funding,2024-01-02,,p,100,,0",
         ":2:8: cost: must be empty for a funding event, found \"0\""},
        /* repayment: loan_id, amount > 0; party, cost empty */
        {"R1,repayment,2024-01-02,,,100,,",
         ":2:4: loan_id: a value is required for a repayment event"},
        {"R1,repayment,2024-01-02,L1,,,5,",
         ":2:6: amount: a value is required for a repayment event"},
        {"R1,repayment,2024-01-02,L1,,0.00,5,",
         ":2:6: amount: must be greater than 0, found \"0.00\""},
        {"R1,repayment,2024-01-02,L1,zz-pool,100,,",
         ":2:5: party: must be empty for a repayment event, found \"zz-pool\""},
        {"R1,repayment,2024-01-02,L1,,100,,1",
         ":2:8: cost: must be empty for a repayment event, found \"1\""},
        /* default: loan_id; party, amount, cost empty */
        {"D1,default,2024-01-02,,,,,", ":2:4: loan_id: a value is required for a default event"},
        {"D1,default,2024-01-02,L1,,100,,",
         ":2:6: amount: must be empty for a default event, found \"100\""},
        {"D1,default,2024-01-02,L1,,,,0",
         ":2:8: cost: must be empty for a default event, found \"0\""},
        {"D1,default,2024-01-02,L1,p,,,",
         ":2:5: party: must be empty for a default event, found \"p\""},
        /* recovery: loan_id, amount > 0, cost <= amount; party, interest empty */
        {"V1,recovery,2024-01-02,,,100,,",
         ":2:4: loan_id: a value is required for a recovery event"},
        {"V1,recovery,2024-01-02,L1,,,,5",
         ":2:6: amount: a value is required for a recovery event"},
        {"V1,recovery,2024-01-02,L1,,100,,100.01",
         ":2:8: cost: 100.01 is more than the amount recovered, 100.00"},
        {"V1,recovery,2024-01-02,L1,,100,1,",
         ":2:7: interest: must be empty for a recovery event, found \"1\""},
        {"V1,recovery,2024-01-02,L1,p,100,,",
         ":2:5: party: must be empty for a recovery event, found \"p\""},
        /* always required */
        {",repayment,2024-01-02,L1,,100,,", ":2:1: event_id: a value is required"},
        {"R1,,2024-01-02,L1,,100,,", ":2:2: kind: a value is required"},
        {"R1,repayment,,L1,,100,,", ":2:3: date: a value is required"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[512];
        snprintf(text, sizeof(text), HEADER "%s\n", cases[i].row);
        expect_errors(text, strlen(text), &cases[i].error, 1, cases[i].row);
    }
}

/* Bad values of each field, with the exact error (line 2). */
Test(events_csv, bad_values)
{
    static const struct {
        const char *row;
        const char *error;
    } cases[] = {
        {"E 1,repayment,2024-01-02,L1,,100,,",
         ":2:1: event_id: invalid id \"E 1\": expected [A-Za-z0-9._-]{1,64}"},
        {"E12345678901234567890123456789012345678901234567890123456789012345,repayment,"
         "2024-01-02,L1,,100,,",
         ":2:1: event_id: invalid id \"E123456789012345678901234567890123456789...\": expected "
         "[A-Za-z0-9._-]{1,64}"},
        {"E1,Repayment,2024-01-02,L1,,100,,",
         ":2:2: kind: unknown value \"Repayment\" (expected funding|repayment|default|recovery)"},
        {"E1,refund,2024-01-02,L1,,100,,",
         ":2:2: kind: unknown value \"refund\" (expected funding|repayment|default|recovery)"},
        {"E1,repayment,2023-02-29,L1,,100,,",
         ":2:3: date: invalid date \"2023-02-29\": no such day"},
        {"E1,repayment,2024-13-01,L1,,100,,",
         ":2:3: date: invalid date \"2024-13-01\": no such day"},
        {"E1,repayment,2024/01/02,L1,,100,,",
         ":2:3: date: invalid date \"2024/01/02\": expected YYYY-MM-DD"},
        {"E1,repayment,2024-1-2,L1,,100,,",
         ":2:3: date: invalid date \"2024-1-2\": expected YYYY-MM-DD"},
        {"E1,repayment,2024-01-02,L 1,,100,,",
         ":2:4: loan_id: invalid id \"L 1\": expected [A-Za-z0-9._-]{1,64}"},
        {"E1,funding,2024-01-02,,ZZ-Pool,100,,",
         ":2:5: party: invalid party id \"ZZ-Pool\": expected [a-z0-9-]{1,64}"},
        {"E1,repayment,2024-01-02,L1,,12.345,,",
         ":2:6: amount: invalid number \"12.345\": not a whole number of fen (0.01)"},
        {"E1,repayment,2024-01-02,L1,,-100,,",
         ":2:6: amount: must be greater than 0, found \"-100\""},
        {"E1,repayment,2024-01-02,L1,,1e3,,",
         ":2:6: amount: invalid number \"1e3\": exponents are not allowed"},
        {"E1,repayment,2024-01-02,L1,,\"1,000\",,",
         ":2:6: amount: invalid number \"1,000\": thousands separators are not allowed"},
        {"E1,repayment,2024-01-02,L1,,50%,,",
         ":2:6: amount: invalid number \"50%\": an amount must be a plain decimal"},
        {"E1,repayment,2024-01-02,L1,,100,-1,",
         ":2:7: interest: an amount cannot be negative, found \"-1\""},
        {"E1,repayment,2024-01-02,L1,,100,0.001,",
         ":2:7: interest: invalid number \"0.001\": not a whole number of fen (0.01)"},
        {"E1,default,2024-01-02,L1,,,1e3,",
         ":2:7: interest: invalid number \"1e3\": exponents are not allowed"},
        {"E1,recovery,2024-01-02,L1,,100,,-5",
         ":2:8: cost: an amount cannot be negative, found \"-5\""},
        {"E1,recovery,2024-01-02,L1,,100,,12.345",
         ":2:8: cost: invalid number \"12.345\": not a whole number of fen (0.01)"},
        {"E1,repayment,2024-01-02,L1,, 100,,",
         ":2:6: amount: invalid number \" 100\": expected a decimal, a percentage or a "
         "fraction"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[512];
        snprintf(text, sizeof(text), HEADER "%s\n", cases[i].row);
        expect_errors(text, strlen(text), &cases[i].error, 1, cases[i].row);
    }
}

/* An unknown kind still has its fields' values checked, in column order. */
Test(events_csv, every_bad_field_of_a_row_is_reported_in_column_order)
{
    EXPECT(HEADER "E 1,refund,2024-02-30,L 1,P,1e3,-1,12.345\n",
           ":2:1: event_id: invalid id \"E 1\": expected [A-Za-z0-9._-]{1,64}",
           ":2:2: kind: unknown value \"refund\" (expected funding|repayment|default|recovery)",
           ":2:3: date: invalid date \"2024-02-30\": no such day",
           ":2:4: loan_id: invalid id \"L 1\": expected [A-Za-z0-9._-]{1,64}",
           ":2:5: party: invalid party id \"P\": expected [a-z0-9-]{1,64}",
           ":2:6: amount: invalid number \"1e3\": exponents are not allowed",
           ":2:7: interest: an amount cannot be negative, found \"-1\"",
           ":2:8: cost: invalid number \"12.345\": not a whole number of fen (0.01)");
    /* Kind after the fields it governs: still the kind's rules, in column order. */
    EXPECT("amount,loan_id,event_id,party,interest,cost,date,kind\n"
           ",L1,D1,,,,2024-01-02,funding\n",
           ":2:1: amount: a value is required for a funding event",
           ":2:2: loan_id: must be empty for a funding event, found \"L1\"",
           ":2:4: party: a value is required for a funding event");
}

Test(events_csv, duplicate_event_id)
{
    EXPECT(HEADER "E1,funding,2024-01-02,,p,100,,\n"
                  "E2,repayment,2024-01-03,L1,,100,,\n"
                  "E1,repayment,2024-01-04,L1,,100,,\n"
                  "E2,default,2024-01-05,L1,,,,\n",
           ":4:1: duplicate event_id \"E1\" (first on line 2)",
           ":5:1: duplicate event_id \"E2\" (first on line 3)");
    /* Ids are case-sensitive; the column of event_id names the row. */
    cli_event_file f;
    const char *ok = "kind,event_id,date,loan_id,party,amount,interest,cost\n"
                     "funding,e1,2024-01-02,,p,100,,\nfunding,E1,2024-01-02,,p,100,,\n";
    expect_ok(&f, ok, strlen(ok), "case");
    cr_assert_eq(f.n_rows, 2);
    cli_events_free(&f);
    EXPECT("kind,event_id,date,loan_id,party,amount,interest,cost\n"
           "funding,E1,2024-01-02,,p,100,,\nfunding,E1,2024-01-02,,p,100,,\n",
           ":3:2: duplicate event_id \"E1\" (first on line 2)");
}

Test(events_csv, wrong_field_count_is_one_error_per_row)
{
    EXPECT(HEADER "E1,funding,2024-01-02,,p,100,\n"
                  "E2,funding,2024-01-02,,p,100,,,\n"
                  "E3,funding,2024-01-02,,p,100,,\n"
                  "E4\n",
           ":2:1: expected 8 fields, found 7", ":3:1: expected 8 fields, found 9",
           ":5:1: expected 8 fields, found 1");
    EXPECT("date,event_id,kind,loan_id,party,amount,interest,cost\nx,y\n",
           ":2:2: expected 8 fields, found 2");
}

Test(events_csv, header_errors)
{
    EXPECT("event_id,kind,date,loan_id,party,amount,interest\nE1,funding,2024-01-02,,p,1,\n",
           ":1: missing required column \"cost\"");
    EXPECT("event_id,kind,date,loanid,party,amount,interest,cost,remark\n",
           ":1:4: unknown column \"loanid\" (did you mean \"loan_id\"?)",
           ":1:9: unknown column \"remark\"", ":1: missing required column \"loan_id\"");
    EXPECT("event_id,kind,date,loan_id,party,amount,interest,cost,Amount\n",
           ":1:9: unknown column \"Amount\" (did you mean \"amount\"?)");
    EXPECT("event_id,kind,date,loan_id,party,amount,interest,cost,kind\n",
           ":1:9: duplicate column \"kind\" (also column 2)");
    EXPECT("\n\nevent_id,kind,date,loan_id,party,amount,interest,cost,kind\n",
           ":3:9: duplicate column \"kind\" (also column 2)");
    EXPECT("", ":1: missing header row (the file is empty)");
    /* Header only: no rows, no error. */
    cli_event_file f;
    expect_ok(&f, HEADER, strlen(HEADER), "header only");
    cr_assert_eq(f.n_rows, 0);
    cr_assert_eq(f.n_cols, 8);
    cli_events_free(&f);
}

Test(events_csv, columns_in_any_order)
{
    cli_event_file f;
    const char *text = "cost,amount,interest,party,loan_id,date,kind,event_id\n"
                       "12,100,,,L9,2024-05-06,recovery,V9\n";
    expect_ok(&f, text, strlen(text), "order");
    cr_assert_eq(f.n_rows, 1);
    cr_assert_eq(f.col[CLI_EV_EVENT_ID], 8);
    cr_assert_eq(f.col[CLI_EV_COST], 1);
    cr_assert_str_eq(f.rows[0].event_id, "V9");
    cr_assert_str_eq(f.rows[0].loan_id, "L9");
    cr_assert_eq(f.rows[0].kind, CLI_EVENT_RECOVERY);
    cr_assert_eq(f.rows[0].amount, 10000);
    cr_assert_eq(f.rows[0].cost, 1200);
    cr_assert_eq(f.rows[0].date, eng_date_from_ymd(2024, 5, 6));
    cli_events_free(&f);
}

Test(events_csv, bom_and_crlf)
{
    cli_event_file f;
    const char *text = "\xEF\xBB\xBF" "event_id,kind,date,loan_id,party,amount,interest,cost\r\n"
                       "F1,funding,2024-01-02,,p,100,,\r\n"
                       "\r\n"
                       "R1,repayment,2024-01-03,L1,,50,,\r"
                       "D1,default,2024-01-04,L2,,,,";
    expect_ok(&f, text, strlen(text), "bom crlf");
    cr_assert_eq(f.n_rows, 3);
    cr_assert_eq(f.rows[0].line, 2);
    cr_assert_eq(f.rows[1].line, 4);
    cr_assert_eq(f.rows[2].line, 5);
    cr_assert_eq(f.rows[2].has_interest, 0);
    cli_events_free(&f);
    EXPECT("\xEF\xBB\xBF" "event_id,kind,date,loan_id,party,amount,interest,cost\r\n\r\n"
           "F1,funding,2024-01-02,,p,0,,\r\n",
           ":3:6: amount: must be greater than 0, found \"0\"");
    /* A quoted field spanning lines: the row keeps its first line, the next row counts them. */
    EXPECT(HEADER "\"F1\",funding,2024-01-02,,p,\"1\n00\",,\nF2,funding,2024-01-02,,p,0,,\n",
           ":2:6: amount: invalid number \"1\\n00\": expected a decimal",
           ":4:6: amount: must be greater than 0, found \"0\"");
}

/* "Same content": values compare by value, an empty optional amount equals 0. */
Test(events_csv, same_content_compares_values)
{
    cli_event_file f;
    const char *text = HEADER "A,repayment,2024-01-02,L1,,1000,,\n"
                              "B,repayment,2024-01-02,L1,,1000.00,0,\n"
                              "C,repayment,2024-01-02,L1,,1000.01,,\n"
                              "D,repayment,2024-01-03,L1,,1000,,\n"
                              "E,repayment,2024-01-02,L2,,1000,,\n"
                              "F,funding,2024-01-02,,p,1000,,\n"
                              "G,funding,2024-01-02,,p,1000.0,,\n"
                              "H,funding,2024-01-02,,q,1000,,\n"
                              "I,default,2024-01-02,L1,,,,\n"
                              "J,default,2024-01-02,L1,,,0.00,\n";
    expect_ok(&f, text, strlen(text), "same");
    cr_assert_eq(f.n_rows, 10);
    const cli_event_row *r = f.rows;
    cr_assert(cli_event_same(&r[0], &r[1]));
    cr_assert(cli_event_same(&r[1], &r[0]));
    cr_assert_not(cli_event_same(&r[0], &r[2]));
    cr_assert_not(cli_event_same(&r[0], &r[3]));
    cr_assert_not(cli_event_same(&r[0], &r[4]));
    cr_assert_not(cli_event_same(&r[0], &r[5]));
    cr_assert(cli_event_same(&r[5], &r[6]));
    cr_assert_not(cli_event_same(&r[5], &r[7]));
    cr_assert(cli_event_same(&r[8], &r[9]));
    cr_assert_eq(r[8].has_interest, 0);
    cr_assert_eq(r[9].has_interest, 1);
    /* Equal loan ids share one string. */
    cr_assert_eq(r[0].loan_id, r[1].loan_id);
    cli_events_free(&f);
}

Test(events_csv, syntax_and_encoding)
{
    EXPECT(HEADER "F1,funding,2024-01-02,,p,1\"00,,\n",
           ":2:6: a quote inside an unquoted field (quote the whole field and double the quote)");
    EXPECT(HEADER "F1,funding,2024-01-02,,p,\"100\n",
           ":2:6: unterminated quoted field (the closing quote is missing)");
    EXPECT(HEADER "F1,\xE8\xB5\x84\xE9\x87\x91,2024-01-02,,p,100,,\n",
           ":2:2: kind: unknown value \"资金\" (expected funding|repayment|default|recovery)");
    EXPECT(HEADER "F\xFF,funding,2024-01-02,,p,100,,\n",
           ":2:1: event_id: invalid id \"F\\xFF\": expected [A-Za-z0-9._-]{1,64}");
    EXPECT("\xFF\xFE" "e\0", ":1: the file is UTF-16: save it as CSV in UTF-8 (or GBK)");

    /* GBK: converted field by field; a bad byte is reported where it is. */
    cli_event_file f;
    cli_errlist errs;
    char path[64];
    const char *gbk = HEADER "F1,funding,2024-01-02,,p,100,,\n";
    cr_assert_eq(read_text(&f, &errs, path, gbk, strlen(gbk), "GBK"), ENG_OK);
    cr_assert_eq(f.n_rows, 1);
    cli_events_free(&f);
    cli_errlist_free(&errs);
    const char *bad = HEADER "F1,\x81\x20,2024-01-02,,p,100,,\n";
    cr_assert_eq(read_text(&f, &errs, path, bad, strlen(bad), "gbk"), ENG_EPARSE);
    cr_assert_eq(errs.n, 1);
    char want[200];
    snprintf(want, sizeof(want), "%s:2:2: kind: invalid GBK text \"\\x81 \"", path);
    cr_assert_str_eq(errs.lines[0], want);
    cli_errlist_free(&errs);
}

Test(events_csv, more_than_the_kept_errors)
{
    size_t n = 150, cap = 64 + n * 48;
    char *text = malloc(cap);
    cr_assert_not_null(text);
    size_t used = (size_t)snprintf(text, cap, HEADER);
    for (size_t i = 0; i < n; i++) {
        used += (size_t)snprintf(text + used, cap - used, "E%zu,funding,2024-01-02,,p,0,,\n", i);
    }
    cli_event_file f;
    cli_errlist errs;
    char path[64];
    cr_assert_eq(read_text(&f, &errs, path, text, used, NULL), ENG_EPARSE);
    cr_assert_eq(errs.total, n);
    cr_assert_eq(errs.n, ENG_ERRLIST_MAX);
    char want[200];
    snprintf(want, sizeof(want), "%s:101:6: amount: must be greater than 0, found \"0\"", path);
    cr_assert_str_eq(errs.lines[ENG_ERRLIST_MAX - 1], want);
    cli_errlist_free(&errs);
    free(text);
}

Test(events_csv, cannot_open_and_unknown_encoding)
{
    cli_event_file f;
    cli_errlist errs = CLI_ERRLIST_INIT;
    cr_assert_eq(cli_events_read(&f, "tests/data/events/no-such-file.csv", NULL, &errs),
                 ENG_EPARSE);
    cr_assert_str_eq(errs.lines[0],
                     "tests/data/events/no-such-file.csv: cannot open: No such file or directory");
    cli_errlist_free(&errs);
    cr_assert_eq(cli_events_read(&f, "tests/data/events/valid.csv", "latin1", &errs),
                 ENG_EUSAGE);
    cr_assert_str_eq(errs.lines[0], "unknown encoding \"latin1\" (expected utf-8 or gbk)");
    cr_assert_null(f.rows);
    cli_errlist_free(&errs);
}

/* The files in tests/data/events. */
Test(events_csv, data_files)
{
    cli_event_file f;
    cli_errlist errs = CLI_ERRLIST_INIT;
    cr_assert_eq(cli_events_read(&f, "tests/data/events/valid.csv", NULL, &errs), ENG_OK);
    cr_assert_eq(f.n_rows, 7);
    cr_assert_eq(f.rows[0].kind, CLI_EVENT_FUNDING);
    cr_assert_str_eq(f.rows[0].party, "zz-pool");
    cr_assert_eq(f.rows[0].amount, 5000000000);
    cr_assert_eq(f.rows[3].kind, CLI_EVENT_DEFAULT);
    cr_assert_eq(f.rows[3].interest, 2175050);
    cr_assert_eq(f.rows[5].cost, 1200000);
    cr_assert_str_eq(f.rows[6].event_id, "E-0007");
    cr_assert_eq(f.rows[6].line, 8);
    cli_events_free(&f);

    cr_assert_eq(cli_events_read(&f, "tests/data/events/excel-utf8-bom.csv", NULL, &errs),
                 ENG_OK);
    cr_assert_eq(f.n_rows, 3);
    cr_assert_eq(f.rows[1].amount, 50050);
    cr_assert_eq(f.rows[1].interest, 1230);
    cr_assert_eq(f.rows[1].date, eng_date_from_ymd(2024, 2, 29));
    cr_assert_eq(f.rows[2].kind, CLI_EVENT_RECOVERY);
    cr_assert_eq(f.rows[2].has_cost, 1);
    cr_assert_eq(f.rows[2].has_interest, 0);
    cli_events_free(&f);

    cr_assert_eq(cli_events_read(&f, "tests/data/events/errors.csv", NULL, &errs), ENG_EPARSE);
    static const char *const want[] = {
        "tests/data/events/errors.csv:3:3: date: invalid date \"2024-02-30\": no such day",
        "tests/data/events/errors.csv:4:6: amount: invalid number \"12.345\": not a whole "
        "number of fen (0.01)",
        "tests/data/events/errors.csv:5:1: duplicate event_id \"E1\" (first on line 2)",
        "tests/data/events/errors.csv:6:2: kind: unknown value \"refund\" (expected "
        "funding|repayment|default|recovery)",
        "tests/data/events/errors.csv:7:8: cost: 200.00 is more than the amount recovered, "
        "100.00",
        "tests/data/events/errors.csv:8:1: expected 8 fields, found 7",
    };
    cr_assert_eq(errs.n, 6, "%zu errors, first: %s", errs.n, errs.n ? errs.lines[0] : "-");
    for (size_t i = 0; i < errs.n; i++) {
        cr_assert_str_eq(errs.lines[i], want[i]);
    }
    cli_errlist_free(&errs);
}

/* 100,000 events read in well under a second (a generous bound: ASan builds run it too). */
Test(events_csv, hundred_thousand_events_fast)
{
    size_t n = 100000, cap = 64 + n * 80;
    char *text = malloc(cap);
    cr_assert_not_null(text);
    size_t used = (size_t)snprintf(text, cap, HEADER);
    for (size_t i = 0; i < n; i++) {
        switch (i % 4) {
        case 0:
            used += (size_t)snprintf(text + used, cap - used,
                                     "EV-%07zu,funding,2024-01-02,,zz-pool,1000000.00,,\n", i);
            break;
        case 1:
            used += (size_t)snprintf(text + used, cap - used,
                                     "EV-%07zu,repayment,2024-06-30,ZZ-%06zu,,25000.00,1087.50,\n",
                                     i, i / 4);
            break;
        case 2:
            used += (size_t)snprintf(text + used, cap - used,
                                     "EV-%07zu,default,2024-09-30,ZZ-%06zu,,,2175.50,\n", i, i / 4);
            break;
        default:
            used += (size_t)snprintf(text + used, cap - used,
                                     "EV-%07zu,recovery,2025-03-31,ZZ-%06zu,,30000.00,,120.00\n",
                                     i, i / 4);
            break;
        }
    }
    cli_event_file f;
    cli_errlist errs;
    char path[64];
    csvh_write_file(path, "events", text, used);
    free(text);
    cli_errlist_init(&errs);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    eng_status rc = cli_events_read(&f, path, NULL, &errs);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    unlink(path);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    cr_assert_eq(rc, ENG_OK, "%s", errs.n ? errs.lines[0] : "-");
    cr_assert_eq(f.n_rows, n);
    cr_assert_eq(f.rows[n - 1].cost, 12000);
    cr_assert_str_eq(f.rows[n - 1].event_id, "EV-0099999");
    cr_log_info("100,000 events read in %.3f s", secs);
    cr_assert_lt(secs, 2.0, "100,000 events took %.3f s", secs);
    cli_events_free(&f);
    cli_errlist_free(&errs);
}

/*
 * Regression (found by fuzz/fuzz_events.c under clang's UBSan): an empty first field of
 * the first data row was stored at an offset from a NULL buffer.  The input is
 * fuzz/corpus/events/regress-empty-first-field.csv.
 */
Test(events_csv, empty_first_field_of_the_first_row)
{
    EXPECT(HEADER ",funding,2024-01-02,,zz-pool,1.00,,\n", ":2:1: event_id: a value is required");
}
