#!/usr/bin/env bash
# Bridge suite: cmocka unit tests (normal and ASan+UBSan builds), then host
# integration tests on the running kernel in a private network namespace.
# Prints one line per check and a totals line; exits non-zero on a failure.
set -u
cd "$(dirname "$0")/../.."

T_SCRIPT=bridge
. tests/lib/check.sh

# Each unit test program is one check; cmocka's output is the detail.
unit() {	# unit LABEL MAKEARGS...
	local label=$1 t
	shift
	t_check "build mcbridged and unit tests ($label)" \
		make -s -C bridge "$@" all tests || return
	t_check "build lib/ unit tests ($label)" make -s -C lib "$@" tests ||
		return
	for t in $(make -s -C lib "$@" list-tests) \
		 $(make -s -C bridge "$@" list-tests); do
		t_check "unit $(basename "$t") ($label)" "$t"
	done
}

unit normal
unit "SAN=1" SAN=1

# Host integration, in a private network namespace.
for variant in normal san; do
	bin=build/bin/mcbridged label=
	[ "$variant" = san ] && bin=build/san/bin/mcbridged label="SAN=1"
	t_tally "host integration tests ($variant)" env MCBRIDGED=$bin MCB_TEST_LABEL=$label \
		unshare -n python3 tests/bridge/host_tests.py
done

t_done
