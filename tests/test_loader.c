/*
 * test_loader.c -- goal: the policy loader refuses every malformed policy
 * with exactly one clear error naming line, column and key path, never
 * crashes or leaks on hostile input (this file also runs under ASan/UBSan),
 * and loads a valid policy into the structures the engine expects.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "rules.h"

/* A small valid policy the cases below break one way each. */
#define HEAD                                                                                       \
    "program: p\nversion: 1\ntitle: t\nlegal_ref: r\neffective_from: 2024-01-01\ncurrency: CNY\n"
#define PARTIES                                                                                    \
    "parties:\n  - {id: pool, kind: pool, name: P}\n  - {id: bk, kind: bank, name: B}\n"           \
    "  - {id: gu, kind: guarantor, name: G}\n  - {id: prov, kind: reguarantor, name: R}\n"
#define RULES HEAD PARTIES "terms:\n  rules:\n"
#define BASE RULES "    - id: r1\n      shares: {pool: \"50%\", bank: \"50%\"}\n"

static const struct {
    const char *name;
    size_t len;    /* bytes of yaml (it may hold a NUL byte) */
    const char *yaml;
    const char *error; /* the exact line after "t.yaml:" */
} bad_policies[] = {
    {"unknown_top_key", 328,
        BASE "colour: red\n",
        "16:1: colour: unknown key \"colour\""},
    {"unknown_nested_key", 334,
        BASE "      colour: red\n",
        "16:7: terms.rules[0].colour: unknown key \"colour\""},
    {"missing_program", 305,
        "version: 1\n"
        "title: t\n"
        "legal_ref: r\n"
        "effective_from: 2024-01-01\n"
        "currency: CNY\n"
        "parties:\n"
        "  - {id: pool, kind: pool, name: P}\n"
        "  - {id: bk, kind: bank, name: B}\n"
        "  - {id: gu, kind: guarantor, name: G}\n"
        "  - {id: prov, kind: reguarantor, name: R}\n"
        "terms:\n"
        "  rules:\n"
        "    - id: r1\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "1:1: missing required key \"program\""},
    {"missing_terms", 246,
        HEAD PARTIES,
        "1:1: missing required key \"terms\""},
    {"version_text", 318,
        "program: p\n"
        "version: one\n"
        "title: t\n"
        "legal_ref: r\n"
        "effective_from: 2024-01-01\n"
        "currency: CNY\n"
        "parties:\n"
        "  - {id: pool, kind: pool, name: P}\n"
        "  - {id: bk, kind: bank, name: B}\n"
        "  - {id: gu, kind: guarantor, name: G}\n"
        "  - {id: prov, kind: reguarantor, name: R}\n"
        "terms:\n"
        "  rules:\n"
        "    - id: r1\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "2:10: version: expected an integer from 1 to 1000000, found \"one\""},
    {"version_zero", 316,
        "program: p\n"
        "version: 0\n"
        "title: t\n"
        "legal_ref: r\n"
        "effective_from: 2024-01-01\n"
        "currency: CNY\n"
        "parties:\n"
        "  - {id: pool, kind: pool, name: P}\n"
        "  - {id: bk, kind: bank, name: B}\n"
        "  - {id: gu, kind: guarantor, name: G}\n"
        "  - {id: prov, kind: reguarantor, name: R}\n"
        "terms:\n"
        "  rules:\n"
        "    - id: r1\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "2:10: version: expected an integer from 1 to 1000000, found \"0\""},
    {"version_quoted", 318,
        "program: p\n"
        "version: \"1\"\n"
        "title: t\n"
        "legal_ref: r\n"
        "effective_from: 2024-01-01\n"
        "currency: CNY\n"
        "parties:\n"
        "  - {id: pool, kind: pool, name: P}\n"
        "  - {id: bk, kind: bank, name: B}\n"
        "  - {id: gu, kind: guarantor, name: G}\n"
        "  - {id: prov, kind: reguarantor, name: R}\n"
        "terms:\n"
        "  rules:\n"
        "    - id: r1\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "2:10: version: expected an integer from 1 to 1000000, found \"1\""},
    {"program_upper", 317,
        "program: Zz\n"
        "version: 1\n"
        "title: t\n"
        "legal_ref: r\n"
        "effective_from: 2024-01-01\n"
        "currency: CNY\n"
        "parties:\n"
        "  - {id: pool, kind: pool, name: P}\n"
        "  - {id: bk, kind: bank, name: B}\n"
        "  - {id: gu, kind: guarantor, name: G}\n"
        "  - {id: prov, kind: reguarantor, name: R}\n"
        "terms:\n"
        "  rules:\n"
        "    - id: r1\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "1:10: program: invalid id \"Zz\": expected [a-z0-9-]{1,64}"},
    {"parties_scalar", 169,
        HEAD "parties: none\n"
        "terms:\n"
        "  rules:\n"
        "    - id: r1\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "7:10: parties: expected a list, found a scalar"},
    {"parties_empty", 167,
        HEAD "parties: []\n"
        "terms:\n"
        "  rules:\n"
        "    - id: r1\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "7:10: parties: expected 1 to 64 parties"},
    {"party_kind_unknown", 312,
        HEAD "parties:\n"
        "  - {id: pool, kind: pool, name: P}\n"
        "  - {id: bk, kind: bank, name: B}\n"
        "  - {id: gu, kind: guarantor, name: G}\n"
        "  - {id: prov, kind: insurer, name: R}\n"
        "terms:\n"
        "  rules:\n"
        "    - id: r1\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "11:22: parties[3].kind: unknown party kind \"insurer\" (expected pool|bank|guarantor|reguarantor|fund|government)"},
    {"duplicate_party", 316,
        HEAD "parties:\n"
        "  - {id: pool, kind: pool, name: P}\n"
        "  - {id: bk, kind: bank, name: B}\n"
        "  - {id: gu, kind: guarantor, name: G}\n"
        "  - {id: pool, kind: reguarantor, name: R}\n"
        "terms:\n"
        "  rules:\n"
        "    - id: r1\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "11:10: parties[3].id: duplicate party id \"pool\""},
    {"no_bank", 200,
        HEAD "parties:\n"
        "  - {id: pool, kind: pool, name: P}\n"
        "terms:\n"
        "  rules:\n"
        "    - id: r1\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "8:3: parties: a policy needs at least one party of kind bank"},
    {"shares_sum", 316,
        RULES "    - id: r1\n"
        "      shares: {pool: \"50%\", bank: \"40%\"}\n",
        "15:15: terms.rules[0].shares: shares sum to 0.9, not 1"},
    {"shares_sum_fraction", 349,
        RULES "    - id: r1\n"
        "      shares: {pool: \"1/3\", bank: \"1/3\", prov: \"1/3\", guarantor: \"1/100\"}\n",
        "15:15: terms.rules[0].shares: shares sum to 1.01, not 1"},
    {"share_above_1", 318,
        RULES "    - id: r1\n"
        "      shares: {pool: \"150%\", bank: \"-50%\"}\n",
        "15:22: terms.rules[0].shares.pool: 150% is not a ratio between 0 and 1"},
    {"share_negative", 317,
        RULES "    - id: r1\n"
        "      shares: {pool: \"-0.5\", bank: \"1.5\"}\n",
        "15:22: terms.rules[0].shares.pool: -0.5 is not a ratio between 0 and 1"},
    {"share_unknown_party", 317,
        RULES "    - id: r1\n"
        "      shares: {pooll: \"50%\", bank: \"50%\"}\n",
        "15:16: terms.rules[0].shares.pooll: unknown party \"pooll\""},
    {"share_bank_by_id", 314,
        RULES "    - id: r1\n"
        "      shares: {pool: \"50%\", bk: \"50%\"}\n",
        "15:29: terms.rules[0].shares.bk: \"bk\" is a bank: use the key \"bank\" for the loan's own bank"},
    {"shares_list", 302,
        RULES "    - id: r1\n"
        "      shares: [pool, bank]\n",
        "15:15: terms.rules[0].shares: expected a mapping, found a list"},
    {"no_shares", 296,
        RULES "    - id: r1\n"
        "      fee_rate: \"1%\"\n",
        "14:7: terms.rules[0]: no shares: set them in the rule or in terms.defaults"},
    {"duplicate_rule_id", 367,
        RULES "    - id: r1\n"
        "      when: {direct: true}\n"
        "      shares: {pool: \"1\"}\n"
        "    - id: r1\n"
        "      shares: {bank: \"1\"}\n",
        "17:11: terms.rules[1].id: duplicate rule id \"r1\""},
    {"duplicate_key", 327,
        RULES "    - id: r1\n"
        "      shares: {pool: \"50%\", bank: \"50%\", pool: \"0\"}\n",
        "15:42: terms.rules[0].shares.pool: duplicate key \"pool\""},
    {"bad_date", 316,
        "program: p\n"
        "version: 1\n"
        "title: t\n"
        "legal_ref: r\n"
        "effective_from: 2024-13-01\n"
        "currency: CNY\n"
        "parties:\n"
        "  - {id: pool, kind: pool, name: P}\n"
        "  - {id: bk, kind: bank, name: B}\n"
        "  - {id: gu, kind: guarantor, name: G}\n"
        "  - {id: prov, kind: reguarantor, name: R}\n"
        "terms:\n"
        "  rules:\n"
        "    - id: r1\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "5:17: effective_from: invalid date \"2024-13-01\": no such day"},
    {"impossible_date", 316,
        "program: p\n"
        "version: 1\n"
        "title: t\n"
        "legal_ref: r\n"
        "effective_from: 2023-02-29\n"
        "currency: CNY\n"
        "parties:\n"
        "  - {id: pool, kind: pool, name: P}\n"
        "  - {id: bk, kind: bank, name: B}\n"
        "  - {id: gu, kind: guarantor, name: G}\n"
        "  - {id: prov, kind: reguarantor, name: R}\n"
        "terms:\n"
        "  rules:\n"
        "    - id: r1\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "5:17: effective_from: invalid date \"2023-02-29\": no such day"},
    {"date_slashes", 316,
        "program: p\n"
        "version: 1\n"
        "title: t\n"
        "legal_ref: r\n"
        "effective_from: 2024/01/01\n"
        "currency: CNY\n"
        "parties:\n"
        "  - {id: pool, kind: pool, name: P}\n"
        "  - {id: bk, kind: bank, name: B}\n"
        "  - {id: gu, kind: guarantor, name: G}\n"
        "  - {id: prov, kind: reguarantor, name: R}\n"
        "terms:\n"
        "  rules:\n"
        "    - id: r1\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "5:17: effective_from: invalid date \"2024/01/01\": expected YYYY-MM-DD"},
    {"effective_to_before", 341,
        "program: p\n"
        "version: 1\n"
        "title: t\n"
        "legal_ref: r\n"
        "effective_from: 2024-01-01\n"
        "effective_to: 2023-12-31\n"
        "currency: CNY\n"
        "parties:\n"
        "  - {id: pool, kind: pool, name: P}\n"
        "  - {id: bk, kind: bank, name: B}\n"
        "  - {id: gu, kind: guarantor, name: G}\n"
        "  - {id: prov, kind: reguarantor, name: R}\n"
        "terms:\n"
        "  rules:\n"
        "    - id: r1\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "6:15: effective_to: 2023-12-31 is before effective_from 2024-01-01"},
    {"exponent", 337,
        RULES "    - id: r1\n"
        "      fee_rate: 1e-3\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "15:17: terms.rules[0].fee_rate: invalid number \"1e-3\": exponents are not allowed"},
    {"nan", 337,
        RULES "    - id: r1\n"
        "      fee_rate: .NaN\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "15:17: terms.rules[0].fee_rate: invalid number \".NaN\": NaN and infinity are not allowed"},
    {"inf", 315,
        RULES "    - id: r1\n"
        "      shares: {pool: .inf, bank: \"50%\"}\n",
        "15:22: terms.rules[0].shares.pool: invalid number \".inf\": NaN and infinity are not allowed"},
    {"thousands", 372,
        BASE "caps:\n"
        "  - {party: pool, per: loan, amount: \"5,000,000\"}\n",
        "17:38: caps[0].amount: invalid number \"5,000,000\": thousands separators are not allowed"},
    {"amount_not_fen", 370,
        BASE "caps:\n"
        "  - {party: pool, per: loan, amount: \"100.005\"}\n",
        "17:38: caps[0].amount: invalid number \"100.005\": not a whole number of fen (0.01)"},
    {"anchor", 319,
        HEAD "parties:\n"
        "  - {id: pool, kind: pool, name: P}\n"
        "  - &b {id: bk, kind: bank, name: B}\n"
        "  - {id: gu, kind: guarantor, name: G}\n"
        "  - {id: prov, kind: reguarantor, name: R}\n"
        "terms:\n"
        "  rules:\n"
        "    - id: r1\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "9:5: parties[1]: anchors and aliases are not allowed"},
    {"alias", 374,
        BASE "caps:\n"
        "  - &c {party: pool, per: loan, amount: \"1\"}\n"
        "  - *c\n",
        "17:5: caps[0]: anchors and aliases are not allowed"},
    {"tag", 322,
        "program: p\n"
        "version: 1\n"
        "title: !!str t\n"
        "legal_ref: r\n"
        "effective_from: 2024-01-01\n"
        "currency: CNY\n"
        "parties:\n"
        "  - {id: pool, kind: pool, name: P}\n"
        "  - {id: bk, kind: bank, name: B}\n"
        "  - {id: gu, kind: guarantor, name: G}\n"
        "  - {id: prov, kind: reguarantor, name: R}\n"
        "terms:\n"
        "  rules:\n"
        "    - id: r1\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "3:8: title: tags are not allowed"},
    {"invalid_utf8", 317,
        "program: p\n"
        "version: 1\n"
        "title: t\xff\n"
        "legal_ref: r\n"
        "effective_from: 2024-01-01\n"
        "currency: CNY\n"
        "parties:\n"
        "  - {id: pool, kind: pool, name: P}\n"
        "  - {id: bk, kind: bank, name: B}\n"
        "  - {id: gu, kind: guarantor, name: G}\n"
        "  - {id: prov, kind: reguarantor, name: R}\n"
        "terms:\n"
        "  rules:\n"
        "    - id: r1\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "3:9: invalid UTF-8"},
    {"empty_file", 0, "",
        "1:1: empty policy file"},
    {"only_comment", 15,
        "# nothing here\n",
        "1:1: empty policy file"},
    {"scalar_root", 14,
        "just a string\n",
        "1:1: a policy must be a mapping, found a scalar"},
    {"list_root", 8,
        "- a\n"
        "- b\n",
        "1:1: a policy must be a mapping, found a list"},
    {"deep_nesting", 403,
        BASE "caps: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
        "16:22: caps[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: nesting deeper than 16 levels"},
    {"two_documents", 636,
        BASE "---\n"
        "program: p\n"
        "version: 1\n"
        "title: t\n"
        "legal_ref: r\n"
        "effective_from: 2024-01-01\n"
        "currency: CNY\n"
        "parties:\n"
        "  - {id: pool, kind: pool, name: P}\n"
        "  - {id: bk, kind: bank, name: B}\n"
        "  - {id: gu, kind: guarantor, name: G}\n"
        "  - {id: prov, kind: reguarantor, name: R}\n"
        "terms:\n"
        "  rules:\n"
        "    - id: r1\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "16:1: a file holds exactly one document"},
    {"yaml_syntax", 324,
        BASE "caps: [\n",
        "17:1: caps[0]: YAML syntax: did not find expected node content while parsing a flow node"},
    {"cap_on_residual", 381,
        BASE "residual: prov\n"
        "caps:\n"
        "  - {party: prov, per: loan, amount: \"100\"}\n",
        "18:13: caps[0].party: the residual party \"prov\" cannot have a cap"},
    {"cap_on_bank", 364,
        BASE "caps:\n"
        "  - {party: bk, per: loan, amount: \"100\"}\n",
        "17:13: caps[0].party: a cap cannot apply to the bank \"bk\""},
    {"cap_no_amount", 351,
        BASE "caps:\n"
        "  - {party: pool, per: year}\n",
        "17:5: caps[0]: a cap needs amount"},
    {"cap_pct_wrong_per", 385,
        BASE "caps:\n"
        "  - {party: pool, per: loan, pct_of_admitted_principal: \"10%\"}\n",
        "17:30: caps[0].pct_of_admitted_principal: pct_of_admitted_principal applies only to per: program"},
    {"cap_per_unknown", 366,
        BASE "caps:\n"
        "  - {party: pool, per: decade, amount: \"1\"}\n",
        "17:24: caps[0].per: unknown cap period \"decade\" (expected loan|year|bank_year|program)"},
    {"unknown_operator", 353,
        RULES "    - id: r1\n"
        "      when: {principal: {like: \"5\"}}\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "15:26: terms.rules[0].when.principal.like: unknown operator \"like\" (expected eq|ne|in|not_in|lt|le|gt|ge|between)"},
    {"between_lo_hi", 364,
        RULES "    - id: r1\n"
        "      when: {principal: {between: [\"10\", \"5\"]}}\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "15:35: terms.rules[0].when.principal.between: between: the lower bound is above the upper bound"},
    {"between_three", 368,
        RULES "    - id: r1\n"
        "      when: {principal: {between: [\"1\", \"5\", \"9\"]}}\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "15:35: terms.rules[0].when.principal.between: between takes a list [lo, hi] of 2 values"},
    {"lt_on_text", 347,
        RULES "    - id: r1\n"
        "      when: {sector: {lt: ai}}\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "15:23: terms.rules[0].when.sector.lt: operator lt needs a number or date field, and sector is not one"},
    {"ge_on_bool", 353,
        RULES "    - id: r1\n"
        "      when: {first_loan: {ge: true}}\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "15:27: terms.rules[0].when.first_loan.ge: operator ge needs a number or date field, and first_loan is not one"},
    {"unknown_field", 342,
        RULES "    - id: r1\n"
        "      when: {colour: red}\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "15:14: terms.rules[0].when.colour: unknown loan field \"colour\""},
    {"bad_tech_status", 385,
        BASE "eligibility:\n"
        "  - {id: tech, require: {tech_status: [hnte, startup]}}\n",
        "17:46: eligibility[0].require.tech_status[1]: unknown tech_status \"startup\" (expected hnte|tech_sme|specialized_sme|little_giant|none)"},
    {"bool_yes", 342,
        RULES "    - id: r1\n"
        "      when: {direct: yes}\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "15:22: terms.rules[0].when.direct: expected true or false, found \"yes\""},
    {"bank_condition_not_bank", 341,
        RULES "    - id: r1\n"
        "      when: {bank: pool}\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "15:20: terms.rules[0].when.bank: \"pool\" is not a bank party of this policy"},
    {"elig_both", 428,
        BASE "eligibility:\n"
        "  - {id: e, require: {direct: true}, aggregate: {per: borrower, outstanding_principal: {le: \"1\"}}}\n",
        "17:5: eligibility[0]: a rule needs exactly one of require or aggregate"},
    {"elig_duplicate", 404,
        BASE "eligibility:\n"
        "  - {id: e, require: {direct: true}}\n"
        "  - {id: e, require: {direct: false}}\n",
        "18:10: eligibility[1].id: duplicate rule id \"e\""},
    {"aggregate_per", 399,
        BASE "eligibility:\n"
        "  - {id: e, aggregate: {per: bank, outstanding_principal: {le: \"1\"}}}\n",
        "17:30: eligibility[0].aggregate.per: unknown aggregate \"bank\" (expected borrower)"},
    {"hit_unknown", 327,
        HEAD PARTIES "terms:\n"
        "  hit: any\n"
        "  rules:\n"
        "    - id: r1\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "13:8: terms.hit: unknown hit policy \"any\" (expected first|unique)"},
    {"rules_empty", 265,
        HEAD PARTIES "terms:\n"
        "  rules: []\n",
        "13:10: terms.rules: expected 1 to 1024 rules"},
    {"residual_unknown", 333,
        BASE "residual: nobody\n",
        "16:11: residual: unknown residual \"nobody\" (expected claimant|bank|guarantor|a party id)"},
    {"loss_basis_missing_days", 360,
        BASE "loss_basis: {kind: principal_plus_interest}\n",
        "16:13: loss_basis: missing required key \"interest_days_cap\""},
    {"loss_basis_days_on_principal", 369,
        BASE "loss_basis: {kind: principal, interest_days_cap: 90}\n",
        "16:50: loss_basis.interest_days_cap: interest_days_cap applies only to principal_plus_interest"},
    {"capacity_not_pool", 355,
        BASE "capacity: {pool: prov, leverage: \"10\"}\n",
        "16:18: capacity.pool: \"prov\" is not a pool"},
    {"capacity_zero", 354,
        BASE "capacity: {pool: pool, leverage: \"0\"}\n",
        "16:34: capacity.leverage: leverage must be above 0"},
    {"breaker_metric", 410,
        BASE "breakers:\n"
        "  - {id: b, metric: npl_rate, scope: bank, threshold: \"5%\", action: stop_new_loans}\n",
        "17:21: breakers[0].metric: unknown metric \"npl_rate\" (expected default_rate)"},
    {"breaker_duplicate", 501,
        BASE "breakers:\n"
        "  - {id: b, metric: default_rate, scope: bank, threshold: \"5%\", action: stop_new_loans}\n"
        "  - {id: b, metric: default_rate, scope: bank, threshold: \"3%\", action: stop_payments}\n",
        "18:10: breakers[1].id: duplicate breaker id \"b\""},
    {"breaker_threshold", 416,
        BASE "breakers:\n"
        "  - {id: b, metric: default_rate, scope: bank, threshold: \"105%\", action: stop_new_loans}\n",
        "17:59: breakers[0].threshold: 105% is not a ratio between 0 and 1"},
    {"recovery_basis", 341,
        BASE "recovery: {basis: gross}\n",
        "16:19: recovery.basis: unknown recovery basis \"gross\" (expected borne|nominal)"},
    {"settlement_period", 360,
        BASE "settlement: {period: week, shortfall: fifo}\n",
        "16:22: settlement.period: unknown period \"week\" (expected month|quarter|year)"},
    {"expected_loss_lgd", 360,
        BASE "expected_loss: {pd: {A: \"1%\"}, lgd: \"160%\"}\n",
        "16:37: expected_loss.lgd: 160% is not a ratio between 0 and 1"},
    {"currency_lower", 316,
        "program: p\n"
        "version: 1\n"
        "title: t\n"
        "legal_ref: r\n"
        "effective_from: 2024-01-01\n"
        "currency: cny\n"
        "parties:\n"
        "  - {id: pool, kind: pool, name: P}\n"
        "  - {id: bk, kind: bank, name: B}\n"
        "  - {id: gu, kind: guarantor, name: G}\n"
        "  - {id: prov, kind: reguarantor, name: R}\n"
        "terms:\n"
        "  rules:\n"
        "    - id: r1\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "6:11: currency: invalid currency \"cny\": expected [A-Z]{3}"},
    {"rounding_unknown", 334,
        BASE "rounding: ceiling\n",
        "16:11: rounding: unknown rounding \"ceiling\" (expected half_up|half_even|down)"},
    {"null_title", 314,
        "program: p\n"
        "version: 1\n"
        "title:\n"
        "legal_ref: r\n"
        "effective_from: 2024-01-01\n"
        "currency: CNY\n"
        "parties:\n"
        "  - {id: pool, kind: pool, name: P}\n"
        "  - {id: bk, kind: bank, name: B}\n"
        "  - {id: gu, kind: guarantor, name: G}\n"
        "  - {id: prov, kind: reguarantor, name: R}\n"
        "terms:\n"
        "  rules:\n"
        "    - id: r1\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "3:7: title: a value is required"},
    {"empty_quoted_legal_ref", 0,
        "program: p\nversion: 1\ntitle: t\nlegal_ref: \"\"\neffective_from: 2024-01-01\ncurrency: CNY\n"
        PARTIES "terms:\n  rules:\n    - id: r1\n      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "4:12: legal_ref: a value is required"},
    {"subsidy_no_pool", 266,
        HEAD "parties:\n"
        "  - {id: bk, kind: bank, name: B}\n"
        "  - {id: prov, kind: reguarantor, name: R}\n"
        "terms:\n"
        "  rules:\n"
        "    - id: r1\n"
        "      fee_subsidy: \"50%\"\n"
        "      shares: {prov: \"50%\", bank: \"50%\"}\n",
        "12:7: terms.rules[0]: a subsidy needs a party of kind pool to pay it"},
    {"fee_cap_money", 345,
        RULES "    - id: r1\n"
        "      fee_subsidy_cap: \"30%\"\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "15:24: terms.rules[0].fee_subsidy_cap: invalid number \"30%\": an amount must be a plain decimal"},
    {"non_scalar_key", 329,
        BASE "? [a, b]\n"
        ": c\n",
        "16:3: a mapping key must be a scalar"},
    {"empty_in_list", 341,
        RULES "    - id: r1\n"
        "      when: {sector: []}\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "15:22: terms.rules[0].when.sector: empty list"},
    {"too_many_digits", 381,
        RULES "    - id: r1\n"
        "      when: {principal: {le: \"1234567890123456789012345678901\"}}\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "15:30: terms.rules[0].when.principal.le: invalid number \"1234567890123456789012345678901\": more than 30 significant digits"},
    {"nul_byte", 318,
        "program: p\n"
        "version: 1\n"
        "title: t\x00x\n"
        "legal_ref: r\n"
        "effective_from: 2024-01-01\n"
        "currency: CNY\n"
        "parties:\n"
        "  - {id: pool, kind: pool, name: P}\n"
        "  - {id: bk, kind: bank, name: B}\n"
        "  - {id: gu, kind: guarantor, name: G}\n"
        "  - {id: prov, kind: reguarantor, name: R}\n"
        "terms:\n"
        "  rules:\n"
        "    - id: r1\n"
        "      shares: {pool: \"50%\", bank: \"50%\"}\n",
        "3:9: NUL byte in file"},
};

static void expect_error(const char *name, const unsigned char *buf, size_t len, const char *want)
{
    eng_policy *p = NULL;
    eng_error err;
    char line[1024];
    eng_status rc = pol_load_buffer(&p, "t.yaml", buf, len, &err);
    cr_assert_neq(rc, ENG_OK, "%s: accepted", name);
    cr_assert_null(p, "%s: policy set on error", name);
    eng_error_format(line, sizeof(line), &err);
    cr_assert(strncmp(line, "t.yaml:", 7) == 0, "%s: %s", name, line);
    cr_expect_str_eq(line + 7, want, "%s", name);
}

Test(loader, malformed_policies)
{
    size_t n = sizeof(bad_policies) / sizeof(bad_policies[0]);
    cr_assert_geq(n, 40);
    for (size_t i = 0; i < n; i++) {
        size_t len = bad_policies[i].len ? bad_policies[i].len : strlen(bad_policies[i].yaml);
        expect_error(bad_policies[i].name, (const unsigned char *)bad_policies[i].yaml, len,
                     bad_policies[i].error);
    }
}

Test(loader, base_is_valid)
{
    static const char text[] = BASE;
    eng_policy *p = NULL;
    eng_error err;
    cr_assert_eq(pol_load_buffer(&p, "t.yaml", (const unsigned char *)text, strlen(text), &err),
                 ENG_OK, "%s", err.message);
    cr_assert_str_eq(p->program, "p");
    cr_assert_eq(p->version, 1);
    cr_assert_eq(p->n_parties, 4);
    cr_assert_eq(p->parties[3].kind, ENG_PARTY_REGUARANTOR);
    cr_assert_eq(p->terms.n_rules, 1);
    cr_assert_eq(p->terms.rules[0].out.n_shares, 2);
    cr_assert_eq(p->terms.rules[0].out.shares[1].target, ENG_SHARE_BANK);
    cr_assert_eq(p->rounding, ENG_ROUND_HALF_UP);
    cr_assert_eq(p->residual.kind, ENG_RESIDUAL_CLAIMANT);
    cr_assert_eq(p->settlement.period, ENG_PERIOD_QUARTER);
    cr_assert_eq(p->settlement.shortfall, ENG_SHORTFALL_PRO_RATA);
    eng_policy_free(p);
}

/* The example policy of DESIGN 4, with its comments, loads as written. */
Test(loader, design_example)
{
    eng_policy *p = NULL;
    eng_error err;
    char line[1024];
    eng_status rc = pol_load_file(&p, "tests/data/design-example.yaml", NULL, NULL, &err);
    eng_error_format(line, sizeof(line), &err);
    cr_assert_eq(rc, ENG_OK, "%s", line);
    cr_assert_eq(p->n_caps, 4);
    cr_assert_eq(p->caps[1].per, ENG_CAP_BANK_YEAR);
    cr_assert_eq(p->caps[1].amount.v, 1000000000LL);
    cr_assert(p->caps[1].pct.set);
    cr_assert_eq(p->caps[3].per, ENG_CAP_PROGRAM);
    cr_assert(!p->caps[3].amount.set);
    cr_assert_eq(p->n_breakers, 2);
    cr_assert_eq(p->breakers[1].window, ENG_WINDOW_YEAR);
    cr_assert_eq(p->breakers[1].action, ENG_ACTION_STOP_PAYMENTS);
    cr_assert(p->capacity.set);
    cr_assert_eq(mpq_cmp_ui(p->capacity.leverage, 10, 1), 0);
    cr_assert(p->expected_loss.set);
    cr_assert_eq(p->expected_loss.n_grades, 4);
    cr_assert_eq(p->terms.defaults.fee_rate.set, 1);
    cr_assert_eq(p->terms.rules[1].out.fee_subsidy_cap.v, 30000000LL);
    cr_assert(p->recovery.cost_cap.set);
    eng_policy_free(p);
}

/* Normalising is stable: the normalised text loads and normalises to itself. */
Test(loader, normalise_round_trip)
{
    eng_policy *p = NULL, *q = NULL;
    eng_error err;
    cr_assert_eq(pol_load_file(&p, "tests/data/design-example.yaml", NULL, NULL, &err), ENG_OK);
    char *a = pol_normalise(p);
    cr_assert_not_null(a);
    cr_assert_eq(pol_load_buffer(&q, "n.yaml", (unsigned char *)a, strlen(a), &err), ENG_OK,
                 "%d:%d %s: %s\n%s", err.line, err.column, err.path, err.message, a);
    char *b = pol_normalise(q);
    cr_assert_str_eq(a, b);
    free(a);
    free(b);
    eng_policy_free(p);
    eng_policy_free(q);
}

Test(loader, ten_megabytes)
{
    size_t len = 10 * 1024 * 1024;
    unsigned char *buf = malloc(len);
    cr_assert_not_null(buf);
    memset(buf, '#', len);
    expect_error("10 MB", buf, len, "1:1: file larger than 1048576 bytes");
    free(buf);
}

Test(loader, deep_nesting_is_cut_early)
{
    /* 200,000 levels: refused at level 17 instead of parsed (quadratic in libyaml). */
    size_t depth = 200000;
    unsigned char *buf = malloc(2 * depth + 1);
    cr_assert_not_null(buf);
    memset(buf, '[', depth);
    memset(buf + depth, ']', depth);
    buf[2 * depth] = '\n';
    expect_error("deep", buf, 2 * depth + 1,
                 "1:17: [0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: nesting deeper than 16 levels");
    free(buf);
}

Test(loader, missing_file)
{
    eng_policy *p = NULL;
    eng_error err;
    char line[512];
    cr_assert_eq(pol_load_file(&p, "tests/data/no-such-file.yaml", NULL, NULL, &err), ENG_EPARSE);
    eng_error_format(line, sizeof(line), &err);
    cr_assert_str_eq(line, "tests/data/no-such-file.yaml: cannot open: No such file or directory");
}

/* xorshift64* with the seed printed on failure. */
static unsigned long long next(unsigned long long *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

/*
 * Property: any byte-level mutation of a valid policy loads or fails with a
 * positioned error; it never crashes (ASan/UBSan watch this test).
 */
Test(loader, mutations_never_crash)
{
    static const char base[] = BASE "caps:\n  - {party: pool, per: loan, amount: \"5000000\"}\n"
                                    "breakers:\n  - {id: b, metric: default_rate, scope: bank, "
                                    "threshold: \"5%\", action: stop_new_loans}\n";
    static const char alphabet[] = "{}[]:,-&*!#%'\"\n 0123456789./abez\t|>?";
    const unsigned long long seed0 = 424242ULL;
    unsigned long long s = seed0;
    unsigned char buf[sizeof(base) + 16];

    for (int trial = 0; trial < 3000; trial++) {
        size_t len = sizeof(base) - 1;
        memcpy(buf, base, len);
        int edits = 1 + (int)(next(&s) % 4);
        for (int e = 0; e < edits && len > 0; e++) {
            size_t at = next(&s) % len;
            unsigned long long r = next(&s);
            if (r % 3 == 0) {
                buf[at] = (unsigned char)alphabet[r / 3 % (sizeof(alphabet) - 1)];
            } else if (r % 3 == 1) {
                buf[at] = (unsigned char)(r >> 8);
            } else {
                len = at; /* truncate */
            }
        }
        eng_policy *p = NULL;
        eng_error err;
        eng_status rc = pol_load_buffer(&p, "m.yaml", buf, len, &err);
        if (rc == ENG_OK) {
            cr_assert_not_null(p, "seed %llu trial %d", seed0, trial);
            eng_policy_free(p);
        } else {
            cr_assert_null(p, "seed %llu trial %d", seed0, trial);
            cr_assert_gt(err.line, 0, "seed %llu trial %d: no line for %s", seed0, trial,
                         err.message);
            cr_assert_gt(err.column, 0, "seed %llu trial %d", seed0, trial);
            cr_assert_neq(err.message[0], '\0', "seed %llu trial %d", seed0, trial);
        }
    }
}
