/*
 * normalise.c -- the normalised text of a policy (`policy check` prints it).
 *
 * Every key in the order of DESIGN 4, defaults made explicit, numbers exact
 * (a finite decimal or a reduced fraction), strings double-quoted.  Two
 * files that mean the same policy normalise to the same text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"

/* Writes `s` as a double-quoted YAML string. */
static void put_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\') {
            fprintf(f, "\\%c", *c);
        } else if (*c < 0x20) {
            fprintf(f, "\\x%02x", *c);
        } else {
            fputc(*c, f);
        }
    }
    fputc('"', f);
}

static void put_q(FILE *f, const mpq_t q)
{
    char *s = eng_q_format(q);
    fprintf(f, "\"%s\"", s ? s : "?");
    free(s);
}

static void put_fen(FILE *f, eng_fen v)
{
    char buf[ENG_FEN_TEXT];
    eng_fen_format(buf, sizeof(buf), v);
    fprintf(f, "\"%s\"", buf);
}

static void put_date(FILE *f, eng_date d)
{
    char buf[11];
    eng_date_format(buf, d);
    fputs(buf, f);
}

static void put_value(FILE *f, const eng_value *v, eng_field field)
{
    switch (eng_field_type_of(field)) {
    case ENG_FT_TEXT: put_str(f, v->text); break;
    case ENG_FT_NUMBER: put_q(f, v->num); break;
    case ENG_FT_BOOL: fputs(v->boolean ? "true" : "false", f); break;
    case ENG_FT_DATE: put_date(f, v->date); break;
    }
}

/* Writes a condition as an operator map: `{in: [a, b], le: "5"}`. */
static void put_cond(FILE *f, const eng_cond *c)
{
    fputc('{', f);
    for (size_t t = 0; t < c->n_tests; t++) {
        const eng_test *test = &c->tests[t];
        int list = test->op == ENG_OP_IN || test->op == ENG_OP_NOT_IN || test->op == ENG_OP_BETWEEN;
        fprintf(f, "%s%s: %s", t ? ", " : "", eng_op_name(test->op), list ? "[" : "");
        for (size_t v = 0; v < test->n_values; v++) {
            fputs(v ? ", " : "", f);
            put_value(f, &test->values[v], c->field);
        }
        fputs(list ? "]" : "", f);
    }
    fputc('}', f);
}

static void put_condset(FILE *f, const eng_condset *s)
{
    fputc('{', f);
    for (size_t i = 0; i < s->n_conds; i++) {
        fprintf(f, "%s%s: ", i ? ", " : "", eng_field_name(s->conds[i].field));
        put_cond(f, &s->conds[i]);
    }
    fputc('}', f);
}

static void put_outputs(FILE *f, const eng_policy *p, const eng_terms_out *o, const char *ind)
{
    if (o->n_shares > 0) {
        fprintf(f, "%sshares: {", ind);
        for (size_t i = 0; i < o->n_shares; i++) {
            int t = o->shares[i].target;
            const char *key = t == ENG_SHARE_BANK ? "bank"
                              : t == ENG_SHARE_GUARANTOR ? "guarantor" : p->parties[t].id;
            fprintf(f, "%s%s: ", i ? ", " : "", key);
            put_q(f, o->shares[i].ratio);
        }
        fputs("}\n", f);
    }
    const struct {
        const char *key;
        const eng_opt_q *q;
        const eng_opt_fen *fen;
    } outs[] = {
        {"fee_rate", &o->fee_rate, NULL},
        {"fee_rate_cap", &o->fee_rate_cap, NULL},
        {"fee_subsidy", &o->fee_subsidy, NULL},
        {"fee_subsidy_cap", NULL, &o->fee_subsidy_cap},
        {"interest_subsidy", &o->interest_subsidy, NULL},
        {"interest_subsidy_cap", NULL, &o->interest_subsidy_cap},
    };
    for (size_t i = 0; i < sizeof(outs) / sizeof(outs[0]); i++) {
        if (outs[i].q != NULL && outs[i].q->set) {
            fprintf(f, "%s%s: ", ind, outs[i].key);
            put_q(f, outs[i].q->v);
            fputc('\n', f);
        } else if (outs[i].fen != NULL && outs[i].fen->set) {
            fprintf(f, "%s%s: ", ind, outs[i].key);
            put_fen(f, outs[i].fen->v);
            fputc('\n', f);
        }
    }
}

static void put_header(FILE *f, const eng_policy *p)
{
    fprintf(f, "program: %s\nversion: %ld\ntitle: ", p->program, p->version);
    put_str(f, p->title);
    fputs("\nlegal_ref: ", f);
    put_str(f, p->legal_ref);
    fputs("\neffective_from: ", f);
    put_date(f, p->effective_from);
    if (p->has_effective_to) {
        fputs("\neffective_to: ", f);
        put_date(f, p->effective_to);
    }
    fprintf(f, "\ncurrency: %s\nrounding: %s\nparties:\n", p->currency,
            eng_rounding_name(p->rounding));
    for (size_t i = 0; i < p->n_parties; i++) {
        fprintf(f, "  - {id: %s, kind: %s, name: ", p->parties[i].id,
                eng_party_kind_name(p->parties[i].kind));
        put_str(f, p->parties[i].name);
        fputs("}\n", f);
    }
    fputs(p->n_eligibility ? "eligibility:\n" : "eligibility: []\n", f);
    for (size_t i = 0; i < p->n_eligibility; i++) {
        const eng_elig_rule *r = &p->eligibility[i];
        fprintf(f, "  - {id: %s, ", r->id);
        if (r->is_aggregate) {
            fputs("aggregate: {per: borrower, outstanding_principal: ", f);
            put_cond(f, &r->aggregate);
            fputs("}}\n", f);
        } else {
            fputs("require: ", f);
            put_condset(f, &r->require);
            fputs("}\n", f);
        }
    }
}

