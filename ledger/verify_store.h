/*
 * verify_store.h -- the stored rows `audit verify` checks, streamed (DESIGN 7).
 *
 * A verify session reads one consistent snapshot of the ledger over several
 * connections: the first opens a REPEATABLE READ, READ ONLY transaction and exports
 * its snapshot, the others import it.  For each program, every stream is one
 * `COPY (SELECT ...) TO STDOUT (FORMAT binary)` on a connection of its own, read a
 * row at a time, so memory stays the same whatever the size of the ledger:
 *
 *     LED_VS_ENTRIES       entries by seq
 *     LED_VS_POSTINGS      postings by seq, leg (merged with the entries by the caller)
 *     LED_VS_CLAIMS        claims by claim_id
 *     LED_VS_PAID_BY_SEQ   settlement payments that name an entry, by seq, with the
 *                          payer, payee and loan of their claim
 *     LED_VS_PAID_BY_CLAIM settlement payments by claim_id, settlement_id
 *     LED_VS_DEFAULTS      each default (defaults, the sums of its default_parts) in
 *                          the order of its event (events.event_no): the order in
 *                          which `events import` writes default entries
 *
 * The caller merges them.  Texts point into the stream's current row and stay valid
 * until the stream advances; amounts the reader cannot read as whole fen are
 * LED_VERIFY_BAD_AMOUNT, which every check refuses.
 */
#ifndef LED_VERIFY_STORE_H
#define LED_VERIFY_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "date.h"
#include "error.h"
#include "journal.h"
#include "limits.h"
#include "money.h"

/* An amount that is not a whole number of fen in range. */
#define LED_VERIFY_BAD_AMOUNT INT64_MIN

/* Rule ids an entry row may carry as read (more is a fault the caller reports). */
#define LED_VERIFY_RULE_IDS_MAX 16

typedef enum {
    LED_VS_ENTRIES = 0,
    LED_VS_POSTINGS,
    LED_VS_CLAIMS,
    LED_VS_PAID_BY_SEQ,
    LED_VS_PAID_BY_CLAIM,
    LED_VS_DEFAULTS,
    LED_VS_COUNT
} led_verify_stream;

/* One program's head (programs) as stored; `has_head` 0: entries but no programs row. */
typedef struct {
    char program[ENG_ID_MAX + 1];
    int has_head;
    long last_seq;
    char last_hash[LED_SHA256_HEX_SIZE];
    long last_claim_id;
} led_verify_head;

/* An entries row.  NULL columns: texts NULL, numbers 0 (the has_ flags say which). */
typedef struct {
    long seq;
    const char *kind;
    long policy_version;
    int has_policy_version;
    const char *rule_ids[LED_VERIFY_RULE_IDS_MAX];
    size_t n_rule_ids;          /* may exceed LED_VERIFY_RULE_IDS_MAX: only that many kept */
    int rule_ids_null;          /* an element is NULL, or the array is NULL */
    const char *loan_id, *event_id;
    long batch_id, settlement_id, reverses_seq;
    int has_batch_id, has_settlement_id, has_reverses_seq;
    eng_date business_date;
    char recorded_at[LED_RECORDED_AT_SIZE];  /* canonical UTC text (docs/database.md) */
    const char *prev_hash, *hash;
    long legs;
} led_verify_entry;

/* A postings row. */
typedef struct {
    long seq, leg;
    const char *party, *kind;
    int debit;                  /* side = 'debit' */
    eng_fen amount;
} led_verify_posting;

/* A claims row. */
typedef struct {
    long claim_id, seq;
    const char *kind, *loan_id, *payer, *payee, *event_id;
    eng_date claim_date;
    eng_fen amount;
} led_verify_claim;

/* A settlement_payments row with its claim (payer, payee, loan NULL: no such claim). */
typedef struct {
    long seq, settlement_id, claim_id;
    int has_seq;
    eng_fen open_before, paid;
    const char *payer, *payee, *loan_id;
} led_verify_payment;

/* A defaults row with the sums of its default_parts, in the order of its event. */
typedef struct {
    const char *event_id;
    eng_fen loss_base;
    long n_parts;
    eng_fen raw_sum, part_sum;  /* LED_VERIFY_BAD_AMOUNT also when a sum exceeds ENG_FEN_MAX */
} led_verify_default;

/* The current row of a stream; which member holds is the stream's. */
typedef union {
    led_verify_entry entry;
    led_verify_posting posting;
    led_verify_claim claim;
    led_verify_payment payment;
    led_verify_default dflt;
} led_verify_row;

typedef struct led_verify_db led_verify_db;

/*
 * Connects LED_VS_COUNT times with `conninfo` (led_connect) and opens one
 * snapshot over all of them.  On success `*out` is a session that
 * led_verify_close() frees.  Returns ENG_EDB when the server is unavailable.
 */
eng_status led_verify_open(led_verify_db **out, const char *conninfo, eng_error *err);

/* Ends the snapshot, closes every connection and frees `v`; NULL is fine. */
void led_verify_close(led_verify_db *v);

/*
 * Reads the heads of every program that has a programs row or entries (only
 * `program` when not NULL), ordered by program, into a new array `*out` of `*n`
 * heads that the caller frees with free().  Returns ENG_OK (with *n 0 when there
 * are none), ENG_EDB, or ENG_ERROR.
 */
eng_status led_verify_heads(led_verify_head **out, size_t *n, led_verify_db *v,
                            const char *program, eng_error *err);

/* A settlements row: its id and the date it settled through. */
typedef struct {
    long settlement_id;
    eng_date through_date;
} led_verify_settlement;

/*
 * Reads the settlements of `program` in id order into a new array `*out` of `*n`
 * rows (the caller frees it with free(); settlements are few: one per period).
 */
eng_status led_verify_settlements(led_verify_settlement **out, size_t *n, led_verify_db *v,
                                  const char *program, eng_error *err);

/*
 * Starts every stream of `program` (reading what is left of a previous program's
 * first).  Rows are read when peeked, so a stream's query runs on the server while
 * the caller reads the others.  Returns ENG_OK, ENG_EDB, or ENG_ERROR.
 */
eng_status led_verify_start(led_verify_db *v, const char *program, eng_error *err);

/*
 * Sets `*out` to the current row of stream `s`, reading it when needed, or to NULL
 * at the stream's end.  The row and its texts stay valid until
 * led_verify_advance(v, s).  Returns ENG_OK, ENG_EDB when the connection is lost,
 * or ENG_ERROR when the server fails the query or sends a row of another shape.
 */
eng_status led_verify_peek(const led_verify_row **out, led_verify_db *v, led_verify_stream s,
                           eng_error *err);

/* Drops the current row of stream `s`: the next led_verify_peek() reads the one after. */
void led_verify_advance(led_verify_db *v, led_verify_stream s);

/* Rows read so far from stream `s` since led_verify_start(). */
size_t led_verify_rows(const led_verify_db *v, led_verify_stream s);

#endif
