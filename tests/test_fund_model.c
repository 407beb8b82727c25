/*
 * test_fund_model.c -- goal: the fund-of-funds model reproduces every oracle
 * number of reference/fund-of-funds.md that the engine computes (copied here;
 * nothing is read from ../shared at test time):
 *   E1 leverage and 返投 (6.1), E2 projections (6.2), E3 waterfalls, sub-fund
 *   results and parent table (6.3, with the Erratum's net NAV), W1/W2/R1/R2
 *   (4.2-4.3), the IRR and XIRR vectors of 5.3 with two-root and no-root cases,
 *   the 7.2 sensitivity and concession tables;
 * and holds two identities on seeded random projections (3.4): the gross IRR
 * equals the growth rate, and total profit equals G x the sum of prior NAVs.
 *
 * `near(x, "12.9609")` asserts that x rounds to the oracle at the oracle's own
 * number of significant digits; `exact(x, "31021/200")` asserts an exact value.
 */
#include <criterion/criterion.h>
#include <gmp.h>
#include <math.h>
#include <mpfr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fund.h"
#include "fund_int.h"
#include "fund_model.h"
#include "money.h"

/* ---- helpers ------------------------------------------------------------- */

/* Parses `text` (`0.15`, `-51.25`, `1/3`, `40%`) exactly, as the loader does. */
static void q_set(mpq_t x, const char *text)
{
    eng_error err;
    cr_assert_eq(eng_num_parse(x, text, strlen(text), &err), ENG_OK, "bad number %s: %s", text,
                 err.message);
}

/* Significant digits written in `text` (a plain decimal). */
static int sig_digits(const char *text)
{
    int n = 0, started = 0;
    for (const char *s = text; *s != '\0'; s++) {
        started |= *s >= '1' && *s <= '9';
        n += started && *s >= '0' && *s <= '9';
    }
    return n;
}

/* Whether x rounds to the decimal `want` at its number of significant digits. */
static int rounds_to(const eng_fund_num *x, const char *want)
{
    if (eng_fund_num_is_null(x)) {
        return 0;
    }
    mpfr_t v, w, tol;
    mpfr_inits2(ENG_FUND_PREC, v, w, tol, (mpfr_ptr)NULL);
    eng_fund__get_fr(v, x);
    mpfr_set_str(w, want, 10, MPFR_RNDN);
    int ok;
    if (mpfr_zero_p(w)) {
        ok = mpfr_cmpabs_ui(v, 0) == 0 || fabs(mpfr_get_d(v, MPFR_RNDN)) < 1e-12;
    } else {
        long e = (long)floor(log10(fabs(mpfr_get_d(w, MPFR_RNDN))));
        /* half a unit in the last written place, plus a hair for the oracle's own rounding */
        mpfr_set_d(tol, 0.5000001 * pow(10.0, (double)(e - sig_digits(want) + 1)), MPFR_RNDN);
        mpfr_sub(w, v, w, MPFR_RNDN);
        ok = mpfr_cmpabs(w, tol) <= 0;
    }
    mpfr_clears(v, w, tol, (mpfr_ptr)NULL);
    return ok;
}

