#!/usr/bin/env bash
# Runs inside the test VM (tests/vm/vm-run), started by suite-install.sh
# after `make` on the host.  A host that installs mcbridge, for real:
#
#   - `make install` with no DESTDIR, as root, into a writable overlay of the
#     (read-only) host root used as a chroot: files land in /usr/local, /etc,
#     /usr/src and /lib/modules/<kernel>/updates, and depmod runs;
#   - resolving the genetlink family "mcbridge" loads the installed module
#     through its alias (the kernel's modprobe helper sees the overlay's
#     /lib/modules/<kernel> through a bind mount);
#   - the daemon runs from the installed unit's ExecStart line, its variables
#     taken from the installed EnvironmentFile, as an unprivileged user with
#     only CAP_NET_ADMIN (what DynamicUser= and AmbientCapabilities= give),
#     under strace: READY=1 arrives on NOTIFY_SOCKET, events reach listeners
#     on both configured ports, and every system call made is one that the
#     unit's SystemCallFilter= allows;
#   - `make uninstall` removes it all and runs depmod again.
#
# Builds nothing: the VM is far too slow for Kbuild, so the build targets
# are marked up to date with make -o.  For the same reason the installing
# host's /lib/modules/<kernel> holds no other modules (depmod would read
# every one of them over 9p for minutes); nothing else is loaded meanwhile.
set -u
export LC_ALL=C	# sort and comm agree on the order
cd "$(dirname "$0")/../.."
. tests/vm/guest-lib.sh
T_SCRIPT=install-vm

top=$PWD
allowed_file=$top/${1:?usage: guest-install.sh SYSCALLS-ALLOWED-FILE}
kver=$(uname -r)
R=/tmp/sysroot		# the installing host's root
W=/run/mcb-install	# its scratch directory, seen from inside
UID_DYN=61184		# stands in for the DynamicUser= uid
MAKE_NOBUILD=(make -s -C "$top" -o kmod -o client -o bridge -o tools)
VERSION=$(cat VERSION)
pids=()

cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
}
trap cleanup EXIT

in_root() { chroot "$R" "$@"; }

mkdir -p /tmp/ovl/up /tmp/ovl/work "$R"
if ! mount -t overlay overlay -o lowerdir=/,upperdir=/tmp/ovl/up,workdir=/tmp/ovl/work "$R"; then
	t_fail "overlay root" "cannot mount an overlay over the host root"
	t_done
	exit 1
