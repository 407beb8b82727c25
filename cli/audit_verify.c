/*
 * audit_verify.c -- `riskshare audit verify [--program P]` (DESIGN 7, 8).
 *
 * For each program, outside the database, in one pass over a consistent snapshot
 * (ledger/verify_store.h): the entries in seq order, each merged with its postings
 * (by seq, leg), the claim it opens (claims by claim_id), the payments of that claim
 * (by claim_id, settlement_id) and the settlement payment it makes (payments by
 * seq).  Each entry's seq continues the chain, its prev_hash is the previous hash,
 * its legs are numbered and balance per party (engine/verify.h), its claim and its
 * payment agree with it, and its hash is led_entry_hash() of the stored content
 * (ledger/journal.h: the one definition of the canonical content).  Then the head
 * against the chain's last link, and each default's parts and entry.
 *
 * Exit 0 when everything holds (a summary line per program on stderr unless
 * --quiet); exit 1 with one line naming the first fault:
 *     riskshare: zz-kejidai: entry 7: hash mismatch: expected 3fa1..., found 9c2e...
 * exit 69 when the database is unavailable.
 */
#include "audit.h"

#include <assert.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "journal.h"
#include "ledger.h"
#include "limits.h"
#include "verify.h"
#include "verify_store.h"

static const char usage[] =
    "usage: riskshare audit verify [--program P] [--db CONNINFO] [--quiet]\n"
    "Recomputes, outside the database, each program's hash chain over its stored entries,\n"
    "postings and claims, and checks that every entry balances per party, that each\n"
    "default's parts sum to its loss base, and that claims, settlement payments and\n"
    "their entries agree (no claim paid beyond its amount).  Exit 0 when all hold, with a\n"
    "summary per program on stderr; exit 1 naming the first fault.\n";

/* 64 zeros: the prev_hash of a program's first entry. */
static const char verify_zero_hash[LED_SHA256_HEX_SIZE] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* A check found a fault (verify_run.fault); the other returns are eng_status. */
#define VERIFY_FAULT 1

/* Bytes kept of a text that a fault or a later comparison quotes. */
#define VERIFY_TEXT_MAX 128

/* What one program's pass keeps: the chain so far, the current entry's legs, counts. */
typedef struct {
    led_verify_db *v;
    const led_verify_head *head;
    const led_verify_settlement *settlements;
    size_t n_settlements;
    int quiet, tty;
    eng_error *err;
    eng_verify_fault fault;
    long next_seq;                          /* the seq the next entry must have */
    char prev_hash[LED_SHA256_HEX_SIZE];    /* the hash of the entry before it */
    long last_claim_id;                     /* the last claim met in the chain */
    eng_verify_leg legs[LED_LEGS_MAX];
    char leg_party[LED_LEGS_MAX][ENG_ID_MAX + 1];
    char leg_kind[LED_LEGS_MAX][ENG_ID_MAX + 1];
    size_t n_legs;                          /* every stored leg of the entry (maybe > max) */
    size_t entries, postings, claims, payments, defaults;
} verify_run;

/* Records a fault (see eng_verify_fail) and returns VERIFY_FAULT. */
#define FAULT(r, check, expected, found, ...)                                                \
    (eng_verify_fail(&(r)->fault, (check), (expected), (found), __VA_ARGS__), VERIFY_FAULT)

static int verify_peek(verify_run *r, led_verify_stream s, const led_verify_row **row)
{
    return led_verify_peek(row, r->v, s, r->err);
}

/* The program's settlement `id`, or NULL when it is not recorded. */
static const led_verify_settlement *verify_settlement(const verify_run *r, long id)
{
    size_t lo = 0, hi = r->n_settlements;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->settlements[mid].settlement_id == id) {
            return &r->settlements[mid];
        }
        if (r->settlements[mid].settlement_id < id) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return NULL;
}

static int verify_settled(const verify_run *r, long id)
{
    return verify_settlement(r, id) != NULL;
}

/* A text for a fault: NULL as `none`. */
static const char *verify_or_none(const char *s)
{
    return s != NULL ? s : "none";
}

