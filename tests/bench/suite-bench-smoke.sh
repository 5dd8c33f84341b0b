#!/usr/bin/env bash
# Bench smoke suite: runs the benchmark harness (bench/run.sh --quick: tiny
# counts, one VM boot, ~40 s) into a temporary directory and checks that it
# produced every row of the table with well-formed numbers, the target
# verdicts and the plot.  It asserts nothing about performance: that is
# make bench's job.  Prints one line per check and a totals line.
set -u
cd "$(dirname "$0")/../.." || exit 1
T_SCRIPT=bench-smoke
. tests/lib/check.sh

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
res=$out/results.txt

finish() {
	t_done
	exit
}

for f in kmod/mcbridge.ko build/bin/mcbridged build/lib/libmcbridge-client.a; do
	[ -e "$f" ] || { t_fail "prerequisites" "$f missing (run make first)"; finish; }
done
if [ "$(id -u)" -ne 0 ]; then
	t_fail "prerequisites" "bench/run.sh needs root"
	finish
fi

if timeout 300 bench/run.sh --quick --out "$out" >"$out/stdout" 2>"$out/stderr"; then
	t_ok "bench/run.sh --quick exits 0"
else
	t_fail "bench/run.sh --quick exits 0" "status $?"
	tail -n 30 "$out/stderr" | sed 's/^/     | /'
	finish
fi

# The printed table is results.txt.
if [ -s "$res" ] && cmp -s "$res" "$out/stdout"; then
	t_ok "results.txt written, same as the printed table"
else
	t_fail "results.txt written, same as the printed table"
fi

# has NAME REGEX [COUNT]: results.txt has (at least COUNT) matching lines.
has() {
	local n
	n=$(grep -cE "$2" "$res")
	if [ "$n" -ge "${3:-1}" ]; then t_ok "$1"; else t_fail "$1" "$n lines match /$2/"; fi
}

R='[0-9][0-9,]*'		# a rate, with thousands separators
P='(0|<0\.01%|[0-9]+\.[0-9]{2}%)'	# a loss
has "header: date and machine" '^mcbridge benchmarks, [0-9]{4}-[0-9]{2}-[0-9]{2} '
has "header: host" '^host: .+ cores, Linux '
has "header: guest" '^guest: Linux .+ QEMU TCG'
has "row A netlink (libnl)" "^A  netlink, libnl +$R +$P +[0-9]+ "
has "row A' netlink (recvmmsg)" "^A' netlink, recvmmsg +$R +$P +[0-9]+ "
has "row A0 netlink (history=0)" "^A0 netlink, history=0 +$R +$P +[0-9]+ "
has "history cost line" '^  rate A/A0 [0-9]+\.[0-9]{2}; emitter CPU per event [0-9.]+ us on, [0-9.]+ us off'
for f in json binary; do
	has "row B ($f size)" "^B  UDP [0-9]+ B \\($f size\\) +$R +$P +[0-9]+ "
	for n in 1 4; do
		has "row E2E $f N=$n: rates, loss, ratios, CPU" \
			"^E2E $f +N=$n +$R +$P +$R +[0-9]+\\.[0-9]{2} +[0-9]+\\.[0-9]{2} +[0-9]+ +[0-9]+\\+[0-9]+\\+${n}x[0-9]+"
		has "loss curve $f N=$n" "^  $f +N=$n +($R:$P\\+? ?){3,}$"
	done
done
for p in "direct netlink" "bridge json" "bridge binary" "UDP hop"; do
	has "latency row: $p" "^  $p( [0-9]+ B)? +([0-9]+\\.[0-9]{2} +){4}[0-9]+$" \
		"$([ "$p" = "UDP hop" ] && echo 2 || echo 1)"
done
for f in binary json; do
	has "instructions per event: $f" "^  $f +\\($R - $R\\) Ir / \\($R - $R\\) events = $R\\.[0-9] Ir/event$"
done
has "target verdicts" '^  \[(met|MISSED)\] ' 12

if [ "$(head -c 8 "$out/bench.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; then
	t_ok "bench.png is a PNG"
else
	t_fail "bench.png is a PNG"
fi
if grep -qx 'done' "$out/raw.txt" && grep -q '^irrun format=json ' "$out/raw.txt"; then
	t_ok "raw.txt has the host and the whole VM run"
else
	t_fail "raw.txt has the host and the whole VM run"
fi
finish
