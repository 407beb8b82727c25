/*
 * audit_loan.c -- `riskshare audit loan LOAN_ID --program P` (DESIGN 6, 7, 8;
 * docs/auditor-guide.md): the whole recorded trail of one loan, read in one
 * snapshot -- its admission (batch, agency, line, policy version, terms rule,
 * shares, the inputs that decided, fee and fee subsidy), its events in order, the
 * default allocation (loss base, raw and final parts, the cap or breaker that cut
 * each part and the limit it left, the residual), its recoveries and their split,
 * its claims with what was paid and what is open, the settlement payments, and
 * every journal entry with its legs and hash.
 *
 * Formats: table prints the sections with headings, for people; json prints one
 * object with a member per section (amounts as exact decimal strings, numbers
 * of entries, claims and settlements as integers); csv prints one table, the
 * journal entries with one row per leg (seq,kind,business_date,account,side,
 * amount,hash), the part a spreadsheet or another tool reconciles.
 */
#include <assert.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "audit_store.h"
#include "batch_store.h"
#include "cli.h"
#include "ledger.h"

static const char usage[] =
    "usage: riskshare audit loan LOAN_ID --program P\n"
    "options: --db CONNINFO  --format table|csv|json  --quiet\n"
    "Prints the whole recorded trail of one loan: admission (batch, policy version,\n"
    "terms rule, shares, the inputs that decided, fee and subsidy), events, the default\n"
    "allocation with the caps and breakers that cut each part, recoveries, claims and\n"
    "settlement payments, and every journal entry with its legs and hash.  csv prints\n"
    "the journal entries only, one row per leg.\n";

typedef struct {
    cli_common common;
    const char *program, *loan_id;
    led_audit_trail trail;
} loan_run;

/* ---- arguments ------------------------------------------------------------------------ */

/* Parses argv: 1 to run, 0 after --help, -1 after a usage error. */
static int parse_args(loan_run *run, int argc, char **argv)
{
    int n = 0;
    int code = cli_begin(&run->common, &n, argc, argv, usage);

    if (code >= 0) {
        return code == CLI_EXIT_OK ? 0 : -1;
    }
    for (int i = 0; i < n; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--program") == 0) {
            if (i + 1 >= n || run->program != NULL) {
                cli_errorf("audit loan: --program needs one value");
                return -1;
            }
            run->program = argv[++i];
        } else if (a[0] == '-' && a[1] != '\0') {
            cli_errorf("audit loan: unexpected argument \"%s\" (see --help)", a);
            return -1;
        } else if (run->loan_id != NULL) {
            cli_errorf("audit loan: one LOAN_ID only");
            return -1;
        } else {
            run->loan_id = a;
        }
    }
    if (run->program == NULL || run->loan_id == NULL) {
        cli_errorf("audit loan: LOAN_ID and --program are required");
        return -1;
    }
    return 1;
}

/* ---- reading rows by column name ------------------------------------------------------ */

/* The value of column `name` in row `r` of `rows` (NULL for SQL NULL). */
static const char *val(const led_rows *rows, size_t r, const char *name)
{
    size_t w = led_rows_width(rows);
    for (size_t c = 0; c < w; c++) {
        if (strcmp(led_rows_name(rows, c), name) == 0) {
            return led_rows_get(rows, r, c);
        }
    }
    assert(!"audit loan: no such column");
    return NULL;
}

/* A JSON string, or null for NULL. */
static json_t *jstr(const char *text)
{
    return text != NULL ? json_string(text) : json_null();
}

/* A JSON integer from the database's decimal text, or null for NULL. */
static json_t *jint(const char *text)
{
    long long v = 0;
    int neg = text != NULL && text[0] == '-';

    if (text == NULL) {
        return json_null();
    }
    for (const char *p = text + neg; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (*p - '0');
    }
    return json_integer(neg ? -v : v);
}

/* Parsed JSON text, or the text as a string when it does not parse; null for NULL. */
static json_t *jjson(const char *text)
{
    json_t *v;

    if (text == NULL) {
        return json_null();
    }
    v = json_loads(text, JSON_DECODE_ANY, NULL);
    return v != NULL ? v : json_string(text);
}

/* Sets o[name] to the text of column `name` of row `r` (a string, or null). */
static void put_str(json_t *o, const led_rows *rows, size_t r, const char *name)
{
    json_object_set_new(o, name, jstr(val(rows, r, name)));
}

