#!/bin/sh
# bench/fund.sh -- the fund model benchmark of issue 6 (run by `make bench`).
#
# Generates a deterministic fund file of 50 sub-funds over a 15-year horizon (every kind,
# lives of 10 to 15 years, staggered first years, bows of 1.5 to 3 -- half of them not
# whole, so half the sub-funds run in 256-bit floating point --, European and American
# waterfalls, capped-return and buyout concessions, 返投 investments), then times
#   fund model FILE --format json                        one model run
#   fund model FILE --grid growth=10 values bow=10 values   a 10 x 10 sensitivity grid
# with /usr/bin/time, printing seconds and peak memory against the target (<= 2 s for
# the grid).  RISKSHARE_BIN overrides the binary (default bin/riskshare).
set -eu
cd "$(dirname "$0")/.."
rs=${RISKSHARE_BIN:-$PWD/bin/riskshare}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/riskshare-fund-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# The fund file: every figure derived from the sub-fund's number, so every run is the same.
awk 'BEGIN {
    print "fund: bench-50"
    print "currency: CNY"
    print "start_year: 2025"
    print "parent:"
    print "  name: Benchmark parent fund"
    print "  commitments: {fiscal: \"20000\", soe: \"12000\", private: \"18000\"}"
    print "reinvestment_weights: {registered: \"1\", relocated: \"1.5\", local_entity: \"1\"}"
    print "limits: {state_share_max: \"80%\"}"
    print "subfunds:"
    split("angel vc industry other", kinds, " ")
    split("1.5 2 2.5 3", bows, " ")
    for (i = 1; i <= 50; i++) {
        life = 10 + i % 6
        first = 1 + i % (16 - life)
        parent = 100 + (i * 37) % 400
        other = (i % 3) * 50
        private = parent * (1 + i % 4)
        printf "  - id: sf-%02d\n", i
        printf "    kind: %s\n", kinds[1 + i % 4]
        printf "    commitments: {parent: \"%d\", other_state: \"%d\", private: \"%d\"}\n",
            parent, other, private
        printf "    participation_cap: \"%d%%\"\n", (i % 4 < 2) ? 50 : 30
        printf "    reinvestment:\n      multiple: \"1\"\n      investments:\n"
        printf "        - {amount: \"%d\", tag: registered}\n", parent * 7 / 10
        printf "        - {amount: \"%d\", tag: relocated}\n", parent / 5
        printf "        - {amount: \"%d\", tag: local_entity}\n", parent / 10
        printf "    first_year: %d\n", first
        calls = (i % 2) ? "[\"1/4\", \"1/3\", \"1/2\", \"1\"]" \
                        : "[\"1/5\", \"1/4\", \"1/3\", \"1/2\", \"1\"]"
        printf "    projection: {calls: %s, life: %d, bow: \"%s\",", calls, life, bows[1 + i % 4]
        printf " growth: \"%d%%\", yield: \"0\"}\n", 4 + i % 12
        printf "    waterfall: {style: %s, pref: \"%d%%\", catch_up: \"100%%\", carry: \"20%%\"}\n",
            (i % 3 == 0) ? "american" : "european", 6 + i % 3
        if (i % 5 == 0)
            print "    concession: {kind: capped_return, rate: \"3%\", ceded: \"100%\"}"
        else if (i % 7 == 0)
            printf "    concession: {kind: buyout, year: %d, rate: \"3.65%%\"}\n", first + 4
    }
}' >"$tmp/fund.yaml"

# Elapsed seconds, peak KiB and user CPU seconds of one command: "SECONDS KIB USER".
# (Elapsed is the target; user CPU tells what a loaded machine added to it.)
measure() {
    /usr/bin/time -f "%e %M %U" -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err" ||
        { cat "$tmp/err" >&2; exit 1; }
    cat "$tmp/time"
}

echo "fund model benchmark: 50 sub-funds, 15 years ($(nproc) CPUs)"
set -- $(measure "$rs" fund model "$tmp/fund.yaml" --format json)
echo "  one model run:  $1 s (user $3 s)  peak $(($2 / 1024)) MiB  ($(wc -c <"$tmp/out") bytes of json)"
set -- $(measure "$rs" fund model "$tmp/fund.yaml" --format csv \
    --grid growth=0.02,0.04,0.06,0.08,0.10,0.12,0.14,0.16,0.18,0.20 \
    bow=1,1.5,2,2.5,3,3.5,4,4.5,5,5.5)
cells=$(($(wc -l <"$tmp/out") - 1))
awk -v s="$1" -v k="$2" -v u="$3" -v c="$cells" 'BEGIN {
    printf "  10 x 10 grid:   %s s (user %s s)  peak %d MiB  (%d cells)  target <= 2 s: %s\n",
        s, u, k / 1024, c, (s <= 2 ? "met" : "NOT MET")
}'
