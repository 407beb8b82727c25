#!/bin/sh
# The main job on the local database: start it (initialised on first use),
# load every policy in policies/, list them.
set -eu
cd "$(dirname "$0")/.."
rs=bin/riskshare
echo "== riskshare demo: local database" >&2
$rs db start
$rs db status
echo "== load every policy in policies/ (loading the same bytes again is a no-op)" >&2
$rs policy load policies/*.yaml
echo "== the stored programs" >&2
$rs policy list --format table
