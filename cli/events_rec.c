/*
 * events_rec.c -- recording an events import (DESIGN 7): the new events (by
 * COPY, numbered from the locked head), each default with its trace and parts,
 * and the journal entries:
 *
 *   funding X into pool P      funding: P:cash Dr X, P:capital Cr X
 *   closing repayment, S > 0   interest_subsidy: pool:subsidy_expense Dr S,
 *                              pool:payable Cr S; a claim payable to the borrower
 *   default, base B            default: bank:loss Dr B, bank:external Cr B
 *   X = B - a_bank > 0         guarantor_compensation (代偿): G:loss Dr X, G:cash Cr X,
 *                              bank:cash Dr X, bank:loss Cr X
 *   other party Q, a_Q > 0     party_share: Q:loss Dr, Q:cash Cr, C:cash Dr, C:loss Cr
 *   pool, a_pool > 0           compensation_claim: pool:loss Dr, pool:payable Cr,
 *                              C:receivable Dr, C:loss Cr; a claim payable to C
 *   recovery share r_P > 0     recovery: P:cash Dr r_P, P:recovery Cr r_P (up to four
 *                              parties an entry)
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "journal.h"

#define ROW_BYTES (64 * 1024)

/* The party ids of a loan's version, by index. */
static const char *pid(const eng_life_loan *l, int k)
{
    return l->policy->parties[k].id;
}

static eng_status copy_events(cli_events_run *run, led_db *db, char *buf, eng_error *err)
{
    eng_status rc = led_copy_begin(db,
                                   "COPY events (program, event_id, event_no, kind, event_date,"
                                   " loan_id, party, amount, interest, cost, agency, outcome)"
                                   " FROM STDIN",
                                   err);
    long no = run->first_event_no;
    for (size_t i = 0; rc == ENG_OK && i < run->file.n_rows; i++) {
        const cli_event_row *row = &run->file.rows[i];
        const cli_ev_item *it = &run->items[i];
        if (it->status != CLI_EV_NEW) {
            continue;
        }
        char *outcome = cli_events_outcome(run, i);
        if (outcome == NULL) {
            rc = eng_error_set(err, ENG_ERROR, "out of memory");
            break;
        }
        led_copy_row r;
        led_copy_row_init(&r, buf, ROW_BYTES);
        led_copy_row_text(&r, run->program);
        led_copy_row_text(&r, row->event_id);
        led_copy_row_long(&r, no++);
        led_copy_row_text(&r, cli_event_kind_name((cli_event_kind)row->kind));
        led_copy_row_date(&r, row->date);
        led_copy_row_text(&r, row->loan_id);
        led_copy_row_text(&r, row->party);
        if (row->kind == CLI_EVENT_DEFAULT) {
            led_copy_row_text(&r, NULL);
        } else {
            led_copy_row_fen(&r, row->amount);
        }
        if (row->has_interest) {
            led_copy_row_fen(&r, row->interest);
        } else {
            led_copy_row_text(&r, NULL);
        }
        if (row->has_cost) {
            led_copy_row_fen(&r, row->cost);
        } else {
            led_copy_row_text(&r, NULL);
        }
        led_copy_row_text(&r, it->loan >= 0 ? run->loans[it->loan].agency : NULL);
        led_copy_row_text(&r, outcome);
        free(outcome);
        rc = led_copy_row_put(db, &r, err);
    }
    return rc == ENG_OK ? led_copy_end(db, err) : rc;
}

static void json_fen(json_t *o, const char *key, eng_fen v)
{
    char text[ENG_FEN_TEXT];
    eng_fen_format(text, sizeof(text), v);
    json_object_set_new(o, key, json_string(text));
}

/* What cut a part, as default_parts.cut_by and the trace say it: caps[i] or breaker:<id>. */
static void cut_name(char *out, size_t size, const eng_life_loan *l, const eng_life_cut *c)
{
    if (c->is_breaker) {
        snprintf(out, size, "breaker:%s", l->policy->breakers[c->index].id);
    } else {
        snprintf(out, size, "caps[%zu]", c->index);
    }
}

