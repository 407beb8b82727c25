/*
 * cmd_gen.c -- `riskshare gen loans`: deterministic synthetic loan batches (DESIGN 5, 8).
 *
 * Determinism.  Every random choice comes from xoshiro256** streams seeded by splitmix64
 * from --seed: one stream for the loans, one for the malformed rows (so --invalid-rate
 * changes only the rows it corrupts), and one per borrower, keyed by the borrower's pool
 * index (so a borrower has the same name, code and status in every row).  Normal variates
 * are Irwin-Hall sums of twelve 32-bit uniforms, computed exactly in integers, and the
 * exponential is a short Taylor series: only IEEE-754 +, -, x and / on the way to integer
 * outputs, no libm, so the bytes are the same on every machine that compiles C11 with
 * ISO floating point (-std=c11 does not contract into FMA).
 *
 * Realism.  Borrowers are Zhengzhou tech firms of the sectors of the city's 2020
 * manufacturing innovation plan.  A third of the rows are repeat borrowers drawn from
 * everyone seen so far, so early borrowers come back several times and the per-borrower
 * aggregate limit bites now and then.  Each loan is judged with the engine's eligibility
 * and terms evaluation (DESIGN 6, steps 1-3) against the loans the file admitted before
 * it; a loan the policy refuses on its own merits is redrawn, so the policy's shape (hnte
 * only, guaranteed only, term limits) shows in the data.  About 5% of the rows are then
 * broken on purpose, the way real batches hold a few loans that do not qualify.
 */
#include "cmd_gen.h"

#include <assert.h>
#include <gmp.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "limits.h"
#include "loader.h"
#include "money.h"
#include "rules.h"
#include "uscc.h"

/* Bounds and mixes of the generator; the percentages are of rows or of borrowers. */
#define GEN_TRIES_MAX 32         /* draws of one row before accepting a refused loan */
#define GEN_NONE_TRIES 64        /* fresh borrowers tried to find one without tech status */
#define GEN_REPEAT_PERCENT 35    /* rows that go to a borrower already in the pool */
#define GEN_BROKEN_PERMILLE 50   /* rows made ineligible on purpose */
#define GEN_DIRECT_PERCENT 33    /* direct bank loans, when the policy has guarantors */
#define GEN_NEW_PERCENT 30       /* borrowers whose first loan here is their first loan */
#define GEN_NO_REVENUE_PERCENT 8 /* borrowers that report no revenue */
#define GEN_OUT_BYTES (1u << 20) /* output buffer: one fwrite per MiB */
#define GEN_FIELD_MAX 160        /* bytes of one field's text */
#define GEN_ROW_MAX (16 * (2 * GEN_FIELD_MAX + 3))
#define GEN_ORG_SPACE 26439622160671ull /* 31^9 organisation codes */

#if GEN_OUT_BYTES < 4 * GEN_ROW_MAX
#error "the output buffer must hold several of the longest rows"
#endif
#if GEN_REPEAT_PERCENT >= 100 || GEN_DIRECT_PERCENT >= 100
#error "percentages must stay below 100"
#endif

enum {
    C_LOAN_ID, C_CODE, C_NAME, C_TECH, C_SECTOR, C_GRADE, C_REVENUE, C_BANK, C_GUARANTOR,
    C_PRINCIPAL, C_RATE, C_COLLATERAL, C_START, C_TERM, C_FIRST, C_FEE, C__COUNT
};

static const char header[] =
    "loan_id,borrower_code,borrower_name,tech_status,sector,credit_grade,revenue,bank,"
    "guarantor,principal,annual_rate,collateral_ratio,start_date,term_months,first_loan,"
    "fee_rate\n";

static const char uscc_charset[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/* ---- tables ----------------------------------------------------------------------- */

/* Zhengzhou's divisions (GB/T 2260) and the name prefix firms registered there use;
   firms in the development zones are registered by the city (410100). */
typedef struct {
    unsigned weight;
    const char *division;
    const char *prefix;
} district_def;

static const district_def districts[] = {
    {8, "410102", "中原"}, {6, "410103", "二七"}, {5, "410104", "管城"},
    {12, "410105", "金水"}, {3, "410106", "上街"}, {4, "410108", "惠济"},
    {5, "410122", "中牟"}, {4, "410181", "巩义"}, {4, "410182", "荥阳"},
    {3, "410183", "新密"}, {5, "410184", "新郑"}, {2, "410185", "登封"},
    {16, "410100", "高新"}, {10, "410100", "经开"}, {8, "410100", "航空港"},
    {5, "410100", "郑东"},
};

/* The key sectors of the 2020 plan (seed text: 电子信息, 装备制造, 新材料, 生物医药, 人工智能;
   智能终端, 信息安全, 智能传感器, 新能源及智能网联汽车, 超硬材料), with words for firm names. */
typedef struct {
    unsigned weight;
    const char *code;
    const char *words[3];
} sector_def;

static const sector_def sectors[] = {
    {18, "electronic_info", {"电子", "微电子", "信息"}},
    {20, "equipment", {"装备", "机械", "智能装备"}},
    {14, "new_materials", {"新材料", "材料", "复合材料"}},
    {12, "biomedicine", {"生物医药", "生物", "医药"}},
    {8, "artificial_intelligence", {"智能", "人工智能", "数据"}},
    {6, "smart_terminals", {"智能终端", "通讯", "显示"}},
    {6, "info_security", {"信息安全", "网络安全", "密码"}},
    {6, "smart_sensors", {"传感", "传感器", "物联"}},
    {6, "new_energy_vehicles", {"新能源汽车", "动力电池", "电驱"}},
    {4, "superhard_materials", {"超硬材料", "金刚石", "磨料磨具"}},
};

typedef struct {
    unsigned weight;
    const char *text;
} text_def;

static const text_def suffixes[] = {
    {50, "科技有限公司"}, {25, "技术有限公司"}, {15, "有限公司"}, {10, "股份有限公司"},
};

static const text_def tech_statuses[] = {
    {42, "hnte"}, {28, "tech_sme"}, {14, "specialized_sme"}, {6, "little_giant"}, {10, "none"},
};

/* Grade and its annual rate range in basis points (a loan prime rate of 3.45%-3.85% plus
   a margin by risk). */
typedef struct {
    unsigned weight;
    const char *grade;
    unsigned rate_lo_bp, rate_hi_bp;
} grade_def;

static const grade_def grades[] = {
    {30, "A", 385, 470}, {42, "B", 420, 530}, {22, "C", 470, 600}, {6, "D", 540, 650},
};

typedef struct {
    unsigned weight;
    unsigned value;
} value_def;

static const value_def terms_months[] = {
    {5, 6}, {45, 12}, {5, 18}, {25, 24}, {15, 36}, {5, 48},
};

/* Explicit guarantee fee rates, in basis points. */
static const value_def fee_rates_bp[] = {
    {10, 50}, {20, 80}, {40, 100}, {15, 120}, {15, 150},
};

/* Two characters of a trade name (字号). */
static const char *const name_first[] = {
    "华", "中", "博", "智", "天", "宇", "信", "恒", "思", "瑞", "鼎", "金", "云", "星", "嵩", "豫",
    "启", "凯", "远", "新", "领", "精", "卓", "同", "合", "聚", "泰", "安", "正", "睿", "宏", "明",
};
static const char *const name_second[] = {
    "芯", "科", "锐", "联", "瑞", "辰", "安", "通", "创", "普", "新", "鑫", "鹰", "帆", "河", "岳",
    "星", "明", "越", "航", "元", "诚", "达", "德", "和", "能", "图", "远", "石", "源", "威", "泽",
};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))
#define PICK(r, table) pick_weighted((r), &(table)[0].weight, sizeof((table)[0]), COUNT_OF(table))

/* ---- random numbers ---------------------------------------------------------------- */

typedef struct {
    uint64_t s[4];
} gen_rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static void rng_seed(gen_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) {
        r->s[i] = splitmix64(&seed);
    }
    assert(r->s[0] | r->s[1] | r->s[2] | r->s[3]); /* xoshiro's one bad state */
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256** (Blackman and Vigna, 2018). */
static uint64_t rng_next(gen_rng *r)
{
    uint64_t result = rotl(r->s[1] * 5, 7) * 9;
    uint64_t t = r->s[1] << 17;
    r->s[2] ^= r->s[0];
    r->s[3] ^= r->s[1];
    r->s[1] ^= r->s[2];
    r->s[0] ^= r->s[3];
    r->s[2] ^= t;
    r->s[3] = rotl(r->s[3], 45);
    return result;
}

/* A uniform integer in [0, n) for n < 2^32, without bias: Lemire's multiply-and-shift
   (ACM TOMS 2019), which divides only in the rare case that may need a redraw.  The loop
   repeats with probability below n / 2^32 each time. */
static uint64_t rng_below(gen_rng *r, uint64_t n)
{
    assert(n > 0 && n <= UINT32_MAX);
    uint32_t bound = (uint32_t)n;
    uint64_t m = (rng_next(r) >> 32) * bound;
    if ((uint32_t)m < bound) {
        uint32_t threshold = (uint32_t)(0u - bound) % bound;
        while ((uint32_t)m < threshold) {
            m = (rng_next(r) >> 32) * bound;
        }
    }
    assert((m >> 32) < n);
    return m >> 32;
}

/* A standard normal variate: twelve 32-bit uniforms summed exactly, less their mean. */
static double rng_normal(gen_rng *r)
{
    uint64_t sum = 0;
    for (int i = 0; i < 6; i++) {
        uint64_t x = rng_next(r);
        sum += (x >> 32) + (x & 0xFFFFFFFFu);
    }
    assert(sum < (12ull << 32));
    return ((double)sum - 6.0 * 4294967296.0) / 4294967296.0;
}

/* e^x for |x| < 40 with + - x only, so every machine computes the same bits: e^r by its
   Taylor series in Horner form (|r| <= ln2 / 2, 14 terms: error below 1e-16), times 2^k. */
static double gen_exp(double x)
{
    static const double inv[15] = {
        1.0, 1.0, 1.0 / 2, 1.0 / 3, 1.0 / 4, 1.0 / 5, 1.0 / 6, 1.0 / 7, 1.0 / 8, 1.0 / 9,
        1.0 / 10, 1.0 / 11, 1.0 / 12, 1.0 / 13, 1.0 / 14,
    };
    assert(x > -40.0 && x < 40.0);
    long k = (long)(x * 1.4426950408889634 + (x < 0 ? -0.5 : 0.5));
    double r = x - (double)k * 0.6931471805599453;
    double sum = 1.0;
    for (int i = 14; i >= 1; i--) {
        sum = 1.0 + r * inv[i] * sum;
    }
    for (long j = k; j > 0; j--) {
        sum *= 2.0;
    }
    for (long j = k; j < 0; j++) {
        sum *= 0.5;
    }
    assert(sum > 0.0);
    return sum;
}

