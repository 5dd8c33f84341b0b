#!/usr/bin/env bash
# Containment: with the defaults (TTL 0, interface 127.0.0.1) no event leaves
# the host; with --ttl 1 --iface ADDR every event reaches another host.
#
# Run as root.  Namespace A runs mcbridged on ethtool/monitor (events from
# feature changes of a veth inside A); namespace B, joined to A by a veth
# (10.200.0.1 <-> 10.200.0.2, only inside these namespaces), plays the other
# host: mcbridge-listen joined to 225.0.0.1 on its veth, and tcpdump on it.
# After the events a sentinel datagram is sent from A over the veth on
# purpose: B's listener and capture stop at it, so "nothing before the
# sentinel" is a complete answer without sleeping.
# Prints one line per check and "containment: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."

BRIDGE=${MCBRIDGED:-build/bin/mcbridged}
LISTEN=${MCB_LISTEN:-build/bin/mcbridge-listen}
N=5
SENTINEL_PORT=7799
A=mcbsecA$$
B=mcbsecB$$
W=$(mktemp -d)
passed=0
failed=0
PIDS=()
TSO=on	# ev0's tso setting (veth default)

ok() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1${2:+: $2}"; failed=$((failed + 1)); }

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT

# wait_line FILE TEXT: until TEXT appears in FILE (bounded).
wait_line() {
	local end=$((SECONDS + 20))
	until grep -q -- "$2" "$1" 2>/dev/null; do
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.05
	done
}

# A JSON event of its own family, sent from A through the veth on purpose.
send_sentinel() {
	ip netns exec "$A" python3 - "$SENTINEL_PORT" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.200.0.1", int(sys.argv[1])))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("10.200.0.1"))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
s.sendto(b'{"kind":"event","family":"sentinel","group":"end","cmd":"1",'
         b'"cmd_id":1,"bridge_seq":1,"bridge_time_ns":1}\n', ("225.0.0.1", 7788))
PY
}

setup() {
	ip netns add "$A" && ip netns add "$B" &&
	ip -n "$A" link set lo up && ip -n "$B" link set lo up &&
	ip link add mcbA$$ netns "$A" type veth peer name mcbB$$ netns "$B" &&
	ip -n "$A" link set mcbA$$ name wan0 && ip -n "$B" link set mcbB$$ name wan0 &&
	ip -n "$A" addr add 10.200.0.1/24 dev wan0 && ip -n "$A" link set wan0 up &&
	ip -n "$B" addr add 10.200.0.2/24 dev wan0 && ip -n "$B" link set wan0 up &&
	ip -n "$A" link add ev0 type veth peer name ev1
}

# run_case NAME EXPECTED LOCAL_IFACE [BRIDGE ARGS...]: EXPECTED events at B.
run_case() {
	local name=$1 want=$2 lif=$3 d=$W/$1 i rc
	shift 3
	mkdir -p "$d"
	ip netns exec "$B" tcpdump -i wan0 -n -U -c $((want + 1)) -w "$d/cap.pcap" \
		udp port 7788 >"$d/td.out" 2>"$d/td.err" &
	local td=$!
	PIDS+=("$td")
	ip netns exec "$B" "$LISTEN" -i 10.200.0.2 --count $((want + 1)) \
		--timeout 30 --ready-fd 2 >"$d/remote.out" 2>"$d/remote.err" &
	local remote=$!
	PIDS+=("$remote")
	ip netns exec "$A" "$LISTEN" -i "$lif" --count "$N" --timeout 30 \
		--ready-fd 2 >"$d/local.out" 2>"$d/local.err" &
	local loc=$!
	PIDS+=("$loc")
	# No tails: an idle bridge's would come at a time of its own, between
	# the events and the sentinel; it leaves by the events' socket, under
	# the same TTL and interface, so the events speak for it.
	ip netns exec "$A" "$BRIDGE" --map ethtool/monitor --tail-ms 0 "$@" \
		>"$d/bridge.out" 2>"$d/bridge.err" &
	local br=$!
	PIDS+=("$br")
	if ! wait_line "$d/td.err" "listening on" || ! wait_line "$d/remote.err" '^ready' ||
	   ! wait_line "$d/local.err" '^ready' || ! wait_line "$d/bridge.out" 'ready'; then
		fail "$name: setup" "$(cat "$d"/*.err)"
		return
	fi
	for ((i = 0; i < N; i++)); do
		# Each change flips the setting, so each one is an event.
		TSO=$([ "$TSO" = on ] && echo off || echo on)
		ip netns exec "$A" ethtool -K ev0 tso "$TSO"
	done
	# The bridge sent all N once the listener beside it has them.
	wait "$loc"
	rc=$?
	[ "$rc" -eq 0 ] && [ "$(grep -c '"family":"ethtool"' "$d/local.out")" -eq "$N" ] &&
		ok "$name: $N events bridged on the bridge's own host" ||
		fail "$name: local listener" "rc $rc: $(cat "$d/local.err")"
	send_sentinel || fail "$name: sentinel" "could not send"
	wait "$remote"
	rc=$?
	local got last
	got=$(grep -c '"family":"ethtool"' "$d/remote.out")
	last=$(tail -n 1 "$d/remote.out")
	if [ "$rc" -eq 0 ] && [ "$got" -eq "$want" ] && [[ $last == *'"family":"sentinel"'* ]]; then
		ok "$name: the other host's listener received $got of $N events (want $want)"
	else
		fail "$name: other host's listener" "rc $rc, $got events (want $want): $(cat "$d/remote.err")"
	fi
	wait "$td"
	rc=$?
	local pk bridged
	pk=$(tcpdump -r "$d/cap.pcap" -n 2>/dev/null)
	bridged=$(grep -vc "10.200.0.1.$SENTINEL_PORT >" <<<"$pk")
	if [ "$rc" -eq 0 ] && [ "$bridged" -eq "$want" ] && grep -q "10.200.0.1.$SENTINEL_PORT >" <<<"$pk"; then
		ok "$name: capture on the veth: $bridged bridge datagrams (want $want), then the sentinel"
	else
		fail "$name: capture" "rc $rc, want $want: $pk $(cat "$d/td.err")"
	fi
	kill "$br"
	wait "$br" || fail "$name: bridge exit" "$(cat "$d/bridge.err")"
}

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP containment: needs root"
	exit 0
fi
for t in tcpdump ethtool ip python3; do
	command -v "$t" >/dev/null || { fail "containment: $t installed"; echo "containment: $passed passed, $failed failed"; exit 1; }
done
if ! setup; then
	fail "containment: namespaces and veth"
else
	run_case default 0 127.0.0.1
	run_case "iface-ttl0" 0 10.200.0.1 --iface 10.200.0.1
	run_case "ttl1-iface" "$N" 10.200.0.1 --ttl 1 --iface 10.200.0.1
fi
echo "containment: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
