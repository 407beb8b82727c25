/*
 * audit_export.c -- `riskshare audit export` (DESIGN 7, 8; docs/auditor-guide.md):
 * a program's journal in ledger-cli or beancount syntax, so an auditor can check
 * it with tools of their own.  ledger-cli keeps amounts as GMP rationals, so its
 * `bal` over the export is an exact, independent recomputation of the balances.
 *
 * One transaction per entry, in seq order, dated by its business date; the
 * narration is the entry's kind with its loan, event, batch and settlement; tags
 * (ledger) or metadata (beancount) carry its seq, hash, policy version and rules;
 * one posting per leg, debit positive, credit negative, two decimals and the
 * program's currency.  Entries stream from the database (ledger/export_store.h)
 * and are written as they come: memory stays flat however long the journal.  The
 * accounts are therefore declared (ledger) and opened (beancount, dated at each
 * account's first use) at the end of the file; both tools accept that, and
 * beancount sorts its directives by date anyway.
 *
 * Account names.  ledger: the ledger's own `<party>:<kind>`, so balances compare
 * one to one.  beancount needs a top-level type and capitalised components:
 * `<Type>:<Party>:<Kind>`, with the type from the kind (the table `bean_kinds`
 * below), the party's first letter upper-cased, `.` and `_` written `-`, an `X`
 * before a party id that does not start with a letter or digit, and `-2`, `-3`...
 * after a party whose name would repeat another's.
 *
 * What is stored is exported as stored.  An entry whose legs do not balance, or
 * whose legs are not all there, or a missing entry, is still written (ledger-cli
 * will then refuse the file, as it should) and reported on stderr, and the command
 * exits 1: the export is complete but the ledger has a fault (`audit verify`
 * names the rest).
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "batch_store.h"    /* led_read_begin: one read-only snapshot */
#include "cli.h"
#include "export_store.h"
#include "ledger.h"
#include "programs.h"
#include "tally.h"

static const char usage[] =
    "usage: riskshare audit export --program P --format ledger|beancount [--as-of DATE]\n"
    "options: --db CONNINFO  --quiet\n"
    "Writes the program's journal to stdout in ledger-cli or beancount syntax: one\n"
    "transaction per entry in seq order, dated by its business date, with its seq and\n"
    "hash; one posting per leg, debit positive, credit negative, exact to the fen.\n"
    "--as-of keeps only the entries dated on or before DATE.  Exits 1 (after writing\n"
    "everything) when an entry does not balance or misses legs, or an entry is missing.\n";

/* Policy versions one program may hold for this command. */
#define EXPORT_VERSIONS_MAX 256
/* Distinct accounts and parties of one export: far beyond 64 parties x 9 kinds. */
#define EXPORT_ACCOUNTS_MAX 65536
/* Bytes of one account's name: a 64-byte party, a kind, a type, separators, a suffix. */
#define EXPORT_NAME_MAX 192
/* Bytes of one transaction's text: header, four tag lines, eight legs. */
#define EXPORT_TX_MAX 4096
/* Faults printed on stderr before "and N more". */
#define EXPORT_FAULTS_SHOWN 10
/* Column where amounts end, for readability (at least two spaces always precede them). */
#define EXPORT_AMOUNT_COLUMN 64
/* Entries between two progress lines on a terminal. */
#define EXPORT_PROGRESS_EVERY 100000

#if EXPORT_NAME_MAX < ENG_ID_MAX * 2 + 40
#error "EXPORT_NAME_MAX must hold a party and a kind with their type and suffix"
#endif
#if EXPORT_TX_MAX < 1024 + LED_LEGS_MAX * (EXPORT_NAME_MAX + ENG_FEN_TEXT + 16)
#error "EXPORT_TX_MAX must hold the longest transaction"
#endif

typedef enum { FMT_LEDGER, FMT_BEANCOUNT } export_format;

/* One account of the export, by its ledger name. */
typedef struct {
    char name[EXPORT_NAME_MAX];   /* ledger: <party>:<kind> */
    char bean[EXPORT_NAME_MAX];   /* beancount: <Type>:<Party>:<Kind> */
    eng_date first;               /* earliest business date of its postings */
} export_account;

