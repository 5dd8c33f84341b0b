#!/usr/bin/env bash
# Kernel module suite: the YAML spec against header and code, the compat
# shims, then for each kernel of kmod/kernels.list ($KERNELS picks some): a
# warning-free build (W=1, sparse) and the module's behaviour in the test VM
# booted with that kernel (tests/kmod/guest-kmod.sh).
set -uo pipefail
cd "$(dirname "$0")/../.."

T_SCRIPT=kmod
. tests/lib/check.sh
. tests/lib/kernels.sh

if /usr/bin/python3 tests/kmod/check-spec.py; then
	t_ok "kmod/mcbridge.yaml matches the header and the module"
else
	t_fail "spec check"
fi

make -s -C tests/kmod || t_fail "test programs build"

# The compat shims are checked against the list's first (oldest) kernel,
# whose headers still have the old APIs they map onto.
oldest=$(KERNELS= "$KERNELS_SH" names | head -n 1)
for name in $(kernel_names); do
	echo "--- kernel $name"
	start=$SECONDS
	kernel_prepare "$name" || continue
	if [ "$name" = "$oldest" ]; then
		log=build/tmp/kmod-shims.log
		if "$KERNELS_SH" build "$name" build/kmod/shims W=1 C=2 MCB_ALL_SHIMS=1 >"$log" 2>&1 &&
		   ! grep -Eq 'warning|error|not available' "$log"; then
			t_ok "[$name] every compat shim compiles (probes off), W=1 and sparse clean"
		else
			t_fail "[$name] compat shims compile" "$(tail -n 40 "$log")"
		fi
	fi
	kernel_vm_checks "$name" "module tests in the VM" --timeout "$(kernel_timeout 1500)" -- \
		env MCB_KO="$KO" MCB_SLOW="$KSLOW" MCB_KMOD_TESTS="${MCB_KMOD_TESTS:-}" bash tests/kmod/guest-kmod.sh
	echo "--- kernel $name: $((SECONDS - start)) s"
done
t_done
