/*
 * test_audit_export.c -- goal: `audit export` (DESIGN 7, 8) writes a journal that
 * the auditors' own tools read back to exactly the ledger's balances.  A generated
 * scenario (gen loans for the Zhengzhou 2025 plan, batch submit, gen events with
 * funding, repayments, defaults and recoveries, events import, settle --commit)
 * and the subsidy program of tests/data/lifecycle (fee and interest subsidies paid
 * by a settlement) are exported; the real ledger-cli (exact, GMP) must print every
 * account's balance exactly as `account_balances` and `audit balances` do, hledger
 * must accept the file (`check`, `check --strict`) and agree, also with --as-of.
 * The beancount export is checked for its structure: valid account names, an open
 * directive on or before every use, every transaction balanced to the fen, and its
 * sums per account equal to the ledger's (bean-check when it is installed).  Then
 * the details: seq and hash tags in seq order, two spaces before every amount,
 * party names beancount would refuse, a tampered ledger (exit 1, named faults),
 * and usage errors.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_harness.h"
#include "pg_harness.h"

#define ZZ_2025 "policies/zz-kejidai-2025.yaml"
#define DIR "tests/data/lifecycle/"

/* ---- helpers -------------------------------------------------------------------------- */

static void run_ok(const char *db, const char *const *args)
{
    clh_result r = clh_run(db, args);
    cr_assert_eq(r.status, 0, "%s %s: %s", args[0], args[1], r.err);
    clh_free(&r);
}

/* Runs the command and writes its stdout to a fresh file named `name`. */
static void run_to_file(char *path, size_t size, const char *db, const char *name,
                        const char *const *args)
{
    clh_result r = clh_run(db, args);
    cr_assert_eq(r.status, 0, "%s %s: %s", args[0], args[1], r.err);
    clh_write_file(path, size, name, r.out);
    clh_free(&r);
}

/* 1 when `tool` is on the PATH. */
static int have_tool(const char *tool)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
    return system(cmd) == 0;
}

/* Runs the shell command `cmd`; its stdout (and stderr) in `*out` (freed by the caller),
   its exit status returned. */
static int shell(char **out, const char *cmd)
{
    char full[2048];
    snprintf(full, sizeof(full), "%s 2>&1", cmd);
    FILE *p = popen(full, "r");
    cr_assert_not_null(p, "cannot run %s", cmd);
    size_t len = 0, cap = 8192;
    char *buf = malloc(cap);
    cr_assert_not_null(buf);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += got;
        if (cap - len < 4096) {
            cap *= 2;
            buf = realloc(buf, cap);
            cr_assert_not_null(buf);
        }
    }
    buf[len] = '\0';
    int st = pclose(p);
    *out = buf;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static int line_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Splits `text` into its non-empty lines, in place; `*n` gets their count.  Free the array. */
static char **split_lines(char *text, size_t *n)
{
    char **lines = calloc(strlen(text) / 2 + 2, sizeof(char *));
    cr_assert_not_null(lines);
    *n = 0;
    for (char *l = text; *l != '\0';) {
        char *nl = strchr(l, '\n');
        if (nl != NULL) {
            *nl = '\0';
        }
        if (*l != '\0') {
            lines[(*n)++] = l;
        }
        l = nl != NULL ? nl + 1 : l + strlen(l);
    }
    return lines;
}

/* The lines of `text` sorted bytewise, each ending in a newline (freed by the caller). */
static char *sorted_lines(const char *text)
{
    char *copy = strdup(text);
    size_t n = 0, len = 0;
    cr_assert_not_null(copy);
    char **lines = split_lines(copy, &n);
    qsort(lines, n, sizeof(char *), line_cmp);
    char *out = calloc(strlen(text) + 2, 1);
    cr_assert_not_null(out);
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(lines[i]);
        memcpy(out + len, lines[i], k);
        out[len + k] = '\n';
        len += k + 1;
    }
    free(lines);
    free(copy);
    return out;
}

/* The ledger's own view: "account balance" per line, sorted, from account_balances. */
static char *sql_balances(const char *db, const char *program, const char *as_of)
{
    char sql[1024];
    if (as_of == NULL) {
        snprintf(sql, sizeof(sql),
                 "SELECT coalesce(string_agg(account || ' ' || to_char(balance,"
                 " 'FM9999999999999999990.00'), E'\\n'), '') FROM account_balances"
                 " WHERE program = '%s'", program);
    } else {
        snprintf(sql, sizeof(sql),
                 "SELECT coalesce(string_agg(account || ' ' || to_char(b, "
                 "'FM9999999999999999990.00'), E'\\n'), '') FROM (SELECT p.account,"
                 " sum(CASE p.side WHEN 'debit' THEN p.amount ELSE -p.amount END) AS b"
                 " FROM postings p JOIN entries e USING (program, seq) WHERE p.program = '%s'"
                 " AND e.business_date <= '%s' GROUP BY p.account) x", program, as_of);
    }
    PGconn *c = pgh_connect(db);
    char *v = pgh_value(c, NULL, sql);
    PQfinish(c);
    char *s = sorted_lines(v);
    free(v);
    return s;
}

