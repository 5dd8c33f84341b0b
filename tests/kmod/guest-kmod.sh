#!/usr/bin/env bash
# Kernel module tests, run as root inside the test VM (tests/vm/vm-run) from
# the project root.  Each check asserts on what a direct netlink subscriber
# (mcbridge-ctl monitor) received: fields, order, counts, sequence numbers.
set -uo pipefail

. tests/vm/guest-lib.sh

KO=${MCB_KO:-kmod/mcbridge.ko}	# the module of the booted kernel
CTL=build/bin/mcbridge-ctl
BADINPUT=build/tests/kmod/mcb-badinput
FUZZ=build/tests/kmod/mcb-fuzz
FUZZ_ITERATIONS=${MCB_FUZZ_ITERATIONS:-$(t_events 100000)}
WORK=$(mktemp -d)
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
# The checkout may sit where nobody cannot reach (e.g. under /root): the
# unprivileged runs use copies of the programs.
USERBIN=$(mktemp -d)
chmod 755 "$USERBIN"
cp "$CTL" "$FUZZ" "$USERBIN/"
USER_CTL=$USERBIN/mcbridge-ctl
USER_FUZZ=$USERBIN/mcb-fuzz

load() {
	insmod "$KO" "$@" || { t_fail "insmod $*" "insmod failed"; return 1; }
}

unload() {
	rmmod mcbridge || { t_fail "rmmod" "rmmod failed"; return 1; }
}

# Starts a monitor in the background, output in $WORK/$1.{out,err}; returns
# once it has joined the group (its readiness line).  MON_PID is its pid.
start_monitor() {
	local name=$1
	shift
	"$CTL" monitor "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
	MON_PID=$!
	t_wait_for -t 60 grep -q 'monitor: ready' "$WORK/$name.err" ||
		{ cat "$WORK/$name.err" >&2; return 1; }
}

# Sends the marker event that ends a monitor started with --until END.
marker() {
	"$CTL" emit --text END >/dev/null
}

# Prints field $2 of event line $1 ("key=value" pairs).
field() {
	sed -n "s/.* $2=\\([^ ]*\\).*/\\1/p" <<<" $1"
}

summary_field() {
	field "$(grep '^summary' "$1")" "$2"
}

# --- resolve by name ------------------------------------------------------
test_resolve() {
	local out
	out=$(genl ctrl get name mcbridge 2>&1)
	if grep -q 'Name: mcbridge' <<<"$out" && grep -q 'events' <<<"$out"; then
		t_ok "genl ctrl get name mcbridge shows the family and group events"
	else
		t_fail "genl ctrl resolve" "$out"
	fi
	FAMILY_ID=$(sed -n 's/.*ID: \(0x[0-9a-f]*\).*/\1/p' <<<"$out" | head -n 1)

	start_monitor resolve --until END || { t_fail "libnl resolve" "monitor did not start"; return; }
	marker
	wait "$MON_PID"
	if grep -q "monitor: ready (family $((FAMILY_ID)), group [0-9]" "$WORK/resolve.err" &&
	   grep -q 'type=injected .*text="END"' "$WORK/resolve.out"; then
		t_ok "libnl resolves family $((FAMILY_ID)) and joins group events"
	else
		t_fail "libnl resolve" "$(cat "$WORK/resolve.err" "$WORK/resolve.out")"
	fi
}

