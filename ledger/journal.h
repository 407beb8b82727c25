/*
 * journal.h -- the one writer of entries, postings and claims (DESIGN 7).
 *
 * A journal is one transaction on one program's hash chain:
 *
 *     led_journal_begin()    BEGIN; lock the program's head and read it
 *     (the caller's own statements and COPYs on the same connection: batch, loans)
 *     led_journal_write()    entries, postings and claims of n items, by COPY
 *     led_journal_commit()   COMMIT: the database checks every entry's legs and balance
 *
 * The caller describes the entries of item i with a source function; the journal
 * calls it once per item in each of up to three passes (entries, then postings,
 * then claims: one COPY each), so memory stays the same whatever the number of
 * entries.  The journal numbers entries and claims from the locked head, computes
 * each entry's canonical hash (led_entry_hash, docs/database.md) and checks that
 * each entry balances for every party before sending it.  The database checks it
 * all again (ledger/migrations/002_guards.sql).
 */
#ifndef LED_JOURNAL_H
#define LED_JOURNAL_H

#include <stddef.h>

#include "copy.h"       /* the callers' own COPYs inside a journal's transaction */
#include "date.h"
#include "error.h"
#include "money.h"
#include "pg.h"
#include "sha256.h"

/* Legs of one entry, rule ids of one entry. */
#define LED_LEGS_MAX 8
#define LED_RULE_IDS_MAX 4
/* Entries one item may produce (the `cap` given to a source). */
#define LED_ITEM_ENTRIES_MAX 64
/* Bytes of an entry's canonical content: ids are at most 64 bytes, so 4 KiB holds it. */
#define LED_ENTRY_CANONICAL_MAX 4096
/* The canonical recording time, YYYY-MM-DDTHH:MM:SS.ffffffZ, and its NUL. */
#define LED_RECORDED_AT_SIZE 28

#if LED_LEGS_MAX < 4 || LED_LEGS_MAX > 32
#error "an entry needs up to 4 legs (DESIGN 7) and stays small"
#endif
#if LED_ENTRY_CANONICAL_MAX < 256 + (LED_RULE_IDS_MAX + 12) * 72 + LED_LEGS_MAX * 128
#error "LED_ENTRY_CANONICAL_MAX must hold the largest entry"
#endif

/* One leg: `party:kind`, debit (1) or credit (0), amount > 0 fen. */
typedef struct {
    const char *party;
    const char *kind;       /* cash, capital, fee_income, subsidy_expense, loss, recovery,
                               receivable, payable, external */
    int debit;
    eng_fen amount;
} led_leg;

/* A claim on a pool that an entry opens, on the entry's loan. */
typedef struct {
    const char *kind;       /* compensation, fee_subsidy, interest_subsidy */
    const char *payer;      /* the pool */
    const char *payee;      /* a party id, or borrower:<borrower_code> */
    eng_date claim_date;
    eng_fen amount;         /* > 0 */
    const char *event_id;   /* NULL = none */
} led_claim_spec;

/* One journal entry as its source describes it; every pointer is the source's. */
typedef struct {
    const char *kind;                   /* [a-z_]{1,32}: guarantee_fee, fee_subsidy, ... */
    long policy_version;                /* 0 = none */
    const char *rule_ids[LED_RULE_IDS_MAX];
    size_t n_rule_ids;
    const char *loan_id, *event_id;     /* NULL = none */
    long batch_id, settlement_id;       /* 0 = none */
    eng_date business_date;
    size_t n_legs;                      /* 2..LED_LEGS_MAX */
    led_leg legs[LED_LEGS_MAX];
    int has_claim;
    led_claim_spec claim;               /* when has_claim: the claim this entry opens */
    long reverses_seq;                  /* 0 = none; a correction names the entry it reverses */
} led_entry;

/*
 * Produces the entries of item `item` (0 <= item < n_items) into `out[0..cap)`
 * and sets `*n_out` (0 is fine).  It must give the same entries every time it is
 * called for the same item: the journal calls it once per item in each pass.
 * Pointers in `out` must stay valid until the next call.  Returns ENG_OK, or a
 * failure (with `err` filled in) that the journal passes on.
 */
typedef eng_status (*led_entry_source)(void *ctx, size_t item, led_entry *out, size_t cap,
                                       size_t *n_out, eng_error *err);

/* Where an entry sits in its chain: what its hash covers besides its own content. */
typedef struct {
    const char *program;
    long seq;
    const char *recorded_at;            /* YYYY-MM-DDTHH:MM:SS.ffffffZ, UTC */
    const char *prev_hash;              /* 64 lower-case hex digits */
    long claim_id;                      /* of the claim it opens; 0 when it opens none */
    const char *claim_loan_id;          /* that claim's loan; NULL: the entry's.  The journal
                                           leaves it NULL; `audit verify` passes the stored
                                           claims.loan_id, so the hash covers it */
} led_entry_link;

