#!/usr/bin/env bash
# make bench: how close mcbridge comes to the kernel's own limits.
#
#   bench/run.sh [--quick] [--only native|vm] [--out DIR]
#   bench/run.sh --from RAW [--from-native RAW] [--out DIR]
#
# On the host: instructions per event of the bridge's userspace path
# (bench/mcb-bench-ir under callgrind); the native benchmark on this
# machine's own kernel, in a private network namespace (bench/native.py:
# direct netlink subscribers, raw UDP multicast and the bridge end to end,
# N = 1, 4, 16 receivers, both formats, and the kernel-side listener
# filters; about 15 minutes).  In one boot of the test VM (tests/vm/vm-run,
# QEMU TCG): netlink and multicast limits with the module, end-to-end
# throughput and loss through mcbridged, latency (bench/guest-bench.sh).
# Prints both tables and writes DIR/results.txt, DIR/bench.png (VM) and
# DIR/bench-native.png (gnuplot), DIR/raw.txt and DIR/raw-native.txt
# (every measurement); DIR defaults to bench/results.
# --quick: tiny counts, for the smoke test; the numbers mean nothing.
# --only native|vm: one half (and callgrind), for a re-run.
# --from RAW: no measuring, the tables and plots again from a raw.txt (and
# a raw-native.txt).
# Needs root (netlink between two user sockets, like the VM's CAP_NET_ADMIN)
# and what scripts/deps.sh installs; run `make` first (make bench does).
set -euo pipefail

cd "$(dirname "$0")/.."
quick=0
out=bench/results
from=
from_native=
only=
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1; shift ;;
	--only) [ $# -ge 2 ] && { [ "$2" = native ] || [ "$2" = vm ]; } ||
			{ echo "bench: --only native or vm" >&2; exit 2; }
		only=$2; shift 2 ;;
	--from-native) [ $# -ge 2 ] || { echo "bench: --from-native needs a file" >&2; exit 2; }
		from_native=$2; shift 2 ;;
	--out) [ $# -ge 2 ] || { echo "bench: --out needs a directory" >&2; exit 2; }
		out=$2; shift 2 ;;
	--from) [ $# -ge 2 ] || { echo "bench: --from needs a file" >&2; exit 2; }
		from=$2; shift 2 ;;
	*) echo "usage: bench/run.sh [--quick] [--only native|vm] [--out DIR] | --from RAW [--from-native RAW] [--out DIR]" >&2; exit 2 ;;
	esac
done
for tool in valgrind gnuplot python3; do
	command -v "$tool" >/dev/null || { echo "bench: $tool missing: run scripts/deps.sh" >&2; exit 1; }
done
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
raw=$tmp/raw.txt
raw_native=$tmp/raw-native.txt
start=$SECONDS

# --- host: instructions per event (callgrind) ------------------------------
# Two runs per format, N0 and N1 events; (Ir1 - Ir0) / (N1 - N0) leaves out
# what does not scale with events (first calls, lazy binding).  Only
# bridge_wakeup() and the sink's sending thread (sink_thread()), and what
# they call, are counted, so the totals are exact and the same from run to
# run.
measure_host() {
	local counts fmt n cg ir
	if [ "$quick" -eq 1 ]; then counts="200 1200"; else counts="1000 11000"; fi
	# Without a history, and with one that is full, so that every
	# datagram kept evicts the oldest (the bridge's steady state with its
	# default history; a 64 KiB ring gets there within the runs).
	for fmt in binary json; do
		for hist in 0 65536; do
			for n in $counts; do
				cg=$tmp/callgrind.$fmt.$hist.$n
				valgrind --tool=callgrind --collect-atstart=no \
					'--toggle-collect=bridge_wakeup*' \
					'--toggle-collect=sink_thread*' --callgrind-out-file="$cg" \
					build/bench/mcb-bench-ir --format "$fmt" --events "$n" \
					--history "$hist" >"$tmp/ir.out" 2>"$tmp/ir.err" ||
					{ cat "$tmp/ir.out" "$tmp/ir.err" >&2; return 1; }
				ir=$(sed -n 's/^totals: *//p' "$cg")
				[ -n "$ir" ] || { echo "bench: no callgrind totals in $cg" >&2; return 1; }
				name=$fmt
				[ "$hist" = 0 ] || name=$fmt/history
				echo "irrun format=$name events=$n ir=$ir" >>"$raw"
			done
		done
	done
	echo "bench: callgrind done ($((SECONDS - start)) s)" >&2
}

