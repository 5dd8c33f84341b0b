#!/usr/bin/env bash
# The kernel matrix (kmod/kernels.list): fetch each kernel, build the module
# for it, tell the test VM where its image and modules are.
#
#   scripts/kernels.sh names              the selected kernels, one a line:
#                                         $KERNELS (names, spaces between)
#                                         or every kernel of the list
#   scripts/kernels.sh fetch NAME...      install or fetch what building for
#                                         and booting NAME needs (cached)
#   scripts/kernels.sh env NAME           shell assignments for NAME:
#                                         KNAME KVER KDIR KROOT KBUILD
#                                         KSLOW
#   scripts/kernels.sh build NAME DIR [MAKE ARGS...]
#                                         copy the module's sources to DIR and
#                                         build them for NAME: DIR/kmod/mcbridge.ko
#   scripts/kernels.sh run NAME CMD...    run CMD where NAME's module is built
#                                         (in its chroot, if it has one, with
#                                         the checkout at the same path)
#
# Kernels built on the host are installed on it as Debian packages (the
# default one by scripts/deps.sh; others from their suite, e.g. backports,
# added to apt's sources): they appear in its boot menu like any installed
# kernel, and apt removes them.  Kernels built in a chroot are installed
# there only.  Chroots are kept in $MCB_CACHE (default /var/cache/mcbridge),
# outside the checkout, so only the first run fetches.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
list=$top/kmod/kernels.list
cache=${MCB_CACHE:-/var/cache/mcbridge}
prog=kernels

err() { echo "$prog: $*" >&2; }
die() { err "$*"; exit 1; }
usage() { sed -n '5,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
say() { echo "$prog: $*" >&2; }

# --- the list ------------------------------------------------------------------
rows() { sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$list"; }

# Sets NAME RELEASE SUITE BUILD SLOW for kernel $1.
row() {
	local line
	line=$(rows | awk -v n="$1" '$1 == n { print; exit }')
	[ -n "$line" ] || die "unknown kernel '$1'; kmod/kernels.list has: $(rows | awk '{ printf "%s ", $1 }')"
	read -r NAME RELEASE SUITE BUILD SLOW <<<"$line"
	SLOW=${SLOW:-1}
	case "$SLOW" in
	[1-9] | [1-9][0-9] | [1-9][0-9][0-9]) ;;
	*) die "kernel $1: slowdown '$SLOW' is not a number from 1 to 999" ;;
	esac
}

host_suite() { . /etc/os-release && echo "${VERSION_CODENAME:?}"; }

# The release of the host's linux-headers-amd64 (and linux-image-amd64).
default_release() {
	local dep
	dep=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null) ||
		die "linux-headers-amd64 is not installed (scripts/deps.sh installs it)"
	dep=${dep%%[ ,]*}
	echo "${dep#linux-headers-}"
}

release() {
	case "$BUILD" in
	source:*) source_release ;;
	*) if [ "$RELEASE" = default ]; then default_release; else echo "$RELEASE"; fi ;;
	esac
}

chroot_dir() { echo "$cache/chroot-${BUILD#chroot:}"; }

# The mirror the host's apt already uses for its own suite, so that other
# suites come from the same place.
host_mirror() {
	local s
	s=$(host_suite)
	apt-cache policy 2>/dev/null |
		awk -v s="$s/main" '$3 == s && $2 ~ /^https?:/ { print $2; exit }'
}

# --- fetching --------------------------------------------------------------------
apt_updated=0
apt_update() {
	[ "$apt_updated" -eq 1 ] && return 0
	apt-get update -qq
	apt_updated=1
}