/*
 * Writes the canonical content of `entry` at `link` (docs/database.md, "The hash
 * chain") into `out` (`size` bytes) and its length into `*out_len`.  Allocates
 * nothing.  Returns ENG_ELIMIT when it does not fit (never with ids of at most 64
 * bytes and LED_ENTRY_CANONICAL_MAX bytes).
 */
eng_status led_entry_canonical(char *out, size_t size, size_t *out_len,
                               const led_entry_link *link, const led_entry *entry,
                               eng_error *err);

/*
 * Writes the SHA-256 of the canonical content of `entry` at `link` into `out` as
 * 64 lower-case hex digits: the `hash` column of entries, which `audit verify`
 * recomputes from the stored rows.  Allocates nothing.  Returns ENG_ELIMIT as
 * led_entry_canonical() does, ENG_ERROR when OpenSSL fails.
 */
eng_status led_entry_hash(char out[LED_SHA256_HEX_SIZE], const led_entry_link *link,
                          const led_entry *entry, eng_error *err);

/*
 * Checks `entry` as the journal does before sending it as entry `seq` of `program`:
 * kind, ids and rule ids well formed, 2..LED_LEGS_MAX legs of a known account kind
 * with amounts in (0, ENG_FEN_MAX], a claim on the entry's loan with a positive amount, a
 * business date in 1900..2199, and debits equal to credits for every party.
 * Returns ENG_OK, ENG_EUNBALANCED (`entry 7 of program P does not balance for
 * party X: debits 10.00, credits 9.00`) or ENG_EINVALID.  Allocates nothing.
 */
eng_status led_entry_check(const led_entry *entry, const char *program, long seq,
                           eng_error *err);

typedef struct led_journal led_journal;

/*
 * Opens a transaction on `db` (no transaction may be open), locks the chain head of
 * `program` until it ends, and reads it: last seq and hash, last claim id, and the
 * transaction's time as entries record it.  The caller may then run its own
 * statements and COPYs on `db` (SET LOCAL ROLE, batch and loan rows) before and
 * between writes.  On success `*out` is a journal that led_journal_commit() or
 * led_journal_abort() frees; `db` stays the caller's and must outlive it.
 * Returns ENG_EINVALID when the program has no policy loaded, ENG_ERETRY when the
 * lock cannot be had (lock_timeout, deadlock), ENG_EDB when the connection is
 * lost; the transaction is then rolled back and `*out` untouched.
 */
eng_status led_journal_begin(led_journal **out, led_db *db, const char *program,
                             eng_error *err);

/*
 * Records the entries `src` gives for items 0..n_items-1, in item order, numbered
 * from the head: pass 1 checks each entry (led_entry_check), numbers it, hashes it
 * onto the running head and COPYs it into entries; pass 2 COPYs the postings;
 * pass 3 COPYs the claims (skipped when there are none).  Memory does not grow
 * with n_items.  May be called more than once; the chain continues.  Returns
 * ENG_OK; the source's failure; ENG_EUNBALANCED or ENG_EINVALID for an entry that
 * fails its check (nothing of it is sent); ENG_ERROR when the source gives other
 * entries in a later pass than in the first; or the database's refusal as
 * led_exec_params() reports it.  After a failure the transaction is aborted: call
 * led_journal_abort().
 */
eng_status led_journal_write(led_journal *j, size_t n_items, led_entry_source src, void *ctx,
                             eng_error *err);

/*
 * Commits, which runs the database's deferred checks (each entry has its legs and
 * balances, per party), and frees `j`.  Returns ENG_OK, ENG_EUNBALANCED when the
 * database finds an entry that does not balance, ENG_ERETRY, ENG_EDB, or
 * ENG_ERROR; on failure nothing of the transaction is stored.
 */
eng_status led_journal_commit(led_journal *j, eng_error *err);

/* Rolls the transaction back (when the connection still has one) and frees `j`; NULL is fine. */
void led_journal_abort(led_journal *j);

/* The head as the journal has advanced it: last seq, last hash, last claim id. */
long led_journal_last_seq(const led_journal *j);
const char *led_journal_last_hash(const led_journal *j);
long led_journal_last_claim_id(const led_journal *j);
/* The transaction's time as its entries record it (YYYY-MM-DDTHH:MM:SS.ffffffZ). */
const char *led_journal_recorded_at(const led_journal *j);

#endif