# --- native: this machine's kernel, a private network namespace ----------
measure_native() {
	local args=()
	[ "$quick" -eq 1 ] && args=(--quick)
	: >"$raw_native"
	unshare -n python3 bench/native.py --raw "$raw_native" "${args[@]}" ||
		{ echo "bench: the native run failed" >&2; return 1; }
	grep -qx 'done' "$raw_native" ||
		{ echo "bench: the native run did not finish" >&2; return 1; }
	echo "bench: native done ($((SECONDS - start)) s)" >&2
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
	if [ -n "$from_native" ]; then cp "$from_native" "$raw_native"; else raw_native=; fi
else
	[ "$(id -u)" -eq 0 ] || { echo "bench: run as root" >&2; exit 1; }
	need="build/bin/mcbridged build/lib/libmcbridge-client.a"
	[ "$only" = native ] || need="$need kmod/mcbridge.ko"
	for f in $need; do
		[ -e "$f" ] || { echo "bench: $f missing: run make first" >&2; exit 1; }
	done
	make -s -C bench
	{
		echo "meta date=$(date -u '+%Y-%m-%d %H:%M UTC')"
		echo "meta host_cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
		echo "meta host_cores=$(nproc)"
		echo "meta host_kernel=$(uname -r)"
		echo "meta host_load=$(cut -d' ' -f1-3 /proc/loadavg)"
	} >"$raw"
	measure_host
	if [ "$only" != vm ]; then measure_native; else raw_native=; fi
	if [ "$only" != native ]; then measure_vm; fi
fi

# --- table and plot -------------------------------------------------------
data=$tmp/data
mkdir -p "$data"
python3 bench/report.py "$raw" "$out" "$data" $raw_native
vcpus=$(sed -n 's/^info .* vcpus=\([0-9]*\).*/\1/p' "$raw")
title="mcbridge benchmarks, $(sed -n 's/^meta date=//p' "$raw"); host $(sed -n 's/^meta host_cpu=//p' "$raw") ($(sed -n 's/^meta host_cores=//p' "$raw") cores), QEMU TCG guest, $vcpus vCPUs"
grep -q '^info .* quick=1' "$raw" && title="$title [quick run: numbers meaningless]"
# The VM plot when there was a VM run (not with --only native).
if grep -q '^info ' "$raw"; then
	gnuplot -e "dir='$data'; out='$out/bench.png'; title='$title'" bench/plot.gp 2>"$tmp/gnuplot.err" ||
		{ cat "$tmp/gnuplot.err" >&2; exit 1; }
fi
if [ -n "$raw_native" ]; then
	ntitle="mcbridge native benchmarks, $(sed -n 's/^meta date=//p' "$raw"); $(sed -n 's/^meta host_cpu=//p' "$raw") ($(sed -n 's/^meta host_cores=//p' "$raw") cores), Linux $(sed -n 's/^meta host_kernel=//p' "$raw"), load $(sed -n 's/^meta host_load=//p' "$raw")"
	grep -q '^info .* quick=1' "$raw_native" && ntitle="$ntitle [quick run: numbers meaningless]"
	gnuplot -e "dir='$data'; out='$out/bench-native.png'; title='$ntitle'" bench/plot-native.gp 2>"$tmp/gnuplot.err" ||
		{ cat "$tmp/gnuplot.err" >&2; exit 1; }
	cp "$raw_native" "$out/raw-native.txt"
fi
cp "$raw" "$out/raw.txt"
echo "bench: wrote $out/results.txt, $out/bench.png${raw_native:+, $out/bench-native.png}, $out/raw.txt${raw_native:+, $out/raw-native.txt} ($((SECONDS - start)) s)" >&2
