#!/usr/bin/env bash
# The Debian packages (make test-packages; not part of make test: it takes
# about half an hour, most of it DKMS and a kernel install under emulation):
#
#   - `make deb` builds mcbridge, mcbridge-dkms, libmcbridge-client-dev and
#     mcbridge-nats from debian/ and lintian passes them; each holds exactly
#     its files, /etc/default/mcbridged and /etc/default/mcbridge-nats are
#     conffiles, every version is VERSION's, mcbridge needs no NATS client;
#   - in a VM with systemd as PID 1 (tests/vm/vm-systemd), offline:
#     tests/packages/guest-packages.sh installs them, runs the service with
#     a key from LoadCredential=, checks its bad configurations, installs
#     the 6.12 kernel, then boots it and checks the service and the events
#     again, and purges everything.
#
# Prints "ok NAME" / "FAIL NAME: why" per check and "packages: N passed,
# N failed".  Work files (the VM's disk, journal, systemd-analyze security)
# go to build/tmp/packages-test.
# run-all: only when named
set -uo pipefail
export LC_ALL=C
cd "$(dirname "$0")/../.."
top=$PWD

T_SCRIPT=packages
. tests/lib/check.sh

out=$top/build/tmp/packages-test
rm -rf "$out"
mkdir -p "$out/vm"
VERSION=$(cat VERSION)
D=$top/build/deb
t0=$SECONDS

# ---- build and lintian --------------------------------------------------------
if nice make deb >"$out/deb.log" 2>&1; then
	t_ok "make deb: dpkg-buildpackage -us -uc -b, lintian without errors or warnings"
else
	t_fail "make deb" "$(tail -n 30 "$out/deb.log")"
	t_done
	exit 1
fi

# ---- what each package holds ---------------------------------------------------
contents() { dpkg-deb -c "$1" | awk '$1 !~ /^d/ { sub(/^\.\//, "", $6); print $6 }' | sort; }
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
expect_mcbridge="etc/default/mcbridged
lib/systemd/system/mcbridged.service
usr/bin/mcbridge-ctl
usr/bin/mcbridge-listen
usr/lib/$ma/wireshark/plugins/mcbridge.lua
usr/sbin/mcbridged
usr/share/doc/mcbridge/changelog.gz
usr/share/doc/mcbridge/copyright
usr/share/doc/mcbridge/examples/mcbridged.default
usr/share/lintian/overrides/mcbridge
usr/share/man/man1/mcbridge-ctl.1.gz
usr/share/man/man1/mcbridge-listen.1.gz
usr/share/man/man7/mcbridge-events.7.gz
usr/share/man/man8/mcbridged.8.gz"
expect_dkms="usr/share/doc/mcbridge-dkms/changelog.gz
usr/share/doc/mcbridge-dkms/copyright
$(for f in VERSION dkms.conf include/uapi/linux/mcbridge.h kmod/Kbuild kmod/Makefile kmod/compat.h \
	kmod/mcbridge.c kmod/mcbridge-nl-gen.h; do
	echo "usr/src/mcbridge-$VERSION/$f"; done)"
