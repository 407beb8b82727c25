#!/bin/sh
# scripts/demo-fund.sh [OUTDIR] -- the fund part of the demo (called by scripts/demo.sh).
#
# Models the Zhengzhou industry parent fund under its 2022 measures
# (policies/funds/zhengzhou-industry-fund.yaml), prints the model as tables, and writes
# its J-curve chart and workbook into OUTDIR (default ./demo-out):
#   OUTDIR/zhengzhou-fund.svg    the parent's J-curve (calls, distributions, cumulative
#                                net cash flow, NAV)
#   OUTDIR/zhengzhou-fund.xlsx   every table, with native Excel charts of the J-curve
# RISKSHARE_BIN overrides the binary (default bin/riskshare).  Needs no database.
set -eu
cd "$(dirname "$0")/.."
rs=${RISKSHARE_BIN:-bin/riskshare}
out=${1:-demo-out}
fund=policies/funds/zhengzhou-industry-fund.yaml
mkdir -p "$out"

echo "== the Zhengzhou industry fund (郑州市产业发展基金, 2022 measures): $fund" >&2
"$rs" fund model "$fund" --format table --svg "$out/zhengzhou-fund.svg" \
    --xlsx "$out/zhengzhou-fund.xlsx"
echo "== sensitivity of the parent's IRR and TVPI to the sub-funds' growth and bow" >&2
"$rs" fund model "$fund" --format table --table grid \
    --grid growth=0.06,0.08,0.10,0.12,0.14 bow=1.5,2,3
echo "== wrote $out/zhengzhou-fund.svg and $out/zhengzhou-fund.xlsx" >&2