/* `audit balances --format csv` as "account balance" lines, sorted. */
static char *cli_balances(const char *db, const char *program, const char *as_of)
{
    const char *args[12] = {"audit", "balances", "--quiet", "--format", "csv", "--program",
                            program, NULL};
    if (as_of != NULL) {
        args[7] = "--as-of";
        args[8] = as_of;
    }
    clh_result r = clh_run(db, args);
    cr_assert_eq(r.status, 0, "audit balances: %s", r.err);
    cr_assert(strncmp(r.out, "account,debit,credit,balance\n", 29) == 0, "%s", r.out);
    char *text = calloc(strlen(r.out) + 1, 1), *w = text;
    cr_assert_not_null(text);
    for (const char *l = r.out + 29; *l != '\0';) {
        const char *nl = strchr(l, '\n'), *c1 = strchr(l, ','), *c3 = strrchr(l, ',');
        size_t len = nl ? (size_t)(nl - l) : strlen(l);
        char line[512];
        snprintf(line, sizeof(line), "%.*s", (int)len, l);
        c1 = strchr(line, ',');
        c3 = strrchr(line, ',');
        w += snprintf(w, (size_t)(text + strlen(r.out) + 1 - w), "%.*s %s\n",
                      (int)(c1 - line), line, c3 + 1);
        l = nl ? nl + 1 : l + len;
    }
    clh_free(&r);
    char *s = sorted_lines(text);
    free(text);
    return s;
}

/* Turns "account  12.00 CNY" / "account  0" lines of ledger, or hledger's csv, into
   "account 12.00" lines, sorted. */
static char *normalise_tool_lines(const char *text, int csv)
{
    size_t size = strlen(text) + 64, len = 0, n = 0;
    char *out = calloc(size, 1), *copy = strdup(text);
    cr_assert(out != NULL && copy != NULL);
    char **lines = split_lines(copy, &n);
    for (size_t i = 0; i < n; i++) {
        char *l = lines[i], account[256], amount[64];
        if (csv) {  /* "account","12.00 CNY" */
            if (strncmp(l, "\"account\"", 9) == 0 || strncmp(l, "\"total\"", 7) == 0) {
                continue;
            }
            char *q = strstr(l, "\",\"");
            cr_assert(q != NULL && l[0] == '"', "hledger line: %s", l);
            snprintf(account, sizeof(account), "%.*s", (int)(q - l - 1), l + 1);
            snprintf(amount, sizeof(amount), "%s", q + 3);
            amount[strcspn(amount, "\"")] = '\0';
        } else {    /* account  12.00 CNY */
            char *q = strstr(l, "  ");
            cr_assert_not_null(q, "ledger line: %s", l);
            snprintf(account, sizeof(account), "%.*s", (int)(q - l), l);
            snprintf(amount, sizeof(amount), "%s", q + 2);
        }
        amount[strcspn(amount, " ")] = '\0';
        len += (size_t)snprintf(out + len, size - len, "%s %s\n", account,
                                strcmp(amount, "0") == 0 ? "0.00" : amount);
    }
    free(lines);
    free(copy);
    char *s = sorted_lines(out);
    free(out);
    return s;
}

/* Exports `program` as a ledger file; its path in `path`. */
static void export_ledger(char *path, size_t size, const char *db, const char *program,
                          const char *as_of)
{
    const char *args[12] = {"audit", "export", "--quiet", "--program", program, "--format",
                            "ledger", NULL};
    if (as_of != NULL) {
        args[7] = "--as-of";
        args[8] = as_of;
    }
    run_to_file(path, size, db, "export.ledger", args);
}

/*
 * The cross-check: ledger-cli's balances of the exported file equal the ledger's
 * own (account_balances, and audit balances), account by account, to the fen;
 * hledger accepts the file and agrees.
 */
