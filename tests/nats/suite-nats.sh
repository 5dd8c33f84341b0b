#!/usr/bin/env bash
# NATS suite: mcbridge-nats's unit tests (normal and ASan+UBSan builds),
# then a fleet on this machine (tests/nats/fleet.py): a 3-node nats-server
# cluster with JetStream and three hosts as network namespaces, each with
# a bridge, a native event source and forwarders; the same with the
# sanitizer build on fewer events.  Needs root (namespaces) and
# nats-server (scripts/deps.sh installs it).
set -u
cd "$(dirname "$0")/../.."

T_SCRIPT=nats
. tests/lib/check.sh

for variant in normal san; do
	args=() label=normal
	[ "$variant" = san ] && args=(SAN=1) label="SAN=1"
	t_check "build mcbridged ($label)" make -s -C bridge "${args[@]}" all ||
		continue
	t_check "build mcbridge-listen ($label)" make -s -C client "${args[@]}" all ||
		continue
	t_check "build mcbridge-nats and its tests ($label)" \
		make -s -C nats "${args[@]}" tests || continue
	for t in $(make -s -C nats "${args[@]}" list-tests); do
		t_check "unit $(basename "$t") ($label)" "$t"
	done
done

if ! command -v nats-server >/dev/null; then
	t_fail "fleet" "no nats-server: run scripts/deps.sh"
else
	t_tally "fleet (normal build)" python3 tests/nats/fleet.py
	# The sanitizer build on a shorter stream: same checks.
	t_tally "fleet (SAN=1)" env MCB_BUILD=build/san MCB_TEST_LABEL=SAN=1 \
		MCB_NATS_EVENTS=600 python3 tests/nats/fleet.py
fi

t_done
