/* local.c -- riskshare's private PostgreSQL cluster. */
#define _XOPEN_SOURCE 700               /* nftw */
#include "local.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pg_int.h"
#include "proc.h"

/* The system user that runs the server when riskshare runs as root. */
#define LOCAL__SERVER_USER "postgres"
/* Where Debian's postgresql-15 puts its programs, when pg_config does not say. */
#define LOCAL__DEBIAN_BINDIR "/usr/lib/postgresql/15/bin"
/* Bytes of a path outside the home (the programs' folder, the working directory). */
#define LOCAL__PATH_MAX 4096
/* Seconds pg_ctl waits for the server to start or stop. */
#define LOCAL__WAIT_SECONDS "60"

typedef struct {
    led_local_paths paths;
    char bindir[LOCAL__PATH_MAX];
    int as_other;                       /* root: the server runs as `user` */
    led_proc_user user;
    char output[1024];                  /* the tail of the last program's output */
} local_ctx;

/* snprintf into a path buffer; returns -1 when it does not fit. */
static int local__path(char *out, size_t size, const char *a, const char *b)
{
    int n = snprintf(out, size, "%s%s", a, b);

    return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

/* Writes the home, unresolved against the current directory, into `out`. */
static eng_status local__home_raw(char *out, size_t size, eng_error *err)
{
    const char *home = getenv("RISKSHARE_HOME");
    const char *xdg = getenv("XDG_DATA_HOME");
    int n;

    if (home != NULL && home[0] != '\0') {
        n = snprintf(out, size, "%s", home);
    } else if (xdg != NULL && xdg[0] == '/') {      /* XDG: relative paths are ignored */
        n = snprintf(out, size, "%s/riskshare", xdg);
    } else {
        home = getenv("HOME");
        if (home == NULL || home[0] == '\0') {
            return eng_error_set(err, ENG_EINVALID, "cannot place the local database: "
                                 "set RISKSHARE_HOME or HOME");
        }
        n = snprintf(out, size, "%s/.local/share/riskshare", home);
    }
    if (n < 0 || (size_t)n >= size) {
        return eng_error_set(err, ENG_EINVALID, "riskshare home path is too long");
    }
    return ENG_OK;
}

/* Makes the home absolute, drops trailing slashes and checks what pg_ctl can take. */
static eng_status local__home(char *out, size_t size, eng_error *err)
{
    char raw[LOCAL__PATH_MAX], cwd[LOCAL__PATH_MAX], full[LOCAL__PATH_MAX * 2];
    size_t n;
    eng_status rc = local__home_raw(raw, sizeof(raw), err);

    if (rc < 0) {
        return rc;
    }
    if (raw[0] != '/' && getcwd(cwd, sizeof(cwd)) == NULL) {
        return eng_error_set(err, ENG_EINVALID, "cannot resolve riskshare home %s: %s", raw,
                             strerror(errno));
    }
    snprintf(full, sizeof(full), "%s%s%s", raw[0] == '/' ? "" : cwd,
             raw[0] == '/' ? "" : "/", raw);
    n = strlen(full);
    while (n > 1 && full[n - 1] == '/') {
        full[--n] = '\0';
    }
    for (const char *p = full; *p != '\0'; p++) {
        if (*p == '"' || *p == '\'' || *p == '\\' || *p == '$' || *p == '`'
            || (unsigned char)*p < 0x20 || *p == 0x7f) {
            return eng_error_set(err, ENG_EINVALID, "riskshare home %s holds a quote, "
                                 "backslash, $, backquote or control character, which "
                                 "pg_ctl cannot take: set RISKSHARE_HOME", full);
        }
    }
    if (n > LED_LOCAL_HOME_MAX || n >= size) {
        return eng_error_set(err, ENG_EINVALID, "riskshare home %s is too long for a unix "
                             "socket: %zu bytes, at most %d (HOME/run/.s.PGSQL.%d must fit "
                             "in 107): set RISKSHARE_HOME to a shorter path", full, n,
                             LED_LOCAL_HOME_MAX, LED_LOCAL_PORT);
    }
    memcpy(out, full, n + 1);
    return ENG_OK;
}

eng_status led_local_resolve(led_local_paths *out, eng_error *err)
{
    led_local_paths p;
    eng_status rc;

    assert(out != NULL);
    memset(&p, 0, sizeof(p));
    rc = local__home(p.home, sizeof(p.home), err);
    if (rc < 0) {
        return rc;
    }
    /* local__home kept the home short enough for every suffix. */
    if (local__path(p.data_dir, sizeof(p.data_dir), p.home, "/pgdata") < 0
        || local__path(p.socket_dir, sizeof(p.socket_dir), p.home, "/run") < 0
        || local__path(p.log_file, sizeof(p.log_file), p.home, "/log/postgres.log") < 0) {
        assert(0 && "LED_LOCAL_HOME_MAX leaves room for the suffixes");
        return eng_error_set(err, ENG_ERROR, "riskshare home path is too long");
    }
    *out = p;
    return ENG_OK;
}

int led_conninfo_quote(char *out, size_t size, const char *value)
{
    size_t o = 0;
    int quote = value[0] == '\0' || strpbrk(value, " \t\n'\\") != NULL;

    assert(out != NULL && size > 0);
    if (quote && o + 1 < size) {
        out[o++] = '\'';
    }
    for (const char *p = value; *p != '\0'; p++) {
        if ((*p == '\'' || *p == '\\') && o + 1 < size) {
            out[o++] = '\\';
        }
        if (o + 1 >= size) {
            out[size - 1] = '\0';
            return -1;
        }
        out[o++] = *p;
    }
    if (quote) {
        if (o + 1 >= size) {
            out[size - 1] = '\0';
            return -1;
        }
        out[o++] = '\'';
    }
    out[o] = '\0';
    return 0;
}

eng_status led_local_url(char **out, eng_error *err)
{
    led_local_paths p;
    char host[LED_LOCAL_PATH_SIZE * 2 + 3];
    char text[sizeof(host) + 64];
    eng_status rc = led_local_resolve(&p, err);

    assert(out != NULL);
    if (rc < 0) {
        return rc;
    }
    if (led_conninfo_quote(host, sizeof(host), p.socket_dir) < 0) {
        return eng_error_set(err, ENG_ERROR, "riskshare home path is too long");
    }
    snprintf(text, sizeof(text), "host=%s port=%d dbname=riskshare user=riskshare", host,
             LED_LOCAL_PORT);
    *out = strdup(text);
    if (*out == NULL) {
        return eng_error_set(err, ENG_ERROR, "out of memory");
    }
    return ENG_OK;
}

/* Finds `name` on PATH; returns 0 and its path in `out`, or -1. */
static int local__which(char *out, size_t size, const char *name)
{
    const char *path = getenv("PATH");
    const char *start = path != NULL ? path : "/usr/bin:/bin";

    for (;;) {
        size_t len = strcspn(start, ":");
        int n = snprintf(out, size, "%.*s/%s", (int)len, start, name);
        if (len > 0 && n > 0 && (size_t)n < size && access(out, X_OK) == 0) {
            return 0;
        }
        if (start[len] == '\0') {
            return -1;
        }
        start += len + 1;
    }
}

/* Returns 1 when `dir` holds executable initdb and pg_ctl. */
static int local__has_server(const char *dir)
{
    char path[LOCAL__PATH_MAX];

    return local__path(path, sizeof(path), dir, "/initdb") == 0 && access(path, X_OK) == 0
           && local__path(path, sizeof(path), dir, "/pg_ctl") == 0 && access(path, X_OK) == 0;
}

/* Finds the server programs: `pg_config --bindir`, else Debian's folder for 15. */
static eng_status local__bindir(local_ctx *c, eng_error *err)
{
    char pg_config[LOCAL__PATH_MAX];
    const char *argv[] = {pg_config, "--bindir", NULL};
    led_proc_opts opts = LED_PROC_OPTS_INIT;
    int status = -1;

    if (local__which(pg_config, sizeof(pg_config), "pg_config") == 0) {
        opts.argv = argv;
        opts.output = c->output;
        opts.output_size = sizeof(c->output);
        if (led_proc_run(&status, &opts, NULL) == ENG_OK && status == 0
            && c->output[0] == '/' && strchr(c->output, '\n') == NULL
            && local__has_server(c->output)) {
            snprintf(c->bindir, sizeof(c->bindir), "%s", c->output);
            return ENG_OK;
        }
    }
    if (local__has_server(LOCAL__DEBIAN_BINDIR)) {
        snprintf(c->bindir, sizeof(c->bindir), "%s", LOCAL__DEBIAN_BINDIR);
        return ENG_OK;
    }
    return eng_error_set(err, ENG_EDB, "cannot find the PostgreSQL server programs (initdb, "
                         "pg_ctl) through pg_config or in %s: install postgresql-15",
                         LOCAL__DEBIAN_BINDIR);
}

/* Resolves the paths, the server user and the server programs. */
static eng_status local__ctx_init(local_ctx *c, int need_programs, eng_error *err)
{
    eng_status rc;

    memset(c, 0, sizeof(*c));
    rc = led_local_resolve(&c->paths, err);
    if (rc < 0) {
        return rc;
    }
    if (geteuid() == 0) {
        c->as_other = 1;
        rc = led_proc_user_lookup(&c->user, LOCAL__SERVER_USER, err);
        if (rc < 0) {
            return rc;
        }
    }
    return need_programs ? local__bindir(c, err) : ENG_OK;
}

/* Runs the server program `argv` (argv[0] is its name under bindir) as the server user. */
static eng_status local__pg(int *out_exit, local_ctx *c, const char **argv, eng_error *err)
{
    char program[LOCAL__PATH_MAX];
    const char *name = argv[0];
    led_proc_opts opts = LED_PROC_OPTS_INIT;
    eng_status rc;

    if (snprintf(program, sizeof(program), "%s/%s", c->bindir, name) >= (int)sizeof(program)) {
        return eng_error_set(err, ENG_ERROR, "server program path is too long");
    }
    argv[0] = program;
    opts.argv = argv;
    opts.cwd = c->paths.home;           /* the server user can enter it; not our cwd */
    opts.user = c->as_other ? &c->user : NULL;
    opts.output = c->output;
    opts.output_size = sizeof(c->output);
    rc = led_proc_run(out_exit, &opts, err);
    argv[0] = name;
    return rc;
}

/* Fills `err` for a server program that exited with `status`. */
static eng_status local__failed(eng_error *err, const local_ctx *c, const char *what,
                                int status)
{
    const char *last = strrchr(c->output, '\n');

    eng_error_set(err, ENG_EDB, "%s failed (exit %d): %s", what, status,
                  last != NULL ? last + 1 : (c->output[0] != '\0' ? c->output : "no output"));
    if (err != NULL) {
        size_t len = strlen(c->output);
        const size_t keep = sizeof(err->detail) - 1;
        /* The end of the output says most; 255 is sizeof(detail) - 1. */
        snprintf(err->detail, sizeof(err->detail), "%.255s",
                 c->output + (len > keep ? len - keep : 0));
        snprintf(err->hint, sizeof(err->hint), "See the server log %s.", c->paths.log_file);
    }
    return ENG_EDB;
}

/* Creates `path` as a directory with `mode` unless it exists; -1 with errno on failure. */
static int local__mkdir(const char *path, mode_t mode)
{
    struct stat st;

    if (mkdir(path, mode) == 0) {
        return 0;
    }
    if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        return 0;
    }
    if (errno == EEXIST) {
        errno = ENOTDIR;
    }
    return -1;
}