static void put_int(json_t *o, const led_rows *rows, size_t r, const char *name)
{
    json_object_set_new(o, name, jint(val(rows, r, name)));
}

/* ---- json ----------------------------------------------------------------------------- */

/* The admission section: batch, policy version, rule, shares, trace, fee, loan fields. */
static json_t *json_admission(const led_rows *l)
{
    static const char *const loan_fields[] = {
        "borrower_code", "borrower_name", "tech_status", "sector", "credit_grade", "revenue",
        "bank", "guarantor", "principal", "annual_rate", "collateral_ratio", "start_date"};
    json_t *a = json_object(), *pol = json_object(), *loan = json_object();
    const char *first = val(l, 0, "first_loan");

    put_int(a, l, 0, "batch_id");
    json_object_set_new(a, "batch_file", jstr(val(l, 0, "file_name")));
    json_object_set_new(a, "batch_sha256", jstr(val(l, 0, "file_sha256")));
    put_int(a, l, 0, "line_no");
    put_str(a, l, 0, "agency");
    put_str(a, l, 0, "recorded_at");
    json_object_set_new(pol, "version", jint(val(l, 0, "policy_version")));
    put_str(pol, l, 0, "title");
    put_str(pol, l, 0, "legal_ref");
    json_object_set_new(pol, "sha256", jstr(val(l, 0, "policy_sha256")));
    put_str(pol, l, 0, "effective_from");
    put_str(pol, l, 0, "effective_to");
    json_object_set_new(a, "policy", pol);
    put_str(a, l, 0, "terms_rule");
    json_object_set_new(a, "shares", jjson(val(l, 0, "shares")));
    json_object_set_new(a, "trace", jjson(val(l, 0, "trace")));
    put_str(a, l, 0, "fee_rate");
    put_str(a, l, 0, "guarantee_fee");
    put_str(a, l, 0, "fee_subsidy");
    for (size_t i = 0; i < sizeof(loan_fields) / sizeof(loan_fields[0]); i++) {
        put_str(loan, l, 0, loan_fields[i]);
    }
    put_int(loan, l, 0, "term_months");
    json_object_set_new(loan, "first_loan", json_boolean(first != NULL && first[0] == 't'));
    json_object_set_new(a, "loan", loan);
    return a;
}

/* The loan's state now: defaulted, closed (repaid in full) or outstanding. */
static const char *state_name(const led_rows *l)
{
    if (val(l, 0, "default_date") != NULL) {
        return "defaulted";
    }
    return val(l, 0, "end_date") != NULL ? "closed" : "outstanding";
}

static json_t *json_state(const led_rows *l)
{
    json_t *s = json_object();
    json_object_set_new(s, "status", json_string(state_name(l)));
    put_str(s, l, 0, "outstanding");
    put_str(s, l, 0, "end_date");
    return s;
}

static json_t *json_events(const led_rows *ev)
{
    static const char *const text[] = {"event_id", "kind", "date", "party", "amount",
                                       "interest", "cost", "recorded_at"};
    json_t *arr = json_array();

    for (size_t r = 0; r < led_rows_count(ev); r++) {
        json_t *e = json_object();
        put_str(e, ev, r, "event_id");
        put_int(e, ev, r, "event_no");
        for (size_t i = 1; i < sizeof(text) / sizeof(text[0]); i++) {
            put_str(e, ev, r, text[i]);
        }
        json_object_set_new(e, "outcome", jjson(val(ev, r, "outcome")));
        json_array_append_new(arr, e);
    }
    return arr;
}

/* The cuts of the default's trace that cut `party`, as recorded (by, per, limit, cut). */
static json_t *cuts_of(const json_t *trace, const char *party)
{
    json_t *out = json_array();
    const json_t *cuts = json_is_object(trace) ? json_object_get(trace, "cuts") : NULL;
    size_t i;
    json_t *c;

    json_array_foreach(cuts, i, c)
    {
        const char *p = json_string_value(json_object_get(c, "party"));
        if (p != NULL && strcmp(p, party) == 0) {
            json_array_append(out, c);
        }
    }
    return out;
}

