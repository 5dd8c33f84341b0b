# guest-lib.sh: helpers for test scripts run inside the VM by tests/vm/vm-run.
# Source it from bash:   . "$(dirname "$0")/../vm/guest-lib.sh"
#
#   t_ok, t_fail, t_check, t_tally, t_done: see tests/lib/check.sh
#   t_check_dmesg_clean [NAME]
#                           fail if the kernel log shows a warning, BUG, oops,
#                           leak or sanitizer report since the last call
#   t_kmemleak_clear        forget what kmemleak has seen so far (boot)
#   t_check_kmemleak [NAME] fail if kmemleak reports a leak since the clear;
#                           both do nothing on a kernel without kmemleak
#   t_wait_for [-t SEC] CMD...
#                           poll CMD until it succeeds (default 10 s; up to
#                           4 x as long on a slow kernel, MCB_SLOW)
#
# Output: one line per check ("ok NAME" / "FAIL NAME: MSG"), then the totals.

. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh"

T_DMESG_SEEN=0	# dmesg lines already checked

t_check_dmesg_clean() {
	local name=${1:-dmesg clean} log bad
	if ! log=$(dmesg 2>&1); then
		t_fail "$name" "cannot read dmesg: $log"
		return 1
	fi
	bad=$(printf '%s\n' "$log" | tail -n +$((T_DMESG_SEEN + 1)) | t_kernel_log_problems)
	T_DMESG_SEEN=$(printf '%s\n' "$log" | wc -l)
	if [ -n "$bad" ]; then
		t_fail "$name" "kernel log reports problems:
$bad"
		return 1
	fi
	t_ok "$name"
}

T_KMEMLEAK=/sys/kernel/debug/kmemleak

t_kmemleak_clear() {
	[ -w "$T_KMEMLEAK" ] && echo clear >"$T_KMEMLEAK"
	return 0
}

t_check_kmemleak() {
	local name=${1:-no kmemleak report} leaks
	[ -w "$T_KMEMLEAK" ] || return 0
	# Objects are reported once older than a few seconds and unreferenced
	# in two scans.
	echo scan >"$T_KMEMLEAK" && echo scan >"$T_KMEMLEAK"
	leaks=$(cat "$T_KMEMLEAK")
	if [ -n "$leaks" ]; then
		t_fail "$name" "$(head -n 40 <<<"$leaks")"
		return 1
	fi
	t_ok "$name (kmemleak scanned)"
}

# Event count N for the booted kernel: divided by its slowdown (MCB_SLOW,
# the "slow" column of kmod/kernels.list) so a debug kernel's run of the
# big bursts takes about as long as the others'.
t_events() { echo $(( $1 / ${MCB_SLOW:-1} )); }

# Poll until CMD succeeds, for at most SEC seconds (default 10). Only for
# conditions that have no readiness signal to wait on (a file, a pipe, a
# process exit, a netlink reply): prefer those when they exist.
t_wait_for() {
	local limit=10 end
	if [ "${1:-}" = -t ]; then
		limit=$2
		shift 2
	fi
	# A slow (debug) kernel: up to four times as long.
	limit=$((limit * (${MCB_SLOW:-1} < 4 ? ${MCB_SLOW:-1} : 4)))
	end=$((SECONDS + limit))
	until "$@" >/dev/null 2>&1; do
		if [ "$SECONDS" -ge "$end" ]; then
			echo "t_wait_for: '$*' still failing after ${limit}s" >&2
			return 1
		fi
		sleep 0.05
	done
}