/* mkdir -p of the home's ancestors (mode 0755 less umask), then the home with `mode`. */
static eng_status local__mkdir_home(const char *home, mode_t mode, eng_error *err)
{
    char prefix[LED_LOCAL_PATH_SIZE];

    for (size_t i = 1; home[i] != '\0'; i++) {
        if (home[i] != '/') {
            continue;
        }
        memcpy(prefix, home, i);
        prefix[i] = '\0';
        if (local__mkdir(prefix, 0755) < 0) {
            return eng_error_set(err, ENG_EDB, "cannot create %s: %s", prefix,
                                 strerror(errno));
        }
    }
    if (local__mkdir(home, mode) < 0) {
        return eng_error_set(err, ENG_EDB, "cannot create %s: %s", home, strerror(errno));
    }
    return ENG_OK;
}

/* The permission bit that lets `u` search a directory with `st`. */
static mode_t local__search_bit(const struct stat *st, const led_proc_user *u)
{
    if (st->st_uid == u->uid) {
        return S_IXUSR;
    }
    for (int i = 0; i < u->n_groups; i++) {
        if (st->st_gid == u->groups[i]) {
            return S_IXGRP;
        }
    }
    return S_IXOTH;
}

/*
 * Lets the server user search every directory from / down to the home: the home is
 * riskshare's own and gets the bit silently; the ancestors that deny it get the one
 * bit that applies to it (o+x, usually only /root, mode 700), and riskshare says so
 * on stderr, which happens once since the bit then stays.  Listing stays denied.
 */
