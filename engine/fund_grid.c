/*
 * fund_grid.c -- sensitivity tables: the model once per cell of one or two
 * parameters, each value applied to every sub-fund of a copy of the fund;
 * cells run in parallel (they share nothing but the read-only fund).
 */
#include "fund_int.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "money.h"

/* Sets `param` to `v` in every sub-fund of `f`; ENG_EINVALID when it cannot apply. */
static eng_status apply(eng_fund *f, eng_fund_param param, const mpq_t v, eng_error *err)
{
    int applied = 0;
    if (param == ENG_FUND_PARAM_LIFE &&
        (mpz_cmp_ui(mpq_denref(v), 1) != 0 || mpq_sgn(v) <= 0 ||
         mpz_cmp_ui(mpq_numref(v), ENG_FUND_LIFE_MAX) > 0)) {
        return eng_error_set(err, ENG_EINVALID, "life must be a whole number of years from 1 to %d",
                             ENG_FUND_LIFE_MAX);
    }
    for (size_t j = 0; j < f->n_subfunds; j++) {
        eng_fund_subfund *s = f->subfunds[j];
        mpq_ptr slot = NULL;
        switch (param) {
        case ENG_FUND_PARAM_GROWTH: slot = s->projection.growth; break;
        case ENG_FUND_PARAM_BOW: slot = s->projection.bow; break;
        case ENG_FUND_PARAM_YIELD: slot = s->projection.yield; break;
        case ENG_FUND_PARAM_PREF: slot = s->waterfall.pref; break;
        case ENG_FUND_PARAM_CATCH_UP: slot = s->waterfall.catch_up; break;
        case ENG_FUND_PARAM_CARRY: slot = s->waterfall.carry; break;
        case ENG_FUND_PARAM_MULTIPLE: slot = s->reinvestment_multiple; break;
        case ENG_FUND_PARAM_PARTICIPATION_CAP: slot = s->participation_cap; break;
        case ENG_FUND_PARAM_RATE:
            slot = s->concession.kind != ENG_CONCESSION_NONE ? s->concession.rate : NULL;
            break;
        case ENG_FUND_PARAM_LIFE:
            s->projection.life = (int)mpz_get_si(mpq_numref(v));
            applied = 1;
            break;
        default: assert(0 && "unknown grid parameter");
        }
        if (slot != NULL) {
            mpq_set(slot, v);
            applied = 1;
        }
    }
    if (!applied) {
        return eng_error_set(err, ENG_EINVALID, "no sub-fund has a concession for 'rate' to vary");
    }
    return ENG_OK;
}

/* Names the cell in err->detail: `In the grid cell growth = 0.1, bow = 2.` */
static void cell_detail(eng_error *err, const eng_fund_grid *g, const size_t *index)
{
    char *v[ENG_FUND_GRID_AXES_MAX] = {NULL, NULL};
    for (size_t a = 0; a < g->n_axes; a++) {
        v[a] = eng_q_format(g->axes[a].values[index[a]]);
    }
    if (g->n_axes == 1) {
        snprintf(err->detail, sizeof(err->detail), "In the grid cell %s = %s.",
                 eng_fund_param_name(g->axes[0].param), v[0] ? v[0] : "?");
    } else {
        snprintf(err->detail, sizeof(err->detail), "In the grid cell %s = %s, %s = %s.",
                 eng_fund_param_name(g->axes[0].param), v[0] ? v[0] : "?",
                 eng_fund_param_name(g->axes[1].param), v[1] ? v[1] : "?");
    }
    free(v[0]);
    free(v[1]);
}

/* Models one cell into `*out` (a summary without years). */
static eng_status cell(eng_fund_result **out, const eng_fund *f, const eng_fund_grid *g,
                       const size_t *index, eng_error *err)
{
    eng_fund *copy = eng_fund_copy(f);
    if (copy == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    eng_status rc = ENG_OK;
    for (size_t a = 0; a < g->n_axes && rc == ENG_OK; a++) {
        rc = apply(copy, g->axes[a].param, g->axes[a].values[index[a]], err);
    }
    if (rc == ENG_OK) {
        rc = eng_fund__model(copy, out, err, 1);
    }
    if (rc == ENG_OK) {
        eng_fund__result_drop_years(*out);
    } else if (err != NULL) {
        cell_detail(err, g, index);
    }
    eng_fund_free(copy);
    return rc;
}

void eng_fund_grid_result_free(eng_fund_grid_result *r)
{
    if (r == NULL) {
        return;
    }
    for (size_t i = 0; r->cells != NULL && i < r->n_rows * r->n_cols; i++) {
        eng_fund_result_free(r->cells[i]);
    }
    free(r->cells);
    for (size_t i = 0; r->row_values != NULL && i < r->n_rows; i++) {
        mpq_clear(r->row_values[i]);
    }
    for (size_t i = 0; r->col_values != NULL && i < r->n_cols; i++) {
        mpq_clear(r->col_values[i]);
    }
    free(r->row_values);
    free(r->col_values);
    free(r);
}

/* A result shaped after `g`, values copied, no cells modelled yet. */
static eng_fund_grid_result *grid_new(const eng_fund_grid *g)
{
    eng_fund_grid_result *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        return NULL;
    }
    r->n_axes = g->n_axes;
    r->row_param = g->axes[0].param;
    r->col_param = g->n_axes > 1 ? g->axes[1].param : g->axes[0].param;
    size_t rows = g->axes[0].n_values, cols = g->n_axes > 1 ? g->axes[1].n_values : 1;
    r->row_values = malloc(rows * sizeof(mpq_t));
    r->col_values = malloc(cols * sizeof(mpq_t));
    r->cells = calloc(rows * cols, sizeof(*r->cells));
    if (r->row_values == NULL || r->col_values == NULL || r->cells == NULL) {
        eng_fund_grid_result_free(r);
        return NULL;
    }
    r->n_rows = rows;
    r->n_cols = cols;
    for (size_t i = 0; i < rows; i++) {
        mpq_init(r->row_values[i]);
        mpq_set(r->row_values[i], g->axes[0].values[i]);
    }
    for (size_t i = 0; i < cols; i++) {
        mpq_init(r->col_values[i]);
        if (g->n_axes > 1) {
            mpq_set(r->col_values[i], g->axes[1].values[i]);
        }
    }
    return r;
}

