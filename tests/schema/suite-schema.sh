#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Schema suite: kmod/mcbridge.yaml is the one source of the family's
# attributes.
#  - the generated files are what scripts/genl-gen.py makes of the spec
#    (tests/kmod/check-spec.py: regenerate and diff);
#  - schema_probe sends an event attribute through every consumer of the
#    table (bridge JSON and binary encoders, both client decoders, both
#    renderers, mcbridge-ctl's printer) in this tree, and mcbridge-ctl
#    names the attribute an extended ack points at;
#  - a copy of the tree gets two scratch attributes by one edit of its spec
#    (a u32 and a string, added to the event), is regenerated and built in
#    a scratch build directory, and the probe shows each consumer carrying
#    them with no other edit; tshark lists them as fields of the
#    regenerated dissector.
set -u
cd "$(dirname "$0")/../.."
TOP=$PWD
. tests/lib/check.sh

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
PY=/usr/bin/python3

# probe TREE OUT: build schema_probe against TREE's build in OUT.
build_probe() {
	local tree=$1 out=$2 nl
	nl=$(pkg-config --cflags --libs libnl-genl-3.0)
	# TOP too: `make test` exports the checkout's own TOP, which would
	# build the scratch tree's programs from this tree's sources.
	make -s -C "$tree/client" TOP="$tree" O="$out" all >/dev/null &&
	make -s -C "$tree/bridge" TOP="$tree" O="$out" all >/dev/null &&
	make -s -C "$tree/tools" TOP="$tree" O="$out" all >/dev/null &&
	# shellcheck disable=SC2086
	cc -std=c11 -D_GNU_SOURCE -O1 -Wall -Wextra -Werror \
		-I"$tree" -I"$tree/include" -I"$tree/include/uapi" -I"$tree/lib" \
		-I"$tree/client" -I"$tree/bridge" \
		"$tree/tests/schema/schema_probe.c" \
		"$out/bridge/encode_json.o" "$out/bridge/encode_binary.o" \
		"$out/lib/libmcbridge-client.a" "$out/lib/libmcbridge.a" $nl -lcrypto -lm \
		-o "$out/schema_probe"
}

# expect FILE PATTERN...: every fixed string is in FILE.
expect() {
	local f=$1 p
	shift
	for p in "$@"; do
		grep -qF -- "$p" "$f" || { echo "missing: $p"; cat "$f"; return 1; }
	done
}

t_check "generated files match the spec" $PY tests/kmod/check-spec.py

if build_probe "$TOP" "$W/build" >"$W/build.log" 2>&1; then
	t_ok "probe builds against this tree"
else
	t_fail "probe builds against this tree" "$(tail -n 20 "$W/build.log")"
fi
P=$W/build/schema_probe
if "$P" ifflags 4098 >"$W/ifflags.out"; then
	t_check "ifflags through every consumer" expect "$W/ifflags.out" \
		'"ifflags":4098' 'json render_json: {' 'json render_human: ' \
		' flags=0x1002' 'binary decoder: field 4098' \
		'ctl monitor: seq=5 ts=900 type=heartbeat ifflags=0x1002'
else
	t_fail "ifflags through every consumer" "$(cat "$W/ifflags.out")"
fi
# The namespace identity of all_netns events, both sizes (u32 and u64 at
# its top bit), in both wire formats, both renderers and ctl.
for nv in "netns-ino netns_ino 4026532281 netns=4026532281" \
	  "netns-cookie netns_cookie 18446744073709551000 netns_cookie=18446744073709551000"; do
	set -- $nv
	if "$P" "$1" "$3" >"$W/$2.out"; then
		t_check "$1 through every consumer" expect "$W/$2.out" \
			"\"$2\":$3" "json decoder: field $3" \
			"binary decoder: field $3" "render_human: event mcbridge/events #9 heartbeat $4" \
			"ctl monitor: seq=5 ts=900 type=heartbeat $2=$3"
		n=$(grep -c "\"$2\":$3" "$W/$2.out")
		[ "$n" -eq 3 ] && t_ok "$1 in the encoder's and both renderers' JSON" ||
			t_fail "$1 in the encoder's and both renderers' JSON" "$n of 3"
	else
		t_fail "$1 through every consumer" "$(cat "$W/$2.out")"
	fi