static eng_status local__grant_search(const char *home, const led_proc_user *u, eng_error *err)
{
    char prefix[LED_LOCAL_PATH_SIZE];
    char granted[LED_LOCAL_PATH_SIZE * 4] = "";
    size_t used = 0;
    struct stat st;

    for (size_t i = 1;; i++) {
        if (home[i] != '/' && home[i] != '\0') {
            continue;
        }
        memcpy(prefix, home, i);
        prefix[i] = '\0';
        if (stat(prefix, &st) != 0) {
            return eng_error_set(err, ENG_EDB, "cannot read %s: %s", prefix, strerror(errno));
        }
        mode_t bit = local__search_bit(&st, u);
        if ((st.st_mode & bit) == 0) {
            if (chmod(prefix, (st.st_mode & 07777) | bit) != 0) {
                return eng_error_set(err, ENG_EDB, "cannot let %s search %s: %s", u->name,
                                     prefix, strerror(errno));
            }
            if (home[i] != '\0') {
                int n = snprintf(granted + used, sizeof(granted) - used, "%s%s",
                                 used > 0 ? ", " : "", prefix);
                used += (n > 0 && (size_t)n < sizeof(granted) - used) ? (size_t)n : 0;
            }
        }
        if (home[i] == '\0') {
            break;
        }
    }
    if (used > 0) {
        fprintf(stderr, "riskshare: granted search permission (x, not read) on %s so that "
                "the server user %s can reach %s\n", granted, u->name, home);
    }
    return ENG_OK;
}

