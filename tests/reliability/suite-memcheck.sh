#!/usr/bin/env bash
# Memory safety of the bridge and the client under valgrind memcheck: the
# cmocka unit tests, then mcbridged and mcbridge-listen as processes in a
# private network namespace (good, bad and random datagrams; SIGUSR1,
# SIGTERM).  Passes on zero errors and zero definitely-lost bytes.  The
# ASan+UBSan runs of the same tests are in suite-bridge and suite-client
# (SAN=1), and guest-reliability runs the real module against the bridge.
set -uo pipefail
cd "$(dirname "$0")/../.."

# Our own namespace: the listener's group and port are then ours alone.
if [ "${MCB_MEMCHECK_NETNS:-}" != 1 ]; then
	export MCB_MEMCHECK_NETNS=1
	exec unshare -n "$0" "$@"
fi
ip link set lo up

passed=0
failed=0
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
VG=(valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite
    --error-exitcode=99)

# vg_check NAME LOG RC: errors and definitely lost bytes from a valgrind log.
vg_check() {
	local name=$1 log=$2 rc=$3 errs lost
	errs=$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$log" | tr -d , | tail -n 1)
	lost=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tr -d , | tail -n 1)
	lost=${lost:-0}
	if [ "$rc" -ne 99 ] && [ "${errs:-x}" = 0 ] && [ "$lost" = 0 ]; then
		echo "ok   memcheck $name: 0 errors, 0 bytes definitely lost"
		passed=$((passed + 1))
	else
		echo "FAIL memcheck $name: rc=$rc errors=${errs:-?} definitely_lost=$lost"
		grep -E '^==[0-9]+== (Invalid|Conditional|Use of|Syscall|.*definitely)' "$log" | head -20
		failed=$((failed + 1))
	fi
}

if ! make -s all >/dev/null || ! make -s -C bridge tests >/dev/null ||
   ! make -s -C client tests >/dev/null || ! make -s -C lib tests >/dev/null; then
	echo "FAIL build"
	echo "memcheck: 0 passed, 1 failed"
	exit 1
fi

# --- unit tests ---------------------------------------------------------------
for t in build/tests/libmcbridge/test_* build/tests/bridge/test_* \
	 build/tests/client/test_*; do
	case $t in *.o | *.d) continue ;; esac
	[ -x "$t" ] || continue
	"${VG[@]}" "$t" >"$W/out" 2>"$W/vg"
	vg_check "$(basename "$(dirname "$t")")/$(basename "$t")" "$W/vg" $?
done

# --- processes ----------------------------------------------------------------
# The bridge without the module on this host: it waits for the family, which
# runs its startup, signal and shutdown paths.
"${VG[@]}" --log-file="$W/bridge.vg" build/bin/mcbridged --rcvbuf 1M \
	>"$W/bridge.out" 2>"$W/bridge.err" &
bpid=$!
for _ in $(seq 1 600); do grep -q '^mcbridged: ready' "$W/bridge.out" && break; sleep 0.1; done
kill -USR1 "$bpid"
for _ in $(seq 1 100); do grep -q 'stats' "$W/bridge.err" && break; sleep 0.1; done
kill -TERM "$bpid"
wait "$bpid"
vg_check "mcbridged (start, waiting for the family, SIGUSR1, SIGTERM)" "$W/bridge.vg" $?

# The listener: every kind of datagram the client must take or refuse.
"${VG[@]}" --log-file="$W/listen.vg" build/bin/mcbridge-listen --latency \
	--ready-fd 4 4>"$W/ready" >"$W/listen.out" 2>"$W/listen.err" &
lpid=$!
for _ in $(seq 1 600); do grep -q ready "$W/ready" && break; sleep 0.1; done
SEND=build/tests/client/mcb-test-send
$SEND "json:kind=event,type=injected,text=hello,bseq=1,kseq=1,n=50" \
	"bin:kind=event,type=netdev,ifname=eth0,bseq=51,kseq=51,n=50" \
	"json:kind=lost,count=3,bseq=101,kseq=55" "bin:kind=overrun,count=1,bseq=102" \
	"bin:generic=1,bseq=103" "bin:kind=event,type=injected,text=trunc,truncated=1,bseq=104" \
	"json:kind=event,bseq=1" "raw:{\"kind\":" "zeros:40" "bin:magic=1,bseq=106" \
	"bin:cut=20,bseq=107" "random:1000:1" "random:60000:2" >/dev/null
for s in $(seq 3 30); do $SEND "random:$((s * 37)):$s" >/dev/null; done
for _ in $(seq 1 100); do [ "$(grep -c . "$W/listen.out")" -ge 104 ] && break; sleep 0.1; done
kill -TERM "$lpid"
wait "$lpid"
vg_check "mcbridge-listen ($(grep -c . "$W/listen.out") events, $(sed -n 's/.* bad=\([0-9]*\).*/\1/p' "$W/listen.err" | head -n 1) bad datagrams, notices, SIGTERM)" "$W/listen.vg" $?

# The listener with --repair and nobody on the repair port: in-order
# events pass, the ones after gaps wait, the gaps are asked for, asked
# again, then given up; a tail shows one more gap at the end.
"${VG[@]}" --log-file="$W/repair.vg" build/bin/mcbridge-listen --repair \
	--ready-fd 4 4>"$W/rready" >"$W/repair.out" 2>"$W/repair.err" &
lpid=$!
for _ in $(seq 1 600); do grep -q ready "$W/rready" && break; sleep 0.1; done
$SEND "json:bseq=1,run=5,n=10" "bin:bseq=14,run=5,n=10" "json:bseq=30,run=5" \
	"json:kind=tail,bseq=40,run=5,count=40" >/dev/null
for _ in $(seq 1 300); do grep -q 'unrepairable: .* 31\.\.40' "$W/repair.err" && break; sleep 0.1; done
kill -TERM "$lpid"
wait "$lpid"
vg_check "mcbridge-listen --repair ($(grep -c . "$W/repair.out") events, gaps given up: $(sed -n 's/.* unrepairable=\([0-9]*\).*/\1/p' "$W/repair.err"))" "$W/repair.vg" $?

echo "memcheck: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
