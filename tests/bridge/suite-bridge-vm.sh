#!/usr/bin/env bash
# Bridge tests with the kernel module, in the test VM (tests/vm/vm-run):
# see tests/bridge/guest-bridge.sh.  Needs kmod/mcbridge.ko,
# build/bin/mcbridge-ctl and build/bin/mcbridged.
set -uo pipefail
cd "$(dirname "$0")/../.."

for f in kmod/mcbridge.ko build/bin/mcbridge-ctl build/bin/mcbridged; do
	if [ ! -e "$f" ]; then
		echo "FAIL missing $f (run make first)"
		echo "bridge-vm: 0 passed, 1 failed"
		exit 1
	fi
done
out=$(mktemp)
trap 'rm -f "$out"' EXIT
tests/vm/vm-run --quiet --mem 4096 --timeout 900 -- bash tests/bridge/guest-bridge.sh | tee "$out"
rc=${PIPESTATUS[0]}
p=$(grep -c '^ok ' "$out")
f=$(grep -c '^FAIL ' "$out")
if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
	echo "FAIL VM run exited with $rc"
	f=$((f + 1))
fi
echo "bridge-vm: $p passed, $f failed"
[ "$rc" -eq 0 ] && [ "$f" -eq 0 ]
