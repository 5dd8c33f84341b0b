#!/usr/bin/env bash
# Security suite (docs/security.md): authenticated datagrams, least
# privilege, containment.
#   - cmocka unit tests of signing, verification, replay window and key
#     files (tests/client/test_auth.c), normal and ASan+UBSan builds;
#   - host tests in a private network namespace (host_security.py): key file
#     refusal, forged/altered/replayed datagrams from another local process
#     rejected and counted, the bridge unprivileged once ready;
#   - containment.sh: nothing leaves the host by default, everything with
#     --ttl 1 --iface ADDR (two namespaces joined by a veth, with a capture);
#   - in the VM with the module (guest-security.sh): the unprivileged bridge
#     resubscribes after a module reload and still bridges.
# EMIT needing CAP_NET_ADMIN and listen_admin_only=1 are tested by
# tests/kmod/guest-kmod.sh (suite-kmod).
# Prints one line per check and a totals line; exits non-zero on a failure.
set -u
cd "$(dirname "$0")/../.."

passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

check() {	# check NAME CMD...: one check, output shown only on failure
	local name=$1
	shift
	if "$@" >"$log" 2>&1; then
		echo "ok   $name"
		passed=$((passed + 1))
	else
		echo "FAIL $name"
		sed 's/^/     | /' "$log" | tail -n 40
		failed=$((failed + 1))
	fi
}

# A script that prints its own "ok"/"FAIL" lines: add them to the totals.
tally() {	# tally NAME CMD...
	local name=$1 out rc p f
	shift
	out=$(mktemp)
	"$@" >"$out" 2>&1
	rc=$?
	grep -E '^(ok|FAIL|SKIP) ' "$out" | sed -E 's/^ok +/ok   /'
	p=$(grep -c '^ok ' "$out")
	f=$(grep -c '^FAIL ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $name exited with $rc"
		tail -n 30 "$out" | sed 's/^/     | /'
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	rm -f "$out"
}

for variant in normal san; do
	args=() label=normal dir=build
	[ "$variant" = san ] && args=(SAN=1) label="SAN=1" dir=build/san
	check "build client, bridge and unit tests ($label)" \
		sh -c "make -s -C client ${args[*]} all tests && make -s -C bridge ${args[*]} all"
	check "unit test_auth: sign/verify, bit flips, replay window, key files ($label)" \
		"$dir/tests/client/test_auth"
done

if [ "$(id -u)" -ne 0 ] || ! unshare -n true 2>/dev/null; then
	echo "SKIP host security tests (need root and unshare -n)"
else
	for variant in normal san; do
		dir=build label=
		[ "$variant" = san ] && dir=build/san label="SAN=1"
		tally "host security tests ($variant)" env MCBRIDGED=$dir/bin/mcbridged \
			MCB_LISTEN=$dir/bin/mcbridge-listen MCB_TEST_LABEL=$label \
			unshare -n python3 tests/security/host_security.py
	done
	tally "containment" tests/security/containment.sh
fi

if [ ! -e kmod/mcbridge.ko ] || [ ! -x build/bin/mcbridge-ctl ]; then
	echo "FAIL VM security tests: kmod/mcbridge.ko or build/bin/mcbridge-ctl missing (run make first)"
	failed=$((failed + 1))
else
	tally "VM security tests" tests/vm/vm-run --quiet --timeout 600 -- \
		bash tests/security/guest-security.sh
fi

echo "security: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
