# Checks for test scripts, on the host or in the VM (source it from bash):
# one line per check, "ok NAME" or "FAIL NAME: WHY", then a totals line
# "LABEL: N passed, N failed".
#
#   t_ok NAME               a passed check
#   t_fail NAME [WHY]       a failed check
#   t_check NAME CMD...     passes if CMD exits 0; its output is shown only
#                           when it fails
#   t_tally NAME CMD...     CMD prints its own ok/FAIL lines: they are shown
#                           and added up (all its output when one failed); a
#                           non-zero exit without a FAIL line is one failure
#   t_done                  the totals line; returns 1 if any check failed
#
# Only t_done returns non-zero, so scripts may run under set -e.
#
# LABEL is $T_SCRIPT, by default the script's name.

T_PASSED=0
T_FAILED=0
T_SCRIPT=${T_SCRIPT:-$(basename "${0:-test}" .sh)}

t_ok() {
	T_PASSED=$((T_PASSED + 1))
	echo "ok $1"
}

t_fail() {
	T_FAILED=$((T_FAILED + 1))
	echo "FAIL $1: ${2:-failed}"
}

t_check() {
	local name=$1 out rc
	shift
	if out=$("$@" 2>&1); then rc=0; else rc=$?; fi
	if [ "$rc" -eq 0 ]; then
		t_ok "$name"
	else
		t_fail "$name" "'$*' exited $rc"
		printf '%s\n' "$out" | tail -n 40 | sed 's/^/     | /'
	fi
}

t_tally() {
	local name=$1 out rc p f
	shift
	out=$(mktemp)
	if "$@" >"$out" 2>&1; then rc=0; else rc=$?; fi
	p=$(grep -c '^ok ' "$out" || true)
	f=$(grep -c '^FAIL ' "$out" || true)
	if [ "$f" -eq 0 ] && [ "$rc" -eq 0 ]; then
		grep -E '^(ok|FAIL) ' "$out" || true
	else
		sed 's/^/     | /' "$out" | tail -n 200
		if [ "$f" -eq 0 ]; then
			echo "FAIL $name: exited with $rc"
			f=1
		fi
	fi
	T_PASSED=$((T_PASSED + p))
	T_FAILED=$((T_FAILED + f))
	rm -f "$out"
}

t_done() {
	echo "$T_SCRIPT: $T_PASSED passed, $T_FAILED failed"
	[ "$T_FAILED" -eq 0 ]
}

# Kernel log lines that mean something went wrong in the kernel (warnings,
# BUG, oops, lockdep, hung tasks, leak and sanitizer reports); the taint
# notices of an unsigned out-of-tree module and the boot banners of a debug
# kernel's checkers (lockdep, kmemleak) are expected.  Reads a kernel
# log on stdin, prints the first 20 such lines.
T_KERNEL_LOG_BAD='WARNING|BUG:|kernel BUG|Oops|Call Trace|refcount_t|kmemleak|general protection|UBSAN|KASAN|possible recursive locking|circular locking|inconsistent lock state|lockdep|blocked for more than'
t_kernel_log_problems() {
	grep -E "$T_KERNEL_LOG_BAD" |
		grep -vE 'module verification failed: signature and/or required key missing|loading out-of-tree module taints kernel' |
		grep -vE 'RCU lockdep checking is enabled|kmemleak: Kernel memory leak detector initialized' |
		head -n 20
}
