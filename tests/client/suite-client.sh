#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Client suite: the cmocka tests (normal and SAN=1 builds), then
# mcbridge-listen as a process in a private network namespace: readiness,
# the JSON and binary paths, bad datagrams, gaps and restarts, notices,
# --count/--timeout/--type/--latency/--human/--format, signals and exit
# codes, and interop with socat, a Python standard-library listener and,
# when built, the real mcbridged.  Prints each check and "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
TOP=$PWD

# A network namespace of our own: no collision with other suites or a demo.
if [ "${MCB_CLIENT_NETNS:-}" != 1 ]; then
	export MCB_CLIENT_NETNS=1
	if unshare -n true 2>/dev/null; then
		exec unshare -n "$0" "$@"
	fi
	exec unshare -rn "$0" "$@"	# unprivileged: a user namespace too
fi
ip link set lo up || { echo "FAIL - bring lo up in the namespace"; exit 1; }

PASS=0
FAIL=0
SKIP=0
W=$(mktemp -d)
declare -a STARTED=()

cleanup() {
	local p
	for p in "${STARTED[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$W"
}
trap cleanup EXIT

ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
nok() { FAIL=$((FAIL + 1)); echo "FAIL - $*"; }
skip() { SKIP=$((SKIP + 1)); echo "skip - $*"; }
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else nok "$name"; fi
}

# ---------------------------------------------------------------- unit tests

UNIT_TESTS="test_decode_json test_decode_binary test_format test_stats test_options test_repair test_filter"
for san in 0 1; do
	obj=build
	[ "$san" = 1 ] && obj=build/san
	if make -s -C client SAN=$san tests >"$W/build$san.log" 2>&1; then
		ok "build client and tests (SAN=$san)"
	else
		nok "build client and tests (SAN=$san)"
		cat "$W/build$san.log"
		continue
	fi
	for t in $UNIT_TESTS; do
		if "$obj/tests/client/$t" >"$W/$t.$san.log" 2>&1; then
			ok "cmocka $t (SAN=$san): $(grep -c '^\[       OK \]' "$W/$t.$san.log") tests"
		else
			nok "cmocka $t (SAN=$san)"
			grep -E 'FAILED|ERROR|LINE|Sanitizer|runtime error' "$W/$t.$san.log" | head -20
		fi
	done
done

# ----------------------------------------------------------------- helpers

PORT=7800
next_port() { PORT=$((PORT + 1)); }

# start TAG ARGS...: run the listener; return once it says it has joined.
declare -A LPID=()
start() {
	local tag=$1 line=""
	shift
	rm -f "$W/$tag.rdy"
	mkfifo "$W/$tag.rdy"
	"$LISTEN" "$@" --ready-fd 3 3>"$W/$tag.rdy" >"$W/$tag.out" 2>"$W/$tag.err" &
	LPID[$tag]=$!
	STARTED+=("$!")
	read -r -t 10 line <"$W/$tag.rdy"
	if [ "$line" != ready ]; then
		echo "    $tag: no readiness: $(cat "$W/$tag.err")"
		return 1
	fi
}

# wait_rc PID [SECONDS]: its exit status; killed (137) if it overstays.
wait_rc() {
	local pid=$1 limit=$(( ${2:-15} * 20 )) i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt "$limit" ]; do
		sleep 0.05
		i=$((i + 1))
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
	wait "$pid"
}

# done_ok TAG: the listener TAG exited 0.
done_ok() {
	local rc
	wait_rc "${LPID[$1]}"
	rc=$?
	[ $rc -eq 0 ] || echo "    $1: exit status $rc: $(tail -5 "$W/$1.err")"
	return $rc
}

# wait_file FILE PATTERN [SECONDS]: until a line of FILE matches.
wait_file() {
	local limit=$(( ${3:-10} * 20 )) i=0
	until grep -qE "$2" "$1" 2>/dev/null; do
		[ $i -ge "$limit" ] && return 1
		sleep 0.05
		i=$((i + 1))
	done
}

# wait_lines FILE N [SECONDS]: until FILE has N lines.
wait_lines() {
	local limit=$(( ${3:-10} * 20 )) i=0
	until [ "$(wc -l <"$1" 2>/dev/null || echo 0)" -ge "$2" ]; do
		[ $i -ge "$limit" ] && return 1
		sleep 0.05
		i=$((i + 1))
	done
}

# wait_members N: until N sockets joined 225.0.0.1 on lo (socat has no
# readiness signal of its own; the kernel's membership count is one).
wait_members() {
	local i=0
	until awk -v n="$1" '/^[0-9]/ { dev = $2 }
		dev == "lo" && $1 == "010000E1" && $2 >= n { found = 1 }
		END { exit !found }' /proc/net/igmp; do
		[ $i -ge 200 ] && return 1
		sleep 0.05
		i=$((i + 1))
	done
}