typedef struct {
    cli_common common;
    const char *program, *format_name, *as_of_text;
    export_format format;
    int has_as_of;
    eng_date as_of;
    char currency[8];
    eng_tally *account_index;     /* ledger name -> 1 + index into accounts */
    export_account *accounts;
    size_t n_accounts, cap_accounts;
    eng_tally *party_index;       /* party id -> 1 + index into party_names */
    char (*party_names)[EXPORT_NAME_MAX];
    size_t n_parties;
    long entries, postings, last_seq, faults;
    int progress;
} export_run;

/* The beancount type and component of each account kind of the ledger (DESIGN 7). */
static const struct {
    const char *kind, *type, *component;
} bean_kinds[] = {
    {"cash", "Assets", "Cash"},
    {"receivable", "Assets", "Receivable"},
    {"payable", "Liabilities", "Payable"},
    {"capital", "Equity", "Capital"},
    {"external", "Equity", "External"},
    {"fee_income", "Income", "Fee-income"},
    {"recovery", "Income", "Recovery"},
    {"loss", "Expenses", "Loss"},
    {"subsidy_expense", "Expenses", "Subsidy-expense"},
};

/* ---- arguments ------------------------------------------------------------------------ */

/* Takes --format out of argv before the common options (whose --format is table|csv|json). */
static int take_format(export_run *run, int *argc, char **argv)
{
    int kept = 0;
    for (int i = 0; i < *argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--format") == 0 || strncmp(a, "--format=", 9) == 0) {
            if (a[8] == '\0' && i + 1 >= *argc) {
                cli_errorf("audit export: --format needs a value");
                return -1;
            }
            run->format_name = a[8] == '=' ? a + 9 : argv[++i];
            continue;
        }
        argv[kept++] = argv[i];
    }
    *argc = kept;
    return 0;
}

/* Parses argv: 1 to run, 0 after --help, -1 after a usage error. */
static int parse_args(export_run *run, int argc, char **argv)
{
    int n = 0, code;
    eng_error err;

    if (take_format(run, &argc, argv) < 0) {
        return -1;
    }
    if ((code = cli_begin(&run->common, &n, argc, argv, usage)) >= 0) {
        return code == CLI_EXIT_OK ? 0 : -1;
    }
    for (int i = 0; i < n; i++) {
        const char **slot = strcmp(argv[i], "--program") == 0 ? &run->program
                            : strcmp(argv[i], "--as-of") == 0 ? &run->as_of_text
                                                              : NULL;
        if (slot == NULL || i + 1 >= n) {
            cli_errorf(slot == NULL ? "audit export: unexpected argument \"%s\" (see --help)"
                                    : "audit export: %s needs a value", argv[i]);
            return -1;
        }
        *slot = argv[++i];
    }
    if (run->program == NULL || run->format_name == NULL) {
        cli_errorf("audit export: --program and --format ledger|beancount are required");
        return -1;
    }
    if (strcmp(run->format_name, "ledger") != 0 && strcmp(run->format_name, "beancount") != 0) {
        cli_errorf("audit export: unknown format \"%s\" (expected ledger|beancount)",
                   run->format_name);
        return -1;
    }
    run->format = run->format_name[0] == 'l' ? FMT_LEDGER : FMT_BEANCOUNT;
    run->has_as_of = run->as_of_text != NULL;
    if (run->has_as_of && eng_date_parse(&run->as_of, run->as_of_text,
                                         strlen(run->as_of_text), &err) != ENG_OK) {
        cli_errorf("audit export: --as-of: %s", err.message);
        return -1;
    }
    return 1;
}

/* ---- text ----------------------------------------------------------------------------- */

/* A bounded text buffer; appends past the end are dropped (the bounds make that impossible). */
typedef struct {
    char *p;
    size_t len, size;
} tbuf;

static void put(tbuf *b, const char *s, size_t n)
{
    assert(b->p != NULL && b->len < b->size);
    assert(b->len + n < b->size); /* EXPORT_TX_MAX and EXPORT_NAME_MAX hold the longest */
    if (b->len + n < b->size) {
        memcpy(b->p + b->len, s, n);
        b->len += n;
    }
}

