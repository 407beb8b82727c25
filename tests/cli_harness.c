/* cli_harness.c -- spawning the CLI and capturing what it prints. */
#include "cli_harness.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* The folder for scratch files: tests/run.sh's, removed at exit; else /tmp. */
static const char *scratch(void)
{
    const char *dir = getenv("RISKSHARE_TEST_TMP");
    return dir != NULL && dir[0] != '\0' ? dir : "/tmp";
}

char *clh_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot read %s", path);
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            buf = realloc(buf, cap);
            cr_assert_not_null(buf);
        }
        size_t got = fread(buf + len, 1, 4096, f);
        len += got;
        if (got == 0) {
            break;
        }
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

/* Builds the child's environment: ours without RISKSHARE_DB and PG*, plus `db`. */
static char **child_env(const char *db, char *dbvar, size_t dbvar_size)
{
    size_t n = 0;
    while (environ[n] != NULL) {
        n++;
    }
    char **env = calloc(n + 2, sizeof(char *));
    cr_assert_not_null(env);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(environ[i], "RISKSHARE_DB=", 13) != 0 && strncmp(environ[i], "PG", 2) != 0) {
            env[k++] = environ[i];
        }
    }
    if (db != NULL) {
        snprintf(dbvar, dbvar_size, "RISKSHARE_DB=%s", db);
        env[k++] = dbvar;
    }
    env[k] = NULL;
    return env;
}

clh_result clh_run(const char *db, const char *const *args)
{
    const char *bin = getenv("RISKSHARE_BIN");
    char outp[512], errp[512];
    snprintf(outp, sizeof(outp), "%s/rs-cli-out.XXXXXX", scratch());
    snprintf(errp, sizeof(errp), "%s/rs-cli-err.XXXXXX", scratch());
    int outfd = mkstemp(outp), errfd = mkstemp(errp);
    char dbvar[1200];
    char *argv[64];
    size_t n = 0;
    clh_result r;

    cr_assert(outfd >= 0 && errfd >= 0);
    argv[n++] = (char *)(bin != NULL ? bin : "bin/riskshare");
    for (; args[n - 1] != NULL && n < 63; n++) {
        argv[n] = (char *)args[n - 1];
    }
    argv[n] = NULL;
    char **env = child_env(db, dbvar, sizeof(dbvar));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, outfd, 1);
    posix_spawn_file_actions_adddup2(&fa, errfd, 2);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, env);
    cr_assert_eq(rc, 0, "cannot run %s: %s", argv[0], strerror(rc));
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    posix_spawn_file_actions_destroy(&fa);
    free(env);
    close(outfd);
    close(errfd);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = clh_slurp(outp);
    r.err = clh_slurp(errp);
    unlink(outp);
    unlink(errp);
    return r;
}

void clh_free(clh_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

void clh_write_file(char *path_out, size_t size, const char *name, const char *text)
{
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/rs-cli-files.XXXXXX", scratch());
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path_out, size, "%s/%s", dir, name);
    FILE *f = fopen(path_out, "wb");
    cr_assert_not_null(f, "cannot write %s", path_out);
    fputs(text, f);
    fclose(f);
}
