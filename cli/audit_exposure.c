/*
 * audit_exposure.c -- `riskshare audit exposure --program P [--as-of DATE]`
 * (DESIGN 4 capacity, 6, 10; docs/auditor-guide.md).
 *
 * As of DATE (default: the database's current date), for each party of the
 * program: its share of the outstanding principal -- for every loan outstanding on
 * DATE, outstanding x the party's share recorded with the loan, summed exactly
 * (GMP rationals) and rounded once, the parties' figures split from the program's
 * outstanding principal by the largest-remainder method so that they add up to it
 * exactly (ties to party order); a guarantor's figure is its share of the
 * guaranteed balance (在保余额).  For each pool: its cash (the postings of
 * `pool:cash` dated on or before DATE), its leverage (the program's outstanding
 * principal / that cash, to four decimals, empty when the cash is not positive),
 * and the leverage of the capacity rule of the version in force on DATE when the
 * rule names that pool.
 *
 * Columns: party,kind,outstanding_share,cash,leverage,capacity_leverage.  Rows in
 * party order: the version in force on DATE (else the highest), then parties
 * only other versions name.
 */
#include <assert.h>
#include <gmp.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "audit_store.h"
#include "batch_store.h"
#include "cli.h"
#include "ledger.h"
#include "programs.h"

static const char usage[] =
    "usage: riskshare audit exposure --program P [--as-of DATE]\n"
    "options: --db CONNINFO  --format table|csv|json  --quiet\n"
    "Prints, as of DATE (default: today), each party's share of the outstanding\n"
    "principal (a guarantor's 在保余额), each pool's cash and its leverage (outstanding\n"
    "principal / cash) beside the capacity rule of the version in force.\n";

/* Versions of one program the command reads (as `settle` does). */
#define EXPOSURE_VERSIONS_MAX 1024
/* Parties across every version of a program. */
#define EXPOSURE_PARTIES_MAX 4096

typedef struct {
    const char *id;         /* borrowed from a version */
    eng_party_kind kind;
    mpq_t exact;            /* the exact share of the outstanding principal */
    eng_fen share;          /* rounded by the largest remainder */
    int has_cash;
    eng_fen cash;
} exposure_party;

typedef struct {
    cli_common common;
    const char *program, *as_of_opt;
    char as_of[11];
    eng_date date;
    eng_policy **versions;
    size_t n_versions;
    const eng_policy *in_force;  /* the version in force on the date, or NULL */
    exposure_party *parties;
    size_t n_parties;
    eng_fen total;               /* the program's outstanding principal */
    long loans;                  /* the number of loans outstanding */
} exposure_run;

/* Parses argv: 1 to run, 0 after --help, -1 after a usage error. */
static int parse_args(exposure_run *run, int argc, char **argv)
{
    int n = 0;
    int code = cli_begin(&run->common, &n, argc, argv, usage);
    eng_error err;

    if (code >= 0) {
        return code == CLI_EXIT_OK ? 0 : -1;
    }
    for (int i = 0; i < n; i++) {
        const char *a = argv[i];
        const char **slot = strcmp(a, "--program") == 0 ? &run->program
                            : strcmp(a, "--as-of") == 0 ? &run->as_of_opt
                                                        : NULL;
        if (slot == NULL) {
            cli_errorf("audit exposure: unexpected argument \"%s\" (see --help)", a);
            return -1;
        }
        if (i + 1 >= n || *slot != NULL) {
            cli_errorf("audit exposure: %s needs one value", a);
            return -1;
        }
        *slot = argv[++i];
    }
    if (run->program == NULL) {
        cli_errorf("audit exposure: --program is required");
        return -1;
    }
    if (run->as_of_opt != NULL &&
        eng_date_parse(&run->date, run->as_of_opt, strlen(run->as_of_opt), &err) != ENG_OK) {
        cli_errorf("audit exposure: --as-of: %s", err.message);
        return -1;
    }
    return 1;
}