# Adds SUITE (of the host's mirror) to apt's sources, once.
add_suite() {
	local suite=$1 file=/etc/apt/sources.list.d/mcbridge-$1.sources mirror
	[ -e "$file" ] && return 0
	mirror=$(host_mirror)
	[ -n "$mirror" ] || die "cannot tell the host's Debian mirror from apt-cache policy; add $suite to apt's sources"
	say "adding $suite ($mirror) to apt's sources: $file"
	cat >"$file" <<-EOF
	Types: deb
	URIs: $mirror
	Suites: $suite
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	apt_updated=0
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

fetch_host() {
	local rel=$1
	if [ "$RELEASE" = default ]; then
		installed "linux-image-$rel" && installed "linux-headers-$rel" ||
			die "the default kernel comes with scripts/deps.sh (linux-image-amd64, linux-headers-amd64)"
		return 0
	fi
	installed "linux-image-$rel" && installed "linux-headers-$rel" && return 0
	[ "$SUITE" = "$(host_suite)" ] || add_suite "$SUITE"
	say "installing linux-image-$rel and linux-headers-$rel from $SUITE"
	apt_update
	# pkg/suite, not -t: -t would move the host's own linux-*-amd64
	# metapackages (its default kernel) to that suite too.
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"linux-image-$rel/$SUITE" "linux-headers-$rel/$SUITE" >/dev/null
}

# What the chroot needs to build the module (W=1, sparse), run DKMS and have
# the kernel's image and modules for the VM.
chroot_packages() {
	echo make gcc libc6-dev sparse kmod xz-utils zstd dwarves bc dkms \
		"linux-headers-$1" "linux-image-$1"
}

fetch_chroot() {
	local rel=$1 dir suite=${BUILD#chroot:} mirror
	dir=$(chroot_dir)
	if [ ! -e "$dir/.bootstrapped" ]; then
		command -v debootstrap >/dev/null || die "debootstrap missing (scripts/deps.sh installs it)"
		mirror=$(host_mirror)
		[ -n "$mirror" ] || die "cannot tell the host's Debian mirror from apt-cache policy"
		say "bootstrapping a Debian $suite chroot in $dir (once, a few minutes)"
		rm -rf "$dir"
		mkdir -p "$dir"
		debootstrap --variant=minbase "$suite" "$dir" "$mirror" >"$cache/debootstrap-$suite.log" 2>&1 ||
			die "debootstrap $suite failed: see $cache/debootstrap-$suite.log"
		cat >"$dir/etc/apt/sources.list.d/backports.sources" <<-EOF
		Types: deb
		URIs: $mirror
		Suites: $suite-backports
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
		EOF
		# No initramfs for kernels installed here: the VM boots its own.
		in_chroot dpkg-divert --local --rename --add /usr/sbin/update-initramfs >/dev/null
		in_chroot ln -sf /bin/true /usr/sbin/update-initramfs
		touch "$dir/.bootstrapped"
	fi
	[ -e "$dir/.complete-$rel" ] && return 0
	say "installing the $rel kernel, its headers and the build tools in $dir"
	in_chroot apt-get update -qq
	# shellcheck disable=SC2046
	in_chroot env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends -t "$SUITE" $(chroot_packages "$rel") >"$cache/chroot-install-$rel.log" 2>&1 ||
		die "installing the $rel kernel in the chroot failed: see $cache/chroot-install-$rel.log"
	in_chroot depmod "$rel"
	chroot_sparse "$rel"
	touch "$dir/.complete-$rel"
}

# Kbuild runs sparse (C=2) only when scripts/checker-valid.sh says it is
# recent enough: since 6.x that means it knows __typeof_unqual__.  Debian's
# 7.x header packages lack that script and Debian 13's sparse (0.6.4) does
# not know the keyword, so C=2 would be skipped with a mere warning.  Take
# the sparse binary of Debian unstable (it needs only libc) and supply the
# check.
chroot_sparse() {
	local rel=$1 dir hdr valid deb
	dir=$(chroot_dir)
	# Debian's arch headers include the -common tree's Makefile.
	hdr=$(sed -n 's|^include \(/.*\)/Makefile$|\1|p' "$dir/usr/src/linux-headers-$rel/Makefile")
	hdr=$dir${hdr:-/usr/src/linux-headers-$rel}
	grep -q checker-valid.sh "$hdr/Makefile" || return 0
	valid=$hdr/scripts/checker-valid.sh
	if [ ! -e "$valid" ]; then
		# Prints 1 when the checker parses what the kernel's headers use.
		cat >"$valid" <<-'EOF'
		#!/bin/sh -eu
		# Supplied by mcbridge's scripts/kernels.sh: missing from the package.
		[ -x "$(command -v "$1")" ] || { echo 0; exit 0; }
		t=$(mktemp --suffix=.c)
		trap 'rm -f "$t"' EXIT
		printf 'static inline int u(const int *q) { __typeof_unqual__(*q) v = *q; return v; }\n' >"$t"
		"$@" "$t" 2>&1 | awk -v ok=1 '/error/ { ok = 0 } END { print ok }'
		EOF
		chmod 755 "$valid"
	fi
	[ "$(in_chroot "${valid#"$dir"}" sparse)" = 1 ] && return 0
	say "the $rel headers need a newer sparse than Debian $(cat "$dir/etc/debian_version") has: taking the one of Debian unstable"
	deb=$cache/sparse-unstable
	rm -rf "$deb"
	mkdir -p "$deb"
	# Check-Valid-Until: the archive may be a fixed snapshot, whose
	# unstable Release has expired.
	printf 'Types: deb\nURIs: %s\nSuites: unstable\nComponents: main\nCheck-Valid-Until: no\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
		"$(host_mirror)" >"$dir/etc/apt/sources.list.d/unstable.sources"
	# Never installed from unstable by itself: only downloaded below.
	printf 'Package: *\nPin: release a=unstable\nPin-Priority: -1\n' >"$dir/etc/apt/preferences.d/unstable"
	in_chroot apt-get update -qq
	in_chroot sh -c 'cd /tmp && apt-get download -qq sparse/unstable && mv sparse_*.deb /tmp/sparse.deb'
	dpkg-deb -x "$dir/tmp/sparse.deb" "$deb"
	install -m 755 "$deb/usr/bin/sparse" "$dir/usr/local/bin/sparse"
	rm -rf "$deb" "$dir/tmp/sparse.deb"
	[ "$(in_chroot "${valid#"$dir"}" sparse)" = 1 ] ||
		die "no sparse recent enough for the $rel headers"
}

# --- kernels built from Debian's source package ------------------------------
# "source:PKG": the kernel source of package PKG (e.g. linux-source-6.1),
# configured with `make defconfig kvm_guest.config` and the fragment
# kmod/<NAME>.config, built once into $cache/<NAME>: src/ (the build tree the
# module is built against) and root/ (boot/ and lib/modules/ for the VM).
source_dir() { echo "$cache/$NAME"; }

source_release() {
	local f
	f=$(source_dir)/root/release
	[ -s "$f" ] || die "kernel $NAME is not built yet: scripts/kernels.sh fetch $NAME"
	cat "$f"
}

fetch_source() {
	local pkg=${BUILD#source:} dir frag tarball rel
	dir=$(source_dir)
	frag=$top/kmod/$NAME.config
	[ -r "$frag" ] || die "kernel $NAME: no config fragment $frag"
	# Rebuilt when the fragment changes.
	if [ -s "$dir/root/release" ] && cmp -s "$frag" "$dir/root/fragment"; then
		return 0
	fi
	installed "$pkg" || {
		say "installing $pkg"
		apt_update
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null
	}
	tarball=$(dpkg -L "$pkg" | grep -E '/usr/src/linux-source-[^/]*\.tar\.xz$' | head -n 1)
	[ -n "$tarball" ] || die "no source tarball in package $pkg"
	say "building the $NAME kernel from $tarball in $dir (once, about half an hour)"
	rm -rf "$dir"
	mkdir -p "$dir/src" "$dir/root/boot"
	tar -xJf "$tarball" -C "$dir/src" --strip-components=1
	(
		cd "$dir/src"
		make -s defconfig kvm_guest.config >/dev/null
		scripts/kconfig/merge_config.sh -m .config "$frag" >/dev/null
		make -s olddefconfig LOCALVERSION=-"$NAME"
		# Every line of the fragment must have taken.
		grep -E '^CONFIG_[A-Z0-9_]+=' "$frag" | while IFS= read -r want; do
			opt=${want%%=*}
			case "$want" in
			*=n) ! grep -q "^$opt=[ym]" .config ;;
			*) grep -qx "$want" .config ;;
			esac || { echo "$prog: $want did not take" >&2; exit 1; }
		done
		make -s -j"$(nproc)" LOCALVERSION=-"$NAME" bzImage modules >"$dir/build.log" 2>&1 ||
			{ tail -n 40 "$dir/build.log" >&2; exit 1; }
		make -s LOCALVERSION=-"$NAME" INSTALL_MOD_PATH="$dir/root" INSTALL_MOD_STRIP=1 \
			modules_install >>"$dir/build.log" 2>&1
	) || die "building the $NAME kernel failed: see $dir/build.log"
	rel=$(make -s -C "$dir/src" LOCALVERSION=-"$NAME" kernelrelease)
	cp "$dir/src/arch/x86/boot/bzImage" "$dir/root/boot/vmlinuz-$rel"
	cp "$dir/src/.config" "$dir/root/boot/config-$rel"
	cp "$frag" "$dir/root/fragment"
	echo "$rel" >"$dir/root/release"
}

# Runs a command in the chroot with /proc, /dev and the checkout mounted, in
# a private mount namespace (the mounts go away with it).
in_chroot() {
	local dir
	dir=$(chroot_dir)
	unshare -m -- /bin/sh -ec '
		dir=$1 top=$2; shift 2
		mount -t proc proc "$dir/proc"
		mount --rbind /dev "$dir/dev"
		mkdir -p "$dir$top"
		mount --bind "$top" "$dir$top"
		exec chroot "$dir" /usr/bin/env -i PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 "$@"' in_chroot "$dir" "$top" "$@"
}

fetch() {
	local name rel
	for name in "$@"; do
		row "$name"
		mkdir -p "$cache"
		case "$BUILD" in
		host) rel=$(release); fetch_host "$rel" ;;
		chroot:*) rel=$(release); fetch_chroot "$rel" ;;
		source:*) fetch_source ;;
		*) die "kernel $name: unknown build '$BUILD' in kmod/kernels.list" ;;
		esac
	done
}

# --- where things are --------------------------------------------------------------
env_of() {
	local rel root kdir
	row "$1"
	rel=$(release)
	case "$BUILD" in
	host)
		kdir=/usr/src/linux-headers-$rel
		root=/ ;;
	chroot:*)
		kdir=/usr/src/linux-headers-$rel	# inside the chroot
		root=$(chroot_dir) ;;
	source:*)
		kdir=$(source_dir)/src
		root=$(source_dir)/root ;;
	*) die "kernel $1: unknown build '$BUILD'" ;;
	esac
	printf 'KNAME=%q KVER=%q KDIR=%q KROOT=%q KBUILD=%q KSLOW=%q\n' \
		"$NAME" "$rel" "$kdir" "$root" "$BUILD" "$SLOW"
}

