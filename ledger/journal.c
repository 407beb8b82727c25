/* journal.c -- the one writer of entries, postings and claims. */
#include "journal.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copy.h"
#include "limits.h"
#include "pg_int.h"

/* The version tag that opens every entry's canonical content (docs/database.md). */
#define JOURNAL__TAG "riskshare-entry-v1"

/* Bytes of one COPY row of entries, postings or claims (ids of 64 bytes fit twice over). */
#define JOURNAL__ROW_MAX 2048

#if JOURNAL__ROW_MAX < 64 * (LED_RULE_IDS_MAX + 8) + 512
#error "JOURNAL__ROW_MAX must hold the longest entries row"
#endif

struct led_journal {
    led_db *db;
    char program[ENG_ID_MAX + 1];
    long last_seq;                          /* the head as advanced by this journal */
    char last_hash[LED_SHA256_HEX_SIZE];
    long last_claim_id;
    char recorded_at[LED_RECORDED_AT_SIZE];
    int failed;                             /* the transaction is aborted */
    led_entry items[LED_ITEM_ENTRIES_MAX];  /* the entries of the current item */
};

/* What one pass saw, to prove that the source gave every pass the same entries. */
typedef struct {
    size_t entries;
    size_t legs;
    size_t claims;
    uint64_t amounts;                       /* sum of leg and claim amounts, mod 2^64 */
} journal__tally;

static const char *const journal__account_kinds[] = {
    "cash", "capital", "fee_income", "subsidy_expense", "loss", "recovery", "receivable",
    "payable", "external",
};

/* ---- Well-formed text -------------------------------------------------------------- */

/* Characters a word may hold besides lower-case letters and `extra`. */
enum { JOURNAL__UPPER = 1, JOURNAL__DIGITS = 2 };

/* `s` is 1..max bytes, each a lower-case letter, one of `extra`, or allowed by `flags`. */
static int journal__word(const char *s, size_t max, const char *extra, int flags)
{
    size_t n = 0;

    if (s == NULL) {
        return 0;
    }
    for (; s[n] != '\0'; n++) {
        char c = s[n];
        int ok = (c >= 'a' && c <= 'z') || strchr(extra, c) != NULL
                 || ((flags & JOURNAL__UPPER) && c >= 'A' && c <= 'Z')
                 || ((flags & JOURNAL__DIGITS) && c >= '0' && c <= '9');
        if (!ok || n >= max) {
            return 0;
        }
    }
    return n > 0;
}

/* An ident of the schema: [A-Za-z0-9._-]{1,64}. */
static int journal__ident(const char *s)
{
    return journal__word(s, ENG_ID_MAX, "._-", JOURNAL__UPPER | JOURNAL__DIGITS);
}

/* A kind of entry or claim: [a-z_]{1,32}. */
static int journal__kind(const char *s)
{
    return journal__word(s, 32, "_", 0);
}

/* A program id: [a-z0-9-]{1,64}. */
static int journal__program(const char *s)
{
    return journal__word(s, ENG_ID_MAX, "-", JOURNAL__DIGITS);
}

/* A payee: an ident, or borrower:<18 digits or capitals>. */
static int journal__payee(const char *s)
{
    if (s != NULL && strncmp(s, "borrower:", 9) == 0) {
        size_t n = 0;
        for (const char *c = s + 9; *c != '\0'; c++, n++) {
            if (!((*c >= '0' && *c <= '9') || (*c >= 'A' && *c <= 'Z'))) {
                return 0;
            }
        }
        return n == 18;
    }
    return journal__ident(s);
}