# --- netdev events --------------------------------------------------------
test_netdev() {
	local lines want got ifindex line ok=1

	modprobe dummy
	start_monitor netdev --until END || { t_fail "netdev" "monitor did not start"; return; }
	ip link add d0 type dummy &&
	ip link set d0 up &&
	ip link set d0 mtu 1400 &&
	ip link set d0 down &&
	ip link set d0 name d1 &&
	ip link del d1 || t_fail "netdev" "ip link commands failed"
	marker
	wait "$MON_PID"

	lines=$(grep 'type=netdev' "$WORK/netdev.out" | grep -E 'ifname="d[01]"')
	# The events we caused, in order; others (e.g. change) may interleave.
	want='register:d0 up:d0 changemtu:d0 down:d0 rename:d1 unregister:d1'
	got=$(while read -r line; do
		case "$(field "$line" netdev_event)" in
		register | up | changemtu | down | rename | unregister)
			echo -n "$(field "$line" netdev_event):$(field "$line" ifname | tr -d '"') " ;;
		esac
	done <<<"$lines")
	[ "${got% }" = "$want" ] || { ok=0; t_fail "netdev event order" "want '$want', got '${got% }'"; }

	ifindex=$(field "$(head -n 1 <<<"$lines")" ifindex)
	while read -r line; do
		for f in seq ts cpu ifindex ifname netdev_event ifflags mtu; do
			[ -n "$(field "$line" $f)" ] || { ok=0; t_fail "netdev fields" "no $f in: $line"; }
		done
		[ "$(field "$line" ifindex)" = "$ifindex" ] || { ok=0; t_fail "netdev ifindex" "$line"; }
	done <<<"$lines"
	line=$(grep 'netdev_event=up' <<<"$lines" | head -n 1)
	(( $(field "$line" ifflags) & 1 )) || { ok=0; t_fail "netdev up flags" "IFF_UP not set: $line"; }
	line=$(grep 'netdev_event=changemtu' <<<"$lines" | head -n 1)
	[ "$(field "$line" mtu)" = 1400 ] || { ok=0; t_fail "netdev mtu" "$line"; }
	line=$(grep 'netdev_event=down' <<<"$lines" | head -n 1)
	(( ($(field "$line" ifflags) & 1) == 0 )) || { ok=0; t_fail "netdev down flags" "$line"; }
	[ $ok -eq 1 ] && t_ok "netdev: register, up, changemtu, down, rename, unregister with all fields"
}

# --- module events --------------------------------------------------------
test_module() {
	local got

	modprobe -r veth 2>/dev/null
	start_monitor module --until END || { t_fail "module" "monitor did not start"; return; }
	modprobe veth && modprobe -r veth || t_fail "module" "modprobe veth failed"
	marker
	wait "$MON_PID"
	got=$(grep 'type=module' "$WORK/module.out" | grep 'module="veth"' |
	      sed 's/.*module_state=\([a-z]*\).*/\1/' | tr '\n' ' ')
	if [ "$got" = "coming live going " ]; then
		t_ok "module: veth coming, live, going"
	else
		t_fail "module events" "want 'coming live going', got '$got'"
	fi
}

