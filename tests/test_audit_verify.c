/*
 * test_audit_verify.c -- goal: `audit verify` (DESIGN 7, 8) accepts an honest ledger
 * and names the first fault of a tampered one.  The ledger is built as users build
 * it (policy load, batch submit, events import, settle --commit) for two programs:
 * Henan's 科技贷 example (defaults, pool claims, a settlement that pays them to the
 * bank) and the subsidy test program (fee and interest subsidies to borrowers, a
 * fifo settlement that pays one in part and one not at all, then a second funding
 * and settlement that pays more of the first).  Each tamper case runs
 * as the database superuser with `SET session_replication_role = replica`, which
 * disables the append-only triggers, as DESIGN 7 says a superuser can: verify must
 * exit 1 with one line naming the program, the entry or claim, the check, and what
 * was expected against what was found.  The pure checks of engine/verify.h are
 * tested in memory at the end.
 *
 * The Henan ledger, entry by entry (seq: kind, legs):
 *   1 funding F1            hn-pool cash Dr / capital Cr 1,000,000
 *   2 default D0 (H3)       zybank loss Dr / external Cr 500,000
 *   3 compensation_claim    hn-pool 300,000 -> claim 1
 *   4 default D1 (H1)       zybank loss Dr / external Cr 2,500,000
 *   5 compensation_claim    hn-pool 500,000 -> claim 2
 *   6 recovery RC1          hn-pool cash Dr 40,000, zybank cash Dr 160,000 (4 legs)
 *   7 settlement_payment    claim 1, 300,000 (settlement 1)
 *   8 settlement_payment    claim 2, 500,000 (settlement 1)
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_harness.h"
#include "date.h"
#include "journal.h"
#include "pg_harness.h"
#include "verify.h"

#define DIR "tests/data/lifecycle/"
#define HN "henan-kejidai"
#define HN_LINE "riskshare: " HN ": "

static void run_ok(const char *db, const char *const *args)
{
    clh_result r = clh_run(db, args);
    cr_assert_eq(r.status, 0, "%s %s: %s", args[0], args[1], r.err);
    clh_free(&r);
}

/* One program: its policy, its loans, its events, a committed settlement. */
static void build_program(const char *db, const char *policy, const char *program,
                          const char *loans, const char *events, const char *through)
{
    run_ok(db, (const char *const[]){"policy", "load", "--quiet", policy, NULL});
    run_ok(db, (const char *const[]){"batch", "submit", "--quiet", "--program", program,
                                     "--agency", "ag1", loans, NULL});
    run_ok(db, (const char *const[]){"events", "import", "--quiet", "--program", program,
                                     events, NULL});
    run_ok(db, (const char *const[]){"settle", "--quiet", "--program", program, "--through",
                                     through, "--commit", NULL});
}

/* A fresh database holding the Henan ledger above and the subsidy program's. */
static void scenario(char *db, size_t n)
{
    pgh_fresh_db(db, n);
    build_program(db, "policies/henan-kejidai-2025.yaml", HN, DIR "henan-loans.csv",
                  DIR "henan-events.csv", "2026-06-30");
    build_program(db, DIR "subsidy.yaml", "sub", DIR "subsidy-loans.csv",
                  DIR "subsidy-events.csv", "2024-12-31");
    /* A second funding and settlement: claim 2 is paid in two settlements, claim 3 in none. */
    char path[512];
    clh_write_file(path, sizeof(path), "funding.csv",
                   "event_id,kind,date,loan_id,party,amount,interest,cost\n"
                   "UF2,funding,2025-01-15,,sub-pool,2500,,\n");
    run_ok(db, (const char *const[]){"events", "import", "--quiet", "--program", "sub", path,
                                     NULL});
    run_ok(db, (const char *const[]){"settle", "--quiet", "--program", "sub", "--through",
                                     "2025-03-31", "--commit", NULL});
}

static clh_result verify(const char *db, const char *program)
{
    if (program != NULL) {
        return clh_run(db, (const char *const[]){"audit", "verify", "--program", program, NULL});
    }
    return clh_run(db, (const char *const[]){"audit", "verify", NULL});
}

/* Runs `sql` as the superuser with the ledger's triggers disabled. */
static void tamper(const char *db, const char *sql)
{
    char all[2048];
    PGconn *c = pgh_connect(db);

    snprintf(all, sizeof(all), "SET LOCAL session_replication_role = replica; %s", sql);
    pgh_ok(c, NULL, all);
    PQfinish(c);
}