static void puts_(tbuf *b, const char *s)
{
    put(b, s, strlen(s));
}

static void put_long(tbuf *b, long v)
{
    char t[24];
    size_t n = 0;
    unsigned long m = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
    do {
        t[sizeof(t) - 1 - n++] = (char)('0' + m % 10);
        m /= 10;
    } while (m > 0);
    if (v < 0) {
        t[sizeof(t) - 1 - n++] = '-';
    }
    put(b, t + sizeof(t) - n, n);
}

/* Appends a text read from the ledger, with anything that would break a line or a
   quoted string (control characters, `"`, `\`) written `?`. */
static void put_safe(tbuf *b, const char *s)
{
    for (; *s != '\0'; s++) {
        char c = (unsigned char)*s < 0x20 || *s == '"' || *s == '\\' || *s == 0x7f ? '?' : *s;
        put(b, &c, 1);
    }
}

/* ---- accounts ------------------------------------------------------------------------- */

/* Writes `id` as a beancount name component: capital or digit first, then letters,
   digits and dashes. */
static void bean_component(char *out, size_t size, const char *id)
{
    size_t n = 0;
    char c = id[0];
    if (c >= 'a' && c <= 'z') {
        out[n++] = (char)(c - 'a' + 'A');
        id++;
    } else if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
        out[n++] = 'X';
    }
    for (; *id != '\0' && n + 1 < size; id++) {
        c = *id;
        int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        out[n++] = keep ? c : '-';
    }
    out[n] = '\0';
}

/* The beancount component of `party`, unique among the parties of the export. */
static const char *bean_party(export_run *run, const char *party)
{
    int64_t a = 0, b = 0;
    if (eng_tally_get(run->party_index, party, strlen(party), &a, &b)) {
        return run->party_names[a - 1];
    }
    assert(run->n_parties < run->cap_accounts); /* parties <= accounts <= capacity */
    char *name = run->party_names[run->n_parties];
    bean_component(name, EXPORT_NAME_MAX - 24, party);
    size_t base = strlen(name);
    for (long k = 2;; k++) {
        size_t i = 0;
        while (i < run->n_parties && strcmp(run->party_names[i], name) != 0) {
            i++;
        }
        if (i == run->n_parties) {
            break;
        }
        tbuf t = {name, base, EXPORT_NAME_MAX};
        put(&t, "-", 1);
        put_long(&t, k);
        name[t.len] = '\0';
    }
    run->n_parties++;
    if (eng_tally_add(run->party_index, party, strlen(party), (int64_t)run->n_parties, 0) !=
        ENG_OK) {
        return NULL;
    }
    return name;
}

