#!/usr/bin/env bash
# Install what building, the demo and the tests need, on Debian 12 (bookworm) as root.
# Idempotent: installs only the packages that are missing, so a second run is quick.
set -euo pipefail

packages=(
	build-essential make gcc clang llvm pkg-config sparse bc kmod cpio
	libelf-dev flex bison
	linux-headers-amd64 linux-image-amd64
	qemu-system-x86 qemu-utils busybox-static
	libnl-3-dev libnl-genl-3-dev libcmocka-dev
	iproute2 ethtool socat python3 python3-yaml procps util-linux
	valgrind libclang-rt-14-dev
	libssl-dev tcpdump tshark
	libnats-dev nats-server
	systemd man-db groff-base dkms strace debootstrap
	debhelper dh-dkms dpkg-dev lintian
	gnuplot-nox
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]}; run as root to install them" >&2
	exit 1
fi

echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