static void put_terms(FILE *f, const eng_policy *p)
{
    fprintf(f, "terms:\n  hit: %s\n  defaults:%s\n",
            p->terms.hit == ENG_HIT_FIRST ? "first" : "unique",
            p->terms.defaults.n_shares || p->terms.defaults.fee_rate.set ||
                    p->terms.defaults.fee_rate_cap.set || p->terms.defaults.fee_subsidy.set ||
                    p->terms.defaults.fee_subsidy_cap.set || p->terms.defaults.interest_subsidy.set ||
                    p->terms.defaults.interest_subsidy_cap.set
                ? ""
                : " {}");
    put_outputs(f, p, &p->terms.defaults, "    ");
    fputs("  rules:\n", f);
    for (size_t i = 0; i < p->terms.n_rules; i++) {
        const eng_terms_rule *r = &p->terms.rules[i];
        fprintf(f, "    - id: %s\n", r->id);
        if (r->has_when) {
            fputs("      when: ", f);
            put_condset(f, &r->when);
            fputc('\n', f);
        }
        put_outputs(f, p, &r->out, "      ");
    }
}

static void put_caps(FILE *f, const eng_policy *p)
{
    static const char *const pers[] = {"loan", "year", "bank_year", "program"};
    fputs(p->n_caps ? "caps:\n" : "caps: []\n", f);
    for (size_t i = 0; i < p->n_caps; i++) {
        const eng_cap *c = &p->caps[i];
        fprintf(f, "  - {party: %s, per: %s", p->parties[c->party].id, pers[c->per]);
        if (c->amount.set) {
            fputs(", amount: ", f);
            put_fen(f, c->amount.v);
        }
        if (c->pct.set) {
            fprintf(f, ", %s: ", c->per == ENG_CAP_BANK_YEAR ? "pct_of_prior_year_outstanding"
                                                             : "pct_of_admitted_principal");
            put_q(f, c->pct.v);
        }
        fputs("}\n", f);
    }
    const eng_residual *r = &p->residual;
    fprintf(f, "residual: %s\n",
            r->kind == ENG_RESIDUAL_CLAIMANT ? "claimant"
            : r->kind == ENG_RESIDUAL_BANK   ? "bank"
            : r->kind == ENG_RESIDUAL_GUARANTOR ? "guarantor" : p->parties[r->party].id);
    if (p->loss_basis.kind == ENG_LOSS_PRINCIPAL) {
        fputs("loss_basis: {kind: principal}\n", f);
    } else {
        fprintf(f, "loss_basis: {kind: principal_plus_interest, interest_days_cap: %d}\n",
                p->loss_basis.interest_days_cap);
    }
}

static void put_tail(FILE *f, const eng_policy *p)
{
    static const char *const scopes[] = {"bank", "guarantor", "program"};
    static const char *const periods[] = {"month", "quarter", "year"};
    if (p->capacity.set) {
        fprintf(f, "capacity: {pool: %s, leverage: ", p->parties[p->capacity.pool].id);
        put_q(f, p->capacity.leverage);
        fputs("}\n", f);
    }
    fputs(p->n_breakers ? "breakers:\n" : "breakers: []\n", f);
    for (size_t i = 0; i < p->n_breakers; i++) {
        const eng_breaker *b = &p->breakers[i];
        fprintf(f, "  - {id: %s, metric: default_rate, scope: %s, threshold: ", b->id,
                scopes[b->scope]);
        put_q(f, b->threshold);
        fprintf(f, ", action: %s, window: %s}\n",
                b->action == ENG_ACTION_STOP_NEW_LOANS ? "stop_new_loans" : "stop_payments",
                b->window == ENG_WINDOW_CUMULATIVE ? "cumulative" : "year");
    }
    fprintf(f, "recovery: {basis: %s",
            p->recovery.basis == ENG_RECOVERY_BORNE ? "borne" : "nominal");
    if (p->recovery.cost_cap.set) {
        fputs(", cost_cap: ", f);
        put_q(f, p->recovery.cost_cap.v);
    }
    fprintf(f, "}\nsettlement: {period: %s, shortfall: %s}\n", periods[p->settlement.period],
            p->settlement.shortfall == ENG_SHORTFALL_PRO_RATA ? "pro_rata" : "fifo");
    if (p->expected_loss.set) {
        fputs("expected_loss: {pd: {", f);
        for (size_t i = 0; i < p->expected_loss.n_grades; i++) {
            fprintf(f, "%s", i ? ", " : "");
            put_str(f, p->expected_loss.grades[i].grade);
            fputs(": ", f);
            put_q(f, p->expected_loss.grades[i].pd);
        }
        fputs("}, lgd: ", f);
        put_q(f, p->expected_loss.lgd);
        fputs("}\n", f);
    }
}

char *pol_normalise(const eng_policy *p)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL) {
        return NULL;
    }
    put_header(f, p);
    put_terms(f, p);
    put_caps(f, p);
    put_tail(f, p);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