done
"$P" --ext-ack >"$W/ack.out" 2>&1
t_check "ctl names the attribute an extended ack points at" \
	expect "$W/ack.out" "mcbridge-ctl: emit: Numerical result out of range: out of range (attribute count) (missing attribute text)"
# The probe can fail: this tree's spec has no "scratch".
if "$P" scratch 7 >"$W/none.out"; then
	t_fail "probe refuses an attribute the spec lacks" "$(cat "$W/none.out")"
else
	t_check "probe refuses an attribute the spec lacks" \
		expect "$W/none.out" "no event attribute scratch"
fi

# A tree whose spec has two more event attributes: one YAML edit.
mkdir "$W/tree"
tar -C "$TOP" --exclude=./build --exclude=./.git -cf - . | tar -C "$W/tree" -xf -
$PY - "$W/tree/kmod/mcbridge.yaml" <<'PYEOF'
import sys, yaml
path = sys.argv[1]
spec = yaml.safe_load(open(path))
spec["attribute-sets"][0]["attributes"] += [
    {"name": "scratch", "type": "u32", "doc": "A scratch number."},
    {"name": "scratch-note", "type": "string"},
]
for op in spec["operations"]["list"]:
    if "event" in op:
        op["event"]["attributes"] += ["scratch", "scratch-note"]
yaml.safe_dump(spec, open(path, "w"), sort_keys=False)
PYEOF
if $PY "$W/tree/scripts/genl-gen.py" >"$W/gen.log" 2>&1 &&
   grep -q MCBRIDGE_ATTR_SCRATCH_NOTE "$W/tree/include/uapi/linux/mcbridge.h"; then
	t_ok "scratch spec regenerated ($(grep -c GEN "$W/gen.log") files)"
else
	t_fail "scratch spec regenerated" "$(cat "$W/gen.log")"
fi
if build_probe "$W/tree" "$W/sbuild" >"$W/sbuild.log" 2>&1; then
	t_ok "scratch tree builds (client, bridge, ctl, probe) with no other edit"
else
	t_fail "scratch tree builds" "$(tail -n 20 "$W/sbuild.log")"
fi
S=$W/sbuild/schema_probe
for a in "scratch 7" "scratch-note hello"; do
	set -- $a
	key=${1//-/_}
	if [ "$1" = scratch ]; then
		json="\"scratch\":7" human=" scratch=7" ctl=" scratch=7"
	else
		json="\"scratch_note\":\"hello\"" human=" scratch_note=\"hello\""
		ctl=" scratch_note=\"hello\""
	fi
	if "$S" "$1" "$2" >"$W/$key.out" 2>&1; then
		t_check "scratch $1 through every consumer" expect "$W/$key.out" \
			"bridge encode_json: {" "$json" \
			"json decoder: field $2" "binary decoder: field $2" \
			"json render_json: " "binary render_human: " "$human" \
			"ctl monitor: seq=5 ts=900 type=heartbeat$ctl"
		# Each renderer's line carries it, not just one of them.
		t_check "scratch $1 in all five outputs" \
			test "$(grep -cF -- "$json" "$W/$key.out")" -eq 3 -a \
			"$(grep -cF -- "$human" "$W/$key.out")" -ge 3
	else
		t_fail "scratch $1 through every consumer" "$(cat "$W/$key.out")"
	fi
	sed 's/^/     | /' "$W/$key.out"
done
# The dissector is a consumer too: its fields follow the spec.
if tshark -G fields -X "lua_script:$W/tree/wireshark/mcbridge.lua" >"$W/fields" 2>"$W/fields.err" &&
   grep -q $'\tmcbridge\.attr\.scratch\t' "$W/fields" &&
   grep -q $'\tmcbridge\.attr\.scratch_note\t' "$W/fields"; then
	t_ok "scratch attributes are fields of the regenerated dissector"
else
	t_fail "scratch attributes are fields of the regenerated dissector" \
		"$(cat "$W/fields.err"; grep -c mcbridge "$W/fields")"
fi
t_done
