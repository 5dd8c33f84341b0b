#!/usr/bin/env bash
# Security checks with the real module, run as root inside the test VM
# (tests/vm/vm-run) from the project root: a bridge started as root with
# --key runs unprivileged, still bridges, and resubscribes after a module
# reload; a keyed listener accepts its events.  (EMIT as an unprivileged
# user -> EPERM and listen_admin_only=1 are checked by tests/kmod.)
set -uo pipefail

. tests/vm/guest-lib.sh

KO=kmod/mcbridge.ko
CTL=build/bin/mcbridge-ctl
BRIDGE=build/bin/mcbridged
LISTEN=build/bin/mcbridge-listen
WORK=$(mktemp -d)
BRIDGE_PID=

cleanup() {
	[ -n "$BRIDGE_PID" ] && kill "$BRIDGE_PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

ip link set lo up
rmmod mcbridge 2>/dev/null
if ! insmod "$KO" heartbeat_ms=0; then
	t_fail "insmod" "failed"
	t_done
	exit 1
fi

head -c 32 /dev/urandom >"$WORK/key"
chmod 600 "$WORK/key"

"$BRIDGE" --key "$WORK/key" >"$WORK/bridge.out" 2>"$WORK/bridge.err" &
BRIDGE_PID=$!
if ! t_wait_for -t 30 grep -q '^mcbridged: ready.*subscribed signed' "$WORK/bridge.out"; then
	t_fail "bridge starts" "$(cat "$WORK/bridge.out" "$WORK/bridge.err")"
	t_done
	exit 1
fi

status() { sed -n "s/^$1:[[:space:]]*//p" "/proc/$BRIDGE_PID/status"; }
uids=$(status Uid)
if [ -n "$uids" ] && ! grep -qw 0 <<<"$uids" && [ "$(status CapEff)" = 0000000000000000 ] &&
   [ "$(status CapPrm)" = 0000000000000000 ] && [ "$(status NoNewPrivs)" = 1 ]; then
	t_ok "bridge started as root: uids $uids, CapEff/CapPrm empty, no_new_privs"
else
	t_fail "bridge privileges" "Uid '$uids' CapEff '$(status CapEff)' CapPrm '$(status CapPrm)'"
fi

"$LISTEN" --key "$WORK/key" --type injected --count 2 --timeout 120 --ready-fd 2 \
	>"$WORK/listen.out" 2>"$WORK/listen.err" &
lpid=$!
t_wait_for -t 30 grep -q '^ready' "$WORK/listen.err" || t_fail "listener" "$(cat "$WORK/listen.err")"

"$CTL" emit --text before-reload >/dev/null || t_fail "emit" "before reload"
# Reload: the unprivileged bridge must find the new family and join again.
rmmod mcbridge && insmod "$KO" heartbeat_ms=0 || t_fail "reload" "rmmod/insmod"
if t_wait_for -t 30 sh -c 'test "$(grep -c "$0" "$1")" -ge "$2"' 'mcbridge/events: subscribed' "$WORK/bridge.err" 2; then
	t_ok "unprivileged bridge resubscribed after the module reload"
else
	t_fail "resubscribe" "$(cat "$WORK/bridge.err")"
fi
"$CTL" emit --text after-reload >/dev/null || t_fail "emit" "after reload"
wait "$lpid"
rc=$?
if [ "$rc" -eq 0 ] && grep -q '"text":"before-reload"' "$WORK/listen.out" &&
   grep -q '"text":"after-reload"' "$WORK/listen.out" &&
   grep -q 'auth: epochs=1 unsigned=0 bad_mac=0 replayed=0' "$WORK/listen.err"; then
	t_ok "keyed listener got both injected events (before and after the reload), all authenticated"
else
	t_fail "events across the reload" "rc $rc: $(cat "$WORK/listen.out" "$WORK/listen.err")"
fi
uids=$(status Uid)
grep -qw 0 <<<"$uids" && t_fail "still unprivileged" "Uid $uids" ||
	t_ok "bridge still unprivileged after the reload (uids $uids)"

kill "$BRIDGE_PID"
if wait "$BRIDGE_PID"; then
	t_ok "bridge exits 0 on SIGTERM"
else
	t_fail "bridge exit" "$(cat "$WORK/bridge.err")"
fi
BRIDGE_PID=
rmmod mcbridge
t_check_dmesg_clean
t_done