# Median gap between consecutive heartbeat timestamps, in ms.
heartbeat_median_ms() {
	grep 'type=heartbeat' "$1" | sed 's/.* ts=\([0-9]*\).*/\1/' |
		awk 'NR > 1 { print int(($1 - prev) / 1000000) } { prev = $1 }' |
		sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# --- heartbeat ------------------------------------------------------------
test_heartbeat() {
	local param=/sys/module/mcbridge/parameters/heartbeat_ms median n text

	[ "$(cat $param)" = 0 ] || t_fail "heartbeat param" "loaded with 0, reads $(cat $param)"

	start_monitor hb100 --count 11 || { t_fail "heartbeat" "monitor did not start"; return; }
	echo 100 >$param
	wait "$MON_PID"
	median=$(heartbeat_median_ms "$WORK/hb100.out")
	text=$(grep -c 'text="Hello, I am server!"' "$WORK/hb100.out")
	if [ "$text" = 11 ] && [ "$median" -ge 95 ] && [ "$median" -le 200 ]; then
		t_ok "heartbeat at 100 ms: 11 beats, median period $median ms, text as the article's sender"
	else
		t_fail "heartbeat 100 ms" "beats with text: $text, median $median ms"
	fi

	# Stopped while the next monitor joins, so it sees only the new period.
	echo 0 >$param
	start_monitor hb300 --count 6 || { t_fail "heartbeat" "monitor did not start"; return; }
	echo 300 >$param
	wait "$MON_PID"
	median=$(heartbeat_median_ms "$WORK/hb300.out")
	if [ "$median" -ge 295 ] && [ "$median" -le 450 ]; then
		t_ok "heartbeat changed at runtime to 300 ms: median period $median ms"
	else
		t_fail "heartbeat 300 ms" "median $median ms"
	fi

	echo 0 >$param
	# Absence of events can only be shown by waiting: 2 s is 6 periods.
	"$CTL" monitor --timeout 2 >"$WORK/hb0.out" 2>&1
	n=$(summary_field "$WORK/hb0.out" received)
	if [ "$n" = 0 ]; then
		t_ok "heartbeat_ms=0 stops the heartbeat (0 events in 2 s)"
	else
		t_fail "heartbeat stop" "$n events after heartbeat_ms=0"
	fi

	if ! echo abc >$param 2>/dev/null && ! echo 3600001 >$param 2>/dev/null &&
	   [ "$(cat $param)" = 0 ]; then
		t_ok "heartbeat_ms rejects 'abc' and 3600001, keeps its value"
	else
		t_fail "heartbeat param validation" "bad value accepted: $(cat $param)"
	fi
}

# --- EMIT ------------------------------------------------------------------
test_emit() {
	local reply first seqs want

	start_monitor emit --until END || { t_fail "emit" "monitor did not start"; return; }
	reply=$("$CTL" emit --count 3 --text 'hello "kernel"')
	marker
	wait "$MON_PID"
	first=$(sed -n 's/^emitted 3 first_seq \([0-9]*\)$/\1/p' <<<"$reply")
	seqs=$(grep 'type=injected' "$WORK/emit.out" | grep -F 'text="hello \"kernel\""' |
	       sed 's/^seq=\([0-9]*\) .*/\1/' | tr '\n' ' ')
	want="$first $((first + 1)) $((first + 2)) "
	if [ -n "$first" ] && [ "$seqs" = "$want" ]; then
		t_ok "emit --count 3: reply first_seq $first, events $seqs with the text"
	else
		t_fail "emit" "reply '$reply', seqs '$seqs'"
	fi
}

test_burst() {
	local n start end reply

	n=$(t_events 100000)

	start_monitor burst --count $n --quiet --rcvbuf 268435456 ||
		{ t_fail "burst" "monitor did not start"; return; }
	start=$(date +%s%N)
	reply=$("$CTL" emit --count $n --text burst)
	wait "$MON_PID"
	local rc=$?
	end=$(date +%s%N)
	local f=$WORK/burst.out
	if [ $rc -eq 0 ] && [ "$(summary_field "$f" received)" = $n ] &&
	   [ "$(summary_field "$f" gaps)" = 0 ] && [ "$(summary_field "$f" reorders)" = 0 ] &&
	   [ "$(summary_field "$f" overruns)" = 0 ] &&
	   [ $(( $(summary_field "$f" last_seq) - $(summary_field "$f" first_seq) )) = $((n - 1)) ] &&
	   [ "$reply" = "emitted $n first_seq $(summary_field "$f" first_seq)" ]; then
		t_ok "burst of $n: all received, consecutive seqs, no gap ($(( n * 1000 / ((end - start) / 1000000 + 1) )) events/s in the VM)"
	else
		t_fail "burst" "rc $rc, reply '$reply', $(grep summary "$f")"
	fi
}

# A long burst must not stall generic netlink for the whole system: a
# request runs with genetlink's lock held for reading, a family
# registration waits for it to write, and every later request queues
# behind that.  With the per-request cap, a big burst is several requests
# (mcbridge-ctl splits it) and a registration gets in between two.
test_lock_bound() {
	# Long enough that loading a module (from 9p, under emulation) ends
	# well inside it: 10 requests.
	local n before mid emit_pid reply f=$WORK/lock.out

	n=$(t_events 600000)
	# At least three requests of MCBRIDGE_EMIT_MAX_COUNT (65,536), however
	# slow the kernel: the registration must fit between two of them.
	[ "$n" -ge 196608 ] || n=196608

	# Its dependencies stay loaded: the load during the burst is quick.
	if ! { modprobe wireguard && rmmod wireguard; }; then
		t_fail "lock bound" "no wireguard module to register a family with"
		return
	fi
	start_monitor lock --until END --quiet --rcvbuf 1073741824 ||
		{ t_fail "lock bound" "monitor did not start"; return; }
	before=$("$CTL" stats | sed -n 's/^last_seq //p')
	"$CTL" emit --count $n --text lock >"$WORK/lock-emit.out" 2>&1 &
	emit_pid=$!
	t_wait_for -t 60 sh -c "[ \$('$CTL' stats | sed -n 's/^last_seq //p') -gt $((before + 1000)) ]" ||
		t_fail "lock bound" "burst did not start"
	modprobe wireguard	# registers the family "wireguard"
	# A request after it, answered while the burst still ran: its last_seq
	# is inside the burst.
	mid=$("$CTL" stats | sed -n 's/^last_seq //p')
	if [ "$mid" -lt $((before + n)) ]; then
		t_ok "a family registered and a request answered during a $n-event burst (at event $((mid - before)))"
	else
		t_fail "lock bound" "the registration waited for the burst: answered at event $((mid - before)) of $n"
	fi
	wait "$emit_pid"
	reply=$(cat "$WORK/lock-emit.out")
	"$CTL" emit --text END >/dev/null
	wait "$MON_PID"
	# Module events of the registration interleave: every seq from the
	# burst's first to END arrived, and the kernel sent all n.
	if [[ "$reply" == "emitted $n first_seq "* ]] &&
	   [ "$(summary_field "$f" received)" -ge $((n + 1)) ] &&
	   [ "$(summary_field "$f" gaps)" = 0 ] && [ "$(summary_field "$f" overruns)" = 0 ] &&
	   [ $(( $(summary_field "$f" last_seq) - $(summary_field "$f" first_seq) + 1 )) = "$(summary_field "$f" received)" ]; then
		t_ok "the $n-event burst in several requests: all sent and received, no gap"
	else
		t_fail "lock bound burst" "reply '$reply', $(grep summary "$f")"
	fi
	rmmod wireguard
}

test_unprivileged() {
	local out rc

	out=$("${NOBODY[@]}" "$USER_CTL" emit --text nope 2>&1)
	rc=$?
	if [ $rc -ne 0 ] && grep -q 'Operation not permitted' <<<"$out"; then
		t_ok "emit as an unprivileged user: EPERM"
	else
		t_fail "unprivileged emit" "rc $rc: $out"
	fi
	if "${NOBODY[@]}" "$USER_CTL" stats | grep -q '^injected '; then
		t_ok "stats as an unprivileged user"
	else
		t_fail "unprivileged stats" "refused"
	fi
}

test_bad_input() {
	local before after

	before=$("$CTL" stats | grep '^injected ')
	# With a listener, a wrongly accepted emit would be counted.
	start_monitor badmon --until END || { t_fail "bad input" "monitor did not start"; return; }
	if "$BADINPUT" "$FAMILY_ID" >"$WORK/bad.out" 2>&1; then
		t_ok "bad input: $(grep -c '^ok' "$WORK/bad.out") malformed requests refused with their errors"
	else
		t_fail "bad input" "$(cat "$WORK/bad.out")"
	fi
	marker
	wait "$MON_PID"
	after=$("$CTL" stats | grep '^injected ')
	# Only the valid request at the end of the cases and the marker were sent.
	if [ "$(grep -c 'type=injected' "$WORK/badmon.out" 2>/dev/null)" = 2 ] &&
	   [ "${after#injected }" = $(( ${before#injected } + 2 )) ]; then
		t_ok "bad input emitted nothing (injected $before -> $after)"
	else
		t_fail "bad input side effects" "injected $before -> $after"
	fi
}

# Random and mutated messages as root and as an unprivileged user; the
# module must still work after them (dmesg is checked at the end).
test_fuzz() {
	local out_root out_user

	out_root=$("$FUZZ" "$FAMILY_ID" "$FUZZ_ITERATIONS" 1 2>&1) ||
		{ t_fail "fuzz as root" "$out_root"; return; }
	out_user=$("${NOBODY[@]}" "$USER_FUZZ" "$FAMILY_ID" "$FUZZ_ITERATIONS" 2 2>&1) ||
		{ t_fail "fuzz unprivileged" "$out_user"; return; }
	start_monitor fuzzed --until END || { t_fail "fuzz" "monitor did not start"; return; }
	"$CTL" emit --count 5 --text after-fuzz >/dev/null
	marker
	wait "$MON_PID"
	if [ "$(grep -c 'text="after-fuzz"' "$WORK/fuzzed.out")" = 5 ]; then
		t_ok "fuzz: root ($out_root), unprivileged ($out_user); module works after"
	else
		t_fail "fuzz" "module broken after fuzzing: $(cat "$WORK/fuzzed.out")"
	fi
}

test_listen_admin_only() {
	local out rc

	unload || return
	load listen_admin_only=1 heartbeat_ms=0 || return
	out=$("${NOBODY[@]}" "$USER_CTL" monitor --timeout 1 2>&1)
	rc=$?
	if [ $rc -ne 0 ] && grep -q 'cannot join group' <<<"$out"; then
		t_ok "listen_admin_only=1: unprivileged join refused"
	else
		t_fail "listen_admin_only unprivileged" "rc $rc: $out"
	fi
	start_monitor admin --until END || { t_fail "listen_admin_only root" "root could not join"; return; }
	marker
	wait "$MON_PID" && t_ok "listen_admin_only=1: root joins and receives"
	unload
	load heartbeat_ms=0
}

# --- all_netns: devices of every network namespace -------------------------
# Prints "event:ifname:ifindex " for the netdev events of namespace inode $2
# in monitor output $1 (register, up, rename, unregister only).
netns_events() {
	local line
	grep 'type=netdev' "$1" | grep -E " netns_ino=$2( |$)" |
	grep -E 'ifname="n[01]"' | while read -r line; do
		case "$(field "$line" netdev_event)" in
		register | up | rename | unregister)
			echo -n "$(field "$line" netdev_event):$(field "$line" ifname | tr -d '"'):$(field "$line" ifindex) " ;;
		esac
	done
}

test_all_netns() {
	local ns ino want got ok=1 cookies="" ncookies sent
	declare -A inos idx

	unload || return
	load heartbeat_ms=0 || return
	ip netns add mcbA && ip netns add mcbB ||
		{ t_fail "all_netns" "ip netns add failed"; load heartbeat_ms=0; return; }
	start_monitor netns-off --until END || { t_fail "all_netns off" "monitor did not start"; return; }
	ip -n mcbA link add n0 type dummy && ip -n mcbA link del n0 ||
		t_fail "all_netns off" "ip link commands failed"
	marker
	wait "$MON_PID"
	if grep -q 'ifname="n0"' "$WORK/netns-off.out" ||
	   grep -q 'netns_ino=' "$WORK/netns-off.out"; then
		t_fail "all_netns off" "$(grep -E 'n0|netns' "$WORK/netns-off.out")"
	else
		t_ok "all_netns off (default): nothing from other namespaces, no namespace attributes"
	fi
	unload

	load heartbeat_ms=0 all_netns=1 || return
	start_monitor netns --until END || { t_fail "all_netns" "monitor did not start"; return; }
	for ns in mcbA mcbB; do
		inos[$ns]=$(stat -L -c %i /run/netns/$ns)
		ip -n $ns link add n0 type dummy &&
		idx[$ns]=$(ip -n $ns -o link show n0 | cut -d: -f1) &&
		ip -n $ns link set n0 up &&
		ip -n $ns link set n0 down &&
		ip -n $ns link set n0 name n1 || t_fail "all_netns" "ip link in $ns failed"
	done
	ip -n mcbA link del n1
	# Teardown with n1 still inside: the kernel unregisters n1 and lo from
	# a work queue, some time after the name is gone.  The monitor's
	# output comes at its exit; the module's counter says they were sent.
	sent=$("$CTL" stats | sed -n 's/^netdev //p')
	ip netns del mcbB
	t_wait_for -t 60 sh -c "[ \$('$CTL' stats | sed -n 's/^netdev //p') -ge $((sent + 2)) ]" ||
		t_fail "all_netns teardown" "no unregister events from the deleted namespace"
	marker
	wait "$MON_PID"

	for ns in mcbA mcbB; do
		ino=${inos[$ns]}
		want="register:n0:${idx[$ns]} up:n0:${idx[$ns]} rename:n1:${idx[$ns]} unregister:n1:${idx[$ns]}"
		got=$(netns_events "$WORK/netns.out" "$ino")
		[ "${got% }" = "$want" ] ||
			{ ok=0; t_fail "all_netns $ns" "ino $ino: want '$want', got '${got% }'"; }
		cookies+="$(grep -E " netns_ino=$ino( |$)" "$WORK/netns.out" | grep -o ' netns_cookie=[0-9]*' | sort -u) "
	done
	# Where the kernel has cookies: one per namespace, two different ones.
	ncookies=$(wc -w <<<"$cookies")
	if [ "$ncookies" -ne 0 ] && [ "$ncookies" -ne 2 ]; then
		ok=0
		t_fail "all_netns cookies" "one cookie per namespace expected: $cookies"
	fi
	[ $ok -eq 1 ] && t_ok "all_netns=1: register, up, rename, unregister in two namespaces with their inode, ifindex there and $ncookies cookies, teardown included"
	ip netns del mcbA
	unload
	load heartbeat_ms=0
}

# 20 x insmod/rmmod with a listener attached, a burst running and a fast
# heartbeat: rmmod cuts the burst short with an error, never a false success.
test_churn() {
	local i emit_pid rc cut=0 ok=1

	unload || return
	for i in $(seq 1 20); do
		load heartbeat_ms=5 || { ok=0; break; }
		start_monitor churn --allow-gaps --quiet || { ok=0; break; }
		"$CTL" emit --count 1000000 --text churn >"$WORK/churn-emit.out" 2>&1 &
		emit_pid=$!
		# No signal marks "burst under way" but the counter itself.
		t_wait_for -t 60 sh -c "'$CTL' stats | grep -q '^injected [1-9]'" ||
			{ ok=0; t_fail "churn $i" "burst did not start"; }
		unload || { ok=0; break; }
		wait "$emit_pid"
		rc=$?
		if [ $rc -ne 0 ]; then
			grep -q 'cut short' "$WORK/churn-emit.out" ||
				{ ok=0; t_fail "churn $i" "emit failed oddly: $(cat "$WORK/churn-emit.out")"; }
			cut=$((cut + 1))
		fi
		kill -0 "$MON_PID" 2>/dev/null || { ok=0; t_fail "churn $i" "listener died"; }
		kill "$MON_PID"
		wait "$MON_PID"
		grep -q '^summary' "$WORK/churn.out" || { ok=0; t_fail "churn $i" "listener did not exit cleanly"; }
		if grep -q '^mcbridge ' /proc/modules; then
			ok=0
			t_fail "churn $i" "module still loaded"
		fi
	done
	[ $ok -eq 1 ] && t_ok "20 x insmod/rmmod with a listener and a running burst ($cut bursts cut short with an error)"
	load heartbeat_ms=0
}

main() {
	modprobe -r veth dummy 2>/dev/null
	t_kmemleak_clear
	load heartbeat_ms=0 || { t_done; return; }
	# MCB_KMOD_TESTS="all_netns churn": only those (a slow debug kernel);
	# the leak and kernel-log checks below run either way.
	for t in ${MCB_KMOD_TESTS:-resolve netdev module heartbeat emit burst \
		 lock_bound unprivileged bad_input fuzz listen_admin_only \
		 all_netns churn}; do
		if [ "$(type -t "test_$t")" != function ]; then
			t_fail "MCB_KMOD_TESTS" "no test named $t"
			continue
		fi
		"test_$t"
	done
	unload
	t_check_dmesg_clean
	t_check_kmemleak "no leak after every test and the unload"
	rm -rf "$WORK" "$USERBIN"
	t_done
}

main