static void cross_check(const char *db, const char *program, const char *as_of)
{
    char path[512], cmd[1024], *out = NULL;
    export_ledger(path, sizeof(path), db, program, as_of);
    char *want = sql_balances(db, program, as_of);
    char *want_cli = cli_balances(db, program, as_of);
    cr_expect_str_eq(want_cli, want, "audit balances agrees with account_balances");
    cr_assert(strlen(want) > 0, "the scenario has postings");

    if (!have_tool("ledger")) {
        cr_log_warn("ledger (ledger-cli) is not installed: its cross-check is skipped");
    } else {
        snprintf(cmd, sizeof(cmd), "ledger -f '%s' bal --flat --no-total --empty"
                 " --balance-format '%%(account)  %%(display_total)\\n'", path);
        cr_assert_eq(shell(&out, cmd), 0, "%s", out);
        char *got = normalise_tool_lines(out, 0);
        cr_expect_str_eq(got, want, "ledger bal of the export (%s)", program);
        free(got);
        free(out);
    }
    if (!have_tool("hledger")) {
        cr_log_warn("hledger is not installed: its check is skipped");
    } else {
        snprintf(cmd, sizeof(cmd), "hledger -f '%s' check", path);
        cr_expect_eq(shell(&out, cmd), 0, "hledger check: %s", out);
        free(out);
        snprintf(cmd, sizeof(cmd), "hledger -f '%s' check --strict", path);
        cr_expect_eq(shell(&out, cmd), 0, "hledger check --strict: %s", out);
        free(out);
        snprintf(cmd, sizeof(cmd), "hledger -f '%s' bal --flat --empty -O csv", path);
        cr_assert_eq(shell(&out, cmd), 0, "%s", out);
        char *got = normalise_tool_lines(out, 1);
        cr_expect_str_eq(got, want, "hledger bal of the export (%s)", program);
        free(got);
        free(out);
    }
    free(want);
    free(want_cli);
}

/* ---- scenarios ------------------------------------------------------------------------ */

/* A generated program: 400 loans, then funding, repayments, defaults, recoveries, a
   settlement that pays part of the claims, and a second import after it. */
static void generated_scenario(char *db, size_t n)
{
    char loans[512], report[512], events[512];
    pgh_fresh_db(db, n);
    run_ok(db, (const char *const[]){"policy", "load", "--quiet", ZZ_2025, NULL});
    run_to_file(loans, sizeof(loans), NULL, "loans.csv",
                (const char *const[]){"gen", "loans", "--count", "400", "--seed", "11",
                                      "--policy", ZZ_2025, NULL});
    run_to_file(report, sizeof(report), db, "report.csv",
                (const char *const[]){"batch", "submit", "--quiet", "--program", "zz-kejidai",
                                      "--agency", "zzbank", loans, NULL});
    run_to_file(events, sizeof(events), NULL, "events.csv",
                (const char *const[]){"gen", "events", "--loans", loans, "--seed", "11",
                                      "--admitted", report, "--default-rate", "12%",
                                      "--repay-rate", "40%", "--recovery-rate", "60%",
                                      "--funding", "8000000", "--pool", "zz-pool",
                                      "--to", "2027-06-30", NULL});
    run_ok(db, (const char *const[]){"events", "import", "--quiet", "--program", "zz-kejidai",
                                     events, NULL});
    run_ok(db, (const char *const[]){"settle", "--quiet", "--program", "zz-kejidai",
                                     "--through", "2027-06-30", "--commit", NULL});
}

/* The subsidy program: fee subsidy, interest subsidy, paid by a settlement. */
static void subsidy_scenario(char *db, size_t n)
{
    pgh_fresh_db(db, n);
    run_ok(db, (const char *const[]){"policy", "load", "--quiet", DIR "subsidy.yaml", NULL});
    run_ok(db, (const char *const[]){"batch", "submit", "--quiet", "--program", "sub",
                                     "--agency", "ag1", DIR "subsidy-loans.csv", NULL});
    run_ok(db, (const char *const[]){"events", "import", "--quiet", "--program", "sub",
                                     DIR "subsidy-events.csv", NULL});
    run_ok(db, (const char *const[]){"settle", "--quiet", "--program", "sub", "--through",
                                     "2024-12-31", "--commit", NULL});
}

static char *sql_text(const char *db, const char *sql)
{
    PGconn *c = pgh_connect(db);
    char *v = pgh_value(c, NULL, sql);
    PQfinish(c);
    return v;
}

/* ---- ledger-cli and hledger ----------------------------------------------------------- */

Test(audit_export, generated_program_ledger_balances_exact)
{
    char db[1024];
    generated_scenario(db, sizeof(db));
    char *kinds = sql_text(db, "SELECT string_agg(DISTINCT kind, ',') FROM entries");
    cr_assert(strstr(kinds, "default") && strstr(kinds, "recovery") &&
                  strstr(kinds, "settlement_payment") && strstr(kinds, "funding") &&
                  strstr(kinds, "guarantee_fee"),
              "the scenario has every kind of entry it should: %s", kinds);
    free(kinds);
    cross_check(db, "zz-kejidai", NULL);
}

