/*
 * fund_model.c -- the fund-of-funds model (work in progress: stubs).
 */
#include "fund_model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

char *eng_fund_num_str(const eng_fund_num *x, int sig_digits)
{
    (void)x;
    (void)sig_digits;
    return strdup("null");
}

double eng_fund_num_double(const eng_fund_num *x)
{
    (void)x;
    return NAN;
}

int eng_fund_num_is_null(const eng_fund_num *x)
{
    return x->kind == ENG_FUND_NUM_NULL;
}

int eng_fund_num_is_exact(const eng_fund_num *x)
{
    return x->kind == ENG_FUND_NUM_EXACT;
}

eng_status eng_fund_model(const eng_fund *f, eng_fund_result **out, eng_error *err)
{
    (void)f;
    (void)out;
    return eng_error_set(err, ENG_EINVALID, "the fund model is not built yet");
}

void eng_fund_result_free(eng_fund_result *r)
{
    (void)r;
}

eng_status eng_fund_grid_run(const eng_fund *f, const eng_fund_grid *g,
                             eng_fund_grid_result **out, eng_error *err)
{
    (void)f;
    (void)g;
    (void)out;
    return eng_error_set(err, ENG_EINVALID, "the fund grid is not built yet");
}

void eng_fund_grid_result_free(eng_fund_grid_result *r)
{
    (void)r;
}