/* A lognormal integer with the given median, clipped to [lo, hi]. */
static int64_t rng_lognormal(gen_rng *r, double median, double sigma, int64_t lo, int64_t hi)
{
    assert(lo > 0 && lo <= hi);
    double z = rng_normal(r);
    double v = median * gen_exp(sigma * z) + 0.5;
    int64_t n = v >= (double)hi ? hi : (int64_t)v;
    return n < lo ? lo : n;
}

/* A random row of a table, by weight: `first` points at row 0's `weight` member, and the
   rows are `stride` bytes apart (the PICK macro passes both). */
static size_t pick_weighted(gen_rng *r, const unsigned *first, size_t stride, size_t n)
{
    const char *base = (const char *)first;
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        total += *(const unsigned *)(const void *)(base + i * stride);
    }
    uint64_t x = rng_below(r, total);
    for (size_t i = 0; i < n; i++) {
        unsigned w = *(const unsigned *)(const void *)(base + i * stride);
        if (x < w) {
            return i;
        }
        x -= w;
    }
    assert(0);
    return 0;
}

/* A bijection of [0, 2^45): additions, odd multiplications and xorshifts, each invertible. */
static uint64_t perm45(uint64_t x, const uint64_t key[2])
{
    const uint64_t mask = (1ull << 45) - 1;
    x = (x + key[0]) & mask;
    x = (x * 0x5DEECE66Dull) & mask;
    x ^= x >> 21;
    x = (x * 0x2545F4914F6CDD1Dull) & mask;
    x ^= x >> 17;
    return (x + key[1]) & mask;
}

/* The organisation-code number of borrower `idx`: a bijection of [0, 31^9) by cycle
   walking, so no two borrowers of one run share a code. */
static uint64_t org_number(uint64_t idx, const uint64_t key[2])
{
    assert(idx < GEN_ORG_SPACE);
    uint64_t x = perm45(idx, key);
    for (int walks = 1000; x >= GEN_ORG_SPACE; walks--) {
        assert(walks > 0); /* each step leaves the domain with probability 1/4 */
        x = perm45(x, key);
    }
    return x;
}

/* ---- text helpers ------------------------------------------------------------------ */

/* Writes the decimal digits of `v` to `out` and returns their count (no NUL). */
static size_t put_uint(char *out, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    for (size_t i = 0; i < n; i++) {
        out[i] = tmp[n - 1 - i];
    }
    return n;
}

