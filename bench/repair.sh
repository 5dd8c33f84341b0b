#!/usr/bin/env bash
# make bench, repair part (bench/repair.py): the history's and the repair
# channel's costs and what they buy a slow listener, measured natively on
# this host in a private network namespace, as root.
#
#   bench/repair.sh [--quick] [--out DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "bench: run as root" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "bench: valgrind missing: run scripts/deps.sh" >&2; exit 1; }
make -s -C bridge all
make -s -C client all
make -s -C nats emit
make -s -C bench
exec unshare -n python3 bench/repair.py "$@"