# summary TAG KEY: a number from the listener's summary line.
summary() {
	# The last: SIGUSR1 prints summaries before the one at exit.
	sed -n "s/.*summary:.* $2=\([0-9]*\).*/\1/p" "$W/$1.err" | tail -n 1
}

# expect_summary TAG KEY=N...: every KEY has value N.
# udp_drops PID: the drops counter of PID's UDP socket (/proc/net/udp).
udp_drops() {
	local ino
	ino=$(readlink /proc/"$1"/fd/* 2>/dev/null |
		sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p' | head -n 1)
	awk -v ino="$ino" 'NR > 1 && $10 == ino { print $13 }' /proc/net/udp \
		/proc/net/udp6
}

expect_summary() {
	local tag=$1 kv v r=0
	shift
	for kv in "$@"; do
		v=$(summary "$tag" "${kv%%=*}")
		if [ "$v" != "${kv#*=}" ]; then
			echo "    $tag: ${kv%%=*}=$v, expected ${kv#*=}"
			r=1
		fi
	done
	return $r
}

# pyjson FILE CODE: CODE asserts on L, the JSON objects of FILE's lines.
pyjson() {
	python3 - "$@" <<'PY'
import json, sys
L = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
try:
    exec(sys.argv[2])
except (AssertionError, KeyError, IndexError) as e:
    print("    assertion failed: %r in %s" % (e, sys.argv[1]))
    print("    lines: %s" % L[:6])
    sys.exit(1)
PY
}

send() { "$SEND" -p "$PORT" "$@"; }

NETDEV="type=netdev,netdev=up,ifname=eth0,ifindex=2,mtu=1500,ifflags=4099,cpu=1"
MODULE="type=module,module=nf_tables,state=live,cpu=0"
INJECTED="type=injected,text=hello world,cpu=0"

# ------------------------------------------------------------ process tests

process_tests() {
	local b=$1 t0 t1 ms
	LISTEN=$TOP/$b/bin/mcbridge-listen
	SEND=$TOP/$b/tests/client/mcb-test-send
	local s="($b)"

	# Readiness: the line on stderr, the membership on lo, SIGTERM.
	next_port
	if start ready -p $PORT -t 20; then
		check "readiness line $s" grep -qx \
			"mcbridge-listen: listening on 225.0.0.1:$PORT via 127.0.0.1" \
			"$W/ready.err"
		check "joined 225.0.0.1 on lo $s" wait_members 1
		# SIGUSR1: the summary so far, and on.
		send "bin:bseq=1,$NETDEV"
		check "an event before SIGUSR1 $s" wait_lines "$W/ready.out" 1
		kill -USR1 "${LPID[ready]}"
		check "SIGUSR1: the summary so far $s" wait_file "$W/ready.err" \
			'summary: received=1 events=1 printed=1 gaps=0'
		send "bin:bseq=2,$NETDEV"
		check "SIGUSR1: still running, the next event printed $s" \
			wait_lines "$W/ready.out" 2
		kill -TERM "${LPID[ready]}"
		check "SIGTERM: exit 0 with a summary $s" done_ok ready
		check "summary printed $s" expect_summary ready received=2 bad=0
	else
		nok "listener starts $s"
	fi
	# The same wait without --ready-fd: on the stderr line.
	next_port
	# Not the previous build's files: the shell truncates them only in
	# the child, which the wait below could outrun.
	rm -f "$W/line.out" "$W/line.err"
	"$LISTEN" -p $PORT -c 1 -t 20 >"$W/line.out" 2>"$W/line.err" &
	LPID[line]=$!
	STARTED+=("$!")
	if wait_file "$W/line.err" "^mcbridge-listen: listening on "; then
		send "json:bseq=1,$NETDEV"
		check "stderr readiness line is enough to start sending $s" done_ok line
		check "  ...and the event arrived $s" pyjson "$W/line.out" \
			"assert len(L) == 1 and L[0]['ifname'] == 'eth0'"
	else
		nok "stderr readiness line $s"
	fi

	# JSON datagrams: every field, in order.
	next_port
	start json -p $PORT -c 3 -t 20 &&
	send "json:bseq=1,btime=1000,kseq=10,ktime=900,$NETDEV" \
	     "json:bseq=2,btime=2000,kseq=11,ktime=1900,$MODULE" \
	     "json:bseq=3,btime=3000,kseq=12,ktime=2900,$INJECTED"
	check "json: --count 3 exits 0 $s" done_ok json
	check "json: fields and order $s" pyjson "$W/json.out" "
assert len(L) == 3, len(L)
assert [e['bridge_seq'] for e in L] == [1, 2, 3]
assert all(e['kind'] == 'event' and e['family'] == 'mcbridge' and
           e['group'] == 'events' and e['cmd'] == 'event' and
           e['cmd_id'] == 1 for e in L)
n, m, i = L
assert (n['type'], n['netdev_event'], n['ifname'], n['ifindex'], n['mtu'],
        n['ifflags'], n['cpu'], n['seq'], n['timestamp_ns'],
        n['bridge_time_ns']) == ('netdev', 'up', 'eth0', 2, 1500, 4099, 1,
                                 10, 900, 1000), n
assert (m['type'], m['module'], m['module_state']) == ('module', 'nf_tables',
                                                      'live'), m
assert (i['type'], i['text'], i['seq']) == ('injected', 'hello world', 12), i
assert 'latency_ns' not in n"

	# Binary datagrams of the same events: the very same lines.
	next_port
	start bin -p $PORT -c 3 -t 20 &&
	send "bin:bseq=1,btime=1000,kseq=10,ktime=900,$NETDEV" \
	     "bin:bseq=2,btime=2000,kseq=11,ktime=1900,$MODULE" \
	     "bin:bseq=3,btime=3000,kseq=12,ktime=2900,be=1,$INJECTED"
	check "binary: --count 3 exits 0 $s" done_ok bin
	check "binary: rendered exactly like the JSON datagrams $s" \
		cmp "$W/json.out" "$W/bin.out"

	# Another family's attributes, both formats.
	next_port
	start gen -p $PORT -c 2 -t 20 &&
	send "json:family=nlctrl,group=notify,cmd=1,bseq=1,generic=1" \
	     "bin:family=nlctrl,group=notify,cmd=1,bseq=2,generic=1"
	check "generic attrs: exits 0 $s" done_ok gen
	check "generic attrs: same from JSON and binary $s" pyjson "$W/gen.out" "
assert len(L) == 2
for e in L: del e['bridge_seq']
assert L[0] == L[1], L
a = L[0]['attrs']
assert a[0] == {'type': 2, 'len': 8, 'str': 'fam\"ily'}, a[0]
assert a[1] == {'type': 1, 'len': 2, 'u16': 4660}, a[1]
assert a[2]['nested'][1] == {'type': 2, 'len': 6, 'str': 'inner'}, a[2]
assert a[3] == {'type': 9, 'len': 3, 'hex': '010203'}, a[3]
assert L[0]['cmd'] == '1' and L[0]['family'] == 'nlctrl'"

	# Bad datagrams: counted, shown escaped, never a crash.
	next_port
	start bad -p $PORT -c 1 -t 20 &&
	send "raw:Hello, I am server!" random:300:7 zeros:0 zeros:65507 \
	     random:65507:3 "bin:cut=50" "bin:version=2,$NETDEV" \
	     "bin:magic=0x4d434253" "bin:hdrlen=64" "bin:attrdelta=8,$NETDEV" \
	     "bin:kind=9" "json:cut=40,$NETDEV" "raw:{" 'raw:{"kind":"party"}' \
	     "json:bseq=1,$NETDEV"
	check "bad datagrams: still running, exit 0 $s" done_ok bad
	check "bad datagrams: counted $s" expect_summary bad received=15 bad=14 \
		events=1 printed=1
	check "bad datagrams: the good one printed $s" pyjson "$W/bad.out" \
		"assert len(L) == 1 and L[0]['ifname'] == 'eth0'"
	check "bad datagrams: shown escaped $s" grep -qF \
		'bytes, not an mcbridge datagram: "Hello, I am server!"' "$W/bad.err"
	check "bad datagrams: version named $s" grep -q \
		"unsupported wire version" "$W/bad.err"
	check "bad datagrams: kinds counted $s" grep -qE \
		"bad:.* truncated=[0-9]+" "$W/bad.err"
	check "bad datagrams: long ones cut short $s" \
		awk 'length($0) > 700 { exit 1 }' "$W/bad.err"

	# Forged strings with invalid UTF-8, 0x9b (CSI), DEL and C0/C1
	# controls, in fixed fields and inside nested values: every line
	# printed is valid UTF-8 JSON with no raw control byte.
	next_port
	start hostile -p $PORT -c 3 -t 20 &&
	python3 tests/client/hostile_json.py send $PORT
	check "hostile strings: exit 0 $s" done_ok hostile
	check "hostile strings: all 3 printed $s" expect_summary hostile \
		printed=3 bad=0
	check "hostile strings: every line UTF-8 JSON, controls escaped $s" \
		python3 tests/client/hostile_json.py check "$W/hostile.out" 3

	# Gaps and a restart.
	next_port
	start gap -p $PORT -c 6 -t 20 &&
	send "json:bseq=1" "json:bseq=2" "json:bseq=5" "bin:bseq=6" \
	     "json:bseq=1" "json:bseq=2"
	check "gaps: exit 0 $s" done_ok gap
	check "gaps: 1 gap of 2, 1 restart $s" expect_summary gap gaps=1 \
		missing=2 restarts=1 printed=6
	check "gaps: reported on stderr $s" grep -q \
		"gap: mcbridge/events bridge_seq 5, 2 missing" "$W/gap.err"
	check "restart: reported on stderr $s" grep -q \
		"restart: mcbridge/events bridge_seq back to 1" "$W/gap.err"

	# Issue 12: joined a run at 31, got 31..47, then the restarted bridge's
	# 1..31 (later bridge_time_ns): all 48 arrived, one restart, nothing
	# missing or late (was gaps=1 missing=30 restarts=1 late=30).
	next_port
	start rerun -p $PORT -c 48 -t 20 &&
	send "json:bseq=31,n=17,btime=5000000000" \
	     "bin:bseq=1,n=31,btime=7000000000"
	check "restart of 48: exit 0 $s" done_ok rerun
	check "restart of 48: one restart, nothing missing $s" expect_summary \
		rerun printed=48 gaps=0 missing=0 restarts=1 late=0

	# Notices.
	next_port
	start notice -p $PORT -c 1 -t 20 &&
	send "json:kind=overrun,count=3,bseq=1" \
	     "bin:kind=lost,count=4,kseq=100,bseq=2" "json:bseq=3,$MODULE"
	check "notices: exit 0 $s" done_ok notice
	check "notices: counted $s" expect_summary notice overrun_notices=1 \
		overruns=3 lost_notices=1 lost_events=4 gaps=0 events=1
	check "notices: printed in order $s" pyjson "$W/notice.out" "
assert [e['kind'] for e in L] == ['overrun', 'lost', 'event'], L
assert L[0]['count'] == 3 and L[1]['count'] == 4
assert L[1]['kernel_seq'] == 100"
	check "notices: on stderr $s" grep -q \
		"lost: mcbridge/events: 4 event(s) missing from the kernel sequence before seq 100" \
		"$W/notice.err"

	# --count stops at N even when more come.
	next_port
	start count -p $PORT -c 4 -t 20 && send "json:bseq=1,n=10,$NETDEV"
	check "--count 4: exit 0 $s" done_ok count
	check "--count 4: exactly the first 4 $s" pyjson "$W/count.out" \
		"assert [e['bridge_seq'] for e in L] == [1, 2, 3, 4], L"

	# --timeout with nothing sent.
	next_port
	t0=$(date +%s%N)
	start tmo -p $PORT -t 0.4
	check "--timeout 0.4: exit 0 $s" done_ok tmo
	t1=$(date +%s%N)
	ms=$(( (t1 - t0) / 1000000 ))
	check "--timeout 0.4: took ${ms} ms $s" test "$ms" -ge 400 -a "$ms" -lt 5000
	check "--timeout: nothing received $s" expect_summary tmo received=0

	# A local flood faster than we decode: --timeout and SIGTERM still end
	# the listener within a batch, and per-datagram stderr lines (one
	# notice each, well-formed) stay bounded.  Before, neither ended it
	# while the queue stayed full, and each datagram wrote a line.
	flood() {
		FLOOD=()
		for k in 1 2; do
			"$SEND" -p $PORT "json:kind=overrun,count=1,bseq=1,n=4000000000" \
				>/dev/null 2>&1 &
			FLOOD+=($!)
			STARTED+=($!)
		done
	}
	flood_stop() { kill -KILL "${FLOOD[@]}" 2>/dev/null; wait "${FLOOD[@]}" 2>/dev/null; }
	# The flood never ends by itself: still running means the listener
	# stopped under it, not after it.
	flood_running() { kill -0 "${FLOOD[@]}" 2>/dev/null; }
	# flooded TAG: it got the flood, and wrote few stderr lines.
	flooded() {
		local n lines
		n=$(sed -n 's/.*summary: received=\([0-9]*\).*/\1/p' "$W/$1.err")
		lines=$(wc -l <"$W/$1.err")
		echo "    $1: received ${n:-?}, $lines stderr lines"
		[ "${n:-0}" -ge 1000 ] && [ "$lines" -le 60 ]
	}
	next_port
	# The timeout runs from the join: time it from the readiness line.
	start ftmo -p $PORT -t 1
	t0=$(date +%s%N)
	flood
	wait_rc "${LPID[ftmo]}" 5
	rc=$?
	t1=$(date +%s%N)
	flood_running
	during=$?
	flood_stop
	ms=$(( (t1 - t0) / 1000000 ))
	check "flood: --timeout 1 exits 0 $s" test "$rc" -eq 0
	check "flood: --timeout 1 ended under the flood $s" test "$during" -eq 0
	# Loose: a loaded host or the sanitizers slow the drain; the check
	# above is the one that fails on a listener deaf to its timeout.
	check "flood: --timeout 1 took ${ms} ms (< 4000) $s" test "$ms" -lt 4000
	check "flood: --timeout 1: stderr bounded $s" flooded ftmo
	check "flood: suppressed lines summed up $s" grep -qE \
		"[0-9]+ more notice message\(s\) not shown" "$W/ftmo.err"
	next_port
	start fterm -p $PORT -t 60 && flood &&
	wait_file "$W/fterm.err" "overrun:"
	t0=$(date +%s%N)
	kill -TERM "${LPID[fterm]}"
	wait_rc "${LPID[fterm]}" 5
	rc=$?
	t1=$(date +%s%N)
	flood_running
	during=$?
	flood_stop
	ms=$(( (t1 - t0) / 1000000 ))
	check "flood: SIGTERM exits 0 $s" test "$rc" -eq 0
	check "flood: SIGTERM: ended under the flood $s" test "$during" -eq 0
	check "flood: SIGTERM took ${ms} ms (< 3000) $s" test "$ms" -lt 3000
	check "flood: SIGTERM: stderr bounded $s" flooded fterm

	# --timeout 0 and --count 0: no limit, as documented.
	next_port
	start zero -p $PORT -t 0 -c 0 && send "json:bseq=1,n=5,$NETDEV" &&
	wait_lines "$W/zero.out" 5 && kill -0 "${LPID[zero]}" 2>/dev/null
	check "--timeout 0 --count 0: still running after 5 events $s" test $? -eq 0
	kill -TERM "${LPID[zero]}"
	check "--timeout 0 --count 0: SIGTERM exits 0 $s" done_ok zero
	check "--timeout 0 --count 0: all 5 printed $s" expect_summary zero printed=5

	# SIGINT ends it like SIGTERM.
	next_port
	start int -p $PORT -t 30 && kill -INT "${LPID[int]}"
	check "SIGINT: exit 0 $s" done_ok int

	# Exit codes.
	check "bad option: exit 2 $s" eval '"$LISTEN" --bogus 2>"$W/x.err"; test $? -eq 2'
	check "bad option: message $s" grep -q "unknown option '--bogus'" "$W/x.err"
	check "bad port: exit 2 $s" eval '"$LISTEN" -p 0 2>/dev/null; test $? -eq 2'
	check "unicast group: exit 2 $s" eval '"$LISTEN" -g 10.1.2.3 2>/dev/null; test $? -eq 2'
	check "extra argument: exit 2 $s" eval '"$LISTEN" foo 2>/dev/null; test $? -eq 2'
	check "--help: exit 0 $s" eval '"$LISTEN" --help | grep -q "^Usage: mcbridge-listen"'
	check "--version: exit 0 $s" eval '"$LISTEN" --version | grep -q "^mcbridge-listen "'
	check "join on a foreign address: exit 1 $s" eval \
		'"$LISTEN" -i 192.0.2.1 -t 1 2>"$W/x.err"; test $? -eq 1'
	check "join failure named $s" grep -q "IP_ADD_MEMBERSHIP" "$W/x.err"
	check "closed --ready-fd: exit 1 $s" eval \
		'"$LISTEN" -p $PORT --ready-fd 99 -t 1 2>/dev/null; test $? -eq 1'

	# --latency: per event and the summary.
	next_port
	start lat -p $PORT -c 20 -t 20 --latency &&
	send "json:bseq=1,n=10,kseq=1,ktime=now-1000,type=heartbeat" \
	     "bin:bseq=11,n=10,kseq=11,ktime=now-1000,type=heartbeat"
	check "--latency: exit 0 $s" done_ok lat
	check "--latency: per event $s" pyjson "$W/lat.out" "
assert len(L) == 20
assert all(1000 <= e['latency_ns'] < 10**10 for e in L), L"
	check "--latency: summary $s" python3 - "$W/lat.err" <<'PY'
import re, sys
m = re.search(r"latency_ns: count=(\d+) min=(\d+) p50=(\d+) p99=(\d+) "
              r"max=(\d+) negative=(\d+)", open(sys.argv[1]).read())
assert m, "no latency summary"
count, mn, p50, p99, mx, neg = map(int, m.groups())
assert count == 20 and neg == 0, m.group(0)
assert 1000 <= mn <= p50 <= p99 <= mx < 10**10, m.group(0)
PY

	# --type: only the wanted events; notices always.
	next_port
	start type -p $PORT -c 2 -t 20 --type module,other &&
	send "json:bseq=1,$NETDEV" "json:bseq=2,$MODULE" \
	     "bin:bseq=3,type=heartbeat" "json:kind=overrun,count=1,bseq=4" \
	     "json:family=nlctrl,group=notify,bseq=1,generic=1"
	check "--type: exit 0 $s" done_ok type
	check "--type module,other: module, notice, other family $s" \
		pyjson "$W/type.out" "
assert [(e['kind'], e.get('type'), e['family']) for e in L] == [
    ('event', 'module', 'mcbridge'), ('overrun', None, 'mcbridge'),
    ('event', None, 'nlctrl')], L"
	# The JSON netdev event was read and skipped; the binary heartbeat
	# never reached the socket (the kernel filter).
	check "--type: events read but not wanted still counted $s" \
		expect_summary type events=3 printed=2

	# The kernel filter: binary events of other types and families never
	# reach the socket (the kernel counts them as its drops), JSON ones
	# (types need binary) and notices do.  With --no-kernel-filter the
	# same lines, nothing dropped.  A last wanted event marks the end.
	for kf in kernel user; do
		next_port
		extra=()
		[ $kf = user ] && extra=(--no-kernel-filter)
		start kf$kf -p $PORT -t 20 --type module "${extra[@]}" &&
		send "bin:bseq=1,$NETDEV" "bin:bseq=2,$MODULE" \
		     "bin:bseq=3,type=heartbeat" "bin:kind=overrun,count=1,bseq=4" \
		     "bin:family=nlctrl,group=notify,bseq=5,generic=1" \
		     "json:bseq=6,$NETDEV" "bin:kind=lost,count=3,bseq=7" \
		     "bin:bseq=8,$MODULE"
		check "--type module ($kf filter): 4 lines $s" wait_lines "$W/kf$kf.out" 4
		check "--type module ($kf filter): module, notices, module $s" \
			pyjson "$W/kf$kf.out" "
assert [(e['kind'], e.get('type')) for e in L] == [('event', 'module'),
    ('overrun', None), ('lost', None), ('event', 'module')], L"
		want=0
		[ $kf = kernel ] && want=3
		drops=$(udp_drops "${LPID[kf$kf]}")
		check "--type module ($kf filter): $want datagrams dropped at the socket $s" \
			test "$drops" = $want
		kill -TERM "${LPID[kf$kf]}"
		check "--type module ($kf filter): exit 0 $s" done_ok kf$kf
		check "--type module ($kf filter): received $((8 - want)) $s" \
			expect_summary kf$kf received=$((8 - want)) printed=2
		# bseq 3 (binary, filtered by type) is unseen with the kernel
		# filter, never missing; bseq 5 (another stream) is missing
		# from the JSON datagram's view either way.
		if [ $kf = kernel ]; then
			check "--type module (kernel filter): a filtered gap is unseen, not missing $s" \
				expect_summary kf$kf gaps=1 missing=1 unseen=1
		else
			check "--type module (user filter): the same gap counted missing $s" \
				expect_summary kf$kf gaps=1 missing=1
		fi
	done
	# --family, both formats: the JSON event prefix is enough.
	next_port
	start fam -p $PORT -t 20 --family nlctrl &&
	send "bin:bseq=1,$NETDEV" "json:bseq=2,$MODULE" \
	     "json:family=nlctrl,group=notify,bseq=3,generic=1" \
	     "json:kind=overrun,count=1,bseq=4" \
	     "bin:family=nlctrl,group=notify,bseq=5,generic=1"
	check "--family nlctrl: 3 lines $s" wait_lines "$W/fam.out" 3
	check "--family nlctrl: nlctrl events and the notice $s" pyjson "$W/fam.out" "
assert [(e['kind'], e['family'], e['bridge_seq']) for e in L] == [
    ('event', 'nlctrl', 3), ('overrun', 'mcbridge', 4),
    ('event', 'nlctrl', 5)], L"
	drops=$(udp_drops "${LPID[fam]}")
	check "--family nlctrl: 2 dropped at the socket $s" test "$drops" = 2
	kill -TERM "${LPID[fam]}"
	check "--family nlctrl: exit 0 $s" done_ok fam
	# Runs sent as mcbridged sends them (UDP_SEGMENT): the listener takes
	# a run in one receive (UDP_GRO) and prints every datagram of it, in
	# order; a shorter last one ends a run.  With a kernel filter the
	# kernel splits the runs and judges each datagram.
	next_port
	start gro -p $PORT -t 20 &&
	"$SEND" -S -p $PORT "bin:bseq=1,n=20,type=heartbeat" \
		"bin:bseq=21,n=3,type=heartbeat,text=x" "json:bseq=24,n=70,type=heartbeat"
	check "runs (UDP_SEGMENT): 93 lines $s" wait_lines "$W/gro.out" 93
	check "runs (UDP_SEGMENT): every datagram once, in order $s" pyjson "$W/gro.out" "
assert [e['bridge_seq'] for e in L] == list(range(1, 94)), L"
	kill -TERM "${LPID[gro]}"
	check "runs (UDP_SEGMENT): exit 0, no gap $s" eval \
		'done_ok gro && expect_summary gro received=93 gaps=0 bad=0'
	next_port
	start grof -p $PORT -t 20 --type heartbeat &&
	"$SEND" -S -p $PORT "bin:bseq=1,n=10,type=module" \
		"bin:bseq=11,n=10,type=heartbeat"
	check "runs with a kernel filter: the 10 wanted $s" wait_lines "$W/grof.out" 10
	drops=$(udp_drops "${LPID[grof]}")
	check "runs with a kernel filter: 10 dropped at the socket $s" test "$drops" = 10
	kill -TERM "${LPID[grof]}"
	check "runs with a kernel filter: exit 0 $s" done_ok grof
	check "--family: bad names, exit 2 $s" eval \
		'"$LISTEN" --family "" 2>/dev/null; test $? -eq 2 &&
		 "$LISTEN" --family 0123456789abcdef 2>/dev/null; test $? -eq 2'

	# --human.
	next_port
	start human -p $PORT -c 2 -t 20 --human &&
	send "json:bseq=1,kseq=7,$NETDEV" "bin:kind=lost,bseq=2,count=2,kseq=9" \
	     "bin:bseq=3,kseq=10,$INJECTED"
	check "--human: exit 0 $s" done_ok human
	check "--human: lines $s" diff -u - "$W/human.out" <<'EOF'
event mcbridge/events #1 netdev up ifname="eth0" ifindex=2 mtu=1500 flags=0x1003 seq=7 cpu=1
LOST mcbridge/events #2 count=2 kernel_seq=9
event mcbridge/events #3 injected text="hello world" seq=10 cpu=0
EOF

	# --format json / binary refuse the other one.
	next_port
	start fj -p $PORT -c 1 -t 20 --format json &&
	send "bin:bseq=1" "json:bseq=2"
	check "--format json: binary counted as bad $s" done_ok fj
	check "--format json: counts $s" expect_summary fj bad=1 printed=1
	next_port
	start fb -p $PORT -c 1 -t 20 --format binary &&
	send "json:bseq=1" "bin:bseq=2"
	check "--format binary: JSON counted as bad $s" done_ok fb
	check "--format binary: counts $s" expect_summary fb bad=1 printed=1

	# Several listeners share the port (SO_REUSEADDR).
	next_port
	start share1 -p $PORT -c 2 -t 20 && start share2 -p $PORT -c 2 -t 20 &&
	send "json:bseq=1" "bin:bseq=2"
	check "two listeners on one port: both done $s" eval 'done_ok share1 && done_ok share2'
	check "two listeners on one port: same lines $s" eval \
		'[ "$(wc -l <"$W/share1.out")" -eq 2 ] && cmp -s "$W/share1.out" "$W/share2.out"'

	# A burst: the big receive buffer keeps up, nothing missing.
	next_port
	start burst -p $PORT -c 3000 -t 30 --rcvbuf 8M &&
	send "json:bseq=1,n=1500,$NETDEV" "bin:bseq=1501,n=1500,$NETDEV"
	check "burst of 3000: exit 0 $s" done_ok burst
	check "burst of 3000: all there, no gap $s" expect_summary burst \
		printed=3000 gaps=0 bad=0

	# --linger-us: the same burst read in pauses, the same lines.
	next_port
	start linger -p $PORT -c 3000 -t 30 --rcvbuf 8M --linger-us 20000 &&
	send "json:bseq=1,n=1500,$NETDEV" "bin:bseq=1501,n=1500,$NETDEV"
	check "--linger-us burst of 3000: exit 0 $s" done_ok linger
	check "--linger-us burst of 3000: all there, no gap $s" expect_summary linger \
		printed=3000 gaps=0 bad=0
	check "--linger-us: lines identical to the burst read without pauses $s" \
		cmp "$W/burst.out" "$W/linger.out"
	# A signal ends a pause: SIGTERM right after an event.
	next_port
	start lingerterm -p $PORT -t 30 --linger-us 100000 &&
	send "json:bseq=1,$NETDEV" && wait_file "$W/lingerterm.out" '"bridge_seq"' &&
	kill -TERM "${LPID[lingerterm]}"
	check "--linger-us: SIGTERM during a pause exits 0 with a summary $s" \
		eval 'done_ok lingerterm && expect_summary lingerterm printed=1'
}