/* Writes `v` / 10^places as exact decimal text (`435`, 4 -> `0.0435`), NUL-terminated. */
static void fmt_decimal(char *out, uint64_t v, int places)
{
    uint64_t scale = 1;
    assert(places > 0 && places < 10);
    for (int i = 0; i < places; i++) {
        scale *= 10;
    }
    size_t n = put_uint(out, v / scale);
    out[n++] = '.';
    uint64_t frac = v % scale;
    for (int i = places - 1; i >= 0; i--) {
        out[n + (size_t)i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    out[n + (size_t)places] = '\0';
}

static void fmt_uint(char *out, uint64_t v)
{
    out[put_uint(out, v)] = '\0';
}

/* Appends `s` to the NUL-terminated text `dst` of a GEN_FIELD_MAX buffer. */
static void text_add(char *dst, const char *s)
{
    size_t used = strlen(dst), add = strlen(s);
    assert(used + add < GEN_FIELD_MAX);
    memcpy(dst + used, s, add + 1);
}

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
    while (b != 0) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Sets `out` to num / den in canonical form (den > 0), as mpq_set_ui requires. */
static void q_set_ratio(mpq_t out, uint64_t num, uint64_t den)
{
    uint64_t d = gcd_u64(num, den);
    assert(den > 0 && d > 0);
    mpq_set_ui(out, (unsigned long)(num / d), (unsigned long)(den / d));
}

/* ---- the generator's state --------------------------------------------------------- */

typedef struct {
    char code[19];
    const district_def *district;
    const sector_def *sector_def;
    unsigned first, second, word;  /* the parts of the name, spelled out by borrower_name() */
    const char *suffix;
    const char *tech_status;
    const char *sector;
    const grade_def *grade;
    int64_t revenue_fen;        /* -1: not reported */
    int is_new;                 /* its first loan here is its first bank loan */
} gen_borrower;

typedef struct {
    uint64_t borrower;          /* pool index */
    gen_borrower b;
    int bank, guarantor;        /* party indexes; guarantor -1 for a direct loan */
    int64_t principal_yuan;
    unsigned rate_bp;
    unsigned collateral_pct;
    unsigned term_months;
    int first_loan;
    unsigned fee_roll;          /* 0..999: whether to state a fee rate */
    unsigned fee_bp_drawn;      /* the rate stated when it is */
    int fee_bp;                 /* the stated fee rate, -1: empty */
    eng_date start;
} gen_loan;

typedef enum { GEN_ADMIT = 0, GEN_REFUSE_LOAN, GEN_REFUSE_BORROWER } gen_verdict;

typedef struct {
    const cli_gen_opts *o;
    const eng_policy *p;
    gen_rng rng;                /* the loans */
    gen_rng bad_rng;            /* which rows are malformed, and how */
    uint64_t borrower_key;
    uint64_t org_key[2];
    int banks[ENG_PARTIES_MAX];
    int guarantors[ENG_PARTIES_MAX];
    size_t n_banks, n_guarantors;
    int fixed_bank, fixed_guarantor; /* from --agency, else -1 */
    unsigned direct_percent;    /* direct loans among those not fixed by --agency */
    eng_date from;
    uint64_t span_days;
    uint64_t malformed_left;
    /* The borrower pool: owed[i] = 0 while borrower i has not appeared in the file, else
       1 + its admitted principal in yuan, saturating.  4 bytes a borrower: 100 million
       rows fit in memory. */
    uint32_t *owed;
    uint64_t n_pool, cap_pool;
    eng_loan loan;
    eng_terms_result terms;
    mpq_t owed_q, fee_q;
    size_t failed[ENG_RULES_MAX];
    eng_date last_date;
    char last_date_text[11];
    FILE *out;
    char *buf;
    size_t len;
    int write_failed;
    cli_gen_stats stats;
} gen_ctx;

/* ---- borrowers --------------------------------------------------------------------- */

static void borrower_code(char out[19], const gen_ctx *g, uint64_t idx, const char *division)
{
    uint64_t org = org_number(idx, g->org_key);
    out[0] = '9'; /* registered by the market regulator (工商) */
    out[1] = '1'; /* an enterprise */
    memcpy(out + 2, division, 6);
    for (int i = 16; i >= 8; i--) {
        out[i] = uscc_charset[org % 31];
        org /= 31;
    }
    out[17] = eng_uscc_check_char(out);
    out[18] = '\0';
    assert(out[17] != '\0' && strchr(uscc_charset, out[17]) != NULL);
}

/* Fills `out` with borrower `idx`: the same every time, from its own stream. */
static void borrower_make(gen_borrower *out, const gen_ctx *g, uint64_t idx)
{
    gen_rng r;
    rng_seed(&r, g->borrower_key ^ (idx * 0xD1B54A32D192ED03u));
    out->district = &districts[PICK(&r, districts)];
    out->sector_def = &sectors[PICK(&r, sectors)];
    out->sector = out->sector_def->code;
    out->tech_status = tech_statuses[PICK(&r, tech_statuses)].text;
    out->grade = &grades[PICK(&r, grades)];
    out->is_new = rng_below(&r, 100) < GEN_NEW_PERCENT;
    out->revenue_fen = -1;
    if (rng_below(&r, 100) >= GEN_NO_REVENUE_PERCENT) {
        /* prior-year revenue: median 3000万 yuan, in fen */
        out->revenue_fen = rng_lognormal(&r, 3e9, 1.3, 20000000, 500000000000);
    }
    out->first = (unsigned)rng_below(&r, COUNT_OF(name_first));
    out->second = (unsigned)rng_below(&r, COUNT_OF(name_second));
    out->word = (unsigned)rng_below(&r, COUNT_OF(out->sector_def->words));
    out->suffix = suffixes[PICK(&r, suffixes)].text;
    borrower_code(out->code, g, idx, out->district->division);
}

/* Writes the firm name of `b`: 郑州 + district + trade name + sector word + legal form. */
static void borrower_name(char out[GEN_FIELD_MAX], const gen_borrower *b)
{
    out[0] = '\0';
    text_add(out, "郑州");
    text_add(out, b->district->prefix);
    text_add(out, name_first[b->first]);
    text_add(out, name_second[b->second]);
    text_add(out, b->sector_def->words[b->word]);
    text_add(out, b->suffix);
}

/* A borrower never seen before; the caller reserved room (pool_reserve). */
static uint64_t pool_fresh(gen_ctx *g)
{
    assert(g->n_pool < g->cap_pool);
    g->owed[g->n_pool] = 0;
    return g->n_pool++;
}

/* Makes room for every fresh borrower one row can take.  ENG_ELIMIT when the pool would
   outgrow rng_below's range (only a policy that refuses nearly every loan gets there). */
static eng_status pool_reserve(gen_ctx *g, eng_error *err)
{
    uint64_t need = g->n_pool + GEN_TRIES_MAX + GEN_NONE_TRIES;
    if (need <= g->cap_pool) {
        return ENG_OK;
    }
    uint64_t cap = g->cap_pool * 2 > need ? g->cap_pool * 2 : need;
    cap = cap > UINT32_MAX ? UINT32_MAX : cap;
    if (need > cap) {
        return eng_error_set(err, ENG_ELIMIT, "more than %u borrowers drawn: the policy "
                             "refuses nearly every loan", (unsigned)UINT32_MAX);
    }
    uint32_t *owed = realloc(g->owed, (size_t)cap * sizeof(uint32_t));
    if (owed == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    g->owed = owed;
    g->cap_pool = cap;
    assert(g->n_pool < g->cap_pool && cap < GEN_ORG_SPACE);
    return ENG_OK;
}

/* ---- drawing and judging loans ----------------------------------------------------- */

/* A party index from `list`, earlier parties (the lead bank) more often. */
static int pick_party(gen_rng *r, const int *list, size_t n)
{
    assert(n > 0);
    uint64_t x = rng_below(r, n * (n + 1) / 2);
    for (size_t i = 0; i < n; i++) {
        if (x < n - i) {
            return list[i];
        }
        x -= n - i;
    }
    assert(0);
    return list[0];
}

static void loan_set_borrower(gen_ctx *g, gen_loan *l, uint64_t idx)
{
    l->borrower = idx;
    borrower_make(&l->b, g, idx);
    l->first_loan = g->owed[idx] == 0 && l->b.is_new;
}

static void loan_draw(gen_ctx *g, gen_loan *l, eng_date start)
{
    gen_rng *r = &g->rng;
    int repeat = g->n_pool > 0 && rng_below(r, 100) < GEN_REPEAT_PERCENT;
    loan_set_borrower(g, l, repeat ? rng_below(r, g->n_pool) : pool_fresh(g));
    l->bank = g->fixed_bank >= 0 ? g->fixed_bank : pick_party(r, g->banks, g->n_banks);
    l->guarantor = -1;
    if (g->fixed_guarantor >= 0) {
        l->guarantor = g->fixed_guarantor;
    } else if (rng_below(r, 100) >= g->direct_percent) {
        l->guarantor = pick_party(r, g->guarantors, g->n_guarantors);
    }
    /* median 300万 yuan; most loans in whole 万 */
    l->principal_yuan = rng_lognormal(r, 3e6, 0.9, 100000, 100000000);
    if (rng_below(r, 100) < 85) {
        l->principal_yuan = (l->principal_yuan + 5000) / 10000 * 10000;
    }
    const grade_def *gr = l->b.grade;
    l->rate_bp = gr->rate_lo_bp + (unsigned)rng_below(r, gr->rate_hi_bp - gr->rate_lo_bp + 1);
    unsigned c = (unsigned)rng_below(r, 100);
    l->collateral_pct = c < 45 ? 0 : c < 96 ? 5 + (unsigned)rng_below(r, 26)
                                            : 31 + (unsigned)rng_below(r, 20);
    l->term_months = terms_months[PICK(r, terms_months)].value;
    l->fee_roll = (unsigned)rng_below(r, 1000);
    l->fee_bp_drawn = fee_rates_bp[PICK(r, fee_rates_bp)].value;
    l->fee_bp = -1;
    l->start = start;
    assert(l->principal_yuan >= 100000 && l->rate_bp >= 385 && l->rate_bp <= 650);
}

/* Sets the engine's view of `l` (g->loan) from the drawn numbers. */
static void loan_fill(gen_ctx *g, const gen_loan *l)
{
    eng_loan *e = &g->loan;
    e->borrower_code = l->b.code;
    e->tech_status = l->b.tech_status;
    e->sector = l->b.sector;
    e->credit_grade = l->b.grade->grade;
    e->bank = g->p->parties[l->bank].id;
    e->guarantor = l->guarantor >= 0 ? g->p->parties[l->guarantor].id : NULL;
    mpq_set_si(e->principal, (long)l->principal_yuan, 1);
    q_set_ratio(e->revenue, l->b.revenue_fen < 0 ? 0 : (uint64_t)l->b.revenue_fen, 100);
    q_set_ratio(e->annual_rate, l->rate_bp, 10000);
    q_set_ratio(e->collateral_ratio, l->collateral_pct, 100);
    e->term_months = (int)l->term_months;
    e->first_loan = l->first_loan;
    e->start_date = l->start;
    e->has_fee_rate = 0;
    assert(e->bank != NULL && (l->guarantor < 0 || e->guarantor != NULL));
}

/* Chooses the stated fee rate of a guaranteed loan (most leave it to the policy, and when
   the policy sets none most state one) and applies the fee cap.  1 when the cap refuses. */
static int loan_fee(gen_ctx *g, gen_loan *l)
{
    const eng_terms_result *t = &g->terms;
    l->fee_bp = -1;
    if (l->guarantor < 0) {
        return 0; /* direct loans pay no guarantee fee; fee_cap is for guaranteed ones */
    }
    if (l->fee_roll < (t->fee_rate.set ? 150u : 950u)) {
        l->fee_bp = (int)l->fee_bp_drawn;
        q_set_ratio(g->fee_q, l->fee_bp_drawn, 10000);
    } else if (t->fee_rate.set) {
        mpq_set(g->fee_q, t->fee_rate.v);
    } else {
        return 0;
    }
    return t->fee_rate_cap.set && mpq_cmp(g->fee_q, t->fee_rate_cap.v) > 0;
}

/* Admission steps 1-3 of DESIGN 6 for `l`, against the loans this file admitted before. */
static gen_verdict loan_judge(gen_ctx *g, gen_loan *l)
{
    const eng_policy *p = g->p;
    int loan_bad = 0, borrower_bad = 0;

    loan_fill(g, l);
    uint32_t owed = g->owed[l->borrower];
    mpq_set_ui(g->owed_q, owed > 0 ? owed - 1 : 0, 1);
    size_t n = eng_eligibility_check(g->failed, p, &g->loan, g->owed_q);
    for (size_t i = 0; i < n; i++) {
        if (p->eligibility[g->failed[i]].is_aggregate) {
            borrower_bad = 1;
        } else {
            loan_bad = 1;
        }
    }
    if (loan_bad || eng_terms_decide(&g->terms, p, &g->loan) != ENG_TERMS_OK) {
        loan_bad = 1; /* refused already: the terms need not be decided */
        l->fee_bp = -1;
    } else if (loan_fee(g, l)) {
        loan_bad = 1;
    }
    assert(n <= p->n_eligibility);
    return loan_bad ? GEN_REFUSE_LOAN : borrower_bad ? GEN_REFUSE_BORROWER : GEN_ADMIT;
}

enum {
    BREAK_TOO_BIG, BREAK_TOO_LONG, BREAK_NO_TECH, BREAK_COLLATERAL, BREAK_TOO_SHORT,
    BREAK__COUNT
};

/* Changes `l` the way one kind of ineligible loan looks.  0 when it cannot. */
static int loan_break(gen_ctx *g, gen_loan *l, int kind)
{
    switch (kind) {
    case BREAK_TOO_BIG: /* 2100万..6000万 */
        l->principal_yuan = (int64_t)(2100 + rng_below(&g->rng, 3900)) * 10000;
        return 1;
    case BREAK_TOO_LONG:
        l->term_months = 48 + 12 * (unsigned)rng_below(&g->rng, 2);
        return 1;
    case BREAK_NO_TECH:
        for (int tries = GEN_NONE_TRIES; tries > 0; tries--) {
            uint64_t idx = pool_fresh(g);
            gen_borrower b;
            borrower_make(&b, g, idx);
            if (strcmp(b.tech_status, "none") == 0) {
                loan_set_borrower(g, l, idx);
                return 1;
            }
        }
        return 0;
    case BREAK_COLLATERAL: /* 0.31..0.50 */
        l->collateral_pct = 31 + (unsigned)rng_below(&g->rng, 20);
        return 1;
    case BREAK_TOO_SHORT: /* a bridging loan, under a minimum maturity */
        l->term_months = 3;
        return 1;
    }
    assert(0);
    return 0;
}

/* Makes an admissible loan ineligible, trying each kind from a random one.  Returns the
   verdict of the loan left in `l` (GEN_ADMIT when the policy has none of these limits). */
static gen_verdict loan_make_ineligible(gen_ctx *g, gen_loan *l)
{
    int first = (int)rng_below(&g->rng, BREAK__COUNT);
    for (int k = 0; k < BREAK__COUNT; k++) {
        gen_loan copy = *l;
        if (!loan_break(g, &copy, (first + k) % BREAK__COUNT)) {
            continue;
        }
        gen_verdict v = loan_judge(g, &copy);
        if (v != GEN_ADMIT) {
            *l = copy;
            return v;
        }
    }
    return GEN_ADMIT; /* every break was tried on a copy: `l` is as it was */
}

/* Draws row `i`'s loan into `l` and records it in the pool. */
static void loan_make(gen_ctx *g, gen_loan *l, uint64_t i)
{
    eng_date start = g->from + (eng_date)(i * g->span_days / g->o->count);
    int broken = rng_below(&g->rng, 1000) < GEN_BROKEN_PERMILLE;
    gen_verdict v = GEN_REFUSE_LOAN;

    for (int tries = GEN_TRIES_MAX; tries > 0 && v == GEN_REFUSE_LOAN; tries--) {
        loan_draw(g, l, start);
        v = loan_judge(g, l);
    }
    if (v == GEN_REFUSE_LOAN) {
        g->stats.unplaced++;
    }
    if (broken && v == GEN_ADMIT) {
        v = loan_make_ineligible(g, l);
    }
    uint32_t *owed = &g->owed[l->borrower];
    if (*owed == 0) {
        *owed = 1;
        g->stats.borrowers++;
    }
    if (v == GEN_ADMIT) {
        uint64_t sum = (uint64_t)*owed + (uint64_t)l->principal_yuan;
        *owed = sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
    } else {
        g->stats.ineligible++;
    }
    g->stats.guaranteed += l->guarantor >= 0;
    assert(l->start >= g->from && *owed > 0);
}

/* ---- rows -------------------------------------------------------------------------- */

typedef struct {
    char v[C__COUNT][GEN_FIELD_MAX];
} gen_row;

static void row_render(gen_ctx *g, gen_row *row, const gen_loan *l, uint64_t i)
{
    char *id = row->v[C_LOAN_ID];
    size_t n = 0;
    id[n++] = 'S';
    n += put_uint(id + n, g->o->seed);
    memcpy(id + n, "-L", 2);
    n += 2;
    char digits[24];
    fmt_uint(digits, i + 1);
    for (size_t pad = strlen(digits); pad < 8; pad++) {
        id[n++] = '0';
    }
    memcpy(id + n, digits, strlen(digits) + 1);

    memcpy(row->v[C_CODE], l->b.code, 19);
    borrower_name(row->v[C_NAME], &l->b);
    row->v[C_TECH][0] = row->v[C_SECTOR][0] = row->v[C_GRADE][0] = '\0';
    text_add(row->v[C_TECH], l->b.tech_status);
    text_add(row->v[C_SECTOR], l->b.sector);
    text_add(row->v[C_GRADE], l->b.grade->grade);
    row->v[C_REVENUE][0] = '\0';
    if (l->b.revenue_fen >= 0) {
        fmt_decimal(row->v[C_REVENUE], (uint64_t)l->b.revenue_fen, 2);
    }
    row->v[C_BANK][0] = row->v[C_GUARANTOR][0] = '\0';
    text_add(row->v[C_BANK], g->p->parties[l->bank].id);
    if (l->guarantor >= 0) {
        text_add(row->v[C_GUARANTOR], g->p->parties[l->guarantor].id);
    }
    fmt_uint(row->v[C_PRINCIPAL], (uint64_t)l->principal_yuan);
    fmt_decimal(row->v[C_RATE], l->rate_bp, 4);
    if (l->collateral_pct == 0) {
        memcpy(row->v[C_COLLATERAL], "0", 2);
    } else {
        fmt_decimal(row->v[C_COLLATERAL], l->collateral_pct, 2);
    }
    if (l->start != g->last_date) {
        eng_date_format(g->last_date_text, l->start);
        g->last_date = l->start;
    }
    memcpy(row->v[C_START], g->last_date_text, 11);
    fmt_uint(row->v[C_TERM], l->term_months);
    memcpy(row->v[C_FIRST], l->first_loan ? "true" : "false", l->first_loan ? 5 : 6);
    row->v[C_FEE][0] = '\0';
    if (l->fee_bp >= 0) {
        fmt_decimal(row->v[C_FEE], (uint64_t)l->fee_bp, 4);
    }
}

enum {
    BAD_CHECK_CHAR, BAD_FEN, BAD_DATE, BAD_TECH, BAD_EMPTY, BAD_EXPONENT, BAD_THOUSANDS,
    BAD_BOOL, BAD_TERM, BAD_COLLATERAL, BAD_BANK, BAD__COUNT
};

/* Replaces the text of `row`'s field `col` with `s`. */
static void row_set(gen_row *row, int col, const char *s)
{
    row->v[col][0] = '\0';
    text_add(row->v[col], s);
}

/* Corrupts one field of `row` the way hand-made batches go wrong (DESIGN 3, 5, 10). */
static void row_malform(gen_ctx *g, gen_row *row, const gen_loan *l)
{
    static const char *const techs[] = {"high_tech", "HNTE", "tech-sme", "高新技术企业"};
    static const int required[] = {C_CODE, C_TECH, C_BANK, C_PRINCIPAL, C_RATE, C_START, C_TERM};
    static const char *const bools[] = {"yes", "TRUE", "1", "否"};
    static const char *const term_texts[] = {"0", "361", "12.5", "-12"};
    gen_rng *r = &g->bad_rng;
    char tmp[GEN_FIELD_MAX];
    int y, m, d, leap;

    switch ((int)rng_below(r, BAD__COUNT)) {
    case BAD_CHECK_CHAR: { /* another character of the set in place of the check character */
        const char *at = strchr(uscc_charset, row->v[C_CODE][17]);
        assert(at != NULL);
        size_t other = ((size_t)(at - uscc_charset) + 1 + (size_t)rng_below(r, 30)) % 31;
        row->v[C_CODE][17] = uscc_charset[other];
        break;
    }
    case BAD_FEN: text_add(row->v[C_PRINCIPAL], ".345"); break;
    case BAD_DATE: /* 29 February of a common year, 30 February of a leap year */
        eng_date_to_ymd(l->start, &y, &m, &d);
        leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        memcpy(row->v[C_START] + 5, leap ? "02-30" : "02-29", 5);
        break;
    case BAD_TECH: row_set(row, C_TECH, techs[rng_below(r, COUNT_OF(techs))]); break;
    case BAD_EMPTY: row_set(row, required[rng_below(r, COUNT_OF(required))], ""); break;
    case BAD_EXPONENT: /* 0.0435 -> 4.35e-2 */
        fmt_decimal(tmp, l->rate_bp, 2);
        text_add(tmp, "e-2");
        row_set(row, C_RATE, tmp);
        break;
    case BAD_THOUSANDS: { /* 3000000 -> 3,000,000 */
        const char *s = row->v[C_PRINCIPAL];
        size_t n = strlen(s), k = 0;
        for (size_t i = 0; i < n; i++) {
            tmp[k++] = s[i];
            if ((n - 1 - i) % 3 == 0 && i + 1 < n) {
                tmp[k++] = ',';
            }
        }
        tmp[k] = '\0';
        row_set(row, C_PRINCIPAL, tmp);
        break;
    }
    case BAD_BOOL: row_set(row, C_FIRST, bools[rng_below(r, COUNT_OF(bools))]); break;
    case BAD_TERM: row_set(row, C_TERM, term_texts[rng_below(r, COUNT_OF(term_texts))]); break;
    case BAD_COLLATERAL: row_set(row, C_COLLATERAL, rng_below(r, 2) ? "1.2" : "-0.1"); break;
    case BAD_BANK: row_set(row, C_BANK, "no-such-bank"); break;
    default: assert(0);
    }
}

static void out_flush(gen_ctx *g)
{
    if (g->len > 0 && !g->write_failed && fwrite(g->buf, 1, g->len, g->out) != g->len) {
        g->write_failed = 1;
    }
    g->len = 0;
}

/* Appends `row` as one CSV line, quoting a field per RFC 4180 when it needs it. */
static void out_row(gen_ctx *g, const gen_row *row)
{
    if (g->len + GEN_ROW_MAX > GEN_OUT_BYTES) {
        out_flush(g);
    }
    char *p = g->buf + g->len;
    for (int c = 0; c < C__COUNT; c++) {
        const char *s = row->v[c];
        size_t n = strlen(s);
        if (c > 0) {
            *p++ = ',';
        }
        if (strpbrk(s, ",\"\r\n") == NULL) {
            memcpy(p, s, n);
            p += n;
            continue;
        }
        *p++ = '"';
        for (size_t i = 0; i < n; i++) {
            if (s[i] == '"') {
                *p++ = '"';
            }
            *p++ = s[i];
        }
        *p++ = '"';
    }
    *p++ = '\n';
    g->len = (size_t)(p - g->buf);
    assert(g->len <= GEN_OUT_BYTES);
}

/* ---- setup ------------------------------------------------------------------------- */

/* Parses the rate `text` of the option `name` (NULL: 0) and sets `*out` = round(rate x
   count), half up. */
static eng_status rate_count(uint64_t *out, const char *name, const char *text, uint64_t count,
                             eng_error *err)
{
    mpq_t q;
    mpz_t n;
    eng_status rc = ENG_OK;

    if (text == NULL) {
        *out = 0;
        return ENG_OK;
    }
    mpq_init(q);
    mpz_init(n);
    if (eng_num_parse(q, text, strlen(text), err) != ENG_OK) {
        char why[sizeof(err->message)];
        memcpy(why, err->message, sizeof(why));
        rc = eng_error_set(err, ENG_EUSAGE, "invalid %s \"%s\": %s", name, text, why);
    } else if (mpq_sgn(q) < 0 || mpz_cmp(mpq_numref(q), mpq_denref(q)) > 0) {
        rc = eng_error_set(err, ENG_EUSAGE, "%s \"%s\" is not between 0 and 1", name, text);
    } else {
        /* floor((2 x num x count + den) / (2 x den)) */
        mpz_mul_ui(n, mpq_numref(q), (unsigned long)count);
        mpz_mul_2exp(n, n, 1);
        mpz_add(n, n, mpq_denref(q));
        mpz_fdiv_q(n, n, mpq_denref(q));
        mpz_fdiv_q_2exp(n, n, 1);
        *out = (uint64_t)mpz_get_ui(n);
        assert(*out <= count);
    }
    mpz_clear(n);
    mpq_clear(q);
    return rc;
}

/* 1 when the test of `cond` on the field `direct` holds for a loan that is direct or not. */
static int direct_holds(gen_ctx *g, const eng_cond *cond, int direct)
{
    eng_condset one = {1, (eng_cond *)cond};
    g->loan.guarantor = direct ? NULL : "guarantor";
    assert(cond->field == ENG_F_DIRECT);
    return eng_condset_holds(&one, &g->loan);
}

/* 1 when a direct (or a guaranteed) loan can be admitted as far as the field `direct`
   goes: no eligibility rule excludes it, and some terms rule can hold for it.  So a
   program of direct loans only (zz-kejidai 2018) or of guaranteed loans only (anhui-4321)
   gets only loans of that kind, without drawing and refusing the others. */
static int direct_possible(gen_ctx *g, int direct)
{
    const eng_policy *p = g->p;
    for (size_t i = 0; i < p->n_eligibility; i++) {
        const eng_condset *set = &p->eligibility[i].require;
        for (size_t c = 0; !p->eligibility[i].is_aggregate && c < set->n_conds; c++) {
            if (set->conds[c].field == ENG_F_DIRECT && !direct_holds(g, &set->conds[c], direct)) {
                return 0;
            }
        }
    }
    for (size_t i = 0; i < p->terms.n_rules; i++) {
        const eng_condset *set = &p->terms.rules[i].when;
        int holds = 1;
        for (size_t c = 0; p->terms.rules[i].has_when && c < set->n_conds && holds; c++) {
            holds = set->conds[c].field != ENG_F_DIRECT || direct_holds(g, &set->conds[c], direct);
        }
        if (holds) {
            return 1;
        }
    }
    return 0;
}

/* Lists the policy's banks and guarantors and applies --agency. */
static eng_status ctx_parties(gen_ctx *g, eng_error *err)
{
    const eng_policy *p = g->p;
    g->fixed_bank = g->fixed_guarantor = -1;
    for (size_t i = 0; i < p->n_parties; i++) {
        if (p->parties[i].kind == ENG_PARTY_BANK) {
            g->banks[g->n_banks++] = (int)i;
        } else if (p->parties[i].kind == ENG_PARTY_GUARANTOR) {
            g->guarantors[g->n_guarantors++] = (int)i;
        }
    }
    if (g->o->agency != NULL) {
        int a = eng_policy_party(p, g->o->agency);
        eng_party_kind kind = a >= 0 ? p->parties[a].kind : ENG_PARTY__COUNT;
        if (kind != ENG_PARTY_BANK && kind != ENG_PARTY_GUARANTOR) {
            return eng_error_set(err, ENG_EUSAGE,
                                 "--agency \"%s\" is not a bank or guarantor of %s@%ld",
                                 g->o->agency, p->program, p->version);
        }
        if (kind == ENG_PARTY_BANK) {
            g->fixed_bank = a;
        } else {
            g->fixed_guarantor = a;
        }
    }
    if (g->n_banks == 0) {
        return eng_error_set(err, ENG_EUSAGE, "%s@%ld has no bank party to lend", p->program,
                             p->version);
    }
    int direct_ok = direct_possible(g, 1);
    int guaranteed_ok = g->n_guarantors > 0 && direct_possible(g, 0);
    g->direct_percent = !guaranteed_ok ? 100 : !direct_ok ? 0 : GEN_DIRECT_PERCENT;
    assert(g->n_banks + g->n_guarantors <= p->n_parties);
    return ENG_OK;
}

/* Sets the window of start dates: --start (or effective_from) and up to a year after. */
static eng_status ctx_window(gen_ctx *g, eng_error *err)
{
    const eng_policy *p = g->p;
    g->from = g->o->has_start ? g->o->start : p->effective_from;
    int before = g->from < p->effective_from;
    int after = p->has_effective_to && g->from > p->effective_to;
    if (before || after) {
        char d[11], f[11], t[11] = "";
        eng_date_format(d, g->from);
        eng_date_format(f, p->effective_from);
        if (p->has_effective_to) {
            eng_date_format(t, p->effective_to);
        }
        return eng_error_set(err, ENG_EUSAGE, "--start %s is outside %s@%ld's window %s..%s", d,
                             p->program, p->version, f, t);
    }
    g->span_days = 365;
    if (p->has_effective_to && (uint64_t)(p->effective_to - g->from) + 1 < g->span_days) {
        g->span_days = (uint64_t)(p->effective_to - g->from) + 1;
    }
    assert(g->span_days >= 1 && g->span_days <= 365);
    return ENG_OK;
}

static eng_status ctx_init(gen_ctx *g, FILE *out, const cli_gen_opts *o, eng_error *err)
{
    eng_status rc;
    uint64_t key = o->seed;

    memset(g, 0, sizeof(*g));
    g->o = o;
    g->p = o->policy;
    g->out = out;
    g->last_date = -1000000;
    eng_loan_init(&g->loan);
    eng_terms_result_init(&g->terms, g->p->n_parties);
    mpq_inits(g->owed_q, g->fee_q, NULL);
    if (o->count > CLI_GEN_COUNT_MAX) {
        return eng_error_set(err, ENG_EUSAGE, "--count %llu is above the most, %u",
                             (unsigned long long)o->count, CLI_GEN_COUNT_MAX);
    }
    if ((rc = rate_count(&g->malformed_left, "--invalid-rate", o->invalid_rate, o->count, err)) != ENG_OK ||
        (rc = ctx_parties(g, err)) != ENG_OK || (rc = ctx_window(g, err)) != ENG_OK) {
        return rc;
    }
    rng_seed(&g->rng, splitmix64(&key));
    rng_seed(&g->bad_rng, splitmix64(&key));
    g->borrower_key = splitmix64(&key);
    g->org_key[0] = splitmix64(&key);
    g->org_key[1] = splitmix64(&key);
    g->buf = malloc(GEN_OUT_BYTES);
    if (g->buf == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    g->stats.malformed = g->malformed_left;
    return ENG_OK;
}

static void ctx_free(gen_ctx *g)
{
    eng_loan_clear(&g->loan);
    eng_terms_result_clear(&g->terms);
    mpq_clears(g->owed_q, g->fee_q, NULL);
    free(g->owed);
    free(g->buf);
}

eng_status cli_gen_loans(FILE *out, cli_gen_stats *stats, const cli_gen_opts *o,
                         eng_error *err)
{
    gen_ctx *g = malloc(sizeof(*g));
    eng_status rc;
    gen_row row;
    gen_loan loan;

    assert(out != NULL && o != NULL && o->policy != NULL);
    eng_error_clear(err);
    if (g == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    if ((rc = ctx_init(g, out, o, err)) != ENG_OK) {
        goto cleanup;
    }
    memcpy(g->buf, header, sizeof(header) - 1);
    g->len = sizeof(header) - 1;
    for (uint64_t i = 0; i < o->count && !g->write_failed; i++) {
        if ((rc = pool_reserve(g, err)) != ENG_OK) {
            goto cleanup;
        }
        loan_make(g, &loan, i);
        row_render(g, &row, &loan, i);
        /* selection sampling (Knuth's algorithm S): exactly malformed_left of the rest */
        if (g->malformed_left > 0 && rng_below(&g->bad_rng, o->count - i) < g->malformed_left) {
            row_malform(g, &row, &loan);
            g->malformed_left--;
        }
        out_row(g, &row);
    }
    out_flush(g);
    if (g->write_failed || fflush(out) != 0) {
        rc = eng_error_set(err, ENG_ERROR, "cannot write the loans: write error");
        goto cleanup;
    }
    assert(g->malformed_left == 0);
    g->stats.rows = o->count;
    if (stats != NULL) {
        *stats = g->stats;
    }
cleanup:
    ctx_free(g);
    free(g);
    return rc;
}

/* ==== gen events ==================================================================== */

/*
 * Events for the loans of a loans file.  Three streams choose which loans default, repay
 * and recover (Knuth's selection sampling: exactly round(rate x n) of n), and every loan
 * draws its dates and amounts from a stream of its own, keyed by its row, so changing a
 * rate changes only the loans it selects differently.  Amounts are exact integers of fen;
 * interest is rounded once from an exact rational.
 */

#define GEV_REPAY_MAX 3              /* repayments of one loan */
#define GEV_RECOVERY_MAX 2           /* recoveries of one defaulted loan */
#define GEV_PER_LOAN (GEV_REPAY_MAX + 1 + GEV_RECOVERY_MAX)
#define GEV_EVENTS_MAX 99999999ull   /* event ids keep 8 digits: bytewise order is id order */
#define GEV_PART_PERMILLE 400        /* a partial repayment: at most 40% of the outstanding */
#define GEV_COST_PERMILLE 200        /* a recovery's costs: at most 20% of its gross */
#define GEV_CLOSE_PERCENT 50         /* repaying loans that do not default: repaid in full */
#define GEV_SECOND_RECOVERY_PERCENT 30
#define GEV_NO_COST_PERCENT 25
#define GEV_WINDOW_DAYS_MIN 2        /* hi - lo of a loan that can take events */

#if GEV_PER_LOAN * CLI_LOANS_ROWS_MAX + 1 > GEV_EVENTS_MAX
#error "the events of the largest loans file must fit 8-digit event ids"
#endif
#if GEV_PART_PERMILLE >= 1000 || GEV_COST_PERMILLE >= 1000
#error "a partial repayment and a cost stay below the whole"
#endif

enum { GEV_FUNDING, GEV_REPAYMENT, GEV_DEFAULT, GEV_RECOVERY };

typedef struct {
    eng_date date;
    uint32_t loan;      /* row index + 1; 0 for the funding */
    uint8_t seq;        /* the loan's own order */
    uint8_t kind;
    eng_fen amount, interest, cost;
} gev_event;

typedef struct {
    const cli_gen_events_opts *o;
    const cli_loan_file *f;
    eng_date from, to;
    gen_rng pick_default, pick_repay, pick_recovery;
    uint64_t loan_key;
    uint64_t want_defaults, want_repay, want_recover, left_recover;
    gev_event *ev;
    size_t n_ev, cap_ev;
    mpq_t rate, q;
    cli_gen_events_stats stats;
} gev_ctx;

/* The state of the loan whose events are being drawn. */
typedef struct {
    size_t row;
    gen_rng r;
    eng_date lo, hi;          /* the window of repayments and the default */
    eng_date paid_to;         /* interest is paid up to this date */
    eng_fen outstanding;
    uint8_t seq;
} gev_loan;

static int gev_taken(const gev_ctx *x, size_t i)
{
    return x->o->take == NULL || x->o->take[i] != 0;
}

/* The maturity of `row`: start_date plus term_months, the day clamped to the month's end. */
static eng_date gev_maturity(const cli_loan_row *row)
{
    int y, m, d;
    eng_date_to_ymd(row->start_date, &y, &m, &d);
    int months = (m - 1) + row->term_months;
    y += months / 12;
    m = months % 12 + 1;
    eng_date first_next = m == 12 ? eng_date_from_ymd(y + 1, 1, 1) : eng_date_from_ymd(y, m + 1, 1);
    int last_day = (int)(first_next - eng_date_from_ymd(y, m, 1));
    assert(last_day >= 28 && last_day <= 31);
    return eng_date_from_ymd(y, m, d < last_day ? d : last_day);
}

/* The window of loan `i`: 1 when it holds enough days for events. */
static int gev_window(const gev_ctx *x, size_t i, eng_date *lo, eng_date *hi)
{
    const cli_loan_row *row = &x->f->rows[i];
    eng_date mat = gev_maturity(row);
    *lo = row->start_date + 1 > x->from ? row->start_date + 1 : x->from;
    *hi = mat < x->to ? mat : x->to;
    return *hi - *lo >= GEV_WINDOW_DAYS_MIN;
}

/* Appends `e`; ENG_ERROR when memory runs out. */
static eng_status gev_push(gev_ctx *x, const gev_event *e, eng_error *err)
{
    if (x->n_ev == x->cap_ev) {
        size_t cap = x->cap_ev < 1024 ? 1024 : x->cap_ev * 2;
        gev_event *ev = realloc(x->ev, cap * sizeof(*ev));
        if (ev == NULL) {
            return eng_error_set(err, ENG_ERROR, "out of memory");
        }
        x->ev = ev;
        x->cap_ev = cap;
    }
    assert(x->n_ev < x->cap_ev && x->n_ev < GEV_EVENTS_MAX);
    x->ev[x->n_ev++] = *e;
    return ENG_OK;
}

static eng_status gev_push_loan(gev_ctx *x, gev_loan *l, int kind, eng_date date, eng_fen amount,
                                eng_fen interest, eng_fen cost, eng_error *err)
{
    gev_event e = {date, (uint32_t)(l->row + 1), l->seq++, (uint8_t)kind, amount, interest, cost};
    assert(date >= l->lo && l->seq <= GEV_PER_LOAN);
    return gev_push(x, &e, err);
}

/* The interest accrued on the outstanding principal from l->paid_to to `date`: actual/365
   at the loan's annual rate (x->rate), rounded half up. */
static eng_fen gev_interest(gev_ctx *x, const gev_loan *l, eng_date date)
{
    eng_fen out = 0;
    eng_error err;
    assert(date > l->paid_to);
    eng_fen_to_q(x->q, l->outstanding);
    mpq_mul(x->q, x->q, x->rate);
    mpq_t days;
    mpq_init(days);
    mpq_set_ui(days, (unsigned long)(date - l->paid_to), 365);
    mpq_canonicalize(days);
    mpq_mul(x->q, x->q, days);
    mpq_clear(days);
    if (eng_round_fen(&out, x->q, ENG_ROUND_HALF_UP, &err) != ENG_OK) {
        out = 0; /* beyond ENG_FEN_MAX: cannot happen for a rate <= 1 and a year or so */
    }
    assert(out >= 0);
    return out;
}

/* `v` x permille / 1000, rounded down, without overflow. */
static eng_fen gev_permille(eng_fen v, uint64_t permille)
{
    assert(v >= 0 && permille <= 1000);
    return v / 1000 * (eng_fen)permille + v % 1000 * (eng_fen)permille / 1000;
}

/* Picks `k` increasing dates in [a, b] into `out` (b - a + 1 >= k). */
static void gev_dates(gen_rng *r, eng_date *out, int k, eng_date a, eng_date b)
{
    assert(k >= 1 && b - a + 1 >= k);
    eng_date prev = a - 1;
    for (int j = 0; j < k; j++) {
        eng_date lo = prev + 1, hi = b - (k - 1 - j);
        out[j] = lo + (eng_date)rng_below(r, (uint64_t)(hi - lo + 1));
        prev = out[j];
    }
    assert(out[k - 1] <= b);
}

/* Repayments of `l` dated up to `end`; `close` repays it in full with the last one. */
static eng_status gev_repayments(gev_ctx *x, gev_loan *l, eng_date end, int close, eng_error *err)
{
    eng_date dates[GEV_REPAY_MAX];
    int k = 1 + (int)rng_below(&l->r, GEV_REPAY_MAX);
    if (k > end - l->lo + 1) {
        k = (int)(end - l->lo + 1);
    }
    gev_dates(&l->r, dates, k, l->lo, end);
    int made = 0;
    for (int j = 0; j < k && l->outstanding > 0; j++) {
        eng_fen amount = gev_permille(l->outstanding, 1 + rng_below(&l->r, GEV_PART_PERMILLE));
        amount = amount < 1 ? 1 : amount;
        if (close && j == k - 1) {
            amount = l->outstanding;
        }
        if (amount >= l->outstanding && !close) {
            break; /* a loan that is to stay open (or default) keeps some principal */
        }
        eng_fen interest = gev_interest(x, l, dates[j]);
        eng_status rc = gev_push_loan(x, l, GEV_REPAYMENT, dates[j], amount, interest, 0, err);
        if (rc != ENG_OK) {
            return rc;
        }
        l->outstanding -= amount;
        l->paid_to = dates[j];
        x->stats.repayments++;
        made = 1;
    }
    x->stats.repaid_loans += (uint64_t)made;
    x->stats.closed += l->outstanding == 0;
    return ENG_OK;
}

/* Recoveries of `l`, defaulted on `d` with `owed` outstanding: gross amounts summing to at
   most owed / 2, dated after `d` and up to x->to. */
static eng_status gev_recoveries(gev_ctx *x, gev_loan *l, eng_date d, eng_fen owed,
                                 eng_error *err)
{
    eng_date dates[GEV_RECOVERY_MAX];
    eng_fen budget = owed / 2;
    int k = x->to - d >= 2 && rng_below(&l->r, 100) < GEV_SECOND_RECOVERY_PERCENT ? 2 : 1;
    int made = 0;
    gev_dates(&l->r, dates, k, d + 1, x->to);
    for (int j = 0; j < k && budget > 0; j++) {
        uint64_t lo = k == 2 && j == 0 ? 200 : 300, span = k == 2 && j == 0 ? 500 : 701;
        eng_fen gross = gev_permille(budget, lo + rng_below(&l->r, span));
        gross = gross < 1 ? 1 : gross;
        eng_fen cost = 0;
        if (rng_below(&l->r, 100) >= GEV_NO_COST_PERCENT) {
            cost = gev_permille(gross, rng_below(&l->r, GEV_COST_PERMILLE + 1));
        }
        eng_status rc = gev_push_loan(x, l, GEV_RECOVERY, dates[j], gross, 0, cost, err);
        if (rc != ENG_OK) {
            return rc;
        }
        budget -= gross;
        x->stats.recoveries++;
        made = 1;
        assert(budget >= 0 && cost * 1000 <= gross * GEV_COST_PERMILLE);
    }
    x->stats.recovered += (uint64_t)made;
    return ENG_OK;
}

/* Draws the events of row `i`, which the pickers chose to default, repay and recover or not. */
static eng_status gev_loan_events(gev_ctx *x, size_t i, int dflt, int repay, int recover,
                                  eng_error *err)
{
    const cli_loan_row *row = &x->f->rows[i];
    gev_loan l;
    eng_status rc = ENG_OK;
    eng_date d = 0;

    l.row = i;
    rng_seed(&l.r, x->loan_key ^ ((uint64_t)(i + 1) * 0xD1B54A32D192ED03u));
    (void)gev_window(x, i, &l.lo, &l.hi);
    l.paid_to = row->start_date;
    l.outstanding = row->principal;
    l.seq = 0;
    if (eng_num_parse(x->rate, row->annual_rate, strlen(row->annual_rate), err) != ENG_OK) {
        return eng_error_set(err, ENG_ERROR, "loan %s: unreadable annual_rate", row->loan_id);
    }
    if (dflt) { /* in [lo + repay, hi - 1]: room for a repayment before, a recovery after */
        d = l.lo + repay + (eng_date)rng_below(&l.r, (uint64_t)(l.hi - l.lo - repay));
    }
    if (repay) {
        int close = !dflt && rng_below(&l.r, 100) < GEV_CLOSE_PERCENT;
        rc = gev_repayments(x, &l, dflt ? d - 1 : l.hi, close, err);
    }
    if (rc == ENG_OK && dflt) {
        eng_fen owed = l.outstanding;
        assert(owed > 0 && d > l.paid_to);
        rc = gev_push_loan(x, &l, GEV_DEFAULT, d, 0, gev_interest(x, &l, d), 0, err);
        x->stats.defaults++;
        if (rc == ENG_OK && recover) {
            rc = gev_recoveries(x, &l, d, owed, err);
        }
    }
    return rc;
}

/* Knuth's selection sampling: 1 for the next of `n_left` items when `*want` of them are
   still to be chosen (then one fewer is). */
static int gev_pick(gen_rng *r, uint64_t n_left, uint64_t *want)
{
    assert(n_left > 0 && *want <= n_left);
    if (*want > 0 && rng_below(r, n_left) < *want) {
        (*want)--;
        return 1;
    }
    return 0;
}

/* Sets the date window: --from or the earliest start, --to or the latest maturity. */
static eng_status gev_dates_window(gev_ctx *x, eng_error *err)
{
    const cli_gen_events_opts *o = x->o;
    int any = 0;
    x->from = o->from;
    x->to = o->to;
    for (size_t i = 0; i < x->f->n_rows; i++) {
        if (!gev_taken(x, i)) {
            continue;
        }
        const cli_loan_row *row = &x->f->rows[i];
        eng_date mat = gev_maturity(row);
        if (!o->has_from && (!any || row->start_date < x->from)) {
            x->from = row->start_date;
        }
        if (!o->has_to && (!any || mat > x->to)) {
            x->to = mat;
        }
        any = 1;
        x->stats.loans++;
    }
    if (!any && (!o->has_from || !o->has_to)) {
        if (o->funding > 0 && !o->has_from) {
            return eng_error_set(err, ENG_EUSAGE, "no loan to date the funding by: give --from");
        }
        x->to = x->from; /* no loan takes events: the window does not matter */
    }
    if (x->from > x->to) {
        char f[11], t[11];
        eng_date_format(f, x->from);
        eng_date_format(t, x->to);
        return eng_error_set(err, ENG_EUSAGE, "--from %s is after --to %s", f, t);
    }
    return ENG_OK;
}

/* Checks the options and sets the counts and the streams. */
static eng_status gev_init(gev_ctx *x, const cli_gen_events_opts *o, eng_error *err)
{
    eng_status rc;
    uint64_t key = o->seed, eligible = 0;

    if (o->funding < 0 || (o->funding > 0 && o->pool == NULL)) {
        return eng_error_set(err, ENG_EUSAGE, "--funding needs a positive amount and --pool");
    }
    if (o->funding == 0 && o->pool != NULL) {
        return eng_error_set(err, ENG_EUSAGE, "--pool needs --funding");
    }
    if ((rc = gev_dates_window(x, err)) != ENG_OK) {
        return rc;
    }
    for (size_t i = 0; i < x->f->n_rows; i++) {
        eng_date lo, hi;
        eligible += gev_taken(x, i) && gev_window(x, i, &lo, &hi);
    }
    x->stats.eligible = eligible;
    const char *dr = o->default_rate ? o->default_rate : CLI_GEN_DEFAULT_RATE;
    const char *pr = o->repay_rate ? o->repay_rate : CLI_GEN_REPAY_RATE;
    const char *cr = o->recovery_rate ? o->recovery_rate : CLI_GEN_RECOVERY_RATE;
    if ((rc = rate_count(&x->want_defaults, "--default-rate", dr, eligible, err)) != ENG_OK ||
        (rc = rate_count(&x->want_repay, "--repay-rate", pr, eligible, err)) != ENG_OK ||
        (rc = rate_count(&x->want_recover, "--recovery-rate", cr, x->want_defaults, err)) !=
            ENG_OK) {
        return rc;
    }
    rng_seed(&x->pick_default, splitmix64(&key));
    rng_seed(&x->pick_repay, splitmix64(&key));
    rng_seed(&x->pick_recovery, splitmix64(&key));
    x->loan_key = splitmix64(&key);
    assert(x->want_defaults <= eligible && x->want_repay <= eligible);
    return ENG_OK;
}

/* Draws every loan's events, choosing who defaults, repays and recovers. */
static eng_status gev_draw(gev_ctx *x, eng_error *err)
{
    uint64_t left = x->stats.eligible, defaults_left = x->want_defaults;
    uint64_t want_d = x->want_defaults, want_r = x->want_repay, want_c = x->want_recover;
    eng_status rc = ENG_OK;

    if (x->o->funding > 0) {
        gev_event e = {x->from, 0, 0, GEV_FUNDING, x->o->funding, 0, 0};
        rc = gev_push(x, &e, err);
    }
    for (size_t i = 0; rc == ENG_OK && i < x->f->n_rows; i++) {
        eng_date lo, hi;
        if (!gev_taken(x, i) || !gev_window(x, i, &lo, &hi)) {
            continue;
        }
        int dflt = gev_pick(&x->pick_default, left, &want_d);
        int repay = gev_pick(&x->pick_repay, left, &want_r);
        int recover = dflt && gev_pick(&x->pick_recovery, defaults_left--, &want_c);
        left--;
        rc = gev_loan_events(x, i, dflt, repay, recover, err);
    }
    assert(rc != ENG_OK || (left == 0 && want_d == 0 && want_r == 0 && want_c == 0));
    return rc;
}

static int gev_cmp(const void *pa, const void *pb)
{
    const gev_event *a = pa, *b = pb;
    if (a->date != b->date) {
        return a->date < b->date ? -1 : 1;
    }
    if (a->loan != b->loan) {
        return a->loan < b->loan ? -1 : 1;
    }
    return (a->seq > b->seq) - (a->seq < b->seq);
}

/* Writes one event as a CSV row named `S<seed>-E<no>`. */
static void gev_write_row(FILE *out, const gev_ctx *x, const gev_event *e, uint64_t no)
{
    static const char *const kinds[] = {"funding", "repayment", "default", "recovery"};
    char date[11], amount[ENG_FEN_TEXT] = "", interest[ENG_FEN_TEXT] = "", cost[ENG_FEN_TEXT] = "";
    const char *loan = e->loan > 0 ? x->f->rows[e->loan - 1].loan_id : "";
    const char *party = e->kind == GEV_FUNDING ? x->o->pool : "";

    eng_date_format(date, e->date);
    if (e->kind != GEV_DEFAULT) {
        eng_fen_format(amount, sizeof(amount), e->amount);
    }
    if (e->kind == GEV_REPAYMENT || e->kind == GEV_DEFAULT) {
        eng_fen_format(interest, sizeof(interest), e->interest);
    }
    if (e->kind == GEV_RECOVERY) {
        eng_fen_format(cost, sizeof(cost), e->cost);
    }
    assert(no <= GEV_EVENTS_MAX && e->kind <= GEV_RECOVERY);
    fprintf(out, "S%llu-E%08llu,%s,%s,%s,%s,%s,%s,%s\n", (unsigned long long)x->o->seed,
            (unsigned long long)no, kinds[e->kind], date, loan, party, amount, interest, cost);
}

eng_status cli_gen_events(FILE *out, cli_gen_events_stats *stats, const cli_gen_events_opts *o,
                          eng_error *err)
{
    gev_ctx x;
    eng_status rc;

    assert(out != NULL && o != NULL && o->loans != NULL);
    eng_error_clear(err);
    memset(&x, 0, sizeof(x));
    x.o = o;
    x.f = o->loans;
    mpq_inits(x.rate, x.q, NULL);
    if ((rc = gev_init(&x, o, err)) != ENG_OK || (rc = gev_draw(&x, err)) != ENG_OK) {
        goto cleanup;
    }
    if (x.n_ev > 1) { /* qsort wants a real array, even of no element */
        qsort(x.ev, x.n_ev, sizeof(*x.ev), gev_cmp);
    }
    fputs("event_id,kind,date,loan_id,party,amount,interest,cost\n", out);
    for (size_t i = 0; i < x.n_ev; i++) {
        gev_write_row(out, &x, &x.ev[i], (uint64_t)i + 1);
    }
    if (ferror(out) || fflush(out) != 0) {
        rc = eng_error_set(err, ENG_ERROR, "cannot write the events: write error");
        goto cleanup;
    }
    x.stats.rows = x.n_ev;
    assert(x.stats.defaults == x.want_defaults);
    if (stats != NULL) {
        *stats = x.stats;
    }
cleanup:
    mpq_clears(x.rate, x.q, NULL);
    free(x.ev);
    return rc;
}

/* ---- command line ------------------------------------------------------------------ */

static const char usage[] =
    "usage: riskshare gen loans --count N --seed S --policy FILE [--invalid-rate R]\n"
    "                           [--start DATE] [--agency A]\n"
    "\n"
    "Prints a loans CSV (the columns of `batch submit`) for the policy version in FILE:\n"
    "the same arguments always print the same bytes.\n"
    "  --count N          rows after the header, 0..99999999\n"
    "  --seed S           any integer 0..18446744073709551615; loan ids are S<seed>-L<row>\n"
    "  --policy FILE      the policy version the loans are drawn for (read, not stored)\n"
    "  --invalid-rate R   a number in [0,1] (0.1, 10%): that share of the rows is malformed\n"
    "  --start DATE       first start date (default effective_from); dates spread over a year\n"
    "  --agency A         a bank or guarantor party of the policy that every loan names\n"
    "\n"
    "usage: riskshare gen events --loans FILE --seed S [--admitted REPORT] [--default-rate R]\n"
    "                            [--repay-rate R] [--recovery-rate R]\n"
    "                            [--funding AMOUNT --pool POOL] [--from DATE] [--to DATE]\n"
    "\n"
    "Prints an events CSV (the columns of `events import`) for the loans of FILE (a loans\n"
    "CSV, as `gen loans` writes): the same arguments always print the same bytes.  Rows are\n"
    "sorted by date, then event id, so they apply in order: repayments (partial, or in full),\n"
    "defaults after them, recoveries of defaulted loans (at most half of what was\n"
    "outstanding, costs at most 20% of the gross).  Only admitted loans can take events:\n"
    "give the batch report of `batch submit` with --admitted.\n"
    "  --loans FILE       the loans\n"
    "  --seed S           any integer; event ids are S<seed>-E<8 digits>\n"
    "  --admitted REPORT  the csv report of `batch submit` (loan_id,status,...): only the\n"
    "                     loans it lists as admitted take events (default: every loan)\n"
    "  --default-rate R   share of the loans that default (default 5%); counts are exact:\n"
    "                     round(R x loans with room for events in the window)\n"
    "  --repay-rate R     share of the loans with repayments (default 30%)\n"
    "  --recovery-rate R  share of the defaulted loans with recoveries (default 40%)\n"
    "  --funding AMOUNT   a funding row first, of AMOUNT (whole fen) into --pool POOL\n"
    "  --from DATE        no event before DATE (default: the earliest start); the funding's date\n"
    "  --to DATE          no event after DATE (default: the latest maturity)\n";

/* The command's own options, as text. */
typedef struct {
    const char *count, *seed, *policy, *rate, *start, *agency;
} gen_args;

/* Parses an unsigned decimal of 1..20 digits into `*out`; -1 when it is not one or overflows. */
static int parse_u64(uint64_t *out, const char *s)
{
    uint64_t v = 0;
    size_t n = strlen(s);
    if (n == 0 || n > 20) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) {
            return -1;
        }
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* Reads `--name VALUE` or `--name=VALUE` at argv[*i]; 1 when it matched, -1 on a missing value. */
static int take_opt(const char **out, int argc, char **argv, int *i, const char *name,
                    const char *cmd)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0 || (a[n] != '\0' && a[n] != '=')) {
        return 0;
    }
    if (a[n] == '=') {
        *out = a + n + 1;
        return 1;
    }
    if (*i + 1 >= argc) {
        cli_errorf("gen %s: %s needs a value", cmd, name);
        return -1;
    }
    *out = argv[++*i];
    return 1;
}

/* Parses the words after `loans`; 0, or -1 after printing a usage error. */
static int parse_args(gen_args *out, int argc, char **argv)
{
    static const char *const names[] = {"--count", "--seed", "--policy", "--invalid-rate",
                                        "--start", "--agency"};
    const char **slots[] = {&out->count, &out->seed, &out->policy, &out->rate, &out->start,
                            &out->agency};
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < argc; i++) {
        int hit = 0;
        for (size_t k = 0; k < COUNT_OF(names) && hit == 0; k++) {
            hit = take_opt(slots[k], argc, argv, &i, names[k], "loans");
        }
        if (hit < 0) {
            return -1;
        }
        if (hit == 0) {
            cli_errorf("gen loans: unknown %s \"%s\" (see --help)",
                       argv[i][0] == '-' ? "option" : "operand", argv[i]);
            return -1;
        }
    }
    for (size_t k = 0; k < 3; k++) {
        if (*slots[k] == NULL) {
            cli_errorf("gen loans: %s is required (see --help)", names[k]);
            return -1;
        }
    }
    return 0;
}

/* Checks the options that need no policy; fills `o`.  0, or -1 after printing the error. */
static int check_args(cli_gen_opts *o, const gen_args *a)
{
    eng_error err;
    uint64_t malformed;

    if (parse_u64(&o->count, a->count) != 0 || o->count > CLI_GEN_COUNT_MAX) {
        cli_errorf("gen loans: invalid --count \"%s\" (expected 0..%u)", a->count,
                   CLI_GEN_COUNT_MAX);
        return -1;
    }
    if (parse_u64(&o->seed, a->seed) != 0) {
        cli_errorf("gen loans: invalid --seed \"%s\" (expected 0..18446744073709551615)",
                   a->seed);
        return -1;
    }
    if (a->start != NULL) {
        eng_error_clear(&err);
        if (eng_date_parse(&o->start, a->start, strlen(a->start), &err) != ENG_OK) {
            cli_errorf("gen loans: --start: %s", err.message);
            return -1;
        }
        o->has_start = 1;
    }
    eng_error_clear(&err);
    if (rate_count(&malformed, "--invalid-rate", a->rate, o->count, &err) != ENG_OK) {
        cli_errorf("gen loans: %s", err.message);
        return -1;
    }
    o->invalid_rate = a->rate;
    o->agency = a->agency;
    return 0;
}

static int cmd_loans(const cli_common *c, int argc, char **argv)
{
    cli_gen_opts o = CLI_GEN_OPTS_INIT;
    cli_gen_stats stats;
    gen_args a;
    eng_policy *p = NULL;
    eng_error err;

    if (parse_args(&a, argc, argv) != 0 || check_args(&o, &a) != 0) {
        return CLI_EXIT_USAGE;
    }
    eng_status rc = pol_load_file(&p, a.policy, NULL, NULL, &err);
    if (rc != ENG_OK) {
        cli_print_error(&err);
        return cli_exit_for(rc);
    }
    o.policy = p;
    rc = cli_gen_loans(stdout, &stats, &o, &err);
    eng_policy_free(p);
    if (rc != ENG_OK) {
        cli_errorf("gen loans: %s", err.message);
        return cli_exit_for(rc);
    }
    if (stats.unplaced > 0 && !c->quiet) {
        cli_errorf("gen loans: warning: %llu of %llu loans drawn to be admissible were refused "
                   "by the policy in every try (it admits few loans of this shape)",
                   (unsigned long long)stats.unplaced, (unsigned long long)stats.rows);
    }
    return CLI_EXIT_OK;
}

/* ---- gen events: the command ------------------------------------------------------- */

/* One row of a batch report: its loan and whether it was admitted. */
typedef struct {
    const char *loan_id;
    uint8_t admitted;
} gev_report_row;

typedef struct {
    gev_report_row row;
} gev_report_ctx;

enum { REP_LOAN_ID, REP_STATUS, REP_REASONS, REP_RULE, REP_FEE, REP_SUBSIDY, REP__COUNT };

static const char *const report_cols[] = {"loan_id", "status", "reasons", "rule",
                                          "guarantee_fee", "fee_subsidy"};

static void report_row_begin(cli_csv *r, void *ctx)
{
    gev_report_ctx *x = ctx;
    (void)r;
    memset(&x->row, 0, sizeof(x->row));
}

static int report_field(cli_csv *r, void *ctx, int c, const char *t, size_t n)
{
    gev_report_ctx *x = ctx;
    char shown[CLI_CSV_SHOW_BUF];
    if (c == REP_LOAN_ID) {
        int ok = n >= 1 && n <= ENG_ID_MAX;
        for (size_t i = 0; ok && i < n; i++) {
            ok = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
                        t[i]) != NULL && t[i] != '\0';
        }
        if (!ok) {
            return cli_csv_field_err(r, c, "invalid loan_id \"%s\": expected "
                                     "[A-Za-z0-9._-]{1,64}", cli_csv_show(shown, t, n));
        }
        x->row.loan_id = cli_csv_copy(r, t, n);
        return x->row.loan_id != NULL;
    }
    if (c == REP_STATUS) {
        x->row.admitted = n == 8 && memcmp(t, "admitted", 8) == 0;
        if (!x->row.admitted && !(n == 8 && memcmp(t, "rejected", 8) == 0)) {
            return cli_csv_field_err(r, c, "expected admitted or rejected, found \"%s\"",
                                     cli_csv_show(shown, t, n));
        }
    }
    return 1; /* the other columns of the report are not needed */
}

static void report_row_end(cli_csv *r, void *ctx, int ok)
{
    gev_report_ctx *x = ctx;
    if (ok && !r->failed && !r->oom) {
        cli_csv_append(r, &x->row);
    }
}

static const cli_csv_spec report_spec = {
    .col_names = report_cols,
    .n_names = REP__COUNT,
    .optional = (1u << REP_REASONS) | (1u << REP_RULE) | (1u << REP_FEE) | (1u << REP_SUBSIDY),
    .id_col = REP_LOAN_ID,
    .rows_max = CLI_LOANS_ROWS_MAX,
    .rows_noun = "loans",
    .row_bytes_min = 10,
    .row_size = sizeof(gev_report_row),
    .row_begin = report_row_begin,
    .field = report_field,
    .row_end = report_row_end,
};

static const cli_loan_file *cmp_file; /* the file whose row indexes cmp_loan_index sorts */

static int cmp_loan_index(const void *a, const void *b)
{
    const cli_loan_row *rows = cmp_file->rows;
    return strcmp(rows[*(const size_t *)a].loan_id, rows[*(const size_t *)b].loan_id);
}

/* Marks in `take` (one byte per loan row, zeroed) the loans `rep` lists as admitted.
   ENG_EPARSE (added to `errs`) for an admitted loan the loans file does not hold. */
static eng_status gev_mark_admitted(uint8_t *take, const cli_loan_file *f,
                                    const cli_csv_result *rep, const char *path,
                                    cli_errlist *errs)
{
    size_t *idx = malloc((f->n_rows > 0 ? f->n_rows : 1) * sizeof(size_t));
    eng_status rc = ENG_OK;
    if (idx == NULL) {
        cli_errlist_add(errs, path, 0, 0, "out of memory");
        return ENG_ERROR;
    }
    for (size_t i = 0; i < f->n_rows; i++) {
        idx[i] = i;
    }
    cmp_file = f;
    qsort(idx, f->n_rows, sizeof(size_t), cmp_loan_index);
    const gev_report_row *rows = rep->rows;
    for (size_t k = 0; k < rep->n_rows; k++) {
        if (!rows[k].admitted) {
            continue;
        }
        size_t lo = 0, hi = f->n_rows;
        while (lo < hi) { /* the first index whose loan_id is not below the report's */
            size_t mid = lo + (hi - lo) / 2;
            if (strcmp(f->rows[idx[mid]].loan_id, rows[k].loan_id) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if (lo < f->n_rows && strcmp(f->rows[idx[lo]].loan_id, rows[k].loan_id) == 0) {
            take[idx[lo]] = 1;
        } else {
            cli_errlist_add(errs, path, 0, 0, "admitted loan %s is not in the loans file",
                            rows[k].loan_id);
            rc = ENG_EPARSE;
        }
    }
    free(idx);
    return rc;
}

/* Reads the report `path` and builds the `take` flags of `f`'s rows (the caller frees). */
static eng_status gev_read_admitted(uint8_t **take, const cli_loan_file *f, const char *path,
                                    cli_errlist *errs)
{
    gev_report_ctx x;
    cli_csv_result res;
    eng_status rc = cli_csv_read(&report_spec, &x, path, NULL, errs, &res);
    if (rc != ENG_OK) {
        return rc;
    }
    *take = calloc(f->n_rows > 0 ? f->n_rows : 1, 1);
    if (*take == NULL) {
        cli_errlist_add(errs, path, 0, 0, "out of memory");
        rc = ENG_ERROR;
    } else {
        rc = gev_mark_admitted(*take, f, &res, path, errs);
    }
    cli_csv_blocks_free(res.blocks);
    free(res.rows);
    return rc;
}

/* The options of `gen events`, as text. */
typedef struct {
    const char *loans, *seed, *admitted, *default_rate, *repay_rate, *recovery_rate, *funding,
        *pool, *from, *to;
} gev_args;

static int gev_parse_args(gev_args *out, int argc, char **argv)
{
    static const char *const names[] = {"--loans",       "--seed",       "--admitted",
                                        "--default-rate", "--repay-rate", "--recovery-rate",
                                        "--funding",     "--pool",       "--from",
                                        "--to"};
    const char **slots[] = {&out->loans,      &out->seed,         &out->admitted,
                            &out->default_rate, &out->repay_rate, &out->recovery_rate,
                            &out->funding,    &out->pool,         &out->from,
                            &out->to};
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < argc; i++) {
        int hit = 0;
        for (size_t k = 0; k < COUNT_OF(names) && hit == 0; k++) {
            hit = take_opt(slots[k], argc, argv, &i, names[k], "events");
        }
        if (hit < 0) {
            return -1;
        }
        if (hit == 0) {
            cli_errorf("gen events: unknown %s \"%s\" (see --help)",
                       argv[i][0] == '-' ? "option" : "operand", argv[i]);
            return -1;
        }
    }
    for (size_t k = 0; k < 2; k++) {
        if (*slots[k] == NULL) {
            cli_errorf("gen events: %s is required (see --help)", names[k]);
            return -1;
        }
    }
    return 0;
}

/* 1 when `s` is a party id, [a-z0-9-]{1,64}. */
static int gev_party_id(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= ENG_ID_MAX && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* Parses the date option `name` = `text` into `*out`; 0, or -1 after printing the error. */
static int gev_date_opt(eng_date *out, int *has, const char *name, const char *text)
{
    eng_error err;
    if (text == NULL) {
        return 0;
    }
    eng_error_clear(&err);
    if (eng_date_parse(out, text, strlen(text), &err) != ENG_OK) {
        cli_errorf("gen events: %s: %s", name, err.message);
        return -1;
    }
    *has = 1;
    return 0;
}

/* Checks the options that need no file; fills `o`.  0, or -1 after printing the error. */
static int gev_check_args(cli_gen_events_opts *o, const gev_args *a)
{
    eng_error err;
    if (parse_u64(&o->seed, a->seed) != 0) {
        cli_errorf("gen events: invalid --seed \"%s\" (expected 0..18446744073709551615)",
                   a->seed);
        return -1;
    }
    if (a->funding != NULL) {
        eng_error_clear(&err);
        if (eng_money_parse(&o->funding, a->funding, strlen(a->funding), &err) != ENG_OK ||
            o->funding <= 0) {
            cli_errorf("gen events: invalid --funding \"%s\" (expected a positive amount in "
                       "whole fen)", a->funding);
            return -1;
        }
    }
    if (a->pool != NULL && !gev_party_id(a->pool)) {
        cli_errorf("gen events: invalid --pool \"%s\" (expected [a-z0-9-]{1,64})", a->pool);
        return -1;
    }
    if ((a->funding == NULL) != (a->pool == NULL)) {
        cli_errorf("gen events: --funding and --pool go together");
        return -1;
    }
    o->pool = a->pool;
    o->default_rate = a->default_rate;
    o->repay_rate = a->repay_rate;
    o->recovery_rate = a->recovery_rate;
    if (gev_date_opt(&o->from, &o->has_from, "--from", a->from) != 0 ||
        gev_date_opt(&o->to, &o->has_to, "--to", a->to) != 0) {
        return -1;
    }
    return 0;
}

static int cmd_events(const cli_common *c, int argc, char **argv)
{
    cli_gen_events_opts o = CLI_GEN_EVENTS_OPTS_INIT;
    cli_gen_events_stats stats;
    cli_loan_file f;
    cli_errlist errs = CLI_ERRLIST_INIT;
    uint8_t *take = NULL;
    gev_args a;
    eng_error err;

    if (gev_parse_args(&a, argc, argv) != 0 || gev_check_args(&o, &a) != 0) {
        return CLI_EXIT_USAGE;
    }
    eng_status rc = cli_loans_read(&f, a.loans, NULL, &errs);
    if (rc == ENG_OK && a.admitted != NULL) {
        rc = gev_read_admitted(&take, &f, a.admitted, &errs);
    }
    if (rc != ENG_OK) {
        cli_errlist_print(&errs, stderr);
        cli_errlist_free(&errs);
        free(take);
        cli_loans_free(&f); /* empty when the read failed: nothing to free */
        return cli_exit_for(rc);
    }
    o.loans = &f;
    o.take = take;
    rc = cli_gen_events(stdout, &stats, &o, &err);
    cli_loans_free(&f);
    free(take);
    cli_errlist_free(&errs);
    if (rc != ENG_OK) {
        cli_errorf("gen events: %s", err.message);
        return cli_exit_for(rc);
    }
    if (!c->quiet && stats.eligible < stats.loans) {
        cli_errorf("gen events: %llu of %llu loans have no room for events between the dates",
                   (unsigned long long)(stats.loans - stats.eligible),
                   (unsigned long long)stats.loans);
    }
    return CLI_EXIT_OK;
}

int cli_cmd_gen(int argc, char **argv)
{
    cli_common c;
    int n;
    int code = cli_begin(&c, &n, argc, argv, usage);
    if (code >= 0) {
        return code;
    }
    if (c.has_format && c.format != CLI_FMT_CSV) {
        cli_errorf("gen: the output is always CSV");
        return CLI_EXIT_USAGE;
    }
    if (n < 1) {
        cli_errorf("gen: missing subcommand (expected loans or events; see --help)");
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[0], "loans") == 0) {
        return cmd_loans(&c, n - 1, argv + 1);
    }
    if (strcmp(argv[0], "events") == 0) {
        return cmd_events(&c, n - 1, argv + 1);
    }
    cli_errorf("gen: unknown subcommand \"%s\" (expected loans or events)", argv[0]);
    return CLI_EXIT_USAGE;
}