static int journal__account_kind(const char *s)
{
    size_t n = sizeof(journal__account_kinds) / sizeof(*journal__account_kinds);

    for (size_t i = 0; s != NULL && i < n; i++) {
        if (strcmp(s, journal__account_kinds[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static int journal__date_ok(eng_date date)
{
    int y, m, d;

    eng_date_to_ymd(date, &y, &m, &d);
    return y >= 1900 && y <= 2199;
}

/* ---- Canonical content -------------------------------------------------------------- */

typedef struct {
    char *buf;
    size_t cap;
    size_t len;
    int overflow;
} journal__canon;

/* Appends one field as a netstring: <decimal length>:<bytes>, */
static void canon__bytes(journal__canon *c, const char *s, size_t n)
{
    char head[24];
    size_t h = led__long_text(head, (long)n);

    if (c->overflow || n > c->cap || c->len + h + n + 2 > c->cap) {
        c->overflow = 1;
        return;
    }
    memcpy(c->buf + c->len, head, h);
    c->len += h;
    c->buf[c->len++] = ':';
    memcpy(c->buf + c->len, s, n);
    c->len += n;
    c->buf[c->len++] = ',';
}

/* A text field; NULL (none) is the empty field. */
static void canon__text(journal__canon *c, const char *s)
{
    canon__bytes(c, s != NULL ? s : "", s != NULL ? strlen(s) : 0);
}

static void canon__long(journal__canon *c, long v)
{
    char t[24];

    canon__bytes(c, t, led__long_text(t, v));
}

/* A number where 0 means none: the empty field. */
static void canon__optional(journal__canon *c, long v)
{
    if (v == 0) {
        canon__bytes(c, "", 0);
    } else {
        canon__long(c, v);
    }
}

static void canon__fen(journal__canon *c, eng_fen v)
{
    char t[ENG_FEN_TEXT];

    canon__bytes(c, t, led__fen_text(t, v));
}

static void canon__date(journal__canon *c, eng_date d)
{
    char t[10];

    canon__bytes(c, t, led__date_text(t, d));
}


/* The legs and the claim: everything after prev_hash. */
static void canon__tail(journal__canon *c, const led_entry_link *link, const led_entry *e)
{
    canon__long(c, (long)e->n_legs);
    for (size_t i = 0; i < e->n_legs; i++) {
        canon__text(c, e->legs[i].party);
        canon__text(c, e->legs[i].kind);
        canon__text(c, e->legs[i].debit ? "debit" : "credit");
        canon__fen(c, e->legs[i].amount);
    }
    if (!e->has_claim) {
        canon__text(c, "0");
        return;
    }
    canon__text(c, "1");
    canon__long(c, link->claim_id);
    canon__text(c, e->claim.kind);
    canon__text(c, link->claim_loan_id != NULL ? link->claim_loan_id : e->loan_id);
    canon__text(c, e->claim.payer);
    canon__text(c, e->claim.payee);
    canon__date(c, e->claim.claim_date);
    canon__fen(c, e->claim.amount);
    canon__text(c, e->claim.event_id);
}

eng_status led_entry_canonical(char *out, size_t size, size_t *out_len,
                               const led_entry_link *link, const led_entry *e, eng_error *err)
{
    journal__canon c = {out, size, 0, 0};

    assert(out != NULL && out_len != NULL && link != NULL && e != NULL);
    assert(e->n_legs <= LED_LEGS_MAX && e->n_rule_ids <= LED_RULE_IDS_MAX);
    canon__text(&c, JOURNAL__TAG);
    canon__text(&c, link->program);
    canon__long(&c, link->seq);
    canon__text(&c, e->kind);
    canon__optional(&c, e->policy_version);
    canon__long(&c, (long)e->n_rule_ids);
    for (size_t i = 0; i < e->n_rule_ids; i++) {
        canon__text(&c, e->rule_ids[i]);
    }
    canon__text(&c, e->loan_id);
    canon__text(&c, e->event_id);
    canon__optional(&c, e->batch_id);
    canon__optional(&c, e->settlement_id);
    canon__optional(&c, e->reverses_seq);
    canon__date(&c, e->business_date);
    canon__text(&c, link->recorded_at);
    canon__text(&c, link->prev_hash);
    canon__tail(&c, link, e);
    if (c.overflow) {
        return eng_error_set(err, ENG_ELIMIT, "entry %ld of program %s is longer than %zu bytes "
                             "of canonical content", link->seq, link->program, size);
    }
    *out_len = c.len;
    return ENG_OK;
}

eng_status led_entry_hash(char out[LED_SHA256_HEX_SIZE], const led_entry_link *link,
                          const led_entry *e, eng_error *err)
{
    char buf[LED_ENTRY_CANONICAL_MAX];
    size_t len = 0;
    eng_status rc;

    assert(out != NULL);
    rc = led_entry_canonical(buf, sizeof(buf), &len, link, e, err);
    if (rc < 0) {
        return rc;
    }
    assert(len > 0 && len <= sizeof(buf));
    return led_sha256_hex(out, buf, len, err);
}

/* ---- Checks before sending ---------------------------------------------------------- */

/* Debits equal credits for every party of `e`; else names the first party that fails. */
static eng_status journal__balanced(const led_entry *e, const char *program, long seq,
                                    eng_error *err)
{
    for (size_t i = 0; i < e->n_legs; i++) {
        eng_fen debits = 0, credits = 0;
        int seen = 0;
        for (size_t k = 0; k < i && !seen; k++) {
            seen = strcmp(e->legs[k].party, e->legs[i].party) == 0;
        }
        if (seen) {
            continue;
        }
        /* Amounts are at most ENG_FEN_MAX, LED_LEGS_MAX of them: no overflow. */
        for (size_t k = i; k < e->n_legs; k++) {
            if (strcmp(e->legs[k].party, e->legs[i].party) == 0) {
                *(e->legs[k].debit ? &debits : &credits) += e->legs[k].amount;
            }
        }
        if (debits != credits) {
            char d[ENG_FEN_TEXT], c[ENG_FEN_TEXT];
            eng_fen_format(d, sizeof(d), debits);
            eng_fen_format(c, sizeof(c), credits);
            return eng_error_set(err, ENG_EUNBALANCED, "entry %ld of program %s does not "
                                 "balance for party %s: debits %s, credits %s", seq, program,
                                 e->legs[i].party, d, c);
        }
    }
    return ENG_OK;
}

/* The legs: 2..LED_LEGS_MAX, each on a known account with an amount in (0, ENG_FEN_MAX]. */
static eng_status journal__legs_ok(const led_entry *e, const char *program, long seq,
                                   eng_error *err)
{
    if (e->n_legs < 2 || e->n_legs > LED_LEGS_MAX) {
        return eng_error_set(err, ENG_EINVALID, "entry %ld of program %s has %zu legs: an "
                             "entry has 2 to %d", seq, program, e->n_legs, LED_LEGS_MAX);
    }
    for (size_t i = 0; i < e->n_legs; i++) {
        const led_leg *l = &e->legs[i];
        if (!journal__ident(l->party) || !journal__account_kind(l->kind)) {
            return eng_error_set(err, ENG_EINVALID, "entry %ld of program %s: leg %zu has no "
                                 "valid account (party %s, kind %s)", seq, program, i + 1,
                                 l->party != NULL ? l->party : "none",
                                 l->kind != NULL ? l->kind : "none");
        }
        if (l->amount <= 0 || l->amount > ENG_FEN_MAX) {
            return eng_error_set(err, ENG_EINVALID, "entry %ld of program %s: leg %zu has "
                                 "amount %lld fen, not in 1..%lld", seq, program, i + 1,
                                 (long long)l->amount, (long long)ENG_FEN_MAX);
        }
    }
    return ENG_OK;
}

/* The claim, when there is one: kind, parties, date, a positive amount, the entry's loan. */
static eng_status journal__claim_ok(const led_entry *e, const char *program, long seq,
                                    eng_error *err)
{
    const led_claim_spec *c = &e->claim;

    if (!e->has_claim) {
        return ENG_OK;
    }
    if (e->loan_id == NULL || !journal__kind(c->kind) || !journal__ident(c->payer)
        || !journal__payee(c->payee) || !journal__date_ok(c->claim_date)
        || (c->event_id != NULL && !journal__ident(c->event_id))) {
        return eng_error_set(err, ENG_EINVALID, "entry %ld of program %s opens a malformed "
                             "claim (a claim needs the entry's loan, a kind, payer, payee and "
                             "date)", seq, program);
    }
    if (c->amount <= 0 || c->amount > ENG_FEN_MAX) {
        return eng_error_set(err, ENG_EINVALID, "entry %ld of program %s opens a claim of "
                             "%lld fen, not in 1..%lld", seq, program, (long long)c->amount,
                             (long long)ENG_FEN_MAX);
    }
    return ENG_OK;
}

eng_status led_entry_check(const led_entry *e, const char *program, long seq, eng_error *err)
{
    int ids_ok = e->n_rule_ids <= LED_RULE_IDS_MAX;
    eng_status rc;

    assert(e != NULL && program != NULL);
    assert(seq > 0);
    for (size_t i = 0; ids_ok && i < e->n_rule_ids; i++) {
        ids_ok = journal__ident(e->rule_ids[i]);
    }
    if (!journal__kind(e->kind) || !ids_ok || e->policy_version < 0 || e->batch_id < 0
        || e->settlement_id < 0 || e->reverses_seq < 0 || e->reverses_seq >= seq
        || (e->loan_id != NULL && !journal__ident(e->loan_id))
        || (e->event_id != NULL && !journal__ident(e->event_id))
        || !journal__date_ok(e->business_date)) {
        return eng_error_set(err, ENG_EINVALID, "entry %ld of program %s is malformed (kind "
                             "\"%s\"): check its kind, rule ids, loan, event, numbers and date",
                             seq, program, e->kind != NULL ? e->kind : "");
    }
    rc = journal__legs_ok(e, program, seq, err);
    if (rc == ENG_OK) {
        rc = journal__claim_ok(e, program, seq, err);
    }
    if (rc == ENG_OK) {
        rc = journal__balanced(e, program, seq, err);
    }
    return rc;
}

/* ---- The transaction ---------------------------------------------------------------- */

/* Copies the head from the row of led_chain_head(); -1 when a value does not fit. */
static int journal__read_head(led_journal *j, const PGresult *res)
{
    int n_hash = snprintf(j->last_hash, sizeof(j->last_hash), "%s", PQgetvalue(res, 0, 1));
    int n_time = snprintf(j->recorded_at, sizeof(j->recorded_at), "%s", PQgetvalue(res, 0, 3));

    if (led__parse_long(&j->last_seq, PQgetvalue(res, 0, 0)) < 0
        || led__parse_long(&j->last_claim_id, PQgetvalue(res, 0, 2)) < 0
        || n_hash != LED_SHA256_HEX_SIZE - 1 || n_time != LED_RECORDED_AT_SIZE - 1) {
        return -1;
    }
    return 0;
}

/* Locks and reads the head of j->program inside the open transaction. */
static eng_status journal__lock_head(led_journal *j, eng_error *err)
{
    const char *params[1] = {j->program};
    PGresult *res = NULL;
    eng_status rc;

    rc = led__query(&res, j->db, "SELECT last_seq, last_hash, last_claim_id, recorded_at"
                    " FROM led_chain_head($1)", 1, params, err);
    if (rc < 0) {
        return rc;
    }
    if (PQntuples(res) != 1) {
        rc = eng_error_set(err, ENG_EINVALID, "program %s has no policy loaded", j->program);
    } else if (journal__read_head(j, res) < 0) {
        rc = eng_error_set(err, ENG_ERROR, "the chain head of program %s does not read back",
                           j->program);
    }
    PQclear(res);
    return rc;
}

eng_status led_journal_begin(led_journal **out, led_db *db, const char *program,
                             eng_error *err)
{
    led_journal *j;
    eng_status rc;

    assert(out != NULL && db != NULL && program != NULL);
    assert(!db->copy_open);
    assert(PQtransactionStatus(db->conn) != PQTRANS_INTRANS
           && PQtransactionStatus(db->conn) != PQTRANS_INERROR);
    if (!journal__program(program)) {
        return eng_error_set(err, ENG_EINVALID, "invalid program id \"%.64s\"", program);
    }
    j = calloc(1, sizeof(*j));
    if (j == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    j->db = db;
    snprintf(j->program, sizeof(j->program), "%s", program);
    rc = led__exec(db, "BEGIN", err);
    if (rc == ENG_OK) {
        rc = journal__lock_head(j, err);
        if (rc < 0) {
            led__rollback(db);
        }
    }
    if (rc < 0) {
        free(j);
        return rc;
    }
    assert(j->last_seq >= 0 && j->last_claim_id >= 0);
    *out = j;
    return ENG_OK;
}

eng_status led_journal_commit(led_journal *j, eng_error *err)
{
    PGresult *res;
    eng_status rc = ENG_OK;

    assert(j != NULL && j->db != NULL);
    assert(!j->db->copy_open);
    if (j->failed) {
        led__rollback(j->db);
        free(j);
        return eng_error_set(err, ENG_ERROR, "the journal's transaction failed earlier: "
                             "nothing was recorded");
    }
    res = PQexec(j->db->conn, "COMMIT");
    if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = led__fail(err, j->db, res, "journal not recorded");
    }
    PQclear(res);
    if (rc < 0) {
        led__rollback(j->db);
    }
    free(j);
    return rc;
}

void led_journal_abort(led_journal *j)
{
    if (j == NULL) {
        return;
    }
    led__rollback(j->db);
    free(j);
}

long led_journal_last_seq(const led_journal *j)
{
    return j->last_seq;
}

const char *led_journal_last_hash(const led_journal *j)
{
    return j->last_hash;
}

long led_journal_last_claim_id(const led_journal *j)
{
    return j->last_claim_id;
}

const char *led_journal_recorded_at(const led_journal *j)
{
    return j->recorded_at;
}

/* ---- Writing -------------------------------------------------------------------------- */

/* Where a pass starts: the head before the write. */
typedef struct {
    long seq;                   /* the last seq before the write */
    long claim_id;              /* the last claim id before the write */
} journal__start;

/* Asks the source for the entries of `item` into j->items. */
static eng_status journal__produce(led_journal *j, led_entry_source src, void *ctx, size_t item,
                                   size_t *n_out, eng_error *err)
{
    size_t n = 0;
    eng_status rc;

    rc = src(ctx, item, j->items, LED_ITEM_ENTRIES_MAX, &n, err);
    if (rc < 0) {
        return rc;
    }
    if (n > LED_ITEM_ENTRIES_MAX) {
        return eng_error_set(err, ENG_ELIMIT, "item %zu has %zu entries: at most %d", item, n,
                             LED_ITEM_ENTRIES_MAX);
    }
    *n_out = n;
    return ENG_OK;
}

/* Adds entry `e` to `t`. */
static void journal__count(journal__tally *t, const led_entry *e)
{
    t->entries++;
    t->legs += e->n_legs;
    for (size_t i = 0; i < e->n_legs; i++) {
        t->amounts += (uint64_t)e->legs[i].amount;
    }
    if (e->has_claim) {
        t->claims++;
        t->amounts += (uint64_t)e->claim.amount;
    }
}

/* The rule ids as a PostgreSQL array literal, each element quoted: {"a","b"}. */
static void journal__rule_array(char *out, size_t size, const led_entry *e)
{
    size_t n = 0;

    assert(size >= 3 + e->n_rule_ids * (ENG_ID_MAX + 3));
    out[n++] = '{';
    for (size_t i = 0; i < e->n_rule_ids; i++) {
        size_t len = strlen(e->rule_ids[i]);    /* checked: an ident, nothing to escape */
        if (i > 0) {
            out[n++] = ',';
        }
        out[n++] = '"';
        memcpy(out + n, e->rule_ids[i], len);
        n += len;
        out[n++] = '"';
    }
    out[n++] = '}';
    out[n] = '\0';
}

/* Sends one row of entries: the entry `e` as `seq` with its `hash`. */
static eng_status journal__entry_row(led_journal *j, const led_entry *e, long seq,
                                     const char *hash, eng_error *err)
{
    char line[JOURNAL__ROW_MAX];
    char rules[3 + LED_RULE_IDS_MAX * (ENG_ID_MAX + 3)];
    led_copy_row row;

    journal__rule_array(rules, sizeof(rules), e);
    led_copy_row_init(&row, line, sizeof(line));
    led_copy_row_text(&row, j->program);
    led_copy_row_long(&row, seq);
    led_copy_row_text(&row, e->kind);
    if (e->policy_version > 0) {
        led_copy_row_long(&row, e->policy_version);
    } else {
        led_copy_row_text(&row, NULL);
    }
    led_copy_row_text(&row, rules);
    led_copy_row_text(&row, e->loan_id);
    led_copy_row_text(&row, e->event_id);
    long refs[3] = {e->batch_id, e->settlement_id, e->reverses_seq};
    for (size_t i = 0; i < 3; i++) {
        if (refs[i] > 0) {
            led_copy_row_long(&row, refs[i]);
        } else {
            led_copy_row_text(&row, NULL);
        }
    }
    led_copy_row_date(&row, e->business_date);
    led_copy_row_text(&row, j->last_hash);
    led_copy_row_text(&row, hash);
    led_copy_row_long(&row, (long)e->n_legs);
    return led_copy_row_put(j->db, &row, err);
}

/* Pass 1 for one entry: check, number, hash onto the head, send, advance the head. */
static eng_status journal__put_entry(led_journal *j, const led_entry *e, journal__tally *t,
                                     eng_error *err)
{
    char hash[LED_SHA256_HEX_SIZE];
    long seq = j->last_seq + 1;
    led_entry_link link = {j->program, seq, j->recorded_at, j->last_hash,
                           e->has_claim ? j->last_claim_id + 1 : 0, NULL};
    eng_status rc;

    rc = led_entry_check(e, j->program, seq, err);
    if (rc == ENG_OK) {
        rc = led_entry_hash(hash, &link, e, err);
    }
    if (rc == ENG_OK) {
        rc = journal__entry_row(j, e, seq, hash, err);
    }
    if (rc < 0) {
        return rc;
    }
    j->last_seq = seq;
    memcpy(j->last_hash, hash, sizeof(hash));
    j->last_claim_id += e->has_claim ? 1 : 0;
    journal__count(t, e);
    return ENG_OK;
}

/* Sends the legs of `e`, recorded as `seq`. */
static eng_status journal__posting_rows(led_journal *j, const led_entry *e, long seq,
                                        eng_error *err)
{
    char line[JOURNAL__ROW_MAX];
    led_copy_row row;
    eng_status rc = ENG_OK;

    for (size_t i = 0; rc == ENG_OK && i < e->n_legs; i++) {
        led_copy_row_init(&row, line, sizeof(line));
        led_copy_row_text(&row, j->program);
        led_copy_row_long(&row, seq);
        led_copy_row_long(&row, (long)i + 1);
        led_copy_row_text(&row, e->legs[i].party);
        led_copy_row_text(&row, e->legs[i].kind);
        led_copy_row_text(&row, e->legs[i].debit ? "debit" : "credit");
        led_copy_row_fen(&row, e->legs[i].amount);
        rc = led_copy_row_put(j->db, &row, err);
    }
    return rc;
}

/* Sends the claim `e` opens, numbered `claim_id`, opened by entry `seq`. */
static eng_status journal__claim_row(led_journal *j, const led_entry *e, long seq, long claim_id,
                                     eng_error *err)
{
    char line[JOURNAL__ROW_MAX];
    led_copy_row row;

    led_copy_row_init(&row, line, sizeof(line));
    led_copy_row_text(&row, j->program);
    led_copy_row_long(&row, claim_id);
    led_copy_row_text(&row, e->claim.kind);
    led_copy_row_text(&row, e->loan_id);
    led_copy_row_text(&row, e->claim.payer);
    led_copy_row_text(&row, e->claim.payee);
    led_copy_row_date(&row, e->claim.claim_date);
    led_copy_row_fen(&row, e->claim.amount);
    led_copy_row_long(&row, seq);
    led_copy_row_text(&row, e->claim.event_id);
    return led_copy_row_put(j->db, &row, err);
}

/* Which COPY a pass feeds. */
enum { JOURNAL__ENTRIES = 1, JOURNAL__POSTINGS = 2, JOURNAL__CLAIMS = 3 };

static const char *const journal__copy_sql[] = {
    NULL,
    /* recorded_at is left to its default, now(): the time the hashes use (led_chain_head). */
    "COPY entries (program, seq, kind, policy_version, rule_ids, loan_id, event_id, batch_id,"
    " settlement_id, reverses_seq, business_date, prev_hash, hash, legs) FROM STDIN",
    "COPY postings (program, seq, leg, party, kind, side, amount) FROM STDIN",
    "COPY claims (program, claim_id, kind, loan_id, payer, payee, claim_date, amount, seq,"
    " event_id) FROM STDIN",
};

/* Sends what pass `pass` sends of entry `e`, numbered from `*at` (which it advances). */
static eng_status journal__put(led_journal *j, int pass, const led_entry *e, journal__start *at,
                               journal__tally *t, eng_error *err)
{
    eng_status rc = ENG_OK;

    if (pass == JOURNAL__ENTRIES) {
        return journal__put_entry(j, e, t, err);
    }
    at->seq++;
    at->claim_id += e->has_claim ? 1 : 0;
    if (pass == JOURNAL__POSTINGS) {
        rc = journal__posting_rows(j, e, at->seq, err);
    } else if (e->has_claim) {
        rc = journal__claim_row(j, e, at->seq, at->claim_id, err);
    }
    journal__count(t, e);
    return rc;
}

/* One pass: one COPY, every item's entries regenerated from the source. */
static eng_status journal__pass(led_journal *j, int pass, size_t n_items, led_entry_source src,
                                void *ctx, journal__start at, journal__tally *t, eng_error *err)
{
    eng_status rc = led_copy_begin(j->db, journal__copy_sql[pass], err);

    for (size_t item = 0; rc == ENG_OK && item < n_items; item++) {
        size_t n = 0;
        rc = journal__produce(j, src, ctx, item, &n, err);
        for (size_t k = 0; rc == ENG_OK && k < n; k++) {
            rc = journal__put(j, pass, &j->items[k], &at, t, err);
        }
    }
    if (rc < 0) {
        led_copy_abort(j->db, "the journal stopped writing");
        return rc;
    }
    return led_copy_end(j->db, err);
}

/* A later pass saw other entries than the first: the source is not deterministic. */
static eng_status journal__same(const journal__tally *first, const journal__tally *later, int pass,
                                eng_error *err)
{
    if (first->entries == later->entries && first->legs == later->legs
        && first->claims == later->claims && first->amounts == later->amounts) {
        return ENG_OK;
    }
    return eng_error_set(err, ENG_ERROR, "the entry source gave other entries in pass %d "
                         "(%zu entries, %zu legs, %zu claims) than in pass 1 (%zu, %zu, %zu)",
                         pass, later->entries, later->legs, later->claims, first->entries,
                         first->legs, first->claims);
}

eng_status led_journal_write(led_journal *j, size_t n_items, led_entry_source src, void *ctx,
                             eng_error *err)
{
    journal__start start;
    journal__tally first = {0}, later = {0};
    eng_status rc;

    assert(j != NULL && src != NULL);
    assert(!j->db->copy_open);
    if (j->failed) {
        return eng_error_set(err, ENG_ERROR, "the journal's transaction failed earlier: "
                             "abort it");
    }
    if (n_items == 0) {
        return ENG_OK;
    }
    start.seq = j->last_seq;
    start.claim_id = j->last_claim_id;
    rc = journal__pass(j, JOURNAL__ENTRIES, n_items, src, ctx, start, &first, err);
    if (rc == ENG_OK && first.entries > 0) {
        rc = journal__pass(j, JOURNAL__POSTINGS, n_items, src, ctx, start, &later, err);
        rc = rc == ENG_OK ? journal__same(&first, &later, JOURNAL__POSTINGS, err) : rc;
    }
    if (rc == ENG_OK && first.claims > 0) {
        memset(&later, 0, sizeof(later));
        rc = journal__pass(j, JOURNAL__CLAIMS, n_items, src, ctx, start, &later, err);
        rc = rc == ENG_OK ? journal__same(&first, &later, JOURNAL__CLAIMS, err) : rc;
    }
    if (rc < 0) {
        j->failed = 1;
        led__rollback(j->db);
        return rc;
    }
    assert(j->last_seq == start.seq + (long)first.entries);
    assert(j->last_claim_id == start.claim_id + (long)first.claims);
    return ENG_OK;
}