fi
for d in proc sys dev dev/pts; do mount --bind "/$d" "$R/$d"; done
# The installing host gets a private /tmp and /run.  A checkout under one
# of them (a common place to clone) would be hidden: hold on to its view
# through the overlay (writable, make install generates files in it) and
# bind it back on top.  Tests must not depend on where the checkout is.
held=
case "$top/" in
/tmp/*|/run/*)
	held=/tmp/ovl-checkout
	mkdir -p "$held"
	mount --bind "$R$top" "$held"
	;;
esac
mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
mount -t tmpfs -o mode=755 tmpfs "$R/run"
if [ -n "$held" ]; then
	mkdir -p "$R$top"
	mount --bind "$held" "$R$top"
fi
mkdir -p "$R$W"
chmod 755 "$R$W"
mount -t tmpfs -o mode=755 tmpfs "$R/lib/modules/$kver"
for f in build source modules.builtin modules.builtin.modinfo modules.order; do
	cp -a "/lib/modules/$kver/$f" "$R/lib/modules/$kver/"
done

# ---- make install, DESTDIR empty ------------------------------------------
grep -q '^mcbridge ' /proc/modules && t_fail "module not loaded at start" "mcbridge is already loaded"
if out=$(in_root "${MAKE_NOBUILD[@]}" install 2>&1); then
	t_ok "make install (no DESTDIR) as root"
else
	t_fail "make install (no DESTDIR) as root" "$out"
fi
missing=
for f in /usr/local/sbin/mcbridged /usr/local/bin/mcbridge-listen /usr/local/bin/mcbridge-ctl \
	/usr/local/lib/systemd/system/mcbridged.service /etc/default/mcbridged \
	/usr/local/share/man/man8/mcbridged.8 /usr/src/mcbridge-$VERSION/dkms.conf \
	/lib/modules/$kver/updates/mcbridge.ko; do
	[ -e "$R$f" ] || missing+=" $f"
done
[ -z "$missing" ] && t_ok "installed files in place" || t_fail "installed files in place" "missing:$missing"
# tshark finds the dissector by itself, in its global Lua plugin folder.
if fields=$(in_root tshark -G fields 2>/dev/null) &&
   grep -q $'\tmcbridge\.bridge_seq\t' <<<"$fields"; then
	t_ok "tshark loads the installed dissector without -X (mcbridge.* fields)"
else
	t_fail "tshark loads the installed dissector without -X" \
		"$(in_root tshark -G folders 2>&1 | grep -i lua)"
fi
if grep -q '^alias net-pf-16-proto-16-family-mcbridge mcbridge$' "$R/lib/modules/$kver/modules.alias"; then
	t_ok "depmod ran: modules.alias has the family alias"
else
	t_fail "depmod ran: modules.alias has the family alias" "no alias line in $R/lib/modules/$kver/modules.alias"
fi
# The overlay's modules for the kernel's modprobe helper, which runs in the
# VM's root, not in this chroot.
mount --bind "$R/lib/modules/$kver" "/lib/modules/$kver"

# ---- autoload through the alias --------------------------------------------
if out=$(in_root genl ctrl get name mcbridge 2>&1) && grep -q '^mcbridge ' /proc/modules; then
	t_ok "genl ctrl get name mcbridge loads the installed module"
else
	t_fail "genl ctrl get name mcbridge loads the installed module" "$out; /proc/modules: $(grep mcbridge /proc/modules)"
fi
path=$(in_root modinfo -n mcbridge 2>&1)
[ "$path" = "/lib/modules/$kver/updates/mcbridge.ko" ] && t_ok "modinfo finds it in updates/" ||
	t_fail "modinfo finds it in updates/" "modinfo -n mcbridge: $path"
t_check "installed mcbridge-ctl stats" in_root /usr/local/bin/mcbridge-ctl stats

# ---- the daemon from its unit ----------------------------------------------
unit=$R/usr/local/lib/systemd/system/mcbridged.service
exec_line=$(sed -n 's/^ExecStart=//p' "$unit")
envfile=$(sed -n 's/^EnvironmentFile=-\{0,1\}//p' "$unit")
# systemd's rules for this line: "$NAME" stands for the variable's value
# split at whitespace, an unset one for nothing.
argv=()
read -ra words <<<"$exec_line"
for w in "${words[@]}"; do
	case $w in
	\$[A-Za-z_]*)
		val=$(set -a; . "$R$envfile"; printenv "${w#\$}")
		read -ra parts <<<"$val"
		argv+=("${parts[@]}")
		;;
	*) argv+=("$w") ;;
	esac
done
echo "ExecStart as run: ${argv[*]}"
[ "${argv[0]}" = /usr/local/sbin/mcbridged ] && [ "${#argv[@]}" -gt 1 ] &&
	t_ok "ExecStart names the installed daemon, options from $envfile" ||
	t_fail "ExecStart names the installed daemon, options from $envfile" "argv: ${argv[*]}"

# sd_notify receiver, as systemd would have for Type=notify.
python3 - "$R$W/notify.sock" "$R$W/notify.out" <<'EOF' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)
s.settimeout(120)
with open(sys.argv[2], "w") as out:
    while True:
        msg = s.recv(4096).decode()
        out.write(msg + "\n")
        out.flush()
        if "READY=1" in msg.split("\n"):
            break
EOF
pids+=($!)
t_wait_for -t 30 test -S "$R$W/notify.sock"

# chroot itself goes to the background (no function, no subshell), so its
# pid becomes strace's, whose only child is the daemon.
chroot "$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin NOTIFY_SOCKET=$W/notify.sock \
	strace -f -qq -o $W/strace.log \
	setpriv --reuid=$UID_DYN --regid=$UID_DYN --clear-groups \
		--inh-caps=-all,+net_admin --ambient-caps=-all,+net_admin \
		--bounding-set=-all,+net_admin --no-new-privs -- "${argv[@]}" \
	>"$R$W/bridge.out" 2>"$R$W/bridge.err" &
spid=$!
pids+=($spid)
if t_wait_for -t 120 grep -qx READY=1 "$R$W/notify.out"; then
	t_ok "READY=1 on NOTIFY_SOCKET"
else
	t_fail "READY=1 on NOTIFY_SOCKET" "$(cat "$R$W/bridge.err")"
fi
bpid=$(cat "/proc/$spid/task/$spid/children" 2>/dev/null | awk '{print $1}')
status=$(cat "/proc/${bpid:-0}/status" 2>/dev/null)
# The unit's user and capability bounding set; the daemon itself gives up
# its capabilities once set up (docs/security.md).
if [ "$(awk '/^Uid:/ {print $2}' <<<"$status")" = "$UID_DYN" ] &&
	[ "$(awk '/^CapBnd:/ {print $2}' <<<"$status")" = 0000000000001000 ] &&
	[ "$(awk '/^CapEff:/ {print $2}' <<<"$status")" = 0000000000000000 ]; then
	t_ok "daemon runs as uid $UID_DYN, bounded to CAP_NET_ADMIN, none left after setup"
else
	t_fail "daemon runs as uid $UID_DYN, bounded to CAP_NET_ADMIN, none left after setup" \
		"pid ${bpid:-?}: $(grep -E '^(Uid|Cap)' <<<"$status")"
fi
maps=$(grep -o ' -> ' "$R$W/bridge.out" | wc -l)
[ "$maps" -eq 3 ] && t_ok "ready line lists the 3 example mappings" ||
	t_fail "ready line lists the 3 example mappings" "$(cat "$R$W/bridge.out")"
grep -q 'asked 67108864, SO_RCVBUFFORCE' "$R$W/bridge.err" &&
	t_ok "--rcvbuf 64M from the options file, forced with CAP_NET_ADMIN" ||
	t_fail "--rcvbuf 64M from the options file, forced with CAP_NET_ADMIN" "$(cat "$R$W/bridge.err")"

# Listeners on both mcbridge/events mappings: JSON on 7788, binary on 7789.
lpids=()
for spec in "7788 json" "7789 binary"; do
	set -- $spec
	chroot "$R" /usr/local/bin/mcbridge-listen --port "$1" --format "$2" --type injected \
		--count 3 --timeout 60 \
		--ready-fd 3 3>"$R$W/listen-$1.ready" >"$R$W/listen-$1.out" 2>"$R$W/listen-$1.err" &
	lpids+=($!)
	pids+=($!)
done
t_wait_for -t 30 grep -q ready "$R$W/listen-7788.ready" "$R$W/listen-7789.ready" ||
	t_fail "listeners ready" "$(cat "$R$W"/listen-*.err)"
t_check "mcbridge-ctl emit 3 events" in_root /usr/local/bin/mcbridge-ctl emit --count 3 --text via-unit
for i in 0 1; do wait "${lpids[$i]}"; done
for p in 7788 7789; do
	n=$(grep -c '"text":"via-unit"' "$R$W/listen-$p.out")
	[ "$n" -eq 3 ] && t_ok "3 events on port $p" ||
		t_fail "3 events on port $p" "got $n: $(cat "$R$W/listen-$p.out" "$R$W/listen-$p.err")"
done

[ -n "$bpid" ] && kill -TERM "$bpid"
if wait "$spid"; then
	t_ok "SIGTERM: clean exit"
else
	t_fail "SIGTERM: clean exit" "status $?: $(tail -n 5 "$R$W/bridge.err")"
fi

# System calls of the daemon (from its execve on) against the unit's
# SystemCallFilter=, expanded on the host by suite-install.sh (argument 1).
allowed=$(cat "$allowed_file")
used=$(awk '/execve\("[^"]*\/mcbridged"/ {on = 1} on' "$R$W/strace.log" |
	sed -n 's/^[0-9]* *\([a-z_0-9]*\)(.*/\1/p; s/^[0-9]* *<\.\.\. \([a-z_0-9]*\) resumed>.*/\1/p' | sort -u)
