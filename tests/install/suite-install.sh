#!/usr/bin/env bash
# Installation as a system component: `make install` into a DESTDIR and the
# tree it makes, the systemd unit (systemd-analyze verify and security), the
# man pages (man -l without warnings, every option documented), the client
# library through pkg-config, the DKMS package (dkms build), reinstall and
# uninstall; then, in the test VM, a real install (no DESTDIR): the module
# loads through its alias and the daemon runs from the unit's ExecStart line
# (tests/install/guest-install.sh).
#
# Prints "ok NAME" / "FAIL NAME: why" per check and "install: N passed,
# N failed"; exits non-zero when a check failed.  Work files go to
# build/tmp/install-test (kept for a look after a failure).
set -uo pipefail
export LC_ALL=C	# sort and comm agree on the order
cd "$(dirname "$0")/../.."
top=$PWD

T_SCRIPT=install
. tests/lib/check.sh

out=$top/build/tmp/install-test
rm -rf "$out"
mkdir -p "$out"
VERSION=$(cat VERSION)
S=$out/stage		# make install DESTDIR=$S (default PREFIX /usr/local)
P=/usr/local

# ---- make install DESTDIR ----------------------------------------------------
if make install DESTDIR="$S" >"$out/install.log" 2>&1; then
	t_ok "make install DESTDIR=... (PREFIX $P)"
else
	t_fail "make install DESTDIR=..." "$(tail -n 20 "$out/install.log")"
	t_done
	exit 1
fi

kvers=$(ls "$S/lib/modules" 2>/dev/null)
kver=$(printf '%s\n' "$kvers" | head -n 1)
# The dissector goes where this host's tshark loads Lua plugins from.
lua_dir=$(tshark -G folders 2>/dev/null | sed -n 's/^Global Lua Plugins:[[:space:]]*//p')
{
	echo etc/default/mcbridged
	echo "${lua_dir#/}/mcbridge.lua"
	echo etc/default/mcbridge-nats
	echo "lib/modules/$kver/updates/mcbridge.ko"
	for f in bin/mcbridge-ctl bin/mcbridge-listen bin/mcbridge-nats sbin/mcbridged \
		include/linux/mcbridge.h include/mcbridge_client.h \
		lib/libmcbridge-client.a lib/pkgconfig/mcbridge-client.pc \
		lib/systemd/system/mcbridged.service lib/systemd/system/mcbridge-nats.service \
		share/doc/mcbridge/examples/mcbridged.default \
		share/doc/mcbridge/examples/mcbridge-nats.default \
		share/man/man1/mcbridge-ctl.1 share/man/man1/mcbridge-listen.1 \
		share/man/man1/mcbridge-nats.1 \
		share/man/man7/mcbridge-events.7 share/man/man8/mcbridged.8; do
		echo "${P#/}/$f"
	done
	for h in include/mcbridge/*.h; do echo "${P#/}/$h"; done
	for f in VERSION dkms.conf include/uapi/linux/mcbridge.h kmod/Kbuild kmod/Makefile kmod/mcbridge.c \
		 kmod/mcbridge-nl-gen.h kmod/compat.h; do
		echo "usr/src/mcbridge-$VERSION/$f"
	done
} | sort >"$out/expected"
(cd "$S" && find . \( -type f -o -type l \) | sed 's|^\./||' | sort) >"$out/got"
if diff -u "$out/expected" "$out/got" >"$out/tree.diff"; then
	t_ok "staged tree: exactly the $(wc -l <"$out/got") expected files"
else
	t_fail "staged tree: exactly the expected files" "$(cat "$out/tree.diff")"
fi
[ "$(printf '%s\n' "$kvers" | wc -l)" -eq 1 ] &&
	[ "$(modinfo -F vermagic "$S/lib/modules/$kver/updates/mcbridge.ko" | awk '{print $1}')" = "$kver" ] &&
	t_ok "module installed for the release it was built for ($kver)" ||
	t_fail "module installed for the release it was built for" "lib/modules: $kvers"

bad_modes=$(cd "$S" &&
	find . -type f \( -path "./${P#/}/bin/*" -o -path "./${P#/}/sbin/*" \) ! -perm 0755 -printf '%m %p\n' &&
	find . -type f ! -path "./${P#/}/bin/*" ! -path "./${P#/}/sbin/*" ! -perm 0644 -printf '%m %p\n')
[ -z "$bad_modes" ] && t_ok "modes: programs 0755, everything else 0644" ||
	t_fail "modes: programs 0755, everything else 0644" "$bad_modes"
left=$(grep -rIl '@[A-Z_]*@' "$S" 2>/dev/null)
[ -z "$left" ] && t_ok "no @PLACEHOLDER@ left in installed files" ||
	t_fail "no @PLACEHOLDER@ left in installed files" "$left"
# The installed copy is the dissector tests/dissector checks.
cmp -s wireshark/mcbridge.lua "$S$lua_dir/mcbridge.lua" &&
	t_ok "dissector installed in tshark's global Lua plugin folder ($lua_dir)" ||
	t_fail "dissector installed in tshark's global Lua plugin folder" "$lua_dir"

# ---- one version everywhere -------------------------------------------------
unit=$S$P/lib/systemd/system/mcbridged.service
pc=$S$P/lib/pkgconfig/mcbridge-client.pc
dkms_conf=$S/usr/src/mcbridge-$VERSION/dkms.conf
vers="VERSION=$VERSION"
vers+=" dkms=$(kernel_source_dir=KDIR; . "$dkms_conf"; echo "${PACKAGE_VERSION:-}")"
vers+=" pc=$(sed -n 's/^Version: //p' "$pc")"
for m in "$S$P"/share/man/man*/*; do
	vers+=" $(basename "$m")=$(sed -n 's/^\.TH [^"]*"mcbridge \([^"]*\)".*/\1/p' "$m")"