Test(audit_export, generated_program_as_of_dates)
{
    char db[1024];
    generated_scenario(db, sizeof(db));
    cross_check(db, "zz-kejidai", "2025-12-31");
    cross_check(db, "zz-kejidai", "2026-09-30");
}

Test(audit_export, subsidies_and_settlement_balances_exact)
{
    char db[1024];
    subsidy_scenario(db, sizeof(db));
    char *kinds = sql_text(db, "SELECT string_agg(DISTINCT kind, ',') FROM entries");
    cr_assert(strstr(kinds, "fee_subsidy") && strstr(kinds, "interest_subsidy"), "%s", kinds);
    free(kinds);
    cross_check(db, "sub", NULL);
    cross_check(db, "sub", "2024-06-30");
}

/* ---- beancount ------------------------------------------------------------------------ */

#define BEAN_ACCOUNTS_MAX 64

/* What a beancount file says, as far as the structure check reads it. */
typedef struct {
    char name[BEAN_ACCOUNTS_MAX][128];
    char first_use[BEAN_ACCOUNTS_MAX][11];  /* earliest transaction date using it */
    char opened[BEAN_ACCOUNTS_MAX][11];     /* its open directive's date, "" when none */
    int64_t sum[BEAN_ACCOUNTS_MAX];         /* in fen */
    size_t n;
    size_t transactions;
} bean_file;

static size_t bean_account(bean_file *b, const char *name, size_t len)
{
    for (size_t i = 0; i < b->n; i++) {
        if (strlen(b->name[i]) == len && strncmp(b->name[i], name, len) == 0) {
            return i;
        }
    }
    cr_assert_lt(b->n, BEAN_ACCOUNTS_MAX);
    cr_assert_lt(len, sizeof(b->name[0]));
    memcpy(b->name[b->n], name, len);
    b->name[b->n][len] = '\0';
    return b->n++;
}

/* A beancount account name: a top-level type, then components of a capital letter or a
   digit followed by letters, digits and dashes. */
static int bean_valid_account(const char *a)
{
    static const char *const types[] = {"Assets:", "Liabilities:", "Equity:", "Income:",
                                        "Expenses:"};
    const char *p = NULL;
    for (size_t i = 0; i < 5 && p == NULL; i++) {
        p = strncmp(a, types[i], strlen(types[i])) == 0 ? a + strlen(types[i]) : NULL;
    }
    if (p == NULL) {
        return 0;
    }
    for (int start = 1; *p != '\0'; p++) {
        int upper = *p >= 'A' && *p <= 'Z', digit = *p >= '0' && *p <= '9';
        int lower = *p >= 'a' && *p <= 'z';
        if (start && !upper && !digit) {
            return 0;
        }
        if (!start && *p == ':') {
            start = 1;
            continue;
        }
        if (!upper && !digit && !lower && *p != '-') {
            return 0;
        }
        start = 0;
    }
    return 1;
}

/* "-12.34" (exactly two decimals) in fen. */
static int64_t fen_of(const char *text)
{
    int neg = text[0] == '-';
    int64_t v = 0;
    const char *p = text + neg, *dot = strchr(text, '.');
    cr_assert(dot != NULL && strlen(dot) == 3, "two decimals: %s", text);
    for (; *p != '\0'; p++) {
        if (*p != '.') {
            cr_assert(*p >= '0' && *p <= '9', "amount %s", text);
            v = v * 10 + (*p - '0');
        }
    }
    return neg ? -v : v;
}

/* One posting line "  Account<2+ spaces>-12.34 CNY": its account and amount; every
   transaction's postings must sum to zero. */
static void bean_posting(bean_file *b, const char *l, const char *date, int64_t *tx_sum)
{
    size_t alen = strcspn(l + 2, " ");
    char account[128], amount[64], currency[8];
    snprintf(account, sizeof(account), "%.*s", (int)alen, l + 2);
    cr_assert(strncmp(l + 2 + alen, "  ", 2) == 0, "two spaces after the account: %s", l);
    const char *q = l + 2 + alen;
    q += strspn(q, " ");
    size_t mlen = strcspn(q, " ");
    snprintf(amount, sizeof(amount), "%.*s", (int)mlen, q);
    snprintf(currency, sizeof(currency), "%s", q + mlen + 1);
    cr_assert_str_eq(currency, "CNY", "%s", l);
    cr_assert(bean_valid_account(account), "beancount account name: %s", account);
    size_t i = bean_account(b, account, alen);
    int64_t fen = fen_of(amount);
    b->sum[i] += fen;
    *tx_sum += fen;
    if (b->first_use[i][0] == '\0' || strcmp(date, b->first_use[i]) < 0) {
        snprintf(b->first_use[i], sizeof(b->first_use[i]), "%s", date);
    }
}

