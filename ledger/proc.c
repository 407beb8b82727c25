/* proc.c -- fork and execve, no shell. */
#include "proc.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Exit status of a child that could not become the user or start the program. */
#define PROC__EXIT_SETUP 126
#define PROC__EXIT_EXEC 127

eng_status led_proc_user_lookup(led_proc_user *out, const char *name, eng_error *err)
{
    struct passwd *pw;
    int n = LED_PROC_GROUPS_MAX;
    led_proc_user u;

    assert(out != NULL && name != NULL);
    memset(&u, 0, sizeof(u));
    errno = 0;
    pw = getpwnam(name);
    if (pw == NULL) {
        return eng_error_set(err, ENG_EINVALID, "there is no user %s to run the database "
                             "server (install postgresql, which creates it)", name);
    }
    u.uid = pw->pw_uid;
    u.gid = pw->pw_gid;
    snprintf(u.name, sizeof(u.name), "%s", pw->pw_name);
    snprintf(u.home, sizeof(u.home), "%s", pw->pw_dir);
    if (getgrouplist(pw->pw_name, pw->pw_gid, u.groups, &n) < 0) {
        n = 1;                          /* more than we keep: the primary group only */
        u.groups[0] = pw->pw_gid;
    }
    u.n_groups = n;
    *out = u;
    return ENG_OK;
}

/* In the child: becomes the user, wires the descriptors, and runs the program. */
static void proc__child(const led_proc_opts *o, int out_fd, char *const envp[])
{
    int devnull = open("/dev/null", O_RDONLY);

    if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0) {
        _exit(PROC__EXIT_SETUP);
    }
    closefrom(3);
    if (o->user != NULL) {
        if (setgroups((size_t)o->user->n_groups, o->user->groups) != 0
            || setgid(o->user->gid) != 0 || setuid(o->user->uid) != 0) {
            static const char msg[] = "riskshare: cannot switch to the server user\n";
            (void)!write(2, msg, sizeof(msg) - 1);
            _exit(PROC__EXIT_SETUP);
        }
    }
    if (chdir(o->cwd) != 0) {
        static const char msg[] = "riskshare: cannot enter the working directory\n";
        (void)!write(2, msg, sizeof(msg) - 1);
        _exit(PROC__EXIT_SETUP);
    }
    execve(o->argv[0], (char *const *)o->argv, envp);
    {
        static const char msg[] = "riskshare: cannot execute the program\n";
        (void)!write(2, msg, sizeof(msg) - 1);
    }
    _exit(PROC__EXIT_EXEC);
}

/* Copies the last bytes of `f` into `out`, dropping trailing newlines. */
static void proc__tail(char *out, size_t size, FILE *f)
{
    long end;
    size_t n;

    if (out == NULL || size == 0) {
        return;
    }
    out[0] = '\0';
    end = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (end < 0) {
        return;
    }
    if ((size_t)end > size - 1) {
        (void)fseek(f, end - (long)(size - 1), SEEK_SET);
    } else {
        rewind(f);
    }
    n = fread(out, 1, size - 1, f);
    out[n] = '\0';
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r')) {
        out[--n] = '\0';
    }
}

/* Waits for `pid`, returning its exit status or 128 + signal, -1 on error. */
static int proc__wait(pid_t pid)
{
    int status;

    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return -1;
        }
    }
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

eng_status led_proc_run(int *out_exit, const led_proc_opts *opts, eng_error *err)
{
    char env_home[300], env_tz[128];
    char *envp[5];
    int n_env = 0;
    const char *tz = getenv("TZ");
    const char *home = opts->user != NULL ? opts->user->home : getenv("HOME");
    FILE *capture;
    pid_t pid;
    int status;

    assert(out_exit != NULL && opts != NULL);
    assert(opts->argv != NULL && opts->argv[0] != NULL && opts->argv[0][0] == '/');
    envp[n_env++] = "PATH=/usr/local/bin:/usr/bin:/bin";
    envp[n_env++] = "LC_ALL=C.UTF-8";
    snprintf(env_home, sizeof(env_home), "HOME=%s", home != NULL ? home : "/");
    envp[n_env++] = env_home;
    if (tz != NULL) {
        snprintf(env_tz, sizeof(env_tz), "TZ=%s", tz);
        envp[n_env++] = env_tz;
    }
    envp[n_env] = NULL;
    capture = tmpfile();
    if (capture == NULL) {
        return eng_error_set(err, ENG_ERROR, "cannot create a temporary file: %s",
                             strerror(errno));
    }
    fflush(NULL);                       /* the child must not flush our buffers again */
    pid = fork();
    if (pid < 0) {
        fclose(capture);
        return eng_error_set(err, ENG_ERROR, "cannot start %s: %s", opts->argv[0],
                             strerror(errno));
    }
    if (pid == 0) {
        proc__child(opts, fileno(capture), envp);
    }
    status = proc__wait(pid);
    proc__tail(opts->output, opts->output_size, capture);
    fclose(capture);
    if (status < 0) {
        return eng_error_set(err, ENG_ERROR, "lost track of %s", opts->argv[0]);
    }
    *out_exit = status;
    return ENG_OK;
}
