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

T_SCRIPT=security
. tests/lib/check.sh

for variant in normal san; do
	args=() label=normal dir=build
	[ "$variant" = san ] && args=(SAN=1) label="SAN=1" dir=build/san
	t_check "build client, bridge and unit tests ($label)" \
		sh -c "make -s -C client ${args[*]} all tests && make -s -C bridge ${args[*]} all"
	t_check "unit test_auth: sign/verify, bit flips, replay window, key files ($label)" \
		"$dir/tests/client/test_auth"
done

for variant in normal san; do
	dir=build label=
	[ "$variant" = san ] && dir=build/san label="SAN=1"
	t_tally "host security tests ($variant)" env MCBRIDGED=$dir/bin/mcbridged \
		MCB_LISTEN=$dir/bin/mcbridge-listen MCB_TEST_LABEL=$label \
		unshare -n python3 tests/security/host_security.py
done
t_tally "containment" tests/security/containment.sh

if [ ! -e kmod/mcbridge.ko ] || [ ! -x build/bin/mcbridge-ctl ]; then
	t_fail "VM security tests" "kmod/mcbridge.ko or build/bin/mcbridge-ctl missing (run make first)"
else
	t_tally "VM security tests" tests/vm/vm-run --quiet --timeout 600 -- \
		bash tests/security/guest-security.sh
fi

t_done
