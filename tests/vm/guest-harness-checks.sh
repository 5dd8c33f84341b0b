#!/usr/bin/env bash
# Guest half of suite-vm-harness.sh; run inside the VM by vm-run.
#   guest-harness-checks.sh EXPECTED_KVER
# Prints its checks, then exits 3 on purpose (the host checks that the status
# propagates and that the guest dmesg is shown for a failing command).
set -uo pipefail
T_SCRIPT=guest
. "$(dirname "$0")/guest-lib.sh"

kver=$1

[ "${MCB_IN_VM:-}" = 1 ] && t_ok "MCB_IN_VM=1" || t_fail "MCB_IN_VM=1" "got '${MCB_IN_VM:-}'"
[ "$(uname -r)" = "$kver" ] && t_ok "uname -r = $kver" || t_fail "uname -r" "got $(uname -r), want $kver"
[ "$(id -u)" = 0 ] && t_ok "runs as root" || t_fail "runs as root" "uid $(id -u)"
[ "$PWD" = "$(cd "$(dirname "$0")/../.." && pwd)" ] && t_ok "cwd is the host's" || t_fail "cwd" "$PWD"
t_check "lo is up" sh -c 'ip -o link show lo | grep -q "UP"'
t_check "modprobe dummy" modprobe dummy
t_check "ip link add d0 type dummy" ip link add d0 type dummy
t_check "writable /tmp" sh -c 'echo x >/tmp/x'
t_check "setpriv as nobody" setpriv --reuid=nobody --regid=nogroup --clear-groups true
t_check "python3" python3 -c 'import socket; socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16).close()'
t_check "host root is read-only" sh -c '! touch /usr/.vm-ro-probe 2>/dev/null'

# Results share: the host reads this file after the run.
t_check "write to MCB_VM_OUT" sh -c 'echo "from guest $(uname -r)" >"$MCB_VM_OUT/hello.txt"'

# Live output: the host answers PING (seen on the stream while we still run)
# by creating a file in the results share.
echo "PING"
t_wait_for -t 60 test -e "$MCB_VM_OUT/pong" && t_ok "output streams live" ||
	t_fail "output streams live" "no answer from the host to PING"

t_check_dmesg_clean "boot dmesg clean"
echo "MCB-GUEST-MARK: harness check" >/dev/kmsg
t_done
exit 3
