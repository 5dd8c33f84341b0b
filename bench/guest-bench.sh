#!/usr/bin/env bash
# In-VM half of the benchmarks: bench/run.sh runs it as root in one boot of
# tests/vm/vm-run, from the project root.  Raw measurements go to
# $MCB_VM_OUT/raw.txt; bench/report.py turns them into the table.
#
#   A    direct netlink: an EMIT burst into a libnl subscriber with a big
#        receive buffer (and into one receiving with recvmmsg, for reference),
#        with the module's default history and again with history=0: what
#        keeping the history costs when nobody reads it
#   B    raw UDP multicast: a burst from one sender to one listener, in
#        datagrams the size of the bridge's json and binary datagrams, sent
#        with the bridge's own sink (bridge/mcsink.c); the UDP hop of LAT too
#   E2E  kernel -> mcbridged -> N listeners (N = 1, 4, 16), json and binary:
#        a burst with big buffers (the most it delivers), then paced offered
#        rates (fractions of that, default buffers, STEP_S each): the
#        highest rate it keeps up with without loss (refined by bisection)
#        and the loss above it
#   LAT  kernel timestamp -> receive at a steady moderate rate: direct
#        netlink, through the bridge (json, binary), one raw UDP hop
#
# A, B, the E2E bursts and LAT run in rounds, so that each round's ratios
# come from measurements minutes apart at most (the TCG guest's speed
# drifts with the host's load).  Every event has the same size: a fixed-length
# text whose prefix tags the step (bench/bench.h).  Throughput = events /
# (last receive - first event's origin time), CLOCK_MONOTONIC in this guest.
#
# Starting a process costs a TCG guest ~0.2-0.8 s of CPU, so this script
# uses shell builtins where it can, and never starts one while a
# measurement runs: emitters send their own end markers.
#
#   bench/guest-bench.sh [--quick]     --quick: tiny counts (smoke test)
set -euo pipefail

quick=0
[ "${1:-}" = --quick ] && quick=1

B=build/bench
BRIDGE=build/bin/mcbridged
OUT=${MCB_VM_OUT:?run me through tests/vm/vm-run}/raw.txt
W=$(mktemp -d)
BIG=536870912		# buffers that hold a whole burst
# Throughput receivers (B, E2E) pause this long after a partial batch
# (mcb-bench-listen --linger-us): off the socket's wait queue, datagrams
# queue without a wake-up each, which the sender would pay for.  The
# latency runs do not pause.
LINGER_US=${MCB_BENCH_LINGER_US:-1000}
LISTEN_BIG=268435456

# Offered-rate steps are in thousandths of the config's burst rate.
declare -A BURST
# A burst in as few EMIT requests as the module takes (its per-request cap).
chunk_of() {
	local max
	max=$(sed -n 's/^#define MCBRIDGE_EMIT_MAX_COUNT[[:space:]]*\([0-9]*\).*/\1/p' include/uapi/linux/mcbridge.h)
	echo $(( $1 < max ? $1 : max ))
}
if [ "$quick" -eq 1 ]; then
	ROUNDS=1 NS="1 4" STEP_S=0.3 DRAIN_S=0.2 LADDER="500 1250" REFINE=0
	MAX_COUNT=2000
	BURST=([1]=2000 [4]=1000) LAT_RATE=1000 LAT_MS=300 LAT_ROUNDS=1
else
	# Bursts of a few seconds each; N listeners share two vCPUs.
	ROUNDS=3 NS="1 4 16" STEP_S=3 DRAIN_S=0.3 LADDER="250 500 750 1000 1250"
	REFINE=2 BURST=([1]=100000 [4]=20000 [16]=6000)
	# Moderate: each event wakes the bridge and the listener, and a wakeup
	# costs this guest ~0.5 ms of CPU (TCG, no PCID: every switch empties
	# the emulated TLB), so at 2000/s queueing already shows.
	LAT_RATE=1000 LAT_MS=3000
	LAT_ROUNDS=3
	MAX_COUNT=
fi

BRIDGE_PID=
PIDS=()
EMIT_PID=
cleanup() {
	local p
	for p in "${PIDS[@]}" $EMIT_PID $BRIDGE_PID; do
		kill "$p" 2>/dev/null || true
	done
	rm -rf "$W"
}
trap cleanup EXIT

log() { echo "bench: [${SECONDS}s] $*" >&2; }
rec() { echo "$*" >>"$OUT"; }