/* The index of party `id` in the run, or -1. */
static int party_index(const exposure_run *run, const char *id)
{
    for (size_t i = 0; i < run->n_parties; i++) {
        if (strcmp(run->parties[i].id, id) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* Adds the parties of `p` not yet listed, in its party order. */
static eng_status add_parties(exposure_run *run, const eng_policy *p, eng_error *err)
{
    for (size_t k = 0; k < p->n_parties; k++) {
        if (party_index(run, p->parties[k].id) >= 0) {
            continue;
        }
        if (run->n_parties >= EXPOSURE_PARTIES_MAX) {
            return eng_error_set(err, ENG_ELIMIT, "more than %d parties in program %s",
                                 EXPOSURE_PARTIES_MAX, run->program);
        }
        exposure_party *x = &run->parties[run->n_parties++];
        x->id = p->parties[k].id;
        x->kind = p->parties[k].kind;
        mpq_init(x->exact);
    }
    return ENG_OK;
}

/* Loads the versions, the one in force on the date, and the parties in report order. */
static eng_status load_parties(exposure_run *run, led_db *db, eng_error *err)
{
    eng_status rc;

    run->versions = calloc(EXPOSURE_VERSIONS_MAX, sizeof(*run->versions));
    run->parties = calloc(EXPOSURE_PARTIES_MAX, sizeof(*run->parties));
    if (run->versions == NULL || run->parties == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    rc = cli_program_policies(run->versions, &run->n_versions, EXPOSURE_VERSIONS_MAX, db,
                              run->program, err);
    if (rc != ENG_OK) {
        return rc;
    }
    assert(run->n_versions > 0);
    for (size_t v = run->n_versions; v-- > 0;) {
        if (run->in_force == NULL && eng_policy_in_force(run->versions[v], run->date)) {
            run->in_force = run->versions[v];
        }
    }
    rc = add_parties(run, run->in_force != NULL ? run->in_force
                                                : run->versions[run->n_versions - 1], err);
    for (size_t v = run->n_versions; rc == ENG_OK && v-- > 0;) {
        rc = add_parties(run, run->versions[v], err);
    }
    return rc;
}

/* Adds outstanding x share to each party named in one group's shares JSON. */
static eng_status add_group(exposure_run *run, const char *shares, const char *outstanding,
                            eng_error *err)
{
    json_t *o = json_loads(shares, 0, NULL);
    eng_fen amount = 0;
    eng_status rc = ENG_OK;
    const char *key;
    json_t *v;
    mpq_t q, part;

    if (!json_is_object(o) ||
        eng_money_parse(&amount, outstanding, strlen(outstanding), err) != ENG_OK) {
        json_decref(o);
        return eng_error_set(err, ENG_EDB, "unreadable shares or outstanding from the ledger:"
                             " %.80s", shares);
    }
    mpq_inits(q, part, NULL);
    json_object_foreach(o, key, v)
    {
        const char *s = json_string_value(v);
        int k = party_index(run, key);
        if (k < 0 || s == NULL || eng_num_parse(q, s, strlen(s), err) != ENG_OK) {
            rc = eng_error_set(err, ENG_EDB, "a loan's share of \"%s\" is unreadable", key);
            break;
        }
        eng_fen_to_q(part, amount);
        mpq_mul(part, part, q);
        mpq_add(run->parties[k].exact, run->parties[k].exact, part);
    }
    mpq_clears(q, part, NULL);
    json_decref(o);
    if (rc == ENG_OK) {
        run->total += amount;  /* both <= ENG_FEN_MAX: no overflow */
        if (run->total > ENG_FEN_MAX) {
            rc = eng_error_set(err, ENG_ELIMIT, "outstanding principal of %s beyond the limit",
                               run->program);
        }
    }
    return rc;
}

/* Reads the outstanding principal by share vector and each pool's cash, then splits. */
static eng_status read_exposure(exposure_run *run, led_db *db, eng_error *err)
{
    led_rows *groups = NULL, *cash = NULL;
    const char *pools[EXPOSURE_PARTIES_MAX];
    size_t n_pools = 0;
    eng_status rc = led_audit_outstanding(&groups, db, run->program, run->as_of, err);

    for (size_t r = 0; rc == ENG_OK && r < led_rows_count(groups); r++) {
        long count = 0;
        const char *c = led_rows_get(groups, r, 2);
        rc = add_group(run, led_rows_get(groups, r, 0), led_rows_get(groups, r, 1), err);
        for (; c != NULL && *c >= '0' && *c <= '9'; c++) {
            count = count * 10 + (*c - '0');
        }
        run->loans += count;
    }
    led_rows_free(groups);
    for (size_t i = 0; i < run->n_parties; i++) {
        if (run->parties[i].kind == ENG_PARTY_POOL) {
            pools[n_pools++] = run->parties[i].id;
        }
    }
    if (rc == ENG_OK && n_pools > 0) {
        rc = led_audit_cash(&cash, db, run->program, run->as_of, pools, n_pools, err);
    }
    for (size_t r = 0; rc == ENG_OK && cash != NULL && r < led_rows_count(cash); r++) {
        const char *text = led_rows_get(cash, r, 1);
        int k = party_index(run, led_rows_get(cash, r, 0));
        assert(k >= 0);
        run->parties[k].has_cash = 1;
        if (eng_money_parse(&run->parties[k].cash, text, strlen(text), err) != ENG_OK) {
            rc = eng_error_set(err, ENG_EDB, "unexpected amount from the ledger: %.40s", text);
        }
    }
    led_rows_free(cash);
    return rc;
}

/*
 * Rounds the parties' exact figures once: the program's outstanding principal split
 * by them with the largest remainder (they sum to it exactly, since shares sum to 1).
 */
static eng_status split_shares(exposure_run *run, eng_error *err)
{
    mpq_t *w = malloc((run->n_parties + 1) * sizeof(*w));
    eng_fen *out = malloc((run->n_parties + 1) * sizeof(*out));
    eng_status rc = w != NULL && out != NULL ? ENG_OK : ENG_ERROR;

    for (size_t i = 0; rc == ENG_OK && i < run->n_parties; i++) {
        mpq_init(w[i]);
        mpq_set(w[i], run->parties[i].exact);
    }
    if (rc == ENG_OK) {
        rc = eng_split_fen(out, run->total, (const mpq_t *)w, run->n_parties);
        for (size_t i = 0; i < run->n_parties; i++) {
            run->parties[i].share = rc == ENG_OK ? out[i] : 0;
            mpq_clear(w[i]);
        }
    }
    free(w);
    free(out);
    if (rc != ENG_OK) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    return ENG_OK;
}

/* `num` fen / `den` fen to four decimals, half up (both > 0 or num = 0), into `out`. */
static void ratio_text(char *out, size_t size, eng_fen num, eng_fen den)
{
    mpz_t q, n, d;
    char *digits;
    size_t len;

    assert(num >= 0 && den > 0);
    mpz_inits(q, n, d, NULL);
    mpz_set_si(n, (long)num);
    mpz_mul_ui(n, n, 20000);     /* 2 x 10^4 x num, then + den, / (2 den): half up */
    mpz_add_ui(n, n, (unsigned long)den);
    mpz_set_si(d, (long)den);
    mpz_mul_ui(d, d, 2);
    mpz_fdiv_q(q, n, d);
    digits = mpz_get_str(NULL, 10, q);
    len = strlen(digits);
    /* At least five digits (zero-padded), the last four after the point. */
    snprintf(out, size, "%.*s%s", len < 5 ? (int)(5 - len) : 0, "00000", digits);
    len = strlen(out);
    if (len + 1 < size) {
        memmove(out + len - 3, out + len - 4, 5);
        out[len - 4] = '.';
    }
    free(digits);
    mpz_clears(q, n, d, NULL);
}

/* The capacity rule's leverage for `pool` in the version in force, or "" (caller frees). */
static char *capacity_text(const exposure_run *run, const char *pool)
{
    const eng_policy *p = run->in_force;

    if (p == NULL || !p->capacity.set || strcmp(p->parties[p->capacity.pool].id, pool) != 0) {
        return strdup("");
    }
    return eng_q_format(p->capacity.leverage);
}

/* One report row per party. */
static int add_rows(const exposure_run *run, cli_report *rep)
{
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < run->n_parties; i++) {
        const exposure_party *x = &run->parties[i];
        int pool = x->kind == ENG_PARTY_POOL;
        char share[ENG_FEN_TEXT], cash[ENG_FEN_TEXT] = "", lev[64] = "";
        char *cap = pool ? capacity_text(run, x->id) : strdup("");
        eng_fen_format(share, sizeof(share), x->share);
        if (pool) {
            eng_fen_format(cash, sizeof(cash), x->has_cash ? x->cash : 0);
        }
        if (pool && x->has_cash && x->cash > 0) {
            ratio_text(lev, sizeof(lev), run->total, x->cash);
        }
        const char *v[6] = {x->id, eng_party_kind_name(x->kind), share, cash, lev,
                            cap != NULL ? cap : ""};
        rc = cap != NULL ? cli_report_add(rep, v) : -1;
        free(cap);
    }
    return rc;
}

static int print_report(const exposure_run *run)
{
    static const char *const cols[] = {"party", "kind", "outstanding_share", "cash",
                                       "leverage", "capacity_leverage"};
    cli_report *rep = cli_report_new(cols, 6);
    int rc = rep != NULL ? add_rows(run, rep) : -1;

    if (rc == 0) {
        rc = cli_report_write(rep, stdout, cli_output_format(&run->common));
    }
    cli_report_free(rep);
    if (rc != 0 || fflush(stdout) != 0) {
        cli_errorf("audit exposure: cannot write the report");
        return CLI_EXIT_SOFTWARE;
    }
    return CLI_EXIT_OK;
}

/* One line on stderr: the date, the total, and each pool against its capacity rule. */
static void summary(const exposure_run *run)
{
    const eng_policy *p = run->in_force;
    char total[ENG_FEN_TEXT];

    if (run->common.quiet) {
        return;
    }
    eng_fen_format(total, sizeof(total), run->total);
    fprintf(stderr, "riskshare: exposure of %s as of %s: outstanding principal %s in %ld loans",
            run->program, run->as_of, total, run->loans);
    if (p != NULL && p->capacity.set) {
        const exposure_party *x = &run->parties[party_index(run, p->parties[p->capacity.pool].id)];
        mpq_t limit, cash;
        mpq_inits(limit, cash, NULL);
        eng_fen_to_q(cash, x->has_cash ? x->cash : 0);
        mpq_mul(limit, cash, p->capacity.leverage);
        eng_fen_to_q(cash, run->total);
        fprintf(stderr, "; capacity of version %ld (%s): %s", p->version, x->id,
                mpq_cmp(cash, limit) > 0 ? "over" : "within");
        mpq_clears(limit, cash, NULL);
    } else {
        fprintf(stderr, "; no capacity rule in force");
    }
    fputc('\n', stderr);
}

/* Everything that reads the ledger, in one read-only snapshot. */
static eng_status read_all(exposure_run *run, led_db *db, eng_error *err)
{
    eng_status rc = led_read_begin(db, err);

    if (rc != ENG_OK) {
        return rc;
    }
    rc = led_audit_program_known(db, run->program, err);
    if (rc == ENG_OK && run->as_of_opt == NULL) {
        rc = led_audit_today(run->as_of, db, err);
        if (rc == ENG_OK && eng_date_parse(&run->date, run->as_of, 10, err) != ENG_OK) {
            rc = eng_error_set(err, ENG_EDB, "unexpected date from the ledger: %s", run->as_of);
        }
    } else if (rc == ENG_OK) {
        eng_date_format(run->as_of, run->date);
    }
    if (rc == ENG_OK) {
        rc = load_parties(run, db, err);
    }
    if (rc == ENG_OK) {
        rc = read_exposure(run, db, err);
    }
    led_read_end(db);
    if (rc == ENG_OK) {
        rc = split_shares(run, err);
    }
    return rc;
}

static void run_free(exposure_run *run)
{
    for (size_t i = 0; run->parties != NULL && i < run->n_parties; i++) {
        mpq_clear(run->parties[i].exact);
    }
    for (size_t v = 0; v < run->n_versions; v++) {
        eng_policy_free(run->versions[v]);
    }
    free(run->versions);
    free(run->parties);
}

int cli_audit_exposure(int argc, char **argv)
{
    exposure_run run;
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
        rc = read_all(&run, db, &err);
    }
    led_close(db);
    if (rc != ENG_OK) {
        cli_print_error(&err);
        code = cli_exit_for(rc);
    } else {
        code = print_report(&run);
        summary(&run);
    }
    run_free(&run);
    return code;
}