/* Reads a beancount export: every transaction balanced, every account valid. */
static void bean_read(bean_file *b, const char *text)
{
    char *copy = strdup(text), date[11] = "";
    size_t n = 0;
    int64_t tx_sum = 0;
    int in_tx = 0;
    cr_assert_not_null(copy);
    memset(b, 0, sizeof(*b));
    char **lines = split_lines(copy, &n);
    for (size_t k = 0; k <= n; k++) {
        const char *l = k < n ? lines[k] : "";
        int header = strlen(l) > 14 && l[4] == '-' && strncmp(l + 10, " * \"", 4) == 0;
        if (in_tx && (k == n || l[0] != ' ')) {
            cr_expect_eq(tx_sum, 0, "transaction %zu balances to the fen", b->transactions);
            in_tx = 0;
        }
        if (header) {
            snprintf(date, sizeof(date), "%.10s", l);
            b->transactions++;
            in_tx = 1;
            tx_sum = 0;
        } else if (in_tx && l[0] == ' ' && l[2] >= 'A' && l[2] <= 'Z') {
            bean_posting(b, l, date, &tx_sum);
        } else if (strlen(l) > 16 && strncmp(l + 10, " open ", 6) == 0) {
            size_t alen = strcspn(l + 16, " ");
            size_t i = bean_account(b, l + 16, alen);
            cr_expect_eq(b->opened[i][0], '\0', "one open per account: %s", l);
            snprintf(b->opened[i], sizeof(b->opened[i]), "%.10s", l);
            cr_expect_str_eq(l + 16 + alen, " CNY", "%s", l);
        }
    }
    free(lines);
    free(copy);
}

/* The beancount name of an account of the ledger, for party ids that are plain words. */
static void bean_name_of(char *out, size_t size, const char *account)
{
    static const char *const map[][3] = {
        {"cash", "Assets", "Cash"},          {"receivable", "Assets", "Receivable"},
        {"payable", "Liabilities", "Payable"}, {"capital", "Equity", "Capital"},
        {"external", "Equity", "External"},  {"fee_income", "Income", "Fee-income"},
        {"recovery", "Income", "Recovery"},  {"loss", "Expenses", "Loss"},
        {"subsidy_expense", "Expenses", "Subsidy-expense"}};
    const char *colon = strchr(account, ':');
    cr_assert_not_null(colon);
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (strcmp(colon + 1, map[i][0]) == 0) {
            snprintf(out, size, "%s:%c%.*s:%s", map[i][1], account[0] - 'a' + 'A',
                     (int)(colon - account - 1), account + 1, map[i][2]);
            return;
        }
    }
    cr_assert_fail("unknown account kind: %s", account);
}

/* The structure of a beancount export, and its sums against the ledger's balances. */
static void check_beancount(const char *db, const char *program, size_t entries)
{
    clh_result r = clh_run(db, (const char *const[]){"audit", "export", "--quiet", "--program",
                                                     program, "--format", "beancount", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.out, "option \"operating_currency\" \"CNY\"\n") != NULL);
    bean_file *b = malloc(sizeof(*b));
    cr_assert_not_null(b);
    bean_read(b, r.out);
    cr_expect_eq(b->transactions, entries, "one transaction per entry");
    /* Each account opened exactly at its first use; sums equal to the ledger's balances. */
    char *want = sql_balances(db, program, NULL), *copy = strdup(want);
    size_t n = 0;
    char **lines = split_lines(copy, &n);
    cr_expect_eq(n, b->n, "as many accounts as the ledger has");
    for (size_t k = 0; k < n; k++) {
        char account[128], bean[160];
        const char *sp = strchr(lines[k], ' ');
        snprintf(account, sizeof(account), "%.*s", (int)(sp - lines[k]), lines[k]);
        bean_name_of(bean, sizeof(bean), account);
        size_t i = bean_account(b, bean, strlen(bean));
        cr_expect_str_eq(b->opened[i], b->first_use[i], "%s opened at its first use", bean);
        cr_expect_eq(b->sum[i], fen_of(sp + 1), "%s sums to the balance of %s", bean, account);
    }
    if (have_tool("bean-check")) {
        char path[512], cmd[1024], *out = NULL;
        clh_write_file(path, sizeof(path), "export.beancount", r.out);
        snprintf(cmd, sizeof(cmd), "bean-check '%s'", path);
        cr_expect_eq(shell(&out, cmd), 0, "bean-check: %s", out);
        free(out);
    } else {
        cr_log_info("bean-check (Debian package beancount) is not installed: the beancount "
                    "export is checked for its structure only");
    }
    free(lines);
    free(copy);
    free(want);
    free(b);
    clh_free(&r);
}

