#!/bin/sh
# The main job on the local database: start it (initialised on first use), load every
# policy in policies/, list them, submit a generated batch of 10,000 loans to 郑科贷 2025
# and print its summary; then a year of the program's life (funding of the pool,
# repayments, defaults with their 代偿 and pool claims, recoveries), four quarterly
# settlements with an Excel statement, the Zhengzhou industry fund model (SVG and
# workbook), and the auditor's checks.  Files go to ./demo-out.  Running it again changes
# nothing in the ledger: the policies, the batch and the events are the same bytes and
# ids, so they are reported as already recorded, and the settlements as already made.
set -eu
cd "$(dirname "$0")/.."
rs=bin/riskshare
work=$(mktemp -d "${TMPDIR:-/tmp}/riskshare-demo.XXXXXX")
out=demo-out
mkdir -p "$out"
trap 'rm -rf "$work"' EXIT

echo "== riskshare demo: local database" >&2
$rs db start
$rs db status
echo "== load every policy in policies/ (loading the same bytes again is a no-op)" >&2
$rs policy load policies/*.yaml
echo "== the stored programs" >&2
$rs policy list --format table
echo "== 10,000 generated loans for 郑科贷 2025 from 郑州市中小企业融资担保" >&2
$rs gen loans --count 10000 --seed 2025 --policy policies/zz-kejidai-2025.yaml \
    --agency zz-guarantee >"$work/loans.csv"
$rs batch submit --program zz-kejidai --agency zz-guarantee "$work/loans.csv" >"$work/report.csv"
echo "== the first rows of the report (all rows: csv on stdout of batch submit)" >&2
head -6 "$work/report.csv" | column -s, -t 2>/dev/null || head -6 "$work/report.csv"
echo "== rejections by reason" >&2
awk -F, 'NR > 1 && $2 == "rejected" { n[$3]++ } END { for (r in n) printf "  %-40s %d\n", r, n[r] }' \
    "$work/report.csv" | sort

echo "== a year of 郑科贷: funding, repayments, defaults, recoveries (2025-04-01 to 2026-03-31)" >&2
$rs gen events --loans "$work/loans.csv" --admitted "$work/report.csv" --seed 2025 \
    --funding 200000000 --pool zz-pool --from 2025-04-01 --to 2026-03-31 \
    --default-rate 4% --repay-rate 40% --recovery-rate 50% >"$work/events.csv"
$rs events import --program zz-kejidai "$work/events.csv" >"$work/events-report.csv"
echo "== events by kind (rows of the report: one per event and party)" >&2
awk -F, 'NR > 1 { n[$2]++ } END { for (k in n) printf "  %-10s %d\n", k, n[k] }' \
    "$work/events-report.csv" | sort

echo "== four quarterly settlements of the pool's claims" >&2
for q in 2025Q2 2025Q3 2025Q4 2026Q1; do
    xlsx=""
    [ "$q" = 2026Q1 ] && xlsx="--xlsx $out/zz-kejidai-2026Q1.xlsx"
    # A settlement already made (a second run of the demo) is refused with exit 65.
    $rs settle --program zz-kejidai --period "$q" --commit $xlsx >"$work/settle-$q.csv" ||
        echo "   ($q was settled by an earlier run)" >&2
done
echo "== wrote $out/zz-kejidai-2026Q1.xlsx (a sheet per pool, a summary per payee)" >&2

sh scripts/demo-fund.sh "$out"

echo "== the auditor: integrity of the whole ledger, then the program's balances" >&2
$rs audit verify
$rs audit balances --program zz-kejidai --format table