/* Fills the names of a new account of `party` and `kind`; -1 when out of memory. */
static int account_names(export_run *run, export_account *acc, const char *party,
                         const char *kind)
{
    tbuf t = {acc->name, 0, sizeof(acc->name)};
    const char *type = "Equity", *component = NULL;
    char other[EXPORT_NAME_MAX];

    for (const char *s = party; *s != '\0'; s++) {
        int keep = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                   (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-';
        put(&t, keep ? s : "_", 1);
    }
    put(&t, ":", 1);
    puts_(&t, kind);
    acc->name[t.len] = '\0';
    for (size_t k = 0; k < sizeof(bean_kinds) / sizeof(bean_kinds[0]); k++) {
        if (strcmp(kind, bean_kinds[k].kind) == 0) {
            type = bean_kinds[k].type;
            component = bean_kinds[k].component;
        }
    }
    if (component == NULL) {
        /* A kind the schema does not know (only a tampered row has one). */
        bean_component(other, sizeof(other) - 8, kind);
        component = other;
    }
    const char *bp = bean_party(run, party);
    if (bp == NULL) {
        return -1;
    }
    t = (tbuf){acc->bean, 0, sizeof(acc->bean)};
    puts_(&t, type);
    put(&t, ":", 1);
    puts_(&t, bp);
    put(&t, ":", 1);
    puts_(&t, component);
    acc->bean[t.len] = '\0';
    return 0;
}

/* The account of `leg`, created on first use; its first date moved back to `date`. */
static export_account *account_of(export_run *run, const led_leg *leg, eng_date date,
                                  eng_error *err)
{
    char key[EXPORT_NAME_MAX];
    tbuf t = {key, 0, sizeof(key)};
    int64_t a = 0, b = 0;

    puts_(&t, leg->party);
    put(&t, ":", 1);
    puts_(&t, leg->kind);
    if (eng_tally_get(run->account_index, key, t.len, &a, &b)) {
        export_account *acc = &run->accounts[a - 1];
        acc->first = date < acc->first ? date : acc->first;
        return acc;
    }
    if (run->n_accounts == EXPORT_ACCOUNTS_MAX) {
        eng_error_set(err, ENG_ELIMIT, "more than %d accounts in one export",
                      EXPORT_ACCOUNTS_MAX);
        return NULL;
    }
    if (run->n_accounts == run->cap_accounts) {
        size_t cap = run->cap_accounts * 2;
        export_account *grown = realloc(run->accounts, cap * sizeof(*grown));
        char(*names)[EXPORT_NAME_MAX] = realloc(run->party_names, cap * sizeof(*names));
        run->accounts = grown != NULL ? grown : run->accounts;
        run->party_names = names != NULL ? names : run->party_names;
        if (grown == NULL || names == NULL) {
            eng_error_set(err, ENG_ERROR, "out of memory");
            return NULL;
        }
        run->cap_accounts = cap;
    }
    assert(run->n_accounts < run->cap_accounts);
    export_account *acc = &run->accounts[run->n_accounts];
    acc->first = date;
    if (account_names(run, acc, leg->party, leg->kind) < 0 ||
        eng_tally_add(run->account_index, key, t.len, (int64_t)run->n_accounts + 1, 0) !=
            ENG_OK) {
        eng_error_set(err, ENG_ERROR, "out of memory");
        return NULL;
    }
    run->n_accounts++;
    return acc;
}

/* ---- faults --------------------------------------------------------------------------- */

/* Counts a fault; 1 when it is among the first EXPORT_FAULTS_SHOWN, to be printed. */
static int fault(export_run *run)
{
    return run->faults++ < EXPORT_FAULTS_SHOWN;
}

/* Names the entries first..last that are not in the journal. */
static void missing(long first, long last, const char *why)
{
    if (first == last) {
        cli_errorf("audit export: entry %ld is missing%s", first, why);
    } else {
        cli_errorf("audit export: entries %ld to %ld are missing%s", first, last, why);
    }
}

/* 1 when every party's legs of `e` sum to zero (debits positive). */
static int balances_per_party(const led_entry *e)
{
    for (size_t i = 0; i < e->n_legs; i++) {
        eng_fen sum = 0;
        for (size_t j = 0; j < e->n_legs; j++) {
            if (strcmp(e->legs[i].party, e->legs[j].party) == 0) {
                sum += e->legs[j].debit ? e->legs[j].amount : -e->legs[j].amount;
            }
        }
        if (sum != 0) {
            return 0;
        }
    }
    return 1;
}

/* Checks what the export can see of an entry: all its legs there, balanced per party,
   no entry missing before it.  Faults are reported, the entry is written anyway. */
static void check_entry(export_run *run, const led_export_entry *x)
{
    const led_entry *e = &x->entry;
    char d[ENG_FEN_TEXT], c[ENG_FEN_TEXT];
    eng_fen debits = 0, credits = 0;

    if (!run->has_as_of && x->seq != run->last_seq + 1 && fault(run)) {
        missing(run->last_seq + 1, x->seq - 1, "");
    }
    run->last_seq = x->seq;
    if ((long)e->n_legs != x->legs_declared && fault(run)) {
        cli_errorf("audit export: entry %ld has %zu of its %ld legs", x->seq, e->n_legs,
                   x->legs_declared);
    }
    for (size_t i = 0; i < e->n_legs; i++) {
        *(e->legs[i].debit ? &debits : &credits) += e->legs[i].amount;
    }
    if (debits != credits) {
        if (fault(run)) {
            eng_fen_format(d, sizeof(d), debits);
            eng_fen_format(c, sizeof(c), credits);
            cli_errorf("audit export: entry %ld does not balance: debits %s, credits %s",
                       x->seq, d, c);
        }
    } else if (!balances_per_party(e) && fault(run)) {
        cli_errorf("audit export: entry %ld does not balance for each party", x->seq);
    }
}

/* ---- transactions --------------------------------------------------------------------- */

/* The narration: the kind, then the loan, event, batch, settlement and reversed entry. */
static void put_narration(tbuf *b, const led_entry *e)
{
    put_safe(b, e->kind);
    if (e->loan_id != NULL) {
        puts_(b, " loan ");
        put_safe(b, e->loan_id);
    }
    if (e->event_id != NULL) {
        puts_(b, " event ");
        put_safe(b, e->event_id);
    }
    static const char *const labels[] = {" batch ", " settlement ", " reverses "};
    const long ids[] = {e->batch_id, e->settlement_id, e->reverses_seq};
    for (size_t i = 0; i < 3; i++) {
        if (ids[i] != 0) {
            puts_(b, labels[i]);
            put_long(b, ids[i]);
        }
    }
}

/* The first line and the tags (ledger) or metadata (beancount) of a transaction. */
static void put_head(tbuf *b, const export_run *run, const led_export_entry *x)
{
    const led_entry *e = &x->entry;
    int bean = run->format == FMT_BEANCOUNT;
    const char *tag = bean ? "  " : "    ; ", *q = bean ? "\"" : "";
    char date[11];

    eng_date_format(date, e->business_date);
    put(b, date, 10);
    puts_(b, bean ? " * \"" : " * (");
    if (!bean) {
        put_long(b, x->seq);
        puts_(b, ") ");
    }
    put_narration(b, e);
    puts_(b, bean ? "\"\n" : "\n");
    puts_(b, tag);
    puts_(b, "seq: ");
    put_long(b, x->seq);
    puts_(b, "\n");
    puts_(b, tag);
    puts_(b, "hash: ");
    puts_(b, q);
    put_safe(b, x->hash);
    puts_(b, q);
    puts_(b, "\n");
    if (e->policy_version != 0) {
        puts_(b, tag);
        puts_(b, "version: ");
        put_long(b, e->policy_version);
        puts_(b, "\n");
    }
    for (size_t i = 0; i < e->n_rule_ids; i++) {
        puts_(b, i == 0 ? tag : ",");
        puts_(b, i == 0 ? "rules: " : "");
        puts_(b, i == 0 ? q : "");
        put_safe(b, e->rule_ids[i]);
        puts_(b, i + 1 == e->n_rule_ids ? q : "");
        puts_(b, i + 1 == e->n_rule_ids ? "\n" : "");
    }
}

/* One posting: the account, at least two spaces, the signed amount and the currency. */
static void put_posting(tbuf *b, const export_run *run, const char *account, eng_fen amount)
{
    char text[ENG_FEN_TEXT];
    const char *indent = run->format == FMT_BEANCOUNT ? "  " : "    ";
    size_t used, width;

    eng_fen_format(text, sizeof(text), amount);
    puts_(b, indent);
    puts_(b, account);
    used = strlen(indent) + strlen(account);
    width = strlen(text);
    for (size_t pad = 0; pad < 2 || used + pad + width < EXPORT_AMOUNT_COLUMN; pad++) {
        put(b, " ", 1);
    }
    put(b, text, width);
    put(b, " ", 1);
    puts_(b, run->currency);
    put(b, "\n", 1);
}

static eng_status on_entry(void *ctx, const led_export_entry *x, eng_error *err)
{
    export_run *run = ctx;
    const led_entry *e = &x->entry;
    char text[EXPORT_TX_MAX];
    tbuf b = {text, 0, sizeof(text)};

    assert(run != NULL && x != NULL && e->kind != NULL);
    assert(e->n_legs <= LED_LEGS_MAX);
    check_entry(run, x);
    put_head(&b, run, x);
    for (size_t i = 0; i < e->n_legs; i++) {
        const led_leg *leg = &e->legs[i];
        export_account *acc = account_of(run, leg, e->business_date, err);
        if (acc == NULL) {
            return err->code;
        }
        put_posting(&b, run, run->format == FMT_BEANCOUNT ? acc->bean : acc->name,
                    leg->debit ? leg->amount : -leg->amount);
    }
    put(&b, "\n", 1);
    if (fwrite(text, 1, b.len, stdout) != b.len) {
        return eng_error_set(err, ENG_ERROR, "cannot write the export to stdout");
    }
    run->entries++;
    run->postings += (long)e->n_legs;
    if (run->progress && run->entries % EXPORT_PROGRESS_EVERY == 0) {
        fprintf(stderr, "\rriskshare: audit export: %ld entries", run->entries);
    }
    return ENG_OK;
}

/* ---- header and trailer --------------------------------------------------------------- */

static void write_header(const export_run *run)
{
    int bean = run->format == FMT_BEANCOUNT;
    const char *c = ";";

    printf("%s riskshare audit export: program %s, %s format%s%s\n", c, run->program,
           bean ? "beancount" : "ledger-cli", run->has_as_of ? ", as of " : "",
           run->has_as_of ? run->as_of_text : "");
    printf("%s One transaction per journal entry, in seq order, dated by its business date;\n"
           "%s `seq` is its number in the program's chain, `hash` its SHA-256 there.\n"
           "%s Debits are positive, credits negative, in %s.\n"
           "%s Accounts are %s;\n"
           "%s they are %s at the end, as the journal is written while it is read.\n\n",
           c, c, c, run->currency, c,
           bean ? "<Type>:<Party>:<Kind> (docs/auditor-guide.md)" : "the ledger's <party>:<kind>",
           c, bean ? "opened (at their first use)" : "declared");
    if (bean) {
        printf("option \"title\" \"riskshare %s\"\noption \"operating_currency\" \"%s\"\n\n",
               run->program, run->currency);
    } else {
        printf("commodity %s\ntag seq\ntag hash\ntag version\ntag rules\n\n", run->currency);
    }
}

static int account_cmp(const void *a, const void *b)
{
    return strcmp(((const export_account *)a)->name, ((const export_account *)b)->name);
}

static void write_trailer(export_run *run)
{
    int bean = run->format == FMT_BEANCOUNT;
    char date[11];
    eng_date first = 0;

    /* Sorting breaks account_index (positions): nothing looks an account up after this. */
    qsort(run->accounts, run->n_accounts, sizeof(*run->accounts), account_cmp);
    printf("; %zu accounts%s\n", run->n_accounts,
           bean ? ", each opened on the earliest business date of its postings" : "");
    for (size_t i = 0; i < run->n_accounts; i++) {
        first = i == 0 || run->accounts[i].first < first ? run->accounts[i].first : first;
    }
    if (bean && run->n_accounts > 0) {
        eng_date_format(date, first);
        printf("%s commodity %s\n", date, run->currency);
    }
    for (size_t i = 0; i < run->n_accounts; i++) {
        const export_account *acc = &run->accounts[i];
        assert(i == 0 || strcmp(run->accounts[i - 1].name, acc->name) <= 0);
        if (bean) {
            eng_date_format(date, acc->first);
            printf("%s open %s %s\n", date, acc->bean, run->currency);
        } else {
            printf("account %s\n", acc->name);
        }
    }
}

/* ---- the run -------------------------------------------------------------------------- */

/* The program's currency: every stored version must name the same one. */
static eng_status load_currency(export_run *run, led_db *db, eng_error *err)
{
    eng_policy *versions[EXPORT_VERSIONS_MAX];
    size_t n = 0;
    eng_status rc = cli_program_policies(versions, &n, EXPORT_VERSIONS_MAX, db, run->program,
                                         err);
    for (size_t i = 0; rc == ENG_OK && i < n; i++) {
        const char *cur = versions[i]->currency;
        if (i > 0 && strcmp(cur, run->currency) != 0) {
            rc = eng_error_set(err, ENG_EINVALID,
                               "program %s has versions in %s and in %s: an export carries "
                               "one currency", run->program, run->currency, cur);
        } else if (strlen(cur) >= sizeof(run->currency)) {
            rc = eng_error_set(err, ENG_EINVALID, "unexpected currency \"%.16s\"", cur);
        } else {
            memcpy(run->currency, cur, strlen(cur) + 1);
        }
    }
    for (size_t i = 0; i < n; i++) {
        eng_policy_free(versions[i]);
    }
    return rc;
}

/* Entries after the last one exported that the program's head counts (a deleted tail). */
static eng_status check_tail(export_run *run, led_db *db, eng_error *err)
{
    const char *params[1] = {run->program};
    char *text = NULL;
    long head = 0;
    eng_status rc = led_query_value(&text, db, "SELECT last_seq FROM programs WHERE program = $1",
                                    1, params, err);
    for (const char *p = text; rc == ENG_OK && p != NULL && *p >= '0' && *p <= '9'; p++) {
        head = head < 100000000000L ? head * 10 + (*p - '0') : head;
    }
    if (rc == ENG_OK && text != NULL) {
        if (!run->has_as_of && head > run->last_seq && fault(run)) {
            char why[64];
            snprintf(why, sizeof(why), " (the chain's head is %ld)", head);
            missing(run->last_seq + 1, head, why);
        }
    }
    free(text);
    return rc;
}

static eng_status export_all(export_run *run, led_db *db, eng_error *err)
{
    eng_status rc = led_read_begin(db, err);
    if (rc == ENG_OK) {
        rc = load_currency(run, db, err);
    }
    if (rc == ENG_OK) {
        write_header(run);
        rc = led_export_entries(db, run->program, run->has_as_of ? &run->as_of : NULL,
                                on_entry, run, err);
    }
    if (rc == ENG_OK) {
        rc = check_tail(run, db, err);
    }
    if (rc == ENG_OK) {
        write_trailer(run);
    }
    led_read_end(db);
    return rc;
}

static int run_init(export_run *run)
{
    run->cap_accounts = 64;
    run->accounts = malloc(run->cap_accounts * sizeof(*run->accounts));
    run->party_names = malloc(run->cap_accounts * sizeof(*run->party_names));
    run->account_index = eng_tally_new();
    run->party_index = eng_tally_new();
    run->progress = !run->common.quiet && isatty(STDERR_FILENO);
    return run->accounts && run->party_names && run->account_index && run->party_index ? 0 : -1;
}

static void run_free(export_run *run)
{
    free(run->accounts);
    free(run->party_names);
    eng_tally_free(run->account_index);
    eng_tally_free(run->party_index);
}

/* Flushes stdout and prints the summary; the exit code of the whole run. */
static int finish(export_run *run)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_errorf("audit export: cannot write the export to stdout");
        return CLI_EXIT_SOFTWARE;
    }
    if (run->progress) {
        fputc('\r', stderr);
    }
    if (!run->common.quiet) {
        fprintf(stderr, "riskshare: audit export: %s: %ld entries, %ld postings, %zu accounts\n",
                run->program, run->entries, run->postings, run->n_accounts);
    }
    if (run->faults > EXPORT_FAULTS_SHOWN) {
        cli_errorf("audit export: and %ld more faults", run->faults - EXPORT_FAULTS_SHOWN);
    }
    if (run->faults > 0) {
        cli_errorf("audit export: the ledger of %s has faults (run audit verify); the export "
                   "shows it as stored", run->program);
        return CLI_EXIT_FAULT;
    }
    return CLI_EXIT_OK;
}

int cli_audit_export(int argc, char **argv)
{
    static char outbuf[1 << 20];
    export_run run;
    char *conninfo = NULL;
    led_db *db = NULL;
    eng_error err;
    int code;

    memset(&run, 0, sizeof(run));
    code = parse_args(&run, argc, argv);
    if (code <= 0) {
        return code == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
    eng_error_clear(&err);
    eng_status rc = run_init(&run) == 0 ? ENG_OK : eng_error_set(&err, ENG_ERROR, "out of memory");
    if (rc == ENG_OK) {
        rc = led_conninfo_resolve(&conninfo, run.common.db, &err);
    }
    if (rc == ENG_OK) {
        rc = led_connect(&db, conninfo, &err);
    }
    if (rc == ENG_OK) {
        rc = export_all(&run, db, &err);
    }
    led_close(db);
    free(conninfo);
    if (rc != ENG_OK) {
        fflush(stdout);
        cli_print_error(&err);
        code = cli_exit_for(rc);
    } else {
        code = finish(&run);
    }
    run_free(&run);
    return code;
}