static int verify_same_text(const char *a, const char *b)
{
    return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

/* ---- Legs ------------------------------------------------------------------------------ */

/* Copies posting `p` as the next leg of the current entry. */
static void verify_keep_leg(verify_run *r, const led_verify_posting *p)
{
    if (r->n_legs < LED_LEGS_MAX) {
        size_t i = r->n_legs;
        snprintf(r->leg_party[i], sizeof(r->leg_party[i]), "%s", p->party);
        snprintf(r->leg_kind[i], sizeof(r->leg_kind[i]), "%s", p->kind);
        r->legs[i] = (eng_verify_leg){p->leg, r->leg_party[i], r->leg_kind[i], p->debit,
                                      p->amount};
    }
    r->n_legs++;
}

/* Gathers the postings of entry `seq`; a posting of an earlier seq has no entry. */
static int verify_gather_legs(verify_run *r, long seq)
{
    const led_verify_row *row;
    int rc;

    r->n_legs = 0;
    while ((rc = verify_peek(r, LED_VS_POSTINGS, &row)) == ENG_OK && row != NULL
           && row->posting.seq <= seq) {
        const led_verify_posting *p = &row->posting;
        if (p->seq < seq) {
            char f[64];
            snprintf(f, sizeof(f), "leg %ld of entry %ld", p->leg, p->seq);
            return FAULT(r, "posting without its entry", "legs of recorded entries only", f,
                         "entry %ld", p->seq);
        }
        verify_keep_leg(r, p);
        r->postings++;
        led_verify_advance(r->v, LED_VS_POSTINGS);
    }
    return rc;
}

/* ---- One entry ------------------------------------------------------------------------- */

/* Its place in the chain: seq continues it, prev_hash is the hash before it. */
static int verify_link(verify_run *r, const led_verify_entry *e)
{
    char want[32], got[32];

    if (e->seq != r->next_seq) {
        snprintf(want, sizeof(want), "seq %ld", r->next_seq);
        snprintf(got, sizeof(got), "seq %ld", e->seq);
        return FAULT(r, e->seq > r->next_seq ? "missing from the chain" : "seq out of order",
                     want, got, "entry %ld", r->next_seq);
    }
    if (strcmp(e->prev_hash, r->prev_hash) != 0) {
        return FAULT(r, "prev_hash mismatch", r->prev_hash, e->prev_hash, "entry %ld", e->seq);
    }
    return ENG_OK;
}

/* A number an entry names: none, or a positive id (a reversed entry: an earlier one). */
static int verify_ref(verify_run *r, long seq, const char *what, int has, long id)
{
    char got[32];

    if (!has || (id > 0 && (strcmp(what, "reverses_seq") != 0 || id < seq))) {
        return ENG_OK;
    }
    snprintf(got, sizeof(got), "%ld", id);
    return FAULT(r, what, strcmp(what, "reverses_seq") == 0 ? "an earlier entry" : "none or > 0",
                 got, "entry %ld", seq);
}

/* The columns of the entry's row that its canonical content cannot carry as they are. */
static int verify_columns(verify_run *r, const led_verify_entry *e)
{
    char got[48], want[32];
    int rc;

    if (e->rule_ids_null || e->n_rule_ids > LED_RULE_IDS_MAX) {
        snprintf(got, sizeof(got), "%zu%s", e->n_rule_ids, e->rule_ids_null ? " with NULL" : "");
        snprintf(want, sizeof(want), "at most %d", LED_RULE_IDS_MAX);
        return FAULT(r, "rule ids", want, got, "entry %ld", e->seq);
    }
    if ((rc = verify_ref(r, e->seq, "policy_version", e->has_policy_version,
                         e->policy_version)) != ENG_OK
        || (rc = verify_ref(r, e->seq, "batch_id", e->has_batch_id, e->batch_id)) != ENG_OK
        || (rc = verify_ref(r, e->seq, "settlement_id", e->has_settlement_id,
                            e->settlement_id)) != ENG_OK
        || (rc = verify_ref(r, e->seq, "reverses_seq", e->has_reverses_seq,
                            e->reverses_seq)) != ENG_OK) {
        return rc;
    }
    if (e->has_settlement_id && !verify_settled(r, e->settlement_id)) {
        snprintf(got, sizeof(got), "settlement %ld", e->settlement_id);
        return FAULT(r, "settlement", "a recorded settlement", got, "entry %ld", e->seq);
    }
    return ENG_OK;
}

/* The legs: numbered 1..n, n as the row says, amounts > 0, balanced per party. */
static int verify_legs(verify_run *r, const led_verify_entry *e)
{
    if (!eng_verify_legs(&r->fault, e->seq, r->legs, r->n_legs, e->legs, LED_LEGS_MAX)) {
        return VERIFY_FAULT;
    }
    return ENG_OK;
}

/* ---- Claims and their payments ---------------------------------------------------------- */

/* The payments of claim `c` across settlements (payments by claim_id, settlement_id). */
static int verify_claim_payments(verify_run *r, const led_verify_claim *c)
{
    const led_verify_row *row;
    eng_verify_claim_paid paid;
    char got[48];
    int rc;

    eng_verify_claim_paid_init(&paid, c->claim_id, c->amount);
    while ((rc = verify_peek(r, LED_VS_PAID_BY_CLAIM, &row)) == ENG_OK && row != NULL
           && row->payment.claim_id <= c->claim_id) {
        const led_verify_payment *p = &row->payment;
        if (p->claim_id < c->claim_id) {
            snprintf(got, sizeof(got), "a payment in settlement %ld", p->settlement_id);
            return FAULT(r, "not recorded", "a recorded claim", got, "claim %ld", p->claim_id);
        }
        if (!verify_settled(r, p->settlement_id)) {
            snprintf(got, sizeof(got), "settlement %ld", p->settlement_id);
            return FAULT(r, "paid in a settlement that is not recorded", "a recorded settlement",
                         got, "claim %ld", c->claim_id);
        }
        if (!eng_verify_claim_payment(&r->fault, &paid, p->settlement_id, p->open_before,
                                      p->paid, p->has_seq)) {
            return VERIFY_FAULT;
        }
        r->payments++;
        led_verify_advance(r->v, LED_VS_PAID_BY_CLAIM);
    }
    return rc;
}

/* Claim `c`, opened by entry `e`: the next claim id, the entry's loan, its payable credit. */
static int verify_claim(verify_run *r, const led_verify_entry *e, const led_verify_claim *c)
{
    char want[VERIFY_TEXT_MAX], got[VERIFY_TEXT_MAX];

    assert(c->seq == e->seq);
    assert(c->loan_id != NULL && c->payer != NULL && c->payee != NULL);
    if (c->claim_id != r->last_claim_id + 1) {
        snprintf(want, sizeof(want), "claim %ld", r->last_claim_id + 1);
        snprintf(got, sizeof(got), "claim %ld", c->claim_id);
        return FAULT(r, "claim ids not gap-free in chain order", want, got, "entry %ld", e->seq);
    }
    if (!verify_same_text(c->loan_id, e->loan_id)) {
        snprintf(want, sizeof(want), "%.100s (of its entry %ld)", verify_or_none(e->loan_id),
                 e->seq);
        return FAULT(r, "loan", want, c->loan_id, "claim %ld", c->claim_id);
    }
    eng_fen credit = eng_verify_posted(r->legs, r->n_legs, c->payer, "payable", 0);
    if (credit != c->amount) {
        char a[ENG_FEN_TEXT], b[ENG_FEN_TEXT];
        eng_fen_format(a, sizeof(a), credit);
        eng_fen_format(b, sizeof(b), c->amount);
        snprintf(want, sizeof(want), "%s (entry %ld's credit to %.64s:payable)", a, e->seq,
                 c->payer);
        return FAULT(r, "amount", want, c->amount == LED_VERIFY_BAD_AMOUNT ? "unreadable" : b,
                     "claim %ld", c->claim_id);
    }
    return verify_claim_payments(r, c);
}

/*
 * Finds the claim entry `e` opens (claims come by claim_id, which follows the chain):
 * `*out` is it, or NULL when the next claim belongs to a later entry.
 */
static int verify_find_claim(verify_run *r, const led_verify_entry *e,
                             const led_verify_claim **out)
{
    const led_verify_row *row;
    int rc = verify_peek(r, LED_VS_CLAIMS, &row);

    *out = NULL;
    if (rc != ENG_OK || row == NULL || row->claim.seq > e->seq) {
        return rc;
    }
    const led_verify_claim *c = &row->claim;
    if (c->seq < e->seq) {
        char got[48];
        snprintf(got, sizeof(got), "entry %ld", c->seq);
        return FAULT(r, "opening entry out of chain order", "an entry after the last claim's",
                     got, "claim %ld", c->claim_id);
    }
    *out = c;
    return ENG_OK;
}

/* After entry `e` is hashed: its claim is done, and no second claim names it. */
static int verify_claim_done(verify_run *r, const led_verify_entry *e,
                             const led_verify_claim *c)
{
    const led_verify_row *row;
    long id = c->claim_id;
    int rc;

    r->last_claim_id = id;
    r->claims++;
    led_verify_advance(r->v, LED_VS_CLAIMS);
    rc = verify_peek(r, LED_VS_CLAIMS, &row);
    if (rc == ENG_OK && row != NULL && row->claim.seq == e->seq) {
        char got[64];
        snprintf(got, sizeof(got), "claims %ld and %ld", id, row->claim.claim_id);
        return FAULT(r, "opens two claims", "at most one claim", got, "entry %ld", e->seq);
    }
    return rc;
}

/* ---- Settlement payments ----------------------------------------------------------------- */

static int verify_is_payment_entry(const led_verify_entry *e)
{
    return strcmp(e->kind, "settlement_payment") == 0;
}

/* The payment row `p` names entry `e` as the one that pays it: does `e` pay exactly that? */
static int verify_paying_entry(verify_run *r, const led_verify_entry *e,
                               const led_verify_payment *p)
{
    char want[VERIFY_TEXT_MAX], got[VERIFY_TEXT_MAX];

    assert(p->seq == e->seq && p->has_seq);
    assert((p->payer == NULL) == (p->payee == NULL));
    if (p->payer == NULL) {
        snprintf(got, sizeof(got), "claim %ld", p->claim_id);
        return FAULT(r, "pays a claim that is not recorded", "a recorded claim", got,
                     "entry %ld", e->seq);
    }
    if (!verify_is_payment_entry(e) || !e->has_settlement_id
        || e->settlement_id != p->settlement_id) {
        snprintf(want, sizeof(want), "a settlement_payment entry of settlement %ld",
                 p->settlement_id);
        snprintf(got, sizeof(got), "%.40s entry of settlement %ld", e->kind,
                 e->has_settlement_id ? e->settlement_id : 0L);
        return FAULT(r, "paying entry", want, got, "claim %ld", p->claim_id);
    }
    if (!verify_same_text(p->loan_id, e->loan_id)) {
        snprintf(want, sizeof(want), "%.100s (of claim %ld)", p->loan_id, p->claim_id);
        return FAULT(r, "loan", want, verify_or_none(e->loan_id), "entry %ld", e->seq);
    }
    if (!eng_verify_payment_legs(&r->fault, e->seq, p->claim_id, r->legs, r->n_legs, p->payer,
                                 p->payee, p->paid)) {
        return VERIFY_FAULT;
    }
    return ENG_OK;
}

/* An entry of a settlement is dated by its through date (DESIGN 10). */
static int verify_entry_settlement(verify_run *r, const led_verify_entry *e)
{
    char date[11], want[64], got[11];
    const led_verify_settlement *s;

    if (!e->has_settlement_id) {
        return ENG_OK;
    }
    s = verify_settlement(r, e->settlement_id);
    assert(s != NULL);              /* verify_columns() checked that it is recorded */
    if (s->through_date == e->business_date) {
        return ENG_OK;
    }
    eng_date_format(date, e->business_date);
    eng_date_format(got, s->through_date);
    snprintf(want, sizeof(want), "%s (the date of its entry %ld)", date, e->seq);
    return FAULT(r, "through date", want, got, "settlement %ld", e->settlement_id);
}

/* The settlement payment entry `e` makes, if any (payments by seq). */
static int verify_entry_payment(verify_run *r, const led_verify_entry *e)
{
    const led_verify_row *row;
    char got[64];
    int rc = verify_peek(r, LED_VS_PAID_BY_SEQ, &row);

    if (rc == ENG_OK && row != NULL && row->payment.seq < e->seq) {
        snprintf(got, sizeof(got), "entry %ld", row->payment.seq);
        return FAULT(r, "paying entry not recorded", "an entry of the chain", got, "claim %ld",
                     row->payment.claim_id);
    }
    if (rc != ENG_OK || row == NULL || row->payment.seq > e->seq) {
        if (rc == ENG_OK && verify_is_payment_entry(e)) {
            return FAULT(r, "settlement payment without its record",
                         "a settlement_payments row naming it", "none", "entry %ld", e->seq);
        }
        return rc;
    }
    long claim_id = row->payment.claim_id;
    rc = verify_paying_entry(r, e, &row->payment);
    if (rc != ENG_OK) {
        return rc;
    }
    led_verify_advance(r->v, LED_VS_PAID_BY_SEQ);
    rc = verify_peek(r, LED_VS_PAID_BY_SEQ, &row);
    if (rc == ENG_OK && row != NULL && row->payment.seq == e->seq) {
        snprintf(got, sizeof(got), "claims %ld and %ld", claim_id, row->payment.claim_id);
        return FAULT(r, "pays two claims", "one settlement payment", got, "entry %ld", e->seq);
    }
    return rc;
}

/* ---- The hash ------------------------------------------------------------------------------ */

/* Builds the led_entry of the stored rows: the entry, its legs, its claim (or NULL). */
static void verify_build(led_entry *out, const verify_run *r, const led_verify_entry *e,
                         const led_verify_claim *c)
{
    memset(out, 0, sizeof(*out));
    out->kind = e->kind;
    out->policy_version = e->policy_version;
    for (size_t i = 0; i < e->n_rule_ids; i++) {
        out->rule_ids[i] = e->rule_ids[i];
    }
    out->n_rule_ids = e->n_rule_ids;
    out->loan_id = e->loan_id;
    out->event_id = e->event_id;
    out->batch_id = e->batch_id;
    out->settlement_id = e->settlement_id;
    out->reverses_seq = e->reverses_seq;
    out->business_date = e->business_date;
    out->n_legs = r->n_legs;
    for (size_t i = 0; i < r->n_legs; i++) {
        out->legs[i] = (led_leg){r->legs[i].party, r->legs[i].kind, r->legs[i].debit,
                                 r->legs[i].amount};
    }
    out->has_claim = c != NULL;
    if (c != NULL) {
        out->claim = (led_claim_spec){c->kind, c->payer, c->payee, c->claim_date, c->amount,
                                      c->event_id};
    }
}

/* Recomputes the hash of entry `e` with claim `c` and compares it with the stored one. */
static int verify_hash(verify_run *r, const char *program, const led_verify_entry *e,
                       const led_verify_claim *c)
{
    char hash[LED_SHA256_HEX_SIZE];
    led_entry le;
    led_entry_link link = {program, e->seq, e->recorded_at, r->prev_hash,
                           c != NULL ? c->claim_id : 0, c != NULL ? c->loan_id : NULL};
    eng_status rc;

    assert(c == NULL || c->seq == e->seq);
    assert(r->n_legs <= LED_LEGS_MAX && e->n_rule_ids <= LED_RULE_IDS_MAX);
    verify_build(&le, r, e, c);
    rc = led_entry_hash(hash, &link, &le, r->err);
    if (rc == ENG_ELIMIT) {
        return FAULT(r, "content too long to hash", "ids of at most 64 bytes", "longer ones",
                     "entry %ld", e->seq);
    }
    if (rc != ENG_OK) {
        return rc;
    }
    if (strcmp(hash, e->hash) != 0) {
        return FAULT(r, "hash mismatch", hash, e->hash, "entry %ld", e->seq);
    }
    memcpy(r->prev_hash, hash, sizeof(hash));
    return ENG_OK;
}

/*
 * A default entry against the next default in event order (defaults come in the
 * order of their events, as `events import` writes their entries): the same event,
 * parts that sum to the loss base, and the loss base credited to `external`.
 */
static int verify_entry_default(verify_run *r, const led_verify_entry *e)
{
    const led_verify_row *row;
    char want[VERIFY_TEXT_MAX], got[VERIFY_TEXT_MAX];
    int rc;

    if (strcmp(e->kind, "default") != 0) {
        return ENG_OK;
    }
    if ((rc = verify_peek(r, LED_VS_DEFAULTS, &row)) != ENG_OK) {
        return rc;
    }
    if (row == NULL || !verify_same_text(row->dflt.event_id, e->event_id)) {
        snprintf(want, sizeof(want), "the defaults row of event %.64s, next in event order",
                 verify_or_none(e->event_id));
        snprintf(got, sizeof(got), "%s%.64s", row != NULL ? "default " : "none",
                 row != NULL ? row->dflt.event_id : "");
        return FAULT(r, "default record", want, got, "entry %ld", e->seq);
    }
    const led_verify_default *x = &row->dflt;
    eng_verify_default d = {x->event_id, x->loss_base, x->n_parts, x->raw_sum, x->part_sum,
                            e->seq, eng_verify_posted(r->legs, r->n_legs, NULL, "external", 0)};
    if (!eng_verify_default_check(&r->fault, &d)) {
        return VERIFY_FAULT;
    }
    r->defaults++;
    led_verify_advance(r->v, LED_VS_DEFAULTS);
    return ENG_OK;
}

/*
 * Every check of one entry: its place in the chain and the form of its rows first,
 * then its hash (what was recorded), then what it must agree with: the claim it
 * opens and that claim's payments, the payment it makes, the default it records.
 */
static int verify_entry(verify_run *r, const char *program, const led_verify_entry *e)
{
    const led_verify_claim *c = NULL;
    int rc;

    assert(r != NULL && program != NULL && e != NULL);
    assert(e->kind != NULL && e->prev_hash != NULL && e->hash != NULL);
    rc = verify_link(r, e);

    if (rc == ENG_OK) {
        rc = verify_gather_legs(r, e->seq);
    }
    if (rc == ENG_OK) {
        rc = verify_columns(r, e);
    }
    if (rc == ENG_OK) {
        rc = verify_legs(r, e);
    }
    if (rc == ENG_OK) {
        rc = verify_find_claim(r, e, &c);
    }
    if (rc == ENG_OK) {
        rc = verify_hash(r, program, e, c);
    }
    if (rc == ENG_OK && c != NULL) {
        rc = verify_claim(r, e, c);
    }
    if (rc == ENG_OK && c != NULL) {
        rc = verify_claim_done(r, e, c);
    }
    if (rc == ENG_OK) {
        rc = verify_entry_settlement(r, e);
    }
    if (rc == ENG_OK) {
        rc = verify_entry_payment(r, e);
    }
    if (rc == ENG_OK) {
        rc = verify_entry_default(r, e);
    }
    r->next_seq++;
    r->entries++;
    return rc;
}

/* ---- After the last entry ------------------------------------------------------------------ */

/* Rows that name entries or claims after the chain's end. */
static int verify_leftovers(verify_run *r)
{
    const led_verify_row *row;
    char got[64];
    int rc;

    /* Any posting left names an entry after the last: verify_gather_legs says which. */
    if ((rc = verify_gather_legs(r, LONG_MAX)) != ENG_OK) {
        return rc;
    }
    if ((rc = verify_peek(r, LED_VS_CLAIMS, &row)) != ENG_OK || row != NULL) {
        snprintf(got, sizeof(got), "entry %ld", row != NULL ? row->claim.seq : 0L);
        return rc != ENG_OK ? rc
                            : FAULT(r, "opening entry not recorded", "an entry of the chain",
                                    got, "claim %ld", row->claim.claim_id);
    }
    if ((rc = verify_peek(r, LED_VS_PAID_BY_SEQ, &row)) != ENG_OK || row != NULL) {
        snprintf(got, sizeof(got), "entry %ld", row != NULL ? row->payment.seq : 0L);
        return rc != ENG_OK ? rc
                            : FAULT(r, "paying entry not recorded", "an entry of the chain",
                                    got, "claim %ld", row->payment.claim_id);
    }
    if ((rc = verify_peek(r, LED_VS_PAID_BY_CLAIM, &row)) != ENG_OK || row != NULL) {
        snprintf(got, sizeof(got), "a payment in settlement %ld",
                 row != NULL ? row->payment.settlement_id : 0L);
        return rc != ENG_OK ? rc
                            : FAULT(r, "not recorded", "a recorded claim", got, "claim %ld",
                                    row->payment.claim_id);
    }
    if ((rc = verify_peek(r, LED_VS_DEFAULTS, &row)) != ENG_OK || row != NULL) {
        return rc != ENG_OK ? rc
                            : FAULT(r, "entry", "a default entry", "none", "default %.64s",
                                    row->dflt.event_id);
    }
    return ENG_OK;
}

/* The program's head against the chain's last link. */
static int verify_head(verify_run *r)
{
    const led_verify_head *h = r->head;
    long last = r->next_seq - 1;
    char want[32], got[32];

    if (!h->has_head) {
        return FAULT(r, "no programs row", "the head of its chain", "none", "head");
    }
    if (h->last_seq != last) {
        snprintf(want, sizeof(want), "%ld", last);
        snprintf(got, sizeof(got), "%ld", h->last_seq);
        return FAULT(r, "last_seq", want, got, "head");
    }
    if (strcmp(h->last_hash, r->prev_hash) != 0) {
        return FAULT(r, "last_hash", r->prev_hash, h->last_hash, "head");
    }
    if (h->last_claim_id != r->last_claim_id) {
        snprintf(want, sizeof(want), "%ld", r->last_claim_id);
        snprintf(got, sizeof(got), "%ld", h->last_claim_id);
        return FAULT(r, "last_claim_id", want, got, "head");
    }
    return ENG_OK;
}

/* ---- A program, the command ---------------------------------------------------------------- */

static void verify_progress(const verify_run *r, const char *program, int last)
{
    if (r->quiet || !r->tty || (!last && r->entries % 65536 != 0)) {
        return;
    }
    fprintf(stderr, "\rriskshare: %s: verified %zu of %ld entries", program, r->entries,
            r->head->has_head ? r->head->last_seq : 0L);
    if (last) {
        fputc('\n', stderr);
    }
}

/* The chain of one program, entry by entry, then what follows its last entry. */
static int verify_chain(verify_run *r, const char *program)
{
    const led_verify_row *row;
    int rc;

    while ((rc = verify_peek(r, LED_VS_ENTRIES, &row)) == ENG_OK && row != NULL) {
        rc = verify_entry(r, program, &row->entry);
        if (rc != ENG_OK) {
            return rc;
        }
        led_verify_advance(r->v, LED_VS_ENTRIES);
        verify_progress(r, program, 0);
    }
    verify_progress(r, program, 1);
    if (rc == ENG_OK) {
        rc = verify_leftovers(r);
    }
    if (rc == ENG_OK) {
        rc = verify_head(r);
    }
    return rc;
}

/* Verifies program `h`: ENG_OK, VERIFY_FAULT (r->fault says which), or a failure. */
static int verify_program(verify_run *r, const led_verify_head *h)
{
    led_verify_settlement *settlements = NULL;
    size_t n_settlements = 0;
    int rc;

    r->head = h;
    r->next_seq = 1;
    memcpy(r->prev_hash, verify_zero_hash, sizeof(r->prev_hash));
    r->last_claim_id = 0;
    r->entries = r->postings = r->claims = r->payments = r->defaults = 0;
    rc = led_verify_settlements(&settlements, &n_settlements, r->v, h->program, r->err);
    if (rc == ENG_OK) {
        r->settlements = settlements;
        r->n_settlements = n_settlements;
        rc = led_verify_start(r->v, h->program, r->err);
    }
    if (rc == ENG_OK) {
        rc = verify_chain(r, h->program);
    }
    free(settlements);
    r->settlements = NULL;
    if (rc == ENG_OK && !r->quiet) {
        fprintf(stderr, "riskshare: %s: verified %zu entries, %zu postings, %zu claims, %zu "
                "settlement payments, %zu defaults; head %ld %s\n", h->program, r->entries,
                r->postings, r->claims, r->payments, r->defaults, r->next_seq - 1,
                r->prev_hash);
    }
    return rc;
}

/* Every program of `heads` (or none: said once), stopping at the first fault. */
static int verify_all(verify_run *r, const led_verify_head *heads, size_t n, const char *only)
{
    int rc = ENG_OK;

    if (n == 0 && only != NULL) {
        cli_errorf("audit verify: program %s is not recorded", only);
        return CLI_EXIT_DATAERR;
    }
    if (n == 0 && !r->quiet) {
        fprintf(stderr, "riskshare: no programs recorded: nothing to verify\n");
    }
    for (size_t i = 0; rc == ENG_OK && i < n; i++) {
        rc = verify_program(r, &heads[i]);
        if (rc == VERIFY_FAULT) {
            char line[1024];
            eng_verify_format(line, sizeof(line), &r->fault);
            fprintf(stderr, "riskshare: %s: %s\n", heads[i].program, line);
            return CLI_EXIT_FAULT;
        }
    }
    if (rc != ENG_OK) {
        cli_print_error(r->err);
        return cli_exit_for((eng_status)rc);
    }
    return CLI_EXIT_OK;
}

static int verify_with_ledger(const char *conninfo, const char *program, int quiet)
{
    led_verify_db *v = NULL;
    led_verify_head *heads = NULL;
    size_t n = 0;
    eng_error err;
    verify_run *r;
    eng_status rc;
    int code;

    eng_error_clear(&err);
    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        cli_errorf("out of memory");
        return CLI_EXIT_SOFTWARE;
    }
    rc = led_verify_open(&v, conninfo, &err);
    if (rc == ENG_OK) {
        rc = led_verify_heads(&heads, &n, v, program, &err);
    }
    if (rc != ENG_OK) {
        cli_print_error(&err);
        code = cli_exit_for(rc);
    } else {
        *r = (verify_run){.v = v, .quiet = quiet, .tty = isatty(STDERR_FILENO), .err = &err};
        code = verify_all(r, heads, n, program);
    }
    free(heads);
    free(r);
    led_verify_close(v);
    return code;
}

int cli_audit_verify(int argc, char **argv)
{
    cli_common common;
    const char *program = NULL;
    char *conninfo = NULL;
    eng_error err;
    int n, code = cli_begin(&common, &n, argc, argv, usage);

    if (code >= 0) {
        return code;
    }
    for (int i = 0; i < n; i++) {
        if (strcmp(argv[i], "--program") == 0 && i + 1 < n) {
            program = argv[++i];
        } else {
            cli_errorf("audit verify: unexpected \"%s\" (see --help)", argv[i]);
            return CLI_EXIT_USAGE;
        }
    }
    eng_error_clear(&err);
    eng_status rc = led_conninfo_resolve(&conninfo, common.db, &err);
    if (rc != ENG_OK) {
        cli_print_error(&err);
        code = cli_exit_for(rc);
    } else {
        code = verify_with_ledger(conninfo, program, common.quiet);
    }
    free(conninfo);
    return code;
}