run() {
	local name=$1
	shift
	row "$name"
	case "$BUILD" in
	host | source:*) "$@" ;;
	chroot:*) in_chroot "$@" ;;
	esac
}

build() {
	local name=$1 dir=$2 kdir
	shift 2
	eval "$(env_of "$name")"
	kdir=$KDIR
	rm -rf "$dir"
	make -s -C "$top" kmod-tree KMOD_TREE="$dir"
	dir=$(cd "$dir" && pwd)
	run "$name" make -C "$dir/kmod" KDIR="$kdir" "$@"
}

# Kernels built from source take long to build once: only when named.
names() {
	local n
	if [ -n "${KERNELS:-}" ]; then
		for n in $KERNELS; do row "$n"; echo "$n"; done
	else
		rows | awk '$4 !~ /^source:/ { print $1 }'
	fi
}

[ $# -ge 1 ] || usage
cmd=$1
shift
case "$cmd" in
names) names ;;
fetch) [ $# -ge 1 ] || usage; fetch "$@" ;;
env) [ $# -eq 1 ] || usage; env_of "$1" ;;
build) [ $# -ge 2 ] || usage; build "$@" ;;
run) [ $# -ge 2 ] || usage; run "$@" ;;
-h | --help) usage ;;
*) err "unknown command '$cmd'"; usage ;;
esac