# sleep without a process: wait on a pipe nobody writes to.
exec {NAPFD}<> <(:)
nap() { read -r -t "$1" -u "$NAPFD" _ || true; }

# Does FILE have a line matching the glob PATTERN?
has() {	# FILE PATTERN
	local l
	[ -r "$1" ] || return 1
	while IFS= read -r l; do
		# shellcheck disable=SC2053
		[[ $l == $2 ]] && return 0
	done <"$1"
	return 1
}

# Lines of FILE matching the glob PATTERN: count, and the last one.
count_of() {	# FILE PATTERN -> COUNT LAST
	local l
	COUNT=0 LAST=
	while IFS= read -r l; do
		# shellcheck disable=SC2053
		if [[ $l == $2 ]]; then COUNT=$((COUNT + 1)); LAST=$l; fi
	done <"$1"
}

append() {	# FILE... >> OUT
	local f l
	for f; do
		while IFS= read -r l; do echo "$l"; done <"$f"
	done >>"$OUT"
}

field() {	# LINE KEY  (empty when absent)
	if [[ " $1 " =~ \ $2=([^ ]*)\  ]]; then echo "${BASH_REMATCH[1]}"; fi
}

# Wait until FILE has a line matching PATTERN (a readiness line).
wait_for() {	# FILE PATTERN [SEC]
	local end=$((SECONDS + ${3:-60}))
	until has "$1" "$2"; do
		if [ "$SECONDS" -ge "$end" ]; then
			log "timeout waiting for '$2' in $1:"
			append "$1" 2>/dev/null
			return 1
		fi
		nap 0.05
	done
}

# Starts N listeners (further args passed on); returns once all joined.
LFILES=()
start_listeners() {	# N ARGS...
	local n=$1 i
	shift
	LFILES=()
	PIDS=()
	for ((i = 1; i <= n; i++)); do
		# Emptied here, not by the child: no stale readiness line.
		: >"$W/l$i.out"
		: >"$W/l$i.err"
		"$B/mcb-bench-listen" "$@" >>"$W/l$i.out" 2>>"$W/l$i.err" &
		PIDS+=($!)
		LFILES+=("$W/l$i.out")
	done
	for ((i = 1; i <= n; i++)); do
		wait_for "$W/l$i.err" 'listen: ready*'
	done
}

# Runs a sender (mcb-bench-emit or mcb-bench-udpsend with --end-tag end)
# in the background, waits without polling until every receiver in PIDS
# has seen the end marker and exited, then stops the sender.  Its result
# line is in $W/send.out.  If the sender stops sending markers (after
# --end-for) first, the receivers are told to stop (they still report).
run_sender() {	# CMD...
	local p alive
	"$@" >"$W/send.out" &
	EMIT_PID=$!
	while :; do
		alive=0
		for p in "${PIDS[@]}"; do
			kill -0 "$p" 2>/dev/null && alive=1
		done
		[ "$alive" -eq 1 ] || break
		if ! kill -0 "$EMIT_PID" 2>/dev/null; then
			log "receivers did not see the end marker: stopping them"
			kill -TERM "${PIDS[@]}" 2>/dev/null || true
		fi
		wait -n || true	# a child ended (and is reaped here)
	done
	kill "$EMIT_PID" 2>/dev/null || true
	wait "$EMIT_PID" 2>/dev/null || true
	EMIT_PID=
	PIDS=()
	read -r SENT <"$W/send.out" || SENT=
	rec "$SENT"
}

start_bridge() {	# ARGS...
	: >"$W/bridge.out"
	: >"$W/bridge.err"
	"$BRIDGE" "$@" >>"$W/bridge.out" 2>>"$W/bridge.err" &
	BRIDGE_PID=$!
	wait_for "$W/bridge.out" 'mcbridged: ready*subscribed*'
}

stop_bridge() {
	kill -TERM "$BRIDGE_PID"
	wait "$BRIDGE_PID" || true
	BRIDGE_PID=
	count_of "$W/bridge.err" '*final stats mcbridge/*'
	rec "bstats tag=final ${LAST#*final stats }"
}

