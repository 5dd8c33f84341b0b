#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Dissector suite: wireshark/mcbridge.lua, the tshark/Wireshark dissector,
# reads real bridge traffic as the bridge sent it.
#  - tshark loads the script and registers its fields (the generated ones
#    too);
#  - on the host, in a private network namespace: the bridge on
#    ethtool/monitor (real ethtool notifications, and messages multicast
#    into the group from here: every attribute kind, one too large);
#  - in the test VM with the module: mcbridge/events (injected,
#    heartbeat, netdev and module events);
# each run captured on lo with tcpdump, in both formats, signed and not,
# with overrun and lost notices and truncated events, then dissected with
# tshark and compared, datagram by datagram, with the bytes and with what
# mcbridge-listen received (tests/dissector/check_dissect.py).
set -u
cd "$(dirname "$0")/../.."

T_SCRIPT=dissector
. tests/lib/check.sh
. tests/lib/kernels.sh

LUA=wireshark/mcbridge.lua
mkdir -p build/tmp
W=$(mktemp -d build/tmp/dissector.XXXXXX)
trap 'rm -rf "$W"' EXIT

for f in build/bin/mcbridged build/bin/mcbridge-listen build/bin/mcbridge-ctl; do
	if [ ! -x "$f" ]; then
		t_fail "missing $f (run make first)"
		t_done
		exit 1
	fi
done

# -G fields loads the script as a capture would; a Lua error is printed,
# not fatal, so the output is checked.
if tshark -G fields -X "lua_script:$LUA" >"$W/fields" 2>"$W/fields.err" &&
   ! grep -qi 'lua' "$W/fields.err" &&
   grep -q $'\tmcbridge\.attr\.netns_cookie\t' "$W/fields" &&
   grep -q $'\tmcbridge\.auth\.hmac\t' "$W/fields"; then
	t_ok "tshark loads $LUA: $(grep -c $'\tmcbridge\.' "$W/fields") fields, the spec's among them"
else
	t_fail "tshark loads $LUA" "$(cat "$W/fields.err")"
fi

# The capture and the checks run one after the other: the checks need
# what the capture wrote.
dissect() {	# WHAT DIR
	if [ -s "$2/manifest.json" ]; then
		t_tally "$1: dissected" python3 tests/dissector/check_dissect.py --lua "$LUA" "$2"
	else
		t_fail "$1: dissected" "no capture"
	fi
}

t_tally "host capture" unshare -n python3 tests/dissector/capture.py --source host --out "$W/host"
dissect host "$W/host"

# The module's events: in the VM, on the first selected kernel.
name=$(kernel_names | head -n 1)
if kernel_prepare "$name"; then
	kernel_vm_checks "$name" "capture in the VM" --quiet --out "$W/vm" \
		--timeout "$(kernel_timeout 300)" -- \
		python3 tests/dissector/capture.py --source module --ko "$KO"
	dissect "[$name] module" "$W/vm"
fi
t_done
