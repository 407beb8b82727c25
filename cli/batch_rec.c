/*
 * batch_rec.c -- recording a decided batch (DESIGN 6, 7): the batch row, every
 * admitted loan with its version, terms rule, shares and trace, every
 * rejection (for the report of a repeated submit), and through the journal
 * the guarantee-fee and fee-subsidy entries with their claims.  Each admitted
 * loan streams to COPY as it is decided; nothing is held per loan but its
 * compact decision.
 */
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "batch_store.h"
#include "copy.h"
#include "journal.h"

/* A growable byte buffer for one COPY row. */
typedef struct {
    char *p;
    size_t len, cap;
} sbuf;

static void sb_grow(sbuf *b, size_t more)
{
    if (b->len + more + 1 <= b->cap) {
        return;
    }
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more + 1) {
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (p == NULL) {
        abort(); /* one row's buffer: out of memory here is fatal */
    }
    b->p = p;
    b->cap = cap;
}

static void sb_raw(sbuf *b, const char *s, size_t n)
{
    sb_grow(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s)
{
    sb_raw(b, s, strlen(s));
}

/* A COPY text field: backslash, tab, newline and carriage return escaped. */
static void sb_field(sbuf *b, const char *s)
{
    while (*s) {
        size_t run = strcspn(s, "\\\t\n\r"); /* copied in runs: this is per loan */
        sb_raw(b, s, run);
        s += run;
        if (*s) {
            const char *esc = *s == '\\' ? "\\\\" : *s == '\t' ? "\\t" : *s == '\n' ? "\\n" : "\\r";
            sb_raw(b, esc, 2);
            s++;
        }
    }
}

/* A JSON string inside a COPY field (JSON escapes, then COPY escapes). */
static void sb_json_str(sbuf *b, const char *s)
{
    sb_raw(b, "\"", 1);
    for (const unsigned char *c = (const unsigned char *)s; *c;) {
        size_t run = 0;
        while (c[run] >= 0x20 && c[run] != '"' && c[run] != '\\') {
            run++;
        }
        sb_raw(b, (const char *)c, run);
        c += run;
        if (*c) {
            char tmp[8];
            if (*c == '"' || *c == '\\') {
                snprintf(tmp, sizeof(tmp), "\\%c", *c);
            } else {
                snprintf(tmp, sizeof(tmp), "\\u%04x", *c);
            }
            sb_field(b, tmp);
            c++;
        }
    }
    sb_raw(b, "\"", 1);
}

static void sb_fen(sbuf *b, eng_fen v)
{
    char t[ENG_FEN_TEXT];
    eng_fen_format(t, sizeof(t), v);
    sb_str(b, t);
}

static void sb_q(sbuf *b, const mpq_t q)
{
    char *s = eng_q_format(q);
    sb_str(b, s ? s : "0");
    free(s);
}

/*
 * A ratio as the `ratio` domain takes it: the file's own text when it is a plain
 * decimal (most are: no formatting, no allocation), else the exact value formatted.
 */
static void sb_ratio(sbuf *b, const char *text, const mpq_t q)
{
    size_t n = strspn(text, "0123456789.");
    if (text[n] == '\0' && n > 0 && text[0] != '.' && text[n - 1] != '.') {
        sb_raw(b, text, n);
    } else {
        sb_q(b, q);
    }
}

static void sb_long(sbuf *b, long v)
{
    char t[24];
    snprintf(t, sizeof(t), "%ld", v);
    sb_str(b, t);
}

static void sb_date(sbuf *b, eng_date d)
{
    char t[11];
    eng_date_format(t, d);
    sb_str(b, t);
}

/* The JSON value of loan field `f` of `row`. */
static void sb_input(sbuf *b, const cli_loan_row *row, const eng_loan *loan, eng_field f)
{
    switch (f) {
    case ENG_F_TECH_STATUS: sb_json_str(b, row->tech_status); return;
    case ENG_F_SECTOR: sb_json_str(b, row->sector); return;
    case ENG_F_CREDIT_GRADE: sb_json_str(b, row->credit_grade); return;
    case ENG_F_BANK: sb_json_str(b, row->bank); return;
    case ENG_F_GUARANTOR:
        if (row->guarantor) {
            sb_json_str(b, row->guarantor);
        } else {
            sb_str(b, "null");
        }
        return;
    case ENG_F_BORROWER_CODE: sb_json_str(b, row->borrower_code); return;
    case ENG_F_PRINCIPAL: sb_raw(b, "\"", 1); sb_fen(b, row->principal); sb_raw(b, "\"", 1); return;
    case ENG_F_REVENUE: sb_raw(b, "\"", 1); sb_fen(b, row->revenue); sb_raw(b, "\"", 1); return;
    case ENG_F_ANNUAL_RATE: sb_raw(b, "\"", 1); sb_q(b, loan->annual_rate); sb_raw(b, "\"", 1); return;
    case ENG_F_COLLATERAL_RATIO:
        sb_raw(b, "\"", 1);
        sb_q(b, loan->collateral_ratio);
        sb_raw(b, "\"", 1);
        return;
    case ENG_F_TERM_MONTHS: sb_long(b, row->term_months); return;
    case ENG_F_FIRST_LOAN: sb_str(b, row->first_loan ? "true" : "false"); return;
    case ENG_F_START_DATE: sb_raw(b, "\"", 1); sb_date(b, row->start_date); sb_raw(b, "\"", 1); return;
    case ENG_F_DIRECT: sb_str(b, row->guarantor ? "false" : "true"); return;
    case ENG_F__COUNT: break;
    }
}

/* Marks the fields `set` reads. */
static void fields_of(int used[ENG_F__COUNT], const eng_condset *set)
{
    for (size_t i = 0; i < set->n_conds; i++) {
        used[set->conds[i].field] = 1;
    }
}

/*
 * The trace kept with a loan: its version, its terms rule, and the inputs that
 * decided (the fields the rule's `when` reads, and `direct`); it passed every
 * eligibility rule of its version.  Kept small: a million loans carry one.
 */
static void sb_trace(sbuf *b, const cli_loan_row *row, const eng_loan *loan, const eng_policy *p,
                     int rule, const eng_terms_result *t)
{
    int used[ENG_F__COUNT] = {0};
    sb_str(b, "{\"version\": ");
    sb_long(b, p->version);
    sb_str(b, ", \"rule\": ");
    sb_json_str(b, p->terms.rules[rule].id);
    sb_str(b, ", \"inputs\": {");
    if (p->terms.rules[rule].has_when) {
        fields_of(used, &p->terms.rules[rule].when);
    }
    used[ENG_F_DIRECT] = 1; /* decides who is the claimant and whether a fee is charged */
    for (int f = 0, shown = 0; f < ENG_F__COUNT; f++) {
        if (used[f]) {
            sb_str(b, shown++ ? ", \"" : "\"");
            sb_str(b, eng_field_name((eng_field)f));
            sb_str(b, "\": ");
            sb_input(b, row, loan, (eng_field)f);
        }
    }
    sb_str(b, "}, \"fee_rate\": ");
    sb_str(b, row->fee_rate ? "\"loan\"" : t->fee_rate.set ? "\"policy\"" : "null");
    sb_str(b, "}");
}

/* `{"party": "ratio", ...}` of the nonzero shares, in party order. */
static void sb_shares(sbuf *b, const eng_policy *p, const eng_terms_result *t)
{
    sb_str(b, "{");
    for (size_t k = 0, shown = 0; k < p->n_parties; k++) {
        if (mpq_sgn(t->share[k]) == 0) {
            continue;
        }
        sb_str(b, shown++ ? ", " : "");
        sb_json_str(b, p->parties[k].id);
        sb_str(b, ": \"");
        sb_q(b, t->share[k]);
        sb_str(b, "\"");
    }
    sb_str(b, "}");
}

/* One admitted loan, decided as `loan` with terms `t`, as a COPY row of `loans`. */
static void loan_row(sbuf *b, const cli_batch_run *run, size_t i, const eng_loan *loan,
                     const eng_terms_result *t)
{
    const cli_loan_row *row = &run->file.rows[i];
    const cli_batch_decision *d = &run->decisions[i];
    const eng_policy *p = run->versions[d->version];

    b->len = 0;
    sb_field(b, run->program);
    sb_str(b, "\t");
    sb_field(b, row->loan_id);
    sb_str(b, "\t");
    sb_field(b, run->agency);
    sb_str(b, "\t");
    sb_long(b, run->batch_id);
    sb_str(b, "\t");
    sb_long(b, (long)row->line);
    sb_str(b, "\t");
    sb_long(b, p->version);
    sb_str(b, "\t");
    sb_field(b, p->terms.rules[d->rule].id);
    sb_str(b, "\t");
    sb_shares(b, p, t);
    sb_str(b, "\t");
    sb_trace(b, row, loan, p, d->rule, t);
    const char *texts[] = {row->borrower_code, row->borrower_name, row->tech_status, row->sector,
                           row->credit_grade};
    for (size_t k = 0; k < 5; k++) {
        sb_str(b, "\t");
        sb_field(b, texts[k]);
    }
    sb_str(b, "\t");
    if (row->has_revenue) {
        sb_fen(b, row->revenue);
    } else {
        sb_str(b, "\\N");
    }
    sb_str(b, "\t");
    sb_field(b, row->bank);
    sb_str(b, "\t");
    if (row->guarantor != NULL) {
        sb_field(b, row->guarantor);
    } else {
        sb_str(b, "\\N");
    }
    sb_str(b, "\t");
    sb_fen(b, row->principal);
    sb_str(b, "\t");
    sb_ratio(b, row->annual_rate, loan->annual_rate);
    sb_str(b, "\t");
    sb_ratio(b, row->collateral_ratio, loan->collateral_ratio);
    sb_str(b, "\t");
    sb_date(b, row->start_date);
    sb_str(b, "\t");
    sb_long(b, row->term_months);
    sb_str(b, row->first_loan ? "\ttrue\t" : "\tfalse\t");
    if (row->guarantor && t->fee_rate.set) {
        sb_q(b, t->fee_rate.v);
    } else {
        sb_str(b, "0");
    }
    sb_str(b, "\t");
    sb_fen(b, d->guarantee_fee);
    sb_str(b, "\t");
    sb_fen(b, d->fee_subsidy);
    sb_str(b, "\n");
}

/*
 * Loans stream to COPY as they are decided (cli_batch_record_begin, _loan,
 * _loans_end): the server stores one loan while the next is decided.
 */
eng_status cli_batch_record_begin(cli_batch_run *run, led_db *db, eng_error *err)
{
    /*
     * Written by the connecting (owner) role with the agency in every row: PostgreSQL
     * cannot COPY into a table under row-level security, and the agency role's row
     * policies govern what an agency reads (docs/database.md).
     */
    eng_status rc = led_batch_insert(&run->batch_id, db, run->program, run->agency, run->path,
                                     run->sha256, err);
    if (rc != ENG_OK) {
        return rc;
    }
    return led_copy_begin(db,
                          "COPY loans (program, loan_id, agency, batch_id, line_no,"
                          " policy_version, terms_rule, shares, trace, borrower_code,"
                          " borrower_name, tech_status, sector, credit_grade, revenue,"
                          " bank, guarantor, principal, annual_rate, collateral_ratio,"
                          " start_date, term_months, first_loan, fee_rate,"
                          " guarantee_fee, fee_subsidy) FROM STDIN",
                          err);
}

eng_status cli_batch_record_loan(cli_batch_run *run, led_db *db, size_t i, const eng_loan *loan,
                                 const eng_terms_result *t, eng_error *err)
{
    sbuf b = {run->row, 0, run->row_cap};
    loan_row(&b, run, i, loan, t);
    run->row = b.p;
    run->row_cap = b.cap;
    return led_copy_put(db, b.p, b.len, err);
}

static eng_status copy_rejections(cli_batch_run *run, led_db *db, eng_error *err)
{
    sbuf b = {0};
    eng_status rc = led_copy_begin(db,
                                   "COPY batch_rejections (program, batch_id, line_no, loan_id,"
                                   " agency, reasons) FROM STDIN",
                                   err);
    for (size_t i = 0; rc == ENG_OK && i < run->file.n_rows; i++) {
        if (run->decisions[i].admitted) {
            continue;
        }
        b.len = 0;
        sb_field(&b, run->program);
        sb_str(&b, "\t");
        sb_long(&b, run->batch_id);
        sb_str(&b, "\t");
        sb_long(&b, (long)run->file.rows[i].line);
        sb_str(&b, "\t");
        sb_field(&b, run->file.rows[i].loan_id);
        sb_str(&b, "\t");
        sb_field(&b, run->agency);
        sb_str(&b, "\t");
        sb_field(&b, run->reasons + run->decisions[i].reasons);
        sb_str(&b, "\n");
        rc = led_copy_put(db, b.p, b.len, err);
    }
    if (rc == ENG_OK) {
        rc = led_copy_end(db, err);
    }
    free(b.p);
    return rc;
}

/* The journal's view of the batch: item k is the k-th admitted loan. */
typedef struct {
    const cli_batch_run *run;
    size_t *admitted;  /* row index of each admitted loan */
    char payee[32];
} entry_src;

/* The first pool in party order: it pays subsidies (DESIGN 10). */
static const char *first_pool(const eng_policy *p)
{
    for (size_t k = 0; k < p->n_parties; k++) {
        if (p->parties[k].kind == ENG_PARTY_POOL) {
            return p->parties[k].id;
        }
    }
    return NULL;
}

static eng_status loan_entries(void *ctx, size_t item, led_entry *out, size_t cap,
                               size_t *n_out, eng_error *err)
{
    entry_src *s = ctx;
    size_t i = s->admitted[item];
    const cli_loan_row *row = &s->run->file.rows[i];
    const cli_batch_decision *d = &s->run->decisions[i];
    const eng_policy *p = s->run->versions[d->version];
    size_t n = 0;
    (void)err;

    if (cap < 2) {
        return eng_error_set(err, ENG_ERROR, "journal source needs room for 2 entries");
    }
    led_entry base = {
        .policy_version = p->version, .rule_ids = {p->terms.rules[d->rule].id}, .n_rule_ids = 1,
        .loan_id = row->loan_id, .batch_id = s->run->batch_id, .business_date = row->start_date,
    };
    if (d->guarantee_fee > 0) {
        out[n] = base;
        out[n].kind = "guarantee_fee";
        out[n].n_legs = 2;
        out[n].legs[0] = (led_leg){row->guarantor, "cash", 1, d->guarantee_fee};
        out[n].legs[1] = (led_leg){row->guarantor, "fee_income", 0, d->guarantee_fee};
        n++;
    }
    if (d->fee_subsidy > 0) {
        const char *pool = first_pool(p);
        snprintf(s->payee, sizeof(s->payee), "borrower:%s", row->borrower_code);
        out[n] = base;
        out[n].kind = "fee_subsidy";
        out[n].n_legs = 2;
        out[n].legs[0] = (led_leg){pool, "subsidy_expense", 1, d->fee_subsidy};
        out[n].legs[1] = (led_leg){pool, "payable", 0, d->fee_subsidy};
        out[n].has_claim = 1;
        out[n].claim = (led_claim_spec){"fee_subsidy", pool, s->payee, row->start_date,
                                        d->fee_subsidy, NULL};
        n++;
    }
    *n_out = n;
    return ENG_OK;
}

eng_status cli_batch_record_loans_end(led_db *db, eng_error *err)
{
    return led_copy_end(db, err);
}

eng_status cli_batch_record_finish(cli_batch_run *run, led_db *db, led_journal *j,
                                   eng_error *err)
{
    entry_src src = {.run = run};
    eng_status rc = ENG_OK;
    if (run->n_admitted < run->file.n_rows) {
        rc = copy_rejections(run, db, err);
    }
    if (rc == ENG_OK) {
        src.admitted = malloc((run->n_admitted + 1) * sizeof(size_t));
        if (src.admitted == NULL) {
            rc = eng_error_set(err, ENG_ERROR, "out of memory");
        }
    }
    for (size_t i = 0, k = 0; rc == ENG_OK && i < run->file.n_rows; i++) {
        if (run->decisions[i].admitted) {
            src.admitted[k++] = i;
        }
    }
    if (rc == ENG_OK) {
        rc = led_journal_write(j, run->n_admitted, loan_entries, &src, err);
    }
    free(src.admitted);
    return rc;
}