process_tests build
if [ -x build/san/bin/mcbridge-listen ]; then
	process_tests build/san
fi

# ----------------------------------------------------------------- interop

LISTEN=$TOP/build/bin/mcbridge-listen
SEND=$TOP/build/tests/client/mcb-test-send

# socat and a Python standard-library listener see what mcbridge-listen sees.
next_port
socat -u "UDP4-RECV:$PORT,ip-add-membership=225.0.0.1:127.0.0.1,reuseaddr" - \
	>"$W/socat.out" 2>"$W/socat.err" &
SOCAT=$!
STARTED+=("$SOCAT")
python3 tests/client/pylisten.py --port $PORT --count 5 --timeout 20 \
	>"$W/py.out" 2>"$W/py.err" &
PY=$!
STARTED+=("$PY")
if start inter -p $PORT -c 3 -t 20 && wait_file "$W/py.err" '^ready$' &&
   wait_members 3; then
	send "json:bseq=1,kseq=1,ktime=5,$NETDEV" "json:bseq=2,kseq=2,$MODULE" \
	     "json:kind=overrun,bseq=3,count=2" "json:kind=lost,bseq=4,count=1,kseq=9" \
	     "json:bseq=5,kseq=10,text=caf\\u00e9,type=injected"
	check "interop: mcbridge-listen done" done_ok inter
	check "interop: python listener done" eval 'wait_rc $PY'
	check "interop: socat got 5 datagrams" wait_lines "$W/socat.out" 5
	check "interop: the same 5 objects in all three" python3 - "$W" <<'PY'