/*
 * Cells are handed out one at a time, in order, to up to this many threads: each
 * takes the next cell not yet taken, so a thread that drew cheap cells (an integer
 * bow keeps a projection rational) takes more of them and none waits for another.
 */
#define GRID_THREADS_MAX 8

typedef struct {
    const eng_fund *f;
    const eng_fund_grid *g;
    eng_fund_grid_result *r;
    atomic_size_t *next; /* the next cell to take, shared by the workers */
    size_t failed;       /* the first cell that failed, or SIZE_MAX */
    eng_status rc;
    eng_error err;
} grid_worker;

static void *grid_work(void *arg)
{
    grid_worker *w = arg;
    size_t total = w->r->n_rows * w->r->n_cols;
    eng_error_clear(&w->err);
    for (size_t c = atomic_fetch_add(w->next, 1); c < total; c = atomic_fetch_add(w->next, 1)) {
        size_t index[ENG_FUND_GRID_AXES_MAX] = {c / w->r->n_cols, c % w->r->n_cols};
        w->rc = cell(&w->r->cells[c], w->f, w->g, index, &w->err);
        if (w->rc != ENG_OK) {
            w->failed = c;
            break;
        }
    }
    return NULL;
}

/* A worker on its own thread frees MPFR's per-thread caches before it ends. */
static void *grid_thread(void *arg)
{
    grid_work(arg);
    mpfr_free_cache2(MPFR_FREE_LOCAL_CACHE);
    return NULL;
}

/* Runs `n` workers, n - 1 of them on threads (in the caller when a thread cannot start). */
static void grid_workers(grid_worker *w, size_t n)
{
    pthread_t threads[GRID_THREADS_MAX];
    int started[GRID_THREADS_MAX] = {0};
    for (size_t t = 1; t < n; t++) {
        started[t] = pthread_create(&threads[t], NULL, grid_thread, &w[t]) == 0;
    }
    grid_work(&w[0]);
    for (size_t t = 1; t < n; t++) {
        if (started[t]) {
            pthread_join(threads[t], NULL);
        } else {
            grid_work(&w[t]);
        }
    }
}

/*
 * The cells are independent, so they run on as many threads as there are
 * processors (at most GRID_THREADS_MAX); results and errors do not depend on
 * the number: the error reported is the one of the first failing cell.
 */
eng_status eng_fund_grid_run(const eng_fund *f, const eng_fund_grid *g,
                             eng_fund_grid_result **out, eng_error *err)
{
    assert(f != NULL && g != NULL && out != NULL);
    if (g->n_axes == 0 || g->axes[0].n_values == 0 ||
        (g->n_axes > 1 && g->axes[1].n_values == 0)) {
        return eng_error_set(err, ENG_EINVALID, "a grid needs at least one value per parameter");
    }
    eng_fund_grid_result *r = grid_new(g);
    if (r == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    size_t total = r->n_rows * r->n_cols;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t n = cpus < 1 ? 1 : (size_t)cpus;
    n = n > GRID_THREADS_MAX ? GRID_THREADS_MAX : n;
    n = n > total ? total : n;
    grid_worker w[GRID_THREADS_MAX];
    atomic_size_t next;
    atomic_init(&next, 0);
    for (size_t t = 0; t < n; t++) {
        w[t] = (grid_worker){.f = f, .g = g, .r = r, .next = &next, .failed = SIZE_MAX};
    }
    grid_workers(w, n);
    /* The calling thread modelled cells too: free the MPFR caches they filled (a
       non-integer bow's powers), as the worker threads do, so no cache outlives the run. */
    mpfr_free_cache2(MPFR_FREE_LOCAL_CACHE);
    size_t worst = 0;
    for (size_t t = 1; t < n; t++) {
        worst = w[t].failed < w[worst].failed ? t : worst;
    }
    if (w[worst].failed != SIZE_MAX) {
        if (err != NULL) {
            *err = w[worst].err;
        }
        eng_fund_grid_result_free(r);
        return w[worst].rc;
    }
    assert(r->cells[0] != NULL && r->cells[total - 1] != NULL);
    *out = r;
    return ENG_OK;
}