/* The default allocation: loss base, parts with their cuts, residual; null when none. */
static json_t *json_default(const led_rows *d, const led_rows *parts)
{
    static const char *const text[] = {"event_id", "date", "outstanding", "interest",
                                       "loss_base", "claimant", "residual"};
    json_t *o, *trace, *arr;

    if (d == NULL || led_rows_count(d) == 0) {
        return json_null();
    }
    o = json_object();
    for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++) {
        put_str(o, d, 0, text[i]);
    }
    put_int(o, d, 0, "policy_version");
    trace = jjson(val(d, 0, "trace"));
    arr = json_array();
    for (size_t r = 0; r < led_rows_count(parts); r++) {
        json_t *p = json_object();
        const char *party = val(parts, r, "party");
        put_int(p, parts, r, "position");
        put_str(p, parts, r, "party");
        put_str(p, parts, r, "share");
        put_str(p, parts, r, "raw");
        put_str(p, parts, r, "amount");
        put_str(p, parts, r, "cut_by");
        json_object_set_new(p, "cuts", cuts_of(trace, party != NULL ? party : ""));
        json_array_append_new(arr, p);
    }
    json_object_set_new(o, "parts", arr);
    json_t *over = json_is_object(trace) ? json_object_get(trace, "stop_payments") : NULL;
    json_object_set_new(o, "stop_payments", over != NULL ? json_incref(over) : json_array());
    json_object_set_new(o, "trace", trace);
    return o;
}

/*
 * Recoveries with their split, from each recovery event's recorded outcome (the
 * report rows: party and amount, in policy order).
 */