/* Creates a directory under the home owned by the server user, mode 0700. */
static eng_status local__server_dir(const local_ctx *c, const char *path, eng_error *err)
{
    if (local__mkdir(path, 0700) < 0) {
        return eng_error_set(err, ENG_EDB, "cannot create %s: %s", path, strerror(errno));
    }
    if (c->as_other && chown(path, c->user.uid, c->user.gid) != 0) {
        return eng_error_set(err, ENG_EDB, "cannot give %s to %s: %s", path, c->user.name,
                             strerror(errno));
    }
    return ENG_OK;
}

/* Creates the home, run/ and log/, and makes them reachable by the server user. */
static eng_status local__prepare(const local_ctx *c, eng_error *err)
{
    char log_dir[LED_LOCAL_PATH_SIZE];
    eng_status rc;

    /* Root's home stays root's: the server user may only pass through it. */
    rc = local__mkdir_home(c->paths.home, c->as_other ? 0711 : 0700, err);
    if (rc < 0) {
        return rc;
    }
    if (c->as_other) {
        rc = local__grant_search(c->paths.home, &c->user, err);
        if (rc < 0) {
            return rc;
        }
    }
    rc = local__server_dir(c, c->paths.socket_dir, err);
    if (rc < 0) {
        return rc;
    }
    if (local__path(log_dir, sizeof(log_dir), c->paths.home, "/log") < 0) {
        return eng_error_set(err, ENG_ERROR, "riskshare home path is too long");
    }
    return local__server_dir(c, log_dir, err);
}

/* Takes the home's lock (blocking); `*out` is the descriptor that holds it. */
static eng_status local__lock(int *out, const local_ctx *c, eng_error *err)
{
    char path[LED_LOCAL_PATH_SIZE];
    int fd;

    if (local__path(path, sizeof(path), c->paths.home, "/lock") < 0) {
        return eng_error_set(err, ENG_ERROR, "riskshare home path is too long");
    }
    /* O_CLOEXEC: a server started under the lock must not inherit and keep it. */
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        return eng_error_set(err, ENG_EDB, "cannot open %s: %s", path, strerror(errno));
    }
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            close(fd);
            return eng_error_set(err, ENG_EDB, "cannot lock %s: %s", path, strerror(errno));
        }
    }
    *out = fd;
    return ENG_OK;
}