/* The trace of a default: how B was found, the raw split, what cut what, the residual. */
static char *default_trace(const cli_events_run *run, size_t i)
{
    static const char *const per[] = {"loan", "year", "bank_year", "program"};
    const cli_ev_item *it = &run->items[i];
    const eng_life_loan *l = &run->loans[it->loan].life;
    const eng_policy *p = l->policy;
    const cli_ev_default *d = it->dflt;
    json_t *o = json_object(), *raw = json_object(), *parts = json_object(), *cuts = json_array(),
           *over = json_array();
    json_object_set_new(o, "policy_version", json_integer(p->version));
    json_object_set_new(o, "terms_rule", json_string(p->terms.rules[l->rule].id));
    json_object_set_new(o, "loss_basis", json_string(p->loss_basis.kind == ENG_LOSS_PRINCIPAL
                                                         ? "principal"
                                                         : "principal_plus_interest"));
    json_fen(o, "outstanding", d->outstanding);
    json_fen(o, "interest", d->interest);
    json_fen(o, "loss_base", d->loss_base);
    for (size_t k = 0; k < p->n_parties; k++) {
        if (it->listed[k] || d->raw[k] != 0) {
            json_fen(raw, pid(l, (int)k), d->raw[k]);
            json_fen(parts, pid(l, (int)k), it->part[k]);
        }
    }
    for (size_t c = 0; c < d->n_cuts; c++) {
        const eng_life_cut *cut = &d->cuts[c];
        char by[160];
        json_t *x = json_object();
        cut_name(by, sizeof(by), l, cut);
        json_object_set_new(x, "by", json_string(by));
        if (!cut->is_breaker) {
            json_object_set_new(x, "per", json_string(per[p->caps[cut->index].per]));
            json_fen(x, "limit", cut->limit);
        }
        json_object_set_new(x, "party", json_string(pid(l, cut->party)));
        json_fen(x, "cut", cut->cut);
        json_array_append_new(cuts, x);
    }
    for (size_t b = 0; b < d->n_over; b++) {
        json_array_append_new(over, json_string(p->breakers[d->over[b]].id));
    }
    json_object_set_new(o, "raw", raw);
    json_object_set_new(o, "cuts", cuts);
    json_object_set_new(o, "stop_payments", over);
    json_object_set_new(o, "residual", json_string(pid(l, d->residual)));
    json_object_set_new(o, "claimant", json_string(pid(l, d->claimant)));
    json_object_set_new(o, "parts", parts);
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}

static eng_status copy_defaults(cli_events_run *run, led_db *db, char *buf, eng_error *err)
{
    eng_status rc = led_copy_begin(db,
                                   "COPY defaults (program, event_id, loan_id, agency, bank,"
                                   " guarantor, default_date, policy_version, outstanding,"
                                   " interest, loss_base, claimant, residual, trace) FROM STDIN",
                                   err);
    for (size_t i = 0; rc == ENG_OK && i < run->file.n_rows; i++) {
        const cli_ev_item *it = &run->items[i];
        if (it->status != CLI_EV_NEW || it->dflt == NULL) {
            continue;
        }
        const cli_event_row *row = &run->file.rows[i];
        const cli_ev_loan *L = &run->loans[it->loan];
        const eng_life_loan *l = &L->life;
        char *trace = default_trace(run, i);
        if (trace == NULL) {
            rc = eng_error_set(err, ENG_ERROR, "out of memory");
            break;
        }
        led_copy_row r;
        led_copy_row_init(&r, buf, ROW_BYTES);
        led_copy_row_text(&r, run->program);
        led_copy_row_text(&r, row->event_id);
        led_copy_row_text(&r, L->loan_id);
        led_copy_row_text(&r, L->agency);
        led_copy_row_text(&r, pid(l, l->bank));
        led_copy_row_text(&r, l->guarantor >= 0 ? pid(l, l->guarantor) : NULL);
        led_copy_row_date(&r, row->date);
        led_copy_row_long(&r, l->policy->version);
        led_copy_row_fen(&r, it->dflt->outstanding);
        led_copy_row_fen(&r, it->dflt->interest);
        led_copy_row_fen(&r, it->dflt->loss_base);
        led_copy_row_text(&r, pid(l, it->dflt->claimant));
        led_copy_row_text(&r, pid(l, it->dflt->residual));
        led_copy_row_text(&r, trace);
        free(trace);
        rc = led_copy_row_put(db, &r, err);
    }
    return rc == ENG_OK ? led_copy_end(db, err) : rc;
}