static size_t count_entries(const char *db, const char *program)
{
    char sql[256];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM entries WHERE program = '%s'", program);
    char *v = sql_text(db, sql);
    size_t n = (size_t)strtoull(v, NULL, 10);
    free(v);
    return n;
}

Test(audit_export, generated_program_beancount_structure)
{
    char db[1024];
    generated_scenario(db, sizeof(db));
    check_beancount(db, "zz-kejidai", count_entries(db, "zz-kejidai"));
}

Test(audit_export, subsidy_program_beancount_structure)
{
    char db[1024];
    subsidy_scenario(db, sizeof(db));
    check_beancount(db, "sub", count_entries(db, "sub"));
}

/* ---- the details ---------------------------------------------------------------------- */

/* One entry exactly, in both formats (the hash from the ledger: it covers the recording
   time); the seq and hash tags in seq order; at least two spaces before every amount. */
Test(audit_export, tags_and_layout)
{
    char db[1024], want[1024];
    subsidy_scenario(db, sizeof(db));
    char *hashes = sql_text(db, "SELECT string_agg(hash, ' ' ORDER BY seq) FROM entries");
    char *hash2 = sql_text(db, "SELECT hash FROM entries WHERE seq = 2");
    clh_result r = clh_run(db, (const char *const[]){"audit", "export", "--program", "sub",
                                                     "--format", "ledger", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect_str_eq(r.err, "riskshare: audit export: sub: 7 entries, 14 postings, 6 accounts\n");
    snprintf(want, sizeof(want),
             "\n2024-02-01 * (2) fee_subsidy loan U3 batch 1\n"
             "    ; seq: 2\n"
             "    ; hash: %s\n"
             "    ; version: 1\n"
             "    ; rules: guaranteed\n"
             "    sub-pool:subsidy_expense                             5000.00 CNY\n"
             "    sub-pool:payable                                    -5000.00 CNY\n\n", hash2);
    cr_expect(strstr(r.out, want) != NULL, "entry 2 as pinned:\n%s\nin\n%s", want, r.out);
    cr_expect(strstr(r.out, "\n2024-01-01 * (3) funding event UF\n    ; seq: 3\n") != NULL);
    cr_expect(strstr(r.out, "* (6) settlement_payment loan U3 settlement 1\n") != NULL);
    cr_expect(strstr(r.out, "\ncommodity CNY\n") != NULL);
    cr_expect(strstr(r.out, "\naccount sub-pool:subsidy_expense\n") != NULL);

    /* seq 1..7 and the stored hashes, in file order; two spaces before every amount. */
    char *copy = strdup(r.out), found[1024] = "";
    size_t n = 0, seq = 0, flen = 0;
    char **lines = split_lines(copy, &n);
    for (size_t k = 0; k < n; k++) {
        const char *l = lines[k];
        if (strncmp(l, "    ; seq: ", 11) == 0) {
            cr_expect_eq(strtoull(l + 11, NULL, 10), ++seq, "%s", l);
        } else if (strncmp(l, "    ; hash: ", 12) == 0) {
            flen += (size_t)snprintf(found + flen, sizeof(found) - flen, "%s%s",
                                     flen ? " " : "", l + 12);
        } else if (strncmp(l, "    ", 4) == 0 && l[4] != ';') {
            size_t alen = strcspn(l + 4, " ");
            cr_expect(strncmp(l + 4 + alen, "  ", 2) == 0, "two spaces: %s", l);
            cr_expect(strstr(l, " CNY") != NULL && l[strlen(l) - 7] == '.', "amount: %s", l);
        }
    }
    cr_expect_eq(seq, 7);
    cr_expect_str_eq(found, hashes, "the hash tags are the stored hashes, in seq order");
    free(lines);
    free(copy);
    clh_free(&r);

    r = clh_run(db, (const char *const[]){"audit", "export", "--quiet", "--program", "sub",
                                          "--format", "beancount", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect_str_eq(r.err, "");
    snprintf(want, sizeof(want),
             "\n2024-02-01 * \"fee_subsidy loan U3 batch 1\"\n"
             "  seq: 2\n"
             "  hash: \"%s\"\n"
             "  version: 1\n"
             "  rules: \"guaranteed\"\n"
             "  Expenses:Sub-pool:Subsidy-expense                      5000.00 CNY\n"
             "  Liabilities:Sub-pool:Payable                          -5000.00 CNY\n\n", hash2);
    cr_expect(strstr(r.out, want) != NULL, "entry 2 as pinned:\n%s\nin\n%s", want, r.out);
    cr_expect(strstr(r.out, "\n2024-01-01 open Assets:Sub-pool:Cash CNY\n") != NULL);
    cr_expect(strstr(r.out, "\n2024-02-01 open Expenses:Sub-pool:Subsidy-expense CNY\n") != NULL);
    cr_expect(strstr(r.out, "\n2024-01-01 commodity CNY\n") != NULL);
    clh_free(&r);
    free(hashes);
    free(hash2);
}

/* Party ids beancount would refuse or confuse: one starting with a dash, one that would
   come out under the same name, one starting with a digit. */
Test(audit_export, party_names_made_valid_for_beancount)
{
    char db[1024], policy[512], events[512];
    pgh_fresh_db(db, sizeof(db));
    clh_write_file(policy, sizeof(policy), "names.yaml",
                   "program: names\nversion: 1\ntitle: names\nlegal_ref: test data\n"
                   "effective_from: 2024-01-01\ncurrency: CNY\nrounding: half_up\n"
                   "parties:\n"
                   "  - {id: x-p, kind: pool, name: pool one}\n"
                   "  - {id: -p, kind: pool, name: pool two}\n"
                   "  - {id: 9p, kind: pool, name: pool three}\n"
                   "  - {id: bank, kind: bank, name: bank}\n"
                   "terms:\n  hit: first\n  rules:\n"
                   "    - {id: direct, shares: {x-p: \"50%\", bank: \"50%\"}}\n"
                   "residual: claimant\nloss_basis: {kind: principal}\n"
                   "recovery: {basis: borne}\nsettlement: {period: quarter, shortfall: fifo}\n");
    clh_write_file(events, sizeof(events), "names.csv",
                   "event_id,kind,date,loan_id,party,amount,interest,cost\n"
                   "F1,funding,2024-03-01,,x-p,100.00,,\n"
                   "F2,funding,2024-02-01,,-p,250.50,,\n"
                   "F3,funding,2024-01-15,,x-p,1,,\n"
                   "F4,funding,2024-05-01,,9p,0.01,,\n");
    run_ok(db, (const char *const[]){"policy", "load", "--quiet", policy, NULL});
    run_ok(db, (const char *const[]){"events", "import", "--quiet", "--program", "names",
                                     events, NULL});
    clh_result r = clh_run(db, (const char *const[]){"audit", "export", "--quiet", "--program",
                                                     "names", "--format", "beancount", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.out, "\n2024-01-15 open Assets:X-p:Cash CNY\n") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "\n2024-02-01 open Assets:X-p-2:Cash CNY\n") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "\n2024-05-01 open Equity:9p:Capital CNY\n") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "  Assets:X-p-2:Cash                                       250.50 CNY\n")
              != NULL, "%s", r.out);
    bean_file *b = malloc(sizeof(*b));
    cr_assert_not_null(b);
    bean_read(b, r.out);
    cr_expect_eq(b->transactions, 4);
    cr_expect_eq(b->n, 6, "two accounts per pool, none merged");
    free(b);
    clh_free(&r);
    cross_check(db, "names", NULL);
}

/* Tampering, as the database superuser with the triggers off: the export still writes
   everything, names each fault on stderr and exits 1; ledger-cli refuses the file. */
Test(audit_export, tampered_ledger_exits_1)
{
    char db[1024], path[512], cmd[1024], *out = NULL;
    subsidy_scenario(db, sizeof(db));
    PGconn *c = pgh_connect(db);
    pgh_ok(c, NULL, "SET session_replication_role = replica;"
                    " UPDATE postings SET amount = amount + 0.01 WHERE seq = 2 AND leg = 1;"
                    " DELETE FROM postings WHERE seq = 4 AND leg = 2;"
                    " DELETE FROM postings WHERE seq = 5; DELETE FROM entries WHERE seq = 5;"
                    " DELETE FROM postings WHERE seq = 7; DELETE FROM entries WHERE seq = 7");
    PQfinish(c);
    clh_result r = clh_run(db, (const char *const[]){"audit", "export", "--quiet", "--program",
                                                     "sub", "--format", "ledger", NULL});
    cr_expect_eq(r.status, 1, "%s", r.err);
    cr_expect_str_eq(r.err,
                     "riskshare: audit export: entry 2 does not balance: debits 5000.01, "
                     "credits 5000.00\n"
                     "riskshare: audit export: entry 4 has 1 of its 2 legs\n"
                     "riskshare: audit export: entry 4 does not balance: debits 5000.00, "
                     "credits 0.00\n"
                     "riskshare: audit export: entry 5 is missing\n"
                     "riskshare: audit export: entry 7 is missing (the chain's head is 7)\n"
                     "riskshare: audit export: the ledger of sub has faults (run audit "
                     "verify); the export shows it as stored\n");
    cr_expect(strstr(r.out, "* (6) settlement_payment") != NULL, "the rest is exported");
    cr_expect(strstr(r.out, "\naccount sub-pool:cash\n") != NULL, "to the end");
    if (have_tool("ledger")) {
        clh_write_file(path, sizeof(path), "tampered.ledger", r.out);
        snprintf(cmd, sizeof(cmd), "ledger -f '%s' bal", path);
        cr_expect_neq(shell(&out, cmd), 0, "ledger-cli refuses the unbalanced entry: %s", out);
        cr_expect(strstr(out, "balance") != NULL, "%s", out);
        free(out);
    }
    clh_free(&r);
}

Test(audit_export, usage_and_input_errors)
{
    static const struct {
        const char *args[10];
        int status;
        const char *err;
    } cases[] = {
        {{"audit", "export", "--format", "ledger", NULL}, 2,
         "riskshare: audit export: --program and --format ledger|beancount are required\n"},
        {{"audit", "export", "--program", "sub", NULL}, 2,
         "riskshare: audit export: --program and --format ledger|beancount are required\n"},
        {{"audit", "export", "--program", "sub", "--format", "csv", NULL}, 2,
         "riskshare: audit export: unknown format \"csv\" (expected ledger|beancount)\n"},
        {{"audit", "export", "--program", "sub", "--format", NULL}, 2,
         "riskshare: audit export: --format needs a value\n"},
        {{"audit", "export", "--program", "sub", "--format=ledger", "--as-of", "2023-02-29",
          NULL}, 2, NULL},
        {{"audit", "export", "--program", "sub", "--format", "ledger", "extra", NULL}, 2,
         "riskshare: audit export: unexpected argument \"extra\" (see --help)\n"},
        {{"audit", "export", "--program", "nope", "--format", "ledger", NULL}, 65,
         "riskshare: program nope has no policy loaded\n"},
    };
    char db[1024];
    subsidy_scenario(db, sizeof(db));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        clh_result r = clh_run(db, cases[i].args);
        cr_expect_eq(r.status, cases[i].status, "case %zu: %s", i, r.err);
        if (cases[i].err != NULL) {
            cr_expect_str_eq(r.err, cases[i].err, "case %zu", i);
        } else {
            cr_expect(strstr(r.err, "--as-of") != NULL, "case %zu: %s", i, r.err);
        }
        if (cases[i].status != 0 && cases[i].status != 65) {
            cr_expect_str_eq(r.out, "", "case %zu: nothing on stdout", i);
        }
        clh_free(&r);
    }
    clh_result r = clh_run(db, (const char *const[]){"audit", "export", "--help", NULL});
    cr_expect_eq(r.status, 0);
    cr_expect(strncmp(r.out, "usage: riskshare audit export --program P --format "
                             "ledger|beancount", 60) == 0, "%s", r.out);
    clh_free(&r);
}

