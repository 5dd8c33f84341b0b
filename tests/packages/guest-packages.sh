#!/usr/bin/env bash
# Runs inside the systemd test VM (tests/vm/vm-systemd), started by
# suite-packages.sh with the packages in build/deb:
#
#   guest-packages.sh first    on the 6.1 kernel: the daemon alone (module
#                              absent), then all the packages (DKMS builds
#                              the module), the service with a key, its bad
#                              configurations, then the 6.12 kernel installed
#                              (DKMS builds for it) and its image copied out
#   guest-packages.sh second   booted into 6.12: the service is up, events
#                              flow; apt purge leaves the file list as it was
#
# Both runs use the same disk and the same $MCB_VM_OUT (state.list and the
# records of the run: status, security score, journal excerpts).
set -u
export LC_ALL=C
cd "$(dirname "$0")/../.."
. tests/vm/guest-lib.sh
T_SCRIPT=packages-vm

phase=${1:?usage: guest-packages.sh first|second}
top=$PWD
debs=$top/build/deb
O=${MCB_VM_OUT:?not in the VM}
VERSION=$(cat VERSION)
kver=$(uname -r)
export DEBIAN_FRONTEND=noninteractive
# The admin's own files for the key: not the packages', removed before the
# file lists are compared.
KEY=/etc/mcbridge/key
DROPIN=/etc/systemd/system/mcbridged.service.d/key.conf

# Every file and directory of the root, less what the running system and
# apt/dpkg's own bookkeeping change anyway.
state_list() {
	find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run -o \
		-path /tmp -o -path /var/tmp -o -path /var/log -o -path /var/cache -o \
		-path /var/lib/apt -o -path /var/lib/dpkg -o -path /var/lib/systemd -o \
		-path /var/lib/private -o -path /var/lib/initramfs-tools -o \
		-path /etc/machine-id -o -path /etc/ld.so.cache -o -path /lost+found \) \
		-prune -o -print | sort
}

# The unit's state, for messages.
unit_state() {
	systemctl show mcbridged -p ActiveState -p SubState -p Result \
		-p ExecMainStatus -p NRestarts | tr '\n' ' '
}

# Journal lines of the unit since the cursor file $1 was written.
unit_journal() {
	journalctl -q -o cat --after-cursor="$(cat "$1")" -u mcbridged.service
}
cursor() { journalctl -q -n 1 --show-cursor | sed -n 's/^-- cursor: //p' >"$1"; }

# listen PORT FORMAT COUNT NAME: a listener in the background that exits
# after COUNT injected events (or 60 s); output in $O/NAME.out.
lpids=()
listen() {
	mcbridge-listen --port "$1" --format "$2" --type injected --count "$3" \
		--timeout 60 ${LISTEN_KEY:+--key "$LISTEN_KEY"} \
		--ready-fd 3 3>"$O/$4.ready" >"$O/$4.out" 2>"$O/$4.err" &
	lpids+=($!)
}

# events TEXT: 3 events from the module reach a JSON and a binary listener.
events() {
	local text=$1 p n
	lpids=()
	listen 7788 json 3 "$text-7788"
	listen 7789 binary 3 "$text-7789"
	t_wait_for -t 30 grep -q ready "$O/$text-7788.ready" "$O/$text-7789.ready" ||
		t_fail "listeners ready" "$(cat "$O/$text"-*.err)"
	t_check "mcbridge-ctl emit 3 events ($text)" mcbridge-ctl emit --count 3 --text "$text"
	for p in "${lpids[@]}"; do wait "$p"; done
	for p in 7788 7789; do
		n=$(grep -c "\"text\":\"$text\"" "$O/$text-$p.out")
		# With a key, the listener counts what it dropped: nothing.
		if [ "$n" -eq 3 ] && grep -q '"type":"injected"' "$O/$text-$p.out" &&
			grep -q 'summary: .* printed=3 gaps=0 missing=0 .* bad=0' "$O/$text-$p.err" &&
			{ [ -z "${LISTEN_KEY:-}" ] ||
				grep -q 'auth: epochs=1 unsigned=0 bad_mac=0 replayed=0 errors=0' "$O/$text-$p.err"; }; then
			t_ok "3 '$text' events on port $p"
		else
			t_fail "3 '$text' events on port $p" "got $n: $(cat "$O/$text-$p.out" "$O/$text-$p.err")"
		fi
	done
}

# started: the unit is active (Type=notify: after READY=1).
wait_active() { t_wait_for -t "${1:-120}" systemctl is-active -q mcbridged; }

