#!/bin/sh
# tests/run.sh BINARY [CRITERION-ARGS...] -- runs the Criterion test binary against a
# throwaway PostgreSQL server.
#
# Makes a temporary folder, initialises a cluster in it (as the `postgres` user when run
# as root: initdb refuses root), starts it on a unix socket in that folder (no TCP, no
# durability: fsync off), exports
#   RISKSHARE_TEST_DB   its connection string (tests make one fresh database each,
#                       tests/pg_harness.h, so Criterion's parallel workers never meet)
#   RISKSHARE_BIN       the riskshare binary for CLI tests (default bin/riskshare), absolute
#   RISKSHARE_HOME      a folder inside the temporary one, so nothing touches the user's
#                       own local database
# runs BINARY with the extra arguments (default --jobs: the number of CPUs, at least 2;
# RISKSHARE_TEST_JOBS overrides), and always stops the server and removes the folder.
# Fails when the binary fails, or when its output holds `ERROR: LeakSanitizer` or
# `runtime error:` (a leak or UBSan report does not fail a Criterion test by itself).
# RISKSHARE_VALGRIND=1 runs the binary under valgrind (memcheck, leaks, children).
set -eu

if [ "$#" -lt 1 ]; then
    echo "usage: sh tests/run.sh BINARY [CRITERION-ARGS...]" >&2
    exit 2
fi
bin=$1
shift
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
[ -x "$bin" ] || { echo "run.sh: $bin is not an executable test binary" >&2; exit 2; }

pgbin=$(pg_config --bindir 2>/dev/null || true)
[ -x "$pgbin/initdb" ] || pgbin=/usr/lib/postgresql/15/bin
if [ ! -x "$pgbin/initdb" ]; then
    echo "run.sh: no PostgreSQL server programs (install postgresql-15)" >&2
    exit 69
fi

# Milliseconds since the epoch (GNU date; whole seconds elsewhere).
now_ms() {
    t=$(date +%s%N 2>/dev/null)
    case $t in *N | '') echo $(($(date +%s) * 1000)) ;; *) echo $((t / 1000000)) ;; esac
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/riskshare-test.XXXXXX")
data=$tmp/data
log=$tmp/test.log

# Runs a server program as the server user (postgres when we are root).
as_server() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# Stops the test server and any local cluster a test started under $tmp, then removes it all.
cleanup() {
    for d in "$data" "$tmp"/home*/pgdata; do
        if [ -f "$d/postmaster.pid" ]; then
            (cd "$tmp" && as_server "$pgbin/pg_ctl" -D "$d" -m immediate -s stop) \
                >/dev/null 2>&1 || true
        fi
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$tmp"
fi
chmod 700 "$tmp"
socket="$tmp/.s.PGSQL.5432"
if [ "${#socket}" -gt 107 ]; then
    echo "run.sh: $tmp is too deep for a unix socket; set TMPDIR to a shorter folder" >&2
    exit 69
fi

t0=$(now_ms)
(cd "$tmp" && as_server "$pgbin/initdb" -D "$data" --no-sync -A trust -E UTF8 \
    --locale=C.UTF-8 -U riskshare) >"$tmp/initdb.log" 2>&1 ||
    { cat "$tmp/initdb.log" >&2; exit 69; }
t1=$(now_ms)
# Throwaway: no durability.  The socket lives in $tmp, so port 5432 clashes with nothing.
opts="-c listen_addresses='' -c unix_socket_directories='$tmp' -c port=5432"
opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
opts="$opts -c max_connections=200"
(cd "$tmp" && as_server "$pgbin/pg_ctl" -D "$data" -l "$tmp/server.log" -w -s -o "$opts" start) ||
    { cat "$tmp/server.log" >&2; exit 69; }
t2=$(now_ms)

export RISKSHARE_TEST_DB="host=$tmp port=5432 dbname=postgres user=riskshare"
RISKSHARE_BIN=${RISKSHARE_BIN:-bin/riskshare}
case $RISKSHARE_BIN in /*) ;; *) RISKSHARE_BIN=$PWD/$RISKSHARE_BIN ;; esac
export RISKSHARE_BIN
export RISKSHARE_HOME="$tmp/home"
# Scratch files of the tests (removed with everything else at exit).
mkdir -p "$tmp/scratch"
chmod 777 "$tmp/scratch"
export RISKSHARE_TEST_TMP="$tmp/scratch"
# Tests choose their servers themselves: nothing from the caller's environment leaks in.
unset RISKSHARE_DB PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGPASSWORD PGPASSFILE \
    PGSERVICE PGSERVICEFILE 2>/dev/null || true

jobs=${RISKSHARE_TEST_JOBS:-$(nproc 2>/dev/null || echo 2)}
[ "$jobs" -ge 2 ] || jobs=2

if [ "${RISKSHARE_VALGRIND:-0}" = 1 ]; then
    # Under valgrind Criterion picks its own job count (one), and says so if we do.
    # Trace Criterion's workers, not the PostgreSQL programs the ledger tests run.
    set -- valgrind --quiet --vgdb=no --trace-children=yes \
        --trace-children-skip='/usr/*,/bin/*,/sbin/*' --leak-check=full \
        --show-leak-kinds=definite --errors-for-leak-kinds=definite --error-exitcode=99 \
        "$bin" "$@"
else
    set -- "$bin" "--jobs=$jobs" "$@"
fi

rc_file=$tmp/rc
t3=$(now_ms)
{ status=0; "$@" 2>&1 || status=$?; echo "$status" >"$rc_file"; } | tee "$log"
t4=$(now_ms)
rc=$(cat "$rc_file")

fail=0
if [ "$rc" -ne 0 ]; then
    echo "run.sh: the test binary exited $rc" >&2
    fail=1
fi
if grep -q 'ERROR: LeakSanitizer' "$log"; then
    echo "run.sh: LeakSanitizer reported a leak" >&2
    fail=1
fi
if grep -q 'runtime error:' "$log"; then
    echo "run.sh: UndefinedBehaviorSanitizer reported a runtime error" >&2
    fail=1
fi
if [ "$fail" -ne 0 ] && [ -s "$tmp/server.log" ]; then
    echo "run.sh: the last lines of the test server's log:" >&2
    tail -n 20 "$tmp/server.log" >&2
fi

synthesis=$(grep 'Synthesis:' "$log" | tail -n 1 || true)
echo "run.sh: initdb $((t1 - t0)) ms, server start $((t2 - t1)) ms, tests $((t4 - t3)) ms" >&2
echo "run.sh: ${synthesis:-no Synthesis line (did the binary run?)}" >&2
exit "$fail"