static json_t *json_recoveries(const led_rows *ev)
{
    json_t *arr = json_array();

    for (size_t r = 0; r < led_rows_count(ev); r++) {
        const char *kind = val(ev, r, "kind");
        if (kind == NULL || strcmp(kind, "recovery") != 0) {
            continue;
        }
        json_t *o = json_object(), *split = json_array();
        json_t *outcome = jjson(val(ev, r, "outcome"));
        const json_t *rows = json_is_object(outcome) ? json_object_get(outcome, "rows") : NULL;
        size_t i;
        json_t *row;
        put_str(o, ev, r, "event_id");
        put_str(o, ev, r, "date");
        json_object_set_new(o, "gross", jstr(val(ev, r, "amount")));
        put_str(o, ev, r, "cost");
        put_str(o, ev, r, "net");
        json_array_foreach(rows, i, row)
        {
            json_t *s = json_object();
            json_object_set(s, "party", json_array_get(row, 0));
            json_object_set(s, "amount", json_array_get(row, 1));
            json_array_append_new(split, s);
        }
        json_decref(outcome);
        json_object_set_new(o, "split", split);
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *json_claims(const led_rows *c)
{
    static const char *const text[] = {"kind", "payer", "payee", "claim_date", "amount",
                                       "paid", "open", "event_id"};
    json_t *arr = json_array();

    for (size_t r = 0; r < led_rows_count(c); r++) {
        json_t *o = json_object();
        put_int(o, c, r, "claim_id");
        for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++) {
            put_str(o, c, r, text[i]);
        }
        put_int(o, c, r, "seq");
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *json_payments(const led_rows *p)
{
    static const char *const text[] = {"through_date", "period", "kind", "payer", "payee",
                                       "open_before", "paid", "open_after"};
    json_t *arr = json_array();

    for (size_t r = 0; r < led_rows_count(p); r++) {
        json_t *o = json_object();
        put_int(o, p, r, "settlement_id");
        put_int(o, p, r, "claim_id");
        for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++) {
            put_str(o, p, r, text[i]);
        }
        put_int(o, p, r, "seq");
        json_array_append_new(arr, o);
    }
    return arr;
}

/* The entry of leg row `r` as a JSON object without legs. */
static json_t *json_entry_head(const led_rows *g, size_t r)
{
    json_t *e = json_object(), *rules = json_array();
    const char *ids = val(g, r, "rule_ids");

    put_int(e, g, r, "seq");
    put_str(e, g, r, "kind");
    put_str(e, g, r, "business_date");
    put_int(e, g, r, "policy_version");
    while (ids != NULL && *ids != '\0') {
        const char *semi = strchr(ids, ';');
        size_t len = semi != NULL ? (size_t)(semi - ids) : strlen(ids);
        json_array_append_new(rules, json_stringn(ids, len));
        ids = semi != NULL ? semi + 1 : NULL;
    }
    json_object_set_new(e, "rule_ids", rules);
    put_str(e, g, r, "event_id");
    put_int(e, g, r, "batch_id");
    put_int(e, g, r, "settlement_id");
    put_int(e, g, r, "reverses_seq");
    put_str(e, g, r, "recorded_at");
    put_str(e, g, r, "prev_hash");
    put_str(e, g, r, "hash");
    return e;
}

/* Every entry of the loan with its legs (the rows come one per leg, by seq and leg). */
static json_t *json_entries(const led_rows *g)
{
    json_t *arr = json_array(), *legs = NULL;
    const char *last = NULL;

    for (size_t r = 0; r < led_rows_count(g); r++) {
        const char *seq = val(g, r, "seq");
        if (last == NULL || strcmp(seq, last) != 0) {
            json_t *e = json_entry_head(g, r);
            legs = json_array();
            json_object_set_new(e, "legs", legs);
            json_array_append_new(arr, e);
            last = seq;
        }
        json_t *leg = json_object();
        put_int(leg, g, r, "leg");
        put_str(leg, g, r, "account");
        put_str(leg, g, r, "side");
        put_str(leg, g, r, "amount");
        json_array_append_new(legs, leg);
    }
    return arr;
}

static int print_json(const loan_run *run)
{
    const led_audit_trail *t = &run->trail;
    json_t *o = json_object();
    int rc;

    json_object_set_new(o, "program", json_string(run->program));
    json_object_set_new(o, "loan_id", json_string(run->loan_id));
    json_object_set_new(o, "admission", json_admission(t->loan));
    json_object_set_new(o, "state", json_state(t->loan));
    json_object_set_new(o, "events", json_events(t->events));
    json_object_set_new(o, "default", json_default(t->dflt, t->parts));
    json_object_set_new(o, "recoveries", json_recoveries(t->events));
    json_object_set_new(o, "claims", json_claims(t->claims));
    json_object_set_new(o, "settlement_payments", json_payments(t->payments));
    json_object_set_new(o, "entries", json_entries(t->legs));
    rc = json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (rc == 0 && fputc('\n', stdout) == EOF) {
        rc = -1;
    }
    return rc;
}

/* ---- csv and table -------------------------------------------------------------------- */

/* Adds the columns `names` of every row of `rows` to a new report and writes it. */
static int write_section(const led_rows *rows, const char *const *names, const char *const *heads,
                         size_t n, cli_format fmt)
{
    cli_report *rep = cli_report_new(heads, n);
    const char *v[16];
    int rc = rep != NULL ? 0 : -1;

    assert(n <= 16);
    for (size_t r = 0; rc == 0 && rows != NULL && r < led_rows_count(rows); r++) {
        for (size_t c = 0; c < n; c++) {
            v[c] = val(rows, r, names[c]);
        }
        rc = cli_report_add(rep, v);
    }
    if (rc == 0) {
        rc = cli_report_write(rep, stdout, fmt);
    }
    cli_report_free(rep);
    return rc;
}

/* The journal entries, one row per leg: the csv output, and the table's last section. */
static int write_legs(const led_rows *g, cli_format fmt)
{
    static const char *const cols[] = {"seq", "kind", "business_date", "account", "side",
                                       "amount", "hash"};
    return write_section(g, cols, cols, 7, fmt);
}

/* Appends `fmt` (printf-style) to a growing line. */
static void line_add(char *line, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void line_add(char *line, size_t size, const char *fmt, ...)
{
    size_t len = strlen(line);
    va_list ap;

    if (len + 1 >= size) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(line + len, size - len, fmt, ap);
    va_end(ap);
}

static const char *or_dash(const char *s)
{
    return s != NULL && s[0] != '\0' ? s : "-";
}

/* "party ratio, ..." from the shares JSON object, in its recorded (party) order. */
static void shares_text(char *out, size_t size, const char *shares)
{
    json_t *o = jjson(shares);
    const char *k;
    json_t *v;

    out[0] = '\0';
    if (!json_is_object(o)) {
        line_add(out, size, "%s", or_dash(shares));
    } else {
        json_object_foreach(o, k, v)
        {
            line_add(out, size, "%s%s %s", out[0] ? ", " : "", k,
                     or_dash(json_string_value(v)));
        }
    }
    json_decref(o);
}

/* "field=value, ..." of the admission trace's inputs, and where the fee rate came from. */
static void inputs_text(char *out, size_t size, const char *trace)
{
    json_t *o = jjson(trace);
    const json_t *in = json_is_object(o) ? json_object_get(o, "inputs") : NULL;
    const char *k;
    json_t *v;

    out[0] = '\0';
    json_object_foreach((json_t *)in, k, v)
    {
        char *s = json_dumps(v, JSON_ENCODE_ANY);
        const char *text = json_is_string(v) ? json_string_value(v) : s;
        line_add(out, size, "%s%s=%s", out[0] ? ", " : "", k, or_dash(text));
        free(s);
    }
    v = json_is_object(o) ? json_object_get(o, "fee_rate") : NULL;
    if (json_is_string(v)) {
        line_add(out, size, "%sfee rate from the %s", out[0] ? "; " : "", json_string_value(v));
    }
    json_decref(o);
}

/* Adds one item/value row to the admission table. */
static int kv(cli_report *rep, const char *item, const char *value)
{
    const char *v[2] = {item, value};
    return cli_report_add(rep, v);
}

/* The admission and state as item/value lines. */
static int table_admission(const led_rows *l)
{
    static const char *const cols[] = {"item", "value"};
    cli_report *rep = cli_report_new(cols, 2);
    char b[1024];
    int rc = rep != NULL ? 0 : -1;

    b[0] = '\0';
    line_add(b, sizeof(b), "%s (%s, line %s), agency %s, recorded %s", val(l, 0, "batch_id"),
             or_dash(val(l, 0, "file_name")), val(l, 0, "line_no"), val(l, 0, "agency"),
             val(l, 0, "recorded_at"));
    rc = rc == 0 ? kv(rep, "batch", b) : rc;
    b[0] = '\0';
    line_add(b, sizeof(b), "%s: %s (%s), in force %s to %s", val(l, 0, "policy_version"),
             val(l, 0, "title"), val(l, 0, "legal_ref"), val(l, 0, "effective_from"),
             or_dash(val(l, 0, "effective_to")));
    rc = rc == 0 ? kv(rep, "policy version", b) : rc;
    rc = rc == 0 ? kv(rep, "policy sha256", val(l, 0, "policy_sha256")) : rc;
    rc = rc == 0 ? kv(rep, "terms rule", val(l, 0, "terms_rule")) : rc;
    inputs_text(b, sizeof(b), val(l, 0, "trace"));
    rc = rc == 0 ? kv(rep, "decided by", or_dash(b)) : rc;
    shares_text(b, sizeof(b), val(l, 0, "shares"));
    rc = rc == 0 ? kv(rep, "shares", b) : rc;
    b[0] = '\0';
    line_add(b, sizeof(b), "%s, fee rate %s, guarantee fee %s, fee subsidy %s",
             or_dash(val(l, 0, "guarantor")), val(l, 0, "fee_rate"), val(l, 0, "guarantee_fee"),
             val(l, 0, "fee_subsidy"));
    rc = rc == 0 ? kv(rep, "guarantor", b) : rc;
    b[0] = '\0';
    line_add(b, sizeof(b), "%s %s, %s, %s, grade %s, revenue %s", val(l, 0, "borrower_code"),
             val(l, 0, "borrower_name"), val(l, 0, "tech_status"), val(l, 0, "sector"),
             val(l, 0, "credit_grade"), or_dash(val(l, 0, "revenue")));
    rc = rc == 0 ? kv(rep, "borrower", b) : rc;
    b[0] = '\0';
    line_add(b, sizeof(b), "%s from bank %s on %s for %s months at %s, collateral %s%s",
             val(l, 0, "principal"), val(l, 0, "bank"), val(l, 0, "start_date"),
             val(l, 0, "term_months"), val(l, 0, "annual_rate"), val(l, 0, "collateral_ratio"),
             val(l, 0, "first_loan")[0] == 't' ? ", first loan" : "");
    rc = rc == 0 ? kv(rep, "loan", b) : rc;
    b[0] = '\0';
    line_add(b, sizeof(b), "%s, outstanding %s", state_name(l), val(l, 0, "outstanding"));
    if (val(l, 0, "end_date") != NULL) {
        line_add(b, sizeof(b), ", ended %s", val(l, 0, "end_date"));
    }
    rc = rc == 0 ? kv(rep, "state now", b) : rc;
    if (rc == 0) {
        rc = cli_report_write(rep, stdout, CLI_FMT_TABLE);
    }
    cli_report_free(rep);
    return rc;
}

/* The default's summary line and its parts with what cut them and the limit left. */
static int table_default(const led_rows *d, const led_rows *parts)
{
    static const char *const cols[] = {"party", "share", "raw", "final", "cut_by", "limit",
                                       "cut"};
    cli_report *rep;
    json_t *trace;
    int rc = 0;

    if (d == NULL || led_rows_count(d) == 0) {
        return fputs("(no default)\n", stdout) == EOF ? -1 : 0;
    }
    printf("default %s on %s under version %s: outstanding %s + interest %s = loss base %s;"
           " claimant %s, residual to %s\n",
           val(d, 0, "event_id"), val(d, 0, "date"), val(d, 0, "policy_version"),
           val(d, 0, "outstanding"), val(d, 0, "interest"), val(d, 0, "loss_base"),
           val(d, 0, "claimant"), val(d, 0, "residual"));
    trace = jjson(val(d, 0, "trace"));
    rep = cli_report_new(cols, 7);
    rc = rep != NULL ? 0 : -1;
    for (size_t r = 0; rc == 0 && r < led_rows_count(parts); r++) {
        const char *party = val(parts, r, "party");
        json_t *cuts = cuts_of(trace, party);
        char limit[256] = "", cut[256] = "";
        size_t i;
        json_t *c;
        json_array_foreach(cuts, i, c)
        {
            const char *lim = json_string_value(json_object_get(c, "limit"));
            line_add(limit, sizeof(limit), "%s%s", i ? ";" : "", or_dash(lim));
            line_add(cut, sizeof(cut), "%s%s", i ? ";" : "",
                     or_dash(json_string_value(json_object_get(c, "cut"))));
        }
        json_decref(cuts);
        const char *v[7] = {party, val(parts, r, "share"), val(parts, r, "raw"),
                            val(parts, r, "amount"), val(parts, r, "cut_by"), limit, cut};
        rc = cli_report_add(rep, v);
    }
    if (rc == 0) {
        rc = cli_report_write(rep, stdout, CLI_FMT_TABLE);
    }
    cli_report_free(rep);
    json_decref(trace);
    return rc;
}

/* Recoveries, one row per party of each split. */
static int table_recoveries(const led_rows *ev)
{
    static const char *const cols[] = {"event_id", "date", "gross", "cost", "net", "party",
                                       "share"};
    json_t *arr = json_recoveries(ev);
    cli_report *rep = cli_report_new(cols, 7);
    int rc = rep != NULL ? 0 : -1;
    size_t i, k;
    json_t *o, *s;

    json_array_foreach(arr, i, o)
    {
        json_array_foreach(json_object_get(o, "split"), k, s)
        {
            const char *v[7] = {json_string_value(json_object_get(o, "event_id")),
                                json_string_value(json_object_get(o, "date")),
                                json_string_value(json_object_get(o, "gross")),
                                json_string_value(json_object_get(o, "cost")),
                                json_string_value(json_object_get(o, "net")),
                                json_string_value(json_object_get(s, "party")),
                                json_string_value(json_object_get(s, "amount"))};
            rc = rc == 0 ? cli_report_add(rep, v) : rc;
        }
    }
    if (rc == 0) {
        rc = cli_report_write(rep, stdout, CLI_FMT_TABLE);
    }
    cli_report_free(rep);
    json_decref(arr);
    return rc;
}

/* The journal entries for people: seq, kind and date on an entry's first leg only. */
static int table_entries(const led_rows *g)
{
    static const char *const cols[] = {"seq", "kind", "business_date", "account", "side",
                                       "amount", "hash"};
    cli_report *rep = cli_report_new(cols, 7);
    int rc = rep != NULL ? 0 : -1;

    for (size_t r = 0; rc == 0 && r < led_rows_count(g); r++) {
        int first = r == 0 || strcmp(val(g, r, "seq"), val(g, r - 1, "seq")) != 0;
        const char *v[7] = {first ? val(g, r, "seq") : "", first ? val(g, r, "kind") : "",
                            first ? val(g, r, "business_date") : "", val(g, r, "account"),
                            val(g, r, "side"), val(g, r, "amount"),
                            first ? val(g, r, "hash") : ""};
        rc = cli_report_add(rep, v);
    }
    if (rc == 0) {
        rc = cli_report_write(rep, stdout, CLI_FMT_TABLE);
    }
    cli_report_free(rep);
    return rc;
}

static int heading(const char *title)
{
    return printf("\n== %s\n", title) < 0 ? -1 : 0;
}

static int print_table(const loan_run *run)
{
    static const char *const ev[] = {"event_id", "event_no", "kind", "date", "party",
                                     "amount", "interest", "cost"};
    static const char *const cl[] = {"claim_id", "kind", "payer", "payee", "claim_date",
                                     "amount", "paid", "open", "seq"};
    static const char *const pay[] = {"settlement_id", "through_date", "claim_id", "kind",
                                      "payee", "open_before", "paid", "open_after", "seq"};
    const led_audit_trail *t = &run->trail;
    int rc = printf("loan %s of program %s\n", run->loan_id, run->program) < 0 ? -1 : 0;

    rc = rc == 0 ? heading("admission") : rc;
    rc = rc == 0 ? table_admission(t->loan) : rc;
    rc = rc == 0 ? heading("events") : rc;
    rc = rc == 0 ? write_section(t->events, ev, ev, 8, CLI_FMT_TABLE) : rc;
    rc = rc == 0 ? heading("default allocation") : rc;
    rc = rc == 0 ? table_default(t->dflt, t->parts) : rc;
    rc = rc == 0 ? heading("recoveries") : rc;
    rc = rc == 0 ? table_recoveries(t->events) : rc;
    rc = rc == 0 ? heading("claims") : rc;
    rc = rc == 0 ? write_section(t->claims, cl, cl, 9, CLI_FMT_TABLE) : rc;
    rc = rc == 0 ? heading("settlement payments") : rc;
    rc = rc == 0 ? write_section(t->payments, pay, pay, 9, CLI_FMT_TABLE) : rc;
    rc = rc == 0 ? heading("journal entries") : rc;
    rc = rc == 0 ? table_entries(t->legs) : rc;
    return rc;
}

/* ---- the command ---------------------------------------------------------------------- */

/* Reads the trail in one read-only snapshot; ENG_EINVALID when the loan is not recorded. */
static eng_status read_trail(loan_run *run, led_db *db, eng_error *err)
{
    eng_status rc = led_read_begin(db, err);

    if (rc == ENG_OK) {
        rc = led_audit_program_known(db, run->program, err);
        if (rc == ENG_OK) {
            rc = led_audit_loan(&run->trail, db, run->program, run->loan_id, err);
        }
        led_read_end(db);
    }
    if (rc == ENG_OK && led_rows_count(run->trail.loan) == 0) {
        rc = eng_error_set(err, ENG_EINVALID,
                           "loan \"%s\" is not recorded in program %s (no admitted loan has"
                           " this id; loan ids are case-sensitive)",
                           run->loan_id, run->program);
    }
    return rc;
}

static int print_trail(const loan_run *run)
{
    cli_format fmt = cli_output_format(&run->common);
    int rc = fmt == CLI_FMT_JSON   ? print_json(run)
             : fmt == CLI_FMT_CSV ? write_legs(run->trail.legs, CLI_FMT_CSV)
                                  : print_table(run);

    if (rc != 0 || fflush(stdout) != 0) {
        cli_errorf("audit loan: cannot write the report");
        return CLI_EXIT_SOFTWARE;
    }
    return CLI_EXIT_OK;
}

int cli_audit_loan(int argc, char **argv)
{
    loan_run run;
    led_db *db = NULL;
    eng_error err;
    eng_status rc;
    int code;

    memset(&run, 0, sizeof(run));
    code = parse_args(&run, argc, argv);
    if (code <= 0) {
        return code == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    eng_error_clear(&err);
    rc = cli_connect(&db, run.common.db, &err);
    if (rc == ENG_OK) {
        rc = read_trail(&run, db, &err);
    }
    led_close(db);
    if (rc != ENG_OK) {
        cli_print_error(&err);
        code = cli_exit_for(rc);
    } else {
        code = print_trail(&run);
    }
    led_audit_trail_free(&run.trail);
    return code;
}