# bad_config NAME EXPECT_STATUS JOURNAL_REGEX: the service, started, fails
# with that status and message and is not restarted.
bad_config() {
	local name=$1 status=$2 re=$3 cur=$O/cursor st log
	cursor "$cur"
	systemctl reset-failed mcbridged 2>/dev/null
	systemctl start mcbridged 2>/dev/null
	# Long enough for a restart (RestartSec=2s) to have happened.
	t_wait_for -t 60 systemctl is-failed -q mcbridged
	sleep 6
	st=$(unit_state)
	log=$(unit_journal "$cur")
	printf '%s\n%s\n' "$st" "$log" >"$O/bad-$name.log"
	if [[ $st == *"ActiveState=failed"* && $st == *"ExecMainStatus=$status "* &&
		$st == *"NRestarts=0"* ]] && grep -qE "$re" <<<"$log"; then
		t_ok "$name: exit status $status, no restart, journal: $(grep -E "$re" <<<"$log" | head -n 1)"
	else
		t_fail "$name: exit status $status, no restart, message /$re/" "$st; journal: $log"
	fi
	systemctl reset-failed mcbridged 2>/dev/null
}

set_opts() { sed -i "s|^MCBRIDGED_OPTS=.*|MCBRIDGED_OPTS=\"$1\"|" /etc/default/mcbridged; }