/* The value of `sql` (first column of the first row); the caller frees it. */
static char *value(const char *db, const char *sql)
{
    PGconn *c = pgh_connect(db);
    char *v = pgh_value(c, NULL, sql);

    PQfinish(c);
    return v;
}

static char *stored_hash(const char *db, const char *program, long seq)
{
    char sql[256];

    snprintf(sql, sizeof(sql), "SELECT hash FROM entries WHERE program = '%s' AND seq = %ld",
             program, seq);
    return value(db, sql);
}

/* Verify exits 1 with exactly `line` on stderr and nothing on stdout. */
static void expect_fault(const char *db, const char *line)
{
    clh_result r = verify(db, NULL);
    cr_expect_eq(r.status, 1, "exit %d: %s", r.status, r.err);
    cr_expect_str_eq(r.err, line);
    cr_expect_str_eq(r.out, "");
    clh_free(&r);
}

/* Verify exits 1 with `entry SEQ: hash mismatch: expected <64 hex>, found <found>`. */
static void expect_hash_mismatch(const char *db, long seq, const char *found)
{
    char prefix[128], suffix[128];
    clh_result r = verify(db, NULL);

    snprintf(prefix, sizeof(prefix), HN_LINE "entry %ld: hash mismatch: expected ", seq);
    snprintf(suffix, sizeof(suffix), ", found %s\n", found);
    cr_expect_eq(r.status, 1, "exit %d: %s", r.status, r.err);
    cr_assert_eq(strlen(r.err), strlen(prefix) + 64 + strlen(suffix), "%s", r.err);
    cr_expect_eq(strncmp(r.err, prefix, strlen(prefix)), 0, "%s", r.err);
    cr_expect_str_eq(r.err + strlen(prefix) + 64, suffix);
    cr_expect_eq(strspn(r.err + strlen(prefix), "0123456789abcdef"), 64, "%s", r.err);
    cr_expect_neq(strncmp(r.err + strlen(prefix), found, 64), 0, "the recomputed hash differs");
    clh_free(&r);
}

/* ---- The honest ledger ------------------------------------------------------------------ */