#define near(x, want)                                                                          \
    do {                                                                                       \
        char *got_ = eng_fund_num_str((x), 20);                                                \
        cr_assert(rounds_to((x), (want)), "%s: got %s, want %s", #x, got_, (want));           \
        free(got_);                                                                            \
    } while (0)

#define exact(x, want)                                                                         \
    do {                                                                                       \
        mpq_t w_;                                                                              \
        mpq_init(w_);                                                                          \
        q_set(w_, (want));                                                                     \
        char *got_ = eng_fund_num_str((x), 30);                                                \
        cr_assert(eng_fund_num_is_exact(x) && mpq_equal((x)->q, w_), "%s: got %s%s, want %s", \
                  #x, got_, eng_fund_num_is_exact(x) ? "" : " (inexact)", (want));           \
        free(got_);                                                                            \
        mpq_clear(w_);                                                                         \
    } while (0)

/* ---- the §6 example fund -------------------------------------------------- */

typedef struct {
    const char *id, *kind_parent, *other, *priv, *cap, *multiple, *growth;
    int first_year;
} sub_spec;

static const sub_spec e_subs[] = {
    {"S1", "80", "20", "100", "1/2", "1", "15/100", 1},
    {"S2", "125", "0", "375", "3/10", "3/2", "1/10", 1},
    {"S3", "200", "150", "650", "1/5", "3/2", "8/100", 2},
};

static eng_fund_subfund *add_sub(eng_fund *f, const sub_spec *sp)
{
    eng_fund_subfund *s = NULL;
    cr_assert_eq(eng_fund_add_subfund(f, sp->id, &s, NULL), ENG_OK);
    q_set(s->parent, sp->kind_parent);
    q_set(s->other_state, sp->other);
    q_set(s->private_lp, sp->priv);
    q_set(s->participation_cap, sp->cap);
    q_set(s->reinvestment_multiple, sp->multiple);
    q_set(s->projection.growth, sp->growth);
    s->first_year = sp->first_year;
    mpq_t x;
    mpq_init(x);
    static const char *calls[] = {"1/4", "1/3", "1/2", "1"};
    for (int i = 0; i < 4; i++) {
        q_set(x, calls[i]);
        cr_assert_eq(eng_fund_add_call(s, x, NULL), ENG_OK);
    }
    mpq_clear(x);
    s->projection.life = 10;
    q_set(s->projection.bow, "2");
    q_set(s->waterfall.pref, "8/100");
    q_set(s->waterfall.catch_up, "1");
    q_set(s->waterfall.carry, "1/5");
    return s;
}

static void add_investment(eng_fund_subfund *s, const char *amount, const char *tag)
{
    mpq_t x;
    mpq_init(x);
    q_set(x, amount);
    cr_assert_eq(eng_fund_add_investment(s, x, tag, NULL), ENG_OK);
    mpq_clear(x);
}

/* The parent of §6.1 with no sub-funds yet. */
static eng_fund *parent_fund(void)
{
    eng_fund *f = eng_fund_new();
    cr_assert_not_null(f);
    f->start_year = 2021;
    q_set(f->fiscal, "500");
    q_set(f->soe, "300");
    q_set(f->private_lp, "200");
    q_set(f->state_share_max, "4/5");
    mpq_t w;
    mpq_init(w);
    q_set(w, "1");
    cr_assert_eq(eng_fund_add_weight(f, "registered", w, NULL), ENG_OK);
    q_set(w, "3/2");
    cr_assert_eq(eng_fund_add_weight(f, "relocated", w, NULL), ENG_OK);
    q_set(w, "1");
    cr_assert_eq(eng_fund_add_weight(f, "local_entity", w, NULL), ENG_OK);
    mpq_clear(w);
    return f;
}

/* The §6 fund: S1, S2, S3; with `rate` non-NULL every sub-fund has R1 at that rate. */
static eng_fund *example_fund(const char *rate)
{
    eng_fund *f = parent_fund();
    eng_fund_subfund *s[3];
    for (int j = 0; j < 3; j++) {
        s[j] = add_sub(f, &e_subs[j]);
        s[j]->kind = (eng_fund_kind)j;
        if (rate != NULL) {
            s[j]->concession.kind = ENG_CONCESSION_CAPPED_RETURN;
            q_set(s[j]->concession.rate, rate);
        }
    }
    add_investment(s[0], "70", "registered");
    add_investment(s[0], "10", "relocated");
    add_investment(s[1], "120", "registered");
    add_investment(s[1], "60", "relocated");
    add_investment(s[2], "250", "registered");
    return f;
}

static eng_fund_result *model(const eng_fund *f)
{
    eng_fund_result *r = NULL;
    eng_error err;
    eng_error_clear(&err);
    cr_assert_eq(eng_fund_model(f, &r, &err), ENG_OK, "model: %s: %s", err.path, err.message);
    return r;
}

/* ---- E1: leverage, caps, 返投 ---------------------------------------------- */

Test(fund_model, e1_leverage_by_tier)
{
    eng_fund *f = example_fund(NULL);
    eng_fund_result *r = model(f);
    const eng_fund_leverage *l = &r->leverage;
    exact(&l->parent, "2");
    exact(&l->subfund, "340/81");
    near(&l->subfund, "4.197531");
    exact(&l->subfund_private, "25/9");
    near(&l->subfund_private, "2.777778");
    exact(&l->state_share, "23/68");
    near(&l->state_share, "0.3382");
    exact(&l->fiscal, "680/81");
    near(&l->fiscal, "8.395062");
    near(&l->private_per_fiscal, "5.955556");
    exact(&l->undeployed, "595");
    exact(&l->deployment, "405/1000");
    /* Paid-in basis: year 1 only S1 and S2 have called 25%. */
    cr_assert_eq(l->n_years, 11);
    exact(&l->years[0].subfund_paid_in, "175");
    exact(&l->years[0].parent_paid_in, "51.25");
    exact(&l->years[3].parent_paid_in, "355");
    exact(&l->years[10].subfund_paid_in, "1700");
    exact(&l->years[10].subfund, "340/81");
    eng_fund_result_free(r);
    eng_fund_free(f);
}

Test(fund_model, e1_caps_and_reinvestment)
{
    static const struct {
        const char *size, *participation, *state, *required, *counted, *ratio, *shortfall;
        int ok;
    } want[] = {
        {"200", "2/5", "1/2", "80", "85", "1.0625", "0", 1},
        {"500", "1/4", "1/4", "187.5", "210", "1.68", "0", 1},
        {"1000", "1/5", "7/20", "300", "250", "1.25", "50", 0},
    };
    eng_fund *f = example_fund(NULL);
    eng_fund_result *r = model(f);
    cr_assert_eq(r->n_subfunds, 3);
    for (size_t j = 0; j < 3; j++) {
        const eng_fund_subfund_result *s = &r->subfunds[j];
        cr_assert_str_eq(s->id, e_subs[j].id);
        exact(&s->size, want[j].size);
        exact(&s->participation, want[j].participation);
        exact(&s->state_share, want[j].state);
        cr_assert(s->participation_ok, "%s cap check (S3 is the boundary, <=)", s->id);
        cr_assert(s->state_share_ok, "%s state share <= 80%%", s->id);
        cr_assert(!s->parent_largest, "%s parent is not the largest LP", s->id);
        exact(&s->reinvestment.required, want[j].required);
        exact(&s->reinvestment.counted, want[j].counted);
        exact(&s->reinvestment.ratio, want[j].ratio);
        exact(&s->reinvestment.shortfall, want[j].shortfall);
        cr_assert_eq(s->reinvestment.ok, want[j].ok, "%s", s->id);
    }
    exact(&r->subfunds[2].reinvestment.local_share, "0.3"); /* m p / S = 1.5 x 20% */
    eng_fund_result_free(r);
    eng_fund_free(f);
}

Test(fund_model, e1_cap_one_past_the_boundary)
{
    eng_fund *f = example_fund(NULL);
    q_set(f->subfunds[2]->participation_cap, "199/1000"); /* S3 at 20% > 19.9% */
    q_set(f->state_share_max, "34/100");                  /* S3 at 35% > 34% */
    eng_fund_result *r = model(f);
    cr_assert(!r->subfunds[2].participation_ok);
    cr_assert(!r->subfunds[2].state_share_ok);
    cr_assert(r->subfunds[1].state_share_ok);
    cr_assert(!r->subfunds[0].state_share_ok); /* S1 at 50% */
    eng_fund_result_free(r);
    eng_fund_free(f);
}

/* ---- E2: projections ---------------------------------------------------- */

typedef struct {
    const char *c, *d, *nav;
} ta_row;

static void check_projection(const eng_fund_subfund_result *s, const ta_row *rows,
                             const char *tvpi, const char *irr)
{
    cr_assert_eq(s->n_years, 10);
    for (size_t a = 0; a < 10; a++) {
        const eng_fund_subfund_year *y = &s->years[a];
        cr_assert(eng_fund_num_is_exact(&y->distributions), "integer bow keeps it exact");
        exact(&y->calls, rows[a].c);
        near(&y->distributions, rows[a].d);
        near(&y->nav, rows[a].nav);
    }
    near(&s->gross_tvpi, tvpi);
    cr_assert_eq(s->gross_irr.status, ENG_FUND_IRR_OK);
    exact(&s->gross_irr.value, irr);
}

Test(fund_model, e2_projections)
{
    static const ta_row s1[] = {
        {"50", "0", "50"}, {"50", "2.300000", "105.200000"}, {"50", "10.888200", "160.091800"},
        {"50", "29.456891", "204.648679"}, {"0", "58.836495", "176.509485"},
        {"0", "73.074927", "129.910981"}, {"0", "73.204838", "76.192791"},
        {"0", "56.077894", "31.543815"}, {"0", "29.383064", "6.892324"}, {"0", "7.926172", "0"}};
    static const ta_row s2[] = {
        {"125", "0", "125"}, {"125", "5.500000", "257.000000"},
        {"125", "25.443000", "382.257000"}, {"125", "67.277232", "478.205468"},
        {"0", "131.506504", "394.519511"}, {"0", "156.229726", "277.741736"},
        {"0", "149.702796", "155.813114"}, {"0", "109.692432", "61.701993"},
        {"0", "54.976476", "12.895717"}, {"0", "14.185288", "0"}};
    static const ta_row s3[] = {
        {"250", "0", "250.000000"}, {"250", "10.800000", "509.200000"},
        {"250", "49.494240", "750.441760"}, {"250", "129.676336", "930.800765"},
        {"0", "251.316206", "753.948619"}, {"0", "293.135223", "521.129286"},
        {"0", "275.781618", "287.038011"}, {"0", "198.400673", "111.600379"},
        {"0", "97.628011", "22.900398"}, {"0", "24.732429", "0"}};
    eng_fund *f = example_fund(NULL);
    eng_fund_result *r = model(f);
    check_projection(&r->subfunds[0], s1, "1.705742", "0.15");
    check_projection(&r->subfunds[1], s2, "1.429027", "0.1");
    check_projection(&r->subfunds[2], s3, "1.330965", "0.08");
    cr_assert_eq(r->subfunds[2].years[0].year, 2);
    cr_assert_eq(r->subfunds[2].last_year, 11);
    /* Exact values of S2 and the final cumulative distributions. */
    const eng_fund_subfund_year *y = r->subfunds[1].years;
    exact(&y[1].distributions, "11/2");
    exact(&y[1].nav, "257");
    exact(&y[2].distributions, "25443/1000");
    exact(&y[2].nav, "382257/1000");
    exact(&y[3].distributions, "4204827/62500");
    exact(&y[3].nav, "119551367/250000");
    exact(&y[4].distributions, "1315065037/10000000");
    exact(&y[4].nav, "3945195111/10000000");
    exact(&r->subfunds[1].gp_carry, "83794317903036455871/1953125000000000000");
    eng_fund_result_free(r);
    eng_fund_free(f);
}

Test(fund_model, yale_base_projection)
{
    /* Reference 3.3: CC 100, RC 25%, 1/3, 50%; G 13%, L 12, B 2.5 (MPFR path); IRR 13%. */
    static const char *c[] = {"25.0000", "24.9750", "25.0125", "12.5063", "6.2531", "3.1266",
                              "1.5633", "0.7816", "0.3908", "0.1954", "0.0977", "0.0489"};
    static const char *d[] = {"0", "0.3204", "1.8682", "6.0113", "12.6890", "21.3326",
                              "30.0929", "35.7824", "35.0119", "26.6850", "14.1858", "4.0057"};
    static const char *nav[] = {"25.0000", "52.9046", "82.9265", "100.2019", "106.7923",
                                "102.4693", "87.2607", "63.6039", "37.2513", "15.6044",
                                "3.5449", "0.0489"};
    eng_fund *f = parent_fund();
    sub_spec sp = {"Y", "20", "0", "80", "1", "0", "13/100", 1};
    eng_fund_subfund *s = add_sub(f, &sp);
    for (size_t i = 0; i < s->projection.n_calls; i++) {
        mpq_clear(s->projection.calls[i]);
    }
    s->projection.n_calls = 0;
    mpq_t x;
    mpq_init(x);
    static const char *rc[] = {"1/4", "333/1000", "1/2"};
    for (int i = 0; i < 3; i++) {
        q_set(x, rc[i]);
        eng_fund_add_call(s, x, NULL);
    }
    mpq_clear(x);
    s->projection.life = 12;
    q_set(s->projection.bow, "5/2");
    eng_fund_result *r = model(f);
    const eng_fund_subfund_result *sr = &r->subfunds[0];
    for (size_t a = 0; a < 12; a++) {
        near(&sr->years[a].calls, c[a]);
        near(&sr->years[a].distributions, d[a]);
        near(&sr->years[a].nav, nav[a]);
    }
    cr_assert(!eng_fund_num_is_exact(&sr->years[5].distributions), "bow 2.5 needs MPFR");
    /* The terminal NAV 0.0489 is liquidated in the last year: TVPI 1.88126, IRR 13%. */
    near(&sr->years[11].liquidation, "0.0489");
    near(&sr->gross_tvpi, "1.88126");
    cr_assert_eq(sr->gross_irr.status, ENG_FUND_IRR_OK);
    near(&sr->gross_irr.value, "0.130000000000000");
    eng_fund_result_free(r);
    eng_fund_free(f);
}

/* ---- E3: waterfalls and sub-fund results ---------------------------------- */

typedef struct {
    size_t fund;
    int year;
    const char *roc, *pref, *catch_up, *split, *lp, *gp;
} tier_row;

Test(fund_model, e3_waterfall_tiers)
{
    static const tier_row rows[] = {
        {0, 7, "25.4435", "47.7614", "0", "0", "73.2048", "0"},
        {0, 8, "0", "8.3890", "14.0376", "33.6513", "35.3100", "20.7678"},
        {0, 9, "0", "0", "0", "29.3831", "23.5065", "5.8766"},
        {0, 10, "0", "0", "0", "7.9262", "6.3409", "1.5852"},
        {1, 7, "114.0435", "35.6593", "0", "0", "149.7028", "0"},
        {1, 8, "0", "109.6924", "0", "0", "109.6924", "0"},
        {1, 9, "0", "10.1676", "38.8798", "5.9290", "14.9108", "40.0656"},
        {1, 10, "0", "0", "0", "14.1853", "11.3482", "2.8371"},
        {2, 8, "265.5780", "10.2036", "0", "0", "275.7816", "0"},
        {2, 9, "0", "198.400673", "0", "0", "198.400673", "0"},
        {2, 10, "0", "97.628011", "0", "0", "97.628011", "0"},
        {2, 11, "0", "24.732429", "0", "0", "24.732429", "0"},
    };
    eng_fund *f = example_fund(NULL);
    eng_fund_result *r = model(f);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const eng_fund_subfund_result *s = &r->subfunds[rows[i].fund];
        const eng_fund_subfund_year *y = &s->years[rows[i].year - s->first_year];
        cr_assert_eq(y->year, rows[i].year);
        near(&y->roc, rows[i].roc);
        near(&y->pref, rows[i].pref);
        near(&y->catch_up, rows[i].catch_up);
        near(&y->split, rows[i].split);
        near(&y->lp, rows[i].lp);
        near(&y->gp, rows[i].gp);
    }
    /* Years not listed are pure return of capital. */
    for (size_t j = 0; j < 3; j++) {
        const eng_fund_subfund_result *s = &r->subfunds[j];
        for (size_t a = 0; a < 6; a++) {
            cr_assert(mpq_equal(s->years[a].roc.q, s->years[a].distributions.q));
        }
    }
    eng_fund_result_free(r);
    eng_fund_free(f);
}

typedef struct {
    const char *carry, *lp_d, *lp_irr, *lp_tvpi, *gov_d, *gov_d_r1, *ceded, *priv_irr_r1;
} sub_result_row;

Test(fund_model, e3_subfund_results_baseline_and_r1)
{
    static const sub_result_row want[] = {
        {"28.2296962506", "312.918785003", "0.1296086117431", "1.564594", "125.167514001",
         "87.335349652", "37.832164", "0.1817207526"},
        {"42.9026907664", "671.610763065", "0.08557098327797", "1.343222", "167.902690766",
         "137.206342444", "30.696348", "0.1003741124"},
        {"0", "1330.964737322", "0.08", "1.330965", "266.192947464", "220.298728672",
         "45.894219", "0.09242945423"},
    };
    static const char *priv_irr_base[] = {"0.129609", "0.085571", "0.080000"};
    eng_fund *f = example_fund(NULL), *f1 = example_fund("3/100");
    eng_fund_result *r = model(f), *r1 = model(f1);
    for (size_t j = 0; j < 3; j++) {
        const eng_fund_subfund_result *s = &r->subfunds[j], *s1 = &r1->subfunds[j];
        near(&s->gp_carry, want[j].carry);
        near(&s->lp_distributions, want[j].lp_d);
        near(&s->lp_irr.value, want[j].lp_irr);
        near(&s->lp_tvpi, want[j].lp_tvpi);
        near(&s->government_distributions, want[j].gov_d);
        near(&s->government_irr.value, want[j].lp_irr);
        near(&s->private_irr.value, priv_irr_base[j]);
        exact(&s->ceded, "0");
        /* R1 at 3%: interest paid in full every year, so a 3% loan exactly. */
        near(&s1->government_distributions, want[j].gov_d_r1);
        exact(&s1->government_irr.value, "3/100");
        near(&s1->ceded, want[j].ceded);
        near(&s1->private_irr.value, want[j].priv_irr_r1);
        /* The waterfall itself does not change. */
        cr_assert(mpq_equal(s->gp_carry.q, s1->gp_carry.q));
    }
    exact(&r->subfunds[2].gp_carry, "0"); /* G = pref: the boundary case, no carry */
    exact(&r->subfunds[2].lp_irr.value, "8/100");
    eng_fund_result_free(r);
    eng_fund_result_free(r1);
    eng_fund_free(f);
    eng_fund_free(f1);
}

/* ---- E3: the parent --------------------------------------------------------- */

typedef struct {
    const char *calls, *dist, *net, *cum, *pic, *nav, *dpi, *rvpi, *tvpi, *irr;
} parent_row;

Test(fund_model, e3_parent_table_with_erratum_nav)
{
    /* calls/dist/net/cum/PIC/DPI from 6.3; net NAV, RVPI, TVPI, IRR to date from the Erratum. */
    static const parent_row rows[] = {
        {"51.2500", "0", "-51.2500", "-51.2500", "51.25", "51.25", "0", "1", "1", NULL},
        {"101.2500", "2.2950", "-98.9550", "-150.2050", "152.50", "155.105", "0.0150",
         "1.017081967", "1.032131148", "0.09560975610"},
        {"101.2500", "12.8760", "-88.3740", "-238.5790", "253.75", "257.66857", "0.0598",
         "1.015442640", "1.075229951", "0.09257824342"},
        {"101.2500", "38.5009", "-62.7491", "-301.3281", "355.00", "343.8944039", "0.1512",
         "0.9687166308", "1.119905201", "0.09180404778"},
        {"50.0000", "82.3465", "32.3465", "-268.9816", "405.00", "342.9422268", "0.3358",
         "0.8467709304", "1.182618915", "0.09160252317"},
        {"0", "118.5506", "118.5506", "-150.4309", "405", "255.6472409", "0.6286",
         "0.6312277553", "1.259793378", "0.09148034665"},
        {"0", "125.3347", "125.3347", "-25.0962", "405", "154.1663019", "0.9380",
         "0.3806575355", "1.318691501", "0.09175930873"},
        {"0", "96.7034", "96.7034", "71.6072", "405", "72.57443713", "1.1768", "0.1791961411",
         "1.356004056", "0.09224553477"},
        {"0", "52.8104", "52.8104", "124.4176", "405", "27.10476258", "1.3072",
         "0.06692533970", "1.374129368", "0.09253317653"},
        {"0", "24.8990", "24.8990", "149.3167", "405", "4.580079534", "1.3687",
         "0.01130883836", "1.379991965", "0.09247931328"},
        {"0", "4.9465", "4.9465", "154.2632", "405", "0", "1.3809", "0", "1.380896672",
         "0.09245827051"},
    };
    static const char *net12[] = {"-51.25", "-98.955", "-88.37397", "-62.74908752",
                                  "32.3464912126", "118.550643684", "125.33467873",
                                  "96.7034495502", "52.8104257138", "24.8990349644",
                                  "4.94648589682"};
    eng_fund *f = example_fund(NULL);
    eng_fund_result *r = model(f);
    const eng_fund_parent_result *p = &r->parent;
    cr_assert_eq(p->n_years, 11);
    for (size_t t = 0; t < 11; t++) {
        const eng_fund_parent_year *y = &p->years[t];
        cr_assert_eq(y->year, (int)t + 1);
        near(&y->calls, rows[t].calls);
        near(&y->distributions, rows[t].dist);
        near(&y->net, rows[t].net);
        near(&y->net, net12[t]);
        near(&y->cumulative_net, rows[t].cum);
        near(&y->paid_in, rows[t].pic);
        near(&y->nav, rows[t].nav);
        near(&y->dpi, rows[t].dpi);
        near(&y->rvpi, rows[t].rvpi);
        near(&y->tvpi, rows[t].tvpi);
        if (rows[t].irr == NULL) {
            cr_assert_eq(y->irr_to_date.status, ENG_FUND_IRR_NONE, "year 1 IRR is undefined");
            cr_assert_not_null(y->irr_to_date.reason);
        } else {
            cr_assert_eq(y->irr_to_date.status, ENG_FUND_IRR_OK, "year %zu", t + 1);
            near(&y->irr_to_date.value, rows[t].irr);
        }
    }
    exact(&p->years[1].nav, "31021/200");
    exact(&p->years[2].nav, "25766857/100000");
    near(&p->distributions, "559.2632");
    near(&p->tvpi, "1.38089667");
    near(&p->irr.value, "0.0924582705067");
    cr_assert_eq(p->irr.status, ENG_FUND_IRR_OK);
    near(&p->xirr.value, "0.0923919518154");
    cr_assert_eq(p->trough_year, 4);
    near(&p->trough_amount, "-301.3281");
    cr_assert_eq(p->breakeven_year, 8);
    eng_fund_result_free(r);
    eng_fund_free(f);
}

Test(fund_model, e3_parent_with_r1_at_3_percent)
{
    static const char *dist[] = {"0", "2.2950", "12.8760", "38.5009", "82.3465", "118.5506",
                                 "113.5655", "58.4479", "18.2580", "0", "0"};
    eng_fund *f = example_fund("3/100"), *base = example_fund(NULL);
    eng_fund_result *r = model(f), *rb = model(base);
    const eng_fund_parent_result *p = &r->parent;
    for (size_t t = 0; t < 11; t++) {
        near(&p->years[t].distributions, dist[t]);
    }
    near(&p->distributions, "444.8404");
    near(&p->tvpi, "1.09837141");
    exact(&p->irr.value, "3/100");
    near(&p->xirr.value, "0.0299798448");
    eng_fund_num cost;
    eng_fund__init(&cost);
    eng_fund__sub(&cost, &rb->parent.distributions, &p->distributions);
    /* The reference prints 114.4228 = 559.2632 - 444.8404, a difference of rounded totals;
     * the unrounded difference is 114.42273146... */
    near(&cost, "114.4227");
    near(&cost, "114.422731464");
    eng_fund__clear(&cost);
    cr_assert_eq(p->trough_year, 4);
    near(&p->trough_amount, "-301.3281");
    cr_assert_eq(p->breakeven_year, 8);
    eng_fund_result_free(r);
    eng_fund_result_free(rb);
    eng_fund_free(f);
    eng_fund_free(base);
}

/* ---- W1, W2, R1, R2: single-date checks over explicit flows ------------------ */

typedef struct {
    size_t n;
    eng_fund_num calls[8], dists[8], navs[8], fractions[8];
    eng_fund__wf_year out[8];
} wf_case;

/* Years 1..n; `calls`/`dists`/`fractions` as text, "" = 0. */
static void wf_setup(wf_case *c, size_t n, const char **calls, const char **dists,
                     const char **fractions)
{
    c->n = n;
    eng_fund__inits(c->calls, 8);
    eng_fund__inits(c->dists, 8);
    eng_fund__inits(c->navs, 8);
    eng_fund__inits(c->fractions, 8);
    eng_fund__wf_years_init(c->out, 8);
    for (size_t i = 0; i < n; i++) {
        if (calls[i][0] != '\0') {
            q_set(c->calls[i].q, calls[i]);
        }
        if (dists[i][0] != '\0') {
            q_set(c->dists[i].q, dists[i]);
        }
        if (fractions != NULL && fractions[i][0] != '\0') {
            q_set(c->fractions[i].q, fractions[i]);
        }
    }
}

static void wf_run(wf_case *c, eng_waterfall_style style)
{
    eng_fund_waterfall w;
    w.style = style;
    mpq_inits(w.pref, w.catch_up, w.carry, NULL);
    q_set(w.pref, "8/100");
    q_set(w.catch_up, "1");
    q_set(w.carry, "1/5");
    eng_fund__wf_input in = {c->n, c->calls, c->dists, c->navs, c->fractions};
    cr_assert_eq(eng_fund__waterfall_run(c->out, &w, &in), ENG_OK);
    mpq_clears(w.pref, w.catch_up, w.carry, NULL);
}

static void wf_free(wf_case *c)
{
    eng_fund__clears(c->calls, 8);
    eng_fund__clears(c->dists, 8);
    eng_fund__clears(c->navs, 8);
    eng_fund__clears(c->fractions, 8);
    eng_fund__wf_years_clear(c->out, 8);
}

/* The IRR of periodic flows given as text. */
static void irr_of(eng_fund_irr *out, const char *const *flows, size_t n)
{
    mpq_t q[16];
    cr_assert(n <= 16);
    for (size_t i = 0; i < n; i++) {
        mpq_init(q[i]);
        q_set(q[i], flows[i]);
    }
    cr_assert_eq(eng_fund_irr_periodic(out, q, n), ENG_OK);
    for (size_t i = 0; i < n; i++) {
        mpq_clear(q[i]);
    }
}

static void assert_irr(const char *const *flows, size_t n, const char *want)
{
    eng_fund_irr irr;
    irr_of(&irr, flows, n);
    cr_assert_eq(irr.status, ENG_FUND_IRR_OK, "%s...: status %d", flows[0], irr.status);
    near(&irr.value, want);
    eng_fund_irr_clear(&irr);
}

Test(fund_model_waterfall, w1_european_single_date)
{
    static const char *calls[] = {"1000", "", "", "", "", ""};
    static const char *dists[] = {"", "", "", "", "", "2000"};
    wf_case c;
    wf_setup(&c, 6, calls, dists, NULL);
    wf_run(&c, ENG_WATERFALL_EUROPEAN);
    const eng_fund__wf_year *y = &c.out[5];
    exact(&y->roc, "1000");
    exact(&y->pref, "36666256/78125");
    near(&y->pref, "469.3280768");
    near(&y->catch_up, "117.3320192");
    near(&y->split, "413.339904");
    exact(&y->lp, "1800");
    exact(&y->gp, "200");
    static const char *gross[] = {"-1000", "0", "0", "0", "0", "2000"};
    static const char *lp[] = {"-1000", "0", "0", "0", "0", "1800"};
    assert_irr(gross, 6, "0.148698");
    assert_irr(lp, 6, "0.124746");
    wf_free(&c);
}

Test(fund_model_waterfall, w2_american_vs_european_and_clawback)
{
    static const char *calls[] = {"1000", "", "", "", ""};
    static const char *dists[] = {"", "", "1200", "", "300"};
    static const char *fractions[] = {"", "", "1/2", "", "1"};
    wf_case a, e;
    wf_setup(&a, 5, calls, dists, fractions);
    wf_run(&a, ENG_WATERFALL_AMERICAN);
    /* Deal A at t2: ROC 500, pref 83.2, catch-up 20.8, split 596 -> LP 1060, GP 140. */
    exact(&a.out[2].roc, "500");
    exact(&a.out[2].pref, "83.2");
    exact(&a.out[2].catch_up, "20.8");
    exact(&a.out[2].split, "596");
    exact(&a.out[2].lp, "1060");
    exact(&a.out[2].gp, "140");
    /* Deal B at t4: 300 to the LPs; the GP repays the clawback 140 - 100 = 40. */
    exact(&a.out[4].roc, "300");
    exact(&a.out[4].clawback, "40");
    exact(&a.out[4].lp, "340");
    exact(&a.out[4].gp, "-40");
    static const char *lp_american[] = {"-1000", "0", "1060", "0", "300"};
    assert_irr(lp_american, 5, "0.136736");

    wf_setup(&e, 5, calls, dists, NULL);
    wf_run(&e, ENG_WATERFALL_EUROPEAN);
    exact(&e.out[2].roc, "1000");
    exact(&e.out[2].pref, "166.4");
    exact(&e.out[2].catch_up, "33.6");
    exact(&e.out[2].lp, "1166.4");
    exact(&e.out[4].catch_up, "8");
    exact(&e.out[4].split, "292");
    exact(&e.out[4].lp, "233.6");
    exact(&e.out[4].gp, "66.4");
    static const char *lp_european[] = {"-1000", "0", "1166.4", "0", "233.6"};
    assert_irr(lp_european, 5, "0.157862");
    wf_free(&a);
    wf_free(&e);
}

typedef struct {
    eng_fund_num calls[8], receipts[8], navs[8];
    eng_fund__gov_year out[8];
} gov_case;

/* W1 with the government at 20%: 200 called in year 1, `receipt` in year 6. */
static void gov_run(gov_case *c, const eng_fund_concession *k, const char *receipt)
{
    eng_fund__inits(c->calls, 8);
    eng_fund__inits(c->receipts, 8);
    eng_fund__inits(c->navs, 8);
    eng_fund__gov_years_init(c->out, 8);
    q_set(c->calls[0].q, "200");
    q_set(c->receipts[5].q, receipt);
    eng_fund__concession_run(c->out, k, 1, 6, c->calls, c->receipts, c->navs);
}

static void gov_free(gov_case *c)
{
    eng_fund__clears(c->calls, 8);
    eng_fund__clears(c->receipts, 8);
    eng_fund__clears(c->navs, 8);
    eng_fund__gov_years_clear(c->out, 8);
}

Test(fund_model_waterfall, r1_capped_return_single_date)
{
    eng_fund_concession k = {.kind = ENG_CONCESSION_CAPPED_RETURN, .year = 0};
    mpq_inits(k.rate, k.ceded, NULL);
    q_set(k.rate, "3/100");
    q_set(k.ceded, "1");
    gov_case c;
    gov_run(&c, &k, "360");
    exact(&c.out[5].gov_dists, "230"); /* 200 (1 + 0.03 x 5) */
    exact(&c.out[5].extra_dists, "130");
    static const char *gov[] = {"-200", "0", "0", "0", "0", "230"};
    static const char *priv_before[] = {"-800", "0", "0", "0", "0", "1440"};
    static const char *priv_after[] = {"-800", "0", "0", "0", "0", "1570"};
    assert_irr(gov, 6, "0.028347");
    assert_irr(priv_before, 6, "0.124746");
    assert_irr(priv_after, 6, "0.144358");
    gov_free(&c);
    mpq_clears(k.rate, k.ceded, NULL);
}

Test(fund_model_waterfall, r2_buyout_price)
{
    static const struct {
        int year;
        const char *rate, *price, *irr;
    } cases[] = {
        {4, "3/100", "200", "0"},         /* tau = 3: at cost */
        {5, "435/10000", "234.8", "0.040919"}, /* tau = 4 at 4.35% */
        {6, "3/100", "230", "0.028347"},  /* tau = 5 at 3% */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        eng_fund_concession k = {.kind = ENG_CONCESSION_BUYOUT, .year = cases[i].year};
        mpq_inits(k.rate, k.ceded, NULL);
        q_set(k.rate, cases[i].rate);
        gov_case c;
        gov_run(&c, &k, "0");
        size_t b = (size_t)cases[i].year - 1;
        exact(&c.out[b].gov_dists, cases[i].price);
        exact(&c.out[b].extra_calls, cases[i].price); /* the private LPs pay it */
        const char *flows[8] = {"-200", "0", "0", "0", "0", "0"};
        flows[b] = cases[i].price;
        assert_irr(flows, b + 1, cases[i].irr);
        gov_free(&c);
        mpq_clears(k.rate, k.ceded, NULL);
    }
}

/* ---- IRR and XIRR vectors (5.3) -------------------------------------------------- */

Test(fund_model_irr, periodic_vectors)
{
    /* Every root in [-0.99, 10], ascending; the chosen one is the one nearest 0.1.  The
     * reference lists two roots for [-5, 10.5, 1, -8, 1]; a third, -0.8702012475, also lies
     * in the scanned range (x = 1 + r = 0.12980 solves -5x^4 + 10.5x^3 + x^2 - 8x + 1). */
    static const struct {
        size_t n;
        const char *flows[8];
        const char *chosen;
        size_t n_roots;
        const char *roots[3];
    } cases[] = {
        {5, {"-100", "39", "59", "55", "20"}, "0.2809484", 1, {"0.2809484"}},
        {4, {"-100", "0", "0", "74"}, "-0.0954958", 1, {"-0.0954958"}},
        {4, {"-100", "100", "0", "-7"}, "-0.0832997", 2, {"-0.6788944", "-0.0832997"}},
        {4, {"-100", "100", "0", "7"}, "0.0620585", 1, {"0.0620585"}},
        {5, {"-5", "10.5", "1", "-8", "1"}, "0.0885983", 3,
         {"-0.8702012475", "0.0885983", "0.7095595"}},
        {4, {"-12", "0", "0", "40"}, "0.4938016", 1, {"0.4938016"}},
        {7, {"-12", "-10", "-4", "40", "0", "15", "5"}, "0.3243064", 1, {"0.3243064"}},
        {3, {"-1000", "750", "500"}, "0.1753905297", 1, {"0.1753905297"}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        eng_fund_irr irr;
        irr_of(&irr, cases[i].flows, cases[i].n);
        cr_assert_eq(irr.status, cases[i].n_roots == 1 ? ENG_FUND_IRR_OK : ENG_FUND_IRR_SEVERAL,
                     "case %zu", i);
        near(&irr.value, cases[i].chosen);
        cr_assert_eq(irr.n_roots, cases[i].n_roots, "case %zu", i);
        for (size_t k = 0; k < cases[i].n_roots; k++) {
            near(&irr.roots[k], cases[i].roots[k]);
        }
        eng_fund_irr_clear(&irr);
    }
}

Test(fund_model_irr, two_exact_roots_and_no_root)
{
    static const char *two[] = {"-1", "2.3", "-1.32"};
    eng_fund_irr irr;
    irr_of(&irr, two, 3);
    cr_assert_eq(irr.status, ENG_FUND_IRR_SEVERAL);
    cr_assert_eq(irr.n_roots, 2);
    exact(&irr.roots[0], "1/10");
    exact(&irr.roots[1], "1/5");
    exact(&irr.value, "1/10");
    eng_fund_irr_clear(&irr);

    static const char *none[] = {"-1", "3", "-2.31"}; /* discriminant 9 - 9.24 < 0 */
    irr_of(&irr, none, 3);
    cr_assert_eq(irr.status, ENG_FUND_IRR_NONE);
    cr_assert_eq(irr.n_roots, 0);
    cr_assert(eng_fund_num_is_null(&irr.value));
    cr_assert_str_eq(irr.reason, "no rate between -99% and 1000% makes the net present value zero");
    eng_fund_irr_clear(&irr);

    static const char *one_sign[] = {"-1", "-2", "0"};
    irr_of(&irr, one_sign, 3);
    cr_assert_eq(irr.status, ENG_FUND_IRR_NONE);
    cr_assert_str_eq(irr.reason, "the flows do not change sign");
    eng_fund_irr_clear(&irr);

    static const char *zero[] = {"0"}; /* a year-1 call plus its NAV at the same date */
    irr_of(&irr, zero, 1);
    cr_assert_eq(irr.status, ENG_FUND_IRR_NONE);
    cr_assert_str_eq(irr.reason, "every flow is zero, so every rate solves it");
    eng_fund_irr_clear(&irr);

    irr_of(&irr, zero, 0);
    cr_assert_eq(irr.status, ENG_FUND_IRR_NONE);
    eng_fund_irr_clear(&irr);
}

Test(fund_model_irr, xirr_vectors)
{
    static const struct {
        size_t n;
        const char *flows[3];
        long days[3];
        const char *want;
    } cases[] = {
        /* 2020-01-01, 2021-01-01, 2022-01-01 */
        {3, {"-1000", "750", "500"}, {0, 366, 731}, "0.1750092646"},
        /* 2020-01-01 -> 2021-01-01: 1.2^(365/366) - 1 */
        {2, {"-1000", "1200"}, {0, 366}, "0.1994023733"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        mpq_t q[3];
        for (size_t k = 0; k < cases[i].n; k++) {
            mpq_init(q[k]);
            q_set(q[k], cases[i].flows[k]);
        }
        eng_fund_irr irr;
        cr_assert_eq(eng_fund_irr_dated(&irr, q, cases[i].days, cases[i].n), ENG_OK);
        cr_assert_eq(irr.status, ENG_FUND_IRR_OK);
        near(&irr.value, cases[i].want);
        eng_fund_irr_clear(&irr);
        for (size_t k = 0; k < cases[i].n; k++) {
            mpq_clear(q[k]);
        }
    }
    /* The 2-flow case against the analytic value to 1e-30. */
    mpq_t q[2];
    mpq_inits(q[0], q[1], NULL);
    mpq_set_si(q[0], -1000, 1);
    mpq_set_si(q[1], 1200, 1);
    long days[2] = {0, 366};
    eng_fund_irr irr;
    cr_assert_eq(eng_fund_irr_dated(&irr, q, days, 2), ENG_OK);
    mpfr_t a, b;
    mpfr_inits2(ENG_FUND_PREC, a, b, (mpfr_ptr)NULL);
    mpfr_set_d(a, 1.2, MPFR_RNDN);
    mpfr_set_str(a, "1.2", 10, MPFR_RNDN);
    mpfr_set_ui(b, 365, MPFR_RNDN);
    mpfr_div_ui(b, b, 366, MPFR_RNDN);
    mpfr_pow(a, a, b, MPFR_RNDN);
    mpfr_sub_ui(a, a, 1, MPFR_RNDN);
    eng_fund__get_fr(b, &irr.value);
    mpfr_sub(a, a, b, MPFR_RNDN);
    cr_assert_lt(fabs(mpfr_get_d(a, MPFR_RNDN)), 1e-30);
    mpfr_clears(a, b, (mpfr_ptr)NULL);
    eng_fund_irr_clear(&irr);
    mpq_clears(q[0], q[1], NULL);
}

/* ---- 7.2: sensitivity and concession tables ---------------------------------------- */

/* One sub-fund like S2: CC 500, government 25%; growth G, bow B. */
static eng_fund *one_subfund(const char *concession_rate)
{
    eng_fund *f = parent_fund();
    sub_spec sp = {"S2", "125", "0", "375", "3/10", "3/2", "1/10", 1};
    eng_fund_subfund *s = add_sub(f, &sp);
    if (concession_rate != NULL) {
        s->concession.kind = ENG_CONCESSION_CAPPED_RETURN;
        q_set(s->concession.rate, concession_rate);
    }
    return f;
}

static void add_axis(eng_fund_grid *g, eng_fund_param param, const char **values, size_t n)
{
    cr_assert_eq(eng_fund_grid_add_axis(g, param, NULL), ENG_OK);
    mpq_t x;
    mpq_init(x);
    for (size_t i = 0; i < n; i++) {
        q_set(x, values[i]);
        cr_assert_eq(eng_fund_grid_add_value(g, x, NULL), ENG_OK);
    }
    mpq_clear(x);
}

Test(fund_model_grid, sensitivity_of_one_subfund)
{
    static const char *growth[] = {"0", "5/100", "10/100", "15/100", "20/100"};
    static const char *bow[] = {"3/2", "2", "5/2", "3"};
    static const struct {
        size_t g, b;
        const char *gross_tvpi, *lp_tvpi, *lp_irr, *carry, *peak;
        int peak_year, breakeven;
    } rows[] = {
        {0, 1, "1.0000", "1.0000", "0", "0", "417.28", 4, 10},
        {1, 0, "1.1603", "1.1603", "0.0500", "0", "391.33", 4, 7},
        {1, 2, "1.2277", "1.2277", "0.0500", "0", "482.17", 4, 8},
        {2, 0, "1.3452", "1.2762", "0.085231", "34.522", "416.71", 4, 7},
        {2, 1, "1.4290", "1.3432", "0.085571", "42.903", "478.21", 4, 7},
        {2, 2, "1.5047", "1.4037", "0.085474", "50.467", "517.45", 4, 8},
        {2, 3, "1.5711", "1.4569", "0.085660", "57.110", "541.76", 4, 8},
        {3, 1, "1.7057", "1.5646", "0.129609", "70.574", "511.62", 4, 7},
        {3, 3, "1.9614", "1.7691", "0.129824", "96.141", "585.49", 5, 8},
        {4, 1, "2.0338", "1.8271", "0.173786", "103.384", "547.10", 4, 7},
        {4, 3, "2.4417", "2.1534", "0.175020", "144.173", "655.70", 5, 7},
    };
    eng_fund *f = one_subfund(NULL);
    eng_fund_grid *g = eng_fund_grid_new();
    add_axis(g, ENG_FUND_PARAM_GROWTH, growth, 5);
    add_axis(g, ENG_FUND_PARAM_BOW, bow, 4);
    eng_fund_grid_result *r = NULL;
    eng_error err;
    cr_assert_eq(eng_fund_grid_run(f, g, &r, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(r->n_rows, 5);
    cr_assert_eq(r->n_cols, 4);
    cr_assert_eq(r->row_param, ENG_FUND_PARAM_GROWTH);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const eng_fund_result *c = r->cells[rows[i].g * r->n_cols + rows[i].b];
        const eng_fund_subfund_result *s = &c->subfunds[0];
        cr_assert_eq(s->n_years, 0, "a cell is a summary");
        near(&s->gross_tvpi, rows[i].gross_tvpi);
        near(&s->lp_tvpi, rows[i].lp_tvpi);
        near(&s->lp_irr.value, rows[i].lp_irr);
        near(&s->gp_carry, rows[i].carry);
        near(&s->peak_nav, rows[i].peak);
        cr_assert_eq(s->peak_nav_year, rows[i].peak_year, "row %zu", i);
        cr_assert_eq(s->lp_breakeven_year, rows[i].breakeven, "row %zu", i);
        /* When G <= 8% the LP IRR equals G and the carry is 0 (the parent's too). */
        if (rows[i].g <= 1) {
            cr_assert(eng_fund_num_is_exact(&s->lp_irr.value) || rows[i].b != 1);
            near(&c->parent.irr.value, growth[rows[i].g][0] == '0' ? "0" : "0.0500");
        }
    }
    /* The parent's own IRR per cell: with G 10%, B 2 it is S2's LP IRR. */
    near(&r->cells[2 * 4 + 1]->parent.irr.value, "0.08557098327797");
    eng_fund_grid_result_free(r);
    eng_fund_grid_free(g);
    eng_fund_free(f);
}

Test(fund_model_grid, concession_sweep_on_s2)
{
    static const char *rates[] = {"0", "2/100", "3/100", "435/10000", "6/100", "8/100"};
    static const struct {
        const char *gov_d, *gov_irr, *priv_d, *priv_irr, *transfer;
    } want[] = {
        {"125.0000", "0", "546.6108", "0.106498", "42.9027"},
        {"132.8776", "0.020000", "538.7332", "0.102462", "35.0251"},
        {"137.2063", "0.030000", "534.4044", "0.100374", "30.6963"},
        {"143.5529", "0.043500", "528.0579", "0.097342", "24.3498"},
        {"152.0545", "0.059926", "519.5563", "0.093198", "15.8482"},
        {"163.7370", "0.079786", "507.8738", "0.087435", "4.1657"},
    };
    /* "none": the baseline. */
    eng_fund *base = one_subfund(NULL);
    eng_fund_result *rb = model(base);
    near(&rb->subfunds[0].government_distributions, "167.9027");
    near(&rb->subfunds[0].government_irr.value, "0.085571");
    near(&rb->subfunds[0].private_distributions, "503.7081");
    near(&rb->subfunds[0].private_irr.value, "0.085571");
    exact(&rb->subfunds[0].ceded, "0");

    eng_fund *f = one_subfund("3/100");
    eng_fund_grid *g = eng_fund_grid_new();
    add_axis(g, ENG_FUND_PARAM_RATE, rates, 6);
    eng_fund_grid_result *r = NULL;
    eng_error err;
    cr_assert_eq(eng_fund_grid_run(f, g, &r, &err), ENG_OK, "%s", err.message);
    cr_assert_eq(r->n_cols, 1);
    for (size_t i = 0; i < 6; i++) {
        const eng_fund_subfund_result *s = &r->cells[i]->subfunds[0];
        near(&s->government_distributions, want[i].gov_d);
        near(&s->government_irr.value, want[i].gov_irr);
        near(&s->private_distributions, want[i].priv_d);
        near(&s->private_irr.value, want[i].priv_irr);
        near(&s->ceded, want[i].transfer);
    }
    exact(&r->cells[0]->subfunds[0].government_irr.value, "0"); /* exit at cost */
    eng_fund_grid_result_free(r);
    eng_fund_grid_free(g);
    eng_fund_free(f);
    eng_fund_result_free(rb);
    eng_fund_free(base);
}

Test(fund_model_grid, bad_values_name_the_cell)
{
    static const char *life[] = {"10", "21/2"};
    eng_fund *f = one_subfund(NULL);
    eng_fund_grid *g = eng_fund_grid_new();
    add_axis(g, ENG_FUND_PARAM_LIFE, life, 2);
    eng_fund_grid_result *r = NULL;
    eng_error err;
    eng_error_clear(&err);
    cr_assert_eq(eng_fund_grid_run(f, g, &r, &err), ENG_EINVALID);
    cr_assert_null(r);
    cr_assert_str_eq(err.message, "life must be a whole number of years from 1 to 100");
    cr_assert_str_eq(err.detail, "In the grid cell life = 10.5.");
    eng_fund_grid_free(g);

    static const char *rate[] = {"3/100"};
    g = eng_fund_grid_new();
    add_axis(g, ENG_FUND_PARAM_RATE, rate, 1);
    cr_assert_eq(eng_fund_grid_run(f, g, &r, &err), ENG_EINVALID);
    cr_assert_str_eq(err.message, "no sub-fund has a concession for 'rate' to vary");
    eng_fund_grid_free(g);

    static const char *carry[] = {"1/5", "1"};
    g = eng_fund_grid_new();
    add_axis(g, ENG_FUND_PARAM_CARRY, carry, 2);
    cr_assert_eq(eng_fund_grid_run(f, g, &r, &err), ENG_EINVALID);
    cr_assert_str_eq(err.path, "subfunds[0].waterfall.carry");
    cr_assert_eq(eng_fund_grid_add_axis(g, ENG_FUND_PARAM_CARRY, &err), ENG_EINVALID);
    cr_assert_eq(eng_fund_grid_add_axis(g, ENG_FUND_PARAM_BOW, &err), ENG_OK);
    cr_assert_eq(eng_fund_grid_add_axis(g, ENG_FUND_PARAM_GROWTH, &err), ENG_ELIMIT);
    eng_fund_grid_free(g);
    eng_fund_free(f);
}

/* ---- American waterfall and buyout inside the model ------------------------------------ */

Test(fund_model, american_and_buyout_keep_the_books)
{
    eng_fund *f = example_fund(NULL);
    f->subfunds[0]->waterfall.style = ENG_WATERFALL_AMERICAN;
    f->subfunds[1]->concession.kind = ENG_CONCESSION_BUYOUT;
    f->subfunds[1]->concession.year = 5;
    q_set(f->subfunds[1]->concession.rate, "435/10000");
    eng_fund_result *r = model(f);
    eng_fund_num sum, x, profit;
    eng_fund__init(&sum), eng_fund__init(&x), eng_fund__init(&profit);
    for (size_t j = 0; j < 2; j++) {
        const eng_fund_subfund_result *s = &r->subfunds[j];
        /* LP + GP = what the fund paid out, every year. */
        for (size_t a = 0; a < s->n_years; a++) {
            eng_fund__add(&x, &s->years[a].lp, &s->years[a].gp);
            eng_fund__add(&sum, &s->years[a].distributions, &s->years[a].liquidation);
            cr_assert_eq(eng_fund__cmp(&x, &sum), 0, "%s year %zu", s->id, a + 1);
        }
    }
    /* American: after the clawback the GP holds at most 20% of the whole-fund profit. */
    const eng_fund_subfund_result *s1 = &r->subfunds[0];
    eng_fund__add(&profit, &s1->lp_distributions, &s1->gp_carry);
    eng_fund__set_si(&x, 200, 1);
    eng_fund__sub(&profit, &profit, &x); /* sum D - sum C */
    eng_fund__set_si(&x, 1, 5);
    eng_fund__mul(&x, &x, &profit);
    cr_assert_leq(eng_fund__cmp(&s1->gp_carry, &x), 0);
    cr_assert_gt(eng_fund__sgn(&s1->gp_carry), 0);
    /* Buyout in year 5 (tau = 4 > 3): each call plus 4.35% simple interest, less receipts:
     * 31.25 (4 + .0435 (4 + 3 + 2 + 1)) - (5.5 + 25.443 + 67.277232 + 131.5065037) / 4. */
    const eng_fund_subfund_result *s2 = &r->subfunds[1];
    exact(&s2->years[4].private_calls, "81.162066075");
    exact(&s2->years[4].government_distributions, "114.0386920");
    for (size_t a = 5; a < s2->n_years; a++) {
        cr_assert_eq(eng_fund__sgn(&s2->years[a].government_distributions), 0);
        cr_assert_eq(eng_fund__sgn(&s2->years[a].government_nav), 0);
        cr_assert_eq(eng_fund__cmp(&s2->years[a].private_distributions, &s2->years[a].lp), 0);
    }
    eng_fund__clear(&sum), eng_fund__clear(&x), eng_fund__clear(&profit);
    eng_fund_result_free(r);
    eng_fund_free(f);
}

/* ---- validation and formatting ------------------------------------------------------------ */

Test(fund_model, validation_names_the_key)
{
    static const struct {
        int which;
        const char *path, *message;
    } cases[] = {
        {0, "subfunds[0].projection.life", "life must be a whole number of years from 1 to 100"},
        {1, "subfunds[1].waterfall.catch_up", "catch_up must be 0 or above carry and at most 1"},
        {2, "subfunds[2].reinvestment.investments[0]",
         "the tag has no entry in reinvestment_weights"},
        {3, "subfunds[0].concession.year", "the buyout year must fall within the sub-fund's life"},
        {4, "subfunds[0].projection.bow", "bow must be above 0"},
        {5, "parent.commitments",
         "the fiscal commitment must be above 0 and the others not negative"},
        {6, "subfunds[1].projection.calls[4]", "a call rate must be between 0 and 1"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        eng_fund *f = example_fund(NULL);
        mpq_t x;
        mpq_init(x);
        switch (cases[i].which) {
        case 0: f->subfunds[0]->projection.life = 101; break;
        case 1: q_set(f->subfunds[1]->waterfall.catch_up, "1/5"); break;
        case 2:
            free(f->subfunds[2]->investments[0].tag);
            f->subfunds[2]->investments[0].tag = strdup("elsewhere");
            break;
        case 3:
            f->subfunds[0]->concession.kind = ENG_CONCESSION_BUYOUT;
            f->subfunds[0]->concession.year = 11;
            break;
        case 4: q_set(f->subfunds[0]->projection.bow, "0"); break;
        case 5: q_set(f->fiscal, "0"); break;
        case 6: q_set(x, "11/10"); eng_fund_add_call(f->subfunds[1], x, NULL); break;
        }
        eng_error err;
        eng_error_clear(&err);
        eng_fund_result *r = NULL;
        cr_assert_eq(eng_fund_model(f, &r, &err), ENG_EINVALID, "case %zu", i);
        cr_assert_null(r);
        cr_assert_str_eq(err.path, cases[i].path);
        cr_assert_str_eq(err.message, cases[i].message);
        mpq_clear(x);
        eng_fund_free(f);
    }
}

Test(fund_model, number_strings)
{
    static const struct {
        const char *value;
        int sig;
        const char *want;
    } cases[] = {
        {"15/100", 12, "0.15"},     {"405", 12, "405"},       {"340/81", 12, "4.1975308642"},
        {"1/3", 12, "0.333333333333"}, {"-1/8", 12, "-0.125"}, {"0", 12, "0"},
        {"-301328057520/1000000000", 12, "-301.32805752"}, {"1/3000000", 5, "0.00000033333"},
        {"123456789/1", 3, "123000000"}, {"2/3", 1, "0.7"},
    };
    eng_fund_num x;
    eng_fund__init(&x);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        q_set(x.q, cases[i].value);
        char *s = eng_fund_num_str(&x, cases[i].sig);
        cr_assert_str_eq(s, cases[i].want, "%s", cases[i].value);
        free(s);
    }
    eng_fund__set_null(&x);
    char *s = eng_fund_num_str(&x, 12);
    cr_assert_str_eq(s, "null");
    free(s);
    cr_assert(isnan(eng_fund_num_double(&x)));
    eng_fund__set_si(&x, 3, 4);
    cr_assert_float_eq(eng_fund_num_double(&x), 0.75, 1e-15);
    eng_fund__clear(&x);
}

/* ---- seeded properties (3.4) --------------------------------------------------------- */

static unsigned long next_rand(unsigned long *state)
{
    *state = *state * 6364136223846793005UL + 1442695040888963407UL;
    return (*state >> 33) & 0x7fffffffUL;
}

/* A random one-sub-fund model; the bow is an integer when `integral`. */
static eng_fund *random_fund(unsigned long *st, int integral, char *growth, size_t size)
{
    eng_fund *f = parent_fund();
    sub_spec sp = {"R", "100", "50", "350", "1", "0", "0", 1};
    eng_fund_subfund *s = add_sub(f, &sp);
    snprintf(growth, size, "%ld/100", (long)(next_rand(st) % 41) - 10); /* -10% .. 30% */
    q_set(s->projection.growth, growth);
    s->projection.life = 2 + (int)(next_rand(st) % 14);
    s->first_year = 1 + (int)(next_rand(st) % 3);
    char text[32];
    if (integral) {
        snprintf(text, sizeof(text), "%lu", 1 + next_rand(st) % 4);
    } else {
        snprintf(text, sizeof(text), "%lu/7", 3 + next_rand(st) % 25);
    }
    q_set(s->projection.bow, text);
    mpq_t x;
    mpq_init(x);
    for (size_t i = 0; i < s->projection.n_calls; i++) {
        mpq_clear(s->projection.calls[i]);
    }
    s->projection.n_calls = 0;
    for (size_t i = 0, n = 1 + next_rand(st) % 5; i < n; i++) {
        snprintf(text, sizeof(text), "%lu/20", 1 + next_rand(st) % 20); /* 5% .. 100% */
        q_set(x, text);
        eng_fund_add_call(s, x, NULL);
    }
    snprintf(text, sizeof(text), "%lu/100", next_rand(st) % 20); /* yield 0 .. 19% */
    q_set(s->projection.yield, next_rand(st) % 2 ? text : "0");
    s->waterfall.style = next_rand(st) % 2 ? ENG_WATERFALL_AMERICAN : ENG_WATERFALL_EUROPEAN;
    mpq_clear(x);
    return f;
}

static unsigned long test_seed(void)
{
    const char *env = getenv("RISKSHARE_SEED");
    return env != NULL ? strtoul(env, NULL, 10) : 20261128UL;
}

Test(fund_model_props, gross_irr_equals_growth)
{
    unsigned long seed = test_seed(), st = seed;
    for (int i = 0; i < 120; i++) {
        char growth[32];
        int integral = i % 2 == 0;
        eng_fund *f = random_fund(&st, integral, growth, sizeof(growth));
        eng_fund_result *r = model(f);
        const eng_fund_subfund_result *s = &r->subfunds[0];
        cr_assert_eq(s->gross_irr.status, ENG_FUND_IRR_OK, "seed %lu case %d: status %d (%s)",
                     seed, i, s->gross_irr.status,
                     s->gross_irr.reason ? s->gross_irr.reason : "");
        mpfr_t g, d;
        mpfr_inits2(ENG_FUND_PREC, g, d, (mpfr_ptr)NULL);
        mpfr_set_q(g, f->subfunds[0]->projection.growth, MPFR_RNDN);
        eng_fund__get_fr(d, &s->gross_irr.value);
        mpfr_sub(d, d, g, MPFR_RNDN);
        cr_assert_lt(fabs(mpfr_get_d(d, MPFR_RNDN)), 1e-40, "seed %lu case %d: IRR != G %s",
                     seed, i, growth);
        if (integral) {
            cr_assert(eng_fund_num_is_exact(&s->gross_irr.value) &&
                          mpq_equal(s->gross_irr.value.q, f->subfunds[0]->projection.growth),
                      "seed %lu case %d: IRR not exactly G %s", seed, i, growth);
        }
        mpfr_clears(g, d, (mpfr_ptr)NULL);
        eng_fund_result_free(r);
        eng_fund_free(f);
    }
}

Test(fund_model_props, profit_equals_growth_times_prior_navs)
{
    unsigned long seed = test_seed() + 1, st = seed;
    for (int i = 0; i < 120; i++) {
        char growth[32];
        int integral = i % 3 != 0;
        eng_fund *f = random_fund(&st, integral, growth, sizeof(growth));
        eng_fund_result *r = model(f);
        const eng_fund_subfund_result *s = &r->subfunds[0];
        eng_fund_num profit, navs, x, g;
        eng_fund__init(&profit), eng_fund__init(&navs), eng_fund__init(&x), eng_fund__init(&g);
        for (size_t a = 0; a < s->n_years; a++) {
            const eng_fund_subfund_year *y = &s->years[a];
            eng_fund__add(&profit, &profit, &y->distributions);
            eng_fund__add(&profit, &profit, &y->liquidation);
            eng_fund__sub(&profit, &profit, &y->calls);
            if (a > 0) {
                eng_fund__add(&navs, &navs, &s->years[a - 1].nav);
            }
        }
        eng_fund__set_q(&g, f->subfunds[0]->projection.growth);
        eng_fund__mul(&x, &g, &navs);
        if (integral) {
            cr_assert(eng_fund_num_is_exact(&profit) && mpq_equal(profit.q, x.q),
                      "seed %lu case %d: profit != G x sum NAV (G %s)", seed, i, growth);
        } else {
            eng_fund__sub(&x, &x, &profit);
            cr_assert_lt(fabs(eng_fund_num_double(&x)), 1e-50,
                         "seed %lu case %d: profit != G x sum NAV (G %s)", seed, i, growth);
        }
        /* LP + GP (clawback included) is everything distributed: profit + calls. */
        eng_fund__add(&x, &s->lp_distributions, &s->gp_carry);
        eng_fund__sub(&x, &x, &profit);
        for (size_t a = 0; a < s->n_years; a++) {
            eng_fund__sub(&x, &x, &s->years[a].calls);
        }
        cr_assert(fabs(eng_fund_num_double(&x)) < 1e-50, "seed %lu case %d: LP + GP", seed, i);
        eng_fund__clear(&profit), eng_fund__clear(&navs), eng_fund__clear(&x);
        eng_fund__clear(&g);
        eng_fund_result_free(r);
        eng_fund_free(f);
    }
}

/* ---- edges ----------------------------------------------------------------------------- */

Test(fund_model, paid_in_leverage_is_null_before_the_first_call)
{
    eng_fund *f = example_fund(NULL);
    f->subfunds[0]->first_year = 2;
    f->subfunds[1]->first_year = 3;
    q_set(f->subfunds[1]->parent, "400"); /* S2: parent 400 of 775, the largest LP */
    eng_fund_result *r = model(f);
    const eng_fund_leverage *l = &r->leverage;
    cr_assert_eq(l->n_years, 12);
    exact(&l->years[0].subfund_paid_in, "0");
    cr_assert(eng_fund_num_is_null(&l->years[0].subfund));
    cr_assert(eng_fund_num_is_null(&l->years[0].fiscal));
    char *s = eng_fund_num_str(&l->years[0].subfund, 12);
    cr_assert_str_eq(s, "null");
    free(s);
    /* Year 2: S1 (80 of 200) and S3 (200 of 1000) call a quarter each. */
    exact(&l->years[1].subfund_paid_in, "300");
    exact(&l->years[1].parent_paid_in, "70");
    exact(&l->years[1].subfund, "30/7");
    cr_assert(r->subfunds[1].parent_largest);
    cr_assert(!r->subfunds[1].participation_ok); /* 400/775 > 30% */
    /* Nothing is called in year 1, so the parent's year-1 multiples are null. */
    cr_assert(eng_fund_num_is_null(&r->parent.years[0].tvpi));
    cr_assert_eq(r->parent.years[0].irr_to_date.status, ENG_FUND_IRR_NONE);
    eng_fund_result_free(r);
    eng_fund_free(f);
}

Test(fund_model_grid, a_cell_equals_the_full_model)
{
    static const char *growth[] = {"5/100", "10/100"};
    static const char *pref[] = {"6/100", "8/100"};
    eng_fund *f = example_fund("3/100");
    eng_fund_grid *g = eng_fund_grid_new();
    add_axis(g, ENG_FUND_PARAM_GROWTH, growth, 2);
    add_axis(g, ENG_FUND_PARAM_PREF, pref, 2);
    eng_fund_grid_result *gr = NULL;
    eng_error err;
    cr_assert_eq(eng_fund_grid_run(f, g, &gr, &err), ENG_OK, "%s", err.message);
    for (size_t j = 0; j < 3; j++) {
        q_set(f->subfunds[j]->projection.growth, "10/100");
        q_set(f->subfunds[j]->waterfall.pref, "6/100");
    }
    eng_fund_result *r = model(f);
    const eng_fund_result *c = gr->cells[1 * 2 + 0];
    cr_assert_eq(c->parent.n_years, 0);
    cr_assert(mpq_equal(c->parent.tvpi.q, r->parent.tvpi.q));
    cr_assert(mpq_equal(c->parent.distributions.q, r->parent.distributions.q));
    cr_assert_eq(eng_fund__cmp(&c->parent.irr.value, &r->parent.irr.value), 0);
    cr_assert_eq(eng_fund__cmp(&c->parent.xirr.value, &r->parent.xirr.value), 0);
    cr_assert_eq(c->parent.trough_year, r->parent.trough_year);
    cr_assert_eq(c->parent.breakeven_year, r->parent.breakeven_year);
    for (size_t j = 0; j < 3; j++) {
        cr_assert(mpq_equal(c->subfunds[j].gp_carry.q, r->subfunds[j].gp_carry.q));
        cr_assert(mpq_equal(c->subfunds[j].ceded.q, r->subfunds[j].ceded.q));
    }
    eng_fund_result_free(r);
    eng_fund_grid_result_free(gr);
    eng_fund_grid_free(g);
    eng_fund_free(f);
}
