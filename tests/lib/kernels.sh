# Helpers for suites that run once per kernel of kmod/kernels.list (source
# from bash, from the project root, after tests/lib/check.sh).
#
#   kernel_names            the selected kernels ($KERNELS, else all)
#   kernel_prepare NAME     fetch NAME, build its module with W=1 and sparse
#                           into build/kmod/NAME (a check: no warning); sets
#                           KNAME KVER KDIR KROOT KBUILD and KO, the module
#   kernel_vm NAME VM-RUN-ARGS... -- CMD...
#                           vm-run booted with NAME's kernel; the guest's
#                           whole kernel log is kept and checked afterwards
#                           (a check: no warning, BUG, oops or lockdep report)
#   kernel_timeout SEC      a VM time limit for the prepared kernel
#   kernel_vm_checks NAME WHAT VM-RUN-ARGS... -- CMD...
#                           kernel_vm for a guest script that prints checks:
#                           shown tagged, added to this script's totals; a
#                           failed run without a FAIL line is one failure
#
# Checks carry the kernel's name: "ok [6.12] ...".

KERNELS_SH=scripts/kernels.sh

kernel_names() { "$KERNELS_SH" names; }

kernel_prepare() {
	local name=$1 log
	log=build/tmp/kmod-build-$name.log
	mkdir -p build/tmp
	if ! "$KERNELS_SH" fetch "$name"; then
		t_fail "[$name] kernel fetched" "scripts/kernels.sh fetch $name failed"
		return 1
	fi
	eval "$("$KERNELS_SH" env "$name")"
	KO=build/kmod/$name/kmod/mcbridge.ko
	if "$KERNELS_SH" build "$name" "build/kmod/$name" W=1 C=2 >"$log" 2>&1 &&
	   ! grep -Eq 'warning|error|not available' "$log" &&
	   [ "$(modinfo -F vermagic "$KO" | cut -d' ' -f1)" = "$KVER" ]; then
		t_ok "[$name] module builds for $KVER ($KBUILD) with W=1 and sparse, no warning"
	else
		t_fail "[$name] module build for $KVER with W=1 C=2" "$(tail -n 40 "$log")"
		return 1
	fi
}

kernel_vm() {
	local name=$1 dmesg rc bad
	shift
	dmesg=build/tmp/dmesg-$name-$$.log
	tests/vm/vm-run --kver "$KVER" --kroot "$KROOT" --dmesg "$dmesg" "$@"
	rc=$?
	bad=$(t_kernel_log_problems <"$dmesg" 2>/dev/null)
	if [ ! -s "$dmesg" ]; then
		t_fail "[$name] kernel log" "none came back from the VM"
	elif [ -n "$bad" ]; then
		t_fail "[$name] kernel log clean (boot to power-off)" "$bad"
	else
		t_ok "[$name] kernel log clean (boot to power-off): no warning, BUG, oops or lockdep report"
	fi
	rm -f "$dmesg"
	return $rc
}

kernel_vm_checks() {
	local name=$1 what=$2 out rc p f
	shift 2
	out=$(mktemp)
	kernel_vm "$name" "$@" | kernel_tag "$name" | tee "$out"
	rc=${PIPESTATUS[0]}
	p=$(grep -c '^ok \[' "$out")
	f=$(grep -c '^FAIL \[' "$out")
	rm -f "$out"
	T_PASSED=$((T_PASSED + p))
	T_FAILED=$((T_FAILED + f))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		t_fail "[$name] $what" "the VM run exited $rc"
	fi
}

# A VM time limit of SEC seconds for the prepared kernel: three times as
# long on a slow one (kmod/kernels.list's "slow" column), whose boot alone
# takes minutes.
kernel_timeout() { echo $(( $1 * (${KSLOW:-1} > 1 ? 3 : 1) )); }

# Prefixes the ok/FAIL lines of a guest script with the kernel's name.
kernel_tag() { sed -u -E "/^(ok|FAIL) \\[/! s/^(ok|FAIL) /\\1 [$1] /"; }