done
vers+=" mcbridged=$("$S$P/sbin/mcbridged" --version | awk '{print $2}')"
vers+=" mcbridge-listen=$("$S$P/bin/mcbridge-listen" --version | awk '{print $2}')"
vers+=" mcbridge-nats=$("$S$P/bin/mcbridge-nats" --version | awk '{print $2}')"
mism=$(tr ' ' '\n' <<<"$vers" | grep -v "=$VERSION\$")
[ -z "$mism" ] && t_ok "version $VERSION in dkms.conf, .pc, man pages, mcbridged, mcbridge-listen and mcbridge-nats --version" ||
	t_fail "one version everywhere" "$vers"

# ---- systemd units -----------------------------------------------------------
# systemd-analyze needs the system's own units (targets) beside ours, and
# finds the Documentation= pages through MANPATH.
vroot=$out/verify-root
mkdir -p "$vroot/usr/lib/systemd"
cp -a "$S/." "$vroot/"
cp -a /usr/lib/systemd/system "$vroot/usr/lib/systemd/"
export MANPATH=$S$P/share/man:

# check_unit NAME PROGRAM WHAT KEY=VALUE...: ExecStart= runs the installed
# PROGRAM with the installed EnvironmentFile=, the unit has each line
# KEY=VALUE (WHAT says what they mean), systemd-analyze verify is clean and
# its security exposure at most 2.5.
check_unit() {
	local name=$1 prog=$2 what=$3 u=$S$P/lib/systemd/system/$1.service
	local exec_start envfile bin missing= kv v rc sec
	shift 3
	exec_start=$(sed -n 's/^ExecStart=//p' "$u")
	envfile=$(sed -n 's/^EnvironmentFile=-\{0,1\}//p' "$u")
	bin=${exec_start%% *}
	[ "$bin" = "$P/$prog" ] && [ -x "$S$bin" ] && [ -f "$S$envfile" ] &&
		t_ok "$name unit: ExecStart=$bin and EnvironmentFile=$envfile are the installed files" ||
		t_fail "$name unit: ExecStart and EnvironmentFile are the installed files" "ExecStart=$exec_start EnvironmentFile=$envfile"
	for kv in "$@"; do
		grep -qx "$kv" "$u" || missing+=" $kv"
	done
	[ -z "$missing" ] && t_ok "$name unit: $what" ||
		t_fail "$name unit: $what" "missing:$missing"
	v=$(systemd-analyze verify --root="$vroot" "$P/lib/systemd/system/$name.service" 2>&1)
	rc=$?
	[ "$rc" -eq 0 ] && [ -z "$v" ] && t_ok "systemd-analyze verify $name.service: clean" ||
		t_fail "systemd-analyze verify $name.service: clean" "status $rc: $v"
	sec=$(systemd-analyze security --offline=yes --root="$vroot" "$P/lib/systemd/system/$name.service" 2>&1 |
		sed -n "s/.*Overall exposure level for $name.service: \([0-9.]*\).*/\1/p")
	if [ -n "$sec" ] && awk -v e="$sec" 'BEGIN { exit !(e <= 2.5) }'; then
		t_ok "systemd-analyze security $name.service: exposure $sec (at most 2.5)"
	else
		t_fail "systemd-analyze security $name.service: exposure at most 2.5" "got '${sec:-no figure}'"
	fi
}
check_unit mcbridged sbin/mcbridged "notify, restart on failure, dynamic user, hardening" \
	Type=notify Restart=on-failure DynamicUser=yes NoNewPrivileges=yes \
	ProtectSystem=strict AmbientCapabilities=CAP_NET_ADMIN CapabilityBoundingSet=CAP_NET_ADMIN