/* Returns 1 when the cluster has been initialised (initdb completed). */
static int local__initialised(const local_ctx *c)
{
    char path[LED_LOCAL_PATH_SIZE];

    return local__path(path, sizeof(path), c->paths.data_dir, "/PG_VERSION") == 0
           && access(path, F_OK) == 0;
}

static int local__rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

/* Writes `text` to the file `path` (replacing it), owned by the server user. */
static eng_status local__write_file(const local_ctx *c, const char *path, const char *text,
                                    int append, eng_error *err)
{
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC);
    int fd = open(path, flags, 0600);
    size_t len = strlen(text);
    int ok;

    if (fd < 0) {
        return eng_error_set(err, ENG_EDB, "cannot write %s: %s", path, strerror(errno));
    }
    ok = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
    ok = ok && (!c->as_other || fchown(fd, c->user.uid, c->user.gid) == 0);
    if (close(fd) != 0 || !ok) {
        return eng_error_set(err, ENG_EDB, "cannot write %s: %s", path, strerror(errno));
    }
    return ENG_OK;
}

/*
 * Runs initdb into HOME/pgdata.init and renames it to HOME/pgdata when it is done,
 * so pgdata/ is always complete; a leftover pgdata.init of a crashed attempt is
 * removed first (the lock is held).  Durable: no --no-sync for the user's ledger.
 */
