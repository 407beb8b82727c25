#!/bin/sh
# bench/settlement.sh -- the settlement benchmark of issue 4 (run by `make bench`).
#
# On a private local cluster of its own (fsync on, as a user runs it), for the 郑科贷 2025
# plan (policies/zz-kejidai-2025.yaml: no caps, pro_rata shortfall):
#   1. generates BENCH_LOANS loans (default 1.5 x BENCH_DEFAULTS) and submits them;
#   2. generates BENCH_DEFAULTS (default 100,000) default events on admitted loans, after
#      one funding row that covers a tenth of the pool's claims, so the settlement is
#      short and splits pro rata over every claim (`gen events`);
#   3. times `events import` of those events, then `settle --through` as a preview and
#      with --commit over the open claims, each with its peak memory;
# and prints a table against the targets of issue 4 (import <= 30 s, preview <= 5 s,
# commit <= 20 s), PASS or MISS.  It always exits 0 when every command ran: a MISS is a
# figure to report, not a broken build.
set -eu
cd "$(dirname "$0")/.."
defaults=${BENCH_DEFAULTS:-100000}
loans=${BENCH_LOANS:-$((defaults * 3 / 2))}
rs=${RISKSHARE_BIN:-$PWD/bin/riskshare}
[ -x "$rs" ] || { echo "settlement.sh: build bin/riskshare first (make)" >&2; exit 2; }
policy=policies/zz-kejidai-2025.yaml
program=zz-kejidai
pool=zz-pool
through=2031-12-31
tmp=$(mktemp -d "${TMPDIR:-/tmp}/riskshare-bench.XXXXXX")
export RISKSHARE_HOME="$tmp/home"
cleanup() {
    "$rs" db stop >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# Runs one command under /usr/bin/time; prints "SECONDS KIB".
measure() {
    /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err" ||
        { echo "settlement.sh: failed: $*" >&2; cat "$tmp/err" >&2; exit 1; }
    cat "$tmp/time"
}
# PASS when $1 <= $2 (seconds), else MISS.
verdict() { awk -v s="$1" -v t="$2" 'BEGIN { print (s <= t ? "PASS" : "MISS") }'; }

echo "settlement benchmark: $loans loans, $defaults defaults ($(nproc) CPUs)"
"$rs" db start >/dev/null 2>&1
"$rs" policy load --quiet "$policy"
"$rs" gen loans --count "$loans" --seed 4 --policy "$policy" >"$tmp/loans.csv"
"$rs" batch submit --quiet --program "$program" --agency zzbank "$tmp/loans.csv" \
    >"$tmp/report.csv"
admitted=$(grep -c ',admitted,' "$tmp/report.csv" || true)
if [ "$admitted" -lt "$defaults" ]; then
    echo "settlement.sh: only $admitted loans admitted for $defaults defaults:" \
        "raise BENCH_LOANS" >&2
    exit 1
fi
# About a tenth of the pool's claims: the pool bears 50% of a direct loan and 20% of a
# guaranteed one (a third are direct), 35% on average of the mean admitted principal.
funding=$(awk -F, -v d="$defaults" '
    NR == FNR { if (FNR > 1 && $2 == "admitted") ok[$1] = 1; next }
    FNR > 1 && ($1 in ok) { sum += $10; n++ }
    END { printf "%.0f", (n > 0 ? sum / n : 0) * d * 0.35 / 10 }' \
    "$tmp/report.csv" "$tmp/loans.csv")
"$rs" gen events --loans "$tmp/loans.csv" --admitted "$tmp/report.csv" --seed 4 \
    --default-rate "$defaults/$admitted" --repay-rate 0 --recovery-rate 0 \
    --funding "$funding" --pool "$pool" --to 2030-12-31 >"$tmp/events.csv"
rows=$(($(wc -l <"$tmp/events.csv") - 1))
echo "  admitted $admitted loans; events file: $rows rows (1 funding of $funding," \
    "$((rows - 1)) defaults), $(wc -c <"$tmp/events.csv") bytes"

set -- $(measure "$rs" events import --quiet --program "$program" "$tmp/events.csv")
imp_s=$1 imp_m=$(($2 / 1024))
url=$("$rs" db url)
claims=$(psql "$url" -Atc "SELECT count(*) FROM claims_open WHERE program = '$program'
    AND open > 0 AND claim_date <= '$through'")
set -- $(measure "$rs" settle --quiet --program "$program" --through "$through")
pre_s=$1 pre_m=$(($2 / 1024))
listed=$(($(wc -l <"$tmp/out") - 1))
set -- $(measure "$rs" settle --quiet --program "$program" --through "$through" --commit)
com_s=$1 com_m=$(($2 / 1024))
paid=$(psql "$url" -Atc "SELECT count(*) || ' payments, ' || count(*) FILTER (WHERE paid > 0)
    || ' paid in part or whole, ' || sum(paid) || ' paid in all' FROM settlement_payments
    WHERE program = '$program'")

echo "  open claims settled: $claims ($listed statement rows); recorded: $paid"
printf '  %-30s %9s %9s %10s %s\n' step seconds target 'peak MiB' result
printf '  %-30s %9s %9s %10s %s\n' "events import ($((rows - 1)) defaults)" "$imp_s" 30 \
    "$imp_m" "$(verdict "$imp_s" 30)"
printf '  %-30s %9s %9s %10s %s\n' "settle preview" "$pre_s" 5 "$pre_m" "$(verdict "$pre_s" 5)"
printf '  %-30s %9s %9s %10s %s\n' "settle --commit" "$com_s" 20 "$com_m" \
    "$(verdict "$com_s" 20)"
