#!/usr/bin/env bash
# Kernel module suite: warning-free build (W=1, sparse), the YAML spec
# against header and code, then the module's behaviour in the test VM.
set -uo pipefail
cd "$(dirname "$0")/../.."

fail=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# A fresh object makes the compiler and sparse look at the source again.
rm -f kmod/mcbridge.o
if make -s -C kmod W=1 C=2 >"$log" 2>&1 && ! grep -Eq 'warning|error' "$log"; then
	echo "ok   module builds with W=1 and sparse (C=2) without a warning"
else
	cat "$log"
	echo "FAIL module build with W=1 C=2"
	fail=1
fi

if /usr/bin/python3 tests/kmod/check-spec.py; then
	echo "ok   kmod/mcbridge.yaml matches the header and the module"
else
	echo "FAIL spec check"
	fail=1
fi

make -s -C tests/kmod || fail=1
if tests/vm/vm-run --timeout 1200 -- bash tests/kmod/guest-kmod.sh; then
	echo "ok   module tests in the VM"
else
	echo "FAIL module tests in the VM"
	fail=1
fi
exit $fail