# The forwarder: no capability at all, the same sandbox.
check_unit mcbridge-nats bin/mcbridge-nats "notify, restart on failure, dynamic user, no capabilities" \
	Type=notify Restart=on-failure DynamicUser=yes NoNewPrivileges=yes \
	ProtectSystem=strict CapabilityBoundingSet= PrivateUsers=yes
unset MANPATH

# The system calls the unit allows, in the order systemd applies them: the
# first list sets the default, "~" lines take away, later lines add.
expand_set() {
	local n
	systemd-analyze syscall-filter "$1" | sed 1d | awk '$1 !~ /^#/ {print $1}' |
		while read -r n; do
			case $n in @*) expand_set "$n" ;; *) echo "$n" ;; esac
		done
}
allowed=
while read -r line; do
	deny=0
	[ "${line#\~}" != "$line" ] && { deny=1; line=${line#\~}; }
	set=$(for w in $line; do case $w in @*) expand_set "$w" ;; *) echo "$w" ;; esac; done | sort -u)
	if [ "$deny" -eq 1 ]; then
		allowed=$(comm -23 <(echo "$allowed") <(echo "$set"))
	else
		allowed=$(sort -u <(echo "$allowed") <(echo "$set") | sed '/^$/d')
	fi
done < <(sed -n 's/^SystemCallFilter=//p' "$unit")
echo "$allowed" >"$out/syscalls.allowed"
[ "$(wc -l <"$out/syscalls.allowed")" -gt 100 ] && t_ok "unit's SystemCallFilter= expanded ($(wc -l <"$out/syscalls.allowed") calls)" ||
	t_fail "unit's SystemCallFilter= expanded" "only: $allowed"

# ---- man pages ---------------------------------------------------------------
for m in "$S$P"/share/man/man*/*; do
	name=$(basename "$m")
	w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$m" 2>&1 >"$out/$name.txt")
	if [ -z "$w" ] && grep -q '^NAME' "$out/$name.txt"; then
		t_ok "man -l $name: renders without warnings ($(wc -l <"$out/$name.txt") lines)"
	else
		t_fail "man -l $name: renders without warnings" "$w"
	fi
	found=$(man -M "$S$P/share/man" -w "${name%.*}" 2>&1)
	[ "$found" = "$m" ] && t_ok "man -M finds ${name%.*}(${name##*.}) by name" ||
		t_fail "man -M finds ${name%.*}(${name##*.}) by name" "$found"
done
# Every long option a program lists in --help is in its page.
for prog in sbin/mcbridged:man8/mcbridged.8 bin/mcbridge-listen:man1/mcbridge-listen.1 \
	bin/mcbridge-nats:man1/mcbridge-nats.1; do
	b=$S$P/${prog%%:*}
	page=$S$P/share/man/${prog##*:}
	undoc=
	sub=
	[ "$(basename "$b")" = mcbridge-nats ] && sub=$("$b" sub --help)
	for opt in $({ "$b" --help; echo "$sub"; } | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		grep -q -- "$(sed 's/-/\\\\-/g' <<<"$opt")" "$page" || undoc+=" $opt"
	done
	[ -z "$undoc" ] && t_ok "$(basename "$b"): every option of --help is in its page" ||
		t_fail "$(basename "$b"): every option of --help is in its page" "undocumented:$undoc"
done
undoc=
for w in emit stats monitor $("$S$P/bin/mcbridge-ctl" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
	grep -q -- "$(sed 's/-/\\\\-/g' <<<"$w")" "$S$P/share/man/man1/mcbridge-ctl.1" || undoc+=" $w"
done
[ -z "$undoc" ] && t_ok "mcbridge-ctl: every command and option is in its page" ||
	t_fail "mcbridge-ctl: every command and option is in its page" "undocumented:$undoc"

# ---- the client library through pkg-config ----------------------------------
cat >"$out/app.c" <<'EOF'
/* A program built only from the installed headers and library. */
#include <stdio.h>
#include <string.h>
#include <linux/mcbridge.h>
#include <mcbridge/auth.h>
#include <mcbridge/names.h>
#include <mcbridge_client.h>