static eng_status copy_parts(cli_events_run *run, led_db *db, char *buf, eng_error *err)
{
    eng_status rc = led_copy_begin(db,
                                   "COPY default_parts (program, event_id, position, party,"
                                   " share, raw, amount, cut_by) FROM STDIN",
                                   err);
    for (size_t i = 0; rc == ENG_OK && i < run->file.n_rows; i++) {
        const cli_ev_item *it = &run->items[i];
        if (it->status != CLI_EV_NEW || it->dflt == NULL) {
            continue;
        }
        const eng_life_loan *l = &run->loans[it->loan].life;
        for (size_t k = 0; rc == ENG_OK && k < l->policy->n_parties; k++) {
            if (!it->listed[k] && it->dflt->raw[k] == 0) {
                continue;
            }
            char cut_by[1024], one[160];
            size_t used = 0;
            cut_by[0] = '\0';
            for (size_t c = 0; c < it->dflt->n_cuts; c++) {
                if (it->dflt->cuts[c].party == (int)k && used < sizeof(cut_by)) {
                    cut_name(one, sizeof(one), l, &it->dflt->cuts[c]);
                    int w = snprintf(cut_by + used, sizeof(cut_by) - used, "%s%s",
                                     used ? ";" : "", one);
                    used += w > 0 ? (size_t)w : 0;
                }
            }
            char *share = eng_q_format(l->share[k]);
            led_copy_row r;
            led_copy_row_init(&r, buf, ROW_BYTES);
            led_copy_row_text(&r, run->program);
            led_copy_row_text(&r, run->file.rows[i].event_id);
            led_copy_row_long(&r, (long)k);
            led_copy_row_text(&r, pid(l, (int)k));
            led_copy_row_text(&r, share ? share : "0");
            led_copy_row_fen(&r, it->dflt->raw[k]);
            led_copy_row_fen(&r, it->part[k]);
            led_copy_row_text(&r, cut_by[0] ? cut_by : NULL);
            free(share);
            rc = led_copy_row_put(db, &r, err);
        }
    }
    return rc == ENG_OK ? led_copy_end(db, err) : rc;
}

/* The journal's view of the import: item k is the k-th new event. */
typedef struct {
    const cli_events_run *run;
    size_t *rows;                /* row index of each new event */
    char payee[48];
} entry_src;

static void legs4(led_entry *e, const char *a, const char *a_dr, const char *a_cr, const char *b,
                  const char *b_dr, const char *b_cr, eng_fen x)
{
    e->n_legs = 4;
    e->legs[0] = (led_leg){a, a_dr, 1, x};
    e->legs[1] = (led_leg){a, a_cr, 0, x};
    e->legs[2] = (led_leg){b, b_dr, 1, x};
    e->legs[3] = (led_leg){b, b_cr, 0, x};
}

