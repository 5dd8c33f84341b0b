#!/usr/bin/env bash
# Reliability suite, in the test VM with the real module (one boot):
# module churn, bridge SIGKILL, overrun, slow consumer, soak; see
# tests/reliability/guest-reliability.sh.  Prints each check with its
# figures and a totals line.
#
#   MCB_SOAK_SECONDS  soak duration (default 600)
#   MCB_SOAK_RATE     soak events/s (default 2000)
#   MCB_REL_ITEMS     subset: churn kill overrun slow soak
set -uo pipefail
cd "$(dirname "$0")/../.."

make -s all >/dev/null && make -s -C tests/reliability >/dev/null || {
	echo "FAIL build"
	echo "reliability: 0 passed, 1 failed"
	exit 1
}
soak=${MCB_SOAK_SECONDS:-600}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
tests/vm/vm-run --quiet --mem 4096 --timeout $((900 + soak)) -- \
	env MCB_SOAK_SECONDS="$soak" MCB_SOAK_RATE="${MCB_SOAK_RATE:-2000}" \
	MCB_REL_ITEMS="${MCB_REL_ITEMS:-churn kill overrun slow soak}" \
	${MCB_CHURN_CYCLES:+MCB_CHURN_CYCLES=$MCB_CHURN_CYCLES} \
	${MCB_KILL_CYCLES:+MCB_KILL_CYCLES=$MCB_KILL_CYCLES} \
	${MCB_OVERRUN_BURST:+MCB_OVERRUN_BURST=$MCB_OVERRUN_BURST} \
	bash tests/reliability/guest-reliability.sh | tee "$out"
rc=${PIPESTATUS[0]}
p=$(grep -c '^ok ' "$out")
f=$(grep -c '^FAIL ' "$out")
if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
	echo "FAIL VM run exited with $rc"
	f=$((f + 1))
fi
echo "reliability: $p passed, $f failed"
[ "$rc" -eq 0 ] && [ "$f" -eq 0 ] && [ "$p" -gt 0 ]