int main(void)
{
	static const char dgram[] =
		"{\"kind\":\"event\",\"family\":\"mcbridge\",\"group\":\"events\","
		"\"bridge_seq\":1,\"bridge_time_ns\":5,\"cmd\":\"event\",\"cmd_id\":1,"
		"\"seq\":7,\"timestamp_ns\":4,\"type\":\"injected\",\"cpu\":0,"
		"\"text\":\"hello\"}\n";
	static struct mcb_event ev;
	struct mcb_key key;
	char why[128];
	enum mcb_err err = mcb_decode(dgram, sizeof(dgram) - 1, MCB_FMT_AUTO, &ev);

	if (err != MCB_OK) {
		printf("decode: %s\n", mcb_strerror(err));
		return 1;
	}
	/* Pulls in the authentication code, and with it libcrypto. */
	if (mcb_key_load(&key, "/nonexistent/key", why, sizeof(why)) == 0)
		return 1;
	printf("%s seq=%llu text=%s\n", mcb_name(mcb_event_type_names, ev.type),
	       (unsigned long long)ev.kernel_seq, ev.text);
	return ev.type == MCBRIDGE_EVENT_INJECTED && strcmp(ev.text, "hello") == 0 ? 0 : 1;
}
EOF
pcflags=$(PKG_CONFIG_PATH="$S$P/lib/pkgconfig" pkg-config --define-variable=prefix="$S$P" \
	--cflags --libs mcbridge-client 2>&1)
# The compiler's default language (GNU C): what a user's plain `cc` gets.
if cc -Wall -Wextra -Werror -o "$out/app" "$out/app.c" $pcflags >"$out/app.log" 2>&1 &&
	res=$("$out/app") && [ "$res" = "injected seq=7 text=hello" ]; then
	t_ok "pkg-config mcbridge-client: a program builds from the installed files and decodes"
else
	t_fail "pkg-config mcbridge-client: a program builds from the installed files and decodes" \
		"flags: $pcflags; $(cat "$out/app.log") ${res:-}"
fi

# ---- DKMS -----------------------------------------------------------------------
conf=$(kernel_source_dir=KDIR; . "$dkms_conf" && echo "$PACKAGE_NAME ${BUILT_MODULE_NAME[0]} ${BUILT_MODULE_LOCATION[0]} $AUTOINSTALL")
[ "$conf" = "mcbridge mcbridge kmod/ yes" ] && t_ok "dkms.conf: name, module, location, autoinstall" ||
	t_fail "dkms.conf: name, module, location, autoinstall" "$conf"
