/*
 * proc.h -- running PostgreSQL's programs (initdb, pg_ctl, pg_config): fork and
 * execve with a fixed environment, never a shell, optionally as another user.
 *
 * Run as root, riskshare runs its cluster as the unprivileged `postgres` system
 * user, because initdb and the server refuse to run as root.
 */
#ifndef LED_PROC_H
#define LED_PROC_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* Supplementary groups kept for a user. */
#define LED_PROC_GROUPS_MAX 64

typedef struct {
    uid_t uid;
    gid_t gid;
    char name[64];
    char home[256];
    gid_t groups[LED_PROC_GROUPS_MAX];
    int n_groups;
} led_proc_user;

/*
 * Looks up the user `name` and its groups into `*out`.  Allocates nothing.
 * Returns ENG_EINVALID when there is no such user, leaving `*out` untouched.
 */
eng_status led_proc_user_lookup(led_proc_user *out, const char *name, eng_error *err);

typedef struct {
    const char *const *argv;    /* argv[0] is the program's absolute path; NULL-ended */
    const char *cwd;            /* the child's working directory */
    const led_proc_user *user;  /* run as this user (needs root); NULL: as ourselves */
    char *output;               /* receives the tail of stdout and stderr; may be NULL */
    size_t output_size;         /* bytes of `output`, NUL included */
} led_proc_opts;

#define LED_PROC_OPTS_INIT {NULL, "/", NULL, NULL, 0}

/*
 * Runs `opts->argv` and waits for it.  Its stdin is /dev/null, its stdout and
 * stderr are captured (the last `output_size - 1` bytes land in `output`, without
 * a trailing newline), its environment is PATH, LC_ALL=C.UTF-8, HOME and TZ only,
 * and it inherits no other descriptor.  `*out_exit` receives the exit status, or
 * 128 + the signal that killed it.  Returns ENG_ERROR (and leaves `*out_exit`
 * untouched) when the program cannot be started; an exit status other than 0 is
 * the caller's to judge.  Allocates nothing that outlives the call.
 */
eng_status led_proc_run(int *out_exit, const led_proc_opts *opts, eng_error *err);

#endif
