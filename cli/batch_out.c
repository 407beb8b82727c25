/*
 * batch_out.c -- the batch report (DESIGN 8): loan_id, status, reasons, rule,
 * guarantee_fee, fee_subsidy, one row per loan in file order; json adds each
 * admitted loan's expected loss per party when its policy has expected_loss.
 * Rows are streamed from the compact decisions: a million loans never become
 * a million report objects.
 */
#include <stdlib.h>
#include <string.h>

#include "batch.h"

static const char *const columns[6] = {"loan_id", "status", "reasons", "rule", "guarantee_fee",
                                       "fee_subsidy"};

/* The six values of row `i` (fee texts written into `fee` and `sub`). */
static void row_values(const char *out[6], const cli_batch_run *run, size_t i,
                       char fee[ENG_FEN_TEXT], char sub[ENG_FEN_TEXT])
{
    const cli_batch_decision *d = &run->decisions[i];
    out[0] = run->file.rows[i].loan_id;
    out[1] = d->admitted ? "admitted" : "rejected";
    out[2] = d->admitted ? "" : run->reasons + d->reasons;
    out[3] = d->admitted ? run->versions[d->version]->terms.rules[d->rule].id : "";
    eng_fen_format(fee, ENG_FEN_TEXT, d->guarantee_fee);
    eng_fen_format(sub, ENG_FEN_TEXT, d->fee_subsidy);
    out[4] = d->admitted ? fee : "";
    out[5] = d->admitted ? sub : "";
}

static void csv_value(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') {
            fputc('"', f);
        }
        fputc(*s, f);
    }
    fputc('"', f);
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\') {
            fprintf(f, "\\%c", *c);
        } else if (*c < 0x20) {
            fprintf(f, "\\u%04x", *c);
        } else {
            fputc(*c, f);
        }
    }
    fputc('"', f);
}

/* `"expected_loss": {"party": "amount", ...}` for an admitted loan, when its policy has one. */
static void json_expected_loss(FILE *f, const cli_batch_run *run, size_t i)
{
    const cli_batch_decision *d = &run->decisions[i];
    const eng_policy *p = run->versions[d->version];
    eng_terms_result terms;
    eng_fen el[ENG_PARTIES_MAX];
    eng_loan loan;
    eng_error err;
    int has = 0;

    if (!p->expected_loss.set) {
        return;
    }
    eng_loan_init(&loan);
    eng_terms_result_init(&terms, p->n_parties);
    cli_batch_loan(&loan, &run->file.rows[i]);
    if (eng_terms_decide(&terms, p, &loan) == ENG_TERMS_OK &&
        eng_adm_expected_loss(el, &has, p, &loan, (const mpq_t *)terms.share, &err) == ENG_OK &&
        has) {
        fputs(", \"expected_loss\": {", f);
        for (size_t k = 0, shown = 0; k < p->n_parties; k++) {
            char amount[ENG_FEN_TEXT];
            if (mpq_sgn(terms.share[k]) == 0) {
                continue;
            }
            eng_fen_format(amount, sizeof(amount), el[k]);
            fprintf(f, "%s\"%s\": \"%s\"", shown++ ? ", " : "", p->parties[k].id, amount);
        }
        fputc('}', f);
    }
    eng_terms_result_clear(&terms);
    eng_loan_clear(&loan);
}

static void write_json(const cli_batch_run *run, FILE *f)
{
    char fee[ENG_FEN_TEXT], sub[ENG_FEN_TEXT];
    const char *v[6];
    fputc('[', f);
    for (size_t i = 0; i < run->file.n_rows; i++) {
        row_values(v, run, i, fee, sub);
        fputs(i ? ",\n  {" : "\n  {", f);
        for (int c = 0; c < 6; c++) {
            fprintf(f, "%s\"%s\": ", c ? ", " : "", columns[c]);
            if (c >= 3 && !run->decisions[i].admitted) {
                fputs("null", f);
            } else if (c == 2) {
                /* reasons as a list */
                fputc('[', f);
                for (const char *r = v[2]; *r;) {
                    const char *end = strchr(r, ';');
                    size_t len = end ? (size_t)(end - r) : strlen(r);
                    fprintf(f, "%s\"%.*s\"", r == v[2] ? "" : ", ", (int)len, r);
                    r += len + (end != NULL);
                }
                fputc(']', f);
            } else {
                json_string(f, v[c]);
            }
        }
        if (run->decisions[i].admitted) {
            json_expected_loss(f, run, i);
        }
        fputc('}', f);
    }
    fputs(run->file.n_rows ? "\n]\n" : "]\n", f);
}

static void write_table(const cli_batch_run *run, FILE *f)
{
    size_t w[6];
    char fee[ENG_FEN_TEXT], sub[ENG_FEN_TEXT];
    const char *v[6];
    for (int c = 0; c < 6; c++) {
        w[c] = strlen(columns[c]);
    }
    for (size_t i = 0; i < run->file.n_rows; i++) {
        row_values(v, run, i, fee, sub);
        for (int c = 0; c < 6; c++) {
            size_t l = strlen(v[c]);
            w[c] = l > w[c] ? l : w[c];
        }
    }
    for (size_t i = 0; i <= run->file.n_rows; i++) {
        if (i > 0) {
            row_values(v, run, i - 1, fee, sub);
        }
        for (int c = 0; c < 6; c++) {
            const char *s = i == 0 ? columns[c] : v[c];
            /* amounts right-aligned, text left-aligned */
            fprintf(f, c >= 4 ? "%s%*s" : "%s%-*s", c ? "  " : "", (int)w[c], s);
        }
        fputc('\n', f);
    }
}

int cli_batch_write_report(const cli_batch_run *run)
{
    FILE *f = stdout;
    cli_format fmt = cli_output_format(&run->common);
    static char buf[1 << 20];
    setvbuf(f, buf, _IOFBF, sizeof(buf));
    if (fmt == CLI_FMT_JSON) {
        write_json(run, f);
    } else if (fmt == CLI_FMT_TABLE) {
        write_table(run, f);
    } else {
        char fee[ENG_FEN_TEXT], sub[ENG_FEN_TEXT];
        const char *v[6];
        fputs("loan_id,status,reasons,rule,guarantee_fee,fee_subsidy\n", f);
        for (size_t i = 0; i < run->file.n_rows; i++) {
            row_values(v, run, i, fee, sub);
            for (int c = 0; c < 6; c++) {
                if (c) {
                    fputc(',', f);
                }
                csv_value(f, v[c]);
            }
            fputc('\n', f);
        }
    }
    if (fflush(f) != 0) {
        return CLI_EXIT_UNAVAILABLE + 1;
    }
    return CLI_EXIT_OK;
}
