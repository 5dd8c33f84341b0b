#!/usr/bin/env bash
# Bench smoke suite: runs the benchmark harness (bench/run.sh --quick: tiny
# counts, the native half in a private network namespace and one VM boot,
# ~90 s) into a temporary directory and checks that it produced every row
# of both tables with well-formed numbers, every target's verdict and both
# plots.  It asserts nothing about performance: that is
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

if timeout 600 bench/run.sh --quick --out "$out" >"$out/stdout" 2>"$out/stderr"; then
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
	if [ "$n" -ge "${3:-1}" ]; then
		t_ok "$1"
	else
		# The rows that begin the same way, to see what did not match.
		t_fail "$1" "$n lines match /$2/; the table has:
$(grep -E "^${2:1:12}" "$res" | head -n 5)"
	fi
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
for f in binary json binary/history json/history; do
	has "instructions per event: $f" "^  $f +\\($R - $R\\) Ir / \\($R - $R\\) events = $R\\.[0-9] Ir/event$"
done
# The VM's targets: E2E ratios (4), zero loss at 50 % (4), latency (2).
has "VM target verdicts" '^  \[(met|MISSED)\] (E2E|zero loss|bridge (json|binary) p99)' 10

# The native table: every path for N = 1 and 4 (the quick run's), with a
# burst rate, a loss, a zero-loss rate, CPU split into sender + bridge +
# N x receiver + softirq, and latency percentiles at both rates.
has "native header: host, load, events" '^load average \(1/5/15 min\) during the run: start [0-9.]+/'
L='[0-9]+\.[0-9]{2}/[0-9]+\.[0-9]{2}/[0-9]+\.[0-9]{2}'	# p50/p99/p999
# "NAME|REGEX" per row: the row's name in the check, the regex of its label.
while IFS='|' read -r name row; do
	for n in 1 4; do
		has "native row $name N=$n" "^$row +$n +$R +$P +$R +[0-9]+\.[0-9]{2} +[0-9]+\.[0-9]{2}\+[0-9]+\.[0-9]{2}\+${n}x[0-9]+\.[0-9]{2}\+[0-9]+\.[0-9]{2} +$L +$L$"
		has "native loss curve $name N=$n" "^  $row +N=$n +($R:$P\*? ?){2,}$"
	done
done <<'EOF'
D (libnl)|D   netlink, libnl
D' (recvmmsg)|D'  netlink, recvmmsg
B json|B   UDP [0-9]+ B \(json\)
B binary|B   UDP [0-9]+ B \(binary\)
E2E json|E2E json
E2E binary|E2E binary
EOF
# Bridge rows have the bridge's CPU; direct and UDP rows none.
has "native: the bridge's CPU is counted" '^E2E (json|binary) +[0-9]+ .* [0-9]+\.[0-9]{2}\+[0-9]*[1-9][0-9]*\.[0-9]{2}\+' 1
# The native targets, each with its verdict: E2E ratios (2 formats x 2 N),
# bridge CPU (4), burst loss (4), p99 added (2), instructions (2), filter (2).
while IFS='|' read -r name want t; do
	has "native target verdicts: $name ($want)" "^  \[(met|MISSED)\] $t" "$want"
done <<EOF
E2E >= 0.9 x min(D, B)|4|E2E\([14]\) (json|binary) >= 0\.9 x min\(D, B\): burst $R / $R = [0-9.]+, paced
bridge CPU <= a libnl subscriber's|4|bridge CPU per event <= one direct libnl subscriber's
burst without loss|4|a [0-9,]+-event burst at full rate reaches [14] listener
p99 added by the bridge|2|p99 added by the bridge at 10,000 ev/s
instructions per event|2|instructions per event, (binary|json)/history: $R <= 
kernel filter|2|kernel filter
EOF

for png in bench bench-native; do
	if [ "$(head -c 8 "$out/$png.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; then
		t_ok "$png.png is a PNG"
	else
		t_fail "$png.png is a PNG"
	fi
done
if grep -qx 'done' "$out/raw.txt" && grep -q '^irrun format=json ' "$out/raw.txt"; then
	t_ok "raw.txt has the host and the whole VM run"
else
	t_fail "raw.txt has the host and the whole VM run"
fi
# Every path, N and phase of the native run is in its records.
if [ -r "$out/raw-native.txt" ] && grep -qx 'done' "$out/raw-native.txt"; then
	t_ok "raw-native.txt has the whole native run"
	for k in "D fmt=-" "Dm fmt=-" "B fmt=json" "B fmt=binary" "E fmt=json" "E fmt=binary"; do
		for ph in burst ladder lat; do
			n=$(grep -cE "^begin kind=${k} n=[14] phase=$ph" "$out/raw-native.txt")
			want=2
			[ $ph = lat ] && want=4
			if [ "$n" -eq $want ]; then t_ok "native records: $k $ph"; else t_fail "native records: $k $ph" "$n blocks, want $want"; fi
		done
	done
else
	t_fail "raw-native.txt has the whole native run"
fi
finish
