#!/usr/bin/env bash
# Userspace bad input: each libFuzzer target of fuzz/ (client decoder;
# bridge netlink message -> datagram, decoded again by the client; the
# repair channel's request and answer parsers) for
# MCB_FUZZ_SECONDS (default 60) from the seeds in fuzz/corpus/.  Prints the
# executions reached; fails on any crash, sanitizer report or leak.
# `make fuzz` runs them longer.
set -uo pipefail
cd "$(dirname "$0")/../.."

secs=${MCB_FUZZ_SECONDS:-60}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
if ! command -v clang >/dev/null; then
	echo "FAIL clang missing (scripts/deps.sh installs it)"
	echo "fuzz: 0 passed, 1 failed"
	exit 1
fi
make -s -C fuzz run FUZZ_SECONDS="$secs" >"$out" 2>&1
rc=$?
sed 's/^fuzz \([a-z_]*\): \([0-9]\)/ok fuzz \1: \2/' "$out"
p=$(grep -c '^fuzz [a-z_]*: [0-9]' "$out")
f=$(grep -c 'FAILED' "$out")
[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
echo "fuzz: $p passed, $f failed"
[ "$rc" -eq 0 ] && [ "$f" -eq 0 ] && [ "$p" -eq "$(make -s --no-print-directory -C fuzz targets | wc -w)" ]