/* More rows than one FETCH of either cursor (20,000): entries whose legs straddle two
   batches of postings, and a second batch of entries, still come out whole. */
Test(audit_export, more_rows_than_one_batch, .timeout = 300)
{
    char db[1024], loans[512], report[512], events[512];
    pgh_fresh_db(db, sizeof(db));
    run_ok(db, (const char *const[]){"policy", "load", "--quiet", ZZ_2025, NULL});
    run_to_file(loans, sizeof(loans), NULL, "loans.csv",
                (const char *const[]){"gen", "loans", "--count", "15000", "--seed", "12",
                                      "--policy", ZZ_2025, NULL});
    run_to_file(report, sizeof(report), db, "report.csv",
                (const char *const[]){"batch", "submit", "--quiet", "--program", "zz-kejidai",
                                      "--agency", "zzbank", loans, NULL});
    run_to_file(events, sizeof(events), NULL, "events.csv",
                (const char *const[]){"gen", "events", "--loans", loans, "--seed", "12",
                                      "--admitted", report, "--default-rate", "35%",
                                      "--repay-rate", "0", "--recovery-rate", "50%",
                                      "--funding", "50000000", "--pool", "zz-pool", NULL});
    run_ok(db, (const char *const[]){"events", "import", "--quiet", "--program", "zz-kejidai",
                                     events, NULL});
    size_t n = count_entries(db, "zz-kejidai");
    cr_assert_gt(n, 20000, "more entries than one batch: %zu", n);
    cross_check(db, "zz-kejidai", NULL);
    clh_result r = clh_run(db, (const char *const[]){"audit", "export", "--program",
                                                     "zz-kejidai", "--format", "ledger", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    char want[128];
    snprintf(want, sizeof(want), "    ; seq: %zu\n", n);
    cr_expect(strstr(r.out, want) != NULL, "the last entry is there");
    clh_free(&r);
}