expect_dev="usr/include/linux/mcbridge.h
$(for h in include/mcbridge/*.h; do echo "usr/$h"; done)
usr/include/mcbridge_client.h
usr/lib/$ma/libmcbridge-client.a
usr/lib/$ma/pkgconfig/mcbridge-client.pc
usr/share/doc/libmcbridge-client-dev/changelog.gz
usr/share/doc/libmcbridge-client-dev/copyright"
expect_nats="etc/default/mcbridge-nats
lib/systemd/system/mcbridge-nats.service
usr/bin/mcbridge-nats
usr/share/doc/mcbridge-nats/changelog.gz
usr/share/doc/mcbridge-nats/copyright
usr/share/doc/mcbridge-nats/examples/mcbridge-nats.default
usr/share/lintian/overrides/mcbridge-nats
usr/share/man/man1/mcbridge-nats.1.gz"
for spec in "mcbridge_${VERSION}_amd64.deb:$expect_mcbridge" \
	"mcbridge-dkms_${VERSION}_all.deb:$expect_dkms" \
	"libmcbridge-client-dev_${VERSION}_amd64.deb:$expect_dev" \
	"mcbridge-nats_${VERSION}_amd64.deb:$expect_nats"; do
	deb=${spec%%:*}
	if diff -u <(sort <<<"${spec#*:}") <(contents "$D/$deb") >"$out/$deb.diff"; then
		t_ok "$deb: exactly its $(wc -l <<<"${spec#*:}") files"
	else
		t_fail "$deb: exactly its files" "$(cat "$out/$deb.diff")"
	fi
done
conf=$(dpkg-deb --ctrl-tarfile "$D/mcbridge_${VERSION}_amd64.deb" | tar -xOf - ./conffiles)
[ "$conf" = /etc/default/mcbridged ] && t_ok "conffiles: /etc/default/mcbridged" ||
	t_fail "conffiles: /etc/default/mcbridged" "conffiles: $conf"
conf=$(dpkg-deb --ctrl-tarfile "$D/mcbridge-nats_${VERSION}_amd64.deb" | tar -xOf - ./conffiles)
[ "$conf" = /etc/default/mcbridge-nats ] && t_ok "conffiles: /etc/default/mcbridge-nats" ||
	t_fail "conffiles: /etc/default/mcbridge-nats" "conffiles: $conf"
dep=$(dpkg-deb -f "$D/mcbridge_${VERSION}_amd64.deb" Depends)
[[ $dep != *nats* ]] && t_ok "mcbridge needs no NATS client ($dep)" ||
	t_fail "mcbridge needs no NATS client" "$dep"
dep=$(dpkg-deb -f "$D/mcbridge-nats_${VERSION}_amd64.deb" Depends)
[[ $dep == *libnats* ]] && t_ok "mcbridge-nats depends on libnats ($dep)" ||
	t_fail "mcbridge-nats depends on libnats" "$dep"
vers=
for deb in "$D"/*.deb; do vers+=" $(dpkg-deb -f "$deb" Package)=$(dpkg-deb -f "$deb" Version)"; done
mism=$(tr ' ' '\n' <<<"$vers" | grep . | grep -v "=$VERSION\$")
[ -z "$mism" ] && t_ok "every package is version $VERSION (VERSION)" || t_fail "package versions" "$vers"
# Debian's tshark and Wireshark load Lua plugins from this folder.
lua_dir=$(tshark -G folders 2>/dev/null | sed -n 's/^Global Lua Plugins:[[:space:]]*//p')
[ "$lua_dir" = "/usr/lib/$ma/wireshark/plugins" ] &&
	t_ok "mcbridge.lua is in the folder tshark loads Lua plugins from ($lua_dir)" ||
	t_fail "mcbridge.lua is in tshark's Lua plugin folder" "tshark -G folders: '$lua_dir'"
dep=$(dpkg-deb -f "$D/mcbridge-dkms_${VERSION}_all.deb" Depends)
[[ $dep == *dkms* ]] && t_ok "mcbridge-dkms depends on dkms ($dep)" || t_fail "mcbridge-dkms depends on dkms" "$dep"

# ---- the systemd VM ---------------------------------------------------------------
# One disk for both boots: the second starts from what the first left.
disk=$out/vm/disk.qcow2
s=$SECONDS
t_tally "systemd VM, 6.1: install, service, bad configurations, kernel upgrade" \
	nice tests/vm/vm-systemd --disk "$disk" --out "$out/vm" -- tests/packages/guest-packages.sh first
echo "  (first boot: $((SECONDS - s)) s)"
if [ -s "$out/vm/vmlinuz-next" ] && [ -s "$out/vm/initrd-next" ]; then
	s=$SECONDS
	t_tally "systemd VM, $(cat "$out/vm/kver-next"): service after the upgrade, purge" \
		nice tests/vm/vm-systemd --disk "$disk" --out "$out/vm" \
		--kernel "$out/vm/vmlinuz-next" --initrd "$out/vm/initrd-next" -- \
		tests/packages/guest-packages.sh second
	echo "  (second boot: $((SECONDS - s)) s)"
else
	t_fail "reboot into the new kernel" "the first boot copied out no kernel"
fi
[ -s "$out/vm/security-score.txt" ] && echo "  systemd-analyze security (in the VM): $(cat "$out/vm/security-score.txt")"
rm -f "$disk"	# over a gigabyte; the logs stay
echo "  (suite: $((SECONDS - t0)) s)"
t_done
