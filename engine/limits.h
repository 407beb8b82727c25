/*
 * limits.h -- every bound riskshare enforces, in one place.
 *
 * Untrusted input is checked against these as it is read, so no input can
 * make the program use unbounded time or memory.
 */
#ifndef ENG_LIMITS_H
#define ENG_LIMITS_H

/* Significant digits of one number (each side of a fraction counts alone). */
#define ENG_NUM_DIGITS_MAX 30
/* Bytes of one number's text. */
#define ENG_NUM_TEXT_MAX 128
/* Largest magnitude of a recorded amount, in fen (10^15 yuan). */
#define ENG_FEN_MAX 100000000000000000LL

/* Bytes of one policy or fund file. */
#define ENG_POLICY_BYTES_MAX (1024 * 1024)
/* Nesting depth of YAML collections. */
#define ENG_YAML_DEPTH_MAX 16
/* YAML events (scalars, starts and ends of collections) in one file. */
#define ENG_YAML_EVENTS_MAX 200000
/* Bytes of one YAML scalar. */
#define ENG_YAML_SCALAR_MAX 4096
/* Parties, rules, caps, breakers of one policy. */
#define ENG_PARTIES_MAX 64
#define ENG_RULES_MAX 1024
#define ENG_CAPS_MAX 64
#define ENG_BREAKERS_MAX 64
/* Values in one `in`/`not_in` list. */
#define ENG_COND_VALUES_MAX 1024
/* Credit grades in `expected_loss.pd`. */
#define ENG_GRADES_MAX 64
/* Bytes of an id (party, rule, program, loan). */
#define ENG_ID_MAX 64
/* Policy versions. */
#define ENG_VERSION_MAX 1000000
/* Interest days cap of `principal_plus_interest`. */
#define ENG_INTEREST_DAYS_MAX 3660

#if ENG_NUM_DIGITS_MAX < 20 || ENG_NUM_DIGITS_MAX > 60
#error "ENG_NUM_DIGITS_MAX must allow int64 money and stay small"
#endif
#if ENG_NUM_TEXT_MAX < 2 * ENG_NUM_DIGITS_MAX + 4
#error "ENG_NUM_TEXT_MAX must hold the longest accepted number"
#endif
#if ENG_FEN_MAX > 922337203685477580LL
#error "ENG_FEN_MAX must leave room for sums of two amounts in int64"
#endif
#if ENG_YAML_DEPTH_MAX < 6
#error "policies nest at least 6 deep (terms.rules[i].when.field.op[j])"
#endif
#if ENG_POLICY_BYTES_MAX < 65536
#error "real policies need at least 64 KiB"
#endif

#endif
