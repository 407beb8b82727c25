#!/bin/sh
# run.sh [SECONDS] -- builds the libFuzzer targets with clang into build-fuzz/ and runs each
# for SECONDS (default 60) on a copy of its seed corpus; see fuzz/README.md.
#
# Prints, per target, the executions per second, the coverage of libFuzzer's last status
# line and whether it found anything (crash-*, leak-*, timeout-*, oom-* files, kept under
# build-fuzz/<target>/artifacts/).  Exits 1 when any target found something or failed to
# build or run, 0 otherwise.  fuzz/corpus/ is only read: each run works on
# build-fuzz/corpus/<target>/, which keeps what earlier runs learned.
#
# Environment: CLANG (default clang), FUZZ_TARGETS (default: all five), FUZZ_TIMEOUT
# (seconds one input may take, default 20), FUZZ_JOBS (parallel compiles, default nproc),
# FUZZ_EXTRA_CFLAGS (added to every compile, e.g. -fno-sanitize=pointer-overflow to look
# past a known finding while it is being fixed; never in a run whose figures count).
set -eu

FUZZ_SECONDS=${1:-60}
case $FUZZ_SECONDS in
    '' | *[!0-9]*) echo "run.sh: SECONDS must be a whole number, not \"$FUZZ_SECONDS\"" >&2; exit 2 ;;
esac
CLANG=${CLANG:-clang}
FUZZ_TARGETS=${FUZZ_TARGETS:-policy fund loans events decimal}
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-20}
FUZZ_JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}

ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
cd "$ROOT"
OUT=build-fuzz

# shellcheck disable=SC2086 # the flag and package lists split on purpose, as in make
# The Makefile's flags: the same -D, -iquote and pkg-config packages, clang's sanitizers.
PKGS="gmp mpfr yaml-0.1 libpq libcrypto jansson xlsxwriter gsl"
PKG_CFLAGS=$(pkg-config --cflags $PKGS 2>/dev/null || true)
PKG_LIBS=$(pkg-config --libs $PKGS 2>/dev/null ||
    echo -lgmp -lmpfr -lyaml -lpq -lcrypto -ljansson -lxlsxwriter -lgsl -lgslcblas)
CPPFLAGS="-D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -iquote engine -iquote policies
    -iquote ledger -iquote cli -iquote $OUT/gen"
# ledger/verify_store.h uses ENG_ID_MAX without including "limits.h"; under gcc the
# system <limits.h> chain happens to pull engine/limits.h in through -iquote, under clang
# it does not.  Until that header includes what it uses, every source gets it first.
CPPFLAGS="$CPPFLAGS -include engine/limits.h"
# -Werror is left out: clang warns about things gcc, the project's compiler, does not.
WARN="-std=c11 -Wall -Wextra -Wshadow -Wvla"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
FUZZ_CFLAGS="-g -O1 -fno-omit-frame-pointer"
# Last on the line, so they can turn off what -fsanitize=undefined turned on.
EXTRA=${FUZZ_EXTRA_CFLAGS:-}

die() {
    echo "run.sh: $*" >&2
    exit 1
}

command -v "$CLANG" >/dev/null 2>&1 || die "$CLANG not found (libFuzzer needs clang)"
mkdir -p "$OUT/obj" "$OUT/gen"

# ---- build ---------------------------------------------------------------------------------

# The SQL migrations are compiled in, as the Makefile does (ledger/ refers to them).
sh ledger/embed-sql.sh ledger/migrations/*.sql > "$OUT/gen/migrations.c.tmp"
mv "$OUT/gen/migrations.c.tmp" "$OUT/gen/migrations.c"

# Every library source except cli/main.c; objects are rebuilt each run (a few seconds) so
# a changed header can never leave a stale object behind.
SRCS=$(ls engine/*.c policies/*.c ledger/*.c cli/*.c | grep -v '^cli/main\.c$')
echo "run.sh: compiling $(echo "$SRCS" | wc -l) sources with $CLANG into $OUT/obj"
export CLANG CPPFLAGS WARN SAN FUZZ_CFLAGS PKG_CFLAGS OUT EXTRA
printf '%s\n' $SRCS "$OUT/gen/migrations.c" | xargs -P "$FUZZ_JOBS" -I{} sh -c '
    src={}
    obj=$OUT/obj/$(echo "$src" | sed "s|^$OUT/||; s|/|__|g; s|\.c$|.o|")
    $CLANG $CPPFLAGS $WARN $FUZZ_CFLAGS $SAN -fsanitize=fuzzer-no-link $PKG_CFLAGS $EXTRA \
        -c -o "$obj" "$src" || { echo "run.sh: cannot compile $src" >&2; exit 255; }
' || die "compiling the sources failed"

for t in $FUZZ_TARGETS; do
    [ -f "fuzz/fuzz_$t.c" ] || die "no target fuzz/fuzz_$t.c"
    echo "run.sh: linking $OUT/fuzz_$t"
    # shellcheck disable=SC2086 # the flag lists split on purpose
    $CLANG $CPPFLAGS -D_GNU_SOURCE -iquote fuzz $WARN $FUZZ_CFLAGS $SAN -fsanitize=fuzzer \
        $PKG_CFLAGS $EXTRA -o "$OUT/fuzz_$t" "fuzz/fuzz_$t.c" "$OUT"/obj/*.o \
        -lcsv $PKG_LIBS -lm -lpthread || die "cannot build fuzz_$t"
done

# ---- run -----------------------------------------------------------------------------------

found=0
summary=""
for t in $FUZZ_TARGETS; do
    work=$OUT/corpus/$t
    art=$OUT/$t/artifacts
    log=$OUT/$t/fuzz.log
    mkdir -p "$work" "$art"
    rm -f "$art"/crash-* "$art"/leak-* "$art"/timeout-* "$art"/oom-* "$art"/slow-unit-*
    # The seeds are copied in; what earlier runs added to the copy stays.
    cp fuzz/corpus/"$t"/* "$work"/
    echo "run.sh: fuzzing $t for $FUZZ_SECONDS s (log $log)"
    status=0
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        "./$OUT/fuzz_$t" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 \
        -timeout="$FUZZ_TIMEOUT" -print_final_stats=1 -artifact_prefix="$art/" \
        "$work" > "$log" 2>&1 || status=$?
    # libFuzzer's last status line: `#N DONE cov: C ft: F corp: ... exec/s: E rss: R`.
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
    cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    execs=$(echo "$last" | sed -n 's/.* exec\/s: \([0-9]*\).*/\1/p')
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    hits=$(ls "$art" | grep -E '^(crash|leak|timeout|oom)-' || true)
    if [ -n "$hits" ]; then
        verdict="FOUND: $(echo "$hits" | sed "s|^|$art/|" | tr '\n' ' ')"
        found=1
    elif [ "$status" -ne 0 ]; then
        verdict="FAILED (exit $status, see $log)"
        found=1
    else
        verdict="nothing found"
    fi
    line=$(printf '%-8s exec/s %-7s cov %-6s ft %-7s runs %-10s %s' \
        "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${runs:-?}" "$verdict")
    echo "run.sh: $line"
    summary="$summary$line
"
done

echo "run.sh: summary ($FUZZ_SECONDS s per target)"
printf '%s' "$summary"
exit "$found"