static eng_status local__initdb(local_ctx *c, eng_error *err)
{
    char init_dir[LED_LOCAL_PATH_SIZE], conf[LED_LOCAL_PATH_SIZE];
    const char *argv[] = {"initdb", "-D", init_dir, "-A", "trust", "-E", "UTF8",
                          "--locale=C.UTF-8", "-U", "riskshare", NULL};
    int status = -1;
    eng_status rc;

    if (local__path(init_dir, sizeof(init_dir), c->paths.home, "/pgdata.init") < 0
        || local__path(conf, sizeof(conf), init_dir, "/postgresql.conf") < 0) {
        return eng_error_set(err, ENG_ERROR, "riskshare home path is too long");
    }
    if (nftw(init_dir, local__rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT) {
        return eng_error_set(err, ENG_EDB, "cannot remove %s: %s", init_dir, strerror(errno));
    }
    rc = local__server_dir(c, init_dir, err);
    if (rc < 0) {
        return rc;
    }
    rc = local__pg(&status, c, argv, err);
    if (rc < 0) {
        return rc;
    }
    if (status != 0) {
        return local__failed(err, c, "initdb", status);
    }
    rc = local__write_file(c, conf, "\n# riskshare: socket and port, rewritten at each start\n"
                           "include_if_exists = 'riskshare.conf'\n", 1, err);
    if (rc < 0) {
        return rc;
    }
    if (rename(init_dir, c->paths.data_dir) != 0) {
        return eng_error_set(err, ENG_EDB, "cannot rename %s to %s: %s", init_dir,
                             c->paths.data_dir, strerror(errno));
    }
    return ENG_OK;
}

/* Writes pgdata/riskshare.conf: no TCP, the socket in HOME/run (the home may move). */
static eng_status local__write_conf(const local_ctx *c, eng_error *err)
{
    char path[LED_LOCAL_PATH_SIZE], tmp[LED_LOCAL_PATH_SIZE];
    char text[LED_LOCAL_PATH_SIZE + 512];
    eng_status rc;

    if (local__path(path, sizeof(path), c->paths.data_dir, "/riskshare.conf") < 0
        || local__path(tmp, sizeof(tmp), c->paths.data_dir, "/riskshare.conf.tmp") < 0) {
        return eng_error_set(err, ENG_ERROR, "riskshare home path is too long");
    }
    /* The home holds no quote or backslash (local__home), so it needs no escaping. */
    snprintf(text, sizeof(text), "# Written by riskshare at each start: do not edit.\n"
             "listen_addresses = ''\n"
             "unix_socket_directories = '%s'\n"
             "unix_socket_permissions = 0700\n"
             "port = %d\n"
             "# A ledger takes whole batches in one transaction: room for their WAL\n"
             "# between checkpoints (durability unchanged: fsync and synchronous_commit on).\n"
             "shared_buffers = 256MB\n"
             "wal_buffers = 64MB\n"
             "max_wal_size = 8GB\n"
             "checkpoint_timeout = 30min\n"
             "jit = off\n", c->paths.socket_dir, LED_LOCAL_PORT);
    rc = local__write_file(c, tmp, text, 0, err);
    if (rc < 0) {
        return rc;
    }
    if (rename(tmp, path) != 0) {
        return eng_error_set(err, ENG_EDB, "cannot rename %s: %s", tmp, strerror(errno));
    }
    return ENG_OK;
}

/* Reads the server's pid, the first line of pgdata/postmaster.pid; 0 when unknown. */
static long local__pid(const local_ctx *c)
{
    char path[LED_LOCAL_PATH_SIZE], line[32];
    FILE *f;
    long pid = 0;

    if (local__path(path, sizeof(path), c->paths.data_dir, "/postmaster.pid") < 0) {
        return 0;
    }
    f = fopen(path, "re");
    if (f == NULL) {
        return 0;
    }
    if (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (led__parse_long(&pid, line) < 0 || pid <= 0) {
            pid = 0;
        }
    }
    fclose(f);
    return pid;
}

/* Sets `*out` to the cluster's state (pg_ctl status: 0 running, 3 stopped). */
static eng_status local__state(led_local_state *out, local_ctx *c, eng_error *err)
{
    const char *argv[] = {"pg_ctl", "status", "-D", c->paths.data_dir, NULL};
    int status = -1;
    eng_status rc;

    if (!local__initialised(c)) {
        *out = LED_LOCAL_NOT_INITIALISED;
        return ENG_OK;
    }
    rc = local__pg(&status, c, argv, err);
    if (rc < 0) {
        return rc;
    }
    if (status != 0 && status != 3) {
        return local__failed(err, c, "pg_ctl status", status);
    }
    *out = status == 0 ? LED_LOCAL_RUNNING : LED_LOCAL_STOPPED;
    return ENG_OK;
}

/* Replaces the captured output with the end of the server log, which says why. */
static void local__log_tail(local_ctx *c)
{
    FILE *f = fopen(c->paths.log_file, "re");
    long end;
    size_t n;

    if (f == NULL) {
        return;
    }
    end = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (end > 0) {
        long from = end > (long)sizeof(c->output) - 1 ? end - (long)sizeof(c->output) + 1 : 0;
        if (fseek(f, from, SEEK_SET) == 0) {
            n = fread(c->output, 1, sizeof(c->output) - 1, f);
            c->output[n] = '\0';
            while (n > 0 && c->output[n - 1] == '\n') {
                c->output[--n] = '\0';
            }
        }
    }
    fclose(f);
}

/* Starts the server and waits until it accepts connections. */
static eng_status local__pg_start(local_ctx *c, eng_error *err)
{
    const char *argv[] = {"pg_ctl", "start", "-D", c->paths.data_dir, "-l", c->paths.log_file,
                          "-w", "-t", LOCAL__WAIT_SECONDS, "-s", NULL};
    int status = -1;
    eng_status rc = local__pg(&status, c, argv, err);

    if (rc < 0) {
        return rc;
    }
    if (status != 0) {
        local__log_tail(c);             /* pg_ctl only says "Examine the log output." */
        return local__failed(err, c, "pg_ctl start", status);
    }
    return ENG_OK;
}

/* Creates the database `riskshare` when it is missing. */
static eng_status local__create_db(const local_ctx *c, eng_error *err)
{
    char port[16];
    const char *const keys[] = {"host", "port", "dbname", "user", NULL};
    const char *const values[] = {c->paths.socket_dir, port, "postgres", "riskshare", NULL};
    PGconn *conn;
    PGresult *res = NULL;
    eng_status rc = ENG_OK;

    snprintf(port, sizeof(port), "%d", LED_LOCAL_PORT);
    conn = PQconnectdbParams(keys, values, 0);
    if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
        rc = eng_error_set(err, ENG_EDB, "database unavailable: %.*s",
                           (int)strcspn(conn != NULL ? PQerrorMessage(conn) : "", "\n"),
                           conn != NULL ? PQerrorMessage(conn) : "");
        goto cleanup;
    }
    res = PQexec(conn, "SELECT 1 FROM pg_database WHERE datname = 'riskshare'");
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 0) {
        PQclear(res);
        res = PQexec(conn, "CREATE DATABASE riskshare");
    }
    if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = eng_error_set(err, ENG_EDB, "cannot create the database riskshare: %.*s",
                           (int)strcspn(PQerrorMessage(conn), "\n"), PQerrorMessage(conn));
    }