Test(audit_verify, honest_ledger_verifies_with_a_summary_per_program)
{
    char db[512];
    char want[1024];

    scenario(db, sizeof(db));
    char *hn = value(db, "SELECT last_hash FROM programs WHERE program = '" HN "'");
    char *sub = value(db, "SELECT last_hash FROM programs WHERE program = 'sub'");
    clh_result r = verify(db, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    snprintf(want, sizeof(want),
             HN_LINE "verified 8 entries, 26 postings, 2 claims, 2 settlement payments,"
             " 2 defaults; head 8 %s\n"
             "riskshare: sub: verified 9 entries, 18 postings, 3 claims, 5 settlement payments,"
             " 0 defaults; head 9 %s\n", hn, sub);
    cr_expect_str_eq(r.err, want);
    cr_expect_str_eq(r.out, "");
    clh_free(&r);
    free(hn);
    free(sub);
}

Test(audit_verify, quiet_and_one_program)
{
    char db[512];

    scenario(db, sizeof(db));
    clh_result r = clh_run(db, (const char *const[]){"audit", "verify", "--quiet", NULL});
    cr_expect_eq(r.status, 0, "%s", r.err);
    cr_expect_str_eq(r.err, "");
    clh_free(&r);
    r = verify(db, "sub");
    cr_expect_eq(r.status, 0, "%s", r.err);
    cr_expect_eq(strncmp(r.err, "riskshare: sub: verified 9 entries", 34), 0, "%s", r.err);
    cr_expect_eq(strchr(r.err, '\n'), r.err + strlen(r.err) - 1, "one line: %s", r.err);
    clh_free(&r);
    /* A fault in one program does not concern the other. */
    tamper(db, "UPDATE postings SET amount = 1000001 WHERE program = '" HN "' AND seq = 1");
    r = verify(db, "sub");
    cr_expect_eq(r.status, 0, "%s", r.err);
    clh_free(&r);
}

Test(audit_verify, unknown_program_and_unavailable_database)
{
    char db[512];

    pgh_fresh_db(db, sizeof(db));
    clh_result r = verify(db, "zz-none");
    cr_expect_eq(r.status, 65, "%s", r.err);
    cr_expect_str_eq(r.err, "riskshare: audit verify: program zz-none is not recorded\n");
    clh_free(&r);
    r = clh_run(db, (const char *const[]){"audit", "verify", NULL});
    cr_expect_eq(r.status, 0, "%s", r.err);
    cr_expect_str_eq(r.err, "riskshare: no programs recorded: nothing to verify\n");
    clh_free(&r);
    r = clh_run("host=/nonexistent-riskshare-socket-dir dbname=x",
                (const char *const[]){"audit", "verify", NULL});
    cr_expect_eq(r.status, 69, "%s", r.err);
    cr_expect_eq(strncmp(r.err, "riskshare: database unavailable: ", 33), 0, "%s", r.err);
    clh_free(&r);
    r = clh_run(db, (const char *const[]){"audit", "verify", "--bogus", NULL});
    cr_expect_eq(r.status, 2, "%s", r.err);
    clh_free(&r);
}

/*
 * Rows rewritten in place with the same content (a superuser's no-op UPDATE) move in
 * their table: the ledger is unaltered, only its physical order is no longer seq
 * order (as happens on its own when a later write fills space an earlier one left).
 * Verify reads in key order, so the ledger still verifies.
 */
Test(audit_verify, rows_moved_but_unaltered_still_verify)
{
    char db[512];

    scenario(db, sizeof(db));
    tamper(db, "UPDATE entries SET kind = kind WHERE program = '" HN "' AND seq IN (2, 5);"
               " UPDATE postings SET amount = amount WHERE program = '" HN "' AND seq = 3"
               " AND leg = 1");
    char *order = value(db, "SELECT string_agg(seq::text, ',' ORDER BY ctid) FROM entries"
                            " WHERE program = '" HN "'");
    cr_expect_str_neq(order, "1,2,3,4,5,6,7,8", "the rows moved");
    free(order);
    clh_result r = verify(db, HN);
    cr_expect_eq(r.status, 0, "%s", r.err);
    cr_expect_eq(strncmp(r.err, HN_LINE "verified 8 entries, 26 postings,", 51), 0, "%s",
                 r.err);
    clh_free(&r);
}

/* ---- Tampering, one case per test ---------------------------------------------------------- */

/* Both legs of the recovery's zybank share: it still balances, but it is not what was hashed. */
Test(audit_verify, posting_amount_changed_on_both_legs)
{
    char db[512];

    scenario(db, sizeof(db));
    char *hash = stored_hash(db, HN, 6);
    tamper(db, "UPDATE postings SET amount = 150000 WHERE program = '" HN "' AND seq = 6"
               " AND leg IN (3, 4)");
    expect_hash_mismatch(db, 6, hash);
    free(hash);
}

Test(audit_verify, one_leg_changed_unbalances_its_entry)
{
    char db[512];

    scenario(db, sizeof(db));
    tamper(db, "UPDATE postings SET amount = 150000 WHERE program = '" HN "' AND seq = 6"
               " AND leg = 3");
    expect_fault(db, HN_LINE "entry 6: unbalanced: expected debits = credits,"
                     " found debits 190000.00, credits 200000.00\n");
}

/* A leg moved to another party: the entry balances in all, not for each party. */
Test(audit_verify, leg_moved_to_another_party)
{
    char db[512];

    scenario(db, sizeof(db));
    tamper(db, "UPDATE postings SET party = 'hn-pool' WHERE program = '" HN "' AND seq = 6"
               " AND leg = 3");
    expect_fault(db, HN_LINE "entry 6: unbalanced for party hn-pool: expected debits = credits,"
                     " found debits 200000.00, credits 40000.00\n");
}

Test(audit_verify, deleted_entry_leaves_a_gap)
{
    char db[512];

    scenario(db, sizeof(db));
    tamper(db, "DELETE FROM postings WHERE program = '" HN "' AND seq = 4;"
               " DELETE FROM entries WHERE program = '" HN "' AND seq = 4");
    expect_fault(db, HN_LINE "entry 4: missing from the chain: expected seq 4, found seq 5\n");
}

/* The last entry deleted, the head left as it was. */
Test(audit_verify, deleted_last_entry_leaves_the_head_ahead)
{
    char db[512];

    scenario(db, sizeof(db));
    tamper(db, "DELETE FROM postings WHERE program = '" HN "' AND seq = 8;"
               " DELETE FROM entries WHERE program = '" HN "' AND seq = 8;"
               " DELETE FROM settlement_payments WHERE program = '" HN "' AND seq = 8");
    expect_fault(db, HN_LINE "head: last_seq: expected 7, found 8\n");
}

/* A forged entry at the end, linked to the last hash, its own hash computed naively. */
Test(audit_verify, forged_entry_at_the_end)
{
    char db[512];

    scenario(db, sizeof(db));
    tamper(db, "INSERT INTO entries (program, seq, kind, business_date, prev_hash, hash, legs)"
               " SELECT program, 9, 'funding', '2026-07-01', last_hash,"
               " encode(sha256('forged'::bytea), 'hex'), 2 FROM programs"
               " WHERE program = '" HN "';"
               " INSERT INTO postings (program, seq, leg, party, kind, side, amount) VALUES"
               " ('" HN "', 9, 1, 'hn-pool', 'cash', 'debit', 99),"
               " ('" HN "', 9, 2, 'hn-pool', 'capital', 'credit', 99);"
               " UPDATE programs SET last_seq = 9, last_hash = encode(sha256('forged'::bytea),"
               " 'hex') WHERE program = '" HN "'");
    char *forged = value(db, "SELECT encode(sha256('forged'::bytea), 'hex')");
    expect_hash_mismatch(db, 9, forged);
    free(forged);
}

/* Two entries swap places (seq), with their legs and claim: the chain no longer links. */
Test(audit_verify, two_entries_reordered)
{
    char db[512];
    char want[512];

    scenario(db, sizeof(db));
    char *h1 = stored_hash(db, HN, 1);
    char *h2 = stored_hash(db, HN, 2);
#define SWAP(t)                                                                            \
    "UPDATE " t " SET seq = 1000 WHERE program = '" HN "' AND seq = 2;"                     \
    " UPDATE " t " SET seq = 2 WHERE program = '" HN "' AND seq = 3;"                       \
    " UPDATE " t " SET seq = 3 WHERE program = '" HN "' AND seq = 1000; "
    const char *sql = SWAP("entries") SWAP("postings") SWAP("claims");
#undef SWAP
    tamper(db, sql);
    snprintf(want, sizeof(want), HN_LINE "entry 2: prev_hash mismatch: expected %s, found %s\n",
             h1, h2);
    expect_fault(db, want);
    free(h1);
    free(h2);
}

/* A claim's amount is part of the content its opening entry hashed. */
Test(audit_verify, claim_amount_changed)
{
    char db[512];

    scenario(db, sizeof(db));
    char *hash = stored_hash(db, HN, 3);
    tamper(db, "UPDATE claims SET amount = 300000.01 WHERE program = '" HN "' AND claim_id = 1");
    expect_hash_mismatch(db, 3, hash);
    free(hash);
}

/* A second settlement pays claim 1 again, naming the first payment's entry. */
Test(audit_verify, claim_paid_twice)
{
    char db[512];

    scenario(db, sizeof(db));
    tamper(db, "INSERT INTO settlements (program, settlement_id, through_date)"
               " VALUES ('" HN "', 2, '2026-12-31');"
               " INSERT INTO settlement_payments (program, settlement_id, claim_id, open_before,"
               " paid, seq) VALUES ('" HN "', 2, 1, 300000, 300000, 7)");
    expect_fault(db, HN_LINE "claim 1: paid beyond its amount by settlement 2:"
                     " expected at most 300000.00, found 600000.00\n");
}

/* A payment row that says less was paid than its entry paid. */
Test(audit_verify, payment_row_disagrees_with_its_entry)
{
    char db[512];

    scenario(db, sizeof(db));
    tamper(db, "UPDATE settlement_payments SET paid = 299999 WHERE program = '" HN "'"
               " AND claim_id = 1");
    expect_fault(db, HN_LINE "entry 7: legs of the payment of claim 1: expected"
                     " hn-pool:payable Dr 299999.00; hn-pool:cash Cr 299999.00;"
                     " zybank:cash Dr 299999.00; zybank:receivable Cr 299999.00,"
                     " found hn-pool:payable Dr 300000.00; hn-pool:cash Cr 300000.00;"
                     " zybank:cash Dr 300000.00; zybank:receivable Cr 300000.00\n");
}

Test(audit_verify, default_part_changed)
{
    char db[512];

    scenario(db, sizeof(db));
    tamper(db, "UPDATE default_parts SET amount = 2000000.01 WHERE program = '" HN "'"
               " AND event_id = 'D1' AND party = 'zybank'");
    expect_fault(db, HN_LINE "default D1: final parts sum: expected 2500000.00,"
                     " found 2500000.01\n");
}

Test(audit_verify, raw_part_changed)
{
    char db[512];

    scenario(db, sizeof(db));
    tamper(db, "UPDATE default_parts SET raw = 299999 WHERE program = '" HN "'"
               " AND event_id = 'D0' AND party = 'hn-pool'");
    expect_fault(db, HN_LINE "default D0: raw parts sum: expected 500000.00, found 499999.00\n");
}

/* The head moved to another hash: what an auditor compares with a published head. */
Test(audit_verify, head_changed)
{
    char db[512];
    char want[512];

    scenario(db, sizeof(db));
    char *h8 = stored_hash(db, HN, 8);
    tamper(db, "UPDATE programs SET last_hash = repeat('ab', 32) WHERE program = '" HN "'");
    snprintf(want, sizeof(want), HN_LINE "head: last_hash: expected %s, found %s\n", h8,
             "abababababababababababababababababababababababababababababababab");
    expect_fault(db, want);
    free(h8);
}

/* A subsidy claim's payment to a borrower (two legs) and an unpaid row (no entry). */
Test(audit_verify, unpaid_row_that_names_an_entry)
{
    char db[512];

    scenario(db, sizeof(db));
    tamper(db, "UPDATE settlement_payments SET open_before = 999 WHERE program = 'sub'"
               " AND claim_id = 3");
    clh_result r = verify(db, "sub");
    cr_expect_eq(r.status, 1, "%s", r.err);
    cr_expect_str_eq(r.err, "riskshare: sub: claim 3: open before settlement 1:"
                            " expected 1000.00, found 999.00\n");
    clh_free(&r);
}

/* Claim 2 of the subsidy program was paid 1,000 by settlement 1, so 4,000 was open before 2. */
Test(audit_verify, open_amount_wrong_in_a_later_settlement)
{
    char db[512];

    scenario(db, sizeof(db));
    tamper(db, "UPDATE settlement_payments SET open_before = 5000 WHERE program = 'sub'"
               " AND claim_id = 2 AND settlement_id = 2");
    clh_result r = verify(db, "sub");
    cr_expect_eq(r.status, 1, "%s", r.err);
    cr_expect_str_eq(r.err, "riskshare: sub: claim 2: open before settlement 2:"
                            " expected 4000.00, found 5000.00\n");
    clh_free(&r);
}

/* The settlement's through date moved: its paying entries are dated by the old one. */
Test(audit_verify, settlement_date_changed)
{
    char db[512];

    scenario(db, sizeof(db));
    tamper(db, "UPDATE settlements SET through_date = '2026-09-30' WHERE program = '" HN "'");
    expect_fault(db, HN_LINE "settlement 1: through date: expected 2026-06-30 (the date of its"
                     " entry 7), found 2026-09-30\n");
}

/* A leg added after the last entry, for an entry that does not exist. */
Test(audit_verify, posting_without_its_entry)
{
    char db[512];

    scenario(db, sizeof(db));
    tamper(db, "INSERT INTO postings (program, seq, leg, party, kind, side, amount)"
               " VALUES ('" HN "', 9, 1, 'hn-pool', 'cash', 'debit', 5)");
    expect_fault(db, HN_LINE "entry 9: posting without its entry: expected legs of recorded"
                     " entries only, found leg 1 of entry 9\n");
}

/* A claim whose opening entry does not exist. */
Test(audit_verify, claim_without_its_entry)
{
    char db[512];

    scenario(db, sizeof(db));
    tamper(db, "INSERT INTO claims (program, claim_id, kind, loan_id, payer, payee, claim_date,"
               " amount, seq) VALUES ('" HN "', 3, 'compensation', 'H2', 'hn-pool', 'zybank',"
               " '2026-05-01', 100, 99)");
    expect_fault(db, HN_LINE "claim 3: opening entry not recorded: expected an entry of the"
                     " chain, found entry 99\n");
}

/* The settlement that paid the claims is gone. */
Test(audit_verify, settlement_deleted)
{
    char db[512];

    scenario(db, sizeof(db));
    tamper(db, "DELETE FROM settlements WHERE program = '" HN "'");
    expect_fault(db, HN_LINE "claim 1: paid in a settlement that is not recorded: expected a"
                     " recorded settlement, found settlement 1\n");
}

/*
 * A forger who knows the canonical content (docs/database.md) hashes a forged entry
 * correctly: the chain then holds, and only the head shows it, until the forger moves
 * the head too.  Then verify passes and prints the new head: why auditors keep the
 * head they were given (the summary line) and compare.
 */
Test(audit_verify, forged_entry_hashed_correctly_is_caught_by_the_head_only)
{
    char db[512], hash[LED_SHA256_HEX_SIZE], sql[1024];
    eng_error err;

    scenario(db, sizeof(db));
    char *last = value(db, "SELECT last_hash FROM programs WHERE program = '" HN "'");
    led_entry e = {.kind = "funding", .business_date = eng_date_from_ymd(2026, 7, 1), .n_legs = 2};
    e.legs[0] = (led_leg){"hn-pool", "cash", 1, 9900};
    e.legs[1] = (led_leg){"hn-pool", "capital", 0, 9900};
    led_entry_link link = {HN, 9, "2026-07-01T00:00:00.000000Z", last, 0, NULL};
    cr_assert_eq(led_entry_hash(hash, &link, &e, &err), ENG_OK, "%s", err.message);
    snprintf(sql, sizeof(sql),
             "INSERT INTO entries (program, seq, kind, business_date, recorded_at, prev_hash,"
             " hash, legs) VALUES ('" HN "', 9, 'funding', '2026-07-01', '2026-07-01 00:00:00+00',"
             " '%s', '%s', 2);"
             " INSERT INTO postings (program, seq, leg, party, kind, side, amount) VALUES"
             " ('" HN "', 9, 1, 'hn-pool', 'cash', 'debit', 99),"
             " ('" HN "', 9, 2, 'hn-pool', 'capital', 'credit', 99)", last, hash);
    tamper(db, sql);
    expect_fault(db, HN_LINE "head: last_seq: expected 9, found 8\n");
    snprintf(sql, sizeof(sql), "UPDATE programs SET last_seq = 9, last_hash = '%s'"
             " WHERE program = '" HN "'", hash);
    tamper(db, sql);
    clh_result r = verify(db, HN);
    cr_expect_eq(r.status, 0, "%s", r.err);
    cr_expect_neq(strstr(r.err, hash), NULL, "the summary shows the new head: %s", r.err);
    cr_expect_eq(strstr(r.err, last), NULL, "not the head an auditor was given");
    clh_free(&r);
    free(last);
}

/* ---- The pure checks (engine/verify.h) ------------------------------------------------------ */

static eng_verify_fault fault;

#define LEG(n, party, kind, debit, amount) ((eng_verify_leg){n, party, kind, debit, amount})

static void expect_line(const char *want)
{
    char line[1024];

    eng_verify_format(line, sizeof(line), &fault);
    cr_expect_str_eq(line, want);
}

Test(audit_verify, legs_numbered_counted_and_positive)
{
    eng_verify_leg ok[2] = {LEG(1, "p", "cash", 1, 5), LEG(2, "p", "capital", 0, 5)};
    eng_verify_leg gap[2] = {LEG(1, "p", "cash", 1, 5), LEG(3, "p", "capital", 0, 5)};
    eng_verify_leg zero[2] = {LEG(1, "p", "cash", 1, 0), LEG(2, "p", "capital", 0, 0)};
    eng_verify_leg one[1] = {LEG(1, "p", "cash", 1, 5)};

    cr_expect_eq(eng_verify_legs(&fault, 1, ok, 2, 2, 8), 1);
    cr_expect_eq(eng_verify_legs(&fault, 2, gap, 2, 2, 8), 0);
    expect_line("entry 2: leg numbering: expected leg 2, found leg 3");
    cr_expect_eq(eng_verify_legs(&fault, 3, ok, 2, 3, 8), 0);
    expect_line("entry 3: leg count: expected 3 legs (its row's count), found 2");
    cr_expect_eq(eng_verify_legs(&fault, 4, one, 1, 1, 8), 0);
    expect_line("entry 4: leg count: expected 2 to 8 legs, found 1");
    cr_expect_eq(eng_verify_legs(&fault, 5, ok, 9, 9, 8), 0, "more legs than kept");
    expect_line("entry 5: leg count: expected 2 to 8 legs, found 9");
    cr_expect_eq(eng_verify_legs(&fault, 6, zero, 2, 2, 8), 0);
    expect_line("entry 6: leg 1 amount: expected > 0.00, found 0.00");
    zero[0].amount = INT64_MIN;
    cr_expect_eq(eng_verify_legs(&fault, 7, zero, 2, 2, 8), 0);
    expect_line("entry 7: leg 1 amount: expected > 0.00, found unreadable");
}

Test(audit_verify, payments_of_one_claim_across_settlements)
{
    eng_verify_claim_paid c;

    eng_verify_claim_paid_init(&c, 4, 1000);
    cr_expect_eq(eng_verify_claim_payment(&fault, &c, 1, 1000, 0, 0), 1, "paid 0: no entry");
    cr_expect_eq(eng_verify_claim_payment(&fault, &c, 2, 1000, 400, 1), 1);
    cr_expect_eq(eng_verify_claim_payment(&fault, &c, 2, 600, 100, 1), 0);
    expect_line("claim 4: appears twice in settlement 2: expected one payment row,"
                " found a second row");
    eng_verify_claim_paid_init(&c, 4, 1000);
    cr_expect_eq(eng_verify_claim_payment(&fault, &c, 1, 1000, 400, 1), 1);
    cr_expect_eq(eng_verify_claim_payment(&fault, &c, 2, 1000, 100, 1), 0);
    expect_line("claim 4: open before settlement 2: expected 6.00, found 10.00");
    eng_verify_claim_paid_init(&c, 4, 1000);
    cr_expect_eq(eng_verify_claim_payment(&fault, &c, 1, 1000, 400, 0), 0);
    expect_line("claim 4: paying entry in settlement 1: expected an entry, found none");
    eng_verify_claim_paid_init(&c, 4, 1000);
    cr_expect_eq(eng_verify_claim_payment(&fault, &c, 1, 1000, 1000, 1), 1);
    cr_expect_eq(eng_verify_claim_payment(&fault, &c, 3, 1000, 1, 1), 0);
    expect_line("claim 4: paid beyond its amount by settlement 3: expected at most 10.00,"
                " found 10.01");
    eng_verify_claim_paid_init(&c, 4, 1000);
    cr_expect_eq(eng_verify_claim_payment(&fault, &c, 1, 1000, INT64_MAX, 1), 0);
    expect_line("claim 4: paid beyond its amount by settlement 1: expected at most 10.00,"
                " found 92233720368547758.07");
}

Test(audit_verify, payment_legs_to_a_borrower_and_to_a_party)
{
    eng_verify_leg borrower[2] = {LEG(1, "pool", "payable", 1, 7), LEG(2, "pool", "cash", 0, 7)};
    eng_verify_leg party[4] = {LEG(1, "pool", "payable", 1, 7), LEG(2, "pool", "cash", 0, 7),
                               LEG(3, "bank", "cash", 1, 7), LEG(4, "bank", "receivable", 0, 7)};

    cr_expect_eq(eng_verify_payment_legs(&fault, 9, 1, borrower, 2, "pool",
                                         "borrower:914100001699995779", 7), 1);
    cr_expect_eq(eng_verify_payment_legs(&fault, 9, 1, party, 4, "pool", "bank", 7), 1);
    cr_expect_eq(eng_verify_payment_legs(&fault, 9, 1, borrower, 2, "pool", "bank", 7), 0);
    expect_line("entry 9: legs of the payment of claim 1: expected pool:payable Dr 0.07;"
                " pool:cash Cr 0.07; bank:cash Dr 0.07; bank:receivable Cr 0.07,"
                " found pool:payable Dr 0.07; pool:cash Cr 0.07");
    cr_expect_eq(eng_verify_posted(party, 4, NULL, "cash", 1), 7);
    cr_expect_eq(eng_verify_posted(party, 4, "pool", "payable", 1), 7);
    cr_expect_eq(eng_verify_posted(party, 4, "pool", "payable", 0), 0);
}

Test(audit_verify, default_parts_and_entry)
{
    eng_verify_default d = {"D9", 500, 2, 500, 500, 12, 500};

    cr_expect_eq(eng_verify_default_check(&fault, &d), 1);
    d.external = 499;
    cr_expect_eq(eng_verify_default_check(&fault, &d), 0);
    expect_line("default D9: external credit of entry 12: expected 5.00, found 4.99");
    d.n_parts = 0;
    cr_expect_eq(eng_verify_default_check(&fault, &d), 0);
    expect_line("default D9: parts: expected its default_parts rows, found none");
}