first() {
	echo "kernel $kver"
	state_list >"$O/state.list"
	dpkg-query -W -f='${Package}\n' >"$O/packages.list"

	# ---- the daemon alone: no module ------------------------------------
	if out=$(apt-get install -y -q "$debs/mcbridge_${VERSION}_amd64.deb" 2>&1); then
		t_ok "apt install ./mcbridge_${VERSION}_amd64.deb (offline)"
	else
		t_fail "apt install ./mcbridge_${VERSION}_amd64.deb" "$(tail -n 20 <<<"$out")"
	fi
	systemctl is-enabled -q mcbridged && ! systemctl is-active -q mcbridged &&
		t_ok "unit enabled by the package, not started by it" ||
		t_fail "unit enabled by the package, not started by it" "$(unit_state)"
	cur=$O/cursor
	cursor "$cur"
	systemctl start mcbridged
	wait_active 60
	sleep 3
	log=$(unit_journal "$cur")
	if systemctl is-active -q mcbridged && [[ $(unit_state) == *"NRestarts=0"* ]] &&
		grep -q 'mcbridge/events -> 225.0.0.1:7788 json waiting for family mcbridge' <<<"$log" &&
		! grep -q 'mcbridge/events: subscribed' <<<"$log"; then
		t_ok "module absent: the service is up, the journal says: $(grep -o 'mcbridge/events -> [^;]*' <<<"$log" | head -n 1)"
	else
		t_fail "module absent: the service is up and waits" "$(unit_state); $log"
	fi
	printf '%s\n' "$log" >"$O/module-absent.log"
	systemctl stop mcbridged

	# ---- all the packages --------------------------------------------------
	if out=$(apt-get install -y -q "$debs"/mcbridge_"$VERSION"_amd64.deb \
		"$debs"/mcbridge-dkms_"$VERSION"_all.deb \
		"$debs"/libmcbridge-client-dev_"$VERSION"_amd64.deb 2>&1); then
		t_ok "apt install ./mcbridge*.deb (offline)"
	else
		t_fail "apt install ./mcbridge*.deb" "$(tail -n 30 <<<"$out")"
	fi
	printf '%s\n' "$out" >"$O/apt-install.log"
	st=$(dkms status -m mcbridge -v "$VERSION" -k "$kver")
	[[ $st == *": installed"* ]] && t_ok "DKMS built and installed the module for $kver" ||
		t_fail "DKMS built and installed the module for $kver" "dkms status: $st"
	path=$(modinfo -n mcbridge 2>&1)
	[[ $path == /lib/modules/$kver/updates/dkms/mcbridge.ko* ]] &&
		t_ok "modinfo finds the DKMS module: $path" ||
		t_fail "modinfo finds the DKMS module" "$path"

	# The -dev package: a program built with pkg-config alone, decoding a
	# datagram with the static library.
	cat >/tmp/app.c <<-'EOF'
	#include <stdio.h>
	#include <string.h>
	#include <mcbridge_client.h>
	int main(void)
	{
		static const char dgram[] = "{\"kind\":\"event\",\"family\":\"mcbridge\","
			"\"group\":\"events\",\"cmd\":\"event\",\"cmd_id\":1,\"bridge_seq\":1,"
			"\"bridge_time_ns\":5,\"seq\":7,\"timestamp_ns\":3,\"type\":\"injected\","
			"\"cpu\":0,\"text\":\"from-dev-package\"}";
		static struct mcb_event ev;
		enum mcb_err err = mcb_decode(dgram, strlen(dgram), MCB_FMT_AUTO, &ev);
		if (err) {
			fprintf(stderr, "mcb_decode: %s\n", mcb_strerror(err));
			return 1;
		}
		mcb_render_json(stdout, &ev, NULL);
		return 0;
	}
	EOF
	if out=$(cc -o /tmp/app /tmp/app.c $(pkg-config --cflags --libs mcbridge-client) 2>&1 && /tmp/app 2>&1) &&
		grep -q '"text":"from-dev-package"' <<<"$out"; then
		t_ok "libmcbridge-client-dev: cc \$(pkg-config --cflags --libs mcbridge-client), mcb_decode works"
	else
		t_fail "libmcbridge-client-dev: build with pkg-config and decode" "$out"
	fi

	# ---- the service, signing with a key from LoadCredential= --------------
	mkdir -p /etc/mcbridge "${DROPIN%/*}"
	head -c 32 /dev/urandom >"$KEY"
	chmod 600 "$KEY"
	printf '[Service]\nLoadCredential=mcbridged.key:%s\n' "$KEY" >"$DROPIN"
	set_opts "--rcvbuf 64M --key cred:mcbridged.key"
	systemctl daemon-reload
	cursor "$cur"
	t_check "systemctl start mcbridged" systemctl start mcbridged
	wait_active 120
	systemctl status --no-pager mcbridged >"$O/status.txt" 2>&1
	if grep -q 'Active: active (running)' "$O/status.txt" && [[ $(unit_state) == *"SubState=running"* ]]; then
		t_ok "systemctl status: active (running), ready (Type=notify)"
	else
		t_fail "systemctl status: active (running)" "$(cat "$O/status.txt")"
	fi
	pid=$(systemctl show -p MainPID --value mcbridged)
	status=$(cat "/proc/$pid/status" 2>/dev/null)
	uid=$(awk '/^Uid:/ {print $2}' <<<"$status")
	if [ "${uid:-0}" -ne 0 ] &&
		[ "$(awk '/^CapBnd:/ {print $2}' <<<"$status")" = 0000000000001000 ] &&
		[ "$(awk '/^CapEff:/ {print $2}' <<<"$status")" = 0000000000000000 ] &&
		[ "$(awk '/^Seccomp:/ {print $2}' <<<"$status")" = 2 ]; then
		t_ok "DynamicUser uid $uid, bounded to CAP_NET_ADMIN, none left, seccomp filter on"
	else
		t_fail "DynamicUser, CAP_NET_ADMIN only, seccomp" "pid $pid: $(grep -E '^(Uid|Cap|Seccomp)' <<<"$status")"
	fi
	LISTEN_KEY=$KEY events signed-61
	LISTEN_KEY=
	systemd-analyze security --no-pager mcbridged >"$O/security.txt" 2>&1
	score=$(grep -o 'Overall exposure level for mcbridged.service: .*' "$O/security.txt")
	[ -n "$score" ] && t_ok "systemd-analyze security: $score" ||
		t_fail "systemd-analyze security" "$(tail -n 5 "$O/security.txt")"
	echo "$score" >"$O/security-score.txt"
	cursor "$cur"
	t_check "systemctl stop mcbridged" systemctl stop mcbridged
	log=$(unit_journal "$cur")
	st=$(unit_state)
	if [[ $st == *"Result=success"* && $st == *"ExecMainStatus=0 "* ]] &&
		grep -q 'final stats' <<<"$log"; then
		t_ok "stop: clean exit, journal: $(grep 'final stats' <<<"$log" | head -n 1)"
	else
		t_fail "stop: clean exit with final counters in the journal" "$st; $log"
	fi
	printf '%s\n' "$log" >"$O/stop.log"

	# ---- bad configurations ---------------------------------------------------
	rm "$DROPIN"
	systemctl daemon-reload
	bad_config missing-credential 2 'no \$CREDENTIALS_DIRECTORY'
	printf '[Service]\nLoadCredential=mcbridged.key:%s.missing\n' "$KEY" >"$DROPIN"
	systemctl daemon-reload
	bad_config missing-key-file 243 'status=243/CREDENTIALS'
	rm "$DROPIN"
	systemctl daemon-reload
	set_opts "--rcvbuf 64M --no-such-option"
	bad_config bad-option 2 'no-such-option'
	set_opts "--rcvbuf 64M --key cred:mcbridged.key"
	printf '[Service]\nLoadCredential=mcbridged.key:%s\n' "$KEY" >"$DROPIN"
	systemctl daemon-reload

	# ---- kernel upgrade: 6.12 with its headers ---------------------------------
	if out=$(apt-get install -y -q --no-install-recommends /var/cache/mcb-kernel-debs/*.deb 2>&1); then
		t_ok "apt install the 6.12 kernel and headers (offline)"
	else
		t_fail "apt install the 6.12 kernel and headers" "$(tail -n 30 <<<"$out")"
	fi
	printf '%s\n' "$out" >"$O/apt-kernel.log"
	new=$(cd /lib/modules && ls -d 6.12* 2>/dev/null | head -n 1)
	st=$(dkms status -m mcbridge -v "$VERSION" -k "${new:-none}")
	[[ $st == *": installed"* ]] && t_ok "DKMS built the module for the new kernel $new" ||
		t_fail "DKMS built the module for the new kernel $new" "dkms status: $st"
	cp "/boot/vmlinuz-$new" "$O/vmlinuz-next"
	cp "/boot/initrd.img-$new" "$O/initrd-next"
	echo "$new" >"$O/kver-next"
}

second() {
	local want
	want=$(cat "$O/kver-next")
	[ "$kver" = "$want" ] && t_ok "booted into $kver" || t_fail "booted into $want" "running $kver"
	# Enabled by the package: started at boot, with the key of the drop-in.
	if wait_active 180; then
		t_ok "mcbridged started at boot: $(unit_state)"
	else
		t_fail "mcbridged started at boot" "$(unit_state); $(journalctl -b -u mcbridged -o cat | tail -n 20)"
	fi
	path=$(modinfo -n mcbridge 2>&1)
	[[ $path == /lib/modules/$kver/updates/dkms/mcbridge.ko* ]] &&
		t_ok "the module of $kver is the DKMS one" || t_fail "the module of $kver is the DKMS one" "$path"
	LISTEN_KEY=$KEY events signed-612
	LISTEN_KEY=
	systemctl stop mcbridged

	# ---- purge: nothing left ---------------------------------------------------
	rm -rf /etc/mcbridge "${DROPIN%/*}"
	systemctl daemon-reload
	if out=$(apt-get purge -y -q mcbridge mcbridge-dkms libmcbridge-client-dev 2>&1); then
		t_ok "apt purge mcbridge mcbridge-dkms libmcbridge-client-dev"
	else
		t_fail "apt purge" "$(tail -n 20 <<<"$out")"
	fi
	printf '%s\n' "$out" >"$O/apt-purge.log"
	state_list >"$O/state-after.list"
	# What the new kernel brought (its packages' files and what their
	# scripts made: initramfs, module indexes) is not the packages' doing.
	# dpkg names files by their unmerged paths (/lib for /usr/lib).
	cat /var/lib/dpkg/info/*.list |
		sed -E 's#^/(lib|lib64|bin|sbin)(/|$)#/usr/\1\2#' | sort -u >/tmp/owned.list
	kre=$(sed 's/[.+]/\\&/g' <<<"$kver")	# 6.12.95+deb12-amd64 as a regex
	left=$(comm -13 "$O/state.list" "$O/state-after.list" | comm -23 - /tmp/owned.list |
		grep -vE "^/boot/[^/]*-$kre\$|^/usr/lib/modules/$kre/modules\.[a-z.]*\$")
	gone=$(comm -23 "$O/state.list" "$O/state-after.list")
	if [ -z "$left" ] && [ -z "$gone" ]; then
		t_ok "file list after purge = before install ($(wc -l <"$O/state.list") paths; the 6.12 kernel's aside)"
	else
		t_fail "file list after purge = before install" "left:
$left
gone:
$gone"
	fi
	[ -z "$(dkms status -m mcbridge 2>/dev/null)" ] && [ ! -e /var/lib/dkms/mcbridge ] &&
		t_ok "DKMS forgot the module" || t_fail "DKMS forgot the module" "$(dkms status -m mcbridge)"
	dpkg-query -W -f='${Package}\n' >"$O/packages-after.list"
	# The new kernel's packages (and what they pulled in) stay.
	for d in /var/cache/mcb-kernel-debs/*.deb; do dpkg-deb -f "$d" Package; done | sort >/tmp/kernel-pkgs.list
	extra=$(comm -13 "$O/packages.list" "$O/packages-after.list" | comm -23 - /tmp/kernel-pkgs.list)
	[ -z "$extra" ] && t_ok "no package left but the new kernel's" || t_fail "no package left" "$extra"
}

case $phase in
first) first ;;
second) second ;;
*) echo "usage: guest-packages.sh first|second" >&2; exit 2 ;;
esac
journalctl -b -o short-monotonic >"$O/journal-$phase.txt" 2>&1
t_check_dmesg_clean
t_done
