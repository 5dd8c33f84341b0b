#!/usr/bin/env bash
# make bench: how close mcbridge comes to the kernel's own limits.
#
#   bench/run.sh [--quick] [--out DIR]
#   bench/run.sh --from RAW [--out DIR]
#
# On the host: instructions per event of the bridge's userspace path
# (bench/mcb-bench-ir under callgrind).  In one boot of the test VM
# (tests/vm/vm-run, QEMU TCG): netlink and multicast limits, end-to-end
# throughput and loss through mcbridged, latency (bench/guest-bench.sh).
# Prints the table and writes DIR/results.txt, DIR/bench.png (gnuplot) and
# DIR/raw.txt (every measurement); DIR defaults to bench/results.
# --quick: tiny counts, for the smoke test; the numbers mean nothing.
# --from RAW: no measuring, the table and plot again from a raw.txt.
# Needs root (netlink between two user sockets, like the VM's CAP_NET_ADMIN)
# and what scripts/deps.sh installs; run `make` first (make bench does).
set -euo pipefail

cd "$(dirname "$0")/.."
quick=0
out=bench/results
from=
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1; shift ;;
	--out) [ $# -ge 2 ] || { echo "bench: --out needs a directory" >&2; exit 2; }
		out=$2; shift 2 ;;
	--from) [ $# -ge 2 ] || { echo "bench: --from needs a file" >&2; exit 2; }
		from=$2; shift 2 ;;
	*) echo "usage: bench/run.sh [--quick] [--out DIR] | --from RAW [--out DIR]" >&2; exit 2 ;;
	esac
done
for tool in valgrind gnuplot python3; do
	command -v "$tool" >/dev/null || { echo "bench: $tool missing: run scripts/deps.sh" >&2; exit 1; }
done
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
raw=$tmp/raw.txt
start=$SECONDS

# --- host: instructions per event (callgrind) ------------------------------
# Two runs per format, N0 and N1 events; (Ir1 - Ir0) / (N1 - N0) leaves out
# what does not scale with events (first calls, lazy binding).  Only
# bridge_wakeup() and what it calls is counted, so the totals are exact and
# the same from run to run.
measure_host() {
	local counts fmt n cg ir
	if [ "$quick" -eq 1 ]; then counts="200 1200"; else counts="1000 11000"; fi
	for fmt in binary json; do
		for n in $counts; do
			cg=$tmp/callgrind.$fmt.$n
			valgrind --tool=callgrind --collect-atstart=no \
				'--toggle-collect=bridge_wakeup*' --callgrind-out-file="$cg" \
				build/bench/mcb-bench-ir --format "$fmt" --events "$n" \
				>"$tmp/ir.out" 2>"$tmp/ir.err" ||
				{ cat "$tmp/ir.out" "$tmp/ir.err" >&2; return 1; }
			ir=$(sed -n 's/^totals: *//p' "$cg")
			[ -n "$ir" ] || { echo "bench: no callgrind totals in $cg" >&2; return 1; }
			echo "irrun format=$fmt events=$n ir=$ir" >>"$raw"
		done
	done
	echo "bench: callgrind done ($((SECONDS - start)) s)" >&2
}

# --- VM: everything with the module, one boot ---------------------------
measure_vm() {
	local vmout=$tmp/vm guest_args=()
	mkdir -p "$vmout"
	[ "$quick" -eq 1 ] && guest_args=(--quick)
	tests/vm/vm-run --quiet --mem 4096 --timeout 1500 --out "$vmout" -- \
		bash bench/guest-bench.sh "${guest_args[@]}" >&2
	cat "$vmout/raw.txt" >>"$raw"
	grep -qx 'done' "$vmout/raw.txt" ||
		{ echo "bench: the VM run did not finish" >&2; return 1; }
}

if [ -n "$from" ]; then
	cp "$from" "$raw"
else
	[ "$(id -u)" -eq 0 ] || { echo "bench: run as root" >&2; exit 1; }
	for f in kmod/mcbridge.ko build/bin/mcbridged build/lib/libmcbridge-client.a; do
		[ -e "$f" ] || { echo "bench: $f missing: run make first" >&2; exit 1; }
	done
	make -s -C bench
	{
		echo "meta date=$(date -u '+%Y-%m-%d %H:%M UTC')"
		echo "meta host_cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
		echo "meta host_cores=$(nproc)"
		echo "meta host_kernel=$(uname -r)"
	} >"$raw"
	measure_host
	measure_vm
fi

# --- table and plot -------------------------------------------------------
data=$tmp/data
mkdir -p "$data"
python3 bench/report.py "$raw" "$out" "$data"
vcpus=$(sed -n 's/^info .* vcpus=\([0-9]*\).*/\1/p' "$raw")
title="mcbridge benchmarks, $(sed -n 's/^meta date=//p' "$raw"); host $(sed -n 's/^meta host_cpu=//p' "$raw") ($(sed -n 's/^meta host_cores=//p' "$raw") cores), QEMU TCG guest, $vcpus vCPUs"
grep -q '^info .* quick=1' "$raw" && title="$title [quick run: numbers meaningless]"
gnuplot -e "dir='$data'; out='$out/bench.png'; title='$title'" bench/plot.gp 2>"$tmp/gnuplot.err" ||
	{ cat "$tmp/gnuplot.err" >&2; exit 1; }
cp "$raw" "$out/raw.txt"
echo "bench: wrote $out/results.txt, $out/bench.png, $out/raw.txt ($((SECONDS - start)) s)" >&2