import json, sys
w = sys.argv[1]
def load(name):
    return [json.loads(l) for l in open(w + "/" + name, encoding="utf-8")]
ours, py, so = load("inter.out"), load("py.out"), load("socat.out")
assert len(ours) == len(py) == len(so) == 5, (len(ours), len(py), len(so))
assert ours == py == so, (ours, py, so)
assert [e["kind"] for e in so] == ["event", "event", "overrun", "lost", "event"]
assert so[0]["ifname"] == "eth0" and so[0]["netdev_event"] == "up"
assert so[1]["module"] == "nf_tables"
PY
else
	nok "interop: listeners ready"
fi
kill -TERM "$SOCAT" 2>/dev/null

# The real bridge, on the host kernel's ethtool/monitor family: one JSON and
# one binary mapping; socat, Python and mcbridge-listen on the JSON one.
BRIDGE=$TOP/build/bin/mcbridged
if [ ! -x "$BRIDGE" ]; then
	skip "interop with mcbridged: not built"
elif ! command -v ethtool >/dev/null; then
	skip "interop with mcbridged: no ethtool to cause events"
else
	next_port
	PJ=$PORT
	next_port
	PB=$PORT
	"$BRIDGE" --map "ethtool/monitor=225.0.0.1:$PJ" \
		--map "ethtool/monitor=225.0.0.1:$PB,format=binary" \
		>"$W/bridge.out" 2>"$W/bridge.err" &
	BR=$!
	STARTED+=("$BR")
	socat -u "UDP4-RECV:$PJ,ip-add-membership=225.0.0.1:127.0.0.1,reuseaddr" - \
		>"$W/bsocat.out" 2>/dev/null &
	SOCAT=$!
	STARTED+=("$SOCAT")
	PORT=$PJ
	python3 tests/client/pylisten.py --port $PJ --count 2 --timeout 20 \
		>"$W/bpy.out" 2>"$W/bpy.err" &
	PY=$!
	STARTED+=("$PY")
	if wait_file "$W/bridge.out" "^mcbridged: ready" &&
	   start bj -p $PJ -c 2 -t 20 && start bb -p $PB -c 2 -t 20 -f binary &&
	   wait_file "$W/bpy.err" '^ready$' && wait_members 4; then
		# GRO is a software feature even lo can switch: one
		# ETHTOOL_MSG_FEATURES_NTF each time.
		ethtool -K lo gro off >/dev/null 2>&1
		ethtool -K lo gro on >/dev/null 2>&1
		check "mcbridged json: mcbridge-listen done" done_ok bj
		check "mcbridged binary: mcbridge-listen done" done_ok bb
		check "mcbridged: python listener done" eval 'wait_rc $PY'
		check "mcbridged: socat got 2 datagrams" wait_lines "$W/bsocat.out" 2
		check "mcbridged: same events everywhere" python3 - "$W" <<'PY'
