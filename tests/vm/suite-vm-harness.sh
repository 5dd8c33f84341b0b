#!/usr/bin/env bash
# Checks tests/vm/vm-run itself, in two boots: the guest runs the kernel we
# asked for with working tools, its output streams live, files and dmesg come
# back, and exit statuses propagate.
set -euo pipefail
cd "$(dirname "$0")/../.."

vmrun=tests/vm/vm-run
T_SCRIPT=vm-harness
. tests/lib/check.sh

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/out"

if ! kver=$("$vmrun" --print-kver); then
	t_fail "choose a kernel version"
	t_done
	exit 1
fi
echo "kernel $kver"
t_check "missing kernel version is a clear error (exit 2)" \
	sh -c '"$0" --kver 0.0.0-none-amd64 -- true 2>/dev/null; [ $? -eq 2 ]' "$vmrun"

# Boot 1: guest checks, exit 3, results share, dmesg, live output.
# We read vm-run's output while it runs, and answer the guest's PING.
out=$tmp/stdout
: >"$out"
rc=
while IFS= read -r line; do
	case "$line" in
	"VMRUN-EXIT "*) rc=${line#VMRUN-EXIT } ;;
	*)
		printf '%s\n' "$line" >>"$out"
		printf '  | %s\n' "$line"
		[ "$line" = PING ] && : >"$tmp/out/pong"
		;;
	esac
done < <(set +e; "$vmrun" --quiet --timeout 300 --out "$tmp/out" --dmesg "$tmp/dmesg" \
	-- tests/vm/guest-harness-checks.sh "$kver" 2>"$tmp/stderr"; echo "VMRUN-EXIT $?")

t_check "exit 3 in the guest gives exit 3" test "$rc" = 3
t_check "guest checks all passed" grep -qx 'guest: [0-9]* passed, 0 failed' "$out"
t_check "command output is returned" grep -qx "ok uname -r = $kver" "$out"
t_check "results-share file readable on the host" grep -qx "from guest $kver" "$tmp/out/hello.txt"
t_check "--dmesg saves the guest dmesg" grep -q 'MCB-GUEST-MARK: harness check' "$tmp/dmesg"
t_check "failing command prints the guest dmesg to stderr" \
	sh -c 'grep -q "^--- guest dmesg" "$0" && grep -q "MCB-GUEST-MARK: harness check" "$0"' "$tmp/stderr"
t_check "--quiet: no vm-run chatter" sh -c '! grep -q "^vm-run: " "$0"' "$tmp/stderr"
if [ "$T_FAILED" -ne 0 ]; then
	echo "--- vm-run stderr"
	cat "$tmp/stderr"
fi

# Boot 2: a trivial command; status 0, quiet stderr, MCB_VM_DMESG honoured.
start=$(date +%s%N)
if MCB_VM_DMESG=$tmp/dmesg2 "$vmrun" --quiet -- true >"$tmp/stdout2" 2>"$tmp/stderr2"; then
	t_ok "true gives exit 0"
else
	t_fail "true gives exit 0" "exit $?: $(cat "$tmp/stderr2")"
fi
echo "  (vm-run -- true took $(( ($(date +%s%N) - start) / 1000000 )) ms)"
t_check "no dmesg on stderr after success" test ! -s "$tmp/stderr2"
t_check "MCB_VM_DMESG saves the guest dmesg" grep -q "Linux version $kver" "$tmp/dmesg2"

# Boots 3-8: a guest kernel that crashes before the command starts is booted
# again (the test hook crashes the first N boots); one that crashes while
# the command runs is not.
set +e
MCB_VM_TEST_CRASH_BOOTS=1 "$vmrun" --quiet -- cat /run/mcb-vm/boot >"$tmp/stdout3" 2>"$tmp/stderr3"
rc=$?
set -e
t_check "a boot that crashed before the command: booted again, the command ran once (exit $rc)" \
	test "$rc" -eq 0 -a "$(cat "$tmp/stdout3")" = 2
t_check "and said so on stderr, with the crashed boot's panic" \
	sh -c 'grep -q "boot 1 of 3: the guest kernel crashed before the command started; booting again" "$0" &&
	       grep -q "Kernel panic" "$0"' "$tmp/stderr3"
set +e
MCB_VM_TEST_CRASH_BOOTS=2 MCB_VM_BOOT_TRIES=2 "$vmrun" --quiet -- true >/dev/null 2>"$tmp/stderr4"
rc=$?
set -e
t_check "every boot crashed (MCB_VM_BOOT_TRIES=2): exit 125 after 2 boots, not more (exit $rc)" \
	sh -c '[ "$1" -eq 125 ] && grep -q "boot 2 of 2 crashed too" "$0" &&
	       [ "$(grep -c "booting again" "$0")" -eq 1 ]' "$tmp/stderr4" "$rc"
set +e
"$vmrun" --quiet -- sh -c 'echo c >/proc/sysrq-trigger' >/dev/null 2>"$tmp/stderr5"
rc=$?
set -e
t_check "a crash while the command runs is its own: exit 125, not booted again (exit $rc)" \
	sh -c '[ "$1" -eq 125 ] && ! grep -q "booting again" "$0"' "$tmp/stderr5" "$rc"

t_done