# dkms build of the staged sources for every kernel of the matrix
# (kmod/kernels.list; $KERNELS picks some), each where its module is built:
# on this host, or with the dkms of its chroot (the checkout is visible
# there at the same path).  Private trees, and no signing (that would create
# a MOK key pair).
. tests/lib/kernels.sh
for name in $(kernel_names); do
	if ! "$KERNELS_SH" fetch "$name" >"$out/fetch-$name.log" 2>&1; then
		t_fail "[$name] dkms build" "$(tail -n 20 "$out/fetch-$name.log")"
		continue
	fi
	eval "$("$KERNELS_SH" env "$name")"
	d=$out/dkms-$name
	mkdir -p "$d/tree" "$d/install"
	if "$KERNELS_SH" run "$name" env sign_file=/nonexistent dkms build -m mcbridge -v "$VERSION" -k "$KVER" \
		--kernelsourcedir "$KDIR" \
		--sourcetree "$S/usr/src" --dkmstree "$d/tree" --installtree "$d/install" \
		>"$d.log" 2>&1; then
		ko=$(find "$d/tree" -name 'mcbridge.ko*' | head -n 1)
		[ -n "$ko" ] && [ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$KVER" ] &&
			modinfo -F alias "$ko" | grep -qx net-pf-16-proto-16-family-mcbridge &&
			t_ok "[$name] dkms build: mcbridge.ko for $KVER ($KBUILD), with the family alias" ||
			t_fail "[$name] dkms build: mcbridge.ko for $KVER with the family alias" "built: ${ko:-nothing}"
	else
		t_fail "[$name] dkms build for $KVER" "$(tail -n 20 "$d.log"; cat "$d"/tree/mcbridge/*/build/make.log 2>/dev/null | tail -n 20)"
	fi
done

# ---- the staged module resolves through its alias -----------------------------
mkdir -p "$out/modroot/lib/modules"
cp -a "$S/lib/modules/$kver" "$out/modroot/lib/modules/"
r=$(depmod -b "$out/modroot" "$kver" 2>&1 &&
	modprobe -d "$out/modroot" -S "$kver" --show-depends net-pf-16-proto-16-family-mcbridge 2>&1)
grep -q "insmod $out/modroot/lib/modules/$kver/updates/mcbridge.ko" <<<"$r" &&
	t_ok "modprobe resolves net-pf-16-proto-16-family-mcbridge to updates/mcbridge.ko" ||
	t_fail "modprobe resolves the family alias" "$r"

# ---- reinstall and uninstall ---------------------------------------------------
cfg=$S/etc/default/mcbridged
echo 'MCBRIDGED_OPTS="--verbose"	# edited' >>"$cfg"
if make install DESTDIR="$S" WITH_KMOD=no >"$out/reinstall.log" 2>&1 && grep -q '# edited' "$cfg"; then
	t_ok "reinstall keeps an edited /etc/default/mcbridged"
else
	t_fail "reinstall keeps an edited /etc/default/mcbridged" "$(tail -n 5 "$out/reinstall.log")"
fi
make uninstall DESTDIR="$S" >"$out/uninstall.log" 2>&1
rest=$(cd "$S" && find . -type f | sed 's|^\./||')
[ "$rest" = etc/default/mcbridged ] && t_ok "uninstall removes all but the edited configuration" ||
	t_fail "uninstall removes all but the edited configuration" "left: $rest"
cp packaging/mcbridged.default "$cfg"
make uninstall DESTDIR="$S" >>"$out/uninstall.log" 2>&1
rest=$(cd "$S" && find . -type f)
[ -z "$rest" ] && t_ok "uninstall removes an unchanged configuration too" ||
	t_fail "uninstall removes an unchanged configuration too" "left: $rest"

# ---- PREFIX=/usr, no module ----------------------------------------------------
S2=$out/stage-usr
if make install DESTDIR="$S2" PREFIX=/usr WITH_KMOD=no >"$out/install-usr.log" 2>&1; then
	u=$S2/usr/lib/systemd/system/mcbridged.service
	[ -x "$S2/usr/sbin/mcbridged" ] && grep -q '^ExecStart=/usr/sbin/mcbridged ' "$u" &&
		grep -qx 'prefix=/usr' "$S2/usr/lib/pkgconfig/mcbridge-client.pc" &&
		[ -f "$S2/usr/share/man/man8/mcbridged.8" ] && [ -f "$S2/etc/default/mcbridged" ] &&
		[ ! -e "$S2/lib/modules" ] && grep -q 'module not installed' "$out/install-usr.log" &&
		t_ok "PREFIX=/usr WITH_KMOD=no: /usr paths in unit and .pc, no module" ||
		t_fail "PREFIX=/usr WITH_KMOD=no" "$(cd "$S2" && find . -type f | head -n 30)"
else
	t_fail "make install PREFIX=/usr WITH_KMOD=no" "$(tail -n 20 "$out/install-usr.log")"
fi

# ---- in the VM: a real install ----------------------------------------------------
if [ ! -e kmod/mcbridge.ko ]; then
	t_fail "VM install test" "kmod/mcbridge.ko missing (run make first)"
else
	t_tally "VM install test" tests/vm/vm-run --quiet --timeout 400 -- \
		bash tests/install/guest-install.sh "${out#$top/}/syscalls.allowed"
fi

t_done
