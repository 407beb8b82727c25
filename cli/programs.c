/* programs.c -- the stored versions of a program (see programs.h). */
#include "programs.h"

#include <stdio.h>

#include "loader.h"
#include "policy_store.h"

eng_status cli_program_policies(eng_policy **versions, size_t *n, size_t max, led_db *db,
                                const char *program, eng_error *err)
{
    led_policy_info *list = NULL;
    size_t count = 0, had = *n;
    eng_status rc = led_policy_list(&list, &count, db, program, err);
    for (size_t i = 0; rc == ENG_OK && i < count; i++) {
        led_policy_info *info = NULL;
        if (*n == max) {
            rc = eng_error_set(err, ENG_ELIMIT, "program %s has more than %zu versions", program,
                               max);
            break;
        }
        rc = led_policy_get(&info, db, program, list[i].version, err);
        if (rc == ENG_OK) {
            char name[128];
            snprintf(name, sizeof(name), "%s@%ld", program, list[i].version);
            rc = pol_load_buffer(&versions[*n], name, info->bytes, info->len, err);
            *n += rc == ENG_OK;
        }
        led_policy_info_free(info);
    }
    led_policy_list_free(list, count);
    if (rc == ENG_OK && *n == had) {
        rc = eng_error_set(err, ENG_EINVALID, "program %s has no policy loaded", program);
    }
    return rc;
}

const eng_policy *cli_program_version(eng_policy *const *versions, size_t n, long version)
{
    for (size_t i = 0; i < n; i++) {
        if (versions[i]->version == version) {
            return versions[i];
        }
    }
    return NULL;
}
