#!/usr/bin/env bash
# The demo itself, as root on a kernel that can load kmod/mcbridge.ko (or
# the module MCB_KO names).
# Each stage says what it does; events print as they arrive.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${DEMO_SECONDS:-20}
bin=build/bin
work=$(mktemp -d)
pids=()
loaded=0

stage() { printf '\n== %s\n' "$*"; }

cleanup() {
	local pid
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	ip link del mcbdemo0 2>/dev/null || true
	[ "$loaded" -eq 0 ] || rmmod mcbridge 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# Polls a command that has no readiness signal of its own, for at most 30 s.
wait_cmd() {
	local i
	for i in $(seq 300); do
		"$@" && return 0
		sleep 0.1
	done
	echo "demo: timed out waiting for: $*" >&2
	return 1
}

ip link set lo up

KO=${MCB_KO:-kmod/mcbridge.ko}
stage "1. loading the kernel module: insmod $KO heartbeat_ms=2000"
if grep -q '^mcbridge ' /proc/modules; then
	echo "(already loaded)"
else
	insmod "$KO" heartbeat_ms=2000
	loaded=1
fi
genl ctrl get name mcbridge | sed 's/^/   /'

stage "2. starting the bridge: mcbridged (mcbridge/events -> 225.0.0.1:7788 via 127.0.0.1)"
"$bin/mcbridged" >"$work/bridge.out" 2>"$work/bridge.err" &
pids+=($!)
wait_cmd grep -q ready "$work/bridge.out"
sed 's/^/   /' "$work/bridge.out"

stage "3. listening: mcbridge-listen --human, and socat printing the raw JSON"
# $! must be the listener itself, not its prefixing sed, to stop it later.
socat -u UDP4-RECV:7788,ip-add-membership=225.0.0.1:127.0.0.1,reuseaddr - \
	> >(sed -u 's/^/   socat  | /') 2>&1 &
pids+=($!)
# socat has no readiness signal: its group membership on lo is one.
wait_cmd sh -c 'ip maddr show dev lo | grep -q 225.0.0.1'
mkfifo "$work/ready"
"$bin/mcbridge-listen" --human --ready-fd 3 3>"$work/ready" \
	> >(sed -u 's/^/   listen | /') 2>&1 &
pids+=($!)
read -r _ <"$work/ready"

stage "4. making events: a dummy network device, a module load, injected events"
modprobe dummy
ip link add mcbdemo0 type dummy
ip link set mcbdemo0 up
ip link set mcbdemo0 down
ip link del mcbdemo0
"$bin/mcbridge-ctl" emit --count 2 --text "Hello from make demo" | sed 's/^/   emit   | /'
modprobe -r veth 2>/dev/null || true
modprobe veth && modprobe -r veth

stage "5. heartbeats every 2 s until the demo ends (${seconds} s)"
sleep "$seconds"

stage "6. stopping; the bridge's final statistics and the kernel's counters:"
kill -TERM "${pids[0]}"
wait "${pids[0]}" || true
sed 's/^/   /' "$work/bridge.err" | tail -n 8
"$bin/mcbridge-ctl" stats | sed 's/^/   /'
