#!/bin/sh
# bench/audit.sh -- the audit benchmark of issue 5 (run by `make bench`).
#
# On a private local cluster of its own (fsync on, as a user runs it), for the 郑科贷 2025
# plan (policies/zz-kejidai-2025.yaml):
#   1. generates BENCH_AUDIT_LOANS loans (default 1,000,000) and submits them;
#   2. generates BENCH_AUDIT_DEFAULTS (default 100,000) defaults on admitted loans, with
#      one funding row and recoveries of a tenth of the defaulted loans (`gen events`),
#      and imports them;
#   3. times, each with its peak memory:
#        audit balances --program P            target <= 2 s
#        audit verify --program P              target <= 60 s
#        audit export --program P --format ledger > FILE
#        ledger -f FILE bal                    (ledger-cli recomputing every balance)
#      and prints the ratio (export + ledger bal) / audit balances: what an auditor's
#      independent recomputation costs against the ledger's own;
# then a table against the targets, PASS or MISS.  It exits 0 when every command ran: a
# MISS is a figure to report, not a broken build.  A command that is not built yet is
# reported as such.  The balances that ledger-cli prints are compared with those of
# `audit balances` (they must be equal: the export is exact).
set -eu
cd "$(dirname "$0")/.."
loans=${BENCH_AUDIT_LOANS:-1000000}
defaults=${BENCH_AUDIT_DEFAULTS:-100000}
rs=${RISKSHARE_BIN:-$PWD/bin/riskshare}
[ -x "$rs" ] || { echo "audit.sh: build bin/riskshare first (make)" >&2; exit 2; }
command -v ledger >/dev/null 2>&1 || { echo "audit.sh: ledger (ledger-cli) is not installed (make deps)" >&2; exit 2; }
policy=policies/zz-kejidai-2025.yaml
program=zz-kejidai
pool=zz-pool
tmp=$(mktemp -d "${TMPDIR:-/tmp}/riskshare-bench.XXXXXX")
export RISKSHARE_HOME="$tmp/home"
cleanup() {
    "$rs" db stop >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# Runs one command under /usr/bin/time, stdout to $out (default $tmp/out); prints
# "SECONDS KIB", or "FAIL" when the command failed (its stderr in $tmp/err).
measure() {
    if /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" >"${out:-$tmp/out}" 2>"$tmp/err"; then
        cat "$tmp/time"
    else
        echo FAIL
    fi
}
# PASS when $1 <= $2 (seconds), else MISS.
verdict() { awk -v s="$1" -v t="$2" 'BEGIN { print (s <= t ? "PASS" : "MISS") }'; }
row() { printf '  %-44s %9s %8s %10s  %s\n' "$@"; }

echo "audit benchmark: $loans loans, $defaults defaults ($(nproc) CPUs)"
"$rs" db start >/dev/null 2>&1
"$rs" policy load --quiet "$policy"
"$rs" gen loans --count "$loans" --seed 5 --policy "$policy" >"$tmp/loans.csv"
start=$(date +%s)
"$rs" batch submit --quiet --program "$program" --agency zzbank "$tmp/loans.csv" \
    >"$tmp/report.csv"
admitted=$(grep -c ',admitted,' "$tmp/report.csv" || true)
echo "  batch submit: $admitted of $loans loans admitted in $(($(date +%s) - start)) s"
if [ "$admitted" -lt "$defaults" ]; then
    echo "audit.sh: only $admitted loans admitted for $defaults defaults:" \
        "raise BENCH_AUDIT_LOANS" >&2
    exit 1
fi
"$rs" gen events --loans "$tmp/loans.csv" --admitted "$tmp/report.csv" --seed 5 \
    --default-rate "$defaults/$admitted" --repay-rate 0 --recovery-rate 10% \
    --funding 100000000 --pool "$pool" --to 2030-12-31 >"$tmp/events.csv"
rm -f "$tmp/loans.csv"
start=$(date +%s)
"$rs" events import --quiet --program "$program" "$tmp/events.csv" >/dev/null
echo "  events import: $(($(wc -l <"$tmp/events.csv") - 1)) rows in $(($(date +%s) - start)) s"
url=$("$rs" db url)
echo "  recorded: $(psql "$url" -Atc "SELECT count(*) || ' entries, ' || (SELECT count(*)
    FROM postings) || ' postings, ' || (SELECT count(*) FROM defaults) || ' defaults'
    FROM entries")"

set -- $(measure "$rs" audit balances --quiet --format csv --program "$program")
[ "$1" != FAIL ] || { echo "audit.sh: audit balances failed:" >&2; cat "$tmp/err" >&2; exit 1; }
bal_s=$1 bal_m=$(($2 / 1024))
tail -n +2 "$tmp/out" | awk -F, '{ print $1, $4 }' | LC_ALL=C sort >"$tmp/want"

set -- $(measure "$rs" audit verify --quiet --program "$program")
if [ "$1" = FAIL ]; then
    ver_s=- ver_m=- ver_r="$(head -1 "$tmp/err" | cut -c1-60)"
else
    ver_s=$1 ver_m=$(($2 / 1024)) ver_r=$(verdict "$1" 60)
fi

set -- $(out="$tmp/export.ledger" measure "$rs" audit export --quiet --program "$program" \
    --format ledger)
[ "$1" != FAIL ] || { echo "audit.sh: audit export failed:" >&2; cat "$tmp/err" >&2; exit 1; }
exp_s=$1 exp_m=$(($2 / 1024))
size=$(($(wc -c <"$tmp/export.ledger") / 1048576))

set -- $(measure ledger -f "$tmp/export.ledger" bal --flat --no-total --empty \
    --balance-format '%(account)  %(display_total)\n')
[ "$1" != FAIL ] || { echo "audit.sh: ledger bal failed:" >&2; cat "$tmp/err" >&2; exit 1; }
led_s=$1 led_m=$(($2 / 1024))
awk '{ a = $2; if (a == "0") a = "0.00"; print $1, a }' "$tmp/out" | LC_ALL=C sort >"$tmp/got"
if cmp -s "$tmp/want" "$tmp/got"; then
    same="equal ($(wc -l <"$tmp/got") accounts)"
else
    same="DIFFERENT"
fi

row step seconds target 'peak MiB' result
row "audit balances" "$bal_s" 2 "$bal_m" "$(verdict "$bal_s" 2)"
row "audit verify" "$ver_s" 60 "$ver_m" "$ver_r"
row "audit export --format ledger ($size MiB)" "$exp_s" - "$exp_m" ""
row "ledger -f FILE bal" "$led_s" - "$led_m" ""
awk -v e="$exp_s" -v l="$led_s" -v b="$bal_s" 'BEGIN {
    printf "  (export + ledger bal) / audit balances = (%s + %s) / %s = %.1f\n", e, l, b,
        (b > 0 ? (e + l) / b : 0) }'
echo "  ledger-cli balances vs audit balances: $same"
[ "$same" != DIFFERENT ] || exit 1
