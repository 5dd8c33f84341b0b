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

# IPv6 groups, the bridge and the listener of one build, in a private
# network namespace (and a second one for the far end of a veth).
for variant in normal san; do
	dir=build/bin label=
	[ "$variant" = san ] && dir=build/san/bin label="SAN=1"
	if [ "$variant" = san ]; then
		t_check "build mcbridge-listen (SAN=1)" \
			make -s -C client SAN=1 all || continue
	fi
	t_tally "host IPv6 tests ($variant)" env MCBRIDGED=$dir/mcbridged \
		MCB_LISTEN=$dir/mcbridge-listen MCB_TEST_LABEL=$label \
		unshare -n python3 tests/bridge/host_ipv6.py
done

# History, tails and the repair channel, with the native event source
# (tests/nats/mcb-genl-emit multicasts into ethtool/monitor from userspace:
# a private network namespace keeps it, and the repair port, ours).
for variant in normal san; do
	dir=build label= mk=
	[ "$variant" = san ] && dir=build/san label="SAN=1" mk=SAN=1
	t_check "build mcbridge-listen and mcb-genl-emit ($variant)" \
		sh -c "make -s -C client $mk all && make -s -C nats $mk emit"
	t_tally "host repair tests ($variant)" env MCBRIDGED=$dir/bin/mcbridged \
		MCB_LISTEN=$dir/bin/mcbridge-listen \
		MCB_EMIT=$dir/tests/nats/mcb-genl-emit MCB_TEST_LABEL=$label \
		unshare -n python3 tests/bridge/host_repair.py
done

t_done
