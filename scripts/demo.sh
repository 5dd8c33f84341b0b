#!/usr/bin/env bash
# make demo: load mcbridge.ko, start mcbridged, and show live events at a
# listener.  Runs on this host when its kernel can load the module built here,
# else inside the test VM (tests/vm/vm-run) booting the kernel it was built for.
#
#   DEMO_SECONDS=N   how long the demo shows events (default 20)
#   KERNEL=NAME      boot a kernel of kmod/kernels.list in the VM (fetched
#                    and the module built for it first), e.g. KERNEL=7.3
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${DEMO_SECONDS:-20}
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "demo: DEMO_SECONDS must be a positive number" >&2; exit 2; }

host_can_load() {
	[ "$(id -u)" -eq 0 ] && [ -e /proc/modules ] || return 1
	# The module must be built for the running kernel.
	[ "$(modinfo -F vermagic kmod/mcbridge.ko 2>/dev/null | cut -d' ' -f1)" = "$(uname -r)" ]
}

if [ -n "${KERNEL:-}" ]; then
	scripts/kernels.sh fetch "$KERNEL"
	eval "$(scripts/kernels.sh env "$KERNEL")"
	echo "demo: building mcbridge.ko for kernel $KERNEL ($KVER)"
	scripts/kernels.sh build "$KERNEL" "build/kmod/$KERNEL" >/dev/null
	echo "demo: booting $KVER in a VM (QEMU, software emulation) to run the demo there"
	exec tests/vm/vm-run --kver "$KVER" --kroot "$KROOT" --timeout $((seconds + 300)) -- \
		env DEMO_SECONDS="$seconds" MCB_KO="build/kmod/$KERNEL/kmod/mcbridge.ko" scripts/demo-run.sh
fi

if host_can_load; then
	echo "demo: this kernel ($(uname -r)) can load mcbridge.ko: running on the host"
	exec env DEMO_SECONDS="$seconds" scripts/demo-run.sh
fi
kver=$(modinfo -F vermagic kmod/mcbridge.ko | cut -d' ' -f1)
echo "demo: this kernel ($(uname -r)) cannot load mcbridge.ko (built for $kver):"
echo "demo: booting $kver in a VM (QEMU, software emulation) to run the demo there"
exec tests/vm/vm-run --kver "$kver" --timeout $((seconds + 300)) -- \
	env DEMO_SECONDS="$seconds" scripts/demo-run.sh
