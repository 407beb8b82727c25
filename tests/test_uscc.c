/*
 * test_uscc.c -- goal: the GB 32100-2015 check accepts real published unified
 * social credit codes and refuses every corruption of them.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "uscc.h"

/* Real codes from the companies' published business licences. */
static const char *const real_codes[] = {
    "914403001922038216", /* 华为技术有限公司 */
    "91330100716105852F", /* 阿里巴巴(中国)有限公司 */
    "91440300708461136T", /* 深圳市腾讯计算机系统有限公司 */
    "914100001699995779", /* 郑州银行股份有限公司 */
    "91110000802100433B", /* 北京百度网讯科技有限公司 */
};

Test(uscc, real_codes_pass)
{
    char buf[96];
    for (size_t i = 0; i < sizeof(real_codes) / sizeof(real_codes[0]); i++) {
        const char *why = eng_uscc_check(real_codes[i], 18, buf, sizeof(buf));
        cr_assert_null(why, "%s: %s", real_codes[i], why);
        cr_assert_eq(eng_uscc_check_char(real_codes[i]), real_codes[i][17]);
    }
}

Test(uscc, every_single_substitution_fails)
{
    static const char set[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    char buf[96], code[19];
    for (size_t i = 0; i < sizeof(real_codes) / sizeof(real_codes[0]); i++) {
        for (size_t pos = 0; pos < 18; pos++) {
            for (size_t k = 0; k < 31; k++) {
                memcpy(code, real_codes[i], 19);
                if (code[pos] == set[k]) {
                    continue;
                }
                code[pos] = set[k];
                cr_assert_not_null(eng_uscc_check(code, 18, buf, sizeof(buf)),
                                   "%s accepted (from %s)", code, real_codes[i]);
            }
        }
    }
}

Test(uscc, reasons)
{
    static const struct { const char *code, *why; } cases[] = {
        {"91440300708461136", "must be 18 characters"},
        {"9144030070846113611", "must be 18 characters"},
        {"91440300708461136I", "character 18 ('I') is not allowed"},
        {"9144030070846113 T", "character 17 (' ') is not allowed"},
        {"91440300708461136t", "character 18 ('t') is not allowed"},
        {"9144A300708461136T", "the administrative division (characters 3-8) must be 6 digits"},
        {"91440300708461136A", "check character is A, expected T"},
        {"91440300708461163T", "check character is T, expected L"},
    };
    char buf[96];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *why = eng_uscc_check(cases[i].code, strlen(cases[i].code), buf, sizeof(buf));
        cr_assert_not_null(why, "%s accepted", cases[i].code);
        cr_assert_str_eq(why, cases[i].why, "%s", cases[i].code);
    }
}
