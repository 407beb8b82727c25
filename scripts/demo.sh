#!/bin/sh
# The main job on the local database: start it (initialised on first use), load every
# policy in policies/, list them, then submit a generated batch of 10,000 loans to
# 郑科贷 2025 and print its summary.  Running it again changes nothing: the policies and
# the batch are the same bytes, so both are reported as already recorded.
set -eu
cd "$(dirname "$0")/.."
rs=bin/riskshare
work=$(mktemp -d "${TMPDIR:-/tmp}/riskshare-demo.XXXXXX")
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
