#!/bin/sh
# Installs the Debian packages riskshare needs, when any is missing.
# As root it runs apt-get; otherwise it prints the exact command to run.
set -eu

PKGS="pkg-config gcc make libgmp-dev libyaml-dev libpq-dev postgresql libcriterion-dev
libmpfr-dev libcsv-dev libjansson-dev libssl-dev libxlsxwriter-dev libgsl-dev ledger hledger time"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

cmd="apt-get -o DPkg::Lock::Timeout=120 install -y --no-install-recommends$missing"
if [ "$(id -u)" -ne 0 ]; then
    echo "riskshare needs these Debian packages:$missing" >&2
    echo "run as root:  apt-get update && $cmd" >&2
    exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=120 update -qq
$cmd