# The running bridge's counters: its mapping's stats line after SIGUSR1 (the
# repair channel has a line of its own).
bridge_stats() {	# -> BSTATS
	local before end=$((SECONDS + 10))
	count_of "$W/bridge.err" '*mcbridged: stats mcbridge/*'
	before=$COUNT
	kill -USR1 "$BRIDGE_PID"
	while count_of "$W/bridge.err" '*mcbridged: stats mcbridge/*'; [ "$COUNT" -le "$before" ]; do
		[ "$SECONDS" -lt "$end" ] || break
		nap 0.05
	done
	BSTATS=${LAST#*stats }
}

# CPU time the bridge used so far, in ticks of 10 ms (USER_HZ 100).
bridge_cpu() {	# -> BCPU
	local stat
	read -r stat <"/proc/$BRIDGE_PID/stat"
	stat=${stat##*) }	# fields after "(comm)": state is field 3
	local -a f
	read -r -a f <<<"$stat"
	BCPU=$((f[11] + f[12]))	# utime (14) + stime (15)
}

# Waits until the bridge has taken everything queued for it and the UDP
# queues of port 7788 are empty: the next step starts on an idle system,
# and every drop is counted by then.
quiesce() {	# -> QUIET_AT_ONCE (1: nothing was left to do)
	local prev=-1 cur q laddr txrx end=$((SECONDS + 60)) looks=0
	while [ "$SECONDS" -lt "$end" ]; do
		looks=$((looks + 1))
		cur=0
		if [ -n "$BRIDGE_PID" ]; then
			bridge_stats
			cur=$(field "$BSTATS" received)
		fi
		q=0
		# sl local_address rem_address st tx_queue:rx_queue ...
		while read -r _ laddr _ _ txrx _; do
			[[ $laddr == *:1E6C ]] && q=$((q + 16#${txrx#*:}))
		done </proc/net/udp
		if [ "$cur" = "$prev" ] && [ "$q" -eq 0 ]; then
			QUIET_AT_ONCE=$((looks <= 2 ? 1 : 0))
			return 0
		fi
		prev=$cur
		nap 0.1
	done
	log "queues still busy after 60 s"
	QUIET_AT_ONCE=0
}

# Everything dropped so far anywhere on this host: the loopback backlog
# queues (softnet), UDP receive queues, and the bridge's netlink socket
# (overruns) and its sends.
drops() {	# -> DROPS
	local s=0 a b rest h=0 k
	while read -r a b rest; do s=$((s + 16#$b)); done </proc/net/softnet_stat
	while read -r a b rest; do
		# Udp: InDatagrams NoPorts InErrors ... (header line, then values)
		if [ "$a" = Udp: ]; then
			[ "$h" -eq 1 ] && { read -r _ k _ <<<"$rest"; s=$((s + k)); }
			h=1
		fi
	done </proc/net/snmp
	if [ -n "$BRIDGE_PID" ]; then
		bridge_stats
		# Not "lost": the bridge sees a kernel seq gap only at the
		# next event, so it would blame the next step.
		for k in overruns send_errors; do
			k=$(field "$BSTATS" "$k")
			s=$((s + ${k:-0}))
		done
	fi
	DROPS=$s
}

# events/s of TAG over receiver outputs: EMITTED / (last receive anywhere
# - first origin), as bench/report.py computes it; here to place the ladder.
burst_rate() {	# TAG EMITTED FILES... -> RATE
	local tag=$1 n=$2 f t rest o r omin='' rlast=
	shift 2
	for f; do
		while read -r _ t rest; do
			[ "$t" = "tag=$tag" ] || continue
			o=$(field "$rest" origin_min)
			r=$(field "$rest" recv_last)
			if [ -z "$omin" ] || [ "$o" -lt "$omin" ]; then omin=$o; fi
			if [ -z "$rlast" ] || [ "$r" -gt "$rlast" ]; then rlast=$r; fi
		done <"$f"
	done
	RATE=0
	if [ -n "$omin" ] && [ "$rlast" -gt "$omin" ]; then
		RATE=$((n * 1000000000 / (rlast - omin)))
	fi
}

median() {	# NUMBERS... -> MEDIAN
	local -a v=()
	local x i j t
	for x; do v+=("$x"); done
	for ((i = 1; i < ${#v[@]}; i++)); do
		for ((j = i; j > 0 && v[j - 1] > v[j]; j--)); do
			t=${v[j]} v[j]=${v[j - 1]} v[j - 1]=$t
		done
	done
	MEDIAN=${v[$(((${#v[@]} - 1) / 2))]:-0}
}

: >"$OUT"
ip link set lo up
insmod kmod/mcbridge.ko heartbeat_ms=0
read -r backlog </proc/sys/net/core/netdev_max_backlog
cpu=
while IFS=: read -r a b; do
	if [[ $a == "model name"* ]]; then cpu=${b# }; break; fi
done </proc/cpuinfo
rec "info guest_kernel=$(uname -r) vcpus=$(nproc) rounds=$ROUNDS step_s=$STEP_S lat_rate=$LAT_RATE lat_ms=$LAT_MS lat_rounds=$LAT_ROUNDS linger_us=$LINGER_US quick=$quick netdev_max_backlog=$backlog guest_cpu=${cpu// /_}"

# The module again, with PARAMS (the default history without).
reload_module() {	# PARAMS...
	rmmod mcbridge
	insmod kmod/mcbridge.ko heartbeat_ms=0 "$@"
}

measure_a() {	# VARIANT ROUND
	local extra=()
	[ "$1" = mmsg ] && extra=(--mmsg)
	log "round $2: A ($1)"
	rec "begin kind=A variant=$1 round=$2"
	: >"$W/nl.out"
	: >"$W/nl.err"
	"$B/mcb-bench-nlrecv" --rcvbuf $BIG --until end --timeout 300 "${extra[@]}" \
		>>"$W/nl.out" 2>>"$W/nl.err" &
	PIDS=($!)
	wait_for "$W/nl.err" 'nlrecv: ready*'
	run_sender "$B/mcb-bench-emit" --tag A --count "${BURST[1]}" --chunk "$(chunk_of "${BURST[1]}")" --end-tag end
	append "$W/nl.out"
	rec end
}

declare -A SIZE MAXRATES
measure_e2e_burst() {	# FMT N ROUND  (bridge running)
	local fmt=$1 n=$2 b k rest c0
	log "round $3: E2E $fmt N=$n burst"
	rec "begin kind=E2E phase=burst fmt=$fmt n=$n round=$3"
	start_listeners "$n" --format "$fmt" --rcvbuf $LISTEN_BIG --linger-us $LINGER_US --until end --timeout 300
	bridge_cpu
	c0=$BCPU
	run_sender "$B/mcb-bench-emit" --tag E --count "${BURST[$n]}" --chunk "$(chunk_of "${BURST[$n]}")" --end-tag end
	bridge_cpu
	append "${LFILES[@]}"
	bridge_stats
	rec "bstats tag=E cpu_ticks=$((BCPU - c0)) $BSTATS"
	rec end
	burst_rate E "$(field "$SENT" emitted)" "${LFILES[@]}"
	MAXRATES[$fmt.$n]+=" $RATE"
	if [ -z "${SIZE[$fmt]:-}" ]; then
		read -r _ _ rest <"${LFILES[0]}"
		b=$(field "$rest" bytes)
		k=$(field "$rest" n)
		SIZE[$fmt]=$(((b + k / 2) / k))
	fi
}

measure_b() {	# FMT ROUND
	local size=${SIZE[$1]}
	log "round $2: B, $size-byte datagrams ($1)"
	rec "begin kind=B fmt=$1 size=$size round=$2"
	start_listeners 1 --format raw --rcvbuf $LISTEN_BIG --linger-us $LINGER_US --until end --timeout 300
	run_sender "$B/mcb-bench-udpsend" --tag B --count "${BURST[1]}" --size "$size" --end-tag end
	append "${LFILES[@]}"
	rec end
}

# --- rounds: A, E2E bursts, B ---------------------------------------------
for ((r = 1; r <= ROUNDS; r++)); do
	measure_a libnl "$r"
	measure_a mmsg "$r"
	reload_module history=0
	measure_a nohist "$r"
	reload_module
	for fmt in json binary; do
		start_bridge --format "$fmt" --rcvbuf $BIG
		for n in $NS; do
			measure_e2e_burst "$fmt" "$n" "$r"
		done
		stop_bridge
	done
	for fmt in json binary; do
		measure_b "$fmt" "$r"
	done
done

# --- E2E ladders: paced offered rates, default buffers ----------------------
# One step offers MILLI/1000 x the burst rate for STEP_S seconds, lets the
# queues drain and says whether it was too much: something was dropped
# anywhere, or the queues were not empty DRAIN_S after the step (so a
# longer step would have overflowed them).  That only steers the
# bisection; the report judges by the listeners' counts and times.
STEP=0
step() {	# MILLI|max MAX -> STEP_LOST (0/1)
	local milli=$1 max=$2 rate d0 cap
	STEP=$((STEP + 1))
	if [ "$milli" = max ]; then
		rate=0	# as fast as the kernel emits
		cap=(--chunk 1000 ${MAX_COUNT:+--count "$MAX_COUNT"})
	else
		cap=()
		rate=$((max * milli / 1000))
		[ "$rate" -ge 1 ] || rate=1
	fi
	drops
	d0=$DROPS
	rec "step tag=S$STEP milli=$milli rate_req=$rate"
	"$B/mcb-bench-emit" --tag "S$STEP" --rate "$rate" --duration "$STEP_S" "${cap[@]}" >"$W/send.out"
	read -r SENT <"$W/send.out"
	rec "$SENT"
	nap "$DRAIN_S"
	quiesce
	drops
	STEP_LOST=$((DROPS > d0 || !QUIET_AT_ONCE ? 1 : 0))
	rec "stepdrops tag=S$STEP drops=$((DROPS - d0)) quiet=$QUIET_AT_ONCE"
}

for fmt in json binary; do
	start_bridge --format "$fmt"
	for n in $NS; do
		# shellcheck disable=SC2086
		median ${MAXRATES[$fmt.$n]}
		max=$MEDIAN
		log "E2E $fmt N=$n: offered rates around $max events/s"
		rec "begin kind=E2E phase=ladder fmt=$fmt n=$n max=$max"
		start_listeners "$n" --format "$fmt" --linger-us $LINGER_US --until end --timeout 1800
		STEP=0
		good=0 bad=
		for m in $LADDER; do
			step "$m" "$max"
			if [ "$STEP_LOST" -eq 0 ]; then
				good=$m
			elif [ -z "$bad" ]; then
				bad=$m
			fi
		done
		# Bisect between the best clean step and the first lossy one.
		for ((i = 0; i < REFINE; i++)); do
			[ -n "$bad" ] || break
			m=$(((good + bad) / 2))
			step "$m" "$max"
			if [ "$STEP_LOST" -eq 0 ]; then good=$m; else bad=$m; fi
		done
		step max "$max"
		run_sender "$B/mcb-bench-emit" --tag end --count 1 --end-tag end
		append "${LFILES[@]}"
		rec end
	done
	stop_bridge
done

# --- LAT: kernel timestamp -> receive, steady moderate rate -----------------
tick=$((1000000 / LAT_RATE))
lat_count=$((LAT_RATE * LAT_MS / 1000))
# A warm-up tag first: first wakeups and page faults are not what a steady
# stream sees.
lat_emit() {
	"$B/mcb-bench-emit" --tag W --rate "$LAT_RATE" --tick-us "$tick" --duration 0.3 >/dev/null
	run_sender "$B/mcb-bench-emit" --tag L --rate "$LAT_RATE" --tick-us "$tick" --count "$lat_count" --end-tag end
}

# In rounds too: each path's samples come from several moments.
for ((r = 1; r <= LAT_ROUNDS; r++)); do
	log "round $r: latency, direct netlink"
	rec "begin kind=LAT path=direct round=$r"
	: >"$W/nl.out"
	: >"$W/nl.err"
	"$B/mcb-bench-nlrecv" --latency --until end --timeout 300 >>"$W/nl.out" 2>>"$W/nl.err" &
	PIDS=($!)
	wait_for "$W/nl.err" 'nlrecv: ready*'
	lat_emit
	append "$W/nl.out"
	rec end

	for fmt in json binary; do
		log "round $r: latency, bridge $fmt"
		start_bridge --format "$fmt"
		rec "begin kind=LAT path=$fmt round=$r"
		start_listeners 1 --format "$fmt" --latency --until end --timeout 300
		lat_emit
		append "${LFILES[@]}"
		rec end
		stop_bridge
	done

	for fmt in json binary; do
		size=${SIZE[$fmt]}
		log "round $r: latency, raw UDP hop, $size bytes"
		rec "begin kind=LAT path=udp-$fmt size=$size round=$r"
		start_listeners 1 --format raw --latency --until end --timeout 300
		"$B/mcb-bench-udpsend" --tag W --count $((LAT_RATE * 3 / 10 + 1)) --rate "$LAT_RATE" --tick-us "$tick" --size "$size" >/dev/null
		run_sender "$B/mcb-bench-udpsend" --tag L --count "$lat_count" --rate "$LAT_RATE" --tick-us "$tick" --size "$size" --end-tag end
		append "${LFILES[@]}"
		rec end
	done
done

rmmod mcbridge
rec "done"
log "done"
