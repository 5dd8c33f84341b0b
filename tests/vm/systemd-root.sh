#!/usr/bin/env bash
# systemd-root.sh: the root file system of the systemd test VM
# (tests/vm/vm-systemd), made once and cached outside the checkout.
#
#   tests/vm/systemd-root.sh [--print-dir]
#
# A Debian 12 (debootstrap minbase) with systemd as init and everything the
# mcbridge packages depend on already installed, so that the VM installs
# them with no network: dkms, gcc and make, the 6.1 kernel of the host with
# its headers, libnl, libssl.  The 6.12 kernel of kmod/kernels.list (image
# and headers, bookworm-backports) is only downloaded, into
# /var/cache/mcb-kernel-debs, for the kernel upgrade test to install.
#
# Output, in $MCB_CACHE/systemd-root (default /var/cache/mcbridge):
#   root.img            ext4 image of the root (raw, sparse); the VM boots a
#                       copy-on-write overlay of it, never it
#   vmlinuz-<ver>, initrd.img-<ver>   the 6.1 kernel and its initramfs
#   kver                that release
#   tree/               the root as a directory (what root.img is made from)
# A new checkout of this script (its hash) makes them anew.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${MCB_CACHE:-/var/cache/mcbridge}/systemd-root
prog=systemd-root

say() { echo "$prog: $*" >&2; }
die() { say "$*"; exit 1; }

if [ "${1:-}" = --print-dir ]; then
	echo "$cache"
	exit 0
fi
[ $# -eq 0 ] || { sed -n '5p' "$0" | sed 's/^# //' >&2; exit 2; }

# The 6.1 kernel: the host's default one (scripts/kernels.sh's "6.1").
eval "$("$top/scripts/kernels.sh" env 6.1)"
kver61=$KVER
eval "$("$top/scripts/kernels.sh" env 6.12)"
kver612=$KVER

mirror=$(apt-cache policy 2>/dev/null |
	awk '$3 == "bookworm/main" && $2 ~ /^https?:/ { print $2; exit }')
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
security=$(apt-cache policy 2>/dev/null |
	awk '$3 == "bookworm-security/main" && $2 ~ /^https?:/ { print $2; exit }')
[ -n "$security" ] || security=http://deb.debian.org/debian-security

T=$cache/tree
log=$cache/build.log

in_root() {
	unshare -m -- /bin/sh -ec '
		dir=$1; shift
		mount -t proc proc "$dir/proc"
		mount --rbind /dev "$dir/dev"
		mount -t tmpfs tmpfs "$dir/run"
		exec chroot "$dir" /usr/bin/env -i PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"' in_root "$T" "$@"
}

# The root as a directory, in $T (empty).
make_tree() {
	debootstrap --variant=minbase bookworm "$T" "$mirror"
	cat >"$T/etc/apt/sources.list" <<-EOF
	deb $mirror bookworm main
	deb $mirror bookworm-updates main
	deb $security bookworm-security main
	deb $mirror bookworm-backports main
	EOF
	# A small initramfs, quick to make in the VM: the disk and its file
	# system, nothing for hardware the VM does not have.
	mkdir -p "$T/etc/initramfs-tools/conf.d"
	echo MODULES=list >"$T/etc/initramfs-tools/conf.d/mcbridge-vm"
	printf '%s\n' virtio_pci virtio_blk ext4 >>"$T/etc/initramfs-tools/modules"
	in_root apt-get update -q
	# systemd as init, D-Bus and nss-systemd (DynamicUser= names), the
	# packages' dependencies (libssl-dev: libmcbridge-client-dev's), what
	# the test uses (pkg-config, to build with the library), the kernel
	# with its headers.
	in_root apt-get install -y -q --no-install-recommends \
		systemd-sysv udev dbus libnss-systemd kmod initramfs-tools zstd \
		dkms gcc make libc6-dev libnl-3-200 libnl-genl-3-200 libssl3 \
		libssl-dev pkg-config iproute2 procps \
		"linux-image-$kver61" "linux-headers-$kver61"
	# Only what the new kernel brings, in its own directory.
	in_root apt-get clean
	in_root apt-get install -y -q --no-install-recommends --download-only \
		"linux-image-$kver612/bookworm-backports" "linux-headers-$kver612/bookworm-backports"
	mkdir -p "$T/var/cache/mcb-kernel-debs"
	mv "$T"/var/cache/apt/archives/*.deb "$T/var/cache/mcb-kernel-debs/"
	in_root apt-get clean
	# Offline: with no package lists, apt takes what the test installs
	# from the files it names, never from a mirror (the VM has no network).
	rm -rf "$T"/var/lib/apt/lists/*
}

# The tree is made anew when its recipe or the kernels change; the image
# also when the guest side of vm-systemd does.
tree_key=$( { declare -f in_root make_tree; echo "$kver61 $kver612"; } | sha256sum | cut -c1-16)
key=$( { echo "$tree_key"; sha256sum <"$here/systemd-guest-run"; } | sha256sum | cut -c1-16)
if [ -e "$cache/.done-$key" ] && [ -s "$cache/root.img" ]; then
	exit 0
fi
command -v debootstrap >/dev/null || die "debootstrap missing (scripts/deps.sh installs it)"
command -v mkfs.ext4 >/dev/null || die "mkfs.ext4 missing (e2fsprogs)"
mkdir -p "$cache"
rm -f "$cache"/.done-* "$cache/root.img"

if [ ! -e "$cache/.tree-$tree_key" ]; then
	say "building the systemd VM root in $cache (once, several minutes; log: $log)"
	rm -rf "$T" "$cache"/.tree-*
	mkdir -p "$T"
	# In a subshell of its own, not under ||: set -e holds in it.
	set +e
	(set -e; make_tree) >"$log" 2>&1
	rc=$?
	set -e
	[ "$rc" -eq 0 ] || die "building the root failed: see $log"
	touch "$cache/.tree-$tree_key"
fi

# The guest side of vm-systemd: a unit that runs the test once the system
# is up, then powers off.
install -m 0755 "$here/systemd-guest-run" "$T/usr/local/sbin/mcb-vm-test"
cat >"$T/etc/systemd/system/mcb-vm-test.service" <<'EOF'
[Unit]
Description=mcbridge VM test run (tests/vm/vm-systemd)
After=basic.target systemd-udev-settle.service systemd-user-sessions.service
Wants=systemd-udev-settle.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/mcb-vm-test
StandardOutput=journal+console
StandardError=journal+console
TimeoutStartSec=infinity

[Install]
WantedBy=multi-user.target
EOF
ln -sf /etc/systemd/system/mcb-vm-test.service "$T/etc/systemd/system/multi-user.target.wants/mcb-vm-test.service"
echo mcbridge-vm >"$T/etc/hostname"
printf '/dev/vda / ext4 rw,errors=remount-ro 0 1\n' >"$T/etc/fstab"
# No password: root logs in on the serial console when debugging a boot.
in_root passwd -d root >/dev/null
# Nothing in the image is specific to one machine.
: >"$T/etc/machine-id"

cp "$T/boot/vmlinuz-$kver61" "$T/boot/initrd.img-$kver61" "$cache/"
echo "$kver61" >"$cache/kver"
img=$cache/root.img
mkfs.ext4 -q -F -L mcbridge-root -d "$T" "$img" 4G >>"$log" 2>&1 || die "mkfs.ext4 -d failed: see $log"
touch "$cache/.done-$key"
say "root ready: $img"