cleanup:
    PQclear(res);
    PQfinish(conn);
    return rc;
}

/* The steps of led_local_start under the lock. */
static eng_status local__start_locked(led_local_state *out, local_ctx *c, eng_error *err)
{
    eng_status rc = ENG_OK;

    if (!local__initialised(c)) {
        rc = local__initdb(c, err);
    }
    if (rc == ENG_OK) {
        rc = local__write_conf(c, err);
    }
    if (rc == ENG_OK) {
        rc = local__state(out, c, err);
    }
    if (rc == ENG_OK && *out != LED_LOCAL_RUNNING) {
        rc = local__pg_start(c, err);
        *out = LED_LOCAL_RUNNING;
    }
    if (rc == ENG_OK) {
        rc = local__create_db(c, err);
    }
    return rc;
}

eng_status led_local_start(led_local_info *out, eng_error *err)
{
    local_ctx c;
    led_local_state state = LED_LOCAL_NOT_INITIALISED;
    int lock_fd = -1;
    eng_status rc;

    rc = local__ctx_init(&c, 1, err);
    if (rc < 0) {
        return rc;
    }
    rc = local__prepare(&c, err);
    if (rc < 0) {
        return rc;
    }
    rc = local__lock(&lock_fd, &c, err);
    if (rc < 0) {
        return rc;
    }
    rc = local__start_locked(&state, &c, err);
    close(lock_fd);                     /* releases the lock */
    if (rc < 0) {
        return rc;
    }
    assert(state == LED_LOCAL_RUNNING);
    if (out != NULL) {
        out->state = state;
        out->pid = local__pid(&c);
        out->paths = c.paths;
    }
    return ENG_OK;
}

/* Stops the server (fast: sessions are ended, transactions rolled back). */
static eng_status local__pg_stop(local_ctx *c, eng_error *err)
{
    const char *argv[] = {"pg_ctl", "stop", "-D", c->paths.data_dir, "-m", "fast", "-w",
                          "-t", LOCAL__WAIT_SECONDS, "-s", NULL};
    int status = -1;
    eng_status rc = local__pg(&status, c, argv, err);

    if (rc < 0) {
        return rc;
    }
    return status == 0 ? ENG_OK : local__failed(err, c, "pg_ctl stop", status);
}

eng_status led_local_stop(int *out_was_running, eng_error *err)
{
    local_ctx c;
    led_local_state state = LED_LOCAL_NOT_INITIALISED;
    int lock_fd = -1;
    eng_status rc;

    rc = local__ctx_init(&c, 0, err);
    if (rc < 0 || !local__initialised(&c)) {
        goto done;
    }
    rc = local__bindir(&c, err);
    if (rc < 0) {
        goto done;
    }
    rc = local__lock(&lock_fd, &c, err);
    if (rc < 0) {
        goto done;
    }
    rc = local__state(&state, &c, err);
    if (rc == ENG_OK && state == LED_LOCAL_RUNNING) {
        rc = local__pg_stop(&c, err);
    }
    close(lock_fd);                     /* releases the lock */
done:
    if (rc == ENG_OK && out_was_running != NULL) {
        *out_was_running = state == LED_LOCAL_RUNNING;
    }
    return rc;
}

eng_status led_local_status(led_local_info *out, eng_error *err)
{
    local_ctx c;
    led_local_state state = LED_LOCAL_NOT_INITIALISED;
    eng_status rc;

    assert(out != NULL);
    rc = local__ctx_init(&c, 0, err);
    if (rc == ENG_OK && local__initialised(&c)) {
        rc = local__bindir(&c, err);    /* only a cluster needs pg_ctl to be asked */
    }
    if (rc < 0) {
        return rc;
    }
    rc = local__state(&state, &c, err);
    if (rc < 0) {
        return rc;
    }
    out->state = state;
    out->pid = state == LED_LOCAL_RUNNING ? local__pid(&c) : 0;
    out->paths = c.paths;
    return ENG_OK;
}
