#!/usr/bin/env bash
# Bridge suite: cmocka unit tests (normal and ASan+UBSan builds), then host
# integration tests on the running kernel in a private network namespace.
# Prints one line per check and a totals line; exits non-zero on a failure.
set -u
cd "$(dirname "$0")/../.."

passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

check() {	# check NAME CMD...: one check, output shown only on failure
	local name=$1
	shift
	if "$@" >"$log" 2>&1; then
		echo "ok   $name"
		passed=$((passed + 1))
	else
		echo "FAIL $name"
		sed 's/^/     | /' "$log" | tail -n 40
		failed=$((failed + 1))
	fi
}

# Each unit test program is one check; cmocka's output is the detail.
unit() {	# unit LABEL MAKEARGS...
	local label=$1 t
	shift
	check "build mcbridged and unit tests ($label)" \
		make -s -C bridge "$@" all tests || return
	for t in $(make -s -C bridge "$@" list-tests); do
		check "unit $(basename "$t") ($label)" "$t"
	done
}

unit normal
unit "SAN=1" SAN=1

# Host integration: needs root for a private network namespace.
if [ "$(id -u)" -ne 0 ] || ! unshare -n true 2>/dev/null; then
	echo "SKIP host integration tests (need root and unshare -n)"
else
	for variant in normal san; do
		bin=build/bin/mcbridged label=
		[ "$variant" = san ] && bin=build/san/bin/mcbridged label="SAN=1"
		out=$(mktemp)
		MCBRIDGED=$bin MCB_TEST_LABEL=$label \
			unshare -n python3 tests/bridge/host_tests.py >"$out" 2>&1
		rc=$?
		cat "$out"
		p=$(grep -c '^ok ' "$out")
		f=$(grep -c '^FAIL ' "$out")
		passed=$((passed + p))
		failed=$((failed + f))
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			echo "FAIL host integration tests ($variant) exited with $rc"
			failed=$((failed + 1))
		fi
		rm -f "$out"
	done
fi

echo "bridge: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