import json, sys
w = sys.argv[1]
def load(name):
    return [json.loads(l) for l in open(w + "/" + name, encoding="utf-8")]
js, bn, py, so = load("bj.out"), load("bb.out"), load("bpy.out"), load("bsocat.out")
# Plain clients see an idle bridge's tails too; mcbridge-listen counts them.
py = [e for e in py if e["kind"] != "tail"]
so = [e for e in so if e["kind"] != "tail"]
assert len(js) == len(bn) == len(py) == len(so) == 2, (js, bn, py, so)
assert js == py == so, (js, py, so)
for e in js + bn:
    assert e["kind"] == "event" and e["family"] == "ethtool", e
    assert e["group"] == "monitor" and "attrs" in e, e
# The binary mapping rendered like the JSON one; only its receive time
# (its own netlink socket) differs.
for a, b in zip(js, bn):
    a.pop("bridge_time_ns"); b.pop("bridge_time_ns")
    assert a == b, (a, b)
# The device header names lo.
hdr = js[0]["attrs"][0]["nested"]
assert {"type": 2, "len": 3, "str": "lo"} in hdr, hdr
assert [e["bridge_seq"] for e in js] == [1, 2]
PY
	else
		nok "mcbridged and listeners ready"
		cat "$W/bridge.err"
	fi
	kill -TERM "$BR" "$SOCAT" 2>/dev/null
	check "mcbridged: exits 0 on SIGTERM" eval 'wait_rc $BR'
fi

echo "client: $PASS passed, $FAIL failed${SKIP:+, $SKIP skipped}"
[ "$FAIL" -eq 0 ]
