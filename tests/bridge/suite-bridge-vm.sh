#!/usr/bin/env bash
# Bridge tests with the kernel module, in the test VM booted with each kernel
# of kmod/kernels.list ($KERNELS picks some): see tests/bridge/guest-bridge.sh.
# The module is built per kernel as the kmod suite does; the bridge and the
# tools are this host's build/bin.
set -uo pipefail
cd "$(dirname "$0")/../.."

T_SCRIPT=bridge-vm
. tests/lib/check.sh
. tests/lib/kernels.sh

make -s -C tests/reliability >/dev/null || { t_fail "build tests/reliability (mcb-rel-listen)"; t_done; exit 1; }
for f in build/bin/mcbridge-ctl build/bin/mcbridged build/tests/reliability/mcb-rel-listen; do
	if [ ! -e "$f" ]; then
		t_fail "missing $f (run make first)"
		t_done
		exit 1
	fi
done
for name in $(kernel_names); do
	echo "--- kernel $name"
	start=$SECONDS
	kernel_prepare "$name" || continue
	kernel_vm_checks "$name" "bridge tests in the VM" --quiet --mem 4096 --timeout "$(kernel_timeout 900)" -- \
		env MCB_KO="$KO" MCB_SLOW="$KSLOW" bash tests/bridge/guest-bridge.sh
	echo "--- kernel $name: $((SECONDS - start)) s"
done
t_done