bad=$(comm -23 <(echo "$used") <(echo "$allowed") | tr '\n' ' ')
if [ -n "$used" ] && [ -z "$bad" ]; then
	t_ok "SystemCallFilter allows all $(wc -l <<<"$used") system calls used"
else
	t_fail "SystemCallFilter allows all system calls used" "outside the filter: ${bad:-no calls traced}"
fi

# ---- make uninstall -------------------------------------------------------
rmmod mcbridge 2>/dev/null
if out=$(in_root "${MAKE_NOBUILD[@]}" uninstall 2>&1); then
	t_ok "make uninstall"
else
	t_fail "make uninstall" "$out"
fi
left=
for f in /usr/local/sbin/mcbridged /usr/local/bin/mcbridge-listen /usr/local/bin/mcbridge-ctl \
	/usr/local/lib/systemd/system/mcbridged.service /etc/default/mcbridged \
	/usr/local/share/man/man8/mcbridged.8 /usr/src/mcbridge-$VERSION \
	/lib/modules/$kver/updates/mcbridge.ko /usr/local/include/mcbridge; do
	[ -e "$R$f" ] && left+=" $f"
done
[ -z "$left" ] && t_ok "uninstall leaves nothing" || t_fail "uninstall leaves nothing" "left:$left"
if ! grep -q 'family-mcbridge' "$R/lib/modules/$kver/modules.alias" &&
	! in_root modprobe -n mcbridge 2>/dev/null; then
	t_ok "depmod ran again: the alias is gone"
else
	t_fail "depmod ran again: the alias is gone" "modprobe -n mcbridge still resolves"
fi

t_check_dmesg_clean
t_done
