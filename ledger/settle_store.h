/*
 * settle_store.h -- what `settle` reads from and writes to the ledger (DESIGN 6
 * "Settlement", 7, 10): the last settlement of a program, each pool's open claims
 * and cash through a date, and the record of a committed settlement.
 *
 * Reads run in the caller's transaction: a read-only snapshot for a preview
 * (led_read_begin), the journal's transaction for a commit (led_journal_begin, which
 * locks the program's chain head, so two settlements of one program run one after
 * the other and the second sees the first).
 */
#ifndef LED_SETTLE_STORE_H
#define LED_SETTLE_STORE_H

#include <stddef.h>

#include "date.h"
#include "error.h"
#include "journal.h"
#include "limits.h"
#include "money.h"
#include "pg.h"
#include "settle.h"

/* One claim open before the run, as loaded. */
typedef struct {
    long claim_id;
    eng_claim_kind kind;
    eng_date claim_date;
    eng_fen open;                   /* amount less everything paid on it so far, > 0 */
    char loan_id[ENG_ID_MAX + 1];
    char payer[ENG_ID_MAX + 1];     /* the pool */
    char payee[ENG_ID_MAX + 1];     /* a party id, or borrower:<borrower_code> */
} led_settle_claim;

/*
 * Sets `*out_id` and `*out_through` to the committed settlement of `program` with the
 * latest through date, or `*out_id` to 0 (and `*out_through` untouched) when there is
 * none.  Allocates nothing that outlives the call.  Returns ENG_OK, or the database's
 * failure as led_exec_params() reports it.
 */
eng_status led_settle_last(long *out_id, eng_date *out_through, led_db *db, const char *program,
                           eng_error *err);

/*
 * Finds the committed settlement of `program` that stands in the way of a new one
 * through `through` (DESIGN 6: a settlement runs through a later date than every
 * earlier one): the one through that very date if there is one, else the latest one
 * through a later date.  Sets `*out_id` and `*out_through` to it, or `*out_id` to 0
 * (and `*out_through` untouched) when nothing stands in the way.  Allocates nothing
 * that outlives the call.  Returns ENG_OK, or the database's failure.
 */
eng_status led_settle_blocking(long *out_id, eng_date *out_through, led_db *db,
                               const char *program, eng_date through, eng_error *err);

/*
 * Loads every claim of `program` dated on or before `through` with something still
 * open (its amount less the sum of its settlement payments), ordered by payer
 * bytewise, then claim order (eng_settle_claim_cmp); it raises the transaction's
 * work_mem (SET LOCAL) so the sort stays in memory.  On success `*out` is an array
 * of `*out_n` claims (NULL when 0) that the caller frees with free().  Returns
 * ENG_OK, ENG_EDB for an amount or kind that does not read back, ENG_ERROR when
 * memory runs out, or the database's failure.
 */
eng_status led_settle_open_claims(led_settle_claim **out, size_t *out_n, led_db *db,
                                  const char *program, eng_date through, eng_error *err);

/*
 * Sets `out[i]` to the balance (debit - credit) of the account `pools[i]:cash` in
 * `program` over the entries dated on or before `through`, for i in 0..n: what the
 * pool can pay (fundings and recoveries in, earlier settlements out).  Allocates
 * nothing that outlives the call.  Returns ENG_OK, ENG_ELIMIT for a balance beyond
 * ENG_FEN_MAX, or the database's failure.
 */
eng_status led_settle_cash(eng_fen *out, led_db *db, const char *program,
                           const char *const *pools, size_t n, eng_date through,
                           eng_error *err);

/* What a committed settlement records; every pointer is the caller's and only read. */
typedef struct {
    const char *program;
    eng_date through;
    const char *period;             /* --period as given, or NULL */
    long policy_version;            /* the version whose settlement block applied */
    const char *rule_ids[2];        /* the block's period and shortfall */
    size_t n_rule_ids;
    const led_settle_claim *claims; /* every claim of the run, pools in order */
    const eng_fen *paid;            /* paid[i] for claims[i], 0..open */
    size_t n_claims;
} led_settle_record_spec;

/*
 * Records the settlement `spec` in the transaction of `j` (led_journal_begin on `db`,
 * so the program's head is locked): as role finance, the settlements row (its id
 * assigned by the database, into `*out_id`), one `settlement_payment` entry per
 * claim paid more than 0 (business date the through date, settlement_id set; legs of
 * DESIGN 7: pool:payable Dr, pool:cash Cr, and for a party payee C:cash Dr,
 * C:receivable Cr), and a settlement_payments row for every claim (seq NULL when
 * paid 0).  Does not commit.  Returns ENG_OK; ENG_ECONFLICT when the program is
 * already settled through that date or later; or the journal's or database's
 * failure, after which the caller aborts the journal.
 */
eng_status led_settle_record(long *out_id, led_db *db, led_journal *j,
                             const led_settle_record_spec *spec, eng_error *err);

#endif