static eng_status event_entries(void *ctx, size_t item, led_entry *out, size_t cap,
                                size_t *n_out, eng_error *err)
{
    entry_src *s = ctx;
    size_t i = s->rows[item];
    const cli_event_row *row = &s->run->file.rows[i];
    const cli_ev_item *it = &s->run->items[i];
    size_t n = 0;

    led_entry base = {.event_id = row->event_id, .business_date = row->date};
    if (row->kind == CLI_EVENT_FUNDING) {
        out[0] = base;
        out[0].kind = "funding";
        out[0].n_legs = 2;
        out[0].legs[0] = (led_leg){row->party, "cash", 1, row->amount};
        out[0].legs[1] = (led_leg){row->party, "capital", 0, row->amount};
        *n_out = 1;
        return ENG_OK;
    }
    const cli_ev_loan *L = &s->run->loans[it->loan];
    const eng_life_loan *l = &L->life;
    const eng_policy *p = l->policy;
    base.loan_id = L->loan_id;
    base.policy_version = p->version;
    base.rule_ids[0] = p->terms.rules[l->rule].id;
    base.n_rule_ids = 1;
    if (cap < p->n_parties + 4) {
        return eng_error_set(err, ENG_ELIMIT, "event %s needs more entries than a journal item "
                             "holds", row->event_id);
    }
    if (row->kind == CLI_EVENT_REPAYMENT) {
        if (it->subsidy > 0) {
            int pool = cli_events_first_pool(p);
            const char *pool_id = pid(l, pool);
            snprintf(s->payee, sizeof(s->payee), "borrower:%s", L->borrower_code);
            out[n] = base;
            out[n].kind = "interest_subsidy";
            out[n].n_legs = 2;
            out[n].legs[0] = (led_leg){pool_id, "subsidy_expense", 1, it->subsidy};
            out[n].legs[1] = (led_leg){pool_id, "payable", 0, it->subsidy};
            out[n].has_claim = 1;
            out[n].claim = (led_claim_spec){"interest_subsidy", pool_id, s->payee, row->date,
                                            it->subsidy, row->event_id};
            n++;
        }
    } else if (row->kind == CLI_EVENT_DEFAULT) {
        const cli_ev_default *d = it->dflt;
        const char *bank = pid(l, l->bank), *claimant = pid(l, d->claimant);
        out[n] = base;
        out[n].kind = "default";
        out[n].n_legs = 2;
        out[n].legs[0] = (led_leg){bank, "loss", 1, d->loss_base};
        out[n].legs[1] = (led_leg){bank, "external", 0, d->loss_base};
        n++;
        eng_fen x = d->loss_base - it->part[l->bank];
        if (l->guarantor >= 0 && x > 0) {
            out[n] = base;
            out[n].kind = "guarantor_compensation";
            legs4(&out[n], pid(l, l->guarantor), "loss", "cash", bank, "cash", "loss", x);
            n++;
        }
        for (size_t k = 0; k < p->n_parties; k++) {
            eng_fen a = it->part[k];
            if (a == 0 || (int)k == l->bank || (int)k == d->claimant) {
                continue;
            }
            out[n] = base;
            if (p->parties[k].kind == ENG_PARTY_POOL) {
                out[n].kind = "compensation_claim";
                legs4(&out[n], pid(l, (int)k), "loss", "payable", claimant, "receivable", "loss",
                      a);
                out[n].has_claim = 1;
                out[n].claim = (led_claim_spec){"compensation", pid(l, (int)k), claimant,
                                                row->date, a, row->event_id};
            } else {
                out[n].kind = "party_share";
                legs4(&out[n], pid(l, (int)k), "loss", "cash", claimant, "cash", "loss", a);
            }
            n++;
        }
    } else {
        for (size_t k = 0; k < p->n_parties; k++) {
            if (it->part[k] == 0) {
                continue;
            }
            if (n == 0 || out[n - 1].n_legs == LED_LEGS_MAX) {
                out[n] = base;
                out[n].kind = "recovery";
                out[n].n_legs = 0;
                n++;
            }
            led_entry *e = &out[n - 1];
            e->legs[e->n_legs++] = (led_leg){pid(l, (int)k), "cash", 1, it->part[k]};
            e->legs[e->n_legs++] = (led_leg){pid(l, (int)k), "recovery", 0, it->part[k]};
        }
    }
    *n_out = n;
    return ENG_OK;
}

eng_status cli_events_record(cli_events_run *run, led_db *db, led_journal *j, eng_error *err)
{
    char *buf = malloc(ROW_BYTES);
    entry_src src = {.run = run, .rows = malloc((run->n_new + 1) * sizeof(size_t))};
    eng_status rc = buf && src.rows ? ENG_OK : eng_error_set(err, ENG_ERROR, "out of memory");
    size_t k = 0;
    for (size_t i = 0; rc == ENG_OK && i < run->file.n_rows; i++) {
        if (run->items[i].status == CLI_EV_NEW) {
            src.rows[k++] = i;
        }
    }
    if (rc == ENG_OK) {
        rc = copy_events(run, db, buf, err);
    }
    if (rc == ENG_OK) {
        rc = copy_defaults(run, db, buf, err);
    }
    if (rc == ENG_OK) {
        rc = copy_parts(run, db, buf, err);
    }
    if (rc == ENG_OK) {
        rc = led_journal_write(j, k, event_entries, &src, err);
    }
    free(src.rows);
    free(buf);
    return rc;
}
